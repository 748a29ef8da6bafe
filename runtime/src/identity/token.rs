//! A compact JWS split into its parts, and its JOSE header read before any key is chosen.

use super::{IdentityError, MAX_TOKEN_LEN};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The JOSE header members read before any key is chosen, as sent.
#[derive(serde::Deserialize)]
struct HeaderFields {
    alg: Option<Value>,
    kid: Option<Value>,
    /// Present at all, whatever its value (`"crit": null` included): RFC 7515, section
    /// 4.1.11 — we understand no extension, so any `crit` is refused.
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    <serde::de::IgnoredAny as serde::Deserialize>::deserialize(d).map(|_| true)
}

/// A compact JWS split into its parts, with the JOSE header members read before any key is
/// chosen. Nothing of the payload is read here.
pub(super) struct RawToken<'t> {
    pub(super) alg: String,
    pub(super) kid: Option<String>,
    /// `header.payload`, as sent: what the signature covers.
    pub(super) message: &'t str,
    /// The payload segment, still base64url.
    pub(super) payload: &'t str,
    /// The signature segment, still base64url.
    pub(super) signature: &'t str,
}

impl<'t> RawToken<'t> {
    /// Size and shape checks, then the header. Never panics, whatever the input.
    pub(super) fn parse(token: &'t str) -> Result<RawToken<'t>, IdentityError> {
        if token.is_empty() {
            return Err(IdentityError::MissingToken);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(IdentityError::TokenTooLarge { len: token.len() });
        }
        let mut segments = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (segments.next(), segments.next(), segments.next(), segments.next())
        else {
            return Err(IdentityError::Malformed { reason: "expected three `.`-separated segments" });
        };
        if [header, payload, signature].iter().any(|s| s.is_empty()) {
            return Err(IdentityError::Malformed { reason: "a segment is empty" });
        }
        if !token.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
            return Err(IdentityError::Malformed { reason: "a segment is not base64url" });
        }
        let message = &token[..header.len() + 1 + payload.len()];
        let bytes = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| IdentityError::Malformed { reason: "a segment is not base64url" })?;
        // serde's derived struct would also accept a JSON array (by position): refused first.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(IdentityError::Malformed { reason: "header is not a JSON object" });
        }
        // Only `alg`, `kid` and `crit` are read; other members are skipped without being
        // stored. A repeated member is refused (serde's "duplicate field").
        let fields: HeaderFields = serde_json::from_slice(&bytes)
            .map_err(|_| IdentityError::Malformed { reason: "header is not a JSON object" })?;
        if fields.crit {
            return Err(IdentityError::CriticalHeader);
        }
        let Some(Value::String(alg)) = fields.alg else {
            return Err(IdentityError::Malformed { reason: "header has no string `alg`" });
        };
        let kid = match fields.kid {
            None => None,
            Some(Value::String(kid)) => Some(kid),
            Some(_) => return Err(IdentityError::Malformed { reason: "header `kid` is not a string" }),
        };
        Ok(RawToken { alg, kid, message, payload, signature })
    }
}
