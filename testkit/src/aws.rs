//! Where moto and AWS answer differently, answered as AWS does: SDK configurations for tests of
//! what a deployed handler sees.
//!
//! moto answers a `GetObject` or `HeadObject` of a missing key with 404 (`NoSuchKey`, or
//! `NotFound` for a `HEAD`). AWS answers 404 only to a caller that also has `s3:ListBucket` on
//! the bucket, and 403 (`AccessDenied`) to any other (Amazon S3 API Reference, GetObject and
//! HeadObject, "Permissions"). A tenant session has no unconditioned `ListBucket`: at most one
//! confined by `s3:prefix` to the tenant's folder, and a `GetObject` request carries no
//! `s3:prefix`; whether S3 counts such a grant for that answer is not documented. So
//! [`missing_objects_denied`] answers as if it did not: the answer a handler must be ready for.
//!
//! ```no_run
//! use tenant_isolation_testkit::{Local, aws};
//!
//! # async fn test() {
//! let local = Local::start().await;
//! let sdk = aws::missing_objects_denied(local.sdk_config().await);
//! let isolation = local.isolation_with(|b| b.sdk_config(sdk)).await;
//! // A handler that reads a missing object now gets the 403 it would get on AWS.
//! # let _ = isolation;
//! # }
//! ```

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// S3's denial, as AWS writes it.
const ACCESS_DENIED: &str =
    r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"#;

/// `sdk` with an HTTP client that answers a `GetObject` or `HeadObject` of a missing object
/// (moto's 404) with AWS's 403 `AccessDenied` to a caller without `s3:ListBucket` (a `HEAD`
/// without a body, as S3 answers one). Every other request and answer passes unchanged:
/// listings, writes, DynamoDB, STS.
///
/// For path-style S3 requests (`http://<endpoint>/<bucket>/<key>`), as [`crate::Local`]'s
/// isolations send them.
pub fn missing_objects_denied(sdk: aws_config::SdkConfig) -> aws_config::SdkConfig {
    // Without a client in the configuration, the one an `Isolation` would build (plain http is
    // what moto speaks).
    let inner = sdk.http_client().unwrap_or_else(|| aws_smithy_http_client::Builder::new().build_http());
    sdk.into_builder().http_client(MissingObjectsDenied { inner }).build()
}

#[derive(Debug)]
struct MissingObjectsDenied {
    inner: SharedHttpClient,
}

impl HttpClient for MissingObjectsDenied {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector { inner: self.inner.http_connector(settings, components) })
    }
}

#[derive(Debug)]
struct Connector {
    inner: SharedHttpConnector,
}

/// Which object read `request` is: `Some(true)` for a `HeadObject`, `Some(false)` for a
/// `GetObject`, `None` for anything else. The SDK marks a `GetObject` with `x-id=GetObject`; a
/// `HEAD` with a key after the bucket is a `HeadObject` (`HEAD /<bucket>` is `HeadBucket`).
fn object_read(request: &HttpRequest) -> Option<bool> {
    let uri = request.uri();
    let path = uri.split_once("://").map_or(uri, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    match request.method() {
        "GET" if query.split('&').any(|p| p == "x-id=GetObject") => Some(false),
        "HEAD" if path.trim_start_matches('/').split_once('/').is_some_and(|(_, key)| !key.is_empty()) => Some(true),
        _ => None,
    }
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let read = object_read(&request);
        let answer = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let response = answer.await?;
            let head = match read {
                Some(head) if response.status().as_u16() == 404 => head,
                _ => return Ok(response),
            };
            let status = StatusCode::try_from(403).expect("403 is a status");
            let mut denied =
                HttpResponse::new(status, if head { SdkBody::empty() } else { SdkBody::from(ACCESS_DENIED) });
            if !head {
                denied.headers_mut().insert("content-type", "application/xml");
            }
            Ok(denied)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, uri: &str) -> HttpRequest {
        let mut request = HttpRequest::new(SdkBody::empty());
        *request.uri_mut() = uri.try_into().unwrap();
        request.set_method(method).unwrap();
        request
    }

    #[test]
    fn only_object_reads_are_answered_as_aws() {
        let base = "http://127.0.0.1:5000";
        assert_eq!(
            object_read(&request("GET", &format!("{base}/files/tenants/acme/a.txt?x-id=GetObject"))),
            Some(false)
        );
        assert_eq!(object_read(&request("HEAD", &format!("{base}/files/tenants/acme/a.txt"))), Some(true));
        for (method, path) in [
            ("HEAD", "/files"),
            ("HEAD", "/files/"),
            ("GET", "/files?list-type=2&prefix=tenants%2Facme%2F"),
            ("GET", "/files/tenants/acme/a.txt?uploadId=1&x-id=ListParts"),
            ("PUT", "/files/tenants/acme/a.txt?x-id=PutObject"),
            ("POST", "/"),
        ] {
            assert_eq!(object_read(&request(method, &format!("{base}{path}"))), None, "{method} {path}");
        }
    }
}
