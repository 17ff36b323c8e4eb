//! Hostile headers never panic and always get a definite answer: non-ASCII and non-UTF-8 values,
//! duplicate `Authorization` headers, enormous cookies, more headers than `http::HeaderMap` can
//! hold. In process (actix-web's test request, which has no size limits) and over a real
//! actix-web server on 127.0.0.1 (raw bytes on a TCP socket).

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, test, web};
use clerk_actix::{ClerkMiddleware, ClerkSession, Optional};
use clerk_testing::{LocalClerk, unix_now};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// What a hostile request must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// 200 with this user id.
    User(&'static str),
    /// 401 with this code.
    Rejected(&'static str),
}

struct Hostile {
    name: &'static str,
    headers: Vec<(String, Vec<u8>)>,
    answer: Answer,
}

fn n(name: &str) -> String {
    name.to_owned()
}

const MIB: usize = 1024 * 1024;

fn hostile_requests(token: &str, other: &str) -> Vec<Hostile> {
    let uat = format!("__client_uat={}", unix_now() - 30);
    let bearer = |t: &str| format!("Bearer {t}").into_bytes();
    let mut many_cookies = String::with_capacity(2 * MIB);
    for i in 0..100_000 {
        many_cookies.push_str(&format!("c{i}=v{i}; "));
    }
    many_cookies.push_str(&format!("__session={token}; {uat}"));
    let mut cases = vec![
        Hostile {
            name: "non-ASCII UTF-8 bearer",
            headers: vec![(
                n("authorization"),
                "Bearer héllo.wörld.✓".as_bytes().to_vec(),
            )],
            answer: Answer::Rejected("token-invalid"),
        },
        Hostile {
            name: "non-UTF-8 bearer",
            headers: vec![(
                n("authorization"),
                b"Bearer \xff\xfe\xfd.\xc3\x28.\x80".to_vec(),
            )],
            answer: Answer::Rejected("token-invalid"),
        },
        Hostile {
            name: "non-UTF-8 scheme",
            headers: vec![(n("authorization"), b"\xffearer abc".to_vec())],
            answer: Answer::Rejected("session-token-and-uat-missing"),
        },
        Hostile {
            name: "valid token with a non-ASCII byte appended",
            headers: vec![(
                n("authorization"),
                [bearer(token), b"\xe9".to_vec()].concat(),
            )],
            answer: Answer::Rejected("token-invalid"),
        },
        Hostile {
            name: "non-ASCII UTF-8 session cookie",
            headers: vec![(n("cookie"), format!("__session=\u{e9}; {uat}").into_bytes())],
            answer: Answer::Rejected("token-invalid"),
        },
        Hostile {
            name: "raw non-UTF-8 session cookie",
            headers: vec![(
                n("cookie"),
                [
                    b"__session=\xff\xfe.a.b; ".to_vec(),
                    uat.clone().into_bytes(),
                ]
                .concat(),
            )],
            answer: Answer::Rejected("token-invalid"),
        },
        Hostile {
            name: "non-ASCII, non-numeric client_uat",
            headers: vec![(
                n("cookie"),
                format!("__session={token}; __client_uat=\u{ff}").into_bytes(),
            )],
            // Like Clerk: a client_uat that is not a number counts as 0 (signed out).
            answer: Answer::Rejected("session-token-but-no-client-uat"),
        },
        Hostile {
            name: "non-UTF-8 junk cookies around a valid session",
            headers: vec![(
                n("cookie"),
                [
                    b"\xff\xfe=\x80; ;;=; a".to_vec(),
                    format!("; __session={token}; {uat}").into_bytes(),
                ]
                .concat(),
            )],
            answer: Answer::User("user_1"),
        },
        Hostile {
            name: "non-UTF-8 unrelated header with a valid bearer",
            headers: vec![
                (n("x-junk"), b"\xff\xfe\x80".to_vec()),
                (n("authorization"), bearer(token)),
            ],
            answer: Answer::User("user_1"),
        },
        Hostile {
            name: "duplicate Authorization, both valid",
            headers: vec![
                (n("authorization"), bearer(token)),
                (n("authorization"), bearer(other)),
            ],
            answer: Answer::Rejected("authorization-header-invalid"),
        },
        Hostile {
            name: "duplicate Authorization, valid then garbage",
            headers: vec![
                (n("authorization"), bearer(token)),
                (n("authorization"), b"\xff".to_vec()),
            ],
            answer: Answer::Rejected("authorization-header-invalid"),
        },
        Hostile {
            name: "duplicate Authorization, Basic and Bearer",
            headers: vec![
                (n("authorization"), b"Basic dXNlcjpwYXNz".to_vec()),
                (n("authorization"), bearer(token)),
            ],
            answer: Answer::Rejected("authorization-header-invalid"),
        },
        Hostile {
            name: "enormous session cookie (1 MiB)",
            headers: vec![(
                n("cookie"),
                format!("__session={}; {uat}", "a".repeat(MIB)).into_bytes(),
            )],
            answer: Answer::Rejected("token-too-large"),
        },
        Hostile {
            name: "enormous unrelated cookie (1 MiB) and a valid session",
            headers: vec![(
                n("cookie"),
                format!("theme={}; __session={token}; {uat}", "x".repeat(MIB)).into_bytes(),
            )],
            answer: Answer::User("user_1"),
        },
        Hostile {
            name: "100 000 cookies in one header, then a valid session",
            headers: vec![(n("cookie"), many_cookies.into_bytes())],
            answer: Answer::User("user_1"),
        },
        Hostile {
            name: "enormous bearer (1 MiB)",
            headers: vec![(n("authorization"), bearer(&"a".repeat(MIB)))],
            answer: Answer::Rejected("token-too-large"),
        },
        Hostile {
            name: "enormous bearer of dots (1 MiB)",
            headers: vec![(n("authorization"), bearer(&".".repeat(MIB)))],
            answer: Answer::Rejected("token-too-large"),
        },
    ];
    // 10 000 separate Cookie headers, the session in the last one.
    let mut headers: Vec<(String, Vec<u8>)> = (0..10_000)
        .map(|i| (n("cookie"), format!("c{i}=v").into_bytes()))
        .collect();
    headers.push((
        n("cookie"),
        format!("__session={token}; {uat}").into_bytes(),
    ));
    cases.push(Hostile {
        name: "10 000 Cookie headers, then a valid session",
        headers,
        answer: Answer::User("user_1"),
    });
    // More header names than `http::HeaderMap` holds (32 768), the credentials last.
    let mut headers: Vec<(String, Vec<u8>)> = (0..40_000)
        .map(|i| (format!("x-junk-{i}"), b"junk".to_vec()))
        .collect();
    headers.push((n("authorization"), bearer(token)));
    cases.push(Hostile {
        name: "40 000 headers, then a valid bearer",
        headers,
        answer: Answer::User("user_1"),
    });
    cases
}

#[actix_web::test]
async fn hostile_headers_in_process_get_a_definite_answer() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let other = local.token("user_2").mint();
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
    let mut failures = Vec::new();
    for case in hostile_requests(&token, &other) {
        for path in ["/session", "/optional"] {
            let mut request = test::TestRequest::get().uri(path);
            for (name, value) in &case.headers {
                request = request.append_header((
                    HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
                    HeaderValue::from_bytes(value).expect("a valid header value"),
                ));
            }
            let response = test::call_service(&app, request.to_request()).await;
            let status = response.status();
            let body = String::from_utf8_lossy(&test::read_body(response).await).into_owned();
            let got = match status {
                StatusCode::OK => format!("200 {body}"),
                _ => {
                    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                    format!("{} {}", status.as_u16(), json["errors"][0]["code"])
                }
            };
            let expected = match (case.answer, path) {
                (Answer::User(user), _) => format!("200 {user}"),
                (Answer::Rejected(_), "/optional") => "200 anonymous".to_owned(),
                (Answer::Rejected(code), _) => format!("401 \"{code}\""),
            };
            if got != expected {
                failures.push(format!(
                    "{} GET {path}: {got}, expected {expected}",
                    case.name
                ));
            }
            if body.len() > 1024 || body.contains(&token[..40]) {
                failures.push(format!(
                    "{} GET {path}: the body echoes the request",
                    case.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
    let uat = format!("__client_uat={}", unix_now() - 30);
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
            "non-UTF-8 bearer",
            request(b"Authorization: Bearer \xff\xfe\xfd.\xc3\x28.abc\r\n"),
            "401",
            "token-invalid",
        ),
        (
            "non-ASCII UTF-8 bearer",
            request("Authorization: Bearer héllo.wörld.✓\r\n".as_bytes()),
            "401",
            "token-invalid",
        ),
        (
            "non-UTF-8 cookie",
            request(b"Cookie: \xff=\xfe; __session=\xc3\x28; __client_uat=1\r\n"),
            "401",
            "token-invalid",
        ),
        (
            "duplicate Authorization",
            request(
                format!("Authorization: Bearer {token}\r\nAuthorization: Bearer {token}\r\n")
                    .as_bytes(),
            ),
            "401",
            "authorization-header-invalid",
        ),
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
