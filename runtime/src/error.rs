//! The one error type a handler's isolation can fail with. It gathers the errors of every
//! layer (each of which has `kind()`); the layers do not know it.

use crate::config::ConfigError;
use crate::credentials::{CredentialsError, VendError};
use crate::guard::GuardViolation;
use crate::identity::IdentityError;
use crate::kind::{self, ErrorKind};
use crate::scope::ScopeError;
use crate::spec::{SetupError, SpecMismatch};
use tenant_isolation_core::TenantId;

/// Why an isolated invocation could not run, or a scoped call was refused.
///
/// Each variant maps to one HTTP status through [`IsolationError::kind`]; messages never
/// contain a token, a secret or a credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IsolationError {
    /// The caller is not authenticated (401), not allowed (403), or the key set is
    /// unreachable (503). No STS call is made for any of these.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Credentials for the tenant could not be obtained (503, or 500 for a
    /// misconfigured role).
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The key guard refused a request before it left the process (403).
    #[error(transparent)]
    Guard(#[from] GuardViolation),
    /// Scoped code ran outside a live tenant scope (500: a programming error).
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// The runtime is misconfigured (500).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A handler spec's template is not what its model compiles to (500).
    #[error(transparent)]
    Spec(#[from] SpecMismatch),
}

impl From<SetupError> for IsolationError {
    fn from(e: SetupError) -> Self {
        match e {
            SetupError::Config(e) => IsolationError::Config(e),
            SetupError::Spec(e) => IsolationError::Spec(e),
        }
    }
}

impl From<VendError> for IsolationError {
    fn from(e: VendError) -> Self {
        match e {
            VendError::Config(e) => IsolationError::Config(e),
            VendError::Setup(e) => e.into(),
            VendError::Credentials(e) => IsolationError::Credentials(e),
        }
    }
}

impl IsolationError {
    /// What the failure means for the caller: the kind of the layer's error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            IsolationError::Identity(e) => e.kind(),
            IsolationError::Credentials(e) => e.kind(),
            IsolationError::Guard(e) => e.kind(),
            IsolationError::Scope(e) => e.kind(),
            IsolationError::Config(e) => e.kind(),
            IsolationError::Spec(_) => ErrorKind::Internal,
        }
    }

    /// The HTTP status: 401, 403, 503 or 500.
    pub fn status(&self) -> u16 {
        self.kind().status()
    }

    /// The tenant concerned, where one was established.
    pub fn tenant(&self) -> Option<&TenantId> {
        match self {
            IsolationError::Credentials(e) => Some(e.tenant()),
            IsolationError::Guard(e) => Some(e.tenant()),
            _ => None,
        }
    }

    /// The isolation refusal inside an error, as an [`IsolationError`] that reads as its
    /// reason. A guarded DynamoDB call that the key guard (or a dead scope) refused returns an
    /// `SdkError` whose `Display` is the SDK's "failed to construct request"; convert it with
    /// this first so that logs and error bodies say why:
    ///
    /// ```
    /// # use tenant_isolation::IsolationError;
    /// fn explain(e: &(dyn std::error::Error + 'static)) -> String {
    ///     match IsolationError::refusal(e) {
    ///         // "key guard refused `GetItem` for tenant `acme`: partition key `pk` is outside the tenant's keys"
    ///         Some(refusal) => refusal.to_string(),
    ///         None => e.to_string(),
    ///     }
    /// }
    /// ```
    pub fn refusal(error: &(dyn std::error::Error + 'static)) -> Option<IsolationError> {
        kind::chain(error).find_map(|e| {
            if let Some(g) = e.downcast_ref::<GuardViolation>() {
                Some(IsolationError::Guard(g.clone()))
            } else {
                e.downcast_ref::<ScopeError>().map(|s| IsolationError::Scope(s.clone()))
            }
        })
    }

    /// Finds an [`IsolationError`], a [`GuardViolation`] or a [`ScopeError`] in an error's
    /// source chain (e.g. inside the `SdkError` that a guarded DynamoDB call returned) and
    /// says what it means for the caller.
    pub fn find_kind(error: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
        kind::chain(error).find_map(|e| {
            if let Some(iso) = e.downcast_ref::<IsolationError>() {
                Some(iso.kind())
            } else if let Some(g) = e.downcast_ref::<GuardViolation>() {
                Some(g.kind())
            } else {
                e.downcast_ref::<ScopeError>().map(ScopeError::kind)
            }
        })
    }
}
