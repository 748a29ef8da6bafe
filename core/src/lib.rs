//! Shared foundations of [`tenant-isolation`](https://docs.rs/tenant-isolation): the table of
//! DynamoDB actions that can be confined to one tenant, the validated [`TenantId`], and the
//! session-policy template that the `#[tenant_isolated]` macro builds at compile time and the
//! runtime renders per tenant.
//!
//! Users depend on `tenant-isolation`, which re-exports what they need from here. This crate
//! has no dependencies so that the proc-macro and the runtime share one source of truth.

mod action;
mod arn;
mod policy;
mod tenant;

pub use action::{Action, Refusal, closest, valid_names};
pub use arn::{InvalidRoleArn, MAX_SESSION_NAME_LEN, RoleArn, session_name};
pub use policy::{
    DEFAULT_KEY_PREFIX, MAX_REGION_LEN, MAX_SESSION_POLICY_CHARS, Partition, Placement, PlacementError, PolicySpec,
    SEPARATOR, SpecError, TableName, Template, is_valid_dynamodb_name, is_valid_tag_key, policy_id, policy_key, render,
    role_policy, tag_role_policy,
};
pub use tenant::{InvalidTenantId, MAX_TENANT_ID_LEN, TenantId, is_tenant_char};
