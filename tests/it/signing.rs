//! Which credentials sign a request. A handler policy has one DynamoDB client shared by all
//! its tenants; each request must be signed with the credentials of the scope it was sent
//! from, the same tenant the key guard checked it against. Checked on what moto received:
//! its request recorder keeps every request's `Authorization` header and body.

use crate::common::{cognito_verifier, isolation, items, read_only, unique};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use std::collections::HashMap;
use tenant_isolation::{GuardViolation, Isolation, ScopeError, TenantId, Violation, current};
use tenant_isolation_tests::{Moto, provision, sdk_config};

fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

/// The `ScopeError` in an SDK error's source chain.
fn scope_error(e: &(dyn std::error::Error + 'static)) -> Option<ScopeError> {
    std::iter::successors(Some(e), |e| e.source()).find_map(|e| e.downcast_ref::<ScopeError>().cloned())
}

/// Every DynamoDB request moto recorded: (access key id it was signed with, decoded body).
async fn recorded(moto: &Moto) -> Vec<(String, Value)> {
    let http = reqwest::Client::new();
    let api = format!("{}/moto-api/recorder", moto.endpoint());
    http.post(format!("{api}/stop-recording")).send().await.unwrap().error_for_status().unwrap();
    let recording = http.get(format!("{api}/download-recording")).send().await.unwrap().text().await.unwrap();
    let mut out = Vec::new();
    for entry in recording.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()) {
        let headers: HashMap<String, String> = entry["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or_default().to_owned()))
            .collect();
        if !headers.get("x-amz-target").is_some_and(|t| t.starts_with("DynamoDB_")) {
            continue;
        }
        // `AWS4-HMAC-SHA256 Credential=<access key id>/<date>/<region>/dynamodb/aws4_request, …`
        let auth = headers.get("authorization").cloned().unwrap_or_default();
        let key = auth.split("Credential=").nth(1).and_then(|c| c.split('/').next()).unwrap_or_default().to_owned();
        let body = entry["body"].as_str().unwrap_or_default();
        let body = if entry["body_encoded"] == true {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.decode(body).unwrap_or_default()
        } else {
            body.as_bytes().to_vec()
        };
        out.push((key, serde_json::from_slice(&body).unwrap_or(Value::Null)));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_signed_with_the_credentials_of_the_tenant_whose_keys_it_carries() {
    // Its own moto: the recorder is server-wide, and other tests share the shared one.
    let moto = tenant_isolation_tests::start_moto();
    let fx = provision(&moto);
    let iso = Isolation::builder()
        .sdk_config(sdk_config(&fx.endpoint).await)
        .role_arn(fx.role_arn.clone())
        .verifier(cognito_verifier(&fx))
        .build()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let api = format!("{}/moto-api/recorder", moto.endpoint());
    http.post(format!("{api}/reset-recording")).send().await.unwrap().error_for_status().unwrap();
    http.post(format!("{api}/start-recording")).send().await.unwrap().error_for_status().unwrap();

    let tenants: Vec<TenantId> = (0..8).map(|i| tenant(&format!("sig-{i}"))).collect();
    let mut owner_of_key = HashMap::new();
    for t in &tenants {
        let scope = iso.enter(items::SPEC, t, None).await.unwrap();
        owner_of_key.insert(scope.access_key_id().to_owned(), t.to_string());
    }
    assert_eq!(owner_of_key.len(), tenants.len(), "one STS session, one access key, per tenant");

    // ONE client, taken from the first tenant's scope, used by all eight tenants at once.
    let first = iso.enter(items::SPEC, &tenants[0], None).await.unwrap();
    let (client, table) = (first.client().clone(), first.table_name().to_owned());
    let run = unique("SIG");
    let mut tasks = Vec::new();
    for round in 0..25 {
        for t in &tenants {
            let scope = iso.enter(items::SPEC, t, None).await.unwrap();
            let (client, table, sk) = (client.clone(), table.clone(), format!("{run}#{round}"));
            tasks.push(tokio::spawn(scope.run(async move {
                tokio::task::yield_now().await;
                let pk = current().unwrap().partition_key();
                client
                    .put_item()
                    .table_name(table)
                    .item("pk", AttributeValue::S(pk))
                    .item("sk", AttributeValue::S(sk))
                    .send()
                    .await
            })));
        }
    }
    for task in tasks {
        task.await.unwrap().expect("PutItem in the tenant's own partition");
    }
    // The same client in a task with no scope: refused before signing, never sent.
    let escaped = unique("ESCAPED");
    let outside = tokio::spawn({
        let (client, table, sk) = (client.clone(), table.clone(), escaped.clone());
        async move {
            client
                .put_item()
                .table_name(table)
                .item("pk", AttributeValue::S("TENANT#sig-0".into()))
                .item("sk", AttributeValue::S(sk))
                .send()
                .await
        }
    })
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(scope_error(&outside), Some(ScopeError::Outside), "{outside:?}");

    let requests = recorded(&moto).await;
    let ours: Vec<_> = requests
        .iter()
        .filter(|(_, body)| body["Item"]["sk"]["S"].as_str().is_some_and(|sk| sk.starts_with(&run)))
        .collect();
    assert_eq!(ours.len(), 200, "8 tenants × 25 requests reached moto");
    for (key, body) in &ours {
        let pk = body["Item"]["pk"]["S"].as_str().unwrap();
        let signer = owner_of_key.get(key).unwrap_or_else(|| panic!("signed with a key of no tenant: {key}"));
        assert_eq!(pk, format!("TENANT#{signer}"), "a request for {pk} was signed by {signer}'s credentials");
    }
    assert!(
        !requests.iter().any(|(_, body)| body.to_string().contains(&escaped)),
        "the request sent outside any scope reached the server"
    );
}

#[tokio::test]
async fn a_client_follows_the_scope_it_is_used_in() {
    let iso = isolation().await;
    let acme = iso.enter(items::SPEC, &tenant("acme"), None).await.unwrap();
    let globex = iso.enter(items::SPEC, &tenant("globex"), None).await.unwrap();
    let (client, table) = (acme.client().clone(), acme.table_name().to_owned());
    let sk = unique("FOLLOW");
    let put = |pk: &str| {
        client
            .put_item()
            .table_name(&table)
            .item("pk", AttributeValue::S(pk.to_owned()))
            .item("sk", AttributeValue::S(sk.clone()))
    };

    // acme's client, kept and reused inside globex's scope, acts for globex: acme's keys
    // are foreign there, globex's own keys pass.
    let foreign = globex.clone().run(put("TENANT#acme").send()).await.unwrap_err();
    let v = GuardViolation::find(&foreign).expect("refused by the key guard");
    assert_eq!((v.tenant().as_str(), v.violation()), ("globex", &Violation::ForeignKey { attribute: "pk".into() }));
    globex.clone().run(put("TENANT#globex").send()).await.expect("globex's own key, in globex's scope");

    // Inside the scope of a handler with another policy, the client refuses.
    let other = iso.enter(read_only::SPEC, &tenant("acme"), None).await.unwrap();
    let mismatch = other.run(put("TENANT#acme").send()).await.unwrap_err();
    assert_eq!(scope_error(&mismatch), Some(ScopeError::ClientMismatch { client: "items", actual: "read_only" }));
}
