// Secrets, parameters and queues refuse what IAM cannot confine to one tenant's names, each with
// its reason: an action that takes no resource, another service's action, a wildcard, an API
// operation (declare its action), a misspelt action; a secret prefix needs its `/`, and a queue
// declaration its prefix. A queue every tenant's messages share takes `SendMessage` alone and
// needs its `tenant_attribute`, and its handle has no receive.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantQueue, TenantSecrets, tenant_isolated};

#[tenant_isolated(
    secrets(webhooks(
        prefix = "tenants",
        actions = [GetSecretValue, ListSecrets, GetParameter, "secretsmanager:*", GetSecretValu],
    )),
    queues(jobs(prefix = "jobs-", actions = [SendMessageBatch, ReceiveMessage]), audit(actions = [SendMessage])),
)]
async fn handler(webhooks: TenantSecrets, jobs: TenantQueue, audit: TenantQueue, _request: Request) -> Result<Response<Body>, Error> {
    let _ = (webhooks, jobs, audit);
    Ok(Response::new(Body::Empty))
}

#[tenant_isolated(queues(
    events(queue = "order-events", tenant_attribute = "tenant_id", actions = [SendMessage, ReceiveMessage]),
    audit(queue = "audit-events", actions = [SendMessage]),
))]
async fn produce(events: TenantQueue, audit: TenantQueue, _request: Request) -> Result<Response<Body>, Error> {
    let _ = (events, audit);
    Ok(Response::new(Body::Empty))
}

fn main() {}
