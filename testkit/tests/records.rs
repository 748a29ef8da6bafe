//! The record builders against the types the runtime reads them with (`aws_lambda_events`) and
//! against Lambda's own reader of the Runtime API headers (`lambda_runtime::Context::new`).
//!
//! Each payload is checked three ways: every field the kit writes is one the type knows (its
//! catch-all `other` maps stay empty, so a misspelt name cannot hide in them); the typed value
//! holds what the test built; and the typed value written back to JSON has the field names AWS
//! documents (`messageAttributes.tenant_id.stringValue`, `dynamodb.Keys.pk.S`, …) and reads back
//! equal.

use aws_lambda_events::event::dynamodb::{Event as DynamoDbEvent, StreamViewType};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::{SqsEvent, SqsEventObj};
use lambda_runtime::LambdaEvent;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::fmt::Debug;
use std::time::{Duration, SystemTime};
use tenant_isolation_testkit::records::{
    self, BridgeEvent, ContextExt, FIFO_QUEUE_ARN, Message, QUEUE_ARN, S3Notification, STREAM_ARN, SqsBatch,
    StreamBatch, encode_s3_key,
};

/// `value` written to JSON and read back: equal, and that JSON.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) -> Value {
    let json = serde_json::to_value(value).unwrap();
    let again: T = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(&again, value, "{json:#}");
    json
}

#[test]
fn an_sqs_batch_of_mixed_tenants_reads_as_sqs_event() {
    let batch = SqsBatch::new()
        .message("acme", json!({"order": "o-1"}))
        .message("globex", json!({"order": "o-2"}))
        .message_without_tenant(json!({"order": "o-3"}))
        .message("acme#x", json!({"order": "o-4"}))
        .message("*", json!({"order": "o-5"}));
    let ids = batch.message_ids();
    let event: SqsEvent = batch.payload();

    assert_eq!(event.records.len(), 5);
    assert!(event.other.is_empty(), "{:?}", event.other);
    let tenants: Vec<Option<&str>> = event
        .records
        .iter()
        .map(|r| r.message_attributes.get("tenant_id").and_then(|a| a.string_value.as_deref()))
        .collect();
    assert_eq!(tenants, [Some("acme"), Some("globex"), None, Some("acme#x"), Some("*")]);
    for (record, id) in event.records.iter().zip(&ids) {
        assert!(record.other.is_empty(), "unknown fields {:?}", record.other);
        assert_eq!(record.message_id.as_deref(), Some(id.as_str()));
        assert_eq!(record.event_source.as_deref(), Some("aws:sqs"));
        assert_eq!(record.event_source_arn.as_deref(), Some(QUEUE_ARN));
        assert_eq!(record.aws_region.as_deref(), Some("us-east-1"));
        assert_eq!(record.attributes["ApproximateReceiveCount"], "1");
        assert!(!record.attributes.contains_key("MessageGroupId"), "a standard queue's message has no group");
        for attribute in record.message_attributes.values() {
            assert!(attribute.other.is_empty(), "unknown fields {:?}", attribute.other);
            assert_eq!(attribute.data_type.as_deref(), Some("String"));
        }
    }
    assert_eq!(event.records[0].body.as_deref(), Some(r#"{"order":"o-1"}"#));
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "message ids are unique: {ids:?}");

    let json = round_trip(&event);
    let first = &json["Records"][0];
    assert_eq!(first["messageAttributes"]["tenant_id"]["stringValue"], "acme");
    assert_eq!(first["messageAttributes"]["tenant_id"]["dataType"], "String");
    assert_eq!(first["eventSourceARN"], QUEUE_ARN);
    assert_eq!(first["messageId"], json!(ids[0]));
    assert_eq!(json["Records"][2]["messageAttributes"], json!({}));
}

#[test]
fn the_tenant_attribute_name_is_the_tests_and_a_fifo_batch_has_groups_in_order() {
    let batch = SqsBatch::fifo()
        .tenant_attribute("tenant")
        .message_in_group("acme", "acme-1", json!({"n": 1}))
        .message_in_group("globex", "globex-1", json!({"n": 2}))
        .message_in_group("acme", "acme-1", json!({"n": 3}))
        .push(Message::text("plain").tenant_typed("7", "Number").attribute("trace", "t-1").id("fixed-id"));
    let event = batch.payload();
    let attribute = |i: usize, name: &str| event.records[i].message_attributes.get(name).cloned();

    assert!(attribute(0, "tenant_id").is_none(), "the default name is not written besides the chosen one");
    assert_eq!(attribute(0, "tenant").unwrap().string_value.as_deref(), Some("acme"));
    assert_eq!(attribute(3, "tenant").unwrap().data_type.as_deref(), Some("Number"));
    assert_eq!(attribute(3, "trace").unwrap().string_value.as_deref(), Some("t-1"));
    assert_eq!(event.records[3].message_id.as_deref(), Some("fixed-id"));
    assert_eq!(event.records[3].body.as_deref(), Some("plain"));

    let groups: Vec<Option<&str>> =
        event.records.iter().map(|r| r.attributes.get("MessageGroupId").map(String::as_str)).collect();
    assert_eq!(groups, [Some("acme-1"), Some("globex-1"), Some("acme-1"), None]);
    let sequence: Vec<u128> = event.records.iter().map(|r| r.attributes["SequenceNumber"].parse().unwrap()).collect();
    assert!(sequence.windows(2).all(|w| w[0] < w[1]), "{sequence:?}");
    assert!(event.records.iter().all(|r| r.attributes.contains_key("MessageDeduplicationId")));
    assert!(event.records.iter().all(|r| r.event_source_arn.as_deref() == Some(FIFO_QUEUE_ARN)));

    let json = round_trip(&event);
    assert_eq!(json["Records"][1]["messageAttributes"]["tenant"]["stringValue"], "globex");
    assert_eq!(json["Records"][1]["attributes"]["MessageGroupId"], "globex-1");
}

/// A body that is the JSON of a type reads as `SqsEventObj<T>` too (`lambda_event_as`).
#[test]
fn an_sqs_batch_reads_as_typed_bodies_with_its_context() {
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Order {
        order: String,
    }
    let batch = SqsBatch::new().message("acme", json!({"order": "o-1"})).lambda_tenant("acme").request_id("req-1");
    let event: LambdaEvent<SqsEventObj<Order>> = batch.lambda_event_as();
    assert_eq!(event.payload.records[0].body, Order { order: "o-1".into() });
    assert_eq!(event.context.request_id, "req-1");
    assert_eq!(event.context.tenant_id.as_deref(), Some("acme"));
}

#[test]
fn an_eventbridge_event_carries_its_tenant_in_the_named_detail_field() {
    let event = BridgeEvent::new("orders.app", "OrderPlaced")
        .detail(json!({"order": "o-1", "tenant_id": "not-this-one"}))
        .tenant_field("tenantId")
        .tenant("acme")
        .resource("arn:aws:events:us-east-1:123456789012:rule/orders");
    let typed: EventBridgeEvent = event.payload();
    assert!(typed.other.is_empty(), "unknown fields {:?}", typed.other);
    assert_eq!(typed.source, "orders.app");
    assert_eq!(typed.detail_type, "OrderPlaced");
    assert_eq!(typed.detail, json!({"order": "o-1", "tenant_id": "not-this-one", "tenantId": "acme"}));
    assert_eq!(typed.account.as_deref(), Some("123456789012"));
    assert_eq!(typed.region.as_deref(), Some("us-east-1"));
    assert!(typed.time.is_some() && typed.id.is_some());
    assert_eq!(typed.resources.as_deref(), Some(&["arn:aws:events:us-east-1:123456789012:rule/orders".to_owned()][..]));

    let json = round_trip(&typed);
    assert_eq!(json["detail-type"], "OrderPlaced");
    assert_eq!(json["detail"]["tenantId"], "acme");

    // Without a tenant the field is absent; a malformed one is written as given.
    let none = BridgeEvent::new("orders.app", "OrderPlaced").payload();
    assert_eq!(none.detail, json!({}));
    let array = BridgeEvent::new("orders.app", "OrderPlaced").tenant(json!(["acme", "globex"])).payload();
    assert_eq!(array.detail["tenant_id"], json!(["acme", "globex"]));
}

#[test]
fn a_streams_batch_has_keys_and_images_as_dynamodb_json_and_increasing_sequence_numbers() {
    let batch = StreamBatch::new()
        .insert(json!({"pk": "TENANT#acme#ORDER#1", "sk": "ORDER", "total": 3, "paid": false}))
        .modify(
            json!({"pk": "TENANT#globex#ORDER#7", "sk": "ORDER", "status": "NEW"}),
            json!({"pk": "TENANT#globex#ORDER#7", "sk": "ORDER", "status": "PAID", "lines": [{"sku": "a"}]}),
        )
        .remove(json!({"pk": "TENANT#acme#ORDER#2", "sk": "ORDER"}))
        .insert(json!({"pk": "ORDER#9", "sk": "ORDER"}));
    let sequence = batch.sequence_numbers();
    let event: DynamoDbEvent = batch.payload();

    assert!(event.other.is_empty(), "unknown fields {:?}", event.other);
    let names: Vec<&str> = event.records.iter().map(|r| r.event_name.as_str()).collect();
    assert_eq!(names, ["INSERT", "MODIFY", "REMOVE", "INSERT"]);
    for (record, sequence) in event.records.iter().zip(&sequence) {
        assert!(record.other.is_empty() && record.change.other.is_empty(), "unknown fields in {record:?}");
        assert_eq!(record.event_source_arn.as_deref(), Some(STREAM_ARN));
        assert_eq!(record.event_source.as_deref(), Some("aws:dynamodb"));
        assert_eq!(record.change.sequence_number.as_deref(), Some(sequence.as_str()));
        assert_eq!(record.change.stream_view_type, Some(StreamViewType::NewAndOldImages));
        assert!(record.change.size_bytes > 0);
    }
    let numbers: Vec<u128> = sequence.iter().map(|s| s.parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{sequence:?}");
    assert!(sequence.windows(2).all(|w| w[0] < w[1]), "as strings too: {sequence:?}");
    let later = StreamBatch::new().insert(json!({"pk": "TENANT#acme#X", "sk": "X"})).sequence_numbers();
    assert!(later[0].parse::<u128>().unwrap() > *numbers.last().unwrap(), "increasing across batches");

    // Keys from the new image (the old one for REMOVE); images as the view type says.
    let keys = |i: usize| serde_json::to_value(&event.records[i].change.keys).unwrap();
    assert_eq!(keys(0), json!({"pk": {"S": "TENANT#acme#ORDER#1"}, "sk": {"S": "ORDER"}}));
    assert_eq!(keys(2), json!({"pk": {"S": "TENANT#acme#ORDER#2"}, "sk": {"S": "ORDER"}}));
    assert!(event.records[0].change.old_image.is_empty());
    assert!(event.records[2].change.new_image.is_empty());

    let json = round_trip(&event);
    let insert = &json["Records"][0];
    assert_eq!(insert["dynamodb"]["Keys"]["pk"]["S"], "TENANT#acme#ORDER#1");
    assert_eq!(insert["dynamodb"]["NewImage"]["total"]["N"], "3");
    assert_eq!(insert["dynamodb"]["NewImage"]["paid"]["BOOL"], false);
    assert_eq!(insert["eventSourceARN"], STREAM_ARN);
    assert_eq!(insert["eventID"].as_str().map(str::len), Some(32));
    let modify = &json["Records"][1]["dynamodb"];
    assert_eq!(modify["OldImage"]["status"]["S"], "NEW");
    assert_eq!(modify["NewImage"]["lines"]["L"][0]["M"]["sku"]["S"], "a");
    assert_eq!(json["Records"][3]["dynamodb"]["Keys"]["pk"]["S"], "ORDER#9");
}

#[test]
fn a_streams_batch_follows_its_table_key_schema_and_view_type() {
    let event = StreamBatch::new()
        .table("Accounts")
        .keys(&["id"])
        .view(StreamViewType::KeysOnly)
        .insert(json!({"id": "ORG#acme", "sk": "ignored", "name": "Acme"}))
        .insert(json!({"name": "no key"}))
        .payload();
    let record = &event.records[0];
    assert_eq!(
        record.event_source_arn.as_deref(),
        Some("arn:aws:dynamodb:us-east-1:123456789012:table/Accounts/stream/2026-01-01T00:00:00.000")
    );
    assert_eq!(serde_json::to_value(&record.change.keys).unwrap(), json!({"id": {"S": "ORG#acme"}}));
    assert!(record.change.new_image.is_empty() && record.change.old_image.is_empty(), "KEYS_ONLY has no images");
    assert_eq!(record.change.stream_view_type, Some(StreamViewType::KeysOnly));
    assert!(event.records[1].change.keys.is_empty(), "an item without its key attribute has no keys");

    let new_only = StreamBatch::new().view(StreamViewType::NewImage).modify(json!({"pk": "a"}), json!({"pk": "b"}));
    let change = &new_only.payload().records[0].change;
    assert!(!change.new_image.is_empty() && change.old_image.is_empty());
}

#[test]
fn an_s3_notification_writes_keys_as_s3_encodes_them() {
    let notification = S3Notification::new("tenant-files")
        .put("tenants/acme/a b.pdf", 1024)
        .put("tenants/globex/q=1&r:2.csv", 20)
        .delete("tenants/acme/old.txt")
        .event_encoded("ObjectCreated:Put", "tenants%2Fglobex%2Fx", Some(1));
    let event: S3Event = notification.payload();
    assert!(event.other.is_empty());
    let keys: Vec<&str> = event.records.iter().map(|r| r.s3.object.key.as_deref().unwrap()).collect();
    assert_eq!(
        keys,
        ["tenants/acme/a+b.pdf", "tenants/globex/q%3D1%26r%3A2.csv", "tenants/acme/old.txt", "tenants%2Fglobex%2Fx"]
    );
    for record in &event.records {
        assert!(record.other.is_empty() && record.s3.other.is_empty() && record.s3.object.other.is_empty());
        assert!(record.s3.bucket.other.is_empty() && record.request_parameters.other.is_empty());
        assert_eq!(record.s3.bucket.name.as_deref(), Some("tenant-files"));
        assert_eq!(record.s3.bucket.arn.as_deref(), Some("arn:aws:s3:::tenant-files"));
        assert_eq!(record.event_source.as_deref(), Some("aws:s3"));
    }
    assert_eq!(event.records[0].event_name.as_deref(), Some("ObjectCreated:Put"));
    assert_eq!(event.records[0].s3.object.size, Some(1024));
    assert_eq!(event.records[2].event_name.as_deref(), Some("ObjectRemoved:Delete"));
    assert_eq!(event.records[2].s3.object.size, None);

    let json = round_trip(&event);
    assert_eq!(json["Records"][0]["s3"]["object"]["key"], "tenants/acme/a+b.pdf");
    assert_eq!(json["Records"][0]["s3"]["bucket"]["name"], "tenant-files");
    assert_eq!(json["Records"][0]["eventName"], "ObjectCreated:Put");
}

/// What S3 writes is what a form decoder reads back: `+` a space, `%XX` a byte, `/` as is.
#[test]
fn encoded_keys_decode_to_the_key() {
    for key in ["tenants/acme/a b.pdf", "tenants/acme/c++ (1).txt", "tenants/acme/été/100%.txt", "a//b/", "~*._-"] {
        let encoded = encode_s3_key(key);
        assert!(!encoded.contains(' '), "{encoded}");
        assert_eq!(encoded.matches('/').count(), key.matches('/').count(), "`/` is kept: {encoded}");
        let decoded: String = encoded
            .split('/')
            .map(|segment| {
                form_urlencoded::parse(format!("k={segment}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap()
            })
            .collect::<Vec<_>>()
            .join("/");
        assert_eq!(decoded, key, "{encoded}");
    }
}

/// The contexts carry a fresh request id, a deadline ahead and the Lambda tenant id the test
/// sets; the Runtime API headers give `lambda_runtime` the same context back.
#[test]
fn contexts_and_runtime_api_headers_are_what_lambda_runtime_reads() {
    let batch = SqsBatch::new().message("acme", json!({})).lambda_tenant("acme");
    let headers = batch.runtime_api_headers();
    let event = batch.into_lambda_event();
    assert_eq!(event.context.tenant_id.as_deref(), Some("acme"));
    assert!(event.context.deadline() > SystemTime::now() + Duration::from_secs(60));
    assert!(event.context.invoked_function_arn.starts_with("arn:aws:lambda:us-east-1:123456789012:function:"));

    let mut map = http::HeaderMap::new();
    for (name, value) in &headers {
        map.insert(*name, value.parse().unwrap());
    }
    let config = std::sync::Arc::new(lambda_runtime::Config::default());
    let read = lambda_runtime::Context::new(&event.context.request_id, config, &map).unwrap();
    assert_eq!(read.request_id, event.context.request_id);
    assert_eq!(read.deadline, event.context.deadline);
    assert_eq!(read.invoked_function_arn, event.context.invoked_function_arn);
    assert_eq!(read.tenant_id.as_deref(), Some("acme"));

    let without = records::runtime_api_headers(&records::context());
    assert!(without.iter().all(|(name, _)| *name != "lambda-runtime-aws-tenant-id"), "{without:?}");

    let ids: HashSet<String> = (0..100).map(|_| records::context().request_id).collect();
    assert_eq!(ids.len(), 100, "request ids are unique");
    assert_eq!(records::context().lambda_tenant("globex").tenant_id.as_deref(), Some("globex"));

    // Every builder takes Lambda's tenant id and a context the same way.
    let context = records::context().lambda_tenant("initech");
    let id = context.request_id.clone();
    let tenant_of = |c: &lambda_runtime::Context| (c.request_id.clone(), c.tenant_id.clone());
    let expected = (id, Some("initech".to_owned()));
    assert_eq!(tenant_of(&BridgeEvent::new("s", "t").context(context.clone()).into_lambda_event().context), expected);
    assert_eq!(tenant_of(&StreamBatch::new().context(context.clone()).into_lambda_event().context), expected);
    assert_eq!(tenant_of(&S3Notification::new("b").context(context).into_lambda_event().context), expected);
}
