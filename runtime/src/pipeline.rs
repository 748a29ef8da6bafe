//! The one invocation pipeline. Every front end (the Lambda `service_fn` handlers and
//! `call_with`, [`Isolation::run`], the axum layer and extractor) is an adapter over it: it
//! turns its input into the pipeline's and the pipeline's result into its own answer, and owns
//! nothing else, so that no front end can behave differently from another.
//!
//! ```text
//!  where the tenant comes from     the Lambda tenant id     enter            run           the answer
//!  ─────────────────────────── ─▶ ───────────────────── ─▶ ──────────── ─▶ ─────────── ─▶ ──────────────────
//!  a verified bearer token,        when the invocation      cached (or one   the handler   a refusal the failed
//!  or an authorizer's claims       carries one, it must     coalesced STS)   inside the    handler still holds
//!  (trusted-claims mode)           be the tenant; under     credentials      task-local    answers for it
//!  → TenantId (charset checked)    `required`, it must be   for the spec's   scope, which  (403), whatever the
//!                                  there. No STS call yet.  policy           ends with it  front end
//! ```
//!
//! All of it runs in one tracing span, `tenant_isolated`, with the handler, the request id, the
//! tenant once known, the outcome (`served`, `failed`, `refused`) and the status where there is
//! one; a refusal is logged there once, with its reason. With metrics on ([`crate::Metrics`]),
//! each invocation is one CloudWatch EMF line, written here too.

use crate::error::IsolationError;
use crate::event::{Caller, HandlerOutput, TenantEvent};
use crate::guard::GuardViolation;
use crate::identity::{Identity, IdentityError};
use crate::isolation::{Isolation, LambdaTenantMode};
use crate::metrics::Ended;
use crate::spec::HandlerSpec;
use crate::table::Isolated;
use std::future::Future;
use tenant_isolation_core::TenantId;
use tracing::Instrument;

/// What the pipeline needs to know of a handler's answer: whether it failed (an `Err`, or an
/// HTTP answer with a 5xx status), and its HTTP status when it has one (for the logs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) failed: bool,
    pub(crate) status: Option<u16>,
}

impl Answer {
    /// A handler's output as its own answer, judged by what it says of itself
    /// ([`HandlerOutput::failed`], its status).
    pub(crate) fn of<C: Caller, O: HandlerOutput<C>>(out: O) -> (Answer, O) {
        (Answer { failed: out.failed(), status: out.status() }, out)
    }

    /// An HTTP answer with `status` (axum's): failed when it is a server error.
    #[cfg(feature = "axum")]
    pub(crate) fn http(status: u16) -> Answer {
        Answer { failed: crate::event::failed_status(status), status: Some(status) }
    }
}

/// One invocation on its way through the pipeline: the runtime, and the span everything of the
/// invocation is logged in. Cheap to clone (the axum layer hands it to the route's extractor).
#[derive(Clone, Debug)]
pub(crate) struct Invocation {
    isolation: Isolation,
    handler: Option<&'static str>,
    span: tracing::Span,
    request_id: Option<String>,
}

impl Invocation {
    /// Starts an invocation: its span, with the handler when already known (an axum layer
    /// authenticates before routing, and names the handler when the route's extractor runs).
    pub(crate) fn start(
        isolation: &Isolation,
        handler: Option<&'static HandlerSpec>,
        request_id: Option<&str>,
    ) -> Self {
        let span = tracing::info_span!(
            "tenant_isolated",
            handler = handler.map(HandlerSpec::name),
            request_id = request_id.unwrap_or_default(),
            tenant = tracing::field::Empty,
            outcome = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        Invocation {
            isolation: isolation.clone(),
            handler: handler.map(HandlerSpec::name),
            span,
            request_id: request_id.map(str::to_owned),
        }
    }

    /// Stage 1, who is calling: the tenant from the event's verified token (or, in
    /// trusted-claims mode, the authorizer's claims), then Lambda's tenant id checked against
    /// it. No STS call. A refusal is logged in the invocation's span.
    pub(crate) async fn identify<E: TenantEvent + ?Sized>(&self, event: &E) -> Result<Identity, IsolationError> {
        // Boxed, as the scope's entry and the handler in `run`: each reaches deep into the SDK's
        // futures (key sets, STS) or the user's, and nested inline, a binary that drives several
        // handlers in one `async fn` reached rustc's query depth limit computing its layout (the
        // orders demo did). One allocation each per invocation.
        let identity = Box::pin(identify(&self.isolation, event)).instrument(self.span.clone()).await;
        match &identity {
            Ok(identity) => {
                self.span.record("tenant", identity.tenant.as_str());
            }
            Err(e) => self.refused(e),
        }
        identity
    }

    /// Stage 1 for a record ([`crate::records`]): the tenant its source read from it, or why
    /// it has none (logged as the refusal, no STS call).
    pub(crate) fn identified(&self, tenant: Result<TenantId, IsolationError>) -> Result<Identity, IsolationError> {
        match tenant {
            Ok(tenant) => {
                self.span.record("tenant", tenant.as_str());
                Ok(Identity { tenant, subject: None })
            }
            Err(e) => {
                self.refused(&e);
                Err(e)
            }
        }
    }

    /// Stages 2 to the end, for a caller already identified: enter the tenant's scope under
    /// `spec`'s policy, run the handler inside it, end the scope, and decide the answer. `judge`
    /// turns the handler's output into the front end's answer and says whether it failed. `Err`
    /// is a refusal: before the handler ran (credentials), or one that the failed handler's
    /// output still holds.
    pub(crate) async fn run<O, R, Fut>(
        mut self,
        spec: &'static HandlerSpec,
        identity: &Identity,
        handler: impl FnOnce() -> Fut,
        judge: impl FnOnce(O) -> (Answer, R),
    ) -> Result<R, IsolationError>
    where
        Fut: Future<Output = O>,
    {
        // The tenant is on the span already: `identify` recorded it on this invocation's span.
        self.handler = Some(spec.name());
        self.span.record("handler", spec.name());
        let span = self.span.clone();
        async move {
            let scope = match Box::pin(self.isolation.enter(spec, &identity.tenant, self.request_id.clone())).await {
                Ok(scope) => scope,
                Err(e) => {
                    self.refused(&e);
                    return Err(e);
                }
            };
            // Boxed (see `identify`): the handler's future is the user's, of any depth.
            let out = scope.clone().run_invocation(Box::pin(handler())).await;
            // Asked while the output is still whole: a refusal is held if the output keeps its
            // error (the front end's answer may be made from it, and drop it).
            let held = scope.take_held_refusal();
            let (answer, out) = judge(out);
            // A handler that failed holding a guard's refusal (its `?` carried the SDK's error
            // into its own) answers with the refusal (403), not with its own failure, which an
            // HTTP caller would see as a 500 or, for a Lambda error, a 502. A refusal the handler
            // dropped and went on from is no cause of a later failure.
            if answer.failed
                && let Some(v) = held.as_deref().and_then(|r| r.downcast_ref::<GuardViolation>())
            {
                let e = IsolationError::Guard(v.clone());
                self.refused(&e);
                return Err(e);
            }
            self.span.record("outcome", if answer.failed { "failed" } else { "served" });
            if let Some(status) = answer.status {
                self.span.record("status", status);
            }
            self.ended(Ended::Ran { failed: answer.failed });
            Ok(out)
        }
        .instrument(span)
        .await
    }

    /// Logs a refusal once, in the invocation's span, with its status and reason.
    fn refused(&self, e: &IsolationError) {
        self.span.record("outcome", "refused");
        self.span.record("status", e.status());
        self.span.in_scope(|| tracing::warn!(status = e.status(), error = %e, "invocation refused"));
        self.ended(Ended::Refused(e));
    }

    /// Counts the invocation in the metrics (when they are on).
    fn ended(&self, ended: Ended<'_>) {
        let isolation = &self.isolation;
        isolation.metrics().record(self.handler.unwrap_or_default(), ended, || isolation.stats());
    }
}

/// Stage 1 itself (see [`Invocation::identify`]).
async fn identify<E: TenantEvent + ?Sized>(isolation: &Isolation, event: &E) -> Result<Identity, IsolationError> {
    let verifier = isolation.verifier()?;
    let identity = if verifier.trusts_authorizer_claims() {
        match event.authorizer_claims() {
            Some(claims) => verifier.identity_from_trusted_claims(&claims)?,
            None => return Err(IdentityError::MissingToken.into()),
        }
    } else {
        match event.bearer_token() {
            Some(token) => verifier.verify(token).await?,
            None => return Err(IdentityError::MissingToken.into()),
        }
    };
    check_lambda_tenant(event.lambda_tenant_id(), isolation.lambda_tenant_mode(), &identity)?;
    Ok(identity)
}

/// Lambda's tenant isolation mode: an invocation that carries a Lambda tenant id must carry the
/// verified tenant's, whatever its event type; under [`LambdaTenantMode::Required`] it must carry
/// one. Lambda keeps execution environments apart per tenant id, and an environment of tenant A
/// must never act for tenant B.
fn check_lambda_tenant(lambda: Option<&str>, mode: LambdaTenantMode, identity: &Identity) -> Result<(), IdentityError> {
    match (lambda, mode) {
        // Exact, case-sensitive: Lambda routes by the id as given, and tenant ids are compared
        // as bytes everywhere else (policy patterns, keys).
        (Some(id), _) if id != identity.tenant.as_str() => Err(IdentityError::LambdaTenantMismatch),
        (None, LambdaTenantMode::Required) => Err(IdentityError::LambdaTenantMissing),
        _ => Ok(()),
    }
}

/// [`check_lambda_tenant`] for a batch of records, before any of them runs: when the invocation
/// carries a Lambda tenant id, every record must be that tenant's (a record without a tenant
/// is no tenant's); under `required` it must carry one.
pub(crate) fn check_lambda_tenant_of_batch(
    lambda: Option<&str>,
    mode: LambdaTenantMode,
    tenants: &[Option<&TenantId>],
) -> Result<(), IdentityError> {
    match (lambda, mode) {
        (None, LambdaTenantMode::Required) => Err(IdentityError::LambdaTenantMissing),
        (None, LambdaTenantMode::Checked) => Ok(()),
        (Some(_), _) => tenants.iter().try_for_each(|tenant| match tenant {
            Some(tenant) => check_lambda_tenant(lambda, mode, &Identity { tenant: (*tenant).clone(), subject: None }),
            None => Err(IdentityError::LambdaTenantMismatch),
        }),
    }
}

/// The pipeline as `Isolation`'s methods: the Lambda front end ([`Isolation::run`], what
/// `#[tenant_isolated]` handlers and their `call_with` expand to) and its first stage alone.
impl Isolation {
    /// Step 1: who is calling. Verifies the event's bearer token (or, in trusted-claims
    /// mode, reads the authorizer's claims) and validates the tenant id; then, when the
    /// invocation carries a Lambda tenant id (tenant isolation mode), it must be the verified
    /// tenant ([`LambdaTenantMode`]). No STS call. The first stage of the one invocation
    /// pipeline (`pipeline.rs`), which every front end runs.
    pub async fn authenticate<E: TenantEvent + ?Sized>(&self, event: &E) -> Result<Identity, IsolationError> {
        Invocation::start(self, None, event.request_id()).identify(event).await
    }

    /// The whole invocation: authenticate, enter the tenant's scope, run `handler` inside
    /// it, answer. A refusal (before the handler, or one the failed handler still holds)
    /// becomes the output's rejection: an HTTP response with the refusal's status for HTTP
    /// events, an `Err` otherwise. This is what `#[tenant_isolated]` expands to; the axum
    /// front end runs the same pipeline.
    ///
    /// `P` names the handler (its spec); the body takes its tables and buckets from the scope
    /// (`scope.table::<P>()`, or the handles `#[tenant_isolated]` passes).
    pub async fn run<P, Ev, Out, F, Fut>(&self, event: Ev, handler: F) -> Out
    where
        P: Isolated,
        Ev: TenantEvent,
        Out: HandlerOutput<Ev::Caller>,
        F: FnOnce(Ev) -> Fut,
        Fut: Future<Output = Out>,
    {
        self.invoke(P::SPEC, event, handler, Answer::of::<Ev::Caller, Out>).await.unwrap_or_else(Out::reject)
    }

    /// The whole pipeline for one event: identify the caller, enter the tenant's scope, run
    /// `handler` inside it, decide the answer. `Err` is the refusal the front end answers with.
    async fn invoke<E, O, R, F, Fut>(
        &self,
        spec: &'static HandlerSpec,
        event: E,
        handler: F,
        judge: impl FnOnce(O) -> (Answer, R),
    ) -> Result<R, IsolationError>
    where
        E: TenantEvent,
        F: FnOnce(E) -> Fut,
        Fut: Future<Output = O>,
    {
        let invocation = Invocation::start(self, Some(spec), event.request_id());
        let identity = invocation.identify(&event).await?;
        invocation.run(spec, &identity, || handler(event), judge).await
    }
}

// ---- What `#[tenant_isolated]` Lambda handlers expand to (through `__private`) ----------------

/// A generated handler's event and output types. The macro implements it with the types
/// of the handler's signature (and their spans), so that an event that is not a
/// [`TenantEvent`] or an output that is not a [`HandlerOutput`] is reported once, at the
/// signature, instead of at every call below.
pub trait Handler: Isolated {
    /// The event parameter's type.
    type Event: TenantEvent;
    /// The return type.
    type Output: HandlerOutput<<Self::Event as TenantEvent>::Caller>;
}

/// The body of every generated handler function: the process-wide [`Isolation`].
pub async fn run_global<H, F, Fut>(event: H::Event, handler: F) -> H::Output
where
    H: Handler,
    F: FnOnce(H::Event) -> Fut,
    Fut: Future<Output = H::Output>,
{
    match Isolation::global().await {
        Ok(isolation) => run_with::<H, F, Fut>(isolation, event, handler).await,
        Err(e) => {
            tracing::error!(error = %e, "tenant isolation is not configured");
            <H::Output as HandlerOutput<_>>::reject(IsolationError::Config(e))
        }
    }
}

/// The body of every generated `call_with`: an explicit [`Isolation`].
pub async fn run_with<H, F, Fut>(isolation: &Isolation, event: H::Event, handler: F) -> H::Output
where
    H: Handler,
    F: FnOnce(H::Event) -> Fut,
    Fut: Future<Output = H::Output>,
{
    isolation.run::<H, H::Event, H::Output, F, Fut>(event, handler).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> Identity {
        Identity { tenant: TenantId::parse("acme").unwrap(), subject: Some("alice".into()) }
    }

    /// The Lambda tenant id is compared exactly, for every mode; only `required` refuses its
    /// absence.
    #[test]
    fn the_lambda_tenant_id_must_be_the_tenant() {
        use LambdaTenantMode::{Checked, Required};
        for mode in [Checked, Required] {
            assert!(check_lambda_tenant(Some("acme"), mode, &acme()).is_ok());
            for other in ["globex", "ACME", "acme ", "", "acme#x"] {
                assert!(
                    matches!(check_lambda_tenant(Some(other), mode, &acme()), Err(IdentityError::LambdaTenantMismatch)),
                    "{other:?} under {mode:?}"
                );
            }
        }
        assert!(check_lambda_tenant(None, Checked, &acme()).is_ok());
        assert!(matches!(check_lambda_tenant(None, Required, &acme()), Err(IdentityError::LambdaTenantMissing)));
    }

    #[test]
    fn a_server_error_is_a_failed_answer() {
        use crate::event::failed_status;
        assert!(failed_status(500) && failed_status(503) && failed_status(599));
        assert!(!failed_status(404) && !failed_status(200) && !failed_status(403) && !failed_status(499));
    }
}
