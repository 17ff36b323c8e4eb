//! [`ClerkLayer`]: authenticates every request once and stores the result in its extensions.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::response::Response;
use clerk_core::Clerk;
use clerk_core::middleware::{Decided, Installed, Pending, Seen};
use clerk_core::models::User;
use clerk_core::user_cache::UserCache;
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

/// Every setting of [`ClerkLayer`], with its meaning: authorized parties, cookies, pending
/// sessions, the [`ClerkUser`](crate::ClerkUser) cache and lookup timeout, and the
/// `on_rejection` hook (which returns an axum [`Response`]). See
/// [`clerk_core::middleware::ClerkOptions`] for each option.
///
/// ```
/// use axum::response::{IntoResponse, Response};
/// use clerk_axum::{ClerkLayer, ClerkOptions};
///
/// # fn layer(clerk: clerk_core::Clerk) -> ClerkLayer {
/// let options = ClerkOptions::new(clerk)
///     .authorized_parties(["https://app.example.com"])
///     .on_rejection(|rejection| -> Response {
///         let status = http::StatusCode::from_u16(rejection.status()).unwrap_or_default();
///         (status, format!("denied: {}", rejection.code())).into_response()
///     });
/// ClerkLayer::new(options)
/// # }
/// ```
pub type ClerkOptions = clerk_core::middleware::ClerkOptions<Response>;

/// Authenticates every request with Clerk and stores the outcome, a [`RequestState`](clerk_core::RequestState), in the
/// request's extensions. It rejects nothing by itself: public and protected routes share it,
/// and the extractors ([`ClerkSession`](crate::ClerkSession), [`ClerkAuth`](crate::ClerkAuth),
/// …) and guards ([`require_auth`](crate::require_auth), …) decide per route.
///
/// The token is looked for in `Authorization: Bearer …`, then in the `__session` cookie (see
/// [`Clerk::authenticate`]); a token seen before costs a cache lookup, not a signature check.
/// Handlers can read the [`RequestState`](clerk_core::RequestState) itself with `Extension<RequestState>`.
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
#[derive(Clone)]
pub struct ClerkLayer {
    options: Arc<ClerkOptions>,
}

impl ClerkLayer {
    /// A layer with these options; a [`Clerk`] converts to its default options.
    pub fn new(options: impl Into<ClerkOptions>) -> Self {
        Self {
            options: Arc::new(options.into()),
        }
    }

    /// The layer's options.
    pub fn options(&self) -> &ClerkOptions {
        &self.options
    }

    /// The client this layer authenticates with.
    pub fn clerk(&self) -> &Clerk {
        self.options.clerk()
    }

    /// The users loaded by [`ClerkUser`](crate::ClerkUser), shared by every clone of the layer:
    /// invalidate a user after changing it so that the next request sees the change.
    pub fn user_cache(&self) -> &UserCache<Arc<User>> {
        self.options.user_cache()
    }
}

impl fmt::Debug for ClerkLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClerkLayer").field(&self.options).finish()
    }
}

impl<S> Layer<S> for ClerkLayer {
    type Service = ClerkService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClerkService {
            inner,
            options: self.options.clone(),
        }
    }
}

/// The service made by [`ClerkLayer`]: authenticates the request, stores the [`RequestState`](clerk_core::RequestState)
/// in its extensions, then calls the inner service. Readiness is the inner service's.
#[derive(Clone)]
pub struct ClerkService<S> {
    inner: S,
    options: Arc<ClerkOptions>,
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
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The inner service was made ready by `poll_ready`: take that one into the future and
        // leave a fresh clone behind for the next call.
        let fresh = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, fresh);
        ResponseFuture {
            state: State::Authenticating {
                authentication: Box::pin(authenticate(self.options.clone(), request)),
                inner: Some(inner),
            },
        }
    }
}

/// Authenticates `request` and stores the outcome and the layer's options in its extensions,
/// with a webhook replay-protection slot when the options protect replays; returns what is
/// still to do once the response is known.
async fn authenticate<B>(
    options: Arc<ClerkOptions>,
    mut request: Request<B>,
) -> (Request<B>, Option<Pending<Response>>) {
    let state = options.authenticate(request.headers()).await;
    let pending = options.pending(&state);
    let extensions = request.extensions_mut();
    extensions.insert(state);
    if let Some(slot) = pending.as_ref().and_then(Pending::webhook_slot) {
        extensions.insert(slot.clone());
    }
    extensions.insert(Installed(options));
    (request, pending)
}

type Authentication<B> =
    Pin<Box<dyn Future<Output = (Request<B>, Option<Pending<Response>>)> + Send>>;

pin_project_lite::pin_project! {
    /// The response future of [`ClerkService`]: authentication, then the inner service's call.
    pub struct ResponseFuture<S, B>
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
            pending: Option<Pending<Response>>,
        },
    }
}

impl<S, B, ResBody> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = http::Response<ResBody>>,
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
                    let (request, pending) = ready!(authentication.as_mut().poll(cx));
                    let mut inner = inner
                        .take()
                        .expect("ResponseFuture polled after completion");
                    let future = inner.call(request);
                    this.state.set(State::Calling { future, pending });
                }
                StateProj::Calling { future, pending } => {
                    let mut result = ready!(future.poll(cx));
                    if let (Some(pending), Ok(response)) = (pending.take(), &mut result) {
                        for (name, value) in pending.answered(response.status().as_u16()) {
                            response.headers_mut().insert(
                                http::HeaderName::from_static(name),
                                http::HeaderValue::from_static(value),
                            );
                        }
                    }
                    return Poll::Ready(result);
                }
            }
        }
    }
}

impl<S, B> fmt::Debug for ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

/// What the layer stored in a request, or the 500 rejection naming it.
pub(crate) fn seen(extensions: &http::Extensions) -> Result<Seen<'_, Response>, Decided<Response>> {
    const MISSING: &str = "ClerkLayer (add `.layer(ClerkLayer::new(clerk))` to the router)";
    Seen::find(extensions.get(), extensions.get(), MISSING)
}
