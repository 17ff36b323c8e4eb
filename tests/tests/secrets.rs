//! No public configuration type shows the secret key or the JWT key in its `Debug` output.

use clerk_core::{AuthenticateOptions, Clerk, JwtKey, SecretKey};
use clerk_testing::LocalClerk;

const SECRET: &str = "sk_test_ThisIsTheSecretKeyNobodyMaySee";

#[tokio::test]
async fn debug_output_never_shows_a_secret_or_the_jwt_key() {
    let local = LocalClerk::start().await;
    let pem = local.keys().public_key_pem();
    // Pieces of the key body: none of them may appear anywhere.
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let pieces: Vec<&str> = [0, 100, 200, 300]
        .iter()
        .filter_map(|&at| body.get(at..at + 24))
        .collect();
    assert_eq!(pieces.len(), 4, "a 2048-bit key body is long enough");

    let builder = Clerk::builder()
        .secret_key(SECRET)
        .jwt_key(pem.clone())
        .publishable_key(local.publishable_key())
        .api_url(local.api_url());
    let clerk = builder.clone().build().expect("valid");
    let layer = clerk_axum::ClerkLayer::new(clerk.clone());
    let middleware = clerk_actix::ClerkMiddleware::new(clerk.clone());
    let shown = [
        format!("{builder:?}"),
        format!("{builder:#?}"),
        format!("{clerk:?}"),
        format!("{clerk:#?}"),
        format!("{layer:?}"),
        format!("{middleware:?}"),
        format!("{:?}", AuthenticateOptions::new(&clerk)),
        format!("{:?}", clerk.verify_options()),
        format!("{:?}", JwtKey::new(&pem).expect("key")),
        format!("{:?}", SecretKey::new(SECRET).expect("key")),
        format!("{}", SecretKey::new(SECRET).expect("key")),
        format!("{:?}", clerk.secret_key()),
    ];
    for text in &shown {
        assert!(!text.contains(SECRET), "secret key in {text}");
        assert!(
            !text.contains("NobodyMaySee"),
            "part of the secret in {text}"
        );
        for piece in &pieces {
            assert!(!text.contains(piece), "JWT key in {text}");
        }
    }
    // The builder still says what is configured.
    assert!(shown[0].contains("secret_key: \"(set)\""), "{}", shown[0]);
    assert!(shown[0].contains("jwt_key: \"(set)\""), "{}", shown[0]);
}
