//! A proxy for Clerk's Frontend API on the app's own domain: requests under a path (default
//! `/__clerk`) go to the Frontend API, as Clerk's `@clerk/backend` `clerkFrontendApiProxy` and
//! Express's `frontendApiProxy` send them. For apps whose users' ad blockers or firewalls block
//! Clerk's domain, or that want every browser request on their own origin.
//!
//! This module decides everything, once, for every framework; `clerk-axum`
//! (`FrontendApiProxyLayer`) and `clerk-actix` (`FrontendApiProxyMiddleware`) only move bodies.
//!
//! # What a request becomes
//!
//! A request whose path is the proxy path or starts with it and `/` ([`FrontendApiProxy::matches`];
//! `/__clerkx` does not) goes to the Frontend API with the path after the proxy path and the same
//! query: `GET /__clerk/v1/client?_clerk_js_version=5` → `GET <Frontend API>/v1/client?_clerk_js_version=5`.
//! The target URL is the Frontend API's base and that rest of the path, concatenated as text
//! (never resolved as a relative URL, so `/__clerk//evil.com/x` is the path `//evil.com/x` on
//! the Frontend API), and its host is checked again before anything is sent.
//!
//! Headers sent up:
//!
//! - every request header, except the hop-by-hop ones (`Connection`, `Keep-Alive`,
//!   `Proxy-Authenticate`, `Proxy-Authorization`, `Proxy-Connection`, `TE`, `Trailer`,
//!   `Transfer-Encoding`, `Upgrade`), those the `Connection` header names, and `Host` (the HTTP
//!   client sets the Frontend API's);
//! - `Clerk-Proxy-Url`: the proxy's public URL, `<public origin><path>`
//!   (`https://app.example.com/__clerk`); and `Clerk-Secret-Key`: the instance's secret key.
//!   Both replace whatever the client sent under those names: a client cannot choose them;
//! - `X-Forwarded-Host` and `X-Forwarded-Proto`, `X-Forwarded-For` (the client's IP address), as
//!   described under [Forwarded headers](#forwarded-headers);
//! - `Accept-Encoding: identity`, as Clerk's proxy asks: the answer's body is passed on as it
//!   comes, never decoded, so an app's own compression layer can compress it once.
//!
//! The request body is streamed to the Frontend API as it arrives, and the answer's body to the
//! client as it arrives: nothing is buffered, whatever the size.
//!
//! # What the answer becomes
//!
//! The Frontend API's status and headers, except the hop-by-hop ones, those its `Connection`
//! header names, and any `Clerk-Secret-Key`. Every `Set-Cookie` is kept. `Content-Encoding` and
//! `Content-Length` are kept too: the body is never decoded (the HTTP client has no
//! decompression, whatever features other crates enable in `reqwest`), so they still describe
//! it. A `Location` that points at the Frontend API (absolute, or relative to it) is rewritten
//! to go through the proxy: `https://frontend-api.clerk.dev/v1/oauth_callback?code=1` becomes
//! `https://app.example.com/__clerk/v1/oauth_callback?code=1`; any other `Location` (the app
//! itself, an OAuth provider) is left as it is. Redirects are passed on, never followed.
//!
//! The proxy's own errors use Clerk's error shape, `{"errors":[{"code","message"}]}`, with
//! `Cache-Control: no-store`, and Clerk's codes:
//!
//! | status | code | when |
//! |---|---|---|
//! | 502 | `proxy_request_failed` | the Frontend API could not be reached or broke the connection before answering (the message is fixed: nothing of the failure, no URL, no key) |
//! | 504 | `proxy_request_failed` | the Frontend API did not start answering within [`response_timeout`](FrontendApiProxyBuilder::response_timeout) |
//! | 400 | `proxy_request_failed` | the request has no usable host, or its path would leave the Frontend API |
//! | 400 | `proxy_path_mismatch` | [`FrontendApiProxy::prepare`] was given a request outside the proxy path (the framework layers never do: such requests go to the app) |
//!
//! Configuration errors (`proxy_configuration_error` in Clerk's proxy, at request time) are
//! [`ConfigError`]s here, when the proxy is built: no secret key, no publishable key, an invalid
//! path or URL.
//!
//! The secret key is sent only to the Frontend API, marked sensitive (HTTP/2 never indexes it),
//! and never appears in an answer, a `Debug` output or a log event.
//!
//! # Forwarded headers
//!
//! Behind a reverse proxy (a load balancer, nginx, a PaaS router) the app sees the reverse
//! proxy's address, not the browser's origin. The public origin of `Clerk-Proxy-Url` is then
//! taken, as Clerk's proxy takes it, from the first `X-Forwarded-Proto` and the first
//! `X-Forwarded-Host` when **both** are present (and valid: `http` or `https`, a plain host and
//! port); otherwise from the request itself (its `Host` header, scheme `http` unless the URI
//! names one). The `X-Forwarded-Host` and `X-Forwarded-Proto` sent up are the client's when
//! valid, else the request's own; `X-Forwarded-For` is the first of `CF-Connecting-IP`,
//! `X-Real-IP`, the first `X-Forwarded-For`, or the connection's peer address.
//!
//! **These headers are only as trustworthy as what sits in front of the app.** Deploy it behind
//! a reverse proxy that sets (overwrites) `X-Forwarded-Host`, `X-Forwarded-Proto` and
//! `X-Forwarded-For`. If clients can reach the app directly, either:
//!
//! - [`trust_forwarded_headers(false)`](FrontendApiProxyBuilder::trust_forwarded_headers): the
//!   client's `X-Forwarded-*`, `Forwarded`, `X-Real-IP` and `CF-Connecting-IP` are dropped and
//!   replaced with the request's own host and scheme and the peer address; or
//! - [`public_origin`](FrontendApiProxyBuilder::public_origin) (e.g.
//!   `https://app.example.com`): `Clerk-Proxy-Url`, the rewritten `Location`s and the
//!   `X-Forwarded-Host` and `X-Forwarded-Proto` sent up use it, whatever the headers say. The
//!   client's address (`X-Forwarded-For`) is still taken from its headers unless
//!   `trust_forwarded_headers(false)` too.
//!
//! # Where the Frontend API is
//!
//! As in Clerk's proxy, the publishable key chooses: a production or development instance's
//! proxy goes to `https://frontend-api.clerk.dev` (Clerk's Frontend API finds the instance by
//! the secret key and the proxy URL; the instance's own host, e.g. `clerk.example.com`, may have
//! no DNS record when a proxy is used), Clerk's staging and local instances to theirs
//! ([`frontend_api_url_for`]). A loopback host (`localhost:<port>`, `*.localhost`, `127.0.0.1`),
//! which no Clerk instance has, is reached directly over `http://`: that is `clerk-testing`'s
//! LocalClerk. [`FrontendApiProxyBuilder::frontend_api_url`] overrides it (Clerk's
//! `CLERK_FAPI_URL`).
//!
//! # Timeouts
//!
//! Connecting to the Frontend API may take [`connect_timeout`](FrontendApiProxyBuilder::connect_timeout)
//! (10 s by default), and its answer must start within
//! [`response_timeout`](FrontendApiProxyBuilder::response_timeout) (30 s). There is no limit on
//! the whole exchange: a body streams for as long as it streams, and a client that goes away
//! ends the request to the Frontend API.
//!
//! # The handshake through the proxy
//!
//! With a proxy, browsers reach Clerk only through it, and so must the handshake: set
//! `CLERK_PROXY_URL` ([`ClerkBuilder::proxy_url`](crate::ClerkBuilder::proxy_url)) to the
//! proxy's public URL, `https://app.example.com/__clerk`, and Clerk's frontend's `proxyUrl` to
//! the same.
//!
//! # An adapter for another framework
//!
//! ```
//! use clerk_core::proxy::{FrontendApiProxy, ProxyRequest};
//! use http::{Request, Response};
//!
//! # async fn demo(proxy: &FrontendApiProxy, request: Request<()>) -> Option<u16> {
//! if !proxy.matches(request.uri().path()) {
//!     return None; // the app's own route
//! }
//! let head = ProxyRequest::new(request.method(), request.uri(), request.headers());
//! let answer = match proxy.prepare(head) {
//!     // No body here; a framework passes its body to `send` as a stream of `Bytes`.
//!     Ok(forward) => forward.send_empty().await,
//!     Err(refused) => refused,
//! };
//! // answer.status, answer.headers, and answer.body: a `Stream` of `Bytes`.
//! Some(answer.status.as_u16())
//! # }
//! ```

use std::error::Error as StdError;
use std::fmt;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::{Stream, TryStream};
use http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderMap, HeaderName,
    HeaderValue, LOCATION,
};
use http::{Method, StatusCode, Uri};
use url::Url;

use crate::client::Clerk;
use crate::error::ConfigError;
use crate::http_util::{describe_transport_error, is_secure_or_loopback};
use crate::keys::{PublishableKey, SecretKey};

/// The proxy path when none is configured, as in Clerk's SDKs.
pub const DEFAULT_PROXY_PATH: &str = "/__clerk";

/// Clerk's production Frontend API, where proxies of production and development instances go.
const PROD_FAPI_URL: &str = "https://frontend-api.clerk.dev";
/// Clerk's Frontend API for its own local environments.
const LOCAL_FAPI_URL: &str = "https://frontend-api.lclclerk.com";
/// Clerk's staging Frontend API.
const STAGING_FAPI_URL: &str = "https://frontend-api.clerkstage.dev";
/// Instance hosts of Clerk's legacy development instances (`clerk.<x><suffix>`): production.
const LEGACY_DEV_INSTANCE_SUFFIXES: [&str; 3] = [".lcl.dev", ".lclstage.dev", ".lclclerk.com"];
/// Instance hosts of Clerk's local environments.
const LOCAL_ENV_SUFFIXES: [&str; 4] = [
    ".lcl.dev",
    "lclstage.dev",
    ".lclclerk.com",
    ".accounts.lclclerk.com",
];
/// Instance hosts of Clerk's staging environment.
const STAGING_ENV_SUFFIXES: [&str; 1] = [".accountsstage.dev"];

const CLERK_PROXY_URL: HeaderName = HeaderName::from_static("clerk-proxy-url");
const CLERK_SECRET_KEY: HeaderName = HeaderName::from_static("clerk-secret-key");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Hop-by-hop headers (RFC 9110 7.6.1), never forwarded in either direction.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Headers that name the client or the public origin: dropped when they are not trusted.
const FORWARDING: [&str; 7] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-real-ip",
    "cf-connecting-ip",
];

/// The Frontend API a proxy of this instance goes to, as Clerk's proxy chooses it: a loopback
/// host (LocalClerk) directly over `http://`; Clerk's local and staging environments to their
/// own; every other instance, production or development, to `https://frontend-api.clerk.dev`.
///
/// ```
/// use clerk_core::PublishableKey;
/// use clerk_core::proxy::frontend_api_url_for;
///
/// let production = PublishableKey::new("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k").unwrap(); // clerk.example.com
/// assert_eq!(frontend_api_url_for(&production), "https://frontend-api.clerk.dev");
/// let local = PublishableKey::new("pk_test_bG9jYWxob3N0OjQwMDAk").unwrap(); // localhost:4000
/// assert_eq!(frontend_api_url_for(&local), "http://localhost:4000");
/// ```
pub fn frontend_api_url_for(key: &PublishableKey) -> String {
    let own = key.frontend_api_url();
    if own.starts_with("http://") {
        return own;
    }
    let host = key.frontend_api();
    let ends = |suffixes: &[&str]| suffixes.iter().any(|suffix| host.ends_with(suffix));
    let url = if host.starts_with("clerk.") && ends(&LEGACY_DEV_INSTANCE_SUFFIXES) {
        PROD_FAPI_URL
    } else if ends(&LOCAL_ENV_SUFFIXES) {
        LOCAL_FAPI_URL
    } else if ends(&STAGING_ENV_SUFFIXES) {
        STAGING_FAPI_URL
    } else {
        PROD_FAPI_URL
    };
    url.to_owned()
}

/// Clerk's Frontend API behind a path of the app: decides what each request becomes and sends
/// it (module docs). Cheap to clone (one `Arc`); build it once.
///
/// ```
/// # fn demo(clerk: &clerk_core::Clerk) -> Result<(), clerk_core::ConfigError> {
/// use clerk_core::proxy::FrontendApiProxy;
///
/// let proxy = FrontendApiProxy::new(clerk)?; // at /__clerk
/// let custom = FrontendApiProxy::builder(clerk)
///     .path("/clerk-proxy")
///     .public_origin("https://app.example.com")
///     .build()?;
/// assert!(custom.matches("/clerk-proxy/v1/client"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct FrontendApiProxy {
    inner: Arc<Inner>,
}

struct Inner {
    path: String,
    upstream: Upstream,
    secret: HeaderValue,
    public_origin: Option<Origin>,
    trust_forwarded: bool,
    response_timeout: Duration,
    http: reqwest::Client,
}

/// The Frontend API: `base` without a trailing slash, its parsed form, and its path (`""` at
/// the root).
struct Upstream {
    base: String,
    url: Url,
    path: String,
}

/// An origin: scheme (`http` or `https`) and host (with its port, if any).
#[derive(Debug, Clone)]
struct Origin {
    scheme: &'static str,
    host: String,
}

impl Origin {
    fn serialize(&self) -> String {
        format!("{}://{}", self.scheme, self.host)
    }
}

impl fmt::Debug for FrontendApiProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrontendApiProxy")
            .field("path", &self.inner.path)
            .field("frontend_api_url", &self.inner.upstream.base)
            .field(
                "public_origin",
                &self.inner.public_origin.as_ref().map(Origin::serialize),
            )
            .field("trust_forwarded_headers", &self.inner.trust_forwarded)
            .field("secret_key", &"(redacted)")
            .finish_non_exhaustive()
    }
}

impl FrontendApiProxy {
    /// A proxy at [`DEFAULT_PROXY_PATH`] (`/__clerk`) for `clerk`'s instance: its secret key
    /// and the Frontend API its publishable key names ([`frontend_api_url_for`]). Fails without
    /// either key.
    pub fn new(clerk: &Clerk) -> Result<Self, ConfigError> {
        Self::builder(clerk).build()
    }

    /// A proxy with other settings than the defaults.
    pub fn builder(clerk: &Clerk) -> FrontendApiProxyBuilder {
        FrontendApiProxyBuilder {
            secret_key: clerk.secret_key().cloned(),
            publishable_key: clerk.publishable_key().cloned(),
            path: DEFAULT_PROXY_PATH.to_owned(),
            frontend_api_url: None,
            public_origin: None,
            trust_forwarded_headers: true,
            allow_insecure_http: false,
            connect_timeout: Duration::from_secs(10),
            response_timeout: Duration::from_secs(30),
        }
    }

    /// The proxy path, without a trailing slash (`/__clerk`).
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// The Frontend API requests go to, without a trailing slash.
    pub fn frontend_api_url(&self) -> &str {
        &self.inner.upstream.base
    }

    /// Whether a request path (as sent, percent-encoded) is the proxy's: the proxy path itself
    /// or below it (`/__clerk`, `/__clerk/`, `/__clerk/v1/client`; not `/__clerkx`).
    pub fn matches(&self, path: &str) -> bool {
        let prefix = self.inner.path.as_str();
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// Decides what `request` becomes: a [`Forward`] to send with the request's body, or the
    /// error answer to give instead (a path outside the proxy's, no usable host, a path that
    /// would leave the Frontend API).
    #[allow(clippy::result_large_err)] // the refusal is the answer itself, built once
    pub fn prepare(&self, request: ProxyRequest<'_>) -> Result<Forward, ProxyResponse> {
        let inner = &*self.inner;
        let path = request.uri.path();
        let Some(rest) = path
            .strip_prefix(inner.path.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        else {
            return Err(ProxyResponse::error(
                StatusCode::BAD_REQUEST,
                "proxy_path_mismatch",
                "The request path is not under the Frontend API proxy's path.",
            ));
        };
        let rest = if rest.is_empty() { "/" } else { rest };
        let mut target = format!("{}{rest}", inner.upstream.base);
        if let Some(query) = request.uri.query() {
            target.push('?');
            target.push_str(query);
        }
        let target = match Url::parse(&target) {
            Ok(url) if inner.upstream.contains(&url) => url,
            _ => {
                return Err(ProxyResponse::error(
                    StatusCode::BAD_REQUEST,
                    "proxy_request_failed",
                    "The request path does not resolve to a path of the Frontend API.",
                ));
            }
        };

        let own = inner.public_origin.clone().or_else(|| own_origin(&request));
        let Some(own) = own else {
            return Err(ProxyResponse::error(
                StatusCode::BAD_REQUEST,
                "proxy_request_failed",
                "The request has no valid Host header.",
            ));
        };
        // A fixed public origin is the origin, whatever a client says: the host and scheme
        // sent up are its own, as in `Clerk-Proxy-Url`.
        let origin_from_headers = inner.trust_forwarded && inner.public_origin.is_none();
        let forwarded_host = origin_from_headers
            .then(|| first_value(request.headers, &X_FORWARDED_HOST))
            .flatten()
            .filter(|host| is_plain_host(host));
        let forwarded_proto = origin_from_headers
            .then(|| first_value(request.headers, &X_FORWARDED_PROTO))
            .flatten()
            .and_then(web_scheme);
        let public = match (&inner.public_origin, forwarded_proto, forwarded_host) {
            (Some(origin), _, _) => origin.clone(),
            (None, Some(scheme), Some(host)) => Origin {
                scheme,
                host: host.to_owned(),
            },
            _ => own.clone(),
        };
        let proxy_url = format!("{}{}", public.serialize(), inner.path);

        let mut headers = forwardable(request.headers, inner.trust_forwarded);
        // Every value here comes from a valid header value or a checked host, so none fails;
        // a failure would leave the header out, never send a wrong one.
        if let Ok(value) = HeaderValue::from_str(&proxy_url) {
            headers.insert(CLERK_PROXY_URL, value);
        }
        headers.insert(CLERK_SECRET_KEY, inner.secret.clone());
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        if let Ok(value) = HeaderValue::from_str(forwarded_host.unwrap_or(&own.host)) {
            headers.insert(X_FORWARDED_HOST, value);
        }
        headers.insert(
            X_FORWARDED_PROTO,
            HeaderValue::from_static(forwarded_proto.unwrap_or(own.scheme)),
        );
        let client_ip = if inner.trust_forwarded {
            client_ip(request.headers).or_else(|| request.peer.map(|ip| ip.to_string()))
        } else {
            request.peer.map(|ip| ip.to_string())
        };
        match client_ip.and_then(|ip| HeaderValue::from_str(&ip).ok()) {
            Some(ip) => {
                headers.insert(X_FORWARDED_FOR, ip);
            }
            None => {
                headers.remove(X_FORWARDED_FOR);
            }
        }

        Ok(Forward {
            proxy: self.clone(),
            method: request.method.clone(),
            url: target,
            headers,
            proxy_url,
        })
    }

    /// The answer's headers: hop-by-hop and `Connection`-named ones removed, `Location` through
    /// the proxy when it points at the Frontend API.
    fn response_headers(&self, upstream: &HeaderMap, proxy_url: &str) -> HeaderMap {
        let nominated = connection_nominated(upstream);
        let mut out = HeaderMap::with_capacity(upstream.len());
        for (name, value) in upstream {
            if is_hop_by_hop(name) || nominated.contains(name) || name == CLERK_SECRET_KEY {
                continue;
            }
            out.append(name.clone(), value.clone());
        }
        let rewritten = upstream
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|location| self.inner.upstream.through_proxy(location, proxy_url))
            .and_then(|location| HeaderValue::from_str(&location).ok());
        if let Some(location) = rewritten {
            out.insert(LOCATION, location);
        }
        out
    }
}

impl Upstream {
    fn parse(raw: &str, allow_insecure_http: bool) -> Result<Self, ConfigError> {
        const SETTING: &str = "Frontend API URL";
        let invalid = |reason| ConfigError::Invalid {
            setting: SETTING,
            reason,
        };
        let url =
            Url::parse(raw.trim()).map_err(|_| ConfigError::InvalidUrl { setting: SETTING })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(ConfigError::InvalidUrl { setting: SETTING });
        }
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(invalid(
                "it must not include credentials, a query string or a fragment",
            ));
        }
        if !allow_insecure_http && !is_secure_or_loopback(url.as_str()) {
            return Err(invalid(
                "an http:// URL would send the secret key in clear: use https://, or http:// to 127.0.0.1, [::1] or localhost (allow_insecure_http opts out)",
            ));
        }
        let base = url.as_str().trim_end_matches('/').to_owned();
        let path = url.path().trim_end_matches('/').to_owned();
        Ok(Self { base, url, path })
    }

    /// Whether `url` is on the Frontend API (scheme, host and port) and under its path.
    fn contains(&self, url: &Url) -> bool {
        url.scheme() == self.url.scheme()
            && url.host_str() == self.url.host_str()
            && url.port_or_known_default() == self.url.port_or_known_default()
            && self.under_path(url.path()).is_some()
    }

    /// `path` without the Frontend API's own path, if it is under it.
    fn under_path<'a>(&self, path: &'a str) -> Option<&'a str> {
        let rest = path.strip_prefix(self.path.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    }

    /// `location` (absolute, or relative to the Frontend API) through the proxy, when it points
    /// at the Frontend API's host (as Clerk's proxy decides: the host and any explicit port);
    /// `None` to leave it as it is.
    fn through_proxy(&self, location: &str, proxy_url: &str) -> Option<String> {
        let target = self.url.join(location).ok()?;
        if target.host_str() != self.url.host_str() || target.port() != self.url.port() {
            return None;
        }
        let path = self.under_path(target.path()).unwrap_or(target.path());
        let mut out = format!("{proxy_url}{path}");
        if let Some(query) = target.query() {
            out.push('?');
            out.push_str(query);
        }
        if let Some(fragment) = target.fragment() {
            out.push('#');
            out.push_str(fragment);
        }
        Some(out)
    }
}

/// Configures a [`FrontendApiProxy`]; from [`FrontendApiProxy::builder`].
#[derive(Clone)]
pub struct FrontendApiProxyBuilder {
    secret_key: Option<SecretKey>,
    publishable_key: Option<PublishableKey>,
    path: String,
    frontend_api_url: Option<String>,
    public_origin: Option<String>,
    trust_forwarded_headers: bool,
    allow_insecure_http: bool,
    connect_timeout: Duration,
    response_timeout: Duration,
}

impl fmt::Debug for FrontendApiProxyBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrontendApiProxyBuilder")
            .field("secret_key", &self.secret_key)
            .field("publishable_key", &self.publishable_key)
            .field("path", &self.path)
            .field("frontend_api_url", &self.frontend_api_url)
            .field("public_origin", &self.public_origin)
            .field("trust_forwarded_headers", &self.trust_forwarded_headers)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .finish()
    }
}

impl FrontendApiProxyBuilder {
    /// The path the proxy answers under (default `/__clerk`). It starts with `/`, is not `/`
    /// alone, and holds only URL path characters (no `%`, `?`, `#` or spaces); a trailing `/`
    /// is dropped. It must not be a path of the app.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The Frontend API to forward to, instead of the one the publishable key chooses
    /// ([`frontend_api_url_for`]): Clerk's `CLERK_FAPI_URL`. An absolute `https://` URL (or
    /// `http://` to a loopback host, unless [`allow_insecure_http`](Self::allow_insecure_http)),
    /// with no credentials, query or fragment; it may have a path.
    pub fn frontend_api_url(mut self, url: impl Into<String>) -> Self {
        self.frontend_api_url = Some(url.into());
        self
    }

    /// Allows an `http://` Frontend API URL to a host that is not loopback (default: refused):
    /// the secret key would travel in clear. Only for a network you trust end to end.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The app's public origin (`https://app.example.com`): `Clerk-Proxy-Url`, rewritten
    /// `Location`s and the `X-Forwarded-Host` / `X-Forwarded-Proto` sent to the Frontend API use
    /// it whatever the request's headers say (default: taken from each request, see the module
    /// docs' "Forwarded headers"). An `http(s)` origin: no path, query or fragment.
    pub fn public_origin(mut self, origin: impl Into<String>) -> Self {
        self.public_origin = Some(origin.into());
        self
    }

    /// Whether the client's `X-Forwarded-Host`, `X-Forwarded-Proto`, `X-Forwarded-For`,
    /// `X-Real-IP` and `CF-Connecting-IP` are believed (default `true`, as Clerk's proxy: the
    /// app sits behind a reverse proxy that sets them). With `false` they and `Forwarded` are
    /// dropped, and the request's own host and scheme and the peer address are sent instead.
    pub fn trust_forwarded_headers(mut self, trust: bool) -> Self {
        self.trust_forwarded_headers = trust;
        self
    }

    /// Time allowed to connect to the Frontend API (default 10 seconds).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for the Frontend API to start answering, once the request is sent (default
    /// 30 seconds; its body may then stream for any time). A longer wait is answered 504.
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Validates the settings and builds the proxy.
    pub fn build(self) -> Result<FrontendApiProxy, ConfigError> {
        let secret_key = self.secret_key.ok_or(ConfigError::Invalid {
            setting: "CLERK_SECRET_KEY",
            reason: "the Frontend API proxy needs the secret key (it sends it to Clerk as Clerk-Secret-Key)",
        })?;
        let mut secret = HeaderValue::from_str(secret_key.expose())
            .map_err(|_| ConfigError::InvalidSecretKey("it is not a valid header value"))?;
        secret.set_sensitive(true);
        let upstream = match (&self.frontend_api_url, &self.publishable_key) {
            (Some(url), _) => Upstream::parse(url, self.allow_insecure_http)?,
            (None, Some(key)) => Upstream::parse(&frontend_api_url_for(key), true)?,
            (None, None) => {
                return Err(ConfigError::Invalid {
                    setting: "CLERK_PUBLISHABLE_KEY",
                    reason: "the Frontend API proxy needs the publishable key (it names the Frontend API), or a frontend_api_url",
                });
            }
        };
        let path = normalize_path(&self.path)?;
        let public_origin = self
            .public_origin
            .as_deref()
            .map(parse_origin)
            .transpose()?;
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            // Redirects are the browser's to follow, through the proxy.
            .redirect(reqwest::redirect::Policy::none())
            // Bodies pass through as they come: never decoded, whatever features another crate
            // enables in reqwest, so Content-Encoding and Content-Length stay true.
            .no_gzip()
            .no_brotli()
            .no_deflate()
            .no_zstd()
            .build()
            .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        Ok(FrontendApiProxy {
            inner: Arc::new(Inner {
                path,
                upstream,
                secret,
                public_origin,
                trust_forwarded: self.trust_forwarded_headers,
                response_timeout: self.response_timeout,
                http,
            }),
        })
    }
}

fn normalize_path(path: &str) -> Result<String, ConfigError> {
    let path = path.trim().trim_end_matches('/');
    let valid = path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b));
    if !valid {
        return Err(ConfigError::Invalid {
            setting: "Frontend API proxy path",
            reason: "it must start with `/`, not be `/` alone, and hold only URL path characters (no `%`, `?`, `#` or spaces)",
        });
    }
    Ok(path.to_owned())
}

fn parse_origin(raw: &str) -> Result<Origin, ConfigError> {
    let invalid = ConfigError::Invalid {
        setting: "Frontend API proxy public origin",
        reason: "it must be an http:// or https:// origin such as https://app.example.com (no path, query or fragment)",
    };
    let url = Url::parse(raw.trim()).map_err(|_| invalid.clone())?;
    let scheme = web_scheme(url.scheme()).ok_or(invalid.clone())?;
    let host = url.host_str().filter(|host| !host.is_empty());
    if host.is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(invalid);
    }
    let origin = url.origin().ascii_serialization();
    let host = origin
        .split_once("://")
        .map(|(_, host)| host.to_owned())
        .ok_or(invalid)?;
    Ok(Origin { scheme, host })
}

/// The parts of an incoming request the proxy reads; the body is given to [`Forward::send`].
#[derive(Debug, Clone, Copy)]
pub struct ProxyRequest<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    peer: Option<IpAddr>,
}

impl<'a> ProxyRequest<'a> {
    /// The request's method, URI (origin form `/path?query`, or absolute) and every header.
    pub fn new(method: &'a Method, uri: &'a Uri, headers: &'a HeaderMap) -> Self {
        Self {
            method,
            uri,
            headers,
            peer: None,
        }
    }

    /// The address of the connection's peer, the last resort for `X-Forwarded-For`.
    pub fn peer(mut self, peer: Option<IpAddr>) -> Self {
        self.peer = peer;
        self
    }
}

/// A request ready to go to the Frontend API, from [`FrontendApiProxy::prepare`]; send it with
/// its body. Its `Debug` shows the method and URL only.
pub struct Forward {
    proxy: FrontendApiProxy,
    method: Method,
    url: Url,
    headers: HeaderMap,
    proxy_url: String,
}

impl fmt::Debug for Forward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Forward")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("proxy_url", &self.proxy_url)
            .finish_non_exhaustive()
    }
}

/// The error of a request body's stream, as the HTTP client takes it.
type BoxError = Box<dyn StdError + Send + Sync>;

impl Forward {
    /// The Frontend API URL the request goes to.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The proxy's public URL sent as `Clerk-Proxy-Url` (`https://app.example.com/__clerk`).
    pub fn proxy_url(&self) -> &str {
        &self.proxy_url
    }

    /// Sends the request without a body; see [`send`](Self::send).
    pub async fn send_empty(self) -> ProxyResponse {
        self.send(None::<futures_util::stream::Empty<Result<Bytes, std::convert::Infallible>>>)
            .await
    }

    /// Sends the request with `body` (`None` for a request without one; a stream is sent as it
    /// comes, with the client's `Content-Length` when it gave one, else chunked) and answers
    /// with the Frontend API's answer, its body still streaming, or the proxy's 502 or 504.
    pub async fn send<S>(self, body: Option<S>) -> ProxyResponse
    where
        S: TryStream + Send + 'static,
        S::Error: Into<BoxError>,
        Bytes: From<S::Ok>,
    {
        let Self {
            proxy,
            method,
            url,
            headers,
            proxy_url,
        } = self;
        let inner = &*proxy.inner;
        let mut request = reqwest::Request::new(method, url);
        *request.headers_mut() = headers;
        if let Some(body) = body {
            *request.body_mut() = Some(reqwest::Body::wrap_stream(body));
        }
        let response = match tokio::time::timeout(
            inner.response_timeout,
            inner.http.execute(request),
        )
        .await
        {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => {
                tracing::warn!(
                    error = %describe_transport_error(&error),
                    "Clerk: the Frontend API proxy could not reach the Frontend API; answering 502"
                );
                return ProxyResponse::error(
                    StatusCode::BAD_GATEWAY,
                    "proxy_request_failed",
                    "The Clerk Frontend API could not be reached.",
                );
            }
            Err(_) => {
                tracing::warn!(
                    timeout_ms = inner.response_timeout.as_millis() as u64,
                    "Clerk: the Frontend API did not answer the proxy in time; answering 504"
                );
                return ProxyResponse::error(
                    StatusCode::GATEWAY_TIMEOUT,
                    "proxy_request_failed",
                    "The Clerk Frontend API did not answer in time.",
                );
            }
        };
        let status = response.status();
        let headers = proxy.response_headers(response.headers(), &proxy_url);
        ProxyResponse {
            status,
            headers,
            body: ProxyBody {
                inner: BodyInner::Upstream(Box::pin(response.bytes_stream())),
            },
        }
    }
}

/// The proxy's answer: the Frontend API's (status, filtered headers, streaming body) or the
/// proxy's own error in Clerk's shape.
#[derive(Debug)]
pub struct ProxyResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers, ready to send (`Content-Length` included when known; `Transfer-Encoding`
    /// never: the framework frames the body).
    pub headers: HeaderMap,
    /// The body, a stream of chunks.
    pub body: ProxyBody,
}

impl ProxyResponse {
    /// An error answer in Clerk's shape, never cached.
    fn error(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        let body = serde_json::json!({ "errors": [{ "code": code, "message": message }] });
        let body = Bytes::from(body.to_string());
        let mut headers = HeaderMap::with_capacity(3);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        Self {
            status,
            headers,
            body: ProxyBody {
                inner: BodyInner::Full(Some(body)),
            },
        }
    }

    /// The body's length from `Content-Length`, when the answer has one.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok())
    }
}

/// The body of a [`ProxyResponse`]: a `Stream` of `Bytes` chunks, passed on as the Frontend
/// API sends them.
pub struct ProxyBody {
    inner: BodyInner,
}

enum BodyInner {
    Full(Option<Bytes>),
    Upstream(Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>),
}

impl fmt::Debug for ProxyBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            BodyInner::Full(body) => f
                .debug_struct("ProxyBody")
                .field("len", &body.as_ref().map_or(0, Bytes::len))
                .finish(),
            BodyInner::Upstream(_) => f.write_str("ProxyBody(streaming)"),
        }
    }
}

impl Stream for ProxyBody {
    type Item = Result<Bytes, ProxyBodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match &mut self.get_mut().inner {
            BodyInner::Full(body) => Poll::Ready(body.take().map(Ok)),
            BodyInner::Upstream(stream) => stream.as_mut().poll_next(cx).map(|item| {
                item.map(|chunk| {
                    chunk.map_err(|error| ProxyBodyError(describe_transport_error(&error)))
                })
            }),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            BodyInner::Full(Some(_)) => (1, Some(1)),
            BodyInner::Full(None) => (0, Some(0)),
            BodyInner::Upstream(stream) => stream.size_hint(),
        }
    }
}

/// The Frontend API's answer broke off while its body was streaming (the client then gets a
/// cut connection, as from the Frontend API itself). Its text has no URL or key.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the Clerk Frontend API's answer broke off: {0}")]
pub struct ProxyBodyError(String);

/// The request headers to forward: all but hop-by-hop ones, those `Connection` names, `Host`,
/// `Accept-Encoding` and Clerk's proxy headers (set by the proxy), and, when not trusted, the
/// forwarding headers.
fn forwardable(headers: &HeaderMap, trust_forwarded: bool) -> HeaderMap {
    let nominated = connection_nominated(headers);
    let mut out = HeaderMap::with_capacity(headers.len() + 6);
    for (name, value) in headers {
        let skip = is_hop_by_hop(name)
            || nominated.contains(name)
            || name == HOST
            || name == ACCEPT_ENCODING
            || name == CLERK_PROXY_URL
            || name == CLERK_SECRET_KEY
            || (!trust_forwarded && FORWARDING.contains(&name.as_str()));
        if !skip {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(&name.as_str())
}

/// The header names a message's `Connection` header lists (RFC 9110 7.6.1): hop-by-hop too.
fn connection_nominated(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect()
}

/// The first comma-separated element of the first value of a header, trimmed, if not empty.
fn first_value<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

/// `http` or `https`, whatever its case.
fn web_scheme(scheme: &str) -> Option<&'static str> {
    if scheme.eq_ignore_ascii_case("https") {
        Some("https")
    } else if scheme.eq_ignore_ascii_case("http") {
        Some("http")
    } else {
        None
    }
}

/// A host and optional port, nothing else: no user info, path, query, fragment or spaces.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:[]".contains(&b))
        && host.parse::<http::uri::Authority>().is_ok()
}

/// The request's own origin: its URI's scheme (`http` when it names none), and its `Host`
/// header or, failing that, its URI's authority (HTTP/2).
fn own_origin(request: &ProxyRequest<'_>) -> Option<Origin> {
    let scheme = request
        .uri
        .scheme_str()
        .and_then(web_scheme)
        .unwrap_or("http");
    let host = first_value(request.headers, &HOST)
        .filter(|host| is_plain_host(host))
        .or_else(|| {
            request
                .uri
                .authority()
                .map(http::uri::Authority::as_str)
                .filter(|host| is_plain_host(host))
        })?;
    Some(Origin {
        scheme,
        host: host.to_owned(),
    })
}

/// The client's IP address as forwarded: `CF-Connecting-IP`, `X-Real-IP`, or the first
/// `X-Forwarded-For`, as Clerk's proxy takes it; only an IP address is accepted.
fn client_ip(headers: &HeaderMap) -> Option<String> {
    ["cf-connecting-ip", "x-real-ip", "x-forwarded-for"]
        .into_iter()
        .find_map(|name| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(',').next())
                .map(str::trim)
                .and_then(|value| value.parse::<IpAddr>().ok())
        })
        .map(|ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clerk(publishable: &str) -> Clerk {
        Clerk::builder()
            .secret_key("sk_test_proxysecret")
            .publishable_key(publishable)
            .build()
            .expect("valid")
    }

    fn local() -> Clerk {
        // localhost:4000
        clerk("pk_test_bG9jYWxob3N0OjQwMDAk")
    }

    fn request(uri: &str, headers: &[(&str, &str)]) -> (Method, Uri, HeaderMap) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        (Method::GET, uri.parse().expect("uri"), map)
    }

    fn prepare(proxy: &FrontendApiProxy, uri: &str, headers: &[(&str, &str)]) -> Forward {
        let (method, uri, headers) = request(uri, headers);
        proxy
            .prepare(ProxyRequest::new(&method, &uri, &headers).peer("10.0.0.7".parse().ok()))
            .expect("forwarded")
    }

    fn header<'a>(forward: &'a Forward, name: &str) -> Vec<&'a str> {
        forward
            .headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().expect("text"))
            .collect()
    }

    #[test]
    fn the_frontend_api_is_chosen_as_clerk_chooses_it() {
        let url = |host: &str| {
            use base64::Engine as _;
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{host}$"));
            frontend_api_url_for(&PublishableKey::new(format!("pk_test_{encoded}")).expect("pk"))
        };
        assert_eq!(url("clerk.example.com"), PROD_FAPI_URL);
        assert_eq!(url("happy-hippo-1.clerk.accounts.dev"), PROD_FAPI_URL);
        assert_eq!(url("myapp.lclclerk.com"), LOCAL_FAPI_URL);
        assert_eq!(url("clerk.example.lclclerk.com"), PROD_FAPI_URL);
        assert_eq!(url("clerk.accountsstage.dev"), STAGING_FAPI_URL);
        assert_eq!(url("localhost:4000"), "http://localhost:4000");
        assert_eq!(url("app.localhost"), "http://app.localhost");
        assert_eq!(url("127.0.0.1:9"), "http://127.0.0.1:9");
    }

    #[test]
    fn the_path_matches_itself_and_below_only() {
        let proxy = FrontendApiProxy::new(&local()).expect("proxy");
        for path in ["/__clerk", "/__clerk/", "/__clerk/v1/client", "/__clerk//x"] {
            assert!(proxy.matches(path), "{path}");
        }
        for path in ["/", "/__clerkx", "/__cler", "/x/__clerk", "/__CLERK/v1"] {
            assert!(!proxy.matches(path), "{path}");
        }
        let custom = FrontendApiProxy::builder(&local())
            .path("/auth/clerk/")
            .build()
            .expect("proxy");
        assert_eq!(custom.path(), "/auth/clerk");
        assert!(custom.matches("/auth/clerk/v1/client"));
        for bad in ["", "/", "//", "clerk", "/a b", "/a?b", "/a#b", "/a%2fb"] {
            assert!(
                FrontendApiProxy::builder(&local())
                    .path(bad)
                    .build()
                    .is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_target_is_the_rest_of_the_path_on_the_frontend_api() {
        let proxy = FrontendApiProxy::new(&local()).expect("proxy");
        let cases = [
            ("/__clerk", "http://localhost:4000/"),
            ("/__clerk/", "http://localhost:4000/"),
            (
                "/__clerk/v1/client?_clerk_js_version=5&a=%2F",
                "http://localhost:4000/v1/client?_clerk_js_version=5&a=%2F",
            ),
            (
                "/__clerk//evil.com/steal",
                "http://localhost:4000//evil.com/steal",
            ),
            ("/__clerk/../../x", "http://localhost:4000/x"),
            ("/__clerk/%2e%2e/x", "http://localhost:4000/x"),
            ("/__clerk/@evil.com/", "http://localhost:4000/@evil.com/"),
        ];
        for (path, target) in cases {
            assert_eq!(prepare(&proxy, path, &[("host", "app.test")]).url(), target);
        }
        // A path under the Frontend API's own path stays under it.
        let nested = FrontendApiProxy::builder(&local())
            .frontend_api_url("http://127.0.0.1:9/fapi/")
            .build()
            .expect("proxy");
        assert_eq!(
            prepare(&nested, "/__clerk/v1/client", &[("host", "a")]).url(),
            "http://127.0.0.1:9/fapi/v1/client"
        );
        let (method, uri, headers) = request("/__clerk/../x", &[("host", "a")]);
        let refused = nested
            .prepare(ProxyRequest::new(&method, &uri, &headers))
            .expect_err("leaves the Frontend API's path");
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        let (method, uri, headers) = request("/elsewhere", &[("host", "a")]);
        let refused = proxy
            .prepare(ProxyRequest::new(&method, &uri, &headers))
            .expect_err("not the proxy's path");
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn headers_sent_up_are_filtered_and_clerks_are_the_proxys() {
        let proxy = FrontendApiProxy::new(&local()).expect("proxy");
        let forward = prepare(
            &proxy,
            "/__clerk/v1/client",
            &[
                ("host", "app.test:8080"),
                ("connection", "keep-alive, X-Custom-Hop"),
                ("keep-alive", "timeout=5"),
                ("x-custom-hop", "1"),
                ("te", "trailers"),
                ("upgrade", "websocket"),
                ("proxy-authorization", "Basic x"),
                ("clerk-secret-key", "sk_test_injected"),
                ("clerk-proxy-url", "https://evil.example/__clerk"),
                ("accept-encoding", "gzip, br"),
                ("cookie", "__client_uat=1"),
                ("cookie", "__session=x"),
                ("user-agent", "test"),
            ],
        );
        for gone in [
            "connection",
            "keep-alive",
            "x-custom-hop",
            "te",
            "upgrade",
            "proxy-authorization",
            "host",
        ] {
            assert!(header(&forward, gone).is_empty(), "{gone}");
        }
        assert_eq!(
            header(&forward, "clerk-secret-key"),
            ["sk_test_proxysecret"]
        );
        assert!(
            forward
                .headers
                .get("clerk-secret-key")
                .expect("set")
                .is_sensitive()
        );
        assert_eq!(
            header(&forward, "clerk-proxy-url"),
            ["http://app.test:8080/__clerk"]
        );
        assert_eq!(header(&forward, "accept-encoding"), ["identity"]);
        assert_eq!(
            header(&forward, "cookie"),
            ["__client_uat=1", "__session=x"]
        );
        assert_eq!(header(&forward, "user-agent"), ["test"]);
        assert_eq!(header(&forward, "x-forwarded-host"), ["app.test:8080"]);
        assert_eq!(header(&forward, "x-forwarded-proto"), ["http"]);
        assert_eq!(header(&forward, "x-forwarded-for"), ["10.0.0.7"]);
    }

    #[test]
    fn forwarded_headers_are_used_as_clerk_uses_them_or_not_at_all() {
        let trusting = FrontendApiProxy::new(&local()).expect("proxy");
        let both = [
            ("host", "10.1.1.1:3000"),
            ("x-forwarded-host", "app.example.com, proxy.internal"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-for", "203.0.113.9, 10.0.0.1"),
        ];
        let forward = prepare(&trusting, "/__clerk/v1/client", &both);
        assert_eq!(forward.proxy_url(), "https://app.example.com/__clerk");
        assert_eq!(header(&forward, "x-forwarded-host"), ["app.example.com"]);
        assert_eq!(header(&forward, "x-forwarded-proto"), ["https"]);
        assert_eq!(header(&forward, "x-forwarded-for"), ["203.0.113.9"]);

        // One of the two alone does not make the origin (as Clerk), but is sent up.
        let forward = prepare(
            &trusting,
            "/__clerk/v1/client",
            &[
                ("host", "10.1.1.1:3000"),
                ("x-forwarded-host", "app.example.com"),
            ],
        );
        assert_eq!(forward.proxy_url(), "http://10.1.1.1:3000/__clerk");
        assert_eq!(header(&forward, "x-forwarded-host"), ["app.example.com"]);
        assert_eq!(header(&forward, "x-forwarded-proto"), ["http"]);

        // Values that are not a host or a web scheme are ignored.
        for (host, proto) in [
            ("evil.com/path", "https"),
            ("user@evil.com", "https"),
            ("evil.com#", "https"),
            ("evil.com", "javascript"),
        ] {
            let forward = prepare(
                &trusting,
                "/__clerk/v1/client",
                &[
                    ("host", "app.test"),
                    ("x-forwarded-host", host),
                    ("x-forwarded-proto", proto),
                ],
            );
            assert_eq!(
                forward.proxy_url(),
                "http://app.test/__clerk",
                "{host} {proto}"
            );
        }

        // CF-Connecting-IP first, then X-Real-IP; a value that is not an IP address is skipped.
        let forward = prepare(
            &trusting,
            "/__clerk/",
            &[
                ("host", "a"),
                ("x-forwarded-for", "198.51.100.1"),
                ("x-real-ip", "198.51.100.2"),
                ("cf-connecting-ip", "198.51.100.3"),
            ],
        );
        assert_eq!(header(&forward, "x-forwarded-for"), ["198.51.100.3"]);
        let forward = prepare(
            &trusting,
            "/__clerk/",
            &[("host", "a"), ("x-forwarded-for", "not-an-ip")],
        );
        assert_eq!(header(&forward, "x-forwarded-for"), ["10.0.0.7"]);

        let distrusting = FrontendApiProxy::builder(&local())
            .trust_forwarded_headers(false)
            .build()
            .expect("proxy");
        let mut hostile = both.to_vec();
        hostile.extend([
            ("forwarded", "for=1.2.3.4;host=evil.com"),
            ("x-real-ip", "1.2.3.4"),
            ("cf-connecting-ip", "1.2.3.4"),
        ]);
        let forward = prepare(&distrusting, "/__clerk/v1/client", &hostile);
        assert_eq!(forward.proxy_url(), "http://10.1.1.1:3000/__clerk");
        assert_eq!(header(&forward, "x-forwarded-host"), ["10.1.1.1:3000"]);
        assert_eq!(header(&forward, "x-forwarded-proto"), ["http"]);
        assert_eq!(header(&forward, "x-forwarded-for"), ["10.0.0.7"]);
        for gone in ["forwarded", "x-real-ip", "cf-connecting-ip"] {
            assert!(header(&forward, gone).is_empty(), "{gone}");
        }

        let fixed = FrontendApiProxy::builder(&local())
            .public_origin("https://app.example.com/")
            .build()
            .expect("proxy");
        let forward = prepare(&fixed, "/__clerk/v1/client", &hostile);
        assert_eq!(forward.proxy_url(), "https://app.example.com/__clerk");
        // The host and scheme sent up are the fixed origin's too, never a client's: the
        // Frontend API sees one origin, the one `Clerk-Proxy-Url` names. (The client's address
        // is still believed: that is `trust_forwarded_headers`'s to decide.)
        let forward = prepare(
            &fixed,
            "/__clerk/v1/client",
            &[
                ("host", "10.1.1.1:3000"),
                ("x-forwarded-host", "evil.example"),
                ("x-forwarded-proto", "http"),
                ("x-forwarded-for", "203.0.113.9"),
            ],
        );
        assert_eq!(forward.proxy_url(), "https://app.example.com/__clerk");
        assert_eq!(header(&forward, "x-forwarded-host"), ["app.example.com"]);
        assert_eq!(header(&forward, "x-forwarded-proto"), ["https"]);
        assert_eq!(header(&forward, "x-forwarded-for"), ["203.0.113.9"]);
    }

    #[test]
    fn a_request_without_a_host_is_refused() {
        let proxy = FrontendApiProxy::new(&local()).expect("proxy");
        for headers in [&[][..], &[("host", "evil.com/x")][..]] {
            let (method, uri, headers) = request("/__clerk/v1/client", headers);
            let refused = proxy
                .prepare(ProxyRequest::new(&method, &uri, &headers))
                .expect_err("no host");
            assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        }
        // HTTP/2: the URI's authority.
        let (method, uri, headers) = request("https://app.test/__clerk/v1/client", &[]);
        let forward = proxy
            .prepare(ProxyRequest::new(&method, &uri, &headers))
            .expect("forwarded");
        assert_eq!(forward.proxy_url(), "https://app.test/__clerk");
    }

    #[test]
    fn locations_to_the_frontend_api_go_through_the_proxy() {
        let proxy = FrontendApiProxy::new(&local()).expect("proxy");
        let proxy_url = "https://app.example.com/__clerk";
        let cases = [
            (
                "http://localhost:4000/v1/oauth_callback?code=1#f",
                "https://app.example.com/__clerk/v1/oauth_callback?code=1#f",
            ),
            ("/v1/client", "https://app.example.com/__clerk/v1/client"),
            (
                "https://accounts.google.com/o/oauth2",
                "https://accounts.google.com/o/oauth2",
            ),
            (
                "https://app.example.com/dashboard",
                "https://app.example.com/dashboard",
            ),
            ("http://localhost:4001/x", "http://localhost:4001/x"),
        ];
        for (location, expected) in cases {
            let mut upstream = HeaderMap::new();
            upstream.insert(LOCATION, HeaderValue::from_str(location).expect("value"));
            let headers = proxy.response_headers(&upstream, proxy_url);
            assert_eq!(
                headers.get(LOCATION).expect("location"),
                expected,
                "{location}"
            );
        }
    }

    #[test]
    fn answer_headers_lose_hop_by_hop_ones_and_keep_every_cookie() {
        let proxy = FrontendApiProxy::new(&local()).expect("proxy");
        let mut upstream = HeaderMap::new();
        for (name, value) in [
            ("connection", "close, x-hop"),
            ("x-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("clerk-secret-key", "sk_test_proxysecret"),
            ("set-cookie", "__client=a; Path=/; HttpOnly"),
            ("set-cookie", "__client_uat=1; Path=/"),
            ("set-cookie", "__session=x; Path=/"),
            ("content-encoding", "gzip"),
            ("content-length", "42"),
            ("content-type", "application/json"),
        ] {
            upstream.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let headers = proxy.response_headers(&upstream, "https://app.test/__clerk");
        for gone in [
            "connection",
            "x-hop",
            "keep-alive",
            "transfer-encoding",
            "clerk-secret-key",
        ] {
            assert!(!headers.contains_key(gone), "{gone}");
        }
        assert_eq!(headers.get_all("set-cookie").iter().count(), 3);
        assert_eq!(headers["content-encoding"], "gzip");
        assert_eq!(headers["content-length"], "42");
    }

    #[test]
    fn configuration_errors_are_refused_when_built() {
        let mut no_secret = FrontendApiProxy::builder(&local());
        no_secret.secret_key = None;
        assert!(no_secret.build().is_err());
        let no_publishable = Clerk::builder()
            .secret_key("sk_test_x")
            .build()
            .expect("valid");
        assert!(FrontendApiProxy::new(&no_publishable).is_err());
        assert!(
            FrontendApiProxy::builder(&no_publishable)
                .frontend_api_url("https://frontend-api.clerk.dev")
                .build()
                .is_ok()
        );
        for bad in [
            "ftp://x",
            "not a url",
            "https://user:pw@x",
            "https://x/?q",
            "https://x/#f",
            "http://frontend-api.clerk.dev",
        ] {
            assert!(
                FrontendApiProxy::builder(&local())
                    .frontend_api_url(bad)
                    .build()
                    .is_err(),
                "{bad}"
            );
        }
        assert!(
            FrontendApiProxy::builder(&local())
                .frontend_api_url("http://fapi.internal")
                .allow_insecure_http(true)
                .build()
                .is_ok()
        );
        for bad in [
            "app.example.com",
            "https://app.example.com/x",
            "ftp://a",
            "https://a?b",
        ] {
            assert!(
                FrontendApiProxy::builder(&local())
                    .public_origin(bad)
                    .build()
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn errors_are_in_clerks_shape_and_the_secret_is_nowhere() {
        let proxy = FrontendApiProxy::new(&local()).expect("proxy");
        let debug = format!(
            "{proxy:?} {:?} {:?}",
            prepare(&proxy, "/__clerk/", &[("host", "a")]),
            FrontendApiProxy::builder(&local())
        );
        assert!(!debug.contains("proxysecret"), "{debug}");
        let error = ProxyResponse::error(StatusCode::BAD_GATEWAY, "proxy_request_failed", "x");
        assert_eq!(error.headers[CACHE_CONTROL], "no-store");
        let BodyInner::Full(Some(body)) = &error.body.inner else {
            panic!("a full body")
        };
        let body: serde_json::Value = serde_json::from_slice(body).expect("json");
        assert_eq!(body["errors"][0]["code"], "proxy_request_failed");
    }
}
