//! `POST /sms/status`: the SMS provider reports what became of a message (Twilio's status
//! callback). The request must carry the provider's signature over this URL and its form, made
//! with the account's auth token; anything else is refused and changes nothing.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};

use crate::{delivery::sms, state::SharedState, store::notifications};

/// The largest report read; Twilio's are well under 2 KB.
const MAX_REPORT: usize = 16 * 1024;

pub async fn report(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(settings) = state.messages.as_ref().and_then(|m| m.sms.as_ref()) else {
        return StatusCode::NOT_FOUND;
    };
    let token = settings.auth_token.as_str();
    if body.len() > MAX_REPORT {
        return StatusCode::PAYLOAD_TOO_LARGE;
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let signed = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sig| sms::verify(token, &settings.status_callback, &params, sig));
    if !signed {
        return StatusCode::FORBIDDEN;
    }
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(sid) = field("MessageSid").or_else(|| field("SmsSid")) else {
        return StatusCode::BAD_REQUEST;
    };
    let Some(status) = field("MessageStatus")
        .or_else(|| field("SmsStatus"))
        .and_then(sms::status_of)
    else {
        // An interim word (queued, sending): nothing to record.
        return StatusCode::NO_CONTENT;
    };
    let error = field("ErrorCode").map(|c| format!("The provider reported error {c}."));
    match notifications::provider_status(&state.db, sid, status, error.as_deref(), state.now())
        .await
    {
        Ok(true) => StatusCode::NO_CONTENT,
        Ok(false) => StatusCode::NOT_FOUND,
        Err(e) => {
            tracing::warn!(error = %e, "recording an SMS status failed");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}
