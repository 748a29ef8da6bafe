// A tag key in the reserved `aws:` namespace cannot carry the tenant.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem], session_tag = "aws:tenant")]
async fn get_order(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let _ = orders;
    Ok(Response::new(Body::Empty))
}

fn main() {}
