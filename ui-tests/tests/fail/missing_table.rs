// `table` is required.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(actions = [GetItem])]
async fn handler(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let _ = orders;
    Ok(Response::new(Body::Empty))
}

fn main() {}
