//! A local stand-in for STS `AssumeRole`: an HTTP/1.1 server on 127.0.0.1 that answers every
//! valid `AssumeRole` with fresh synthetic credentials and counts the calls.
//!
//! Point an SDK config's `endpoint_url` at [`StsServer::endpoint_url`] and an
//! [`Isolation`](tenant_isolation::Isolation) takes its tenants' sessions from here: the
//! request is signed, sent and parsed by the Rust SDK exactly as against STS, so the cache is
//! filled through the real path ([`Isolation::enter`](tenant_isolation::Isolation::enter))
//! without an AWS account, and at loopback speed (moto needs ~4 ms per `AssumeRole`).
//!
//! What it checks: the request is a form-encoded `POST` with `Action=AssumeRole`, a `RoleArn`
//! of the shape `arn:<partition>:iam::<account>:role/<name>`, a `RoleSessionName` of 2–64
//! characters of `[\w+=,.@-]`, and a `DurationSeconds` (default 3600) of 900–43200. Anything
//! else is answered as STS answers a bad request: status 400 and an `ErrorResponse` with the
//! code `InvalidAction` or `ValidationError`. What it does not: signatures, the role's trust
//! policy, the session policy (`Policy` is accepted and ignored, as moto does), session tags.
//!
//! The answer has the shape of the STS API reference's `AssumeRole` response (query
//! protocol, namespace `https://sts.amazonaws.com/doc/2011-06-15/`):
//!
//! ```xml
//! <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
//!   <AssumeRoleResult>
//!     <AssumedRoleUser>
//!       <Arn>arn:aws:sts::123456789012:assumed-role/TenantData/tenant-acme</Arn>
//!       <AssumedRoleId>AROASTANDIN0EXAMPLE0:tenant-acme</AssumedRoleId>
//!     </AssumedRoleUser>
//!     <Credentials>
//!       <AccessKeyId>ASIA0000000000000001</AccessKeyId>
//!       <SecretAccessKey>ssssssssssssssssssssssss0000000000000001</SecretAccessKey>
//!       <SessionToken>tttt…0000000000000001</SessionToken>
//!       <Expiration>2026-11-09T13:34:41Z</Expiration>
//!     </Credentials>
//!   </AssumeRoleResult>
//!   <ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000001</RequestId></ResponseMetadata>
//! </AssumeRoleResponse>
//! ```
//!
//! Each call gets credentials of its own: an access key id of 20 characters (`ASIA` and the
//! call's number), a secret of 40, and a session token of the configured length (STS does not
//! fix its size; [`DEFAULT_SESSION_TOKEN_LEN`] by default), all ending in the call's number;
//! they expire `DurationSeconds` after the call, in whole seconds.
//!
//! Written by hand on tokio, like the key-set server: hyper is in the dependency tree without
//! its server half, and enabling it would rebuild the SDK stack for every test build. It keeps
//! connections alive (the SDK pools them) and reads bodies by `Content-Length` only.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// The session-token length of [`StsServer::start`]: 1,024 characters.
pub const DEFAULT_SESSION_TOKEN_LEN: usize = 1024;

/// The role id in every `AssumedRoleId`.
const ROLE_ID: &str = "AROASTANDIN0EXAMPLE0";
/// A request head (request line and headers) longer than this is refused.
const MAX_HEAD: u64 = 16 * 1024;
/// A request body longer than this is refused (a session policy is at most 2,048 characters,
/// form-encoded at most three times that).
const MAX_BODY: usize = 64 * 1024;

struct State {
    session_token_len: usize,
    requests: AtomicU64,
    assume_role_calls: AtomicU64,
}

/// The STS stand-in (see the [module docs](self)). Stops when dropped.
///
/// ```
/// use tenant_isolation_testkit::StsServer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sts = StsServer::start().await;
/// let sdk = aws_config::SdkConfig::builder()
///     .behavior_version(aws_config::BehaviorVersion::latest())
///     .region(aws_config::Region::new("us-east-1"))
///     .endpoint_url(sts.endpoint_url())
///     .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
///         aws_credential_types::Credentials::new("test", "test", None, None, "test"),
///     ))
///     .build();
/// let out = aws_sdk_sts::Client::new(&sdk)
///     .assume_role()
///     .role_arn("arn:aws:iam::123456789012:role/TenantData")
///     .role_session_name("tenant-acme")
///     .send()
///     .await
///     .unwrap();
/// let credentials = out.credentials().unwrap();
/// assert_eq!(credentials.session_token().len(), 1024);
/// assert_eq!(sts.assume_role_calls(), 1);
/// # }
/// ```
pub struct StsServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl StsServer {
    /// Starts a stand-in that issues session tokens of [`DEFAULT_SESSION_TOKEN_LEN`]
    /// characters, on an ephemeral port of 127.0.0.1. Needs a tokio runtime with I/O enabled.
    ///
    /// # Panics
    ///
    /// If no port of 127.0.0.1 can be bound.
    pub async fn start() -> StsServer {
        StsServer::with_session_token_len(DEFAULT_SESSION_TOKEN_LEN).await
    }

    /// Starts a stand-in that issues session tokens of `len` characters.
    ///
    /// # Panics
    ///
    /// If no port of 127.0.0.1 can be bound.
    pub async fn with_session_token_len(len: usize) -> StsServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            session_token_len: len,
            requests: AtomicU64::new(0),
            assume_role_calls: AtomicU64::new(0),
        });
        let shared = state.clone();
        let task = tokio::spawn(async move {
            // Connections live in the set, so that dropping the server (aborting this task)
            // also ends the connections the SDK keeps alive.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            connections.spawn(serve(stream, shared.clone()));
                        }
                    }
                    Some(_) = connections.join_next() => {}
                }
            }
        });
        StsServer { addr, state, task }
    }

    /// `http://127.0.0.1:PORT`: the `endpoint_url` of an SDK config (or
    /// `AWS_ENDPOINT_URL_STS`).
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `AssumeRole` calls answered with credentials.
    pub fn assume_role_calls(&self) -> u64 {
        self.state.assume_role_calls.load(Ordering::SeqCst)
    }

    /// Requests received, refused ones included.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }
}

impl Drop for StsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One request as read from the connection.
struct Request {
    method: String,
    body: Vec<u8>,
    /// The client asked to close (`Connection: close`, or HTTP/1.0 without keep-alive).
    close: bool,
}

/// Answers requests on one connection until the client closes it or asks to.
async fn serve(stream: TcpStream, state: Arc<State>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let (status, body, close) = match read_request(&mut reader, &mut write).await {
            Ok(None) => return,
            Ok(Some(request)) => {
                let n = state.requests.fetch_add(1, Ordering::SeqCst) + 1;
                let (status, body) = answer(&request, &state, n);
                (status, body, request.close)
            }
            Err(status) => (status, String::new(), true),
        };
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            413 => "Payload Too Large",
            _ => "Not Implemented",
        };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n{body}",
            body.len(),
            if close { "close" } else { "keep-alive" },
        );
        if write.write_all(response.as_bytes()).await.is_err() || close {
            let _ = write.shutdown().await;
            return;
        }
    }
}

/// The next request: `Ok(None)` when the client closed the connection between requests,
/// `Err(status)` for one that cannot be read (answered with that status, then closed).
async fn read_request(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    write: &mut tokio::net::tcp::OwnedWriteHalf,
) -> Result<Option<Request>, u16> {
    let mut head = (&mut *reader).take(MAX_HEAD);
    let mut line = Vec::new();
    if head.read_until(b'\n', &mut line).await.map_err(|_| 400u16)? == 0 {
        return Ok(None);
    }
    let request_line = String::from_utf8_lossy(&line).into_owned();
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(_target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(400);
    };
    let (mut content_length, mut close, mut expect_continue) = (0usize, version == "HTTP/1.0", false);
    loop {
        line.clear();
        if head.read_until(b'\n', &mut line).await.map_err(|_| 400u16)? == 0 {
            return Err(400);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else { return Err(400) };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => content_length = value.parse().map_err(|_| 400u16)?,
            "transfer-encoding" => return Err(501),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            "expect" => expect_continue = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    if content_length > MAX_BODY {
        return Err(413);
    }
    if expect_continue {
        write.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await.map_err(|_| 400u16)?;
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body).await.map_err(|_| 400u16)?;
    Ok(Some(Request { method: method.to_owned(), body, close }))
}

/// The status and XML body for one request; `n` is the request's number.
fn answer(request: &Request, state: &State, n: u64) -> (u16, String) {
    let request_id = format!("00000000-0000-4000-8000-{n:012x}");
    let refuse = |code: &str, message: &str| {
        (
            400,
            format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                 <Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error>\
                 <RequestId>{request_id}</RequestId></ErrorResponse>",
                escape(message)
            ),
        )
    };
    let params: Vec<(String, String)> = if request.method == "POST" {
        form_urlencoded::parse(&request.body).into_owned().collect()
    } else {
        Vec::new()
    };
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match param("Action") {
        Some("AssumeRole") => {}
        Some(other) => {
            return refuse("InvalidAction", &format!("this STS stand-in serves `AssumeRole` only, not `{other}`"));
        }
        None => return refuse("InvalidAction", "expected a form-encoded POST with `Action=AssumeRole`"),
    }
    let Some((partition, account, role_name)) = param("RoleArn").and_then(parse_role_arn) else {
        return refuse(
            "ValidationError",
            "`RoleArn` must be an IAM role ARN: `arn:<partition>:iam::<account>:role/<name>`",
        );
    };
    let session = match param("RoleSessionName") {
        Some(s)
            if (2..=64).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b)) =>
        {
            s
        }
        _ => return refuse("ValidationError", "`RoleSessionName` must be 2-64 characters of `[\\w+=,.@-]`"),
    };
    let duration = match param("DurationSeconds").map(str::parse::<u64>) {
        None => 3600,
        Some(Ok(d)) if (900..=43_200).contains(&d) => d,
        Some(_) => return refuse("ValidationError", "`DurationSeconds` must be 900-43200"),
    };
    let call = state.assume_role_calls.fetch_add(1, Ordering::SeqCst) + 1;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let expiration = DateTime::from_secs((now + duration) as i64).fmt(Format::DateTime).expect("a date in range");
    let (partition, account, role_name, session) =
        (escape(partition), escape(account), escape(role_name), escape(session));
    let body = format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <AssumeRoleResult>\
         <AssumedRoleUser>\
         <Arn>arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}</Arn>\
         <AssumedRoleId>{ROLE_ID}:{session}</AssumedRoleId>\
         </AssumedRoleUser>\
         <Credentials>\
         <AccessKeyId>{}</AccessKeyId>\
         <SecretAccessKey>{}</SecretAccessKey>\
         <SessionToken>{}</SessionToken>\
         <Expiration>{expiration}</Expiration>\
         </Credentials>\
         </AssumeRoleResult>\
         <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>\
         </AssumeRoleResponse>",
        format_args!("ASIA{}", synthetic('0', 16, call)),
        synthetic('s', 40, call),
        synthetic('t', state.session_token_len, call),
    );
    (200, body)
}

/// `(partition, account, role name)` of `arn:<partition>:iam::<account>:role/<path/><name>`.
fn parse_role_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    let valid =
        !partition.is_empty() && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty();
    valid.then_some((partition, account, name))
}

/// `len` characters: `fill`, then the hexadecimal `n` (cut to its last `len` digits if
/// longer).
fn synthetic(fill: char, len: usize, n: u64) -> String {
    let tag = format!("{n:016X}");
    let tag = &tag[tag.len().saturating_sub(len)..];
    let mut s = String::with_capacity(len);
    s.extend(std::iter::repeat_n(fill, len - tag.len()));
    s.push_str(tag);
    s
}

/// `s` as XML character data.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/TenantData"),
            Some(("aws", "123456789012", "TenantData"))
        );
        assert_eq!(
            parse_role_arn("arn:aws-cn:iam::123456789012:role/path/to/Data"),
            Some(("aws-cn", "123456789012", "Data"))
        );
        for bad in [
            "",
            "TenantData",
            "arn:aws:iam::123456789012:user/TenantData",
            "arn:aws:sts::123456789012:role/TenantData",
            "arn:aws:iam::12345:role/TenantData",
            "arn:aws:iam::123456789012:role/",
            "arn::iam::123456789012:role/TenantData",
        ] {
            assert_eq!(parse_role_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn synthetic_values_have_their_length_and_end_in_the_call() {
        assert_eq!(synthetic('s', 40, 7), format!("{}0000000000000007", "s".repeat(24)));
        assert_eq!(synthetic('t', 1024, u64::MAX).len(), 1024);
        assert_eq!(synthetic('t', 4, 0x12345), "2345");
        assert_eq!(synthetic('t', 0, 1), "");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
