//! Reliability: a concurrency stress with zero cross-tenant mismatches, and faults injected
//! into real processes (moto stopped, restarted, denying; a hung socket; a malformed STS
//! answer). Each test prints the counts it proves.

use crate::common::unique;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::LambdaEvent;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tenant_isolation::{
    ErrorKind, Isolation, IsolationError, StsFailure, TenantId, TenantPayload, TenantTable, Verifier, current_tenant,
    spawn, tenant_isolated,
};
use tenant_isolation_tests::{provision, sdk_config, sdk_config_with_sts};

const SECRET: &[u8] = b"reliability-suite-secret-of-32-bytes+";
const ISSUER: &str = "https://issuer.test";

fn hs256_verifier() -> Verifier {
    Verifier::builder().development_hs256(SECRET).issuer(ISSUER).audience(["orders"]).build().unwrap()
}

fn mint(tenant: &str) -> String {
    let claims = json!({ "iss": ISSUER, "aud": "orders", "sub": tenant, "tenant_id": tenant,
        "exp": jsonwebtoken::get_current_timestamp() + 900 });
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(SECRET))
        .unwrap()
}

/// A custom (non-HTTP) event: the token travels in the payload.
struct Job {
    token: String,
    expect: String,
    id: u64,
}

impl TenantPayload for Job {
    type Caller = tenant_isolation::event::Invocation;
    fn bearer_token(&self) -> Option<&str> {
        Some(&self.token)
    }
}

/// What one invocation observed; `mismatches` counts every cross-tenant observation.
#[derive(Debug, Default)]
struct Report {
    mismatches: u32,
    round_trips: u32,
}

/// xorshift64*: a few random yields per step without a dependency.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

async fn random_yields(state: &mut u64) {
    for _ in 0..next(state) % 4 {
        tokio::task::yield_now().await;
    }
}

#[tenant_isolated(table = "Orders", actions = [GetItem, PutItem])]
async fn stress(table: TenantTable, event: LambdaEvent<Job>) -> Result<Report, lambda_runtime::Error> {
    let job = event.payload;
    let mut rng = job.id.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut report = Report::default();
    let mut check = |ok: bool| report.mismatches += u32::from(!ok);
    random_yields(&mut rng).await;
    let scope = table.scope()?;
    check(scope.tenant().as_str() == job.expect);
    // The credentials are the tenant's own STS session (the assumed-role ARN STS returned).
    check(scope.assumed_role_arn().ends_with(&format!(":assumed-role/TenantData/tenant-{}", job.expect)));
    random_yields(&mut rng).await;
    let pk = table.partition_key()?;
    check(pk == format!("TENANT#{}", job.expect));
    // Spawned work: with the helper it is the same tenant; without, no tenant at all.
    let expect = job.expect.clone();
    let with_helper = spawn(async move {
        tokio::task::yield_now().await;
        current_tenant().map(|t| t.as_str() == expect)
    })?
    .await?;
    check(with_helper == Ok(true));
    check(tokio::spawn(async { current_tenant().is_err() }).await?);
    random_yields(&mut rng).await;
    // Every tenth invocation writes and reads back a real item through the guarded client.
    if job.id.is_multiple_of(10) {
        let sk = format!("STRESS#{}", job.id);
        table
            .put_item()?
            .item("pk", AttributeValue::S(pk.clone()))
            .item("sk", AttributeValue::S(sk.clone()))
            .item("owner", AttributeValue::S(job.expect.clone()))
            .send()
            .await?;
        random_yields(&mut rng).await;
        let got = table.get_item()?.key("pk", AttributeValue::S(pk)).key("sk", AttributeValue::S(sk)).send().await?;
        check(got.item().and_then(|i| i.get("owner")) == Some(&AttributeValue::S(job.expect.clone())));
        check(current_tenant().map(|t| t.as_str() == job.expect) == Ok(true));
        report.round_trips += 2;
    }
    Ok(report)
}

/// 10,000 invocations over 100 tenants in flight together on a multi-threaded runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_interleaved_invocations_never_cross_tenants() {
    const INVOCATIONS: u64 = 10_000;
    const TENANTS: u64 = 100;
    // Its own moto: this load must not slow the other tests' shared server.
    let moto = tenant_isolation_tests::start_moto();
    provision(&moto);
    let iso = isolation_on(&moto.endpoint(), None).await;
    let run = unique("s").replace(['-', '#'], "");
    let tenants: Vec<(String, String)> = (0..TENANTS)
        .map(|i| {
            let t = format!("st{i}x{}", &run[run.len() - 6..]);
            let tok = mint(&t);
            (t, tok)
        })
        .collect();
    let started = Instant::now();
    let limit = Arc::new(tokio::sync::Semaphore::new(512));
    let mut tasks = Vec::with_capacity(INVOCATIONS as usize);
    for id in 0..INVOCATIONS {
        let (tenant, token) = tenants[(id % TENANTS) as usize].clone();
        let (iso, permit) = (iso.clone(), limit.clone().acquire_owned().await.unwrap());
        tasks.push(tokio::spawn(async move {
            let report = stress::call_with(&iso, lambda_event(Job { token, expect: tenant, id })).await;
            drop(permit);
            report
        }));
    }
    let (mut mismatches, mut round_trips, mut errors) = (0, 0, Vec::new());
    for task in tasks {
        match task.await.expect("no invocation panicked") {
            Ok(r) => {
                mismatches += r.mismatches;
                round_trips += r.round_trips;
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    let stats = iso.stats();
    println!(
        "stress: invocations={INVOCATIONS} tenants={TENANTS} mismatches={mismatches} errors={} sts_calls={} \
         dynamodb_round_trips={round_trips} elapsed_ms={}",
        errors.len(),
        stats.sts_calls,
        started.elapsed().as_millis()
    );
    assert!(errors.is_empty(), "{} errors, first: {:?}", errors.len(), errors.first());
    assert_eq!(mismatches, 0);
    assert_eq!(stats.sts_calls, TENANTS, "one STS call per tenant");
    assert_eq!(round_trips, 2 * INVOCATIONS as u32 / 10);
}

/// A job as Lambda delivers it (its context carries no Lambda tenant id here).
fn lambda_event(job: Job) -> LambdaEvent<Job> {
    LambdaEvent::new(job, lambda_runtime::Context::default())
}

fn job(tenant: &str, id: u64) -> LambdaEvent<Job> {
    lambda_event(Job { token: mint(tenant), expect: tenant.to_owned(), id })
}

async fn isolation_on(endpoint: &str, timeouts: Option<aws_smithy_types::timeout::TimeoutConfig>) -> Isolation {
    let mut b = Isolation::builder()
        .sdk_config(sdk_config(endpoint).await)
        .role_arn("arn:aws:iam::123456789012:role/TenantData")
        .verifier(hs256_verifier());
    if let Some(t) = timeouts {
        b = b.timeouts(t);
    }
    b.build().await.unwrap()
}

fn credentials_kind(e: &lambda_runtime::Error) -> Option<(ErrorKind, Option<StsFailure>)> {
    let iso = e.downcast_ref::<IsolationError>()?;
    let cred = match iso {
        IsolationError::Credentials(c) => Some(c.failure()),
        _ => None,
    };
    Some((iso.kind(), cred))
}

/// moto stopped in the middle of a run: typed 503s, no panic; restarted on the same port:
/// the same runtime recovers without being rebuilt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_stopped_mid_run_gives_503_and_recovers_after_restart() {
    let mut moto = tenant_isolation_tests::start_moto();
    provision(&moto);
    let iso = isolation_on(&moto.endpoint(), None).await;
    let (ok_before, mut unavailable, mut ok_after) = (AtomicU64::new(0), 0, 0);
    for i in 0..40 {
        stress::call_with(&iso, job(&format!("fault{}", i % 4), i * 10)).await.unwrap();
        ok_before.fetch_add(1, Ordering::Relaxed);
    }
    moto.stop();
    for i in 0..20 {
        // New tenants need STS; known tenants hit DynamoDB: both are down.
        let tenant = if i % 2 == 0 { format!("fault{}", i % 4) } else { format!("down{i}") };
        match stress::call_with(&iso, job(&tenant, i * 10)).await {
            Ok(_) => panic!("served while moto was down"),
            Err(e) => {
                let is_503 = credentials_kind(&e).is_some_and(|(k, _)| k == ErrorKind::Unavailable)
                    || e.to_string().contains("dispatch failure");
                assert!(is_503, "not a 503-class error: {e}");
                unavailable += 1;
            }
        }
    }
    moto.restart();
    provision(&moto);
    for i in 0..20 {
        stress::call_with(&iso, job(&format!("back{}", i % 4), i * 10)).await.unwrap();
        ok_after += 1;
    }
    println!(
        "faults: moto stopped: served_before={} unavailable_while_down={unavailable} recovered_after_restart={ok_after} sts_failures={}",
        ok_before.load(Ordering::Relaxed),
        iso.stats().sts_failures
    );
    assert!(iso.stats().sts_failures >= 10);
}

/// A socket that accepts and never answers: bounded by the timeouts, then 503.
#[tokio::test]
async fn a_hung_endpoint_is_bounded_by_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket); // accept, never read or answer
        }
    });
    let timeouts = aws_smithy_types::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(500))
        .operation_attempt_timeout(Duration::from_millis(500))
        .operation_timeout(Duration::from_millis(1500))
        .build();
    let iso = isolation_on(&endpoint, Some(timeouts)).await;
    let started = Instant::now();
    let err = stress::call_with(&iso, job("hung", 1)).await.unwrap_err();
    let elapsed = started.elapsed();
    held.abort();
    println!("faults: hung STS endpoint answered after {} ms: {err}", elapsed.as_millis());
    assert_eq!(credentials_kind(&err), Some((ErrorKind::Unavailable, Some(StsFailure::Unavailable))));
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
}

/// An endpoint that answers every request with 200 and garbage: a typed "malformed" 503.
#[tokio::test]
async fn a_malformed_sts_answer_is_a_typed_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0; 65536];
                let _ = socket.read(&mut buf).await;
                let body = "<AssumeRoleResponse><not-what-sts-sends";
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    let iso = isolation_on(&endpoint, None).await;
    let err = stress::call_with(&iso, job("garbled", 1)).await.unwrap_err();
    server.abort();
    println!("faults: malformed STS answer: {err}");
    assert_eq!(credentials_kind(&err), Some((ErrorKind::Unavailable, Some(StsFailure::Malformed))));
}

/// moto checking signatures and permissions: our keys are unknown to it, so STS denies the
/// call; that is a misconfiguration (500), typed, and never retried into a success.
#[tokio::test]
async fn sts_access_denied_is_a_typed_error() {
    let moto = tenant_isolation_tests::start_moto_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]);
    let iso = isolation_on(&moto.endpoint(), None).await;
    let err = stress::call_with(&iso, job("denied", 1)).await.unwrap_err();
    println!("faults: STS with auth enforced: {err}");
    assert_eq!(credentials_kind(&err), Some((ErrorKind::Internal, Some(StsFailure::AccessDenied))));
    assert_eq!(iso.stats().sts_failures, 1);
}

/// Credentials past the refresh floor are renewed before use, and when renewal fails the
/// stale credentials are never used instead: 503.
#[tokio::test]
async fn a_failed_renewal_never_falls_back_to_stale_credentials() {
    let mut moto = tenant_isolation_tests::start_moto();
    provision(&moto);
    // Past the floor three seconds after they were vended.
    let iso = Isolation::builder()
        .sdk_config(sdk_config(&moto.endpoint()).await)
        .role_arn("arn:aws:iam::123456789012:role/TenantData")
        .verifier(hs256_verifier())
        .session_duration(Duration::from_secs(900))
        .refresh_margin(Duration::from_secs(898))
        .refresh_floor(Duration::from_secs(897))
        .refresh_jitter(Duration::ZERO)
        .build()
        .await
        .unwrap();
    let tenant = TenantId::parse("renewal").unwrap();
    let first = iso.enter(stress::SPEC, &tenant, None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(3200)).await;
    moto.stop();
    let err = iso.enter(stress::SPEC, &tenant, None).await.unwrap_err();
    println!("faults: renewal past the floor while STS is down: {err}");
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(first.expires_at() > std::time::SystemTime::now(), "the old credentials had not even expired");
    let stats = iso.stats();
    assert_eq!((stats.sts_calls, stats.misses, stats.refreshes), (2, 2, 0), "{stats:?}");
}

/// STS down while warm tenants are inside their refresh margin, DynamoDB up: every request is
/// served (with the credentials the tenant has, through real DynamoDB round trips), each
/// tenant's failed background renewal is counted, and renewals are retried at most once per
/// 5 s per tenant, not once per request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_down_inside_the_margin_fails_no_warm_request() {
    const TENANTS: [&str; 4] = ["warm0", "warm1", "warm2", "warm3"];
    // moto serves every service on one port: STS gets a moto of its own, to stop it alone.
    let mut sts = tenant_isolation_tests::start_moto();
    let dynamodb = tenant_isolation_tests::start_moto();
    provision(&dynamodb);
    let iso = Isolation::builder()
        .sdk_config(sdk_config_with_sts(&dynamodb.endpoint(), &sts.endpoint()).await)
        .role_arn("arn:aws:iam::123456789012:role/TenantData")
        .verifier(hs256_verifier())
        // Inside the margin as soon as they are vended (the margin is the whole session but its
        // first microsecond, no jitter); the floor is a minute before expiry.
        .session_duration(Duration::from_secs(900))
        .refresh_margin(Duration::from_secs(900) - Duration::from_micros(1))
        .refresh_floor(Duration::from_secs(60))
        .refresh_jitter(Duration::ZERO)
        .build()
        .await
        .unwrap();
    // Warm: one vended session per tenant (no request has been inside the margin yet).
    let mut vended = Vec::new();
    for t in TENANTS {
        let scope = iso.enter(stress::SPEC, &TenantId::parse(t).unwrap(), None).await.unwrap();
        vended.push(scope.access_key_id().to_owned());
    }
    sts.stop();
    let started = Instant::now();
    let (mut served, mut round) = (0, 0);
    let all_served = |iso: &Isolation, round: u64| {
        let (iso, vended) = (iso.clone(), vended.clone());
        async move {
            for (i, t) in TENANTS.iter().enumerate() {
                // A real handler: DynamoDB put and get with the tenant's cached credentials.
                let report = stress::call_with(&iso, job(t, round * 10)).await.expect("a warm tenant is served");
                assert_eq!((report.mismatches, report.round_trips), (0, 2));
                let scope = iso.enter(stress::SPEC, &TenantId::parse(t).unwrap(), None).await.unwrap();
                assert_eq!(scope.access_key_id(), vended[i], "the credentials it had");
            }
        }
    };
    // Until every tenant's first renewal has failed, and then once more.
    let deadline = Instant::now() + Duration::from_secs(60);
    while iso.stats().refresh_failures < TENANTS.len() as u64 {
        all_served(&iso, round).await;
        (served, round) = (served + 2 * TENANTS.len(), round + 1);
        assert!(Instant::now() < deadline, "renewals did not fail: {:?}", iso.stats());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    all_served(&iso, round).await;
    served += 2 * TENANTS.len();
    let elapsed = started.elapsed();
    let stats = iso.stats();
    println!(
        "faults: STS down inside the margin: served={served} refreshes={} refresh_failures={} misses={} \
         elapsed_ms={}",
        stats.refreshes,
        stats.refresh_failures,
        stats.misses,
        elapsed.as_millis()
    );
    assert_eq!(stats.misses, TENANTS.len() as u64, "no request waited for STS: {stats:?}");
    assert!(stats.refresh_failures >= TENANTS.len() as u64, "{stats:?}");
    // Once per tenant, then at most once per 5 s each after a failure.
    let bound = TENANTS.len() as u64 * (1 + elapsed.as_secs() / 5 + 1);
    assert!(stats.refreshes <= bound, "{} renewals for {served} requests in {elapsed:?}: {stats:?}", stats.refreshes);
    assert!(stats.sts_calls <= TENANTS.len() as u64 + stats.refreshes, "every later STS call is a renewal: {stats:?}");
}

/// STS in front of moto that answers the first `throttle` requests with STS's throttling
/// error (`Throttling`, HTTP 400, in STS's query-protocol error body) and forwards the rest to
/// `moto`. Returns its endpoint and the number of requests it has seen.
async fn throttling_sts(moto: &str, throttle: u64) -> (String, Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let upstream = moto.trim_start_matches("http://").to_owned();
    let seen = Arc::new(AtomicU64::new(0));
    let counter = seen.clone();
    let server = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (seen, upstream) = (counter.clone(), upstream.clone());
            tokio::spawn(async move {
                // One whole request: the head, then `content-length` bytes of body.
                let mut request = Vec::new();
                let mut buf = [0u8; 8192];
                let body_len = loop {
                    let Ok(n @ 1..) = socket.read(&mut buf).await else { return };
                    request.extend_from_slice(&buf[..n]);
                    if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break end + 4 + len;
                    }
                };
                while request.len() < body_len {
                    let Ok(n @ 1..) = socket.read(&mut buf).await else { return };
                    request.extend_from_slice(&buf[..n]);
                }
                if seen.fetch_add(1, Ordering::SeqCst) < throttle {
                    let body = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
                                <Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
                                <RequestId>throttled</RequestId></ErrorResponse>";
                    let reply = format!(
                        "HTTP/1.1 400 Bad Request\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\
                         connection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                } else if let Ok(mut moto) = tokio::net::TcpStream::connect(&upstream).await
                    && moto.write_all(&request).await.is_ok()
                {
                    let _ = tokio::io::copy_bidirectional(&mut socket, &mut moto).await;
                }
            });
        }
    });
    (endpoint, seen, server)
}

/// An `Isolation` whose STS is `sts_endpoint`, from an `SdkConfig` that says nothing about
/// retries (the runtime gives STS the standard mode). Its own region: the SDK's retry quota is
/// shared by every STS client of a region in the process, and the other fault tests spend it.
async fn isolation_with_sts_in_own_region(sts_endpoint: &str) -> Isolation {
    let mut sdk = sdk_config(sts_endpoint).await.into_builder();
    sdk.set_retry_config(None);
    let sdk = sdk.region(aws_config::Region::new("eu-north-1")).build();
    Isolation::builder()
        .sdk_config(sdk)
        .role_arn("arn:aws:iam::123456789012:role/TenantData")
        .verifier(hs256_verifier())
        .build()
        .await
        .unwrap()
}

/// STS `Throttling` is retried by the SDK's standard retry mode (with backoff, inside the
/// operation timeout): two throttled answers, then moto's credentials, make one successful
/// `AssumeRole` for the caller.
#[tokio::test]
async fn sts_throttling_is_retried_with_backoff() {
    let (_, fx) = tenant_isolation_tests::shared();
    let (endpoint, seen, server) = throttling_sts(&fx.endpoint, 2).await;
    let iso = isolation_with_sts_in_own_region(&endpoint).await;
    let scope = iso.enter(stress::SPEC, &TenantId::parse("throttled").unwrap(), None).await;
    server.abort();
    let scope = scope.expect("served after two throttled attempts");
    assert!(scope.assumed_role_arn().ends_with(":assumed-role/TenantData/tenant-throttled"));
    assert_eq!(seen.load(Ordering::SeqCst), 3, "two throttled attempts and one that got through");
    let stats = iso.stats();
    assert_eq!((stats.sts_calls, stats.sts_failures), (1, 0), "{stats:?}");
}

/// Throttled on every attempt: after the SDK's three attempts, a typed `Throttled` 503.
#[tokio::test]
async fn sts_throttling_that_persists_is_a_typed_503() {
    let (_, fx) = tenant_isolation_tests::shared();
    let (endpoint, seen, server) = throttling_sts(&fx.endpoint, u64::MAX).await;
    let iso = isolation_with_sts_in_own_region(&endpoint).await;
    let err = stress::call_with(&iso, job("throttled", 1)).await.unwrap_err();
    server.abort();
    println!("faults: STS throttling every attempt: {err}");
    assert_eq!(credentials_kind(&err), Some((ErrorKind::Unavailable, Some(StsFailure::Throttled))));
    assert_eq!(seen.load(Ordering::SeqCst), 3, "the standard retry mode's three attempts, no more");
    assert_eq!(iso.stats().sts_failures, 1);
}
