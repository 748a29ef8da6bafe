//! The per-invocation tenant scope: a tokio task-local, never a process-wide variable.
//!
//! Several invocations run concurrently in one process under Lambda Managed Instances
//! (`lambda_runtime::run_concurrent`), so "the current tenant" must belong to the
//! invocation's task, not to the process. A task-local exists only while its scoped
//! future is polled; `tokio::spawn` does not inherit it, which is what we want: a spawned
//! task is tenant-less unless it is given the scope explicitly with [`spawn`] or
//! [`Scope::run`].

use crate::kind::ErrorKind;
use crate::session::{PolicyClient, PolicyKey, TenantSession};
use crate::spec::HandlerSpec;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;
use tenant_isolation_core::TenantId;

tokio::task_local! {
    static CURRENT: Scope;
}

/// Scoped code ran without a tenant scope.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScopeError {
    /// No scope: outside a `#[tenant_isolated]` handler, or in a task spawned without
    /// [`spawn`].
    #[error(
        "no tenant scope: this code runs outside a `#[tenant_isolated]` handler, or in a task spawned \
         without `tenant_isolation::spawn`"
    )]
    Outside,
    /// The scope's invocation has ended: a scope (or a task or value that carries one) was
    /// kept past the handler that it was entered for, and nothing is signed with it.
    #[error("the tenant scope of handler `{handler}` has ended: it was kept past its invocation")]
    Ended {
        /// The handler whose invocation ended.
        handler: &'static str,
    },
    /// A `TenantTable<P>` was used inside the scope of a handler with another policy.
    #[error("`TenantTable<{expected}>` used inside the scope of handler `{actual}`")]
    PolicyMismatch {
        /// The table's policy.
        expected: &'static str,
        /// The scope's handler.
        actual: &'static str,
    },
    /// The client of one handler's policy sent a request inside the scope of a handler with
    /// another policy.
    #[error(
        "a client of handler `{client}` (DynamoDB, S3, Secrets Manager or Systems Manager) was used inside the scope of handler `{actual}`"
    )]
    ClientMismatch {
        /// The handler whose policy the client belongs to.
        client: &'static str,
        /// The scope's handler.
        actual: &'static str,
    },
    /// A bucket handle or S3 client was asked of a handler that declares no bucket (its policy
    /// has no S3 client).
    #[error("handler `{handler}` declares no bucket: its policy has no S3 client")]
    NoBuckets {
        /// The scope's handler.
        handler: &'static str,
    },
    /// A client of a service was asked of a handler that declares none of its resources
    /// (`secrets(...)`, `parameters(...)`, `queues(...)`): its policy has no client of that service.
    #[error("handler `{handler}` declares no `{}(...)`: its policy has no {service} client", .service.argument())]
    NotDeclared {
        /// The scope's handler.
        handler: &'static str,
        /// The service.
        service: tenant_isolation_core::Service,
    },
}

impl ScopeError {
    /// Always [`ErrorKind::Internal`] (500): a programming error, never the caller's.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Internal
    }
}

/// The tenant context of one invocation: who, with which credentials, under which policy.
/// Cheap to clone.
#[derive(Clone)]
pub struct Scope(Arc<ScopeInner>);

/// A guard's refusal, as the scope keeps it.
type Refusal = Arc<dyn std::error::Error + Send + Sync>;

struct ScopeInner {
    spec: &'static HandlerSpec,
    session: Arc<TenantSession>,
    /// The clients of the handler's policy. Its own, even where the session's credentials are
    /// shared with other policies (session-tag mode: one session per tenant and tag).
    policy: Arc<PolicyClient>,
    request_id: Option<String>,
    /// Cleared when the invocation that entered the scope ends ([`Scope::end`]).
    live: AtomicBool,
    /// The guards' refusals in this scope whose error the handler may still hold: each with a
    /// weak handle that is alive while the error handed to the SDK (or a clone) is
    /// (`guard::refuse`), so that a handler that fails with a refusal in its error answers with
    /// the refusal's status.
    refusals: std::sync::Mutex<Vec<(Refusal, std::sync::Weak<()>)>>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("tenant", self.tenant())
            .field("handler", &self.0.spec.name())
            .field("session_name", &self.session_name())
            .field("expires_at", &self.expires_at())
            .finish_non_exhaustive()
    }
}

impl Scope {
    pub(crate) fn new(
        spec: &'static HandlerSpec,
        session: Arc<TenantSession>,
        policy: Arc<PolicyClient>,
        request_id: Option<String>,
    ) -> Scope {
        Scope(Arc::new(ScopeInner {
            spec,
            session,
            policy,
            request_id,
            live: AtomicBool::new(true),
            refusals: std::sync::Mutex::new(Vec::new()),
        }))
    }

    /// Ends the scope: every clone of it, wherever it was kept, is refused from now on
    /// ([`ScopeError::Ended`]). Called when the invocation's handler returns.
    pub fn end(&self) {
        self.0.live.store(false, Ordering::Release);
    }

    /// Records a refusal of a request sent in this scope (by a guard), while `held` is alive.
    /// Refusals no longer held are forgotten here, so that a handler refused in a loop keeps
    /// only the refusals it still holds.
    pub(crate) fn record_refusal(&self, refusal: Refusal, held: std::sync::Weak<()>) {
        let mut refusals = self.0.refusals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        refusals.retain(|(_, held)| held.strong_count() > 0);
        refusals.push((refusal, held));
    }

    /// The last refusal recorded in this scope whose error is still held (by the handler's
    /// output, when it is asked as the handler returns), taken with every other.
    pub(crate) fn take_held_refusal(&self) -> Option<Refusal> {
        let refusals = std::mem::take(&mut *self.0.refusals.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        refusals.into_iter().rev().find(|(_, held)| held.strong_count() > 0).map(|(refusal, _)| refusal)
    }

    /// Whether the scope's invocation is still running.
    pub fn is_live(&self) -> bool {
        self.0.live.load(Ordering::Acquire)
    }

    /// `Ok` while the invocation runs, [`ScopeError::Ended`] after.
    pub(crate) fn check_live(&self) -> Result<(), ScopeError> {
        if self.is_live() { Ok(()) } else { Err(ScopeError::Ended { handler: self.0.spec.name() }) }
    }

    /// The policy of the scope's handler (what its clients were built for).
    pub(crate) fn policy(&self) -> &PolicyKey {
        &self.0.policy.key
    }

    /// The tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.0.session.tenant
    }
    /// The handler whose policy the scope runs under.
    pub fn handler(&self) -> &'static HandlerSpec {
        self.0.spec
    }
    /// The Lambda request id, when the event carried one.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    /// The physical name of the handler's first table (`""` for a handler with buckets only);
    /// [`TenantTable::table_name`](crate::TenantTable::table_name) names each table's.
    pub fn table_name(&self) -> &str {
        self.table_name_at(0).unwrap_or_default()
    }
    /// The physical name of the handler's `i`-th table, in declaration order.
    pub(crate) fn table_name_at(&self, i: usize) -> Option<&str> {
        self.0.policy.placement.tables().get(i).map(String::as_str)
    }
    /// The physical name of the handler's `i`-th bucket, in declaration order.
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(crate) fn bucket_name_at(&self, i: usize) -> Option<&str> {
        self.0.policy.placement.buckets().get(i).map(String::as_str)
    }
    /// The S3 client of this scope's handler policy, guarded by the object guard: shared by
    /// every tenant of the policy, it signs each request with the sending scope's credentials
    /// only after checking it against that scope's tenant, as [`Scope::client`] does for
    /// DynamoDB. [`ScopeError::NoBuckets`] for a handler without buckets.
    #[cfg(feature = "s3")]
    pub fn s3(&self) -> Result<&aws_sdk_s3::Client, ScopeError> {
        self.0.policy.s3().ok_or(ScopeError::NoBuckets { handler: self.0.spec.name() })
    }
    /// The SQS client of this scope's handler policy, guarded by the queue guard: shared by
    /// every tenant of the policy, it signs each request with the sending scope's credentials
    /// only after checking that it names the tenant's own queue, as [`Scope::client`] does for
    /// DynamoDB. [`ScopeError::NotDeclared`] for a handler without `queues(...)`.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let scope = tenant_isolation::current()?;
    /// // Any operation the handle has no method for; the guard still checks the queue.
    /// let queue_url = format!("https://sqs.us-east-1.amazonaws.com/123456789012/jobs-{}", scope.tenant());
    /// scope.sqs()?.send_message().queue_url(queue_url).message_body("hello").send().await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "sqs")]
    pub fn sqs(&self) -> Result<&aws_sdk_sqs::Client, ScopeError> {
        let service = tenant_isolation_core::Service::Sqs;
        self.0.policy.sqs().ok_or(ScopeError::NotDeclared { handler: self.0.spec.name(), service })
    }
    /// Where the scope's handler policy is placed: the partition, region and account of the
    /// deployment, and its physical names.
    #[cfg_attr(not(feature = "sqs"), allow(dead_code))]
    pub(crate) fn placement(&self) -> &tenant_isolation_core::Placement {
        &self.0.policy.placement
    }
    /// The Secrets Manager client of this scope's handler policy, guarded by the secret guard
    /// (feature `secretsmanager`): shared by every tenant of the policy, it signs each request
    /// with the sending scope's credentials only after checking every secret it names against
    /// that scope's tenant, as [`Scope::client`] does for DynamoDB.
    /// [`ScopeError::NotDeclared`] for a handler without `secrets(...)`.
    ///
    /// ```no_run
    /// # async fn f(scope: tenant_isolation::Scope) -> Result<(), Box<dyn std::error::Error>> {
    /// let name = format!("tenants/{}/stripe", scope.tenant());
    /// let secret = scope.secretsmanager()?.get_secret_value().secret_id(name).send().await?;
    /// # let _ = secret; Ok(()) }
    /// ```
    #[cfg(feature = "secretsmanager")]
    pub fn secretsmanager(&self) -> Result<&aws_sdk_secretsmanager::Client, ScopeError> {
        let service = tenant_isolation_core::Service::SecretsManager;
        self.0.policy.secretsmanager().ok_or(ScopeError::NotDeclared { handler: self.0.spec.name(), service })
    }
    /// The Systems Manager client of this scope's handler policy, guarded by the parameter guard
    /// (feature `ssm`), as [`Scope::secretsmanager`] is for secrets.
    /// [`ScopeError::NotDeclared`] for a handler without `parameters(...)`.
    ///
    /// ```no_run
    /// # async fn f(scope: tenant_isolation::Scope) -> Result<(), Box<dyn std::error::Error>> {
    /// let path = format!("/tenants/{}", scope.tenant());
    /// let settings = scope.ssm()?.get_parameters_by_path().path(path).recursive(true).send().await?;
    /// # let _ = settings; Ok(()) }
    /// ```
    #[cfg(feature = "ssm")]
    pub fn ssm(&self) -> Result<&aws_sdk_ssm::Client, ScopeError> {
        let service = tenant_isolation_core::Service::Ssm;
        self.0.policy.ssm().ok_or(ScopeError::NotDeclared { handler: self.0.spec.name(), service })
    }
    /// When the tenant's credentials expire.
    pub fn expires_at(&self) -> SystemTime {
        self.0.session.expires_at()
    }
    /// The STS `RoleSessionName` (names the tenant in CloudTrail).
    pub fn session_name(&self) -> &str {
        &self.0.session.session_name
    }
    /// The assumed-role ARN that STS returned for these credentials.
    pub fn assumed_role_arn(&self) -> &str {
        &self.0.session.assumed_role_arn
    }
    /// The access key id of the credentials (not a secret; shows which STS session).
    pub fn access_key_id(&self) -> &str {
        self.0.session.credentials.access_key_id()
    }
    /// The tenant's credentials (what the key guard attaches to each checked request).
    pub(crate) fn credentials(&self) -> &aws_credential_types::Credentials {
        &self.0.session.credentials
    }
    /// `<prefix><tenant>`, e.g. `TENANT#acme`: the tenant's partition-key value in the handler's
    /// first table (the default prefix for a handler with buckets only);
    /// [`TenantTable::partition_key`](crate::TenantTable::partition_key) gives each table's.
    pub fn partition_key(&self) -> String {
        let rule = self.0.spec.tables().first().map(|t| t.keys.clone()).unwrap_or_default();
        rule.partition_key(self.tenant())
    }
    /// The DynamoDB client of this scope's handler policy, guarded.
    ///
    /// It is shared by every tenant of the policy and has no credentials of its own: each
    /// request it sends takes the scope of the task that sends it, is checked against that
    /// scope's tenant by the key guard, and is signed with that scope's credentials alone.
    /// Send from inside the scope (the handler, or [`Scope::run`] / [`spawn`]); outside any
    /// scope a request fails with [`ScopeError::Outside`] before it is signed, and inside
    /// the scope of a handler with another policy with [`ScopeError::ClientMismatch`].
    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.0.policy.client
    }

    /// Runs an invocation's handler inside this scope, and ends the scope when the handler
    /// returns or its future is dropped unfinished (a cancelled invocation): a clone kept
    /// anywhere (a static, a struct, a spawned task) is refused from then on, before anything
    /// is signed with it.
    pub async fn run_invocation<F: Future>(self, fut: F) -> F::Output {
        struct EndOnDrop(Scope);
        impl Drop for EndOnDrop {
            fn drop(&mut self) {
                self.0.end();
            }
        }
        let end = EndOnDrop(self.clone());
        let out = self.run(fut).await;
        drop(end);
        out
    }

    /// Runs `fut` inside this scope (also in another task: `tokio::spawn(scope.run(fut))`).
    pub fn run<F: Future>(self, fut: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self, fut)
    }
}

/// The current invocation's scope: [`ScopeError::Outside`] outside any scope,
/// [`ScopeError::Ended`] in a task that outlived its invocation. Never panics.
pub fn current() -> Result<Scope, ScopeError> {
    let scope = CURRENT.try_with(Scope::clone).map_err(|_| ScopeError::Outside)?;
    scope.check_live()?;
    Ok(scope)
}

/// The current invocation's tenant.
pub fn current_tenant() -> Result<TenantId, ScopeError> {
    Ok(current()?.tenant().clone())
}

/// `tokio::spawn` that carries the current scope into the new task. Outside a scope it
/// refuses instead of spawning a tenant-less task that would fail later.
pub fn spawn<F>(fut: F) -> Result<tokio::task::JoinHandle<F::Output>, ScopeError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let scope = current()?;
    Ok(tokio::spawn(scope.run(fut)))
}
