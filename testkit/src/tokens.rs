//! Tokens: Cognito-shaped claims, signing helpers, and a table of hostile tokens that every
//! layer taking a bearer token must refuse.
//!
//! The table is written against [`verifier_builder`]: a verifier for [`ISSUER`] and
//! [`AUDIENCE`] with the default tenant claim, over a key set that lists [`Keys::rsa1`] and
//! [`Keys::ec1`] (what a [`JwksServer`](crate::JwksServer) serves from [`Keys::key_set`]).

use crate::keys::{KID_EC1, KID_RSA1, Keys};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tenant_isolation::ErrorKind;
use tenant_isolation::identity::{DEFAULT_TENANT_CLAIM, MAX_TOKEN_LEN, Verifier, VerifierBuilder};

/// The issuer of the tokens minted here: Cognito's shape, as moto writes it.
pub const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
/// The app client id / audience.
pub const AUDIENCE: &str = "testclient0123456789abcdef";
/// The tenant claim the table's tokens use (the verifier's default).
pub const CLAIM: &str = DEFAULT_TENANT_CLAIM;
/// A development HS256 secret (32 bytes), for [`VerifierBuilder::development_hs256`].
pub const HS256_SECRET: &[u8] = b"test-only-hs256-secret-32-bytes!";

/// A builder for the verifier the hostile table is written against: [`ISSUER`],
/// [`AUDIENCE`], default tenant claim, keys from `jwks_url` (plain http on loopback allowed).
pub fn verifier_builder(jwks_url: &str) -> VerifierBuilder {
    Verifier::builder().issuer(ISSUER).audience([AUDIENCE]).jwks_url(jwks_url).allow_insecure_loopback(true)
}

/// Now, in seconds since the Unix epoch (what `iat`, `exp` and `nbf` count).
pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Claims of a valid Cognito-style ID token for `tenant`, issued now for ten minutes.
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
///
/// # Panics
///
/// If `base` is not a JSON object.
pub fn with(mut base: Value, key: &str, value: Value) -> Value {
    let map = base.as_object_mut().expect("object");
    if value.is_null() {
        map.remove(key);
    } else {
        map.insert(key.to_owned(), value);
    }
    base
}

/// A token signed by `jsonwebtoken` itself, with `kid` in its header.
///
/// # Panics
///
/// If `key` cannot sign with `alg`.
pub fn sign(key: &EncodingKey, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

/// `claims` signed RS256 with [`Keys::rsa1`] (`kid` [`KID_RSA1`]): a valid token for
/// [`verifier_builder`] when the claims are.
pub fn rs256(keys: &Keys, claims: &Value) -> String {
    sign(&keys.rsa1, Algorithm::RS256, Some(KID_RSA1), claims)
}

/// base64url without padding, as JWS segments are written.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `b64(header).b64(claims).signature`, from raw parts: for headers and payloads that
/// `jsonwebtoken::encode` refuses to write. `signer: None` gives the signature `sig`.
///
/// # Panics
///
/// If the key cannot sign with the algorithm.
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
        ("oversized", rs256(keys, &with(good(), "pad", json!("x".repeat(MAX_TOKEN_LEN)))), Unauthenticated),
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
