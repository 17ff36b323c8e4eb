//! What only actix-web has: more headers than `http::HeaderMap` can hold (actix's own header
//! map, in process), and actix-web's own limit on the request head over a real server (raw bytes
//! on a TCP socket), which answers before the middleware and leaves the server up.
//!
//! The hostile headers every adapter must answer the same way (non-ASCII and non-UTF-8 values,
//! duplicate `Authorization` headers, enormous cookies, scheme spelling) are rows of the adapter
//! contract (`hostile_cases`, `huge_header_cases` in the workspace's `tests/` crate), run in
//! process and over real HTTP by `tests/actix_contract.rs`.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, test, web};
use clerk_actix::{ClerkMiddleware, ClerkSession, Optional};
use clerk_testing::{LocalClerk, unix_now};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const MIB: usize = 1024 * 1024;

/// More header names than `http::HeaderMap` holds (32 768): actix-web's own header map takes
/// them, and the middleware still finds the credentials (the last header). Every other hostile
/// header (non-UTF-8, duplicate `Authorization`, enormous cookies) is in the adapter contract
/// (`hostile_cases`, `huge_header_cases` in the workspace's `tests/` crate), for both adapters.
#[actix_web::test]
async fn more_headers_than_http_header_map_holds_in_process() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let app = test::init_service(
        App::new()
            .wrap(ClerkMiddleware::new(local.clerk()))
            .route(
                "/session",
                web::get()
                    .to(|ClerkSession(c): ClerkSession| async move { c.user_id().to_owned() }),
            )
            .route(
                "/optional",
                web::get().to(|Optional(s): Optional<ClerkSession>| async move {
                    s.map_or("anonymous".to_owned(), |s| s.user_id().to_owned())
                }),
            ),
    )
    .await;
    for path in ["/session", "/optional"] {
        let mut request = test::TestRequest::get().uri(path);
        for i in 0..40_000 {
            request = request.append_header((
                HeaderName::from_bytes(format!("x-junk-{i}").as_bytes()).expect("a header name"),
                HeaderValue::from_static("junk"),
            ));
        }
        request = request.append_header(("authorization", format!("Bearer {token}")));
        let response = test::call_service(&app, request.to_request()).await;
        let status = response.status();
        let body = test::read_body(response).await;
        assert_eq!(
            (status, &body[..]),
            (StatusCode::OK, &b"user_1"[..]),
            "{path}"
        );
    }
}

/// Sends raw bytes to `addr` and returns the response's status line and body.
async fn raw_request(addr: std::net::SocketAddr, request: &[u8]) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // The server may answer and close before reading everything: ignore write errors.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.lines().next().unwrap_or_default().to_owned();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[actix_web::test]
async fn hostile_headers_over_real_http_never_take_the_server_down() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    // With the dev browser token, which Clerk requires beside the session on a development
    // instance.
    let uat = format!("__client_uat={}; __clerk_db_jwt=dvb_test", unix_now() - 30);
    let middleware = ClerkMiddleware::new(local.clerk());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = actix_web::HttpServer::new(move || {
        App::new().wrap(middleware.clone()).route(
            "/session",
            web::get().to(|ClerkSession(c): ClerkSession| async move { c.user_id().to_owned() }),
        )
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let request = |headers: &[u8]| {
        [
            b"GET /session HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".as_slice(),
            headers,
            b"\r\n",
        ]
        .concat()
    };
    let valid = request(format!("Authorization: Bearer {token}\r\n").as_bytes());

    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "enormous cookie (1 MiB)",
            request(format!("Cookie: __session={}\r\n", "a".repeat(MIB)).as_bytes()),
            // actix-web's own limit on the request head answers before any handler runs.
            "431",
            "",
        ),
        (
            "enormous cookie (100 KiB)",
            request(
                format!(
                    "Cookie: theme={}; __session={token}; {uat}\r\n",
                    "x".repeat(100 * 1024)
                )
                .as_bytes(),
            ),
            // Under actix-web's limit: authenticated normally.
            "200",
            "user_1",
        ),
        (
            "valid, after the hostile ones",
            valid.clone(),
            "200",
            "user_1",
        ),
    ];
    for (name, bytes, status, body) in cases {
        let (got_status, got_body) = raw_request(addr, &bytes).await;
        assert!(
            got_status.starts_with("HTTP/1.1 ") && got_status.contains(status),
            "{name}: {got_status}"
        );
        assert!(got_body.contains(body), "{name}: {got_body}");
        assert!(
            !got_body.contains(&token[..40]),
            "{name}: the body echoes the token"
        );
        // The server is still there and still authenticates.
        let (status, body) = raw_request(addr, &valid).await;
        assert_eq!(
            (status.as_str(), body.as_str()),
            ("HTTP/1.1 200 OK", "user_1"),
            "after {name}"
        );
    }
    handle.stop(true).await;
}
