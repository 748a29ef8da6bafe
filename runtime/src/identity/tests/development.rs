//! Class 11, development secrets: a shared HS256 secret lets anyone who knows it sign for any
//! tenant, and development secrets are the ones that end up in repositories, scripts and
//! copied environment files. So a secret never decides verification by being present: it is
//! refused beside a key-set URL, and used only with an explicit opt-in
//! (`TENANT_JWT_DEVELOPMENT=1` beside `TENANT_JWT_HS256_SECRET`, or
//! [`VerifierBuilder::development_hs256`] in code), which is logged when the verifier is built.

use super::*;
use std::sync::{Arc, Mutex};
use tenant_isolation_testkit::tokens as testing;

const SECRET: (&str, &str) = ("TENANT_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef");
const KEY_SET: (&str, &str) = ("TENANT_JWKS_URL", "https://keys.example.com/jwks.json");

fn refused(vars: &[(&str, &str)]) -> (&'static str, String) {
    match from(vars) {
        Err(ConfigError::Invalid { var, reason, .. }) => {
            assert!(!reason.contains("0123456789abcdef"), "the secret is never echoed: {reason}");
            (var, reason)
        }
        other => panic!("{vars:?}: expected ConfigError::Invalid, got {other:?}"),
    }
}

/// A leftover `TENANT_JWT_HS256_SECRET` (a copied `.env`, a shared parameter) does not switch
/// a deployment to shared-secret verification.
#[test]
fn a_secret_alone_is_not_development_mode() {
    for vars in [&[ISS, AUD, SECRET][..], &[ISS, AUD, SECRET, ("TENANT_JWT_DEVELOPMENT", "0")]] {
        let (var, reason) = refused(vars);
        assert_eq!(var, "TENANT_JWT_HS256_SECRET", "{vars:?}");
        assert!(reason.contains("`TENANT_JWT_DEVELOPMENT=1`"), "the fix is in the message: {reason}");
    }
    // The opt-in alone is a mistake too: development mode with no secret to verify with.
    assert_eq!(refused(&[ISS, AUD, DEVELOPMENT]).0, "TENANT_JWT_DEVELOPMENT");
    // Read with the one boolean parser: a typo is an error, not "off".
    assert_eq!(refused(&[ISS, AUD, SECRET, ("TENANT_JWT_DEVELOPMENT", "sure")]).0, "TENANT_JWT_DEVELOPMENT");

    let v = from(&[ISS, AUD, SECRET, DEVELOPMENT]).unwrap();
    assert!(matches!(v.inner.keys, super::super::Keys::Secret(_)));
}

/// A deployment that names a key set is never verified with a secret, whichever way each of
/// the two was given.
#[test]
fn a_secret_beside_a_key_set_is_refused() {
    for vars in [&[ISS, AUD, SECRET, KEY_SET][..], &[ISS, AUD, SECRET, DEVELOPMENT, KEY_SET]] {
        let (var, reason) = refused(vars);
        assert_eq!(var, "TENANT_JWT_HS256_SECRET", "{vars:?}");
        assert!(reason.contains("TENANT_JWKS_URL"), "{reason}");
    }
    let secret = SECRET.1.as_bytes();
    let env_secret = |vars: &[(&str, &str)]| {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        VerifierBuilder::from_settings(&Env::from_fn(move |k| vars.get(k).cloned())).unwrap()
    };
    let builders = [
        (
            "secret in the environment, key set in code",
            env_secret(&[ISS, AUD, SECRET, DEVELOPMENT]).jwks_url(KEY_SET.1),
        ),
        ("key set in the environment, secret in code", env_secret(&[ISS, AUD, KEY_SET]).development_hs256(secret)),
        (
            "both in code",
            Verifier::builder().issuer(ISS.1).audience(["a"]).jwks_url(KEY_SET.1).development_hs256(secret),
        ),
        (
            "both in code, other order",
            Verifier::builder().issuer(ISS.1).audience(["a"]).development_hs256(secret).jwks_url(KEY_SET.1),
        ),
    ];
    for (why, builder) in builders {
        match builder.build() {
            Err(ConfigError::Invalid { var: "TENANT_JWT_HS256_SECRET", reason, .. }) => {
                assert!(reason.contains("TENANT_JWKS_URL"), "{why}: {reason}")
            }
            other => panic!("{why}: {other:?}"),
        }
    }
}

/// What `f` logs at `WARN` and above.
fn warnings(f: impl FnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Log {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    String::from_utf8(log.0.lock().unwrap().clone()).unwrap()
}

/// Both development switches log one line starting `development mode:` when a verifier is
/// built (`docs/DEPLOYING.md` suggests an alarm on it); the secret is never in it.
#[test]
fn development_mode_says_so_once_when_built() {
    let mut verifier = None;
    let log = warnings(|| verifier = Some(from(&[ISS, AUD, SECRET, DEVELOPMENT]).unwrap()));
    println!("{log}");
    assert_eq!(log.matches("development mode").count(), 1, "{log}");
    assert!(log.contains("WARN") && log.contains("HS256"), "{log}");
    assert!(!log.contains("0123456789abcdef"), "the secret is never logged: {log}");

    // Verifying logs nothing more; a production verifier logs nothing at all.
    let verifier = verifier.unwrap();
    let token = testing::sign(
        &jsonwebtoken::EncodingKey::from_secret(SECRET.1.as_bytes()),
        Algorithm::HS256,
        None,
        &testing::with(testing::claims("acme"), "aud", json!("client-a")),
    );
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let log = warnings(|| assert_eq!(runtime.block_on(verifier.verify(&token)).unwrap().tenant.as_str(), "acme"));
    assert_eq!(log, "");
    assert_eq!(warnings(|| drop(from(&[ISS, AUD, KEY_SET]).unwrap())), "");

    // The other development switch, plain http to loopback, says so the same way.
    let moto = ("TENANT_JWKS_URL", "http://127.0.0.1:5000/us-east-1_x/.well-known/jwks.json");
    let log = warnings(|| drop(from(&[ISS, AUD, moto, LOOPBACK]).unwrap()));
    assert_eq!(log.matches("development mode").count(), 1, "{log}");
    assert!(log.contains("TENANT_JWT_ALLOW_HTTP_LOOPBACK"), "{log}");
}
