//! `Local` against moto: the deployment's tenant claim, and moto's request recorder telling which
//! tenant's session signed each request.

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use lambda_http::{Body, Error, Request, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use tenant_isolation::{TenantId, TenantTable, tenant_isolated};
use tenant_isolation_testkit::{Local, tokens};

/// Reads the calling tenant's note (`pk = TENANT#<tenant>`, `sk = NOTE`).
#[tenant_isolated(table = "Notes", actions = [GetItem])]
async fn read_note(notes: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let out = notes
        .get_item()?
        .key("pk", AttributeValue::S(notes.partition_key()?))
        .key("sk", AttributeValue::S("NOTE".into()))
        .send()
        .await?;
    let note = out.item().and_then(|i| i.get("note")).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
    Ok(Response::new(Body::Text(note)))
}

/// A `Notes` table with one note per tenant, written without isolation.
async fn notes(local: &Local, tenants: &[&str]) {
    local.create_table("Notes", &[]).await;
    let admin = aws_sdk_dynamodb::Client::new(&local.sdk_config().await);
    for tenant in tenants {
        admin
            .put_item()
            .table_name("Notes")
            .item("pk", AttributeValue::S(format!("TENANT#{tenant}")))
            .item("sk", AttributeValue::S("NOTE".into()))
            .item("note", AttributeValue::S(format!("note of {tenant}")))
            .send()
            .await
            .unwrap();
    }
}

/// The claims a token carries (its payload, unverified).
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn bearer(token: &str) -> Request {
    http::Request::builder().uri("/note").header("authorization", format!("Bearer {token}")).body(Body::Empty).unwrap()
}

fn text(response: &Response<Body>) -> String {
    match response.body() {
        Body::Text(t) => t.clone(),
        other => panic!("a text body: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_claim_is_minted_and_read_and_the_default_claim_alone_is_refused() {
    let local = Local::builder().tenant_claim("custom:tenant_id").start().await;
    notes(&local, &["acme"]).await;
    let isolation = local.isolation().await;

    // Tokens name the tenant in the deployment's claim, and only there.
    let token = local.token("acme");
    let claims = claims_of(&token);
    assert_eq!(claims["custom:tenant_id"], "acme");
    assert!(claims.get("tenant_id").is_none(), "{claims}");
    assert_eq!(local.tenant_claim(), "custom:tenant_id");

    let response = read_note::call_with(&isolation, bearer(&token)).await.unwrap();
    assert_eq!((response.status().as_u16(), text(&response)), (200, "note of acme".to_owned()));
    assert_eq!(isolation.stats().sts_calls, 1);

    // Under that setting a token with only `tenant_id` names no tenant: 403, no STS call.
    let default_claim_only = local.sign(&tokens::claims("acme"));
    assert_eq!(claims_of(&default_claim_only)["tenant_id"], "acme");
    let response = read_note::call_with(&isolation, bearer(&default_claim_only)).await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(isolation.stats().sts_calls, 1, "a refused token costs no STS call");

    // `token_with` changes the deployment's claim too.
    let forged = local.token_with("acme", json!({"custom:tenant_id": "*"}));
    let response = read_note::call_with(&isolation, bearer(&forged)).await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_the_tenant_is_in_tenant_id() {
    let local = Local::start().await;
    notes(&local, &["acme"]).await;
    let isolation = local.isolation().await;
    assert_eq!(claims_of(&local.token("acme"))["tenant_id"], "acme");
    let response = read_note::call_with(&isolation, bearer(&local.token("acme"))).await.unwrap();
    assert_eq!((response.status().as_u16(), text(&response)), (200, "note of acme".to_owned()));
    let claims = tokens::with(tokens::claims("acme"), "tenant_id", Value::Null);
    let cognito_only = local.sign(&tokens::with(claims, "custom:tenant_id", json!("acme")));
    let response = read_note::call_with(&isolation, bearer(&cognito_only)).await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
}

/// The recorder names the access key of every DynamoDB request; each tenant's requests carry
/// that tenant's session's key (the runtime's signing, seen from the server).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recorder_tells_which_tenants_session_signed_each_request() {
    let local = Local::start().await;
    let tenants = ["acme", "globex", "initech"];
    notes(&local, &tenants).await;
    let isolation = local.isolation().await;
    let mut tenant_of_key = HashMap::new();
    for tenant in tenants {
        let scope = isolation.enter(read_note::SPEC, &TenantId::parse(tenant).unwrap(), None).await.unwrap();
        tenant_of_key.insert(scope.access_key_id().to_owned(), tenant);
    }
    assert_eq!(tenant_of_key.len(), 3, "one session, one access key, per tenant");

    local.start_recording().await;
    for tenant in tenants.iter().cycle().take(6) {
        let response = read_note::call_with(&isolation, bearer(&local.token(tenant))).await.unwrap();
        assert_eq!(text(&response), format!("note of {tenant}"));
    }
    let recorded = local.recorded().await;

    let gets: Vec<_> = recorded.iter().filter(|r| r.dynamodb_operation() == Some("GetItem")).collect();
    assert_eq!(gets.len(), 6, "{recorded:?}");
    for get in gets {
        assert_eq!(get.signing_service(), Some("dynamodb"));
        let key = get.access_key_id().expect("a signed request");
        let pk = get.json().unwrap()["Key"]["pk"]["S"].as_str().unwrap().to_owned();
        assert_eq!(pk, format!("TENANT#{}", tenant_of_key[key]), "signed by {key}");
    }
    // Recording stopped: later requests are not added.
    read_note::call_with(&isolation, bearer(&local.token("acme"))).await.unwrap();
    assert_eq!(local.recorded().await, recorded);
}
