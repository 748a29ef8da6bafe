//! Session-policy templates: built once (at compile time by the macro), rendered per tenant.
//!
//! A template is ordinary IAM policy JSON with placeholders that the runtime fills:
//! `{{partition}}`, `{{region}}`, `{{account}}`, `{{tenant}}` and, for each table or bucket
//! whose name is bound at run time, `{{table}}`, `{{table2}}`, … and `{{bucket}}`, `{{bucket2}}`,
//! … (numbered by declaration order). The braces cannot collide with IAM policy variables
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
//!
//! Each further table adds its own `TenantItems2`/`TenantIndexes2` statements with its own
//! actions and key patterns; a bucket adds `TenantObjects` (its object actions on
//! `arn:{{partition}}:s3:::<bucket>/<prefix>{{tenant}}/*`) and, with `ListBucket`,
//! `TenantListing` (on the bucket, with `s3:prefix` confined to `<prefix>{{tenant}}/*`).
//! Actions declared on one resource are never granted on another.

use crate::keys::Tenants;
use crate::model::{
    BucketModel, Compiled, Confinement, HandlerModel, MAX_SESSION_POLICY_CHARS, PhysicalName, SpecError, TableModel,
    is_valid_dynamodb_name,
};
use crate::s3::is_valid_bucket_name;
use crate::tenant::{MAX_TENANT_ID_LEN, TenantId};
use core::fmt;

/// The longest region name accepted at run time. AWS region names are far shorter
/// (`ap-southeast-5`, `us-gov-west-1`); the bound keeps the worst-case size finite.
pub const MAX_REGION_LEN: usize = 32;

impl HandlerModel {
    /// Validates the model and writes its template. In session-policy mode the worst-case
    /// rendered size of the whole policy (every table and bucket) is checked against STS's
    /// limit; in session-tag mode no session policy is sent, and the template is the role
    /// policy the handler needs.
    pub fn compile(&self) -> Result<Compiled, Vec<SpecError>> {
        let errors = self.validate();
        if !errors.is_empty() {
            return Err(errors);
        }
        match &self.confinement {
            Confinement::SessionPolicy => {
                let template = document(self, Tenants::Own, false);
                let worst_case = worst_case_len(&template);
                if worst_case > MAX_SESSION_POLICY_CHARS {
                    return Err(vec![SpecError::TooLarge { worst_case, parts: worst_case_parts(self) }]);
                }
                Ok(Compiled { pretty: document(self, Tenants::Own, true), worst_case, template })
            }
            Confinement::SessionTag(tag) => {
                let template = document(self, Tenants::Tagged(tag), false);
                Ok(Compiled {
                    pretty: document(self, Tenants::Tagged(tag), true),
                    worst_case: template.len(),
                    template,
                })
            }
        }
    }
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

/// The policy document of `model` confined to `tenants`' keys, compact or indented.
fn document(model: &HandlerModel, tenants: Tenants<'_>, pretty: bool) -> String {
    let mut statements = Vec::new();
    for (i, t) in model.tables.iter().enumerate() {
        statements.extend(t.statements(i, tenants));
    }
    for (i, b) in model.buckets.iter().enumerate() {
        statements.extend(b.statements(i, tenants));
    }
    number_sids(&mut statements);
    write_document(&statements, pretty)
}

/// The longest rendering of a template: the longest region, a 255-character table name and a
/// 63-character bucket name in every placeholder, and a tenant id of the longest length.
fn worst_case_len(template: &str) -> usize {
    let region = "x".repeat(MAX_REGION_LEN);
    let table = "t".repeat(255);
    let bucket = "b".repeat(63);
    let tenant = "x".repeat(MAX_TENANT_ID_LEN);
    render_with(template, |name| {
        Some(match name {
            "partition" => "aws-us-gov",
            "region" => &region,
            "account" => "000000000000",
            "tenant" => &tenant,
            n if n.starts_with("table") => &table,
            n if n.starts_with("bucket") => &bucket,
            _ => return None,
        })
    })
    .len()
}

/// What each table and bucket adds to the worst case: the worst case of a policy of that
/// resource alone, less the document around its statements.
fn worst_case_parts(model: &HandlerModel) -> Vec<(String, usize)> {
    let envelope = write_document(&[], false).len();
    let alone = |tables: Vec<TableModel>, buckets: Vec<BucketModel>| {
        let m = HandlerModel { tables: tables.into(), buckets: buckets.into(), confinement: model.confinement.clone() };
        worst_case_len(&document(&m, Tenants::Own, false)) - envelope
    };
    let tables = model.tables.iter().map(|t| (t.table.declared().to_owned(), alone(vec![t.clone()], vec![])));
    let buckets = model.buckets.iter().map(|b| (b.bucket.declared().to_owned(), alone(vec![], vec![b.clone()])));
    tables.chain(buckets).collect()
}

impl TableModel {
    fn table_arn(&self, i: usize) -> String {
        let table = name_in_template(&self.table, "table", i);
        format!("arn:{{{{partition}}}}:dynamodb:{{{{region}}}}:{{{{account}}}}:table/{table}")
    }

    /// The statements of this table (the `i`-th of its handler): its actions on the table,
    /// and `Query` (or `PartiQLSelect`) on each declared index, confined to `tenants`' keys.
    fn statements(&self, i: usize, tenants: Tenants<'_>) -> Vec<Statement> {
        let table_arn = self.table_arn(i);
        let actions = self.sorted_actions();
        let condition = Condition::LeadingKeys(self.keys.patterns(tenants));
        let mut statements = vec![Statement {
            sid: "TenantItems".into(),
            actions: actions.iter().map(|a| a.iam_name()).collect(),
            resources: vec![table_arn.clone()],
            condition: condition.clone(),
        }];
        if !self.indexes.is_empty() {
            statements.push(Statement {
                sid: "TenantIndexes".into(),
                actions: actions.iter().filter(|a| a.reads_indexes()).map(|a| a.iam_name()).collect(),
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
    fn statements(&self, i: usize, tenants: Tenants<'_>) -> Vec<Statement> {
        let bucket = name_in_template(&self.bucket, "bucket", i);
        let pattern = self.objects.pattern(tenants);
        let actions = self.sorted_actions();
        let mut statements = Vec::new();
        let objects: Vec<&'static str> = actions.iter().filter(|a| !a.on_bucket()).map(|a| a.iam_name()).collect();
        if !objects.is_empty() {
            statements.push(Statement {
                sid: "TenantObjects".into(),
                actions: objects,
                resources: vec![format!("arn:{{{{partition}}}}:s3:::{bucket}/{pattern}")],
                condition: Condition::None,
            });
        }
        let listing: Vec<&'static str> = actions.iter().filter(|a| a.on_bucket()).map(|a| a.iam_name()).collect();
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

/// Sids are unique within a policy: the second `TenantItems` is `TenantItems2`, …
fn number_sids(statements: &mut [Statement]) {
    let mut seen: Vec<String> = Vec::new();
    for s in statements {
        let n = seen.iter().filter(|k| **k == s.sid).count();
        seen.push(s.sid.clone());
        if n > 0 {
            s.sid = format!("{}{}", s.sid, n + 1);
        }
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

struct Statement {
    /// `TenantItems`, `TenantIndexes`, `TenantObjects` or `TenantListing`, numbered from 2
    /// when a policy has several.
    sid: String,
    /// IAM action names, sorted.
    actions: Vec<&'static str>,
    resources: Vec<String>,
    condition: Condition,
}

/// What confines a statement to a tenant, beside its resources.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Condition {
    /// Object actions: the resource (`…/<prefix><tenant>/*`) is the confinement.
    None,
    /// DynamoDB: the request's `dynamodb:LeadingKeys` are these patterns.
    LeadingKeys(Vec<String>),
    /// `s3:ListBucket`: the request's `s3:prefix` matches this pattern.
    ListPrefix(String),
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
        w.string_array(self.actions.iter().copied());
        w.comma();
        w.key("Resource");
        w.string_array(self.resources.iter().map(String::as_str));
        match &self.condition {
            Condition::None => {}
            Condition::ListPrefix(pattern) => {
                w.comma();
                w.key("Condition");
                w.open('{');
                w.key("StringLike");
                w.open('{');
                w.key("s3:prefix");
                w.string_array([pattern.as_str()].into_iter());
                w.close('}');
                w.close('}');
            }
            Condition::LeadingKeys(patterns) => {
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
                    w.string_array(patterns.iter().map(String::as_str));
                    w.close('}');
                    w.comma();
                }
                w.key("Null");
                w.open('{');
                w.key("dynamodb:LeadingKeys");
                w.string("false");
                w.close('}');
                w.close('}');
            }
        }
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

/// The values a template is rendered with, all validated: the account-level values and the
/// physical name of each table and bucket, in the model's declaration order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    partition: Partition,
    region: String,
    account: String,
    tables: Vec<String>,
    buckets: Vec<String>,
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
    /// Not an S3 bucket name.
    Bucket(String),
    /// Two of a handler's tables, or two of its buckets, bound to one physical name: the guard
    /// could not tell which declaration a request is for.
    Shared(String),
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
            PlacementError::Bucket(b) => write!(
                f,
                "invalid bucket name {b:?}: expected 3-63 characters of `a-z`, `0-9`, `.` and `-`, beginning and ending with a letter or digit"
            ),
            PlacementError::Shared(n) => {
                write!(f, "{n:?} is bound to two of the handler's declarations: give each its own table or bucket")
            }
        }
    }
}

impl std::error::Error for PlacementError {}

impl Placement {
    /// Validates the values a policy is rendered with: partition, region and account, and the
    /// physical names of the handler's tables and buckets in declaration order.
    pub fn new(
        partition: Partition,
        region: &str,
        account: &str,
        tables: &[&str],
        buckets: &[&str],
    ) -> Result<Placement, PlacementError> {
        if region.is_empty()
            || region.len() > MAX_REGION_LEN
            || !region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(PlacementError::Region(region.to_owned()));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PlacementError::Account(account.to_owned()));
        }
        for (i, table) in tables.iter().enumerate() {
            if !is_valid_dynamodb_name(table) {
                return Err(PlacementError::Table((*table).to_owned()));
            }
            if tables[..i].contains(table) {
                return Err(PlacementError::Shared((*table).to_owned()));
            }
        }
        for (i, bucket) in buckets.iter().enumerate() {
            if !is_valid_bucket_name(bucket) {
                return Err(PlacementError::Bucket((*bucket).to_owned()));
            }
            if buckets[..i].contains(bucket) {
                return Err(PlacementError::Shared((*bucket).to_owned()));
            }
        }
        Ok(Placement {
            partition,
            region: region.to_owned(),
            account: account.to_owned(),
            tables: tables.iter().map(|t| (*t).to_owned()).collect(),
            buckets: buckets.iter().map(|b| (*b).to_owned()).collect(),
        })
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
    /// The physical table names, in declaration order.
    pub fn tables(&self) -> &[String] {
        &self.tables
    }
    /// The physical bucket names, in declaration order.
    pub fn buckets(&self) -> &[String] {
        &self.buckets
    }
    /// `arn:<partition>:dynamodb:<region>:<account>:table/<table>` of the `i`-th table.
    pub fn table_arn(&self, i: usize) -> Option<String> {
        let table = self.tables.get(i)?;
        Some(format!("arn:{}:dynamodb:{}:{}:table/{table}", self.partition.as_str(), self.region, self.account))
    }

    /// The value of one placeholder.
    fn value(&self, name: &str) -> Option<&str> {
        let numbered = |rest: &str, names: &'_ [String]| -> Option<usize> {
            let i = if rest.is_empty() { 0 } else { rest.parse::<usize>().ok()?.checked_sub(1)? };
            (i < names.len()).then_some(i)
        };
        Some(match name {
            "partition" => self.partition.as_str(),
            "region" => &self.region,
            "account" => &self.account,
            n => {
                if let Some(rest) = n.strip_prefix("table") {
                    &self.tables[numbered(rest, &self.tables)?]
                } else if let Some(rest) = n.strip_prefix("bucket") {
                    &self.buckets[numbered(rest, &self.buckets)?]
                } else {
                    return None;
                }
            }
        })
    }
}

/// Renders a template produced by [`HandlerModel::compile`] for one tenant.
///
/// Only a [`TenantId`] and a validated [`Placement`] can be substituted, so the output
/// contains no wildcard, variable or separator that the template did not already have.
pub fn render(template: &str, placement: &Placement, tenant: &TenantId) -> String {
    render_with(template, |name| match name {
        "tenant" => Some(tenant.as_str()),
        n => placement.value(n),
    })
}

/// One pass over the template: `{{name}}` → value. Unknown placeholders are kept as
/// written (they cannot occur in a template this crate built).
fn render_with<'a>(template: &str, value: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        match value(&after[..end]) {
            Some(v) => {
                out.push_str(v);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The data-access role's own identity policy: per table, index and bucket, the union of the
/// actions of the handlers on it, still confined to tenant-prefixed keys (with the `Null`
/// guard) and tenant folders, with `{{partition}}`, `{{region}}` and `{{account}}` left open.
/// Fix run-time names first ([`HandlerModel::placed`]).
///
/// Session policies can only narrow this; it bounds what any session could ever do.
pub fn role_policy(models: &[&HandlerModel], pretty: bool) -> String {
    union_policy(models, Tenants::Any, pretty)
}

/// The role policy for session-tag (ABAC) handlers: per table, index and bucket, the union
/// of the actions of the handlers on it, each confined to the tenant named by the session
/// tag `tag`. Sessions of this role carry no session policy, so this policy alone isolates
/// them: never give this role to session-policy handlers, nor the [`role_policy`] role to
/// session-tag handlers.
pub fn tag_role_policy(models: &[&HandlerModel], tag: &str, pretty: bool) -> String {
    union_policy(models, Tenants::Tagged(tag), pretty)
}

/// The union of `models`' statements, least privilege kept per resource: statements are
/// merged (their actions united) only when they name the same resources under the same
/// condition. Two handlers on two tables give two statements, each with its own table's
/// actions: `GetItem` on `Orders` and `DeleteItem` on `Invoices` never become both actions on
/// both tables.
fn union_policy(models: &[&HandlerModel], tenants: Tenants<'_>, pretty: bool) -> String {
    let mut statements: Vec<Statement> = Vec::new();
    for model in models {
        let own = model.tables.iter().enumerate().flat_map(|(i, t)| t.statements(i, tenants));
        let own = own.chain(model.buckets.iter().enumerate().flat_map(|(i, b)| b.statements(i, tenants)));
        for mut new in own {
            new.resources.sort();
            match statements
                .iter_mut()
                .find(|s| s.sid == new.sid && s.resources == new.resources && s.condition == new.condition)
            {
                Some(s) => s.actions.extend(new.actions),
                None => statements.push(new),
            }
        }
    }
    for s in &mut statements {
        s.actions.sort();
        s.actions.dedup();
    }
    number_sids(&mut statements);
    write_document(&statements, pretty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use crate::keys::KeyRule;
    use crate::s3::{ObjectAction, ObjectRule};
    use serde_json::Value;
    use std::borrow::Cow;

    fn spec(actions: &[Action], indexes: &[&str]) -> TableModel {
        TableModel {
            table: PhysicalName::Fixed("Orders".into()),
            indexes: owned(indexes),
            actions: actions.to_vec().into(),
            keys: KeyRule::default(),
        }
    }

    fn owned(names: &[&str]) -> Cow<'static, [Cow<'static, str>]> {
        names.iter().map(|s| Cow::Owned(s.to_string())).collect::<Vec<_>>().into()
    }

    fn placement() -> Placement {
        Placement::new(Partition::Aws, "eu-west-1", "123456789012", &["Orders"], &[]).unwrap()
    }

    fn one(table: TableModel) -> HandlerModel {
        HandlerModel::one_table(table, Confinement::SessionPolicy)
    }

    fn compile(table: TableModel) -> Result<Compiled, Vec<SpecError>> {
        one(table).compile()
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
        let t = compile(s).unwrap();
        let rendered = render(&t.template, &placement(), &TenantId::parse("acme").unwrap());
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
            serde_json::from_str(&render(&t.pretty, &placement(), &TenantId::parse("acme").unwrap())).unwrap();
        assert_eq!(pretty, v);
    }

    #[test]
    fn no_index_statement_unless_declared() {
        let t = compile(spec(&[Action::Query], &[])).unwrap();
        let v: Value =
            serde_json::from_str(&render(&t.template, &placement(), &TenantId::parse("a").unwrap())).unwrap();
        assert_eq!(v["Statement"].as_array().unwrap().len(), 1);
        assert!(!t.template.contains("/index/"));
    }

    #[test]
    fn runtime_table_name_is_a_placeholder() {
        let s = TableModel {
            table: PhysicalName::FromEnv { var: "ORDERS_TABLE".into(), default: "Orders".into() },
            ..spec(&[Action::GetItem], &[])
        };
        let t = compile(s).unwrap();
        assert!(t.template.contains("table/{{table}}"));
        let p = Placement::new(Partition::AwsCn, "cn-north-1", "123456789012", &["orders-prod"], &[]).unwrap();
        let r = render(&t.template, &p, &TenantId::parse("a").unwrap());
        assert!(r.contains("arn:aws-cn:dynamodb:cn-north-1:123456789012:table/orders-prod\""), "{r}");
        assert!(t.worst_case > r.len() + 250);
    }

    #[test]
    fn all_spec_errors_are_reported_together() {
        let s = TableModel {
            table: PhysicalName::Fixed("x".into()),
            indexes: owned(&["ByStatus"]),
            actions: vec![Action::GetItem, Action::GetItem].into(),
            keys: KeyRule::new("T*"),
        };
        let errors = compile(s).unwrap_err();
        assert_eq!(
            errors,
            vec![
                SpecError::DuplicateAction("GetItem"),
                SpecError::BadTableName("x".into()),
                SpecError::IndexesWithoutQuery,
                SpecError::BadKeyPrefix("T*".into()),
            ]
        );
    }

    #[test]
    fn key_prefixes_must_end_with_the_separator() {
        let s = TableModel { keys: KeyRule::new("TENANT"), ..spec(&[Action::GetItem], &[]) };
        assert_eq!(compile(s).unwrap_err(), vec![SpecError::KeyPrefixWithoutSeparator("TENANT".into())]);
    }

    #[test]
    fn oversized_policies_are_refused() {
        let names: Vec<String> = (0..8).map(|i| format!("{}{i}", "I".repeat(150))).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let s = TableModel { indexes: owned(&names), ..spec(Action::ALL, &[]) };
        match compile(s) {
            Err(e) => {
                assert!(
                    matches!(e[..], [SpecError::TooLarge { worst_case, .. }] if worst_case > MAX_SESSION_POLICY_CHARS)
                )
            }
            Ok(t) => panic!("built a {}-char policy", t.worst_case),
        }
    }

    #[test]
    fn worst_case_room_with_a_table_name_from_the_environment() {
        // As docs/DEPLOYING.md states: with `table_env` the worst case counts a 255-character
        // table name in every ARN and a 64-character tenant in four patterns per statement, so
        // one index fits and two do not; all twelve actions fit without an index, not with one.
        let from_env = |actions: &[Action], indexes: &[&str]| TableModel {
            table: PhysicalName::FromEnv { var: "ORDERS_TABLE".into(), default: "Orders".into() },
            ..spec(actions, indexes)
        };
        let too_large = |m: TableModel| matches!(compile(m).unwrap_err()[..], [SpecError::TooLarge { .. }]);
        assert!(compile(from_env(&[Action::Query], &["ByStatus"])).is_ok());
        assert!(too_large(from_env(&[Action::Query], &["ByStatus", "ByCustomer"])));
        assert!(compile(from_env(Action::ALL, &[])).is_ok());
        assert!(too_large(from_env(Action::ALL, &["ByStatus"])));
        // A fixed name leaves room for several indexes.
        assert!(compile(spec(Action::ALL, &["ByStatus", "ByCustomer", "ByDate"])).is_ok());
    }

    #[test]
    fn placement_values_are_validated() {
        let place = |region: &str, account: &str, tables: &[&str], buckets: &[&str]| {
            Placement::new(Partition::Aws, region, account, tables, buckets)
        };
        assert!(place("eu-west-1*", "123456789012", &["Orders"], &[]).is_err());
        assert!(place("eu-west-1", "12345678901", &["Orders"], &[]).is_err());
        assert!(place("eu-west-1", "123456789012", &["Or\"ders"], &[]).is_err());
        assert!(place("eu-west-1", "123456789012", &["Orders"], &["Files"]).is_err());
        assert_eq!(
            place("eu-west-1", "123456789012", &["Orders", "Orders"], &[]),
            Err(PlacementError::Shared("Orders".into()))
        );
    }

    #[test]
    fn tagged_policies_name_the_principal_tag() {
        let s = spec(&[Action::GetItem, Action::Query], &["ByStatus"]);
        let tagged =
            |tag: &str| HandlerModel::one_table(s.clone(), Confinement::SessionTag(tag.to_owned().into())).compile();
        let v: Value = serde_json::from_str(&tagged("tenant").unwrap().template).unwrap();
        for st in v["Statement"].as_array().unwrap() {
            assert_confined(
                st,
                serde_json::json!(["TENANT#${aws:PrincipalTag/tenant}", "TENANT#${aws:PrincipalTag/tenant}#*"]),
            );
        }
        assert_eq!(tagged("aws:tenant").unwrap_err(), vec![SpecError::BadTagKey("aws:tenant".into())]);
        assert_eq!(tagged("ten}ant").unwrap_err(), vec![SpecError::BadTagKey("ten}ant".into())]);
        let union: Value = serde_json::from_str(&tag_role_policy(&[&one(s.clone())], "tenant", false)).unwrap();
        assert_eq!(union["Statement"][0], v["Statement"][0]);
    }

    #[test]
    fn role_policy_keeps_each_tables_actions_to_that_table() {
        let orders = spec(&[Action::GetItem], &[]);
        let orders_query = spec(&[Action::Query], &["ByStatus"]);
        let invoices = TableModel {
            table: PhysicalName::Fixed("Invoices".into()),
            keys: KeyRule::new("ORG#"),
            ..spec(&[Action::DeleteItem], &[])
        };
        let v: Value =
            serde_json::from_str(&role_policy(&[&one(orders), &one(invoices), &one(orders_query)], false)).unwrap();
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
        let v: Value = serde_json::from_str(&role_policy(&[&one(a), &one(b)], false)).unwrap();
        assert_eq!(
            v["Statement"][0]["Action"],
            serde_json::json!(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"])
        );
        assert_eq!(v["Statement"][1]["Action"], serde_json::json!(["dynamodb:Query"]));
        for st in v["Statement"].as_array().unwrap() {
            assert_confined(st, serde_json::json!(["TENANT#*"]));
        }
    }

    fn bucket(actions: &[ObjectAction]) -> BucketModel {
        BucketModel {
            bucket: PhysicalName::FromEnv { var: "FILES_BUCKET".into(), default: "order-files".into() },
            actions: actions.to_vec().into(),
            objects: ObjectRule::new("tenants/"),
        }
    }

    #[test]
    fn each_table_and_bucket_gets_its_own_statements() {
        let customers = TableModel {
            table: PhysicalName::FromEnv { var: "CUSTOMERS_TABLE".into(), default: "Customers".into() },
            keys: KeyRule::new("ORG#"),
            ..spec(&[Action::GetItem], &[])
        };
        let model = HandlerModel {
            tables: vec![spec(&[Action::PutItem, Action::Query], &[]), customers].into(),
            buckets: vec![BucketModel {
                bucket: PhysicalName::Fixed("files-prod".into()),
                ..bucket(&[ObjectAction::PutObject, ObjectAction::GetObject, ObjectAction::ListBucket])
            }]
            .into(),
            confinement: Confinement::SessionPolicy,
        };
        let t = model.compile().unwrap();
        // The second table is the first bound at run time, but placeholders number by position.
        assert!(t.template.contains("table/{{table2}}") && !t.template.contains("{{table}}"), "{}", t.template);
        let p =
            Placement::new(Partition::Aws, "eu-west-1", "123456789012", &["Orders", "customers-prod"], &["files-prod"])
                .unwrap();
        let v: Value = serde_json::from_str(&render(&t.template, &p, &TenantId::parse("acme").unwrap())).unwrap();
        let st = v["Statement"].as_array().unwrap();
        let sids: Vec<&str> = st.iter().map(|s| s["Sid"].as_str().unwrap()).collect();
        assert_eq!(sids, ["TenantItems", "TenantItems2", "TenantObjects", "TenantListing"]);
        assert_eq!(st[0]["Action"], serde_json::json!(["dynamodb:PutItem", "dynamodb:Query"]));
        assert_confined(&st[0], serde_json::json!(["TENANT#acme", "TENANT#acme#*"]));
        assert_eq!(st[1]["Action"], serde_json::json!(["dynamodb:GetItem"]));
        assert_eq!(
            st[1]["Resource"],
            serde_json::json!(["arn:aws:dynamodb:eu-west-1:123456789012:table/customers-prod"])
        );
        assert_confined(&st[1], serde_json::json!(["ORG#acme", "ORG#acme#*"]));
        assert_eq!(st[2]["Action"], serde_json::json!(["s3:GetObject", "s3:PutObject"]));
        assert_eq!(st[2]["Resource"], serde_json::json!(["arn:aws:s3:::files-prod/tenants/acme/*"]));
        assert!(st[2].get("Condition").is_none());
        assert_eq!(st[3]["Action"], serde_json::json!(["s3:ListBucket"]));
        assert_eq!(st[3]["Resource"], serde_json::json!(["arn:aws:s3:::files-prod"]));
        assert_eq!(st[3]["Condition"], serde_json::json!({"StringLike": {"s3:prefix": ["tenants/acme/*"]}}));
        assert!(!render(&t.template, &p, &TenantId::parse("acme").unwrap()).contains("{{"));
    }

    #[test]
    fn a_policy_too_large_names_what_each_resource_costs() {
        let from_env = |var: &'static str| TableModel {
            table: PhysicalName::FromEnv { var: var.into(), default: "Orders".into() },
            ..spec(&[Action::GetItem, Action::Query], &[])
        };
        let model = HandlerModel {
            tables: vec![
                from_env("A_TABLE"),
                TableModel {
                    table: PhysicalName::FromEnv { var: "B_TABLE".into(), default: "Other".into() },
                    ..from_env("B_TABLE")
                },
            ]
            .into(),
            buckets: vec![bucket(&[ObjectAction::GetObject])].into(),
            confinement: Confinement::SessionPolicy,
        };
        let errors = model.compile().unwrap_err();
        let [SpecError::TooLarge { worst_case, parts }] = &errors[..] else { panic!("{errors:?}") };
        assert!(*worst_case > MAX_SESSION_POLICY_CHARS);
        assert_eq!(parts.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["Orders", "Other", "order-files"]);
        let text = errors[0].to_string();
        assert!(
            text.contains("STS accepts at most 2048")
                && text.contains("`Orders`: ")
                && text.contains("session-tag mode"),
            "{text}"
        );
        // The same model in session-tag mode sends no session policy, so its size is no limit.
        let tagged = HandlerModel { confinement: Confinement::SessionTag("tenant".into()), ..model };
        let t = tagged.compile().unwrap();
        assert!(t.template.contains("tenants/${aws:PrincipalTag/tenant}/*"), "{}", t.template);
    }

    #[test]
    fn duplicate_resources_are_refused() {
        let model = HandlerModel {
            tables: vec![spec(&[Action::GetItem], &[]), spec(&[Action::PutItem], &[])].into(),
            buckets: vec![bucket(&[ObjectAction::GetObject]), bucket(&[ObjectAction::PutObject])].into(),
            confinement: Confinement::SessionPolicy,
        };
        assert_eq!(
            model.compile().unwrap_err(),
            [SpecError::DuplicateTable("Orders".into()), SpecError::DuplicateBucket("order-files".into())]
        );
        let empty = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Borrowed(&[]),
            confinement: Confinement::SessionPolicy,
        };
        assert_eq!(empty.compile().unwrap_err(), [SpecError::NoResources]);
    }

    #[test]
    fn role_policies_keep_bucket_actions_to_the_bucket() {
        let a = HandlerModel {
            tables: vec![spec(&[Action::GetItem], &[])].into(),
            buckets: vec![bucket(&[ObjectAction::GetObject, ObjectAction::ListBucket])].into(),
            confinement: Confinement::SessionPolicy,
        }
        .placed(&["Orders"], &["files-prod"]);
        let b = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: vec![bucket(&[ObjectAction::PutObject])].into(),
            confinement: Confinement::SessionPolicy,
        }
        .placed(&[], &["files-prod"]);
        let v: Value = serde_json::from_str(&role_policy(&[&a, &b], false)).unwrap();
        let st = v["Statement"].as_array().unwrap();
        assert_eq!(st.len(), 3, "{v}");
        assert_eq!(st[1]["Action"], serde_json::json!(["s3:GetObject", "s3:PutObject"]));
        assert_eq!(st[1]["Resource"], serde_json::json!(["arn:{{partition}}:s3:::files-prod/tenants/*"]));
        assert_eq!(st[2]["Condition"], serde_json::json!({"StringLike": {"s3:prefix": ["tenants/*"]}}));
    }
}
