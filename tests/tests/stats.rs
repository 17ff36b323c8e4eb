//! `Clerk::stats()` checked against LocalClerk's own request counters.

mod observed;

use clerk_core::ClerkStats;
use clerk_core::user_cache::UserLookup;
use clerk_testing::{Fault, LocalClerk, NewUser};
use observed::{client, refetch_allowed};

#[tokio::test]
async fn stats_match_what_local_clerk_counted() {
    let local = LocalClerk::start().await;
    let clerk = client(&local);
    assert_eq!(clerk.stats(), ClerkStats::default());
    let user_id = local
        .users()
        .create(NewUser::with_email("ada@example.com"))
        .id;
    let token = local.token(&user_id).mint();

    // Session tokens: one key fetch, one fresh verification, then cache hits.
    for _ in 0..3 {
        clerk.verify_token(&token).await.expect("valid");
    }
    let stats = clerk.stats();
    assert_eq!(stats.jwks_fetches as usize, local.requests().jwks());
    assert_eq!(stats.jwks_fetches, 1);
    assert_eq!((stats.token_cache_misses, stats.token_cache_hits), (1, 2));

    // A failed fetch is counted as one, and as a failure.
    refetch_allowed().await;
    local.faults().set_jwks(Some(Fault::Status(500)));
    let unknown = local.token(&user_id).kid("ins_unknown").mint();
    clerk.verify_token(&unknown).await.expect_err("no such key");
    local.faults().set_jwks(None);
    let stats = clerk.stats();
    assert_eq!(stats.jwks_fetches as usize, local.requests().jwks());
    assert_eq!((stats.jwks_fetches, stats.jwks_fetch_failures), (2, 1));
    assert_eq!(
        stats.token_cache_misses, 2,
        "a failed verification is a miss"
    );

    // Backend API calls by status class, and retries, as LocalClerk received them.
    clerk.users().get(&user_id).send().await.expect("found");
    clerk
        .users()
        .get("user_missing")
        .send()
        .await
        .expect_err("404");
    local.faults().set_api(Some(Fault::Status(503)));
    clerk.users().get(&user_id).send().await.expect_err("503");
    local.faults().set_api(None);
    let stats = clerk.stats();
    assert_eq!(
        stats.api_calls() as usize,
        local.requests().count("GetUser")
    );
    assert_eq!(
        (
            stats.api_success,
            stats.api_client_errors,
            stats.api_server_errors,
            stats.api_retries,
            stats.api_no_response,
        ),
        (1, 1, 3, 2, 0)
    );

    // The user cache: one lookup in the Backend API, then hits; a missing user once too.
    let users = UserLookup::default();
    for _ in 0..3 {
        users.load(&clerk, &user_id).await.expect("found");
    }
    let _ = users.load(&clerk, "user_missing").await;
    let _ = users.load(&clerk, "user_missing").await;
    let stats = clerk.stats();
    assert_eq!((stats.user_cache_misses, stats.user_cache_hits), (2, 3));
    assert_eq!(
        stats.api_calls() as usize,
        local.requests().count("GetUser")
    );

    // Machine tokens: one Backend API verification, then the verdict cache.
    let (_, secret) = local.api_keys().create(&user_id, "ci", ["orders:read"]);
    for _ in 0..4 {
        clerk.verify_machine_token(&secret).await.expect("valid");
    }
    let stats = clerk.stats();
    assert_eq!(
        (stats.machine_cache_misses, stats.machine_cache_hits),
        (1, 3)
    );
    assert_eq!(local.requests().count("verifyApiKey"), 1);
    assert_eq!(
        stats.api_calls() as usize,
        local.requests().count("GetUser") + local.requests().count("verifyApiKey")
    );

    // Clones share the counters; the one-line form names each.
    assert_eq!(clerk.clone().stats(), stats);
    let line = stats.to_string();
    assert!(line.contains("jwks fetches 2 (failed 1)"), "{line}");
    assert!(line.contains("5xx 3"), "{line}");
}
