//! A tenant's secrets, parameters and queues are one namespace per account and region.
//!
//! A table or a bucket is shared only by handlers that name it (the runtime's overlap check
//! and `bindings.rs` compare those); a name rule has no table or bucket of its own: every
//! handler of an application that declares secrets reaches the account's secrets, whatever
//! function it runs in. So two name rules of one service whose prefixes overlap let a tenant of
//! one own another tenant's names under the other, in any two handlers:
//!
//! ```text
//! read_webhooks  secrets(webhooks(prefix = "tenants/"))      tenant `ORG` owns `tenants/ORG/*`
//! org_webhooks   secrets(org(prefix = "tenants/ORG/"))       tenant `acme`'s `tenants/ORG/acme/*`
//!   → refused: `tenants/` starts `tenants/ORG/`
//! ```
//!
//! The comparison is [`TenantRule::overlaps`], the one rule the runtime and the application
//! template compare bindings with: the same rule in two handlers is one family of names,
//! shared; two different rules where one prefix starts the other are refused. Within one
//! handler the model refuses them already (`SpecError::OverlappingNames`). No process sees two
//! handlers of two functions, so the audit, which sees every handler of the application, is
//! where the pair is caught before anything is deployed.

use crate::error::AuditError;
use tenant_isolation::HandlerSpec;
use tenant_isolation_core::TenantRule;

/// Refuses two name rules of `handlers` (of one service) where one prefix starts the other.
pub(crate) fn check(handlers: &[&'static HandlerSpec]) -> Result<(), AuditError> {
    let declared: Vec<_> = handlers
        .iter()
        .flat_map(|&h| h.model().named.iter().map(move |n| (h, TenantRule::Names(&n.names), n)))
        .collect();
    for (i, (h, rule, n)) in declared.iter().enumerate() {
        if let Some((g, _, m)) = declared[i + 1..].iter().find(|(_, other, _)| rule.overlaps(*other)) {
            return Err(AuditError::NameOverlap {
                service: n.service(),
                first: h.name().into(),
                first_prefix: n.names.prefix().into(),
                second: g.name().into(),
                second_prefix: m.names.prefix().into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use tenant_isolation::model::{Confinement, HandlerModel};
    use tenant_isolation_core::{NameRule, NamedAction, NamedModel, Service};

    fn named(handler: &str, names: NameRule, action: &'static [NamedAction]) -> &'static HandlerSpec {
        let model = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Borrowed(&[]),
            named: Cow::Owned(vec![NamedModel { name: "names".into(), actions: Cow::Borrowed(action), names }]),
            confinement: Confinement::SessionPolicy,
        };
        HandlerSpec::new(handler, model).unwrap().leak()
    }

    fn secrets(handler: &str, prefix: &'static str) -> &'static HandlerSpec {
        named(handler, NameRule::new(Service::SecretsManager, prefix), &[NamedAction::GetSecretValue])
    }

    #[test]
    fn overlapping_name_prefixes_of_one_service_are_refused() {
        let tenants = secrets("tenants", "tenants/");
        let org = secrets("org", "tenants/ORG/");
        match check(&[tenants, org]) {
            Err(AuditError::NameOverlap {
                service: Service::SecretsManager,
                first,
                first_prefix,
                second,
                second_prefix,
            }) => {
                assert_eq!(
                    (&*first, &*first_prefix, &*second, &*second_prefix),
                    ("tenants", "tenants/", "org", "tenants/ORG/")
                );
            }
            other => panic!("{other:?}"),
        }
        // The empty secret prefix starts every other one.
        assert!(check(&[secrets("root", ""), tenants]).is_err());
        let jobs = named("jobs", NameRule::new(Service::Sqs, "jobs-"), &[NamedAction::SendMessage]);
        let high = named("high", NameRule::new(Service::Sqs, "jobs-high-"), &[NamedAction::ReceiveMessage]);
        assert_eq!(
            check(&[jobs, high]).unwrap_err().to_string(),
            "handlers `jobs` (queue prefix `jobs-`) and `high` (queue prefix `jobs-high-`) name SQS queues in one \
             account and region, and one prefix starts the other: a tenant of one could own another tenant's queues \
             of the other"
        );
    }

    #[test]
    fn one_rule_in_two_handlers_and_rules_apart_are_accepted() {
        // One family of secrets read by one handler and written by another.
        let read = secrets("read", "tenants/");
        let write = named("write", NameRule::new(Service::SecretsManager, "tenants/"), &[NamedAction::PutSecretValue]);
        assert!(check(&[read, write]).is_ok());
        // Prefixes apart, in one service and in two.
        let other = secrets("other", "integrations/");
        let parameters = named("parameters", NameRule::new(Service::Ssm, "/tenants/"), &[NamedAction::GetParameter]);
        let settings = named("settings", NameRule::new(Service::Ssm, "/settings/"), &[NamedAction::GetParameter]);
        assert!(check(&[read, other, parameters, settings]).is_ok());
    }
}
