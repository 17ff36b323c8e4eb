//! LocalClerk as the Frontend API, over real HTTP on 127.0.0.1 (as a browser would, with its
//! cookies carried by hand): the default host, the dev browser, the handshake by nonce and by
//! token, the Backend API's `GetHandshakePayload` and `RefreshSession`, and the sign-in and
//! sign-out pages.

use std::time::Duration;

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_core::models::{self, SessionStatus};
use clerk_testing::{LocalClerk, NewUser, SESSION_CATEGORY};
use reqwest::Url;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};

const APP: &str = "http://127.0.0.1:3000/dashboard?tab=1";
const APP_ORIGIN: &str = "http://127.0.0.1:3000";

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

fn location(response: &reqwest::Response) -> Url {
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a Location");
    Url::parse(location).expect("an absolute Location")
}

fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// The value of the directive that sets `name` (`name=value; ...`).
fn directive<'a>(directives: &'a [String], name: &str) -> Option<&'a str> {
    directives.iter().find_map(|d| {
        let (pair, _) = d.split_once(';').unwrap_or((d, ""));
        let (key, value) = pair.split_once('=')?;
        (key == name).then_some(value)
    })
}

fn names(directives: &[String]) -> Vec<&str> {
    directives
        .iter()
        .filter_map(|d| d.split_once('=').map(|(name, _)| name))
        .collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        form.append_pair(key, value);
    }
    form.finish()
}

async fn post_form(
    http: &reqwest::Client,
    url: &str,
    pairs: &[(&str, &str)],
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut request = http
        .post(url)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form(pairs));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.expect("the form is posted")
}

/// A browser signs in on the sign-in page as `user_id`: the `__client` cookie LocalClerk set on
/// its host and the dev browser token it came back to the app with.
async fn sign_in(local: &LocalClerk, http: &reqwest::Client, user_id: &str) -> (String, String) {
    let page = http
        .get(local.frontend().sign_in_url(APP))
        .send()
        .await
        .expect("the sign-in page");
    assert_eq!(page.status(), 200);
    let client_cookie = set_cookies(&page)
        .iter()
        .find_map(|c| {
            c.strip_prefix("__client=")
                .map(|v| v.split(';').next().unwrap_or(v).to_owned())
        })
        .expect("LocalClerk's __client cookie");
    let html = page.text().await.expect("html");
    assert!(html.contains(user_id), "the page lists the user");
    let cookie = format!("__client={client_cookie}");
    let answer = post_form(
        http,
        &format!("{}/sign-in", local.frontend().url()),
        &[("redirect_url", APP), ("user_id", user_id)],
        Some(&cookie),
    )
    .await;
    assert_eq!(answer.status(), 303);
    let back = location(&answer);
    assert_eq!(back.origin().ascii_serialization(), APP_ORIGIN);
    assert_eq!(back.path(), "/dashboard");
    assert_eq!(query_param(&back, "tab").as_deref(), Some("1"));
    let dev_browser = query_param(&back, "__clerk_db_jwt").expect("the dev browser token");
    (cookie, dev_browser)
}

/// The handshake by nonce, resolved with the Backend API: the directives.
async fn handshake(
    local: &LocalClerk,
    http: &reqwest::Client,
    dev_browser: Option<&str>,
    suffixed: bool,
) -> Vec<String> {
    let mut url =
        Url::parse(&format!("{}/v1/client/handshake", local.frontend().url())).expect("url");
    url.query_pairs_mut()
        .append_pair("redirect_url", APP)
        .append_pair("__clerk_api_version", "2025-11-10")
        .append_pair("suffixed_cookies", if suffixed { "true" } else { "false" })
        .append_pair("__clerk_hs_reason", "dev-browser-sync")
        .append_pair("format", "nonce");
    if let Some(token) = dev_browser {
        url.query_pairs_mut().append_pair("__clerk_db_jwt", token);
    }
    let answer = http.get(url).send().await.expect("the handshake");
    assert_eq!(answer.status(), 307);
    assert_eq!(
        answer
            .headers()
            .get(CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert!(
        set_cookies(&answer)
            .iter()
            .any(|c| c.starts_with("__client=")),
        "the handshake keeps LocalClerk's cookie"
    );
    let back = location(&answer);
    assert_eq!(back.path(), "/dashboard");
    let nonce = query_param(&back, "__clerk_handshake_nonce").expect("a nonce");
    local
        .clerk()
        .clients()
        .get_handshake_payload(&nonce)
        .send()
        .await
        .expect("the nonce resolves")
        .directives
}

#[tokio::test]
async fn the_frontend_api_is_localhost_on_the_bound_port() {
    let local = LocalClerk::start().await;
    let port = local.addr().port();
    assert_eq!(local.frontend_api(), format!("localhost:{port}"));
    assert_eq!(local.frontend_api_url(), format!("http://localhost:{port}"));
    assert_eq!(local.frontend().url(), local.frontend_api_url());
    assert_eq!(local.issuer(), format!("https://localhost:{port}"));
    let key = clerk_core::PublishableKey::new(local.publishable_key()).expect("valid");
    assert_eq!(key.frontend_api(), local.frontend_api());
    assert_eq!(local.frontend().cookie_suffix(), key.cookie_suffix());
    // Tokens still verify with the client it gives.
    let token = local.token("user_1").mint();
    local.clerk().verify_token(&token).await.expect("verifies");

    let custom = LocalClerk::builder()
        .frontend_api("clerk.example.com")
        .start()
        .await
        .expect("starts");
    assert_eq!(custom.frontend_api_url(), "https://clerk.example.com");
    let custom = LocalClerk::builder()
        .frontend_api("abc.clerk.localhost")
        .start()
        .await
        .expect("starts");
    assert_eq!(custom.frontend_api_url(), "http://abc.clerk.localhost");
}

#[tokio::test]
async fn a_dev_browser_is_created() {
    let local = LocalClerk::start().await;
    let answer = browser()
        .post(format!("{}/v1/dev_browser", local.frontend().url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.expect("json");
    let token = body["id"].as_str().expect("id");
    assert!(token.starts_with("dvb_"));
    assert_eq!(body["token"], body["id"]);
    assert_eq!(local.frontend().clients(), 1);
}

#[tokio::test]
async fn a_signed_out_handshake_resolves_once_by_nonce() {
    let local = LocalClerk::start().await;
    let http = browser();
    let directives = handshake(&local, &http, None, false).await;
    let suffix = local.frontend().cookie_suffix().to_owned();
    assert_eq!(
        names(&directives),
        [
            "__clerk_db_jwt".to_owned(),
            "__session".into(),
            "__client_uat".into(),
            format!("__refresh_{suffix}"),
        ]
    );
    assert!(directive(&directives, "__clerk_db_jwt").is_some_and(|v| v.starts_with("dvb_")));
    assert_eq!(directive(&directives, "__session"), Some(""));
    assert!(directives[1].contains("Max-Age=0"));
    assert_eq!(directive(&directives, "__client_uat"), Some("0"));
    assert!(directives[3].contains("Max-Age=0") && directives[3].contains("HttpOnly"));
    for d in &directives {
        assert!(d.contains("Path=/") && d.contains("SameSite=Lax"), "{d}");
        assert!(!d.contains("Domain") && !d.contains("Secure"), "{d}");
    }
    assert_eq!(local.frontend().handshakes(), 1);

    // A nonce resolves once.
    let mut url =
        Url::parse(&format!("{}/v1/client/handshake", local.frontend().url())).expect("url");
    url.query_pairs_mut()
        .append_pair("redirect_url", APP)
        .append_pair("format", "nonce");
    let answer = http.get(url).send().await.expect("the handshake");
    let nonce = query_param(&location(&answer), "__clerk_handshake_nonce").expect("nonce");
    let clerk = local.clerk();
    clerk
        .clients()
        .get_handshake_payload(&nonce)
        .send()
        .await
        .expect("first time");
    let again = clerk
        .clients()
        .get_handshake_payload(&nonce)
        .send()
        .await
        .expect_err("second time");
    assert_eq!(again.status(), Some(404));
    assert_eq!(again.code(), Some("resource_not_found"));
    let unknown = clerk
        .clients()
        .get_handshake_payload("nope")
        .send()
        .await
        .expect_err("unknown");
    assert_eq!(unknown.status(), Some(404));
    assert_eq!(local.requests().count("GetHandshakePayload"), 4);
}

#[tokio::test]
async fn a_signed_in_handshake_plants_the_session_and_its_refresh_token() {
    let local = LocalClerk::builder()
        .session_token_lifetime(Duration::from_secs(5))
        .start()
        .await
        .expect("starts");
    let user = local.users().create(NewUser::with_email("ada@example.com"));
    let http = browser();
    let (_, dev_browser) = sign_in(&local, &http, &user.id).await;
    let suffix = local.frontend().cookie_suffix().to_owned();

    let directives = handshake(&local, &http, Some(&dev_browser), true).await;
    assert_eq!(
        names(&directives),
        [
            "__clerk_db_jwt".to_owned(),
            "__session".into(),
            format!("__session_{suffix}"),
            "__client_uat".into(),
            format!("__client_uat_{suffix}"),
            format!("__refresh_{suffix}"),
        ]
    );
    assert_eq!(
        directive(&directives, "__clerk_db_jwt"),
        Some(dev_browser.as_str())
    );
    let token = directive(&directives, "__session").expect("a session token");
    assert_eq!(
        directive(&directives, &format!("__session_{suffix}")),
        Some(token)
    );
    let claims = local.clerk().verify_token(token).await.expect("verifies");
    assert_eq!(claims.user_id(), user.id);
    assert_eq!(claims.authorized_party(), Some(APP_ORIGIN));
    let iat = claims.issued_at().expect("iat");
    assert_eq!(claims.expires_at() - iat, 5, "the configured lifetime");
    let uat: i64 = directive(&directives, "__client_uat")
        .and_then(|v| v.parse().ok())
        .expect("a number");
    assert!(
        uat > 0 && uat <= iat,
        "the token is not older than the client"
    );
    let refresh = directive(&directives, &format!("__refresh_{suffix}")).expect("refresh");
    assert_eq!(
        local
            .frontend()
            .refresh_token(claims.session_id())
            .as_deref(),
        Some(refresh)
    );
    assert!(directives[5].contains("HttpOnly"));

    // Unsuffixed: no suffixed session or uat, the refresh cookie all the same.
    let directives = handshake(&local, &http, Some(&dev_browser), false).await;
    assert_eq!(
        names(&directives),
        [
            "__clerk_db_jwt".to_owned(),
            "__session".into(),
            "__client_uat".into(),
            format!("__refresh_{suffix}"),
        ]
    );
}

#[tokio::test]
async fn the_handshake_token_is_signed_by_the_instance() {
    let local = LocalClerk::start().await;
    let user = local.users().create(NewUser::with_email("ada@example.com"));
    let http = browser();
    let (_, dev_browser) = sign_in(&local, &http, &user.id).await;
    let mut url =
        Url::parse(&format!("{}/v1/client/handshake", local.frontend().url())).expect("url");
    url.query_pairs_mut()
        .append_pair("redirect_url", APP)
        .append_pair("__clerk_db_jwt", &dev_browser);
    let answer = http.get(url).send().await.expect("the handshake");
    assert_eq!(answer.status(), 307);
    let jwt = query_param(&location(&answer), "__clerk_handshake").expect("a handshake token");

    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |part: &str| -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64")).expect("json")
    };
    let header = decode(parts[0]);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["cat"], SESSION_CATEGORY);
    assert_eq!(header["kid"], local.keys().kid().as_str());
    let jwks = local.keys().jwks();
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == header["kid"]))
        .expect("the key");
    let component = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(key[name].as_str().expect(name))
            .expect("b64")
    };
    RsaPublicKeyComponents {
        n: component("n"),
        e: component("e"),
    }
    .verify(
        &RSA_PKCS1_2048_8192_SHA256,
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
        &URL_SAFE_NO_PAD.decode(parts[2]).expect("signature"),
    )
    .expect("signed with the instance key");
    let payload = decode(parts[1]);
    let directives: Vec<String> =
        serde_json::from_value(payload["handshake"].clone()).expect("a list of directives");
    let session = directive(&directives, "__session").expect("signed in");
    local.clerk().verify_token(session).await.expect("verifies");
    assert!(payload["exp"].as_i64() > payload["iat"].as_i64());
}

#[tokio::test]
async fn a_refresh_needs_the_sessions_refresh_token_and_an_active_session() {
    let local = LocalClerk::builder()
        .session_token_lifetime(Duration::from_secs(3))
        .start()
        .await
        .expect("starts");
    let user = local.users().create(NewUser::with_email("ada@example.com"));
    let signed_in = local.sessions().sign_in(&user.id);
    let sid = signed_in.session.id.clone();
    let refresh = local
        .frontend()
        .refresh_token(&sid)
        .expect("every session has one");
    let expired = local
        .sessions()
        .token(&sid)
        .expect("active")
        .expires_in(-120)
        .mint();
    let clerk = local.clerk();
    let suffix = local.frontend().cookie_suffix().to_owned();

    let answer = clerk
        .sessions()
        .refresh(&sid, &expired, &refresh, APP_ORIGIN)
        .format("cookie")
        .request_headers([("cookie".to_owned(), vec!["a=b".to_owned()])].into())
        .suffixed_cookies(true)
        .send()
        .await
        .expect("refreshed");
    let models::SessionRefresh::Cookies(cookies) = answer else {
        panic!("cookies expected, got {answer:?}");
    };
    assert_eq!(cookies.object, "cookies");
    assert_eq!(
        names(&cookies.cookies),
        ["__session".to_owned(), format!("__session_{suffix}")]
    );
    assert!(cookies.cookies[0].ends_with("; Path=/; SameSite=Lax"));
    let token = directive(&cookies.cookies, "__session").expect("token");
    let claims = clerk
        .verify_token(token)
        .await
        .expect("the new token verifies");
    assert_eq!(claims.session_id(), sid);
    assert_eq!(claims.authorized_party(), Some(APP_ORIGIN));
    assert_eq!(claims.expires_at() - claims.issued_at().unwrap_or(0), 3);

    let answer = clerk
        .sessions()
        .refresh(&sid, &expired, &refresh, APP_ORIGIN)
        .send()
        .await
        .expect("refreshed");
    let models::SessionRefresh::Token(token) = answer else {
        panic!("a token expected, got {answer:?}");
    };
    clerk.verify_token(&token.jwt).await.expect("verifies");

    let refused = |error: clerk_core::ApiError| {
        assert_eq!(error.status(), Some(401), "{error}");
        assert_eq!(error.code(), Some("refresh_token_invalid"));
    };
    refused(
        clerk
            .sessions()
            .refresh(&sid, &expired, "wrong", APP_ORIGIN)
            .format("cookie")
            .send()
            .await
            .expect_err("a wrong refresh token"),
    );
    // Another session's token, a token from another signer, no token.
    let other = local.sessions().sign_in(&user.id);
    let stranger = LocalClerk::start().await;
    for bad in [
        other.token.clone(),
        stranger.token(&user.id).session_id(&sid).mint(),
        String::new(),
    ] {
        refused(
            clerk
                .sessions()
                .refresh(&sid, &bad, &refresh, APP_ORIGIN)
                .send()
                .await
                .expect_err("a bad expired token"),
        );
    }
    let unknown = clerk
        .sessions()
        .refresh("sess_unknown", &expired, &refresh, APP_ORIGIN)
        .send()
        .await
        .expect_err("an unknown session");
    assert_eq!(unknown.status(), Some(404));

    clerk.sessions().revoke(&sid).send().await.expect("revoked");
    refused(
        clerk
            .sessions()
            .refresh(&sid, &expired, &refresh, APP_ORIGIN)
            .send()
            .await
            .expect_err("a revoked session"),
    );
    assert_eq!(local.requests().count("RefreshSession"), 8);
}

#[tokio::test]
async fn the_sign_in_page_signs_the_browser_in_and_sign_out_ends_its_sessions() {
    let local = LocalClerk::start().await;
    let user = local.users().create(NewUser::with_email("ada@example.com"));
    let http = browser();
    let (cookie, dev_browser) = sign_in(&local, &http, &user.id).await;
    let sessions = local
        .clerk()
        .sessions()
        .list()
        .user_id(&user.id)
        .send()
        .await
        .expect("sessions")
        .data;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].status, SessionStatus::Active);

    // The same browser (by LocalClerk's cookie) sees it is signed in.
    let page = http
        .get(local.frontend().sign_in_url(APP))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("page");
    let html = page.text().await.expect("html");
    assert!(html.contains("Signed in as"), "{html}");

    let answer = http
        .get(local.frontend().sign_out_url(APP))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("signed out");
    assert_eq!(answer.status(), 303);
    assert_eq!(
        query_param(&location(&answer), "__clerk_db_jwt").as_deref(),
        Some(dev_browser.as_str())
    );
    let session = local
        .clerk()
        .sessions()
        .get(&sessions[0].id)
        .send()
        .await
        .expect("session");
    assert_eq!(session.status, SessionStatus::Ended);
    let directives = handshake(&local, &http, Some(&dev_browser), false).await;
    assert_eq!(directive(&directives, "__session"), Some(""));
    assert_eq!(directive(&directives, "__client_uat"), Some("0"));

    // An unknown email address signs a new user up.
    let answer = post_form(
        &http,
        &format!("{}/sign-up", local.frontend().url()),
        &[
            ("redirect_url", APP),
            ("email", "new@example.com"),
            ("__clerk_db_jwt", &dev_browser),
        ],
        None,
    )
    .await;
    assert_eq!(answer.status(), 303);
    let users = local
        .clerk()
        .users()
        .list()
        .email_address(["new@example.com"])
        .send()
        .await
        .expect("users");
    assert_eq!(users.len(), 1);
    let directives = handshake(&local, &http, Some(&dev_browser), false).await;
    let token = directive(&directives, "__session").expect("signed in");
    let claims = local.clerk().verify_token(token).await.expect("verifies");
    assert_eq!(claims.user_id(), users[0].id);
}

#[tokio::test]
async fn hostile_redirect_urls_are_refused_and_html_is_escaped() {
    let local = LocalClerk::start().await;
    let http = browser();
    let base = local.frontend().url();
    for bad in [
        "javascript:alert(1)",
        "/dashboard",
        "//evil.example/x",
        "",
        "data:text/html,x",
    ] {
        for url in [
            local.frontend().sign_in_url(bad),
            local.frontend().sign_out_url(bad),
            format!(
                "{base}/v1/client/handshake?{}",
                form(&[("redirect_url", bad)])
            ),
        ] {
            let answer = http.get(&url).send().await.expect("answers");
            assert_eq!(answer.status(), 400, "{url}");
            assert!(answer.headers().get(LOCATION).is_none());
        }
        let answer = post_form(
            &http,
            &format!("{base}/sign-in"),
            &[("redirect_url", bad), ("email", "a@example.com")],
            None,
        )
        .await;
        assert_eq!(answer.status(), 400, "{bad}");
    }

    local
        .users()
        .create(NewUser::with_email("eve@example.com").first_name("<script>alert('x')</script>"));
    let page = http
        .get(
            local
                .frontend()
                .sign_in_url("http://127.0.0.1:3000/?q=\"><b>x</b>"),
        )
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<b>x"), "{html}");
}
