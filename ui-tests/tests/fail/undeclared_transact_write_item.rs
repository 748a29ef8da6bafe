// Each item of a transaction needs its own action: a `put` needs `PutItem` even when the
// transaction's condition check is declared.
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response};
use std::collections::HashMap;
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [ConditionCheckItem])]
async fn handler(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let key = HashMap::from([("pk".to_owned(), AttributeValue::S(orders.partition_key()?))]);
    orders
        .transact_write()?
        .condition_check(key.clone(), "attribute_exists(pk)")
        .put(key)
        .into_builder()?
        .send()
        .await?;
    Ok(Response::new(Body::Empty))
}

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(handler)));
}
