//! Where the caller's token is in an event, and how a refusal is answered.
//!
//! Two traits, so that Lambda's tenant id cannot be left out:
//!
//! * [`TenantPayload`], implemented here for API Gateway REST (v1) and HTTP API (v2) proxy
//!   events and by you for a custom event: where the caller's token (or an authorizer's claims)
//!   is in the payload.
//! * [`TenantEvent`], sealed: an invocation as a front end receives it, which also carries
//!   Lambda's context (the request id, and the tenant id of Lambda's tenant isolation mode):
//!   `LambdaEvent<P>` for any payload `P`, `lambda_http::Request`, and the head of an HTTP request
//!   (the axum front end). A handler takes one of these, never a bare payload, so every
//!   invocation is checked against Lambda's tenant id (a handler that took a bare payload was
//!   served from it without one: red-team review of issue 26).
//!
//! Implement [`Rejection`] for a custom response type.

use crate::error::IsolationError;
use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyResponse, ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequest,
    ApiGatewayV2httpResponse,
};
use aws_lambda_events::encodings::Body as EventBody;
use lambda_http::RequestExt;
use lambda_runtime::LambdaEvent;
use serde_json::{Map, Value};

/// Claims as an authorizer passed them.
pub type Claims = Map<String, Value>;

/// Who receives a refusal, and so how it must be answered.
pub trait Caller: sealed::Sealed {}

/// An HTTP caller behind API Gateway or a function URL: a refusal must be an HTTP response
/// with its status (401, 403, 503, 500). A Lambda error would reach it as a 502.
#[derive(Debug, Clone, Copy)]
pub enum Http {}

/// A caller that receives the invocation's result (a custom event, a queue): a refusal is the
/// invocation's error.
#[derive(Debug, Clone, Copy)]
pub enum Invocation {}

impl Caller for Http {}
impl Caller for Invocation {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Http {}
    impl Sealed for super::Invocation {}

    /// The invocations a front end receives (see [`super::TenantEvent`]).
    pub trait Event {}
    impl<T> Event for lambda_runtime::LambdaEvent<T> {}
    impl<B> Event for http::Request<B> {}
    impl Event for http::request::Parts {}
}

/// A payload that says who its caller is: implement it for a custom event and take
/// `LambdaEvent<MyEvent>` in the handler.
///
/// ```
/// use tenant_isolation::event::{Invocation, TenantPayload};
///
/// /// A job a tenant's own isolated handler enqueued, with the caller's token.
/// struct Job {
///     token: String,
/// }
///
/// impl TenantPayload for Job {
///     type Caller = Invocation;
///     fn bearer_token(&self) -> Option<&str> {
///         Some(&self.token)
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not say where the caller's token is",
    label = "not a `TenantPayload`",
    note = "take `lambda_http::Request`, or `LambdaEvent<P>` where the payload `P` is `ApiGatewayProxyRequest`, `ApiGatewayV2httpRequest` or a type of yours that implements `tenant_isolation::event::TenantPayload` (say where its token is)"
)]
pub trait TenantPayload: Send {
    /// Who receives a refusal: [`Http`] for HTTP events (the handler's response type must
    /// carry a status), [`Invocation`] for others.
    type Caller: Caller;

    /// The bearer token, without the `Bearer ` scheme. `None` when absent or not ASCII.
    fn bearer_token(&self) -> Option<&str>;

    /// Claims an API Gateway authorizer already verified (used only in trusted-claims mode).
    fn authorizer_claims(&self) -> Option<Claims> {
        None
    }
}

/// An invocation as a front end receives it: the caller's identity (from its payload) and
/// Lambda's context. Sealed: implemented for `LambdaEvent<P>` (any [`TenantPayload`] `P`),
/// `lambda_http::Request` (any `http::Request<B>`) and `http::request::Parts`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an invocation whose caller and Lambda tenant id can be checked",
    label = "not a `TenantEvent`",
    note = "take `lambda_http::Request`, or `LambdaEvent<P>` where the payload `P` is `ApiGatewayProxyRequest`, `ApiGatewayV2httpRequest` or a type of yours that implements `tenant_isolation::event::TenantPayload`: a bare payload has no Lambda context, so Lambda's tenant id could not be checked"
)]
pub trait TenantEvent: Send + sealed::Event {
    /// Who receives a refusal (the payload's [`TenantPayload::Caller`]).
    type Caller: Caller;

    /// The bearer token, without the `Bearer ` scheme. `None` when absent or not ASCII.
    fn bearer_token(&self) -> Option<&str>;

    /// Claims an API Gateway authorizer already verified (used only in trusted-claims mode).
    fn authorizer_claims(&self) -> Option<Claims>;

    /// The Lambda request id, for logs.
    fn request_id(&self) -> Option<&str>;

    /// The tenant id Lambda's tenant isolation mode (TenancyConfig `PER_TENANT`) gave the
    /// invocation (`lambda_runtime::Context::tenant_id`), if any. When present it must be the
    /// verified tenant ([`Isolation::authenticate`](crate::Isolation::authenticate)). Only
    /// Lambda's context gives it, never a payload's own fields (whoever writes the payload would
    /// choose it).
    fn lambda_tenant_id(&self) -> Option<&str>;
}

/// How a response type answers a refused invocation to caller `C`.
///
/// For an [`Http`] caller, the response must carry the refusal's status: an HTTP handler
/// that returned `Err` would reach API Gateway as a Lambda error, which it answers with 502,
/// whatever went wrong. Only response types with a status implement `Rejection<Http>`; an HTTP
/// handler returning anything else does not compile. For an [`Invocation`] caller every type
/// answers, by failing the invocation with `Err(error)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot answer a refusal to an HTTP caller with its status (401, 403, 503)",
    label = "this response type has no status",
    note = "return `lambda_http::Response<Body>`, `ApiGatewayProxyResponse` or `ApiGatewayV2httpResponse`, or implement `tenant_isolation::Rejection<Http>` for `{Self}`: an `Err` would reach API Gateway as a 502"
)]
pub trait Rejection<C: Caller>: Sized {
    /// The response for `error`, or `None` to fail the invocation with `Err(error)`.
    fn rejection(error: &IsolationError) -> Option<Self>;

    /// This response's HTTP status, when it has one. A server error (5xx) is a failure of the
    /// handler's, as an `Err` is ([`HandlerOutput::failed`]).
    fn status(&self) -> Option<u16> {
        None
    }
}

impl<R> Rejection<Invocation> for R {
    fn rejection(_: &IsolationError) -> Option<Self> {
        None
    }
}

/// The output of an isolated handler for caller `C`: `Result<R, E>` with `R: Rejection<C>` and
/// `E: From<IsolationError>` (e.g. `lambda_runtime::Error`).
#[diagnostic::on_unimplemented(
    message = "an isolated handler must return `Result<R, E>` with `R: Rejection` and `E: From<IsolationError>`",
    note = "for example `Result<lambda_http::Response<Body>, lambda_http::Error>`"
)]
pub trait HandlerOutput<C: Caller> {
    /// The output for a refusal before the handler ran.
    fn reject(error: IsolationError) -> Self;

    /// Whether the handler failed: its output is an `Err`, or an HTTP response with a server
    /// error's status (5xx). A failed handler that still holds a guard's refusal answers with the
    /// refusal (403) instead, on every front end.
    fn failed(&self) -> bool;

    /// The HTTP status of the output, when it has one (for the invocation's log).
    fn status(&self) -> Option<u16> {
        None
    }
}

impl<C: Caller, R: Rejection<C>, E: From<IsolationError>> HandlerOutput<C> for Result<R, E> {
    fn failed(&self) -> bool {
        match self {
            Ok(response) => response.status().is_some_and(failed_status),
            Err(_) => true,
        }
    }

    fn status(&self) -> Option<u16> {
        self.as_ref().ok().and_then(R::status)
    }

    fn reject(error: IsolationError) -> Self {
        match R::rejection(&error) {
            Some(response) => Ok(response),
            None => Err(E::from(error)),
        }
    }
}

/// Whether an HTTP answer with `status` is a failure of the handler's: a server error (5xx), as
/// an `Err` is. The one rule, for the Lambda responses and axum's alike.
pub(crate) fn failed_status(status: u16) -> bool {
    status >= 500
}

/// `{"error": "<code>", "message": "<public message>"}` — no internal detail.
pub fn error_body(error: &IsolationError) -> String {
    let kind = error.kind();
    serde_json::json!({ "error": kind.code(), "message": kind.public_message() }).to_string()
}

/// `Bearer <token>`, scheme case-insensitive (RFC 6750 §2.1, RFC 9110 §11.1).
fn bearer(value: Option<&http::HeaderValue>) -> Option<&str> {
    let value = value?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Claims from an API Gateway authorizer: HTTP API JWT authorizer (`jwt.claims`), REST
/// Cognito authorizer (`claims`), or a Lambda authorizer's context.
fn authorizer_claims(authorizer: &ApiGatewayRequestAuthorizer) -> Option<Claims> {
    if let Some(jwt) = &authorizer.jwt {
        return Some(jwt.claims.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect());
    }
    if let Some(Value::Object(claims)) = authorizer.other.get("claims") {
        return Some(claims.clone());
    }
    if !authorizer.fields.is_empty() {
        return Some(authorizer.fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    }
    // REST API Lambda authorizers put their context directly under `authorizer`.
    let context: Claims =
        authorizer.other.iter().filter(|(k, _)| *k != "principalId").map(|(k, v)| (k.clone(), v.clone())).collect();
    (!context.is_empty()).then_some(context)
}

/// An HTTP request as `lambda_http` delivers it (`lambda_http::Request`), or as axum and tower
/// see it once `lambda_http::run(router)` has converted it: the token is the `Authorization`
/// header, and the API Gateway request context and the Lambda context are in the extensions.
impl<B: Send> TenantEvent for http::Request<B> {
    type Caller = Http;
    fn bearer_token(&self) -> Option<&str> {
        bearer(self.headers().get(http::header::AUTHORIZATION))
    }
    fn authorizer_claims(&self) -> Option<Claims> {
        context_claims(self.extensions())
    }
    fn request_id(&self) -> Option<&str> {
        self.extensions().lambda_context_ref().map(|c| c.request_id.as_str())
    }
    fn lambda_tenant_id(&self) -> Option<&str> {
        self.extensions().lambda_context_ref().and_then(|c| c.tenant_id.as_deref())
    }
}

/// The head of an HTTP request (what a tower layer or an axum extractor reads before the body).
impl TenantEvent for http::request::Parts {
    type Caller = Http;
    fn bearer_token(&self) -> Option<&str> {
        bearer(self.headers.get(http::header::AUTHORIZATION))
    }
    fn authorizer_claims(&self) -> Option<Claims> {
        context_claims(&self.extensions)
    }
    fn request_id(&self) -> Option<&str> {
        self.extensions.lambda_context_ref().map(|c| c.request_id.as_str())
    }
    fn lambda_tenant_id(&self) -> Option<&str> {
        self.extensions.lambda_context_ref().and_then(|c| c.tenant_id.as_deref())
    }
}

/// The authorizer claims of the API Gateway request context `lambda_http` put in the extensions.
fn context_claims(extensions: &http::Extensions) -> Option<Claims> {
    match extensions.request_context_ref()? {
        lambda_http::request::RequestContext::ApiGatewayV1(c) => authorizer_claims(&c.authorizer),
        lambda_http::request::RequestContext::ApiGatewayV2(c) => authorizer_claims(c.authorizer.as_ref()?),
        _ => None,
    }
}

/// An API Gateway REST API (v1) proxy event's payload: the `Authorization` header, and the
/// authorizer's claims of its request context. Served through `LambdaEvent<ApiGatewayProxyRequest>`.
impl TenantPayload for ApiGatewayProxyRequest {
    type Caller = Http;
    fn bearer_token(&self) -> Option<&str> {
        bearer(self.headers.get(http::header::AUTHORIZATION))
    }
    fn authorizer_claims(&self) -> Option<Claims> {
        authorizer_claims(&self.request_context.authorizer)
    }
}

/// An API Gateway HTTP API (v2) proxy event's payload (as the REST one above).
impl TenantPayload for ApiGatewayV2httpRequest {
    type Caller = Http;
    fn bearer_token(&self) -> Option<&str> {
        bearer(self.headers.get(http::header::AUTHORIZATION))
    }
    fn authorizer_claims(&self) -> Option<Claims> {
        authorizer_claims(self.request_context.authorizer.as_ref()?)
    }
}

/// Any event as Lambda delivers it: the payload says who the caller is; the Lambda context, and
/// only it, gives the request id and the tenant id of Lambda's tenant isolation mode. So a
/// custom event (`LambdaEvent<MyJob>` with `MyJob: TenantPayload`) is checked against the Lambda
/// tenant id like an HTTP one, and `required` mode works for it; a payload cannot claim a Lambda
/// tenant id of its own (whatever it says is not read).
impl<T: TenantPayload> TenantEvent for LambdaEvent<T> {
    type Caller = T::Caller;
    fn bearer_token(&self) -> Option<&str> {
        self.payload.bearer_token()
    }
    fn authorizer_claims(&self) -> Option<Claims> {
        self.payload.authorizer_claims()
    }
    fn request_id(&self) -> Option<&str> {
        Some(&self.context.request_id)
    }
    fn lambda_tenant_id(&self) -> Option<&str> {
        self.context.tenant_id.as_deref()
    }
}

impl Rejection<Http> for lambda_http::Response<lambda_http::Body> {
    fn rejection(error: &IsolationError) -> Option<Self> {
        lambda_http::Response::builder()
            .status(error.status())
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(lambda_http::Body::Text(error_body(error)))
            .ok()
    }
    fn status(&self) -> Option<u16> {
        Some(lambda_http::Response::status(self).as_u16())
    }
}

fn json_headers() -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    headers
}

/// API Gateway's proxy responses, REST (v1) and HTTP API (v2): the same three fields, written
/// once for both.
macro_rules! proxy_response_rejection {
    ($($response:ident),*) => {$(
        impl Rejection<Http> for $response {
            fn rejection(error: &IsolationError) -> Option<Self> {
                let mut r = $response::default();
                r.status_code = i64::from(error.status());
                r.headers = json_headers();
                r.body = Some(EventBody::Text(error_body(error)));
                Some(r)
            }
            fn status(&self) -> Option<u16> {
                u16::try_from(self.status_code).ok()
            }
        }
    )*};
}

proxy_response_rejection!(ApiGatewayProxyResponse, ApiGatewayV2httpResponse);
