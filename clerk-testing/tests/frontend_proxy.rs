//! LocalClerk's Frontend API reached through an app's Frontend API proxy: the proxy headers
//! (`Clerk-Proxy-Url`, `Clerk-Secret-Key`) are checked before any page or handshake, over real
//! HTTP on 127.0.0.1. (The proxies themselves are tested in `tests/tests/frontend_api_proxy.rs`.)

use clerk_testing::LocalClerk;

const PROXY_URL: &str = "https://app.example.com/__clerk";

async fn sign_in_page(local: &LocalClerk, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = reqwest::Client::new().get(
        local
            .frontend()
            .sign_in_url("http://127.0.0.1:3000/dashboard"),
    );
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("LocalClerk answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

fn code(body: &str) -> String {
    let body: serde_json::Value = serde_json::from_str(body).expect("Clerk's error shape");
    body["errors"][0]["code"]
        .as_str()
        .expect("a code")
        .to_owned()
}

#[tokio::test]
async fn the_proxy_headers_are_checked_before_the_frontend_api_answers() {
    let local = LocalClerk::start().await;
    let secret = local.secret_key().to_owned();

    // No proxy headers: a browser talking to the Frontend API directly.
    let (status, body) = sign_in_page(&local, &[]).await;
    assert_eq!(status, 200, "{body}");

    // Through a proxy with the instance's secret key.
    let (status, body) = sign_in_page(
        &local,
        &[
            ("clerk-proxy-url", PROXY_URL),
            ("clerk-secret-key", &secret),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // A proxy URL without the key.
    let (status, body) = sign_in_page(&local, &[("clerk-proxy-url", PROXY_URL)]).await;
    assert_eq!(
        (status, code(&body)),
        (401, "authentication_invalid".into())
    );

    // Another key, with or without a proxy URL.
    for headers in [
        &[
            ("clerk-proxy-url", PROXY_URL),
            ("clerk-secret-key", "sk_test_another_instance"),
        ][..],
        &[("clerk-secret-key", "sk_test_another_instance")][..],
    ] {
        let (status, body) = sign_in_page(&local, headers).await;
        assert_eq!((status, code(&body)), (401, "clerk_key_invalid".into()));
        assert!(!body.contains(&secret));
    }

    // A proxy URL that is not one.
    for bad in [
        "/__clerk",
        "ftp://app.example.com/__clerk",
        "https://app.example.com/__clerk?x=1",
    ] {
        let (status, body) = sign_in_page(
            &local,
            &[("clerk-proxy-url", bad), ("clerk-secret-key", &secret)],
        )
        .await;
        assert_eq!(
            (status, code(&body)),
            (400, "proxy_url_invalid".into()),
            "{bad}"
        );
    }

    // The handshake is checked the same way.
    let handshake = reqwest::Client::new()
        .get(format!(
            "{}/v1/client/handshake?redirect_url=http%3A%2F%2F127.0.0.1%3A3000%2F",
            local.frontend().url()
        ))
        .header("clerk-proxy-url", PROXY_URL)
        .header("clerk-secret-key", "sk_test_another_instance")
        .send()
        .await
        .expect("LocalClerk answers");
    assert_eq!(handshake.status(), 401);
    assert_eq!(
        local.frontend().handshakes(),
        0,
        "refused before the handshake"
    );
}
