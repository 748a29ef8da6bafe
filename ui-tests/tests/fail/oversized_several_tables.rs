// The size check covers the whole policy: four tables whose names are bound at run time can
// reach more than STS's 2,048 characters together; the error gives each table's share. (Each
// declares other actions: tables with the same actions and key prefix share one statement.)
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(tables(
    orders(table = "Orders", table_env = "ORDERS_TABLE", actions = [GetItem]),
    customers(table = "Customers", table_env = "CUSTOMERS_TABLE", actions = [PutItem]),
    invoices(table = "Invoices", table_env = "INVOICES_TABLE", actions = [DeleteItem]),
    payments(table = "Payments", table_env = "PAYMENTS_TABLE", actions = [UpdateItem]),
))]
async fn handler(
    orders: TenantTable,
    customers: TenantTable,
    invoices: TenantTable,
    payments: TenantTable,
    _request: Request,
) -> Result<Response<Body>, Error> {
    let _ = (orders, customers, invoices, payments);
    Ok(Response::new(Body::Empty))
}

fn main() {}
