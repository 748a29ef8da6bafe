//! Record handlers: SQS, EventBridge, DynamoDB Streams and S3 event notifications, one tenant
//! per record.
//!
//! An event source delivers a batch of records that may belong to many tenants. A record
//! handler (`#[tenant_isolated(records = sqs(tenant_attribute = "tenant_id"), ...)]`) takes one
//! record; the runtime reads each record's tenant from where its source says, and runs the
//! handler for it through the one invocation pipeline (`pipeline.rs`): the record's own scope,
//! with that tenant's confined credentials (cached and coalesced, so a batch over three cold
//! tenants costs three STS calls), the guard, the metrics and the span. Only the first stage
//! differs: the tenant comes from the record instead of a token.
//!
//! # Where a record's tenant comes from, and why it can be trusted
//!
//! | source | [`RecordSource`] | the tenant is |
//! |---|---|---|
//! | SQS | [`Sqs`] | a message attribute ([`Sqs::tenant_attribute`]) |
//! | EventBridge | [`EventBridge`] | a field of `detail` ([`EventBridge::tenant_field`]) |
//! | DynamoDB Streams | [`DynamoDbStream`] | read from the item's partition key by its [`KeyRule`] |
//! | S3 event notifications | [`S3Events`] | read from the object key by its [`ObjectRule`] |
//!
//! A record handler has no caller to verify: it trusts whoever could put the record on its
//! source. For DynamoDB Streams and S3 the tenant is the record's own key, read back through the
//! model's rule ([`KeyRule::tenant_of`], [`ObjectRule::tenant_of`]): an item keyed
//! `TENANT#acme#…` can only have been written with acme's confined credentials (or by code
//! that holds every tenant's), so nothing written by a tenant can name another. An SQS message
//! attribute or an EventBridge `detail` field is whatever its producer wrote: the queue's or
//! bus's resource policy must let only your own isolated producers send, and those producers
//! must stamp the tenant of their own scope, never one from their input (SECURITY.md, "Record
//! handlers").
//!
//! A record without a tenant, with an invalid one (`*`, `acme#x`, 65 characters) or keyed
//! outside every tenant is that record's failure, logged with its reason, and never causes an
//! STS call.
//!
//! # Failures, the way each source expects them
//!
//! * SQS: a partial batch response (`batchItemFailures` with the failed messages' ids; turn on
//!   `ReportBatchItemFailures` on the event source mapping). In a FIFO queue, the messages of a
//!   failed message's group that follow it are not run and are reported failed too, so that the
//!   group's order holds when they are redelivered.
//! * DynamoDB Streams: the records run in order; at the first failure the rest are not run, and
//!   the response names the failed record's sequence number (the checkpoint Lambda retries from).
//! * EventBridge and S3: an invocation error when any record failed (both retry the whole
//!   invocation; make the handler idempotent).
//!
//! One tenant's failed, refused or panicking record never fails another's record of the same
//! invocation. A stream is ordered per shard, not per tenant: records after a failed one on its
//! shard wait for it, whatever their tenant (bound it with the mapping's
//! `MaximumRetryAttempts`, `BisectBatchOnFunctionError` and an on-failure destination;
//! SECURITY.md).
//!
//! # Lambda's tenant isolation mode
//!
//! Event source mappings do not pass a tenant id: a function with tenant isolation mode is
//! invoked per tenant by a routing function of yours (AWS's recommended pattern, DEPLOYING.md).
//! When the invocation does carry a Lambda tenant id, every record must be that tenant's, or the
//! whole batch is refused before any STS call; under [`LambdaTenantMode::Required`] a batch
//! without one is refused.
//!
//! [`LambdaTenantMode::Required`]: crate::LambdaTenantMode::Required
//! [`KeyRule`]: crate::model::KeyRule
//! [`ObjectRule`]: crate::model::ObjectRule
//! [`KeyRule::tenant_of`]: crate::model::KeyRule::tenant_of
//! [`ObjectRule::tenant_of`]: crate::model::ObjectRule::tenant_of

pub use crate::batch::BatchError;
pub use crate::sources::{
    BatchFailure, Deployment, DynamoDbStream, EventBridge, RecordError, RecordOutput, RecordSource, S3Events, Sqs,
    decode_s3_event_key,
};
