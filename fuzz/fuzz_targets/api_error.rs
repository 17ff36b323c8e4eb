//! Backend API error answers: any status and body (Clerk's error shape, HTML, truncated JSON).
//! Never a panic, and the description stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, Vec<u8>)| {
    let (status, body) = input;
    let text = clerk_core::__fuzz::describe_error_response(status, &body);
    assert!(text.len() <= body.len() * 4 + 1024, "{} bytes", text.len());
});
