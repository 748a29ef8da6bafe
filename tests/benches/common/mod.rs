//! Set-up shared by the benchmarks: verifiers and tokens in HS256 and RS256, an event that is
//! nothing but a bearer token, and an `Isolation` against moto.

#![allow(dead_code)] // each bench uses a part

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use lambda_runtime::LambdaEvent;
use serde_json::{Map, Value};
use tenant_isolation::{Isolation, IsolationError, TenantId, TenantPayload, TenantTable, Verifier, tenant_isolated};
use tenant_isolation_testkit::keys::KID_RSA1;
use tenant_isolation_testkit::tokens::{self, AUDIENCE, HS256_SECRET, ISSUER};
use tenant_isolation_testkit::{JwksServer, Keys, Reply};

/// An event that is only a bearer token: the event type costs nothing, so the measurement
/// is the isolation path itself.
pub(crate) struct Bearer(pub(crate) &'static str);

impl TenantPayload for Bearer {
    type Caller = tenant_isolation::event::Invocation;
    fn bearer_token(&self) -> Option<&str> {
        Some(self.0)
    }
}

/// `token` as Lambda delivers a custom event (an empty context: no Lambda tenant id).
pub(crate) fn bearer(token: &'static str) -> LambdaEvent<Bearer> {
    LambdaEvent::new(Bearer(token), lambda_runtime::Context::default())
}

/// The handler's answer.
pub(crate) struct Done;

/// A handler on the warm path: its body takes the scoped, guarded client handle (a `GetItem`
/// builder with the table name set, as the data layer does) and sends nothing.
#[tenant_isolated(table = "Orders", actions = [GetItem])]
pub(crate) async fn warm(orders: TenantTable, event: LambdaEvent<Bearer>) -> Result<Done, IsolationError> {
    let _ = event;
    std::hint::black_box(orders.get_item()?);
    Ok(Done)
}

/// One algorithm's verifier, a token it accepts, and the bare `jsonwebtoken` set-up that
/// checks the same things (signature, `exp`, `nbf`, `iss`, `aud`) for the floor.
pub(crate) struct Jwt {
    pub(crate) name: &'static str,
    pub(crate) verifier: Verifier,
    pub(crate) token: &'static str,
    pub(crate) tenant: TenantId,
    pub(crate) bare_key: DecodingKey,
    pub(crate) bare_validation: Validation,
    /// Keeps the key-set server alive (RS256).
    _server: Option<JwksServer>,
}

impl Jwt {
    /// The floor: `jsonwebtoken::decode` of the same token, with the same checks.
    pub(crate) fn bare_verify(&self) -> Map<String, Value> {
        jsonwebtoken::decode::<Map<String, Value>>(self.token, &self.bare_key, &self.bare_validation)
            .expect("the token is valid")
            .claims
    }
}

/// Claims for `tenant`, valid for an hour (the whole run).
fn claims(tenant: &str) -> Value {
    tokens::with(tokens::claims(tenant), "exp", serde_json::json!(tokens::now() + 3600))
}

fn bare_validation(alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = 30;
    v.validate_nbf = true;
    v.set_required_spec_claims(&["exp", "iss"]);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[AUDIENCE]);
    v
}

/// HS256: a development verifier with a shared secret (nothing fetched).
pub(crate) fn hs256(tenant: &str) -> Jwt {
    let verifier = Verifier::builder()
        .development_hs256(HS256_SECRET)
        .issuer(ISSUER)
        .audience([AUDIENCE])
        .build()
        .expect("HS256 verifier config");
    let token = tokens::sign(&EncodingKey::from_secret(HS256_SECRET), Algorithm::HS256, None, &claims(tenant));
    Jwt {
        name: "HS256",
        verifier,
        token: Box::leak(token.into_boxed_str()),
        tenant: TenantId::parse(tenant).expect("tenant"),
        bare_key: DecodingKey::from_secret(HS256_SECRET),
        bare_validation: bare_validation(Algorithm::HS256),
        _server: None,
    }
}

/// RS256 (RSA 2048): a verifier over a key set served on 127.0.0.1 (fetched once, then
/// cached), as with Cognito. Needs a running tokio runtime (the key-set server).
pub(crate) async fn rs256(tenant: &str) -> Jwt {
    let keys = Keys::bundled();
    let server = JwksServer::start(Reply::Json(keys.key_set())).await;
    let verifier = tokens::verifier_builder(&server.jwks_url()).build().expect("RS256 verifier config");
    let token = tokens::rs256(&keys, &claims(tenant));
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(Keys::jwk(&keys.rsa1, Algorithm::RS256, KID_RSA1)).expect("JWK");
    Jwt {
        name: "RS256",
        verifier,
        token: Box::leak(token.into_boxed_str()),
        tenant: TenantId::parse(tenant).expect("tenant"),
        bare_key: DecodingKey::from_jwk(&jwk).expect("decoding key"),
        bare_validation: bare_validation(Algorithm::RS256),
        _server: Some(server),
    }
}

/// An `Isolation` with `verifier` against the shared moto of this process (STS for the
/// credentials; started on first use, killed with the process).
pub(crate) async fn isolation(verifier: Verifier) -> Isolation {
    let (_, fx) = tenant_isolation_tests::shared();
    Isolation::builder()
        .sdk_config(tenant_isolation_tests::sdk_config(&fx.endpoint).await)
        .role_arn(fx.role_arn.clone())
        .verifier(verifier)
        .build()
        .await
        .expect("isolation config")
}
