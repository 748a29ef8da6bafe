//! The one error type a handler's isolation can fail with, and its HTTP status.

use crate::config::ConfigError;
use crate::credentials::CredentialsError;
use crate::guard::GuardViolation;
use crate::identity::{IdentityError, IdentityErrorKind};
use crate::scope::ScopeError;
use tenant_isolation_core::TenantId;

/// Why an isolated invocation could not run, or a scoped call was refused.
///
/// Each variant maps to one HTTP status ([`IsolationError::status`]); messages never
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
    /// Scoped code ran outside a tenant scope (500: a programming error).
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// The runtime is misconfigured (500).
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The category of an [`IsolationError`], one per HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// 401: no valid token.
    Unauthenticated,
    /// 403: a valid caller that may not do this.
    Forbidden,
    /// 503: a dependency (JWKS, STS) is unavailable; retrying may help.
    Unavailable,
    /// 500: misconfiguration or a programming error.
    Internal,
}

impl ErrorKind {
    /// The HTTP status.
    pub const fn status(self) -> u16 {
        match self {
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// A short machine-readable code for response bodies.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    /// The public message for response bodies: no internal detail.
    pub const fn public_message(self) -> &'static str {
        match self {
            ErrorKind::Unauthenticated => "a valid bearer token is required",
            ErrorKind::Forbidden => "this caller may not perform this request",
            ErrorKind::Unavailable => "a dependency is unavailable; retry later",
            ErrorKind::Internal => "internal error",
        }
    }
}

impl IsolationError {
    /// The category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            IsolationError::Identity(e) => match e.kind() {
                IdentityErrorKind::Unauthenticated => ErrorKind::Unauthenticated,
                IdentityErrorKind::Forbidden => ErrorKind::Forbidden,
                IdentityErrorKind::Unavailable => ErrorKind::Unavailable,
            },
            IsolationError::Credentials(e) => e.kind(),
            IsolationError::Guard(_) => ErrorKind::Forbidden,
            IsolationError::Scope(_) | IsolationError::Config(_) => ErrorKind::Internal,
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

    /// Finds an [`IsolationError`] or a [`GuardViolation`] in an error's source chain,
    /// e.g. inside the `SdkError` that a guarded DynamoDB call returned.
    pub fn find_kind(error: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
        sources(error).find_map(|e| {
            if let Some(iso) = e.downcast_ref::<IsolationError>() {
                Some(iso.kind())
            } else if e.is::<GuardViolation>() {
                Some(ErrorKind::Forbidden)
            } else if e.is::<ScopeError>() {
                Some(ErrorKind::Internal)
            } else {
                None
            }
        })
    }
}

/// `error`, its source, its source's source, and so on.
pub(crate) fn sources<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}
