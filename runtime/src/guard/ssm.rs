//! The parameter guard: the rules by which the guard on each parameters policy's Systems
//! Manager client refuses, before anything is signed or sent, an operation no tenant session may
//! send, an action none of the handler's `parameters(...)` declarations declares, or a parameter
//! name or path outside the tenant's under such a declaration's [`NameRule`].
//!
//! It mirrors the session policy's parameters statements: the declared actions on
//! `arn:…:ssm:<region>:<account>:parameter<prefix><tenant>/*`, and for `GetParametersByPath`
//! on the path itself, `…:parameter<prefix><tenant>`. Parameter Store authorizes
//! `GetParameter(s)`, `GetParameterHistory` and `DeleteParameter(s)` against each named
//! parameter and `GetParametersByPath` against the path in the request; with `Recursive` it
//! returns every level below that path (Systems Manager User Guide, "Restricting access to
//! Parameter Store parameters using IAM policies"). So the guard checks every name, and the
//! path, and lets `Recursive` through: everything below the tenant's path is the tenant's.
//!
//! | operation | needs declared | checked |
//! |---|---|---|
//! | GetParameter | `GetParameter` | `Name` (a `:version` or `:label` selector is part of it) |
//! | GetParameters | `GetParameters` | every one of `Names` |
//! | GetParametersByPath | `GetParametersByPath` | `Path`: `<prefix><tenant>` or under it ([`NameRule::is_own_path`]); `Recursive` allowed |
//! | GetParameterHistory | `GetParameterHistory` | `Name` |
//! | PutParameter | `PutParameter` | `Name`; no `Tags` |
//! | DeleteParameter | `DeleteParameter` | `Name` |
//! | DeleteParameters | `DeleteParameters` | every one of `Names` |
//! | anything else (DescribeParameters, tags, labels, …) | — | refused |
//!
//! Beyond the table:
//!
//! * **Names, not ARNs.** A name or path given as an ARN is refused: see `names.rs`.
//! * **One foreign name refuses the request.** `GetParameters` answers the names it may read and
//!   lists the rest as invalid, and `DeleteParameters` deletes what it may: IAM would let the
//!   tenant's names through and deny the others one by one, while the guard refuses the whole
//!   request, which never reaches the service.
//! * **Fields that need another action.** `PutParameter` with `Tags` needs
//!   `ssm:AddTagsToResource` too (AWS CloudFormation User Guide, `AWS::SSM::Parameter`: "To
//!   create an SSM parameter, you must have the IAM permissions `ssm:PutParameter` and
//!   `ssm:AddTagsToResource`",
//!   <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ssm-parameter.html>),
//!   which a tenant session is never granted (tags can decide access): refused, even empty.
//! * **What is sent is what was checked.** Systems Manager speaks AWS JSON 1.1, as Secrets
//!   Manager does (`json.rs`).
//!
//! This file is the Parameter Store rule set ([`ParameterRules`]) of the one guard interceptor
//! (`intercept.rs`), feature `ssm`; its Secrets Manager counterpart is `secrets.rs`.

use super::intercept::RuleSet;
use super::json::Snapshot;
use super::names::Names;
use super::violation::{GuardViolation, Violation};
use crate::spec::HandlerSpec;
use aws_sdk_ssm::operation::{
    delete_parameter::DeleteParameterInput, delete_parameters::DeleteParametersInput, get_parameter::GetParameterInput,
    get_parameter_history::GetParameterHistoryInput, get_parameters::GetParametersInput,
    get_parameters_by_path::GetParametersByPathInput, put_parameter::PutParameterInput,
};
use aws_smithy_runtime_api::client::interceptors::context::Input;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::config_bag::ConfigBag;
#[cfg(doc)]
use tenant_isolation_core::NameRule;
use tenant_isolation_core::{NamedAction, Service, TenantId};

/// The Parameter Store rule set: a handler's `parameters(...)` declarations (from its spec).
#[derive(Debug)]
pub(crate) struct ParameterRules {
    spec: &'static HandlerSpec,
}

impl ParameterRules {
    /// The rules of `spec`'s parameters declarations (named by their rule alone: nothing to
    /// place).
    pub(crate) fn new(spec: &'static HandlerSpec) -> ParameterRules {
        ParameterRules { spec }
    }
}

impl RuleSet for ParameterRules {
    const NAME: &'static str = "TenantParameterGuard";
    /// The action the checked operation needs (each operation here is named as its action).
    type Decision = NamedAction;
    type Snapshot = Snapshot;

    fn check(&self, tenant: &TenantId, input: &Input) -> Result<NamedAction, GuardViolation> {
        let names = Names::new(tenant, self.spec, Service::Ssm);
        // Each operation: its action, declared; then every name it carries, the tenant's.
        let each = |operation: &'static str, all: &[&str]| {
            let action = names.action(operation)?;
            for name in all {
                names.name(action, Some(name))?;
            }
            Ok(action)
        };
        fn one(name: Option<&str>) -> [&str; 1] {
            [name.unwrap_or_default()]
        }
        fn all(names: &[String]) -> Vec<&str> {
            names.iter().map(String::as_str).collect()
        }
        if let Some(i) = input.downcast_ref::<GetParameterInput>() {
            return each("GetParameter", &one(i.name()));
        }
        if let Some(i) = input.downcast_ref::<GetParametersInput>() {
            return each("GetParameters", &all(i.names()));
        }
        if let Some(i) = input.downcast_ref::<GetParameterHistoryInput>() {
            return each("GetParameterHistory", &one(i.name()));
        }
        if let Some(i) = input.downcast_ref::<DeleteParameterInput>() {
            return each("DeleteParameter", &one(i.name()));
        }
        if let Some(i) = input.downcast_ref::<DeleteParametersInput>() {
            return each("DeleteParameters", &all(i.names()));
        }
        if let Some(i) = input.downcast_ref::<PutParameterInput>() {
            let action = names.action("PutParameter")?;
            if i.tags.is_some() {
                return Err(names.unsupported(action, "tags on a parameter (`Tags`: `ssm:AddTagsToResource`)"));
            }
            names.name(action, i.name())?;
            return Ok(action);
        }
        if let Some(i) = input.downcast_ref::<GetParametersByPathInput>() {
            let action = names.action("GetParametersByPath")?;
            names.path(action, i.path())?;
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
