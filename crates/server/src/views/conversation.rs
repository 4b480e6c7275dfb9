//! How a conversation reads: the REST object and the `data` of its webhook events (the same
//! object with contact, owner, bot and website expanded), in OnceHub's Conversation schema.

use serde_json::{json, Map, Value};
use slotline_domain::time::format_millis;

use crate::store::{
    chatbots::{Audience, Bot, Website},
    conversations::Conversation,
};

pub fn bot_json(b: &Bot) -> Value {
    json!({"id": b.id, "object": "bot", "name": b.name})
}

pub fn website_json(w: &Website) -> Value {
    json!({"id": w.id, "object": "website", "name": w.name, "url": w.url})
}

pub fn audience_json(a: &Audience) -> Value {
    json!({"id": a.id, "object": "audience", "name": a.name})
}

/// The conversation with ids for its references; `expanded` replaces some of them by objects.
pub fn rest(c: &Conversation, expanded: &Map<String, Value>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(c.id));
    m.insert("object".into(), json!("conversation"));
    m.insert(
        "creation_time".into(),
        json!(format_millis(c.creation_time)),
    );
    m.insert("initiated_by".into(), json!(c.initiated_by));
    m.insert(
        "last_updated_time".into(),
        json!(format_millis(c.last_updated_time)),
    );
    m.insert(
        "last_interacted_time".into(),
        json!(format_millis(c.last_interacted_time)),
    );
    m.insert("contact".into(), json!(c.contact_id));
    m.insert("owner".into(), json!(c.owner_id));
    m.insert("status".into(), json!(c.status.as_str()));
    m.insert("bot".into(), json!(c.bot_id));
    m.insert("website".into(), json!(c.website_id));
    m.insert("audience".into(), json!(c.audience_id));
    // Stored answers also keep the step and its values (for the contact); the object shows
    // OnceHub's four fields.
    let answers: Vec<Value> = c
        .answers
        .iter()
        .map(|a| json!({"id": a["id"], "internal_label": a["internal_label"], "question": a["question"], "value": a["value"]}))
        .collect();
    m.insert("answers".into(), Value::Array(answers));
    m.insert("bookings".into(), json!(c.bookings));
    // Extensions: where the conversation started, and the visit's source tags.
    m.insert("page_url".into(), json!(c.page_url));
    m.insert(
        "utm_params".into(),
        c.utm_params.clone().unwrap_or(Value::Null),
    );
    for (k, v) in expanded {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}
