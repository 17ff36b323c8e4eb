//! [`LocalClerk`], the public handle of an instance, and its builder: configuration, keys,
//! tokens, faults, counters and the helpers that seed data and sign users in without HTTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use clerk_core::models::{
    CreateMachineResponse, GetApiKeyResponse, Metadata, Organization, OrganizationMembership,
    Session, User,
};
use clerk_core::{Clerk, ClerkBuilder};
use tokio::net::TcpListener;

use crate::fault::Fault;
use crate::ids::random_id;
use crate::keys::SigningKey;
use crate::server::ServerTask;
use crate::state::{Identity, Shared};
use crate::store::{DEFAULT_OAUTH_TTL_SECS, NewApiKey, NewUser, convert};
use crate::token::{self, TokenBuilder};
use crate::webhooks::{DEFAULT_RETRY_DELAYS, WebhookDelivery, WebhookEndpoint, Webhooks};

/// Configures a [`LocalClerk`] before it starts.
#[derive(Debug, Clone, Default)]
pub struct LocalClerkBuilder {
    kid: Option<String>,
    frontend_api: Option<String>,
    jwk_alg: Option<Option<String>>,
    extra_jwks: Vec<serde_json::Value>,
    port: u16,
    webhook_retry_delays: Option<Vec<Duration>>,
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

    /// The waits before retrying a webhook delivery that failed (a non-2xx answer or a
    /// transport error): one retry per wait. Default 100 ms, 500 ms, 2 s (Clerk's Svix waits
    /// seconds to hours); empty for no retries.
    pub fn webhook_retry_delays(mut self, delays: impl IntoIterator<Item = Duration>) -> Self {
        self.webhook_retry_delays = Some(delays.into_iter().collect());
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
        let identity = Identity {
            secret_key: format!("sk_test_local_{}", random_id(32)),
            publishable_key,
            frontend_api,
            jwk_alg: self.jwk_alg.unwrap_or(Some("RS256".into())),
            extra_jwks: self.extra_jwks,
        };
        let webhooks = Webhooks::new(
            format!("ins_local_{id}"),
            self.webhook_retry_delays
                .unwrap_or_else(|| DEFAULT_RETRY_DELAYS.to_vec()),
        );
        let shared = Arc::new(Shared::new(identity, SigningKey::generate(kid), webhooks));
        let server = ServerTask::start(listener, shared.clone());
        Ok(LocalClerk {
            shared,
            addr,
            server: Arc::new(server),
        })
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
        &self.shared.identity().secret_key
    }

    /// The instance's publishable key.
    pub fn publishable_key(&self) -> &str {
        &self.shared.identity().publishable_key
    }

    /// The Frontend API host named by the publishable key.
    pub fn frontend_api(&self) -> &str {
        &self.shared.identity().frontend_api
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
        self.shared.replace_keys(SigningKey::generate(kid.clone()));
        kid
    }

    /// Adds a new signing key (new key id) and keeps publishing the old ones, as Clerk does
    /// during a rotation. New tokens are signed with the new key.
    pub fn add_key(&self) -> String {
        let kid = format!("ins_local_{}", random_id(8));
        self.shared.add_key(SigningKey::generate(kid.clone()));
        kid
    }

    /// The JSON Web Key Set that `/v1/jwks` serves now.
    pub fn jwks_json(&self) -> serde_json::Value {
        self.shared.jwks()
    }

    /// How many requests `/v1/jwks` has received (including failed ones).
    pub fn jwks_requests(&self) -> usize {
        self.shared.jwks_requests()
    }

    /// How many requests an operation has received, by its operation id in the spec (`GetUser`,
    /// `CreateOrganization`, `GetJWKS`, ...), whether LocalClerk emulates it or not.
    pub fn calls(&self, operation_id: &str) -> usize {
        self.shared.calls(operation_id)
    }

    /// Makes every Backend API route but `/v1/jwks` fail, slow down or rate-limit (or recover,
    /// with `None`).
    pub fn set_api_fault(&self, fault: Option<Fault>) {
        self.shared.set_api_fault(fault);
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
        let permissions = permissions.into_iter().map(Into::into).collect();
        self.shared.store().set_role_permissions(role, permissions);
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
        let (session, membership) = self.shared.store().tokenable_session(session_id)?;
        let mut token =
            TokenBuilder::new(self.shared.clone(), session.user_id).session_id(session.id);
        if let Some(membership) = membership {
            token = token.org(
                membership.organization.id,
                membership.organization.slug,
                membership.role,
                membership.permissions,
            );
        }
        Some(token)
    }

    /// Creates a machine (`mch_…`); the answer carries its secret key (`ak_…`), which
    /// authenticates `createM2MToken` and `verifyM2MToken` as Clerk's machine secret keys do.
    pub fn create_machine(&self, name: &str) -> CreateMachineResponse {
        let instance_id = self.instance_id().to_owned();
        self.shared
            .store()
            .create_machine(&instance_id, name.to_owned(), Vec::new(), None)
            .unwrap_or_else(|f| panic!("create_machine: {}", f.message))
    }

    /// Lets machine `from` reach machine `to`: M2M tokens of `from` carry `to` in their scopes.
    ///
    /// # Panics
    /// If either machine does not exist.
    pub fn add_machine_scope(&self, from: &str, to: &str) {
        self.shared
            .store()
            .create_machine_scope(from, to)
            .unwrap_or_else(|f| panic!("add_machine_scope: {}", f.message));
    }

    /// Creates an API key for a subject (`user_…`, `org_…` or `mch_…`) with scopes; returns
    /// the key and its secret (`ak_…`), which `verifyApiKey` accepts.
    ///
    /// # Panics
    /// If the subject is not a user, organization or machine id.
    pub fn create_api_key<I, S>(
        &self,
        subject: &str,
        name: &str,
        scopes: I,
    ) -> (GetApiKeyResponse, String)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let created = self
            .shared
            .store()
            .create_api_key(NewApiKey {
                name: name.to_owned(),
                subject: subject.to_owned(),
                scopes: scopes.into_iter().map(Into::into).collect(),
                ..NewApiKey::default()
            })
            .unwrap_or_else(|f| panic!("create_api_key: {}", f.message));
        let secret = created.secret.clone();
        (convert(&created), secret)
    }

    /// Revokes an API key, as `revokeApiKey`: it still verifies, with `revoked: true`.
    ///
    /// # Panics
    /// If there is no such API key.
    pub fn revoke_api_key(&self, api_key_id: &str, reason: Option<&str>) {
        self.shared
            .store()
            .revoke_api_key(api_key_id, reason.map(str::to_owned))
            .unwrap_or_else(|f| panic!("revoke_api_key: {}", f.message));
    }

    /// Mints an opaque M2M token (`mt_…`) of a machine with these scopes (the ids of the
    /// machines it may reach), living `ttl_secs` seconds (zero or negative: already expired).
    ///
    /// # Panics
    /// If the machine does not exist.
    pub fn mint_m2m_token<I, S>(&self, machine_id: &str, scopes: I, ttl_secs: i64) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.shared
            .store()
            .create_m2m_token(
                machine_id,
                Some(scopes.into_iter().map(Into::into).collect()),
                None,
                Some(ttl_secs as f64),
            )
            .unwrap_or_else(|f| panic!("mint_m2m_token: {}", f.message))
            .token
    }

    /// Revokes an opaque M2M token by its secret, as `revokeM2MToken`: it still verifies, with
    /// `revoked: true`. Returns whether there was such a token.
    pub fn revoke_m2m_token(&self, token: &str, reason: Option<&str>) -> bool {
        let mut store = self.shared.store();
        let id = store
            .m2m_tokens
            .values()
            .find(|r| r.secret == token)
            .map(|r| r.token.id.clone());
        id.is_some_and(|id| {
            store
                .revoke_m2m_token(&id, reason.map(str::to_owned))
                .is_ok()
        })
    }

    /// Mints an M2M token in JWT form, as Clerk does for `token_format: jwt`: signed (RS256)
    /// with the instance's key, header `cat: cl_B7d4PD333AAA` ([`M2M_CATEGORY`](crate::M2M_CATEGORY)),
    /// claims `iss`, `sub` (the machine), `jti` (`mt_…`), `iat`, `nbf`, `exp` (`ttl_secs`
    /// after `iat`; negative for an expired token) and `scopes` (space-separated, when any).
    /// The machine need not exist.
    pub fn mint_m2m_jwt<I, S>(&self, machine_id: &str, scopes: I, ttl_secs: i64) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        token::m2m_jwt(&self.shared, machine_id, &scopes, None, ttl_secs).0
    }

    /// Mints an opaque OAuth access token (`oat_…`) that a user granted an OAuth application
    /// (`client_id`), with scopes, valid for a day; `verifyOAuthAccessToken` accepts it.
    pub fn mint_oauth_access_token<I, S>(&self, user_id: &str, client_id: &str, scopes: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.mint_oauth_access_token_with_ttl(user_id, client_id, scopes, DEFAULT_OAUTH_TTL_SECS)
    }

    /// [`mint_oauth_access_token`](Self::mint_oauth_access_token) living `ttl_secs` seconds
    /// (zero or negative: already expired, answered with `expired: true`).
    pub fn mint_oauth_access_token_with_ttl<I, S>(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: I,
        ttl_secs: i64,
    ) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes = scopes.into_iter().map(Into::into).collect();
        self.shared
            .store()
            .create_oauth_access_token(user_id, client_id, scopes, ttl_secs)
            .1
    }

    /// Revokes an opaque OAuth access token by its secret: it still verifies, with
    /// `revoked: true`. Returns whether there was such a token.
    pub fn revoke_oauth_access_token(&self, token: &str) -> bool {
        let mut store = self.shared.store();
        let id = store
            .oauth_access_tokens
            .values()
            .find(|r| r.secret == token)
            .map(|r| r.token.id.clone());
        id.is_some_and(|id| store.revoke_oauth_access_token(&id, None).is_ok())
    }

    /// Mints an OAuth access token in JWT form, as Clerk does: signed (RS256) with the
    /// instance's key, header `typ: at+jwt`, claims `iss`, `sub` (the user), `client_id`, `scp`
    /// (the scopes), `jti` (`oat_…`), `iat`, `nbf` and `exp` (`ttl_secs` after `iat`; negative
    /// for an expired token, which `verifyOAuthAccessToken` answers `{"active": false}`).
    pub fn mint_oauth_jwt<I, S>(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: I,
        ttl_secs: i64,
    ) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        token::oauth_jwt(&self.shared, user_id, client_id, &scopes, ttl_secs)
    }

    /// The instance id (`ins_local_<random>`), the `instance_id` of its webhook events.
    pub fn instance_id(&self) -> &str {
        self.shared.webhooks().instance_id()
    }

    /// Registers a webhook endpoint: from now on, every change LocalClerk makes (through the
    /// Backend API or the helpers) is POSTed to `url` as the event Clerk sends, signed with the
    /// endpoint's new secret ([`WebhookEndpoint::secret`], for the app's
    /// `CLERK_WEBHOOK_SIGNING_SECRET`) as Svix signs Clerk's webhooks.
    ///
    /// The events, their `data` the object as the Backend API returns it:
    ///
    /// | change | events |
    /// |---|---|
    /// | `CreateUser`, [`create_user`](Self::create_user) | `user.created` |
    /// | `UpdateUser`, `UpdateUserMetadata`, `BanUser`, `UnbanUser`, `LockUser`, `UnlockUser` | `user.updated` |
    /// | `DeleteUser` | `session.removed` for each of the user's active sessions, then `user.deleted` (`{"object": "user", "id", "deleted": true, "external_id"}`) |
    /// | `CreateOrganization`, [`create_organization`](Self::create_organization) | `organization.created`, then `organizationMembership.created` for `created_by` |
    /// | `UpdateOrganization`, `MergeOrganizationMetadata` | `organization.updated` |
    /// | `DeleteOrganization` | `organization.deleted` (`{"object": "organization", "id", "slug", "deleted": true}`) |
    /// | `CreateOrganizationMembership`, [`add_member`](Self::add_member) | `organizationMembership.created` |
    /// | `UpdateOrganizationMembership` | `organizationMembership.updated` |
    /// | `DeleteOrganizationMembership` | `organizationMembership.deleted` (the membership removed) |
    /// | [`sign_in`](Self::sign_in), [`sign_in_to_org`](Self::sign_in_to_org) | `session.created` (the session and its `user`) |
    /// | `RevokeSession` | `session.revoked` (the session and its `user`) |
    ///
    /// Instance invitations (`CreateInvitation`, `RevokeInvitation`) have no webhook event in
    /// Clerk, and send none; the memberships an organization's or a user's deletion takes with
    /// it send no `organizationMembership.deleted`.
    ///
    /// The body is `{"data", "object": "event", "type", "timestamp" (Unix milliseconds),
    /// "instance_id", "event_attributes": {"http_request": {"client_ip", "user_agent"}}}`, the
    /// request being the Backend API request that made the change (`127.0.0.1` and
    /// `LocalClerk` for the helpers). The headers are Svix's: `svix-id` (the message id, the
    /// same in every attempt and to every endpoint), `svix-timestamp` (Unix seconds) and
    /// `svix-signature` (`v1,` and the base64 of the HMAC-SHA256 of `{id}.{timestamp}.{body}`
    /// keyed with the base64-decoded secret after `whsec_`).
    ///
    /// Delivery runs in the background (the change's response does not wait for it), one
    /// message at a time per endpoint, in the order of the changes. A non-2xx answer or a
    /// transport error is retried after each of the
    /// [retry delays](LocalClerkBuilder::webhook_retry_delays), with the same `svix-id` and a
    /// new timestamp and signature. [`webhook_deliveries`](Self::webhook_deliveries) and
    /// [`wait_for_webhook_deliveries`](Self::wait_for_webhook_deliveries) show every attempt.
    ///
    /// # Panics
    /// Outside a Tokio runtime, when the instance was not started in one either.
    pub fn add_webhook_endpoint(&self, url: impl Into<String>) -> WebhookEndpoint {
        self.shared.webhooks().add_endpoint(url.into())
    }

    /// Unregisters a webhook endpoint by id; messages already queued for it are still
    /// delivered. `false` if there was none.
    pub fn remove_webhook_endpoint(&self, endpoint_id: &str) -> bool {
        self.shared.webhooks().remove_endpoint(endpoint_id)
    }

    /// The registered webhook endpoints.
    pub fn webhook_endpoints(&self) -> Vec<WebhookEndpoint> {
        self.shared.webhooks().endpoints()
    }

    /// Every webhook delivery attempt so far, in the order they were made.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared.webhooks().deliveries()
    }

    /// Waits until at least `count` webhook delivery attempts were made (retries count), or
    /// `timeout` passes; then every attempt so far, as
    /// [`webhook_deliveries`](Self::webhook_deliveries) (fewer than `count` after a timeout).
    pub async fn wait_for_webhook_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<WebhookDelivery> {
        self.shared
            .webhooks()
            .wait_for_deliveries(count, timeout)
            .await
    }

    /// Makes `/v1/jwks` fail (or recover, with `None`).
    pub fn set_jwks_fault(&self, fault: Option<Fault>) {
        self.shared.set_jwks_fault(fault);
    }

    /// Stops the server: the port is closed and every open connection dropped. Clients then see
    /// "connection refused", as when Clerk is unreachable.
    pub async fn shutdown(&self) {
        self.server.stop().await;
    }
}

impl std::fmt::Debug for LocalClerk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalClerk")
            .field("api_url", &self.api_url())
            .field("frontend_api", &self.frontend_api())
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
