//! The typed webhook events: every example of Clerk's webhook spec decodes into its own variant
//! (the examples are written to `tests/generated/webhook_examples.json` by `cargo xtask codegen`).

use clerk_core::webhooks::{EVENT_TYPES, WebhookData, WebhookEvent};
use serde_json::{Value, json};

fn examples() -> serde_json::Map<String, Value> {
    let text = include_str!("generated/webhook_examples.json");
    match serde_json::from_str(text).expect("examples are JSON") {
        Value::Object(map) => map,
        other => panic!("examples are an object, not {other}"),
    }
}

#[test]
fn event_types_are_the_45_of_the_spec() {
    let examples = examples();
    assert_eq!(EVENT_TYPES.len(), 45);
    // The map's order is not the spec's here (serde_json without `preserve_order`): compare sets.
    let mut keys: Vec<&str> = examples.keys().map(String::as_str).collect();
    let mut types = EVENT_TYPES.to_vec();
    keys.sort_unstable();
    types.sort_unstable();
    types.dedup();
    assert_eq!(keys, types);
}

#[test]
fn every_example_of_the_spec_decodes_into_its_variant() {
    for (event_type, example) in examples() {
        let text = serde_json::to_string(&example).expect("json");
        let event: WebhookEvent =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{event_type}: {e}"));
        assert_eq!(event.event_type(), event_type);
        assert!(
            !matches!(event.data, WebhookData::Unknown { .. }),
            "{event_type} decoded as Unknown"
        );
        assert_eq!(
            event.timestamp,
            example["timestamp"].as_i64().expect("timestamp")
        );
        assert_eq!(
            event.instance_id.as_deref(),
            example["instance_id"].as_str()
        );
        if example.get("event_attributes").is_some() {
            let request = event
                .event_attributes
                .as_ref()
                .and_then(|a| a.http_request.as_ref())
                .unwrap_or_else(|| panic!("{event_type}: no http_request"));
            assert!(request.client_ip.is_some() && request.user_agent.is_some());
        }
        // Serializing gives the envelope back, and that decodes to the same event.
        let again: WebhookEvent =
            serde_json::from_str(&serde_json::to_string(&event).expect("serialize"))
                .unwrap_or_else(|e| panic!("{event_type} again: {e}"));
        assert_eq!(again, event, "{event_type}");
        // Also from bytes, the way a webhook handler decodes a body.
        let from_slice: WebhookEvent = serde_json::from_slice(text.as_bytes()).expect("from_slice");
        assert_eq!(from_slice, event);
    }
}

#[test]
fn user_id_of_user_session_and_membership_events() {
    let examples = examples();
    let decode = |key: &str| -> WebhookEvent {
        serde_json::from_str(&examples[key].to_string()).expect(key)
    };
    for key in EVENT_TYPES {
        let event = decode(key);
        let data = &examples[key]["data"];
        let expected = match key.split('.').next() {
            Some("user") => data["id"].as_str(),
            Some("session") => data["user_id"].as_str(),
            Some("organizationMembership") => data["public_user_data"]["user_id"].as_str(),
            _ => None,
        };
        assert_eq!(event.data.user_id(), expected, "{key}");
        if key.starts_with("user.") || key.starts_with("session.") {
            assert!(expected.is_some(), "{key}");
        }
    }
    let WebhookData::SessionCreated(session) = decode("session.created").data else {
        panic!("session.created");
    };
    assert_eq!(session.user.id, session.session.user_id);
}

#[test]
fn an_unknown_event_type_keeps_its_data() {
    let body = json!({
        "type": "widget.created", "object": "event", "timestamp": 1716883200000_i64,
        "instance_id": "ins_1", "data": {"id": "wid_1", "nested": [1, 2]}
    })
    .to_string();
    let event: WebhookEvent = serde_json::from_str(&body).expect("decodes");
    assert_eq!(event.event_type(), "widget.created");
    assert_eq!(event.data.user_id(), None);
    match &event.data {
        WebhookData::Unknown { event_type, data } => {
            assert_eq!(event_type, "widget.created");
            assert_eq!(data, &json!({"id": "wid_1", "nested": [1, 2]}));
        }
        other => panic!("not Unknown: {other:?}"),
    }
    let back = serde_json::to_value(&event).expect("serialize");
    assert_eq!(back["type"], "widget.created");
    assert_eq!(back["data"]["nested"], json!([1, 2]));
}

#[test]
fn a_known_event_type_with_broken_data_is_an_error() {
    // `data` after `type` or before it, the same.
    for body in [
        r#"{"type": "user.created", "object": "event", "timestamp": 1, "data": {"id": 42}}"#,
        r#"{"data": {"id": "sess_1", "user": "not a user"}, "type": "session.created", "timestamp": 1}"#,
        r#"{"type": "user.deleted", "timestamp": 1, "data": "user_1"}"#,
    ] {
        let error = serde_json::from_str::<WebhookEvent>(body).expect_err(body);
        assert!(error.to_string().contains("event data"), "{error}");
    }
    // No `type` or no `data`: not an event.
    assert!(serde_json::from_str::<WebhookEvent>(r#"{"timestamp": 1, "data": {}}"#).is_err());
    assert!(serde_json::from_str::<WebhookEvent>(r#"{"type": "user.created"}"#).is_err());
}

#[test]
fn data_may_come_before_the_type() {
    let body = r#"{"data": {"object": "user", "id": "user_1", "deleted": true},
        "object": "event", "timestamp": 1716883200000, "type": "user.deleted"}"#;
    let event: WebhookEvent = serde_json::from_str(body).expect("decodes");
    assert!(matches!(&event.data, WebhookData::UserDeleted(d) if d.deleted));
    assert_eq!(event.data.user_id(), Some("user_1"));
    assert_eq!(event.instance_id, None);
}

#[test]
fn an_event_can_be_built_and_serialized() {
    let mut event = WebhookEvent::new(
        WebhookData::Unknown {
            event_type: "x.y".into(),
            data: json!({}),
        },
        5,
    );
    event.instance_id = Some("ins_1".into());
    let value = serde_json::to_value(&event).expect("serialize");
    assert_eq!(
        value,
        json!({"type": "x.y", "object": "event", "data": {}, "timestamp": 5, "instance_id": "ins_1"})
    );
}
