//! Which HTTP client fetches the key set (issue 18): a verifier given to an `Isolation` uses the
//! client the `Isolation` built for STS and DynamoDB, asked with their connector settings, so that
//! one connector (connection pool, rustls root store) serves all of them and the platform's root
//! certificates are read once per process. A client given to the builder is kept, and whatever
//! the client, the transport rule still decides every URL.
//!
//! Both sides are real: the testkit's key-set server and STS stand-in on 127.0.0.1, reached
//! through the AWS SDK's HTTP client wrapped in [`Recording`], which only notes what it is asked.

use super::*;
use crate::Isolation;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::sync::Mutex;
use tenant_isolation_core::{Action, Confinement, HandlerModel, KeyRule, PhysicalName, TableModel};
use tenant_isolation_testkit::{JwksServer, Keys, Reply, StsServer, tokens as testing};

/// One request as the client saw it: the URI and the connector settings it was asked with
/// (connect and read timeouts: what the client keys its connectors by).
type Seen = (String, Option<Duration>, Option<Duration>);

/// The SDK's HTTP client, noting every request it is given.
#[derive(Clone, Debug)]
struct Recording {
    inner: SharedHttpClient,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recording {
    fn new() -> Recording {
        use aws_smithy_http_client::tls;
        let inner = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
            .build_https();
        Recording { inner, seen: Arc::default() }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl HttpClient for Recording {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(RecordingConnector {
            inner: self.inner.http_connector(settings, components),
            settings: (settings.connect_timeout(), settings.read_timeout()),
            seen: self.seen.clone(),
        })
    }
}

#[derive(Debug)]
struct RecordingConnector {
    inner: SharedHttpConnector,
    settings: (Option<Duration>, Option<Duration>),
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl aws_smithy_runtime_api::client::http::HttpConnector for RecordingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.seen.lock().unwrap().push((request.uri().to_owned(), self.settings.0, self.settings.1));
        self.inner.call(request)
    }
}

static KEYS: std::sync::LazyLock<Keys> = std::sync::LazyLock::new(Keys::bundled);

fn verifier(jwks_url: &str) -> VerifierBuilder {
    Verifier::builder()
        .issuer(testing::ISSUER)
        .audience([testing::AUDIENCE])
        .jwks_url(jwks_url)
        .allow_insecure_loopback(true)
}

/// An `Isolation` on the STS stand-in whose SDK config carries `http`.
async fn isolation(sts: &StsServer, http: &Recording, verifier: Verifier) -> Isolation {
    let credentials = Credentials::new("testing", "testing", None, None, "identity-tests");
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(sts.endpoint_url())
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(http.clone())
        .build();
    Isolation::builder()
        .sdk_config(sdk)
        .role_arn("arn:aws:iam::123456789012:role/TenantData")
        .verifier(verifier)
        .build()
        .await
        .unwrap()
}

fn spec() -> &'static crate::HandlerSpec {
    let orders = TableModel {
        table: PhysicalName::Fixed("Orders".into()),
        indexes: std::borrow::Cow::Borrowed(&[]),
        actions: std::borrow::Cow::Borrowed(&[Action::GetItem]),
        keys: KeyRule::new("TENANT#"),
    };
    crate::HandlerSpec::new("get_order", HandlerModel::one_table(orders, Confinement::SessionPolicy)).unwrap().leak()
}

#[tokio::test]
async fn the_key_set_is_fetched_with_the_clients_of_sts_and_dynamodb() {
    let keys = JwksServer::start(Reply::Json(KEYS.key_set())).await;
    let sts = StsServer::start().await;
    let http = Recording::new();
    let iso = isolation(&sts, &http, verifier(&keys.jwks_url()).build().unwrap()).await;

    let identity = iso.verifier().unwrap().verify(&testing::rs256(&KEYS, &testing::claims("acme"))).await.unwrap();
    iso.enter(spec(), &identity.tenant, None).await.unwrap();
    assert_eq!((keys.jwks_hits(), sts.assume_role_calls()), (1, 1));

    let seen = http.seen();
    println!("{seen:#?}");
    assert_eq!(seen.len(), 2, "the key set and `AssumeRole`, both through the SDK config's client");
    assert_eq!(seen[0].0, keys.jwks_url());
    assert!(seen[1].0.starts_with(&sts.endpoint_url()), "{seen:?}");
    // Asked with the same settings, the client hands out the same connector: one pool and
    // one root store for the key set and STS (and DynamoDB, whose clients get STS's timeouts).
    assert_eq!((seen[0].1, seen[0].2), (seen[1].1, seen[1].2), "{seen:?}");
}

#[tokio::test]
async fn a_client_given_to_the_verifier_is_kept_and_the_rule_still_applies() {
    let keys = JwksServer::start(Reply::Json(KEYS.key_set())).await;
    let sts = StsServer::start().await;
    let (sdk_http, own) = (Recording::new(), Recording::new());
    let given = verifier(&keys.jwks_url()).http_client(own.clone()).build().unwrap();
    let iso = isolation(&sts, &sdk_http, given).await;
    iso.verifier().unwrap().verify(&testing::rs256(&KEYS, &testing::claims("acme"))).await.unwrap();
    assert_eq!(own.seen().len(), 1, "the verifier's own client fetched the key set");
    assert!(sdk_http.seen().is_empty(), "{:?}", sdk_http.seen());
    // Its connector connects within the verifier's timeout.
    assert_eq!(own.seen()[0].1, Some(Duration::from_secs(3)));

    // A redirect away from loopback is refused before the client is asked for it: the client
    // carries requests, the verifier decides where they go.
    let stub = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = stub.local_addr().unwrap();
    let away = format!("http://0.0.0.0:{}/jwks.json", addr.port());
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut stream, _)) = stub.accept().await else { continue };
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf).await;
            let response =
                format!("HTTP/1.1 302 Found\r\nLocation: {away}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    let recording = Recording::new();
    let v = verifier(&format!("http://{addr}/jwks.json")).http_client(recording.clone()).build().unwrap();
    let err = v.verify(&testing::rs256(&KEYS, &testing::claims("acme"))).await.unwrap_err();
    server.abort();
    assert_eq!(err.status(), 503, "{err}");
    assert!(err.to_string().contains("redirect refused"), "{err}");
    let seen = recording.seen();
    assert_eq!(seen.len(), 1, "only the first URL was sent: {seen:?}");
    assert!(!seen[0].0.contains("0.0.0.0"), "{seen:?}");
}

/// A verifier on its own builds its client on the first fetch, not when it is built.
#[tokio::test]
async fn a_verifier_on_its_own_builds_its_client_on_first_use() {
    let keys = JwksServer::start(Reply::Json(KEYS.key_set())).await;
    let v = verifier(&keys.jwks_url()).build().unwrap();
    let super::super::Keys::Set(jwks) = &v.inner.keys else { panic!("a key-set verifier") };
    assert!(
        jwks.share_http(|| super::super::transport::Http::own(Duration::from_secs(1))),
        "no client before the first fetch"
    );

    let v = verifier(&keys.jwks_url()).build().unwrap();
    v.verify(&testing::rs256(&KEYS, &testing::claims("acme"))).await.unwrap();
    let super::super::Keys::Set(jwks) = &v.inner.keys else { panic!("a key-set verifier") };
    assert!(!jwks.share_http(|| unreachable!("a client was built by the fetch")), "the fetch built one");
}
