//! NOT isolated: the floor of the cold-start benchmark (`tests/benches/coldstart.rs`). The
//! same `GET /orders/{id}` as `get-order`, written as a plain `lambda_http` function without
//! `tenant-isolation`: ONE DynamoDB client built at init with the execution role's
//! credentials, no JWT, the tenant taken unverified from an `x-tenant-id` header. Any tenant
//! can read any other's orders through it; it exists so that the benchmark can say what the
//! isolation adds to init time, the first invocation and the binary, against the same
//! dependencies and the same logging set-up.
//!
//! It deliberately does not use the `orders_example` library: linking it would pull in the
//! isolated handlers and their registrations, and the binary size would not be the floor.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use serde_json::json;

fn respond(status: u16, body: serde_json::Value) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))?)
}

/// The id rule of `orders_example::data` (lowercase hex as `create` makes them, ≤ 40).
fn valid_id(id: &str) -> bool {
    (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn get_order(client: &aws_sdk_dynamodb::Client, table: &str, request: Request) -> Result<Response<Body>, Error> {
    let Some(id) = request.path_parameters_ref().and_then(|p| p.first("id")).map(str::to_owned) else {
        return respond(400, json!({ "error": "bad_request" }));
    };
    let tenant = request.headers().get("x-tenant-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !valid_id(&id) {
        return respond(404, json!({ "error": "not_found" }));
    }
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(format!("TENANT#{tenant}")))
        .key("sk", AttributeValue::S(format!("ORDER#{id}")))
        .send()
        .await;
    let Ok(out) = out else { return respond(503, json!({ "error": "unavailable" })) };
    let Some(item) = out.item() else { return respond(404, json!({ "error": "not_found" })) };
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    let order = (|| {
        Some(json!({
            "id": text("sk")?.strip_prefix("ORDER#")?,
            "item": text("item")?,
            "quantity": item.get("quantity").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<u32>().ok())?,
            "status": text("status")?,
        }))
    })();
    match order {
        Some(order) => respond(200, order),
        None => respond(500, json!({ "error": "internal" })),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The logging set-up of `orders_example::init_tracing`, so that it is no part of the
    // difference the benchmark measures.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_ansi(false)
        .without_time()
        .try_init();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = std::env::var("ORDERS_TABLE").unwrap_or_else(|_| "Orders".to_owned());
    let (client, table) = (&client, table.as_str());
    lambda_http::run(lambda_http::service_fn(move |request| get_order(client, table, request))).await
}
