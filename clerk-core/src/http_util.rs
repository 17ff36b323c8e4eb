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

/// Whether a secret may be sent to `url`: it is `https://`, or `http://` to a loopback host
/// (`127.0.0.0/8`, `[::1]`, `localhost`). Decided on the URL as the HTTP client parses it, so
/// that `http://evil.example\@127.0.0.1`, `http://evil.example?@127.0.0.1` and
/// `http://evil.example#@localhost` (whose host is `evil.example`) are not taken for loopback.
pub(crate) fn is_secure_or_loopback(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_secure_or_loopback;

    #[test]
    fn only_https_or_a_real_loopback_host_may_carry_a_secret() {
        for url in [
            "https://api.clerk.com",
            "https://api.clerk.com:443/v1",
            "http://127.0.0.1:8080",
            "http://127.0.0.9",
            "http://localhost:3000",
            "http://LOCALHOST",
            "http://[::1]:9000",
            "http://user@127.0.0.1",
        ] {
            assert!(is_secure_or_loopback(url), "{url}");
        }
        for url in [
            "http://api.clerk.com",
            // The host of each of these is evil.example, whatever the text after it says.
            "http://evil.example\\@127.0.0.1",
            "http://evil.example?@127.0.0.1",
            "http://evil.example#@localhost",
            "http://evil.example/@localhost",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "not a url",
        ] {
            assert!(!is_secure_or_loopback(url), "{url}");
        }
    }
}
