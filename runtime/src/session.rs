//! One tenant's session under one handler policy: what the credential cache holds, and the
//! policy's shared client it is used with.
//!
//! A policy is identified by [`PolicyKey`]: its template and its physical table, compared in
//! full (a 64-bit hash only speeds up lookups; two templates that collide are still two
//! policies).

use aws_credential_types::Credentials;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tenant_isolation_core::{KeyRule, Placement, TenantId};

/// A handler policy as the runtime keys it: the template sent to STS (or the role policy in
/// session-tag mode) and the physical table it is bound to. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct PolicyKey(Arc<PolicyKeyInner>);

#[derive(Debug)]
struct PolicyKeyInner {
    hash: u64,
    template: Box<str>,
    table: Box<str>,
}

impl PolicyKey {
    pub(crate) fn new(template: &str, table: &str) -> PolicyKey {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        template.hash(&mut h);
        table.hash(&mut h);
        PolicyKey(Arc::new(PolicyKeyInner { hash: h.finish(), template: template.into(), table: table.into() }))
    }

    /// The physical table.
    pub(crate) fn table(&self) -> &str {
        &self.0.table
    }
}

impl PartialEq for PolicyKey {
    fn eq(&self, other: &PolicyKey) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.0.hash == other.0.hash && self.0.table == other.0.table && self.0.template == other.0.template)
    }
}
impl Eq for PolicyKey {}

impl Hash for PolicyKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash);
    }
}

/// The DynamoDB client of one handler policy on its physical table, shared by every tenant
/// of that policy. It has no credentials of its own: its key guard attaches the sending
/// scope's credentials to each request it lets through.
pub(crate) struct PolicyClient {
    pub(crate) key: PolicyKey,
    /// The policy's key rule (checked against the other policies on the same table).
    pub(crate) keys: KeyRule,
    /// Where the policy is rendered (partition, region, account, physical table).
    pub(crate) placement: Placement,
    pub(crate) client: aws_sdk_dynamodb::Client,
}

/// One tenant's credentials under one policy: what the cache holds per (tenant, policy).
/// 1,959 B per entry measured with a 1 KB session token, moka's bookkeeping included
/// (docs/BENCHMARKS.md); the client is the policy's, shared.
pub(crate) struct TenantSession {
    pub(crate) tenant: TenantId,
    /// Carries its expiry (`Credentials::expiry`): the one record of when the session ends.
    pub(crate) credentials: Credentials,
    pub(crate) session_name: Box<str>,
    pub(crate) assumed_role_arn: Box<str>,
    pub(crate) policy: Arc<PolicyClient>,
}

impl TenantSession {
    /// When the credentials expire. Every session's credentials carry an expiry; one
    /// without would count as already expired, never as everlasting.
    pub(crate) fn expires_at(&self) -> SystemTime {
        self.credentials.expiry().unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// Usable for at least `margin` more.
    pub(crate) fn fresh(&self, margin: Duration) -> bool {
        self.expires_at().duration_since(SystemTime::now()).is_ok_and(|left| left > margin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_compared_in_full() {
        let a = PolicyKey::new("{\"a\":1}", "Orders");
        assert_eq!(a, PolicyKey::new("{\"a\":1}", "Orders"));
        assert_ne!(a, PolicyKey::new("{\"a\":1}", "Orders-prod"));
        assert_ne!(a, PolicyKey::new("{\"a\":2}", "Orders"));
        // Even with the same hash, different templates are different policies.
        let forged =
            PolicyKey(Arc::new(PolicyKeyInner { hash: a.0.hash, template: "{}".into(), table: "Orders".into() }));
        assert_ne!(a, forged);
    }
}
