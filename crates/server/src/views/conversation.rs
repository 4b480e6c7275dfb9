//! How a conversation reads: the REST object and the `data` of its webhook events (the same
//! object with contact, owner, bot and website expanded), in OnceHub's Conversation schema.

use serde::Serialize;
use serde_json::{Map, Value};
use slotline_domain::{
    id::{AudienceId, BookingId, BotId, ConversationId, WebsiteId},
    time::format_millis,
};
use utoipa::ToSchema;

use super::Ref;
use crate::store::{
    chatbots::{Audience, Bot, Website},
    conversations::Conversation,
};

/// A bot as another object shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotSummary {
    pub id: BotId,
    /// Always `bot`.
    pub object: &'static str,
    pub name: String,
}

/// A website as another object shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebsiteSummary {
    pub id: WebsiteId,
    /// Always `website`.
    pub object: &'static str,
    pub name: String,
    pub url: String,
}

/// An audience as another object shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AudienceSummary {
    pub id: AudienceId,
    /// Always `audience`.
    pub object: &'static str,
    pub name: String,
}

pub fn bot_json(b: &Bot) -> Value {
    serde_json::json!(BotSummary {
        id: b.id.clone(),
        object: "bot",
        name: b.name.clone(),
    })
}

pub fn website_json(w: &Website) -> Value {
    serde_json::json!(WebsiteSummary {
        id: w.id.clone(),
        object: "website",
        name: w.name.clone(),
        url: w.url.clone(),
    })
}

pub fn audience_json(a: &Audience) -> Value {
    serde_json::json!(AudienceSummary {
        id: a.id.clone(),
        object: "audience",
        name: a.name.clone(),
    })
}

/// One answer as OnceHub shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerOut {
    #[schema(value_type = String)]
    pub id: Value,
    #[schema(value_type = String)]
    pub internal_label: Value,
    #[schema(value_type = String)]
    pub question: Value,
    #[schema(value_type = Object)]
    pub value: Value,
}

/// OnceHub's Conversation; references are ids unless expanded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationOut {
    pub id: ConversationId,
    /// Always `conversation`.
    pub object: &'static str,
    pub creation_time: String,
    /// `bot` or `visitor`.
    pub initiated_by: String,
    pub last_updated_time: String,
    pub last_interacted_time: String,
    pub contact: Option<Ref>,
    pub owner: Ref,
    /// `started`, `closed` or `abandoned`.
    pub status: &'static str,
    pub bot: Ref,
    pub website: Ref,
    pub audience: Option<Ref>,
    pub answers: Vec<AnswerOut>,
    /// Ids of the bookings made in the conversation.
    pub bookings: Vec<BookingId>,
    /// Extension: the page the conversation started on.
    pub page_url: Option<String>,
    /// Extension: the visit's source tags.
    #[schema(value_type = Option<Object>)]
    pub utm_params: Value,
}

/// The conversation with ids for its references; `expanded` replaces some of them by objects.
pub fn rest(c: &Conversation, expanded: &Map<String, Value>) -> ConversationOut {
    ConversationOut {
        id: c.id.clone(),
        object: "conversation",
        creation_time: format_millis(c.creation_time),
        initiated_by: c.initiated_by.clone(),
        last_updated_time: format_millis(c.last_updated_time),
        last_interacted_time: format_millis(c.last_interacted_time),
        contact: Ref::of_opt(c.contact_id.as_deref(), expanded, "contact"),
        owner: Ref::of(&c.owner_id, expanded, "owner"),
        status: c.status.as_str(),
        bot: Ref::of(&c.bot_id, expanded, "bot"),
        website: Ref::of(&c.website_id, expanded, "website"),
        audience: Ref::of_opt(c.audience_id.as_deref(), expanded, "audience"),
        // Stored answers also keep the step and its values (for the contact); the object shows
        // OnceHub's four fields.
        answers: c
            .answers
            .iter()
            .map(|a| AnswerOut {
                id: a["id"].clone(),
                internal_label: a["internal_label"].clone(),
                question: a["question"].clone(),
                value: a["value"].clone(),
            })
            .collect(),
        bookings: c.bookings.clone(),
        page_url: c.page_url.clone(),
        utm_params: c.utm_params.clone().unwrap_or(Value::Null),
    }
}

/// [`rest`] as JSON, for embedding in another object.
pub fn rest_json(c: &Conversation, expanded: &Map<String, Value>) -> Value {
    serde_json::to_value(rest(c, expanded)).unwrap_or(Value::Null)
}
