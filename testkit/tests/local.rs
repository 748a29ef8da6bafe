//! `Local` against moto: moto's request recorder telling which tenant's session signed each
//! request.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response};
use std::collections::HashMap;
use tenant_isolation::{TenantId, TenantTable, tenant_isolated};
use tenant_isolation_testkit::Local;

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

fn bearer(token: &str) -> Request {
    http::Request::builder().uri("/note").header("authorization", format!("Bearer {token}")).body(Body::Empty).unwrap()
}

fn text(response: &Response<Body>) -> String {
    match response.body() {
        Body::Text(t) => t.clone(),
        other => panic!("a text body: {other:?}"),
    }
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
