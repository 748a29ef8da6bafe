//! A deterministic discrete-event simulator of a fleet of Lambda execution environments, each
//! with the runtime's credential cache, predicting STS `AssumeRole` calls and the share of
//! requests that wait on STS (`docs/SCALE.md`; driven by `benches/fleet.rs`, validated against
//! the real runtime by `it/fleet.rs`).
//!
//! What each simulated environment does per request is what `runtime/src/credentials.rs` does
//! per `Vendor::session`:
//!
//! * the cache key is (tenant, handler policy) with session policies, and (tenant, tag) in
//!   session-tag mode, whose credentials do not depend on the handler ([`Mode::SessionTag`]: one
//!   session per tenant, whatever the number of handler policies);
//! * an entry is served until its floor (`duration − floor` after it was vended); from its
//!   renewal point (drawn per session in `[margin − jitter, margin]` before expiry) the first
//!   request starts ONE background renewal and is served at once; a request that finds no entry
//!   (or one past its floor) waits for STS, and concurrent waiters of one key share one call;
//! * the cache is `moka` with the runtime's capacity, the same crate and eviction policy (TinyLFU
//!   admission, LRU order); entries leave it at their floor (expiry) or for capacity (eviction).
//!
//! Time is simulated: arrivals are a seeded Poisson process, tenants Zipf(s), and an STS call
//! takes [`Params::sts_latency`]. Environments do not share caches, so under random routing the
//! fleet is E independent copies of one environment that sees R/E requests per second: the
//! simulator runs a sample of them ([`Params::sample_envs`]) and multiplies by E. Under Lambda's
//! per-tenant routing (tenant isolation mode) an environment serves one tenant: each tenant has
//! `max(1, ⌈λᵢ / c⌉)` environments of its own (c = what one environment serves, R/E by default),
//! an idle environment is reclaimed after [`Params::idle`] seconds and the next request starts a
//! new one (a cold start with an empty cache); tenants are simulated in log-spaced rank strata,
//! one representative per stratum, multiplied by the stratum's size.

use moka::notification::RemovalCause;
use moka::sync::Cache;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// How requests reach environments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing {
    /// Any request to any environment (Lambda's default).
    Random,
    /// Lambda tenant isolation mode (`TenancyConfig` `PER_TENANT`): an environment serves one
    /// tenant only.
    PerTenant,
}

/// How sessions are keyed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Session policies: one session per (tenant, handler policy), as the runtime keys them.
    SessionPolicy,
    /// Session tags: one session per (tenant, tag), shared by every handler policy of the tag,
    /// as the runtime keys them (every handler of the tenant gets the same credentials).
    SessionTag,
}

/// The simulated fleet. Times in seconds.
#[derive(Clone, Debug)]
pub struct Params {
    /// Tenants (ranks 1..=T by traffic).
    pub tenants: usize,
    /// Zipf exponent of tenant traffic (tenant of rank k gets a share ∝ 1/kˢ).
    pub zipf_s: f64,
    /// Requests per second, whole fleet.
    pub rate: f64,
    /// Execution environments (random routing).
    pub envs: usize,
    /// Requests per second one environment serves (per-tenant routing sizes each tenant's
    /// environments by it); `None`: rate / envs.
    pub env_rate: Option<f64>,
    /// How requests reach environments.
    pub routing: Routing,
    /// How sessions are keyed.
    pub mode: Mode,
    /// Handler policies per function, requests spread evenly over them (1 for a function per
    /// handler, 4 for the orders router).
    pub policies: usize,
    /// `TENANT_SESSION_SECONDS`.
    pub session: f64,
    /// `TENANT_REFRESH_MARGIN_SECONDS`.
    pub margin: f64,
    /// `TENANT_REFRESH_FLOOR_SECONDS`.
    pub floor: f64,
    /// `TENANT_REFRESH_JITTER_SECONDS`.
    pub jitter: f64,
    /// `TENANT_CACHE_CAPACITY` (sessions per environment).
    pub capacity: u64,
    /// How long one `AssumeRole` takes.
    pub sts_latency: f64,
    /// Per-tenant routing: an environment idle this long is reclaimed.
    pub idle: f64,
    /// Simulated time not counted (the fleet fills its caches).
    pub warmup: f64,
    /// Simulated time counted, after the warm-up.
    pub seconds: f64,
    /// Random routing: environments simulated (the figures are scaled to `envs`).
    pub sample_envs: usize,
    /// Per-tenant routing: rank strata (log-spaced).
    pub strata: usize,
    /// Seed of every random draw: the same parameters give the same figures.
    pub seed: u64,
    /// Run the cache's pending maintenance after every request (capacity exact at all times).
    /// Off, moka applies it every 64 writes (and on a timer the simulation does not have), as
    /// in the runtime.
    pub strict_capacity: bool,
}

impl Params {
    /// The runtime's defaults (`runtime/src/isolation.rs`): sessions of 3,600 s, margin 300 s,
    /// floor 60 s, jitter 60 s, capacity 10,000; session policies, one policy per function.
    pub fn runtime_defaults() -> Params {
        Params {
            tenants: 100_000,
            zipf_s: 1.0,
            rate: 1_000_000.0,
            envs: 2_000,
            env_rate: None,
            routing: Routing::Random,
            mode: Mode::SessionPolicy,
            policies: 1,
            session: 3600.0,
            margin: 300.0,
            floor: 60.0,
            jitter: 60.0,
            capacity: 10_000,
            sts_latency: 0.02,
            idle: 600.0,
            warmup: 3600.0,
            seconds: 3600.0,
            sample_envs: 2,
            strata: 40,
            seed: 1,
            strict_capacity: false,
        }
    }

    fn env_rate(&self) -> f64 {
        self.env_rate.unwrap_or(self.rate / self.envs as f64)
    }

    /// Cache policy key of a request's handler policy: the policy, or 0 when the tenant's
    /// sessions are shared by every handler.
    fn policy_key(&self, policy: u16) -> u16 {
        if self.mode == Mode::SessionTag { 0 } else { policy }
    }
}

/// One request: when, where, whose, which handler policy.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// Seconds from the start.
    pub at: f64,
    /// Environment index.
    pub env: u32,
    /// Tenant, 0-based rank.
    pub tenant: u32,
    /// Handler policy index.
    pub policy: u16,
}

/// Tenant ranks drawn Zipf(s) over `1..=n` (returned 0-based) by inverting the cumulative
/// distribution.
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    /// Over `n` ranks with exponent `s`.
    pub fn new(n: usize, s: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n);
        let mut sum = 0.0;
        for k in 1..=n {
            sum += (k as f64).powf(-s);
            cdf.push(sum);
        }
        for c in &mut cdf {
            *c /= sum;
        }
        Zipf { cdf }
    }

    /// Share of traffic of the tenant of 0-based rank `i`.
    pub fn share(&self, i: usize) -> f64 {
        self.cdf[i] - if i == 0 { 0.0 } else { self.cdf[i - 1] }
    }

    /// One 0-based rank.
    pub fn sample(&self, rng: &mut fastrand::Rng) -> usize {
        let u = rng.f64();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

fn exponential(rng: &mut fastrand::Rng, rate: f64) -> f64 {
    -(1.0 - rng.f64()).ln() / rate
}

/// `requests` requests of the whole fleet at `p.rate`, each to a random environment of
/// `p.envs`: the trace the validation replays on real `Isolation`s.
pub fn trace(p: &Params, requests: usize) -> Vec<Request> {
    let mut rng = fastrand::Rng::with_seed(p.seed);
    let zipf = Zipf::new(p.tenants, p.zipf_s);
    let mut at = 0.0;
    (0..requests)
        .map(|_| {
            at += exponential(&mut rng, p.rate);
            Request {
                at,
                env: rng.u32(..p.envs as u32),
                tenant: zipf.sample(&mut rng) as u32,
                policy: rng.u16(..p.policies as u16),
            }
        })
        .collect()
}

/// Counts of a simulation; over the counted period only.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    /// Requests.
    pub requests: u64,
    /// `AssumeRole` calls (misses and background renewals).
    pub sts_calls: u64,
    /// Requests that waited on STS (no entry, or past its floor; concurrent waiters included).
    pub waited: u64,
    /// Background renewals started.
    pub refreshes: u64,
    /// Entries evicted for capacity (rejected by admission included, as moka counts them).
    pub evictions: u64,
    /// Environments started (per-tenant routing: cold starts).
    pub env_starts: u64,
    /// Environment-seconds alive (per-tenant routing).
    pub env_seconds: f64,
}

impl Counts {
    fn add_scaled(&mut self, o: &Counts, k: f64) {
        let s = |a: u64| (a as f64 * k).round() as u64;
        self.requests += s(o.requests);
        self.sts_calls += s(o.sts_calls);
        self.waited += s(o.waited);
        self.refreshes += s(o.refreshes);
        self.evictions += s(o.evictions);
        self.env_starts += s(o.env_starts);
        self.env_seconds += o.env_seconds * k;
    }
}

type Key = (u32, u16);

/// A cached session: when it is renewed and when it stops being served.
struct Session {
    generation: u64,
    renew_at: f64,
    floor_at: f64,
    renewal_claimed: AtomicBool,
}

/// Simulated seconds, totally ordered (`f64::total_cmp`) for the event queue.
struct Time(f64);
impl PartialEq for Time {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Time {}
impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Time {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// What happens at a simulated instant besides requests. The sequence number keeps the order
/// of simultaneous events deterministic.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// An `AssumeRole` answered: the session goes into the cache (a miss's, or a renewal's).
    Vended(Key, u64),
    /// A session reaches its floor: moka's expiry removes it.
    Floor(Key, u64),
}

/// One execution environment: its cache, the STS calls in flight, and what is scheduled.
struct Environment<'p> {
    p: &'p Params,
    cache: Cache<Key, Arc<Session>, BuildHasherDefault<std::collections::hash_map::DefaultHasher>>,
    evicted: Arc<AtomicU64>,
    /// Sessions by key, as last vended: what a `Floor` event refers to.
    vended: HashMap<Key, Arc<Session>>,
    /// Misses waiting on an `AssumeRole`: until when.
    in_flight: HashMap<Key, f64>,
    events: BinaryHeap<Reverse<(Time, u64, Event)>>,
    sequence: u64,
    rng: fastrand::Rng,
    counts: Counts,
    counting: bool,
}

impl<'p> Environment<'p> {
    fn new(p: &'p Params, seed: u64) -> Environment<'p> {
        let evicted = Arc::new(AtomicU64::new(0));
        let listener = evicted.clone();
        // A fixed hasher: moka's frequency sketch then sees the same hashes in every run.
        let cache = Cache::builder()
            .max_capacity(p.capacity)
            .eviction_listener(move |_, _, cause| {
                if cause == RemovalCause::Size {
                    listener.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build_with_hasher(BuildHasherDefault::default());
        Environment {
            p,
            cache,
            evicted,
            vended: HashMap::new(),
            in_flight: HashMap::new(),
            events: BinaryHeap::new(),
            sequence: 0,
            rng: fastrand::Rng::with_seed(seed),
            counts: Counts::default(),
            counting: true,
        }
    }

    fn schedule(&mut self, at: f64, event: Event) {
        self.sequence += 1;
        self.events.push(Reverse((Time(at), self.sequence, event)));
    }

    /// One `AssumeRole` for `key`, sent at `now`: the session it brings is cached when it
    /// answers.
    fn assume(&mut self, key: Key, now: f64) {
        if self.counting {
            self.counts.sts_calls += 1;
        }
        let answered = now + self.p.sts_latency;
        let p = self.p;
        // The renewal point as `Refresh::renewal_point` draws it.
        let renewal_point = (p.margin - p.jitter * self.rng.f64()).max(p.floor);
        self.sequence += 1;
        let session = Arc::new(Session {
            generation: self.sequence,
            renew_at: answered + p.session - renewal_point,
            floor_at: answered + p.session - p.floor,
            renewal_claimed: AtomicBool::new(false),
        });
        let generation = session.generation;
        self.vended.insert(key, session);
        self.schedule(answered, Event::Vended(key, generation));
    }

    /// Everything scheduled up to `now`, in order.
    fn advance(&mut self, now: f64) {
        let mut changed = false;
        while let Some(Reverse((Time(at), _, _))) = self.events.peek() {
            if *at > now {
                break;
            }
            let Reverse((Time(at), _, event)) = self.events.pop().expect("peeked");
            match event {
                Event::Vended(key, generation) => {
                    if let Some(s) = self.vended.get(&key).filter(|s| s.generation == generation).cloned() {
                        // A miss's `try_get_with`, or a renewal's `insert`: both insert.
                        self.in_flight.remove(&key);
                        let floor_at = s.floor_at;
                        self.cache.insert(key, s);
                        changed = true;
                        self.schedule(floor_at.max(at), Event::Floor(key, generation));
                    }
                }
                Event::Floor(key, generation) => {
                    if self.vended.get(&key).is_some_and(|s| s.generation == generation) {
                        self.cache.invalidate(&key);
                        self.vended.remove(&key);
                    }
                }
            }
        }
        if changed && self.p.strict_capacity {
            self.cache.run_pending_tasks();
        }
    }

    /// A request for `key` at `now` (`Vendor::session`).
    fn request(&mut self, key: Key, now: f64) {
        self.advance(now);
        if self.counting {
            self.counts.requests += 1;
        }
        let cached = self.cache.get(&key);
        match cached {
            Some(s) if now < s.floor_at => {
                if now >= s.renew_at && !s.renewal_claimed.swap(true, Ordering::Relaxed) {
                    if self.counting {
                        self.counts.refreshes += 1;
                    }
                    self.assume(key, now);
                }
            }
            _ => {
                if self.counting {
                    self.counts.waited += 1;
                }
                // Concurrent misses of one key share the call in flight (`try_get_with`).
                if !self.in_flight.get(&key).is_some_and(|&until| until > now) {
                    self.in_flight.insert(key, now + self.p.sts_latency);
                    self.assume(key, now);
                }
            }
        }
        if self.p.strict_capacity {
            self.cache.run_pending_tasks();
        }
    }

    /// Starts counting (after the warm-up).
    fn start_counting(&mut self) {
        self.cache.run_pending_tasks();
        self.evicted.store(0, Ordering::Relaxed);
        self.counts = Counts::default();
        self.counting = true;
    }

    fn finish(mut self) -> Counts {
        self.cache.run_pending_tasks();
        self.counts.evictions = self.evicted.load(Ordering::Relaxed);
        self.counts
    }
}

/// Replays `trace` on `p.envs` simulated environments (by each request's `env`); the counts
/// summed over them. Nothing is a warm-up: the whole trace counts.
pub fn replay(p: &Params, trace: &[Request]) -> Counts {
    let mut envs: Vec<Environment> = (0..p.envs)
        .map(|e| Environment::new(p, p.seed ^ (0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(e as u64 + 1))))
        .collect();
    for r in trace {
        let key = (r.tenant, p.policy_key(r.policy));
        envs[r.env as usize].request(key, r.at);
    }
    let mut total = Counts::default();
    for env in envs {
        total.add_scaled(&env.finish(), 1.0);
    }
    total
}

/// What the fleet does, per second of the counted period.
#[derive(Clone, Copy, Debug, Default)]
pub struct Prediction {
    /// Fleet-wide counts over the counted period.
    pub counts: Counts,
    /// The counted period.
    pub seconds: f64,
    /// Environments alive on average (random routing: `p.envs`).
    pub environments: f64,
}

impl Prediction {
    /// `AssumeRole` calls per second, fleet-wide.
    pub fn sts_per_second(&self) -> f64 {
        self.counts.sts_calls as f64 / self.seconds
    }
    /// Share of requests that waited on STS.
    pub fn waited_share(&self) -> f64 {
        self.counts.waited as f64 / (self.counts.requests as f64).max(1.0)
    }
    /// Capacity evictions per second, fleet-wide.
    pub fn evictions_per_second(&self) -> f64 {
        self.counts.evictions as f64 / self.seconds
    }
    /// Environments started per second (per-tenant routing).
    pub fn env_starts_per_second(&self) -> f64 {
        self.counts.env_starts as f64 / self.seconds
    }
}

/// Simulates the fleet of `p` (a warm-up of `p.warmup` plus a random part of a session, then
/// `p.seconds` counted) and scales to it.
pub fn simulate(p: &Params) -> Prediction {
    match p.routing {
        Routing::Random => simulate_random(p),
        Routing::PerTenant => simulate_per_tenant(p),
    }
}

fn simulate_random(p: &Params) -> Prediction {
    let zipf = Zipf::new(p.tenants, p.zipf_s);
    let rate = p.env_rate();
    let mut total = Counts::default();
    let sample = p.sample_envs.clamp(1, p.envs);
    for e in 0..sample {
        let seed = p.seed.wrapping_add(1 + e as u64);
        let mut env = Environment::new(p, seed);
        env.counting = false;
        let mut rng = fastrand::Rng::with_seed(seed.wrapping_mul(31));
        // Sessions vended together at an environment's start are renewed together (the jitter
        // spreads them slowly), so a counted period that starts a fixed time after the start
        // would always catch the same phase of their cycle: each environment's warm-up is
        // longer by a random part of a session.
        let warmup = p.warmup + rng.f64() * p.session;
        let (mut at, end) = (0.0, warmup + p.seconds);
        loop {
            at += exponential(&mut rng, rate);
            if at >= end {
                break;
            }
            if !env.counting && at >= warmup {
                env.start_counting();
            }
            let key = (zipf.sample(&mut rng) as u32, p.policy_key(rng.u16(..p.policies as u16)));
            env.request(key, at);
        }
        total.add_scaled(&env.finish(), p.envs as f64 / sample as f64);
    }
    Prediction { counts: total, seconds: p.seconds, environments: p.envs as f64 }
}

/// Log-spaced rank strata `[start, end)` over `0..n`; the first ranks each get their own.
fn strata(n: usize, count: usize) -> Vec<(usize, usize)> {
    let mut bounds = vec![0usize];
    for k in 1..=count {
        let b = ((n as f64).powf(k as f64 / count as f64)).round() as usize;
        if b > *bounds.last().expect("non-empty") {
            bounds.push(b.min(n));
        }
    }
    if *bounds.last().expect("non-empty") < n {
        bounds.push(n);
    }
    bounds.windows(2).map(|w| (w[0], w[1])).collect()
}

fn simulate_per_tenant(p: &Params) -> Prediction {
    let zipf = Zipf::new(p.tenants, p.zipf_s);
    let capacity_per_env = p.env_rate();
    let mut total = Counts::default();
    let mut alive = 0.0;
    for (stratum, (start, stop)) in strata(p.tenants, p.strata).into_iter().enumerate() {
        // The stratum's middle rank (geometric) stands for each of its tenants.
        let rank = (((start + 1) as f64 * stop as f64).sqrt().round() as usize).clamp(start + 1, stop) - 1;
        let tenant_rate = p.rate * zipf.share(rank);
        let n_envs = (tenant_rate / capacity_per_env).ceil().max(1.0);
        let env_rate = tenant_rate / n_envs;
        // One of the tenant's environments; its slot is refilled with a new environment (empty
        // cache) at the first request after an idle reclaim.
        let seed = p.seed.wrapping_add(1000 + stratum as u64);
        let mut rng = fastrand::Rng::with_seed(seed);
        // A random phase, as under random routing (`simulate_random`).
        let warmup = p.warmup + rng.f64() * p.session;
        let end = warmup + p.seconds;
        let mut env = Environment::new(p, seed);
        env.counting = false;
        let mut counts = Counts::default();
        // Alive from its start to `idle` after its last request, counted inside the period.
        let counted = |from: f64, to: f64| (to.min(end) - from.max(warmup)).max(0.0);
        let (mut at, mut last, mut started_at, mut env_seconds) = (0.0f64, f64::NEG_INFINITY, 0.0f64, 0.0);
        loop {
            at += exponential(&mut rng, env_rate);
            if at >= end {
                break;
            }
            if at - last > p.idle {
                // Reclaimed while idle (or never started): a new environment, empty cache.
                if last.is_finite() {
                    env_seconds += counted(started_at, last + p.idle);
                }
                let old = std::mem::replace(&mut env, Environment::new(p, rng.u64(..)));
                counts.add_scaled(&old.finish(), 1.0);
                env.counting = at >= warmup;
                if env.counting {
                    counts.env_starts += 1;
                }
                started_at = at;
            }
            if !env.counting && at >= warmup {
                env.start_counting();
            }
            let key = (rank as u32, p.policy_key(rng.u16(..p.policies as u16)));
            env.request(key, at);
            last = at;
        }
        if last.is_finite() {
            env_seconds += counted(started_at, last + p.idle);
        }
        counts.add_scaled(&env.finish(), 1.0);
        counts.env_seconds = env_seconds;
        let tenants_here = (stop - start) as f64;
        total.add_scaled(&counts, n_envs * tenants_here);
        alive += counts.env_seconds / p.seconds * n_envs * tenants_here;
    }
    Prediction { counts: total, seconds: p.seconds, environments: alive }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Params {
        Params {
            tenants: 50,
            rate: 100.0,
            envs: 2,
            capacity: 1000,
            warmup: 0.0,
            seconds: 100.0,
            sts_latency: 0.0,
            ..Params::runtime_defaults()
        }
    }

    #[test]
    fn one_call_per_key_without_refresh_or_eviction() {
        let p = small();
        let t = trace(&p, 2000);
        let c = replay(&p, &t);
        let keys: std::collections::HashSet<(u32, u32)> = t.iter().map(|r| (r.env, r.tenant)).collect();
        assert_eq!(c.requests, 2000);
        assert_eq!(c.sts_calls, keys.len() as u64);
        assert_eq!(c.waited, keys.len() as u64);
        assert_eq!(c.evictions, 0);
    }

    #[test]
    fn deterministic() {
        let p = Params { capacity: 10, strict_capacity: true, ..small() };
        let t = trace(&p, 3000);
        assert_eq!(replay(&p, &t), replay(&p, &t));
    }

    #[test]
    fn sessions_are_renewed_ahead_and_past_the_floor_requests_wait() {
        // One tenant, a request every second: each session is renewed once, in the background.
        let p = Params { tenants: 1, envs: 1, session: 900.0, margin: 300.0, floor: 60.0, jitter: 0.0, ..small() };
        let t: Vec<Request> = (0..3000).map(|i| Request { at: i as f64, env: 0, tenant: 0, policy: 0 }).collect();
        let c = replay(&p, &t);
        // Vended at 0, 600, 1200, 1800, 2400: one miss, four renewals.
        assert_eq!((c.sts_calls, c.waited, c.refreshes), (5, 1, 4));
        // A request every 1,000 s finds each session past its floor (840 s): all wait.
        let t: Vec<Request> = (0..5).map(|i| Request { at: i as f64 * 1000.0, env: 0, tenant: 0, policy: 0 }).collect();
        let c = replay(&p, &t);
        assert_eq!((c.sts_calls, c.waited, c.refreshes), (5, 5, 0));
    }

    #[test]
    fn strata_cover_every_rank_once() {
        let s = strata(100_000, 40);
        assert_eq!(s.first().unwrap().0, 0);
        assert_eq!(s.last().unwrap().1, 100_000);
        assert!(s.windows(2).all(|w| w[0].1 == w[1].0 && w[0].0 < w[0].1));
    }
}
