//! The orders service as one axum function (`orders_example::api`), against moto: one router,
//! four routes each with its own policy, authentication once per request in the tower layer.

use crate::common::isolation;
use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tenant_isolation_tests::shared;
use tower::ServiceExt;

fn token(user: &str) -> String {
    shared().1.user(user).id_token.clone()
}

fn request(method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    match body {
        Some(body) => builder.header("content-type", "application/json").body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .unwrap()
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Two tenants on one router: each sees its own orders; the other's order id is 404 for reads
/// and for cancels.
#[tokio::test]
async fn one_router_keeps_two_tenants_apart() {
    let app = orders_example::api::router(isolation().await);
    let (alice, bob) = (token("alice"), token("bob"));
    let order = json!({ "item": "axum-widget", "quantity": 2 });
    let (status, created) = call(&app, request("POST", "/orders", Some(&alice), Some(order))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    let (status, got) = call(&app, request("GET", &format!("/orders/{id}"), Some(&alice), None)).await;
    assert_eq!((status, got["item"].as_str()), (StatusCode::OK, Some("axum-widget")));
    let (status, _) = call(&app, request("GET", &format!("/orders/{id}"), Some(&bob), None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "bob reads alice's order");
    let (status, _) = call(&app, request("POST", &format!("/orders/{id}/cancel"), Some(&bob), None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "bob cancels alice's order");

    let (status, listed) = call(&app, request("GET", "/orders?status=open", Some(&bob), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(listed.as_array().unwrap().iter().all(|o| o["id"] != id.as_str()), "{listed}");
    let (status, listed) = call(&app, request("GET", "/orders", Some(&alice), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(listed.as_array().unwrap().iter().any(|o| o["id"] == id.as_str()), "{listed}");
    let (status, cancelled) = call(&app, request("POST", &format!("/orders/{id}/cancel"), Some(&alice), None)).await;
    assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")));
}

/// A listing by a status no order has is the caller's mistake, a 400 with the example's error
/// body, not a query DynamoDB refuses (an empty sort-key value is a `ValidationException`, a
/// 500: red-team review, 2026-11-30), in the router and in the Lambda handler alike.
#[tokio::test]
async fn a_listing_by_an_unknown_status_is_a_bad_request() {
    let app = orders_example::api::router(isolation().await);
    let alice = token("alice");
    let long = "x".repeat(2000);
    for status in ["", "shipped", long.as_str()] {
        let (code, body) = call(&app, request("GET", &format!("/orders?status={status}"), Some(&alice), None)).await;
        assert_eq!((code, body), (StatusCode::BAD_REQUEST, json!({ "error": "bad_request" })), "{status:.8}");
    }
    for status in orders_example::data::STATUSES {
        let (code, _) = call(&app, request("GET", &format!("/orders?status={status}"), Some(&alice), None)).await;
        assert_eq!(code, StatusCode::OK, "{status}");
    }
    let iso = isolation().await;
    let mut lambda = crate::common::request_of("alice");
    *lambda.uri_mut() = "/orders".parse().unwrap();
    let lambda = lambda_http::RequestExt::with_query_string_parameters(
        lambda,
        std::collections::HashMap::from([("status".to_owned(), String::new())]),
    );
    let response = orders_example::handlers::list_orders::call_with(&iso, lambda).await.unwrap();
    assert_eq!(response.status(), 400);
}

/// Refusals are answered by the layer, before any route's handler and without an STS call.
#[tokio::test]
async fn refusals_come_from_the_layer_without_sts() {
    let iso = isolation().await;
    let app = orders_example::api::router(iso.clone());
    let fx = &shared().1;
    let cases = [
        (None, StatusCode::UNAUTHORIZED),
        (Some("garbage".to_owned()), StatusCode::UNAUTHORIZED),
        (Some(fx.user("carol").id_token.clone()), StatusCode::FORBIDDEN),
        (Some(fx.user("mallory").id_token.clone()), StatusCode::FORBIDDEN),
        (Some(fx.user("eve").id_token.clone()), StatusCode::FORBIDDEN),
    ];
    for (token, want) in cases {
        for (method, uri) in [("GET", "/orders/x"), ("GET", "/orders"), ("POST", "/orders/x/cancel")] {
            let (status, body) = call(&app, request(method, uri, token.as_deref(), None)).await;
            assert_eq!(status, want, "{method} {uri} with {token:?}");
            assert!(body["error"].is_string() && body.get("detail").is_none(), "{body}");
        }
    }
    assert_eq!(iso.stats().sts_calls, 0, "an STS call was made for a refused request");
}

/// Many invocations of many tenants at once on one router (as `run_concurrent` drives it on
/// Lambda Managed Instances): each sees only its own orders.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_on_one_router_never_cross_tenants() {
    use std::collections::BTreeSet;
    let (iso, mint) = crate::common::development_isolation().await;
    let app = orders_example::api::router(iso);
    let tenants: Vec<String> =
        (0..8).map(|i| format!("axum-{i}-{}", crate::common::unique("t").replace(['#', '.'], "-"))).collect();
    let mut tasks = Vec::new();
    for round in 0..5 {
        for tenant in &tenants {
            let (app, token, tenant) = (app.clone(), mint(tenant), tenant.clone());
            tasks.push(tokio::spawn(async move {
                let order = json!({ "item": format!("{tenant}-{round}"), "quantity": 1 });
                let (status, _) = call(&app, request("POST", "/orders", Some(&token), Some(order))).await;
                assert_eq!(status, StatusCode::CREATED);
                tokio::task::yield_now().await;
                let (_, listed) = call(&app, request("GET", "/orders", Some(&token), None)).await;
                let items: BTreeSet<String> =
                    listed.as_array().unwrap().iter().map(|o| o["item"].as_str().unwrap().to_owned()).collect();
                (tenant, items)
            }));
        }
    }
    let mut foreign = 0;
    for task in tasks {
        let (tenant, items) = task.await.unwrap();
        foreign += items.iter().filter(|item| !item.starts_with(&format!("{tenant}-"))).count();
    }
    println!("router: 40 concurrent create+list pairs over 8 tenants, {foreign} foreign items seen");
    assert_eq!(foreign, 0);
}

/// The router is what `lambda_http::run` serves (type-checked; not run). `run_concurrent`
/// needs a `Sync` response body, which axum's is not: see the next test.
#[test]
fn the_router_is_served_by_the_lambda_runtime() {
    drop(lambda_http::run(orders_example::api::router_global()));
}

/// For a local run the same router is an ordinary axum server: over real HTTP on 127.0.0.1, a
/// tenant's request is served and a token-less one is refused by the layer.
#[tokio::test]
async fn the_router_runs_as_a_plain_axum_server() {
    let app = orders_example::api::router(isolation().await);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/orders");
    let served = client.get(&url).bearer_auth(token("alice")).send().await.unwrap();
    assert_eq!(served.status(), reqwest::StatusCode::OK);
    let refused = client.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    server.abort();
}

/// Under `lambda_http::run_concurrent` (Lambda Managed Instances) a router's responses need a
/// `Sync` body: buffer them into `lambda_http::Body` (type-checked; not run).
#[test]
fn the_router_is_served_concurrently_once_its_bodies_are_buffered() {
    drop(lambda_http::run_concurrent(tenant_isolation::axum::concurrent(orders_example::api::router_global())));
}

/// The buffered router answers as the router does: a tenant's request is served with its body,
/// a token-less one refused.
#[tokio::test]
async fn the_buffered_router_answers_as_the_router() {
    let service = tenant_isolation::axum::concurrent(orders_example::api::router(isolation().await));
    let lambda_request = |token: Option<String>| {
        let mut builder = http::Request::builder().uri("/orders");
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        builder.body(lambda_http::Body::Empty).unwrap()
    };
    let served = service.clone().oneshot(lambda_request(Some(token("alice")))).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(served.body()).unwrap().is_array());
    let refused = service.oneshot(lambda_request(None)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}
