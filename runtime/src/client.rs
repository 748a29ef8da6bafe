//! The DynamoDB client of each handler policy (and its S3 client, for a policy with buckets,
//! feature `s3`; its Secrets Manager, Systems Manager and SQS clients, for a policy with
//! secrets, parameters or queues, features `secretsmanager`, `ssm` and `sqs`): built once per
//! policy, shared by its tenants, with the guard of its service as its interceptor and no
//! credentials of its own (see `signing.rs`).
//!
//! This is also where a spec is checked before its first use: its template must be what its
//! model compiles to ([`HandlerSpec::verify`]), the features its resources need must be built in,
//! its physical table must be placeable, and its key and name rules must not overlap one served
//! in the process (`registry::claim`).

use crate::config::{ConfigError, Env};
use crate::guard::{Guard, KeySchema, TableRules};
use crate::registry::Claims;
use crate::session::{ObjectSettings, PolicyClient, PolicyKey};
use crate::signing::{FromRequest, NoAmbientCredentials};
use crate::spec::{HandlerSpec, SetupError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use tenant_isolation_core::{
    MAX_BOUND_TABLE_NAME_LEN, MAX_SESSION_POLICY_CHARS, MAX_TENANT_ID_LEN, Placement, PlacementError, RoleArn, Service,
    worst_case_for,
};

/// Builds and keeps the policy clients.
pub(crate) struct Clients {
    sdk: aws_config::SdkConfig,
    role: RoleArn,
    region: String,
    keys: KeySchema,
    timeouts: aws_smithy_types::timeout::TimeoutConfig,
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    objects: ObjectSettings,
    /// The environment as captured when the `Isolation` was built: where the physical names
    /// that `table_env`/`bucket_env` variables bind are read, so that a client built on a
    /// request reads no variable.
    names: Env,
    /// Per spec (by address), after its check: the fast path of every invocation.
    by_spec: RwLock<HashMap<usize, Arc<PolicyClient>>>,
    /// Per policy: handlers with the same policy share one client.
    by_policy: Mutex<HashMap<PolicyKey, Arc<PolicyClient>>>,
}

impl Clients {
    pub(crate) fn new(
        sdk: aws_config::SdkConfig,
        role: RoleArn,
        region: String,
        keys: KeySchema,
        timeouts: aws_smithy_types::timeout::TimeoutConfig,
        objects: ObjectSettings,
        names: Env,
    ) -> Clients {
        Clients {
            sdk,
            role,
            region,
            keys,
            timeouts,
            objects,
            names,
            by_spec: Default::default(),
            by_policy: Default::default(),
        }
    }

    /// The partition-key attributes the key guards check.
    pub(crate) fn keys(&self) -> &KeySchema {
        &self.keys
    }

    /// Where physical names are read from: the environment captured at build.
    pub(crate) fn names(&self) -> &Env {
        &self.names
    }

    /// The placement (partition, region, account, physical names) of a spec in this deployment.
    pub(crate) fn placement(&self, spec: &'static HandlerSpec) -> Result<Placement, ConfigError> {
        let placement = spec.placement_in(&self.role, &self.region, &self.names).map_err(|e| {
            // Name the variable that bound the refused name, when one did.
            let var = match &e {
                PlacementError::Table(n)
                | PlacementError::Bucket(n)
                | PlacementError::Queue(n)
                | PlacementError::KmsKey(n)
                | PlacementError::Shared(n) => binding_of(spec, n, &self.names),
                _ => None,
            };
            ConfigError::invalid(var.unwrap_or("AWS_REGION"), e.to_string())
        })?;
        owned_shared_queue(spec, &placement)?;
        Ok(placement)
    }

    /// The client of `spec`'s policy: checked and built on the spec's first use.
    pub(crate) fn get(&self, spec: &'static HandlerSpec) -> Result<Arc<PolicyClient>, SetupError> {
        let id = std::ptr::from_ref(spec) as usize;
        if let Some(client) = self.by_spec.read().unwrap_or_else(PoisonError::into_inner).get(&id) {
            return Ok(client.clone());
        }
        spec.verify()?;
        if let Some(refusal) = feature_refusal(spec, compiled_in) {
            return Err(refusal.into());
        }
        let placement = self.placement(spec)?;
        fits(spec, &placement)?;
        let key = PolicyKey::of(spec, &placement);
        let mut by_policy = self.by_policy.lock().unwrap_or_else(PoisonError::into_inner);
        let client = match by_policy.get(&key) {
            Some(client) => client.clone(),
            None => {
                // Two key rules on one physical table where one prefix starts the other:
                // tenant `ORG` of `TENANT#` would own every key of `TENANT#ORG#`. Checked against
                // every rule served in the process, by this runtime or another.
                let claims = crate::registry::claim(spec, &placement).map_err(|overlap| {
                    let setting = match overlap.kind {
                        crate::registry::ResourceKind::Names(_) => "prefix",
                        _ => "key_prefix",
                    };
                    ConfigError::invalid(setting, overlap.to_string())
                })?;
                let client = Arc::new(self.build(spec, key.clone(), &placement, claims));
                by_policy.insert(key, client.clone());
                client
            }
        };
        drop(by_policy);
        self.by_spec.write().unwrap_or_else(PoisonError::into_inner).insert(id, client.clone());
        Ok(client)
    }

    fn build(&self, spec: &'static HandlerSpec, key: PolicyKey, placement: &Placement, claims: Claims) -> PolicyClient {
        let guard = Guard::new(spec, key.clone(), placement, TableRules::new(spec, placement, self.keys.clone()));
        // No client-wide identity: the execution role's credentials from the `SdkConfig` are
        // replaced by a provider that always fails, and the identity cache hands the signer
        // only the credentials that the key guard attached to the request (`signing.rs`).
        let conf = aws_sdk_dynamodb::config::Builder::from(&self.sdk)
            .credentials_provider(NoAmbientCredentials)
            .identity_cache(FromRequest)
            .timeout_config(self.timeouts.clone())
            .interceptor(guard)
            .build();
        PolicyClient {
            key,
            spec,
            placement: placement.clone(),
            _claims: claims,
            client: aws_sdk_dynamodb::Client::from_conf(conf),
            #[cfg(feature = "s3")]
            s3: (!spec.buckets().is_empty()).then(|| crate::session::LazyObjects {
                sdk: self.sdk.clone(),
                settings: self.objects.clone(),
                client: Default::default(),
            }),
            #[cfg(feature = "secretsmanager")]
            secretsmanager: self.lazy(spec, Service::SecretsManager),
            #[cfg(feature = "ssm")]
            ssm: self.lazy(spec, Service::Ssm),
            #[cfg(feature = "sqs")]
            sqs: self.lazy(spec, Service::Sqs),
        }
    }

    /// What the client of `service` is built from, for a policy that declares names of it.
    #[cfg(any(feature = "secretsmanager", feature = "ssm"))]
    fn lazy<C>(&self, spec: &'static HandlerSpec, service: Service) -> Option<crate::session::LazyClient<C>> {
        spec.model().named.iter().any(|n| n.service() == service).then(|| crate::session::LazyClient {
            sdk: self.sdk.clone(),
            timeouts: self.timeouts.clone(),
            client: Default::default(),
        })
    }
}

/// Whether this build has the cargo feature `feature` of tenant-isolation.
fn compiled_in(feature: &str) -> bool {
    const BUILT: [(&str, bool); 4] = [
        ("s3", cfg!(feature = "s3")),
        ("secretsmanager", cfg!(feature = "secretsmanager")),
        ("ssm", cfg!(feature = "ssm")),
        ("sqs", cfg!(feature = "sqs")),
    ];
    BUILT.iter().any(|(name, on)| *name == feature && *on)
}

/// The refusal of a spec that declares resources whose service this build lacks (`enabled`
/// says which features it has): buckets need `s3`, `secrets(...)` `secretsmanager`,
/// `parameters(...)` `ssm`, `queues(...)` `sqs`. The macro stops such a handler at compile time
/// (`__private::require_*`); a spec built without it (`HandlerSpec::new`) is stopped here, at
/// setup, before any tenant's request.
fn feature_refusal(spec: &HandlerSpec, enabled: impl Fn(&str) -> bool) -> Option<ConfigError> {
    let buckets = (!spec.buckets().is_empty()).then_some(("buckets", "s3"));
    let named = Service::ALL.iter().filter(|s| spec.model().named.iter().any(|n| n.service() == **s)).map(|s| {
        let feature = match s {
            Service::SecretsManager => "secretsmanager",
            Service::Ssm => "ssm",
            Service::Sqs => "sqs",
        };
        (s.argument(), feature)
    });
    let (argument, feature) = buckets.into_iter().chain(named).find(|(_, feature)| !enabled(feature))?;
    Some(ConfigError::invalid(
        argument,
        format!("handler `{}` declares {argument}: enable the `{feature}` feature of tenant-isolation", spec.name()),
    ))
}

/// The SQS client of a policy with queues, built on its first use as the S3 client is: no
/// identity of its own, the request's own credentials (attached by the queue guard) or none,
/// and only code reached from a queue handle (`Scope::sqs`, `TenantQueue`) refers to
/// `aws-sdk-sqs`.
#[cfg(feature = "sqs")]
impl PolicyClient {
    pub(crate) fn sqs(&self) -> Option<&aws_sdk_sqs::Client> {
        let lazy = self.sqs.as_ref()?;
        Some(lazy.client.get_or_init(|| {
            let guard = Guard::new(
                self.spec,
                self.key.clone(),
                &self.placement,
                crate::guard::QueueRules::new(self.spec, &self.placement),
            );
            // The region, the HTTP client and the endpoint (`AWS_ENDPOINT_URL_SQS`, else
            // `AWS_ENDPOINT_URL`) come from the SDK config, as for DynamoDB.
            let conf = aws_sdk_sqs::config::Builder::from(&lazy.sdk)
                .credentials_provider(NoAmbientCredentials)
                .identity_cache(FromRequest)
                .timeout_config(lazy.timeouts.clone())
                .interceptor(guard)
                .build();
            aws_sdk_sqs::Client::from_conf(conf)
        }))
    }
}

/// The S3 client of a policy with buckets, built on its first use (below): built as the
/// DynamoDB client is, with no identity of its own, the request's own credentials (attached by
/// the object guard) or none.
///
/// Built lazily so that only code reached from a bucket handler (`Scope::s3`, `TenantBucket`)
/// refers to `aws-sdk-s3`: a DynamoDB-only binary of a crate that enables `s3` for its other
/// binaries links none of it (docs/BENCHMARKS.md, binary size).
#[cfg(feature = "s3")]
impl PolicyClient {
    pub(crate) fn s3(&self) -> Option<&aws_sdk_s3::Client> {
        let lazy = self.s3.as_ref()?;
        Some(lazy.client.get_or_init(|| {
            let rules = crate::guard::ObjectRules::new(self.spec, &self.placement);
            let guard = Guard::new(self.spec, self.key.clone(), &self.placement, rules);
            // `Builder::from(&SdkConfig)` takes the region, the HTTP client and the endpoint
            // (`AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`) from the SDK config, as for DynamoDB.
            let conf = aws_sdk_s3::config::Builder::from(&lazy.sdk)
                .credentials_provider(NoAmbientCredentials)
                .identity_cache(FromRequest)
                .timeout_config(lazy.settings.timeouts.clone())
                .force_path_style(lazy.settings.path_style)
                // S3 Express (directory buckets) signs with session credentials from its own
                // `CreateSession` call, which the object guard never checks; directory buckets
                // are not supported.
                .disable_s3_express_session_auth(true)
                .interceptor(guard)
                .build();
            aws_sdk_s3::Client::from_conf(conf)
        }))
    }
}

/// Whether `spec`'s session policy, rendered with this deployment's names, fits STS's limit for
/// every tenant. The compiled bound counts a table name bound at run time at
/// [`MAX_BOUND_TABLE_NAME_LEN`] characters; a longer name is served when the policy still fits
/// and refused here, before any tenant's session, naming the variables, when it does not.
fn fits(spec: &'static HandlerSpec, placement: &Placement) -> Result<(), ConfigError> {
    if spec.model().session_tag().is_some() {
        // No session policy is sent in session-tag mode.
        return Ok(());
    }
    let worst = worst_case_for(spec.template(), placement);
    if worst <= MAX_SESSION_POLICY_CHARS {
        return Ok(());
    }
    let vars: Vec<&str> = spec.tables().iter().filter_map(|t| t.table.env_var()).collect();
    Err(ConfigError::invalid(
        vars.first().copied().unwrap_or("AWS_REGION"),
        format!(
            "handler `{}`: with the table names bound here ({}), its session policy can reach {worst} characters \
             for a {MAX_TENANT_ID_LEN}-character tenant id, and STS accepts at most {MAX_SESSION_POLICY_CHARS} \
             (the compiled bound counts bound table names at {MAX_BOUND_TABLE_NAME_LEN} characters): shorten the \
             names or use session-tag mode",
            spec.name(),
            vars.join(", "),
        ),
    ))
}

/// The Secrets Manager client of a policy with secrets, built on its first use (below) as the S3
/// client is: no identity of its own, the secret guard as its interceptor, the request's own
/// credentials (attached by the guard) or none. `Builder::from(&SdkConfig)` takes the region, the
/// HTTP client and the endpoint (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL`).
#[cfg(feature = "secretsmanager")]
impl PolicyClient {
    pub(crate) fn secretsmanager(&self) -> Option<&aws_sdk_secretsmanager::Client> {
        let lazy = self.secretsmanager.as_ref()?;
        Some(lazy.client.get_or_init(|| {
            let guard =
                Guard::new(self.spec, self.key.clone(), &self.placement, crate::guard::SecretRules::new(self.spec));
            let conf = aws_sdk_secretsmanager::config::Builder::from(&lazy.sdk)
                .credentials_provider(NoAmbientCredentials)
                .identity_cache(FromRequest)
                .timeout_config(lazy.timeouts.clone())
                .interceptor(guard)
                .build();
            aws_sdk_secretsmanager::Client::from_conf(conf)
        }))
    }
}

/// The Systems Manager client of a policy with parameters, built on its first use as the
/// Secrets Manager client is (endpoint: `AWS_ENDPOINT_URL_SSM`, else `AWS_ENDPOINT_URL`).
#[cfg(feature = "ssm")]
impl PolicyClient {
    pub(crate) fn ssm(&self) -> Option<&aws_sdk_ssm::Client> {
        let lazy = self.ssm.as_ref()?;
        Some(lazy.client.get_or_init(|| {
            let guard =
                Guard::new(self.spec, self.key.clone(), &self.placement, crate::guard::ParameterRules::new(self.spec));
            let conf = aws_sdk_ssm::config::Builder::from(&lazy.sdk)
                .credentials_provider(NoAmbientCredentials)
                .identity_cache(FromRequest)
                .timeout_config(lazy.timeouts.clone())
                .interceptor(guard)
                .build();
            aws_sdk_ssm::Client::from_conf(conf)
        }))
    }
}

/// The variable that binds the physical name `name` in `spec`, if one does.
fn binding_of(spec: &'static HandlerSpec, name: &str, names: &Env) -> Option<&'static str> {
    let tables = spec.tables().iter().map(|t| &t.table);
    let buckets = spec.buckets().iter().map(|b| &b.bucket);
    tables
        .chain(buckets)
        .chain(spec.model().shared_queues().map(|q| &q.queue))
        .chain(spec.model().kms_keys())
        .filter(|n| n.env_var().and_then(|var| names.var(var)).as_deref() == Some(name) || n.declared() == name)
        .find_map(|n| n.env_var())
}

/// Refuses a shared queue placed under a name that one of the spec's own queue prefixes makes a
/// tenant's queue (`queues(jobs(prefix = "jobs-"), events(queue_env = "EVENTS"))` with
/// `EVENTS=jobs-all`: tenant `all` would receive every tenant's messages). The model refuses the
/// declared names at compile time; the names bound here are only known now. Other handlers'
/// prefixes are the process's claims' (`registry::claim`).
fn owned_shared_queue(spec: &'static HandlerSpec, placement: &Placement) -> Result<(), ConfigError> {
    let model = spec.model();
    for (shared, name) in model.shared_queues().zip(placement.queues()) {
        let mut prefixes = model.named.iter().filter(|n| n.service() == tenant_isolation_core::Service::Sqs);
        if let Some(owner) = prefixes.find_map(|n| n.names.tenant_of(name).map(|t| (n.names.prefix(), t))) {
            return Err(ConfigError::invalid(
                shared.queue.env_var().unwrap_or("queues"),
                format!(
                    "handler `{}`: the shared queue `{name}` is tenant `{}`'s own queue under prefix `{}`: that tenant \
                     could receive every tenant's messages; bind a name that no queue prefix of the handler's starts",
                    spec.name(),
                    owner.1,
                    owner.0,
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::ObjectSettings;
    use aws_smithy_types::timeout::TimeoutConfig;
    use std::borrow::Cow;
    use tenant_isolation_core::{
        Action, BucketModel, Confinement, HandlerModel, KeyRule, NameRule, NamedAction, NamedModel, ObjectAction,
        ObjectRule, Partition, PhysicalName, TableModel,
    };

    fn clients() -> Clients {
        let keys = KeySchema { table: "pk".into(), tables: HashMap::new(), indexes: HashMap::new() };
        Clients::new(
            aws_config::SdkConfig::builder().build(),
            RoleArn::parse("arn:aws:iam::123456789012:role/TenantData").unwrap(),
            "us-east-1".into(),
            keys,
            TimeoutConfig::disabled(),
            ObjectSettings { path_style: false, timeouts: TimeoutConfig::disabled() },
            Env::from_fn(|_| None),
        )
    }

    /// A handler with one queue declaration (a prefix of its own: the claims are the process's).
    fn worker() -> &'static HandlerSpec {
        let jobs = NamedModel {
            name: Cow::Borrowed("jobs"),
            actions: Cow::Borrowed(&[NamedAction::SendMessage]),
            names: NameRule::new(Service::Sqs, "clientq-"),
        };
        let model = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Borrowed(&[]),
            named: vec![jobs].into(),
            confinement: Confinement::SessionPolicy,
        };
        HandlerSpec::new("worker", model).unwrap().leak()
    }

    /// A shared queue is placed under the name its variable binds, validated as a queue name,
    /// and refused (naming the variable) where one of the handler's own queue prefixes makes
    /// that name a tenant's queue: tenant `all` of `clientown-` would receive every tenant's
    /// messages from `clientown-all`.
    #[test]
    fn a_shared_queue_is_placed_under_its_bound_name_unless_a_prefix_owns_it() {
        use tenant_isolation_core::SharedQueue;
        let jobs = NamedModel {
            name: Cow::Borrowed("jobs"),
            actions: Cow::Borrowed(&[NamedAction::ReceiveMessage]),
            names: NameRule::new(Service::Sqs, "clientown-"),
        };
        let events = NamedModel {
            name: Cow::Borrowed("events"),
            actions: Cow::Borrowed(&[NamedAction::SendMessage]),
            names: NameRule::shared(SharedQueue {
                queue: PhysicalName::FromEnv { var: "CLIENT_EVENTS".into(), default: "client-events".into() },
                tenant_attribute: "tenant_id".into(),
            }),
        };
        let model = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Borrowed(&[]),
            named: vec![jobs, events].into(),
            confinement: Confinement::SessionPolicy,
        };
        let spec = HandlerSpec::new("producer", model).unwrap().leak();
        let bound = |name: &'static str| {
            let mut clients = clients();
            clients.names = Env::from_fn(move |var| (var == "CLIENT_EVENTS").then(|| name.to_owned()));
            clients.placement(spec)
        };
        assert_eq!(bound("client-events-prod").unwrap().queues(), ["client-events-prod"]);
        let owned = bound("clientown-all").unwrap_err().to_string();
        assert!(owned.contains("CLIENT_EVENTS") && owned.contains("tenant `all`'s own queue"), "{owned}");
        let invalid = bound("client.events").unwrap_err().to_string();
        assert!(invalid.contains("CLIENT_EVENTS") && invalid.contains("invalid queue name"), "{invalid}");
        assert_eq!(clients().placement(spec).unwrap().queues(), ["client-events"], "unset: the declared name");
    }

    /// A customer-managed KMS key bound by a variable is placed under the id the variable
    /// holds, and the policy's key grant names that key; an alias, an ARN or an unset variable
    /// is refused before any session, naming the variable. Two deployments of one template with
    /// different keys are two policies (no session of one is reused for the other).
    #[test]
    fn a_kms_key_is_placed_under_its_bound_id_or_refused_naming_the_variable() {
        let webhooks = NamedModel {
            name: Cow::Borrowed("webhooks"),
            actions: Cow::Borrowed(&[NamedAction::GetSecretValue]),
            names: NameRule::new(Service::SecretsManager, "clientkms/")
                .with_kms_key(PhysicalName::FromEnv { var: "CLIENT_KEY".into(), default: "".into() }),
        };
        let model = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Borrowed(&[]),
            named: vec![webhooks].into(),
            confinement: Confinement::SessionPolicy,
        };
        let spec = HandlerSpec::new("reader", model).unwrap().leak();
        let bound = |id: Option<&'static str>| {
            let mut clients = clients();
            clients.names = Env::from_fn(move |var| (var == "CLIENT_KEY").then(|| id.map(str::to_owned)).flatten());
            clients.placement(spec)
        };
        const KEY: &str = "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f";
        let placed = bound(Some(KEY)).unwrap();
        assert_eq!(placed.kms_keys(), [KEY]);
        let rendered = tenant_isolation_core::render(
            spec.template(),
            &placed,
            &tenant_isolation_core::TenantId::parse("acme").unwrap(),
        );
        assert!(rendered.contains(&format!("\"arn:aws:kms:us-east-1:123456789012:key/{KEY}\"")), "{rendered}");
        assert!(rendered.contains(r#""kms:EncryptionContext:SecretARN":["arn:aws:secretsmanager:us-east-1:123456789012:secret:clientkms/acme/*"]"#), "{rendered}");
        for refused in [
            Some("alias/webhooks"),
            Some("arn:aws:kms:us-east-1:123456789012:key/0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f"),
            None,
        ] {
            let e = bound(refused).unwrap_err().to_string();
            assert!(e.contains("CLIENT_KEY") && e.contains("invalid KMS key id"), "{e}");
        }
        let other = bound(Some("mrk-0123456789abcdef0123456789abcdef")).unwrap();
        assert_ne!(PolicyKey::of(spec, &placed), PolicyKey::of(spec, &other));
    }

    /// With feature `sqs`, a policy with queues gets a guarded SQS client; without it, the
    /// spec is refused before anything is built, with the feature to enable.
    #[test]
    fn a_spec_with_queues_gets_an_sqs_client_or_names_the_feature() {
        let got = clients().get(worker());
        #[cfg(feature = "sqs")]
        assert!(got.expect("the policy's clients").sqs().is_some());
        #[cfg(not(feature = "sqs"))]
        {
            let refused = got.err().expect("refused without the feature").to_string();
            assert!(refused.contains("declares queues: enable the `sqs` feature"), "{refused}");
        }
    }

    /// A table bound at run time, with four indexes, whose compiled bound (a 128-character name)
    /// fits: a real name of 128 characters fits, one of 255 (legal in DynamoDB) does not and is
    /// refused naming the variable; the same model in session-tag mode sends no policy and is
    /// never refused.
    #[test]
    fn a_policy_too_large_for_the_bound_names_is_refused_before_any_session() {
        let table = |var: &'static str| TableModel {
            table: PhysicalName::FromEnv { var: var.into(), default: var.into() },
            indexes: Cow::Owned(vec!["ByStatus".into(), "ByCustomer".into(), "ByDate".into(), "ByRegion".into()]),
            actions: Cow::Borrowed(&[Action::GetItem, Action::Query]),
            keys: KeyRule::new("TENANT#"),
        };
        let model = |confinement| HandlerModel {
            tables: vec![table("A_TABLE")].into(),
            buckets: Cow::Borrowed(&[]),
            named: Cow::Borrowed(&[]),
            confinement,
        };
        let spec = HandlerSpec::new("two_tables", model(Confinement::SessionPolicy)).unwrap().leak();
        assert!(spec.model().compile().unwrap().worst_case <= MAX_SESSION_POLICY_CHARS);
        let placed = |len: usize| {
            Placement::new(Partition::AwsUsGov, "us-gov-west-1", "123456789012", &[&"a".repeat(len)], &[]).unwrap()
        };
        assert!(fits(spec, &placed(128)).is_ok());
        let refused = fits(spec, &placed(255)).unwrap_err().to_string();
        assert!(refused.contains("(A_TABLE)") && refused.contains("STS accepts at most 2048"), "{refused}");
        let tagged = HandlerSpec::new("tagged", model(Confinement::SessionTag("tenant".into()))).unwrap().leak();
        assert!(fits(tagged, &placed(255)).is_ok());
    }

    fn spec(buckets: bool, named: &[(Service, NamedAction, &'static str)]) -> HandlerSpec {
        let buckets: Vec<BucketModel> = buckets
            .then(|| BucketModel {
                bucket: PhysicalName::Fixed("files".into()),
                actions: Cow::Borrowed(&[ObjectAction::GetObject]),
                objects: ObjectRule::new("tenants/"),
            })
            .into_iter()
            .collect();
        let named: Vec<NamedModel> = named
            .iter()
            .map(|(service, action, prefix)| NamedModel {
                name: Cow::Borrowed(service.argument()),
                actions: vec![*action].into(),
                names: NameRule::new(*service, prefix),
            })
            .collect();
        let model = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: buckets.into(),
            named: named.into(),
            confinement: Confinement::SessionPolicy,
        };
        HandlerSpec::new("webhook", model).unwrap()
    }

    #[test]
    fn a_spec_whose_service_is_not_built_in_is_refused_naming_the_feature() {
        const SECRETS: (Service, NamedAction, &str) =
            (Service::SecretsManager, NamedAction::GetSecretValue, "tenants/");
        const PARAMETERS: (Service, NamedAction, &str) = (Service::Ssm, NamedAction::GetParameter, "/tenants/");
        let refused = |spec: &HandlerSpec, enabled: &[&str]| {
            feature_refusal(spec, |f| enabled.contains(&f)).map(|e| e.to_string())
        };
        let secrets = spec(false, &[SECRETS]);
        let refusal = refused(&secrets, &[]).expect("refused without `secretsmanager`");
        assert!(refusal.contains("enable the `secretsmanager` feature"), "{refusal}");
        assert!(refusal.contains("handler `webhook` declares secrets"), "{refusal}");
        assert_eq!(refused(&secrets, &["secretsmanager"]), None);
        let parameters = spec(false, &[PARAMETERS]);
        let refusal = refused(&parameters, &["secretsmanager", "s3"]).expect("refused without `ssm`");
        assert!(refusal.contains("enable the `ssm` feature"), "{refusal}");
        assert!(refusal.contains("declares parameters"), "{refusal}");
        assert_eq!(refused(&parameters, &["ssm"]), None);
        // Buckets, as before: `s3`.
        let both = spec(true, &[SECRETS, PARAMETERS]);
        assert!(refused(&both, &["secretsmanager", "ssm"]).is_some_and(|r| r.contains("`s3`")));
        assert!(refused(&both, &["s3", "ssm"]).is_some_and(|r| r.contains("`secretsmanager`")));
        assert_eq!(refused(&both, &["s3", "secretsmanager", "ssm"]), None);
        // What this build has is what the setup asks.
        assert_eq!(compiled_in("secretsmanager"), cfg!(feature = "secretsmanager"));
        assert_eq!(compiled_in("ssm"), cfg!(feature = "ssm"));
        assert!(!compiled_in("dynamodb-streams"));
    }
}
