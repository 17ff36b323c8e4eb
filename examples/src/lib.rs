//! Runnable example apps for the Clerk Rust SDK, and the pieces they share with the end-to-end
//! tests: run them with `cargo run -p clerk-examples --example <name>`.

pub mod custom_claims;
pub mod export_users;
#[cfg(feature = "grpc")]
pub mod grpc;
pub mod machine_auth;
pub mod pages;
#[cfg(feature = "actix")]
pub mod pages_actix;
pub mod quickstart;
#[cfg(feature = "actix")]
pub mod quickstart_actix;
#[cfg(feature = "webhook-sync")]
pub mod webhook_sync;
