//! The event sources of record handlers ([`crate::records`]): how a batch splits into records,
//! where each record's tenant is, how records are ordered and how failures are answered. Pure:
//! no STS, no SDK; the batch driver (`batch.rs`) runs the records through the pipeline.

/// What a record handler returns: `Result<(), E>` with `E: Display`. An `Err` is the record's
/// failure, logged with its text; a guard refusal the error still holds is logged as the
/// refusal it is.
#[diagnostic::on_unimplemented(
    message = "a record handler must return `Result<(), E>` where `E: Display`, not `{Self}`",
    label = "not a record handler's output",
    note = "for example `Result<(), lambda_runtime::Error>` or `Result<(), tenant_isolation::IsolationError>`"
)]
pub trait RecordOutput {
    /// The failure, when the record failed.
    fn failure(&self) -> Option<String>;
}

impl<E: std::fmt::Display> RecordOutput for Result<(), E> {
    fn failure(&self) -> Option<String> {
        self.as_ref().err().map(ToString::to_string)
    }
}

use aws_lambda_events::dynamodb::{Event as StreamEvent, EventRecord as StreamRecord};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::s3::{S3Event, S3EventRecord};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde_json::Value;
use std::borrow::Cow;
use tenant_isolation_core::{InvalidTenantId, KeyRule, ObjectRule, TenantId};

/// Why a batch's records could not be answered with a response: records failed and the source
/// takes no partial response, or a failed record cannot be named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchFailure {
    /// Records failed, and the source takes no partial response (EventBridge, S3): the source
    /// retries the whole invocation.
    #[error("{} of {of} records failed: {}", failed.len(), failed.join(", "))]
    Failed {
        /// The failed records' ids.
        failed: Vec<String>,
        /// How many records the batch had.
        of: usize,
    },
    /// A record failed that its source cannot be told about (an SQS message or stream record
    /// without its id): the whole batch fails, so that it is retried rather than lost.
    #[error("a record without an id failed, so the whole batch fails")]
    Unreportable,
}

/// Why a record was given no tenant. The record fails (its source redelivers it, or sends it to
/// its dead-letter queue), no STS call is made, and other records go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The record does not carry what its source names its tenant by.
    #[error("the record has no {0}")]
    NoTenant(String),
    /// It does, but that is not a valid tenant id (`*`, `acme#x`, too long...).
    #[error("the record's {what} is not a valid tenant id: {reason}")]
    InvalidTenant {
        /// Where the value was read.
        what: String,
        /// Why it is refused.
        reason: InvalidTenantId,
    },
    /// The record comes from a table (a stream's) that the handler does not declare, whose
    /// keys the handler's rule does not describe.
    #[error("the record comes from table `{0}`, which the handler does not declare")]
    UndeclaredTable(String),
    /// The record's key is outside every tenant's keys (another prefix, no tenant folder).
    #[error("the record's key is outside every tenant's keys (prefix `{prefix}`)")]
    OutsideTenants {
        /// The rule's prefix the key does not fit.
        prefix: String,
    },
}

impl RecordError {
    /// Always [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden): the record may not be
    /// processed for any tenant.
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Forbidden
    }
}

/// What a source reads of the deployment's configuration: the partition-key attribute of each
/// physical table, as the runtime was built with it (the guard's own).
pub struct Deployment<'a> {
    partition_key: &'a (dyn Fn(&str) -> &'a str + Sync),
    tables: &'a [String],
}

impl<'a> Deployment<'a> {
    /// A deployment whose tables' partition-key attributes `partition_key` gives, and where the
    /// handler's declared tables have the physical names `tables`.
    pub fn new(partition_key: &'a (dyn Fn(&str) -> &'a str + Sync), tables: &'a [String]) -> Deployment<'a> {
        Deployment { partition_key, tables }
    }

    /// Whether `table` is the physical name of one of the handler's declared tables.
    pub fn declares(&self, table: &str) -> bool {
        self.tables.iter().any(|t| t == table)
    }

    /// The partition-key attribute of the physical table `table`.
    pub fn partition_key(&self, table: &str) -> &'a str {
        (self.partition_key)(table)
    }
}

impl std::fmt::Debug for Deployment<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployment").finish_non_exhaustive()
    }
}

/// An event source whose records a record handler takes: how a batch is split into records,
/// where each record's tenant is, how records are ordered, and how failures are reported. One
/// value per handler, declared once (the attribute's `records = ...` emits it as a constant).
/// Implemented for [`Sqs`], [`EventBridge`], [`DynamoDbStream`] and [`S3Events`]; sealed.
pub trait RecordSource: Sync + sealed::Sealed {
    /// What Lambda invokes the function with (`SqsEvent`, ...).
    type Batch: serde::de::DeserializeOwned + Send;
    /// One record, as the handler takes it.
    type Record: Send;
    /// What the function answers when no record failed, or some did and the source takes a
    /// partial response.
    type Response: serde::Serialize + Send;

    /// The batch's records, in the order the source delivered them.
    fn records(batch: Self::Batch) -> Vec<Self::Record>;

    /// The record's tenant, read where this source says (with what the deployment configures:
    /// the partition-key attribute of a stream's table).
    fn tenant(&self, record: &Self::Record, deployment: &Deployment<'_>) -> Result<TenantId, RecordError>;

    /// How the record is named in logs and failure reports (message id, sequence number...).
    fn id(record: &Self::Record) -> Option<String>;

    /// Records with the same order key run one after the other, in order, and a failure stops
    /// the rest of them (they are reported failed); `None`: the record may run beside any other.
    fn order_key(record: &Self::Record) -> Option<String>;

    /// The response for a batch whose records ended as `ended` (in batch order, with their ids).
    fn respond(ended: &[(Option<String>, bool)]) -> Result<Self::Response, BatchFailure>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Sqs {}
    impl Sealed for super::EventBridge {}
    impl Sealed for super::DynamoDbStream {}
    impl Sealed for super::S3Events {}
}

/// A tenant read from a string some producer wrote (an attribute, a field).
fn tenant_named(value: Option<&str>, what: impl Fn() -> String) -> Result<TenantId, RecordError> {
    let value = value.ok_or_else(|| RecordError::NoTenant(what()))?;
    TenantId::parse(value).map_err(|reason| RecordError::InvalidTenant { what: what(), reason })
}

/// SQS messages (standard or FIFO), each of the tenant its message attribute names.
///
/// ```
/// use tenant_isolation::records::Sqs;
/// const JOBS: Sqs = Sqs::tenant_attribute("tenant_id");
/// ```
#[derive(Debug, Clone)]
pub struct Sqs {
    attribute: Cow<'static, str>,
}

impl Sqs {
    /// Messages whose String message attribute `name` is the tenant id. Only a producer that
    /// stamps its own scope's tenant (SECURITY.md) may send to the queue.
    pub const fn tenant_attribute(name: &'static str) -> Sqs {
        Sqs { attribute: Cow::Borrowed(name) }
    }

    /// The attribute's name.
    pub fn attribute(&self) -> &str {
        &self.attribute
    }
}

impl RecordSource for Sqs {
    type Batch = SqsEvent;
    type Record = SqsMessage;
    type Response = SqsBatchResponse;

    fn records(batch: SqsEvent) -> Vec<SqsMessage> {
        batch.records
    }

    fn tenant(&self, message: &SqsMessage, _: &Deployment<'_>) -> Result<TenantId, RecordError> {
        // A String attribute only: a Binary or Number one is not a tenant id someone meant.
        let value = message
            .message_attributes
            .get(&*self.attribute)
            .filter(|a| a.data_type.as_deref() == Some("String"))
            .and_then(|a| a.string_value.as_deref());
        tenant_named(value, || format!("String message attribute `{}`", self.attribute))
    }

    fn id(message: &SqsMessage) -> Option<String> {
        message.message_id.clone()
    }

    /// A FIFO queue's message group: its order is the queue's promise. Standard queues promise
    /// none, so their messages run side by side.
    fn order_key(message: &SqsMessage) -> Option<String> {
        message.attributes.get("MessageGroupId").cloned()
    }

    /// The failed messages' ids, for `ReportBatchItemFailures` ("Handling errors for an SQS
    /// event source in Lambda", AWS Lambda Developer Guide: an id Lambda cannot match fails the
    /// whole batch, so a failed message without one fails the invocation instead).
    fn respond(ended: &[(Option<String>, bool)]) -> Result<SqsBatchResponse, BatchFailure> {
        let mut response = SqsBatchResponse::default();
        for (id, failed) in ended {
            if *failed {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id.clone().ok_or(BatchFailure::Unreportable)?;
                response.batch_item_failures.push(failure);
            }
        }
        Ok(response)
    }
}

/// EventBridge events (one per invocation), each of the tenant a field of its `detail` names.
///
/// ```
/// use tenant_isolation::records::EventBridge;
/// const ORDERS: EventBridge = EventBridge::tenant_field("tenant_id");
/// ```
#[derive(Debug, Clone)]
pub struct EventBridge {
    field: Cow<'static, str>,
}

impl EventBridge {
    /// Events whose `detail.<name>` is the tenant id (a string). Only a producer that stamps
    /// its own scope's tenant may put events the rule matches.
    pub const fn tenant_field(name: &'static str) -> EventBridge {
        EventBridge { field: Cow::Borrowed(name) }
    }

    /// The field's name.
    pub fn field(&self) -> &str {
        &self.field
    }
}

impl RecordSource for EventBridge {
    type Batch = EventBridgeEvent<Value>;
    type Record = EventBridgeEvent<Value>;
    type Response = ();

    fn records(event: EventBridgeEvent<Value>) -> Vec<EventBridgeEvent<Value>> {
        vec![event]
    }

    fn tenant(&self, event: &EventBridgeEvent<Value>, _: &Deployment<'_>) -> Result<TenantId, RecordError> {
        tenant_named(event.detail.get(&*self.field).and_then(Value::as_str), || {
            format!("string field `detail.{}`", self.field)
        })
    }

    fn id(event: &EventBridgeEvent<Value>) -> Option<String> {
        event.id.clone()
    }

    fn order_key(_: &EventBridgeEvent<Value>) -> Option<String> {
        None
    }

    fn respond(ended: &[(Option<String>, bool)]) -> Result<(), BatchFailure> {
        whole_invocation(ended)
    }
}

/// DynamoDB Streams records, each of the tenant its item's partition key names.
///
/// The record's table must be one the handler declares (by its physical name, as bound in this
/// deployment): its key rule is the one the tenant is read by.
///
/// The partition-key attribute is the one the deployment configures for the record's table
/// (named by its `eventSourceARN`): `TENANT_TABLE_PARTITION_KEYS`, else `TENANT_PARTITION_KEY`,
/// the attribute the guard confines writes by. Never a name of the source's own: a stream
/// record's `Keys` hold the sort key too, whose value the item's writer chooses (red-team review
/// of issue 23: with the sort key called `pk`, acme's item named globex).
///
/// ```
/// use tenant_isolation::records::DynamoDbStream;
/// use tenant_isolation::model::KeyRule;
/// const ORDERS: DynamoDbStream = DynamoDbStream::keyed(KeyRule::new("TENANT#"));
/// ```
#[derive(Debug, Clone)]
pub struct DynamoDbStream {
    keys: KeyRule,
}

impl DynamoDbStream {
    /// Records of a table whose tenants' keys follow `keys` (the table's rule, as its handlers
    /// declare it).
    pub const fn keyed(keys: KeyRule) -> DynamoDbStream {
        DynamoDbStream { keys }
    }
}

/// The physical table of a stream's ARN: `Orders` of
/// `arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-01-01T00:00:00.000`.
fn stream_table(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let (table, stream) = resource.strip_prefix("table/")?.split_once('/')?;
    (stream.starts_with("stream/") && !table.is_empty()).then_some(table)
}

impl RecordSource for DynamoDbStream {
    type Batch = StreamEvent;
    type Record = StreamRecord;
    type Response = DynamoDbEventResponse;

    fn records(batch: StreamEvent) -> Vec<StreamRecord> {
        batch.records
    }

    /// `Keys` is in every stream record whatever the stream's view type; the item's own
    /// attributes are not read (they are whatever its writer put there), nor is any key but the
    /// table's partition key.
    fn tenant(&self, record: &StreamRecord, deployment: &Deployment<'_>) -> Result<TenantId, RecordError> {
        let table = record
            .event_source_arn
            .as_deref()
            .and_then(stream_table)
            .ok_or_else(|| RecordError::NoTenant("`eventSourceARN` naming its table's stream".into()))?;
        // Only a declared table's stream: its key rule is the one the source reads by, and a
        // stream of another table (a deployer's wrong stream ARN, a hand-made payload) keyed by
        // another rule would read, say, `TENANT#ORG#acme` as tenant `ORG`'s (red-team review of
        // issue 24).
        if !deployment.declares(table) {
            return Err(RecordError::UndeclaredTable(table.to_owned()));
        }
        let attribute = deployment.partition_key(table);
        let value = match record.change.keys.get(attribute) {
            Some(serde_dynamo::AttributeValue::S(value)) => value,
            _ => return Err(RecordError::NoTenant(format!("string partition key `{attribute}` (table `{table}`)"))),
        };
        self.keys.tenant_of(value).ok_or_else(|| RecordError::OutsideTenants { prefix: self.keys.prefix().to_owned() })
    }

    fn id(record: &StreamRecord) -> Option<String> {
        record.change.sequence_number.clone()
    }

    /// One shard per batch, in order: every record shares the one order key.
    fn order_key(_: &StreamRecord) -> Option<String> {
        Some(String::new())
    }

    /// The first failed record's sequence number: Lambda checkpoints before it and retries
    /// from it ("Configuring partial batch response with DynamoDB and Lambda", AWS Lambda
    /// Developer Guide). The records after it were not run.
    fn respond(ended: &[(Option<String>, bool)]) -> Result<DynamoDbEventResponse, BatchFailure> {
        let mut response = DynamoDbEventResponse::default();
        if let Some((id, _)) = ended.iter().find(|(_, failed)| *failed) {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(id.clone().ok_or(BatchFailure::Unreportable)?);
            response.batch_item_failures.push(failure);
        }
        Ok(response)
    }
}

/// S3 event notifications, each of the tenant whose folder the object is in.
///
/// ```
/// use tenant_isolation::records::S3Events;
/// use tenant_isolation::model::ObjectRule;
/// const UPLOADS: S3Events = S3Events::keyed(ObjectRule::new("tenants/"));
/// ```
#[derive(Debug, Clone)]
pub struct S3Events {
    objects: ObjectRule,
}

impl S3Events {
    /// Notifications of a bucket whose tenants' objects follow `objects`.
    pub const fn keyed(objects: ObjectRule) -> S3Events {
        S3Events { objects }
    }
}

/// An object key as S3 notifications write it: URL-encoded, a space as `+` ("Event message
/// structure", Amazon S3 User Guide: "The s3 key provides information about the bucket and
/// object involved in the event. The object key name value is URL encoded"). A key that does
/// not decode to UTF-8 is no tenant's.
pub fn decode_s3_event_key(key: &str) -> Option<String> {
    let plus_decoded = key.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_decoded).decode_utf8().ok().map(Cow::into_owned)
}

impl RecordSource for S3Events {
    type Batch = S3Event;
    type Record = S3EventRecord;
    type Response = ();

    fn records(batch: S3Event) -> Vec<S3EventRecord> {
        batch.records
    }

    /// Read from the key S3 wrote, decoded; never from `urlDecodedKey`, which S3 does not send.
    fn tenant(&self, record: &S3EventRecord, _: &Deployment<'_>) -> Result<TenantId, RecordError> {
        let key = record.s3.object.key.as_deref().ok_or_else(|| RecordError::NoTenant("object key".into()))?;
        decode_s3_event_key(key)
            .and_then(|key| self.objects.tenant_of(&key))
            .ok_or_else(|| RecordError::OutsideTenants { prefix: self.objects.prefix().to_owned() })
    }

    fn id(record: &S3EventRecord) -> Option<String> {
        record.s3.object.key.clone()
    }

    fn order_key(_: &S3EventRecord) -> Option<String> {
        None
    }

    fn respond(ended: &[(Option<String>, bool)]) -> Result<(), BatchFailure> {
        whole_invocation(ended)
    }
}

/// Sources without partial responses: any failed record fails the invocation (and the source
/// retries all of it).
fn whole_invocation(ended: &[(Option<String>, bool)]) -> Result<(), BatchFailure> {
    let failed: Vec<String> =
        ended.iter().filter(|(_, failed)| *failed).map(|(id, _)| id.clone().unwrap_or_else(|| "?".into())).collect();
    if failed.is_empty() { Ok(()) } else { Err(BatchFailure::Failed { failed, of: ended.len() }) }
}

#[cfg(test)]
mod tests;
