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
