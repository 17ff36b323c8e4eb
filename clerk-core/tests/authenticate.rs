//! Request authentication from headers: bearer tokens, session cookies and hostile input.

use clerk_core::{AuthenticateOptions, RequestState, SignedOut, TokenSource, VerifyError};
use clerk_testing::{Fault, LocalClerk, unix_now};
use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, HeaderValue};

fn headers(pairs: &[(http::HeaderName, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            name.clone(),
            HeaderValue::from_bytes(value).expect("valid header bytes"),
        );
    }
    map
}

fn signed_out(state: RequestState) -> SignedOut {
    match state {
        RequestState::SignedOut(why) => why,
        RequestState::SignedIn(auth) => panic!("unexpectedly signed in as {}", auth.user_id()),
        RequestState::Machine(machine) => panic!("unexpectedly a machine: {machine:?}"),
    }
}

#[tokio::test]
async fn a_bearer_token_signs_in_whatever_the_scheme_case() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let token = local.token("user_1").mint();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let value = format!("{scheme} {token}");
        let state = clerk
            .authenticate(&headers(&[(AUTHORIZATION, value.as_bytes())]))
            .await;
        let auth = state.auth().expect("signed in");
        assert_eq!(auth.user_id(), "user_1");
        assert_eq!(auth.source(), TokenSource::Header);
        assert_eq!(auth.token(), token);
        assert!(
            !format!("{auth:?}").contains(&token),
            "Debug hides the token"
        );
    }
}

#[tokio::test]
async fn no_token_is_signed_out_without_a_token_error() {
    let local = LocalClerk::start().await;
    let why = signed_out(local.clerk().authenticate(&HeaderMap::new()).await);
    assert_eq!(why, SignedOut::NoToken);
    assert_eq!(why.reason(), "session-token-and-uat-missing");
    assert!(!why.token_presented());
}

#[tokio::test]
async fn a_non_bearer_authorization_does_not_block_the_cookie() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let cookie = format!("__session={token}; __client_uat={}", unix_now() - 30);
    let state = local
        .clerk()
        .authenticate(&headers(&[
            (AUTHORIZATION, b"Basic dXNlcjpwYXNz"),
            (COOKIE, cookie.as_bytes()),
        ]))
        .await;
    let auth = state.auth().expect("signed in from the cookie");
    assert_eq!(auth.source(), TokenSource::Cookie);
}

#[tokio::test]
async fn the_header_wins_over_the_cookie() {
    let local = LocalClerk::start().await;
    let good = local.token("user_cookie").mint();
    let cookie = format!("__session={good}");
    let state = local
        .clerk()
        .authenticate(&headers(&[
            (AUTHORIZATION, b"Bearer not.a.token"),
            (COOKIE, cookie.as_bytes()),
        ]))
        .await;
    assert_eq!(signed_out(state).reason(), "token-invalid");
}

#[tokio::test]
async fn session_cookies_follow_client_uat() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let iat = unix_now() - 20;
    let token = local.token("user_1").issued_at(iat).mint();
    let with_cookie = |cookie: String| {
        let clerk = clerk.clone();
        async move {
            clerk
                .authenticate(&headers(&[(COOKIE, cookie.as_bytes())]))
                .await
        }
    };

    let state = with_cookie(format!(
        "theme=dark; __session={token}; __client_uat={}",
        iat - 5
    ))
    .await;
    assert_eq!(
        state.auth().expect("signed in").source(),
        TokenSource::Cookie
    );
    // No __client_uat at all: not signed in, as in Clerk's SDK (a handshake case).
    let why = signed_out(with_cookie(format!("__session={token}")).await);
    assert_eq!(why, SignedOut::SessionWithoutClientUat);
    assert_eq!(why.reason(), "session-token-but-no-client-uat");
    assert!(why.handshake_needed());

    let why = signed_out(with_cookie(format!("__session={token}; __client_uat=0")).await);
    assert_eq!(why, SignedOut::SessionWithoutClientUat);
    assert!(why.handshake_needed());
    let why = signed_out(with_cookie(format!("__session={token}; __client_uat=garbage")).await);
    assert_eq!(
        why,
        SignedOut::SessionWithoutClientUat,
        "a non-number counts as 0, as in Clerk"
    );
    // JavaScript's parseInt reads the leading digits, as Clerk's SDK does.
    let state = with_cookie(format!("__session={token}; __client_uat={}xyz", iat - 5)).await;
    assert!(state.is_signed_in());

    let why =
        signed_out(with_cookie(format!("__session={token}; __client_uat={}", iat + 10)).await);
    assert_eq!(why, SignedOut::StaleToken);
    assert_eq!(why.reason(), "session-token-iat-before-client-uat");
    assert!(why.handshake_needed());

    let why = signed_out(with_cookie(format!("__client_uat={}", iat)).await);
    assert_eq!(why, SignedOut::ClientUatWithoutSession);
    assert_eq!(why.reason(), "client-uat-but-no-session-token");
    assert!(why.handshake_needed() && !why.token_presented());
    let why = signed_out(with_cookie("__client_uat=0; __session=".into()).await);
    assert_eq!(why, SignedOut::NoToken);

    // A token without `iat` (Clerk's SDKs accept it) cannot be stale: the check does not apply.
    let no_iat = local.token("user_1").without_claim("iat").mint();
    let state = with_cookie(format!("__session={no_iat}; __client_uat={}", unix_now())).await;
    let auth = state.auth().expect("signed in without iat");
    assert_eq!(auth.claims().issued_at(), None);
}

#[tokio::test]
async fn suffixed_cookies_are_found() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let suffix = clerk.publishable_key().expect("pk").cookie_suffix();
    let mine = local.token("user_mine").mint();
    // Another app on the same domain: its token names another Frontend API.
    let other_app = local
        .token("user_other")
        .issuer("https://clerk.other-app.example.com")
        .mint();
    let cookie = format!(
        "__session={other_app}; __session_{suffix}={mine}; __client_uat=0; __client_uat_{suffix}={}",
        unix_now() - 60
    );
    let state = clerk
        .authenticate(&headers(&[(COOKIE, cookie.as_bytes())]))
        .await;
    assert_eq!(
        state.auth().expect("suffixed pair used").user_id(),
        "user_mine"
    );
    // An unsuffixed cookie that is not a JWT (no `iss`) decides for its own pair, as in
    // Clerk's SDK: here it is signed out (client_uat=0).
    let cookie = format!(
        "__session=not.a.jwt; __session_{suffix}={mine}; __client_uat=0; __client_uat_{suffix}={}",
        unix_now() - 60
    );
    let state = clerk
        .authenticate(&headers(&[(COOKIE, cookie.as_bytes())]))
        .await;
    assert_eq!(signed_out(state), SignedOut::SessionWithoutClientUat);

    // The suffixed pair is used whole: a suffixed session never pairs with the unsuffixed
    // client_uat (here it falls back to the unsuffixed pair, which has no session cookie).
    let cookie = format!(
        "__session_{suffix}={mine}; __client_uat={}",
        unix_now() - 60
    );
    let state = clerk
        .authenticate(&headers(&[(COOKIE, cookie.as_bytes())]))
        .await;
    assert_eq!(signed_out(state), SignedOut::ClientUatWithoutSession);

    // Without a publishable key the suffix is unknown: only the unsuffixed pair is read.
    let no_pk = clerk_core::Clerk::builder()
        .secret_key(local.secret_key())
        .api_url(local.api_url())
        .issuer(local.issuer())
        .build()
        .expect("valid");
    let cookie = format!(
        "__session_abcd1234={mine}; __client_uat_abcd1234={}",
        unix_now() - 60
    );
    let state = no_pk
        .authenticate(&headers(&[(COOKIE, cookie.as_bytes())]))
        .await;
    assert_eq!(signed_out(state), SignedOut::NoToken);
}

#[tokio::test]
async fn cookies_can_be_turned_off() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let cookie = format!("__session={}", local.token("u").mint());
    let options = AuthenticateOptions {
        accept_cookie: false,
        ..AuthenticateOptions::new(&clerk)
    };
    let state = clerk
        .authenticate_with(&headers(&[(COOKIE, cookie.as_bytes())]), &options)
        .await;
    assert_eq!(signed_out(state), SignedOut::NoToken);
}

#[tokio::test]
async fn hostile_headers_are_signed_out_never_a_panic() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let token = local.token("u").mint();
    let huge = format!("Bearer {}", "a".repeat(100_000));
    let huge_cookie = format!("__session={}; __client_uat=1", "b".repeat(100_000));
    let two = format!("Bearer {token}");
    type Headers = Vec<(http::HeaderName, Vec<u8>)>;
    let cases: Vec<(Headers, &str)> = vec![
        (
            vec![(AUTHORIZATION, b"Bearer \xff\xfe\xfd".to_vec())],
            "token-invalid",
        ),
        (
            vec![(AUTHORIZATION, "Bearer t\u{f6}ken".as_bytes().to_vec())],
            "token-invalid",
        ),
        (vec![(AUTHORIZATION, huge.into_bytes())], "token-too-large"),
        (
            vec![(AUTHORIZATION, b"Bearer ".to_vec())],
            "authorization-header-invalid",
        ),
        (
            vec![
                (AUTHORIZATION, two.clone().into_bytes()),
                (AUTHORIZATION, two.into_bytes()),
            ],
            "authorization-header-invalid",
        ),
        (vec![(COOKIE, huge_cookie.into_bytes())], "token-too-large"),
        (
            vec![(COOKIE, b"__session=\xff\xfe; __client_uat=1".to_vec())],
            "token-invalid",
        ),
        (
            vec![(COOKIE, b";;;=;==; __session".to_vec())],
            "session-token-and-uat-missing",
        ),
        (
            vec![(COOKIE, b"__session=".to_vec())],
            "session-token-and-uat-missing",
        ),
        (
            vec![(COOKIE, b"__session=\xff\xfe".to_vec())],
            "session-token-but-no-client-uat",
        ),
    ];
    for (pairs, reason) in cases {
        let pairs: Vec<(http::HeaderName, &[u8])> = pairs
            .iter()
            .map(|(n, v)| (n.clone(), v.as_slice()))
            .collect();
        let why = signed_out(clerk.authenticate(&headers(&pairs)).await);
        assert_eq!(why.reason(), reason, "{pairs:?}");
    }
}

#[tokio::test]
async fn an_outage_is_reported_as_unavailable_not_as_a_bad_token() {
    let local = LocalClerk::start().await;
    local.faults().set_jwks(Some(Fault::Status(503)));
    let value = format!("Bearer {}", local.token("u").mint());
    let why = signed_out(
        local
            .clerk()
            .authenticate(&headers(&[(AUTHORIZATION, value.as_bytes())]))
            .await,
    );
    assert!(why.is_unavailable());
    assert!(matches!(
        why,
        SignedOut::Token(VerifyError::KeysUnavailable(_))
    ));

    let bad = signed_out(
        local
            .clerk()
            .authenticate(&headers(&[(AUTHORIZATION, b"Bearer a.b.c")]))
            .await,
    );
    assert!(!bad.is_unavailable());
}
