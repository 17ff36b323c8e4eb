//! The session's user, loaded from the Backend API on the request path ([`UserLookup`]), over a
//! short-lived cache keyed by user id with one lookup in flight per id ([`UserCache`]).
//!
//! Web adapters use it to load the session's user once per `ttl` however many requests of that
//! user arrive at the same time: the first request runs the lookup, the others wait for its
//! result. Failures are shared with the requests that waited for them but not cached, so the
//! next request tries again, except a missing user ([`LookupFailure::NotFound`]), which is
//! remembered for [`MISSING_TTL`] so that a deleted user's retries do not reach the Backend API.
//! A lookup on the request path is bounded: [`LOOKUP_MAX_ATTEMPTS`] attempts at most, all within
//! [`UserLookup::timeout`] ([`DEFAULT_LOOKUP_TIMEOUT`]), after which it fails as
//! [`LookupFailure::Unavailable`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::time::Duration;
//! use clerk_core::rejection::LookupFailure;
//! use clerk_core::user_cache::UserCache;
//!
//! let cache: UserCache<String> = UserCache::new(Duration::from_secs(30), 10_000);
//! let name = cache
//!     .get_or_fetch("user_1", || async { Ok::<_, LookupFailure>("Ada".to_owned()) })
//!     .await;
//! assert_eq!(name.as_deref(), Ok("Ada"));
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::Method;

use crate::Clerk;
use crate::api::{Request, path_segment};
use crate::models::User;
use crate::rejection::{LookupFailure, Rejection};

/// How long the web adapters keep a loaded user by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// How many users the web adapters keep at most.
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;

/// How long a user the Backend API does not know is remembered as missing (never longer than
/// the cache's `ttl`), so that a deleted user's retries make no Backend API call.
pub const MISSING_TTL: Duration = Duration::from_secs(5);

/// How long a lookup on the request path may take by default, retries included, before the
/// request is answered 503 `user_lookup_unavailable`.
pub const DEFAULT_LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// The most attempts a lookup on the request path makes (fewer when the client's
/// [`RetryPolicy`](crate::api::RetryPolicy) allows fewer).
pub const LOOKUP_MAX_ATTEMPTS: u32 = 2;

/// Values of type `U` (typically the Backend API's user) cached per user id for a fixed time to
/// live, with concurrent lookups of one id coalesced into one. A lookup that fails with
/// [`LookupFailure::NotFound`] is remembered for [`MISSING_TTL`] (or the `ttl`, if shorter);
/// other failures are not cached. Cheap to clone: clones share the cache.
#[derive(Clone)]
pub struct UserCache<U> {
    cache: moka::future::Cache<String, U>,
    /// Ids the Backend API answered "not found" for, recently.
    missing: moka::future::Cache<String, ()>,
    ttl: Duration,
}

impl<U: Clone + Send + Sync + 'static> UserCache<U> {
    /// A cache that keeps each value for `ttl` after it was fetched, and at most `max_entries`
    /// values (and as many missing ids).
    pub fn new(ttl: Duration, max_entries: u64) -> Self {
        Self {
            cache: moka::future::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(max_entries)
                .build(),
            missing: moka::future::Cache::builder()
                .time_to_live(MISSING_TTL.min(ttl))
                .max_capacity(max_entries)
                .build(),
            ttl,
        }
    }

    /// The value cached for `user_id`, or the result of `fetch` (run by at most one caller at a
    /// time per id; concurrent callers wait for it and share its result). Errors are not cached,
    /// except [`LookupFailure::NotFound`]: `fetch` is not run again for that id for
    /// [`MISSING_TTL`].
    pub async fn get_or_fetch<F, Fut>(&self, user_id: &str, fetch: F) -> Result<U, LookupFailure>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<U, LookupFailure>>,
    {
        if self.missing.contains_key(user_id) {
            return Err(LookupFailure::NotFound);
        }
        let result = self
            .cache
            .try_get_with_by_ref(user_id, fetch())
            .await
            .map_err(|failure| *failure);
        if matches!(result, Err(LookupFailure::NotFound)) {
            self.missing.insert(user_id.to_owned(), ()).await;
        }
        result
    }

    /// Forgets what is cached for `user_id`, found or missing (e.g. after a `user.updated`
    /// webhook).
    pub async fn invalidate(&self, user_id: &str) {
        self.cache.invalidate(user_id).await;
        self.missing.invalidate(user_id).await;
    }

    /// How many values are cached now (after applying pending evictions); missing ids are not
    /// counted.
    pub async fn entry_count(&self) -> u64 {
        self.cache.run_pending_tasks().await;
        self.cache.entry_count()
    }

    /// The configured time to live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

impl<U> fmt::Debug for UserCache<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCache")
            .field("ttl", &self.ttl)
            .field("entries", &self.cache.entry_count())
            .field("missing", &self.missing.entry_count())
            .finish()
    }
}

/// How the web adapters' `ClerkUser` loads the session's user: `GET /v1/users/{user_id}`
/// through a [`UserCache`], bounded so that a slow or failing Backend API cannot hold a request
/// for long.
///
/// - at most [`LOOKUP_MAX_ATTEMPTS`] attempts (the client's [`RetryPolicy`](crate::api::RetryPolicy)
///   may allow fewer);
/// - everything, retries and `Retry-After` waits included, within [`timeout`](Self::timeout)
///   (default [`DEFAULT_LOOKUP_TIMEOUT`], 5 s); a retry that cannot finish in time is not
///   made. Past the timeout the lookup fails as [`LookupFailure::Unavailable`] (503, as when
///   Clerk answers 503);
/// - failures are classified by [`LookupFailure::from_api_error`]: only Clerk's
///   `resource_not_found` is a missing user, remembered for [`MISSING_TTL`].
///
/// Cheap to clone: clones share the cache.
///
/// ```no_run
/// # async fn demo(clerk: clerk_core::Clerk) {
/// use std::time::Duration;
/// use clerk_core::user_cache::UserLookup;
///
/// let users = UserLookup::default().timeout(Duration::from_secs(2));
/// match users.load(&clerk, "user_123").await {
///     Ok(user) => println!("{:?}", user.first_name),
///     Err(failure) => println!("{failure}"),
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct UserLookup {
    cache: UserCache<Arc<User>>,
    timeout: Duration,
}

impl Default for UserLookup {
    /// Users kept for [`DEFAULT_TTL`], at most [`DEFAULT_MAX_ENTRIES`], looked up within
    /// [`DEFAULT_LOOKUP_TIMEOUT`].
    fn default() -> Self {
        Self {
            cache: UserCache::new(DEFAULT_TTL, DEFAULT_MAX_ENTRIES),
            timeout: DEFAULT_LOOKUP_TIMEOUT,
        }
    }
}

impl UserLookup {
    /// Keeps loaded users for `ttl` (default [`DEFAULT_TTL`]); starts a new, empty cache.
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache = UserCache::new(ttl, DEFAULT_MAX_ENTRIES);
        self
    }

    /// The longest a lookup may take, retries included (default [`DEFAULT_LOOKUP_TIMEOUT`],
    /// 5 seconds); past it the lookup fails as [`LookupFailure::Unavailable`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The configured lookup timeout.
    pub fn lookup_timeout(&self) -> Duration {
        self.timeout
    }

    /// The cache of loaded users.
    pub fn cache(&self) -> &UserCache<Arc<User>> {
        &self.cache
    }

    /// The user `user_id`, from the cache or from the Backend API (see the type's
    /// documentation for the bounds and the failures).
    pub async fn load(&self, clerk: &Clerk, user_id: &str) -> Result<Arc<User>, LookupFailure> {
        crate::stats::bump(&clerk.inner.counters.user_lookups);
        self.cache
            .get_or_fetch(user_id, || self.fetch(clerk, user_id))
            .await
    }

    /// The user of a signed-in request on a route that needs it, or the rejection to answer
    /// with ([`Rejection::lookup_failed`]): a user the Backend API no longer knows is 401
    /// `user-not-found`, an unavailable Backend API 503, another error 502.
    pub async fn required(&self, clerk: &Clerk, user_id: &str) -> Result<Arc<User>, Rejection> {
        self.load(clerk, user_id)
            .await
            .map_err(Rejection::lookup_failed)
    }

    /// The user of a signed-in request on a route that may be signed out: `None` when the
    /// Backend API no longer knows it (the request is treated as signed out); the other
    /// failures are rejections, as for [`required`](Self::required).
    pub async fn optional(
        &self,
        clerk: &Clerk,
        user_id: &str,
    ) -> Result<Option<Arc<User>>, Rejection> {
        match self.load(clerk, user_id).await {
            Ok(user) => Ok(Some(user)),
            Err(LookupFailure::NotFound) => Ok(None),
            Err(failure) => Err(Rejection::lookup_failed(failure)),
        }
    }

    async fn fetch(&self, clerk: &Clerk, user_id: &str) -> Result<Arc<User>, LookupFailure> {
        crate::stats::bump(&clerk.inner.counters.user_fetches);
        tracing::trace!(clerk.cache = "user", clerk.cache_hit = false);
        let path = path_segment("user_id", user_id)
            .map_err(|error| LookupFailure::from_api_error(&error))?;
        let deadline = tokio::time::Instant::now() + self.timeout;
        let request = Request::new(
            Method::GET,
            "GetUser",
            "/users/{user_id}",
            format!("/users/{path}"),
        )
        .max_attempts(LOOKUP_MAX_ATTEMPTS)
        .deadline(deadline);
        // The transport already keeps to the deadline; the timeout makes it a promise.
        match tokio::time::timeout_at(deadline, clerk.execute_json::<User>(request)).await {
            Ok(Ok(user)) => Ok(Arc::new(user)),
            Ok(Err(error)) => {
                let failure = LookupFailure::from_api_error(&error);
                if failure != LookupFailure::NotFound {
                    // The status, Clerk's code and trace id, the operation: never the Backend
                    // API's text or a decoded value, which may hold personal data.
                    tracing::warn!(
                        http.response.status_code = error.status(),
                        clerk.error.code = error.code(),
                        clerk.trace_id = error.clerk_trace_id(),
                        clerk.operation = "GetUser",
                        ?failure,
                        "the lookup of the session's user failed"
                    );
                }
                Err(failure)
            }
            Err(_) => {
                tracing::warn!(timeout = ?self.timeout, "the lookup of the session's user timed out");
                Err(LookupFailure::Unavailable)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counted(
        calls: &Arc<AtomicUsize>,
        result: Result<&'static str, LookupFailure>,
    ) -> impl FnOnce() -> std::pin::Pin<
        Box<dyn Future<Output = Result<&'static str, LookupFailure>> + Send>,
    > + use<> {
        let calls = calls.clone();
        move || {
            Box::pin(async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                result
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_lookups_of_one_user_make_one_call() {
        let cache = UserCache::new(Duration::from_secs(60), 100);
        let calls = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..64)
            .map(|_| {
                let cache = cache.clone();
                let fetch = counted(&calls, Ok("ada"));
                tokio::spawn(async move { cache.get_or_fetch("user_1", fetch).await })
            })
            .collect();
        for waiter in waiters {
            assert_eq!(waiter.await.expect("joined"), Ok("ada"));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Another user is another call.
        let other = cache
            .get_or_fetch("user_2", counted(&calls, Ok("bob")))
            .await;
        assert_eq!(other, Ok("bob"));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(cache.entry_count().await, 2);
    }

    #[tokio::test]
    async fn values_expire_after_the_ttl() {
        let cache = UserCache::new(Duration::from_millis(100), 100);
        let calls = Arc::new(AtomicUsize::new(0));
        cache
            .get_or_fetch("user_1", counted(&calls, Ok("v1")))
            .await
            .expect("fetched");
        cache
            .get_or_fetch("user_1", counted(&calls, Ok("v1")))
            .await
            .expect("cached");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(150)).await;
        let fresh = cache
            .get_or_fetch("user_1", counted(&calls, Ok("v2")))
            .await;
        assert_eq!(fresh, Ok("v2"));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        cache.invalidate("user_1").await;
        assert_eq!(cache.entry_count().await, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failures_are_shared_but_not_cached() {
        let cache = UserCache::new(Duration::from_secs(60), 100);
        let calls = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..16)
            .map(|_| {
                let cache = cache.clone();
                let fetch = counted(&calls, Err(LookupFailure::Unavailable));
                tokio::spawn(async move { cache.get_or_fetch("user_1", fetch).await })
            })
            .collect();
        for waiter in waiters {
            assert_eq!(
                waiter.await.expect("joined"),
                Err(LookupFailure::Unavailable)
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let retried = cache
            .get_or_fetch("user_1", counted(&calls, Ok("ok")))
            .await;
        assert_eq!(retried, Ok("ok"));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_missing_user_is_remembered_briefly() {
        let cache: UserCache<&'static str> = UserCache::new(Duration::from_millis(200), 100);
        let calls = Arc::new(AtomicUsize::new(0));
        for _ in 0..3 {
            let gone = cache
                .get_or_fetch("user_1", counted(&calls, Err(LookupFailure::NotFound)))
                .await;
            assert_eq!(gone, Err(LookupFailure::NotFound));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "remembered as missing");
        tokio::time::sleep(Duration::from_millis(250)).await;
        let back = cache
            .get_or_fetch("user_1", counted(&calls, Ok("back")))
            .await;
        assert_eq!(back, Ok("back"), "forgotten after min(MISSING_TTL, ttl)");
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        cache
            .get_or_fetch("user_2", counted(&calls, Err(LookupFailure::NotFound)))
            .await
            .expect_err("missing");
        cache.invalidate("user_2").await;
        let invalidated = cache
            .get_or_fetch("user_2", counted(&calls, Ok("new")))
            .await;
        assert_eq!(invalidated, Ok("new"));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }
}
