//! The DynamoDB client of each handler policy: built once per policy, shared by its tenants,
//! with the key guard as its interceptor and no credentials of its own (see `signing.rs`).
//!
//! This is also where a spec is checked before its first use: its template must be what its
//! model compiles to ([`HandlerSpec::verify`]), and its physical table must be placeable.

use crate::config::ConfigError;
use crate::guard::{KeyGuard, KeySchema};
use crate::session::{PolicyClient, PolicyKey};
use crate::signing::{FromRequest, NoAmbientCredentials};
use crate::spec::{HandlerSpec, SetupError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use tenant_isolation_core::{Placement, RoleArn};

/// Builds and keeps the policy clients.
pub(crate) struct Clients {
    sdk: aws_config::SdkConfig,
    role: RoleArn,
    region: String,
    keys: KeySchema,
    timeouts: aws_smithy_types::timeout::TimeoutConfig,
    /// Per spec (by address), after its check: the fast path of every invocation.
    by_spec: RwLock<HashMap<usize, Arc<PolicyClient>>>,
    /// Per policy: handlers with the same policy share one client.
    by_policy: Mutex<HashMap<PolicyKey, Arc<PolicyClient>>>,
}

impl Clients {
    pub(crate) fn new(
        sdk: aws_config::SdkConfig,
        role: RoleArn,
        region: String,
        keys: KeySchema,
        timeouts: aws_smithy_types::timeout::TimeoutConfig,
    ) -> Clients {
        Clients { sdk, role, region, keys, timeouts, by_spec: Default::default(), by_policy: Default::default() }
    }

    /// The placement (partition, region, account, table) of a spec in this deployment.
    pub(crate) fn placement(&self, spec: &'static HandlerSpec) -> Result<Placement, ConfigError> {
        Placement::new(self.role.partition(), &self.region, self.role.account(), &spec.table_name())
            .map_err(|e| ConfigError::invalid(spec.table_env().unwrap_or("AWS_REGION"), e.to_string()))
    }

    /// The client of `spec`'s policy: checked and built on the spec's first use.
    pub(crate) fn get(&self, spec: &'static HandlerSpec) -> Result<Arc<PolicyClient>, SetupError> {
        let id = std::ptr::from_ref(spec) as usize;
        if let Some(client) = self.by_spec.read().unwrap_or_else(PoisonError::into_inner).get(&id) {
            return Ok(client.clone());
        }
        spec.verify()?;
        let placement = self.placement(spec)?;
        let key = PolicyKey::new(spec.template(), placement.table());
        let mut by_policy = self.by_policy.lock().unwrap_or_else(PoisonError::into_inner);
        let client = match by_policy.get(&key) {
            Some(client) => client.clone(),
            None => {
                // Two key rules on one physical table where one prefix starts the other:
                // tenant `ORG` of `TENANT#` would own every key of `TENANT#ORG#`.
                let rule = &spec.table().keys;
                if let Some(other) = by_policy.values().find(|c| c.key.table() == key.table() && c.keys.overlaps(rule))
                {
                    return Err(ConfigError::invalid(
                        "key_prefix",
                        format!(
                            "handler `{}` uses the key prefix `{}` on table `{}`, where another handler uses `{}`: \
                             one starts the other, so a tenant of one could own the other's keys",
                            spec.name(),
                            rule.prefix(),
                            key.table(),
                            other.keys.prefix()
                        ),
                    )
                    .into());
                }
                let client = Arc::new(self.build(spec, key.clone(), &placement));
                by_policy.insert(key, client.clone());
                client
            }
        };
        drop(by_policy);
        self.by_spec.write().unwrap_or_else(PoisonError::into_inner).insert(id, client.clone());
        Ok(client)
    }

    fn build(&self, spec: &'static HandlerSpec, key: PolicyKey, placement: &Placement) -> PolicyClient {
        let guard = KeyGuard::new(spec, key.clone(), placement.table_arn(), self.keys.clone());
        // No client-wide identity: the execution role's credentials from the `SdkConfig` are
        // replaced by a provider that always fails, and the identity cache hands the signer
        // only the credentials that the key guard attached to the request (`signing.rs`).
        let conf = aws_sdk_dynamodb::config::Builder::from(&self.sdk)
            .credentials_provider(NoAmbientCredentials)
            .identity_cache(FromRequest)
            .timeout_config(self.timeouts.clone())
            .interceptor(guard)
            .build();
        PolicyClient {
            key,
            keys: spec.table().keys.clone(),
            placement: placement.clone(),
            client: aws_sdk_dynamodb::Client::from_conf(conf),
        }
    }
}
