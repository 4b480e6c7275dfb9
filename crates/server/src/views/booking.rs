//! How a booking reads: the REST object and the `data` of its webhook events. Both are
//! OnceHub's BookingBase ([`BookingBase`]) with their own last fields: the REST booking adds
//! `utm_params` and `contact` and may expand its references; the webhook's `conversation` is
//! expanded or null.

use serde::Serialize;
use serde_json::{json, Map, Value};
use slotline_domain::{
    id::{BookingId, UserId},
    time::format_millis,
};
use utoipa::ToSchema;

use super::Ref;
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

/// The guest's answers as OnceHub shows them: the standard fields always present.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormSubmission {
    #[schema(value_type = String)]
    pub name: Value,
    #[schema(value_type = String)]
    pub email: Value,
    #[schema(value_type = Option<String>)]
    pub phone: Value,
    #[schema(value_type = String)]
    pub mobile_phone: Value,
    #[schema(value_type = String)]
    pub note: Value,
    #[schema(value_type = Option<String>)]
    pub company: Value,
    #[schema(value_type = Vec<String>)]
    pub guests: Value,
    #[schema(value_type = Vec<Object>)]
    pub custom_fields: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VirtualConferencing {
    /// The meeting's link, for a location with a fixed link; else empty.
    pub join_url: String,
}

/// Fields of a booking made on a booking calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarParts {
    pub booking_calendar: Ref,
    pub ics_url: String,
    pub cancel_url: String,
    pub reschedule_url: String,
    /// Always null: Slotline takes no payments.
    #[schema(value_type = Option<Object>)]
    pub payment_information: Option<Value>,
}

/// Fields of a booking made on a classic booking page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageParts {
    pub booking_page: Ref,
    pub master_page: Option<Ref>,
    pub event_type: Option<Ref>,
}

/// OnceHub's BookingBase: the fields the REST booking and booking events share.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingBase {
    /// Always `booking`.
    pub object: &'static str,
    pub id: BookingId,
    /// OnceHub's own tracking number; Slotline repeats the id.
    pub tracking_id: String,
    pub subject: String,
    /// `requested`, `scheduled`, `rescheduled`, `canceled`, `canceled_then_rescheduled`,
    /// `canceled_reschedule_requested`, `completed` or `no_show`.
    pub status: &'static str,
    pub in_trash: bool,
    pub creation_time: String,
    pub starting_time: String,
    pub customer_timezone: String,
    pub last_updated_time: String,
    pub duration_minutes: i64,
    pub virtual_conferencing: VirtualConferencing,
    pub location_description: String,
    /// The booking this one replaced, when it was rescheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescheduled_booking_id: Option<BookingId>,
    pub cancel_reschedule_url: String,
    /// Who canceled or asked to reschedule, when, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub cancel_reschedule_information: Option<Value>,
    /// Where a host's calendar keeps the booking as an event, once it does: `type` is
    /// `caldav` (Slotline's; OnceHub names its providers), `name` the calendar's, `id` its
    /// address with the path hidden, `event_id` the event's UID. Absent before that.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub external_calendar: Option<Value>,
    /// The hosts' and the guest's email addresses, then the other guests'.
    #[schema(value_type = Vec<String>)]
    pub attendees: Vec<Value>,
    pub form_submission: FormSubmission,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(inline)]
    pub calendar: Option<CalendarParts>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(inline)]
    pub page: Option<PageParts>,
    #[schema(value_type = Vec<Object>)]
    pub custom_fields: Value,
}

/// The REST booking.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingOut {
    #[serde(flatten)]
    pub base: BookingBase,
    pub owner: Ref,
    pub conversation: Option<Ref>,
    /// The source tags the booking came with.
    #[schema(value_type = Option<Object>)]
    pub utm_params: Value,
    pub contact: Ref,
}

/// The `data` of a booking event.
#[derive(Debug, Serialize)]
pub struct BookingEventData {
    #[serde(flatten)]
    pub base: BookingBase,
    pub owner: UserId,
    /// Null, or the conversation the booking was made in, expanded.
    pub conversation: Value,
}

/// BookingBase of `b`; `host_emails` fill `attendees`; `expanded` holds the referenced objects
/// the request expanded, by field name.
pub fn base(
    base_url: &str,
    b: &Booking,
    host_emails: &[String],
    expanded: &Map<String, Value>,
) -> BookingBase {
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
    let member = |k: &str| {
        location
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let join_url = slotline_domain::meeting::join_url(location);
    let answer = |k: &str, absent: Value| form.get(k).cloned().unwrap_or(absent);
    BookingBase {
        object: "booking",
        id: b.id.clone(),
        tracking_id: b.id.to_string(),
        subject: b.subject.clone(),
        status: b.status.as_str(),
        in_trash: false,
        creation_time: format_millis(b.creation_time),
        starting_time: format_millis(b.start_time),
        customer_timezone: b.customer_timezone.clone(),
        last_updated_time: format_millis(b.last_updated_time),
        duration_minutes: b.duration_minutes,
        virtual_conferencing: VirtualConferencing { join_url },
        location_description: member("description").to_string(),
        rescheduled_booking_id: b.rescheduled_booking_id.clone(),
        cancel_reschedule_url: l.reschedule.clone(),
        cancel_reschedule_information: b.cancel_info.clone(),
        external_calendar: b.external_calendar.clone(),
        attendees,
        form_submission: FormSubmission {
            name: answer("name", json!("")),
            email: answer("email", json!("")),
            phone: answer("phone", Value::Null),
            mobile_phone: answer("mobile_phone", json!("")),
            note: answer("note", json!("")),
            company: answer("company", Value::Null),
            guests: answer("guests", json!([])),
            custom_fields: answer("custom_fields", json!([])),
        },
        calendar: b.booking_calendar_id.as_deref().map(|cal| CalendarParts {
            booking_calendar: Ref::of(cal, expanded, "booking_calendar"),
            ics_url: l.ics,
            cancel_url: l.cancel,
            reschedule_url: l.reschedule,
            payment_information: None,
        }),
        page: b.booking_page_id.as_deref().map(|page| PageParts {
            booking_page: Ref::of(page, expanded, "booking_page"),
            master_page: Ref::of_opt(b.master_page_id.as_deref(), expanded, "master_page"),
            event_type: Ref::of_opt(b.event_type_id.as_deref(), expanded, "event_type"),
        }),
        custom_fields: answer("custom_fields", json!([])),
    }
}

/// The REST booking; `expanded` holds the referenced objects the request expanded.
pub fn rest(
    base_url: &str,
    b: &Booking,
    host_emails: &[String],
    expanded: &Map<String, Value>,
) -> BookingOut {
    BookingOut {
        base: base(base_url, b, host_emails, expanded),
        owner: Ref::of(&b.owner_id, expanded, "owner"),
        conversation: Ref::of_opt(b.conversation_id.as_deref(), expanded, "conversation"),
        utm_params: b.utm_params.clone().unwrap_or(Value::Null),
        contact: Ref::of(&b.contact_id, expanded, "contact"),
    }
}

/// The `data` of a booking event (its conversation, if any, is set by the caller).
pub fn webhook_data(base_url: &str, b: &Booking, host_emails: &[String]) -> BookingEventData {
    BookingEventData {
        base: base(base_url, b, host_emails, &Map::new()),
        owner: b.owner_id.clone(),
        conversation: Value::Null,
    }
}
