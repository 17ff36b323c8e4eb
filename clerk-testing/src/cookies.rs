//! The cookies the Frontend API plants on an application's host, as `Set-Cookie` values (the
//! directives of a handshake, the cookies of a refresh), and the one it keeps on its own host.
//!
//! Every cookie is for the host that receives it: no `Domain`, `Path=/`, `SameSite=Lax`, and no
//! `Secure` (LocalClerk and the apps it serves are plain http on loopback).

/// The dev browser token, in the app's cookies and in URLs (`?__clerk_db_jwt=`).
pub(crate) const DEV_BROWSER: &str = "__clerk_db_jwt";
/// The session token.
pub(crate) const SESSION: &str = "__session";
/// When the client's sessions last changed (Unix seconds; `0`: signed out).
pub(crate) const CLIENT_UAT: &str = "__client_uat";
/// The refresh token of the session (always suffixed: `__refresh_<suffix>`).
pub(crate) const REFRESH: &str = "__refresh";
/// LocalClerk's own cookie on its host: which client a browser is.
pub(crate) const CLIENT: &str = "__client";

/// A year, the lifetime clerk-js gives `__session` and `__client_uat`.
const LONG: u32 = 365 * 24 * 3600;

/// `<name>_<suffix>`, the name an app that shares its domain with others reads first.
pub(crate) fn suffixed(name: &str, suffix: &str) -> String {
    format!("{name}_{suffix}")
}

/// `__clerk_db_jwt=<token>`, for a year.
pub(crate) fn dev_browser(token: &str) -> String {
    format!("{DEV_BROWSER}={token}; Path=/; Max-Age={LONG}; SameSite=Lax")
}

/// A session token cookie (`__session` or `__session_<suffix>`), for the browser's session
/// (the token's own `exp` limits it).
pub(crate) fn session(name: &str, token: &str) -> String {
    format!("{name}={token}; Path=/; SameSite=Lax")
}

/// A `__client_uat` cookie (or its suffixed name), for a year.
pub(crate) fn client_uat(name: &str, updated_at: i64) -> String {
    format!("{name}={updated_at}; Path=/; Max-Age={LONG}; SameSite=Lax")
}

/// `__refresh_<suffix>=<token>`, HttpOnly, for a year.
pub(crate) fn refresh(name: &str, token: &str) -> String {
    format!("{name}={token}; Path=/; Max-Age={LONG}; HttpOnly; SameSite=Lax")
}

/// Removes a cookie (`<name>=; Max-Age=0`).
pub(crate) fn cleared(name: &str, http_only: bool) -> String {
    let http_only = if http_only { " HttpOnly;" } else { "" };
    format!("{name}=; Path=/; Max-Age=0;{http_only} SameSite=Lax")
}

/// LocalClerk's `__client` cookie on its own host, HttpOnly, for a year.
pub(crate) fn client(value: &str) -> String {
    format!("{CLIENT}={value}; Path=/; Max-Age={LONG}; HttpOnly; SameSite=Lax")
}

/// The value of cookie `name` in a `Cookie` header, if any.
pub(crate) fn read<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}
