//! Where each source's records get their tenant, and how failures are answered: the hostile
//! cases, without a server (the batch driver's tests against moto are in `tests/it/records.rs`).

use super::*;
use serde_json::json;

fn sqs_message(attributes: Value) -> SqsMessage {
    serde_json::from_value(json!({ "messageId": "m-1", "body": "{}", "messageAttributes": attributes })).unwrap()
}

fn string_attribute(value: &str) -> Value {
    json!({ "stringValue": value, "dataType": "String" })
}

fn stream_record(keys: Value) -> StreamRecord {
    serde_json::from_value(json!({
        "awsRegion": "us-east-1",
        "eventID": "e-1",
        "eventName": "INSERT",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-01-01T00:00:00.000",
        "dynamodb": { "Keys": keys, "SequenceNumber": "100", "SizeBytes": 10, "ApproximateCreationDateTime": 1.7e9 }
    }))
    .unwrap()
}

fn s3_record(key: &str) -> S3EventRecord {
    serde_json::from_value(json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-12-06T00:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": { "principalId": "x" },
        "requestParameters": { "sourceIPAddress": "127.0.0.1" },
        "responseElements": {},
        "s3": { "s3SchemaVersion": "1.0", "configurationId": "c", "bucket": { "name": "b", "arn": "arn:aws:s3:::b" },
                "object": { "key": key, "size": 1, "sequencer": "0A" } }
    }))
    .unwrap()
}

/// A deployment whose tables' partition key is `pk`, but `Customers`'s, which is `tenant_pk`.
fn deployment() -> Deployment<'static> {
    static KEYS: fn(&str) -> &'static str = |table| if table == "Customers" { "tenant_pk" } else { "pk" };
    static TABLES: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| vec!["Orders".to_owned(), "Customers".to_owned()]);
    Deployment::new(&KEYS, &TABLES)
}

fn tenant(r: Result<TenantId, RecordError>) -> Result<String, RecordError> {
    r.map(|t| t.as_str().to_owned())
}

const HOSTILE: [&str; 6] =
    ["*", "acme#x", "acme/x", "", " acme", "a-very-long-tenant-id-that-is-longer-than-sixty-four-characters-x"];

#[test]
fn an_sqs_messages_tenant_is_its_string_attribute() {
    let sqs = Sqs::tenant_attribute("tenant_id");
    let acme = sqs_message(json!({ "tenant_id": string_attribute("acme") }));
    assert_eq!(tenant(sqs.tenant(&acme, &deployment())), Ok("acme".into()));
    // Absent, under another name, or not a String attribute: no tenant.
    for attributes in [
        json!({}),
        json!({ "tenant": string_attribute("acme") }),
        json!({ "tenant_id": { "stringValue": "acme", "dataType": "Number" } }),
        json!({ "tenant_id": { "binaryValue": "YWNtZQ==", "dataType": "Binary" } }),
    ] {
        assert!(
            matches!(sqs.tenant(&sqs_message(attributes.clone()), &deployment()), Err(RecordError::NoTenant(_))),
            "{attributes}"
        );
    }
    for hostile in HOSTILE {
        let got = sqs.tenant(&sqs_message(json!({ "tenant_id": string_attribute(hostile) })), &deployment());
        assert!(matches!(got, Err(RecordError::InvalidTenant { .. })), "{hostile:?}: {got:?}");
    }
}

#[test]
fn an_eventbridge_events_tenant_is_its_detail_field() {
    let bus = EventBridge::tenant_field("tenant_id");
    let event = |detail: Value| -> EventBridgeEvent<Value> {
        serde_json::from_value(
            json!({ "id": "ev-1", "detail-type": "OrderPlaced", "source": "orders", "detail": detail }),
        )
        .unwrap()
    };
    assert_eq!(tenant(bus.tenant(&event(json!({ "tenant_id": "acme" })), &deployment())), Ok("acme".into()));
    for detail in [json!({}), json!({ "tenant_id": 7 }), json!({ "tenant_id": ["acme"] }), json!({ "tenant": "acme" })]
    {
        assert!(matches!(bus.tenant(&event(detail.clone()), &deployment()), Err(RecordError::NoTenant(_))), "{detail}");
    }
    for hostile in HOSTILE {
        assert!(matches!(
            bus.tenant(&event(json!({ "tenant_id": hostile })), &deployment()),
            Err(RecordError::InvalidTenant { .. })
        ));
    }
}

#[test]
fn a_stream_records_tenant_is_read_from_its_key_by_the_key_rule() {
    let stream = DynamoDbStream::keyed(KeyRule::new("TENANT#"));
    let keyed = |pk: Value| stream.tenant(&stream_record(json!({ "pk": pk, "sk": { "S": "ORDER#1" } })), &deployment());
    assert_eq!(tenant(keyed(json!({ "S": "TENANT#acme#ORDER#1" }))), Ok("acme".into()));
    assert_eq!(tenant(keyed(json!({ "S": "TENANT#acme" }))), Ok("acme".into()));
    // Another prefix, a hostile id, no id: outside every tenant's keys.
    for pk in ["ORG#acme", "TENANT#", "TENANT#a*", "TENANT#acme x", "tenant#acme", "XTENANT#acme"] {
        assert!(matches!(keyed(json!({ "S": pk })), Err(RecordError::OutsideTenants { .. })), "{pk}");
    }
    // Not a string key, or no partition key: no tenant. The item's other attributes are never read.
    assert!(matches!(keyed(json!({ "N": "1" })), Err(RecordError::NoTenant(_))));
    let no_pk = stream_record(json!({ "tenant_pk": { "S": "TENANT#acme" } }));
    assert!(matches!(stream.tenant(&no_pk, &deployment()), Err(RecordError::NoTenant(_))));
}

/// A stream record of `table` with `keys`, or without an `eventSourceARN`.
fn stream_record_of(table: Option<&str>, keys: Value) -> StreamRecord {
    let mut record = serde_json::to_value(stream_record(keys)).unwrap();
    match table {
        Some(t) => {
            record["eventSourceARN"] =
                json!(format!("arn:aws:dynamodb:us-east-1:123456789012:table/{t}/stream/2026-01-01T00:00:00.000"))
        }
        None => {
            record.as_object_mut().unwrap().remove("eventSourceARN");
        }
    }
    serde_json::from_value(record).unwrap()
}

#[test]
fn a_stream_records_partition_key_is_the_one_the_deployment_configures_for_its_table() {
    let stream = DynamoDbStream::keyed(KeyRule::new("TENANT#"));
    // `Customers`'s partition key is `tenant_pk`; its sort key is called `pk` and holds whatever
    // the writer chose: never read (red-team review of issue 23).
    let keys = json!({ "tenant_pk": { "S": "TENANT#acme#1" }, "pk": { "S": "TENANT#globex" } });
    assert_eq!(
        tenant(stream.tenant(&stream_record_of(Some("Customers"), keys.clone()), &deployment())),
        Ok("acme".into())
    );
    // The same keys from `Orders` (partition key `pk`) are globex's: the table decides.
    assert_eq!(
        tenant(stream.tenant(&stream_record_of(Some("Orders"), keys.clone()), &deployment())),
        Ok("globex".into())
    );
    // A stream of a table the handler does not declare: its keys follow no rule of the handler's.
    let other = stream_record_of(Some("OrgLedger"), json!({ "pk": { "S": "TENANT#ORG#acme" } }));
    assert_eq!(stream.tenant(&other, &deployment()), Err(RecordError::UndeclaredTable("OrgLedger".into())));
    // No table to look the attribute up for: no tenant.
    let arn_less = stream_record_of(None, keys);
    assert!(matches!(stream.tenant(&arn_less, &deployment()), Err(RecordError::NoTenant(_))));
    assert_eq!(stream_table("arn:aws:dynamodb:us-east-1:1:table/Orders/stream/x"), Some("Orders"));
    for bad in
        ["arn:aws:dynamodb:us-east-1:1:table/Orders", "arn:aws:dynamodb:us-east-1:1:table//stream/x", "Orders", ""]
    {
        assert_eq!(stream_table(bad), None, "{bad}");
    }
}

#[test]
fn an_s3_records_tenant_is_read_from_its_decoded_key_by_the_object_rule() {
    let uploads = S3Events::keyed(ObjectRule::new("tenants/"));
    for (key, owner) in [("tenants/acme/a.pdf", "acme"), ("tenants/acme/a+b.pdf", "acme"), ("tenants/ac%6De/x", "acme")]
    {
        assert_eq!(tenant(uploads.tenant(&s3_record(key), &deployment())), Ok(owner.into()), "{key}");
    }
    // Encoded separators and ids that decode to nobody's folder; undecodable bytes.
    for key in ["tenants/acme", "tenants/a%2Ab/x", "tenants/ac+me/x", "uploads/acme/x", "tenants/%FF/x"] {
        assert!(
            matches!(uploads.tenant(&s3_record(key), &deployment()), Err(RecordError::OutsideTenants { .. })),
            "{key}"
        );
    }
    assert_eq!(decode_s3_event_key("tenants/acme/a+b%2Bc.pdf").as_deref(), Some("tenants/acme/a b+c.pdf"));
}

#[test]
fn failures_are_answered_the_way_each_source_expects() {
    let ended = [(Some("m-1".to_owned()), false), (Some("m-2".to_owned()), true), (Some("m-3".to_owned()), true)];
    let sqs = Sqs::respond(&ended).unwrap();
    let ids: Vec<&str> = sqs.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(ids, ["m-2", "m-3"]);
    assert_eq!(serde_json::to_value(&sqs).unwrap()["batchItemFailures"][0]["itemIdentifier"], "m-2");
    // A stream checkpoints at its first failure.
    let stream = DynamoDbStream::respond(&ended).unwrap();
    assert_eq!(serde_json::to_value(&stream).unwrap(), json!({ "batchItemFailures": [{ "itemIdentifier": "m-2" }] }));
    assert!(DynamoDbStream::respond(&ended[..1]).unwrap().batch_item_failures.is_empty());
    // No partial response: the invocation fails, naming the records.
    assert!(
        matches!(EventBridge::respond(&ended), Err(BatchFailure::Failed { ref failed, of: 3 }) if failed == &["m-2", "m-3"])
    );
    assert!(S3Events::respond(&ended[..1]).is_ok());
    // A failed record that cannot be named fails the whole batch rather than being lost.
    assert!(matches!(Sqs::respond(&[(None, true)]), Err(BatchFailure::Unreportable)));
    assert!(Sqs::respond(&[(None, false)]).unwrap().batch_item_failures.is_empty());
}

#[test]
fn fifo_groups_and_stream_shards_keep_their_order() {
    let fifo = |group: &str| -> SqsMessage {
        serde_json::from_value(json!({ "messageId": group, "attributes": { "MessageGroupId": group } })).unwrap()
    };
    assert_eq!(Sqs::order_key(&fifo("g1")).as_deref(), Some("g1"));
    assert_eq!(Sqs::order_key(&sqs_message(json!({}))), None, "a standard queue's messages run side by side");
    let record = stream_record(json!({ "pk": { "S": "TENANT#acme" } }));
    assert!(DynamoDbStream::order_key(&record).is_some(), "a stream's records run in order");
}
