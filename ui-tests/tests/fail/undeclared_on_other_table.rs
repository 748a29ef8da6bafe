// `PutItem` is declared on `orders`; the `customers` handle has only its own table's actions.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(tables(
    orders(table = "Orders", actions = [PutItem]),
    customers(table = "Customers", actions = [GetItem]),
))]
async fn handler(orders: TenantTable, customers: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let _ = orders;
    customers.put_item()?.send().await?;
    Ok(Response::new(Body::Empty))
}

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(handler)));
}
