//! Load benchmark: the orders example's `get_order` handler against local moto, isolated and
//! not, interleaved in one run; then a cold burst of one tenant.
//!
//! * **Isolated:** `orders_example::handlers::get_order::call_with` — HS256 token verified by a
//!   `Verifier` in development mode (tokens minted here), tenant validated, credentials from
//!   moto's STS `AssumeRole` cached per (tenant, policy), task-local scope, the policy's guarded
//!   client signing with the tenant's credentials, one `GetItem`.
//! * **Baseline:** `get_order_baseline` below — the same handler body (order id from the path,
//!   id check, one `GetItem` of `TENANT#<tenant>`/`ORDER#<id>`, the same JSON answer) through
//!   ONE static DynamoDB client, no STS, no JWT (the tenant comes from an `x-tenant-id` header,
//!   unverified, as a non-isolated service would take it).
//!
//! Both see the same `lambda_http::Request`s (API Gateway v2 events decoded as the Lambda
//! runtime does, built before the clock starts), `--requests` each over `--tenants` tenants with
//! `--concurrency` requests in flight, in alternating batches of `--batch` (A B, B A, A B, …) so
//! that drift of the machine or of moto cancels out. Latency is per request, from the call to
//! its response.
//!
//! Then the cold burst: `--burst` concurrent first requests of one new tenant on a fresh
//! `Isolation` must make exactly one STS call; the same burst through the baseline is shown
//! for scale (it is what moto takes to answer that many `GetItem`s).
//!
//! With `--baseline-sts-credentials`, the baseline's one client signs with temporary
//! credentials from one STS `AssumeRole` (as the isolated clients do) instead of the static
//! `testing` keys: moto resolves temporary keys through its STS/IAM state on every request,
//! which a real DynamoDB endpoint does not make the client pay for.
//!
//! Exits non-zero if STS calls > `--max-sts` (100), the median ratio isolated/baseline >
//! `--max-ratio` (1.05), the burst made other than 1 STS call, or any request failed.
//!
//! `cargo bench -p tenant-isolation-tests --bench load -- [--max-ratio 1.05] [--requests 10000]
//! [--tenants 100] [--concurrency 32] [--batch 500] [--burst 1000] [--max-sts 100]
//! [--baseline-sts-credentials]`

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use orders_example::data::Order;
use orders_example::handlers::get_order;
use serde_json::json;
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tenant_isolation::{Isolation, Verifier};
use tenant_isolation_testkit::events::ApiEvent;
use tenant_isolation_tests::{provision, sdk_config};

const SECRET: &[u8] = b"load-bench-hs256-secret-of-32-bytes!";
const ISSUER: &str = "https://issuer.load-bench.invalid";
const AUDIENCE: &str = "orders";
const TABLE: &str = "Orders";

#[derive(Debug, Clone)]
struct Args {
    requests: usize,
    tenants: usize,
    concurrency: usize,
    batch: usize,
    burst: usize,
    max_ratio: f64,
    max_sts: u64,
    baseline_sts_credentials: bool,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut a = Args {
            requests: 10_000,
            tenants: 100,
            concurrency: 32,
            batch: 500,
            burst: 1_000,
            max_ratio: 1.05,
            max_sts: 100,
            baseline_sts_credentials: false,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            // `cargo bench` passes `--bench` to every bench binary.
            if flag == "--bench" {
                continue;
            }
            if flag == "--baseline-sts-credentials" {
                a.baseline_sts_credentials = true;
                continue;
            }
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let int = |v: &str| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
            match flag.as_str() {
                "--requests" => a.requests = int(&value)?,
                "--tenants" => a.tenants = int(&value)?,
                "--concurrency" => a.concurrency = int(&value)?,
                "--batch" => a.batch = int(&value)?,
                "--burst" => a.burst = int(&value)?,
                "--max-sts" => a.max_sts = int(&value)? as u64,
                "--max-ratio" => a.max_ratio = value.parse().map_err(|e| format!("--max-ratio {value}: {e}"))?,
                other => return Err(format!("unknown flag {other}")),
            }
        }
        if a.tenants == 0 || a.concurrency == 0 || a.batch == 0 || a.requests == 0 {
            return Err("--requests, --tenants, --concurrency and --batch must be positive".into());
        }
        Ok(a)
    }
}

fn tenant_name(i: usize) -> String {
    format!("load-{i:03}")
}

/// The order id seeded for tenant `i`: lowercase hex, as `data::create` makes them.
fn order_id(i: usize) -> String {
    format!("{:012x}", 0xb0_0000 + i)
}

fn mint(tenant: &str) -> String {
    let claims = json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": format!("user-{tenant}"), "tenant_id": tenant,
        "exp": jsonwebtoken::get_current_timestamp() + 3600 });
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(SECRET))
        .expect("mint HS256 token")
}

/// `GET /orders/{id}` as an API Gateway HTTP API (v2) event, decoded as `lambda_http::run` does.
fn request(token: &str, tenant: &str, id: &str) -> Request {
    let event = ApiEvent::new("GET", &format!("/orders/{id}"))
        .route("/orders/{id}")
        .path_parameter("id", id)
        .bearer(token)
        .header("x-tenant-id", tenant)
        .request_id("load")
        .http_api();
    let decoded: LambdaRequest = serde_json::from_value(event).expect("a valid API Gateway event");
    Request::from(decoded)
}

// ---- The baseline: get_order's body with one static client and no isolation. ----------------

fn json_response(status: u16, value: &impl serde::Serialize) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(serde_json::to_string(value)?))?)
}

fn valid_id(id: &str) -> bool {
    (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn order_from(item: &HashMap<String, AttributeValue>) -> Option<Order> {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    Some(Order {
        id: text("sk")?.strip_prefix("ORDER#")?.to_owned(),
        item: text("item")?,
        quantity: item.get("quantity").and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok())?,
        status: text("status")?,
        customer: text("customer"),
        attachment: text("attachment"),
        currency: text("currency"),
        webhook_key: text("webhook_key"),
    })
}

/// `get_order` without isolation: same steps, one shared client, tenant from a header.
async fn get_order_baseline(client: &aws_sdk_dynamodb::Client, request: Request) -> Result<Response<Body>, Error> {
    let Some(id) = request.path_parameters_ref().and_then(|p| p.first("id")).map(str::to_owned) else {
        return json_response(400, &json!({ "error": "bad_request" }));
    };
    let tenant = request.headers().get("x-tenant-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !valid_id(&id) {
        return json_response(404, &json!({ "error": "not_found" }));
    }
    let out = client
        .get_item()
        .table_name(TABLE)
        .key("pk", AttributeValue::S(format!("TENANT#{tenant}")))
        .key("sk", AttributeValue::S(format!("ORDER#{id}")))
        .send()
        .await;
    match out {
        Ok(out) => match out.item().map(order_from) {
            Some(Some(order)) => json_response(200, &order),
            Some(None) => json_response(500, &json!({ "error": "internal" })),
            None => json_response(404, &json!({ "error": "not_found" })),
        },
        Err(_) => json_response(503, &json!({ "error": "unavailable" })),
    }
}

// ---- Running workloads. ----------------------------------------------------------------------

#[derive(Clone)]
enum Mode {
    Isolated(Isolation),
    Baseline(aws_sdk_dynamodb::Client),
}

impl Mode {
    async fn call(&self, request: Request) -> Result<Response<Body>, Error> {
        match self {
            Mode::Isolated(iso) => get_order::call_with(iso, request).await,
            Mode::Baseline(client) => get_order_baseline(client, request).await,
        }
    }
}

#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    failures: usize,
    wall: Duration,
}

impl Outcome {
    fn absorb(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        self.failures += other.failures;
        self.wall += other.wall;
    }
}

/// Requests `first..first + count` (request `k` is for tenant `k % tenants`), `concurrency`
/// in flight. Stops by itself when the range is done.
async fn run_batch(mode: &Mode, tokens: &Arc<Vec<String>>, first: usize, count: usize, concurrency: usize) -> Outcome {
    let next = Arc::new(AtomicUsize::new(first));
    let end = first + count;
    let tenants = tokens.len();
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency.min(count))
        .map(|_| {
            let (mode, tokens, next) = (mode.clone(), tokens.clone(), next.clone());
            tokio::spawn(async move {
                let mut out = Outcome::default();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= end {
                        break out;
                    }
                    let t = k % tenants;
                    let req = request(&tokens[t], &tenant_name(t), &order_id(t));
                    let started = Instant::now();
                    let resp = mode.call(req).await;
                    out.latencies.push(started.elapsed());
                    if !matches!(&resp, Ok(r) if r.status() == 200) {
                        out.failures += 1;
                        if out.failures <= 3 {
                            eprintln!("request {k} failed: {:?}", resp.map(|r| (r.status(), r.into_body())));
                        }
                    }
                }
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for w in workers {
        outcome.absorb(w.await.expect("worker task"));
    }
    outcome.wall = start.elapsed();
    outcome
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

struct Summary {
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
    mean: Duration,
    rps: f64,
}

fn summarize(label: &str, outcome: &mut Outcome) -> Summary {
    outcome.latencies.sort_unstable();
    let l = &outcome.latencies;
    let total: Duration = l.iter().sum();
    let s = Summary {
        p50: percentile(l, 50.0),
        p90: percentile(l, 90.0),
        p99: percentile(l, 99.0),
        max: l.last().copied().unwrap_or_default(),
        mean: total / l.len().max(1) as u32,
        rps: l.len() as f64 / outcome.wall.as_secs_f64().max(1e-9),
    };
    println!(
        "{label:<10} n={:<6} failures={:<3} median {}  p90 {}  p99 {}  max {}  mean {}  {:.0} req/s",
        l.len(),
        outcome.failures,
        ms(s.p50),
        ms(s.p90),
        ms(s.p99),
        ms(s.max),
        ms(s.mean),
        s.rps
    );
    s
}

fn verifier() -> Verifier {
    Verifier::builder().development_hs256(SECRET).issuer(ISSUER).audience([AUDIENCE]).build().expect("HS256 verifier")
}

async fn isolation(sdk: &aws_config::SdkConfig, role_arn: &str) -> Isolation {
    Isolation::builder()
        .sdk_config(sdk.clone())
        .role_arn(role_arn)
        .verifier(verifier())
        .build()
        .await
        .expect("isolation config")
}

async fn seed(client: &aws_sdk_dynamodb::Client, tenant: &str, id: &str) {
    client
        .put_item()
        .table_name(TABLE)
        .item("pk", AttributeValue::S(format!("TENANT#{tenant}")))
        .item("sk", AttributeValue::S(format!("ORDER#{id}")))
        .item("item", AttributeValue::S(format!("lamp for {tenant}")))
        .item("quantity", AttributeValue::N("2".into()))
        .item("status", AttributeValue::S("open".into()))
        .send()
        .await
        .expect("seed PutItem");
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("load: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let ok = rt.block_on(run(args));
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

async fn run(args: Args) -> bool {
    println!("load: {args:?}; tokio workers = {}", std::thread::available_parallelism().map_or(0, |n| n.get()));
    let moto = tenant_isolation_tests::start_moto();
    let fx = provision(&moto);
    let sdk = sdk_config(&moto.endpoint()).await;
    let static_client = aws_sdk_dynamodb::Client::new(&sdk);

    for i in 0..args.tenants {
        seed(&static_client, &tenant_name(i), &order_id(i)).await;
    }
    let static_client = if args.baseline_sts_credentials {
        let out = aws_sdk_sts::Client::new(&sdk)
            .assume_role()
            .role_arn(&fx.role_arn)
            .role_session_name("baseline")
            .send()
            .await
            .expect("AssumeRole for the baseline");
        let c = out.credentials().expect("credentials");
        let creds = aws_credential_types::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            None,
            "baseline",
        );
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk).credentials_provider(creds).build(),
        )
    } else {
        static_client
    };
    let tokens: Arc<Vec<String>> = Arc::new((0..args.tenants).map(|i| mint(&tenant_name(i))).collect());
    let iso = isolation(&sdk, &fx.role_arn).await;
    let isolated = Mode::Isolated(iso.clone());
    let baseline = Mode::Baseline(static_client.clone());

    // ---- Interleaved workloads.
    let mut iso_out = Outcome::default();
    let mut base_out = Outcome::default();
    let mut done = 0;
    let mut round = 0;
    let started = Instant::now();
    while done < args.requests {
        let count = args.batch.min(args.requests - done);
        // A B, B A, A B, ...: each mode goes first in half of the rounds.
        let order: [(&Mode, bool); 2] = if round % 2 == 0 {
            [(&isolated, true), (&baseline, false)]
        } else {
            [(&baseline, false), (&isolated, true)]
        };
        for (mode, is_iso) in order {
            let out = run_batch(mode, &tokens, done, count, args.concurrency).await;
            if is_iso { iso_out.absorb(out) } else { base_out.absorb(out) }
        }
        done += count;
        round += 1;
    }
    println!(
        "\n== steady load: {} requests per mode over {} tenants, {} in flight, {} alternating batches of {} ({:.1} s) ==",
        args.requests,
        args.tenants,
        args.concurrency,
        round * 2,
        args.batch,
        started.elapsed().as_secs_f64()
    );
    let i = summarize("isolated", &mut iso_out);
    let b = summarize("baseline", &mut base_out);
    let stats = iso.stats();
    let ratio = i.p50.as_secs_f64() / b.p50.as_secs_f64();
    let ratio_p90 = i.p90.as_secs_f64() / b.p90.as_secs_f64();
    println!("credential cache: {stats:?}");
    let sts_ok = stats.sts_calls <= args.max_sts;
    let ratio_ok = ratio <= args.max_ratio;
    let failures_ok = iso_out.failures == 0 && base_out.failures == 0;
    println!("STS calls: {} (target <= {}): {}", stats.sts_calls, args.max_sts, if sts_ok { "PASS" } else { "FAIL" });
    println!(
        "median ratio isolated/baseline: {ratio:.3} (target <= {:.2}): {}   (p90 ratio {ratio_p90:.3}, mean ratio {:.3}, throughput ratio {:.3})",
        args.max_ratio,
        if ratio_ok { "PASS" } else { "FAIL" },
        i.mean.as_secs_f64() / b.mean.as_secs_f64(),
        i.rps / b.rps,
    );

    // ---- Cold burst: one new tenant, `burst` concurrent first requests.
    let burst_ok = if args.burst > 0 {
        let tenant = "burst-cold";
        let id = order_id(999_999);
        seed(&static_client, tenant, &id).await;
        let token = Arc::new(mint(tenant));
        let cold = isolation(&sdk, &fx.role_arn).await;
        println!("\n== cold burst: {} concurrent first requests of tenant `{tenant}` ==", args.burst);
        let mut all_ok = true;
        for (label, mode) in [("isolated", Mode::Isolated(cold.clone())), ("baseline", baseline.clone())] {
            let (outcome, wall) = burst(&mode, &token, tenant, &id, args.burst).await;
            let mut outcome = outcome;
            summarize(label, &mut outcome);
            println!(
                "{label:<10} all {} served in {}  (fastest answer {})",
                args.burst,
                ms(wall),
                ms(outcome.latencies[0])
            );
            all_ok &= outcome.failures == 0;
        }
        cold.sync_cache().await;
        let stats = cold.stats();
        println!("credential cache: {stats:?}");
        let one = stats.sts_calls == 1;
        println!(
            "burst STS calls: {} (target exactly 1; {} requests found no entry and waited on it): {}",
            stats.sts_calls,
            stats.misses,
            if one { "PASS" } else { "FAIL" }
        );
        one && all_ok
    } else {
        true
    };

    let pass = sts_ok && ratio_ok && failures_ok && burst_ok;
    println!("\nload: {}", if pass { "PASS" } else { "FAIL" });
    drop(moto);
    pass
}

/// `n` requests of one tenant, all released at once; returns the outcome and the time until
/// the last one was answered.
async fn burst(mode: &Mode, token: &Arc<String>, tenant: &str, id: &str, n: usize) -> (Outcome, Duration) {
    let gate = Arc::new(tokio::sync::Barrier::new(n + 1));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (mode, gate) = (mode.clone(), gate.clone());
            let req = request(token, tenant, id);
            tokio::spawn(async move {
                gate.wait().await;
                let started = Instant::now();
                let resp = mode.call(req).await;
                (started.elapsed(), matches!(&resp, Ok(r) if r.status() == 200))
            })
        })
        .collect();
    let start = Instant::now();
    gate.wait().await;
    let mut out = Outcome::default();
    for t in tasks {
        let (latency, ok) = t.await.expect("burst task");
        out.latencies.push(latency);
        out.failures += usize::from(!ok);
    }
    let wall = start.elapsed();
    out.wall = wall;
    out.latencies.sort_unstable();
    (out, wall)
}
