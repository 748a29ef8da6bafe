//! The STS stand-in against the Rust SDK: what `aws-sdk-sts` parses from its answers, what it
//! refuses and how, and an `Isolation` that takes its tenants' sessions from it.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_sts::error::ProvideErrorMetadata;
use std::borrow::Cow;
use std::collections::HashSet;
use std::time::{Duration, SystemTime};
use tenant_isolation::model::{Action, Confinement, HandlerModel, KeyRule, PhysicalName, TableModel};
use tenant_isolation::{HandlerSpec, Isolation, TenantId, Verifier};
use tenant_isolation_testkit::{StsServer, sts, tokens};

const ROLE: &str = "arn:aws:iam::123456789012:role/TenantData";

fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "test")))
        .build()
}

/// Seconds from now until `t` (negative if past).
fn from_now(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::now()) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

#[tokio::test]
async fn the_sdk_reads_fresh_credentials_and_the_assumed_role() {
    let server = StsServer::start().await;
    let client = aws_sdk_sts::Client::new(&sdk_config(&server.endpoint_url()));
    let mut keys = HashSet::new();
    for (session, duration) in [("tenant-acme", None), ("tenant-globex", Some(900))] {
        let out = client
            .assume_role()
            .role_arn(ROLE)
            .role_session_name(session)
            .policy(r#"{"Version":"2012-10-17","Statement":[]}"#)
            .set_duration_seconds(duration)
            .send()
            .await
            .unwrap();
        let c = out.credentials().expect("credentials");
        assert!(c.access_key_id().starts_with("ASIA") && c.access_key_id().len() == 20, "{}", c.access_key_id());
        assert_eq!(c.secret_access_key().len(), 40);
        assert_eq!(c.session_token().len(), sts::DEFAULT_SESSION_TOKEN_LEN);
        let expires_in = from_now(SystemTime::try_from(*c.expiration()).unwrap());
        let asked = i64::from(duration.unwrap_or(3600));
        assert!((asked - 5..=asked).contains(&expires_in), "expires in {expires_in} s, asked for {asked} s");
        let user = out.assumed_role_user().expect("assumed role user");
        assert_eq!(user.arn(), format!("arn:aws:sts::123456789012:assumed-role/TenantData/{session}"));
        assert!(user.assumed_role_id().ends_with(&format!(":{session}")), "{}", user.assumed_role_id());
        keys.insert(c.access_key_id().to_owned());
    }
    assert_eq!(keys.len(), 2, "each call has credentials of its own");
    assert_eq!((server.assume_role_calls(), server.requests()), (2, 2));

    let short = StsServer::with_session_token_len(64).await;
    let out = aws_sdk_sts::Client::new(&sdk_config(&short.endpoint_url()))
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("tenant-acme")
        .send()
        .await
        .unwrap();
    assert_eq!(out.credentials().unwrap().session_token().len(), 64);
}

#[tokio::test]
async fn bad_requests_get_sts_errors() {
    let server = StsServer::start().await;
    let client = aws_sdk_sts::Client::new(&sdk_config(&server.endpoint_url()));
    let err = client.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidAction"), "{err:?}");

    let assume = |role: &str, session: &str, duration: Option<i32>| {
        client.assume_role().role_arn(role).role_session_name(session).set_duration_seconds(duration).send()
    };
    for (role, session, duration) in [
        ("TenantData", "tenant-acme", None),
        ("arn:aws:iam::123456789012:user/TenantData", "tenant-acme", None),
        (ROLE, "x", None),
        (ROLE, "tenant acme", None),
        (ROLE, &"x".repeat(65), None),
        (ROLE, "tenant-acme", Some(899)),
        (ROLE, "tenant-acme", Some(43_201)),
    ] {
        let err = assume(role, session, duration).await.unwrap_err();
        assert_eq!(err.code(), Some("ValidationError"), "{role} {session} {duration:?}: {err:?}");
        assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    }
    assert_eq!((server.assume_role_calls(), server.requests()), (0, 8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_isolation_takes_its_sessions_from_the_stand_in() {
    let server = StsServer::start().await;
    let table = TableModel {
        table: PhysicalName::Fixed("Orders".into()),
        indexes: Cow::Borrowed(&[]),
        actions: Cow::Borrowed(&[Action::GetItem]),
        keys: KeyRule::new("TENANT#"),
    };
    let model = HandlerModel::one_table(table, Confinement::SessionPolicy);
    let spec = HandlerSpec::new("get_order", model).unwrap().leak();
    let verifier = Verifier::builder()
        .issuer(tokens::ISSUER)
        .audience([tokens::AUDIENCE])
        .development_hs256(tokens::HS256_SECRET)
        .build()
        .unwrap();
    let iso = Isolation::builder()
        .sdk_config(sdk_config(&server.endpoint_url()))
        .role_arn(ROLE)
        .verifier(verifier)
        .session_duration(Duration::from_secs(3600))
        .build()
        .await
        .unwrap();

    let tenants: Vec<TenantId> = (0..20).map(|i| TenantId::parse(&format!("tenant-{i}")).unwrap()).collect();
    // Each tenant twice, concurrently: one STS call per tenant, the second entry a hit or a
    // wait on the first's call.
    let tasks: Vec<_> = tenants
        .iter()
        .chain(&tenants)
        .map(|t| {
            let (iso, t) = (iso.clone(), t.clone());
            tokio::spawn(async move { iso.enter(spec, &t, None).await })
        })
        .collect();
    let mut keys = HashSet::new();
    for task in tasks {
        let scope = task.await.unwrap().unwrap();
        assert!(scope.access_key_id().starts_with("ASIA"));
        assert_eq!(
            scope.assumed_role_arn(),
            format!("arn:aws:sts::123456789012:assumed-role/TenantData/{}", scope.session_name())
        );
        let expires_in = from_now(scope.expires_at());
        assert!((3595..=3600).contains(&expires_in), "expires in {expires_in} s");
        keys.insert((scope.tenant().clone(), scope.access_key_id().to_owned()));
    }
    assert_eq!(keys.len(), tenants.len(), "one session per tenant");
    assert_eq!(server.assume_role_calls(), tenants.len() as u64);
    assert_eq!(iso.stats().sts_calls, tenants.len() as u64);
    assert_eq!(iso.stats().sts_failures, 0);
}
