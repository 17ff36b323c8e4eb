//! Faults to inject into LocalClerk's answers.

use std::time::Duration;

/// A fault to inject into the JWKS endpoint or the Backend API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this HTTP status and a Clerk error body.
    Status(u16),
    /// Answer with this HTTP status and an HTML page, not Clerk's error body, as a server that
    /// is not the Backend API does (a wrong `CLERK_API_URL`, a proxy's own error page).
    NotClerk(u16),
    /// Never answer (the request hangs until the client gives up).
    Hang,
    /// Close the connection without answering.
    Close,
    /// Answer normally after this delay.
    Delay(Duration),
    /// Answer 429 with `Retry-After` in seconds, as Clerk's rate limiter does.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
}
