//! Webhook verification: the published Standard Webhooks test vector, every error, rotation,
//! both header sets, the tolerance's edges and the body limit.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clerk_core::webhooks::{
    DEFAULT_MAX_BODY_BYTES, SECRET_ENV, WEBHOOK_HEADERS, Webhook, WebhookError, sign,
};
use http::{HeaderMap, HeaderName, HeaderValue};

/// The Standard Webhooks specification's test vector.
const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
const TIMESTAMP: i64 = 1649367553;
const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
const SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

fn at(unix: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).expect("after 1970"))
}

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("fits")
}

fn headers(prefix: &str, id: &str, timestamp: &str, signature: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("id", id),
        ("timestamp", timestamp),
        ("signature", signature),
    ] {
        headers.insert(
            HeaderName::try_from(format!("{prefix}-{name}")).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    headers
}

fn vector_headers() -> HeaderMap {
    headers("svix", ID, &TIMESTAMP.to_string(), SIGNATURE)
}

fn webhook() -> Webhook {
    Webhook::new(SECRET).expect("valid secret")
}

/// A signed `user.created` delivery sent now.
fn delivery(body: &[u8]) -> HeaderMap {
    let now = now();
    let signature = sign(SECRET, "msg_1", now, body).expect("signed");
    headers("svix", "msg_1", &now.to_string(), &signature)
}

const USER_CREATED: &[u8] = br#"{"type":"user.created","object":"event","timestamp":1716883200000,"instance_id":"ins_1","data":{"id":"user_1","object":"user"}}"#;

#[test]
fn the_published_test_vector() {
    assert_eq!(
        sign(SECRET, ID, TIMESTAMP, BODY).expect("signed"),
        SIGNATURE
    );
    let vector = vector_headers();
    let verified = webhook()
        .check_at(&vector, BODY, at(TIMESTAMP))
        .expect("the vector verifies");
    assert_eq!(verified.id, ID);
    assert_eq!(verified.timestamp, TIMESTAMP);
    // One byte of the body changed: no match.
    assert_eq!(
        webhook().check_at(
            &vector_headers(),
            br#"{"email":"test@example.com","username":"test_user2"}"#,
            at(TIMESTAMP)
        ),
        Err(WebhookError::NoMatchingSignature)
    );
    // Another endpoint's secret: no match.
    let other = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid");
    assert_eq!(
        other.check_at(&vector_headers(), BODY, at(TIMESTAMP)),
        Err(WebhookError::NoMatchingSignature)
    );
}

#[test]
fn during_a_rotation_any_v1_signature_may_match_and_other_versions_are_ignored() {
    let ts = TIMESTAMP.to_string();
    let old = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    for signatures in [
        format!("{old} {SIGNATURE}"),
        format!("{SIGNATURE} {old}"),
        format!("v2,abc {SIGNATURE}"),
        format!("v1a,xyz {old} {SIGNATURE}"),
    ] {
        let headers = headers("svix", ID, &ts, &signatures);
        let check = webhook().check_at(&headers, BODY, at(TIMESTAMP));
        assert!(check.is_ok(), "{signatures}: {check:?}");
    }
    for signatures in [
        old.to_owned(),
        SIGNATURE.replacen("v1,", "v2,", 1),
        SIGNATURE.replacen("v1,", "", 1),
        "v1,not base64!".to_owned(),
        format!("v1,{}", "A".repeat(400)),
        String::new(),
    ] {
        assert_eq!(
            webhook().check_at(&headers("svix", ID, &ts, &signatures), BODY, at(TIMESTAMP)),
            Err(WebhookError::NoMatchingSignature),
            "{signatures}"
        );
    }
}

#[test]
fn the_standard_webhooks_header_names_are_read_when_svix_sends_none() {
    let ts = TIMESTAMP.to_string();
    let standard = headers("webhook", ID, &ts, SIGNATURE);
    assert!(webhook().check_at(&standard, BODY, at(TIMESTAMP)).is_ok());
    // One svix header present: the svix set is read, and its missing headers are named.
    let mut mixed = standard.clone();
    mixed.insert("svix-id", HeaderValue::from_static(ID));
    assert_eq!(
        webhook().check_at(&mixed, BODY, at(TIMESTAMP)),
        Err(WebhookError::MissingHeader("svix-timestamp"))
    );
    assert_eq!(WEBHOOK_HEADERS.len(), 6);
}

#[test]
fn each_missing_header_is_named() {
    let ts = TIMESTAMP.to_string();
    for missing in ["svix-id", "svix-timestamp", "svix-signature"] {
        let mut headers = headers("svix", ID, &ts, SIGNATURE);
        headers.remove(missing);
        assert_eq!(
            webhook().check_at(&headers, BODY, at(TIMESTAMP)),
            Err(WebhookError::MissingHeader(missing))
        );
    }
    assert_eq!(
        webhook().check_at(&HeaderMap::new(), BODY, at(TIMESTAMP)),
        Err(WebhookError::MissingHeader("svix-id"))
    );
    // A value that is not visible ASCII counts as missing.
    let mut headers = vector_headers();
    headers.insert(
        "svix-id",
        HeaderValue::from_bytes(b"msg_\xff").expect("opaque bytes"),
    );
    assert_eq!(
        webhook().check_at(&headers, BODY, at(TIMESTAMP)),
        Err(WebhookError::MissingHeader("svix-id"))
    );
}

#[test]
fn the_timestamp_is_within_the_tolerance_edges_included() {
    let ts = TIMESTAMP.to_string();
    let vector = vector_headers();
    let check = |webhook: &Webhook, now: i64| {
        webhook
            .check_at(&vector, BODY, at(now))
            .map(|verified| verified.timestamp)
    };
    let default = webhook();
    assert!(check(&default, TIMESTAMP + 300).is_ok(), "300 s late");
    assert!(check(&default, TIMESTAMP - 300).is_ok(), "300 s early");
    assert_eq!(check(&default, TIMESTAMP + 301), Err(WebhookError::TooOld));
    assert_eq!(check(&default, TIMESTAMP - 301), Err(WebhookError::TooNew));
    let strict = webhook().tolerance(Duration::from_secs(10));
    assert!(check(&strict, TIMESTAMP + 10).is_ok());
    assert_eq!(check(&strict, TIMESTAMP + 11), Err(WebhookError::TooOld));
    for bad in ["", "16493675530000000000000", "1649367553.5", "-", "0x62"] {
        let headers = headers("svix", ID, bad, SIGNATURE);
        assert_eq!(
            default.check_at(&headers, BODY, at(TIMESTAMP)),
            Err(WebhookError::InvalidTimestamp),
            "{bad:?}"
        );
    }
    // The timestamp is signed: changing it breaks the signature.
    let later = headers("svix", ID, &(TIMESTAMP + 1).to_string(), SIGNATURE);
    assert_eq!(
        default.check_at(&later, BODY, at(TIMESTAMP)),
        Err(WebhookError::NoMatchingSignature)
    );
    assert_eq!(ts, TIMESTAMP.to_string());
}

#[test]
fn the_body_limit_is_checked_before_anything_else() {
    let limited = webhook().max_body_bytes(BODY.len());
    assert!(
        limited
            .check_at(&vector_headers(), BODY, at(TIMESTAMP))
            .is_ok()
    );
    let smaller = webhook().max_body_bytes(BODY.len() - 1);
    let expected = Err(WebhookError::BodyTooLarge {
        max: BODY.len() - 1,
    });
    assert_eq!(
        smaller.check_at(&vector_headers(), BODY, at(TIMESTAMP)),
        expected
    );
    // Even without headers: no work before the size check.
    assert_eq!(
        smaller.check_at(&HeaderMap::new(), BODY, at(TIMESTAMP)),
        expected
    );
    assert_eq!(webhook().body_limit(), DEFAULT_MAX_BODY_BYTES);
    let big = vec![b' '; DEFAULT_MAX_BODY_BYTES + 1];
    assert_eq!(
        webhook().verify(&delivery(&big), &big).err(),
        Some(WebhookError::BodyTooLarge {
            max: DEFAULT_MAX_BODY_BYTES
        })
    );
}

#[test]
fn malformed_secrets_are_refused() {
    for secret in [
        "",
        "whsec_",
        "C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        "whsec_not base64!",
        "sk_test_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    ] {
        assert_eq!(
            Webhook::new(secret).err(),
            Some(WebhookError::InvalidSecret),
            "{secret:?}"
        );
    }
    // Surrounding whitespace (a copied line) is tolerated.
    assert!(Webhook::new(&format!(" {SECRET}\n")).is_ok());
    let debug = format!("{:?}", webhook());
    assert!(!debug.contains("C2FVsBQ"), "{debug}");
}

#[test]
fn from_env_reads_the_signing_secret() {
    // Edition 2024 makes `set_var` unsafe (and this crate forbids unsafe code): the test reads
    // whatever the environment holds and checks that `from_env` agrees with `new`.
    let value = std::env::var(SECRET_ENV);
    match value {
        Ok(secret) => assert_eq!(Webhook::from_env().is_ok(), Webhook::new(&secret).is_ok()),
        Err(_) => assert_eq!(Webhook::from_env().err(), Some(WebhookError::MissingSecret)),
    }
}

#[test]
fn a_verified_delivery_decodes_into_its_event() {
    let event = webhook()
        .verify(&delivery(USER_CREATED), USER_CREATED)
        .expect("verified");
    assert_eq!(event.event_type(), "user.created");
    assert_eq!(event.data.user_id(), Some("user_1"));
    // Signed, but not an event.
    for body in [&b"not json"[..], b"{}", b"[1,2]"] {
        assert!(
            matches!(
                webhook().verify(&delivery(body), body),
                Err(WebhookError::InvalidEvent(_))
            ),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    // Not signed: the body is never decoded.
    let forged = delivery(b"other");
    assert_eq!(
        webhook().verify(&forged, USER_CREATED).err(),
        Some(WebhookError::NoMatchingSignature)
    );
}

#[test]
fn no_error_repeats_the_secret_or_a_signature() {
    let errors = [
        WebhookError::InvalidSecret,
        WebhookError::MissingSecret,
        WebhookError::MissingHeader("svix-id"),
        WebhookError::InvalidTimestamp,
        WebhookError::TooOld,
        WebhookError::TooNew,
        WebhookError::NoMatchingSignature,
        WebhookError::BodyTooLarge { max: 1 },
        WebhookError::InvalidEvent("expected value at line 1 column 1".into()),
    ];
    let mut codes = std::collections::HashSet::new();
    for error in errors {
        let text = format!("{error} {error:?}");
        assert!(
            !text.contains("C2FVsBQ") && !text.contains("tZ1I4"),
            "{text}"
        );
        assert!(codes.insert(error.code()), "{} twice", error.code());
        assert!(error.code().starts_with("webhook_"));
    }
}

/// Found by fuzzing (`fuzz/fuzz_targets/webhook.rs`): an id with bytes above 0x7f (here the UTF-8
/// of `ϡ`) was present but reported as a missing `svix-id`, so a delivery signed over it never
/// verified. The sender signs the id's bytes; they are read as UTF-8 now.
#[test]
fn a_non_ascii_id_is_read_as_the_sender_signed_it() {
    let now = now();
    let signature = sign(SECRET, "ϡ", now, USER_CREATED).expect("signed");
    let headers = headers("svix", "ϡ", &now.to_string(), &signature);
    assert!(webhook().check(&headers, USER_CREATED).is_ok());
    // Bytes that are not UTF-8 are still refused, naming the header.
    let mut latin1 = headers.clone();
    latin1.insert(
        "svix-id",
        HeaderValue::from_bytes(b"\xe9").expect("obs-text"),
    );
    assert_eq!(
        webhook().check(&latin1, USER_CREATED).err(),
        Some(WebhookError::MissingHeader("svix-id"))
    );
}

/// A delivery `id` (of an event type this SDK does not know), signed now: its headers and body.
fn delivery_of(id: &str) -> (HeaderMap, Vec<u8>) {
    let body = br#"{"type":"test.replayed","object":"event","timestamp":1716883200000,"data":{}}"#
        .to_vec();
    let now = now();
    let signature = sign(SECRET, id, now, &body).expect("valid secret");
    (headers("svix", id, &now.to_string(), &signature), body)
}

/// Receives delivery `id` on a fresh request of a route verified by `webhook`: whether the
/// handler is called (`Ok`) or the delivery is a replay (200 `webhook_replayed`), and the
/// answer guard of the request.
fn receive(
    webhook: &std::sync::Arc<Webhook>,
    id: &str,
) -> (Result<(), &'static str>, clerk_core::adapter::WebhookAnswer) {
    let (receiver, answer) = clerk_core::adapter::WebhookReceiver::new(webhook.clone());
    let (headers, body) = delivery_of(id);
    let received = receiver
        .receive(&headers, Some(&body))
        .map(drop)
        .map_err(|rejection| rejection.code());
    (received, answer)
}

/// Review finding (medium): a full replay cache whose admission policy favoured frequent keys
/// refused every new id (100 old ids remembered, then 0 of 100 new ones), so a captured delivery
/// could be replayed. The newest deliveries are remembered; the least recently used go first.
#[test]
fn a_full_replay_cache_remembers_the_newest_deliveries() {
    let webhook = std::sync::Arc::new(Webhook::new(SECRET).expect("secret").replay_protection(100));
    for batch in ["old", "new"] {
        for i in 0..100 {
            let (received, answer) = receive(&webhook, &format!("msg_{batch}_{i}"));
            assert_eq!(received, Ok(()), "{batch} {i}");
            answer.answered(200);
        }
    }
    let replayed = (0..100)
        .filter(|i| receive(&webhook, &format!("msg_new_{i}")).0 == Err("webhook_replayed"))
        .count();
    assert_eq!(replayed, 100, "every new delivery is remembered");
}

/// Two copies of one delivery arriving together do not both run; a failed or abandoned handler
/// releases the delivery, so that Svix's retry reaches the handler; an accepted one stays.
#[test]
fn a_delivery_is_reserved_while_handled_and_released_when_the_handler_fails() {
    let webhook = std::sync::Arc::new(Webhook::new(SECRET).expect("secret").replay_protection(10));
    let (first, first_answer) = receive(&webhook, "msg_x");
    assert_eq!(first, Ok(()));
    let (copy, _) = receive(&webhook, "msg_x");
    assert_eq!(copy, Err("webhook_replayed"), "a copy while the first runs");
    first_answer.answered(500);

    let (retry, abandoned) = receive(&webhook, "msg_x");
    assert_eq!(retry, Ok(()), "released after the handler's 500");
    drop(abandoned);

    let (again, answer) = receive(&webhook, "msg_x");
    assert_eq!(again, Ok(()), "released when the request was abandoned");
    answer.answered(204);
    assert!(webhook.was_accepted("msg_x"));
    assert_eq!(receive(&webhook, "msg_x").0, Err("webhook_replayed"));

    // Without replay protection every copy reaches the handler.
    let open = std::sync::Arc::new(Webhook::new(SECRET).expect("secret"));
    let (one, _kept) = receive(&open, "msg_y");
    let (two, _) = receive(&open, "msg_y");
    assert_eq!((one, two), (Ok(()), Ok(())));
}
