//! Shared set-up: an `Isolation` against the shared moto, and test handlers.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_runtime::LambdaEvent;
use tenant_isolation::{Isolation, IsolationBuilder, TenantTable, Verifier, tenant_isolated};
use tenant_isolation_tests::{Fixture, sdk_config, shared};

/// A verifier for the fixture's Cognito pool (ID tokens carry `custom:tenant_id`).
pub(crate) fn cognito_verifier(fx: &Fixture) -> Verifier {
    Verifier::builder()
        .issuer(fx.issuer.clone())
        .jwks_url(fx.jwks_url.clone())
        .allow_insecure_loopback(true)
        .audience([fx.client_id.clone()])
        .tenant_claim("custom:tenant_id")
        .build()
        .expect("fixture verifier config is valid")
}

/// A fresh runtime (its own cache and counters) on the shared moto, customised by `f`.
pub(crate) async fn isolation_with(f: impl FnOnce(IsolationBuilder) -> IsolationBuilder) -> Isolation {
    isolation_on_with(&shared().1, f).await
}

/// A fresh runtime on the moto of `fx` (a test's own server, whose recorder it reads).
pub(crate) async fn isolation_on(fx: &Fixture) -> Isolation {
    isolation_on_with(fx, |b| b).await
}

async fn isolation_on_with(fx: &Fixture, f: impl FnOnce(IsolationBuilder) -> IsolationBuilder) -> Isolation {
    // moto serves S3 on its one port: path-style addressing (`bucket` in the path, not the host).
    let builder = Isolation::builder()
        .s3_force_path_style(true)
        .sdk_config(sdk_config(&fx.endpoint).await)
        .role_arn(fx.role_arn.clone())
        .verifier(cognito_verifier(fx));
    f(builder).build().await.expect("isolation config is valid")
}

const DEVELOPMENT_SECRET: &[u8] = b"a-development-secret-of-32-bytes-or-more";

/// The development-mode (HS256) verifier of [`development_token`]'s tokens.
pub(crate) fn development_verifier() -> Verifier {
    Verifier::builder()
        .development_hs256(DEVELOPMENT_SECRET)
        .issuer("https://issuer.test")
        .audience(["orders"])
        .build()
        .expect("development verifier config is valid")
}

/// A token of [`development_verifier`]'s issuer and audience with `claims` besides (a tenant
/// claim, or none).
pub(crate) fn development_token(claims: serde_json::Value) -> String {
    let mut all = serde_json::json!({ "iss": "https://issuer.test", "aud": "orders",
        "exp": jsonwebtoken::get_current_timestamp() + 600 });
    all.as_object_mut().unwrap().extend(claims.as_object().expect("claims are an object").clone());
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &all,
        &jsonwebtoken::EncodingKey::from_secret(DEVELOPMENT_SECRET),
    )
    .expect("HS256 signing")
}

/// A fresh runtime in development mode (HS256), and a minter of its tokens: for tests that need
/// many tenants without a Cognito user each.
pub(crate) async fn development_isolation() -> (Isolation, impl Fn(&str) -> String + Clone) {
    let mint = |tenant: &str| development_token(serde_json::json!({ "sub": tenant, "tenant_id": tenant }));
    (isolation_with(|b| b.verifier(development_verifier())).await, mint)
}

/// A `lambda_http` request carrying the fixture user's ID token.
pub(crate) fn request_of(user: &str) -> lambda_http::Request {
    let token = &shared().1.user(user).id_token;
    http::Request::builder()
        .header("authorization", format!("Bearer {token}"))
        .body(lambda_http::Body::Empty)
        .expect("a valid request")
}

/// A fresh runtime with the defaults.
pub(crate) async fn isolation() -> Isolation {
    isolation_with(|b| b).await
}

/// Reads and writes `Orders` items (used by several test modules).
#[tenant_isolated(table = "Orders", actions = [GetItem, PutItem, Query])]
pub async fn items(
    table: TenantTable,
    event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = (table, event);
    Ok(ApiGatewayV2httpResponse::default())
}

/// Only reads one item.
#[tenant_isolated(table = "Orders", actions = [GetItem])]
pub async fn read_only(
    table: TenantTable,
    event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = (table, event);
    Ok(ApiGatewayV2httpResponse::default())
}

/// A unique suffix for keys, so that parallel tests never collide.
pub(crate) fn unique(label: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{label}-{nanos:x}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A writer the metrics tests read back (EMF lines).
#[derive(Clone, Default)]
pub(crate) struct Lines(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
