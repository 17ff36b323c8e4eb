//! Clerk authentication for actix-web (work in progress: see the project's issues).
#![forbid(unsafe_code)]

pub use clerk_core;
