//! [`ClerkMiddleware`]: runs Clerk's request pipeline ([`clerk_core::adapter`]) in front of an
//! actix-web app or scope.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Extensions, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderMap as ActixHeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse};
use clerk_core::adapter::{Outcome, Pipeline, REQUEST_HEADERS, RequestAuth, RequestHead};
use clerk_core::rejection::Rejection;

clerk_core::adapter_layer! {
    /// Handlers can read the `RequestState` itself with `web::ReqData<RequestState>`.
    ///
    /// Use it with [`App::wrap`](actix_web::App::wrap) or [`Scope::wrap`](actix_web::Scope::wrap).
    /// It must wrap the guards: in actix-web the last `wrap` is the outermost, so wrap the `App`
    /// (which runs before every scope's own middleware), or call `.wrap(ClerkMiddleware…)` after
    /// the guard on the same scope. Build it once and clone it into `HttpServer::new`'s factory,
    /// so that every worker shares one user cache.
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
    ClerkMiddleware(hook: RejectionHook, head: HttpRequest, response: HttpResponse)
    on_rejection: {
        /// ```
        /// use actix_web::{HttpRequest, HttpResponse};
        /// use clerk_actix::{ClerkMiddleware, rejection_response};
        /// use clerk_core::rejection::Rejection;
        ///
        /// # fn middleware(clerk: clerk_core::Clerk) -> ClerkMiddleware {
        /// ClerkMiddleware::new(clerk).on_rejection(|request: &HttpRequest, rejection: &Rejection| {
        ///     let page = request.headers().get("accept")
        ///         .is_some_and(|accept| accept.as_bytes().starts_with(b"text/html"));
        ///     if page && rejection.status() == 401 {
        ///         HttpResponse::SeeOther().insert_header(("location", "/sign-in")).finish()
        ///     } else {
        ///         rejection_response(rejection)
        ///     }
        /// })
        /// # }
        /// ```
    }
}

/// What the middleware leaves in each request beside its `RequestState`.
pub(crate) type Installed = clerk_core::adapter::Installed<RejectionHook>;

impl<S, B> Transform<S, ServiceRequest> for ClerkMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = S::Error;
    type Transform = ClerkMiddlewareService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(ClerkMiddlewareService {
            inner: Rc::new(service),
            installed: self.installed.clone(),
        }))
    }
}

/// The service made by [`ClerkMiddleware`]: runs the pipeline, stores the
/// [`RequestState`](clerk_core::RequestState) in the request's extensions, then calls the inner
/// service (or answers itself when the pipeline says so). Readiness is the inner service's.
pub struct ClerkMiddlewareService<S> {
    inner: Rc<S>,
    installed: Installed,
}

impl<S> fmt::Debug for ClerkMiddlewareService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkMiddlewareService")
            .finish_non_exhaustive()
    }
}

/// The response future of [`ClerkMiddlewareService`]: the pipeline, then the inner service's
/// call.
pub type ClerkMiddlewareFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>>>>;

impl<S, B> Service<ServiceRequest> for ClerkMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = S::Error;
    type Future = ClerkMiddlewareFuture<Self::Response, S::Error>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let inner = Rc::clone(&self.inner);
        let installed = self.installed.clone();
        let (method, uri, headers) = head_parts(request.request());
        // Known at once (a token verified before): a smaller future, with no pipeline in it.
        let head = RequestHead::new(&method, &uri, &headers);
        if let Some(outcome) = installed.pipeline().authenticate_now(head) {
            return Box::pin(proceed(request, outcome, installed, inner));
        }
        Box::pin(async move {
            let head = RequestHead::new(&method, &uri, &headers);
            let outcome = installed.pipeline().authenticate(head).await;
            drop(headers);
            proceed(request, outcome, installed, inner).await
        })
    }
}

/// What follows the pipeline's outcome: the inner service's call, with the request state in its
/// extensions, or the pipeline's own answer.
async fn proceed<S, B>(
    request: ServiceRequest,
    outcome: Outcome,
    installed: Installed,
    inner: Rc<S>,
) -> Result<ServiceResponse<BoxBody>, S::Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>>,
    B: MessageBody + 'static,
{
    let proceed = match outcome {
        Outcome::Continue(proceed) => proceed,
        Outcome::Respond(answer) => {
            return Ok(request.into_response(answer_response(answer)));
        }
    };
    {
        let mut extensions = request.extensions_mut();
        extensions.insert(proceed.state);
        extensions.insert(installed);
    }
    let mut response = inner.call(request).await?;
    add_headers(response.headers_mut(), &proceed.response_headers);
    // An app's or a scope's body is already boxed: free for them.
    Ok(response.map_into_boxed_body())
}

/// The method, URI and pipeline headers of a request, as clerk-core's `http` 1.x types.
pub(crate) fn head_parts(request: &HttpRequest) -> (http::Method, http::Uri, http::HeaderMap) {
    let method = http::Method::from_bytes(request.method().as_str().as_bytes()).unwrap_or_default();
    // A server's request URI is a path and query (origin form): parsed from its text as it is,
    // with no formatting; an absolute one (a proxy's request) is formatted whole.
    let uri = request.uri();
    let uri = match uri.path_and_query() {
        Some(path) if uri.scheme().is_none() && uri.authority().is_none() => {
            http::Uri::try_from(path.as_str())
        }
        _ => http::Uri::try_from(uri.to_string()),
    }
    .unwrap_or_default();
    (
        method,
        uri,
        to_http_headers(request.headers(), &REQUEST_HEADERS),
    )
}

/// A pipeline's [`Answer`](clerk_core::adapter::Answer) (a redirect, a page's 403) as an
/// actix-web response.
pub(crate) fn answer_response(answer: clerk_core::adapter::Answer) -> HttpResponse {
    let mut response = HttpResponse::with_body(to_actix_status(answer.status), answer.body);
    add_headers(response.headers_mut(), &answer.headers);
    response.map_into_boxed_body()
}

/// Copies the headers `names` (those the pipeline or webhook verification reads) from
/// actix-web's map (`http` 0.2 types) into clerk-core's (`http` 1.x), every value, in order.
/// Only those: a browser sends a dozen other headers, and copying each would cost an
/// allocation on every request. (A test checks that clerk-core decides the same from this map
/// as from all of a request's headers.)
///
/// Never panics: both crates accept the same header bytes (a value that would not convert,
/// which none does, is skipped), and `try_append` cannot exceed the map's capacity (values of
/// one name are unbounded).
pub(crate) fn to_http_headers(
    headers: &ActixHeaderMap,
    names: &[http::HeaderName],
) -> http::HeaderMap {
    let mut out = http::HeaderMap::new();
    // One pass over the request's few headers, comparing names: no name is parsed or hashed
    // per entry of `names` (looking each of them up by `&str` would parse it every time).
    for (name, value) in headers {
        let Some(name) = names.iter().find(|n| n.as_str() == name.as_str()) else {
            continue;
        };
        if let Ok(value) = http::HeaderValue::from_bytes(value.as_bytes())
            && out.try_append(name.clone(), value).is_err()
        {
            return out;
        }
    }
    out
}

/// Appends clerk-core's headers (`http` 1.x) to an actix-web response's.
fn add_headers(to: &mut ActixHeaderMap, from: &http::HeaderMap) {
    for (name, value) in from {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            to.append(name, value);
        }
    }
}

fn to_actix_status(status: http::StatusCode) -> actix_web::http::StatusCode {
    actix_web::http::StatusCode::from_u16(status.as_u16())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
}

/// How to add the middleware, for the 500 `missing_clerk_layer` rejection.
pub(crate) const MISSING: &str =
    "ClerkMiddleware (add `.wrap(ClerkMiddleware::new(clerk))` to the App or scope)";

/// What the middleware stored in a request, or the 500 rejection naming it.
pub(crate) fn request_auth(extensions: &Extensions) -> Result<RequestAuth<'_>, Rejection> {
    RequestAuth::installed::<RejectionHook>(extensions.get(), extensions.get(), MISSING)
}

/// The middleware's pipeline, if the request went through it.
pub(crate) fn pipeline(extensions: &Extensions) -> Option<Pipeline> {
    extensions.get::<Installed>().map(|i| i.pipeline().clone())
}

/// The `on_rejection` hook of the middleware a request went through, if it has one.
pub(crate) fn hook(request: &HttpRequest) -> Option<RejectionHook> {
    request.extensions().get::<Installed>()?.hook().cloned()
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
        let converted = to_http_headers(&headers, &REQUEST_HEADERS);
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
    fn the_uri_is_the_one_the_client_sent() {
        for sent in [
            "/",
            "/orgs/acme-inc/settings?__clerk_handshake=abc&x=%20y",
            "/a%2Fb?",
            "http://app.example.com:8080/dashboard?x=1",
        ] {
            let request = actix_web::test::TestRequest::with_uri(sent).to_http_request();
            let (method, uri, _) = head_parts(&request);
            assert_eq!(method, http::Method::GET);
            assert_eq!(uri.to_string(), sent, "{sent}");
            assert_eq!(uri.query(), request.uri().query(), "{sent}");
        }
    }

    #[test]
    fn only_the_headers_the_pipeline_reads_are_copied() {
        let headers = actix_headers(&[
            ("host", b"app.example.com"),
            ("authorization", b"Bearer a"),
            ("user-agent", b"Mozilla/5.0"),
            ("accept-language", b"en"),
            ("cookie", b"a=1"),
            ("sec-websocket-protocol", b"clerk, x.y.z"),
        ]);
        let converted = to_http_headers(&headers, &REQUEST_HEADERS);
        // The user agent is sent on with a session refresh, as Clerk's SDKs send it; the
        // WebSocket subprotocols are read for a token fallback.
        assert_eq!(REQUEST_HEADERS.len(), 10);
        assert_eq!(converted.len(), 5);
        assert!(converted.get("sec-websocket-protocol").is_some());
        assert!(converted.get("user-agent").is_some());
        assert!(converted.get("accept-language").is_none());
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
            let copied = to_http_headers(&actix_headers(&pairs), &REQUEST_HEADERS);
            let from_copied = summary(clerk.authenticate_with(&copied, &options).await);
            assert_eq!(from_copied, from_all, "{source:?}");
        }
    }
}
