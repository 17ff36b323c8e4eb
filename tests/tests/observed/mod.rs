//! What the observability tests share (`observability.rs`, `stats.rs`).

use std::time::Duration;

use clerk_core::api::RetryPolicy;
use clerk_core::jwks::MIN_REFETCH_FLOOR;
use clerk_core::{Clerk, JwksSettings};
use clerk_testing::LocalClerk;

/// LocalClerk's client with quick retries.
pub fn client(local: &LocalClerk) -> Clerk {
    local
        .clerk_builder()
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        // A token with a new `kid` may have Clerk asked again after a second (the floor).
        .jwks_settings(JwksSettings {
            min_refetch_interval: Duration::ZERO,
            ..JwksSettings::default()
        })
        .build()
        .expect("LocalClerk's keys are valid")
}

/// Waits out the least time between two key fetches.
pub async fn refetch_allowed() {
    tokio::time::sleep(MIN_REFETCH_FLOOR + Duration::from_millis(100)).await;
}
