//! Configuration values: secret keys, publishable keys and PEM public keys (`CLERK_JWT_KEY`),
//! also through the builder. Never a panic; a secret key's `Debug`/`Display` never shows it.
#![no_main]

use clerk_core::{Clerk, JwtKey, PublishableKey, SecretKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = SecretKey::new(text) {
        // Exactly the prefix and a mark (a first version of this target looked for the body in
        // the output, which fails on `sk_live_sk_live_`, whose body is the prefix itself).
        let shown = key.to_string();
        assert!(
            shown == "sk_test_…(redacted)" || shown == "sk_live_…(redacted)",
            "{shown}"
        );
        assert!(!format!("{key:?}").contains(key.expose()));
    }
    if let Ok(key) = PublishableKey::new(text) {
        let _ = (key.frontend_api(), key.issuer(), key.cookie_suffix());
    }
    let _ = JwtKey::new(text);
    let _ = Clerk::builder().jwt_key(text).build();
    let _ = Clerk::builder()
        .publishable_key(text)
        .jwt_key(clerk_fuzz::PUBLIC_KEY)
        .build();
});
