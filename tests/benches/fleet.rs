//! Fleet scale: what the credential cache costs STS across a fleet of execution environments,
//! from the simulator in `tests/src/fleet.rs` (`docs/SCALE.md`; validated against 8 real
//! `Isolation`s on moto by `tests/it/fleet.rs`).
//!
//! Prints, for `--rate` requests/s over `--tenants` tenants (Zipf `--zipf`) and `--envs`
//! environments: AssumeRole calls per second and the share of requests that wait on STS,
//! for random and per-tenant routing, several cache capacities and session lengths, session
//! policies and session tags; then the cheapest settings that keep STS under `--sts-budget`
//! calls per second. Deterministic: the same flags print the same table.
//!
//! `cargo bench -p tenant-isolation-tests --bench fleet -- [--rate 1000000] [--tenants 100000]
//! [--envs 2000] [--zipf 1.0] [--sts-budget 1000] [--sts-latency-ms 20] [--idle 600]`

use std::process::ExitCode;
use std::time::Instant;
use tenant_isolation_tests::fleet::{Mode, Params, Prediction, Routing, simulate};

struct Args {
    base: Params,
    budget: f64,
}

fn parse() -> Result<Args, String> {
    let mut base = Params::runtime_defaults();
    let mut budget = 1_000.0;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        // `cargo bench` passes `--bench` to every bench binary.
        if flag == "--bench" {
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<f64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--rate" => base.rate = num(&value)?,
            "--tenants" => base.tenants = num(&value)? as usize,
            "--envs" => base.envs = num(&value)? as usize,
            "--zipf" => base.zipf_s = num(&value)?,
            "--sts-budget" => budget = num(&value)?,
            "--sts-latency-ms" => base.sts_latency = num(&value)? / 1e3,
            "--idle" => base.idle = num(&value)?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if base.rate <= 0.0 || base.tenants == 0 || base.envs == 0 || budget <= 0.0 {
        return Err("--rate, --tenants, --envs and --sts-budget must be positive".into());
    }
    Ok(Args { base, budget })
}

/// `p` with a session length, the runtime's default margin/floor/jitter for it, and the
/// simulated period: one session to fill the caches, one session counted.
fn with_session(p: &Params, session: f64) -> Params {
    Params { session, warmup: session, seconds: session, ..p.clone() }
}

fn routing(r: Routing) -> &'static str {
    match r {
        Routing::Random => "random",
        Routing::PerTenant => "per-tenant",
    }
}

fn mode(m: Mode) -> &'static str {
    match m {
        Mode::SessionPolicy => "policy",
        Mode::SessionTag => "tag",
    }
}

fn header() {
    println!(
        "{:<11} {:<14} {:>3} {:>8} {:>9} {:>13} {:>8} {:>12} {:>11} {:>12}",
        "routing",
        "mode",
        "P",
        "session",
        "capacity",
        "AssumeRole/s",
        "waited",
        "evictions/s",
        "envs alive",
        "env starts/s"
    );
}

fn row(p: &Params, r: &Prediction) {
    println!(
        "{:<11} {:<14} {:>3} {:>7.0}s {:>9} {:>13.1} {:>7.3}% {:>12.1} {:>11.0} {:>12.2}",
        routing(p.routing),
        mode(p.mode),
        p.policies,
        p.session,
        p.capacity,
        r.sts_per_second(),
        100.0 * r.waited_share(),
        r.evictions_per_second(),
        r.environments,
        r.env_starts_per_second()
    );
}

fn run(p: &Params) -> Prediction {
    let r = simulate(p);
    row(p, &r);
    r
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fleet: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let b = &args.base;
    println!(
        "fleet: {} requests/s, {} tenants (Zipf {}), {} environments under random routing ({:.0} requests/s each), \
         STS {} ms; margin {} s, floor {} s, jitter {} s; per-tenant environments reclaimed after {} s idle",
        b.rate,
        b.tenants,
        b.zipf_s,
        b.envs,
        b.rate / b.envs as f64,
        b.sts_latency * 1e3,
        b.margin,
        b.floor,
        b.jitter,
        b.idle
    );
    println!(
        "simulated: {} sampled environments (random) / {} rank strata (per-tenant), one session length of warm-up, \
         one counted",
        b.sample_envs, b.strata
    );
    header();
    let mut results: Vec<(Params, Prediction)> = Vec::new();
    let mut keep = |p: Params| {
        let r = run(&p);
        results.push((p, r));
    };
    for session in [3600.0, 900.0] {
        for capacity in [1_000, 10_000, 100_000] {
            keep(Params { capacity, ..with_session(b, session) });
        }
    }
    for session in [3600.0, 900.0] {
        keep(Params { routing: Routing::PerTenant, ..with_session(b, session) });
    }
    // A function with 4 handler policies (the orders router): session policies need a session
    // per (tenant, policy); session tags share one per tenant.
    for m in [Mode::SessionPolicy, Mode::SessionTag] {
        keep(Params { mode: m, policies: 4, ..with_session(b, 3600.0) });
    }
    keep(Params { mode: Mode::SessionTag, policies: 4, routing: Routing::PerTenant, ..with_session(b, 3600.0) });

    // The cheapest settings under the budget: per routing, the smallest capacity (memory per
    // environment: ~2 KiB per session, docs/BENCHMARKS.md) and then the longest session.
    println!(
        "\nSTS budget {} AssumeRole/s: settings that keep the fleet under it (session policies, P = 1)",
        args.budget
    );
    let mut found = false;
    for r in [Routing::Random, Routing::PerTenant] {
        let capacities: &[u64] = if r == Routing::Random { &[10_000, 100_000, 200_000] } else { &[10_000] };
        let mut best: Option<(Params, Prediction)> = None;
        let mut lowest: Option<(Params, Prediction)> = None;
        'search: for &capacity in capacities {
            for session in [3600.0, 1800.0] {
                let p = Params { routing: r, capacity, ..with_session(b, session) };
                let known = results.iter().find(|(q, _)| {
                    q.routing == p.routing
                        && q.capacity == p.capacity
                        && q.session == p.session
                        && q.mode == p.mode
                        && q.policies == p.policies
                });
                let pred = known.map_or_else(|| simulate(&p), |(_, pred)| *pred);
                if lowest.as_ref().is_none_or(|(_, l)| pred.sts_per_second() < l.sts_per_second()) {
                    lowest = Some((p.clone(), pred));
                }
                if pred.sts_per_second() <= args.budget {
                    best = Some((p, pred));
                    break 'search;
                }
            }
        }
        match best {
            Some((p, pred)) => {
                found = true;
                // ~2 KiB per cached session (docs/BENCHMARKS.md); an environment of one tenant
                // holds at most one session per policy.
                let sessions = if r == Routing::PerTenant { p.policies as f64 } else { p.capacity as f64 };
                println!(
                    "  {:<10} capacity {:>7}, sessions {:>4.0} s: {:.1} AssumeRole/s, {:.3} % of requests wait, \
                     {:.0} environments, cache ≤ {:.0} KiB per environment: WITHIN",
                    routing(r),
                    p.capacity,
                    p.session,
                    pred.sts_per_second(),
                    100.0 * pred.waited_share(),
                    pred.environments,
                    sessions * 2.0
                );
            }
            None => {
                let (p, pred) = lowest.expect("at least one setting was simulated");
                println!(
                    "  {:<10} none under {} AssumeRole/s; the lowest: capacity {}, sessions {:.0} s: {:.1} AssumeRole/s \
                     ({:.1} per environment), {:.3} % of requests wait",
                    routing(r),
                    args.budget,
                    p.capacity,
                    p.session,
                    pred.sts_per_second(),
                    pred.sts_per_second() / pred.environments,
                    100.0 * pred.waited_share()
                );
            }
        }
    }
    if !found {
        println!("  none of the settings searched meets the budget");
    }
    println!("fleet: simulated in {:.0} s", started.elapsed().as_secs_f64());
    ExitCode::SUCCESS
}
