//! What the HTTP callers (the Backend API transport, the key cache, the M2M token source) share:
//! the defaults of a request to Clerk, and small helpers.

/// The Backend API base used when `CLERK_API_URL` is not set.
pub const DEFAULT_API_URL: &str = "https://api.clerk.com";
/// The Backend API version sent as `Clerk-API-Version` unless configured otherwise.
pub const DEFAULT_API_VERSION: &str = "2026-05-12";
/// The `User-Agent` of every request this SDK makes.
pub const USER_AGENT: &str = concat!("clerk-rust/", env!("CARGO_PKG_VERSION"));

/// Why a body could not be read.
pub(crate) enum ReadError {
    /// The body is larger than allowed.
    TooLarge,
    /// The connection failed while reading.
    Transport(reqwest::Error),
}

/// Reads a response body, refusing to buffer more than `limit` bytes.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A short description of a transport failure, without URLs (they may carry credentials).
pub(crate) fn describe_transport_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "connection failed".into()
    } else if error.is_body() || error.is_decode() {
        "the response body was cut off".into()
    } else {
        "the request failed".into()
    }
}
