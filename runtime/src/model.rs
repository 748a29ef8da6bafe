//! The model of what a handler may touch, for code that builds a [`HandlerSpec`] without the
//! macro ([`HandlerSpec::new`]): the README's "The same isolation without the macro".
//!
//! [`HandlerSpec`]: crate::HandlerSpec
//! [`HandlerSpec::new`]: crate::HandlerSpec::new

pub use tenant_isolation_core::{
    Action, BucketModel, Compiled, Confinement, HandlerModel, KeyRule, MAX_TENANT_ID_LEN, NamePrefixError, NameRule,
    NamedAction, NamedModel, NamedRefusal, ObjectAction, ObjectOperation, ObjectRule, Operation, Partition,
    PhysicalName, RoleArn, Service, SharedQueue, SpecError, TableModel, is_valid_message_attribute_name,
    is_valid_queue_name,
};
// The names a deployment binds (tables, buckets, shared queues) and the ids of customer-managed
// KMS keys: each kind's validator, and the same rule as a regular expression (the `policies
// template` parameters' `AllowedPattern`).
pub use tenant_isolation_core::{
    BUCKET_NAME_PATTERN, DYNAMODB_NAME_PATTERN, KMS_KEY_ID_PATTERN, QUEUE_NAME_PATTERN, is_valid_bucket_name,
    is_valid_dynamodb_name, is_valid_kms_key_id,
};
