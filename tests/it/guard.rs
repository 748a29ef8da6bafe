//! The key guard refuses cross-tenant keys and undeclared operations before sending.

use crate::common::{isolation, items, read_only, unique};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use std::collections::HashMap;
use tenant_isolation::{Action, GuardViolation, Scope, TenantId, TenantTable, Violation, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [BatchGetItem, BatchWriteItem, GetItem, PutItem, ConditionCheckItem])]
pub async fn batcher(
    table: TenantTable,
    event: lambda_runtime::LambdaEvent<aws_lambda_events::apigw::ApiGatewayV2httpRequest>,
) -> Result<aws_lambda_events::apigw::ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = (table, event);
    Ok(Default::default())
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

async fn scope(spec: &'static tenant_isolation::HandlerSpec, tenant: &str) -> Scope {
    isolation().await.enter(spec, &TenantId::parse(tenant).unwrap(), None).await.unwrap()
}

/// Runs a request on `scope`'s client inside the scope and returns the guard's verdict:
/// `None` if the request was let through (whatever the server answered).
macro_rules! verdict {
    ($scope:expr, |$c:ident, $t:ident| $req:expr) => {{
        let scope: Scope = $scope.clone();
        let $c = scope.client().clone();
        let $t = scope.table_name().to_owned();
        let result = scope.run(async move { $req.send().await.map(|_| ()) }).await;
        result.err().and_then(|e| GuardViolation::find(&e).map(|v| v.violation().clone()))
    }};
}

#[tokio::test]
async fn item_keys_must_be_the_tenants_own() {
    let acme = scope(items::SPEC, "acme").await;
    let foreign = Some(Violation::ForeignKey { attribute: "pk".into() });
    assert_eq!(verdict!(acme, |c, t| c.get_item().table_name(t).set_key(Some(key("TENANT#globex", "x")))), foreign);
    // Prefix collisions: another tenant whose id starts with ours.
    assert_eq!(verdict!(acme, |c, t| c.get_item().table_name(t).set_key(Some(key("TENANT#acmex", "x")))), foreign);
    assert_eq!(verdict!(acme, |c, t| c.get_item().table_name(t).set_key(Some(key("TENANT#acme-corp", "x")))), foreign);
    assert_eq!(verdict!(acme, |c, t| c.get_item().table_name(t).set_key(Some(key("tenant#acme", "x")))), foreign);
    assert_eq!(
        verdict!(acme, |c, t| c.get_item().table_name(t).key("pk", AttributeValue::N("1".into())).key("sk", s("x"))),
        foreign,
        "a non-string partition key is never the tenant's"
    );
    assert_eq!(
        verdict!(acme, |c, t| c.get_item().table_name(t).key("sk", s("x"))),
        Some(Violation::MissingKey { attribute: "pk".into() })
    );
    // Own keys pass: the bare partition and composite keys under it.
    assert_eq!(verdict!(acme, |c, t| c.get_item().table_name(t).set_key(Some(key("TENANT#acme", "x")))), None);
    let own_item = key("TENANT#acme#sub", &unique("guard"));
    assert_eq!(verdict!(acme, |c, t| c.put_item().table_name(t).set_item(Some(own_item))), None);
    // Smuggling another tenant's prefix after ours stays inside our own key space.
    assert_eq!(
        verdict!(acme, |c, t| c.get_item().table_name(t).set_key(Some(key("TENANT#acme#TENANT#globex", "x")))),
        None
    );
}

#[tokio::test]
async fn queries_must_pin_the_tenants_partition() {
    let acme = scope(items::SPEC, "acme").await;
    let foreign = Some(Violation::ForeignKey { attribute: "pk".into() });
    assert_eq!(
        verdict!(acme, |c, t| c
            .query()
            .table_name(t)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("TENANT#globex"))),
        foreign
    );
    assert_eq!(
        verdict!(acme, |c, t| c
            .query()
            .table_name(t)
            .key_condition_expression("#k = :p AND begins_with(sk, :o)")
            .expression_attribute_names("#k", "pk")
            .expression_attribute_values(":p", s("TENANT#globex"))
            .expression_attribute_values(":o", s("ORDER#"))),
        foreign
    );
    assert_eq!(
        verdict!(acme, |c, t| c
            .query()
            .table_name(t)
            .key_condition_expression("sk = :p")
            .expression_attribute_values(":p", s("TENANT#acme"))),
        Some(Violation::MissingKey { attribute: "pk".into() })
    );
    assert_eq!(
        verdict!(acme, |c, t| c
            .query()
            .table_name(t)
            .index_name("ByStatus")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("TENANT#acme"))),
        Some(Violation::Index("ByStatus".into())),
        "`items` did not declare the index"
    );
    assert_eq!(
        verdict!(acme, |c, t| c
            .query()
            .table_name(t)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("TENANT#acme"))),
        None
    );
}

#[tokio::test]
async fn undeclared_operations_and_other_tables_are_refused() {
    let reader = scope(read_only::SPEC, "acme").await;
    assert_eq!(
        verdict!(reader, |c, t| c.put_item().table_name(t).set_item(Some(key("TENANT#acme", "x")))),
        Some(Violation::UndeclaredAction(Action::PutItem))
    );
    assert_eq!(verdict!(reader, |c, t| c.scan().table_name(t)), Some(Violation::Operation));
    assert_eq!(verdict!(reader, |c, _t| c.describe_table().table_name("Orders")), Some(Violation::Operation));
    assert_eq!(
        verdict!(reader, |c, _t| c.get_item().table_name("Invoices").set_key(Some(key("TENANT#acme", "x")))),
        Some(Violation::Table("Invoices".into()))
    );
    assert_eq!(
        verdict!(reader, |c, _t| c.execute_statement().statement("SELECT * FROM \"Orders\" WHERE pk = 'TENANT#acme'")),
        Some(Violation::UndeclaredAction(Action::PartiQLSelect))
    );
}

#[tokio::test]
async fn batches_mixing_tenants_are_refused_whole() {
    let acme = scope(batcher::SPEC, "acme").await;
    let foreign = Some(Violation::ForeignKey { attribute: "pk".into() });
    let keys = |pks: &[&str]| {
        KeysAndAttributes::builder().set_keys(Some(pks.iter().map(|p| key(p, "x")).collect())).build().unwrap()
    };
    assert_eq!(
        verdict!(acme, |c, t| c.batch_get_item().request_items(t, keys(&["TENANT#acme", "TENANT#globex"]))),
        foreign
    );
    let put = |pk: &str| {
        WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(key(pk, "x"))).build().unwrap()).build()
    };
    assert_eq!(
        verdict!(acme, |c, t| c
            .batch_write_item()
            .request_items(t, vec![put("TENANT#acme#1"), put("TENANT#globex#1")])),
        foreign
    );
    assert_eq!(
        verdict!(acme, |c, t| c.batch_get_item().request_items(t, keys(&["TENANT#acme", "TENANT#acme#2"]))),
        None
    );
}

#[tokio::test]
async fn typed_transactions_are_guarded_item_by_item() {
    let acme = scope(batcher::SPEC, "acme").await;
    let table: TenantTable<batcher> = acme.table().unwrap();
    let result = acme
        .clone()
        .run(async move {
            let tx = table
                .transact_write()?
                .put(key("TENANT#acme", &unique("tx")))
                .condition_check(key("TENANT#globex", "x"), "attribute_exists(pk)");
            let sent = tx.into_builder().map_err(|e| e.to_string())?.send().await;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(
                sent.err().and_then(|e| GuardViolation::find(&e).map(|v| v.violation().clone())),
            )
        })
        .await
        .unwrap();
    assert_eq!(result, Some(Violation::ForeignKey { attribute: "pk".into() }));
}

/// The refused request never reaches the server: moto's request recorder sees the allowed
/// control request and not the refused one.
#[tokio::test]
async fn refused_requests_never_leave_the_process() {
    let (moto, _) = tenant_isolation_tests::shared();
    let http = reqwest::Client::new();
    let api = format!("{}/moto-api/recorder", moto.endpoint());
    http.post(format!("{api}/reset-recording")).send().await.unwrap().error_for_status().unwrap();
    http.post(format!("{api}/start-recording")).send().await.unwrap().error_for_status().unwrap();
    let acme = scope(items::SPEC, "acme").await;
    let refused_marker = unique("refused");
    let control_marker = unique("control");
    let (refused_key, control_key) = (key("TENANT#globex", &refused_marker), key("TENANT#acme", &control_marker));
    let refused = verdict!(acme, |c, t| c.get_item().table_name(t).set_key(Some(refused_key)));
    let control = verdict!(acme, |c, t| c.get_item().table_name(t).set_key(Some(control_key)));
    http.post(format!("{api}/stop-recording")).send().await.unwrap().error_for_status().unwrap();
    let recording = http.get(format!("{api}/download-recording")).send().await.unwrap().text().await.unwrap();
    // One JSON entry per line; bodies are base64 when `body_encoded`.
    let bodies: Vec<String> = recording
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|entry| {
            let body = entry["body"].as_str().unwrap_or_default();
            if entry["body_encoded"] == true {
                use base64::Engine as _;
                String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(body).unwrap_or_default())
                    .into_owned()
            } else {
                body.to_owned()
            }
        })
        .collect();
    assert!(refused.is_some() && control.is_none());
    assert!(bodies.iter().any(|b| b.contains(&control_marker)), "the recorder saw the allowed request");
    assert!(!bodies.iter().any(|b| b.contains(&refused_marker)), "the refused request reached the server");
}
