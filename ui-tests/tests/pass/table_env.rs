// The physical table name is read at run time from `ORDERS_TABLE` (per-stage tables); the
// template carries a `{{table}}` placeholder instead of the declared name.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [PutItem], table_env = "ORDERS_TABLE")]
async fn put_order(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let pk = aws_sdk_dynamodb::types::AttributeValue::S(orders.partition_key()?);
    orders.put_item()?.item("pk", pk).send().await?;
    Ok(Response::new(Body::Empty))
}

const _: &str = put_order::POLICY_TEMPLATE;

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(put_order)));
    assert_eq!(put_order::SPEC.tables()[0].table.declared(), "Orders");
    assert_eq!(put_order::SPEC.tables()[0].table.env_var(), Some("ORDERS_TABLE"));
    assert!(put_order::POLICY_TEMPLATE.contains(":table/{{table}}\""));
    assert!(!put_order::POLICY_TEMPLATE.contains("table/Orders"));
}
