//! Session-token verification of arbitrary bytes: never a panic; an error never echoes the
//! token; a token that verifies re-verifies to the same claims.
#![no_main]

use clerk_fuzz::{assert_no_echo, clerk, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    match run(clerk().verify_token(token)) {
        Ok(claims) => {
            let again = run(clerk().verify_token(token)).expect("verified twice");
            assert_eq!(format!("{claims:?}"), format!("{again:?}"));
        }
        Err(error) => {
            assert_no_echo(token, &error.to_string());
            assert!(!error.reason().is_empty());
        }
    }
});
