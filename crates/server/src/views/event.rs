//! Events as OnceHub delivers them: the envelope around an object's data.

use serde_json::{json, Value};
use slotline_domain::{id::EventId, time::format_millis};

/// The event envelope, compact, exactly as it will be delivered.
pub fn envelope(
    id: &EventId,
    event_type: &str,
    creation_time: i64,
    data: impl serde::Serialize,
) -> String {
    json!({"id": id, "object": "event", "creation_time": format_millis(creation_time), "type": event_type, "api_version": "v2", "data": data}).to_string()
}

/// The `webhook.test` event's data: the webhook it was sent to.
pub fn webhook_test_data(id: &str, name: &str, url: &str) -> Value {
    json!({"object": "webhook", "id": id, "name": name, "url": url})
}
