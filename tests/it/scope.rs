//! The task-local tenant scope: present inside, absent outside, never inherited implicitly.

use crate::common::{isolation, items};
use tenant_isolation::{ScopeError, TenantId, current, current_tenant, spawn};

#[tokio::test]
async fn outside_a_scope_access_is_a_typed_error() {
    assert_eq!(current().unwrap_err(), ScopeError::Outside);
    assert_eq!(current_tenant().unwrap_err(), ScopeError::Outside);
    assert_eq!(spawn(async {}).unwrap_err(), ScopeError::Outside);
}

#[tokio::test]
async fn inside_a_scope_the_tenant_and_its_session_are_visible() {
    let iso = isolation().await;
    let acme = TenantId::parse("acme").unwrap();
    let scope = iso.enter(items::SPEC, &acme, Some("req-1".into())).await.unwrap();
    let seen = scope
        .run(async {
            let s = current().unwrap();
            (s.tenant().clone(), s.request_id().map(str::to_owned), s.session_name().to_owned(), s.partition_key())
        })
        .await;
    assert_eq!(seen, (acme, Some("req-1".into()), "tenant-acme".into(), "TENANT#acme".into()));
    assert_eq!(current().unwrap_err(), ScopeError::Outside, "the scope ends with its future");
}

#[tokio::test]
async fn spawned_tasks_see_the_scope_only_through_the_helper() {
    let iso = isolation().await;
    let globex = TenantId::parse("globex").unwrap();
    let scope = iso.enter(items::SPEC, &globex, None).await.unwrap();
    let (with_helper, without) = scope
        .run(async {
            let with_helper = spawn(async { current_tenant() }).unwrap().await.unwrap();
            let without = tokio::spawn(async { current_tenant() }).await.unwrap();
            (with_helper, without)
        })
        .await;
    assert_eq!(with_helper.unwrap().as_str(), "globex");
    assert_eq!(without.unwrap_err(), ScopeError::Outside);
}

#[tokio::test]
async fn interleaved_scopes_on_one_runtime_each_see_their_own_tenant() {
    let iso = isolation().await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let tenant = TenantId::parse(&format!("t{}", i % 4)).unwrap();
        let scope = iso.enter(items::SPEC, &tenant, None).await.unwrap();
        tasks.push(tokio::spawn(scope.run(async move {
            let mut seen = Vec::new();
            for _ in 0..20 {
                tokio::task::yield_now().await;
                seen.push(current_tenant().unwrap());
            }
            (tenant, seen)
        })));
    }
    for t in tasks {
        let (tenant, seen) = t.await.unwrap();
        assert!(seen.iter().all(|s| *s == tenant), "{tenant} saw {seen:?}");
    }
}
