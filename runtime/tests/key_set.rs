//! Key sets over HTTP, through the public API of `tenant_isolation::identity`: fetched once and
//! cached, refetched after the TTL or for a rotated-in `kid` (once for a crowd, at most once
//! per interval), discovered from the issuer, and every way the fetch can fail is a 503 that is
//! not cached. Against the testkit's key-set server on 127.0.0.1.

use jsonwebtoken::Algorithm;
use serde_json::json;
use std::sync::LazyLock;
use std::time::{Duration, Instant};
use tenant_isolation::ErrorKind;
use tenant_isolation::identity::{IdentityError, Verifier};
use tenant_isolation_testkit::{JwksServer, Keys, Reply, keys, tokens};

static KEYS: LazyLock<Keys> = LazyLock::new(Keys::bundled);

fn rs1(tenant: &str) -> String {
    tokens::rs256(&KEYS, &tokens::claims(tenant))
}

fn rs2(tenant: &str) -> String {
    tokens::sign(&KEYS.rsa2, Algorithm::RS256, Some(keys::KID_RSA2), &tokens::claims(tenant))
}

async fn start_server() -> JwksServer {
    JwksServer::start(Reply::Json(KEYS.key_set())).await
}

#[tokio::test]
async fn caches_the_key_set() {
    let server = start_server().await;
    let v = tokens::verifier_builder(&server.jwks_url()).build().unwrap();
    assert_eq!(v.jwks_fetches(), 0, "nothing is fetched at build time");
    let token = rs1("acme");
    for _ in 0..25 {
        v.verify(&token).await.unwrap();
    }
    let clone = v.clone();
    clone.verify(&rs1("globex")).await.unwrap();
    assert_eq!(v.jwks_fetches(), 1);
    assert_eq!(server.jwks_hits(), 1);
}

#[tokio::test]
async fn refetches_after_the_ttl() {
    let server = start_server().await;
    let v = tokens::verifier_builder(&server.jwks_url()).jwks_ttl(Duration::from_millis(150)).build().unwrap();
    v.verify(&rs1("acme")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    v.verify(&rs1("acme")).await.unwrap();
    assert_eq!((v.jwks_fetches(), server.jwks_hits()), (2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_key_is_fetched_once_for_50_concurrent_requests() {
    let server = start_server().await;
    let v = tokens::verifier_builder(&server.jwks_url()).min_refetch_interval(Duration::ZERO).build().unwrap();
    v.verify(&rs1("acme")).await.unwrap();
    assert_eq!(v.jwks_fetches(), 1);

    server.set_reply(Reply::Json(KEYS.rotated_key_set()));
    // Keep the refetch in flight long enough for all 50 to find the `kid` unknown.
    server.set_delay(Duration::from_millis(200));
    let token = rs2("acme");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (v, token) = (v.clone(), token.clone());
            tokio::spawn(async move { v.verify(&token).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().tenant.as_str(), "acme");
    }
    assert_eq!(v.jwks_fetches(), 2, "one coalesced refetch");
    assert_eq!(server.jwks_hits(), 2);

    // The old key still works, from the cache.
    v.verify(&rs1("acme")).await.unwrap();
    assert_eq!(v.jwks_fetches(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kid_refetches_are_rate_limited() {
    let server = start_server().await;
    let interval = Duration::from_millis(600);
    let v = tokens::verifier_builder(&server.jwks_url()).min_refetch_interval(interval).build().unwrap();
    let (old, rotated) = (rs1("acme"), rs2("acme"));
    v.verify(&old).await.unwrap();
    // The fetch started before this instant.
    let fetched = Instant::now();
    server.set_reply(Reply::Json(KEYS.rotated_key_set()));

    // Within the interval of the first fetch: refused without a fetch.
    let err = v.verify(&rotated).await.unwrap_err();
    assert!(matches!(err, IdentityError::UnknownKey), "{err:?}");
    assert_eq!(err.status(), 401);
    assert_eq!(v.jwks_fetches(), 1);

    tokio::time::sleep_until((fetched + interval + Duration::from_millis(20)).into()).await;
    assert_eq!(v.verify(&rotated).await.unwrap().tenant.as_str(), "acme");
    assert_eq!(v.jwks_fetches(), 2);

    // A second unknown kid within the interval: no fetch, 401 — also for a crowd.
    let stranger = tokens::sign(&KEYS.attacker, Algorithm::RS256, Some("made-up"), &tokens::claims("acme"));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let v = v.clone();
            let token =
                tokens::sign(&KEYS.attacker, Algorithm::RS256, Some(&format!("made-up-{i}")), &tokens::claims("acme"));
            tokio::spawn(async move { v.verify(&token).await })
        })
        .collect();
    for task in tasks {
        assert!(matches!(task.await.unwrap(), Err(IdentityError::UnknownKey)));
    }
    assert!(matches!(v.verify(&stranger).await, Err(IdentityError::UnknownKey)));
    assert_eq!(v.jwks_fetches(), 2);
    assert_eq!(server.jwks_hits(), 2);
}

async fn assert_unavailable(v: &Verifier, why: &str) {
    let err = v.verify(&rs1("acme")).await.unwrap_err();
    assert!(matches!(err, IdentityError::KeysUnavailable { .. }), "{why}: {err:?}");
    assert_eq!((err.kind(), err.status()), (ErrorKind::Unavailable, 503), "{why}");
}

#[tokio::test]
async fn key_set_outages_are_503() {
    // Nothing listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let refused = tokens::verifier_builder(&format!("http://127.0.0.1:{port}/jwks.json")).build().unwrap();
    assert_unavailable(&refused, "connection refused").await;
    assert_eq!(refused.jwks_fetches(), 1);

    let cases = [
        ("500", Reply::Status(500)),
        ("404", Reply::Status(404)),
        ("302 without location", Reply::Status(302)),
        ("not JSON", Reply::Json("<html>oops</html>".to_owned())),
        ("not a key set", Reply::Json("{\"keys\": 1}".to_owned())),
        ("empty object", Reply::Json("{}".to_owned())),
        ("too large", Reply::Json(format!("{{\"keys\": [], \"pad\": \"{}\"}}", "x".repeat(300 * 1024)))),
    ];
    for (why, reply) in cases {
        let server = JwksServer::start(reply).await;
        let v = tokens::verifier_builder(&server.jwks_url()).build().unwrap();
        assert_unavailable(&v, why).await;
        assert_eq!(v.jwks_fetches(), 1, "{why}");
    }

    let server = JwksServer::start(Reply::Hang).await;
    let v = tokens::verifier_builder(&server.jwks_url()).http_timeout(Duration::from_millis(200)).build().unwrap();
    let started = Instant::now();
    assert_unavailable(&v, "timeout").await;
    assert!(started.elapsed() < Duration::from_secs(2), "the timeout applies");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_costs_one_request_per_wave_and_recovers() {
    let server = JwksServer::start(Reply::Status(503)).await;
    server.set_delay(Duration::from_millis(200));
    let v = tokens::verifier_builder(&server.jwks_url()).build().unwrap();
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let v = v.clone();
            tokio::spawn(async move { v.verify(&rs1("acme")).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap_err().status(), 503);
    }
    assert_eq!(server.jwks_hits(), 1, "concurrent requests share the failed attempt");

    // Failures are not cached: the next request tries again.
    server.set_delay(Duration::ZERO);
    server.set_reply(Reply::Json(KEYS.key_set()));
    assert!(v.verify(&rs1("acme")).await.is_ok());
    assert_eq!(v.jwks_fetches(), 2);
}

#[tokio::test]
async fn tokens_refused_by_alg_cost_no_fetch() {
    let server = start_server().await;
    let v = tokens::verifier_builder(&server.jwks_url()).build().unwrap();
    let hs = tokens::sign(
        &jsonwebtoken::EncodingKey::from_secret(&KEYS.rsa1_public_pem),
        Algorithm::HS256,
        Some(keys::KID_RSA1),
        &tokens::claims("acme"),
    );
    let none = format!("{}.{}.", tokens::b64(br#"{"alg":"none"}"#), tokens::b64(b"{}"));
    for token in [hs.as_str(), none.as_str(), "", "x.y", "garbage"] {
        assert_eq!(v.verify(token).await.unwrap_err().status(), 401);
    }
    assert_eq!(v.jwks_fetches(), 0);
}

#[tokio::test]
async fn discovery_finds_the_key_set() {
    let server = start_server().await;
    let issuer = server.base_url();
    server.serve_discovery(&issuer);
    let token = tokens::rs256(&KEYS, &tokens::with(tokens::claims("acme"), "iss", json!(issuer)));
    let v =
        Verifier::builder().allow_insecure_loopback(true).issuer(&issuer).audience([tokens::AUDIENCE]).build().unwrap();
    assert_eq!(v.verify(&token).await.unwrap().tenant.as_str(), "acme");
    v.verify(&token).await.unwrap();
    assert_eq!((server.discovery_hits(), server.jwks_hits(), v.jwks_fetches()), (1, 1, 1));

    // Cognito's layout, no discovery: `<iss>/.well-known/jwks.json`.
    let plain = Verifier::builder()
        .allow_insecure_loopback(true)
        .issuer(&issuer)
        .audience([tokens::AUDIENCE])
        .discovery(false)
        .build()
        .unwrap();
    assert!(plain.verify(&token).await.is_ok());
    assert_eq!((server.discovery_hits(), server.jwks_hits()), (1, 2));

    // A discovery document for another issuer is refused (OIDC Discovery 4.3).
    let other = start_server().await;
    other.serve_discovery("https://evil.example.invalid");
    let v = Verifier::builder()
        .allow_insecure_loopback(true)
        .issuer(other.base_url())
        .audience([tokens::AUDIENCE])
        .build()
        .unwrap();
    let token = tokens::rs256(&KEYS, &tokens::with(tokens::claims("acme"), "iss", json!(other.base_url())));
    assert_eq!(v.verify(&token).await.unwrap_err().status(), 503);
    assert_eq!(other.jwks_hits(), 0);
}
