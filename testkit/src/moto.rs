//! [`Moto`]: a real `moto_server` (STS, DynamoDB, S3, IAM, Cognito user pools) on a free
//! loopback port, started by the test and killed when it ends — also when the test process dies
//! without dropping it.
//!
//! moto is a Python package (`pip install 'moto[server]'`); [`moto_server`] says where the
//! executable is looked for. moto **does not enforce** IAM: session policies and
//! `dynamodb:LeadingKeys` are accepted and ignored, so a test of isolation must rely on checks
//! that do not need moto to deny (the key guard's refusals, what each tenant can read), and on
//! what moto received: its request recorder ([`Moto::start_recording`], [`RecordedRequest`])
//! keeps every request's headers and body, so a test can tell which access key, and so which
//! tenant's session, signed each DynamoDB request.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long [`Moto::start`] and [`Moto::restart`] wait for moto to answer HTTP.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The variable that names the `moto_server` executable.
pub const MOTO_SERVER_ENV: &str = "MOTO_SERVER";

/// The variable that names the directory of a tools install holding `venv/bin/moto_server`
/// (this repository's `scripts/setup-tools.sh` writes one).
pub const TOOLS_DIR_ENV: &str = "TI_TOOLS_DIR";

/// The variable that names the directory moto's logs go to.
pub const LOG_DIR_ENV: &str = "TENANT_TESTKIT_LOG_DIR";

/// Watchdog run by `sh -c`: `$1` is moto's pid. Its stdin is a pipe whose write end only the test
/// process holds, so `read` returns (EOF) exactly when the test process is gone, however it died
/// (panic, `SIGKILL`, end of `main` with a `static` [`Moto`] that is never dropped). Then moto is
/// killed. An orderly [`Moto::stop`] kills the watchdog first, so it never signals a stale pid.
const WATCHDOG: &str = r#"read -r _ignored; kill -9 "$1" 2>/dev/null; exit 0"#;

/// The `moto_server` executable: `$MOTO_SERVER`, else `$TI_TOOLS_DIR/venv/bin/moto_server`, else
/// `moto_server` on the `PATH`.
///
/// # Panics
/// When none is found, with how to install it.
pub fn moto_server() -> PathBuf {
    if let Some(bin) = std::env::var_os(MOTO_SERVER_ENV).filter(|b| !b.is_empty()) {
        return PathBuf::from(bin);
    }
    if let Some(dir) = std::env::var_os(TOOLS_DIR_ENV).filter(|d| !d.is_empty()) {
        let bin = PathBuf::from(dir).join("venv").join("bin").join("moto_server");
        if bin.is_file() {
            return bin;
        }
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("moto_server"))
        .find(|bin| bin.is_file());
    on_path.unwrap_or_else(|| {
        panic!(
            "moto_server not found: `pip install 'moto[server]'` (into a virtualenv), then put it on the PATH \
             or set {MOTO_SERVER_ENV} to the executable"
        )
    })
}

/// A `moto_server` child process listening on `127.0.0.1:<port>`.
///
/// The process is killed when the value is dropped, when [`Moto::stop`] is called, and (through a
/// watchdog) when the test process dies without dropping it, e.g. for one kept in a `static`.
#[derive(Debug)]
pub struct Moto {
    bin: PathBuf,
    port: u16,
    server: Option<Child>,
    watchdog: Option<Child>,
    log: PathBuf,
    env: Vec<(String, String)>,
}

impl Moto {
    /// Starts `moto_server -H 127.0.0.1 -p <free port>` ([`moto_server`] finds it) and waits (at
    /// most 30 s) until it answers HTTP.
    ///
    /// moto runs in its default mode: `INITIAL_NO_AUTH_ACTION_COUNT` is removed from its
    /// environment, so it never checks signatures or IAM permissions. Its output goes to
    /// `moto-<port>.log` in `$TENANT_TESTKIT_LOG_DIR` (default: the system's temporary directory).
    ///
    /// # Panics
    /// If `moto_server` is not installed (the message says how to install it), or if it does not
    /// come up.
    pub fn start() -> Moto {
        Moto::start_with_env(&[])
    }

    /// [`Moto::start`] with extra environment for moto, e.g.
    /// `[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]` to make it check signatures and IAM
    /// permissions. The variables apply to [`Moto::restart`] too.
    pub fn start_with_env(env: &[(&str, &str)]) -> Moto {
        Moto::start_from(&moto_server(), env)
    }

    /// [`Moto::start_with_env`] with the `moto_server` executable at `bin`.
    pub fn start_from(bin: &Path, env: &[(&str, &str)]) -> Moto {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let mut last_error = String::new();
        // A port found free can be taken by someone else before moto binds it: retry elsewhere.
        for _ in 0..5 {
            let port = free_port();
            let mut moto =
                Moto { bin: bin.to_owned(), port, server: None, watchdog: None, log: log_path(port), env: env.clone() };
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

    /// Path of the request recorder's file (`MOTO_RECORDER_FILEPATH`, next to the log unless the
    /// environment given to [`Moto::start_with_env`] names another).
    pub fn recording_path(&self) -> PathBuf {
        let named = self.env.iter().rev().find(|(k, _)| k == RECORDER_FILE_ENV).map(|(_, v)| PathBuf::from(v));
        named.unwrap_or_else(|| self.log.with_extension("recording"))
    }

    /// Erases moto's request recording and starts recording: from now on moto keeps every request
    /// it receives (headers and body; the recorder's own requests excepted) until
    /// [`Moto::stop_recording`].
    ///
    /// The recorder is **server-wide**: it keeps every client's requests, so a test that reads
    /// it needs a moto of its own (or must filter, e.g. by a marker in the keys it writes).
    ///
    /// ```no_run
    /// use tenant_isolation_testkit::Moto;
    ///
    /// let moto = Moto::start();
    /// moto.start_recording();
    /// // … requests to moto, signed with each tenant's session …
    /// for request in moto.stop_recording() {
    ///     if let (Some(operation), Some(key)) = (request.dynamodb_operation(), request.access_key_id()) {
    ///         println!("{operation} signed by {key}");
    ///     }
    /// }
    /// ```
    ///
    /// # Panics
    /// If moto does not answer the recorder's endpoints (`/moto-api/recorder/…`) with 200.
    pub fn start_recording(&self) {
        self.recorder().start_recording();
    }

    /// Stops recording and returns the requests recorded since [`Moto::start_recording`], in the
    /// order moto received them.
    ///
    /// # Panics
    /// If moto does not answer the recorder's endpoint with 200, or its file cannot be read.
    pub fn stop_recording(&self) -> Vec<RecordedRequest> {
        self.recorder().stop_recording()
    }

    /// The recorder of this moto, apart from it (for `spawn_blocking`).
    pub(crate) fn recorder(&self) -> Recorder {
        Recorder { port: self.port, path: self.recording_path() }
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
    /// memory, so everything created before (tables, roles, user pools) is gone: create it
    /// again if needed. Stops the running server first, if any.
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
        let bin = self.bin.clone();
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
        let _ = writeln!(log, "--- tenant-isolation-testkit: starting moto on port {} ---", self.port);
        let log_err = log.try_clone().unwrap_or_else(|e| panic!("cloning log handle: {e}"));
        let server = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            .env_remove("INITIAL_NO_AUTH_ACTION_COUNT")
            // The request recorder (used to prove that refused requests are never sent)
            // writes here rather than into the working directory.
            .env(RECORDER_FILE_ENV, self.log.with_extension("recording"))
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

/// The variable naming moto's request recorder file.
const RECORDER_FILE_ENV: &str = "MOTO_RECORDER_FILEPATH";

/// One request moto's recorder kept: what the server received, before moto handled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST` …
    pub method: String,
    /// The URL as received, path and query undecoded.
    pub url: String,
    /// The headers, by lower-case name.
    pub headers: BTreeMap<String, String>,
    /// The body as sent.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// A header's value, by name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// The SigV4 credential scope of the `Authorization` header,
    /// `AWS4-HMAC-SHA256 Credential=<access key id>/<date>/<region>/<service>/aws4_request, …`,
    /// split at `/`.
    fn credential(&self) -> Option<Vec<&str>> {
        let auth = self.header("authorization")?;
        let credential = auth.split("Credential=").nth(1)?.split([',', ' ']).next()?;
        Some(credential.split('/').collect())
    }

    /// The access key id the request was signed with (SigV4), `None` for an unsigned request:
    /// with [`Scope::access_key_id`](tenant_isolation::Scope::access_key_id), which tenant's
    /// session sent it.
    pub fn access_key_id(&self) -> Option<&str> {
        self.credential()?.first().copied().filter(|k| !k.is_empty())
    }

    /// A parameter of a query-protocol body (`application/x-www-form-urlencoded`, as STS's
    /// `AssumeRole` sends its `Policy`), percent-decoded; `None` when absent or not UTF-8.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use tenant_isolation_testkit::RecordedRequest;
    /// let r = RecordedRequest {
    ///     method: "POST".into(),
    ///     url: "/".into(),
    ///     headers: BTreeMap::new(),
    ///     body: b"Action=AssumeRole&Policy=%7B%22a%22%3A+1%7D".to_vec(),
    /// };
    /// assert_eq!(r.form("Policy").as_deref(), Some(r#"{"a": 1}"#));
    /// assert_eq!(r.form("RoleArn"), None);
    /// ```
    pub fn form(&self, name: &str) -> Option<String> {
        let body = std::str::from_utf8(&self.body).ok()?;
        let raw = body.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))?;
        let mut bytes = Vec::with_capacity(raw.len());
        let mut rest = raw.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            match b {
                b'+' => bytes.push(b' '),
                b'%' if tail.len() >= 2 => {
                    let hex = std::str::from_utf8(&tail[..2]).ok()?;
                    bytes.push(u8::from_str_radix(hex, 16).ok()?);
                    rest = &tail[2..];
                    continue;
                }
                _ => bytes.push(b),
            }
            rest = tail;
        }
        String::from_utf8(bytes).ok()
    }

    /// The service the request was signed for (`dynamodb`, `sts`, `s3`).
    pub fn signing_service(&self) -> Option<&str> {
        self.credential()?.get(3).copied()
    }

    /// The `X-Amz-Target` header of a request in one of AWS's JSON protocols, which names its
    /// service and operation (`DynamoDB_20120810.GetItem`, `AmazonSQS.SendMessage`); `None` for
    /// a request without one (S3, STS).
    pub fn target(&self) -> Option<&str> {
        self.header("x-amz-target")
    }

    /// The DynamoDB operation, `GetItem` of `X-Amz-Target: DynamoDB_20120810.GetItem`; `None`
    /// for a request to another service.
    pub fn dynamodb_operation(&self) -> Option<&str> {
        self.target()?.strip_prefix("DynamoDB_")?.split_once('.').map(|(_, operation)| operation)
    }

    /// The target of a request in an AWS JSON protocol (DynamoDB, Secrets Manager, Systems
    /// Manager, SQS), split at its last `.`: `("secretsmanager", "GetSecretValue")` of
    /// `X-Amz-Target: secretsmanager.GetSecretValue`, `("AmazonSSM", "GetParameter")`,
    /// `("DynamoDB_20120810", "GetItem")`. `None` for a request without the header.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use tenant_isolation_testkit::RecordedRequest;
    /// let request = RecordedRequest {
    ///     method: "POST".into(),
    ///     url: "/".into(),
    ///     headers: BTreeMap::from([("x-amz-target".into(), "AmazonSSM.GetParameter".into())]),
    ///     body: br#"{"Name":"/tenants/acme/flags"}"#.to_vec(),
    /// };
    /// assert_eq!(request.json_target(), Some(("AmazonSSM", "GetParameter")));
    /// assert_eq!(request.json().unwrap()["Name"], "/tenants/acme/flags");
    /// ```
    pub fn json_target(&self) -> Option<(&str, &str)> {
        self.header("x-amz-target")?.rsplit_once('.')
    }

    /// The body as JSON (the requests of AWS JSON protocols are), `None` when it is not.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What reaches a moto's recorder: its port and its file.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    port: u16,
    path: PathBuf,
}

impl Recorder {
    pub(crate) fn start_recording(&self) {
        self.post("reset-recording");
        self.post("start-recording");
    }

    pub(crate) fn stop_recording(&self) -> Vec<RecordedRequest> {
        self.post("stop-recording");
        read_recording(&self.path)
    }

    /// `POST /moto-api/recorder/<action>`.
    fn post(&self, action: &str) {
        let status = status_of(self.port, "POST", &format!("/moto-api/recorder/{action}"));
        assert_eq!(status, Some(200), "moto on port {} did not take `{action}` (status {status:?})", self.port);
    }
}

/// The requests in moto's recorder file: one JSON object per line, `body` base64 when
/// `body_encoded`.
fn read_recording(path: &Path) -> Vec<RecordedRequest> {
    use base64::Engine as _;
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("reading moto's recording {}: {e}", path.display()));
    let mut requests = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let entry: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a line of moto's recording {} is not JSON: {e}", path.display()));
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let headers = entry["headers"].as_object().into_iter().flatten();
        let body = text(&entry["body"]);
        let body = if entry["body_encoded"] == true {
            base64::engine::general_purpose::STANDARD
                .decode(&body)
                .unwrap_or_else(|e| panic!("a body in moto's recording is not base64: {e}"))
        } else {
            body.into_bytes()
        };
        requests.push(RecordedRequest {
            method: text(&entry["method"]),
            url: text(&entry["url"]),
            headers: headers.map(|(k, v)| (k.to_ascii_lowercase(), text(v))).collect(),
            body,
        });
    }
    requests
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
    let dir = std::env::var_os(LOG_DIR_ENV).filter(|d| !d.is_empty()).map(PathBuf::from);
    dir.unwrap_or_else(|| std::env::temp_dir().join("tenant-isolation-moto")).join(format!("moto-{port}.log"))
}

/// Whether an HTTP server on the port answers `GET /moto-api/` with status 200.
fn answers_http(port: u16) -> bool {
    status_of(port, "GET", "/moto-api/") == Some(200)
}

/// The status an HTTP server on the loopback port answers `method path` with (no body, HTTP/1.0
/// so that the server closes the connection), `None` if it does not answer in time.
fn status_of(port: u16, method: &str, path: &str) -> Option<u16> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    let timeout = Some(Duration::from_secs(2));
    stream.set_read_timeout(timeout).ok()?;
    stream.set_write_timeout(timeout).ok()?;
    let request = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    // `HTTP/1.x NNN`: the status is the second word of the first line.
    let mut head = [0u8; 16];
    let mut got = 0;
    while got < head.len() {
        match stream.read(&mut head[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    let head = String::from_utf8_lossy(&head[..got]);
    let status = head.strip_prefix("HTTP/1.")?.split(' ').nth(1)?;
    status.parse().ok()
}
