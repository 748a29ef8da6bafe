//! Key-set caching, rotation, rate limiting and outages against a real HTTP server on
//! 127.0.0.1; configuration; trusted claims. The hostile-token table runs in
//! `runtime/tests/identity.rs` through the public API.

use super::testing::{self, JwksServer, Keys, Reply};
use super::*;
use crate::ErrorKind;
use serde_json::json;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Instant;

mod development;
mod transport;

static KEYS: LazyLock<Keys> = LazyLock::new(Keys::bundled);

fn rs1(tenant: &str) -> String {
    testing::rs256(&KEYS, &testing::claims(tenant))
}

fn rs2(tenant: &str) -> String {
    testing::sign(&KEYS.rsa2, Algorithm::RS256, Some(testing::KID_RSA2), &testing::claims(tenant))
}

async fn start_server() -> JwksServer {
    JwksServer::start(Reply::Json(KEYS.key_set())).await
}

#[tokio::test]
async fn accepts_valid_rs256_es256_id_and_access_tokens() {
    let server = start_server().await;
    let v = testing::verifier_builder(&server.jwks_url()).build().unwrap();

    let id = v.verify(&rs1("acme")).await.unwrap();
    assert_eq!(id.tenant.as_str(), "acme");
    assert_eq!(id.subject.as_deref(), Some("4a1b7e6c-user"));

    let es = testing::sign(&KEYS.ec1, Algorithm::ES256, Some(testing::KID_EC1), &testing::claims("globex-1"));
    assert_eq!(v.verify(&es).await.unwrap().tenant.as_str(), "globex-1");

    let access = testing::rs256(&KEYS, &testing::access_claims("initech_2"));
    assert_eq!(v.verify(&access).await.unwrap().tenant.as_str(), "initech_2");

    let multi_aud =
        testing::rs256(&KEYS, &testing::with(testing::claims("acme"), "aud", json!(["x", testing::AUDIENCE])));
    assert!(v.verify(&multi_aud).await.is_ok());

    // Within the 30 s leeway.
    let now = testing::now();
    let just_expired = testing::rs256(&KEYS, &testing::with(testing::claims("acme"), "exp", json!(now - 10)));
    assert!(v.verify(&just_expired).await.is_ok());
    let nearly_valid = testing::rs256(&KEYS, &testing::with(testing::claims("acme"), "nbf", json!(now + 10)));
    assert!(v.verify(&nearly_valid).await.is_ok());

    // A 64-character id is the longest accepted.
    let longest = "x".repeat(64);
    assert_eq!(v.verify(&rs1(&longest)).await.unwrap().tenant.as_str(), longest);

    assert_eq!(v.jwks_fetches(), 1);
}

#[tokio::test]
async fn cognito_shaped_configuration() {
    // moto: `iss` names the real AWS host, keys are served from 127.0.0.1.
    let server = start_server().await;
    let claim = "custom:tenant_id";
    // Move the tenant from `tenant_id` to `custom:tenant_id`, as Cognito writes it.
    let cognito = |mut c: Value| {
        let tenant = c.as_object_mut().unwrap().remove(testing::CLAIM).unwrap();
        testing::rs256(&KEYS, &testing::with(c, claim, tenant))
    };
    let id_token = cognito(testing::claims("acme"));
    let access_token = cognito(testing::access_claims("acme"));

    let any = Verifier::builder()
        .issuer(testing::ISSUER)
        .audience([testing::AUDIENCE])
        .jwks_url(server.jwks_url())
        .allow_insecure_loopback(true)
        .tenant_claim(claim)
        .build()
        .unwrap();
    assert_eq!(any.verify(&id_token).await.unwrap().tenant.as_str(), "acme");
    assert_eq!(any.verify(&access_token).await.unwrap().tenant.as_str(), "acme");
    // The default claim name is not Cognito's.
    let default_claim = testing::verifier_builder(&server.jwks_url()).build().unwrap();
    assert!(matches!(default_claim.verify(&id_token).await, Err(IdentityError::MissingTenant { .. })));

    let only = |token_use| {
        Verifier::builder()
            .issuer(testing::ISSUER)
            .audience(["unrelated", testing::AUDIENCE])
            .jwks_url(server.jwks_url())
            .allow_insecure_loopback(true)
            .tenant_claim(claim)
            .token_use(token_use)
            .build()
            .unwrap()
    };
    let ids = only(TokenUse::Id);
    assert!(ids.verify(&id_token).await.is_ok());
    assert!(matches!(ids.verify(&access_token).await, Err(IdentityError::WrongTokenUse { expected: "id" })));
    let access = only(TokenUse::Access);
    assert!(access.verify(&access_token).await.is_ok());
    assert!(matches!(access.verify(&id_token).await, Err(IdentityError::WrongTokenUse { expected: "access" })));
    let no_token_use = cognito(testing::with(testing::access_claims("acme"), "token_use", Value::Null));
    assert!(matches!(access.verify(&no_token_use).await, Err(IdentityError::WrongTokenUse { .. })));
    // Without `token_use`, an access-shaped token is not matched by `client_id`.
    assert!(matches!(any.verify(&no_token_use).await, Err(IdentityError::WrongAudience)));
}

#[tokio::test]
async fn caches_the_key_set() {
    let server = start_server().await;
    let v = testing::verifier_builder(&server.jwks_url()).build().unwrap();
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
    let v = testing::verifier_builder(&server.jwks_url()).jwks_ttl(Duration::from_millis(150)).build().unwrap();
    v.verify(&rs1("acme")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    v.verify(&rs1("acme")).await.unwrap();
    assert_eq!((v.jwks_fetches(), server.jwks_hits()), (2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_key_is_fetched_once_for_50_concurrent_requests() {
    let server = start_server().await;
    let v = testing::verifier_builder(&server.jwks_url()).min_refetch_interval(Duration::ZERO).build().unwrap();
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
    let v = testing::verifier_builder(&server.jwks_url()).min_refetch_interval(interval).build().unwrap();
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
    let stranger = testing::sign(&KEYS.attacker, Algorithm::RS256, Some("made-up"), &testing::claims("acme"));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let v = v.clone();
            let token = testing::sign(
                &KEYS.attacker,
                Algorithm::RS256,
                Some(&format!("made-up-{i}")),
                &testing::claims("acme"),
            );
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
    let refused = testing::verifier_builder(&format!("http://127.0.0.1:{port}/jwks.json")).build().unwrap();
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
        let v = testing::verifier_builder(&server.jwks_url()).build().unwrap();
        assert_unavailable(&v, why).await;
        assert_eq!(v.jwks_fetches(), 1, "{why}");
    }

    let server = JwksServer::start(Reply::Hang).await;
    let v = testing::verifier_builder(&server.jwks_url()).http_timeout(Duration::from_millis(200)).build().unwrap();
    let started = Instant::now();
    assert_unavailable(&v, "timeout").await;
    assert!(started.elapsed() < Duration::from_secs(2), "the timeout applies");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_costs_one_request_per_wave_and_recovers() {
    let server = JwksServer::start(Reply::Status(503)).await;
    server.set_delay(Duration::from_millis(200));
    let v = testing::verifier_builder(&server.jwks_url()).build().unwrap();
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
    let v = testing::verifier_builder(&server.jwks_url()).build().unwrap();
    let hs = testing::sign(
        &jsonwebtoken::EncodingKey::from_secret(&KEYS.rsa1_public_pem),
        Algorithm::HS256,
        Some(testing::KID_RSA1),
        &testing::claims("acme"),
    );
    let none = format!("{}.{}.", testing::b64(br#"{"alg":"none"}"#), testing::b64(b"{}"));
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
    let token = testing::rs256(&KEYS, &testing::with(testing::claims("acme"), "iss", json!(issuer)));
    let v = Verifier::builder()
        .issuer(&issuer)
        .audience([testing::AUDIENCE])
        .allow_insecure_loopback(true)
        .build()
        .unwrap();
    assert_eq!(v.verify(&token).await.unwrap().tenant.as_str(), "acme");
    v.verify(&token).await.unwrap();
    assert_eq!((server.discovery_hits(), server.jwks_hits(), v.jwks_fetches()), (1, 1, 1));

    // Cognito's layout, no discovery: `<iss>/.well-known/jwks.json`.
    let plain = Verifier::builder()
        .issuer(&issuer)
        .audience([testing::AUDIENCE])
        .discovery(false)
        .allow_insecure_loopback(true)
        .build()
        .unwrap();
    assert!(plain.verify(&token).await.is_ok());
    assert_eq!((server.discovery_hits(), server.jwks_hits()), (1, 2));

    // A discovery document for another issuer is refused (OIDC Discovery 4.3).
    let other = start_server().await;
    other.serve_discovery("https://evil.example.invalid");
    let v = Verifier::builder()
        .issuer(other.base_url())
        .audience([testing::AUDIENCE])
        .allow_insecure_loopback(true)
        .build()
        .unwrap();
    let token = testing::rs256(&KEYS, &testing::with(testing::claims("acme"), "iss", json!(other.base_url())));
    assert_eq!(v.verify(&token).await.unwrap_err().status(), 503);
    assert_eq!(other.jwks_hits(), 0);
}

/// Development mode: the test issuer and audience, HS256 with the test secret.
fn dev() -> VerifierBuilder {
    Verifier::builder().issuer(testing::ISSUER).audience([testing::AUDIENCE]).development_hs256(testing::HS256_SECRET)
}

#[tokio::test]
async fn shared_secret_mode() {
    let v = dev().build().unwrap();
    let secret = jsonwebtoken::EncodingKey::from_secret(testing::HS256_SECRET);
    let claims = testing::claims("acme");
    let ok = testing::sign(&secret, Algorithm::HS256, None, &claims);
    assert_eq!(v.verify(&ok).await.unwrap().tenant.as_str(), "acme");

    let public_pem = jsonwebtoken::EncodingKey::from_secret(&KEYS.rsa1_public_pem);
    let cases = [
        ("HS256 with the RSA public key", testing::sign(&public_pem, Algorithm::HS256, None, &claims), "BadSignature"),
        ("HS384 with the secret", testing::sign(&secret, Algorithm::HS384, None, &claims), "AlgorithmNotAllowed"),
        ("RS256", rs1("acme"), "AlgorithmNotAllowed"),
        ("none", format!("{}.{}.c2ln", testing::b64(br#"{"alg":"none"}"#), testing::b64(b"{}")), "AlgorithmNotAllowed"),
        ("tenant *", testing::sign(&secret, Algorithm::HS256, None, &testing::claims("*")), "InvalidTenant"),
    ];
    for (name, token, variant) in cases {
        let err = v.verify(&token).await.unwrap_err();
        assert!(format!("{err:?}").starts_with(variant), "{name}: {err:?}");
        let text = err.to_string();
        assert!(!text.contains(&token) && !text.contains("test-only-hs256"), "{name}: {text}");
    }
    assert_eq!(v.jwks_fetches(), 0);
    assert!(!format!("{v:?}").contains("test-only"), "Debug redacts the secret");
}

/// The claim checks `verify` makes itself (it calls jsonwebtoken for the signature only)
/// against jsonwebtoken's own `decode` with the equivalent `Validation`, on the same signed
/// tokens: every combination of `exp`, `nbf` and `iss` below must get the same verdict,
/// and when one claim alone is varied, the same error. The one intended difference is an
/// `iss` array that contains the issuer: jsonwebtoken takes it, we refuse it.
#[tokio::test]
async fn claim_checks_agree_with_jsonwebtoken_decode() {
    let v = dev().build().unwrap();
    let secret = jsonwebtoken::EncodingKey::from_secret(testing::HS256_SECRET);
    let decoding = DecodingKey::from_secret(testing::HS256_SECRET);
    let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
    validation.leeway = 30;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.set_issuer(&[testing::ISSUER]);
    validation.set_audience(&[testing::AUDIENCE]);

    // Times at least 10 s away from every leeway boundary, so a second ticking over
    // between signing and checking changes nothing.
    let now = testing::now();
    let exps = [
        None,
        Some(Value::Null),
        Some(json!(now + 600)),
        Some(json!(now - 10)),
        Some(json!(now - 40)),
        Some(json!(now - 3600)),
        Some(json!(0)),
        Some(json!(u64::MAX)),
        Some(json!((now + 600) as f64 + 0.4)),
        Some(json!((now - 40) as f64 + 0.5)),
        Some(json!((now + 600).to_string())),
        Some(json!(-1)),
        Some(json!(-0.5)),
        Some(json!(1e300)),
        Some(json!(true)),
        Some(json!([now + 600])),
        Some(json!({"at": now + 600})),
    ];
    let nbfs = [
        None,
        Some(Value::Null),
        Some(json!(now + 10)),
        Some(json!(now + 3600)),
        Some(json!(now - 100)),
        Some(json!(1.5e9)),
        Some(json!("soon")),
        Some(json!(-5)),
        Some(json!(1e300)),
    ];
    let isss = [
        Some(json!(testing::ISSUER)),
        None,
        Some(Value::Null),
        Some(json!(format!("{}/", testing::ISSUER))),
        Some(json!("https://evil.example.invalid")),
        Some(json!(7)),
        Some(json!([testing::ISSUER, "https://evil.example.invalid"])),
        Some(json!([testing::ISSUER])),
    ];
    // `None`: the claim is left out; `Some(Value::Null)`: it is sent as `null`.
    let token = |members: [(&str, &Option<Value>); 3]| {
        let mut claims = testing::claims("acme");
        let map = claims.as_object_mut().expect("an object");
        for (name, value) in members {
            match value {
                None => map.remove(name),
                Some(value) => map.insert(name.to_owned(), value.clone()),
            };
        }
        testing::sign(&secret, Algorithm::HS256, None, &claims)
    };
    let (mut compared, mut errors_compared) = (0, 0);
    for (i, exp) in exps.iter().enumerate() {
        for (j, nbf) in nbfs.iter().enumerate() {
            for (k, iss) in isss.iter().enumerate() {
                let token = token([("exp", exp), ("nbf", nbf), ("iss", iss)]);
                let ours = v.verify(&token).await.map(|_| ()).map_err(|e| e.to_string());
                let theirs = jsonwebtoken::decode::<Map<String, Value>>(&token, &decoding, &validation)
                    .map(|_| ())
                    .map_err(|e| IdentityError::from_jwt(&e).to_string());
                let case = format!("exp {exp:?}, nbf {nbf:?}, iss {iss:?}: ours {ours:?}, jsonwebtoken {theirs:?}");
                if iss.as_ref().is_some_and(Value::is_array) {
                    assert!(ours.is_err(), "an iss array is refused: {case}");
                    if i == 2 && j == 0 {
                        assert_eq!(ours, Err(IdentityError::WrongIssuer.to_string()), "{case}");
                    }
                    continue;
                }
                assert_eq!(ours.is_ok(), theirs.is_ok(), "{case}");
                // One claim varied from the valid token (exps[2], nbf absent, isss[0]).
                if [i != 2, j != 0, k != 0].iter().filter(|varied| **varied).count() <= 1 {
                    // jsonwebtoken's parser trips over an array or object `exp` and refuses
                    // the whole payload as malformed; we name the claim.
                    let structured = exp.as_ref().is_some_and(|e| e.is_array() || e.is_object());
                    let expected = if structured {
                        Err(IdentityError::BadClaim { claim: "exp".into() }.to_string())
                    } else {
                        theirs
                    };
                    assert_eq!(ours, expected, "{case}");
                    errors_compared += usize::from(ours.is_err());
                }
                compared += 1;
            }
        }
    }
    assert_eq!(compared, exps.len() * nbfs.len() * (isss.len() - 2));
    assert!(errors_compared >= 20, "{errors_compared} single-claim refusals compared");
}

/// An access token's `aud`, when present, must be ours; `"aud": null` is present, not absent.
#[tokio::test]
async fn an_access_token_with_a_null_audience_is_refused() {
    let server = start_server().await;
    let v = testing::verifier_builder(&server.jwks_url()).build().unwrap();
    let mut claims = testing::access_claims("acme");
    assert!(v.verify(&testing::rs256(&KEYS, &claims)).await.is_ok(), "the same token without `aud` is valid");
    claims.as_object_mut().unwrap().insert("aud".to_owned(), Value::Null);
    let err = v.verify(&testing::rs256(&KEYS, &claims)).await.unwrap_err();
    assert!(matches!(err, IdentityError::WrongAudience), "{err:?}");
}

fn trusted() -> Verifier {
    dev().tenant_claim("custom:tenant_id").trust_authorizer_claims(true).build().unwrap()
}

fn map(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn trusted_claims_need_opt_in() {
    let v = dev().build().unwrap();
    assert!(!v.trusts_authorizer_claims());
    let err = v.identity_from_trusted_claims(&map(json!({"tenant_id": "acme"}))).unwrap_err();
    assert!(matches!(err, IdentityError::TrustedClaimsDisabled));
    assert_eq!(err.status(), 401);
}

#[test]
fn trusted_claims_as_api_gateway_delivers_them() {
    let v = trusted();
    assert!(v.trusts_authorizer_claims());
    // REST API Cognito authorizer: everything a string, `exp` a date.
    let rest = json!({
        "iss": testing::ISSUER, "aud": testing::AUDIENCE, "token_use": "id", "sub": "u-1",
        "exp": "Sat Nov 23 06:13:00 UTC 2024", "custom:tenant_id": "acme",
    });
    let id = v.identity_from_trusted_claims(&map(rest.clone())).unwrap();
    assert_eq!((id.tenant.as_str(), id.subject.as_deref()), ("acme", Some("u-1")));
    // HTTP API JWT authorizer: arrays as "[a b]"; access tokens carry `client_id`.
    let http =
        json!({"iss": testing::ISSUER, "aud": format!("[other {}]", testing::AUDIENCE), "custom:tenant_id": "acme"});
    assert!(v.identity_from_trusted_claims(&map(http)).is_ok());
    let access = json!({"client_id": testing::AUDIENCE, "token_use": "access", "custom:tenant_id": "acme", "exp": 4102444800u64});
    assert!(v.identity_from_trusted_claims(&map(access)).is_ok());
    // Lambda authorizer context with only the tenant.
    assert!(v.identity_from_trusted_claims(&map(json!({"custom:tenant_id": "acme"}))).is_ok());

    let refused = [
        (json!({"iss": "https://other", "custom:tenant_id": "acme"}), 401),
        (json!({"aud": "other", "custom:tenant_id": "acme"}), 401),
        (json!({"aud": "[a b]", "custom:tenant_id": "acme"}), 401),
        (json!({"client_id": "other", "custom:tenant_id": "acme"}), 401),
        (json!({"exp": "1000", "custom:tenant_id": "acme"}), 401),
        (json!({"exp": 1000, "custom:tenant_id": "acme"}), 401),
        (json!({}), 403),
        (json!({"tenant_id": "acme"}), 403),
        (json!({"custom:tenant_id": "*"}), 403),
        (json!({"custom:tenant_id": "acme#x"}), 403),
        (json!({"custom:tenant_id": ""}), 403),
        (json!({"custom:tenant_id": 7}), 403),
        (json!({"custom:tenant_id": null}), 403),
        (json!({"custom:tenant_id": ["acme"]}), 403),
    ];
    for (claims, status) in refused {
        let err = v.identity_from_trusted_claims(&map(claims.clone())).unwrap_err();
        assert_eq!(err.status(), status, "{claims}: {err:?}");
    }
}

#[test]
fn trusted_claims_check_a_configured_token_use() {
    let v = dev().token_use(TokenUse::Access).trust_authorizer_claims(true).build().unwrap();
    let ok = json!({"client_id": testing::AUDIENCE, "token_use": "access", "tenant_id": "acme"});
    assert!(v.identity_from_trusted_claims(&map(ok)).is_ok());
    for claims in [json!({"token_use": "id", "tenant_id": "acme"}), json!({"tenant_id": "acme"})] {
        assert!(matches!(
            v.identity_from_trusted_claims(&map(claims)),
            Err(IdentityError::WrongTokenUse { expected: "access" })
        ));
    }
}

fn from(vars: &[(&str, &str)]) -> Result<Verifier, ConfigError> {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    VerifierBuilder::from_lookup(|k| vars.get(k).cloned())?.build()
}

const ISS: (&str, &str) = ("TENANT_JWT_ISSUER", testing::ISSUER);
const AUD: (&str, &str) = ("TENANT_JWT_AUDIENCE", "client-a, client-b");
/// The development switch for moto-style `http://127.0.0.1:PORT/...` key sets.
const LOOPBACK: (&str, &str) = ("TENANT_JWT_ALLOW_HTTP_LOOPBACK", "1");
/// The opt-in that `TENANT_JWT_HS256_SECRET` needs.
const DEVELOPMENT: (&str, &str) = ("TENANT_JWT_DEVELOPMENT", "1");

#[test]
fn configuration_from_the_environment() {
    let v = from(&[
        ISS,
        AUD,
        ("TENANT_JWKS_URL", "http://127.0.0.1:5000/us-east-1_x/.well-known/jwks.json"),
        LOOPBACK,
        ("TENANT_CLAIM", "custom:tenant_id"),
        ("TENANT_JWT_TOKEN_USE", "access"),
        ("TENANT_JWT_LEEWAY_SECS", "5"),
        ("TENANT_TRUSTED_CLAIMS", "true"),
    ])
    .unwrap();
    let i = &v.inner;
    assert_eq!(i.audience, ["client-a", "client-b"]);
    assert_eq!(i.tenant_claim, "custom:tenant_id");
    assert_eq!(i.token_use, Some(TokenUse::Access));
    assert_eq!(i.leeway, Duration::from_secs(5));
    assert!(v.trusts_authorizer_claims());

    let defaults = from(&[ISS, AUD]).unwrap();
    assert_eq!(defaults.inner.tenant_claim, "tenant_id");
    assert_eq!(defaults.inner.leeway, Duration::from_secs(30));
    assert!(!defaults.trusts_authorizer_claims());
    assert!(from(&[ISS, AUD, ("TENANT_JWT_DISCOVERY", "0")]).is_ok());
    let secret =
        from(&[ISS, AUD, ("TENANT_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef"), DEVELOPMENT]).unwrap();
    assert!(!format!("{secret:?}").contains("0123456789abcdef"));
}

#[test]
fn configuration_errors_name_the_variable() {
    let secret = ("TENANT_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef");
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[AUD], "TENANT_JWT_ISSUER"),
        (&[ISS], "TENANT_JWT_AUDIENCE"),
        (&[ISS, ("TENANT_JWT_AUDIENCE", " , ")], "TENANT_JWT_AUDIENCE"),
        (&[("TENANT_JWT_ISSUER", "not a url"), AUD], "TENANT_JWT_ISSUER"),
        (&[ISS, AUD, ("TENANT_JWKS_URL", "ftp://127.0.0.1/jwks.json")], "TENANT_JWKS_URL"),
        (&[ISS, AUD, ("TENANT_JWKS_URL", "jwks.json")], "TENANT_JWKS_URL"),
        (&[ISS, AUD, ("TENANT_JWT_HS256_SECRET", "short"), DEVELOPMENT], "TENANT_JWT_HS256_SECRET"),
        (&[ISS, AUD, secret, ("TENANT_JWKS_URL", "http://127.0.0.1/jwks.json")], "TENANT_JWT_HS256_SECRET"),
        (&[ISS, AUD, ("TENANT_JWT_TOKEN_USE", "refresh")], "TENANT_JWT_TOKEN_USE"),
        (&[ISS, AUD, ("TENANT_JWT_LEEWAY_SECS", "-1")], "TENANT_JWT_LEEWAY_SECS"),
        (&[ISS, AUD, ("TENANT_JWT_LEEWAY_SECS", "301")], "TENANT_JWT_LEEWAY_SECS"),
        (&[ISS, AUD, ("TENANT_TRUSTED_CLAIMS", "maybe")], "TENANT_TRUSTED_CLAIMS"),
        (&[ISS, AUD, ("TENANT_JWT_DISCOVERY", "2")], "TENANT_JWT_DISCOVERY"),
    ];
    for (vars, var) in cases {
        let err = from(vars).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(var), "{vars:?}: {text}");
        assert!(!text.contains("0123456789abcdef"), "the secret is never echoed: {text}");
    }
    // An issuer that is not a URL is fine when the key-set URL is given.
    assert!(
        from(&[("TENANT_JWT_ISSUER", "local-dev"), AUD, ("TENANT_JWKS_URL", "http://127.0.0.1/k"), LOOPBACK]).is_ok()
    );
    assert!(from(&[("TENANT_JWT_ISSUER", "local-dev"), AUD, secret, DEVELOPMENT]).is_ok());
}

#[test]
fn every_error_has_one_status() {
    use ErrorKind::*;
    let invalid = tenant_isolation_core::TenantId::parse("*").unwrap_err();
    let cases = [
        (IdentityError::MissingToken, Unauthenticated),
        (IdentityError::TokenTooLarge { len: 20_000 }, Unauthenticated),
        (IdentityError::Malformed { reason: "x" }, Unauthenticated),
        (IdentityError::AlgorithmNotAllowed { alg: "none".into(), allowed: "`HS256`" }, Unauthenticated),
        (IdentityError::CriticalHeader, Unauthenticated),
        (IdentityError::UnknownKey, Unauthenticated),
        (IdentityError::BadSignature, Unauthenticated),
        (IdentityError::UnusableKey, Unavailable),
        (IdentityError::LambdaTenantMismatch, Forbidden),
        (IdentityError::LambdaTenantMissing, Forbidden),
        (IdentityError::Expired, Unauthenticated),
        (IdentityError::NotYetValid, Unauthenticated),
        (IdentityError::WrongIssuer, Unauthenticated),
        (IdentityError::WrongAudience, Unauthenticated),
        (IdentityError::WrongTokenUse { expected: "id" }, Unauthenticated),
        (IdentityError::BadClaim { claim: "exp".into() }, Unauthenticated),
        (IdentityError::TrustedClaimsDisabled, Unauthenticated),
        (IdentityError::MissingTenant { claim: "t".into() }, Forbidden),
        (IdentityError::TenantNotAString { claim: "t".into() }, Forbidden),
        (IdentityError::InvalidTenant { claim: "t".into(), source: invalid }, Forbidden),
        (IdentityError::KeysUnavailable { reason: "down".into() }, Unavailable),
    ];
    for (err, kind) in cases {
        assert_eq!(err.kind(), kind, "{err:?}");
        assert_eq!(err.status(), kind.status());
        let text = err.to_string();
        assert!(text.chars().next().unwrap().is_lowercase() && !text.ends_with('.'), "rustc style: {text}");
    }
    assert_eq!([Unauthenticated.status(), Forbidden.status(), Unavailable.status()], [401, 403, 503]);
}
