//! Unit tests of what the public API cannot reach: the claim checks against jsonwebtoken's
//! own `decode` (through the private error mapping), and configuration from a variable lookup
//! (the environment without touching the process's). Everything else about `identity` is
//! tested through the public API in `runtime/tests/identity.rs` and `runtime/tests/key_set.rs`,
//! with the testkit; these tests cannot use it (it depends on this crate's library, which is
//! not the crate these tests are compiled into).

use super::*;
use crate::config::Env;
use jsonwebtoken::Header;

mod client;
mod development;
mod transport;
use serde_json::json;
use std::collections::HashMap;

/// The testkit's issuer, audience and development secret.
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
const AUDIENCE: &str = "testclient0123456789abcdef";
const SECRET: &[u8] = b"test-only-hs256-secret-32-bytes!";

/// Development mode: the test issuer and audience, HS256 with the test secret.
fn dev() -> VerifierBuilder {
    Verifier::builder().issuer(ISSUER).audience([AUDIENCE]).development_hs256(SECRET)
}

/// Claims of a valid ID token for `tenant`, issued at `now` for ten minutes.
fn claims(tenant: &str, now: u64) -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "4a1b7e6c-user", "token_use": "id",
        "iat": now, "exp": now + 600, DEFAULT_TENANT_CLAIM: tenant,
    })
}

/// The claim checks `verify` makes itself (it calls jsonwebtoken for the signature only)
/// against jsonwebtoken's own `decode` with the equivalent `Validation`, on the same signed
/// tokens: every combination of `exp`, `nbf` and `iss` below must get the same verdict,
/// and when one claim alone is varied, the same error. The one intended difference is an
/// `iss` array that contains the issuer: jsonwebtoken takes it, we refuse it.
#[tokio::test]
async fn claim_checks_agree_with_jsonwebtoken_decode() {
    let v = dev().build().unwrap();
    let secret = jsonwebtoken::EncodingKey::from_secret(SECRET);
    let decoding = DecodingKey::from_secret(SECRET);
    let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
    validation.leeway = 30;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);

    // Times at least 10 s away from every leeway boundary, so a second ticking over
    // between signing and checking changes nothing.
    let now = jsonwebtoken::get_current_timestamp();
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
        Some(json!(ISSUER)),
        None,
        Some(Value::Null),
        Some(json!(format!("{}/", ISSUER))),
        Some(json!("https://evil.example.invalid")),
        Some(json!(7)),
        Some(json!([ISSUER, "https://evil.example.invalid"])),
        Some(json!([ISSUER])),
    ];
    // `None`: the claim is left out; `Some(Value::Null)`: it is sent as `null`.
    let token = |members: [(&str, &Option<Value>); 3]| {
        let mut claims = claims("acme", now);
        let map = claims.as_object_mut().expect("an object");
        for (name, value) in members {
            match value {
                None => map.remove(name),
                Some(value) => map.insert(name.to_owned(), value.clone()),
            };
        }
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &secret).expect("sign")
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

fn from(vars: &[(&str, &str)]) -> Result<Verifier, ConfigError> {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    VerifierBuilder::from_settings(&Env::from_fn(move |k| vars.get(k).cloned()))?.build()
}

const ISS: (&str, &str) = ("TENANT_JWT_ISSUER", ISSUER);
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

/// A value set on a builder preset from the environment wins over the variable's.
#[test]
fn a_builder_method_wins_over_the_variable() {
    let vars: HashMap<String, String> = [
        ISS,
        AUD,
        ("TENANT_CLAIM", "custom:tenant_id"),
        ("TENANT_JWT_LEEWAY_SECS", "5"),
        ("TENANT_JWT_TOKEN_USE", "access"),
        ("TENANT_TRUSTED_CLAIMS", "1"),
        ("TENANT_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef"),
        DEVELOPMENT,
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let v = VerifierBuilder::from_settings(&Env::from_fn(move |k| vars.get(k).cloned()))
        .unwrap()
        .audience(["code-audience"])
        .tenant_claim("org")
        .leeway(Duration::from_secs(10))
        .token_use(TokenUse::Id)
        .trust_authorizer_claims(false)
        .build()
        .unwrap();
    let i = &v.inner;
    assert_eq!(i.audience, ["code-audience"]);
    assert_eq!(i.tenant_claim, "org");
    assert_eq!(i.leeway, Duration::from_secs(10));
    assert_eq!(i.token_use, Some(TokenUse::Id));
    assert!(!v.trusts_authorizer_claims());
}

/// Configuration errors read as sentences that name the variable and the method.
#[test]
fn configuration_errors_read_as_sentences() {
    assert_eq!(
        from(&[AUD]).unwrap_err().to_string(),
        "`TENANT_JWT_ISSUER` is not set: set it, or call `VerifierBuilder::issuer`"
    );
    assert_eq!(
        from(&[ISS, AUD, ("TENANT_JWT_LEEWAY_SECS", "soon")]).unwrap_err().to_string(),
        "`TENANT_JWT_LEEWAY_SECS` (or `VerifierBuilder::leeway`) is invalid: \"soon\" is not a whole number of seconds"
    );
    assert_eq!(
        "refresh".parse::<TokenUse>().unwrap_err().to_string(),
        "`TENANT_JWT_TOKEN_USE` (or `VerifierBuilder::token_use`) is invalid: \"refresh\" is not one of: `id`, `access`"
    );
    let zero_ttl = dev().jwks_ttl(Duration::ZERO).build().unwrap_err();
    assert_eq!(zero_ttl.to_string(), "`VerifierBuilder::jwks_ttl` is invalid: must be more than zero");
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

/// Trusted-claims mode compares `exp` in every form an authorizer writes it, and refuses one it
/// cannot read (before, an `exp` that was not a plain number was skipped, so expired REST
/// authorizer claims were accepted: red-team review, 2026-11-30).
#[test]
fn trusted_claims_are_refused_once_expired_and_when_their_exp_is_unreadable() {
    let verifier = dev().trust_authorizer_claims(true).build().unwrap();
    let with_exp = |exp: Value| {
        let mut c = claims("acme", 0);
        c["exp"] = exp;
        c.as_object().unwrap().clone()
    };
    let verdict = |exp: Value| {
        verifier.identity_from_trusted_claims(&with_exp(exp)).map(|i| i.tenant.to_string()).map_err(|e| e.to_string())
    };
    let future = jsonwebtoken::get_current_timestamp() + 600;
    for fresh in
        [json!(future), json!(future.to_string()), json!(format!("{future}.5")), json!("Fri Dec 31 23:59:59 UTC 2100")]
    {
        assert_eq!(verdict(fresh.clone()), Ok("acme".to_owned()), "{fresh}");
    }
    for expired in [json!(1), json!("1"), json!("1.0"), json!("Thu Dec 06 17:08:23 UTC 2018"), json!(1.5)] {
        assert_eq!(verdict(expired.clone()), Err(IdentityError::Expired.to_string()), "{expired}");
    }
    for unreadable in [json!("soon"), json!("Thu Dec 32 17:08:23 UTC 2018"), json!(null), json!([future]), json!(-5)] {
        let bad = IdentityError::BadClaim { claim: "exp".into() }.to_string();
        assert_eq!(verdict(unreadable.clone()), Err(bad), "{unreadable}");
    }
}
