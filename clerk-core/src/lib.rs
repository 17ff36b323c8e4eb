//! Clerk for Rust: session-token verification and the Clerk Backend API.
//!
//! [`Clerk`] is the one handle you hold. Build it from the environment or a builder, then verify
//! session tokens ([`Clerk::verify_token`]), authenticate whole requests
//! ([`Clerk::authenticate`]), and check authorization ([`SessionClaims::has`]).
//!
//! ```no_run
//! # async fn demo(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use clerk_core::{Clerk, Has};
//!
//! let clerk = Clerk::from_env()?; // CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, ...
//! let claims = clerk.verify_token(token).await?;
//! println!("user {} in org {:?}", claims.user_id(), claims.org_id());
//! if claims.has(Has::permission("org:invoices:read")) {
//!     // ...
//! }
//! # Ok(()) }
//! ```
//!
//! Framework integrations live in `clerk-axum` (tower: axum, tonic, hyper) and `clerk-actix`,
//! both written against [`adapter`], the public request pipeline; a local Clerk emulator for
//! development and tests lives in `clerk-testing`.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod adapter;
pub mod api;
mod authenticate;
pub mod browser;
pub mod claims;
mod client;
pub mod error;
pub mod guard;
mod http_util;
pub mod jwks;
mod keys;
pub mod machine;
mod macros;
pub mod models;
pub mod options;
pub mod proxy;
pub mod rejection;
pub mod stats;
pub mod template_tokens;
pub mod token_fallback;
pub mod user_cache;
pub mod verify;
mod webhook_events;
pub mod webhooks;

/// Code generated from Clerk's specs by `cargo xtask codegen`; reached through [`api`],
/// [`models`] and [`webhooks`].
mod generated {
    pub mod api;
    pub mod models;
    pub mod webhooks;
}

pub use api::ApiError;
pub use authenticate::{
    AUTHENTICATION_HEADERS, Auth, AuthenticateOptions, RequestState, SignedOut, TokenSource,
};
pub use claims::{FactorLevel, Has, Reverification, SessionClaims, SessionStatus};
pub use client::{Clerk, ClerkBuilder};
pub use error::{ConfigError, JwksError, VerifyError};
pub use http_util::{DEFAULT_API_URL, DEFAULT_API_VERSION, USER_AGENT};
pub use jwks::JwksSettings;
pub use keys::{JwtKey, PublishableKey, SecretKey};
pub use stats::ClerkStats;
pub use template_tokens::TemplateTokenError;
pub use verify::VerifyOptions;

/// Internal parsers, for the fuzz targets in `fuzz/` (feature `fuzzing`); not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz {
    /// Parses a JWKS document as the key cache does; whether it gave a key set.
    pub fn parse_jwks(body: &[u8]) -> bool {
        crate::jwks::parse_jwks(body).is_ok()
    }

    /// Parses a Backend API error answer as the transport does, and describes it as
    /// [`ApiError`](crate::ApiError)'s `Display` does.
    pub fn describe_error_response(status: u16, body: &[u8]) -> String {
        let response = crate::api::ErrorResponse::parse(status, body, None, None);
        crate::ApiError::Response(Box::new(response)).to_string()
    }
}
