//! Typed Clerk webhook events, generated from Clerk's webhook spec; public through
//! [`crate::webhooks`], their one path.
//!
//! Decode a verified webhook body into a [`WebhookEvent`]: the envelope (`timestamp`,
//! `instance_id`, `event_attributes`) and [`WebhookData`], one variant per event type of the spec
//! ([`EVENT_TYPES`]), each carrying its model: the Backend API's [`models`](crate::models) where the
//! schemas agree (`user.created` is a [`User`](crate::models::User), `user.deleted` a
//! [`DeletedObject`](crate::models::DeletedObject)), a model of this module otherwise
//! (`session.created` is a [`SessionEventData`]: the [`Session`](crate::models::Session) plus its
//! `user`). An event type Clerk adds later decodes to [`WebhookData::Unknown`]; a known type whose
//! data does not match its model is an error. Models are lenient as elsewhere: unknown fields are
//! ignored.
//!
//! ```
//! use clerk_core::webhooks::{WebhookData, WebhookEvent};
//!
//! let body = br#"{"type": "user.deleted", "object": "event", "timestamp": 1716883200000,
//!     "instance_id": "ins_1", "data": {"object": "user", "id": "user_1", "deleted": true}}"#;
//! let event: WebhookEvent = serde_json::from_slice(body)?;
//! assert_eq!(event.event_type(), "user.deleted");
//! assert_eq!(event.data.user_id(), Some("user_1"));
//! assert!(matches!(event.data, WebhookData::UserDeleted(_)));
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::borrow::Cow;

use serde::de::Error as _;
use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

pub use crate::generated::webhooks::*;

impl WebhookEvent {
    /// An event of `data` at `timestamp`, without instance id or attributes (set the fields to add
    /// them).
    pub fn new(data: WebhookData, timestamp: i64) -> Self {
        Self {
            timestamp,
            instance_id: None,
            event_attributes: None,
            data,
        }
    }

    /// The event type, such as `user.created` (also for an unknown event).
    pub fn event_type(&self) -> &str {
        self.data.event_type()
    }
}

/// The envelope as sent; `data` is kept as JSON text until the type is known, so it is decoded
/// once, straight into its model, whatever the order of the fields.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow)]
    event_type: Cow<'a, str>,
    #[serde(default)]
    timestamp: i64,
    #[serde(default)]
    instance_id: Option<String>,
    #[serde(default)]
    event_attributes: Option<EventAttributes>,
    data: Box<RawValue>,
}

impl<'de> Deserialize<'de> for WebhookEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let envelope = Envelope::deserialize(deserializer)?;
        let data =
            WebhookData::from_json(&envelope.event_type, envelope.data.get()).map_err(|e| {
                D::Error::custom(format_args!("`{}` event data: {e}", envelope.event_type))
            })?;
        Ok(Self {
            timestamp: envelope.timestamp,
            instance_id: envelope.instance_id,
            event_attributes: envelope.event_attributes,
            data,
        })
    }
}

impl Serialize for WebhookEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", self.event_type())?;
        map.serialize_entry("object", "event")?;
        self.data.serialize_data(&mut map)?;
        map.serialize_entry("timestamp", &self.timestamp)?;
        if let Some(instance_id) = &self.instance_id {
            map.serialize_entry("instance_id", instance_id)?;
        }
        if let Some(attributes) = &self.event_attributes {
            map.serialize_entry("event_attributes", attributes)?;
        }
        map.end()
    }
}
