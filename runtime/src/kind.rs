//! The one error taxonomy: every error of this crate says which [`ErrorKind`] it is, and each
//! kind is one HTTP status. A leaf module: the errors of every layer import it, it imports
//! none of them.

/// What a failure means for the caller, one HTTP status each. Every error of this crate has
/// `kind()`; [`IsolationError`](crate::IsolationError) gathers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 401: no token, or one that cannot be trusted. No STS call is made.
    Unauthenticated,
    /// 403: a valid caller that may not do this (no usable tenant, a key-guard refusal).
    Forbidden,
    /// 404: what the caller asked for is not there (an S3 object of the tenant's that does not
    /// exist).
    NotFound,
    /// 503: a dependency (key set, STS) is unavailable; retrying later may help.
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
            ErrorKind::NotFound => 404,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// A short machine-readable code for response bodies.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    /// The public message for response bodies: no internal detail.
    pub const fn public_message(self) -> &'static str {
        match self {
            ErrorKind::Unauthenticated => "a valid bearer token is required",
            ErrorKind::Forbidden => "this caller may not perform this request",
            ErrorKind::NotFound => "no such resource",
            ErrorKind::Unavailable => "a dependency is unavailable; retry later",
            ErrorKind::Internal => "internal error",
        }
    }
}

/// `error`, its source, its source's source, and so on.
pub(crate) fn chain<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}
