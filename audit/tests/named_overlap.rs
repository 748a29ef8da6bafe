//! The audit refuses two handlers whose secret (or parameter, or queue) prefixes overlap: names
//! are one namespace per account and region, so tenant `ORG` of `tenants/` owns every
//! `tenants/ORG/<tenant>/…` secret of the other handler's tenants, whatever functions the two
//! run in. No process sees both handlers when they run in two functions; the audit, over every
//! handler of the application, does.

use tenant_isolation::audit::ResourceKind;
use tenant_isolation::model::Service;
use tenant_isolation_audit::{AuditError, render_json, role_json};

/// Two handlers of one application, one's prefix starting the other's.
pub mod handlers {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantSecrets, tenant_isolated};

    /// Every tenant's webhook secrets.
    #[tenant_isolated(secrets(webhooks(prefix = "tenants/", actions = [GetSecretValue])))]
    pub async fn tenant_webhooks(webhooks: TenantSecrets, request: Request) -> Result<Response<Body>, Error> {
        let _ = (webhooks, request);
        Ok(Response::new(Body::Empty))
    }

    /// Organisations' webhook secrets, under `tenants/ORG/`.
    #[tenant_isolated(secrets(webhooks(prefix = "tenants/ORG/", actions = [GetSecretValue])))]
    pub async fn org_webhooks(webhooks: TenantSecrets, request: Request) -> Result<Response<Body>, Error> {
        let _ = (webhooks, request);
        Ok(Response::new(Body::Empty))
    }
}

#[test]
fn overlapping_secret_prefixes_of_two_handlers_are_refused() {
    match role_json(None, None, &[]) {
        Err(AuditError::Overlap(e)) => {
            assert_eq!(e.kind, ResourceKind::Names(Service::SecretsManager), "{e}");
            let mut prefixes = [&*e.first_prefix, &*e.second_prefix];
            prefixes.sort_unstable();
            assert_eq!(prefixes, ["tenants/", "tenants/ORG/"]);
        }
        other => panic!("the role policy of an overlapping binary was produced: {other:?}"),
    }
    let rendered = render_json("acme", "arn:aws:iam::123456789012:role/TenantData", "us-east-1");
    match rendered {
        Err(e @ AuditError::Overlap(_)) => {
            assert!(e.to_string().contains("share the secret names of `this account and region`"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}
