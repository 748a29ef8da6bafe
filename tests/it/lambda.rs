//! The example service's handlers, invoked with real API Gateway v1 and v2 events (decoded
//! by `lambda_http` exactly as the Lambda runtime does) and real Cognito tokens from moto.

use crate::common::{cognito_verifier, isolation};
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request, Response};
use lambda_runtime::LambdaEvent;
use orders_example::handlers::{create_order, get_attachment, get_order, list_orders};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use tenant_isolation::{Isolation, TenantTable, tenant_isolated};
use tenant_isolation_testkit::events::ApiEvent;
use tenant_isolation_tests::{provision, sdk_config, shared};

/// `method path` as the example's clients send it: JSON, with a token, a body and an `id`.
fn api_event(method: &str, path: &str, token: Option<&str>, body: Option<&str>, id: Option<&str>) -> ApiEvent {
    let mut event = ApiEvent::new(method, path).header("content-type", "application/json");
    if let Some(token) = token {
        event = event.bearer(token);
    }
    if let Some(body) = body {
        event = event.body(body);
    }
    if let Some(id) = id {
        event = event.path_parameter("id", id);
    }
    event
}

/// An HTTP API (v2) event as API Gateway sends it.
fn v2_event(method: &str, path: &str, token: Option<&str>, body: Option<&str>, id: Option<&str>) -> Value {
    api_event(method, path, token, body, id).http_api()
}

/// A REST API (v1) proxy event as API Gateway sends it.
fn v1_event(method: &str, path: &str, token: Option<&str>, body: Option<&str>, id: Option<&str>) -> Value {
    api_event(method, path, token, body, id).rest_api()
}

/// Decodes an event the way `lambda_http::run` does.
fn request(event: Value) -> Request {
    let decoded: LambdaRequest = serde_json::from_value(event).expect("a valid API Gateway event");
    Request::from(decoded)
}

fn json_body(resp: &Response<Body>) -> Value {
    serde_json::from_slice(resp.body()).unwrap_or(Value::Null)
}

fn token(user: &str) -> String {
    shared().1.user(user).id_token.clone()
}

#[tokio::test]
async fn v1_and_v2_events_reach_the_tenants_own_orders() {
    let iso = isolation().await;
    type Event = for<'a> fn(&'a str, &'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>) -> Value;
    let events: [(Event, &str); 2] = [(v2_event, "alice"), (v1_event, "bob")];
    for (event, user) in events {
        let tok = token(user);
        let created = create_order::call_with(
            &iso,
            request(event("POST", "/orders", Some(&tok), Some(r#"{"item":"lamp","quantity":2}"#), None)),
        )
        .await
        .unwrap();
        assert_eq!(created.status(), 201, "{user}: {:?}", json_body(&created));
        let id = json_body(&created)["id"].as_str().unwrap().to_owned();
        let fetched =
            get_order::call_with(&iso, request(event("GET", "/orders/x", Some(&tok), None, Some(&id)))).await.unwrap();
        assert_eq!(fetched.status(), 200);
        assert_eq!(json_body(&fetched)["item"], "lamp");
        assert_eq!(json_body(&fetched)["status"], "open");
    }
}

/// `create_order` reads the caller's customer from `Customers` and writes the order to `Orders`:
/// both tenants have a customer `c-1`, and each order names its own tenant's.
#[tokio::test]
async fn create_order_reads_the_tenants_own_customer() {
    let iso = isolation().await;
    for (user, customer) in [("alice", "Acme Purchasing"), ("bob", "Globex Procurement")] {
        let body = r#"{"item":"desk","quantity":1,"customer":"c-1"}"#;
        let created =
            create_order::call_with(&iso, request(v2_event("POST", "/orders", Some(&token(user)), Some(body), None)))
                .await
                .unwrap();
        assert_eq!(created.status(), 201, "{user}: {:?}", json_body(&created));
        assert_eq!(json_body(&created)["customer"], customer, "{user}");
        let id = json_body(&created)["id"].as_str().unwrap().to_owned();
        let fetched =
            get_order::call_with(&iso, request(v2_event("GET", "/orders/x", Some(&token(user)), None, Some(&id))))
                .await
                .unwrap();
        assert_eq!(json_body(&fetched)["customer"], customer, "{user}");
    }
    // A customer id the tenant has none of: 404, and no order.
    let body = r#"{"item":"desk","quantity":1,"customer":"c-9"}"#;
    let refused =
        create_order::call_with(&iso, request(v2_event("POST", "/orders", Some(&token("alice")), Some(body), None)))
            .await
            .unwrap();
    assert_eq!(refused.status(), 404, "{:?}", json_body(&refused));
}

/// An order's note is stored under the tenant's folder of the attachments bucket and read back by
/// the bucket-only `get_attachment`; another tenant asking for it by the order's id looks in its
/// own folder and finds nothing.
#[tokio::test]
async fn attachments_live_in_the_tenants_own_folder() {
    let iso = isolation().await;
    let body = r#"{"item":"crate","quantity":1,"note":"fragile: acme only"}"#;
    let created =
        create_order::call_with(&iso, request(v2_event("POST", "/orders", Some(&token("alice")), Some(body), None)))
            .await
            .unwrap();
    assert_eq!(created.status(), 201, "{:?}", json_body(&created));
    let id = json_body(&created)["id"].as_str().unwrap().to_owned();
    assert_eq!(json_body(&created)["attachment"], format!("orders/{id}/note.txt"));
    let read = |user: &'static str| {
        let (iso, id) = (&iso, id.clone());
        async move {
            let event = v2_event("GET", "/orders/x/attachment", Some(&token(user)), None, Some(&id));
            get_attachment::call_with(iso, request(event)).await.unwrap()
        }
    };
    let own = read("alice").await;
    assert_eq!((own.status().as_u16(), json_body(&own)["note"].clone()), (200, json!("fragile: acme only")));
    let other = read("bob").await;
    assert_eq!(other.status(), 404, "{:?}", json_body(&other));
    // Where it landed: acme's folder, as the moto admin sees the bucket.
    let fx = &shared().1;
    let s3 = tenant_isolation_tests::s3_admin(&fx.endpoint).await;
    let key = format!("tenants/acme/orders/{id}/note.txt");
    assert!(s3.head_object().bucket(&fx.attachments_bucket).key(&key).send().await.is_ok(), "{key}");
}

#[tokio::test]
async fn another_tenants_order_id_is_not_found() {
    let iso = isolation().await;
    let created = create_order::call_with(
        &iso,
        request(v2_event("POST", "/orders", Some(&token("bob")), Some(r#"{"item":"key","quantity":1}"#), None)),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201, "{:?}", json_body(&created));
    let bobs = json_body(&created)["id"].as_str().unwrap().to_owned();
    let resp =
        get_order::call_with(&iso, request(v2_event("GET", "/orders/x", Some(&token("alice")), None, Some(&bobs))))
            .await
            .unwrap();
    assert_eq!(resp.status(), 404);
    let listed = list_orders::call_with(&iso, request(v2_event("GET", "/orders", Some(&token("alice")), None, None)))
        .await
        .unwrap();
    assert_eq!(listed.status(), 200, "{:?}", json_body(&listed));
    assert!(json_body(&listed).as_array().unwrap().iter().all(|o| o["id"] != bobs.as_str()));
}

#[tokio::test]
async fn refusals_have_the_right_status_and_no_detail() {
    let iso = isolation().await;
    let fx = &shared().1;
    let cases = [
        (None, 401, "unauthenticated"),
        (Some("garbage".to_owned()), 401, "unauthenticated"),
        (Some(fx.user("carol").id_token.clone()), 403, "forbidden"),
        (Some(fx.user("mallory").id_token.clone()), 403, "forbidden"),
        (Some(fx.user("eve").id_token.clone()), 403, "forbidden"),
        // Cognito access tokens carry no custom attributes: valid, but no tenant.
        (Some(fx.user("alice").access_token.clone()), 403, "forbidden"),
    ];
    for (tok, status, code) in cases {
        let resp = list_orders::call_with(&iso, request(v2_event("GET", "/orders", tok.as_deref(), None, None)))
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{tok:?}");
        assert_eq!(resp.headers()["content-type"], "application/json");
        let body = json_body(&resp);
        assert_eq!(body["error"], code);
        assert_eq!(body.as_object().unwrap().len(), 2, "only error and message: {body}");
    }
    assert_eq!(iso.stats().sts_calls, 0, "no STS call for any refused request");
}

/// A handler on the raw REST proxy event, answering with `ApiGatewayProxyResponse`.
#[tenant_isolated(table = "Orders", actions = [Query])]
async fn raw_v1(
    table: TenantTable,
    event: LambdaEvent<ApiGatewayProxyRequest>,
) -> Result<ApiGatewayProxyResponse, lambda_runtime::Error> {
    let _ = event;
    let scope = table.scope()?;
    let mut resp = ApiGatewayProxyResponse::default();
    resp.status_code = 200;
    resp.body = Some(aws_lambda_events::encodings::Body::Text(scope.tenant().to_string()));
    Ok(resp)
}

#[tokio::test]
async fn raw_lambda_events_are_answered_in_their_own_response_type() {
    let iso = isolation().await;
    let payload: ApiGatewayProxyRequest =
        serde_json::from_value(v1_event("GET", "/orders", Some(&token("bob")), None, None)).unwrap();
    let ok =
        raw_v1::call_with(&iso, LambdaEvent::new(payload.clone(), lambda_runtime::Context::default())).await.unwrap();
    assert_eq!(ok.status_code, 200);
    assert_eq!(ok.body, Some(aws_lambda_events::encodings::Body::Text("globex".into())));
    let mut anonymous = payload;
    anonymous.headers.clear();
    let refused =
        raw_v1::call_with(&iso, LambdaEvent::new(anonymous, lambda_runtime::Context::default())).await.unwrap();
    assert_eq!(refused.status_code, 401);
}

/// Compile-time proof that generated handlers are served as users write it: by
/// `lambda_http::run(service_fn(..))` and by `run_concurrent` (Lambda Managed Instances),
/// which needs `Clone + Send + 'static` services and `Send` futures. Never called.
#[allow(dead_code)]
fn served_by_the_lambda_runtime() {
    drop(lambda_http::run(lambda_http::service_fn(get_order)));
    drop(lambda_http::run_concurrent(lambda_http::service_fn(list_orders)));
    drop(lambda_runtime::run(lambda_runtime::service_fn(raw_v1)));
}

/// Many invocations in flight on one multi-threaded runtime, tenants interleaved, as under
/// `run_concurrent` (Lambda Managed Instances): no response ever shows another tenant's data.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invocations_never_cross_tenants() {
    let (iso, mint) = crate::common::development_isolation().await;
    let tenants: Vec<String> =
        (0..8).map(|i| format!("conc-{i}-{}", crate::common::unique("t").replace(['#', '.'], "-"))).collect();
    let mut tasks = Vec::new();
    for round in 0..5 {
        for tenant in &tenants {
            let (iso, tok, tenant) = (iso.clone(), mint(tenant), tenant.clone());
            tasks.push(tokio::spawn(async move {
                let body = format!(r#"{{"item":"{tenant}-{round}","quantity":1}}"#);
                let created =
                    create_order::call_with(&iso, request(v2_event("POST", "/orders", Some(&tok), Some(&body), None)))
                        .await
                        .unwrap();
                assert_eq!(created.status(), 201);
                tokio::task::yield_now().await;
                let listed = list_orders::call_with(&iso, request(v2_event("GET", "/orders", Some(&tok), None, None)))
                    .await
                    .unwrap();
                let items: BTreeSet<String> = json_body(&listed)
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["item"].as_str().unwrap().to_owned())
                    .collect();
                (tenant, items)
            }));
        }
    }
    let mut seen: HashMap<String, BTreeSet<String>> = HashMap::new();
    for t in tasks {
        let (tenant, items) = t.await.unwrap();
        assert!(items.iter().all(|i| i.starts_with(&format!("{tenant}-"))), "{tenant} saw {items:?}");
        seen.entry(tenant).or_default().extend(items);
    }
    assert_eq!(seen.len(), tenants.len());
    // One STS call per (tenant, handler policy): 8 tenants × 2 handlers.
    assert_eq!(iso.stats().sts_calls, 16, "{:?}", iso.stats());
}

/// With moto stopped: 503 from the key set (first contact) and from STS (new tenant), no
/// panic; after a restart on the same port the same runtime recovers.
#[tokio::test]
async fn unavailable_dependencies_answer_503_and_recover() {
    let mut moto = tenant_isolation_tests::start_moto();
    let fx = provision(&moto);
    let build = |fx: &tenant_isolation_tests::Fixture| {
        let fx = fx.clone();
        async move {
            Isolation::builder()
                .sdk_config(sdk_config(&fx.endpoint).await)
                .role_arn(fx.role_arn.clone())
                .verifier(cognito_verifier(&fx))
                .build()
                .await
                .unwrap()
        }
    };
    let warm = build(&fx).await;
    let alice = fx.user("alice").id_token.clone();
    let ok =
        list_orders::call_with(&warm, request(v2_event("GET", "/orders", Some(&alice), None, None))).await.unwrap();
    assert_eq!(ok.status(), 200);

    moto.stop();
    // Keys cached, credentials for a new (tenant, policy) needed → STS unreachable → 503.
    let resp = get_order::call_with(&warm, request(v2_event("GET", "/orders/x", Some(&alice), None, Some("abc"))))
        .await
        .unwrap();
    assert_eq!(resp.status(), 503, "{:?}", json_body(&resp));
    // A cold runtime cannot fetch the key set → 503, before any STS call.
    let cold = build(&fx).await;
    let resp =
        list_orders::call_with(&cold, request(v2_event("GET", "/orders", Some(&alice), None, None))).await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(cold.stats().sts_calls, 0);

    moto.restart();
    // State is gone with the old process: recreate the table. moto signs with one bundled
    // key, so the warm runtime's cached key set still verifies alice's token.
    let _ = provision(&moto);
    let resp = get_order::call_with(&warm, request(v2_event("GET", "/orders/x", Some(&alice), None, Some("abc"))))
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "recovered: STS works again and the order does not exist");
}

/// Hostile requests beyond the token: bad bodies are 400 without touching DynamoDB, an
/// oversized Authorization header is 401 before any parsing.
#[tokio::test]
async fn hostile_bodies_and_headers_are_refused_cleanly() {
    let iso = isolation().await;
    let alice = token("alice");
    let post = |body: Vec<u8>| {
        let mut req = request(v2_event("POST", "/orders", Some(&alice), None, None));
        *req.body_mut() = Body::Binary(body);
        req
    };
    for (what, body) in [
        ("invalid UTF-8", vec![0xff, 0xfe, b'{', 0x80]),
        ("not JSON", b"item=lamp".to_vec()),
        ("1 MiB item", format!(r#"{{"item":"{}","quantity":1}}"#, "x".repeat(1 << 20)).into_bytes()),
        ("zero quantity", br#"{"item":"lamp","quantity":0}"#.to_vec()),
        ("negative quantity", br#"{"item":"lamp","quantity":-1}"#.to_vec()),
        ("smuggled key field", br#"{"item":"lamp","quantity":1,"pk":"TENANT#globex"}"#.to_vec()),
        ("control characters", br#"{"item":"la\u0000mp","quantity":1}"#.to_vec()),
    ] {
        let resp = create_order::call_with(&iso, post(body)).await.unwrap();
        assert_eq!(resp.status(), 400, "{what}");
    }
    let huge = "A".repeat(64 * 1024);
    let resp =
        list_orders::call_with(&iso, request(v2_event("GET", "/orders", Some(&huge), None, None))).await.unwrap();
    assert_eq!(resp.status(), 401);
}
