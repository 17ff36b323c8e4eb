//! The request pipeline every web adapter runs: the one public, framework-neutral interface
//! between an HTTP framework and Clerk.
//!
//! `clerk-axum` (a tower layer, so also tonic and plain hyper) and `clerk-actix` are written
//! against this module alone, and so is any other adapter (poem, salvo, a custom hyper server):
//! nothing it needs is hidden.
//!
//! # What an adapter does
//!
//! For every request, before the handler:
//!
//! 1. Build a [`RequestHead`] from the request's method, URI and headers (the `http` crate's
//!    types; [`REQUEST_HEADERS`] lists every header the pipeline reads, so an adapter whose
//!    framework has other header types copies only those).
//! 2. Call [`Pipeline::authenticate`]. Its [`Outcome`] is either
//!    - [`Outcome::Continue`]: store the [`Proceed::state`] (a [`RequestState`]) and the
//!      [`Pipeline`] where the framework keeps per-request values (request extensions), call
//!      the handler, then add [`Proceed::response_headers`] to its response (for example the
//!      debug headers; a refreshed session's `Set-Cookie`); or
//!    - [`Outcome::Respond`]: answer with [`Answer::status`] and [`Answer::headers`] and an
//!      empty body, without calling the handler (for example a redirect).
//!
//! Then, in the framework's extractors and guards:
//!
//! 3. Find what step 1 stored with [`RequestAuth::find`] (a missing layer is a 500
//!    [`Rejection`], never a panic), and ask it: [`RequestAuth::session`],
//!    [`RequestAuth::optional_session`], [`RequestAuth::machine`], [`RequestAuth::caller`],
//!    [`RequestAuth::require`], [`RequestAuth::user`], … Every decision (401 or 403 or 503, what
//!    "may be signed out" means during an outage, what a failed user lookup means) is made
//!    there, so every framework answers alike.
//! 4. Render a refusal as the framework's response: [`Rejection::json_body`] (Clerk's error
//!    shape) with [`Rejection::status`] and [`Rejection::www_authenticate`], or
//!    [`Rejection::grpc_code`] for gRPC, or the application's own hook, kept with the
//!    rejection in a [`Refusal`].
//!
//! A webhook route gets its own small layer: it makes a [`WebhookReceiver`] per request and
//! stores it in the request; the webhook extractor verifies the delivery with it, and the layer
//! reports the handler's status through the [`WebhookAnswer`] it kept, for replay protection.
//!
//! The macros [`adapter_rejections!`](crate::adapter_rejections),
//! [`adapter_extractors!`](crate::adapter_extractors) and
//! [`adapter_guards!`](crate::adapter_guards) declare an adapter's public types and their
//! documentation once, so that two adapters cannot drift apart.
//!
//! # A minimal adapter
//!
//! A hyper-style function that runs the pipeline around a handler:
//!
//! ```
//! use clerk_core::adapter::{Outcome, Pipeline, RequestAuth, RequestHead};
//! use http::{Request, Response};
//!
//! async fn serve(pipeline: &Pipeline, mut request: Request<String>) -> Response<String> {
//!     let head = RequestHead::new(request.method(), request.uri(), request.headers());
//!     let proceed = match pipeline.authenticate(head).await {
//!         Outcome::Continue(proceed) => proceed,
//!         Outcome::Respond(answer) => return answer.into_response(String::new()),
//!     };
//!     request.extensions_mut().insert(proceed.state);
//!     request.extensions_mut().insert(pipeline.clone());
//!
//!     // The handler: who is it?
//!     let extensions = request.extensions();
//!     let found = RequestAuth::find(extensions.get(), extensions.get(), "the Clerk layer");
//!     let mut response = match found.and_then(|auth| auth.session().map(|a| a.user_id().to_owned())) {
//!         Ok(user_id) => Response::new(format!("hello {user_id}")),
//!         Err(rejection) => {
//!             let mut response = Response::new(rejection.json_body());
//!             *response.status_mut() = http::StatusCode::from_u16(rejection.status()).unwrap();
//!             response
//!         }
//!     };
//!     clerk_core::adapter::append_headers(response.headers_mut(), &proceed.response_headers);
//!     response
//! }
//! # async fn demo(clerk: clerk_core::Clerk) {
//! # let pipeline = Pipeline::new(clerk);
//! # let answer = serve(&pipeline, Request::new(String::new())).await;
//! # assert_eq!(answer.status(), 401);
//! # }
//! ```

use std::fmt;
use std::sync::{Arc, Mutex};

/// The `http` crate this pipeline's types come from (for adapters whose framework uses another
/// version of it).
pub use http;
use http::header::{ACCEPT, AUTHORIZATION, COOKIE, HOST, REFERER, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};

use crate::authenticate::{Auth, RequestState};
use crate::browser::Verdict;
use crate::client::Clerk;
use crate::guard::{self, Caller, Requirement};
use crate::machine::MachineAuth;
use crate::models::User;
use crate::options::ClerkOptions;
use crate::rejection::Rejection;
use crate::user_cache::UserCache;
use crate::webhooks::{Delivery, Webhook};

/// Every request header the pipeline may read: an adapter whose framework does not use the
/// `http` crate's types copies these into the [`RequestHead`] and no others (a browser sends a
/// dozen more, and copying each would cost an allocation per request).
///
/// The refresh of a browser session sends these to the Backend API as the request's headers
/// (as Clerk's SDKs send all of theirs).
/// `Sec-WebSocket-Protocol` is read only with a
/// [`TokenFallback::websocket_protocol`](crate::token_fallback::TokenFallback::websocket_protocol),
/// and never sent with a refresh (it may carry a token).
pub const REQUEST_HEADERS: [HeaderName; 10] = [
    AUTHORIZATION,
    COOKIE,
    ACCEPT,
    HOST,
    REFERER,
    USER_AGENT,
    HeaderName::from_static("sec-fetch-dest"),
    HeaderName::from_static("x-forwarded-proto"),
    HeaderName::from_static("x-forwarded-host"),
    crate::token_fallback::SEC_WEBSOCKET_PROTOCOL,
];

/// The part of a request the pipeline reads: method, URI and headers.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// The request's method.
    pub method: &'a Method,
    /// The request's URI, as the server received it (usually a path and query).
    pub uri: &'a Uri,
    /// The request's headers (at least those of [`REQUEST_HEADERS`]).
    pub headers: &'a HeaderMap,
}

impl<'a> RequestHead<'a> {
    /// A head from its parts.
    pub fn new(method: &'a Method, uri: &'a Uri, headers: &'a HeaderMap) -> Self {
        Self {
            method,
            uri,
            headers,
        }
    }
}

impl<'a> From<&'a http::request::Parts> for RequestHead<'a> {
    fn from(parts: &'a http::request::Parts) -> Self {
        Self::new(&parts.method, &parts.uri, &parts.headers)
    }
}

/// What to do with a request, as [`Pipeline::authenticate`] decided.
#[derive(Debug)]
pub enum Outcome {
    /// Call the handler: store the state, then add the headers to its response.
    Continue(Proceed),
    /// Answer now, without calling the handler.
    Respond(Answer),
}

/// A request that goes on to its handler (see [`Outcome::Continue`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct Proceed {
    /// Who the request is from; store it in the request for the extractors and guards.
    pub state: RequestState,
    /// Headers to add to the handler's response (appended: several `Set-Cookie` values stay
    /// several). Empty for most requests, and then free.
    pub response_headers: HeaderMap,
}

/// Adds `from` (a [`Proceed::response_headers`]) to a response's headers: appended, never
/// replacing, so that the handler's own `Set-Cookie` stays beside the pipeline's. (`HeaderMap`'s
/// `extend` would replace a name's values.)
pub fn append_headers(to: &mut HeaderMap, from: &HeaderMap) {
    for (name, value) in from {
        to.append(name, value.clone());
    }
}

/// An answer the pipeline gives itself, without the handler (see [`Outcome::Respond`], and
/// [`Pipeline::page_answer`]): a status, headers and a body (empty but for a page's 403).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Answer {
    /// The status, e.g. `307 Temporary Redirect`.
    pub status: StatusCode,
    /// The headers, e.g. `Location` and `Cache-Control: no-store`.
    pub headers: HeaderMap,
    /// The body: empty for redirects (and for every [`Outcome::Respond`]), a small HTML page
    /// for a page's 403.
    pub body: String,
}

impl Answer {
    /// An answer.
    pub fn new(status: StatusCode, headers: HeaderMap, body: String) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// The answer as an `http` response with `body` (an empty one, in the framework's body
    /// type).
    pub fn into_response<B>(self, body: B) -> http::Response<B> {
        let mut response = http::Response::new(body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

/// The request pipeline: authenticates each request with its [`ClerkOptions`], and decides for
/// the extractors and guards. Cheap to clone (an `Arc` inside): store a clone in each request.
#[derive(Clone)]
pub struct Pipeline {
    options: Arc<ClerkOptions>,
}

impl Pipeline {
    /// A pipeline with these options; a [`Clerk`] converts to its default options.
    pub fn new(options: impl Into<ClerkOptions>) -> Self {
        Self {
            options: Arc::new(options.into()),
        }
    }

    /// Its options.
    pub fn options(&self) -> &ClerkOptions {
        &self.options
    }

    /// The client it authenticates with.
    pub fn clerk(&self) -> &Clerk {
        self.options.clerk()
    }

    /// The users loaded by the `ClerkUser` extractor, shared by every clone of the pipeline:
    /// invalidate a user after changing it so that the next request sees the change.
    pub fn user_cache(&self) -> &UserCache<Arc<User>> {
        self.options.user_cache()
    }

    /// Decides what to do with a request, before its handler (see the [module
    /// documentation](self)).
    ///
    /// The whole decision, the requests [`authenticate_now`](Self::authenticate_now) answers
    /// included (with the same answer): an adapter that asked it first does not ask it again.
    pub async fn authenticate(&self, head: RequestHead<'_>) -> Outcome {
        self.outcome(crate::browser::authenticate(&self.options, head).await)
    }

    /// What [`authenticate`](Self::authenticate) answers, when that is known at once: the
    /// request's session token was verified before (a bearer token, or a cookie whose page
    /// needs no refresh, handshake or sync), so there is nothing to wait for. `None` otherwise.
    /// Adapters call it first and box the asynchronous `authenticate` only when it gives
    /// `None`: the common request then costs no allocation for its future.
    pub fn authenticate_now(&self, head: RequestHead<'_>) -> Option<Outcome> {
        crate::browser::authenticate_cached(&self.options, head)
            .map(|verdict| self.outcome(verdict))
    }

    /// The outcome of the browser-session rules' verdict, with the debug headers when on.
    fn outcome(&self, verdict: Verdict) -> Outcome {
        match verdict {
            Verdict::Proceed {
                state,
                headers: mut response_headers,
                reason,
            } => {
                if self.options.sends_debug_headers() {
                    let status = match &state {
                        RequestState::SignedOut(_) => "signed-out",
                        _ => "signed-in",
                    };
                    let reason = reason.or_else(|| match &state {
                        RequestState::SignedOut(why) => Some(why.reason().into()),
                        _ => None,
                    });
                    debug_headers(status, reason.as_deref(), &mut response_headers);
                }
                Outcome::Continue(Proceed {
                    state,
                    response_headers,
                })
            }
            Verdict::Redirect {
                mut headers,
                status,
                reason,
            } => {
                if self.options.sends_debug_headers() {
                    debug_headers(status, reason.as_deref(), &mut headers);
                }
                Outcome::Respond(Answer::new(
                    StatusCode::TEMPORARY_REDIRECT,
                    headers,
                    String::new(),
                ))
            }
        }
    }

    /// What a page request gets instead of `rejection`, when it is a page (a GET for a
    /// document, as for the handshake) and the answer is Clerk's full-stack one: signed out, a
    /// `307` to sign in with `redirect_url` back to the page (the configured sign-in URL, else
    /// the Account Portal; see [`Clerk::sign_in_page`]); signed in but refused by a guard, a
    /// `307` to [`ClerkOptions::unauthorized_url`] or a small 403 HTML page. `None` for API
    /// calls and for every other refusal (503 included): they keep their JSON answer. Adapters
    /// answer with it when the application set no `on_rejection` hook.
    pub fn page_answer(&self, head: RequestHead<'_>, rejection: &Rejection) -> Option<Answer> {
        crate::browser::page_answer(&self.options, head, rejection)
    }

    /// A `307` to the sign-in page with `redirect_url` back to this request's URL, built as
    /// Clerk's `redirectToSignIn` builds it; `None` without a sign-in page (no publishable key
    /// and no sign-in URL) or a usable request URL.
    pub fn redirect_to_sign_in(&self, head: RequestHead<'_>) -> Option<Answer> {
        use crate::browser::{Page, auth_redirect};
        auth_redirect(&self.options, head, Page::SignIn, false)
    }

    /// A `307` to the sign-up page, as [`redirect_to_sign_in`](Self::redirect_to_sign_in).
    pub fn redirect_to_sign_up(&self, head: RequestHead<'_>) -> Option<Answer> {
        use crate::browser::{Page, auth_redirect};
        auth_redirect(&self.options, head, Page::SignUp, false)
    }

    /// A verified webhook `delivery` arrived: a `user.*` event (`user.created`,
    /// `user.updated`, `user.deleted`) drops that user from the `ClerkUser` cache, so that the
    /// next request of the user sees the change.
    pub async fn webhook_received(&self, delivery: &Delivery) {
        if delivery.event.event_type().starts_with("user.")
            && let Some(user_id) = delivery.event.data.user_id()
        {
            self.options.user_cache().invalidate(user_id).await;
        }
    }
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pipeline").field(&self.options).finish()
    }
}

/// What an adapter's layer holds, and leaves in each request beside its [`RequestState`]: the
/// [`Pipeline`] and the framework's `on_rejection` hook `H`, if any. Cheap to clone (one `Arc`).
pub struct Installed<H> {
    shared: Arc<(Pipeline, Option<H>)>,
}

impl<H> Installed<H> {
    /// A pipeline with these options, without a hook.
    pub fn new(options: impl Into<ClerkOptions>) -> Self {
        Self {
            shared: Arc::new((Pipeline::new(options), None)),
        }
    }

    /// The same pipeline, with `hook`.
    pub fn with_hook(&self, hook: H) -> Self {
        Self {
            shared: Arc::new((self.pipeline().clone(), Some(hook))),
        }
    }

    /// The pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.shared.0
    }

    /// The hook, if there is one.
    pub fn hook(&self) -> Option<&H> {
        self.shared.1.as_ref()
    }
}

impl<H> Clone for Installed<H> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<H> fmt::Debug for Installed<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Installed")
            .field("options", self.pipeline().options())
            .field("on_rejection", &self.hook().is_some())
            .finish()
    }
}

/// The header that says `signed-in` or `signed-out` (see
/// [`ClerkOptions::debug_headers`](crate::options::ClerkOptions::debug_headers)).
pub const AUTH_STATUS_HEADER: &str = "x-clerk-auth-status";
/// The header that says why a request is signed out.
pub const AUTH_REASON_HEADER: &str = "x-clerk-auth-reason";

/// Clerk's debug headers: the status (`signed-in`, which a machine token counts as, as in
/// Clerk's SDKs; `signed-out`; `handshake`) and Clerk's reason, if any.
fn debug_headers(status: &'static str, reason: Option<&str>, headers: &mut HeaderMap) {
    if let Some(reason) = reason.and_then(|reason| HeaderValue::from_str(reason).ok()) {
        headers.insert(HeaderName::from_static(AUTH_REASON_HEADER), reason);
    }
    headers.insert(
        HeaderName::from_static(AUTH_STATUS_HEADER),
        HeaderValue::from_static(status),
    );
}

/// What the pipeline stored in a request, as an extractor or guard finds it: every decision of
/// an extractor or guard is a method here, and a refusal is a [`Rejection`].
#[derive(Debug, Clone, Copy)]
pub struct RequestAuth<'a> {
    state: &'a RequestState,
    pipeline: &'a Pipeline,
}

impl<'a> RequestAuth<'a> {
    /// What an adapter's layer stored ([`Installed`]), or the 500 `missing_clerk_layer`
    /// rejection naming it (see [`find`](Self::find)).
    pub fn installed<H>(
        state: Option<&'a RequestState>,
        installed: Option<&'a Installed<H>>,
        missing: &str,
    ) -> Result<Self, Rejection> {
        Self::find(state, installed.map(Installed::pipeline), missing)
    }

    /// What the layer stored, or the 500 `missing_clerk_layer` rejection; `missing` names the
    /// layer and how to add it, e.g.
    /// `` "ClerkLayer (add `.layer(ClerkLayer::new(clerk))` to the router)" ``.
    pub fn find(
        state: Option<&'a RequestState>,
        pipeline: Option<&'a Pipeline>,
        missing: &str,
    ) -> Result<Self, Rejection> {
        match (state, pipeline) {
            (Some(state), Some(pipeline)) => Ok(Self { state, pipeline }),
            _ => Err(Rejection::missing_layer(missing)),
        }
    }

    /// The request's state.
    pub fn state(&self) -> &'a RequestState {
        self.state
    }

    /// The pipeline that authenticated the request.
    pub fn pipeline(&self) -> &'a Pipeline {
        self.pipeline
    }

    /// The client, for Backend API calls.
    pub fn clerk(&self) -> &'a Clerk {
        self.pipeline.clerk()
    }

    /// A guard: whether the request meets `requirement` (see [`guard::check`]).
    pub fn require(&self, requirement: &Requirement) -> Result<(), Rejection> {
        guard::check(self.state, requirement)
    }

    /// A route that needs a session (a machine's token is 401 `token-type-mismatch`).
    pub fn session(&self) -> Result<&'a Auth, Rejection> {
        self.require(&Requirement::signed_in())?;
        self.state.auth().ok_or_else(Rejection::forbidden)
    }

    /// A route that may be signed out: the session, or `None` for every signed-out reason and
    /// for machines; 503 still refuses (see [`guard::optional`]).
    pub fn optional_session(&self) -> Result<Option<&'a Auth>, Rejection> {
        guard::optional(self.state)
    }

    /// A route that needs a machine token (a session is 401 `token-type-mismatch`).
    pub fn machine(&self) -> Result<&'a MachineAuth, Rejection> {
        self.require(&Requirement::machine())?;
        self.state.machine().ok_or_else(Rejection::forbidden)
    }

    /// A route that may come without a machine token: `None` when signed out or a session; 503
    /// still refuses, as [`optional_session`](Self::optional_session).
    pub fn optional_machine(&self) -> Result<Option<&'a MachineAuth>, Rejection> {
        self.optional_caller()
            .map(|caller| caller.and_then(|_| self.state.machine()))
    }

    /// A route that takes any authenticated caller, session or machine.
    pub fn caller(&self) -> Result<Caller, Rejection> {
        guard::caller(self.state)
    }

    /// A route that takes any caller and may be signed out (503 still refuses).
    pub fn optional_caller(&self) -> Result<Option<Caller>, Rejection> {
        match guard::caller(self.state) {
            Ok(caller) => Ok(Some(caller)),
            Err(rejection) if rejection.kind().is_unavailable() => Err(rejection),
            Err(_) => Ok(None),
        }
    }

    /// The user of a route that needs a session: the lookup to make (it owns all it needs, so
    /// it can outlive the request's borrow), or the session's rejection.
    pub fn user(&self) -> Result<UserLoad, Rejection> {
        Ok(self.load(self.session()?))
    }

    /// The user of a route that may be signed out: `None` when signed out.
    pub fn optional_user(&self) -> Result<Option<UserLoad>, Rejection> {
        Ok(self.optional_session()?.map(|auth| self.load(auth)))
    }

    fn load(&self, auth: &Auth) -> UserLoad {
        UserLoad {
            pipeline: self.pipeline.clone(),
            user_id: auth.user_id().to_owned(),
        }
    }
}

/// The Backend API lookup of a signed-in request's user (see [`RequestAuth::user`]).
#[derive(Debug, Clone)]
pub struct UserLoad {
    pipeline: Pipeline,
    user_id: String,
}

impl UserLoad {
    /// The user; a user the Backend API no longer knows is 401 `user-not-found` (see
    /// [`UserLookup::required`](crate::user_cache::UserLookup::required)).
    pub async fn required(self) -> Result<Arc<User>, Rejection> {
        let options = self.pipeline.options();
        let users = options.user_lookup();
        users.required(options.clerk(), &self.user_id).await
    }

    /// The user, or `None` when the Backend API no longer knows it (see
    /// [`UserLookup::optional`](crate::user_cache::UserLookup::optional)).
    pub async fn optional(self) -> Result<Option<Arc<User>>, Rejection> {
        let options = self.pipeline.options();
        let users = options.user_lookup();
        users.optional(options.clerk(), &self.user_id).await
    }
}

/// A webhook route's side of one request: the adapters' webhook layer makes one per request
/// and stores it in the request; the `ClerkWebhook` extractor [`receive`](Self::receive)s the
/// delivery with it; once the handler answered, the layer reports the status through the
/// request's [`WebhookAnswer`], and an accepted (2xx) delivery is remembered for replay
/// protection. Cheap to clone; clones share the delivery's id.
#[derive(Clone, Debug)]
pub struct WebhookReceiver {
    webhook: Arc<Webhook>,
    received: Arc<Mutex<Option<String>>>,
}

impl WebhookReceiver {
    /// The receiver of one request on a route verified with `webhook`, and the guard its layer
    /// keeps until the handler answered.
    pub fn new(webhook: Arc<Webhook>) -> (Self, WebhookAnswer) {
        let receiver = Self {
            webhook,
            received: Arc::default(),
        };
        (receiver.clone(), WebhookAnswer(receiver))
    }

    /// The most body bytes to read ([`Webhook::body_limit`]).
    pub fn body_limit(&self) -> usize {
        self.webhook.body_limit()
    }

    /// The delivery, or the rejection to answer with: 400 with the
    /// [`WebhookError`](crate::webhooks::WebhookError)'s code when it does not verify (`body`
    /// is `None` when it could not be read within [`body_limit`](Self::body_limit) bytes), and,
    /// with replay protection, the 200 `webhook_replayed` "rejection" for a delivery a handler
    /// already accepted or is handling now (the handler is not called again).
    pub fn receive(&self, headers: &HeaderMap, body: Option<&[u8]>) -> Result<Delivery, Rejection> {
        let received = match body {
            Some(body) => self.webhook.receive(headers, body),
            None => Err(crate::webhooks::WebhookError::BodyTooLarge {
                max: self.webhook.body_limit(),
            }),
        };
        let delivery = received.map_err(|error| Rejection::invalid_webhook(&error))?;
        if !self.webhook.reserve(&delivery.id) {
            return Err(Rejection::webhook_replayed());
        }
        if self.webhook.protects_replays()
            && let Ok(mut received) = self.received.lock()
        {
            *received = Some(delivery.id.clone());
        }
        Ok(delivery)
    }

    /// The delivery this request reserved, if any (taken: reported once).
    fn take(&self) -> Option<String> {
        self.received.lock().ok().and_then(|mut id| id.take())
    }
}

/// What a webhook layer keeps while the handler runs (see [`WebhookReceiver::new`]): report the
/// handler's status with [`answered`](Self::answered); dropped without it (the handler failed
/// with an error, or the request was abandoned), the delivery's reservation is released, so that
/// Svix's retry reaches the handler.
#[derive(Debug)]
pub struct WebhookAnswer(WebhookReceiver);

impl WebhookAnswer {
    /// The handler answered with `status`: a delivery it accepted (2xx) is remembered, any
    /// other answer releases it.
    pub fn answered(self, status: u16) {
        if let Some(id) = self.0.take() {
            if (200..300).contains(&status) {
                self.0.webhook.accepted(&id);
            } else {
                self.0.webhook.release(&id);
            }
        }
    }
}

impl Drop for WebhookAnswer {
    fn drop(&mut self) {
        if let Some(id) = self.0.take() {
            self.0.webhook.release(&id);
        }
    }
}

/// A refusal on its way to a response: the [`Rejection`], and the application's own answer
/// to it when the adapter's `on_rejection` hook made one (`A` is the framework's answer type).
/// The adapters' rejection types wrap it.
pub struct Refusal<A> {
    rejection: Rejection,
    answer: Option<A>,
}

impl<A> Refusal<A> {
    /// A refusal, with the hook's answer if there is one.
    pub fn new(rejection: Rejection, answer: Option<A>) -> Self {
        Self { rejection, answer }
    }

    /// The rejection.
    pub fn rejection(&self) -> &Rejection {
        &self.rejection
    }

    /// The hook's answer, if any.
    pub fn answer(&self) -> Option<&A> {
        self.answer.as_ref()
    }

    /// The rejection and the hook's answer.
    pub fn into_parts(self) -> (Rejection, Option<A>) {
        (self.rejection, self.answer)
    }
}

impl<A> fmt::Debug for Refusal<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refusal")
            .field("rejection", &self.rejection)
            .field("hooked", &self.answer.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authenticate::SignedOut;
    use crate::error::{JwksError, VerifyError};
    use crate::rejection::{LookupFailure, RejectionKind};

    fn pipeline() -> Pipeline {
        let clerk = Clerk::builder()
            .secret_key("sk_test_x")
            .build()
            .expect("valid");
        Pipeline::new(clerk)
    }

    #[test]
    fn a_missing_layer_is_500_naming_it() {
        let pipeline = pipeline();
        let state = RequestState::SignedOut(SignedOut::NoToken);
        for (state, pipeline) in [(None, Some(&pipeline)), (Some(&state), None), (None, None)] {
            let rejection = RequestAuth::find(state, pipeline, "TheLayer").expect_err("500");
            assert_eq!(rejection.kind(), RejectionKind::MissingLayer);
            assert_eq!(rejection.status(), 500);
            assert!(rejection.message().contains("TheLayer"));
        }
    }

    #[test]
    fn signed_out_is_401_when_required_and_none_when_optional_but_an_outage_is_503() {
        let pipeline = pipeline();
        let expired = RequestState::SignedOut(SignedOut::Token(VerifyError::Expired));
        let auth = RequestAuth::find(Some(&expired), Some(&pipeline), "x").expect("installed");
        let required = auth.session().expect_err("rejected");
        assert_eq!(required.kind(), RejectionKind::SignedOut);
        assert_eq!(required.code(), "token-expired");
        assert!(auth.optional_session().expect("allowed").is_none());
        assert!(auth.optional_user().expect("allowed").is_none());
        assert!(auth.user().is_err());

        let outage = RequestState::SignedOut(SignedOut::Token(VerifyError::KeysUnavailable(
            JwksError::Unreachable("refused".into()),
        )));
        let auth = RequestAuth::find(Some(&outage), Some(&pipeline), "x").expect("installed");
        for rejection in [
            auth.session().expect_err("rejected"),
            auth.optional_session().expect_err("rejected"),
            auth.optional_user().expect_err("rejected"),
            auth.optional_caller().expect_err("rejected"),
        ] {
            assert_eq!(rejection.kind(), RejectionKind::KeysUnavailable);
        }
    }

    #[tokio::test]
    async fn debug_headers_say_why_and_are_off_by_default() {
        let clerk = Clerk::builder()
            .secret_key("sk_test_x")
            .build()
            .expect("valid");
        let (method, uri, headers) = (Method::GET, Uri::from_static("/"), HeaderMap::new());
        let head = RequestHead::new(&method, &uri, &headers);
        for (on, expected) in [
            (false, vec![]),
            (
                true,
                vec![
                    (AUTH_REASON_HEADER, "session-token-and-uat-missing"),
                    (AUTH_STATUS_HEADER, "signed-out"),
                ],
            ),
        ] {
            let pipeline = Pipeline::new(ClerkOptions::new(clerk.clone()).debug_headers(on));
            let Outcome::Continue(proceed) = pipeline.authenticate(head).await else {
                panic!("an API request is never answered by the pipeline");
            };
            let mut got: Vec<_> = proceed
                .response_headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.to_str().expect("ASCII")))
                .collect();
            got.sort();
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn a_refusal_keeps_the_hooks_answer() {
        let refusal = Refusal::new(Rejection::from(LookupFailure::Failed), Some("mine"));
        assert_eq!(refusal.answer(), Some(&"mine"));
        assert!(format!("{refusal:?}").contains("hooked: true"));
        let (rejection, answer) = refusal.into_parts();
        assert_eq!((rejection.status(), answer), (502, Some("mine")));
    }
}
