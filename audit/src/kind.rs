//! The kinds of name a variable can bind at run time, in one list ([`Kind::ALL`]): a table's
//! `table_env`, a bucket's `bucket_env`, a shared queue's `queue_env` and a customer-managed KMS
//! key's `kms_key_env` (a key id, not a physical name, but bound, placed and made a parameter the
//! same way). What the
//! audit does with a binding (the checks in `bindings.rs`, the template's parameters, each
//! function's environment, the rules that keep two bindings apart, `policies template --help`)
//! reads every kind from here; another kind of bound name is one more [`Kind`], its words, and
//! its names in [`Kind::names`] with what keeps its tenants apart ([`Apart`]).
//!
//! A module of its own, importing nothing of the crate's: the errors (`error.rs`) name the kinds
//! in their messages, and `bindings.rs` returns those errors.

use std::borrow::Cow;
use tenant_isolation::HandlerSpec;
use tenant_isolation_core::{MAX_TENANT_ID_LEN, NameRule, PhysicalName, Service, SharedQueue, TenantRule};

/// A kind of resource whose physical name a variable can bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A DynamoDB table (`table_env`).
    Table,
    /// An S3 bucket (`bucket_env`).
    Bucket,
    /// A queue every tenant's messages share (`queues(name(queue = ..., queue_env = ...))`).
    SharedQueue,
    /// The customer-managed KMS key of a `secrets(...)` or `parameters(...)` declaration
    /// (`kms_key_env`): its key id.
    KmsKey,
}

impl Kind {
    /// Every kind, in the order a handler's bindings are read.
    pub(crate) const ALL: [Kind; 4] = [Kind::Table, Kind::Bucket, Kind::SharedQueue, Kind::KmsKey];

    /// "table": what messages call one.
    pub(crate) const fn noun(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Bucket => "bucket",
            Kind::SharedQueue => "queue",
            Kind::KmsKey => "KMS key",
        }
    }

    /// `table_env`: the attribute argument whose variable binds one.
    pub(crate) const fn attribute(self) -> &'static str {
        match self {
            Kind::Table => "table_env",
            Kind::Bucket => "bucket_env",
            Kind::SharedQueue => "queue_env",
            Kind::KmsKey => "kms_key_env",
        }
    }

    /// "Physical name of the DynamoDB table": what a parameter's description says its value is.
    pub(crate) const fn title(self) -> &'static str {
        match self {
            Kind::Table => "Physical name of the DynamoDB table",
            Kind::Bucket => "Physical name of the S3 bucket",
            Kind::SharedQueue => "Physical name of the SQS queue",
            Kind::KmsKey => "Key id of the customer-managed KMS key",
        }
    }

    /// What a parameter's description adds on how to give its value: a KMS key's is the key id
    /// that CloudFormation's `!Ref` of an `AWS::KMS::Key` returns, never an alias or an ARN,
    /// which the key ARN the role names could not hold.
    pub(crate) const fn hint(self) -> &'static str {
        match self {
            Kind::Table | Kind::Bucket | Kind::SharedQueue => "",
            Kind::KmsKey => {
                " (pass `!Ref` of the AWS::KMS::Key, its key id: a UUID or `mrk-` and 32 hex digits, not an alias \
                 or an ARN)"
            }
        }
    }

    /// The `AllowedPattern` of its parameter, and the `ConstraintDescription` CloudFormation shows
    /// when a value does not match, for a binding of one of `all`'s handlers (the application's):
    /// the kind's own rule as a regular expression, from core beside its validator. The
    /// parameter's value is written into the data roles' ARNs and the functions' environment
    /// when the stack is created, before any runtime checks it, and a function's runtime only
    /// sees its own handlers:
    ///
    /// * a table's, a bucket's: a name of its kind (`DYNAMODB_NAME_PATTERN`,
    ///   `BUCKET_NAME_PATTERN`): `*` would grant every table or bucket of the account;
    /// * a KMS key's: a key id (`KMS_KEY_ID_PATTERN`): `key/*` would grant every key;
    /// * a shared queue's: a queue name (`QUEUE_NAME_PATTERN`; `*` would have the data roles,
    ///   and the session-tag role that no session policy narrows, send to every queue of the
    ///   account) that is no tenant's own queue under one of `all`'s per-tenant queue prefixes
    ///   ([`queue_pattern`]): bound to `jobs-all`, tenant `all` of a `jobs-` consumer would
    ///   receive every tenant's messages, and with the two in two functions no runtime sees the
    ///   pair.
    pub(crate) fn allowed_pattern(self, all: &[&'static HandlerSpec]) -> (String, String) {
        let fixed = |pattern: &str, constraint: &str| (pattern.to_owned(), constraint.to_owned());
        match self {
            Kind::Table => fixed(
                tenant_isolation_core::DYNAMODB_NAME_PATTERN,
                "a DynamoDB table name: 3-255 characters of A-Z, a-z, 0-9, _, - and .",
            ),
            Kind::Bucket => fixed(
                tenant_isolation_core::BUCKET_NAME_PATTERN,
                "an S3 bucket name: 3-63 characters of a-z, 0-9, . and -, beginning and ending with a letter or digit",
            ),
            Kind::SharedQueue => queue_pattern(all),
            Kind::KmsKey => fixed(
                tenant_isolation_core::KMS_KEY_ID_PATTERN,
                "a KMS key id (`!Ref` of an AWS::KMS::Key): a lowercase UUID or `mrk-` and 32 lowercase hex digits",
            ),
        }
    }

    /// `handler`'s names of this kind, in declaration order, each with what keeps its tenants
    /// apart on the resource it names.
    pub(crate) fn names(self, handler: &'static HandlerSpec) -> Vec<(&'static PhysicalName, Apart)> {
        match self {
            Kind::Table => {
                handler.tables().iter().map(|t| (&t.table, Apart::Prefix(TenantRule::Keys(&t.keys)))).collect()
            }
            Kind::Bucket => {
                handler.buckets().iter().map(|b| (&b.bucket, Apart::Prefix(TenantRule::Objects(&b.objects)))).collect()
            }
            Kind::SharedQueue => handler.model().shared_queues().map(|q| (&q.queue, Apart::Attribute(q))).collect(),
            Kind::KmsKey => handler.model().kms_keys().map(|k| (k, Apart::EncryptionContext)).collect(),
        }
    }
}

/// A shared queue's `AllowedPattern` among `all`'s handlers, and its `ConstraintDescription`: an
/// SQS queue name (core's `is_valid_queue_name`: 1-80 characters of `A-Za-z0-9_-`, a FIFO queue's
/// ending with `.fifo`), and, per per-tenant queue rule of `all`, a negative lookahead refusing
/// exactly the names that rule gives a tenant (`NameRule::tenant_of`: the prefix, a tenant id,
/// `.fifo` for FIFO queues). CloudFormation's patterns are Java regular expressions, which have
/// lookaheads; a queue prefix holds no character a pattern reads specially (`A-Za-z0-9_-`,
/// `NameRule::validate`).
fn queue_pattern(all: &[&'static HandlerSpec]) -> (String, String) {
    let mut rules: Vec<(&str, bool)> = all
        .iter()
        .flat_map(|h| h.model().named.iter())
        .filter(|n| n.service() == Service::Sqs && !n.names.is_shared())
        .map(|n| (n.names.prefix(), n.names.is_fifo()))
        .collect();
    rules.sort_unstable();
    rules.dedup();
    let tenant = format!("[A-Za-z0-9_-]{{1,{MAX_TENANT_ID_LEN}}}");
    let not_own: String = rules
        .iter()
        .map(|(prefix, fifo)| format!("(?!{prefix}{tenant}{}$)", if *fifo { r"\.fifo" } else { "" }))
        .collect();
    // Core's queue-name rule, the lookaheads after its `^`.
    let name = tenant_isolation_core::QUEUE_NAME_PATTERN.strip_prefix('^').expect("an anchored pattern");
    let pattern = format!("^{not_own}{name}");
    let mut constraint =
        "an SQS queue name (1-80 characters of A-Z, a-z, 0-9, _ and -, a FIFO queue's ending with .fifo)".to_owned();
    if !rules.is_empty() {
        let prefixes: Vec<String> = rules.iter().map(|(p, _)| format!("`{p}`")).collect();
        constraint.push_str(&format!(
            " that is no tenant's own queue under the per-tenant queue prefixes {} (that tenant would receive \
             every tenant's messages)",
            prefixes.join(", ")
        ));
    }
    (pattern, constraint)
}

/// What keeps tenants apart on a bound resource: what two bindings that name one resource once
/// deployed must not break.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Apart {
    /// Key or object prefixes (a table's, a bucket's): on one resource, two bindings whose
    /// prefixes overlap (one starts the other) let a tenant of the shorter own the longer's keys.
    Prefix(TenantRule<'static>),
    /// The message attribute a shared queue's messages carry their sender's tenant in: on one
    /// queue, two producers that stamp different attributes let a consumer reading one trust what
    /// the other's guard never checked.
    Attribute(&'static SharedQueue),
    /// The encryption context of every call the service makes to KMS for a secret or parameter
    /// (`core/src/kms.rs`): the grant on a key holds only under the tenant's own names' ARNs, so
    /// the key itself is no tenant boundary. Declarations of one handler or of several, of one
    /// service or of both, may share a key, through one variable or through several: no pair of
    /// them is kept apart (what a shared variable must still agree on, one kind and one declared
    /// id, is `bindings::check`'s, for its parameter's one default).
    EncryptionContext,
}

impl Apart {
    /// Whether a tenant of one binding could pass for another's, were the two to name one
    /// resource: core's own rules, a shared queue's as if both were placed under one name.
    pub(crate) fn overlaps(self, other: Apart) -> bool {
        match (self, other) {
            (Apart::Prefix(a), Apart::Prefix(b)) => a.overlaps(b),
            (Apart::Attribute(a), Apart::Attribute(b)) => {
                let placed = |q: &SharedQueue| {
                    NameRule::shared(SharedQueue { queue: PhysicalName::Fixed(Cow::Borrowed("queue")), ..q.clone() })
                };
                TenantRule::Names(&placed(a)).overlaps(TenantRule::Names(&placed(b)))
            }
            // One key under several declarations: each grant on it holds only under its own
            // tenant's names in the encryption context, whichever declarations share the key.
            (Apart::EncryptionContext, _) | (_, Apart::EncryptionContext) => false,
            _ => false,
        }
    }

    /// "prefix `TENANT#`", "tenant attribute `tenant_id`".
    pub(crate) fn describe(self) -> String {
        match self {
            Apart::Prefix(rule) => format!("prefix `{}`", rule.prefix()),
            Apart::Attribute(q) => format!("tenant attribute `{}`", q.tenant_attribute),
            Apart::EncryptionContext => "the encryption context".to_owned(),
        }
    }

    /// The prefix rule, when prefixes keep the tenants apart.
    pub(crate) fn prefix(self) -> Option<TenantRule<'static>> {
        match self {
            Apart::Prefix(rule) => Some(rule),
            Apart::Attribute(_) | Apart::EncryptionContext => None,
        }
    }
}

/// "table, bucket, queue or KMS key": every kind's noun, for messages.
pub(crate) fn nouns() -> String {
    let nouns: Vec<&str> = Kind::ALL.iter().map(|k| k.noun()).collect();
    match nouns.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
