//! Shared foundations of [`tenant-isolation`](https://docs.rs/tenant-isolation): the one model
//! of what a tenant owns, from which everything else is derived.
//!
//! * [`HandlerModel`] / [`TableModel`]: what one handler may touch (tables, their physical-name
//!   binding, key rule, actions and indexes) and how its sessions are confined;
//!   [`HandlerModel::compile`] is the one path to its policy template.
//! * [`KeyRule`]: which keys belong to a tenant (policy patterns, guard check, key helpers).
//! * [`Action`] and [`Operation`]: the IAM actions that can be confined to a tenant, and
//!   which of them each DynamoDB API operation needs.
//! * [`TenantId`]: the validated tenant id, the only value that reaches a policy.
//!
//! Users depend on `tenant-isolation`, which re-exports what they need from here. This crate
//! has no dependencies so that the proc-macro and the runtime share one source of truth.

mod action;
mod arn;
mod keys;
mod operation;
mod policy;
mod refusal;
mod tenant;

pub use action::{Action, closest, valid_names};
pub use arn::{InvalidRoleArn, MAX_SESSION_NAME_LEN, RoleArn, session_name};
pub use keys::{DEFAULT_KEY_PREFIX, KeyPrefixError, KeyRule, MAX_KEY_PREFIX_LEN, SEPARATOR, Tenants};
pub use operation::{Needs, Operation, TransactItem, partiql_action};
pub use policy::{
    Compiled, Confinement, HandlerModel, MAX_REGION_LEN, MAX_SESSION_POLICY_CHARS, Partition, Placement,
    PlacementError, SpecError, TableModel, TableName, Template, is_valid_dynamodb_name, is_valid_tag_key, render,
    role_policy, tag_role_policy,
};
pub use refusal::Refusal;
pub use tenant::{InvalidTenantId, MAX_TENANT_ID_LEN, TenantId, is_tenant_char};
