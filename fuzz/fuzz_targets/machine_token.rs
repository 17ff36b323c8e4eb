//! Machine tokens: kind recognition of arbitrary strings and their verification (JWT forms
//! locally; opaque ones fail as unavailable, the client having no secret key: no network). Never
//! a panic; a token's kind is stable; an error never echoes the token.
#![no_main]

use clerk_core::machine::{Accepts, TokenKind};
use clerk_fuzz::{assert_no_echo, clerk, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let kind = TokenKind::of(token);
    assert_eq!(TokenKind::of(token), kind);
    assert!(Accepts::any().accepts(kind));
    match run(clerk().verify_machine_token(token)) {
        Ok(machine) => {
            assert!(machine.kind().is_machine());
            assert!(!format!("{machine:?}").contains(token));
        }
        Err(error) => {
            assert_no_echo(token, &error.to_string());
            assert!(!error.reason().is_empty());
        }
    }
});
