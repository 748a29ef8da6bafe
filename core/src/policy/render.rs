//! Filling a template's placeholders for one tenant.

use super::placement::Placement;
use crate::tenant::TenantId;

/// Renders a template produced by [`HandlerModel::compile`](crate::HandlerModel::compile) for
/// one tenant.
///
/// Only a [`TenantId`] and a validated [`Placement`] can be substituted, so the output
/// contains no wildcard, variable or separator that the template did not already have.
pub fn render(template: &str, placement: &Placement, tenant: &TenantId) -> String {
    render_with(template, |name| match name {
        "tenant" => Some(tenant.as_str()),
        n => placement.value(n),
    })
}

/// The longest a template renders to in this placement (its real names, partition, region and
/// account): with a tenant id of the longest length. What the runtime checks against STS's
/// limit before a handler's first session, since the compiled bound counts table names bound
/// at run time at [`MAX_BOUND_TABLE_NAME_LEN`](crate::MAX_BOUND_TABLE_NAME_LEN) characters.
pub fn worst_case_for(template: &str, placement: &Placement) -> usize {
    let tenant = "x".repeat(crate::tenant::MAX_TENANT_ID_LEN);
    render_with(template, |name| match name {
        "tenant" => Some(tenant.as_str()),
        n => placement.value(n),
    })
    .len()
}

/// One pass over the template: `{{name}}` → value. Unknown placeholders are kept as
/// written (they cannot occur in a template this crate built).
pub(super) fn render_with<'a>(template: &str, value: impl Fn(&str) -> Option<&'a str>) -> String {
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
