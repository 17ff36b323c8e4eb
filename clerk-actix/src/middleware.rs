//! [`ClerkMiddleware`]: authenticates every request once and stores the result in its extensions.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::{Extensions, Service, ServiceRequest, Transform};
use actix_web::http::header::HeaderMap as ActixHeaderMap;
use actix_web::{HttpMessage as _, HttpResponse};
use clerk_core::guard::Rejection;
/// How long a user lookup may take by default (the same for every adapter).
pub use clerk_core::user_cache::DEFAULT_LOOKUP_TIMEOUT as DEFAULT_USER_LOOKUP_TIMEOUT;
/// How long users are kept by default (the same for every adapter).
pub use clerk_core::user_cache::DEFAULT_TTL as DEFAULT_USER_CACHE_TTL;
use clerk_core::user_cache::UserLookup;
use clerk_core::{AuthenticateOptions, Clerk, RequestState};

/// A function that turns a [`Rejection`] into the application's own response; see
/// [`ClerkMiddleware::on_rejection`].
pub type RejectionHook = Arc<dyn Fn(&Rejection) -> HttpResponse + Send + Sync>;

/// The middleware's configuration, shared by its services and by every request it saw.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) clerk: Clerk,
    pub(crate) options: AuthenticateOptions,
    pub(crate) on_rejection: Option<RejectionHook>,
    /// The users loaded by [`ClerkUser`](crate::ClerkUser), shared by every clone of the
    /// middleware.
    pub(crate) users: UserLookup,
}

/// What the middleware leaves in a request's extensions besides its [`RequestState`]: the
/// client, the user cache and the rejection hook, for the extractors and guards.
#[derive(Clone)]
pub(crate) struct ClerkContext(pub(crate) Arc<Config>);

/// Authenticates every request with Clerk and stores the outcome, a [`RequestState`], in the
/// request's extensions. It rejects nothing by itself: public and protected routes share it,
/// and the extractors ([`ClerkSession`](crate::ClerkSession), [`ClerkAuth`](crate::ClerkAuth),
/// [`ClerkUser`](crate::ClerkUser), …) and guards ([`require_auth`](crate::require_auth), …)
/// decide per route.
///
/// The token is looked for in `Authorization: Bearer …`, then in the `__session` cookie (see
/// [`Clerk::authenticate`]); a token seen before costs a cache lookup, not a signature check.
/// Handlers can read the [`RequestState`] itself with `web::ReqData<RequestState>`.
///
/// Use it with [`App::wrap`](actix_web::App::wrap) or [`Scope::wrap`](actix_web::Scope::wrap).
/// It must wrap the guards: in actix-web the last `wrap` is the outermost, so wrap the `App`
/// (which runs before every scope's own middleware), or call `.wrap(ClerkMiddleware…)` after
/// the guard on the same scope.
///
/// Build it once and clone it into `HttpServer::new`'s factory: clones share the
/// [`ClerkUser`](crate::ClerkUser) cache, so every worker sees the same cached users.
///
/// ```
/// use actix_web::{App, web};
/// use clerk_actix::{ClerkMiddleware, ClerkSession};
///
/// async fn me(ClerkSession(claims): ClerkSession) -> String {
///     claims.user_id().to_owned()
/// }
///
/// # fn app(clerk: clerk_core::Clerk) {
/// let middleware = ClerkMiddleware::new(clerk)
///     .authorized_parties(["https://app.example.com"])
///     .accept_cookie(true);
/// let app = App::new()
///     .wrap(middleware)
///     .route("/me", web::get().to(me));
/// # }
/// ```
#[derive(Clone)]
pub struct ClerkMiddleware {
    config: Arc<Config>,
}

impl ClerkMiddleware {
    /// A middleware that authenticates with `clerk` and its default options (authorized parties
    /// and pending-session policy from its builder, `__session` cookie accepted), and caches
    /// users for [`DEFAULT_USER_CACHE_TTL`].
    pub fn new(clerk: Clerk) -> Self {
        let options = AuthenticateOptions::new(&clerk);
        Self {
            config: Arc::new(Config {
                clerk,
                options,
                on_rejection: None,
                users: UserLookup::default(),
            }),
        }
    }

    fn config_mut(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }

    /// Only accept tokens whose `azp` is one of these origins (e.g. `https://app.example.com`);
    /// a token without `azp` is then rejected. Replaces the client's own list; an empty list
    /// accepts any `azp`.
    pub fn authorized_parties<I, S>(mut self, parties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let config = self.config_mut();
        config.options.verify = config.options.verify.clone().authorized_parties(parties);
        self
    }

    /// Whether the `__session` cookie is accepted (default: yes). APIs called only with bearer
    /// tokens can turn it off.
    pub fn accept_cookie(mut self, accept: bool) -> Self {
        self.config_mut().options.accept_cookie = accept;
        self
    }

    /// Whether pending sessions (`sts: pending`: signed in, a required step such as choosing an
    /// organization not done) count as signed in (default: the client's setting, which defaults
    /// to no).
    pub fn accept_pending_sessions(mut self, accept: bool) -> Self {
        let config = self.config_mut();
        config.options.verify = config.options.verify.clone().accept_pending(accept);
        self
    }

    /// How long [`ClerkUser`](crate::ClerkUser) keeps a loaded user before asking the Backend
    /// API again (default [`DEFAULT_USER_CACHE_TTL`], 30 seconds). Concurrent requests of one
    /// user always share one call. Starts a new, empty cache.
    pub fn user_cache_ttl(mut self, ttl: Duration) -> Self {
        let config = self.config_mut();
        config.users = config.users.clone().cache_ttl(ttl);
        self
    }

    /// How long [`ClerkUser`](crate::ClerkUser) may wait for the Backend API, retries included
    /// (default [`DEFAULT_USER_LOOKUP_TIMEOUT`], 5 seconds; at most two attempts). Past it the
    /// request is answered 503 `user_lookup_unavailable`, as when Clerk answers 503.
    pub fn user_lookup_timeout(mut self, timeout: Duration) -> Self {
        let config = self.config_mut();
        config.users = config.users.clone().timeout(timeout);
        self
    }

    /// Replaces the response of every rejection made by the extractors and guards on requests
    /// that went through this middleware (401, 403, 503, 502) with the application's own.
    /// [`rejection_response`](crate::rejection_response) gives the default, to adapt.
    ///
    /// A missing middleware (500) cannot be seen by the hook: without the middleware there is
    /// no hook.
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// use actix_web::http::StatusCode;
    /// use clerk_actix::ClerkMiddleware;
    ///
    /// # fn middleware(clerk: clerk_core::Clerk) -> ClerkMiddleware {
    /// ClerkMiddleware::new(clerk).on_rejection(|rejection| {
    ///     let status = StatusCode::from_u16(rejection.status).unwrap_or_default();
    ///     HttpResponse::build(status).body(format!("denied: {}", rejection.code))
    /// })
    /// # }
    /// ```
    pub fn on_rejection(
        mut self,
        hook: impl Fn(&Rejection) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        self.config_mut().on_rejection = Some(Arc::new(hook));
        self
    }

    /// The client this middleware authenticates with.
    pub fn clerk(&self) -> &Clerk {
        &self.config.clerk
    }

    /// The options each request is authenticated with.
    pub fn options(&self) -> &AuthenticateOptions {
        &self.config.options
    }
}

impl fmt::Debug for ClerkMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkMiddleware")
            .field("clerk", &self.config.clerk)
            .field("options", &self.config.options)
            .field("on_rejection", &self.config.on_rejection.is_some())
            .field("user_cache", &self.config.users)
            .finish()
    }
}

impl<S, B> Transform<S, ServiceRequest> for ClerkMiddleware
where
    S: Service<ServiceRequest, Response = actix_web::dev::ServiceResponse<B>> + 'static,
    B: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Transform = ClerkMiddlewareService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(ClerkMiddlewareService {
            inner: Rc::new(service),
            config: self.config.clone(),
        }))
    }
}

/// The service made by [`ClerkMiddleware`]: authenticates the request, stores the
/// [`RequestState`] in its extensions, then calls the inner service. Readiness is the inner
/// service's.
pub struct ClerkMiddlewareService<S> {
    inner: Rc<S>,
    config: Arc<Config>,
}

impl<S> fmt::Debug for ClerkMiddlewareService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkMiddlewareService")
            .finish_non_exhaustive()
    }
}

/// The response future of [`ClerkMiddlewareService`]: authentication, then the inner service's
/// call.
pub type ClerkMiddlewareFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>>>>;

impl<S, B> Service<ServiceRequest> for ClerkMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = actix_web::dev::ServiceResponse<B>> + 'static,
    B: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ClerkMiddlewareFuture<S::Response, S::Error>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let inner = Rc::clone(&self.inner);
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let headers = to_http_headers(request.headers());
            let state = config
                .clerk
                .authenticate_with(&headers, &config.options)
                .await;
            drop(headers);
            {
                let mut extensions = request.extensions_mut();
                extensions.insert(state);
                extensions.insert(ClerkContext(config));
            }
            inner.call(request).await
        })
    }
}

/// The headers [`Clerk::authenticate_with`] reads: the bearer token and the session cookies
/// (clerk-core's `authenticate` module documents these as its only token sources).
const AUTHENTICATION_HEADERS: [http::HeaderName; 2] =
    [http::header::AUTHORIZATION, http::header::COOKIE];

/// Copies the headers that authentication reads from actix-web's map (`http` 0.2 types) into
/// clerk-core's (`http` 1.x), every value, in order. Only those: a browser sends a dozen other
/// headers, and copying each would cost an allocation on every request. (A test checks that
/// clerk-core decides the same from this map as from all of a request's headers.)
///
/// Never panics: both crates accept the same header bytes (a value that would not convert,
/// which none does, is skipped), and `try_append` cannot exceed the map's capacity (values of
/// one name are unbounded).
pub(crate) fn to_http_headers(headers: &ActixHeaderMap) -> http::HeaderMap {
    let mut out = http::HeaderMap::new();
    for name in &AUTHENTICATION_HEADERS {
        for value in headers.get_all(name.as_str()) {
            if let Ok(value) = http::HeaderValue::from_bytes(value.as_bytes())
                && out.try_append(name.clone(), value).is_err()
            {
                return out;
            }
        }
    }
    out
}

/// The [`RequestState`] and context the middleware stored, if it ran.
pub(crate) fn stored(extensions: &Extensions) -> Option<(&RequestState, &ClerkContext)> {
    Some((extensions.get()?, extensions.get()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn actix_headers(pairs: &[(&str, &[u8])]) -> ActixHeaderMap {
        let mut map = ActixHeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_bytes(value).expect("value"),
            );
        }
        map
    }

    #[test]
    fn every_value_is_copied_in_order_with_its_bytes() {
        let headers = actix_headers(&[
            ("authorization", b"Bearer a"),
            ("cookie", b"a=1"),
            ("authorization", b"Bearer b \x80\xc3\x28 h\xc3\xa9"),
            ("cookie", b"__session=\xff\xfe"),
        ]);
        let converted = to_http_headers(&headers);
        let all = |name: &str| -> Vec<Vec<u8>> {
            converted
                .get_all(name)
                .iter()
                .map(|v| v.as_bytes().to_vec())
                .collect()
        };
        assert_eq!(
            all("authorization"),
            [
                b"Bearer a".to_vec(),
                b"Bearer b \x80\xc3\x28 h\xc3\xa9".to_vec()
            ]
        );
        assert_eq!(
            all("cookie"),
            [b"a=1".to_vec(), b"__session=\xff\xfe".to_vec()]
        );
        assert_eq!(converted.len(), 4);
    }

    #[test]
    fn only_the_authentication_headers_are_copied() {
        let headers = actix_headers(&[
            ("host", b"app.example.com"),
            ("authorization", b"Bearer a"),
            ("user-agent", b"Mozilla/5.0"),
            ("cookie", b"a=1"),
        ]);
        let converted = to_http_headers(&headers);
        assert_eq!(converted.len(), 2);
        assert!(converted.get("host").is_none());
    }

    /// The reduced map is enough: for requests with a browser's usual headers around every
    /// token source, clerk-core decides the same from it as from all of the request's headers.
    /// (If clerk-core starts reading another header, this fails and the list above must grow.)
    #[actix_web::test]
    async fn clerk_core_decides_the_same_from_the_copied_headers() {
        let local = clerk_testing::LocalClerk::start().await;
        let clerk = local.clerk();
        let options = AuthenticateOptions::new(&clerk);
        let now = clerk_testing::unix_now();
        let token = local.token("user_1").mint();
        let old = local.token("user_1").issued_at(now - 120).mint();
        let bearer = format!("Bearer {token}");
        let session = format!("__session={token}; __client_uat={}", now - 30);
        let stale = format!("__session={old}; __client_uat={}", now - 30);
        let signed_out = format!("__session={token}; __client_uat=0");
        let suffixed = format!("__session_abc={token}; __client_uat_abc={}", now - 30);
        let sources: Vec<Vec<(&str, &[u8])>> = vec![
            vec![],
            vec![("authorization", bearer.as_bytes())],
            vec![("cookie", session.as_bytes())],
            vec![
                ("authorization", b"Basic dXNlcjpw"),
                ("cookie", session.as_bytes()),
            ],
            vec![("cookie", stale.as_bytes())],
            vec![("cookie", signed_out.as_bytes())],
            vec![("cookie", suffixed.as_bytes())],
            vec![
                ("authorization", bearer.as_bytes()),
                ("authorization", bearer.as_bytes()),
            ],
            vec![("authorization", b"Bearer \xff\xfe")],
        ];
        let browser: [(&str, &[u8]); 14] = [
            ("host", b"app.example.com"),
            ("origin", b"https://app.example.com"),
            ("referer", b"https://app.example.com/dashboard"),
            ("user-agent", b"Mozilla/5.0 (X11; Linux x86_64)"),
            ("accept", b"text/html,application/json"),
            ("accept-language", b"en-GB,en;q=0.9"),
            ("sec-fetch-dest", b"document"),
            ("sec-fetch-mode", b"navigate"),
            ("sec-fetch-site", b"same-origin"),
            ("x-forwarded-for", b"203.0.113.7"),
            ("x-forwarded-host", b"app.example.com"),
            ("x-forwarded-proto", b"https"),
            ("cache-control", b"no-cache"),
            ("x-clerk-auth-status", b"signed-in"),
        ];
        let summary = |state: RequestState| match state {
            RequestState::SignedIn(auth) => format!("in {} {:?}", auth.user_id(), auth.source()),
            RequestState::SignedOut(why) => format!("out {}", why.reason()),
        };
        for source in &sources {
            let pairs: Vec<(&str, &[u8])> = browser
                .iter()
                .copied()
                .chain(source.iter().copied())
                .collect();
            let mut all = http::HeaderMap::new();
            for (name, value) in &pairs {
                all.append(
                    http::HeaderName::from_static(name),
                    http::HeaderValue::from_bytes(value).expect("value"),
                );
            }
            let from_all = summary(clerk.authenticate_with(&all, &options).await);
            let copied = to_http_headers(&actix_headers(&pairs));
            let from_copied = summary(clerk.authenticate_with(&copied, &options).await);
            assert_eq!(from_copied, from_all, "{source:?}");
        }
    }
}
