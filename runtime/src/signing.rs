//! Which credentials sign a request: those of the scope it was sent from, attached to that
//! one request by the key guard.
//!
//! There is one DynamoDB client per handler policy, shared by every tenant, instead of one
//! per tenant: a client costs ~20 KB and ~190 µs to build (docs/BENCHMARKS.md), while a
//! tenant's cached entry costs ~2 KB. The client's signing identity therefore cannot
//! be fixed when it is built. It is also never read from "the current tenant" by a shared
//! credentials provider, which is the SDK identity-cache trap (an SDK client caches the identity
//! its provider returns, `IdentityCache::lazy()` by default): a provider is
//! called when the SDK decides, and an identity cache in front of it would keep serving the
//! first tenant's credentials to the next. Instead:
//!
//! 1. the guard (`Guard` in `guard/intercept.rs`, one layer up), in its interceptor hook
//!    `read_before_serialization` (after every other interceptor could change the input),
//!    takes the task's scope, checks every key of the request against that scope's tenant
//!    and, only if they pass, stores that scope's credentials in **this request's** config bag
//!    ([`ScopeCredentials`]); it refuses the request before signing if anything changed it
//!    after the check;
//! 2. the client's identity cache is [`FromRequest`]: it ignores every resolver and hands
//!    the SigV4 signer exactly the credentials in the request's bag, and fails without them.
//!    It caches nothing, so a request can only ever be signed with what its own guard check
//!    attached;
//! 3. the client's credentials provider is [`NoAmbientCredentials`], which always fails: the
//!    execution role's credentials from the `SdkConfig` are not on the client at all.
//!
//! A request sent outside any scope is refused by step 1 and never signed. The SDK runs
//! interceptors and identity resolution inline in the `send()` future (no spawned task), and
//! a config bag belongs to one operation, so concurrent requests of different tenants on the
//! shared client cannot see each other's credentials; `tests/it/signing.rs` checks the
//! access key of every request moto received against the tenant whose keys it carried.

use crate::scope::ScopeError;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, error::CredentialsError, future};
use aws_smithy_runtime_api::client::identity::{
    Identity, IdentityFuture, ResolveCachedIdentity, SharedIdentityResolver,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// The credentials of the scope a request was sent from, in that request's config bag.
#[derive(Debug, Clone)]
pub(crate) struct ScopeCredentials(Credentials);

impl ScopeCredentials {
    pub(crate) fn new(credentials: Credentials) -> ScopeCredentials {
        ScopeCredentials(credentials)
    }
}

impl Storable for ScopeCredentials {
    type Storer = StoreReplace<Self>;
}

/// The identity "cache" of a policy client: the request's own [`ScopeCredentials`], never
/// anything cached or resolved elsewhere.
#[derive(Debug)]
pub(crate) struct FromRequest;

impl ResolveCachedIdentity for FromRequest {
    fn resolve_cached_identity<'a>(
        &'a self,
        _resolver: SharedIdentityResolver,
        _runtime_components: &'a RuntimeComponents,
        config_bag: &'a ConfigBag,
    ) -> IdentityFuture<'a> {
        IdentityFuture::ready(match config_bag.load::<ScopeCredentials>() {
            Some(ScopeCredentials(credentials)) => Ok(Identity::from(credentials.clone())),
            // Unreachable through the key guard, which attaches credentials or fails the
            // request; refused rather than signed with anything else.
            None => Err(Box::new(ScopeError::Outside)),
        })
    }
}

/// The credentials provider of a policy client: there are no client-wide credentials.
#[derive(Debug)]
pub(crate) struct NoAmbientCredentials;

impl ProvideCredentials for NoAmbientCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "a tenant-isolation client signs each request with its scope's credentials only",
        )))
    }
}
