//! Clerk authentication for Axum (work in progress: see the project's issues).
#![forbid(unsafe_code)]

pub use clerk_core;
