//! What a [`Clerk`] instance did since it was built: [`Clerk::stats`] returns a
//! snapshot of counters (JWKS fetches, cache hits and misses, Backend API calls by status
//! class, retries). Each counter is a relaxed atomic, bumped where the event happens; the
//! snapshot reads each once, so counters read while requests run may be a few events apart.
//!
//! ```
//! # async fn demo(clerk: clerk_core::Clerk) {
//! let stats = clerk.stats();
//! println!("{stats}"); // one line, for a log or a health endpoint
//! let calls = stats.api_calls();
//! assert!(stats.api_retries <= calls);
//! # }
//! ```
//!
//! [`Clerk`]: crate::Clerk
//! [`Clerk::stats`]: crate::Clerk::stats

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A counter bumped on every request by many threads at once: one atomic per stripe, each on its
/// own cache line, so that threads do not fight over one line (the token cache's hits, at
/// millions per second).
#[derive(Default)]
pub(crate) struct Striped([Padded; STRIPES]);

const STRIPES: usize = 8;

#[derive(Default)]
#[repr(align(64))]
struct Padded(AtomicU64);

thread_local! {
    /// This thread's stripe, chosen round-robin when it first counts.
    static STRIPE: usize = {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES
    };
}

impl Striped {
    pub(crate) fn add(&self) {
        let stripe = STRIPE.with(|stripe| *stripe);
        self.0[stripe].0.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0
            .iter()
            .map(|p| p.0.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

/// The live counters of one instance (`Clerk::stats` reads them).
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) jwks_fetches: AtomicU64,
    pub(crate) jwks_fetch_failures: AtomicU64,
    pub(crate) token_cache_hits: Striped,
    pub(crate) token_cache_misses: Striped,
    pub(crate) machine_lookups: AtomicU64,
    pub(crate) machine_verifications: AtomicU64,
    pub(crate) user_lookups: AtomicU64,
    pub(crate) user_fetches: AtomicU64,
    /// Backend API answers by status class: 1xx/3xx, 2xx, 4xx, 5xx.
    pub(crate) api_other: AtomicU64,
    pub(crate) api_2xx: AtomicU64,
    pub(crate) api_4xx: AtomicU64,
    pub(crate) api_5xx: AtomicU64,
    pub(crate) api_no_response: AtomicU64,
    pub(crate) api_retries: AtomicU64,
}

/// Adds one to `counter`.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    /// What [`Clerk::stats`](crate::Clerk::stats) returns: each counter read once.
    pub(crate) fn snapshot(&self) -> ClerkStats {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let machine_misses = get(&self.machine_verifications);
        let user_misses = get(&self.user_fetches);
        ClerkStats {
            jwks_fetches: get(&self.jwks_fetches),
            jwks_fetch_failures: get(&self.jwks_fetch_failures),
            token_cache_hits: self.token_cache_hits.get(),
            token_cache_misses: self.token_cache_misses.get(),
            machine_cache_hits: get(&self.machine_lookups).saturating_sub(machine_misses),
            machine_cache_misses: machine_misses,
            user_cache_hits: get(&self.user_lookups).saturating_sub(user_misses),
            user_cache_misses: user_misses,
            api_success: get(&self.api_2xx),
            api_client_errors: get(&self.api_4xx),
            api_server_errors: get(&self.api_5xx),
            api_other_statuses: get(&self.api_other),
            api_no_response: get(&self.api_no_response),
            api_retries: get(&self.api_retries),
        }
    }

    /// Counts one Backend API answer with this status.
    pub(crate) fn api_status(&self, status: u16) {
        bump(match status {
            200..=299 => &self.api_2xx,
            400..=499 => &self.api_4xx,
            500..=599 => &self.api_5xx,
            _ => &self.api_other,
        });
    }
}

/// A snapshot of what one [`Clerk`] instance (and its clones) did since it was built; see
/// [`Clerk::stats`]. Backend API counts are of HTTP requests sent (a call retried twice is three
/// requests and two retries), the machine-token verifications of the Backend API and the
/// `ClerkUser` lookups included; JWKS fetches are counted apart.
///
/// [`Clerk`]: crate::Clerk
/// [`Clerk::stats`]: crate::Clerk::stats
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ClerkStats {
    /// JWKS requests sent (initial loads, refreshes after an unknown `kid`, background
    /// refreshes), failed ones included.
    pub jwks_fetches: u64,
    /// JWKS requests that gave no usable key set (no answer, an error status, a bad body).
    pub jwks_fetch_failures: u64,
    /// Session tokens verified from the cache (no signature check).
    pub token_cache_hits: u64,
    /// Session tokens verified afresh (key lookup and signature check), whether they verified
    /// or not.
    pub token_cache_misses: u64,
    /// Machine tokens answered from the verdict cache (or by a verification another request
    /// had in flight).
    pub machine_cache_hits: u64,
    /// Machine tokens verified afresh (a Backend API call for opaque ones).
    pub machine_cache_misses: u64,
    /// Users a `ClerkUser` extractor (or [`UserLookup`](crate::user_cache::UserLookup)) found
    /// cached, as found or as missing, or shared with a lookup in flight.
    pub user_cache_hits: u64,
    /// Users looked up in the Backend API.
    pub user_cache_misses: u64,
    /// Backend API answers with a 2xx status.
    pub api_success: u64,
    /// Backend API answers with a 4xx status.
    pub api_client_errors: u64,
    /// Backend API answers with a 5xx status.
    pub api_server_errors: u64,
    /// Backend API answers with a 1xx or 3xx status.
    pub api_other_statuses: u64,
    /// Backend API requests that got no answer (connection failure, timeout).
    pub api_no_response: u64,
    /// Backend API requests that were retries of an earlier attempt.
    pub api_retries: u64,
}

impl ClerkStats {
    /// Every Backend API request sent, answered or not.
    pub fn api_calls(&self) -> u64 {
        self.api_success
            + self.api_client_errors
            + self.api_server_errors
            + self.api_other_statuses
            + self.api_no_response
    }
}

impl fmt::Display for ClerkStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "jwks fetches {} (failed {}); token cache {} hits, {} misses; machine tokens {} hits, \
             {} misses; users {} hits, {} misses; backend api {} calls (2xx {}, 4xx {}, 5xx {}, \
             other {}, no answer {}), {} retries",
            self.jwks_fetches,
            self.jwks_fetch_failures,
            self.token_cache_hits,
            self.token_cache_misses,
            self.machine_cache_hits,
            self.machine_cache_misses,
            self.user_cache_hits,
            self.user_cache_misses,
            self.api_calls(),
            self.api_success,
            self.api_client_errors,
            self.api_server_errors,
            self.api_other_statuses,
            self.api_no_response,
            self.api_retries,
        )
    }
}
