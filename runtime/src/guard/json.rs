//! What a serialized request of AWS's JSON protocols (`awsJson1_0`: DynamoDB, SQS) says it
//! does, for the rule sets of those services: the operation is the `X-Amz-Target` header, the
//! parameters are the JSON body, and the SDK posts every operation to the path `/` of the
//! client's endpoint.
//!
//! ```text
//! POST /                                        (joined with the endpoint before signing:
//! X-Amz-Target: AmazonSQS.SendMessage            http://127.0.0.1:5000/, https://sqs.us-east-1.amazonaws.com/)
//! {"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/jobs-acme","MessageBody":"…"}
//! ```
//!
//! A rule set records [`JsonRequest::of`] the request after serialization and compares it at
//! signing: [`JsonRequest::same_call`] where the endpoint cannot change what the request does
//! (DynamoDB names its table only in the body), [`JsonRequest::sent_to`] where it can (an SQS
//! request sent to a queue's URL names that queue in its path).

use aws_smithy_runtime_api::http::Request;

/// The parts of a serialized JSON-protocol request that say what it does: method, URI (relative,
/// before the endpoint is applied), `X-Amz-Target` and the body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonRequest {
    method: String,
    uri: String,
    target: Option<String>,
    body: Option<Vec<u8>>,
}

impl JsonRequest {
    /// The request as it is now.
    pub(crate) fn of(request: &Request) -> JsonRequest {
        JsonRequest {
            method: request.method().to_owned(),
            uri: request.uri().to_owned(),
            target: request.headers().get("x-amz-target").map(str::to_owned),
            body: request.body().bytes().map(<[u8]>::to_vec),
        }
    }

    /// Whether `request` is still this call: the same method, operation and body, wherever it
    /// is sent.
    pub(crate) fn same_call(&self, request: &Request) -> bool {
        let now = JsonRequest::of(request);
        now.method == self.method && now.target == self.target && now.body == self.body
    }

    /// Whether `request` is this call sent to `endpoint`: [`same_call`](Self::same_call), and
    /// its URI the recorded one joined with `endpoint` by the SDK's own rule (so a path or query
    /// added after the check, or another host, is not this request).
    #[cfg_attr(not(feature = "sqs"), allow(dead_code))]
    pub(crate) fn sent_to(&self, endpoint: &str, request: &Request) -> bool {
        let mut expected = Request::empty();
        let joined = expected.set_uri(self.uri.as_str()).is_ok() && expected.uri_mut().set_endpoint(endpoint).is_ok();
        joined && expected.uri() == request.uri() && self.same_call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, target: &str, body: &str) -> Request {
        let mut r = Request::new(aws_smithy_types::body::SdkBody::from(body));
        r.set_uri(uri).unwrap();
        r.set_method("POST").unwrap();
        r.headers_mut().insert("x-amz-target", target.to_owned());
        r
    }

    #[test]
    fn a_call_is_its_method_target_and_body_and_where_it_is_sent() {
        let recorded = JsonRequest::of(&request("/", "AmazonSQS.SendMessage", r#"{"QueueUrl":"q"}"#));
        let sent = request("http://127.0.0.1:5000/", "AmazonSQS.SendMessage", r#"{"QueueUrl":"q"}"#);
        assert!(recorded.same_call(&sent));
        assert!(recorded.sent_to("http://127.0.0.1:5000", &sent));
        assert!(!recorded.sent_to("http://127.0.0.1:5001", &sent), "another endpoint");
        let elsewhere =
            request("http://127.0.0.1:5000/123456789012/jobs-globex", "AmazonSQS.SendMessage", r#"{"QueueUrl":"q"}"#);
        assert!(recorded.same_call(&elsewhere));
        assert!(!recorded.sent_to("http://127.0.0.1:5000", &elsewhere), "a path added after the check");
        let query = request("http://127.0.0.1:5000/?QueueUrl=x", "AmazonSQS.SendMessage", r#"{"QueueUrl":"q"}"#);
        assert!(!recorded.sent_to("http://127.0.0.1:5000", &query), "a query added after the check");
        let swapped = request("http://127.0.0.1:5000/", "AmazonSQS.SendMessage", r#"{"QueueUrl":"r"}"#);
        assert!(!recorded.same_call(&swapped), "another body");
        let other = request("http://127.0.0.1:5000/", "AmazonSQS.PurgeQueue", r#"{"QueueUrl":"q"}"#);
        assert!(!recorded.same_call(&other), "another operation");
    }
}
