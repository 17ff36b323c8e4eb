//! The pages app: a server-rendered Axum site whose browser sessions are Clerk's cookies.
//!
//! - `/` is public and says who is signed in;
//! - `/dashboard` takes an optional session: signed out, it answers a "Signed out" page with
//!   status 401; signed in, it lists the user's organizations (a Backend API call);
//! - `/orgs/{slug}` and `/me` need a session (`ClerkSession`, `ClerkUser`): a signed-out visitor
//!   is sent to sign in and comes back to the same page. They are the patterns of the app's
//!   [organization sync](organization_sync): opening `/orgs/acme-inc` makes Acme the session's
//!   active organization (through a handshake), `/me` goes back to the personal account.
//!
//! Signing in and out happens on Clerk's pages (LocalClerk's, or your instance's Account
//! Portal), which send the browser back here; from then on [`ClerkLayer`] keeps the session
//! going by itself: the handshake with the Frontend API when the browser's cookies need it, a
//! server-side refresh when the session token has expired. The handlers only read the session.
//!
//! **Through a proxy.** With `--proxy` (or `PAGES_PROXY=1`) the app mounts the Frontend API
//! proxy at `/__clerk` ([`FrontendApiProxyLayer`]) and its `Clerk` has that proxy URL: the
//! handshake, LocalClerk's sign-in pages and everything else the browser asks of Clerk go
//! through the app's own origin ([`setup`]).
//!
//! Every value that reaches the HTML (names, emails, ids, URLs) goes through [`escape`]. The
//! pages are plain functions ([`home_page`], [`dashboard_page`], [`organization_page`],
//! [`personal_page`], [`signed_out_page`]), which the actix-web version (`pages_actix`, feature
//! `actix`) answers too.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use clerk_axum::{
    ClerkClient, ClerkLayer, ClerkOptions, ClerkSession, ClerkUser, FrontendApiProxyLayer,
};
use clerk_core::browser::OrganizationSync;
use clerk_core::models::{OrganizationMembership, User};
use clerk_core::proxy::FrontendApiProxy;
use clerk_core::{Clerk, SessionClaims};
use clerk_testing::LocalClerk;

/// Where the app mounts the Frontend API proxy when it runs through one.
pub const PROXY_PATH: &str = "/__clerk";

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

    /// LocalClerk's sign-in and sign-out pages through the Frontend API proxy the app at
    /// `app_url` mounts at [`PROXY_PATH`]: `<app_url>/__clerk/sign-in?redirect_url=…`. The
    /// browser then never leaves the app's origin.
    pub fn proxied(app_url: &str) -> Self {
        let page = |page: &str, back: &str| {
            with_redirect(
                &format!("{app_url}{PROXY_PATH}/{page}"),
                &format!("{app_url}{back}"),
            )
        };
        Self {
            sign_in: page("sign-in", "/dashboard"),
            sign_out: Some(page("sign-out", "/")),
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

/// Whether the example runs through the Frontend API proxy: `--proxy` among the arguments, or
/// `PAGES_PROXY` set to `1` or `true`.
pub fn proxy_requested() -> bool {
    std::env::args().skip(1).any(|arg| arg == "--proxy")
        || std::env::var("PAGES_PROXY").is_ok_and(|v| matches!(v.trim(), "1" | "true"))
}

/// What the example runs against, from [`setup`].
#[derive(Debug)]
pub struct Setup {
    /// The client of the app's layer / middleware.
    pub clerk: Clerk,
    /// Where the app sends browsers to sign in and out.
    pub links: Links,
    /// The Frontend API proxy to mount at [`PROXY_PATH`], when running through one.
    pub proxy: Option<FrontendApiProxy>,
    /// The embedded LocalClerk, when there is one: keep it as long as the app runs.
    pub local: Option<LocalClerk>,
}

/// What the example runs against, for an app served at `app_url`: with `CLERK_SECRET_KEY` set,
/// your instance (`ClerkBuilder::env`) and its Account Portal; else an embedded LocalClerk
/// seeded with the demo users and their organization ([`clerk_testing::demo`]). With `proxy`,
/// the app's `Clerk` has the proxy URL `<app_url>/__clerk` (your instance: `CLERK_PROXY_URL`
/// when set) and the returned proxy is to be mounted there; LocalClerk's sign-in pages are then
/// reached through it too. Prints which, and how to sign in.
pub async fn setup(app_url: &str, proxy: bool) -> Result<Setup, Box<dyn std::error::Error>> {
    let proxy_url = format!("{app_url}{PROXY_PATH}");
    if std::env::var("CLERK_SECRET_KEY").is_ok_and(|v| !v.trim().is_empty()) {
        let mut builder = Clerk::builder().env();
        let proxy_url_set = std::env::var("CLERK_PROXY_URL").is_ok_and(|v| !v.trim().is_empty());
        if proxy && !proxy_url_set {
            builder = builder.proxy_url(&proxy_url);
        }
        let clerk = builder.build()?;
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
        let proxy = proxy.then(|| FrontendApiProxy::new(&clerk)).transpose()?;
        if proxy.is_some() {
            println!(
                "The Frontend API proxy is mounted at {PROXY_PATH}; register the proxy URL on the Clerk dashboard (Domains) and give Clerk's frontend the same proxyUrl."
            );
        }
        return Ok(Setup {
            clerk,
            links,
            proxy,
            local: None,
        });
    }
    let local = LocalClerk::start().await;
    let demo = clerk_testing::demo::seed(&local);
    println!(
        "No CLERK_SECRET_KEY: running against an embedded LocalClerk (no account, no network)."
    );
    let (clerk, links, proxy) = local_setup(&local, app_url, proxy)?;
    match &proxy {
        Some(_) => println!(
            "Through the Frontend API proxy: the browser reaches LocalClerk ({}) only at {proxy_url}.",
            local.frontend().url()
        ),
        None => println!(
            "Its sign-in page, on {}, lists the demo users.",
            local.frontend().url()
        ),
    }
    println!(
        "Sign in as {} or {}; both are members of {} (/orgs/{}).",
        display_name(&demo.ada),
        display_name(&demo.bob),
        demo.acme.name,
        demo.acme.slug,
    );
    Ok(Setup {
        clerk,
        links,
        proxy,
        local: Some(local),
    })
}

/// The app's client, links and proxy on `local`, for an app served at `app_url`: `local`'s
/// client and its sign-in pages; with `proxy`, a client whose proxy URL (`CLERK_PROXY_URL`) and
/// sign-in page (`CLERK_SIGN_IN_URL`) are under `<app_url>/__clerk`, the proxy to mount there,
/// and the links through it.
pub fn local_setup(
    local: &LocalClerk,
    app_url: &str,
    proxy: bool,
) -> Result<(Clerk, Links, Option<FrontendApiProxy>), clerk_core::ConfigError> {
    if !proxy {
        return Ok((local.clerk(), Links::local(local, app_url), None));
    }
    let proxy_url = format!("{app_url}{PROXY_PATH}");
    let clerk = local
        .clerk_builder()
        .proxy_url(&proxy_url)
        .sign_in_url(format!("{proxy_url}/sign-in"))
        .build()?;
    let proxy = FrontendApiProxy::new(&clerk)?;
    Ok((clerk, Links::proxied(app_url), Some(proxy)))
}

/// The app's organization sync (Clerk's `organizationSyncOptions`): `/orgs/{slug}` and the
/// pages under it name an organization, `/me` is the personal account.
pub fn organization_sync() -> OrganizationSync {
    OrganizationSync::new(["/orgs/{slug}", "/orgs/{slug}/{*rest}"], ["/me"])
        .expect("the patterns are routes")
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

/// The app: `/` (public), `/dashboard` (optional session), `/orgs/{slug}` and `/me` (signed in
/// only), behind [`ClerkLayer`] with `options` (a [`Clerk`] for the defaults: the handshake,
/// server-side refresh and sign-in redirects on) and the [`organization_sync`].
pub fn app(options: impl Into<ClerkOptions>, links: Links) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/dashboard", get(dashboard))
        .route("/orgs/{slug}", get(organization))
        .route("/me", get(personal))
        .with_state(links)
        .layer(ClerkLayer::new(
            options.into().organization_sync(organization_sync()),
        ))
}

/// `app` with the Frontend API proxy in front of it, when there is one: requests under its
/// path never reach the app or its `ClerkLayer`.
pub fn with_proxy(app: Router, proxy: Option<FrontendApiProxy>) -> Router {
    match proxy {
        Some(proxy) => app.layer(FrontendApiProxyLayer::new(proxy)),
        None => app,
    }
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
    ClerkClient(clerk): ClerkClient,
    session: Option<ClerkSession>,
    user: Option<ClerkUser>,
) -> Response {
    match (session, user) {
        (Some(ClerkSession(claims)), Some(user)) => {
            let memberships = memberships(&clerk, &user.id).await;
            Html(dashboard_page(
                &links,
                &claims,
                &user,
                memberships.as_deref(),
            ))
            .into_response()
        }
        _ => (StatusCode::UNAUTHORIZED, Html(signed_out_page(&links))).into_response(),
    }
}

/// Signed in only (a signed-out visitor is sent to sign in, and back here): the organization
/// the URL names, which the organization sync has made the session's active one for a member.
async fn organization(
    State(links): State<Links>,
    Path(slug): Path<String>,
    ClerkSession(claims): ClerkSession,
    user: ClerkUser,
) -> Response {
    let (status, page) = organization_page(&links, &claims, &user, &slug);
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Html(page),
    )
        .into_response()
}

/// Signed in only: the personal account (`/me`, where the organization sync clears the active
/// organization).
async fn personal(
    State(links): State<Links>,
    ClerkSession(claims): ClerkSession,
    user: ClerkUser,
) -> Html<String> {
    Html(personal_page(&links, &claims, &user))
}

/// The user's organization memberships (the first 100), from the Backend API; `None` when it
/// cannot be asked (the dashboard says so rather than failing).
pub async fn memberships(clerk: &Clerk, user_id: &str) -> Option<Vec<OrganizationMembership>> {
    clerk
        .users()
        .get_organization_memberships(user_id)
        .limit(100)
        .send()
        .await
        .ok()
        .map(|list| list.data)
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

/// The dashboard of a signed-in user: who, when the session token expires, and their
/// organizations (`None`: they could not be loaded).
pub fn dashboard_page(
    links: &Links,
    claims: &SessionClaims,
    user: &User,
    memberships: Option<&[OrganizationMembership]>,
) -> String {
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
<dt>Active organization</dt><dd id="active-organization">{active}</dd>
</dl>
<p>This page's session token expires in {left} s. Reload after that: the server refreshes it
with Clerk and the page stays signed in, without a redirect.</p>
<h2>Your organizations</h2>
{organizations}"#,
        name = escape(&display_name(user)),
        email = escape(primary_email(user).unwrap_or("(none)")),
        user_id = escape(&user.id),
        session_id = escape(claims.session_id()),
        active = escape(claims.org_slug().unwrap_or("none (personal account)")),
        organizations = organization_list(memberships),
    );
    page("Dashboard", links, true, &body)
}

/// The organizations as links to their pages (`/orgs/{slug}`), with the user's role.
fn organization_list(memberships: Option<&[OrganizationMembership]>) -> String {
    let Some(memberships) = memberships else {
        return r#"<p id="organizations">(Clerk could not be asked for your organizations.)</p>"#
            .to_owned();
    };
    let items: Vec<String> = memberships
        .iter()
        .map(|m| {
            format!(
                r#"<li><a href="/orgs/{slug}">{name}</a> ({role})</li>"#,
                slug = escape(&path_segment(&m.organization.slug)),
                name = escape(&m.organization.name),
                role = escape(&m.role),
            )
        })
        .collect();
    if items.is_empty() {
        return r#"<p id="organizations">None: this account is personal only.</p>"#.to_owned();
    }
    format!(
        "<ul id=\"organizations\">\n{}\n</ul>\n<p><a id=\"personal\" href=\"/me\">Your personal account</a></p>",
        items.join("\n")
    )
}

/// An organization's page, with its status: 200 when the URL's organization is the session's
/// active one (the organization sync made it so), 403 when it is not (the user is not a member,
/// or there is no such organization: the sync gave up and the session is as it was).
pub fn organization_page(
    links: &Links,
    claims: &SessionClaims,
    user: &User,
    slug: &str,
) -> (u16, String) {
    let name = escape(&display_name(user));
    if claims.org_slug() == Some(slug) {
        let body = format!(
            r#"<p id="status">Signed in as {name}.</p>
<p id="organization">Active organization: {slug} (your role: {role}).</p>
<p>Opening this page made it the session's active organization: the session token now carries
it. <a id="personal" href="/me">Your personal account</a></p>"#,
            slug = escape(slug),
            role = escape(claims.org_role().unwrap_or("none")),
        );
        (200, page("Organization", links, true, &body))
    } else {
        let body = format!(
            r#"<p id="status">Signed in as {name}.</p>
<p id="organization">Not a member of {slug}: the active organization is still {active}.</p>"#,
            slug = escape(slug),
            active = escape(claims.org_slug().unwrap_or("none (personal account)")),
        );
        (403, page("Organization", links, true, &body))
    }
}

/// The personal account's page (`/me`): the session with no active organization.
pub fn personal_page(links: &Links, claims: &SessionClaims, user: &User) -> String {
    let body = format!(
        r#"<p id="status">Signed in as {name}.</p>
<p id="organization">Personal account: {active}.</p>"#,
        name = escape(&display_name(user)),
        active = match claims.org_slug() {
            None => "no active organization".to_owned(),
            Some(slug) => format!("the active organization is still {}", escape(slug)),
        },
    );
    page("Personal account", links, true, &body)
}

/// `text` percent-encoded for a URL path segment (a slug is letters, digits and dashes; anything
/// else is encoded).
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
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
<nav><a href="/">Home</a> · <a href="/dashboard">Dashboard</a> · <a href="/me">Personal account</a>{account}</nav>
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
    fn through_the_proxy_the_links_stay_on_the_app() {
        let links = Links::proxied("http://127.0.0.1:3000");
        assert_eq!(
            links.sign_in,
            "http://127.0.0.1:3000/__clerk/sign-in?redirect_url=http%3A%2F%2F127.0.0.1%3A3000%2Fdashboard"
        );
        assert_eq!(
            links.sign_out.as_deref(),
            Some(
                "http://127.0.0.1:3000/__clerk/sign-out?redirect_url=http%3A%2F%2F127.0.0.1%3A3000%2F"
            )
        );
    }

    #[test]
    fn organization_links_encode_the_slug() {
        assert_eq!(path_segment("acme-inc"), "acme-inc");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
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
