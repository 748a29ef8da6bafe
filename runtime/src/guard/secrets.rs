//! The secret guard: the rules by which the guard on each secrets policy's Secrets Manager
//! client refuses, before anything is signed or sent, an operation no tenant session may send,
//! an action none of the handler's `secrets(...)` declarations declares, or a secret outside
//! the tenant's names `<prefix><tenant>/…` under such a declaration's [`NameRule`].
//!
//! It mirrors the session policy's secrets statements: the declared actions on
//! `arn:…:secretsmanager:<region>:<account>:secret:<prefix><tenant>/*` (the `*` also matches
//! the `-` and six random characters Secrets Manager appends to every secret's ARN). Which
//! action each operation needs comes from the core's one table,
//! [`NamedAction::for_operation`], and whether a name is the tenant's from
//! [`NameRule::is_own`].
//!
//! | operation | needs declared | checked |
//! |---|---|---|
//! | GetSecretValue | `GetSecretValue` | `SecretId` |
//! | DescribeSecret | `DescribeSecret` | `SecretId` |
//! | PutSecretValue | `PutSecretValue` | `SecretId` |
//! | UpdateSecret | `UpdateSecret` | `SecretId` |
//! | DeleteSecret | `DeleteSecret` | `SecretId` |
//! | CreateSecret | `CreateSecret` | `Name`; no `Tags`, `AddReplicaRegions` or `ForceOverwriteReplicaSecret` |
//! | anything else (ListSecrets, BatchGetSecretValue, GetRandomPassword, resource policies, rotation, tags, replication, …) | — | refused |
//!
//! Beyond the table:
//!
//! * **Names, not ARNs.** A `SecretId` given as an ARN (`arn:…`, full or partial) is refused:
//!   see `names.rs`.
//! * **Fields that need another action.** `CreateSecret` with `Tags` needs
//!   `secretsmanager:TagResource` too, and with `AddReplicaRegions` (and its
//!   `ForceOverwriteReplicaSecret`) `secretsmanager:ReplicateSecretToRegions` (AWS Secrets
//!   Manager API Reference, CreateSecret, "Required permissions":
//!   <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html>).
//!   Neither is ever granted to a tenant session (tags can decide access; replicas leave the
//!   deployment's region), so the guard refuses the request instead of letting IAM deny it with
//!   a less telling error. A `Tags` field is refused even when empty: it says the caller meant
//!   to tag.
//! * **What is sent is what was checked.** Secrets Manager speaks AWS JSON 1.1: the names are in
//!   the body, the operation in `X-Amz-Target`; the request at signing must be the one recorded
//!   at serialization, sent to the endpoint the client's resolver gives (`json.rs`).
//!
//! This file is the Secrets Manager rule set ([`SecretRules`]) of the one guard interceptor
//! (`intercept.rs`), feature `secretsmanager`; its Parameter Store counterpart is `ssm.rs`.

use super::intercept::RuleSet;
use super::json::Snapshot;
use super::names::Names;
use super::violation::{GuardViolation, Violation};
use crate::spec::HandlerSpec;
use aws_sdk_secretsmanager::operation::{
    create_secret::CreateSecretInput, delete_secret::DeleteSecretInput, describe_secret::DescribeSecretInput,
    get_secret_value::GetSecretValueInput, put_secret_value::PutSecretValueInput, update_secret::UpdateSecretInput,
};
use aws_smithy_runtime_api::client::interceptors::context::Input;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::config_bag::ConfigBag;
#[cfg(doc)]
use tenant_isolation_core::NameRule;
use tenant_isolation_core::{NamedAction, Service, TenantId};

/// The Secrets Manager rule set: a handler's `secrets(...)` declarations (from its spec).
#[derive(Debug)]
pub(crate) struct SecretRules {
    spec: &'static HandlerSpec,
}

impl SecretRules {
    /// The rules of `spec`'s secrets declarations. Secrets are named by their rule alone, in the
    /// deployment's account and region: nothing to place.
    pub(crate) fn new(spec: &'static HandlerSpec) -> SecretRules {
        SecretRules { spec }
    }
}

impl RuleSet for SecretRules {
    const NAME: &'static str = "TenantSecretGuard";
    /// The action the checked operation needs (each operation here is named as its action).
    type Decision = NamedAction;
    type Snapshot = Snapshot;

    fn check(&self, tenant: &TenantId, input: &Input) -> Result<NamedAction, GuardViolation> {
        let names = Names::new(tenant, self.spec, Service::SecretsManager);
        // Each operation: its action, declared; then every name it carries, the tenant's.
        let secret = |operation: &'static str, id: Option<&str>| {
            let action = names.action(operation)?;
            names.name(action, id)?;
            Ok(action)
        };
        if let Some(i) = input.downcast_ref::<GetSecretValueInput>() {
            return secret("GetSecretValue", i.secret_id());
        }
        if let Some(i) = input.downcast_ref::<DescribeSecretInput>() {
            return secret("DescribeSecret", i.secret_id());
        }
        if let Some(i) = input.downcast_ref::<PutSecretValueInput>() {
            return secret("PutSecretValue", i.secret_id());
        }
        if let Some(i) = input.downcast_ref::<UpdateSecretInput>() {
            return secret("UpdateSecret", i.secret_id());
        }
        if let Some(i) = input.downcast_ref::<DeleteSecretInput>() {
            return secret("DeleteSecret", i.secret_id());
        }
        if let Some(i) = input.downcast_ref::<CreateSecretInput>() {
            let action = names.action("CreateSecret")?;
            if i.tags.is_some() {
                return Err(names.unsupported(action, "tags on a new secret (`Tags`: `secretsmanager:TagResource`)"));
            }
            if i.add_replica_regions.is_some() || i.force_overwrite_replica_secret.is_some() {
                return Err(names.unsupported(
                    action,
                    "replicas of a new secret (`AddReplicaRegions`: `secretsmanager:ReplicateSecretToRegions`)",
                ));
            }
            names.name(action, i.name())?;
            return Ok(action);
        }
        Err(names.unlisted())
    }

    fn operation(decision: &NamedAction) -> &'static str {
        decision.name()
    }

    fn snapshot(&self, _: &NamedAction, request: &Request) -> Result<Snapshot, Violation> {
        Ok(Snapshot::of(request))
    }

    fn unchanged(
        &self,
        _: &NamedAction,
        snapshot: &Snapshot,
        request: &Request,
        cfg: &ConfigBag,
        components: &RuntimeComponents,
    ) -> bool {
        snapshot.unchanged(request, cfg, components)
    }
}

#[cfg(test)]
mod tests;
