// An axum handler whose attribute does not say `axum`: its extractor is read as a Lambda
// event unless the macro says what is missing. One error, at the extractor; the handler is
// still expanded as an axum handler, so the router it is given to reports nothing more.
use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use tenant_isolation::{IsolationError, TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn get_order(orders: TenantTable, Path(id): Path<String>) -> Result<String, IsolationError> {
    Ok(orders.key(&["ORDER", &id])?)
}

fn main() {
    let _: Router = Router::new().route("/orders/{id}", get(get_order));
}
