// `ExecuteStatement` is an API operation: IAM checks the `PartiQL*` action it runs.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [ExecuteStatement])]
async fn handler(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let _ = orders;
    Ok(Response::new(Body::Empty))
}

fn main() {}
