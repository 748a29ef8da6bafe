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

/// The issue's budget: the example's `create_order` (two tables bound at run time, a bucket)
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

/// `queues(events(queue = "order-events", tenant_attribute = "tenant_id", actions = [...]))`,
/// the name fixed or bound by `ORDER_EVENTS_QUEUE`.
fn shared(queue: &'static str, var: Option<&'static str>, attribute: &'static str) -> NameRule {
    use crate::model::PhysicalName;
    let queue = match var {
        Some(var) => PhysicalName::FromEnv { var: var.into(), default: queue.into() },
        None => PhysicalName::Fixed(queue.into()),
    };
    NameRule::shared(SharedQueue { queue, tenant_attribute: attribute.into() })
}

#[test]
fn a_shared_queue_is_no_tenants_own() {
    let events = shared("order-events", None, "tenant_id");
    assert!(events.is_shared() && !NameRule::new(Service::Sqs, "jobs-").is_shared());
    assert_eq!(events.service(), Service::Sqs);
    for tenant in ["acme", "order-events"] {
        assert!(!events.is_own(&t(tenant), "order-events"), "{tenant}");
        assert!(!events.is_own(&t(tenant), &format!("order-events{tenant}")), "{tenant}");
    }
    assert_eq!(events.tenant_of("order-events"), None);
    assert_eq!(events.queue(&t("acme")), "order-events", "its declared name, whatever the tenant");
    assert!(events.resources(Tenants::Own, false).is_empty(), "named by its place in the handler, not by the rule");
    assert_eq!(events.clone().fifo(), events, "a shared queue's name says whether it is FIFO");
    assert_eq!(events.validate(), Ok(()), "no prefix to check");
}

#[test]
fn only_send_message_may_be_declared_on_a_shared_queue() {
    use NamedAction::*;
    let events = shared("order-events", Some("ORDER_EVENTS_QUEUE"), "tenant_id");
    assert!(model("events", &[SendMessage], events.clone()).validate().is_empty());
    // Every other queue action would reach every tenant's messages.
    for action in NamedAction::of(Service::Sqs).filter(|a| *a != SendMessage) {
        let actions: &'static [NamedAction] = Box::leak(vec![SendMessage, action].into_boxed_slice());
        assert_eq!(
            model("events", actions, events.clone()).validate(),
            [SpecError::SharedQueueAction(action.name())],
            "{action:?}"
        );
    }
    let refused = SpecError::SharedQueueAction("ReceiveMessage").to_string();
    assert!(
        refused.starts_with("`ReceiveMessage` cannot be declared on a shared queue: it holds every tenant's messages")
            && refused.contains("`records = sqs(tenant_attribute = \"...\")`"),
        "{refused}"
    );
}

#[test]
fn a_shared_queues_name_variable_and_attribute_are_checked() {
    let send = &[NamedAction::SendMessage];
    let errors = |rule| model("events", send, rule).validate();
    for good in ["q", "order-events", "order_events.fifo", &"q".repeat(80), &format!("{}.fifo", "q".repeat(75))] {
        assert!(errors(shared(Box::leak(good.to_owned().into_boxed_str()), None, "tenant_id")).is_empty(), "{good}");
    }
    for bad in ["", ".fifo", "order.events", "order-*", "order events", "orders/x", &"q".repeat(81)] {
        let bad: &'static str = Box::leak(bad.to_owned().into_boxed_str());
        assert_eq!(errors(shared(bad, None, "tenant_id")), [SpecError::BadQueueName(bad.into())], "{bad}");
    }
    assert_eq!(errors(shared("q", Some("order_events"), "tenant_id")), [SpecError::BadEnvVar("order_events".into())]);
    for good in ["tenant_id", "tenant-id", "app.tenant", "AWSome", "Amazonian", &"a".repeat(256)] {
        let good: &'static str = Box::leak(good.to_owned().into_boxed_str());
        assert!(errors(shared("q", None, good)).is_empty(), "{good}");
    }
    for bad in [
        "",
        "tenant id",
        "tenant*",
        "AWS.tenant",
        "aws.tenant",
        "Amazon.tenant",
        "AMAZON.x",
        ".tenant",
        "tenant.",
        "a..b",
    ]
    .into_iter()
    .chain([&*"a".repeat(257)])
    {
        let bad: &'static str = Box::leak(bad.to_owned().into_boxed_str());
        assert_eq!(errors(shared("q", None, bad)), [SpecError::BadMessageAttribute(bad.into())], "{bad}");
    }
}

#[test]
fn a_shared_queue_that_a_prefix_makes_a_tenants_own_is_refused() {
    use NamedAction::*;
    let jobs = model("jobs", &[SendMessage, ReceiveMessage], NameRule::new(Service::Sqs, "jobs-"));
    // Tenant `all` of `jobs-` would receive every tenant's messages from `jobs-all`.
    for (queue, owned) in [("jobs-all", true), ("jobs-all.fifo", false), ("job-all", false), ("jobs-", false)] {
        let events = model("events", &[SendMessage], shared(queue, None, "tenant_id"));
        let errors = handler(vec![jobs.clone(), events.clone()]).validate();
        let expected = SpecError::SharedQueueOwned { queue: queue.into(), prefix: "jobs-".into() };
        assert_eq!(errors, if owned { vec![expected.clone()] } else { vec![] }, "{queue}");
        assert_eq!(
            handler(vec![events, jobs.clone()]).validate().contains(&expected),
            owned,
            "{queue}, in either order"
        );
    }
    let fifo = model("jobs", &[SendMessage], NameRule::fifo_queues("jobs-"));
    let events = model("events", &[SendMessage], shared("jobs-all.fifo", None, "tenant_id"));
    assert!(matches!(handler(vec![fifo, events]).validate().as_slice(), [SpecError::SharedQueueOwned { .. }]));
    assert!(
        SpecError::SharedQueueOwned { queue: "jobs-all".into(), prefix: "jobs-".into() }
            .to_string()
            .contains("that tenant could receive every tenant's messages")
    );
}

#[test]
fn one_shared_queue_is_declared_once_and_read_by_one_attribute() {
    let send = &[NamedAction::SendMessage];
    let a = shared("order-events", None, "tenant_id");
    let errors = handler(vec![model("a", send, a.clone()), model("b", send, a.clone())]).validate();
    assert_eq!(errors, [SpecError::DuplicateQueue("order-events".into())]);
    let other = shared("order-events", Some("ORDER_EVENTS"), "tenant");
    let errors = handler(vec![model("a", send, a.clone()), model("b", send, other.clone())]).validate();
    assert_eq!(errors, [SpecError::DuplicateQueue("order-events".into())]);
    assert!(
        handler(vec![model("a", send, a.clone()), model("b", send, shared("audit", None, "t"))]).validate().is_empty()
    );
    // Across handlers (the runtime's claims): the same queue and attribute is no overlap, another
    // attribute on the same queue is.
    assert!(!a.overlaps(&a.clone()), "the same declaration");
    assert!(a.overlaps(&other), "another attribute on the same queue");
    assert!(!a.overlaps(&shared("order-events", Some("X"), "tenant_id")), "the same attribute");
    assert!(!a.overlaps(&shared("audit", None, "tenant")), "another queue");
    assert!(NameRule::new(Service::Sqs, "order-").overlaps(&a), "tenant `events` of `order-` owns it");
    assert!(!NameRule::new(Service::SecretsManager, "order-").overlaps(&a), "another service");
}

#[test]
fn a_shared_queue_compiles_to_send_message_on_its_arn_without_a_tenant() {
    use crate::model::PhysicalName;
    use crate::policy::{Partition, Placement, render};
    let m = handler(vec![
        model("jobs", &[NamedAction::ReceiveMessage], NameRule::new(Service::Sqs, "jobs-")),
        model("events", &[NamedAction::SendMessage], shared("order-events", Some("ORDER_EVENTS_QUEUE"), "tenant_id")),
        model("audit", &[NamedAction::SendMessage], shared("audit.fifo", None, "tenant")),
    ]);
    assert_eq!(m.shared_queue_place(0), None);
    assert_eq!(m.shared_queue_place(1), Some(0));
    assert_eq!(m.shared_queue_place(2), Some(1));
    assert_eq!(m.shared_queue_place(3), None);
    let compiled = m.compile().unwrap();
    let v: serde_json::Value = serde_json::from_str(&compiled.template).unwrap();
    assert_eq!(
        v["Statement"],
        serde_json::json!([
            {"Effect": "Allow", "Action": ["sqs:ReceiveMessage"],
             "Resource": ["arn:{{partition}}:sqs:{{region}}:{{account}}:jobs-{{tenant}}"]},
            {"Effect": "Allow", "Action": ["sqs:SendMessage"],
             "Resource": ["arn:{{partition}}:sqs:{{region}}:{{account}}:{{queue}}",
                          "arn:{{partition}}:sqs:{{region}}:{{account}}:audit.fifo"]},
        ])
    );
    // The bound name is counted at SQS's longest, 80 characters.
    let alone = handler(vec![model("events", &[NamedAction::SendMessage], shared("q", Some("Q"), "tenant_id"))]);
    let fixed = handler(vec![model("events", &[NamedAction::SendMessage], shared("q", None, "tenant_id"))]);
    assert_eq!(alone.compile().unwrap().worst_case - fixed.compile().unwrap().worst_case, 80 - "q".len());
    // Rendered: the placed name, and the same policy for every tenant on that queue.
    let place = Placement::new(Partition::Aws, "eu-west-1", "123456789012", &[], &[])
        .unwrap()
        .with_queues(&["order-events-prod", "audit.fifo"])
        .unwrap();
    let rendered = render(&compiled.template, &place, &t("acme"));
    assert!(rendered.contains("\"arn:aws:sqs:eu-west-1:123456789012:order-events-prod\""), "{rendered}");
    assert!(!rendered.contains("{{"), "{rendered}");
    // The role policy of the placed model names the placed queue, whoever the tenant.
    let placed = m.queues_placed(&["order-events-prod", "audit.fifo"]);
    assert_eq!(
        placed.named[1].names.as_shared().map(|s| s.queue.clone()),
        Some(PhysicalName::Fixed("order-events-prod".into()))
    );
    let role = crate::role_policy(&[&placed], false);
    assert!(role.contains(r#"{"Sid":"SharedQueue","Effect":"Allow","Action":["sqs:SendMessage"],"Resource":["arn:{{partition}}:sqs:{{region}}:{{account}}:order-events-prod"]}"#), "{role}");
    let tagged = HandlerModel { confinement: Confinement::SessionTag("tenant".into()), ..fixed }.compile().unwrap();
    assert!(tagged.template.contains(":q\"") && !tagged.template.contains("PrincipalTag"), "{}", tagged.template);
}

const KEY: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

fn encrypted(service: Service, prefix: &'static str, var: Option<&'static str>) -> NameRule {
    use crate::model::PhysicalName;
    let key = match var {
        Some(var) => PhysicalName::FromEnv { var: Cow::Borrowed(var), default: Cow::Borrowed("") },
        None => PhysicalName::Fixed(Cow::Borrowed(KEY)),
    };
    NameRule::new(service, prefix).with_kms_key(key)
}

#[test]
fn a_customer_key_is_granted_for_the_tenants_own_values_only() {
    use crate::policy::{Partition, Placement, render};
    let m = handler(vec![
        model(
            "webhooks",
            &[NamedAction::GetSecretValue, NamedAction::DescribeSecret],
            encrypted(Service::SecretsManager, "tenants/", Some("WEBHOOKS_KEY")),
        ),
        model(
            "settings",
            &[NamedAction::GetParametersByPath, NamedAction::PutParameter],
            encrypted(Service::Ssm, "/tenants/", None),
        ),
    ]);
    assert_eq!((m.kms_key_place(0), m.kms_key_place(1), m.kms_key_place(2)), (Some(0), Some(1), None));
    let compiled = m.compile().unwrap();
    let v: serde_json::Value = serde_json::from_str(&compiled.template).unwrap();
    let statements = v["Statement"].as_array().unwrap();
    let on_keys: Vec<&serde_json::Value> =
        statements.iter().filter(|s| s["Resource"][0].as_str().unwrap().contains(":kms:")).collect();
    assert_eq!(
        on_keys,
        [
            &serde_json::json!({"Effect": "Allow", "Action": ["kms:Decrypt"],
             "Resource": ["arn:{{partition}}:kms:{{region}}:{{account}}:key/{{kms}}"],
             "Condition": {"StringLike": {"kms:EncryptionContext:SecretARN":
                 ["arn:{{partition}}:secretsmanager:{{region}}:{{account}}:secret:tenants/{{tenant}}/*"]}}}),
            // A by-path read decrypts each parameter under its own ARN: the folder's pattern, not
            // the path's. A write encrypts (standard tier) or asks for a data key (advanced).
            &serde_json::json!({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
             "Resource": [format!("arn:{{{{partition}}}}:kms:{{{{region}}}}:{{{{account}}}}:key/{KEY}")],
             "Condition": {"StringLike": {"kms:EncryptionContext:PARAMETER_ARN":
                 ["arn:{{partition}}:ssm:{{region}}:{{account}}:parameter/tenants/{{tenant}}/*"]}}}),
        ]
    );
    // Nothing else names a KMS action: no other statement grants the key, and no statement on
    // a key goes without the tenant's encryption context.
    let kms_actions = statements.iter().filter(|s| s.to_string().contains("\"kms:")).count();
    assert_eq!(kms_actions, 2, "{v}");
    // The bound key id is counted at 36 characters.
    let fixed = handler(vec![model(
        "webhooks",
        &[NamedAction::GetSecretValue],
        encrypted(Service::SecretsManager, "tenants/", None),
    )]);
    let bound = handler(vec![model(
        "webhooks",
        &[NamedAction::GetSecretValue],
        encrypted(Service::SecretsManager, "tenants/", Some("K")),
    )]);
    assert_eq!(bound.compile().unwrap().worst_case, fixed.compile().unwrap().worst_case);
    // Rendered for acme with the deployment's key: acme's folder, the key's ARN, no placeholder.
    let place = Placement::new(Partition::Aws, "eu-west-1", "123456789012", &[], &[])
        .unwrap()
        .with_kms_keys(&["mrk-0123456789abcdef0123456789abcdef", KEY])
        .unwrap();
    let rendered = render(&compiled.template, &place, &t("acme"));
    assert!(rendered.contains(r#""Resource":["arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"],"Condition":{"StringLike":{"kms:EncryptionContext:SecretARN":["arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenants/acme/*"]}}"#), "{rendered}");
    assert!(!rendered.contains("{{"), "{rendered}");
    // The role policy of the placed model names the placed key, for every tenant's names.
    let placed = m.kms_keys_placed(&["mrk-0123456789abcdef0123456789abcdef", KEY]);
    let role = crate::role_policy(&[&placed], false);
    assert!(role.contains(r#""Resource":["arn:{{partition}}:kms:{{region}}:{{account}}:key/mrk-0123456789abcdef0123456789abcdef"],"Condition":{"StringLike":{"kms:EncryptionContext:SecretARN":["arn:{{partition}}:secretsmanager:{{region}}:{{account}}:secret:tenants/*"]}}"#), "{role}");
    // Session-tag mode: the principal tag in the tenant's place, in the context as in the names.
    let tagged = HandlerModel { confinement: Confinement::SessionTag("tenant".into()), ..fixed }.compile().unwrap();
    assert!(tagged.template.contains(r#""kms:EncryptionContext:SecretARN":["arn:{{partition}}:secretsmanager:{{region}}:{{account}}:secret:tenants/${aws:PrincipalTag/tenant}/*"]"#), "{}", tagged.template);
}

#[test]
fn without_a_customer_key_no_kms_action_is_granted() {
    let compiled = handler(vec![model(
        "webhooks",
        &[NamedAction::GetSecretValue, NamedAction::PutSecretValue],
        NameRule::new(Service::SecretsManager, "tenants/"),
    )])
    .compile()
    .unwrap();
    assert!(!compiled.template.contains("kms"), "{}", compiled.template);
}

#[test]
fn a_customer_key_is_refused_on_queues_without_a_value_action_or_by_alias() {
    use crate::model::PhysicalName;
    let errors = |n: NamedModel| handler(vec![n]).validate();
    let queue = NameRule::new(Service::Sqs, "jobs-").with_kms_key(PhysicalName::Fixed(Cow::Borrowed(KEY)));
    assert_eq!(
        errors(model("jobs", &[NamedAction::SendMessage], queue)),
        [SpecError::KmsKeyOutside { name: "jobs".into(), service: Service::Sqs }]
    );
    assert_eq!(
        errors(model(
            "webhooks",
            &[NamedAction::DescribeSecret, NamedAction::DeleteSecret],
            encrypted(Service::SecretsManager, "tenants/", None)
        )),
        [SpecError::KmsKeyUnused("webhooks".into())]
    );
    for bad in ["alias/webhooks", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "*"] {
        let rule = NameRule::new(Service::Ssm, "/tenants/").with_kms_key(PhysicalName::Fixed(Cow::Owned(bad.into())));
        assert_eq!(errors(model("settings", &[NamedAction::GetParameter], rule)), [SpecError::BadKmsKeyId(bad.into())]);
        let message = SpecError::BadKmsKeyId(bad.into()).to_string();
        assert!(message.contains("not an alias or an ARN"), "{message}");
    }
    let bad_var = NameRule::new(Service::Ssm, "/tenants/")
        .with_kms_key(PhysicalName::FromEnv { var: Cow::Borrowed("bad var"), default: Cow::Borrowed("") });
    assert_eq!(
        errors(model("settings", &[NamedAction::GetParameter], bad_var)),
        [SpecError::BadEnvVar("bad var".into())]
    );
    // At run time, a key id bound by a variable is checked the same way.
    let place =
        crate::policy::Placement::new(crate::policy::Partition::Aws, "eu-west-1", "123456789012", &[], &[]).unwrap();
    assert!(place.clone().with_kms_keys(&["alias/webhooks"]).is_err());
    assert!(place.with_kms_keys(&[""]).is_err());
}

/// Which key encrypts a family's values says nothing about which names are whose: two handlers
/// of one application on the same secrets, one reading them (`GetSecretValue`, with the key it
/// needs) and one only deleting them (`DeleteSecret`, which may not declare the key:
/// `KmsKeyUnused`), are one rule, not two that overlap. (The overlap check compared whole rules,
/// the key among them, and refused the pair, at start-up and in the audit.)
#[test]
fn a_key_does_not_make_one_family_of_names_overlap_itself() {
    use crate::model::TenantRule;
    let read = encrypted(Service::SecretsManager, "tenants/", None);
    let delete = NameRule::new(Service::SecretsManager, "tenants/");
    assert!(handler(vec![model("read", &[NamedAction::GetSecretValue], read.clone())]).validate().is_empty());
    assert!(handler(vec![model("delete", &[NamedAction::DeleteSecret], delete.clone())]).validate().is_empty());
    assert!(!TenantRule::Names(&read).overlaps(TenantRule::Names(&delete)), "one family, with and without its key");
    let bound = encrypted(Service::SecretsManager, "tenants/", Some("TENANTS_KEY"));
    assert!(!TenantRule::Names(&read).overlaps(TenantRule::Names(&bound)), "one family, its key written in or bound");
    // Prefixes still decide: `tenants/ORG/` with or without a key is another family inside this one.
    let org = encrypted(Service::SecretsManager, "tenants/ORG/", None);
    assert!(TenantRule::Names(&delete).overlaps(TenantRule::Names(&org)));
    assert!(
        TenantRule::Names(&read).overlaps(TenantRule::Names(&NameRule::new(Service::SecretsManager, "tenants/ORG/")))
    );
}

/// Red-team review: each declaration's key lands in its own statement when keys written in and
/// keys bound at run time are mixed with a shared queue bound at run time in one handler (the
/// `{{kms…}}` places count every key, fixed or bound, as the placement lists them; the
/// `{{queue…}}` places count shared queues alone), and the role policy of the placed model
/// names each declaration's key under its own names only.
#[test]
fn mixed_keys_and_shared_queues_each_land_in_their_own_declarations_statement() {
    use crate::policy::{Partition, Placement, render};
    let send = &[NamedAction::SendMessage];
    let read = &[NamedAction::GetSecretValue];
    let m = handler(vec![
        model("a", read, encrypted(Service::SecretsManager, "a/", None)),
        model("events", send, shared("events-q", Some("EVENTS_QUEUE"), "tenant_id")),
        model("b", &[NamedAction::GetParameter], encrypted(Service::Ssm, "/b/", Some("B_KEY"))),
        model("c", read, encrypted(Service::SecretsManager, "c/", Some("C_KEY"))),
    ]);
    assert!(m.validate().is_empty(), "{:?}", m.validate());
    let places: Vec<_> = (0..4).map(|i| m.kms_key_place(i)).collect();
    assert_eq!(places, [Some(0), None, Some(1), Some(2)]);
    let compiled = m.compile().unwrap();
    const B: &str = "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f";
    const C: &str = "mrk-0123456789abcdef0123456789abcdef";
    let place = Placement::new(Partition::Aws, "eu-west-1", "123456789012", &[], &[])
        .unwrap()
        .with_queues(&["events-bound"])
        .unwrap()
        .with_kms_keys(&[KEY, B, C])
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&render(&compiled.template, &place, &t("acme"))).unwrap();
    // Each key statement: (its key, the context its condition names).
    let mut keys: Vec<(String, String)> = v["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s.to_string().contains("\"kms:"))
        .map(|s| {
            let resource = s["Resource"].as_array().unwrap();
            assert_eq!(resource.len(), 1, "one key per statement: {s}");
            let key = resource[0].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
            let condition = s["Condition"]["StringLike"].as_object().unwrap();
            assert_eq!(condition.len(), 1, "{s}");
            let (_, patterns) = condition.iter().next().unwrap();
            (key, patterns.to_string())
        })
        .collect();
    keys.sort();
    let secret = |p: &str| format!(r#"["arn:aws:secretsmanager:eu-west-1:123456789012:secret:{p}acme/*"]"#);
    let mut expected = vec![
        (KEY.to_owned(), secret("a/")),
        (B.to_owned(), r#"["arn:aws:ssm:eu-west-1:123456789012:parameter/b/acme/*"]"#.to_owned()),
        (C.to_owned(), secret("c/")),
    ];
    expected.sort();
    assert_eq!(keys, expected, "{v}");
    let text = v.to_string();
    assert!(text.contains(":sqs:eu-west-1:123456789012:events-bound"), "{text}");
    // The role policy of the placed model: each key under its own declaration's names only.
    let role = crate::role_policy(&[&m.kms_keys_placed(&[KEY, B, C]).queues_placed(&["events-bound"])], false);
    let role: serde_json::Value = serde_json::from_str(&role).unwrap();
    for s in role["Statement"].as_array().unwrap().iter().filter(|s| s.to_string().contains("\"kms:")) {
        let key = s["Resource"][0].as_str().unwrap();
        let names = s["Condition"]["StringLike"].to_string();
        let own = if key.ends_with(KEY) {
            "secret:a/*"
        } else if key.ends_with(B) {
            "parameter/b/*"
        } else {
            "secret:c/*"
        };
        assert!(names.contains(own) && names.matches("arn:").count() == 1, "{key}: {names}");
    }
}
