//! The fleet simulator (`tenant_isolation_tests::fleet`, `docs/SCALE.md`) against the real
//! runtime: 8 `Isolation`s as 8 execution environments on moto, a few hundred tenants with Zipf
//! traffic, random routing. The simulator predicts the `AssumeRole` calls and capacity evictions
//! from the same parameters and the same request trace; the runtimes' own counters (`Stats`)
//! must be within 10 % of it.
//!
//! What this can and cannot validate in a test: STS refuses sessions under 900 s, so within a
//! test's seconds no session reaches its refresh margin. This validates cold misses and capacity
//! evictions (the cache key, the shared cache per environment, moka's admission and eviction);
//! refresh-ahead and the floor are covered by the simulator's unit tests and
//! `it/reliability.rs`. Requests are sent one at a time (no coalescing: the simulator gets an
//! STS latency of 0), and the cache's pending maintenance runs after every request on both
//! sides, so that the capacity is exact at every lookup (moka otherwise applies it every 64
//! writes, on a timer the simulation does not have).

use crate::common::{isolation_with, items};
use tenant_isolation::TenantId;
use tenant_isolation_tests::fleet::{Params, Routing, replay, trace};

const ENVS: usize = 8;
const TENANTS: usize = 400;
const CAPACITY: u64 = 48;
const REQUESTS: usize = 2_400;

fn within(real: u64, predicted: u64, tolerance: f64) -> bool {
    (real as f64 - predicted as f64).abs() <= tolerance * predicted as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_predicts_the_sts_calls_of_eight_real_environments_within_10_percent() {
    let p = Params {
        tenants: TENANTS,
        zipf_s: 1.0,
        rate: 1_000.0,
        envs: ENVS,
        routing: Routing::Random,
        capacity: CAPACITY,
        sts_latency: 0.0,
        strict_capacity: true,
        seed: 18,
        ..Params::runtime_defaults()
    };
    let requests = trace(&p, REQUESTS);
    let predicted = replay(&p, &requests);

    let mut envs = Vec::new();
    for _ in 0..ENVS {
        envs.push(isolation_with(|b| b.cache_capacity(CAPACITY)).await);
    }
    let tenants: Vec<TenantId> =
        (0..TENANTS).map(|k| TenantId::parse(&format!("fleet-{k:04}")).expect("tenant id")).collect();
    for r in &requests {
        let env = &envs[r.env as usize];
        env.enter(items::SPEC, &tenants[r.tenant as usize], None).await.expect("a session");
        env.sync_cache().await;
    }
    let (mut sts, mut misses, mut evictions) = (0, 0, 0);
    for env in &envs {
        let s = env.stats();
        sts += s.sts_calls;
        misses += s.misses;
        evictions += s.evictions;
    }
    println!(
        "fleet validation: {REQUESTS} requests, {TENANTS} tenants (Zipf 1.0), {ENVS} environments, capacity {CAPACITY}: \
         STS calls real {sts} / simulated {} ({:+.1} %), capacity evictions real {evictions} / simulated {} ({:+.1} %), \
         waited real {misses} / simulated {}",
        predicted.sts_calls,
        100.0 * (sts as f64 / predicted.sts_calls as f64 - 1.0),
        predicted.evictions,
        100.0 * (evictions as f64 / predicted.evictions.max(1) as f64 - 1.0),
        predicted.waited,
    );
    assert!(predicted.evictions > 100, "the parameters must exercise the capacity: {predicted:?}");
    assert!(within(sts, predicted.sts_calls, 0.10), "STS calls: real {sts}, simulated {}", predicted.sts_calls);
    assert!(
        within(evictions, predicted.evictions, 0.10),
        "evictions: real {evictions}, simulated {}",
        predicted.evictions
    );
}
