//! The checks the Secrets Manager and Parameter Store rule sets (`secrets.rs`, `ssm.rs`) share:
//! which action an operation needs, whether one of the handler's declarations of the service
//! declares it, and whether a name (or a by-path read's path) is the tenant's under such a
//! declaration's [`NameRule`], the rule its session policy statement was written from.
//!
//! A handler may declare several families of one service (`secrets(webhooks(prefix =
//! "tenants/", ...), keys(prefix = "keys/", ...))`): the session policy has a statement per
//! declaration and IAM authorizes each name of a request on its own, so a name passes when some
//! declaration of the service both declares the action and owns the name for the tenant.

use super::violation::{GuardViolation, Violation};
use crate::spec::HandlerSpec;
use tenant_isolation_core::{NameRule, NamedAction, Service, TenantId};

/// One request's check against one tenant, for the declarations of one service.
pub(super) struct Names<'a> {
    tenant: &'a TenantId,
    spec: &'static HandlerSpec,
    service: Service,
}

impl<'a> Names<'a> {
    pub(super) fn new(tenant: &'a TenantId, spec: &'static HandlerSpec, service: Service) -> Names<'a> {
        Names { tenant, spec, service }
    }

    fn violation(&self, operation: &'static str, reason: Violation) -> GuardViolation {
        GuardViolation::new(self.tenant.clone(), operation, reason)
    }

    /// The name rules of the declarations of the service that declare `action`.
    fn rules(&self, action: NamedAction) -> impl Iterator<Item = &'static NameRule> {
        let service = self.service;
        let spec: &'static HandlerSpec = self.spec;
        spec.model().named.iter().filter(move |n| n.service() == service && n.allows(action)).map(|n| &n.names)
    }

    /// The action `operation` needs (the core's one table, [`NamedAction::for_operation`]),
    /// declared on one of the handler's declarations of the service; refused otherwise.
    pub(super) fn action(&self, operation: &'static str) -> Result<NamedAction, GuardViolation> {
        let Some(action) = NamedAction::for_operation(self.service, operation) else {
            return Err(self.violation(operation, Violation::NamedOperation(self.service)));
        };
        match self.rules(action).next() {
            Some(_) => Ok(action),
            None => Err(self.violation(operation, Violation::UndeclaredNamedAction(action))),
        }
    }

    /// An operation of the service that no tenant session may send (`ListSecrets`, resource
    /// policies, …): refused under the service's name, since its input says nothing more.
    pub(super) fn unlisted(&self) -> GuardViolation {
        self.violation(self.service.title(), Violation::NamedOperation(self.service))
    }

    /// A request field that needs an IAM action no tenant session is granted.
    pub(super) fn unsupported(&self, action: NamedAction, what: &'static str) -> GuardViolation {
        self.violation(action.name(), Violation::Unsupported(what))
    }

    /// `name` is the tenant's under a declaration that declares `action`.
    ///
    /// Never an ARN. An ARN names the partition, region and account besides the name (and, for
    /// a secret, the random suffix Secrets Manager adds): it is how a secret of another account
    /// shared by its resource policy, or a parameter shared through AWS RAM, is reached (Secrets
    /// Manager User Guide, "Access AWS Secrets Manager secrets from a different account";
    /// Systems Manager User Guide, "Working with shared parameters": a shared parameter is
    /// named by its full ARN). Reading one would mean matching its account and region against
    /// the deployment's and parsing the rest, a second reading of names beside [`NameRule`]'s;
    /// the typed handles always send plain names, so ARNs are refused instead.
    pub(super) fn name(&self, action: NamedAction, name: Option<&str>) -> Result<(), GuardViolation> {
        let name = name.unwrap_or_default();
        if name.starts_with("arn:") {
            return Err(self.unsupported(action, arn(self.service)));
        }
        if super::has_dot_segment(name) {
            return Err(self.unsupported(action, DOT_SEGMENT));
        }
        if self.rules(action).any(|rule| rule.is_own(self.tenant, name)) {
            Ok(())
        } else {
            Err(self.violation(action.name(), Violation::ForeignName(self.service)))
        }
    }

    /// `path` (`GetParametersByPath`) is the tenant's path `<prefix><tenant>` or a path under it,
    /// under a declaration that declares `action`. With `Recursive`, Parameter Store returns
    /// every level below the path, all of it the tenant's.
    #[cfg(feature = "ssm")]
    pub(super) fn path(&self, action: NamedAction, path: Option<&str>) -> Result<(), GuardViolation> {
        let path = path.unwrap_or_default();
        if path.starts_with("arn:") {
            return Err(self.unsupported(action, arn(self.service)));
        }
        if super::has_dot_segment(path) {
            return Err(self.unsupported(action, DOT_SEGMENT));
        }
        if self.rules(action).any(|rule| rule.is_own_path(self.tenant, path)) {
            Ok(())
        } else {
            Err(self.violation(action.name(), Violation::ForeignPath))
        }
    }
}

/// What a refusal of a name with a `.` or `..` segment says ([`super::has_dot_segment`]).
const DOT_SEGMENT: &str = "a `.` or `..` segment in a name";

/// What a refusal of an ARN says, per service.
const fn arn(service: Service) -> &'static str {
    match service {
        Service::SecretsManager => "a secret named by its ARN (name it by its name)",
        Service::Ssm => "a parameter named by its ARN (name it by its name)",
        Service::Sqs => "a queue named by its ARN",
    }
}
