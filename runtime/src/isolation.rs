//! The engine: verify → tenant → cached credentials → scope → handler.

use crate::config::{Choice, ConfigError, parse_choice, setting};
use crate::credentials::{CacheStats, Vendor};
use crate::error::IsolationError;
use crate::identity::Verifier;
use crate::metrics::Metrics;
use crate::scope::Scope;
use crate::spec::HandlerSpec;
use std::sync::Arc;
use tenant_isolation_core::{TenantId, render};

/// The isolation runtime: a verifier, an STS credential cache and the settings shared by
/// every handler of a process. Cheap to clone.
///
/// Generated handlers use the process-wide instance ([`Isolation::global`], configured from
/// the environment on first use, or set with [`Isolation::install`]); `<handler>::call_with`
/// takes an explicit one.
#[derive(Clone)]
pub struct Isolation {
    inner: Arc<Inner>,
}

struct Inner {
    /// `Err`: no verifier was configured (none of its variables set), which only a token
    /// handler needs; it answers with this error (500).
    verifier: Result<Verifier, ConfigError>,
    vendor: Vendor,
    lambda_tenant: LambdaTenantMode,
    metrics: Metrics,
    record_concurrency: usize,
}

impl Isolation {
    /// The engine of settings resolved by [`IsolationBuilder`](crate::IsolationBuilder).
    pub(crate) fn new(
        verifier: Result<Verifier, ConfigError>,
        vendor: Vendor,
        lambda_tenant: LambdaTenantMode,
        metrics: Metrics,
        record_concurrency: usize,
    ) -> Isolation {
        Isolation { inner: Arc::new(Inner { verifier, vendor, lambda_tenant, metrics, record_concurrency }) }
    }
}

/// What Lambda's tenant isolation mode (TenancyConfig `PER_TENANT`) must have given each
/// invocation. In that mode Lambda passes the invoke's tenant id to the function
/// (`lambda_runtime::Context::tenant_id`) and reuses an execution environment only for the
/// same tenant id; it isolates compute, not data (the execution role is shared by every
/// tenant). Whatever the mode, an invocation that carries a tenant id must carry the verified
/// tenant's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LambdaTenantMode {
    /// A Lambda tenant id, when present, must be the verified tenant (the default).
    #[default]
    Checked,
    /// Every invocation must carry a Lambda tenant id, and it must be the verified tenant: for
    /// functions created with tenant isolation mode (`TENANT_LAMBDA_TENANT_ID=required`).
    Required,
}

impl Choice for LambdaTenantMode {
    const CHOICES: &'static [(&'static str, LambdaTenantMode)] =
        &[("checked", LambdaTenantMode::Checked), (setting::LAMBDA_TENANT_ID_REQUIRED, LambdaTenantMode::Required)];
}

/// `checked` or `required`, as `TENANT_LAMBDA_TENANT_ID` takes it; anything else is a
/// [`ConfigError`] that names the variable and lists both.
impl std::str::FromStr for LambdaTenantMode {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        parse_choice(setting::LAMBDA_TENANT_ID, s)
    }
}

impl std::fmt::Debug for Isolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Isolation")
            .field("role", &self.inner.vendor.role().as_str())
            .field("region", &self.inner.vendor.region())
            .finish_non_exhaustive()
    }
}

impl Isolation {
    /// The token verifier.
    pub fn verifier(&self) -> Result<&Verifier, ConfigError> {
        self.inner.verifier.as_ref().map_err(Clone::clone)
    }

    /// The partition-key attributes of the deployment's tables (the guard's).
    pub(crate) fn key_schema(&self) -> &crate::guard::KeySchema {
        self.inner.vendor.clients().keys()
    }

    /// The environment physical names are bound from (captured at build).
    pub(crate) fn physical_names(&self) -> &crate::config::Env {
        self.inner.vendor.clients().names()
    }

    /// How many records of a batch run at once.
    pub(crate) fn record_concurrency(&self) -> usize {
        self.inner.record_concurrency
    }

    /// Credential-cache counters.
    pub fn stats(&self) -> CacheStats {
        self.inner.vendor.stats()
    }

    /// Runs the cache's pending maintenance (so that evictions show in [`Isolation::stats`]).
    pub async fn sync_cache(&self) {
        self.inner.vendor.sync().await;
    }

    /// Checks, before any request, everything about `spec` that does not depend on the
    /// caller: its template is what its model compiles to, its physical table (from its
    /// `table_env` variable) is placeable, and a session-tag handler has its role. Call it at
    /// Lambda init so that a misconfiguration fails the init with its message, instead of
    /// answering 500 to every request. Builds the handler's DynamoDB client, so the first
    /// request does not (its S3 client, for a handler with buckets, is built on its first S3
    /// request, so that binaries without buckets link no S3 code).
    ///
    /// ```no_run
    /// # use tenant_isolation::{HandlerSpec, Isolation};
    /// # async fn init(spec: &'static HandlerSpec) -> Result<(), Box<dyn std::error::Error>> {
    /// Isolation::global().await?.prepare(spec)?;
    /// # Ok(()) }
    /// ```
    ///
    /// It also refuses key prefixes that overlap on one physical table among the handlers linked
    /// into the binary ([`crate::audit::check_prefixes`]); handlers of other functions on the same
    /// table are the `policies` audit's to check.
    pub fn prepare(&self, spec: &'static HandlerSpec) -> Result<(), IsolationError> {
        self.prepare_specs(&[spec])
    }

    /// [`prepare`](Self::prepare) for every `#[tenant_isolated]` handler linked into the binary,
    /// in one call: what a Lambda function's `main` calls at init, however many routes or
    /// handlers it serves. Returns how many handlers it prepared.
    ///
    /// ```no_run
    /// # async fn init() -> Result<(), Box<dyn std::error::Error>> {
    /// let prepared = tenant_isolation::Isolation::global().await?.prepare_linked()?;
    /// # let _ = prepared; Ok(()) }
    /// ```
    pub fn prepare_linked(&self) -> Result<usize, IsolationError> {
        let linked = crate::registry::registered_handlers();
        self.prepare_specs(&linked)?;
        Ok(linked.len())
    }

    fn prepare_specs(&self, specs: &[&'static HandlerSpec]) -> Result<(), IsolationError> {
        let mut linked = crate::registry::registered_handlers();
        linked.extend_from_slice(specs);
        // Physical names as the runtime binds them: from the environment captured at build.
        let names = self.inner.vendor.clients().names();
        crate::registry::check_prefixes_in(&linked, names)
            .map_err(|e| ConfigError::invalid("key_prefix", e.to_string()))?;
        let tables: Vec<String> = linked.iter().flat_map(|s| s.table_names_in(names)).collect();
        for table in self.inner.vendor.clients().keys().unknown_tables(&tables) {
            tracing::warn!(
                table,
                "TENANT_TABLE_PARTITION_KEYS names a table that no handler of this binary uses (a declared name \
                 where the physical one was meant?)"
            );
        }
        for spec in specs {
            self.inner.vendor.check_mode(spec)?;
            self.inner.vendor.clients().get(spec)?;
        }
        Ok(())
    }

    /// The session policy that `spec` gets for `tenant` in this account and region — what
    /// is sent to STS. In session-tag mode: the role policy the handler needs (no session
    /// policy is sent; the tenant is the session tag).
    pub fn render_policy(&self, spec: &'static HandlerSpec, tenant: &TenantId) -> Result<String, IsolationError> {
        let client = self.inner.vendor.clients().get(spec)?;
        Ok(render(spec.template(), &client.placement, tenant))
    }

    /// Step 2: a scope for `tenant` under `spec`'s policy, with cached or fresh credentials.
    pub async fn enter(
        &self,
        spec: &'static HandlerSpec,
        tenant: &TenantId,
        request_id: Option<String>,
    ) -> Result<Scope, IsolationError> {
        let (session, policy) = self.inner.vendor.session(spec, tenant).await?;
        Ok(Scope::new(spec, session, policy, request_id))
    }

    /// Where invocations' metrics go.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Lambda's tenant isolation mode as configured.
    pub fn lambda_tenant_mode(&self) -> LambdaTenantMode {
        self.inner.lambda_tenant
    }
}
