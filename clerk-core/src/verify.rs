//! Session-token verification.
//!
//! The path of a token: size limit → verified-token cache → header (`alg`, `typ`, `cat`, `kid`)
//! → key from the instance's [`jwks`](crate::jwks) cache → signature → claims (`exp`; `nbf` and
//! `iat` when present; `iss`, subject) → policy (`azp`, pending sessions) → cache.
//!
//! The header fields `jku`, `x5u` and `jwk` are never read: a token cannot choose its own key.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::Deserialize;

use crate::claims::{RawClaims, SessionClaims, SessionStatus};
use crate::error::VerifyError;
use crate::jwks::JwksCache;
use crate::keys::rsa_algorithm;
use crate::stats::Counters;

/// Tokens longer than this are rejected before any other work.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The `cat` header value of session tokens.
pub const SESSION_TOKEN_CATEGORY: &str = "cl_B7d4PD111AAA";

/// The `cat` header value that instances with Clerk's "ignore category" setting stamp on every
/// token they issue, session tokens included; Clerk's SDK accepts it on the session path.
pub const IGNORE_CATEGORY: &str = "cl_I7d4PD111III";

/// What a verification accepts beyond a valid signature and times.
///
/// Every [`Clerk`] has defaults (set on its builder); [`Clerk::verify_options`] returns them for
/// per-call changes.
///
/// [`Clerk`]: crate::Clerk
/// [`Clerk::verify_options`]: crate::Clerk::verify_options
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    authorized_parties: Arc<[String]>,
    audience: Arc<[String]>,
    accept_pending: bool,
}

impl VerifyOptions {
    /// Only accept tokens whose `azp` is one of these origins (e.g. `https://app.example.com`).
    /// With a non-empty list, a token without `azp` is rejected. An empty list accepts any.
    pub fn authorized_parties<I, S>(mut self, parties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authorized_parties = parties
            .into_iter()
            .map(|p| p.into().trim_end_matches('/').to_owned())
            .collect();
        self
    }

    /// Only accept tokens whose `aud` claim names one of these audiences (Clerk's `audience`
    /// option): a string `aud` must be in the list, an array `aud` must share an entry with
    /// it. With a non-empty list, a token without `aud` (or with an `aud` that is neither a
    /// string nor an array of strings) is refused too, where Clerk's SDK skips the check:
    /// stricter on purpose. A refusal's reason is Clerk's, `token-verification-failed`. Empty
    /// strings are dropped; an empty list (the default) checks nothing.
    ///
    /// ```
    /// # fn demo(clerk: clerk_core::Clerk) {
    /// let options = clerk.verify_options().audience(["https://api.example.com"]);
    /// assert_eq!(options.audience_list(), ["https://api.example.com"]);
    /// # }
    /// ```
    pub fn audience<I, S>(mut self, audience: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audience = audience
            .into_iter()
            .map(Into::into)
            .filter(|a: &String| !a.is_empty())
            .collect();
        self
    }

    /// Accept sessions with status `pending` (signed in, a required step not done). Default: no,
    /// they are treated as signed out.
    pub fn accept_pending(mut self, accept: bool) -> Self {
        self.accept_pending = accept;
        self
    }

    /// The configured authorized parties.
    pub fn authorized_parties_list(&self) -> &[String] {
        &self.authorized_parties
    }

    /// The configured audiences (see [`audience`](Self::audience)).
    pub fn audience_list(&self) -> &[String] {
        &self.audience
    }

    /// Whether pending sessions are accepted.
    pub fn accepts_pending(&self) -> bool {
        self.accept_pending
    }
}

/// How `iss` is checked.
#[derive(Debug, Clone)]
pub(crate) enum IssuerPolicy {
    /// One of these, exactly (trailing slashes ignored).
    Exact(Vec<String>),
    /// Nothing is configured: any Clerk-hosted issuer.
    AnyClerk,
}

impl IssuerPolicy {
    fn accepts(&self, iss: &str) -> bool {
        let iss = iss.trim_end_matches('/');
        match self {
            Self::Exact(list) => list.iter().any(|allowed| allowed == iss),
            Self::AnyClerk => is_clerk_issuer(iss),
        }
    }
}

/// Whether `iss` is a Clerk Frontend API: `https://clerk.<domain>` (production) or
/// `https://<name>.clerk.accounts.dev` (development).
fn is_clerk_issuer(iss: &str) -> bool {
    let Some(rest) = iss.strip_prefix("https://") else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or_default();
    let valid_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    valid_host
        && ((host.starts_with("clerk.") && host.len() > "clerk.".len())
            || [
                ".clerk.accounts.dev",
                ".clerk.accountsstage.dev",
                ".clerk.accounts.lclclerk.com",
            ]
            .iter()
            .any(|suffix| host.ends_with(suffix) && host.len() > suffix.len()))
}

/// The header fields of a JWT that verification reads.
#[derive(Deserialize)]
pub(crate) struct JwtHeader<'a> {
    alg: Option<&'a str>,
    kid: Option<String>,
    pub(crate) typ: Option<&'a str>,
    pub(crate) cat: Option<&'a str>,
}

/// The current time in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn b64url(part: &str) -> Result<Vec<u8>, VerifyError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| VerifyError::Malformed("a part is not base64url"))
}

/// Keeps a cached entry until `exp` + clock skew, never longer.
struct UntilExpiry {
    skew_ms: i64,
}

impl moka::Expiry<Arc<str>, Verified> for UntilExpiry {
    fn expire_after_create(
        &self,
        _key: &Arc<str>,
        verified: &Verified,
        _created_at: Instant,
    ) -> Option<Duration> {
        let left = verified
            .claims
            .expires_at()
            .saturating_mul(1000)
            .saturating_add(self.skew_ms)
            .saturating_sub(now_ms());
        Some(Duration::from_millis(left.max(0) as u64))
    }
}

thread_local! {
    /// The last token this thread verified, with the id of its instance (ids are never reused,
    /// so another instance never matches): a user's burst of requests skips even the shared
    /// cache, whose bookkeeping contends across threads. Every hit still goes through the policy
    /// checks, `exp` included.
    static LAST: std::cell::RefCell<Option<Last>> = const { std::cell::RefCell::new(None) };
}

/// What [`LAST`] holds.
struct Last {
    /// The instance's id.
    owner: u64,
    verified: Verified,
    /// Whether the token is in the shared cache: a token this thread verified but did not admit
    /// is admitted when the thread sees it again.
    shared: bool,
}

/// A verified token: the token itself (shared with the cache key, so that a request's [`Auth`]
/// costs no copy of it) and its claims.
///
/// [`Auth`]: crate::Auth
#[derive(Clone)]
pub(crate) struct Verified {
    pub(crate) token: Arc<str>,
    pub(crate) claims: SessionClaims,
}

/// Admission to the shared verified-token cache: only a token verified a second time enters it.
///
/// Most tokens of a busy app are seen once or by one thread (a token lives about 60 s), and an
/// insert into a full moka cache (node allocation, eviction, rehashing of its table) cost about as
/// much as everything else around the RSA check in a profile of the fresh path. The doorkeeper
/// remembers a 64-bit hash of each token verified once, in a fixed table (a newer token
/// overwrites an older one in its slot); a token whose hash is already there is admitted. It
/// decides only what is shared, never what is valid: a collision admits a token that verified
/// anyway, and a lost slot costs one more verification.
struct Doorkeeper {
    slots: Box<[std::sync::atomic::AtomicU64]>,
    hasher: foldhash::fast::RandomState,
}

impl Doorkeeper {
    /// A doorkeeper for a cache of `capacity` entries: two slots per entry, rounded up to a
    /// power of two (256 KiB for the default 10 000 entries; at most 2^20 slots, 8 MiB).
    fn new(capacity: u64) -> Self {
        let slots = usize::try_from(capacity.saturating_mul(2))
            .unwrap_or(usize::MAX)
            .clamp(1, 1 << 20)
            .next_power_of_two();
        Self {
            slots: (0..slots).map(|_| Default::default()).collect(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// Whether `token` was seen before (then it is admitted); remembers it either way.
    fn admit(&self, token: &str) -> bool {
        use std::hash::BuildHasher as _;
        use std::sync::atomic::Ordering::Relaxed;
        let hash = self.hasher.hash_one(token);
        // The table's size is a power of two: the low bits pick the slot, all 64 are compared.
        let slot = &self.slots[hash as usize & (self.slots.len() - 1)];
        slot.load(Relaxed) == hash || slot.swap(hash, Relaxed) == hash
    }
}

/// The bounded cache of verified tokens of one instance. Keys are whole tokens, hashed with
/// foldhash (randomly seeded per cache): several times faster than SipHash on ~700-byte tokens,
/// and only tokens that verified are ever inserted, so callers cannot choose colliding keys.
type TokenCache = moka::sync::Cache<Arc<str>, Verified, foldhash::fast::RandomState>;

/// Instance ids (see `Verifier::id`).
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The session-token verifier of one [`Clerk`](crate::Clerk): its key cache, its caches of
/// verified tokens and the settings of its checks.
pub(crate) struct Verifier {
    /// Unique in the process: tells instances apart in thread-local state.
    id: u64,
    keys: Arc<JwksCache>,
    tokens: TokenCache,
    doorkeeper: Doorkeeper,
    token_cache_capacity: u64,
    issuers: IssuerPolicy,
    clock_skew_ms: i64,
    counters: Arc<Counters>,
}

impl Verifier {
    /// A verifier with keys from `keys`, accepting the issuers of `issuers` and times within
    /// `clock_skew_ms`, remembering up to `token_cache_capacity` verified tokens (0: none).
    pub(crate) fn new(
        keys: Arc<JwksCache>,
        issuers: IssuerPolicy,
        clock_skew_ms: i64,
        token_cache_capacity: u64,
        counters: Arc<Counters>,
    ) -> Self {
        let tokens = moka::sync::Cache::builder()
            .max_capacity(token_cache_capacity)
            .expire_after(UntilExpiry {
                skew_ms: clock_skew_ms,
            })
            .build_with_hasher(foldhash::fast::RandomState::default());
        Self {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            keys,
            tokens,
            doorkeeper: Doorkeeper::new(token_cache_capacity),
            token_cache_capacity,
            issuers,
            clock_skew_ms,
            counters,
        }
    }

    /// The tolerance of time checks, in milliseconds.
    pub(crate) fn clock_skew_ms(&self) -> i64 {
        self.clock_skew_ms
    }

    /// How `iss` is checked.
    #[cfg(test)]
    pub(crate) fn issuers(&self) -> &IssuerPolicy {
        &self.issuers
    }

    /// How many verified tokens the shared cache holds now (after applying pending evictions).
    pub(crate) fn cached_token_count(&self) -> u64 {
        self.tokens.run_pending_tasks();
        self.tokens.entry_count()
    }

    /// [`Clerk::verify_token_with`](crate::Clerk::verify_token_with), also giving the token as a
    /// shared string.
    pub(crate) async fn verify_shared(
        &self,
        token: &str,
        options: &VerifyOptions,
    ) -> Result<Verified, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::TooLarge {
                max: MAX_TOKEN_BYTES,
            });
        }
        let now = now_ms();
        if let Some(cached) = self.cached_session(token, options, now) {
            return cached;
        }
        self.counters.token_cache_misses.add();
        tracing::trace!(clerk.cache = "session_token", clerk.cache_hit = false);
        let remember = self.token_cache_capacity > 0;
        let id = self.id;
        // Boxed: a fresh verification costs an RSA check anyway, and every request's future
        // (cache hits included) would otherwise carry its state.
        let claims = Box::pin(self.verify_fresh(token, now)).await?;
        self.check_policy(&claims, options, now)?;
        let token: Arc<str> = token.into();
        let verified = Verified {
            token: token.clone(),
            claims,
        };
        if remember {
            // The thread remembers every token it verified; the shared cache only a token seen
            // a second time (see `Doorkeeper`).
            let shared = self.doorkeeper.admit(&token);
            if shared {
                self.tokens.insert(token, verified.clone());
            }
            LAST.set(Some(Last {
                owner: id,
                verified: verified.clone(),
                shared,
            }));
        }
        Ok(verified)
    }

    /// A session token this instance verified before (the thread's last token, then the shared
    /// cache), with the checks that depend on the time and the options run again; `None` when
    /// it is not cached. Request authentication also asks it first when it accepts machine
    /// tokens: a cached session needs no telling of its kind.
    pub(crate) fn cached_session(
        &self,
        token: &str,
        options: &VerifyOptions,
        now: i64,
    ) -> Option<Result<Verified, VerifyError>> {
        self.lookup(token.as_bytes(), options, now, false)
    }

    /// A session token this instance verified before that passes the checks of
    /// [`cached_session`](Self::cached_session) now; `None`, with nothing counted, for any
    /// other (the answer at once of the request pipeline, whose slower path then decides).
    pub(crate) fn cached_valid(
        &self,
        token: &[u8],
        options: &VerifyOptions,
        now: i64,
    ) -> Option<Verified> {
        self.lookup(token, options, now, true)?.ok()
    }

    /// [`cached_session`](Self::cached_session); `valid_only`: a token that fails a check is
    /// `None`, not counted. The token as sent: equal to the thread's last token, it needs no
    /// other check (that one verified); the shared cache is asked only for text.
    fn lookup(
        &self,
        token: &[u8],
        options: &VerifyOptions,
        now: i64,
        valid_only: bool,
    ) -> Option<Result<Verified, VerifyError>> {
        // The cache is off with a capacity of 0: then nothing is remembered, not even here.
        if self.token_cache_capacity == 0 {
            return None;
        }
        let id = self.id;
        let last = LAST.with_borrow(|last| match last {
            Some(last) if last.owner == id && last.verified.token.as_bytes() == token => {
                Some((last.verified.clone(), !last.shared))
            }
            _ => None,
        });
        let (verified, from_last) = match last {
            Some((verified, admit)) => (verified, Some(admit)),
            // A token with no dot (an opaque machine token) is not looked up.
            None => {
                memchr::memchr(b'.', token)?;
                (self.tokens.get(std::str::from_utf8(token).ok()?)?, None)
            }
        };
        let checked = self.check_policy(&verified.claims, options, now);
        if valid_only && checked.is_err() {
            return None;
        }
        self.counters.token_cache_hits.add();
        tracing::trace!(clerk.cache = "session_token", clerk.cache_hit = true);
        match from_last {
            // The thread's last token, seen a second time: into the shared cache.
            Some(admit) => {
                LAST.with_borrow_mut(|last| {
                    if let Some(last) = last {
                        last.shared = true;
                    }
                });
                if admit && checked.is_ok() {
                    self.tokens.insert(verified.token.clone(), verified.clone());
                }
            }
            None if checked.is_ok() => LAST.set(Some(Last {
                owner: id,
                verified: verified.clone(),
                shared: true,
            })),
            None => {}
        }
        Some(checked.map(|()| verified))
    }

    /// The checks that depend on the time or on the options, run on cached tokens too.
    fn check_policy(
        &self,
        claims: &SessionClaims,
        options: &VerifyOptions,
        now: i64,
    ) -> Result<(), VerifyError> {
        if claims.expires_at().saturating_mul(1000) <= now.saturating_sub(self.clock_skew_ms) {
            return Err(VerifyError::Expired);
        }
        // On cache hits too: a token verified for a caller without an audience must not pass one
        // that requires it.
        if !options.audience.is_empty()
            && !claims
                .audience()
                .iter()
                .any(|aud| options.audience.contains(aud))
        {
            return Err(VerifyError::InvalidAudience);
        }
        if !options.authorized_parties.is_empty() {
            let allowed = claims.authorized_party().is_some_and(|azp| {
                let azp = azp.trim_end_matches('/');
                options.authorized_parties.iter().any(|p| p == azp)
            });
            if !allowed {
                return Err(VerifyError::InvalidAuthorizedParty);
            }
        }
        if *claims.status() == SessionStatus::Pending && !options.accept_pending {
            return Err(VerifyError::SessionPending);
        }
        Ok(())
    }

    /// Header, key, signature, then the claims that do not depend on options.
    async fn verify_fresh(&self, token: &str, now: i64) -> Result<SessionClaims, VerifyError> {
        let payload = self
            .signed_payload(token, |header| {
                if header
                    .typ
                    .is_some_and(|typ| !typ.eq_ignore_ascii_case("JWT"))
                {
                    return Err(VerifyError::TypeMismatch);
                }
                if header
                    .cat
                    .is_some_and(|cat| cat != SESSION_TOKEN_CATEGORY && cat != IGNORE_CATEGORY)
                {
                    return Err(VerifyError::TypeMismatch);
                }
                Ok(())
            })
            .await?;
        let raw = RawClaims::parse(&payload)?;
        self.check_times(raw.exp, raw.nbf, raw.iat, now)?;
        if !raw
            .iss
            .as_deref()
            .is_some_and(|iss| self.issuers.accepts(iss))
        {
            return Err(VerifyError::InvalidIssuer);
        }
        let claims = raw.into_claims(&payload)?;
        if claims.user_id().starts_with("mch_") {
            return Err(VerifyError::TypeMismatch);
        }
        Ok(claims)
    }

    /// A JWT's form, its header (`alg`, then `header_ok`'s checks), its key and its signature:
    /// the payload's text, not yet checked. Session and machine tokens share it.
    pub(crate) async fn signed_payload(
        &self,
        token: &str,
        header_ok: impl FnOnce(&JwtHeader<'_>) -> Result<(), VerifyError>,
    ) -> Result<String, VerifyError> {
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed(
                "a JWT has three parts separated by dots",
            ));
        };
        let header_json = b64url(header_b64)?;
        let header: JwtHeader<'_> = serde_json::from_slice(&header_json)
            .map_err(|_| VerifyError::Malformed("the header is not a JSON object"))?;
        let alg = header
            .alg
            .and_then(rsa_algorithm)
            .ok_or(VerifyError::InvalidAlgorithm)?;
        header_ok(&header)?;
        let key = self.keys.key(header.kid.as_deref()).await?;
        if key.alg.is_some_and(|key_alg| key_alg != alg) {
            return Err(VerifyError::InvalidAlgorithm);
        }
        let message = &token[..header_b64.len() + 1 + payload_b64.len()];
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| VerifyError::InvalidSignature)?;
        if !key.verify(alg, message.as_bytes(), &signature) {
            return Err(VerifyError::InvalidSignature);
        }
        String::from_utf8(b64url(payload_b64)?)
            .map_err(|_| VerifyError::Malformed("the payload is not UTF-8"))
    }

    /// `exp` (required, not past), `nbf` and `iat` (not in the future), all in seconds, within
    /// the clock skew of `now` (milliseconds).
    pub(crate) fn check_times(
        &self,
        exp: Option<i64>,
        nbf: Option<i64>,
        iat: Option<i64>,
        now: i64,
    ) -> Result<(), VerifyError> {
        let skew = self.clock_skew_ms;
        let exp = exp.ok_or(VerifyError::Malformed("the `exp` claim is missing"))?;
        if exp.saturating_mul(1000) <= now.saturating_sub(skew) {
            return Err(VerifyError::Expired);
        }
        let future = |at: Option<i64>| {
            at.is_some_and(|at| at.saturating_mul(1000) > now.saturating_add(skew))
        };
        if future(nbf) {
            return Err(VerifyError::NotActiveYet);
        }
        if future(iat) {
            return Err(VerifyError::IatInTheFuture);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clerk_issuers() {
        for yes in [
            "https://clerk.example.com",
            "https://clerk.example.com/",
            "https://happy-hippo-1.clerk.accounts.dev",
            "https://x.clerk.accountsstage.dev",
        ] {
            assert!(is_clerk_issuer(yes.trim_end_matches('/')), "{yes}");
        }
        for no in [
            "http://clerk.example.com",
            "https://evil.example.com",
            "https://clerk.",
            "https://.clerk.accounts.dev",
            "https://user@clerk.example.com",
            "clerk.example.com",
            "",
        ] {
            assert!(!is_clerk_issuer(no), "{no}");
        }
    }

    #[test]
    fn exact_issuers_ignore_trailing_slash() {
        let policy = IssuerPolicy::Exact(vec!["https://clerk.a.com".into()]);
        assert!(policy.accepts("https://clerk.a.com/"));
        assert!(!policy.accepts("https://clerk.b.com"));
        assert!(!policy.accepts("https://clerk.a.com.evil.io"));
    }
}
