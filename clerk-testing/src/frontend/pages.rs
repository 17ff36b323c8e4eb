//! The sign-in, sign-up and sign-out pages: plain HTML, no script. Everything echoed is
//! HTML-escaped, and `redirect_url` must be an absolute http(s) URL (else 400).
//!
//! The sign-in page lists the instance's users, each a button (a form posting `user_id`), and
//! takes an email address (an unknown one creates the user, as a quick development aid). A
//! sign-in makes a new active session (with its refresh token) the client's, and redirects
//! (303) to `redirect_url` with `__clerk_db_jwt=<dev browser token>` added, as Clerk's Account
//! Portal does in development: the app then runs the `dev-browser-sync` handshake, which
//! plants its cookies. Sign-out ends the client's sessions and redirects the same way.
//!
//! **Invitations.** With `__clerk_ticket` (the link of an organization invitation), the page
//! offers one button: join as the invited address. Posting it signs the browser in as the user
//! with that address (created when none has it), accepts the invitation (a membership), and
//! sends the browser to `redirect_url` (optional here; without it, a page says it is done). A
//! ticket that is unknown or no longer pending is a 400 page.
//!
//! **Satellites (development).** A satellite's Clerk SDK sends a page that needs syncing to the
//! primary's sign-in URL with `__clerk_redirect_url` (clerk-js: `__clerk_satellite_url`) naming
//! the satellite's URL. When that sign-in URL is this page, it answers as the primary does:
//! 307 straight back to the satellite's URL with the browser's `__clerk_db_jwt` and
//! `__clerk_synced=true`, signed in or not; the satellite's handshake with that token then
//! plants its cookies from the same client.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clerk_core::models::{Session, User};
use reqwest::Url;

use super::{
    client_of, pairs, param, redirect, redirect_target, with_client_cookie, with_param, with_params,
};
use crate::cookies::DEV_BROWSER;
use crate::state::Shared;
use crate::store::{ClientRecord, NewUser};

/// The ticket of an organization invitation, in its link.
const TICKET: &str = "__clerk_ticket";
/// The satellite URL to return to, as Clerk's backend SDK sends it to the primary's sign-in URL.
const SATELLITE_REDIRECT: &str = "__clerk_redirect_url";
/// The same, as clerk-js sends it.
const SATELLITE_URL: &str = "__clerk_satellite_url";
/// The satellite sync status (`true`: done).
const SYNCED: &str = "__clerk_synced";

/// At most this many users are listed on the sign-in page (the newest).
const LISTED_USERS: usize = 100;

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
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

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title} · LocalClerk</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}}\
         form{{margin:.4rem 0}}button{{width:100%;text-align:left;padding:.5rem;cursor:pointer}}\
         small{{color:#666}}</style></head>\n<body>\n<h1>{title}</h1>\n{body}</body></html>\n",
        title = escape(title)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

fn error_page(status: StatusCode, message: &str) -> Response {
    html(
        status,
        "LocalClerk",
        &format!("<p>{}</p>\n", escape(message)),
    )
}

/// How a user is shown: name (or username, or email), email, id.
fn label(user: &User) -> String {
    let name = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let email = user
        .email_addresses
        .first()
        .map(|e| e.email_address.as_str())
        .unwrap_or_default();
    let name = if !name.is_empty() {
        name
    } else {
        user.username.clone().unwrap_or_else(|| email.to_owned())
    };
    format!("{name} <{email}> ({})", user.id)
}

/// `GET /sign-in?redirect_url=`.
pub(super) async fn sign_in_page(
    State(s): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    page(&s, "Sign in", raw, &headers)
}

/// `GET /sign-up?redirect_url=`: the sign-in page (an unknown email address signs up).
pub(super) async fn sign_up_page(
    State(s): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    page(&s, "Sign up", raw, &headers)
}

fn page(shared: &Shared, title: &str, raw: Option<String>, headers: &HeaderMap) -> Response {
    let query = pairs(raw.as_deref().unwrap_or_default().as_bytes());
    if let Some(satellite) = param(&query, SATELLITE_REDIRECT).or(param(&query, SATELLITE_URL)) {
        return back_to_satellite(shared, satellite, &query, headers);
    }
    if let Some(ticket) = param(&query, TICKET) {
        return invitation_page(shared, ticket, &query, headers);
    }
    let target = match redirect_target(param(&query, "redirect_url")) {
        Ok(target) => target,
        Err(message) => return error_page(StatusCode::BAD_REQUEST, &message),
    };
    let client = client_of(shared, param(&query, DEV_BROWSER), headers);
    let (mut users, signed_in): (Vec<User>, Option<String>) = {
        let store = shared.store();
        let signed_in = store
            .client_session(&client.id)
            .and_then(|session| store.users.get(&session.user_id).map(label));
        (store.users.values().cloned().collect(), signed_in)
    };
    users.sort_by_key(|u| std::cmp::Reverse(u.created_at));
    let hidden = format!(
        "<input type=\"hidden\" name=\"redirect_url\" value=\"{}\">\
         <input type=\"hidden\" name=\"{DEV_BROWSER}\" value=\"{}\">",
        escape(target.as_str()),
        escape(&client.dev_browser)
    );
    let mut body = format!(
        "<p>A LocalClerk development instance. You will return to <code>{}</code>.</p>\n",
        escape(target.as_str())
    );
    if let Some(who) = signed_in {
        body.push_str(&format!(
            "<p>Signed in as {}. <a href=\"{}\">Sign out</a></p>\n",
            escape(&who),
            escape(&sign_out_link(&target, &client))
        ));
    }
    if users.is_empty() {
        body.push_str("<p><small>No users yet.</small></p>\n");
    } else {
        body.push_str("<h2>Continue as</h2>\n");
    }
    for user in users.iter().take(LISTED_USERS) {
        body.push_str(&format!(
            "<form method=\"post\">{hidden}<input type=\"hidden\" name=\"user_id\" value=\"{}\">\
             <button type=\"submit\">{}</button></form>\n",
            escape(&user.id),
            escape(&label(user))
        ));
    }
    body.push_str(&format!(
        "<h2>Or with an email address</h2>\n<form method=\"post\">{hidden}\
         <input type=\"email\" name=\"email\" required placeholder=\"you@example.com\"> \
         <input type=\"submit\" value=\"Continue\"></form>\n\
         <p><small>An email address no user has creates a new user.</small></p>\n"
    ));
    with_client_cookie(html(StatusCode::OK, title, &body), &client)
}

/// A development satellite's sync (module docs): 307 back to the satellite's URL with the
/// browser's dev browser token and `__clerk_synced=true`.
fn back_to_satellite(
    shared: &Shared,
    satellite: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> Response {
    let target = match redirect_target(Some(satellite)) {
        Ok(target) => target,
        Err(_) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                &format!("{SATELLITE_REDIRECT} must be an absolute http or https URL"),
            );
        }
    };
    let client = client_of(shared, param(query, DEV_BROWSER), headers);
    let location = with_params(
        &target,
        &[(DEV_BROWSER, &client.dev_browser), (SYNCED, "true")],
    );
    redirect(StatusCode::TEMPORARY_REDIRECT, &location, &client)
}

/// `redirect_url` where it may be left out (after an invitation): `None` when absent or empty,
/// else an absolute http(s) URL or why not.
fn optional_target(raw: Option<&str>) -> Result<Option<Url>, String> {
    match raw.filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        raw => redirect_target(raw).map(Some),
    }
}

/// `GET /sign-in?__clerk_ticket=`: the invitation and one button to accept it.
fn invitation_page(
    shared: &Shared,
    ticket: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> Response {
    let target = match optional_target(param(query, "redirect_url")) {
        Ok(target) => target,
        Err(message) => return error_page(StatusCode::BAD_REQUEST, &message),
    };
    let client = client_of(shared, param(query, DEV_BROWSER), headers);
    let invitation = {
        let mut store = shared.store();
        store.organization_invitation_by_ticket(ticket).map(|i| {
            let org = i
                .organization_id
                .as_deref()
                .and_then(|id| store.organizations.get(id))
                .map(|o| o.name.clone())
                .unwrap_or_default();
            (i, org)
        })
    };
    let Some((invitation, organization)) = invitation else {
        return with_client_cookie(invalid_ticket(), &client);
    };
    let redirect_field = target.map_or_else(String::new, |target| {
        format!(
            "<input type=\"hidden\" name=\"redirect_url\" value=\"{}\">",
            escape(target.as_str())
        )
    });
    let body = format!(
        "<p>You are invited to join <strong>{org}</strong> as <code>{role}</code>.</p>\n\
         <form method=\"post\" action=\"/sign-in\">{redirect_field}\
         <input type=\"hidden\" name=\"{TICKET}\" value=\"{ticket}\">\
         <input type=\"hidden\" name=\"{DEV_BROWSER}\" value=\"{dev_browser}\">\
         <button type=\"submit\">Join as {email}</button></form>\n",
        org = escape(&organization),
        role = escape(&invitation.role),
        ticket = escape(ticket),
        dev_browser = escape(&client.dev_browser),
        email = escape(&invitation.email_address),
    );
    with_client_cookie(html(StatusCode::OK, "Join an organization", &body), &client)
}

/// What a ticket that is unknown or no longer pending gets.
const INVALID_TICKET: &str =
    "This invitation is no longer valid: it is unknown, or was accepted, revoked or has expired.";

fn invalid_ticket() -> Response {
    error_page(StatusCode::BAD_REQUEST, INVALID_TICKET)
}

fn sign_out_link(target: &Url, client: &ClientRecord) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("redirect_url", target.as_str());
    query.append_pair(DEV_BROWSER, &client.dev_browser);
    // Relative: through an app's Frontend API proxy, the page is under the proxy's path.
    format!("sign-out?{}", query.finish())
}

/// `POST /sign-in` (and `/sign-up`): form `redirect_url` (optional with a ticket), `user_id`,
/// `email` or `__clerk_ticket`, and the page's `__clerk_db_jwt`.
pub(super) async fn sign_in(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let ticket = param(&form, TICKET).filter(|t| !t.is_empty());
    let target = match ticket {
        Some(_) => optional_target(param(&form, "redirect_url")),
        None => redirect_target(param(&form, "redirect_url")).map(Some),
    };
    let target = match target {
        Ok(target) => target,
        Err(message) => return error_page(StatusCode::BAD_REQUEST, &message),
    };
    let client = client_of(&s, param(&form, DEV_BROWSER), &headers);
    let user_id = param(&form, "user_id").filter(|id| !id.is_empty());
    let email = param(&form, "email")
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let signed_in = match ticket {
        Some(ticket) => accept_with_ticket(&s, &client, ticket),
        None => sign_in_client(&s, &client, user_id, email).map(|_| None),
    };
    match (signed_in, target) {
        (Err((status, message)), _) => with_client_cookie(error_page(status, &message), &client),
        (Ok(_), Some(target)) => back(&target, &client),
        (Ok(joined), None) => {
            let body = format!(
                "<p>Invitation accepted: you are signed in and a member of <strong>{}</strong>.</p>\n",
                escape(&joined.unwrap_or_default())
            );
            with_client_cookie(html(StatusCode::OK, "Welcome", &body), &client)
        }
    }
}

/// Accepts the invitation of a ticket and signs the browser in as its invitee (created when no
/// user has the invited address): the name of the organization joined.
fn accept_with_ticket(
    shared: &Shared,
    client: &ClientRecord,
    ticket: &str,
) -> Result<Option<String>, (StatusCode, String)> {
    let failed = |f: crate::store::Failure| {
        (
            StatusCode::from_u16(f.status).unwrap_or(StatusCode::BAD_REQUEST),
            f.message,
        )
    };
    let mut store = shared.store();
    let Some(invitation) = store.organization_invitation_by_ticket(ticket) else {
        return Err((StatusCode::BAD_REQUEST, INVALID_TICKET.into()));
    };
    let user = store.invitee(&invitation).map_err(failed)?;
    if user.banned || user.locked {
        return Err((
            StatusCode::FORBIDDEN,
            format!("{} is banned or locked.", label(&user)),
        ));
    }
    let membership = store
        .accept_organization_invitation(&invitation.id, &user.id)
        .map_err(failed)?;
    store.sign_in_client(&client.id, &user.id).map_err(failed)?;
    Ok(Some(membership.organization.name))
}

/// Signs the client in as the user named by id, or by email address (created when unknown).
fn sign_in_client(
    shared: &Shared,
    client: &ClientRecord,
    user_id: Option<&str>,
    email: Option<&str>,
) -> Result<Session, (StatusCode, String)> {
    let mut store = shared.store();
    let user = match (user_id, email) {
        (Some(id), _) => store
            .users
            .get(id)
            .cloned()
            .ok_or((StatusCode::NOT_FOUND, format!("No user {id}.")))?,
        (None, Some(email)) => {
            let known = store
                .users
                .values()
                .find(|u| {
                    u.email_addresses
                        .iter()
                        .any(|e| e.email_address.eq_ignore_ascii_case(email))
                })
                .cloned();
            match known {
                Some(user) => user,
                None => store
                    .create_user(NewUser::with_email(email))
                    .map_err(|f| (StatusCode::UNPROCESSABLE_ENTITY, f.message))?,
            }
        }
        (None, None) => {
            return Err((
                StatusCode::BAD_REQUEST,
                "Pick a user or enter an email address.".into(),
            ));
        }
    };
    if user.banned || user.locked {
        return Err((
            StatusCode::FORBIDDEN,
            format!("{} is banned or locked.", label(&user)),
        ));
    }
    store.sign_in_client(&client.id, &user.id).map_err(|f| {
        (
            StatusCode::from_u16(f.status).unwrap_or(StatusCode::BAD_REQUEST),
            f.message,
        )
    })
}

/// `GET /sign-out?redirect_url=&__clerk_db_jwt=`.
pub(super) async fn sign_out(
    State(s): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = pairs(raw.as_deref().unwrap_or_default().as_bytes());
    sign_out_with(&s, &query, &headers)
}

/// `POST /sign-out`, the same parameters as a form.
pub(super) async fn sign_out_form(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sign_out_with(&s, &pairs(&body), &headers)
}

fn sign_out_with(shared: &Shared, params: &[(String, String)], headers: &HeaderMap) -> Response {
    let target = match redirect_target(param(params, "redirect_url")) {
        Ok(target) => target,
        Err(message) => return error_page(StatusCode::BAD_REQUEST, &message),
    };
    let client = client_of(shared, param(params, DEV_BROWSER), headers);
    if let Err(failure) = shared.store().sign_out_client(&client.id) {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, &failure.message);
    }
    back(&target, &client)
}

/// 303 to `redirect_url` with the client's dev browser token.
fn back(target: &Url, client: &ClientRecord) -> Response {
    redirect(
        StatusCode::SEE_OTHER,
        &with_param(target, DEV_BROWSER, &client.dev_browser),
        client,
    )
}
