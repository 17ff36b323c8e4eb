//! [`ClerkMiddleware`]: authenticates every request once and stores the result in its extensions.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::dev::{Extensions, Service, ServiceRequest, Transform};
use actix_web::http::header::HeaderMap as ActixHeaderMap;
use actix_web::{HttpMessage as _, HttpResponse};
use clerk_core::middleware::{Decided, Installed, Pending, Seen};
use clerk_core::models::User;
use clerk_core::user_cache::UserCache;
use clerk_core::{AUTHENTICATION_HEADERS, Clerk};

/// Every setting of [`ClerkMiddleware`], with its meaning: authorized parties, cookies, pending
/// sessions, the [`ClerkUser`](crate::ClerkUser) cache and lookup timeout, and the
/// `on_rejection` hook (which returns an actix-web [`HttpResponse`]). See
/// [`clerk_core::middleware::ClerkOptions`] for each option.
///
/// ```
/// use actix_web::HttpResponse;
/// use actix_web::http::StatusCode;
/// use clerk_actix::{ClerkMiddleware, ClerkOptions};
///
/// # fn middleware(clerk: clerk_core::Clerk) -> ClerkMiddleware {
/// let options = ClerkOptions::new(clerk)
///     .authorized_parties(["https://app.example.com"])
///     .on_rejection(|rejection| {
///         let status = StatusCode::from_u16(rejection.status()).unwrap_or_default();
///         HttpResponse::build(status).body(format!("denied: {}", rejection.code()))
///     });
/// ClerkMiddleware::new(options)
/// # }
/// ```
pub type ClerkOptions = clerk_core::middleware::ClerkOptions<HttpResponse>;

/// Authenticates every request with Clerk and stores the outcome, a
/// [`RequestState`](clerk_core::RequestState), in the request's extensions. It rejects nothing
/// by itself: public and protected routes share it, and the extractors
/// ([`ClerkSession`](crate::ClerkSession), [`ClerkAuth`](crate::ClerkAuth),
/// [`ClerkUser`](crate::ClerkUser), …) and guards ([`require_auth`](crate::require_auth), …)
/// decide per route.
///
/// The token is looked for in `Authorization: Bearer …`, then in the `__session` cookie (see
/// [`Clerk::authenticate`]); a token seen before costs a cache lookup, not a signature check.
/// Handlers can read the `RequestState` itself with `web::ReqData<RequestState>`.
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
/// use clerk_actix::{ClerkMiddleware, ClerkOptions, ClerkSession};
///
/// async fn me(ClerkSession(claims): ClerkSession) -> String {
///     claims.user_id().to_owned()
/// }
///
/// # fn app(clerk: clerk_core::Clerk) {
/// let middleware = ClerkMiddleware::new(
///     ClerkOptions::new(clerk).authorized_parties(["https://app.example.com"]),
/// );
/// let app = App::new()
///     .wrap(middleware)
///     .route("/me", web::get().to(me));
/// # }
/// ```
#[derive(Clone)]
pub struct ClerkMiddleware {
    options: Arc<ClerkOptions>,
}

impl ClerkMiddleware {
    /// A middleware with these options; a [`Clerk`] converts to its default options.
    pub fn new(options: impl Into<ClerkOptions>) -> Self {
        Self {
            options: Arc::new(options.into()),
        }
    }

    /// The middleware's options.
    pub fn options(&self) -> &ClerkOptions {
        &self.options
    }

    /// The client this middleware authenticates with.
    pub fn clerk(&self) -> &Clerk {
        self.options.clerk()
    }

    /// The users loaded by [`ClerkUser`](crate::ClerkUser), shared by every clone of the
    /// middleware: invalidate a user after changing it so that the next request sees the
    /// change.
    pub fn user_cache(&self) -> &UserCache<Arc<User>> {
        self.options.user_cache()
    }
}

impl fmt::Debug for ClerkMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClerkMiddleware")
            .field(&self.options)
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
            options: self.options.clone(),
        }))
    }
}

/// The service made by [`ClerkMiddleware`]: authenticates the request, stores the
/// [`RequestState`](clerk_core::RequestState) in its extensions, then calls the inner service. Readiness is the inner
/// service's.
pub struct ClerkMiddlewareService<S> {
    inner: Rc<S>,
    options: Arc<ClerkOptions>,
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
        let options = Arc::clone(&self.options);
        Box::pin(async move {
            let headers = to_http_headers(request.headers(), &AUTHENTICATION_HEADERS);
            let state = options.authenticate(&headers).await;
            drop(headers);
            let pending = options.pending(&state);
            {
                let mut extensions = request.extensions_mut();
                extensions.insert(state);
                if let Some(slot) = pending.as_ref().and_then(Pending::webhook_slot) {
                    extensions.insert(slot.clone());
                }
                extensions.insert(Installed(options));
            }
            let mut response = inner.call(request).await;
            if let (Some(pending), Ok(response)) = (pending, &mut response) {
                for (name, value) in pending.answered(response.status().as_u16()) {
                    response.headers_mut().insert(
                        actix_web::http::header::HeaderName::from_static(name),
                        actix_web::http::header::HeaderValue::from_static(value),
                    );
                }
            }
            response
        })
    }
}

/// Copies the headers `names` (those that authentication or webhook verification reads) from
/// actix-web's map (`http` 0.2 types) into
/// clerk-core's (`http` 1.x), every value, in order. Only those: a browser sends a dozen other
/// headers, and copying each would cost an allocation on every request. (A test checks that
/// clerk-core decides the same from this map as from all of a request's headers.)
///
/// Never panics: both crates accept the same header bytes (a value that would not convert,
/// which none does, is skipped), and `try_append` cannot exceed the map's capacity (values of
/// one name are unbounded).
pub(crate) fn to_http_headers(
    headers: &ActixHeaderMap,
    names: &[http::HeaderName],
) -> http::HeaderMap {
    let mut out = http::HeaderMap::new();
    for name in names {
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

/// What the middleware stored in a request, or the 500 rejection naming it.
pub(crate) fn seen(
    extensions: &Extensions,
) -> Result<Seen<'_, HttpResponse>, Decided<HttpResponse>> {
    const MISSING: &str =
        "ClerkMiddleware (add `.wrap(ClerkMiddleware::new(clerk))` to the App or scope)";
    Seen::find(extensions.get(), extensions.get(), MISSING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};
    use clerk_core::{AuthenticateOptions, RequestState};

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
        let converted = to_http_headers(&headers, &AUTHENTICATION_HEADERS);
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
        let converted = to_http_headers(&headers, &AUTHENTICATION_HEADERS);
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
            RequestState::Machine(machine) => format!("machine {}", machine.subject()),
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
            let copied = to_http_headers(&actix_headers(&pairs), &AUTHENTICATION_HEADERS);
            let from_copied = summary(clerk.authenticate_with(&copied, &options).await);
            assert_eq!(from_copied, from_all, "{source:?}");
        }
    }
}
