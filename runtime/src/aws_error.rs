//! The one reading of a failed AWS call: what class of failure an `SdkError` is, from its
//! error code and HTTP status. STS (`credentials.rs`) and the data clients (`error.rs`) both
//! classify with it, and each says what a class means for its caller: STS's access denied is a
//! misconfigured role (500), DynamoDB's or S3's an IAM denial of a tenant's request (403).

use crate::kind::ErrorKind;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// IAM's denial codes (DynamoDB and STS spell it `AccessDeniedException`/`AccessDenied`; so does S3).
const DENIED: [&str; 2] = ["AccessDenied", "AccessDeniedException"];

/// Throttling codes of STS (`Throttling`), DynamoDB (`ThrottlingException`,
/// `ProvisionedThroughputExceededException`, `RequestLimitExceeded`). The SDK retries these
/// itself (standard retry mode); a call still refused after the retries is classified here.
const THROTTLED: [&str; 4] =
    ["Throttling", "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"];

/// S3's answers for what the request named not being there: a missing object (`NoSuchKey`;
/// `NotFound` is the SDK's code for a `HEAD`'s bodiless 404) or multipart upload
/// (`NoSuchUpload`), all HTTP 404. Not `NoSuchBucket`, nor DynamoDB's
/// `ResourceNotFoundException`: a missing bucket or table is the deployment's fault.
const MISSING: [&str; 3] = ["NoSuchKey", "NotFound", "NoSuchUpload"];

/// What went wrong with an AWS call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AwsFailure {
    /// IAM refused it: an access-denied code, or an emulator's bare HTTP 403 without a code
    /// (moto answers a denial as an HTML page the SDK cannot read a code from).
    Denied,
    /// Throttled, after the SDK's retries.
    Throttled,
    /// What the request named is not there (an S3 object or upload): the caller's answer, not
    /// a failure. On AWS, a read of a missing object is this only for a caller that may list
    /// the bucket, and [`Denied`](AwsFailure::Denied) otherwise (see `TenantBucket::is_missing`).
    Missing,
    /// No answer (no connection, a timeout) or a server error (5xx).
    Unavailable,
    /// An answer that could not be read.
    Unreadable,
    /// The request could not be built (a refusal of the guard's interceptor lands here too:
    /// look for it first).
    NotBuilt,
    /// Any other refusal by the service (a validation error, a missing table).
    Refused,
}

impl AwsFailure {
    /// The class of `error`.
    pub(crate) fn of<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> AwsFailure {
        match error {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => AwsFailure::Unavailable,
            SdkError::ResponseError(_) => AwsFailure::Unreadable,
            SdkError::ServiceError(e) => {
                let status = e.raw().status();
                match e.err().code() {
                    Some(code) if DENIED.contains(&code) => AwsFailure::Denied,
                    None if status.as_u16() == 403 => AwsFailure::Denied,
                    Some(code) if THROTTLED.contains(&code) => AwsFailure::Throttled,
                    Some(code) if MISSING.contains(&code) && status.as_u16() == 404 => AwsFailure::Missing,
                    _ if status.is_server_error() => AwsFailure::Unavailable,
                    _ => AwsFailure::Refused,
                }
            }
            _ => AwsFailure::NotBuilt,
        }
    }

    /// What the class means for the caller of a data call (DynamoDB, S3): an IAM denial is 403,
    /// a missing object 404, no answer or throttling 503, anything else 500.
    pub(crate) fn data_kind(self) -> ErrorKind {
        match self {
            AwsFailure::Denied => ErrorKind::Forbidden,
            AwsFailure::Missing => ErrorKind::NotFound,
            AwsFailure::Throttled | AwsFailure::Unavailable => ErrorKind::Unavailable,
            AwsFailure::Unreadable | AwsFailure::NotBuilt | AwsFailure::Refused => ErrorKind::Internal,
        }
    }
}

/// What a failed call says, for messages and logs: `<code> (HTTP <status>): <message>` for a
/// service's answer (the SDK's own `Display` is a terse "service error"), the error chain
/// otherwise. Never contains credentials: codes and messages are the service's.
pub(crate) fn describe<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        SdkError::ServiceError(e) => format!(
            "{} (HTTP {}){}",
            e.err().code().unwrap_or("no error code"),
            e.raw().status().as_u16(),
            e.err().message().map(|m| format!(": {m}")).unwrap_or_default()
        ),
        other => DisplayErrorContext(other).to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty())
    }

    /// A DynamoDB service error with `code` (none: an emulator's bare page) and HTTP `status`.
    pub(crate) fn service_error(code: Option<&str>, status: u16) -> SdkError<GetItemError, HttpResponse> {
        let mut meta = ErrorMetadata::builder().message("the service said no");
        if let Some(code) = code {
            meta = meta.code(code);
        }
        SdkError::service_error(GetItemError::generic(meta.build()), response(status))
    }

    /// Every code and status the classifier knows, and the class and data kind each gets.
    #[test]
    fn codes_and_statuses_map_to_one_class_each() {
        use AwsFailure::*;
        let table: &[(Option<&str>, u16, AwsFailure, u16)] = &[
            (Some("AccessDeniedException"), 400, Denied, 403),
            (Some("AccessDenied"), 403, Denied, 403),
            (None, 403, Denied, 403),
            (Some("Throttling"), 400, Throttled, 503),
            (Some("ThrottlingException"), 400, Throttled, 503),
            (Some("ProvisionedThroughputExceededException"), 400, Throttled, 503),
            (Some("RequestLimitExceeded"), 400, Throttled, 503),
            (Some("InternalServerError"), 500, Unavailable, 503),
            (Some("ServiceUnavailable"), 503, Unavailable, 503),
            (None, 502, Unavailable, 503),
            (Some("ResourceNotFoundException"), 400, Refused, 500),
            (Some("ValidationException"), 400, Refused, 500),
            (Some("ExpiredTokenException"), 403, Refused, 500),
            (None, 400, Refused, 500),
            (None, 404, Refused, 500),
            (Some("NoSuchKey"), 404, Missing, 404),
            (Some("NotFound"), 404, Missing, 404),
            (Some("NoSuchUpload"), 404, Missing, 404),
            (Some("NoSuchBucket"), 404, Refused, 500),
            (Some("NoSuchKey"), 400, Refused, 500),
        ];
        for (code, status, class, kind) in table {
            let e = service_error(*code, *status);
            assert_eq!(AwsFailure::of(&e), *class, "{code:?} {status}");
            assert_eq!(AwsFailure::of(&e).data_kind().status(), *kind, "{code:?} {status}");
        }
        let no_answer: SdkError<GetItemError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io("connection refused".into()));
        assert_eq!(AwsFailure::of(&no_answer), Unavailable);
        let timeout: SdkError<GetItemError, HttpResponse> = SdkError::timeout_error("operation timed out");
        assert_eq!(AwsFailure::of(&timeout), Unavailable);
        let unreadable: SdkError<GetItemError, HttpResponse> =
            SdkError::response_error("truncated body", response(200));
        assert_eq!(
            (AwsFailure::of(&unreadable), AwsFailure::of(&unreadable).data_kind()),
            (Unreadable, ErrorKind::Internal)
        );
        let not_built: SdkError<GetItemError, HttpResponse> = SdkError::construction_failure("no region");
        assert_eq!(
            (AwsFailure::of(&not_built), AwsFailure::of(&not_built).data_kind()),
            (NotBuilt, ErrorKind::Internal)
        );
    }

    #[test]
    fn a_description_names_code_status_and_message() {
        assert_eq!(
            describe(&service_error(Some("ResourceNotFoundException"), 400)),
            "ResourceNotFoundException (HTTP 400): the service said no"
        );
        assert_eq!(describe(&service_error(None, 403)), "no error code (HTTP 403): the service said no");
        let no_answer: SdkError<GetItemError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io("connection refused".into()));
        assert!(describe(&no_answer).contains("connection refused"), "{}", describe(&no_answer));
    }
}
