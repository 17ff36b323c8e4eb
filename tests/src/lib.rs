//! Cross-crate integration tests of the Clerk Rust SDK; the tests are in `tests/`.
//!
//! [`cases`] is the request → response contract of the web adapters, as data, with the runner
//! ([`cases::run_all`]) shared by the axum and actix test suites (`tests/axum_contract.rs`,
//! `tests/actix_contract.rs`), which send it in process and over real HTTP.
//!
//! [`browser`] is the browser-session contract (Clerk's handshake and server-side refresh), run
//! by `tests/browser_sessions.rs` against both adapters with LocalClerk as the Frontend API.
//!
//! The README's Rust examples are compiled (and, where not marked `no_run`, run) as this crate's
//! doc tests, so the README cannot drift from the code.

pub mod browser;
pub mod cases;

#[doc = include_str!("../../README.md")]
pub struct Readme;
