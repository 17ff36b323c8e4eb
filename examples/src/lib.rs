//! Runnable example apps for the Clerk Rust SDK; see the `*.rs` files beside this crate's
//! `Cargo.toml` and run them with `cargo run -p clerk-examples --example <name>`.
