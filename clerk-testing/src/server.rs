//! The LocalClerk HTTP server.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use clerk_core::{Clerk, ClerkBuilder};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;

use crate::generated::operations::OPERATIONS;
use crate::keys::SigningKey;
use crate::store::{NewUser, Store};
use crate::token::TokenBuilder;
use clerk_core::models::{
    Metadata, Organization, OrganizationMembership, Session, SessionStatus, User,
};

/// A fault to inject into the JWKS endpoint or the Backend API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this HTTP status and a Clerk error body.
    Status(u16),
    /// Answer with this HTTP status and an HTML page, not Clerk's error body, as a server that
    /// is not the Backend API does (a wrong `CLERK_API_URL`, a proxy's own error page).
    NotClerk(u16),
    /// Never answer (the request hangs until the client gives up).
    Hang,
    /// Close the connection without answering.
    Close,
    /// Answer normally after this delay.
    Delay(Duration),
    /// Answer 429 with `Retry-After` in seconds, as Clerk's rate limiter does.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
}

/// A random lowercase alphanumeric string.
pub(crate) fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    // The system's randomness does not fail on supported platforms.
    aws_lc_rs::rand::fill(&mut bytes).expect("system randomness");
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// State shared by the server and the handles.
pub(crate) struct Shared {
    secret_key: String,
    publishable_key: String,
    frontend_api: String,
    jwk_alg: Option<String>,
    extra_jwks: Vec<serde_json::Value>,
    keys: Mutex<Vec<Arc<SigningKey>>>,
    jwks_requests: AtomicUsize,
    jwks_fault: Mutex<Option<Fault>>,
    api_fault: Mutex<Option<Fault>>,
    calls: Mutex<HashMap<&'static str, usize>>,
    store: Mutex<Store>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(crate) fn issuer(&self) -> String {
        format!("https://{}", self.frontend_api)
    }

    /// The key new tokens are signed with (the last one added).
    pub(crate) fn current_key(&self) -> Arc<SigningKey> {
        lock(&self.keys)
            .last()
            .cloned()
            .expect("a LocalClerk always has a key")
    }

    fn jwks(&self) -> serde_json::Value {
        let mut keys = self.extra_jwks.clone();
        keys.extend(
            lock(&self.keys)
                .iter()
                .map(|k| k.jwk(self.jwk_alg.as_deref())),
        );
        serde_json::json!({ "keys": keys })
    }
}

/// Configures a [`LocalClerk`] before it starts.
#[derive(Debug, Clone, Default)]
pub struct LocalClerkBuilder {
    kid: Option<String>,
    frontend_api: Option<String>,
    jwk_alg: Option<Option<String>>,
    extra_jwks: Vec<serde_json::Value>,
    port: u16,
}

impl LocalClerkBuilder {
    /// The key id of the first signing key (default `ins_local_<random>`). Two instances with the
    /// same key id are how tests prove that caches are scoped per instance.
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The Frontend API host, which names the issuer (default `<random>.clerk.localhost`).
    pub fn frontend_api(mut self, host: impl Into<String>) -> Self {
        self.frontend_api = Some(host.into());
        self
    }

    /// The `alg` published with each JWK (default `RS256`, as Clerk); `None` publishes keys
    /// not bound to one algorithm.
    pub fn jwk_alg(mut self, alg: Option<&str>) -> Self {
        self.jwk_alg = Some(alg.map(str::to_owned));
        self
    }

    /// The port to listen on (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Publishes an extra JWK before the instance's own keys (e.g. an EC or a symmetric key, to
    /// check that clients skip what they cannot use).
    pub fn extra_jwk(mut self, jwk: serde_json::Value) -> Self {
        self.extra_jwks.push(jwk);
        self
    }

    /// Binds 127.0.0.1 on a free port and starts serving.
    pub async fn start(self) -> std::io::Result<LocalClerk> {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let id = random_id(8);
        let frontend_api = self
            .frontend_api
            .unwrap_or_else(|| format!("{id}.clerk.localhost"));
        let publishable_key = format!(
            "pk_test_{}",
            base64::engine::general_purpose::STANDARD.encode(format!("{frontend_api}$"))
        );
        let kid = self.kid.unwrap_or_else(|| format!("ins_local_{id}"));
        let shared = Arc::new(Shared {
            secret_key: format!("sk_test_local_{}", random_id(32)),
            publishable_key,
            frontend_api,
            jwk_alg: self.jwk_alg.unwrap_or(Some("RS256".into())),
            extra_jwks: self.extra_jwks,
            keys: Mutex::new(vec![Arc::new(SigningKey::generate(kid))]),
            jwks_requests: AtomicUsize::new(0),
            jwks_fault: Mutex::new(None),
            api_fault: Mutex::new(None),
            calls: Mutex::new(HashMap::new()),
            store: Mutex::new(Store::default()),
        });
        let task = tokio::spawn(serve(listener, shared.clone()));
        Ok(LocalClerk {
            shared,
            addr,
            server: Arc::new(ServerTask(Mutex::new(Some(task)))),
        })
    }
}

/// Aborts the server when the last handle goes.
struct ServerTask(Mutex<Option<JoinHandle<()>>>);

impl Drop for ServerTask {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.0).take() {
            task.abort();
        }
    }
}

/// A local Clerk: an HTTP server on 127.0.0.1 that holds an RSA key pair, serves `/v1/jwks`
/// (requiring its secret key, as Clerk does) and mints session tokens exactly as Clerk does.
///
/// Cheap to clone; the server stops when the last clone is dropped or on [`shutdown`](Self::shutdown).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let local = clerk_testing::LocalClerk::start().await;
/// let clerk = local.clerk();
/// let token = local.token("user_123").mint();
/// let claims = clerk.verify_token(&token).await.unwrap();
/// assert_eq!(claims.user_id(), "user_123");
/// # }
/// ```
#[derive(Clone)]
pub struct LocalClerk {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: Arc<ServerTask>,
}

impl LocalClerk {
    /// Starts an instance with default settings.
    ///
    /// # Panics
    /// If no port on 127.0.0.1 can be bound; use [`builder`](Self::builder) to handle that error.
    pub async fn start() -> Self {
        Self::builder()
            .start()
            .await
            .expect("LocalClerk could not bind a port on 127.0.0.1")
    }

    /// A builder for an instance with custom settings.
    pub fn builder() -> LocalClerkBuilder {
        LocalClerkBuilder::default()
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Backend API base URL (`http://127.0.0.1:<port>`), for `CLERK_API_URL`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The instance's secret key.
    pub fn secret_key(&self) -> &str {
        &self.shared.secret_key
    }

    /// The instance's publishable key.
    pub fn publishable_key(&self) -> &str {
        &self.shared.publishable_key
    }

    /// The Frontend API host named by the publishable key.
    pub fn frontend_api(&self) -> &str {
        &self.shared.frontend_api
    }

    /// The issuer (`iss`) of this instance's tokens.
    pub fn issuer(&self) -> String {
        self.shared.issuer()
    }

    /// The current signing key's id.
    pub fn kid(&self) -> String {
        self.shared.current_key().kid.clone()
    }

    /// The current signing key's public key as PEM, for `CLERK_JWT_KEY`.
    pub fn public_key_pem(&self) -> String {
        self.shared.current_key().public_pem().to_owned()
    }

    /// A [`ClerkBuilder`] pointed at this instance (secret key, publishable key, API URL).
    pub fn clerk_builder(&self) -> ClerkBuilder {
        Clerk::builder()
            .secret_key(self.secret_key())
            .publishable_key(self.publishable_key())
            .api_url(self.api_url())
    }

    /// A [`Clerk`] client pointed at this instance.
    pub fn clerk(&self) -> Clerk {
        self.clerk_builder()
            .build()
            .expect("LocalClerk's own keys and URL are valid")
    }

    /// Starts a session token for `user_id`; finish it with [`TokenBuilder::mint`].
    pub fn token(&self, user_id: impl Into<String>) -> TokenBuilder {
        TokenBuilder::new(self.shared.clone(), user_id.into())
    }

    /// Replaces the signing keys with a new one (new key id); tokens signed before no longer verify.
    pub fn rotate_keys(&self) -> String {
        let kid = format!("ins_local_{}", random_id(8));
        *lock(&self.shared.keys) = vec![Arc::new(SigningKey::generate(kid.clone()))];
        kid
    }

    /// Adds a new signing key (new key id) and keeps publishing the old ones, as Clerk does
    /// during a rotation. New tokens are signed with the new key.
    pub fn add_key(&self) -> String {
        let kid = format!("ins_local_{}", random_id(8));
        lock(&self.shared.keys).push(Arc::new(SigningKey::generate(kid.clone())));
        kid
    }

    /// The JSON Web Key Set that `/v1/jwks` serves now.
    pub fn jwks_json(&self) -> serde_json::Value {
        self.shared.jwks()
    }

    /// How many requests `/v1/jwks` has received (including failed ones).
    pub fn jwks_requests(&self) -> usize {
        self.shared.jwks_requests.load(Ordering::SeqCst)
    }

    /// How many requests an operation has received, by its operation id in the spec (`GetUser`,
    /// `CreateOrganization`, `GetJWKS`, ...), whether LocalClerk emulates it or not.
    pub fn calls(&self, operation_id: &str) -> usize {
        lock(&self.shared.calls)
            .get(operation_id)
            .copied()
            .unwrap_or(0)
    }

    /// Makes every Backend API route but `/v1/jwks` fail, slow down or rate-limit (or recover,
    /// with `None`).
    pub fn set_api_fault(&self, fault: Option<Fault>) {
        *lock(&self.shared.api_fault) = fault;
    }

    /// Creates a user as `POST /v1/users` would.
    ///
    /// # Panics
    /// If Clerk would refuse it (an email address or username already taken, a malformed email).
    pub fn create_user(&self, user: NewUser) -> User {
        self.shared
            .store()
            .create_user(user)
            .unwrap_or_else(|f| panic!("create_user: {}", f.message))
    }

    /// Creates an organization (its slug derived from the name) as `POST /v1/organizations` would.
    ///
    /// # Panics
    /// If Clerk would refuse it (an empty name, a slug already taken).
    pub fn create_organization(&self, name: &str) -> Organization {
        self.shared
            .store()
            .create_organization(
                name.to_owned(),
                None,
                None,
                Metadata::new(),
                Metadata::new(),
                0,
            )
            .unwrap_or_else(|f| panic!("create_organization: {}", f.message))
    }

    /// Adds a user to an organization with a role (`org:admin`, `org:member`, ...).
    ///
    /// # Panics
    /// If the user or organization does not exist, or the user is already a member.
    pub fn add_member(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
    ) -> OrganizationMembership {
        self.shared
            .store()
            .add_member(
                organization_id,
                user_id,
                role,
                Metadata::new(),
                Metadata::new(),
            )
            .unwrap_or_else(|f| panic!("add_member: {}", f.message))
    }

    /// The permissions (`org:<feature>:<permission>`) a role grants; they go into memberships
    /// and into the session tokens of members with an active organization.
    pub fn set_role_permissions<I, S>(&self, role: &str, permissions: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let permissions: Vec<String> = permissions.into_iter().map(Into::into).collect();
        let mut store = self.shared.store();
        for membership in store.memberships.values_mut().filter(|m| m.role == role) {
            membership.permissions = permissions.clone();
        }
        store.role_permissions.insert(role.to_owned(), permissions);
    }

    /// Signs a user in (no active organization): a new active session and its session token.
    ///
    /// # Panics
    /// If the user does not exist.
    pub fn sign_in(&self, user_id: &str) -> SignIn {
        self.start_session(user_id, None)
    }

    /// Signs a user in with an organization active: the token carries the organization, the
    /// user's role and the role's permissions, as Clerk's v2 tokens do.
    ///
    /// # Panics
    /// If the user or organization does not exist, or the user is not a member.
    pub fn sign_in_to_org(&self, user_id: &str, organization_id: &str) -> SignIn {
        self.start_session(user_id, Some(organization_id))
    }

    fn start_session(&self, user_id: &str, organization_id: Option<&str>) -> SignIn {
        let session = self
            .shared
            .store()
            .create_session(user_id, organization_id)
            .unwrap_or_else(|f| panic!("sign_in: {}", f.message));
        let token = self
            .session_token(&session.id)
            .expect("a new session is active")
            .mint();
        SignIn { session, token }
    }

    /// A fresh session token for an existing session, pre-filled as Clerk would issue it (user,
    /// session, active organization with role and permissions); finish it with
    /// [`TokenBuilder::mint`]. `None` when Clerk would issue none: the session is revoked or
    /// ended, or its user was deleted.
    pub fn session_token(&self, session_id: &str) -> Option<TokenBuilder> {
        let store = self.shared.store();
        let session = store.sessions.get(session_id)?;
        if session.status != SessionStatus::Active || !store.users.contains_key(&session.user_id) {
            return None;
        }
        let mut token =
            TokenBuilder::new(self.shared.clone(), session.user_id.clone()).session_id(&session.id);
        if let Some(org) = &session.last_active_organization_id
            && let Ok(membership) = store.membership(org, &session.user_id)
        {
            token = token.org(
                membership.organization.id.clone(),
                membership.organization.slug.clone(),
                membership.role.clone(),
                membership.permissions.clone(),
            );
        }
        Some(token)
    }

    /// Makes `/v1/jwks` fail (or recover, with `None`).
    pub fn set_jwks_fault(&self, fault: Option<Fault>) {
        *lock(&self.shared.jwks_fault) = fault;
    }

    /// Stops the server: the port is closed and every open connection dropped. Clients then see
    /// "connection refused", as when Clerk is unreachable.
    pub async fn shutdown(&self) {
        let task = lock(&self.server.0).take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }
}

impl std::fmt::Debug for LocalClerk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalClerk")
            .field("api_url", &self.api_url())
            .field("frontend_api", &self.shared.frontend_api)
            .finish_non_exhaustive()
    }
}

/// A signed-in session and its session token.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The session, as `GET /v1/sessions/{id}` returns it.
    pub session: Session,
    /// A session token for it (60 seconds, as Clerk's).
    pub token: String,
}

/// The connection was closed on purpose ([`Fault::Close`]).
#[derive(Debug)]
struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by fault injection")
    }
}

impl std::error::Error for Closed {}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let router = router(shared.clone());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let router = router.clone();
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                        let router = router.clone();
                        let shared = shared.clone();
                        async move { handle(shared, router, request.map(Body::new)).await }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// The operation a request is for: the spec path template that matches with the most literal
/// segments (`/users/count` before `/users/{user_id}`).
pub(crate) fn operation_for(method: &str, path: &str) -> Option<&'static str> {
    let path = path.strip_prefix("/v1")?;
    let segments: Vec<&str> = path.split('/').collect();
    OPERATIONS
        .iter()
        .filter(|(m, _, _)| *m == method)
        .filter_map(|(_, template, id)| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, *id))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, id)| id)
}

/// Counts the request, applies injected faults, then routes.
async fn handle(shared: Arc<Shared>, router: Router, request: Request) -> Result<Response, Closed> {
    let operation = operation_for(request.method().as_str(), request.uri().path());
    if let Some(id) = operation {
        *lock(&shared.calls).entry(id).or_default() += 1;
    }
    let fault = if request.uri().path() == "/v1/jwks" {
        shared.jwks_requests.fetch_add(1, Ordering::SeqCst);
        *lock(&shared.jwks_fault)
    } else {
        *lock(&shared.api_fault)
    };
    match fault {
        Some(Fault::Close) => return Err(Closed),
        Some(Fault::Hang) => std::future::pending::<()>().await,
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Status(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Ok(clerk_error(
                status,
                "internal_clerk_error",
                "Injected fault",
            ));
        }
        Some(Fault::NotClerk(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let page = format!("<html><body><h1>{status}</h1></body></html>");
            return Ok((status, [(header::CONTENT_TYPE, "text/html")], page).into_response());
        }
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut response = clerk_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "Too many requests",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_secs.into());
            return Ok(response);
        }
        None => {}
    }
    match router.oneshot(request).await {
        Ok(response) => Ok(response),
        Err(never) => match never {},
    }
}

/// A response in Clerk's error shape.
pub(crate) fn clerk_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "long_message": message, "code": code }],
        "clerk_trace_id": random_id(16),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn router(shared: Arc<Shared>) -> Router {
    crate::emulator::routes()
        .route("/v1/jwks", get(jwks))
        .fallback(not_implemented)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            require_secret_key,
        ))
        .with_state(shared)
}

async fn require_secret_key(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let authorized = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|key| key == shared.secret_key);
    if !authorized {
        return clerk_error(
            StatusCode::UNAUTHORIZED,
            "authentication_invalid",
            "Unable to authenticate the request, you need to supply an active key",
        );
    }
    next.run(request).await
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        shared.jwks().to_string(),
    )
        .into_response()
}

async fn not_implemented(request: Request) -> Result<Response, Infallible> {
    let (method, path) = (request.method().as_str(), request.uri().path());
    let message = match operation_for(method, path) {
        Some(id) => format!(
            "LocalClerk does not emulate {id} ({method} {path}); see the clerk-testing docs for the emulated operations"
        ),
        None => format!("{method} {path} is not an operation of the Clerk Backend API"),
    };
    let status = if operation_for(method, path).is_some() {
        StatusCode::NOT_IMPLEMENTED
    } else {
        StatusCode::NOT_FOUND
    };
    Ok(clerk_error(
        status,
        if status == StatusCode::NOT_FOUND {
            "resource_not_found"
        } else {
            "not_implemented"
        },
        &message,
    ))
}
