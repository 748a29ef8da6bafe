// A data-layer function needs `PutItem`; the handler that calls it declared only `GetItem`.
// rustc reports an unmet bound of an `async fn` three times: at the argument (the call's
// bounds), at the call (the future it returns is an opaque type that carries the function's
// bounds, checked again where that type appears) and at the `.await` (`IntoFuture` of that
// type). Any `async fn` or `-> impl Future` with an unmet bound does so, with or without this
// crate; a direct call of the operation (`undeclared_operation.rs`) is reported once.
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
