// One form or the other: `table = ...` at the top level, or every table in `tables(...)`.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem], tables(customers(table = "Customers", actions = [GetItem])))]
async fn handler(orders: TenantTable, customers: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let _ = (orders, customers);
    Ok(Response::new(Body::Empty))
}

fn main() {}
