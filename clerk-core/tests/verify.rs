//! Session-token verification: every check, against tokens minted by LocalClerk.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_core::{Clerk, SessionStatus, VerifyError};
use clerk_testing::{JWT_TEMPLATE_CATEGORY, LocalClerk, M2M_CATEGORY, SigningAlgorithm, unix_now};

fn b64(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Replaces one part of a token.
fn with_part(token: &str, index: usize, part: String) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[index] = part;
    parts.join(".")
}

fn payload(token: &str) -> serde_json::Value {
    let part = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("b64")).expect("json")
}

#[tokio::test]
async fn a_clerk_token_verifies_and_its_claims_are_normalized() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let token = local
        .token("user_1")
        .session_id("sess_1")
        .azp("https://app.example.com")
        .org(
            "org_1",
            "acme",
            "org:admin",
            ["org:invoices:read", "org:teams:manage"],
        )
        .features(["u:beta"])
        .plan("o:pro")
        .factor_ages(3, 7)
        .actor("user_support")
        .mint();
    let claims = clerk.verify_token(&token).await.expect("valid");
    assert_eq!(claims.user_id(), "user_1");
    assert_eq!(claims.session_id(), "sess_1");
    assert_eq!(claims.version(), 2);
    assert_eq!(claims.issuer(), local.issuer());
    assert_eq!(claims.authorized_party(), Some("https://app.example.com"));
    assert_eq!(claims.org_id(), Some("org_1"));
    assert_eq!(claims.org_slug(), Some("acme"));
    assert_eq!(claims.org_role(), Some("org:admin"));
    assert_eq!(
        claims.org_permissions(),
        ["org:invoices:read", "org:teams:manage"]
    );
    assert!(claims.has_feature("user:beta") && claims.has_plan("org:pro"));
    assert_eq!(claims.actor().map(|a| a.sub.as_str()), Some("user_support"));
    let fva = claims.factor_verification_age().expect("fva");
    assert_eq!(
        (fva.first_factor_minutes, fva.second_factor_minutes),
        (Some(3), Some(7))
    );
    assert_eq!(
        claims.issued_at().map(|iat| claims.expires_at() - iat),
        Some(60)
    );

    let v1 = local
        .token("user_2")
        .v1()
        .org("org_2", "beta", "basic_member", ["org:docs:read"])
        .mint();
    let claims = clerk.verify_token(&v1).await.expect("v1 is still accepted");
    assert_eq!(claims.version(), 1);
    assert_eq!(claims.org_role(), Some("org:basic_member"));
    assert!(claims.has_permission("org:docs:read"));
}

#[tokio::test]
async fn custom_claims_are_typed() {
    #[derive(serde::Deserialize)]
    struct Custom {
        email: String,
        tier: u8,
    }
    let local = LocalClerk::start().await;
    let token = local
        .token("user_1")
        .claim("email", "a@example.com")
        .claim("tier", 3)
        .mint();
    let claims = local.clerk().verify_token(&token).await.expect("valid");
    let custom: Custom = claims.custom().expect("typed");
    assert_eq!((custom.email.as_str(), custom.tier), ("a@example.com", 3));
}

#[tokio::test]
async fn only_rsa_algorithms_are_accepted() {
    let local = LocalClerk::builder()
        .jwk_alg(None)
        .start()
        .await
        .expect("start");
    let clerk = local.clerk();
    for alg in [
        SigningAlgorithm::RS256,
        SigningAlgorithm::RS384,
        SigningAlgorithm::RS512,
    ] {
        let token = local.token("user_1").algorithm(alg).mint();
        clerk.verify_token(&token).await.expect("RS* accepted");
    }
    let good = local.token("user_1").mint();
    for alg in ["none", "HS256", "ES256", "PS256", "EdDSA", "rs256", ""] {
        let forged = local.token("user_1").header("alg", alg).mint();
        assert_eq!(
            clerk.verify_token(&forged).await.err(),
            Some(VerifyError::InvalidAlgorithm),
            "{alg}"
        );
    }
    let no_alg = local
        .token("user_1")
        .header("alg", serde_json::Value::Null)
        .mint();
    assert_eq!(
        clerk.verify_token(&no_alg).await.err(),
        Some(VerifyError::InvalidAlgorithm)
    );

    // `alg: none` with an empty signature, the classic forgery.
    let header = b64(&serde_json::json!({"alg":"none","typ":"JWT","kid":local.keys().kid()}));
    let unsigned = format!("{header}.{}.", good.split('.').nth(1).expect("payload"));
    assert_eq!(
        clerk.verify_token(&unsigned).await.err(),
        Some(VerifyError::InvalidAlgorithm)
    );

    // HS256 signed with the public key as the HMAC secret: the key-confusion attack.
    let header = b64(&serde_json::json!({"alg":"HS256","typ":"JWT","kid":local.keys().kid()}));
    let message = format!("{header}.{}", good.split('.').nth(1).expect("payload"));
    let key = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA256,
        local.keys().public_key_pem().as_bytes(),
    );
    let tag = aws_lc_rs::hmac::sign(&key, message.as_bytes());
    let confused = format!("{message}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
    assert_eq!(
        clerk.verify_token(&confused).await.err(),
        Some(VerifyError::InvalidAlgorithm)
    );
}

#[tokio::test]
async fn the_key_algorithm_binds_the_token_algorithm() {
    // Clerk publishes its keys with `alg: RS256`; a token claiming RS512 for such a key is refused.
    let local = LocalClerk::start().await;
    let token = local
        .token("user_1")
        .algorithm(SigningAlgorithm::RS512)
        .mint();
    assert_eq!(
        local.clerk().verify_token(&token).await.err(),
        Some(VerifyError::InvalidAlgorithm)
    );
}

#[tokio::test]
async fn the_kid_must_match_a_key() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let no_kid = local
        .token("user_1")
        .header("kid", serde_json::Value::Null)
        .mint();
    assert_eq!(
        clerk.verify_token(&no_kid).await.err(),
        Some(VerifyError::KidMismatch)
    );
    let other = local.token("user_1").kid("ins_other").mint();
    let error = clerk.verify_token(&other).await.expect_err("unknown kid");
    assert_eq!(error, VerifyError::KidMismatch);
    assert_eq!(error.reason(), "jwk-kid-mismatch");
}

#[tokio::test]
async fn key_location_headers_are_never_consulted() {
    let victim = LocalClerk::start().await;
    let attacker = LocalClerk::start().await;
    let attacker_jwks = format!("{}/v1/jwks", attacker.api_url());
    let attacker_jwk: serde_json::Value =
        serde_json::json!({"kty":"RSA","kid":victim.keys().kid()});
    // Signed by the attacker, naming the victim's kid and pointing at the attacker's keys.
    let forged = attacker
        .token("user_admin")
        .issuer(victim.issuer())
        .kid(victim.keys().kid())
        .header("jku", attacker_jwks.clone())
        .header("x5u", attacker_jwks)
        .header("jwk", attacker_jwk)
        .mint();
    let error = victim
        .clerk()
        .verify_token(&forged)
        .await
        .expect_err("forged");
    assert_eq!(error, VerifyError::InvalidSignature);
    assert_eq!(
        attacker.requests().jwks(),
        0,
        "the attacker's server was never asked"
    );
}

#[tokio::test]
async fn only_session_tokens_pass() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    clerk
        .verify_token(&local.token("user_1").category(None).mint())
        .await
        .expect("absent cat is a session token");
    // Instances with the "ignore category" setting stamp it on their session tokens.
    clerk
        .verify_token(
            &local
                .token("user_1")
                .category(Some(clerk_core::verify::IGNORE_CATEGORY))
                .mint(),
        )
        .await
        .expect("the ignore category is a session token, as in Clerk's SDK");
    for cat in [JWT_TEMPLATE_CATEGORY, M2M_CATEGORY, "other"] {
        let token = local.token("user_1").category(Some(cat)).mint();
        let error = clerk
            .verify_token(&token)
            .await
            .expect_err("not a session token");
        assert_eq!(error, VerifyError::TypeMismatch, "{cat}");
        assert_eq!(error.reason(), "token-type-mismatch");
    }
    let oauth = local.token("user_1").header("typ", "at+jwt").mint();
    assert_eq!(
        clerk.verify_token(&oauth).await.err(),
        Some(VerifyError::TypeMismatch)
    );
    let machine = local.token("mch_123").mint();
    assert_eq!(
        clerk.verify_token(&machine).await.err(),
        Some(VerifyError::TypeMismatch)
    );
}

#[tokio::test]
async fn the_signature_is_checked_before_the_claims() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let token = local.token("user_1").mint();

    // Raise the privileges in the payload: the signature no longer matches.
    let mut claims = payload(&token);
    claims["sub"] = "user_admin".into();
    let tampered = with_part(&token, 1, b64(&claims));
    assert_eq!(
        clerk.verify_token(&tampered).await.err(),
        Some(VerifyError::InvalidSignature)
    );

    // An expired token with a broken signature reports the signature, not the expiry.
    let expired = local.token("user_1").issued_at(unix_now() - 3600).mint();
    let broken = with_part(&expired, 2, URL_SAFE_NO_PAD.encode([7u8; 256]));
    assert_eq!(
        clerk.verify_token(&broken).await.err(),
        Some(VerifyError::InvalidSignature)
    );
    assert_eq!(
        clerk.verify_token(&expired).await.err(),
        Some(VerifyError::Expired)
    );

    let unsigned = with_part(&token, 2, String::new());
    assert_eq!(
        clerk.verify_token(&unsigned).await.err(),
        Some(VerifyError::InvalidSignature)
    );
}

#[tokio::test]
async fn times_are_checked_with_clock_skew() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let now = unix_now();
    let check = |token: String| {
        let clerk = clerk.clone();
        async move { clerk.verify_token(&token).await.err() }
    };
    // Within the default 5 s skew.
    assert_eq!(
        check(local.token("u").issued_at(now - 62).mint()).await,
        None
    );
    assert_eq!(
        check(
            local
                .token("u")
                .issued_at(now + 3)
                .not_before(Some(now + 3))
                .mint()
        )
        .await,
        None
    );
    // Beyond it.
    assert_eq!(
        check(local.token("u").issued_at(now - 70).mint()).await,
        Some(VerifyError::Expired)
    );
    assert_eq!(
        check(
            local
                .token("u")
                .issued_at(now)
                .not_before(Some(now + 30))
                .mint()
        )
        .await,
        Some(VerifyError::NotActiveYet)
    );
    assert_eq!(
        check(local.token("u").issued_at(now + 30).not_before(None).mint()).await,
        Some(VerifyError::IatInTheFuture)
    );
    assert_eq!(
        check(local.token("u").without_claim("exp").mint()).await,
        Some(VerifyError::Malformed("the `exp` claim is missing"))
    );

    let strict = local
        .clerk_builder()
        .clock_skew(Duration::ZERO)
        .build()
        .expect("valid");
    let token = local.token("u").issued_at(now - 62).mint();
    assert_eq!(
        strict.verify_token(&token).await.err(),
        Some(VerifyError::Expired)
    );
}

#[tokio::test]
async fn authorized_parties_require_a_listed_azp() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .authorized_parties(["https://app.example.com", "http://localhost:3000/"])
        .build()
        .expect("valid");
    for ok in [
        "https://app.example.com",
        "http://localhost:3000",
        "https://app.example.com/",
    ] {
        clerk
            .verify_token(&local.token("u").azp(ok).mint())
            .await
            .expect(ok);
    }
    for bad in [
        "https://evil.example.com",
        "https://app.example.com.evil.io",
        "",
    ] {
        let error = clerk
            .verify_token(&local.token("u").azp(bad).mint())
            .await
            .expect_err(bad);
        assert_eq!(error.reason(), "token-invalid-authorized-parties");
    }
    let missing = local.token("u").mint();
    assert_eq!(
        clerk.verify_token(&missing).await.err(),
        Some(VerifyError::InvalidAuthorizedParty)
    );

    // Without a list any azp passes, and per-call options can set one.
    let open = local.clerk();
    let token = local.token("u").azp("https://anything.example").mint();
    open.verify_token(&token).await.expect("no list configured");
    let options = open
        .verify_options()
        .authorized_parties(["https://app.example.com"]);
    assert_eq!(
        open.verify_token_with(&token, &options).await.err(),
        Some(VerifyError::InvalidAuthorizedParty),
        "checked on a cached token too"
    );
}

#[tokio::test]
async fn the_issuer_is_checked_strictly() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    for bad in ["https://evil.example.com", "http://clerk.example.com", ""] {
        let token = local.token("u").issuer(bad).mint();
        assert_eq!(
            clerk.verify_token(&token).await.err(),
            Some(VerifyError::InvalidIssuer),
            "{bad}"
        );
    }
    let token = local.token("u").without_claim("iss").mint();
    assert_eq!(
        clerk.verify_token(&token).await.err(),
        Some(VerifyError::InvalidIssuer)
    );
    let trailing = local
        .token("u")
        .issuer(format!("{}/", local.issuer()))
        .mint();
    clerk
        .verify_token(&trailing)
        .await
        .expect("trailing slash is the same issuer");

    // With a proxy, tokens still carry the publishable key's Frontend API: that stays the
    // issuer, and the proxy URL is not one.
    let proxied = local
        .clerk_builder()
        .proxy_url("https://app.example.com/__clerk")
        .build()
        .expect("valid");
    proxied
        .verify_token(&local.token("u").mint())
        .await
        .expect("the publishable key's issuer, behind a proxy");
    assert_eq!(
        proxied
            .verify_token(
                &local
                    .token("u")
                    .issuer("https://app.example.com/__clerk")
                    .mint()
            )
            .await
            .err(),
        Some(VerifyError::InvalidIssuer)
    );
    // An extra issuer configured on the client is accepted.
    let extra = local
        .clerk_builder()
        .issuer("https://clerk.other.example")
        .build()
        .expect("valid");
    extra
        .verify_token(
            &local
                .token("u")
                .issuer("https://clerk.other.example")
                .mint(),
        )
        .await
        .expect("configured issuer");

    // With no publishable key and no issuer configured, only Clerk issuers pass.
    let unknown = Clerk::builder()
        .secret_key(local.secret_key())
        .api_url(local.api_url())
        .build()
        .expect("valid");
    for iss in [
        "https://clerk.example.com",
        "https://happy-hippo-1.clerk.accounts.dev",
    ] {
        unknown
            .verify_token(&local.token("u").issuer(iss).mint())
            .await
            .expect(iss);
    }
    for iss in [
        "https://evil.example.com",
        "https://clerk.accounts.dev.evil.com.attacker",
        "http://clerk.example.com",
    ] {
        let error = unknown
            .verify_token(&local.token("u").issuer(iss).mint())
            .await
            .err();
        if iss.starts_with("https://clerk.") {
            // `clerk.<domain>` is the shape of every production issuer: accepted by shape, and
            // the signature check against the instance's keys is what keeps it safe.
            assert_eq!(error, None, "{iss}");
        } else {
            assert_eq!(error, Some(VerifyError::InvalidIssuer), "{iss}");
        }
    }
}

#[tokio::test]
async fn pending_sessions_are_signed_out_unless_accepted() {
    let local = LocalClerk::start().await;
    let token = local.token("u").status("pending").mint();
    let clerk = local.clerk();
    let error = clerk.verify_token(&token).await.expect_err("pending");
    assert_eq!(error, VerifyError::SessionPending);
    let claims = clerk
        .verify_token_with(&token, &clerk.verify_options().accept_pending(true))
        .await
        .expect("opted in");
    assert_eq!(claims.status(), &SessionStatus::Pending);
    let opted_in = local
        .clerk_builder()
        .accept_pending_sessions(true)
        .build()
        .expect("valid");
    opted_in
        .verify_token(&token)
        .await
        .expect("opted in on the client");
    // A pending token cached by one call is still refused by the default options.
    assert_eq!(
        clerk.verify_token(&token).await.err(),
        Some(VerifyError::SessionPending)
    );
}

#[tokio::test]
async fn oversized_tokens_are_rejected_before_any_work() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let huge = local
        .token("u")
        .claim("padding", "x".repeat(9 * 1024))
        .mint();
    let error = clerk.verify_token(&huge).await.expect_err("too large");
    assert_eq!(error, VerifyError::TooLarge { max: 8192 });
    assert_eq!(error.reason(), "token-too-large");
    assert_eq!(local.requests().jwks(), 0, "no key was fetched for it");
}

#[tokio::test]
async fn malformed_input_is_an_error_never_a_panic() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let good = local.token("u").mint();
    let header = good.split('.').next().expect("header").to_owned();
    let signature = good.split('.').nth(2).expect("sig").to_owned();
    let mut inputs: Vec<String> = vec![
        String::new(),
        ".".into(),
        "..".into(),
        "a.b".into(),
        "a.b.c.d".into(),
        "!!!.@@@.###".into(),
        format!(
            "{}.e30.{signature}",
            b64(&serde_json::json!("just a string"))
        ),
        format!(
            "{header}.{}.{signature}",
            URL_SAFE_NO_PAD.encode("not json")
        ),
        format!(
            "{header}.{}.{signature}",
            URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0xfd])
        ),
        format!("{}.e30.{signature}", URL_SAFE_NO_PAD.encode("{\"alg\":")),
        format!("{header}.e30.{signature}=="),
        "é.é.é".into(),
    ];
    // A payload that is valid JSON but not a claims object, correctly signed.
    for odd in [
        serde_json::json!([1, 2]),
        serde_json::json!({"sub": 5}),
        serde_json::json!(null),
    ] {
        inputs.push(local.token("u").claim("sub", odd).mint());
    }
    // Some pseudo-random garbage made of JWT characters.
    let mut seed: u32 = 12345;
    for _ in 0..200 {
        let len = (seed % 300) as usize;
        let text: String = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let alphabet = b"abcXYZ019-_.=+/";
                char::from(alphabet[(seed >> 16) as usize % alphabet.len()])
            })
            .collect();
        inputs.push(text);
    }
    for input in &inputs {
        let error = clerk.verify_token(input).await.expect_err("rejected");
        let shown = format!("{error} {error:?}");
        if input.len() > 12 {
            assert!(
                !shown.contains(input.as_str()),
                "the message echoes the token: {shown}"
            );
        }
    }
}

#[tokio::test]
async fn error_messages_never_echo_the_token() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .authorized_parties(["https://a.example"])
        .build()
        .expect("valid");
    let tokens = [
        local
            .token("user_secret_id")
            .azp("https://b.example")
            .mint(),
        local
            .token("user_secret_id")
            .issued_at(unix_now() - 3600)
            .mint(),
        local.token("user_secret_id").kid("kid_secret").mint(),
        local.token("user_secret_id").header("alg", "HS256").mint(),
    ];
    for token in tokens {
        let error = clerk.verify_token(&token).await.expect_err("rejected");
        let shown = format!("{error} | {error:?}");
        for part in token.split('.') {
            assert!(!shown.contains(part), "{shown}");
        }
        assert!(!shown.contains("secret"), "{shown}");
    }
}

#[tokio::test]
async fn a_repeated_token_skips_the_signature_check() {
    let local = LocalClerk::start().await;
    let settings = clerk_core::JwksSettings {
        refresh_interval: Duration::from_millis(50),
        min_refetch_interval: Duration::from_millis(10),
        ..Default::default()
    };
    let cached = local
        .clerk_builder()
        .jwks_settings(settings)
        .build()
        .expect("valid");
    let uncached = local
        .clerk_builder()
        .jwks_settings(settings)
        .token_cache_capacity(0)
        .build()
        .expect("valid");
    let token = local.token("user_1").mint();
    cached.verify_token(&token).await.expect("fresh");
    uncached.verify_token(&token).await.expect("fresh");
    // A token seen once is not shared yet: most tokens are never seen again.
    assert_eq!(cached.cached_token_count(), 0);
    // Seen a second time, it is.
    cached.verify_token(&token).await.expect("again");
    uncached.verify_token(&token).await.expect("again");
    assert_eq!(cached.cached_token_count(), 1);
    assert_eq!(uncached.cached_token_count(), 0);

    // Remove the token's key from Clerk; both clients pick that up in their next refresh.
    local.keys().rotate();
    // Past the refetch interval (at least 1 s, whatever is set), so the new kid refetches.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let _ = cached.verify_token(&local.token("user_2").mint()).await;
    let _ = uncached.verify_token(&local.token("user_2").mint()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Only a client that remembers the verified token still accepts it: it did not look for
    // the key or check the signature again.
    assert_eq!(
        uncached.verify_token(&token).await.err(),
        Some(VerifyError::KidMismatch)
    );
    cached
        .verify_token(&token)
        .await
        .expect("served from the verified-token cache");
}

#[tokio::test]
async fn the_token_cache_is_bounded_and_keeps_no_failures() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .token_cache_capacity(5)
        .authorized_parties(["https://ok.example"])
        .build()
        .expect("valid");
    for i in 0..50 {
        let token = local
            .token(format!("user_{i}"))
            .azp("https://ok.example")
            .mint();
        // Twice, so that each token is admitted to the cache.
        for _ in 0..2 {
            clerk.verify_token(&token).await.expect("valid");
        }
    }
    assert!(
        clerk.cached_token_count() <= 5,
        "{}",
        clerk.cached_token_count()
    );

    let fresh = local
        .clerk_builder()
        .authorized_parties(["https://ok.example"])
        .build()
        .expect("valid");
    for bad in [
        local.token("u").azp("https://bad.example").mint(),
        local
            .token("u")
            .azp("https://ok.example")
            .status("pending")
            .mint(),
        local
            .token("u")
            .azp("https://ok.example")
            .issued_at(unix_now() - 3600)
            .mint(),
    ] {
        // Twice: a token that verified would be admitted to the cache the second time.
        for _ in 0..2 {
            assert!(fresh.verify_token(&bad).await.is_err());
        }
    }
    assert_eq!(fresh.cached_token_count(), 0, "failures are not cached");
}

#[tokio::test]
async fn a_cached_token_is_never_valid_past_its_expiry() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .clock_skew(Duration::ZERO)
        .build()
        .expect("valid");
    let now = unix_now();
    let token = local.token("u").issued_at(now).expires_at(now + 1).mint();
    for _ in 0..2 {
        clerk
            .verify_token(&token)
            .await
            .expect("valid for a second");
    }
    assert_eq!(clerk.cached_token_count(), 1, "in the shared cache");
    // Another token takes this thread's place, so the next answer comes from the shared cache.
    clerk
        .verify_token(&local.token("other").mint())
        .await
        .expect("valid");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        clerk.verify_token(&token).await.err(),
        Some(VerifyError::Expired)
    );
}

#[tokio::test]
async fn a_failure_is_not_remembered_once_clerk_recovers() {
    let local = LocalClerk::start().await;
    local
        .faults()
        .set_jwks(Some(clerk_testing::Fault::Status(502)));
    let clerk = local
        .clerk_builder()
        .jwks_settings(clerk_core::JwksSettings {
            min_refetch_interval: Duration::from_millis(50),
            ..Default::default()
        })
        .build()
        .expect("valid");
    let token = local.token("u").mint();
    assert!(clerk.verify_token(&token).await.is_err());
    local.faults().set_jwks(None);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    clerk
        .verify_token(&token)
        .await
        .expect("the same token now verifies");
}

#[tokio::test]
async fn a_token_without_iat_verifies_as_in_clerk() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let claims = clerk
        .verify_token(&local.token("user_1").without_claim("iat").mint())
        .await
        .expect("iat is checked only when present");
    assert_eq!(claims.issued_at(), None);
    let future = local
        .token("user_1")
        .issued_at(unix_now() + 600)
        .not_before(None)
        .mint();
    assert_eq!(
        clerk.verify_token(&future).await.err(),
        Some(VerifyError::IatInTheFuture)
    );
}

#[tokio::test]
async fn absurd_times_never_panic() {
    let local = LocalClerk::start().await;
    let clerk = local
        .clerk_builder()
        .clock_skew(Duration::from_secs(u64::MAX / 2))
        .build()
        .expect("valid");
    for exp in [
        serde_json::json!(i64::MAX),
        serde_json::json!(9.0e18),
        serde_json::json!(1.0e300),
    ] {
        let token = local.token("user_1").claim("exp", exp.clone()).mint();
        // Twice: the second use is answered from the verified-token cache.
        for _ in 0..2 {
            clerk.verify_token(&token).await.expect("far future");
        }
        let plain = local.clerk();
        plain.verify_token(&token).await.expect("far future");
    }
    for time in [i64::MIN, -1] {
        let token = local
            .token("user_1")
            .claim("exp", time)
            .claim("nbf", time)
            .claim("iat", time)
            .mint();
        assert_eq!(
            local.clerk().verify_token(&token).await.err(),
            Some(VerifyError::Expired)
        );
    }
}

#[tokio::test]
async fn a_token_verified_again_after_others_enters_the_shared_cache() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let first = local.token("user_1").mint();
    let second = local.token("user_2").mint();
    clerk.verify_token(&first).await.expect("valid");
    // Another token takes this thread's place: the first is verified afresh next time.
    clerk.verify_token(&second).await.expect("valid");
    assert_eq!(
        clerk.cached_token_count(),
        0,
        "tokens seen once are not shared"
    );
    clerk.verify_token(&first).await.expect("valid");
    assert_eq!(clerk.cached_token_count(), 1, "seen twice: shared");
}
