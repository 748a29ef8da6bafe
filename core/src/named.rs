//! Per-tenant resources that IAM tells apart by name alone: Secrets Manager secrets, Systems
//! Manager Parameter Store parameters and SQS queues. One rule, [`NameRule`], says which names
//! are a tenant's for all three; [`Service`] holds what differs between them (the ARN, the
//! separator, the name's charset), and [`NamedAction`] the actions each can confine.
//!
//! | service | a tenant `acme`'s names (prefix `tenants/`, `/tenants/`, `jobs-`) | the policy's resource |
//! |---|---|---|
//! | Secrets Manager | `tenants/acme/<name>` | `…:secret:tenants/{{tenant}}/*` |
//! | Parameter Store | `/tenants/acme/<name>`, and the path `/tenants/acme` for `GetParametersByPath` | `…:parameter/tenants/{{tenant}}/*` (and `…/tenants/{{tenant}}`) |
//! | SQS | the queue `jobs-acme` (`jobs-acme.fifo` with `fifo`) | `…:jobs-{{tenant}}` |
//! | SQS, a shared queue | none: every tenant's messages, each carrying its sender's tenant in a message attribute | `…:order-events` (or `…:{{queue}}`), no tenant in it |
//!
//! Why these patterns hold:
//!
//! * **Secrets.** A secret's ARN is its name, `-`, and 6 random characters
//!   (`secret:tenants/acme/stripe-AbC123`; Secrets Manager User Guide, "Secret ARNs"), so the
//!   folder pattern `secret:tenants/acme/*` matches every version of the name and the `/` after
//!   the id keeps `tenants/acme-2/…` out (tenant ids have no `/`).
//! * **Parameters.** A parameter's ARN drops the name's leading `/`
//!   (`/tenants/acme/flags` → `parameter/tenants/acme/flags`); `GetParameter(s)` is authorized
//!   against each named parameter and `GetParametersByPath` against the path in the request,
//!   `Recursive` then returning every level below it (Systems Manager User Guide, "Restricting
//!   access to Parameter Store parameters using IAM policies"). So a by-path read of the tenant's
//!   own path `/tenants/acme` needs that path's ARN as well as the folder's.
//! * **Queues.** SQS has no folders and no condition on a message: a queue ARN names one queue
//!   (`arn:aws:sqs:<region>:<account>:<name>`; Amazon SQS Developer Guide, "Amazon SQS resource
//!   ARN format"). A tenant's queue is exactly `<prefix><tenant>`, with no wildcard: queue names
//!   and tenant ids share their charset (`-`, `_`), so no separator could end a tenant id and
//!   `jobs-acme*` would match tenant `acme-2`'s `jobs-acme-2`.
//! * **A shared queue** ([`SharedQueue`]) holds every tenant's messages, so IAM cannot confine
//!   it per tenant: its ARN names the one queue, and no SQS condition key reads a message or its
//!   attributes (Service Authorization Reference, "Actions, resources, and condition keys for
//!   Amazon SQS": the service's own keys are tag keys). Every session that may send to it may send
//!   any message. What makes a message carry its sender's tenant is the runtime's queue guard,
//!   which lets a send through only when every message's tenant attribute is the sending scope's
//!   tenant; and only `SendMessage` may be declared on it (a receive would read every tenant's
//!   messages): a record handler consumes it.

use crate::action::closest;
use crate::keys::Tenants;
use crate::physical::PhysicalName;
use crate::tenant::{MAX_TENANT_ID_LEN, TenantId};
use core::fmt;
use std::borrow::Cow;

/// The longest prefix of a secret's or parameter's names accepted (the policy's worst-case
/// size counts it in full).
pub const MAX_NAME_PREFIX_LEN: usize = 64;

/// The longest SQS queue name (Amazon SQS Developer Guide, "Amazon SQS quotas": "A queue name
/// can have up to 80 characters"): a queue prefix leaves room for the longest tenant id.
pub const MAX_QUEUE_NAME_LEN: usize = 80;

/// An AWS service whose per-tenant resources are told apart by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// AWS Secrets Manager: `secrets(...)`.
    SecretsManager,
    /// AWS Systems Manager Parameter Store: `parameters(...)`.
    Ssm,
    /// Amazon SQS: `queues(...)`.
    Sqs,
}

impl Service {
    /// Every service, in canonical order.
    pub const ALL: &'static [Service] = &[Service::SecretsManager, Service::Ssm, Service::Sqs];

    /// The service's prefix in IAM actions and ARNs: `secretsmanager`, `ssm`, `sqs`.
    pub const fn iam_prefix(self) -> &'static str {
        match self {
            Service::SecretsManager => "secretsmanager",
            Service::Ssm => "ssm",
            Service::Sqs => "sqs",
        }
    }

    /// The argument that declares the service's resources: `secrets`, `parameters`, `queues`.
    pub const fn argument(self) -> &'static str {
        match self {
            Service::SecretsManager => "secrets",
            Service::Ssm => "parameters",
            Service::Sqs => "queues",
        }
    }

    /// What the service's resources are called: `secret`, `parameter`, `queue`.
    pub const fn noun(self) -> &'static str {
        match self {
            Service::SecretsManager => "secret",
            Service::Ssm => "parameter",
            Service::Sqs => "queue",
        }
    }

    /// The service's name in messages.
    pub const fn title(self) -> &'static str {
        match self {
            Service::SecretsManager => "Secrets Manager",
            Service::Ssm => "Parameter Store",
            Service::Sqs => "SQS",
        }
    }

    /// The prefix of a declaration that names none: secrets `tenants/<tenant>/…` (the buckets'
    /// default folder), parameters `/tenants/<tenant>/…`; none for queues, whose names share
    /// the account's one namespace with every other queue (a prefix must be chosen).
    pub const fn default_prefix(self) -> Option<&'static str> {
        match self {
            Service::SecretsManager => Some("tenants/"),
            Service::Ssm => Some("/tenants/"),
            Service::Sqs => None,
        }
    }

    /// The service's argument name → the service.
    pub fn from_argument(argument: &str) -> Option<Service> {
        Service::ALL.iter().copied().find(|s| s.argument() == argument)
    }

    /// `arn:{{partition}}:<service>:{{region}}:{{account}}:` plus the resource type's own
    /// start (`secret:`, `parameter`, nothing for a queue): what every resource of the service
    /// begins with in a policy template.
    fn arn_start(self) -> String {
        let kind = match self {
            Service::SecretsManager => "secret:",
            // The name's own leading `/` follows: `parameter/tenants/acme/flags`.
            Service::Ssm => "parameter",
            Service::Sqs => "",
        };
        format!("arn:{{{{partition}}}}:{}:{{{{region}}}}:{{{{account}}}}:{kind}", self.iam_prefix())
    }

    /// Whether `b` may be in a name prefix of this service: the service's own name charset
    /// less anything IAM reads as a wildcard or variable (`*`, `?`, `$`) or JSON escapes.
    const fn prefix_byte(self, b: u8) -> bool {
        b.is_ascii_alphanumeric()
            || match self {
                // Secret names: `A-Za-z0-9/_+=.@-` (Secrets Manager API Reference, `CreateSecret`, `Name`).
                Service::SecretsManager => matches!(b, b'/' | b'_' | b'+' | b'=' | b'.' | b'@' | b'-'),
                // Parameter names: `a-zA-Z0-9_.-` and `/` (Systems Manager User Guide, "Parameter name requirements").
                Service::Ssm => matches!(b, b'/' | b'_' | b'.' | b'-'),
                // Queue names: `A-Za-z0-9-_` (Amazon SQS API Reference, `CreateQueue`, `QueueName`).
                Service::Sqs => matches!(b, b'_' | b'-'),
            }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

macro_rules! named_actions {
    ($($(#[$doc:meta])* $service:ident $name:ident,)*) => {
        /// An action on a secret, a parameter or a queue that can be confined to one tenant's
        /// names.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum NamedAction {
            $($(#[$doc])* $name,)*
        }

        impl NamedAction {
            /// Every action, in canonical (policy) order.
            pub const ALL: &'static [NamedAction] = &[$(NamedAction::$name,)*];

            /// The action's name, e.g. `GetSecretValue`.
            pub const fn name(self) -> &'static str {
                match self { $(NamedAction::$name => stringify!($name),)* }
            }

            /// The service the action belongs to.
            pub const fn service(self) -> Service {
                match self { $(NamedAction::$name => Service::$service,)* }
            }
        }
    };
}

/// Calls `$callback! { SecretsManager CreateSecret, … }` with every named action and its
/// service: the one list from which the enum and the runtime's marker types are generated.
#[doc(hidden)]
#[macro_export]
macro_rules! with_named_actions {
    ($callback:ident) => {
        $callback! {
            /// Create a secret named under the tenant's folder (`CreateSecret`).
            SecretsManager CreateSecret,
            /// Delete one of the tenant's secrets (`DeleteSecret`; recoverable within its window).
            SecretsManager DeleteSecret,
            /// Read a secret's metadata (`DescribeSecret`).
            SecretsManager DescribeSecret,
            /// Read a secret's value (`GetSecretValue`).
            SecretsManager GetSecretValue,
            /// Store a new value of a secret (`PutSecretValue`).
            SecretsManager PutSecretValue,
            /// Change a secret's value or description (`UpdateSecret`).
            SecretsManager UpdateSecret,
            /// Delete a parameter (`DeleteParameter`).
            Ssm DeleteParameter,
            /// Delete several parameters (`DeleteParameters`; each is authorized on its own).
            Ssm DeleteParameters,
            /// Read a parameter (`GetParameter`).
            Ssm GetParameter,
            /// Read a parameter's history (`GetParameterHistory`).
            Ssm GetParameterHistory,
            /// Read several parameters (`GetParameters`; each is authorized on its own).
            Ssm GetParameters,
            /// Read the parameters under a path of the tenant's (`GetParametersByPath`, with or
            /// without `Recursive`); authorized against the path.
            Ssm GetParametersByPath,
            /// Create or overwrite a parameter (`PutParameter`).
            Ssm PutParameter,
            /// Change a message's visibility timeout (`ChangeMessageVisibility`, and each entry
            /// of `ChangeMessageVisibilityBatch`).
            Sqs ChangeMessageVisibility,
            /// Delete a received message (`DeleteMessage`, `DeleteMessageBatch`).
            Sqs DeleteMessage,
            /// Read the queue's attributes (`GetQueueAttributes`).
            Sqs GetQueueAttributes,
            /// Look up the queue's URL by name (`GetQueueUrl`).
            Sqs GetQueueUrl,
            /// Receive messages (`ReceiveMessage`).
            Sqs ReceiveMessage,
            /// Send a message (`SendMessage`, `SendMessageBatch`).
            Sqs SendMessage,
        }
    };
}

with_named_actions!(named_actions);

impl NamedAction {
    /// The IAM action, e.g. `secretsmanager:GetSecretValue`.
    pub fn iam_name(self) -> String {
        format!("{}:{}", self.service().iam_prefix(), self.name())
    }

    /// `GetSecretValue` or `secretsmanager:GetSecretValue` → the action (of any service).
    pub fn from_name(name: &str) -> Option<NamedAction> {
        let bare = name.split_once(':').map_or(name, |(_, n)| n);
        NamedAction::ALL
            .iter()
            .copied()
            .find(|a| a.name() == bare && name.split_once(':').is_none_or(|(s, _)| s == a.service().iam_prefix()))
    }

    /// The actions of `service`, in canonical order.
    pub fn of(service: Service) -> impl Iterator<Item = NamedAction> {
        NamedAction::ALL.iter().copied().filter(move |a| a.service() == service)
    }

    /// Whether the action is authorized against a path (`GetParametersByPath`) rather than
    /// against each name: its statement also names the tenant's path itself.
    pub const fn by_path(self) -> bool {
        matches!(self, NamedAction::GetParametersByPath)
    }

    /// The action an API operation of `service` needs (`SendMessageBatch` → `SendMessage`):
    /// the one table read by the guards and the typed handles. `None` for an operation no
    /// tenant session may send.
    ///
    /// A `const fn`, so that a typed handle checks each method's bound against this table at
    /// compile time:
    ///
    /// ```
    /// use tenant_isolation_core::{NamedAction, Service};
    /// const BATCH: Option<NamedAction> = NamedAction::for_operation(Service::Sqs, "SendMessageBatch");
    /// assert_eq!(BATCH, Some(NamedAction::SendMessage));
    /// ```
    pub const fn for_operation(service: Service, operation: &str) -> Option<NamedAction> {
        // Loops by index: iterators and `==` on `str` are not callable in a `const fn`.
        let mut i = 0;
        while i < OPERATIONS.len() {
            let (op, action) = OPERATIONS[i];
            if action.service() as u8 == service as u8 && same_str(op, operation) {
                return Some(action);
            }
            i += 1;
        }
        let mut i = 0;
        while i < NamedAction::ALL.len() {
            let action = NamedAction::ALL[i];
            if action.service() as u8 == service as u8 && same_str(action.name(), operation) {
                return Some(action);
            }
            i += 1;
        }
        None
    }

    /// Validates a name written in `secrets(... actions = [...])` (and `parameters`, `queues`).
    pub fn classify(service: Service, name: &str) -> Result<NamedAction, NamedRefusal> {
        let (declared_service, bare) = match name.split_once(':') {
            Some((s, bare)) => (Some(s), bare),
            None => (None, name),
        };
        if bare.contains('*') || bare.contains('?') {
            return Err(NamedRefusal::Wildcard);
        }
        if let Some(action) = NamedAction::from_name(name) {
            if action.service() != service {
                return Err(NamedRefusal::OtherService(action.service()));
            }
            return Ok(action);
        }
        if declared_service.is_some_and(|s| s != service.iam_prefix()) {
            return Err(NamedRefusal::Unknown { suggestion: None });
        }
        if let Some((_, _, refusal)) = REFUSED.iter().find(|(s, n, _)| *s == service && *n == bare) {
            return Err(refusal.clone());
        }
        if let Some((_, declare)) = OPERATIONS.iter().find(|(op, a)| *op == bare && a.service() == service) {
            return Err(NamedRefusal::Operation { declare: *declare });
        }
        let suggestion = closest(bare, NamedAction::of(service).map(NamedAction::name))
            .and_then(|n| NamedAction::of(service).find(|a| a.name() == n));
        Err(NamedRefusal::Unknown { suggestion })
    }
}

impl fmt::Display for NamedAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `` `CreateSecret`, `DeleteSecret`, … `` for error messages: the actions of `service`.
pub fn valid_named_names(service: Service) -> String {
    NamedAction::of(service).map(|a| format!("`{}`", a.name())).collect::<Vec<_>>().join(", ")
}

/// `a == b`, in a `const fn`.
const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// API operations whose IAM action has another name: a batch is authorized as its single
/// action, per entry (Amazon SQS Developer Guide, "Amazon SQS API permissions: Actions and
/// resource reference": `SendMessageBatch` needs `sqs:SendMessage`, …).
const OPERATIONS: &[(&str, NamedAction)] = &[
    ("SendMessageBatch", NamedAction::SendMessage),
    ("DeleteMessageBatch", NamedAction::DeleteMessage),
    ("ChangeMessageVisibilityBatch", NamedAction::ChangeMessageVisibility),
];

/// Why a name in a `secrets`, `parameters` or `queues` declaration's `actions = [...]` cannot
/// be granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamedRefusal {
    /// `*`, `secretsmanager:*`, `Get*`.
    Wildcard,
    /// Takes no resource, so IAM cannot confine it to one tenant's names (`ListSecrets`,
    /// `GetRandomPassword`, `DescribeParameters`, `ListQueues`, `BatchGetSecretValue`).
    NoResource,
    /// Changes who may reach the resource: resource policies, queue permissions.
    Sharing,
    /// Tags, which can decide access (attribute-based access control).
    Tagging,
    /// Copies a secret to other regions, outside what the deployment placed.
    Replication,
    /// Creates, deletes, purges, rotates or reconfigures the resource: the deployment's work.
    Deployment,
    /// An action of another of the three services.
    OtherService(Service),
    /// An API operation whose IAM action has another name.
    Operation {
        /// The action to declare instead.
        declare: NamedAction,
    },
    /// Not an action of the service this crate knows.
    Unknown {
        /// The nearest known action of the service.
        suggestion: Option<NamedAction>,
    },
}

impl fmt::Display for NamedRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NamedRefusal::Wildcard => f.write_str(
                "wildcards are never granted: they include actions that take no resource or change \
                 who may read every tenant's resources",
            ),
            NamedRefusal::NoResource => f.write_str(
                "takes no resource, so IAM cannot confine it to one tenant's names: it would list or read \
                 every tenant's",
            ),
            NamedRefusal::Sharing => f.write_str(
                "changes who may reach the resource: a tenant could share its resource with another account; \
                 set access in the deployment instead",
            ),
            NamedRefusal::Tagging => f.write_str(
                "changes tags, which can decide access (attribute-based access control): set tags in the \
                 deployment",
            ),
            NamedRefusal::Replication => {
                f.write_str("copies the secret to other regions, outside the deployment: replicate in the deployment")
            }
            NamedRefusal::Deployment => f.write_str(
                "creates, deletes, rotates or reconfigures the resource itself: that is the deployment's work, \
                 not a tenant session's",
            ),
            NamedRefusal::OtherService(s) => {
                write!(f, "is a {s} action: declare it in `{}(...)`", s.argument())
            }
            NamedRefusal::Operation { declare } => {
                write!(f, "is an API operation, not an IAM action: declare `{declare}`")
            }
            NamedRefusal::Unknown { .. } => f.write_str("unknown action"),
        }
    }
}

/// Names refused with a reason of their own (Service Authorization Reference, "Actions defined
/// by AWS Secrets Manager", "… by AWS Systems Manager", "… by Amazon SQS": the actions whose
/// resource types column is empty take no resource).
const REFUSED: &[(Service, &str, NamedRefusal)] = &[
    (Service::SecretsManager, "ListSecrets", NamedRefusal::NoResource),
    (Service::SecretsManager, "GetRandomPassword", NamedRefusal::NoResource),
    (Service::SecretsManager, "BatchGetSecretValue", NamedRefusal::NoResource),
    (Service::SecretsManager, "PutResourcePolicy", NamedRefusal::Sharing),
    (Service::SecretsManager, "DeleteResourcePolicy", NamedRefusal::Sharing),
    (Service::SecretsManager, "GetResourcePolicy", NamedRefusal::Sharing),
    (Service::SecretsManager, "ValidateResourcePolicy", NamedRefusal::Sharing),
    (Service::SecretsManager, "TagResource", NamedRefusal::Tagging),
    (Service::SecretsManager, "UntagResource", NamedRefusal::Tagging),
    (Service::SecretsManager, "ReplicateSecretToRegions", NamedRefusal::Replication),
    (Service::SecretsManager, "RemoveRegionsFromReplication", NamedRefusal::Replication),
    (Service::SecretsManager, "StopReplicationToReplica", NamedRefusal::Replication),
    (Service::SecretsManager, "RotateSecret", NamedRefusal::Deployment),
    (Service::SecretsManager, "CancelRotateSecret", NamedRefusal::Deployment),
    (Service::SecretsManager, "RestoreSecret", NamedRefusal::Deployment),
    (Service::SecretsManager, "UpdateSecretVersionStage", NamedRefusal::Deployment),
    (Service::Ssm, "DescribeParameters", NamedRefusal::NoResource),
    (Service::Ssm, "AddTagsToResource", NamedRefusal::Tagging),
    (Service::Ssm, "RemoveTagsFromResource", NamedRefusal::Tagging),
    (Service::Ssm, "LabelParameterVersion", NamedRefusal::Deployment),
    (Service::Ssm, "UnlabelParameterVersion", NamedRefusal::Deployment),
    (Service::Sqs, "ListQueues", NamedRefusal::NoResource),
    (Service::Sqs, "AddPermission", NamedRefusal::Sharing),
    (Service::Sqs, "RemovePermission", NamedRefusal::Sharing),
    (Service::Sqs, "SetQueueAttributes", NamedRefusal::Sharing),
    (Service::Sqs, "TagQueue", NamedRefusal::Tagging),
    (Service::Sqs, "UntagQueue", NamedRefusal::Tagging),
    (Service::Sqs, "CreateQueue", NamedRefusal::Deployment),
    (Service::Sqs, "DeleteQueue", NamedRefusal::Deployment),
    (Service::Sqs, "PurgeQueue", NamedRefusal::Deployment),
];

/// The longest SQS message attribute name (Amazon SQS API Reference, `SendMessage`,
/// `MessageAttributes`: "The name can be up to 256 characters long").
pub const MAX_MESSAGE_ATTRIBUTE_NAME_LEN: usize = 256;

/// A queue every tenant's messages share, which a handler may only send to: what
/// `queues(events(queue = "order-events", tenant_attribute = "tenant_id", actions = [SendMessage]))`
/// declares. Each message carries its sender's tenant in the String message attribute
/// `tenant_attribute`, which the consumer (a record handler declared with
/// `records = sqs(tenant_attribute = "...")`) reads its tenant from.
///
/// IAM cannot confine it per tenant (see the module's comment): its statement grants
/// `sqs:SendMessage` on the queue's ARN to every tenant's session. The runtime's queue guard is
/// what stamps and checks the tenant; whoever else may send to the queue (the execution role's
/// own client, another producer) can write any attribute, and SECURITY.md says how to restrict
/// them.
///
/// ```
/// use std::borrow::Cow;
/// use tenant_isolation_core::{NameRule, PhysicalName, SharedQueue};
/// let events = NameRule::shared(SharedQueue {
///     queue: PhysicalName::FromEnv { var: Cow::Borrowed("ORDER_EVENTS_QUEUE"), default: Cow::Borrowed("order-events") },
///     tenant_attribute: Cow::Borrowed("tenant_id"),
/// });
/// assert!(events.is_shared());
/// assert_eq!(events.as_shared().unwrap().tenant_attribute, "tenant_id");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SharedQueue {
    /// The queue's name: written in the attribute, or bound at run time by a variable
    /// (`queue_env`), as a table's is. A FIFO queue's name ends with `.fifo`.
    pub queue: PhysicalName,
    /// The String message attribute that carries the sender's tenant, e.g. `tenant_id`.
    pub tenant_attribute: Cow<'static, str>,
}

/// [`is_valid_queue_name`] as a regular expression (a CloudFormation `AllowedPattern`).
pub const QUEUE_NAME_PATTERN: &str = r"^([A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$";

/// An SQS queue name: 1-80 characters of `A-Z`, `a-z`, `0-9`, `_` and `-`, a FIFO queue's
/// ending with `.fifo` (counted in the 80; Amazon SQS API Reference, `CreateQueue`,
/// `QueueName`).
///
/// ```
/// use tenant_isolation_core::is_valid_queue_name;
/// assert!(is_valid_queue_name("order-events") && is_valid_queue_name("order-events.fifo"));
/// assert!(!is_valid_queue_name(".fifo") && !is_valid_queue_name("order.events") && !is_valid_queue_name("jobs-*"));
/// ```
pub fn is_valid_queue_name(name: &str) -> bool {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    name.len() <= MAX_QUEUE_NAME_LEN
        && !base.is_empty()
        && base.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// An SQS message attribute name (Amazon SQS API Reference, `SendMessage`, `MessageAttributes`;
/// `MessageAttributeValue`): 1-256 characters of `A-Z`, `a-z`, `0-9`, `_`, `-` and `.`, not
/// starting with the reserved `AWS.` or `Amazon.` (in any case), not starting or ending with `.`
/// and without `..`.
///
/// ```
/// use tenant_isolation_core::is_valid_message_attribute_name;
/// assert!(is_valid_message_attribute_name("tenant_id") && is_valid_message_attribute_name("app.tenant-id"));
/// for bad in ["", "tenant id", "AWS.tenant", "amazon.tenant", ".tenant", "tenant.", "app..tenant"] {
///     assert!(!is_valid_message_attribute_name(bad), "{bad}");
/// }
/// ```
pub fn is_valid_message_attribute_name(name: &str) -> bool {
    let reserved =
        ["aws.", "amazon."].iter().any(|r| name.get(..r.len()).is_some_and(|start| start.eq_ignore_ascii_case(r)));
    (1..=MAX_MESSAGE_ATTRIBUTE_NAME_LEN).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && !reserved
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
}

/// Which names of one service belong to a tenant: `<prefix><tenant>/…` for secrets and
/// parameters, the queue `<prefix><tenant>` (or `<prefix><tenant>.fifo`) for SQS; or, for a
/// queue every tenant's messages share ([`NameRule::shared`]), none, and which messages of it a
/// tenant may send (those whose tenant attribute is its own). The session policy, the guard and
/// the typed handle all read the rule from here.
///
/// ```
/// use tenant_isolation_core::{NameRule, Service, TenantId};
/// let secrets = NameRule::new(Service::SecretsManager, "tenants/");
/// let acme = TenantId::parse("acme").unwrap();
/// assert_eq!(secrets.name(&acme, "stripe"), "tenants/acme/stripe");
/// assert!(secrets.is_own(&acme, "tenants/acme/stripe"));
/// assert!(!secrets.is_own(&acme, "tenants/acme-2/stripe"));
///
/// let queues = NameRule::new(Service::Sqs, "jobs-");
/// assert_eq!(queues.queue(&acme), "jobs-acme");
/// assert!(!queues.is_own(&acme, "jobs-acme-2"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NameRule {
    service: Service,
    /// Empty for a shared queue.
    prefix: Cow<'static, str>,
    /// `false` for a shared queue (its name says whether it is FIFO).
    fifo: bool,
    /// A queue every tenant's messages share: no name is a tenant's.
    shared: Option<SharedQueue>,
    /// The customer-managed KMS key that encrypts the values of the tenants' secrets or
    /// parameters (`kms_key`, `kms_key_env`): its key id, written in or bound at run time.
    kms_key: Option<PhysicalName>,
}

/// What is wrong with a name prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamePrefixError {
    /// Outside the service's name charset, with an IAM wildcard or variable, or too long (a
    /// queue's prefix must leave room for the longest tenant id in 80 characters).
    Charset,
    /// A secret's prefix that is not empty and does not end with `/`, a parameter's that does
    /// not begin and end with `/`, or an empty queue prefix.
    Shape,
    /// A parameter prefix under `/aws` or `/ssm`, which Parameter Store reserves, or `/` alone
    /// (tenant `aws` would own `/aws/…`).
    Reserved,
    /// `fifo` on a secret or parameter rule.
    FifoOutsideSqs,
}

impl NameRule {
    /// A rule of `service` with `prefix`; see [`NameRule::validate`].
    pub const fn new(service: Service, prefix: &'static str) -> NameRule {
        NameRule { service, prefix: Cow::Borrowed(prefix), fifo: false, shared: None, kms_key: None }
    }

    /// A rule of `service` with `prefix` whose values are encrypted with a customer-managed
    /// KMS key (see [`NameRule::with_kms_key`]); a `const fn`, for the macro's specs.
    pub const fn encrypted(service: Service, prefix: &'static str, key: PhysicalName) -> NameRule {
        NameRule { service, prefix: Cow::Borrowed(prefix), fifo: false, shared: None, kms_key: Some(key) }
    }

    /// The same rule, the values of its secrets or parameters encrypted with the
    /// customer-managed KMS key `key` (a key id, or the variable that binds one): the session
    /// policy then grants the KMS actions the declared actions need on that key, confined by
    /// the encryption context to the tenant's own names (see `kms.rs`).
    pub fn with_kms_key(self, key: PhysicalName) -> NameRule {
        NameRule { kms_key: Some(key), ..self }
    }

    /// The customer-managed KMS key of the rule's values, if one was declared.
    pub const fn kms_key(&self) -> Option<&PhysicalName> {
        self.kms_key.as_ref()
    }

    /// Whether two rules name one family of names (one service, prefix, FIFO-ness and shared
    /// queue), whichever key encrypts its values: a key says nothing of which names are whose, so
    /// a handler that reads a family with its key and one that only deletes from it (and may not
    /// declare the key: [`crate::SpecError::KmsKeyUnused`]) are one rule, not two that overlap.
    pub fn same_names(&self, other: &NameRule) -> bool {
        // Every field but the key, named, so that a new field is compared or said not to be.
        let NameRule { service, prefix, fifo, shared, kms_key: _ } = self;
        *service == other.service && *prefix == other.prefix && *fifo == other.fifo && *shared == other.shared
    }

    /// A rule with an owned prefix.
    pub fn owned(service: Service, prefix: impl Into<String>) -> NameRule {
        NameRule { service, prefix: Cow::Owned(prefix.into()), fifo: false, shared: None, kms_key: None }
    }

    /// A rule of FIFO queues: the tenant's queue is `<prefix><tenant>.fifo`.
    pub const fn fifo_queues(prefix: &'static str) -> NameRule {
        NameRule { service: Service::Sqs, prefix: Cow::Borrowed(prefix), fifo: true, shared: None, kms_key: None }
    }

    /// The rule of a queue every tenant's messages share (see [`SharedQueue`]): no queue name is
    /// a tenant's under it ([`NameRule::is_own`] is always `false`), and only `SendMessage` may be
    /// declared on it ([`NamedModel::validate`]).
    pub const fn shared(queue: SharedQueue) -> NameRule {
        NameRule { service: Service::Sqs, prefix: Cow::Borrowed(""), fifo: false, shared: Some(queue), kms_key: None }
    }

    /// The same rule for FIFO queues (see [`NameRule::fifo_queues`]); a shared queue's name says
    /// whether it is FIFO, and its rule is returned unchanged.
    pub fn fifo(self) -> NameRule {
        match self.shared {
            Some(_) => self,
            None => NameRule { fifo: true, ..self },
        }
    }

    /// The shared queue, for a rule of one ([`NameRule::shared`]).
    pub const fn as_shared(&self) -> Option<&SharedQueue> {
        self.shared.as_ref()
    }

    /// Whether the rule is a shared queue's.
    pub const fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The service whose names the rule covers.
    pub const fn service(&self) -> Service {
        self.service
    }

    /// The prefix before the tenant id (empty for a shared queue).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether the tenants' queues are FIFO queues (`false` for a shared queue, whose name ends
    /// with `.fifo` if it is one).
    pub const fn is_fifo(&self) -> bool {
        self.fifo
    }

    /// A prefix keeps to the service's name charset (no `*`, `?` or `$`) and is shaped so that
    /// a tenant id cannot run into it: a secret's is empty or ends with `/`, a parameter's
    /// begins and ends with `/` (`/tenants/`; not `/` alone, which would give tenants `aws` and
    /// `ssm` Parameter Store's reserved names) and is not under `/aws` or `/ssm`, a queue's is not empty and leaves room for a 64-character tenant
    /// id in a queue name. A shared queue has no prefix: its name and attribute are checked by
    /// [`NamedModel::validate`].
    pub fn validate(&self) -> Result<(), NamePrefixError> {
        if self.shared.is_some() {
            return Ok(());
        }
        let p = self.prefix.as_bytes();
        if self.fifo && self.service != Service::Sqs {
            return Err(NamePrefixError::FifoOutsideSqs);
        }
        if p.len() > self.max_prefix_len() || !p.iter().all(|b| self.service.prefix_byte(*b)) {
            return Err(NamePrefixError::Charset);
        }
        match self.service {
            Service::SecretsManager if !p.is_empty() && !self.prefix.ends_with('/') => Err(NamePrefixError::Shape),
            Service::Ssm if !self.prefix.starts_with('/') || !self.prefix.ends_with('/') => Err(NamePrefixError::Shape),
            Service::Ssm if self.prefix.contains("//") => Err(NamePrefixError::Shape),
            // "Parameter names can't be prefixed with `aws` or `ssm` (case-insensitive)"
            // (Systems Manager User Guide, "Parameter name requirements"). Nor can the prefix be
            // `/` alone: tenants at the root would make tenant `aws` own `/aws/…`, where
            // `/aws/reference/secretsmanager/<id>` reads any secret through `GetParameter` and
            // `/aws/service/…` are public parameters (red-team review of issue 25).
            Service::Ssm
                if self.prefix == "/"
                    || ["aws", "ssm"]
                        .iter()
                        .any(|r| self.prefix[1..].get(..3).is_some_and(|s| s.eq_ignore_ascii_case(r))) =>
            {
                Err(NamePrefixError::Reserved)
            }
            Service::Sqs if p.is_empty() => Err(NamePrefixError::Shape),
            _ => Ok(()),
        }
    }

    /// The longest prefix the service's names leave room for.
    pub const fn max_prefix_len(&self) -> usize {
        match self.service {
            Service::Sqs => MAX_QUEUE_NAME_LEN - MAX_TENANT_ID_LEN - if self.fifo { ".fifo".len() } else { 0 },
            _ => MAX_NAME_PREFIX_LEN,
        }
    }

    /// `<prefix><tenant>`: a parameter path of the tenant's (`GetParametersByPath`), and the
    /// start of every name of the tenant's.
    pub fn root(&self, tenant: &TenantId) -> String {
        format!("{}{}", self.prefix, tenant.as_str())
    }

    /// `<prefix><tenant>/<name>`: a secret or parameter name of the tenant's.
    pub fn name(&self, tenant: &TenantId, name: &str) -> String {
        format!("{}{}/{name}", self.prefix, tenant.as_str())
    }

    /// `<prefix><tenant>` (`.fifo`): the tenant's queue. For a shared queue, its declared name
    /// whatever the tenant (the name it is placed under is [`crate::Placement::queues`]').
    pub fn queue(&self, tenant: &TenantId) -> String {
        if let Some(shared) = &self.shared {
            return shared.queue.declared().to_owned();
        }
        format!("{}{}{}", self.prefix, tenant.as_str(), if self.fifo { ".fifo" } else { "" })
    }

    /// Whether `name` is the tenant's: a secret or parameter name under `<prefix><tenant>/`
    /// (with something after the `/`), or the tenant's queue. The same rule as the policy's
    /// resource patterns (IAM's `*` matches any rest). Never a shared queue: it is every
    /// tenant's.
    pub fn is_own(&self, tenant: &TenantId, name: &str) -> bool {
        if self.shared.is_some() {
            return false;
        }
        match self.service {
            Service::Sqs => name == self.queue(tenant),
            _ => self.rest(tenant, name).is_some_and(|rest| rest.strip_prefix('/').is_some_and(|r| !r.is_empty())),
        }
    }

    /// Whether `path` is a parameter path of the tenant's: `<prefix><tenant>` or under it.
    pub fn is_own_path(&self, tenant: &TenantId, path: &str) -> bool {
        self.service == Service::Ssm
            && self.rest(tenant, path).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    fn rest<'n>(&self, tenant: &TenantId, name: &'n str) -> Option<&'n str> {
        name.strip_prefix(&*self.prefix)?.strip_prefix(tenant.as_str())
    }

    /// The tenant whose name `name` is; `None` for a name that is no tenant's under this rule.
    /// The inverse of [`NameRule::is_own`] (tenant ids have no `/`); `None` under a shared
    /// queue's rule.
    pub fn tenant_of(&self, name: &str) -> Option<TenantId> {
        if self.shared.is_some() {
            return None;
        }
        let rest = name.strip_prefix(&*self.prefix)?;
        let id = match self.service {
            Service::Sqs if self.fifo => rest.strip_suffix(".fifo")?,
            Service::Sqs => rest,
            _ => match rest.split_once('/') {
                Some((id, after)) if !after.is_empty() => id,
                _ => return None,
            },
        };
        TenantId::parse(id).ok()
    }

    /// The ARNs a statement of `actions` names, as IAM reads them: the tenant's folder
    /// (`…:secret:<prefix>{{tenant}}/*`), the path itself beside it for a by-path read, the
    /// tenant's queue; the principal tag in the tenant's place; or every tenant's names
    /// (`<prefix>*`, role policies).
    ///
    /// None for a shared queue: its statement names the queue by its place among the handler's
    /// shared queues (`{{queue}}`, `{{queue2}}`, … for names bound at run time), which a rule
    /// alone does not know ([`HandlerModel::compile`](crate::HandlerModel::compile) writes it).
    pub fn resources(&self, whose: Tenants<'_>, by_path: bool) -> Vec<String> {
        if self.shared.is_some() {
            return Vec::new();
        }
        let start = self.service.arn_start();
        let tenant = match whose {
            Tenants::Own => "{{tenant}}".to_owned(),
            Tenants::Tagged(tag) => format!("${{aws:PrincipalTag/{tag}}}"),
            Tenants::Any => return vec![format!("{start}{}*", self.prefix)],
        };
        let root = format!("{start}{}{tenant}", self.prefix);
        match self.service {
            Service::Sqs if self.fifo => vec![format!("{root}.fifo")],
            Service::Sqs => vec![root],
            Service::Ssm if by_path => vec![root.clone(), format!("{root}/*")],
            _ => vec![format!("{root}/*")],
        }
    }

    /// Whether two rules could give one tenant another's names: same service, and one prefix
    /// starts the other (`tenants/` and `tenants/ORG/`: tenant `ORG` of the first owns the
    /// second's; `jobs-` and `jobs-high-`: tenant `high-acme` of the first owns `acme`'s queue
    /// of the second).
    ///
    /// A shared queue overlaps a rule under which its name is some tenant's own queue (`jobs-`
    /// and the shared `jobs-all`: tenant `all` would receive every tenant's messages), and
    /// another declaration of the same queue whose tenant attribute differs (a consumer reading
    /// one attribute would trust what the other's guard never checked). Its name is the
    /// declared one: the runtime compares the names it places them under.
    pub fn overlaps(&self, other: &NameRule) -> bool {
        if self.service != other.service {
            return false;
        }
        match (&self.shared, &other.shared) {
            (Some(a), Some(b)) => a.queue.declared() == b.queue.declared() && a.tenant_attribute != b.tenant_attribute,
            (Some(shared), None) => other.tenant_of(shared.queue.declared()).is_some(),
            (None, Some(shared)) => self.tenant_of(shared.queue.declared()).is_some(),
            (None, None) => self.prefix.starts_with(&*other.prefix) || other.prefix.starts_with(&*self.prefix),
        }
    }
}

/// One family of per-tenant secrets, parameters or queues a handler may touch: what
/// `secrets(stripe(prefix = "tenants/", actions = [GetSecretValue]))` declares.
///
/// ```
/// use std::borrow::Cow;
/// use tenant_isolation_core::{NameRule, NamedAction, NamedModel, Service};
/// let webhooks = NamedModel {
///     name: Cow::Borrowed("webhooks"),
///     actions: Cow::Borrowed(&[NamedAction::GetSecretValue]),
///     names: NameRule::new(Service::SecretsManager, "tenants/"),
/// };
/// assert!(webhooks.validate().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NamedModel {
    /// The declaration's name (`webhooks`): the handle's parameter, and what messages call it.
    pub name: Cow<'static, str>,
    /// The declared actions (validated: the rule's service's, no duplicates).
    pub actions: Cow<'static, [NamedAction]>,
    /// Which names belong to a tenant.
    pub names: NameRule,
}

impl NamedModel {
    /// The service of the declared resources.
    pub const fn service(&self) -> Service {
        self.names.service
    }

    /// Whether `action` was declared.
    pub fn allows(&self, action: NamedAction) -> bool {
        self.actions.contains(&action)
    }

    /// The declared actions in the canonical order of [`NamedAction::ALL`].
    pub fn sorted_actions(&self) -> Vec<NamedAction> {
        let mut actions = self.actions.to_vec();
        actions.sort();
        actions.dedup();
        actions
    }
}

#[cfg(test)]
mod tests;
