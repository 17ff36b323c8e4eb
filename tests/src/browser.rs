//! The browser-session contract: Clerk's handshake and server-side refresh, as a browser lives
//! them, run against an app of each framework (`tests/browser_sessions.rs`) over real HTTP with
//! LocalClerk as the Frontend API.
//!
//! [`Browser`] is a small HTTP client that keeps cookies per host (as a browser: not per port)
//! and follows redirects itself, so that every hop (status, `Location`, Clerk's reason) can be
//! counted and checked. The app serves `/page` (anyone: [`signed_in_body`] or
//! [`SIGNED_OUT_BODY`]), `/dashboard` (a session required: the user id) and `/api/me` (the
//! same, as an API, GET and POST), behind the framework's Clerk layer with debug headers on.

use std::collections::BTreeMap;
use std::time::Duration;

use clerk_testing::{LocalClerk, NewUser};
use http::StatusCode;

/// The token lifetime the contract's LocalClerk issues (short, so that tokens expire while it
/// runs).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(2);

/// What an app answers on `/page` for a signed-in visitor.
pub fn signed_in_body(user_id: &str) -> String {
    format!("signed in as {user_id}")
}

/// What an app answers on `/page` for a signed-out visitor.
pub const SIGNED_OUT_BODY: &str = "signed out";

/// One hop of a visit: the request's URL, the answer's status, and Clerk's debug headers.
#[derive(Debug, Clone)]
pub struct Hop {
    /// The URL asked for.
    pub url: String,
    /// The status answered.
    pub status: StatusCode,
    /// `x-clerk-auth-status`, when the app sent it.
    pub auth_status: Option<String>,
    /// `x-clerk-auth-reason`, when the app sent it.
    pub reason: Option<String>,
    /// `Location`, on a redirect.
    pub location: Option<String>,
    /// How many `Set-Cookie` headers came with it.
    pub set_cookies: usize,
}

/// A visit: every hop, and the last answer's body.
#[derive(Debug)]
pub struct Visit {
    /// Every request made, in order; the last is the page.
    pub hops: Vec<Hop>,
    /// The last answer's body.
    pub body: String,
}

impl Visit {
    /// The last answer's status.
    pub fn status(&self) -> StatusCode {
        self.hops
            .last()
            .map_or(StatusCode::IM_A_TEAPOT, |hop| hop.status)
    }

    /// How many redirects the app (not the Frontend API) answered.
    pub fn app_redirects(&self, app: &str) -> usize {
        self.hops
            .iter()
            .filter(|hop| hop.url.starts_with(app) && hop.status.is_redirection())
            .count()
    }

    /// Clerk's reasons of the app's handshake redirects, in order.
    pub fn handshake_reasons(&self) -> Vec<String> {
        self.hops
            .iter()
            .filter(|hop| hop.auth_status.as_deref() == Some("handshake"))
            .filter_map(|hop| hop.reason.clone())
            .collect()
    }

    fn describe(&self) -> String {
        let hops: Vec<String> = self
            .hops
            .iter()
            .map(|hop| {
                format!(
                    "{} {} [{} {}] -> {}",
                    hop.status.as_u16(),
                    hop.url,
                    hop.auth_status.as_deref().unwrap_or("-"),
                    hop.reason.as_deref().unwrap_or("-"),
                    hop.location.as_deref().unwrap_or("")
                )
            })
            .collect();
        format!("{}\nbody: {}", hops.join("\n"), self.body)
    }
}

/// A browser: cookies kept per host (a cookie set by `127.0.0.1:<any port>` goes to every port
/// of `127.0.0.1`, never to `localhost`), redirects followed one by one.
#[derive(Clone)]
pub struct Browser {
    http: reqwest::Client,
    jar: std::sync::Arc<std::sync::Mutex<Jar>>,
}

/// Cookies by host and name: the value, and when it expires (`Max-Age`), if it does.
type Jar = BTreeMap<(String, String), (String, Option<std::time::Instant>)>;

impl Default for Browser {
    fn default() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
            jar: Default::default(),
        }
    }
}

/// How a request presents itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A top-level navigation (`Sec-Fetch-Dest: document`, `Accept: text/html`).
    Page,
    /// A `fetch()` from a page (`Sec-Fetch-Dest: empty`, `Accept: application/json`).
    Fetch,
}

impl Browser {
    /// The cookie `name` the browser holds for `host`.
    pub fn cookie(&self, host: &str, name: &str) -> Option<String> {
        let jar = self.jar.lock().expect("jar");
        jar.get(&(host.to_owned(), name.to_owned()))
            .filter(|(_, expires)| expires.is_none_or(|at| at > std::time::Instant::now()))
            .map(|(value, _)| value.clone())
    }

    /// Forgets cookie `name` of `host`.
    pub fn forget(&self, host: &str, name: &str) {
        let mut jar = self.jar.lock().expect("jar");
        jar.remove(&(host.to_owned(), name.to_owned()));
    }

    /// Sets cookie `name` for `host`.
    pub fn set(&self, host: &str, name: &str, value: &str) {
        let mut jar = self.jar.lock().expect("jar");
        jar.insert((host.to_owned(), name.to_owned()), (value.to_owned(), None));
    }

    fn cookie_header(&self, host: &str) -> Option<String> {
        let jar = self.jar.lock().expect("jar");
        let now = std::time::Instant::now();
        let pairs: Vec<String> = jar
            .iter()
            .filter(|((h, _), (_, expires))| h == host && expires.is_none_or(|at| at > now))
            .map(|((_, name), (value, _))| format!("{name}={value}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    fn store(&self, host: &str, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let max_age = parts.find_map(|attribute| {
            let attribute = attribute.trim().to_ascii_lowercase();
            attribute.strip_prefix("max-age=")?.parse::<i64>().ok()
        });
        let key = (host.to_owned(), name.trim().to_owned());
        let mut jar = self.jar.lock().expect("jar");
        match max_age {
            Some(seconds) if seconds <= 0 => {
                jar.remove(&key);
            }
            _ if value.trim().is_empty() => {
                jar.remove(&key);
            }
            _ => {
                let expires = max_age.map(|seconds| {
                    std::time::Instant::now() + Duration::from_secs(seconds.unsigned_abs())
                });
                jar.insert(key, (value.trim().to_owned(), expires));
            }
        }
    }

    /// One request, no redirect followed.
    pub async fn request(
        &self,
        method: reqwest::Method,
        url: &str,
        kind: Kind,
        form: Option<&[(&str, &str)]>,
    ) -> (Hop, String) {
        let parsed = url::Url::parse(url).expect("an absolute URL");
        let host = parsed.host_str().expect("a host").to_owned();
        let mut request = self.http.request(method, url);
        request = match kind {
            Kind::Page => request
                .header("sec-fetch-dest", "document")
                .header("accept", "text/html,application/xhtml+xml"),
            Kind::Fetch => request
                .header("sec-fetch-dest", "empty")
                .header("accept", "application/json"),
        };
        if let Some(cookies) = self.cookie_header(&host) {
            request = request.header("cookie", cookies);
        }
        if let Some(form) = form {
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
        }
        let response = request.send().await.expect("the server answers");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let mut set_cookies = 0;
        for value in response.headers().get_all("set-cookie") {
            set_cookies += 1;
            self.store(&host, value.to_str().expect("ASCII"));
        }
        let hop = Hop {
            url: url.to_owned(),
            status: response.status(),
            auth_status: header("x-clerk-auth-status"),
            reason: header("x-clerk-auth-reason"),
            location: header("location")
                .map(|location| parsed.join(&location).map(String::from).unwrap_or(location)),
            set_cookies,
        };
        let body = response.text().await.unwrap_or_default();
        (hop, body)
    }

    /// A visit: `method` on `url`, then every redirect followed with GET (at most 20).
    pub async fn visit_with(
        &self,
        method: reqwest::Method,
        url: &str,
        kind: Kind,
        form: Option<&[(&str, &str)]>,
    ) -> Visit {
        let mut hops = Vec::new();
        let (mut hop, mut body) = self.request(method, url, kind, form).await;
        while hop.status.is_redirection() && hops.len() < 20 {
            let next = hop.location.clone().expect("a redirect has a Location");
            hops.push(hop);
            (hop, body) = self.request(reqwest::Method::GET, &next, kind, None).await;
        }
        hops.push(hop);
        Visit { hops, body }
    }

    /// A page visit (GET).
    pub async fn visit(&self, url: &str) -> Visit {
        self.visit_with(reqwest::Method::GET, url, Kind::Page, None)
            .await
    }
}

/// Signs `browser` in as `user_id` through LocalClerk's sign-in page, coming back to `back`:
/// the form is posted as a browser posts it, and every redirect followed.
pub async fn sign_in(browser: &Browser, local: &LocalClerk, user_id: &str, back: &str) -> Visit {
    let page = local.frontend().sign_in_url(back);
    let (hop, _) = browser
        .request(reqwest::Method::GET, &page, Kind::Page, None)
        .await;
    assert_eq!(hop.status, StatusCode::OK, "the sign-in page");
    let action = page.split('?').next().expect("a URL").to_owned();
    browser
        .visit_with(
            reqwest::Method::POST,
            &action,
            Kind::Page,
            Some(&[("user_id", user_id), ("redirect_url", back)]),
        )
        .await
}

/// Waits until the browser's session token has expired.
pub async fn wait_for_expiry() {
    tokio::time::sleep(TOKEN_LIFETIME + Duration::from_millis(1200)).await;
}

/// Runs the whole contract against an app served at `app` (e.g. `http://127.0.0.1:4000`),
/// behind the framework's layer with debug headers on, authenticating with `local`.
pub async fn contract(local: &LocalClerk, app: &str) {
    let user = local
        .users()
        .create(NewUser::with_email("ada@example.com"))
        .id
        .clone();
    let page = format!("{app}/page");
    let dashboard = format!("{app}/dashboard");

    // 1. A first visit on a development instance: the dev-browser handshake, which comes back
    //    signed out (the directives clear the session), then once more to the clean URL.
    let browser = Browser::default();
    let visit = browser.visit(&page).await;
    assert_eq!(visit.status(), StatusCode::OK, "{}", visit.describe());
    assert_eq!(visit.body, SIGNED_OUT_BODY, "{}", visit.describe());
    assert_eq!(
        visit.handshake_reasons(),
        ["dev-browser-missing"],
        "{}",
        visit.describe()
    );
    assert_eq!(visit.app_redirects(app), 2, "{}", visit.describe());
    assert!(browser.cookie("127.0.0.1", "__clerk_db_jwt").is_some());
    // Now known: no more redirects.
    let visit = browser.visit(&page).await;
    assert_eq!(
        (visit.hops.len(), visit.body.as_str()),
        (1, SIGNED_OUT_BODY)
    );

    // 2. Signing in on LocalClerk's page brings the browser back with a new dev browser token:
    //    the dev-browser-sync handshake plants the session.
    let visit = sign_in(&browser, local, &user, &dashboard).await;
    assert_eq!(visit.status(), StatusCode::OK, "{}", visit.describe());
    assert_eq!(visit.body, user, "{}", visit.describe());
    assert_eq!(
        visit.handshake_reasons(),
        ["dev-browser-sync"],
        "{}",
        visit.describe()
    );
    let suffix = local.frontend().cookie_suffix().to_owned();
    let refresh_cookie = format!("__refresh_{suffix}");
    assert!(browser.cookie("127.0.0.1", "__session").is_some());
    assert!(browser.cookie("127.0.0.1", &refresh_cookie).is_some());
    assert!(
        browser.cookie("localhost", "__session").is_none(),
        "the app's cookies stay on the app's host"
    );

    // 3. The token expires: the next page is refreshed server-side, with no redirect and one
    //    Backend API call.
    wait_for_expiry().await;
    let refreshes = local.requests().count("RefreshSession");
    let visit = browser.visit(&dashboard).await;
    assert_eq!(
        (visit.status(), visit.body.as_str(), visit.hops.len()),
        (StatusCode::OK, user.as_str(), 1),
        "{}",
        visit.describe()
    );
    assert!(
        visit.hops[0].set_cookies >= 1,
        "the new session cookie is set"
    );
    assert_eq!(local.requests().count("RefreshSession"), refreshes + 1);

    // 4. Concurrent requests of an expired session share one refresh, whatever their kind.
    wait_for_expiry().await;
    let refreshes = local.requests().count("RefreshSession");
    let visits = futures::future::join_all((0..16).map(|i| {
        let browser = browser.clone();
        let url = if i % 2 == 0 {
            dashboard.clone()
        } else {
            format!("{app}/api/me")
        };
        async move {
            let kind = if i % 2 == 0 { Kind::Page } else { Kind::Fetch };
            browser
                .visit_with(reqwest::Method::GET, &url, kind, None)
                .await
        }
    }))
    .await;
    for visit in &visits {
        assert_eq!(
            (visit.status(), visit.body.as_str(), visit.hops.len()),
            (StatusCode::OK, user.as_str(), 1),
            "{}",
            visit.describe()
        );
    }
    assert_eq!(local.requests().count("RefreshSession"), refreshes + 1);

    // 5. Not a GET: never refreshed, never redirected; Clerk's reason says why.
    wait_for_expiry().await;
    let visit = browser
        .visit_with(
            reqwest::Method::POST,
            &format!("{app}/api/me"),
            Kind::Fetch,
            None,
        )
        .await;
    assert_eq!(
        visit.status(),
        StatusCode::UNAUTHORIZED,
        "{}",
        visit.describe()
    );
    assert_eq!(
        visit.hops[0].reason.as_deref(),
        Some("session-token-expired-refresh-non-eligible-non-get")
    );
    assert!(visit.body.contains("token-expired"), "{}", visit.body);

    // 6. Without the refresh cookie: a page goes through one handshake and comes back signed
    //    in; a fetch() is signed out with Clerk's reason.
    browser.forget("127.0.0.1", &refresh_cookie);
    let visit = browser
        .visit_with(
            reqwest::Method::GET,
            &format!("{app}/api/me"),
            Kind::Fetch,
            None,
        )
        .await;
    assert_eq!(
        visit.status(),
        StatusCode::UNAUTHORIZED,
        "{}",
        visit.describe()
    );
    assert_eq!(
        visit.hops[0].reason.as_deref(),
        Some("session-token-expired-refresh-non-eligible-no-refresh-cookie")
    );
    let visit = browser.visit(&dashboard).await;
    assert_eq!(
        (visit.status(), visit.body.as_str()),
        (StatusCode::OK, user.as_str()),
        "{}",
        visit.describe()
    );
    assert_eq!(
        visit.handshake_reasons(),
        ["session-token-expired-refresh-non-eligible-no-refresh-cookie"]
    );
    assert!(
        browser.cookie("127.0.0.1", &refresh_cookie).is_some(),
        "planted again"
    );

    // 7. A session revoked in Clerk: the refresh is refused, the handshake signs the browser out.
    let sid = {
        let token = browser.cookie("127.0.0.1", "__session").expect("a session");
        local
            .clerk()
            .verify_token(&token)
            .await
            .expect("valid")
            .session_id()
            .to_owned()
    };
    local
        .clerk()
        .sessions()
        .revoke(&sid)
        .send()
        .await
        .expect("revoked");
    wait_for_expiry().await;
    let visit = browser.visit(&page).await;
    assert_eq!(
        (visit.status(), visit.body.as_str()),
        (StatusCode::OK, SIGNED_OUT_BODY),
        "{}",
        visit.describe()
    );
    let reasons = visit.handshake_reasons();
    assert_eq!(reasons.len(), 1, "{}", visit.describe());
    assert!(
        reasons[0].starts_with("session-token-expired-refresh-")
            && reasons[0] != "session-token-expired-refresh-non-eligible-no-refresh-cookie",
        "the refresh's own failure: {reasons:?}"
    );
    assert!(
        browser.cookie("127.0.0.1", "__session").is_none(),
        "cleared"
    );
    assert_sent_to_sign_in(local, &browser.visit(&dashboard).await, &dashboard);

    // 8. Sign in again, then sign out on LocalClerk: the way back clears the cookies.
    let visit = sign_in(&browser, local, &user, &dashboard).await;
    assert_eq!(visit.body, user, "{}", visit.describe());
    let visit = browser.visit(&local.frontend().sign_out_url(&page)).await;
    assert_eq!(
        (visit.status(), visit.body.as_str()),
        (StatusCode::OK, SIGNED_OUT_BODY),
        "{}",
        visit.describe()
    );
    assert_sent_to_sign_in(local, &browser.visit(&dashboard).await, &dashboard);
    // An API call is never redirected: 401 in Clerk's error shape.
    let visit = browser
        .visit_with(
            reqwest::Method::GET,
            &format!("{app}/api/me"),
            Kind::Fetch,
            None,
        )
        .await;
    assert_eq!(
        visit.status(),
        StatusCode::UNAUTHORIZED,
        "{}",
        visit.describe()
    );
    assert!(visit.body.contains("\"errors\""), "{}", visit.body);
}

/// Asserts that a page visit ended on LocalClerk's sign-in page, sent there by the app with
/// `redirect_url` back to `page`.
pub fn assert_sent_to_sign_in(local: &LocalClerk, visit: &Visit, page: &str) {
    let last = visit.hops.last().expect("a hop");
    let sign_in = format!("{}/sign-in", local.frontend().url());
    assert!(
        last.url.starts_with(&sign_in) && last.status == StatusCode::OK,
        "{}",
        visit.describe()
    );
    let url = url::Url::parse(&last.url).expect("url");
    let back = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_url")
        .map(|(_, v)| v.into_owned());
    assert_eq!(back.as_deref(), Some(page), "{}", visit.describe());
    // The app's own redirect there: a 307, never cached.
    let to_sign_in = visit
        .hops
        .iter()
        .rev()
        .find(|hop| {
            hop.location
                .as_deref()
                .is_some_and(|l| l.starts_with(&sign_in))
        })
        .expect("the app sent it");
    assert_eq!(to_sign_in.status, StatusCode::TEMPORARY_REDIRECT);
}

/// Pages that need a session or a permission, as Clerk's full-stack SDKs protect them: a
/// signed-out page goes to sign in and comes back; an API call gets JSON; a signed-in page
/// without the permission gets a 403 page, an API call a JSON 403.
pub async fn protected_pages(local: &LocalClerk, app: &str) {
    let user = local
        .users()
        .create(NewUser::with_email("grace@example.com"))
        .id
        .clone();
    let dashboard = format!("{app}/dashboard");
    let browser = Browser::default();
    let visit = browser.visit(&dashboard).await;
    assert_sent_to_sign_in(local, &visit, &dashboard);
    // Development, cross-origin: the dev browser token travels with it.
    let sign_in_page = &visit.hops.last().expect("a hop").url;
    assert!(sign_in_page.contains("__clerk_db_jwt="), "{sign_in_page}");
    // Signing in there comes back to the page, signed in.
    let visit = sign_in(&browser, local, &user, &dashboard).await;
    assert_eq!(
        (visit.status(), visit.body.as_str()),
        (StatusCode::OK, user.as_str()),
        "{}",
        visit.describe()
    );
    // Signed in, without the permission: a 403 page for a page, JSON for an API call.
    let visit = browser.visit(&format!("{app}/admin")).await;
    assert_eq!(
        visit.status(),
        StatusCode::FORBIDDEN,
        "{}",
        visit.describe()
    );
    assert!(visit.body.contains("403 Forbidden"), "{}", visit.body);
    let visit = browser
        .visit_with(
            reqwest::Method::GET,
            &format!("{app}/admin"),
            Kind::Fetch,
            None,
        )
        .await;
    assert_eq!(
        visit.status(),
        StatusCode::FORBIDDEN,
        "{}",
        visit.describe()
    );
    assert!(visit.body.contains("\"forbidden\""), "{}", visit.body);
}

/// Handshakes that come back wrong: an unknown or replayed nonce, a tampered handshake token,
/// and the Backend API or the keys down while one comes back.
pub async fn hostile_returns(local: &LocalClerk, app: &str) {
    let user = local
        .users()
        .create(NewUser::with_email("bob@example.com"))
        .id
        .clone();
    let page = format!("{app}/page");
    let dashboard = format!("{app}/dashboard");
    let browser = Browser::default();
    browser.visit(&page).await;

    // An unknown nonce: signed out (`session-token-missing`), the clean URL, no loop.
    let visit = browser
        .visit(&format!("{page}?__clerk_handshake_nonce=not-a-nonce"))
        .await;
    assert_eq!(
        (visit.status(), visit.body.as_str()),
        (StatusCode::OK, SIGNED_OUT_BODY),
        "{}",
        visit.describe()
    );
    assert_eq!(
        visit.hops[0].reason.as_deref(),
        Some("session-token-missing")
    );
    assert!(
        !visit
            .hops
            .last()
            .expect("a hop")
            .url
            .contains("__clerk_handshake_nonce")
    );

    // A replayed nonce: the first use signs in, the second is refused (and the browser keeps
    // the cookies the first brought).
    sign_in(&browser, local, &user, &dashboard).await;
    browser.forget("127.0.0.1", "__session");
    let (hop, _) = browser
        .request(reqwest::Method::GET, &dashboard, Kind::Page, None)
        .await;
    assert_eq!(
        hop.reason.as_deref(),
        Some("client-uat-but-no-session-token")
    );
    let (fapi, _) = browser
        .request(
            reqwest::Method::GET,
            &hop.location.expect("to the handshake"),
            Kind::Page,
            None,
        )
        .await;
    let back = fapi.location.expect("back to the app with a nonce");
    assert!(back.contains("__clerk_handshake_nonce="), "{back}");
    let first = browser.visit(&back).await;
    assert_eq!(first.body, user, "{}", first.describe());
    let replay = browser.visit(&back).await;
    assert_eq!(
        replay.hops[0].reason.as_deref(),
        Some("session-token-missing"),
        "{}",
        replay.describe()
    );
    assert_eq!(replay.body, user, "{}", replay.describe());

    // A tampered handshake token (the older form): refused, the page served signed out.
    let mut token_url =
        url::Url::parse(&format!("{}/v1/client/handshake", local.frontend().url())).expect("url");
    token_url
        .query_pairs_mut()
        .append_pair("redirect_url", &page)
        .append_pair("format", "token");
    let (fapi, _) = browser
        .request(reqwest::Method::GET, token_url.as_str(), Kind::Page, None)
        .await;
    let back = fapi.location.expect("back with a token");
    let back_url = url::Url::parse(&back).expect("url");
    let token = back_url
        .query_pairs()
        .find(|(k, _)| k == "__clerk_handshake")
        .map(|(_, v)| v.into_owned())
        .expect("a handshake token");
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let json = String::from_utf8(engine.decode(&parts[1]).expect("base64")).expect("utf-8");
        engine.encode(json.replace("__client_uat=", "__client_uat=9"))
    };
    let tampered = parts.join(".");
    let visit = browser
        .visit(&format!("{page}?__clerk_handshake={tampered}"))
        .await;
    assert_eq!(visit.hops.len(), 1, "no redirect: {}", visit.describe());
    assert_eq!(
        visit.hops[0].reason.as_deref(),
        Some("token-invalid-signature")
    );
    assert_eq!(visit.body, SIGNED_OUT_BODY);
    // The genuine token signs in.
    let visit = browser.visit(&back).await;
    assert_eq!(visit.body, signed_in_body(&user), "{}", visit.describe());

    // The Backend API down while a nonce comes back: 503, never a loop. (The loop guard's
    // counter, which lives 2 s, is dropped: this browser is quicker than a person.)
    browser.forget("127.0.0.1", "__clerk_redirect_count");
    browser.forget("127.0.0.1", "__session");
    let (hop, _) = browser
        .request(reqwest::Method::GET, &dashboard, Kind::Page, None)
        .await;
    let (fapi, _) = browser
        .request(
            reqwest::Method::GET,
            &hop.location.expect("handshake"),
            Kind::Page,
            None,
        )
        .await;
    let back = fapi.location.expect("back");
    local
        .faults()
        .set_api(Some(clerk_testing::Fault::Status(503)));
    let visit = browser.visit(&back).await;
    local.faults().set_api(None);
    assert_eq!(
        (visit.status(), visit.hops.len()),
        (StatusCode::SERVICE_UNAVAILABLE, 1),
        "{}",
        visit.describe()
    );
    assert!(
        visit.body.contains("token_verification_unavailable"),
        "{}",
        visit.body
    );
}

/// The loop guard: an app whose keys are another instance's than its Frontend API's never
/// resolves a handshake; the browser is redirected three times, then served signed out.
pub async fn loop_guard(app: &str) {
    let browser = Browser::default();
    // An active client without a session: a handshake case that cannot resolve here.
    browser.set("127.0.0.1", "__client_uat", "1");
    browser.set("127.0.0.1", "__clerk_db_jwt", "dvb_other");
    let visit = browser.visit(&format!("{app}/page")).await;
    assert_eq!(
        (visit.status(), visit.body.as_str()),
        (StatusCode::OK, SIGNED_OUT_BODY),
        "{}",
        visit.describe()
    );
    assert_eq!(visit.handshake_reasons().len(), 3, "{}", visit.describe());
    assert_eq!(
        visit.hops.last().and_then(|hop| hop.reason.as_deref()),
        Some("client-uat-but-no-session-token")
    );
}

/// Organization sync: `/orgs/{slug}` names an organization; a signed-in page there activates it
/// through a handshake (the Frontend API makes it the session's active one for a member), and
/// `/me` goes back to the personal account. The app answers `/orgs/{slug}` and `/me` with the
/// session's active organization slug (or `personal`).
pub async fn organization_sync(local: &LocalClerk, app: &str) {
    let user = local
        .users()
        .create(NewUser::with_email("olga@example.com"))
        .id
        .clone();
    let acme = local.organizations().create("Acme Sync");
    local
        .organizations()
        .add_member(&acme.id, &user, "org:member");
    let browser = Browser::default();
    let home = format!("{app}/me");
    let visit = sign_in(&browser, local, &user, &home).await;
    assert_eq!(visit.body, "personal", "{}", visit.describe());

    // The URL names Acme: one handshake activates it, and the page sees it.
    let visit = browser.visit(&format!("{app}/orgs/{}", acme.slug)).await;
    assert_eq!(
        (visit.status(), visit.body.as_str()),
        (StatusCode::OK, acme.slug.as_str()),
        "{}",
        visit.describe()
    );
    assert_eq!(
        visit.handshake_reasons(),
        ["active-organization-mismatch"],
        "{}",
        visit.describe()
    );
    // Already active: no redirect.
    let visit = browser.visit(&format!("{app}/orgs/{}", acme.slug)).await;
    assert_eq!(
        (visit.hops.len(), visit.body.as_str()),
        (1, acme.slug.as_str())
    );
    // The personal account's pattern: back to no organization.
    browser.forget("127.0.0.1", "__clerk_redirect_count");
    let visit = browser.visit(&home).await;
    assert_eq!(visit.body, "personal", "{}", visit.describe());
    assert_eq!(visit.handshake_reasons(), ["active-organization-mismatch"]);
    // An organization the user is not in: the loop guard stops after three tries and the page
    // is served with the session as it is.
    browser.forget("127.0.0.1", "__clerk_redirect_count");
    let globex = local.organizations().create("Globex Sync");
    let visit = browser.visit(&format!("{app}/orgs/{}", globex.slug)).await;
    assert_eq!(
        (visit.status(), visit.body.as_str()),
        (StatusCode::OK, "personal"),
        "{}",
        visit.describe()
    );
    assert_eq!(visit.handshake_reasons().len(), 3, "{}", visit.describe());
}

/// Where the contract's satellite app listens: another loopback address, so another host for
/// the browser's cookies.
pub const SATELLITE_HOST: &str = "127.0.0.2";

/// A development satellite (an app on another host, `CLERK_IS_SATELLITE`, with LocalClerk's
/// sign-in page as its primary's): a first visit stays signed out with no redirect; a
/// protected page goes to the primary's sign-in and asks to sync on the way back; after
/// signing in, the satellite goes through the primary once more (`__clerk_redirect_url`),
/// comes back synced with the dev browser token, and its handshake plants its own cookies.
pub async fn satellite(local: &LocalClerk, satellite: &str) {
    let user = local
        .users()
        .create(NewUser::with_email("sat@example.com"))
        .id
        .clone();
    let browser = Browser::default();
    let page = format!("{satellite}/page");
    let visit = browser.visit(&page).await;
    assert_eq!(
        (visit.hops.len(), visit.body.as_str()),
        (1, SIGNED_OUT_BODY),
        "{}",
        visit.describe()
    );
    assert_eq!(
        visit.hops[0].reason.as_deref(),
        Some("session-token-and-uat-missing")
    );

    let dashboard = format!("{satellite}/dashboard");
    let visit = browser.visit(&dashboard).await;
    let last = visit.hops.last().expect("a hop");
    assert!(
        last.url
            .starts_with(&format!("{}/sign-in", local.frontend().url())),
        "{}",
        visit.describe()
    );
    let back = url::Url::parse(&last.url)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "redirect_url")
        .map(|(_, v)| v.into_owned())
        .expect("a way back");
    assert_eq!(back, format!("{dashboard}?__clerk_synced=false"));

    // Sign in on the primary's page: back on the satellite, through the primary again, then
    // the satellite's own handshake.
    let visit = sign_in(&browser, local, &user, &back).await;
    assert_eq!(
        (visit.status(), visit.body.as_str()),
        (StatusCode::OK, user.as_str()),
        "{}",
        visit.describe()
    );
    let reasons: Vec<String> = visit
        .hops
        .iter()
        .filter_map(|hop| hop.reason.clone())
        .collect();
    assert!(
        reasons.iter().any(|r| r == "satellite-needs-syncing"),
        "{}",
        visit.describe()
    );
    assert!(
        reasons.iter().any(|r| r == "dev-browser-sync"),
        "{}",
        visit.describe()
    );
    assert!(
        browser.cookie(SATELLITE_HOST, "__session").is_some(),
        "the satellite's own cookies"
    );
    // Synced: the satellite's pages are signed in without any redirect.
    let visit = browser.visit(&page).await;
    assert_eq!(
        (visit.hops.len(), visit.body.clone()),
        (1, signed_in_body(&user)),
        "{}",
        visit.describe()
    );
}
