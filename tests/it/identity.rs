//! Identity failures through the whole invocation path: every hostile token of the identity
//! table answers with its status and never causes an STS call; real Cognito tokens pass.

use crate::common::{isolation, isolation_with};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_runtime::LambdaEvent;
use tenant_isolation::{TenantTable, tenant_isolated};
use tenant_isolation_testkit::tokens::{claims, hostile_tokens, rs256, verifier_builder};
use tenant_isolation_testkit::{JwksServer, Keys, Reply};
use tenant_isolation_tests::shared;

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn whoami(
    table: TenantTable,
    event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = event;
    let mut resp = ApiGatewayV2httpResponse::default();
    resp.status_code = 200;
    resp.body = Some(aws_lambda_events::encodings::Body::Text(table.scope()?.tenant().to_string()));
    Ok(resp)
}

fn event(token: Option<&str>) -> LambdaEvent<ApiGatewayV2httpRequest> {
    let mut req = ApiGatewayV2httpRequest::default();
    if let Some(token) = token {
        // A header value must be visible ASCII; tokens that are not cannot even be sent.
        if let Ok(value) = http::HeaderValue::from_str(&format!("Bearer {token}")) {
            req.headers.insert(http::header::AUTHORIZATION, value);
        }
    }
    LambdaEvent::new(req, lambda_runtime::Context::default())
}

#[tokio::test]
async fn hostile_tokens_get_their_status_and_never_reach_sts() {
    let keys = Keys::bundled();
    let jwks = JwksServer::start(Reply::Json(keys.key_set())).await;
    let verifier = verifier_builder(&jwks.jwks_url()).build().unwrap();
    let iso = isolation_with(|b| b.verifier(verifier)).await;
    let table = hostile_tokens(&keys);
    assert!(table.len() >= 40, "{} cases", table.len());
    for (name, token, kind) in &table {
        let resp = whoami::call_with(&iso, event(Some(token))).await.unwrap();
        let want = i64::from(kind.status());
        // Tokens with bytes that no HTTP header can carry arrive as "no token": still 401.
        assert_eq!(resp.status_code, want, "{name}");
        let body = format!("{:?}", resp.body);
        assert!(!body.contains(token.as_str()) || token.len() < 8, "{name}: the token is echoed");
    }
    assert_eq!(iso.stats().sts_calls, 0, "an STS call was made for a refused token");
    // The control: a valid token of the same key set is served, with one STS call.
    let ok = whoami::call_with(&iso, event(Some(&rs256(&keys, &claims("acme"))))).await.unwrap();
    assert_eq!(ok.status_code, 200);
    assert_eq!(ok.body, Some(aws_lambda_events::encodings::Body::Text("acme".into())));
    assert_eq!(iso.stats().sts_calls, 1);
}

#[tokio::test]
async fn cognito_id_tokens_name_the_tenant_and_the_key_set_is_fetched_once() {
    let iso = isolation().await;
    let fx = &shared().1;
    for _ in 0..5 {
        for (user, tenant) in [("alice", "acme"), ("bob", "globex")] {
            let resp = whoami::call_with(&iso, event(Some(&fx.user(user).id_token))).await.unwrap();
            assert_eq!(resp.status_code, 200, "{user}");
            assert_eq!(resp.body, Some(aws_lambda_events::encodings::Body::Text(tenant.into())));
        }
    }
    assert_eq!(iso.verifier().unwrap().jwks_fetches(), 1, "one key-set fetch for ten verifications");
    assert_eq!(iso.stats().sts_calls, 2);
}
