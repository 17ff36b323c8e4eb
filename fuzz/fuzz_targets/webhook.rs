//! Webhook deliveries: arbitrary `svix-*` / `webhook-*` headers and bodies (never a panic, an
//! error never echoes the secret or a signature), and arbitrary bodies signed correctly (they
//! pass the signature check; the decode accepts or refuses them without a panic).
#![no_main]

use arbitrary::Arbitrary;
use clerk_core::webhooks::{Webhook, sign};
use clerk_fuzz::assert_no_echo;
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

#[derive(Arbitrary, Debug)]
struct Input {
    /// (header index, value): svix-id, svix-timestamp, svix-signature, webhook-id,
    /// webhook-timestamp, webhook-signature.
    headers: Vec<(u8, Vec<u8>)>,
    body: Vec<u8>,
    /// Also sign the body properly with this id, `now + offset` seconds.
    signed: Option<(String, i16)>,
}

const NAMES: [&str; 6] = [
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

fuzz_target!(|input: Input| {
    let webhook = Webhook::new(SECRET).expect("a valid secret");
    let mut headers = HeaderMap::new();
    for (index, value) in &input.headers {
        let name = HeaderName::from_static(NAMES[usize::from(*index) % NAMES.len()]);
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(name, value);
        }
    }
    if let Err(error) = webhook.verify(&headers, &input.body) {
        let text = error.to_string();
        assert_no_echo(SECRET, &text);
        for value in headers.values() {
            assert_no_echo(&String::from_utf8_lossy(value.as_bytes()), &text);
        }
        assert!(!error.code().is_empty());
    }
    if let Some((id, offset)) = &input.signed {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let at = now + i64::from(*offset) % 200;
        let (Ok(id_value), Ok(signature)) =
            (HeaderValue::from_str(id), sign(SECRET, id, at, &input.body))
        else {
            return;
        };
        let mut headers = HeaderMap::new();
        headers.insert("svix-id", id_value);
        headers.insert("svix-timestamp", HeaderValue::from(at));
        headers.insert(
            "svix-signature",
            HeaderValue::from_str(&signature).expect("base64 is a header value"),
        );
        let checked = webhook.check(&headers, &input.body);
        assert!(
            checked.is_ok(),
            "a correctly signed delivery failed the check: {checked:?} (id {id:?}, at {at})"
        );
        let _ = webhook.verify(&headers, &input.body);
    }
});
