//! Credential-cache lookups with both cores hammering the cache.
//!
//! `Isolation::enter` for 64 warm tenants (64 STS calls to moto before anything is measured),
//! from 1 task and from 2 tasks at once on a 2-worker tokio runtime. Each task makes `iters`
//! lookups, so with perfect scaling the time per iteration is the same for 1 and 2 tasks; the
//! 1-task figure is the floor, the ratio is what contention costs. Criterion's throughput
//! column gives lookups per second.
//!
//! Two references in the same run, to tell the cache from the machine:
//! * `moka get` — a `moka::future::Cache` of the same shape (`(TenantId, u64)` keys, `Arc`
//!   values, same capacity and a per-entry expiry), `get` alone;
//! * `Verifier::verify (HS256)` — CPU work that shares nothing mutable between tasks: what
//!   perfect scaling looks like on this machine.
//!
//! `cargo bench -p tenant-isolation-tests --bench cache`

mod common;

use common::{isolation, warm};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use moka::future::Cache;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tenant_isolation::TenantId;

const TENANTS: usize = 64;

fn contention(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let jwt = common::hs256("acme");
    let (iso, tenants) = rt.block_on(async {
        let iso = isolation(jwt.verifier.clone()).await;
        let tenants: Vec<TenantId> =
            (0..TENANTS).map(|i| TenantId::parse(&format!("cache-{i:02}")).expect("tenant")).collect();
        for t in &tenants {
            iso.enter(warm::SPEC, t, None).await.expect("warm-up");
        }
        (iso, Arc::new(tenants))
    });
    assert_eq!(iso.stats().sts_calls, TENANTS as u64);

    // The same shape as the runtime's cache: entries expire per entry, capacity 10,000.
    struct Expire;
    impl moka::Expiry<(TenantId, u64), Arc<String>> for Expire {
        fn expire_after_create(&self, _: &(TenantId, u64), _: &Arc<String>, _: Instant) -> Option<Duration> {
            Some(Duration::from_secs(3300))
        }
    }
    let moka: Cache<(TenantId, u64), Arc<String>> = Cache::builder().max_capacity(10_000).expire_after(Expire).build();
    rt.block_on(async {
        for t in tenants.iter() {
            moka.insert((t.clone(), 7), Arc::new(t.to_string())).await;
        }
    });

    // Each closure is cloned into each task; a call borrows from its own copy.
    let (iso_c, ts) = (iso.clone(), tenants.clone());
    bench_scaling(c, &rt, "cache_lookup", move |i| {
        let (iso, ts) = (iso_c.clone(), ts.clone());
        async move {
            std::hint::black_box(iso.enter(warm::SPEC, &ts[i], None).await.expect("hit"));
        }
    });
    let (moka_c, keys) = (moka.clone(), Arc::new(tenants.iter().map(|t| (t.clone(), 7)).collect::<Vec<_>>()));
    bench_scaling(c, &rt, "cache_lookup_ref/moka get", move |i| {
        let (moka, keys) = (moka_c.clone(), keys.clone());
        async move {
            std::hint::black_box(moka.get(&keys[i]).await.expect("present"));
        }
    });
    let (verifier, token) = (jwt.verifier.clone(), jwt.token);
    bench_scaling(c, &rt, "cache_lookup_ref/Verifier::verify (HS256)", move |_| {
        let verifier = verifier.clone();
        async move {
            std::hint::black_box(verifier.verify(token).await.expect("valid"));
        }
    });

    let stats = iso.stats();
    assert_eq!(stats.sts_calls, TENANTS as u64, "every measured lookup was a hit: {stats:?}");
    println!("credential cache after the group: {stats:?}");
}

/// `op(tenant index)` from 1 task and from 2 tasks at once; each task runs it `iters` times.
fn bench_scaling<F, Fut>(c: &mut Criterion, rt: &tokio::runtime::Runtime, group: &str, op: F)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let mut g = c.benchmark_group(group);
    for threads in [1usize, 2] {
        g.throughput(Throughput::Elements(threads as u64));
        g.bench_function(BenchmarkId::new("tasks", threads), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    let tasks: Vec<_> = (0..threads)
                        .map(|worker| {
                            let op = op.clone();
                            tokio::spawn(async move {
                                for i in 0..iters as usize {
                                    op((i + worker * 7) % TENANTS).await;
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.expect("task");
                    }
                    start.elapsed()
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, contention);
criterion_main!(benches);
