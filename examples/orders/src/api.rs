//! The orders service as one axum function: the same four operations as [`crate::handlers`],
//! served by one `Router` through `lambda_http::run(router)`. Each route's handler declares its
//! own least-privilege policy, exactly as the one-function-per-handler version does, and takes
//! its typed table next to ordinary axum extractors; [`TenantLayer`] authenticates every
//! request once, before routing (401/403/503 without an STS call).

use crate::data::{self, DataError, NewOrder};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tenant_isolation::axum::TenantLayer;
use tenant_isolation::{Isolation, TenantBucket, TenantParameters, TenantSecrets, TenantTable, tenant_isolated};

/// The router, authenticating with `isolation` (tests, the demo); [`router_global`] uses the
/// process-wide runtime (the Lambda bootstrap).
pub fn router(isolation: Isolation) -> Router {
    routes().layer(TenantLayer::new(isolation))
}

/// The router, authenticating with the process-wide runtime ([`Isolation::global`]).
pub fn router_global() -> Router {
    routes().layer(TenantLayer::global())
}

fn routes() -> Router {
    Router::new()
        .route("/orders", post(create_order).get(list_orders))
        .route("/orders/{id}", get(get_order))
        .route("/orders/{id}/cancel", post(cancel_order))
        .route("/orders/{id}/attachment", get(get_attachment))
}

/// `GET /orders/{id}/attachment` → the order's note, or 404 (`ListBucket` of the tenant's folder
/// tells a missing attachment from a denial on AWS: see [`data::attachment`]).
#[tenant_isolated(axum, buckets(attachments(
    bucket = "order-attachments",
    bucket_env = "ATTACHMENTS_BUCKET",
    actions = [GetObject, ListBucket],
)))]
pub async fn get_attachment(attachments: TenantBucket, Path(id): Path<String>) -> Result<Response, DataError> {
    let note = data::attachment(&attachments, &id).await?;
    Ok(Json(serde_json::json!({ "note": note })).into_response())
}

impl IntoResponse for DataError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %self, "data layer failed");
        }
        (status, Json(serde_json::json!({ "error": self.code() }))).into_response()
    }
}

fn bad_request() -> Response {
    (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": "bad_request" }))).into_response()
}

/// `POST /orders` with `{"item": "...", "quantity": n, "customer": "c-1", "note": "..."}` → 201
/// and the order (in the tenant's currency, with its webhook key; over its limit → 422).
#[tenant_isolated(
    axum,
    tables(
        orders(table = "Orders", table_env = "ORDERS_TABLE", actions = [PutItem]),
        customers(table = "Customers", table_env = "CUSTOMERS_TABLE", actions = [GetItem]),
    ),
    buckets(attachments(bucket = "order-attachments", bucket_env = "ATTACHMENTS_BUCKET", actions = [PutObject])),
    secrets(webhooks(prefix = "tenants/", actions = [GetSecretValue])),
    parameters(settings(prefix = "/tenants/", actions = [GetParameter])),
)]
pub async fn create_order(
    orders: TenantTable,
    customers: TenantTable,
    attachments: TenantBucket,
    webhooks: TenantSecrets,
    settings: TenantParameters,
    Json(new): Json<NewOrder>,
) -> Result<Response, DataError> {
    if !new.is_valid() {
        return Ok(bad_request());
    }
    let config = data::TenantConfig { webhooks: &webhooks, settings: &settings };
    let order = data::create(&orders, &customers, &attachments, &config, new).await?;
    Ok((StatusCode::CREATED, Json(order)).into_response())
}

/// `GET /orders/{id}` → the order, or 404 (also for another tenant's order id).
#[tenant_isolated(axum, table = "Orders", table_env = "ORDERS_TABLE", actions = [GetItem])]
pub async fn get_order(orders: TenantTable, Path(id): Path<String>) -> Result<Response, DataError> {
    Ok(Json(data::get(&orders, &id).await?).into_response())
}

/// `?status=open`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

/// `GET /orders[?status=open]` → the tenant's orders (by status through the `ByStatus` index).
#[tenant_isolated(axum, table = "Orders", table_env = "ORDERS_TABLE", actions = [Query], indexes = ["ByStatus"])]
pub async fn list_orders(orders: TenantTable, Query(query): Query<ListQuery>) -> Result<Response, DataError> {
    Ok(Json(data::list(&orders, query.status.as_deref()).await?).into_response())
}

/// `POST /orders/{id}/cancel` → the cancelled order, or 404.
#[tenant_isolated(axum, table = "Orders", table_env = "ORDERS_TABLE", actions = [UpdateItem])]
pub async fn cancel_order(orders: TenantTable, Path(id): Path<String>) -> Result<Response, DataError> {
    Ok(Json(data::cancel(&orders, &id).await?).into_response())
}
