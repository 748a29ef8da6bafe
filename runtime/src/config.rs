//! Configuration: the one settings layer. Every setting a builder does not set is read from
//! the environment here, once, and parsed by the one parser of its kind:
//!
//! | kind | parser | accepts |
//! |---|---|---|
//! | text | [`Env::string`] | any value, trimmed; empty counts as unset |
//! | boolean | [`Env::bool`] | `1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off`, any case |
//! | whole number | [`Env::integer`] | decimal digits |
//! | duration | [`Env::seconds`], [`Env::millis`] | a whole number of seconds or milliseconds |
//! | list | [`Env::list`] | comma-separated values, each trimmed, empty ones dropped |
//! | pairs | [`Env::pairs`] | `name=value,…`, each side non-empty, each name once |
//! | role ARN | [`Env::role_arn`] | an IAM role ARN ([`RoleArn::parse`]) |
//! | choice | [`Env::choice`] | one of a fixed list of words (`checked`/`required`, `id`/`access`) |
//!
//! A value that is set but malformed is a [`ConfigError`] naming the variable and the builder
//! method, never read as a default. The builders ([`IsolationBuilder`](crate::IsolationBuilder),
//! [`VerifierBuilder`](crate::identity::VerifierBuilder)) take a value given to them over the
//! variable, and read the variable only when none was given.
//!
//! The environment is captured once, when an `Isolation` is built ([`Env::capture`]); the
//! physical names that `table_env`/`bucket_env` variables bind are read from that capture
//! too, so that nothing reachable from a request reads the process environment.

use crate::kind::ErrorKind;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tenant_isolation_core::RoleArn;

/// A setting that is missing or malformed. Names the environment variable and the builder
/// method, so that the fix is in the message:
///
/// ```
/// # use tenant_isolation::ConfigError;
/// let e = ConfigError::Missing { var: "TENANT_JWT_ISSUER", builder: "VerifierBuilder::issuer" };
/// assert_eq!(e.to_string(), "`TENANT_JWT_ISSUER` is not set: set it, or call `VerifierBuilder::issuer`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting was given neither in the environment nor to the builder.
    #[error("`{var}` is not set: set it, or call `{builder}`")]
    Missing {
        /// The environment variable.
        var: &'static str,
        /// The builder method (`IsolationBuilder::role_arn`).
        builder: &'static str,
    },
    /// A setting is present but unusable.
    #[error("{}", invalid(.var, *.builder, .reason))]
    Invalid {
        /// The environment variable; for a setting that no variable gives, what names it (the
        /// builder method, or the attribute argument such as `key_prefix`).
        var: &'static str,
        /// The builder method that sets it too, if one does.
        builder: Option<&'static str>,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid(var: &str, builder: Option<&str>, reason: &str) -> String {
    match builder {
        Some(builder) => format!("`{var}` (or `{builder}`) is invalid: {reason}"),
        None => format!("`{var}` is invalid: {reason}"),
    }
}

impl ConfigError {
    /// Always [`ErrorKind::Internal`] (500): the deployment, not the caller, must change.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Internal
    }

    /// An unusable setting that only `var` names (no builder method sets it).
    pub(crate) fn invalid(var: &'static str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid { var, builder: None, reason: reason.into() }
    }
}

/// One setting: its environment variable and the builder method that sets it instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Setting {
    /// The environment variable.
    pub(crate) var: &'static str,
    /// The builder method (`IsolationBuilder::role_arn`).
    pub(crate) builder: &'static str,
}

impl Setting {
    pub(crate) const fn new(var: &'static str, builder: &'static str) -> Setting {
        Setting { var, builder }
    }

    /// Required, and given neither way.
    pub(crate) fn missing(self) -> ConfigError {
        ConfigError::Missing { var: self.var, builder: self.builder }
    }

    /// Given (either way), but unusable.
    pub(crate) fn invalid(self, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid { var: self.var, builder: Some(self.builder), reason: reason.into() }
    }
}

/// The value given to the builder, else the one `read` finds in the environment: the builder
/// wins, and a variable is not read (so not refused) when the builder gave the setting.
pub(crate) fn given_or<T>(
    given: Option<T>,
    read: impl FnOnce() -> Result<Option<T>, ConfigError>,
) -> Result<Option<T>, ConfigError> {
    match given {
        Some(value) => Ok(Some(value)),
        None => read(),
    }
}

/// A fixed set of words a setting may take (`checked`/`required`).
pub(crate) trait Choice: Copy + 'static {
    /// Every word and what it means, in the order error messages list them.
    const CHOICES: &'static [(&'static str, Self)];
}

/// `value` as one of `T`'s words, exactly (after trimming); otherwise an error that lists them.
pub(crate) fn parse_choice<T: Choice>(setting: Setting, value: &str) -> Result<T, ConfigError> {
    let value = value.trim();
    T::CHOICES.iter().find(|(word, _)| *word == value).map(|(_, choice)| *choice).ok_or_else(|| {
        let expected = T::CHOICES.iter().map(|(w, _)| format!("`{w}`")).collect::<Vec<_>>().join(", ");
        setting.invalid(format!("{value:?} is not one of: {expected}"))
    })
}

/// Where settings are looked up: a capture of the process environment (what the runtime uses),
/// the live environment (deploy-time tools), or a map in tests. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Env {
    get: Arc<Lookup>,
}

/// A variable's value by name.
type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl std::fmt::Debug for Env {
    /// Values are never printed: the environment holds secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Env(..)")
    }
}

impl Env {
    /// The process environment as it is now, read once: later lookups never read it again
    /// (variables that are not UTF-8 are left out, as `std::env::var` refuses them).
    pub(crate) fn capture() -> Env {
        let vars: HashMap<String, String> =
            std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
        Env::from_fn(move |name| vars.get(name).cloned())
    }

    /// The process environment, read at each lookup: for deploy-time tools (the `policies`
    /// audit), never for the runtime.
    pub(crate) fn live() -> Env {
        Env::from_fn(|name| std::env::var(name).ok())
    }

    /// Settings from `get`.
    pub(crate) fn from_fn(get: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Env {
        Env { get: Arc::new(get) }
    }

    /// `name`'s value, trimmed; an empty value counts as unset.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        (self.get)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// Text.
    pub(crate) fn string(&self, setting: Setting) -> Option<String> {
        self.var(setting.var)
    }

    /// A boolean ([`parse_bool`]).
    pub(crate) fn bool(&self, setting: Setting) -> Result<Option<bool>, ConfigError> {
        self.string(setting).map(|v| parse_bool(setting, &v)).transpose()
    }

    /// A whole number ([`parse_integer`]).
    pub(crate) fn integer(&self, setting: Setting) -> Result<Option<u64>, ConfigError> {
        self.string(setting).map(|v| parse_integer(setting, &v, "")).transpose()
    }

    /// A duration in whole seconds.
    pub(crate) fn seconds(&self, setting: Setting) -> Result<Option<Duration>, ConfigError> {
        self.string(setting).map(|v| parse_integer(setting, &v, " of seconds").map(Duration::from_secs)).transpose()
    }

    /// A duration in whole milliseconds.
    pub(crate) fn millis(&self, setting: Setting) -> Result<Option<Duration>, ConfigError> {
        self.string(setting)
            .map(|v| parse_integer(setting, &v, " of milliseconds").map(Duration::from_millis))
            .transpose()
    }

    /// Comma-separated values, each trimmed; empty ones are dropped (`a, b,` is `a`, `b`).
    pub(crate) fn list(&self, setting: Setting) -> Vec<String> {
        let Some(list) = self.string(setting) else { return Vec::new() };
        list.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
    }

    /// `name=value` pairs separated by commas (`Customers=tenant_pk,Orders=pk`): each side
    /// non-empty, each name once.
    pub(crate) fn pairs(&self, setting: Setting) -> Result<Vec<(String, String)>, ConfigError> {
        let Some(list) = self.string(setting) else { return Ok(Vec::new()) };
        let mut pairs: Vec<(String, String)> = Vec::new();
        for entry in list.split(',') {
            let (key, value) = entry
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .ok_or_else(|| setting.invalid(format!("{entry:?} is not `<name>=<value>`")))?;
            if pairs.iter().any(|(k, _)| k == key) {
                return Err(setting.invalid(format!("`{key}` is given twice")));
            }
            pairs.push((key.to_owned(), value.to_owned()));
        }
        Ok(pairs)
    }

    /// An IAM role ARN.
    pub(crate) fn role_arn(&self, setting: Setting) -> Result<Option<RoleArn>, ConfigError> {
        self.string(setting).map(|v| parse_role_arn(setting, &v)).transpose()
    }

    /// One of `T`'s words ([`parse_choice`]).
    pub(crate) fn choice<T: Choice>(&self, setting: Setting) -> Result<Option<T>, ConfigError> {
        self.string(setting).map(|v| parse_choice(setting, &v)).transpose()
    }
}

/// The one boolean parser: `1`, `true`, `yes`, `on` / `0`, `false`, `no`, `off`, any case.
pub(crate) fn parse_bool(setting: Setting, value: &str) -> Result<bool, ConfigError> {
    const TRUE: [&str; 4] = ["1", "true", "yes", "on"];
    const FALSE: [&str; 4] = ["0", "false", "no", "off"];
    let v = value.trim();
    if TRUE.iter().any(|t| v.eq_ignore_ascii_case(t)) {
        Ok(true)
    } else if FALSE.iter().any(|f| v.eq_ignore_ascii_case(f)) {
        Ok(false)
    } else {
        Err(setting
            .invalid(format!("{v:?} is not a boolean: expected `1`/`0`, `true`/`false`, `yes`/`no` or `on`/`off`")))
    }
}

/// The one whole-number parser: decimal digits only (no sign, no unit), at most `u64::MAX`.
/// `unit` completes "a whole number" in the message (`" of seconds"`).
pub(crate) fn parse_integer(setting: Setting, value: &str, unit: &str) -> Result<u64, ConfigError> {
    let v = value.trim();
    // `u64::from_str` also takes a leading `+`; a setting is digits.
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(setting.invalid(format!("{v:?} is not a whole number{unit}")));
    }
    v.parse().map_err(|_| setting.invalid(format!("{v} is too large")))
}

/// The one role-ARN parser.
pub(crate) fn parse_role_arn(setting: Setting, value: &str) -> Result<RoleArn, ConfigError> {
    RoleArn::parse(value.trim()).map_err(|e| setting.invalid(e.to_string()))
}

/// Every setting the environment gives, by its variable and the builder method that sets it
/// instead (the README's configuration table lists them with their defaults).
pub(crate) mod setting {
    use super::Setting;

    pub(crate) const ROLE_ARN: Setting = Setting::new("TENANT_ROLE_ARN", "IsolationBuilder::role_arn");
    pub(crate) const SESSION_SECONDS: Setting =
        Setting::new("TENANT_SESSION_SECONDS", "IsolationBuilder::session_duration");
    pub(crate) const REFRESH_MARGIN: Setting =
        Setting::new("TENANT_REFRESH_MARGIN_SECONDS", "IsolationBuilder::refresh_margin");
    pub(crate) const REFRESH_FLOOR: Setting =
        Setting::new("TENANT_REFRESH_FLOOR_SECONDS", "IsolationBuilder::refresh_floor");
    pub(crate) const REFRESH_JITTER: Setting =
        Setting::new("TENANT_REFRESH_JITTER_SECONDS", "IsolationBuilder::refresh_jitter");
    pub(crate) const CACHE_CAPACITY: Setting =
        Setting::new("TENANT_CACHE_CAPACITY", "IsolationBuilder::cache_capacity");
    pub(crate) const RECORD_CONCURRENCY: Setting =
        Setting::new("TENANT_RECORD_CONCURRENCY", "IsolationBuilder::record_concurrency");
    pub(crate) const PARTITION_KEY: Setting = Setting::new("TENANT_PARTITION_KEY", "IsolationBuilder::partition_key");
    pub(crate) const TABLE_PARTITION_KEYS: Setting =
        Setting::new("TENANT_TABLE_PARTITION_KEYS", "IsolationBuilder::table_partition_key");
    pub(crate) const SESSION_PREFIX: Setting =
        Setting::new("TENANT_SESSION_PREFIX", "IsolationBuilder::session_name_prefix");
    pub(crate) const TAG_ROLE_ARN: Setting =
        Setting::new("TENANT_TAG_ROLE_ARN", "IsolationBuilder::session_tag_role_arn");
    pub(crate) const TRANSITIVE_TAGS: Setting =
        Setting::new("TENANT_TRANSITIVE_TAGS", "IsolationBuilder::transitive_session_tags");
    pub(crate) const LAMBDA_TENANT_ID: Setting =
        Setting::new("TENANT_LAMBDA_TENANT_ID", "IsolationBuilder::lambda_tenant_mode");
    /// The word of `LAMBDA_TENANT_ID` that requires a Lambda tenant id (deploy templates write it).
    pub(crate) const LAMBDA_TENANT_ID_REQUIRED: &str = "required";
    pub(crate) const METRICS: Setting = Setting::new("TENANT_METRICS", "IsolationBuilder::metrics");
    pub(crate) const METRICS_NAMESPACE: Setting = Setting::new("TENANT_METRICS_NAMESPACE", "IsolationBuilder::metrics");
    pub(crate) const S3_FORCE_PATH_STYLE: Setting =
        Setting::new("TENANT_S3_FORCE_PATH_STYLE", "IsolationBuilder::s3_force_path_style");
    pub(crate) const TIMEOUT_MS: Setting = Setting::new("TENANT_TIMEOUT_MS", "IsolationBuilder::timeouts");
    pub(crate) const S3_TIMEOUT_MS: Setting = Setting::new("TENANT_S3_TIMEOUT_MS", "IsolationBuilder::s3_timeouts");
    /// The region comes from the SDK config (which reads `AWS_REGION` itself).
    pub(crate) const REGION: Setting = Setting::new("AWS_REGION", "IsolationBuilder::sdk_config");

    pub(crate) const JWT_ISSUER: Setting = Setting::new("TENANT_JWT_ISSUER", "VerifierBuilder::issuer");
    pub(crate) const JWT_AUDIENCE: Setting = Setting::new("TENANT_JWT_AUDIENCE", "VerifierBuilder::audience");
    pub(crate) const JWKS_URL: Setting = Setting::new("TENANT_JWKS_URL", "VerifierBuilder::jwks_url");
    pub(crate) const JWT_DISCOVERY: Setting = Setting::new("TENANT_JWT_DISCOVERY", "VerifierBuilder::discovery");
    pub(crate) const JWT_ALLOW_HTTP_LOOPBACK: Setting =
        Setting::new("TENANT_JWT_ALLOW_HTTP_LOOPBACK", "VerifierBuilder::allow_insecure_loopback");
    pub(crate) const JWT_DEVELOPMENT: Setting =
        Setting::new("TENANT_JWT_DEVELOPMENT", "VerifierBuilder::development_hs256");
    pub(crate) const JWT_HS256_SECRET: Setting =
        Setting::new("TENANT_JWT_HS256_SECRET", "VerifierBuilder::development_hs256");
    pub(crate) const CLAIM: Setting = Setting::new("TENANT_CLAIM", "VerifierBuilder::tenant_claim");
    pub(crate) const JWT_TOKEN_USE: Setting = Setting::new("TENANT_JWT_TOKEN_USE", "VerifierBuilder::token_use");
    pub(crate) const JWT_LEEWAY_SECS: Setting = Setting::new("TENANT_JWT_LEEWAY_SECS", "VerifierBuilder::leeway");
    pub(crate) const TRUSTED_CLAIMS: Setting =
        Setting::new("TENANT_TRUSTED_CLAIMS", "VerifierBuilder::trust_authorizer_claims");
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: Setting = Setting::new("X", "Builder::x");

    fn env(vars: &'static [(&'static str, &'static str)]) -> Env {
        Env::from_fn(|k: &str| vars.iter().find(|(name, _)| *name == k).map(|(_, v)| (*v).to_owned()))
    }

    fn reason(e: ConfigError) -> String {
        match e {
            ConfigError::Invalid { var: "X", builder: Some("Builder::x"), reason } => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn booleans_have_one_spelling_table() {
        for t in ["1", "true", "TRUE", "Yes", " on "] {
            assert!(parse_bool(X, t).unwrap(), "{t}");
        }
        for f in ["0", "false", "No", "OFF"] {
            assert!(!parse_bool(X, f).unwrap(), "{f}");
        }
        for bad in ["", "2", "enabled", "tru", "y"] {
            assert!(parse_bool(X, bad).is_err(), "{bad}");
        }
        let env = Env::from_fn(|k: &str| (k == "X").then(|| "maybe".to_owned()));
        assert!(matches!(env.bool(X), Err(ConfigError::Invalid { var: "X", .. })));
        assert_eq!(env.bool(Setting::new("UNSET", "b")).unwrap(), None);
    }

    #[test]
    fn text_is_trimmed_and_empty_is_unset() {
        let e = env(&[("X", "  a b  "), ("E", "   ")]);
        assert_eq!(e.string(X).as_deref(), Some("a b"));
        assert_eq!(e.string(Setting::new("E", "b")), None);
        assert_eq!(e.string(Setting::new("UNSET", "b")), None);
    }

    #[test]
    fn whole_numbers_and_durations_are_digits_only() {
        assert_eq!(env(&[("X", " 42 ")]).integer(X).unwrap(), Some(42));
        assert_eq!(env(&[("X", "0")]).integer(X).unwrap(), Some(0));
        assert_eq!(env(&[]).integer(X).unwrap(), None);
        assert_eq!(env(&[("X", "90")]).seconds(X).unwrap(), Some(Duration::from_secs(90)));
        assert_eq!(env(&[("X", "250")]).millis(X).unwrap(), Some(Duration::from_millis(250)));
        for bad in ["-1", "+5", "1.5", "5s", "soon", "1 000"] {
            let vars: &'static [(&str, &str)] = Box::leak(Box::new([("X", bad)]));
            assert!(reason(env(vars).integer(X).unwrap_err()).contains("is not a whole number"), "{bad}");
            assert!(reason(env(vars).seconds(X).unwrap_err()).contains("whole number of seconds"), "{bad}");
            assert!(reason(env(vars).millis(X).unwrap_err()).contains("whole number of milliseconds"), "{bad}");
        }
        assert!(reason(env(&[("X", "99999999999999999999")]).integer(X).unwrap_err()).contains("too large"));
    }

    #[test]
    fn lists_drop_empty_entries_and_pairs_refuse_them() {
        assert_eq!(env(&[("X", " a, b ,,c, ")]).list(X), ["a", "b", "c"]);
        assert!(env(&[("X", " , ")]).list(X).is_empty());
        assert!(env(&[]).list(X).is_empty());
        assert_eq!(
            env(&[("X", " Customers = tenant_pk ,Audit=org")]).pairs(X).unwrap(),
            [("Customers".to_owned(), "tenant_pk".to_owned()), ("Audit".to_owned(), "org".to_owned())]
        );
        assert!(env(&[]).pairs(X).unwrap().is_empty());
        for (bad, why) in [
            ("Customers", "is not `<name>=<value>`"),
            ("Customers=", "is not `<name>=<value>`"),
            ("=pk", "is not `<name>=<value>`"),
            ("a=1,,b=2", "is not `<name>=<value>`"),
            ("a=1,a=2", "`a` is given twice"),
        ] {
            let vars: &'static [(&str, &str)] = Box::leak(Box::new([("X", bad)]));
            let r = reason(env(vars).pairs(X).unwrap_err());
            assert!(r.contains(why), "{bad}: {r}");
        }
    }

    #[test]
    fn role_arns_and_choices_are_parsed_by_their_one_parser() {
        let arn = env(&[("X", " arn:aws:iam::123456789012:role/TenantData ")]).role_arn(X).unwrap().unwrap();
        assert_eq!(arn.account(), "123456789012");
        assert!(env(&[("X", "TenantData")]).role_arn(X).is_err());

        #[derive(Clone, Copy, Debug, PartialEq)]
        enum Mode {
            A,
            B,
        }
        impl Choice for Mode {
            const CHOICES: &'static [(&'static str, Mode)] = &[("a", Mode::A), ("b", Mode::B)];
        }
        assert_eq!(env(&[("X", " b ")]).choice::<Mode>(X).unwrap(), Some(Mode::B));
        assert_eq!(parse_choice::<Mode>(X, "a").unwrap(), Mode::A);
        assert_eq!(reason(parse_choice::<Mode>(X, "B").unwrap_err()), "\"B\" is not one of: `a`, `b`");
    }

    #[test]
    fn the_builder_wins_and_then_the_variable_is_not_read() {
        let read = || -> Result<Option<u64>, ConfigError> { Err(X.invalid("read")) };
        assert_eq!(given_or(Some(5), read).unwrap(), Some(5));
        assert!(given_or(None, read).is_err());
        assert_eq!(given_or(None, || env(&[("X", "7")]).integer(X)).unwrap(), Some(7));
    }

    #[test]
    fn errors_read_as_sentences_naming_the_variable_and_the_method() {
        assert_eq!(
            Setting::new("TENANT_JWT_ISSUER", "VerifierBuilder::issuer").missing().to_string(),
            "`TENANT_JWT_ISSUER` is not set: set it, or call `VerifierBuilder::issuer`"
        );
        assert_eq!(
            Setting::new("TENANT_CACHE_CAPACITY", "IsolationBuilder::cache_capacity")
                .invalid("0 caches nothing")
                .to_string(),
            "`TENANT_CACHE_CAPACITY` (or `IsolationBuilder::cache_capacity`) is invalid: 0 caches nothing"
        );
        assert_eq!(
            ConfigError::invalid("key_prefix", "two prefixes overlap").to_string(),
            "`key_prefix` is invalid: two prefixes overlap"
        );
        assert_eq!(X.invalid("r").kind(), ErrorKind::Internal);
    }

    #[test]
    fn a_capture_holds_the_environment_and_never_prints_it() {
        let captured = Env::capture();
        let path = std::env::var("PATH").ok().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
        assert_eq!(captured.var("PATH"), path);
        assert_eq!(format!("{captured:?}"), "Env(..)", "values are never printed");
    }
}
