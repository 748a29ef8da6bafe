//! What the example's test files share.

use axum::body::Body;
use http::StatusCode;
use serde_json::Value;
use tower::ServiceExt;

/// Sends `request` through the router; the status and the JSON body.
pub async fn send(app: &axum::Router, request: http::Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}
