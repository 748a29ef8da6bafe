// Secrets, parameters and queue handles are named as declared and typed as their declaration's
// service: a handle without a declaration, a handle of another service's type, and a declaration
// without a handle are each an error.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantParameters, TenantQueue, tenant_isolated};

#[tenant_isolated(
    secrets(webhooks(actions = [GetSecretValue])),
    queues(jobs(prefix = "jobs-", actions = [SendMessage])),
)]
async fn handler(webhooks: TenantQueue, settings: TenantParameters, _request: Request) -> Result<Response<Body>, Error> {
    let _ = (webhooks, settings);
    Ok(Response::new(Body::Empty))
}

fn main() {}
