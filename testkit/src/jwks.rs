//! A key-set (JWKS) endpoint on 127.0.0.1 whose answers a test controls: the keys, an HTTP
//! error, a delay, or a hung connection; optionally an OpenID discovery document. It counts
//! the requests, so a test can assert how often a verifier fetched.

use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the key-set server answers on the key-set path.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with this JSON body.
    Json(String),
    /// This status with an empty body.
    Status(u16),
    /// Accept the connection and never answer (until the server is dropped or 30 s pass).
    Hang,
}

struct ServerState {
    reply: Mutex<Reply>,
    delay: Mutex<Duration>,
    discovery_issuer: Mutex<Option<String>>,
    jwks_hits: AtomicU64,
    discovery_hits: AtomicU64,
}

/// A minimal HTTP/1.1 server on 127.0.0.1 that serves a key set, and optionally an OpenID
/// configuration, and counts requests. One request per connection. Stops when dropped.
pub struct JwksServer {
    addr: SocketAddr,
    state: Arc<ServerState>,
    task: tokio::task::JoinHandle<()>,
}

/// The path the key set is served at (moto's layout).
pub const JWKS_PATH: &str = "/us-east-1_TestPool1/.well-known/jwks.json";

impl JwksServer {
    /// Starts serving `reply` on an ephemeral port of 127.0.0.1. Needs a tokio runtime with
    /// I/O enabled.
    ///
    /// # Panics
    ///
    /// If no port of 127.0.0.1 can be bound.
    pub async fn start(reply: Reply) -> JwksServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(ServerState {
            reply: Mutex::new(reply),
            delay: Mutex::new(Duration::ZERO),
            discovery_issuer: Mutex::new(None),
            jwks_hits: AtomicU64::new(0),
            discovery_hits: AtomicU64::new(0),
        });
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                tokio::spawn(serve(stream, shared.clone(), addr));
            }
        });
        JwksServer { addr, state, task }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT` + [`JWKS_PATH`]
    pub fn jwks_url(&self) -> String {
        format!("{}{JWKS_PATH}", self.base_url())
    }

    /// What the key-set path answers from now on.
    pub fn set_reply(&self, reply: Reply) {
        *self.state.reply.lock().unwrap() = reply;
    }

    /// Delay before each answer.
    pub fn set_delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }

    /// Serve `/.well-known/openid-configuration` naming `issuer` and [`jwks_url`](Self::jwks_url).
    pub fn serve_discovery(&self, issuer: &str) {
        *self.state.discovery_issuer.lock().unwrap() = Some(issuer.to_owned());
    }

    /// Requests for any path but the discovery document.
    pub fn jwks_hits(&self) -> u64 {
        self.state.jwks_hits.load(Ordering::SeqCst)
    }

    /// Requests for `/.well-known/openid-configuration`.
    pub fn discovery_hits(&self) -> u64 {
        self.state.discovery_hits.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: tokio::net::TcpStream, state: Arc<ServerState>, addr: SocketAddr) {
    let mut request = Vec::new();
    let mut buf = [0u8; 2048];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&request);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let delay = *state.delay.lock().unwrap();
    let (status, body) = if path.ends_with("/.well-known/openid-configuration") {
        state.discovery_hits.fetch_add(1, Ordering::SeqCst);
        match state.discovery_issuer.lock().unwrap().clone() {
            Some(issuer) => {
                (200, json!({"issuer": issuer, "jwks_uri": format!("http://{addr}{JWKS_PATH}")}).to_string())
            }
            None => (404, String::new()),
        }
    } else {
        state.jwks_hits.fetch_add(1, Ordering::SeqCst);
        let reply = state.reply.lock().unwrap().clone();
        match reply {
            Reply::Json(body) => (200, body),
            Reply::Status(status) => (status, String::new()),
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
        }
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
