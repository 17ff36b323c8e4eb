//! What the Backend API is asked about opaque machine tokens, under a flood of made-up ones:
//! tokens that cannot be Clerk's cost no call, calls in flight are capped per `Clerk`, and a 429
//! pauses verify calls for its `Retry-After` (clerk-core's `machine` module documentation).

use std::time::Duration;

use clerk_core::machine::MachineError;
use clerk_testing::{Fault, LocalClerk, NewUser};

const VERIFY: &str = "verifyApiKey";

/// A token of Clerk's shape that Clerk does not know: `ak_` and 32 base62 characters.
fn made_up(i: usize) -> String {
    format!("ak_{:0>32}", format!("madeUp{i}"))
}

#[tokio::test]
async fn tokens_that_cannot_be_clerks_cost_no_backend_api_call() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let long = format!("ak_{}", "a".repeat(129));
    for token in [
        "ak_short",
        long.as_str(),
        "ak_abcdefgh.ijklmnop",
        "ak_abcdefgh ijklmnop",
        "ak_abcdefgh%20ijklmn",
        "ak_abcdefghijklmnop==",
        "mt_abc-defghijklmnop",
        "oat_",
    ] {
        let error = clerk.verify_machine_token(token).await.expect_err(token);
        assert!(
            matches!(error, MachineError::NotFound),
            "{token}: {error:?}"
        );
        assert_eq!(error.reason(), "token-invalid");
    }
    assert_eq!(local.requests().count(VERIFY), 0);
    assert_eq!(local.requests().count("verifyM2MToken"), 0);
    assert_eq!(local.requests().count("verifyOAuthAccessToken"), 0);
    // A token of Clerk's shape is asked about (and unknown: 404).
    let error = clerk
        .verify_machine_token(&made_up(1))
        .await
        .expect_err("unknown");
    assert!(matches!(error, MachineError::NotFound));
    assert_eq!(local.requests().count(VERIFY), 1);
    // Every kind of real token has the shape (LocalClerk's, 40 characters).
    let user = local.users().create(NewUser::with_email("ada@example.com"));
    let (_, key) = local.api_keys().create(&user.id, "ci", ["read"]);
    assert!(clerk.verify_machine_token(&key).await.is_ok());
}

#[tokio::test]
async fn verify_calls_in_flight_are_capped_and_the_rest_answered_at_once() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .machine_verify_concurrency(4)
        .build()
        .expect("valid");
    local
        .faults()
        .set_api(Some(Fault::Delay(Duration::from_millis(600))));
    let started = std::time::Instant::now();
    let results = futures::future::join_all((0..20).map(|i| {
        let clerk = clerk.clone();
        async move {
            let began = std::time::Instant::now();
            let result = clerk.verify_machine_token(&made_up(i)).await;
            (result, began.elapsed())
        }
    }))
    .await;
    local.faults().set_api(None);
    let (asked, refused): (Vec<_>, Vec<_>) = results
        .iter()
        .partition(|(result, _)| matches!(result, Err(MachineError::NotFound)));
    assert_eq!(asked.len(), 4, "{results:?}");
    assert_eq!(refused.len(), 16);
    for (result, took) in &refused {
        let error = result.as_ref().expect_err("refused");
        assert!(error.is_unavailable(), "{error:?}: a 503, never a 401");
        assert!(
            *took < Duration::from_millis(300),
            "at once, not queued: {took:?}"
        );
    }
    assert_eq!(local.requests().count(VERIFY), 4);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn after_a_429_no_verify_call_is_made_until_retry_after() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let user = local.users().create(NewUser::with_email("ada@example.com"));
    let (_, key) = local.api_keys().create(&user.id, "ci", ["read"]);
    // A real client's verdict is cached before the flood.
    assert!(clerk.verify_machine_token(&key).await.is_ok());

    local.faults().set_api(Some(Fault::RateLimited {
        retry_after_secs: 2,
    }));
    let error = clerk
        .verify_machine_token(&made_up(1))
        .await
        .expect_err("rate limited");
    assert!(error.is_unavailable(), "{error:?}");
    local.faults().set_api(None);
    let calls = local.requests().count(VERIFY);

    // Within the Retry-After: answered at once, no call; the real client keeps working.
    for i in 2..12 {
        let error = clerk
            .verify_machine_token(&made_up(i))
            .await
            .expect_err("paused");
        assert!(error.is_unavailable(), "{error:?}");
    }
    assert_eq!(
        local.requests().count(VERIFY),
        calls,
        "no call while paused"
    );
    assert!(clerk.verify_machine_token(&key).await.is_ok());

    // After it: asked again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let error = clerk
        .verify_machine_token(&made_up(20))
        .await
        .expect_err("unknown");
    assert!(matches!(error, MachineError::NotFound), "{error:?}");
    assert_eq!(local.requests().count(VERIFY), calls + 1);
}
