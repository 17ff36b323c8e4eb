//! A short-lived cache of Backend API lookups keyed by user id, with one lookup in flight per id.
//!
//! Web adapters use it to load the session's user once per `ttl` however many requests of that
//! user arrive at the same time: the first request runs the lookup, the others wait for its
//! result. Failures are shared with the requests that waited for them but never cached, so the
//! next request tries again.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::time::Duration;
//! use clerk_core::guard::LookupFailure;
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
use std::time::Duration;

use crate::guard::LookupFailure;

/// How long the web adapters keep a loaded user by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// How many users the web adapters keep at most.
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;

/// Values of type `U` (typically the Backend API's user) cached per user id for a fixed time to
/// live, with concurrent lookups of one id coalesced into one. Cheap to clone: clones share the
/// cache.
#[derive(Clone)]
pub struct UserCache<U> {
    cache: moka::future::Cache<String, U>,
    ttl: Duration,
}

impl<U: Clone + Send + Sync + 'static> UserCache<U> {
    /// A cache that keeps each value for `ttl` after it was fetched, and at most `max_entries`
    /// values.
    pub fn new(ttl: Duration, max_entries: u64) -> Self {
        Self {
            cache: moka::future::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(max_entries)
                .build(),
            ttl,
        }
    }

    /// The value cached for `user_id`, or the result of `fetch` (run by at most one caller at a
    /// time per id; concurrent callers wait for it and share its result). Errors are not cached.
    pub async fn get_or_fetch<F, Fut>(&self, user_id: &str, fetch: F) -> Result<U, LookupFailure>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<U, LookupFailure>>,
    {
        self.cache
            .try_get_with_by_ref(user_id, fetch())
            .await
            .map_err(|failure| *failure)
    }

    /// Forgets the value cached for `user_id` (e.g. after a `user.updated` webhook).
    pub async fn invalidate(&self, user_id: &str) {
        self.cache.invalidate(user_id).await;
    }

    /// How many values are cached now (after applying pending evictions).
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
            .finish()
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
}
