//! [`FrontendApiProxyMiddleware`]: Clerk's Frontend API under a path of the app
//! ([`clerk_core::proxy`] decides; this middleware moves the bodies).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{BodyStream, BoxBody, EitherBody, MessageBody, SizedStream};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderMap as ActixHeaderMap, HeaderName, HeaderValue};
use actix_web::http::{StatusCode, Version};
use actix_web::web::Bytes;
use actix_web::{HttpMessage as _, HttpResponse, HttpResponseBuilder};
use clerk_core::proxy::{FrontendApiProxy, ProxyRequest, ProxyResponse};
use clerk_core::{Clerk, ConfigError};
use futures_core::Stream;
use tokio::sync::mpsc;

/// How many request-body chunks may wait between actix-web's payload and the Frontend API
/// request: enough to keep both sides busy, never the whole body.
const BODY_CHUNKS_IN_FLIGHT: usize = 4;

/// A [`FrontendApiProxyMiddleware`] at `/__clerk` for `clerk`'s instance (its secret key, and
/// the Frontend API its publishable key names); fails without either key. For other settings
/// (path, public origin, forwarded headers, timeouts) build a
/// [`FrontendApiProxy`](clerk_core::proxy::FrontendApiProxy) and use
/// [`FrontendApiProxyMiddleware::new`].
///
/// ```
/// use actix_web::{App, web};
/// use clerk_actix::{ClerkMiddleware, frontend_api_proxy};
///
/// # fn app(clerk: clerk_core::Clerk) -> Result<(), clerk_core::ConfigError> {
/// let proxy = frontend_api_proxy(&clerk)?; // once, cloned into each worker's App
/// let app = App::new()
///     .wrap(ClerkMiddleware::new(clerk))
///     // Last, so outermost: /__clerk/... never meets ClerkMiddleware or a route.
///     .wrap(proxy.clone())
///     .route("/", web::get().to(|| async { "home" }));
/// # Ok(()) }
/// ```
pub fn frontend_api_proxy(clerk: &Clerk) -> Result<FrontendApiProxyMiddleware, ConfigError> {
    FrontendApiProxy::new(clerk).map(FrontendApiProxyMiddleware::new)
}

/// Sends the requests under the proxy's path (default `/__clerk`) to Clerk's Frontend API and
/// answers with its answers, bodies streamed both ways; every other request goes to the app,
/// untouched. What is forwarded, and how, is [`clerk_core::proxy`]'s (one behaviour for every
/// framework).
///
/// Use it with [`App::wrap`](actix_web::App::wrap), as the **last** `wrap` (in actix-web the
/// last is the outermost), so that proxied requests never meet [`ClerkMiddleware`] (whose
/// handshake must not redirect Clerk's own pages) or the app's routes. The connection's peer
/// address is the last resort for `X-Forwarded-For`. Build it once and clone it into
/// `HttpServer::new`'s factory, so that every worker shares one connection pool.
///
/// Then set `CLERK_PROXY_URL` (the public URL of the proxy, `https://app.example.com/__clerk`)
/// so that the handshake goes through it, and Clerk's frontend's `proxyUrl` likewise.
///
/// ```
/// use actix_web::{App, web};
/// use clerk_actix::{ClerkMiddleware, FrontendApiProxyMiddleware};
/// use clerk_core::proxy::FrontendApiProxy;
///
/// # fn app(clerk: clerk_core::Clerk) -> Result<(), clerk_core::ConfigError> {
/// let proxy = FrontendApiProxy::builder(&clerk)
///     .path("/clerk-api")
///     .public_origin("https://app.example.com")
///     .build()?;
/// let app = App::new()
///     .wrap(ClerkMiddleware::new(clerk))
///     .wrap(FrontendApiProxyMiddleware::new(proxy))
///     .route("/", web::get().to(|| async { "home" }));
/// # Ok(()) }
/// ```
///
/// [`ClerkMiddleware`]: crate::ClerkMiddleware
#[derive(Debug, Clone)]
pub struct FrontendApiProxyMiddleware {
    proxy: FrontendApiProxy,
}

impl FrontendApiProxyMiddleware {
    /// The middleware of `proxy`.
    pub fn new(proxy: FrontendApiProxy) -> Self {
        Self { proxy }
    }

    /// The proxy it runs.
    pub fn proxy(&self) -> &FrontendApiProxy {
        &self.proxy
    }
}

impl<S, B> Transform<S, ServiceRequest> for FrontendApiProxyMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = S::Error;
    type Transform = FrontendApiProxyService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(FrontendApiProxyService {
            inner: Rc::new(service),
            proxy: self.proxy.clone(),
        }))
    }
}

/// The service made by [`FrontendApiProxyMiddleware`]: proxies the requests under its path,
/// calls the app for the others. Readiness is the app's.
pub struct FrontendApiProxyService<S> {
    inner: Rc<S>,
    proxy: FrontendApiProxy,
}

impl<S> fmt::Debug for FrontendApiProxyService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrontendApiProxyService")
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for FrontendApiProxyService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = S::Error;
    type Future = FrontendApiProxyFuture<S::Future>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&self, mut request: ServiceRequest) -> Self::Future {
        if !self.proxy.matches(request.path()) {
            return FrontendApiProxyFuture {
                state: State::Inner {
                    future: self.inner.call(request),
                },
            };
        }
        // actix-web's types are the `http` crate's 0.2; clerk-core's are 1.x.
        let method =
            http::Method::from_bytes(request.method().as_str().as_bytes()).unwrap_or_default();
        let uri = http::Uri::try_from(request.uri().to_string()).unwrap_or_default();
        let headers = all_headers(request.headers());
        let peer = request.peer_addr().map(|addr| addr.ip());
        let prepared = self
            .proxy
            .prepare(ProxyRequest::new(&method, &uri, &headers).peer(peer));
        let body = has_body(&request).then(|| request.take_payload());
        let future = Box::pin(async move {
            let answer = match prepared {
                Ok(forward) => forward.send(body.map(channel)).await,
                Err(refused) => refused,
            };
            request.into_response(into_response(answer))
        });
        FrontendApiProxyFuture {
            state: State::Proxied { future },
        }
    }
}

type ProxyFuture = Pin<Box<dyn Future<Output = ServiceResponse<BoxBody>>>>;

pin_project_lite::pin_project! {
    /// The response future of [`FrontendApiProxyService`]: the app's, or the Frontend API's
    /// answer (a proxied request never fails: an unreachable Frontend API is a 502 answer).
    pub struct FrontendApiProxyFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<F> {
        Inner { #[pin] future: F },
        Proxied { future: ProxyFuture },
    }
}

impl<F> fmt::Debug for FrontendApiProxyFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrontendApiProxyFuture")
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for FrontendApiProxyFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, E>>,
    B: MessageBody + 'static,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future } => future
                .poll(cx)
                .map(|result| result.map(ServiceResponse::map_into_left_body)),
            StateProj::Proxied { future } => future
                .as_mut()
                .poll(cx)
                .map(|response| Ok(response.map_into_right_body())),
        }
    }
}

/// Whether the request has a body to send: a `Content-Length` above 0 or a
/// `Transfer-Encoding` (HTTP/1), or, over HTTP/2 without a `Content-Length`, a method that
/// usually has one.
fn has_body(request: &ServiceRequest) -> bool {
    let headers = request.headers();
    if let Some(length) = headers.get(actix_web::http::header::CONTENT_LENGTH) {
        return length.to_str().ok().and_then(|l| l.parse::<u64>().ok()) != Some(0);
    }
    if headers.contains_key(actix_web::http::header::TRANSFER_ENCODING) {
        return true;
    }
    request.version() == Version::HTTP_2
        && !matches!(request.method().as_str(), "GET" | "HEAD" | "OPTIONS")
}

/// The request's body as a `Send` stream for the HTTP client: actix-web's payload lives on its
/// worker thread, so a local task reads it into a small channel, chunk by chunk.
fn channel(mut payload: Payload) -> BodyChannel {
    let (sender, receiver) = mpsc::channel(BODY_CHUNKS_IN_FLIGHT);
    actix_web::rt::spawn(async move {
        loop {
            let chunk = std::future::poll_fn(|cx| Pin::new(&mut payload).poll_next(cx)).await;
            let Some(chunk) = chunk else { break };
            let failed = chunk.is_err();
            let chunk = chunk.map_err(|error| std::io::Error::other(error.to_string()));
            // A send fails once the request to the Frontend API is over (answered or failed).
            if sender.send(chunk).await.is_err() || failed {
                break;
            }
        }
    });
    BodyChannel(receiver)
}

/// The receiving end of [`channel`].
struct BodyChannel(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl Stream for BodyChannel {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().0.poll_recv(cx)
    }
}

/// Every request header, as clerk-core's (`http` 1.x) map; never panics (a map that would
/// grow past its capacity keeps what it has).
fn all_headers(headers: &ActixHeaderMap) -> http::HeaderMap {
    let mut out = http::HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) && out.try_append(name, value).is_err()
        {
            break;
        }
    }
    out
}

/// The proxy's answer as actix-web's response, its body streaming: sized when the Frontend API
/// gave a `Content-Length` (actix-web writes it), chunked otherwise.
fn into_response(answer: ProxyResponse) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let length = answer.content_length();
    let mut builder = HttpResponseBuilder::new(status);
    for (name, value) in &answer.headers {
        if name == http::header::CONTENT_LENGTH {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            builder.append_header((name, value));
        }
    }
    match length {
        Some(length) => builder.body(SizedStream::new(length, answer.body)),
        None => builder.body(BodyStream::new(answer.body)),
    }
}
