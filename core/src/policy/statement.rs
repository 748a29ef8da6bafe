//! What each table, index and bucket grants: the statements of a policy, before they are
//! written as JSON.

use crate::keys::Tenants;
use crate::model::{BucketModel, HandlerModel, PhysicalName, TableModel};
use crate::named::{NamedAction, NamedModel, SharedQueue};
use std::borrow::Cow;

pub(super) struct Statement {
    /// `TenantItems`, `TenantIndexes`, `TenantObjects` or `TenantListing`, numbered from 2
    /// when a policy has several.
    pub(super) sid: String,
    /// IAM action names, sorted.
    pub(super) actions: Vec<Cow<'static, str>>,
    pub(super) resources: Vec<String>,
    pub(super) condition: Condition,
}

/// What confines a statement to a tenant, beside its resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Condition {
    /// Object actions: the resource (`…/<prefix><tenant>/*`) is the confinement.
    None,
    /// DynamoDB: the request's `dynamodb:LeadingKeys` are these patterns (written as three
    /// conditions; `Statement::write`, in json.rs, says why).
    LeadingKeys(Vec<String>),
    /// `s3:ListBucket`: the request's `s3:prefix` matches this pattern.
    ListPrefix(String),
    /// KMS: the request's encryption context names, under `key` (`SecretARN`,
    /// `PARAMETER_ARN`), a resource that matches one of these ARN patterns.
    EncryptionContext {
        /// The encryption-context key.
        key: &'static str,
        /// The tenant's resource patterns.
        patterns: Vec<String>,
    },
}

/// The placeholder of the `i`-th table's physical name (0-based): `{{table}}`, `{{table2}}`, …
fn placeholder(kind: &str, i: usize) -> String {
    if i == 0 { format!("{{{{{kind}}}}}") } else { format!("{{{{{kind}{}}}}}", i + 1) }
}

/// The name in a template: written in, or the placeholder of a name bound at run time.
fn name_in_template(name: &PhysicalName, kind: &str, i: usize) -> String {
    match name {
        PhysicalName::Fixed(n) => n.to_string(),
        PhysicalName::FromEnv { .. } => placeholder(kind, i),
    }
}

impl TableModel {
    fn table_arn(&self, i: usize) -> String {
        let table = name_in_template(&self.table, "table", i);
        format!("arn:{{{{partition}}}}:dynamodb:{{{{region}}}}:{{{{account}}}}:table/{table}")
    }

    /// The statements of this table (the `i`-th of its handler): its actions on the table,
    /// and `Query` (or `PartiQLSelect`) on each declared index, confined to `tenants`' keys.
    pub(super) fn statements(&self, i: usize, tenants: Tenants<'_>) -> Vec<Statement> {
        let table_arn = self.table_arn(i);
        let actions = self.sorted_actions();
        let condition = Condition::LeadingKeys(self.keys.patterns(tenants));
        let mut statements = vec![Statement {
            sid: "TenantItems".into(),
            actions: actions.iter().map(|a| a.iam_name().into()).collect(),
            resources: vec![table_arn.clone()],
            condition: condition.clone(),
        }];
        if !self.indexes.is_empty() {
            statements.push(Statement {
                sid: "TenantIndexes".into(),
                actions: actions.iter().filter(|a| a.reads_indexes()).map(|a| a.iam_name().into()).collect(),
                resources: self.indexes.iter().map(|ix| format!("{table_arn}/index/{ix}")).collect(),
                condition,
            });
        }
        statements
    }
}

impl BucketModel {
    /// The statements of this bucket (the `i`-th of its handler): its object actions on the
    /// objects under the tenant's folder, and `ListBucket` on the bucket with `s3:prefix`
    /// confined to that folder.
    ///
    /// `s3:prefix` is single-valued: a `ListObjectsV2` without a prefix has no `s3:prefix`,
    /// and `StringLike` on an absent key does not match, so it is denied (IAM User Guide,
    /// "Amazon S3: Allows IAM users access to their S3 home directory"; proved in
    /// tests/policy/prove.mjs, group `s3-list`). The `/*` pattern also matches the folder
    /// itself (`tenants/acme/`): IAM's `*` matches the empty string.
    pub(super) fn statements(&self, i: usize, tenants: Tenants<'_>) -> Vec<Statement> {
        let bucket = name_in_template(&self.bucket, "bucket", i);
        let pattern = self.objects.pattern(tenants);
        let actions = self.sorted_actions();
        let mut statements = Vec::new();
        let objects: Vec<Cow<'static, str>> =
            actions.iter().filter(|a| !a.on_bucket()).map(|a| a.iam_name().into()).collect();
        if !objects.is_empty() {
            statements.push(Statement {
                sid: "TenantObjects".into(),
                actions: objects,
                resources: vec![format!("arn:{{{{partition}}}}:s3:::{bucket}/{pattern}")],
                condition: Condition::None,
            });
        }
        let listing: Vec<Cow<'static, str>> =
            actions.iter().filter(|a| a.on_bucket()).map(|a| a.iam_name().into()).collect();
        if !listing.is_empty() {
            statements.push(Statement {
                sid: "TenantListing".into(),
                actions: listing,
                resources: vec![format!("arn:{{{{partition}}}}:s3:::{bucket}")],
                condition: Condition::ListPrefix(pattern),
            });
        }
        statements
    }
}

impl SharedQueue {
    /// `arn:{{partition}}:sqs:{{region}}:{{account}}:<queue>`, the queue written in or, bound
    /// at run time, the placeholder of the `i`-th of the handler's shared queues (`{{queue}}`,
    /// `{{queue2}}`, …).
    fn arn(&self, i: usize) -> String {
        let queue = name_in_template(&self.queue, "queue", i);
        format!("arn:{{{{partition}}}}:sqs:{{{{region}}}}:{{{{account}}}}:{queue}")
    }
}

/// `arn:{{partition}}:kms:{{region}}:{{account}}:key/<id>`, the key id written in or, bound at
/// run time, the placeholder of the `i`-th of the handler's KMS keys (`{{kms}}`, `{{kms2}}`, …).
fn kms_key_arn(key: &PhysicalName, i: usize) -> String {
    let id = name_in_template(key, "kms", i);
    format!("arn:{{{{partition}}}}:kms:{{{{region}}}}:{{{{account}}}}:key/{id}")
}

impl NamedModel {
    /// The statement on the declaration's customer-managed KMS key (the `kms`-th of the
    /// handler's), if it names one: the KMS actions its declared actions need
    /// ([`NamedAction::kms_actions`]), on that key only, for requests whose encryption context
    /// names one of the tenant's secrets or parameters: the same ARN patterns as the grant on
    /// the names ([`crate::NameRule::resources`], outside a by-path read: each value is
    /// decrypted under its own parameter's ARN). `kms.rs` says why the context confines it.
    fn kms_statement(&self, kms: usize, tenants: Tenants<'_>) -> Option<Statement> {
        let key = self.names.kms_key()?;
        let context = self.service().encryption_context_key()?;
        let mut actions: Vec<Cow<'static, str>> =
            self.actions.iter().flat_map(|a| a.kms_actions().iter().map(|k| Cow::Borrowed(*k))).collect();
        actions.sort();
        actions.dedup();
        if actions.is_empty() {
            return None;
        }
        Some(Statement {
            sid: "TenantKey".into(),
            actions,
            resources: vec![kms_key_arn(key, kms)],
            condition: Condition::EncryptionContext { key: context, patterns: self.names.resources(tenants, false) },
        })
    }

    /// The statements of this declaration: its actions on the tenant's names
    /// ([`crate::NameRule::resources`]), and a by-path read (`GetParametersByPath`) on the
    /// tenant's path as well. The resource is the whole confinement: none of these services
    /// has a condition key that names the tenant better than the ARN does.
    ///
    /// A shared queue (the `queue`-th of the handler's) gets `sqs:SendMessage` on its ARN, the
    /// same for every tenant: IAM cannot confine it per tenant, since no SQS condition key reads
    /// a message or its attributes (Service Authorization Reference, "Actions, resources, and
    /// condition keys for Amazon SQS": the service's own condition keys are tag keys). Every
    /// tenant's session may send any message there; the runtime's queue guard is what lets a
    /// send through only when each message carries the sending tenant in the declared
    /// attribute (SECURITY.md).
    ///
    /// A declaration with a customer-managed KMS key also gets the statement on the key
    /// (`kms_statement`), the key being the `kms`-th of the handler's.
    pub(super) fn statements(&self, queue: usize, kms: usize, tenants: Tenants<'_>) -> Vec<Statement> {
        if let Some(shared) = self.names.as_shared() {
            let actions = self.sorted_actions().into_iter().filter(|a| *a == NamedAction::SendMessage);
            return vec![Statement {
                sid: "SharedQueue".into(),
                actions: actions.map(|a| a.iam_name().into()).collect(),
                resources: vec![shared.arn(queue)],
                condition: Condition::None,
            }];
        }
        let sid = match self.service() {
            crate::named::Service::SecretsManager => "TenantSecrets",
            crate::named::Service::Ssm => "TenantParameters",
            crate::named::Service::Sqs => "TenantQueue",
        };
        let actions = self.sorted_actions();
        let mut statements = Vec::new();
        for by_path in [false, true] {
            let these: Vec<Cow<'static, str>> =
                actions.iter().filter(|a| a.by_path() == by_path).map(|a| a.iam_name().into()).collect();
            if !these.is_empty() {
                statements.push(Statement {
                    sid: if by_path { "TenantParameterPaths".into() } else { sid.into() },
                    actions: these,
                    resources: self.names.resources(tenants, by_path),
                    condition: Condition::None,
                });
            }
        }
        statements.extend(self.kms_statement(kms, tenants));
        statements
    }
}

/// Every statement of `model`, confined to `tenants`: its tables', its buckets' and its
/// secrets', parameters' and queues' declarations', in that order, each declaration's shared
/// queue and KMS key numbered by its place among the handler's
/// ([`HandlerModel::shared_queue_place`], [`HandlerModel::kms_key_place`]). What a session
/// policy and a role policy are both written from.
pub(super) fn statements_of(model: &HandlerModel, tenants: Tenants<'_>) -> Vec<Statement> {
    let tables = model.tables.iter().enumerate().flat_map(|(i, t)| t.statements(i, tenants));
    let buckets = model.buckets.iter().enumerate().flat_map(|(i, b)| b.statements(i, tenants));
    let named = model.named.iter().enumerate().flat_map(|(i, n)| {
        n.statements(model.shared_queue_place(i).unwrap_or(0), model.kms_key_place(i).unwrap_or(0), tenants)
    });
    tables.chain(buckets).chain(named).collect()
}

/// One statement for resources that share exactly the same actions and the same condition:
/// the statements' resources united into the first one's, in order. For example, `Query` on
/// `table/Orders` and `Query` on `table/Orders/index/ByStatus`, both under `TENANT#acme`'s
/// keys, become one statement naming both ARNs. Nothing widens: a statement applies to a
/// request when the request's action matches its `Action`, its resource matches one of its
/// `Resource` ARNs and its `Condition` holds (IAM User Guide, "Policy evaluation logic" and
/// "IAM JSON policy elements: Resource", "You can specify multiple resources"), so one
/// statement listing R1 and R2 allows exactly what two statements, one per ARN, allowed.
/// Statements whose actions or conditions differ are never merged (that would grant one
/// resource's actions on the other, or one table's key prefix on the other).
pub(super) fn merge_alike(statements: Vec<Statement>) -> Vec<Statement> {
    let mut merged: Vec<Statement> = Vec::with_capacity(statements.len());
    for s in statements {
        match merged.iter_mut().find(|m| m.actions == s.actions && m.condition == s.condition) {
            Some(m) => {
                for r in s.resources {
                    if !m.resources.contains(&r) {
                        m.resources.push(r);
                    }
                }
            }
            None => merged.push(s),
        }
    }
    merged
}

/// Sids are unique within a policy: the second `TenantItems` is `TenantItems2`, …
pub(super) fn number_sids(statements: &mut [Statement]) {
    let mut seen: Vec<String> = Vec::new();
    for s in statements {
        let n = seen.iter().filter(|k| **k == s.sid).count();
        seen.push(s.sid.clone());
        if n > 0 {
            s.sid = format!("{}{}", s.sid, n + 1);
        }
    }
}
