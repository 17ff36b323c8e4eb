//! The per-instance key cache, against LocalClerk's real JWKS endpoint on 127.0.0.1.

use std::time::Duration;

use clerk_core::{Clerk, JwksError, JwksSettings, VerifyError};
use clerk_testing::{Fault, LocalClerk};

fn settings(refresh: u64, min_refetch: u64, max_stale: u64) -> JwksSettings {
    JwksSettings {
        refresh_interval: Duration::from_millis(refresh),
        min_refetch_interval: Duration::from_millis(min_refetch),
        max_stale: Duration::from_millis(max_stale),
        fetch_timeout: Duration::from_secs(5),
    }
}

/// Polls until `count()` reaches `want` (the background refresh runs on its own schedule).
async fn wait_for(count: impl Fn() -> usize, want: usize) {
    for _ in 0..200 {
        if count() >= want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("count stayed at {} (wanted {want})", count());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cold_start_makes_exactly_one_fetch_for_concurrent_verifications() {
    let local = LocalClerk::start().await;
    // Hold the first answer back so that every verification is waiting on it.
    local
        .faults()
        .set_jwks(Some(Fault::Delay(Duration::from_millis(300))));
    let clerk = local.clerk();
    let tokens: Vec<String> = (0..64)
        .map(|i| local.token(format!("user_{i}")).mint())
        .collect();
    let results = futures::future::join_all(tokens.iter().map(|token| {
        let clerk = clerk.clone();
        let token = token.clone();
        tokio::spawn(async move { clerk.verify_token(&token).await })
    }))
    .await;
    for (i, result) in results.into_iter().enumerate() {
        let claims = result.expect("task").expect("verifies");
        assert_eq!(claims.user_id(), format!("user_{i}"));
    }
    assert_eq!(local.requests().jwks(), 1);
}

#[tokio::test]
async fn keys_are_refreshed_in_the_background_without_a_request_waiting() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .jwks_settings(JwksSettings {
            fetch_timeout: Duration::from_millis(300),
            // The refetch interval cannot go under its floor of 1 s.
            ..settings(1_200, 1_000, 60_000)
        })
        .build()
        .expect("valid");
    let old_key_tokens: Vec<String> = (0..3)
        .map(|i| local.token(format!("user_{i}")).mint())
        .collect();
    clerk.verify_token(&old_key_tokens[0]).await.expect("first");
    assert_eq!(local.requests().jwks(), 1);

    // Clerk starts a rotation: a second key is published, new tokens use it.
    local.keys().add();
    // The refresh about to start will hang: a request that waited for it would not end in time.
    local.faults().set_jwks(Some(Fault::Hang));
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let answered = tokio::time::timeout(
        Duration::from_secs(3),
        clerk.verify_token(&old_key_tokens[1]),
    )
    .await
    .expect("the request did not wait for the refresh");
    answered.expect("served from the keys in hand");
    wait_for(|| local.requests().jwks(), 2).await;

    // After the hung refresh has timed out (300 ms) and the refetch interval (1 s) has passed,
    // the next one goes through in the background too.
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    local.faults().set_jwks(None);
    clerk
        .verify_token(&old_key_tokens[2])
        .await
        .expect("old key still valid");
    wait_for(|| local.requests().jwks(), 3).await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    // The new key is now known: a token signed with it verifies with Clerk failing and no fetch.
    local.faults().set_jwks(Some(Fault::Status(500)));
    let requests = local.requests().jwks();
    let claims = clerk
        .verify_token(&local.token("user_new").mint())
        .await
        .expect("the new key was loaded by the background refresh");
    assert_eq!(claims.user_id(), "user_new");
    assert_eq!(local.requests().jwks(), requests, "no fetch was needed");
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_interval() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .jwks_settings(settings(300_000, 1_000, 3_600_000))
        .build()
        .expect("valid");
    // Minted up front, so that each flood below takes milliseconds, well inside the interval.
    let forged: Vec<String> = (0..400)
        .map(|i| local.token("user_x").kid(format!("forged_{i}")).mint())
        .collect();
    clerk
        .verify_token(&local.token("user_1").mint())
        .await
        .expect("good token");
    assert_eq!(local.requests().jwks(), 1);

    let flood = |tokens: &[String]| {
        let clerk = clerk.clone();
        let tokens = tokens.to_vec();
        async move {
            for token in tokens {
                assert_eq!(
                    clerk.verify_token(&token).await.err(),
                    Some(VerifyError::KidMismatch)
                );
            }
        }
    };
    // A flood of forged key ids right after a fetch: no fetch at all.
    futures::future::join_all(forged[..200].chunks(50).map(flood)).await;
    assert_eq!(local.requests().jwks(), 1);

    // Once the interval has passed, one unknown kid may refetch: one fetch, however many try.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    futures::future::join_all(forged[200..].chunks(50).map(flood)).await;
    assert_eq!(local.requests().jwks(), 2);
}

#[tokio::test]
async fn an_unknown_kid_after_rotation_is_found_by_refetching() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .jwks_settings(settings(300_000, 1_000, 3_600_000))
        .build()
        .expect("valid");
    clerk
        .verify_token(&local.token("user_1").mint())
        .await
        .expect("first key");
    local.keys().rotate();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let claims = clerk
        .verify_token(&local.token("user_2").mint())
        .await
        .expect("the rotated key is fetched");
    assert_eq!(claims.user_id(), "user_2");
    assert_eq!(local.requests().jwks(), 2);
}

#[tokio::test]
async fn last_good_keys_serve_through_an_outage_until_max_stale() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .jwks_settings(settings(100, 1_000, 2_500))
        .build()
        .expect("valid");
    clerk
        .verify_token(&local.token("user_1").mint())
        .await
        .expect("keys loaded");

    local.faults().set_jwks(Some(Fault::Status(503)));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    clerk
        .verify_token(&local.token("user_2").mint())
        .await
        .expect("stale keys still serve");
    wait_for(|| local.requests().jwks(), 2).await;

    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let error = clerk
        .verify_token(&local.token("user_3").mint())
        .await
        .expect_err("keys older than max_stale are not used");
    assert_eq!(error, VerifyError::KeysUnavailable(JwksError::Status(503)));
    assert_eq!(error.reason(), "jwk-remote-failed-to-load");
    assert!(error.is_unavailable());

    // Recovery: the next fetch after the interval succeeds and nothing of the failure is kept.
    local.faults().set_jwks(None);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    clerk
        .verify_token(&local.token("user_4").mint())
        .await
        .expect("recovered");
}

#[tokio::test]
async fn unreachable_clerk_is_a_typed_error() {
    for fault in [Fault::Close, Fault::Hang] {
        let local = LocalClerk::start().await;
        local.faults().set_jwks(Some(fault));
        let clerk = local
            .clerk_builder()
            .jwks_settings(JwksSettings {
                fetch_timeout: Duration::from_millis(300),
                ..settings(300_000, 10_000, 3_600_000)
            })
            .build()
            .expect("valid");
        let error = clerk
            .verify_token(&local.token("user_1").mint())
            .await
            .expect_err("no keys");
        assert!(
            matches!(
                error,
                VerifyError::KeysUnavailable(JwksError::Unreachable(_))
            ),
            "{fault:?}: {error:?}"
        );
        assert!(error.is_unavailable());
    }

    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let clerk = local.clerk();
    local.faults().shutdown().await;
    let error = clerk.verify_token(&token).await.expect_err("server gone");
    assert!(matches!(
        error,
        VerifyError::KeysUnavailable(JwksError::Unreachable(_))
    ));
    // Within the refetch interval the error is answered without another connection attempt.
    assert_eq!(clerk.verify_token(&token).await.err(), Some(error));
}

#[tokio::test]
async fn a_wrong_secret_key_is_reported_as_such() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .secret_key("sk_test_wrong")
        .build()
        .expect("valid");
    let error = clerk
        .verify_token(&local.token("user_1").mint())
        .await
        .expect_err("refused");
    assert_eq!(
        error,
        VerifyError::KeysUnavailable(JwksError::Unauthorized(401))
    );
    assert_eq!(error.reason(), "secret-key-invalid");
}

#[tokio::test]
async fn networkless_verification_makes_no_request() {
    let local = LocalClerk::start().await;
    let pem = local.keys().public_key_pem();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let escaped = pem.replace('\n', "\\n");
    for key in [pem.clone(), body, escaped] {
        let clerk = Clerk::builder()
            .jwt_key(key)
            .publishable_key(local.publishable_key())
            .build()
            .expect("valid key");
        let claims = clerk
            .verify_token(&local.token("user_1").kid("whatever").mint())
            .await
            .expect("verifies with the PEM key");
        assert_eq!(claims.user_id(), "user_1");
    }
    // Even with a secret key configured, the PEM key wins and Clerk is never asked.
    let clerk = local.clerk_builder().jwt_key(pem).build().expect("valid");
    local.faults().shutdown().await;
    clerk
        .verify_token(&local.token("user_2").mint())
        .await
        .expect("no network needed");
    assert_eq!(local.requests().jwks(), 0);
}

#[tokio::test]
async fn two_instances_never_accept_each_others_tokens() {
    // Same key id on purpose: a cache keyed by kid alone would mix them up.
    let a = LocalClerk::builder()
        .kid("ins_shared")
        .start()
        .await
        .expect("a");
    let b = LocalClerk::builder()
        .kid("ins_shared")
        .start()
        .await
        .expect("b");
    let (clerk_a, clerk_b) = (a.clerk(), b.clerk());
    let token_a = a.token("user_a").mint();
    let token_b = b.token("user_b").mint();

    clerk_a
        .verify_token(&token_a)
        .await
        .expect("a accepts its own");
    clerk_b
        .verify_token(&token_b)
        .await
        .expect("b accepts its own (and caches it)");
    assert_eq!(
        clerk_a.verify_token(&token_b).await.err(),
        Some(VerifyError::InvalidSignature)
    );
    assert_eq!(
        clerk_b.verify_token(&token_a).await.err(),
        Some(VerifyError::InvalidSignature)
    );

    // Right after instance A verified a token on this thread, instance B is shown the same one:
    // nothing A remembered (in its cache or this thread's last token) is B's.
    let token_a2 = a.token("user_a2").mint();
    clerk_a.verify_token(&token_a2).await.expect("a accepts it");
    assert_eq!(
        clerk_b.verify_token(&token_a2).await.err(),
        Some(VerifyError::InvalidSignature)
    );
    assert_eq!(
        clerk_b.verify_token(&token_a2).await.err(),
        Some(VerifyError::InvalidSignature)
    );

    // Even with both instances' issuers accepted, keys stay apart.
    let lenient_a = a.clerk_builder().issuer(b.issuer()).build().expect("valid");
    assert_eq!(
        lenient_a.verify_token(&token_b).await.err(),
        Some(VerifyError::InvalidSignature)
    );
}

#[tokio::test]
async fn non_rsa_keys_in_the_set_are_skipped() {
    let local = LocalClerk::builder()
        .extra_jwk(serde_json::json!({"kty":"EC","kid":"ec_key","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}))
        .extra_jwk(serde_json::json!({"kty":"oct","kid":"hmac","k":"c2VjcmV0"}))
        .extra_jwk(serde_json::json!({"kty":"OKP","kid":"ed","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}))
        .start()
        .await
        .expect("start");
    let clerk = local.clerk();
    clerk
        .verify_token(&local.token("user_1").mint())
        .await
        .expect("the RSA key is used");
    let forged = local.token("user_1").kid("hmac").mint();
    assert_eq!(
        clerk.verify_token(&forged).await.err(),
        Some(VerifyError::KidMismatch)
    );
}

#[tokio::test]
async fn an_unknown_kid_while_clerk_fails_is_a_key_outage_not_a_bad_token() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .jwks_settings(settings(300_000, 1_000, 3_600_000))
        .build()
        .expect("valid");
    clerk
        .verify_token(&local.token("user_1").mint())
        .await
        .expect("keys loaded");
    // Clerk rotates its key and goes down at the same time.
    local.keys().rotate();
    local.faults().set_jwks(Some(Fault::Status(503)));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let rotated = local.token("user_2").mint();
    let error = clerk
        .verify_token(&rotated)
        .await
        .expect_err("the new key cannot be loaded");
    assert_eq!(error, VerifyError::KeysUnavailable(JwksError::Status(503)));
    assert!(error.is_unavailable(), "503, so the client retries");
    // Inside the refetch interval no fetch is made, and the answer stays an outage.
    let requests = local.requests().jwks();
    assert_eq!(
        clerk.verify_token(&rotated).await.err(),
        Some(VerifyError::KeysUnavailable(JwksError::Status(503)))
    );
    assert_eq!(local.requests().jwks(), requests);
    // Clerk recovers: the new key is fetched and the token verifies.
    local.faults().set_jwks(None);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    clerk.verify_token(&rotated).await.expect("recovered");
}

#[tokio::test]
async fn the_refetch_interval_has_a_floor_of_one_second() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .jwks_settings(settings(300_000, 0, 3_600_000))
        .build()
        .expect("valid");
    clerk
        .verify_token(&local.token("user_1").mint())
        .await
        .expect("keys loaded");
    let forged: Vec<String> = (0..50)
        .map(|i| local.token("user_x").kid(format!("forged_{i}")).mint())
        .collect();
    for token in &forged {
        assert_eq!(
            clerk.verify_token(token).await.err(),
            Some(VerifyError::KidMismatch)
        );
    }
    assert_eq!(
        local.requests().jwks(),
        1,
        "an interval of 0 still rate-limits unknown kids"
    );
}

/// Found by the soak test (`bench/soak.sh`): after a JWKS outage, a token of a key Clerk had just
/// added got 503 for the whole refetch interval (10 s by default) after Clerk was back. Now the
/// next fetch after a failed one may come after the floor (1 s).
#[tokio::test]
async fn after_a_failed_fetch_the_keys_are_back_within_a_second_of_clerk() {
    let local = LocalClerk::start().await;
    // A 3 s refetch interval: recovering within it shows the floor applies after a failure.
    let clerk = local
        .clerk_builder()
        .jwks_settings(settings(300_000, 3_000, 3_600_000))
        .build()
        .expect("valid");
    clerk
        .verify_token(&local.token("user_1").mint())
        .await
        .expect("keys loaded");
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    local.faults().set_jwks(Some(Fault::Status(503)));
    local.keys().add();
    let new_key = local.token("user_2").mint();
    let error = clerk
        .verify_token(&new_key)
        .await
        .expect_err("Clerk is down");
    assert!(error.is_unavailable(), "{error:?}");
    local.faults().set_jwks(None);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    clerk
        .verify_token(&new_key)
        .await
        .expect("fetched again 1 s after the failure, not after the 3 s interval");
}
