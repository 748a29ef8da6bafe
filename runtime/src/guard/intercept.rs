//! The one guard interceptor, on every policy client (DynamoDB; S3 with feature `s3`, SQS with
//! feature `sqs`): it
//! takes the scope of the task that sends a request, has the service's [`RuleSet`] decide the
//! request for that scope's tenant, and only then attaches that scope's credentials to the
//! request for signing ([`crate::signing`]). The tenant whose request is checked and the tenant
//! whose credentials sign it are read once, from one scope, by one call: they cannot differ.
//!
//! What is service-specific (which requests a tenant may send, which parts of a serialized
//! request say what it does) is the rule set's; what is here is the same for every service:
//! the order of the hooks, the scope, the credentials, the snapshot kept from serialization to
//! signing, and how a refusal is recorded.

use super::violation::{GuardViolation, Violation};
use crate::scope::ScopeError;
use crate::session::PolicyKey;
use crate::signing::ScopeCredentials;
use crate::spec::HandlerSpec;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef, Input,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use std::fmt;
use std::sync::Arc;
use tenant_isolation_core::{Placement, TenantId};

/// One service's rules: which requests a tenant may send, and what of a serialized request
/// must not change between the check and signing.
///
/// [`RuleSet::check`] is a pure function of the operation's typed input (the SDK's type-erased
/// [`Input`], as the interceptor receives it: a unit test builds one with `Input::erase`) and
/// the model the rule set was built from (the handler's spec, its placement, its key schema):
/// it needs no scope, no client and no server.
pub(crate) trait RuleSet: fmt::Debug + Send + Sync + 'static {
    /// The interceptor's name, in the SDK's errors and traces.
    const NAME: &'static str;

    /// What a check let through, kept until signing: the operation (and, for S3, the bucket
    /// the request was checked against).
    type Decision: Clone + fmt::Debug + Send + Sync + 'static;

    /// The parts of a serialized request that say what it does.
    type Snapshot: Clone + fmt::Debug + Send + Sync + 'static;

    /// Whether `tenant` may send `input`: the decision, or the refusal.
    fn check(&self, tenant: &TenantId, input: &Input) -> Result<Self::Decision, GuardViolation>;

    /// The operation a decision is for, as a refusal after the check names it.
    fn operation(decision: &Self::Decision) -> &'static str;

    /// The serialized request's snapshot, or what in it no tenant session may send (a header
    /// that needs an action none is granted, say).
    fn snapshot(&self, decision: &Self::Decision, request: &Request) -> Result<Self::Snapshot, Violation>;

    /// Whether `request`, about to be signed, is still the one recorded in `snapshot` (sent
    /// where the decision allows: `cfg` holds the endpoint the SDK applied, `components` the
    /// client's endpoint resolver).
    fn unchanged(
        &self,
        decision: &Self::Decision,
        snapshot: &Self::Snapshot,
        request: &Request,
        cfg: &ConfigBag,
        components: &RuntimeComponents,
    ) -> bool;
}

/// The interceptor on a handler policy's client (one client per policy, shared by every
/// tenant), deciding with the rule set `R`.
#[derive(Debug)]
pub(crate) struct Guard<R> {
    spec: &'static HandlerSpec,
    policy: PolicyKey,
    /// The deployment's region: every request is signed for it.
    region: String,
    rules: R,
}

impl<R: RuleSet> Guard<R> {
    /// The guard of `spec`'s policy `policy` placed by `placement`, deciding with `rules`.
    pub(crate) fn new(spec: &'static HandlerSpec, policy: PolicyKey, placement: &Placement, rules: R) -> Guard<R> {
        Guard { spec, policy, region: placement.region().to_owned(), rules }
    }
}

/// The sending task's live scope, which must be of `policy`: a client that escaped into a task
/// without a scope (plain `tokio::spawn`) has no tenant and no credentials, and a client of one
/// handler's policy sends nothing in another's scope.
fn sending_scope(policy: &PolicyKey, client: &'static HandlerSpec) -> Result<crate::Scope, BoxError> {
    let scope = crate::scope::current()?;
    if scope.policy() != policy {
        return Err(Box::new(ScopeError::ClientMismatch { client: client.name(), actual: scope.handler().name() }));
    }
    Ok(scope)
}

/// A refusal: logged, recorded in the sending scope and boxed for the SDK.
///
/// The scope keeps a copy of its own and a weak handle on the boxed one's `held` marker: a
/// handler that fails while still holding the refusal (its `?` carried the `SdkError` into its
/// error, however wrapped) answers with the refusal's status, and a refusal the handler dropped
/// (it treated it as "not found" and went on) decides nothing about a later, unrelated failure.
fn refuse(v: GuardViolation) -> BoxError {
    tracing::warn!(tenant = %v.tenant(), operation = v.operation(), reason = %v.violation(), "guard refused a request");
    if let Ok(scope) = crate::scope::current() {
        let (copy, held) = v.record();
        scope.record_refusal(Arc::new(copy), held);
    }
    Box::new(v)
}

/// What the guard checked, kept in the request's config bag from the check to signing (one
/// type per rule set: a DynamoDB and an S3 check never share a slot).
#[derive(Debug)]
struct Checked<R: RuleSet> {
    tenant: TenantId,
    decision: R::Decision,
    /// The request as serialized from the checked input (`None` until serialization).
    request: Option<R::Snapshot>,
}

// By hand: a derive would ask `R: Clone`, and only the decision and the snapshot are cloned.
impl<R: RuleSet> Clone for Checked<R> {
    fn clone(&self) -> Self {
        Checked { tenant: self.tenant.clone(), decision: self.decision.clone(), request: self.request.clone() }
    }
}

impl<R: RuleSet> Storable for Checked<R> {
    type Storer = StoreReplace<Self>;
}

impl<R: RuleSet> Checked<R> {
    fn refusal(&self, reason: Violation) -> BoxError {
        refuse(GuardViolation::new(self.tenant.clone(), R::operation(&self.decision), reason))
    }
}

/// The guard's hooks, in the order the SDK runs them for one request (each hook runs for every
/// interceptor before the next hook starts, so the caller's own interceptors, `customize()`
/// and `mutate_request` all run between them):
///
/// 1. `read_before_serialization`, after every `modify_before_serialization`: the typed input
///    as it will be serialized is checked against the sending scope's tenant, and only then
///    that scope's credentials are attached to this request;
/// 2. `read_after_serialization`: the serialized request is recorded (or refused, for a part
///    the rule set refuses there);
/// 3. `read_before_signing`, after the endpoint was applied and every
///    `modify_before_retry_loop` and `modify_before_signing` ran: the request about to be
///    signed must still be the one recorded, sent where the check allows. A change made after
///    the check (a swapped key in the body, another operation, another bucket) is refused and
///    nothing is signed.
impl<R: RuleSet> Intercept for Guard<R> {
    fn name(&self) -> &'static str {
        R::NAME
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let scope = sending_scope(&self.policy, self.spec)?;
        let decision = self.rules.check(scope.tenant(), context.input()).map_err(refuse)?;
        // Checked: this request is signed with this scope's credentials and no others.
        cfg.interceptor_state().store_put(ScopeCredentials::new(scope.credentials().clone()));
        cfg.interceptor_state().store_put(Checked::<R> { tenant: scope.tenant().clone(), decision, request: None });
        Ok(())
    }

    fn read_after_serialization(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(checked) = cfg.load::<Checked<R>>().cloned() else {
            return Err(Box::new(ScopeError::Outside));
        };
        let snapshot = self.rules.snapshot(&checked.decision, context.request()).map_err(|v| checked.refusal(v))?;
        cfg.interceptor_state().store_put(Checked::<R> { request: Some(snapshot), ..checked });
        Ok(())
    }

    fn read_before_signing(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(checked) = cfg.load::<Checked<R>>() else {
            return Err(Box::new(ScopeError::Outside));
        };
        // Signed for the deployment's region, whatever the service: a region overridden on one
        // operation (`customize().config_override(...)`) after the check would send the checked
        // request, with the tenant's credentials, to another region's resources of the same name
        // (found by the red-team review of issue 25; the session policy names `{{region}}` too).
        let region = cfg.load::<aws_types::region::SigningRegion>().map(AsRef::as_ref);
        let intact = region == Some(self.region.as_str())
            && checked.request.as_ref().is_some_and(|snapshot| {
                self.rules.unchanged(&checked.decision, snapshot, context.request(), cfg, components)
            });
        if !intact {
            return Err(checked.refusal(Violation::Altered));
        }
        Ok(())
    }
}
