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
//! | `sqs.rs` | which SQS requests a tenant may send, and where (feature `sqs`): the queue guard's rules (`QueueRules`) |
//! | `json.rs` | what of a serialized JSON-protocol request (DynamoDB, SQS) must not change between the check and signing |
//!
//! Each rule set is a pure function of the typed input and the handler's model (tables, buckets
//! or queues as placed, key schema) to a decision: its unit tests (`dynamodb/tests.rs`,
//! `s3/tests.rs`, `sqs/tests.rs`) need no scope, client or server.

mod dynamodb;
mod expr;
mod intercept;
mod json;
mod partiql;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "sqs")]
mod sqs;
mod violation;

pub(crate) use dynamodb::{KeySchema, TableRules};
pub(crate) use intercept::Guard;
#[cfg(feature = "s3")]
pub(crate) use s3::ObjectRules;
#[cfg(feature = "sqs")]
pub(crate) use sqs::QueueRules;
pub use violation::{GuardViolation, Violation};

// The harness of the rule sets' table-driven unit tests.
#[cfg(test)]
mod cases;
