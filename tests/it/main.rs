//! Integration tests against a real moto server (STS, DynamoDB, Cognito) on 127.0.0.1,
//! started by the harness in `tests/src/lib.rs`. One binary, one module per concern.

mod buckets;
mod common;
mod credentials;
mod fleet;
mod guard;
mod harness_smoke;
mod identity;
mod lambda;
mod named_handlers;
mod parameters;
mod pipeline;
mod queues;
mod records;
mod redteam;
mod reliability;
mod router;
mod scope;
mod secrets;
mod signing;
mod tables;
mod tags;
mod template;
mod tenancy;
