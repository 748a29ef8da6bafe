//! The orders service's event-driven side: record handlers, one tenant per record.
//!
//! * [`fulfil_order()`], an SQS worker: each message names an order of the tenant its
//!   `tenant_id` message attribute names, and marks it fulfilled. Only the service's own
//!   isolated handlers may send to the queue (its resource policy), stamping the tenant of their
//!   own scope: the attribute is trusted on purpose (SECURITY.md, "Record handlers").
//! * [`count_orders()`], a DynamoDB Streams consumer of `Orders`: keeps a per-tenant count of
//!   orders placed. Its tenant is read from each record's own key (`TENANT#acme` is acme's), so
//!   it trusts nothing a writer could choose.
//!
//! Each has its own least-privilege session policy (`UpdateItem` on `Orders`), and a batch
//! costs one STS call per distinct cold tenant.

use crate::data::{self, DataError};
use aws_lambda_events::dynamodb::EventRecord;
use aws_lambda_events::sqs::SqsMessage;
use serde::Deserialize;
use tenant_isolation::{TenantTable, tenant_isolated};

/// What a fulfilment message carries (its tenant is in the message attribute).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fulfilment {
    /// The order to fulfil.
    pub order: String,
}

/// Marks the message's order fulfilled, in the partition of the message's tenant.
#[tenant_isolated(
    table = "Orders",
    table_env = "ORDERS_TABLE",
    actions = [UpdateItem],
    records = sqs(tenant_attribute = "tenant_id")
)]
pub async fn fulfil_order(orders: TenantTable, message: SqsMessage) -> Result<(), DataError> {
    let job: Fulfilment = serde_json::from_str(message.body.as_deref().unwrap_or_default())
        .map_err(|_| DataError::BadRequest("not a fulfilment message"))?;
    data::fulfil(&orders, &job.order).await
}

/// Counts each order placed (an `INSERT` of an `ORDER#` item) in its tenant's `COUNT#orders`.
#[tenant_isolated(
    table = "Orders",
    table_env = "ORDERS_TABLE",
    actions = [UpdateItem],
    records = dynamodb_stream(key_prefix = "TENANT#")
)]
pub async fn count_orders(orders: TenantTable, record: EventRecord) -> Result<(), DataError> {
    let placed = record.event_name == "INSERT"
        && matches!(record.change.keys.get("sk"), Some(serde_dynamo::AttributeValue::S(sk)) if sk.starts_with("ORDER#"));
    if placed { data::count_placed(&orders).await } else { Ok(()) }
}
