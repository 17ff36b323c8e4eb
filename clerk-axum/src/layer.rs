//! [`ClerkLayer`]: runs Clerk's request pipeline ([`clerk_core::adapter`]) in front of a tower
//! service, over any request and response body (axum, tonic, hyper).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::response::Response;
use clerk_core::adapter::{Outcome, Pipeline, RequestAuth, RequestHead, append_headers};
use clerk_core::rejection::Rejection;
use http::request::Parts;
use http::{HeaderMap, Request};
use tower_layer::Layer;
use tower_service::Service;

clerk_core::adapter_layer! {
    /// Handlers can read the [`RequestState`](clerk_core::RequestState) itself with
    /// `Extension<RequestState>`. It is a plain tower layer: any request body, and any response
    /// body with a `Default` (for the answers the pipeline gives itself), so it serves tonic and
    /// hyper services too.
    ///
    /// ```
    /// use axum::{Router, routing::get};
    /// use clerk_axum::{ClerkLayer, ClerkOptions, ClerkSession};
    ///
    /// # fn app(clerk: clerk_core::Clerk) -> Router {
    /// async fn me(ClerkSession(claims): ClerkSession) -> String {
    ///     claims.user_id().to_owned()
    /// }
    ///
    /// Router::new()
    ///     .route("/me", get(me))
    ///     .layer(ClerkLayer::new(
    ///         ClerkOptions::new(clerk).authorized_parties(["https://app.example.com"]),
    ///     ))
    /// # }
    /// ```
    ClerkLayer(hook: RejectionHook, head: Parts, response: Response)
    on_rejection: {
        /// ```
        /// use axum::response::{IntoResponse, Redirect, Response};
        /// use clerk_axum::{ClerkLayer, rejection_response};
        /// use clerk_core::rejection::Rejection;
        ///
        /// # fn layer(clerk: clerk_core::Clerk) -> ClerkLayer {
        /// ClerkLayer::new(clerk).on_rejection(|head: &http::request::Parts, rejection: &Rejection| -> Response {
        ///     let page = head.headers.get(http::header::ACCEPT)
        ///         .is_some_and(|accept| accept.as_bytes().starts_with(b"text/html"));
        ///     if page && rejection.status() == 401 {
        ///         Redirect::to("/sign-in").into_response()
        ///     } else {
        ///         rejection_response(rejection)
        ///     }
        /// })
        /// # }
        /// ```
    }
}

/// What the layer leaves in each request beside its `RequestState`.
pub(crate) type Installed = clerk_core::adapter::Installed<RejectionHook>;

impl<S> Layer<S> for ClerkLayer {
    type Service = ClerkService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClerkService {
            inner,
            installed: self.installed.clone(),
        }
    }
}

/// The service made by [`ClerkLayer`]: runs the pipeline, stores the
/// [`RequestState`](clerk_core::RequestState) in the request's extensions, then calls the inner
/// service (or answers itself when the pipeline says so). Readiness is the inner service's.
#[derive(Clone)]
pub struct ClerkService<S> {
    inner: S,
    installed: Installed,
}

impl<S> ClerkService<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, consuming this one.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: fmt::Debug> fmt::Debug for ClerkService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, ResBody> Service<Request<B>> for ClerkService<S>
where
    S: Service<Request<B>, Response = http::Response<ResBody>> + Clone,
    B: Send + 'static,
    ResBody: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ClerkServiceFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The inner service was made ready by `poll_ready`: take that one into the future and
        // leave a fresh clone behind for the next call.
        let fresh = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, fresh);
        let installed = self.installed.clone();
        // Known at once (a token verified before): no boxed future.
        let head = RequestHead::new(request.method(), request.uri(), request.headers());
        let state = match installed.pipeline().authenticate_now(head) {
            Some(outcome) => State::decided(request, outcome, installed, inner),
            None => State::Authenticating {
                authentication: Box::pin(async move {
                    let head = RequestHead::new(request.method(), request.uri(), request.headers());
                    let outcome = installed.pipeline().authenticate(head).await;
                    (request, outcome, installed)
                }),
                inner: Some(inner),
            },
        };
        ClerkServiceFuture { state }
    }
}

type Authentication<B> = Pin<Box<dyn Future<Output = (Request<B>, Outcome, Installed)> + Send>>;

pin_project_lite::pin_project! {
    /// The response future of [`ClerkService`]: the pipeline, then the inner service's call.
    pub struct ClerkServiceFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: State<S, B>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        Authenticating {
            authentication: Authentication<B>,
            inner: Option<S>,
        },
        Calling {
            #[pin]
            future: S::Future,
            response_headers: HeaderMap,
        },
        /// The pipeline answered itself.
        Answered {
            response: Option<S::Response>,
        },
    }
}

impl<S, B, ResBody> State<S, B>
where
    S: Service<Request<B>, Response = http::Response<ResBody>>,
    ResBody: Default,
{
    /// What follows the pipeline's outcome: the inner service's call, with the request state
    /// in its extensions, or the pipeline's own answer.
    fn decided(
        mut request: Request<B>,
        outcome: Outcome,
        installed: Installed,
        mut inner: S,
    ) -> Self {
        let proceed = match outcome {
            Outcome::Continue(proceed) => proceed,
            Outcome::Respond(answer) => {
                return State::Answered {
                    response: Some(answer.into_response(ResBody::default())),
                };
            }
        };
        let extensions = request.extensions_mut();
        extensions.insert(proceed.state);
        extensions.insert(installed);
        State::Calling {
            future: inner.call(request),
            response_headers: proceed.response_headers,
        }
    }
}

impl<S, B, ResBody> Future for ClerkServiceFuture<S, B>
where
    S: Service<Request<B>, Response = http::Response<ResBody>>,
    ResBody: Default,
{
    type Output = Result<S::Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Authenticating {
                    authentication,
                    inner,
                } => {
                    let (request, outcome, installed) = ready!(authentication.as_mut().poll(cx));
                    let inner = inner
                        .take()
                        .expect("ClerkServiceFuture polled after completion");
                    this.state
                        .set(State::decided(request, outcome, installed, inner));
                }
                StateProj::Answered { response } => {
                    let response = response
                        .take()
                        .expect("ClerkServiceFuture polled after completion");
                    return Poll::Ready(Ok(response));
                }
                StateProj::Calling {
                    future,
                    response_headers,
                } => {
                    let mut result = ready!(future.poll(cx));
                    if let Ok(response) = &mut result
                        && !response_headers.is_empty()
                    {
                        append_headers(response.headers_mut(), response_headers);
                    }
                    return Poll::Ready(result);
                }
            }
        }
    }
}

impl<S, B> fmt::Debug for ClerkServiceFuture<S, B>
where
    S: Service<Request<B>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkServiceFuture").finish_non_exhaustive()
    }
}

/// How to add the layer, for the 500 `missing_clerk_layer` rejection.
pub(crate) const MISSING: &str = "ClerkLayer (add `.layer(ClerkLayer::new(clerk))` to the router)";

/// What the layer stored in a request, or the 500 rejection naming it.
pub(crate) fn request_auth(extensions: &http::Extensions) -> Result<RequestAuth<'_>, Rejection> {
    RequestAuth::installed::<RejectionHook>(extensions.get(), extensions.get(), MISSING)
}

/// The layer's pipeline, if the request went through it.
pub(crate) fn pipeline(extensions: &http::Extensions) -> Option<&Pipeline> {
    extensions.get::<Installed>().map(Installed::pipeline)
}

/// The answer to `rejection` other than Clerk's JSON, if the request went through the layer:
/// its `on_rejection` hook's, else a page's (see
/// [`Pipeline::page_answer`](clerk_core::adapter::Pipeline::page_answer)).
pub(crate) fn hooked(parts: &Parts, rejection: &Rejection) -> Option<Response> {
    let installed = parts.extensions.get::<Installed>()?;
    if let Some(hook) = installed.hook() {
        return Some(hook(parts, rejection));
    }
    let answer = installed.pipeline().page_answer(head(parts), rejection)?;
    Some(answer_response(answer))
}

/// The request's head, with the URI the client asked for (`OriginalUri` inside `nest`).
pub(crate) fn head(parts: &Parts) -> RequestHead<'_> {
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    RequestHead::new(&parts.method, uri, &parts.headers)
}

/// A pipeline's [`Answer`](clerk_core::adapter::Answer) (a redirect, a page's 403) as a
/// response.
pub(crate) fn answer_response(answer: clerk_core::adapter::Answer) -> Response {
    let mut response = Response::new(axum::body::Body::from(answer.body));
    *response.status_mut() = answer.status;
    *response.headers_mut() = answer.headers;
    response
}
