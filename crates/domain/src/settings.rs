//! Scheduling settings of a booking page or booking calendar: durations, slot grid, buffers,
//! notice, horizon, daily cap, approval, locations, booking form questions, redirect and what it
//! tells people (`notifications`).
//! Parsed from the JSON a client sends to the setup extensions, with a message per mistake.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    availability::Rules, notifications::Notifications, schedule::VIDEO_PROVIDERS, Invalid,
};

/// Where a meeting takes place, in the names the time-slots operation uses.
pub const LOCATION_TYPES: [&str; 5] = [
    "physical",
    "in_person_by_guest",
    "guest_phone",
    "virtual_static",
    "virtual",
];
pub const QUESTION_TYPES: [&str; 4] = ["text", "multi_line", "single_select", "multi_select"];
/// Standard form fields that may be asked besides name and email (always asked).
pub const STANDARD_FIELDS: [&str; 4] = ["phone", "company", "note", "guests"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    #[serde(rename = "type")]
    pub kind: String,
    /// Address (`physical`), URL (`virtual_static`) or provider (`virtual`).
    pub value: Option<String>,
    /// `ADD-…` for `physical`.
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// The mapped field name: the key in `booking_form` and in the booking's `custom_fields`.
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    pub options: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    pub url: String,
    pub send_booking_data: bool,
    pub pass_utm: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub durations: Vec<u32>,
    pub slot_interval_minutes: u32,
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    pub minimum_notice_minutes: u32,
    pub booking_horizon_days: u32,
    pub max_bookings_per_day: Option<u32>,
    pub approval_required: bool,
    pub locations: Vec<Location>,
    /// Standard fields asked besides name and email, each with whether it is required.
    pub standard_fields: Vec<(String, bool)>,
    pub questions: Vec<Question>,
    pub redirect: Option<Redirect>,
    /// Public pages leave out the questions a page URL prefilled (their values still count).
    #[serde(default)]
    pub hide_prefilled_questions: bool,
    /// Sites (`https://host[:port]` origins) allowed to embed the public page; empty: any site.
    /// Client-side events are posted only to the embedding origin, and only if it is allowed.
    #[serde(default)]
    pub embed_origins: Vec<String>,
    /// Reminders, follow-up, host emails, SMS and the words of each message.
    #[serde(default)]
    pub notifications: Notifications,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            durations: vec![30],
            slot_interval_minutes: 30,
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            minimum_notice_minutes: 240,
            booking_horizon_days: 60,
            max_bookings_per_day: None,
            approval_required: false,
            locations: vec![],
            standard_fields: vec![],
            questions: vec![],
            redirect: None,
            hide_prefilled_questions: false,
            embed_origins: vec![],
            notifications: Notifications::default(),
        }
    }
}

const KEYS: [&str; 15] = [
    "durations",
    "slot_interval_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "minimum_notice_minutes",
    "booking_horizon_days",
    "max_bookings_per_day",
    "approval_required",
    "locations",
    "standard_fields",
    "questions",
    "redirect",
    "hide_prefilled_questions",
    "embed_origins",
    "notifications",
];

fn p(field: &str) -> String {
    format!("settings.{field}")
}

fn uint(
    obj: &Map<String, Value>,
    key: &str,
    range: std::ops::RangeInclusive<u32>,
) -> Result<Option<u32>, Invalid> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => {
            let n = v
                .as_u64()
                .filter(|n| *n <= u32::MAX as u64)
                .map(|n| n as u32);
            match n {
                Some(n) if range.contains(&n) => Ok(Some(n)),
                _ => Err(Invalid::new(
                    format!(
                        "{key} must be a whole number from {} to {}.",
                        range.start(),
                        range.end()
                    ),
                    p(key),
                )),
            }
        }
    }
}

fn string(v: Option<&Value>, param: &str) -> Result<Option<String>, Invalid> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Invalid::new("Must be a string.", param)),
    }
}

fn is_http_url(s: &str) -> bool {
    url::Url::parse(s)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// A mapped field name: lowercase letters, digits and underscores, starting with a letter.
pub fn is_field_name(s: &str) -> bool {
    s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Settings {
    /// The engine's rules for one of the configured durations.
    pub fn rules(&self, duration_min: u32) -> Rules {
        Rules {
            duration_min,
            interval_min: self.slot_interval_minutes,
            buffer_before_min: self.buffer_before_minutes,
            buffer_after_min: self.buffer_after_minutes,
            min_notice_min: self.minimum_notice_minutes,
            horizon_days: self.booking_horizon_days,
            max_per_day: self.max_bookings_per_day,
        }
    }

    /// Applies the fields present in `v` (a JSON object) over `self`. Absent fields are kept;
    /// `new_address_id` names each new physical address.
    pub fn merge(
        &self,
        v: &Value,
        mut new_address_id: impl FnMut() -> String,
    ) -> Result<Settings, Invalid> {
        let obj = v
            .as_object()
            .ok_or_else(|| Invalid::new("settings must be an object.", "settings"))?;
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(Invalid::new(
                format!("Received unknown parameter: settings.{k}"),
                p(k),
            ));
        }
        let mut s = self.clone();
        if let Some(v) = obj.get("durations") {
            let items = v
                .as_array()
                .filter(|a| !a.is_empty() && a.len() <= 10)
                .ok_or_else(|| {
                    Invalid::new(
                        "durations must list 1 to 10 durations in minutes.",
                        p("durations"),
                    )
                })?;
            let mut durations = Vec::new();
            for d in items {
                match d.as_u64() {
                    Some(n) if (5..=720).contains(&n) && n % 5 == 0 && !durations.contains(&(n as u32)) => durations.push(n as u32),
                    _ => {
                        return Err(Invalid::new(
                            format!("Invalid duration: {d}. Durations are distinct multiples of 5 minutes from 5 to 720."),
                            p("durations"),
                        ))
                    }
                }
            }
            s.durations = durations;
            if !obj.contains_key("slot_interval_minutes") {
                s.slot_interval_minutes = s.durations[0].min(60);
            }
        }
        if let Some(n) = uint(obj, "slot_interval_minutes", 5..=720)? {
            if n % 5 != 0 {
                return Err(Invalid::new(
                    "slot_interval_minutes must be a multiple of 5.",
                    p("slot_interval_minutes"),
                ));
            }
            s.slot_interval_minutes = n;
        }
        s.buffer_before_minutes =
            uint(obj, "buffer_before_minutes", 0..=720)?.unwrap_or(s.buffer_before_minutes);
        s.buffer_after_minutes =
            uint(obj, "buffer_after_minutes", 0..=720)?.unwrap_or(s.buffer_after_minutes);
        s.minimum_notice_minutes =
            uint(obj, "minimum_notice_minutes", 0..=525_600)?.unwrap_or(s.minimum_notice_minutes);
        s.booking_horizon_days =
            uint(obj, "booking_horizon_days", 1..=730)?.unwrap_or(s.booking_horizon_days);
        if let Some(v) = obj.get("max_bookings_per_day") {
            s.max_bookings_per_day = if v.is_null() {
                None
            } else {
                uint(obj, "max_bookings_per_day", 1..=1000)?
            };
        }
        if let Some(v) = obj.get("approval_required") {
            s.approval_required = v.as_bool().ok_or_else(|| {
                Invalid::new(
                    "approval_required must be true or false.",
                    p("approval_required"),
                )
            })?;
        }
        if let Some(v) = obj.get("locations") {
            s.locations = parse_locations(v, &mut new_address_id)?;
        }
        if let Some(v) = obj.get("standard_fields") {
            s.standard_fields = parse_standard_fields(v)?;
        }
        if let Some(v) = obj.get("questions") {
            s.questions = parse_questions(v)?;
        }
        if let Some(v) = obj.get("redirect") {
            s.redirect = parse_redirect(v)?;
        }
        if let Some(v) = obj.get("hide_prefilled_questions") {
            s.hide_prefilled_questions = v.as_bool().ok_or_else(|| {
                Invalid::new(
                    "hide_prefilled_questions must be true or false.",
                    p("hide_prefilled_questions"),
                )
            })?;
        }
        if let Some(v) = obj.get("embed_origins") {
            s.embed_origins = parse_origins(v)?;
        }
        if let Some(v) = obj.get("notifications") {
            s.notifications = s.notifications.merge(v)?;
        }
        Ok(s)
    }
}

fn parse_locations(
    v: &Value,
    new_address_id: &mut impl FnMut() -> String,
) -> Result<Vec<Location>, Invalid> {
    let param = p("locations");
    let items = v
        .as_array()
        .ok_or_else(|| Invalid::new("Must be an array.", param.clone()))?;
    let mut out: Vec<Location> = Vec::new();
    for item in items {
        let obj = item
            .as_object()
            .ok_or_else(|| Invalid::new("Must be an array of objects.", param.clone()))?;
        let kind = string(obj.get("type"), &format!("{param}.type"))?
            .ok_or_else(|| Invalid::new("type is required", format!("{param}.type")))?;
        if !LOCATION_TYPES.contains(&kind.as_str()) {
            return Err(Invalid::new(
                format!("Invalid location type: '{kind}'"),
                format!("{param}.type"),
            ));
        }
        let value = string(obj.get("value"), &format!("{param}.value"))?;
        let location = match kind.as_str() {
            "physical" => {
                let address = value.filter(|a| !a.trim().is_empty()).ok_or_else(|| {
                    Invalid::new(
                        "An address is required for physical locations.",
                        format!("{param}.value"),
                    )
                })?;
                let id = match string(obj.get("id"), &format!("{param}.id"))? {
                    Some(id) => id,
                    None => new_address_id(),
                };
                Location {
                    kind,
                    value: Some(address),
                    id: Some(id),
                }
            }
            "virtual" => {
                let provider = value.ok_or_else(|| {
                    Invalid::new(
                        "A provider is required for virtual locations.",
                        format!("{param}.value"),
                    )
                })?;
                if !VIDEO_PROVIDERS.contains(&provider.as_str()) {
                    return Err(Invalid::new(
                        format!("Invalid video conference provider: '{provider}'"),
                        format!("{param}.value"),
                    ));
                }
                Location {
                    kind,
                    value: Some(provider),
                    id: None,
                }
            }
            // Without a URL, the host's own meeting link (a user's `meeting-link`).
            "virtual_static" => {
                if value.as_deref().is_some_and(|u| !is_http_url(u)) {
                    return Err(Invalid::new(
                        "A virtual_static location's value must be an http(s) meeting URL, or absent for the host's own link.",
                        format!("{param}.value"),
                    ));
                }
                Location {
                    kind,
                    value,
                    id: None,
                }
            }
            _ => Location {
                kind,
                value: None,
                id: None,
            },
        };
        if out
            .iter()
            .any(|l| l.kind == location.kind && l.value == location.value)
        {
            return Err(Invalid::new(
                format!("Duplicate location: '{}'", location.kind),
                param,
            ));
        }
        out.push(location);
    }
    Ok(out)
}

fn parse_standard_fields(v: &Value) -> Result<Vec<(String, bool)>, Invalid> {
    let param = p("standard_fields");
    let items = v
        .as_array()
        .ok_or_else(|| Invalid::new("Must be an array.", param.clone()))?;
    let mut out: Vec<(String, bool)> = Vec::new();
    for item in items {
        let name = string(item.get("name"), &format!("{param}.name"))?.unwrap_or_default();
        if !STANDARD_FIELDS.contains(&name.as_str()) || out.iter().any(|(n, _)| *n == name) {
            return Err(Invalid::new(
                format!("Invalid standard field: '{name}'. Use phone, company, note or guests, once each."),
                format!("{param}.name"),
            ));
        }
        let required = item
            .get("required")
            .map(|r| {
                r.as_bool().ok_or_else(|| {
                    Invalid::new(
                        "required must be true or false.",
                        format!("{param}.required"),
                    )
                })
            })
            .transpose()?;
        out.push((name, required.unwrap_or(false)));
    }
    Ok(out)
}

fn parse_questions(v: &Value) -> Result<Vec<Question>, Invalid> {
    let param = p("questions");
    let items = v
        .as_array()
        .ok_or_else(|| Invalid::new("Must be an array.", param.clone()))?;
    let mut out: Vec<Question> = Vec::new();
    for item in items {
        let obj = item
            .as_object()
            .ok_or_else(|| Invalid::new("Must be an array of objects.", param.clone()))?;
        let name = string(obj.get("name"), &format!("{param}.name"))?.unwrap_or_default();
        let reserved =
            ["name", "email"].contains(&name.as_str()) || STANDARD_FIELDS.contains(&name.as_str());
        if !is_field_name(&name) || reserved || out.iter().any(|q| q.name == name) {
            return Err(Invalid::new(
                format!("Invalid question name: '{name}'. Names are unique lowercase field names."),
                format!("{param}.name"),
            ));
        }
        let kind =
            string(obj.get("type"), &format!("{param}.type"))?.unwrap_or_else(|| "text".into());
        if !QUESTION_TYPES.contains(&kind.as_str()) {
            return Err(Invalid::new(
                format!("Invalid question type: '{kind}'"),
                format!("{param}.type"),
            ));
        }
        let label =
            string(obj.get("label"), &format!("{param}.label"))?.unwrap_or_else(|| name.clone());
        let required = match obj.get("required") {
            None => false,
            Some(v) => v.as_bool().ok_or_else(|| {
                Invalid::new(
                    "required must be true or false.",
                    format!("{param}.required"),
                )
            })?,
        };
        let options: Vec<String> = match obj.get("options") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => a
                .iter()
                .map(|o| o.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    Invalid::new("options must be strings.", format!("{param}.options"))
                })?,
            Some(_) => {
                return Err(Invalid::new(
                    "options must be an array of strings.",
                    format!("{param}.options"),
                ))
            }
        };
        let is_select = kind.ends_with("select");
        if is_select && options.is_empty() {
            return Err(Invalid::new(
                format!("Question '{name}' needs options."),
                format!("{param}.options"),
            ));
        }
        if !is_select && !options.is_empty() {
            return Err(Invalid::new(
                format!("Question '{name}' takes no options."),
                format!("{param}.options"),
            ));
        }
        out.push(Question {
            name,
            label,
            kind,
            required,
            options,
        });
    }
    Ok(out)
}

/// `scheme://host[:port]` of a URL, as browsers write an origin.
pub fn origin_of(raw: &str) -> Option<String> {
    let u = url::Url::parse(raw).ok()?;
    matches!(u.scheme(), "http" | "https")
        .then(|| u.origin().ascii_serialization())
        .filter(|o| o != "null")
}

fn parse_origins(v: &Value) -> Result<Vec<String>, Invalid> {
    let param = p("embed_origins");
    let items = v
        .as_array()
        .filter(|a| a.len() <= 50)
        .ok_or_else(|| Invalid::new("embed_origins must list up to 50 origins.", param.clone()))?;
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let raw = item.as_str().unwrap_or_default();
        // An origin only: a path, query or credentials would suggest a check we do not make.
        let origin = origin_of(raw).filter(|o| raw.trim_end_matches('/') == o).ok_or_else(|| {
            Invalid::new(format!("Invalid origin: '{raw}'. Write scheme://host[:port], e.g. https://www.example.com."), param.clone())
        })?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

fn parse_redirect(v: &Value) -> Result<Option<Redirect>, Invalid> {
    let param = p("redirect");
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => return Err(Invalid::new("redirect must be an object or null.", param)),
    };
    let url = string(obj.get("url"), &format!("{param}.url"))?
        .filter(|u| is_http_url(u))
        .ok_or_else(|| {
            Invalid::new(
                "redirect.url must be a full http(s) URL.",
                format!("{param}.url"),
            )
        })?;
    let flag = |k: &str| -> Result<bool, Invalid> {
        match obj.get(k) {
            None => Ok(false),
            Some(v) => v.as_bool().ok_or_else(|| {
                Invalid::new(
                    format!("{k} must be true or false."),
                    format!("{param}.{k}"),
                )
            }),
        }
    };
    Ok(Some(Redirect {
        url,
        send_booking_data: flag("send_booking_data")?,
        pass_utm: flag("pass_utm")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merge(v: Value) -> Result<Settings, Invalid> {
        let mut n = 0;
        Settings::default().merge(&v, || {
            n += 1;
            format!("ADD-{n:012}")
        })
    }

    #[test]
    fn absent_fields_keep_their_values_and_durations_set_the_grid() {
        let s = merge(json!({"durations": [45, 90], "buffer_after_minutes": 10})).unwrap();
        assert_eq!(s.durations, [45, 90]);
        assert_eq!(
            s.slot_interval_minutes, 45,
            "the grid follows the first duration unless given"
        );
        assert_eq!(s.buffer_after_minutes, 10);
        assert_eq!(
            s.booking_horizon_days,
            Settings::default().booking_horizon_days
        );
        let r = s.rules(90);
        assert_eq!(
            (r.duration_min, r.interval_min, r.buffer_after_min),
            (90, 45, 10)
        );
    }

    #[test]
    fn numbers_are_checked() {
        assert_eq!(
            merge(json!({"durations": []}))
                .unwrap_err()
                .param
                .as_deref(),
            Some("settings.durations")
        );
        assert!(merge(json!({"durations": [7]})).is_err());
        assert!(merge(json!({"durations": [30, 30]})).is_err());
        assert!(merge(json!({"slot_interval_minutes": 7})).is_err());
        assert!(merge(json!({"booking_horizon_days": 0})).is_err());
        assert!(merge(json!({"buffer_before_minutes": -5})).is_err());
        assert_eq!(
            merge(json!({"max_bookings_per_day": null}))
                .unwrap()
                .max_bookings_per_day,
            None
        );
        assert_eq!(
            merge(json!({"colour": "red"})).unwrap_err().message,
            "Received unknown parameter: settings.colour"
        );
    }

    #[test]
    fn locations_get_address_ids_and_are_validated() {
        let s = merge(json!({"locations": [
            {"type": "physical", "value": "123 Office Street"},
            {"type": "virtual", "value": "zoom"},
            {"type": "virtual_static", "value": "https://meet.example.com/x"},
            {"type": "guest_phone"}, {"type": "in_person_by_guest"}
        ]}))
        .unwrap();
        assert_eq!(s.locations[0].id.as_deref(), Some("ADD-000000000001"));
        assert_eq!(s.locations.len(), 5);
        let own = merge(json!({"locations": [{"type": "virtual_static"}]})).unwrap();
        assert_eq!(own.locations[0].value, None, "the host's own link");
        assert!(merge(json!({"locations": [{"type": "virtual", "value": "skype"}]})).is_err());
        assert!(merge(json!({"locations": [{"type": "physical"}]})).is_err());
        assert!(
            merge(json!({"locations": [{"type": "virtual_static", "value": "nope"}]})).is_err()
        );
        assert!(
            merge(json!({"locations": [{"type": "guest_phone"}, {"type": "guest_phone"}]}))
                .is_err()
        );
    }

    #[test]
    fn questions_need_unique_field_names_and_options_only_for_selects() {
        let s = merge(json!({"questions": [
            {"name": "meeting_reason", "label": "Why?", "type": "multi_line", "required": true},
            {"name": "topics", "type": "multi_select", "options": ["Pricing", "Demo"]}
        ], "standard_fields": [{"name": "phone", "required": true}, {"name": "guests"}]}))
        .unwrap();
        assert_eq!(s.questions[1].options, ["Pricing", "Demo"]);
        assert_eq!(
            s.standard_fields,
            [("phone".to_string(), true), ("guests".to_string(), false)]
        );
        for bad in [
            json!({"questions": [{"name": "Bad Name"}]}),
            json!({"questions": [{"name": "email"}]}),
            json!({"questions": [{"name": "a"}, {"name": "a"}]}),
            json!({"questions": [{"name": "a", "type": "single_select"}]}),
            json!({"questions": [{"name": "a", "type": "text", "options": ["x"]}]}),
            json!({"standard_fields": [{"name": "fax"}]}),
        ] {
            assert!(merge(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn redirect_needs_a_full_url() {
        let s = merge(
            json!({"redirect": {"url": "https://example.com/thanks", "send_booking_data": true}}),
        )
        .unwrap();
        assert_eq!(
            s.redirect,
            Some(Redirect {
                url: "https://example.com/thanks".into(),
                send_booking_data: true,
                pass_utm: false
            })
        );
        assert!(merge(json!({"redirect": {"url": "/thanks"}})).is_err());
        assert_eq!(merge(json!({"redirect": null})).unwrap().redirect, None);
    }

    #[test]
    fn embed_origins_are_bare_origins_and_prefill_hiding_is_a_flag() {
        let s = merge(json!({"embed_origins": ["https://www.example.com", "http://localhost:3000/", "https://www.example.com"], "hide_prefilled_questions": true})).unwrap();
        assert_eq!(
            s.embed_origins,
            ["https://www.example.com", "http://localhost:3000"]
        );
        assert!(s.hide_prefilled_questions);
        for bad in [
            "https://example.com/page",
            "example.com",
            "javascript:alert(1)",
            "https://user@example.com",
        ] {
            assert!(merge(json!({"embed_origins": [bad]})).is_err(), "{bad}");
        }
        assert!(merge(json!({"hide_prefilled_questions": "yes"})).is_err());
    }
}
