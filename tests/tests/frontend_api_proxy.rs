//! The Frontend API proxy (`clerk_core::proxy`), through an Axum app and an actix-web app, over
//! real HTTP on 127.0.0.1: LocalClerk's Frontend API reached under `/__clerk` (its sign-in
//! page, a sign-in, the handshake, then the app signed in), and a purpose-built upstream that
//! records what it receives, to check exactly what is forwarded and what comes back.
//!
//! Each app mounts several proxies, each its own layer / middleware, outermost:
//!
//! | path | goes to | settings |
//! |---|---|---|
//! | `/__clerk` | LocalClerk (the publishable key's Frontend API) | defaults |
//! | `/__echo` | the recording upstream | defaults (forwarded headers trusted, as Clerk) |
//! | `/__strict` | the recording upstream | `trust_forwarded_headers(false)` |
//! | `/__fixed` | the recording upstream | `public_origin("https://app.example.com")` |
//! | `/__slow` | the recording upstream | `response_timeout(300 ms)` |
//! | `/__down` | a closed port | defaults |
//! | `/__wrong` | LocalClerk | another instance's secret key |

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clerk_core::proxy::FrontendApiProxy;
use clerk_testing::{LocalClerk, NewUser};
use futures::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::Notify;

/// What the recording upstream answers on `/gzip`: bytes said to be gzip (they are not: a
/// proxy must not look).
const GZIP_BYTES: &[u8] = b"\x1f\x8b\x08\x00not really gzip";

// ---------------------------------------------------------------------------------------------
// The recording upstream: a stand-in Frontend API on 127.0.0.1.

/// A request the upstream received: method, target as sent, every header.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn one(&self, name: &str) -> &str {
        match self.all(name).as_slice() {
            [value] => value,
            other => panic!("{name}: {other:?} in {self:#?}"),
        }
    }
}

#[derive(Clone, Default)]
struct Upstream {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Notified when `/stream-up` starts (before its body is read).
    started: Arc<Notify>,
    /// Awaited by `/stream-down` between its two chunks.
    release: Arc<Notify>,
    url: String,
}

impl Upstream {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("an address");
        let upstream = Self {
            url: format!("http://{addr}"),
            ..Self::default()
        };
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(upstream.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        upstream
    }

    fn count(&self) -> usize {
        self.seen.lock().expect("seen").len()
    }

    fn last(&self) -> Seen {
        self.seen
            .lock()
            .expect("seen")
            .last()
            .cloned()
            .expect("a request reached the upstream")
    }

    fn authority(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

async fn answer(State(upstream): State<Upstream>, request: Request) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    upstream.seen.lock().expect("seen").push(Seen {
        method: request.method().to_string(),
        target: target.clone(),
        headers: request
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    });
    let path = target.split('?').next().unwrap_or_default().to_owned();
    match path.as_str() {
        // The body back, streamed.
        "/echo" => Response::new(Body::new(request.into_body())),
        "/stream-up" => {
            upstream.started.notify_one();
            let body = axum::body::to_bytes(request.into_body(), usize::MAX)
                .await
                .expect("the body");
            body.len().to_string().into_response()
        }
        "/stream-down" => {
            let release = upstream.release.clone();
            let chunks = futures::stream::unfold(0, move |step| {
                let release = release.clone();
                async move {
                    match step {
                        0 => Some((Ok::<_, std::io::Error>("first;"), 1)),
                        1 => {
                            release.notified().await;
                            Some((Ok("second"), 2))
                        }
                        _ => None,
                    }
                }
            });
            Response::new(Body::from_stream(chunks))
        }
        "/cookies" => {
            let mut response = "cookies".into_response();
            for cookie in [
                "__client=abc; Path=/; HttpOnly; Secure",
                "__client_uat=1700000000; Path=/; Secure",
                "__session=xyz; Path=/; HttpOnly; Secure",
            ] {
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, HeaderValue::from_static(cookie));
            }
            response
        }
        "/redirect" => redirect(&format!("{}/v1/next?x=1", upstream.url)),
        "/redirect-relative" => redirect("/v1/rel?y=2"),
        "/redirect-away" => redirect("https://accounts.google.com/o/oauth2?x=1"),
        "/gzip" => (
            [
                (header::CONTENT_ENCODING, "gzip"),
                (header::CONTENT_TYPE, "application/octet-stream"),
            ],
            GZIP_BYTES,
        )
            .into_response(),
        "/hang" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late".into_response()
        }
        _ => match path.strip_prefix("/status/").and_then(|s| s.parse().ok()) {
            Some(status) => StatusCode::from_u16(status)
                .unwrap_or(StatusCode::IM_A_TEAPOT)
                .into_response(),
            None => "ok".into_response(),
        },
    }
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [(
            header::LOCATION,
            HeaderValue::from_str(location).expect("a location"),
        )],
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// The apps.

/// The proxies of the table in the module docs.
fn proxies(local: &LocalClerk, upstream: &Upstream, down: &str) -> Vec<FrontendApiProxy> {
    let clerk = local.clerk();
    let echo = |path: &str| {
        FrontendApiProxy::builder(&clerk)
            .path(path)
            .frontend_api_url(&upstream.url)
    };
    let wrong_key = clerk_core::Clerk::builder()
        .publishable_key(local.publishable_key())
        .secret_key("sk_test_not_this_instance")
        .api_url(local.api_url())
        .build()
        .expect("valid");
    vec![
        FrontendApiProxy::new(&clerk).expect("the default proxy"),
        echo("/__echo").build().expect("echo"),
        echo("/__strict")
            .trust_forwarded_headers(false)
            .build()
            .expect("strict"),
        echo("/__fixed")
            .public_origin(FIXED_ORIGIN)
            .build()
            .expect("fixed"),
        echo("/__slow")
            .response_timeout(Duration::from_millis(300))
            .build()
            .expect("slow"),
        FrontendApiProxy::builder(&clerk)
            .path("/__down")
            .frontend_api_url(down)
            .build()
            .expect("down"),
        FrontendApiProxy::builder(&wrong_key)
            .path("/__wrong")
            .build()
            .expect("wrong"),
    ]
}

const SIGNED_OUT: &str = "signed out";

/// The public origin of the `/__fixed` proxy.
const FIXED_ORIGIN: &str = "https://app.example.com";

mod axum_app {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use clerk_axum::{ClerkLayer, ClerkOptions, ClerkSession, FrontendApiProxyLayer};

    pub async fn serve(clerk: clerk_core::Clerk, proxies: Vec<FrontendApiProxy>) -> String {
        let mut app = Router::new()
            .route(
                "/page",
                get(|session: Option<ClerkSession>| async move {
                    session.map_or(SIGNED_OUT.to_owned(), |s| s.user_id().to_owned())
                }),
            )
            .layer(ClerkLayer::new(ClerkOptions::new(clerk)));
        for proxy in proxies {
            app = app.layer(FrontendApiProxyLayer::new(proxy));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        format!("http://{addr}")
    }
}

mod actix_app {
    use super::*;
    use actix_web::{App, HttpServer, web};
    use clerk_actix::{
        ClerkMiddleware, ClerkOptions, ClerkSession, FrontendApiProxyMiddleware, Optional,
    };

    pub async fn serve(clerk: clerk_core::Clerk, proxies: Vec<FrontendApiProxy>) -> String {
        async fn page(session: Optional<ClerkSession>) -> String {
            session
                .0
                .map_or(SIGNED_OUT.to_owned(), |s| s.user_id().to_owned())
        }
        let [a, b, c, d, e, f, g]: [FrontendApiProxy; 7] =
            proxies.try_into().expect("seven proxies");
        let server = HttpServer::new(move || {
            App::new()
                .wrap(ClerkMiddleware::new(ClerkOptions::new(clerk.clone())))
                .wrap(FrontendApiProxyMiddleware::new(a.clone()))
                .wrap(FrontendApiProxyMiddleware::new(b.clone()))
                .wrap(FrontendApiProxyMiddleware::new(c.clone()))
                .wrap(FrontendApiProxyMiddleware::new(d.clone()))
                .wrap(FrontendApiProxyMiddleware::new(e.clone()))
                .wrap(FrontendApiProxyMiddleware::new(f.clone()))
                .wrap(FrontendApiProxyMiddleware::new(g.clone()))
                .route("/page", web::get().to(page))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("a port");
        let addr = server.addrs()[0];
        actix_web::rt::spawn(server.run());
        format!("http://{addr}")
    }
}

// ---------------------------------------------------------------------------------------------
// The client: every answer is kept, to search it for the secret key at the end.

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("JSON: {}", self.text()))
    }
}

struct Client {
    http: reqwest::Client,
    transcript: Mutex<Vec<u8>>,
}

impl Client {
    fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
            transcript: Mutex::new(Vec::new()),
        }
    }

    fn record(&self, head: String, body: &[u8]) {
        let mut transcript = self.transcript.lock().expect("transcript");
        transcript.extend_from_slice(head.as_bytes());
        transcript.extend_from_slice(body);
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the app answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("a body").to_vec();
        self.record(format!("{status} {headers:?}"), &body);
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, url: &str) -> Answer {
        self.send(self.http.get(url)).await
    }

    /// A request written by hand (the HTTP client would normalize `..` or refuse odd headers):
    /// `head` is the request line and headers; `Connection: close` is the caller's to add.
    async fn raw(&self, app: &str, head: &str) -> Answer {
        let addr = app.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(format!("{head}\r\n\r\n").as_bytes())
            .await
            .expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a head");
        let (head_bytes, body) = (&raw[..split], raw[split + 4..].to_vec());
        let head_text = String::from_utf8_lossy(head_bytes).into_owned();
        self.record(head_text.clone(), &body);
        let mut lines = head_text.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status");
        let mut headers = reqwest::header::HeaderMap::new();
        for line in lines {
            if let Some((name, value)) = line.split_once(':')
                && let (Ok(name), Ok(value)) = (
                    reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()),
                    reqwest::header::HeaderValue::from_str(value.trim()),
                )
            {
                headers.append(name, value);
            }
        }
        Answer {
            status,
            headers,
            body,
        }
    }

    fn assert_never_saw(&self, secret: &str) {
        let transcript = self.transcript.lock().expect("transcript");
        assert!(!transcript.is_empty());
        let found = transcript
            .windows(secret.len())
            .any(|w| w == secret.as_bytes());
        assert!(!found, "the secret key reached the client");
    }
}

fn host_of(app: &str) -> &str {
    app.trim_start_matches("http://")
}

/// `name=value` of each `Set-Cookie`, as one `Cookie` header.
fn cookie_header(set_cookies: &[&str]) -> String {
    set_cookies
        .iter()
        .filter_map(|c| c.split(';').next())
        .filter(|pair| !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------------------------------------
// The scenario, the same for both frameworks.

async fn scenario(app: &str, local: &LocalClerk, upstream: &Upstream) {
    let client = Client::new();
    frontend_api_through_the_proxy(&client, app, local).await;
    headers_sent_up(&client, app, upstream).await;
    hostile_forwarding_headers(&client, app, upstream).await;
    answers_come_back(&client, app, upstream).await;
    bodies_stream_both_ways(&client, app, upstream).await;
    nothing_leaves_the_proxy_path_or_the_frontend_api(&client, app, upstream).await;
    failures_are_clerks_errors_without_details(&client, app).await;
    client.assert_never_saw(local.secret_key());
}

/// LocalClerk's pages and handshake under `/__clerk`; ClerkLayer never sees them.
async fn frontend_api_through_the_proxy(client: &Client, app: &str, local: &LocalClerk) {
    let user = local
        .users()
        .create(NewUser::with_email("proxied@example.com"))
        .id
        .clone();
    let back = format!("{app}/page");
    let query = |extra: &[(&str, &str)]| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("redirect_url", &back);
        for (name, value) in extra {
            query.append_pair(name, value);
        }
        query.finish()
    };

    // The sign-in page, as a browser navigation whose cookies would make ClerkLayer answer
    // with a handshake (`__client_uat` without `__session`): the proxy answers first.
    let page = client
        .send(
            client
                .http
                .get(format!("{app}/__clerk/sign-in?{}", query(&[])))
                .header("accept", "text/html")
                .header("sec-fetch-dest", "document")
                .header("cookie", "__client_uat=1700000000; __clerk_db_jwt=x"),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("Sign in"), "{}", page.text());
    assert!(page.header("x-clerk-auth-status").is_none());
    let client_cookie = cookie_header(&page.all("set-cookie"));
    assert!(client_cookie.starts_with("__client="), "{client_cookie}");
    let html = page.text();
    let dev_browser = html
        .split("name=\"__clerk_db_jwt\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's dev browser token")
        .to_owned();

    // Signing in: the form posts to the page's own URL, through the proxy; LocalClerk
    // redirects to the app, which is not the Frontend API: the Location is left alone.
    let handshakes = local.frontend().handshakes();
    let signed_in = client
        .send(
            client
                .http
                .post(format!("{app}/__clerk/sign-in"))
                .header("cookie", &client_cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs([
                            ("user_id", user.as_str()),
                            ("redirect_url", back.as_str()),
                            ("__clerk_db_jwt", dev_browser.as_str()),
                        ])
                        .finish(),
                ),
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.text());
    let location = signed_in.header("location").expect("a redirect");
    assert!(location.starts_with(&back), "{location}");

    // Signed in, the page links to the sign-out page relatively: under the proxy path too.
    let page = client
        .send(
            client
                .http
                .get(format!(
                    "{app}/__clerk/sign-in?{}",
                    query(&[("__clerk_db_jwt", &dev_browser)])
                ))
                .header("cookie", &client_cookie),
        )
        .await;
    assert!(page.text().contains("href=\"sign-out?"), "{}", page.text());

    // The handshake through the proxy: back to the app with a nonce, which the app resolves.
    let handshake = client
        .send(
            client
                .http
                .get(format!(
                    "{app}/__clerk/v1/client/handshake?{}",
                    query(&[("format", "nonce"), ("__clerk_db_jwt", &dev_browser)])
                ))
                .header("cookie", &client_cookie),
        )
        .await;
    assert_eq!(handshake.status, 307, "{}", handshake.text());
    assert_eq!(local.frontend().handshakes(), handshakes + 1);
    let location = handshake.header("location").expect("back to the app");
    assert!(
        location.starts_with(&back) && location.contains("__clerk_handshake_nonce="),
        "{location}"
    );
    let resolved = client
        .send(
            client
                .http
                .get(location)
                .header("cookie", format!("__clerk_db_jwt={dev_browser}"))
                .header("accept", "text/html")
                .header("sec-fetch-dest", "document"),
        )
        .await;
    let cookies = cookie_header(&resolved.all("set-cookie"));
    assert!(cookies.contains("__session="), "{cookies}");
    let page = client
        .send(client.http.get(&back).header("cookie", &cookies))
        .await;
    assert_eq!((page.status, page.text()), (200, user.clone()));

    // LocalClerk checks the proxy's headers as Clerk's Frontend API does: another instance's
    // secret key is refused, and the refusal is passed on as it is.
    let wrong = client
        .get(&format!("{app}/__wrong/sign-in?{}", query(&[])))
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    assert_eq!(wrong.json()["errors"][0]["code"], "clerk_key_invalid");
}

/// Exactly which headers reach the Frontend API.
async fn headers_sent_up(client: &Client, app: &str, upstream: &Upstream) {
    let host = host_of(app);
    let hostile = |path: &str| {
        format!(
            "GET {path}/v1/client?_clerk_js_version=5 HTTP/1.1\r\n\
             Host: {host}\r\n\
             Connection: close, X-Custom-Hop\r\n\
             X-Custom-Hop: hop\r\n\
             Keep-Alive: timeout=5\r\n\
             TE: trailers\r\n\
             Proxy-Authorization: Basic eDp5\r\n\
             Clerk-Secret-Key: sk_test_injected_by_the_client\r\n\
             Clerk-Proxy-Url: https://evil.example/__clerk\r\n\
             X-Forwarded-Host: shop.example.com\r\n\
             X-Forwarded-Proto: https\r\n\
             X-Forwarded-For: 203.0.113.5, 10.0.0.1\r\n\
             Forwarded: for=198.51.100.1\r\n\
             Accept-Encoding: gzip, br\r\n\
             Cookie: __client=abc\r\n\
             Cookie: __client_uat=1\r\n\
             User-Agent: proxy-test"
        )
    };
    let secret = |seen: &Seen| seen.one("clerk-secret-key").to_owned();

    // Forwarded headers trusted (the default, as Clerk's proxy): the app is behind a reverse
    // proxy that sets them.
    let answer = client.raw(app, &hostile("/__echo")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let seen = upstream.last();
    assert_eq!(
        (seen.method.as_str(), seen.target.as_str()),
        ("GET", "/v1/client?_clerk_js_version=5")
    );
    assert_eq!(seen.one("host"), upstream.authority());
    for gone in [
        "connection",
        "x-custom-hop",
        "keep-alive",
        "te",
        "proxy-authorization",
    ] {
        assert!(seen.all(gone).is_empty(), "{gone}: {seen:#?}");
    }
    assert_ne!(secret(&seen), "sk_test_injected_by_the_client");
    assert!(secret(&seen).starts_with("sk_test_"));
    assert_eq!(
        seen.one("clerk-proxy-url"),
        "https://shop.example.com/__echo"
    );
    assert_eq!(seen.one("x-forwarded-host"), "shop.example.com");
    assert_eq!(seen.one("x-forwarded-proto"), "https");
    assert_eq!(seen.one("x-forwarded-for"), "203.0.113.5");
    assert_eq!(seen.one("accept-encoding"), "identity");
    assert_eq!(
        seen.all("cookie").join("; "),
        "__client=abc; __client_uat=1"
    );
    assert_eq!(seen.one("user-agent"), "proxy-test");

    // Not trusted: the request's own host and scheme, the peer's address.
    client.raw(app, &hostile("/__strict")).await;
    let strict = upstream.last();
    assert_eq!(secret(&strict), secret(&seen));
    assert_eq!(
        strict.one("clerk-proxy-url"),
        format!("http://{host}/__strict")
    );
    assert_eq!(strict.one("x-forwarded-host"), host);
    assert_eq!(strict.one("x-forwarded-proto"), "http");
    assert_eq!(strict.one("x-forwarded-for"), "127.0.0.1");
    assert!(strict.all("forwarded").is_empty());

    // A plain request: the proxy URL and the forwarded headers are the request's own.
    client.get(&format!("{app}/__echo")).await;
    let plain = upstream.last();
    assert_eq!(plain.target, "/");
    assert_eq!(
        plain.one("clerk-proxy-url"),
        format!("http://{host}/__echo")
    );
    assert_eq!(plain.one("x-forwarded-host"), host);
    assert_eq!(plain.one("x-forwarded-for"), "127.0.0.1");
}

/// A client's own `X-Forwarded-Host` / `X-Forwarded-Proto` (an app reached directly, or a
/// reverse proxy that passes them on) decide the proxy's public origin only as far as the
/// options say: values that are not a host or a web scheme never do, one without the other
/// does not make an origin, `trust_forwarded_headers(false)` and a fixed `public_origin`
/// ignore them, in `Clerk-Proxy-Url`, in the headers sent up and in rewritten `Location`s.
async fn hostile_forwarding_headers(client: &Client, app: &str, upstream: &Upstream) {
    let host = host_of(app);
    let with = |path: &str, headers: &[(&str, &str)]| {
        let mut request = client.http.get(format!("{app}{path}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
    };
    let evil = [
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-for", "203.0.113.66"),
    ];

    // Trusted (the default), but not a host or not a web scheme: the request's own origin,
    // and of the two headers sent up, the valid one and the request's own for the other.
    for (forwarded_host, forwarded_proto, sent_host, sent_proto) in [
        ("evil.example/steal", "https", host, "https"),
        ("user@evil.example", "https", host, "https"),
        ("evil.example", "javascript", "evil.example", "http"),
        ("evil.example, app.internal", "ftp", "evil.example", "http"),
    ] {
        client
            .send(with(
                "/__echo/v1/client",
                &[
                    ("x-forwarded-host", forwarded_host),
                    ("x-forwarded-proto", forwarded_proto),
                ],
            ))
            .await;
        let seen = upstream.last();
        let row = format!("{forwarded_host} {forwarded_proto}");
        assert_eq!(
            seen.one("clerk-proxy-url"),
            format!("http://{host}/__echo"),
            "{row}"
        );
        assert_eq!(seen.one("x-forwarded-host"), sent_host, "{row}");
        assert_eq!(seen.one("x-forwarded-proto"), sent_proto, "{row}");
    }
    // A host without a scheme is not an origin (as Clerk's proxy).
    client
        .send(with(
            "/__echo/v1/client",
            &[("x-forwarded-host", "evil.example")],
        ))
        .await;
    assert_eq!(
        upstream.last().one("clerk-proxy-url"),
        format!("http://{host}/__echo")
    );

    // A Frontend API redirect, rewritten through the proxy: on the forwarded origin only when
    // the forwarded headers are trusted.
    let trusted = client.send(with("/__echo/redirect", &evil)).await;
    assert_eq!(
        trusted.header("location"),
        Some("https://evil.example/__echo/v1/next?x=1"),
        "trusted by default, as Clerk's proxy: the app is meant to sit behind a reverse proxy"
    );
    let strict = client.send(with("/__strict/redirect", &evil)).await;
    assert_eq!(
        strict.header("location"),
        Some(format!("http://{host}/__strict/v1/next?x=1").as_str())
    );
    let seen = upstream.last();
    assert_eq!(
        seen.one("clerk-proxy-url"),
        format!("http://{host}/__strict")
    );
    assert_eq!(seen.one("x-forwarded-host"), host);
    assert_eq!(seen.one("x-forwarded-for"), "127.0.0.1");

    // A fixed public origin: the origin everywhere, whatever the client says.
    let fixed = client.send(with("/__fixed/redirect", &evil)).await;
    assert_eq!(
        fixed.header("location"),
        Some(format!("{FIXED_ORIGIN}/__fixed/v1/next?x=1").as_str())
    );
    let seen = upstream.last();
    assert_eq!(
        seen.one("clerk-proxy-url"),
        format!("{FIXED_ORIGIN}/__fixed")
    );
    assert_eq!(seen.one("x-forwarded-host"), "app.example.com");
    assert_eq!(seen.one("x-forwarded-proto"), "https");
}

/// Status, cookies, redirects and encodings come back as the Frontend API sent them.
async fn answers_come_back(client: &Client, app: &str, upstream: &Upstream) {
    let cookies = client.get(&format!("{app}/__echo/cookies")).await;
    assert_eq!(
        cookies.all("set-cookie"),
        [
            "__client=abc; Path=/; HttpOnly; Secure",
            "__client_uat=1700000000; Path=/; Secure",
            "__session=xyz; Path=/; HttpOnly; Secure",
        ]
    );

    let redirect = client.get(&format!("{app}/__echo/redirect")).await;
    assert_eq!(redirect.status, 302);
    assert_eq!(
        redirect.header("location"),
        Some(format!("{app}/__echo/v1/next?x=1").as_str())
    );
    let relative = client.get(&format!("{app}/__echo/redirect-relative")).await;
    assert_eq!(
        relative.header("location"),
        Some(format!("{app}/__echo/v1/rel?y=2").as_str())
    );
    let away = client.get(&format!("{app}/__echo/redirect-away")).await;
    assert_eq!(
        away.header("location"),
        Some("https://accounts.google.com/o/oauth2?x=1")
    );
    // Redirects are not followed: the upstream saw the redirecting request last.
    assert_eq!(upstream.last().target, "/redirect-away");

    let gzip = client.get(&format!("{app}/__echo/gzip")).await;
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(
        gzip.header("content-length"),
        Some(GZIP_BYTES.len().to_string().as_str())
    );
    assert_eq!(gzip.body, GZIP_BYTES);

    for status in [201, 204, 404, 418, 500, 503] {
        let answer = client.get(&format!("{app}/__echo/status/{status}")).await;
        assert_eq!(answer.status, status);
    }
}

/// Large bodies arrive intact, and neither direction waits for a whole body.
async fn bodies_stream_both_ways(client: &Client, app: &str, upstream: &Upstream) {
    let large: Vec<u8> = (0..8 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let echoed = client
        .send(
            client
                .http
                .post(format!("{app}/__echo/echo"))
                .body(large.clone()),
        )
        .await;
    assert_eq!(echoed.status, 200);
    assert!(echoed.body == large, "the 8 MiB body came back altered");
    assert_eq!(
        upstream.last().one("content-length"),
        large.len().to_string()
    );

    // Chunked (no Content-Length), in 64 KiB pieces.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        large.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let echoed = client
        .send(
            client
                .http
                .put(format!("{app}/__echo/echo"))
                .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks))),
        )
        .await;
    assert!(echoed.body == large, "the chunked body came back altered");

    // Up: the Frontend API starts on the request before the client has finished its body.
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let request = client
        .http
        .post(format!("{app}/__echo/stream-up"))
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let request = tokio::spawn(request);
    sender.send(Ok(vec![b'a'; 1000])).await.expect("sent");
    tokio::time::timeout(Duration::from_secs(10), upstream.started.notified())
        .await
        .expect("the upstream got the request while its body was still being sent");
    sender.send(Ok(vec![b'b'; 24])).await.expect("sent");
    drop(sender);
    let response = request.await.expect("joined").expect("answered");
    assert_eq!(response.text().await.expect("text"), "1024");

    // Down: the client gets the first chunk while the Frontend API still holds the second.
    let response = client
        .http
        .get(format!("{app}/__echo/stream-down"))
        .send()
        .await
        .expect("answered");
    let mut stream = response.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the first chunk arrived before the rest was sent")
        .expect("a chunk")
        .expect("bytes");
    assert_eq!(&first[..], b"first;");
    upstream.release.notify_one();
    let mut rest = Vec::new();
    while let Some(chunk) = stream.next().await {
        rest.extend_from_slice(&chunk.expect("bytes"));
    }
    assert_eq!(rest, b"second");
}

/// A request outside a proxy path is the app's; a path inside one stays on the Frontend API.
async fn nothing_leaves_the_proxy_path_or_the_frontend_api(
    client: &Client,
    app: &str,
    upstream: &Upstream,
) {
    let before = upstream.count();
    for path in ["/__echox/v1/client", "/__ech", "/elsewhere", "/x/__echo/v1"] {
        let answer = client.get(&format!("{app}{path}")).await;
        assert_eq!(answer.status, 404, "{path}");
    }
    assert_eq!(upstream.count(), before, "nothing reached the upstream");

    let host = host_of(app);
    for (path, target) in [
        ("/__echo//evil.com/steal", "//evil.com/steal"),
        ("/__echo/../../etc/passwd", "/etc/passwd"),
        ("/__echo/%2e%2e/%2e%2e/x", "/x"),
        ("/__echo/@evil.com/x", "/@evil.com/x"),
    ] {
        let answer = client
            .raw(
                app,
                &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close"),
            )
            .await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        let seen = upstream.last();
        assert_eq!(
            (seen.target.as_str(), seen.one("host")),
            (target, upstream.authority()),
            "{path}"
        );
    }
}

/// An unreachable or silent Frontend API: Clerk's error shape, nothing of the failure.
async fn failures_are_clerks_errors_without_details(client: &Client, app: &str) {
    let down = client.get(&format!("{app}/__down/v1/client")).await;
    assert_eq!(down.status, 502, "{}", down.text());
    assert_eq!(down.header("cache-control"), Some("no-store"));
    assert_eq!(down.json()["errors"][0]["code"], "proxy_request_failed");
    let text = down.text().to_lowercase();
    for detail in ["127.0.0.1", "refused", "connect", "error sending", "sk_"] {
        assert!(!text.contains(detail), "{detail} in {text}");
    }

    let started = std::time::Instant::now();
    let slow = client.get(&format!("{app}/__slow/hang")).await;
    assert_eq!(slow.status, 504, "{}", slow.text());
    assert_eq!(slow.json()["errors"][0]["code"], "proxy_request_failed");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A port nothing listens on.
async fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = listener.local_addr().expect("an address");
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_proxies_the_frontend_api() {
    let local = LocalClerk::start().await;
    let upstream = Upstream::start().await;
    let proxies = proxies(&local, &upstream, &closed_port().await);
    let app = axum_app::serve(local.clerk(), proxies).await;
    scenario(&app, &local, &upstream).await;
}

#[actix_web::test]
async fn actix_proxies_the_frontend_api() {
    let local = LocalClerk::start().await;
    let upstream = Upstream::start().await;
    let proxies = proxies(&local, &upstream, &closed_port().await);
    let app = actix_app::serve(local.clerk(), proxies).await;
    scenario(&app, &local, &upstream).await;
}
