//! The HTTP client an `Isolation` builds for STS, DynamoDB, S3 and the key set: the SDK's,
//! wrapped so that its base-config validation runs once per process.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector};
use aws_smithy_runtime_api::client::runtime_components::{RuntimeComponents, RuntimeComponentsBuilder};
use aws_smithy_types::config_bag::ConfigBag;

/// The `Isolation`'s HTTP client, whose base-config validation runs once, not once per SDK
/// client.
///
/// The SDK validates the HTTP client of every client it constructs; for its hyper client that
/// builds a throw-away connector, "so that native certs load at client initialization time
/// instead of upon first request" (aws-smithy-http-client's `validate_base_client_config`),
/// which parses the platform's root certificates into a new root store each time. The
/// certificates themselves are read once per process, so after the first validation the
/// others only cost init time: 0.07–0.1 ms for each further client built (one DynamoDB
/// client per policy at init, one S3 client per policy with buckets on its first S3 request),
/// against 3–7 ms for the
/// first, on the benchmark machine (issue 18). Requests are untouched: `http_connector` is
/// the client's own.
#[derive(Debug)]
pub(crate) struct ValidatedOnce {
    inner: SharedHttpClient,
    validated: std::sync::OnceLock<()>,
}

impl ValidatedOnce {
    pub(crate) fn new(inner: SharedHttpClient) -> ValidatedOnce {
        ValidatedOnce { inner, validated: std::sync::OnceLock::new() }
    }
}

impl HttpClient for ValidatedOnce {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        self.inner.http_connector(settings, components)
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        // Only a validation that succeeded counts as done: a failure is reported again by the
        // next client built.
        if self.validated.get().is_some() {
            return Ok(());
        }
        self.inner.validate_base_client_config(components, cfg)?;
        let _ = self.validated.set(());
        Ok(())
    }

    fn validate_final_config(&self, components: &RuntimeComponents, cfg: &ConfigBag) -> Result<(), BoxError> {
        self.inner.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every SDK client built on the `Isolation`'s HTTP client validates it; only the first
    /// validation reaches the client (the one that loads the root certificates), and a failed
    /// one is not remembered as done.
    #[test]
    fn the_http_client_is_validated_once() {
        use std::sync::atomic::{AtomicU32, Ordering};
        #[derive(Debug, Default)]
        struct Counting {
            validations: AtomicU32,
            fail_first: bool,
        }
        impl HttpClient for Counting {
            fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
                unreachable!("no request is sent")
            }
            fn validate_base_client_config(&self, _: &RuntimeComponentsBuilder, _: &ConfigBag) -> Result<(), BoxError> {
                let n = self.validations.fetch_add(1, Ordering::SeqCst);
                if self.fail_first && n == 0 { Err("no roots".into()) } else { Ok(()) }
            }
        }
        let components = RuntimeComponentsBuilder::new("test");
        let counting = std::sync::Arc::new(Counting::default());
        let once = ValidatedOnce::new(SharedHttpClient::new(ArcClient(counting.clone())));
        for _ in 0..3 {
            once.validate_base_client_config(&components, &ConfigBag::base()).unwrap();
        }
        assert_eq!(counting.validations.load(Ordering::SeqCst), 1);

        let failing = std::sync::Arc::new(Counting { fail_first: true, ..Counting::default() });
        let once = ValidatedOnce::new(SharedHttpClient::new(ArcClient(failing.clone())));
        assert!(once.validate_base_client_config(&components, &ConfigBag::base()).is_err());
        once.validate_base_client_config(&components, &ConfigBag::base()).unwrap();
        once.validate_base_client_config(&components, &ConfigBag::base()).unwrap();
        assert_eq!(failing.validations.load(Ordering::SeqCst), 2);

        /// Shares the counter with the test.
        #[derive(Debug)]
        struct ArcClient(std::sync::Arc<Counting>);
        impl HttpClient for ArcClient {
            fn http_connector(&self, s: &HttpConnectorSettings, c: &RuntimeComponents) -> SharedHttpConnector {
                self.0.http_connector(s, c)
            }
            fn validate_base_client_config(
                &self,
                b: &RuntimeComponentsBuilder,
                cfg: &ConfigBag,
            ) -> Result<(), BoxError> {
                self.0.validate_base_client_config(b, cfg)
            }
        }
    }
}
