//! Shared foundations of [`tenant-isolation`](https://docs.rs/tenant-isolation): the one model
//! of what a tenant owns, from which everything else is derived.
//!
//! * [`HandlerModel`] / [`TableModel`] / [`BucketModel`]: what one handler may touch (tables and
//!   buckets, their physical-name binding, key rule, actions and indexes) and how its sessions
//!   are confined; [`HandlerModel::compile`] is the one path to its policy template.
//! * [`KeyRule`]: which keys belong to a tenant (policy patterns, guard check, key helpers);
//!   [`ObjectRule`]: which S3 object keys do.
//! * [`ObjectAction`] and [`ObjectOperation`]: the same for S3 objects.
//! * [`NamedModel`], [`NameRule`] and [`NamedAction`]: a tenant's Secrets Manager secrets,
//!   Parameter Store parameters and SQS queues, which IAM tells apart by name; [`SharedQueue`]:
//!   a queue every tenant's messages share, which IAM cannot confine per tenant.
//! * [`Action`] and [`Operation`]: the IAM actions that can be confined to a tenant, and
//!   which of them each DynamoDB API operation needs.
//! * [`TenantId`]: the validated tenant id, the only value that reaches a policy.
//!
//! Users depend on `tenant-isolation`, which re-exports what they need from here. This crate
//! has no dependencies so that the proc-macro and the runtime share one source of truth.

mod action;
mod arn;
mod keys;
mod kms;
mod model;
mod named;
mod operation;
mod physical;
mod policy;
mod refusal;
mod s3;
mod tenant;

pub use action::{Action, closest, valid_names};
pub use arn::{InvalidRoleArn, MAX_SESSION_NAME_LEN, RoleArn, session_name};
pub use keys::{DEFAULT_KEY_PREFIX, KeyPrefixError, KeyRule, MAX_KEY_PREFIX_LEN, SEPARATOR, Tenants};
pub use kms::{KMS_KEY_ID_LEN, KMS_KEY_ID_PATTERN, is_valid_kms_key_id};
pub use model::{
    BucketModel, Compiled, Confinement, DYNAMODB_NAME_PATTERN, HandlerModel, MAX_BOUND_TABLE_NAME_LEN,
    MAX_SESSION_POLICY_CHARS, PhysicalName, SpecError, TableModel, TenantRule, is_valid_dynamodb_name,
    is_valid_tag_key, key_prefix_error, name_prefix_error, object_prefix_error,
};
pub use named::{
    MAX_MESSAGE_ATTRIBUTE_NAME_LEN, MAX_NAME_PREFIX_LEN, MAX_QUEUE_NAME_LEN, NamePrefixError, NameRule, NamedAction,
    NamedModel, NamedRefusal, QUEUE_NAME_PATTERN, Service, SharedQueue, is_valid_message_attribute_name,
    is_valid_queue_name, valid_named_names,
};
pub use operation::{Needs, Operation, TransactItem, partiql_action};
pub use policy::{
    MAX_REGION_LEN, Partition, Placement, PlacementError, render, role_policy, tag_role_policy, worst_case_for,
};
pub use refusal::Refusal;
pub use s3::{
    BUCKET_NAME_PATTERN, DEFAULT_OBJECT_PREFIX, MAX_OBJECT_PREFIX_LEN, OBJECT_SEPARATOR, ObjectAction, ObjectOperation,
    ObjectPrefixError, ObjectRefusal, ObjectRule, is_valid_bucket_name, valid_object_names,
};
pub use tenant::{InvalidTenantId, MAX_TENANT_ID_LEN, TenantId, is_tenant_char};
