//! Webhooks: the endpoints an instance POSTs its events to, as Clerk does through Svix.
//!
//! Each endpoint has a signing secret (`whsec_...`) and a queue, delivered in order by a task of
//! its own: every message is POSTed with Svix's headers (`svix-id`, `svix-timestamp`,
//! `svix-signature`) and retried after a non-2xx answer or a transport error, with the same
//! `svix-id` and a new timestamp and signature. Every attempt is logged for tests.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};

use crate::ids::{object_id, random_id};
use crate::store::Event;
use crate::time::{now_ms, unix_now};

/// Locks a mutex, going on after a panic in another holder (the data stays usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How long one delivery attempt may take, as Svix allows.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// The `user-agent` of deliveries.
const USER_AGENT: &str = "Svix-Webhooks/1.0 (LocalClerk)";

/// The default waits before the retries of a failed delivery.
pub(crate) const DEFAULT_RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
];

/// The HTTP request that caused a change, for the events' `event_attributes.http_request`.
#[derive(Debug, Clone)]
pub(crate) struct HttpRequest {
    pub(crate) client_ip: String,
    pub(crate) user_agent: String,
}

tokio::task_local! {
    /// The request the server is handling, set around the emulated routes.
    pub(crate) static HTTP_REQUEST: HttpRequest;
}

/// A webhook endpoint registered with [`local.webhooks().add_endpoint`](crate::handle::Webhooks::add_endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    id: String,
    url: String,
    secret: String,
}

impl WebhookEndpoint {
    /// The endpoint's id (`ep_...`), for [`local.webhooks().remove_endpoint`](crate::handle::Webhooks::remove_endpoint).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The URL deliveries are POSTed to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The signing secret (`whsec_` and the base64 of 24 random bytes), for the app's
    /// `CLERK_WEBHOOK_SIGNING_SECRET`.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

/// One delivery attempt of a webhook message to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The endpoint's id.
    pub endpoint_id: String,
    /// The URL the message was POSTed to.
    pub url: String,
    /// The message id, sent as `svix-id`; the same in every attempt and to every endpoint.
    pub message_id: String,
    /// The event type (`user.created`, ...).
    pub event_type: String,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
    /// The status the endpoint answered; `None` after a transport error.
    pub status: Option<u16>,
    /// The transport error (connection refused, timeout, ...), when there was no answer.
    pub error: Option<String>,
    /// The request body: the event as JSON.
    pub body: String,
    /// The request headers LocalClerk set: `content-type`, `user-agent`, `svix-id`,
    /// `svix-timestamp` (Unix seconds) and `svix-signature`.
    pub headers: Vec<(String, String)>,
}

impl WebhookDelivery {
    /// Whether the endpoint answered 2xx (no retry follows).
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// A header sent, by its (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`{"data": ..., "object": "event", "type": ..., ...}`).
    pub fn payload(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// The Svix / Standard Webhooks signature of a message: `v1,` and the base64 of the
/// HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed with the decoded secret.
pub(crate) fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(tag.as_ref()))
}

/// The HMAC key of a `whsec_` secret.
fn secret_key(secret: &str) -> Vec<u8> {
    STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .unwrap_or_else(|_| secret.as_bytes().to_vec())
}

/// A message queued for delivery: the same to every endpoint.
struct Message {
    id: String,
    event_type: &'static str,
    body: String,
}

struct Endpoint {
    public: WebhookEndpoint,
    queue: mpsc::UnboundedSender<Arc<Message>>,
}

/// Every delivery attempt, and their count for waiters.
struct DeliveryLog {
    deliveries: Mutex<Vec<WebhookDelivery>>,
    count: watch::Sender<usize>,
}

impl DeliveryLog {
    fn push(&self, delivery: WebhookDelivery) {
        let count = {
            let mut deliveries = lock(&self.deliveries);
            deliveries.push(delivery);
            deliveries.len()
        };
        self.count.send_replace(count);
    }
}

/// An instance's webhook endpoints and deliveries.
pub(crate) struct Webhooks {
    instance_id: String,
    retry_delays: Vec<Duration>,
    runtime: Option<Handle>,
    client: OnceLock<reqwest::Client>,
    endpoints: Mutex<Vec<Endpoint>>,
    log: Arc<DeliveryLog>,
}

impl Webhooks {
    /// No endpoints yet; failed deliveries are retried after each of `retry_delays`. Delivery
    /// tasks run on the current Tokio runtime, if any, else on the one current when an endpoint
    /// is added.
    pub(crate) fn new(instance_id: String, retry_delays: Vec<Duration>) -> Self {
        Self {
            instance_id,
            retry_delays,
            runtime: Handle::try_current().ok(),
            client: OnceLock::new(),
            endpoints: Mutex::new(Vec::new()),
            log: Arc::new(DeliveryLog {
                deliveries: Mutex::new(Vec::new()),
                count: watch::Sender::new(0),
            }),
        }
    }

    pub(crate) fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// Registers an endpoint with a new secret and starts its delivery task.
    pub(crate) fn add_endpoint(&self, url: String) -> WebhookEndpoint {
        let mut secret = [0u8; 24];
        // The system's randomness does not fail on supported platforms.
        aws_lc_rs::rand::fill(&mut secret).expect("system randomness");
        let public = WebhookEndpoint {
            id: object_id("ep"),
            url,
            secret: format!("whsec_{}", STANDARD.encode(secret)),
        };
        let (queue, messages) = mpsc::unbounded_channel();
        let client = self
            .client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .no_proxy()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("an HTTP client with default settings")
            })
            .clone();
        let task = deliver(
            public.clone(),
            messages,
            client,
            self.retry_delays.clone(),
            self.log.clone(),
        );
        match &self.runtime {
            Some(runtime) => drop(runtime.spawn(task)),
            None => drop(tokio::spawn(task)),
        }
        lock(&self.endpoints).push(Endpoint {
            public: public.clone(),
            queue,
        });
        public
    }

    /// Unregisters an endpoint; messages already queued for it are still delivered.
    pub(crate) fn remove_endpoint(&self, id: &str) -> bool {
        let mut endpoints = lock(&self.endpoints);
        let before = endpoints.len();
        endpoints.retain(|e| e.public.id != id);
        endpoints.len() != before
    }

    pub(crate) fn endpoints(&self) -> Vec<WebhookEndpoint> {
        lock(&self.endpoints)
            .iter()
            .map(|e| e.public.clone())
            .collect()
    }

    /// Queues the messages of `events` for every endpoint, in order.
    pub(crate) fn dispatch(&self, events: Vec<Event>) {
        let endpoints = lock(&self.endpoints);
        if endpoints.is_empty() {
            return;
        }
        let http_request = HTTP_REQUEST.try_with(Clone::clone).unwrap_or(HttpRequest {
            client_ip: "127.0.0.1".into(),
            user_agent: "LocalClerk".into(),
        });
        for event in events {
            let body = serde_json::json!({
                "data": event.data,
                "object": "event",
                "type": event.event_type,
                "timestamp": now_ms(),
                "instance_id": self.instance_id,
                "event_attributes": {
                    "http_request": {
                        "client_ip": http_request.client_ip,
                        "user_agent": http_request.user_agent,
                    }
                },
            });
            let message = Arc::new(Message {
                id: format!("msg_{}", random_id(27)),
                event_type: event.event_type,
                body: body.to_string(),
            });
            for endpoint in endpoints.iter() {
                // A closed queue is an endpoint whose task ended with the runtime: nothing to do.
                let _ = endpoint.queue.send(message.clone());
            }
        }
    }

    /// Every delivery attempt so far, oldest first.
    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.log.deliveries).clone()
    }

    /// Waits until at least `count` attempts were made, or `timeout` passes.
    pub(crate) async fn wait_for_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<WebhookDelivery> {
        let mut made = self.log.count.subscribe();
        let _ = tokio::time::timeout(timeout, made.wait_for(|made| *made >= count)).await;
        self.deliveries()
    }
}

/// Delivers an endpoint's messages, one at a time, in order.
async fn deliver(
    endpoint: WebhookEndpoint,
    mut messages: mpsc::UnboundedReceiver<Arc<Message>>,
    client: reqwest::Client,
    retry_delays: Vec<Duration>,
    log: Arc<DeliveryLog>,
) {
    let key = secret_key(&endpoint.secret);
    while let Some(message) = messages.recv().await {
        for attempt in 1..=retry_delays.len() + 1 {
            let timestamp = unix_now();
            let headers = vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("user-agent".to_owned(), USER_AGENT.to_owned()),
                ("svix-id".to_owned(), message.id.clone()),
                ("svix-timestamp".to_owned(), timestamp.to_string()),
                (
                    "svix-signature".to_owned(),
                    sign(&key, &message.id, timestamp, &message.body),
                ),
            ];
            let mut request = client
                .post(&endpoint.url)
                .timeout(ATTEMPT_TIMEOUT)
                .body(message.body.clone());
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let (status, error) = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let _ = response.bytes().await;
                    (Some(status), None)
                }
                Err(error) => (None, Some(error_chain(&error))),
            };
            let delivery = WebhookDelivery {
                endpoint_id: endpoint.id.clone(),
                url: endpoint.url.clone(),
                message_id: message.id.clone(),
                event_type: message.event_type.to_owned(),
                attempt: attempt as u32,
                status,
                error,
                body: message.body.clone(),
                headers,
            };
            let succeeded = delivery.succeeded();
            log.push(delivery);
            if succeeded {
                break;
            }
            if let Some(delay) = retry_delays.get(attempt - 1) {
                tokio::time::sleep(*delay).await;
            }
        }
    }
}

/// An error and its sources, `: `-separated.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published test vector of Standard Webhooks.
    #[test]
    fn signs_the_standard_webhooks_test_vector() {
        let key = secret_key("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
        assert_eq!(
            sign(
                &key,
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1649367553,
                r#"{"email":"test@example.com","username":"test_user"}"#,
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[tokio::test]
    async fn secrets_are_whsec_and_24_random_bytes() {
        let webhooks = Webhooks::new("ins_test".into(), Vec::new());
        let a = webhooks.add_endpoint("http://127.0.0.1:9/a".into());
        let b = webhooks.add_endpoint("http://127.0.0.1:9/b".into());
        assert!(a.id().starts_with("ep_"));
        assert_ne!(a.secret(), b.secret());
        assert_eq!(secret_key(a.secret()).len(), 24);
        assert!(webhooks.remove_endpoint(a.id()));
        assert!(!webhooks.remove_endpoint(a.id()));
        assert_eq!(webhooks.endpoints(), vec![b]);
    }
}
