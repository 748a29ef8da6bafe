//! The queue guard's rules, table-driven: each refusal beside the tenant's own request of the
//! same shape, decided by [`QueueRules::check`] alone (no scope, client or moto), and what is
//! decided at signing (`sent_as_checked`) on serialized requests as the SDK writes them. The
//! same refusals end to end, with moto's request recorder: `tests/it/queues.rs`.

use super::*;
use crate::guard::cases::{self, Case, case};
use aws_sdk_sqs::operation::{
    add_permission::AddPermissionInput, create_queue::CreateQueueInput, delete_queue::DeleteQueueInput,
    list_queues::ListQueuesInput, purge_queue::PurgeQueueInput, set_queue_attributes::SetQueueAttributesInput,
    tag_queue::TagQueueInput,
};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, MessageSystemAttributeValue,
    QueueAttributeName, SendMessageBatchRequestEntry,
};
use aws_smithy_types::Blob;
use std::borrow::Cow;
use std::sync::LazyLock;
use tenant_isolation_core::{Confinement, HandlerModel, NameRule, Partition, PhysicalName, SharedQueue};

const ACCOUNT: &str = "123456789012";

/// The name the shared queue `events` is placed under.
const EVENTS: &str = "order-events-prod";

/// `jobs`: the queue `jobs-<tenant>`, every SQS action but `ChangeMessageVisibility`. `orders`:
/// the FIFO queue `orders-<tenant>.fifo`, `SendMessage` only. `events`: the shared queue declared
/// `order-events`, bound by `ORDER_EVENTS_QUEUE` and placed as `order-events-prod`, every tenant's
/// messages stamped in `tenant_id`.
static SPEC: LazyLock<HandlerSpec> = LazyLock::new(|| {
    use NamedAction::*;
    let jobs = NamedModel {
        name: Cow::Borrowed("jobs"),
        actions: Cow::Borrowed(&[SendMessage, ReceiveMessage, DeleteMessage, GetQueueAttributes, GetQueueUrl]),
        names: NameRule::new(Service::Sqs, "jobs-"),
    };
    let orders = NamedModel {
        name: Cow::Borrowed("orders"),
        actions: Cow::Borrowed(&[SendMessage]),
        names: NameRule::fifo_queues("orders-"),
    };
    let events = NamedModel {
        name: Cow::Borrowed("events"),
        actions: Cow::Borrowed(&[SendMessage]),
        names: NameRule::shared(SharedQueue {
            queue: PhysicalName::FromEnv { var: "ORDER_EVENTS_QUEUE".into(), default: "order-events".into() },
            tenant_attribute: "tenant_id".into(),
        }),
    };
    let model = HandlerModel {
        tables: Cow::Borrowed(&[]),
        buckets: Cow::Borrowed(&[]),
        named: vec![jobs, orders, events].into(),
        confinement: Confinement::SessionPolicy,
    };
    HandlerSpec::new("worker", model).unwrap()
});

fn rules() -> QueueRules {
    let placement = Placement::new(Partition::Aws, "us-east-1", ACCOUNT, &[], &[]).unwrap();
    QueueRules::new(&SPEC, &placement.with_queues(&[EVENTS]).unwrap())
}

fn run(table: Vec<Case<Decision>>) {
    cases::run(&rules(), table)
}

fn ok(operation: &'static str, action: NamedAction) -> Result<Decision, Violation> {
    Ok(Decision { operation, action })
}

const FOREIGN: Result<Decision, Violation> = Err(Violation::ForeignName(Service::Sqs));
const SHAPE: Result<Decision, Violation> = Err(Violation::Unsupported(QUEUE_URL_SHAPE));

/// A queue URL as SQS writes it, in the deployment's account.
fn url(queue: &str) -> String {
    format!("https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{queue}")
}

fn send(url: &str) -> SendMessageInput {
    SendMessageInput::builder().queue_url(url).message_body("hello").build().unwrap()
}

fn receive(url: &str) -> ReceiveMessageInput {
    ReceiveMessageInput::builder().queue_url(url).build().unwrap()
}

fn get_queue_url(name: &str, owner: Option<&str>) -> GetQueueUrlInput {
    GetQueueUrlInput::builder()
        .queue_name(name)
        .set_queue_owner_aws_account_id(owner.map(str::to_owned))
        .build()
        .unwrap()
}

#[test]
fn the_tenants_own_queue_passes_and_every_other_queue_is_refused() {
    use NamedAction::*;
    let own = url("jobs-acme");
    let globex = url("jobs-globex");
    run(vec![
        case("SendMessage, own", send(&own), ok("SendMessage", SendMessage)),
        case("SendMessage, globex's", send(&globex), FOREIGN),
        case("SendMessage, as globex", send(&own), FOREIGN).by("globex"),
        case("SendMessage, globex's own", send(&globex), ok("SendMessage", SendMessage)).by("globex"),
        case("ReceiveMessage, own", receive(&own), ok("ReceiveMessage", ReceiveMessage)),
        case("ReceiveMessage, globex's", receive(&globex), FOREIGN),
        case(
            "DeleteMessage, own",
            DeleteMessageInput::builder().queue_url(&own).receipt_handle("r").build().unwrap(),
            ok("DeleteMessage", DeleteMessage),
        ),
        case(
            "DeleteMessage, globex's",
            DeleteMessageInput::builder().queue_url(&globex).receipt_handle("r").build().unwrap(),
            FOREIGN,
        ),
        case(
            "GetQueueAttributes, own",
            GetQueueAttributesInput::builder()
                .queue_url(&own)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                .build()
                .unwrap(),
            ok("GetQueueAttributes", GetQueueAttributes),
        ),
        case(
            "GetQueueAttributes, globex's",
            GetQueueAttributesInput::builder().queue_url(&globex).build().unwrap(),
            FOREIGN,
        ),
        case("a FIFO queue, own", send(&url("orders-acme.fifo")), ok("SendMessage", SendMessage)),
        case("a FIFO queue, globex's", send(&url("orders-globex.fifo")), FOREIGN),
        case("a FIFO declaration's name without `.fifo`", send(&url("orders-acme")), FOREIGN),
        case("a standard declaration's name with `.fifo`", send(&url("jobs-acme.fifo")), FOREIGN),
    ]);
}

#[test]
fn names_that_only_start_like_the_tenants_queue_are_refused() {
    use NamedAction::*;
    run(vec![
        case("`jobs-acme-2` for acme", send(&url("jobs-acme-2")), FOREIGN),
        case("`jobs-acme-2` for acme-2", send(&url("jobs-acme-2")), ok("SendMessage", SendMessage)).by("acme-2"),
        case("`jobs-acme` for acme-2", send(&url("jobs-acme")), FOREIGN).by("acme-2"),
        case("`jobs-acmex`", send(&url("jobs-acmex")), FOREIGN),
        case("`jobs-acme_dlq`", send(&url("jobs-acme_dlq")), FOREIGN),
        case("`jobs-ACME`", send(&url("jobs-ACME")), FOREIGN),
        case("`acme` without the prefix", send(&url("acme")), FOREIGN),
        case("`jobs-` alone", send(&url("jobs-")), FOREIGN),
        case("`jobs-acme` percent-encoded", send(&url("jobs-%61cme")), SHAPE),
    ]);
}

#[test]
fn queue_urls_of_another_account_or_shape_are_refused() {
    use NamedAction::*;
    let account = |a: &str| Err(Violation::Account(a.to_owned()));
    run(vec![
        case(
            "moto's own URL",
            send(&format!("http://127.0.0.1:5000/{ACCOUNT}/jobs-acme")),
            ok("SendMessage", SendMessage),
        ),
        case(
            "a legacy host",
            send(&format!("https://queue.amazonaws.com/{ACCOUNT}/jobs-acme")),
            ok("SendMessage", SendMessage),
        ),
        case(
            "another account's queue of the same name",
            send("https://sqs.us-east-1.amazonaws.com/210987654321/jobs-acme"),
            account("210987654321"),
        ),
        case(
            "another account's, for its tenant acme's queue",
            receive("https://sqs.us-east-1.amazonaws.com/210987654321/jobs-acme"),
            account("210987654321"),
        ),
        case("an extra segment after the name", send(&format!("{}/jobs-globex", url("jobs-acme"))), SHAPE),
        case("an extra segment before the account", send(&format!("https://h/x/{ACCOUNT}/jobs-acme")), SHAPE),
        case("a trailing `/`", send(&format!("{}/", url("jobs-acme"))), SHAPE),
        case("a query", send(&format!("{}?x=/jobs-globex", url("jobs-acme"))), SHAPE),
        case("a fragment", send(&format!("{}#/jobs-globex", url("jobs-acme"))), SHAPE),
        case("user info", send(&format!("https://u@h/{ACCOUNT}/jobs-acme")), SHAPE),
        case("a bare queue name", send("jobs-acme"), SHAPE),
        case("account and name without a host", send(&format!("{ACCOUNT}/jobs-acme")), SHAPE),
        case("another scheme", send(&format!("ftp://h/{ACCOUNT}/jobs-acme")), SHAPE),
        case("an account that is no account", send("https://h/12345/jobs-acme"), SHAPE),
        case("a `..` segment", send(&format!("https://h/{ACCOUNT}/../{ACCOUNT}/jobs-acme")), SHAPE),
        case("no URL", SendMessageInput::builder().message_body("x").build().unwrap(), SHAPE),
        case("an empty URL", send(""), SHAPE),
    ]);
}

#[test]
fn get_queue_url_names_the_tenants_queue_in_the_deployments_account() {
    let own = ok("GetQueueUrl", NamedAction::GetQueueUrl);
    run(vec![
        case("own", get_queue_url("jobs-acme", None), own.clone()),
        case("own, the deployment's account named", get_queue_url("jobs-acme", Some(ACCOUNT)), own),
        case("globex's", get_queue_url("jobs-globex", None), FOREIGN),
        case("`jobs-acme-2`", get_queue_url("jobs-acme-2", None), FOREIGN),
        case(
            "own name, another owner",
            get_queue_url("jobs-acme", Some("210987654321")),
            Err(Violation::Account("210987654321".to_owned())),
        ),
        case("no name", GetQueueUrlInput::builder().build().unwrap(), FOREIGN),
        case(
            "a queue whose declaration lacks GetQueueUrl",
            get_queue_url("orders-acme.fifo", None),
            Err(Violation::UndeclaredNamedAction(NamedAction::GetQueueUrl)),
        ),
    ]);
}

#[test]
fn a_batch_is_its_queues_and_its_single_action() {
    use NamedAction::*;
    let send_batch = |u: &str| {
        let entry = SendMessageBatchRequestEntry::builder().id("1").message_body("x").build().unwrap();
        SendMessageBatchInput::builder().queue_url(u).entries(entry).build().unwrap()
    };
    let delete_batch = |u: &str| {
        let entry = DeleteMessageBatchRequestEntry::builder().id("1").receipt_handle("r").build().unwrap();
        DeleteMessageBatchInput::builder().queue_url(u).entries(entry).build().unwrap()
    };
    let visibility_batch = |u: &str| {
        let entry = ChangeMessageVisibilityBatchRequestEntry::builder().id("1").receipt_handle("r").build().unwrap();
        ChangeMessageVisibilityBatchInput::builder().queue_url(u).entries(entry).build().unwrap()
    };
    run(vec![
        case("SendMessageBatch, own", send_batch(&url("jobs-acme")), ok("SendMessageBatch", SendMessage)),
        case("SendMessageBatch, globex's", send_batch(&url("jobs-globex")), FOREIGN),
        case(
            "SendMessageBatch, another account's",
            send_batch("https://h/210987654321/jobs-acme"),
            Err(Violation::Account("210987654321".into())),
        ),
        case("DeleteMessageBatch, own", delete_batch(&url("jobs-acme")), ok("DeleteMessageBatch", DeleteMessage)),
        case("DeleteMessageBatch, globex's", delete_batch(&url("jobs-globex")), FOREIGN),
        case(
            "ChangeMessageVisibilityBatch, own (undeclared)",
            visibility_batch(&url("jobs-acme")),
            Err(Violation::UndeclaredNamedAction(ChangeMessageVisibility)),
        ),
        case("ChangeMessageVisibilityBatch, globex's", visibility_batch(&url("jobs-globex")), FOREIGN),
    ]);
}

#[test]
fn undeclared_actions_and_other_operations_are_refused() {
    let operation = Err(Violation::NamedOperation(Service::Sqs));
    let own = url("jobs-acme");
    run(vec![
        case(
            "ChangeMessageVisibility, not declared on jobs",
            ChangeMessageVisibilityInput::builder()
                .queue_url(&own)
                .receipt_handle("r")
                .visibility_timeout(0)
                .build()
                .unwrap(),
            Err(Violation::UndeclaredNamedAction(NamedAction::ChangeMessageVisibility)),
        ),
        case(
            "ReceiveMessage, not declared on orders",
            receive(&url("orders-acme.fifo")),
            Err(Violation::UndeclaredNamedAction(NamedAction::ReceiveMessage)),
        ),
        case("PurgeQueue, own", PurgeQueueInput::builder().queue_url(&own).build().unwrap(), operation.clone()),
        case(
            "SetQueueAttributes, own",
            SetQueueAttributesInput::builder()
                .queue_url(&own)
                .attributes(QueueAttributeName::Policy, "{}")
                .build()
                .unwrap(),
            operation.clone(),
        ),
        case("ListQueues", ListQueuesInput::builder().queue_name_prefix("jobs-").build().unwrap(), operation.clone()),
        case("CreateQueue", CreateQueueInput::builder().queue_name("jobs-acme").build().unwrap(), operation.clone()),
        case("DeleteQueue, own", DeleteQueueInput::builder().queue_url(&own).build().unwrap(), operation.clone()),
        case(
            "AddPermission, own",
            AddPermissionInput::builder()
                .queue_url(&own)
                .label("l")
                .aws_account_ids("210987654321")
                .actions("*")
                .build()
                .unwrap(),
            operation.clone(),
        ),
        case(
            "TagQueue, own",
            TagQueueInput::builder().queue_url(&own).tags("tenant", "globex").build().unwrap(),
            operation,
        ),
    ]);
}

#[test]
fn a_refusal_names_the_operation_it_refused() {
    let rules = rules();
    let acme = TenantId::parse("acme").unwrap();
    let refused = |input: Input| rules.check(&acme, &input).unwrap_err().operation();
    assert_eq!(refused(Input::erase(send(&url("jobs-globex")))), "SendMessage");
    assert_eq!(refused(Input::erase(get_queue_url("jobs-globex", None))), "GetQueueUrl");
    assert_eq!(refused(Input::erase(PurgeQueueInput::builder().queue_url(url("jobs-acme")).build().unwrap())), "SQS");
    let decision = Decision { operation: "DeleteMessageBatch", action: NamedAction::DeleteMessage };
    assert_eq!(<QueueRules as RuleSet>::operation(&decision), "DeleteMessageBatch");
}

/// A request as the SDK serializes it (before the endpoint is applied), or as sent.
fn serialized(uri: &str, operation: &str, body: &str) -> Request {
    let mut request = Request::new(aws_smithy_types::body::SdkBody::from(body));
    request.set_method("POST").unwrap();
    request.set_uri(uri).unwrap();
    request.headers_mut().insert("content-type", "application/x-amz-json-1.0");
    request.headers_mut().insert("x-amz-target", format!("AmazonSQS.{operation}"));
    request
}

#[test]
fn a_request_changed_after_the_check_is_refused_at_signing() {
    const ENDPOINT: &str = "https://sqs.us-east-1.amazonaws.com";
    let rules = rules();
    let own = format!(r#"{{"QueueUrl":"{}","MessageBody":"hello"}}"#, url("jobs-acme"));
    let decision = Decision { operation: "SendMessage", action: NamedAction::SendMessage };
    let checked = rules.snapshot(&decision, &serialized("/", "SendMessage", &own)).unwrap();
    let there = Destination { endpoint: Some(ENDPOINT), signing_region: Some("us-east-1") };
    let sent = |uri: &str, operation: &str, body: &str, now: &Destination<'_>| {
        rules.sent_as_checked(&checked, &serialized(uri, operation, body), now, Some(ENDPOINT))
    };
    let root = format!("{ENDPOINT}/");
    assert!(sent(&root, "SendMessage", &own, &there), "the checked request, sent where it was checked");
    let swapped = own.replace("jobs-acme", "jobs-globex");
    assert!(!sent(&root, "SendMessage", &swapped, &there), "QueueUrl swapped in the body");
    assert!(!sent(&root, "PurgeQueue", &own, &there), "another operation");
    assert!(!sent(&format!("{ENDPOINT}/{ACCOUNT}/jobs-globex"), "SendMessage", &own, &there), "a queue in the path");
    assert!(!sent(&format!("{ENDPOINT}/?QueueUrl=x"), "SendMessage", &own, &there), "a query added");
    // The region overridden for the operation: another endpoint, or (with an endpoint URL set)
    // the same endpoint and a signature for another region.
    let other_region = "https://sqs.eu-west-1.amazonaws.com";
    let elsewhere = Destination { endpoint: Some(other_region), signing_region: Some("eu-west-1") };
    assert!(!sent(&format!("{other_region}/"), "SendMessage", &own, &elsewhere), "another region's endpoint");
    let signed_elsewhere = Destination { endpoint: Some(ENDPOINT), signing_region: Some("eu-west-1") };
    assert!(!sent(&root, "SendMessage", &own, &signed_elsewhere), "signed for another region");
    let unsigned = Destination { endpoint: Some(ENDPOINT), signing_region: None };
    assert!(!sent(&root, "SendMessage", &own, &unsigned), "no signing region");
    let nowhere = Destination { endpoint: None, signing_region: Some("us-east-1") };
    assert!(!sent(&root, "SendMessage", &own, &nowhere), "no endpoint applied");
    let request = serialized(&root, "SendMessage", &own);
    assert!(!rules.sent_as_checked(&checked, &request, &there, None), "no endpoint resolved");
}

#[test]
fn queue_urls_are_read_literally() {
    assert_eq!(queue_of(&url("jobs-acme")), Some((ACCOUNT, "jobs-acme")));
    assert_eq!(queue_of("http://127.0.0.1:5000/123456789012/jobs-acme.fifo"), Some((ACCOUNT, "jobs-acme.fifo")));
    assert_eq!(queue_of("http://[::1]:5000/123456789012/jobs-acme"), Some((ACCOUNT, "jobs-acme")));
    for bad in [
        "https://h/123456789012/jobs-acme/jobs-globex",
        "https://h/123456789012/jobs-acme?x=/jobs-globex",
        "https://h/123456789012/jobs-acme#x",
        "https://h/123456789012/",
        "https://h/123456789012",
        "https://h//jobs-acme",
        "https:///123456789012/jobs-acme",
        "https://a b/123456789012/jobs-acme",
        "https://h/1234567890123/jobs-acme",
        "https://h/12345678901a/jobs-acme",
        "HTTPS://h/123456789012/jobs-acme",
        "https://h/123456789012/jobs acme",
    ] {
        assert_eq!(queue_of(bad), None, "{bad}");
    }
}

/// A String (or `data_type`) attribute value.
fn value(data_type: &str, v: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder().data_type(data_type).string_value(v).build().unwrap()
}

/// A send to `url` with the message attributes `attributes`.
fn send_with(url: &str, attributes: &[(&str, MessageAttributeValue)]) -> SendMessageInput {
    let mut input = SendMessageInput::builder().queue_url(url).message_body("hello");
    for (name, value) in attributes {
        input = input.message_attributes(*name, value.clone());
    }
    input.build().unwrap()
}

/// A refusal of a message to the shared queue, for `reason`.
fn unstamped(reason: &'static str) -> Result<Decision, Violation> {
    Err(Violation::MessageTenant { attribute: "tenant_id".into(), reason })
}

const MISSING: &str = "the attribute is missing";
const OTHER: &str = "the attribute names another tenant";
const NOT_STRING: &str = "the attribute's data type is not `String`";

#[test]
fn a_send_to_the_shared_queue_passes_only_stamped_with_the_senders_tenant() {
    let events = url(EVENTS);
    let stamped = |tenant: &str| send_with(&events, &[("tenant_id", value("String", tenant))]);
    let sent = ok("SendMessage", NamedAction::SendMessage);
    let binary = MessageAttributeValue::builder().data_type("Binary").binary_value(Blob::new("acme")).build().unwrap();
    let both = MessageAttributeValue::builder()
        .data_type("String")
        .string_value("acme")
        .binary_value(Blob::new("globex"))
        .build()
        .unwrap();
    let no_value = MessageAttributeValue::builder().data_type("String").build().unwrap();
    let traced = |name: &str| {
        let system = MessageSystemAttributeValue::builder().data_type("String").string_value("globex").build().unwrap();
        SendMessageInput::builder()
            .queue_url(&events)
            .message_body("hello")
            .message_attributes("tenant_id", value("String", "acme"))
            .message_system_attributes(MessageSystemAttributeNameForSends::from(name), system)
            .build()
            .unwrap()
    };
    run(vec![
        case("stamped with the sender's tenant", stamped("acme"), sent.clone()),
        case("globex's own, by globex", stamped("globex"), sent.clone()).by("globex"),
        case(
            "with other attributes beside it",
            send_with(&events, &[("tenant_id", value("String", "acme")), ("kind", value("String", "globex"))]),
            sent.clone(),
        ),
        case("another tenant's value", stamped("globex"), unstamped(OTHER)),
        case("acme's value, sent by globex", stamped("acme"), unstamped(OTHER)).by("globex"),
        case("a tenant id that starts the sender's", stamped("acm"), unstamped(OTHER)),
        case("the sender's with more after it", stamped("acme-2"), unstamped(OTHER)),
        case("the sender's in another case", stamped("ACME"), unstamped(OTHER)),
        case("the sender's with a space", stamped("acme "), unstamped(OTHER)),
        case("no attributes", send(&events), unstamped(MISSING)),
        case("another attribute only", send_with(&events, &[("tenant", value("String", "acme"))]), unstamped(MISSING)),
        case(
            "the attribute in another case",
            send_with(&events, &[("Tenant_Id", value("String", "acme"))]),
            unstamped(MISSING),
        ),
        case("a Number", send_with(&events, &[("tenant_id", value("Number", "acme"))]), unstamped(NOT_STRING)),
        case(
            "a custom String label",
            send_with(&events, &[("tenant_id", value("String.tenant", "acme"))]),
            unstamped(NOT_STRING),
        ),
        case("a Binary", send_with(&events, &[("tenant_id", binary)]), unstamped(NOT_STRING)),
        case(
            "a String with a binary value too",
            send_with(&events, &[("tenant_id", both)]),
            unstamped("the attribute carries a binary or list value"),
        ),
        case(
            "a String without a value",
            send_with(&events, &[("tenant_id", no_value)]),
            unstamped("the attribute has no string value"),
        ),
        case(
            "also a message system attribute",
            traced("tenant_id"),
            unstamped("a message system attribute has the same name"),
        ),
        case("a trace header beside it", traced("AWSTraceHeader"), sent),
        // The queue is the placed one; the declared name is another queue, nobody's.
        case(
            "the declared name, not the placed one",
            send_with(&url("order-events"), &[("tenant_id", value("String", "acme"))]),
            FOREIGN,
        ),
        case(
            "another account's queue of that name",
            send_with(&format!("https://h/210987654321/{EVENTS}"), &[("tenant_id", value("String", "acme"))]),
            Err(Violation::Account("210987654321".into())),
        ),
        case(
            "a third segment",
            send_with(&format!("{events}/jobs-acme"), &[("tenant_id", value("String", "acme"))]),
            SHAPE,
        ),
    ]);
}

#[test]
fn a_batch_to_the_shared_queue_passes_only_if_every_entry_is_stamped() {
    let events = url(EVENTS);
    let entry = |id: &str, tenant: Option<&str>| {
        let entry = SendMessageBatchRequestEntry::builder().id(id).message_body("x");
        let entry = match tenant {
            Some(t) => entry.message_attributes("tenant_id", value("String", t)),
            None => entry,
        };
        entry.build().unwrap()
    };
    let batch = |entries: Vec<SendMessageBatchRequestEntry>| {
        SendMessageBatchInput::builder().queue_url(&events).set_entries(Some(entries)).build().unwrap()
    };
    let own = || (1..=9).map(|i| entry(&i.to_string(), Some("acme"))).collect::<Vec<_>>();
    let with = |last: SendMessageBatchRequestEntry| own().into_iter().chain([last]).collect::<Vec<_>>();
    run(vec![
        case(
            "ten entries, each stamped",
            batch(with(entry("10", Some("acme")))),
            ok("SendMessageBatch", NamedAction::SendMessage),
        ),
        case("one entry of another tenant's", batch(with(entry("10", Some("globex")))), unstamped(OTHER)),
        case(
            "the first entry of another tenant's",
            batch([entry("0", Some("globex"))].into_iter().chain(own()).collect()),
            unstamped(OTHER),
        ),
        case("one entry without the attribute", batch(with(entry("10", None))), unstamped(MISSING)),
        case(
            "globex's batch, by globex",
            batch(vec![entry("1", Some("globex"))]),
            ok("SendMessageBatch", NamedAction::SendMessage),
        )
        .by("globex"),
    ]);
}

#[test]
fn nothing_but_a_send_reaches_the_shared_queue() {
    use NamedAction::*;
    let events = url(EVENTS);
    let shared = |action| Err(Violation::SharedQueue(action));
    run(vec![
        case("ReceiveMessage", receive(&events), shared(ReceiveMessage)),
        case("ReceiveMessage, by globex", receive(&events), shared(ReceiveMessage)).by("globex"),
        case(
            "DeleteMessage",
            DeleteMessageInput::builder().queue_url(&events).receipt_handle("r").build().unwrap(),
            shared(DeleteMessage),
        ),
        case(
            "DeleteMessageBatch",
            DeleteMessageBatchInput::builder()
                .queue_url(&events)
                .entries(DeleteMessageBatchRequestEntry::builder().id("1").receipt_handle("r").build().unwrap())
                .build()
                .unwrap(),
            shared(DeleteMessage),
        ),
        case(
            "ChangeMessageVisibility",
            ChangeMessageVisibilityInput::builder()
                .queue_url(&events)
                .receipt_handle("r")
                .visibility_timeout(0)
                .build()
                .unwrap(),
            shared(ChangeMessageVisibility),
        ),
        case(
            "GetQueueAttributes",
            GetQueueAttributesInput::builder().queue_url(&events).build().unwrap(),
            shared(GetQueueAttributes),
        ),
        case("GetQueueUrl of its name", get_queue_url(EVENTS, None), FOREIGN),
        case(
            "PurgeQueue",
            PurgeQueueInput::builder().queue_url(&events).build().unwrap(),
            Err(Violation::NamedOperation(Service::Sqs)),
        ),
        // The tenants' own queues beside it are as before.
        case("a send to acme's own queue, unstamped", send(&url("jobs-acme")), ok("SendMessage", SendMessage)),
    ]);
    let refused = Violation::SharedQueue(ReceiveMessage).to_string();
    assert!(refused.contains("records = sqs(tenant_attribute"), "{refused}");
}

#[test]
fn a_shared_queues_attribute_rewritten_after_the_check_is_refused_at_signing() {
    const ENDPOINT: &str = "https://sqs.us-east-1.amazonaws.com";
    let rules = rules();
    let checked_body = format!(
        r#"{{"QueueUrl":"{}","MessageBody":"hello","MessageAttributes":{{"tenant_id":{{"DataType":"String","StringValue":"acme"}}}}}}"#,
        url(EVENTS)
    );
    let decision = Decision { operation: "SendMessage", action: NamedAction::SendMessage };
    let checked = rules.snapshot(&decision, &serialized("/", "SendMessage", &checked_body)).unwrap();
    let there = Destination { endpoint: Some(ENDPOINT), signing_region: Some("us-east-1") };
    let root = format!("{ENDPOINT}/");
    let sent =
        |body: &str| rules.sent_as_checked(&checked, &serialized(&root, "SendMessage", body), &there, Some(ENDPOINT));
    assert!(sent(&checked_body), "as checked");
    assert!(!sent(&checked_body.replace(r#""StringValue":"acme""#, r#""StringValue":"globex""#)), "another tenant's");
    assert!(!sent(&checked_body.replace(r#""tenant_id""#, r#""tenant""#)), "the attribute renamed");
}
