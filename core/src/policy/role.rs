//! The roles' own identity policies: the union of many handlers' statements.

use super::json::{Sids, write_document};
use super::statement::{Statement, number_sids, statements_of};
use crate::keys::Tenants;
use crate::model::HandlerModel;

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
        for mut new in statements_of(model, tenants) {
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
    write_document(&statements, pretty, Sids::Written)
}

#[cfg(test)]
mod tests {
    use super::role_policy;
    use crate::action::Action;
    use crate::keys::KeyRule;
    use crate::model::{Confinement, HandlerModel, PhysicalName, TableModel};
    use crate::policy::tests::{assert_confined, bucket, one, spec};
    use crate::s3::ObjectAction;
    use serde_json::Value;
    use std::borrow::Cow;

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

    #[test]
    fn role_policies_keep_bucket_actions_to_the_bucket() {
        let a = HandlerModel {
            tables: vec![spec(&[Action::GetItem], &[])].into(),
            buckets: vec![bucket(&[ObjectAction::GetObject, ObjectAction::ListBucket])].into(),
            named: Cow::Borrowed(&[]),
            confinement: Confinement::SessionPolicy,
        }
        .placed(&["Orders"], &["files-prod"]);
        let b = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: vec![bucket(&[ObjectAction::PutObject])].into(),
            named: Cow::Borrowed(&[]),
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
