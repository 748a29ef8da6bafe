//! A KMS key bound by its variable alone (`kms_key_env` without `kms_key`): the runtime refuses to
//! start without the variable, so the audit cannot name the key in `policies render` or `policies
//! role` while it is unset, and says which variable to set; `policies template` needs no value:
//! the key's parameter has no default (the deployer gives the key id, `!Ref` of the key, which the
//! parameter's `AllowedPattern` checks).

use serde_json::{Value, json};
use tenant_isolation_audit::{AuditError, Function, TemplateOptions, render_json, role_json, template_json};

/// Reads its tenant's vault secrets under the key `U_VAULT_KEY` binds.
pub mod handlers {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantSecrets, tenant_isolated};

    /// Reads a secret.
    #[tenant_isolated(secrets(vault(prefix = "vault/", actions = [GetSecretValue], kms_key_env = "U_VAULT_KEY")))]
    pub async fn vault(vault: TenantSecrets, request: Request) -> Result<Response<Body>, Error> {
        let _ = (vault, request);
        Ok(Response::new(Body::Empty))
    }
}

const ROLE: &str = "arn:aws:iam::123456789012:role/TenantData";
const BOUND_KEY: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

#[test]
fn the_template_asks_the_deployer_for_the_key_id() {
    let functions: Vec<Function> = vec!["vault=sqs:vault".parse().unwrap()];
    let t = template_json(&functions, &TemplateOptions::default()).unwrap();
    let parameter = &t["Parameters"]["UVaultKey"];
    assert!(parameter.get("Default").is_none(), "no id to default to: {parameter}");
    assert_eq!(
        parameter["AllowedPattern"],
        "^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
    );
    assert_eq!(
        t["Resources"]["VaultFunction"]["Properties"]["Environment"]["Variables"]["U_VAULT_KEY"],
        json!({ "Ref": "UVaultKey" })
    );
    let policy = t["Resources"]["TenantDataRole"]["Properties"]["Policies"][0]["PolicyDocument"].to_string();
    assert!(!policy.contains("{{"), "{policy}");
    assert!(
        policy.contains(r#"{"Fn::Sub":"arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${UVaultKey}"}"#),
        "{policy}"
    );
}

/// Unset, the variable is named; set (in a child process: a test cannot set its own environment,
/// `unsafe_code` is forbidden), the key it binds is named.
#[test]
fn render_and_role_need_the_variable_and_name_the_key_it_binds() {
    const TEST: &str = "render_and_role_need_the_variable_and_name_the_key_it_binds";
    if let Ok(bound) = std::env::var("U_VAULT_KEY") {
        assert_eq!(bound, BOUND_KEY);
        let arn = format!("arn:aws:kms:eu-west-1:123456789012:key/{BOUND_KEY}");
        let role = role_json(Some(ROLE), Some("eu-west-1"), &[]).unwrap();
        let rendered = render_json("acme", ROLE, "eu-west-1").unwrap();
        for policy in [&role["data_access_role_policy"], &rendered[0]["policy"]] {
            let on_key: Vec<&Value> =
                policy["Statement"].as_array().unwrap().iter().filter(|s| s["Resource"] == json!([arn])).collect();
            assert_eq!(on_key.len(), 1, "{policy:#}");
            assert_eq!(on_key[0]["Action"], json!(["kms:Decrypt"]));
        }
        println!("NAMED");
        return;
    }
    let says = "handler `vault` takes its KMS key id from `U_VAULT_KEY`, which is not set, and declares no `kms_key` \
                to fall back on: set `U_VAULT_KEY` to the key id, as the function's environment will (`policies \
                template` needs no value)";
    for refused in [
        role_json(None, None, &[]).map(drop),
        role_json(Some(ROLE), Some("eu-west-1"), &[]).map(drop),
        render_json("acme", ROLE, "eu-west-1").map(drop),
    ] {
        match refused {
            Err(e @ AuditError::UnboundKmsKey { .. }) => assert_eq!(e.to_string(), says),
            other => panic!("{other:?}"),
        }
    }
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env("U_VAULT_KEY", BOUND_KEY)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&child.stdout).into_owned() + &String::from_utf8_lossy(&child.stderr);
    assert!(child.status.success(), "{said}");
    assert_eq!(said.matches("NAMED").count(), 1, "{said}");
}
