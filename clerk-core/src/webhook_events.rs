//! PLACEHOLDER until the generated events land (branch `events`).
#![allow(missing_docs)]

pub const EVENT_TYPES: [&str; 1] = ["user.created"];

#[derive(Debug, Clone, serde::Deserialize)]
pub struct WebhookEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    pub timestamp: i64,
    pub data: WebhookData,
}

impl WebhookEvent {
    pub fn event_type(&self) -> &str {
        &self.event_type
    }
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct WebhookData(serde_json::Value);

impl WebhookData {
    pub fn user_id(&self) -> Option<&str> {
        self.0.get("id").and_then(|v| v.as_str())
    }
}
