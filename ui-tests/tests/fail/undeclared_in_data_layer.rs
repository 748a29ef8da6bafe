// A data-layer function needs `PutItem`; the handler that calls it declared only `GetItem`.
// rustc reports an unmet bound of an `async fn` at the argument, the call and the `.await`:
// three copies of the one error.
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::actions::PutItem;
use tenant_isolation::{Allows, TenantTable, tenant_isolated};

async fn save(table: &TenantTable<impl Allows<PutItem>>) -> Result<(), Error> {
    table.put_item()?.item("pk", AttributeValue::S(table.partition_key()?)).send().await?;
    Ok(())
}

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn handler(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    save(&orders).await?;
    Ok(Response::new(Body::Empty))
}

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(handler)));
}
