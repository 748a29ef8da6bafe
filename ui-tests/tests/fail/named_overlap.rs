// Two secrets declarations whose prefixes overlap: tenant `ORG` of `tenants/` would own every
// name `tenants/ORG/` gives its tenants. Reported at the later declaration's prefix.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantSecrets, tenant_isolated};

#[tenant_isolated(secrets(
    webhooks(actions = [GetSecretValue]),
    org_keys(prefix = "tenants/ORG/", actions = [GetSecretValue]),
))]
async fn handler(webhooks: TenantSecrets, org_keys: TenantSecrets, _request: Request) -> Result<Response<Body>, Error> {
    let _ = (webhooks, org_keys);
    Ok(Response::new(Body::Empty))
}

fn main() {}
