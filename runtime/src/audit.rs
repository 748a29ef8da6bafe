//! For deploy-time tools (the `tenant-isolation-audit` crate's `policies` command): the handlers
//! linked into a binary, their physical names as the runtime resolves them, the overlap check
//! across handlers, and the role policies.

pub use crate::registry::{PrefixOverlap, ResourceKind, check_prefixes, registered_handlers};
pub use crate::spec::physical_name;
pub use tenant_isolation_core::{role_policy, tag_role_policy};
