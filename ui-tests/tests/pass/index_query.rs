// `Query` on a declared secondary index.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [Query], indexes = ["ByStatus"])]
async fn orders_by_status(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let pk = aws_sdk_dynamodb::types::AttributeValue::S(orders.partition_key()?);
    let output = orders
        .query()?
        .index_name("ByStatus")
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", pk)
        .send()
        .await?;
    Ok(Response::new(Body::from(output.count().to_string())))
}

const _: &str = orders_by_status::POLICY_TEMPLATE;

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(orders_by_status)));
    assert_eq!(&*orders_by_status::SPEC.tables()[0].indexes, ["ByStatus"]);
    assert!(orders_by_status::POLICY_TEMPLATE.contains(":table/Orders/index/ByStatus\""));
}
