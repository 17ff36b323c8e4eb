//! The calling side of machine-to-machine authentication: [`M2mTokenSource`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::http_util::{
    DEFAULT_API_URL, DEFAULT_API_VERSION, USER_AGENT, describe_transport_error,
    is_secure_or_loopback, read_limited,
};
use crate::verify::now_ms;

/// How long before its expiration a token is replaced by default.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(30);

/// Why no M2M token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutgoingError {
    /// No machine secret key: set `CLERK_MACHINE_SECRET_KEY`.
    #[error("no machine secret key: set CLERK_MACHINE_SECRET_KEY")]
    MissingSecretKey,
    /// Clerk could not be reached.
    #[error("the Clerk Backend API could not be reached: {0}")]
    Transport(String),
    /// Clerk refused to issue a token: 401 for a wrong or rotated machine secret key; 429 or
    /// 5xx when it cannot now (the next call, a second later, asks again).
    #[error("Clerk answered {status} to the M2M token request")]
    Refused {
        /// The HTTP status.
        status: u16,
    },
    /// Clerk's answer did not carry a token.
    #[error("Clerk's answer to the M2M token request could not be read: {0}")]
    Decode(String),
    /// The API URL is `http://` to a host that is not loopback: the machine secret key would go
    /// in clear. Use `https://` (or `http://` to 127.0.0.1, `[::1]` or localhost, as LocalClerk).
    #[error("the API URL is http:// to a host that is not loopback: use https://")]
    InsecureUrl,
}

/// Gets M2M tokens for a machine and attaches them to outgoing requests: the calling service
/// holds its machine secret key (`CLERK_MACHINE_SECRET_KEY`, from the machine's page of the
/// Clerk dashboard, or `createMachine`'s answer), asks Clerk for a token (`POST /m2m_tokens`,
/// at the API root as Clerk's SDKs call it), and reuses it until
/// [`refresh_margin`](Self::refresh_margin) before it expires. Concurrent callers share one
/// request to Clerk. Clones share the token.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use clerk_core::machine::M2mTokenSource;
///
/// let tokens = M2mTokenSource::from_env()?; // CLERK_MACHINE_SECRET_KEY, CLERK_API_URL
/// let http = reqwest::Client::new();
/// let request = tokens.authorize(http.get("https://orders.internal/v1/orders")).await?;
/// let orders = request.send().await?.text().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct M2mTokenSource {
    http: reqwest::Client,
    api_url: String,
    api_version: String,
    secret: String,
    lifetime: Option<Duration>,
    jwt: bool,
    refresh_margin: Duration,
    state: Arc<Mutex<State>>,
}

/// How long a failure to get a token is answered again without asking Clerk, so that callers
/// queued behind a failing request do not each make one.
const FAILURE_MEMORY: Duration = Duration::from_secs(1);

#[derive(Default)]
struct State {
    held: Option<Held>,
    failed: Option<(Instant, OutgoingError)>,
}

/// The token in use, until when it is handed out without asking for a new one, and when it
/// expires (it is still handed out when Clerk cannot issue a new one).
struct Held {
    token: Arc<str>,
    refresh_at: Option<Instant>,
    expires_at: Option<Instant>,
}

impl Held {
    fn fresh(&self, now: Instant) -> bool {
        self.refresh_at.is_none_or(|at| now < at)
    }

    fn alive(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

#[derive(Deserialize)]
struct Issued {
    token: Option<String>,
    /// Milliseconds; `null` for a token that does not expire.
    #[serde(default)]
    expiration: Option<f64>,
}

impl M2mTokenSource {
    /// A source for the machine whose secret key this is, against Clerk's production API.
    pub fn new(machine_secret_key: impl Into<String>) -> Self {
        Self::build(machine_secret_key.into(), DEFAULT_API_URL.to_owned())
    }

    /// A source from `CLERK_MACHINE_SECRET_KEY` and, if set, `CLERK_API_URL`.
    pub fn from_env() -> Result<Self, OutgoingError> {
        let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let secret = var("CLERK_MACHINE_SECRET_KEY").ok_or(OutgoingError::MissingSecretKey)?;
        let api_url = var("CLERK_API_URL").unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        Ok(Self::build(secret, api_url))
    }

    fn build(secret: String, api_url: String) -> Self {
        Self {
            http: reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            api_url: api_url.trim().trim_end_matches('/').to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            secret: secret.trim().to_owned(),
            lifetime: None,
            jwt: false,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            state: Arc::default(),
        }
    }

    /// The Backend API's URL (default `https://api.clerk.com`; LocalClerk's in tests). It must be
    /// `https://`, or `http://` to a loopback host: otherwise [`token`](Self::token) fails with
    /// [`OutgoingError::InsecureUrl`] and the secret key is never sent.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into().trim().trim_end_matches('/').to_owned();
        self
    }

    /// How long each token lives (`seconds_until_expiration`; default: the machine's default
    /// token lifetime in Clerk).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = Some(lifetime);
        self
    }

    /// Asks for JWTs (verified by the receiver without a Backend API call, not revocable)
    /// instead of opaque tokens (the default: revocable, verified by the Backend API).
    pub fn jwt(mut self, jwt: bool) -> Self {
        self.jwt = jwt;
        self
    }

    /// How long before its expiration a token is replaced (default
    /// [`DEFAULT_REFRESH_MARGIN`], 30 s), so that no request leaves with a token about to
    /// expire.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// A token to send: the current one, or a new one from Clerk when it is missing or within
    /// the refresh margin of its expiration. When Clerk cannot issue one, a current token that
    /// has not expired yet is still handed out; otherwise the error, which is remembered for a
    /// second (callers waiting meanwhile get it without asking Clerk again).
    pub async fn token(&self) -> Result<Arc<str>, OutgoingError> {
        let mut state = self.state.lock().await;
        let now = Instant::now();
        let held = state.held.as_ref();
        if let Some(held) = held.filter(|held| held.fresh(now)) {
            return Ok(held.token.clone());
        }
        let alive = held.filter(|held| held.alive(now)).map(|h| h.token.clone());
        if let Some((at, error)) = &state.failed
            && now.duration_since(*at) < FAILURE_MEMORY
        {
            return alive.ok_or_else(|| error.clone());
        }
        match self.issue().await {
            Ok(held) => {
                let token = held.token.clone();
                *state = State {
                    held: Some(held),
                    failed: None,
                };
                Ok(token)
            }
            Err(error) => {
                state.failed = Some((Instant::now(), error.clone()));
                alive.ok_or(error)
            }
        }
    }

    /// `request` with `Authorization: Bearer <token>`.
    pub async fn authorize(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, OutgoingError> {
        Ok(request.bearer_auth(&*self.token().await?))
    }

    /// Drops `token` if it is the current one (the receiver refused it, for example because
    /// it was revoked), so that the next call gets a new one; a newer token is kept.
    pub async fn invalidate(&self, token: &str) {
        let mut state = self.state.lock().await;
        if state
            .held
            .as_ref()
            .is_some_and(|held| &*held.token == token)
        {
            state.held = None;
        }
    }

    async fn issue(&self) -> Result<Held, OutgoingError> {
        if self.secret.is_empty() {
            return Err(OutgoingError::MissingSecretKey);
        }
        if !is_secure_or_loopback(&self.api_url) {
            return Err(OutgoingError::InsecureUrl);
        }
        let mut body = serde_json::Map::new();
        if let Some(lifetime) = self.lifetime {
            body.insert(
                "seconds_until_expiration".into(),
                lifetime.as_secs().max(1).into(),
            );
        }
        let format = if self.jwt { "jwt" } else { "opaque" };
        body.insert("token_format".into(), format.into());
        let asked = Instant::now();
        let response = self
            .http
            .post(format!("{}/m2m_tokens", self.api_url))
            .bearer_auth(&self.secret)
            .header("Clerk-API-Version", &self.api_version)
            .json(&body)
            .send()
            .await
            .map_err(|e| OutgoingError::Transport(describe_transport_error(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(OutgoingError::Refused {
                status: status.as_u16(),
            });
        }
        let body = read_limited(response, 1024 * 1024)
            .await
            .map_err(|_| OutgoingError::Decode("the answer could not be read".into()))?;
        let issued: Issued =
            serde_json::from_slice(&body).map_err(|e| OutgoingError::Decode(e.to_string()))?;
        let token = issued
            .token
            .filter(|token| !token.is_empty())
            .ok_or_else(|| OutgoingError::Decode("the answer has no `token`".into()))?;
        // Counted from when it was asked for, on this process's clock; replaced `refresh_margin`
        // before it expires, but never before half its life (a margin as long as the lifetime
        // would ask Clerk on every call).
        let left = issued.expiration.map(|expiration| {
            let ms = (expiration as i64).saturating_sub(now_ms()).max(0);
            Duration::from_millis(ms as u64)
        });
        Ok(Held {
            token: token.into(),
            refresh_at: left.map(|left| asked + left - self.refresh_margin.min(left / 2)),
            expires_at: left.map(|left| asked + left),
        })
    }
}

impl fmt::Debug for M2mTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("M2mTokenSource")
            .field("api_url", &self.api_url)
            .field("secret", &"(redacted)")
            .field("lifetime", &self.lifetime)
            .field("jwt", &self.jwt)
            .field("refresh_margin", &self.refresh_margin)
            .finish_non_exhaustive()
    }
}
