//! Machine authentication with clerk-core against LocalClerk: every token kind verified (valid,
//! revoked, expired, unknown, forged), the accepted kinds of request authentication
//! (`token-type-mismatch` without a Backend API call), Backend API failures (503, not 401), the
//! verdict cache (hits, expiry, coalescing, the revocation delay, unknown tokens), and the
//! calling side (`M2mTokenSource`).

use std::time::Duration;

use clerk_core::machine::{Accepts, M2mTokenSource, MachineError, OutgoingError, TokenKind};
use clerk_core::rejection::{Rejection, RejectionKind};
use clerk_core::{AuthenticateOptions, Clerk, RequestState, SignedOut, VerifyError};
use clerk_testing::{Fault, LocalClerk, NewUser};
use http::HeaderMap;

/// LocalClerk's client with this verdict-cache TTL.
fn clerk_with_ttl(local: &LocalClerk, ttl: Duration) -> Clerk {
    local
        .clerk_builder()
        .machine_token_cache_ttl(ttl)
        .build()
        .expect("LocalClerk's keys are valid")
}

/// A user of `local`, by id.
fn user(local: &LocalClerk, email: &str) -> String {
    local.users().create(NewUser::with_email(email)).id
}

async fn authenticate(clerk: &Clerk, headers: &HeaderMap, accepts: Accepts) -> RequestState {
    let options = AuthenticateOptions {
        accepts,
        ..AuthenticateOptions::new(clerk)
    };
    clerk.authenticate_with(headers, &options).await
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = format!("Bearer {token}").parse().expect("a header value");
    headers.insert(http::header::AUTHORIZATION, value);
    headers
}

/// The Backend API verifications made so far, of every kind.
fn verifications(local: &LocalClerk) -> usize {
    ["verifyApiKey", "verifyM2MToken", "verifyOAuthAccessToken"]
        .iter()
        .map(|operation| local.requests().count(operation))
        .sum()
}

#[tokio::test]
async fn every_kind_verifies_and_revoked_expired_unknown_and_forged_tokens_do_not() {
    let local = LocalClerk::start().await;
    let clerk = clerk_with_ttl(&local, Duration::ZERO);
    let ada = user(&local, "ada@example.com");

    // API keys: a user's, with its name, scopes and claims-less answer.
    let (key, secret) = local.api_keys().create(&ada, "ci", ["orders:read"]);
    let machine = clerk.verify_machine_token(&secret).await.expect("valid");
    assert_eq!(machine.kind(), TokenKind::ApiKey);
    assert_eq!(
        (machine.id(), machine.subject()),
        (key.id.as_str(), ada.as_str())
    );
    assert_eq!(
        (machine.user_id(), machine.org_id()),
        (Some(ada.as_str()), None)
    );
    assert_eq!(machine.name(), Some("ci"));
    assert!(machine.has_scope("orders:read") && !machine.has_scope("orders:write"));
    assert_eq!(machine.token(), secret);
    assert!(
        !format!("{machine:?}").contains(&secret),
        "Debug redacts the token"
    );
    local.api_keys().revoke(&key.id, Some("leaked"));
    let revoked = clerk
        .verify_machine_token(&secret)
        .await
        .expect_err("revoked");
    assert_eq!(
        (revoked.clone(), revoked.reason()),
        (MachineError::Revoked, "token-invalid")
    );
    let unknown = format!("ak_{}", "0".repeat(32));
    let error = clerk
        .verify_machine_token(&unknown)
        .await
        .expect_err("unknown");
    assert_eq!(error, MachineError::NotFound);

    // An organization's API key.
    let org = local.organizations().create("Acme").id;
    let (_, org_secret) = local
        .api_keys()
        .create(&org, "acme-ci", Vec::<String>::new());
    let machine = clerk
        .verify_machine_token(&org_secret)
        .await
        .expect("valid");
    assert_eq!(
        (machine.org_id(), machine.user_id()),
        (Some(org.as_str()), None)
    );

    // Opaque M2M tokens.
    let billing = local.machines().create("billing").id;
    let m2m = local
        .machines()
        .mint_m2m_token(&billing, Vec::<String>::new(), 3600);
    let machine = clerk.verify_machine_token(&m2m).await.expect("valid");
    assert_eq!(machine.kind(), TokenKind::M2mToken);
    assert_eq!(machine.machine_id(), Some(billing.as_str()));
    assert!(machine.id().starts_with("mt_"));
    let expired = local
        .machines()
        .mint_m2m_token(&billing, Vec::<String>::new(), -1);
    let error = clerk
        .verify_machine_token(&expired)
        .await
        .expect_err("expired");
    assert_eq!(error, MachineError::Expired);
    assert!(local.machines().revoke_m2m_token(&m2m, Some("rotated")));
    let error = clerk.verify_machine_token(&m2m).await.expect_err("revoked");
    assert_eq!(error, MachineError::Revoked);

    // Opaque OAuth access tokens.
    let oauth = local
        .oauth()
        .mint_access_token(&ada, "client_1", ["email", "profile"]);
    let machine = clerk.verify_machine_token(&oauth).await.expect("valid");
    assert_eq!(machine.kind(), TokenKind::OAuthToken);
    assert_eq!(
        (machine.user_id(), machine.client_id()),
        (Some(ada.as_str()), Some("client_1"))
    );
    assert_eq!(machine.scopes(), ["email", "profile"]);
    let expired = local
        .oauth()
        .mint_access_token_with_ttl(&ada, "client_1", ["email"], -1);
    let error = clerk
        .verify_machine_token(&expired)
        .await
        .expect_err("expired");
    assert_eq!(error, MachineError::Expired);
    assert!(local.oauth().revoke_access_token(&oauth));
    let error = clerk
        .verify_machine_token(&oauth)
        .await
        .expect_err("revoked");
    assert_eq!(error, MachineError::Revoked);

    // JWT forms: verified locally, no Backend API call.
    let before = verifications(&local);
    let m2m_jwt = local
        .machines()
        .mint_m2m_jwt(&billing, ["mch_orders"], 3600);
    let machine = clerk.verify_machine_token(&m2m_jwt).await.expect("valid");
    assert_eq!(machine.kind(), TokenKind::M2mToken);
    assert_eq!(machine.machine_id(), Some(billing.as_str()));
    assert!(machine.id().starts_with("mt_"), "{}", machine.id());
    assert_eq!(machine.scopes(), ["mch_orders"]);
    assert!(
        !machine.has_scope("mch_orders"),
        "an M2M JWT's scopes are claims its machine chose: they grant nothing"
    );
    assert!(machine.expires_at().is_some());
    let oauth_jwt = local.oauth().mint_jwt(&ada, "client_1", ["email"], 3600);
    let machine = clerk.verify_machine_token(&oauth_jwt).await.expect("valid");
    assert_eq!(machine.kind(), TokenKind::OAuthToken);
    assert_eq!(
        (machine.user_id(), machine.client_id()),
        (Some(ada.as_str()), Some("client_1"))
    );
    assert_eq!(machine.scopes(), ["email"]);
    assert!(
        machine.has_scope("email"),
        "Clerk issued the OAuth JWT's scopes"
    );
    let expired = local.machines().mint_m2m_jwt(&billing, ["mch_orders"], -60);
    let error = clerk
        .verify_machine_token(&expired)
        .await
        .expect_err("expired");
    assert_eq!(error, MachineError::Invalid(VerifyError::Expired));
    assert_eq!(error.reason(), "token-verification-failed");
    let expired = local.oauth().mint_jwt(&ada, "client_1", ["email"], -60);
    let error = clerk
        .verify_machine_token(&expired)
        .await
        .expect_err("expired");
    assert_eq!(error, MachineError::Invalid(VerifyError::Expired));
    // Signed by another instance's key: refused, whatever its claims say.
    let other = LocalClerk::start().await;
    let forged = other
        .machines()
        .mint_m2m_jwt(&billing, ["mch_orders"], 3600);
    let error = clerk
        .verify_machine_token(&forged)
        .await
        .expect_err("forged");
    assert!(matches!(error, MachineError::Invalid(_)), "{error:?}");
    assert!(!error.is_unavailable());
    assert_eq!(
        verifications(&local),
        before,
        "JWT forms never reach the Backend API"
    );

    // A session token is not a machine token.
    let session = local.token(&ada).mint();
    let error = clerk
        .verify_machine_token(&session)
        .await
        .expect_err("a session");
    assert_eq!(error, MachineError::Invalid(VerifyError::TypeMismatch));
}

#[tokio::test]
async fn a_kind_not_accepted_is_token_type_mismatch_without_a_backend_api_call() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let ada = user(&local, "ada@example.com");
    let (_, api_key) = local.api_keys().create(&ada, "ci", ["orders:read"]);
    let billing = local.machines().create("billing").id;
    let m2m = local
        .machines()
        .mint_m2m_token(&billing, Vec::<String>::new(), 3600);
    let m2m_jwt = local
        .machines()
        .mint_m2m_jwt(&billing, Vec::<String>::new(), 3600);
    let oauth_jwt = local.oauth().mint_jwt(&ada, "client_1", ["email"], 3600);
    let session = local.token(&ada).mint();
    // An M2M JWT without `cat` (tolerated during Clerk's rollout): a machine's by its subject.
    let m2m_without_cat = local.token(&billing).category(None).mint();

    // The default: session tokens only, as in Clerk's SDKs.
    for (token, kind) in [
        (&api_key, TokenKind::ApiKey),
        (&m2m, TokenKind::M2mToken),
        (&m2m_jwt, TokenKind::M2mToken),
        (&m2m_without_cat, TokenKind::M2mToken),
        (&oauth_jwt, TokenKind::OAuthToken),
    ] {
        let state = clerk.authenticate(&bearer(token)).await;
        let RequestState::SignedOut(why) = state else {
            panic!("{kind:?} accepted by default: {state:?}");
        };
        assert_eq!(why, SignedOut::TokenTypeMismatch(Some(kind)));
        assert_eq!(why.reason(), "token-type-mismatch");
        let rejection = Rejection::signed_out(&why);
        assert_eq!(
            (rejection.status(), rejection.code()),
            (401, "token-type-mismatch")
        );
    }
    assert_eq!(
        verifications(&local),
        0,
        "no Backend API call for a refused kind"
    );
    assert!(clerk.authenticate(&bearer(&session)).await.auth().is_some());

    // Sessions and API keys: an M2M token is refused by kind, the others pass.
    let some = Accepts::kinds([TokenKind::SessionToken, TokenKind::ApiKey]);
    let state = authenticate(&clerk, &bearer(&m2m), some).await;
    assert!(matches!(
        state,
        RequestState::SignedOut(SignedOut::TokenTypeMismatch(Some(TokenKind::M2mToken)))
    ));
    assert_eq!(verifications(&local), 0);
    let state = authenticate(&clerk, &bearer(&api_key), some).await;
    assert_eq!(state.machine().map(|m| m.kind()), Some(TokenKind::ApiKey));
    assert_eq!(verifications(&local), 1);
    let state = authenticate(&clerk, &bearer(&session), some).await;
    assert_eq!(state.auth().map(|a| a.user_id()), Some(ada.as_str()));

    // Machines only: a session token, or no bearer token at all (the cookie is not read), is a
    // mismatch; a missing token is answered without an error code.
    let machines = Accepts::machines();
    let state = authenticate(&clerk, &bearer(&session), machines).await;
    assert!(matches!(
        state,
        RequestState::SignedOut(SignedOut::TokenTypeMismatch(Some(TokenKind::SessionToken)))
    ));
    let mut cookie = HeaderMap::new();
    let value = format!("__session={session}; __client_uat=1")
        .parse()
        .expect("header");
    cookie.insert(http::header::COOKIE, value);
    let RequestState::SignedOut(why) = authenticate(&clerk, &cookie, machines).await else {
        panic!("a cookie signed a machines-only request in");
    };
    assert_eq!(why, SignedOut::TokenTypeMismatch(None));
    assert_eq!(
        Rejection::signed_out(&why).www_authenticate(),
        Some("Bearer")
    );
    for token in [&m2m, &m2m_jwt, &oauth_jwt] {
        let state = authenticate(&clerk, &bearer(token), Accepts::any()).await;
        assert!(state.machine().is_some(), "{state:?}");
        assert!(state.is_signed_in() && state.auth().is_none());
    }
}

#[tokio::test]
async fn a_backend_api_outage_or_429_is_503_not_signed_out() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let ada = user(&local, "ada@example.com");
    let billing = local.machines().create("billing").id;
    let faults = [
        (Fault::Status(503), true),
        (Fault::Status(500), true),
        (Fault::Close, true),
        // The server's secret key refused: its fault, not the client's (review finding).
        (Fault::Status(401), true),
        // Last: after a 429, verify calls pause for its Retry-After (waited out below).
        (
            Fault::RateLimited {
                retry_after_secs: 1,
            },
            true,
        ),
    ];
    for (fault, unavailable) in faults {
        let (_, secret) = local.api_keys().create(&ada, "ci", ["orders:read"]);
        local.faults().set_api(Some(fault));
        let state = authenticate(&clerk, &bearer(&secret), Accepts::any()).await;
        let RequestState::SignedOut(why) = state else {
            panic!("{fault:?}: signed in through a failing Backend API");
        };
        assert_eq!(why.is_unavailable(), unavailable, "{fault:?}: {why:?}");
        let rejection = Rejection::signed_out(&why);
        assert!(unavailable, "{fault:?}");
        assert_eq!(rejection.kind(), RejectionKind::VerificationUnavailable);
        assert_eq!(
            (rejection.status(), rejection.code()),
            (503, "token_verification_unavailable")
        );
        if fault == Fault::Status(401) {
            assert_eq!(why, SignedOut::Machine(MachineError::SecretKeyInvalid));
            assert_eq!(why.reason(), "secret-key-invalid");
        }
        // JWT forms do not need the Backend API.
        let jwt = local
            .machines()
            .mint_m2m_jwt(&billing, Vec::<String>::new(), 60);
        assert!(
            authenticate(&clerk, &bearer(&jwt), Accepts::any())
                .await
                .machine()
                .is_some()
        );
        // Failures are not cached: once Clerk answers again (and a 429's Retry-After has
        // passed), the key verifies.
        local.faults().set_api(None);
        if matches!(fault, Fault::RateLimited { .. }) {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        let state = authenticate(&clerk, &bearer(&secret), Accepts::any()).await;
        assert!(state.machine().is_some(), "{fault:?}: {state:?}");
    }
    // A Backend API that never answers: 503 within the verification timeout.
    let (_, secret) = local.api_keys().create(&ada, "ci", ["orders:read"]);
    local.faults().set_api(Some(Fault::Hang));
    let error = clerk
        .verify_machine_token(&secret)
        .await
        .expect_err("no answer");
    assert!(matches!(error, MachineError::Unavailable(_)), "{error:?}");
    local.faults().set_api(None);
}

#[tokio::test]
async fn verdicts_are_cached_coalesced_and_expire_and_a_revocation_waits_for_the_ttl() {
    let local = LocalClerk::start().await;
    let ttl = Duration::from_millis(800);
    let clerk = clerk_with_ttl(&local, ttl);
    assert_eq!(clerk.machine_token_cache_ttl(), ttl);
    let ada = user(&local, "ada@example.com");
    let (key, secret) = local.api_keys().create(&ada, "ci", ["orders:read"]);

    // Thirty concurrent verifications of one token while Clerk is slow: one call.
    local
        .faults()
        .set_api(Some(Fault::Delay(Duration::from_millis(200))));
    let all = (0..30).map(|_| clerk.verify_machine_token(&secret));
    for verified in futures::future::join_all(all).await {
        assert_eq!(verified.expect("valid").subject(), ada);
    }
    local.faults().set_api(None);
    assert_eq!(local.requests().count("verifyApiKey"), 1, "coalesced");
    // A hit: no call.
    clerk.verify_machine_token(&secret).await.expect("cached");
    assert_eq!(local.requests().count("verifyApiKey"), 1, "cached");

    // Revoked in Clerk: still accepted here until the verdict's TTL has passed (the
    // documented revocation delay), refused after.
    local.api_keys().revoke(&key.id, None);
    clerk
        .verify_machine_token(&secret)
        .await
        .expect("the cached verdict");
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    let error = clerk
        .verify_machine_token(&secret)
        .await
        .expect_err("revoked");
    assert_eq!(error, MachineError::Revoked);
    assert_eq!(local.requests().count("verifyApiKey"), 2);
    // Refusals other than "unknown" are not cached.
    clerk
        .verify_machine_token(&secret)
        .await
        .expect_err("revoked");
    assert_eq!(local.requests().count("verifyApiKey"), 3);

    // An unknown token is remembered briefly (never longer than the TTL).
    let unknown = format!("ak_{}", "f".repeat(32));
    for _ in 0..3 {
        let error = clerk
            .verify_machine_token(&unknown)
            .await
            .expect_err("unknown");
        assert_eq!(error, MachineError::NotFound);
    }
    assert_eq!(
        local.requests().count("verifyApiKey"),
        4,
        "one call for an unknown token"
    );
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    clerk
        .verify_machine_token(&unknown)
        .await
        .expect_err("unknown");
    assert_eq!(
        local.requests().count("verifyApiKey"),
        5,
        "asked again after the negative entry"
    );

    // Never past the token's expiration: a token living 1 s, a TTL of a minute.
    let long = clerk_with_ttl(&local, Duration::from_secs(60));
    let billing = local.machines().create("billing").id;
    let short = local
        .machines()
        .mint_m2m_token(&billing, Vec::<String>::new(), 1);
    long.verify_machine_token(&short)
        .await
        .expect("valid for a second");
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let error = long
        .verify_machine_token(&short)
        .await
        .expect_err("expired");
    assert_eq!(error, MachineError::Expired);

    // A TTL of 0: every verification asks Clerk.
    let uncached = clerk_with_ttl(&local, Duration::ZERO);
    let (_, fresh) = local.api_keys().create(&ada, "fresh", ["orders:read"]);
    let before = local.requests().count("verifyApiKey");
    for _ in 0..3 {
        uncached.verify_machine_token(&fresh).await.expect("valid");
    }
    assert_eq!(local.requests().count("verifyApiKey"), before + 3);
}

#[tokio::test]
async fn a_service_gets_an_m2m_token_reuses_it_and_the_receiver_verifies_it() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let caller = local.machines().create("orders-worker");
    let receiver = local.machines().create("orders-api");
    local.machines().add_scope(&caller.id, &receiver.id);

    let tokens = M2mTokenSource::new(caller.secret_key.clone()).api_url(local.api_url());
    let first = tokens.token().await.expect("a token");
    assert_eq!(tokens.token().await.expect("a token"), first, "reused");
    assert_eq!(local.requests().count("createM2MToken"), 1);
    let machine = clerk.verify_machine_token(&first).await.expect("valid");
    assert_eq!(machine.machine_id(), Some(caller.id.as_str()));
    assert!(machine.has_scope(&receiver.id), "{:?}", machine.scopes());

    // Concurrent callers share one request; a token within the refresh margin is replaced (a
    // margin longer than half the lifetime counts as half: replaced after 1 s of 2).
    let soon = M2mTokenSource::new(caller.secret_key.clone())
        .api_url(local.api_url())
        .lifetime(Duration::from_secs(2))
        .refresh_margin(Duration::from_millis(1_500));
    let before = local.requests().count("createM2MToken");
    let all = (0..10).map(|_| soon.token());
    let issued: Vec<_> = futures::future::join_all(all).await;
    let first_soon = issued[0].clone().expect("a token");
    assert!(
        issued
            .iter()
            .all(|token| token.as_ref().ok() == Some(&first_soon))
    );
    assert_eq!(local.requests().count("createM2MToken"), before + 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        soon.token().await.expect("a token"),
        first_soon,
        "still fresh"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second = soon.token().await.expect("a token");
    assert_ne!(second, first_soon, "replaced before it expires");
    assert_eq!(local.requests().count("createM2MToken"), before + 2);

    // Clerk failing: the token that has not expired yet is still handed out, and the failure
    // is remembered (callers do not each ask); once it has expired, the error.
    local.faults().set_api(Some(Fault::Status(503)));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    for _ in 0..5 {
        assert_eq!(soon.token().await.expect("the live token"), second);
    }
    assert_eq!(
        local.requests().count("createM2MToken"),
        before + 3,
        "one failed request"
    );
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(
        soon.token().await,
        Err(OutgoingError::Refused { status: 503 })
    );
    local.faults().set_api(None);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let third = soon.token().await.expect("Clerk is back");
    soon.invalidate(&second).await;
    assert_eq!(
        soon.token().await.expect("kept"),
        third,
        "an older token's invalidation keeps the newer"
    );
    soon.invalidate(&third).await;
    assert_ne!(soon.token().await.expect("a new one"), third);

    // JWTs, verified by the receiver with no Backend API call.
    let jwts = M2mTokenSource::new(caller.secret_key.clone())
        .api_url(local.api_url())
        .jwt(true);
    let jwt = jwts.token().await.expect("a JWT");
    assert_eq!(jwt.split('.').count(), 3);
    let verified = local.requests().count("verifyM2MToken");
    assert!(clerk.verify_machine_token(&jwt).await.is_ok());
    assert_eq!(local.requests().count("verifyM2MToken"), verified);

    // The request carries it.
    let request = tokens
        .authorize(reqwest::Client::new().get("http://127.0.0.1:9/orders"))
        .await
        .expect("authorized")
        .build()
        .expect("a request");
    let header = request.headers()[http::header::AUTHORIZATION]
        .to_str()
        .expect("text");
    assert_eq!(header, format!("Bearer {first}"));

    // A wrong key is refused, typed; nothing is retried in a loop.
    let wrong = M2mTokenSource::new("ak_wrong").api_url(local.api_url());
    assert_eq!(
        wrong.token().await,
        Err(OutgoingError::Refused { status: 401 })
    );
    let nowhere = M2mTokenSource::new(caller.secret_key.clone()).api_url("http://127.0.0.1:9");
    assert!(matches!(
        nowhere.token().await,
        Err(OutgoingError::Transport(_))
    ));

    // A URL that only looks like loopback in its text (its host is evil.example) is refused
    // before anything is sent: the machine secret key never leaves in clear.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    for url in [
        format!("http://evil.example\\@127.0.0.1:{port}"),
        format!("http://evil.example?@127.0.0.1:{port}"),
        format!("http://evil.example#@localhost:{port}"),
    ] {
        let source = M2mTokenSource::new(caller.secret_key.clone()).api_url(url.clone());
        assert_eq!(
            source.token().await,
            Err(OutgoingError::InsecureUrl),
            "{url}"
        );
    }
    let connected =
        tokio::time::timeout(std::time::Duration::from_millis(100), listener.accept()).await;
    assert!(connected.is_err(), "nothing connected");
}
