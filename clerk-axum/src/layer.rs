//! [`ClerkLayer`]: authenticates every request once and stores the result in its extensions.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::response::Response;
use clerk_core::guard::Rejection;
/// How long a user lookup may take by default (the same for every adapter).
pub use clerk_core::user_cache::DEFAULT_LOOKUP_TIMEOUT as DEFAULT_USER_LOOKUP_TIMEOUT;
/// How long users are kept by default (the same for every adapter).
pub use clerk_core::user_cache::DEFAULT_TTL as DEFAULT_USER_CACHE_TTL;
use clerk_core::user_cache::UserLookup;
use clerk_core::{AuthenticateOptions, Clerk, RequestState};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

/// A function that turns a [`Rejection`] into the application's own response; see
/// [`ClerkLayer::on_rejection`].
pub type RejectionHook = Arc<dyn Fn(&Rejection) -> Response + Send + Sync>;

/// The layer's configuration, shared by its services and by every request it saw.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) clerk: Clerk,
    pub(crate) options: AuthenticateOptions,
    pub(crate) on_rejection: Option<RejectionHook>,
    /// The users loaded by [`ClerkUser`](crate::ClerkUser), shared by every clone of the layer.
    pub(crate) users: UserLookup,
}

/// What the layer leaves in a request's extensions besides its [`RequestState`]: the client
/// and the rejection hook, for the extractors and guards.
#[derive(Clone)]
pub(crate) struct ClerkContext(pub(crate) Arc<Config>);

/// Authenticates every request with Clerk and stores the outcome, a [`RequestState`], in the
/// request's extensions. It rejects nothing by itself: public and protected routes share it,
/// and the extractors ([`ClerkSession`](crate::ClerkSession), [`ClerkAuth`](crate::ClerkAuth),
/// …) and guards ([`require_auth`](crate::require_auth), …) decide per route.
///
/// The token is looked for in `Authorization: Bearer …`, then in the `__session` cookie (see
/// [`Clerk::authenticate`]); a token seen before costs a cache lookup, not a signature check.
///
/// ```
/// use axum::{Router, routing::get};
/// use clerk_axum::{ClerkLayer, ClerkSession};
///
/// # fn app(clerk: clerk_core::Clerk) -> Router {
/// async fn me(ClerkSession(claims): ClerkSession) -> String {
///     claims.user_id().to_owned()
/// }
///
/// Router::new()
///     .route("/me", get(me))
///     .layer(
///         ClerkLayer::new(clerk)
///             .authorized_parties(["https://app.example.com"])
///             .accept_cookie(true),
///     )
/// # }
/// ```
#[derive(Clone)]
pub struct ClerkLayer {
    config: Arc<Config>,
}

impl ClerkLayer {
    /// A layer that authenticates with `clerk` and its default options (authorized parties and
    /// pending-session policy from its builder, `__session` cookie accepted).
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

    /// Replaces the response of every rejection made by the extractors and guards on requests
    /// that went through this layer (401, 403, 503, 502) with the application's own.
    /// [`rejection_response`](crate::rejection_response) gives the default, to adapt.
    ///
    /// A missing layer (500) cannot be seen by the hook: without the layer there is no hook.
    ///
    /// ```
    /// use axum::response::{IntoResponse, Response};
    /// use clerk_axum::ClerkLayer;
    ///
    /// # fn layer(clerk: clerk_core::Clerk) -> ClerkLayer {
    /// ClerkLayer::new(clerk).on_rejection(|rejection| -> Response {
    ///     let status = http::StatusCode::from_u16(rejection.status).unwrap_or_default();
    ///     (status, format!("denied: {}", rejection.code)).into_response()
    /// })
    /// # }
    /// ```
    pub fn on_rejection(
        mut self,
        hook: impl Fn(&Rejection) -> Response + Send + Sync + 'static,
    ) -> Self {
        self.config_mut().on_rejection = Some(Arc::new(hook));
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

    /// The client this layer authenticates with.
    pub fn clerk(&self) -> &Clerk {
        &self.config.clerk
    }

    /// The options each request is authenticated with.
    pub fn options(&self) -> &AuthenticateOptions {
        &self.config.options
    }
}

impl fmt::Debug for ClerkLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkLayer")
            .field("clerk", &self.config.clerk)
            .field("options", &self.config.options)
            .field("on_rejection", &self.config.on_rejection.is_some())
            .finish()
    }
}

impl<S> Layer<S> for ClerkLayer {
    type Service = ClerkService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClerkService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service made by [`ClerkLayer`]: authenticates the request, stores the [`RequestState`]
/// in its extensions, then calls the inner service. Readiness is the inner service's.
#[derive(Clone)]
pub struct ClerkService<S> {
    inner: S,
    config: Arc<Config>,
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

impl<S, B> Service<Request<B>> for ClerkService<S>
where
    S: Service<Request<B>> + Clone,
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
                authentication: Box::pin(authenticate(self.config.clone(), request)),
                inner: Some(inner),
            },
        }
    }
}

/// Authenticates `request` and stores the outcome and the layer's context in its extensions.
async fn authenticate<B>(config: Arc<Config>, mut request: Request<B>) -> Request<B> {
    let state = config
        .clerk
        .authenticate_with(request.headers(), &config.options)
        .await;
    let extensions = request.extensions_mut();
    extensions.insert(state);
    extensions.insert(ClerkContext(config));
    request
}

type Authentication<B> = Pin<Box<dyn Future<Output = Request<B>> + Send>>;

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
        },
    }
}

impl<S, B> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>>,
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
                    let request = ready!(authentication.as_mut().poll(cx));
                    let mut inner = inner
                        .take()
                        .expect("ResponseFuture polled after completion");
                    let future = inner.call(request);
                    this.state.set(State::Calling { future });
                }
                StateProj::Calling { future } => return future.poll(cx),
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

/// The [`RequestState`] and context the layer stored, if it ran.
pub(crate) fn stored(extensions: &http::Extensions) -> Option<(&RequestState, &ClerkContext)> {
    Some((extensions.get()?, extensions.get()?))
}
