//! Customer-managed KMS keys in the audit's output: `policies list` prints each declaration's key
//! (`kms_key`, `kms_key_env`).

use serde_json::{Value, json};
use tenant_isolation_audit::list_json;

/// The fixed key of `sign`'s secrets.
const SIGNING_KEY: &str = "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f";
/// The declared key of `K_SETTINGS_KEY`, the id while the variable is unset.
const SETTINGS_KEY: &str = "mrk-0123456789abcdef0123456789abcdef";

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
