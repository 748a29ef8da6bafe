//! The harness itself: moto starts, stops, restarts and dies with the test process; the fixture
//! holds what the other test modules rely on.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tenant_isolation_tests::{Fixture, provision, sdk_config, shared};

/// A DynamoDB client for `endpoint` that does not retry, so a refused connection fails at once.
async fn dynamodb(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let cfg = sdk_config(endpoint).await;
    let conf = aws_sdk_dynamodb::config::Builder::from(&cfg).retry_config(RetryConfig::disabled()).build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// Decodes one base64url JSON segment of a JWT (header or claims) without verifying anything.
fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("JWT has three segments");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON segment")
}

fn refuses_connections(port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)), Duration::from_millis(500)).is_err()
}

#[tokio::test]
async fn shared_moto_answers_with_fixture_table() {
    let (moto, fx) = shared();
    assert_eq!(fx.endpoint, moto.endpoint());
    assert_eq!(moto.endpoint(), format!("http://127.0.0.1:{}", moto.port()));
    let client = dynamodb(&fx.endpoint).await;

    let tables = client.list_tables().send().await.expect("list_tables against shared moto");
    assert!(tables.table_names().contains(&fx.table), "tables: {:?}", tables.table_names());

    let table = client.describe_table().table_name(&fx.table).send().await.expect("describe_table");
    let table = table.table().expect("table description");
    let keys: Vec<(&str, &KeyType)> = table.key_schema().iter().map(|k| (k.attribute_name(), k.key_type())).collect();
    assert_eq!(keys, [("pk", &KeyType::Hash), ("sk", &KeyType::Range)]);
    let gsi = table.global_secondary_indexes();
    assert_eq!(gsi.len(), 2);
    let keys_of = |name: &str| -> Vec<(&str, &KeyType)> {
        let index = gsi.iter().find(|g| g.index_name() == Some(name)).unwrap_or_else(|| panic!("no index {name}"));
        index.key_schema().iter().map(|k| (k.attribute_name(), k.key_type())).collect()
    };
    assert_eq!(keys_of(&fx.index), [("pk", &KeyType::Hash), ("status", &KeyType::Range)]);
    assert_eq!(keys_of(&fx.customer_index), [(fx.customer_key.as_str(), &KeyType::Hash)]);
}

#[tokio::test]
async fn fixture_users_have_tenants_and_tokens() {
    let (_, fx) = shared();
    let expected = [
        ("alice", Some("acme")),
        ("bob", Some("globex")),
        ("carol", None),
        ("mallory", Some("*")),
        ("eve", Some("acme#x")),
    ];
    for (name, tenant) in expected {
        let user = fx.user(name);
        assert_eq!(user.tenant.as_deref(), tenant, "{name}");
        assert!(!user.sub.is_empty(), "{name}");

        let id = segment(&user.id_token, 1);
        assert_eq!(id["token_use"], "id", "{name}");
        assert_eq!(id["aud"], fx.client_id.as_str(), "{name}");
        assert_eq!(id["iss"], fx.issuer.as_str(), "{name}");
        assert_eq!(id["sub"], user.sub.as_str(), "{name}");
        assert_eq!(id["cognito:username"], name);
        assert_eq!(id.get("custom:tenant_id").and_then(Value::as_str), tenant, "{name}");

        let access = segment(&user.access_token, 1);
        assert_eq!(access["token_use"], "access", "{name}");
        assert_eq!(access["client_id"], fx.client_id.as_str(), "{name}");
        assert_eq!(access["iss"], fx.issuer.as_str(), "{name}");
        assert_eq!(access["sub"], user.sub.as_str(), "{name}");
        assert!(access.get("aud").is_none(), "{name}: access tokens carry no aud");
        assert!(access.get("custom:tenant_id").is_none(), "{name}: access tokens carry no custom attributes");
    }
    // alice and bob are distinct principals.
    assert_ne!(fx.user("alice").sub, fx.user("bob").sub);
    // The issuer names the pool, but not the moto endpoint: keys come from jwks_url.
    assert!(fx.issuer.ends_with(&format!("/{}", fx.user_pool_id)), "{}", fx.issuer);
    assert!(!fx.issuer.starts_with(&fx.endpoint));
    assert_eq!(fx.jwks_url, format!("{}/{}/.well-known/jwks.json", fx.endpoint, fx.user_pool_id));
}

#[tokio::test]
async fn jwks_verifies_fixture_tokens() {
    let (_, fx) = shared();
    let jwks: JwkSet = reqwest::get(&fx.jwks_url)
        .await
        .expect("GET jwks_url")
        .error_for_status()
        .expect("jwks status")
        .json()
        .await
        .expect("JWKS JSON");

    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[&fx.issuer]);
    validation.set_audience(&[&fx.client_id]);
    for name in ["alice", "bob"] {
        let token = &fx.user(name).id_token;
        let header = jsonwebtoken::decode_header(token).expect("JWT header");
        let kid = header.kid.expect("moto sets kid");
        let key = DecodingKey::from_jwk(jwks.find(&kid).expect("kid is in the JWKS")).expect("RSA JWK");
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).expect("ID token verifies");
        assert_eq!(data.claims["custom:tenant_id"], fx.user(name).tenant.as_deref().expect("tenant"));

        // A token altered after signing must not verify: the check above is a real one.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims = segment(token, 1);
        claims["custom:tenant_id"] = Value::from("globex-but-forged");
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("claims JSON"));
        let forged = parts.join(".");
        assert!(jsonwebtoken::decode::<Value>(&forged, &key, &validation).is_err(), "{name}: forged token verified");
    }
}

#[tokio::test]
async fn fixture_role_can_be_assumed() {
    let (_, fx) = shared();
    let sts = aws_sdk_sts::Client::new(&sdk_config(&fx.endpoint).await);
    let out = sts
        .assume_role()
        .role_arn(&fx.role_arn)
        .role_session_name("tenant-acme")
        .duration_seconds(900)
        .send()
        .await
        .expect("assume_role on the fixture role");
    let user = out.assumed_role_user().expect("assumed role user");
    assert_eq!(user.arn(), format!("arn:aws:sts::{}:assumed-role/TenantData/tenant-acme", fx.account));
    let creds = out.credentials().expect("credentials");
    assert!(!creds.access_key_id().is_empty() && !creds.session_token().is_empty());
}

#[tokio::test]
async fn stop_refuses_and_restart_returns_on_same_port() {
    let mut moto = tenant_isolation_tests::start_moto();
    let port = moto.port();
    let endpoint = moto.endpoint();
    // The harness's usual client (standard retries), and one without retries for the refusal.
    let client = aws_sdk_dynamodb::Client::new(&sdk_config(&endpoint).await);
    let no_retry = dynamodb(&endpoint).await;

    client
        .create_table()
        .table_name("Scratch")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition"),
        )
        .key_schema(KeySchemaElement::builder().attribute_name("pk").key_type(KeyType::Hash).build().expect("key"))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create_table on a fresh moto");
    let before = client.list_tables().send().await.expect("list_tables before stop");
    assert_eq!(before.table_names(), ["Scratch"]);

    moto.stop();
    assert!(!moto.is_running());
    assert_eq!(moto.port(), port, "stop keeps the port");
    assert!(refuses_connections(port), "port {port} still accepts connections after stop()");
    let err = no_retry.list_tables().send().await.expect_err("list_tables must fail while moto is stopped");
    assert!(
        matches!(err, aws_sdk_dynamodb::error::SdkError::DispatchFailure(_)),
        "expected a connection failure, got {err:?}"
    );

    moto.restart();
    assert_eq!(moto.port(), port, "restart uses the same port");
    assert_eq!(moto.endpoint(), endpoint);
    // The same clients (same endpoint) work again; moto's state was in memory and is gone.
    no_retry.list_tables().send().await.expect("list_tables (no retries) after restart");
    let after = client.list_tables().send().await.expect("list_tables after restart");
    assert!(after.table_names().is_empty(), "state survived a restart: {:?}", after.table_names());

    // A restarted moto can be provisioned again.
    let fx: Fixture = provision(&moto);
    assert_eq!(fx.endpoint, endpoint);
    assert_eq!(fx.user("alice").tenant.as_deref(), Some("acme"));
}

/// Env var that makes `helper_hold_moto_until_killed` start a moto and wait to be killed.

#[test]
fn moto_dies_with_the_test_process() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hold-moto"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning the helper test process");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut port = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("helper stdout");
        if let Some((_, rest)) = line.split_once("MOTO_PORT=") {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            port = Some(digits.parse::<u16>().expect("port number"));
            break;
        }
    }
    let Some(port) = port else {
        let status = child.wait();
        panic!("helper printed no MOTO_PORT line (exit: {status:?})");
    };
    assert!(!refuses_connections(port), "helper's moto on {port} is not up");

    // SIGKILL: no destructor runs, only the watchdog can take moto down.
    child.kill().expect("killing the helper");
    child.wait().expect("reaping the helper");

    let deadline = Instant::now() + Duration::from_secs(10);
    while !refuses_connections(port) {
        assert!(Instant::now() < deadline, "moto on port {port} outlived its test process by 10 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}
