//! Secrets Manager secrets under the tenant's folder, against moto's Secrets Manager (served on
//! the same port as STS and DynamoDB): each tenant creates, writes and reads its own secrets
//! through `TenantSecrets`, and the secret guard refuses every other tenant's name, ARN,
//! undeclared operation and tagged creation before the request is signed. moto enforces no
//! policy, so "refused" is shown by the guard's typed violation, by what moto holds afterwards,
//! and (`refused_requests_never_reach_the_server`) by moto's request recorder, which also shows
//! that each tenant's requests are signed with its own STS session.
//!
//! The handler is written without the macro (its `secrets(...)` syntax is not here yet): the
//! spec, and the capability type `#[tenant_isolated]` would generate, by hand.

use crate::common::{isolation, items, unique};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_sdk_secretsmanager::types::Tag;
use lambda_runtime::LambdaEvent;
use std::borrow::Cow;
use tenant_isolation::__private::{NamedPolicy, grant};
use tenant_isolation::model::{Confinement, HandlerModel, NameRule, NamedAction, NamedModel, Service};
use tenant_isolation::{GuardViolation, HandlerSpec, Isolation, Scope, ScopeError, TenantId, TenantSecrets, Violation};
use tenant_isolation_tests::{Moto, provision, sdk_config, shared, start_moto};

/// `webhooks`: the secrets `tenants/<tenant>/…`, every secrets action.
const WEBHOOKS: &[NamedModel] = &[NamedModel {
    name: Cow::Borrowed("webhooks"),
    actions: Cow::Borrowed(&[
        NamedAction::CreateSecret,
        NamedAction::DeleteSecret,
        NamedAction::DescribeSecret,
        NamedAction::GetSecretValue,
        NamedAction::PutSecretValue,
        NamedAction::UpdateSecret,
    ]),
    names: NameRule::new(Service::SecretsManager, "tenants/"),
}];

const MODEL: HandlerModel = HandlerModel {
    tables: Cow::Borrowed(&[]),
    buckets: Cow::Borrowed(&[]),
    named: Cow::Borrowed(WEBHOOKS),
    confinement: Confinement::SessionPolicy,
};

/// The session policy `MODEL` compiles to, as the macro writes it into the spec at build time
/// (`the_hand_written_spec_is_what_its_model_compiles_to` holds it to `HandlerModel::compile`).
const TEMPLATE: &str = concat!(
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:CreateSecret","#,
    r#""secretsmanager:DeleteSecret","secretsmanager:DescribeSecret","secretsmanager:GetSecretValue","#,
    r#""secretsmanager:PutSecretValue","secretsmanager:UpdateSecret"],"#,
    r#""Resource":["arn:{{partition}}:secretsmanager:{{region}}:{{account}}:secret:tenants/{{tenant}}/*"]}]}"#,
);

/// The handler's spec and the `webhooks` capability type, as `#[tenant_isolated]` generates them.
#[allow(non_camel_case_types)]
enum webhook_webhooks {}
impl tenant_isolation::__private::Isolated for webhook_webhooks {
    const SPEC: &'static HandlerSpec =
        &tenant_isolation::__private::handler_spec("webhook", module_path!(), MODEL, TEMPLATE);
}
impl NamedPolicy for webhook_webhooks {
    const NAMED: usize = 0;
    type CreateSecret = grant::Declared;
    type DeleteSecret = grant::Declared;
    type DescribeSecret = grant::Declared;
    type GetSecretValue = grant::Declared;
    type PutSecretValue = grant::Declared;
    type UpdateSecret = grant::Declared;
    type DeleteParameter = grant::Undeclared;
    type DeleteParameters = grant::Undeclared;
    type GetParameter = grant::Undeclared;
    type GetParameterHistory = grant::Undeclared;
    type GetParameters = grant::Undeclared;
    type GetParametersByPath = grant::Undeclared;
    type PutParameter = grant::Undeclared;
    type ChangeMessageVisibility = grant::Undeclared;
    type DeleteMessage = grant::Undeclared;
    type GetQueueAttributes = grant::Undeclared;
    type GetQueueUrl = grant::Undeclared;
    type ReceiveMessage = grant::Undeclared;
    type SendMessage = grant::Undeclared;
}

const SPEC: &HandlerSpec = <webhook_webhooks as tenant_isolation::__private::Isolated>::SPEC;

fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

async fn scope(iso: &Isolation, who: &str) -> Scope {
    iso.enter(SPEC, &tenant(who), None).await.unwrap()
}

/// A Secrets Manager client of the testing credentials: no tenant scope and no guard, to set up
/// other tenants' secrets and to see what reached the server.
async fn admin(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&sdk_config(endpoint).await)
}

async fn value(admin: &aws_sdk_secretsmanager::Client, name: &str) -> Option<String> {
    let out = admin.get_secret_value().secret_id(name).send().await.ok()?;
    out.secret_string().map(str::to_owned)
}

/// Runs a request on `scope`'s Secrets Manager client inside the scope; the guard's verdict:
/// `None` if the request was let through (whatever the server answered).
macro_rules! verdict {
    ($scope:expr, |$c:ident| $req:expr) => {{
        let scope: Scope = $scope.clone();
        let $c = scope.secretsmanager().unwrap().clone();
        let request = $req;
        let result = scope.run(async move { request.send().await.map(|_| ()) }).await;
        result.err().and_then(|e| GuardViolation::find(&e).map(|v| v.violation().clone()))
    }};
}

#[test]
fn the_hand_written_spec_is_what_its_model_compiles_to() {
    let compiled = HandlerSpec::new("webhook", MODEL).unwrap();
    assert_eq!(SPEC.template(), compiled.template());
    assert_eq!(SPEC.verify(), Ok(()));
}

#[tokio::test]
async fn each_tenant_creates_writes_and_reads_its_own_secrets() {
    let iso = isolation().await;
    let admin = admin(&shared().1.endpoint).await;
    let run = unique("own");
    for who in ["acme", "globex"] {
        let scope = scope(&iso, who).await;
        let webhooks: TenantSecrets<webhook_webhooks> = scope.secrets().unwrap();
        let name = format!("{run}/stripe");
        let who_ = who.to_owned();
        let read = scope
            .clone()
            .run(async move {
                let who = who_;
                webhooks.create_secret(&name)?.secret_string(format!("{who}-v1")).send().await?;
                let first = webhooks.get_secret_value(&name)?.send().await?;
                assert_eq!(first.secret_string(), Some(format!("{who}-v1").as_str()));
                webhooks.put_secret_value(&name)?.secret_string(format!("{who}-v2")).send().await?;
                webhooks.update_secret(&name)?.description(format!("{who}'s Stripe key")).send().await?;
                let described = webhooks.describe_secret(&name)?.send().await?;
                assert_eq!(described.description(), Some(format!("{who}'s Stripe key").as_str()));
                let second = webhooks.get_secret_value(&name)?.send().await?;
                Ok::<_, lambda_http::Error>(second.secret_string().unwrap_or_default().to_owned())
            })
            .await
            .unwrap();
        assert_eq!(read, format!("{who}-v2"));
        // Where it landed: under the tenant's own folder.
        assert_eq!(value(&admin, &format!("tenants/{who}/{run}/stripe")).await, Some(format!("{who}-v2")));
    }
    // Deleted by its tenant (without recovery: moto keeps a scheduled deletion readable).
    let acme = scope(&iso, "acme").await;
    let webhooks: TenantSecrets<webhook_webhooks> = acme.secrets().unwrap();
    let name = format!("{run}/stripe");
    acme.run(async move { webhooks.delete_secret(&name).unwrap().force_delete_without_recovery(true).send().await })
        .await
        .unwrap();
    assert_eq!(value(&admin, &format!("tenants/acme/{run}/stripe")).await, None);
    assert_eq!(value(&admin, &format!("tenants/globex/{run}/stripe")).await, Some("globex-v2".to_owned()));
}

#[tokio::test]
async fn other_tenants_secrets_and_undeclared_operations_are_refused_before_sending() {
    let iso = isolation().await;
    let admin = admin(&shared().1.endpoint).await;
    let run = unique("foreign");
    let globex = format!("tenants/globex/{run}/stripe");
    admin.create_secret().name(&globex).secret_string("globex's").send().await.unwrap();
    let acme = scope(&iso, "acme").await;
    let foreign = Some(Violation::ForeignName(Service::SecretsManager));
    let arn = Some(Violation::Unsupported("a secret named by its ARN (name it by its name)"));
    let globex_arn = admin.describe_secret().secret_id(&globex).send().await.unwrap().arn().unwrap().to_owned();
    assert_eq!(verdict!(acme, |c| c.get_secret_value().secret_id(&globex)), foreign);
    assert_eq!(verdict!(acme, |c| c.describe_secret().secret_id(&globex)), foreign);
    assert_eq!(verdict!(acme, |c| c.put_secret_value().secret_id(&globex).secret_string("acme's")), foreign);
    assert_eq!(verdict!(acme, |c| c.update_secret().secret_id(&globex).secret_string("acme's")), foreign);
    assert_eq!(verdict!(acme, |c| c.delete_secret().secret_id(&globex).force_delete_without_recovery(true)), foreign);
    assert_eq!(verdict!(acme, |c| c.get_secret_value().secret_id(&globex_arn)), arn);
    // Names that only start like the tenant's folder.
    assert_eq!(verdict!(acme, |c| c.get_secret_value().secret_id(format!("tenants/acme-2/{run}"))), foreign);
    assert_eq!(verdict!(acme, |c| c.create_secret().name("tenants/acme").secret_string("x")), foreign);
    assert_eq!(verdict!(acme, |c| c.create_secret().name(format!("other/acme/{run}")).secret_string("x")), foreign);
    // What no tenant session is granted.
    let unlisted = Some(Violation::NamedOperation(Service::SecretsManager));
    assert_eq!(verdict!(acme, |c| c.list_secrets()), unlisted);
    assert_eq!(verdict!(acme, |c| c.batch_get_secret_value().secret_id_list(&globex)), unlisted);
    assert_eq!(verdict!(acme, |c| c.get_random_password()), unlisted);
    let tagged = verdict!(acme, |c| c
        .create_secret()
        .name(format!("tenants/acme/{run}/tagged"))
        .secret_string("x")
        .tags(Tag::builder().key("tenant").value("globex").build()));
    assert_eq!(tagged, Some(Violation::Unsupported("tags on a new secret (`Tags`: `secretsmanager:TagResource`)")));
    // Nothing changed: globex's value is its own, acme's tagged secret was never created.
    assert_eq!(value(&admin, &globex).await.as_deref(), Some("globex's"));
    assert_eq!(value(&admin, &format!("tenants/acme/{run}/tagged")).await, None);
}

#[tokio::test]
async fn a_request_changed_after_the_check_is_refused_at_signing() {
    let iso = isolation().await;
    let admin = admin(&shared().1.endpoint).await;
    let run = unique("altered");
    let globex = format!("tenants/globex/{run}/stripe");
    admin.create_secret().name(&globex).secret_string("globex's").send().await.unwrap();
    let acme = scope(&iso, "acme").await;
    let own = format!("tenants/acme/{run}/stripe");
    // The name swapped in the body after the check: the guard checked acme's name.
    let swapped =
        verdict!(acme, |c| c.put_secret_value().secret_id(&own).secret_string("acme's").customize().mutate_request(
            |r| {
                let body = String::from_utf8(r.body().bytes().unwrap_or_default().to_vec()).unwrap();
                *r.body_mut() = aws_smithy_types::body::SdkBody::from(body.replace("tenants/acme/", "tenants/globex/"));
            }
        ));
    assert_eq!(swapped, Some(Violation::Altered));
    // Another operation in the target header.
    let retargeted = verdict!(acme, |c| c.describe_secret().secret_id(&own).customize().mutate_request(|r| {
        r.headers_mut().insert("x-amz-target", "secretsmanager.DeleteSecret");
    }));
    assert_eq!(retargeted, Some(Violation::Altered));
    // Sent elsewhere than the client's endpoint.
    let redirected = verdict!(acme, |c| c.get_secret_value().secret_id(&own).customize().mutate_request(|r| {
        r.set_uri("http://localhost:1/").unwrap();
    }));
    assert_eq!(redirected, Some(Violation::Altered));
    assert_eq!(value(&admin, &globex).await.as_deref(), Some("globex's"));
}

#[tokio::test]
async fn a_handler_without_secrets_has_no_secrets_client() {
    let iso = isolation().await;
    let other = iso.enter(items::SPEC, &tenant("acme"), None).await.unwrap();
    assert_eq!(
        other.secretsmanager().unwrap_err(),
        ScopeError::NotDeclared { handler: "items", service: Service::SecretsManager }
    );
    // A capability type of another handler is refused in this scope.
    assert!(matches!(other.secrets::<webhook_webhooks>(), Err(ScopeError::PolicyMismatch { .. })));
}

/// Every Secrets Manager request moto recorded since recording started: (operation, the secret
/// it named, the access key id it was signed with).
fn recorded(moto: &Moto) -> Vec<(String, String, String)> {
    moto.stop_recording()
        .iter()
        .filter_map(|r| {
            let ("secretsmanager", operation) = r.json_target()? else { return None };
            let body = r.json().unwrap_or_default();
            let name = body["SecretId"].as_str().or(body["Name"].as_str()).unwrap_or_default().to_owned();
            Some((operation.to_owned(), name, r.access_key_id().unwrap_or_default().to_owned()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_never_reach_the_server_and_each_tenant_signs_with_its_own_session() {
    // Its own moto: the recorder is server-wide.
    let moto = start_moto();
    let fx = provision(&moto);
    let admin = admin(&fx.endpoint).await;
    let run = unique("recorded");
    let globex_name = format!("tenants/globex/{run}/stripe");
    admin.create_secret().name(&globex_name).secret_string("globex's").send().await.unwrap();
    let iso = crate::common::isolation_on(&fx).await;
    let (acme, globex) = (scope(&iso, "acme").await, scope(&iso, "globex").await);
    assert_ne!(acme.access_key_id(), globex.access_key_id());
    moto.start_recording();

    let refused = [
        verdict!(acme, |c| c.get_secret_value().secret_id(&globex_name)),
        verdict!(acme, |c| c.get_secret_value().secret_id(format!("tenants/acme-2/{run}/stripe"))),
        verdict!(acme, |c| c.create_secret().name(format!("tenants/acme{run}")).secret_string("x")),
        verdict!(acme, |c| c.list_secrets()),
        verdict!(acme, |c| c
            .get_secret_value()
            .secret_id(format!("tenants/acme/{run}/swapped"))
            .customize()
            .mutate_request(|r| {
                let body = String::from_utf8(r.body().bytes().unwrap_or_default().to_vec()).unwrap();
                *r.body_mut() = aws_smithy_types::body::SdkBody::from(body.replace("tenants/acme/", "tenants/globex/"));
            })),
    ];
    // The controls: each tenant's own secret, created and read, which are sent.
    for (scope, who) in [(&acme, "acme"), (&globex, "globex")] {
        let own = format!("tenants/{who}/{run}/own");
        assert_eq!(verdict!(scope, |c| c.create_secret().name(&own).secret_string(who)), None);
        assert_eq!(verdict!(scope, |c| c.get_secret_value().secret_id(&own)), None);
    }
    let seen = recorded(&moto);

    assert!(refused.iter().all(Option::is_some), "{refused:?}");
    let expected: Vec<(String, String, String)> = [(&acme, "acme"), (&globex, "globex")]
        .into_iter()
        .flat_map(|(scope, who)| {
            let own = format!("tenants/{who}/{run}/own");
            let key = scope.access_key_id().to_owned();
            [("CreateSecret".to_owned(), own.clone(), key.clone()), ("GetSecretValue".to_owned(), own, key)]
        })
        .collect();
    assert_eq!(seen, expected, "only the tenants' own requests reached moto, each signed with its own session");
}

/// Red team (fails on the current code): the region overridden on one request after the check.
/// The session policy names the deployment's region only (`…:secretsmanager:{{region}}:…`), and
/// the SQS guard refuses a `config_override` of the region (`Violation::Altered`), but the secret
/// guard only compares the endpoint with the one the resolver gives for the request's *own*
/// (overridden) parameters: the request is signed with the tenant's credentials and sent to
/// another region's Secrets Manager, where `tenants/acme/…` may be another deployment's tenant.
/// moto reads the region from the signature's scope and answers from eu-west-1's secrets.
#[tokio::test]
async fn redteam_a_region_overridden_after_the_check_is_refused() {
    use aws_sdk_secretsmanager::config::Region;
    let iso = isolation().await;
    let endpoint = &shared().1.endpoint;
    let run = unique("region");
    let own = format!("tenants/acme/{run}/stripe");
    // Another region's secret of the same name (another deployment's `acme`).
    let eu = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&sdk_config(endpoint).await)
            .region(Region::new("eu-west-1"))
            .build(),
    );
    eu.create_secret().name(&own).secret_string("eu-west-1's").send().await.unwrap();
    let acme = scope(&iso, "acme").await;
    let elsewhere = aws_sdk_secretsmanager::config::Builder::default().region(Region::new("eu-west-1"));
    let verdict = verdict!(acme, |c| c.get_secret_value().secret_id(&own).customize().config_override(elsewhere));
    assert!(verdict.is_some(), "a request sent to another region than the policy's was let through: {verdict:?}");
}

/// A customer-managed KMS key (`kms_key`): the key id of the deployment's key, written in.
const WEBHOOKS_KEY: &str = "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f";

#[tenant_isolation::tenant_isolated(secrets(signing(
    prefix = "kmsit/",
    actions = [GetSecretValue],
    kms_key = "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f"
)))]
async fn sign_with(
    signing: TenantSecrets,
    event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let run = event.payload.query_string_parameters.first("run").unwrap_or_default().to_owned();
    let out = signing.get_secret_value(&format!("{run}/signing"))?.send().await?;
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = 200;
    response.body = out.secret_string().map(|s| s.to_owned().into());
    Ok(response)
}

/// A secret encrypted with a customer-managed key needs `kms:Decrypt` on that key in the
/// tenant's session (AWS denies the read otherwise): the session policy each tenant's
/// `AssumeRole` carries to STS (moto's recorder) grants it on the declared key, for requests
/// whose encryption context names that tenant's own secrets, and nothing else on any key. moto
/// neither encrypts with the key nor enforces KMS permissions: what the read shows is that the
/// handle works beside the grant; the confinement is the condition, proved by iam-simulate where
/// it can be (tests/policy) and by the AWS documentation cited in `core/src/kms.rs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_key_is_granted_in_each_tenants_session_for_its_own_secrets_only() {
    let moto = start_moto();
    let fx = provision(&moto);
    let admin = admin(&fx.endpoint).await;
    let run = unique("kms");
    for who in ["acme", "globex"] {
        let name = format!("kmsit/{who}/{run}/signing");
        admin.create_secret().name(&name).secret_string(format!("{who}'s key")).send().await.unwrap();
    }
    let iso = crate::common::isolation_on(&fx).await;
    moto.start_recording();
    for (user, who) in [("alice", "acme"), ("bob", "globex")] {
        let mut request = ApiGatewayV2httpRequest::default();
        request.headers.insert("authorization", format!("Bearer {}", fx.user(user).id_token).parse().unwrap());
        request.query_string_parameters =
            [("run".to_owned(), run.clone())].into_iter().collect::<std::collections::HashMap<_, _>>().into();
        let response = sign_with::call_with(&iso, LambdaEvent::new(request, Default::default())).await.unwrap();
        assert_eq!(response.body, Some(format!("{who}'s key").into()), "{user}");
    }
    let sessions: Vec<serde_json::Value> = moto
        .stop_recording()
        .iter()
        .filter(|r| r.form("Action").as_deref() == Some("AssumeRole"))
        .map(|r| serde_json::from_str(&r.form("Policy").expect("a session policy")).unwrap())
        .collect();
    assert_eq!(sessions.len(), 2, "one session per tenant: {sessions:#?}");
    for (policy, who) in sessions.iter().zip(["acme", "globex"]) {
        let on_keys: Vec<&serde_json::Value> =
            policy["Statement"].as_array().unwrap().iter().filter(|s| s.to_string().contains("kms:")).collect();
        assert_eq!(
            on_keys,
            [&serde_json::json!({
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [format!("arn:aws:kms:{}:{}:key/{WEBHOOKS_KEY}", fx.region, fx.account)],
                "Condition": {"StringLike": {"kms:EncryptionContext:SecretARN":
                    [format!("arn:aws:secretsmanager:{}:{}:secret:kmsit/{who}/*", fx.region, fx.account)]}},
            })],
            "{policy}"
        );
    }
}
