//! The dev browser and the handshake.
//!
//! `GET /v1/client/handshake` takes Clerk's parameters: `redirect_url` (required, an absolute
//! http(s) URL, on any host: a satellite app's as well as the primary's), `format` (`nonce`, or
//! `token` by default), `suffixed_cookies` (`true`/`false`), `__clerk_db_jwt`,
//! `organization_id` (organization sync, below); `__clerk_api_version`, `__clerk_hs_reason` and
//! `__session` are accepted and not needed. It answers 307 to `redirect_url` with
//! `__clerk_handshake_nonce=<nonce>` (resolved once, within a minute, by the Backend API's
//! `GET /v1/clients/handshake_payload`) or `__clerk_handshake=<JWT>` (the directives as its
//! `handshake` claim). The directives are the app's cookies:
//!
//! - always `__clerk_db_jwt=<dev browser token>`;
//! - signed in: `__session=<fresh token>` (`azp` the origin of `redirect_url`),
//!   `__client_uat=<when the client changed>`, `__refresh_<suffix>=<refresh token>` (HttpOnly),
//!   and with `suffixed_cookies=true` also `__session_<suffix>` and `__client_uat_<suffix>`;
//! - signed out: `__session` removed, `__client_uat=0` (and the suffixed ones likewise), the
//!   refresh cookie removed.
//!
//! **Organization sync.** With `organization_id` (Clerk's SDK sends the id or the slug the URL
//! names, or an empty value for the personal account), a signed-in client's session first makes
//! that organization its active one, if its user is a member, or none for an empty value; the
//! session keeps it, so that the new `__session` and every later token carry it (`o`, or
//! `org_id`/`org_slug`/`org_role`/`org_permissions` in v1). An organization the user is not a
//! member of, or none by that id or slug, changes nothing: the handshake answers as usual, and
//! the SDK's loop guard ends the retries, as with Clerk.
//!
//! **Satellites.** A development satellite shares the primary's Frontend API and client: it
//! comes back from the primary's sign-in with the same dev browser token, and its handshake
//! plants cookies for its own host from that client. A handshake that reaches LocalClerk as the
//! Frontend API of a production satellite domain (`Host: clerk.<domain>`, for a domain given to
//! [`satellite_domain`](crate::LocalClerkBuilder::satellite_domain)) issues tokens with `iss`
//! `https://clerk.<domain>`, as Clerk's production satellites do.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::with_param;
use super::{bad_request, client_of, pairs, param, redirect, redirect_target, with_client_cookie};
use crate::cookies::{self, CLIENT_UAT, REFRESH, SESSION, suffixed};
use crate::state::Shared;
use crate::store::ClientRecord;
use crate::time::unix_now;
use crate::token::{handshake_jwt, session_token};

/// `POST /v1/dev_browser`: the browser's client (a new one unless LocalClerk's cookie names
/// one) and its dev browser token, as `{"id", "token"}` (200; clerk-js reads `id` and only
/// checks that the answer is a success).
pub(super) async fn dev_browser(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let client = client_of(&s, None, &headers);
    let body = serde_json::json!({
        "object": "dev_browser",
        "id": client.dev_browser,
        "token": client.dev_browser,
    });
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    // clerk-js calls it from the app's origin.
    if let Some(origin) = headers.get(header::ORIGIN).cloned() {
        let out = response.headers_mut();
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        out.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    with_client_cookie(response, &client)
}

/// `GET /v1/client/handshake`.
pub(super) async fn handshake(
    State(s): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    s.count_handshake();
    let query = pairs(raw.as_deref().unwrap_or_default().as_bytes());
    let target = match redirect_target(param(&query, "redirect_url")) {
        Ok(target) => target,
        Err(message) => return bad_request("form_param_value_invalid", &message),
    };
    let by_nonce = match param(&query, "format") {
        None | Some("token") => false,
        Some("nonce") => true,
        Some(_) => {
            return bad_request(
                "form_param_value_invalid",
                "format must be `nonce` or `token`",
            );
        }
    };
    let suffixed_cookies = param(&query, "suffixed_cookies") == Some("true");
    let client = client_of(&s, param(&query, cookies::DEV_BROWSER), &headers);
    if let Some(organization) = param(&query, "organization_id") {
        activate_organization(&s, &client, organization);
    }
    let origin = target.origin().ascii_serialization();
    let issuer = satellite_issuer(&s, &headers);
    let directives = directives(&s, &client, &origin, issuer.as_deref(), suffixed_cookies);
    let location = if by_nonce {
        let nonce = s.store().put_handshake(directives, unix_now());
        with_param(&target, "__clerk_handshake_nonce", &nonce)
    } else {
        with_param(
            &target,
            "__clerk_handshake",
            &handshake_jwt(&s, &directives),
        )
    };
    redirect(StatusCode::TEMPORARY_REDIRECT, &location, &client)
}

/// Organization sync: the organization (id or slug; empty for none) becomes the active one of
/// the client's session when its user is a member; otherwise nothing changes (module docs).
fn activate_organization(shared: &Shared, client: &ClientRecord, organization: &str) {
    let mut store = shared.store();
    let Some(session) = store.client_session(&client.id) else {
        return;
    };
    let organization = Some(organization).filter(|o| !o.is_empty());
    // Not a member, or no such organization: the active organization stays, as with Clerk.
    let _ = store.set_active_organization(&session.id, organization);
}

/// The issuer of the tokens a handshake issues: `https://clerk.<domain>` when the request came
/// to the Frontend API of one of the instance's satellite domains (by its `Host`), else `None`
/// (the instance's own).
fn satellite_issuer(shared: &Shared, headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    shared.satellite_issuer_for_host(host)
}

/// The cookies of the app's host for a client, signed in or out (module docs).
fn directives(
    shared: &Arc<Shared>,
    client: &ClientRecord,
    origin: &str,
    issuer: Option<&str>,
    suffixed_cookies: bool,
) -> Vec<String> {
    let suffix = &shared.identity().cookie_suffix;
    let session = shared.store().client_session(&client.id);
    let signed_in = session.and_then(|session| {
        let token = session_token(shared, &session.id, Some(origin), issuer)?;
        let refresh = shared.store().refresh_token(&session.id)?.to_owned();
        Some((token, refresh))
    });
    let refresh_name = suffixed(REFRESH, suffix);
    let mut out = vec![cookies::dev_browser(&client.dev_browser)];
    let names = |name: &str| {
        let mut names = vec![name.to_owned()];
        if suffixed_cookies {
            names.push(suffixed(name, suffix));
        }
        names
    };
    match signed_in {
        Some((token, refresh)) => {
            out.extend(names(SESSION).iter().map(|n| cookies::session(n, &token)));
            out.extend(
                names(CLIENT_UAT)
                    .iter()
                    .map(|n| cookies::client_uat(n, client.updated_at)),
            );
            out.push(cookies::refresh(&refresh_name, &refresh));
        }
        None => {
            out.extend(names(SESSION).iter().map(|n| cookies::cleared(n, false)));
            out.extend(names(CLIENT_UAT).iter().map(|n| cookies::client_uat(n, 0)));
            out.push(cookies::cleared(&refresh_name, true));
        }
    }
    out
}
