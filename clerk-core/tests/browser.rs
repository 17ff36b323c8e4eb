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
