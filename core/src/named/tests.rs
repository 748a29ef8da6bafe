use super::*;
use crate::model::{Confinement, HandlerModel, SpecError};

fn t(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

fn model(name: &'static str, actions: &'static [NamedAction], names: NameRule) -> NamedModel {
    NamedModel { name: Cow::Borrowed(name), actions: Cow::Borrowed(actions), names }
}

fn handler(named: Vec<NamedModel>) -> HandlerModel {
    HandlerModel {
        tables: Cow::Borrowed(&[]),
        buckets: Cow::Borrowed(&[]),
        named: named.into(),
        confinement: Confinement::SessionPolicy,
    }
}

#[test]
fn a_secret_or_parameter_is_the_tenants_under_its_folder_only() {
    let secrets = NameRule::new(Service::SecretsManager, "tenants/");
    let parameters = NameRule::new(Service::Ssm, "/tenants/");
    for (rule, own, foreign) in [
        (
            &secrets,
            &["tenants/acme/stripe", "tenants/acme/a/b", "tenants/acme/x-AbC123"][..],
            &[
                "tenants/acme",
                "tenants/acme/",
                "tenants/acme-2/stripe",
                "tenants/acm/x",
                "tenants/ACME/x",
                "acme/x",
                "",
            ][..],
        ),
        (
            &parameters,
            &["/tenants/acme/flags", "/tenants/acme/a/b", "/tenants/acme/flags:3"][..],
            &["/tenants/acme", "/tenants/acme-2/flags", "tenants/acme/flags", "/tenants/acme/", "/x/tenants/acme/a"][..],
        ),
    ] {
        for name in own {
            assert!(rule.is_own(&t("acme"), name), "{name}");
            assert_eq!(rule.tenant_of(name), Some(t("acme")), "{name}");
        }
        for name in foreign {
            assert!(!rule.is_own(&t("acme"), name), "{name}");
        }
    }
    assert!(parameters.is_own_path(&t("acme"), "/tenants/acme"));
    assert!(parameters.is_own_path(&t("acme"), "/tenants/acme/deep"));
    for foreign in ["/tenants", "/tenants/", "/tenants/acme-2", "/tenants/acmex", "/"] {
        assert!(!parameters.is_own_path(&t("acme"), foreign), "{foreign}");
    }
    assert!(!secrets.is_own_path(&t("acme"), "tenants/acme"), "paths are Parameter Store's alone");
}

#[test]
fn a_queue_is_the_tenants_by_its_exact_name() {
    let queues = NameRule::new(Service::Sqs, "jobs-");
    assert!(queues.is_own(&t("acme"), "jobs-acme"));
    for foreign in ["jobs-acme-2", "jobs-acm", "jobs-acme.fifo", "jobs-acme/x", "xjobs-acme", "jobs-ACME"] {
        assert!(!queues.is_own(&t("acme"), foreign), "{foreign}");
    }
    assert_eq!(queues.tenant_of("jobs-acme-2"), Some(t("acme-2")));
    assert_eq!(queues.tenant_of("jobs-a*"), None);
    let fifo = NameRule::fifo_queues("jobs-");
    assert_eq!(fifo.queue(&t("acme")), "jobs-acme.fifo");
    assert!(fifo.is_own(&t("acme"), "jobs-acme.fifo"));
    assert!(!fifo.is_own(&t("acme"), "jobs-acme"));
    assert_eq!(fifo.tenant_of("jobs-acme.fifo"), Some(t("acme")));
    assert_eq!(fifo.tenant_of("jobs-acme"), None);
}

proptest::proptest! {
    /// `tenant_of` is `is_own`'s inverse, for any name and every service.
    #[test]
    fn tenant_of_is_the_inverse_of_is_own(
        rest in "(tenants/|/tenants/|jobs-|)[a-zA-Z0-9_/*.:-]{0,12}",
        id in "[a-z0-9-]{1,4}",
        service in 0..3usize,
    ) {
        let rule = match service {
            0 => NameRule::new(Service::SecretsManager, "tenants/"),
            1 => NameRule::new(Service::Ssm, "/tenants/"),
            _ => NameRule::new(Service::Sqs, "jobs-"),
        };
        let tenant = t(&id);
        proptest::prop_assert_eq!(rule.is_own(&tenant, &rest), rule.tenant_of(&rest).as_ref() == Some(&tenant));
    }
}

#[test]
fn prefixes_are_shaped_so_that_no_tenant_id_runs_into_them() {
    let ok = |s, p: &str| NameRule::owned(s, p).validate();
    assert_eq!(ok(Service::SecretsManager, "tenants/"), Ok(()));
    assert_eq!(ok(Service::SecretsManager, ""), Ok(()));
    assert_eq!(ok(Service::SecretsManager, "tenants"), Err(NamePrefixError::Shape));
    assert_eq!(ok(Service::Ssm, "/tenants/"), Ok(()));
    for shape in ["tenants/", "/tenants", "", "/a//b/"] {
        assert_eq!(ok(Service::Ssm, shape), Err(NamePrefixError::Shape), "{shape}");
    }
    for reserved in ["/aws/", "/SSM/x/", "/awsome/", "/"] {
        assert_eq!(ok(Service::Ssm, reserved), Err(NamePrefixError::Reserved), "{reserved}");
    }
    assert_eq!(ok(Service::Sqs, "jobs-"), Ok(()));
    assert_eq!(ok(Service::Sqs, ""), Err(NamePrefixError::Shape));
    // A queue name is at most 80 characters and a tenant id up to 64.
    assert_eq!(ok(Service::Sqs, &"q".repeat(16)), Ok(()));
    assert_eq!(ok(Service::Sqs, &"q".repeat(17)), Err(NamePrefixError::Charset));
    assert_eq!(NameRule::owned(Service::Sqs, "q".repeat(12)).fifo().validate(), Err(NamePrefixError::Charset));
    assert_eq!(NameRule::owned(Service::Ssm, "/x/").fifo().validate(), Err(NamePrefixError::FifoOutsideSqs));
    for (service, bad) in [
        (Service::SecretsManager, "t*/"),
        (Service::SecretsManager, "t?/"),
        (Service::SecretsManager, "${x}/"),
        (Service::SecretsManager, "t\"/"),
        (Service::Ssm, "/t*/"),
        (Service::Ssm, "/t@/"),
        (Service::Sqs, "jobs."),
        (Service::Sqs, "jobs/"),
    ] {
        assert_eq!(ok(service, bad), Err(NamePrefixError::Charset), "{bad}");
    }
    assert_eq!(ok(Service::SecretsManager, &"x/".repeat(33)), Err(NamePrefixError::Charset));
}

#[test]
fn rules_of_one_service_overlap_when_one_prefix_starts_the_other() {
    let s = |p| NameRule::new(Service::SecretsManager, p);
    assert!(s("tenants/").overlaps(&s("tenants/ORG/")));
    assert!(s("").overlaps(&s("tenants/")));
    assert!(!s("a/").overlaps(&s("b/")));
    assert!(!s("tenants/").overlaps(&NameRule::new(Service::Ssm, "/tenants/")));
    assert!(NameRule::new(Service::Sqs, "jobs-").overlaps(&NameRule::new(Service::Sqs, "jobs-high-")));
}

#[test]
fn resources_are_the_tenants_folder_path_or_queue() {
    let secrets = NameRule::new(Service::SecretsManager, "tenants/");
    assert_eq!(
        secrets.resources(Tenants::Own, false),
        ["arn:{{partition}}:secretsmanager:{{region}}:{{account}}:secret:tenants/{{tenant}}/*"]
    );
    assert_eq!(
        secrets.resources(Tenants::Tagged("tenant"), false),
        ["arn:{{partition}}:secretsmanager:{{region}}:{{account}}:secret:tenants/${aws:PrincipalTag/tenant}/*"]
    );
    assert_eq!(
        secrets.resources(Tenants::Any, false),
        ["arn:{{partition}}:secretsmanager:{{region}}:{{account}}:secret:tenants/*"]
    );
    let parameters = NameRule::new(Service::Ssm, "/tenants/");
    assert_eq!(
        parameters.resources(Tenants::Own, true),
        [
            "arn:{{partition}}:ssm:{{region}}:{{account}}:parameter/tenants/{{tenant}}",
            "arn:{{partition}}:ssm:{{region}}:{{account}}:parameter/tenants/{{tenant}}/*"
        ]
    );
    assert_eq!(
        NameRule::fifo_queues("jobs-").resources(Tenants::Own, false),
        ["arn:{{partition}}:sqs:{{region}}:{{account}}:jobs-{{tenant}}.fifo"]
    );
}

#[test]
fn refusals_name_the_reason() {
    use NamedRefusal as R;
    let c = NamedAction::classify;
    assert_eq!(c(Service::SecretsManager, "GetSecretValue"), Ok(NamedAction::GetSecretValue));
    assert_eq!(c(Service::SecretsManager, "secretsmanager:GetSecretValue"), Ok(NamedAction::GetSecretValue));
    assert_eq!(c(Service::SecretsManager, "ssm:GetSecretValue"), Err(R::Unknown { suggestion: None }));
    assert_eq!(c(Service::SecretsManager, "*"), Err(R::Wildcard));
    assert_eq!(c(Service::SecretsManager, "secretsmanager:Get*"), Err(R::Wildcard));
    assert_eq!(c(Service::SecretsManager, "ListSecrets"), Err(R::NoResource));
    assert_eq!(c(Service::SecretsManager, "GetRandomPassword"), Err(R::NoResource));
    assert_eq!(c(Service::SecretsManager, "PutResourcePolicy"), Err(R::Sharing));
    assert_eq!(c(Service::SecretsManager, "TagResource"), Err(R::Tagging));
    assert_eq!(c(Service::SecretsManager, "ReplicateSecretToRegions"), Err(R::Replication));
    assert_eq!(c(Service::SecretsManager, "GetParameter"), Err(R::OtherService(Service::Ssm)));
    assert_eq!(c(Service::Ssm, "DescribeParameters"), Err(R::NoResource));
    assert_eq!(c(Service::Sqs, "SetQueueAttributes"), Err(R::Sharing));
    assert_eq!(c(Service::Sqs, "PurgeQueue"), Err(R::Deployment));
    assert_eq!(c(Service::Sqs, "SendMessageBatch"), Err(R::Operation { declare: NamedAction::SendMessage }));
    assert_eq!(
        c(Service::SecretsManager, "GetSecretValues"),
        Err(R::Unknown { suggestion: Some(NamedAction::GetSecretValue) })
    );
    assert!(c(Service::Sqs, "SendMessageBatch").unwrap_err().to_string().contains("declare `SendMessage`"));
    assert!(c(Service::Sqs, "GetSecretValue").unwrap_err().to_string().contains("`secrets(...)`"));
}

#[test]
fn each_operation_needs_an_action_of_its_own_service() {
    assert_eq!(NamedAction::for_operation(Service::Sqs, "SendMessageBatch"), Some(NamedAction::SendMessage));
    assert_eq!(NamedAction::for_operation(Service::Sqs, "SendMessage"), Some(NamedAction::SendMessage));
    assert_eq!(NamedAction::for_operation(Service::Ssm, "SendMessage"), None);
    assert_eq!(NamedAction::for_operation(Service::Sqs, "PurgeQueue"), None);
    // Whole names only, in their case: the `const fn` compares bytes by hand.
    for near in ["SendMessageBatc", "SendMessageBatchX", "Send", "", "sendmessage", "DeleteMessageBatch "] {
        assert_eq!(NamedAction::for_operation(Service::Sqs, near), None, "{near:?}");
    }
    assert_eq!(NamedAction::for_operation(Service::Sqs, "DeleteMessageBatch"), Some(NamedAction::DeleteMessage));
    for action in NamedAction::ALL {
        assert_eq!(NamedAction::for_operation(action.service(), action.name()), Some(*action));
        assert_eq!(NamedAction::from_name(&action.iam_name()), Some(*action));
    }
}

#[test]
fn a_declaration_is_refused_for_a_foreign_action_a_bad_prefix_or_an_overlap() {
    let secrets = NameRule::new(Service::SecretsManager, "tenants/");
    assert!(model("webhooks", &[NamedAction::GetSecretValue], secrets.clone()).validate().is_empty());
    assert_eq!(
        model("webhooks", &[NamedAction::GetParameter], secrets.clone()).validate(),
        [SpecError::ForeignAction { action: "GetParameter", service: Service::SecretsManager }]
    );
    assert_eq!(
        model("webhooks", &[NamedAction::GetSecretValue], NameRule::new(Service::SecretsManager, "t")).validate(),
        [SpecError::BadNamePrefix {
            service: Service::SecretsManager,
            prefix: "t".into(),
            error: NamePrefixError::Shape
        }]
    );
    let errors = handler(vec![
        model("a", &[NamedAction::GetSecretValue], secrets.clone()),
        model("b", &[NamedAction::GetSecretValue], NameRule::new(Service::SecretsManager, "tenants/ORG/")),
    ])
    .validate();
    assert!(matches!(errors.as_slice(), [SpecError::OverlappingNames { .. }]), "{errors:?}");
    let errors = handler(vec![
        model("a", &[NamedAction::GetSecretValue], secrets.clone()),
        model("a", &[NamedAction::GetParameter], NameRule::new(Service::Ssm, "/tenants/")),
    ])
    .validate();
    assert_eq!(errors, [SpecError::DuplicateNamed("a".into())]);
}

#[test]
fn a_handler_of_names_alone_compiles_to_its_folder_path_and_queue() {
    let compiled = handler(vec![
        model("webhooks", &[NamedAction::GetSecretValue], NameRule::new(Service::SecretsManager, "tenants/")),
        model(
            "settings",
            &[NamedAction::GetParameter, NamedAction::GetParametersByPath],
            NameRule::new(Service::Ssm, "/tenants/"),
        ),
        model("jobs", &[NamedAction::SendMessage, NamedAction::ReceiveMessage], NameRule::new(Service::Sqs, "jobs-")),
    ])
    .compile()
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&compiled.template).unwrap();
    assert_eq!(
        v["Statement"],
        serde_json::json!([
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
             "Resource": ["arn:{{partition}}:secretsmanager:{{region}}:{{account}}:secret:tenants/{{tenant}}/*"]},
            {"Effect": "Allow", "Action": ["ssm:GetParameter"],
             "Resource": ["arn:{{partition}}:ssm:{{region}}:{{account}}:parameter/tenants/{{tenant}}/*"]},
            {"Effect": "Allow", "Action": ["ssm:GetParametersByPath"],
             "Resource": ["arn:{{partition}}:ssm:{{region}}:{{account}}:parameter/tenants/{{tenant}}",
                          "arn:{{partition}}:ssm:{{region}}:{{account}}:parameter/tenants/{{tenant}}/*"]},
            {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:SendMessage"],
             "Resource": ["arn:{{partition}}:sqs:{{region}}:{{account}}:jobs-{{tenant}}"]},
        ])
    );
    assert!(compiled.worst_case <= crate::MAX_SESSION_POLICY_CHARS);
}

#[test]
fn named_declares_reads_each_declaration_by_position() {
    let m = handler(vec![
        model("webhooks", &[NamedAction::GetSecretValue], NameRule::new(Service::SecretsManager, "tenants/")),
        model("jobs", &[NamedAction::SendMessage], NameRule::new(Service::Sqs, "jobs-")),
    ]);
    for action in NamedAction::ALL.iter().copied() {
        assert_eq!(m.named_declares(0, action), action == NamedAction::GetSecretValue, "{action:?}");
        assert_eq!(m.named_declares(1, action), action == NamedAction::SendMessage, "{action:?}");
        assert!(!m.named_declares(2, action));
    }
}

/// The budget: the example's `create_order` (two tables bound at run time, a bucket)
/// with a webhook secret and a settings parameter stays a session-policy handler.
#[test]
fn two_tables_a_bucket_a_secret_and_a_parameter_fit_one_session_policy() {
    use crate::action::Action;
    use crate::keys::KeyRule;
    use crate::model::{BucketModel, PhysicalName, TableModel};
    use crate::s3::{ObjectAction, ObjectRule};
    let env = |var: &'static str, name: &'static str| PhysicalName::FromEnv { var: var.into(), default: name.into() };
    let table = |var, name, actions| TableModel {
        table: env(var, name),
        indexes: Cow::Borrowed(&[]),
        actions: Cow::Borrowed(actions),
        keys: KeyRule::new("TENANT#"),
    };
    let mut m = handler(vec![
        model("webhooks", &[NamedAction::GetSecretValue], NameRule::new(Service::SecretsManager, "tenants/")),
        model("settings", &[NamedAction::GetParameter], NameRule::new(Service::Ssm, "/tenants/")),
    ]);
    m.tables = vec![
        table("ORDERS_TABLE", "Orders", &[Action::PutItem]),
        table("CUSTOMERS_TABLE", "Customers", &[Action::GetItem]),
    ]
    .into();
    m.buckets = vec![BucketModel {
        bucket: env("ATTACHMENTS_BUCKET", "order-attachments"),
        actions: Cow::Borrowed(&[ObjectAction::PutObject]),
        objects: ObjectRule::new("tenants/"),
    }]
    .into();
    let compiled = m.compile().unwrap();
    assert!(compiled.worst_case <= crate::MAX_SESSION_POLICY_CHARS, "{}", compiled.worst_case);
}
