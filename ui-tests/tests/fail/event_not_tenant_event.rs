// The runtime must find the caller's token in the event. (Reported twice, at the event and at
// the output: which statuses an output must answer with depends on the event's caller, and an
// event that is not a `TenantEvent` has none.)
use lambda_http::{Body, Error, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

struct OrderPlaced {
    id: String,
}

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn handler(orders: TenantTable, event: OrderPlaced) -> Result<Response<Body>, Error> {
    let _ = orders;
    Ok(Response::new(Body::from(event.id)))
}

fn main() {}
