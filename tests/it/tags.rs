//! Session-tag (ABAC) mode: the tenant travels as an STS session tag to a separate role
//! whose policy reads `${aws:PrincipalTag/tenant}`. moto accepts the tags and the
//! credentials work; iam-simulate proves the role policy isolates by the tag.

use crate::common::{isolation_with, unique};
use aws_sdk_dynamodb::types::AttributeValue;
use tenant_isolation::{
    ConfigError, ErrorKind, GuardViolation, Isolation, IsolationError, TenantId, TenantTable, Violation,
    tenant_isolated,
};
use tenant_isolation_tests::{sdk_config, shared, workspace_root};

#[tenant_isolated(table = "Orders", actions = [GetItem, PutItem, Query], indexes = ["ByStatus"], session_tag = "tenant")]
async fn tagged(
    table: TenantTable,
    event: lambda_runtime::LambdaEvent<aws_lambda_events::apigw::ApiGatewayV2httpRequest>,
) -> Result<aws_lambda_events::apigw::ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = (table, event);
    Ok(Default::default())
}

fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

#[test]
fn the_template_is_a_role_policy_keyed_by_the_principal_tag() {
    assert_eq!(tagged::SPEC.session_tag(), Some("tenant"));
    assert!(
        tagged::POLICY_TEMPLATE
            .contains(r#""TENANT#${aws:PrincipalTag/tenant}","TENANT#${aws:PrincipalTag/tenant}#*""#)
    );
    assert!(!tagged::POLICY_TEMPLATE.contains("{{tenant}}"));
}

#[tokio::test]
async fn tagged_sessions_work_against_moto_and_stay_guarded() {
    let (_, fx) = shared();
    let iso = isolation_with(|b| b.session_tag_role_arn(fx.tag_role_arn.clone())).await;
    let sk = unique("TAG");
    for t in ["acme", "globex"] {
        let scope = iso.enter(tagged::SPEC, &tenant(t), None).await.unwrap();
        assert!(
            scope.assumed_role_arn().ends_with(&format!(":assumed-role/TenantDataTagged/tenant-{t}")),
            "{}",
            scope.assumed_role_arn()
        );
        let client = scope.client().clone();
        let (table, pk) = (scope.table_name().to_owned(), scope.partition_key());
        let sk2 = sk.clone();
        scope
            .run(async move {
                client
                    .put_item()
                    .table_name(&table)
                    .item("pk", AttributeValue::S(pk.clone()))
                    .item("sk", AttributeValue::S(sk2.clone()))
                    .send()
                    .await
                    .unwrap();
                let foreign = client
                    .get_item()
                    .table_name(&table)
                    .key("pk", AttributeValue::S("TENANT#initech".into()))
                    .key("sk", AttributeValue::S(sk2))
                    .send()
                    .await
                    .unwrap_err();
                assert_eq!(
                    GuardViolation::find(&foreign).map(|v| v.violation().clone()),
                    Some(Violation::ForeignKey { attribute: "pk".into() })
                );
            })
            .await;
    }
    iso.enter(tagged::SPEC, &tenant("acme"), None).await.unwrap();
    assert_eq!(iso.stats().sts_calls, 2, "cached and coalesced per tenant as in session-policy mode");
}

#[tokio::test]
async fn tagged_handlers_never_assume_the_session_policy_role() {
    let (_, fx) = shared();
    // No tag role configured: a configuration error (500) before any STS call.
    let iso = isolation_with(|b| b).await;
    let err = iso.enter(tagged::SPEC, &tenant("acme"), None).await.unwrap_err();
    assert!(matches!(err, IsolationError::Config(ConfigError::Missing { var: "TENANT_TAG_ROLE_ARN", .. })), "{err}");
    assert_eq!(err.kind(), ErrorKind::Internal);
    assert_eq!(iso.stats().sts_calls, 0);
    // The same role for both modes is refused at build time.
    let same = Isolation::builder()
        .sdk_config(sdk_config(&fx.endpoint).await)
        .role_arn(fx.role_arn.clone())
        .session_tag_role_arn(fx.role_arn.clone())
        .verifier(crate::common::cognito_verifier(fx))
        .build()
        .await
        .unwrap_err();
    assert!(matches!(same, ConfigError::Invalid { var: "TENANT_TAG_ROLE_ARN", .. }), "{same}");
}

/// The role policy, proven with iam-simulate: own tag and keys allowed; other tenant,
/// collisions, mixed batches, no tag, no LeadingKeys, an empty LeadingKeys set, undeclared
/// actions and indexes denied. (`tests/policy/run.sh` proves the fixture's tag role, on two
/// tables, with the mutants.)
#[test]
fn iam_simulate_proves_the_tag_role_policy() {
    let role_policy = tenant_isolation::audit::tag_role_policy(&[tagged::SPEC.model()], "tenant", false)
        .replace("{{partition}}", "aws")
        .replace("{{region}}", "us-east-1")
        .replace("{{account}}", "123456789012");
    let table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders";
    let input = serde_json::json!({
        "policy": serde_json::from_str::<serde_json::Value>(&role_policy).unwrap(),
        "tag": "tenant",
        "actions": tagged::SPEC.tables()[0].actions.iter().map(|a| a.name()).collect::<Vec<_>>(),
        "table_arn": table_arn,
        "index_arns": [format!("{table_arn}/index/ByStatus")],
    });
    let (ok, text) = prove(&input);
    println!("{text}");
    assert!(ok, "{text}");
    assert!(text.contains(" passed, 0 failed"), "{text}");
    // The proof can fail: without `ForAnyValue`, an empty key set passes (iam-simulate reads
    // `[]` as present, so `Null` does not stop it); without the `Null` guard as well, a
    // request without LeadingKeys passes too.
    let mut mutant = input.clone();
    let remove = |mutant: &mut serde_json::Value, operator: &str| {
        for statement in mutant["policy"]["Statement"].as_array_mut().unwrap() {
            statement["Condition"].as_object_mut().unwrap().remove(operator);
        }
    };
    remove(&mut mutant, "ForAnyValue:StringLike");
    let (ok, text) = prove(&mutant);
    assert!(!ok && text.contains("[empty-key]"), "the mutant survived:\n{text}");
    remove(&mut mutant, "Null");
    let (ok, text) = prove(&mutant);
    assert!(!ok && text.contains("[no-key]"), "the mutant survived:\n{text}");
}

/// Runs `tests/policy/prove_tags.mjs` on `input`: (exit success, stdout).
fn prove(input: &serde_json::Value) -> (bool, String) {
    use std::io::Write as _;
    let mut child = std::process::Command::new("node")
        .arg(workspace_root().join("tests/policy/prove_tags.mjs"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node runs (scripts/setup-tools.sh installs iam-simulate)");
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `policies role` for a binary with session-tag handlers: a separate role whose trust
/// allows `sts:TagSession`; the session-policy role's trust does not, and its policy does
/// not include the session-tag handlers.
#[test]
fn the_audit_emits_a_separate_tag_role() {
    let out =
        tenant_isolation_audit::role_json(Some("arn:aws:iam::123456789012:role/TenantData"), Some("us-east-1"), &[])
            .unwrap();
    let tag_role = &out["session_tag_role"];
    assert_eq!(tag_role["tag"], "tenant");
    assert_eq!(
        tag_role["trust_policy"]["Statement"][0]["Action"],
        serde_json::json!(["sts:AssumeRole", "sts:TagSession"])
    );
    assert_eq!(out["trust_policy"]["Statement"][0]["Action"], "sts:AssumeRole");
    let keys = &tag_role["role_policy"]["Statement"][0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
    assert_eq!(keys, &serde_json::json!(["TENANT#${aws:PrincipalTag/tenant}", "TENANT#${aws:PrincipalTag/tenant}#*"]));
    let rendered =
        tenant_isolation_audit::render_json("acme", "arn:aws:iam::123456789012:role/TenantData", "us-east-1").unwrap();
    assert!(rendered.as_array().unwrap().iter().all(|h| h["handler"] != "tagged"), "no session policy for tag mode");
    assert!(rendered.as_array().unwrap().iter().any(|h| h["handler"] == "items"));
}

/// Session-tag mode covers buckets: the role policy names the principal tag in the object ARN and
/// the `s3:prefix` pattern, and a tagged session's S3 client is guarded like any other.
#[tenant_isolated(buckets(files(bucket = "tenant-files", actions = [GetObject, PutObject, ListBucket])), session_tag = "tenant")]
async fn tagged_files(
    files: tenant_isolation::TenantBucket,
    event: lambda_runtime::LambdaEvent<aws_lambda_events::apigw::ApiGatewayV2httpRequest>,
) -> Result<aws_lambda_events::apigw::ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = (files, event);
    Ok(Default::default())
}

#[tokio::test]
async fn tagged_sessions_reach_their_own_objects_only() {
    assert!(
        tagged_files::POLICY_TEMPLATE
            .contains(r#"arn:{{partition}}:s3:::tenant-files/tenants/${aws:PrincipalTag/tenant}/*"#)
    );
    assert!(
        tagged_files::POLICY_TEMPLATE
            .contains(r#"{"StringLike":{"s3:prefix":["tenants/${aws:PrincipalTag/tenant}/*"]}}"#)
    );
    let (_, fx) = shared();
    tenant_isolation_tests::buckets(&fx.endpoint).await;
    let iso = isolation_with(|b| b.session_tag_role_arn(fx.tag_role_arn.clone())).await;
    let name = unique("tagged");
    let scope = iso.enter(tagged_files::SPEC, &tenant("acme"), None).await.unwrap();
    assert!(scope.assumed_role_arn().contains(":assumed-role/TenantDataTagged/"), "{}", scope.assumed_role_arn());
    let files = scope.bucket::<tagged_files_files>().unwrap();
    let s3 = scope.s3().unwrap().clone();
    let (own, foreign) = scope
        .clone()
        .run(async move {
            files.put_object(&name).unwrap().body(b"acme".to_vec().into()).send().await.unwrap();
            let got = files.get_object(&name).unwrap().send().await.unwrap();
            let own = got.body.collect().await.unwrap().to_vec();
            let foreign =
                s3.get_object().bucket("tenant-files").key(format!("tenants/globex/{name}")).send().await.unwrap_err();
            (own, foreign)
        })
        .await;
    assert_eq!(own, b"acme");
    assert_eq!(GuardViolation::find(&foreign).map(|v| v.violation().clone()), Some(Violation::ForeignObject));
}

/// A session-tag session carries no session policy, so its credentials are the same for every
/// handler of the tag: one STS call per tenant serves them all (docs/SCALE.md), and each handler
/// still sends only through its own guarded clients.
#[tokio::test]
async fn tag_handlers_of_one_tenant_share_one_session_and_keep_their_own_guards() {
    let (_, fx) = shared();
    let iso = isolation_with(|b| b.session_tag_role_arn(fx.tag_role_arn.clone())).await;
    let acme = tenant("acme");
    let items = iso.enter(tagged::SPEC, &acme, None).await.unwrap();
    let files = iso.enter(tagged_files::SPEC, &acme, None).await.unwrap();
    assert_eq!(iso.stats().sts_calls, 1, "one session for both of acme's tag handlers: {:?}", iso.stats());
    assert_eq!(items.access_key_id(), files.access_key_id());
    // Another tenant is another session.
    iso.enter(tagged_files::SPEC, &tenant("globex"), None).await.unwrap();
    assert_eq!(iso.stats().sts_calls, 2);
    // The items handler's DynamoDB client sends nothing in the files handler's scope, and the
    // files handler's own DynamoDB client has no table to send to.
    let items_client = items.client().clone();
    let files_client = files.client().clone();
    let table = items.table_name().to_owned();
    let (mismatch, no_table) = files
        .run(async move {
            let get = |c: aws_sdk_dynamodb::Client| {
                c.get_item()
                    .table_name(&table)
                    .key("pk", AttributeValue::S("TENANT#acme".into()))
                    .key("sk", AttributeValue::S("x".into()))
                    .send()
            };
            (get(items_client).await.unwrap_err(), get(files_client).await.unwrap_err())
        })
        .await;
    assert!(format!("{:?}", IsolationError::refusal(&mismatch)).contains("ClientMismatch"), "{mismatch:?}");
    assert_eq!(GuardViolation::find(&no_table).map(|v| v.violation().clone()), Some(Violation::Table(table_name())));
}

fn table_name() -> String {
    shared().1.table.clone()
}
