//! A variable names one table, one bucket or one shared queue wherever it is used.
//!
//! The runtime's overlap check ([`tenant_isolation::audit::check_prefixes`]) compares physical
//! names as the process resolves them, and the audit runs where the variables are usually not
//! set: two handlers binding a table through `LEDGER_TABLE` with the declared names `Ledger` and
//! `OrgLedger` resolve to two names there, and to one table once deployed (the template sets
//! `LEDGER_TABLE` on both functions from one parameter). So the audit checks the bindings too:
//!
//! ```text
//! tenant_ledger  table = "Ledger",    table_env = "LEDGER_TABLE", key_prefix = "TENANT#"
//! org_ledger     table = "OrgLedger", table_env = "LEDGER_TABLE", key_prefix = "TENANT#ORG#"
//!   → refused: one table through `LEDGER_TABLE`, and `TENANT#` starts `TENANT#ORG#`
//! ```
//!
//! and, once no prefixes overlap, that every use of a variable binds the same kind of resource
//! with the same declared name (the parameter's default, and the name the runtime uses while the
//! variable is unset). A shared queue's `queue_env` is such a variable too: the role policy names
//! the queue by its parameter (`${OrderEventsQueue}`), so the template must declare it and set it
//! on the functions, as for a table's.

use crate::error::AuditError;
use std::collections::BTreeMap;
use tenant_isolation::HandlerSpec;
use tenant_isolation::audit::ResourceKind;
use tenant_isolation_core::{KeyRule, ObjectRule, Service};

/// Which keys of the resource are a tenant's; none for a queue every tenant's messages share.
#[derive(Clone, Copy)]
enum Rule {
    Keys(&'static KeyRule),
    Objects(&'static ObjectRule),
    SharedQueue,
}

impl Rule {
    fn kind(self) -> ResourceKind {
        match self {
            Rule::Keys(_) => ResourceKind::Table,
            Rule::Objects(_) => ResourceKind::Bucket,
            Rule::SharedQueue => ResourceKind::Names(Service::Sqs),
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Rule::Keys(k) => k.prefix(),
            Rule::Objects(o) => o.prefix(),
            Rule::SharedQueue => "",
        }
    }

    /// One prefix starts the other, on the same kind of resource.
    fn overlaps(self, other: Rule) -> bool {
        match (self, other) {
            (Rule::Keys(a), Rule::Keys(b)) => a.overlaps(b),
            (Rule::Objects(a), Rule::Objects(b)) => a.overlaps(b),
            _ => false,
        }
    }
}

/// One handler's use of a variable.
#[derive(Clone, Copy)]
struct Use {
    handler: &'static HandlerSpec,
    declared: &'static str,
    rule: Rule,
}

impl Use {
    /// "table `Ledger`", "shared queue `order-events`".
    fn binds(&self) -> String {
        match self.rule {
            Rule::SharedQueue => format!("shared queue `{}`", self.declared),
            rule => format!("{} `{}`", rule.kind(), self.declared),
        }
    }
}

/// Every variable of `handlers` and its uses, in handler order.
fn uses(handlers: &[&'static HandlerSpec]) -> BTreeMap<&'static str, Vec<Use>> {
    let mut uses: BTreeMap<&'static str, Vec<Use>> = BTreeMap::new();
    for &handler in handlers {
        let tables = handler.tables().iter().map(|t| (&t.table, Rule::Keys(&t.keys)));
        let buckets = handler.buckets().iter().map(|b| (&b.bucket, Rule::Objects(&b.objects)));
        let queues = handler.model().shared_queues().map(|q| (&q.queue, Rule::SharedQueue));
        for (name, rule) in tables.chain(buckets).chain(queues) {
            if let Some(var) = name.env_var() {
                uses.entry(var).or_default().push(Use { handler, declared: name.declared(), rule });
            }
        }
    }
    uses
}

/// Refuses, per variable of `handlers`: key or object prefixes that overlap (one starts the
/// other), then a variable that binds two kinds of resource (a table in one place and a bucket
/// or a shared queue in another), or two declared names.
pub(crate) fn check(handlers: &[&'static HandlerSpec]) -> Result<(), AuditError> {
    for (var, uses) in uses(handlers) {
        for (i, a) in uses.iter().enumerate() {
            if let Some(b) = uses[i + 1..].iter().find(|b| a.rule.overlaps(b.rule)) {
                return Err(AuditError::BindingOverlap {
                    kind: a.rule.kind(),
                    var: var.into(),
                    first: a.handler.name().into(),
                    first_prefix: a.rule.prefix().into(),
                    second: b.handler.name().into(),
                    second_prefix: b.rule.prefix().into(),
                });
            }
        }
        let first = uses[0];
        if let Some(other) = uses.iter().find(|u| u.rule.kind() != first.rule.kind() || u.declared != first.declared) {
            return Err(AuditError::BindingConflict {
                var: var.into(),
                first: first.handler.name().into(),
                first_binds: first.binds().into(),
                second: other.handler.name().into(),
                second_binds: other.binds().into(),
            });
        }
    }
    Ok(())
}

/// A variable of handlers that [`check`] accepted: what it binds, and who binds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    /// `ORDERS_TABLE`.
    pub(crate) var: &'static str,
    /// A table, a bucket or a shared queue (`ResourceKind::Names(Service::Sqs)`).
    pub(crate) kind: ResourceKind,
    /// Its declared name: the name while it is unset, and its parameter's default.
    pub(crate) declared: &'static str,
    /// The handlers that bind it, by name, sorted, each once.
    pub(crate) handlers: Vec<&'static str>,
}

impl Variable {
    /// "Physical name of the DynamoDB table that `ORDERS_TABLE` binds".
    pub(crate) fn binds(&self) -> String {
        let what = match self.kind {
            ResourceKind::Table => "DynamoDB table",
            ResourceKind::Bucket => "S3 bucket",
            // Of a service's names, only a shared queue's is bound by a variable (`queue_env`); a
            // tenant's secrets, parameters and queues are named by their rule alone.
            ResourceKind::Names(Service::Sqs) => "shared SQS queue",
            ResourceKind::Names(service) => service.title(),
        };
        format!("Physical name of the {what} that `{}` binds", self.var)
    }

    /// "create_order, get_order".
    pub(crate) fn handler_list(&self) -> String {
        self.handlers.join(", ")
    }
}

/// Every variable of `handlers`, sorted by name; `handlers` must have passed [`check`], so that
/// each variable has one kind and one declared name.
pub(crate) fn variables(handlers: &[&'static HandlerSpec]) -> Vec<Variable> {
    uses(handlers)
        .into_iter()
        .map(|(var, uses)| {
            let mut names: Vec<&'static str> = uses.iter().map(|u| u.handler.name()).collect();
            names.sort_unstable();
            names.dedup();
            Variable { var, kind: uses[0].rule.kind(), declared: uses[0].declared, handlers: names }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use tenant_isolation::model::{
        BucketModel, Confinement, HandlerModel, NameRule, NamedModel, PhysicalName, SharedQueue, TableModel,
    };
    use tenant_isolation::{Action, NamedAction, ObjectAction};

    fn from_env(var: &'static str, default: &'static str) -> PhysicalName {
        PhysicalName::FromEnv { var: var.into(), default: default.into() }
    }

    fn table(name: &str, table: PhysicalName, prefix: &'static str) -> &'static HandlerSpec {
        let model = HandlerModel::one_table(
            TableModel {
                table,
                indexes: Cow::Borrowed(&[]),
                actions: Cow::Borrowed(&[Action::GetItem]),
                keys: KeyRule::new(prefix),
            },
            Confinement::SessionPolicy,
        );
        HandlerSpec::new(name, model).unwrap().leak()
    }

    fn bucket(name: &str, bucket: PhysicalName, prefix: &'static str) -> &'static HandlerSpec {
        let model = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Owned(vec![BucketModel {
                bucket,
                actions: Cow::Borrowed(&[ObjectAction::GetObject]),
                objects: ObjectRule::new(prefix),
            }]),
            named: Cow::Borrowed(&[]),
            confinement: Confinement::SessionPolicy,
        };
        HandlerSpec::new(name, model).unwrap().leak()
    }

    fn shared_queue(name: &str, queue: PhysicalName) -> &'static HandlerSpec {
        let model = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Borrowed(&[]),
            named: Cow::Owned(vec![NamedModel {
                name: "events".into(),
                actions: Cow::Borrowed(&[NamedAction::SendMessage]),
                names: NameRule::shared(SharedQueue { queue, tenant_attribute: "tenant_id".into() }),
            }]),
            confinement: Confinement::SessionPolicy,
        };
        HandlerSpec::new(name, model).unwrap().leak()
    }

    #[test]
    fn a_shared_queues_variable_is_a_binding() {
        // The role policy names the queue by the variable's parameter: the template must declare
        // it, with the declared name as its default, and set it on the functions.
        let a = shared_queue("a", from_env("EVENTS_QUEUE", "order-events"));
        let b = shared_queue("b", from_env("EVENTS_QUEUE", "order-events"));
        assert!(check(&[a, b]).is_ok());
        assert_eq!(
            variables(&[a, b]),
            [Variable {
                var: "EVENTS_QUEUE",
                kind: ResourceKind::Names(Service::Sqs),
                declared: "order-events",
                handlers: vec!["a", "b"],
            }]
        );
        assert_eq!(variables(&[a])[0].binds(), "Physical name of the shared SQS queue that `EVENTS_QUEUE` binds");
        // A fixed name is no binding.
        assert!(variables(&[shared_queue("c", PhysicalName::Fixed("order-events".into()))]).is_empty());

        let audit = shared_queue("audit", from_env("EVENTS_QUEUE", "audit-events"));
        assert_eq!(
            check(&[a, audit]).unwrap_err().to_string(),
            "`EVENTS_QUEUE` names shared queue `order-events` in handler `a` and shared queue `audit-events` in \
             handler `audit`: a variable names one table, bucket or shared queue, with one declared name, wherever \
             it is used"
        );
        let ledger = table("ledger", from_env("EVENTS_QUEUE", "order-events"), "TENANT#");
        assert_eq!(
            check(&[ledger, a]).unwrap_err().to_string(),
            "`EVENTS_QUEUE` names table `order-events` in handler `ledger` and shared queue `order-events` in \
             handler `a`: a variable names one table, bucket or shared queue, with one declared name, wherever it \
             is used"
        );
    }

    #[test]
    fn one_variable_binds_one_resource_with_one_declared_name() {
        // The same table under the same variable, the same prefix: one binding, accepted.
        let a = table("a", from_env("LEDGER_TABLE", "Ledger"), "TENANT#");
        let b = table("b", from_env("LEDGER_TABLE", "Ledger"), "TENANT#");
        assert!(check(&[a, b]).is_ok());
        // Prefixes that do not overlap (`ORG#` and `TENANT#`) may share the table.
        let org = table("org", from_env("LEDGER_TABLE", "Ledger"), "ORG#");
        assert!(check(&[a, org]).is_ok());

        let archive = table("archive", from_env("LEDGER_TABLE", "Archive"), "TENANT#");
        assert_eq!(
            check(&[a, archive]).unwrap_err().to_string(),
            "`LEDGER_TABLE` names table `Ledger` in handler `a` and table `Archive` in handler `archive`: a variable \
             names one table, bucket or shared queue, with one declared name, wherever it is used"
        );
        let files = bucket("files", from_env("LEDGER_TABLE", "ledger"), "tenants/");
        let ledger = table("ledger", from_env("LEDGER_TABLE", "ledger"), "TENANT#");
        assert_eq!(
            check(&[ledger, files]).unwrap_err().to_string(),
            "`LEDGER_TABLE` names table `ledger` in handler `ledger` and bucket `ledger` in handler `files`: a \
             variable names one table, bucket or shared queue, with one declared name, wherever it is used"
        );
        // Fixed names are no binding; the runtime's check compares them.
        let fixed = table("fixed", PhysicalName::Fixed("Ledger".into()), "TENANT#ORG#");
        assert!(check(&[a, fixed]).is_ok());
    }

    #[test]
    fn overlapping_object_prefixes_through_one_variable_are_refused() {
        let all = bucket("all", from_env("FILES_BUCKET", "files"), "");
        let tenants = bucket("tenants", from_env("FILES_BUCKET", "files-2"), "tenants/");
        match check(&[all, tenants]) {
            Err(AuditError::BindingOverlap {
                kind: ResourceKind::Bucket, var, first_prefix, second_prefix, ..
            }) => {
                assert_eq!((&*var, &*first_prefix, &*second_prefix), ("FILES_BUCKET", "", "tenants/"));
            }
            other => panic!("{other:?}"),
        }
    }
}
