//! The demo: drives the orders handlers, through the same `service_fn` the Lambda runtime
//! calls, against local moto (STS, DynamoDB, Cognito) with real Cognito tokens for two
//! tenants, and prints a transcript. Exits non-zero if any isolation claim fails.
//!
//! Run it with `scripts/demo.sh`, which starts moto and provisions the fixture; by hand:
//! `orders-demo <fixture.json>` (the JSON that `scripts/fixtures.py` prints).

use lambda_http::{Body, Request, RequestExt, Response, Service, service_fn};
use orders_example::handlers::{cancel_order, create_order, get_attachment, get_order, list_orders};
use serde_json::Value;
use std::collections::HashMap;
use std::process::ExitCode;
use tenant_isolation::{Isolation, TenantId, Verifier};

struct Demo {
    failures: Vec<String>,
    requests: u64,
}

impl Demo {
    fn check(&mut self, ok: bool, what: &str) {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            self.failures.push(what.to_owned());
        }
    }
}

fn request(token: Option<&str>, method: &str, body: &str) -> Request {
    let mut builder = http::Request::builder().method(method).uri("https://api.example.test/orders");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Body::from(body.to_owned())).expect("static request parts are valid")
}

fn with_id(req: Request, id: &str) -> Request {
    req.with_path_parameters(HashMap::from([("id".to_owned(), vec![id.to_owned()])]))
}

fn body_json(resp: &Response<Body>) -> Value {
    serde_json::from_slice(resp.body()).unwrap_or(Value::Null)
}

macro_rules! call {
    ($demo:expr, $handler:expr, $req:expr) => {{
        $demo.requests += 1;
        let mut svc = service_fn($handler);
        match svc.call($req).await {
            Ok(resp) => resp,
            Err(e) => {
                $demo.failures.push(format!("handler error: {e}"));
                Response::builder().status(599).body(Body::Empty).expect("valid")
            }
        }
    }};
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: orders-demo <fixture.json>   (scripts/demo.sh runs everything)");
        return ExitCode::from(2);
    };
    let fixture: Value = match std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("cannot read fixture {path}: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&fixture).await {
        Ok(demo) if demo.failures.is_empty() => {
            println!("\nall isolation checks held ({} requests)", demo.requests);
            ExitCode::SUCCESS
        }
        Ok(demo) => {
            println!("\n{} check(s) FAILED:", demo.failures.len());
            for f in &demo.failures {
                println!("  - {f}");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("demo setup failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(fx: &Value) -> Result<Demo, Box<dyn std::error::Error>> {
    let text = |k: &str| fx[k].as_str().map(str::to_owned).ok_or_else(|| format!("fixture lacks {k}"));
    let endpoint = text("endpoint")?;
    let token = |user: &str, kind: &str| fx["users"][user][kind].as_str().map(str::to_owned);
    let (alice, bob) = (token("alice", "id_token").ok_or("no alice")?, token("bob", "id_token").ok_or("no bob")?);

    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&endpoint)
        .region(aws_config::Region::new(text("region")?))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "demo"))
        .load()
        .await;
    let verifier = Verifier::builder()
        .issuer(text("issuer")?)
        .jwks_url(text("jwks_url")?)
        .allow_insecure_loopback(true)
        .audience([text("client_id")?])
        .tenant_claim("custom:tenant_id")
        .build()?;
    let isolation = Isolation::builder()
        .sdk_config(sdk)
        .s3_force_path_style(true) // moto serves S3 on its one port
        .role_arn(text("role_arn")?)
        .verifier(verifier)
        .build()
        .await?;
    isolation.clone().install().map_err(|_| "an isolation runtime was already installed")?;

    println!("tenant-isolation demo — moto at {endpoint}");
    println!(
        "  Cognito pool {} issues the tokens; alice is tenant `acme`, bob is tenant `globex`",
        text("user_pool_id")?
    );
    println!("  (Cognito ID tokens, RS256, verified against the pool's JWKS)\n");
    let mut demo = Demo { failures: Vec::new(), requests: 0 };

    println!("1. each tenant creates orders for its customer `c-1`, with a note stored as an attachment");
    println!("   (GetItem on Customers, PutItem on Orders, PutObject under tenants/<tenant>/ of the");
    println!("   attachments bucket: one session policy, one statement per resource, each with its own action)");
    let mut ids: HashMap<&str, Vec<String>> = HashMap::new();
    let orders = [
        ("alice", &alice, "anvil", "Acme Purchasing"),
        ("alice", &alice, "rocket skates", "Acme Purchasing"),
        ("bob", &bob, "widget", "Globex Procurement"),
    ];
    for (who, tok, item, customer) in orders {
        let body = format!(r#"{{"item":"{item}","quantity":1,"customer":"c-1","note":"{who}'s {item}"}}"#);
        let resp = call!(demo, create_order, request(Some(tok), "POST", &body));
        let order = body_json(&resp);
        demo.check(
            resp.status() == 201 && order["customer"] == customer,
            &format!("{who} created `{item}` for {} → {} {}", order["customer"], resp.status(), order["id"]),
        );
        if let Some(id) = order["id"].as_str() {
            ids.entry(who).or_default().push(id.to_owned());
        }
    }
    let (alice_ids, bob_ids) = (ids.remove("alice").unwrap_or_default(), ids.remove("bob").unwrap_or_default());

    println!("\n2. each tenant lists only its own orders (Query; by status through the ByStatus index)");
    for (who, tok, expected) in [("alice", &alice, &alice_ids), ("bob", &bob, &bob_ids)] {
        let resp = call!(demo, list_orders, request(Some(tok), "GET", ""));
        let listed: Vec<String> = body_json(&resp)
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["id"].as_str().map(str::to_owned))
            .collect();
        let mut want = expected.clone();
        want.sort();
        let mut got = listed.clone();
        got.sort();
        demo.check(resp.status() == 200 && got == want, &format!("{who} lists {} order(s): {listed:?}", listed.len()));
        let open = call!(
            demo,
            list_orders,
            request(Some(tok), "GET", "")
                .with_query_string_parameters(HashMap::from([("status".to_owned(), vec!["open".to_owned()])]))
        );
        let n = body_json(&open).as_array().map_or(0, Vec::len);
        demo.check(open.status() == 200 && n == expected.len(), &format!("{who} lists {n} open order(s) via ByStatus"));
    }

    println!("\n3. a tenant asking for the other tenant's order is refused");
    if let (Some(a), Some(b)) = (alice_ids.first(), bob_ids.first()) {
        let resp = call!(demo, get_order, with_id(request(Some(&alice), "GET", ""), b));
        demo.check(
            resp.status() == 404,
            &format!("alice GET bob's order {b} → {} (not in her partition)", resp.status()),
        );
        let resp = call!(demo, cancel_order, with_id(request(Some(&bob), "POST", ""), a));
        demo.check(resp.status() == 404, &format!("bob cancels alice's order {a} → {}", resp.status()));
        let resp = call!(demo, get_order, with_id(request(Some(&alice), "GET", ""), a));
        demo.check(
            resp.status() == 200 && body_json(&resp)["status"] == "open",
            &format!("alice's order {a} is still open → {} {}", resp.status(), body_json(&resp)["status"]),
        );
        let resp = call!(demo, cancel_order, with_id(request(Some(&alice), "POST", ""), a));
        demo.check(
            resp.status() == 200 && body_json(&resp)["status"] == "cancelled",
            &format!("alice cancels her own order {a} → {}", resp.status()),
        );
    } else {
        demo.check(false, "orders were created for both tenants");
    }

    println!("\n4. attachments: each tenant reads its own; the other's order id finds nothing in its folder");
    if let (Some(a), Some(b)) = (alice_ids.first(), bob_ids.first()) {
        let resp = call!(demo, get_attachment, with_id(request(Some(&alice), "GET", ""), a));
        let note = body_json(&resp)["note"].clone();
        demo.check(
            resp.status() == 200 && note == "alice's anvil",
            &format!("alice reads her note → {} {note}", resp.status()),
        );
        let resp = call!(demo, get_attachment, with_id(request(Some(&bob), "GET", ""), a));
        demo.check(resp.status() == 404, &format!("bob asks for alice's note by her order id → {}", resp.status()));
        let resp = call!(demo, get_attachment, with_id(request(Some(&alice), "GET", ""), b));
        demo.check(resp.status() == 404, &format!("alice asks for bob's note by his order id → {}", resp.status()));
    }

    println!("\n5. the guards refuse a cross-tenant key or object before it leaves the process");
    let acme = TenantId::parse("acme")?;
    let scope = isolation.enter(get_order::SPEC, &acme, None).await?;
    let client = scope.client().clone();
    let table = scope.table_name().to_owned();
    let result = scope
        .run(async move {
            client
                .get_item()
                .table_name(table)
                .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("TENANT#globex".into()))
                .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("ORDER#x".into()))
                .send()
                .await
        })
        .await;
    let refused = match &result {
        Err(e) => tenant_isolation::GuardViolation::find(e).map(|v| v.to_string()),
        Ok(_) => None,
    };
    demo.check(
        refused.is_some(),
        &format!("acme's client asked for pk TENANT#globex → {}", refused.unwrap_or_else(|| "SENT".into())),
    );
    // The object guard: acme's S3 client of `get_attachment`, asked for an object in globex's folder.
    let scope = isolation.enter(get_attachment::SPEC, &acme, None).await?;
    let s3 = scope.s3()?.clone();
    let bucket = text("attachments_bucket")?;
    let key = match bob_ids.first() {
        Some(b) => format!("tenants/globex/orders/{b}/note.txt"),
        None => "tenants/globex/orders/x/note.txt".to_owned(),
    };
    let result = scope.run(async move { s3.get_object().bucket(bucket).key(&key).send().await.map(|_| key) }).await;
    let refused = match &result {
        Err(e) => tenant_isolation::GuardViolation::find(e).map(|v| v.to_string()),
        Ok(_) => None,
    };
    demo.check(
        refused.is_some(),
        &format!("acme's S3 client asked for globex's note → {}", refused.unwrap_or_else(|| "SENT".into())),
    );

    println!("\n6. bad callers never reach STS");
    let before = isolation.stats().sts_calls;
    for (what, tok, want) in [
        ("no token", None, 401),
        ("garbage token", Some("not.a.jwt".to_owned()), 401),
        ("alice's token, tampered", Some(tamper(&alice)), 401),
        ("carol (no tenant claim)", token("carol", "id_token"), 403),
        ("mallory (tenant id `*`)", token("mallory", "id_token"), 403),
        ("eve (tenant id `acme#x`)", token("eve", "id_token"), 403),
    ] {
        let resp = call!(demo, list_orders, request(tok.as_deref(), "GET", ""));
        demo.check(resp.status() == want, &format!("{what} → {} {}", resp.status(), body_json(&resp)["error"]));
    }
    let after = isolation.stats().sts_calls;
    demo.check(after == before, &format!("STS calls during those 6 requests: {}", after - before));

    println!("\n7. the same service as one axum function (one Router, one policy per route, one auth layer)");
    let app = orders_example::api::router(isolation.clone());
    let sts_before = isolation.stats().sts_calls;
    let (status, created) =
        route(&mut demo, &app, "POST", "/orders", Some(&alice), Some(r#"{"item":"axum anvil","quantity":1}"#)).await;
    demo.check(status == 201, &format!("alice POST /orders → {status} {}", created["id"]));
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let (status, got) = route(&mut demo, &app, "GET", &format!("/orders/{id}"), Some(&alice), None).await;
    demo.check(status == 200 && got["item"] == "axum anvil", &format!("alice GET her order → {status}"));
    let (status, _) = route(&mut demo, &app, "GET", &format!("/orders/{id}"), Some(&bob), None).await;
    demo.check(status == 404, &format!("bob GET alice's order → {status} (not in his partition)"));
    let (status, _) = route(&mut demo, &app, "GET", "/orders", None, None).await;
    demo.check(status == 401, &format!("no token → {status}, answered by the layer before routing"));
    let carol = token("carol", "id_token");
    let (status, _) = route(&mut demo, &app, "GET", "/orders", carol.as_deref(), None).await;
    demo.check(status == 403, &format!("carol (no tenant) → {status}"));
    // Each route's policy is the Lambda handler's, so its credentials are already cached: only
    // bob's first `GetItem` session (he had not read an order yet) needs STS.
    let new_calls = isolation.stats().sts_calls - sts_before;
    demo.check(
        new_calls == 1,
        &format!("STS calls for the router: {new_calls} (the routes share the Lambda handlers' cached sessions)"),
    );

    println!("\n8. event-driven: an SQS batch and a DynamoDB Streams batch, one tenant per record");
    records(&mut demo, &isolation, &alice_ids, &bob_ids).await;

    println!("\n9. per-tenant secrets and parameters: each order reads its own tenant's webhook secret");
    println!("   (tenants/<tenant>/webhook) and settings (/tenants/<tenant>/settings), never the other's");
    config(&mut demo, &isolation, fx, &alice, &bob).await?;

    let stats = isolation.stats();
    println!(
        "\nSTS AssumeRole calls: {} for {} requests (one per tenant and handler policy; cache hits {}, misses {})",
        stats.sts_calls, demo.requests, stats.hits, stats.misses
    );
    // The workers' policy (`UpdateItem` on `Orders`) is `cancel_order`'s: their sessions are shared.
    demo.check(stats.sts_calls <= 10, "at most one STS call per (tenant, handler policy): 2 tenants × 5 policies");
    Ok(demo)
}

/// Section 9: `create_order` reads the tenant's settings parameter and webhook secret through
/// handles that name only the tenant's own; a client asked for the other tenant's secret is
/// refused before anything is signed.
async fn config(
    demo: &mut Demo,
    isolation: &Isolation,
    fx: &Value,
    alice: &str,
    bob: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    for (who, tok, tenant) in [("alice", alice, "acme"), ("bob", bob, "globex")] {
        let want = &fx["tenant_config"][tenant];
        let resp = call!(demo, create_order, request(Some(tok), "POST", r#"{"item":"gear","quantity":1}"#));
        let order = body_json(&resp);
        let key = want["webhook"].as_str().map(|w| format!("…{}", &w[w.len().saturating_sub(4)..]));
        demo.check(
            resp.status() == 201
                && order["currency"] == want["settings"]["currency"]
                && order["webhook_key"].as_str() == key.as_deref(),
            &format!(
                "{who}'s order is in {} and signed with webhook key {} (tenant {tenant}'s own)",
                order["currency"], order["webhook_key"]
            ),
        );
    }
    let limit = &fx["tenant_config"]["globex"]["settings"]["max_quantity"];
    let resp = call!(demo, create_order, request(Some(bob), "POST", r#"{"item":"gear","quantity":10}"#));
    demo.check(
        resp.status() == 422,
        &format!("bob orders 10 over globex's limit of {limit} → {} {}", resp.status(), body_json(&resp)["error"]),
    );
    // The secret guard: globex's Secrets Manager client of `create_order`, asked for acme's secret.
    let globex = TenantId::parse("globex")?;
    let scope = isolation.enter(create_order::SPEC, &globex, None).await?;
    let secrets = scope.secretsmanager()?.clone();
    let result =
        scope.run(async move { secrets.get_secret_value().secret_id("tenants/acme/webhook").send().await }).await;
    let refused = match &result {
        Err(e) => tenant_isolation::GuardViolation::find(e).map(|v| v.to_string()),
        Ok(_) => None,
    };
    demo.check(
        refused.is_some(),
        &format!("globex's client asked for acme's webhook secret → {}", refused.unwrap_or_else(|| "SENT".into())),
    );
    Ok(())
}

/// A batch as Lambda delivers it.
fn event<T: serde::de::DeserializeOwned>(payload: Value) -> Result<lambda_runtime::LambdaEvent<T>, serde_json::Error> {
    Ok(lambda_runtime::LambdaEvent::new(serde_json::from_value(payload)?, lambda_runtime::Context::default()))
}

/// Section 8: the SQS worker and the Streams consumer, each record in its own tenant's scope,
/// driven as Lambda would (the batch and its response as JSON).
async fn records(demo: &mut Demo, isolation: &Isolation, alice_ids: &[String], bob_ids: &[String]) {
    use orders_example::workers::{count_orders, fulfil_order};
    use serde_json::json;
    let sts_before = isolation.stats().sts_calls;
    let first = |ids: &[String]| ids.first().cloned().unwrap_or_default();
    let message = |id: &str, tenant: Option<&str>, order: &str| {
        let attributes = match tenant {
            Some(t) => json!({ "tenant_id": { "stringValue": t, "dataType": "String" } }),
            None => json!({}),
        };
        json!({ "messageId": id, "body": json!({ "order": order }).to_string(), "messageAttributes": attributes })
    };
    let batch = [
        ("m-1", Some("acme"), first(alice_ids), "acme fulfils her order"),
        ("m-2", Some("globex"), first(bob_ids), "globex fulfils his order"),
        ("m-3", Some("acme"), first(bob_ids), "acme names globex's order: not in acme's partition"),
        ("m-4", None, first(alice_ids), "no tenant attribute: refused, no STS call"),
        ("m-5", Some("acme#x"), first(alice_ids), "hostile tenant `acme#x`: refused, no STS call"),
    ];
    let sqs: Vec<Value> = batch.iter().map(|(id, tenant, order, _)| message(id, *tenant, order)).collect();
    demo.requests += 1;
    let failed: Vec<String> = match event(json!({ "Records": sqs })) {
        Ok(e) => match fulfil_order(e).await {
            Ok(r) => r.batch_item_failures.into_iter().map(|f| f.item_identifier).collect(),
            Err(e) => return demo.check(false, &format!("the SQS batch failed as a whole: {e}")),
        },
        Err(e) => return demo.check(false, &format!("not an SQS event: {e}")),
    };
    println!("   SQS worker `fulfil_order` (tenant from the `tenant_id` message attribute):");
    for (id, tenant, _, what) in &batch {
        let done = !failed.contains(&(*id).to_owned());
        let want = ["m-1", "m-2"].contains(id);
        demo.check(
            done == want,
            &format!("{id} tenant {:<8} {} — {what}", tenant.unwrap_or("-"), if done { "done  " } else { "failed" }),
        );
    }
    // The Streams consumer: the tenant of each record is read from its key.
    let stream_record = |seq: u64, pk: String, sk: String| {
        // The stream of `Orders` (its partition key is the deployment's `pk`).
        json!({ "eventID": format!("e-{seq}"), "eventName": "INSERT", "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-01-01T00:00:00.000",
                "dynamodb": { "Keys": { "pk": { "S": pk }, "sk": { "S": sk } }, "SequenceNumber": seq.to_string(),
                              "SizeBytes": 1, "ApproximateCreationDateTime": 0 } })
    };
    let mut stream = Vec::new();
    for (i, id) in alice_ids.iter().enumerate() {
        stream.push(stream_record(i as u64 + 1, "TENANT#acme".into(), format!("ORDER#{id}")));
    }
    for (i, id) in bob_ids.iter().enumerate() {
        stream.push(stream_record(i as u64 + 10, "TENANT#globex".into(), format!("ORDER#{id}")));
    }
    let good = stream.len();
    stream.push(stream_record(99, "ORG#acme".into(), "ORDER#x".into()));
    demo.requests += 1;
    let checkpoint = match event(json!({ "Records": stream })) {
        Ok(e) => match count_orders(e).await {
            Ok(r) => r.batch_item_failures.into_iter().filter_map(|f| f.item_identifier).collect::<Vec<_>>(),
            Err(e) => return demo.check(false, &format!("the Streams batch failed as a whole: {e}")),
        },
        Err(e) => return demo.check(false, &format!("not a Streams event: {e}")),
    };
    println!("   Streams consumer `count_orders` (tenant read from each record's key):");
    demo.check(
        checkpoint == ["99"],
        &format!("{good} INSERTs of acme's and globex's orders counted; `ORG#acme` is no tenant's key → checkpoint {checkpoint:?}"),
    );
    let calls = isolation.stats().sts_calls - sts_before;
    demo.check(
        calls <= 2,
        &format!("STS calls for both batches: {calls} (at most one per cold tenant; none for a refused record)"),
    );
}

/// One request through the axum router, as `lambda_http::run(router)` would pass it on.
async fn route(
    demo: &mut Demo,
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    use tower::ServiceExt;
    demo.requests += 1;
    let mut builder = http::Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    let request = builder
        .body(axum::body::Body::from(body.unwrap_or_default().to_owned()))
        .expect("static request parts are valid");
    match app.clone().oneshot(request).await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap_or_default();
            (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
        }
        Err(never) => match never {},
    }
}

/// Changes one character in the middle of the signature (not the last one, whose low
/// bits may be base64 padding).
fn tamper(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let at = bytes.len().saturating_sub(20);
    if let Some(b) = bytes.get_mut(at) {
        *b = if *b == b'A' { b'B' } else { b'A' };
    }
    String::from_utf8(bytes).unwrap_or_default()
}
