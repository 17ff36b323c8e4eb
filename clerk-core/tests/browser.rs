//! The pipeline's browser-session decisions that need no Frontend API: when a request is
//! redirected to the handshake, with which parameters, when it is signed out instead, and the
//! loop guard. (The whole flows, with LocalClerk as the Frontend API, are in the `tests` crate.)

use clerk_core::adapter::{AUTH_REASON_HEADER, AUTH_STATUS_HEADER, Outcome, Pipeline, RequestHead};
use clerk_core::options::ClerkOptions;
use clerk_core::{RequestState, SignedOut, VerifyError};
use clerk_testing::{LocalClerk, unix_now};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

/// A browser request: method, URI and headers.
struct Req {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl Req {
    fn get(uri: &str) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:3000"));
        Self {
            method: Method::GET,
            uri: uri.parse().expect("uri"),
            headers,
        }
    }

    /// A top-level navigation, as a browser sends it.
    fn page(uri: &str) -> Self {
        Self::get(uri)
            .header("sec-fetch-dest", "document")
            .header("accept", "text/html,application/xhtml+xml")
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.append(
            HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
        self
    }

    fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    async fn run(&self, pipeline: &Pipeline) -> Outcome {
        pipeline
            .authenticate(RequestHead::new(&self.method, &self.uri, &self.headers))
            .await
    }
}

fn pipeline(local: &LocalClerk) -> Pipeline {
    Pipeline::new(ClerkOptions::new(local.clerk()).debug_headers(true))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The redirect's query parameters, by name.
fn handshake_params(outcome: &Outcome) -> Vec<(String, String)> {
    let Outcome::Respond(answer) = outcome else {
        panic!("expected a handshake redirect, got {outcome:?}");
    };
    assert_eq!(answer.status, 307);
    assert_eq!(header(&answer.headers, "cache-control"), Some("no-store"));
    assert_eq!(
        header(&answer.headers, AUTH_STATUS_HEADER),
        Some("handshake")
    );
    let location = header(&answer.headers, "location").expect("a Location");
    let url = url::Url::parse(location).expect("an absolute URL");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The state and Clerk's reason (debug header) of a request that went on.
fn proceeded(outcome: Outcome) -> (RequestState, Option<String>, HeaderMap) {
    match outcome {
        Outcome::Continue(proceed) => {
            let reason = header(&proceed.response_headers, AUTH_REASON_HEADER).map(str::to_owned);
            (proceed.state, reason, proceed.response_headers)
        }
        Outcome::Respond(answer) => panic!("expected no redirect, got {answer:?}"),
    }
}

fn cookies(session: &str, db: bool) -> String {
    let mut cookie = format!("__session={session}; __client_uat={}", unix_now() - 600);
    if db {
        cookie.push_str("; __clerk_db_jwt=dvb_test");
    }
    cookie
}

#[tokio::test]
async fn an_expired_cookie_on_a_page_is_sent_to_the_handshake_with_clerks_parameters() {
    let local = LocalClerk::start().await;
    let expired = local
        .token("user_1")
        .issued_at(unix_now() - 120)
        .expires_at(unix_now() - 60)
        .mint();
    let request = Req::page("/dashboard?tab=a%20b&__clerk_db_jwt=old")
        .header("cookie", &cookies(&expired, true))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "app.example.com");
    // `__clerk_db_jwt` in the URL is a dev-browser sync, which comes first.
    let params = handshake_params(&request.run(&pipeline(&local)).await);
    assert_eq!(
        param(&params, "__clerk_hs_reason"),
        Some("dev-browser-sync")
    );
    assert_eq!(param(&params, "__clerk_db_jwt"), Some("old"));

    let request = Req::page("/dashboard?tab=a%20b")
        .header("cookie", &cookies(&expired, true))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "app.example.com");
    let outcome = request.run(&pipeline(&local)).await;
    let Outcome::Respond(answer) = &outcome else {
        panic!("expected a redirect");
    };
    let location = header(&answer.headers, "location").expect("location");
    let frontend_api = clerk_core::PublishableKey::new(local.publishable_key())
        .expect("valid")
        .frontend_api_url();
    assert!(
        location.starts_with(&format!("{frontend_api}/v1/client/handshake?")),
        "to LocalClerk's Frontend API: {location}"
    );
    assert_eq!(
        header(&answer.headers, "set-cookie"),
        Some("__clerk_redirect_count=1; SameSite=Lax; HttpOnly; Max-Age=2")
    );
    let params = handshake_params(&outcome);
    assert_eq!(
        param(&params, "redirect_url"),
        Some("https://app.example.com/dashboard?tab=a%20b")
    );
    assert_eq!(
        param(&params, "__clerk_hs_reason"),
        Some("session-token-expired-refresh-non-eligible-no-refresh-cookie")
    );
    assert_eq!(param(&params, "format"), Some("nonce"));
    assert_eq!(param(&params, "suffixed_cookies"), Some("false"));
    assert_eq!(param(&params, "__clerk_api_version"), Some("2026-05-12"));
    assert_eq!(param(&params, "__session"), Some(expired.as_str()));
    assert_eq!(param(&params, "__clerk_db_jwt"), Some("dvb_test"));
}

#[tokio::test]
async fn api_calls_and_posts_are_signed_out_with_clerks_reason_never_redirected() {
    let local = LocalClerk::start().await;
    let pipeline = pipeline(&local);
    let expired = local
        .token("user_1")
        .issued_at(unix_now() - 120)
        .expires_at(unix_now() - 60)
        .mint();
    let cases = [
        (
            Req::get("/api").header("cookie", &cookies(&expired, true)),
            "session-token-expired-refresh-non-eligible-no-refresh-cookie",
        ),
        (
            Req::page("/form")
                .method(Method::POST)
                .header("cookie", &cookies(&expired, true)),
            "session-token-expired-refresh-non-eligible-non-get",
        ),
        (
            // A fetch() from a page: Sec-Fetch-Dest `empty`, whatever it accepts.
            Req::get("/api")
                .header("sec-fetch-dest", "empty")
                .header("accept", "text/html")
                .header("cookie", &cookies(&expired, true)),
            "session-token-expired-refresh-non-eligible-no-refresh-cookie",
        ),
        (
            Req::get("/api").header("authorization", &format!("Bearer {expired}")),
            "session-token-expired-refresh-non-eligible-no-refresh-cookie",
        ),
    ];
    for (request, reason) in cases {
        let (state, got, _) = proceeded(request.run(&pipeline).await);
        assert_eq!(got.as_deref(), Some(reason));
        // A guard's answer keeps its code: the token's verdict.
        assert!(matches!(
            state,
            RequestState::SignedOut(SignedOut::Token(VerifyError::Expired))
        ));
    }
}

#[tokio::test]
async fn each_cookie_case_clerk_handshakes_on_is_a_redirect_for_a_page_only() {
    let local = LocalClerk::start().await;
    let pipeline = pipeline(&local);
    let token = local.token("user_1").issued_at(unix_now() - 100).mint();
    let stale = format!(
        "__session={token}; __client_uat={}; __clerk_db_jwt=d",
        unix_now()
    );
    let nbf = local
        .token("user_1")
        .not_before(Some(unix_now() + 600))
        .mint();
    let cases = [
        (
            format!("__session={token}; __clerk_db_jwt=d"),
            "session-token-but-no-client-uat",
        ),
        (
            "__client_uat=12345; __clerk_db_jwt=d".to_owned(),
            "client-uat-but-no-session-token",
        ),
        (stale, "session-token-iat-before-client-uat"),
        (cookies(&nbf, true), "session-token-nbf"),
        // Development: no dev browser cookie.
        (cookies(&token, false), "dev-browser-missing"),
        (String::new(), "dev-browser-missing"),
    ];
    for (cookie, reason) in cases {
        let page = Req::page("/").header("cookie", &cookie);
        let params = handshake_params(&page.run(&pipeline).await);
        assert_eq!(
            param(&params, "__clerk_hs_reason"),
            Some(reason),
            "{cookie}"
        );
        let api = Req::get("/").header("cookie", &cookie);
        let (state, got, _) = proceeded(api.run(&pipeline).await);
        assert_eq!(got.as_deref(), Some(reason), "{cookie}");
        assert!(!state.is_signed_in());
    }
    // Signed out in development: a valid session without the dev browser is not signed in.
    let (state, _, _) = proceeded(
        Req::get("/")
            .header("cookie", &cookies(&token, false))
            .run(&pipeline)
            .await,
    );
    assert!(matches!(
        state,
        RequestState::SignedOut(SignedOut::DevBrowserMissing)
    ));
    // No cookies at all keeps its own reason for a guard's answer.
    let (state, _, _) = proceeded(Req::get("/").run(&pipeline).await);
    assert!(matches!(state, RequestState::SignedOut(SignedOut::NoToken)));
}

#[tokio::test]
async fn a_valid_session_costs_nothing_more_and_the_handshake_can_be_turned_off() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").issued_at(unix_now() - 10).mint();
    let page = Req::page("/").header("cookie", &cookies(&token, true));
    let (state, reason, headers) = proceeded(page.run(&pipeline(&local)).await);
    assert_eq!(state.auth().map(|a| a.user_id()), Some("user_1"));
    assert_eq!(reason, None);
    assert_eq!(headers.get_all("set-cookie").iter().count(), 0);

    let off = Pipeline::new(
        ClerkOptions::new(local.clerk())
            .handshake(false)
            .debug_headers(true),
    );
    let expired = local.token("user_1").expires_at(unix_now() - 60).mint();
    for cookie in [
        cookies(&expired, true),
        cookies(&token, false),
        String::new(),
    ] {
        let page = Req::page("/").header("cookie", &cookie);
        let (state, reason, _) = proceeded(page.run(&off).await);
        if cookie.contains(&token) {
            assert!(state.is_signed_in(), "no dev-browser rule when off");
        } else {
            assert!(!state.is_signed_in());
            assert!(
                matches!(
                    reason.as_deref(),
                    Some("token-expired" | "session-token-and-uat-missing")
                ),
                "{reason:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_loop_guard_stops_at_three_redirects() {
    let local = LocalClerk::start().await;
    let pipeline = pipeline(&local);
    for (count, next) in [
        ("0", Some("1")),
        ("1", Some("2")),
        ("2", Some("3")),
        ("3", None),
        ("x", Some("1")),
    ] {
        let page = Req::page("/").header(
            "cookie",
            &format!("__client_uat=1; __clerk_db_jwt=d; __clerk_redirect_count={count}"),
        );
        match page.run(&pipeline).await {
            Outcome::Respond(answer) => {
                let cookie = header(&answer.headers, "set-cookie").expect("the counter");
                assert_eq!(
                    Some(cookie),
                    next.map(|n| format!(
                        "__clerk_redirect_count={n}; SameSite=Lax; HttpOnly; Max-Age=2"
                    ))
                    .as_deref()
                );
            }
            Outcome::Continue(proceed) => {
                assert_eq!(next, None, "count {count}");
                assert!(!proceed.state.is_signed_in());
                assert_eq!(
                    header(&proceed.response_headers, AUTH_REASON_HEADER),
                    Some("client-uat-but-no-session-token")
                );
            }
        }
    }
}

#[tokio::test]
async fn without_a_publishable_key_nothing_is_redirected() {
    let local = LocalClerk::start().await;
    let clerk = clerk_core::Clerk::builder()
        .secret_key(local.secret_key())
        .api_url(local.api_url())
        .issuer(local.issuer())
        .build()
        .expect("valid");
    let pipeline = Pipeline::new(ClerkOptions::new(clerk).debug_headers(true));
    let page = Req::page("/").header("cookie", "__client_uat=1");
    let (state, reason, _) = proceeded(page.run(&pipeline).await);
    assert!(!state.is_signed_in());
    assert_eq!(reason.as_deref(), Some("client-uat-but-no-session-token"));
}

#[tokio::test]
async fn a_hostile_forwarded_host_never_reaches_the_redirect() {
    let local = LocalClerk::start().await;
    let pipeline = pipeline(&local);
    for hostile in ["evil.com/x?", "a@evil.com", "evil.com\\@app", ""] {
        let page = Req::page("/p")
            .header("x-forwarded-host", hostile)
            .header("cookie", "__client_uat=1; __clerk_db_jwt=d");
        let params = handshake_params(&page.run(&pipeline).await);
        assert_eq!(
            param(&params, "redirect_url"),
            Some("http://127.0.0.1:3000/p"),
            "{hostile:?}"
        );
    }
    let untrusted = Pipeline::new(
        ClerkOptions::new(local.clerk())
            .trust_forwarded_headers(false)
            .debug_headers(true),
    );
    let page = Req::page("/p")
        .header("x-forwarded-host", "shop.example.com")
        .header("x-forwarded-proto", "https")
        .header("cookie", "__client_uat=1; __clerk_db_jwt=d");
    let params = handshake_params(&page.run(&untrusted).await);
    assert_eq!(
        param(&params, "redirect_url"),
        Some("http://127.0.0.1:3000/p")
    );
}

/// The LocalClerk's Frontend API URL, as the SDK derives it from the publishable key.
fn frontend_api(local: &LocalClerk) -> String {
    clerk_core::PublishableKey::new(local.publishable_key())
        .expect("valid")
        .frontend_api_url()
}

fn answer_location(answer: &clerk_core::adapter::Answer) -> url::Url {
    let location = header(&answer.headers, "location").expect("a Location");
    url::Url::parse(location).expect("absolute")
}

#[tokio::test]
async fn a_refused_page_goes_to_sign_in_and_an_api_call_keeps_its_json() {
    use clerk_core::rejection::Rejection;
    let local = LocalClerk::start().await;
    let pipeline = pipeline(&local);
    let signed_out = Rejection::signed_out(&SignedOut::NoToken);
    let page = Req::page("/dashboard?tab=1").header("cookie", "__clerk_db_jwt=dvb_page");
    let answer = pipeline
        .page_answer(
            RequestHead::new(&page.method, &page.uri, &page.headers),
            &signed_out,
        )
        .expect("a page is redirected");
    assert_eq!(answer.status, 307);
    assert_eq!(header(&answer.headers, "cache-control"), Some("no-store"));
    let url = answer_location(&answer);
    assert_eq!(
        url.as_str().split('?').next(),
        Some(format!("{}/sign-in", frontend_api(&local)).as_str())
    );
    let params: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    assert_eq!(
        param(&params, "redirect_url"),
        Some("http://127.0.0.1:3000/dashboard?tab=1")
    );
    // Development and cross-origin: the dev browser token goes along.
    assert_eq!(param(&params, "__clerk_db_jwt"), Some("dvb_page"));

    // An API call, a POST, a 503: no page answer (their JSON stays).
    let api = Req::get("/dashboard");
    let post = Req::page("/dashboard").method(Method::POST);
    for request in [&api, &post] {
        let head = RequestHead::new(&request.method, &request.uri, &request.headers);
        assert!(pipeline.page_answer(head, &signed_out).is_none());
    }
    let head = RequestHead::new(&page.method, &page.uri, &page.headers);
    assert!(
        pipeline
            .page_answer(head, &Rejection::keys_unavailable())
            .is_none()
    );

    // Signed in without the permission: a 403 page, or the unauthorized URL.
    let forbidden = Rejection::forbidden();
    let answer = pipeline.page_answer(head, &forbidden).expect("a 403 page");
    assert_eq!(answer.status, 403);
    assert!(answer.body.contains("403 Forbidden"));
    assert_eq!(
        header(&answer.headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let unauthorized = Pipeline::new(
        ClerkOptions::new(local.clerk()).unauthorized_url("https://app.example.com/no"),
    );
    let answer = unauthorized
        .page_answer(head, &forbidden)
        .expect("a redirect");
    assert_eq!(
        (answer.status.as_u16(), header(&answer.headers, "location")),
        (307, Some("https://app.example.com/no"))
    );

    // A pending session goes to the tasks page; pages can be left to the application.
    let pending = Rejection::signed_out(&SignedOut::Token(VerifyError::SessionPending));
    let answer = pipeline.page_answer(head, &pending).expect("tasks");
    assert!(answer_location(&answer).path().ends_with("/sign-in/tasks"));
    let off = Pipeline::new(ClerkOptions::new(local.clerk()).page_redirects(false));
    assert!(off.page_answer(head, &signed_out).is_none());
}

#[tokio::test]
async fn sign_in_and_sign_up_pages_are_derived_as_clerk_derives_them() {
    let build = |host: &str, live: bool| {
        use base64::Engine as _;
        let prefix = if live { "pk_live_" } else { "pk_test_" };
        let key = format!(
            "{prefix}{}",
            base64::engine::general_purpose::STANDARD.encode(format!("{host}$"))
        );
        clerk_core::Clerk::builder()
            .secret_key("sk_test_x")
            .publishable_key(key)
    };
    let clerk = build("clerk.example.com", true).build().expect("valid");
    assert_eq!(
        clerk.sign_in_page().as_deref(),
        Some("https://accounts.example.com/sign-in")
    );
    assert_eq!(
        clerk.sign_up_page().as_deref(),
        Some("https://accounts.example.com/sign-up")
    );
    let clerk = build("happy-hippo-1.clerk.accounts.dev", false)
        .build()
        .expect("valid");
    assert_eq!(
        clerk.sign_in_page().as_deref(),
        Some("https://happy-hippo-1.accounts.dev/sign-in")
    );
    let clerk = build("clerk.example.com", true)
        .sign_in_url("https://example.com/login/")
        .build()
        .expect("valid");
    assert_eq!(
        clerk.sign_in_page().as_deref(),
        Some("https://example.com/login")
    );
    assert_eq!(
        clerk.sign_up_page().as_deref(),
        Some("https://example.com/login/create")
    );
    for bad in ["/relative", "javascript:alert(1)", "not a url"] {
        assert!(
            build("clerk.example.com", true)
                .sign_in_url(bad)
                .build()
                .is_err(),
            "{bad}"
        );
    }
    // A production satellite's Frontend API is clerk.<domain>.
    let clerk = build("clerk.example.com", true)
        .is_satellite(true)
        .domain("sat.example.org")
        .build()
        .expect("valid");
    assert_eq!(
        clerk.frontend_api_url().as_deref(),
        Some("https://clerk.sat.example.org")
    );
    // A proxy URL wins.
    let clerk = build("clerk.example.com", true)
        .proxy_url("https://example.com/__clerk")
        .build()
        .expect("valid");
    assert_eq!(
        clerk.frontend_api_url().as_deref(),
        Some("https://example.com/__clerk")
    );
}

#[tokio::test]
async fn a_url_that_names_another_organization_activates_it_through_a_handshake() {
    use clerk_core::browser::OrganizationSync;
    let local = LocalClerk::start().await;
    let sync = || {
        OrganizationSync::new(["/orgs/:slug", "/orgs/:slug/(.*)", "/by-id/{id}"], ["/me"])
            .expect("valid")
    };
    let pipeline = Pipeline::new(
        ClerkOptions::new(local.clerk())
            .debug_headers(true)
            .organization_sync(sync()),
    );
    let personal = local.token("user_1").issued_at(unix_now() - 10).mint();
    let in_acme = local
        .token("user_1")
        .issued_at(unix_now() - 10)
        .org("org_acme", "acme", "org:member", Vec::<String>::new())
        .mint();
    let visit = |token: &str, path: &str| Req::page(path).header("cookie", &cookies(token, true));
    for (token, path, activate) in [
        (&personal, "/orgs/acme", Some("acme")),
        (&personal, "/orgs/acme/invoices/7", Some("acme")),
        (&personal, "/by-id/org_acme", Some("org_acme")),
        (&in_acme, "/orgs/acme", None),
        (&in_acme, "/by-id/org_acme", None),
        (&in_acme, "/orgs/globex", Some("globex")),
        (&in_acme, "/me", Some("")),
        (&personal, "/me", None),
        (&in_acme, "/elsewhere", None),
    ] {
        let outcome = visit(token, path).run(&pipeline).await;
        match activate {
            Some(org) => {
                let params = handshake_params(&outcome);
                assert_eq!(
                    param(&params, "__clerk_hs_reason"),
                    Some("active-organization-mismatch"),
                    "{path}"
                );
                assert_eq!(param(&params, "organization_id"), Some(org), "{path}");
            }
            None => assert!(proceeded(outcome).0.is_signed_in(), "{path}"),
        }
    }
    // Loop-guarded: at 3, the page is served with the session as it is.
    let guarded = Req::page("/orgs/acme").header(
        "cookie",
        &format!("{}; __clerk_redirect_count=3", cookies(&personal, true)),
    );
    assert!(proceeded(guarded.run(&pipeline).await).0.is_signed_in());
    // Patterns are checked when they are made.
    assert!(OrganizationSync::new(["/orgs/{name}"], Vec::<&str>::new()).is_err());
    assert!(OrganizationSync::new(["/orgs/{slug}", "/orgs/{id}"], Vec::<&str>::new()).is_err());
}

#[tokio::test]
async fn a_signed_in_page_reached_from_another_site_syncs_first() {
    let local = LocalClerk::start().await;
    let pipeline = pipeline(&local);
    let token = local.token("user_1").issued_at(unix_now() - 10).mint();
    let from = |referer: &str| {
        Req::page("/")
            .header("cookie", &cookies(&token, true))
            .header("referer", referer)
    };
    let params = handshake_params(&from("https://news.example.com/story").run(&pipeline).await);
    assert_eq!(
        param(&params, "__clerk_hs_reason"),
        Some("primary-domain-cross-origin-sync")
    );
    // The same origin, the Frontend API, or a fetch: no sync.
    for referer in [
        "http://127.0.0.1:3000/other",
        &format!("{}/sign-in", frontend_api(&local)),
    ] {
        assert!(
            proceeded(from(referer).run(&pipeline).await)
                .0
                .is_signed_in(),
            "{referer}"
        );
    }
    let fetch = Req::get("/")
        .header("cookie", &cookies(&token, true))
        .header("referer", "https://news.example.com/")
        .header("sec-fetch-dest", "empty");
    assert!(proceeded(fetch.run(&pipeline).await).0.is_signed_in());
}

#[tokio::test]
async fn satellites_sync_as_clerk_syncs_them() {
    use base64::Engine as _;
    let local = LocalClerk::start().await;
    let live_key = format!(
        "pk_live_{}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}$", local.frontend_api()))
    );
    let satellite = |key: &str| {
        Pipeline::new(
            ClerkOptions::new(
                local
                    .clerk_builder()
                    .publishable_key(key)
                    .is_satellite(true)
                    .domain("sat.example.org")
                    .sign_in_url("https://primary.example.com/sign-in")
                    .build()
                    .expect("valid"),
            )
            .debug_headers(true),
        )
    };
    // Production: no cookies and no sync asked: signed out, no redirect (auto-sync is off).
    let production = satellite(&live_key);
    let (state, reason, _) = proceeded(Req::page("/").run(&production).await);
    assert!(!state.is_signed_in());
    assert_eq!(reason.as_deref(), Some("session-token-and-uat-missing"));
    // Back from signing in (`__clerk_synced=false`): a handshake on the satellite's domain.
    let outcome = Req::page("/?__clerk_synced=false").run(&production).await;
    let params = handshake_params(&outcome);
    assert_eq!(
        param(&params, "__clerk_hs_reason"),
        Some("satellite-needs-syncing")
    );
    let Outcome::Respond(answer) = &outcome else {
        unreachable!()
    };
    assert!(
        header(&answer.headers, "location")
            .is_some_and(|l| l.starts_with("https://clerk.sat.example.org/v1/client/handshake?"))
    );
    // Synced: nothing more.
    let (state, _, _) = proceeded(Req::page("/?__clerk_synced=true").run(&production).await);
    assert!(!state.is_signed_in());

    // Development: through the primary's sign-in page, which is told where to send it back.
    let development = satellite(local.publishable_key());
    let outcome = Req::page("/x?__clerk_synced=false").run(&development).await;
    let Outcome::Respond(answer) = &outcome else {
        panic!("a redirect: {outcome:?}")
    };
    let url = answer_location(answer);
    assert_eq!(url.host_str(), Some("primary.example.com"));
    let back: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    assert_eq!(
        param(&back, "__clerk_redirect_url"),
        Some("http://127.0.0.1:3000/x?__clerk_synced=false")
    );
    // A refused page of a satellite asks to sync on its way back.
    let answer = development
        .page_answer(
            RequestHead::new(
                &Method::GET,
                &"/x".parse().expect("uri"),
                &Req::page("/x").headers,
            ),
            &clerk_core::rejection::Rejection::signed_out(&SignedOut::NoToken),
        )
        .expect("to sign in");
    let to: Vec<(String, String)> = answer_location(&answer)
        .query_pairs()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    assert_eq!(
        param(&to, "redirect_url"),
        Some("http://127.0.0.1:3000/x?__clerk_synced=false")
    );

    // A development primary sends a satellite back, synced, only to an origin it trusts.
    let primary = |origins: &[&str]| {
        Pipeline::new(
            ClerkOptions::new(local.clerk())
                .debug_headers(true)
                .allowed_redirect_origins(origins.iter().copied()),
        )
    };
    let asked = Req::page("/sign-in?__clerk_redirect_url=http%3A%2F%2F127.0.0.2%3A4000%2Fx")
        .header("cookie", "__clerk_db_jwt=dvb_primary");
    let outcome = asked.run(&primary(&["http://127.0.0.2:4000"])).await;
    let Outcome::Respond(answer) = &outcome else {
        panic!("a redirect: {outcome:?}")
    };
    assert_eq!(
        header(&answer.headers, "location"),
        Some("http://127.0.0.2:4000/x?__clerk_db_jwt=dvb_primary&__clerk_synced=true")
    );
    assert_eq!(
        header(&answer.headers, AUTH_REASON_HEADER),
        Some("primary-responds-to-syncing")
    );
    assert!(matches!(
        asked.run(&primary(&[])).await,
        Outcome::Continue(_)
    ));
}

/// `Pipeline::authenticate_now` (what adapters ask first, to spare the common request a boxed
/// future) answers exactly what `authenticate` answers, and only when nothing is left to wait
/// for: a token seen before, not a first one nor a handshake coming back.
#[tokio::test]
async fn the_answer_at_once_is_the_whole_pipelines_answer() {
    let local = LocalClerk::start().await;
    let pipeline = pipeline(&local);
    let token = local.token("user_1").expires_in(600).mint();
    let now = |request: &Req| {
        pipeline.authenticate_now(RequestHead::new(
            &request.method,
            &request.uri,
            &request.headers,
        ))
    };
    let requests = [
        // An API call with a bearer token.
        Req::get("/api").header("authorization", &format!("Bearer {token}")),
        // A signed-in browser's page.
        Req::page("/dashboard").header("cookie", &cookies(&token, true)),
        // A development browser without its dev browser token: the handshake, at once.
        Req::page("/dashboard").header("cookie", &cookies(&token, false)),
    ];
    for (i, request) in requests.iter().enumerate() {
        let whole = request.run(&pipeline).await;
        let at_once = now(request).unwrap_or_else(|| panic!("request {i}: a token seen before"));
        assert_eq!(format!("{at_once:?}"), format!("{whole:?}"), "request {i}");
    }
    let fresh = local.token("user_2").expires_in(600).mint();
    assert!(
        now(&Req::get("/api").header("authorization", &format!("Bearer {fresh}"))).is_none(),
        "a token never seen needs verifying"
    );
    // A handshake coming back is resolved by `authenticate`, and nothing is counted twice.
    let hits = pipeline.clerk().stats().token_cache_hits;
    let returning =
        Req::page("/dashboard?__clerk_handshake_nonce=n1").header("cookie", &cookies(&token, true));
    assert!(now(&returning).is_none());
    assert_eq!(pipeline.clerk().stats().token_cache_hits, hits);
    // A cached token that fails a check of these options is left to `authenticate`, which
    // refuses it.
    let clerk = pipeline.clerk().clone();
    let strict =
        Pipeline::new(ClerkOptions::new(clerk).authorized_parties(["https://app.example.com"]));
    let with_azp = local
        .token("user_1")
        .azp("https://evil.example")
        .expires_in(600)
        .mint();
    let request = Req::get("/api").header("authorization", &format!("Bearer {with_azp}"));
    let (state, ..) = proceeded(request.run(&pipeline).await);
    assert!(state.is_signed_in(), "{state:?}");
    let head = RequestHead::new(&request.method, &request.uri, &request.headers);
    assert!(strict.authenticate_now(head).is_none());
    let (state, ..) = proceeded(request.run(&strict).await);
    assert!(matches!(state, RequestState::SignedOut(_)), "{state:?}");
}
