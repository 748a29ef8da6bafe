//! The Lambda handlers. Each declares exactly the DynamoDB actions it uses, table by table; the
//! macro turns that into its session policy and into the compile-time capability of each table.

use crate::data::{self, DataError, NewOrder};
use lambda_http::{Body, Error, Request, RequestExt, Response};
use tenant_isolation::{TenantBucket, TenantParameters, TenantSecrets, TenantTable, tenant_isolated};

fn json(status: u16, value: &impl serde::Serialize) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(serde_json::to_string(value)?))?)
}

fn failure(e: &DataError) -> Result<Response<Body>, Error> {
    let status = e.status();
    if status >= 500 {
        tracing::error!(error = %e, "data layer failed");
    } else {
        tracing::info!(error = %e, status, "request refused");
    }
    json(status, &serde_json::json!({ "error": e.code() }))
}

fn order_id(request: &Request) -> Option<String> {
    request.path_parameters_ref().and_then(|p| p.first("id")).map(str::to_owned)
}

/// `POST /orders` with `{"item": "...", "quantity": n, "customer": "c-1", "note": "..."}` → 201
/// and the order (`customer` and `note` optional; an id the tenant has no customer with → 404).
/// Two tables, a bucket, a secret and a parameter, each with its own actions: `PutItem` on
/// `Orders`, `GetItem` on `Customers`, `PutObject` under the tenant's folder of the attachments
/// bucket, `GetSecretValue` on the tenant's secrets `tenants/<tenant>/…` (its webhook key) and
/// `GetParameter` on its parameters `/tenants/<tenant>/…` (its settings: a quantity over the
/// tenant's limit is a 422).
#[tenant_isolated(
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
    request: Request,
) -> Result<Response<Body>, Error> {
    // Invalid UTF-8, oversized or malformed bodies and out-of-range fields are all a 400.
    let new = match serde_json::from_slice::<NewOrder>(request.body()) {
        Ok(new) if new.is_valid() => new,
        _ => return json(400, &serde_json::json!({ "error": "bad_request" })),
    };
    let config = data::TenantConfig { webhooks: &webhooks, settings: &settings };
    match data::create(&orders, &customers, &attachments, &config, new).await {
        Ok(order) => json(201, &order),
        Err(e) => failure(&e),
    }
}

/// `GET /orders/{id}` → the order, or 404 (also for another tenant's order id: it is not
/// in this tenant's partition, and no key outside it can be formed).
#[tenant_isolated(table = "Orders", table_env = "ORDERS_TABLE", actions = [GetItem])]
pub async fn get_order(orders: TenantTable, request: Request) -> Result<Response<Body>, Error> {
    let Some(id) = order_id(&request) else {
        return json(400, &serde_json::json!({ "error": "bad_request" }));
    };
    match data::get(&orders, &id).await {
        Ok(order) => json(200, &order),
        Err(e) => failure(&e),
    }
}

/// `GET /orders[?status=open]` → the tenant's orders (by status through the `ByStatus` index).
#[tenant_isolated(table = "Orders", table_env = "ORDERS_TABLE", actions = [Query], indexes = ["ByStatus"])]
pub async fn list_orders(orders: TenantTable, request: Request) -> Result<Response<Body>, Error> {
    let status = request.query_string_parameters_ref().and_then(|q| q.first("status")).map(str::to_owned);
    match data::list(&orders, status.as_deref()).await {
        Ok(list) => json(200, &list),
        Err(e) => failure(&e),
    }
}

/// `POST /orders/{id}/cancel` → the cancelled order, or 404.
#[tenant_isolated(table = "Orders", table_env = "ORDERS_TABLE", actions = [UpdateItem])]
pub async fn cancel_order(orders: TenantTable, request: Request) -> Result<Response<Body>, Error> {
    let Some(id) = order_id(&request) else {
        return json(400, &serde_json::json!({ "error": "bad_request" }));
    };
    match data::cancel(&orders, &id).await {
        Ok(order) => json(200, &order),
        Err(e) => failure(&e),
    }
}

/// `GET /orders/{id}/attachment` → the order's note, or 404. Only the bucket: `GetObject` under
/// the tenant's folder, no table at all, and `ListBucket` of that folder, without which AWS
/// answers a missing attachment 403 (see [`data::attachment`]).
#[tenant_isolated(buckets(attachments(
    bucket = "order-attachments",
    bucket_env = "ATTACHMENTS_BUCKET",
    actions = [GetObject, ListBucket],
)))]
pub async fn get_attachment(attachments: TenantBucket, request: Request) -> Result<Response<Body>, Error> {
    let Some(id) = order_id(&request) else {
        return json(400, &serde_json::json!({ "error": "bad_request" }));
    };
    match data::attachment(&attachments, &id).await {
        Ok(note) => json(200, &serde_json::json!({ "note": note })),
        Err(e) => failure(&e),
    }
}
