//! The orders example as one application: the template `policies template` writes for the
//! functions in `examples/orders/template.args` (the same template `scripts/test.sh` lints with
//! cfn-lint and `docs/DEPLOYING.md` deploys), read as CloudFormation would read it. Every
//! function has an execution role of its own, every handler's binding is in its function's
//! environment, no parameter serves two variables, and the data role trusts exactly the
//! functions' execution roles. Beside it, a template of this binary's own handlers with a queue
//! every tenant's messages share, bound at run time, linted with cfn-lint and its data role
//! proven with iam-simulate, and one with a customer-managed KMS key bound at run time, linted
//! with cfn-lint, its parameter's `AllowedPattern` held to what a key id is.

use orders_example as _;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use tenant_isolation::HandlerSpec;
use tenant_isolation::audit::{registered_handlers, vars};
use tenant_isolation_audit::{Output, run_from};
use tenant_isolation_tests::{tools_dir, workspace_root};

/// The arguments of `examples/orders/template.args` (one a line; `#` comments and empty lines
/// skipped, as `scripts/test.sh` reads them).
fn args() -> Vec<String> {
    let path = workspace_root().join("examples/orders/template.args");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

fn template() -> Value {
    let args = args();
    match run_from(["policies", "template"].into_iter().map(str::to_owned).chain(args.clone())) {
        Ok(Output::Json(t)) => t,
        other => panic!("policies template {args:?}: {other:?}"),
    }
}

fn of_type<'t>(t: &'t Value, kind: &str) -> BTreeMap<&'t str, &'t Value> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(k, r)| (k.as_str(), r))
        .collect()
}

/// `{"Fn::GetAtt": [id, "Arn"]}` → `id`.
fn arn_of(v: &Value) -> &str {
    match v["Fn::GetAtt"].as_array().map(Vec::as_slice) {
        Some([id, attribute]) if attribute == "Arn" => id.as_str().unwrap(),
        _ => panic!("not an Fn::GetAtt of an ARN: {v}"),
    }
}

/// The handler a function's metadata names.
fn handler(path: &str) -> &'static HandlerSpec {
    registered_handlers()
        .into_iter()
        .find(|h| format!("{}::{}", h.module_path(), h.name()) == path)
        .unwrap_or_else(|| panic!("no linked handler `{path}`"))
}

fn handlers_of(function: &Value) -> Vec<&'static HandlerSpec> {
    let listed = function["Metadata"]["TenantIsolation"]["Handlers"].as_array().unwrap();
    assert!(!listed.is_empty(), "{function}");
    listed.iter().map(|p| handler(p.as_str().unwrap())).collect()
}

/// Every statement's actions, as a list.
fn actions(statement: &Value) -> Vec<&str> {
    match &statement["Action"] {
        Value::String(one) => vec![one.as_str()],
        many => many.as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect(),
    }
}

#[test]
fn every_function_has_an_execution_role_of_its_own() {
    let t = template();
    let functions = of_type(&t, "AWS::Serverless::Function");
    let roles = of_type(&t, "AWS::IAM::Role");
    // One function per `--function`.
    assert_eq!(functions.len(), args().len());
    let mut seen = BTreeSet::new();
    for (id, f) in &functions {
        let role = arn_of(&f["Properties"]["Role"]);
        assert!(seen.insert(role), "{id} shares the execution role {role}");
        let role = roles.get(role).unwrap_or_else(|| panic!("{id}: {role} is no role of the template"));
        let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"];
        assert_eq!(
            trust,
            &json!([{ "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" }])
        );
        // Its logs and the data roles; never a table or a bucket of its own.
        let policies = role["Properties"]["Policies"].as_array().unwrap();
        assert_eq!(policies.len(), 1);
        for statement in policies[0]["PolicyDocument"]["Statement"].as_array().unwrap() {
            match actions(statement)[..] {
                ["logs:CreateLogStream", "logs:PutLogEvents"] => {
                    let log_group = statement["Resource"]["Fn::Sub"].as_str().unwrap();
                    let name = f["Properties"]["FunctionName"]["Fn::Sub"].as_str().unwrap();
                    assert!(log_group.ends_with(&format!(":log-group:/aws/lambda/{name}:*")), "{id}: {log_group}");
                }
                ["sts:AssumeRole"] => assert_eq!(arn_of(&statement["Resource"]), "TenantDataRole", "{id}"),
                ["sts:AssumeRole", "sts:TagSession"] => assert_eq!(arn_of(&statement["Resource"]), "TenantTagRole"),
                // A record handler's event source mapping polls with the execution role: its own
                // queue, or its table's stream (the records, never the table's items).
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"] => {
                    let queue = &f["Properties"]["Events"]["Queue"]["Properties"]["Queue"];
                    assert_eq!(&statement["Resource"], queue, "{id}: polls a queue not its own");
                }
                ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"] => {
                    let stream = statement["Resource"]["Ref"].as_str().unwrap_or_default();
                    assert!(stream.ends_with("StreamArn"), "{id}: {stream}");
                    assert_eq!(f["Properties"]["Events"]["Stream"]["Properties"]["Stream"]["Ref"], stream, "{id}");
                }
                ["dynamodb:ListStreams"] => {
                    let resource = statement["Resource"]["Fn::Sub"].as_str().unwrap_or_default();
                    assert!(resource.ends_with("/stream/*"), "{id}: {resource}");
                }
                ref other => panic!("{id}: unexpected actions {other:?} in its execution role"),
            }
        }
    }
}

#[test]
fn every_handler_binding_is_in_its_function_environment() {
    let t = template();
    for (id, f) in of_type(&t, "AWS::Serverless::Function") {
        let env = f["Properties"]["Environment"]["Variables"].as_object().unwrap();
        let handlers = handlers_of(f);
        let bound = handlers.iter().flat_map(|h| {
            let tables = h.tables().iter().map(|t| &t.table);
            let buckets = h.buckets().iter().map(|b| &b.bucket);
            tables.chain(buckets).chain(h.model().shared_queues().map(|q| &q.queue)).collect::<Vec<_>>()
        });
        for name in bound {
            let Some(var) = name.env_var() else { continue };
            let parameter = env.get(var).unwrap_or_else(|| panic!("{id}: `{var}` is not in its environment"));
            let parameter = parameter["Ref"].as_str().unwrap_or_else(|| panic!("{id}: `{var}` = {parameter}"));
            assert_eq!(t["Parameters"][parameter]["Default"], name.declared(), "{id}: {var}");
        }
        // The runtime's own settings: the data-access role, the partition key, the token.
        assert_eq!(arn_of(&env[vars::ROLE_ARN]), "TenantDataRole", "{id}");
        let tables = handlers.iter().any(|h| !h.tables().is_empty());
        assert_eq!(
            env.get(vars::PARTITION_KEY),
            tables.then(|| json!({ "Ref": "TenantPartitionKey" })).as_ref(),
            "{id}"
        );
        // Token settings only where a handler verifies tokens: a record handler's function has none.
        let events: Vec<&str> = f["Properties"]["Events"]
            .as_object()
            .map(|e| e.values().filter_map(|e| e["Type"].as_str()).collect())
            .unwrap_or_default();
        let records = !events.is_empty() && events.iter().all(|t| ["SQS", "DynamoDB"].contains(t));
        if records {
            for var in [vars::JWT_ISSUER, vars::JWT_AUDIENCE, vars::CLAIM] {
                assert!(env.get(var).is_none(), "{id}: a record handler's function has `{var}`");
            }
            continue;
        }
        assert_eq!(env[vars::JWT_ISSUER], json!({ "Ref": "TenantJwtIssuer" }), "{id}");
        assert_eq!(env[vars::JWT_AUDIENCE], json!({ "Fn::Join": [",", { "Ref": "TenantJwtAudience" }] }), "{id}");
        assert_eq!(env[vars::CLAIM], "custom:tenant_id", "{id}");
    }
}

#[test]
fn no_parameter_serves_two_variables() {
    let t = template();
    let mut served: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let variables: BTreeSet<&str> = registered_handlers()
        .iter()
        .flat_map(|h| {
            h.tables().iter().map(|t| &t.table).chain(h.buckets().iter().map(|b| &b.bucket)).collect::<Vec<_>>()
        })
        .filter_map(|n| n.env_var())
        .collect();
    for (_, f) in of_type(&t, "AWS::Serverless::Function") {
        for (var, value) in f["Properties"]["Environment"]["Variables"].as_object().unwrap() {
            if let (true, Some(parameter)) = (variables.contains(var.as_str()), value["Ref"].as_str()) {
                served.entry(parameter.to_owned()).or_default().insert(var.clone());
            }
        }
    }
    assert_eq!(served.len(), 3, "ORDERS_TABLE, CUSTOMERS_TABLE, ATTACHMENTS_BUCKET: {served:?}");
    for (parameter, vars) in served {
        assert_eq!(vars.len(), 1, "`{parameter}` serves {vars:?}");
        let var = vars.first().unwrap();
        let description = t["Parameters"][&parameter]["Description"].as_str().unwrap();
        assert!(description.contains(&format!("that `{var}` binds")), "{parameter}: {description}");
    }
}

#[test]
fn the_data_role_trusts_exactly_the_functions_execution_roles() {
    let t = template();
    let data = &t["Resources"]["TenantDataRole"]["Properties"];
    let statements = data["AssumeRolePolicyDocument"]["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1);
    let trust = &statements[0];
    assert_eq!((&trust["Effect"], actions(trust)), (&json!("Allow"), vec!["sts:AssumeRole"]), "no sts:TagSession");
    // The account, which always exists (no dependency on the execution roles), narrowed to the
    // execution roles' ARNs.
    assert_eq!(
        trust["Principal"],
        json!({ "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } })
    );
    let condition = trust["Condition"].as_object().unwrap();
    assert_eq!(condition.keys().collect::<Vec<_>>(), ["ArnEquals"]);
    let trusted: BTreeSet<&str> = condition["ArnEquals"]["aws:PrincipalArn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arn| {
            let arn = arn["Fn::Sub"].as_str().unwrap();
            arn.strip_prefix("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/").unwrap_or_else(|| panic!("{arn}"))
        })
        .collect();
    let roles = of_type(&t, "AWS::IAM::Role");
    let execution: BTreeSet<&str> = of_type(&t, "AWS::Serverless::Function")
        .values()
        .map(|f| roles[arn_of(&f["Properties"]["Role"])]["Properties"]["RoleName"]["Fn::Sub"].as_str().unwrap())
        .collect();
    assert_eq!(trusted, execution);
    assert_eq!(execution.len(), args().len());
    // The data role itself names no execution role (CloudFormation would see a cycle).
    assert!(!data.to_string().contains("ExecutionRole\""), "{data}");
}

#[test]
fn the_rest_api_function_gets_the_lambda_tenant_id_from_the_verified_claim() {
    let t = template();
    let api = &t["Resources"]["OrdersApiFunction"]["Properties"];
    assert_eq!(api["TenancyConfig"], json!({ "TenantIsolationMode": "PER_TENANT" }));
    let env = &api["Environment"]["Variables"];
    assert_eq!(env[vars::LAMBDA_TENANT_ID], "required");
    // Without it, lambda_http puts the stage in front of every path and the router 404s.
    assert_eq!(env["AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH"], "true");
    let body = &t["Resources"]["TenantRestApi"]["Properties"]["DefinitionBody"];
    for path in ["/", "/{proxy+}"] {
        let operation = &body["paths"][path]["x-amazon-apigateway-any-method"];
        assert_eq!(operation["security"], json!([{ "TenantCognito": [] }]), "{path}");
        let integration = &operation["x-amazon-apigateway-integration"];
        assert_eq!(
            integration["requestParameters"],
            json!({ "integration.request.header.X-Amz-Tenant-Id": "context.authorizer.claims.custom:tenant_id" })
        );
        assert!(integration["uri"]["Fn::Sub"].as_str().unwrap().contains("${OrdersApiFunction.Arn}"), "{path}");
    }
    // The HTTP API's functions: no tenant isolation mode (an HTTP API cannot pass a tenant id).
    let get = &t["Resources"]["GetOrderFunction"]["Properties"];
    assert!(get.get("TenancyConfig").is_none());
    assert_eq!(
        get["Events"]["Api1"]["Properties"],
        json!({ "ApiId": { "Ref": "TenantHttpApi" }, "Method": "GET", "Path": "/orders/{id}" })
    );
}

/// The functions of a template with a shared queue bound at run time: `relay` sends to the
/// queue `ORDER_EVENTS_QUEUE` binds (`named_handlers.rs`); `create_order` beside it has a table,
/// a secret, a parameter and per-tenant FIFO queues it sends to and receives from, so the data
/// role also grants receives, on every tenant's `jobs-*`.
const SHARED_QUEUE_FUNCTIONS: [&str; 2] =
    ["--function=relay=sqs:named_handlers::relay", "--function=create-order=http-api:named_handlers::create_order"];

/// A queue every tenant's messages share, named at run time: the template declares its
/// variable's parameter (`ORDER_EVENTS_QUEUE` → `OrderEventsQueue`), sets the variable on the
/// function, and its data role sends to exactly the queue the parameter names and does nothing
/// else there (iam-simulate, `tests/policy/prove_template.mjs --queue`, whose mutants, the role
/// naming the declared name instead and the queue widened with a `*`, are caught). cfn-lint
/// finds nothing in the template, and finds the undeclared parameter in a canary without it
/// (the template as it was written before `queue_env` was a binding).
#[test]
fn a_shared_queue_bound_at_run_time_lints_and_is_sent_to_only_where_its_parameter_names() {
    let args = SHARED_QUEUE_FUNCTIONS.map(str::to_owned);
    let t = match run_from(["policies", "template"].into_iter().map(str::to_owned).chain(args.clone())) {
        Ok(Output::Json(t)) => t,
        other => panic!("policies template {args:?}: {other:?}"),
    };
    assert_eq!(t["Parameters"]["OrderEventsQueue"]["Default"], "order-events");
    let env = &t["Resources"]["RelayFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(env["ORDER_EVENTS_QUEUE"], json!({ "Ref": "OrderEventsQueue" }));

    let mut canary = t.clone();
    canary["Parameters"].as_object_mut().unwrap().remove("OrderEventsQueue");
    let lint = Linted::new("shared-queue-template", &[("template.json", &t), ("canary.json", &canary)]);
    let (dir, findings, of) = (&lint.dir, &lint.findings, |file| lint.of(file));
    assert_eq!(of("template.json"), Vec::<&str>::new(), "cfn-lint:\n{findings}");
    assert!(
        of("canary.json").iter().any(|l| l.contains("OrderEventsQueue")),
        "cfn-lint does not see the undeclared parameter of the canary:\n{findings}"
    );

    let proof = Command::new("node")
        .arg(workspace_root().join("tests/policy/prove_template.mjs"))
        .args(["template.json", "--queue", "OrderEventsQueue", "--mutants"])
        .current_dir(dir)
        .output()
        .expect("node runs (scripts/setup-tools.sh installs iam-simulate)");
    let said = String::from_utf8_lossy(&proof.stdout).into_owned() + &String::from_utf8_lossy(&proof.stderr);
    println!("{said}");
    assert!(proof.status.success(), "{said}");
    assert!(said.contains("ok   TenantDataRole sends to the shared queue OrderEventsQueue names"), "{said}");
    assert_eq!(said.matches("ok   mutant of OrderEventsQueue on TenantDataRole").count(), 2, "{said}");
}

/// The key id `rotate_vault` declares, its parameter's default.
const VAULT_KEY: &str = "5d8f2c1a-7b3e-4f60-9a1d-2e4c6b8a0f13";

/// Reads and rotates its tenant's vault secrets, encrypted with the customer-managed KMS key
/// `VAULT_KEY` binds (the declared id while it is unset).
#[tenant_isolation::tenant_isolated(secrets(vault(
    prefix = "vaultit/",
    actions = [GetSecretValue, PutSecretValue],
    kms_key = "5d8f2c1a-7b3e-4f60-9a1d-2e4c6b8a0f13",
    kms_key_env = "VAULT_KEY"
)))]
async fn rotate_vault(
    vault: tenant_isolation::TenantSecrets,
    request: lambda_http::Request,
) -> Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error> {
    let _ = (vault, request);
    Ok(lambda_http::Response::new(lambda_http::Body::Empty))
}

/// A KMS key bound at run time: the template declares its variable's parameter (`VAULT_KEY` →
/// `VaultKey`, the declared id its default), sets the variable on the function, and its data role
/// uses exactly the key the parameter names. cfn-lint finds nothing in the template, finds the
/// undeclared parameter in a canary without it (the template as it was written before
/// `kms_key_env` was a binding), and finds a canary's default `*` refused by the `AllowedPattern`
/// (E2015), which it evaluates. The pattern accepts exactly a key id (core's
/// `is_valid_kms_key_id`, whose cases these are), evaluated by Python's `re` as CloudFormation's
/// Java regex would (whole value, no flags): a `*`, an alias or an ARN would put the role's grant
/// on some other key, or on every key.
#[test]
fn a_kms_key_bound_at_run_time_lints_and_its_parameter_takes_only_a_key_id() {
    let args = ["--function=vault=sqs:template::rotate_vault".to_owned()];
    let t = match run_from(["policies", "template"].into_iter().map(str::to_owned).chain(args.clone())) {
        Ok(Output::Json(t)) => t,
        other => panic!("policies template {args:?}: {other:?}"),
    };
    let parameter = &t["Parameters"]["VaultKey"];
    assert_eq!(parameter["Default"], VAULT_KEY, "{parameter}");
    let pattern = parameter["AllowedPattern"].as_str().unwrap_or_else(|| panic!("no AllowedPattern: {parameter}"));
    let env = &t["Resources"]["VaultFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(env["VAULT_KEY"], json!({ "Ref": "VaultKey" }));
    let policy = t["Resources"]["TenantDataRole"]["Properties"]["Policies"][0]["PolicyDocument"].to_string();
    assert!(
        policy.contains(r#"{"Fn::Sub":"arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${VaultKey}"}"#),
        "{policy}"
    );
    assert!(!t.to_string().contains("{{"), "a placeholder is left: {t:#}");

    let mut undeclared = t.clone();
    undeclared["Parameters"].as_object_mut().unwrap().remove("VaultKey");
    let mut wildcard = t.clone();
    wildcard["Parameters"]["VaultKey"]["Default"] = json!("*");
    let lint = Linted::new(
        "kms-template",
        &[("template.json", &t), ("undeclared.json", &undeclared), ("wildcard.json", &wildcard)],
    );
    let (findings, of) = (&lint.findings, |file| lint.of(file));
    assert_eq!(of("template.json"), Vec::<&str>::new(), "cfn-lint:\n{findings}");
    assert!(
        of("undeclared.json").iter().any(|l| l.contains("VaultKey")),
        "cfn-lint does not see the undeclared parameter of the canary:\n{findings}"
    );
    assert!(
        of("wildcard.json").iter().any(|l| l.contains(":E2015:")),
        "cfn-lint does not refuse the default `*` by the AllowedPattern:\n{findings}"
    );

    assert_eq!(pattern, tenant_isolation::model::KMS_KEY_ID_PATTERN);
}

/// Templates written into a directory of their own and linted there by cfn-lint (the directory
/// is removed when this is dropped).
struct Linted {
    dir: std::path::PathBuf,
    /// cfn-lint's findings, `file:line:column:rule:message` per line.
    findings: String,
}

impl Linted {
    fn new(label: &str, templates: &[(&str, &Value)]) -> Linted {
        let dir = std::env::temp_dir().join(format!("ti-{label}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, t) in templates {
            std::fs::write(dir.join(name), serde_json::to_string_pretty(t).unwrap()).unwrap();
        }
        let cfn_lint = tools_dir().join("venv/bin/cfn-lint");
        assert!(cfn_lint.is_file(), "{} not found: run `bash scripts/setup-tools.sh` first", cfn_lint.display());
        let lint = Command::new(&cfn_lint)
            .args(["--format", "parseable"])
            .args(templates.iter().map(|(name, _)| name))
            .current_dir(&dir)
            .output()
            .expect("cfn-lint runs");
        let findings = String::from_utf8_lossy(&lint.stdout).into_owned() + &String::from_utf8_lossy(&lint.stderr);
        Linted { dir, findings }
    }

    /// The findings in `file`.
    fn of(&self, file: &str) -> Vec<&str> {
        self.findings.lines().filter(|l| l.starts_with(&format!("{file}:"))).collect()
    }
}

impl Drop for Linted {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Which values of `values` Python's `re.fullmatch` finds in `pattern`: the whole value, no
/// flags, as CloudFormation's `AllowedPattern` (a Java regex) reads these simple patterns.
fn fullmatch(pattern: &str, values: &[&str]) -> Vec<bool> {
    let python = tools_dir().join("venv/bin/python");
    let script = "import re, sys\nfor value in sys.argv[2:]:\n    print(bool(re.fullmatch(sys.argv[1], value)))";
    let run = Command::new(&python).args(["-c", script, pattern]).args(values).output().expect("python runs");
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{said}{}", String::from_utf8_lossy(&run.stderr));
    said.lines().map(|l| l == "True").collect()
}

/// Every bound name's and key's CloudFormation `AllowedPattern` accepts exactly what core's
/// validator of its kind accepts, over each validator's edge cases: a table, bucket or queue name
/// or a key id written into the data roles' ARNs when the stack is created, before any runtime
/// reads it, so a `*` (every table, bucket, queue or key of the account) must not pass the stack
/// where the runtime would refuse it. The expectation is the validator's own answer, never a list
/// written here.
#[test]
fn every_bound_parameters_pattern_accepts_exactly_its_validators_values() {
    use tenant_isolation::model::{
        BUCKET_NAME_PATTERN, DYNAMODB_NAME_PATTERN, KMS_KEY_ID_PATTERN, QUEUE_NAME_PATTERN, is_valid_bucket_name,
        is_valid_dynamodb_name, is_valid_kms_key_id, is_valid_queue_name,
    };
    let widening = ["*", "", "a*", "Orders*", "${AWS::AccountId}", "a?c", "a/b", "a b", "x\n"];
    let long = |n: usize| "a".repeat(n);
    let (t255, t256, b63, b64, q80, q81, f75, f76) = (
        long(255),
        long(256),
        long(63),
        long(64),
        long(80),
        long(81),
        format!("{}.fifo", long(75)),
        format!("{}.fifo", long(76)),
    );
    /// A pattern, the validator it must agree with, and the validator's edge cases.
    type Kind<'a> = (&'a str, fn(&str) -> bool, Vec<&'a str>);
    let kinds: [Kind<'_>; 4] = [
        (
            DYNAMODB_NAME_PATTERN,
            is_valid_dynamodb_name,
            vec!["Orders", "a.b-c_D", "ab", "abc", &t255, &t256, "Or#ders"],
        ),
        (
            BUCKET_NAME_PATTERN,
            is_valid_bucket_name,
            vec!["files-prod", "a.b", "ab", "abc", &b63, &b64, "-abc", "abc-", "Files", ".abc", "abc."],
        ),
        (
            QUEUE_NAME_PATTERN,
            is_valid_queue_name,
            vec!["order-events", "a", "x.fifo", ".fifo", "a.fifo.fifo", "a.b", &q80, &q81, &f75, &f76, "fifo"],
        ),
        (
            KMS_KEY_ID_PATTERN,
            is_valid_kms_key_id,
            vec![
                "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f",
                "mrk-0123456789abcdef0123456789abcdef",
                "0B4F5E0C-2A1D-4C3B-9E8F-7A6B5C4D3E2F",
                "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2",
                "0b4f5e0c2a1d4c3b9e8f7a6b5c4d3e2f0000",
                "mrk-0123456789abcdef0123456789abcde",
                "alias/aws/secretsmanager",
                "arn:aws:kms:eu-west-1:123456789012:key/0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f",
            ],
        ),
    ];
    for (pattern, valid, cases) in kinds {
        let cases: Vec<&str> = cases.into_iter().chain(widening).collect();
        let expected: Vec<bool> = cases.iter().map(|c| valid(c)).collect();
        assert_eq!(fullmatch(pattern, &cases), expected, "{pattern} over {cases:?}");
        assert!(
            expected.iter().any(|v| *v) && !valid("*"),
            "{pattern}: the cases hold a valid value and `*` is not one"
        );
    }
}

/// Whether a shared queue may be bound to `name` among `linked`: a queue name that no per-tenant
/// queue rule of theirs gives a tenant (core's `is_valid_queue_name` and `NameRule::tenant_of`,
/// what the runtime's claims compare).
fn shared_queue_may_be(name: &str, linked: &[&'static HandlerSpec]) -> bool {
    let rules = linked.iter().flat_map(|h| h.model().named.iter()).filter(|n| !n.names.is_shared());
    tenant_isolation::model::is_valid_queue_name(name)
        && rules
            .filter(|n| n.service() == tenant_isolation::model::Service::Sqs)
            .all(|n| n.names.tenant_of(name).is_none())
}

/// The parameter of a shared queue bound at run time takes a queue name that is no tenant's own
/// queue under any per-tenant queue rule of the binary (red-team review): bound to `jobs-all`,
/// tenant `all` of `create_order`'s `jobs-` FIFO queues (or of any other function's queues, in
/// another process that no runtime claim compares) would receive every tenant's messages, and
/// `*` would have the data role (and the session-tag role, which no session policy narrows) send
/// to every queue of the account. The `AllowedPattern` agrees with the runtime's own reading
/// over every rule's tenants' names and look-alikes, evaluated by Python's `re` as
/// CloudFormation's Java regex would (whole value; both have lookaheads), and cfn-lint refuses a
/// canary's default that is a tenant's queue (E2015).
#[test]
fn a_shared_queues_parameter_takes_no_tenants_own_queue() {
    let args = SHARED_QUEUE_FUNCTIONS.map(str::to_owned);
    let t = match run_from(["policies", "template"].into_iter().map(str::to_owned).chain(args.clone())) {
        Ok(Output::Json(t)) => t,
        other => panic!("policies template {args:?}: {other:?}"),
    };
    let parameter = &t["Parameters"]["OrderEventsQueue"];
    let pattern = parameter["AllowedPattern"].as_str().unwrap_or_else(|| panic!("no AllowedPattern: {parameter}"));
    let linked = registered_handlers();
    let mut cases: Vec<String> =
        ["order-events", "order-events.fifo", "audit-trail.fifo", "*", "jobs-*", "", ".fifo", "a.b", "x\n"]
            .map(str::to_owned)
            .into();
    cases.push("q".repeat(80));
    cases.push("q".repeat(81));
    cases.push(format!("{}.fifo", "q".repeat(75)));
    cases.push(format!("{}.fifo", "q".repeat(76)));
    for n in linked.iter().flat_map(|h| h.model().named.iter()) {
        if n.service() != tenant_isolation::model::Service::Sqs || n.names.is_shared() {
            continue;
        }
        let prefix = n.names.prefix();
        for rest in ["all", "acme", "acme-2", "a.fifo", "all.fifo", "", "a/b", &"t".repeat(64), &"t".repeat(65)] {
            cases.push(format!("{prefix}{rest}"));
        }
    }
    cases.sort();
    cases.dedup();
    let expected: Vec<bool> = cases.iter().map(|c| shared_queue_may_be(c, &linked)).collect();
    assert!(expected.iter().any(|e| *e) && expected.iter().any(|e| !*e), "{cases:?}");
    assert!(!shared_queue_may_be("jobs-all.fifo", &linked), "create_order's FIFO queues are among the rules");
    let matched = fullmatch(pattern, &cases.iter().map(String::as_str).collect::<Vec<_>>());
    let disagree: Vec<(&String, bool)> =
        cases.iter().zip(&matched).zip(&expected).filter(|((_, m), e)| m != e).map(|((c, m), _)| (c, *m)).collect();
    assert_eq!(disagree, [], "{pattern}: (name, what the pattern says) where the runtime says otherwise");

    let mut own = t.clone();
    own["Parameters"]["OrderEventsQueue"]["Default"] = json!("jobs-all.fifo");
    let lint = Linted::new("shared-queue-pattern", &[("template.json", &t), ("own.json", &own)]);
    let (findings, of) = (&lint.findings, |file| lint.of(file));
    assert_eq!(of("template.json"), Vec::<&str>::new(), "cfn-lint:\n{findings}");
    assert!(of("own.json").iter().any(|l| l.contains(":E2015:")), "cfn-lint takes a tenant's queue:\n{findings}");
}
