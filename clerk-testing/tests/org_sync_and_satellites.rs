//! LocalClerk's Frontend API for organization sync and satellites, over real HTTP on 127.0.0.1
//! (a browser's cookies carried by hand): a handshake with `organization_id` activates an
//! organization the user belongs to and the session keeps it; a development satellite on
//! another host shares the primary's client through the dev browser token; a production
//! satellite domain's handshake issues tokens with that domain's issuer.

use std::time::Duration;

use clerk_testing::{LocalClerk, NewUser};
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};

const PRIMARY: &str = "http://127.0.0.1:3000/dashboard";
const PRIMARY_ORIGIN: &str = "http://127.0.0.1:3000";
/// The satellite app: another host (a browser keeps its cookies apart).
const SATELLITE: &str = "http://127.0.0.2:4000/reports?__clerk_synced=false";
const SATELLITE_ORIGIN: &str = "http://127.0.0.2:4000";

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

fn query_values(url: &Url, name: &str) -> Vec<String> {
    url.query_pairs()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .collect()
}

fn query_param(url: &Url, name: &str) -> Option<String> {
    query_values(url, name).into_iter().next()
}

/// LocalClerk's `__client` cookie from an answer, as a `Cookie` header value.
fn client_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("__client="))
        .map(|v| format!("__client={}", v.split(';').next().unwrap_or(v)))
}

/// The value of the directive that sets `name`.
fn directive<'a>(directives: &'a [String], name: &str) -> Option<&'a str> {
    directives.iter().find_map(|d| {
        let (pair, _) = d.split_once(';').unwrap_or((d, ""));
        let (key, value) = pair.split_once('=')?;
        (key == name).then_some(value)
    })
}

/// Signs a browser in on the sign-in page as `user_id`, coming from `redirect_url`: LocalClerk's
/// cookie and the dev browser token the browser came back with.
async fn sign_in(
    local: &LocalClerk,
    http: &reqwest::Client,
    user_id: &str,
    redirect_url: &str,
) -> (String, String) {
    let page = http
        .get(local.frontend().sign_in_url(redirect_url))
        .send()
        .await
        .expect("the sign-in page");
    assert_eq!(page.status(), 200);
    let cookie = client_cookie(&page).expect("LocalClerk's cookie");
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("redirect_url", redirect_url)
        .append_pair("user_id", user_id)
        .finish();
    let answer = http
        .post(format!("{}/sign-in", local.frontend().url()))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(COOKIE, &cookie)
        .body(form)
        .send()
        .await
        .expect("signed in");
    assert_eq!(answer.status(), 303);
    let dev_browser =
        query_param(&location(&answer), "__clerk_db_jwt").expect("the dev browser token");
    (cookie, dev_browser)
}

/// A handshake by nonce to `base` (the Frontend API, or a satellite domain's) for an app page,
/// with extra parameters, resolved with the Backend API: the directives.
async fn handshake_at(
    local: &LocalClerk,
    http: &reqwest::Client,
    base: &str,
    redirect_url: &str,
    dev_browser: &str,
    extra: &[(&str, &str)],
) -> Vec<String> {
    let mut url = Url::parse(&format!("{base}/v1/client/handshake")).expect("url");
    url.query_pairs_mut()
        .append_pair("redirect_url", redirect_url)
        .append_pair("__clerk_api_version", "2025-11-10")
        .append_pair("suffixed_cookies", "false")
        .append_pair("__clerk_hs_reason", "dev-browser-sync")
        .append_pair("format", "nonce")
        .append_pair("__clerk_db_jwt", dev_browser);
    for (name, value) in extra {
        url.query_pairs_mut().append_pair(name, value);
    }
    let answer = http.get(url).send().await.expect("the handshake");
    assert_eq!(answer.status(), 307);
    let back = location(&answer);
    assert_eq!(
        back.origin().ascii_serialization(),
        Url::parse(redirect_url)
            .expect("url")
            .origin()
            .ascii_serialization()
    );
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

async fn handshake(
    local: &LocalClerk,
    http: &reqwest::Client,
    dev_browser: &str,
    extra: &[(&str, &str)],
) -> Vec<String> {
    handshake_at(
        local,
        http,
        &local.frontend().url(),
        PRIMARY,
        dev_browser,
        extra,
    )
    .await
}

/// The session token the directives plant, verified.
async fn session_claims(local: &LocalClerk, directives: &[String]) -> clerk_core::SessionClaims {
    let token = directive(directives, "__session").expect("a __session directive");
    assert!(!token.is_empty(), "signed in: {directives:?}");
    local.clerk().verify_token(token).await.expect("verifies")
}

#[tokio::test]
async fn a_handshake_activates_the_organization_the_url_names_and_the_session_keeps_it() {
    let local = LocalClerk::builder()
        .session_token_lifetime(Duration::from_secs(5))
        .start()
        .await
        .expect("starts");
    let ada = local.users().create(NewUser::with_email("ada@example.com"));
    let acme = local.organizations().create("Acme");
    let globex = local.organizations().create("Globex");
    let stranger = local.organizations().create("Initech");
    local
        .organizations()
        .set_role_permissions("org:admin", ["org:invoices:read"]);
    local
        .organizations()
        .add_member(&acme.id, &ada.id, "org:admin");
    local
        .organizations()
        .add_member(&globex.id, &ada.id, "org:member");
    let http = browser();
    let (_, dev_browser) = sign_in(&local, &http, &ada.id, PRIMARY).await;

    // No organization_id: the personal account, as signed in.
    let claims = session_claims(&local, &handshake(&local, &http, &dev_browser, &[]).await).await;
    assert_eq!(claims.org_id(), None);
    let sid = claims.session_id().to_owned();

    // By slug: Acme becomes active, with the role and the role's permissions.
    let directives = handshake(&local, &http, &dev_browser, &[("organization_id", "acme")]).await;
    let claims = session_claims(&local, &directives).await;
    assert_eq!(claims.session_id(), sid, "the same session");
    assert_eq!(claims.org_id(), Some(acme.id.as_str()));
    assert_eq!(claims.org_slug(), Some("acme"));
    assert_eq!(claims.org_role(), Some("org:admin"));
    assert!(claims.has_permission("org:invoices:read"));
    let session = local
        .clerk()
        .sessions()
        .get(&sid)
        .send()
        .await
        .expect("the session");
    assert_eq!(
        session.last_active_organization_id.as_deref(),
        Some(acme.id.as_str())
    );

    // An organization Ada is not a member of, or none by that name: nothing changes.
    for other in [stranger.id.as_str(), "initech", "org_unknown", "nope"] {
        let directives =
            handshake(&local, &http, &dev_browser, &[("organization_id", other)]).await;
        let claims = session_claims(&local, &directives).await;
        assert_eq!(claims.org_id(), Some(acme.id.as_str()), "{other}");
    }

    // The session keeps it: a handshake without the parameter, a token, a refresh.
    let claims = session_claims(&local, &handshake(&local, &http, &dev_browser, &[]).await).await;
    assert_eq!(claims.org_id(), Some(acme.id.as_str()));
    let token = local.sessions().token(&sid).expect("active").v1().mint();
    let v1 = local.clerk().verify_token(&token).await.expect("verifies");
    assert_eq!(v1.org_slug(), Some("acme"));
    let expired = local
        .sessions()
        .token(&sid)
        .expect("active")
        .expires_in(-60)
        .mint();
    let refresh = local.frontend().refresh_token(&sid).expect("refresh token");
    let refreshed = local
        .clerk()
        .sessions()
        .refresh(&sid, &expired, &refresh, PRIMARY_ORIGIN)
        .send()
        .await
        .expect("refreshed");
    let clerk_core::models::SessionRefresh::Token(refreshed) = refreshed else {
        panic!("a token expected, got {refreshed:?}");
    };
    let claims = local
        .clerk()
        .verify_token(&refreshed.jwt)
        .await
        .expect("verifies");
    assert_eq!(claims.org_id(), Some(acme.id.as_str()));

    // By id, another organization; then empty: the personal account.
    let directives = handshake(
        &local,
        &http,
        &dev_browser,
        &[("organization_id", &globex.id)],
    )
    .await;
    let claims = session_claims(&local, &directives).await;
    assert_eq!(claims.org_id(), Some(globex.id.as_str()));
    assert_eq!(claims.org_role(), Some("org:member"));
    let directives = handshake(&local, &http, &dev_browser, &[("organization_id", "")]).await;
    let claims = session_claims(&local, &directives).await;
    assert_eq!(claims.org_id(), None);

    // The helper does what clerk-js's setActive does.
    let session = local
        .sessions()
        .set_active_organization(&sid, Some(&acme.slug));
    assert_eq!(
        session.last_active_organization_id.as_deref(),
        Some(acme.id.as_str())
    );
    let claims = session_claims(&local, &handshake(&local, &http, &dev_browser, &[]).await).await;
    assert_eq!(claims.org_id(), Some(acme.id.as_str()));
}

#[tokio::test]
async fn a_signed_out_handshake_with_an_organization_stays_signed_out() {
    let local = LocalClerk::start().await;
    local.organizations().create("Acme");
    let http = browser();
    let answer = http
        .post(format!("{}/v1/dev_browser", local.frontend().url()))
        .send()
        .await
        .expect("a dev browser");
    let body: serde_json::Value = answer.json().await.expect("json");
    let dev_browser = body["id"].as_str().expect("id").to_owned();
    let directives = handshake(&local, &http, &dev_browser, &[("organization_id", "acme")]).await;
    assert_eq!(directive(&directives, "__session"), Some(""));
    assert_eq!(directive(&directives, "__client_uat"), Some("0"));
}

#[tokio::test]
async fn a_development_satellite_shares_the_primarys_client() {
    let local = LocalClerk::start().await;
    let ada = local.users().create(NewUser::with_email("ada@example.com"));
    let http = browser();
    // Ada signs in on the primary.
    let (cookie, dev_browser) = sign_in(&local, &http, &ada.id, PRIMARY).await;
    let primary = session_claims(&local, &handshake(&local, &http, &dev_browser, &[]).await).await;
    assert_eq!(primary.authorized_party(), Some(PRIMARY_ORIGIN));

    // The satellite's SDK sends a page that needs syncing to the primary's sign-in URL, here
    // LocalClerk's page, which sends the browser straight back with its dev browser token and
    // __clerk_synced=true (once, replacing false), as a primary app does.
    for param in ["__clerk_redirect_url", "__clerk_satellite_url"] {
        let sync = format!(
            "{}/sign-in?{}",
            local.frontend().url(),
            form_urlencoded::Serializer::new(String::new())
                .append_pair(param, SATELLITE)
                .finish()
        );
        let answer = http
            .get(&sync)
            .header(COOKIE, &cookie)
            .send()
            .await
            .expect("the sync");
        assert_eq!(answer.status(), 307, "{param}");
        let back = location(&answer);
        assert_eq!(back.origin().ascii_serialization(), SATELLITE_ORIGIN);
        assert_eq!(back.path(), "/reports");
        assert_eq!(
            query_values(&back, "__clerk_db_jwt"),
            [dev_browser.as_str()]
        );
        assert_eq!(query_values(&back, "__clerk_synced"), ["true"]);
    }

    // The satellite's handshake with that token: cookies for the satellite's host, from the
    // same client and session.
    let satellite_page = "http://127.0.0.2:4000/reports?__clerk_synced=true";
    let directives = handshake_at(
        &local,
        &http,
        &local.frontend().url(),
        satellite_page,
        &dev_browser,
        &[],
    )
    .await;
    assert_eq!(
        directive(&directives, "__clerk_db_jwt"),
        Some(dev_browser.as_str())
    );
    let satellite = session_claims(&local, &directives).await;
    assert_eq!(satellite.session_id(), primary.session_id());
    assert_eq!(satellite.user_id(), ada.id);
    assert_eq!(satellite.authorized_party(), Some(SATELLITE_ORIGIN));
    assert_eq!(satellite.issuer(), local.issuer());
    assert_eq!(local.frontend().clients(), 1, "one browser, one client");

    // A browser LocalClerk does not know yet gets a new (signed-out) client and its token.
    let answer = http
        .get(format!(
            "{}/sign-in?{}",
            local.frontend().url(),
            form_urlencoded::Serializer::new(String::new())
                .append_pair("__clerk_redirect_url", SATELLITE)
                .finish()
        ))
        .send()
        .await
        .expect("the sync");
    assert_eq!(answer.status(), 307);
    let other = query_param(&location(&answer), "__clerk_db_jwt").expect("a token");
    assert_ne!(other, dev_browser);
    let directives = handshake_at(
        &local,
        &http,
        &local.frontend().url(),
        satellite_page,
        &other,
        &[],
    )
    .await;
    assert_eq!(directive(&directives, "__session"), Some(""));

    // A satellite URL that is not an absolute http(s) URL is refused.
    for bad in ["/reports", "javascript:alert(1)", ""] {
        let answer = http
            .get(format!(
                "{}/sign-in?{}",
                local.frontend().url(),
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("__clerk_redirect_url", bad)
                    .finish()
            ))
            .send()
            .await
            .expect("answers");
        assert_eq!(answer.status(), 400, "{bad:?}");
        assert!(answer.headers().get(LOCATION).is_none());
    }
}

#[tokio::test]
async fn a_production_satellite_domain_gets_tokens_with_its_own_issuer() {
    assert!(
        LocalClerk::builder()
            .satellite_domain("not a domain")
            .start()
            .await
            .is_err()
    );
    let local = LocalClerk::builder()
        .satellite_domain("https://Sat.Example/")
        .start()
        .await
        .expect("starts");
    let ada = local.users().create(NewUser::with_email("ada@example.com"));
    let http = browser();
    let (_, dev_browser) = sign_in(&local, &http, &ada.id, PRIMARY).await;

    // clerk.sat.example leads to LocalClerk, as DNS would lead to Clerk.
    let satellite_http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("clerk.sat.example", local.addr())
        .build()
        .expect("a client");
    let satellite_fapi = format!("http://clerk.sat.example:{}", local.addr().port());
    let directives = handshake_at(
        &local,
        &satellite_http,
        &satellite_fapi,
        "https://sat.example/reports",
        &dev_browser,
        &[],
    )
    .await;
    let token = directive(&directives, "__session").expect("signed in");
    // A satellite app accepts its domain's issuer; the primary's key verifies the signature.
    let satellite_clerk = local
        .clerk_builder()
        .is_satellite(true)
        .domain("sat.example")
        .build()
        .expect("a satellite's Clerk");
    let claims = satellite_clerk.verify_token(token).await.expect("verifies");
    assert_eq!(claims.issuer(), "https://clerk.sat.example");
    assert_eq!(claims.authorized_party(), Some("https://sat.example"));
    assert!(
        local.clerk().verify_token(token).await.is_err(),
        "the primary does not accept the satellite's issuer"
    );

    // A refresh of a satellite token keeps the satellite's issuer; the primary's stay its own.
    let sid = claims.session_id().to_owned();
    let refresh = local.frontend().refresh_token(&sid).expect("refresh token");
    for (issuer, expected) in [
        (
            "https://clerk.sat.example",
            "https://clerk.sat.example".to_owned(),
        ),
        ("https://clerk.other.example", local.issuer()),
    ] {
        let expired = local
            .sessions()
            .token(&sid)
            .expect("active")
            .issuer(issuer)
            .expires_in(-60)
            .mint();
        let answer = local
            .clerk()
            .sessions()
            .refresh(&sid, &expired, &refresh, "https://sat.example")
            .send()
            .await
            .expect("refreshed");
        let clerk_core::models::SessionRefresh::Token(answer) = answer else {
            panic!("a token expected, got {answer:?}");
        };
        let claims = satellite_clerk
            .verify_token(&answer.jwt)
            .await
            .expect("verifies");
        assert_eq!(claims.issuer(), expected);
    }

    // The primary's Frontend API host still issues the instance's tokens.
    let claims = session_claims(&local, &handshake(&local, &http, &dev_browser, &[]).await).await;
    assert_eq!(claims.issuer(), local.issuer());
}
