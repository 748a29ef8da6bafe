//! Event-source payloads with mixed tenants, as Lambda delivers them to a record handler: SQS
//! batches ([`SqsBatch`]), EventBridge events ([`BridgeEvent`]), DynamoDB Streams batches
//! ([`StreamBatch`]) and S3 event notifications ([`S3Notification`]).
//!
//! Each builder writes the JSON Lambda sends (field names as AWS documents them:
//! `messageAttributes.<name>.stringValue`, `detail-type`, `dynamodb.Keys.pk.S`,
//! `s3.object.key` …) and gives it three ways:
//!
//! * `json()`: the payload as `serde_json::Value`, for a Runtime API stand-in (with
//!   `runtime_api_headers()`, the headers `lambda_runtime` builds its `Context` from);
//! * `payload()`: that JSON deserialized into the `aws_lambda_events` type, so a value the
//!   runtime's types cannot read fails here, in the test kit, and not in a handler;
//! * `into_lambda_event()`: the payload with a [`Context`] as Lambda passes them to a
//!   `lambda_runtime` handler: a fresh request id, a deadline 15 minutes ahead, and Lambda's
//!   tenant id (tenant isolation mode) when the test sets one with `lambda_tenant`.
//!
//! ```
//! use aws_lambda_events::sqs::SqsEvent;
//! use lambda_runtime::LambdaEvent;
//! use serde_json::json;
//! use tenant_isolation_testkit::records::SqsBatch;
//!
//! let batch = SqsBatch::new()
//!     .message("acme", json!({"order": "o-1"}))
//!     .message("globex", json!({"order": "o-2"}))
//!     .message_without_tenant(json!({"order": "o-3"}))
//!     .message("*", json!({"order": "o-4"}))
//!     .lambda_tenant("acme");
//! let ids = batch.message_ids();
//!
//! let json = batch.json();
//! assert_eq!(json["Records"][0]["messageAttributes"]["tenant_id"]["stringValue"], "acme");
//! assert_eq!(json["Records"][0]["messageAttributes"]["tenant_id"]["dataType"], "String");
//! assert!(json["Records"][2]["messageAttributes"].get("tenant_id").is_none());
//!
//! let event: LambdaEvent<SqsEvent> = batch.into_lambda_event();
//! assert_eq!(event.context.tenant_id.as_deref(), Some("acme"));
//! assert!(!event.context.request_id.is_empty());
//! assert_eq!(event.payload.records[1].message_id.as_deref(), Some(ids[1].as_str()));
//! assert_eq!(event.payload.records[3].message_attributes["tenant_id"].string_value.as_deref(), Some("*"));
//! ```
//!
//! The identifiers each builder assigns (message ids, sequence numbers) are unique in the test
//! process and can be read back (`message_ids()`, `sequence_numbers()`) to compare with a
//! handler's `batchItemFailures`.

use aws_lambda_events::event::dynamodb::{Event as DynamoDbEvent, StreamViewType};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::SqsEvent;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use lambda_runtime::{Context, LambdaEvent};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The region the payloads name (the local stand-ins' region).
pub const REGION: &str = crate::local::REGION;

/// The account the payloads' ARNs name.
pub const ACCOUNT: &str = "123456789012";

/// The queue of [`SqsBatch::new`].
pub const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:orders";

/// The queue of [`SqsBatch::fifo`].
pub const FIFO_QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:orders.fifo";

/// The table of [`StreamBatch::new`].
pub const TABLE: &str = "Orders";

/// The stream of [`StreamBatch::new`]: `Orders`' stream.
pub const STREAM_ARN: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-01-01T00:00:00.000";

/// The default name of the SQS message attribute and of the EventBridge `detail` field that
/// carry the tenant (the name the runtime's default tenant claim also has).
pub const TENANT_ATTRIBUTE: &str = "tenant_id";

/// The function the contexts of this module name as invoked.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:tenant-isolation-test";

/// How far ahead of now the deadline of a built [`Context`] is (Lambda's longest timeout).
pub const DEADLINE: Duration = Duration::from_secs(900);

// ---- The Lambda context ------------------------------------------------------------------

/// The [`Context`] of one invocation as `lambda_runtime` builds it from the Runtime API: a
/// fresh request id (a UUID's shape, unique in this process), a deadline [`DEADLINE`] ahead,
/// [`FUNCTION_ARN`], and no Lambda tenant id (set one with [`ContextExt::lambda_tenant`]).
pub fn context() -> Context {
    let mut context = Context::default();
    context.request_id = uuid_like();
    context.deadline = millis_since_epoch(SystemTime::now() + DEADLINE);
    context.invoked_function_arn = FUNCTION_ARN.to_owned();
    context
}

/// The Runtime API headers `lambda_runtime` reads the invocation's [`Context`] from
/// (`Context::new`): request id, deadline, function ARN, and, when set, the X-Ray trace id
/// and Lambda's tenant id (`lambda-runtime-aws-tenant-id`). For a stand-in answering
/// `GET /2018-06-01/runtime/invocation/next`.
///
/// ```
/// use tenant_isolation_testkit::records::{self, ContextExt};
///
/// let context = records::context().lambda_tenant("acme");
/// let headers = records::runtime_api_headers(&context);
/// assert!(headers.contains(&("lambda-runtime-aws-tenant-id", "acme".to_owned())));
/// assert!(headers.contains(&("lambda-runtime-aws-request-id", context.request_id.clone())));
/// ```
pub fn runtime_api_headers(context: &Context) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("lambda-runtime-aws-request-id", context.request_id.clone()),
        ("lambda-runtime-deadline-ms", context.deadline.to_string()),
        ("lambda-runtime-invoked-function-arn", context.invoked_function_arn.clone()),
    ];
    if let Some(trace) = &context.xray_trace_id {
        headers.push(("lambda-runtime-trace-id", trace.clone()));
    }
    if let Some(tenant) = &context.tenant_id {
        headers.push(("lambda-runtime-aws-tenant-id", tenant.clone()));
    }
    headers
}

/// Builder-style setters on `lambda_runtime`'s [`Context`] (non-exhaustive, so it cannot be
/// written as a struct literal outside its crate).
pub trait ContextExt: Sized {
    /// The tenant id Lambda's tenant isolation mode passes with the invocation
    /// (`Context::tenant_id`, from the `lambda-runtime-aws-tenant-id` header).
    fn lambda_tenant(self, tenant: &str) -> Self;
}

impl ContextExt for Context {
    fn lambda_tenant(mut self, tenant: &str) -> Context {
        self.tenant_id = Some(tenant.to_owned());
        self
    }
}

/// The Lambda side every builder shares: its invocation's context, the payload type, and the
/// three ways out (`payload`, `into_lambda_event`, `lambda_event_as`).
macro_rules! invocation {
    ($builder:ident, $payload:ty, $name:literal) => {
        impl $builder {
            /// Lambda's tenant id for this invocation (tenant isolation mode), as
            /// [`ContextExt::lambda_tenant`] sets it on the context.
            pub fn lambda_tenant(mut self, tenant: &str) -> Self {
                self.context.tenant_id = Some(tenant.to_owned());
                self
            }

            /// The invocation's request id (a fresh one by default).
            pub fn request_id(mut self, id: &str) -> Self {
                self.context.request_id = id.to_owned();
                self
            }

            /// The invocation's whole context, instead of the one built by [`context()`](fn@context).
            pub fn context(mut self, context: Context) -> Self {
                self.context = context;
                self
            }

            /// The invocation's context as it stands.
            pub fn lambda_context(&self) -> &Context {
                &self.context
            }

            #[doc = concat!("The payload as the runtime reads it: [`Self::json`] deserialized into `", $name, "`.")]
            ///
            /// # Panics
            /// If the JSON does not deserialize (a bug of this kit).
            pub fn payload(&self) -> $payload {
                deserialize(self.json())
            }

            /// The payload and its context, as Lambda passes them to a `lambda_runtime`
            /// handler.
            pub fn into_lambda_event(self) -> LambdaEvent<$payload> {
                LambdaEvent::new(self.payload(), self.context)
            }

            /// The payload deserialized into another type with its context (e.g.
            /// `SqsEventObj<Order>`, `EventBridgeEvent<OrderPlaced>`, or `serde_json::Value`).
            ///
            /// # Panics
            /// If the JSON does not deserialize into `P`.
            pub fn lambda_event_as<P: DeserializeOwned>(&self) -> LambdaEvent<P> {
                LambdaEvent::new(deserialize(self.json()), self.context.clone())
            }

            /// The Runtime API headers of this invocation ([`runtime_api_headers`]).
            pub fn runtime_api_headers(&self) -> Vec<(&'static str, String)> {
                runtime_api_headers(&self.context)
            }
        }
    };
}

fn deserialize<P: DeserializeOwned>(json: Value) -> P {
    serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("{} does not read this payload: {e}\n{json:#}", std::any::type_name::<P>()))
}

// ---- SQS ---------------------------------------------------------------------------------

/// One SQS message of an [`SqsBatch`]: a body and message attributes, the tenant among them.
///
/// ```
/// use serde_json::json;
/// use tenant_isolation_testkit::records::{Message, SqsBatch};
///
/// let batch = SqsBatch::fifo()
///     .push(Message::new(json!({"n": 1})).tenant("acme").group("acme-orders").id("m-1"))
///     .push(Message::text("not json").tenant_typed("7", "Number").attribute("trace", "abc"));
/// let records = batch.json()["Records"].clone();
/// assert_eq!(records[0]["messageId"], "m-1");
/// assert_eq!(records[0]["attributes"]["MessageGroupId"], "acme-orders");
/// assert_eq!(records[1]["body"], "not json");
/// assert_eq!(records[1]["messageAttributes"]["tenant_id"]["dataType"], "Number");
/// assert_eq!(records[1]["messageAttributes"]["trace"]["stringValue"], "abc");
/// ```
#[derive(Debug, Clone)]
pub struct Message {
    id: Option<String>,
    body: String,
    /// The tenant attribute's value and data type.
    tenant: Option<(String, String)>,
    group: Option<String>,
    attributes: Vec<(String, String)>,
}

impl Message {
    /// A message whose body is `body` as JSON text, without a tenant.
    pub fn new(body: Value) -> Message {
        Message::text(&body.to_string())
    }

    /// A message whose body is `body` as sent.
    pub fn text(body: &str) -> Message {
        Message { id: None, body: body.to_owned(), tenant: None, group: None, attributes: Vec::new() }
    }

    /// The tenant attribute, data type `String`, with this value as sent (`"*"` or
    /// `"acme#x"` are written as they are: a producer can send anything).
    pub fn tenant(self, tenant: &str) -> Message {
        self.tenant_typed(tenant, "String")
    }

    /// The tenant attribute with another data type (`Number`, `String.custom`, …): SQS
    /// delivers its text in `stringValue` all the same.
    pub fn tenant_typed(mut self, value: &str, data_type: &str) -> Message {
        self.tenant = Some((value.to_owned(), data_type.to_owned()));
        self
    }

    /// The FIFO message group (`attributes.MessageGroupId`).
    pub fn group(mut self, group: &str) -> Message {
        self.group = Some(group.to_owned());
        self
    }

    /// The message id (a fresh UUID-shaped one by default).
    pub fn id(mut self, id: &str) -> Message {
        self.id = Some(id.to_owned());
        self
    }

    /// Another `String` message attribute.
    pub fn attribute(mut self, name: &str, value: &str) -> Message {
        self.attributes.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// The SQS event Lambda passes for a batch of messages (`SqsEvent`), each message's tenant in
/// a message attribute (`tenant_id` unless [`SqsBatch::tenant_attribute`] names another).
///
/// A FIFO batch ([`SqsBatch::fifo`]) gives every message a `SequenceNumber` (increasing in
/// batch order) and a `MessageDeduplicationId`, and its group's `MessageGroupId`.
#[derive(Debug, Clone)]
pub struct SqsBatch {
    queue_arn: String,
    tenant_attribute: String,
    messages: Vec<Message>,
    /// Assigned when the message is added, so that `json()` is the same every time.
    ids: Vec<String>,
    sent: u64,
    context: Context,
}

impl Default for SqsBatch {
    fn default() -> SqsBatch {
        SqsBatch::new()
    }
}

impl SqsBatch {
    /// An empty batch from the standard queue [`QUEUE_ARN`].
    pub fn new() -> SqsBatch {
        SqsBatch {
            queue_arn: QUEUE_ARN.to_owned(),
            tenant_attribute: TENANT_ATTRIBUTE.to_owned(),
            messages: Vec::new(),
            ids: Vec::new(),
            sent: millis_since_epoch(SystemTime::now()),
            context: context(),
        }
    }

    /// An empty batch from the FIFO queue [`FIFO_QUEUE_ARN`].
    pub fn fifo() -> SqsBatch {
        SqsBatch::new().queue_arn(FIFO_QUEUE_ARN)
    }

    /// The queue the messages come from (`eventSourceARN`); a name ending in `.fifo` makes
    /// it a FIFO queue.
    pub fn queue_arn(mut self, arn: &str) -> SqsBatch {
        self.queue_arn = arn.to_owned();
        self
    }

    /// The name of the message attribute carrying the tenant, for every message of the batch.
    pub fn tenant_attribute(mut self, name: &str) -> SqsBatch {
        self.tenant_attribute = name.to_owned();
        self
    }

    /// A message of `tenant` with a JSON `body`.
    pub fn message(self, tenant: &str, body: Value) -> SqsBatch {
        self.push(Message::new(body).tenant(tenant))
    }

    /// A message of `tenant` in the FIFO message group `group`.
    pub fn message_in_group(self, tenant: &str, group: &str, body: Value) -> SqsBatch {
        self.push(Message::new(body).tenant(tenant).group(group))
    }

    /// A message without the tenant attribute.
    pub fn message_without_tenant(self, body: Value) -> SqsBatch {
        self.push(Message::new(body))
    }

    /// Any message.
    pub fn push(mut self, message: Message) -> SqsBatch {
        self.ids.push(message.id.clone().unwrap_or_else(uuid_like));
        self.messages.push(message);
        self
    }

    /// The message ids, in batch order (what `batchItemFailures[].itemIdentifier` names).
    pub fn message_ids(&self) -> Vec<String> {
        self.ids.clone()
    }

    fn is_fifo(&self) -> bool {
        self.queue_arn.ends_with(".fifo")
    }

    /// The event as Lambda sends it: `{"Records": [...]}`.
    pub fn json(&self) -> Value {
        let records: Vec<Value> =
            self.messages.iter().zip(&self.ids).enumerate().map(|(i, (m, id))| self.record(i, m, id)).collect();
        json!({ "Records": records })
    }

    fn record(&self, index: usize, message: &Message, id: &str) -> Value {
        let sent = (self.sent + index as u64).to_string();
        let mut attributes = json!({
            "ApproximateReceiveCount": "1",
            "SentTimestamp": sent,
            "SenderId": "AROAEXAMPLEPRODUCER:producer",
            "ApproximateFirstReceiveTimestamp": sent,
        });
        if let Some(group) = &message.group {
            attributes["MessageGroupId"] = json!(group);
        }
        if self.is_fifo() {
            // FIFO sequence numbers are 20-digit decimals, increasing within a group; one
            // counter for the whole batch keeps them increasing within every group.
            attributes["SequenceNumber"] = json!(format!("{:020}", 18_849_496_460_467_696_128_u128 + index as u128));
            attributes["MessageDeduplicationId"] = json!(id);
        }
        let string_attribute = |value: &str, data_type: &str| json!({ "stringValue": value, "stringListValues": [], "binaryListValues": [], "dataType": data_type });
        let mut message_attributes = Map::new();
        for (name, value) in &message.attributes {
            message_attributes.insert(name.clone(), string_attribute(value, "String"));
        }
        if let Some((value, data_type)) = &message.tenant {
            message_attributes.insert(self.tenant_attribute.clone(), string_attribute(value, data_type));
        }
        // `md5OfBody` and `md5OfMessageAttributes` are left out: nothing here checks them, and a
        // digest that is not the real one would be worse than none.
        json!({
            "messageId": id,
            "receiptHandle": format!("AQEB{}", id.replace('-', "")),
            "body": message.body,
            "attributes": attributes,
            "messageAttributes": message_attributes,
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": region_of(&self.queue_arn),
        })
    }
}

invocation!(SqsBatch, SqsEvent, "aws_lambda_events::sqs::SqsEvent");

// ---- EventBridge -------------------------------------------------------------------------

/// The event an EventBridge rule passes to Lambda (one event per invocation), its tenant in a
/// `detail` field (`tenant_id` unless [`BridgeEvent::tenant_field`] names another).
///
/// ```
/// use serde_json::json;
/// use tenant_isolation_testkit::records::BridgeEvent;
///
/// let event = BridgeEvent::new("orders.app", "OrderPlaced")
///     .detail(json!({"order": "o-1"}))
///     .tenant_field("tenantId")
///     .tenant("acme");
/// let json = event.json();
/// assert_eq!(json["detail-type"], "OrderPlaced");
/// assert_eq!(json["detail"], json!({"order": "o-1", "tenantId": "acme"}));
/// assert_eq!(event.payload().detail["tenantId"], "acme");
/// ```
#[derive(Debug, Clone)]
pub struct BridgeEvent {
    id: String,
    source: String,
    detail_type: String,
    detail: Map<String, Value>,
    tenant_field: String,
    tenant: Option<Value>,
    resources: Vec<String>,
    time: String,
    context: Context,
}

impl BridgeEvent {
    /// An event of `source` with `detail-type`, an empty `detail` and no tenant.
    pub fn new(source: &str, detail_type: &str) -> BridgeEvent {
        BridgeEvent {
            id: uuid_like(),
            source: source.to_owned(),
            detail_type: detail_type.to_owned(),
            detail: Map::new(),
            tenant_field: TENANT_ATTRIBUTE.to_owned(),
            tenant: None,
            resources: Vec::new(),
            time: rfc3339(SystemTime::now()),
            context: context(),
        }
    }

    /// The `detail` object (the tenant field, when set, is written into it).
    ///
    /// # Panics
    /// If `detail` is not a JSON object.
    pub fn detail(mut self, detail: Value) -> BridgeEvent {
        let Value::Object(detail) = detail else { panic!("an EventBridge `detail` is a JSON object: {detail}") };
        self.detail = detail;
        self
    }

    /// The name of the `detail` field carrying the tenant.
    pub fn tenant_field(mut self, name: &str) -> BridgeEvent {
        self.tenant_field = name.to_owned();
        self
    }

    /// The tenant field's value: a string as sent (`"acme"`, `"*"`), or any JSON for a
    /// malformed one (`json!(42)`, `json!(["acme", "globex"])`).
    pub fn tenant(mut self, tenant: impl Into<Value>) -> BridgeEvent {
        self.tenant = Some(tenant.into());
        self
    }

    /// An ARN in `resources`.
    pub fn resource(mut self, arn: &str) -> BridgeEvent {
        self.resources.push(arn.to_owned());
        self
    }

    /// The event id (`id`, a fresh UUID-shaped one by default).
    pub fn id(mut self, id: &str) -> BridgeEvent {
        self.id = id.to_owned();
        self
    }

    /// The event as Lambda receives it.
    pub fn json(&self) -> Value {
        let mut detail = self.detail.clone();
        if let Some(tenant) = &self.tenant {
            detail.insert(self.tenant_field.clone(), tenant.clone());
        }
        json!({
            "version": "0",
            "id": self.id,
            "detail-type": self.detail_type,
            "source": self.source,
            "account": ACCOUNT,
            "time": self.time,
            "region": REGION,
            "resources": self.resources,
            "detail": detail,
        })
    }
}

invocation!(BridgeEvent, EventBridgeEvent, "aws_lambda_events::eventbridge::EventBridgeEvent");

// ---- DynamoDB Streams --------------------------------------------------------------------

/// The DynamoDB Streams event Lambda passes for a batch of one shard's records
/// (`aws_lambda_events::dynamodb::Event`). Items are written as plain JSON
/// (`{"pk": "TENANT#acme#ORDER#1", "total": 3}`) and delivered as DynamoDB JSON
/// ([`to_dynamodb_json`]); `Keys` holds the item's key attributes (`pk` and `sk` unless
/// [`StreamBatch::keys`] names others; those the item has). Sequence numbers increase in batch
/// order.
///
/// ```
/// use serde_json::json;
/// use tenant_isolation_testkit::records::StreamBatch;
///
/// let batch = StreamBatch::new()
///     .insert(json!({"pk": "TENANT#acme#ORDER#1", "sk": "ORDER", "total": 3}))
///     .modify(
///         json!({"pk": "TENANT#globex#ORDER#7", "sk": "ORDER", "status": "NEW"}),
///         json!({"pk": "TENANT#globex#ORDER#7", "sk": "ORDER", "status": "PAID"}),
///     )
///     .remove(json!({"pk": "TENANT#acme#ORDER#2", "sk": "ORDER"}));
/// let json = batch.json();
/// assert_eq!(json["Records"][0]["eventName"], "INSERT");
/// assert_eq!(json["Records"][0]["dynamodb"]["Keys"]["pk"]["S"], "TENANT#acme#ORDER#1");
/// assert_eq!(json["Records"][0]["dynamodb"]["NewImage"]["total"]["N"], "3");
/// assert_eq!(json["Records"][2]["dynamodb"]["OldImage"]["pk"]["S"], "TENANT#acme#ORDER#2");
/// let sequence = batch.sequence_numbers();
/// assert!(sequence[0] < sequence[1] && sequence[1] < sequence[2]);
/// ```
#[derive(Debug, Clone)]
pub struct StreamBatch {
    stream_arn: String,
    keys: Vec<String>,
    view: StreamViewType,
    records: Vec<Change>,
    /// Assigned when the record is added: `(eventID, SequenceNumber)`.
    ids: Vec<(String, String)>,
    created: u64,
    context: Context,
}

#[derive(Debug, Clone)]
struct Change {
    name: &'static str,
    old: Option<Value>,
    new: Option<Value>,
}

/// Where this process's stream sequence numbers start: 21 digits, so that comparing them as
/// strings or as numbers agrees.
const FIRST_SEQUENCE_NUMBER: u128 = 400_000_000_000_000_000_000;

impl Default for StreamBatch {
    fn default() -> StreamBatch {
        StreamBatch::new()
    }
}

impl StreamBatch {
    /// An empty batch of [`STREAM_ARN`] (table [`TABLE`]), keys `pk` and `sk`, view
    /// `NEW_AND_OLD_IMAGES`.
    pub fn new() -> StreamBatch {
        StreamBatch {
            stream_arn: STREAM_ARN.to_owned(),
            keys: vec!["pk".to_owned(), "sk".to_owned()],
            view: StreamViewType::NewAndOldImages,
            records: Vec::new(),
            ids: Vec::new(),
            created: SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            context: context(),
        }
    }

    /// The stream of table `table` (`…:table/<table>/stream/2026-01-01T00:00:00.000`).
    pub fn table(self, table: &str) -> StreamBatch {
        self.stream_arn(&format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/2026-01-01T00:00:00.000"))
    }

    /// The stream the records come from (`eventSourceARN`).
    pub fn stream_arn(mut self, arn: &str) -> StreamBatch {
        self.stream_arn = arn.to_owned();
        self
    }

    /// The table's key attributes, partition key first (`["pk", "sk"]` by default; `["id"]`
    /// for a table without a sort key).
    pub fn keys(mut self, attributes: &[&str]) -> StreamBatch {
        self.keys = attributes.iter().map(|a| (*a).to_owned()).collect();
        self
    }

    /// The stream's view type: which images the records carry (`KEYS_ONLY`: none).
    pub fn view(mut self, view: StreamViewType) -> StreamBatch {
        self.view = view;
        self
    }

    /// An `INSERT` of `item`.
    pub fn insert(self, item: Value) -> StreamBatch {
        self.change("INSERT", None, Some(item))
    }

    /// A `MODIFY` from `old` to `new` (the keys are read from `new`).
    pub fn modify(self, old: Value, new: Value) -> StreamBatch {
        self.change("MODIFY", Some(old), Some(new))
    }

    /// A `REMOVE` of `old`.
    pub fn remove(self, old: Value) -> StreamBatch {
        self.change("REMOVE", Some(old), None)
    }

    fn change(mut self, name: &'static str, old: Option<Value>, new: Option<Value>) -> StreamBatch {
        for item in old.iter().chain(&new) {
            assert!(item.is_object(), "a stream record's item is a JSON object: {item}");
        }
        let n = next();
        self.ids.push((format!("{:032x}", u128::from(seed()) << 64 | u128::from(n)), {
            // Increasing in the order records are added, across batches of this process too.
            (FIRST_SEQUENCE_NUMBER + u128::from(n)).to_string()
        }));
        self.records.push(Change { name, old, new });
        self
    }

    /// The records' sequence numbers, in batch order (what a stream handler's checkpoint,
    /// `batchItemFailures[].itemIdentifier`, names).
    pub fn sequence_numbers(&self) -> Vec<String> {
        self.ids.iter().map(|(_, sequence)| sequence.clone()).collect()
    }

    /// The event as Lambda sends it: `{"Records": [...]}`.
    pub fn json(&self) -> Value {
        let records: Vec<Value> = self.records.iter().zip(&self.ids).map(|(c, ids)| self.record(c, ids)).collect();
        json!({ "Records": records })
    }

    fn record(&self, change: &Change, (event_id, sequence): &(String, String)) -> Value {
        let item = change.new.as_ref().or(change.old.as_ref()).cloned().unwrap_or(Value::Null);
        let keys: Map<String, Value> =
            self.keys.iter().filter_map(|k| item.get(k).map(|v| (k.clone(), to_dynamodb_json(v)))).collect();
        let (with_new, with_old) = match self.view {
            StreamViewType::NewImage => (true, false),
            StreamViewType::OldImage => (false, true),
            StreamViewType::NewAndOldImages => (true, true),
            _ => (false, false),
        };
        let mut dynamodb = json!({
            "ApproximateCreationDateTime": self.created,
            "Keys": keys,
            "SequenceNumber": sequence,
            "StreamViewType": self.view.to_string(),
        });
        let mut size = Value::Object(keys).to_string().len();
        for (name, image, wanted) in [("NewImage", &change.new, with_new), ("OldImage", &change.old, with_old)] {
            if let (Some(image), true) = (image, wanted) {
                let image = to_dynamodb_json(image)["M"].take();
                size += image.to_string().len();
                dynamodb[name] = image;
            }
        }
        dynamodb["SizeBytes"] = json!(size);
        json!({
            "eventID": event_id,
            "eventName": change.name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region_of(&self.stream_arn),
            "dynamodb": dynamodb,
            "eventSourceARN": self.stream_arn,
        })
    }
}

invocation!(StreamBatch, DynamoDbEvent, "aws_lambda_events::dynamodb::Event");

/// A plain JSON value as a DynamoDB attribute value (DynamoDB JSON): a string is `{"S": …}`, a
/// number `{"N": "<its text>"}`, a boolean `{"BOOL": …}`, `null` `{"NULL": true}`, an array
/// `{"L": […]}`, an object `{"M": {…}}`.
///
/// ```
/// use serde_json::json;
/// use tenant_isolation_testkit::records::to_dynamodb_json;
///
/// assert_eq!(
///     to_dynamodb_json(&json!({"pk": "TENANT#acme", "n": 2, "tags": ["a"], "gone": null})),
///     json!({"M": {"pk": {"S": "TENANT#acme"}, "n": {"N": "2"}, "tags": {"L": [{"S": "a"}]}, "gone": {"NULL": true}}}),
/// );
/// ```
pub fn to_dynamodb_json(value: &Value) -> Value {
    match value {
        Value::String(s) => json!({ "S": s }),
        Value::Number(n) => json!({ "N": n.to_string() }),
        Value::Bool(b) => json!({ "BOOL": b }),
        Value::Null => json!({ "NULL": true }),
        Value::Array(items) => json!({ "L": items.iter().map(to_dynamodb_json).collect::<Vec<_>>() }),
        Value::Object(map) => {
            json!({ "M": map.iter().map(|(k, v)| (k.clone(), to_dynamodb_json(v))).collect::<Map<_, _>>() })
        }
    }
}

// ---- S3 event notifications --------------------------------------------------------------

/// The S3 event notification Lambda passes (`S3Event`): records of one bucket, each object key
/// URL-encoded the way S3 writes it ([`encode_s3_key`]).
///
/// ```
/// use tenant_isolation_testkit::records::S3Notification;
///
/// let notification = S3Notification::new("tenant-files")
///     .put("tenants/acme/a b.pdf", 1024)
///     .put("tenants/globex/report.csv", 20)
///     .delete("tenants/acme/old.txt");
/// let json = notification.json();
/// assert_eq!(json["Records"][0]["eventName"], "ObjectCreated:Put");
/// assert_eq!(json["Records"][0]["s3"]["bucket"]["name"], "tenant-files");
/// assert_eq!(json["Records"][0]["s3"]["object"]["key"], "tenants/acme/a+b.pdf");
/// assert_eq!(json["Records"][2]["eventName"], "ObjectRemoved:Delete");
/// assert_eq!(notification.payload().records[1].s3.object.size, Some(20));
/// ```
#[derive(Debug, Clone)]
pub struct S3Notification {
    bucket: String,
    records: Vec<ObjectEvent>,
    time: String,
    context: Context,
}

#[derive(Debug, Clone)]
struct ObjectEvent {
    name: String,
    /// As it appears in the notification (already encoded).
    key: String,
    size: Option<u64>,
    sequencer: u64,
}

impl S3Notification {
    /// An empty notification of `bucket`.
    pub fn new(bucket: &str) -> S3Notification {
        S3Notification {
            bucket: bucket.to_owned(),
            records: Vec::new(),
            time: rfc3339(SystemTime::now()),
            context: context(),
        }
    }

    /// `ObjectCreated:Put` of `key` (written encoded, [`encode_s3_key`]) with `size` bytes.
    pub fn put(self, key: &str, size: u64) -> S3Notification {
        self.event("ObjectCreated:Put", key, Some(size))
    }

    /// `ObjectRemoved:Delete` of `key` (no size, as S3 sends it).
    pub fn delete(self, key: &str) -> S3Notification {
        self.event("ObjectRemoved:Delete", key, None)
    }

    /// Any event (`ObjectCreated:Copy`, `ObjectCreated:CompleteMultipartUpload`, …) of `key`,
    /// written encoded.
    pub fn event(self, name: &str, key: &str, size: Option<u64>) -> S3Notification {
        self.event_encoded(name, &encode_s3_key(key), size)
    }

    /// An event whose `s3.object.key` is `encoded_key` exactly as given: for keys S3 would not
    /// write (`tenants%2Fglobex%2Fx`, `tenants/acme/%2e%2e/globex/x`, a stray `%`).
    pub fn event_encoded(mut self, name: &str, encoded_key: &str, size: Option<u64>) -> S3Notification {
        self.records.push(ObjectEvent { name: name.to_owned(), key: encoded_key.to_owned(), size, sequencer: next() });
        self
    }

    /// The event as Lambda sends it: `{"Records": [...]}`.
    pub fn json(&self) -> Value {
        let records: Vec<Value> = self.records.iter().map(|r| self.record(r)).collect();
        json!({ "Records": records })
    }

    fn record(&self, event: &ObjectEvent) -> Value {
        let mut object = json!({
            "key": event.key,
            // S3's sequencer is a hexadecimal string that orders the events of one key.
            "sequencer": format!("{:016X}", u128::from(seed()) << 32 | u128::from(event.sequencer)),
        });
        if let Some(size) = event.size {
            object["size"] = json!(size);
            // Opaque here: the kit has no object content whose MD5 it could be.
            object["eTag"] = json!(format!("{:032x}", event.sequencer));
        }
        json!({
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": REGION,
            "eventTime": self.time,
            "eventName": event.name,
            "userIdentity": { "principalId": "AWS:AROAEXAMPLEPRODUCER:producer" },
            "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": { "x-amz-request-id": format!("{:016X}", event.sequencer), "x-amz-id-2": "testkit" },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "tenant-isolation-testkit",
                "bucket": {
                    "name": self.bucket,
                    "ownerIdentity": { "principalId": "A3NL1KOZZKEXAMPLE" },
                    "arn": format!("arn:aws:s3:::{}", self.bucket),
                },
                "object": object,
            },
        })
    }
}

invocation!(S3Notification, S3Event, "aws_lambda_events::s3::S3Event");

/// An object key as S3 writes it into an event notification: URL-encoded as a form value
/// (`application/x-www-form-urlencoded`: a space is `+`, every byte other than `A-Za-z0-9`,
/// `*`, `-`, `.`, `_` is `%XX`), except `/`, which S3 leaves as it is.
///
/// AWS documents the encoding with `"red flower.jpg"` → `"red+flower.jpg"` (S3 user guide, "Event
/// message structure"); that `/` stays unencoded is what S3 sends (compared with other S3
/// implementations in minio/minio#11665).
///
/// ```
/// use tenant_isolation_testkit::records::encode_s3_key;
///
/// assert_eq!(encode_s3_key("tenants/acme/a b.pdf"), "tenants/acme/a+b.pdf");
/// assert_eq!(encode_s3_key("tenants/acme/c++ (1).txt"), "tenants/acme/c%2B%2B+%281%29.txt");
/// assert_eq!(encode_s3_key("logs/dt=2026-01-01/été.log"), "logs/dt%3D2026-01-01/%C3%A9t%C3%A9.log");
/// ```
pub fn encode_s3_key(key: &str) -> String {
    key.split('/')
        .map(|segment| form_urlencoded::byte_serialize(segment.as_bytes()).collect::<String>())
        .collect::<Vec<_>>()
        .join("/")
}

// ---- Identifiers and times ---------------------------------------------------------------

/// A number unique in this process.
fn next() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Differs between test processes (their start time and pid), so that identifiers do too.
fn seed() -> u32 {
    static SEED: OnceLock<u32> = OnceLock::new();
    *SEED.get_or_init(|| {
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        nanos ^ std::process::id().rotate_left(16)
    })
}

/// A UUID-shaped identifier (version 4's layout), unique in this process.
fn uuid_like() -> String {
    format!("{:08x}-0000-4000-a000-{:012x}", seed(), next() & 0xffff_ffff_ffff)
}

fn millis_since_epoch(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `2026-11-23T06:00:00Z` (whole seconds), as EventBridge and S3 write times.
fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DateTime::from_secs(i64::try_from(secs).unwrap_or(i64::MAX)).fmt(Format::DateTime).expect("a time after 1970")
}

/// The region of an ARN (`arn:aws:sqs:<region>:…`), else [`REGION`].
fn region_of(arn: &str) -> &str {
    arn.split(':').nth(3).filter(|r| !r.is_empty()).unwrap_or(REGION)
}
