// Two tables, each with its own actions, key prefix and capability type; a data-layer function
// asks for a capability and gets the table whose type provides it.
use aws_sdk_dynamodb::types::AttributeValue::S;
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{Allows, TenantTable, actions::GetItem, tenant_isolated};

async fn customer_name(customers: &TenantTable<impl Allows<GetItem>>) -> Result<Option<String>, Error> {
    let out = customers.get_item()?.key("pk", S(customers.partition_key()?)).key("sk", S("PROFILE".into())).send().await?;
    Ok(out.item().and_then(|i| i.get("name")).and_then(|n| n.as_s().ok()).cloned())
}

#[tenant_isolated(tables(
    orders(table = "Orders", table_env = "ORDERS_TABLE", actions = [PutItem]),
    customers(table = "Customers", actions = [GetItem], key_prefix = "ORG#"),
))]
async fn create_order(orders: TenantTable, customers: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let name = customer_name(&customers).await?.unwrap_or_default();
    orders.put_item()?.item("pk", S(orders.partition_key()?)).item("customer", S(name)).send().await?;
    Ok(Response::new(Body::Empty))
}

fn main() {
    // Each table has its own capability type, named after the handler and the parameter.
    let _: fn() -> TenantTable<create_order_customers> = || unreachable!();
    assert_eq!(create_order::SPEC.tables().len(), 2);
    drop(lambda_http::run(lambda_http::service_fn(create_order)));
}
