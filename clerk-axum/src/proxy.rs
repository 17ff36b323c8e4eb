//! [`FrontendApiProxyLayer`]: Clerk's Frontend API under a path of the app
//! ([`clerk_core::proxy`] decides; this layer moves the bodies).

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use clerk_core::proxy::{FrontendApiProxy, ProxyRequest, ProxyResponse};
use clerk_core::{Clerk, ConfigError};
use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

/// A [`FrontendApiProxyLayer`] at `/__clerk` for `clerk`'s instance (its secret key, and the
/// Frontend API its publishable key names); fails without either key. For other settings
/// (path, public origin, forwarded headers, timeouts) build a
/// [`FrontendApiProxy`](clerk_core::proxy::FrontendApiProxy) and use
/// [`FrontendApiProxyLayer::new`].
///
/// ```
/// use axum::{Router, routing::get};
/// use clerk_axum::{ClerkLayer, frontend_api_proxy};
///
/// # fn app(clerk: clerk_core::Clerk) -> Result<Router, clerk_core::ConfigError> {
/// let app = Router::new()
///     .route("/", get(|| async { "home" }))
///     .layer(ClerkLayer::new(clerk.clone()))
///     // Last, so outermost: /__clerk/... never meets ClerkLayer or a route.
///     .layer(frontend_api_proxy(&clerk)?);
/// # Ok(app) }
/// ```
pub fn frontend_api_proxy(clerk: &Clerk) -> Result<FrontendApiProxyLayer, ConfigError> {
    FrontendApiProxy::new(clerk).map(FrontendApiProxyLayer::new)
}

/// Sends the requests under the proxy's path (default `/__clerk`) to Clerk's Frontend API and
/// answers with its answers, bodies streamed both ways; every other request goes to the inner
/// service, untouched. What is forwarded, and how, is [`clerk_core::proxy`]'s (one behaviour
/// for every framework).
///
/// Add it **last** to the top-level `Router` (`Router::layer` wraps routes and fallback alike,
/// and the last layer added runs first), so that proxied requests never meet [`ClerkLayer`]
/// (whose handshake must not redirect Clerk's own pages) or the app's routes. The
/// connection's peer address, the last resort for `X-Forwarded-For`, is read from
/// `ConnectInfo<SocketAddr>` when the app is served with
/// `into_make_service_with_connect_info::<SocketAddr>()`.
///
/// Then set `CLERK_PROXY_URL` (the public URL of the proxy, `https://app.example.com/__clerk`)
/// so that the handshake goes through it, and Clerk's frontend's `proxyUrl` likewise.
///
/// ```
/// use axum::{Router, routing::get};
/// use clerk_axum::{ClerkLayer, FrontendApiProxyLayer};
/// use clerk_core::proxy::FrontendApiProxy;
///
/// # fn app(clerk: clerk_core::Clerk) -> Result<Router, clerk_core::ConfigError> {
/// let proxy = FrontendApiProxy::builder(&clerk)
///     .path("/clerk-api")
///     .public_origin("https://app.example.com")
///     .build()?;
/// let app = Router::new()
///     .route("/", get(|| async { "home" }))
///     .layer(ClerkLayer::new(clerk))
///     .layer(FrontendApiProxyLayer::new(proxy));
/// # Ok(app) }
/// ```
///
/// [`ClerkLayer`]: crate::ClerkLayer
#[derive(Debug, Clone)]
pub struct FrontendApiProxyLayer {
    proxy: FrontendApiProxy,
}

impl FrontendApiProxyLayer {
    /// The layer of `proxy`.
    pub fn new(proxy: FrontendApiProxy) -> Self {
        Self { proxy }
    }

    /// The proxy it runs.
    pub fn proxy(&self) -> &FrontendApiProxy {
        &self.proxy
    }
}

impl<S> Layer<S> for FrontendApiProxyLayer {
    type Service = FrontendApiProxyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FrontendApiProxyService {
            inner,
            proxy: self.proxy.clone(),
        }
    }
}

/// The service made by [`FrontendApiProxyLayer`]: proxies the requests under its path, calls
/// the inner service for the others. Readiness is the inner service's. Any request body and
/// any response body (boxed into axum's [`Body`]).
#[derive(Debug, Clone)]
pub struct FrontendApiProxyService<S> {
    inner: S,
    proxy: FrontendApiProxy,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for FrontendApiProxyService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ReqBody: HttpBody<Data = Bytes> + Send + 'static,
    ReqBody::Error: Into<BoxError>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = FrontendApiProxyFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if !self.proxy.matches(request.uri().path()) {
            return FrontendApiProxyFuture {
                state: State::Inner {
                    future: self.inner.call(request),
                },
            };
        }
        let (parts, body) = request.into_parts();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let head = ProxyRequest::new(&parts.method, &parts.uri, &parts.headers).peer(peer);
        let future: ProxyFuture = match self.proxy.prepare(head) {
            Ok(forward) => {
                // A request that has no body (most: GETs) sends none, rather than an empty stream.
                let body = (!body.is_end_stream()).then(|| Body::new(body).into_data_stream());
                Box::pin(async move { into_response(forward.send(body).await) })
            }
            Err(refused) => Box::pin(std::future::ready(into_response(refused))),
        };
        FrontendApiProxyFuture {
            state: State::Proxied { future },
        }
    }
}

type ProxyFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

pin_project_lite::pin_project! {
    /// The response future of [`FrontendApiProxyService`]: the inner service's, or the
    /// Frontend API's answer (a proxied request never fails: an unreachable Frontend API is a
    /// 502 answer).
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

impl<F, ResBody, E> Future for FrontendApiProxyFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future } => future
                .poll(cx)
                .map(|result| result.map(|response| response.map(Body::new))),
            StateProj::Proxied { future } => future.as_mut().poll(cx).map(Ok),
        }
    }
}

/// The proxy's answer as axum's response, its body streaming.
fn into_response(answer: ProxyResponse) -> Response<Body> {
    let mut response = Response::new(Body::from_stream(answer.body));
    *response.status_mut() = answer.status;
    *response.headers_mut() = answer.headers;
    response
}
