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
        let body = &key.expose()[8..];
        if body.len() >= 8 {
            assert!(!key.to_string().contains(body));
            assert!(!format!("{key:?}").contains(body));
        }
    }
    if let Ok(key) = PublishableKey::new(text) {
        let _ = (key.frontend_api(), key.issuer(), key.cookie_suffix());
    }
    let _ = JwtKey::new(text);
    let _ = Clerk::builder().jwt_key(text).build();
    let _ = Clerk::builder().publishable_key(text).jwt_key(clerk_fuzz::PUBLIC_KEY).build();
});
