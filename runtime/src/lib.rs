//! # tenant-isolation
//!
//! Leak-proof multi-tenant AWS Lambda handlers over a pooled DynamoDB table.
//!
//! ```no_run
//! use lambda_http::{Body, Error, Request, Response};
//! use tenant_isolation::{tenant_isolated, TenantTable};
//!
//! #[tenant_isolated(table = "Orders", actions = [GetItem])]
//! async fn get_order(orders: TenantTable, request: Request) -> Result<Response<Body>, Error> {
//!     let item = orders
//!         .get_item()?
//!         .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(orders.partition_key()?))
//!         .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("ORDER#1".into()))
//!         .send()
//!         .await?;
//!     Ok(Response::new(Body::from(format!("{:?}", item.item()))))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     lambda_http::run(lambda_http::service_fn(get_order)).await
//! }
//! ```
//!
//! Per invocation, the generated code verifies the caller's JWT, validates the tenant id
//! it names, takes cached (or fresh, from one coalesced STS `AssumeRole`) credentials whose
//! session policy confines DynamoDB to that tenant's partition keys, and runs the handler
//! inside a tokio task-local [`Scope`]. See the README for the whole design.

#![forbid(unsafe_code)]

mod config;
mod credentials;
mod error;
mod event;
mod guard;
pub mod identity;
mod isolation;
mod registry;
pub mod scope;
mod signing;
mod spec;
mod table;

pub use config::ConfigError;
pub use credentials::{CredentialsError, CredentialsErrorKind, SESSION_DURATION_RANGE, Stats};
pub use error::{ErrorKind, IsolationError};
pub use event::{Claims, HandlerOutput, Rejection, TenantEvent, error_body};
pub use guard::{GuardViolation, Violation};
pub use identity::{Identity, Verifier};
pub use isolation::{DEFAULT_OPERATION_TIMEOUT, Isolation, IsolationBuilder};
pub use registry::registered_handlers;
pub use scope::{Scope, ScopeError, current, current_tenant, spawn};
pub use spec::{HandlerSpec, leak_spec};
pub use table::{Allows, Policy, TenantTable, TransactWrite, actions};
pub use tenant_isolation_core::{
    Action, InvalidTenantId, MAX_TENANT_ID_LEN, Partition, PolicySpec, RoleArn, TableName, TenantId, role_policy,
    tag_role_policy,
};
#[doc(inline)]
pub use tenant_isolation_macros::tenant_isolated;

/// Used by the code `#[tenant_isolated]` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::table::Policy;
    pub use inventory;

    use crate::{HandlerOutput, HandlerSpec, Isolation, IsolationError, TenantEvent, TenantTable};
    use std::future::Future;

    /// A handler's spec, collected from every `#[tenant_isolated]` in the binary.
    pub struct Registration(pub &'static HandlerSpec);
    inventory::collect!(Registration);

    /// The policy type given to a handler whose attribute failed to compile, so that the
    /// body still type-checks (IDEs) without piling up secondary errors. Never runs.
    pub enum Unchecked {}
    impl Policy for Unchecked {
        const SPEC: &'static HandlerSpec = &HandlerSpec {
            name: "",
            module_path: "",
            table: "",
            table_env: None,
            indexes: &[],
            actions: &[],
            key_prefix: "",
            template: "",
            session_tag: None,
            policy_id: 0,
        };
    }
    macro_rules! unchecked_allows {
        ($($(#[$doc:meta])* $a:ident,)*) => { $(impl crate::Allows<crate::actions::$a> for Unchecked {})* };
    }
    tenant_isolation_core::with_actions!(unchecked_allows);

    /// A generated handler's event and output types. The macro implements it with the types
    /// of the handler's signature (and their spans), so that an event that is not a
    /// [`TenantEvent`] or an output that is not a [`HandlerOutput`] is reported once, at the
    /// signature, instead of at every call below.
    pub trait Handler: Policy {
        /// The event parameter's type.
        type Event: TenantEvent;
        /// The return type.
        type Output: HandlerOutput;
    }

    /// The body of every generated handler function: the process-wide [`Isolation`].
    pub async fn run_global<H, F, Fut>(event: H::Event, handler: F) -> H::Output
    where
        H: Handler,
        F: FnOnce(TenantTable<H>, H::Event) -> Fut,
        Fut: Future<Output = H::Output>,
    {
        match Isolation::global().await {
            Ok(isolation) => run_with::<H, F, Fut>(isolation, event, handler).await,
            Err(e) => {
                tracing::error!(error = %e, "tenant isolation is not configured");
                <H::Output as HandlerOutput>::reject(IsolationError::Config(e))
            }
        }
    }

    /// The body of every generated `call_with`: an explicit [`Isolation`].
    pub async fn run_with<H, F, Fut>(isolation: &Isolation, event: H::Event, handler: F) -> H::Output
    where
        H: Handler,
        F: FnOnce(TenantTable<H>, H::Event) -> Fut,
        Fut: Future<Output = H::Output>,
    {
        isolation.run::<H, H::Event, H::Output, F, Fut>(event, handler).await
    }
}
