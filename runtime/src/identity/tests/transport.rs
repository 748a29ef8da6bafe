//! Class 10, key-set transport: the key set decides which tenant a token names, so whoever can
//! answer the key-set request can sign for every tenant. Key sets and discovery documents are
//! fetched over `https` only; plain `http` only from a loopback host and only with the
//! development switch; a discovered `jwks_uri` and every redirect obey the same rule.
//!
//! "Not loopback" is tested with `0.0.0.0`: it is not a loopback address, yet Linux connects
//! to it locally, so a fetch that should have been refused would reach the test's server and
//! be seen there (a `*.example.invalid` host could not tell "refused" from "DNS failed").

use super::*;
use crate::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use tenant_isolation_testkit::jwks::JWKS_PATH;
use tenant_isolation_testkit::{JwksServer, Keys, Reply, tokens as testing};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static KEYS: std::sync::LazyLock<Keys> = std::sync::LazyLock::new(Keys::bundled);

/// The testkit's verifier set-up, built from this crate's own types (the testkit's
/// `verifier_builder` returns the library crate's, which a unit test is not compiled into).
fn verifier_builder(jwks_url: &str) -> VerifierBuilder {
    Verifier::builder()
        .issuer(testing::ISSUER)
        .audience([testing::AUDIENCE])
        .jwks_url(jwks_url)
        .allow_insecure_loopback(true)
}

/// What [`Stub`] answers on one path.
#[derive(Clone)]
enum Answer {
    /// 200 with this JSON body.
    Json(String),
    /// 302 with this `Location`.
    Redirect(String),
}

/// An HTTP server on 127.0.0.1 with fixed answers per path, for the discovery documents and
/// redirects that [`JwksServer`] does not serve. One request per connection.
struct Stub {
    addr: SocketAddr,
    hits: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Stub {
    /// Binds first, so that `routes` can name the stub's own address.
    async fn start(routes: impl FnOnce(&str) -> Vec<(&'static str, Answer)>) -> Stub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let routes: HashMap<&'static str, Answer> = routes(&format!("http://{addr}")).into_iter().collect();
        let hits = Arc::new(AtomicU64::new(0));
        let counter = hits.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let routes = routes.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 2048];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&request);
                    let path = head.split_whitespace().nth(1).unwrap_or("/");
                    let (status, extra, body) = match routes.get(path) {
                        Some(Answer::Json(body)) => ("200 OK", String::new(), body.clone()),
                        Some(Answer::Redirect(to)) => ("302 Found", format!("Location: {to}\r\n"), String::new()),
                        None => ("404 Not Found", String::new(), String::new()),
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Stub { addr, hits, task }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The key-set server's URL with the host `0.0.0.0`: not loopback, but reachable here.
fn unspecified_host(server: &JwksServer) -> String {
    let port = server.jwks_url().rsplit_once(':').unwrap().1.split('/').next().unwrap().to_owned();
    // The premise of the tests below: were the fetch allowed, it would succeed.
    let reachable = std::net::TcpStream::connect(("0.0.0.0", port.parse::<u16>().unwrap()));
    assert!(reachable.is_ok(), "this host does not connect to 0.0.0.0 locally; the tests below would prove nothing");
    format!("http://0.0.0.0:{port}{JWKS_PATH}")
}

fn token_for(issuer: &str) -> String {
    testing::rs256(&KEYS, &testing::with(testing::claims("acme"), "iss", json!(issuer)))
}

fn invalid_var(result: Result<Verifier, ConfigError>) -> (&'static str, String) {
    match result {
        Err(ConfigError::Invalid { var, reason, .. }) => (var, reason),
        other => panic!("expected ConfigError::Invalid, got {other:?}"),
    }
}

#[test]
fn key_set_urls_are_https_unless_loopback_with_the_switch() {
    let https = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/.well-known/jwks.json";
    let loopback = [
        "http://127.0.0.1:5000/jwks.json",
        "http://127.1.2.3/jwks.json",
        "http://[::1]:9000/jwks.json",
        "http://localhost:5000/jwks.json",
        "http://LOCALHOST/jwks.json",
    ];
    // Hosts that look local, or reach this host, but are not loopback; and URL tricks whose
    // host is not the one they seem to name.
    let not_loopback = [
        "http://keys.example.com/jwks.json",
        "http://0.0.0.0:5000/jwks.json",
        "http://[::]:5000/jwks.json",
        "http://[::ffff:127.0.0.1]/jwks.json",
        "http://10.0.0.1/jwks.json",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost.example.com/jwks.json",
        "http://127.0.0.1.nip.io/jwks.json",
        "http://127.0.0.1@keys.example.com/jwks.json",
        "http://keys.example.com\\@127.0.0.1/jwks.json",
    ];
    let build = |url: &str, switch: bool| verifier_builder(url).allow_insecure_loopback(switch).build();

    assert!(build(https, false).is_ok());
    assert!(build(https, true).is_ok());
    for url in loopback {
        assert!(build(url, true).is_ok(), "{url} with the switch");
        let (var, reason) = invalid_var(build(url, false));
        assert_eq!(var, "TENANT_JWKS_URL", "{url}");
        assert!(reason.contains("TENANT_JWT_ALLOW_HTTP_LOOPBACK"), "the reason names the switch: {reason}");
    }
    for url in not_loopback {
        for switch in [false, true] {
            let (var, reason) = invalid_var(build(url, switch));
            assert_eq!(var, "TENANT_JWKS_URL", "{url}, switch {switch}");
            assert!(reason.contains("http"), "{url}: {reason}");
        }
    }
}

#[test]
fn key_set_transport_from_the_environment() {
    let url = ("TENANT_JWKS_URL", "http://keys.example.com/us-east-1_x/.well-known/jwks.json");
    assert_eq!(invalid_var(from(&[ISS, AUD, url])).0, "TENANT_JWKS_URL");
    assert_eq!(invalid_var(from(&[ISS, AUD, url, LOOPBACK])).0, "TENANT_JWKS_URL");
    let moto = ("TENANT_JWKS_URL", "http://127.0.0.1:5000/us-east-1_x/.well-known/jwks.json");
    assert_eq!(invalid_var(from(&[ISS, AUD, moto])).0, "TENANT_JWKS_URL");
    assert!(from(&[ISS, AUD, moto, LOOPBACK]).is_ok());
    assert_eq!(invalid_var(from(&[ISS, AUD, moto, ("TENANT_JWT_ALLOW_HTTP_LOOPBACK", "0")])).0, "TENANT_JWKS_URL");
    // The one boolean parser: a typo is an error, not "off".
    let typo = ("TENANT_JWT_ALLOW_HTTP_LOOPBACK", "maybe");
    assert_eq!(invalid_var(from(&[ISS, AUD, moto, typo])).0, "TENANT_JWT_ALLOW_HTTP_LOOPBACK");
    assert!(from(&[ISS, AUD, ("TENANT_JWKS_URL", "https://keys.example.com/jwks.json")]).is_ok());
}

#[test]
fn an_http_issuer_cannot_be_the_key_source() {
    // Without `TENANT_JWKS_URL` the key set is found from the issuer (discovery, or
    // `<iss>/.well-known/jwks.json`): over plain http, that is a key set over plain http.
    for discovery in ["1", "0"] {
        let d = ("TENANT_JWT_DISCOVERY", discovery);
        let plain = ("TENANT_JWT_ISSUER", "http://issuer.example.com/pool");
        for vars in [&[plain, AUD, d][..], &[plain, AUD, d, LOOPBACK]] {
            assert_eq!(invalid_var(from(vars)).0, "TENANT_JWT_ISSUER", "{vars:?}");
        }
        let local = ("TENANT_JWT_ISSUER", "http://127.0.0.1:5000/pool");
        assert_eq!(invalid_var(from(&[local, AUD, d])).0, "TENANT_JWT_ISSUER");
        assert!(from(&[local, AUD, d, LOOPBACK]).is_ok());
        assert!(from(&[ISS, AUD, d]).is_ok(), "an https issuer");
    }
    // With a key-set URL the issuer is only compared, never fetched from.
    let plain = ("TENANT_JWT_ISSUER", "http://issuer.example.com/pool");
    assert!(from(&[plain, AUD, ("TENANT_JWKS_URL", "https://keys.example.com/jwks.json")]).is_ok());
}

/// A 503 whose message contains `says` (what an operator reads in the log).
async fn assert_keys_unavailable(v: &Verifier, token: &str, why: &str, says: &str) {
    let err = v.verify(token).await.unwrap_err();
    assert!(matches!(err, IdentityError::KeysUnavailable { .. }), "{why}: {err:?}");
    assert_eq!((err.kind(), err.status()), (ErrorKind::Unavailable, 503), "{why}");
    println!("{why}: {err}");
    assert!(err.to_string().contains(says), "{why}: {err}");
}

#[tokio::test]
async fn a_discovered_jwks_uri_obeys_the_same_rule() {
    let keys = JwksServer::start(Reply::Json(KEYS.key_set())).await;
    let refused = [unspecified_host(&keys), format!("ftp://127.0.0.1/{JWKS_PATH}"), "file:///etc/passwd".to_owned()];
    for jwks_uri in refused {
        let stub = Stub::start(|base| {
            let doc = json!({"issuer": base, "jwks_uri": jwks_uri}).to_string();
            vec![("/.well-known/openid-configuration", Answer::Json(doc))]
        })
        .await;
        let issuer = stub.url("");
        let v = Verifier::builder()
            .issuer(&issuer)
            .audience([testing::AUDIENCE])
            .allow_insecure_loopback(true)
            .build()
            .unwrap();
        // 503 for everyone, never a 401: the keys are unavailable, the tokens are not bad.
        assert_keys_unavailable(&v, &token_for(&issuer), &jwks_uri, "`jwks_uri`").await;
        assert_eq!(keys.jwks_hits(), 0, "{jwks_uri} was fetched");
        assert_eq!(stub.hits(), 1, "only the discovery document");
    }

    // The same document naming a loopback key set is followed (the switch is on).
    let stub = Stub::start(|base| {
        let doc = json!({"issuer": base, "jwks_uri": keys.jwks_url()}).to_string();
        vec![("/.well-known/openid-configuration", Answer::Json(doc))]
    })
    .await;
    let issuer = stub.url("");
    let v = Verifier::builder()
        .issuer(&issuer)
        .audience([testing::AUDIENCE])
        .allow_insecure_loopback(true)
        .build()
        .unwrap();
    assert_eq!(v.verify(&token_for(&issuer)).await.unwrap().tenant.as_str(), "acme");
    assert_eq!(keys.jwks_hits(), 1);
}

#[tokio::test]
async fn redirects_never_leave_the_rule() {
    let keys = JwksServer::start(Reply::Json(KEYS.key_set())).await;
    // Each refusal names the redirect's status and says why (`Transport::get`).
    let refused = [
        ("to a host that is not loopback", unspecified_host(&keys), "redirect refused"),
        ("to another scheme", format!("ftp://127.0.0.1/{JWKS_PATH}"), "redirect refused"),
        ("to a file", "file:///etc/passwd".to_owned(), "HTTP 302"),
    ];
    for (why, location, says) in refused {
        let stub = Stub::start(|_| vec![("/jwks.json", Answer::Redirect(location.clone()))]).await;
        let v = verifier_builder(&stub.url("/jwks.json")).build().unwrap();
        assert_keys_unavailable(&v, &testing::rs256(&KEYS, &testing::claims("acme")), why, says).await;
        assert_eq!(keys.jwks_hits(), 0, "{why}: the redirect was followed");
    }

    // The discovery document is fetched under the same policy.
    let target = unspecified_host(&keys);
    let stub = Stub::start(|_| vec![("/.well-known/openid-configuration", Answer::Redirect(target))]).await;
    let issuer = stub.url("");
    let v = Verifier::builder()
        .issuer(&issuer)
        .audience([testing::AUDIENCE])
        .allow_insecure_loopback(true)
        .build()
        .unwrap();
    assert_keys_unavailable(&v, &token_for(&issuer), "discovery redirected", "redirect refused").await;
    assert_eq!(keys.jwks_hits(), 0);

    // Loopback to loopback, with the switch on: followed (a redirect is not refused as such).
    let stub = Stub::start(|_| vec![("/jwks.json", Answer::Redirect(keys.jwks_url()))]).await;
    let v = verifier_builder(&stub.url("/jwks.json")).build().unwrap();
    assert_eq!(v.verify(&testing::rs256(&KEYS, &testing::claims("acme"))).await.unwrap().tenant.as_str(), "acme");
    assert_eq!(keys.jwks_hits(), 1);
}

/// Redirects are followed by the verifier itself (the SDK's HTTP client follows none): a
/// relative `Location` is resolved against the URL that answered, and a chain stops at the
/// fourth redirect, which is never requested.
#[tokio::test]
async fn redirect_chains_are_resolved_and_bounded() {
    let stub = Stub::start(|_| {
        vec![("/jwks.json", Answer::Redirect("/keys".to_owned())), ("/keys", Answer::Json(KEYS.key_set()))]
    })
    .await;
    let v = verifier_builder(&stub.url("/jwks.json")).build().unwrap();
    assert_eq!(v.verify(&testing::rs256(&KEYS, &testing::claims("acme"))).await.unwrap().tenant.as_str(), "acme");
    assert_eq!(stub.hits(), 2);

    let stub = Stub::start(|base| {
        let hops = ["/1", "/2", "/3", "/4", "/5"];
        hops.windows(2).map(|w| (w[0], Answer::Redirect(format!("{base}{}", w[1])))).collect()
    })
    .await;
    let v = verifier_builder(&stub.url("/1")).build().unwrap();
    let token = testing::rs256(&KEYS, &testing::claims("acme"));
    assert_keys_unavailable(&v, &token, "a chain of 4 redirects", "more than 3 redirects").await;
    assert_eq!(stub.hits(), 4, "/1 and 3 redirects followed; /5 never requested");
}
