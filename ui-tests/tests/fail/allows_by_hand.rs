// A capability granted beside the attribute: `PutItem` was not declared, so the session
// policy does not grant it, and neither may the type system.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, actions::PutItem, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn handler(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    orders.put_item()?.send().await?;
    Ok(Response::new(Body::Empty))
}

impl tenant_isolation::Allows<PutItem> for handler {}

fn main() {}
