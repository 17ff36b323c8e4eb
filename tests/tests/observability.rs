//! Tracing against LocalClerk: the spans and events clerk-core records (their fields, by name
//! and value, and that no token, secret key, cookie value or user id is ever in one).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

mod observed;

use clerk_core::RequestState;
use clerk_testing::{Fault, LocalClerk, NewUser};
use http::HeaderMap;
use observed::{client, refetch_allowed};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One span or event as a subscriber sees it: its name (a span's) or message (an event's), its
/// level, and every field by name, values as `Debug` prints them (strings unquoted).
#[derive(Debug, Clone, Default)]
struct Recorded {
    name: String,
    level: String,
    fields: BTreeMap<String, String>,
}

impl Recorded {
    fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

impl Visit for Recorded {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields
            .insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.fields
            .insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// A subscriber that keeps everything: spans (with the fields recorded later) and events.
#[derive(Clone, Default)]
struct Capture {
    next_id: Arc<AtomicU64>,
    spans: Arc<Mutex<BTreeMap<u64, Recorded>>>,
    events: Arc<Mutex<Vec<Recorded>>>,
}

impl Capture {
    fn spans(&self) -> Vec<Recorded> {
        self.spans.lock().expect("lock").values().cloned().collect()
    }

    fn events(&self) -> Vec<Recorded> {
        self.events.lock().expect("lock").clone()
    }

    fn api_spans(&self, operation: &str) -> Vec<Recorded> {
        self.spans()
            .into_iter()
            .filter(|span| {
                span.name == "clerk.api" && span.get("clerk.operation") == Some(operation)
            })
            .collect()
    }

    fn events_with(&self, field: &str, value: &str) -> Vec<Recorded> {
        self.events()
            .into_iter()
            .filter(|event| event.get(field) == Some(value))
            .collect()
    }

    /// Every recorded name and value, as one text to search.
    fn everything(&self) -> String {
        self.spans()
            .into_iter()
            .chain(self.events())
            .map(|r| format!("{} {:?}\n", r.name, r.fields))
            .collect()
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut span = Recorded {
            name: attributes.metadata().name().to_owned(),
            level: attributes.metadata().level().to_string(),
            ..Recorded::default()
        };
        attributes.record(&mut span);
        self.spans.lock().expect("lock").insert(id, span);
        Id::from_u64(id)
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        if let Some(span) = self.spans.lock().expect("lock").get_mut(&id.into_u64()) {
            values.record(span);
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut recorded = Recorded {
            level: event.metadata().level().to_string(),
            ..Recorded::default()
        };
        event.record(&mut recorded);
        recorded.name = recorded.get("message").unwrap_or_default().to_owned();
        self.events.lock().expect("lock").push(recorded);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = format!("Bearer {token}").parse().expect("a header value");
    headers.insert(http::header::AUTHORIZATION, value);
    headers
}

fn cookies(cookie: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::COOKIE,
        cookie.parse().expect("a header value"),
    );
    headers
}

// The only test of this file (its own process): the subscriber is the global default, so what
// every thread records is captured. (A thread's scoped default is not enough: another test's
// thread may cache a callsite's interest as "never" before it is set.)
#[tokio::test]
async fn spans_and_events_carry_their_fields_and_never_a_secret() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).expect("the first subscriber");
    let local = LocalClerk::start().await;
    let clerk = client(&local);
    let user_id = local
        .users()
        .create(NewUser::with_email("ada@example.com"))
        .id;
    let token = local.token(&user_id).mint();

    // A Backend API call: one span, with the operation, the template and never the id.
    clerk.users().get(&user_id).send().await.expect("found");
    let spans = capture.api_spans("GetUser");
    assert_eq!(spans.len(), 1, "{spans:?}");
    let span = &spans[0];
    assert_eq!(span.level, "INFO");
    assert_eq!(span.get("http.request.method"), Some("GET"));
    assert_eq!(span.get("url.template"), Some("/users/{user_id}"));
    assert_eq!(span.get("otel.name"), Some("GET /users/{user_id}"));
    assert_eq!(span.get("otel.kind"), Some("client"));
    assert_eq!(span.get("server.address"), Some("127.0.0.1"));
    assert_eq!(span.get("http.response.status_code"), Some("200"));
    assert_eq!(span.get("http.request.resend_count"), None, "no retry");
    assert_eq!(span.get("error.type"), None);
    let duration: u64 = span
        .get("clerk.duration_ms")
        .expect("a duration")
        .parse()
        .expect("milliseconds");
    assert!(duration < 10_000);

    // An error answer: its status, as OpenTelemetry's `error.type`, and Clerk's trace id.
    clerk
        .users()
        .get("user_missing")
        .send()
        .await
        .expect_err("404");
    let spans = capture.api_spans("GetUser");
    let missing = &spans[1];
    assert_eq!(missing.get("http.response.status_code"), Some("404"));
    assert_eq!(missing.get("error.type"), Some("404"));
    assert!(
        missing.get("clerk.trace_id").is_some_and(|t| !t.is_empty()),
        "{missing:?}"
    );

    // Retries: each a debug event; the span counts the resends and keeps the last status.
    local.faults().set_api(Some(Fault::Status(503)));
    clerk.users().list().send().await.expect_err("503");
    local.faults().set_api(None);
    let list = &capture.api_spans("GetUserList")[0];
    assert_eq!(list.get("url.template"), Some("/users"));
    assert_eq!(list.get("http.request.resend_count"), Some("2"));
    assert_eq!(list.get("http.response.status_code"), Some("503"));
    let retries = capture.events_with("message", "retrying a Clerk Backend API request");
    assert_eq!(retries.len(), 2, "{retries:?}");
    assert_eq!(retries[0].level, "DEBUG");
    assert_eq!(retries[0].get("http.response.status_code"), Some("503"));

    // The first verification loads the keys: one event, with its trigger, outcome and count.
    clerk.verify_token(&token).await.expect("valid");
    clerk.verify_token(&token).await.expect("cached");
    let fetches = capture.events_with("message", "fetched Clerk's JWKS");
    assert_eq!(fetches.len(), 1, "{fetches:?}");
    assert_eq!(fetches[0].get("jwks.trigger"), Some("load"));
    assert_eq!(fetches[0].get("jwks.outcome"), Some("ok"));
    assert_eq!(fetches[0].get("jwks.keys"), Some("1"));
    assert!(fetches[0].get("jwks.duration_ms").is_some());
    // A token signed with a new key makes Clerk be asked again, for its `kid`.
    local.keys().add();
    refetch_allowed().await;
    let rotated = local.token(&user_id).mint();
    clerk.verify_token(&rotated).await.expect("valid");
    let fetches = capture.events_with("message", "fetched Clerk's JWKS");
    assert_eq!(fetches.len(), 2);
    assert_eq!(fetches[1].get("jwks.trigger"), Some("unknown_kid"));
    assert_eq!(fetches[1].get("jwks.keys"), Some("2"));

    // Cache hits and misses, at trace level.
    let cache = capture.events_with("clerk.cache", "session_token");
    let hits: Vec<_> = cache
        .iter()
        .map(|e| e.get("clerk.cache_hit").unwrap_or_default())
        .collect();
    assert_eq!(hits, ["false", "true", "false"]);
    assert!(cache.iter().all(|e| e.level == "TRACE"));

    // A failed key fetch: a warning with the reason.
    refetch_allowed().await;
    local.faults().set_jwks(Some(Fault::Status(500)));
    let _ = clerk
        .verify_token(&local.token(&user_id).kid("ins_unknown").mint())
        .await;
    let failed = capture.events_with("jwks.outcome", "failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].level, "WARN");
    assert_eq!(failed[0].get("jwks.trigger"), Some("unknown_kid"));
    local.faults().set_jwks(None);

    // Signed-out requests: the reason and where the token was, never the token.
    let expired = local.token(&user_id).expires_in(-120).mint();
    let state = clerk.authenticate(&bearer(&expired)).await;
    assert!(matches!(state, RequestState::SignedOut(_)));
    let cookie = format!("__session={expired}; __client_uat=1");
    clerk.authenticate(&cookies(&cookie)).await;
    clerk.authenticate(&HeaderMap::new()).await;
    let signed_out = capture.events_with("message", "request signed out");
    let seen: Vec<_> = signed_out
        .iter()
        .map(|e| {
            (
                e.level.as_str(),
                e.get("clerk.auth.reason").unwrap_or_default(),
                e.get("clerk.auth.token_source").unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("DEBUG", "token-expired", "authorization_header"),
            ("DEBUG", "token-expired", "cookie"),
            ("DEBUG", "session-token-and-uat-missing", "none"),
        ]
    );
    // A signed-in request records nothing of its own.
    clerk.authenticate(&bearer(&token)).await;
    assert_eq!(
        capture.events_with("message", "request signed out").len(),
        3
    );

    // Nothing recorded holds a token, the secret key, a cookie or the user's id.
    let everything = capture.everything();
    for secret in [
        token.as_str(),
        rotated.as_str(),
        expired.as_str(),
        local.secret_key(),
        cookie.as_str(),
        user_id.as_str(),
        "user_missing",
    ] {
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }
    // Nor any part of a token (each JWT's signature is unique to it).
    for jwt in [&token, &rotated, &expired] {
        let signature = jwt.rsplit('.').next().expect("three parts");
        assert!(!everything.contains(signature));
    }
}
