//! The pages app: a server-rendered Axum site whose browser sessions are Clerk's cookies.
//!
//! `/` is public and says who is signed in; `/dashboard` needs a session and answers a
//! "Signed out" page with status 401 without one. Signing in and out happens on Clerk's pages
//! (LocalClerk's, or your instance's Account Portal), which send the browser back here; from
//! then on [`ClerkLayer`] keeps the session going by itself: the handshake with the Frontend API
//! when the browser's cookies need it, a server-side refresh when the session token has expired.
//! The handlers only read the session ([`ClerkUser`], [`ClerkSession`]).
//!
//! Every value that reaches the HTML (names, emails, ids, URLs) goes through [`escape`]. The
//! pages are plain functions ([`home_page`], [`dashboard_page`], [`signed_out_page`]), which
//! the actix-web version (`pages_actix`, feature `actix`) answers too.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use clerk_axum::{ClerkLayer, ClerkOptions, ClerkSession, ClerkUser};
use clerk_core::models::User;
use clerk_core::{Clerk, SessionClaims};
use clerk_testing::LocalClerk;

/// Where the app sends the browser to sign in and out: Clerk's pages, each with the
/// `redirect_url` that brings the browser back here.
#[derive(Clone, Debug)]
pub struct Links {
    /// The sign-in page, returning to `/dashboard`.
    pub sign_in: String,
    /// The sign-out page, returning to `/`; `None` where there is none to link to.
    pub sign_out: Option<String>,
}

impl Links {
    /// LocalClerk's sign-in and sign-out pages, returning to the app served at `app_url`
    /// (e.g. `http://127.0.0.1:3000`).
    pub fn local(local: &LocalClerk, app_url: &str) -> Self {
        let frontend = local.frontend();
        Self {
            sign_in: frontend.sign_in_url(&format!("{app_url}/dashboard")),
            sign_out: Some(frontend.sign_out_url(&format!("{app_url}/"))),
        }
    }

    /// The Account Portal of the instance that `clerk`'s publishable key names
    /// (`https://accounts.<your domain>/sign-in`, or `https://<slug>.accounts.dev/sign-in` for a
    /// development instance). It has no sign-out page: on a real instance, signing out is the
    /// work of Clerk's frontend (`clerk-js`). `None` without a publishable key.
    pub fn account_portal(clerk: &Clerk, app_url: &str) -> Option<Self> {
        let portal = account_portal_host(clerk.publishable_key()?.frontend_api());
        Some(Self {
            sign_in: with_redirect(
                &format!("https://{portal}/sign-in"),
                &format!("{app_url}/dashboard"),
            ),
            sign_out: None,
        })
    }
}

/// What the example runs against, for an app served at `app_url`: with `CLERK_SECRET_KEY` set,
/// your instance (`Clerk::from_env`) and its Account Portal; else an embedded LocalClerk seeded
/// with the demo users ([`clerk_testing::demo`]), returned so that it lives as long as the app.
/// Prints which, and how to sign in.
pub async fn clerk_and_links(
    app_url: &str,
) -> Result<(Clerk, Links, Option<LocalClerk>), Box<dyn std::error::Error>> {
    if std::env::var("CLERK_SECRET_KEY").is_ok_and(|v| !v.trim().is_empty()) {
        let clerk = Clerk::from_env()?;
        let links = Links::account_portal(&clerk, app_url)
            .ok_or("set CLERK_PUBLISHABLE_KEY too: it names your instance's sign-in page")?;
        println!("Using your Clerk instance (CLERK_SECRET_KEY is set).");
        println!(
            "Sign in at {} (a development instance's keys: a production instance serves only its own domain)",
            links.sign_in
        );
        println!(
            "(signing out needs Clerk's frontend, clerk-js: the Account Portal has no page for it)"
        );
        return Ok((clerk, links, None));
    }
    let local = LocalClerk::start().await;
    let demo = clerk_testing::demo::seed(&local);
    println!(
        "No CLERK_SECRET_KEY: running against an embedded LocalClerk (no account, no network)."
    );
    println!(
        "Its sign-in page, on {}, lists the demo users: {} and {}.",
        local.frontend().url(),
        display_name(&demo.ada),
        display_name(&demo.bob),
    );
    let links = Links::local(&local, app_url);
    Ok((local.clerk(), links, Some(local)))
}

/// The Account Portal's host for a Frontend API host, by Clerk's own rule
/// (`buildAccountsBaseUrl`): `<slug>.clerk.accounts.dev` is served at `<slug>.accounts.dev`,
/// `clerk.example.com` at `accounts.example.com`.
fn account_portal_host(frontend_api: &str) -> String {
    if let Some((slug, rest)) = frontend_api.split_once("clerk.accounts.") {
        return format!("{slug}accounts.{rest}");
    }
    match frontend_api.strip_prefix("clerk.") {
        Some(domain) => format!("accounts.{domain}"),
        None => frontend_api.to_owned(),
    }
}

/// `page?redirect_url=<redirect_url>`, the query encoded.
fn with_redirect(page: &str, redirect_url: &str) -> String {
    match reqwest::Url::parse_with_params(page, [("redirect_url", redirect_url)]) {
        Ok(url) => url.into(),
        Err(_) => page.to_owned(),
    }
}

/// The app: `/` (public) and `/dashboard` (signed in), behind [`ClerkLayer`] with `options`
/// (a [`Clerk`] for the defaults: the handshake and server-side refresh on).
pub fn app(options: impl Into<ClerkOptions>, links: Links) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/dashboard", get(dashboard))
        .with_state(links)
        .layer(ClerkLayer::new(options))
}

/// Public: who is signed in, if anyone. `Option<ClerkUser>` is `None` when signed out (it still
/// refuses with a 503 when Clerk cannot be asked: a signed-in user is never shown as a stranger).
async fn home(State(links): State<Links>, user: Option<ClerkUser>) -> Html<String> {
    Html(home_page(&links, user.as_deref()))
}

/// Signed in only: the user (from the Backend API, cached) and the session token's lifetime.
/// Signed out, it is a page too, with status 401 and a sign-in link: the optional extractors
/// make that an ordinary branch rather than a rejection to rewrite.
async fn dashboard(
    State(links): State<Links>,
    session: Option<ClerkSession>,
    user: Option<ClerkUser>,
) -> Response {
    match (session, user) {
        (Some(ClerkSession(claims)), Some(user)) => {
            Html(dashboard_page(&links, &claims, &user)).into_response()
        }
        _ => (StatusCode::UNAUTHORIZED, Html(signed_out_page(&links))).into_response(),
    }
}

/// The home page: signed in as whom, or signed out with a sign-in link.
pub fn home_page(links: &Links, user: Option<&User>) -> String {
    let body = match user {
        Some(user) => format!(
            r#"<p id="status">Signed in as {}.</p>
<p><a id="dashboard" href="/dashboard">Go to your dashboard</a></p>"#,
            escape(&display_name(user))
        ),
        None => format!(
            r#"<p id="status">Signed out.</p><p>{}</p>"#,
            sign_in_link(links, "sign-in")
        ),
    };
    page("Home", links, user.is_some(), &body)
}

/// The dashboard of a signed-in user: who, and when the session token expires.
pub fn dashboard_page(links: &Links, claims: &SessionClaims, user: &User) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let left = u64::try_from(claims.expires_at())
        .unwrap_or(0)
        .saturating_sub(now);
    let body = format!(
        r#"<p id="status">Signed in as {name}.</p>
<dl>
<dt>Email</dt><dd id="email">{email}</dd>
<dt>User</dt><dd id="user-id">{user_id}</dd>
<dt>Session</dt><dd id="session-id">{session_id}</dd>
</dl>
<p>This page's session token expires in {left} s. Reload after that: the server refreshes it
with Clerk and the page stays signed in, without a redirect.</p>"#,
        name = escape(&display_name(user)),
        email = escape(primary_email(user).unwrap_or("(none)")),
        user_id = escape(&user.id),
        session_id = escape(claims.session_id()),
    );
    page("Dashboard", links, true, &body)
}

/// The dashboard signed out (answered with status 401): a sign-in link.
pub fn signed_out_page(links: &Links) -> String {
    let body = format!(
        r#"<p id="status">Signed out — {}</p>"#,
        sign_in_link(links, "sign-in")
    );
    page("Signed out", links, false, &body)
}

/// The sign-in link, to Clerk's page, with the element id `id`.
fn sign_in_link(links: &Links, id: &str) -> String {
    format!(
        r#"<a id="{id}" href="{}">Sign in</a>"#,
        escape(&links.sign_in)
    )
}

/// A whole page: navigation (with the sign-out link when signed in), then `body` (HTML).
fn page(title: &str, links: &Links, signed_in: bool, body: &str) -> String {
    let account = match (&links.sign_out, signed_in) {
        (Some(sign_out), true) => format!(
            r#" · <a id="sign-out" href="{}">Sign out</a>"#,
            escape(sign_out)
        ),
        (None, true) => String::new(),
        (_, false) => format!(" · {}", sign_in_link(links, "nav-sign-in")),
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title} · Clerk pages example</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}
dt{{font-weight:600}}</style></head>
<body>
<nav><a href="/">Home</a> · <a href="/dashboard">Dashboard</a>{account}</nav>
<h1>{title}</h1>
{body}
</body>
</html>
"#,
        title = escape(title),
    )
}

/// "First Last", else the username, else the email address, else the user id.
pub fn display_name(user: &User) -> String {
    let full = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !full.is_empty() {
        return full;
    }
    user.username
        .clone()
        .or_else(|| primary_email(user).map(str::to_owned))
        .unwrap_or_else(|| user.id.clone())
}

/// The user's primary email address, else the first one.
pub fn primary_email(user: &User) -> Option<&str> {
    let primary = user
        .email_addresses
        .iter()
        .find(|e| e.id.is_some() && e.id.as_deref() == user.primary_email_address_id.as_deref());
    primary
        .or(user.email_addresses.first())
        .map(|e| e.email_address.as_str())
}

/// `text` escaped for HTML text and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_text_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn sign_in_links_carry_the_way_back() {
        assert_eq!(
            with_redirect(
                "http://localhost:4000/sign-in",
                "http://127.0.0.1:3000/dashboard"
            ),
            "http://localhost:4000/sign-in?redirect_url=http%3A%2F%2F127.0.0.1%3A3000%2Fdashboard"
        );
    }

    #[test]
    fn the_account_portal_is_named_after_the_frontend_api() {
        assert_eq!(
            account_portal_host("happy-cat-12.clerk.accounts.dev"),
            "happy-cat-12.accounts.dev"
        );
        assert_eq!(
            account_portal_host("clerk.example.com"),
            "accounts.example.com"
        );
    }
}
