//! Configuration that would otherwise fail later or leak: the JWT key size, plain-HTTP API URLs,
//! redirects, satellite domains and proxies.

mod support;

use clerk_core::{Clerk, ConfigError, JwtKey, VerifyError};
use clerk_testing::LocalClerk;
use support::{Recorder, SECRET};

/// A real 1024-bit RSA public key (generated with `openssl genrsa 1024 | openssl rsa -pubout`).
const RSA_1024_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDm8+IbUteiX2TTGl4Q+1KPQJtt
+d6bW9/mK1S9nGNYh8ghmQOn4nY8jTJyHt3/7oU/KZRZtDYalVvhRLuE/tSgGDX0
/C85zWf1tavBRA94xzlOHoucx8C1ZhyhEwXjlDAebPqlji0TirMYkxGZ3EgLZk7K
N58bsWAyZ66IIKawlwIDAQAB
-----END PUBLIC KEY-----";

#[tokio::test]
async fn a_jwt_key_under_2048_bits_is_refused_when_loaded() {
    let error = JwtKey::new(RSA_1024_PEM).expect_err("1024-bit key");
    assert!(
        matches!(error, ConfigError::InvalidJwtKey(reason) if reason.contains("under 2048 bits")),
        "{error}"
    );
    // The same through the builder and the environment-style PEM with literal `\n`.
    let escaped = RSA_1024_PEM.replace('\n', "\\n");
    let error = Clerk::builder()
        .jwt_key(escaped)
        .build()
        .expect_err("refused at start-up");
    assert!(matches!(error, ConfigError::InvalidJwtKey(_)), "{error}");
    assert!(error.to_string().contains("2048"), "{error}");

    // A 2048-bit key from a real instance still loads, and verifies its tokens networklessly.
    let local = LocalClerk::start().await;
    let clerk = Clerk::builder()
        .jwt_key(local.keys().public_key_pem())
        .publishable_key(local.publishable_key())
        .build()
        .expect("a 2048-bit key");
    clerk
        .verify_token(&local.token("user_1").mint())
        .await
        .expect("verifies with the PEM key");
}

#[test]
fn plain_http_is_only_for_loopback_unless_opted_in() {
    let build = |url: &str| Clerk::builder().secret_key(SECRET).api_url(url).build();
    for fine in [
        "https://api.clerk.com",
        "http://127.0.0.1:8080",
        "http://127.9.9.9",
        "http://localhost:3000/",
        "http://LOCALHOST",
        "http://[::1]:9000",
    ] {
        build(fine).unwrap_or_else(|error| panic!("{fine}: {error}"));
    }
    for clear in [
        "http://api.clerk.com",
        "http://10.0.0.7:8080",
        "http://localhost.evil.example",
        "http://127.0.0.1.evil.example",
        "http://[::2]",
    ] {
        let error = build(clear).expect_err(clear);
        assert!(
            matches!(
                error,
                ConfigError::Invalid {
                    setting: "CLERK_API_URL",
                    ..
                }
            ),
            "{clear}: {error}"
        );
        assert!(error.to_string().contains("in clear"), "{error}");
        Clerk::builder()
            .secret_key(SECRET)
            .api_url(clear)
            .allow_insecure_http(true)
            .build()
            .unwrap_or_else(|error| panic!("opted in, {clear}: {error}"));
    }
}

#[tokio::test]
async fn the_backend_api_client_follows_no_redirect() {
    // The second server would receive the secret key if the redirect were followed.
    let elsewhere = Recorder::start(200, "application/json", Some("{}")).await;
    let target = format!("http://{}/v1/users/user_1", elsewhere.addr);
    let redirecting =
        Recorder::with(move |_, _| (302, vec![("location", target.clone())], String::new())).await;
    let error = redirecting
        .clerk()
        .users()
        .get("user_1")
        .send()
        .await
        .expect_err("a redirect is not followed");
    assert_eq!(error.status(), Some(302), "{error}");
    assert!(
        elsewhere.requests().is_empty(),
        "the secret key stayed home"
    );
}

#[tokio::test]
async fn satellites_accept_their_own_frontend_api() {
    let local = LocalClerk::start().await;
    let satellite = local
        .clerk_builder()
        .domain("satellite.example.com")
        .is_satellite(true)
        .build()
        .expect("valid");
    for iss in [
        "https://clerk.satellite.example.com".to_owned(),
        local.issuer(), // development satellites get the primary's Frontend API
    ] {
        satellite
            .verify_token(&local.token("u").issuer(&iss).mint())
            .await
            .unwrap_or_else(|error| panic!("{iss}: {error}"));
    }
    for iss in [
        "https://clerk.other.example.com",
        "https://satellite.example.com",
    ] {
        assert_eq!(
            satellite
                .verify_token(&local.token("u").issuer(iss).mint())
                .await
                .err(),
            Some(VerifyError::InvalidIssuer),
            "{iss}"
        );
    }
    // The domain may be written with a scheme; a domain without the satellite flag is ignored.
    let with_scheme = local
        .clerk_builder()
        .domain("https://satellite.example.com/")
        .is_satellite(true)
        .build()
        .expect("valid");
    with_scheme
        .verify_token(
            &local
                .token("u")
                .issuer("https://clerk.satellite.example.com")
                .mint(),
        )
        .await
        .expect("same issuer");
    let not_satellite = local
        .clerk_builder()
        .domain("satellite.example.com")
        .build()
        .expect("valid");
    assert_eq!(
        not_satellite
            .verify_token(
                &local
                    .token("u")
                    .issuer("https://clerk.satellite.example.com")
                    .mint()
            )
            .await
            .err(),
        Some(VerifyError::InvalidIssuer)
    );
    // A satellite needs a domain or a proxy, as in Clerk's SDKs.
    let error = local
        .clerk_builder()
        .is_satellite(true)
        .build()
        .expect_err("no domain");
    assert!(
        matches!(
            error,
            ConfigError::Invalid {
                setting: "CLERK_IS_SATELLITE",
                ..
            }
        ),
        "{error}"
    );
    let proxied = local
        .clerk_builder()
        .is_satellite(true)
        .proxy_url("https://satellite.example.com/__clerk")
        .build()
        .expect("a proxy instead of a domain");
    proxied
        .verify_token(&local.token("u").mint())
        .await
        .expect("the publishable key's issuer");
    assert!(matches!(
        local
            .clerk_builder()
            .domain("bad domain/")
            .is_satellite(true)
            .build(),
        Err(ConfigError::Invalid {
            setting: "CLERK_DOMAIN",
            ..
        })
    ));
}
