// An HTTP API (payload v2) handler on `lambda_runtime` directly, without `lambda_http`'s
// request type.
use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::{Error, LambdaEvent};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [DeleteItem])]
async fn delete_order(
    orders: TenantTable,
    event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, Error> {
    let id = event.payload.path_parameters.get("id").cloned().unwrap_or_default();
    orders
        .delete_item()?
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(orders.partition_key()?))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(orders.key(&["ORDER", &id])?))
        .send()
        .await?;
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = 204;
    Ok(response)
}

const _: &str = delete_order::POLICY_TEMPLATE;

fn main() {
    drop(lambda_http::lambda_runtime::run(lambda_http::service_fn(delete_order)));
    assert!(delete_order::POLICY_TEMPLATE.contains(r#""Action":["dynamodb:DeleteItem"]"#));
}
