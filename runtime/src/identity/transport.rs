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

use reqwest::Url;
use reqwest::redirect::{Attempt, Policy};
use std::net::IpAddr;
use std::time::Duration;

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

    /// The HTTP client that fetches key sets and discovery documents under this rule.
    pub(super) fn client(self, timeout: Duration) -> reqwest::Result<reqwest::Client> {
        reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // Without the switch reqwest itself refuses every `http` URL as well, the first
            // request and each redirect: a second lock on the same door.
            .https_only(!self.allow_insecure_loopback)
            .redirect(Policy::custom(move |attempt: Attempt<'_>| {
                match self.follows(attempt.previous(), attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(reason) => attempt.error(reason),
                }
            }))
            .build()
    }
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
    /// function the client's redirect policy calls.
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
