//! The one error type a handler's isolation can fail with. It gathers the errors of every
//! layer (each of which has `kind()`); the layers do not know it.

use crate::config::ConfigError;
use crate::credentials::{CredentialsError, VendError};
use crate::guard::GuardViolation;
use crate::identity::IdentityError;
use crate::kind::{self, ErrorKind};
use crate::scope::ScopeError;
use crate::spec::{SetupError, SpecMismatch};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
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
            IsolationError::Spec(e) => e.kind(),
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

/// What a failed guarded DynamoDB call means for the caller:
///
/// * a refusal by the key guard or the scope: its own kind (403, or 500 for a scope misuse);
/// * an IAM denial (`AccessDeniedException`, or a bare HTTP 403): 403 (`Forbidden`), and logged
///   as an error, because the guard should have refused the request before it was sent: a
///   denial that reaches IAM means the guard and the policy disagree;
/// * no answer (no connection, a timeout), throttling or a server error: 503 (`Unavailable`);
/// * anything else (a missing table, a validation error): 500 (`Internal`).
///
/// ```no_run
/// # use tenant_isolation::{ErrorKind, sdk_error_kind};
/// # async fn f(client: aws_sdk_dynamodb::Client) -> u16 {
/// match client.get_item().table_name("Orders").send().await {
///     Ok(_) => 200,
///     Err(e) => sdk_error_kind(&e).status(),
/// }
/// # }
/// ```
pub fn sdk_error_kind<E>(error: &SdkError<E, HttpResponse>) -> ErrorKind
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(kind) = IsolationError::find_kind(error) {
        return kind;
    }
    match error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => ErrorKind::Unavailable,
        SdkError::ServiceError(e) => {
            let status = e.raw().status().as_u16();
            match e.err().code() {
                Some("AccessDeniedException" | "AccessDenied") => denied(e.err().code(), status),
                // Emulators answer a denial as a bare 403 page without an error code.
                None if status == 403 => denied(None, status),
                Some("ThrottlingException" | "ProvisionedThroughputExceededException" | "RequestLimitExceeded") => {
                    ErrorKind::Unavailable
                }
                _ if e.raw().status().is_server_error() => ErrorKind::Unavailable,
                _ => ErrorKind::Internal,
            }
        }
        _ => ErrorKind::Internal,
    }
}

fn denied(code: Option<&str>, status: u16) -> ErrorKind {
    // The session policy denied what the guard let through: they disagree, which is a bug
    // (of this library, or of a handler that reached around the guard).
    tracing::error!(
        code = code.unwrap_or("none"),
        status,
        "IAM denied a DynamoDB request that the key guard let through: the guard and the session policy disagree"
    );
    ErrorKind::Forbidden
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn service_error(code: Option<&str>, status: u16) -> SdkError<GetItemError, HttpResponse> {
        let mut meta = ErrorMetadata::builder();
        if let Some(code) = code {
            meta = meta.code(code);
        }
        let err = GetItemError::generic(meta.build());
        let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        SdkError::service_error(err, raw)
    }

    #[test]
    fn iam_denials_are_forbidden_not_internal() {
        assert_eq!(sdk_error_kind(&service_error(Some("AccessDeniedException"), 400)), ErrorKind::Forbidden);
        assert_eq!(sdk_error_kind(&service_error(None, 403)), ErrorKind::Forbidden);
        assert_eq!(sdk_error_kind(&service_error(Some("ThrottlingException"), 400)), ErrorKind::Unavailable);
        assert_eq!(sdk_error_kind(&service_error(Some("InternalServerError"), 500)), ErrorKind::Unavailable);
        assert_eq!(sdk_error_kind(&service_error(Some("ResourceNotFoundException"), 400)), ErrorKind::Internal);
    }
}
