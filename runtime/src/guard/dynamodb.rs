//! The key guard: the rules by which the guard on each policy's DynamoDB client refuses, before
//! anything is signed or sent, a request whose operation the handler did not declare on the
//! table it names, or whose keys are outside the tenant's under that table's key rule.
//!
//! What it checks, per operation (the partition-key attribute is `pk` unless configured):
//!
//! | operation | needs declared | keys checked |
//! |---|---|---|
//! | GetItem, DeleteItem | the same action | `Key` |
//! | PutItem | `PutItem` | `Item`: its partition key, and every index partition key it carries |
//! | UpdateItem | `UpdateItem` | `Key`; every index partition key set by `UpdateExpression` (`SET k = :v`; a computed value, `ADD` or `DELETE` is refused) or legacy `AttributeUpdates` |
//! | Query | `Query` | the partition-key equality in `KeyConditionExpression` (or legacy `KeyConditions`), `ExclusiveStartKey`; `IndexName` must be declared |
//! | BatchGetItem, BatchWriteItem | the same action | every key and item (with its index keys), every table |
//! | TransactGetItems | `GetItem` | every `Get` |
//! | TransactWriteItems | `PutItem` / `UpdateItem` / `DeleteItem` / `ConditionCheckItem` per item | every item, and the index keys its puts and updates write |
//! | ExecuteStatement, BatchExecuteStatement, ExecuteTransaction | the `PartiQL*` action of each statement's verb | the statement must name one of the handler's tables (or a declared index of it), whose actions and key rule then apply; its `WHERE` must pin the partition key with one `=` to the tenant's key (`INSERT`: its tuple's key); index keys it writes must be the tenant's. `OR`, `IN`, comments and values other than `?` or a string literal are refused as unreadable |
//! | anything else (Scan, DescribeTable, …) | — | refused |
//!
//! What remains unchecked: conditions and filters (they read only the tenant's partition once
//! its key is pinned), and the non-key attributes of items. Index partition keys are checked
//! for the indexes configured with `IsolationBuilder::index_partition_key`; an index keyed on
//! an attribute the runtime is not told about is not checked on writes.
//!
//! Each request is checked against the table it names (by physical name or exact ARN): that
//! table's declared actions, indexes and key rule, as the session policy has one statement per
//! table. A table the handler did not declare is refused; actions declared on one table are
//! never allowed on another. Which action each operation needs comes from the core's
//! [`Operation`] table, and whether a key value is the tenant's from the table's
//! [`KeyRule`](tenant_isolation_core::KeyRule) (`<prefix><tenant>` or `<prefix><tenant>#…`):
//! the same definitions the session policy is written from.
//!
//! This file is the DynamoDB rule set ([`TableRules`]) of the one guard interceptor
//! (`intercept.rs`); its S3 counterpart is `s3.rs`.

use super::intercept::RuleSet;
use super::json::Snapshot;
use super::violation::{GuardViolation, Violation};
use super::{expr, partiql};
use crate::spec::HandlerSpec;
use aws_sdk_dynamodb::operation::{
    batch_execute_statement::BatchExecuteStatementInput, batch_get_item::BatchGetItemInput,
    batch_write_item::BatchWriteItemInput, delete_item::DeleteItemInput, execute_statement::ExecuteStatementInput,
    execute_transaction::ExecuteTransactionInput, get_item::GetItemInput, put_item::PutItemInput, query::QueryInput,
    transact_get_items::TransactGetItemsInput, transact_write_items::TransactWriteItemsInput,
    update_item::UpdateItemInput,
};
use aws_sdk_dynamodb::types::{AttributeAction, AttributeValue, AttributeValueUpdate, ComparisonOperator};
use aws_smithy_runtime_api::client::interceptors::context::Input;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::HashMap;
use tenant_isolation_core::{Action, Needs, Operation, Placement, TableModel, TenantId, TransactItem, partiql_action};

/// Partition-key attribute names: one for the table, overrides per index.
#[derive(Debug, Clone)]
pub(crate) struct KeySchema {
    /// The partition-key attribute of every table not in `tables`.
    pub(crate) table: String,
    /// Per physical table, its partition-key attribute where it is not `table`.
    pub(crate) tables: HashMap<String, String>,
    /// Per index name, its partition-key attribute where it is not its table's.
    pub(crate) indexes: HashMap<String, String>,
}

impl KeySchema {
    /// The partition-key attribute of the physical table `table`.
    pub(crate) fn partition_key(&self, table: &str) -> &str {
        self.tables.get(table).unwrap_or(&self.table)
    }

    /// The tables given an attribute of their own that none of `tables` (physical names) is:
    /// most likely a declared name given where the physical one was meant, or a typo. Such a
    /// table is checked on the default attribute, and its tenants' own requests are refused.
    pub(crate) fn unknown_tables<'a>(&'a self, tables: &[String]) -> Vec<&'a str> {
        let mut unknown: Vec<&str> =
            self.tables.keys().map(String::as_str).filter(|t| !tables.iter().any(|n| n == t)).collect();
        unknown.sort_unstable();
        unknown
    }

    /// The partition-key attribute of `index` of a table whose own is `table_key`.
    fn index_key<'a>(&'a self, index: &str, table_key: &'a str) -> &'a str {
        self.indexes.get(index).map_or(table_key, String::as_str)
    }

    /// The index partition-key attributes other than the table's own, `table_key` (writes are
    /// checked on them: IAM sees only the table's).
    fn index_attributes<'a>(&'a self, table_key: &'a str) -> impl Iterator<Item = &'a str> {
        let mut seen: Vec<&str> = Vec::new();
        self.indexes.values().map(String::as_str).filter(move |a| {
            let new = *a != table_key && !seen.contains(a);
            seen.push(a);
            new
        })
    }
}

/// One declared table as the key guard sees it in this deployment.
#[derive(Debug)]
struct GuardTable {
    /// Its physical name.
    name: String,
    /// Its full ARN: a table named by ARN must be exactly this (partition, region, account and
    /// name), not merely end with the same name.
    arn: String,
    /// Its partition-key attribute.
    partition_key: String,
}

/// The DynamoDB rule set: a handler's declared tables as placed in this deployment, and the
/// partition-key attributes to check on them.
#[derive(Debug)]
pub(crate) struct TableRules {
    spec: &'static HandlerSpec,
    /// Per declared table, in order.
    tables: Vec<GuardTable>,
    keys: KeySchema,
}

impl TableRules {
    /// The rules of `spec`'s tables, placed by `placement`, with the attributes of `keys`.
    pub(crate) fn new(spec: &'static HandlerSpec, placement: &Placement, keys: KeySchema) -> TableRules {
        let tables = (0..placement.tables().len())
            .filter_map(|i| {
                let name = placement.tables()[i].clone();
                let partition_key = keys.partition_key(&name).to_owned();
                Some(GuardTable { arn: placement.table_arn(i)?, name, partition_key })
            })
            .collect();
        TableRules { spec, tables, keys }
    }
}

impl RuleSet for TableRules {
    const NAME: &'static str = "TenantKeyGuard";
    type Decision = Operation;
    type Snapshot = Snapshot;

    fn check(&self, tenant: &TenantId, input: &Input) -> Result<Operation, GuardViolation> {
        Check { tenant, tables: &self.tables, spec: self.spec, keys: &self.keys }.check(input)
    }

    fn operation(decision: &Operation) -> &'static str {
        decision.name()
    }

    fn snapshot(&self, _: &Operation, request: &Request) -> Result<Snapshot, Violation> {
        Ok(Snapshot::of(request))
    }

    /// The operation (`X-Amz-Target`) and the body are what was recorded, sent to the client's
    /// own endpoint (`json.rs`): DynamoDB names the table in the body, never in the URL.
    fn unchanged(
        &self,
        _: &Operation,
        snapshot: &Snapshot,
        request: &Request,
        cfg: &ConfigBag,
        components: &RuntimeComponents,
    ) -> bool {
        snapshot.unchanged(request, cfg, components)
    }
}

/// One request's check against one tenant.
struct Check<'a> {
    tenant: &'a TenantId,
    tables: &'a [GuardTable],
    spec: &'static HandlerSpec,
    keys: &'a KeySchema,
}

impl Check<'_> {
    fn violation(&self, operation: &'static str, reason: Violation) -> GuardViolation {
        GuardViolation::new(self.tenant.clone(), operation, reason)
    }

    /// The action `op` needs (for a single-action operation), declared on `table` or refused.
    fn need_op(&self, table: &TableModel, op: Operation) -> Result<(), GuardViolation> {
        match op.needs() {
            Needs::Action(action) => self.need(table, op.name(), action),
            _ => Err(self.violation(op.name(), Violation::Operation)),
        }
    }

    fn need(&self, table: &TableModel, op: &'static str, action: Action) -> Result<(), GuardViolation> {
        if table.allows(action) { Ok(()) } else { Err(self.violation(op, Violation::UndeclaredAction(action))) }
    }

    /// The declared table a request names, by physical name or exact ARN, and its
    /// partition-key attribute.
    fn table(&self, op: &'static str, table: Option<&str>) -> Result<(&'static TableModel, &str), GuardViolation> {
        let declared = table.and_then(|t| self.tables.iter().position(|d| t == d.name || t == d.arn));
        match declared {
            Some(i) => Ok((&self.spec.tables()[i], &self.tables[i].partition_key)),
            None => Err(self.violation(op, Violation::Table(table.unwrap_or_default().to_owned()))),
        }
    }

    /// The declared table and its partition-key attribute, and the action a single-table
    /// operation needs on it.
    fn table_for(&self, op: Operation, table: Option<&str>) -> Result<(&'static TableModel, &str), GuardViolation> {
        match op.needs() {
            Needs::Action(_) => {}
            _ => return Err(self.violation(op.name(), Violation::Operation)),
        }
        let (t, pk) = self.table(op.name(), table)?;
        self.need_op(t, op)?;
        Ok((t, pk))
    }

    fn key(
        &self,
        table: &TableModel,
        op: &'static str,
        item: Option<&HashMap<String, AttributeValue>>,
        attribute: &str,
    ) -> Result<(), GuardViolation> {
        match item.and_then(|i| i.get(attribute)) {
            Some(AttributeValue::S(v)) if table.keys.is_own(self.tenant, v) => Ok(()),
            Some(_) => Err(self.violation(op, Violation::ForeignKey { attribute: attribute.to_owned() })),
            None => Err(self.violation(op, Violation::MissingKey { attribute: attribute.to_owned() })),
        }
    }

    fn check(&self, input: &Input) -> Result<Operation, GuardViolation> {
        // Where a request names no table, its refusal names the default attribute.
        let default_pk = self.keys.table.as_str();
        if let Some(i) = input.downcast_ref::<GetItemInput>() {
            let (t, pk) = self.table_for(Operation::GetItem, i.table_name())?;
            self.key(t, "GetItem", i.key(), pk)?;
            return Ok(Operation::GetItem);
        }
        if let Some(i) = input.downcast_ref::<PutItemInput>() {
            let (t, pk) = self.table_for(Operation::PutItem, i.table_name())?;
            self.key(t, "PutItem", i.item(), pk)?;
            self.index_keys_in_item(t, pk, "PutItem", i.item())?;
            return Ok(Operation::PutItem);
        }
        if let Some(i) = input.downcast_ref::<UpdateItemInput>() {
            let (t, pk) = self.table_for(Operation::UpdateItem, i.table_name())?;
            self.key(t, "UpdateItem", i.key(), pk)?;
            self.index_keys_in_legacy_updates(t, pk, "UpdateItem", i.attribute_updates())?;
            self.index_keys_in_update(
                t,
                pk,
                "UpdateItem",
                i.update_expression(),
                i.expression_attribute_names(),
                i.expression_attribute_values(),
            )?;
            return Ok(Operation::UpdateItem);
        }
        if let Some(i) = input.downcast_ref::<DeleteItemInput>() {
            let (t, pk) = self.table_for(Operation::DeleteItem, i.table_name())?;
            self.key(t, "DeleteItem", i.key(), pk)?;
            return Ok(Operation::DeleteItem);
        }
        if let Some(i) = input.downcast_ref::<QueryInput>() {
            self.check_query(i)?;
            return Ok(Operation::Query);
        }
        if let Some(i) = input.downcast_ref::<BatchGetItemInput>() {
            const OP: &str = "BatchGetItem";
            for (table, keys) in i.request_items().into_iter().flatten() {
                let (t, pk) = self.table_for(Operation::BatchGetItem, Some(table))?;
                for key in keys.keys() {
                    self.key(t, OP, Some(key), pk)?;
                }
            }
            return Ok(Operation::BatchGetItem);
        }
        if let Some(i) = input.downcast_ref::<BatchWriteItemInput>() {
            const OP: &str = "BatchWriteItem";
            for (table, writes) in i.request_items().into_iter().flatten() {
                let (t, pk) = self.table_for(Operation::BatchWriteItem, Some(table))?;
                for w in writes {
                    match (w.put_request(), w.delete_request()) {
                        (Some(put), None) => {
                            self.key(t, OP, Some(put.item()), pk)?;
                            self.index_keys_in_item(t, pk, OP, Some(put.item()))?;
                        }
                        (None, Some(delete)) => self.key(t, OP, Some(delete.key()), pk)?,
                        _ => return Err(self.violation(OP, Violation::MissingKey { attribute: pk.to_owned() })),
                    }
                }
            }
            return Ok(Operation::BatchWriteItem);
        }
        if let Some(i) = input.downcast_ref::<TransactGetItemsInput>() {
            const OP: &str = "TransactGetItems";
            for item in i.transact_items() {
                let Some(get) = item.get() else {
                    return Err(self.violation(OP, Violation::MissingKey { attribute: default_pk.to_owned() }));
                };
                let (t, pk) = self.table(OP, Some(get.table_name()))?;
                self.need(t, OP, TransactItem::Get.action())?;
                self.key(t, OP, Some(get.key()), pk)?;
            }
            return Ok(Operation::TransactGetItems);
        }
        if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
            const OP: &str = "TransactWriteItems";
            for item in i.transact_items() {
                // Exactly one operation per item: with two set, only one would be checked.
                let set = [
                    item.put().is_some(),
                    item.update().is_some(),
                    item.delete().is_some(),
                    item.condition_check().is_some(),
                ];
                if set.iter().filter(|s| **s).count() != 1 {
                    return Err(self.violation(OP, Violation::Unreadable("a transaction item with several operations")));
                }
                let (kind, table, key) = if let Some(p) = item.put() {
                    (TransactItem::Put, p.table_name(), p.item())
                } else if let Some(u) = item.update() {
                    (TransactItem::Update, u.table_name(), u.key())
                } else if let Some(d) = item.delete() {
                    (TransactItem::Delete, d.table_name(), d.key())
                } else if let Some(c) = item.condition_check() {
                    (TransactItem::ConditionCheck, c.table_name(), c.key())
                } else {
                    return Err(self.violation(OP, Violation::MissingKey { attribute: default_pk.to_owned() }));
                };
                let (t, pk) = self.table(OP, Some(table))?;
                self.need(t, OP, kind.action())?;
                self.key(t, OP, Some(key), pk)?;
                if let Some(p) = item.put() {
                    self.index_keys_in_item(t, pk, OP, Some(p.item()))?;
                }
                if let Some(u) = item.update() {
                    self.index_keys_in_update(
                        t,
                        pk,
                        OP,
                        Some(u.update_expression()),
                        u.expression_attribute_names(),
                        u.expression_attribute_values(),
                    )?;
                }
            }
            return Ok(Operation::TransactWriteItems);
        }
        if let Some(i) = input.downcast_ref::<ExecuteStatementInput>() {
            self.check_partiql("ExecuteStatement", i.statement().unwrap_or_default(), i.parameters())?;
            return Ok(Operation::ExecuteStatement);
        }
        if let Some(i) = input.downcast_ref::<BatchExecuteStatementInput>() {
            for s in i.statements() {
                self.check_partiql("BatchExecuteStatement", s.statement(), s.parameters())?;
            }
            return Ok(Operation::BatchExecuteStatement);
        }
        if let Some(i) = input.downcast_ref::<ExecuteTransactionInput>() {
            for s in i.transact_statements() {
                self.check_partiql("ExecuteTransaction", s.statement(), s.parameters())?;
            }
            return Ok(Operation::ExecuteTransaction);
        }
        Err(self.violation("(other)", Violation::Operation))
    }

    fn check_query(&self, i: &QueryInput) -> Result<(), GuardViolation> {
        const OP: &str = "Query";
        let (t, pk) = self.table_for(Operation::Query, i.table_name())?;
        let attribute = match i.index_name() {
            Some(index) => {
                if !t.declares_index(index) {
                    return Err(self.violation(OP, Violation::Index(index.to_owned())));
                }
                self.keys.index_key(index, pk)
            }
            None => pk,
        };
        let values = i.expression_attribute_values();
        let names = i.expression_attribute_names();
        let value = match (i.key_condition_expression(), i.key_conditions()) {
            (Some(e), None) => expr::partition_value(e, attribute, names).and_then(|v| values.and_then(|m| m.get(v))),
            (None, Some(conditions)) => conditions
                .get(attribute)
                .filter(|c| c.comparison_operator() == &ComparisonOperator::Eq)
                .and_then(|c| c.attribute_value_list().first()),
            _ => None,
        };
        match value {
            Some(AttributeValue::S(v)) if t.keys.is_own(self.tenant, v) => {}
            Some(_) => return Err(self.violation(OP, Violation::ForeignKey { attribute: attribute.to_owned() })),
            None => return Err(self.violation(OP, Violation::MissingKey { attribute: attribute.to_owned() })),
        }
        if let Some(start) = i.exclusive_start_key() {
            self.key(t, OP, Some(start), attribute)?;
        }
        Ok(())
    }

    /// Whether `value` is one of the tenant's keys, for an index partition key written by a
    /// request: a string in the tenant's key space.
    fn own_value(&self, table: &TableModel, value: Option<&AttributeValue>) -> bool {
        matches!(value, Some(AttributeValue::S(v)) if table.keys.is_own(self.tenant, v))
    }

    /// Every index partition key an item carries must be the tenant's. IAM cannot see them:
    /// for a write, `dynamodb:LeadingKeys` is the table's partition key only, so an item
    /// planted with another tenant's value in an index key would be returned by that
    /// tenant's index queries (DynamoDB Developer Guide, "Using IAM policy conditions for
    /// fine-grained access control": `dynamodb:LeadingKeys` is "the first key attribute of a
    /// table").
    fn index_keys_in_item(
        &self,
        table: &TableModel,
        table_key: &str,
        op: &'static str,
        item: Option<&HashMap<String, AttributeValue>>,
    ) -> Result<(), GuardViolation> {
        let Some(item) = item else { return Ok(()) };
        for attribute in self.keys.index_attributes(table_key) {
            if let Some(value) = item.get(attribute)
                && !self.own_value(table, Some(value))
            {
                return Err(self.violation(op, Violation::ForeignKey { attribute: attribute.to_owned() }));
            }
        }
        Ok(())
    }

    /// The same for an update expression: `SET <index key> = :v` must set one of the
    /// tenant's keys; a computed value (`if_not_exists`, `list_append`, another attribute)
    /// or `ADD`/`DELETE` on an index key cannot be checked and is refused. `REMOVE` writes
    /// nothing (the item leaves the index).
    fn index_keys_in_update(
        &self,
        table: &TableModel,
        table_key: &str,
        op: &'static str,
        expression: Option<&str>,
        names: Option<&HashMap<String, String>>,
        values: Option<&HashMap<String, AttributeValue>>,
    ) -> Result<(), GuardViolation> {
        let Some(expression) = expression else { return Ok(()) };
        for attribute in self.keys.index_attributes(table_key) {
            let foreign = || self.violation(op, Violation::ForeignKey { attribute: attribute.to_owned() });
            let Some(writes) = expr::writes_to(expression, attribute, names) else {
                return Err(self.violation(op, Violation::Unreadable("the update expression")));
            };
            for write in writes {
                match write {
                    expr::Write::Set(placeholder) if self.own_value(table, values.and_then(|v| v.get(placeholder))) => {
                    }
                    expr::Write::Remove => {}
                    _ => return Err(foreign()),
                }
            }
        }
        Ok(())
    }

    /// Legacy `AttributeUpdates`: `PUT` (the default) of an index key must put one of the
    /// tenant's keys; `ADD` is refused; `DELETE` removes it.
    fn index_keys_in_legacy_updates(
        &self,
        table: &TableModel,
        table_key: &str,
        op: &'static str,
        updates: Option<&HashMap<String, AttributeValueUpdate>>,
    ) -> Result<(), GuardViolation> {
        let Some(updates) = updates else { return Ok(()) };
        for attribute in self.keys.index_attributes(table_key) {
            let Some(update) = updates.get(attribute) else { continue };
            let ok = match update.action() {
                Some(AttributeAction::Delete) => true,
                None | Some(AttributeAction::Put) => self.own_value(table, update.value()),
                _ => false,
            };
            if !ok {
                return Err(self.violation(op, Violation::ForeignKey { attribute: attribute.to_owned() }));
            }
        }
        Ok(())
    }

    /// A PartiQL statement: it must name one of the handler's tables (and, for a `SELECT` from
    /// an index, a declared index of it); its verb's action must be declared on that table; its
    /// `WHERE` clause must
    /// pin the partition key (the index's, for an index) to exactly one of the tenant's keys
    /// (an `INSERT`: its tuple's partition key); and every index partition key it writes must
    /// be the tenant's. A statement the guard cannot read this far is refused.
    fn check_partiql(
        &self,
        op: &'static str,
        statement: &str,
        parameters: &[AttributeValue],
    ) -> Result<(), GuardViolation> {
        let Some(parsed) = partiql::Statement::parse(statement) else {
            return Err(match partiql_action(statement) {
                Some(_) => self.violation(op, Violation::Unreadable("the PartiQL statement")),
                None => self.violation(op, Violation::Operation),
            });
        };
        // PartiQL names a table by its physical name only (no ARN).
        let (t, table_key) = match self.tables.iter().position(|d| d.name == parsed.table) {
            Some(i) => (&self.spec.tables()[i], self.tables[i].partition_key.as_str()),
            None => return Err(self.violation(op, Violation::Table(parsed.table.into_owned()))),
        };
        self.need(t, op, parsed.action)?;
        let pk = match &parsed.index {
            Some(index) if !t.declares_index(index) => {
                return Err(self.violation(op, Violation::Index(index.to_string())));
            }
            Some(index) => self.keys.index_key(index, table_key),
            None => table_key,
        };
        let resolve = |v: &partiql::Value<'_>| match v {
            partiql::Value::Param(n) => parameters.get(*n).cloned(),
            partiql::Value::Literal(s) => Some(AttributeValue::S(s.to_string())),
            partiql::Value::Other => None,
        };
        let unreadable = || self.violation(op, Violation::Unreadable("the PartiQL statement"));
        let keys = if parsed.action == Action::PartiQLInsert { parsed.assigned(pk) } else { parsed.pinned(pk) };
        match keys.ok_or_else(unreadable)?.as_slice() {
            [one] if self.own_value(t, resolve(one).as_ref()) => {}
            [] => return Err(self.violation(op, Violation::MissingKey { attribute: pk.to_owned() })),
            _ => return Err(self.violation(op, Violation::ForeignKey { attribute: pk.to_owned() })),
        }
        if matches!(parsed.action, Action::PartiQLInsert | Action::PartiQLUpdate) {
            for attribute in self.keys.index_attributes(table_key) {
                for value in parsed.assigned(attribute).ok_or_else(unreadable)? {
                    if !self.own_value(t, resolve(&value).as_ref()) {
                        return Err(self.violation(op, Violation::ForeignKey { attribute: attribute.to_owned() }));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
