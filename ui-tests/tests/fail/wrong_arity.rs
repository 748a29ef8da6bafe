// The table parameter is missing.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::tenant_isolated;

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn handler(_request: Request) -> Result<Response<Body>, Error> {
    Ok(Response::new(Body::Empty))
}

fn main() {}
