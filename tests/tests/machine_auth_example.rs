//! The `machine_auth` example end to end: billing-worker reaches orders-api with an M2M token
//! it got from LocalClerk (once), Ada's script with her API key; a key of the wrong kind or
//! without the scope is refused, and a revoked key stops working once its cached verdict
//! expires.

use clerk_examples::machine_auth::demo;
use clerk_testing::LocalClerk;

#[tokio::test]
async fn the_example_authenticates_services_and_scripts() {
    let local = LocalClerk::start().await;
    let steps = demo(&local).await.expect("the demo runs");
    let answers: Vec<(u16, &str)> = steps.iter().map(|s| (s.status, s.body.as_str())).collect();
    let worker = answers[0];
    assert_eq!(worker.0, 200, "{steps:?}");
    assert!(
        worker.1.starts_with("orders for service mch_"),
        "{}",
        worker.1
    );
    assert_eq!(answers[1], worker, "the same service again");
    assert_eq!(
        local.requests().count("createM2MToken"),
        1,
        "the M2M token was reused"
    );
    assert_eq!(answers[2].0, 200);
    assert!(
        answers[2].1.starts_with("orders of user_"),
        "{}",
        answers[2].1
    );
    assert!(answers[2].1.contains("ada's script"), "{}", answers[2].1);
    assert_eq!(answers[3].0, 200, "a session: {}", answers[3].1);
    let code = |body: &str| {
        serde_json::from_str::<serde_json::Value>(body).expect("a Clerk error")["errors"][0]["code"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(
        (answers[4].0, code(answers[4].1).as_deref()),
        (401, Some("token-type-mismatch")),
        "an API key where an M2M token is required"
    );
    assert_eq!(answers[5], (403, "the API key lacks orders:read"));
    assert_eq!(answers[6].0, 401, "no token");
    assert_eq!(
        answers[7].0, 200,
        "revoked, but the verdict is still cached"
    );
    assert_eq!(
        (answers[8].0, code(answers[8].1).as_deref()),
        (401, Some("token-invalid")),
        "revoked, after the cache's TTL"
    );
}
