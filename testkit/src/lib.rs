//! # tenant-isolation-testkit
//!
//! What the tests of a service built on [`tenant_isolation`] need and should not have to write:
//!
//! * [`Keys`]: throw-away RSA and EC signing keys (read from this crate's `keys/` directory),
//!   their public JWKs and key sets, one with a rotated-in key;
//! * [`tokens`]: Cognito-shaped claims, signing helpers, and
//!   [`hostile_tokens`](tokens::hostile_tokens) — more than a hundred tokens (forged, garbled,
//!   expired, confused algorithms, injected tenant ids …), each with the
//!   [`ErrorKind`](tenant_isolation::ErrorKind) it must be refused
//!   with, for the verifier and for every layer above it;
//! * [`JwksServer`]: a key-set endpoint on 127.0.0.1 whose answers the test controls (keys,
//!   errors, delays, a hung connection) and which counts its requests;
//! * [`StsServer`]: a stand-in for STS `AssumeRole` on 127.0.0.1 that hands out synthetic
//!   credentials and counts the calls, so that an [`Isolation`](tenant_isolation::Isolation)
//!   fills its credential cache through the SDK without an AWS account;
//! * [`Moto`]: a real `moto_server` (STS, DynamoDB, Cognito) in a process that ends with the test,
//!   and its request recorder ([`RecordedRequest`]: which access key signed each request);
//! * [`events`]: API Gateway HTTP API and REST API proxy events as Lambda delivers them, for
//!   handlers served by `lambda_http` or `lambda_runtime`;
//! * [`records`]: SQS batches, EventBridge events, DynamoDB Streams batches and S3 event
//!   notifications with mixed tenants, for record handlers, as `aws_lambda_events` types in a
//!   `LambdaEvent` (with Lambda's tenant id if the test sets one) or as JSON;
//! * [`aws`]: SDK configurations that answer as AWS where moto answers otherwise (a missing
//!   object is 403 to a caller without `s3:ListBucket`), for tests of what a deployed handler sees;
//! * [`Local`]: all of it together for your own handlers — moto, a trusted key set, tokens for
//!   any tenant (in the deployment's tenant claim, [`LocalBuilder::tenant_claim`]), an
//!   `Isolation` per test, requests and Lambda contexts — so that a test of "tenant A cannot see
//!   tenant B's data" is a few lines (`examples/orders/tests/tenants.rs`).
//!
//! ```toml
//! [dev-dependencies]
//! tenant-isolation-testkit = "0.1"
//! ```
//!
//! **Never in a production binary.** Everything here is made to be trusted by tests only:
//! the private keys are published with the crate, [`tokens::HS256_SECRET`] is in its source,
//! and the servers answer anyone who reaches their port (the STS stand-in with credentials). Keep it under `[dev-dependencies]`.
//!
//! # Example
//!
//! A verifier over the test key set accepts a good token and refuses every hostile one with
//! the status the table names:
//!
//! ```
//! use tenant_isolation_testkit::{JwksServer, Keys, Reply, tokens};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let keys = Keys::bundled();
//! let jwks = JwksServer::start(Reply::Json(keys.key_set())).await;
//! let verifier = tokens::verifier_builder(&jwks.jwks_url()).build().unwrap();
//!
//! let good = tokens::rs256(&keys, &tokens::claims("acme"));
//! assert_eq!(verifier.verify(&good).await.unwrap().tenant.as_str(), "acme");
//!
//! for (name, token, expected) in tokens::hostile_tokens(&keys) {
//!     let error = verifier.verify(&token).await.expect_err(name);
//!     assert_eq!(error.kind(), expected, "{name}");
//! }
//! assert_eq!(jwks.jwks_hits(), 1, "unknown `kid`s did not cost a fetch each");
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod aws;
pub mod events;
pub mod jwks;
pub mod keys;
pub mod local;
pub mod moto;
pub mod records;
pub mod sts;
pub mod tokens;

pub use jwks::{JwksServer, Reply};
pub use keys::Keys;
pub use local::{Local, LocalBuilder};
pub use moto::{Moto, RecordedRequest};
pub use sts::StsServer;
