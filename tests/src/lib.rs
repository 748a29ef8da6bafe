//! Test harness for `tenant-isolation`: real local stand-ins for AWS, no mocks.
//!
//! * [`Moto`] runs a `moto_server` (STS, IAM, DynamoDB, Cognito user pools) on a free loopback
//!   port, from the venv that `scripts/setup-tools.sh` installs into `.tools/`.
//! * [`provision`] runs `scripts/fixtures.py` against it and returns the [`Fixture`]: the
//!   `TenantData` role, the `Orders` table with its `ByStatus` index, and a Cognito user pool with
//!   signed ID/access tokens for the users `alice` (acme), `bob` (globex), `carol` (no tenant),
//!   `mallory` (`*`) and `eve` (`acme#x`).
//! * [`shared`] gives one moto + fixture per test process; tests that stop or restart moto start
//!   their own with [`Moto::start`].
//! * [`sdk_config`] builds an AWS SDK config aimed at a moto endpoint without reading or writing
//!   process environment variables (tests run in parallel threads of one process);
//!   [`sdk_config_with_sts`] sends STS to another endpoint, so that STS can go down alone.
//!
//! Remember that moto does **not** enforce IAM: session policies and `dynamodb:LeadingKeys` are
//! accepted and ignored, so isolation must be proven by checks that do not rely on moto denying.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use serde::Deserialize;

/// How long [`Moto::start`] and [`Moto::restart`] wait for moto to answer HTTP.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Region of every fixture and of [`sdk_config`].
pub const REGION: &str = "us-east-1";

/// Environment variable that overrides where the tools live (default `<workspace>/.tools`).
pub const TOOLS_DIR_ENV: &str = "TI_TOOLS_DIR";

/// Watchdog run by `sh -c`: `$1` is moto's pid. Its stdin is a pipe whose write end only the test
/// process holds, so `read` returns (EOF) exactly when the test process is gone, however it died
/// (panic, `SIGKILL`, end of `main` with a `static` [`Moto`] that is never dropped). Then moto is
/// killed. An orderly [`Moto::stop`] kills the watchdog first, so it never signals a stale pid.
const WATCHDOG: &str = r#"read -r _ignored; kill -9 "$1" 2>/dev/null; exit 0"#;

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

/// A `moto_server` child process listening on `127.0.0.1:<port>`.
///
/// The process is killed when the value is dropped, when [`Moto::stop`] is called, and (through a
/// watchdog) when the test process dies without dropping it, e.g. for the `static` in [`shared`].
#[derive(Debug)]
pub struct Moto {
    port: u16,
    server: Option<Child>,
    watchdog: Option<Child>,
    log: PathBuf,
    env: Vec<(String, String)>,
}

impl Moto {
    /// Starts `moto_server -H 127.0.0.1 -p <free port>` from `$TI_TOOLS_DIR/venv/bin` (default
    /// `<workspace root>/.tools/venv/bin`) and waits (at most 30 s) until it answers HTTP.
    ///
    /// moto runs in its default mode: `INITIAL_NO_AUTH_ACTION_COUNT` is removed from its
    /// environment, so it never checks signatures or IAM permissions. Its output goes to
    /// `<workspace root>/target/moto-logs/moto-<port>.log`.
    ///
    /// # Panics
    /// If `moto_server` is not installed (the message names `scripts/setup-tools.sh`), or if it
    /// does not come up.
    pub fn start() -> Moto {
        Moto::start_with_env(&[])
    }

    /// [`Moto::start`] with extra environment for moto, e.g.
    /// `[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]` to make it check signatures and IAM
    /// permissions. The variables apply to [`Moto::restart`] too.
    pub fn start_with_env(env: &[(&str, &str)]) -> Moto {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let mut last_error = String::new();
        // A port found free can be taken by someone else before moto binds it: retry elsewhere.
        for _ in 0..5 {
            let port = free_port();
            let mut moto = Moto { port, server: None, watchdog: None, log: log_path(port), env: env.clone() };
            match moto.launch(true) {
                Ok(()) => return moto,
                Err(e) => last_error = e,
            }
        }
        panic!("moto_server did not start: {last_error}");
    }

    /// The endpoint URL, `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The loopback port moto listens on (kept across [`Moto::stop`] and [`Moto::restart`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether moto was started and has not been stopped (it may still have crashed).
    pub fn is_running(&self) -> bool {
        self.server.is_some()
    }

    /// Path of moto's log file (its stdout and stderr).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Kills moto and waits for it to exit, so the port refuses connections on return. The port
    /// number stays in the struct for [`Moto::restart`]. Does nothing when already stopped.
    pub fn stop(&mut self) {
        // Watchdog first: once it is gone it cannot signal a pid that the kernel may reuse.
        for child in [self.watchdog.take(), self.server.take()].into_iter().flatten() {
            kill_and_reap(child);
        }
    }

    /// Starts moto again on the same port and waits until it answers. moto keeps its state in
    /// memory, so everything created before (tables, roles, user pools) is gone: call
    /// [`provision`] again if needed. Stops the running server first, if any.
    ///
    /// # Panics
    /// If moto does not come back on that port (retried for a few seconds in case the port is
    /// briefly held by a socket of the previous process).
    pub fn restart(&mut self) {
        self.stop();
        let mut last_error = String::new();
        for _ in 0..10 {
            match self.launch(false) {
                Ok(()) => return,
                Err(e) => {
                    last_error = e;
                    std::thread::sleep(Duration::from_millis(300));
                }
            }
        }
        panic!("moto_server did not restart on port {}: {last_error}", self.port);
    }

    /// Spawns moto and its watchdog on `self.port` and waits until moto answers. `Err` means moto
    /// exited early (e.g. the port was taken); a server that neither answers nor exits panics.
    fn launch(&mut self, fresh_log: bool) -> Result<(), String> {
        let bin = venv_bin("moto_server");
        if let Some(dir) = self.log.parent() {
            fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        }
        let mut log = OpenOptions::new()
            .create(true)
            .write(true)
            .append(!fresh_log)
            .truncate(fresh_log)
            .open(&self.log)
            .unwrap_or_else(|e| panic!("opening {}: {e}", self.log.display()));
        // Best effort: the log is diagnostics only.
        let _ = writeln!(log, "--- tenant-isolation-tests: starting moto on port {} ---", self.port);
        let log_err = log.try_clone().unwrap_or_else(|e| panic!("cloning log handle: {e}"));
        let server = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            .env_remove("INITIAL_NO_AUTH_ACTION_COUNT")
            // The request recorder (used to prove that refused requests are never sent)
            // writes here rather than into the working directory.
            .env("MOTO_RECORDER_FILEPATH", self.log.with_extension("recording"))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", bin.display()));
        let watchdog = Command::new("sh")
            .args(["-c", WATCHDOG, "moto-watchdog", &server.id().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let watchdog = match watchdog {
            Ok(w) => w,
            Err(e) => {
                kill_and_reap(server);
                panic!("spawning the moto watchdog (sh): {e}");
            }
        };
        self.server = Some(server);
        self.watchdog = Some(watchdog);

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let exited = self.server.as_mut().and_then(|s| s.try_wait().ok().flatten());
            if let Some(status) = exited {
                self.stop();
                return Err(format!("moto exited with {status}; log {}:\n{}", self.log.display(), self.log_tail()));
            }
            if answers_http(self.port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop();
                panic!(
                    "moto_server on port {} did not answer within {READY_TIMEOUT:?}; log {}:\n{}",
                    self.port,
                    self.log.display(),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last lines of the log, for panic messages.
    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Kills a child (`SIGKILL`) and reaps it; a child that already exited is just reaped.
fn kill_and_reap(mut child: Child) {
    // kill() fails only if the child was already reaped, which take() rules out; an exited but
    // unreaped child is still reaped by wait().
    let _ = child.kill();
    let _ = child.wait();
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding 127.0.0.1:0");
    listener.local_addr().expect("local_addr of a bound listener").port()
}

fn log_path(port: u16) -> PathBuf {
    workspace_root().join("target").join("moto-logs").join(format!("moto-{port}.log"))
}

/// Whether an HTTP server on the port answers `GET /moto-api/` with status 200.
fn answers_http(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let timeout = Some(Duration::from_secs(2));
    if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
        return false;
    }
    let request = format!("GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 16];
    let mut got = 0;
    while got < head.len() {
        match stream.read(&mut head[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    let head = String::from_utf8_lossy(&head[..got]);
    head.starts_with("HTTP/1.") && head.contains(" 200")
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
        let moto = Moto::start();
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
