//! The per-invocation tenant scope: a tokio task-local, never a process-wide variable.
//!
//! Several invocations run concurrently in one process under Lambda Managed Instances
//! (`lambda_runtime::run_concurrent`), so "the current tenant" must belong to the
//! invocation's task, not to the process. A task-local exists only while its scoped
//! future is polled; `tokio::spawn` does not inherit it, which is what we want: a spawned
//! task is tenant-less unless it is given the scope explicitly with [`spawn`] or
//! [`Scope::run`].

use crate::credentials::TenantSession;
use crate::spec::HandlerSpec;
use std::future::Future;
use std::sync::Arc;
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
    #[error("the DynamoDB client of handler `{client}` was used inside the scope of handler `{actual}`")]
    ClientMismatch {
        /// The handler whose policy the client belongs to.
        client: &'static str,
        /// The scope's handler.
        actual: &'static str,
    },
}

/// The tenant context of one invocation: who, with which credentials, under which policy.
/// Cheap to clone.
#[derive(Clone)]
pub struct Scope(Arc<ScopeInner>);

struct ScopeInner {
    spec: &'static HandlerSpec,
    session: Arc<TenantSession>,
    request_id: Option<String>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("tenant", self.tenant())
            .field("handler", &self.0.spec.name)
            .field("session_name", &self.session_name())
            .field("expires_at", &self.expires_at())
            .finish_non_exhaustive()
    }
}

impl Scope {
    pub(crate) fn new(spec: &'static HandlerSpec, session: Arc<TenantSession>, request_id: Option<String>) -> Scope {
        Scope(Arc::new(ScopeInner { spec, session, request_id }))
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
    /// The physical table name.
    pub fn table_name(&self) -> &str {
        &self.0.session.policy.table
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
    /// `<prefix><tenant>`, e.g. `TENANT#acme`: the tenant's partition-key value.
    pub fn partition_key(&self) -> String {
        format!("{}{}", self.0.spec.key_prefix, self.tenant())
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
        &self.0.session.policy.client
    }

    /// The typed table capability of this scope's handler: `P` must be the policy the
    /// scope was entered with (what `#[tenant_isolated]` passes to the handler).
    pub fn table<P: crate::table::Policy>(&self) -> Result<crate::table::TenantTable<P>, ScopeError> {
        if self.handler().policy_id != P::SPEC.policy_id {
            return Err(ScopeError::PolicyMismatch { expected: P::SPEC.name, actual: self.handler().name });
        }
        Ok(crate::table::TenantTable::new())
    }

    /// Runs `fut` inside this scope (also in another task: `tokio::spawn(scope.run(fut))`).
    pub fn run<F: Future>(self, fut: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self, fut)
    }
}

/// The current invocation's scope, or [`ScopeError::Outside`]. Never panics.
pub fn current() -> Result<Scope, ScopeError> {
    CURRENT.try_with(Scope::clone).map_err(|_| ScopeError::Outside)
}

/// The current invocation's tenant.
pub fn current_tenant() -> Result<TenantId, ScopeError> {
    CURRENT.try_with(|s| s.tenant().clone()).map_err(|_| ScopeError::Outside)
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
