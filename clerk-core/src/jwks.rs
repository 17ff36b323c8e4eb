//! The per-instance signing-key cache.
//!
//! Each [`Clerk`](crate::Clerk) owns one key cache; nothing is shared between instances, so
//! instance B's keys can never verify a token for instance A even when the key ids collide.
//!
//! Behaviour, with the settings of [`JwksSettings`]:
//! - **cold start**: concurrent verifications wait for one fetch in flight, never start their own;
//! - **refresh**: once the keys are older than `refresh_interval`, the next lookup starts a fetch in
//!   the background and is answered at once from the keys it has;
//! - **unknown `kid`**: triggers a fetch, but at most one per `min_refetch_interval` (counting
//!   every fetch, and never less than 1 s), so a flood of forged key ids cannot become a flood of
//!   requests to Clerk; when the last fetch failed, an unknown `kid` is a key outage
//!   ([`VerifyError::KeysUnavailable`], 503), not a bad token, and the next fetch may come after
//!   1 s ([`MIN_REFETCH_FLOOR`]), so that the 503s end within a second of Clerk's recovery (a
//!   soak test found them lasting the whole interval);
//! - **outage**: while Clerk is unreachable or failing, the last good keys keep serving until they
//!   are `max_stale` old; after that lookups fail with [`JwksError`];
//! - **networkless**: with a [`JwtKey`](crate::JwtKey) no request is ever made.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;

use crate::error::{JwksError, VerifyError};
use crate::http_util::{ReadError, describe_transport_error, read_limited};
use crate::keys::{SecretKey, VerifyingKey, rsa_algorithm};

/// The largest JWKS body accepted; Clerk's is well under 2 KiB.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// The least `min_refetch_interval` there can be: a smaller setting is raised to it, so the
/// unknown-`kid` rate limit cannot be turned off.
pub const MIN_REFETCH_FLOOR: Duration = Duration::from_secs(1);

/// Timing settings of the key cache. See the [module documentation](self) for what each does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksSettings {
    /// Age after which keys are refreshed in the background. Default 5 minutes.
    pub refresh_interval: Duration,
    /// The least time between two fetches (after the first). Default 10 seconds; at least
    /// [`MIN_REFETCH_FLOOR`] (1 second), whatever is set. After a failed fetch, the next may
    /// come after [`MIN_REFETCH_FLOOR`]: the keys are back as soon as Clerk is.
    pub min_refetch_interval: Duration,
    /// Age after which keys are no longer used when no fetch has succeeded. Default 1 hour.
    pub max_stale: Duration,
    /// Time allowed for one fetch. Default 5 seconds.
    pub fetch_timeout: Duration,
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            refresh_interval: Duration::from_secs(300),
            min_refetch_interval: Duration::from_secs(10),
            max_stale: Duration::from_secs(3600),
            fetch_timeout: Duration::from_secs(5),
        }
    }
}

/// Where keys come from.
pub(crate) enum KeySource {
    /// `GET {api_url}/v1/jwks` with the secret key.
    Remote {
        http: reqwest::Client,
        url: String,
        secret: SecretKey,
    },
    /// One configured public key: no network at all.
    Local(Arc<VerifyingKey>),
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Arc<VerifyingKey>>,
    /// When the keys in `keys` were fetched; `None` before the first success.
    fetched_at: Option<Instant>,
    /// When the last fetch (successful or not) finished.
    last_attempt: Option<Instant>,
    last_error: Option<JwksError>,
    /// Counts finished fetches, so waiters can tell that one finished while they waited.
    generation: u64,
    background_refresh: bool,
}

/// The key cache of one Clerk instance.
pub(crate) struct JwksCache {
    source: KeySource,
    settings: JwksSettings,
    state: Mutex<State>,
    /// Held by the one fetch in flight.
    fetch_lock: tokio::sync::Mutex<()>,
    counters: Arc<crate::stats::Counters>,
}

enum Lookup {
    Found(Arc<VerifyingKey>, bool),
    Fetch(u64),
    Fail(VerifyError),
}

impl JwksCache {
    pub(crate) fn new(
        source: KeySource,
        mut settings: JwksSettings,
        counters: Arc<crate::stats::Counters>,
    ) -> Self {
        settings.min_refetch_interval = settings.min_refetch_interval.max(MIN_REFETCH_FLOOR);
        Self {
            source,
            settings,
            state: Mutex::new(State::default()),
            fetch_lock: tokio::sync::Mutex::new(()),
            counters,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave `State` inconsistent (every update is a
        // plain assignment), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The key for `kid`, fetching the key set if needed and allowed.
    pub(crate) async fn key(
        self: &Arc<Self>,
        kid: Option<&str>,
    ) -> Result<Arc<VerifyingKey>, VerifyError> {
        if let KeySource::Local(key) = &self.source {
            return Ok(key.clone());
        }
        let kid = kid.ok_or(VerifyError::KidMismatch)?;
        let mut fetched = false;
        loop {
            match self.lookup(kid, fetched) {
                Lookup::Found(key, refresh) => {
                    if refresh {
                        self.spawn_refresh();
                    }
                    return Ok(key);
                }
                Lookup::Fail(error) => return Err(error),
                Lookup::Fetch(generation) => {
                    // Boxed: the fetch is rare and its future large; every verification
                    // future would otherwise carry it.
                    let trigger = if self.state().fetched_at.is_some() {
                        "unknown_kid"
                    } else {
                        "load"
                    };
                    Box::pin(self.fetch_once(generation, trigger)).await;
                    fetched = true;
                }
            }
        }
    }

    fn lookup(&self, kid: &str, fetched: bool) -> Lookup {
        let now = Instant::now();
        let mut state = self.state();
        let age = state.fetched_at.map(|at| now.saturating_duration_since(at));
        let usable = age.is_some_and(|age| age <= self.settings.max_stale);
        // After a failed fetch, Clerk may be back any moment: ask again after the floor (one
        // second), not the whole interval, so that an outage's 503s end with the outage.
        let interval = if state.last_error.is_some() {
            MIN_REFETCH_FLOOR
        } else {
            self.settings.min_refetch_interval
        };
        let may_fetch = !fetched
            && state
                .last_attempt
                .is_none_or(|at| now.saturating_duration_since(at) >= interval);
        if usable {
            if let Some(key) = state.keys.get(kid) {
                let key = key.clone();
                let refresh = age.is_some_and(|age| age >= self.settings.refresh_interval)
                    && may_fetch
                    && !state.background_refresh;
                if refresh {
                    state.background_refresh = true;
                }
                if let Some(error) = &state.last_error {
                    tracing::debug!(
                        jwks.age_s = age.map_or(0, |age| age.as_secs()),
                        jwks.error = %error,
                        "serving a Clerk signing key from a key set whose refresh failed"
                    );
                }
                return Lookup::Found(key, refresh);
            }
            if may_fetch {
                return Lookup::Fetch(state.generation);
            }
            // The key may be new (a rotation) while Clerk cannot be asked: a key outage, not a
            // bad token, so clients retry instead of signing the user out.
            return Lookup::Fail(match &state.last_error {
                Some(error) => VerifyError::KeysUnavailable(error.clone()),
                None => VerifyError::KidMismatch,
            });
        }
        if may_fetch {
            return Lookup::Fetch(state.generation);
        }
        Lookup::Fail(match &state.last_error {
            Some(error) => VerifyError::KeysUnavailable(error.clone()),
            // Keys too old, and the last fetch succeeded but so long ago: cannot happen while
            // `max_stale >= min_refetch_interval`; fail closed anyway.
            None => VerifyError::KeysUnavailable(JwksError::Unreachable("keys expired".into())),
        })
    }

    fn spawn_refresh(self: &Arc<Self>) {
        let cache = self.clone();
        let generation = self.state().generation;
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    cache.fetch_once(generation, "refresh").await;
                    cache.state().background_refresh = false;
                });
            }
            Err(_) => self.state().background_refresh = false,
        }
    }

    /// Fetches the key set unless a fetch finished since `seen_generation` was read; concurrent
    /// callers wait for the one in flight.
    ///
    /// Each fetch is an event (target `clerk_core::jwks`): `debug` when it gave keys, `warn`
    /// when not, with `jwks.trigger` (`load`, `unknown_kid` or `refresh`), `jwks.outcome`,
    /// `jwks.keys` (the key count) and `jwks.duration_ms`.
    async fn fetch_once(&self, seen_generation: u64, trigger: &'static str) {
        let _in_flight = self.fetch_lock.lock().await;
        if self.state().generation != seen_generation {
            return;
        }
        let started = Instant::now();
        let result = self.fetch().await;
        let now = Instant::now();
        let duration_ms =
            u64::try_from(now.duration_since(started).as_millis()).unwrap_or(u64::MAX);
        crate::stats::bump(&self.counters.jwks_fetches);
        let mut state = self.state();
        state.generation += 1;
        state.last_attempt = Some(now);
        match result {
            Ok(keys) => {
                tracing::debug!(
                    jwks.trigger = trigger,
                    jwks.outcome = "ok",
                    jwks.keys = keys.len(),
                    jwks.duration_ms = duration_ms,
                    "fetched Clerk's JWKS"
                );
                state.keys = keys;
                state.fetched_at = Some(now);
                state.last_error = None;
            }
            Err(error) => {
                crate::stats::bump(&self.counters.jwks_fetch_failures);
                tracing::warn!(
                    jwks.trigger = trigger,
                    jwks.outcome = "failed",
                    jwks.keys = state.keys.len(),
                    jwks.duration_ms = duration_ms,
                    error = %error,
                    "Clerk JWKS fetch failed"
                );
                state.last_error = Some(error);
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<VerifyingKey>>, JwksError> {
        let KeySource::Remote { http, url, secret } = &self.source else {
            return Ok(HashMap::new());
        };
        let response = http
            .get(url)
            .bearer_auth(secret.expose())
            .timeout(self.settings.fetch_timeout)
            .send()
            .await
            .map_err(|error| JwksError::Unreachable(describe_transport_error(&error)))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(JwksError::Unauthorized(status.as_u16()));
        }
        if !status.is_success() {
            return Err(JwksError::Status(status.as_u16()));
        }
        let body = read_limited(response, MAX_JWKS_BYTES)
            .await
            .map_err(|error| match error {
                ReadError::TooLarge => JwksError::InvalidBody,
                ReadError::Transport(error) => {
                    JwksError::Unreachable(describe_transport_error(&error))
                }
            })?;
        parse_jwks(&body)
    }
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawRsaJwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

/// The RSA signing keys of a JWKS document; other keys are skipped.
pub(crate) fn parse_jwks(body: &[u8]) -> Result<HashMap<String, Arc<VerifyingKey>>, JwksError> {
    let raw: RawJwks = serde_json::from_slice(body).map_err(|_| JwksError::InvalidBody)?;
    let mut keys = HashMap::new();
    for value in raw.keys {
        let Ok(jwk) = serde_json::from_value::<RawRsaJwk>(value) else {
            continue;
        };
        if jwk.kty != "RSA" || jwk.use_.as_deref().is_some_and(|u| u != "sig") {
            continue;
        }
        let alg = match jwk.alg.as_deref() {
            None => None,
            Some(alg) => match rsa_algorithm(alg) {
                Some(alg) => Some(alg),
                None => continue,
            },
        };
        let (Some(kid), Some(n), Some(e)) = (jwk.kid, jwk.n, jwk.e) else {
            continue;
        };
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (Ok(n), Ok(e)) = (
            b64.decode(n.trim_end_matches('=')),
            b64.decode(e.trim_end_matches('=')),
        ) else {
            continue;
        };
        let Some(key) = VerifyingKey::from_components(&n, &e, alg) else {
            continue;
        };
        keys.insert(kid, Arc::new(key));
    }
    if keys.is_empty() {
        return Err(JwksError::NoKeys);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::RsaAlgorithm;
    use aws_lc_rs::signature::RsaPublicKeyComponents;

    #[test]
    fn non_rsa_weak_and_broken_keys_are_skipped() {
        use aws_lc_rs::signature::KeyPair as _;
        let pair =
            aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("key");
        let components = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (n, e) = (b64.encode(&components.n), b64.encode(&components.e));
        let body = serde_json::json!({"keys": [
            {"kty":"EC","kid":"ec","crv":"P-256","x":"a","y":"b"},
            {"kty":"OKP","kid":"ed","crv":"Ed25519","x":"a"},
            {"kty":"RSA","kid":"enc","use":"enc","n":n,"e":e},
            {"kty":"RSA","kid":"hs","alg":"HS256","n":n,"e":e},
            {"kty":"RSA","n":n,"e":e},
            {"kty":"RSA","kid":"weak","n":"sXch","e":"AQAB"},
            {"kty":"RSA","kid":"not-base64","n":"!!!","e":"AQAB"},
            "not an object",
            {"kty":"RSA","kid":"good","alg":"RS256","use":"sig","n":n,"e":e}
        ]});
        let keys = parse_jwks(body.to_string().as_bytes()).expect("one good key");
        assert_eq!(keys.keys().collect::<Vec<_>>(), vec!["good"]);
        assert_eq!(keys["good"].alg, Some(RsaAlgorithm::Rs256));
    }

    #[test]
    fn a_set_without_rsa_keys_is_an_error() {
        assert_eq!(parse_jwks(br#"{"keys":[]}"#).err(), Some(JwksError::NoKeys));
        assert_eq!(
            parse_jwks(br#"{"keys":[{"kty":"EC","kid":"x"}]}"#).err(),
            Some(JwksError::NoKeys)
        );
        assert_eq!(parse_jwks(b"<html>").err(), Some(JwksError::InvalidBody));
        assert_eq!(
            parse_jwks(br#"{"keys":{}}"#).err(),
            Some(JwksError::InvalidBody)
        );
    }
}
