//! The warm path of an isolated invocation, against bare JWT verification of the same token.
//!
//! Per algorithm (HS256, RS256), in one run:
//! * `floor: jsonwebtoken::decode` — the bare library verifying the same token with the same
//!   checks (signature, `exp`, `nbf`, `iss`, `aud`), key and `Validation` built once;
//! * `Verifier::verify` — the runtime's verification (header checks, algorithm allow-list,
//!   key lookup, audience rule, tenant-id validation);
//! * `Isolation::enter` — the credential-cache hit and the scope;
//! * `warm path` — the whole generated handler: `warm::call_with`, i.e. verify → tenant → cache
//!   hit → task-local scope → the handler takes its guarded `GetItem` builder.
//!
//! Target: `warm path` ≤ 1.2 × the floor. The cache is warmed (one STS call to moto) before
//! anything is measured; every measured iteration is a cache hit (checked at the end).
//!
//! `cargo bench -p tenant-isolation-tests --bench warm_path`

mod common;

use common::{Bearer, Jwt, isolation, warm};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn warm_path(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let (jwts, isolations) = rt.block_on(async {
        let jwts = vec![common::hs256("acme"), common::rs256("acme").await];
        let mut isolations = Vec::new();
        for jwt in &jwts {
            let iso = isolation(jwt.verifier.clone()).await;
            // Warm: the key set (RS256) and one STS call for (acme, warm's policy).
            let out = warm::call_with(&iso, Bearer(jwt.token)).await;
            assert!(out.is_ok(), "warm-up invocation failed: {:?}", out.err());
            assert_eq!(iso.stats().sts_calls, 1);
            isolations.push(iso);
        }
        (jwts, isolations)
    });

    for (jwt, iso) in jwts.iter().zip(&isolations) {
        let Jwt { name, verifier, token, tenant, .. } = jwt;
        let mut group = c.benchmark_group(format!("warm_path/{name}"));
        group.bench_function("floor: jsonwebtoken::decode", |b| b.to_async(&rt).iter(|| async { jwt.bare_verify() }));
        group.bench_function("Verifier::verify", |b| {
            b.to_async(&rt).iter(|| async { verifier.verify(black_box(token)).await.expect("valid") })
        });
        group.bench_function("Isolation::enter (cache hit + scope)", |b| {
            b.to_async(&rt).iter(|| async { iso.enter(&warm::SPEC, black_box(tenant), None).await.expect("hit") })
        });
        group.bench_function("warm path (call_with)", |b| {
            b.to_async(&rt).iter(|| async {
                let out = warm::call_with(iso, Bearer(black_box(token))).await;
                debug_assert!(out.is_ok());
                out
            })
        });
        group.finish();
        let stats = iso.stats();
        assert_eq!(stats.sts_calls, 1, "every measured lookup was a cache hit: {stats:?}");
        println!("{name}: credential cache after the group: {stats:?}");
    }
}

criterion_group!(benches, warm_path);
criterion_main!(benches);
