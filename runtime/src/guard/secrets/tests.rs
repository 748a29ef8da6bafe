//! The secret guard's rules, table-driven: each refusal beside the tenant's own request of the
//! same shape, decided by [`SecretRules::check`] alone: no scope, no client, no moto. What is
//! decided at signing (a request changed after the check) is `json.rs`'s, tested there and end
//! to end in `tests/it/secrets.rs`.

use super::*;
use crate::guard::cases::{self, Case, case};
use aws_sdk_secretsmanager::operation::batch_get_secret_value::BatchGetSecretValueInput;
use aws_sdk_secretsmanager::operation::get_random_password::GetRandomPasswordInput;
use aws_sdk_secretsmanager::operation::list_secrets::ListSecretsInput;
use aws_sdk_secretsmanager::operation::put_resource_policy::PutResourcePolicyInput;
use aws_sdk_secretsmanager::operation::replicate_secret_to_regions::ReplicateSecretToRegionsInput;
use aws_sdk_secretsmanager::operation::rotate_secret::RotateSecretInput;
use aws_sdk_secretsmanager::operation::tag_resource::TagResourceInput;
use aws_sdk_secretsmanager::types::{ReplicaRegionType, Tag};
use std::borrow::Cow;
use std::sync::LazyLock;
use tenant_isolation_core::{Confinement, HandlerModel, NameRule, NamedModel};

fn named(name: &'static str, names: NameRule, actions: &'static [NamedAction]) -> NamedModel {
    NamedModel { name: Cow::Borrowed(name), actions: Cow::Borrowed(actions), names }
}

fn spec(named: Vec<NamedModel>) -> HandlerSpec {
    let model = HandlerModel {
        tables: Cow::Borrowed(&[]),
        buckets: Cow::Borrowed(&[]),
        named: named.into(),
        confinement: Confinement::SessionPolicy,
    };
    HandlerSpec::new("webhooks", model).unwrap()
}

const SECRET_ACTIONS: &[NamedAction] = &[
    NamedAction::CreateSecret,
    NamedAction::DeleteSecret,
    NamedAction::DescribeSecret,
    NamedAction::GetSecretValue,
    NamedAction::PutSecretValue,
    NamedAction::UpdateSecret,
];

/// `webhooks`: secrets `tenants/<tenant>/…`, every action. `keys`: secrets `keys/<tenant>/…`,
/// `GetSecretValue` only. `settings`: parameters under `/tenants/<tenant>/` with every action
/// (a parameters declaration grants nothing on secrets).
static SPEC: LazyLock<HandlerSpec> = LazyLock::new(|| {
    spec(vec![
        named("webhooks", NameRule::new(Service::SecretsManager, "tenants/"), SECRET_ACTIONS),
        named("keys", NameRule::new(Service::SecretsManager, "keys/"), &[NamedAction::GetSecretValue]),
        named("settings", NameRule::new(Service::Ssm, "/tenants/"), &[NamedAction::GetParameter]),
    ])
});

/// Reads only: `GetSecretValue` on `tenants/<tenant>/…`.
static READER: LazyLock<HandlerSpec> = LazyLock::new(|| {
    spec(vec![named("webhooks", NameRule::new(Service::SecretsManager, "tenants/"), &[NamedAction::GetSecretValue])])
});

fn run(table: Vec<Case<NamedAction>>) {
    cases::run(&SecretRules::new(&SPEC), table)
}

const FOREIGN: Result<NamedAction, Violation> = Err(Violation::ForeignName(Service::SecretsManager));

fn get(id: &str) -> GetSecretValueInput {
    GetSecretValueInput::builder().secret_id(id).build().unwrap()
}

fn create(name: &str) -> CreateSecretInput {
    CreateSecretInput::builder().name(name).secret_string("s3cr3t").build().unwrap()
}

#[test]
fn each_operation_on_the_tenants_own_secret_passes_and_on_anothers_is_refused() {
    let own = "tenants/acme/stripe";
    let globex = "tenants/globex/stripe";
    let describe = |id: &str| DescribeSecretInput::builder().secret_id(id).build().unwrap();
    let put = |id: &str| PutSecretValueInput::builder().secret_id(id).secret_string("v2").build().unwrap();
    let update = |id: &str| UpdateSecretInput::builder().secret_id(id).description("d").build().unwrap();
    let delete = |id: &str| DeleteSecretInput::builder().secret_id(id).build().unwrap();
    run(vec![
        case("GetSecretValue, own", get(own), Ok(NamedAction::GetSecretValue)),
        case("GetSecretValue, globex's", get(globex), FOREIGN),
        case("GetSecretValue, as globex", get(own), FOREIGN).by("globex"),
        case("DescribeSecret, own", describe(own), Ok(NamedAction::DescribeSecret)),
        case("DescribeSecret, globex's", describe(globex), FOREIGN),
        case("PutSecretValue, own", put(own), Ok(NamedAction::PutSecretValue)),
        case("PutSecretValue, globex's", put(globex), FOREIGN),
        case("UpdateSecret, own", update(own), Ok(NamedAction::UpdateSecret)),
        case("UpdateSecret, globex's", update(globex), FOREIGN),
        case("DeleteSecret, own", delete(own), Ok(NamedAction::DeleteSecret)),
        case("DeleteSecret, globex's", delete(globex), FOREIGN),
        case("CreateSecret, own", create(own), Ok(NamedAction::CreateSecret)),
        case("CreateSecret, globex's", create(globex), FOREIGN),
        case("GetSecretValue, no id", GetSecretValueInput::builder().build().unwrap(), FOREIGN),
        case("CreateSecret, no name", CreateSecretInput::builder().build().unwrap(), FOREIGN),
    ]);
}

/// A name whose `..` would reach globex's folder if any layer normalised it, and one with `.`:
/// refused before signing, whichever layer might read them so.
#[test]
fn names_with_dot_segments_are_refused() {
    let dots = Err(Violation::Unsupported("a `.` or `..` segment in a name"));
    run(vec![
        case("GetSecretValue, `tenants/acme/../globex/stripe`", get("tenants/acme/../globex/stripe"), dots.clone()),
        case("CreateSecret, `tenants/acme/./x`", create("tenants/acme/./x"), dots),
        case(
            "GetSecretValue, `tenants/acme/v1..2`, no segment",
            get("tenants/acme/v1..2"),
            Ok(NamedAction::GetSecretValue),
        ),
    ]);
}

#[test]
fn names_that_only_start_like_the_tenants_folder_are_refused() {
    run(vec![
        case("`tenants/acme/x`", get("tenants/acme/x"), Ok(NamedAction::GetSecretValue)),
        case("`tenants/acme/a/b`, deeper", get("tenants/acme/a/b"), Ok(NamedAction::GetSecretValue)),
        case("`tenants/acme-2/x` for acme", get("tenants/acme-2/x"), FOREIGN),
        case("`tenants/acmex/x` for acme", get("tenants/acmex/x"), FOREIGN),
        case("`tenants/acme/x` for acme-2", get("tenants/acme/x"), FOREIGN).by("acme-2"),
        case("`tenants/acme-2/x` for acme-2", get("tenants/acme-2/x"), Ok(NamedAction::GetSecretValue)).by("acme-2"),
        case("`tenants/acme` without the folder", get("tenants/acme"), FOREIGN),
        case("`tenants/acme/`, the folder itself", create("tenants/acme/"), FOREIGN),
        case("`tenants/ACME/x`", get("tenants/ACME/x"), FOREIGN),
        case("`acme/x` without the prefix", get("acme/x"), FOREIGN),
        case("`/tenants/acme/x` with a leading `/`", get("/tenants/acme/x"), FOREIGN),
        case("`tenants/` alone", get("tenants/"), FOREIGN),
        case("`other/acme/x`, another prefix", get("other/acme/x"), FOREIGN),
        case("`tenants/*`", get("tenants/*"), FOREIGN),
    ]);
}

#[test]
fn secrets_named_by_arn_are_refused() {
    let arn = Err(Violation::Unsupported("a secret named by its ARN (name it by its name)"));
    run(vec![
        case(
            "the tenant's own secret, by full ARN",
            get("arn:aws:secretsmanager:us-east-1:123456789012:secret:tenants/acme/stripe-AbCdEf"),
            arn.clone(),
        ),
        case(
            "the tenant's own secret, by partial ARN",
            get("arn:aws:secretsmanager:us-east-1:123456789012:secret:tenants/acme/stripe"),
            arn.clone(),
        ),
        case(
            "another account's secret, shared by its resource policy",
            get("arn:aws:secretsmanager:us-east-1:210987654321:secret:tenants/acme/stripe-AbCdEf"),
            arn.clone(),
        ),
        case(
            "DeleteSecret by ARN",
            DeleteSecretInput::builder()
                .secret_id("arn:aws:secretsmanager:us-east-1:123456789012:secret:tenants/acme/x")
                .build()
                .unwrap(),
            arn,
        ),
    ]);
}

#[test]
fn each_declaration_grants_its_own_actions_on_its_own_names() {
    let describe = |id: &str| DescribeSecretInput::builder().secret_id(id).build().unwrap();
    run(vec![
        case("keys: GetSecretValue of `keys/acme/x`", get("keys/acme/x"), Ok(NamedAction::GetSecretValue)),
        case("keys: GetSecretValue of `keys/globex/x`", get("keys/globex/x"), FOREIGN),
        // `DescribeSecret` is declared on `webhooks` only: not on `keys/…`.
        case("keys: DescribeSecret of `keys/acme/x`", describe("keys/acme/x"), FOREIGN),
        // A parameters declaration's prefix grants no secret.
        case("`/tenants/acme/x`, a parameter name", get("/tenants/acme/x"), FOREIGN),
    ]);
    let reader = SecretRules::new(&READER);
    cases::run(
        &reader,
        vec![
            case("reader: GetSecretValue", get("tenants/acme/x"), Ok(NamedAction::GetSecretValue)),
            case(
                "reader: DescribeSecret",
                describe("tenants/acme/x"),
                Err(Violation::UndeclaredNamedAction(NamedAction::DescribeSecret)),
            ),
            case(
                "reader: CreateSecret",
                create("tenants/acme/x"),
                Err(Violation::UndeclaredNamedAction(NamedAction::CreateSecret)),
            ),
            case(
                "reader: PutSecretValue of another tenant's",
                PutSecretValueInput::builder().secret_id("tenants/globex/x").build().unwrap(),
                Err(Violation::UndeclaredNamedAction(NamedAction::PutSecretValue)),
            ),
        ],
    );
}

#[test]
fn fields_that_need_an_action_never_granted_are_refused() {
    let own = "tenants/acme/stripe";
    let tag = Tag::builder().key("tenant").value("globex").build();
    let region = ReplicaRegionType::builder().region("eu-west-1").build();
    let tags = Err(Violation::Unsupported("tags on a new secret (`Tags`: `secretsmanager:TagResource`)"));
    let replicas = Err(Violation::Unsupported(
        "replicas of a new secret (`AddReplicaRegions`: `secretsmanager:ReplicateSecretToRegions`)",
    ));
    run(vec![
        case("CreateSecret with tags", CreateSecretInput::builder().name(own).tags(tag).build().unwrap(), tags.clone()),
        case(
            "CreateSecret with an empty tag list",
            CreateSecretInput::builder().name(own).set_tags(Some(vec![])).build().unwrap(),
            tags,
        ),
        case(
            "CreateSecret with a replica region",
            CreateSecretInput::builder().name(own).add_replica_regions(region).build().unwrap(),
            replicas.clone(),
        ),
        case(
            "CreateSecret forcing a replica's overwrite",
            CreateSecretInput::builder().name(own).force_overwrite_replica_secret(true).build().unwrap(),
            replicas,
        ),
        case(
            "CreateSecret with a description and a KMS key",
            CreateSecretInput::builder().name(own).description("d").kms_key_id("alias/k").build().unwrap(),
            Ok(NamedAction::CreateSecret),
        ),
    ]);
}

#[test]
fn operations_no_tenant_session_may_send_are_refused() {
    let unlisted = Err(Violation::NamedOperation(Service::SecretsManager));
    run(vec![
        case("ListSecrets", ListSecretsInput::builder().build().unwrap(), unlisted.clone()),
        case(
            "BatchGetSecretValue of the tenant's own secret",
            BatchGetSecretValueInput::builder().secret_id_list("tenants/acme/x").build().unwrap(),
            unlisted.clone(),
        ),
        case("GetRandomPassword", GetRandomPasswordInput::builder().build().unwrap(), unlisted.clone()),
        case(
            "PutResourcePolicy on the tenant's own secret",
            PutResourcePolicyInput::builder().secret_id("tenants/acme/x").resource_policy("{}").build().unwrap(),
            unlisted.clone(),
        ),
        case(
            "RotateSecret of the tenant's own secret",
            RotateSecretInput::builder().secret_id("tenants/acme/x").build().unwrap(),
            unlisted.clone(),
        ),
        case(
            "TagResource on the tenant's own secret",
            TagResourceInput::builder().secret_id("tenants/acme/x").build().unwrap(),
            unlisted.clone(),
        ),
        case(
            "ReplicateSecretToRegions of the tenant's own secret",
            ReplicateSecretToRegionsInput::builder().secret_id("tenants/acme/x").build().unwrap(),
            unlisted,
        ),
    ]);
}

#[test]
fn a_refusal_names_the_operation_it_refused() {
    let rules = SecretRules::new(&SPEC);
    let acme = TenantId::parse("acme").unwrap();
    let refused = |input: Input| rules.check(&acme, &input).unwrap_err().operation();
    assert_eq!(refused(Input::erase(get("tenants/globex/x"))), "GetSecretValue");
    assert_eq!(refused(Input::erase(create("tenants/globex/x"))), "CreateSecret");
    assert_eq!(refused(Input::erase(ListSecretsInput::builder().build().unwrap())), "Secrets Manager");
    assert_eq!(<SecretRules as RuleSet>::operation(&NamedAction::PutSecretValue), "PutSecretValue");
}
