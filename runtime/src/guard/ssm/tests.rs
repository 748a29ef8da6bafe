//! The parameter guard's rules, table-driven: each refusal beside the tenant's own request of
//! the same shape, decided by [`ParameterRules::check`] alone: no scope, no client, no moto.
//! What is decided at signing (a request changed after the check) is `json.rs`'s, tested there
//! and end to end in `tests/it/parameters.rs`.

use super::*;
use crate::guard::cases::{self, Case, case};
use aws_sdk_ssm::operation::add_tags_to_resource::AddTagsToResourceInput;
use aws_sdk_ssm::operation::describe_parameters::DescribeParametersInput;
use aws_sdk_ssm::operation::label_parameter_version::LabelParameterVersionInput;
use aws_sdk_ssm::types::Tag;
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
    HandlerSpec::new("settings", model).unwrap()
}

const PARAMETER_ACTIONS: &[NamedAction] = &[
    NamedAction::DeleteParameter,
    NamedAction::DeleteParameters,
    NamedAction::GetParameter,
    NamedAction::GetParameterHistory,
    NamedAction::GetParameters,
    NamedAction::GetParametersByPath,
    NamedAction::PutParameter,
];

/// `settings`: parameters under `/tenants/<tenant>/`, every action. `flags`: under
/// `/flags/<tenant>/`, `GetParameter` only. `webhooks`: secrets `tenants/<tenant>/…` (a secrets
/// declaration grants nothing on parameters).
static SPEC: LazyLock<HandlerSpec> = LazyLock::new(|| {
    spec(vec![
        named("settings", NameRule::new(Service::Ssm, "/tenants/"), PARAMETER_ACTIONS),
        named("flags", NameRule::new(Service::Ssm, "/flags/"), &[NamedAction::GetParameter]),
        named("webhooks", NameRule::new(Service::SecretsManager, "tenants/"), &[NamedAction::GetSecretValue]),
    ])
});

/// Reads one parameter at a time only: `GetParameter` under `/tenants/<tenant>/`.
static READER: LazyLock<HandlerSpec> = LazyLock::new(|| {
    spec(vec![named("settings", NameRule::new(Service::Ssm, "/tenants/"), &[NamedAction::GetParameter])])
});

fn run(table: Vec<Case<NamedAction>>) {
    cases::run(&ParameterRules::new(&SPEC), table)
}

const FOREIGN: Result<NamedAction, Violation> = Err(Violation::ForeignName(Service::Ssm));
const FOREIGN_PATH: Result<NamedAction, Violation> = Err(Violation::ForeignPath);

fn get(name: &str) -> GetParameterInput {
    GetParameterInput::builder().name(name).build().unwrap()
}

fn get_all(names: &[&str]) -> GetParametersInput {
    GetParametersInput::builder().set_names(Some(names.iter().map(|n| n.to_string()).collect())).build().unwrap()
}

fn delete_all(names: &[&str]) -> DeleteParametersInput {
    DeleteParametersInput::builder().set_names(Some(names.iter().map(|n| n.to_string()).collect())).build().unwrap()
}

fn by_path(path: &str, recursive: bool) -> GetParametersByPathInput {
    GetParametersByPathInput::builder().path(path).recursive(recursive).build().unwrap()
}

fn put(name: &str) -> PutParameterInput {
    PutParameterInput::builder().name(name).value("on").build().unwrap()
}

#[test]
fn each_operation_on_the_tenants_own_parameter_passes_and_on_anothers_is_refused() {
    let own = "/tenants/acme/flags";
    let globex = "/tenants/globex/flags";
    let history = |n: &str| GetParameterHistoryInput::builder().name(n).build().unwrap();
    let delete = |n: &str| DeleteParameterInput::builder().name(n).build().unwrap();
    run(vec![
        case("GetParameter, own", get(own), Ok(NamedAction::GetParameter)),
        case("GetParameter, globex's", get(globex), FOREIGN),
        case("GetParameter, as globex", get(own), FOREIGN).by("globex"),
        case("GetParameter, own, a version", get("/tenants/acme/flags:3"), Ok(NamedAction::GetParameter)),
        case("GetParameter, globex's, a label", get("/tenants/globex/flags:live"), FOREIGN),
        case("GetParameterHistory, own", history(own), Ok(NamedAction::GetParameterHistory)),
        case("GetParameterHistory, globex's", history(globex), FOREIGN),
        case("PutParameter, own", put(own), Ok(NamedAction::PutParameter)),
        case("PutParameter, globex's", put(globex), FOREIGN),
        case("DeleteParameter, own", delete(own), Ok(NamedAction::DeleteParameter)),
        case("DeleteParameter, globex's", delete(globex), FOREIGN),
        case("GetParameter, no name", GetParameterInput::builder().build().unwrap(), FOREIGN),
    ]);
}

#[test]
fn names_that_only_start_like_the_tenants_path_are_refused() {
    run(vec![
        case("`/tenants/acme/x`", get("/tenants/acme/x"), Ok(NamedAction::GetParameter)),
        case("`/tenants/acme/a/b`, deeper", get("/tenants/acme/a/b"), Ok(NamedAction::GetParameter)),
        case("`/tenants/acme-2/x` for acme", get("/tenants/acme-2/x"), FOREIGN),
        case("`/tenants/acme/x` for acme-2", get("/tenants/acme/x"), FOREIGN).by("acme-2"),
        case("`/tenants/acme`, the path itself", get("/tenants/acme"), FOREIGN),
        case("`/tenants/acme/`", put("/tenants/acme/"), FOREIGN),
        case("`tenants/acme/x` without the leading `/`", get("tenants/acme/x"), FOREIGN),
        case("`/acme/x` without the prefix", get("/acme/x"), FOREIGN),
        case("`/tenants/ACME/x`", get("/tenants/ACME/x"), FOREIGN),
        case("`/other/acme/x`", get("/other/acme/x"), FOREIGN),
        case("a public parameter", get("/aws/service/global-infrastructure/regions"), FOREIGN),
        case("`tenants/acme/x`, a secret's name", get("tenants/acme/x"), FOREIGN),
        case("`/tenants/acme/../globex/x`", get("/tenants/acme/../globex/x"), DOTS),
        case("`/tenants/acme/./x`", get("/tenants/acme/./x"), DOTS),
        case("a path `/tenants/acme/..`", by_path("/tenants/acme/..", true), DOTS),
        case(
            "a dotted name that is no segment, `/tenants/acme/x..y`",
            get("/tenants/acme/x..y"),
            Ok(NamedAction::GetParameter),
        ),
    ]);
}

const DOTS: Result<NamedAction, Violation> = Err(Violation::Unsupported("a `.` or `..` segment in a name"));

#[test]
fn one_foreign_name_among_several_refuses_the_request() {
    let (a, b) = ("/tenants/acme/a", "/tenants/acme/b");
    let globex = "/tenants/globex/b";
    run(vec![
        case("GetParameters, every name the tenant's", get_all(&[a, b]), Ok(NamedAction::GetParameters)),
        case("GetParameters, one foreign name", get_all(&[a, globex]), FOREIGN),
        case("GetParameters, the foreign name first", get_all(&[globex, a]), FOREIGN),
        case("GetParameters, `acme-2` among them", get_all(&[a, "/tenants/acme-2/b"]), FOREIGN),
        case(
            "GetParameters, an ARN among them",
            get_all(&[a, "arn:aws:ssm:us-east-1:123456789012:parameter/tenants/acme/b"]),
            Err(Violation::Unsupported("a parameter named by its ARN (name it by its name)")),
        ),
        case("DeleteParameters, every name the tenant's", delete_all(&[a, b]), Ok(NamedAction::DeleteParameters)),
        case("DeleteParameters, one foreign name", delete_all(&[a, globex]), FOREIGN),
        case("DeleteParameters, the path itself among them", delete_all(&[a, "/tenants/acme"]), FOREIGN),
    ]);
}

#[test]
fn by_path_reads_are_confined_to_the_tenants_path() {
    let ok = Ok(NamedAction::GetParametersByPath);
    run(vec![
        case("the tenant's path", by_path("/tenants/acme", false), ok.clone()),
        case("the tenant's path, recursive", by_path("/tenants/acme", true), ok.clone()),
        case("the tenant's path with a trailing `/`", by_path("/tenants/acme/", true), ok.clone()),
        case("a path under the tenant's", by_path("/tenants/acme/flags", true), ok.clone()),
        case("the parent `/tenants`", by_path("/tenants", false), FOREIGN_PATH),
        case("the parent `/tenants`, recursive", by_path("/tenants", true), FOREIGN_PATH),
        case("the parent `/tenants/`, recursive", by_path("/tenants/", true), FOREIGN_PATH),
        case("the root, recursive", by_path("/", true), FOREIGN_PATH),
        case("`/tenants/acme-2`", by_path("/tenants/acme-2", false), FOREIGN_PATH),
        case("`/tenants/acme-2`, recursive", by_path("/tenants/acme-2", true), FOREIGN_PATH),
        case("`/tenants/acme` for acme-2", by_path("/tenants/acme", true), FOREIGN_PATH).by("acme-2"),
        case("`/tenants/globex`", by_path("/tenants/globex", true), FOREIGN_PATH),
        case("`/tenants/acmex`", by_path("/tenants/acmex", true), FOREIGN_PATH),
        case("no path", GetParametersByPathInput::builder().build().unwrap(), FOREIGN_PATH),
        case(
            "a path by ARN",
            by_path("arn:aws:ssm:us-east-1:123456789012:parameter/tenants/acme", true),
            Err(Violation::Unsupported("a parameter named by its ARN (name it by its name)")),
        ),
    ]);
}

#[test]
fn parameters_named_by_arn_are_refused() {
    let arn = Err(Violation::Unsupported("a parameter named by its ARN (name it by its name)"));
    run(vec![
        case("own, by ARN", get("arn:aws:ssm:us-east-1:123456789012:parameter/tenants/acme/flags"), arn.clone()),
        case(
            "a parameter another account shared",
            get("arn:aws:ssm:us-east-1:210987654321:parameter/tenants/acme/flags"),
            arn.clone(),
        ),
        case("PutParameter by ARN", put("arn:aws:ssm:us-east-1:123456789012:parameter/tenants/acme/x"), arn),
    ]);
}

#[test]
fn each_declaration_grants_its_own_actions_on_its_own_names() {
    run(vec![
        case("flags: GetParameter of `/flags/acme/x`", get("/flags/acme/x"), Ok(NamedAction::GetParameter)),
        case("flags: GetParameter of `/flags/globex/x`", get("/flags/globex/x"), FOREIGN),
        // `PutParameter` is declared on `settings` only: not on `/flags/…`.
        case("flags: PutParameter of `/flags/acme/x`", put("/flags/acme/x"), FOREIGN),
        case("flags: by path `/flags/acme`", by_path("/flags/acme", true), FOREIGN_PATH),
    ]);
    cases::run(
        &ParameterRules::new(&READER),
        vec![
            case("reader: GetParameter", get("/tenants/acme/x"), Ok(NamedAction::GetParameter)),
            case(
                "reader: GetParameters",
                get_all(&["/tenants/acme/x"]),
                Err(Violation::UndeclaredNamedAction(NamedAction::GetParameters)),
            ),
            case(
                "reader: GetParametersByPath",
                by_path("/tenants/acme", false),
                Err(Violation::UndeclaredNamedAction(NamedAction::GetParametersByPath)),
            ),
            case(
                "reader: PutParameter",
                put("/tenants/acme/x"),
                Err(Violation::UndeclaredNamedAction(NamedAction::PutParameter)),
            ),
            case(
                "reader: DeleteParameters",
                delete_all(&["/tenants/acme/x"]),
                Err(Violation::UndeclaredNamedAction(NamedAction::DeleteParameters)),
            ),
        ],
    );
}

#[test]
fn fields_that_need_an_action_never_granted_are_refused() {
    let own = "/tenants/acme/flags";
    let tags = Err(Violation::Unsupported("tags on a parameter (`Tags`: `ssm:AddTagsToResource`)"));
    let tag = Tag::builder().key("tenant").value("globex").build().unwrap();
    run(vec![
        case("PutParameter with tags", PutParameterInput::builder().name(own).tags(tag).build().unwrap(), tags.clone()),
        case(
            "PutParameter with an empty tag list",
            PutParameterInput::builder().name(own).set_tags(Some(vec![])).build().unwrap(),
            tags,
        ),
        case(
            "PutParameter overwriting, with a description",
            PutParameterInput::builder().name(own).value("v").overwrite(true).description("d").build().unwrap(),
            Ok(NamedAction::PutParameter),
        ),
    ]);
}

#[test]
fn operations_no_tenant_session_may_send_are_refused() {
    let unlisted = Err(Violation::NamedOperation(Service::Ssm));
    run(vec![
        case("DescribeParameters", DescribeParametersInput::builder().build().unwrap(), unlisted.clone()),
        case(
            "AddTagsToResource on the tenant's own parameter",
            AddTagsToResourceInput::builder().resource_id("/tenants/acme/x").build().unwrap(),
            unlisted.clone(),
        ),
        case(
            "LabelParameterVersion of the tenant's own parameter",
            LabelParameterVersionInput::builder().name("/tenants/acme/x").labels("live").build().unwrap(),
            unlisted,
        ),
    ]);
}

#[test]
fn a_refusal_names_the_operation_it_refused() {
    let rules = ParameterRules::new(&SPEC);
    let acme = TenantId::parse("acme").unwrap();
    let refused = |input: Input| rules.check(&acme, &input).unwrap_err().operation();
    assert_eq!(refused(Input::erase(get("/tenants/globex/x"))), "GetParameter");
    assert_eq!(refused(Input::erase(by_path("/tenants", true))), "GetParametersByPath");
    assert_eq!(refused(Input::erase(DescribeParametersInput::builder().build().unwrap())), "Parameter Store");
}

/// Red team: parameters at the root (`prefix = "/"`) would make tenant `aws` own every name
/// under `/aws/`, the namespace Parameter Store reserves, where
/// `/aws/reference/secretsmanager/<secret-id>` is a Secrets Manager secret read through
/// `GetParameter` (Systems Manager User Guide, "Referencing AWS Secrets Manager secrets from
/// Parameter Store parameters") and `/aws/service/…` are public parameters. A tenant id is often
/// chosen at sign-up; `aws` and `ssm` are valid ones. So the model refuses the root prefix: no
/// spec, hence no guard, has one (it failed before `NameRule::validate` refused it).
#[test]
fn redteam_a_root_prefix_does_not_give_tenant_aws_the_reserved_namespace() {
    let model = HandlerModel {
        tables: Cow::Borrowed(&[]),
        buckets: Cow::Borrowed(&[]),
        named: vec![named("settings", NameRule::new(Service::Ssm, "/"), &[NamedAction::GetParameter])].into(),
        confinement: Confinement::SessionPolicy,
    };
    let refused = HandlerSpec::new("settings", model).expect_err("the root prefix is refused");
    assert!(refused.iter().any(|e| e.to_string().contains("tenant `aws` would own them")), "{refused:?}");
}
