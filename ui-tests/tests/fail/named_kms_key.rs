// A customer-managed KMS key is named by its key id on a declaration whose actions read or
// write a value: an alias, a key on a declaration that only describes, and a key on queues are
// each an error at its argument.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantParameters, TenantQueue, TenantSecrets, tenant_isolated};

#[tenant_isolated(
    secrets(webhooks(actions = [DescribeSecret], kms_key = "1234abcd-12ab-34cd-56ef-1234567890ab")),
    parameters(settings(actions = [GetParameter], kms_key = "alias/settings")),
)]
async fn handler(webhooks: TenantSecrets, settings: TenantParameters, _request: Request) -> Result<Response<Body>, Error> {
    let _ = (webhooks, settings);
    Ok(Response::new(Body::Empty))
}

#[tenant_isolated(queues(jobs(prefix = "jobs-", actions = [SendMessage], kms_key = "1234abcd-12ab-34cd-56ef-1234567890ab")))]
async fn sender(jobs: TenantQueue, _request: Request) -> Result<Response<Body>, Error> {
    let _ = jobs;
    Ok(Response::new(Body::Empty))
}

fn main() {}
