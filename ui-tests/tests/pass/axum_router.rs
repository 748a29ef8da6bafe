// Isolated axum handlers are ordinary axum handlers: they route, take extractors beside the
// table, and keep their policy.
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use tenant_isolation::{IsolationError, TenantTable, axum::TenantLayer, tenant_isolated};

#[derive(Clone)]
struct App {
    greeting: &'static str,
}

#[tenant_isolated(axum, table = "Orders", actions = [GetItem])]
async fn get_order(
    orders: TenantTable,
    Path(id): Path<String>,
    State(app): State<App>,
) -> Result<Json<String>, IsolationError> {
    Ok(Json(format!("{} {}", app.greeting, orders.key(&["ORDER", &id])?)))
}

fn main() {
    let app: Router = Router::new()
        .route("/orders/{id}", get(get_order))
        .with_state(App { greeting: "hello" })
        .layer(TenantLayer::global());
    let _ = app;
    assert_eq!(&*get_order::SPEC.tables()[0].actions, [tenant_isolation::Action::GetItem]);
}
