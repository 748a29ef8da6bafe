//! Credential vending: STS `AssumeRole` with the tenant's session policy, cached per
//! (tenant, policy) until shortly before expiry, with concurrent misses coalesced into one
//! STS call. The cache holds credentials only; each handler policy has one DynamoDB client,
//! shared by its tenants, that signs every request with the credentials of the scope it was
//! sent from (see [`crate::signing`]).

use crate::error::ErrorKind;
use crate::guard::{KeyGuard, KeySchema};
use crate::signing::{FromRequest, NoAmbientCredentials};
use crate::spec::HandlerSpec;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use moka::Expiry;
use moka::future::Cache;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};
use tenant_isolation_core::{Placement, RoleArn, TenantId, render, session_name};

/// Role chaining (a Lambda role assuming another role) caps sessions at one hour, and STS
/// refuses less than 15 minutes (IAM User Guide, "Role chaining"; STS API Reference,
/// `AssumeRole`, `DurationSeconds`).
pub const SESSION_DURATION_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(900)..=Duration::from_secs(3600);

/// Why credentials for a tenant could not be had.
#[derive(Debug, Clone, thiserror::Error)]
#[error("credentials for tenant `{tenant}`: {kind}: {detail}")]
pub struct CredentialsError {
    tenant: TenantId,
    kind: CredentialsErrorKind,
    detail: String,
}

/// The STS failure classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsErrorKind {
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
    /// The failure class.
    pub fn error_kind(&self) -> CredentialsErrorKind {
        self.kind
    }
    pub(crate) fn kind(&self) -> ErrorKind {
        match self.kind {
            CredentialsErrorKind::Throttled | CredentialsErrorKind::Unavailable | CredentialsErrorKind::Malformed => {
                ErrorKind::Unavailable
            }
            CredentialsErrorKind::AccessDenied
            | CredentialsErrorKind::PolicyTooLarge
            | CredentialsErrorKind::PolicyRejected => ErrorKind::Internal,
        }
    }

    fn from_sdk(tenant: &TenantId, e: &SdkError<AssumeRoleError>) -> CredentialsError {
        let kind = match e {
            SdkError::ServiceError(se) => match se.err() {
                AssumeRoleError::PackedPolicyTooLargeException(_) => CredentialsErrorKind::PolicyTooLarge,
                AssumeRoleError::MalformedPolicyDocumentException(_) => CredentialsErrorKind::PolicyRejected,
                other => match other.code() {
                    Some("Throttling" | "ThrottlingException" | "RequestLimitExceeded") => {
                        CredentialsErrorKind::Throttled
                    }
                    Some("AccessDenied" | "AccessDeniedException") => CredentialsErrorKind::AccessDenied,
                    // Emulators answer a denial as a bare 403 page without an error code.
                    None if se.raw().status().as_u16() == 403 => CredentialsErrorKind::AccessDenied,
                    _ if se.raw().status().is_server_error() => CredentialsErrorKind::Unavailable,
                    _ => CredentialsErrorKind::Malformed,
                },
            },
            SdkError::ResponseError(_) => CredentialsErrorKind::Malformed,
            _ => CredentialsErrorKind::Unavailable,
        };
        // The SDK's Display is terse ("service error"); the code/message says more and never
        // contains credentials.
        let detail = match e {
            SdkError::ServiceError(se) => format!(
                "{} (HTTP {}){}",
                se.err().code().unwrap_or("no error code"),
                se.raw().status().as_u16(),
                se.err().message().map(|m| format!(": {m}")).unwrap_or_default()
            ),
            other => format!("{other}"),
        };
        CredentialsError { tenant: tenant.clone(), kind, detail }
    }

    fn malformed(tenant: &TenantId, detail: &str) -> CredentialsError {
        CredentialsError { tenant: tenant.clone(), kind: CredentialsErrorKind::Malformed, detail: detail.to_owned() }
    }
}

/// One tenant's credentials under one policy: what the cache holds per (tenant, policy).
/// 1,959 B per entry measured with a 1 KB session token, moka's bookkeeping included
/// (docs/BENCHMARKS.md); the client is the policy's, shared.
pub(crate) struct TenantSession {
    pub(crate) tenant: TenantId,
    /// Carries its expiry (`Credentials::expiry`): the one record of when the session ends.
    pub(crate) credentials: Credentials,
    pub(crate) session_name: Box<str>,
    pub(crate) assumed_role_arn: Box<str>,
    pub(crate) policy: Arc<PolicyClient>,
}

/// The DynamoDB client of one handler policy on its physical table, shared by every tenant
/// of that policy. It has no credentials of its own: its key guard attaches the sending
/// scope's credentials to each request it lets through.
pub(crate) struct PolicyClient {
    pub(crate) client: aws_sdk_dynamodb::Client,
    pub(crate) table: String,
}

impl TenantSession {
    /// When the credentials expire. Every session's credentials carry an expiry; one
    /// without would count as already expired, never as everlasting.
    pub(crate) fn expires_at(&self) -> SystemTime {
        self.credentials.expiry().unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// Usable for at least `margin` more.
    fn fresh(&self, margin: Duration) -> bool {
        self.expires_at().duration_since(SystemTime::now()).is_ok_and(|left| left > margin)
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
}

/// A snapshot of the credential cache's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Lookups served from the cache.
    pub hits: u64,
    /// Lookups that found no fresh entry (concurrent misses of one key share one STS call).
    pub misses: u64,
    /// `AssumeRole` calls made.
    pub sts_calls: u64,
    /// `AssumeRole` calls that failed.
    pub sts_failures: u64,
    /// Entries evicted for capacity (expired entries are not counted).
    pub evictions: u64,
    /// Entries in the cache now (approximate).
    pub entries: u64,
}

type Key = (TenantId, u64);

/// Expires each entry `margin` before its credentials do.
struct ExpireBeforeCredentials {
    margin: Duration,
}

impl Expiry<Key, Arc<TenantSession>> for ExpireBeforeCredentials {
    fn expire_after_create(&self, _: &Key, value: &Arc<TenantSession>, _: Instant) -> Option<Duration> {
        Some(value.expires_at().duration_since(SystemTime::now()).unwrap_or_default().saturating_sub(self.margin))
    }
}

/// Settings of the vendor (from [`IsolationBuilder`](crate::IsolationBuilder)).
pub(crate) struct VendorConfig {
    pub(crate) sdk: aws_config::SdkConfig,
    pub(crate) role: RoleArn,
    pub(crate) region: String,
    pub(crate) duration: Duration,
    pub(crate) margin: Duration,
    pub(crate) capacity: u64,
    pub(crate) session_prefix: String,
    pub(crate) keys: KeySchema,
    pub(crate) timeouts: aws_smithy_types::timeout::TimeoutConfig,
    /// The role for session-tag (ABAC) handlers; never the session-policy role.
    pub(crate) tag_role: Option<RoleArn>,
    /// Mark the tenant tag transitive (kept through further role chaining).
    pub(crate) transitive_tags: bool,
}

pub(crate) struct Vendor {
    sts: aws_sdk_sts::Client,
    config: VendorConfig,
    cache: Cache<Key, Arc<TenantSession>>,
    counters: Arc<Counters>,
    /// One client per policy id, built on the policy's first cache miss.
    clients: std::sync::Mutex<std::collections::HashMap<u64, Arc<PolicyClient>>>,
}

impl Vendor {
    pub(crate) fn new(config: VendorConfig) -> Vendor {
        let counters = Arc::new(Counters::default());
        let evictions = counters.clone();
        let cache = Cache::builder()
            .max_capacity(config.capacity)
            .expire_after(ExpireBeforeCredentials { margin: config.margin })
            .eviction_listener(move |_k, _v, cause| {
                if cause == moka::notification::RemovalCause::Size {
                    evictions.evictions.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        // Bounded waits: an unreachable or hung STS must become a typed 503, not a stuck
        // invocation that runs into the Lambda timeout.
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&config.sdk).timeout_config(config.timeouts.clone()).build(),
        );
        Vendor { sts, config, cache, counters, clients: Default::default() }
    }

    pub(crate) fn role(&self) -> &RoleArn {
        &self.config.role
    }

    pub(crate) fn region(&self) -> &str {
        &self.config.region
    }

    pub(crate) fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            sts_calls: c.sts_calls.load(Ordering::Relaxed),
            sts_failures: c.sts_failures.load(Ordering::Relaxed),
            evictions: c.evictions.load(Ordering::Relaxed),
            entries: self.cache.entry_count(),
        }
    }

    /// Runs pending cache maintenance (evictions) now; for tests and benchmarks.
    pub(crate) async fn sync(&self) {
        self.cache.run_pending_tasks().await;
    }

    /// The placement (partition, region, account, table) for a spec.
    pub(crate) fn placement(&self, spec: &HandlerSpec) -> Result<Placement, crate::ConfigError> {
        let table = spec.table_name();
        Placement::new(self.config.role.partition(), &self.config.region, self.config.role.account(), &table).map_err(
            |e| crate::ConfigError::Invalid { var: spec.table_env.unwrap_or("AWS_REGION"), reason: e.to_string() },
        )
    }

    /// A fresh session for `tenant` under `spec`'s policy: cached, or from one STS call
    /// shared by every concurrent caller. Never returns a session within `margin` of expiry.
    pub(crate) async fn session(
        &self,
        spec: &'static HandlerSpec,
        tenant: &TenantId,
    ) -> Result<Arc<TenantSession>, crate::IsolationError> {
        if spec.session_tag.is_some() && self.config.tag_role.is_none() {
            // Session-tag sessions carry no session policy: assuming the session-policy role
            // (whose policy allows every tenant's keys) would isolate nothing.
            return Err(crate::ConfigError::Missing {
                var: "TENANT_TAG_ROLE_ARN",
                builder: "IsolationBuilder::session_tag_role_arn",
            }
            .into());
        }
        let key = (tenant.clone(), spec.policy_id);
        if let Some(s) = self.cache.get(&key).await {
            if s.fresh(self.config.margin) {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(s);
            }
            self.cache.invalidate(&key).await;
        }
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        let placement = self.placement(spec)?;
        let policy = self.policy_client(spec, &placement);
        // Two rounds at most: an entry inserted by a concurrent caller is fresh unless the
        // clock jumped; never hand out one that is not.
        for _ in 0..2 {
            let session = self
                .cache
                .try_get_with(key.clone(), self.assume(spec, tenant, &placement, &policy))
                .await
                .map_err(|e: Arc<CredentialsError>| crate::IsolationError::Credentials((*e).clone()))?;
            if session.fresh(self.config.margin) {
                return Ok(session);
            }
            self.cache.invalidate(&key).await;
        }
        Err(CredentialsError::malformed(tenant, "STS returned credentials that expire within the refresh margin")
            .into())
    }

    async fn assume(
        &self,
        spec: &'static HandlerSpec,
        tenant: &TenantId,
        placement: &Placement,
        policy: &Arc<PolicyClient>,
    ) -> Result<Arc<TenantSession>, CredentialsError> {
        self.counters.sts_calls.fetch_add(1, Ordering::Relaxed);
        let name = session_name(&self.config.session_prefix, tenant);
        let request =
            self.sts.assume_role().role_session_name(&name).duration_seconds(self.config.duration.as_secs() as i32);
        let request = match (spec.session_tag, &self.config.tag_role) {
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
            _ => request.role_arn(self.config.role.as_str()).policy(render(spec.template, placement, tenant)),
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
            policy: policy.clone(),
        }))
    }

    /// The shared client of `spec`'s policy, built on first use.
    fn policy_client(&self, spec: &'static HandlerSpec, placement: &Placement) -> Arc<PolicyClient> {
        let mut clients = self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        clients
            .entry(spec.policy_id)
            .or_insert_with(|| {
                let table = placement.table().to_owned();
                let guard = KeyGuard::new(spec, table.clone(), self.config.keys.clone());
                // No client-wide identity: the execution role's credentials from the
                // `SdkConfig` are replaced by a provider that always fails, and the identity
                // cache hands the signer only the credentials that the key guard attached to
                // the request (see `crate::signing`).
                let conf = aws_sdk_dynamodb::config::Builder::from(&self.config.sdk)
                    .credentials_provider(NoAmbientCredentials)
                    .identity_cache(FromRequest)
                    .timeout_config(self.config.timeouts.clone())
                    .interceptor(guard)
                    .build();
                Arc::new(PolicyClient { client: aws_sdk_dynamodb::Client::from_conf(conf), table })
            })
            .clone()
    }
}
