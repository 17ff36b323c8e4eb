//! Backend API and webhook JSON into the main models (`User`, `Organization`, `Session`,
//! `WebhookEvent`): never a panic, and what decodes encodes again.
#![no_main]

use clerk_core::models::{Organization, Session, User};
use clerk_core::webhooks::WebhookEvent;
use libfuzzer_sys::fuzz_target;

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let json = serde_json::to_vec(&value).expect("a decoded model encodes");
        serde_json::from_slice::<T>(&json).expect("an encoded model decodes");
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<User>(data);
    round_trip::<Organization>(data);
    round_trip::<Session>(data);
    if let Ok(event) = serde_json::from_slice::<WebhookEvent>(data) {
        let _ = (event.event_type(), event.data.user_id());
    }
});
