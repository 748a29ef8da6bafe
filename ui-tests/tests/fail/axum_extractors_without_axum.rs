// Two parameters beside the table, neither an extractor the macro knows by name: a Lambda
// handler takes one event, so the handler is an axum one whose attribute lacks `axum`. One
// error, at the parameters after the first.
use axum::routing::get;
use axum::Router;
use tenant_isolation::{IsolationError, TenantTable, tenant_isolated};

struct Caller;
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = IsolationError;
    async fn from_request_parts(_: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller)
    }
}

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn get_order(orders: TenantTable, _first: Caller, _second: Caller) -> Result<String, IsolationError> {
    Ok(orders.partition_key()?)
}

fn main() {
    let _: Router = Router::new().route("/orders", get(get_order));
}
