// This crate depends on `tenant-isolation` without its `secretsmanager`, `ssm` and `sqs`
// features: a handler with secrets, parameters or queues says which feature to enable.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantParameters, TenantQueue, TenantSecrets, tenant_isolated};

#[tenant_isolated(
    secrets(webhooks(actions = [GetSecretValue])),
    parameters(settings(actions = [GetParameter])),
    queues(jobs(prefix = "jobs-", actions = [SendMessage])),
)]
async fn handler(
    webhooks: TenantSecrets,
    settings: TenantParameters,
    jobs: TenantQueue,
    _request: Request,
) -> Result<Response<Body>, Error> {
    let _ = (webhooks, settings, jobs);
    Ok(Response::new(Body::Empty))
}

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(handler)));
}
