//! What a guard refusal is: the typed error both guards return ([`GuardViolation`]) and what
//! was wrong with the request ([`Violation`]). A refused request never left the process.

use crate::kind::{self, ErrorKind};
use std::fmt;
use std::sync::{Arc, Weak};
use tenant_isolation_core::{Action, NamedAction, ObjectAction, Service, TenantId};

/// A request a guard (DynamoDB's key guard, the object, secret, parameter or queue guard) refused. It never
/// left the process.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the guard refused `{operation}` for tenant `{tenant}`: {reason}")]
pub struct GuardViolation {
    tenant: TenantId,
    operation: &'static str,
    reason: Violation,
    /// Shared by this refusal's clones: alive while the error handed to the SDK, or a clone of
    /// it, is held (in the handler's output, for one), which is how
    /// [`refuse`](super::intercept::refuse) tells a refusal the handler returned from one it
    /// dealt with and dropped.
    held: Arc<()>,
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
    /// A table the handler did not declare.
    Table(String),
    /// An index the handler did not declare.
    Index(String),
    /// An expression or statement the guard cannot read far enough to check.
    Unreadable(&'static str),
    /// The request was changed after the guard checked it (by an interceptor, `customize()`
    /// or `mutate_request`): it is not the request that was checked.
    Altered,
    /// An S3 operation the object guard does not let through (ListBuckets, bucket
    /// administration, ACLs, …).
    ObjectOperation,
    /// A bucket the handler did not declare (or an ARN or access point, which the guard does
    /// not match to a bucket).
    Bucket(String),
    /// The S3 operation needs an object action not declared on the bucket it names.
    UndeclaredObjectAction(ObjectAction),
    /// An object key (or a copy source's key) outside the tenant's folder `<prefix><tenant>/`.
    ForeignObject,
    /// A listing without a `prefix`, or with one that does not start with the tenant's folder.
    ListPrefix,
    /// A request part that no tenant session is granted (versioned access, object ACLs, tags,
    /// object lock settings, secret replicas) or that the guard refuses to read (`.`/`..` key
    /// segments, names given as ARNs).
    Unsupported(&'static str),
    /// A Secrets Manager or Parameter Store operation the guard does not let through
    /// (`ListSecrets`, `DescribeParameters`, resource policies, …).
    NamedOperation(Service),
    /// The operation needs an action that none of the handler's declarations of its service
    /// declares.
    UndeclaredNamedAction(NamedAction),
    /// A secret or parameter name outside the tenant's names `<prefix><tenant>/…` of every
    /// declaration of its service that declares the operation's action.
    ForeignName(Service),
    /// A `GetParametersByPath` path other than the tenant's path `<prefix><tenant>` or a path
    /// under it.
    ForeignPath,
    /// A resource of another account than the deployment's (a queue URL's account, a
    /// `QueueOwnerAWSAccountId`).
    Account(String),
    /// An operation other than a send on a queue every tenant's messages share (a
    /// `queues(name(queue = ...))` declaration): receiving, deleting or re-timing its messages,
    /// or reading its attributes, would reach every tenant's.
    SharedQueue(NamedAction),
    /// A message sent to a shared queue that does not carry the sending tenant in the
    /// declaration's String message attribute (`reason` says how), every message of a batch alike.
    MessageTenant {
        /// The declaration's tenant attribute, e.g. `tenant_id`.
        attribute: String,
        /// What was wrong: missing, another tenant's, not of data type `String`, …
        reason: &'static str,
    },
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
            Violation::Table(t) => write!(f, "table `{t}` is not one of the handler's tables"),
            Violation::Index(i) => write!(f, "index `{i}` is not declared in `indexes = [...]`"),
            Violation::Altered => f.write_str("the request was changed after it was checked"),
            Violation::ObjectOperation => {
                f.write_str("not an operation on the tenant's objects (expected one of: ")?;
                for (i, op) in tenant_isolation_core::ObjectOperation::ALL.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{}`", op.name())?;
                }
                f.write_str(")")
            }
            Violation::Bucket(b) => write!(
                f,
                "bucket `{b}` is not one of the handler's buckets (name buckets by their physical name; ARNs and access points are not supported)"
            ),
            Violation::UndeclaredObjectAction(a) => {
                write!(f, "`{a}` is not in that bucket's `actions = [...]` in `#[tenant_isolated(buckets(...))]`")
            }
            Violation::ForeignObject => f.write_str("object key outside the tenant's folder `<prefix><tenant>/`"),
            Violation::ListPrefix => {
                f.write_str("a listing needs a `prefix` that starts with the tenant's folder `<prefix><tenant>/`")
            }
            Violation::Unsupported(what) => write!(f, "{what} is not supported"),
            Violation::NamedOperation(service) => {
                write!(f, "not an operation on the tenant's {}s (expected one of: ", service.noun())?;
                f.write_str(&tenant_isolation_core::valid_named_names(*service))?;
                f.write_str(")")
            }
            Violation::UndeclaredNamedAction(a) => write!(
                f,
                "`{a}` is not in the `actions = [...]` of any of the handler's `{}(...)` declarations",
                a.service().argument()
            ),
            Violation::ForeignName(Service::Sqs) => f.write_str("a queue other than the tenant's `<prefix><tenant>`"),
            Violation::ForeignName(service) => {
                write!(f, "{} name outside the tenant's names `<prefix><tenant>/...`", service.noun())
            }
            Violation::ForeignPath => {
                f.write_str("a by-path read needs the tenant's path `<prefix><tenant>` or a path under it")
            }
            Violation::SharedQueue(a) => write!(
                f,
                "`{a}` on a queue that every tenant's messages share: a tenant session may only send to it \
                 (`SendMessage`); consume it with a record handler (`records = sqs(tenant_attribute = \"...\")`)"
            ),
            Violation::MessageTenant { attribute, reason } => write!(
                f,
                "a message to a shared queue must carry the sending tenant in its String message attribute \
                 `{attribute}` (the queue handle's `send_message()` and `entry(..)` stamp it): {reason}"
            ),
            Violation::Account(account) => {
                write!(f, "account `{account}` is not the deployment's: a tenant's resources are in its account")
            }
            Violation::Unreadable(what) => write!(
                f,
                "{what} cannot be checked (write the partition key as `= ?` or `= :value`, without `OR`, and index keys as plain values)"
            ),
        }
    }
}

impl GuardViolation {
    pub(crate) fn new(tenant: TenantId, operation: &'static str, reason: Violation) -> GuardViolation {
        GuardViolation { tenant, operation, reason, held: Default::default() }
    }

    /// The tenant whose request was refused.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }
    /// The operation, e.g. `GetItem`, `PutObject`, `SendMessage`.
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

    /// What the sending scope keeps of this refusal: a copy with a marker of its own, and a weak
    /// handle on this one's marker, alive while this refusal or a clone of it is held.
    pub(super) fn record(&self) -> (GuardViolation, Weak<()>) {
        (GuardViolation { held: Default::default(), ..self.clone() }, Arc::downgrade(&self.held))
    }
}
