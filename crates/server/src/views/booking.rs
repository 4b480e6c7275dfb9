//! How a booking reads (used by the API, the scheduler's events and, later, the web pages): the REST object and the `data` of its webhook events, which share
//! OnceHub's BookingBase and differ as the spec says (the webhook has no `contact` and no
//! `utm_params`; its `conversation` is expanded or null).

use serde_json::{json, Map, Value};
use slotline_domain::time::format_millis;

use crate::store::bookings::Booking;

/// The public links of a booking, built from its unguessable token.
pub struct Links {
    pub reschedule: String,
    pub cancel: String,
    pub ics: String,
}

pub fn links(base_url: &str, b: &Booking) -> Links {
    Links {
        reschedule: format!("{base_url}/b/{}", b.token),
        cancel: format!("{base_url}/b/{}/cancel", b.token),
        ics: format!("{base_url}/b/{}.ics", b.token),
    }
}

/// BookingBase: the fields REST and webhooks share. `host_emails` fill `attendees`.
pub fn base(base_url: &str, b: &Booking, host_emails: &[String]) -> Map<String, Value> {
    let l = links(base_url, b);
    let form = &b.form_submission;
    let mut attendees: Vec<Value> = host_emails.iter().map(|e| json!(e)).collect();
    if let Some(e) = form.get("email") {
        attendees.push(e.clone());
    }
    if let Some(guests) = form.get("guests").and_then(Value::as_array) {
        attendees.extend(guests.iter().cloned());
    }
    let location = b.location.as_ref();
    let loc_kind = location
        .and_then(|l| l.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let description = location
        .and_then(|l| l.get("description"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let join_url = if loc_kind == "virtual_static" {
        location
            .and_then(|l| l.get("value"))
            .and_then(Value::as_str)
            .unwrap_or("")
    } else {
        ""
    };
    let mut m = Map::new();
    m.insert("object".into(), json!("booking"));
    m.insert("id".into(), json!(b.id));
    m.insert("tracking_id".into(), json!(b.id));
    m.insert("subject".into(), json!(b.subject));
    m.insert("status".into(), json!(b.status.as_str()));
    m.insert("in_trash".into(), json!(false));
    m.insert(
        "creation_time".into(),
        json!(format_millis(b.creation_time)),
    );
    m.insert("starting_time".into(), json!(format_millis(b.start_time)));
    m.insert("customer_timezone".into(), json!(b.customer_timezone));
    m.insert(
        "last_updated_time".into(),
        json!(format_millis(b.last_updated_time)),
    );
    m.insert("duration_minutes".into(), json!(b.duration_minutes));
    m.insert("virtual_conferencing".into(), json!({"join_url": join_url}));
    m.insert("location_description".into(), json!(description));
    if let Some(r) = &b.rescheduled_booking_id {
        m.insert("rescheduled_booking_id".into(), json!(r));
    }
    m.insert("cancel_reschedule_url".into(), json!(l.reschedule));
    if let Some(info) = &b.cancel_info {
        m.insert("cancel_reschedule_information".into(), info.clone());
    }
    m.insert("attendees".into(), Value::Array(attendees));
    m.insert(
        "form_submission".into(),
        json!({
            "name": form.get("name").cloned().unwrap_or(json!("")),
            "email": form.get("email").cloned().unwrap_or(json!("")),
            "phone": form.get("phone").cloned().unwrap_or(Value::Null),
            "mobile_phone": form.get("mobile_phone").cloned().unwrap_or(json!("")),
            "note": form.get("note").cloned().unwrap_or(json!("")),
            "company": form.get("company").cloned().unwrap_or(Value::Null),
            "guests": form.get("guests").cloned().unwrap_or(json!([])),
            "custom_fields": form.get("custom_fields").cloned().unwrap_or(json!([])),
        }),
    );
    if let Some(cal) = &b.booking_calendar_id {
        m.insert("booking_calendar".into(), json!(cal));
        m.insert("ics_url".into(), json!(l.ics));
        m.insert("cancel_url".into(), json!(l.cancel));
        m.insert("reschedule_url".into(), json!(l.reschedule));
        m.insert("payment_information".into(), Value::Null);
    }
    if let Some(page) = &b.booking_page_id {
        m.insert("booking_page".into(), json!(page));
        m.insert("master_page".into(), json!(b.master_page_id));
        m.insert("event_type".into(), json!(b.event_type_id));
    }
    m.insert(
        "custom_fields".into(),
        form.get("custom_fields").cloned().unwrap_or(json!([])),
    );
    m
}

/// The REST booking; expanded objects are passed in by the caller.
pub fn rest(
    base_url: &str,
    b: &Booking,
    host_emails: &[String],
    expanded: &Map<String, Value>,
) -> Value {
    let mut m = base(base_url, b, host_emails);
    m.insert("owner".into(), json!(b.owner_id));
    m.insert("conversation".into(), json!(b.conversation_id));
    m.insert(
        "utm_params".into(),
        b.utm_params.clone().unwrap_or(Value::Null),
    );
    m.insert("contact".into(), json!(b.contact_id));
    for (k, v) in expanded {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}

/// The `data` of a booking event.
pub fn webhook_data(base_url: &str, b: &Booking, host_emails: &[String]) -> Value {
    let mut m = base(base_url, b, host_emails);
    m.insert("owner".into(), json!(b.owner_id));
    m.insert("conversation".into(), Value::Null);
    Value::Object(m)
}
