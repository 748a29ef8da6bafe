//! The queue guard: the rules by which the guard on each queue policy's SQS client refuses,
//! before anything is signed or sent, a request for a queue that is not the tenant's own under
//! one of the handler's `queues(...)` declarations, or one whose action that declaration did not
//! declare.
//!
//! | operation | needs declared on the queue's declaration | checked |
//! |---|---|---|
//! | SendMessage, SendMessageBatch | `SendMessage` | `QueueUrl` |
//! | ReceiveMessage | `ReceiveMessage` | `QueueUrl` |
//! | DeleteMessage, DeleteMessageBatch | `DeleteMessage` | `QueueUrl` |
//! | ChangeMessageVisibility, ChangeMessageVisibilityBatch | `ChangeMessageVisibility` | `QueueUrl` |
//! | GetQueueAttributes | `GetQueueAttributes` | `QueueUrl` |
//! | GetQueueUrl | `GetQueueUrl` | `QueueName` the tenant's; `QueueOwnerAWSAccountId` absent or the deployment's account |
//! | anything else (ListQueues, PurgeQueue, SetQueueAttributes, CreateQueue, DeleteQueue, AddPermission, TagQueue, …) | — | refused |
//! | SendMessage, SendMessageBatch to a shared queue | `SendMessage`, the only action a shared queue may declare | `QueueUrl` the placed name; every message's `MessageAttributes[<tenant_attribute>]` a `String` that is the sending tenant, and no message system attribute of that name |
//! | anything else to a shared queue | — | refused |
//!
//! Which action each operation needs comes from the core's table
//! ([`NamedAction::for_operation`]: a batch needs its single action, as IAM authorizes it), and
//! whether a queue is the tenant's from the declaration's
//! [`NameRule`](tenant_isolation_core::NameRule): exactly `<prefix><tenant>` (`.fifo`), the one
//! ARN the session policy names.
//!
//! **How a request names its queue.** SQS acts on the queue its queue URL names: "whenever you
//! want to perform an action on a queue, you provide its queue URL"
//! (`https://sqs.<region>.amazonaws.com/<account>/<queue>`; Amazon SQS Developer Guide, "Amazon
//! SQS queue and message identifiers"), and IAM authorizes the request against that queue's ARN,
//! `arn:<partition>:sqs:<region>:<account>:<queue>` (Amazon SQS Developer Guide, "Amazon SQS
//! resource ARN format"; the Service Authorization Reference's `queue` resource): the account and
//! the name are the URL's two path segments; the region is the one of the endpoint that serves the
//! request (an SQS endpoint is regional). With the JSON protocol the URL travels in the body and
//! the request is posted to the client's endpoint, never to the URL's host. So:
//!
//! * `QueueUrl` must be exactly `<http or https>://<host>/<account>/<queue>`: the account the
//!   deployment's (the role's, as placed), the queue the tenant's. Anything else is refused,
//!   whatever a server would make of it: a query, a fragment, user info, a third segment, a
//!   trailing `/`, a bare queue name. moto, for one, takes the queue from the URL's *last*
//!   segment (`https://h/123456789012/jobs-acme/jobs-globex` is globex's queue there) and the
//!   account from the credentials; the Query protocol took the queue from the request's path.
//!   The name is compared literally: `jobs-%61cme` is not `jobs-acme`.
//! * The host is not checked: SQS has handed out `queue.amazonaws.com`,
//!   `<region>.queue.amazonaws.com` and `sqs.<region>.amazonaws.com` URLs for the same queue, and
//!   an emulator answers with its own (`http://127.0.0.1:5000/<account>/<queue>`). Where the
//!   request goes is checked instead, at signing: the endpoint the SDK applied must be the one
//!   the client's resolver gives for the deployment's region, and the request must be signed for
//!   that region (a `config_override` of the region would otherwise reach the same-named queue
//!   of another region: through another endpoint, or, with an endpoint URL set, through the
//!   signature's scope, which moto reads its region from), and it must be the serialized one
//!   sent there: method, path `/` and no query, `X-Amz-Target`, body bytes (a `QueueUrl` swapped
//!   in the body after the check is another request).
//!
//! Message contents are not read on a tenant's own queue: it may carry anything.
//!
//! **A shared queue** (`queues(events(queue = "order-events", tenant_attribute = "tenant_id",
//! actions = [SendMessage]))`, [`SharedQueue`](tenant_isolation_core::SharedQueue)) holds every
//! tenant's messages, and IAM cannot confine it per tenant: the session policy grants
//! `sqs:SendMessage` on its ARN to every tenant, and no SQS condition key reads a message. The
//! consumer (a record handler, `records = sqs(tenant_attribute = "tenant_id")`) runs each message
//! as the tenant its attribute names, so that attribute is what this guard checks: a send to the
//! shared queue (its URL's account the deployment's, its name the one the queue is placed under)
//! passes only if every message carries `MessageAttributes["tenant_id"]` with `DataType`
//! `String` and `StringValue` exactly the sending scope's tenant, with no binary or list value,
//! and no message *system* attribute of that name. A missing attribute, another tenant's, a
//! `Number` or `Binary` one, or one foreign entry of a batch refuses the whole request. Any other
//! operation on the shared queue is refused. The shared queue is matched before the tenants' own
//! queues: it is never any tenant's own (the model and the runtime refuse a prefix that would make
//! it one). What is sent is the serialized request checked here, compared at signing: an
//! attribute rewritten after the check is a changed body, refused.
//!
//! This file is the SQS rule set ([`QueueRules`]) of the one guard interceptor (`intercept.rs`),
//! feature `sqs`; the JSON-protocol snapshot it shares with DynamoDB's is `json.rs`.

use super::endpoint;
use super::intercept::RuleSet;
use super::json::Snapshot;
use super::violation::{GuardViolation, Violation};
use crate::spec::HandlerSpec;
use aws_sdk_sqs::operation::{
    change_message_visibility::ChangeMessageVisibilityInput,
    change_message_visibility_batch::ChangeMessageVisibilityBatchInput, delete_message::DeleteMessageInput,
    delete_message_batch::DeleteMessageBatchInput, get_queue_attributes::GetQueueAttributesInput,
    get_queue_url::GetQueueUrlInput, receive_message::ReceiveMessageInput, send_message::SendMessageInput,
    send_message_batch::SendMessageBatchInput,
};
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeNameForSends, MessageSystemAttributeValue};
use aws_smithy_runtime_api::client::interceptors::context::Input;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::HashMap;
use tenant_isolation_core::{NamedAction, NamedModel, Placement, Service, TenantId};

/// The SQS rule set: a handler's `queues(...)` declarations in this deployment's account and
/// region.
#[derive(Debug)]
pub(crate) struct QueueRules {
    spec: &'static HandlerSpec,
    /// The deployment's account: every queue URL must name it.
    account: String,
    /// The deployment's region: every request must go to the client's endpoint for it.
    region: String,
    /// The handler's shared queues, each with the name it is placed under.
    shared: Vec<(&'static NamedModel, String)>,
}

impl QueueRules {
    /// The rules of `spec`'s queues, in the account and region of `placement` (and its shared
    /// queues under the names it places them).
    pub(crate) fn new(spec: &'static HandlerSpec, placement: &Placement) -> QueueRules {
        let declarations = spec.model().named.iter().filter(|n| n.names.is_shared());
        QueueRules {
            spec,
            account: placement.account().to_owned(),
            region: placement.region().to_owned(),
            shared: declarations.zip(placement.queues().iter().cloned()).collect(),
        }
    }
}

/// What a check let through: the operation, and the action it needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    operation: &'static str,
    action: NamedAction,
}

impl RuleSet for QueueRules {
    const NAME: &'static str = "TenantQueueGuard";
    type Decision = Decision;
    /// The operation (`X-Amz-Target`), the path and the JSON body (SQS's `awsJson1_0`).
    type Snapshot = Snapshot;

    fn check(&self, tenant: &TenantId, input: &Input) -> Result<Decision, GuardViolation> {
        Check { tenant, rules: self }.check(input)
    }

    fn operation(decision: &Decision) -> &'static str {
        decision.operation
    }

    fn snapshot(&self, _: &Decision, request: &Request) -> Result<Snapshot, Violation> {
        Ok(Snapshot::of(request))
    }

    /// The request must be the recorded one, sent to the endpoint the client's resolver gives
    /// for the deployment's region and signed for that region (the orchestrator stored the
    /// applied endpoint and the signing region in `cfg`; the signer reads the region from there
    /// after this hook).
    fn unchanged(
        &self,
        _: &Decision,
        snapshot: &Snapshot,
        request: &Request,
        cfg: &ConfigBag,
        components: &RuntimeComponents,
    ) -> bool {
        let now = Destination {
            endpoint: cfg.load::<aws_smithy_types::endpoint::Endpoint>().map(|e| e.url()),
            signing_region: cfg.load::<aws_types::region::SigningRegion>().map(AsRef::as_ref),
        };
        let expected = endpoint_for(&self.region, cfg, components);
        self.sent_as_checked(snapshot, request, &now, expected.as_deref())
    }
}

/// Where a request is about to go, as the orchestrator set it up for signing.
#[derive(Debug)]
struct Destination<'a> {
    /// The endpoint the SDK applied.
    endpoint: Option<&'a str>,
    /// The region the request will be signed for (SQS's endpoints name none of their own).
    signing_region: Option<&'a str>,
}

impl QueueRules {
    /// Whether `request` is the checked one (`snapshot`) sent to `now`'s endpoint, that endpoint
    /// is `expected` (the client's own for the deployment's region), and the request will be
    /// signed for the deployment's region.
    fn sent_as_checked(
        &self,
        snapshot: &Snapshot,
        request: &Request,
        now: &Destination<'_>,
        expected: Option<&str>,
    ) -> bool {
        match (now.endpoint, expected) {
            (Some(applied), Some(expected)) => {
                applied == expected
                    && now.signing_region == Some(self.region.as_str())
                    && snapshot.sent_to(applied, request)
            }
            _ => false,
        }
    }
}

/// The endpoint the client's resolver gives for `region`, with the request's other endpoint
/// parameters (endpoint URL, FIPS, dual stack) as they are now. `None` when they are missing.
fn endpoint_for(region: &str, cfg: &ConfigBag, components: &RuntimeComponents) -> Option<String> {
    use aws_sdk_sqs::config::endpoint::Params;
    use aws_smithy_runtime_api::client::endpoint::EndpointResolverParams;
    let now = cfg.load::<EndpointResolverParams>()?.get::<Params>()?;
    let params = Params::builder()
        .region(region)
        .set_use_fips(now.use_fips())
        .set_use_dual_stack(now.use_dual_stack())
        .set_endpoint(now.endpoint().map(str::to_owned))
        .build()
        .ok()?;
    endpoint::resolve(components, &EndpointResolverParams::new(params))
}

/// What `SQS` stands for in a refusal of an operation outside the table above (the guard sees
/// only its type-erased input).
const UNLISTED: &str = "SQS";

/// One request's check against one tenant.
struct Check<'a> {
    tenant: &'a TenantId,
    rules: &'a QueueRules,
}

impl Check<'_> {
    fn violation(&self, operation: &'static str, reason: Violation) -> GuardViolation {
        GuardViolation::new(self.tenant.clone(), operation, reason)
    }

    /// The action `operation` needs: the core's table, the one the typed handle's bounds are
    /// checked against.
    fn action(&self, operation: &'static str) -> Result<NamedAction, GuardViolation> {
        NamedAction::for_operation(Service::Sqs, operation)
            .ok_or_else(|| self.violation(operation, Violation::NamedOperation(Service::Sqs)))
    }

    /// The handler's queue declaration whose rule makes `queue` the tenant's own, and the
    /// action declared on it.
    fn own(
        &self,
        operation: &'static str,
        action: NamedAction,
        queue: &str,
    ) -> Result<&'static NamedModel, GuardViolation> {
        let mut declared = self.rules.spec.model().named.iter().filter(|n| n.service() == Service::Sqs);
        let Some(declaration) = declared.find(|n| n.names.is_own(self.tenant, queue)) else {
            return Err(self.violation(operation, Violation::ForeignName(Service::Sqs)));
        };
        match declaration.allows(action) {
            true => Ok(declaration),
            false => Err(self.violation(operation, Violation::UndeclaredNamedAction(action))),
        }
    }

    /// An operation on the queue `url` names, sending `messages` (none but a send's).
    fn by_url(
        &self,
        operation: &'static str,
        url: Option<&str>,
        messages: &[Message<'_>],
    ) -> Result<Decision, GuardViolation> {
        let action = self.action(operation)?;
        let Some((account, queue)) = url.and_then(queue_of) else {
            return Err(self.violation(operation, Violation::Unsupported(QUEUE_URL_SHAPE)));
        };
        self.account(operation, account)?;
        match self.rules.shared.iter().find(|(_, name)| name == queue) {
            Some((declaration, _)) => self.shared(operation, action, declaration, messages)?,
            None => {
                self.own(operation, action, queue)?;
            }
        }
        Ok(Decision { operation, action })
    }

    /// A request to the shared queue of `declaration`: a send whose every message carries the
    /// sending tenant in the declaration's attribute; nothing else.
    fn shared(
        &self,
        operation: &'static str,
        action: NamedAction,
        declaration: &NamedModel,
        messages: &[Message<'_>],
    ) -> Result<(), GuardViolation> {
        let attribute = match declaration.names.as_shared() {
            Some(shared) if action == NamedAction::SendMessage && declaration.allows(action) => {
                &shared.tenant_attribute
            }
            _ => return Err(self.violation(operation, Violation::SharedQueue(action))),
        };
        for message in messages {
            if let Err(reason) = message.stamped(attribute, self.tenant) {
                let attribute = attribute.to_string();
                return Err(self.violation(operation, Violation::MessageTenant { attribute, reason }));
            }
        }
        Ok(())
    }

    fn account(&self, operation: &'static str, account: &str) -> Result<(), GuardViolation> {
        match account == self.rules.account {
            true => Ok(()),
            false => Err(self.violation(operation, Violation::Account(account.to_owned()))),
        }
    }

    fn check(&self, input: &Input) -> Result<Decision, GuardViolation> {
        if let Some(i) = input.downcast_ref::<SendMessageInput>() {
            let message = Message { attributes: i.message_attributes(), system: i.message_system_attributes() };
            return self.by_url("SendMessage", i.queue_url(), &[message]);
        }
        if let Some(i) = input.downcast_ref::<SendMessageBatchInput>() {
            let messages: Vec<Message<'_>> = i
                .entries()
                .iter()
                .map(|e| Message { attributes: e.message_attributes(), system: e.message_system_attributes() })
                .collect();
            return self.by_url("SendMessageBatch", i.queue_url(), &messages);
        }
        macro_rules! by_queue_url {
            ($($input:ty => $operation:literal,)*) => {
                $(
                    if let Some(i) = input.downcast_ref::<$input>() {
                        return self.by_url($operation, i.queue_url(), &[]);
                    }
                )*
            };
        }
        by_queue_url! {
            ReceiveMessageInput => "ReceiveMessage",
            DeleteMessageInput => "DeleteMessage",
            DeleteMessageBatchInput => "DeleteMessageBatch",
            ChangeMessageVisibilityInput => "ChangeMessageVisibility",
            ChangeMessageVisibilityBatchInput => "ChangeMessageVisibilityBatch",
            GetQueueAttributesInput => "GetQueueAttributes",
        }
        if let Some(i) = input.downcast_ref::<GetQueueUrlInput>() {
            const OP: &str = "GetQueueUrl";
            let action = self.action(OP)?;
            // Another owner's queue of the same name would be looked up in that account.
            if let Some(owner) = i.queue_owner_aws_account_id() {
                self.account(OP, owner)?;
            }
            self.own(OP, action, i.queue_name().unwrap_or_default())?;
            return Ok(Decision { operation: OP, action });
        }
        Err(self.violation(UNLISTED, Violation::NamedOperation(Service::Sqs)))
    }
}

/// What the shared queue's rule reads of one message sent (a `SendMessage`, or one entry of a
/// `SendMessageBatch`): its message attributes and its message system attributes.
struct Message<'a> {
    attributes: Option<&'a HashMap<String, MessageAttributeValue>>,
    system: Option<&'a HashMap<MessageSystemAttributeNameForSends, MessageSystemAttributeValue>>,
}

impl Message<'_> {
    /// Whether the message carries `tenant` in its String attribute `attribute`, and nothing a
    /// reader of that attribute could take for another value; else what is wrong with it.
    ///
    /// ```text
    /// {"tenant_id": {"DataType": "String", "StringValue": "acme"}}          → Ok, for acme
    /// {"tenant_id": {"DataType": "String", "StringValue": "globex"}}        → another tenant's
    /// {"tenant_id": {"DataType": "Number", "StringValue": "acme"}}          → not a String
    /// {"tenant_id": {"DataType": "String", "BinaryValue": "YWNtZQ=="}}      → a binary value
    /// ```
    fn stamped(&self, attribute: &str, tenant: &TenantId) -> Result<(), &'static str> {
        // Only `AWSTraceHeader` is a system attribute SQS takes today; one named like the tenant
        // attribute is refused rather than left for a reader to confuse with it.
        if self.system.is_some_and(|s| s.keys().any(|k| k.as_str().eq_ignore_ascii_case(attribute))) {
            return Err("a message system attribute has the same name");
        }
        let Some(value) = self.attributes.and_then(|a| a.get(attribute)) else {
            return Err("the attribute is missing");
        };
        // The record handler reads a `String` attribute only (`records::Sqs`); a `Number`, a
        // `Binary` or a custom `String.<label>` one is not the tenant it would run.
        if value.data_type() != "String" {
            return Err("the attribute's data type is not `String`");
        }
        if value.binary_value().is_some()
            || !value.string_list_values().is_empty()
            || !value.binary_list_values().is_empty()
        {
            return Err("the attribute carries a binary or list value");
        }
        match value.string_value() {
            Some(v) if v == tenant.as_str() => Ok(()),
            Some(_) => Err("the attribute names another tenant"),
            None => Err("the attribute has no string value"),
        }
    }
}

/// What a refused queue URL should have been.
const QUEUE_URL_SHAPE: &str = "a queue URL other than `<http or https>://<host>/<account>/<queue>`";

/// The account and queue name of a queue URL `<http or https>://<host>/<account>/<queue>`, read
/// literally; `None` for anything else (see the module's comment for why each is refused).
///
/// ```text
/// https://sqs.us-east-1.amazonaws.com/123456789012/jobs-acme   → ("123456789012", "jobs-acme")
/// http://127.0.0.1:5000/123456789012/jobs-acme.fifo            → ("123456789012", "jobs-acme.fifo")
/// https://h/123456789012/jobs-acme/jobs-globex                 → None (a third segment)
/// https://h/123456789012/jobs-acme?x=/jobs-globex              → None (a query)
/// ```
fn queue_of(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    // A host (and port) alone: no user info, no IPv6 zone or other characters a parser could
    // read another way.
    let host_ok = !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    let (account, queue) = path.split_once('/')?;
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    // Queue names are `A-Za-z0-9-_` and FIFO's `.fifo` (Amazon SQS API Reference, CreateQueue,
    // `QueueName`): no `/`, `?`, `#` or `%`.
    let queue_ok =
        !queue.is_empty() && queue.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    (host_ok && account_ok && queue_ok).then_some((account, queue))
}

#[cfg(test)]
mod tests;
