//! Test support, shared by this crate's tests and the workspace's behaviour tests: signing
//! material, a table of hostile tokens, and a tiny key-set server on 127.0.0.1.
//!
//! Not part of the public API (hidden from the docs, may change at any time). Nothing here
//! holds a key: [`Keys::bundled`] reads the throw-away test keys in `runtime/tests/keys/`
//! from disk at run time.

#![allow(missing_docs, clippy::missing_panics_doc)]

use super::VerifierBuilder;
use crate::ErrorKind;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The issuer of the tokens minted here: Cognito's shape, as moto writes it.
pub const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
/// The app client id / audience.
pub const AUDIENCE: &str = "testclient0123456789abcdef";
/// The tenant claim the table's tokens use (the verifier's default).
pub const CLAIM: &str = super::DEFAULT_TENANT_CLAIM;
/// A development HS256 secret (32 bytes).
pub const HS256_SECRET: &[u8] = b"test-only-hs256-secret-32-bytes!";

/// The `kid`s of the test keys.
pub const KID_RSA1: &str = "rsa1";
pub const KID_RSA2: &str = "rsa2";
pub const KID_EC1: &str = "ec1";

/// Throw-away signing keys (generated with `openssl genpkey`; see `runtime/tests/keys/`).
pub struct Keys {
    /// RSA 2048, `kid` [`KID_RSA1`], RS256: in the initial key set.
    pub rsa1: EncodingKey,
    /// RSA 2048, `kid` [`KID_RSA2`]: the key rotated in.
    pub rsa2: EncodingKey,
    /// P-256, `kid` [`KID_EC1`], ES256: in the initial key set.
    pub ec1: EncodingKey,
    /// RSA 2048 that is in no key set.
    pub attacker: EncodingKey,
    /// `rsa1`'s public key as PEM (SubjectPublicKeyInfo): what an HS/RS confusion attack
    /// uses as the HMAC secret.
    pub rsa1_public_pem: Vec<u8>,
}

impl Keys {
    /// Reads `rsa1.pem`, `rsa2.pem`, `ec1.pem`, `attacker.pem` and `rsa1.pub.pem` from `dir`.
    pub fn from_dir(dir: &Path) -> Keys {
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let rsa = |name: &str| EncodingKey::from_rsa_pem(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        Keys {
            rsa1: rsa("rsa1.pem"),
            rsa2: rsa("rsa2.pem"),
            ec1: EncodingKey::from_ec_pem(&read("ec1.pem")).expect("ec1.pem"),
            attacker: rsa("attacker.pem"),
            rsa1_public_pem: read("rsa1.pub.pem"),
        }
    }

    /// The keys in this crate's `tests/keys/`.
    pub fn bundled() -> Keys {
        Keys::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("keys"))
    }

    /// The public JWK of `key`, as a JWKS would list it.
    pub fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Value {
        let mut jwk = Jwk::from_encoding_key(key, alg).expect("public JWK");
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::from(alg));
        serde_json::to_value(jwk).expect("JWK to JSON")
    }

    /// The initial key set: `rsa1` (RS256) and `ec1` (ES256).
    pub fn key_set(&self) -> String {
        json!({"keys": [
            Keys::jwk(&self.rsa1, Algorithm::RS256, KID_RSA1),
            Keys::jwk(&self.ec1, Algorithm::ES256, KID_EC1),
        ]})
        .to_string()
    }

    /// The key set after a rotation: `rsa1`, `ec1` and `rsa2`.
    pub fn rotated_key_set(&self) -> String {
        json!({"keys": [
            Keys::jwk(&self.rsa1, Algorithm::RS256, KID_RSA1),
            Keys::jwk(&self.ec1, Algorithm::ES256, KID_EC1),
            Keys::jwk(&self.rsa2, Algorithm::RS256, KID_RSA2),
        ]})
        .to_string()
    }
}

/// A builder for the verifier the hostile table is written against: [`ISSUER`],
/// [`AUDIENCE`], default tenant claim, keys from `jwks_url` (plain http on loopback allowed).
pub fn verifier_builder(jwks_url: &str) -> VerifierBuilder {
    super::Verifier::builder().issuer(ISSUER).audience([AUDIENCE]).jwks_url(jwks_url).allow_insecure_loopback(true)
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Claims of a valid Cognito-style ID token for `tenant`.
pub fn claims(tenant: &str) -> Value {
    let now = now();
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "4a1b7e6c-user",
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
        CLAIM: tenant,
    })
}

/// Claims of a valid Cognito-style access token (no `aud`, `client_id` instead).
pub fn access_claims(tenant: &str) -> Value {
    let mut c = claims(tenant);
    let map = c.as_object_mut().expect("object");
    map.remove("aud");
    map.insert("client_id".to_owned(), json!(AUDIENCE));
    map.insert("token_use".to_owned(), json!("access"));
    c
}

/// `base` with `key` set to `value` (`Value::Null` removes it).
pub fn with(mut base: Value, key: &str, value: Value) -> Value {
    let map = base.as_object_mut().expect("object");
    if value.is_null() {
        map.remove(key);
    } else {
        map.insert(key.to_owned(), value);
    }
    base
}

/// A token signed by `jsonwebtoken` itself.
pub fn sign(key: &EncodingKey, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

/// RS256 with `rsa1`.
pub fn rs256(keys: &Keys, claims: &Value) -> String {
    sign(&keys.rsa1, Algorithm::RS256, Some(KID_RSA1), claims)
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `b64(header).b64(claims).signature`, from raw parts: for headers and payloads that
/// `jsonwebtoken::encode` refuses to write. `signer: None` gives the signature `sig`.
pub fn raw(header: &[u8], payload: &[u8], signer: Option<(&EncodingKey, Algorithm)>) -> String {
    let message = format!("{}.{}", b64(header), b64(payload));
    let signature = match signer {
        Some((key, alg)) => jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).expect("sign"),
        None => "c2ln".to_owned(),
    };
    format!("{message}.{signature}")
}

fn raw_json(header: Value, claims: &Value, signer: Option<(&EncodingKey, Algorithm)>) -> String {
    raw(header.to_string().as_bytes(), claims.to_string().as_bytes(), signer)
}

/// Tokens that must all be refused by [`verifier_builder`]`(url).build()` over a server
/// that serves [`Keys::key_set`], each with the kind of error it must produce. Each entry
/// is `(name, token, expected kind)`. Reusable: any layer above the verifier (e.g. a
/// handler wrapper) must refuse the same tokens, and must not have called STS for them.
pub fn hostile_tokens(keys: &Keys) -> Vec<(&'static str, String, ErrorKind)> {
    use ErrorKind::{Forbidden, Unauthenticated};
    let good = || claims("acme");
    let now = now();
    let valid = rs256(keys, &good());
    let (vh, vp, vs) = {
        let mut parts = valid.split('.').map(str::to_owned);
        (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap())
    };
    let rs_header = |extra: Value| {
        let mut h = json!({"alg": "RS256", "typ": "JWT", "kid": KID_RSA1});
        h.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        h
    };
    let rsa1 = Some((&keys.rsa1, Algorithm::RS256));
    // A well-formed `rsa1` header over exactly these payload bytes, correctly signed.
    let rsa1_payload = |payload: &[u8]| raw(&serde_json::to_vec(&rs_header(json!({}))).unwrap(), payload, rsa1);
    // The valid claims with `member` (raw JSON, e.g. `"exp":1`) written before them.
    let good_after = |member: &str| good().to_string().replacen('{', &format!("{{{member},"), 1);
    let hs_with_public_pem = EncodingKey::from_secret(&keys.rsa1_public_pem);
    let other_tenant_payload = rs256(keys, &claims("globex")).split('.').nth(1).unwrap().to_owned();

    let mut t: Vec<(&'static str, String, ErrorKind)> = vec![
        // Shape.
        ("empty", String::new(), Unauthenticated),
        ("garbage", "not-a-jwt".to_owned(), Unauthenticated),
        ("bearer prefix kept", format!("Bearer {valid}"), Unauthenticated),
        ("two segments", format!("{vh}.{vp}"), Unauthenticated),
        ("four segments", format!("{valid}.{vs}"), Unauthenticated),
        ("five segments (JWE shape)", format!("{vh}.{vp}.{vs}.{vs}.{vs}"), Unauthenticated),
        ("empty signature", format!("{vh}.{vp}."), Unauthenticated),
        ("only dots", "..".to_owned(), Unauthenticated),
        ("truncated signature", valid[..valid.len() - 7].to_owned(), Unauthenticated),
        ("truncated in the payload", valid[..vh.len() + 12].to_owned(), Unauthenticated),
        ("non-ASCII character", format!("{vh}.{vp}ü.{vs}"), Unauthenticated),
        ("whitespace inside", format!("{vh}.{vp} .{vs}"), Unauthenticated),
        ("newline inside", format!("{vh}\n.{vp}.{vs}"), Unauthenticated),
        ("base64 padding", format!("{vh}=.{vp}.{vs}"), Unauthenticated),
        ("standard base64 alphabet", format!("{vh}+/.{vp}.{vs}"), Unauthenticated),
        ("header is not UTF-8", format!("{}.{vp}.{vs}", b64(&[0xff, 0xfe, 0xfd, 0x80])), Unauthenticated),
        ("payload is not UTF-8", rsa1_payload(&[0xc3, 0x28, 0xff]), Unauthenticated),
        ("header is not JSON", format!("{}.{vp}.{vs}", b64(b"{alg: RS256")), Unauthenticated),
        ("header is a JSON array", format!("{}.{vp}.{vs}", b64(b"[\"RS256\"]")), Unauthenticated),
        ("header without alg", raw_json(json!({"typ": "JWT", "kid": KID_RSA1}), &good(), rsa1), Unauthenticated),
        ("header alg is a number", raw_json(json!({"alg": 256, "kid": KID_RSA1}), &good(), rsa1), Unauthenticated),
        ("payload is not JSON", rsa1_payload(b"tenant_id=acme"), Unauthenticated),
        ("payload is a JSON array", rsa1_payload(b"[1,2]"), Unauthenticated),
        (
            "tenant claim twice (which one would an authorizer read?)",
            rsa1_payload(good_after(r#""tenant_id":"globex""#).as_bytes()),
            Unauthenticated,
        ),
        (
            "exp twice, expired first",
            rsa1_payload(good_after(&format!(r#""exp":{}"#, now - 3600)).as_bytes()),
            Unauthenticated,
        ),
        (
            "tenant claim twice, once escaped",
            rsa1_payload(good_after(r#""tenant\u005fid":"globex""#).as_bytes()),
            Unauthenticated,
        ),
        ("payload with trailing bytes", rsa1_payload(format!("{} x", good()).as_bytes()), Unauthenticated),
        ("oversized", rs256(keys, &with(good(), "pad", json!("x".repeat(super::MAX_TOKEN_LEN)))), Unauthenticated),
        // Algorithms.
        ("alg none, empty signature", format!("{}.{vp}.", b64(br#"{"alg":"none","typ":"JWT"}"#)), Unauthenticated),
        ("alg none, some signature", raw_json(json!({"alg": "none", "typ": "JWT"}), &good(), None), Unauthenticated),
        ("alg None", raw_json(json!({"alg": "None", "kid": KID_RSA1}), &good(), None), Unauthenticated),
        ("alg NONE", raw_json(json!({"alg": "NONE", "kid": KID_RSA1}), &good(), None), Unauthenticated),
        ("alg empty", raw_json(json!({"alg": "", "kid": KID_RSA1}), &good(), None), Unauthenticated),
        ("alg with trailing space", raw_json(rs_header(json!({"alg": "RS256 "})), &good(), rsa1), Unauthenticated),
        ("alg lower case", raw_json(rs_header(json!({"alg": "rs256"})), &good(), rsa1), Unauthenticated),
        (
            "HS256 signed with the RSA public key PEM",
            sign(&hs_with_public_pem, Algorithm::HS256, Some(KID_RSA1), &good()),
            Unauthenticated,
        ),
        (
            "HS256 signed with the RSA public key PEM, no kid",
            sign(&hs_with_public_pem, Algorithm::HS256, None, &good()),
            Unauthenticated,
        ),
        (
            "HS256 signed with the dev secret",
            sign(&EncodingKey::from_secret(HS256_SECRET), Algorithm::HS256, None, &good()),
            Unauthenticated,
        ),
        (
            "HS512 signed with the RSA public key PEM",
            sign(&hs_with_public_pem, Algorithm::HS512, Some(KID_RSA1), &good()),
            Unauthenticated,
        ),
        ("PS256 with the right RSA key", sign(&keys.rsa1, Algorithm::PS256, Some(KID_RSA1), &good()), Unauthenticated),
        (
            "RS384 with a key declared RS256",
            sign(&keys.rsa1, Algorithm::RS384, Some(KID_RSA1), &good()),
            Unauthenticated,
        ),
        ("RS256 header naming the EC key", sign(&keys.rsa1, Algorithm::RS256, Some(KID_EC1), &good()), Unauthenticated),
        (
            "ES256 header naming the RSA key",
            sign(&keys.ec1, Algorithm::ES256, Some(KID_RSA1), &good()),
            Unauthenticated,
        ),
        ("EdDSA", raw_json(json!({"alg": "EdDSA", "kid": KID_RSA1}), &good(), None), Unauthenticated),
        (
            "duplicate alg, none last",
            raw(br#"{"alg":"RS256","kid":"rsa1","alg":"none"}"#, good().to_string().as_bytes(), rsa1),
            Unauthenticated,
        ),
        (
            "duplicate alg, none first",
            raw(br#"{"alg":"none","kid":"rsa1","alg":"RS256"}"#, good().to_string().as_bytes(), rsa1),
            Unauthenticated,
        ),
        ("crit header", raw_json(rs_header(json!({"crit": ["exp"], "exp": 1})), &good(), rsa1), Unauthenticated),
        ("crit header, null", raw_json(rs_header(json!({"crit": null})), &good(), rsa1), Unauthenticated),
        (
            "header with leading whitespace then an array",
            format!("{}.{}.sig", b64(b" \n[\"RS256\"]"), b64(good().to_string().as_bytes())),
            Unauthenticated,
        ),
        // Keys and signatures.
        (
            "signed by a stranger, kid of a real key",
            sign(&keys.attacker, Algorithm::RS256, Some(KID_RSA1), &good()),
            Unauthenticated,
        ),
        (
            "signed by a stranger, unknown kid",
            sign(&keys.attacker, Algorithm::RS256, Some("attacker"), &good()),
            Unauthenticated,
        ),
        (
            "stranger key in jku/jwk headers",
            raw_json(
                rs_header(
                    json!({"kid": "attacker", "jku": "http://127.0.0.1:9/jwks.json", "jwk": Keys::jwk(&keys.attacker, Algorithm::RS256, "attacker")}),
                ),
                &good(),
                Some((&keys.attacker, Algorithm::RS256)),
            ),
            Unauthenticated,
        ),
        (
            "stranger key embedded, real kid",
            raw_json(
                rs_header(json!({"jwk": Keys::jwk(&keys.attacker, Algorithm::RS256, KID_RSA1)})),
                &good(),
                Some((&keys.attacker, Algorithm::RS256)),
            ),
            Unauthenticated,
        ),
        ("no kid with a two-key set", sign(&keys.rsa1, Algorithm::RS256, None, &good()), Unauthenticated),
        ("kid is a number", raw_json(json!({"alg": "RS256", "kid": 1}), &good(), rsa1), Unauthenticated),
        ("kid is a path", sign(&keys.rsa1, Algorithm::RS256, Some("../../../../dev/null"), &good()), Unauthenticated),
        ("payload swapped for another tenant's", format!("{vh}.{other_tenant_payload}.{vs}"), Unauthenticated),
        (
            "signature of another token",
            format!("{vh}.{vp}.{}", rs256(keys, &claims("globex")).split('.').nth(2).unwrap()),
            Unauthenticated,
        ),
        (
            "signature bit flipped",
            {
                let mut s = vs.clone().into_bytes();
                s[10] = if s[10] == b'A' { b'B' } else { b'A' };
                format!("{vh}.{vp}.{}", String::from_utf8(s).unwrap())
            },
            Unauthenticated,
        ),
        // Lifetime.
        ("expired an hour ago", rs256(keys, &with(good(), "exp", json!(now - 3600))), Unauthenticated),
        ("expired beyond the leeway", rs256(keys, &with(good(), "exp", json!(now - 40))), Unauthenticated),
        ("exp missing", rs256(keys, &with(good(), "exp", Value::Null)), Unauthenticated),
        ("exp is a string", rs256(keys, &with(good(), "exp", json!((now + 600).to_string()))), Unauthenticated),
        ("exp is negative", rs256(keys, &with(good(), "exp", json!(-1))), Unauthenticated),
        ("exp is 1e300", rs256(keys, &with(good(), "exp", json!(1e300))), Unauthenticated),
        ("not valid for an hour", rs256(keys, &with(good(), "nbf", json!(now + 3600))), Unauthenticated),
        ("nbf is a string", rs256(keys, &with(good(), "nbf", json!("soon"))), Unauthenticated),
        // Issuer, audience, token use.
        (
            "wrong issuer",
            rs256(keys, &with(good(), "iss", json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"))),
            Unauthenticated,
        ),
        ("issuer with trailing slash", rs256(keys, &with(good(), "iss", json!(format!("{ISSUER}/")))), Unauthenticated),
        ("issuer missing", rs256(keys, &with(good(), "iss", Value::Null)), Unauthenticated),
        (
            "issuer array containing ours",
            rs256(keys, &with(good(), "iss", json!([ISSUER, "https://evil.example.invalid"]))),
            Unauthenticated,
        ),
        ("wrong audience", rs256(keys, &with(good(), "aud", json!("another-client"))), Unauthenticated),
        ("audience array without ours", rs256(keys, &with(good(), "aud", json!(["a", "b"]))), Unauthenticated),
        ("audience missing", rs256(keys, &with(good(), "aud", Value::Null)), Unauthenticated),
        ("audience is a number", rs256(keys, &with(good(), "aud", json!(7))), Unauthenticated),
        (
            "ID token with our client_id but no aud",
            rs256(keys, &with(with(good(), "aud", Value::Null), "client_id", json!(AUDIENCE))),
            Unauthenticated,
        ),
        (
            "access token for another client",
            rs256(keys, &with(access_claims("acme"), "client_id", json!("another-client"))),
            Unauthenticated,
        ),
        (
            "access token without client_id",
            rs256(keys, &with(access_claims("acme"), "client_id", Value::Null)),
            Unauthenticated,
        ),
        // Valid tokens without a usable tenant.
        ("tenant claim missing", rs256(keys, &with(good(), CLAIM, Value::Null)), Forbidden),
        (
            "tenant claim in another case",
            rs256(keys, &with(with(good(), CLAIM, Value::Null), "Tenant_Id", json!("acme"))),
            Forbidden,
        ),
        (
            "tenant claim null",
            rs256(keys, &{
                let mut c = good();
                c[CLAIM] = Value::Null;
                c
            }),
            Forbidden,
        ),
        ("tenant claim a number", rs256(keys, &with(good(), CLAIM, json!(42))), Forbidden),
        ("tenant claim an array", rs256(keys, &with(good(), CLAIM, json!(["acme"]))), Forbidden),
        ("tenant claim an object", rs256(keys, &with(good(), CLAIM, json!({"id": "acme"}))), Forbidden),
        ("tenant claim a bool", rs256(keys, &with(good(), CLAIM, json!(true))), Forbidden),
        ("access token, tenant missing", rs256(keys, &with(access_claims("acme"), CLAIM, Value::Null)), Forbidden),
    ];
    let bad_ids: [(&'static str, String); 27] = [
        ("tenant empty", String::new()),
        ("tenant *", "*".to_owned()),
        ("tenant acme*", "acme*".to_owned()),
        ("tenant ?", "?".to_owned()),
        ("tenant ac?e", "ac?e".to_owned()),
        ("tenant acme#x", "acme#x".to_owned()),
        ("tenant TENANT#acme", "TENANT#acme".to_owned()),
        ("tenant $", "$".to_owned()),
        ("tenant ${aws:username}", "${aws:username}".to_owned()),
        ("tenant ${*}", "${*}".to_owned()),
        ("tenant leading space", " acme".to_owned()),
        ("tenant trailing space", "acme ".to_owned()),
        ("tenant inner space", "ac me".to_owned()),
        ("tenant tab", "ac\tme".to_owned()),
        ("tenant newline", "acme\n".to_owned()),
        ("tenant NUL", "acme\0".to_owned()),
        ("tenant quote", "acme\"".to_owned()),
        ("tenant backslash", "acme\\".to_owned()),
        ("tenant slash", "acme/../globex".to_owned()),
        ("tenant dot", "acme.corp".to_owned()),
        ("tenant colon", "acme:corp".to_owned()),
        ("tenant Cyrillic a", "\u{0430}cme".to_owned()),
        ("tenant fullwidth a", "\u{ff41}cme".to_owned()),
        ("tenant zero-width space", "ac\u{200b}me".to_owned()),
        ("tenant combining accent", "acme\u{0301}".to_owned()),
        ("tenant 65 characters", "a".repeat(65)),
        ("tenant 10 000 characters", "a".repeat(10_000)),
    ];
    for (name, id) in bad_ids {
        t.push((name, rs256(keys, &claims(&id)), Forbidden));
    }
    t.push(("ES256 token, tenant *", sign(&keys.ec1, Algorithm::ES256, Some(KID_EC1), &claims("*")), Forbidden));
    t
}

/// What the key-set server answers on the key-set path.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with this JSON body.
    Json(String),
    /// This status with an empty body.
    Status(u16),
    /// Accept the connection and never answer (until the server is dropped or 30 s pass).
    Hang,
}

struct ServerState {
    reply: Mutex<Reply>,
    delay: Mutex<Duration>,
    discovery_issuer: Mutex<Option<String>>,
    jwks_hits: AtomicU64,
    discovery_hits: AtomicU64,
}

/// A minimal HTTP/1.1 server on 127.0.0.1 that serves a key set, and optionally an OpenID
/// configuration, and counts requests. One request per connection. Stops when dropped.
pub struct JwksServer {
    addr: SocketAddr,
    state: Arc<ServerState>,
    task: tokio::task::JoinHandle<()>,
}

/// The path the key set is served at (moto's layout).
pub const JWKS_PATH: &str = "/us-east-1_TestPool1/.well-known/jwks.json";

impl JwksServer {
    /// Starts serving `reply` on an ephemeral port.
    pub async fn start(reply: Reply) -> JwksServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(ServerState {
            reply: Mutex::new(reply),
            delay: Mutex::new(Duration::ZERO),
            discovery_issuer: Mutex::new(None),
            jwks_hits: AtomicU64::new(0),
            discovery_hits: AtomicU64::new(0),
        });
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                tokio::spawn(serve(stream, shared.clone(), addr));
            }
        });
        JwksServer { addr, state, task }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT` + [`JWKS_PATH`]
    pub fn jwks_url(&self) -> String {
        format!("{}{JWKS_PATH}", self.base_url())
    }

    pub fn set_reply(&self, reply: Reply) {
        *self.state.reply.lock().unwrap() = reply;
    }

    /// Delay before each answer.
    pub fn set_delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }

    /// Serve `/.well-known/openid-configuration` naming `issuer` and [`jwks_url`](Self::jwks_url).
    pub fn serve_discovery(&self, issuer: &str) {
        *self.state.discovery_issuer.lock().unwrap() = Some(issuer.to_owned());
    }

    /// Requests for any path but the discovery document.
    pub fn jwks_hits(&self) -> u64 {
        self.state.jwks_hits.load(Ordering::SeqCst)
    }

    pub fn discovery_hits(&self) -> u64 {
        self.state.discovery_hits.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: tokio::net::TcpStream, state: Arc<ServerState>, addr: SocketAddr) {
    let mut request = Vec::new();
    let mut buf = [0u8; 2048];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&request);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let delay = *state.delay.lock().unwrap();
    let (status, body) = if path.ends_with("/.well-known/openid-configuration") {
        state.discovery_hits.fetch_add(1, Ordering::SeqCst);
        match state.discovery_issuer.lock().unwrap().clone() {
            Some(issuer) => {
                (200, json!({"issuer": issuer, "jwks_uri": format!("http://{addr}{JWKS_PATH}")}).to_string())
            }
            None => (404, String::new()),
        }
    } else {
        state.jwks_hits.fetch_add(1, Ordering::SeqCst);
        let reply = state.reply.lock().unwrap().clone();
        match reply {
            Reply::Json(body) => (200, body),
            Reply::Status(status) => (status, String::new()),
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
        }
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
