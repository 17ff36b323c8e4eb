//! [`LocalClerk`], the public handle of an instance, and its builder; and the small handles,
//! one per job, that group its helpers: [`Keys`], [`Users`], [`Organizations`], [`Sessions`],
//! [`Machines`], [`ApiKeys`], [`Oauth`], [`Frontend`], [`Webhooks`], [`Requests`] and
//! [`Faults`], each borrowed from a `LocalClerk` by the method of the same name
//! (`local.users()`, ...).

mod api_keys;
mod faults;
mod frontend;
mod keys;
mod machines;
mod oauth;
mod organizations;
mod requests;
mod sessions;
mod users;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use clerk_core::{Clerk, ClerkBuilder, PublishableKey};
use tokio::net::TcpListener;

pub use api_keys::ApiKeys;
pub use faults::Faults;
pub use frontend::Frontend;
pub use keys::Keys;
pub use machines::Machines;
pub use oauth::Oauth;
pub use organizations::Organizations;
pub use requests::Requests;
pub use sessions::{Sessions, SignIn};
pub use users::Users;
pub use webhooks::Webhooks;

use crate::ids::random_id;
use crate::keys::SigningKey;
use crate::server::ServerTask;
use crate::state::{Identity, Shared};
use crate::token::TokenBuilder;
use crate::webhooks::DEFAULT_RETRY_DELAYS;

/// Configures a [`LocalClerk`] before it starts.
#[derive(Debug, Clone, Default)]
pub struct LocalClerkBuilder {
    kid: Option<String>,
    frontend_api: Option<String>,
    jwk_alg: Option<Option<String>>,
    extra_jwks: Vec<serde_json::Value>,
    port: u16,
    webhook_retry_delays: Option<Vec<Duration>>,
    session_token_lifetime: Option<Duration>,
    satellite_domains: Vec<String>,
}

impl LocalClerkBuilder {
    /// The key id of the first signing key (default `ins_local_<random>`). Two instances with the
    /// same key id are how tests prove that caches are scoped per instance.
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The Frontend API host, which the publishable key names and which names the issuer
    /// (`iss` is `https://<host>`). Default `localhost:<port>`, the port LocalClerk bound: a
    /// host a browser and an HTTP client reach (LocalClerk serves its Frontend API there), and
    /// not the host of an app on `127.0.0.1:<port>`, so that the two keep their cookies apart
    /// as Clerk's domain and an app's do.
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

    /// The lifetime of the session tokens the Frontend API issues (handshakes) and
    /// `RefreshSession` answers (default 60 s, as Clerk; tests of refreshes use a few seconds).
    /// Whole seconds; at least one.
    pub fn session_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.session_token_lifetime = Some(lifetime);
        self
    }

    /// Adds a production satellite domain (`satellite.example.com`, the app's `CLERK_DOMAIN`;
    /// repeatable). The Frontend API then also answers as that domain's, `clerk.<domain>`: a
    /// handshake whose `Host` is `clerk.<domain>` (any port) issues session tokens with `iss`
    /// `https://clerk.<domain>`, as Clerk's production satellites do, and `RefreshSession` keeps
    /// that issuer for their tokens. Reach it with an HTTP client that resolves
    /// `clerk.<domain>` to [`addr`](LocalClerk::addr) (e.g. reqwest's `resolve`).
    ///
    /// Development satellites need none of this: they share the primary's Frontend API
    /// (the publishable key's) and its client, through the dev browser token. A domain that is
    /// not a host name (letters, digits, `.`, `-`; a scheme and a leading `clerk.` are
    /// dropped) makes [`start`](Self::start) fail.
    pub fn satellite_domain(mut self, domain: impl Into<String>) -> Self {
        self.satellite_domains.push(domain.into());
        self
    }

    /// Binds 127.0.0.1 on a free port and starts serving.
    pub async fn start(self) -> std::io::Result<LocalClerk> {
        let satellite_domains = self
            .satellite_domains
            .iter()
            .map(|domain| satellite_host(domain))
            .collect::<Result<Vec<_>, _>>()?;
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let id = random_id(8);
        let frontend_api = self
            .frontend_api
            .unwrap_or_else(|| format!("localhost:{}", addr.port()));
        let publishable_key = format!(
            "pk_test_{}",
            base64::engine::general_purpose::STANDARD.encode(format!("{frontend_api}$"))
        );
        let cookie_suffix = PublishableKey::new(&publishable_key)
            .map(|key| key.cookie_suffix())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let session_token_lifetime = self
            .session_token_lifetime
            .map_or(60, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .max(1);
        let kid = self.kid.unwrap_or_else(|| format!("ins_local_{id}"));
        let identity = Identity {
            secret_key: format!("sk_test_local_{}", random_id(32)),
            publishable_key,
            frontend_api,
            cookie_suffix,
            session_token_lifetime,
            jwk_alg: self.jwk_alg.unwrap_or(Some("RS256".into())),
            extra_jwks: self.extra_jwks,
            satellite_domains,
        };
        let webhooks = crate::webhooks::Webhooks::new(
            format!("ins_local_{id}"),
            self.webhook_retry_delays
                .unwrap_or_else(|| DEFAULT_RETRY_DELAYS.to_vec()),
        );
        let shared = Arc::new(Shared::new(identity, SigningKey::generate(kid), webhooks));
        let server = ServerTask::start(listener, shared.clone());
        let local = LocalClerk {
            shared,
            addr,
            server: Arc::new(server),
        };
        // The links of organization invitations go to its sign-in page.
        local.shared.store().frontend_url = local.frontend_api_url();
        Ok(local)
    }
}

/// A local Clerk: an HTTP server on 127.0.0.1 that holds an RSA key pair, serves `/v1/jwks`
/// (requiring its secret key, as Clerk does) and mints session tokens exactly as Clerk does.
///
/// Cheap to clone; the server stops when the last clone is dropped or on
/// [`faults().shutdown()`](Faults::shutdown).
///
/// The basics are its own methods: its keys and URLs ([`secret_key`](Self::secret_key),
/// [`api_url`](Self::api_url), ...), a [`Clerk`] client pointed at it ([`clerk`](Self::clerk))
/// and session tokens for any user ([`token`](Self::token)). The rest is grouped by job, each
/// group a small handle borrowed from it:
///
/// | group | what it does |
/// |---|---|
/// | [`keys()`](Self::keys) | the current key id and public key, rotation, the published JWKS |
/// | [`users()`](Self::users), [`organizations()`](Self::organizations) | seed data without HTTP: users, organizations, members, role permissions, invitations |
/// | [`sessions()`](Self::sessions) | sign users in without HTTP; the active organization; session tokens for existing sessions |
/// | [`machines()`](Self::machines), [`api_keys()`](Self::api_keys), [`oauth()`](Self::oauth) | machine credentials: machines and M2M tokens, API keys, OAuth access tokens |
/// | [`frontend()`](Self::frontend) | the Frontend API: sign-in and sign-out URLs for a browser, refresh tokens, clients and handshakes |
/// | [`webhooks()`](Self::webhooks) | webhook endpoints and every delivery attempt |
/// | [`requests()`](Self::requests) | request counters by operation id |
/// | [`faults()`](Self::faults) | failures, latency and rate limits on demand; shutting the server down |
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

    /// The Frontend API host named by the publishable key (`localhost:<port>` by default).
    pub fn frontend_api(&self) -> &str {
        &self.shared.identity().frontend_api
    }

    /// The Frontend API URL, as Clerk's SDKs derive it from the publishable key:
    /// `http://<host>` for a loopback host (`localhost`, `*.localhost`, `127.0.0.1`, `[::1]`,
    /// with or without a port), else `https://<host>`. By default `http://localhost:<port>`,
    /// where LocalClerk serves its Frontend API ([`frontend`](Self::frontend)). The issuer of
    /// its tokens stays `https://<host>` ([`issuer`](Self::issuer)), as Clerk's.
    pub fn frontend_api_url(&self) -> String {
        let host = self.frontend_api();
        let scheme = if is_loopback_host(host) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{host}")
    }

    /// The issuer (`iss`) of this instance's tokens.
    pub fn issuer(&self) -> String {
        self.shared.issuer()
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

    /// The instance id (`ins_local_<random>`), the `instance_id` of its webhook events.
    pub fn instance_id(&self) -> &str {
        self.shared.webhooks().instance_id()
    }

    /// Its signing keys: the current key id and public key, rotation, the published JWKS.
    pub fn keys(&self) -> Keys<'_> {
        Keys { local: self }
    }

    /// Seeds users without HTTP.
    pub fn users(&self) -> Users<'_> {
        Users { local: self }
    }

    /// Seeds organizations, their members and the permissions of their roles without HTTP;
    /// invites people and accepts invitations.
    pub fn organizations(&self) -> Organizations<'_> {
        Organizations { local: self }
    }

    /// Signs users in without HTTP, sets a session's active organization, and issues session
    /// tokens for existing sessions.
    pub fn sessions(&self) -> Sessions<'_> {
        Sessions { local: self }
    }

    /// Creates machines and mints and revokes their M2M tokens, opaque or JWT.
    pub fn machines(&self) -> Machines<'_> {
        Machines { local: self }
    }

    /// Creates and revokes API keys.
    pub fn api_keys(&self) -> ApiKeys<'_> {
        ApiKeys { local: self }
    }

    /// Mints and revokes OAuth access tokens, opaque or JWT.
    pub fn oauth(&self) -> Oauth<'_> {
        Oauth { local: self }
    }

    /// The Frontend API: sign-in and sign-out URLs for a browser, the cookie suffix, refresh
    /// tokens, and how many clients and handshakes it has seen.
    pub fn frontend(&self) -> Frontend<'_> {
        Frontend { local: self }
    }

    /// Registers webhook endpoints and shows the deliveries made to them.
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks { local: self }
    }

    /// Counts the requests the instance has received.
    pub fn requests(&self) -> Requests<'_> {
        Requests { local: self }
    }

    /// Makes the instance fail, slow down, rate-limit or go away, as Clerk can.
    pub fn faults(&self) -> Faults<'_> {
        Faults { local: self }
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

/// A satellite domain as [`LocalClerkBuilder::satellite_domain`] takes it, as a bare lowercase
/// host name (`sat.example`), or why not.
fn satellite_host(domain: &str) -> std::io::Result<String> {
    let domain = domain.trim().trim_end_matches('/').to_ascii_lowercase();
    let host = domain
        .strip_prefix("https://")
        .or_else(|| domain.strip_prefix("http://"))
        .unwrap_or(&domain);
    let host = host.strip_prefix("clerk.").unwrap_or(host);
    let valid = !host.is_empty()
        && !host.starts_with('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if valid {
        Ok(host.to_owned())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("satellite domain `{domain}` is not a host name such as satellite.example.com"),
        ))
    }
}

/// Whether a Frontend API host (with or without a port) is loopback, where Clerk's SDKs use
/// `http://`: `localhost`, `*.localhost`, `127.0.0.1`, `[::1]`.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    let name = name.to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost") || name == "127.0.0.1" || name == "::1"
}

#[cfg(test)]
mod tests {
    use super::{is_loopback_host, satellite_host};

    #[test]
    fn satellite_domains_are_bare_host_names() {
        for (given, host) in [
            ("sat.example", "sat.example"),
            ("https://Sat.Example/", "sat.example"),
            ("clerk.sat.example", "sat.example"),
            (" sat-1.localhost ", "sat-1.localhost"),
        ] {
            assert_eq!(satellite_host(given).ok().as_deref(), Some(host), "{given}");
        }
        for bad in [
            "",
            "clerk.",
            "sat.example:443",
            "sat.example/x",
            "a b",
            ".sat",
        ] {
            assert!(satellite_host(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn loopback_hosts_are_told_apart() {
        for host in [
            "localhost",
            "localhost:8790",
            "abc.clerk.localhost",
            "abc.localhost:1",
            "127.0.0.1",
            "127.0.0.1:9",
            "[::1]",
            "[::1]:9",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "clerk.example.com",
            "localhost.example.com",
            "127.0.0.2",
            "[::2]:9",
            "evil.com:localhost",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
