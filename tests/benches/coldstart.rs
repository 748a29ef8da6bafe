//! Cold start: the real release bootstrap binaries, started as Lambda starts them, against a
//! local stand-in for the Lambda Runtime API and moto.
//!
//! * **Isolated:** `examples/orders/src/bin/get-order.rs` — `orders_example::init` (tracing,
//!   `Isolation` from the environment, `prepare(get_order::SPEC)`) then `lambda_http::run`. Its
//!   first invocation fetches the key set (RS256 tokens, key set served by the testkit's
//!   `JwksServer` on 127.0.0.1), verifies the token, renders the session policy, calls
//!   `AssumeRole` on moto and sends the guarded `GetItem`.
//! * **Bare:** `examples/orders/src/bin/bare-get-order.rs` — the same `GET /orders/{id}` as a
//!   plain `lambda_http` function on ONE DynamoDB client built at init (no JWT, no STS; the
//!   tenant from an unverified header), with the same logging set-up and dependencies.
//!
//! Both binaries are built by this bench with `cargo build --release -p orders-example --bin
//! get-order --bin bare-get-order` (what `cargo lambda build --release` compiles: the example's
//! own feature set, not the workspace's), and run with the same environment except the
//! `TENANT_*` settings of the isolated one: `AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>` of a
//! Runtime API stand-in started for that run, `AWS_ENDPOINT_URL` = moto, static test keys.
//!
//! The Runtime API stand-in (an axum server on 127.0.0.1, one per run) serves
//! `GET /2018-06-01/runtime/invocation/next` with the headers `lambda_runtime` reads
//! (`lambda-runtime-aws-request-id`, `-deadline-ms`, `-invoked-function-arn`, `-trace-id`), two
//! events, then holds the third `next` until the process is killed; it takes
//! `POST .../invocation/{id}/response`, `.../invocation/{id}/error` and `/runtime/init/error`,
//! and timestamps every request as it arrives. Per run:
//!
//! * **init**: process spawn → first `next` request (what Lambda reports as Init Duration);
//! * **first invocation**: first event served → its response posted;
//! * **second invocation**: the same for the second event (same tenant: warm).
//!
//! Runs alternate A B B A (`--reps` per binary, after one unmeasured run of each to load the
//! binaries into the page cache); figures are medians. In the same run the bench times one
//! `AssumeRole` on a fresh STS client (a new connection, as the binary's first call makes),
//! with the session policy the binary sends, and one key-set fetch on a fresh HTTP client.
//!
//! Sizes: each binary is copied and the copy stripped with `strip` (binutils; the release
//! profile keeps symbols), before and after are shown. `get-order`'s handler declares no bucket
//! while its crate enables the runtime's `s3` feature, so the bench also counts the `aws-sdk-s3`
//! symbols left in it (`nm`, binutils): what a DynamoDB-only binary of an `s3` crate still links.
//!
//! Targets (issue 18): init ≤ 1.1 × bare (no key-set prefetch at init: the verifier fetches on
//! first use); first invocation ≤ bare + one `AssumeRole` + 2 ms; stripped binary ≤ 1.2 × bare.
//! Exits non-zero if a target is missed or any invocation failed. Every run is bounded
//! (`RUN_TIMEOUT`), and its process is killed when it ends or the bench stops.
//!
//! `cargo bench -p tenant-isolation-tests --bench coldstart -- [--reps 10]`

use aws_sdk_dynamodb::types::AttributeValue;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use serde_json::Value;
use std::collections::VecDeque;
use std::path::{Path as FsPath, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tenant_isolation::{Isolation, TenantId};
use tenant_isolation_testkit::events::ApiEvent;
use tenant_isolation_testkit::tokens::{self, AUDIENCE, ISSUER};
use tenant_isolation_testkit::{JwksServer, Keys, Reply};
use tokio::sync::mpsc;

/// How long one run (spawn, two invocations) may take before it counts as failed.
const RUN_TIMEOUT: Duration = Duration::from_secs(30);
const TENANT: &str = "cold-acme";
const ORDER_ID: &str = "00000000c01d";
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:get-order";

const INIT_MAX_RATIO: f64 = 1.1;
const FIRST_SLACK: Duration = Duration::from_millis(2);
const SIZE_MAX_RATIO: f64 = 1.2;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Bin {
    Isolated,
    Bare,
}

impl Bin {
    fn name(self) -> &'static str {
        match self {
            Bin::Isolated => "get-order",
            Bin::Bare => "bare-get-order",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Bin::Isolated => "isolated",
            Bin::Bare => "bare",
        }
    }
}

// ---- The Runtime API stand-in. ---------------------------------------------------------------

/// A request to the stand-in, timestamped on arrival.
#[derive(Debug)]
enum Seen {
    Next(Instant),
    Response(Instant, String),
    Error(String),
    InitError(String),
}

struct Api {
    /// The events still to hand out (request id, body); `next` after the last one waits forever.
    events: Mutex<VecDeque<(String, String)>>,
    seen: mpsc::UnboundedSender<Seen>,
}

async fn next(State(api): State<Arc<Api>>) -> (StatusCode, HeaderMap, String) {
    let _ = api.seen.send(Seen::Next(Instant::now()));
    let event = api.events.lock().expect("events").pop_front();
    let Some((id, body)) = event else {
        // Lambda freezes the environment here; the bench kills it.
        return std::future::pending().await;
    };
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() + 30_000;
    let mut headers = HeaderMap::new();
    let value = |s: &str| HeaderValue::from_str(s).expect("header value");
    headers.insert("lambda-runtime-aws-request-id", value(&id));
    headers.insert("lambda-runtime-deadline-ms", value(&deadline.to_string()));
    headers.insert("lambda-runtime-invoked-function-arn", value(FUNCTION_ARN));
    headers.insert("lambda-runtime-trace-id", value(&format!("Root=1-00000000-{id:0>24};Sampled=0")));
    headers.insert("content-type", value("application/json"));
    (StatusCode::OK, headers, body)
}

async fn response(State(api): State<Arc<Api>>, Path(_id): Path<String>, body: String) -> StatusCode {
    let _ = api.seen.send(Seen::Response(Instant::now(), body));
    StatusCode::ACCEPTED
}

async fn error(State(api): State<Arc<Api>>, Path(_id): Path<String>, body: String) -> StatusCode {
    let _ = api.seen.send(Seen::Error(body));
    StatusCode::ACCEPTED
}

async fn init_error(State(api): State<Arc<Api>>, body: String) -> StatusCode {
    let _ = api.seen.send(Seen::InitError(body));
    StatusCode::ACCEPTED
}

/// Starts a stand-in on an ephemeral port of 127.0.0.1 with `events` to hand out; returns its
/// `host:port`, what it sees, and its task (aborted by the caller).
async fn start_api(
    events: Vec<(String, String)>,
) -> (String, mpsc::UnboundedReceiver<Seen>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let api = Arc::new(Api { events: Mutex::new(events.into()), seen: tx });
    let app = axum::Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr.to_string(), rx, task)
}

/// `GET /orders/{id}` as an API Gateway HTTP API (v2) event: a bearer token for the isolated
/// binary, the tenant header for the bare one (each ignores the other's).
fn event(token: &str) -> String {
    ApiEvent::new("GET", &format!("/orders/{ORDER_ID}"))
        .route("/orders/{id}")
        .path_parameter("id", ORDER_ID)
        .bearer(token)
        .header("x-tenant-id", TENANT)
        .request_id("cold")
        .http_api()
        .to_string()
}

// ---- One run of one binary. ------------------------------------------------------------------

/// Kills the bootstrap process however the run ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Clone, Copy, Debug)]
struct Run {
    init: Duration,
    first: Duration,
    second: Duration,
}

struct Setup {
    dir: PathBuf,
    moto_endpoint: String,
    role_arn: String,
    jwks_url: String,
    token: String,
}

/// The environment Lambda and the deployment would give the function (same for both but the
/// `TENANT_*` settings), and nothing from this process's environment.
fn environment(setup: &Setup, bin: Bin, api: &str) -> Vec<(String, String)> {
    let mut env = vec![
        ("AWS_LAMBDA_RUNTIME_API", api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", bin.name().to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", bin.name())),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "coldstart".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_ENDPOINT_URL", setup.moto_endpoint.clone()),
        // No instance metadata lookups on a machine that is not EC2.
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        // No ~/.aws files: both binaries see the same (empty) profile.
        ("AWS_CONFIG_FILE", setup.dir.join("no-aws-config").display().to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", setup.dir.join("no-aws-credentials").display().to_string()),
        ("ORDERS_TABLE", "Orders".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    if bin == Bin::Isolated {
        env.extend([
            ("TENANT_ROLE_ARN", setup.role_arn.clone()),
            ("TENANT_JWT_ISSUER", ISSUER.to_owned()),
            ("TENANT_JWT_AUDIENCE", AUDIENCE.to_owned()),
            ("TENANT_JWKS_URL", setup.jwks_url.clone()),
            ("TENANT_JWT_ALLOW_HTTP_LOOPBACK", "1".to_owned()),
        ]);
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn status_of(body: &str) -> Option<u64> {
    serde_json::from_str::<Value>(body).ok()?.get("statusCode")?.as_u64()
}

/// Starts `bin` against a fresh Runtime API stand-in, serves it two events and times them.
async fn run_once(setup: &Setup, path: &FsPath, bin: Bin, n: usize, extra: &[(String, String)]) -> Result<Run, String> {
    let events = (1..=2).map(|i| (format!("{}-{n}-{i}", bin.label()), event(&setup.token))).collect();
    let (api, mut seen, server) = start_api(events).await;
    let log = setup.dir.join(format!("{}-{n}.log", bin.name()));
    let stderr = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let started = Instant::now();
    let child = Command::new(path)
        .env_clear()
        .envs(environment(setup, bin, &api))
        .envs(extra.iter().cloned())
        .stdin(Stdio::null())
        .stdout(stderr.try_clone().map_err(|e| e.to_string())?)
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", path.display()))?;
    let _child = Killed(child);
    let outcome = tokio::time::timeout(RUN_TIMEOUT, async {
        let (mut nexts, mut responses) = (Vec::new(), Vec::new());
        while responses.len() < 2 {
            match seen.recv().await {
                Some(Seen::Next(at)) => nexts.push(at),
                Some(Seen::Response(at, body)) => match status_of(&body) {
                    Some(200) => responses.push(at),
                    _ => return Err(format!("answered {body}")),
                },
                Some(Seen::Error(body)) => return Err(format!("invocation error {body}")),
                Some(Seen::InitError(body)) => return Err(format!("init error {body}")),
                None => return Err("the Runtime API stand-in stopped".to_owned()),
            }
        }
        if nexts.len() < 2 {
            return Err(format!("{} `next` requests before 2 responses", nexts.len()));
        }
        Ok(Run { init: nexts[0] - started, first: responses[0] - nexts[0], second: responses[1] - nexts[1] })
    })
    .await
    .unwrap_or_else(|_| Err(format!("no two answers within {RUN_TIMEOUT:?}")));
    server.abort();
    outcome.map_err(|e| format!("{} run {n}: {e} (log: {})", bin.name(), log.display()))
}

// ---- What the isolated first invocation adds: one AssumeRole, one key-set fetch. ----------------

/// One `AssumeRole` with `policy` on a fresh STS client (its own connection pool, as the
/// binary's STS client is), timed from the call to the parsed answer.
async fn assume_role_once(sdk: &aws_config::SdkConfig, role_arn: &str, policy: &str, n: usize) -> Duration {
    let sts = aws_sdk_sts::Client::new(sdk);
    let started = Instant::now();
    sts.assume_role()
        .role_arn(role_arn)
        .role_session_name(format!("tenant-{TENANT}-{n}"))
        .policy(policy)
        .duration_seconds(3600)
        .send()
        .await
        .expect("AssumeRole on moto");
    started.elapsed()
}

/// One key-set fetch on a fresh HTTP client (a new connection).
async fn jwks_fetch_once(url: &str) -> Duration {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let body = client.get(url).send().await.expect("key set").text().await.expect("key set body");
    assert!(body.contains("keys"));
    started.elapsed()
}

// ---- Binaries and sizes. ---------------------------------------------------------------------

/// `<target>/release`, where this bench binary (`<target>/release/deps/coldstart-…`) lives.
fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent().and_then(FsPath::parent).expect("<target>/release/deps/<bench>").to_path_buf()
}

/// Builds both bootstrap binaries as a user's release build of the example would.
fn build_binaries() -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "orders-example"])
        .args(["--bin", Bin::Isolated.name(), "--bin", Bin::Bare.name()])
        .current_dir(tenant_isolation_tests::workspace_root())
        .status()
        .map_err(|e| format!("cargo build: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("cargo build --release -p orders-example: {status}")) }
}

/// (unstripped, stripped) size in bytes; the stripped copy is written into `dir`.
fn sizes(path: &FsPath, dir: &FsPath) -> Result<(u64, u64), String> {
    let copy = dir.join(format!("{}.stripped", path.file_name().and_then(|n| n.to_str()).unwrap_or("bin")));
    std::fs::copy(path, &copy).map_err(|e| format!("copy {}: {e}", path.display()))?;
    let status = Command::new("strip").arg(&copy).status().map_err(|e| format!("strip: {e}"))?;
    if !status.success() {
        return Err(format!("strip {}: {status}", copy.display()));
    }
    let len = |p: &FsPath| std::fs::metadata(p).map(|m| m.len()).map_err(|e| format!("{}: {e}", p.display()));
    Ok((len(path)?, len(&copy)?))
}

/// How many defined symbols of `path` (unstripped) name `needle` when demangled, and their bytes.
fn symbols_of(path: &FsPath, needle: &str) -> Result<(usize, u64), String> {
    let out = Command::new("nm")
        .args(["--defined-only", "--print-size", "--demangle"])
        .arg(path)
        .output()
        .map_err(|e| format!("nm: {e}"))?;
    if !out.status.success() {
        return Err(format!("nm {}: {}", path.display(), out.status));
    }
    let (mut count, mut bytes) = (0, 0);
    // `<address> <size> <type> <name>`; symbols without a size have three fields.
    for line in String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains(needle)) {
        count += 1;
        bytes += line.split_whitespace().nth(1).and_then(|s| u64::from_str_radix(s, 16).ok()).unwrap_or(0);
    }
    Ok((count, bytes))
}

// ---- Report. -------------------------------------------------------------------------------------

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    if v.is_empty() { Duration::ZERO } else { v[v.len() / 2] }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

fn parse_reps() -> Result<usize, String> {
    let mut reps = 10;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => {}
            "--reps" => {
                let v = it.next().ok_or("--reps needs a value")?;
                reps = v.parse().map_err(|e| format!("--reps {v}: {e}"))?;
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if reps == 0 {
        return Err("--reps must be positive".into());
    }
    Ok(reps)
}

fn main() -> ExitCode {
    let reps = match parse_reps() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("coldstart: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = build_binaries() {
        eprintln!("coldstart: {e}");
        return ExitCode::FAILURE;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match rt.block_on(run(reps)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("coldstart: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(reps: usize) -> Result<bool, String> {
    let release = release_dir();
    let paths = [Bin::Isolated, Bin::Bare].map(|b| release.join(b.name()));
    let moto = tenant_isolation_tests::start_moto();
    let fx = tenant_isolation_tests::provision(&moto);
    let sdk = tenant_isolation_tests::sdk_config(&moto.endpoint()).await;
    aws_sdk_dynamodb::Client::new(&sdk)
        .put_item()
        .table_name("Orders")
        .item("pk", AttributeValue::S(format!("TENANT#{TENANT}")))
        .item("sk", AttributeValue::S(format!("ORDER#{ORDER_ID}")))
        .item("item", AttributeValue::S("lamp".into()))
        .item("quantity", AttributeValue::N("2".into()))
        .item("status", AttributeValue::S("open".into()))
        .send()
        .await
        .map_err(|e| format!("seeding the order: {e:?}"))?;
    let keys = Keys::bundled();
    let jwks = JwksServer::start(Reply::Json(keys.key_set())).await;
    // Ten minutes of validity: far longer than the bench.
    let token = tokens::rs256(&keys, &tokens::claims(TENANT));
    let dir = std::env::temp_dir().join(format!("ti-coldstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let setup = Setup {
        dir: dir.clone(),
        moto_endpoint: moto.endpoint(),
        role_arn: fx.role_arn.clone(),
        jwks_url: jwks.jwks_url(),
        token,
    };

    // The session policy the isolated binary sends for this tenant.
    let iso = Isolation::builder()
        .sdk_config(sdk.clone())
        .role_arn(&fx.role_arn)
        .verifier(tokens::verifier_builder(&jwks.jwks_url()).build().map_err(|e| e.to_string())?)
        .build()
        .await
        .map_err(|e| e.to_string())?;
    let tenant = TenantId::parse(TENANT).map_err(|e| e.to_string())?;
    let policy = iso.render_policy(orders_example::handlers::get_order::SPEC, &tenant).map_err(|e| e.to_string())?;

    println!(
        "coldstart: {reps} runs per binary, A B B A, after one unmeasured run of each; binaries in {}",
        release.display()
    );
    for (bin, path) in [Bin::Isolated, Bin::Bare].into_iter().zip(&paths) {
        run_once(&setup, path, bin, 0, &[]).await?;
    }
    let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    let (mut assume, mut fetch) = (Vec::new(), Vec::new());
    for n in 1..=reps {
        // A B, B A, A B, …: each binary goes first in half of the pairs.
        let order = if n % 2 == 1 { [0, 1] } else { [1, 0] };
        for i in order {
            let bin = [Bin::Isolated, Bin::Bare][i];
            runs[i].push(run_once(&setup, &paths[i], bin, n, &[]).await?);
        }
        assume.push(assume_role_once(&sdk, &fx.role_arn, &policy, n).await);
        fetch.push(jwks_fetch_once(&setup.jwks_url).await);
    }

    // The largest part of either init: both binaries load the platform's root certificates
    // (rustls-native-certs: `SSL_CERT_FILE` and every file of `SSL_CERT_DIR`, /etc/ssl/certs
    // by default) for the SDK's HTTPS client, once per process. (Until issue 18 the isolated one
    // loaded them a second time for a key-set client of its own; the verifier now fetches with
    // the SDK's client.) The same runs with the roots read from the bundle file alone
    // (`SSL_CERT_DIR` an empty directory) show the rest of the difference without most of that
    // shared cost and its noise.
    let empty = dir.join("empty-cert-dir");
    std::fs::create_dir_all(&empty).map_err(|e| format!("{}: {e}", empty.display()))?;
    let bundle = FsPath::new("/etc/ssl/certs/ca-certificates.crt");
    let mut one_file: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    if bundle.is_file() {
        let extra = [
            ("SSL_CERT_FILE".to_owned(), bundle.display().to_string()),
            ("SSL_CERT_DIR".to_owned(), empty.display().to_string()),
        ];
        for n in 1..=reps {
            let order = if n % 2 == 1 { [0, 1] } else { [1, 0] };
            for i in order {
                let bin = [Bin::Isolated, Bin::Bare][i];
                one_file[i].push(run_once(&setup, &paths[i], bin, 100 + n, &extra).await?.init);
            }
        }
    }

    let pick = |i: usize, f: fn(&Run) -> Duration| median(runs[i].iter().map(f).collect());
    let [(ii, i1, i2), (bi, b1, b2)] =
        [0, 1].map(|i| (pick(i, |r| r.init), pick(i, |r| r.first), pick(i, |r| r.second)));
    let assume_rt = median(assume);
    let fetch_rt = median(fetch);
    println!("{:<10} {:>12} {:>18} {:>19}", "", "init", "first invocation", "second invocation");
    for (label, (init, first, second)) in [("isolated", (ii, i1, i2)), ("bare", (bi, b1, b2))] {
        println!("{label:<10} {:>12} {:>18} {:>19}", ms(init), ms(first), ms(second));
    }
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!(
        "{:<10} {:>12} {:>18} {:>19}",
        "ratio",
        format!("x{:.3}", ratio(ii, bi)),
        format!("x{:.3}", ratio(i1, b1)),
        format!("x{:.3}", ratio(i2, b2))
    );
    let spread = |i: usize, f: fn(&Run) -> Duration| {
        let v: Vec<Duration> = runs[i].iter().map(f).collect();
        format!(
            "{}..{}",
            ms(*v.iter().min().unwrap_or(&Duration::ZERO)),
            ms(*v.iter().max().unwrap_or(&Duration::ZERO))
        )
    };
    for (i, label) in [(0, "isolated"), (1, "bare")] {
        println!(
            "{label:<10} ranges: init {}, first {}, second {}",
            spread(i, |r| r.init),
            spread(i, |r| r.first),
            spread(i, |r| r.second)
        );
    }
    println!(
        "same run: one AssumeRole (fresh client, {} B policy) {}; one key-set fetch (fresh client) {}",
        policy.len(),
        ms(assume_rt),
        ms(fetch_rt)
    );

    if !one_file[0].is_empty() {
        let [oi, ob] = one_file.map(median);
        println!(
            "init with the root certificates from one bundle file (SSL_CERT_DIR empty), same run: isolated {}, bare {}, \
             x{:.3}",
            ms(oi),
            ms(ob),
            ratio(oi, ob)
        );
    }
    let init_ok = ratio(ii, bi) <= INIT_MAX_RATIO;
    let first_budget = b1 + assume_rt + FIRST_SLACK;
    let first_ok = i1 <= first_budget;
    println!(
        "init: isolated/bare x{:.3} (target <= {INIT_MAX_RATIO}; no key set is fetched at init): {}",
        ratio(ii, bi),
        verdict(init_ok)
    );
    println!(
        "first invocation: isolated {} vs bare {} + AssumeRole {} + 2 ms = {} (target: within): {}  (over bare: {})",
        ms(i1),
        ms(b1),
        ms(assume_rt),
        ms(first_budget),
        verdict(first_ok),
        ms(i1.saturating_sub(b1))
    );

    let mut size_ok = true;
    let mut stripped = [0u64; 2];
    for (i, bin) in [Bin::Isolated, Bin::Bare].into_iter().enumerate() {
        let (full, small) = sizes(&paths[i], &dir)?;
        stripped[i] = small;
        println!(
            "binary {:<15} {:>10} B unstripped, {:>10} B stripped ({:.2} MiB)",
            bin.name(),
            full,
            small,
            small as f64 / 1048576.0
        );
    }
    match symbols_of(&paths[0], "aws_sdk_s3::") {
        Ok((count, bytes)) => println!(
            "binary {:<15} links {count} aws-sdk-s3 symbols, {bytes} B (its handler declares no bucket)",
            Bin::Isolated.name()
        ),
        Err(e) => println!("binary {:<15} aws-sdk-s3 symbols not counted: {e}", Bin::Isolated.name()),
    }
    let size_ratio = stripped[0] as f64 / stripped[1] as f64;
    size_ok &= size_ratio <= SIZE_MAX_RATIO;
    println!(
        "binary size (stripped): isolated/bare x{size_ratio:.3} (target <= {SIZE_MAX_RATIO}): {}",
        verdict(size_ok)
    );

    let pass = init_ok && first_ok && size_ok;
    println!("coldstart: {}", verdict(pass));
    let _ = std::fs::remove_dir_all(&dir);
    drop(moto);
    Ok(pass)
}
