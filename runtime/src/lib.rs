//! Leak-proof multi-tenant AWS Lambda + DynamoDB: verified tenants, session policies, cached
//! STS credentials, a task-local tenant scope and a client-side key guard.

mod config;
pub use config::ConfigError;
pub mod identity;
