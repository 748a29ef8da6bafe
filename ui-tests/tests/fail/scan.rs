// `Scan` reads every tenant's partition: refused.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem, Scan])]
async fn handler(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let _ = orders;
    Ok(Response::new(Body::Empty))
}

fn main() {}
