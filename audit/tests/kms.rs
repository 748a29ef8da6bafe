//! Customer-managed KMS keys in the audit's output: `policies list` prints each declaration's key
//! (`kms_key`, `kms_key_env`); `policies render` and `policies role` name each key by its id, as
//! the runtime binds it, and never leave a `{{kms}}` placeholder; `policies template` and
//! `policies role --cloudformation` make a key bound at run time a parameter (its id, checked by
//! an `AllowedPattern`), set its variable on the functions of the handlers that declare it, and
//! name the key in the data role through the parameter, as a shared queue's. The key bound by its
//! variable alone (no `kms_key` to fall back on) is in `kms_unbound.rs`: every role of this binary
//! could not be written without its variable.

use serde_json::{Value, json};
use tenant_isolation_audit::{
    AuditError, Function, Output, TemplateOptions, list_json, render_json, role_json, run_from, template_json,
};
use tenant_isolation_core::PlacementError;

/// The fixed key of `sign`'s secrets.
const SIGNING_KEY: &str = "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f";
/// The declared key of `K_SETTINGS_KEY`, the id while the variable is unset.
const SETTINGS_KEY: &str = "mrk-0123456789abcdef0123456789abcdef";
/// The id the child processes bind `K_SETTINGS_KEY` to.
const BOUND_KEY: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

/// Handlers with a key written in, a key bound at run time (shared by a secrets and a parameters
/// declaration of two handlers: one key, one variable) and a declaration without a key.
pub mod handlers {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantParameters, TenantSecrets, tenant_isolated};

    /// Reads its tenant's signing secret, encrypted with a key written in.
    #[tenant_isolated(secrets(signing(
        prefix = "signing/",
        actions = [GetSecretValue],
        kms_key = "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f"
    )))]
    pub async fn sign(signing: TenantSecrets, request: Request) -> Result<Response<Body>, Error> {
        let _ = (signing, request);
        Ok(Response::new(Body::Empty))
    }

    /// Reads and writes its tenant's settings, encrypted with the key `K_SETTINGS_KEY` binds.
    #[tenant_isolated(parameters(settings(
        prefix = "/settings/",
        actions = [GetParameter, PutParameter],
        kms_key = "mrk-0123456789abcdef0123456789abcdef",
        kms_key_env = "K_SETTINGS_KEY"
    )))]
    pub async fn settings(settings: TenantParameters, request: Request) -> Result<Response<Body>, Error> {
        let _ = (settings, request);
        Ok(Response::new(Body::Empty))
    }

    /// Rotates its tenant's webhook secret under the same key, through the same variable, and
    /// reads a secret with no key of its own (the AWS managed one).
    #[tenant_isolated(secrets(
        webhooks(
            prefix = "webhooks/",
            actions = [PutSecretValue],
            kms_key = "mrk-0123456789abcdef0123456789abcdef",
            kms_key_env = "K_SETTINGS_KEY"
        ),
        plain(prefix = "plain/", actions = [GetSecretValue]),
    ))]
    pub async fn rotate(
        webhooks: TenantSecrets,
        plain: TenantSecrets,
        request: Request,
    ) -> Result<Response<Body>, Error> {
        let _ = (webhooks, plain, request);
        Ok(Response::new(Body::Empty))
    }
}

/// The handler `name` of `policies list`.
fn listed(name: &str) -> Value {
    list_json().as_array().unwrap().iter().find(|h| h["handler"] == name).unwrap_or_else(|| panic!("{name}")).clone()
}

#[test]
fn list_prints_each_declarations_key_and_the_variable_that_binds_it() {
    let key = |handler: &str, i: usize| {
        let named = &listed(handler)["named"][i];
        (named["name"].clone(), named["kms_key"].clone(), named["kms_key_env"].clone())
    };
    assert_eq!(key("sign", 0), (json!("signing"), json!(SIGNING_KEY), json!(null)));
    assert_eq!(key("settings", 0), (json!("settings"), json!(SETTINGS_KEY), json!("K_SETTINGS_KEY")));
    assert_eq!(key("rotate", 0), (json!("webhooks"), json!(SETTINGS_KEY), json!("K_SETTINGS_KEY")));
    assert_eq!(key("rotate", 1), (json!("plain"), json!(null), json!(null)));
}

/// Every statement on a KMS key of `policy` (a policy document), as `(actions, resources,
/// condition)`.
fn key_statements(policy: &Value) -> Vec<(Value, Value, Value)> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Action"].to_string().contains("kms:"))
        .map(|s| (s["Action"].clone(), s["Resource"].clone(), s["Condition"].clone()))
        .collect()
}

/// The key ARN in `eu-west-1` of account 123456789012.
fn key_arn(id: &str) -> Value {
    json!([format!("arn:aws:kms:eu-west-1:123456789012:key/{id}")])
}

const ROLE: &str = "arn:aws:iam::123456789012:role/TenantData";

/// The data role's statements on keys, with `settings_key` the id `K_SETTINGS_KEY` names: each
/// declaration's KMS actions on its own key, under its own names' encryption context.
fn expected_role_keys(settings_key: &str) -> Vec<(Value, Value, Value)> {
    let context = |key: &str, arn: &str| json!({ "StringLike": { format!("kms:EncryptionContext:{key}"): [arn] } });
    let mut expected = vec![
        (
            json!(["kms:Decrypt"]),
            key_arn(SIGNING_KEY),
            context("SecretARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing/*"),
        ),
        (
            json!(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]),
            key_arn(settings_key),
            context("PARAMETER_ARN", "arn:aws:ssm:eu-west-1:123456789012:parameter/settings/*"),
        ),
        (
            json!(["kms:Decrypt", "kms:GenerateDataKey"]),
            key_arn(settings_key),
            context("SecretARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhooks/*"),
        ),
    ];
    expected.sort_by_key(|s| s.0.to_string() + &s.2.to_string());
    expected
}

/// `policies role` and `policies render` with `K_SETTINGS_KEY` bound to `settings_key` (or unset,
/// its declared id): the keys named by their ids, no placeholder left.
fn assert_keys_named(settings_key: &str) {
    let role = role_json(Some(ROLE), Some("eu-west-1"), &[]).unwrap();
    let policy = &role["data_access_role_policy"];
    assert!(!policy.to_string().contains("{{"), "{policy:#}");
    let mut keys = key_statements(policy);
    keys.sort_by_key(|s| s.0.to_string() + &s.2.to_string());
    assert_eq!(keys, expected_role_keys(settings_key), "{policy:#}");
    // Without the role: the account left open, the keys named all the same.
    let open = role_json(None, None, &[]).unwrap()["data_access_role_policy"].to_string();
    assert!(!open.contains("{{kms"), "{open}");
    for id in [SIGNING_KEY, settings_key] {
        assert!(open.contains(&format!("arn:{{{{partition}}}}:kms:{{{{region}}}}:{{{{account}}}}:key/{id}")), "{open}");
    }

    // acme's session policies: its own names in the context, the key as bound.
    let rendered = render_json("acme", ROLE, "eu-west-1").unwrap();
    let policy = |handler: &str| {
        rendered.as_array().unwrap().iter().find(|h| h["handler"] == handler).unwrap()["policy"].clone()
    };
    assert!(!rendered.to_string().contains("{{"), "{rendered:#}");
    assert_eq!(
        key_statements(&policy("settings")),
        [(
            json!(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]),
            key_arn(settings_key),
            json!({ "StringLike": { "kms:EncryptionContext:PARAMETER_ARN":
                ["arn:aws:ssm:eu-west-1:123456789012:parameter/settings/acme/*"] } }),
        )]
    );
    assert_eq!(key_statements(&policy("sign"))[0].1, key_arn(SIGNING_KEY));
    assert_eq!(key_statements(&policy("rotate"))[0].1, key_arn(settings_key));
    assert_eq!(key_statements(&policy("rotate")).len(), 1, "the plain secret has no key");
}

#[test]
fn render_and_role_name_a_fixed_key_as_written_and_a_bound_one_by_its_declared_id() {
    assert_keys_named(SETTINGS_KEY);
}

/// The key as the variable binds it, and a bound value that is no key id refused before a policy
/// names it (`*` would grant the key actions on every key of the account). The test runs itself
/// again in child processes with the variable set (a test cannot set its own environment:
/// `unsafe_code` is forbidden).
#[test]
fn render_and_role_name_a_key_as_its_variable_binds_it_and_refuse_what_is_no_key_id() {
    const TEST: &str = "render_and_role_name_a_key_as_its_variable_binds_it_and_refuse_what_is_no_key_id";
    match std::env::var("K_SETTINGS_KEY").as_deref() {
        Ok(BOUND_KEY) => {
            assert_keys_named(BOUND_KEY);
            println!("NAMED");
            return;
        }
        Ok(bound) => {
            for refused in [
                role_json(None, None, &[]).map(drop),
                role_json(Some(ROLE), Some("eu-west-1"), &[]).map(drop),
                render_json("acme", ROLE, "eu-west-1").map(drop),
            ] {
                match refused {
                    Err(e @ AuditError::Placement { source: PlacementError::KmsKey(_), .. }) => {
                        println!("REFUSED {e}")
                    }
                    other => panic!("a key bound to {bound:?}: {other:?}"),
                }
            }
            return;
        }
        Err(_) => {}
    }
    // The child prints NAMED once when the key is named, REFUSED once per refused command.
    for (bound, named, refused) in [(BOUND_KEY, 1, 0), ("*", 0, 3), ("alias/settings", 0, 3)] {
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
            .env("K_SETTINGS_KEY", bound)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&child.stdout).into_owned() + &String::from_utf8_lossy(&child.stderr);
        assert!(child.status.success(), "{bound}: {said}");
        assert_eq!(said.matches("NAMED").count(), named, "{bound}: {said}");
        let refusal = format!(": invalid KMS key id {bound:?}: expected a key id");
        assert_eq!(said.matches("REFUSED cannot place handler `").count(), refused, "{bound}: {said}");
        assert_eq!(said.matches(&refusal).count(), refused, "{bound}: {said}");
    }
}

fn template(values: &[&str]) -> Value {
    let functions: Vec<Function> = values.iter().map(|v| v.parse().unwrap()).collect();
    template_json(&functions, &TemplateOptions::default()).unwrap()
}

/// The statements of the data role in `t` that act on a key: `(actions, resource, context key)`.
fn template_key_statements(t: &Value) -> Vec<(Value, Value, String)> {
    key_statements(&t["Resources"]["TenantDataRole"]["Properties"]["Policies"][0]["PolicyDocument"])
        .into_iter()
        .map(|(actions, resources, condition)| {
            let context = condition["StringLike"].as_object().unwrap().keys().next().unwrap().clone();
            (actions, resources, context)
        })
        .collect()
}

/// `arn:…:key/<id>` in the stack's partition, region and account.
fn stack_key(id: &str) -> Value {
    json!([{ "Fn::Sub": format!("arn:${{AWS::Partition}}:kms:${{AWS::Region}}:${{AWS::AccountId}}:key/{id}") }])
}

/// The parameter of `K_SETTINGS_KEY`: its declared id as the default, and only a key id allowed.
fn settings_key_parameter(set_on: &str) -> Value {
    json!({
        "Type": "String",
        "Default": SETTINGS_KEY,
        "Description": format!(
            "Key id of the customer-managed KMS key that `K_SETTINGS_KEY` binds (pass `!Ref` of the AWS::KMS::Key, its \
             key id: a UUID or `mrk-` and 32 hex digits, not an alias or an ARN); {set_on}"
        ),
        "AllowedPattern": "^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$",
        "ConstraintDescription":
            "a KMS key id (`!Ref` of an AWS::KMS::Key): a lowercase UUID or `mrk-` and 32 lowercase hex digits",
    })
}

#[test]
fn a_key_bound_at_run_time_is_a_parameter_set_on_its_functions_and_named_by_the_data_role() {
    let t = template(&["sign=sqs:sign", "settings=sqs:settings", "rotate=sqs:rotate"]);
    assert!(!t.to_string().contains("{{"), "a placeholder is left: {t:#}");
    // One parameter for the variable, which two handlers (a secret's and a parameter's key) bind.
    assert_eq!(
        t["Parameters"]["KSettingsKey"],
        settings_key_parameter(
            "the template sets `K_SETTINGS_KEY` on the functions of its handlers (rotate, settings)"
        )
    );
    // Set on the functions whose handlers declare it, and on no other; a fixed key is no variable.
    let env = |f: &str| t["Resources"][f]["Properties"]["Environment"]["Variables"].clone();
    for f in ["SettingsFunction", "RotateFunction"] {
        assert_eq!(env(f)["K_SETTINGS_KEY"], json!({ "Ref": "KSettingsKey" }), "{f}");
    }
    assert!(env("SignFunction").get("K_SETTINGS_KEY").is_none(), "{}", env("SignFunction"));
    let parameters = t["Parameters"].as_object().unwrap();
    assert!(parameters.values().all(|p| p["Default"] != SIGNING_KEY), "{parameters:?}");
    // The data role uses the key the parameter names, and the fixed one as written.
    let sorted = |mut keys: Vec<(Value, Value, String)>| {
        keys.sort_by_key(|k| k.0.to_string() + &k.2);
        keys
    };
    assert_eq!(
        sorted(template_key_statements(&t)),
        sorted(vec![
            (json!(["kms:Decrypt"]), stack_key(SIGNING_KEY), "kms:EncryptionContext:SecretARN".to_owned()),
            (
                json!(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]),
                stack_key("${KSettingsKey}"),
                "kms:EncryptionContext:PARAMETER_ARN".to_owned()
            ),
            (
                json!(["kms:Decrypt", "kms:GenerateDataKey"]),
                stack_key("${KSettingsKey}"),
                "kms:EncryptionContext:SecretARN".to_owned()
            ),
        ])
    );
    // No rule keeps the fixed key and the bound one apart: declarations may share a key.
    assert!(t.get("Rules").is_none(), "{}", t["Rules"]);
    // A template without the handlers that bind the key has no parameter for it.
    let t = template(&["sign=sqs:sign"]);
    assert!(t["Parameters"].get("KSettingsKey").is_none(), "{}", t["Parameters"]);
}

#[test]
fn the_roles_template_declares_the_keys_parameter_too() {
    let role = role_json(None, None, &[]).unwrap();
    let cf = &role["cloudformation"];
    assert!(!cf.to_string().contains("{{"), "{cf:#}");
    assert_eq!(
        cf["Parameters"]["KSettingsKey"],
        settings_key_parameter(
            "set `K_SETTINGS_KEY` to the same value on the functions of its handlers (rotate, settings)"
        )
    );
    let policy = cf["Resources"]["TenantDataRole"]["Properties"]["Policies"][0]["PolicyDocument"].to_string();
    assert!(policy.contains(&stack_key("${KSettingsKey}")[0].to_string()), "{policy}");
    assert!(policy.contains(&stack_key(SIGNING_KEY)[0].to_string()), "{policy}");
}

#[test]
fn template_help_says_what_a_keys_parameter_takes() {
    let Ok(Output::Text(help)) = run_from(["policies", "template", "--help"]) else { panic!("no help") };
    for line in
        ["(table_env, bucket_env, queue_env, kms_key_env):", "A KMS key's parameter takes the key id (`!Ref` of the"]
    {
        assert!(help.contains(line), "{line}: {help}");
    }
}
