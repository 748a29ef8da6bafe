//! STS credential vending and caching against moto's STS.

use crate::common::{isolation, isolation_with, items, read_only, unique};
use aws_sdk_dynamodb::types::AttributeValue;
use std::time::Duration;
use tenant_isolation::{ConfigError, Isolation, TenantId};

fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[tokio::test]
async fn two_tenants_write_and_read_their_own_items() {
    let iso = isolation().await;
    // Not `ORDER#…`: these items are not orders, and the orders handlers list that space.
    let sk = unique("CRED#cred");
    for t in ["acme", "globex"] {
        let scope = iso.enter(items::SPEC, &tenant(t), None).await.unwrap();
        // Requests are sent from inside the scope: the client signs with its scope's
        // credentials.
        let (client, table, pk) = (scope.client().clone(), scope.table_name().to_owned(), scope.partition_key());
        let sk = sk.clone();
        scope
            .run(async move {
                client
                    .put_item()
                    .table_name(table)
                    .item("pk", AttributeValue::S(pk))
                    .item("sk", AttributeValue::S(sk))
                    .item("owner", AttributeValue::S(t.into()))
                    .send()
                    .await
            })
            .await
            .unwrap();
    }
    for t in ["acme", "globex"] {
        let scope = iso.enter(items::SPEC, &tenant(t), None).await.unwrap();
        let (client, table, pk) = (scope.client().clone(), scope.table_name().to_owned(), scope.partition_key());
        let sk = sk.clone();
        let out = scope
            .run(async move {
                client
                    .get_item()
                    .table_name(table)
                    .key("pk", AttributeValue::S(pk))
                    .key("sk", AttributeValue::S(sk))
                    .send()
                    .await
            })
            .await
            .unwrap();
        assert_eq!(out.item().unwrap()["owner"], AttributeValue::S(t.into()));
    }
}

#[tokio::test]
async fn sessions_are_named_after_the_tenant_in_the_assumed_role_arn() {
    let iso = isolation().await;
    let scope = iso.enter(items::SPEC, &tenant("acme"), None).await.unwrap();
    assert_eq!(scope.session_name(), "tenant-acme");
    assert!(scope.assumed_role_arn().ends_with(":assumed-role/TenantData/tenant-acme"), "{}", scope.assumed_role_arn());
    assert!(scope.expires_at() > std::time::SystemTime::now() + Duration::from_secs(3000));
}

#[tokio::test]
async fn two_hundred_requests_over_five_tenants_make_five_sts_calls() {
    let iso = isolation().await;
    for i in 0..200 {
        let t = tenant(&format!("five-{}", i % 5));
        let scope = iso.enter(items::SPEC, &t, None).await.unwrap();
        assert_eq!(scope.tenant(), &t);
    }
    let stats = iso.stats();
    assert_eq!(stats.sts_calls, 5, "{stats:?}");
    assert_eq!(stats.hits, 195, "{stats:?}");
}

#[tokio::test]
async fn a_hundred_concurrent_first_requests_of_one_tenant_make_one_sts_call() {
    let iso = isolation().await;
    let t = tenant("burst");
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (iso, t) = (iso.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            iso.enter(items::SPEC, &t, None).await.map(|s| s.access_key_id().to_owned())
        }));
    }
    let mut keys = Vec::new();
    for task in tasks {
        keys.push(task.await.unwrap().unwrap());
    }
    keys.dedup();
    assert_eq!(keys.len(), 1, "all callers share one credential");
    assert_eq!(iso.stats().sts_calls, 1);
}

#[tokio::test]
async fn handlers_with_different_policies_get_different_credentials() {
    let iso = isolation().await;
    let a = iso.enter(items::SPEC, &tenant("acme"), None).await.unwrap();
    let b = iso.enter(read_only::SPEC, &tenant("acme"), None).await.unwrap();
    assert_ne!(a.access_key_id(), b.access_key_id());
    assert_eq!(iso.stats().sts_calls, 2);
    assert!(!items::SPEC.same_policy(read_only::SPEC));
}

/// Past the refresh floor, cached credentials are never served: the request waits for new
/// ones.
#[tokio::test]
async fn credentials_past_the_floor_make_the_request_wait_for_new_ones() {
    // 900 s sessions, renewed ahead from 898 s before expiry, never served with 897 s or less
    // left: past the floor three seconds after they were vended.
    let iso = isolation_with(|b| {
        b.session_duration(secs(900)).refresh_margin(secs(898)).refresh_floor(secs(897)).refresh_jitter(Duration::ZERO)
    })
    .await;
    let t = tenant("renew");
    let first = iso.enter(items::SPEC, &t, None).await.unwrap();
    let again = iso.enter(items::SPEC, &t, None).await.unwrap();
    assert_eq!(first.access_key_id(), again.access_key_id(), "before the margin: served from the cache");
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let renewed = iso.enter(items::SPEC, &t, None).await.unwrap();
    assert_ne!(first.access_key_id(), renewed.access_key_id(), "past the floor: new credentials");
    assert!(renewed.expires_at() > first.expires_at());
    let stats = iso.stats();
    assert_eq!((stats.sts_calls, stats.misses, stats.hits, stats.refreshes), (2, 2, 1, 0), "{stats:?}");
}

/// Sessions that are inside their refresh margin as soon as they are vended: the margin is the
/// whole 900 s session but its first microsecond, and there is no jitter. The floor is 60 s.
async fn renewed_ahead_at_once() -> tenant_isolation::Isolation {
    isolation_with(|b| {
        b.session_duration(secs(900))
            .refresh_margin(secs(900) - Duration::from_micros(1))
            .refresh_floor(secs(60))
            .refresh_jitter(Duration::ZERO)
    })
    .await
}

/// A request that finds its credentials inside the refresh margin is served with them, from
/// the cache, without waiting for STS; one renewal runs in the background however many
/// requests come, and later requests get its credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_inside_the_margin_is_served_at_once_while_one_renewal_runs() {
    let iso = renewed_ahead_at_once().await;
    let t = tenant("ahead");
    let vended = iso.enter(items::SPEC, &t, None).await.unwrap();
    assert_eq!(iso.stats().sts_calls, 1);
    let served = iso.enter(items::SPEC, &t, None).await.unwrap();
    assert_eq!(served.access_key_id(), vended.access_key_id(), "inside the margin: the cached credentials");
    let stats = iso.stats();
    assert_eq!((stats.misses, stats.hits, stats.refreshes), (1, 1, 1), "{stats:?}");

    // Fifty concurrent requests: each session they are served with starts one renewal at most.
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (iso, t) = (iso.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            iso.enter(items::SPEC, &t, None).await.map(|s| s.access_key_id().to_owned())
        }));
    }
    let mut served = std::collections::BTreeSet::from([vended.access_key_id().to_owned()]);
    for task in tasks {
        served.insert(task.await.unwrap().unwrap());
    }
    let stats = iso.stats();
    assert!(stats.refreshes <= served.len() as u64, "{} sessions served, {stats:?}", served.len());
    assert_eq!(stats.misses, 1, "no request waited for STS: {stats:?}");

    // The renewal's credentials replace the cached ones: a later request is served with them.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let renewed = loop {
        let scope = iso.enter(items::SPEC, &t, None).await.unwrap();
        if scope.access_key_id() != vended.access_key_id() {
            break scope;
        }
        assert!(std::time::Instant::now() < deadline, "no renewal replaced the credentials: {:?}", iso.stats());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(renewed.expires_at() > vended.expires_at());
    assert!(renewed.assumed_role_arn().ends_with(":assumed-role/TenantData/tenant-ahead"), "the same assume path");
    let stats = iso.stats();
    assert!(stats.sts_calls >= 2 && stats.refreshes >= 1, "{stats:?}");
    assert_eq!((stats.misses, stats.refresh_failures, stats.sts_failures), (1, 0, 0), "{stats:?}");
}

#[tokio::test]
async fn the_cache_is_bounded_and_evicts() {
    let iso = isolation_with(|b| b.cache_capacity(3)).await;
    for i in 0..12 {
        iso.enter(items::SPEC, &tenant(&format!("evict-{i}")), None).await.unwrap();
        iso.sync_cache().await;
    }
    let stats = iso.stats();
    assert!(stats.entries <= 3, "{stats:?}");
    assert!(stats.evictions >= 9, "{stats:?}");
}

#[tokio::test]
async fn configuration_errors_name_the_setting() {
    let (_, fx) = tenant_isolation_tests::shared();
    let sdk = tenant_isolation_tests::sdk_config(&fx.endpoint).await;
    let verifier = crate::common::cognito_verifier(fx);
    let too_long = Isolation::builder()
        .sdk_config(sdk.clone())
        .verifier(verifier.clone())
        .role_arn(fx.role_arn.clone())
        .session_duration(Duration::from_secs(7200))
        .build()
        .await
        .unwrap_err();
    assert!(matches!(too_long, ConfigError::Invalid { var: "TENANT_SESSION_SECONDS", .. }), "{too_long}");
    let bad_arn = Isolation::builder()
        .sdk_config(sdk)
        .verifier(verifier)
        .role_arn("arn:aws:iam::123:role/x")
        .build()
        .await
        .unwrap_err();
    assert!(matches!(bad_arn, ConfigError::Invalid { var: "TENANT_ROLE_ARN", .. }), "{bad_arn}");
    let floor_at_margin = Isolation::builder()
        .sdk_config(tenant_isolation_tests::sdk_config(&fx.endpoint).await)
        .verifier(crate::common::cognito_verifier(fx))
        .role_arn(fx.role_arn.clone())
        .refresh_margin(secs(120))
        .refresh_floor(secs(120))
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(floor_at_margin, ConfigError::Invalid { var: "TENANT_REFRESH_FLOOR_SECONDS", .. }),
        "{floor_at_margin}"
    );
    if std::env::var_os("TENANT_ROLE_ARN").is_none() {
        let sdk = tenant_isolation_tests::sdk_config(&fx.endpoint).await;
        let missing = Isolation::builder()
            .sdk_config(sdk)
            .verifier(crate::common::cognito_verifier(fx))
            .build()
            .await
            .unwrap_err();
        assert!(matches!(missing, ConfigError::Missing { var: "TENANT_ROLE_ARN", .. }), "{missing}");
        assert!(missing.to_string().contains("TENANT_ROLE_ARN"));
    }
}

#[tenant_isolation::tenant_isolated(table = "Orders", table_env = "TI_TEST_TABLE_A", actions = [GetItem])]
async fn on_table_a(
    table: tenant_isolation::TenantTable,
    event: lambda_runtime::LambdaEvent<aws_lambda_events::apigw::ApiGatewayV2httpRequest>,
) -> Result<aws_lambda_events::apigw::ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = (table, event);
    Ok(Default::default())
}

#[tenant_isolation::tenant_isolated(table = "Orders", table_env = "TI_TEST_TABLE_B", actions = [GetItem])]
async fn on_table_b(
    table: tenant_isolation::TenantTable,
    event: lambda_runtime::LambdaEvent<aws_lambda_events::apigw::ApiGatewayV2httpRequest>,
) -> Result<aws_lambda_events::apigw::ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = (table, event);
    Ok(Default::default())
}

/// Same template (`table/{{table}}`), tables bound by different variables: each session's
/// client and guard belong to one table, so these must never share a cache entry.
#[test]
fn runtime_bound_tables_do_not_share_credentials() {
    assert_eq!(on_table_a::POLICY_TEMPLATE, on_table_b::POLICY_TEMPLATE);
    assert!(!on_table_a::SPEC.same_policy(on_table_b::SPEC));
}
