//! Faults to inject into LocalClerk's answers.

use std::time::Duration;

/// A fault to inject into LocalClerk's answers, for tests of what a client does when Clerk
/// misbehaves.
///
/// A fault applies either to the JWKS endpoint `/v1/jwks`
/// ([`local.faults().set_jwks`](crate::handle::Faults::set_jwks)) or to every other
/// request, to an emulated operation or not
/// ([`local.faults().set_api`](crate::handle::Faults::set_api)); the two are set
/// independently. It applies to every request until replaced or cleared with `None`. Requests are
/// counted ([`local.requests().count`](crate::handle::Requests::count),
/// [`local.requests().jwks`](crate::handle::Requests::jwks)) before the fault applies,
/// and the secret key is checked only after it, so requests without the key meet the fault too.
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
