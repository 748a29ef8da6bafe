//! The key guard: an SDK interceptor on each tenant's DynamoDB client that refuses, before
//! anything is serialised or sent, a request whose operation the handler did not declare
//! or whose partition key is outside the tenant's keys.
//!
//! It is a second line behind the session policy (which IAM enforces in AWS, and which no
//! local emulator enforces): it catches a cross-tenant key in the process, with a typed
//! error, in tests and in local development too.
//!
//! What it checks, per operation (the partition-key attribute is `pk` unless configured):
//!
//! | operation | needs declared | keys checked |
//! |---|---|---|
//! | GetItem, PutItem, UpdateItem, DeleteItem | the same action | `Key` / `Item` |
//! | Query | `Query` | the partition-key equality in `KeyConditionExpression` (or legacy `KeyConditions`), `ExclusiveStartKey`; `IndexName` must be declared |
//! | BatchGetItem, BatchWriteItem | the same action | every key and item, every table |
//! | TransactGetItems | `GetItem` | every `Get` |
//! | TransactWriteItems | `PutItem` / `UpdateItem` / `DeleteItem` / `ConditionCheckItem` per item | every item |
//! | ExecuteStatement, BatchExecuteStatement, ExecuteTransaction | the `PartiQL*` action of each statement's verb | **not checked**: the guard does not parse PartiQL; IAM's `LeadingKeys` condition is the only key check |
//! | anything else (Scan, DescribeTable, …) | — | refused |
//!
//! Which action each operation needs comes from the core's [`Operation`] table, and whether a
//! key value is the tenant's from the handler's [`KeyRule`](tenant_isolation_core::KeyRule)
//! (`<prefix><tenant>` or `<prefix><tenant>#…`): the same definitions the session policy is
//! written from.

use crate::kind::{self, ErrorKind};
use crate::scope::ScopeError;
use crate::session::PolicyKey;
use crate::signing::ScopeCredentials;
use crate::spec::HandlerSpec;
use aws_sdk_dynamodb::operation::{
    batch_execute_statement::BatchExecuteStatementInput, batch_get_item::BatchGetItemInput,
    batch_write_item::BatchWriteItemInput, delete_item::DeleteItemInput, execute_statement::ExecuteStatementInput,
    execute_transaction::ExecuteTransactionInput, get_item::GetItemInput, put_item::PutItemInput, query::QueryInput,
    transact_get_items::TransactGetItemsInput, transact_write_items::TransactWriteItemsInput,
    update_item::UpdateItemInput,
};
use aws_sdk_dynamodb::types::{AttributeValue, ComparisonOperator};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{BeforeSerializationInterceptorContextRef, Input};
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::HashMap;
use std::fmt;
use tenant_isolation_core::{Action, Needs, Operation, TenantId, TransactItem, partiql_action};

/// A request the key guard refused. It never left the process.
#[derive(Debug, Clone, thiserror::Error)]
#[error("key guard refused `{operation}` for tenant `{tenant}`: {reason}")]
pub struct GuardViolation {
    tenant: TenantId,
    operation: &'static str,
    reason: Violation,
}

/// What was wrong with the request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// The operation is not a tenant data operation (Scan, table administration, …).
    Operation,
    /// The operation needs an action the handler did not declare.
    UndeclaredAction(Action),
    /// A partition key outside the tenant's keys, or not a string.
    ForeignKey {
        /// The partition-key attribute.
        attribute: String,
    },
    /// The request names no partition key the guard can check.
    MissingKey {
        /// The partition-key attribute.
        attribute: String,
    },
    /// Another table than the handler's.
    Table(String),
    /// An index the handler did not declare.
    Index(String),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Operation => f.write_str("not a tenant data operation"),
            Violation::UndeclaredAction(a) => {
                write!(f, "`{a}` is not in the handler's `#[tenant_isolated(actions = [...])]`")
            }
            Violation::ForeignKey { attribute } => {
                write!(f, "partition key `{attribute}` is outside the tenant's keys")
            }
            Violation::MissingKey { attribute } => write!(
                f,
                "no equality on partition key `{attribute}` that the guard can check (write `{attribute} = :value`)"
            ),
            Violation::Table(t) => write!(f, "table `{t}` is not the handler's table"),
            Violation::Index(i) => write!(f, "index `{i}` is not declared in `indexes = [...]`"),
        }
    }
}

impl GuardViolation {
    /// The tenant whose request was refused.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }
    /// The DynamoDB operation, e.g. `GetItem`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }
    /// What was wrong.
    pub fn violation(&self) -> &Violation {
        &self.reason
    }

    /// Always [`ErrorKind::Forbidden`] (403): the caller asked for something outside its tenant.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Forbidden
    }

    /// Finds a guard violation in an error's source chain (the `SdkError` of a refused call).
    pub fn find<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a GuardViolation> {
        kind::chain(error).find_map(|e| e.downcast_ref::<GuardViolation>())
    }
}

/// Partition-key attribute names: one for the table, overrides per index.
#[derive(Debug, Clone)]
pub(crate) struct KeySchema {
    pub(crate) table: String,
    pub(crate) indexes: HashMap<String, String>,
}

/// The interceptor on a handler policy's DynamoDB client (one client per policy, shared by
/// every tenant). For each request it takes the scope of the task that sends it, refuses
/// the request unless every key belongs to that scope's tenant, and only then attaches
/// that scope's credentials to the request for signing ([`crate::signing`]). The tenant
/// whose keys are checked and the tenant whose credentials sign are therefore read once,
/// from one scope, by one call: they cannot differ.
#[derive(Debug)]
pub(crate) struct KeyGuard {
    spec: &'static HandlerSpec,
    policy: PolicyKey,
    /// The table's full ARN: a table named by ARN must be exactly this one (partition,
    /// region, account and name), not merely end with the same name.
    table_arn: String,
    keys: KeySchema,
}

impl KeyGuard {
    pub(crate) fn new(spec: &'static HandlerSpec, policy: PolicyKey, table_arn: String, keys: KeySchema) -> KeyGuard {
        KeyGuard { spec, policy, table_arn, keys }
    }

    /// Checks one request for `tenant`.
    fn check(&self, tenant: &TenantId, input: &Input) -> Result<(), GuardViolation> {
        Check { tenant, table: self.policy.table(), table_arn: &self.table_arn, spec: self.spec, keys: &self.keys }
            .check(input)
    }
}

/// One request's check against one tenant.
struct Check<'a> {
    tenant: &'a TenantId,
    table: &'a str,
    table_arn: &'a str,
    spec: &'static HandlerSpec,
    keys: &'a KeySchema,
}

impl Check<'_> {
    fn violation(&self, operation: &'static str, reason: Violation) -> GuardViolation {
        GuardViolation { tenant: self.tenant.clone(), operation, reason }
    }

    /// `<prefix><tenant>` or `<prefix><tenant>#…`: the handler's key rule, from which the
    /// session policy's patterns are written too.
    fn is_own(&self, value: &str) -> bool {
        self.spec.table().keys.is_own(self.tenant, value)
    }

    /// The action `op` needs (for a single-action operation), declared or refused.
    fn need_op(&self, op: Operation) -> Result<(), GuardViolation> {
        match op.needs() {
            Needs::Action(action) => self.need(op.name(), action),
            _ => Err(self.violation(op.name(), Violation::Operation)),
        }
    }

    fn need(&self, op: &'static str, action: Action) -> Result<(), GuardViolation> {
        if self.spec.allows(action) { Ok(()) } else { Err(self.violation(op, Violation::UndeclaredAction(action))) }
    }

    /// The table a request names: the physical name, or the table's exact ARN.
    fn table(&self, op: &'static str, table: Option<&str>) -> Result<(), GuardViolation> {
        match table {
            Some(t) if t == self.table || t == self.table_arn => Ok(()),
            other => Err(self.violation(op, Violation::Table(other.unwrap_or_default().to_owned()))),
        }
    }

    fn key(
        &self,
        op: &'static str,
        item: Option<&HashMap<String, AttributeValue>>,
        attribute: &str,
    ) -> Result<(), GuardViolation> {
        match item.and_then(|i| i.get(attribute)) {
            Some(AttributeValue::S(v)) if self.is_own(v) => Ok(()),
            Some(_) => Err(self.violation(op, Violation::ForeignKey { attribute: attribute.to_owned() })),
            None => Err(self.violation(op, Violation::MissingKey { attribute: attribute.to_owned() })),
        }
    }

    fn check(&self, input: &Input) -> Result<(), GuardViolation> {
        let pk = self.keys.table.as_str();
        if let Some(i) = input.downcast_ref::<GetItemInput>() {
            self.need_op(Operation::GetItem)?;
            self.table("GetItem", i.table_name())?;
            return self.key("GetItem", i.key(), pk);
        }
        if let Some(i) = input.downcast_ref::<PutItemInput>() {
            self.need_op(Operation::PutItem)?;
            self.table("PutItem", i.table_name())?;
            return self.key("PutItem", i.item(), pk);
        }
        if let Some(i) = input.downcast_ref::<UpdateItemInput>() {
            self.need_op(Operation::UpdateItem)?;
            self.table("UpdateItem", i.table_name())?;
            return self.key("UpdateItem", i.key(), pk);
        }
        if let Some(i) = input.downcast_ref::<DeleteItemInput>() {
            self.need_op(Operation::DeleteItem)?;
            self.table("DeleteItem", i.table_name())?;
            return self.key("DeleteItem", i.key(), pk);
        }
        if let Some(i) = input.downcast_ref::<QueryInput>() {
            return self.check_query(i);
        }
        if let Some(i) = input.downcast_ref::<BatchGetItemInput>() {
            self.need_op(Operation::BatchGetItem)?;
            for (table, keys) in i.request_items().into_iter().flatten() {
                self.table("BatchGetItem", Some(table))?;
                for key in keys.keys() {
                    self.key("BatchGetItem", Some(key), pk)?;
                }
            }
            return Ok(());
        }
        if let Some(i) = input.downcast_ref::<BatchWriteItemInput>() {
            self.need_op(Operation::BatchWriteItem)?;
            for (table, writes) in i.request_items().into_iter().flatten() {
                self.table("BatchWriteItem", Some(table))?;
                for w in writes {
                    match (w.put_request(), w.delete_request()) {
                        (Some(put), None) => self.key("BatchWriteItem", Some(put.item()), pk)?,
                        (None, Some(delete)) => self.key("BatchWriteItem", Some(delete.key()), pk)?,
                        _ => {
                            return Err(
                                self.violation("BatchWriteItem", Violation::MissingKey { attribute: pk.to_owned() })
                            );
                        }
                    }
                }
            }
            return Ok(());
        }
        if let Some(i) = input.downcast_ref::<TransactGetItemsInput>() {
            self.need("TransactGetItems", TransactItem::Get.action())?;
            for item in i.transact_items() {
                let Some(get) = item.get() else {
                    return Err(self.violation("TransactGetItems", Violation::MissingKey { attribute: pk.to_owned() }));
                };
                self.table("TransactGetItems", Some(get.table_name()))?;
                self.key("TransactGetItems", Some(get.key()), pk)?;
            }
            return Ok(());
        }
        if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
            const OP: &str = "TransactWriteItems";
            for item in i.transact_items() {
                let (kind, table, key) = if let Some(p) = item.put() {
                    (TransactItem::Put, p.table_name(), p.item())
                } else if let Some(u) = item.update() {
                    (TransactItem::Update, u.table_name(), u.key())
                } else if let Some(d) = item.delete() {
                    (TransactItem::Delete, d.table_name(), d.key())
                } else if let Some(c) = item.condition_check() {
                    (TransactItem::ConditionCheck, c.table_name(), c.key())
                } else {
                    return Err(self.violation(OP, Violation::MissingKey { attribute: pk.to_owned() }));
                };
                self.need(OP, kind.action())?;
                self.table(OP, Some(table))?;
                self.key(OP, Some(key), pk)?;
            }
            return Ok(());
        }
        if let Some(i) = input.downcast_ref::<ExecuteStatementInput>() {
            return self.check_partiql("ExecuteStatement", i.statement().unwrap_or_default());
        }
        if let Some(i) = input.downcast_ref::<BatchExecuteStatementInput>() {
            for s in i.statements() {
                self.check_partiql("BatchExecuteStatement", s.statement())?;
            }
            return Ok(());
        }
        if let Some(i) = input.downcast_ref::<ExecuteTransactionInput>() {
            for s in i.transact_statements() {
                self.check_partiql("ExecuteTransaction", s.statement())?;
            }
            return Ok(());
        }
        Err(self.violation("(other)", Violation::Operation))
    }

    fn check_query(&self, i: &QueryInput) -> Result<(), GuardViolation> {
        const OP: &str = "Query";
        self.need_op(Operation::Query)?;
        self.table(OP, i.table_name())?;
        let attribute = match i.index_name() {
            Some(index) => {
                if !self.spec.table().declares_index(index) {
                    return Err(self.violation(OP, Violation::Index(index.to_owned())));
                }
                self.keys.indexes.get(index).unwrap_or(&self.keys.table).as_str()
            }
            None => self.keys.table.as_str(),
        };
        let values = i.expression_attribute_values();
        let names = i.expression_attribute_names();
        let value = match (i.key_condition_expression(), i.key_conditions()) {
            (Some(expr), None) => partition_value(expr, attribute, names).and_then(|v| values.and_then(|m| m.get(v))),
            (None, Some(conditions)) => conditions
                .get(attribute)
                .filter(|c| c.comparison_operator() == &ComparisonOperator::Eq)
                .and_then(|c| c.attribute_value_list().first()),
            _ => None,
        };
        match value {
            Some(AttributeValue::S(v)) if self.is_own(v) => {}
            Some(_) => return Err(self.violation(OP, Violation::ForeignKey { attribute: attribute.to_owned() })),
            None => return Err(self.violation(OP, Violation::MissingKey { attribute: attribute.to_owned() })),
        }
        if let Some(start) = i.exclusive_start_key() {
            self.key(OP, Some(start), attribute)?;
        }
        Ok(())
    }

    fn check_partiql(&self, op: &'static str, statement: &str) -> Result<(), GuardViolation> {
        match partiql_action(statement) {
            Some(action) => self.need(op, action),
            None => Err(self.violation(op, Violation::Operation)),
        }
    }
}

/// The `:value` that a key condition compares the partition key to with `=`.
///
/// Input `pk = :pk AND begins_with(sk, :p)` (or `#k = :v` with `#k` → `pk`, or
/// `:v = pk`) gives `Some(":pk")`. A key condition has exactly one partition-key
/// equality (DynamoDB Developer Guide, "Key condition expressions for query"); anything
/// else gives `None`, which the guard refuses.
fn partition_value<'a>(expr: &'a str, attribute: &str, names: Option<&HashMap<String, String>>) -> Option<&'a str> {
    let tokens = tokenize(expr);
    let resolves = |t: &str| {
        if let Some(n) = t.strip_prefix('#').and(names).and_then(|m| m.get(t)) {
            return n == attribute;
        }
        !t.starts_with('#') && !t.starts_with(':') && t == attribute
    };
    let mut found = None;
    for w in tokens.windows(3) {
        if w[1] != "=" {
            continue;
        }
        let value = if resolves(w[0]) && w[2].starts_with(':') {
            w[2]
        } else if resolves(w[2]) && w[0].starts_with(':') {
            w[0]
        } else {
            continue;
        };
        if found.replace(value).is_some() {
            return None;
        }
    }
    found
}

/// Splits a condition expression into names/values/words and operators.
fn tokenize(expr: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if matches!(c, b'(' | b')' | b',' | b'=') {
            tokens.push(&expr[i..i + 1]);
            i += 1;
        } else if matches!(c, b'<' | b'>') {
            let len = if bytes.get(i + 1).is_some_and(|n| matches!(n, b'=' | b'>')) { 2 } else { 1 };
            tokens.push(&expr[i..i + len]);
            i += len;
        } else {
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b"()=,<>".contains(&bytes[i]) {
                i += 1;
            }
            tokens.push(&expr[start..i]);
        }
    }
    tokens
}

impl Intercept for KeyGuard {
    fn name(&self) -> &'static str {
        "TenantKeyGuard"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The task's scope, or nothing is sent: a client that escaped into a task without a
        // scope (plain `tokio::spawn`) has no tenant and no credentials.
        let scope = crate::scope::current()?;
        if scope.policy() != &self.policy {
            return Err(Box::new(ScopeError::ClientMismatch {
                client: self.spec.name(),
                actual: scope.handler().name(),
            }));
        }
        self.check(scope.tenant(), context.input()).map_err(|v| {
            tracing::warn!(tenant = %v.tenant, operation = v.operation, reason = %v.reason, "key guard refused a request");
            Box::new(v) as BoxError
        })?;
        // Checked: this request is signed with this scope's credentials and no others.
        cfg.interceptor_state().store_put(ScopeCredentials::new(scope.credentials().clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_partition_equality() {
        let names: HashMap<String, String> = [("#p".to_owned(), "pk".to_owned())].into();
        assert_eq!(partition_value("pk = :pk", "pk", None), Some(":pk"));
        assert_eq!(partition_value("pk=:pk AND begins_with(sk, :s)", "pk", None), Some(":pk"));
        assert_eq!(partition_value(":v = pk AND sk > :s", "pk", None), Some(":v"));
        assert_eq!(partition_value("#p = :x AND #s BETWEEN :a AND :b", "pk", Some(&names)), Some(":x"));
        assert_eq!(partition_value("(pk = :a)", "pk", None), Some(":a"));
        // Not on the partition key, not an equality, or ambiguous: refused.
        assert_eq!(partition_value("sk = :a", "pk", None), None);
        assert_eq!(partition_value("pk >= :a", "pk", None), None);
        assert_eq!(partition_value("pk = :a AND pk = :b", "pk", None), None);
        assert_eq!(partition_value("#q = :a", "pk", Some(&names)), None);
        assert_eq!(partition_value("pkx = :a", "pk", None), None);
    }
}
