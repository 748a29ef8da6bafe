//! Why audit output could not be produced: one error type for every command, each variant a
//! rustc-style sentence that names the handlers, variables or values involved.

use crate::cloudformation;
use tenant_isolation::audit::ResourceKind;
use tenant_isolation_core::{InvalidRoleArn, InvalidTenantId, PlacementError};

/// Why audit output could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The tenant id would not pass validation at run time either.
    #[error("invalid tenant id {tenant:?}: {source}")]
    Tenant {
        /// The id as given.
        tenant: String,
        /// Why it is refused.
        source: InvalidTenantId,
    },
    /// The data-access role ARN is not an IAM role ARN.
    #[error("invalid data-access role: {0}")]
    RoleArn(#[source] InvalidRoleArn),
    /// The Lambda execution role ARN is not an IAM role ARN.
    #[error("invalid Lambda execution role: {0}")]
    LambdaRoleArn(#[source] InvalidRoleArn),
    /// The region, or a handler's physical table name (from its `table_env` variable), is
    /// not usable in an ARN.
    #[error("cannot place handler `{handler}`: {source}")]
    Placement {
        /// The handler.
        handler: &'static str,
        /// The refused value.
        source: PlacementError,
    },
    /// A handler's KMS key is bound by its variable alone (`kms_key_env` without `kms_key`) and the
    /// variable is unset where the audit runs: the runtime would refuse to start, and no policy
    /// naming the key can be written.
    #[error(
        "handler `{handler}` takes its KMS key id from `{var}`, which is not set, and declares no `kms_key` to fall \
         back on: set `{var}` to the key id, as the function's environment will (`policies template` needs no value)"
    )]
    UnboundKmsKey {
        /// The handler.
        handler: &'static str,
        /// The variable.
        var: &'static str,
    },
    /// Session-tag handlers of one binary name different tag keys.
    #[error("session-tag handlers use the tag keys `{first}` and `{other}`: one session-tag role reads one tag")]
    MixedTags {
        /// One key.
        first: &'static str,
        /// Another.
        other: &'static str,
    },
    /// Two handlers' key prefixes overlap on one table.
    #[error(transparent)]
    Overlap(#[from] tenant_isolation::audit::PrefixOverlap),
    /// Two handlers bind one table (or bucket) through one variable with prefixes where one
    /// starts the other: whatever their declared names, the variable names one resource once
    /// deployed, and a tenant of the shorter prefix would own keys of the longer one.
    #[error(
        "handlers `{first}` (key prefix `{first_prefix}`) and `{second}` (key prefix `{second_prefix}`) bind one \
         {kind} through `{var}`, and one prefix starts the other: a tenant of one could own the other's keys"
    )]
    BindingOverlap {
        /// A table or a bucket.
        kind: ResourceKind,
        /// The variable.
        var: Box<str>,
        /// One handler.
        first: Box<str>,
        /// Its prefix.
        first_prefix: Box<str>,
        /// The other handler (the same one when two of its declarations overlap).
        second: Box<str>,
        /// Its prefix.
        second_prefix: Box<str>,
    },
    /// One variable binds a table in one handler and a bucket (or a shared queue) in another, or
    /// two declared names: it names one resource once deployed, so the declarations must agree.
    #[error(
        "`{var}` names {first_binds} in handler `{first}` and {second_binds} in handler `{second}`: a variable \
         names one {kinds}, with one declared name, wherever it is used",
        kinds = crate::kind::nouns()
    )]
    BindingConflict {
        /// The variable.
        var: Box<str>,
        /// One handler.
        first: Box<str>,
        /// What it binds there ("table `Ledger`").
        first_binds: Box<str>,
        /// Another handler.
        second: Box<str>,
        /// What it binds there.
        second_binds: Box<str>,
    },
    /// Only one of role ARN and region was given: partition and account come from the
    /// ARN, the region does not, and a half-rendered policy is neither template nor policy.
    #[error("the role ARN and the region go together: give both, or neither to keep the `{{{{...}}}}` placeholders")]
    Incomplete,
    /// Two variables (or a variable and one of the template's own parameters) that would become
    /// one CloudFormation parameter: a statement naming the parameter would grant each table's
    /// actions on the other's.
    #[error("{} both become the CloudFormation parameter `{parameter}`: rename one of them", both(.first, .second))]
    ParameterCollision {
        /// The parameter.
        parameter: String,
        /// What it was declared for ("the variable `RT3_AUDIT_TABLE`").
        first: String,
        /// What else asked for it.
        second: String,
    },
    /// `policies template` cannot build the application from the functions given.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A handler's rendered template is not JSON: a hand-written [`HandlerSpec`](tenant_isolation::HandlerSpec) with a
    /// malformed template (the macro's templates always are JSON).
    #[error("the rendered policy of handler `{handler}` is not JSON: {source}")]
    Rendered {
        /// The handler.
        handler: &'static str,
        /// The parser's error.
        source: serde_json::Error,
    },
}

/// "the variable `A` and the variable `B`" said as "the variables `A` and `B`".
fn both(first: &str, second: &str) -> String {
    const VARIABLE: &str = "the variable ";
    match (first.strip_prefix(VARIABLE), second.strip_prefix(VARIABLE)) {
        (Some(a), Some(b)) => format!("the variables {a} and {b}"),
        _ => format!("{first} and {second}"),
    }
}

impl From<cloudformation::Collision> for AuditError {
    fn from(c: cloudformation::Collision) -> AuditError {
        AuditError::ParameterCollision { parameter: c.parameter, first: c.first, second: c.second }
    }
}

/// Why `policies template` cannot build the application from the functions given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A handler pattern matches no handler linked into the binary.
    #[error("function `{function}`: no linked handler matches `{pattern}`; linked: {linked}")]
    UnknownHandler {
        /// The function.
        function: String,
        /// The pattern.
        pattern: String,
        /// Every linked handler's path.
        linked: String,
    },
    /// A handler pattern (not a `::*` one) matches several handlers.
    #[error("function `{function}`: `{pattern}` names several handlers: {matches}; write more of the path")]
    AmbiguousHandler {
        /// The function.
        function: String,
        /// The pattern.
        pattern: String,
        /// The paths it matches.
        matches: String,
    },
    /// Two `--function` values name one function.
    #[error("the function `{0}` is given twice")]
    DuplicateFunction(String),
    /// Two functions would become one CloudFormation resource (`create-order` and
    /// `create_order` both read `CreateOrder`).
    #[error("the functions `{first}` and `{second}` both become the resource `{resource}`: rename one of them")]
    ResourceCollision {
        /// The logical id.
        resource: String,
        /// One function.
        first: String,
        /// The other.
        second: String,
    },
    /// Two functions take the same route of one API, or both take every path of it.
    #[error("the functions `{first}` and `{second}` both take {route} of the {api}")]
    RouteTaken {
        /// `HTTP API` or `REST API`.
        api: &'static str,
        /// `GET /orders`, or `every path`.
        route: String,
        /// One function.
        first: String,
        /// The other.
        second: String,
    },
    /// A stream source names a table that no linked handler declares.
    #[error(
        "function `{function}`: no linked handler binds a table through `{table}` or declares a table of that name; tables: {tables}"
    )]
    UnknownStreamTable {
        /// The function.
        function: String,
        /// The table as given.
        table: String,
        /// The tables' variables and fixed names.
        tables: String,
    },
    /// The tenant claim cannot be written into the REST API's mapping of Lambda's tenant id.
    #[error(
        "tenant claim `{0}` cannot be mapped to Lambda's tenant id (`context.authorizer.claims.{0}`): only `A-Z`, `a-z`, \
         `0-9`, `.`, `_`, `$`, `-` and `:` can be"
    )]
    TenantClaim(String),
}
