//! LocalClerk's webhooks, received by a real HTTP server on 127.0.0.1: the events of the changes
//! made through the Backend API client, in order, with Svix's headers and a signature checked
//! here independently of the SDK; retries after failures; deliveries off the API's path.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::hmac;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clerk_testing::{LocalClerk, NewUser, WebhookDelivery};

const WAIT: Duration = Duration::from_secs(10);

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("header {name} is sent"))
    }

    fn payload(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Script {
    received: Mutex<Vec<Received>>,
    /// The statuses of the next answers; 204 once empty.
    statuses: Mutex<VecDeque<u16>>,
    /// How long to wait before answering.
    delay: Mutex<Duration>,
}

/// A webhook receiver on 127.0.0.1: records each request, answers as scripted.
struct Receiver {
    script: Arc<Script>,
    url: String,
}

impl Receiver {
    async fn start() -> Self {
        let script = Arc::new(Script::default());
        let app = axum::Router::new()
            .route("/webhooks/clerk", axum::routing::post(receive))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!(
            "http://{}/webhooks/clerk",
            listener.local_addr().expect("addr")
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { script, url }
    }

    fn answer(&self, statuses: impl IntoIterator<Item = u16>) {
        self.script.statuses.lock().expect("lock").extend(statuses);
    }

    fn received(&self) -> Vec<Received> {
        self.script.received.lock().expect("lock").clone()
    }
}

async fn receive(
    State(script): State<Arc<Script>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let delay = *script.delay.lock().expect("lock");
    tokio::time::sleep(delay).await;
    script
        .received
        .lock()
        .expect("lock")
        .push(Received { headers, body });
    let status = script.statuses.lock().expect("lock").pop_front();
    StatusCode::from_u16(status.unwrap_or(204)).expect("a status")
}

/// Svix's signature, computed here from the secret as a receiver would.
fn expected_signature(secret: &str, id: &str, timestamp: &str, body: &str) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("base64 after whsec_");
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
    let tag = hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(tag.as_ref()))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

fn types(deliveries: &[WebhookDelivery]) -> Vec<&str> {
    deliveries.iter().map(|d| d.event_type.as_str()).collect()
}

#[tokio::test]
async fn a_users_lifecycle_arrives_in_order_signed_as_svix_signs() {
    let local = LocalClerk::start().await;
    let receiver = Receiver::start().await;
    let endpoint = local.webhooks().add_endpoint(&receiver.url);
    assert!(endpoint.secret().starts_with("whsec_"));
    assert_eq!(endpoint.url(), receiver.url);
    assert_eq!(local.webhooks().endpoints(), vec![endpoint.clone()]);

    let clerk = local.clerk();
    let users = clerk.users();
    let ada = users
        .create()
        .email_address(["ada@example.com"])
        .first_name("Ada")
        .external_id("ext-ada")
        .send()
        .await
        .expect("CreateUser");
    let renamed = users
        .update(&ada.id)
        .first_name("Augusta")
        .send()
        .await
        .expect("UpdateUser");
    users.delete(&ada.id).send().await.expect("DeleteUser");

    let deliveries = local.webhooks().wait_for_deliveries(3, WAIT).await;
    assert_eq!(
        types(&deliveries),
        ["user.created", "user.updated", "user.deleted"]
    );
    let received = receiver.received();
    assert_eq!(received.len(), 3, "one request per event, none retried");

    let mut ids = Vec::new();
    for (delivery, request) in deliveries.iter().zip(&received) {
        assert_eq!((delivery.attempt, delivery.status), (1, Some(204)));
        assert!(delivery.succeeded() && delivery.error.is_none());
        assert_eq!(delivery.url, receiver.url);
        assert_eq!(delivery.endpoint_id, endpoint.id());
        assert_eq!(
            request.body, delivery.body,
            "the body logged is the body sent"
        );
        let id = request.header("svix-id");
        assert!(id.starts_with("msg_"), "{id}");
        assert_eq!(delivery.message_id, id);
        assert_eq!(delivery.header("svix-id"), Some(id));
        let timestamp = request.header("svix-timestamp");
        let seconds: i64 = timestamp.parse().expect("Unix seconds");
        assert!((seconds - now_secs()).abs() < 60, "{seconds}");
        assert_eq!(
            request.header("svix-signature"),
            expected_signature(endpoint.secret(), id, timestamp, &request.body),
            "the signature verifies with the endpoint's secret"
        );
        assert_eq!(request.header("content-type"), "application/json");
        ids.push(id.to_owned());

        let payload = request.payload();
        assert_eq!(payload, delivery.payload());
        assert_eq!(payload["object"], "event");
        assert_eq!(payload["type"], delivery.event_type);
        assert_eq!(payload["instance_id"], local.instance_id());
        let ms = payload["timestamp"].as_i64().expect("a timestamp");
        assert!((ms / 1000 - now_secs()).abs() < 60, "milliseconds: {ms}");
        assert_eq!(
            payload["event_attributes"]["http_request"]["client_ip"],
            "127.0.0.1"
        );
        assert!(payload["event_attributes"]["http_request"]["user_agent"].is_string());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each message has its own svix-id");

    let created = received[0].payload();
    assert_eq!(created["data"]["id"], ada.id.as_str());
    assert_eq!(created["data"]["object"], "user");
    assert_eq!(created["data"]["first_name"], "Ada");
    assert_eq!(
        created["data"]["email_addresses"][0]["email_address"],
        "ada@example.com"
    );
    let updated = received[1].payload();
    assert_eq!(
        updated["data"],
        serde_json::to_value(&renamed).expect("a user"),
        "user.updated carries the user as the API returned it"
    );
    assert_eq!(
        received[2].payload()["data"],
        serde_json::json!({"object": "user", "id": ada.id, "deleted": true, "external_id": "ext-ada"})
    );
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_svix_id_before_the_next_message() {
    let local = LocalClerk::builder()
        .webhook_retry_delays([Duration::from_millis(20), Duration::from_millis(20)])
        .start()
        .await
        .expect("start");
    let receiver = Receiver::start().await;
    receiver.answer([500, 503]);
    let endpoint = local.webhooks().add_endpoint(&receiver.url);

    let ada = local.users().create(NewUser::with_email("ada@example.com"));
    let bob = local.users().create(NewUser::with_email("bob@example.com"));

    let deliveries = local.webhooks().wait_for_deliveries(4, WAIT).await;
    let summary: Vec<_> = deliveries
        .iter()
        .map(|d| (d.event_type.as_str(), d.attempt, d.status))
        .collect();
    assert_eq!(
        summary,
        [
            ("user.created", 1, Some(500)),
            ("user.created", 2, Some(503)),
            ("user.created", 3, Some(204)),
            ("user.created", 1, Some(204)),
        ],
        "retried until 2xx, and Bob's event waits for Ada's"
    );
    assert_eq!(deliveries[0].payload()["data"]["id"], ada.id.as_str());
    assert_eq!(deliveries[3].payload()["data"]["id"], bob.id.as_str());

    let received = receiver.received();
    assert_eq!(received.len(), 4);
    let first_id = received[0].header("svix-id");
    for request in &received[..3] {
        assert_eq!(
            request.header("svix-id"),
            first_id,
            "a retry keeps its svix-id"
        );
        assert_eq!(request.body, received[0].body, "and its body");
        assert_eq!(
            request.header("svix-signature"),
            expected_signature(
                endpoint.secret(),
                first_id,
                request.header("svix-timestamp"),
                &request.body
            ),
            "each attempt is signed for its own timestamp"
        );
    }
    assert_ne!(received[3].header("svix-id"), first_id);
}

#[tokio::test]
async fn an_unreachable_endpoint_gets_every_retry_then_is_given_up() {
    let local = LocalClerk::builder()
        .webhook_retry_delays([Duration::from_millis(10), Duration::from_millis(10)])
        .start()
        .await
        .expect("start");
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);
    local.webhooks().add_endpoint(&url);

    local.users().create(NewUser::with_email("ada@example.com"));
    let deliveries = local.webhooks().wait_for_deliveries(3, WAIT).await;
    assert_eq!(
        deliveries.iter().map(|d| d.attempt).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    for delivery in &deliveries {
        assert_eq!(delivery.status, None);
        assert!(delivery.error.is_some(), "the transport error is kept");
        assert!(!delivery.succeeded());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        local.webhooks().deliveries().len(),
        3,
        "no attempt after the last retry"
    );
}

#[tokio::test]
async fn a_slow_receiver_does_not_slow_the_api() {
    let local = LocalClerk::start().await;
    let receiver = Receiver::start().await;
    *receiver.script.delay.lock().expect("lock") = Duration::from_secs(3);
    local.webhooks().add_endpoint(&receiver.url);

    let started = Instant::now();
    local
        .clerk()
        .users()
        .create()
        .email_address(["ada@example.com"])
        .send()
        .await
        .expect("CreateUser");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the API answered in {:?}, without waiting for the webhook",
        started.elapsed()
    );
    assert!(
        local.webhooks().deliveries().is_empty(),
        "still being delivered"
    );
    let deliveries = local.webhooks().wait_for_deliveries(1, WAIT).await;
    assert_eq!(deliveries[0].status, Some(204));
    assert!(started.elapsed() >= Duration::from_secs(3));
}

#[tokio::test]
async fn every_emulated_change_sends_its_event_to_every_endpoint() {
    let local = LocalClerk::start().await;
    let first = Receiver::start().await;
    let second = Receiver::start().await;
    let one = local.webhooks().add_endpoint(&first.url);
    let two = local.webhooks().add_endpoint(&second.url);
    assert_ne!(one.secret(), two.secret());
    let clerk = local.clerk();

    let ada = local.users().create(NewUser::with_email("ada@example.com"));
    let bob = local.users().create(NewUser::with_email("bob@example.com"));
    clerk
        .users()
        .update_metadata(&ada.id)
        .public_metadata(
            serde_json::json!({"plan": "pro"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
        .send()
        .await
        .expect("UpdateUserMetadata");
    clerk.users().ban(&bob.id).send().await.expect("BanUser");
    let acme = clerk
        .organizations()
        .create("Acme")
        .created_by(&ada.id)
        .send()
        .await
        .expect("CreateOrganization");
    let memberships = clerk.organization_memberships();
    memberships
        .create(&acme.id, &bob.id, "org:member")
        .send()
        .await
        .expect("CreateOrganizationMembership");
    memberships
        .update(&acme.id, &bob.id, "org:admin")
        .send()
        .await
        .expect("UpdateOrganizationMembership");
    memberships
        .delete(&acme.id, &bob.id)
        .send()
        .await
        .expect("DeleteOrganizationMembership");
    clerk
        .organizations()
        .update(&acme.id)
        .name("Acme Corp")
        .send()
        .await
        .expect("UpdateOrganization");
    let signed_in = local.sessions().sign_in(&ada.id);
    clerk
        .sessions()
        .revoke(&signed_in.session.id)
        .send()
        .await
        .expect("RevokeSession");
    let still_in = local.sessions().sign_in(&ada.id);
    clerk
        .invitations()
        .create("cy@example.com")
        .send()
        .await
        .expect("CreateInvitation: no event");
    clerk
        .organizations()
        .delete(&acme.id)
        .send()
        .await
        .expect("DeleteOrganization");
    clerk
        .users()
        .delete(&ada.id)
        .send()
        .await
        .expect("DeleteUser");

    let expected = [
        "user.created",
        "user.created",
        "user.updated",
        "user.updated",
        "organization.created",
        "organizationMembership.created",
        "organizationMembership.created",
        "organizationMembership.updated",
        "organizationMembership.deleted",
        "organization.updated",
        "session.created",
        "session.revoked",
        "session.created",
        "organization.deleted",
        "session.removed",
        "user.deleted",
    ];
    let deliveries = local
        .webhooks()
        .wait_for_deliveries(2 * expected.len(), WAIT)
        .await;
    assert_eq!(deliveries.len(), 2 * expected.len());
    for endpoint in [&one, &two] {
        let to: Vec<_> = deliveries
            .iter()
            .filter(|d| d.endpoint_id == endpoint.id())
            .collect();
        assert_eq!(
            to.iter().map(|d| d.event_type.as_str()).collect::<Vec<_>>(),
            expected
        );
    }
    // The same message, with the same svix-id, goes to both endpoints, signed for each.
    let (a, b) = (&first.received()[0], &second.received()[0]);
    assert_eq!(a.header("svix-id"), b.header("svix-id"));
    assert_eq!(a.body, b.body);
    assert_eq!(
        b.header("svix-signature"),
        expected_signature(
            two.secret(),
            b.header("svix-id"),
            b.header("svix-timestamp"),
            &b.body
        )
    );

    let payloads: Vec<_> = first.received().iter().map(Received::payload).collect();
    let org_created = &payloads[4]["data"];
    assert_eq!(
        (&org_created["id"], &org_created["members_count"]),
        (&serde_json::json!(acme.id), &serde_json::json!(1))
    );
    assert_eq!(payloads[5]["data"]["role"], "org:admin");
    assert_eq!(
        payloads[5]["data"]["public_user_data"]["user_id"],
        ada.id.as_str()
    );
    let session_created = &payloads[10]["data"];
    assert_eq!(session_created["id"], signed_in.session.id.as_str());
    assert_eq!(session_created["user"]["id"], ada.id.as_str());
    assert_eq!(payloads[11]["data"]["status"], "revoked");
    assert_eq!(
        payloads[13]["data"],
        serde_json::json!({"object": "organization", "id": acme.id, "slug": acme.slug, "deleted": true})
    );
    assert_eq!(payloads[14]["data"]["id"], still_in.session.id.as_str());
    assert_eq!(payloads[14]["data"]["status"], "removed");
    assert_eq!(payloads[14]["data"]["user"]["id"], ada.id.as_str());
    let helper = &payloads[0]["event_attributes"]["http_request"];
    assert_eq!(helper["client_ip"], "127.0.0.1");

    // An endpoint removed gets nothing more.
    assert!(local.webhooks().remove_endpoint(two.id()));
    local.users().create(NewUser::with_email("dee@example.com"));
    let deliveries = local
        .webhooks()
        .wait_for_deliveries(2 * expected.len() + 1, WAIT)
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(deliveries.len(), 2 * expected.len() + 1);
    assert_eq!(local.webhooks().deliveries().len(), deliveries.len());
    assert_eq!(
        deliveries.last().map(|d| d.endpoint_id.as_str()),
        Some(one.id())
    );
}
