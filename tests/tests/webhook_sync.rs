//! The `webhook_sync` example end to end: LocalClerk's signed deliveries, verified by the
//! SDK's `ClerkWebhook`, keep a SQLite users table in sync; repeats, late and out-of-order
//! deliveries do not corrupt it.

use clerk_core::webhooks::{Delivery, WebhookEvent};
use clerk_examples::webhook_sync::{Applied, Db, demo};
use clerk_testing::LocalClerk;

#[tokio::test]
async fn the_example_syncs_created_updated_and_deleted_users() {
    let local = LocalClerk::start().await;
    let demo = demo(&local).await.expect("the demo runs");
    // `ClerkUser` loaded Ada and cached her; the user.updated webhook dropped her from the cache.
    assert_eq!(demo.me_before, "Ada");
    assert_eq!(demo.me_after, "Augusta Ada");
    let rows = demo.rows;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let ada = rows
        .iter()
        .find(|r| r.email.as_deref() == Some("ada@example.com"))
        .expect("ada synced");
    assert_eq!(ada.first_name.as_deref(), Some("Augusta Ada"));
    assert_eq!(ada.last_name.as_deref(), Some("Lovelace"));
    assert!(!ada.deleted);
    let bob = rows.iter().find(|r| r.id != ada.id).expect("bob's row");
    assert!(bob.deleted, "{bob:?}");
    // Every delivery was signed by LocalClerk and verified by the SDK (a 2xx each).
    assert!(local.webhooks().deliveries().iter().all(|d| d.succeeded()));
}

fn delivery(id: &str, kind: &str, data: serde_json::Value, timestamp: i64) -> Delivery {
    let body = serde_json::json!({
        "type": kind, "object": "event", "timestamp": timestamp,
        "instance_id": "ins_1", "data": data,
    });
    // Events decode from bytes (their data is kept raw until the type is known).
    let event: WebhookEvent =
        serde_json::from_slice(&serde_json::to_vec(&body).expect("json")).expect("an event");
    Delivery::new(id, timestamp / 1000, event)
}

#[tokio::test]
async fn repeated_late_and_out_of_order_deliveries_keep_the_newest_state() {
    let local = LocalClerk::start().await;
    let created = local
        .users()
        .create(clerk_testing::NewUser::with_email("ada@example.com").first_name("Ada"));
    let mut user = serde_json::to_value(&created).expect("json");
    let v1 = user.clone();
    user["first_name"] = "Augusta".into();
    user["updated_at"] = (created.updated_at + 1000).into();
    let v2 = user.clone();
    let db = Db::open("sqlite::memory:").await.expect("db");

    // The update arrives first, then the (older) creation: the update wins.
    let update = delivery("msg_2", "user.updated", v2, created.updated_at + 1000);
    assert_eq!(db.apply(&update).await.expect("applied"), Applied::Written);
    let create = delivery("msg_1", "user.created", v1.clone(), created.updated_at);
    assert_eq!(
        db.apply(&create).await.expect("applied"),
        Applied::Unchanged
    );
    // The same delivery again: nothing.
    assert_eq!(
        db.apply(&update).await.expect("applied"),
        Applied::Unchanged
    );
    let rows = db.users().await.expect("rows");
    assert_eq!(rows[0].first_name.as_deref(), Some("Augusta"));

    // Deleted, then a late update: the user stays deleted.
    let deleted = serde_json::json!({"object": "user", "id": created.id, "deleted": true});
    let delete = delivery("msg_3", "user.deleted", deleted, created.updated_at + 2000);
    assert_eq!(db.apply(&delete).await.expect("applied"), Applied::Written);
    user["first_name"] = "Zombie".into();
    user["updated_at"] = (created.updated_at + 3000).into();
    let late = delivery("msg_4", "user.updated", user, created.updated_at + 3000);
    assert_eq!(db.apply(&late).await.expect("applied"), Applied::Unchanged);
    let rows = db.users().await.expect("rows");
    assert!(rows[0].deleted);
    assert_eq!(rows[0].first_name.as_deref(), Some("Augusta"));

    // Not a user event: ignored.
    let org = serde_json::json!({"object": "organization", "id": "org_1", "deleted": true});
    let other = delivery("msg_5", "organization.deleted", org, created.updated_at);
    assert_eq!(db.apply(&other).await.expect("applied"), Applied::Ignored);
}
