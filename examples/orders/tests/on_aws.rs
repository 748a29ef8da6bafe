//! The orders service where AWS answers otherwise than moto (docs/DEPLOYING.md, "Where moto and
//! AWS differ"): what a deployed function sees, driven locally.

mod common;

use common::send;
use http::StatusCode;
use lambda_http::RequestExt;
use orders_example::{api, handlers};
use serde_json::{Value, json};
use tenant_isolation_testkit::events::ApiEvent;
use tenant_isolation_testkit::{Local, aws};
use tower::ServiceExt;

/// A missing attachment is 404, on AWS as on moto. On AWS a `GetObject` of a missing key is
/// 403 `AccessDenied` to a session without `s3:ListBucket` on the bucket (Amazon S3 API
/// Reference, GetObject, "Permissions"; `aws::missing_objects_denied` answers so); moto answers
/// 404. Failed (403 through AWS's answer) while `get_attachment` declared `GetObject` alone and
/// read only `NoSuchKey` as missing.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_attachment_is_404_on_aws_as_on_moto() {
    let local = Local::start().await;
    local.create_table("Orders", &[("ByStatus", "pk", Some("status"))]).await;
    local.create_bucket("order-attachments").await;
    let as_on_aws = aws::missing_objects_denied(local.sdk_config().await);
    for (answers, isolation) in
        [("moto", local.isolation().await), ("AWS", local.isolation_with(|b| b.sdk_config(as_on_aws)).await)]
    {
        let app = api::router(isolation.clone());
        let new = |note: Option<&str>| Some(json!({"item": "anvil", "quantity": 1, "note": note}));
        let (status, with_note) = send(&app, local.request("acme", "POST", "/orders", new(Some("fragile")))).await;
        assert_eq!(status, StatusCode::CREATED, "{answers}");
        let (_, without) = send(&app, local.request("acme", "POST", "/orders", new(None))).await;
        let attachment = |order: &Value| format!("/orders/{}/attachment", order["id"].as_str().unwrap());

        let found = send(&app, local.request("acme", "GET", &attachment(&with_note), None)).await;
        assert_eq!(found, (StatusCode::OK, json!({"note": "fragile"})), "{answers}");
        let missing = send(&app, local.request("acme", "GET", &attachment(&without), None)).await;
        assert_eq!(missing, (StatusCode::NOT_FOUND, json!({"error": "not_found"})), "{answers}");
        // Another tenant's attachment is missing from its own folder, not denied.
        let foreign = send(&app, local.request("globex", "GET", &attachment(&with_note), None)).await;
        assert_eq!(foreign, (StatusCode::NOT_FOUND, json!({"error": "not_found"})), "{answers}");

        // The Lambda handler of the same route answers the same.
        let id = without["id"].as_str().unwrap().to_owned();
        let request: lambda_http::Request = local.request("acme", "GET", &attachment(&without), None);
        let request = request.with_path_parameters(std::collections::HashMap::from([("id".to_owned(), id)]));
        let response = handlers::get_attachment::call_with(&isolation, request).await.unwrap();
        assert_eq!(response.status(), 404, "{answers}");
    }
}

/// `lambda_http`'s switch: set (to any value), the REST API stage stays out of the request path.
const IGNORE_STAGE: &str = "AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH";
/// Set in the child processes of [`behind_a_rest_stage_the_router_needs_the_stage_setting`].
const STAGE_CHILD: &str = "ORDERS_TEST_STAGE_CHILD";

/// Behind an API Gateway REST API (the only HTTP path that carries Lambda tenant ids), the proxy
/// event's path is `/orders` and its stage `prod`; `lambda_http` puts the stage in the request
/// path (`/prod/orders`) unless `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is set, and every route of
/// the router then answers 404 with an empty body. With the setting the route is served.
///
/// `lambda_http` reads the variable from the process environment on every request, so the
/// event runs in two child processes of this test binary, one with the setting and one
/// without (setting it here would race the other tests of the binary, and is `unsafe`).
#[tokio::test(flavor = "multi_thread")]
async fn behind_a_rest_stage_the_router_needs_the_stage_setting() {
    let name = "behind_a_rest_stage_the_router_needs_the_stage_setting";
    if std::env::var_os(STAGE_CHILD).is_none() {
        for with_setting in [true, false] {
            let mut child = std::process::Command::new(std::env::current_exe().unwrap());
            child.args(["--exact", name, "--nocapture"]).env(STAGE_CHILD, "1");
            if with_setting {
                child.env(IGNORE_STAGE, "true");
            } else {
                child.env_remove(IGNORE_STAGE);
            }
            let out = child.output().expect("the test binary runs");
            let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success(), "with_setting = {with_setting}:\n{stdout}\n{stderr}");
            assert!(stdout.contains("1 passed"), "the child ran the test: {stdout}");
        }
        return;
    }
    let with_setting = std::env::var_os(IGNORE_STAGE).is_some();
    let local = Local::start().await;
    local.create_table("Orders", &[("ByStatus", "pk", Some("status"))]).await;
    let app = api::router(local.isolation().await);
    let event = ApiEvent::new("GET", "/orders").bearer(&local.token("acme")).rest_api();
    assert_eq!((&event["path"], &event["requestContext"]["stage"]), (&json!("/orders"), &json!("prod")));
    // As `lambda_http::run(router)` serves it: the event decoded, the router called, the answer
    // encoded for API Gateway.
    let invocation =
        lambda_runtime::LambdaEvent::new(serde_json::from_value(event).unwrap(), Local::lambda_context(None));
    let response = lambda_http::Adapter::from(app).oneshot(invocation).await.unwrap();
    let response = serde_json::to_value(response).unwrap();
    let answer = (&response["statusCode"], &response["body"]);
    if with_setting {
        assert_eq!(answer, (&json!(200), &json!("[]")), "{response}");
    } else {
        assert_eq!(answer.0, &json!(404), "{response}");
        assert!(answer.1.as_str().is_none_or(str::is_empty), "an empty 404: {response}");
    }
}
