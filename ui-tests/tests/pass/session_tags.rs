// Session-tag (ABAC) mode: the template is the role policy, keyed by the principal tag.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem], session_tag = "tenant")]
async fn get_order(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let key = aws_sdk_dynamodb::types::AttributeValue::S(orders.partition_key()?);
    let output = orders.get_item()?.key("pk", key).send().await?;
    Ok(Response::new(Body::from(format!("{:?}", output.item()))))
}

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(get_order)));
    assert_eq!(get_order::SPEC.session_tag(), Some("tenant"));
    assert!(get_order::POLICY_TEMPLATE.contains("TENANT#${aws:PrincipalTag/tenant}"));
    assert!(!get_order::POLICY_TEMPLATE.contains("{{tenant}}"));
}
