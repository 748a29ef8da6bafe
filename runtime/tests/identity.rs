//! Behaviour of `tenant_isolation::identity` through its public API: hostile tokens against a
//! key set served over HTTP on 127.0.0.1, and properties of the tenant ids a verifier
//! accepts, down to the session policy they are rendered into.

use jsonwebtoken::{Algorithm, EncodingKey};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::LazyLock;
use tenant_isolation::identity::testing::{self, JwksServer, Keys, Reply};
use tenant_isolation::{ErrorKind, identity::Verifier};
use tenant_isolation_core::{
    Action, KeyRule, Partition, Placement, TableModel, TableName, TenantId, is_tenant_char, render,
};

static KEYS: LazyLock<Keys> = LazyLock::new(Keys::bundled);

#[tokio::test]
async fn hostile_tokens_are_refused_with_the_right_status() {
    let server = JwksServer::start(Reply::Json(KEYS.key_set())).await;
    let verifier = testing::verifier_builder(&server.jwks_url()).build().unwrap();
    // The table is only meaningful if the same verifier accepts a good token.
    let good = verifier.verify(&testing::rs256(&KEYS, &testing::claims("acme"))).await.unwrap();
    assert_eq!(good.tenant.as_str(), "acme");

    let table = testing::hostile_tokens(&KEYS);
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
        .issuer(testing::ISSUER)
        .jwks_url(server.jwks_url())
        .audience([testing::AUDIENCE])
        .tenant_claim("custom:tenant_id")
        .build()
        .unwrap();
    for claims in [testing::claims("acme"), testing::access_claims("acme")] {
        let mut claims = claims;
        let map = claims.as_object_mut().unwrap();
        let tenant = map.remove(testing::CLAIM).unwrap();
        map.insert("custom:tenant_id".to_owned(), tenant);
        let identity = verifier.verify(&testing::rs256(&KEYS, &claims)).await.unwrap();
        assert_eq!(identity.tenant.as_str(), "acme");
    }
    assert!(server.jwks_url().ends_with("/us-east-1_TestPool1/.well-known/jwks.json"));
}

/// The session policy the property tests render.
fn policy_for(tenant: &TenantId) -> Value {
    let spec = TableModel {
        table: TableName::Fixed("Orders".into()),
        indexes: Vec::new().into(),
        actions: vec![Action::GetItem].into(),
        keys: KeyRule::default(),
    };
    let template = spec.build().expect("valid spec");
    let placement = Placement::new(Partition::Aws, "us-east-1", "123456789012", "Orders").expect("valid placement");
    serde_json::from_str(&render(template.compact(), &placement, tenant)).expect("rendered policy is JSON")
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
        .issuer(testing::ISSUER)
        .audience([testing::AUDIENCE])
        .hs256_secret(testing::HS256_SECRET)
        .build()
        .unwrap()
});

fn dev_token(tenant: &str) -> String {
    let key = EncodingKey::from_secret(testing::HS256_SECRET);
    testing::sign(&key, Algorithm::HS256, None, &testing::claims(tenant))
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
                // The same two patterns under `ForAllValues` and under `ForAnyValue`.
                let own = [format!("TENANT#{tenant}"), format!("TENANT#{tenant}#*")];
                prop_assert_eq!(keys, [own.clone(), own].concat());
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
        let shaped = format!("{}.{}.{sig}", testing::b64(&header), testing::b64(&payload));
        for token in [raw, shaped] {
            let e = RUNTIME.block_on(DEV_VERIFIER.verify(&token)).unwrap_err();
            prop_assert_eq!(e.status(), 401, "{:?}", e);
        }
    }
}
