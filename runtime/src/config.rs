//! Configuration errors and environment helpers.

/// A setting that is missing or malformed. Names the environment variable (or builder
/// method) so the fix is obvious from the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting was given neither in the environment nor to the builder.
    #[error("missing configuration: set the environment variable `{var}` or call `{builder}` on the builder")]
    Missing {
        /// The environment variable.
        var: &'static str,
        /// The builder method.
        builder: &'static str,
    },
    /// A setting is present but unusable.
    #[error("invalid configuration `{var}`: {reason}")]
    Invalid {
        /// The environment variable or builder method.
        var: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// Reads a non-empty environment variable.
pub(crate) fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}
