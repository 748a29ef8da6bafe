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
//!         "Null": {"dynamodb:LeadingKeys": "false"}
//!       }
//!     },
//!     { "Sid": "TenantIndexes", "Action": ["dynamodb:Query"], "Resource": [".../table/Orders/index/ByStatus"], ... }
//!   ]
//! }
//! ```

use crate::action::Action;
use crate::tenant::{MAX_TENANT_ID_LEN, TenantId};
use core::fmt;

/// The plaintext limit of an inline session policy passed to `AssumeRole`
/// (STS API Reference, `AssumeRole`, parameter `Policy`: "The plaintext that you use for
/// both inline and managed session policies can't exceed 2,048 characters").
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;

/// The longest region name accepted at run time. AWS region names are far shorter
/// (`ap-southeast-5`, `us-gov-west-1`); the bound keeps the worst-case size finite.
pub const MAX_REGION_LEN: usize = 32;

/// The key separator. It follows the tenant id in every composite key
/// (`TENANT#acme#ORDER#1`) and is refused inside tenant ids.
pub const SEPARATOR: char = '#';

/// The default partition-key prefix.
pub const DEFAULT_KEY_PREFIX: &str = "TENANT#";

/// Where the physical table name comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableName {
    /// Written into the template at compile time.
    Fixed(String),
    /// Read at run time from an environment variable (per-stage table names); the
    /// template carries `{{table}}` and the size check assumes the longest legal name.
    FromEnv {
        /// The variable, e.g. `ORDERS_TABLE`.
        var: String,
        /// The declared (logical) name, used when the variable is unset.
        default: String,
    },
}

impl TableName {
    /// The name written in the attribute.
    pub fn declared(&self) -> &str {
        match self {
            TableName::Fixed(n) | TableName::FromEnv { default: n, .. } => n,
        }
    }
}

/// Everything a session policy is built from.
#[derive(Clone, Debug)]
pub struct PolicySpec {
    /// The table.
    pub table: TableName,
    /// Secondary indexes that `Query`/`PartiQLSelect` may read.
    pub indexes: Vec<String>,
    /// The declared actions (validated, no duplicates).
    pub actions: Vec<Action>,
    /// The partition-key prefix before the tenant id, `TENANT#` by default.
    pub key_prefix: String,
}

/// A [`PolicySpec`] that cannot produce a safe policy.
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
                "invalid key prefix `{p}`: use 1-64 characters of `A-Z`, `a-z`, `0-9`, `_`, `-`, `#`, `:`, `.`, `|`, `=`, `+` and `@` (no `*`, `?` or `$`: they are IAM wildcards and variables)"
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
                 STS accepts at most {MAX_SESSION_POLICY_CHARS}: declare fewer indexes or a shorter table name"
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

fn is_valid_key_prefix(p: &str) -> bool {
    (1..=64).contains(&p.len())
        && p.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'#' | b':' | b'.' | b'|' | b'=' | b'+' | b'@')
        })
}

fn is_valid_env_var(v: &str) -> bool {
    let mut bytes = v.bytes();
    matches!(bytes.next(), Some(b'A'..=b'Z' | b'_'))
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// A validated spec and its template.
#[derive(Clone, Debug)]
pub struct Template {
    compact: String,
    worst_case: usize,
}

impl PolicySpec {
    /// Validates the spec and builds its template; checks the worst-case rendered size.
    pub fn build(&self) -> Result<Template, Vec<SpecError>> {
        let errors = self.validate();
        if !errors.is_empty() {
            return Err(errors);
        }
        let compact = self.write_template(false);
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

    /// Every problem with the spec, not just the first.
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
        if let TableName::FromEnv { var, .. } = &self.table
            && !is_valid_env_var(var)
        {
            errors.push(SpecError::BadEnvVar(var.clone()));
        }
        for (i, index) in self.indexes.iter().enumerate() {
            if !is_valid_dynamodb_name(index) {
                errors.push(SpecError::BadIndexName(index.clone()));
            } else if self.indexes[..i].contains(index) {
                errors.push(SpecError::DuplicateIndex(index.clone()));
            }
        }
        if !self.indexes.is_empty() && !self.actions.iter().any(|a| a.reads_indexes()) {
            errors.push(SpecError::IndexesWithoutQuery);
        }
        if !is_valid_key_prefix(&self.key_prefix) {
            errors.push(SpecError::BadKeyPrefix(self.key_prefix.clone()));
        }
        errors
    }

    /// The declared actions in the canonical order of [`Action::ALL`].
    fn sorted_actions(&self) -> Vec<Action> {
        let mut actions = self.actions.clone();
        actions.sort();
        actions.dedup();
        actions
    }

    fn table_arn(&self) -> String {
        let table = match &self.table {
            TableName::Fixed(name) => name.as_str(),
            TableName::FromEnv { .. } => "{{table}}",
        };
        format!("arn:{{{{partition}}}}:dynamodb:{{{{region}}}}:{{{{account}}}}:table/{table}")
    }

    /// Writes the template, compact or indented by two spaces.
    fn write_template(&self, pretty: bool) -> String {
        write_document(&self.statements(&Tenants::Own), pretty)
    }

    /// The statements of this spec's policy: its actions on the table, and `Query` (or
    /// `PartiQLSelect`) on each declared index.
    /// Each is confined to the partition keys of `tenants`.
    fn statements(&self, tenants: &Tenants<'_>) -> Vec<Statement> {
        let table_arn = self.table_arn();
        let actions = self.sorted_actions();
        let patterns = tenants.patterns(&self.key_prefix);
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

    /// Session-tag (ABAC) mode: the policy this handler needs on the *role*, with the tenant
    /// taken from the session tag `tag` (`${aws:PrincipalTag/<tag>}`) instead of being
    /// written into a per-request session policy. `{{partition}}`, `{{region}}`,
    /// `{{account}}` (and `{{table}}`) stay open.
    pub fn build_tagged(&self, tag: &str, pretty: bool) -> Result<String, Vec<SpecError>> {
        let mut errors = self.validate();
        if !is_valid_tag_key(tag) {
            errors.push(SpecError::BadTagKey(tag.to_owned()));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(write_document(&self.statements(&Tenants::Tagged(tag)), pretty))
    }
}

/// Whose partition keys a policy's `LeadingKeys` condition admits.
enum Tenants<'a> {
    /// `<prefix>{{tenant}}` and `<prefix>{{tenant}}#*`: one tenant, filled in per request.
    Own,
    /// `<prefix>${aws:PrincipalTag/<tag>}` and `…#*`: the tenant named by the session tag.
    Tagged(&'a str),
    /// `<prefix>*`: any tenant; only for the data-access role, which sessions narrow.
    Any,
}

impl Tenants<'_> {
    // `ForAllValues`: every leading key of the request must match one pattern. The
    // tenant's own partition is `<prefix><tenant>` and, for composite keys,
    // `<prefix><tenant>#...`; `#` is refused in tenant ids, so `TENANT#a#*` cannot
    // match tenant `ab` (IAM User Guide, "Multivalued context keys").
    fn patterns(&self, prefix: &str) -> Vec<String> {
        let tenant = match self {
            Tenants::Own => "{{tenant}}".to_owned(),
            Tenants::Tagged(tag) => format!("${{aws:PrincipalTag/{tag}}}"),
            Tenants::Any => return vec![format!("{prefix}*")],
        };
        vec![format!("{prefix}{tenant}"), format!("{prefix}{tenant}{SEPARATOR}*")]
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
        w.key("Condition");
        w.open('{');
        w.key("ForAllValues:StringLike");
        w.open('{');
        w.key("dynamodb:LeadingKeys");
        w.string_array(self.patterns.iter().map(String::as_str));
        w.close('}');
        w.comma();
        // `ForAllValues` is true when the key is absent (an empty set satisfies "for all"),
        // so a request without leading keys would pass; `Null: false` requires the key to
        // be present (IAM User Guide, "Condition operator to check existence of condition keys").
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

impl PolicySpec {
    /// The template indented for reading (doc comments, audit output).
    pub fn pretty(&self) -> String {
        self.write_template(true)
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

/// A stable id for a template (FNV-1a, 64 bits): handlers whose templates are identical
/// share credentials. The macro computes it at compile time; `const` so both agree. Pass
/// the template followed by the `table_env` variable, if any ([`policy_key`]): with a
/// runtime-bound table the template only says `{{table}}`.
pub const fn policy_id(template: &str) -> u64 {
    let bytes = template.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u64).wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// What [`policy_id`] hashes for a handler: its template, and the variable that binds its
/// table at run time (two handlers with one template on two `table_env` tables must not
/// share credentials: each session's client and guard are bound to one table).
pub fn policy_key(template: &str, table_env: Option<&str>) -> String {
    match table_env {
        Some(var) => format!("{template}\n{var}"),
        None => template.to_owned(),
    }
}

/// Renders a template produced by [`PolicySpec::build`] for one tenant.
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
pub fn role_policy(specs: &[&PolicySpec], pretty: bool) -> String {
    union_policy(specs, &Tenants::Any, pretty)
}

/// The role policy for session-tag (ABAC) handlers: per table and index, the union of
/// the actions of the handlers on it, each confined to the tenant named by the session
/// tag `tag`. Sessions of this role carry no session policy, so this policy alone isolates
/// them: never give this role to session-policy handlers, nor the [`role_policy`] role to
/// session-tag handlers.
pub fn tag_role_policy(specs: &[&PolicySpec], tag: &str, pretty: bool) -> String {
    union_policy(specs, &Tenants::Tagged(tag), pretty)
}

/// The union of `specs`' statements, least privilege kept per resource: statements are
/// merged (their actions united) only when they name the same resources under the same
/// key patterns. Two handlers on two tables give two statements, each with its own
/// table's actions: `GetItem` on `Orders` and `DeleteItem` on `Invoices` never become
/// both actions on both tables.
fn union_policy(specs: &[&PolicySpec], tenants: &Tenants<'_>, pretty: bool) -> String {
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

    fn spec(actions: &[Action], indexes: &[&str]) -> PolicySpec {
        PolicySpec {
            table: TableName::Fixed("Orders".into()),
            indexes: indexes.iter().map(|s| s.to_string()).collect(),
            actions: actions.to_vec(),
            key_prefix: DEFAULT_KEY_PREFIX.into(),
        }
    }

    fn placement() -> Placement {
        Placement::new(Partition::Aws, "eu-west-1", "123456789012", "Orders").unwrap()
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
        assert_eq!(
            st["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
            serde_json::json!(["TENANT#acme", "TENANT#acme#*"])
        );
        assert_eq!(st["Condition"]["Null"]["dynamodb:LeadingKeys"], "false");
        let ix = &v["Statement"][1];
        assert_eq!(ix["Action"], serde_json::json!(["dynamodb:Query"]));
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
        let s = PolicySpec {
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
        let s = PolicySpec {
            table: TableName::Fixed("x".into()),
            indexes: vec!["ByStatus".into()],
            actions: vec![Action::GetItem, Action::GetItem],
            key_prefix: "T*".into(),
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
    fn oversized_policies_are_refused() {
        let indexes: Vec<String> = (0..8).map(|i| format!("{}{i}", "I".repeat(150))).collect();
        let s = PolicySpec { indexes, ..spec(Action::ALL, &[]) };
        match s.build() {
            Err(e) => {
                assert!(matches!(e[..], [SpecError::TooLarge { worst_case }] if worst_case > MAX_SESSION_POLICY_CHARS))
            }
            Ok(t) => panic!("built a {}-char policy", t.worst_case_len()),
        }
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
        let v: Value = serde_json::from_str(&s.build_tagged("tenant", false).unwrap()).unwrap();
        for st in v["Statement"].as_array().unwrap() {
            assert_eq!(
                st["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
                serde_json::json!(["TENANT#${aws:PrincipalTag/tenant}", "TENANT#${aws:PrincipalTag/tenant}#*"])
            );
            assert_eq!(st["Condition"]["Null"]["dynamodb:LeadingKeys"], "false");
        }
        assert_eq!(s.build_tagged("aws:tenant", false).unwrap_err(), vec![SpecError::BadTagKey("aws:tenant".into())]);
        assert_eq!(s.build_tagged("ten}ant", false).unwrap_err(), vec![SpecError::BadTagKey("ten}ant".into())]);
        let union: Value = serde_json::from_str(&tag_role_policy(&[&s], "tenant", false)).unwrap();
        assert_eq!(union["Statement"][0], v["Statement"][0]);
    }

    #[test]
    fn role_policy_keeps_each_tables_actions_to_that_table() {
        let orders = spec(&[Action::GetItem], &[]);
        let orders_query = spec(&[Action::Query], &["ByStatus"]);
        let invoices = PolicySpec {
            table: TableName::Fixed("Invoices".into()),
            key_prefix: "ORG#".into(),
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
        assert_eq!(
            find("Orders")["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
            serde_json::json!(["TENANT#*"])
        );
        assert_eq!(find("Invoices")["Action"], serde_json::json!(["dynamodb:DeleteItem"]));
        assert_eq!(
            find("Invoices")["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
            serde_json::json!(["ORG#*"])
        );
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
        assert_eq!(
            v["Statement"][0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
            serde_json::json!(["TENANT#*"])
        );
    }
}
