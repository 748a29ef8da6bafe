// An axum handler is checked like any other: `PutItem` was not declared.
use axum::extract::Path;
use tenant_isolation::{IsolationError, TenantTable, tenant_isolated};

#[tenant_isolated(axum, table = "Orders", actions = [GetItem])]
async fn handler(orders: TenantTable, Path(id): Path<String>) -> Result<String, IsolationError> {
    orders.put_item()?;
    Ok(id)
}

fn main() {}
