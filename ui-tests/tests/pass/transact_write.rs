// A transaction that puts an item and checks another: each item kind needs its own action.
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response};
use std::collections::HashMap;
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [PutItem, ConditionCheckItem])]
async fn place_order(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let customer = HashMap::from([
        ("pk".to_owned(), AttributeValue::S(orders.partition_key()?)),
        ("sk".to_owned(), AttributeValue::S("CUSTOMER".to_owned())),
    ]);
    let order = HashMap::from([
        ("pk".to_owned(), AttributeValue::S(orders.partition_key()?)),
        ("sk".to_owned(), AttributeValue::S(orders.key(&["ORDER", "1"])?)),
    ]);
    orders
        .transact_write()?
        .condition_check(customer, "attribute_exists(pk)")
        .put(order)
        .into_builder()?
        .send()
        .await?;
    Ok(Response::new(Body::Empty))
}

const _: &str = place_order::POLICY_TEMPLATE;

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(place_order)));
    assert!(place_order::POLICY_TEMPLATE.contains(r#""Action":["dynamodb:ConditionCheckItem","dynamodb:PutItem"]"#));
}
