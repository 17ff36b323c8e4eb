//! Cross-crate integration tests of the Clerk Rust SDK; the tests are in `tests/`.
//!
//! The README's Rust examples are compiled (and, where not marked `no_run`, run) as this crate's
//! doc tests, so the README cannot drift from the code.

#[doc = include_str!("../../README.md")]
pub struct Readme;
