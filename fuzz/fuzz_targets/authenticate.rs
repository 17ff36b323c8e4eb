//! Request authentication of arbitrary header maps (`Authorization`, `Cookie`, repeated, not
//! UTF-8) with every token kind accepted: never a panic, and the rejection a guard would answer
//! never echoes a header value.
#![no_main]

use arbitrary::Arbitrary;
use clerk_core::guard::{Requirement, check};
use clerk_core::rejection::Rejection;
use clerk_core::machine::Accepts;
use clerk_core::{AuthenticateOptions, RequestState};
use clerk_fuzz::{assert_no_echo, clerk, run};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    /// (0: Authorization, 1: Cookie, other: a header of that name), value bytes.
    headers: Vec<(u8, Vec<u8>)>,
    accept_cookie: bool,
    any_kind: bool,
}

fuzz_target!(|input: Input| {
    let mut headers = HeaderMap::new();
    let mut texts = Vec::new();
    for (which, value) in &input.headers {
        let name = match which {
            0 => http::header::AUTHORIZATION,
            1 => http::header::COOKIE,
            _ => HeaderName::from_static("x-other"),
        };
        if let Ok(value) = HeaderValue::from_bytes(value) {
            texts.push(String::from_utf8_lossy(value.as_bytes()).into_owned());
            headers.append(name, value);
        }
    }
    let clerk = clerk();
    let options = AuthenticateOptions {
        accept_cookie: input.accept_cookie,
        accepts: if input.any_kind {
            Accepts::any()
        } else {
            Accepts::default()
        },
        ..AuthenticateOptions::new(clerk)
    };
    let state = run(clerk.authenticate_with(&headers, &options));
    if let RequestState::SignedOut(why) = &state {
        let rejection = Rejection::signed_out(why);
        for text in &texts {
            assert_no_echo(text, &rejection.json_body());
        }
        assert!(!why.reason().is_empty());
    }
    let _ = check(&state, &Requirement::signed_in());
    let _ = check(&state, &Requirement::scope("read"));
});
