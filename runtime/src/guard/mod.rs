//! The guard: one SDK interceptor on each policy's clients that refuses, before anything is
//! signed or sent, a request that is not its scope's tenant's, and signs an accepted one with
//! that scope's credentials only.
//!
//! It is a second line behind the session policy (which IAM enforces in AWS, and which no
//! local emulator enforces): it catches a cross-tenant key in the process, with a typed
//! error, in tests and in local development too; and it checks what IAM cannot see (index
//! partition keys set by writes).
//!
//! | file | the question it answers |
//! |---|---|
//! | `violation.rs` | what a refusal is: [`GuardViolation`], [`Violation`] |
//! | `intercept.rs` | how a request is guarded: the one interceptor (scope, hooks, snapshot at serialization, comparison at signing, credentials, recorded refusals), parameterised by a [`RuleSet`](intercept::RuleSet) |
//! | `dynamodb.rs` | which DynamoDB requests a tenant may send: the key guard's rules ([`TableRules`]) and the [`KeySchema`] |
//! | `expr.rs`, `partiql.rs` | how far the key guard reads expressions and PartiQL statements |
//! | `s3.rs` | which S3 requests a tenant may send, and where (feature `s3`): the object guard's rules (`ObjectRules`) |
//! | `secrets.rs` | which Secrets Manager requests a tenant may send (feature `secretsmanager`): the secret guard's rules (`SecretRules`) |
//! | `ssm.rs` | which Parameter Store requests a tenant may send (feature `ssm`): the parameter guard's rules (`ParameterRules`) |
//! | `sqs.rs` | which SQS requests a tenant may send, and where (feature `sqs`): the queue guard's rules (`QueueRules`) |
//! | `names.rs` | what the secret and parameter guards share: an operation's action, declared, and names under a declaration's `NameRule` |
//! | `json.rs` | what a JSON-protocol request (DynamoDB, Secrets Manager, Systems Manager, SQS) says, and whether the request at signing still says it |
//! | `endpoint.rs` | where a checked request goes: the client's resolver's endpoint, joined with the recorded path |
//!
//! Each rule set is a pure function of the typed input and the handler's model (tables or
//! buckets as placed, key schema, name rules) to a decision: its unit tests
//! (`dynamodb/tests.rs`, `s3/tests.rs`, `secrets/tests.rs`, `ssm/tests.rs`, `sqs/tests.rs`) need
//! no scope, client or server.

mod dynamodb;
mod endpoint;
mod expr;
mod intercept;
mod json;
#[cfg(any(feature = "secretsmanager", feature = "ssm"))]
mod names;
mod partiql;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "secretsmanager")]
mod secrets;
#[cfg(feature = "sqs")]
mod sqs;
#[cfg(feature = "ssm")]
mod ssm;
mod violation;

pub(crate) use dynamodb::{KeySchema, TableRules};
pub(crate) use intercept::Guard;
#[cfg(feature = "s3")]
pub(crate) use s3::ObjectRules;
#[cfg(feature = "secretsmanager")]
pub(crate) use secrets::SecretRules;
#[cfg(feature = "sqs")]
pub(crate) use sqs::QueueRules;
#[cfg(feature = "ssm")]
pub(crate) use ssm::ParameterRules;
pub use violation::{GuardViolation, Violation};

/// Whether a name has a `.` or `..` segment between its `/`s (`tenants/acme/../globex/x`). IAM
/// and the services read object keys, secret and parameter names as opaque strings, so such a
/// name is still the tenant's literal name under its folder; but a proxy, an SDK or a later
/// layer that normalises paths would read another tenant's. The S3, secret and parameter guards
/// refuse them all, rather than decide which layer might normalise.
#[cfg(any(feature = "s3", feature = "secretsmanager", feature = "ssm"))]
pub(crate) fn has_dot_segment(name: &str) -> bool {
    name.split('/').any(|s| s == "." || s == "..")
}

// The harness of the rule sets' table-driven unit tests.
#[cfg(test)]
mod cases;
