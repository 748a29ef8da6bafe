//! One tenant's session under one handler policy: what the credential cache holds, and the
//! policy's shared client it is used with.
//!
//! A policy is identified by [`PolicyKey`]: its template and its physical tables and buckets,
//! compared in full (a 64-bit hash only speeds up lookups; two templates that collide are still two
//! policies).

use aws_credential_types::Credentials;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};
use tenant_isolation_core::{Placement, TenantId};

/// A handler policy as the runtime keys it: the template sent to STS (or the role policy in
/// session-tag mode) and the physical tables and buckets it is bound to. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct PolicyKey(Arc<PolicyKeyInner>);

#[derive(Debug)]
struct PolicyKeyInner {
    hash: u64,
    template: Box<str>,
    /// Physical tables, then buckets, then shared queues, then KMS key ids, in declaration
    /// order (`Placement`), then the shared queues' tenant attributes.
    names: Box<[Box<str>]>,
}

impl PolicyKey {
    /// The key of every session-tag session of tag `tag`. Such a session's credentials depend on
    /// the tag role and the tenant only (no session policy is sent), so every handler policy of
    /// the tag shares them, and each uses its own guarded clients with them. A template is JSON
    /// (`{…`), so no session-policy key equals this one.
    pub(crate) fn session_tag(tag: &str) -> PolicyKey {
        let template = format!("session-tag:{tag}");
        let mut h = std::collections::hash_map::DefaultHasher::new();
        template.hash(&mut h);
        PolicyKey(Arc::new(PolicyKeyInner { hash: h.finish(), template: template.into(), names: Box::new([]) }))
    }

    /// The key of `spec`'s policy in `placement`: its template and physical names, and what its
    /// guards read that the template does not say. A shared queue's statement names the queue,
    /// not the message attribute that carries the tenant; handlers that share a key share one
    /// client, whose guard checks the attribute of the first one's spec, so two handlers that
    /// read different attributes of one queue have keys of their own.
    pub(crate) fn of(spec: &crate::spec::HandlerSpec, placement: &Placement) -> PolicyKey {
        let attributes = spec.model().shared_queues().map(|q| format!("a:{}", q.tenant_attribute));
        PolicyKey::with(spec.template(), placement, attributes)
    }

    /// The key of `template` in `placement` alone (tests: a spec's key is [`PolicyKey::of`]).
    #[cfg(test)]
    pub(crate) fn new(template: &str, placement: &Placement) -> PolicyKey {
        PolicyKey::with(template, placement, std::iter::empty())
    }

    fn with(template: &str, placement: &Placement, guarded: impl Iterator<Item = String>) -> PolicyKey {
        // Tables, buckets, queues, KMS keys and attributes are told apart by a marker, so that no list of
        // one kind can equal a list of another.
        let names: Box<[Box<str>]> = placement
            .tables()
            .iter()
            .map(|t| format!("t:{t}"))
            .chain(placement.buckets().iter().map(|b| format!("b:{b}")))
            .chain(placement.queues().iter().map(|q| format!("q:{q}")))
            .chain(placement.kms_keys().iter().map(|k| format!("k:{k}")))
            .chain(guarded)
            .map(String::into_boxed_str)
            .collect();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        template.hash(&mut h);
        names.hash(&mut h);
        PolicyKey(Arc::new(PolicyKeyInner { hash: h.finish(), template: template.into(), names }))
    }
}

impl PartialEq for PolicyKey {
    fn eq(&self, other: &PolicyKey) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.0.hash == other.0.hash && self.0.names == other.0.names && self.0.template == other.0.template)
    }
}
impl Eq for PolicyKey {}

impl Hash for PolicyKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash);
    }
}

/// The clients of one handler policy on its physical tables and buckets, shared by every
/// tenant of that policy. They have no credentials of their own: their guards attach the
/// sending scope's credentials to each request they let through.
pub(crate) struct PolicyClient {
    pub(crate) key: PolicyKey,
    /// The handler whose spec built the client (its model's key rules are the policy's): what
    /// the object guard (and the secret and parameter guards) are built from.
    #[cfg_attr(not(any(feature = "s3", feature = "secretsmanager", feature = "ssm")), allow(dead_code))]
    pub(crate) spec: &'static crate::spec::HandlerSpec,
    /// Where the policy is rendered (partition, region, account, physical names).
    pub(crate) placement: Placement,
    /// Its key and object rules on its physical tables and buckets, claimed in the process
    /// while the client lives (`registry::claim`).
    pub(crate) _claims: crate::registry::Claims,
    pub(crate) client: aws_sdk_dynamodb::Client,
    /// The S3 client, for a policy with buckets: built on first use ([`PolicyClient::s3`]).
    #[cfg(feature = "s3")]
    pub(crate) s3: Option<LazyObjects>,
    /// The Secrets Manager client, for a policy with secrets: built on first use
    /// (`PolicyClient::secretsmanager`).
    #[cfg(feature = "secretsmanager")]
    pub(crate) secretsmanager: Option<LazyClient<aws_sdk_secretsmanager::Client>>,
    /// The Systems Manager client, for a policy with parameters: built on first use
    /// (`PolicyClient::ssm`).
    #[cfg(feature = "ssm")]
    pub(crate) ssm: Option<LazyClient<aws_sdk_ssm::Client>>,
    /// The SQS client, for a policy with queues: built on first use (`PolicyClient::sqs`).
    #[cfg(feature = "sqs")]
    pub(crate) sqs: Option<LazyClient<aws_sdk_sqs::Client>>,
}

/// How the S3 clients are built (feature `s3`).
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
pub(crate) struct ObjectSettings {
    /// S3 path-style addressing (`https://<endpoint>/<bucket>/<key>`), for emulators.
    pub(crate) path_style: bool,
    /// Their own: a transfer is part of its operation (`isolation::object_timeouts`).
    pub(crate) timeouts: aws_smithy_types::timeout::TimeoutConfig,
}

/// What a policy's S3 client is built from, and the client once built.
#[cfg(feature = "s3")]
pub(crate) struct LazyObjects {
    pub(crate) sdk: aws_config::SdkConfig,
    pub(crate) settings: ObjectSettings,
    pub(crate) client: std::sync::OnceLock<aws_sdk_s3::Client>,
}

/// What a policy's Secrets Manager or Systems Manager client is built from, and the client once
/// built (as [`LazyObjects`] for S3, with the DynamoDB client's timeouts: these are API calls of
/// a few kilobytes, not transfers).
#[cfg(any(feature = "secretsmanager", feature = "ssm", feature = "sqs"))]
pub(crate) struct LazyClient<C> {
    pub(crate) sdk: aws_config::SdkConfig,
    pub(crate) timeouts: aws_smithy_types::timeout::TimeoutConfig,
    pub(crate) client: std::sync::OnceLock<C>,
}

/// One tenant's credentials under one policy (session-policy mode) or one session tag
/// (session-tag mode, where every handler of the tag role gets the same credentials): what the
/// cache holds per (tenant, [`PolicyKey`]).
/// 1,959 B per entry measured with a 1 KB session token, moka's bookkeeping included
/// (docs/BENCHMARKS.md; [`Renewal`] has since added a few dozen bytes); the client is the
/// policy's, shared.
pub(crate) struct TenantSession {
    pub(crate) tenant: TenantId,
    /// Carries its expiry (`Credentials::expiry`): the one record of when the session ends.
    pub(crate) credentials: Credentials,
    pub(crate) session_name: Box<str>,
    pub(crate) assumed_role_arn: Box<str>,
    /// When this session's successor is fetched ahead of its expiry (`credentials.rs`).
    pub(crate) renewal: Renewal,
}

impl TenantSession {
    /// When the credentials expire. Every session's credentials carry an expiry; one
    /// without would count as already expired, never as everlasting.
    pub(crate) fn expires_at(&self) -> SystemTime {
        self.credentials.expiry().unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// How long the credentials are valid still (zero once expired).
    pub(crate) fn left(&self) -> Duration {
        self.expires_at().duration_since(SystemTime::now()).unwrap_or_default()
    }

    /// Usable for more than `margin` still.
    pub(crate) fn fresh(&self, margin: Duration) -> bool {
        self.left() > margin
    }
}

/// How long a failed renewal keeps the next one of the same session from starting: while STS
/// is down, each cached session asks it at most once per this interval.
pub(crate) const RENEWAL_RETRY_AFTER: Duration = Duration::from_secs(5);

/// The renewal of one cached session ahead of its expiry: its jittered renewal point and
/// whether a renewal is running. It lives in the session it renews, so that it is per (tenant,
/// policy) and goes away with the entry; the successor has a renewal of its own.
///
/// ```text
/// Idle ──claim──▶ Running ──success──▶ Done              (the successor is in the cache)
///                    └─────failure──▶ RetryAt(t) ──claim at or after t──▶ Running
/// ```
pub(crate) struct Renewal {
    /// Renew once the credentials have this long left or less; drawn per session in
    /// `[margin − jitter, margin]`, so that sessions vended together are not renewed together.
    pub(crate) at: Duration,
    state: Mutex<RenewalState>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RenewalState {
    Idle,
    Running,
    Done,
    RetryAt(Instant),
}

impl Renewal {
    pub(crate) fn new(at: Duration) -> Renewal {
        Renewal { at, state: Mutex::new(RenewalState::Idle) }
    }

    /// Claims the renewal at `now`: `true` for exactly one caller while none is running, none
    /// has succeeded, and the last failure is [`RENEWAL_RETRY_AFTER`] old. The caller must
    /// [`finish`](Renewal::finish) it.
    pub(crate) fn claim(&self, now: Instant) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match *state {
            RenewalState::Idle => {}
            RenewalState::RetryAt(t) if now >= t => {}
            RenewalState::Running | RenewalState::Done | RenewalState::RetryAt(_) => return false,
        }
        *state = RenewalState::Running;
        true
    }

    /// Ends a claimed renewal: a success is final, a failure lets the renewal be claimed again
    /// [`RENEWAL_RETRY_AFTER`] after `now`.
    pub(crate) fn finish(&self, succeeded: bool, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        *state = if succeeded { RenewalState::Done } else { RenewalState::RetryAt(now + RENEWAL_RETRY_AFTER) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two handlers of one shared queue whose templates are the same (a statement names the
    /// queue, not the attribute) but whose tenant attributes differ have policies of their own:
    /// a shared client's guard would check the first one's attribute for both.
    #[test]
    fn a_shared_queues_tenant_attribute_is_part_of_the_policy() {
        use std::borrow::Cow;
        use tenant_isolation_core::{
            Confinement, HandlerModel, NameRule, NamedAction, NamedModel, Partition, PhysicalName, SharedQueue,
        };
        let spec = |attribute: &'static str| {
            let events = NamedModel {
                name: Cow::Borrowed("events"),
                actions: Cow::Borrowed(&[NamedAction::SendMessage]),
                names: NameRule::shared(SharedQueue {
                    queue: PhysicalName::Fixed("order-events".into()),
                    tenant_attribute: attribute.into(),
                }),
            };
            let model = HandlerModel {
                tables: Cow::Borrowed(&[]),
                buckets: Cow::Borrowed(&[]),
                named: vec![events].into(),
                confinement: Confinement::SessionPolicy,
            };
            crate::spec::HandlerSpec::new("producer", model).unwrap()
        };
        let (a, b) = (spec("tenant_id"), spec("tenant"));
        assert_eq!(a.template(), b.template());
        let place = Placement::new(Partition::Aws, "us-east-1", "123456789012", &[], &[])
            .unwrap()
            .with_queues(&["order-events"])
            .unwrap();
        assert_ne!(PolicyKey::of(&a, &place), PolicyKey::of(&b, &place));
        assert_eq!(PolicyKey::of(&a, &place), PolicyKey::of(&spec("tenant_id"), &place));
    }

    #[test]
    fn policies_are_compared_in_full() {
        use tenant_isolation_core::Partition;
        let place = |tables: &[&str], buckets: &[&str]| {
            Placement::new(Partition::Aws, "us-east-1", "123456789012", tables, buckets).unwrap()
        };
        let a = PolicyKey::new("{\"a\":1}", &place(&["Orders"], &[]));
        assert_eq!(a, PolicyKey::new("{\"a\":1}", &place(&["Orders"], &[])));
        assert_ne!(a, PolicyKey::new("{\"a\":1}", &place(&["Orders-prod"], &[])));
        assert_ne!(a, PolicyKey::new("{\"a\":2}", &place(&["Orders"], &[])));
        assert_ne!(a, PolicyKey::new("{\"a\":1}", &place(&["Orders"], &["orders"])));
        assert_ne!(PolicyKey::new("{}", &place(&["abc"], &[])), PolicyKey::new("{}", &place(&[], &["abc"])));
        let queues = |queues: &[&str]| place(&[], &[]).with_queues(queues).unwrap();
        assert_ne!(PolicyKey::new("{}", &queues(&["abc"])), PolicyKey::new("{}", &place(&[], &["abc"])));
        assert_ne!(PolicyKey::new("{}", &queues(&["abc"])), PolicyKey::new("{}", &queues(&["abd"])));
        // Even with the same hash, different templates are different policies.
        let forged =
            PolicyKey(Arc::new(PolicyKeyInner { hash: a.0.hash, template: "{}".into(), names: a.0.names.clone() }));
        assert_ne!(a, forged);
    }

    #[test]
    fn one_renewal_at_a_time_and_failures_wait_before_the_next() {
        let r = Renewal::new(Duration::from_secs(300));
        let t0 = Instant::now();
        assert!(r.claim(t0), "an idle session's renewal can be claimed");
        assert!(!r.claim(t0), "a running renewal is not claimed twice");
        r.finish(false, t0);
        assert!(!r.claim(t0 + RENEWAL_RETRY_AFTER - Duration::from_millis(1)), "too early after a failure");
        assert!(r.claim(t0 + RENEWAL_RETRY_AFTER), "claimable again once the failure is old enough");
        assert!(!r.claim(t0 + 10 * RENEWAL_RETRY_AFTER), "running again: still one at a time");
        r.finish(true, t0);
        assert!(!r.claim(t0 + 100 * RENEWAL_RETRY_AFTER), "a renewed session is never renewed again");
    }
}
