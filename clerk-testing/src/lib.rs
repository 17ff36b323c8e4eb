//! LocalClerk: a Clerk instance on 127.0.0.1 for tests and local development.
//!
//! [`LocalClerk`] owns an RSA key pair, serves the Backend API's `/v1/jwks` (requiring its
//! secret key, as Clerk does), and mints session tokens exactly as Clerk does (v1 and v2, every
//! claim, any expiry, `kid` or `cat`). For fault tests it can rotate keys, count JWKS requests,
//! delay or fail them, and go away.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use clerk_testing::LocalClerk;
//!
//! let local = LocalClerk::start().await;
//! let clerk = local.clerk(); // a clerk_core::Clerk pointed at it
//! let token = local
//!     .token("user_123")
//!     .org("org_1", "acme", "org:admin", ["org:invoices:read"])
//!     .mint();
//! let claims = clerk.verify_token(&token).await.unwrap();
//! assert!(claims.has_permission("org:invoices:read"));
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod demo;
mod emulator;
mod keys;
mod server;
mod store;
mod token;

/// Code generated from Clerk's spec by `cargo xtask codegen`.
mod generated {
    pub mod operations;
}

pub use emulator::EMULATED_OPERATIONS;
pub use keys::SigningAlgorithm;
pub use server::{Fault, LocalClerk, LocalClerkBuilder, SignIn};
pub use store::NewUser;
pub use token::{JWT_TEMPLATE_CATEGORY, M2M_CATEGORY, SESSION_CATEGORY, TokenBuilder, unix_now};
