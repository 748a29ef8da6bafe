//! Record handlers against moto: one tenant per record, each record signed with its own
//! tenant's credentials, failures reported per record the way each source expects, and no STS
//! call for a record without a usable tenant.

use crate::common::unique;
use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use std::collections::HashMap;
use tenant_isolation::{Isolation, IsolationError, TenantTable, tenant_isolated};
use tenant_isolation_tests::{Moto, provision, sdk_config};

/// Fulfils one order: writes `sk` in the partition the message asks for (its own, unless a
/// hostile body names another tenant's key: the guard's to refuse).
#[tenant_isolated(table = "Orders", actions = [PutItem], records = sqs(tenant_attribute = "tenant_id"))]
async fn fulfil(orders: TenantTable, message: SqsMessage) -> Result<(), IsolationError> {
    let body: Value = serde_json::from_str(message.body.as_deref().unwrap_or("{}")).unwrap_or_default();
    let pk = match body["pk"].as_str() {
        Some(other) => other.to_owned(),
        None => orders.partition_key()?,
    };
    if body["fail"] == true {
        return Err(IsolationError::Config(tenant_isolation::ConfigError::Missing { var: "X", builder: "y" }));
    }
    orders
        .put_item()?
        .item("pk", AttributeValue::S(pk))
        .item("sk", AttributeValue::S(body["sk"].as_str().unwrap_or("none").to_owned()))
        .send()
        .await?;
    Ok(())
}

/// Counts a tenant's orders from the stream of `Orders`: the tenant is read from each record's key.
#[tenant_isolated(
    table = "Orders",
    actions = [UpdateItem],
    records = dynamodb_stream(key_prefix = "TENANT#")
)]
async fn count(orders: TenantTable, record: aws_lambda_events::dynamodb::EventRecord) -> Result<(), IsolationError> {
    let sk = match record.change.keys.get("sk") {
        Some(serde_dynamo::AttributeValue::S(sk)) => sk.clone(),
        _ => String::new(),
    };
    if sk.ends_with("#fail") {
        return Err(IsolationError::Config(tenant_isolation::ConfigError::Missing { var: "X", builder: "y" }));
    }
    orders
        .update_item()?
        .key("pk", AttributeValue::S(orders.partition_key()?))
        .key("sk", AttributeValue::S(format!("COUNT#{}", sk.split('#').next().unwrap_or_default())))
        .update_expression("ADD n :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await?;
    Ok(())
}

fn context(tenant: Option<&str>) -> Context {
    let mut context = Context::default();
    context.request_id = unique("req");
    context.tenant_id = tenant.map(str::to_owned);
    context
}

/// An SQS message with `id`, a `tenant_id` String attribute when `tenant` is given, and `body`.
fn message(id: &str, tenant: Option<&str>, body: Value, group: Option<&str>) -> Value {
    let mut attributes = json!({});
    if let Some(tenant) = tenant {
        attributes["tenant_id"] = json!({ "stringValue": tenant, "dataType": "String" });
    }
    let mut system = json!({ "ApproximateReceiveCount": "1" });
    if let Some(group) = group {
        system["MessageGroupId"] = json!(group);
    }
    json!({ "messageId": id, "receiptHandle": "r", "body": body.to_string(), "attributes": system,
            "messageAttributes": attributes, "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs", "awsRegion": "us-east-1" })
}

fn sqs_batch(messages: Vec<Value>, tenant: Option<&str>) -> LambdaEvent<SqsEvent> {
    LambdaEvent::new(serde_json::from_value(json!({ "Records": messages })).unwrap(), context(tenant))
}

async fn isolation(moto: &Moto, role_arn: &str) -> Isolation {
    Isolation::builder().sdk_config(sdk_config(&moto.endpoint()).await).role_arn(role_arn).build().await.unwrap()
}

/// Every PutItem moto recorded since recording started: (access key id it was signed with, its
/// item's pk and sk), through the testkit's reader of moto's request recorder.
fn recorded_puts(moto: &Moto) -> Vec<(String, String, String)> {
    moto.stop_recording()
        .iter()
        .filter(|r| r.dynamodb_operation() == Some("PutItem"))
        .map(|r| {
            let body = r.json().unwrap_or(Value::Null);
            let field = |f: &str| body["Item"][f]["S"].as_str().unwrap_or_default().to_owned();
            (r.access_key_id().unwrap_or_default().to_owned(), field("pk"), field("sk"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_tenant_sqs_batch_runs_each_record_as_its_own_tenant() {
    // Its own moto: the recorder is server-wide.
    let moto = tenant_isolation_tests::start_moto();
    let fx = provision(&moto);
    let iso = isolation(&moto, &fx.role_arn).await;
    moto.start_recording();

    let run = unique("JOB");
    let tenants = ["acme", "globex", "initech"];
    let mut messages: Vec<Value> = (0..10)
        .map(|i| message(&format!("m-{i}"), Some(tenants[i % 3]), json!({ "sk": format!("{run}#{i}") }), None))
        .collect();
    // The attacks: acme's message naming globex's partition; no tenant; hostile tenants.
    messages.push(message(
        "attack",
        Some("acme"),
        json!({ "sk": format!("{run}#attack"), "pk": "TENANT#globex" }),
        None,
    ));
    messages.push(message("no-tenant", None, json!({ "sk": format!("{run}#none") }), None));
    for (i, hostile) in ["*", "acme#x", &"a".repeat(65)].into_iter().enumerate() {
        messages.push(message(&format!("hostile-{i}"), Some(hostile), json!({ "sk": format!("{run}#h{i}") }), None));
    }
    let response = fulfil::call_with(&iso, sqs_batch(messages.clone(), None)).await.unwrap();
    let mut failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    failed.sort_unstable();
    assert_eq!(failed, ["attack", "hostile-0", "hostile-1", "hostile-2", "no-tenant"]);
    assert_eq!(iso.stats().sts_calls, 3, "one STS call per distinct cold tenant, none for a record without one");

    // Warm: the same tenants again cost nothing.
    let again: Vec<Value> = (0..10)
        .map(|i| message(&format!("w-{i}"), Some(tenants[i % 3]), json!({ "sk": format!("{run}#w{i}") }), None))
        .collect();
    let response = fulfil::call_with(&iso, sqs_batch(again, None)).await.unwrap();
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(iso.stats().sts_calls, 3, "warm: no STS call");

    // What reached moto: every put of the run signed by the key of the tenant whose partition it wrote.
    let puts: Vec<_> = recorded_puts(&moto).into_iter().filter(|(_, _, sk)| sk.starts_with(&run)).collect();
    assert_eq!(puts.len(), 20, "ten records twice: {puts:?}");
    let mut signer_of: HashMap<String, String> = HashMap::new();
    for (key, pk, _) in &puts {
        let owner = signer_of.entry(key.clone()).or_insert_with(|| pk.clone());
        assert_eq!(owner, pk, "access key {key} signed puts in two partitions");
    }
    assert_eq!(signer_of.len(), 3, "three tenants, three access keys: {signer_of:?}");
    assert!(!puts.iter().any(|(_, _, sk)| sk.ends_with("#attack")), "the refused put never reached moto");
}

#[tokio::test]
async fn the_lambda_tenant_id_must_be_every_records_tenant() {
    let moto = tenant_isolation_tests::start_moto();
    let fx = provision(&moto);
    let iso = isolation(&moto, &fx.role_arn).await;
    let run = unique("LT");
    let mixed = vec![
        message("a", Some("acme"), json!({ "sk": format!("{run}#a") }), None),
        message("g", Some("globex"), json!({ "sk": format!("{run}#g") }), None),
    ];
    let refused = fulfil::call_with(&iso, sqs_batch(mixed, Some("acme"))).await.unwrap_err();
    assert!(refused.to_string().contains("refused"), "{refused}");
    let without = vec![message("n", None, json!({ "sk": format!("{run}#n") }), None)];
    assert!(fulfil::call_with(&iso, sqs_batch(without, Some("acme"))).await.is_err(), "a record of no tenant");
    assert_eq!(iso.stats().sts_calls, 0, "refused before any STS call");
    let own = vec![message("a", Some("acme"), json!({ "sk": format!("{run}#a") }), None)];
    let served = fulfil::call_with(&iso, sqs_batch(own, Some("acme"))).await.unwrap();
    assert!(served.batch_item_failures.is_empty());
    // Under `required`, a batch without a Lambda tenant id is refused.
    let required = Isolation::builder()
        .sdk_config(sdk_config(&moto.endpoint()).await)
        .role_arn(fx.role_arn.clone())
        .lambda_tenant_mode(tenant_isolation::LambdaTenantMode::Required)
        .build()
        .await
        .unwrap();
    let own = vec![message("a", Some("acme"), json!({ "sk": format!("{run}#r") }), None)];
    assert!(fulfil::call_with(&required, sqs_batch(own, None)).await.is_err());
    assert_eq!(required.stats().sts_calls, 0);
}

#[tokio::test]
async fn a_fifo_groups_failure_stops_only_that_group() {
    let moto = tenant_isolation_tests::start_moto();
    let fx = provision(&moto);
    let iso = isolation(&moto, &fx.role_arn).await;
    let run = unique("FIFO");
    let batch = vec![
        message("g1-1", Some("acme"), json!({ "sk": format!("{run}#1") }), Some("g1")),
        message("g1-2", Some("acme"), json!({ "sk": format!("{run}#2"), "fail": true }), Some("g1")),
        message("g1-3", Some("acme"), json!({ "sk": format!("{run}#3") }), Some("g1")),
        message("g2-1", Some("globex"), json!({ "sk": format!("{run}#4") }), Some("g2")),
    ];
    let response = fulfil::call_with(&iso, sqs_batch(batch, None)).await.unwrap();
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["g1-2", "g1-3"], "the failed message and the rest of its group, not g2");
    // g1-3 never ran: its item is not there.
    let scope = iso.enter(fulfil::SPEC, &tenant_isolation::TenantId::parse("acme").unwrap(), None).await.unwrap();
    let db = aws_sdk_dynamodb::Client::new(&sdk_config(&moto.endpoint()).await);
    let get = |sk: String| {
        db.get_item()
            .table_name(scope.table_name())
            .key("pk", AttributeValue::S("TENANT#acme".into()))
            .key("sk", AttributeValue::S(sk))
            .send()
    };
    assert!(get(format!("{run}#1")).await.unwrap().item().is_some());
    assert!(get(format!("{run}#3")).await.unwrap().item().is_none(), "a later message of a failed group ran");
}

fn stream_record(seq: u64, pk: &str, sk: &str) -> Value {
    json!({ "awsRegion": "us-east-1", "eventID": format!("e-{seq}"), "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-01-01T00:00:00.000",
            "dynamodb": { "Keys": { "pk": { "S": pk }, "sk": { "S": sk } }, "SequenceNumber": seq.to_string(),
                          "SizeBytes": 10, "StreamViewType": "KEYS_ONLY", "ApproximateCreationDateTime": 1.7e9 } })
}

#[tokio::test]
async fn a_streams_batch_reads_each_tenant_from_its_key_and_checkpoints_at_the_first_failure() {
    let moto = tenant_isolation_tests::start_moto();
    let fx = provision(&moto);
    let iso = isolation(&moto, &fx.role_arn).await;
    let run = unique("S");
    let records = |items: &[(u64, &str, String)]| -> LambdaEvent<StreamEvent> {
        let records: Vec<Value> = items.iter().map(|(seq, pk, sk)| stream_record(*seq, pk, sk)).collect();
        LambdaEvent::new(serde_json::from_value(json!({ "Records": records })).unwrap(), context(None))
    };
    let ok = records(&[
        (1, "TENANT#acme#ORDER#1", format!("{run}#1")),
        (2, "TENANT#globex", format!("{run}#2")),
        (3, "TENANT#acme", format!("{run}#3")),
    ]);
    let response = count::call_with(&iso, ok).await.unwrap();
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(iso.stats().sts_calls, 2, "two tenants read from the keys");
    // A key outside every tenant's: that record fails (no STS call); the records after it are
    // not run, and the checkpoint is its sequence number.
    let outside = records(&[
        (4, "TENANT#initech", format!("{run}#4")),
        (5, "ORG#acme", format!("{run}#5")),
        (6, "TENANT#umbrella", format!("{run}#6")),
    ]);
    let response = count::call_with(&iso, outside).await.unwrap();
    let checkpoint: Vec<Option<&str>> =
        response.batch_item_failures.iter().map(|f| f.item_identifier.as_deref()).collect();
    assert_eq!(checkpoint, [Some("5")]);
    assert_eq!(iso.stats().sts_calls, 3, "initech ran; the outside key and umbrella after it did not");
    // The counts landed in each tenant's own partition.
    let db = aws_sdk_dynamodb::Client::new(&sdk_config(&moto.endpoint()).await);
    let scope = iso.enter(count::SPEC, &tenant_isolation::TenantId::parse("acme").unwrap(), None).await.unwrap();
    let acme = db
        .get_item()
        .table_name(scope.table_name())
        .key("pk", AttributeValue::S("TENANT#acme".into()))
        .key("sk", AttributeValue::S(format!("COUNT#{}", run.split('#').next().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(acme.item().and_then(|i| i.get("n")), Some(&AttributeValue::N("2".into())), "{acme:?}");
}

/// Counts uploads per tenant: the tenant is read from the object key S3 notified.
#[tenant_isolated(table = "Orders", actions = [UpdateItem], records = s3_events(prefix = "tenants/"))]
async fn uploaded(orders: TenantTable, record: aws_lambda_events::s3::S3EventRecord) -> Result<(), IsolationError> {
    let key = record.s3.object.key.unwrap_or_default();
    orders
        .update_item()?
        .key("pk", AttributeValue::S(orders.partition_key()?))
        .key("sk", AttributeValue::S(format!("UPLOADS#{}", key.rsplit('/').next().unwrap_or_default())))
        .update_expression("ADD n :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await?;
    Ok(())
}

/// Records an event per tenant: the tenant is `detail.tenant`.
#[tenant_isolated(table = "Orders", actions = [PutItem], records = eventbridge(tenant_field = "tenant"))]
async fn placed(
    orders: TenantTable,
    event: aws_lambda_events::eventbridge::EventBridgeEvent<Value>,
) -> Result<(), IsolationError> {
    orders
        .put_item()?
        .item("pk", AttributeValue::S(orders.partition_key()?))
        .item("sk", AttributeValue::S(event.detail["sk"].as_str().unwrap_or_default().to_owned()))
        .send()
        .await?;
    Ok(())
}

// ---- Red team (issue 23 review): attacks that must fail only the attacker's record ----------

/// Which tenant each record ran as, and the request id its scope named: (record id, tenant,
/// scope's request id). Tests filter by their own unique ids.
static RAN_AS: std::sync::Mutex<Vec<(String, String, Option<String>)>> = std::sync::Mutex::new(Vec::new());

fn ran_as(id: &str) -> Vec<(String, Option<String>)> {
    RAN_AS.lock().unwrap().iter().filter(|(i, _, _)| i == id).map(|(_, t, r)| (t.clone(), r.clone())).collect()
}

fn note_scope(id: String) {
    let scope = tenant_isolation::current().expect("a record runs in its tenant's scope");
    RAN_AS.lock().unwrap().push((id, scope.tenant().as_str().to_owned(), scope.request_id().map(str::to_owned)));
}

/// A worker with a bug that one tenant's message reaches: it panics on `{"panic": true}`.
#[tenant_isolated(table = "Orders", actions = [PutItem], records = sqs(tenant_attribute = "tenant_id"))]
async fn fragile(_orders: TenantTable, message: SqsMessage) -> Result<(), IsolationError> {
    let body: Value = serde_json::from_str(message.body.as_deref().unwrap_or("{}")).unwrap_or_default();
    assert!(body["panic"] != true, "a bug one tenant's message reaches");
    note_scope(message.message_id.clone().unwrap_or_default());
    Ok(())
}

#[tokio::test]
async fn s3_notifications_and_eventbridge_events_run_as_the_tenant_their_key_or_detail_names() {
    use tenant_isolation_testkit::records::{BridgeEvent, ContextExt, S3Notification};
    let moto = tenant_isolation_tests::start_moto();
    let fx = provision(&moto);
    let iso = isolation(&moto, &fx.role_arn).await;
    let run = unique("UP");
    // acme's and globex's uploads (one with a space, as S3 encodes it); one key outside every
    // tenant's folder, one whose folder is no valid tenant id.
    let notified = S3Notification::new("order-attachments")
        .put(&format!("tenants/acme/{run} a.pdf"), 10)
        .put(&format!("tenants/globex/{run}.pdf"), 10)
        .put(&format!("uploads/acme/{run}.pdf"), 10)
        .put(&format!("tenants/a*b/{run}.pdf"), 10);
    let failed = uploaded::call_with(&iso, notified.into_lambda_event()).await.unwrap_err();
    let failed = failed.to_string();
    assert!(failed.starts_with("2 of 4 records failed"), "{failed}");
    assert!(failed.contains("uploads/acme") && failed.contains("a*b"), "{failed}");
    assert_eq!(iso.stats().sts_calls, 2, "the two tenants ran; the two keys of no tenant made no STS call");

    // EventBridge: one event per invocation; a hostile tenant fails it without an STS call.
    let event = |tenant: Value| {
        BridgeEvent::new("orders.app", "OrderPlaced")
            .detail(json!({ "sk": format!("{run}#ev") }))
            .tenant_field("tenant")
            .tenant(tenant)
    };
    placed::call_with(&iso, event(json!("acme")).into_lambda_event()).await.unwrap();
    let before = iso.stats().sts_calls;
    for hostile in [json!("*"), json!("acme#x"), json!(7), Value::Null] {
        assert!(placed::call_with(&iso, event(hostile.clone()).into_lambda_event()).await.is_err(), "{hostile}");
    }
    assert_eq!(iso.stats().sts_calls, before, "no STS call for a hostile tenant");
    // A Lambda tenant id of another tenant refuses the event whole.
    let mut routed = event(json!("acme")).into_lambda_event();
    routed.context = routed.context.lambda_tenant("globex");
    assert!(placed::call_with(&iso, routed).await.is_err());
    assert_eq!(iso.stats().sts_calls, before);
}

#[tokio::test]
async fn one_tenants_panicking_record_fails_only_that_record() {
    let (moto, fx) = tenant_isolation_tests::shared();
    let iso = isolation(moto, &fx.role_arn).await;
    let run = unique("PANIC");
    let ids = [format!("{run}-acme"), format!("{run}-poison"), format!("{run}-initech"), format!("{run}-g2")];
    let batch = vec![
        message(&ids[0], Some("acme"), json!({}), None),
        message(&ids[1], Some("globex"), json!({ "panic": true }), None),
        message(&ids[2], Some("initech"), json!({}), None),
    ];
    let spawned = {
        let iso = iso.clone();
        tokio::spawn(async move { fragile::call_with(&iso, sqs_batch(batch, None)).await })
    };
    let response = spawned
        .await
        .expect("globex's panicking record took the whole batch down: acme's and initech's messages are retried with it (and dead-lettered with it)")
        .unwrap();
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, [ids[1].as_str()], "only globex's record failed");
    let tenant_of = |id: &str| -> Vec<String> { ran_as(id).into_iter().map(|(t, _)| t).collect() };
    assert_eq!(tenant_of(&ids[0]), ["acme"]);
    assert_eq!(tenant_of(&ids[2]), ["initech"]);
    // FIFO: a panic stops its own group only.
    let batch = vec![
        message(&format!("{run}-f1"), Some("globex"), json!({ "panic": true }), Some("g1")),
        message(&format!("{run}-f2"), Some("globex"), json!({}), Some("g1")),
        message(&ids[3], Some("acme"), json!({}), Some("g2")),
    ];
    let spawned = {
        let iso = iso.clone();
        tokio::spawn(async move { fragile::call_with(&iso, sqs_batch(batch, None)).await })
    };
    let response = spawned.await.expect("a panic in group g1 failed group g2 too").unwrap();
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, [format!("{run}-f1"), format!("{run}-f2")]);
    assert_eq!(ran_as(&ids[3]).len(), 1, "g2 ran");
    assert!(ran_as(&format!("{run}-f2")).is_empty(), "g1's later message did not run");
}

#[tokio::test]
async fn a_record_handlers_scope_names_the_lambda_request_id() {
    // `Scope::request_id` is documented as "the Lambda request id": a handler that correlates
    // or deduplicates by it must not get the record's own id (for S3, the object key: the same
    // for every upload to that key, and a file name in every log line).
    let (moto, fx) = tenant_isolation_tests::shared();
    let iso = isolation(moto, &fx.role_arn).await;
    let id = unique("RID");
    let event = sqs_batch(vec![message(&id, Some("acme"), json!({}), None)], None);
    let lambda_request_id = event.context.request_id.clone();
    let response = fragile::call_with(&iso, event).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(ran_as(&id), [("acme".to_owned(), Some(lambda_request_id))]);
}

/// A Streams consumer with the macro's default `partition_key` (`pk`).
#[tenant_isolated(table = "Orders", actions = [UpdateItem], records = dynamodb_stream())]
async fn stream_noter(
    _orders: TenantTable,
    record: aws_lambda_events::dynamodb::EventRecord,
) -> Result<(), IsolationError> {
    note_scope(record.change.sequence_number.clone().unwrap_or_default());
    Ok(())
}

#[tokio::test]
async fn a_stream_records_tenant_is_read_from_the_partition_key_the_deployment_configures() {
    // The deployment's partition key of `Orders` is `tenant_pk` (what the guard and IAM confine
    // writes by: TENANT_PARTITION_KEY / TENANT_TABLE_PARTITION_KEYS, deployment configuration
    // per SECURITY.md); the item's sort key happens to be called `pk`. acme's confined session
    // writes `tenant_pk = TENANT#acme#1` and a sort key of its choice, `pk = TENANT#globex`.
    let (moto, fx) = tenant_isolation_tests::shared();
    let iso = Isolation::builder()
        .sdk_config(sdk_config(&moto.endpoint()).await)
        .role_arn(fx.role_arn.clone())
        .partition_key("tenant_pk")
        .build()
        .await
        .unwrap();
    let seq = unique("SEQ");
    let mut record = stream_record(1, "TENANT#globex", "ORDER#1");
    record["dynamodb"]["SequenceNumber"] = json!(seq);
    record["dynamodb"]["Keys"] = json!({ "tenant_pk": { "S": "TENANT#acme#1" }, "pk": { "S": "TENANT#globex" } });
    let event = LambdaEvent::new(serde_json::from_value(json!({ "Records": [record] })).unwrap(), context(None));
    let _ = stream_noter::call_with(&iso, event).await;
    let tenants: Vec<String> = ran_as(&seq).into_iter().map(|(t, _)| t).collect();
    assert!(
        tenants.iter().all(|t| t == "acme"),
        "acme's item ran with {tenants:?}'s credentials: the tenant was read from a sort key its writer chose"
    );
}

/// An S3 notification consumer of a bucket whose tenants' folders are at its root (`prefix = ""`,
/// which SECURITY.md allows), with the source's default prefix (`tenants/`): two rules for
/// one bucket, and nothing says they differ.
#[tenant_isolated(
    buckets(uploads(bucket = "tenant-uploads", prefix = "", actions = [GetObject])),
    records = s3_events()
)]
async fn upload_noter(
    uploads: tenant_isolation::TenantBucket,
    record: aws_lambda_events::s3::S3EventRecord,
) -> Result<(), IsolationError> {
    let _ = uploads;
    note_scope(record.s3.object.sequencer.clone().unwrap_or_default());
    Ok(())
}

#[tokio::test]
async fn an_s3_records_tenant_is_read_by_the_rule_its_bucket_is_confined_by() {
    // Under the bucket's own rule (prefix ""), `tenants/globex/evil.csv` is in the folder of
    // tenant `tenants`, who wrote it with its own confined session. The source's rule reads it as
    // globex's: tenant `tenants` gets a record of its choosing run with globex's credentials.
    let (moto, fx) = tenant_isolation_tests::shared();
    let iso = isolation(moto, &fx.role_arn).await;
    let sequencer = unique("SEQ");
    let record = json!({
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-12-06T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": { "principalId": "x" }, "requestParameters": { "sourceIPAddress": "127.0.0.1" },
        "responseElements": {},
        "s3": { "s3SchemaVersion": "1.0", "configurationId": "c",
                "bucket": { "name": "tenant-uploads", "arn": "arn:aws:s3:::tenant-uploads" },
                "object": { "key": "tenants/globex/evil.csv", "size": 1, "sequencer": sequencer } }
    });
    let event = LambdaEvent::new(serde_json::from_value(json!({ "Records": [record] })).unwrap(), context(None));
    let _ = upload_noter::call_with(&iso, event).await;
    let tenants: Vec<String> = ran_as(&sequencer).into_iter().map(|(t, _)| t).collect();
    assert!(
        !tenants.iter().any(|t| t == "globex"),
        "tenant `tenants`'s object ran with globex's credentials: the source's prefix is not its bucket's"
    );
}

/// With metrics on, each record is one EMF line of its handler, and a batch refused by the
/// Lambda tenant check is one refusal (an alarm on `RefusedIdentity` sees mis-routed batches);
/// no line names a tenant.
#[tokio::test]
async fn records_and_refused_batches_are_counted_in_the_metrics() {
    let lines = crate::common::Lines::default();
    let (moto, fx) = tenant_isolation_tests::shared();
    let iso = Isolation::builder()
        .sdk_config(sdk_config(&moto.endpoint()).await)
        .role_arn(fx.role_arn.clone())
        .metrics(tenant_isolation::Metrics::emf_to("RecordsTest", lines.clone()))
        .build()
        .await
        .unwrap();
    let run = unique("EMF");
    let batch = vec![
        message("a", Some("acme"), json!({ "sk": format!("{run}#a") }), None),
        message("n", None, json!({ "sk": format!("{run}#n") }), None),
    ];
    fulfil::call_with(&iso, sqs_batch(batch.clone(), None)).await.unwrap();
    assert!(fulfil::call_with(&iso, sqs_batch(batch, Some("globex"))).await.is_err());
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert!(!text.contains("acme") && !text.contains("globex"), "no tenant on a metrics line: {text}");
    let count = |i: usize, name: &str| lines[i][name].as_u64().unwrap();
    assert_eq!(lines.len(), 3, "two records, one refused batch: {text}");
    assert!(lines.iter().all(|l| l["Handler"] == "fulfil"), "{text}");
    let served: u64 = (0..3).map(|i| count(i, "Served")).sum();
    let refused: u64 = (0..3).map(|i| count(i, "RefusedIdentity")).sum();
    assert_eq!((served, refused), (1, 2), "acme's record served; the record without a tenant and the batch refused");
}
