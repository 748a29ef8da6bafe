//! The one error type a handler's isolation can fail with. It gathers the errors of every
//! layer (each of which has `kind()`); the layers do not know it.

use crate::aws_error::{self, AwsFailure};
use crate::config::ConfigError;
use crate::credentials::{CredentialsError, VendError};
use crate::guard::GuardViolation;
use crate::identity::IdentityError;
use crate::kind::{self, ErrorKind};
use crate::scope::ScopeError;
use crate::spec::{SetupError, SpecMismatch};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
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
    /// A record of an event source has no usable tenant (403; [`crate::records`]). No STS call.
    #[error(transparent)]
    Record(#[from] crate::sources::RecordError),
    /// A DynamoDB or S3 call failed for a reason of its own, not an isolation refusal: an IAM
    /// denial (403), a missing S3 object (404), no answer or throttling (503), anything else (500). What `?` makes of an
    /// `SdkError` in a data layer whose error is `IsolationError` (see its `From`).
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// A failed DynamoDB or S3 call that was not an isolation refusal, with what it means for the
/// caller ([`AwsError::kind`]) and the SDK's error as its source (downcast it to
/// `SdkError<GetItemError>`, … for the service's own error).
#[derive(Debug, thiserror::Error)]
#[error("the AWS call failed: {detail}")]
pub struct AwsError {
    kind: ErrorKind,
    code: Option<String>,
    detail: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl AwsError {
    /// 403 for an IAM denial, 404 for a missing S3 object or upload, 503 for no answer, a server
    /// error or throttling, 500 otherwise (the one classifier, as [`sdk_error_kind`]).
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The service's error code, when it answered with one (`ResourceNotFoundException`).
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
}

/// Carries a data layer's failed SDK call to its status without glue: a refusal of the key or
/// object guard (or of a scope that has ended) becomes that refusal
/// ([`IsolationError::Guard`], 403; [`IsolationError::Scope`], 500), anything else an
/// [`AwsError`] of the kind [`sdk_error_kind`] gives (403 for an IAM denial, 404 for a missing
/// S3 object, 503 for no answer or throttling, 500 otherwise).
///
/// ```no_run
/// # use tenant_isolation::{actions::GetItem, Allows, IsolationError, TenantTable};
/// async fn exists(orders: &TenantTable<impl Allows<GetItem>>, key: &str) -> Result<bool, IsolationError> {
///     let pk = aws_sdk_dynamodb::types::AttributeValue::S(orders.partition_key()?);
///     let out = orders.get_item()?.key("pk", pk).send().await?; // no glue: `?` keeps the status
///     Ok(out.item().is_some())
/// }
/// ```
impl<E> From<SdkError<E, HttpResponse>> for IsolationError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn from(error: SdkError<E, HttpResponse>) -> IsolationError {
        if let Some(refusal) = IsolationError::refusal(&error) {
            return refusal;
        }
        let kind = data_kind(&error);
        let code = error.as_service_error().and_then(|e| e.code()).map(str::to_owned);
        let detail = aws_error::describe(&error);
        IsolationError::Aws(AwsError { kind, code, detail, source: Box::new(error) })
    }
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
            IsolationError::Aws(e) => e.kind(),
            IsolationError::Record(e) => e.kind(),
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
    ///         // "the guard refused `GetItem` for tenant `acme`: partition key `pk` is outside the tenant's keys"
    ///         Some(refusal) => refusal.to_string(),
    ///         None => e.to_string(),
    ///     }
    /// }
    /// ```
    pub fn refusal(error: &(dyn std::error::Error + 'static)) -> Option<IsolationError> {
        if let Some(violation) = GuardViolation::find(error) {
            return Some(IsolationError::Guard(violation.clone()));
        }
        kind::chain(error).find_map(|e| e.downcast_ref::<ScopeError>()).map(|s| IsolationError::Scope(s.clone()))
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

/// What a failed guarded DynamoDB or S3 call means for the caller:
///
/// * a refusal by the key guard or the scope: its own kind (403, or 500 for a scope misuse);
/// * an IAM denial (`AccessDeniedException`, or a bare HTTP 403): 403 (`Forbidden`), and logged
///   as an error, because the guard should have refused the request before it was sent: a
///   denial that reaches IAM means the guard and the policy disagree;
/// * a missing S3 object or multipart upload (`NoSuchKey`, a `HEAD`'s `NotFound`,
///   `NoSuchUpload`): 404 (`NotFound`). On AWS a read of a missing object is a 403 denial to a
///   session that may not list the bucket; `TenantBucket::is_missing` tells the two apart;
/// * no answer (no connection, a timeout), throttling or a server error: 503 (`Unavailable`);
/// * anything else (a missing table or bucket, a validation error): 500 (`Internal`).
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
    match IsolationError::find_kind(error) {
        Some(kind) => kind,
        None => data_kind(error),
    }
}

/// The kind of a data call's failure that is not a refusal: the one classifier's class, read
/// for a data call. An IAM denial is logged as an error: the guard should have refused the
/// request before it was sent, so a denial that reaches IAM means the guard and the session
/// policy disagree (a bug of this library, or of a handler that reached around the guard).
fn data_kind<E>(error: &SdkError<E, HttpResponse>) -> ErrorKind
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let failure = AwsFailure::of(error);
    if failure == AwsFailure::Denied {
        let (code, status) = match error {
            SdkError::ServiceError(e) => (e.err().code(), e.raw().status().as_u16()),
            _ => (None, 0),
        };
        tracing::error!(
            code = code.unwrap_or("none"),
            status,
            "IAM denied a request that the guard let through: the guard and the session policy disagree"
        );
    }
    failure.data_kind()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws_error::tests::service_error;
    use crate::guard::Violation;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_smithy_runtime_api::client::result::ConnectorError;

    #[test]
    fn iam_denials_are_forbidden_not_internal() {
        assert_eq!(sdk_error_kind(&service_error(Some("AccessDeniedException"), 400)), ErrorKind::Forbidden);
        assert_eq!(sdk_error_kind(&service_error(None, 403)), ErrorKind::Forbidden);
        assert_eq!(sdk_error_kind(&service_error(Some("ThrottlingException"), 400)), ErrorKind::Unavailable);
        assert_eq!(sdk_error_kind(&service_error(Some("InternalServerError"), 500)), ErrorKind::Unavailable);
        assert_eq!(sdk_error_kind(&service_error(Some("ResourceNotFoundException"), 400)), ErrorKind::Internal);
    }

    /// A missing S3 object (or multipart upload) is what the caller asked for not being there:
    /// 404 through `?`, as `sdk_error_kind` says, not a failure of the service (500). A missing
    /// bucket or table is the deployment's fault and stays 500.
    #[cfg(feature = "s3")]
    #[test]
    fn a_missing_object_is_not_found() {
        use aws_sdk_s3::operation::get_object::GetObjectError;
        use aws_smithy_types::error::ErrorMetadata;
        fn s3_error(code: &str, status: u16) -> SdkError<GetObjectError, HttpResponse> {
            let meta = ErrorMetadata::builder().code(code).message("the service said so").build();
            let status = aws_smithy_runtime_api::http::StatusCode::try_from(status).unwrap();
            SdkError::service_error(
                GetObjectError::generic(meta),
                HttpResponse::new(status, aws_smithy_types::body::SdkBody::empty()),
            )
        }
        for (code, status, expected) in
            [("NoSuchKey", 404, 404), ("NotFound", 404, 404), ("NoSuchUpload", 404, 404), ("NoSuchBucket", 404, 500)]
        {
            assert_eq!(sdk_error_kind(&s3_error(code, status)).status(), expected, "{code}");
            let e = IsolationError::from(s3_error(code, status));
            assert_eq!(e.status(), expected, "{code}: {e}");
        }
        assert_eq!(sdk_error_kind(&service_error(Some("ResourceNotFoundException"), 400)).status(), 500);
    }

    /// A guard refusal as the SDK returns it: the interceptor's error, inside a construction
    /// failure.
    fn refused() -> SdkError<GetItemError, HttpResponse> {
        let acme = tenant_isolation_core::TenantId::parse("acme").unwrap();
        let violation = GuardViolation::new(acme, "GetItem", Violation::ForeignKey { attribute: "pk".into() });
        SdkError::construction_failure(violation)
    }

    /// `?` on a data call's `SdkError` into `IsolationError`: a refusal stays the refusal, and
    /// every other failure gets the status of the one classifier, without a user's glue.
    #[test]
    fn an_sdk_error_carries_its_status_through_question_mark() {
        fn data_call(result: Result<(), SdkError<GetItemError, HttpResponse>>) -> Result<(), IsolationError> {
            result?;
            Ok(())
        }
        let guard = data_call(Err(refused())).unwrap_err();
        assert!(matches!(&guard, IsolationError::Guard(v) if v.operation() == "GetItem"), "{guard:?}");
        assert_eq!(guard.status(), 403);
        assert_eq!(guard.tenant().map(|t| t.as_str()), Some("acme"));
        assert_eq!(
            guard.to_string(),
            "the guard refused `GetItem` for tenant `acme`: partition key `pk` is outside the tenant's keys"
        );

        let ended = SdkError::<GetItemError, HttpResponse>::construction_failure(ScopeError::Ended { handler: "h" });
        assert!(matches!(data_call(Err(ended)), Err(IsolationError::Scope(ScopeError::Ended { .. }))));

        for (error, status) in [
            (service_error(Some("AccessDeniedException"), 400), 403),
            (service_error(None, 403), 403),
            (service_error(Some("ProvisionedThroughputExceededException"), 400), 503),
            (service_error(Some("InternalServerError"), 500), 503),
            (SdkError::dispatch_failure(ConnectorError::io("connection refused".into())), 503),
            (service_error(Some("ResourceNotFoundException"), 400), 500),
        ] {
            let e = data_call(Err(error)).unwrap_err();
            assert!(matches!(e, IsolationError::Aws(_)), "{e:?}");
            assert_eq!(e.status(), status, "{e}");
            assert_eq!(e.tenant(), None);
        }
        let missing = data_call(Err(service_error(Some("ResourceNotFoundException"), 400))).unwrap_err();
        let IsolationError::Aws(aws) = &missing else { unreachable!() };
        assert_eq!(aws.code(), Some("ResourceNotFoundException"));
        assert_eq!(
            missing.to_string(),
            "the AWS call failed: ResourceNotFoundException (HTTP 400): the service said no"
        );
        // The SDK's error stays reachable, for a handler that looks at the service's own error.
        let source = std::error::Error::source(&missing).unwrap();
        assert!(source.downcast_ref::<SdkError<GetItemError, HttpResponse>>().is_some());
    }
}
