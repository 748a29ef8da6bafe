// Table parameters are named as their tables are declared: a parameter with no declaration, and a
// declaration with no parameter, are both errors.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(tables(
    orders(table = "Orders", actions = [PutItem]),
    customers(table = "Customers", actions = [GetItem]),
))]
async fn handler(orders: TenantTable, customer: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let _ = (orders, customer);
    Ok(Response::new(Body::Empty))
}

fn main() {}
