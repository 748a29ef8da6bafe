// Every argument error is reported in one compilation.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(tabel = "Orders", actions = [Scan, GetItems], key_prefix = "T*")]
async fn handler(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let _ = orders;
    Ok(Response::new(Body::Empty))
}

fn main() {}
