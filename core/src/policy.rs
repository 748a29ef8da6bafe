//! Session-policy templates: built once (at compile time by the macro), rendered per tenant.
//!
//! A template is ordinary IAM policy JSON with five placeholders that the runtime fills:
//! `{{partition}}`, `{{region}}`, `{{account}}`, `{{tenant}}` and, when the table name is
//! bound at run time, `{{table}}`. The braces cannot collide with IAM policy variables
//! (`${...}`), and every value that replaces them is validated to a charset that needs no
//! JSON escaping and holds no IAM wildcard.
//!
//! For `table = "Orders", actions = [GetItem, Query], indexes = ["ByStatus"]` the template is
//! (pretty-printed here; the compact form is what is sent to STS):
//!
//! ```json
//! {
//!   "Version": "2012-10-17",
//!   "Statement": [
//!     {
//!       "Sid": "TenantItems",
//!       "Effect": "Allow",
//!       "Action": ["dynamodb:GetItem", "dynamodb:Query"],
//!       "Resource": ["arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/Orders"],
//!       "Condition": {
//!         "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["TENANT#{{tenant}}", "TENANT#{{tenant}}#*"]},
//!         "ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["TENANT#{{tenant}}", "TENANT#{{tenant}}#*"]},
//!         "Null": {"dynamodb:LeadingKeys": "false"}
//!       }
//!     },
//!     { "Sid": "TenantIndexes", "Action": ["dynamodb:Query"], "Resource": [".../table/Orders/index/ByStatus"], ... }
//!   ]
//! }
//! ```

use crate::action::Action;
use crate::keys::{KeyPrefixError, KeyRule, MAX_KEY_PREFIX_LEN, SEPARATOR, Tenants};
use crate::tenant::{MAX_TENANT_ID_LEN, TenantId};
use core::fmt;
use std::borrow::Cow;

/// The plaintext limit of an inline session policy passed to `AssumeRole`
/// (STS API Reference, `AssumeRole`, parameter `Policy`: "The plaintext that you use for
/// both inline and managed session policies can't exceed 2,048 characters").
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;

/// The longest region name accepted at run time. AWS region names are far shorter
/// (`ap-southeast-5`, `us-gov-west-1`); the bound keeps the worst-case size finite.
pub const MAX_REGION_LEN: usize = 32;

/// Where the physical table name comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TableName {
    /// Written into the template at compile time.
    Fixed(Cow<'static, str>),
    /// Read at run time from an environment variable (per-stage table names); the
    /// template carries `{{table}}` and the size check assumes the longest legal name.
    FromEnv {
        /// The variable, e.g. `ORDERS_TABLE`.
        var: Cow<'static, str>,
        /// The declared (logical) name, used when the variable is unset.
        default: Cow<'static, str>,
    },
}

impl TableName {
    /// The name written in the attribute.
    pub fn declared(&self) -> &str {
        match self {
            TableName::Fixed(n) | TableName::FromEnv { default: n, .. } => n,
        }
    }

    /// The variable that binds the physical name at run time, if any.
    pub fn env_var(&self) -> Option<&str> {
        match self {
            TableName::Fixed(_) => None,
            TableName::FromEnv { var, .. } => Some(var),
        }
    }
}

/// One DynamoDB table a handler may touch, as the tenant owns it: the physical-name
/// binding, the key rule, the declared actions and the indexes they may read.
///
/// The session-policy template, the role policies, the key guard's checks and the typed
/// handle's key helpers are all derived from this one description.
///
/// ```
/// use std::borrow::Cow;
/// use tenant_isolation_core::{Action, KeyRule, TableModel, TableName};
/// let orders = TableModel {
///     table: TableName::Fixed(Cow::Borrowed("Orders")),
///     indexes: Cow::Borrowed(&[Cow::Borrowed("ByStatus")]),
///     actions: Cow::Borrowed(&[Action::GetItem, Action::Query]),
///     keys: KeyRule::new("TENANT#"),
/// };
/// assert!(orders.validate().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TableModel {
    /// The table and where its physical name comes from.
    pub table: TableName,
    /// Secondary indexes that `Query`/`PartiQLSelect` may read.
    pub indexes: Cow<'static, [Cow<'static, str>]>,
    /// The declared actions (validated, no duplicates).
    pub actions: Cow<'static, [Action]>,
    /// Which partition keys belong to a tenant.
    pub keys: KeyRule,
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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HandlerModel {
    /// The handler's table.
    pub table: TableModel,
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

impl HandlerModel {
    /// Every problem with the model, not just the first.
    pub fn validate(&self) -> Vec<SpecError> {
        let mut errors = self.table.validate();
        if let Confinement::SessionTag(tag) = &self.confinement
            && !is_valid_tag_key(tag)
        {
            errors.push(SpecError::BadTagKey(tag.to_string()));
        }
        errors
    }

    /// Validates the model and writes its template. In session-policy mode the worst-case
    /// rendered size is checked against STS's limit; in session-tag mode no session policy
    /// is sent, and the template is the role policy the handler needs.
    pub fn compile(&self) -> Result<Compiled, Vec<SpecError>> {
        let errors = self.validate();
        if !errors.is_empty() {
            return Err(errors);
        }
        match &self.confinement {
            Confinement::SessionPolicy => {
                let template = self.table.build()?;
                Ok(Compiled {
                    pretty: self.table.pretty(),
                    worst_case: template.worst_case_len(),
                    template: template.compact,
                })
            }
            Confinement::SessionTag(tag) => {
                let template = self.table.write(Tenants::Tagged(tag), false);
                Ok(Compiled {
                    pretty: self.table.write(Tenants::Tagged(tag), true),
                    worst_case: template.len(),
                    template,
                })
            }
        }
    }

    /// The session tag key, in session-tag mode.
    pub fn session_tag(&self) -> Option<&str> {
        match &self.confinement {
            Confinement::SessionPolicy => None,
            Confinement::SessionTag(tag) => Some(tag),
        }
    }
}

/// A model that cannot produce a safe policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// No actions.
    NoActions,
    /// The same action twice.
    DuplicateAction(Action),
    /// A table name DynamoDB would refuse.
    BadTableName(String),
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
    /// An environment variable name that is not `[A-Z_][A-Z0-9_]*`.
    BadEnvVar(String),
    /// A session-tag key that cannot name a principal tag.
    BadTagKey(String),
    /// The worst-case rendered policy is over the STS limit.
    TooLarge {
        /// Worst-case rendered length.
        worst_case: usize,
    },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::NoActions => f.write_str("no actions declared: a tenant policy needs at least one action"),
            SpecError::DuplicateAction(a) => write!(f, "`{a}` is declared twice"),
            SpecError::BadTableName(n) => write!(
                f,
                "invalid table name `{n}`: DynamoDB table names are 3-255 characters of `A-Z`, `a-z`, `0-9`, `_`, `-` and `.`"
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
            SpecError::BadEnvVar(v) => {
                write!(f, "invalid environment variable name `{v}`: expected `[A-Z_][A-Z0-9_]*`")
            }
            SpecError::BadTagKey(k) => write!(
                f,
                "invalid session tag key `{k}`: use 1-128 characters of `A-Z`, `a-z`, `0-9`, `_`, `.`, `:`, `/`, `=`, `+`, `@` and `-`, not starting with `aws:`"
            ),
            SpecError::TooLarge { worst_case } => write!(
                f,
                "the session policy can reach {worst_case} characters for a {MAX_TENANT_ID_LEN}-character tenant id; \
                 STS accepts at most {MAX_SESSION_POLICY_CHARS}: declare fewer indexes or a shorter table name, or use \
                 session-tag mode (`session_tag = \"tenant\"`), which sends no session policy"
            ),
        }
    }
}

impl std::error::Error for SpecError {}

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

/// A validated table model's session-policy template.
#[derive(Clone, Debug)]
pub struct Template {
    compact: String,
    worst_case: usize,
}

impl TableModel {
    /// Validates the model and builds its session-policy template; checks the worst-case
    /// rendered size.
    pub fn build(&self) -> Result<Template, Vec<SpecError>> {
        let errors = self.validate();
        if !errors.is_empty() {
            return Err(errors);
        }
        let compact = self.write(Tenants::Own, false);
        let worst_case = render_unchecked(
            &compact,
            "aws-us-gov",
            &"x".repeat(MAX_REGION_LEN),
            "000000000000",
            &"t".repeat(255),
            &"x".repeat(MAX_TENANT_ID_LEN),
        )
        .len();
        if worst_case > MAX_SESSION_POLICY_CHARS {
            return Err(vec![SpecError::TooLarge { worst_case }]);
        }
        Ok(Template { compact, worst_case })
    }

    /// Every problem with the model, not just the first.
    pub fn validate(&self) -> Vec<SpecError> {
        let mut errors = Vec::new();
        if self.actions.is_empty() {
            errors.push(SpecError::NoActions);
        }
        for (i, a) in self.actions.iter().enumerate() {
            if self.actions[..i].contains(a) {
                errors.push(SpecError::DuplicateAction(*a));
            }
        }
        if !is_valid_dynamodb_name(self.table.declared()) {
            errors.push(SpecError::BadTableName(self.table.declared().to_owned()));
        }
        if let Some(var) = self.table.env_var()
            && !is_valid_env_var(var)
        {
            errors.push(SpecError::BadEnvVar(var.to_owned()));
        }
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
        match self.keys.validate() {
            Ok(()) => {}
            Err(KeyPrefixError::Charset) => errors.push(SpecError::BadKeyPrefix(self.keys.prefix().to_owned())),
            Err(KeyPrefixError::NoSeparator) => {
                errors.push(SpecError::KeyPrefixWithoutSeparator(self.keys.prefix().to_owned()))
            }
        }
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

    fn table_arn(&self) -> String {
        let table = match &self.table {
            TableName::Fixed(name) => name,
            TableName::FromEnv { .. } => "{{table}}",
        };
        format!("arn:{{{{partition}}}}:dynamodb:{{{{region}}}}:{{{{account}}}}:table/{table}")
    }

    /// Writes the policy document confined to `tenants`' keys, compact or indented.
    fn write(&self, tenants: Tenants<'_>, pretty: bool) -> String {
        write_document(&self.statements(tenants), pretty)
    }

    /// The statements of this table's policy: its actions on the table, and `Query` (or
    /// `PartiQLSelect`) on each declared index. Each is confined to the keys of `tenants`.
    fn statements(&self, tenants: Tenants<'_>) -> Vec<Statement> {
        let table_arn = self.table_arn();
        let actions = self.sorted_actions();
        let patterns = self.keys.patterns(tenants);
        let mut statements = vec![Statement {
            sid: "TenantItems".into(),
            actions: actions.clone(),
            resources: vec![table_arn.clone()],
            patterns: patterns.clone(),
        }];
        if !self.indexes.is_empty() {
            statements.push(Statement {
                sid: "TenantIndexes".into(),
                actions: actions.iter().copied().filter(|a| a.reads_indexes()).collect(),
                resources: self.indexes.iter().map(|i| format!("{table_arn}/index/{i}")).collect(),
                patterns,
            });
        }
        statements
    }
}

/// `{"Version": "2012-10-17", "Statement": [...]}`.
fn write_document(statements: &[Statement], pretty: bool) -> String {
    let mut w = JsonWriter { out: String::new(), pretty, depth: 0 };
    w.open('{');
    w.key("Version");
    w.string("2012-10-17");
    w.comma();
    w.key("Statement");
    w.open('[');
    for (i, s) in statements.iter().enumerate() {
        if i > 0 {
            w.comma();
        }
        s.write(&mut w);
    }
    w.close(']');
    w.close('}');
    w.out
}

/// A session-tag key usable in `${aws:PrincipalTag/<key>}`: 1–128 characters of
/// `[A-Za-z0-9_.:/=+@-]` (an ASCII subset of STS's tag-key pattern; STS API Reference,
/// `Tag`), not in the reserved `aws:` namespace.
pub fn is_valid_tag_key(key: &str) -> bool {
    (1..=128).contains(&key.len())
        && !key.to_ascii_lowercase().starts_with("aws:")
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.:/=+@-".contains(&b))
}

struct Statement {
    /// `TenantItems` or `TenantIndexes`, numbered from 2 when a union has several.
    sid: String,
    actions: Vec<Action>,
    resources: Vec<String>,
    /// The `dynamodb:LeadingKeys` patterns it is confined to.
    patterns: Vec<String>,
}

impl Statement {
    fn write(&self, w: &mut JsonWriter) {
        w.open('{');
        w.key("Sid");
        w.string(&self.sid);
        w.comma();
        w.key("Effect");
        w.string("Allow");
        w.comma();
        w.key("Action");
        w.string_array(self.actions.iter().map(|a| a.iam_name()));
        w.comma();
        w.key("Resource");
        w.string_array(self.resources.iter().map(String::as_str));
        w.comma();
        // Three conditions on `dynamodb:LeadingKeys`, a multivalued key (IAM User Guide,
        // "Single-valued vs. multivalued context keys", set operators):
        //
        // - `ForAllValues:StringLike`: every key of the request is the tenant's. Alone it is
        //   also true when the request has no key ("It also returns true if there are no
        //   context keys in the request"): a Scan would pass.
        // - `ForAnyValue:StringLike`, same patterns: at least one key is the tenant's, so the
        //   set is neither absent nor empty. Evaluators differ on whether an empty set is
        //   "null": iam-simulate 0.1.173 treats `"dynamodb:LeadingKeys": []` as present, and
        //   `ForAllValues` + `Null: false` alone ALLOWED it (tests/policy/prove.mjs, group
        //   `empty-key`). `ForAnyValue` is false for an absent and for an empty set alike.
        // - `Null: false`: the key is present; the remedy the IAM User Guide gives for
        //   missing keys ("Multivalued context key examples"; "Condition operator to check
        //   existence of condition keys"). Under iam-simulate it is redundant next to
        //   `ForAnyValue` (the proof's mutant `no-null-guard` changes no decision, and the
        //   proof checks that it stays so), but it is kept: how an evaluator reads an empty
        //   set is exactly what differs between evaluators, and with two independent guards
        //   one evaluator's quirk is not enough. It costs 40 characters.
        w.key("Condition");
        w.open('{');
        for operator in ["ForAllValues:StringLike", "ForAnyValue:StringLike"] {
            w.key(operator);
            w.open('{');
            w.key("dynamodb:LeadingKeys");
            w.string_array(self.patterns.iter().map(String::as_str));
            w.close('}');
            w.comma();
        }
        w.key("Null");
        w.open('{');
        w.key("dynamodb:LeadingKeys");
        w.string("false");
        w.close('}');
        w.close('}');
        w.close('}');
    }
}

/// A tiny writer for the fixed policy shape. Every string it writes is one of ours or a
/// validated name, none of which needs escaping (checked by a debug assertion).
struct JsonWriter {
    out: String,
    pretty: bool,
    depth: usize,
}

impl JsonWriter {
    fn newline(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("  ");
            }
        }
    }
    fn open(&mut self, c: char) {
        self.out.push(c);
        self.depth += 1;
        self.newline();
    }
    fn close(&mut self, c: char) {
        self.depth -= 1;
        self.newline();
        self.out.push(c);
    }
    fn comma(&mut self) {
        self.out.push(',');
        self.newline();
    }
    fn string(&mut self, s: &str) {
        debug_assert!(!s.contains(['"', '\\']) && !s.contains(char::is_control));
        self.out.push('"');
        self.out.push_str(s);
        self.out.push('"');
    }
    fn key(&mut self, k: &str) {
        self.string(k);
        self.out.push(':');
        if self.pretty {
            self.out.push(' ');
        }
    }
    fn string_array<'a>(&mut self, items: impl Iterator<Item = &'a str>) {
        self.out.push('[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                self.out.push(',');
                if self.pretty {
                    self.out.push(' ');
                }
            }
            self.string(item);
        }
        self.out.push(']');
    }
}

impl Template {
    /// The compact template: what the macro emits as `POLICY_TEMPLATE`.
    pub fn compact(&self) -> &str {
        &self.compact
    }

    /// The longest any rendering of this template can be.
    pub fn worst_case_len(&self) -> usize {
        self.worst_case
    }
}

impl TableModel {
    /// The session-policy template indented for reading (doc comments, audit output).
    pub fn pretty(&self) -> String {
        self.write(Tenants::Own, true)
    }
}

/// An AWS partition, taken from the role ARN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Partition {
    /// `aws`.
    Aws,
    /// `aws-cn`.
    AwsCn,
    /// `aws-us-gov`.
    AwsUsGov,
}

impl Partition {
    /// The partition as written in ARNs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// Parses `aws`, `aws-cn` or `aws-us-gov`.
    pub fn parse(s: &str) -> Option<Partition> {
        match s {
            "aws" => Some(Partition::Aws),
            "aws-cn" => Some(Partition::AwsCn),
            "aws-us-gov" => Some(Partition::AwsUsGov),
            _ => None,
        }
    }
}

/// The values a template is rendered with, all validated.
#[derive(Clone, Debug)]
pub struct Placement {
    partition: Partition,
    region: String,
    account: String,
    table: String,
}

/// A value for a placeholder that fails validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlacementError {
    /// Not `[a-z0-9-]{1,32}`.
    Region(String),
    /// Not 12 digits.
    Account(String),
    /// Not a DynamoDB table name.
    Table(String),
}

impl fmt::Display for PlacementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementError::Region(r) => {
                write!(f, "invalid region {r:?}: expected 1-{MAX_REGION_LEN} characters of `a-z`, `0-9` and `-`")
            }
            PlacementError::Account(a) => write!(f, "invalid account id {a:?}: expected 12 digits"),
            PlacementError::Table(t) => write!(
                f,
                "invalid table name {t:?}: expected 3-255 characters of `A-Z`, `a-z`, `0-9`, `_`, `-` and `.`"
            ),
        }
    }
}

impl std::error::Error for PlacementError {}

impl Placement {
    /// Validates the account-level values a policy is rendered with.
    pub fn new(partition: Partition, region: &str, account: &str, table: &str) -> Result<Placement, PlacementError> {
        if region.is_empty()
            || region.len() > MAX_REGION_LEN
            || !region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(PlacementError::Region(region.to_owned()));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PlacementError::Account(account.to_owned()));
        }
        if !is_valid_dynamodb_name(table) {
            return Err(PlacementError::Table(table.to_owned()));
        }
        Ok(Placement { partition, region: region.to_owned(), account: account.to_owned(), table: table.to_owned() })
    }

    /// The partition.
    pub fn partition(&self) -> Partition {
        self.partition
    }
    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }
    /// The account id.
    pub fn account(&self) -> &str {
        &self.account
    }
    /// The physical table name.
    pub fn table(&self) -> &str {
        &self.table
    }
    /// `arn:<partition>:dynamodb:<region>:<account>:table/<table>`.
    pub fn table_arn(&self) -> String {
        format!("arn:{}:dynamodb:{}:{}:table/{}", self.partition.as_str(), self.region, self.account, self.table)
    }
}

/// Renders a template produced by [`TableModel::build`] for one tenant.
///
/// Only a [`TenantId`] and a validated [`Placement`] can be substituted, so the output
/// contains no wildcard, variable or separator that the template did not already have.
pub fn render(template: &str, placement: &Placement, tenant: &TenantId) -> String {
    render_unchecked(
        template,
        placement.partition.as_str(),
        &placement.region,
        &placement.account,
        &placement.table,
        tenant.as_str(),
    )
}

/// One pass over the template: `{{name}}` → value. Unknown placeholders are kept as
/// written (they cannot occur in a template this crate built).
fn render_unchecked(template: &str, partition: &str, region: &str, account: &str, table: &str, tenant: &str) -> String {
    let mut out = String::with_capacity(template.len() + 8 * tenant.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        let value = match &after[..end] {
            "partition" => partition,
            "region" => region,
            "account" => account,
            "table" => table,
            "tenant" => tenant,
            _ => {
                out.push_str("{{");
                rest = after;
                continue;
            }
        };
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The data-access role's own identity policy: per table and index, the union of the
/// actions of the handlers on it, still confined to tenant-prefixed keys and with the `Null`
/// guard, with `{{partition}}`, `{{region}}` and `{{account}}` left open.
///
/// Session policies can only narrow this; it bounds what any session could ever do.
pub fn role_policy(specs: &[&TableModel], pretty: bool) -> String {
    union_policy(specs, Tenants::Any, pretty)
}

/// The role policy for session-tag (ABAC) handlers: per table and index, the union of
/// the actions of the handlers on it, each confined to the tenant named by the session
/// tag `tag`. Sessions of this role carry no session policy, so this policy alone isolates
/// them: never give this role to session-policy handlers, nor the [`role_policy`] role to
/// session-tag handlers.
pub fn tag_role_policy(specs: &[&TableModel], tag: &str, pretty: bool) -> String {
    union_policy(specs, Tenants::Tagged(tag), pretty)
}

/// The union of `specs`' statements, least privilege kept per resource: statements are
/// merged (their actions united) only when they name the same resources under the same
/// key patterns. Two handlers on two tables give two statements, each with its own
/// table's actions: `GetItem` on `Orders` and `DeleteItem` on `Invoices` never become
/// both actions on both tables.
fn union_policy(specs: &[&TableModel], tenants: Tenants<'_>, pretty: bool) -> String {
    let mut statements: Vec<Statement> = Vec::new();
    for spec in specs {
        for mut new in spec.statements(tenants) {
            new.resources.sort();
            match statements
                .iter_mut()
                .find(|s| s.sid == new.sid && s.resources == new.resources && s.patterns == new.patterns)
            {
                Some(s) => s.actions.extend(new.actions),
                None => statements.push(new),
            }
        }
    }
    // Sids are unique within a policy: the second `TenantItems` is `TenantItems2`, …
    let mut seen: Vec<String> = Vec::new();
    for s in &mut statements {
        s.actions.sort();
        s.actions.dedup();
        let n = seen.iter().filter(|k| **k == s.sid).count();
        seen.push(s.sid.clone());
        if n > 0 {
            s.sid = format!("{}{}", s.sid, n + 1);
        }
    }
    write_document(&statements, pretty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn spec(actions: &[Action], indexes: &[&str]) -> TableModel {
        TableModel {
            table: TableName::Fixed("Orders".into()),
            indexes: owned(indexes),
            actions: actions.to_vec().into(),
            keys: KeyRule::default(),
        }
    }

    fn owned(names: &[&str]) -> Cow<'static, [Cow<'static, str>]> {
        names.iter().map(|s| Cow::Owned(s.to_string())).collect::<Vec<_>>().into()
    }

    fn placement() -> Placement {
        Placement::new(Partition::Aws, "eu-west-1", "123456789012", "Orders").unwrap()
    }

    /// A tenant statement's condition: every key is one of `patterns` (`ForAllValues`), at
    /// least one is (`ForAnyValue`: an absent or empty key set fails), and the key is present
    /// (`Null: false`). Nothing else.
    #[track_caller]
    fn assert_confined(statement: &Value, patterns: Value) {
        assert_eq!(
            statement["Condition"],
            serde_json::json!({
                "ForAllValues:StringLike": { "dynamodb:LeadingKeys": patterns.clone() },
                "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": patterns },
                "Null": { "dynamodb:LeadingKeys": "false" },
            }),
            "{statement}"
        );
    }

    #[test]
    fn rendered_policy_is_json_with_exactly_the_declared_actions() {
        let s = spec(&[Action::Query, Action::GetItem], &["ByStatus"]);
        let t = s.build().unwrap();
        let rendered = render(t.compact(), &placement(), &TenantId::parse("acme").unwrap());
        let v: Value = serde_json::from_str(&rendered).unwrap();
        let st = &v["Statement"][0];
        assert_eq!(st["Action"], serde_json::json!(["dynamodb:GetItem", "dynamodb:Query"]));
        assert_eq!(st["Resource"], serde_json::json!(["arn:aws:dynamodb:eu-west-1:123456789012:table/Orders"]));
        assert_confined(st, serde_json::json!(["TENANT#acme", "TENANT#acme#*"]));
        let ix = &v["Statement"][1];
        assert_eq!(ix["Action"], serde_json::json!(["dynamodb:Query"]));
        assert_confined(ix, serde_json::json!(["TENANT#acme", "TENANT#acme#*"]));
        assert_eq!(
            ix["Resource"],
            serde_json::json!(["arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/index/ByStatus"])
        );
        assert!(!rendered.contains("{{"));
        // The pretty form is the same document.
        let pretty: Value =
            serde_json::from_str(&render(&s.pretty(), &placement(), &TenantId::parse("acme").unwrap())).unwrap();
        assert_eq!(pretty, v);
    }

    #[test]
    fn no_index_statement_unless_declared() {
        let t = spec(&[Action::Query], &[]).build().unwrap();
        let v: Value =
            serde_json::from_str(&render(t.compact(), &placement(), &TenantId::parse("a").unwrap())).unwrap();
        assert_eq!(v["Statement"].as_array().unwrap().len(), 1);
        assert!(!t.compact().contains("/index/"));
    }

    #[test]
    fn runtime_table_name_is_a_placeholder() {
        let s = TableModel {
            table: TableName::FromEnv { var: "ORDERS_TABLE".into(), default: "Orders".into() },
            ..spec(&[Action::GetItem], &[])
        };
        let t = s.build().unwrap();
        assert!(t.compact().contains("table/{{table}}"));
        let p = Placement::new(Partition::AwsCn, "cn-north-1", "123456789012", "orders-prod").unwrap();
        let r = render(t.compact(), &p, &TenantId::parse("a").unwrap());
        assert!(r.contains("arn:aws-cn:dynamodb:cn-north-1:123456789012:table/orders-prod\""), "{r}");
        assert!(t.worst_case_len() > r.len() + 250);
    }

    #[test]
    fn all_spec_errors_are_reported_together() {
        let s = TableModel {
            table: TableName::Fixed("x".into()),
            indexes: owned(&["ByStatus"]),
            actions: vec![Action::GetItem, Action::GetItem].into(),
            keys: KeyRule::new("T*"),
        };
        let errors = s.build().unwrap_err();
        assert_eq!(
            errors,
            vec![
                SpecError::DuplicateAction(Action::GetItem),
                SpecError::BadTableName("x".into()),
                SpecError::IndexesWithoutQuery,
                SpecError::BadKeyPrefix("T*".into()),
            ]
        );
    }

    #[test]
    fn key_prefixes_must_end_with_the_separator() {
        let s = TableModel { keys: KeyRule::new("TENANT"), ..spec(&[Action::GetItem], &[]) };
        assert_eq!(s.build().unwrap_err(), vec![SpecError::KeyPrefixWithoutSeparator("TENANT".into())]);
    }

    #[test]
    fn oversized_policies_are_refused() {
        let names: Vec<String> = (0..8).map(|i| format!("{}{i}", "I".repeat(150))).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let s = TableModel { indexes: owned(&names), ..spec(Action::ALL, &[]) };
        match s.build() {
            Err(e) => {
                assert!(matches!(e[..], [SpecError::TooLarge { worst_case }] if worst_case > MAX_SESSION_POLICY_CHARS))
            }
            Ok(t) => panic!("built a {}-char policy", t.worst_case_len()),
        }
    }

    #[test]
    fn worst_case_room_with_a_table_name_from_the_environment() {
        // As docs/DEPLOYING.md states: with `table_env` the worst case counts a 255-character
        // table name in every ARN and a 64-character tenant in four patterns per statement, so
        // one index fits and two do not; all twelve actions fit without an index, not with one.
        let from_env = |actions: &[Action], indexes: &[&str]| TableModel {
            table: TableName::FromEnv { var: "ORDERS_TABLE".into(), default: "Orders".into() },
            ..spec(actions, indexes)
        };
        let too_large = |m: TableModel| matches!(m.build().unwrap_err()[..], [SpecError::TooLarge { .. }]);
        assert!(from_env(&[Action::Query], &["ByStatus"]).build().is_ok());
        assert!(too_large(from_env(&[Action::Query], &["ByStatus", "ByCustomer"])));
        assert!(from_env(Action::ALL, &[]).build().is_ok());
        assert!(too_large(from_env(Action::ALL, &["ByStatus"])));
        // A fixed name leaves room for several indexes.
        assert!(spec(Action::ALL, &["ByStatus", "ByCustomer", "ByDate"]).build().is_ok());
    }

    #[test]
    fn placement_values_are_validated() {
        assert!(Placement::new(Partition::Aws, "eu-west-1*", "123456789012", "Orders").is_err());
        assert!(Placement::new(Partition::Aws, "eu-west-1", "12345678901", "Orders").is_err());
        assert!(Placement::new(Partition::Aws, "eu-west-1", "123456789012", "Or\"ders").is_err());
    }

    #[test]
    fn tagged_policies_name_the_principal_tag() {
        let s = spec(&[Action::GetItem, Action::Query], &["ByStatus"]);
        let tagged = |tag: &str| {
            HandlerModel { table: s.clone(), confinement: Confinement::SessionTag(tag.to_owned().into()) }.compile()
        };
        let v: Value = serde_json::from_str(&tagged("tenant").unwrap().template).unwrap();
        for st in v["Statement"].as_array().unwrap() {
            assert_confined(
                st,
                serde_json::json!(["TENANT#${aws:PrincipalTag/tenant}", "TENANT#${aws:PrincipalTag/tenant}#*"]),
            );
        }
        assert_eq!(tagged("aws:tenant").unwrap_err(), vec![SpecError::BadTagKey("aws:tenant".into())]);
        assert_eq!(tagged("ten}ant").unwrap_err(), vec![SpecError::BadTagKey("ten}ant".into())]);
        let union: Value = serde_json::from_str(&tag_role_policy(&[&s], "tenant", false)).unwrap();
        assert_eq!(union["Statement"][0], v["Statement"][0]);
    }

    #[test]
    fn role_policy_keeps_each_tables_actions_to_that_table() {
        let orders = spec(&[Action::GetItem], &[]);
        let orders_query = spec(&[Action::Query], &["ByStatus"]);
        let invoices = TableModel {
            table: TableName::Fixed("Invoices".into()),
            keys: KeyRule::new("ORG#"),
            ..spec(&[Action::DeleteItem], &[])
        };
        let v: Value = serde_json::from_str(&role_policy(&[&orders, &invoices, &orders_query], false)).unwrap();
        let statements = v["Statement"].as_array().unwrap();
        let find = |table: &str| {
            statements
                .iter()
                .find(|s| {
                    s["Resource"]
                        == serde_json::json!([format!(
                            "arn:{{{{partition}}}}:dynamodb:{{{{region}}}}:{{{{account}}}}:table/{table}"
                        )])
                })
                .unwrap_or_else(|| panic!("no statement for {table}: {v}"))
        };
        assert_eq!(find("Orders")["Action"], serde_json::json!(["dynamodb:GetItem", "dynamodb:Query"]));
        assert_confined(find("Orders"), serde_json::json!(["TENANT#*"]));
        assert_eq!(find("Invoices")["Action"], serde_json::json!(["dynamodb:DeleteItem"]));
        assert_confined(find("Invoices"), serde_json::json!(["ORG#*"]));
        let sids: Vec<&str> = statements.iter().map(|s| s["Sid"].as_str().unwrap()).collect();
        assert_eq!(sids, ["TenantItems", "TenantItems2", "TenantIndexes"]);
    }

    #[test]
    fn role_policy_is_the_union() {
        let a = spec(&[Action::GetItem], &[]);
        let b = spec(&[Action::Query, Action::PutItem], &["ByStatus"]);
        let v: Value = serde_json::from_str(&role_policy(&[&a, &b], false)).unwrap();
        assert_eq!(
            v["Statement"][0]["Action"],
            serde_json::json!(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"])
        );
        assert_eq!(v["Statement"][1]["Action"], serde_json::json!(["dynamodb:Query"]));
        for st in v["Statement"].as_array().unwrap() {
            assert_confined(st, serde_json::json!(["TENANT#*"]));
        }
    }
}
