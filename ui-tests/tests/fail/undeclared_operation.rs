// `put_item` exists only on tables whose handler declared `PutItem`.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn handler(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let pk = aws_sdk_dynamodb::types::AttributeValue::S(orders.partition_key()?);
    orders.put_item()?.item("pk", pk).send().await?;
    Ok(Response::new(Body::Empty))
}

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(handler)));
}
