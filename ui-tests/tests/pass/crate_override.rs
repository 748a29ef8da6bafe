// A platform crate re-exports `tenant_isolation`; handlers name the re-export with `crate`.
mod platform {
    pub use tenant_isolation as isolation;
}

use lambda_http::{Body, Error, Request, Response};
use platform::isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem], crate = "crate::platform::isolation")]
async fn get_order(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let pk = aws_sdk_dynamodb::types::AttributeValue::S(orders.partition_key()?);
    orders.get_item()?.key("pk", pk).send().await?;
    Ok(Response::new(Body::Empty))
}

const _: &platform::isolation::HandlerSpec = get_order::SPEC;

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(get_order)));
    assert_eq!(get_order::SPEC.name(), "get_order");
}
