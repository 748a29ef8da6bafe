//! The audit over real handlers: two `#[tenant_isolated]` functions registered in this test
//! binary, one on a fixed table, one whose table comes from `AUDIT_TEST_THINGS_TABLE` (never
//! set here, so its declared name is used) and which queries an index.

use clap::error::ErrorKind;
use serde_json::{Value, json};
use tenant_isolation_audit::{AuditError, CliError, Output, render_json, role_json, run_from};
use tenant_isolation_core::PlacementError;

/// A handler on a fixed table.
pub mod a {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantTable, tenant_isolated};

    /// Reads one item.
    #[tenant_isolated(table = "Audit", actions = [GetItem])]
    pub async fn get_thing(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
        let _ = (table, request);
        Ok(Response::new(Body::Empty))
    }
}

/// A handler whose table comes from the environment, with an index.
pub mod b {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantTable, tenant_isolated};

    /// Queries the `ByStatus` index.
    #[tenant_isolated(table = "Things", table_env = "AUDIT_TEST_THINGS_TABLE", indexes = ["ByStatus"], actions = [Query])]
    pub async fn list_things(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
        let _ = (table, request);
        Ok(Response::new(Body::Empty))
    }
}

// The same handler registered a second time, as a binary linking two copies of its crate
// would (this is the registration `#[tenant_isolated]` emits): it is listed once.
tenant_isolation::__private::inventory::submit! {
    tenant_isolation::__private::Registration(a::get_thing::SPEC)
}

const ROLE: &str = "arn:aws-cn:iam::123456789012:role/TenantData";

#[test]
fn the_macro_templates_are_what_the_core_builds() {
    // The role policy is built from the model; the session policies from `template()`.
    for spec in [a::get_thing::SPEC, b::list_things::SPEC] {
        assert_eq!(spec.model().compile().unwrap().template, spec.template());
        assert!(spec.verify().is_ok());
    }
}

#[test]
fn handlers_are_sorted_and_deduplicated() {
    let names: Vec<_> =
        tenant_isolation::audit::registered_handlers().iter().map(|h| (h.module_path(), h.name())).collect();
    assert_eq!(names, [("cli::a", "get_thing"), ("cli::b", "list_things")]);
}

#[test]
fn list_shows_declarations_and_sizes() {
    let list = tenant_isolation_audit::list_json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let get = &list[0];
    assert_eq!(get["handler"], "get_thing");
    assert_eq!(get["module"], "cli::a");
    assert_eq!(get["tables"][0]["table"], "Audit");
    assert_eq!(get["tables"][0]["table_env"], Value::Null);
    assert_eq!(get["tables"][0]["key_prefix"], "TENANT#");
    assert_eq!(get["tables"][0]["actions"], json!(["GetItem"]));
    assert_eq!(get["buckets"], json!([]));
    assert_eq!(get["session_tag"], Value::Null);
    assert_eq!(get["template"]["Statement"][0]["Action"], json!(["dynamodb:GetItem"]));
    let worst = get["worst_case_chars"].as_u64().unwrap();
    assert!(worst > a::get_thing::SPEC.template().len() as u64 && worst <= 2048, "{worst}");
    assert_eq!(list[1]["handler"], "list_things");
    let things = &list[1]["tables"][0];
    assert_eq!(things["table"], "Things");
    assert_eq!(things["table_env"], "AUDIT_TEST_THINGS_TABLE");
    assert_eq!(things["indexes"], json!(["ByStatus"]));
    assert_eq!(things["actions"], json!(["Query"]));
}

#[test]
fn render_fills_partition_account_region_table_and_tenant() {
    let v = render_json("acme", ROLE, "cn-north-1").unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["handler"], "get_thing");
    let st = &v[0]["policy"]["Statement"][0];
    assert_eq!(st["Resource"], json!(["arn:aws-cn:dynamodb:cn-north-1:123456789012:table/Audit"]));
    // Every key the tenant's, at least one key (an empty set is denied), and present.
    assert_eq!(
        st["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
        json!(["TENANT#acme", "TENANT#acme#*"])
    );
    assert_eq!(st["Condition"]["ForAnyValue:StringLike"]["dynamodb:LeadingKeys"], json!(["*"]));
    assert_eq!(st["Condition"]["Null"]["dynamodb:LeadingKeys"], "false");
    // `AUDIT_TEST_THINGS_TABLE` is unset: the declared name. `Query` on the table and on its
    // index, under the same keys, is one statement.
    assert_eq!(v[1]["handler"], "list_things");
    assert_eq!(v[1]["policy"]["Statement"].as_array().unwrap().len(), 1);
    assert_eq!(
        v[1]["policy"]["Statement"][0]["Resource"],
        json!([
            "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/Things",
            "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/Things/index/ByStatus"
        ])
    );
    assert!(!v.to_string().contains("{{"));
}

#[test]
fn render_refuses_what_the_runtime_refuses() {
    match render_json("*", ROLE, "us-east-1") {
        Err(e @ AuditError::Tenant { .. }) => {
            assert_eq!(
                e.to_string(),
                "invalid tenant id \"*\": tenant id has '*' at position 0; only `A-Z`, `a-z`, `0-9`, `_` and `-` are allowed"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(render_json("acme#x", ROLE, "us-east-1"), Err(AuditError::Tenant { .. })));
    assert!(matches!(
        render_json("acme", "arn:aws:iam::123456789012:user/bob", "us-east-1"),
        Err(AuditError::RoleArn(_))
    ));
    assert!(matches!(
        render_json("acme", ROLE, "us-east-1*"),
        Err(AuditError::Placement { source: PlacementError::Region(_), .. })
    ));
}

#[test]
fn role_policy_is_the_union_with_tables_named() {
    let v = role_json(None, None, &[]).unwrap();
    let policy = &v["data_access_role_policy"];
    // Each table gets its own handlers' actions only.
    let actions_on = |resource: &str| -> Vec<Value> {
        policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["Resource"].as_array().unwrap().iter().any(|r| r == resource))
            .map(|s| s["Action"].clone())
            .collect()
    };
    assert_eq!(
        actions_on("arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/Audit"),
        [json!(["dynamodb:GetItem"])]
    );
    assert_eq!(
        actions_on("arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/Things"),
        [json!(["dynamodb:Query"])]
    );
    assert_eq!(
        actions_on("arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/Things/index/ByStatus"),
        [json!(["dynamodb:Query"])]
    );
    assert_eq!(v["trust_policy"]["Statement"][0]["Principal"]["AWS"], "{{lambda_role_arn}}");
    assert_eq!(v["execution_role_policy"]["Statement"][0]["Resource"], "{{role_arn}}");
    // No session-tag handler, no session-tag role.
    assert_eq!(v["session_tag_role"], Value::Null);

    let v = role_json(Some(ROLE), Some("cn-north-1"), &["arn:aws-cn:iam::123456789012:role/fn"]).unwrap();
    let text = v["data_access_role_policy"].to_string();
    assert!(text.contains("arn:aws-cn:dynamodb:cn-north-1:123456789012:table/Things/index/ByStatus"), "{text}");
    assert!(!text.contains("{{"), "{text}");
    let trust = &v["trust_policy"]["Statement"][0];
    assert_eq!(trust["Principal"]["AWS"], "arn:aws-cn:iam::123456789012:role/fn");
    // No session tags are sent, so no `sts:TagSession`.
    assert_eq!(trust["Action"], "sts:AssumeRole");
    assert_eq!(v["execution_role_policy"]["Statement"][0]["Resource"], ROLE);
}

#[test]
fn role_refuses_bad_or_partial_input() {
    assert!(matches!(role_json(Some(ROLE), None, &[]), Err(AuditError::Incomplete)));
    assert!(matches!(role_json(None, Some("us-east-1"), &[]), Err(AuditError::Incomplete)));
    assert!(matches!(role_json(Some("arn:aws:iam::1:role/x"), Some("us-east-1"), &[]), Err(AuditError::RoleArn(_))));
    assert!(matches!(role_json(None, None, &["fn"]), Err(AuditError::LambdaRoleArn(_))));
}

#[test]
fn cloudformation_uses_sub_and_parameters() {
    let cf = role_json(None, None, &["arn:aws:iam::123456789012:role/fn"]).unwrap()["cloudformation"].take();
    let text = cf.to_string();
    assert_eq!(cf["AWSTemplateFormatVersion"], "2010-09-09");
    // A parameter for the execution role and one per `table_env` variable, defaulting to the
    // declared name; none for a fixed table.
    let parameters = cf["Parameters"].as_object().unwrap();
    assert_eq!(parameters.keys().collect::<Vec<_>>(), ["AuditTestThingsTable", "LambdaExecutionRoleArn"]);
    assert_eq!(parameters["AuditTestThingsTable"]["Type"], "String");
    assert_eq!(parameters["AuditTestThingsTable"]["Default"], "Things");
    assert_eq!(parameters["LambdaExecutionRoleArn"]["Default"], "arn:aws:iam::123456789012:role/fn");

    let role = &cf["Resources"]["TenantDataRole"];
    assert_eq!(role["Type"], "AWS::IAM::Role");
    let properties = &role["Properties"];
    assert_eq!(properties["MaxSessionDuration"], 3600);
    let trust = &properties["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Principal"]["AWS"], json!({ "Ref": "LambdaExecutionRoleArn" }));
    assert_eq!(trust["Action"], "sts:AssumeRole");
    let policies = properties["Policies"].as_array().unwrap();
    assert_eq!(policies.len(), 1);
    let statements = policies[0]["PolicyDocument"]["Statement"].as_array().unwrap();
    let resources: Vec<&Value> = statements.iter().flat_map(|s| s["Resource"].as_array().unwrap()).collect();
    for arn in [
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Audit",
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AuditTestThingsTable}",
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AuditTestThingsTable}/index/ByStatus",
    ] {
        assert!(resources.contains(&&json!({ "Fn::Sub": arn })), "{arn} in {resources:?}");
    }
    for st in statements {
        let condition = &st["Condition"];
        assert_eq!(condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], json!(["TENANT#*"]), "{st}");
        assert_eq!(condition["ForAnyValue:StringLike"]["dynamodb:LeadingKeys"], json!(["*"]), "{st}");
        assert_eq!(condition["Null"]["dynamodb:LeadingKeys"], "false", "{st}");
    }
    assert_eq!(cf["Outputs"]["TenantRoleArn"]["Value"], json!({ "Fn::GetAtt": ["TenantDataRole", "Arn"] }));
    assert!(!text.contains("{{"), "{text}");
    assert!(!text.contains("sts:TagSession"), "{text}");

    // Without `--lambda-role-arn` the parameter has no default.
    let cf = role_json(None, None, &[]).unwrap()["cloudformation"].take();
    assert_eq!(cf["Parameters"]["LambdaExecutionRoleArn"].get("Default"), None);
}

fn cli(args: &[&str]) -> Result<Output, CliError> {
    run_from(std::iter::once("policies").chain(args.iter().copied()))
}

fn json(args: &[&str]) -> Value {
    match cli(args) {
        Ok(Output::Json(v)) => v,
        other => panic!("{args:?}: {other:?}"),
    }
}

#[test]
fn cli_commands_print_json() {
    assert_eq!(json(&["list"]), tenant_isolation_audit::list_json());
    let actions = json(&["actions"]);
    assert_eq!(actions.as_array().unwrap().len(), 12);
    assert_eq!(actions[0], "dynamodb:BatchGetItem");
    let classified = json(&["classify", "GetItem", "dynamodb:Scan", "CreateGlobalTableWitness", "GetIteem"]);
    assert_eq!(classified[0]["allowed"], true);
    assert_eq!(classified[1]["refusal"], "scan");
    assert_eq!(classified[2]["refusal"], "not-tenant-scoped");
    assert_eq!(classified[3]["refusal"], "unknown");
    assert_eq!(
        json(&["render", "--tenant", "acme", "--role-arn", ROLE, "--region=us-east-1"]),
        render_json("acme", ROLE, "us-east-1").unwrap()
    );
    let role = role_json(Some(ROLE), Some("us-east-1"), &[]).unwrap();
    assert_eq!(json(&["role", "--role-arn", ROLE, "--region", "us-east-1"]), role);
    // `--cloudformation`: the template alone, a JSON CloudFormation template.
    let cf = json(&["role", "--cloudformation"]);
    assert_eq!(cf, role["cloudformation"]);
    assert!(cf["Description"].as_str().unwrap().starts_with("The data-access role"), "{cf}");
    // `--lambda-tenant-isolation`: the function's TenancyConfig and the runtime's required setting.
    assert!(role.get("lambda_function_properties").is_none());
    let tenancy = json(&["role", "--lambda-tenant-isolation"]);
    assert_eq!(tenancy["lambda_function_properties"]["TenancyConfig"]["TenantIsolationMode"], "PER_TENANT");
    assert_eq!(
        tenancy["lambda_function_properties"]["Environment"]["Variables"]["TENANT_LAMBDA_TENANT_ID"],
        "required"
    );
    // Printed as pretty JSON with a final newline.
    assert_eq!(Output::Json(json!({ "a": [1] })).to_string(), "{\n  \"a\": [\n    1\n  ]\n}\n");
}

#[test]
fn cli_help_is_output_not_an_error() {
    for args in [&["--help"][..], &["-h"], &["help"], &["help", "render"], &["render", "--help"]] {
        match cli(args) {
            Ok(Output::Text(t)) => assert!(t.contains("Usage: policies"), "{args:?}: {t}"),
            other => panic!("{args:?}: {other:?}"),
        }
    }
    let Ok(Output::Text(help)) = cli(&["--help"]) else { unreachable!() };
    for command in ["list", "render", "role", "template", "actions", "classify"] {
        assert!(help.contains(&format!("  {command} ")), "{command}: {help}");
    }
    assert!(help.contains("0 success, 1 invalid value, 2 usage error"), "{help}");
}

#[test]
fn cli_invalid_values_exit_1() {
    match cli(&["render", "--tenant", "*", "--role-arn", ROLE, "--region", "us-east-1"]) {
        Err(e @ CliError::Invalid(AuditError::Tenant { .. })) => assert_eq!(e.exit_code(), 1),
        other => panic!("{other:?}"),
    }
    for args in [
        &["render", "--tenant", "acme#x", "--role-arn", ROLE, "--region", "us-east-1"][..],
        &["render", "--tenant", "acme", "--role-arn", "arn:aws:iam::123456789012:user/bob", "--region", "us-east-1"],
        &["render", "--tenant", "acme", "--role-arn", ROLE, "--region", "us-east-1*"],
        &["role", "--lambda-role-arn", "fn"],
    ] {
        match cli(args) {
            Err(e @ CliError::Invalid(_)) => assert_eq!(e.exit_code(), 1, "{args:?}"),
            other => panic!("{args:?}: {other:?}"),
        }
    }
}

#[test]
fn cli_usage_errors_exit_2_and_say_why() {
    for (args, kind, message) in [
        (&[][..], ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand, "Usage: policies <COMMAND>"),
        (&["frobnicate"], ErrorKind::InvalidSubcommand, "unrecognized subcommand 'frobnicate'"),
        (&["lsit"], ErrorKind::InvalidSubcommand, "'list'"),
        (
            &["render", "--tenant", "acme", "--region", "us-east-1"],
            ErrorKind::MissingRequiredArgument,
            "required arguments were not provided:\n  --role-arn <ARN>",
        ),
        (&["render", "--tenant"], ErrorKind::InvalidValue, "a value is required for '--tenant <ID>'"),
        (&["render", "--tenant="], ErrorKind::InvalidValue, "a value is required for '--tenant <ID>'"),
        (
            &["render", "--tenant", "a", "--tenant", "b"],
            ErrorKind::ArgumentConflict,
            "'--tenant <ID>' cannot be used multiple times",
        ),
        (&["list", "--tenant", "a"], ErrorKind::UnknownArgument, "unexpected argument '--tenant'"),
        (&["role", "--role-arn", ROLE], ErrorKind::MissingRequiredArgument, "--region <REGION>"),
        (&["role", "--region", "us-east-1"], ErrorKind::MissingRequiredArgument, "--role-arn <ARN>"),
        (&["role", "--cloudformation=yes"], ErrorKind::TooManyValues, "--cloudformation"),
        (&["classify"], ErrorKind::MissingRequiredArgument, "<NAME>..."),
    ] {
        match cli(args) {
            Err(e @ CliError::Usage(_)) => {
                let CliError::Usage(clap) = &e else { unreachable!() };
                let text = e.to_string();
                assert_eq!((clap.kind(), e.exit_code()), (kind, 2), "{args:?}: {text}");
                assert!(text.contains(message), "{args:?}: {text}");
            }
            other => panic!("{args:?} is not a usage error: {other:?}"),
        }
    }
}

#[test]
fn role_trusts_exactly_the_execution_roles_given() {
    const A: &str = "arn:aws:iam::123456789012:role/create-order";
    const B: &str = "arn:aws:iam::123456789012:role/get-order";
    // Two functions with roles of their own: one trust policy for both, nobody else.
    let role = json(&["role", "--lambda-role-arn", A, "--lambda-role-arn", B, "--lambda-role-arn", A]);
    let trust = &role["trust_policy"]["Statement"];
    assert_eq!(trust.as_array().unwrap().len(), 1);
    assert_eq!(trust[0]["Principal"]["AWS"], json!([A, B]), "each role once, in the order given");
    assert_eq!(trust[0]["Action"], "sts:AssumeRole");
    // The template: a parameter per role, each defaulting to its ARN, all of them trusted.
    let cf = json(&["role", "--lambda-role-arn", A, "--lambda-role-arn", B, "--cloudformation"]);
    assert_eq!(cf["Parameters"]["LambdaExecutionRoleArn"]["Default"], A);
    assert_eq!(cf["Parameters"]["LambdaExecutionRoleArn2"]["Default"], B);
    assert_eq!(
        cf["Resources"]["TenantDataRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"],
        json!([{ "Ref": "LambdaExecutionRoleArn" }, { "Ref": "LambdaExecutionRoleArn2" }])
    );
    // One role: as before, a string and one parameter.
    let one = json(&["role", "--lambda-role-arn", A, "--cloudformation"]);
    assert!(one["Parameters"].get("LambdaExecutionRoleArn2").is_none());
    // Every ARN is checked.
    assert!(matches!(
        cli(&["role", "--lambda-role-arn", A, "--lambda-role-arn", "fn"]),
        Err(CliError::Invalid(AuditError::LambdaRoleArn(_)))
    ));
}
