//! Configuration: the one place environment variables are read and parsed.
//!
//! Every `TENANT_*` setting goes through [`Env`], with one parser per value type: a boolean
//! accepts `1`/`0`, `true`/`false`, `yes`/`no` and `on`/`off` (any case) in every variable
//! and refuses anything else, instead of reading a typo as "off".

use crate::kind::ErrorKind;

/// A setting that is missing or malformed. Names the environment variable (or builder
/// method) so the fix is obvious from the message.
#[derive(Debug, Clone, thiserror::Error)]
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

impl ConfigError {
    /// Always [`ErrorKind::Internal`] (500): the deployment, not the caller, must change.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Internal
    }

    pub(crate) fn invalid(var: &'static str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid { var, reason: reason.into() }
    }
}

/// Where settings are looked up: the process environment, or a map in tests.
pub(crate) struct Env<F = fn(&str) -> Option<String>> {
    get: F,
}

impl Env {
    /// The process environment.
    pub(crate) fn process() -> Env {
        Env { get: var }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// Settings from `get` (tests).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn from_fn(get: F) -> Env<F> {
        Env { get }
    }

    /// A non-empty value, trimmed.
    pub(crate) fn string(&self, name: &str) -> Option<String> {
        (self.get)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// A value parsed as `T`.
    pub(crate) fn parse<T: std::str::FromStr>(&self, name: &'static str) -> Result<Option<T>, ConfigError> {
        self.string(name)
            .map(|v| v.parse().map_err(|_| ConfigError::invalid(name, format!("cannot parse {v:?}"))))
            .transpose()
    }

    /// `name=value` pairs separated by commas (`Customers=tenant_pk,Orders=pk`): each side
    /// non-empty, each name once.
    pub(crate) fn pairs(&self, name: &'static str) -> Result<Vec<(String, String)>, ConfigError> {
        let Some(list) = self.string(name) else { return Ok(Vec::new()) };
        let mut pairs: Vec<(String, String)> = Vec::new();
        for entry in list.split(',') {
            let (key, value) = entry
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .ok_or_else(|| ConfigError::invalid(name, format!("{entry:?} is not `<name>=<value>`")))?;
            if pairs.iter().any(|(k, _)| k == key) {
                return Err(ConfigError::invalid(name, format!("`{key}` is given twice")));
            }
            pairs.push((key.to_owned(), value.to_owned()));
        }
        Ok(pairs)
    }

    /// A boolean ([`parse_bool`]).
    pub(crate) fn bool(&self, name: &'static str) -> Result<Option<bool>, ConfigError> {
        self.string(name).map(|v| parse_bool(name, &v)).transpose()
    }
}

/// A non-empty environment variable, trimmed.
pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The one boolean parser: `1`, `true`, `yes`, `on` / `0`, `false`, `no`, `off`, any case.
pub(crate) fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    const TRUE: [&str; 4] = ["1", "true", "yes", "on"];
    const FALSE: [&str; 4] = ["0", "false", "no", "off"];
    let v = value.trim();
    if TRUE.iter().any(|t| v.eq_ignore_ascii_case(t)) {
        Ok(true)
    } else if FALSE.iter().any(|f| v.eq_ignore_ascii_case(f)) {
        Ok(false)
    } else {
        Err(ConfigError::invalid(
            name,
            format!("{v:?} is not a boolean: expected `1`/`0`, `true`/`false`, `yes`/`no` or `on`/`off`"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_have_one_spelling_table() {
        for t in ["1", "true", "TRUE", "Yes", " on "] {
            assert!(parse_bool("X", t).unwrap(), "{t}");
        }
        for f in ["0", "false", "No", "OFF"] {
            assert!(!parse_bool("X", f).unwrap(), "{f}");
        }
        for bad in ["", "2", "enabled", "tru", "y"] {
            assert!(parse_bool("X", bad).is_err(), "{bad}");
        }
        let env = Env::from_fn(|k: &str| (k == "B").then(|| "maybe".to_owned()));
        assert!(matches!(env.bool("B"), Err(ConfigError::Invalid { var: "B", .. })));
        assert_eq!(env.bool("UNSET").unwrap(), None);
    }
}
