//! [`Local`]: everything a test of your own handlers needs to run them for tenant A and tenant
//! B on this machine, in a few lines: moto (STS, DynamoDB and S3) in a process that ends with the
//! test, a key set the runtime trusts, tokens minted for any tenant, an
//! [`Isolation`] per test, requests and Lambda contexts.
//!
//! A deployment whose tokens carry the tenant in another claim (Cognito's `custom:tenant_id`)
//! starts it with [`Local::builder`]: tokens are minted with that claim and the verifier reads it.
//!
//! ```no_run
//! use tenant_isolation_testkit::Local;
//!
//! # async fn test() {
//! let local = Local::start().await;
//! local.create_table("Orders", &[("ByStatus", "pk", Some("status"))]).await;
//! let isolation = local.isolation().await;
//! // Drive a handler as tenant `acme` …
//! let request: lambda_http::Request = local.request("acme", "GET", "/orders/1", None);
//! // let response = get_order::call_with(&isolation, request.into()).await;
//! # let _ = (isolation, request);
//! # }
//! ```

use crate::jwks::{JwksServer, Reply};
use crate::keys::Keys;
use crate::moto::{Moto, RecordedRequest};
use crate::records;
use crate::tokens;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};
use serde_json::{Value, json};
use tenant_isolation::identity::DEFAULT_TENANT_CLAIM;
use tenant_isolation::{Isolation, IsolationBuilder, Verifier};

/// The region of the local stand-ins.
pub const REGION: &str = "us-east-1";

/// The data-access role the local [`Isolation`] assumes (moto lets any role be assumed).
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/TenantData";

/// moto, a trusted key set and the settings that tie them to an [`Isolation`]. Everything
/// stops when it is dropped.
pub struct Local {
    moto: Moto,
    jwks: JwksServer,
    keys: Keys,
    tenant_claim: String,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local")
            .field("moto", &self.moto.endpoint())
            .field("jwks", &self.jwks.jwks_url())
            .field("tenant_claim", &self.tenant_claim)
            .finish()
    }
}

/// How a [`Local`] is set up, before it starts: [`Local::builder`].
///
/// ```no_run
/// use tenant_isolation_testkit::Local;
///
/// # async fn test() {
/// let local = Local::builder().tenant_claim("custom:tenant_id").start().await;
/// assert_eq!(local.tenant_claim(), "custom:tenant_id");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct LocalBuilder {
    tenant_claim: String,
}

impl LocalBuilder {
    /// The claim the deployment's tokens carry the tenant in (the verifier's
    /// [`tenant_claim`](tenant_isolation::identity::VerifierBuilder::tenant_claim), `TENANT_CLAIM`
    /// in a deployment): [`Local::token`] mints tokens with it and [`Local::verifier`] reads it.
    /// Default: the runtime's, [`DEFAULT_TENANT_CLAIM`] (`tenant_id`).
    pub fn tenant_claim(mut self, claim: &str) -> LocalBuilder {
        self.tenant_claim = claim.to_owned();
        self
    }

    /// Starts moto and a key-set server on 127.0.0.1 (see [`crate::moto::moto_server`] for
    /// where moto is looked for).
    pub async fn start(self) -> Local {
        let moto = tokio::task::spawn_blocking(Moto::start).await.expect("starting moto");
        let keys = Keys::bundled();
        let jwks = JwksServer::start(Reply::Json(keys.key_set())).await;
        Local { moto, jwks, keys, tenant_claim: self.tenant_claim }
    }
}

impl Local {
    /// Starts moto and a key-set server on 127.0.0.1 (see [`crate::moto::moto_server`] for
    /// where moto is looked for), tokens naming the tenant in `tenant_id`.
    pub async fn start() -> Local {
        Local::builder().start().await
    }

    /// A [`Local`] set up otherwise (the tenant claim), then [`LocalBuilder::start`]ed.
    pub fn builder() -> LocalBuilder {
        LocalBuilder { tenant_claim: DEFAULT_TENANT_CLAIM.to_owned() }
    }

    /// The claim tokens carry the tenant in ([`LocalBuilder::tenant_claim`]).
    pub fn tenant_claim(&self) -> &str {
        &self.tenant_claim
    }

    /// moto's endpoint, `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        self.moto.endpoint()
    }

    /// An SDK configuration aimed at moto, with test credentials (no environment read).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(aws_config::Region::new(REGION))
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "testkit"))
            .load()
            .await
    }

    /// A DynamoDB table keyed by `pk` (string) and `sk` (string), with global secondary
    /// indexes `(name, partition-key attribute, sort-key attribute)`, all attributes strings.
    ///
    /// # Panics
    /// If moto refuses it.
    pub async fn create_table(&self, name: &str, indexes: &[(&str, &str, Option<&str>)]) {
        let client = aws_sdk_dynamodb::Client::new(&self.sdk_config().await);
        let key = |attribute: &str, kind: KeyType| {
            KeySchemaElement::builder().attribute_name(attribute).key_type(kind).build().expect("key schema")
        };
        let mut attributes = vec!["pk".to_owned(), "sk".to_owned()];
        let mut request = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range));
        for (index, hash, range) in indexes {
            let mut gsi = GlobalSecondaryIndex::builder()
                .index_name(*index)
                .key_schema(key(hash, KeyType::Hash))
                .projection(Projection::builder().projection_type(ProjectionType::All).build());
            attributes.push((*hash).to_owned());
            if let Some(range) = range {
                gsi = gsi.key_schema(key(range, KeyType::Range));
                attributes.push((*range).to_owned());
            }
            request = request.global_secondary_indexes(gsi.build().expect("index"));
        }
        attributes.sort();
        attributes.dedup();
        for attribute in attributes {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("attribute definition"),
            );
        }
        request.send().await.unwrap_or_else(|e| panic!("creating table {name}: {e:?}"));
    }

    /// An S3 bucket (for handlers with `buckets(...)`; the [`Isolation`]s of this kit address S3
    /// path-style, as moto needs).
    ///
    /// # Panics
    /// If moto refuses it.
    pub async fn create_bucket(&self, name: &str) {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk_config().await).force_path_style(true).build();
        let s3 = aws_sdk_s3::Client::from_conf(conf);
        s3.create_bucket().bucket(name).send().await.unwrap_or_else(|e| panic!("creating bucket {name}: {e:?}"));
    }

    /// A secret named `name` (e.g. `tenants/acme/webhook`) with the string value `value`, for
    /// handlers with `secrets(...)`; its value is replaced when it exists.
    ///
    /// # Panics
    /// If moto refuses it.
    pub async fn put_secret(&self, name: &str, value: &str) {
        let client = aws_sdk_secretsmanager::Client::new(&self.sdk_config().await);
        let created = client.create_secret().name(name).secret_string(value).send().await;
        if let Err(e) = created {
            if !e.as_service_error().is_some_and(|e| e.is_resource_exists_exception()) {
                panic!("creating secret {name}: {e:?}");
            }
            client
                .put_secret_value()
                .secret_id(name)
                .secret_string(value)
                .send()
                .await
                .unwrap_or_else(|e| panic!("storing secret {name}: {e:?}"));
        }
    }

    /// A `String` parameter named `name` (e.g. `/tenants/acme/settings`) with the value
    /// `value`, for handlers with `parameters(...)`; overwritten when it exists.
    ///
    /// # Panics
    /// If moto refuses it.
    pub async fn put_parameter(&self, name: &str, value: &str) {
        let client = aws_sdk_ssm::Client::new(&self.sdk_config().await);
        client
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .overwrite(true)
            .send()
            .await
            .unwrap_or_else(|e| panic!("storing parameter {name}: {e:?}"));
    }

    /// A verifier that trusts the local key set (the tokens of [`Local::token`]) and reads the
    /// tenant from [`Local::tenant_claim`].
    pub fn verifier(&self) -> Verifier {
        tokens::verifier_builder(&self.jwks.jwks_url())
            .tenant_claim(self.tenant_claim.as_str())
            .build()
            .expect("the local verifier's settings are valid")
    }

    /// An [`Isolation`] on moto, trusting the local key set: one per test, with its own cache
    /// and counters.
    pub async fn isolation(&self) -> Isolation {
        self.isolation_with(|b| b).await
    }

    /// [`Local::isolation`], customised by `configure` (a session-tag role, a Lambda tenant
    /// mode, index partition keys …).
    pub async fn isolation_with(&self, configure: impl FnOnce(IsolationBuilder) -> IsolationBuilder) -> Isolation {
        // moto serves S3 on its one port: buckets go in the path, not the host name.
        let builder = Isolation::builder()
            .sdk_config(self.sdk_config().await)
            .s3_force_path_style(true)
            .role_arn(ROLE_ARN)
            .verifier(self.verifier());
        configure(builder).build().await.expect("the local isolation's settings are valid")
    }

    /// A valid ID token (RS256, from the local key set) naming `tenant` in
    /// [`Local::tenant_claim`] (`tenant_id` by default).
    pub fn token(&self, tenant: &str) -> String {
        self.sign(&self.token_claims(tenant))
    }

    /// A token with `claims` changed from a valid one's (`{"exp": 1}`, `{"tenant_id": "*"}` …).
    pub fn token_with(&self, tenant: &str, claims: Value) -> String {
        let mut base = self.token_claims(tenant);
        if let (Some(base), Value::Object(changes)) = (base.as_object_mut(), claims) {
            base.extend(changes);
        }
        self.sign(&base)
    }

    /// The claims of [`Local::token`]: [`tokens::claims`] with the tenant in
    /// [`Local::tenant_claim`] (and in no other claim).
    pub fn token_claims(&self, tenant: &str) -> Value {
        let mut claims = tokens::with(tokens::claims(tenant), tokens::CLAIM, Value::Null);
        claims[self.tenant_claim.as_str()] = json!(tenant);
        claims
    }

    /// `claims` as a token signed with the local key set (RS256), whatever they are: for tokens
    /// [`Local::token_with`] cannot write (a claim removed, e.g. `tenant_id` without
    /// `custom:tenant_id`: `local.sign(&tokens::claims("acme"))`).
    pub fn sign(&self, claims: &Value) -> String {
        tokens::rs256(&self.keys, claims)
    }

    /// An HTTP request as `tenant` (`Authorization: Bearer <token>`), with a JSON body if given:
    /// for an axum router (`http::Request<axum::body::Body>`), or a `lambda_http::Request`.
    pub fn request<B: From<String>>(
        &self,
        tenant: &str,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> http::Request<B> {
        let builder = http::Request::builder()
            .method(method)
            .uri(uri)
            .header(http::header::AUTHORIZATION, format!("Bearer {}", self.token(tenant)));
        match body {
            Some(body) => {
                builder.header(http::header::CONTENT_TYPE, "application/json").body(B::from(body.to_string()))
            }
            None => builder.body(B::from(String::new())),
        }
        .expect("the request's parts are valid")
    }

    /// The Lambda context of an invocation ([`records::context`]: a fresh request id, a deadline
    /// ahead), with the tenant id Lambda's tenant isolation mode would pass (or none).
    pub fn lambda_context(tenant_id: Option<&str>) -> lambda_runtime::Context {
        let mut context = records::context();
        context.tenant_id = tenant_id.map(str::to_owned);
        context
    }

    /// Claims as [`tokens::claims`] makes them, the tenant in `tenant_id` whatever the claim of
    /// a `Local` (for building other events; [`Local::token_claims`] uses a `Local`'s claim).
    pub fn claims(tenant: &str) -> Value {
        json!(tokens::claims(tenant))
    }

    /// Erases moto's request recording and starts recording ([`Moto::start_recording`]): then
    /// [`Local::recorded`] tells which access key signed each request. Each `Local` has a moto
    /// of its own, so the recording holds this test's requests only.
    ///
    /// ```no_run
    /// use tenant_isolation_testkit::Local;
    ///
    /// # async fn test() {
    /// let local = Local::start().await;
    /// local.start_recording().await;
    /// // … a batch handled for several tenants …
    /// let signed_by: Vec<(String, String)> = local
    ///     .recorded()
    ///     .await
    ///     .iter()
    ///     .filter_map(|r| Some((r.dynamodb_operation()?.to_owned(), r.access_key_id()?.to_owned())))
    ///     .collect();
    /// # let _ = signed_by;
    /// # }
    /// ```
    pub async fn start_recording(&self) {
        let moto = self.moto.recorder();
        tokio::task::spawn_blocking(move || moto.start_recording()).await.expect("starting moto's recorder");
    }

    /// Stops moto's recorder and returns what it recorded since [`Local::start_recording`], in
    /// order ([`Moto::stop_recording`]).
    pub async fn recorded(&self) -> Vec<RecordedRequest> {
        let moto = self.moto.recorder();
        tokio::task::spawn_blocking(move || moto.stop_recording()).await.expect("reading moto's recording")
    }
}
