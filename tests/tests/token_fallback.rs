//! The token fallback (`ClerkOptions::token_fallback`): a session token in the
//! `Sec-WebSocket-Protocol` header or a query parameter, for WebSocket upgrades a browser
//! cannot add headers to. A real WebSocket upgrade in each framework (axum's `ws`, actix-ws)
//! on 127.0.0.1, tokio-tungstenite as the client, LocalClerk-issued tokens, the same contract
//! for both:
//!
//! | path | layer | handler |
//! |---|---|---|
//! | `/protocol/ws` | `TokenFallback::websocket_protocol("clerk")` | `ClerkSession`, upgrade selecting `clerk`, sends the user id |
//! | `/query/ws` | `TokenFallback::query("token")` | the same |
//! | `/off/ws` | no fallback | the same |
//!
//! Every layer has the debug headers on, so a refusal names its reason.

use clerk_core::token_fallback::TokenFallback;
use clerk_testing::LocalClerk;
use futures::StreamExt as _;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

/// The subprotocol marker the browser offers before the token, and the app selects.
const MARKER: &str = "clerk";
const USER: &str = "user_ws";
/// The reason of a request with no token: LocalClerk is a development instance, and a request
/// without Clerk's dev browser token is signed out with Clerk's `dev-browser-missing` (a page
/// would get a handshake; an upgrade is no page).
const NO_TOKEN: &str = "dev-browser-missing";

/// The three mountings: path prefix and fallback.
fn mountings() -> [(&'static str, Option<TokenFallback>); 3] {
    [
        ("/protocol", Some(TokenFallback::websocket_protocol(MARKER))),
        ("/query", Some(TokenFallback::query("token"))),
        ("/off", None),
    ]
}

/// What a connection attempt gave: the user id the handler sent and the selected subprotocol,
/// or the refusal's status and reason.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Upgraded {
        user: String,
        protocol: Option<String>,
    },
    Refused {
        status: u16,
        reason: Option<String>,
    },
}

fn refused(reason: &str) -> Outcome {
    Outcome::Refused {
        status: 401,
        reason: Some(reason.to_owned()),
    }
}

fn upgraded(protocol: Option<&str>) -> Outcome {
    Outcome::Upgraded {
        user: USER.to_owned(),
        protocol: protocol.map(str::to_owned),
    }
}

/// Connects to `ws://{addr}{path}` with `headers`, and reads the first message.
async fn connect(addr: std::net::SocketAddr, path: &str, headers: &[(&str, &str)]) -> Outcome {
    let mut request = format!("ws://{addr}{path}")
        .into_client_request()
        .expect("a WebSocket request");
    for (name, value) in headers {
        request.headers_mut().append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            http::HeaderValue::from_str(value).expect("a header value"),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut socket, response)) => {
            let protocol = response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let user = match socket.next().await {
                Some(Ok(tungstenite::Message::Text(text))) => text.to_string(),
                other => format!("no text message: {other:?}"),
            };
            Outcome::Upgraded { user, protocol }
        }
        Err(tungstenite::Error::Http(response)) => Outcome::Refused {
            status: response.status().as_u16(),
            reason: response
                .headers()
                .get("x-clerk-auth-reason")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        },
        Err(error) => panic!("{path}: the connection failed otherwise: {error}"),
    }
}

/// The contract, against an app on `addr`.
async fn contract(local: &LocalClerk, addr: std::net::SocketAddr) {
    let good = local.token(USER).mint();
    let expired = local.token(USER).expires_in(-60).mint();
    let other_instance = LocalClerk::start().await.token(USER).mint();
    let offer = |token: &str| format!("{MARKER}, {token}");

    // The protocol form: the token after the marker; the app selects the marker, never the
    // token.
    let protocol = "/protocol/ws";
    assert_eq!(
        connect(addr, protocol, &[("sec-websocket-protocol", &offer(&good))]).await,
        upgraded(Some(MARKER))
    );
    assert_eq!(connect(addr, protocol, &[]).await, refused(NO_TOKEN));
    assert_eq!(
        connect(
            addr,
            protocol,
            &[("sec-websocket-protocol", &offer(&expired))]
        )
        .await,
        refused("token-expired")
    );
    assert_eq!(
        connect(
            addr,
            protocol,
            &[("sec-websocket-protocol", &offer("not.a.jwt"))]
        )
        .await,
        refused("token-invalid")
    );
    assert_eq!(
        connect(
            addr,
            protocol,
            &[("sec-websocket-protocol", &offer(&other_instance))]
        )
        .await,
        refused("jwk-kid-mismatch")
    );
    // A marker with nothing after it.
    assert_eq!(
        connect(addr, protocol, &[("sec-websocket-protocol", MARKER)]).await,
        refused("token-invalid")
    );
    // The query parameter is not this mounting's fallback.
    assert_eq!(
        connect(addr, &format!("{protocol}?token={good}"), &[]).await,
        refused(NO_TOKEN)
    );
    // An `Authorization` header wins, even a bad one: the fallback is not read.
    assert_eq!(
        connect(
            addr,
            protocol,
            &[
                ("sec-websocket-protocol", &offer(&good)),
                ("authorization", "Bearer not.a.jwt"),
            ]
        )
        .await,
        refused("token-invalid")
    );

    // The query form.
    let query = "/query/ws";
    assert_eq!(
        connect(addr, &format!("{query}?token={good}"), &[]).await,
        upgraded(None)
    );
    assert_eq!(
        connect(addr, &format!("{query}?token={expired}"), &[]).await,
        refused("token-expired")
    );
    assert_eq!(
        connect(addr, &format!("{query}?token=garbage"), &[]).await,
        refused("token-invalid")
    );
    assert_eq!(
        connect(addr, &format!("{query}?other={good}"), &[]).await,
        refused(NO_TOKEN)
    );

    // The option off: the query token is ignored, and so is the protocol's.
    let off = "/off/ws";
    assert_eq!(
        connect(addr, &format!("{off}?token={good}"), &[]).await,
        refused(NO_TOKEN)
    );
    assert_eq!(
        connect(addr, off, &[("sec-websocket-protocol", &offer(&good))]).await,
        refused(NO_TOKEN)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_upgrades_with_a_token_from_the_protocol_or_the_query() {
    use axum::Router;
    use axum::extract::ws::{Message, WebSocketUpgrade};
    use axum::response::Response;
    use axum::routing::get;
    use clerk_axum::{ClerkLayer, ClerkOptions, ClerkSession};

    async fn ws(ClerkSession(claims): ClerkSession, upgrade: WebSocketUpgrade) -> Response {
        let user = claims.user_id().to_owned();
        // Selects the marker when the client offered it: never the token.
        upgrade
            .protocols([MARKER])
            .on_upgrade(move |mut socket| async move {
                let _ = socket.send(Message::Text(user.into())).await;
                let _ = socket.send(Message::Close(None)).await;
            })
    }

    let local = LocalClerk::start().await;
    let mut app = Router::new();
    for (prefix, fallback) in mountings() {
        let mut options = ClerkOptions::new(local.clerk()).debug_headers(true);
        if let Some(fallback) = fallback {
            options = options.token_fallback(fallback);
        }
        app = app.nest(
            prefix,
            Router::new()
                .route("/ws", get(ws))
                .layer(ClerkLayer::new(options)),
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(axum::serve(listener, app).into_future());
    contract(&local, addr).await;
    server.abort();
}

#[actix_web::test]
async fn actix_upgrades_with_a_token_from_the_protocol_or_the_query() {
    use actix_web::http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
    use actix_web::{App, HttpRequest, HttpResponse, web};
    use clerk_actix::{ClerkMiddleware, ClerkOptions, ClerkSession};

    async fn ws(
        ClerkSession(claims): ClerkSession,
        request: HttpRequest,
        body: web::Payload,
    ) -> Result<HttpResponse, actix_web::Error> {
        let offered = request
            .headers()
            .get_all(SEC_WEBSOCKET_PROTOCOL)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|p| p.trim() == MARKER);
        let (mut response, mut session, stream) = actix_ws::handle(&request, body)?;
        // Selects the marker when the client offered it: never the token.
        if offered {
            response
                .headers_mut()
                .insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(MARKER));
        }
        let user = claims.user_id().to_owned();
        actix_web::rt::spawn(async move {
            let _stream = stream;
            let _ = session.text(user).await;
            let _ = session.close(None).await;
        });
        Ok(response)
    }

    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = actix_web::HttpServer::new(move || {
        let mut app = App::new();
        for (prefix, fallback) in mountings() {
            let mut options = ClerkOptions::new(clerk.clone()).debug_headers(true);
            if let Some(fallback) = fallback {
                options = options.token_fallback(fallback);
            }
            app = app.service(
                web::scope(prefix)
                    .wrap(ClerkMiddleware::new(options))
                    .route("/ws", web::get().to(ws)),
            );
        }
        app
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    contract(&local, addr).await;
    handle.stop(true).await;
}
