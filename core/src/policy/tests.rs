//! Compiling a model end to end: its errors, its size, and the policy it renders to.

use super::{Partition, Placement, render, tag_role_policy};
use crate::action::Action;
use crate::keys::KeyRule;
use crate::model::{
    BucketModel, Compiled, Confinement, HandlerModel, MAX_SESSION_POLICY_CHARS, PhysicalName, SpecError, TableModel,
};
use crate::s3::{ObjectAction, ObjectRule};
use crate::tenant::TenantId;
use serde_json::Value;
use std::borrow::Cow;

pub(super) fn spec(actions: &[Action], indexes: &[&str]) -> TableModel {
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

pub(super) fn one(table: TableModel) -> HandlerModel {
    HandlerModel::one_table(table, Confinement::SessionPolicy)
}

fn compile(table: TableModel) -> Result<Compiled, Vec<SpecError>> {
    one(table).compile()
}

/// A tenant statement's condition: every key is one of `patterns` (`ForAllValues`), there is
/// at least one key (`ForAnyValue` on `*`: an absent or empty key set fails), and the key is
/// present (`Null: false`). Nothing else.
#[track_caller]
pub(super) fn assert_confined(statement: &Value, patterns: Value) {
    assert_eq!(
        statement["Condition"],
        serde_json::json!({
            "ForAllValues:StringLike": { "dynamodb:LeadingKeys": patterns },
            "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": ["*"] },
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
    let v: Value = serde_json::from_str(&render(&t.template, &placement(), &TenantId::parse("a").unwrap())).unwrap();
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
            assert!(matches!(e[..], [SpecError::TooLarge { worst_case, .. }] if worst_case > MAX_SESSION_POLICY_CHARS))
        }
        Ok(t) => panic!("built a {}-char policy", t.worst_case),
    }
}

#[test]
fn worst_case_room_with_a_table_name_from_the_environment() {
    // As docs/DEPLOYING.md states: with `table_env` the worst case counts a 128-character
    // table name in every ARN (`MAX_BOUND_TABLE_NAME_LEN`; the runtime checks the real names)
    // and a 64-character tenant in two patterns per statement. A handler that only queries has
    // one statement for its table and its indexes, so six indexes fit and seven do not; with
    // `GetItem` beside `Query` the indexes have a statement of their own, and four fit, five do
    // not; all twelve actions fit with three indexes, not with four.
    let from_env = |actions: &[Action], indexes: &[&str]| TableModel {
        table: PhysicalName::FromEnv { var: "ORDERS_TABLE".into(), default: "Orders".into() },
        ..spec(actions, indexes)
    };
    let too_large = |m: TableModel| matches!(compile(m).unwrap_err()[..], [SpecError::TooLarge { .. }]);
    let indexes = ["ByStatus", "ByCustomer", "ByDate", "ByRegion", "ByOwner", "ByTotal", "ByItem"];
    assert!(compile(from_env(&[Action::Query], &indexes[..6])).is_ok());
    assert!(too_large(from_env(&[Action::Query], &indexes[..7])));
    assert!(compile(from_env(&[Action::GetItem, Action::Query], &indexes[..4])).is_ok());
    assert!(too_large(from_env(&[Action::GetItem, Action::Query], &indexes[..5])));
    assert!(compile(from_env(Action::ALL, &indexes[..3])).is_ok());
    assert!(too_large(from_env(Action::ALL, &indexes[..4])));
    // A fixed name leaves room for several indexes.
    assert!(compile(spec(Action::ALL, &["ByStatus", "ByCustomer", "ByDate"])).is_ok());
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

pub(super) fn bucket(actions: &[ObjectAction]) -> BucketModel {
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
        named: Cow::Borrowed(&[]),
        confinement: Confinement::SessionPolicy,
    };
    let t = model.compile().unwrap();
    // The second table is the first bound at run time, but placeholders number by position.
    assert!(t.template.contains("table/{{table2}}") && !t.template.contains("{{table}}"), "{}", t.template);
    let p = Placement::new(Partition::Aws, "eu-west-1", "123456789012", &["Orders", "customers-prod"], &["files-prod"])
        .unwrap();
    let v: Value = serde_json::from_str(&render(&t.template, &p, &TenantId::parse("acme").unwrap())).unwrap();
    let st = v["Statement"].as_array().unwrap();
    // Four statements (the actions differ between each pair), none with a `Sid`.
    assert_eq!(st.len(), 4, "{v}");
    assert!(st.iter().all(|s| s.get("Sid").is_none()), "{v}");
    assert_eq!(st[0]["Action"], serde_json::json!(["dynamodb:PutItem", "dynamodb:Query"]));
    assert_confined(&st[0], serde_json::json!(["TENANT#acme", "TENANT#acme#*"]));
    assert_eq!(st[1]["Action"], serde_json::json!(["dynamodb:GetItem"]));
    assert_eq!(st[1]["Resource"], serde_json::json!(["arn:aws:dynamodb:eu-west-1:123456789012:table/customers-prod"]));
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
            TableModel { indexes: owned(&["ByStatus", "ByCustomer"]), ..from_env("A_TABLE") },
            // Another key prefix: its statement is not merged with the first table's.
            TableModel {
                table: PhysicalName::FromEnv { var: "B_TABLE".into(), default: "Other".into() },
                keys: KeyRule::new("ORG#"),
                ..from_env("B_TABLE")
            },
        ]
        .into(),
        buckets: vec![bucket(&[ObjectAction::GetObject])].into(),
        named: Cow::Borrowed(&[]),
        confinement: Confinement::SessionPolicy,
    };
    let errors = model.compile().unwrap_err();
    let [SpecError::TooLarge { worst_case, parts }] = &errors[..] else { panic!("{errors:?}") };
    assert!(*worst_case > MAX_SESSION_POLICY_CHARS);
    assert_eq!(parts.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["Orders", "Other", "order-files"]);
    let text = errors[0].to_string();
    assert!(
        text.contains("STS accepts at most 2048") && text.contains("`Orders`: ") && text.contains("session-tag mode"),
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
        named: Cow::Borrowed(&[]),
        confinement: Confinement::SessionPolicy,
    };
    assert_eq!(
        model.compile().unwrap_err(),
        [SpecError::DuplicateTable("Orders".into()), SpecError::DuplicateBucket("order-files".into())]
    );
    let empty = HandlerModel {
        tables: Cow::Borrowed(&[]),
        buckets: Cow::Borrowed(&[]),
        named: Cow::Borrowed(&[]),
        confinement: Confinement::SessionPolicy,
    };
    assert_eq!(empty.compile().unwrap_err(), [SpecError::NoResources]);
}

#[test]
fn resources_with_the_same_actions_and_condition_share_a_statement() {
    // `Query` on the table and on its index, under the same keys: one statement, both ARNs.
    let t = compile(spec(&[Action::Query], &["ByStatus"])).unwrap();
    let v: Value = serde_json::from_str(&render(&t.template, &placement(), &TenantId::parse("acme").unwrap())).unwrap();
    let st = v["Statement"].as_array().unwrap();
    assert_eq!(st.len(), 1, "{v}");
    assert_eq!(st[0]["Action"], serde_json::json!(["dynamodb:Query"]));
    assert_eq!(
        st[0]["Resource"],
        serde_json::json!([
            "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/index/ByStatus"
        ])
    );
    assert_confined(&st[0], serde_json::json!(["TENANT#acme", "TENANT#acme#*"]));

    // Two tables and two buckets: merged only where actions and condition are both the same.
    let table = |name: &'static str, prefix: &'static str, actions: &[Action]| TableModel {
        table: PhysicalName::Fixed(name.into()),
        keys: KeyRule::new(prefix),
        ..spec(actions, &[])
    };
    let in_bucket = |name: &'static str, actions: &[ObjectAction]| BucketModel {
        bucket: PhysicalName::Fixed(name.into()),
        ..bucket(actions)
    };
    let summary = |model: &HandlerModel| -> Vec<(Value, Value, Value)> {
        let t = model.compile().unwrap();
        let p = Placement::new(Partition::Aws, "eu-west-1", "123456789012", &[], &[]).unwrap();
        let v: Value = serde_json::from_str(&render(&t.template, &p, &TenantId::parse("acme").unwrap())).unwrap();
        let st = v["Statement"].as_array().unwrap();
        assert!(st.iter().all(|s| s.get("Sid").is_none()), "{v}");
        st.iter()
            .map(|s| (s["Action"].clone(), s["Resource"].clone(), s.get("Condition").cloned().unwrap_or(Value::Null)))
            .collect()
    };
    let tables = HandlerModel {
        tables: vec![
            table("Orders", "TENANT#", &[Action::GetItem]),
            table("Invoices", "ORG#", &[Action::GetItem]),
            table("Customers", "TENANT#", &[Action::GetItem]),
            table("Archive", "TENANT#", &[Action::GetItem, Action::Query]),
        ]
        .into(),
        buckets: Cow::Borrowed(&[]),
        named: Cow::Borrowed(&[]),
        confinement: Confinement::SessionPolicy,
    };
    let arn = |r: &str| format!("arn:aws:dynamodb:eu-west-1:123456789012:table/{r}");
    let keys = |prefix: &str| {
        let patterns = serde_json::json!([format!("{prefix}acme"), format!("{prefix}acme#*")]);
        serde_json::json!({
            "ForAllValues:StringLike": { "dynamodb:LeadingKeys": patterns },
            "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": ["*"] },
            "Null": { "dynamodb:LeadingKeys": "false" },
        })
    };
    assert_eq!(
        summary(&tables),
        [
            // Orders and Customers: same action, same key prefix.
            (
                serde_json::json!(["dynamodb:GetItem"]),
                serde_json::json!([arn("Orders"), arn("Customers")]),
                keys("TENANT#")
            ),
            // Invoices: same action, another key prefix.
            (serde_json::json!(["dynamodb:GetItem"]), serde_json::json!([arn("Invoices")]), keys("ORG#")),
            // Archive: same key prefix, other actions.
            (
                serde_json::json!(["dynamodb:GetItem", "dynamodb:Query"]),
                serde_json::json!([arn("Archive")]),
                keys("TENANT#")
            ),
        ]
    );
    let buckets = HandlerModel {
        tables: Cow::Borrowed(&[]),
        buckets: vec![
            in_bucket("files-a", &[ObjectAction::GetObject, ObjectAction::ListBucket]),
            in_bucket("files-b", &[ObjectAction::GetObject, ObjectAction::ListBucket]),
            in_bucket("files-c", &[ObjectAction::PutObject]),
        ]
        .into(),
        named: Cow::Borrowed(&[]),
        confinement: Confinement::SessionPolicy,
    };
    let listing = serde_json::json!({"StringLike": {"s3:prefix": ["tenants/acme/*"]}});
    assert_eq!(
        summary(&buckets),
        [
            (
                serde_json::json!(["s3:GetObject"]),
                serde_json::json!(["arn:aws:s3:::files-a/tenants/acme/*", "arn:aws:s3:::files-b/tenants/acme/*"]),
                Value::Null
            ),
            (
                serde_json::json!(["s3:ListBucket"]),
                serde_json::json!(["arn:aws:s3:::files-a", "arn:aws:s3:::files-b"]),
                listing
            ),
            (
                serde_json::json!(["s3:PutObject"]),
                serde_json::json!(["arn:aws:s3:::files-c/tenants/acme/*"]),
                Value::Null
            ),
        ]
    );
    // The role policies keep one statement per resource kind, each with its `Sid`.
    let role: Value = serde_json::from_str(&super::role_policy(&[&tables, &buckets], false)).unwrap();
    let sids: Vec<&str> = role["Statement"].as_array().unwrap().iter().map(|s| s["Sid"].as_str().unwrap()).collect();
    assert_eq!(sids.len(), 4 + 5, "{role}");
}
