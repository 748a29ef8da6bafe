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
#![cfg_attr(docsrs, feature(doc_cfg))]

// The modules in layers, each importing only those above it in this list or on its own line,
// without a cycle; this crate root's own items are the bottom layer. `scripts/layers.py`
// (scripts/test.sh) checks the imports against this list, the one copy of it, and fails when a
// module is missing from it. `docs/ARCHITECTURE.md` says which module owns which rule.
//
//   kind, config, aws_error    leaf: the error taxonomy, the one settings layer, the one
//                              AWS error classifier
//   model                   the model's types, for code without the macro
//   sources                 record handlers' event sources: where each record's tenant is
//   spec                    a handler's compiled model
//   registry                the handlers linked into the binary (for the audit), the
//                           process's claims on tables and buckets (overlapping prefixes)
//   audit                   what deploy-time tools read (the audit crate)
//   session                 a tenant's credentials under one policy, the policy key
//   scope                   the task-local tenant scope
//   signing                 the request's credentials, and nothing else, sign it
//   guard                   one interceptor, a rule set per service (DynamoDB, S3, SQS): checks a
//                           request against its scope's tenant
//   table, bucket, named    the typed handles (DynamoDB, S3; secrets, parameters, queues)
//   client                  the guarded client of each policy
//   credentials             STS, the cache
//   identity                tokens → tenant (leaf apart from kind, config)
//   error, event            the error that gathers them all; events and responses
//   metrics                 opt-in CloudWatch EMF lines, one per invocation
//   isolation               the engine: the credential vendor, prepare, enter
//   settings, http_client   the builder: settings resolved once, the shared HTTP client
//   pipeline                the one invocation pipeline (and the Lambda front end over it)
//   batch                   record handlers: a batch through the pipeline, record by record
//   records                 record handlers' public face (the sources and the batch's error)
//   axum                    (feature) routers of isolated handlers, the tower layer
pub mod audit;
mod aws_error;
#[cfg(feature = "axum")]
pub mod axum;
mod batch;
mod bucket;
mod client;
mod config;
mod credentials;
mod error;
pub mod event;
mod guard;
mod http_client;
pub mod identity;
mod isolation;
mod kind;
mod metrics;
pub mod model;
mod named;
mod pipeline;
pub mod records;
mod registry;
pub mod scope;
mod session;
mod settings;
mod signing;
mod sources;
mod spec;
mod table;

// The root: what a handler, a data layer and a `main` use. Models for code without the macro,
// event plumbing and audit tools have modules of their own; what the macro's expansion needs is
// in `__private`.
#[cfg(feature = "s3")]
pub use bucket::{AllowsObject, TenantBucket};
pub use config::ConfigError;
pub use credentials::{CacheStats, CredentialsError, StsFailure};
pub use error::{AwsError, IsolationError, sdk_error_kind};
pub use event::{Rejection, TenantEvent, TenantPayload};
pub use guard::{GuardViolation, Violation};
pub use identity::{Identity, Verifier};
pub use isolation::{Isolation, LambdaTenantMode};
pub use kind::ErrorKind;
pub use metrics::Metrics;
pub use named::{AllowsNamed, TenantParameters, TenantQueue, TenantSecrets};
pub use scope::{Scope, ScopeError, current, current_tenant, spawn};
pub use settings::IsolationBuilder;
pub use spec::{HandlerSpec, SpecMismatch};
pub use table::{Allows, TenantTable, TransactWrite, actions};
pub use tenant_isolation_core::{Action, InvalidTenantId, NamedAction, ObjectAction, TenantId};

/// Isolates an async Lambda handler to the calling tenant.
///
/// ```no_run
/// use lambda_http::{Body, Error, Request, Response};
/// use tenant_isolation::{TenantTable, tenant_isolated};
///
/// #[tenant_isolated(table = "Orders", actions = [GetItem])]
/// async fn get_order(orders: TenantTable, request: Request) -> Result<Response<Body>, Error> {
///     let _ = (orders, request);
///     Ok(Response::new(Body::Empty))
/// }
/// ```
///
/// The handler is an `async fn` whose parameters are its table handles (`TenantTable`, by value),
/// its bucket handles (`TenantBucket`, feature `s3`), its secrets, parameters and queue handles
/// (`TenantSecrets`, `TenantParameters`, `TenantQueue`, features `secretsmanager`, `ssm`, `sqs`)
/// and its event, in any order: its event
/// (`lambda_http::Request`, or `LambdaEvent<P>` whose payload `P` is an API Gateway REST or HTTP
/// API event or any [`TenantPayload`] of yours; Lambda's tenant id is checked for every one of
/// them). It returns `Result<R, E>`, where
/// `R` can answer a refusal ([`Rejection`]: HTTP responses answer 401/403/503/500) and
/// `E: From<IsolationError>`. The generated function of the same name is what
/// `lambda_http::service_fn` serves; `<handler>::call_with(&isolation, event)` runs it under an
/// explicit [`Isolation`].
///
/// # Arguments
///
/// **`table = "Orders"`** (required): the DynamoDB table, 3-255 characters of `[A-Za-z0-9_.-]`.
/// Written into the policy's table ARN.
///
/// **`actions = [GetItem, Query]`** (required): the DynamoDB actions the handler may use. Only the
/// 12 actions that IAM can confine with `dynamodb:LeadingKeys` are accepted (see [`Action`]);
/// `Scan`, wildcards, `TransactWriteItems` (declare its item actions), `ExecuteStatement`
/// (declare its `PartiQL*` action) and table administration are refused with their reason, and a
/// misspelt name gets a suggestion. The handle's methods exist only for declared actions:
///
/// ```compile_fail
/// # use lambda_http::{Body, Error, Request, Response};
/// # use tenant_isolation::{TenantTable, tenant_isolated};
/// #[tenant_isolated(table = "Orders", actions = [GetItem])]
/// async fn get_order(orders: TenantTable, request: Request) -> Result<Response<Body>, Error> {
///     orders.put_item()?; // error: this handler did not declare `PutItem`
///     Ok(Response::new(Body::Empty))
/// }
/// ```
///
/// **`indexes = ["ByStatus"]`**: secondary indexes that `Query` (or `PartiQLSelect`) may read;
/// their ARNs are granted to those actions only. Needs `Query` or `PartiQLSelect` in `actions`.
///
/// ```no_run
/// # use lambda_http::{Body, Error, Request, Response};
/// # use tenant_isolation::{TenantTable, tenant_isolated};
/// #[tenant_isolated(table = "Orders", actions = [Query], indexes = ["ByStatus"])]
/// async fn list_orders(orders: TenantTable, request: Request) -> Result<Response<Body>, Error> {
/// #   let _ = (orders, request);
///     Ok(Response::new(Body::Empty))
/// }
/// ```
///
/// **`key_prefix = "ORG#"`** (default `TENANT#`): the partition-key prefix before the tenant id.
/// It must end with `#`, and two handlers on one physical table may not use prefixes where one
/// starts the other (the runtime refuses the second: tenant `ORG` of `TENANT#` would own
/// `TENANT#ORG#…`).
///
/// ```no_run
/// # use lambda_http::{Body, Error, Request, Response};
/// # use tenant_isolation::{TenantTable, tenant_isolated};
/// #[tenant_isolated(table = "Accounts", actions = [GetItem, UpdateItem], key_prefix = "ORG#")]
/// async fn touch_account(accounts: TenantTable, request: Request) -> Result<Response<Body>, Error> {
/// #   let _ = (accounts, request);
///     Ok(Response::new(Body::Empty))
/// }
/// ```
///
/// **`table_env = "ORDERS_TABLE"`**: read the physical table name from this variable at run time
/// (one build for every stage); `table` is the default when it is unset. The template keeps a
/// `{{table}}` placeholder; its size check counts the name at 128 characters, and the runtime
/// checks the policy with the real name before the handler's first session.
///
/// ```no_run
/// # use lambda_http::{Body, Error, Request, Response};
/// # use tenant_isolation::{TenantTable, tenant_isolated};
/// #[tenant_isolated(table = "Orders", table_env = "ORDERS_TABLE", actions = [PutItem])]
/// async fn create_order(orders: TenantTable, request: Request) -> Result<Response<Body>, Error> {
/// #   let _ = (orders, request);
///     Ok(Response::new(Body::Empty))
/// }
/// ```
///
/// **`session_tag = "tenant"`**: session-tag (ABAC) mode. No session policy is sent; the tenant
/// travels as the session tag `tenant`, and the session-tag role (`TENANT_TAG_ROLE_ARN`), whose
/// policy the `policies role` command writes, confines keys with `${aws:PrincipalTag/tenant}`.
///
/// ```no_run
/// # use lambda_http::{Body, Error, Request, Response};
/// # use tenant_isolation::{TenantTable, tenant_isolated};
/// #[tenant_isolated(table = "Orders", actions = [GetItem], session_tag = "tenant")]
/// async fn get_order(orders: TenantTable, request: Request) -> Result<Response<Body>, Error> {
/// #   let _ = (orders, request);
///     Ok(Response::new(Body::Empty))
/// }
/// ```
///
/// **`tables(name(...), ...)`**: several tables, one entry per `TenantTable` parameter, named as
/// the parameter; each entry takes `table`, `actions`, `indexes`, `key_prefix` and `table_env`
/// as above (instead of them at the top level). Each table has its own capability type,
/// `<handler>_<parameter>`, so one table's actions do not compile on another's handle, and the
/// session policy has one statement per table:
///
/// ```no_run
/// # use lambda_http::{Body, Error, Request, Response};
/// # use tenant_isolation::{TenantTable, tenant_isolated};
/// #[tenant_isolated(tables(
///     orders(table = "Orders", actions = [PutItem]),
///     customers(table = "Customers", actions = [GetItem]),
/// ))]
/// async fn create_order(orders: TenantTable, customers: TenantTable, request: Request) -> Result<Response<Body>, Error> {
/// #   let _ = (orders, customers, request);
///     Ok(Response::new(Body::Empty))
/// }
/// ```
///
/// ```compile_fail
/// # use lambda_http::{Body, Error, Request, Response};
/// # use tenant_isolation::{TenantTable, tenant_isolated};
/// #[tenant_isolated(tables(
///     orders(table = "Orders", actions = [PutItem]),
///     customers(table = "Customers", actions = [GetItem]),
/// ))]
/// async fn create_order(orders: TenantTable, customers: TenantTable, request: Request) -> Result<Response<Body>, Error> {
///     customers.put_item()?; // error: this handler did not declare `PutItem` on this table
/// #   let _ = (orders, request);
///     Ok(Response::new(Body::Empty))
/// }
/// ```
///
/// **`buckets(name(bucket = "order-files", actions = [GetObject, PutObject], prefix = "tenants/",
/// bucket_env = "FILES_BUCKET"), ...)`** (feature `s3`): S3 buckets, one entry per
/// `TenantBucket` parameter. A tenant's objects are the keys under `<prefix><tenant>/` (default
/// prefix `tenants/`); `actions` are object actions ([`ObjectAction`]: `GetObject`, `PutObject`,
/// `DeleteObject`, `ListBucket`, `AbortMultipartUpload`, `ListMultipartUploadParts`), and
/// bucket-level, account-level, ACL and versioned actions are refused with their reason. Beside
/// `table = ...` or `tables(...)`, or alone.
///
/// **`secrets(name(prefix = "tenants/", actions = [GetSecretValue]), ...)`** (feature
/// `secretsmanager`): Secrets Manager secrets, one entry per `TenantSecrets` parameter, named as
/// the parameter. A tenant's secrets are named `<prefix><tenant>/…` (default prefix `tenants/`;
/// a prefix is empty or ends with `/`); `actions` are Secrets Manager's actions of
/// [`NamedAction`] (`GetSecretValue`, `DescribeSecret`, `PutSecretValue`, `UpdateSecret`,
/// `CreateSecret`, `DeleteSecret`), and actions that take no resource (`ListSecrets`,
/// `GetRandomPassword`, `BatchGetSecretValue`), resource policies, tags, replication and rotation
/// are refused with their reason.
///
/// **`parameters(name(prefix = "/tenants/", actions = [GetParameter, GetParametersByPath]),
/// ...)`** (feature `ssm`): Parameter Store parameters, one entry per `TenantParameters`
/// parameter. A tenant's parameters are named `<prefix><tenant>/…`, and `GetParametersByPath`
/// reads its path `<prefix><tenant>` (default prefix `/tenants/`; a prefix begins and ends with
/// `/` and is not under `/aws` or `/ssm`); `DescribeParameters` (no resource), tags and labels are
/// refused.
///
/// **`queues(name(prefix = "jobs-", actions = [SendMessage, ReceiveMessage]), ...)`** (feature
/// `sqs`): a queue per tenant, one entry per `TenantQueue` parameter. The tenant's queue is
/// exactly `<prefix><tenant>`, or `<prefix><tenant>.fifo` with the flag `fifo`
/// (`queues(jobs(prefix = "jobs-", fifo, actions = [SendMessage]))`). `prefix` is required: it
/// names your queues, and no default could. The batch operations are authorized as their single
/// action (declare `SendMessage` for `SendMessageBatch`, `DeleteMessage`,
/// `ChangeMessageVisibility`); `ListQueues`, permissions, `SetQueueAttributes`, tags and creating,
/// deleting or purging queues are refused.
///
/// **`queues(events(queue = "order-events", queue_env = "ORDER_EVENTS_QUEUE", tenant_attribute =
/// "tenant_id", actions = [SendMessage]))`**: instead of a prefix, a queue that every tenant's
/// messages share, by its physical name (`queue_env`, optional, binds it at run time as
/// `table_env` does a table's; a FIFO queue's name ends with `.fifo`), with the String message
/// attribute that carries each message's tenant. Only `SendMessage` may be declared (any other
/// action would reach every tenant's messages: consume the queue with a record handler,
/// `records = sqs(tenant_attribute = "tenant_id")`), and `tenant_attribute` is required. IAM
/// cannot confine it per tenant (the policy grants `sqs:SendMessage` on the queue to every
/// tenant): the handle's `send_message()` and `entry(id, body)` stamp the scope's tenant, and the
/// queue guard refuses a message without it or with another tenant's (SECURITY.md, "A shared
/// queue").
///
/// **`kms_key = "<key id>"` or `kms_key_env = "WEBHOOKS_KEY"`** on a `secrets` or `parameters`
/// declaration: its values are encrypted with a customer-managed KMS key (the AWS managed keys
/// `aws/secretsmanager` and `aws/ssm` need nothing). The session policy then grants, on that key
/// only, the KMS actions the declared actions need (`kms:Decrypt` to read a value;
/// `kms:GenerateDataKey` and `kms:Decrypt` to store a secret's; `kms:Encrypt` and
/// `kms:GenerateDataKey` to put a `SecureString`), under the condition that the encryption
/// context the service passes names one of the tenant's own secrets or parameters
/// (`kms:EncryptionContext:SecretARN`, `kms:EncryptionContext:PARAMETER_ARN`, with the same ARN
/// patterns as the names' grant). The key is named by its key id (a UUID or a multi-Region key's
/// `mrk-…`; CloudFormation's `!Ref` of an `AWS::KMS::Key`), not an alias or an ARN; one bound by
/// `kms_key_env` is read at start-up, and a missing or malformed one refuses to start, naming
/// the variable. The key's own policy must also let the account's IAM policies grant it (its
/// default key policy does).
///
/// ```no_run
/// use lambda_http::{Body, Error, Request, Response};
/// use tenant_isolation::{TenantSecrets, tenant_isolated};
///
/// #[tenant_isolated(secrets(webhooks(actions = [GetSecretValue], kms_key_env = "WEBHOOKS_KEY")))]
/// async fn notify(webhooks: TenantSecrets, _request: Request) -> Result<Response<Body>, Error> {
///     let key = webhooks.get_secret_value("stripe")?.send().await?; // tenants/<tenant>/stripe
///     Ok(Response::new(Body::from(key.secret_string().unwrap_or_default().len().to_string())))
/// }
/// ```
///
/// Each of these declarations has its own capability type, `<handler>_<parameter>`; a handle of
/// another service than its declaration's (`jobs: TenantSecrets` for `queues(jobs(...))`) does
/// not compile, nor do two declarations of one service whose prefixes overlap (tenant `ORG` of
/// `tenants/` would own the names `tenants/ORG/` gives its tenants). Beside tables and buckets, or
/// alone, in Lambda, axum and record handlers alike.
///
/// **`crate = "my_platform::isolation"`**: the path of this crate when it is re-exported.
///
/// # What it generates
///
/// A function with the handler's name that authenticates, enters the tenant's scope and runs
/// the body; a type of the same name with `POLICY_TEMPLATE` (the session policy, readable in
/// `cargo expand` and rustdoc), `SPEC` (the [`HandlerSpec`]: model and template) and
/// `call_with`; the capability type of each table, bucket and declaration of secrets, parameters
/// or queues, with one associated type per action (`Declared` or `Undeclared`), from which
/// [`Allows`] (and [`AllowsNamed`]) follows (and which each operation checks against `SPEC` at
/// compile time, so a capability type written by hand cannot claim more); and a registration for
/// the `policies` audit. [`HandlerSpec::new`] is the same without the macro.
#[doc(inline)]
pub use tenant_isolation_macros::tenant_isolated;

/// Used by the code `#[tenant_isolated]` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    // The S3 handle's capability trait without feature `s3` too: the bucket handle's type
    // exists either way (a handler that declares buckets without the feature stops at
    // `require_s3`, below, with a message that says what to enable).
    pub use crate::bucket::AllowsObject;
    pub use crate::bucket::BucketPolicy;
    pub use crate::named::{AllowsNamed, NamedPolicy};
    pub use crate::table::{Isolated, Policy, grant};

    /// A handler's spec as the macro writes it: the model, and the template it compiled.
    pub const fn handler_spec(
        name: &'static str,
        module_path: &'static str,
        model: HandlerModel,
        template: &'static str,
    ) -> HandlerSpec {
        HandlerSpec::from_macro(name, module_path, model, template)
    }
    pub use inventory;

    pub use crate::batch::{RecordHandler, run_records_global, run_records_with};
    pub use lambda_runtime::{Error as LambdaError, LambdaEvent};

    /// What `#[tenant_isolated(axum, ...)]` expands to.
    #[cfg(feature = "axum")]
    pub mod axum {
        pub use crate::axum::Entered;
        pub use ::axum::response::Response;
    }
    pub use std::borrow::Cow;
    pub use tenant_isolation_core::{
        Action, BucketModel, Confinement, HandlerModel, KeyRule, NameRule, NamedAction, NamedModel, ObjectAction,
        ObjectRule, PhysicalName, Service, SharedQueue, TableModel,
    };

    use crate::bucket::TenantBucket;
    use crate::{HandlerSpec, TenantTable};

    /// A table's handle, made for the handler the macro generates. Safe to expose: a handle
    /// does nothing outside a scope of its own handler ([`TenantTable::scope`]).
    pub fn table<P: Policy>() -> TenantTable<P> {
        TenantTable::new()
    }

    /// A bucket's handle, made for the handler the macro generates (as [`table`]).
    pub fn bucket<P: BucketPolicy>() -> TenantBucket<P> {
        TenantBucket::new()
    }

    /// A secrets declaration's handle, made for the handler the macro generates (as [`table`]).
    pub fn secrets<P: NamedPolicy>() -> crate::TenantSecrets<P> {
        crate::TenantSecrets::new()
    }

    /// A parameters declaration's handle (as [`secrets`]).
    pub fn parameters<P: NamedPolicy>() -> crate::TenantParameters<P> {
        crate::TenantParameters::new()
    }

    /// A queue declaration's handle (as [`secrets`]).
    pub fn queue<P: NamedPolicy>() -> crate::TenantQueue<P> {
        crate::TenantQueue::new()
    }

    /// Evaluated in a constant by every handler that declares secrets: without the
    /// `secretsmanager` feature, the build stops here with a message that says what to enable.
    pub const fn require_secretsmanager() {
        #[cfg(not(feature = "secretsmanager"))]
        panic!(
            "`#[tenant_isolated(secrets(...))]` needs the `secretsmanager` feature: `tenant-isolation = {{ features = [\"secretsmanager\"] }}`"
        );
    }

    /// As [`require_secretsmanager`], for `parameters(...)` and feature `ssm`.
    pub const fn require_ssm() {
        #[cfg(not(feature = "ssm"))]
        panic!(
            "`#[tenant_isolated(parameters(...))]` needs the `ssm` feature: `tenant-isolation = {{ features = [\"ssm\"] }}`"
        );
    }

    /// As [`require_secretsmanager`], for `queues(...)` and feature `sqs`.
    pub const fn require_sqs() {
        #[cfg(not(feature = "sqs"))]
        panic!(
            "`#[tenant_isolated(queues(...))]` needs the `sqs` feature: `tenant-isolation = {{ features = [\"sqs\"] }}`"
        );
    }

    /// Evaluated in a constant by every handler that declares buckets: without the `s3`
    /// feature, the build stops here with a message that says what to enable.
    pub const fn require_s3() {
        #[cfg(not(feature = "s3"))]
        panic!(
            "`#[tenant_isolated(buckets(...))]` needs the `s3` feature: `tenant-isolation = {{ features = [\"s3\"] }}`"
        );
    }

    pub use crate::pipeline::{Handler, run_global, run_with};
    pub use crate::registry::Registration;

    /// The policy type given to a handler whose attribute failed to compile, so that the
    /// body still type-checks (IDEs) without piling up secondary errors. Never runs.
    pub enum Unchecked {}
    impl Isolated for Unchecked {
        const SPEC: &'static HandlerSpec = UNCHECKED;
    }
    macro_rules! unchecked_policy {
        ($($(#[$doc:meta])* $a:ident,)*) => {
            impl Policy for Unchecked {
                const TABLE: usize = 0;
                $(type $a = grant::Declared;)*
            }
        };
    }
    tenant_isolation_core::with_actions!(unchecked_policy);
    macro_rules! unchecked_bucket {
        ($($(#[$doc:meta])* $a:ident,)*) => {
            impl BucketPolicy for Unchecked {
                const BUCKET: usize = 0;
                $(type $a = grant::Declared;)*
            }
        };
    }
    tenant_isolation_core::with_object_actions!(unchecked_bucket);
    macro_rules! unchecked_named {
        ($($(#[$doc:meta])* $service:ident $a:ident,)*) => {
            impl NamedPolicy for Unchecked {
                const NAMED: usize = 0;
                $(type $a = grant::Declared;)*
            }
        };
    }
    tenant_isolation_core::with_named_actions!(unchecked_named);
    const UNCHECKED: &HandlerSpec = &HandlerSpec::from_macro(
        "",
        "",
        HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Borrowed(&[]),
            named: Cow::Borrowed(&[]),
            confinement: Confinement::SessionPolicy,
        },
        "",
    );
}
