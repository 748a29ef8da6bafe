//! Test harness for `tenant-isolation`: real local stand-ins for AWS, no mocks.
//!
//! * [`Moto`] runs a `moto_server` (STS, IAM, DynamoDB, Cognito user pools) on a free loopback
//!   port, from the venv that `scripts/setup-tools.sh` installs into `.tools/`.
//! * [`provision`] runs `scripts/fixtures.py` against it and returns the [`Fixture`]: the
//!   `TenantData` role, the `Orders` table with its `ByStatus` index, and a Cognito user pool with
//!   signed ID/access tokens for the users `alice` (acme), `bob` (globex), `carol` (no tenant),
//!   `mallory` (`*`) and `eve` (`acme#x`).
//! * [`buckets`] creates the S3 buckets of `it/buckets.rs` in a moto, and [`s3_admin`] is an
//!   S3 client with the testing credentials (no tenant, no guard) that looks at what landed.
//! * [`shared`] gives one moto + fixture per test process; tests that stop or restart moto start
//!   their own with [`Moto::start`].
//! * [`sdk_config`] builds an AWS SDK config aimed at a moto endpoint without reading or writing
//!   process environment variables (tests run in parallel threads of one process);
//!   [`sdk_config_with_sts`] sends STS to another endpoint, so that STS can go down alone.
//! * [`fleet`] simulates a fleet of execution environments and their credential caches
//!   (`docs/SCALE.md`).
//!
//! Remember that moto does **not** enforce IAM: session policies and `dynamodb:LeadingKeys` are
//! accepted and ignored, so isolation must be proven by checks that do not rely on moto denying.
#![forbid(unsafe_code)]

pub mod fleet;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use serde::Deserialize;

/// Region of every fixture and of [`sdk_config`].
pub const REGION: &str = "us-east-1";

/// Environment variable that overrides where the tools live (default `<workspace>/.tools`).
pub const TOOLS_DIR_ENV: &str = "TI_TOOLS_DIR";

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ crate has a parent directory").to_path_buf()
}

/// Where `scripts/setup-tools.sh` installed the tools: `$TI_TOOLS_DIR`, else
/// `<workspace root>/.tools`. Holds `venv/` (moto, boto3, parliament, policy_sentry) and
/// `node/node_modules/` (`@cloud-copilot/iam-simulate`).
pub fn tools_dir() -> PathBuf {
    match std::env::var_os(TOOLS_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join(".tools"),
    }
}

/// Path of an executable in the tools venv, panicking with a pointer to `setup-tools.sh` when it
/// is missing.
fn venv_bin(name: &str) -> PathBuf {
    let bin = tools_dir().join("venv").join("bin").join(name);
    assert!(
        bin.is_file(),
        "{} not found: run `bash scripts/setup-tools.sh` first (or set {TOOLS_DIR_ENV} to the tools directory)",
        bin.display()
    );
    bin
}

pub use tenant_isolation_testkit::Moto;

/// moto from this repository's tools (`$TI_TOOLS_DIR`, default `<workspace root>/.tools`), on a
/// free loopback port, killed when the value is dropped or the test process dies.
pub fn start_moto() -> Moto {
    start_moto_with_env(&[])
}

/// [`start_moto`] with extra environment for moto (e.g. `INITIAL_NO_AUTH_ACTION_COUNT=0`).
pub fn start_moto_with_env(env: &[(&str, &str)]) -> Moto {
    Moto::start_from(&venv_bin("moto_server"), env)
}

/// How the user pool protects the tenant attribute from its users.
#[derive(Deserialize, Clone, Debug)]
pub struct TenantAttribute {
    /// Whether `custom:tenant_id` can change after sign-up.
    pub mutable: bool,
    /// The attributes the app client may write (`None`: Cognito's default, every writable one).
    pub client_write_attributes: Option<Vec<String>>,
}

/// What `scripts/fixtures.py` created in moto (its stdout JSON).
#[derive(Deserialize, Clone, Debug)]
pub struct Fixture {
    /// moto endpoint the fixture lives in, `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// AWS region, `us-east-1`.
    pub region: String,
    /// Account id moto uses, `123456789012`.
    pub account: String,
    /// ARN of the broad data-access role, `arn:aws:iam::123456789012:role/TenantData`. Its trust
    /// policy lets the account root `sts:AssumeRole` (no `sts:TagSession`: that is the tag role's).
    pub role_arn: String,
    /// ARN of the session-tag (ABAC) role, `arn:aws:iam::123456789012:role/TenantDataTagged`.
    pub tag_role_arn: String,
    /// Table name, `Orders` (`pk` S HASH, `sk` S RANGE, on-demand).
    pub table: String,
    /// The customers table, `Customers` (`pk`, `sk`): customer `c-1` in the partitions of `acme`
    /// (`Acme Purchasing`) and `globex` (`Globex Procurement`).
    pub customers_table: String,
    /// The orders' attachments bucket, `order-attachments`.
    pub attachments_bucket: String,
    /// Global secondary index name, `ByStatus` (`pk` HASH, `status` S RANGE, projection ALL).
    pub index: String,
    /// A GSI keyed on its own attribute, `ByCustomer` (`gsi1pk` HASH, projection ALL).
    pub customer_index: String,
    /// Its partition-key attribute, `gsi1pk`.
    pub customer_key: String,
    /// What the pool and its app client say about `custom:tenant_id` (as Cognito describes
    /// them): it must be immutable and outside the client's write attributes.
    pub tenant_attribute: TenantAttribute,
    /// Cognito user pool id (moto format: `us-east-1_` + 32 hex digits).
    pub user_pool_id: String,
    /// App client id (no secret); the `aud` of ID tokens and `client_id` of access tokens.
    pub client_id: String,
    /// The `iss` claim moto writes into tokens: `https://cognito-idp.<region>.<AWS domain>/<pool
    /// id>`. It names the real AWS host, not moto, so it is no URL to fetch keys from.
    pub issuer: String,
    /// Where moto serves the pool's keys: `<endpoint>/<pool id>/.well-known/jwks.json`.
    pub jwks_url: String,
    /// Users by name: `alice`, `bob`, `carol`, `mallory`, `eve`.
    pub users: BTreeMap<String, User>,
}

impl Fixture {
    /// The named user.
    ///
    /// # Panics
    /// If the fixture has no such user.
    pub fn user(&self, name: &str) -> &User {
        self.users.get(name).unwrap_or_else(|| panic!("fixture has no user {name:?}"))
    }
}

/// A Cognito user of the fixture and its freshly issued tokens (valid for one hour).
#[derive(Deserialize, Clone, Debug)]
pub struct User {
    /// The `custom:tenant_id` attribute; `None` for a user without one (`carol`).
    pub tenant: Option<String>,
    /// RS256 ID token (`token_use` `id`, `aud` = client id, carries `custom:tenant_id`).
    pub id_token: String,
    /// RS256 access token (`token_use` `access`, `client_id`, no `aud`, no custom attributes).
    pub access_token: String,
    /// The user's `sub` claim.
    pub sub: String,
}

/// Runs `scripts/fixtures.py --endpoint <moto endpoint>` with the venv's python and parses the
/// JSON it prints. Safe to call again on the same moto process (it reuses what exists and issues
/// new tokens).
///
/// # Panics
/// If the script fails or prints something that is not a [`Fixture`].
pub fn provision(moto: &Moto) -> Fixture {
    let python = venv_bin("python");
    let script = workspace_root().join("scripts").join("fixtures.py");
    let output = Command::new(&python)
        .arg(&script)
        .args(["--endpoint", &moto.endpoint()])
        // Only the child's environment is changed: no ambient profile or proxy may redirect it.
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {} {}: {e}", python.display(), script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "fixtures.py failed ({}):\n{stderr}", output.status);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("fixtures.py printed no Fixture ({e}):\n{stdout}\nstderr:\n{stderr}"))
}

/// One moto server with provisioned fixtures per test process, started on first use.
///
/// Never stop or restart this one (it is shared by every test of the binary); tests that need
/// to do so start their own [`Moto`]. The server is killed by its watchdog when the process ends.
pub fn shared() -> &'static (Moto, Fixture) {
    static SHARED: OnceLock<(Moto, Fixture)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let moto = start_moto();
        let fixture = provision(&moto);
        (moto, fixture)
    })
}

/// An [`SdkConfig`] aimed at a moto endpoint: `endpoint_url`, region `us-east-1`, static
/// credentials `testing`/`testing`, standard retries (3 attempts), 5 s connect and 60 s operation
/// timeouts.
///
/// Built from [`SdkConfig::builder`] rather than `aws_config::defaults`, so it neither sets nor
/// reads process environment variables or `~/.aws` files: tests running in parallel threads
/// cannot disturb each other, and an ambient `AWS_ENDPOINT_URL` or profile cannot redirect them.
/// Override per client, e.g. `aws_sdk_dynamodb::config::Builder::from(&cfg).retry_config(...)`.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    let credentials = Credentials::new("testing", "testing", None, None, "tenant-isolation-tests");
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .retry_config(RetryConfig::standard())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .build()
}

/// [`sdk_config`] aimed at `endpoint` for every service but STS, which goes to `sts_endpoint`.
/// moto serves every service on one port; with STS on a moto of its own, stopping that one
/// takes STS down while DynamoDB stays up.
///
/// The per-service endpoint is what the SDK would read from `AWS_ENDPOINT_URL_STS`, given here
/// through the `SdkConfig`'s service configuration instead of the process environment.
pub async fn sdk_config_with_sts(endpoint: &str, sts_endpoint: &str) -> SdkConfig {
    sdk_config(endpoint).await.into_builder().service_config(StsEndpoint(sts_endpoint.to_owned())).build()
}

/// Answers the SDK's per-service `endpoint_url` lookup for STS only.
#[derive(Debug)]
struct StsEndpoint(String);

impl LoadServiceConfig for StsEndpoint {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        (key.service_id() == "STS" && key.env() == "AWS_ENDPOINT_URL").then(|| self.0.clone())
    }
}

/// The S3 buckets [`buckets`] creates: two that test handlers declare, one that none does.
pub const BUCKETS: [&str; 3] = ["tenant-files", "tenant-archive", "other-files"];

/// An S3 client on `endpoint` with the testing credentials and path-style addressing (moto
/// serves S3 on its one loopback port): no tenant scope and no guard, to set up objects and
/// to see what reached the server.
pub async fn s3_admin(endpoint: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(&sdk_config(endpoint).await).force_path_style(true).build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Creates [`BUCKETS`] in the moto at `endpoint` (idempotent: a bucket this account already
/// owns is kept).
///
/// # Panics
/// If moto refuses to create a bucket for another reason.
pub async fn buckets(endpoint: &str) {
    let s3 = s3_admin(endpoint).await;
    for bucket in BUCKETS {
        if let Err(e) = s3.create_bucket().bucket(bucket).send().await {
            let owned = e.as_service_error().is_some_and(|e| e.is_bucket_already_owned_by_you());
            assert!(owned, "creating bucket {bucket}: {e:?}");
        }
    }
}
