//! Where a table's, bucket's or shared queue's physical name comes from: written into the
//! template, or bound at run time by a variable. Its own module because the model's tables and
//! buckets (`model.rs`) and its shared queues (`named.rs`) both hold one.

use std::borrow::Cow;

/// Where a table's, bucket's or shared queue's physical name comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PhysicalName {
    /// Written into the template at compile time.
    Fixed(Cow<'static, str>),
    /// Read at run time from an environment variable (per-stage names); the template carries
    /// a placeholder (`{{table}}`, `{{table2}}`, …, `{{bucket}}`, …, `{{queue}}`, …) and the size
    /// check assumes the longest legal name (a table's counted at
    /// [`MAX_BOUND_TABLE_NAME_LEN`](crate::MAX_BOUND_TABLE_NAME_LEN)).
    FromEnv {
        /// The variable, e.g. `ORDERS_TABLE`.
        var: Cow<'static, str>,
        /// The declared (logical) name, used when the variable is unset.
        default: Cow<'static, str>,
    },
}

impl PhysicalName {
    /// The name written in the attribute.
    pub fn declared(&self) -> &str {
        match self {
            PhysicalName::Fixed(n) | PhysicalName::FromEnv { default: n, .. } => n,
        }
    }

    /// The variable that binds the physical name at run time, if any.
    pub fn env_var(&self) -> Option<&str> {
        match self {
            PhysicalName::Fixed(_) => None,
            PhysicalName::FromEnv { var, .. } => Some(var),
        }
    }
}
