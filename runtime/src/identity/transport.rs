//! Where key sets may be fetched from: `https` only; plain `http` only from a loopback host
//! and only with the development switch
//! ([`allow_insecure_loopback`](super::VerifierBuilder::allow_insecure_loopback),
//! `TENANT_JWT_ALLOW_HTTP_LOOPBACK`).
//!
//! Why: the key set decides which tenant a token names. Whoever can answer the key-set
//! request (anyone on the network path of a plain-http fetch, or a server that redirects it)
//! can serve their own key and sign tokens for every tenant. So one rule applies to every
//! URL this module's client fetches:
//!
//! * the configured `TENANT_JWKS_URL`, or the issuer the key set is found from (checked when
//!   the verifier is built: a [`ConfigError`](crate::ConfigError) naming the variable);
//! * the `jwks_uri` that OpenID discovery returns (checked after discovery: a 503, the keys
//!   are unavailable; never a 401 for every caller);
//! * every redirect: followed only to a URL the rule allows, never away from `https` (an
//!   `https` URL redirecting to `http://127.0.0.1` is refused even with the switch), at most
//!   [`MAX_REDIRECTS`] in a chain.
//!
//! Loopback means the IP literals `127.0.0.0/8` and `::1`, and the name `localhost`
//! ([RFC 6761, section 6.3](https://www.rfc-editor.org/rfc/rfc6761#section-6.3)); the URL is
//! parsed as a browser would (WHATWG), so `http://127.0.0.1@evil.example/` names
//! `evil.example`. `0.0.0.0`, `::`, `::ffff:127.0.0.1`, `localhost.example.com` are not
//! loopback.
//!
//! # The client
//!
//! Requests go through the AWS SDK's HTTP stack (`aws-smithy-http-client`, hyper with rustls),
//! which every Lambda built with this crate already links for STS and DynamoDB, not through a
//! second HTTP library with its own TLS set-up. When the verifier belongs to an
//! [`Isolation`](crate::Isolation), it is given the very client the `Isolation` builds for STS
//! and DynamoDB, with their connector settings, so that one connector (one connection pool, one
//! rustls root store, the platform's root certificates read once per process) serves all three.
//! A verifier used on its own builds the same kind of client on its first fetch (issue 18: a
//! second HTTP client built at init read the root certificates a second time, 5.5 ms of a
//! 11.7 ms cold start).
//!
//! That stack follows no redirects, so [`Transport::get`] follows them by hand: each hop is
//! decided by [`Transport::follows`], and every URL, the first one too, is checked against the
//! rule right before it is sent (a second lock on the door the configuration check closed).

use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnector, HttpConnectorSettings, SharedHttpClient};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::display::DisplayErrorContext;
use std::net::IpAddr;
use std::time::Duration;
use url::Url;

/// The longest redirect chain followed (reqwest's default is 10).
pub(super) const MAX_REDIRECTS: usize = 3;

/// The transport rule, fixed when the verifier is built.
#[derive(Clone, Copy, Debug)]
pub(super) struct Transport {
    allow_insecure_loopback: bool,
}

impl Transport {
    pub(super) fn new(allow_insecure_loopback: bool) -> Transport {
        Transport { allow_insecure_loopback }
    }

    /// Whether `url` may be fetched; the error says why not, naming the URL.
    pub(super) fn check(self, url: &Url) -> Result<(), String> {
        match url.scheme() {
            "https" if url.host().is_some() => Ok(()),
            "http" if self.allow_insecure_loopback && is_loopback(url) => Ok(()),
            "http" if self.allow_insecure_loopback => Err(format!(
                "`{url}` is plain http to a host that is not loopback: only `127.0.0.0/8`, `::1` and `localhost` \
                 may be reached over http, and only for development"
            )),
            "http" if is_loopback(url) => Err(format!(
                "`{url}` is plain http: key sets are fetched over https only (for development against a \
                 local server, set `TENANT_JWT_ALLOW_HTTP_LOOPBACK=1`)"
            )),
            "http" => Err(format!("`{url}` is plain http: key sets are fetched over https only")),
            _ => Err(format!("`{url}` is not an https URL")),
        }
    }

    /// [`check`](Transport::check) on a URL given as text.
    pub(super) fn check_str(self, url: &str) -> Result<Url, String> {
        let parsed = Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
        self.check(&parsed)?;
        Ok(parsed)
    }

    /// Whether a redirect from the chain `previous` (the first entry is the URL requested,
    /// the last the one that answered with the redirect) to `next` is followed.
    pub(super) fn follows(self, previous: &[Url], next: &Url) -> Result<(), String> {
        // `previous` holds the URL first requested, so a chain of N redirects has N entries
        // when the Nth is asked about.
        if previous.len() > MAX_REDIRECTS {
            return Err(format!("more than {MAX_REDIRECTS} redirects"));
        }
        if next.scheme() != "https" && previous.iter().any(|u| u.scheme() == "https") {
            return Err(format!("redirect from https to `{next}` refused: a redirect never leaves https"));
        }
        self.check(next).map_err(|reason| format!("redirect refused: {reason}"))
    }

    /// GET `url` under the rule, following redirects by hand: the first response that is not a
    /// redirect (a redirect without `Location` included: the caller reports its status). The
    /// error is the reason, without the URL first asked for (the caller names it).
    ///
    /// No timeout here: the caller bounds the whole chain and the body with one.
    pub(super) async fn get(self, http: &Http, url: &str) -> Result<HttpResponse, String> {
        let mut current = self.check_str(url)?;
        let mut chain: Vec<Url> = Vec::new();
        loop {
            let response = http.get(&current).await?;
            let status = response.status().as_u16();
            // The five statuses that redirect a GET (RFC 9110, section 15.4); 300 (a choice)
            // and 304 (not modified) are answers.
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                return Ok(response);
            }
            let Some(location) = response.headers().get("location") else { return Ok(response) };
            // Relative to the URL that answered (RFC 9110, section 10.2.2), as a browser
            // resolves it: what is checked is what is fetched next.
            let next = current
                .join(location)
                .map_err(|e| format!("HTTP {status}: redirect to {location:?}, which is not a URL: {e}"))?;
            chain.push(current);
            self.follows(&chain, &next).map_err(|reason| format!("HTTP {status}: {reason}"))?;
            current = next;
        }
    }
}

/// The HTTP client key sets and discovery documents are fetched with, and how.
pub(super) struct Http {
    client: SharedHttpClient,
    /// The connector settings: the client keeps one connector (pool, root store) per
    /// distinct settings, so a shared client is asked with its other users' settings.
    settings: HttpConnectorSettings,
    /// Only what the SDK's orchestrator hands a client for each request. The connector reads
    /// the sleep implementation and the time source; the rest is there because
    /// `RuntimeComponents` cannot be built without it, and is never consulted.
    components: RuntimeComponents,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Http {
    /// `client`, asked for its connector with `settings`: those of the SDK clients that share
    /// it, so that key-set requests use their connector (pool, root store) instead of a second
    /// one.
    pub(super) fn shared(client: SharedHttpClient, settings: HttpConnectorSettings) -> Http {
        Http { client, settings, components: components(None, None) }
    }

    /// [`shared`](Http::shared), with the sleep and time source of the SDK config the other
    /// users of `client` take theirs from: the client builds one connector per settings and
    /// keeps it for whoever asks next, so the key-set request, when it comes first, builds
    /// the connector STS and DynamoDB would have built.
    pub(super) fn shared_with(
        client: SharedHttpClient,
        settings: HttpConnectorSettings,
        sleep: Option<SharedAsyncSleep>,
        time: Option<SharedTimeSource>,
    ) -> Http {
        Http { client, settings, components: components(sleep, time) }
    }

    /// A client of the verifier's own, built as the `Isolation` builds the SDK's (rustls with
    /// aws-lc, the platform's root certificates, which the SDK's HTTP stack reads once per
    /// process). Built on the first fetch, not at init.
    pub(super) fn own(connect_timeout: Duration) -> Http {
        use aws_smithy_http_client::tls;
        let client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
            .build_https();
        Http::shared(client, HttpConnectorSettings::builder().connect_timeout(connect_timeout).build())
    }

    /// One GET, no redirect followed.
    async fn get(&self, url: &Url) -> Result<HttpResponse, String> {
        let mut url = url.clone();
        // A fragment is never sent (RFC 9110, section 7.1); `http::Uri` refuses one.
        url.set_fragment(None);
        let mut request = HttpRequest::new(SdkBody::empty());
        request.set_method("GET").map_err(|e| format!("request failed: {e}"))?;
        // The checked URL's own serialization, so that the host connected to is the host
        // the rule saw.
        request.set_uri(url.as_str()).map_err(|e| format!("`{url}` cannot be requested: {e}"))?;
        request.headers_mut().insert("accept", "application/json");
        let connector = self.client.http_connector(&self.settings, &self.components);
        connector.call(request).await.map_err(|e| {
            let what = if e.is_timeout() {
                "timed out"
            } else if e.is_io() {
                "could not connect"
            } else {
                "request failed"
            };
            format!("{what}: {}", DisplayErrorContext(&e))
        })
    }
}

/// Runtime components for asking an HTTP client for a connector outside an SDK operation;
/// tokio's sleep and the system clock unless given others.
fn components(sleep: Option<SharedAsyncSleep>, time: Option<SharedTimeSource>) -> RuntimeComponents {
    use aws_smithy_async::rt::sleep::TokioSleep;
    use aws_smithy_async::time::SystemTimeSource;
    use aws_smithy_runtime::client::auth::no_auth::{NO_AUTH_SCHEME_ID, NoAuthScheme};
    use aws_smithy_runtime::client::identity::IdentityCache;
    use aws_smithy_runtime::client::identity::no_auth::NoAuthIdentityResolver;
    use aws_smithy_runtime::client::orchestrator::endpoints::StaticUriEndpointResolver;
    use aws_smithy_runtime::client::retries::strategy::NeverRetryStrategy;
    use aws_smithy_runtime_api::client::auth::static_resolver::StaticAuthSchemeOptionResolver;
    RuntimeComponents::builder("tenant_isolation::identity")
        .with_sleep_impl(Some(sleep.unwrap_or_else(|| SharedAsyncSleep::new(TokioSleep::new()))))
        .with_time_source(Some(time.unwrap_or_else(|| SharedTimeSource::new(SystemTimeSource::new()))))
        .with_auth_scheme_option_resolver(Some(StaticAuthSchemeOptionResolver::new(vec![NO_AUTH_SCHEME_ID])))
        .with_auth_scheme(NoAuthScheme::new())
        .with_identity_resolver(NO_AUTH_SCHEME_ID, NoAuthIdentityResolver::new())
        .with_identity_cache(Some(IdentityCache::no_cache()))
        .with_endpoint_resolver(Some(StaticUriEndpointResolver::uri("https://key-set.invalid")))
        .with_retry_strategy(Some(NeverRetryStrategy::new()))
        .build()
        .expect("every required runtime component is set above")
}

/// `127.0.0.0/8`, `::1` or `localhost`. The URL parser has already lower-cased the name and
/// written an IPv4 address given in any spelling (`127.1`, `2130706433`) as `127.0.0.1`.
fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    // IPv6 literals keep their brackets in `host_str`.
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    match literal.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host == "localhost",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(list: &[&str]) -> Vec<Url> {
        list.iter().map(|u| Url::parse(u).unwrap()).collect()
    }

    /// Redirects that can only be reached with an https server are decided here, by the
    /// function `Transport::get` asks about each redirect.
    #[test]
    fn redirects_never_leave_https() {
        let dev = Transport::new(true);
        let prod = Transport::new(false);
        let https = urls(&["https://issuer.example.com/.well-known/openid-configuration"]);
        let next = |u: &str| Url::parse(u).unwrap();

        for t in [dev, prod] {
            assert!(t.follows(&https, &next("https://cdn.example.com/jwks.json")).is_ok());
            for downgrade in ["http://cdn.example.com/jwks.json", "http://127.0.0.1:5000/jwks.json", "ftp://x/y"] {
                assert!(t.follows(&https, &next(downgrade)).is_err(), "{downgrade} from https, {t:?}");
            }
            // An https hop anywhere earlier in the chain counts.
            let chain = urls(&["http://127.0.0.1:1/a", "https://issuer.example.com/b"]);
            assert!(t.follows(&chain, &next("http://127.0.0.1:2/c")).is_err(), "{t:?}");
        }

        let local = urls(&["http://127.0.0.1:5000/jwks.json"]);
        assert!(dev.follows(&local, &next("http://localhost:5001/jwks.json")).is_ok());
        assert!(dev.follows(&local, &next("https://issuer.example.com/jwks.json")).is_ok(), "an upgrade");
        for elsewhere in ["http://0.0.0.0:5000/jwks.json", "http://keys.example.com/jwks.json", "file:///etc/passwd"] {
            assert!(dev.follows(&local, &next(elsewhere)).is_err(), "{elsewhere}");
        }
        assert!(prod.follows(&local, &next("http://127.0.0.1:5001/jwks.json")).is_err());

        let long = urls(&["https://a.example/1", "https://a.example/2", "https://a.example/3"]);
        assert!(prod.follows(&long, &next("https://a.example/4")).is_ok(), "3 redirects");
        let longer =
            urls(&["https://a.example/1", "https://a.example/2", "https://a.example/3", "https://a.example/4"]);
        assert!(prod.follows(&longer, &next("https://a.example/5")).is_err(), "a 4th");
    }

    #[test]
    fn loopback_is_three_things() {
        for u in ["http://127.0.0.1/", "http://127.255.0.9/", "http://127.1/", "http://2130706433/", "http://[::1]/"] {
            assert!(is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
        for u in ["http://localhost/", "http://LocalHost:80/"] {
            assert!(is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
        for u in [
            "http://0.0.0.0/",
            "http://[::]/",
            "http://[::ffff:127.0.0.1]/",
            "http://128.0.0.1/",
            "http://localhost.example.com/",
            "http://localhost./",
            "http://sub.localhost/",
            "http://127.0.0.1.nip.io/",
            "http://127.0.0.1@evil.example/",
        ] {
            assert!(!is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
    }
}
