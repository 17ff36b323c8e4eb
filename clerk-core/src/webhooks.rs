//! Clerk webhooks: verify a delivery's signature and decode its event.
//!
//! Clerk sends events (`user.created`, `organizationMembership.deleted`, …) to your endpoint
//! through Svix, signed with the endpoint's secret (`whsec_…`, in the Clerk dashboard; the
//! environment variable [`SECRET_ENV`]). [`Webhook::verify`] takes the request's headers and its
//! raw body, exactly as received, and returns the typed event, or a [`WebhookError`] that says
//! what was wrong. Nothing is decoded before the signature matched.
//!
//! The check is Svix's (Standard Webhooks): the headers `svix-id`, `svix-timestamp` and
//! `svix-signature` (or, when none of these is present, `webhook-id`, `webhook-timestamp` and
//! `webhook-signature`); the signature is HMAC-SHA256 over `{id}.{timestamp}.{body}` with the
//! base64-decoded secret, base64-encoded; the signature header holds one or more space-separated
//! `v1,<signature>` entries (two during a secret rotation), any of which may match, and entries of
//! other versions are ignored; the comparison takes constant time; the timestamp must be within
//! [`DEFAULT_TOLERANCE`] (300 s) of the server's clock, either way.
//!
//! ```
//! use clerk_core::webhooks::{Webhook, WebhookError};
//!
//! # fn handle(headers: &http::HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
//! let webhook = Webhook::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")?;
//! let event = webhook.verify(headers, body)?;
//! if let Some(user_id) = event.data.user_id() {
//!     println!("{} about {user_id}", event.event_type());
//! }
//! # Ok(()) }
//! ```
//!
//! Deliveries can repeat and arrive out of order: the `svix-id` ([`Verified::id`]) identifies a
//! delivery across its retries, and the event's `timestamp` orders events.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::{constant_time, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;

/// The typed events (generated from Clerk's webhook spec): [`WebhookEvent`], [`WebhookData`]
/// with one variant per event type ([`EVENT_TYPES`]), and the payload models the Backend API's
/// [`models`](crate::models) do not have.
pub use crate::webhook_events::*;

/// The environment variable [`Webhook::from_env`] reads: the endpoint's signing secret.
pub const SECRET_ENV: &str = "CLERK_WEBHOOK_SIGNING_SECRET";

/// How far a delivery's timestamp may be from the server's clock, either way, by default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The largest body [`Webhook::verify`] accepts by default (1 MiB); checked before any work.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The prefix of a signing secret.
const SECRET_PREFIX: &str = "whsec_";

/// Every header [`Webhook::verify`] may read: Svix's `svix-id`, `svix-timestamp` and
/// `svix-signature`, then the Standard Webhooks names `webhook-id`, `webhook-timestamp` and
/// `webhook-signature`, which are read only when none of Svix's is present. An adapter whose
/// framework has its own header type copies these and no others.
pub static WEBHOOK_HEADERS: [http::HeaderName; 6] = [
    http::HeaderName::from_static("svix-id"),
    http::HeaderName::from_static("svix-timestamp"),
    http::HeaderName::from_static("svix-signature"),
    http::HeaderName::from_static("webhook-id"),
    http::HeaderName::from_static("webhook-timestamp"),
    http::HeaderName::from_static("webhook-signature"),
];

/// Why a delivery was refused. The message never contains the secret or a signature; each
/// variant has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The signing secret is not `whsec_` followed by base64 (copy it again from the Clerk
    /// dashboard's endpoint page).
    #[error("the webhook signing secret is malformed: expected `whsec_` followed by base64")]
    InvalidSecret,
    /// No signing secret was configured ([`SECRET_ENV`] is not set).
    #[error("no webhook signing secret: set {SECRET_ENV}")]
    MissingSecret,
    /// A header is missing (its name is given): the request is not a webhook delivery.
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    /// The timestamp header is not a whole number of seconds.
    #[error("the webhook timestamp is not a Unix time in seconds")]
    InvalidTimestamp,
    /// The timestamp is older than the tolerance: a replay, or a delivery held up for long.
    #[error("the webhook timestamp is too old")]
    TooOld,
    /// The timestamp is further in the future than the tolerance: check the server's clock.
    #[error("the webhook timestamp is too far in the future")]
    TooNew,
    /// No `v1` signature matches: the body was altered, or the secret is not this endpoint's.
    #[error("no webhook signature matches")]
    NoMatchingSignature,
    /// The body is larger than the limit ([`Webhook::max_body_bytes`]).
    #[error("the webhook body is larger than {max} bytes")]
    BodyTooLarge {
        /// The limit.
        max: usize,
    },
    /// The body could not be read (the connection failed while it was sent).
    #[error("the webhook body could not be read")]
    UnreadableBody,
    /// The body is signed, but is not a Clerk event (or its data does not match its type).
    #[error("the webhook body is not a Clerk event: {0}")]
    InvalidEvent(String),
}

impl WebhookError {
    /// The stable code, for logs and for the adapters' 400 responses.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidSecret => "webhook_invalid_secret",
            Self::MissingSecret => "webhook_missing_secret",
            Self::MissingHeader(_) => "webhook_missing_header",
            Self::InvalidTimestamp => "webhook_invalid_timestamp",
            Self::TooOld => "webhook_timestamp_too_old",
            Self::TooNew => "webhook_timestamp_too_new",
            Self::NoMatchingSignature => "webhook_invalid_signature",
            Self::BodyTooLarge { .. } => "webhook_body_too_large",
            Self::UnreadableBody => "webhook_unreadable_body",
            Self::InvalidEvent(_) => "webhook_invalid_event",
        }
    }
}

/// A delivery whose signature matched: its id (`svix-id`, the same across retries) and
/// timestamp (Unix seconds, when it was sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<'a> {
    /// The delivery's id: an idempotency key.
    pub id: &'a str,
    /// When the delivery was sent, in Unix seconds.
    pub timestamp: i64,
}

/// A verified delivery: its id (`svix-id`, the same across Svix's retries of one event: an
/// idempotency key), when it was sent (Unix seconds), and its event.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Delivery {
    /// The delivery's id, the same across retries.
    pub id: String,
    /// When this attempt was sent, in Unix seconds.
    pub sent_at: i64,
    /// The event.
    pub event: WebhookEvent,
}

impl Delivery {
    /// A delivery, for tests of code that handles them (the adapters' extractors make the real
    /// ones with [`Webhook::receive`]).
    pub fn new(id: impl Into<String>, sent_at: i64, event: WebhookEvent) -> Self {
        Self {
            id: id.into(),
            sent_at,
            event,
        }
    }
}

/// Whether one of the `v1,<base64>` entries of a signature header is `tag`. Compared as base64
/// text, in constant time: one encoding of the tag instead of a decoding of every entry. Fails
/// closed: a tag that cannot be encoded matches nothing (never an empty string, which a bare
/// `v1,` entry would match).
fn any_signature_matches(signatures: &str, tag: &[u8]) -> bool {
    let mut expected = [0u8; 44];
    let Ok(len) = STANDARD.encode_slice(tag, &mut expected) else {
        return false;
    };
    let expected = &expected[..len];
    signatures
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .any(|signature| {
            constant_time::verify_slices_are_equal(signature.as_bytes(), expected).is_ok()
        })
}

/// A webhook endpoint's verifier, made from its signing secret. Cheap to clone.
#[derive(Clone)]
pub struct Webhook {
    key: hmac::Key,
    tolerance: Duration,
    max_body_bytes: usize,
    replays: Option<Replays>,
}

/// The deliveries a handler accepted (answered 2xx) recently, for replay protection: kept for
/// twice the tolerance (a delivery older than the tolerance is refused anyway), at most
/// `max_entries` of them, the least recently used forgotten first (LRU: a cache whose admission
/// policy favours frequent keys would refuse every new id once full, since each id is inserted
/// once). The value says whether the handler accepted the delivery (`true`) or is handling it
/// now (`false`: reserved). Clones share them.
#[derive(Clone)]
struct Replays(moka::sync::Cache<String, bool>);

impl Replays {
    fn new(max_entries: u64, tolerance: Duration) -> Self {
        Self(
            moka::sync::Cache::builder()
                .max_capacity(max_entries)
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .time_to_live(tolerance.saturating_mul(2).max(Duration::from_secs(1)))
                .build(),
        )
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("secret", &"whsec_…")
            .field("tolerance", &self.tolerance)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("replay_protection", &self.replays.is_some())
            .finish()
    }
}

impl Webhook {
    /// A verifier for the endpoint whose signing secret is `secret` (`whsec_…`).
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        let encoded = secret
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or(WebhookError::InvalidSecret)?;
        let key = STANDARD
            .decode(encoded)
            .ok()
            .filter(|key| !key.is_empty())
            .ok_or(WebhookError::InvalidSecret)?;
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &key),
            tolerance: DEFAULT_TOLERANCE,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            replays: None,
        })
    }

    /// A verifier from the environment: the secret in [`SECRET_ENV`].
    pub fn from_env() -> Result<Self, WebhookError> {
        match std::env::var(SECRET_ENV) {
            Ok(secret) if !secret.trim().is_empty() => Self::new(&secret),
            _ => Err(WebhookError::MissingSecret),
        }
    }

    /// How far a delivery's timestamp may be from the server's clock, either way (default
    /// [`DEFAULT_TOLERANCE`], 300 s).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        if let Some(Replays(cache)) = &self.replays {
            self.replays = Some(Replays::new(
                cache.policy().max_capacity().unwrap_or(0),
                tolerance,
            ));
        }
        self
    }

    /// Replay protection for the adapters' `ClerkWebhook` extractor (through their webhook layer,
    /// see [`WebhookReceiver`](crate::adapter::WebhookReceiver)): a delivery whose handler
    /// already accepted it (answered 2xx) within twice the tolerance is answered 200
    /// `webhook_replayed` again without calling the handler; at most `max_entries` delivery
    /// ids are remembered (the least recently used are forgotten first). A delivery is reserved
    /// when it is verified, so that a copy arriving while the handler runs is not handled twice;
    /// a delivery whose handler failed is released, so Svix's retry reaches the handler. Off by default; per process (each
    /// instance of an app remembers its own), so handlers should stay idempotent.
    pub fn replay_protection(mut self, max_entries: u64) -> Self {
        self.replays = Some(Replays::new(max_entries, self.tolerance));
        self
    }

    /// Whether replay protection is on.
    pub fn protects_replays(&self) -> bool {
        self.replays.is_some()
    }

    /// Whether a handler accepted delivery `id` recently (always `false` without replay
    /// protection).
    pub fn was_accepted(&self, id: &str) -> bool {
        self.replays
            .as_ref()
            .is_some_and(|Replays(cache)| cache.get(id) == Some(true))
    }

    /// Reserves delivery `id` for a handler about to handle it: `false` when it is already
    /// reserved or accepted (a replay, or a copy arriving while the first is handled), so that
    /// two copies never both run. Always `true` without replay protection.
    pub fn reserve(&self, id: &str) -> bool {
        match &self.replays {
            Some(Replays(cache)) => cache.entry(id.to_owned()).or_insert(false).is_fresh(),
            None => true,
        }
    }

    /// Forgets a reservation whose handler failed (or never answered), so that Svix's retry
    /// reaches the handler again.
    pub fn release(&self, id: &str) {
        if let Some(Replays(cache)) = &self.replays
            && cache.get(id) == Some(false)
        {
            cache.invalidate(id);
        }
    }

    /// Remembers that a handler accepted delivery `id` (nothing without replay protection).
    pub fn accepted(&self, id: &str) {
        if let Some(Replays(cache)) = &self.replays {
            cache.insert(id.to_owned(), true);
            cache.run_pending_tasks();
        }
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY_BYTES`], 1 MiB).
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The configured body limit.
    pub fn body_limit(&self) -> usize {
        self.max_body_bytes
    }

    /// Checks a delivery's signature and decodes its event: `headers` and `body` exactly as
    /// received.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
        self.check(headers, body)?;
        decode(body)
    }

    /// [`verify`](Self::verify), keeping the delivery's id and time.
    pub fn receive(&self, headers: &HeaderMap, body: &[u8]) -> Result<Delivery, WebhookError> {
        let verified = self.check(headers, body)?;
        Ok(Delivery {
            id: verified.id.to_owned(),
            sent_at: verified.timestamp,
            event: decode(body)?,
        })
    }

    /// Checks a delivery's signature only (for a body you decode yourself).
    pub fn check<'h>(
        &self,
        headers: &'h HeaderMap,
        body: &[u8],
    ) -> Result<Verified<'h>, WebhookError> {
        self.check_at(headers, body, SystemTime::now())
    }

    /// [`check`](Self::check) with the server's clock at `now`.
    pub fn check_at<'h>(
        &self,
        headers: &'h HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified<'h>, WebhookError> {
        if body.len() > self.max_body_bytes {
            return Err(WebhookError::BodyTooLarge {
                max: self.max_body_bytes,
            });
        }
        // Prepared names: a lookup by `&str` would parse the name every time.
        let (svix, standard) = WEBHOOK_HEADERS.split_at(3);
        let present = |names: &[http::HeaderName]| names.iter().any(|n| headers.contains_key(n));
        let names = if present(svix) || !present(standard) {
            svix
        } else {
            standard
        };
        // The header's bytes as UTF-8, which is what the sender signed (`to_str` would refuse
        // any byte above 0x7f, and call a present id missing: found by fuzzing).
        let header = |name: &'static http::HeaderName| {
            let missing = || WebhookError::MissingHeader(name.as_str());
            std::str::from_utf8(headers.get(name).ok_or_else(missing)?.as_bytes())
                .map_err(|_| missing())
        };
        let (id, timestamp, signatures) =
            (header(&names[0])?, header(&names[1])?, header(&names[2])?);
        let sent = self.check_timestamp(timestamp, now)?;
        let mut context = hmac::Context::with_key(&self.key);
        // `{id}.{timestamp}.` in one update when it fits a small stack buffer (it always does
        // for Svix's ids), then the body: no copy of the body, few calls into the HMAC.
        let mut prefix = [0u8; 128];
        let parts = [id.as_bytes(), b".", timestamp.as_bytes(), b"."];
        let prefix_len: usize = parts.iter().map(|part| part.len()).sum();
        if prefix_len <= prefix.len() {
            let mut at = 0;
            for part in parts {
                prefix[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            }
            context.update(&prefix[..prefix_len]);
        } else {
            parts.iter().for_each(|part| context.update(part));
        }
        context.update(body);
        if !any_signature_matches(signatures, context.sign().as_ref()) {
            return Err(WebhookError::NoMatchingSignature);
        }
        Ok(Verified {
            id,
            timestamp: sent,
        })
    }

    fn check_timestamp(&self, timestamp: &str, now: SystemTime) -> Result<i64, WebhookError> {
        let sent: i64 = timestamp
            .parse()
            .map_err(|_| WebhookError::InvalidTimestamp)?;
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        });
        let tolerance = i64::try_from(self.tolerance.as_secs()).unwrap_or(i64::MAX);
        if sent < now.saturating_sub(tolerance) {
            return Err(WebhookError::TooOld);
        }
        if sent > now.saturating_add(tolerance) {
            return Err(WebhookError::TooNew);
        }
        Ok(sent)
    }
}

/// Decodes a verified body into its event.
fn decode(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    serde_json::from_slice(body).map_err(|error| WebhookError::InvalidEvent(error.to_string()))
}

/// Signs a delivery as Svix does, for tests of a webhook handler: the `svix-signature` value
/// (`v1,<base64>`) of `body` sent with `id` at `timestamp` (Unix seconds).
///
/// ```
/// use clerk_core::webhooks::sign;
///
/// let signature = sign(
///     "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
///     "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
///     1649367553,
///     br#"{"email":"test@example.com","username":"test_user"}"#,
/// );
/// assert_eq!(signature.ok().as_deref(), Some("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="));
/// ```
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, WebhookError> {
    let webhook = Webhook::new(secret)?;
    let mut context = hmac::Context::with_key(&webhook.key);
    for part in [
        id.as_bytes(),
        &b"."[..],
        timestamp.to_string().as_bytes(),
        &b"."[..],
        body,
    ] {
        context.update(part);
    }
    Ok(format!("v1,{}", STANDARD.encode(context.sign())))
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::any_signature_matches;

    /// A tag too long for its buffer (unreachable with HMAC-SHA256's 32 bytes, kept closed
    /// anyway): no entry matches it, not even an empty `v1,`.
    #[test]
    fn a_tag_that_cannot_be_encoded_matches_nothing() {
        let too_long = [7u8; 64];
        assert!(!any_signature_matches("v1,", &too_long));
        assert!(!any_signature_matches("v1, v1,", &too_long));
        let tag = [7u8; 32];
        let encoded = base64::engine::general_purpose::STANDARD.encode(tag);
        assert!(any_signature_matches(&format!("v1,x v1,{encoded}"), &tag));
        assert!(!any_signature_matches("v1,", &tag));
    }
}
