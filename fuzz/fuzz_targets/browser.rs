//! The browser-session pipeline (`clerk_core::browser`) on what a browser, a proxy or the
//! Frontend API controls: the method, the URI, `Host` and `X-Forwarded-*`, `Sec-Fetch-Dest`,
//! `Accept`, the cookies (`__session`, `__client_uat`, `__clerk_db_jwt`, `__refresh_*`,
//! `__clerk_redirect_count`, `__clerk_handshake*`), and a handshake token signed with the
//! instance key whose cookie directives are arbitrary. The client is networkless (no secret
//! key): a nonce or a refresh fails without a call.
//!
//! What must hold: no panic; a redirect goes to the Frontend API's handshake, or (development)
//! back to the request's own origin; the URL a handshake returns to is on the request's own
//! host, never one spliced from a hostile header.
#![no_main]

use arbitrary::Arbitrary;
use clerk_core::Clerk;
use clerk_core::adapter::{Outcome, Pipeline, RequestHead};
use clerk_fuzz::{PUBLIC_KEY, run, sign};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// `pk_test_` + base64(`clerk.fuzz.example.com$`): a development instance.
const PUBLISHABLE_KEY: &str = "pk_test_Y2xlcmsuZnV6ei5leGFtcGxlLmNvbSQ";
const FRONTEND_API: &str = "https://clerk.fuzz.example.com/v1/client/handshake?";

#[derive(Arbitrary, Debug)]
struct Input {
    post: bool,
    uri: String,
    /// (which header, value bytes): 0 Host, 1 X-Forwarded-Host, 2 X-Forwarded-Proto,
    /// 3 Sec-Fetch-Dest, 4 Accept, 5 Cookie, 6 Authorization, other: Referer.
    headers: Vec<(u8, Vec<u8>)>,
    /// Directives of a handshake token signed with the instance key, put in the query.
    handshake: Option<Vec<String>>,
    forwarded: bool,
}

fn pipeline(trust_forwarded: bool) -> &'static Pipeline {
    static PIPELINES: OnceLock<[Pipeline; 2]> = OnceLock::new();
    let [trusting, not] = PIPELINES.get_or_init(|| {
        let clerk = Clerk::builder()
            .jwt_key(PUBLIC_KEY)
            .publishable_key(PUBLISHABLE_KEY)
            .build()
            .expect("valid");
        let options = clerk_core::options::ClerkOptions::new(clerk).debug_headers(true);
        [
            Pipeline::new(options.clone()),
            Pipeline::new(options.trust_forwarded_headers(false)),
        ]
    });
    if trust_forwarded { trusting } else { not }
}

fuzz_target!(|input: Input| {
    let Ok(mut uri) = input.uri.parse::<Uri>() else {
        return;
    };
    if let Some(directives) = &input.handshake {
        let token = sign(
            jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &serde_json::json!({ "handshake": directives }),
        );
        let separator = if uri.query().is_some() { '&' } else { '?' };
        let Ok(with) = format!("{uri}{separator}__clerk_handshake={token}").parse() else {
            return;
        };
        uri = with;
    }
    let mut headers = HeaderMap::new();
    for (which, value) in &input.headers {
        let name = match which {
            0 => http::header::HOST,
            1 => HeaderName::from_static("x-forwarded-host"),
            2 => HeaderName::from_static("x-forwarded-proto"),
            3 => HeaderName::from_static("sec-fetch-dest"),
            4 => http::header::ACCEPT,
            5 => http::header::COOKIE,
            6 => http::header::AUTHORIZATION,
            _ => http::header::REFERER,
        };
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(name, value);
        }
    }
    let method = if input.post { Method::POST } else { Method::GET };
    let head = RequestHead::new(&method, &uri, &headers);
    let outcome = run(pipeline(input.forwarded).authenticate(head));
    let Outcome::Respond(answer) = outcome else {
        return;
    };
    assert_eq!(answer.status, 307);
    let location = answer
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect has a Location");
    let handshake = answer
        .headers
        .get("x-clerk-auth-status")
        .is_some_and(|status| status == "handshake");
    if handshake {
        let query = location
            .strip_prefix(FRONTEND_API)
            .expect("a handshake goes to the Frontend API");
        // The way back is on a host the request named (`Host`, `X-Forwarded-Host` or the
        // URI's authority), never one spliced together from pieces of hostile headers.
        let redirect_url = url_param(query, "redirect_url").expect("a redirect_url");
        let back = url::Url::parse(&redirect_url).expect("an absolute URL");
        let named = headers
            .get_all(http::header::HOST)
            .iter()
            .chain(headers.get_all("x-forwarded-host").iter())
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or_default().trim().to_owned())
            .chain(uri.authority().map(|a| a.as_str().to_owned()))
            .filter_map(|host| url::Url::parse(&format!("http://{host}/")).ok())
            .any(|candidate| candidate.host_str() == back.host_str());
        assert!(named, "{redirect_url} names a host the request did not");
    } else {
        // A development handshake that came back: to the request's own URL, cleaned.
        assert!(
            location.starts_with("http://") || location.starts_with("https://"),
            "{location}"
        );
        let cleaned = url::Url::parse(location).expect("an absolute URL");
        for (name, _) in cleaned.query_pairs() {
            assert!(
                !["__clerk_handshake", "__clerk_handshake_nonce", "__clerk_db_jwt", "__clerk_help"]
                    .contains(&&*name),
                "{location}"
            );
        }
    }
});

fn url_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
