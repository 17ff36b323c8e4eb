//! Verification of machine tokens: JWT forms locally, opaque tokens by the Backend API over a
//! cache of verdicts (see the [module documentation](super)).

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{
    Identity, M2M_TOKEN_CATEGORY, MachineAuth, MachineError, OAUTH_ACCESS_TOKEN_TYPES, TokenKind,
    UNKNOWN_TOKEN_TTL, VERIFY_MAX_ATTEMPTS, VERIFY_PATHS, VERIFY_TIMEOUT,
};
use crate::api::{ApiError, Request, Transport};
use crate::error::VerifyError;
use crate::stats::Counters;
use crate::verify::{MAX_TOKEN_BYTES, Verifier, now_ms};

/// What the Backend API (opaque tokens) or the local verification (JWT forms) said of a token,
/// as cached.
#[derive(Clone)]
enum Verdict {
    /// Valid until `until_ms` (the expiration; plus the clock skew for a JWT's `exp`).
    Valid {
        auth: MachineAuth,
        until_ms: Option<i64>,
    },
    /// 404: Clerk does not know the token.
    Unknown,
}

/// A token's cache key: its SHA-256, so that no secret is kept as a key.
type Key = [u8; 32];

/// Keeps a valid verdict for the TTL, never past the token's expiration; an unknown token for
/// [`UNKNOWN_TOKEN_TTL`], never longer than the TTL.
struct VerdictExpiry {
    ttl: Duration,
}

impl moka::Expiry<Key, Verdict> for VerdictExpiry {
    fn expire_after_create(
        &self,
        _key: &Key,
        verdict: &Verdict,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(match verdict {
            Verdict::Valid { until_ms, .. } => match *until_ms {
                Some(expires) => {
                    let left = expires.saturating_sub(now_ms()).max(0) as u64;
                    Duration::from_millis(left).min(self.ttl)
                }
                None => self.ttl,
            },
            Verdict::Unknown => UNKNOWN_TOKEN_TTL.min(self.ttl),
        })
    }
}

/// The per-instance cache of opaque tokens' verdicts: bounded, short-lived, one Backend API
/// call in flight per token. `None` when the TTL is 0 (every verification asks Clerk).
#[derive(Clone)]
struct VerdictCache {
    cache: Option<moka::future::Cache<Key, Verdict>>,
    ttl: Duration,
}

/// A token's key in the verdict cache.
fn key(token: &str) -> Key {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut key = [0u8; 32];
    key.copy_from_slice(digest.as_ref());
    key
}

impl VerdictCache {
    fn new(ttl: Duration, capacity: u64) -> Self {
        let cache = (!ttl.is_zero() && capacity > 0).then(|| {
            moka::future::Cache::builder()
                .max_capacity(capacity)
                .expire_after(VerdictExpiry { ttl })
                .build()
        });
        Self { cache, ttl }
    }

    fn ttl(&self) -> Duration {
        self.ttl
    }

    async fn get(&self, token: &str) -> Option<Verdict> {
        self.cache.as_ref()?.get(&key(token)).await
    }

    async fn get_or_verify(
        &self,
        token: &str,
        verify: impl Future<Output = Result<Verdict, MachineError>>,
    ) -> Result<Verdict, MachineError> {
        let Some(cache) = &self.cache else {
            return verify.await;
        };
        cache
            .try_get_with(key(token), verify)
            .await
            .map_err(|error| MachineError::clone(&error))
    }
}

/// The machine-token verifier of one [`Clerk`](crate::Clerk): its cache of verdicts, over the
/// session verifier's keys and checks (JWT forms) and the Backend API (opaque tokens), which its
/// methods are lent.
pub(crate) struct MachineVerifier {
    verdicts: VerdictCache,
    gate: Gate,
    counters: Arc<Counters>,
}

/// What limits the verify calls of one instance: a cap on those in flight, and a pause after
/// Clerk's 429 (see the [module documentation](super)).
struct Gate {
    in_flight: tokio::sync::Semaphore,
    /// Unix milliseconds before which no call is made.
    paused_until_ms: std::sync::atomic::AtomicI64,
}

impl Gate {
    /// Makes `call` unless the cap is reached or Clerk asked to wait: then it is
    /// [`MachineError::Unavailable`] at once. A 429 pauses later calls for its `Retry-After`.
    async fn call(
        &self,
        call: impl Future<Output = Result<Verdict, (MachineError, Option<Duration>)>>,
    ) -> Result<Verdict, MachineError> {
        use std::sync::atomic::Ordering::Relaxed;
        if now_ms() < self.paused_until_ms.load(Relaxed) {
            return Err(MachineError::Unavailable(
                "Clerk rate-limited verification; waiting for its Retry-After".into(),
            ));
        }
        let Ok(_permit) = self.in_flight.try_acquire() else {
            return Err(MachineError::Unavailable(
                "too many token verifications in flight".into(),
            ));
        };
        call.await.map_err(|(error, pause)| {
            if let Some(pause) = pause {
                let until = now_ms()
                    .saturating_add(i64::try_from(pause.as_millis()).unwrap_or(i64::MAX / 4));
                self.paused_until_ms.fetch_max(until, Relaxed);
                tracing::warn!(
                    clerk.pause_ms = pause.as_millis() as u64,
                    "Clerk rate-limited machine-token verification; pausing verify calls"
                );
            }
            error
        })
    }
}

impl MachineVerifier {
    /// A verifier keeping up to `capacity` verdicts for `ttl` (0: none kept).
    pub(crate) fn new(
        ttl: Duration,
        capacity: u64,
        concurrency: usize,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            verdicts: VerdictCache::new(ttl, capacity),
            gate: Gate {
                in_flight: tokio::sync::Semaphore::new(concurrency.max(1)),
                paused_until_ms: std::sync::atomic::AtomicI64::new(0),
            },
            counters,
        }
    }

    /// How long verdicts of opaque tokens are kept.
    pub(crate) fn ttl(&self) -> Duration {
        self.verdicts.ttl()
    }

    /// Verifies a machine token of any kind: what
    /// [`Clerk::verify_machine_token`](crate::Clerk::verify_machine_token) does.
    pub(crate) async fn verify_token(
        &self,
        keys: &Verifier,
        api: &Transport,
        token: &str,
    ) -> Result<MachineAuth, MachineError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(MachineError::Invalid(VerifyError::TooLarge {
                max: MAX_TOKEN_BYTES,
            }));
        }
        self.verify(keys, api, TokenKind::of(token), token).await
    }

    /// Verifies a machine token whose kind was told already.
    pub(crate) async fn verify(
        &self,
        keys: &Verifier,
        api: &Transport,
        kind: TokenKind,
        token: &str,
    ) -> Result<MachineAuth, MachineError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(MachineError::Invalid(VerifyError::TooLarge {
                max: MAX_TOKEN_BYTES,
            }));
        }
        if kind == TokenKind::SessionToken {
            return Err(MachineError::Invalid(VerifyError::TypeMismatch));
        }
        // As Clerk's SDK: a JWT's form first (`mt_a.b.c` is a malformed JWT, not an opaque
        // token to ask the Backend API about), then the prefixes.
        let opaque = !super::has_jwt_form(token) && TokenKind::of_prefix(token).is_some();
        if opaque && !super::has_opaque_shape(kind, token) {
            // Not a token Clerk could have issued: what Clerk would answer, without asking.
            return Err(MachineError::NotFound);
        }
        let counters = &self.counters;
        crate::stats::bump(&counters.machine_lookups);
        let ran = std::sync::atomic::AtomicBool::new(false);
        let verify = async {
            ran.store(true, std::sync::atomic::Ordering::Relaxed);
            crate::stats::bump(&counters.machine_verifications);
            tracing::trace!(clerk.cache = "machine_token", clerk.cache_hit = false);
            if opaque {
                return self.gate.call(ask_clerk(api, kind, token)).await;
            }
            let auth = verify_machine_jwt(keys, kind, token).await?;
            let until_ms = auth
                .expires_at_ms()
                .map(|at| at.saturating_add(keys.clock_skew_ms()));
            Ok(Verdict::Valid { auth, until_ms })
        };
        let verdict = self.verdicts.get_or_verify(token, Box::pin(verify)).await?;
        if !ran.load(std::sync::atomic::Ordering::Relaxed) {
            tracing::trace!(clerk.cache = "machine_token", clerk.cache_hit = true);
        }
        judge(verdict, opaque)
    }

    /// A machine token this instance verified and still holds a valid verdict for (its kind
    /// included, so no telling of it is needed); `None` otherwise.
    pub(crate) async fn cached(&self, token: &str) -> Option<MachineAuth> {
        let verdict = self.verdicts.get(token).await?;
        crate::stats::bump(&self.counters.machine_lookups);
        tracing::trace!(clerk.cache = "machine_token", clerk.cache_hit = true);
        let opaque = !super::has_jwt_form(token) && TokenKind::of_prefix(token).is_some();
        judge(verdict, opaque).ok()
    }
}

/// One verification by the Backend API, bounded by [`VERIFY_TIMEOUT`]; a failure comes with
/// how long Clerk asked to wait when it answered 429.
async fn ask_clerk(
    api: &Transport,
    kind: TokenKind,
    token: &str,
) -> Result<Verdict, (MachineError, Option<Duration>)> {
    let no_pause = |error| (error, None);
    let Some(&(_, path, field)) = VERIFY_PATHS.iter().find(|(k, _, _)| *k == kind) else {
        return Err(no_pause(MachineError::Invalid(VerifyError::TypeMismatch)));
    };
    let mut body = Map::new();
    body.insert(field.to_owned(), Value::from(token));
    let operation = match kind {
        TokenKind::ApiKey => "verifyApiKey",
        TokenKind::M2mToken => "verifyM2MToken",
        _ => "verifyOAuthAccessToken",
    };
    let request = Request::new(Method::POST, operation, path, path.to_owned())
        .unversioned()
        .json(&body)
        .map_err(|error| no_pause(MachineError::Unexpected(error.to_string())))?
        .max_attempts(VERIFY_MAX_ATTEMPTS)
        .deadline(tokio::time::Instant::now() + VERIFY_TIMEOUT);
    let answer = tokio::time::timeout(VERIFY_TIMEOUT, api.execute_json::<Answer>(request));
    match answer.await {
        Err(_) => Err(no_pause(MachineError::Unavailable(format!(
            "no answer within {VERIFY_TIMEOUT:?}"
        )))),
        Ok(Err(error)) => match error.status() {
            Some(404) => Ok(Verdict::Unknown),
            Some(429) => {
                let pause = error
                    .retry_after()
                    .unwrap_or(super::DEFAULT_RATE_LIMIT_PAUSE);
                Err((classify(error), Some(pause)))
            }
            _ => Err(no_pause(classify(error))),
        },
        Ok(Ok(answer)) => {
            let auth = answer.into_auth(kind, token).map_err(no_pause)?;
            let until_ms = auth.expires_at_ms();
            Ok(Verdict::Valid { auth, until_ms })
        }
    }
}

/// A JWT form: the instance's keys, the header (`cat` for M2M, `typ` for OAuth), the time
/// claims; then Clerk's mapping of the claims.
async fn verify_machine_jwt(
    keys: &Verifier,
    kind: TokenKind,
    token: &str,
) -> Result<MachineAuth, MachineError> {
    let payload = keys
        .signed_payload(token, |header| {
            // The M2M category (or none, during Clerk's rollout): another is a JWT of
            // another kind (`token-invalid`, as Clerk).
            if kind == TokenKind::M2mToken
                && header.cat.is_some_and(|cat| cat != M2M_TOKEN_CATEGORY)
            {
                return Err(VerifyError::TypeMismatch);
            }
            // Clerk's header types: `JWT` (or none) for M2M, `at+jwt` for OAuth; another
            // fails the verification (`token-verification-failed`, as Clerk).
            let typ_ok = match kind {
                TokenKind::M2mToken => header.typ.is_none_or(|typ| typ == "JWT"),
                _ => header
                    .typ
                    .is_some_and(|typ| OAUTH_ACCESS_TOKEN_TYPES.contains(&typ)),
            };
            if typ_ok {
                Ok(())
            } else {
                Err(VerifyError::Malformed(
                    "the header's `typ` is not this kind's",
                ))
            }
        })
        .await
        .map_err(MachineError::Invalid)?;
    let malformed = |what| MachineError::Invalid(VerifyError::Malformed(what));
    let Ok(mut claims) = serde_json::from_str::<Map<String, Value>>(&payload) else {
        return Err(malformed("the payload is not a JSON object"));
    };
    let seconds = |name: &str| -> Result<Option<i64>, MachineError> {
        match claims.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_i64()
                .or_else(|| value.as_f64().map(|f| f as i64))
                .map(Some)
                .ok_or(malformed("a time claim is not a number")),
        }
    };
    let (exp, nbf, iat) = (seconds("exp")?, seconds("nbf")?, seconds("iat")?);
    keys.check_times(exp, nbf, iat, now_ms())
        .map_err(MachineError::Invalid)?;
    let text = |claims: &Map<String, Value>, name: &str| {
        claims.get(name).and_then(Value::as_str).map(str::to_owned)
    };
    let subject = text(&claims, "sub").ok_or(malformed("the `sub` claim is missing"))?;
    let id = text(&claims, "jti").unwrap_or_default();
    let words = |value: Option<&Value>| -> Option<Vec<String>> {
        match value? {
            Value::String(text) => Some(
                text.split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            ),
            _ => None,
        }
    };
    // An M2M JWT's `scopes`/`aud` are custom claims its machine chose: reported, not granted.
    let (scopes, client_id, custom, scopes_granted) = if kind == TokenKind::M2mToken {
        let scopes = words(claims.get("scopes"))
            .or_else(|| words(claims.get("aud")))
            .unwrap_or_default();
        for reserved in ["iss", "sub", "exp", "nbf", "iat", "jti"] {
            claims.remove(reserved);
        }
        (scopes, None, Some(claims).filter(|c| !c.is_empty()), false)
    } else {
        let scopes = words(claims.get("scp"))
            .or_else(|| words(claims.get("scope")))
            .unwrap_or_default();
        (scopes, text(&claims, "client_id"), None, true)
    };
    Ok(MachineAuth(Arc::new(Identity {
        kind,
        id,
        subject,
        scopes,
        scopes_granted,
        claims: custom,
        name: None,
        client_id,
        expires_at_ms: exp.map(|exp| exp.saturating_mul(1000)),
        token: token.into(),
    })))
}

/// What a verdict means now: the token, or why not (its validity ends at `until_ms`).
fn judge(verdict: Verdict, opaque: bool) -> Result<MachineAuth, MachineError> {
    match verdict {
        Verdict::Valid {
            until_ms: Some(until),
            ..
        } if until <= now_ms() => Err(if opaque {
            MachineError::Expired
        } else {
            MachineError::Invalid(VerifyError::Expired)
        }),
        Verdict::Valid { auth, .. } => Ok(auth),
        Verdict::Unknown => Err(MachineError::NotFound),
    }
}

/// A failed Backend API verification, but a 404 (which is a verdict).
fn classify(error: ApiError) -> MachineError {
    match error.status() {
        Some(401) => MachineError::SecretKeyInvalid,
        Some(429 | 500..=599) | None if !matches!(error, ApiError::InvalidRequest(_)) => {
            MachineError::Unavailable(error.to_string())
        }
        _ => MachineError::Unexpected(error.to_string()),
    }
}

/// The 200 answer of the three verify endpoints, read leniently: what Clerk's SDKs read.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    claims: Option<Value>,
    #[serde(default)]
    revoked: Option<bool>,
    #[serde(default)]
    expired: Option<bool>,
    /// Milliseconds.
    #[serde(default)]
    expiration: Option<f64>,
    #[serde(default)]
    client_id: Option<String>,
    /// `false` in the answer of `verifyOAuthAccessToken` for an expired token.
    #[serde(default)]
    active: Option<bool>,
}

impl Answer {
    fn into_auth(self, kind: TokenKind, token: &str) -> Result<MachineAuth, MachineError> {
        if self.active == Some(false) || self.expired == Some(true) {
            return Err(MachineError::Expired);
        }
        if self.revoked == Some(true) {
            return Err(MachineError::Revoked);
        }
        let expires_at_ms = self.expiration.map(|ms| ms as i64);
        if expires_at_ms.is_some_and(|at| at <= now_ms()) {
            return Err(MachineError::Expired);
        }
        let (Some(id), Some(subject)) = (self.id, self.subject) else {
            return Err(MachineError::Unexpected(
                "the answer has no `id` or `subject`".to_owned(),
            ));
        };
        let claims = match self.claims {
            Some(Value::Object(claims)) => Some(claims),
            _ => None,
        };
        Ok(MachineAuth(Arc::new(Identity {
            kind,
            id,
            subject,
            scopes: self.scopes.unwrap_or_default(),
            scopes_granted: true,
            claims,
            name: self.name.filter(|_| kind == TokenKind::ApiKey),
            client_id: self.client_id,
            expires_at_ms,
            token: token.into(),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_classified_as_clerks_sdks_do_but_outages_are_unavailable() {
        let response = |status: u16| {
            ApiError::Response(Box::new(crate::api::ErrorResponse {
                status,
                errors: Vec::new(),
                meta: None,
                clerk_trace_id: None,
                retry_after: None,
                raw_body: None,
            }))
        };
        assert_eq!(classify(response(401)), MachineError::SecretKeyInvalid);
        assert_eq!(classify(response(403)).reason(), "unexpected-error");
        for status in [429, 500, 502, 503] {
            assert!(classify(response(status)).is_unavailable(), "{status}");
        }
        assert!(classify(ApiError::Transport("refused".into())).is_unavailable());
        assert!(classify(ApiError::MissingSecretKey).is_unavailable());
        assert!(!classify(response(400)).is_unavailable());
        assert!(!classify(ApiError::InvalidRequest("x".into())).is_unavailable());
        let decode = ApiError::Decode {
            status: 200,
            message: "x".into(),
        };
        assert_eq!(classify(decode).reason(), "unexpected-error");
    }

    #[test]
    fn answers_that_say_revoked_expired_or_inactive_are_refused() {
        let answer = |json: &str| serde_json::from_str::<Answer>(json).expect("decodes");
        let ok = r#"{"id":"ak_1","subject":"user_1","scopes":["read"],"name":"ci","claims":{"a":1},"revoked":false,"expired":false,"expiration":null}"#;
        let auth = answer(ok)
            .into_auth(TokenKind::ApiKey, "ak_x")
            .expect("valid");
        assert_eq!(auth.user_id(), Some("user_1"));
        assert_eq!(auth.name(), Some("ci"));
        assert!(auth.has_scope("read") && !auth.has_scope("write"));
        assert_eq!(
            auth.claims().and_then(|c| c.get("a")),
            Some(&Value::from(1))
        );
        let refused = |json: &str| answer(json).into_auth(TokenKind::ApiKey, "ak_x").err();
        assert_eq!(
            refused(r#"{"id":"ak_1","subject":"user_1","revoked":true}"#),
            Some(MachineError::Revoked)
        );
        assert_eq!(
            refused(r#"{"id":"ak_1","subject":"user_1","expired":true}"#),
            Some(MachineError::Expired)
        );
        assert_eq!(
            refused(r#"{"id":"ak_1","subject":"user_1","expiration":1000}"#),
            Some(MachineError::Expired)
        );
        assert_eq!(refused(r#"{"active":false}"#), Some(MachineError::Expired));
        assert!(matches!(
            refused(r#"{"object":"api_key"}"#),
            Some(MachineError::Unexpected(_))
        ));
    }

    #[test]
    fn a_valid_verdict_lives_the_ttl_never_past_expiration_and_unknown_briefly() {
        let expiry = VerdictExpiry {
            ttl: Duration::from_secs(10),
        };
        let auth = |expires_at_ms: Option<i64>| Verdict::Valid {
            until_ms: expires_at_ms,
            auth: MachineAuth(Arc::new(Identity {
                kind: TokenKind::ApiKey,
                id: "ak_1".into(),
                subject: "user_1".into(),
                scopes: Vec::new(),
                scopes_granted: true,
                claims: None,
                name: None,
                client_id: None,
                expires_at_ms,
                token: "ak_x".into(),
            })),
        };
        let lives = |verdict: &Verdict| {
            moka::Expiry::expire_after_create(&expiry, &[0; 32], verdict, std::time::Instant::now())
                .expect("expires")
        };
        assert_eq!(lives(&auth(None)), Duration::from_secs(10));
        assert!(lives(&auth(Some(now_ms() + 3_000))) <= Duration::from_secs(3));
        assert_eq!(lives(&auth(Some(now_ms() - 1))), Duration::ZERO);
        assert_eq!(lives(&Verdict::Unknown), UNKNOWN_TOKEN_TTL);
        let short = VerdictExpiry {
            ttl: Duration::from_secs(1),
        };
        let unknown = moka::Expiry::expire_after_create(
            &short,
            &[0; 32],
            &Verdict::Unknown,
            std::time::Instant::now(),
        );
        assert_eq!(unknown, Some(Duration::from_secs(1)));
    }
}
