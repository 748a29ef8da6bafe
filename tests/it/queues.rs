//! Each tenant's own SQS queue, against moto's SQS: through the typed handle each tenant sends,
//! receives, re-times and deletes messages on its own queue `jobs-<tenant>`, and the queue guard
//! refuses every other queue (another tenant's, `jobs-acme-2`, another account's, URLs of
//! another shape), every other operation, and a request changed after the check, before
//! anything is signed. moto enforces no policy, so "refused" is shown by the guard's typed
//! violation and by moto's request recorder (nothing of a refused request arrived); each
//! tenant's requests are signed with its own STS session's key.
//!
//! The handler is written without the macro (`queues(...)` comes to the attribute in another
//! change): [`worker::SPEC`] is what `#[tenant_isolated(queues(jobs(prefix = "jobs-", actions =
//! [...])))]` expands to, its template the one `HandlerModel::compile` writes (checked below), and
//! [`worker::Jobs`] the declaration's capability type.
//!
//! A queue that every tenant's messages share, with the macro: the producer [`announce`] (an
//! EventBridge record handler) sends through its `TenantQueue`, which stamps each message with
//! the scope's tenant; a message with another tenant's attribute, or none, is refused before
//! signing; and the consumer [`consume`] (`records = sqs(tenant_attribute = "tenant_id")`) runs
//! each received message as the tenant that sent it.

use crate::common::{isolation_with, unique};
use aws_sdk_sqs::operation::send_message::builders::SendMessageFluentBuilder;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, QueueAttributeName, SendMessageBatchRequestEntry,
};
use aws_smithy_runtime_api::box_error::BoxError;
use tenant_isolation::model::Service;
use tenant_isolation::{
    GuardViolation, Isolation, Scope, ScopeError, TenantId, TenantQueue, TenantTable, Violation, tenant_isolated,
};
use tenant_isolation_testkit::{Moto, RecordedRequest};
use tenant_isolation_tests::{Fixture, provision, sdk_config, shared, start_moto};

/// The handler `queue_worker` as `#[tenant_isolated]` would write it: one `queues(...)`
/// declaration, `jobs`, of the queues `jobs-<tenant>`, with every SQS action.
pub(crate) mod worker {
    use std::borrow::Cow;
    use tenant_isolation::__private::grant::{Declared, Undeclared};
    use tenant_isolation::__private::{Isolated, NamedPolicy, handler_spec};
    use tenant_isolation::HandlerSpec;
    use tenant_isolation::model::{Confinement, HandlerModel, NameRule, NamedAction, NamedModel, Service};

    /// What the model compiles to: one statement, the tenant's queue ARN alone.
    pub(crate) const TEMPLATE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:ChangeMessageVisibility","sqs:DeleteMessage","sqs:GetQueueAttributes","sqs:GetQueueUrl","sqs:ReceiveMessage","sqs:SendMessage"],"Resource":["arn:{{partition}}:sqs:{{region}}:{{account}}:jobs-{{tenant}}"]}]}"#;

    const NAMED: &[NamedModel] = &[NamedModel {
        name: Cow::Borrowed("jobs"),
        actions: Cow::Borrowed(&[
            NamedAction::ChangeMessageVisibility,
            NamedAction::DeleteMessage,
            NamedAction::GetQueueAttributes,
            NamedAction::GetQueueUrl,
            NamedAction::ReceiveMessage,
            NamedAction::SendMessage,
        ]),
        names: NameRule::new(Service::Sqs, "jobs-"),
    }];

    pub(crate) const MODEL: HandlerModel = HandlerModel {
        tables: Cow::Borrowed(&[]),
        buckets: Cow::Borrowed(&[]),
        named: Cow::Borrowed(NAMED),
        confinement: Confinement::SessionPolicy,
    };

    pub(crate) const SPEC: &HandlerSpec = &handler_spec("queue_worker", "", MODEL, TEMPLATE);

    /// The capability type of `jobs`.
    pub(crate) enum Jobs {}
    impl Isolated for Jobs {
        const SPEC: &'static HandlerSpec = SPEC;
    }
    impl NamedPolicy for Jobs {
        const NAMED: usize = 0;
        type CreateSecret = Undeclared;
        type DeleteSecret = Undeclared;
        type DescribeSecret = Undeclared;
        type GetSecretValue = Undeclared;
        type PutSecretValue = Undeclared;
        type UpdateSecret = Undeclared;
        type DeleteParameter = Undeclared;
        type DeleteParameters = Undeclared;
        type GetParameter = Undeclared;
        type GetParameterHistory = Undeclared;
        type GetParameters = Undeclared;
        type GetParametersByPath = Undeclared;
        type PutParameter = Undeclared;
        type ChangeMessageVisibility = Declared;
        type DeleteMessage = Declared;
        type GetQueueAttributes = Declared;
        type GetQueueUrl = Declared;
        type ReceiveMessage = Declared;
        type SendMessage = Declared;
    }
}

use worker::Jobs;

/// Another account than moto's: its queues are never the tenant's.
const OTHER_ACCOUNT: &str = "210987654321";

fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

/// An SQS client with the testing credentials: no tenant, no guard.
async fn admin(endpoint: &str) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&sdk_config(endpoint).await)
}

/// Creates the queue `name` (idempotent) and returns its URL as moto answers it
/// (`http://127.0.0.1:<port>/<account>/<name>`).
async fn create(admin: &aws_sdk_sqs::Client, name: &str) -> String {
    let created = admin.create_queue().queue_name(name).send().await.unwrap();
    created.queue_url().unwrap().to_owned()
}

/// The bodies of the messages visible in the queue at `url`, read with the testing credentials.
async fn bodies(admin: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let received = admin.receive_message().queue_url(url).max_number_of_messages(10).send().await.unwrap();
    received.messages().iter().filter_map(|m| m.body().map(str::to_owned)).collect()
}

async fn scope(iso: &Isolation, who: &str) -> Scope {
    iso.enter(worker::SPEC, &tenant(who), None).await.unwrap()
}

/// A runtime on `fx`'s moto (its own, for the recorder's tests).
async fn isolation_on(fx: &Fixture) -> Isolation {
    Isolation::builder().sdk_config(sdk_config(&fx.endpoint).await).role_arn(fx.role_arn.clone()).build().await.unwrap()
}

/// Runs a request on `scope`'s SQS client inside the scope; the guard's verdict: `None` if the
/// request was let through (whatever the server answered).
macro_rules! verdict {
    ($scope:expr, |$c:ident| $req:expr) => {{
        let scope: Scope = $scope.clone();
        let $c = scope.sqs().unwrap().clone();
        let request = $req;
        let result = scope.run(async move { request.send().await.map(|_| ()) }).await;
        result.err().and_then(|e| GuardViolation::find(&e).map(|v| v.violation().clone()))
    }};
}

/// The SQS requests moto received, by operation (`AmazonSQS.SendMessage` → `SendMessage`).
fn sqs_requests(recorded: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    recorded.iter().filter(|r| r.target().is_some_and(|t| t.starts_with("AmazonSQS."))).collect()
}

#[test]
fn the_handlers_template_is_what_its_model_compiles_to() {
    assert_eq!(worker::SPEC.verify(), Ok(()));
    let compiled = tenant_isolation::HandlerSpec::new("queue_worker", worker::MODEL).unwrap();
    assert_eq!(compiled.template(), worker::TEMPLATE);
}

#[tokio::test]
async fn each_tenant_sends_receives_and_deletes_on_its_own_queue() {
    let (_, fx) = shared();
    let admin = admin(&fx.endpoint).await;
    let urls = [create(&admin, "jobs-acme").await, create(&admin, "jobs-globex").await];
    let iso = isolation_with(|b| b).await;
    let run = unique("own");
    for (who, other_url) in [("acme", &urls[1]), ("globex", &urls[0])] {
        let scope = scope(&iso, who).await;
        let jobs: TenantQueue<Jobs> = scope.queue().unwrap();
        let marker = format!("{run}-{who}");
        let m = marker.clone();
        let (url, looked_up, received, backlog) = scope
            .clone()
            .run(async move {
                let marker = m;
                jobs.send_message()?.message_body(format!("{marker} one")).send().await?;
                let entry = |i: u8| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(format!("{marker} batch {i}"))
                };
                jobs.send_message_batch()?.entries(entry(1).build()?).entries(entry(2).build()?).send().await?;
                let count = QueueAttributeName::ApproximateNumberOfMessages;
                let attributes = jobs.get_queue_attributes()?.attribute_names(count.clone()).send().await?;
                let backlog = attributes.attributes().and_then(|a| a.get(&count)).cloned();
                let looked_up = jobs.queue_url()?.send().await?.queue_url().map(str::to_owned);
                let received = jobs.receive_message()?.max_number_of_messages(10).send().await?;
                let mine: Vec<_> =
                    received.messages().iter().filter(|m| m.body().is_some_and(|b| b.starts_with(&marker))).collect();
                let receipts: Vec<String> = mine.iter().filter_map(|m| m.receipt_handle().map(str::to_owned)).collect();
                let bodies: Vec<String> = mine.iter().filter_map(|m| m.body().map(str::to_owned)).collect();
                // One handed back at once, then deleted alone; the rest deleted as a batch.
                let (first, rest) = receipts.split_first().expect("received the tenant's messages");
                jobs.change_message_visibility(first)?.visibility_timeout(0).send().await?;
                jobs.delete_message(first)?.send().await?;
                let mut batch = jobs.delete_message_batch()?;
                for (i, receipt) in rest.iter().enumerate() {
                    batch = batch.entries(
                        DeleteMessageBatchRequestEntry::builder().id(i.to_string()).receipt_handle(receipt).build()?,
                    );
                }
                let deleted = batch.send().await?;
                assert!(deleted.failed().is_empty(), "{:?}", deleted.failed());
                Ok::<_, BoxError>((jobs.url()?, looked_up, bodies, backlog))
            })
            .await
            .unwrap();
        // The handle's URL is built (SQS's form); moto answers `GetQueueUrl` with its own host.
        assert_eq!(url, format!("https://sqs.us-east-1.amazonaws.com/{}/jobs-{who}", fx.account));
        assert_eq!(looked_up.as_deref(), Some(format!("{}/{}/jobs-{who}", fx.endpoint, fx.account).as_str()));
        let mut received = received;
        received.sort();
        assert_eq!(received, [format!("{marker} batch 1"), format!("{marker} batch 2"), format!("{marker} one")]);
        assert!(backlog.is_some_and(|n| n.parse::<u32>().unwrap() >= 3), "{who}'s queue counted its messages");
        // Nothing reached the other tenant's queue, nothing is left in the tenant's own.
        assert!(!bodies(&admin, other_url).await.iter().any(|b| b.starts_with(&run)), "{who} reached another queue");
        let own_url = if who == "acme" { &urls[0] } else { &urls[1] };
        assert!(!bodies(&admin, own_url).await.iter().any(|b| b.starts_with(&marker)), "{who}'s messages deleted");
    }
}

/// A handler without queues has no SQS client, and a handle's queue URL changed on the
/// builder is still the guard's to refuse.
#[tokio::test]
async fn the_handle_reaches_nothing_but_the_tenants_queue() {
    let (_, fx) = shared();
    let admin = admin(&fx.endpoint).await;
    let globex = create(&admin, "jobs-globex").await;
    let iso = isolation_with(|b| b).await;
    let items = iso.enter(crate::common::items::SPEC, &tenant("acme"), None).await.unwrap();
    assert_eq!(
        items.sqs().unwrap_err(),
        ScopeError::NotDeclared { handler: "items", service: tenant_isolation::model::Service::Sqs }
    );
    let acme = scope(&iso, "acme").await;
    let jobs: TenantQueue<Jobs> = acme.queue().unwrap();
    let marker = unique("rerouted");
    let body = marker.clone();
    let refused =
        acme.clone()
            .run(async move {
                jobs.send_message()?.queue_url(globex).message_body(body).send().await.map_err(BoxError::from)
            })
            .await
            .unwrap_err();
    let violation = GuardViolation::find(&*refused).map(|v| v.violation().clone());
    assert_eq!(violation, Some(Violation::ForeignName(Service::Sqs)));
    let globex = create(&admin, "jobs-globex").await;
    assert!(!bodies(&admin, &globex).await.contains(&marker));
}

/// Every refusal happens before signing: moto's request recorder shows that none of the refused
/// requests arrived, and that the control (the tenant's own queue) did.
#[tokio::test]
async fn other_tenants_queues_are_refused_before_signing() {
    // Its own moto: the recorder is server-wide.
    let moto = start_moto();
    let fx = provision(&moto);
    let admin = admin(&fx.endpoint).await;
    let own = create(&admin, "jobs-acme").await;
    let globex = create(&admin, "jobs-globex").await;
    let acme_2 = create(&admin, "jobs-acme-2").await;
    let iso = isolation_on(&fx).await;
    let acme = scope(&iso, "acme").await;
    moto.start_recording();

    let refused = unique("refused");
    let control = unique("control");
    let canonical = |queue: &str| format!("https://sqs.us-east-1.amazonaws.com/{}/{queue}", fx.account);
    let send = |c: &aws_sdk_sqs::Client, url: String| c.send_message().queue_url(url).message_body(&refused);
    let foreign = Some(Violation::ForeignName(Service::Sqs));
    let operation = Some(Violation::NamedOperation(Service::Sqs));
    let shape = Some(Violation::Unsupported("a queue URL other than `<http or https>://<host>/<account>/<queue>`"));
    let other_account = Some(Violation::Account(OTHER_ACCOUNT.to_owned()));
    let altered = Some(Violation::Altered);
    let entry = SendMessageBatchRequestEntry::builder().id("1").message_body(&refused).build().unwrap();
    let account = fx.account.clone();
    let elsewhere = aws_sdk_sqs::config::Builder::default().region(aws_sdk_sqs::config::Region::new("eu-west-1"));
    // (what, the guard's verdict, the verdict expected), every one asserted after the recorder
    // has shown that none of them arrived.
    let verdicts = [
        ("globex's queue, as moto names it", verdict!(acme, |c| send(&c, globex.clone())), foreign.clone()),
        ("globex's queue, as SQS names it", verdict!(acme, |c| send(&c, canonical("jobs-globex"))), foreign.clone()),
        ("acme-2's queue", verdict!(acme, |c| send(&c, acme_2.clone())), foreign.clone()),
        (
            "another account's queue of the tenant's name",
            verdict!(acme, |c| send(&c, format!("https://sqs.us-east-1.amazonaws.com/{OTHER_ACCOUNT}/jobs-acme"))),
            other_account.clone(),
        ),
        // moto reads the queue from the URL's last segment: both would reach globex's queue.
        ("an extra segment", verdict!(acme, |c| send(&c, format!("{own}/jobs-globex"))), shape.clone()),
        ("a query", verdict!(acme, |c| send(&c, format!("{own}?x=/jobs-globex"))), shape),
        ("GetQueueUrl of globex's", verdict!(acme, |c| c.get_queue_url().queue_name("jobs-globex")), foreign.clone()),
        (
            "GetQueueUrl of another owner's",
            verdict!(acme, |c| c.get_queue_url().queue_name("jobs-acme").queue_owner_aws_account_id(OTHER_ACCOUNT)),
            other_account,
        ),
        (
            "a batch to globex's queue",
            verdict!(acme, |c| c.send_message_batch().queue_url(&globex).entries(entry.clone())),
            foreign,
        ),
        ("PurgeQueue", verdict!(acme, |c| c.purge_queue().queue_url(&own)), operation.clone()),
        (
            "SetQueueAttributes",
            verdict!(acme, |c| c
                .set_queue_attributes()
                .queue_url(&own)
                .attributes(QueueAttributeName::Policy, &refused)),
            operation.clone(),
        ),
        ("ListQueues", verdict!(acme, |c| c.list_queues().queue_name_prefix(&refused)), operation),
        // Changed after the check: the queue swapped in the body, a queue put in the path, the
        // region overridden (the endpoint URL stays; the signature's scope, where moto reads the
        // region from, would change).
        (
            "the queue swapped in the body",
            verdict!(acme, |c| send(&c, own.clone()).customize().mutate_request(|r| {
                let body = String::from_utf8_lossy(r.body().bytes().unwrap()).replace("jobs-acme", "jobs-globex");
                *r.body_mut() = aws_smithy_types::body::SdkBody::from(body);
            })),
            altered.clone(),
        ),
        (
            "a queue put in the path",
            verdict!(acme, |c| send(&c, own.clone()).customize().mutate_request(move |r| {
                let uri = format!("{}{account}/jobs-globex", r.uri());
                r.set_uri(uri).unwrap();
            })),
            altered.clone(),
        ),
        ("another region", verdict!(acme, |c| send(&c, own.clone()).customize().config_override(elsewhere)), altered),
    ];
    // The control: the tenant's own queue, through the handle.
    let jobs: TenantQueue<Jobs> = acme.queue().unwrap();
    let body = control.clone();
    acme.clone()
        .run(async move { jobs.send_message()?.message_body(body).send().await.map_err(BoxError::from) })
        .await
        .unwrap();

    let recorded = moto.stop_recording();
    let sent = sqs_requests(&recorded);
    let seen: Vec<String> = sent
        .iter()
        .map(|r| format!("{} {} {}", r.url, r.target().unwrap_or_default(), String::from_utf8_lossy(&r.body)))
        .collect();
    assert!(seen.iter().any(|b| b.contains(&control)), "the recorder saw the allowed request: {seen:?}");
    assert!(!seen.iter().any(|b| b.contains(&refused)), "a refused request reached moto: {seen:#?}");
    assert_eq!(sent.len(), 1, "the control alone reached moto: {seen:#?}");
    for (what, got, expected) in verdicts {
        assert_eq!(got, expected, "{what}");
    }
    assert!(!bodies(&admin, &globex).await.contains(&refused));
}

/// Each tenant's requests are signed with its own STS session's access key (moto's recorder
/// reads the `Authorization` header), whichever tenant sent last on the shared client.
#[tokio::test]
async fn each_tenants_requests_are_signed_with_its_own_key() {
    let moto: Moto = start_moto();
    let fx = provision(&moto);
    let admin = admin(&fx.endpoint).await;
    for queue in ["jobs-acme", "jobs-globex"] {
        create(&admin, queue).await;
    }
    let iso = isolation_on(&fx).await;
    let scopes = [scope(&iso, "acme").await, scope(&iso, "globex").await];
    assert_ne!(scopes[0].access_key_id(), scopes[1].access_key_id());
    moto.start_recording();
    let run = unique("signed");
    // Interleaved: acme, globex, acme, globex.
    for round in 0..2 {
        for scope in &scopes {
            let jobs: TenantQueue<Jobs> = scope.queue().unwrap();
            let body = format!("{run} {} {round}", scope.tenant());
            let sent = scope
                .clone()
                .run(async move { jobs.send_message()?.message_body(body).send().await.map_err(BoxError::from) });
            sent.await.unwrap();
        }
    }
    let recorded = moto.stop_recording();
    let sent = sqs_requests(&recorded);
    assert_eq!(sent.len(), 4, "four sends");
    for request in sent {
        let body = request.json().unwrap();
        let who = body["MessageBody"].as_str().unwrap().split(' ').nth(1).unwrap().to_owned();
        let scope = scopes.iter().find(|s| s.tenant().as_str() == who).unwrap();
        assert_eq!(request.access_key_id(), Some(scope.access_key_id()), "{who}'s send signed with its own key");
        assert_eq!(request.signing_service(), Some("sqs"));
        let queue = body["QueueUrl"].as_str().unwrap();
        assert!(queue.ends_with(&format!("/jobs-{who}")), "{who}'s send went to its own queue: {queue}");
    }
}

/// Red team (fails on the current code): the request's `Content-Type` changed after the check.
/// The JSON snapshot compares the method, URI, `Host`, `X-Amz-Target` and body bytes, not the
/// content type, and SQS speaks the Query protocol too: sent as
/// `application/x-www-form-urlencoded`, the checked JSON body is read as a form, and JSON does
/// not escape `&` or `=`. So a message body (tenant input, say) that carries
/// `&Action=SendMessage&QueueUrl=<globex's queue>&MessageBody=…` is delivered to globex's queue
/// by a request the guard checked as a SendMessage to acme's own. moto takes the action and the
/// queue from the form.
#[tokio::test]
async fn redteam_a_content_type_changed_after_the_check_is_refused() {
    let (_, fx) = shared();
    let admin = admin(&fx.endpoint).await;
    let own = create(&admin, "jobs-acme").await;
    let globex = create(&admin, "jobs-globex").await;
    let iso = isolation_with(|b| b).await;
    let acme = scope(&iso, "acme").await;
    let marker = unique("form");
    let smuggled = format!("x&Action=SendMessage&Version=2012-11-05&QueueUrl={globex}&MessageBody={marker}&y=");
    let verdict =
        verdict!(acme, |c| c.send_message().queue_url(&own).message_body(&smuggled).customize().mutate_request(|r| {
            r.headers_mut().insert("content-type", "application/x-www-form-urlencoded");
        }));
    let reached = bodies(&admin, &globex).await.contains(&marker);
    assert!(!reached, "acme's checked request put a message on globex's queue (guard verdict {verdict:?})");
    assert!(verdict.is_some(), "a request whose content type changed after the check was let through");
}

// ---- A shared queue: the producer handle and its consumer (issues 23, 25) --------------------

/// The shared queue's name (its variable is unset in the tests: the declared name is placed).
const ORDER_EVENTS: &str = "shared-order-events";

/// Announces a placed order on the queue every tenant's orders share: one message, then a
/// batch of two. The handler never writes a tenant: `send_message()` and `entry(..)` stamp it.
#[tenant_isolated(
    queues(events(
        queue = "shared-order-events",
        queue_env = "TI_TEST_ORDER_EVENTS_QUEUE",
        tenant_attribute = "tenant_id",
        actions = [SendMessage],
    )),
    records = eventbridge(tenant_field = "tenant"),
)]
async fn announce(
    events: TenantQueue,
    event: aws_lambda_events::eventbridge::EventBridgeEvent<serde_json::Value>,
) -> Result<(), lambda_runtime::Error> {
    let order = event.detail["order"].as_str().unwrap_or_default().to_owned();
    events.send_message()?.message_body(format!("{order} placed")).send().await?;
    let mut batch = events.send_message_batch()?;
    for i in 1..=2 {
        batch = batch.entries(events.entry(i.to_string(), format!("{order} item {i}"))?.build()?);
    }
    let sent = batch.send().await?;
    assert!(sent.failed().is_empty(), "{:?}", sent.failed());
    Ok(())
}

/// Which tenant's scope each consumed message (by body) ran in.
static CONSUMED: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// Consumes the shared queue: each message runs as the tenant its `tenant_id` attribute names.
#[tenant_isolated(table = "Orders", actions = [GetItem], records = sqs(tenant_attribute = "tenant_id"))]
async fn consume(
    _orders: TenantTable,
    message: aws_lambda_events::sqs::SqsMessage,
) -> Result<(), lambda_runtime::Error> {
    let scope = tenant_isolation::current()?;
    CONSUMED.lock().unwrap().push((message.body.unwrap_or_default(), scope.tenant().as_str().to_owned()));
    Ok(())
}

/// An EventBridge event of an order placed for `tenant`.
fn placed(
    tenant: &str,
    order: &str,
) -> lambda_runtime::LambdaEvent<aws_lambda_events::eventbridge::EventBridgeEvent<serde_json::Value>> {
    tenant_isolation_testkit::records::BridgeEvent::new("orders.app", "OrderPlaced")
        .detail(serde_json::json!({ "order": order }))
        .tenant_field("tenant")
        .tenant(tenant)
        .into_lambda_event()
}

/// The messages in the queue at `url` whose body starts with `marker`, as received with the
/// testing credentials (no tenant, no guard), with every message attribute.
async fn received(admin: &aws_sdk_sqs::Client, url: &str, marker: &str) -> Vec<aws_sdk_sqs::types::Message> {
    let mut all = Vec::new();
    for _ in 0..5 {
        let out = admin
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap();
        let batch: Vec<_> = out.messages().to_vec();
        if batch.is_empty() {
            break;
        }
        all.extend(batch.into_iter().filter(|m| m.body().is_some_and(|b| b.starts_with(marker))));
    }
    all
}

/// A received message's `tenant_id` attribute: (data type, string value).
fn tenant_attribute(message: &aws_sdk_sqs::types::Message) -> Option<(String, String)> {
    let value = message.message_attributes()?.get("tenant_id")?;
    Some((value.data_type().to_owned(), value.string_value()?.to_owned()))
}

/// The messages as Lambda's SQS event source would hand them to the consumer.
fn as_sqs_event(
    messages: &[aws_sdk_sqs::types::Message],
) -> lambda_runtime::LambdaEvent<aws_lambda_events::sqs::SqsEvent> {
    let records: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, serde_json::Value> = m
                .message_attributes()
                .into_iter()
                .flatten()
                .map(|(name, v)| {
                    (name.clone(), serde_json::json!({ "stringValue": v.string_value(), "dataType": v.data_type() }))
                })
                .collect();
            serde_json::json!({
                "messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                "attributes": { "ApproximateReceiveCount": "1" }, "messageAttributes": attributes,
                "eventSource": "aws:sqs", "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{ORDER_EVENTS}"),
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    let event = serde_json::from_value(serde_json::json!({ "Records": records })).unwrap();
    lambda_runtime::LambdaEvent::new(event, tenant_isolation_testkit::records::context())
}

/// acme's and globex's producers send to the one shared queue; each message they sent carries
/// its own sender's tenant (read raw from moto, with no tenant and no guard), and the consumer
/// runs each message in the scope of the tenant that sent it.
#[tokio::test]
async fn a_shared_queue_carries_each_senders_tenant_to_its_consumer() {
    let (_, fx) = shared();
    let admin = admin(&fx.endpoint).await;
    let url = create(&admin, ORDER_EVENTS).await;
    let iso = isolation_with(|b| b).await;
    let run = unique("announced");
    for who in ["acme", "globex"] {
        announce::call_with(&iso, placed(who, &format!("{run} {who}"))).await.unwrap();
    }
    let messages = received(&admin, &url, &run).await;
    let mut carried: Vec<(String, Option<(String, String)>)> =
        messages.iter().map(|m| (m.body().unwrap().to_owned(), tenant_attribute(m))).collect();
    carried.sort();
    let stamped = |who: &str, what: &str| (format!("{run} {who} {what}"), Some(("String".to_owned(), who.to_owned())));
    assert_eq!(
        carried,
        [
            stamped("acme", "item 1"),
            stamped("acme", "item 2"),
            stamped("acme", "placed"),
            stamped("globex", "item 1"),
            stamped("globex", "item 2"),
            stamped("globex", "placed"),
        ]
    );

    // The consumer: each message in its sender's scope, none failed.
    let answer = consume::call_with(&iso, as_sqs_event(&messages)).await.unwrap();
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    let consumed: Vec<(String, String)> =
        CONSUMED.lock().unwrap().iter().filter(|(body, _)| body.starts_with(&run)).cloned().collect();
    assert_eq!(consumed.len(), 6, "{consumed:?}");
    for (body, tenant) in consumed {
        assert!(body.starts_with(&format!("{run} {tenant} ")), "{body} ran as {tenant}");
    }
}

/// A String message attribute value.
fn string(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder().data_type("String").string_value(value).build().unwrap()
}

/// Builds a send with `make` inside `scope` (the handle reads its scope) and sends it there: the
/// guard's verdict, `None` if the request was let through.
async fn send_verdict(
    scope: &Scope,
    make: impl FnOnce() -> Result<SendMessageFluentBuilder, BoxError> + Send + 'static,
) -> Option<Violation> {
    let sent = scope.clone().run(async move { make()?.send().await.map(drop).map_err(BoxError::from) }).await;
    sent.err().and_then(|e| GuardViolation::find(&*e).map(|v| v.violation().clone()))
}

/// A message to the shared queue with another tenant's attribute (the handle's stamp
/// overwritten), without one, of another type, a batch with one such entry, a receive from the
/// queue, and an attribute rewritten after the check: each refused before signing, and moto's
/// recorder shows that only the control (the handle's own stamped send) arrived.
#[tokio::test]
async fn a_message_without_the_senders_tenant_is_refused_before_signing() {
    let moto = start_moto();
    let fx = provision(&moto);
    let admin = admin(&fx.endpoint).await;
    let url = create(&admin, ORDER_EVENTS).await;
    let iso = isolation_on(&fx).await;
    let acme = iso.enter(announce::SPEC, &tenant("acme"), None).await.unwrap();
    let events: TenantQueue<announce_events> = acme.queue().unwrap();
    moto.start_recording();

    let refused = unique("refused");
    let control = unique("control");
    let unstamped = |reason: &'static str| Some(Violation::MessageTenant { attribute: "tenant_id".into(), reason });
    // Moved into each attempt's closure.
    let b: &'static str = Box::leak(refused.clone().into_boxed_str());
    // (what, the guard's verdict, the verdict expected), every one asserted after the recorder
    // has shown that none of them arrived.
    let verdicts = [
        (
            "the handle's stamp overwritten with globex's",
            send_verdict(&acme, move || {
                Ok(events.send_message()?.message_body(b).message_attributes("tenant_id", string("globex")))
            })
            .await,
            unstamped("the attribute names another tenant"),
        ),
        (
            "the handle's stamp removed",
            send_verdict(&acme, move || Ok(events.send_message()?.message_body(b).set_message_attributes(None))).await,
            unstamped("the attribute is missing"),
        ),
        (
            "acme's id as a Number",
            send_verdict(&acme, move || {
                let number = MessageAttributeValue::builder().data_type("Number").string_value("acme").build().unwrap();
                Ok(events.send_message()?.message_body(b).message_attributes("tenant_id", number))
            })
            .await,
            unstamped("the attribute's data type is not `String`"),
        ),
        (
            "the raw client, globex's id",
            send_verdict(&acme, move || {
                let raw = events.client()?.send_message().queue_url(events.url()?);
                Ok(raw.message_body(b).message_attributes("tenant_id", string("globex")))
            })
            .await,
            unstamped("the attribute names another tenant"),
        ),
    ];
    // The stamp rewritten to globex's after the check; a batch with one entry of globex's among
    // acme's; a receive from the shared queue.
    let body = refused.clone();
    let rewritten = acme
        .clone()
        .run(async move {
            let send = events.send_message()?.message_body(body).customize().mutate_request(|r| {
                let body = String::from_utf8_lossy(r.body().bytes().unwrap()).replace(r#""acme""#, r#""globex""#);
                *r.body_mut() = aws_smithy_types::body::SdkBody::from(body);
            });
            send.send().await?;
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
    let body = refused.clone();
    let batch = acme
        .clone()
        .run(async move {
            let own = events.entry("1", &body)?.build()?;
            let foreign = events.entry("2", &body)?.message_attributes("tenant_id", string("globex")).build()?;
            events.send_message_batch()?.entries(own).entries(foreign).send().await?;
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
    let receive = acme
        .clone()
        .run(async move {
            events.client()?.receive_message().queue_url(events.url()?).send().await?;
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
    // The control: the handle's own stamped send.
    let body = control.clone();
    acme.clone()
        .run(async move { events.send_message()?.message_body(body).send().await.map_err(BoxError::from) })
        .await
        .unwrap();

    let recorded = moto.stop_recording();
    let sent = sqs_requests(&recorded);
    let seen: Vec<String> = sent
        .iter()
        .map(|r| format!("{} {}", r.target().unwrap_or_default(), String::from_utf8_lossy(&r.body)))
        .collect();
    assert_eq!(sent.len(), 1, "the control alone reached moto: {seen:#?}");
    assert!(seen[0].contains(&control), "{seen:?}");
    for (what, got, expected) in verdicts {
        assert_eq!(got, expected, "{what}");
    }
    let violation = |e: &BoxError| GuardViolation::find(&**e).map(|v| v.violation().clone());
    assert_eq!(violation(&rewritten), Some(Violation::Altered), "the stamp rewritten after the check");
    assert_eq!(violation(&batch), unstamped("the attribute names another tenant"), "a batch with one foreign entry");
    assert_eq!(violation(&receive), Some(Violation::SharedQueue(tenant_isolation::model::NamedAction::ReceiveMessage)));
    // What arrived is acme's, stamped acme.
    let arrived = received(&admin, &url, &control).await;
    assert_eq!(
        arrived.iter().map(tenant_attribute).collect::<Vec<_>>(),
        [Some(("String".to_owned(), "acme".to_owned()))]
    );
}
