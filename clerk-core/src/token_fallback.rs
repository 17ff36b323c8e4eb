//! Another place to find a session token, for requests that cannot carry it in a header:
//! [`TokenFallback`], set with
//! [`ClerkOptions::token_fallback`](crate::options::ClerkOptions::token_fallback).
//!
//! A browser's `WebSocket` and `EventSource` cannot set an `Authorization` header, and a
//! WebSocket or SSE endpoint on another origin does not get the `__session` cookie. Clerk's Go SDK
//! lets an application supply its own token extractor for these; here there are two forms:
//!
//! - [`TokenFallback::websocket_protocol`] (preferred): the browser offers two subprotocols, a
//!   marker and the token, `new WebSocket(url, ["clerk", token])`, which the browser sends as
//!   `Sec-WebSocket-Protocol: clerk, <token>`. The token is the entry right after the marker.
//!   The application selects the **marker** as the connection's subprotocol (a browser closes a
//!   connection whose server selects none of the offered ones), never the token: the token is
//!   never echoed back in the response.
//! - [`TokenFallback::query`]: `wss://api.example.com/live?token=<token>`, for `EventSource`
//!   and clients that can set nothing else. A token in a URL ends up in access logs, proxy logs
//!   and the browser's history: prefer the protocol form, and send only the short-lived session
//!   token (about 60 s), fetched just before connecting.
//!
//! Either form is read only when the request has no `Authorization` header and no session
//! cookie (the usual carriers always win), and only for session tokens: it is verified exactly
//! as a bearer token is (same checks, same cache, same reasons). A request whose fallback
//! carries a bad, expired or missing token is signed out as any other, so that a WebSocket
//! route behind a guard or an extractor is refused (401) before the upgrade. Browser-session
//! handling (refresh, handshake) never applies to it.
//!
//! ```
//! use clerk_core::options::ClerkOptions;
//! use clerk_core::token_fallback::TokenFallback;
//!
//! # fn demo(clerk: clerk_core::Clerk) {
//! // `Sec-WebSocket-Protocol: clerk, <token>`; the app answers with the subprotocol `clerk`.
//! let options = ClerkOptions::new(clerk).token_fallback(TokenFallback::websocket_protocol("clerk"));
//! # }
//! ```

use std::borrow::Cow;

use http::HeaderName;

use crate::adapter::RequestHead;
use crate::authenticate::TokenSource;

/// The `Sec-WebSocket-Protocol` request header.
pub(crate) const SEC_WEBSOCKET_PROTOCOL: HeaderName =
    HeaderName::from_static("sec-websocket-protocol");

/// Where a request without an `Authorization` header and without a session cookie may carry its
/// session token (see the [module documentation](self)). Off unless set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFallback(Form);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Form {
    Query(String),
    Protocol(String),
}

/// A token found by a [`TokenFallback`], or why it cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found<'a> {
    /// Not there: the request goes on as if there were no fallback.
    Absent,
    /// The token, and where it came from.
    Token(Cow<'a, str>, TokenSource),
    /// The carrier is there but unusable (a repeated parameter, a marker without a token): the
    /// request is signed out with `token-invalid`.
    Invalid(TokenSource),
}

impl TokenFallback {
    /// The subprotocol marker this SDK's documentation uses for
    /// [`websocket_protocol`](Self::websocket_protocol) (Clerk defines none).
    pub const DEFAULT_PROTOCOL_MARKER: &'static str = "clerk";

    /// The token is the value of the query parameter `name` (percent-decoded), e.g.
    /// `TokenFallback::query("token")` for `/live?token=<token>`. A parameter given twice
    /// signs the request out. Tokens in URLs are logged by servers and proxies and kept in
    /// browser history: prefer [`websocket_protocol`](Self::websocket_protocol).
    pub fn query(name: impl Into<String>) -> Self {
        Self(Form::Query(name.into()))
    }

    /// The token is the entry after `marker` in the `Sec-WebSocket-Protocol` header, e.g. with
    /// `TokenFallback::websocket_protocol("clerk")` the browser connects with
    /// `new WebSocket(url, ["clerk", token])`. The application must select `marker` as the
    /// subprotocol of its answer (axum: `WebSocketUpgrade::protocols(["clerk"])`; actix-ws:
    /// a `Sec-WebSocket-Protocol: clerk` header on the handshake response) and never the
    /// token. A marker that is the last entry signs the request out.
    pub fn websocket_protocol(marker: impl Into<String>) -> Self {
        Self(Form::Protocol(marker.into()))
    }

    /// The query parameter's name, for [`query`](Self::query).
    pub fn query_parameter(&self) -> Option<&str> {
        match &self.0 {
            Form::Query(name) => Some(name),
            Form::Protocol(_) => None,
        }
    }

    /// The subprotocol marker, for [`websocket_protocol`](Self::websocket_protocol): the
    /// subprotocol the application selects.
    pub fn protocol_marker(&self) -> Option<&str> {
        match &self.0 {
            Form::Protocol(marker) => Some(marker),
            Form::Query(_) => None,
        }
    }

    /// The token this fallback finds in `head`.
    pub(crate) fn find<'a>(&self, head: RequestHead<'a>) -> Found<'a> {
        match &self.0 {
            Form::Query(name) => {
                let Some(query) = head.uri.query() else {
                    return Found::Absent;
                };
                let mut values = url::form_urlencoded::parse(query.as_bytes())
                    .filter(|(key, _)| key == name.as_str())
                    .map(|(_, value)| value);
                match (values.next(), values.next()) {
                    (None, _) => Found::Absent,
                    (Some(value), None) if !value.is_empty() => {
                        Found::Token(value, TokenSource::Query)
                    }
                    _ => Found::Invalid(TokenSource::Query),
                }
            }
            Form::Protocol(marker) => {
                let mut entries = head
                    .headers
                    .get_all(SEC_WEBSOCKET_PROTOCOL)
                    .iter()
                    .flat_map(|value| value.as_bytes().split(|&b| b == b','))
                    .map(<[u8]>::trim_ascii);
                if !entries.any(|entry| entry == marker.as_bytes()) {
                    return Found::Absent;
                }
                match entries.next().map(std::str::from_utf8) {
                    Some(Ok(token)) if !token.is_empty() => {
                        Found::Token(Cow::Borrowed(token), TokenSource::WebSocketProtocol)
                    }
                    _ => Found::Invalid(TokenSource::WebSocketProtocol),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue, Method, Uri};

    fn find(fallback: &TokenFallback, uri: &str, protocols: &[&str]) -> Found<'static> {
        let uri: Uri = uri.parse().expect("a URI");
        let mut headers = HeaderMap::new();
        for value in protocols {
            headers.append(
                SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        match fallback.find(RequestHead::new(&Method::GET, &uri, &headers)) {
            Found::Token(token, source) => Found::Token(Cow::Owned(token.into_owned()), source),
            Found::Absent => Found::Absent,
            Found::Invalid(source) => Found::Invalid(source),
        }
    }

    fn token(text: &str, source: TokenSource) -> Found<'static> {
        Found::Token(Cow::Owned(text.to_owned()), source)
    }

    #[test]
    fn the_query_form_reads_one_decoded_parameter() {
        let query = TokenFallback::query("token");
        assert_eq!(
            find(&query, "/ws?a=1&token=x.y%2Ez", &[]),
            token("x.y.z", TokenSource::Query)
        );
        assert_eq!(find(&query, "/ws?a=1", &[]), Found::Absent);
        assert_eq!(find(&query, "/ws", &["clerk, x.y.z"]), Found::Absent);
        assert_eq!(
            find(&query, "/ws?token=a&token=b", &[]),
            Found::Invalid(TokenSource::Query)
        );
        assert_eq!(
            find(&query, "/ws?token=", &[]),
            Found::Invalid(TokenSource::Query)
        );
    }

    #[test]
    fn the_protocol_form_reads_the_entry_after_the_marker() {
        let protocol = TokenFallback::websocket_protocol("clerk");
        let found = token("x.y.z", TokenSource::WebSocketProtocol);
        let invalid = Found::Invalid(TokenSource::WebSocketProtocol);
        assert_eq!(find(&protocol, "/ws", &["clerk, x.y.z"]), found);
        assert_eq!(find(&protocol, "/ws", &["chat,clerk ,  x.y.z, v2"]), found);
        assert_eq!(find(&protocol, "/ws", &["chat, clerk", "x.y.z"]), found);
        assert_eq!(find(&protocol, "/ws", &["chat, x.y.z"]), Found::Absent);
        assert_eq!(find(&protocol, "/ws?token=x.y.z", &[]), Found::Absent);
        assert_eq!(find(&protocol, "/ws", &["chat, clerk"]), invalid);
        assert_eq!(find(&protocol, "/ws", &["clerk, , x"]), invalid);
    }
}
