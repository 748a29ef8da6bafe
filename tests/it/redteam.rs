//! The red-team suite: one test per attack a caller holding one tenant's valid token could
//! try after reading this code, each against the real moto. Every test here was seen to fail
//! with its check removed (the note on each says which check). Compile-time classes are ui
//! cases (`ui-tests/tests/fail/`).

use crate::common::{isolation, items};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::LambdaEvent;
use std::sync::Mutex;
use tenant_isolation::{GuardViolation, Scope, ScopeError, TenantId, TenantTable, Violation, tenant_isolated};
use tenant_isolation_tests::shared;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn event(user: &str) -> LambdaEvent<ApiGatewayV2httpRequest> {
    let token = shared().1.user(user).id_token.clone();
    let mut request = ApiGatewayV2httpRequest::default();
    request.headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    LambdaEvent::new(request, lambda_runtime::Context::default())
}

/// What the guard (or the scope) said about a request sent on `scope`'s client inside
/// `scope`: `Ok(())` when it was let through to moto.
async fn send_get(scope: &Scope, table: String) -> Result<(), String> {
    let client = scope.client().clone();
    let result =
        scope
            .clone()
            .run(async move {
                client.get_item().table_name(table).key("pk", s("TENANT#acme")).key("sk", s("x")).send().await
            })
            .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => {
            if let Some(v) = GuardViolation::find(&e) {
                return Err(format!("guard: {}", v.violation()));
            }
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(err) = source {
                if let Some(scope_error) = err.downcast_ref::<ScopeError>() {
                    return Err(format!("scope: {scope_error:?}"));
                }
                source = err.source();
            }
            Err(format!("other: {e}"))
        }
    }
}

// ---- Class 2: a scope outliving its invocation ----------------------------------------

static KEPT: Mutex<Option<Scope>> = Mutex::new(None);

/// Keeps its scope in a static, and spawns a task that outlives the invocation.
#[tenant_isolated(table = "Orders", actions = [GetItem])]
pub async fn leaky(
    table: TenantTable,
    _event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let scope = table.scope()?;
    *KEPT.lock().unwrap() = Some(scope);
    Ok(ApiGatewayV2httpResponse::default())
}

/// A scope kept past its handler (in a static, in a spawned task) must not act for its
/// tenant in a later invocation. Fails with `Isolation::run` no longer ending the scope.
#[tokio::test]
async fn a_scope_kept_past_its_invocation_signs_nothing() {
    let iso = isolation().await;
    let response = leaky::call_with(&iso, event("alice")).await.unwrap();
    assert_eq!(response.status_code, 0, "the handler ran");
    let kept = KEPT.lock().unwrap().take().expect("the handler kept its scope");
    assert_eq!(kept.tenant().as_str(), "acme");
    assert!(!kept.is_live());
    // Re-entered later (as if from another tenant's invocation or a background task).
    let table = kept.table_name().to_owned();
    assert_eq!(send_get(&kept, table).await, Err(format!("scope: {:?}", ScopeError::Ended { handler: "leaky" })));
    let inside = kept.clone().run(async { tenant_isolation::current() }).await;
    assert_eq!(inside.unwrap_err(), ScopeError::Ended { handler: "leaky" });
    assert!(kept.clone().run(async { tenant_isolation::spawn(async {}) }).await.is_err());
}

/// The same scope, used while its invocation runs, is let through: the refusal above is the
/// invocation's end, not a broken client.
#[tokio::test]
async fn a_live_scope_still_signs() {
    let iso = isolation().await;
    let scope = iso.enter(items::SPEC, &TenantId::parse("acme").unwrap(), None).await.unwrap();
    let table = scope.table_name().to_owned();
    assert_eq!(send_get(&scope, table).await, Ok(()));
    scope.end();
    let table = scope.table_name().to_owned();
    assert!(send_get(&scope, table).await.unwrap_err().starts_with("scope: Ended"));
}

// ---- Class 4: tables named by ARN ------------------------------------------------------

/// A table named by ARN must be the configured table's exact ARN. With the old suffix check
/// (`…:table/Orders` in any account or region) the first two requests were let through.
#[tokio::test]
async fn a_table_arn_must_match_partition_region_account_and_name() {
    let (_, fx) = shared();
    let iso = isolation().await;
    let scope = iso.enter(items::SPEC, &TenantId::parse("acme").unwrap(), None).await.unwrap();
    let own = format!("arn:aws:dynamodb:{}:{}:table/{}", fx.region, fx.account, fx.table);
    for (foreign, what) in [
        (format!("arn:aws:dynamodb:{}:999999999999:table/{}", fx.region, fx.table), "another account"),
        (format!("arn:aws:dynamodb:eu-west-3:{}:table/{}", fx.account, fx.table), "another region"),
        (format!("arn:aws-cn:dynamodb:{}:{}:table/{}", fx.region, fx.account, fx.table), "another partition"),
        (format!("arn:aws:dynamodb:{}:{}:table/x{}", fx.region, fx.account, fx.table), "another name"),
    ] {
        assert_eq!(
            send_get(&scope, foreign.clone()).await,
            Err(format!("guard: {}", Violation::Table(foreign.clone()))),
            "{what}"
        );
    }
    let verdict = send_get(&scope, own).await;
    assert!(!verdict.as_ref().is_err_and(|e| e.starts_with("guard") || e.starts_with("scope")), "{verdict:?}");
}

// ---- Class 3: key prefixes that overlap on one physical table ---------------------------

/// Keys under `TENANT#ORG#` on the same `Orders` table as `items` (`TENANT#`).
#[tenant_isolated(table = "Orders", actions = [GetItem], key_prefix = "TENANT#ORG#")]
pub async fn org_scoped(
    table: TenantTable,
    _event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = table;
    Ok(ApiGatewayV2httpResponse::default())
}

/// Tenant `ORG` of `TENANT#` owns `TENANT#ORG#…`, every key of the other prefix: the second
/// handler on the table is refused, whichever comes first. Fails without the overlap check
/// in `client.rs` (both scopes are entered).
#[tokio::test]
async fn overlapping_key_prefixes_on_one_table_are_refused() {
    let org = TenantId::parse("ORG").unwrap();
    let iso = isolation().await;
    let first = iso.enter(items::SPEC, &org, None).await.unwrap();
    assert!(first.tenant().as_str() == "ORG" && first.partition_key() == "TENANT#ORG");
    let refused = iso.enter(org_scoped::SPEC, &TenantId::parse("acme").unwrap(), None).await.unwrap_err();
    assert_eq!(refused.status(), 500);
    assert!(refused.to_string().contains("`TENANT#ORG#`") && refused.to_string().contains("`TENANT#`"), "{refused}");

    let iso = isolation().await;
    iso.prepare(org_scoped::SPEC).unwrap();
    assert!(iso.prepare(items::SPEC).is_err(), "the other order is refused too");
    assert_eq!(iso.stats().sts_calls, 0, "refused before any STS call");
}
