//! Building an [`Isolation`]: the builder, and the settings it resolves once (its own values
//! over the environment's, through the one settings layer, `config.rs`), checked against each
//! other before anything is served.

use crate::client::Clients;
use crate::config::{ConfigError, Env, given_or, parse_role_arn, setting};
use crate::credentials::{Refresh, SESSION_DURATION_RANGE, Vendor, VendorConfig};
use crate::guard::KeySchema;
use crate::http_client::ValidatedOnce;
use crate::identity::{Verifier, VerifierBuilder};
use crate::isolation::{Isolation, LambdaTenantMode};
use crate::metrics::{Metrics, MetricsFormat};
use aws_smithy_runtime_api::client::http::HttpConnectorSettings;
use aws_smithy_types::timeout::TimeoutConfig;
use std::collections::HashMap;
use std::time::Duration;

/// Builds an [`Isolation`]. Every setting not given here is read from the environment, once,
/// by [`build`](IsolationBuilder::build); a value given here wins, and its variable is then not
/// read. A variable that is set but malformed fails `build` with a [`ConfigError`] naming it
/// and the method, never read as the default:
///
/// | setting | environment | default |
/// |---|---|---|
/// | data-access role | `TENANT_ROLE_ARN` | required |
/// | session duration | `TENANT_SESSION_SECONDS` | 3600 (900–3600: role chaining caps at one hour) |
/// | refresh margin: renew in the background from here on | `TENANT_REFRESH_MARGIN_SECONDS` | 300 |
/// | refresh floor: never serve credentials with less left | `TENANT_REFRESH_FLOOR_SECONDS` | 60, or half the margin when that is less |
/// | refresh jitter: renewal points spread over this much before the margin | `TENANT_REFRESH_JITTER_SECONDS` | a fifth of the margin, at most margin − floor |
/// | cache capacity (sessions) | `TENANT_CACHE_CAPACITY` | 10000 |
/// | records of a batch run at once ([`crate::records`]) | `TENANT_RECORD_CONCURRENCY` | 8 |
/// | partition-key attribute | `TENANT_PARTITION_KEY` | `pk` |
/// | partition-key attribute of a table whose own differs | `TENANT_TABLE_PARTITION_KEYS` (`Customers=tenant_pk,…`, physical names) | the one above |
/// | session-name prefix | `TENANT_SESSION_PREFIX` | `tenant` |
/// | session-tag (ABAC) role | `TENANT_TAG_ROLE_ARN` | none: `session_tag` handlers fail with a configuration error |
/// | tenant tag transitive | `TENANT_TRANSITIVE_TAGS` (`1`/`true`) | off |
/// | S3 path-style addressing (feature `s3`; for emulators such as moto) | `TENANT_S3_FORCE_PATH_STYLE` (`1`/`true`) | off: virtual-hosted |
/// | STS/DynamoDB operation timeout | `TENANT_TIMEOUT_MS` | the SDK config's, else 5000 (1 s connect, 2 s per attempt) |
/// | S3 operation timeout (feature `s3`) | `TENANT_S3_TIMEOUT_MS` | none: objects take as long as they take to move; connect timeout as above |
/// | SDK config (region, endpoints, credentials) | the SDK's own: `AWS_REGION`, `AWS_ENDPOINT_URL`, … | — |
/// | metrics: CloudWatch EMF lines per invocation ([`Metrics`]) | `TENANT_METRICS` (`emf` or `off`), `TENANT_METRICS_NAMESPACE` | off; namespace `TenantIsolation` |
/// | verifier | see [`Verifier::from_env`] | required when any is set; with none of its variables set and none given, a binary of record handlers only runs, and a token handler answers 500 naming `TENANT_JWT_ISSUER` |
#[derive(Default)]
pub struct IsolationBuilder {
    sdk: Option<aws_config::SdkConfig>,
    role_arn: Option<String>,
    verifier: Option<Verifier>,
    duration: Option<Duration>,
    margin: Option<Duration>,
    floor: Option<Duration>,
    jitter: Option<Duration>,
    capacity: Option<u64>,
    record_concurrency: Option<u64>,
    partition_key: Option<String>,
    table_partition_keys: HashMap<String, String>,
    index_partition_keys: HashMap<String, String>,
    session_prefix: Option<String>,
    timeouts: Option<TimeoutConfig>,
    tag_role_arn: Option<String>,
    transitive_tags: Option<bool>,
    lambda_tenant: Option<LambdaTenantMode>,
    metrics: Option<Metrics>,
    s3_path_style: Option<bool>,
    s3_timeouts: Option<TimeoutConfig>,
}

impl IsolationBuilder {
    /// The default partition-key attribute.
    pub const DEFAULT_PARTITION_KEY: &'static str = "pk";
    /// Default bounds on STS and DynamoDB calls: 1 s to connect, 2 s per attempt, 5 s per
    /// operation (retries included).
    pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
    /// The `DurationSeconds` STS accepts here: 900–3600 s (role chaining caps sessions at one hour).
    pub const SESSION_DURATION_RANGE: std::ops::RangeInclusive<Duration> = crate::credentials::SESSION_DURATION_RANGE;
    /// The SDK configuration for STS and DynamoDB (default: `aws_config::load_defaults`).
    pub fn sdk_config(mut self, sdk: aws_config::SdkConfig) -> Self {
        self.sdk = Some(sdk);
        self
    }
    /// The data-access role to assume per tenant.
    pub fn role_arn(mut self, arn: impl Into<String>) -> Self {
        self.role_arn = Some(arn.into());
        self
    }
    /// The token verifier.
    pub fn verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = Some(verifier);
        self
    }
    /// `DurationSeconds` of each STS session (900–3600 s).
    pub fn session_duration(mut self, d: Duration) -> Self {
        self.duration = Some(d);
        self
    }
    /// Renew credentials this long before they expire (default 300 s). A request that finds
    /// its tenant's credentials inside the margin is served with them at once, while one
    /// background renewal fetches their successor.
    pub fn refresh_margin(mut self, d: Duration) -> Self {
        self.margin = Some(d);
        self
    }
    /// Never serve credentials with this little left (default 60 s, or half the margin when
    /// that is less; must be shorter than the margin): a request that finds its tenant's
    /// credentials past the floor waits for new ones, and gets a 503 when STS is down. Keep it
    /// above the longest time a handler uses its credentials.
    pub fn refresh_floor(mut self, d: Duration) -> Self {
        self.floor = Some(d);
        self
    }
    /// Spread renewals: each session's renewal starts at a point drawn uniformly between
    /// `margin − jitter` and `margin` before expiry, so that tenants vended together are not
    /// renewed together. At most `margin − floor`; default a fifth of the margin, capped so.
    pub fn refresh_jitter(mut self, d: Duration) -> Self {
        self.jitter = Some(d);
        self
    }
    /// The most (tenant, policy) sessions kept.
    pub fn cache_capacity(mut self, n: u64) -> Self {
        self.capacity = Some(n);
        self
    }
    /// How many records of one batch run at once (default 8): records of different order keys
    /// (SQS FIFO message groups; every standard-queue message) run side by side up to this.
    /// Each running record holds its tenant's session, so this bounds the STS calls a cold
    /// batch makes at once too.
    pub fn record_concurrency(mut self, n: u64) -> Self {
        self.record_concurrency = Some(n);
        self
    }
    /// The partition-key attribute of the table (default `pk`).
    pub fn partition_key(mut self, attribute: impl Into<String>) -> Self {
        self.partition_key = Some(attribute.into());
        self
    }
    /// The partition-key attribute of one physical table, when it differs from
    /// [`partition_key`](Self::partition_key): a handler's tables are each checked on their
    /// own attribute.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), tenant_isolation::ConfigError> {
    /// let iso = tenant_isolation::Isolation::builder()
    ///     .partition_key("pk")                                // Orders, and every other table
    ///     .table_partition_key("Customers", "tenant_pk")      // Customers (its physical name)
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn table_partition_key(mut self, table: impl Into<String>, attribute: impl Into<String>) -> Self {
        self.table_partition_keys.insert(table.into(), attribute.into());
        self
    }
    /// The partition-key attribute of one index, when it differs from its table's. Keyed by
    /// index name: two tables with an index of the same name share the setting.
    pub fn index_partition_key(mut self, index: impl Into<String>, attribute: impl Into<String>) -> Self {
        self.index_partition_keys.insert(index.into(), attribute.into());
        self
    }
    /// The `RoleSessionName` prefix (default `tenant`: sessions are `tenant-<id>`).
    pub fn session_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.session_prefix = Some(prefix.into());
        self
    }

    /// Timeouts for STS and the tenants' DynamoDB clients.
    pub fn timeouts(mut self, timeouts: TimeoutConfig) -> Self {
        self.timeouts = Some(timeouts);
        self
    }

    /// The role that `session_tag` (ABAC) handlers assume, with the tenant as a session tag.
    /// It must be a different role from [`role_arn`](Self::role_arn): its policy (from
    /// `policies role`) confines keys with `${aws:PrincipalTag/<tag>}`, and its trust
    /// policy allows `sts:TagSession`.
    pub fn session_tag_role_arn(mut self, arn: impl Into<String>) -> Self {
        self.tag_role_arn = Some(arn.into());
        self
    }

    /// Mark the tenant tag transitive, so that it survives further role chaining.
    pub fn transitive_session_tags(mut self, transitive: bool) -> Self {
        self.transitive_tags = Some(transitive);
        self
    }

    /// What Lambda's tenant isolation mode must have given each invocation
    /// (`TENANT_LAMBDA_TENANT_ID`: `checked`, the default, or `required`).
    pub fn lambda_tenant_mode(mut self, mode: LambdaTenantMode) -> Self {
        self.lambda_tenant = Some(mode);
        self
    }

    /// Where each invocation's metrics go: [`Metrics::emf`] for CloudWatch Embedded Metric
    /// Format lines on standard output (`TENANT_METRICS=emf`, namespace
    /// `TENANT_METRICS_NAMESPACE`, default `TenantIsolation`); off by default.
    pub fn metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Address S3 path-style (`<endpoint>/<bucket>/<key>`) instead of virtual-hosted
    /// (`<bucket>.<endpoint>/<key>`): for local emulators such as moto on a loopback endpoint
    /// (`TENANT_S3_FORCE_PATH_STYLE`, default off). Feature `s3`; without it, unused.
    pub fn s3_force_path_style(mut self, path_style: bool) -> Self {
        self.s3_path_style = Some(path_style);
        self
    }

    /// The timeouts of S3 operations (feature `s3`). An object's transfer is part of its
    /// operation, so the bounds made for STS and DynamoDB calls ([`timeouts`](Self::timeouts))
    /// would fail large uploads and downloads: by default S3 operations keep their connect
    /// timeout and have no other bound; `TENANT_S3_TIMEOUT_MS` bounds each operation.
    pub fn s3_timeouts(mut self, timeouts: TimeoutConfig) -> Self {
        self.s3_timeouts = Some(timeouts);
        self
    }

    /// Validates the settings and builds the runtime. The environment is read here, once (and
    /// the verifier's variables with it, when no verifier was given); nothing reads it again
    /// while requests are served, the physical names that `table_env`/`bucket_env` bind
    /// included.
    pub async fn build(self) -> Result<Isolation, ConfigError> {
        self.build_in(&Env::capture()).await
    }

    /// [`build`](Self::build) with the settings of `env`.
    async fn build_in(self, env: &Env) -> Result<Isolation, ConfigError> {
        let role = match self.role_arn {
            Some(arn) => parse_role_arn(setting::ROLE_ARN, &arn)?,
            None => env.role_arn(setting::ROLE_ARN)?.ok_or(setting::ROLE_ARN.missing())?,
        };
        let duration =
            given_or(self.duration, || env.seconds(setting::SESSION_SECONDS))?.unwrap_or(DEFAULT_SESSION_DURATION);
        if !SESSION_DURATION_RANGE.contains(&duration) {
            return Err(setting::SESSION_SECONDS.invalid(format!(
                "{} s is outside 900-3600 s (STS minimum; role chaining caps sessions at one hour)",
                duration.as_secs()
            )));
        }
        let refresh = refresh(env, duration, self.margin, self.floor, self.jitter)?;
        let capacity = capacity(env, self.capacity)?;
        let record_concurrency = record_concurrency(env, self.record_concurrency)?;
        // The verifier's variables come from the same capture as every other setting. With none
        // of them set, a function of record handlers only (which verify no token) needs none:
        // the verifier's own error is kept for a token handler to answer with (issue 23).
        let verifier = match self.verifier {
            Some(v) => Ok(v),
            None if VerifierBuilder::unconfigured(env) => Err(VerifierBuilder::from_settings(env)
                .and_then(VerifierBuilder::build)
                .err()
                .unwrap_or_else(|| setting::JWT_ISSUER.missing())),
            None => Ok(VerifierBuilder::from_settings(env)?.build()?),
        };
        let sdk = match self.sdk {
            Some(sdk) => sdk,
            None => aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await,
        };
        // One HTTP client (connection pool, TLS roots) for STS and every policy's DynamoDB
        // client; without it each SDK client builds its own on first use (~100 KB and a pool
        // each, docs/BENCHMARKS.md). Sharing is safe: every request is still signed with its
        // own tenant's credentials. A client already in the `SdkConfig` is kept.
        let sdk = match sdk.http_client() {
            Some(_) => sdk,
            None => {
                use aws_smithy_http_client::tls;
                let http = aws_smithy_http_client::Builder::new()
                    .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
                    .build_https();
                sdk.into_builder().http_client(ValidatedOnce::new(http)).build()
            }
        };
        let region = sdk.region().map(|r| r.to_string()).ok_or(setting::REGION.missing())?;
        let keys = key_schema(env, self.partition_key, self.table_partition_keys, self.index_partition_keys)?;
        let session_prefix = self
            .session_prefix
            .or_else(|| env.string(setting::SESSION_PREFIX))
            .unwrap_or_else(|| DEFAULT_SESSION_PREFIX.into());
        let timeouts = match given_or(self.timeouts, || Ok(env.millis(setting::TIMEOUT_MS)?.map(bounded)))? {
            Some(t) => t,
            None => match sdk.timeout_config() {
                Some(t) if t.operation_timeout().is_some() => t.clone(),
                _ => bounded(IsolationBuilder::DEFAULT_OPERATION_TIMEOUT),
            },
        };
        // The connector settings the SDK's orchestrator derives from `timeouts` for every STS
        // and DynamoDB request (the client keeps one connector per distinct settings).
        let connector_settings = {
            let mut settings = HttpConnectorSettings::builder();
            settings.set_connect_timeout(timeouts.connect_timeout()).set_read_timeout(timeouts.read_timeout());
            settings.build()
        };
        let tag_role = match self.tag_role_arn {
            Some(arn) => Some(parse_role_arn(setting::TAG_ROLE_ARN, &arn)?),
            None => env.role_arn(setting::TAG_ROLE_ARN)?,
        };
        // Compared as IAM compares roles: one account, one name whatever its case and path.
        if tag_role.as_ref().is_some_and(|t| t.same_role(&role)) {
            return Err(setting::TAG_ROLE_ARN.invalid(
                "must differ from `TENANT_ROLE_ARN`: session-tag sessions carry no session policy, and the \
                 session-policy role allows every tenant's keys",
            ));
        }
        let transitive_tags = given_or(self.transitive_tags, || env.bool(setting::TRANSITIVE_TAGS))?.unwrap_or(false);
        let lambda_tenant = given_or(self.lambda_tenant, || env.choice(setting::LAMBDA_TENANT_ID))?.unwrap_or_default();
        let metrics = match self.metrics {
            Some(metrics) => metrics,
            None => match env.choice(setting::METRICS)?.unwrap_or(MetricsFormat::Off) {
                MetricsFormat::Off => Metrics::off(),
                MetricsFormat::Emf => {
                    Metrics::emf(env.string(setting::METRICS_NAMESPACE).unwrap_or_else(|| "TenantIsolation".into()))
                }
            },
        };
        let objects = crate::session::ObjectSettings {
            path_style: given_or(self.s3_path_style, || env.bool(setting::S3_FORCE_PATH_STYLE))?.unwrap_or(false),
            timeouts: object_timeouts(env, self.s3_timeouts, &timeouts)?,
        };
        // Once nothing can fail: the verifier fetches key sets with the same client and
        // connector settings as STS and DynamoDB, so that it gets their connector (pool, root
        // store) instead of reading the platform's root certificates again (issue 18). A
        // verifier given its own client keeps it; its transport rule checks every URL either way.
        if let Ok(verifier) = &verifier {
            verifier.share_http_client(&sdk, connector_settings);
        }
        // The capture goes with the clients: the physical names bound by `table_env` and
        // `bucket_env` are read from it when a handler's client is built.
        let clients =
            Clients::new(sdk.clone(), role.clone(), region.clone(), keys, timeouts.clone(), objects, env.clone());
        let vendor = Vendor::new(
            VendorConfig {
                sdk,
                role,
                region,
                duration,
                refresh,
                capacity,
                session_prefix,
                timeouts,
                tag_role,
                transitive_tags,
            },
            clients,
        );
        Ok(Isolation::new(verifier, vendor, lambda_tenant, metrics, record_concurrency))
    }
}

/// The default STS session length: an hour, the most role chaining allows.
const DEFAULT_SESSION_DURATION: Duration = Duration::from_secs(3600);

/// The default `RoleSessionName` prefix.
const DEFAULT_SESSION_PREFIX: &str = "tenant";

/// The default credential-cache capacity, in sessions.
const DEFAULT_CACHE_CAPACITY: u64 = 10_000;

/// When cached credentials are renewed: the margin, floor and jitter given to the builder or
/// read from `env`, checked against each other and the session duration.
fn refresh(
    env: &Env,
    duration: Duration,
    margin: Option<Duration>,
    floor: Option<Duration>,
    jitter: Option<Duration>,
) -> Result<Refresh, ConfigError> {
    let margin = given_or(margin, || env.seconds(setting::REFRESH_MARGIN))?.unwrap_or(Duration::from_secs(300));
    if margin >= duration {
        return Err(setting::REFRESH_MARGIN.invalid("the refresh margin must be shorter than the session duration"));
    }
    let floor = match given_or(floor, || env.seconds(setting::REFRESH_FLOOR))? {
        Some(floor) if floor >= margin => {
            return Err(setting::REFRESH_FLOOR.invalid(format!(
                "the refresh floor ({floor:?}) must be shorter than the refresh margin ({margin:?}): between the \
                 two, cached credentials are served while they are renewed"
            )));
        }
        Some(floor) => floor,
        None => Duration::from_secs(60).min(margin / 2),
    };
    let window = margin - floor;
    let jitter = match given_or(jitter, || env.seconds(setting::REFRESH_JITTER))? {
        Some(jitter) if jitter > window => {
            return Err(setting::REFRESH_JITTER.invalid(format!(
                "the refresh jitter ({jitter:?}) must not exceed the refresh margin minus the floor ({window:?}): a \
                 renewal could otherwise be due only past the floor"
            )));
        }
        Some(jitter) => jitter,
        None => (margin / 5).min(window),
    };
    Ok(Refresh { margin, floor, jitter })
}

/// The credential cache's capacity: the builder's, else `TENANT_CACHE_CAPACITY`, else 10,000.
/// Zero is refused: a cache that holds nothing makes every request an `AssumeRole`.
fn capacity(env: &Env, given: Option<u64>) -> Result<u64, ConfigError> {
    match given_or(given, || env.integer(setting::CACHE_CAPACITY))? {
        Some(0) => Err(setting::CACHE_CAPACITY
            .invalid("0 caches no session: every request would call STS (at least 1; 10000 by default)")),
        Some(c) => Ok(c),
        None => Ok(DEFAULT_CACHE_CAPACITY),
    }
}

/// Records run at once: the builder's, else `TENANT_RECORD_CONCURRENCY`, else 8. Zero would run
/// none.
fn record_concurrency(env: &Env, given: Option<u64>) -> Result<usize, ConfigError> {
    match given_or(given, || env.integer(setting::RECORD_CONCURRENCY))? {
        Some(0) => Err(setting::RECORD_CONCURRENCY.invalid("0 would run no record (at least 1; 8 by default)")),
        Some(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        None => Ok(DEFAULT_RECORD_CONCURRENCY),
    }
}

/// The default number of a batch's records run at once.
const DEFAULT_RECORD_CONCURRENCY: usize = 8;

/// The S3 clients' timeouts: the builder's, else `TENANT_S3_TIMEOUT_MS` per operation, else
/// none but the connect timeout of the other clients (`timeouts`). Every field is set or
/// disabled: the S3 config builder fills a field left unset from the `SdkConfig`'s timeouts,
/// which may be the STS/DynamoDB bounds (`set_timeout_config` → `take_defaults_from`).
fn object_timeouts(
    env: &Env,
    given: Option<TimeoutConfig>,
    timeouts: &TimeoutConfig,
) -> Result<TimeoutConfig, ConfigError> {
    let mut builder =
        TimeoutConfig::builder().disable_read_timeout().disable_operation_attempt_timeout().disable_operation_timeout();
    if let Some(connect) = timeouts.connect_timeout() {
        builder = builder.connect_timeout(connect);
    }
    if let Some(mut given) = given {
        // A field the caller left unset is this default (disabled), not the SDK config's.
        given.take_defaults_from(&builder.build());
        return Ok(given);
    }
    match env.millis(setting::S3_TIMEOUT_MS)? {
        Some(Duration::ZERO) => Err(setting::S3_TIMEOUT_MS.invalid("0 would time out every S3 operation at once")),
        Some(operation) => Ok(builder.operation_timeout(operation).build()),
        None => Ok(builder.build()),
    }
}

/// `operation` in all, at most 2 s per attempt and 1 s to connect (each capped by `operation`).
fn bounded(operation: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(operation.min(Duration::from_secs(1)))
        .operation_attempt_timeout(operation.min(Duration::from_secs(2)))
        .operation_timeout(operation)
        .build()
}

/// The partition-key attributes: the builder's settings over the environment's, per table.
fn key_schema(
    env: &Env,
    partition_key: Option<String>,
    table_partition_keys: HashMap<String, String>,
    index_partition_keys: HashMap<String, String>,
) -> Result<KeySchema, ConfigError> {
    let mut tables: HashMap<String, String> = env.pairs(setting::TABLE_PARTITION_KEYS)?.into_iter().collect();
    for (table, attribute) in table_partition_keys {
        let (table, attribute) = (table.trim(), attribute.trim());
        if table.is_empty() || attribute.is_empty() {
            return Err(setting::TABLE_PARTITION_KEYS
                .invalid(format!("`table_partition_key({table:?}, {attribute:?})` needs a table and an attribute")));
        }
        tables.insert(table.to_owned(), attribute.to_owned());
    }
    Ok(KeySchema {
        table: partition_key
            .or_else(|| env.string(setting::PARTITION_KEY))
            .unwrap_or_else(|| IsolationBuilder::DEFAULT_PARTITION_KEY.into()),
        tables,
        indexes: index_partition_keys,
    })
}

static GLOBAL: tokio::sync::OnceCell<Isolation> = tokio::sync::OnceCell::const_new();

impl Isolation {
    /// A builder; unset settings come from the environment.
    pub fn builder() -> IsolationBuilder {
        IsolationBuilder::default()
    }

    /// Everything from the environment.
    pub async fn from_env() -> Result<Isolation, ConfigError> {
        Isolation::builder().build().await
    }

    /// The process-wide instance used by generated handlers: the installed one, or one
    /// built from the environment on first use.
    ///
    /// Build it at Lambda init and print a failure with `{}`, a sentence that names the
    /// variable and the builder method (`?` out of `main` would print its `Debug` form):
    ///
    /// ```no_run
    /// # async fn init(get_order: &'static tenant_isolation::HandlerSpec) {
    /// let init = async { tenant_isolation::Isolation::global().await?.prepare(get_order) };
    /// if let Err(e) = init.await {
    ///     // error: `TENANT_ROLE_ARN` is not set: set it, or call `IsolationBuilder::role_arn`
    ///     eprintln!("error: {e}");
    ///     std::process::exit(1);
    /// }
    /// # }
    /// ```
    pub async fn global() -> Result<&'static Isolation, ConfigError> {
        GLOBAL.get_or_try_init(Isolation::from_env).await
    }

    /// Sets the process-wide instance. Fails (returning it) if one is already set.
    pub fn install(self) -> Result<(), Isolation> {
        GLOBAL.set(self).map_err(|e| match e {
            tokio::sync::SetError::AlreadyInitializedError(i) | tokio::sync::SetError::InitializingError(i) => i,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn env(vars: &'static [(&'static str, &'static str)]) -> Env {
        Env::from_fn(|k: &str| vars.iter().find(|(name, _)| *name == k).map(|(_, v)| (*v).to_owned()))
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn table_partition_keys_come_from_the_environment_and_the_builder_wins() {
        let vars = env(&[
            ("TENANT_PARTITION_KEY", "id"),
            ("TENANT_TABLE_PARTITION_KEYS", " Customers = tenant_pk ,Audit=org"),
        ]);
        let builder = HashMap::from([(" Audit".to_owned(), "tenant ".to_owned())]);
        let keys = key_schema(&vars, None, builder, HashMap::new()).unwrap();
        assert_eq!(keys.partition_key("Orders"), "id");
        assert_eq!(keys.partition_key("Customers"), "tenant_pk");
        assert_eq!(keys.partition_key("Audit"), "tenant");
        assert_eq!(key_schema(&env(&[]), None, HashMap::new(), HashMap::new()).unwrap().partition_key("Orders"), "pk");
        assert_eq!(keys.unknown_tables(&["Orders".to_owned(), "Customers".to_owned()]), ["Audit"]);
        let empty = HashMap::from([("Audit".to_owned(), " ".to_owned())]);
        assert!(key_schema(&env(&[]), None, empty, HashMap::new()).is_err(), "an empty attribute from the builder");
        // Malformed lists are configuration errors naming the variable, never half read.
        for bad in ["Customers", "Customers=", "=pk", "Customers=a,,Orders=b", "Customers=a,Customers=b"] {
            let vars = Env::from_fn(move |k: &str| (k == "TENANT_TABLE_PARTITION_KEYS").then(|| bad.to_owned()));
            let err = key_schema(&vars, None, HashMap::new(), HashMap::new()).err();
            assert!(
                matches!(&err, Some(ConfigError::Invalid { var: "TENANT_TABLE_PARTITION_KEYS", .. })),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn a_cache_that_holds_nothing_is_refused() {
        assert_eq!(capacity(&env(&[]), None).unwrap(), 10_000);
        assert_eq!(capacity(&env(&[("TENANT_CACHE_CAPACITY", "64")]), None).unwrap(), 64);
        assert_eq!(capacity(&env(&[("TENANT_CACHE_CAPACITY", "0")]), Some(5)).unwrap(), 5, "the builder wins");
        for (vars, given) in [(env(&[("TENANT_CACHE_CAPACITY", "0")]), None), (env(&[]), Some(0))] {
            let err = capacity(&vars, given).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { var: "TENANT_CACHE_CAPACITY", .. }), "{err:?}");
        }
    }

    #[test]
    fn s3_operations_are_bounded_only_when_asked() {
        let others = bounded(Duration::from_millis(5000));
        let t = object_timeouts(&env(&[]), None, &others).unwrap();
        assert_eq!(
            (t.connect_timeout(), t.operation_timeout(), t.operation_attempt_timeout()),
            (Some(secs(1)), None, None)
        );
        assert_eq!(t.read_timeout(), None);
        let t = object_timeouts(&env(&[("TENANT_S3_TIMEOUT_MS", "250")]), None, &others).unwrap();
        assert_eq!(t.operation_timeout(), Some(Duration::from_millis(250)));
        let given = TimeoutConfig::builder().operation_timeout(secs(9)).build();
        let t = object_timeouts(&env(&[("TENANT_S3_TIMEOUT_MS", "250")]), Some(given), &others).unwrap();
        assert_eq!(t.operation_timeout(), Some(secs(9)), "the builder wins");
        assert!(object_timeouts(&env(&[("TENANT_S3_TIMEOUT_MS", "soon")]), None, &others).is_err());
        assert!(object_timeouts(&env(&[("TENANT_S3_TIMEOUT_MS", "0")]), None, &others).is_err());
        // A partial configuration keeps the S3 defaults in the fields it leaves unset.
        let partial = TimeoutConfig::builder().operation_timeout(secs(9)).build();
        let mut t = object_timeouts(&env(&[]), Some(partial), &others).unwrap();
        // As the S3 config builder merges it with an SDK config that carries the other bounds.
        t.take_defaults_from(&others);
        assert_eq!(
            (t.operation_timeout(), t.operation_attempt_timeout(), t.read_timeout()),
            (Some(secs(9)), None, None)
        );
        assert_eq!(t.connect_timeout(), Some(secs(1)));
    }

    #[test]
    fn refresh_defaults_leave_a_window_between_floor_and_margin() {
        let r = refresh(&env(&[]), HOUR, None, None, None).unwrap();
        assert_eq!(r, Refresh { margin: secs(300), floor: secs(60), jitter: secs(60) });
        // A short margin gets a floor and a jitter that fit inside it.
        let r = refresh(&env(&[]), HOUR, Some(secs(40)), None, None).unwrap();
        assert_eq!(r, Refresh { margin: secs(40), floor: secs(20), jitter: secs(8) });
        let r = refresh(&env(&[]), HOUR, Some(secs(100)), Some(secs(90)), None).unwrap();
        assert_eq!(r, Refresh { margin: secs(100), floor: secs(90), jitter: secs(10) });
    }

    #[test]
    fn refresh_settings_come_from_the_environment_and_the_builder_wins() {
        let vars = env(&[
            ("TENANT_REFRESH_MARGIN_SECONDS", "600"),
            ("TENANT_REFRESH_FLOOR_SECONDS", "120"),
            ("TENANT_REFRESH_JITTER_SECONDS", "30"),
        ]);
        let r = refresh(&vars, HOUR, None, None, None).unwrap();
        assert_eq!(r, Refresh { margin: secs(600), floor: secs(120), jitter: secs(30) });
        let r = refresh(&vars, HOUR, None, Some(secs(300)), Some(secs(0))).unwrap();
        assert_eq!(r, Refresh { margin: secs(600), floor: secs(300), jitter: secs(0) });
    }

    #[test]
    fn a_floor_not_below_the_margin_or_a_jitter_past_the_floor_is_refused() {
        let var = |r: Result<Refresh, ConfigError>| match r {
            Err(ConfigError::Invalid { var, .. }) => var,
            other => panic!("{other:?}"),
        };
        assert_eq!(var(refresh(&env(&[]), HOUR, None, Some(secs(300)), None)), "TENANT_REFRESH_FLOOR_SECONDS");
        assert_eq!(
            var(refresh(&env(&[("TENANT_REFRESH_FLOOR_SECONDS", "301")]), HOUR, None, None, None)),
            "TENANT_REFRESH_FLOOR_SECONDS"
        );
        assert_eq!(var(refresh(&env(&[]), HOUR, None, None, Some(secs(241)))), "TENANT_REFRESH_JITTER_SECONDS");
        assert!(refresh(&env(&[]), HOUR, None, None, Some(secs(240))).is_ok(), "margin − floor is allowed");
        assert_eq!(var(refresh(&env(&[]), HOUR, Some(HOUR), None, None)), "TENANT_REFRESH_MARGIN_SECONDS");
        assert_eq!(
            var(refresh(&env(&[("TENANT_REFRESH_FLOOR_SECONDS", "soon")]), HOUR, None, None, None)),
            "TENANT_REFRESH_FLOOR_SECONDS"
        );
        let message = refresh(&env(&[]), HOUR, None, Some(secs(300)), None).unwrap_err().to_string();
        assert!(message.contains("must be shorter than the refresh margin"), "{message}");
    }

    /// An SDK config that needs no network to build clients on.
    fn sdk() -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .build()
    }

    fn dev_verifier() -> Verifier {
        Verifier::builder()
            .issuer("https://auth.example.invalid")
            .audience(["a"])
            .development_hs256(b"a development secret of 32 bytes")
            .build()
            .unwrap()
    }

    const ROLE: (&str, &str) = ("TENANT_ROLE_ARN", "arn:aws:iam::123456789012:role/TenantData");

    async fn build(
        vars: &'static [(&'static str, &'static str)],
        builder: IsolationBuilder,
    ) -> Result<Isolation, ConfigError> {
        builder.sdk_config(sdk()).build_in(&env(vars)).await
    }

    /// Each setting of `build` is read from the environment when the builder leaves it, and
    /// not read at all when the builder gives it: a malformed variable then fails nothing.
    #[tokio::test]
    async fn the_builder_wins_over_every_variable() {
        let given = || {
            Isolation::builder()
                .verifier(dev_verifier())
                .role_arn("arn:aws:iam::123456789012:role/Given")
                .session_duration(secs(900))
                .refresh_margin(secs(100))
                .cache_capacity(5)
                .timeouts(bounded(secs(3)))
                .session_tag_role_arn("arn:aws:iam::123456789012:role/Tags")
                .transitive_session_tags(true)
                .lambda_tenant_mode(LambdaTenantMode::Required)
                .s3_force_path_style(true)
                .s3_timeouts(TimeoutConfig::builder().operation_timeout(secs(9)).build())
        };
        // Every variable malformed: none of them is read.
        let malformed: &'static [(&str, &str)] = &[
            ("TENANT_ROLE_ARN", "not an arn"),
            ("TENANT_SESSION_SECONDS", "an hour"),
            ("TENANT_REFRESH_MARGIN_SECONDS", "soon"),
            ("TENANT_CACHE_CAPACITY", "many"),
            ("TENANT_TIMEOUT_MS", "fast"),
            ("TENANT_TAG_ROLE_ARN", "not an arn"),
            ("TENANT_TRANSITIVE_TAGS", "maybe"),
            ("TENANT_LAMBDA_TENANT_ID", "sometimes"),
            ("TENANT_S3_FORCE_PATH_STYLE", "maybe"),
            ("TENANT_S3_TIMEOUT_MS", "slow"),
            ("TENANT_JWT_ISSUER", " "),
        ];
        let iso = build(malformed, given()).await.unwrap();
        assert!(format!("{iso:?}").contains("role/Given"), "{iso:?}");
        // Each malformed variable alone, without the builder's value, fails naming itself.
        for (var, value) in &malformed[..malformed.len() - 1] {
            // The malformed value first: `env` answers with the first match.
            let vars: &'static [(&str, &str)] = Box::leak(Box::new([(*var, *value), ROLE]));
            let err = build(vars, Isolation::builder().verifier(dev_verifier())).await.unwrap_err();
            assert!(matches!(&err, ConfigError::Invalid { var: v, .. } if v == var), "{var}: {err:?}");
            assert!(err.to_string().starts_with(&format!("`{var}` (or `IsolationBuilder::")), "{err}");
        }
    }

    #[tokio::test]
    async fn settings_come_from_the_environment_and_the_verifier_too() {
        let vars: &'static [(&str, &str)] = &[
            ROLE,
            ("TENANT_LAMBDA_TENANT_ID", "required"),
            ("TENANT_JWT_ISSUER", "https://auth.example.invalid"),
            ("TENANT_JWT_AUDIENCE", "a"),
        ];
        let iso = build(vars, Isolation::builder()).await.unwrap();
        assert!(format!("{iso:?}").contains("role/TenantData"), "{iso:?}");
        assert!(format!("{:?}", iso.verifier().unwrap()).contains("auth.example.invalid"));
        // Nothing set: the first required setting, as a sentence.
        let err = build(&[], Isolation::builder()).await.unwrap_err();
        assert_eq!(err, ConfigError::Missing { var: "TENANT_ROLE_ARN", builder: "IsolationBuilder::role_arn" });
        assert_eq!(err.to_string(), "`TENANT_ROLE_ARN` is not set: set it, or call `IsolationBuilder::role_arn`");
        // A verifier setting without the issuer: the issuer, at build.
        let err = build(&[ROLE, ("TENANT_JWT_AUDIENCE", "a")], Isolation::builder()).await.unwrap_err();
        assert_eq!(err.to_string(), "`TENANT_JWT_ISSUER` is not set: set it, or call `VerifierBuilder::issuer`");
        // None of them (a function of record handlers only): it builds, and the missing issuer
        // is what a token handler would answer with.
        let records_only = build(&[ROLE], Isolation::builder()).await.unwrap();
        assert_eq!(
            records_only.verifier().unwrap_err().to_string(),
            "`TENANT_JWT_ISSUER` is not set: set it, or call `VerifierBuilder::issuer`"
        );
        let no_region = Isolation::builder().verifier(dev_verifier()).sdk_config(
            aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build(),
        );
        let err = no_region.build_in(&env(&[ROLE])).await.unwrap_err();
        assert_eq!(err, ConfigError::Missing { var: "AWS_REGION", builder: "IsolationBuilder::sdk_config" });
    }

    #[test]
    fn record_concurrency_is_at_least_one() {
        assert_eq!(record_concurrency(&env(&[]), None).unwrap(), DEFAULT_RECORD_CONCURRENCY);
        assert_eq!(record_concurrency(&env(&[("TENANT_RECORD_CONCURRENCY", "3")]), None).unwrap(), 3);
        assert_eq!(record_concurrency(&env(&[("TENANT_RECORD_CONCURRENCY", "3")]), Some(2)).unwrap(), 2);
        for (vars, given) in [(env(&[("TENANT_RECORD_CONCURRENCY", "0")]), None), (env(&[]), Some(0))] {
            let err = record_concurrency(&vars, given).unwrap_err();
            assert!(err.to_string().contains("`TENANT_RECORD_CONCURRENCY`"), "{err}");
        }
    }

    #[test]
    fn the_lambda_tenant_mode_is_one_of_two_words() {
        assert_eq!("required".parse::<LambdaTenantMode>().unwrap(), LambdaTenantMode::Required);
        assert_eq!(" checked ".parse::<LambdaTenantMode>().unwrap(), LambdaTenantMode::Checked);
        let err = "Required".parse::<LambdaTenantMode>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`TENANT_LAMBDA_TENANT_ID` (or `IsolationBuilder::lambda_tenant_mode`) is invalid: \"Required\" is not one \
             of: `checked`, `required`"
        );
    }

    /// A handler's `table_env` name is bound from the environment the `Isolation` captured,
    /// never from the process environment at request time (here the process has no
    /// `TI_SETTINGS_TEST_TABLE` at all).
    #[tokio::test]
    async fn physical_names_come_from_the_captured_environment() {
        use std::borrow::Cow;
        use tenant_isolation_core::{Action, Confinement, HandlerModel, KeyRule, PhysicalName, TableModel, TenantId};
        const VAR: &str = "TI_SETTINGS_TEST_TABLE";
        assert!(std::env::var_os(VAR).is_none());
        let orders = TableModel {
            table: PhysicalName::FromEnv { var: VAR.into(), default: "Orders".into() },
            indexes: Cow::Borrowed(&[]),
            actions: Cow::Borrowed(&[Action::GetItem]),
            keys: KeyRule::new("TENANT#"),
        };
        let spec =
            crate::HandlerSpec::new("get", HandlerModel::one_table(orders, Confinement::SessionPolicy)).unwrap().leak();
        let acme = TenantId::parse("acme").unwrap();
        let bound =
            build(&[ROLE, (VAR, " Orders-prod ")], Isolation::builder().verifier(dev_verifier())).await.unwrap();
        bound.prepare(spec).unwrap();
        let policy = bound.render_policy(spec, &acme).unwrap();
        assert!(policy.contains(":table/Orders-prod"), "{policy}");
        let unbound = build(&[ROLE], Isolation::builder().verifier(dev_verifier())).await.unwrap();
        let policy = unbound.render_policy(spec, &acme).unwrap();
        assert!(policy.contains(":table/Orders\""), "{policy}");
        // A bad name from the capture is refused naming its variable.
        let bad =
            build(&[ROLE, (VAR, "no spaces allowed")], Isolation::builder().verifier(dev_verifier())).await.unwrap();
        let err = bad.prepare(spec).unwrap_err().to_string();
        assert!(err.contains(VAR), "{err}");
    }
}
