//! Behaviour of `tenant_isolation::identity` through its public API: hostile tokens against a
//! key set served over HTTP on 127.0.0.1 (the testkit's table and server); what a verifier
//! accepts (RS256, ES256, ID and access tokens, Cognito's claim names, development mode) and
//! refuses; trusted authorizer claims; one status per error; and properties of the tenant ids
//! a verifier accepts, down to the session policy they are rendered into. Key-set fetching and
//! caching are in `key_set.rs`.

use jsonwebtoken::{Algorithm, EncodingKey};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::sync::LazyLock;
use tenant_isolation::ErrorKind;
use tenant_isolation::identity::{IdentityError, TokenUse, Verifier, VerifierBuilder};
use tenant_isolation_core::{
    Action, Confinement, HandlerModel, KeyRule, Partition, PhysicalName, Placement, TableModel, TenantId,
    is_tenant_char, render,
};
use tenant_isolation_testkit::{JwksServer, Keys, Reply, keys, tokens};

static KEYS: LazyLock<Keys> = LazyLock::new(Keys::bundled);

fn rs1(tenant: &str) -> String {
    tokens::rs256(&KEYS, &tokens::claims(tenant))
}

async fn start_server() -> JwksServer {
    JwksServer::start(Reply::Json(KEYS.key_set())).await
}

#[tokio::test]
async fn hostile_tokens_are_refused_with_the_right_status() {
    let server = JwksServer::start(Reply::Json(KEYS.key_set())).await;
    let verifier = tokens::verifier_builder(&server.jwks_url()).build().unwrap();
    // The table is only meaningful if the same verifier accepts a good token.
    let good = verifier.verify(&tokens::rs256(&KEYS, &tokens::claims("acme"))).await.unwrap();
    assert_eq!(good.tenant.as_str(), "acme");

    let table = tokens::hostile_tokens(&KEYS);
    assert!(table.len() >= 40, "only {} hostile tokens", table.len());
    let names: HashSet<_> = table.iter().map(|(name, ..)| *name).collect();
    assert_eq!(names.len(), table.len(), "names are unique");
    let forbidden = table.iter().filter(|(.., kind)| *kind == ErrorKind::Forbidden).count();
    assert!(forbidden >= 20 && table.len() - forbidden >= 40, "{forbidden} forbidden of {}", table.len());
    println!("{} hostile tokens ({forbidden} forbidden, the rest unauthenticated)", table.len());

    let mut failures = Vec::new();
    for (name, token, expected) in &table {
        match verifier.verify(token).await {
            Ok(identity) => failures.push(format!("{name}: accepted as tenant {}", identity.tenant)),
            Err(e) if e.kind() != *expected || e.status() != expected.status() => {
                failures.push(format!("{name}: expected {expected:?}, got {:?} ({e:?})", e.kind()))
            }
            Err(e) => {
                // Messages never carry the token (or a payload taken from it).
                let text = format!("{e} {e:?}");
                let payload = token.split('.').nth(1).unwrap_or_default();
                if (token.len() > 12 && text.contains(token.as_str())) || (payload.len() > 12 && text.contains(payload))
                {
                    failures.push(format!("{name}: message contains the token: {text}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile tokens misjudged:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
    // Unknown `kid`s within the refetch interval cost nothing: only the first fetch happened.
    assert_eq!(verifier.jwks_fetches(), 1);
    assert_eq!(server.jwks_hits(), 1);
}

#[tokio::test]
async fn cognito_id_and_access_tokens_with_a_moto_style_key_url() {
    let server = JwksServer::start(Reply::Json(KEYS.key_set())).await;
    let verifier = Verifier::builder()
        .issuer(tokens::ISSUER)
        .jwks_url(server.jwks_url())
        .allow_insecure_loopback(true)
        .audience([tokens::AUDIENCE])
        .tenant_claim("custom:tenant_id")
        .build()
        .unwrap();
    for claims in [tokens::claims("acme"), tokens::access_claims("acme")] {
        let mut claims = claims;
        let map = claims.as_object_mut().unwrap();
        let tenant = map.remove(tokens::CLAIM).unwrap();
        map.insert("custom:tenant_id".to_owned(), tenant);
        let identity = verifier.verify(&tokens::rs256(&KEYS, &claims)).await.unwrap();
        assert_eq!(identity.tenant.as_str(), "acme");
    }
    assert!(server.jwks_url().ends_with("/us-east-1_TestPool1/.well-known/jwks.json"));
}

#[tokio::test]
async fn accepts_valid_rs256_es256_id_and_access_tokens() {
    let server = start_server().await;
    let v = tokens::verifier_builder(&server.jwks_url()).build().unwrap();

    let id = v.verify(&rs1("acme")).await.unwrap();
    assert_eq!(id.tenant.as_str(), "acme");
    assert_eq!(id.subject.as_deref(), Some("4a1b7e6c-user"));

    let es = tokens::sign(&KEYS.ec1, Algorithm::ES256, Some(keys::KID_EC1), &tokens::claims("globex-1"));
    assert_eq!(v.verify(&es).await.unwrap().tenant.as_str(), "globex-1");

    let access = tokens::rs256(&KEYS, &tokens::access_claims("initech_2"));
    assert_eq!(v.verify(&access).await.unwrap().tenant.as_str(), "initech_2");

    let multi_aud = tokens::rs256(&KEYS, &tokens::with(tokens::claims("acme"), "aud", json!(["x", tokens::AUDIENCE])));
    assert!(v.verify(&multi_aud).await.is_ok());

    // Within the 30 s leeway.
    let now = tokens::now();
    let just_expired = tokens::rs256(&KEYS, &tokens::with(tokens::claims("acme"), "exp", json!(now - 10)));
    assert!(v.verify(&just_expired).await.is_ok());
    let nearly_valid = tokens::rs256(&KEYS, &tokens::with(tokens::claims("acme"), "nbf", json!(now + 10)));
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
        let tenant = c.as_object_mut().unwrap().remove(tokens::CLAIM).unwrap();
        tokens::rs256(&KEYS, &tokens::with(c, claim, tenant))
    };
    let id_token = cognito(tokens::claims("acme"));
    let access_token = cognito(tokens::access_claims("acme"));

    let any = Verifier::builder()
        .issuer(tokens::ISSUER)
        .audience([tokens::AUDIENCE])
        .jwks_url(server.jwks_url())
        .allow_insecure_loopback(true)
        .tenant_claim(claim)
        .build()
        .unwrap();
    assert_eq!(any.verify(&id_token).await.unwrap().tenant.as_str(), "acme");
    assert_eq!(any.verify(&access_token).await.unwrap().tenant.as_str(), "acme");
    // The default claim name is not Cognito's.
    let default_claim = tokens::verifier_builder(&server.jwks_url()).build().unwrap();
    assert!(matches!(default_claim.verify(&id_token).await, Err(IdentityError::MissingTenant { .. })));

    let only = |token_use| {
        Verifier::builder()
            .issuer(tokens::ISSUER)
            .audience(["unrelated", tokens::AUDIENCE])
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
    let no_token_use = cognito(tokens::with(tokens::access_claims("acme"), "token_use", Value::Null));
    assert!(matches!(access.verify(&no_token_use).await, Err(IdentityError::WrongTokenUse { .. })));
    // Without `token_use`, an access-shaped token is not matched by `client_id`.
    assert!(matches!(any.verify(&no_token_use).await, Err(IdentityError::WrongAudience)));
}

/// Development mode: the test issuer and audience, HS256 with the test secret.
fn dev() -> VerifierBuilder {
    Verifier::builder().issuer(tokens::ISSUER).audience([tokens::AUDIENCE]).development_hs256(tokens::HS256_SECRET)
}

#[tokio::test]
async fn shared_secret_mode() {
    let v = dev().build().unwrap();
    let secret = jsonwebtoken::EncodingKey::from_secret(tokens::HS256_SECRET);
    let claims = tokens::claims("acme");
    let ok = tokens::sign(&secret, Algorithm::HS256, None, &claims);
    assert_eq!(v.verify(&ok).await.unwrap().tenant.as_str(), "acme");

    let public_pem = jsonwebtoken::EncodingKey::from_secret(&KEYS.rsa1_public_pem);
    let cases = [
        ("HS256 with the RSA public key", tokens::sign(&public_pem, Algorithm::HS256, None, &claims), "BadSignature"),
        ("HS384 with the secret", tokens::sign(&secret, Algorithm::HS384, None, &claims), "AlgorithmNotAllowed"),
        ("RS256", rs1("acme"), "AlgorithmNotAllowed"),
        ("none", format!("{}.{}.c2ln", tokens::b64(br#"{"alg":"none"}"#), tokens::b64(b"{}")), "AlgorithmNotAllowed"),
        ("tenant *", tokens::sign(&secret, Algorithm::HS256, None, &tokens::claims("*")), "InvalidTenant"),
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

/// An access token's `aud`, when present, must be ours; `"aud": null` is present, not absent.
#[tokio::test]
async fn an_access_token_with_a_null_audience_is_refused() {
    let server = start_server().await;
    let v = tokens::verifier_builder(&server.jwks_url()).build().unwrap();
    let mut claims = tokens::access_claims("acme");
    assert!(v.verify(&tokens::rs256(&KEYS, &claims)).await.is_ok(), "the same token without `aud` is valid");
    claims.as_object_mut().unwrap().insert("aud".to_owned(), Value::Null);
    let err = v.verify(&tokens::rs256(&KEYS, &claims)).await.unwrap_err();
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
    // REST API Cognito authorizer: everything a string, `exp` a date (compared, not skipped:
    // the same claims with a past date are refused below).
    let rest = json!({
        "iss": tokens::ISSUER, "aud": tokens::AUDIENCE, "token_use": "id", "sub": "u-1",
        "exp": "Fri Dec 31 23:59:59 UTC 2100", "custom:tenant_id": "acme",
    });
    let id = v.identity_from_trusted_claims(&map(rest.clone())).unwrap();
    assert_eq!((id.tenant.as_str(), id.subject.as_deref()), ("acme", Some("u-1")));
    // HTTP API JWT authorizer: arrays as "[a b]"; access tokens carry `client_id`.
    let http =
        json!({"iss": tokens::ISSUER, "aud": format!("[other {}]", tokens::AUDIENCE), "custom:tenant_id": "acme"});
    assert!(v.identity_from_trusted_claims(&map(http)).is_ok());
    let access =
        json!({"client_id": tokens::AUDIENCE, "token_use": "access", "custom:tenant_id": "acme", "exp": 4102444800u64});
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
        (json!({"exp": "Sat Nov 23 06:13:00 UTC 2024", "custom:tenant_id": "acme"}), 401),
        (json!({"exp": "next week", "custom:tenant_id": "acme"}), 401),
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
    let ok = json!({"client_id": tokens::AUDIENCE, "token_use": "access", "tenant_id": "acme"});
    assert!(v.identity_from_trusted_claims(&map(ok)).is_ok());
    for claims in [json!({"token_use": "id", "tenant_id": "acme"}), json!({"tenant_id": "acme"})] {
        assert!(matches!(
            v.identity_from_trusted_claims(&map(claims)),
            Err(IdentityError::WrongTokenUse { expected: "access" })
        ));
    }
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

/// The session policy the property tests render.
fn policy_for(tenant: &TenantId) -> Value {
    let spec = TableModel {
        table: PhysicalName::Fixed("Orders".into()),
        indexes: Vec::new().into(),
        actions: vec![Action::GetItem].into(),
        keys: KeyRule::default(),
    };
    let template = HandlerModel::one_table(spec, Confinement::SessionPolicy).compile().expect("valid spec").template;
    let placement =
        Placement::new(Partition::Aws, "us-east-1", "123456789012", &["Orders"], &[]).expect("valid placement");
    serde_json::from_str(&render(&template, &placement, tenant)).expect("rendered policy is JSON")
}

/// Every `dynamodb:LeadingKeys` value in the policy, under any condition operator.
fn leading_keys(policy: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for statement in policy["Statement"].as_array().expect("statements") {
        for operator in statement["Condition"].as_object().into_iter().flat_map(|c| c.values()) {
            match operator.get("dynamodb:LeadingKeys") {
                Some(Value::Array(values)) => out.extend(values.iter().map(|v| v.as_str().unwrap().to_owned())),
                // `"Null": {"dynamodb:LeadingKeys": "false"}` is not a key pattern.
                Some(Value::String(s)) if s != "false" => out.push(s.clone()),
                _ => {}
            }
        }
    }
    out
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap());

static DEV_VERIFIER: LazyLock<Verifier> = LazyLock::new(|| {
    Verifier::builder()
        .issuer(tokens::ISSUER)
        .audience([tokens::AUDIENCE])
        .development_hs256(tokens::HS256_SECRET)
        .build()
        .unwrap()
});

fn dev_token(tenant: &str) -> String {
    let key = EncodingKey::from_secret(tokens::HS256_SECRET);
    tokens::sign(&key, Algorithm::HS256, None, &tokens::claims(tenant))
}

/// Candidate tenant ids: plausible ones, ones built from the characters that matter to
/// IAM and JSON, and anything at all.
fn candidate_ids() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-]{1,64}",
        "[A-Za-z0-9_*?#$/.:\"\\\\ \\t\\n{}\u{0430}\u{ff41}\u{200b}-]{0,70}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// What a verifier accepts is `[A-Za-z0-9_-]{1,64}`, and renders into exactly
    /// `TENANT#<id>` and `TENANT#<id>#*`; what it refuses is a 403.
    #[test]
    fn accepted_tenants_render_into_exact_leading_keys(id in candidate_ids()) {
        let result = RUNTIME.block_on(DEV_VERIFIER.verify(&dev_token(&id)));
        match result {
            Ok(identity) => {
                let tenant = identity.tenant.as_str();
                prop_assert_eq!(tenant, id.as_str());
                prop_assert!((1..=64).contains(&tenant.len()));
                prop_assert!(tenant.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'), "{:?}", tenant);

                let policy = policy_for(&identity.tenant);
                let keys = leading_keys(&policy);
                // The tenant's two patterns under `ForAllValues`; `ForAnyValue` beside them is on
                // `*` alone (some key is present; core/src/policy/json.rs), which names no tenant.
                let own = [format!("TENANT#{tenant}"), format!("TENANT#{tenant}#*")];
                prop_assert_eq!(keys, [own.to_vec(), vec!["*".to_owned()]].concat());
                // No wildcard, variable or separator comes from the id itself.
                for c in ['*', '?', '$', '#', '"', '\\', '{', '}'] {
                    prop_assert!(!tenant.contains(c));
                }
            }
            Err(e) => {
                prop_assert_eq!(e.kind(), ErrorKind::Forbidden, "{:?}: {:?}", id, e);
                prop_assert!(TenantId::parse(&id).is_err());
            }
        }
    }

    /// Arbitrary strings either fail to parse or are within the charset and bounds.
    #[test]
    fn arbitrary_strings_fail_or_satisfy_the_charset(s in any::<String>()) {
        if let Ok(id) = TenantId::parse(&s) {
            prop_assert_eq!(id.as_str(), s.as_str());
            prop_assert!((1..=64).contains(&s.len()));
            prop_assert!(s.chars().all(is_tenant_char));
            prop_assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
        }
    }

    /// Garbage never panics and is always a 401.
    #[test]
    fn garbage_tokens_are_401(
        raw in any::<String>(),
        header in proptest::collection::vec(any::<u8>(), 0..64),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        sig in "[A-Za-z0-9_-]{0,90}",
    ) {
        let shaped = format!("{}.{}.{sig}", tokens::b64(&header), tokens::b64(&payload));
        for token in [raw, shaped] {
            let e = RUNTIME.block_on(DEV_VERIFIER.verify(&token)).unwrap_err();
            prop_assert_eq!(e.status(), 401, "{:?}", e);
        }
    }
}
