//! A guest's booking request checked against the target's settings: the form (standard fields
//! and custom questions), the location, the duration and the source tags. The API's schedule
//! operations and the public booking pages both go through here, so both refuse the same input
//! with the same message.

use serde_json::{json, Map, Value};
use slotline_domain::{email, limits, phone, settings::Settings, time::parse_instant, timezone};

use crate::{
    http::error::{AppError, AppResult},
    services::scheduler::Request,
};

/// What a guest sent, before checking.
pub struct Input {
    pub start_time: String,
    pub guest_time_zone: String,
    pub form: Map<String, Value>,
    pub location: Option<Value>,
    pub duration: Option<u32>,
    pub utm_params: Option<Value>,
    /// The meeting's subject, when the guest gave one (classic pages); else the page's.
    pub subject: Option<String>,
}

/// Longest subject a guest may give (OnceHub's classic limit).
pub const MAX_SUBJECT: usize = 200;

/// Checks `input` against `settings`.
pub fn parse(settings: &Settings, input: Input) -> AppResult<Request> {
    if !timezone::is_valid(&input.guest_time_zone) {
        return Err(AppError::invalid(
            format!("Invalid timezone: '{}'", input.guest_time_zone),
            "guest_time_zone",
        ));
    }
    let start = parse_instant(&input.start_time)
        .map(|ns| ns.div_euclid(1_000_000) as i64)
        .ok_or_else(|| {
            AppError::invalid(format!("Invalid date: {}", input.start_time), "start_time")
        })?;
    let duration = duration_of(settings, input.duration)?;
    let form_submission = form_submission(settings, &input.form)?;
    let location = choose_location(settings, input.location.as_ref())?;
    let utm_params = utm(input.utm_params.as_ref())?;
    let subject = match input
        .subject
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) if s.chars().count() > MAX_SUBJECT => {
            return Err(AppError::invalid(
                format!("subject is longer than {MAX_SUBJECT} characters."),
                "subject",
            ))
        }
        other => other.map(str::to_string),
    };
    Ok(Request {
        subject,
        start,
        duration,
        guest_time_zone: input.guest_time_zone,
        form_submission,
        location,
        utm_params,
        one_time_link: None,
        conversation_id: None,
    })
}

pub fn duration_of(settings: &Settings, asked: Option<u32>) -> AppResult<u32> {
    match asked {
        None => Ok(settings.durations.first().copied().unwrap_or(30)),
        Some(d) if settings.durations.contains(&d) => Ok(d),
        Some(d) => Err(AppError::invalid(
            format!("This booking calendar does not offer a duration of {d} minutes."),
            "duration_minutes",
        )),
    }
}

pub fn missing(param: &str) -> AppError {
    AppError::invalid("Required fields are missing.", param)
}

/// The form as stored on the booking, checked against the calendar's questions.
fn form_submission(settings: &Settings, form: &Map<String, Value>) -> AppResult<Value> {
    // Every text within its field's maximum, whatever the browser allowed.
    for (key, value) in form {
        let field = if [
            "name",
            "email",
            "phone",
            "mobile_phone",
            "company",
            "note",
            "guests",
        ]
        .contains(&key.as_str())
        {
            key.as_str()
        } else {
            "answer"
        };
        let param = format!("booking_form.{key}");
        match value {
            Value::String(s) => limits::check(field, &param, s)?,
            Value::Array(items) => {
                if items.len() > 100 {
                    return Err(AppError::invalid(
                        format!("{param} has more than 100 values."),
                        &param,
                    ));
                }
                for s in items.iter().filter_map(Value::as_str) {
                    limits::check(if field == "guests" { "email" } else { field }, &param, s)?;
                }
            }
            _ => {}
        }
    }
    let text = |k: &str| {
        form.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let name = text("name").ok_or_else(|| missing("booking_form"))?;
    let mail = text("email").ok_or_else(|| missing("booking_form"))?;
    if !email::is_valid(&mail) {
        return Err(AppError::invalid(
            format!("Invalid email format: '{mail}'"),
            "booking_form.email",
        ));
    }
    // Phone numbers are kept in E.164, whatever separators the guest typed.
    let number = |key: &str| match text(key) {
        None => Ok(None),
        Some(v) => phone::parse(&v).map(Some).ok_or_else(|| {
            AppError::invalid(
                format!("Invalid phone format: '{v}'"),
                format!("booking_form.{key}").as_str(),
            )
        }),
    };
    let (phone_number, mobile_phone) = (number("phone")?, number("mobile_phone")?);
    let guests: Vec<String> = match form.get("guests") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a
            .iter()
            .map(|g| {
                g.as_str()
                    .filter(|g| email::is_valid(g))
                    .map(str::to_string)
            })
            .collect::<Option<_>>()
            .ok_or_else(|| {
                AppError::invalid("guests must be email addresses.", "booking_form.guests")
            })?,
        Some(_) => {
            return Err(AppError::invalid(
                "guests must be email addresses.",
                "booking_form.guests",
            ))
        }
    };
    for (field, required) in &settings.standard_fields {
        if *required && field != "guests" && text(field).is_none() {
            return Err(missing(&format!("booking_form.{field}")));
        }
    }
    let standard = [
        "name",
        "email",
        "phone",
        "mobile_phone",
        "company",
        "note",
        "guests",
    ];
    if let Some(k) = form.keys().find(|k| {
        !standard.contains(&k.as_str()) && !settings.questions.iter().any(|q| q.name == **k)
    }) {
        return Err(AppError::invalid(
            format!("Unknown booking_form field: '{k}'"),
            "booking_form",
        ));
    }
    let mut custom = Vec::new();
    for q in &settings.questions {
        let value = match (q.kind.as_str(), form.get(&q.name)) {
            (_, None | Some(Value::Null)) => None,
            ("multi_select", Some(Value::Array(a))) => {
                // Values that are not among the options are ignored, as OnceHub does.
                let picked: Vec<Value> = a
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|v| q.options.iter().any(|o| o == v))
                    .map(|v| json!(v))
                    .collect();
                (!picked.is_empty()).then_some(Value::Array(picked))
            }
            ("single_select", Some(Value::String(s))) => {
                q.options.iter().any(|o| o == s).then(|| json!(s))
            }
            ("text" | "multi_line", Some(Value::String(s))) => {
                (!s.trim().is_empty()).then(|| json!(s))
            }
            (_, Some(_)) => {
                return Err(AppError::invalid(
                    format!("Invalid value for '{}'", q.name),
                    &format!("booking_form.{}", q.name),
                ))
            }
        };
        match value {
            Some(v) => custom.push(json!({"name": q.name, "value": v})),
            None if q.required => return Err(missing(&format!("booking_form.{}", q.name))),
            None => {}
        }
    }
    Ok(json!({
        "name": name, "email": mail, "phone": phone_number, "mobile_phone": mobile_phone.unwrap_or_default(),
        "note": text("note").unwrap_or_default(), "company": text("company"), "guests": guests, "custom_fields": custom,
    }))
}

/// The location of the meeting: the one asked for (it must be offered), or the host's preset.
fn choose_location(settings: &Settings, asked: Option<&Value>) -> AppResult<Option<Value>> {
    let offered = &settings.locations;
    let bad = || AppError::invalid("The selected location is not available.", "location");
    let Some(asked) = asked.filter(|v| !v.is_null()) else {
        let preset = offered.iter().find(|l| l.kind == "virtual").or_else(|| {
            (offered.len() == 1)
                .then(|| &offered[0])
                .filter(|l| matches!(l.kind.as_str(), "physical" | "virtual_static"))
        });
        return match preset {
            Some(l) => Ok(Some(location_value(l, None))),
            None if offered.is_empty() => Ok(None),
            None => Err(AppError::invalid(
                "Choose a location: this time slot offers several, or one the guest must fill in.",
                "location",
            )),
        };
    };
    let kind = asked.get("type").and_then(Value::as_str).ok_or_else(bad)?;
    let value = asked.get("value").and_then(Value::as_str);
    let found = offered
        .iter()
        .find(|l| {
            l.kind == kind
                && match kind {
                    "physical" => value.is_none() || value == l.id.as_deref(),
                    "virtual" => value.is_none() || value == l.value.as_deref(),
                    _ => true,
                }
        })
        .ok_or_else(bad)?;
    match kind {
        "guest_phone" => {
            let number = value.and_then(phone::parse).ok_or_else(|| {
                AppError::invalid(
                    "A phone number in E.164 format is required.",
                    "location.value",
                )
            })?;
            Ok(Some(location_value(found, Some(number.as_str()))))
        }
        "in_person_by_guest" => {
            let address = value
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| AppError::invalid("An address is required.", "location.value"))?;
            limits::check("street_address", "location.value", address)?;
            Ok(Some(location_value(found, Some(address))))
        }
        _ => Ok(Some(location_value(found, None))),
    }
}

fn location_value(l: &slotline_domain::settings::Location, guest_value: Option<&str>) -> Value {
    let value = guest_value.map(str::to_string).or_else(|| l.value.clone());
    json!({"type": l.kind, "value": value, "id": l.id, "description": value.clone().unwrap_or_default()})
}

/// `utm_params` as stored: the five tags, each a string of at most 255 characters or null.
pub fn utm(v: Option<&Value>) -> AppResult<Option<Value>> {
    let Some(obj) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let obj = obj
        .as_object()
        .ok_or_else(|| AppError::invalid("utm_params must be an object.", "utm_params"))?;
    let mut out = Map::new();
    for k in ["source", "medium", "campaign", "term", "content"] {
        let val = match obj.get(k) {
            None | Some(Value::Null) => Value::Null,
            Some(Value::String(s)) => {
                limits::check("title", &format!("utm_params.{k}"), s)?;
                json!(s)
            }
            Some(_) => {
                return Err(AppError::invalid(
                    format!("utm_params.{k} must be a string."),
                    "utm_params",
                ))
            }
        };
        out.insert(k.into(), val);
    }
    Ok(Some(Value::Object(out)))
}
