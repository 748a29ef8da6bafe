//! The issuer's signing keys: fetched over https (the rule, redirects included, is
//! `transport`'s), cached with a TTL, refetched once when a token names a key the cache does
//! not know (key rotation), never in a thundering herd.
//!
//! Why this is written here and not with `moka`: the cache holds exactly one value (the key
//! set), and whether a caller may fetch depends on what *that caller* saw (the generation
//! of the set it looked in, how many fetch attempts had finished when it started) and on
//! the rate limit. A keyed cache's loader sees none of that. What is left is one lock, a
//! generation number and a counter:
//!
//! * every fetch happens under `flight`, so at most one request is in flight;
//! * a caller that waited for the lock first looks at what happened meanwhile: a newer
//!   set (use it), or a failed attempt (share its error) — so 50 concurrent requests with
//!   a new `kid` cause one fetch, and 50 requests during an outage cause one timeout;
//! * an unknown `kid` refetches only if the last attempt is older than
//!   `min_refetch_interval` (the same cooldown rule as `jose`'s remote key sets), so a
//!   stream of tokens with made-up `kid`s cannot turn this process into a load generator.
//!
//! Keys are only ever taken from the configured URL, never from the token's `jku`, `x5u`
//! or embedded `jwk` headers.

use super::IdentityError;
use super::transport::{Http, Transport};
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::error::display::DisplayErrorContext;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

/// Largest key set or discovery document read; Cognito's is about 1 KiB.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// One usable verification key.
#[derive(Clone)]
pub(super) struct KeyEntry {
    kid: Option<String>,
    /// The algorithms this key may verify: its JWK `alg` if it has one, else every
    /// allowed algorithm of its key type and curve.
    algs: &'static [Algorithm],
    /// `algs` for error messages.
    algs_text: &'static str,
    pub(super) key: DecodingKey,
}

const RSA_ANY: &[Algorithm] = &[Algorithm::RS256, Algorithm::RS384, Algorithm::RS512];

/// What a JWK may be used for, or `None` if it must not be used at all.
fn allowed_algs(jwk: &Jwk) -> Option<(&'static [Algorithm], &'static str)> {
    if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    if matches!(jwk.common.key_operations, Some(ref ops) if !ops.contains(&KeyOperations::Verify)) {
        return None;
    }
    let declared = jwk.common.key_algorithm;
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => match declared {
            None => Some((RSA_ANY, "`RS256`, `RS384`, `RS512`")),
            Some(KeyAlgorithm::RS256) => Some((&[Algorithm::RS256], "`RS256`")),
            Some(KeyAlgorithm::RS384) => Some((&[Algorithm::RS384], "`RS384`")),
            Some(KeyAlgorithm::RS512) => Some((&[Algorithm::RS512], "`RS512`")),
            // PS*, RSA-OAEP (encryption) and unknown algorithms.
            Some(_) => None,
        },
        AlgorithmParameters::EllipticCurve(ec) => match (&ec.curve, declared) {
            (EllipticCurve::P256, None | Some(KeyAlgorithm::ES256)) => Some((&[Algorithm::ES256], "`ES256`")),
            (EllipticCurve::P384, None | Some(KeyAlgorithm::ES384)) => Some((&[Algorithm::ES384], "`ES384`")),
            _ => None,
        },
        // Symmetric (`oct`) keys are never taken from a key set: that is exactly the
        // HS/RS confusion this module refuses. OKP/EdDSA and unknown types: not supported.
        _ => None,
    }
}

/// Parses a JWK Set (RFC 7517, section 5). Keys that are malformed, not for signatures,
/// or of an unsupported type are skipped (one odd key must not take the others down);
/// a document that is not `{"keys": [...]}` is an error.
pub(super) fn parse_key_set(body: &[u8]) -> Result<Vec<KeyEntry>, String> {
    #[derive(serde::Deserialize)]
    struct RawSet {
        keys: Vec<serde_json::Value>,
    }
    let raw: RawSet =
        serde_json::from_slice(body).map_err(|e| format!("not a JWK Set (`{{\"keys\": [...]}}`): {e}"))?;
    let mut keys = Vec::with_capacity(raw.keys.len());
    for (i, value) in raw.keys.into_iter().enumerate() {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            tracing::warn!(index = i, "skipping malformed JWK");
            continue;
        };
        let Some((algs, algs_text)) = allowed_algs(&jwk) else {
            tracing::debug!(index = i, kid = ?jwk.common.key_id, "skipping JWK that is not an allowed signing key");
            continue;
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            tracing::warn!(index = i, kid = ?jwk.common.key_id, "skipping JWK whose parameters are not base64url");
            continue;
        };
        keys.push(KeyEntry { kid: jwk.common.key_id, algs, algs_text, key });
    }
    Ok(keys)
}

/// A fetched key set.
pub(super) struct KeySet {
    generation: u64,
    fetched_at: Instant,
    keys: Vec<KeyEntry>,
}

impl KeySet {
    /// The key for `kid`. `Ok(None)` means "not in this set" (worth a refetch); a key that
    /// exists but does not allow `alg` is an error (no refetch: the set is not stale).
    fn lookup(&self, kid: Option<&str>, alg: Algorithm) -> Result<Option<&KeyEntry>, IdentityError> {
        let found = match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            // A token without `kid` is only unambiguous against a single-key set.
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        };
        match found {
            Some(entry) if entry.algs.contains(&alg) => Ok(Some(entry)),
            Some(entry) => {
                Err(IdentityError::AlgorithmNotAllowed { alg: format!("{alg:?}"), allowed: entry.algs_text })
            }
            None => Ok(None),
        }
    }

    fn is_fresh(&self, ttl: Duration) -> bool {
        self.fetched_at.elapsed() < ttl
    }
}

/// Where the key set lives.
#[derive(Clone, Debug)]
pub(super) enum Source {
    /// A fixed URL (`TENANT_JWKS_URL`).
    Url(String),
    /// Derived from the issuer: OpenID discovery or `<iss>/.well-known/jwks.json`.
    Issuer {
        /// The issuer, without a trailing `/`.
        issuer: String,
        /// Read `<iss>/.well-known/openid-configuration` for `jwks_uri`.
        discovery: bool,
    },
}

/// State that only the holder of the fetch lock touches.
#[derive(Default)]
struct Flight {
    last_attempt: Option<Instant>,
    /// The error of the last attempt, if it failed.
    last_error: Option<IdentityError>,
    /// The `jwks_uri` found by discovery.
    discovered: Option<String>,
    generation: u64,
}

pub(super) struct Jwks {
    source: Source,
    /// The rule every URL fetched obeys: the configured one, a discovered `jwks_uri`, every
    /// redirect.
    transport: Transport,
    /// The HTTP client: the one given to the builder, else the one of the `Isolation` this
    /// verifier is given to (its STS and DynamoDB client), else one of its own built on the
    /// first fetch. Set once: a fetch never changes clients halfway.
    http: OnceLock<Http>,
    /// Bounds each GET, redirects and body included; also the connect timeout of a client of
    /// the verifier's own.
    timeout: Duration,
    ttl: Duration,
    min_refetch: Duration,
    current: RwLock<Option<Arc<KeySet>>>,
    /// Fetch attempts finished (discovery included), counted when they end; read without
    /// the lock to notice an attempt that ended after a caller started.
    finished: AtomicU64,
    /// Key-set requests sent.
    fetches: AtomicU64,
    flight: tokio::sync::Mutex<Flight>,
}

impl Jwks {
    pub(super) fn new(
        source: Source,
        transport: Transport,
        http: Option<Http>,
        timeout: Duration,
        ttl: Duration,
        min_refetch: Duration,
    ) -> Jwks {
        let cell = OnceLock::new();
        if let Some(http) = http {
            let _ = cell.set(http);
        }
        Jwks {
            source,
            transport,
            http: cell,
            timeout,
            ttl,
            min_refetch,
            current: RwLock::new(None),
            finished: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
            flight: tokio::sync::Mutex::new(Flight::default()),
        }
    }

    /// Fetch with `http` unless a client was given or built already; whether it was taken.
    pub(super) fn share_http(&self, http: impl FnOnce() -> Http) -> bool {
        let mut offered = Some(http);
        self.http.get_or_init(|| (offered.take().expect("called once"))());
        offered.is_none()
    }

    fn http(&self) -> &Http {
        self.http.get_or_init(|| Http::own(self.timeout))
    }

    pub(super) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn current(&self) -> Option<Arc<KeySet>> {
        // A poisoned lock only means a panic elsewhere while swapping an `Arc`; the value
        // is still whole.
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The key that verifies a token with this `kid` and `alg`.
    pub(super) async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<KeyEntry, IdentityError> {
        // Read the counter before the set: an attempt that ends after this line (even one
        // already in flight) is one this caller may share.
        let seen_attempt = self.finished.load(Ordering::Acquire);
        let set = match self.current() {
            Some(set) if set.is_fresh(self.ttl) => set,
            stale => self.refresh(stale.map(|s| s.generation), seen_attempt, false).await?,
        };
        if let Some(entry) = set.lookup(kid, alg)? {
            return Ok(entry.clone());
        }
        if kid.is_none() {
            return Err(IdentityError::UnknownKey);
        }
        // A `kid` we have not seen: the issuer may have rotated its keys.
        let set = self.refresh(Some(set.generation), seen_attempt, true).await?;
        set.lookup(kid, alg)?.cloned().ok_or(IdentityError::UnknownKey)
    }

    /// Fetches a new set unless someone else did (or tried) while this caller waited, or
    /// (for an unknown `kid`) the last attempt is too recent.
    async fn refresh(
        &self,
        seen_generation: Option<u64>,
        seen_attempt: u64,
        unknown_kid: bool,
    ) -> Result<Arc<KeySet>, IdentityError> {
        let mut flight = self.flight.lock().await;
        let current = self.current();
        if let Some(set) = &current
            && Some(set.generation) != seen_generation
            && set.is_fresh(self.ttl)
        {
            return Ok(set.clone());
        }
        if self.finished.load(Ordering::Acquire) != seen_attempt
            && let Some(error) = &flight.last_error
        {
            return Err(error.clone());
        }
        if unknown_kid
            && let (Some(set), Some(last)) = (&current, flight.last_attempt)
            && last.elapsed() < self.min_refetch
        {
            tracing::debug!("unknown `kid`; key-set refetch is rate-limited");
            return Ok(set.clone());
        }

        flight.last_attempt = Some(Instant::now());
        let result = self.fetch(&mut flight).await;
        self.finished.fetch_add(1, Ordering::AcqRel);
        match result {
            Ok(keys) => {
                flight.generation += 1;
                flight.last_error = None;
                tracing::debug!(keys = keys.len(), generation = flight.generation, "fetched signing keys");
                let set = Arc::new(KeySet { generation: flight.generation, fetched_at: Instant::now(), keys });
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(set.clone());
                Ok(set)
            }
            Err(error) => {
                tracing::warn!(%error, "could not fetch signing keys");
                flight.last_error = Some(error.clone());
                Err(error)
            }
        }
    }

    async fn fetch(&self, flight: &mut Flight) -> Result<Vec<KeyEntry>, IdentityError> {
        let url = match &self.source {
            Source::Url(url) => url.clone(),
            Source::Issuer { issuer, discovery: false } => format!("{issuer}/.well-known/jwks.json"),
            Source::Issuer { issuer, discovery: true } => match &flight.discovered {
                Some(url) => url.clone(),
                None => {
                    let url = self.discover(issuer).await?;
                    flight.discovered = Some(url.clone());
                    url
                }
            },
        };
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let result = async {
            let body = self.get(&url).await?;
            parse_key_set(&body).map_err(|reason| unavailable(format!("{url}: {reason}")))
        }
        .await;
        if result.is_err() {
            // The issuer may have moved its keys: discover again next time.
            flight.discovered = None;
        }
        result
    }

    /// OpenID Connect Discovery 1.0, section 4: the document's `issuer` must be exactly
    /// the configured issuer (section 4.3), and `jwks_uri` must obey the transport rule
    /// (https; plain http only to loopback with the development switch). A `jwks_uri` that
    /// does not is a 503 (the keys are unavailable), not a 401 for every caller.
    async fn discover(&self, issuer: &str) -> Result<String, IdentityError> {
        #[derive(serde::Deserialize)]
        struct Document {
            issuer: String,
            jwks_uri: String,
        }
        let url = format!("{issuer}/.well-known/openid-configuration");
        let body = self.get(&url).await?;
        let doc: Document = serde_json::from_slice(&body)
            .map_err(|e| unavailable(format!("{url}: not an OpenID provider configuration: {e}")))?;
        if doc.issuer.trim_end_matches('/') != issuer {
            return Err(unavailable(format!("{url}: the document's `issuer` is not the configured issuer")));
        }
        self.transport
            .check_str(&doc.jwks_uri)
            .map_err(|reason| unavailable(format!("{url}: `jwks_uri`: {reason}")))?;
        Ok(doc.jwks_uri)
    }

    /// GET under the transport rule (redirects included) with a 2xx check and a size cap, all
    /// of it, body included, within the timeout.
    async fn get(&self, url: &str) -> Result<Vec<u8>, IdentityError> {
        let too_large = || format!("response is larger than {MAX_DOCUMENT_BYTES} bytes");
        let fetch = async {
            let response = self.transport.get(self.http(), url).await?;
            let status = response.status().as_u16();
            if !(200..300).contains(&status) {
                return Err(format!("HTTP {status}"));
            }
            let declared = response.headers().get("content-length").and_then(|n| n.trim().parse::<u64>().ok());
            if declared.is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64) {
                return Err(too_large());
            }
            // Read chunk by chunk: a body without `Content-Length` (chunked) is held to the
            // same cap before it is in memory.
            let mut stream = ByteStream::new(response.into_body());
            let mut body = Vec::new();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| format!("reading the response failed: {}", DisplayErrorContext(&e)))?;
                if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        match tokio::time::timeout(self.timeout, fetch).await {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(reason)) => Err(unavailable(format!("GET {url}: {reason}"))),
            Err(_) => Err(unavailable(format!("GET {url}: timed out after {} ms", self.timeout.as_millis()))),
        }
    }
}

fn unavailable(reason: String) -> IdentityError {
    IdentityError::KeysUnavailable { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa_jwk(extra: serde_json::Value) -> serde_json::Value {
        let mut v = serde_json::json!({"kty": "RSA", "n": "sXch", "e": "AQAB", "kid": "r"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    }

    fn parse(keys: Vec<serde_json::Value>) -> Vec<KeyEntry> {
        parse_key_set(serde_json::json!({ "keys": keys }).to_string().as_bytes()).unwrap()
    }

    #[test]
    fn keeps_only_signing_keys_of_allowed_types() {
        let ec = serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "e"});
        let keys = parse(vec![
            rsa_jwk(serde_json::json!({})),
            rsa_jwk(serde_json::json!({"alg": "RS256", "use": "sig"})),
            ec,
            // Refused: encryption keys, PSS, symmetric keys, unknown types, garbage.
            rsa_jwk(serde_json::json!({"use": "enc"})),
            rsa_jwk(serde_json::json!({"alg": "RSA-OAEP"})),
            rsa_jwk(serde_json::json!({"alg": "PS256"})),
            rsa_jwk(serde_json::json!({"alg": "HS256"})),
            rsa_jwk(serde_json::json!({"key_ops": ["encrypt"]})),
            serde_json::json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}),
            serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "alg": "ES384"}),
            serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": "AA"}),
            serde_json::json!({"kty": "RSA"}),
            serde_json::json!("not an object"),
        ]);
        let algs: Vec<_> = keys.iter().map(|k| k.algs).collect();
        assert_eq!(algs, [RSA_ANY, &[Algorithm::RS256][..], &[Algorithm::ES256][..]]);
    }

    #[test]
    fn refuses_documents_that_are_not_key_sets() {
        for body in ["", "null", "[]", "{}", "{\"keys\": 1}", "<html>", "\u{feff}{}"] {
            assert!(parse_key_set(body.as_bytes()).is_err(), "{body:?}");
        }
        assert!(parse_key_set(b"{\"keys\": []}").unwrap().is_empty());
    }

    #[test]
    fn lookup_checks_the_algorithm_against_the_key() {
        let set = KeySet {
            generation: 1,
            fetched_at: Instant::now(),
            keys: parse(vec![rsa_jwk(serde_json::json!({"alg": "RS256"}))]),
        };
        assert!(set.lookup(Some("r"), Algorithm::RS256).unwrap().is_some());
        assert!(set.lookup(None, Algorithm::RS256).unwrap().is_some(), "single key, no kid");
        assert!(set.lookup(Some("other"), Algorithm::RS256).unwrap().is_none());
        for alg in [Algorithm::RS384, Algorithm::ES256, Algorithm::HS256] {
            assert!(matches!(set.lookup(Some("r"), alg), Err(IdentityError::AlgorithmNotAllowed { .. })));
        }
    }
}
