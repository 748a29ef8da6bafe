//! For deploy-time tools (the `tenant-isolation-audit` crate's `policies` command): the handlers
//! linked into a binary, their physical names as the runtime resolves them, the overlap check
//! across handlers, and the role policies.

pub use crate::registry::{PrefixOverlap, ResourceKind, check_prefixes, registered_handlers};
pub use crate::spec::physical_name;
pub use tenant_isolation_core::{role_policy, tag_role_policy};

/// The environment variables of the runtime's settings, for deploy-time tools that write them
/// into a function's environment (the `policies template` command): the names the runtime reads,
/// not copies of them. `docs/DEPLOYING.md` says what each one means.
pub mod vars {
    use crate::config::setting;

    /// The data-access role (`IsolationBuilder::role_arn`).
    pub const ROLE_ARN: &str = setting::ROLE_ARN.var;
    /// The session-tag role (`IsolationBuilder::session_tag_role_arn`).
    pub const TAG_ROLE_ARN: &str = setting::TAG_ROLE_ARN.var;
    /// The partition-key attribute of every table (`IsolationBuilder::partition_key`).
    pub const PARTITION_KEY: &str = setting::PARTITION_KEY.var;
    /// `<physical table>=<attribute>,…` (`IsolationBuilder::table_partition_key`).
    pub const TABLE_PARTITION_KEYS: &str = setting::TABLE_PARTITION_KEYS.var;
    /// Lambda's tenant id: `checked` or `required` (`IsolationBuilder::lambda_tenant_mode`).
    pub const LAMBDA_TENANT_ID: &str = setting::LAMBDA_TENANT_ID.var;
    /// The value of [`LAMBDA_TENANT_ID`] that requires every invocation to carry Lambda's
    /// tenant id (functions in tenant isolation mode).
    pub const LAMBDA_TENANT_ID_REQUIRED: &str = setting::LAMBDA_TENANT_ID_REQUIRED;
    /// The exact `iss` of accepted tokens (`VerifierBuilder::issuer`).
    pub const JWT_ISSUER: &str = setting::JWT_ISSUER.var;
    /// The accepted audiences, comma-separated (`VerifierBuilder::audience`).
    pub const JWT_AUDIENCE: &str = setting::JWT_AUDIENCE.var;
    /// The tenant claim (`VerifierBuilder::tenant_claim`).
    pub const CLAIM: &str = setting::CLAIM.var;
}
