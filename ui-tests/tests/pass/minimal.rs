// The smallest handler: a `lambda_http::Request` in, a `Response<Body>` out, one action.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn get_order(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let key = aws_sdk_dynamodb::types::AttributeValue::S(orders.partition_key()?);
    let output = orders.get_item()?.key("pk", key).send().await?;
    Ok(Response::new(Body::from(format!("{:?}", output.item()))))
}

// The generated items, checked at compile time.
const _: &str = get_order::POLICY_TEMPLATE;
const _: &tenant_isolation::HandlerSpec = get_order::SPEC;

fn main() {
    // The generated `get_order(request)` is a Lambda service; building (not polling) the
    // runtime future type-checks that without reaching AWS.
    drop(lambda_http::run(lambda_http::service_fn(get_order)));
    assert_eq!(&*get_order::SPEC.tables()[0].actions, [tenant_isolation::Action::GetItem]);
    assert!(get_order::POLICY_TEMPLATE.contains(r#""Action":["dynamodb:GetItem"]"#));
    assert!(get_order::POLICY_TEMPLATE.contains(":table/Orders\""));
}
