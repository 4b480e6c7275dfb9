//! What a public page tells the website around it, and where it sends the guest afterwards, in
//! OnceHub's shapes (REFERENCE §5.3–5.5): the `postMessage` events of an embedded booking
//! calendar, the classic `SOAfterConfirmationFunction(data)` payload, and the booking data passed
//! to a custom confirmation page. Pure: built from the booking and the page, no I/O.

use serde_json::{json, Map, Value};
use slotline_domain::{prefill::UTM_KEYS, settings::Question, time::format_millis};

use crate::{store::bookings::Booking, views};

/// The booking calendar as the embed events name it.
pub struct CalendarInfo<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub subject: &'a str,
    /// `USR-…`, or the team for a team calendar.
    pub host: &'a str,
    pub url: &'a str,
    pub duration_minutes: u32,
}

fn calendar_payload(c: &CalendarInfo) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(c.id));
    m.insert("subject".into(), json!(c.subject));
    m.insert("host".into(), json!(c.host));
    m.insert("url".into(), json!(c.url));
    m.insert("name".into(), json!(c.name));
    m.insert("duration_minutes".into(), json!(c.duration_minutes));
    m
}

fn message(kind: &str, payload: Map<String, Value>) -> Value {
    json!({"type": kind, "payload": payload})
}

/// `oncehub.booking_calendar.loaded`.
pub fn loaded(c: &CalendarInfo) -> Value {
    message("oncehub.booking_calendar.loaded", calendar_payload(c))
}

/// `oncehub.booking_calendar.time_slot_selected`.
pub fn time_slot_selected(c: &CalendarInfo, start_ms: i64, customer_timezone: &str) -> Value {
    let mut p = calendar_payload(c);
    p.insert("starting_time".into(), json!(format_millis(start_ms)));
    p.insert("customer_timezone".into(), json!(customer_timezone));
    message("oncehub.booking_calendar.time_slot_selected", p)
}

fn text<'a>(form: &'a Value, key: &str) -> Option<&'a str> {
    form.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A custom field's value as one string (a multi-select's values joined by commas).
fn field_text(v: &Value) -> String {
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn custom_fields(b: &Booking) -> Vec<(String, String)> {
    b.form_submission
        .get("custom_fields")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| {
                    Some((
                        f.get("name")?.as_str()?.to_string(),
                        field_text(f.get("value")?),
                    ))
                })
                .filter(|(_, v)| !v.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn utm<'a>(b: &'a Booking, tag: &str) -> Option<&'a str> {
    b.utm_params
        .as_ref()
        .and_then(|u| u.get(tag))
        .and_then(Value::as_str)
}

/// `oncehub.booking.scheduled`: the booking, with the source tags both flat (`utm_source`, as
/// OnceHub documents now) and nested (`utm_params`, as it documented before), and the form's
/// answers — name and email included — as `custom_fields`.
pub fn booking_scheduled(base_url: &str, b: &Booking, host_emails: &[String]) -> Value {
    let base = serde_json::to_value(views::booking::base(base_url, b, host_emails, &Map::new()))
        .unwrap_or_default();
    let links = views::booking::links(base_url, b);
    let mut p = Map::new();
    for k in [
        "id",
        "subject",
        "status",
        "creation_time",
        "starting_time",
        "customer_timezone",
        "duration_minutes",
        "location_description",
        "attendees",
    ] {
        p.insert(k.into(), base.get(k).cloned().unwrap_or(Value::Null));
    }
    p.insert("host".into(), json!(b.owner_id));
    p.insert("booking_calendar".into(), json!(b.booking_calendar_id));
    p.insert("cancel_url".into(), json!(links.cancel));
    p.insert("reschedule_url".into(), json!(links.reschedule));
    p.insert("ics_url".into(), json!(links.ics));
    let mut nested = Map::new();
    for tag in UTM_KEYS {
        p.insert(format!("utm_{tag}"), json!(utm(b, tag)));
        nested.insert(tag.into(), json!(utm(b, tag)));
    }
    p.insert("utm_params".into(), Value::Object(nested));
    let mut fields = Vec::new();
    for k in ["name", "email", "phone", "mobile_phone", "company", "note"] {
        if let Some(v) = text(&b.form_submission, k) {
            fields.push(json!({"name": k, "value": v}));
        }
    }
    fields.extend(
        custom_fields(b)
            .into_iter()
            .map(|(name, value)| json!({"name": name, "value": value})),
    );
    p.insert("custom_fields".into(), Value::Array(fields));
    message("oncehub.booking.scheduled", p)
}

/// `2018-04-25T06:45:00`: a wall-clock time in `zone`, no offset, as the classic payload writes.
fn wall(ms: i64, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(tz).strftime("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The classic Website embed's `SOAfterConfirmationFunction(data)` argument (REFERENCE §5.5).
pub fn so_after_confirmation(
    base_url: &str,
    b: &Booking,
    page_zone: &str,
    event_type_name: &str,
) -> Value {
    let links = views::booking::links(base_url, b);
    let form = &b.form_submission;
    json!({
        "errorStatus": 0,
        "bookingInfo": {
            "Version": env!("CARGO_PKG_VERSION"),
            "MeetingTimes": [{
                "UTCTime": wall(b.start_time, "UTC"),
                "CustomerTime": wall(b.start_time, &b.customer_timezone),
                "SOTime": wall(b.start_time, page_zone),
            }],
            "CancelRescheduleLink": links.reschedule,
            "Note": text(form, "note").unwrap_or(""),
            "CalendarEvent": {"ICS": links.ics, "VCS": links.ics},
            "statusCode": "1",
            "Message": Value::Null,
            "CustomerName": text(form, "name").unwrap_or(""),
            "CustomerEmail": text(form, "email").unwrap_or(""),
            "CustomerPhone": text(form, "phone").or_else(|| text(form, "mobile_phone")).unwrap_or(""),
            "EventTypeName": event_type_name,
        }
    })
}

/// What a classic booking page passes to its redirect page besides the form.
pub struct ClassicPage<'a> {
    pub slug: &'a str,
    pub zone: &'a str,
    pub questions: &'a [Question],
}

/// The booking data a booking calendar passes to its custom confirmation page (REFERENCE §5.3):
/// the form by mapped field names (empty ones left out), then the booking.
pub fn calendar_redirect_params(b: &Booking) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for k in ["name", "email", "phone", "mobile_phone", "company", "note"] {
        if let Some(v) = text(&b.form_submission, k) {
            out.push((k.to_string(), v.to_string()));
        }
    }
    out.extend(custom_fields(b));
    out.push((
        "booking_calendar".into(),
        b.booking_calendar_id
            .as_ref()
            .map(String::from)
            .unwrap_or_default(),
    ));
    out.push(("id".into(), b.id.to_string()));
    out.push(("subject".into(), b.subject.clone()));
    out.push(("status".into(), b.status.as_str().to_string()));
    out.push(("creation_time".into(), format_millis(b.creation_time)));
    out.push(("starting_time".into(), format_millis(b.start_time)));
    out.push(("customer_timezone".into(), b.customer_timezone.clone()));
    out
}

/// The UTC offset of `zone` at `ms` in hours: `-5`, or `5.5` for a half-hour zone.
fn utc_offset_hours(ms: i64, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let secs = jiff::Timestamp::from_millisecond(ms)
        .map(|t| tz.to_offset(t).seconds())
        .unwrap_or(0);
    let hours = secs as f64 / 3600.0;
    if secs % 3600 == 0 {
        format!("{}", secs / 3600)
    } else {
        format!("{hours}")
    }
}

/// The classic booking page's redirect parameters (REFERENCE §5.3): `Name`, `Email`, the other
/// standard fields, custom fields by their name without spaces, then `bookingPage`, `subject`,
/// `creationTime` (UTC), `meetingTime` (the page's zone, written with a `Z` as OnceHub's example
/// does), `timeZone` and `utcOffset`.
pub fn classic_redirect_params(b: &Booking, page: &ClassicPage) -> Vec<(String, String)> {
    let form = &b.form_submission;
    let mut out = Vec::new();
    for (k, name) in [
        ("name", "Name"),
        ("email", "Email"),
        ("company", "company"),
        ("phone", "phone"),
        ("note", "note"),
    ] {
        if let Some(v) = text(form, k) {
            out.push((name.to_string(), v.to_string()));
        }
    }
    if let Some(m) = text(form, "mobile_phone") {
        out.push(("mobile".into(), m.trim_start_matches('+').to_string()));
    }
    let guests: Vec<&str> = form
        .get("guests")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !guests.is_empty() {
        out.push(("customerGuests".into(), guests.join(",")));
    }
    if let Some(loc) = b
        .location
        .as_ref()
        .and_then(|l| l.get("description"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        out.push(("location".into(), loc.to_string()));
    }
    for (name, value) in custom_fields(b) {
        let label = page
            .questions
            .iter()
            .find(|q| q.name == name)
            .map(|q| q.label.as_str())
            .unwrap_or(&name);
        out.push((
            label.chars().filter(|c| !c.is_whitespace()).collect(),
            value,
        ));
    }
    out.push(("bookingPage".into(), page.slug.to_string()));
    out.push(("subject".into(), b.subject.clone()));
    out.push(("creationTime".into(), format_millis(b.creation_time)));
    out.push((
        "meetingTime".into(),
        format!("{}.000Z", wall(b.start_time, page.zone)),
    ));
    out.push(("timeZone".into(), page.zone.to_string()));
    out.push((
        "utcOffset".into(),
        utc_offset_hours(b.start_time, page.zone),
    ));
    out
}

/// The source tags as redirect parameters (`utm_source=…`), when the page passes them on.
pub fn utm_redirect_params(b: &Booking) -> Vec<(String, String)> {
    UTM_KEYS
        .iter()
        .filter_map(|tag| utm(b, tag).map(|v| (format!("utm_{tag}"), v.to_string())))
        .collect()
}

/// `url` with `params` appended to its query (kept: what the URL already had).
pub fn with_params(url: &str, params: &[(String, String)]) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if !params.is_empty() {
                u.query_pairs_mut()
                    .extend_pairs(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            }
            u.to_string()
        }
        Err(_) => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slotline_domain::lifecycle::Status;

    fn booking() -> Booking {
        Booking {
            id: "BKNG-2R5C3TQBX1PZ".parse().unwrap(),
            status: Status::Scheduled,
            booking_calendar_id: Some("BKC-8D6NGQEM5G".parse().unwrap()),
            booking_page_id: None,
            master_page_id: None,
            event_type_id: None,
            owner_id: "USR-1".parse().unwrap(),
            contact_id: "CTC-1".parse().unwrap(),
            conversation_id: None,
            subject: "Meeting with Sales".into(),
            start_time: 1_752_836_400_000, // 2025-07-18T11:00:00Z
            duration_minutes: 30,
            customer_timezone: "Asia/Kolkata".into(),
            location: None,
            utm_params: Some(
                json!({"source": "news", "medium": null, "campaign": "fall", "term": null, "content": null}),
            ),
            rescheduled_booking_id: None,
            cancel_info: None,
            token: "tok".into(),
            creation_time: 1_752_747_430_765,
            last_updated_time: 1_752_747_430_765,
            revision: 0,
            external_calendar: None,
            hosts: vec!["USR-1".parse().unwrap()],
            form_submission: json!({"name": "Carrie Customer", "email": "carrie@example.com", "phone": null, "mobile_phone": "+15551234567",
                "note": "", "company": "Acme", "guests": ["g@example.com"],
                "custom_fields": [{"name": "meeting_reason", "value": "Product Demo"}, {"name": "topics", "value": ["A", "B"]}]}),
        }
    }

    #[test]
    fn calendar_redirect_carries_the_documented_names_and_leaves_out_empty_fields() {
        let params = calendar_redirect_params(&booking());
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("booking_calendar"), Some("BKC-8D6NGQEM5G"));
        assert_eq!(get("id"), Some("BKNG-2R5C3TQBX1PZ"));
        assert_eq!(get("status"), Some("scheduled"));
        assert_eq!(get("creation_time"), Some("2025-07-17T10:17:10.765Z"));
        assert_eq!(get("starting_time"), Some("2025-07-18T11:00:00.000Z"));
        assert_eq!(get("customer_timezone"), Some("Asia/Kolkata"));
        assert_eq!(get("meeting_reason"), Some("Product Demo"));
        assert_eq!(get("topics"), Some("A,B"));
        assert_eq!(get("company"), Some("Acme"));
        assert_eq!(get("note"), None, "empty fields are omitted");
        assert_eq!(get("phone"), None);
    }

    #[test]
    fn classic_redirect_uses_page_zone_offset_and_classic_names() {
        let mut b = booking();
        b.booking_calendar_id = None;
        let q = [Question {
            name: "meeting_reason".into(),
            label: "Meeting reason".into(),
            kind: "text".into(),
            required: false,
            options: vec![],
        }];
        let params = classic_redirect_params(
            &b,
            &ClassicPage {
                slug: "financial",
                zone: "America/New_York",
                questions: &q,
            },
        );
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("Name"), Some("Carrie Customer"));
        assert_eq!(get("Email"), Some("carrie@example.com"));
        assert_eq!(get("mobile"), Some("15551234567"), "digits only, no +");
        assert_eq!(get("customerGuests"), Some("g@example.com"));
        assert_eq!(
            get("Meetingreason"),
            Some("Product Demo"),
            "custom fields by their name without spaces"
        );
        assert_eq!(get("bookingPage"), Some("financial"));
        assert_eq!(
            get("meetingTime"),
            Some("2025-07-18T07:00:00.000Z"),
            "New York wall time in July (EDT)"
        );
        assert_eq!(get("utcOffset"), Some("-4"));
        assert_eq!(get("timeZone"), Some("America/New_York"));
        let india = classic_redirect_params(
            &b,
            &ClassicPage {
                slug: "x",
                zone: "Asia/Kolkata",
                questions: &[],
            },
        );
        assert!(india.contains(&("utcOffset".into(), "5.5".into())));
    }

    #[test]
    fn scheduled_event_has_flat_and_nested_utm_and_form_answers() {
        let m = booking_scheduled(
            "https://s.example",
            &booking(),
            &["host@example.com".into()],
        );
        assert_eq!(m["type"], "oncehub.booking.scheduled");
        let p = &m["payload"];
        assert_eq!(p["utm_source"], "news");
        assert_eq!(p["utm_params"]["campaign"], "fall");
        assert!(p["utm_medium"].is_null());
        assert_eq!(p["host"], "USR-1");
        assert_eq!(p["booking_calendar"], "BKC-8D6NGQEM5G");
        assert_eq!(p["cancel_url"], "https://s.example/b/tok/cancel");
        assert_eq!(p["ics_url"], "https://s.example/b/tok.ics");
        let fields = p["custom_fields"].as_array().unwrap();
        assert_eq!(
            fields[0],
            json!({"name": "name", "value": "Carrie Customer"})
        );
        assert!(fields.contains(&json!({"name": "meeting_reason", "value": "Product Demo"})));
    }

    #[test]
    fn so_after_confirmation_times_carry_no_offset() {
        let v = so_after_confirmation(
            "https://s.example",
            &booking(),
            "Europe/Berlin",
            "Intro call",
        );
        let t = &v["bookingInfo"]["MeetingTimes"][0];
        assert_eq!(t["UTCTime"], "2025-07-18T11:00:00");
        assert_eq!(t["CustomerTime"], "2025-07-18T16:30:00");
        assert_eq!(t["SOTime"], "2025-07-18T13:00:00");
        assert_eq!(v["errorStatus"], 0);
        assert_eq!(v["bookingInfo"]["statusCode"], "1");
        assert_eq!(v["bookingInfo"]["CustomerPhone"], "+15551234567");
    }

    #[test]
    fn redirect_parameters_are_appended_and_encoded() {
        let url = with_params(
            "https://example.com/thanks?ref=1",
            &[
                ("name".into(), "A & B".into()),
                ("utm_source".into(), "x y".into()),
            ],
        );
        assert_eq!(
            url,
            "https://example.com/thanks?ref=1&name=A+%26+B&utm_source=x+y"
        );
        assert_eq!(
            utm_redirect_params(&booking()),
            vec![
                ("utm_source".into(), "news".into()),
                ("utm_campaign".into(), "fall".into())
            ]
        );
    }
}
