//! Why a request has no tenant, and which HTTP status says so.

use crate::kind::ErrorKind;
use tenant_isolation_core::InvalidTenantId;

/// A request whose tenant could not be established.
///
/// Messages name what was wrong but never contain the token, the HMAC secret, or claim
/// values taken from the token (they are attacker-controlled and end up in logs). The one
/// exception is [`InvalidTenantId`], which names the first forbidden character, escaped.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// No token was given (empty string).
    #[error("no bearer token")]
    MissingToken,
    /// The token is longer than [`MAX_TOKEN_LEN`](super::MAX_TOKEN_LEN) bytes; it was
    /// refused before any parsing.
    #[error("bearer token is {len} bytes; at most {max} are accepted", max = super::MAX_TOKEN_LEN)]
    TokenTooLarge {
        /// The token's length in bytes.
        len: usize,
    },
    /// The token is not a compact JWS: three non-empty base64url segments whose first two
    /// decode to JSON objects.
    #[error("malformed bearer token: {reason}")]
    Malformed {
        /// What is wrong with its shape.
        reason: &'static str,
    },
    /// The header's `alg` is not allowed here: `none`, anything but `HS256` in
    /// shared-secret mode, `HS*` with a key set, or an algorithm that does not match the
    /// key (`kty`/`crv`/`alg`) the `kid` names.
    #[error("signing algorithm `{alg}` is not allowed: expected one of: {allowed}")]
    AlgorithmNotAllowed {
        /// The algorithm named in the header.
        alg: String,
        /// The algorithms that would have been accepted, e.g. "`RS256`, `ES256`".
        allowed: &'static str,
    },
    /// The header has a `crit` parameter; no JWS extension is understood here
    /// (RFC 7515, section 4.1.11 requires such tokens to be refused).
    #[error("token header has `crit` extensions; none are supported")]
    CriticalHeader,
    /// No key in the key set matches the token's `kid`, even after the one refetch that a
    /// key rotation is allowed to trigger (or the refetch was rate-limited).
    #[error("no signing key matches the token's `kid`")]
    UnknownKey,
    /// The signature does not verify with the key the token names.
    #[error("token signature is invalid")]
    BadSignature,
    /// The key from the key set could not be used to verify (malformed modulus, point,
    /// ...): the identity provider serves a key set that cannot be used, so no token signed
    /// with that key can be checked. 503, not 401: the caller's token is not at fault.
    #[error("the signing key the token names is unusable")]
    UnusableKey,
    /// The invocation carries a Lambda tenant id (tenant isolation mode) that is not the
    /// verified tenant.
    #[error("the invocation's Lambda tenant id is not the verified tenant")]
    LambdaTenantMismatch,
    /// The function runs in Lambda tenant isolation mode (`TENANT_LAMBDA_TENANT_ID=required`)
    /// and the invocation carries no Lambda tenant id.
    #[error("the invocation carries no Lambda tenant id, which this function requires")]
    LambdaTenantMissing,
    /// `exp` is in the past (beyond the leeway).
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token is not valid yet (`nbf` is in the future)")]
    NotYetValid,
    /// `iss` is missing or is not the configured issuer.
    #[error("token issuer is not the configured issuer")]
    WrongIssuer,
    /// Neither `aud` nor (for access tokens) `client_id` names a configured audience.
    #[error("token audience (`aud` or `client_id`) is not a configured audience")]
    WrongAudience,
    /// `token_use` is missing or is not the configured one.
    #[error("token `token_use` is not `{expected}`")]
    WrongTokenUse {
        /// The configured `token_use`.
        expected: &'static str,
    },
    /// A registered claim the checks need is missing or malformed (`exp` absent, `exp`
    /// not a number, ...).
    #[error("token claim `{claim}` is missing or malformed")]
    BadClaim {
        /// The claim.
        claim: String,
    },
    /// [`Verifier::identity_from_trusted_claims`](super::Verifier::identity_from_trusted_claims)
    /// was called on a verifier built without
    /// [`trust_authorizer_claims(true)`](super::VerifierBuilder::trust_authorizer_claims).
    #[error(
        "authorizer claims are not trusted: set `TENANT_TRUSTED_CLAIMS=1` or call `trust_authorizer_claims(true)` on the builder"
    )]
    TrustedClaimsDisabled,
    /// The token is valid but carries no tenant claim.
    #[error("token has no `{claim}` claim")]
    MissingTenant {
        /// The configured tenant claim name.
        claim: String,
    },
    /// The token is valid but its tenant claim is not a string.
    #[error("token claim `{claim}` is not a string")]
    TenantNotAString {
        /// The configured tenant claim name.
        claim: String,
    },
    /// The token is valid but its tenant claim is not a valid tenant id.
    #[error("token claim `{claim}` is not a valid tenant id: {source}")]
    InvalidTenant {
        /// The configured tenant claim name.
        claim: String,
        /// Why the value was refused.
        source: InvalidTenantId,
    },
    /// The key set (or the OpenID discovery document) could not be fetched or parsed.
    #[error("signing keys are unavailable: {reason}")]
    KeysUnavailable {
        /// What went wrong: network error, timeout, HTTP status or parse error, with the
        /// URL (never a token or secret).
        reason: String,
    },
}

impl IdentityError {
    /// Which of 401/403/503 this error is.
    pub fn kind(&self) -> ErrorKind {
        use IdentityError::*;
        match self {
            MissingToken
            | TokenTooLarge { .. }
            | Malformed { .. }
            | AlgorithmNotAllowed { .. }
            | CriticalHeader
            | UnknownKey
            | BadSignature
            | Expired
            | NotYetValid
            | WrongIssuer
            | WrongAudience
            | WrongTokenUse { .. }
            | BadClaim { .. }
            | TrustedClaimsDisabled => ErrorKind::Unauthenticated,
            MissingTenant { .. }
            | TenantNotAString { .. }
            | InvalidTenant { .. }
            | LambdaTenantMismatch
            | LambdaTenantMissing => ErrorKind::Forbidden,
            KeysUnavailable { .. } | UnusableKey => ErrorKind::Unavailable,
        }
    }

    /// The HTTP status the request should be answered with: 401, 403 or 503.
    pub fn status(&self) -> u16 {
        self.kind().status()
    }

    /// Maps a `jsonwebtoken` failure. Only reached after our own shape and algorithm
    /// checks, so most arms are defence in depth.
    pub(super) fn from_jwt(e: &jsonwebtoken::errors::Error) -> IdentityError {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::InvalidSignature => IdentityError::BadSignature,
            K::ExpiredSignature => IdentityError::Expired,
            K::ImmatureSignature => IdentityError::NotYetValid,
            K::InvalidIssuer => IdentityError::WrongIssuer,
            K::InvalidAudience => IdentityError::WrongAudience,
            K::MissingRequiredClaim(c) if c == "iss" => IdentityError::WrongIssuer,
            K::MissingRequiredClaim(c) | K::InvalidClaimFormat(c) => IdentityError::BadClaim { claim: c.clone() },
            K::InvalidAlgorithm | K::InvalidAlgorithmName | K::UnsupportedAlgorithm | K::MissingAlgorithm => {
                IdentityError::AlgorithmNotAllowed { alg: "?".to_owned(), allowed: "the key's algorithm" }
            }
            K::InvalidEcdsaKey | K::InvalidRsaKey(_) | K::InvalidEddsaKey | K::InvalidKeyFormat => {
                IdentityError::UnusableKey
            }
            K::Base64(_) => IdentityError::Malformed { reason: "a segment is not base64url" },
            K::Json(_) | K::Utf8(_) => {
                IdentityError::Malformed { reason: "header or claims are not a valid JSON object" }
            }
            // `InvalidToken` (shape, or `exp` below `reject_tokens_expiring_in_less_than`),
            // signing errors and anything added later: refuse.
            _ => IdentityError::Malformed { reason: "token could not be decoded" },
        }
    }
}
