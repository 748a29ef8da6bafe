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
//! Criterion measures each function in turn, so drift of a noisy machine between two of them
//! shows up in their ratio. After the criterion groups, a paired check runs the floor and the
//! warm path in alternating blocks (`ROUNDS` rounds of `BLOCK` calls each, order swapped every
//! round) and prints the median of the per-round ratios: the ratio this benchmark gates on.
//!
//! `cargo bench -p tenant-isolation-tests --bench warm_path`

mod common;

use common::{Jwt, bearer, isolation, warm};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Paired check: rounds, and calls per block.
const ROUNDS: usize = 201;
const BLOCK: usize = 200;
const TARGET: f64 = 1.2;

fn warm_path(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let (jwts, isolations) = rt.block_on(async {
        let jwts = vec![common::hs256("acme"), common::rs256("acme").await];
        let mut isolations = Vec::new();
        for jwt in &jwts {
            let iso = isolation(jwt.verifier.clone()).await;
            // Warm: the key set (RS256) and one STS call for (acme, warm's policy).
            let out = warm::call_with(&iso, bearer(jwt.token)).await;
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
            b.to_async(&rt).iter(|| async { iso.enter(warm::SPEC, black_box(tenant), None).await.expect("hit") })
        });
        group.bench_function("warm path (call_with)", |b| {
            b.to_async(&rt).iter(|| async {
                let out = warm::call_with(iso, bearer(black_box(token))).await;
                debug_assert!(out.is_ok());
                out
            })
        });
        group.finish();
        let stats = iso.stats();
        assert_eq!(stats.sts_calls, 1, "every measured lookup was a cache hit: {stats:?}");
        println!("{name}: credential cache after the group: {stats:?}");
    }

    println!("\nwarm path / floor, paired: {ROUNDS} rounds of {BLOCK} calls each, alternating");
    for (jwt, iso) in jwts.iter().zip(&isolations) {
        let floor_block = || {
            let t = Instant::now();
            for _ in 0..BLOCK {
                black_box(jwt.bare_verify());
            }
            t.elapsed()
        };
        let warm_block = || {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..BLOCK {
                    let out = warm::call_with(iso, bearer(black_box(jwt.token))).await;
                    assert!(out.is_ok());
                }
                t.elapsed()
            })
        };
        let (mut floors, mut warms, mut ratios) = paired(ROUNDS, &floor_block, &warm_block);
        // Where the overhead goes: the parts, paired with the floor the same way.
        let part_ratio = |part: &dyn Fn() -> Duration| median_f64(&mut paired(ROUNDS / 2, &floor_block, part).2);
        let verify_ratio = part_ratio(&|| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..BLOCK {
                    black_box(jwt.verifier.verify(black_box(jwt.token)).await.expect("valid"));
                }
                t.elapsed()
            })
        });
        let enter_ratio = part_ratio(&|| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..BLOCK {
                    let id = jwt.verifier.verify(black_box(jwt.token)).await.expect("valid");
                    black_box(iso.enter(warm::SPEC, &id.tenant, None).await.expect("hit"));
                }
                t.elapsed()
            })
        });
        println!(
            "{}: paired ratios of the parts: Verifier::verify {verify_ratio:.3}, verify + Isolation::enter {enter_ratio:.3}",
            jwt.name
        );
        let (f, w, r) = (median(&mut floors), median(&mut warms), median_f64(&mut ratios));
        println!(
            "{}: floor {:.3} µs, warm path {:.3} µs, median paired ratio {r:.3} (target <= {TARGET}): {}",
            jwt.name,
            f.as_secs_f64() * 1e6,
            w.as_secs_f64() * 1e6,
            if r <= TARGET { "PASS" } else { "FAIL" }
        );
        assert_eq!(iso.stats().sts_calls, 1);
    }
}

/// `rounds` rounds of one `floor` block and one `part` block, the order swapped every round.
/// Returns the per-call floor and part times and the per-round ratios part/floor.
fn paired(
    rounds: usize,
    floor: &dyn Fn() -> Duration,
    part: &dyn Fn() -> Duration,
) -> (Vec<Duration>, Vec<Duration>, Vec<f64>) {
    let (mut floors, mut parts, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (f, p) = if round % 2 == 0 {
            let f = floor();
            (f, part())
        } else {
            let p = part();
            (floor(), p)
        };
        ratios.push(p.as_secs_f64() / f.as_secs_f64());
        floors.push(f / BLOCK as u32);
        parts.push(p / BLOCK as u32);
    }
    (floors, parts, ratios)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn median_f64(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    v[v.len() / 2]
}

criterion_group!(benches, warm_path);
criterion_main!(benches);
