// A custom partition-key prefix ends up in the policy's `dynamodb:LeadingKeys` condition.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Accounts", actions = [GetItem, UpdateItem], key_prefix = "ORG#")]
async fn touch_account(accounts: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let pk = aws_sdk_dynamodb::types::AttributeValue::S(accounts.partition_key()?);
    accounts.update_item()?.key("pk", pk).update_expression("SET touched = :t").send().await?;
    Ok(Response::new(Body::Empty))
}

const _: &str = touch_account::POLICY_TEMPLATE;

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(touch_account)));
    assert_eq!(touch_account::SPEC.tables()[0].keys.prefix(), "ORG#");
    assert!(touch_account::POLICY_TEMPLATE.contains(r#"["ORG#{{tenant}}","ORG#{{tenant}}#*"]"#));
}
