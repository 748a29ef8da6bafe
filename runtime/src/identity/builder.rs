//! [`VerifierBuilder`]: a verifier's settings, given in code or read from the environment
//! through the one settings layer (`config.rs`), checked once by [`VerifierBuilder::build`].

use super::{DEFAULT_TENANT_CLAIM, Inner, Keys, MAX_LEEWAY, MIN_HS256_SECRET_LEN, TokenUse, Verifier, jwks, transport};
use crate::config::{ConfigError, Env, setting};
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnectorSettings, SharedHttpClient};
use aws_smithy_runtime_api::shared::IntoShared;
use jsonwebtoken::DecodingKey;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use transport::Transport;

/// Configures a [`Verifier`]. `issuer` and `audience` are required; then either a key set
/// (the default: discovered from the issuer, or [`jwks_url`](VerifierBuilder::jwks_url)) or,
/// for development only, [`development_hs256`](VerifierBuilder::development_hs256).
#[must_use]
pub struct VerifierBuilder {
    issuer: Option<String>,
    audience: Vec<String>,
    jwks_url: Option<String>,
    hs256_secret: Option<Vec<u8>>,
    /// The opt-in a secret needs: `development_hs256` or `TENANT_JWT_DEVELOPMENT`.
    development: bool,
    tenant_claim: String,
    token_use: Option<TokenUse>,
    leeway: Duration,
    jwks_ttl: Duration,
    min_refetch_interval: Duration,
    discovery: bool,
    trust_claims: bool,
    http_timeout: Duration,
    allow_insecure_loopback: bool,
    http_client: Option<SharedHttpClient>,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        VerifierBuilder {
            issuer: None,
            audience: Vec::new(),
            jwks_url: None,
            hs256_secret: None,
            development: false,
            tenant_claim: DEFAULT_TENANT_CLAIM.to_owned(),
            token_use: None,
            leeway: Duration::from_secs(30),
            jwks_ttl: Duration::from_secs(3600),
            min_refetch_interval: Duration::from_secs(30),
            discovery: true,
            trust_claims: false,
            http_timeout: Duration::from_secs(3),
            allow_insecure_loopback: false,
            http_client: None,
        }
    }
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("jwks_url", &self.jwks_url)
            .field("hs256_secret", &self.hs256_secret.as_ref().map(|_| "(redacted)"))
            .field("development", &self.development)
            .field("tenant_claim", &self.tenant_claim)
            .field("token_use", &self.token_use)
            .field("leeway", &self.leeway)
            .field("jwks_ttl", &self.jwks_ttl)
            .field("min_refetch_interval", &self.min_refetch_interval)
            .field("discovery", &self.discovery)
            .field("trust_authorizer_claims", &self.trust_claims)
            .field("http_timeout", &self.http_timeout)
            .field("allow_insecure_loopback", &self.allow_insecure_loopback)
            .field("http_client", &self.http_client.as_ref().map(|_| "(given)"))
            .finish()
    }
}

impl VerifierBuilder {
    /// A builder preset from the environment (see the [module docs](super)); set more on it
    /// before [`build`](VerifierBuilder::build): a value set on the builder wins over the
    /// variable's. Each variable is read once, here; a malformed one is a [`ConfigError`]
    /// naming it and the method that sets it instead.
    pub fn from_env() -> Result<VerifierBuilder, ConfigError> {
        VerifierBuilder::from_settings(&Env::live())
    }

    /// A builder preset from `env`, through the one settings layer (`config.rs`): what
    /// [`from_env`](Self::from_env) reads, and what an [`Isolation`](crate::Isolation) built
    /// without a verifier reads from the environment it captured.
    pub(crate) fn from_settings(env: &Env) -> Result<VerifierBuilder, ConfigError> {
        let defaults = VerifierBuilder::default();
        Ok(VerifierBuilder {
            issuer: env.string(setting::JWT_ISSUER),
            audience: env.list(setting::JWT_AUDIENCE),
            jwks_url: env.string(setting::JWKS_URL),
            discovery: env.bool(setting::JWT_DISCOVERY)?.unwrap_or(defaults.discovery),
            hs256_secret: env.string(setting::JWT_HS256_SECRET).map(String::into_bytes),
            development: env.bool(setting::JWT_DEVELOPMENT)?.unwrap_or(defaults.development),
            tenant_claim: env.string(setting::CLAIM).unwrap_or(defaults.tenant_claim),
            token_use: env.choice(setting::JWT_TOKEN_USE)?,
            leeway: env.seconds(setting::JWT_LEEWAY_SECS)?.unwrap_or(defaults.leeway),
            trust_claims: env.bool(setting::TRUSTED_CLAIMS)?.unwrap_or(defaults.trust_claims),
            allow_insecure_loopback: env
                .bool(setting::JWT_ALLOW_HTTP_LOOPBACK)?
                .unwrap_or(defaults.allow_insecure_loopback),
            ..defaults
        })
    }

    /// Whether `env` sets none of the verifier's variables (the ones [`from_settings`] reads):
    /// a function of record handlers only, which verifies no token.
    ///
    /// [`from_settings`]: VerifierBuilder::from_settings
    pub(crate) fn unconfigured(env: &Env) -> bool {
        [
            setting::JWT_ISSUER,
            setting::JWT_AUDIENCE,
            setting::JWKS_URL,
            setting::JWT_DISCOVERY,
            setting::JWT_HS256_SECRET,
            setting::JWT_DEVELOPMENT,
            setting::CLAIM,
            setting::JWT_TOKEN_USE,
            setting::JWT_LEEWAY_SECS,
            setting::TRUSTED_CLAIMS,
            setting::JWT_ALLOW_HTTP_LOOPBACK,
        ]
        .into_iter()
        .all(|s| env.string(s).is_none())
    }

    /// The exact `iss` of accepted tokens (`TENANT_JWT_ISSUER`). Required. Without a
    /// [`jwks_url`](VerifierBuilder::jwks_url) the key set is found from it, so it must then
    /// be an `https` URL.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The accepted audiences (`TENANT_JWT_AUDIENCE`, comma-separated): matched against
    /// `aud`, and against `client_id` for Cognito access tokens. Required; replaces any
    /// audiences set before.
    pub fn audience<I, S>(mut self, audience: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audience = audience.into_iter().map(Into::into).collect();
        self
    }

    /// Where the key set is served (`TENANT_JWKS_URL`), if not where the issuer says. An
    /// `https` URL; plain `http` only to a loopback host with
    /// [`allow_insecure_loopback`](VerifierBuilder::allow_insecure_loopback), e.g. moto's
    /// `http://127.0.0.1:PORT/<pool_id>/.well-known/jwks.json`.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Development mode: accept only HS256 tokens signed with this shared secret (at least
    /// [`MIN_HS256_SECRET_LEN`] bytes); no key set is used. Anyone who knows the secret can
    /// sign for any tenant, so this is for local development and tests only.
    ///
    /// The name is the opt-in. From the environment it takes two variables,
    /// `TENANT_JWT_DEVELOPMENT=1` and `TENANT_JWT_HS256_SECRET`: a secret alone fails
    /// [`build`](VerifierBuilder::build), so a leftover secret never switches a deployment to
    /// shared-secret verification. A secret beside a key-set URL
    /// ([`jwks_url`](VerifierBuilder::jwks_url), `TENANT_JWKS_URL`) fails too, whichever way
    /// each was given. Building a verifier in development mode logs a warning.
    pub fn development_hs256(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.hs256_secret = Some(secret.as_ref().to_vec());
        self.development = true;
        self
    }

    /// The claim holding the tenant id (`TENANT_CLAIM`); default [`DEFAULT_TENANT_CLAIM`].
    pub fn tenant_claim(mut self, claim: impl Into<String>) -> Self {
        self.tenant_claim = claim.into();
        self
    }

    /// Require this Cognito `token_use` (`TENANT_JWT_TOKEN_USE`). Without it both ID and
    /// access tokens are accepted (see the [module docs](super) for the audience rule).
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        self.token_use = Some(token_use);
        self
    }

    /// Clock-skew allowance for `exp` and `nbf` (`TENANT_JWT_LEEWAY_SECS`); whole seconds,
    /// default 30 s, at most [`MAX_LEEWAY`].
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// How long a fetched key set is used before it is fetched again; default 1 hour.
    pub fn jwks_ttl(mut self, ttl: Duration) -> Self {
        self.jwks_ttl = ttl;
        self
    }

    /// The least time between a key-set fetch and a refetch caused by an unknown `kid`;
    /// default 30 s. Within it, tokens with unknown `kid`s are refused without a fetch.
    pub fn min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// Without a [`jwks_url`](VerifierBuilder::jwks_url): `true` (default) reads `jwks_uri`
    /// from `<iss>/.well-known/openid-configuration`; `false` uses
    /// `<iss>/.well-known/jwks.json` (Cognito's layout) directly (`TENANT_JWT_DISCOVERY`).
    pub fn discovery(mut self, discovery: bool) -> Self {
        self.discovery = discovery;
        self
    }

    /// Enable [`Verifier::identity_from_trusted_claims`] (`TENANT_TRUSTED_CLAIMS`). Only for
    /// functions that are reachable solely through an authorizer that verifies the token.
    pub fn trust_authorizer_claims(mut self, trust: bool) -> Self {
        self.trust_claims = trust;
        self
    }

    /// Timeout of each key-set or discovery request, its redirects and its body included;
    /// default 3 s.
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout;
        self
    }

    /// Development only (`TENANT_JWT_ALLOW_HTTP_LOOPBACK`): also fetch key sets and
    /// discovery documents over plain `http`, but only from a loopback host (`127.0.0.0/8`,
    /// `::1`, `localhost`), e.g. moto's `http://127.0.0.1:PORT/<pool_id>/.well-known/jwks.json`.
    /// Off by default: key sets are fetched over `https` only. A redirect is followed only to
    /// a URL this rule allows, and never away from `https`. Building a verifier with it on
    /// logs a warning.
    pub fn allow_insecure_loopback(mut self, allow: bool) -> Self {
        self.allow_insecure_loopback = allow;
        self
    }

    /// The HTTP client key sets and discovery documents are fetched with, e.g. your SDK
    /// config's (`sdk_config.http_client()`), so that one client (connection pool, TLS
    /// roots) serves the AWS SDK and the key set. The transport rule above applies whatever
    /// the client: each URL is checked before it is sent and redirects are followed by the
    /// verifier, never by the client.
    ///
    /// Default: a verifier given to an [`Isolation`](crate::Isolation) uses the client the
    /// `Isolation` builds for STS and DynamoDB (so the platform's root certificates are read
    /// once per process); one used on its own builds a client of the AWS SDK's HTTP stack
    /// (rustls, the platform's root certificates) on its first fetch. Like the SDK's own
    /// default, that client reads no proxy settings (`HTTPS_PROXY`) from the environment: where
    /// the issuer is reachable only through a proxy, give a client configured with one here.
    pub fn http_client(mut self, client: impl HttpClient + 'static) -> Self {
        self.http_client = Some(client.into_shared());
        self
    }

    /// Checks the configuration. Nothing is fetched here.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        // jsonwebtoken 11 picks its crypto backend from its cargo features and panics on
        // first use if both `aws_lc_rs` and `rust_crypto` end up enabled (feature
        // unification in a larger workspace). Installing ours makes that impossible; if
        // the application installed one first, theirs stays.
        let _ = jsonwebtoken::crypto::CryptoProvider::install_default(&jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER);
        let issuer = self.issuer.filter(|i| !i.trim().is_empty()).ok_or(setting::JWT_ISSUER.missing())?;
        if issuer.trim() != issuer {
            return Err(setting::JWT_ISSUER.invalid("the issuer has leading or trailing whitespace"));
        }
        if self.audience.is_empty() {
            return Err(setting::JWT_AUDIENCE.missing());
        }
        if let Some(bad) = self.audience.iter().find(|a| a.is_empty() || a.trim() != a.as_str()) {
            return Err(setting::JWT_AUDIENCE.invalid(format!("{bad:?} is empty or has surrounding whitespace")));
        }
        if self.tenant_claim.is_empty() {
            return Err(setting::CLAIM.invalid("the claim name is empty"));
        }
        if self.leeway > MAX_LEEWAY {
            return Err(setting::JWT_LEEWAY_SECS.invalid(format!(
                "{} s is more than the {} s allowed",
                self.leeway.as_secs(),
                MAX_LEEWAY.as_secs()
            )));
        }
        if self.jwks_ttl.is_zero() {
            return Err(ConfigError::invalid("VerifierBuilder::jwks_ttl", "must be more than zero"));
        }
        if self.http_timeout.is_zero() {
            return Err(ConfigError::invalid("VerifierBuilder::http_timeout", "must be more than zero"));
        }

        let keys = match self.hs256_secret {
            // A deployment that names a key set is verified with it, never with a secret.
            Some(_) if self.jwks_url.is_some() => {
                return Err(setting::JWT_HS256_SECRET.invalid(
                    "cannot be combined with `TENANT_JWKS_URL`: choose a shared secret (development) or a key set"
                        .to_owned(),
                ));
            }
            // A secret that is merely present (a copied environment file, a shared
            // parameter) does not decide how tokens are verified.
            Some(_) if !self.development => {
                return Err(setting::JWT_HS256_SECRET.invalid(
                    "is set, but development mode is not: shared-secret verification needs \
                     `TENANT_JWT_DEVELOPMENT=1` beside it (development only); remove the secret to verify \
                     tokens with the issuer's key set"
                        .to_owned(),
                ));
            }
            None if self.development => {
                return Err(setting::JWT_DEVELOPMENT.invalid(
                    "is on, but `TENANT_JWT_HS256_SECRET` is not set: development mode verifies with that secret"
                        .to_owned(),
                ));
            }
            Some(secret) if secret.len() < MIN_HS256_SECRET_LEN => {
                return Err(setting::JWT_HS256_SECRET.invalid(format!(
                    "is {} bytes; HS256 needs at least {MIN_HS256_SECRET_LEN} (RFC 7518, section 3.2)",
                    secret.len()
                )));
            }
            Some(secret) => {
                tracing::warn!(
                    issuer = %issuer,
                    "development mode: tokens are verified with a shared HS256 secret, and anyone who knows it \
                     can sign for any tenant; never use it in a deployment"
                );
                Keys::Secret(DecodingKey::from_secret(&secret))
            }
            None => {
                // https only; plain http to loopback with the development switch (`transport`).
                let transport = Transport::new(self.allow_insecure_loopback);
                let source = match self.jwks_url {
                    Some(url) => {
                        transport.check_str(&url).map_err(|reason| setting::JWKS_URL.invalid(reason))?;
                        jwks::Source::Url(url)
                    }
                    None => {
                        transport.check_str(&issuer).map_err(|reason| {
                            setting::JWT_ISSUER.invalid(format!(
                                "{reason}; without `TENANT_JWKS_URL` the key set is found from the issuer"
                            ))
                        })?;
                        jwks::Source::Issuer {
                            issuer: issuer.trim_end_matches('/').to_owned(),
                            discovery: self.discovery,
                        }
                    }
                };
                if self.allow_insecure_loopback {
                    tracing::warn!(
                        "development mode: key sets may be fetched over plain http from loopback hosts \
                         (`TENANT_JWT_ALLOW_HTTP_LOOPBACK`); never set it in a deployment"
                    );
                }
                // A given client is asked for a connector that connects within the timeout;
                // without one, the client comes later (`share_http_client`, or the first fetch).
                let http = self.http_client.map(|client| {
                    let settings = HttpConnectorSettings::builder().connect_timeout(self.http_timeout).build();
                    transport::Http::shared(client, settings)
                });
                Keys::Set(Box::new(jwks::Jwks::new(
                    source,
                    transport,
                    http,
                    self.http_timeout,
                    self.jwks_ttl,
                    self.min_refetch_interval,
                )))
            }
        };

        Ok(Verifier {
            inner: Arc::new(Inner {
                issuer,
                audience: self.audience,
                tenant_claim: self.tenant_claim,
                token_use: self.token_use,
                leeway: Duration::from_secs(self.leeway.as_secs()),
                trust_claims: self.trust_claims,
                keys,
            }),
        })
    }
}
