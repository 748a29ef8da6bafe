//! Credential vending: STS `AssumeRole` with the tenant's session policy, cached per
//! (tenant, policy) until shortly before expiry, with concurrent misses coalesced into one
//! STS call. The cache holds credentials only; each handler policy has one DynamoDB client
//! (`client.rs`), shared by its tenants, that signs every request with the credentials of the
//! scope it was sent from (`signing.rs`).
//!
//! Refresh ahead. A cached session's life:
//!
//! ```text
//! vended ───────────── renewal point ─────────────────── floor ──────────── expiry
//!        served from the             served from the cache,       never served: the
//!        cache                       and ONE background renewal   entry is gone, and a
//!                                    (again 5 s after a failure)  request waits for STS
//! ```
//!
//! The floor is `TENANT_REFRESH_FLOOR_SECONDS` before expiry; each session's renewal point is
//! drawn in `[margin − jitter, margin]` before expiry, so that sessions vended together are
//! not renewed together. A request inside the margin is therefore never held up by STS; a warm
//! tenant whose renewal fails is served until its floor, so an STS outage shorter than
//! `margin − jitter − floor` (three minutes by default) costs it nothing; only a session past
//! the floor makes a request wait (and answer 503 while STS is down).

use crate::aws_error::{self, AwsFailure};
use crate::client::Clients;
use crate::config::ConfigError;
use crate::kind::ErrorKind;
use crate::session::{PolicyClient, PolicyKey, Renewal, TenantSession};
use crate::spec::{HandlerSpec, SetupError};
use aws_credential_types::Credentials;
use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_types::retry::RetryConfig;
use moka::Expiry;
use moka::future::Cache;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};
use tenant_isolation_core::{RoleArn, TenantId, render, session_name};
use tracing::Instrument;

/// Role chaining (a Lambda role assuming another role) caps sessions at one hour, and STS
/// refuses less than 15 minutes (IAM User Guide, "Role chaining"; STS API Reference,
/// `AssumeRole`, `DurationSeconds`).
pub(crate) const SESSION_DURATION_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(900)..=Duration::from_secs(3600);

/// Why credentials for a tenant could not be had.
#[derive(Debug, Clone, thiserror::Error)]
#[error("credentials for tenant `{tenant}`: {failure}: {detail}")]
pub struct CredentialsError {
    tenant: TenantId,
    failure: StsFailure,
    detail: String,
}

/// What went wrong with STS; [`CredentialsError::kind`] says what it means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StsFailure {
    /// STS throttled us (after the SDK's retries) — 503.
    #[error("STS throttled the request")]
    Throttled,
    /// The execution role may not assume the data role — 500 (misconfiguration).
    #[error("access denied by STS")]
    AccessDenied,
    /// The session policy is over the packed-size limit — 500.
    #[error("session policy too large")]
    PolicyTooLarge,
    /// STS rejected the session policy — 500.
    #[error("session policy rejected")]
    PolicyRejected,
    /// STS unreachable, timed out or failing — 503.
    #[error("STS unavailable")]
    Unavailable,
    /// STS answered something unusable — 503.
    #[error("malformed STS response")]
    Malformed,
}

impl CredentialsError {
    /// The tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }
    /// What went wrong with STS.
    pub fn failure(&self) -> StsFailure {
        self.failure
    }
    /// 503 ([`ErrorKind::Unavailable`]) for throttling, outages and malformed answers; 500
    /// ([`ErrorKind::Internal`]) for a misconfigured role or policy.
    pub fn kind(&self) -> ErrorKind {
        match self.failure {
            StsFailure::Throttled | StsFailure::Unavailable | StsFailure::Malformed => ErrorKind::Unavailable,
            StsFailure::AccessDenied | StsFailure::PolicyTooLarge | StsFailure::PolicyRejected => ErrorKind::Internal,
        }
    }

    fn from_sdk(tenant: &TenantId, e: &SdkError<AssumeRoleError>) -> CredentialsError {
        let failure = match e.as_service_error() {
            Some(AssumeRoleError::PackedPolicyTooLargeException(_)) => StsFailure::PolicyTooLarge,
            Some(AssumeRoleError::MalformedPolicyDocumentException(_)) => StsFailure::PolicyRejected,
            // The one classifier (`aws_error.rs`); what each class means for STS: the execution
            // role may not assume the data role (a misconfiguration), or STS is not answering.
            _ => match AwsFailure::of(e) {
                AwsFailure::Denied => StsFailure::AccessDenied,
                AwsFailure::Throttled => StsFailure::Throttled,
                AwsFailure::Unavailable | AwsFailure::NotBuilt => StsFailure::Unavailable,
                // STS names nothing that could be missing: an answer it never gives.
                AwsFailure::Unreadable | AwsFailure::Refused | AwsFailure::Missing => StsFailure::Malformed,
            },
        };
        CredentialsError { tenant: tenant.clone(), failure, detail: aws_error::describe(e) }
    }

    fn malformed(tenant: &TenantId, detail: &str) -> CredentialsError {
        CredentialsError { tenant: tenant.clone(), failure: StsFailure::Malformed, detail: detail.to_owned() }
    }
}

/// Counters for tests and benchmarks.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) sts_calls: AtomicU64,
    pub(crate) sts_failures: AtomicU64,
    pub(crate) evictions: AtomicU64,
    pub(crate) refreshes: AtomicU64,
    pub(crate) refresh_failures: AtomicU64,
}

/// A snapshot of the credential cache's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CacheStats {
    /// Lookups served from the cache (including those inside the refresh margin).
    pub hits: u64,
    /// Lookups that found no entry before its refresh floor, and waited for STS (concurrent
    /// misses of one key share one STS call).
    pub misses: u64,
    /// `AssumeRole` calls made (background renewals included).
    pub sts_calls: u64,
    /// `AssumeRole` calls that failed (background renewals included).
    pub sts_failures: u64,
    /// Background renewals started: one per cached session inside its refresh margin, and
    /// again after a failure (at most every 5 s).
    pub refreshes: u64,
    /// Background renewals that failed; the session kept being served until its floor.
    pub refresh_failures: u64,
    /// Entries evicted for capacity (expired entries are not counted).
    pub evictions: u64,
    /// Entries in the cache now (approximate).
    pub entries: u64,
}

type Key = (TenantId, PolicyKey);

/// Expires each entry `floor` before its credentials do: an entry inside the refresh margin
/// stays, and is served while its successor is fetched.
struct ExpireBeforeCredentials {
    floor: Duration,
}

impl ExpireBeforeCredentials {
    fn until_floor(&self, value: &TenantSession) -> Duration {
        value.left().saturating_sub(self.floor)
    }
}

impl Expiry<Key, Arc<TenantSession>> for ExpireBeforeCredentials {
    fn expire_after_create(&self, _: &Key, value: &Arc<TenantSession>, _: Instant) -> Option<Duration> {
        Some(self.until_floor(value))
    }

    /// A background renewal replaces the entry with `insert`; moka's default would keep the
    /// old entry's expiry for the new credentials.
    fn expire_after_update(
        &self,
        _: &Key,
        value: &Arc<TenantSession>,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.until_floor(value))
    }
}

/// When cached credentials are renewed, as time left before they expire
/// (`floor < margin`, `jitter <= margin − floor`; checked by the builder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refresh {
    /// Renew in the background from `margin − jitter`..`margin` before expiry on.
    pub(crate) margin: Duration,
    /// Never serve credentials with this little left; a request waits for new ones.
    pub(crate) floor: Duration,
    /// How far before the margin a session's renewal point may be drawn.
    pub(crate) jitter: Duration,
}

impl Refresh {
    /// A session's renewal point, drawn uniformly in `[margin − jitter, margin]` from `u`
    /// (uniform in `[0, 1)`): sessions vended together are renewed spread over `jitter`
    /// instead of all at once.
    fn renewal_point(&self, u: f64) -> Duration {
        self.margin.saturating_sub(self.jitter.mul_f64(u.clamp(0.0, 1.0))).max(self.floor)
    }
}

/// Settings of the vendor (from [`IsolationBuilder`](crate::IsolationBuilder)).
pub(crate) struct VendorConfig {
    pub(crate) sdk: aws_config::SdkConfig,
    pub(crate) role: RoleArn,
    pub(crate) region: String,
    pub(crate) duration: Duration,
    pub(crate) refresh: Refresh,
    pub(crate) capacity: u64,
    pub(crate) session_prefix: String,
    pub(crate) timeouts: aws_smithy_types::timeout::TimeoutConfig,
    /// The role for session-tag (ABAC) handlers; never the session-policy role.
    pub(crate) tag_role: Option<RoleArn>,
    /// Mark the tenant tag transitive (kept through further role chaining).
    pub(crate) transitive_tags: bool,
}

pub(crate) struct Vendor {
    sts: Arc<Sts>,
    clients: Clients,
}

/// What a renewal needs, shared with the background tasks that run them.
struct Sts {
    client: aws_sdk_sts::Client,
    config: VendorConfig,
    cache: Cache<Key, Arc<TenantSession>>,
    counters: Arc<Counters>,
}

/// Why [`Vendor::session`] failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VendError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
}

impl Vendor {
    pub(crate) fn new(config: VendorConfig, clients: Clients) -> Vendor {
        let counters = Arc::new(Counters::default());
        let evictions = counters.clone();
        let cache = Cache::builder()
            .max_capacity(config.capacity)
            .expire_after(ExpireBeforeCredentials { floor: config.refresh.floor })
            .eviction_listener(move |_k, _v, cause| {
                if cause == moka::notification::RemovalCause::Size {
                    evictions.evictions.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        // Bounded waits: an unreachable or hung STS must become a typed 503, not a stuck
        // invocation that runs into the Lambda timeout.
        //
        // Throttling is retried by the SDK, not here. Its standard retry mode (the SDK's
        // default, and what `aws_config::load_defaults` configures) classifies STS's
        // `Throttling` (and `ThrottlingException`, `RequestLimitExceeded`, …:
        // `aws_runtime::retries::classifiers::THROTTLING_ERRORS`) as throttling errors and
        // retries them with exponential backoff and full jitter, three attempts in all, under a
        // client-wide retry quota ("Configuring retries in the AWS SDK for Rust",
        // https://docs.aws.amazon.com/sdk-for-rust/latest/dg/retries.html). The operation
        // timeout bounds the attempts and the waits between them together, so a second retry
        // loop here would only multiply the calls AWS asks us to slow down. An `SdkConfig`
        // without a retry configuration gets the standard one explicitly; one with its own
        // (more attempts, adaptive mode) keeps it. A throttled call that is still refused after
        // the retries is `StsFailure::Throttled` (503).
        let retry = config.sdk.retry_config().cloned().unwrap_or_else(RetryConfig::standard);
        let client = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&config.sdk)
                .retry_config(retry)
                .timeout_config(config.timeouts.clone())
                .build(),
        );
        Vendor { sts: Arc::new(Sts { client, config, cache, counters }), clients }
    }

    pub(crate) fn role(&self) -> &RoleArn {
        &self.sts.config.role
    }

    pub(crate) fn region(&self) -> &str {
        &self.sts.config.region
    }

    pub(crate) fn stats(&self) -> CacheStats {
        let c = &self.sts.counters;
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            sts_calls: c.sts_calls.load(Ordering::Relaxed),
            sts_failures: c.sts_failures.load(Ordering::Relaxed),
            refreshes: c.refreshes.load(Ordering::Relaxed),
            refresh_failures: c.refresh_failures.load(Ordering::Relaxed),
            evictions: c.evictions.load(Ordering::Relaxed),
            entries: self.sts.cache.entry_count(),
        }
    }

    /// Runs pending cache maintenance (evictions) now; for tests and benchmarks.
    pub(crate) async fn sync(&self) {
        self.sts.cache.run_pending_tasks().await;
    }

    /// The checked client of a spec's policy.
    pub(crate) fn clients(&self) -> &Clients {
        &self.clients
    }

    /// A session-tag handler needs the session-tag role.
    pub(crate) fn check_mode(&self, spec: &HandlerSpec) -> Result<(), ConfigError> {
        if spec.session_tag().is_some() && self.sts.config.tag_role.is_none() {
            // Session-tag sessions carry no session policy: assuming the session-policy role
            // (whose policy allows every tenant's keys) would isolate nothing.
            return Err(ConfigError::Missing {
                var: "TENANT_TAG_ROLE_ARN",
                builder: "IsolationBuilder::session_tag_role_arn",
            });
        }
        Ok(())
    }

    /// A session for `tenant` under `spec`'s policy with more than the refresh floor left, and
    /// the policy's clients: cached, or from one STS call shared by every concurrent caller. A
    /// cached session inside its refresh margin is returned at once, and renewed in the
    /// background (module docs). Never returns a session within `floor` of expiry.
    ///
    /// Session-policy sessions are cached per (tenant, policy). Session-tag sessions are cached
    /// per (tenant, tag): they carry no session policy, so their credentials are the same for
    /// every handler of the tag role, and one STS call serves all of a tenant's handlers
    /// (docs/SCALE.md: a function with 4 tag handlers made 4 sessions per tenant).
    pub(crate) async fn session(
        &self,
        spec: &'static HandlerSpec,
        tenant: &TenantId,
    ) -> Result<(Arc<TenantSession>, Arc<PolicyClient>), VendError> {
        self.check_mode(spec).map_err(SetupError::from)?;
        let policy = self.clients.get(spec)?;
        let cached_as = match spec.session_tag() {
            Some(tag) => PolicyKey::session_tag(tag),
            None => policy.key.clone(),
        };
        let key = (tenant.clone(), cached_as);
        let sts = &self.sts;
        let floor = sts.config.refresh.floor;
        if let Some(s) = sts.cache.get(&key).await {
            let left = s.left();
            if left > floor {
                sts.counters.hits.fetch_add(1, Ordering::Relaxed);
                if left <= s.renewal.at {
                    Sts::renew_ahead(sts, spec, key, &s, &policy);
                }
                return Ok((s, policy));
            }
            sts.cache.invalidate(&key).await;
        }
        sts.counters.misses.fetch_add(1, Ordering::Relaxed);
        // Two rounds at most: an entry inserted by a concurrent caller is fresh unless the
        // clock jumped; never hand out one that is not.
        for _ in 0..2 {
            let session = sts
                .cache
                .try_get_with(key.clone(), sts.assume(spec, tenant, &policy))
                .await
                .map_err(|e: Arc<CredentialsError>| (*e).clone())?;
            if session.fresh(floor) {
                return Ok((session, policy));
            }
            sts.cache.invalidate(&key).await;
        }
        Err(CredentialsError::malformed(tenant, "STS returned credentials that expire within the refresh floor").into())
    }
}

/// A claimed renewal of one session. Dropped without [`Claim::finish`] (its task panicked,
/// or was dropped with its runtime) it ends as failed, so that a later request can try again.
struct Claim(Option<Arc<TenantSession>>);

impl Claim {
    fn finish(mut self, succeeded: bool) {
        if let Some(session) = self.0.take() {
            session.renewal.finish(succeeded, Instant::now());
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(session) = self.0.take() {
            session.renewal.finish(false, Instant::now());
        }
    }
}

impl Sts {
    /// Starts the one background renewal of `session` (the cached entry of `key`, inside its
    /// renewal window), unless one is running, has succeeded, or failed less than 5 s ago.
    ///
    /// The task is spawned on the runtime, which carries no task-local into it: it runs outside
    /// every tenant scope (and in no request's tracing span), whatever scope the request that
    /// started it is in. It takes the same `assume` path as a miss, and its result replaces
    /// the entry only on success; on failure the entry stays and is served until its floor.
    fn renew_ahead(
        this: &Arc<Sts>,
        spec: &'static HandlerSpec,
        key: Key,
        session: &Arc<TenantSession>,
        policy: &Arc<PolicyClient>,
    ) {
        // Outside a tokio runtime nothing can run in the background: the session is served
        // until its floor, and then renewed by a request that waits.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if !session.renewal.claim(Instant::now()) {
            return;
        }
        this.counters.refreshes.fetch_add(1, Ordering::Relaxed);
        let sts = this.clone();
        let (current, claim, policy) = (session.clone(), Claim(Some(session.clone())), policy.clone());
        let span = tracing::info_span!(parent: None, "tenant_refresh", tenant = %key.0);
        runtime.spawn(
            async move {
                let tenant = key.0.clone();
                match sts.assume(spec, &tenant, &policy).await {
                    Ok(next) => {
                        sts.cache.insert(key, next).await;
                        claim.finish(true);
                    }
                    Err(e) => {
                        sts.counters.refresh_failures.fetch_add(1, Ordering::Relaxed);
                        claim.finish(false);
                        tracing::warn!(
                            tenant = %tenant,
                            error = %e,
                            left_s = current.left().as_secs(),
                            floor_s = sts.config.refresh.floor.as_secs(),
                            "background credential renewal failed; the current credentials are served until the \
                             refresh floor"
                        );
                    }
                }
            }
            .instrument(span),
        );
    }

    async fn assume(
        &self,
        spec: &'static HandlerSpec,
        tenant: &TenantId,
        policy: &Arc<PolicyClient>,
    ) -> Result<Arc<TenantSession>, CredentialsError> {
        self.counters.sts_calls.fetch_add(1, Ordering::Relaxed);
        let name = session_name(&self.config.session_prefix, tenant);
        let request =
            self.client.assume_role().role_session_name(&name).duration_seconds(self.config.duration.as_secs() as i32);
        let request = match (spec.session_tag(), &self.config.tag_role) {
            // Session-tag (ABAC) mode: the tenant travels as a session tag that the tag role's
            // policy reads as `${aws:PrincipalTag/<tag>}`; no policy text per request. A tenant
            // id (`[A-Za-z0-9_-]`) is a valid tag value (STS API Reference, `Tag`).
            (Some(tag), Some(role)) => {
                let tag_value = aws_sdk_sts::types::Tag::builder()
                    .key(tag)
                    .value(tenant.as_str())
                    .build()
                    .map_err(|e| CredentialsError::malformed(tenant, &e.to_string()))?;
                let request = request.role_arn(role.as_str()).tags(tag_value);
                if self.config.transitive_tags { request.transitive_tag_keys(tag) } else { request }
            }
            _ => request.role_arn(self.config.role.as_str()).policy(render(spec.template(), &policy.placement, tenant)),
        };
        let started = Instant::now();
        let result = request.send().await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                self.counters.sts_failures.fetch_add(1, Ordering::Relaxed);
                let err = CredentialsError::from_sdk(tenant, &e);
                tracing::warn!(tenant = %tenant, error = %err, "AssumeRole failed");
                return Err(err);
            }
        };
        let Some(c) = out.credentials() else {
            self.counters.sts_failures.fetch_add(1, Ordering::Relaxed);
            return Err(CredentialsError::malformed(tenant, "no credentials in the AssumeRole response"));
        };
        let expires_at = SystemTime::try_from(*c.expiration())
            .map_err(|_| CredentialsError::malformed(tenant, "unrepresentable expiration"))?;
        tracing::debug!(tenant = %tenant, session = %name, elapsed_ms = started.elapsed().as_millis() as u64, "assumed tenant role");
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            Some(expires_at),
            "tenant-isolation",
        );
        let assumed_role_arn = out.assumed_role_user().map(|u| u.arn()).unwrap_or_default();
        Ok(Arc::new(TenantSession {
            tenant: tenant.clone(),
            credentials,
            session_name: name.into(),
            assumed_role_arn: assumed_role_arn.into(),
            renewal: Renewal::new(self.config.refresh.renewal_point(fastrand::f64())),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refresh(margin: u64, floor: u64, jitter: u64) -> Refresh {
        Refresh {
            margin: Duration::from_secs(margin),
            floor: Duration::from_secs(floor),
            jitter: Duration::from_secs(jitter),
        }
    }

    #[test]
    fn renewal_points_are_drawn_between_margin_minus_jitter_and_margin() {
        let r = refresh(300, 60, 60);
        assert_eq!(r.renewal_point(0.0), Duration::from_secs(300));
        assert_eq!(r.renewal_point(0.5), Duration::from_secs(270));
        assert!(r.renewal_point(0.999) > Duration::from_secs(240));
        // Out-of-range draws are clamped, never past the floor.
        assert_eq!(r.renewal_point(7.0), Duration::from_secs(240));
        assert_eq!(r.renewal_point(-1.0), Duration::from_secs(300));
        assert_eq!(refresh(300, 280, 60).renewal_point(1.0), Duration::from_secs(280));
        // The draws the vendor makes: inside the bounds, and spread over them.
        let points: Vec<Duration> = (0..10_000).map(|_| r.renewal_point(fastrand::f64())).collect();
        assert!(points.iter().all(|p| (Duration::from_secs(240)..=Duration::from_secs(300)).contains(p)));
        let lowest = points.iter().min().unwrap();
        let highest = points.iter().max().unwrap();
        assert!(*highest - *lowest > Duration::from_secs(55), "{lowest:?}..{highest:?}");
        let below_middle = points.iter().filter(|p| **p < Duration::from_secs(270)).count();
        assert!((4_000..6_000).contains(&below_middle), "{below_middle} of 10000 below the middle");
        // No jitter: every session is renewed at the margin.
        assert_eq!(refresh(300, 60, 0).renewal_point(0.9), Duration::from_secs(300));
    }

    /// What each class of the one classifier means for STS; STS's own policy errors first.
    #[test]
    fn sts_failures_come_from_the_one_classifier() {
        use aws_sdk_sts::types::error::{MalformedPolicyDocumentException, PackedPolicyTooLargeException};
        use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
        use aws_smithy_runtime_api::client::result::ConnectorError;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;
        let raw = |status: u16| HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        let service = |code: Option<&str>, status: u16| {
            let mut meta = ErrorMetadata::builder();
            if let Some(code) = code {
                meta = meta.code(code);
            }
            SdkError::service_error(AssumeRoleError::generic(meta.build()), raw(status))
        };
        let acme = TenantId::parse("acme").unwrap();
        let failure = |e: &SdkError<AssumeRoleError>| CredentialsError::from_sdk(&acme, e).failure();
        let cases = [
            (service(Some("AccessDenied"), 403), StsFailure::AccessDenied, ErrorKind::Internal),
            (service(None, 403), StsFailure::AccessDenied, ErrorKind::Internal),
            (service(Some("Throttling"), 400), StsFailure::Throttled, ErrorKind::Unavailable),
            (service(Some("InternalFailure"), 500), StsFailure::Unavailable, ErrorKind::Unavailable),
            (service(Some("InvalidParameterValue"), 400), StsFailure::Malformed, ErrorKind::Unavailable),
            (
                SdkError::dispatch_failure(ConnectorError::io("refused".into())),
                StsFailure::Unavailable,
                ErrorKind::Unavailable,
            ),
            (SdkError::timeout_error("slow"), StsFailure::Unavailable, ErrorKind::Unavailable),
            (SdkError::response_error("truncated", raw(200)), StsFailure::Malformed, ErrorKind::Unavailable),
            (
                SdkError::service_error(
                    AssumeRoleError::PackedPolicyTooLargeException(PackedPolicyTooLargeException::builder().build()),
                    raw(400),
                ),
                StsFailure::PolicyTooLarge,
                ErrorKind::Internal,
            ),
            (
                SdkError::service_error(
                    AssumeRoleError::MalformedPolicyDocumentException(
                        MalformedPolicyDocumentException::builder().build(),
                    ),
                    raw(400),
                ),
                StsFailure::PolicyRejected,
                ErrorKind::Internal,
            ),
        ];
        for (e, want, kind) in cases {
            assert_eq!(failure(&e), want, "{e:?}");
            assert_eq!(CredentialsError::from_sdk(&acme, &e).kind(), kind, "{e:?}");
        }
        let text = CredentialsError::from_sdk(&acme, &service(Some("AccessDenied"), 403)).to_string();
        assert_eq!(text, "credentials for tenant `acme`: access denied by STS: AccessDenied (HTTP 403)");
    }

    fn placement() -> tenant_isolation_core::Placement {
        use tenant_isolation_core::{Partition, Placement};
        Placement::new(Partition::Aws, "us-east-1", "123456789012", &["Orders"], &[]).unwrap()
    }

    fn session(left: Duration) -> Arc<TenantSession> {
        let expiry = SystemTime::now() + left;
        Arc::new(TenantSession {
            tenant: TenantId::parse("acme").unwrap(),
            credentials: Credentials::new("AKID", "secret", Some("token".into()), Some(expiry), "test"),
            session_name: "tenant-acme".into(),
            assumed_role_arn: "arn:aws:sts::123456789012:assumed-role/TenantData/tenant-acme".into(),
            renewal: Renewal::new(Duration::from_secs(300)),
        })
    }

    /// The entry stays until the floor, not the margin; a renewal that replaces it brings its
    /// own expiry instead of keeping the old entry's (moka's default for an update).
    #[test]
    fn entries_expire_at_the_floor_and_a_replacement_brings_its_own_expiry() {
        let expiry = ExpireBeforeCredentials { floor: Duration::from_secs(60) };
        let key = (TenantId::parse("acme").unwrap(), PolicyKey::new("{}", &placement()));
        let near = |d: Option<Duration>, want: u64| {
            let d = d.unwrap();
            assert!(d <= Duration::from_secs(want) && d > Duration::from_secs(want - 2), "{d:?}, want {want} s");
        };
        let old = session(Duration::from_secs(200));
        near(expiry.expire_after_create(&key, &old, Instant::now()), 140);
        let renewed = session(Duration::from_secs(3600));
        near(expiry.expire_after_update(&key, &renewed, Instant::now(), Some(Duration::from_secs(140))), 3540);
        // Past the floor already: expires at once.
        assert_eq!(
            expiry.expire_after_create(&key, &session(Duration::from_secs(30)), Instant::now()),
            Some(Duration::ZERO)
        );
    }
}
