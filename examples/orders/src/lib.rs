#![forbid(unsafe_code)]
//! An orders service on one pooled DynamoDB table, isolated per tenant with
//! `tenant-isolation`: four Lambda handlers (create, get, list, cancel), an SQS worker and a
//! DynamoDB Streams consumer (`workers`), and a data layer that never handles a credential.

pub mod api;
pub mod data;
pub mod handlers;
pub mod workers;

use tenant_isolation::{HandlerSpec, Isolation};

/// Lambda init of one handler's binary: tracing, then the isolation runtime built from the
/// environment and the handler checked ([`Isolation::prepare`]). A misconfiguration (a
/// missing `TENANT_ROLE_ARN`, a bad `ORDERS_TABLE`, …) fails the init with its message, where
/// Lambda reports it, instead of answering 500 to every request.
pub async fn init(handler: &'static HandlerSpec) -> Result<(), lambda_http::Error> {
    init_tracing();
    Isolation::global().await?.prepare(handler)?;
    Ok(())
}

/// Sets up `tracing` for a Lambda binary (JSON-free, `RUST_LOG` filter, no ANSI).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_ansi(false)
        .without_time()
        .try_init();
}
