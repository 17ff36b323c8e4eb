//! LocalClerk as Clerk's Frontend API, on the same listener as the Backend API, with no secret
//! key: a development instance's browser side.
//!
//! - `POST /v1/dev_browser`: a dev browser (the browser's client) → `{"id", "token"}`, both
//!   the dev browser token (clerk-js reads `id`).
//! - `GET /v1/client/handshake`: Clerk's handshake ([`handshake`]): the cookies of the app's
//!   host, by nonce or as a signed token, in a 307 back to `redirect_url`.
//! - `GET /sign-in`, `GET /sign-up`, `POST` to either, `GET|POST /sign-out`: plain HTML pages
//!   ([`pages`]) that sign the browser's client in (a user picked, an email address, or an
//!   organization invitation's ticket) or out, then send the browser back to `redirect_url`
//!   with `__clerk_db_jwt`, as Clerk's Account Portal does in development; as a development
//!   satellite's sign-in URL, the sign-in page sends the browser straight back to the satellite
//!   with its dev browser token (`__clerk_redirect_url`).
//!
//! Requests through an app's Frontend API proxy (`Clerk-Proxy-Url`, `Clerk-Secret-Key`) are
//! checked first ([`proxy`]): the secret key must be the instance's.
//!
//! A browser's client is found by its dev browser token (`__clerk_db_jwt` in the query or
//! form) when known, else by LocalClerk's `__client` cookie on its own host; failing both it is
//! a new client. Every answer that found or made one sets that cookie.

mod handshake;
mod pages;
mod proxy;

pub(crate) use proxy::refusal as proxy_refusal;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use reqwest::Url;

use crate::cookies;
use crate::reply::clerk_error;
use crate::state::Shared;
use crate::store::ClientRecord;

type Routes = Router<Arc<Shared>>;

/// Whether a path is the Frontend API's (or its pages'), not the Backend API's.
pub(crate) fn serves(path: &str) -> bool {
    matches!(
        path,
        "/v1/dev_browser" | "/v1/client/handshake" | "/sign-in" | "/sign-up" | "/sign-out"
    )
}

/// The Frontend API's routes.
pub(crate) fn routes() -> Routes {
    Router::new()
        .route("/v1/dev_browser", post(handshake::dev_browser))
        .route("/v1/client/handshake", get(handshake::handshake))
        .route("/sign-in", get(pages::sign_in_page).post(pages::sign_in))
        .route("/sign-up", get(pages::sign_up_page).post(pages::sign_in))
        .route("/sign-out", get(pages::sign_out).post(pages::sign_out_form))
}

/// The browser's client: by its dev browser token when known, else by LocalClerk's cookie,
/// else a new one.
fn client_of(shared: &Shared, dev_browser: Option<&str>, headers: &HeaderMap) -> ClientRecord {
    let mut store = shared.store();
    if let Some(client) = dev_browser.and_then(|token| store.client_by_dev_browser(token)) {
        return client;
    }
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| cookies::read(value, cookies::CLIENT));
    if let Some(client) = cookie.and_then(|value| store.client_by_cookie(value)) {
        return client;
    }
    store.create_client()
}

/// The `redirect_url` of a request: an absolute http(s) URL with a host, or why not.
fn redirect_target(raw: Option<&str>) -> Result<Url, String> {
    let raw = raw
        .filter(|raw| !raw.is_empty())
        .ok_or("redirect_url is required")?;
    let url = Url::parse(raw).map_err(|_| "redirect_url must be an absolute URL".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("redirect_url must be an http or https URL".into());
    }
    Ok(url)
}

/// `url` with the query parameter `name` set to `value` (any earlier value removed).
fn with_param(url: &Url, name: &str, value: &str) -> String {
    with_params(url, &[(name, value)])
}

/// `url` with each query parameter set to its value (any earlier values removed), in order.
fn with_params(url: &Url, params: &[(&str, &str)]) -> String {
    let mut url = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| !params.iter().any(|(name, _)| key == name))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    url.set_query(None);
    {
        let mut query = url.query_pairs_mut();
        query.extend_pairs(kept);
        query.extend_pairs(params);
    }
    url.into()
}

/// A redirect to `location` that keeps the browser's client in LocalClerk's cookie, never
/// cached.
fn redirect(status: StatusCode, location: &str, client: &ClientRecord) -> Response {
    let mut response = status.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    with_client_cookie(response, client)
}

/// `response` with LocalClerk's `__client` cookie for `client`.
fn with_client_cookie(mut response: Response, client: &ClientRecord) -> Response {
    if let Ok(cookie) = HeaderValue::from_str(&cookies::client(&client.cookie)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A 400 of the Frontend API, in Clerk's error shape.
fn bad_request(code: &str, message: &str) -> Response {
    clerk_error(StatusCode::BAD_REQUEST, code, message)
}

/// The first value of a query or form parameter.
fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The pairs of a query string or a form body.
fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw).into_owned().collect()
}
