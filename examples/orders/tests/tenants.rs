//! Tenant A never sees tenant B's data: the orders service tested as a user of this library
//! would test theirs, with the test kit (`tenant-isolation-testkit`). Copy it and change the
//! routes and handlers.

mod common;

use axum::body::Body;
use common::send;
use http::StatusCode;
use orders_example::{api, handlers};
use serde_json::json;
use tenant_isolation_testkit::Local;

#[tokio::test(flavor = "multi_thread")]
async fn acme_and_globex_never_see_each_other() {
    let local = Local::start().await;
    local.create_table("Orders", &[("ByStatus", "pk", Some("status"))]).await;
    local.create_bucket("order-attachments").await;
    let app = api::router(local.isolation().await);

    // acme creates an order with an attachment; globex can neither read it, nor its attachment,
    // nor cancel it, nor list it.
    let new = json!({"item": "anvil", "quantity": 1, "note": "handle with care"});
    let (status, order) = send(&app, local.request("acme", "POST", "/orders", Some(new))).await;
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("/orders/{}", order["id"].as_str().unwrap());
    assert_eq!(send(&app, local.request("acme", "GET", &path, None)).await.0, StatusCode::OK);
    assert_eq!(send(&app, local.request("globex", "GET", &path, None)).await.0, StatusCode::NOT_FOUND);
    let attachment = format!("{path}/attachment");
    let (status, note) = send(&app, local.request("acme", "GET", &attachment, None)).await;
    assert_eq!((status, note), (StatusCode::OK, json!({"note": "handle with care"})));
    assert_eq!(send(&app, local.request("globex", "GET", &attachment, None)).await.0, StatusCode::NOT_FOUND);
    let cancel = format!("{path}/cancel");
    assert_eq!(send(&app, local.request("globex", "POST", &cancel, None)).await.0, StatusCode::NOT_FOUND);
    let (_, listed) = send(&app, local.request("globex", "GET", "/orders", None)).await;
    assert_eq!(listed, json!([]));

    // A token for no tenant, or a forged one, never reaches a handler.
    let forged = local.token_with("acme", json!({ "tenant_id": "*" }));
    let request =
        http::Request::get(&path).header("authorization", format!("Bearer {forged}")).body(Body::empty()).unwrap();
    assert_eq!(send(&app, request).await.0, StatusCode::FORBIDDEN);
}

/// `create_order` reads the tenant's settings parameter and webhook secret through handles that
/// can name nothing but the tenant's own: acme's order is in acme's currency, signed with acme's
/// key and held to acme's limit; globex, with neither, gets the defaults and no key.
#[tokio::test(flavor = "multi_thread")]
async fn each_tenant_orders_with_its_own_settings_and_webhook_key() {
    let local = Local::start().await;
    local.create_table("Orders", &[("ByStatus", "pk", Some("status"))]).await;
    local.create_bucket("order-attachments").await;
    local.put_secret("tenants/acme/webhook", "whsec-acme-7f3a").await;
    local.put_parameter("/tenants/acme/settings", r#"{"currency": "EUR", "max_quantity": 5}"#).await;
    let app = api::router(local.isolation().await);

    let (status, order) =
        send(&app, local.request("acme", "POST", "/orders", Some(json!({"item": "anvil", "quantity": 5})))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!((&order["currency"], &order["webhook_key"]), (&json!("EUR"), &json!("…7f3a")));
    let (status, body) =
        send(&app, local.request("acme", "POST", "/orders", Some(json!({"item": "anvil", "quantity": 6})))).await;
    assert_eq!((status, body), (StatusCode::UNPROCESSABLE_ENTITY, json!({"error": "over_limit"})));

    let (status, order) =
        send(&app, local.request("globex", "POST", "/orders", Some(json!({"item": "anvil", "quantity": 6})))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(order["currency"], json!("USD"));
    assert!(order.get("webhook_key").is_none(), "{order}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_single_lambda_handler_and_the_lambda_tenant_id() {
    use lambda_http::RequestExt;
    let local = Local::start().await;
    local.create_table("Orders", &[("ByStatus", "pk", Some("status"))]).await;
    let isolation = local.isolation().await;

    let request: lambda_http::Request = local.request("acme", "GET", "/orders", None);
    let response = handlers::list_orders::call_with(&isolation, request).await.unwrap();
    assert_eq!(response.status(), 200);

    // In Lambda's tenant isolation mode, an invocation of tenant `globex` with acme's token is refused.
    let request: lambda_http::Request = local.request("acme", "GET", "/orders", None);
    let request = request.with_lambda_context(Local::lambda_context(Some("globex")));
    let response = handlers::list_orders::call_with(&isolation, request).await.unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_workers_run_each_record_as_its_own_tenant() {
    use orders_example::workers::{count_orders, fulfil_order};
    use tenant_isolation_testkit::records::{SqsBatch, StreamBatch};
    let local = Local::start().await;
    local.create_table("Orders", &[("ByStatus", "pk", Some("status"))]).await;
    let isolation = local.isolation().await;
    let app = api::router(isolation.clone());
    let new = json!({"item": "anvil", "quantity": 1});
    let (_, order) = send(&app, local.request("acme", "POST", "/orders", Some(new))).await;
    let id = order["id"].as_str().unwrap();

    // An SQS batch as Lambda delivers it: acme's message fulfils acme's order; globex's message
    // naming the same order finds nothing in globex's partition; a message without a tenant fails.
    let batch = SqsBatch::new()
        .message("acme", json!({ "order": id }))
        .message("globex", json!({ "order": id }))
        .message_without_tenant(json!({ "order": id }));
    let ids = batch.message_ids();
    let answer = fulfil_order::call_with(&isolation, batch.into_lambda_event()).await.unwrap();
    let failed: Vec<&str> = answer.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, [ids[1].as_str(), ids[2].as_str()]);

    // A Streams batch: each record's tenant is its key's; a key of no tenant is the checkpoint.
    let stream = StreamBatch::new()
        .insert(json!({ "pk": "TENANT#acme", "sk": format!("ORDER#{id}") }))
        .insert(json!({ "pk": "ORG#acme", "sk": "ORDER#x" }));
    let sequence = stream.sequence_numbers();
    let answer = count_orders::call_with(&isolation, stream.into_lambda_event()).await.unwrap();
    let checkpoint: Vec<_> = answer.batch_item_failures.iter().filter_map(|f| f.item_identifier.as_deref()).collect();
    assert_eq!(checkpoint, [sequence[1].as_str()]);
}
