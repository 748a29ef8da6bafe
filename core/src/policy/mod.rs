//! Session-policy templates: built once (at compile time by the macro), rendered per tenant.
//!
//! A template is ordinary IAM policy JSON with placeholders that the runtime fills:
//! `{{partition}}`, `{{region}}`, `{{account}}`, `{{tenant}}` and, for each table, bucket or
//! shared queue whose name is bound at run time, `{{table}}`, `{{table2}}`, …, `{{bucket}}`,
//! `{{bucket2}}`, … and `{{queue}}`, `{{queue2}}`, … (numbered by declaration order among the
//! handler's tables, buckets and shared queues), and for each customer-managed KMS key id bound
//! at run time `{{kms}}`, `{{kms2}}`, … (among the handler's KMS keys). The braces cannot collide with IAM policy variables
//! (`${...}`), and every value that replaces them is validated to a charset that needs no
//! JSON escaping and holds no IAM wildcard.
//!
//! For `table = "Orders", actions = [GetItem, Query], indexes = ["ByStatus"]` the template is
//! (pretty-printed here; the compact form, without any whitespace, is what is sent to STS):
//!
//! ```json
//! {
//!   "Version": "2012-10-17",
//!   "Statement": [
//!     {
//!       "Effect": "Allow",
//!       "Action": ["dynamodb:GetItem", "dynamodb:Query"],
//!       "Resource": ["arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/Orders"],
//!       "Condition": {
//!         "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["TENANT#{{tenant}}", "TENANT#{{tenant}}#*"]},
//!         "ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["*"]},
//!         "Null": {"dynamodb:LeadingKeys": "false"}
//!       }
//!     },
//!     { "Action": ["dynamodb:Query"], "Resource": [".../table/Orders/index/ByStatus"], ... }
//!   ]
//! }
//! ```
//!
//! A session policy has no `Sid`s, and resources that share exactly the same actions and the
//! same condition share one statement: with `actions = [Query]` alone, the table and its index
//! are one statement naming both ARNs. Each further table adds its own statements with its own
//! actions and key patterns; a bucket adds one for its object actions on
//! `arn:{{partition}}:s3:::<bucket>/<prefix>{{tenant}}/*` and, with `ListBucket`, one on the
//! bucket with `s3:prefix` confined to `<prefix>{{tenant}}/*`. The role policies keep a `Sid`
//! per statement (`TenantItems`, `TenantIndexes`, `TenantObjects`, `TenantListing`).
//! Actions declared on one resource are never granted on another.

// This file compiles a model into its template and bounds the template's size. The parts:
// `statement` (what each table, index and bucket grants), `json` (how statements are written),
// `role` (the roles' union policies), `placement` (the validated values a template is rendered
// with) and `render` (filling the placeholders). None of them reads this file.
mod json;
mod placement;
mod render;
mod role;
mod statement;
#[cfg(test)]
mod tests;

pub use placement::{MAX_REGION_LEN, Partition, Placement, PlacementError};
pub use render::{render, worst_case_for};
pub use role::{role_policy, tag_role_policy};

use crate::keys::Tenants;
use crate::kms::KMS_KEY_ID_LEN;
use crate::model::{
    BucketModel, Compiled, Confinement, HandlerModel, MAX_BOUND_TABLE_NAME_LEN, MAX_SESSION_POLICY_CHARS, SpecError,
    TableModel,
};
use crate::named::{MAX_QUEUE_NAME_LEN, NamedModel};
use crate::tenant::MAX_TENANT_ID_LEN;
use json::{Sids, write_document};
use render::render_with;
use statement::{merge_alike, number_sids, statements_of};

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

/// The policy document of `model` confined to `tenants`' keys, compact or indented.
///
/// A session policy (`Tenants::Own`) is what STS receives and counts against its limit, so it
/// is written as small as it can be without widening: no `Sid`s, and one statement for the
/// resources that share the same actions and condition (`merge_alike`). A session-tag
/// handler's template is a role policy (`tag_role_policy` unites it with others by `Sid`), so
/// it keeps one statement per resource kind and its `Sid`s.
fn document(model: &HandlerModel, tenants: Tenants<'_>, pretty: bool) -> String {
    let mut statements = statements_of(model, tenants);
    if matches!(tenants, Tenants::Own) {
        return write_document(&merge_alike(statements), pretty, Sids::Omitted);
    }
    number_sids(&mut statements);
    write_document(&statements, pretty, Sids::Written)
}

/// The longest rendering of a template: the longest region, a
/// [`MAX_BOUND_TABLE_NAME_LEN`]-character table name, a 63-character bucket name, an
/// 80-character queue name ([`MAX_QUEUE_NAME_LEN`], SQS's longest) and a 36-character KMS key
/// id ([`KMS_KEY_ID_LEN`]) in every placeholder, and a tenant id of the longest length.
fn worst_case_len(template: &str) -> usize {
    let region = "x".repeat(MAX_REGION_LEN);
    let table = "t".repeat(MAX_BOUND_TABLE_NAME_LEN);
    let bucket = "b".repeat(63);
    let queue = "q".repeat(MAX_QUEUE_NAME_LEN);
    let kms = "k".repeat(KMS_KEY_ID_LEN);
    let tenant = "x".repeat(MAX_TENANT_ID_LEN);
    render_with(template, |name| {
        Some(match name {
            "partition" => "aws-us-gov",
            "region" => &region,
            "account" => "000000000000",
            "tenant" => &tenant,
            n if n.starts_with("table") => &table,
            n if n.starts_with("bucket") => &bucket,
            n if n.starts_with("queue") => &queue,
            n if n.starts_with("kms") => &kms,
            _ => return None,
        })
    })
    .len()
}

/// What each table and bucket adds to the worst case: the worst case of a policy of that
/// resource alone, less the document around its statements.
fn worst_case_parts(model: &HandlerModel) -> Vec<(String, usize)> {
    let envelope = write_document(&[], false, Sids::Omitted).len();
    let alone = |tables: Vec<TableModel>, buckets: Vec<BucketModel>, named: Vec<NamedModel>| {
        let m = HandlerModel {
            tables: tables.into(),
            buckets: buckets.into(),
            named: named.into(),
            confinement: model.confinement.clone(),
        };
        worst_case_len(&document(&m, Tenants::Own, false)) - envelope
    };
    let tables = model.tables.iter().map(|t| (t.table.declared().to_owned(), alone(vec![t.clone()], vec![], vec![])));
    let buckets =
        model.buckets.iter().map(|b| (b.bucket.declared().to_owned(), alone(vec![], vec![b.clone()], vec![])));
    let named = model.named.iter().map(|n| (n.name.to_string(), alone(vec![], vec![], vec![n.clone()])));
    tables.chain(buckets).chain(named).collect()
}
