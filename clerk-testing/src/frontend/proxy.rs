//! Requests that come through a Frontend API proxy (an app's `/__clerk`, such as
//! `clerk_axum::FrontendApiProxyLayer`), checked before any Frontend API route.
//!
//! A proxy sends `Clerk-Proxy-Url` (its public URL) and `Clerk-Secret-Key` (the instance's
//! secret key), which is how Clerk's Frontend API knows the request is the instance's. Clerk
//! does not document its answers to bad proxy headers; LocalClerk answers, in Clerk's error
//! shape:
//!
//! - `Clerk-Proxy-Url` without `Clerk-Secret-Key`: 401 `authentication_invalid`;
//! - a `Clerk-Secret-Key` that is not the instance's, with or without `Clerk-Proxy-Url`: 401
//!   `clerk_key_invalid` (Clerk's documented code for an invalid secret key);
//! - a `Clerk-Proxy-Url` that is not an absolute `http(s)` URL without query or fragment: 400
//!   `proxy_url_invalid`.
//!
//! Otherwise the request is served as any other. The pages' links are relative, so that a page
//! reached through the proxy links through it too; the handshake and the pages redirect to the
//! app (`redirect_url`), never to the Frontend API, so there is nothing to rewrite.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use reqwest::Url;

use crate::reply::clerk_error;
use crate::state::Shared;

/// Why a request's proxy headers are refused, as the answer to give; `None` when they are
/// fine or absent.
pub(crate) fn refusal(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let proxy_url = headers.get("clerk-proxy-url");
    let secret_key = headers.get("clerk-secret-key");
    if proxy_url.is_none() && secret_key.is_none() {
        return None;
    }
    match secret_key {
        None => {
            return Some(clerk_error(
                StatusCode::UNAUTHORIZED,
                "authentication_invalid",
                "A request through a Frontend API proxy must carry the instance's secret key in Clerk-Secret-Key",
            ));
        }
        Some(key) if key.as_bytes() != shared.identity().secret_key.as_bytes() => {
            return Some(clerk_error(
                StatusCode::UNAUTHORIZED,
                "clerk_key_invalid",
                "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.",
            ));
        }
        Some(_) => {}
    }
    let valid_url = proxy_url.is_none_or(|value| {
        value
            .to_str()
            .ok()
            .and_then(|value| Url::parse(value).ok())
            .is_some_and(|url| {
                matches!(url.scheme(), "http" | "https")
                    && url.host_str().is_some_and(|host| !host.is_empty())
                    && url.query().is_none()
                    && url.fragment().is_none()
            })
    });
    if !valid_url {
        return Some(clerk_error(
            StatusCode::BAD_REQUEST,
            "proxy_url_invalid",
            "Clerk-Proxy-Url must be the proxy's absolute http(s) URL, such as https://app.example.com/__clerk",
        ));
    }
    None
}
