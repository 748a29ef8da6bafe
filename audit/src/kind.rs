//! The kinds of physical name a variable can bind at run time, in one list ([`Kind::ALL`]):
//! a table's `table_env`, a bucket's `bucket_env` and a shared queue's `queue_env`. What the
//! audit does with a binding (the checks in `bindings.rs`, the template's parameters, each
//! function's environment, the rules that keep two bindings apart, `policies template --help`)
//! reads every kind from here; another kind of bound name is one more [`Kind`], its words, and
//! its names in [`Kind::names`] with what keeps its tenants apart ([`Apart`]).
//!
//! A module of its own, importing nothing of the crate's: the errors (`error.rs`) name the kinds
//! in their messages, and `bindings.rs` returns those errors.

use std::borrow::Cow;
use tenant_isolation::HandlerSpec;
use tenant_isolation_core::{NameRule, PhysicalName, SharedQueue, TenantRule};

/// A kind of resource whose physical name a variable can bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A DynamoDB table (`table_env`).
    Table,
    /// An S3 bucket (`bucket_env`).
    Bucket,
    /// A queue every tenant's messages share (`queues(name(queue = ..., queue_env = ...))`).
    SharedQueue,
}

impl Kind {
    /// Every kind, in the order a handler's bindings are read.
    pub(crate) const ALL: [Kind; 3] = [Kind::Table, Kind::Bucket, Kind::SharedQueue];

    /// "table": what messages call one.
    pub(crate) const fn noun(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Bucket => "bucket",
            Kind::SharedQueue => "queue",
        }
    }

    /// `table_env`: the attribute argument whose variable binds one.
    pub(crate) const fn attribute(self) -> &'static str {
        match self {
            Kind::Table => "table_env",
            Kind::Bucket => "bucket_env",
            Kind::SharedQueue => "queue_env",
        }
    }

    /// "DynamoDB table": what a parameter's description calls one.
    pub(crate) const fn title(self) -> &'static str {
        match self {
            Kind::Table => "DynamoDB table",
            Kind::Bucket => "S3 bucket",
            Kind::SharedQueue => "SQS queue",
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
        }
    }
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
            _ => false,
        }
    }

    /// "prefix `TENANT#`", "tenant attribute `tenant_id`".
    pub(crate) fn describe(self) -> String {
        match self {
            Apart::Prefix(rule) => format!("prefix `{}`", rule.prefix()),
            Apart::Attribute(q) => format!("tenant attribute `{}`", q.tenant_attribute),
        }
    }

    /// The prefix rule, when prefixes keep the tenants apart.
    pub(crate) fn prefix(self) -> Option<TenantRule<'static>> {
        match self {
            Apart::Prefix(rule) => Some(rule),
            Apart::Attribute(_) => None,
        }
    }
}

/// "table, bucket or queue": every kind's noun, for messages.
pub(crate) fn nouns() -> String {
    let nouns: Vec<&str> = Kind::ALL.iter().map(|k| k.noun()).collect();
    match nouns.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
