//! axum routers of isolated handlers (feature `axum`).
//!
//! One Lambda function serves a whole `Router` through `lambda_http::run(router)` (or, for a
//! local run, `axum::serve`). Each route's handler declares its own least-privilege policy with
//! `#[tenant_isolated(axum, table = ..., actions = [...])]` and takes its typed table next to
//! any axum extractors; [`TenantLayer`] authenticates each request once, before routing.
//!
//! ```no_run
//! use axum::{Json, Router, extract::Path, routing::get};
//! use tenant_isolation::{IsolationError, TenantTable, axum::TenantLayer, tenant_isolated};
//!
//! #[tenant_isolated(axum, table = "Orders", actions = [GetItem])]
//! async fn get_order(orders: TenantTable, Path(id): Path<String>) -> Result<Json<String>, IsolationError> {
//!     let key = orders.key(&["ORDER", &id])?;
//!     Ok(Json(key))
//! }
//!
//! # async fn run() -> Result<(), lambda_http::Error> {
//! let isolation = tenant_isolation::Isolation::from_env().await?;
//! let app = Router::new().route("/orders/{id}", get(get_order)).layer(TenantLayer::new(isolation));
//! lambda_http::run(app).await
//! # }
//! ```
//!
//! * [`TenantLayer`] verifies the request's token (or reads an API Gateway authorizer's claims
//!   in trusted-claims mode) and checks the Lambda tenant id; a refusal is answered there, with
//!   401, 403 or 503, before any handler runs and without an STS call.
//! * The attribute turns the handler into an ordinary axum handler whose first extractor is
//!   [`Entered`] and whose answer is an `axum::response::Response`: the body runs inside the
//!   tenant's scope under the handler's policy (cached STS credentials), which ends when it
//!   returns. Without the layer, `Entered` authenticates the request itself.
//! * Both are adapters over the one invocation pipeline that the Lambda handlers run: the same
//!   checks (Lambda's tenant id included), the same answer to a refusal that a failed handler
//!   (a 5xx response) still holds (403), the same `tenant_isolated` span.
//! * [`IsolationError`] is an axum response with its status and a small JSON body.

use crate::error::IsolationError;
use crate::event::TenantEvent;
use crate::event::error_body;
use crate::identity::Identity;
use crate::isolation::Isolation;
use crate::pipeline::{Answer, Invocation};
use crate::table::Isolated;
use ::axum::extract::FromRequestParts;
use ::axum::response::{IntoResponse, Response};
use http::request::Parts;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The refusal's status and `{"error", "message"}` body, without internal detail.
impl IntoResponse for IsolationError {
    fn into_response(self) -> Response {
        let status = http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        (status, [(http::header::CONTENT_TYPE, "application/json")], error_body(&self)).into_response()
    }
}

/// Where a layer or an extractor finds the runtime: the one it was given, or the process-wide
/// one ([`Isolation::global`]).
#[derive(Clone, Debug, Default)]
enum Runtime {
    #[default]
    Global,
    Given(Isolation),
}

impl Runtime {
    async fn get(&self) -> Result<Isolation, IsolationError> {
        match self {
            Runtime::Given(isolation) => Ok(isolation.clone()),
            Runtime::Global => match Isolation::global().await {
                Ok(isolation) => Ok(isolation.clone()),
                Err(e) => {
                    tracing::error!(error = %e, "tenant isolation is not configured");
                    Err(e.into())
                }
            },
        }
    }
}

/// What [`TenantLayer`] established for a request, in its extensions: the invocation (its span)
/// and the caller.
#[derive(Clone, Debug)]
struct Authenticated {
    invocation: Invocation,
    identity: Identity,
}

/// A tower layer that authenticates every request once, before routing: a refused request is
/// answered here (401, 403 or 503, no STS call) and never reaches a handler. It runs the first
/// stage of the one invocation pipeline, the one every Lambda handler runs; the route's
/// [`Entered`] runs the rest.
#[derive(Clone, Debug, Default)]
pub struct TenantLayer {
    runtime: Runtime,
}

impl TenantLayer {
    /// Authenticates with `isolation`.
    pub fn new(isolation: Isolation) -> TenantLayer {
        TenantLayer { runtime: Runtime::Given(isolation) }
    }

    /// Authenticates with the process-wide runtime ([`Isolation::global`]).
    pub fn global() -> TenantLayer {
        TenantLayer { runtime: Runtime::Global }
    }
}

impl<S> tower_layer::Layer<S> for TenantLayer {
    type Service = TenantService<S>;
    fn layer(&self, inner: S) -> TenantService<S> {
        TenantService { inner, runtime: self.runtime.clone() }
    }
}

/// The service [`TenantLayer`] wraps around a router or a route.
#[derive(Clone, Debug)]
pub struct TenantService<S> {
    inner: S,
    runtime: Runtime,
}

impl<S, B> tower_service::Service<http::Request<B>> for TenantService<S>
where
    S: tower_service::Service<http::Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The clone that was polled ready serves this request (tower's usual hand-over).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let runtime = self.runtime.clone();
        Box::pin(async move {
            let isolation = match runtime.get().await {
                Ok(isolation) => isolation,
                Err(e) => return Ok(e.into_response()),
            };
            // The head alone: the body is not read (nor required to be `Sync`) to authenticate.
            let (mut parts, body) = request.into_parts();
            let invocation = Invocation::start(&isolation, None, TenantEvent::request_id(&parts));
            match invocation.identify(&parts).await {
                Ok(identity) => {
                    parts.extensions.insert(Authenticated { invocation, identity });
                    inner.call(http::Request::from_parts(parts, body)).await
                }
                Err(e) => Ok(e.into_response()),
            }
        })
    }
}

/// The caller of one request, identified for the handler `P`: the first extractor of every
/// `#[tenant_isolated(axum, ...)]` handler. Without [`TenantLayer`] it identifies the caller
/// itself (401, 403 or 503 as its rejection, no STS call). The handler's body runs through
/// [`Entered::run`], the rest of the one invocation pipeline.
pub struct Entered<P> {
    invocation: Invocation,
    identity: Identity,
    _policy: PhantomData<fn() -> P>,
}

impl<P> std::fmt::Debug for Entered<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entered").field("tenant", &self.identity.tenant).finish_non_exhaustive()
    }
}

impl<P: Isolated, S: Send + Sync> FromRequestParts<S> for Entered<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        let Authenticated { invocation, identity } = match parts.extensions.get::<Authenticated>() {
            Some(authenticated) => authenticated.clone(),
            // No layer: this handler identifies the caller itself.
            None => {
                let isolation = Runtime::Global.get().await.map_err(IntoResponse::into_response)?;
                let invocation = Invocation::start(&isolation, Some(P::SPEC), TenantEvent::request_id(&*parts));
                let identity = invocation.identify(&*parts).await.map_err(IntoResponse::into_response)?;
                Authenticated { invocation, identity }
            }
        };
        Ok(Entered { invocation, identity, _policy: PhantomData })
    }
}

impl<P: Isolated> Entered<P> {
    /// Runs the handler's body inside the tenant's scope under `P`'s policy (cached STS
    /// credentials); the scope ends when it returns. The answer is decided as for every front
    /// end: a refusal before the body ran, or one that a failed body (a 5xx response) still
    /// holds, answers with the refusal's status.
    pub async fn run<F>(self, handler: impl FnOnce() -> F) -> Response
    where
        F: Future,
        F::Output: IntoResponse,
    {
        let judge = |output: F::Output| {
            let response = output.into_response();
            (Answer::http(response.status().as_u16()), response)
        };
        match self.invocation.run(P::SPEC, &self.identity, handler, judge).await {
            Ok(response) => response,
            Err(refusal) => refusal.into_response(),
        }
    }

    /// The tenant this request is served for.
    pub fn tenant(&self) -> &tenant_isolation_core::TenantId {
        &self.identity.tenant
    }
}

/// `router` as `lambda_http::run_concurrent` serves it (Lambda Managed Instances, several
/// invocations at once in one process): each response's body is buffered into a
/// `lambda_http::Body`, which is `Sync` as `run_concurrent` requires and axum's body is not.
/// Scopes stay per request (task-local), so concurrent invocations of different tenants never
/// share one.
///
/// ```no_run
/// # async fn serve(router: axum::Router) -> Result<(), lambda_http::Error> {
/// lambda_http::run_concurrent(tenant_isolation::axum::concurrent(router)).await
/// # }
/// ```
pub fn concurrent(router: ::axum::Router) -> Concurrent {
    Concurrent { router }
}

/// A router whose response bodies are buffered ([`concurrent`]).
#[derive(Clone, Debug)]
pub struct Concurrent {
    router: ::axum::Router,
}

impl tower_service::Service<lambda_http::Request> for Concurrent {
    type Response = http::Response<lambda_http::Body>;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: lambda_http::Request) -> Self::Future {
        let mut router = self.router.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let request = http::Request::from_parts(parts, ::axum::body::Body::from(body.to_vec()));
            let response = match tower_service::Service::call(&mut router, request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let (parts, body) = response.into_parts();
            let body = match ::axum::body::to_bytes(body, usize::MAX).await {
                Ok(bytes) => lambda_http::Body::from(bytes.to_vec()),
                Err(e) => {
                    tracing::error!(error = %e, "a response body could not be read");
                    let response = (http::StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
                    let (parts, _) = response.into_parts();
                    return Ok(http::Response::from_parts(parts, lambda_http::Body::from("internal error")));
                }
            };
            Ok(http::Response::from_parts(parts, body))
        })
    }
}
