//! Where a checked request goes: the endpoint the client's own resolver gives, and the URI the
//! SDK makes of a recorded path and query and that endpoint. Shared by the rule sets whose
//! `unchanged` holds the request about to be signed against its snapshot: S3 (`s3.rs`, which
//! resolves the checked bucket's endpoint) and the JSON protocols (`json.rs`).
//!
//! ```text
//! serialized:  POST /                            (recorded at `read_after_serialization`)
//! endpoint:    https://secretsmanager.us-east-1.amazonaws.com   (applied by the SDK)
//! at signing:  POST https://secretsmanager.us-east-1.amazonaws.com/   = joined("/", endpoint)
//! ```

use aws_smithy_runtime_api::client::endpoint::{EndpointResolverParams, ResolveEndpoint};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The URL the client's resolver gives for `params`. `None` when the resolver does not answer at
/// once (the SDK's generated resolvers are synchronous, so theirs always does) or fails.
pub(super) fn resolve(components: &RuntimeComponents, params: &EndpointResolverParams) -> Option<String> {
    let resolver = components.endpoint_resolver();
    let mut resolved = std::pin::pin!(resolver.resolve_endpoint(params));
    match std::future::Future::poll(resolved.as_mut(), &mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(Ok(endpoint)) => Some(endpoint.url().to_owned()),
        _ => None,
    }
}

/// The endpoint the SDK applied to this request (stored in `cfg` before signing), when it is the
/// one the client's resolver gives for the request's endpoint parameters as they are now.
/// `None` otherwise: an endpoint put in the bag by anything but the resolution of these
/// parameters is not known to be the client's.
pub(super) fn applied<'a>(cfg: &'a ConfigBag, components: &RuntimeComponents) -> Option<&'a str> {
    let url = cfg.load::<aws_smithy_types::endpoint::Endpoint>()?.url();
    let params = cfg.load::<EndpointResolverParams>()?;
    (resolve(components, params).as_deref() == Some(url)).then_some(url)
}

/// The URI a request serialized with the relative `uri` (path and query) has once `endpoint` is
/// applied, by the SDK's own rule (`Uri::set_endpoint`: the endpoint's scheme, authority and
/// base path, then the request's path and query). `None` when either does not parse.
pub(super) fn joined(uri: &str, endpoint: &str) -> Option<String> {
    let mut expected = aws_smithy_runtime_api::http::Request::empty();
    expected.set_uri(uri).ok()?;
    expected.uri_mut().set_endpoint(endpoint).ok()?;
    Some(expected.uri().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_path_is_joined_with_the_endpoint_as_the_sdk_applies_it() {
        assert_eq!(joined("/", "http://127.0.0.1:5000").as_deref(), Some("http://127.0.0.1:5000/"));
        assert_eq!(
            joined("/tenants/acme/x?x-id=GetObject", "http://127.0.0.1:5000/files").as_deref(),
            Some("http://127.0.0.1:5000/files/tenants/acme/x?x-id=GetObject")
        );
        assert_eq!(joined("/", "not a url"), None);
    }
}
