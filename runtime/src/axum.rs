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
//!   [`Entered`]: it enters the tenant's scope under the handler's policy (cached STS
//!   credentials), and the body runs inside that scope, which ends when it returns. Without the
//!   layer, `Entered` authenticates the request itself.
//! * [`IsolationError`] is an axum response with its status and a small JSON body.

use crate::error::IsolationError;
use crate::event::error_body;
use crate::identity::Identity;
use crate::isolation::Isolation;
use crate::scope::Scope;
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
            Runtime::Global => Ok(Isolation::global().await?.clone()),
        }
    }
}

/// What [`TenantLayer`] established for a request, in its extensions.
#[derive(Clone, Debug)]
struct Authenticated {
    isolation: Isolation,
    identity: Identity,
}

/// A tower layer that authenticates every request once, before routing: a refused request is
/// answered here (401, 403 or 503, no STS call) and never reaches a handler.
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
                Err(e) => return Ok(refuse(e)),
            };
            // The head alone: the body is not read (nor required to be `Sync`) to authenticate.
            let (mut parts, body) = request.into_parts();
            match isolation.authenticate(&parts).await {
                Ok(identity) => {
                    parts.extensions.insert(Authenticated { isolation, identity });
                    inner.call(http::Request::from_parts(parts, body)).await
                }
                Err(e) => Ok(refuse(e)),
            }
        })
    }
}

fn refuse(e: IsolationError) -> Response {
    tracing::warn!(status = e.status(), error = %e, "request refused");
    e.into_response()
}

/// The tenant's scope under `P`'s policy, entered for one request: the first extractor of every
/// `#[tenant_isolated(axum, ...)]` handler. Its rejection is the refusal's response.
pub struct Entered<P> {
    scope: Scope,
    _policy: PhantomData<fn() -> P>,
}

impl<P> std::fmt::Debug for Entered<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entered").field("scope", &self.scope).finish()
    }
}

impl<P: Isolated, S: Send + Sync> FromRequestParts<S> for Entered<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        let (isolation, identity) = match parts.extensions.get::<Authenticated>() {
            Some(a) => (a.isolation.clone(), a.identity.clone()),
            // No layer: this handler authenticates the request itself.
            None => {
                let isolation = Runtime::Global.get().await.map_err(refuse)?;
                let identity = isolation.authenticate(&*parts).await.map_err(refuse)?;
                (isolation, identity)
            }
        };
        let request_id = crate::event::TenantEvent::request_id(&*parts).map(str::to_owned);
        let scope = isolation.enter(P::SPEC, &identity.tenant, request_id).await.map_err(refuse)?;
        Ok(Entered { scope, _policy: PhantomData })
    }
}

impl<P: Isolated> Entered<P> {
    /// Runs the handler's body inside the scope; the scope ends when it returns.
    pub async fn run<F: Future>(self, handler: impl FnOnce() -> F) -> F::Output {
        self.scope.run_invocation(handler()).await
    }

    /// The scope (tenant, session, handler).
    pub fn scope(&self) -> &Scope {
        &self.scope
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
