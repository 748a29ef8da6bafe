// A refused invocation must be answerable: the handler returns a `Result`.
use lambda_http::{Body, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn handler(orders: TenantTable, _request: Request) -> Response<Body> {
    let _ = orders;
    Response::new(Body::Empty)
}

fn main() {}
