//! JWKS documents as Clerk's `/v1/jwks` might answer them (or not): never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = clerk_core::__fuzz::parse_jwks(data);
});
