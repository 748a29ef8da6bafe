//! Who is calling: a verified JWT names the tenant.
//!
//! The tenant id is rendered into an IAM session policy, so it must come from a token whose
//! signature, issuer, audience and lifetime have been checked, and it must pass
//! [`TenantId::parse`] (1–64 characters of `[A-Za-z0-9_-]`) before anything else sees it.
//! A [`Verifier`] does both and answers with an [`Identity`] or an [`IdentityError`] that
//! maps to one HTTP status: 401 (no trustworthy token), 403 (a valid token without a usable
//! tenant) or 503 (the signing keys cannot be fetched).
//!
//! # Where the keys come from
//!
//! * **Key set (production).** RS256/RS384/RS512 and ES256/ES384 tokens are checked against
//!   the issuer's JWK Set, fetched from [`jwks_url`](VerifierBuilder::jwks_url) or, without
//!   one, from OpenID discovery (`<iss>/.well-known/openid-configuration` → `jwks_uri`) or
//!   Cognito's `<iss>/.well-known/jwks.json` ([`discovery(false)`](VerifierBuilder::discovery)).
//!   The set is cached for [`jwks_ttl`](VerifierBuilder::jwks_ttl); a token whose `kid` is
//!   not in it triggers one refetch (shared by all concurrent requests, and at most one per
//!   [`min_refetch_interval`](VerifierBuilder::min_refetch_interval)), so a key rotation is
//!   picked up without a thundering herd.
//!
//!   Whoever answers the key-set request can sign for every tenant, so key sets are fetched
//!   over **https only**: the key-set URL, the issuer it is found from, the discovered
//!   `jwks_uri` and every redirect (never away from https, at most 3). Plain http is allowed
//!   only to a loopback host (`127.0.0.0/8`, `::1`, `localhost`) and only with the
//!   development switch [`allow_insecure_loopback`](VerifierBuilder::allow_insecure_loopback)
//!   (`TENANT_JWT_ALLOW_HTTP_LOOPBACK=1`), e.g. for moto. A configured URL that breaks the
//!   rule fails [`build`](VerifierBuilder::build); a discovered `jwks_uri` or a redirect that
//!   breaks it is a 503 (the keys are unavailable).
//!
//!   Key sets are fetched with the AWS SDK's HTTP client: the one the
//!   [`Isolation`](crate::Isolation) builds for STS and DynamoDB when the verifier is given to
//!   one (one connection pool, the platform's root certificates read once per process), the
//!   one given to [`http_client`](VerifierBuilder::http_client), or else one of the verifier's
//!   own, built on its first fetch.
//! * **Shared secret (development).** With
//!   [`development_hs256`](VerifierBuilder::development_hs256) only HS256 tokens signed with
//!   that secret are accepted and nothing is fetched. Anyone who knows the secret can sign for
//!   any tenant, so it needs an explicit opt-in: the method's name in code, and from the
//!   environment `TENANT_JWT_DEVELOPMENT=1` beside `TENANT_JWT_HS256_SECRET` (a secret alone
//!   fails [`build`](VerifierBuilder::build)). A secret beside a key-set URL fails too, and
//!   building a verifier in this mode logs a warning.
//!
//! Each key verifies only its own algorithm: `none` is never accepted, `HS*` never with a key
//! set (an HS256 token "signed" with the RSA public key is refused before any crypto), and
//! the header's `alg` must match the JWK's `alg`, or its `kty`/`crv` when it has none.
//!
//! # What is checked
//!
//! In order: size (at most [`MAX_TOKEN_LEN`] bytes) and shape; `alg` against the allow-list;
//! the key; the signature (jsonwebtoken's, over the token as sent: nothing in the payload is
//! read before it); the payload, parsed once (one JSON object; a claim we read must not
//! appear twice); `exp` (required) and `nbf` with the [`leeway`](VerifierBuilder::leeway);
//! `iss` (required, exactly the configured string); `token_use` if configured; the audience;
//! then the tenant claim.
//!
//! The audience is `aud` (a string or an array, one element must be configured). Cognito
//! access tokens have no `aud` but a `client_id`, which is matched instead when the verifier
//! is configured with [`TokenUse::Access`], or — with no `token_use` configured — when the
//! token itself says `"token_use": "access"` and has no `aud`. One verifier configured with
//! the app client id therefore accepts both Cognito ID and access tokens.
//!
//! # Configuration from the environment
//!
//! [`Verifier::from_env`] reads:
//!
//! | variable | meaning |
//! | --- | --- |
//! | `TENANT_JWT_ISSUER` | required: the exact `iss` |
//! | `TENANT_JWT_AUDIENCE` | required: comma-separated audiences (Cognito: the app client id) |
//! | `TENANT_JWKS_URL` | key-set URL, https; default: discovery from the issuer (then an https URL) |
//! | `TENANT_JWT_DISCOVERY` | `0`/`false`: use `<iss>/.well-known/jwks.json` instead of discovery |
//! | `TENANT_JWT_ALLOW_HTTP_LOOPBACK` | `1`/`true`, development only: also plain http to a loopback host |
//! | `TENANT_JWT_DEVELOPMENT` | `1`/`true`: development mode, required beside `TENANT_JWT_HS256_SECRET` |
//! | `TENANT_JWT_HS256_SECRET` | development mode only: HS256 with this secret (at least 32 bytes); never with `TENANT_JWKS_URL` |
//! | `TENANT_CLAIM` | the tenant claim; default `tenant_id` (Cognito: `custom:tenant_id`) |
//! | `TENANT_JWT_TOKEN_USE` | `id` or `access`: require this Cognito `token_use` |
//! | `TENANT_JWT_LEEWAY_SECS` | clock-skew leeway for `exp`/`nbf`; default 30, at most 300 |
//! | `TENANT_TRUSTED_CLAIMS` | `1`/`true`: accept claims an API Gateway authorizer verified |
//!
//! # Examples
//!
//! Development mode, with a token minted on the spot:
//!
//! ```
//! use tenant_isolation::{ErrorKind, identity::Verifier};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = b"a development secret of 32 bytes";
//! let verifier = Verifier::builder()
//!     .issuer("https://auth.example.invalid")
//!     .audience(["orders-api"])
//!     .development_hs256(secret)
//!     .build()?;
//!
//! let claims = serde_json::json!({
//!     "iss": "https://auth.example.invalid",
//!     "aud": "orders-api",
//!     "sub": "user-1",
//!     "exp": jsonwebtoken::get_current_timestamp() + 300,
//!     "tenant_id": "acme",
//! });
//! let token = jsonwebtoken::encode(
//!     &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
//!     &claims,
//!     &jsonwebtoken::EncodingKey::from_secret(secret),
//! )?;
//!
//! let identity = verifier.verify(&token).await?;
//! assert_eq!(identity.tenant.as_str(), "acme");
//! assert_eq!(identity.subject.as_deref(), Some("user-1"));
//!
//! let error = verifier.verify("not.a.token").await.unwrap_err();
//! assert_eq!(error.kind(), ErrorKind::Unauthenticated);
//! assert_eq!(error.status(), 401);
//! # Ok(())
//! # }
//! ```
//!
//! A Cognito user pool (for moto, point `jwks_url` at
//! `http://127.0.0.1:PORT/<pool_id>/.well-known/jwks.json` and add
//! [`allow_insecure_loopback(true)`](VerifierBuilder::allow_insecure_loopback); its tokens
//! name the real AWS host in `iss`):
//!
//! ```no_run
//! use tenant_isolation::identity::Verifier;
//!
//! # async fn handle(authorization: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .issuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123")
//!     .audience(["3n4b5urk1ft4fl3mg5e62d9ado"])
//!     .tenant_claim("custom:tenant_id")
//!     .build()?;
//! let token = authorization.strip_prefix("Bearer ").unwrap_or_default();
//! match verifier.verify(token).await {
//!     Ok(identity) => println!("tenant {}", identity.tenant),
//!     Err(e) => println!("answer {}: {e}", e.status()),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Or entirely from the environment: `let verifier = Verifier::from_env()?;`.

mod builder;
mod claims;
mod date;
mod error;
mod jwks;
#[cfg(test)]
mod tests;
mod token;
mod transport;

pub use builder::VerifierBuilder;
pub use error::IdentityError;

use crate::config::{Choice, ConfigError, parse_choice, setting};
use aws_smithy_runtime_api::client::http::HttpConnectorSettings;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claims::{Claims, ClaimsError};
use date::trusted_date;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tenant_isolation_core::TenantId;
use token::RawToken;

/// The longest bearer token accepted, in bytes. Longer tokens are refused (401) before
/// anything is decoded. Cognito tokens are 1–2 KiB; a few hundred group names still fit.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The default tenant claim. Cognito custom attributes appear as `custom:<name>`: set
/// [`tenant_claim("custom:tenant_id")`](VerifierBuilder::tenant_claim) there.
pub const DEFAULT_TENANT_CLAIM: &str = "tenant_id";

/// The largest accepted [`leeway`](VerifierBuilder::leeway).
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// The shortest accepted [`development_hs256`](VerifierBuilder::development_hs256) secret: RFC 7518,
/// section 3.2 requires a key at least as long as the hash output.
pub const MIN_HS256_SECRET_LEN: usize = 32;

/// Algorithms accepted from a key set: asymmetric only, so that no token is ever checked
/// with a public key used as an HMAC secret.
const KEY_SET_ALGORITHMS: [Algorithm; 5] =
    [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::ES256, Algorithm::ES384];
/// [`KEY_SET_ALGORITHMS`], for error messages.
const KEY_SET_ALGS: &str = "`RS256`, `RS384`, `RS512`, `ES256`, `ES384`";

/// The caller a verified token names.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The tenant, validated.
    pub tenant: TenantId,
    /// The token's `sub`, if it is a string.
    pub subject: Option<String>,
}

/// Cognito's `token_use` claim: which kind of token a verifier accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenUse {
    /// ID tokens (`"token_use": "id"`, audience in `aud`).
    Id,
    /// Access tokens (`"token_use": "access"`, audience in `client_id`).
    Access,
}

impl TokenUse {
    /// `id` or `access`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        }
    }
}

impl Choice for TokenUse {
    const CHOICES: &'static [(&'static str, TokenUse)] = &[("id", TokenUse::Id), ("access", TokenUse::Access)];
}

/// `id` or `access`, as `TENANT_JWT_TOKEN_USE` takes it; anything else is a [`ConfigError`]
/// that names the variable and lists both.
impl std::str::FromStr for TokenUse {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<TokenUse, ConfigError> {
        parse_choice(setting::JWT_TOKEN_USE, s)
    }
}

/// Verifies bearer tokens and extracts the tenant. Cheap to clone: clones share the key
/// cache, so build one per process (e.g. in the Lambda's init phase).
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audience: Vec<String>,
    tenant_claim: String,
    token_use: Option<TokenUse>,
    leeway: Duration,
    trust_claims: bool,
    keys: Keys,
}

enum Keys {
    Secret(DecodingKey),
    /// Boxed: with its HTTP client it is more than ten times the size of a secret.
    Set(Box<jwks::Jwks>),
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Verifier")
            .field("issuer", &i.issuer)
            .field("audience", &i.audience)
            .field("tenant_claim", &i.tenant_claim)
            .field("token_use", &i.token_use)
            .field("leeway", &i.leeway)
            .field("trust_authorizer_claims", &i.trust_claims)
            .field(
                "keys",
                &match i.keys {
                    Keys::Secret(_) => "hs256 secret (redacted)",
                    Keys::Set(_) => "key set",
                },
            )
            .finish()
    }
}

impl Verifier {
    /// A builder; `issuer` and `audience` are required.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// A verifier configured from the environment (see the [module docs](self) for the
    /// variables). Nothing is fetched until the first [`verify`](Verifier::verify).
    pub fn from_env() -> Result<Verifier, ConfigError> {
        VerifierBuilder::from_env()?.build()
    }

    /// Verifies a bearer token (without the `Bearer ` prefix) and extracts the tenant.
    ///
    /// Errors are [`Unauthenticated`](crate::ErrorKind::Unauthenticated) for anything
    /// wrong with the token, [`Forbidden`](crate::ErrorKind::Forbidden) for a valid token
    /// without a usable tenant claim, and [`Unavailable`](crate::ErrorKind::Unavailable)
    /// when the key set cannot be fetched.
    pub async fn verify(&self, token: &str) -> Result<Identity, IdentityError> {
        let token = RawToken::parse(token)?;
        let inner = &*self.inner;
        // The algorithm is checked before the key set is consulted: a `none`/`HS256` token
        // must not cost a fetch.
        let Some(alg) = token.alg.parse::<Algorithm>().ok().filter(|a| inner.algorithms().contains(a)) else {
            let allowed = match inner.keys {
                Keys::Secret(_) => "`HS256`",
                Keys::Set(_) => KEY_SET_ALGS,
            };
            return Err(not_allowed(&token.alg, allowed));
        };
        let owned_key;
        let key = match &inner.keys {
            Keys::Secret(secret) => secret,
            Keys::Set(jwks) => {
                owned_key = jwks.key(token.kid.as_deref(), alg).await?;
                &owned_key.key
            }
        };
        // The signature, by jsonwebtoken's crypto provider, over `header.payload` as sent.
        // jsonwebtoken's `decode` would do the same and then parse the header twice and the
        // payload twice; the claim checks below are the ones it makes (`validation.rs`), and
        // stricter (`iss` a string, duplicates refused). `identity::tests` checks them
        // against jsonwebtoken's `decode` on the same tokens.
        match jsonwebtoken::crypto::verify(token.signature, token.message.as_bytes(), key, alg) {
            Ok(true) => {}
            Ok(false) => return Err(IdentityError::BadSignature),
            Err(e) => return Err(IdentityError::from_jwt(&e)),
        }
        let payload = URL_SAFE_NO_PAD
            .decode(token.payload)
            .map_err(|_| IdentityError::Malformed { reason: "a segment is not base64url" })?;
        let claims = Claims::from_json(&payload, &inner.tenant_claim).map_err(|e| match e {
            ClaimsError::NotAnObject => IdentityError::Malformed { reason: "claims are not a JSON object" },
            ClaimsError::Duplicate => IdentityError::Malformed { reason: "a claim appears twice" },
        })?;
        inner.check_lifetime(&claims)?;
        // A token has one issuer, a string (RFC 7519, section 4.1.1); jsonwebtoken would
        // also accept an array that contains it.
        if Claims::str_of(&claims.iss) != Some(inner.issuer.as_str()) {
            return Err(IdentityError::WrongIssuer);
        }
        inner.check_token_use(&claims)?;
        inner.check_audience(&claims, false)?;
        inner.identity(claims)
    }

    /// Trusted-claims mode: takes the tenant from claims that an API Gateway JWT, Cognito or
    /// Lambda authorizer has already verified (`requestContext.authorizer.jwt.claims`,
    /// `requestContext.authorizer.claims`, ...).
    ///
    /// Fails with [`IdentityError::TrustedClaimsDisabled`] (401) unless the verifier was
    /// built with [`trust_authorizer_claims(true)`](VerifierBuilder::trust_authorizer_claims)
    /// or `TENANT_TRUSTED_CLAIMS=1`. Values may be JSON values or, as API Gateway REST APIs
    /// deliver them, strings (`"exp": "1700000000"`, `"aud": "[a b]"`).
    ///
    /// The signature is not checked (there is none), but as a guard against a mis-wired
    /// authorizer, `iss`, `aud`/`client_id` and `exp` are compared with the configuration
    /// when present, and a configured `token_use` is required. `exp` is read as a number, a
    /// number in a string, or the date API Gateway REST's Cognito authorizer writes
    /// (`"Thu Dec 06 17:08:23 UTC 2018"`); an `exp` in any other form is refused
    /// ([`IdentityError::BadClaim`]), never skipped.
    pub fn identity_from_trusted_claims(&self, claims: &Map<String, Value>) -> Result<Identity, IdentityError> {
        let inner = &*self.inner;
        if !inner.trust_claims {
            return Err(IdentityError::TrustedClaimsDisabled);
        }
        let claims = Claims::from_map(claims, &inner.tenant_claim);
        if let Some(iss) = &claims.iss
            && iss.as_str() != Some(inner.issuer.as_str())
        {
            return Err(IdentityError::WrongIssuer);
        }
        inner.check_token_use(&claims)?;
        if claims.aud.is_some() || claims.client_id.is_some() {
            inner.check_audience(&claims, true)?;
        }
        if let Some(exp) = claims.exp.as_ref() {
            let exp = trusted_date(exp).ok_or_else(|| IdentityError::BadClaim { claim: "exp".to_owned() })?;
            let now = jsonwebtoken::get_current_timestamp();
            if exp.saturating_add(inner.leeway.as_secs()) < now {
                return Err(IdentityError::Expired);
            }
        }
        inner.identity(claims)
    }

    /// Whether [`identity_from_trusted_claims`](Verifier::identity_from_trusted_claims) is
    /// enabled.
    pub fn trusts_authorizer_claims(&self) -> bool {
        self.inner.trust_claims
    }

    /// How many key-set requests this verifier (and its clones) has sent, failed ones
    /// included; 0 in shared-secret mode. For tests and benchmarks.
    pub fn jwks_fetches(&self) -> u64 {
        match &self.inner.keys {
            Keys::Secret(_) => 0,
            Keys::Set(jwks) => jwks.fetches(),
        }
    }

    /// Offers the HTTP client of an [`Isolation`](crate::Isolation)'s SDK config (its STS
    /// and DynamoDB client) for key-set requests, with the connector settings, sleep and
    /// clock of those SDK clients, so that they all use one connector: one connection pool
    /// and one root store. Taken only if the builder was given no client and no key set has
    /// been fetched yet (a fetch never changes clients halfway); returns whether it was taken.
    pub(crate) fn share_http_client(&self, sdk: &aws_config::SdkConfig, settings: HttpConnectorSettings) -> bool {
        let Some(client) = sdk.http_client() else { return false };
        match &self.inner.keys {
            Keys::Secret(_) => false,
            Keys::Set(jwks) => {
                jwks.share_http(|| transport::Http::shared_with(client, settings, sdk.sleep_impl(), sdk.time_source()))
            }
        }
    }
}

impl Inner {
    /// The algorithms this verifier's keys may verify.
    fn algorithms(&self) -> &'static [Algorithm] {
        match self.keys {
            Keys::Secret(_) => &[Algorithm::HS256],
            Keys::Set(_) => &KEY_SET_ALGORITHMS,
        }
    }

    /// `exp` (required) and `nbf` (optional), each a `NumericDate`, with the leeway: the
    /// rules of jsonwebtoken 11's `validate` (`validation.rs`): expired when
    /// `exp < now - leeway`, not yet valid when `nbf > now + leeway`; an `exp`/`nbf` that
    /// is present but not a date (`null` included) is refused.
    fn check_lifetime(&self, claims: &Claims) -> Result<(), IdentityError> {
        let date = |value: &Option<Value>, claim: &str| match value {
            None => Ok(None),
            Some(v) => {
                claims::numeric_date(v).map(Some).ok_or_else(|| IdentityError::BadClaim { claim: claim.to_owned() })
            }
        };
        let exp = date(&claims.exp, "exp")?.ok_or_else(|| IdentityError::BadClaim { claim: "exp".to_owned() })?;
        let nbf = date(&claims.nbf, "nbf")?;
        let (now, leeway) = (jsonwebtoken::get_current_timestamp(), self.leeway.as_secs());
        if exp.saturating_add(leeway) < now {
            return Err(IdentityError::Expired);
        }
        if nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
            return Err(IdentityError::NotYetValid);
        }
        Ok(())
    }

    /// `aud`, or Cognito access tokens' `client_id`. `lenient` (trusted claims) accepts
    /// either, and API Gateway's stringified arrays (`"[a b]"`).
    fn check_audience(&self, claims: &Claims, lenient: bool) -> Result<(), IdentityError> {
        let ours = |s: &str| self.audience.iter().any(|a| a == s);
        let aud = claims.aud.as_ref();
        let aud_ok = match aud {
            Some(Value::String(s)) if lenient && s.starts_with('[') && s.ends_with(']') => {
                s[1..s.len() - 1].split_whitespace().any(ours)
            }
            Some(Value::String(s)) => ours(s),
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).any(ours),
            _ => false,
        };
        let client_ok = Claims::str_of(&claims.client_id).is_some_and(ours);
        let is_access = Claims::str_of(&claims.token_use) == Some("access");
        let ok = match self.token_use {
            _ if lenient => aud_ok || client_ok,
            // An `aud`, if an access token has one, must also be ours.
            Some(TokenUse::Access) => client_ok && (aud.is_none() || aud_ok),
            Some(TokenUse::Id) => aud_ok,
            None => aud_ok || (is_access && aud.is_none() && client_ok),
        };
        if ok { Ok(()) } else { Err(IdentityError::WrongAudience) }
    }

    fn check_token_use(&self, claims: &Claims) -> Result<(), IdentityError> {
        match self.token_use {
            Some(expected) if Claims::str_of(&claims.token_use) != Some(expected.as_str()) => {
                Err(IdentityError::WrongTokenUse { expected: expected.as_str() })
            }
            _ => Ok(()),
        }
    }

    fn identity(&self, claims: Claims) -> Result<Identity, IdentityError> {
        let claim = || self.tenant_claim.clone();
        let tenant = match &claims.tenant {
            None | Some(Value::Null) => return Err(IdentityError::MissingTenant { claim: claim() }),
            Some(Value::String(s)) => {
                TenantId::parse(s).map_err(|source| IdentityError::InvalidTenant { claim: claim(), source })?
            }
            Some(_) => return Err(IdentityError::TenantNotAString { claim: claim() }),
        };
        let subject = match claims.sub {
            Some(Value::String(sub)) => Some(sub),
            _ => None,
        };
        Ok(Identity { tenant, subject })
    }
}

fn not_allowed(alg: &str, allowed: &'static str) -> IdentityError {
    // `alg` is attacker-controlled: echo it only if it looks like an algorithm name.
    let alg = if !alg.is_empty() && alg.len() <= 16 && alg.bytes().all(|b| b.is_ascii_alphanumeric()) {
        alg.to_owned()
    } else {
        "(unrecognised)".to_owned()
    };
    IdentityError::AlgorithmNotAllowed { alg, allowed }
}
