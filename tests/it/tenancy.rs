//! Lambda's tenant isolation mode: the invocation's tenant id (TenancyConfig `PER_TENANT`) must
//! be the verified tenant, and a function deployed in that mode can require it.

use crate::common::{isolation, isolation_with, items};
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{Context, LambdaEvent};
use tenant_isolation::{LambdaTenantMode, TenantEvent};
use tenant_isolation_tests::shared;

/// Alice's (tenant `acme`) request, as Lambda delivers it with `lambda_tenant` (or none).
fn event(lambda_tenant: Option<&str>) -> LambdaEvent<ApiGatewayV2httpRequest> {
    let token = shared().1.user("alice").id_token.clone();
    let mut request = ApiGatewayV2httpRequest::default();
    request.headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    let mut context = Context::default();
    context.tenant_id = lambda_tenant.map(str::to_owned);
    LambdaEvent::new(request, context)
}

#[tokio::test]
async fn a_matching_lambda_tenant_id_is_served() {
    let iso = isolation().await;
    let response = items::call_with(&iso, event(Some("acme"))).await.unwrap();
    assert_eq!(response.status_code, 0, "the handler ran (its default response)");
    assert_eq!(iso.stats().sts_calls, 1);
}

/// An environment of one tenant never acts for another: a mismatching id (also in another
/// case) is 403 before any STS call.
#[tokio::test]
async fn a_mismatching_lambda_tenant_id_is_refused_without_sts() {
    let iso = isolation().await;
    for other in ["globex", "ACME", "acme ", ""] {
        let response = items::call_with(&iso, event(Some(other))).await.unwrap();
        assert_eq!(response.status_code, 403, "{other:?}");
    }
    assert_eq!(iso.stats().sts_calls, 0);
}

#[tokio::test]
async fn a_missing_lambda_tenant_id_is_refused_only_when_required() {
    let checked = isolation().await;
    assert_eq!(items::call_with(&checked, event(None)).await.unwrap().status_code, 0);
    let required = isolation_with(|b| b.lambda_tenant_mode(LambdaTenantMode::Required)).await;
    assert_eq!(items::call_with(&required, event(None)).await.unwrap().status_code, 403);
    assert_eq!(required.stats().sts_calls, 0);
    assert_eq!(items::call_with(&required, event(Some("acme"))).await.unwrap().status_code, 0);
}

/// `lambda_http` requests carry the id in their Lambda context.
#[tokio::test]
async fn lambda_http_requests_carry_the_lambda_tenant_id() {
    use lambda_http::RequestExt;
    let mut context = Context::default();
    context.tenant_id = Some("globex".to_owned());
    let request = lambda_http::Request::default().with_lambda_context(context);
    assert_eq!(request.lambda_tenant_id(), Some("globex"));
    assert_eq!(lambda_http::Request::default().lambda_tenant_id(), None);
}
