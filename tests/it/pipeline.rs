//! One invocation pipeline: every front end answers every refusal the same way, with the same
//! number of STS calls. The same refusal matrix runs through a `lambda_http` handler, an API
//! Gateway HTTP API `LambdaEvent` handler, a custom-event `LambdaEvent` handler and an axum router
//! behind `TenantLayer`, each a `#[tenant_isolated]` handler over one shared data-layer body.

use crate::common::{Lines, development_token, development_verifier, isolation_with};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::RequestExt;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::json;
use tenant_isolation::actions::GetItem;
use tenant_isolation::{
    Allows, Isolation, IsolationError, LambdaTenantMode, TenantEvent, TenantPayload, TenantTable, tenant_isolated,
};
use tower::ServiceExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The shared body: what the handler does with its table in each scenario.
///
/// * `served`: reads the tenant's own item;
/// * `returned`: reads another tenant's item and returns the guard's refusal with `?`;
/// * `dropped`: probes another tenant's item, drops the refusal, then fails for its own reason.
async fn body(table: &TenantTable<impl Allows<GetItem>>, scenario: &str) -> Result<(), BoxError> {
    let own = AttributeValue::S(table.partition_key()?);
    let other = AttributeValue::S("TENANT#globex".into());
    let sk = AttributeValue::S("ORDER#pipeline".into());
    match scenario {
        "returned" => {
            table.get_item()?.key("pk", other).key("sk", sk).send().await?;
            Ok(())
        }
        "dropped" => {
            let probe = table.get_item()?.key("pk", other).key("sk", sk).send().await;
            assert!(probe.is_err(), "the guard refuses the probe");
            Err("the billing service is down".into())
        }
        _ => {
            table.get_item()?.key("pk", own).key("sk", sk).send().await?;
            Ok(())
        }
    }
}

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn via_lambda_http(
    table: TenantTable,
    request: lambda_http::Request,
) -> Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error> {
    let scenario = request.headers().get("x-scenario").and_then(|v| v.to_str().ok()).unwrap_or_default();
    body(&table, scenario).await?;
    Ok(lambda_http::Response::new(lambda_http::Body::Empty))
}

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn via_http_api(
    table: TenantTable,
    event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let scenario = event.payload.headers.get("x-scenario").and_then(|v| v.to_str().ok()).unwrap_or_default();
    body(&table, scenario).await?;
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = 200;
    Ok(response)
}

/// A custom (non-HTTP) event: the token and the scenario travel in the payload.
#[derive(Clone)]
struct Job {
    token: Option<String>,
    scenario: String,
}

impl TenantPayload for Job {
    type Caller = tenant_isolation::event::Invocation;
    fn bearer_token(&self) -> Option<&str> {
        self.token.as_deref()
    }
}

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn via_custom_event(table: TenantTable, event: LambdaEvent<Job>) -> Result<(), lambda_runtime::Error> {
    body(&table, &event.payload.scenario).await
}

/// An axum application's error: its own failures answer 500 with their message.
struct AppError(BoxError);

impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        (http::StatusCode::INTERNAL_SERVER_ERROR, self.0.to_string()).into_response()
    }
}

#[tenant_isolated(axum, table = "Orders", actions = [GetItem])]
async fn via_axum(table: TenantTable, headers: http::HeaderMap) -> Result<&'static str, AppError> {
    let scenario = headers.get("x-scenario").and_then(|v| v.to_str().ok()).unwrap_or_default();
    body(&table, scenario).await.map_err(AppError)?;
    Ok("ok")
}

/// How a front end answered: a status, or the handler's own failure passed through (a Lambda
/// error, or the axum application's own 500 with its message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Status(u16),
    HandlersOwnFailure,
}
use Outcome::{HandlersOwnFailure, Status};

/// Whose failure a Lambda error is: a refusal's status, or the handler's own.
fn lambda_error(e: &(dyn std::error::Error + 'static)) -> Outcome {
    IsolationError::find_kind(e).map_or(HandlersOwnFailure, |kind| Status(kind.status()))
}

/// One row of the matrix: who calls, with which Lambda tenant id, under which mode.
struct Case {
    name: &'static str,
    token: Option<String>,
    lambda_tenant: Option<&'static str>,
    mode: LambdaTenantMode,
    scenario: &'static str,
    outcome: Outcome,
    sts_calls: u64,
}

fn cases() -> Vec<Case> {
    let acme = development_token(json!({ "sub": "alice", "tenant_id": "acme" }));
    let case = |name, token: Option<String>, status, sts_calls| Case {
        outcome: Status(status),
        name,
        token,
        lambda_tenant: None,
        mode: LambdaTenantMode::Checked,
        scenario: "served",
        sts_calls,
    };
    vec![
        case("served", Some(acme.clone()), 200, 1),
        case("no token", None, 401, 0),
        case("bad token", Some("not.a.jwt".into()), 401, 0),
        case("no tenant", Some(development_token(json!({ "sub": "alice" }))), 403, 0),
        case("hostile tenant", Some(development_token(json!({ "sub": "eve", "tenant_id": "acme#x" }))), 403, 0),
        Case { lambda_tenant: Some("globex"), ..case("Lambda tenant mismatch", Some(acme.clone()), 403, 0) },
        Case { mode: LambdaTenantMode::Required, ..case("Lambda tenant missing", Some(acme.clone()), 403, 0) },
        Case {
            mode: LambdaTenantMode::Required,
            lambda_tenant: Some("acme"),
            ..case("Lambda tenant required and given", Some(acme.clone()), 200, 1)
        },
        Case { scenario: "returned", ..case("refusal returned", Some(acme.clone()), 403, 1) },
        Case { scenario: "dropped", outcome: HandlersOwnFailure, ..case("refusal dropped", Some(acme), 0, 1) },
    ]
}

fn context(lambda_tenant: Option<&str>) -> Context {
    let mut context = Context::default();
    context.request_id = "pipeline-test".into();
    context.tenant_id = lambda_tenant.map(str::to_owned);
    context
}

fn headers(case: &Case) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    if let Some(token) = &case.token {
        headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    headers.insert("x-scenario", case.scenario.parse().unwrap());
    headers
}

/// How one front end answers `case`, under `iso`.
async fn answer(front_end: &str, iso: &Isolation, case: &Case) -> Outcome {
    match front_end {
        "lambda_http" => {
            let mut request = lambda_http::Request::default().with_lambda_context(context(case.lambda_tenant));
            *request.headers_mut() = headers(case);
            match via_lambda_http::call_with(iso, request).await {
                Ok(response) => Status(response.status().as_u16()),
                Err(e) => lambda_error(&*e),
            }
        }
        "HTTP API event" => {
            let mut request = ApiGatewayV2httpRequest::default();
            request.headers = headers(case);
            match via_http_api::call_with(iso, LambdaEvent::new(request, context(case.lambda_tenant))).await {
                Ok(response) => Status(u16::try_from(response.status_code).unwrap()),
                Err(e) => lambda_error(&*e),
            }
        }
        "custom event" => {
            let job = Job { token: case.token.clone(), scenario: case.scenario.to_owned() };
            match via_custom_event::call_with(iso, LambdaEvent::new(job, context(case.lambda_tenant))).await {
                Ok(()) => Status(200),
                Err(e) => lambda_error(&*e),
            }
        }
        "axum" => {
            let app = axum::Router::new()
                .route("/", axum::routing::get(via_axum))
                .layer(tenant_isolation::axum::TenantLayer::new(iso.clone()));
            let mut request = http::Request::builder().uri("/").body(axum::body::Body::empty()).unwrap();
            *request.headers_mut() = headers(case);
            let request = request.with_lambda_context(context(case.lambda_tenant));
            let response = app.oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
            if status == 500 && body.starts_with(b"the billing service is down") {
                HandlersOwnFailure
            } else {
                Status(status)
            }
        }
        other => unreachable!("{other}"),
    }
}

/// Every front end answers every row of the matrix with the same status and the same number of
/// STS calls (0 for every refusal before the handler); a handler's own failure passes through
/// as that front end's failure. Before the one pipeline, the axum front end answered the
/// refusal a failed handler returned with the application's 500, and the custom event skipped
/// the Lambda tenant id (served under a mismatching one, with an STS call).
#[tokio::test]
async fn every_front_end_answers_the_refusal_matrix_alike() {
    let mut differences = Vec::new();
    for case in cases() {
        for front_end in ["lambda_http", "HTTP API event", "custom event", "axum"] {
            let iso = isolation_with(|b| b.verifier(development_verifier()).lambda_tenant_mode(case.mode)).await;
            let outcome = answer(front_end, &iso, &case).await;
            let sts_calls = iso.stats().sts_calls;
            if (outcome, sts_calls) != (case.outcome, case.sts_calls) {
                differences.push(format!(
                    "{front_end} / {}: {outcome:?} with {sts_calls} STS calls, expected {:?} with {}",
                    case.name, case.outcome, case.sts_calls
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{differences:#?}");
}

/// The attack of the issue: a direct `Invoke` that Lambda routed to tenant `globex`'s execution
/// environment, with acme's valid token in a custom payload. It is refused (403) before any STS
/// call; the same event under acme's Lambda tenant id is served, `required` mode included.
#[tokio::test]
async fn a_custom_event_is_checked_against_the_lambda_tenant_id() {
    let acme = development_token(json!({ "sub": "alice", "tenant_id": "acme" }));
    let job = Job { token: Some(acme), scenario: "served".into() };
    for mode in [LambdaTenantMode::Checked, LambdaTenantMode::Required] {
        let iso = isolation_with(|b| b.verifier(development_verifier()).lambda_tenant_mode(mode)).await;
        let refused = via_custom_event::call_with(&iso, LambdaEvent::new(job.clone(), context(Some("globex")))).await;
        let status = refused.map_err(|e| IsolationError::find_kind(&*e).map(|kind| kind.status()));
        assert_eq!(status, Err(Some(403)), "{mode:?}");
        assert_eq!(iso.stats().sts_calls, 0, "{mode:?}: no STS call for a refused invocation");
        via_custom_event::call_with(&iso, LambdaEvent::new(job.clone(), context(Some("acme"))))
            .await
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(iso.stats().sts_calls, 1);
    }
    // The payload has no say: whatever it claims, only Lambda's context gives the tenant id.
    let event = LambdaEvent::new(job, context(None));
    assert_eq!(event.lambda_tenant_id(), None);
}

/// With metrics on, each invocation through the pipeline is one CloudWatch EMF line with its
/// handler, its outcome and the STS calls it caused; the tenant id is on no line (unbounded
/// cardinality). Refusals before routing (the axum layer) count under `(before routing)`.
#[tokio::test]
async fn each_invocation_is_one_emf_line_without_the_tenant() {
    let lines = Lines::default();
    let metrics = tenant_isolation::Metrics::emf_to("TenantIsolationTest", lines.clone());
    let iso = isolation_with(|b| b.verifier(development_verifier()).metrics(metrics)).await;
    let by_case: std::collections::HashMap<_, _> = cases().into_iter().map(|c| (c.name, c)).collect();
    for (front_end, case) in [
        ("custom event", "served"),
        ("custom event", "served"),
        ("lambda_http", "no token"),
        ("axum", "no token"),
        ("axum", "refusal returned"),
    ] {
        answer(front_end, &iso, &by_case[case]).await;
    }
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(!text.contains("acme"), "the tenant id is never on a metrics line: {text}");
    let counts = |i: usize, names: &[&str]| names.iter().map(|n| lines[i][*n].as_u64().unwrap()).collect::<Vec<_>>();
    let handler = |i: usize| lines[i]["Handler"].as_str().unwrap().to_owned();
    assert_eq!(
        (handler(0), counts(0, &["Served", "StsCalls", "CacheMisses"])),
        ("via_custom_event".into(), vec![1, 1, 1])
    );
    assert_eq!(counts(1, &["Served", "StsCalls", "CacheHits"]), [1, 0, 1], "the second is a cache hit");
    assert_eq!(
        (handler(2), counts(2, &["Refused", "RefusedIdentity", "Status401"])),
        ("via_lambda_http".into(), vec![1, 1, 1])
    );
    assert_eq!((handler(3), counts(3, &["Refused", "Status401"])), ("(before routing)".into(), vec![1, 1]));
    assert_eq!((handler(4), counts(4, &["Refused", "RefusedGuard", "Status403"])), ("via_axum".into(), vec![1, 1, 1]));
    for line in &lines {
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives[0]["Dimensions"], json!([["Handler"]]));
        assert_eq!(directives[0]["Namespace"], "TenantIsolationTest");
    }
}
