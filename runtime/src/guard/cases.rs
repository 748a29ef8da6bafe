//! The harness of the rule sets' table-driven unit tests (`dynamodb/tests.rs`, `s3/tests.rs`):
//! a case is one typed input, the tenant that sends it and the decision it must get; a table
//! of cases is decided by [`RuleSet::check`] alone and every wrong decision is reported at once,
//! by name.

use super::intercept::RuleSet;
use super::violation::Violation;
use aws_smithy_runtime_api::client::interceptors::context::Input;
use std::fmt;
use tenant_isolation_core::TenantId;

/// One request and what the rules must decide for its tenant.
pub(super) struct Case<D> {
    name: &'static str,
    tenant: &'static str,
    input: Input,
    expect: Result<D, Violation>,
}

/// `input` sent by tenant `acme`.
pub(super) fn case<T: fmt::Debug + Send + Sync + 'static, D>(
    name: &'static str,
    input: T,
    expect: Result<D, Violation>,
) -> Case<D> {
    Case { name, tenant: "acme", input: Input::erase(input), expect }
}

impl<D> Case<D> {
    /// The same request sent by another tenant.
    pub(super) fn by(self, tenant: &'static str) -> Case<D> {
        Case { tenant, ..self }
    }
}

/// Decides every case with `rules`; a refusal must name the sending tenant.
pub(super) fn run<R: RuleSet>(rules: &R, cases: Vec<Case<R::Decision>>)
where
    R::Decision: PartialEq,
{
    let mut wrong = Vec::new();
    for c in &cases {
        let tenant = TenantId::parse(c.tenant).unwrap();
        let got = rules.check(&tenant, &c.input).map_err(|v| {
            assert_eq!(v.tenant(), &tenant, "{}: the refusal names the sending tenant", c.name);
            v.violation().clone()
        });
        if got != c.expect {
            wrong.push(format!("{}: expected {:?}, got {:?}", c.name, c.expect, got));
        }
    }
    assert!(wrong.is_empty(), "{} of {} cases decided wrongly:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
}
