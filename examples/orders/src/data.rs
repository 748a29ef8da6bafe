//! The data layer. It reaches the tenant's tables through `TenantTable` capabilities and
//! never sees a credential, a tenant id parameter or a client: every key it builds starts
//! from the current scope's `TENANT#<id>`.
//!
//! Each function states the action it needs in its signature, so a handler that did not
//! declare that action cannot call it (a compile error, not a runtime surprise).

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use tenant_isolation::actions::{
    GetItem, GetObject, GetParameter, GetSecretValue, ListBucket, PutItem, PutObject, Query, UpdateItem,
};
use tenant_isolation::{
    Allows, AllowsNamed, AllowsObject, IsolationError, ScopeError, TenantBucket, TenantParameters, TenantSecrets,
    TenantTable,
};

/// The GSI that lists a tenant's orders by status (partition key `pk`, sort key `status`).
pub const BY_STATUS: &str = "ByStatus";

/// Every status an order can have: a listing by any other is a bad request, not a query.
pub const STATUSES: [&str; 2] = ["open", "cancelled"];

/// An order as stored (`pk = TENANT#<tenant>`, `sk = ORDER#<id>`) and returned.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Order {
    /// The order id.
    pub id: String,
    /// What was ordered.
    pub item: String,
    /// How many.
    pub quantity: u32,
    /// `open` or `cancelled`.
    pub status: String,
    /// The name of the tenant's customer the order was placed for, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// The order's attachment, when it has one: an object name in the tenant's folder of the
    /// attachments bucket (`orders/<id>/note.txt`, under `tenants/<tenant>/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    /// The tenant's currency when the order was placed (its settings parameter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Which of the tenant's webhook keys will sign the order's notification: the last four
    /// characters of its webhook secret, never the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_key: Option<String>,
}

/// A tenant's order settings: the JSON of its parameter `/tenants/<tenant>/settings`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Settings {
    /// The currency of the tenant's orders.
    pub currency: String,
    /// The most of one item an order of the tenant's may ask for.
    pub max_quantity: u32,
}

impl Default for Settings {
    /// A tenant without a settings parameter: US dollars, and the largest quantity any order may have.
    fn default() -> Self {
        Settings { currency: "USD".into(), max_quantity: 1000 }
    }
}

/// The longest attachment note accepted.
pub const MAX_NOTE_LEN: usize = 4096;

/// The longest item name accepted (DynamoDB items are limited to 400 KB; orders are small).
pub const MAX_ITEM_LEN: usize = 200;

/// A new order's fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// What to order.
    pub item: String,
    /// How many.
    pub quantity: u32,
    /// The id of one of the tenant's customers (`c-1`), read from the `Customers` table.
    #[serde(default)]
    pub customer: Option<String>,
    /// A text stored as the order's attachment in the tenant's folder of the attachments bucket.
    #[serde(default)]
    pub note: Option<String>,
}

/// A data-layer failure, each with one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// No such order in this tenant's partition.
    #[error("order not found")]
    NotFound,
    /// No such customer in this tenant's partition of `Customers`.
    #[error("customer not found")]
    UnknownCustomer,
    /// The isolation layer refused the request (key or object guard, scope), or a DynamoDB or
    /// S3 call failed: [`IsolationError`] carries its status (403, 404 for a missing S3 object,
    /// 503 or 500).
    #[error(transparent)]
    Isolation(#[from] IsolationError),
    /// An attachment's body broke off while it was read (503).
    #[error("attachment transfer: {0}")]
    Transfer(#[source] aws_sdk_s3::primitives::ByteStreamError),
    /// A stored item is not an order.
    #[error("corrupt item: {0}")]
    Corrupt(&'static str),
    /// The caller asked for something no order can be (`?status=` of no status).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// More than the tenant's settings allow in one order (422).
    #[error("quantity over the tenant's limit of {0}")]
    OverLimit(u32),
}

impl From<ScopeError> for DataError {
    fn from(e: ScopeError) -> Self {
        DataError::Isolation(e.into())
    }
}

/// `?` on a DynamoDB or S3 call: `IsolationError` says what its failure means (a guard's
/// refusal 403 with its reason, an IAM denial 403, no answer or throttling 503, else 500).
impl<E> From<aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>> for DataError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn from(e: aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>) -> Self {
        DataError::Isolation(e.into())
    }
}

impl DataError {
    /// 400, 404, 403 (key guard, IAM), 503 (DynamoDB or S3 unreachable) or 500.
    pub fn status(&self) -> u16 {
        match self {
            DataError::BadRequest(_) => 400,
            DataError::OverLimit(_) => 422,
            DataError::NotFound | DataError::UnknownCustomer => 404,
            DataError::Isolation(e) => e.status(),
            DataError::Transfer(_) => 503,
            DataError::Corrupt(_) => 500,
        }
    }

    /// The `error` code of the JSON body answered with [`status`](Self::status).
    pub fn code(&self) -> &'static str {
        match self.status() {
            400 => "bad_request",
            403 => "forbidden",
            404 => "not_found",
            422 => "over_limit",
            503 => "unavailable",
            _ => "internal",
        }
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A sortable, unique-enough id: time in µs and a process counter.
fn new_id() -> String {
    let micros = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_micros();
    format!("{micros:x}{:04x}", NEXT_ID.fetch_add(1, Ordering::Relaxed) & 0xffff)
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn order_from(item: &HashMap<String, AttributeValue>) -> Result<Order, DataError> {
    let text = |k: &'static str| item.get(k).and_then(|v| v.as_s().ok()).cloned().ok_or(DataError::Corrupt(k));
    Ok(Order {
        id: text("sk")?.strip_prefix("ORDER#").ok_or(DataError::Corrupt("sk"))?.to_owned(),
        item: text("item")?,
        quantity: item
            .get("quantity")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or(DataError::Corrupt("quantity"))?,
        status: text("status")?,
        customer: item.get("customer").and_then(|v| v.as_s().ok()).cloned(),
        attachment: item.get("attachment").and_then(|v| v.as_s().ok()).cloned(),
        currency: item.get("currency").and_then(|v| v.as_s().ok()).cloned(),
        webhook_key: item.get("webhook_key").and_then(|v| v.as_s().ok()).cloned(),
    })
}

/// Valid order ids are what [`create`] makes: short lowercase hex. Anything else is
/// "not found" without a request.
fn valid_id(id: &str) -> bool {
    (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl NewOrder {
    /// 1–200 characters of item name (no control characters) and a quantity of 1–1000.
    pub fn is_valid(&self) -> bool {
        (1..=MAX_ITEM_LEN).contains(&self.item.chars().count())
            && !self.item.chars().any(char::is_control)
            && (1..=1000).contains(&self.quantity)
            && self.customer.as_deref().is_none_or(valid_customer_id)
            && self.note.as_deref().is_none_or(|n| n.len() <= MAX_NOTE_LEN)
    }
}

/// Customer ids: 1–40 characters of `[a-z0-9-]`.
fn valid_customer_id(id: &str) -> bool {
    (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The name of the tenant's customer `id`, from its `Customers` table (another table, with its
/// own capability: `orders` here could not be passed).
pub async fn customer_name(customers: &TenantTable<impl Allows<GetItem>>, id: &str) -> Result<String, DataError> {
    let out = customers
        .get_item()?
        .key("pk", s(customers.partition_key()?))
        .key("sk", s(format!("CUSTOMER#{id}")))
        .send()
        .await?;
    out.item().and_then(|i| i.get("name")).and_then(|n| n.as_s().ok()).cloned().ok_or(DataError::UnknownCustomer)
}

/// The object name of order `id`'s attachment, in the tenant's folder.
fn attachment_name(id: &str) -> String {
    format!("orders/{id}/note.txt")
}

/// Stores a new order in the tenant's partition, for one of its customers when `new` names one,
/// and its note as an attachment in the tenant's folder of the attachments bucket.
pub async fn create(
    orders: &TenantTable<impl Allows<PutItem>>,
    customers: &TenantTable<impl Allows<GetItem>>,
    attachments: &TenantBucket<impl AllowsObject<PutObject>>,
    config: &TenantConfig<'_, impl AllowsNamed<GetSecretValue>, impl AllowsNamed<GetParameter>>,
    new: NewOrder,
) -> Result<Order, DataError> {
    let settings = settings(config.settings).await?;
    if new.quantity > settings.max_quantity {
        return Err(DataError::OverLimit(settings.max_quantity));
    }
    let webhook_key = webhook_key(config.webhooks).await?;
    let customer = match &new.customer {
        Some(id) => Some(customer_name(customers, id).await?),
        None => None,
    };
    let id = new_id();
    let attachment = match new.note {
        Some(note) => {
            let name = attachment_name(&id);
            // The handle writes under `tenants/<tenant>/`: the name cannot leave the folder.
            attachments
                .put_object(&name)?
                .content_type("text/plain; charset=utf-8")
                .body(aws_sdk_s3::primitives::ByteStream::from(note.into_bytes()))
                .send()
                .await?;
            Some(name)
        }
        None => None,
    };
    let order = Order {
        id,
        item: new.item,
        quantity: new.quantity,
        status: "open".into(),
        customer,
        attachment,
        currency: Some(settings.currency),
        webhook_key,
    };
    let table = orders;
    let mut put = table
        .put_item()?
        .item("pk", s(table.partition_key()?))
        .item("sk", s(format!("ORDER#{}", order.id)))
        .item("item", s(&order.item))
        .item("quantity", AttributeValue::N(order.quantity.to_string()))
        .item("status", s(&order.status))
        .condition_expression("attribute_not_exists(pk)");
    if let Some(name) = &order.customer {
        put = put.item("customer", s(name));
    }
    if let Some(name) = &order.attachment {
        put = put.item("attachment", s(name));
    }
    for (attribute, value) in [("currency", &order.currency), ("webhook_key", &order.webhook_key)] {
        if let Some(value) = value {
            put = put.item(attribute, s(value));
        }
    }
    put.send().await?;
    Ok(order)
}

/// A tenant's webhook secret and settings parameter, as `create` reads them.
pub struct TenantConfig<'a, W, S> {
    /// The tenant's secrets under `tenants/<tenant>/`: `webhook` signs its notifications.
    pub webhooks: &'a TenantSecrets<W>,
    /// The tenant's parameters under `/tenants/<tenant>/`: `settings` holds its [`Settings`].
    pub settings: &'a TenantParameters<S>,
}

/// The tenant's [`Settings`] (its parameter `/tenants/<tenant>/settings`); the defaults when
/// the tenant has none.
pub async fn settings(settings: &TenantParameters<impl AllowsNamed<GetParameter>>) -> Result<Settings, DataError> {
    // The handle names `/tenants/<tenant>/settings`: another tenant's cannot be asked for.
    match settings.get_parameter("settings")?.send().await {
        Ok(out) => {
            let value = out.parameter().and_then(|p| p.value()).ok_or(DataError::Corrupt("settings"))?;
            serde_json::from_str(value).map_err(|_| DataError::Corrupt("settings"))
        }
        Err(e) if e.as_service_error().is_some_and(|e| e.is_parameter_not_found()) => Ok(Settings::default()),
        Err(e) => Err(DataError::Isolation(e.into())),
    }
}

/// The last four characters of the tenant's webhook secret (`tenants/<tenant>/webhook`), which
/// name the key its notifications are signed with; `None` when the tenant has no webhook.
pub async fn webhook_key(
    webhooks: &TenantSecrets<impl AllowsNamed<GetSecretValue>>,
) -> Result<Option<String>, DataError> {
    match webhooks.get_secret_value("webhook")?.send().await {
        Ok(out) => {
            let secret = out.secret_string().ok_or(DataError::Corrupt("webhook"))?;
            let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            Ok(Some(format!("…{tail}")))
        }
        Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => Ok(None),
        Err(e) => Err(DataError::Isolation(e.into())),
    }
}

/// One order of the tenant's, or `NotFound`.
pub async fn get(table: &TenantTable<impl Allows<GetItem>>, id: &str) -> Result<Order, DataError> {
    if !valid_id(id) {
        return Err(DataError::NotFound);
    }
    let out = table.get_item()?.key("pk", s(table.partition_key()?)).key("sk", s(format!("ORDER#{id}"))).send().await?;
    out.item().map(order_from).transpose()?.ok_or(DataError::NotFound)
}

/// The tenant's orders, all or by status (through the `ByStatus` index).
pub async fn list(table: &TenantTable<impl Allows<Query>>, status: Option<&str>) -> Result<Vec<Order>, DataError> {
    if status.is_some_and(|s| !STATUSES.contains(&s)) {
        return Err(DataError::BadRequest("unknown status"));
    }
    let query = table.query()?.expression_attribute_values(":pk", s(table.partition_key()?));
    let query = match status {
        Some(status) => query
            .index_name(BY_STATUS)
            .key_condition_expression("pk = :pk AND #status = :status")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(status)),
        None => query
            .key_condition_expression("pk = :pk AND begins_with(sk, :order)")
            .expression_attribute_values(":order", s("ORDER#")),
    };
    let out = query.send().await?;
    out.items().iter().map(order_from).collect()
}

/// Marks an order cancelled; `NotFound` if the tenant has no such order.
pub async fn cancel(table: &TenantTable<impl Allows<UpdateItem>>, id: &str) -> Result<Order, DataError> {
    let out = update_order(table, id)?
        .update_expression("SET #status = :cancelled")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":cancelled", s("cancelled"))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
        .send()
        .await;
    existing(out)?.attributes().map(order_from).transpose()?.ok_or(DataError::NotFound)
}

/// An update of the tenant's order `id`, only if it exists ([`existing`] reads its failed
/// condition as `NotFound`).
fn update_order(
    table: &TenantTable<impl Allows<UpdateItem>>,
    id: &str,
) -> Result<aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder, DataError> {
    if !valid_id(id) {
        return Err(DataError::NotFound);
    }
    Ok(table
        .update_item()?
        .key("pk", s(table.partition_key()?))
        .key("sk", s(format!("ORDER#{id}")))
        .condition_expression("attribute_exists(pk)"))
}

/// An update conditioned on `attribute_exists(pk)`: its failed condition is `NotFound` (no such
/// item in the tenant's partition).
fn existing<T>(
    out: Result<T, aws_sdk_dynamodb::error::SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError>>,
) -> Result<T, DataError> {
    match out {
        Ok(out) => Ok(out),
        Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
            Err(DataError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
}

/// Marks an order fulfilled; `NotFound` if the tenant has no such order (the SQS worker).
pub async fn fulfil(table: &TenantTable<impl Allows<UpdateItem>>, id: &str) -> Result<(), DataError> {
    let out = update_order(table, id)?
        .update_expression("SET fulfilled = :yes")
        .expression_attribute_values(":yes", AttributeValue::Bool(true))
        .send()
        .await;
    existing(out).map(drop)
}

/// The sort key of a tenant's count of orders placed.
pub const ORDER_COUNT: &str = "COUNT#orders";

/// Adds one to the tenant's count of orders placed (the Streams consumer).
pub async fn count_placed(table: &TenantTable<impl Allows<UpdateItem>>) -> Result<(), DataError> {
    table
        .update_item()?
        .key("pk", s(table.partition_key()?))
        .key("sk", s(ORDER_COUNT))
        .update_expression("ADD placed :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await?;
    Ok(())
}

/// The text of order `id`'s attachment, from the tenant's folder; `NotFound` when it has none.
///
/// `ListBucket` beside `GetObject`: on AWS, a `GetObject` of a missing object is 403
/// `AccessDenied`, not 404, to a session that may not list the bucket (Amazon S3 API Reference,
/// GetObject, "Permissions"); `is_missing` tells a missing attachment from a denial with a
/// listing confined to the tenant's folder (moto answers 404 either way).
pub async fn attachment(
    bucket: &TenantBucket<impl AllowsObject<GetObject> + AllowsObject<ListBucket>>,
    id: &str,
) -> Result<String, DataError> {
    if !valid_id(id) {
        return Err(DataError::NotFound);
    }
    let name = attachment_name(id);
    let out = match bucket.get_object(&name)?.send().await {
        Ok(out) => out,
        Err(e) if bucket.is_missing(&name, &e).await? => return Err(DataError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let bytes = out.body.collect().await.map_err(DataError::Transfer)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| DataError::Corrupt("attachment"))
}
