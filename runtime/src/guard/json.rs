//! What a request in an AWS JSON protocol says, and whether the request about to be signed still
//! says it: the snapshot of the rule sets of DynamoDB (`awsJson1_0`), Secrets Manager and
//! Systems Manager (`awsJson1_1`), and SQS (`awsJson1_0`).
//!
//! These protocols send every operation as `POST /` to the service's endpoint, the operation in
//! the `X-Amz-Target` header and the input as the JSON body (AWS Smithy documentation, "AWS
//! JSON 1.0 protocol", "AWS JSON 1.1 protocol"):
//!
//! ```text
//! POST / HTTP/1.1
//! X-Amz-Target: secretsmanager.GetSecretValue
//! Content-Type: application/x-amz-json-1.1
//!
//! {"SecretId":"tenants/acme/stripe"}
//! ```
//!
//! The names the rule sets check are in the body, so the whole body is kept, byte for byte; the
//! target says which operation's rules were applied; the method, the path and query, and `Host`
//! (which the signer signs as it finds it, and which the SDK sets only after signing) say where
//! it goes. At signing the request must be the snapshot joined with the endpoint the client's
//! resolver gives ([`endpoint::applied`]): a URI or `Host` changed after the check would send
//! the checked body, signed with the tenant's credentials, somewhere the deployment did not name.

use super::endpoint;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::config_bag::ConfigBag;

/// The parts of a serialized JSON-protocol request that say what it does and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot {
    method: String,
    /// As serialized: relative (`/`) until the endpoint is applied.
    uri: String,
    host: Option<String>,
    target: Option<String>,
    /// Which protocol the body is read in: SQS also answers its query protocol, where a JSON
    /// body's string (`"x&Action=SendMessage&QueueUrl=…"`) is read as form fields (red-team
    /// review of issue 25: a content type changed after the check sent a message to another
    /// tenant's queue on moto).
    content_type: Option<String>,
    /// `None` for a body that is not in memory (a streaming body, which these protocols never
    /// serialize): a body replaced by one after the check differs from the recorded bytes.
    body: Option<Vec<u8>>,
}

impl Snapshot {
    /// The snapshot of a request as serialized (or as it is now).
    pub(super) fn of(request: &Request) -> Snapshot {
        let header = |name: &str| request.headers().get(name).map(str::to_owned);
        Snapshot {
            method: request.method().to_owned(),
            uri: request.uri().to_owned(),
            host: header("host"),
            target: header("x-amz-target"),
            content_type: header("content-type"),
            body: request.body().bytes().map(<[u8]>::to_vec),
        }
    }

    /// Whether `request`, about to be signed, is this snapshot sent to the endpoint the client's
    /// resolver gives for the request's endpoint parameters.
    pub(super) fn unchanged(&self, request: &Request, cfg: &ConfigBag, components: &RuntimeComponents) -> bool {
        endpoint::applied(cfg, components).is_some_and(|url| self.sent_to(url, request))
    }

    /// Whether `request` is this snapshot with `endpoint` applied: the same method, target,
    /// `Host` and body bytes, and the recorded path and query joined with `endpoint` (SQS, whose
    /// endpoint is checked against the deployment's region, asks this directly).
    pub(super) fn sent_to(&self, endpoint: &str, request: &Request) -> bool {
        let now = Snapshot::of(request);
        endpoint::joined(&self.uri, endpoint).is_some_and(|uri| uri == now.uri)
            && Snapshot { uri: self.uri.clone(), ..now } == *self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "https://secretsmanager.us-east-1.amazonaws.com";

    /// `POST /` of `GetSecretValue` for `id`, as serialized (`uri` relative) or as sent.
    fn request(uri: &str, target: &str, id: &str) -> Request {
        let body = format!(r#"{{"SecretId":"{id}"}}"#);
        let mut request = Request::new(aws_smithy_types::body::SdkBody::from(body));
        request.set_method("POST").unwrap();
        request.set_uri(uri).unwrap();
        request.headers_mut().insert("x-amz-target", target.to_owned());
        request.headers_mut().insert("content-type", "application/x-amz-json-1.1");
        request
    }

    #[test]
    fn a_request_changed_after_the_check_is_not_the_one_recorded() {
        const GET: &str = "secretsmanager.GetSecretValue";
        let recorded = Snapshot::of(&request("/", GET, "tenants/acme/stripe"));
        let sent = |r: Request| recorded.sent_to(ENDPOINT, &r);
        assert!(sent(request(&format!("{ENDPOINT}/"), GET, "tenants/acme/stripe")), "the request as checked");
        assert!(!sent(request(&format!("{ENDPOINT}/"), GET, "tenants/globex/stripe")), "the name swapped in the body");
        assert!(!sent(request(&format!("{ENDPOINT}/"), "secretsmanager.DeleteSecret", "tenants/acme/stripe")));
        assert!(!sent(request("https://elsewhere.example/", GET, "tenants/acme/stripe")), "another endpoint");
        assert!(!sent(request(&format!("{ENDPOINT}/?x=1"), GET, "tenants/acme/stripe")), "a query added");
        assert!(!sent(request("/", GET, "tenants/acme/stripe")), "the endpoint not applied");
        let mut hosted = request(&format!("{ENDPOINT}/"), GET, "tenants/acme/stripe");
        hosted.headers_mut().insert("host", "secretsmanager.eu-west-1.amazonaws.com");
        assert!(!sent(hosted), "a `Host` added after the check");
        let mut method = request(&format!("{ENDPOINT}/"), GET, "tenants/acme/stripe");
        method.set_method("PUT").unwrap();
        assert!(!sent(method), "another method");
        // Headers that say nothing about what the request does may change (the SDK adds some).
        let mut agent = request(&format!("{ENDPOINT}/"), GET, "tenants/acme/stripe");
        agent.headers_mut().insert("x-amz-user-agent", "another");
        assert!(sent(agent));
    }
}
