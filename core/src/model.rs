//! The one model of what a tenant owns: the tables and buckets a handler may touch, each with
//! its physical-name binding, its key rule and its actions, and how the handler's sessions are
//! confined. The policy template, the role policies, the guards and the typed handles are all
//! derived from it; [`HandlerModel::compile`] (in `policy/`, which writes the policy text) is
//! the one path to a template.

/// The plaintext limit of an inline session policy passed to `AssumeRole`
/// (STS API Reference, `AssumeRole`, parameter `Policy`: "The plaintext that you use for
/// both inline and managed session policies can't exceed 2,048 characters").
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;

/// How long a table name bound at run time (`table_env`) is counted when a policy's size is
/// checked at compile time. DynamoDB allows 255 characters, but counting every bound name at
/// 255 would refuse most handlers of two tables for names no deployment uses; so the compiled
/// bound counts them at this length, and the runtime checks the policy again with the names it
/// is given, before the handler's first session (`render::worst_case_for`): a longer name is
/// served when it fits, and refused at start-up, naming its variable, when it does not. No
/// tenant's request is ever the first to find out.
pub const MAX_BOUND_TABLE_NAME_LEN: usize = 128;

use crate::action::Action;
use crate::keys::{KeyPrefixError, KeyRule, MAX_KEY_PREFIX_LEN, SEPARATOR};
use crate::kms::is_valid_kms_key_id;
use crate::named::{
    MAX_MESSAGE_ATTRIBUTE_NAME_LEN, MAX_QUEUE_NAME_LEN, NamePrefixError, NameRule, NamedAction, NamedModel, Service,
    SharedQueue, is_valid_message_attribute_name, is_valid_queue_name,
};
pub use crate::physical::PhysicalName;
use crate::s3::{MAX_OBJECT_PREFIX_LEN, OBJECT_SEPARATOR, ObjectAction, ObjectPrefixError, ObjectRule};
use crate::tenant::MAX_TENANT_ID_LEN;
use core::fmt;
use std::borrow::Cow;

impl PhysicalName {
    /// A variable name that is not `[A-Z_][A-Z0-9_]*`.
    fn env_error(&self) -> Option<SpecError> {
        self.env_var().filter(|v| !is_valid_env_var(v)).map(|v| SpecError::BadEnvVar(v.to_owned()))
    }
}

/// A name a deployment binds, fixed: what the placed models hold in place of a variable.
fn fixed(name: &str) -> PhysicalName {
    PhysicalName::Fixed(Cow::Owned(name.to_owned()))
}

/// The slice a `Cow` holds, in a `const fn` (where `Deref` cannot be called).
#[allow(clippy::ptr_arg, reason = "a `&[T]` parameter would need the `Deref` this function replaces")]
const fn slice<'a, T: Clone>(cow: &'a Cow<'static, [T]>) -> &'a [T] {
    match cow {
        Cow::Borrowed(s) => s,
        Cow::Owned(v) => v.as_slice(),
    }
}

/// A table's or bucket's declared actions: at least one, none twice.
fn action_errors<A: PartialEq + Copy>(actions: &[A], name: fn(A) -> &'static str) -> Vec<SpecError> {
    let mut errors = Vec::new();
    if actions.is_empty() {
        errors.push(SpecError::NoActions);
    }
    for (i, a) in actions.iter().enumerate() {
        if actions[..i].contains(a) {
            errors.push(SpecError::DuplicateAction(name(*a)));
        }
    }
    errors
}

/// A table's key rule or a bucket's object rule: what a tenant owns of one resource, compared
/// for overlap by the rule's own `overlaps` (a table's rule never overlaps a bucket's). One type
/// for the checks that two bindings of one physical resource cannot own each other's keys: the
/// runtime's per-process claims and the application template's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantRule<'a> {
    /// A DynamoDB table's partition keys.
    Keys(&'a KeyRule),
    /// An S3 bucket's object keys.
    Objects(&'a ObjectRule),
    /// A service's per-tenant names (secrets, parameters, queues): one namespace per account
    /// and region.
    Names(&'a NameRule),
}

impl<'a> TenantRule<'a> {
    /// Whether a tenant of one rule could own keys of the other (both tables' or both buckets').
    pub fn overlaps(self, other: TenantRule<'_>) -> bool {
        match (self, other) {
            (TenantRule::Keys(a), TenantRule::Keys(b)) => a.overlaps(b),
            (TenantRule::Objects(a), TenantRule::Objects(b)) => a.overlaps(b),
            (TenantRule::Names(a), TenantRule::Names(b)) => !a.same_names(b) && a.overlaps(b),
            _ => false,
        }
    }

    /// The rule's prefix (a shared queue's name, in messages about its overlaps).
    pub fn prefix(self) -> &'a str {
        match self {
            TenantRule::Keys(k) => k.prefix(),
            TenantRule::Objects(o) => o.prefix(),
            TenantRule::Names(n) => n.as_shared().map_or(n.prefix(), |shared| shared.queue.declared()),
        }
    }
}

/// What is wrong with a key rule's prefix, as a model error: for a table's keys, and for a
/// record source that reads tenants from keys (the macro's `records = dynamodb_stream(...)`).
pub fn key_prefix_error(keys: &KeyRule) -> Option<SpecError> {
    match keys.validate() {
        Ok(()) => None,
        Err(KeyPrefixError::Charset) => Some(SpecError::BadKeyPrefix(keys.prefix().to_owned())),
        Err(KeyPrefixError::NoSeparator) => Some(SpecError::KeyPrefixWithoutSeparator(keys.prefix().to_owned())),
    }
}

/// What is wrong with an object rule's prefix, as a model error (see [`key_prefix_error`]).
pub fn object_prefix_error(objects: &ObjectRule) -> Option<SpecError> {
    match objects.validate() {
        Ok(()) => None,
        Err(ObjectPrefixError::Charset) => Some(SpecError::BadObjectPrefix(objects.prefix().to_owned())),
        Err(ObjectPrefixError::NoSeparator) => {
            Some(SpecError::ObjectPrefixWithoutSeparator(objects.prefix().to_owned()))
        }
    }
}

/// One DynamoDB table a handler may touch, as the tenant owns it: the physical-name
/// binding, the key rule, the declared actions and the indexes they may read.
///
/// ```
/// use std::borrow::Cow;
/// use tenant_isolation_core::{Action, KeyRule, PhysicalName, TableModel};
/// let orders = TableModel {
///     table: PhysicalName::Fixed(Cow::Borrowed("Orders")),
///     indexes: Cow::Borrowed(&[Cow::Borrowed("ByStatus")]),
///     actions: Cow::Borrowed(&[Action::GetItem, Action::Query]),
///     keys: KeyRule::new("TENANT#"),
/// };
/// assert!(orders.validate().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TableModel {
    /// The table and where its physical name comes from.
    pub table: PhysicalName,
    /// Secondary indexes that `Query`/`PartiQLSelect` may read.
    pub indexes: Cow<'static, [Cow<'static, str>]>,
    /// The declared actions (validated, no duplicates).
    pub actions: Cow<'static, [Action]>,
    /// Which partition keys belong to a tenant.
    pub keys: KeyRule,
}

/// One S3 bucket a handler may touch: the tenant's objects are the keys under
/// `<prefix><tenant>/` ([`ObjectRule`]).
///
/// ```
/// use std::borrow::Cow;
/// use tenant_isolation_core::{BucketModel, ObjectAction, ObjectRule, PhysicalName};
/// let attachments = BucketModel {
///     bucket: PhysicalName::FromEnv { var: "ATTACHMENTS_BUCKET".into(), default: "order-attachments".into() },
///     actions: Cow::Borrowed(&[ObjectAction::GetObject, ObjectAction::PutObject]),
///     objects: ObjectRule::new("tenants/"),
/// };
/// assert!(attachments.validate().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BucketModel {
    /// The bucket and where its physical name comes from.
    pub bucket: PhysicalName,
    /// The declared object actions (validated, no duplicates).
    pub actions: Cow<'static, [ObjectAction]>,
    /// Which object keys belong to a tenant.
    pub objects: ObjectRule,
}

/// How a handler's sessions are confined to one tenant.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Confinement {
    /// A session policy rendered per tenant and sent with every `AssumeRole` (the default).
    SessionPolicy,
    /// No session policy: the tenant travels as the session tag with this key, and the
    /// session-tag role's policy reads it as `${aws:PrincipalTag/<key>}`.
    SessionTag(Cow<'static, str>),
}

/// Everything one handler may touch, and how its sessions are confined.
///
/// [`HandlerModel::compile`] is the one path from a model to its policy template: the
/// `#[tenant_isolated]` macro calls it at compile time, the runtime calls it again to check
/// a spec, and code without the macro calls it through `HandlerSpec::new`.
///
/// ```
/// use std::borrow::Cow;
/// use tenant_isolation_core::{Action, Confinement, HandlerModel, KeyRule, PhysicalName, TableModel};
/// let table = |name: &'static str, actions: &'static [Action]| TableModel {
///     table: PhysicalName::Fixed(Cow::Borrowed(name)),
///     indexes: Cow::Borrowed(&[]),
///     actions: Cow::Borrowed(actions),
///     keys: KeyRule::new("TENANT#"),
/// };
/// let model = HandlerModel {
///     tables: vec![table("Orders", &[Action::PutItem]), table("Customers", &[Action::GetItem])].into(),
///     buckets: Cow::Borrowed(&[]),
///     named: Cow::Borrowed(&[]),
///     confinement: Confinement::SessionPolicy,
/// };
/// let compiled = model.compile().unwrap();
/// assert!(compiled.template.contains("table/Customers"));
/// assert!(compiled.worst_case <= 2048);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HandlerModel {
    /// The handler's tables, in declaration order.
    pub tables: Cow<'static, [TableModel]>,
    /// The handler's buckets, in declaration order.
    pub buckets: Cow<'static, [BucketModel]>,
    /// The handler's secrets, parameters and queues (one [`NamedModel`] per declaration), in
    /// declaration order.
    pub named: Cow<'static, [NamedModel]>,
    /// Session policy or session tag.
    pub confinement: Confinement,
}

/// A compiled [`HandlerModel`]: its template in compact and readable form, and the
/// longest the rendered policy can be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// What the runtime renders per tenant (session-policy mode) or what the session-tag
    /// role needs (session-tag mode).
    pub template: String,
    /// The same document indented for reading (doc comments, audit output).
    pub pretty: String,
    /// The longest rendered session policy (session-policy mode); the template's own length
    /// in session-tag mode, where no session policy is sent.
    pub worst_case: usize,
}

/// Whether the slice of fieldless enum values `$actions` holds `$action`, in a `const fn`:
/// `==` is a trait method, not callable there, and a `const fn` cannot be generic over the
/// enums' discriminants, so the one loop is a macro for both action enums.
macro_rules! contains {
    ($actions:expr, $action:expr) => {{
        let (actions, action) = ($actions, $action);
        let mut i = 0;
        let mut found = false;
        while i < actions.len() && !found {
            found = actions[i] as u8 == action as u8;
            i += 1;
        }
        found
    }};
}

impl HandlerModel {
    /// A model of one table: what `#[tenant_isolated(table = ..., actions = [...])]` declares.
    pub fn one_table(table: TableModel, confinement: Confinement) -> HandlerModel {
        HandlerModel { tables: vec![table].into(), buckets: Cow::Borrowed(&[]), named: Cow::Borrowed(&[]), confinement }
    }

    /// Every problem with the model, not just the first.
    pub fn validate(&self) -> Vec<SpecError> {
        let mut errors = Vec::new();
        if self.tables.is_empty() && self.buckets.is_empty() && self.named.is_empty() {
            errors.push(SpecError::NoResources);
        }
        for (i, t) in self.tables.iter().enumerate() {
            errors.extend(t.validate());
            if self.tables[..i].iter().any(|o| o.table.declared() == t.table.declared()) {
                errors.push(SpecError::DuplicateTable(t.table.declared().to_owned()));
            }
        }
        for (i, b) in self.buckets.iter().enumerate() {
            errors.extend(b.validate());
            if self.buckets[..i].iter().any(|o| o.bucket.declared() == b.bucket.declared()) {
                errors.push(SpecError::DuplicateBucket(b.bucket.declared().to_owned()));
            }
        }
        for (i, n) in self.named.iter().enumerate() {
            errors.extend(n.validate());
            for o in &self.named[..i] {
                if o.name == n.name {
                    errors.push(SpecError::DuplicateNamed(n.name.to_string()));
                    continue;
                }
                match (o.names.as_shared(), n.names.as_shared()) {
                    // One queue twice: the guard could not tell which declaration a send is for.
                    (Some(a), Some(b)) if a.queue.declared() == b.queue.declared() => {
                        errors.push(SpecError::DuplicateQueue(b.queue.declared().to_owned()));
                    }
                    (Some(shared), None) | (None, Some(shared)) if o.names.overlaps(&n.names) => {
                        let rule = if o.names.is_shared() { &n.names } else { &o.names };
                        errors.push(SpecError::SharedQueueOwned {
                            queue: shared.queue.declared().to_owned(),
                            prefix: rule.prefix().to_owned(),
                        });
                    }
                    (None, None) if o.names.overlaps(&n.names) => errors.push(SpecError::OverlappingNames {
                        service: n.service(),
                        first: o.names.prefix().to_owned(),
                        second: n.names.prefix().to_owned(),
                    }),
                    _ => {}
                }
            }
        }
        if let Confinement::SessionTag(tag) = &self.confinement
            && !is_valid_tag_key(tag)
        {
            errors.push(SpecError::BadTagKey(tag.to_string()));
        }
        errors
    }

    /// The session tag key, in session-tag mode.
    pub fn session_tag(&self) -> Option<&str> {
        match &self.confinement {
            Confinement::SessionPolicy => None,
            Confinement::SessionTag(tag) => Some(tag),
        }
    }

    /// Whether the handler's table at `table` (declaration order) declares `action`; `false`
    /// past the last table.
    ///
    /// A `const fn`: the typed handles evaluate it over their capability type's spec at compile
    /// time, so that a capability type written by hand cannot claim an action its spec does not
    /// declare.
    ///
    /// ```
    /// # use std::borrow::Cow;
    /// # use tenant_isolation_core::{Action, Confinement, HandlerModel, KeyRule, PhysicalName, TableModel};
    /// // A reference, as in a `HandlerSpec` constant: a model (which has a destructor) is read
    /// // at compile time through one.
    /// const MODEL: &HandlerModel = &HandlerModel {
    ///     tables: Cow::Borrowed(&[TableModel {
    ///         table: PhysicalName::Fixed(Cow::Borrowed("Orders")),
    ///         indexes: Cow::Borrowed(&[]),
    ///         actions: Cow::Borrowed(&[Action::GetItem]),
    ///         keys: KeyRule::new("TENANT#"),
    ///     }]),
    ///     buckets: Cow::Borrowed(&[]),
    ///     named: Cow::Borrowed(&[]),
    ///     confinement: Confinement::SessionPolicy,
    /// };
    /// const _: () = assert!(MODEL.table_declares(0, Action::GetItem));
    /// const _: () = assert!(!MODEL.table_declares(0, Action::PutItem));
    /// const _: () = assert!(!MODEL.table_declares(1, Action::GetItem));
    /// ```
    pub const fn table_declares(&self, table: usize, action: Action) -> bool {
        let tables = slice(&self.tables);
        if table >= tables.len() {
            return false;
        }
        contains!(slice(&tables[table].actions), action)
    }

    /// Whether the handler's bucket at `bucket` (declaration order) declares `action`; `false`
    /// past the last bucket. A `const fn`, as [`HandlerModel::table_declares`].
    pub const fn bucket_declares(&self, bucket: usize, action: ObjectAction) -> bool {
        let buckets = slice(&self.buckets);
        if bucket >= buckets.len() {
            return false;
        }
        contains!(slice(&buckets[bucket].actions), action)
    }

    /// Whether the handler's secrets, parameters or queues at `index` (declaration order among
    /// all three) declare `action`; `false` past the last. A `const fn`, as
    /// [`HandlerModel::table_declares`].
    pub const fn named_declares(&self, index: usize, action: NamedAction) -> bool {
        let named = slice(&self.named);
        if index >= named.len() {
            return false;
        }
        contains!(slice(&named[index].actions), action)
    }

    /// Whether the handler's declaration at `index` (as [`HandlerModel::named_declares`]) is of
    /// `service`; `false` past the last. A `const fn`: a typed handle checks at compile time that
    /// its capability type is of its own service's declaration.
    pub const fn named_is(&self, index: usize, service: Service) -> bool {
        let named = slice(&self.named);
        index < named.len() && named[index].names.service() as u8 == service as u8
    }

    /// The handler's shared queues ([`SharedQueue`]), in declaration order: the order of a
    /// placement's queue names ([`crate::Placement::queues`]) and of the `{{queue}}`,
    /// `{{queue2}}`, … placeholders of the names bound at run time.
    pub fn shared_queues(&self) -> impl Iterator<Item = &SharedQueue> {
        self.named.iter().filter_map(|n| n.names.as_shared())
    }

    /// The place of the declaration at `named` (its index in [`HandlerModel::named`]) among the
    /// handler's shared queues ([`HandlerModel::shared_queues`]); `None` when it is not a shared
    /// queue's.
    pub fn shared_queue_place(&self, named: usize) -> Option<usize> {
        self.place_among(named, |n| n.names.is_shared())
    }

    /// The customer-managed KMS keys of the handler's secrets and parameters (`kms_key`,
    /// `kms_key_env`), in declaration order: the order of a placement's key ids
    /// ([`crate::Placement::kms_keys`]) and of the `{{kms}}`, `{{kms2}}`, … placeholders of the
    /// keys bound at run time.
    pub fn kms_keys(&self) -> impl Iterator<Item = &PhysicalName> {
        self.named.iter().filter_map(|n| n.names.kms_key())
    }

    /// The place of the declaration at `named` among the declarations with a KMS key
    /// ([`HandlerModel::kms_keys`]); `None` when it names none.
    pub fn kms_key_place(&self, named: usize) -> Option<usize> {
        self.place_among(named, |n| n.names.kms_key().is_some())
    }

    /// The same model with each KMS key fixed to `keys[i]` (the key ids a deployment binds,
    /// in [`HandlerModel::kms_keys`] order), as [`HandlerModel::queues_placed`] fixes shared
    /// queues.
    pub fn kms_keys_placed(&self, keys: &[&str]) -> HandlerModel {
        self.named_placed(keys, |n| n.names.kms_key().is_some(), |rule, id| rule.clone().with_kms_key(fixed(id)))
    }

    /// The same model with each shared queue's name fixed to `queues[i]` (the names a deployment
    /// binds, in [`HandlerModel::shared_queues`] order), as [`HandlerModel::placed`] fixes tables
    /// and buckets.
    pub fn queues_placed(&self, queues: &[&str]) -> HandlerModel {
        self.named_placed(
            queues,
            |n| n.names.is_shared(),
            |rule, name| match rule.as_shared() {
                Some(shared) => NameRule::shared(SharedQueue { queue: fixed(name), ..shared.clone() }),
                None => rule.clone(),
            },
        )
    }

    /// The place of the declaration at `named` among the declarations `of` picks (the shared
    /// queues, those with a KMS key): the number of the placeholder its bound value fills and of
    /// its value in a placement. `None` when `of` does not pick it.
    fn place_among(&self, named: usize, of: fn(&NamedModel) -> bool) -> Option<usize> {
        of(self.named.get(named)?).then(|| self.named[..named].iter().filter(|n| of(n)).count())
    }

    /// The same model with the `i`-th of the declarations `of` picks given the rule
    /// `fix(its rule, values[i])`: the one walk behind [`HandlerModel::queues_placed`] and
    /// [`HandlerModel::kms_keys_placed`], in the order of [`HandlerModel::place_among`].
    fn named_placed(
        &self,
        values: &[&str],
        of: fn(&NamedModel) -> bool,
        fix: fn(&NameRule, &str) -> NameRule,
    ) -> HandlerModel {
        let mut values = values.iter();
        let named = self
            .named
            .iter()
            .map(|n| match of(n).then(|| values.next()).flatten() {
                Some(value) => NamedModel { names: fix(&n.names, value), ..n.clone() },
                None => n.clone(),
            })
            .collect::<Vec<_>>();
        HandlerModel { named: named.into(), ..self.clone() }
    }

    /// The table declared as `name` (its declared, logical name).
    pub fn table(&self, name: &str) -> Option<&TableModel> {
        self.tables.iter().find(|t| t.table.declared() == name)
    }

    /// The same model with every physical name fixed to `tables[i]` / `buckets[i]` (the names
    /// a deployment binds), for role policies that unite several handlers' models: a
    /// `{{table}}` placeholder would mean another table in each.
    pub fn placed(&self, tables: &[&str], buckets: &[&str]) -> HandlerModel {
        HandlerModel {
            tables: self
                .tables
                .iter()
                .zip(tables)
                .map(|(t, n)| TableModel { table: fixed(n), ..t.clone() })
                .collect::<Vec<_>>()
                .into(),
            buckets: self
                .buckets
                .iter()
                .zip(buckets)
                .map(|(b, n)| BucketModel { bucket: fixed(n), ..b.clone() })
                .collect::<Vec<_>>()
                .into(),
            // Names need no placing: a tenant's secrets, parameters and queues are named by
            // their rule alone, in the deployment's account and region. A shared queue's name
            // is placed by `queues_placed`.
            named: self.named.clone(),
            confinement: self.confinement.clone(),
        }
    }
}

impl NamedModel {
    /// Every problem with the declaration, not just the first.
    pub fn validate(&self) -> Vec<SpecError> {
        let mut errors = action_errors(&self.actions, |a| a.name());
        if self.name.is_empty() {
            errors.push(SpecError::NoName(self.service()));
        }
        for a in self.actions.iter() {
            if a.service() != self.service() {
                errors.push(SpecError::ForeignAction { action: a.name(), service: self.service() });
            }
        }
        errors.extend(name_prefix_error(&self.names));
        if let Some(shared) = self.names.as_shared() {
            // A shared queue holds every tenant's messages: a tenant session may only add its
            // own (the guard stamps and checks them); reading, deleting or re-timing them, or
            // its attributes, would reach every tenant's.
            for a in self.actions.iter().filter(|a| **a != NamedAction::SendMessage && a.service() == Service::Sqs) {
                errors.push(SpecError::SharedQueueAction(a.name()));
            }
            if !is_valid_queue_name(shared.queue.declared()) {
                errors.push(SpecError::BadQueueName(shared.queue.declared().to_owned()));
            }
            errors.extend(shared.queue.env_error());
            if !is_valid_message_attribute_name(&shared.tenant_attribute) {
                errors.push(SpecError::BadMessageAttribute(shared.tenant_attribute.to_string()));
            }
        }
        if let Some(key) = self.names.kms_key() {
            let name = self.name.to_string();
            if self.service().encryption_context_key().is_none() {
                errors.push(SpecError::KmsKeyOutside { name, service: self.service() });
            } else if !self.actions.iter().any(|a| !a.kms_actions().is_empty()) {
                errors.push(SpecError::KmsKeyUnused(name));
            } else if (key.env_var().is_none() || !key.declared().is_empty()) && !is_valid_kms_key_id(key.declared()) {
                // A key bound at run time may leave its default empty: the runtime then
                // refuses to start without the variable, naming it.
                errors.push(SpecError::BadKmsKeyId(key.declared().to_owned()));
            }
            errors.extend(key.env_error());
        }
        errors
    }
}

/// What is wrong with a name rule's prefix, as a model error (see [`key_prefix_error`]).
pub fn name_prefix_error(names: &NameRule) -> Option<SpecError> {
    let error = names.validate().err()?;
    Some(SpecError::BadNamePrefix { service: names.service(), prefix: names.prefix().to_owned(), error })
}

impl TableModel {
    /// Every problem with the table, not just the first.
    pub fn validate(&self) -> Vec<SpecError> {
        let mut errors = action_errors(&self.actions, |a| a.name());
        if !is_valid_dynamodb_name(self.table.declared()) {
            errors.push(SpecError::BadTableName(self.table.declared().to_owned()));
        }
        errors.extend(self.table.env_error());
        for (i, index) in self.indexes.iter().enumerate() {
            if !is_valid_dynamodb_name(index) {
                errors.push(SpecError::BadIndexName(index.to_string()));
            } else if self.indexes[..i].contains(index) {
                errors.push(SpecError::DuplicateIndex(index.to_string()));
            }
        }
        if !self.indexes.is_empty() && !self.actions.iter().any(|a| a.reads_indexes()) {
            errors.push(SpecError::IndexesWithoutQuery);
        }
        errors.extend(key_prefix_error(&self.keys));
        errors
    }

    /// Whether `action` was declared.
    pub fn allows(&self, action: Action) -> bool {
        self.actions.contains(&action)
    }

    /// Whether `index` was declared.
    pub fn declares_index(&self, index: &str) -> bool {
        self.indexes.iter().any(|i| i == index)
    }

    /// The declared actions in the canonical order of [`Action::ALL`].
    pub fn sorted_actions(&self) -> Vec<Action> {
        let mut actions = self.actions.to_vec();
        actions.sort();
        actions.dedup();
        actions
    }
}

impl BucketModel {
    /// Every problem with the bucket, not just the first.
    pub fn validate(&self) -> Vec<SpecError> {
        let mut errors = action_errors(&self.actions, |a| a.name());
        if !crate::s3::is_valid_bucket_name(self.bucket.declared()) {
            errors.push(SpecError::BadBucketName(self.bucket.declared().to_owned()));
        }
        errors.extend(self.bucket.env_error());
        errors.extend(object_prefix_error(&self.objects));
        errors
    }

    /// Whether `action` was declared.
    pub fn allows(&self, action: ObjectAction) -> bool {
        self.actions.contains(&action)
    }

    /// The declared actions in the canonical order of [`ObjectAction::ALL`].
    pub fn sorted_actions(&self) -> Vec<ObjectAction> {
        let mut actions = self.actions.to_vec();
        actions.sort();
        actions.dedup();
        actions
    }
}

/// A model that cannot produce a safe policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// Neither a table nor a bucket.
    NoResources,
    /// No actions on a table or bucket.
    NoActions,
    /// The same action twice on one table or bucket.
    DuplicateAction(&'static str),
    /// The same table twice.
    DuplicateTable(String),
    /// The same bucket twice.
    DuplicateBucket(String),
    /// A table name DynamoDB would refuse.
    BadTableName(String),
    /// A bucket name S3 would refuse.
    BadBucketName(String),
    /// An index name DynamoDB would refuse.
    BadIndexName(String),
    /// The same index twice.
    DuplicateIndex(String),
    /// Indexes declared, but no action that reads an index.
    IndexesWithoutQuery,
    /// A key prefix that could widen the `StringLike` pattern.
    BadKeyPrefix(String),
    /// A key prefix that does not end with the separator `#`.
    KeyPrefixWithoutSeparator(String),
    /// An object-key prefix that could widen the resource pattern.
    BadObjectPrefix(String),
    /// An object-key prefix that is not empty and does not end with `/`.
    ObjectPrefixWithoutSeparator(String),
    /// An environment variable name that is not `[A-Z_][A-Z0-9_]*`.
    BadEnvVar(String),
    /// A session-tag key that cannot name a principal tag.
    BadTagKey(String),
    /// A declaration of secrets, parameters or queues without a name.
    NoName(Service),
    /// The same secrets, parameters or queues declaration name twice.
    DuplicateNamed(String),
    /// An action of another service in a declaration (`GetParameter` in `secrets(...)`).
    ForeignAction {
        /// The action.
        action: &'static str,
        /// The declaration's service.
        service: Service,
    },
    /// A prefix of secret, parameter or queue names that could widen the resource pattern, or
    /// let a tenant id run into it.
    BadNamePrefix {
        /// The service.
        service: Service,
        /// The prefix.
        prefix: String,
        /// What is wrong with it.
        error: NamePrefixError,
    },
    /// Two declarations of one service whose prefixes overlap (one starts the other).
    OverlappingNames {
        /// The service.
        service: Service,
        /// The first declaration's prefix.
        first: String,
        /// The second's.
        second: String,
    },
    /// An action other than `SendMessage` on a shared queue.
    SharedQueueAction(&'static str),
    /// A queue name SQS would refuse.
    BadQueueName(String),
    /// A message attribute name SQS would refuse.
    BadMessageAttribute(String),
    /// The same shared queue declared twice in one handler.
    DuplicateQueue(String),
    /// A shared queue whose name is some tenant's own queue under a prefix of the handler's.
    SharedQueueOwned {
        /// The shared queue's name.
        queue: String,
        /// The prefix under which it is a tenant's.
        prefix: String,
    },
    /// A KMS key declared on queues: only secrets' and parameters' values are encrypted with
    /// a key their declaration names.
    KmsKeyOutside {
        /// The declaration.
        name: String,
        /// Its service.
        service: Service,
    },
    /// A KMS key declared where no declared action reads or writes a value.
    KmsKeyUnused(String),
    /// A KMS key id that is not a key id (a UUID, or `mrk-` and 32 hex digits).
    BadKmsKeyId(String),
    /// The worst-case rendered policy is over the STS limit.
    TooLarge {
        /// Worst-case rendered length of the whole policy.
        worst_case: usize,
        /// What each table and bucket adds to it, in declaration order.
        parts: Vec<(String, usize)>,
    },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::NoResources => f.write_str(
                "no table, bucket, secret, parameter or queue: a handler needs at least one of them",
            ),
            SpecError::NoName(s) => write!(f, "a declaration in `{}(...)` has no name", s.argument()),
            SpecError::DuplicateNamed(n) => write!(f, "`{n}` is declared twice"),
            SpecError::ForeignAction { action, service } => write!(
                f,
                "`{action}` is not a {service} action: declare it with its own service's resources"
            ),
            SpecError::BadNamePrefix { service, prefix, error } => {
                write!(f, "invalid {} prefix `{prefix}`: ", service.noun())?;
                name_prefix_help(f, *service, error)
            }
            SpecError::OverlappingNames { service, first, second } => write!(
                f,
                "{} prefixes `{first}` and `{second}` overlap: a tenant of one would own names of the other's \
                 tenants (tenant `x` of `{first}` names what `{second}` gives another tenant); give each \
                 declaration a prefix that does not start the other",
                service.noun()
            ),
            SpecError::SharedQueueAction(a) => write!(
                f,
                "`{a}` cannot be declared on a shared queue: it holds every tenant's messages, and IAM cannot confine \
                 `sqs:{a}` on it to one tenant's; declare `SendMessage` alone (each message is stamped with the \
                 sending tenant), and consume the queue with a record handler \
                 (`records = sqs(tenant_attribute = \"...\")`), which runs each message as its own tenant"
            ),
            SpecError::BadQueueName(n) => write!(
                f,
                "invalid queue name `{n}`: SQS queue names are 1-{MAX_QUEUE_NAME_LEN} characters of `A-Z`, `a-z`, \
                 `0-9`, `_` and `-`, a FIFO queue's ending with `.fifo`"
            ),
            SpecError::BadMessageAttribute(a) => write!(
                f,
                "invalid message attribute name `{a}`: SQS message attribute names are 1-{MAX_MESSAGE_ATTRIBUTE_NAME_LEN} \
                 characters of `A-Z`, `a-z`, `0-9`, `_`, `-` and `.`, not starting with `AWS.` or `Amazon.`, not \
                 starting or ending with `.`, without `..`"
            ),
            SpecError::DuplicateQueue(q) => write!(f, "queue `{q}` is declared twice"),
            SpecError::SharedQueueOwned { queue, prefix } => write!(
                f,
                "the shared queue `{queue}` is also a tenant's own queue under prefix `{prefix}`: that tenant could \
                 receive every tenant's messages; name the shared queue so that no queue prefix of the handler's \
                 starts it"
            ),
            SpecError::KmsKeyOutside { name, service } => write!(
                f,
                "`{name}` declares a KMS key, but {} are not encrypted with a key their declaration names: \
                 `kms_key` and `kms_key_env` apply to `secrets(...)` and `parameters(...)`",
                service.title()
            ),
            SpecError::KmsKeyUnused(name) => write!(
                f,
                "`{name}` declares a KMS key, but none of its actions reads or writes a value: remove `kms_key` \
                 (a tenant session would be granted nothing on it)"
            ),
            SpecError::BadKmsKeyId(id) => write!(
                f,
                "invalid KMS key id `{id}`: expected a key id, a UUID such as \
                 `1234abcd-12ab-34cd-56ef-1234567890ab` or a multi-Region key's `mrk-` and 32 hex digits \
                 (not an alias or an ARN: IAM authorizes the key by its own ARN)"
            ),
            SpecError::NoActions => f.write_str("no actions declared: a tenant policy needs at least one action"),
            SpecError::DuplicateAction(a) => write!(f, "`{a}` is declared twice"),
            SpecError::DuplicateTable(t) => write!(f, "table `{t}` is declared twice"),
            SpecError::DuplicateBucket(b) => write!(f, "bucket `{b}` is declared twice"),
            SpecError::BadTableName(n) => write!(
                f,
                "invalid table name `{n}`: DynamoDB table names are 3-255 characters of `A-Z`, `a-z`, `0-9`, `_`, `-` and `.`"
            ),
            SpecError::BadBucketName(n) => write!(
                f,
                "invalid bucket name `{n}`: S3 bucket names are 3-63 characters of `a-z`, `0-9`, `.` and `-`, \
                 beginning and ending with a letter or digit"
            ),
            SpecError::BadIndexName(n) => write!(
                f,
                "invalid index name `{n}`: DynamoDB index names are 3-255 characters of `A-Z`, `a-z`, `0-9`, `_`, `-` and `.`"
            ),
            SpecError::DuplicateIndex(n) => write!(f, "index `{n}` is declared twice"),
            SpecError::IndexesWithoutQuery => f.write_str(
                "indexes are only read by `Query` or `PartiQLSelect`, and neither is declared: add `Query` to `actions` or remove `indexes`",
            ),
            SpecError::BadKeyPrefix(p) => write!(
                f,
                "invalid key prefix `{p}`: use 1-{MAX_KEY_PREFIX_LEN} characters of `A-Z`, `a-z`, `0-9`, `_`, `-`, `#`, `:`, `.`, `|`, `=`, `+` and `@` (no `*`, `?` or `$`: they are IAM wildcards and variables)"
            ),
            SpecError::KeyPrefixWithoutSeparator(p) => write!(
                f,
                "key prefix `{p}` must end with `{SEPARATOR}`: without it a tenant id runs into the prefix's own text \
                 (prefix `T` with tenant `ENANT` covers every `TENANT#` key); write `{p}{SEPARATOR}`"
            ),
            SpecError::BadObjectPrefix(p) => write!(
                f,
                "invalid object prefix `{p}`: use at most {MAX_OBJECT_PREFIX_LEN} characters of `A-Z`, `a-z`, `0-9`, `_`, `.`, `=`, `-` and `/`, without `.` or `..` segments (no `*`, `?` or `$`: they are IAM wildcards and variables)"
            ),
            SpecError::ObjectPrefixWithoutSeparator(p) => write!(
                f,
                "object prefix `{p}` must be empty or end with `{OBJECT_SEPARATOR}`: without it a tenant id runs into the \
                 prefix's own text; write `{p}{OBJECT_SEPARATOR}`"
            ),
            SpecError::BadEnvVar(v) => {
                write!(f, "invalid environment variable name `{v}`: expected `[A-Z_][A-Z0-9_]*`")
            }
            SpecError::BadTagKey(k) => write!(
                f,
                "invalid session tag key `{k}`: use 1-128 characters of `A-Z`, `a-z`, `0-9`, `_`, `.`, `:`, `/`, `=`, `+`, `@` and `-`, not starting with `aws:`"
            ),
            SpecError::TooLarge { worst_case, parts } => {
                write!(
                    f,
                    "the session policy can reach {worst_case} characters for a {MAX_TENANT_ID_LEN}-character tenant id \
                     (and {MAX_BOUND_TABLE_NAME_LEN}-character table names bound at run time); STS accepts at most \
                     {MAX_SESSION_POLICY_CHARS}"
                )?;
                if parts.len() > 1 {
                    f.write_str(" (")?;
                    for (i, (name, len)) in parts.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "`{name}`: {len}")?;
                    }
                    f.write_str(")")?;
                }
                f.write_str(
                    ": declare fewer tables, buckets or indexes, or shorter names, or use session-tag mode \
                     (`session_tag = \"tenant\"`), which sends no session policy",
                )
            }
        }
    }
}

impl std::error::Error for SpecError {}

/// How to write a valid prefix of `service`'s names, after what was wrong (`error`).
fn name_prefix_help(f: &mut fmt::Formatter<'_>, service: Service, error: &NamePrefixError) -> fmt::Result {
    let rule = NameRule::new(service, "");
    let max = rule.max_prefix_len();
    match (service, error) {
        (_, NamePrefixError::FifoOutsideSqs) => f.write_str("only queues are FIFO"),
        (_, NamePrefixError::Reserved) => f.write_str(
            "Parameter Store reserves names beginning with `aws` or `ssm` (with `/` alone, tenant `aws` would own \
                 them): choose a first segment of your own, such as `/tenants/`",
        ),
        (Service::SecretsManager, _) => write!(
            f,
            "use at most {max} characters of `A-Z`, `a-z`, `0-9`, `/`, `_`, `+`, `=`, `.`, `@` and `-`, empty or ending \
             with `/` (`tenants/`): the `/` after the tenant id is what keeps `acme` from `acme-2`"
        ),
        (Service::Ssm, _) => write!(
            f,
            "use at most {max} characters of `A-Z`, `a-z`, `0-9`, `/`, `_`, `.` and `-`, beginning and ending with \
             `/` (`/tenants/`) and without `//`: the `/` after the tenant id is what keeps `acme` from `acme-2`"
        ),
        (Service::Sqs, _) => write!(
            f,
            "use 1-{max} characters of `A-Z`, `a-z`, `0-9`, `_` and `-` (a queue name is at most \
             {MAX_QUEUE_NAME_LEN} characters, and the tenant id takes up to {MAX_TENANT_ID_LEN}{})",
            if matches!(error, NamePrefixError::Charset) { "; FIFO queues also end with `.fifo`" } else { "" }
        ),
    }
}

/// [`is_valid_dynamodb_name`] as a regular expression (a CloudFormation `AllowedPattern`): a
/// deployer's table name must match it before any role policy names it.
pub const DYNAMODB_NAME_PATTERN: &str = "^[A-Za-z0-9_.-]{3,255}$";

/// DynamoDB naming rules for tables and indexes: 3-255 characters of `[A-Za-z0-9_.-]`
/// (DynamoDB Developer Guide, "Supported data types and naming rules").
pub fn is_valid_dynamodb_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn is_valid_env_var(v: &str) -> bool {
    let mut bytes = v.bytes();
    matches!(bytes.next(), Some(b'A'..=b'Z' | b'_'))
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// A session-tag key usable in `${aws:PrincipalTag/<key>}`: 1–128 characters of
/// `[A-Za-z0-9_.:/=+@-]` (an ASCII subset of STS's tag-key pattern; STS API Reference,
/// `Tag`), not in the reserved `aws:` namespace.
pub fn is_valid_tag_key(key: &str) -> bool {
    (1..=128).contains(&key.len())
        && !key.to_ascii_lowercase().starts_with("aws:")
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.:/=+@-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(actions: Vec<Action>) -> TableModel {
        TableModel {
            table: PhysicalName::Fixed("Orders".into()),
            indexes: Cow::Borrowed(&[]),
            actions: actions.into(),
            keys: KeyRule::new("TENANT#"),
        }
    }

    fn bucket(actions: &'static [ObjectAction]) -> BucketModel {
        BucketModel {
            bucket: PhysicalName::Fixed("files".into()),
            actions: Cow::Borrowed(actions),
            objects: ObjectRule::new("tenants/"),
        }
    }

    #[test]
    fn declares_reads_each_table_and_bucket_by_position() {
        // Owned slices too (a model built at run time), not only the macro's borrowed ones.
        let model = HandlerModel {
            tables: vec![table(vec![Action::GetItem]), table(vec![Action::PutItem, Action::Query])].into(),
            buckets: vec![bucket(&[ObjectAction::GetObject])].into(),
            named: Cow::Borrowed(&[]),
            confinement: Confinement::SessionPolicy,
        };
        for action in Action::ALL.iter().copied() {
            assert_eq!(model.table_declares(0, action), action == Action::GetItem, "{action:?}");
            assert_eq!(model.table_declares(1, action), matches!(action, Action::PutItem | Action::Query));
            assert!(!model.table_declares(2, action));
        }
        for action in ObjectAction::ALL.iter().copied() {
            assert_eq!(model.bucket_declares(0, action), action == ObjectAction::GetObject, "{action:?}");
            assert!(!model.bucket_declares(1, action));
        }
    }
}
