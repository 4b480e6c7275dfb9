//! Messages to people: OnceHub's SMS log (`GET /v2/notifications/sms`), and the extensions that
//! list a booking's messages of every channel and resend one.

use axum::{
    extract::{Path, RawQuery, State},
    response::Response,
    routing::{get, post},
    Json, Router,
};
use serde::Serialize;
use serde_json::{json, Value};
use slotline_domain::{
    id::{kind, AccountId, ContactId, UserId},
    notice,
    time::format_millis,
};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    list::{self, Params},
};
use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    state::SharedState,
    store::{
        bookings,
        notifications::{self, Message, MessageId, SmsFilter},
        users,
    },
    views,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/notifications/sms", get(list_sms))
        .route("/bookings/{id}/notifications", get(of_booking))
        .route("/notifications/{id}/resend", post(resend))
}

/// SMS details, as OnceHub's SMS notification carries them.
#[derive(Serialize, ToSchema)]
pub struct SmsDetails {
    /// The mobile number it went to.
    #[schema(example = "+12025550195")]
    pub delivered_to: String,
    #[schema(
        example = "Reminder: Intro call with Ann Lee, Monday, January 5, 2026 at 2:30 PM (CET)."
    )]
    pub message_body: String,
    /// Parts the message travelled in (the provider's count, or Slotline's when it gave none).
    #[schema(example = 1)]
    pub segment_count: i64,
}

/// OnceHub's SMS notification.
#[derive(Serialize, ToSchema)]
#[schema(as = SmsNotification)]
pub struct SmsOut {
    /// Always `notification`.
    pub object: &'static str,
    #[schema(example = "SMS-8X92M293")]
    pub id: String,
    /// Always `sms`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `sent`, `delivered`, `failed` or `rejected`.
    #[schema(example = "delivered")]
    pub status: &'static str,
    pub creation_time: String,
    /// The contact's or user's id, or the object when expanded.
    #[schema(value_type = Object)]
    pub recipient: Value,
    /// `contact` or `user`.
    pub recipient_type: String,
    pub details: SmsDetails,
}

async fn recipient(
    state: &SharedState,
    account_id: &AccountId,
    m: &Message,
    expand: bool,
) -> AppResult<Value> {
    let id = m.recipient_id.clone().unwrap_or_default();
    if !expand {
        return Ok(Value::String(id));
    }
    let expanded = match m.recipient_type.as_str() {
        "contact" => match ContactId::parse(id.clone()) {
            Ok(c) => views::contact::json(&state.db, account_id, &c).await?,
            Err(_) => None,
        },
        _ => match UserId::parse(id.clone()) {
            Ok(u) => users::get(&state.db, account_id, &u)
                .await?
                .map(|u| json!(views::user::UserOut::from(u))),
            Err(_) => None,
        },
    };
    Ok(expanded.unwrap_or(Value::String(id)))
}

async fn sms_out(
    state: &SharedState,
    account_id: &AccountId,
    m: Message,
    expand: bool,
) -> AppResult<SmsOut> {
    Ok(SmsOut {
        object: "notification",
        recipient: recipient(state, account_id, &m, expand).await?,
        status: m.status.as_str(),
        creation_time: format_millis(m.creation_time),
        recipient_type: m.recipient_type,
        details: SmsDetails {
            delivered_to: m.address,
            segment_count: m
                .segment_count
                .unwrap_or_else(|| notice::sms_segments(&m.text) as i64),
            message_body: m.text,
        },
        kind: "sms",
        id: m.id,
    })
}

#[utoipa::path(get, path = "/v2/notifications/sms", operation_id = "list-all-sms-notifications", tag = "Notifications",
    params(("creation_time.gt" = Option<String>, Query), ("creation_time.lt" = Option<String>, Query),
           ("recipient" = Option<String>, Query, description = "A contact's or a user's id"),
           ("recipient_type" = Option<String>, Query, description = "`contact` or `user`"),
           ("expand" = Option<String>, Query, description = "`recipient`"),
           ("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<SmsOut>), (status = 400, body = ErrorBody)))]
pub async fn list_sms(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let expand = !params.expand(&["recipient"], true)?.is_empty();
    // Present but empty is not one of the two values either.
    let recipient_type = match params.get("recipient_type") {
        None => None,
        Some("contact") => Some("contact"),
        Some("user") => Some("user"),
        Some(other) => {
            return Err(AppError::invalid(
                format!("Invalid string: {other}"),
                "recipient_type",
            ))
        }
    };
    let recipient = match params.get("recipient").filter(|s| !s.is_empty()) {
        None => None,
        Some(r)
            if ContactId::parse(r.to_string()).is_ok() || UserId::parse(r.to_string()).is_ok() =>
        {
            Some(r.to_string())
        }
        Some(r) => {
            return Err(AppError::invalid(
                format!("Invalid recipient: '{r}'"),
                "recipient",
            ))
        }
    };
    let creation = params.range("creation_time")?;
    let filter = SmsFilter {
        created_after: creation.gt,
        created_before: creation.lt,
        recipient,
        recipient_type,
    };
    let (rows, page) = notifications::list_sms(&state.db, &p.account_id, &filter, &req).await?;
    let mut data = Vec::with_capacity(rows.len());
    for m in rows {
        data.push(sms_out(&state, &p.account_id, m, expand).await?);
    }
    Ok(list::respond(
        &state.base_url,
        "/v2/notifications/sms",
        &params,
        &req,
        &page,
        data,
    ))
}

/// Extension: a message of any channel, with where it stands.
#[derive(Serialize, ToSchema)]
#[schema(as = Notification)]
pub struct MessageOut {
    /// Always `notification`.
    pub object: &'static str,
    #[schema(example = "NTF-3J7K9M2P4Q")]
    pub id: String,
    /// `email` or `sms`.
    #[serde(rename = "type")]
    pub channel: &'static str,
    /// What it tells: `guest.scheduled`, `host.requested`, `guest.reminder`, …
    #[schema(example = "guest.scheduled")]
    pub kind: String,
    /// `pending`, `sent`, `delivered`, `failed`, `rejected`, `dropped` (its booking changed
    /// before it was due) or `expired` (its time passed while it could not be sent).
    pub status: &'static str,
    pub booking: Option<String>,
    pub recipient: Option<String>,
    /// `contact` or `user`.
    pub recipient_type: String,
    pub recipient_name: String,
    /// The email address or mobile number.
    pub address: String,
    /// Empty for an SMS; null for a reminder not yet rendered (its words are written when it
    /// goes, from the booking as it is then).
    pub subject: Option<String>,
    /// The plain text sent; null for a reminder not yet rendered.
    pub text: Option<String>,
    /// Whether an invitation (`.ics`) is attached.
    pub invitation: bool,
    pub attempts: i64,
    /// When it is or was meant to go.
    pub due_time: String,
    /// Not sent after this (reminders).
    pub expire_time: Option<String>,
    pub next_attempt_time: Option<String>,
    pub last_attempt_time: Option<String>,
    pub last_error: Option<String>,
    /// The SMTP Message-ID, or the SMS provider's id.
    pub provider_id: Option<String>,
    pub sent_time: Option<String>,
    pub creation_time: String,
}

impl From<Message> for MessageOut {
    fn from(m: Message) -> Self {
        let t = |v: Option<i64>| v.map(format_millis);
        let rendered = !m.text.is_empty();
        MessageOut {
            object: "notification",
            channel: m.channel.as_str(),
            kind: m.kind,
            status: m.status.as_str(),
            booking: m.booking_id.map(|b| b.to_string()),
            recipient: m.recipient_id,
            recipient_type: m.recipient_type,
            recipient_name: m.recipient_name,
            address: m.address,
            subject: rendered.then_some(m.subject),
            text: rendered.then_some(m.text),
            invitation: m.has_ics,
            attempts: m.attempts,
            due_time: format_millis(m.due_time),
            expire_time: t(m.expire_time),
            next_attempt_time: t(m.next_attempt_time),
            last_attempt_time: t(m.last_attempt_time),
            last_error: m.last_error,
            provider_id: m.provider_id,
            sent_time: t(m.sent_time),
            creation_time: format_millis(m.creation_time),
            id: m.id,
        }
    }
}

/// Extension: every message about a booking, oldest first.
#[derive(Serialize, ToSchema)]
pub struct MessageList {
    /// Always `list`.
    pub object: &'static str,
    pub data: Vec<MessageOut>,
    /// Always false: a booking's messages come in one page.
    pub has_more: bool,
}

#[utoipa::path(get, path = "/v2/bookings/{id}/notifications", operation_id = "list-booking-notifications", tag = "Notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = MessageList), (status = 404, body = ErrorBody)))]
pub async fn of_booking(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Booking>,
) -> AppResult<Json<MessageList>> {
    bookings::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("booking", id.as_str()))?;
    let rows = notifications::of_booking(&state.db, &p.account_id, &id).await?;
    Ok(Json(MessageList {
        object: "list",
        data: rows.into_iter().map(MessageOut::from).collect(),
        has_more: false,
    }))
}

#[utoipa::path(post, path = "/v2/notifications/{id}/resend", operation_id = "resend-a-notification", tag = "Notifications",
    params(("id" = String, Path, description = "`NTF-…` or `SMS-…`")),
    responses((status = 200, body = MessageOut, description = "The copy, due now"), (status = 404, body = ErrorBody)))]
pub async fn resend(
    State(state): State<SharedState>,
    p: Principal,
    Path(raw): Path<String>,
) -> AppResult<Json<MessageOut>> {
    let not_found = || AppError::not_found("notification", &raw);
    let id = MessageId::parse(&raw).ok_or_else(not_found)?;
    let copy = notifications::resend(&state.db, &p.account_id, &id, state.now())
        .await?
        .ok_or_else(not_found)?;
    let m = notifications::get(&state.db, &p.account_id, &copy)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(m.into()))
}
