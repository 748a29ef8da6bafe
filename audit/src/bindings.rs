//! A variable names one table, one bucket, one shared queue or one KMS key, wherever it is used.
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
//! variable is unset).
//!
//! Which names a variable can bind is one list, [`Kind::ALL`] (`kind.rs`): tables
//! (`table_env`), buckets (`bucket_env`), shared queues (`queue_env`) and the customer-managed
//! KMS keys of secrets and parameters (`kms_key_env`).
//!
//! A KMS key follows the same two rules, for the same reason: the variable is one parameter of
//! the template, with one default. Two handlers may bind one key through one variable (their
//! grants on it are each confined by the encryption context to their own tenants' names, so a
//! key shared by declarations is no more reachable than a key of each: `kind::Apart`); a key
//! declared `0b4f…` in one and another id (or none) in the other, or a key and a table on one
//! variable, would give the parameter two defaults, and the functions two keys while it is unset.

use crate::error::AuditError;
use crate::kind::{Apart, Kind};
use std::collections::BTreeMap;
use tenant_isolation::HandlerSpec;
use tenant_isolation::audit::ResourceKind;
use tenant_isolation_core::TenantRule;

/// The resource a prefix rule keeps tenants apart on, for [`AuditError::BindingOverlap`].
fn resource_kind(rule: TenantRule<'_>) -> ResourceKind {
    match rule {
        TenantRule::Keys(_) => ResourceKind::Table,
        TenantRule::Objects(_) => ResourceKind::Bucket,
        TenantRule::Names(n) => ResourceKind::Names(n.service()),
    }
}

/// One handler's use of a variable.
#[derive(Clone, Copy)]
struct Use {
    handler: &'static HandlerSpec,
    kind: Kind,
    declared: &'static str,
    apart: Apart,
}

impl Use {
    /// "table `Ledger`"; "KMS key (no declared id)" for a key bound by its variable alone.
    fn binds(&self) -> String {
        match self.declared {
            "" => format!("{} (no declared id)", self.kind.noun()),
            declared => format!("{} `{declared}`", self.kind.noun()),
        }
    }

    /// Both uses keep tenants apart by prefixes on one kind of resource, and one prefix starts
    /// the other. (One queue read by two attributes has one declared name through one variable,
    /// or two, which [`check`] refuses as it is: the runtime's `check_prefixes` compares the
    /// former.)
    fn overlaps(&self, other: &Use) -> Option<(TenantRule<'static>, TenantRule<'static>)> {
        let (a, b) = (self.apart.prefix()?, other.apart.prefix()?);
        a.overlaps(b).then_some((a, b))
    }
}

/// Every variable of `handlers` and its uses, in handler order.
fn uses(handlers: &[&'static HandlerSpec]) -> BTreeMap<&'static str, Vec<Use>> {
    let mut uses: BTreeMap<&'static str, Vec<Use>> = BTreeMap::new();
    for &handler in handlers {
        for kind in Kind::ALL {
            for (name, apart) in kind.names(handler) {
                if let Some(var) = name.env_var() {
                    uses.entry(var).or_default().push(Use { handler, kind, declared: name.declared(), apart });
                }
            }
        }
    }
    uses
}

/// Refuses, per variable of `handlers`: key or object prefixes that overlap (one starts the
/// other), then a variable that binds one kind of resource in one place and another kind
/// elsewhere (a table and a bucket, a bucket and a queue, a queue and a KMS key), or two declared
/// names (or key ids).
pub(crate) fn check(handlers: &[&'static HandlerSpec]) -> Result<(), AuditError> {
    for (var, uses) in uses(handlers) {
        for (i, a) in uses.iter().enumerate() {
            if let Some((b, (rule, other))) = uses[i + 1..].iter().find_map(|b| Some((b, a.overlaps(b)?))) {
                return Err(AuditError::BindingOverlap {
                    kind: resource_kind(rule),
                    var: var.into(),
                    first: a.handler.name().into(),
                    first_prefix: rule.prefix().into(),
                    second: b.handler.name().into(),
                    second_prefix: other.prefix().into(),
                });
            }
        }
        let first = uses[0];
        if let Some(other) = uses.iter().find(|u| u.kind != first.kind || u.declared != first.declared) {
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
    /// A table, a bucket, a shared queue or a KMS key.
    pub(crate) kind: Kind,
    /// Its declared name (a KMS key's id; empty when the key declares none): the name while it
    /// is unset, and its parameter's default.
    pub(crate) declared: &'static str,
    /// The handlers that bind it, by name, sorted, each once.
    pub(crate) handlers: Vec<&'static str>,
}

impl Variable {
    /// "Physical name of the DynamoDB table that `ORDERS_TABLE` binds"; a KMS key's says how to
    /// give its id ([`Kind::hint`]).
    pub(crate) fn binds(&self) -> String {
        format!("{} that `{}` binds{}", self.kind.title(), self.var, self.kind.hint())
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
            Variable { var, kind: uses[0].kind, declared: uses[0].declared, handlers: names }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::nouns;
    use std::borrow::Cow;
    use tenant_isolation::model::{
        BucketModel, Confinement, HandlerModel, KeyRule, NameRule, NamedAction, NamedModel, ObjectRule, PhysicalName,
        Service, SharedQueue, TableModel,
    };
    use tenant_isolation::{Action, ObjectAction};

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

    /// A handler that sends to a shared queue named `queue`, its messages' tenant in `attribute`.
    fn queue(name: &str, queue: PhysicalName, attribute: &'static str) -> &'static HandlerSpec {
        let model = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Borrowed(&[]),
            named: Cow::Owned(vec![NamedModel {
                name: Cow::Borrowed("events"),
                actions: Cow::Borrowed(&[NamedAction::SendMessage]),
                names: NameRule::shared(SharedQueue { queue, tenant_attribute: Cow::Borrowed(attribute) }),
            }]),
            confinement: Confinement::SessionPolicy,
        };
        HandlerSpec::new(name, model).unwrap().leak()
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
             names one table, bucket, queue or KMS key, with one declared name, wherever it is used"
        );
        let files = bucket("files", from_env("LEDGER_TABLE", "ledger"), "tenants/");
        let ledger = table("ledger", from_env("LEDGER_TABLE", "ledger"), "TENANT#");
        assert_eq!(
            check(&[ledger, files]).unwrap_err().to_string(),
            "`LEDGER_TABLE` names table `ledger` in handler `ledger` and bucket `ledger` in handler `files`: a \
             variable names one table, bucket, queue or KMS key, with one declared name, wherever it is used"
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

    #[test]
    fn a_variable_binds_one_shared_queue_with_one_declared_name_and_nothing_else() {
        // Two producers on one queue through one variable: one binding, one parameter.
        let a = queue("a", from_env("EVENTS_QUEUE", "order-events"), "tenant_id");
        let b = queue("b", from_env("EVENTS_QUEUE", "order-events"), "tenant_id");
        assert!(check(&[a, b]).is_ok());
        let vars = variables(&[b, a]);
        assert_eq!(
            vars,
            [Variable {
                var: "EVENTS_QUEUE",
                kind: Kind::SharedQueue,
                declared: "order-events",
                handlers: vec!["a", "b"]
            }]
        );
        assert_eq!(vars[0].binds(), "Physical name of the SQS queue that `EVENTS_QUEUE` binds");

        // Two declared names: the parameter would have two defaults, and the runtime of each
        // function would send to its own queue while the variable is unset.
        let audit = queue("audit", from_env("EVENTS_QUEUE", "audit-events"), "tenant_id");
        assert_eq!(
            check(&[a, audit]).unwrap_err().to_string(),
            "`EVENTS_QUEUE` names queue `order-events` in handler `a` and queue `audit-events` in handler `audit`: a \
             variable names one table, bucket, queue or KMS key, with one declared name, wherever it is used"
        );
        // A queue's variable that also binds a table or a bucket, with the same declared name.
        let orders = table("orders", from_env("EVENTS_QUEUE", "order-events"), "TENANT#");
        assert_eq!(
            check(&[orders, a]).unwrap_err().to_string(),
            "`EVENTS_QUEUE` names table `order-events` in handler `orders` and queue `order-events` in handler `a`: a \
             variable names one table, bucket, queue or KMS key, with one declared name, wherever it is used"
        );
        let files = bucket("files", from_env("EVENTS_QUEUE", "order-events"), "tenants/");
        assert!(matches!(
            check(&[a, files]),
            Err(AuditError::BindingConflict { ref first_binds, ref second_binds, .. })
                if **first_binds == *"queue `order-events`" && **second_binds == *"bucket `order-events`"
        ));
        // A fixed name is no binding; the runtime's check compares it.
        let fixed = queue("fixed", PhysicalName::Fixed("audit-events".into()), "tenant_id");
        assert!(check(&[a, fixed]).is_ok());
        assert_eq!(variables(&[fixed]), []);
    }

    /// A handler whose secrets or parameters are encrypted with `key`.
    fn key(name: &str, service: Service, key: PhysicalName) -> &'static HandlerSpec {
        let action = if service == Service::Ssm { NamedAction::GetParameter } else { NamedAction::GetSecretValue };
        let model = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Borrowed(&[]),
            named: Cow::Owned(vec![NamedModel {
                name: Cow::Borrowed("values"),
                actions: Cow::Owned(vec![action]),
                names: NameRule::new(service, if service == Service::Ssm { "/values/" } else { "values/" })
                    .with_kms_key(key),
            }]),
            confinement: Confinement::SessionPolicy,
        };
        HandlerSpec::new(name, model).unwrap().leak()
    }

    const KEY: &str = "mrk-0123456789abcdef0123456789abcdef";

    #[test]
    fn a_variable_binds_one_kms_key_which_declarations_may_share() {
        // A secret's key and a parameter's, one key through one variable: one binding, one
        // parameter. Each grant on the key is confined by its own encryption context.
        let secrets = key("secrets", Service::SecretsManager, from_env("VALUES_KEY", KEY));
        let parameters = key("parameters", Service::Ssm, from_env("VALUES_KEY", KEY));
        assert!(check(&[secrets, parameters]).is_ok());
        let vars = variables(&[secrets, parameters]);
        assert_eq!(
            vars,
            [Variable {
                var: "VALUES_KEY",
                kind: Kind::KmsKey,
                declared: KEY,
                handlers: vec!["parameters", "secrets"]
            }]
        );
        assert_eq!(
            vars[0].binds(),
            "Key id of the customer-managed KMS key that `VALUES_KEY` binds (pass `!Ref` of the AWS::KMS::Key, its key \
             id: a UUID or `mrk-` and 32 hex digits, not an alias or an ARN)"
        );
        // Without a declared id: the parameter would have two defaults, and while the variable is
        // unset one function would use the key and the other refuse to start.
        let unbound = key("unbound", Service::SecretsManager, from_env("VALUES_KEY", ""));
        assert_eq!(
            check(&[secrets, unbound]).unwrap_err().to_string(),
            format!(
                "`VALUES_KEY` names KMS key `{KEY}` in handler `secrets` and KMS key (no declared id) in handler \
                 `unbound`: a variable names one table, bucket, queue or KMS key, with one declared name, wherever it \
                 is used"
            )
        );
        // A key's variable that also binds a shared queue.
        let events = queue("events", from_env("VALUES_KEY", KEY), "tenant_id");
        assert!(matches!(
            check(&[events, parameters]),
            Err(AuditError::BindingConflict { ref first_binds, ref second_binds, .. })
                if **first_binds == *format!("queue `{KEY}`") && **second_binds == *format!("KMS key `{KEY}`")
        ));
        // A key written in is no binding.
        let fixed = key("fixed", Service::SecretsManager, PhysicalName::Fixed(KEY.into()));
        assert_eq!(variables(&[fixed]), []);
    }

    #[test]
    fn every_kind_is_read_from_a_handler() {
        // A handler of each kind: each reads its own binding, and only its own.
        let handlers = [
            table("t", from_env("T", "Ledger"), "TENANT#"),
            bucket("b", from_env("B", "files"), "tenants/"),
            queue("q", from_env("Q", "events"), "tenant_id"),
            key("k", Service::SecretsManager, from_env("K", KEY)),
        ];
        for (kind, handler) in Kind::ALL.into_iter().zip(handlers) {
            for other in Kind::ALL {
                let vars: Vec<&str> = other.names(handler).iter().filter_map(|(n, _)| n.env_var()).collect();
                assert_eq!(vars.len(), usize::from(other == kind), "{other:?} of the {kind:?} handler: {vars:?}");
            }
        }
        assert_eq!(nouns(), "table, bucket, queue or KMS key");
    }
}
