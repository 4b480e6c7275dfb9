//! A user's scheduling availability: weekly working hours and date overrides, in the user's
//! time zone, and the rules a change to it must pass (OnceHub's `PATCH …/scheduling-availability`).

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Invalid;

pub const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
pub const LOCATION_TYPES: [&str; 5] = [
    "in_person_by_host",
    "in_person_by_guest",
    "online_dynamic_link",
    "online_static_link",
    "phone_by_guest",
];
/// OnceHub's five video providers, and `jitsi`, whose links Slotline makes (`meeting`).
pub const VIDEO_PROVIDERS: [&str; 6] = [
    "google_meet",
    "zoom",
    "microsoft_teams",
    "webex",
    "gotomeeting",
    "jitsi",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: Option<String>,
    pub id: Option<String>,
}

/// One span of working time, `HH:MM`–`HH:MM` local to the user's zone (`24:00` ends a day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start_time: String,
    pub end_time: String,
    pub locations: Vec<Location>,
}

impl Span {
    /// Minutes after local midnight of the start and end.
    pub fn minutes(&self) -> (u16, u16) {
        (
            parse_hhmm(&self.start_time).unwrap_or(0),
            parse_hhmm(&self.end_time).unwrap_or(0),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyDay {
    pub day: String,
    pub working_hours: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub date: String,
    pub working_hours: Vec<Span>,
}

/// What is stored for a user. Weekly always has the seven days, Monday first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub weekly: Vec<WeeklyDay>,
    pub overrides: Vec<Override>,
}

impl Default for Schedule {
    /// Monday to Friday, 09:00–17:00, no preset locations.
    fn default() -> Self {
        let weekly = DAYS
            .iter()
            .enumerate()
            .map(|(i, d)| WeeklyDay {
                day: d.to_string(),
                working_hours: if i < 5 {
                    vec![Span {
                        start_time: "09:00".into(),
                        end_time: "17:00".into(),
                        locations: vec![],
                    }]
                } else {
                    vec![]
                },
            })
            .collect();
        Schedule {
            weekly,
            overrides: vec![],
        }
    }
}

impl Schedule {
    /// The API's `schedule` object; overrides limited to `[from, to]` when given.
    pub fn render(&self, timezone: &str, from: Option<Date>, to: Option<Date>) -> Value {
        let overrides: Vec<Value> = self
            .overrides
            .iter()
            .filter(|o| {
                let d: Option<Date> = o.date.parse().ok();
                d.is_some_and(|d| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t))
            })
            .map(|o| {
                let day = o
                    .date
                    .parse::<Date>()
                    .map(|d| day_name(d.weekday()))
                    .unwrap_or("");
                serde_json::json!({"date": o.date, "day": day, "working_hours": o.working_hours})
            })
            .collect();
        serde_json::json!({
            "object": "schedule",
            "timezone": timezone,
            "weekly": self.weekly,
            "overrides": overrides,
        })
    }

    /// Applies a PATCH body: each day given replaces that day; each override date given replaces
    /// that date, or deletes it when `working_hours` is null. `today` is the user's local date.
    pub fn apply_patch(&self, body: &Value, today: Date) -> Result<Schedule, Invalid> {
        let obj = body
            .as_object()
            .ok_or_else(|| Invalid::new("Request body must be a JSON object.", "body"))?;
        if let Some(k) = obj.keys().find(|k| *k != "weekly" && *k != "overrides") {
            return Err(Invalid::new(
                format!("Received unknown parameter: {k}"),
                k.as_str(),
            ));
        }
        // Both fields are optional in OnceHub's schema and it documents no error for neither:
        // an empty body changes nothing.
        let mut next = self.clone();
        if let Some(weekly) = obj.get("weekly") {
            let items = weekly
                .as_array()
                .ok_or_else(|| Invalid::new("Must be an array.", "weekly"))?;
            let mut seen = Vec::new();
            for item in items {
                let item = item
                    .as_object()
                    .ok_or_else(|| Invalid::new("Must be an array of objects.", "weekly"))?;
                let day = match item.get("day") {
                    Some(Value::String(d)) => d.as_str(),
                    None | Some(Value::Null) => {
                        return Err(Invalid::new("day is required", "weekly.day"))
                    }
                    Some(other) => {
                        return Err(Invalid::new(
                            format!("Invalid day: '{}'", plain(other)),
                            "weekly.day",
                        ))
                    }
                };
                let idx = DAYS
                    .iter()
                    .position(|d| *d == day)
                    .ok_or_else(|| Invalid::new(format!("Invalid day: '{day}'"), "weekly.day"))?;
                if seen.contains(&idx) {
                    return Err(Invalid::new(
                        format!("Duplicate entry for day or date: '{day}'"),
                        "weekly",
                    ));
                }
                seen.push(idx);
                check_keys(item, &["day", "working_hours"], "weekly")?;
                let spans = parse_spans(item.get("working_hours"), "weekly.working_hours")?;
                next.weekly[idx].working_hours = spans;
            }
        }
        if let Some(overrides) = obj.get("overrides") {
            let items = overrides
                .as_array()
                .ok_or_else(|| Invalid::new("Must be an array.", "overrides"))?;
            let mut seen: Vec<Date> = Vec::new();
            for item in items {
                let item = item
                    .as_object()
                    .ok_or_else(|| Invalid::new("Must be an array of objects.", "overrides"))?;
                check_keys(item, &["date", "day", "working_hours"], "overrides")?;
                let raw = match item.get("date") {
                    Some(Value::String(s)) => s.as_str(),
                    None | Some(Value::Null) => {
                        return Err(Invalid::new("date is required", "overrides.date"))
                    }
                    Some(other) => return Err(bad_date(&plain(other))),
                };
                let date = parse_date(raw).ok_or_else(|| bad_date(raw))?;
                if date < today {
                    return Err(Invalid::new(
                        format!("Date cannot be in the past: '{raw}'"),
                        "overrides.date",
                    ));
                }
                if seen.contains(&date) {
                    return Err(Invalid::new(
                        format!("Duplicate entry for day or date: '{raw}'"),
                        "overrides",
                    ));
                }
                seen.push(date);
                let key = date.to_string();
                next.overrides.retain(|o| o.date != key);
                match item.get("working_hours") {
                    Some(Value::Null) => {} // null deletes the override
                    None => {
                        return Err(Invalid::new(
                            "working_hours is required",
                            "overrides.working_hours",
                        ))
                    }
                    some => {
                        let spans = parse_spans(some, "overrides.working_hours")?;
                        next.overrides.push(Override {
                            date: key,
                            working_hours: spans,
                        });
                    }
                }
            }
            next.overrides.sort_by(|a, b| a.date.cmp(&b.date));
        }
        Ok(next)
    }
}

pub fn day_name(w: Weekday) -> &'static str {
    DAYS[w.to_monday_zero_offset() as usize]
}

fn bad_date(raw: &str) -> Invalid {
    Invalid::new(
        format!("Invalid date format for overrides.date: '{raw}'. Expected format: YYYY-MM-DD"),
        "overrides.date",
    )
}

/// Strict `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Option<Date> {
    let b = raw.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    raw.parse().ok()
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn check_keys(item: &Map<String, Value>, allowed: &[&str], param: &str) -> Result<(), Invalid> {
    match item.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(Invalid::new(
            format!("Received unknown parameter: {param}.{k}"),
            format!("{param}.{k}"),
        )),
        None => Ok(()),
    }
}

/// `HH:MM` with minutes 00–59 and hours 00–24 (only `24:00` past 23:59), as minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() != 5
        || b[2] != b':'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
    {
        return None;
    }
    let h = u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0');
    let m = u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0');
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

fn parse_spans(v: Option<&Value>, param: &str) -> Result<Vec<Span>, Invalid> {
    let items = match v {
        None | Some(Value::Null) => {
            return Err(Invalid::new("working_hours cannot be null", param))
        }
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Invalid::new("Must be an array.", param)),
    };
    let mut spans: Vec<(u16, u16, Span)> = Vec::with_capacity(items.len());
    for item in items {
        let item = item
            .as_object()
            .ok_or_else(|| Invalid::new("Must be an array of objects.", param))?;
        check_keys(item, &["start_time", "end_time", "locations"], param)?;
        let start = time_field(item, "start_time", "start", param)?;
        let end = time_field(item, "end_time", "end", param)?;
        let (start_s, end_s) = (start.1, end.1);
        if start.0 == 1440 {
            return Err(Invalid::new(
                format!("Invalid time format: '{start_s}'. Expected format: HH:MM"),
                format!("{param}.start_time"),
            ));
        }
        if end.0 <= start.0 {
            return Err(Invalid::new(
                format!("end time should be after start time: '{start_s}-{end_s}'"),
                format!("{param}.end_time"),
            ));
        }
        let locations = parse_locations(item.get("locations"), &format!("{param}.locations"))?;
        if spans.iter().any(|(s, e, _)| start.0 < *e && *s < end.0) {
            return Err(Invalid::new(
                format!("availability range is overlapping: '{start_s}-{end_s}'"),
                param,
            ));
        }
        spans.push((
            start.0,
            end.0,
            Span {
                start_time: start_s,
                end_time: end_s,
                locations,
            },
        ));
    }
    spans.sort_by_key(|(s, _, _)| *s);
    Ok(spans.into_iter().map(|(_, _, s)| s).collect())
}

fn time_field(
    item: &Map<String, Value>,
    key: &str,
    label: &str,
    param: &str,
) -> Result<(u16, String), Invalid> {
    let p = format!("{param}.{key}");
    let raw = match item.get(key) {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err(Invalid::new(format!("{key} is required"), p)),
        Some(other) => {
            return Err(Invalid::new(
                format!(
                    "Invalid time format: '{}'. Expected format: HH:MM",
                    plain(other)
                ),
                p,
            ))
        }
    };
    let m = parse_hhmm(&raw).ok_or_else(|| {
        Invalid::new(
            format!("Invalid time format: '{raw}'. Expected format: HH:MM"),
            p.clone(),
        )
    })?;
    if m % 15 != 0 {
        return Err(Invalid::new(
            format!("{label} time should be multiple of 15: '{raw}'"),
            p,
        ));
    }
    Ok((m, raw))
}

fn parse_locations(v: Option<&Value>, param: &str) -> Result<Vec<Location>, Invalid> {
    let items = match v {
        None | Some(Value::Null) => return Err(Invalid::new("locations is required", param)),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Invalid::new("Must be an array.", param)),
    };
    let mut out: Vec<Location> = Vec::new();
    for item in items {
        let item = item
            .as_object()
            .ok_or_else(|| Invalid::new("Must be an array of objects.", param))?;
        check_keys(item, &["type", "value", "id"], param)?;
        let opt_str = |k: &str| -> Result<Option<String>, Invalid> {
            match item.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(Invalid::new("Must be a string.", format!("{param}.{k}"))),
            }
        };
        let kind = opt_str("type")?
            .ok_or_else(|| Invalid::new("type is required", format!("{param}.type")))?;
        if !LOCATION_TYPES.contains(&kind.as_str()) {
            return Err(Invalid::new(
                format!("Invalid location type: '{kind}'"),
                format!("{param}.type"),
            ));
        }
        if out.iter().any(|l| l.kind == kind) {
            return Err(Invalid::new(
                format!("Duplicate location type: '{kind}'"),
                format!("{param}.type"),
            ));
        }
        let (value, id) = (opt_str("value")?, opt_str("id")?);
        let location = match kind.as_str() {
            "in_person_by_host" => {
                let id = id.filter(|s| !s.is_empty()).ok_or_else(|| {
                    Invalid::new(
                        "id is required for in_person_by_host",
                        format!("{param}.id"),
                    )
                })?;
                Location {
                    kind,
                    value,
                    id: Some(id),
                }
            }
            "online_static_link" => {
                let url = value.ok_or_else(|| {
                    Invalid::new(
                        "value is required for online_static_link",
                        format!("{param}.value"),
                    )
                })?;
                let ok = url::Url::parse(&url).is_ok_and(|u| {
                    matches!(u.scheme(), "http" | "https") && u.host_str().is_some()
                });
                if !ok {
                    return Err(Invalid::new(
                        format!("Invalid URL: '{url}'"),
                        format!("{param}.value"),
                    ));
                }
                Location {
                    kind,
                    value: Some(url),
                    id: None,
                }
            }
            "online_dynamic_link" => {
                let provider = value.ok_or_else(|| {
                    Invalid::new(
                        "value is required for online_dynamic_link",
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
            _ => Location {
                kind,
                value: None,
                id: None,
            },
        };
        out.push(location);
    }
    let has = |k: &str| out.iter().any(|l| l.kind == k);
    if has("online_dynamic_link") && has("online_static_link") {
        return Err(Invalid::unprocessable(
            "You can set either online_dynamic_link or online_static_link",
            param,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InvalidKind;
    use serde_json::json;

    fn today() -> Date {
        Date::new(2025, 6, 1).unwrap()
    }

    fn patch(body: Value) -> Result<Schedule, Invalid> {
        Schedule::default().apply_patch(&body, today())
    }

    fn msg(body: Value) -> (String, Option<String>) {
        let e = patch(body).unwrap_err();
        (e.message, e.param)
    }

    #[test]
    fn a_given_day_is_replaced_whole_and_others_kept() {
        let s = patch(json!({"weekly": [{"day": "Monday", "working_hours": [
            {"start_time": "13:00", "end_time": "17:00", "locations": [{"type": "online_dynamic_link", "value": "zoom"}]},
            {"start_time": "09:00", "end_time": "12:00", "locations": []}
        ]}]}))
        .unwrap();
        assert_eq!(s.weekly[0].working_hours.len(), 2);
        assert_eq!(
            s.weekly[0].working_hours[0].start_time, "09:00",
            "spans are kept in time order"
        );
        assert_eq!(s.weekly[1], Schedule::default().weekly[1]);
    }

    #[test]
    fn an_empty_array_clears_a_day_but_null_is_refused() {
        let s = patch(json!({"weekly": [{"day": "Friday", "working_hours": []}]})).unwrap();
        assert!(s.weekly[4].working_hours.is_empty());
        assert_eq!(
            msg(json!({"weekly": [{"day": "Friday", "working_hours": null}]})).0,
            "working_hours cannot be null"
        );
    }

    #[test]
    fn days_are_case_sensitive_and_unique() {
        assert_eq!(
            msg(json!({"weekly": [{"day": "monday", "working_hours": []}]})),
            ("Invalid day: 'monday'".into(), Some("weekly.day".into()))
        );
        assert_eq!(
            msg(
                json!({"weekly": [{"day": "Monday", "working_hours": []}, {"day": "Monday", "working_hours": []}]})
            ),
            (
                "Duplicate entry for day or date: 'Monday'".into(),
                Some("weekly".into())
            )
        );
    }

    #[test]
    fn times_are_quarter_hours_in_order_and_not_overlapping() {
        let span = |s: &str, e: &str| json!({"start_time": s, "end_time": e, "locations": []});
        let day =
            |spans: Vec<Value>| json!({"weekly": [{"day": "Monday", "working_hours": spans}]});
        assert_eq!(
            msg(day(vec![span("09:05", "10:00")])),
            (
                "start time should be multiple of 15: '09:05'".into(),
                Some("weekly.working_hours.start_time".into())
            )
        );
        assert_eq!(
            msg(day(vec![span("09:00", "10:10")])).0,
            "end time should be multiple of 15: '10:10'"
        );
        assert_eq!(
            msg(day(vec![span("10:00", "09:00")])).0,
            "end time should be after start time: '10:00-09:00'"
        );
        assert_eq!(
            msg(day(vec![span("10:00", "10:00")])).0,
            "end time should be after start time: '10:00-10:00'"
        );
        assert_eq!(
            msg(day(vec![span("10:00", "12:00"), span("09:00", "11:00")])),
            (
                "availability range is overlapping: '09:00-11:00'".into(),
                Some("weekly.working_hours".into())
            )
        );
        assert!(
            patch(day(vec![span("09:00", "10:00"), span("10:00", "11:00")])).is_ok(),
            "touching spans do not overlap"
        );
        assert!(patch(day(vec![span("22:00", "24:00")])).is_ok());
        assert!(msg(day(vec![span("9:00", "10:00")]))
            .0
            .starts_with("Invalid time format"));
        assert!(msg(day(vec![span("24:00", "24:00")]))
            .0
            .starts_with("Invalid time format"));
    }

    #[test]
    fn location_rules() {
        let with = |locs: Value| json!({"weekly": [{"day": "Monday", "working_hours": [{"start_time": "09:00", "end_time": "10:00", "locations": locs}]}]});
        let e = patch(with(json!([{"type": "online_dynamic_link", "value": "zoom"}, {"type": "online_static_link", "value": "https://meet.example.com/x"}]))).unwrap_err();
        assert_eq!(e.kind, InvalidKind::Unprocessable);
        assert_eq!(
            e.message,
            "You can set either online_dynamic_link or online_static_link"
        );
        assert_eq!(e.param.as_deref(), Some("weekly.working_hours.locations"));
        assert_eq!(
            msg(with(json!([{"type": "carrier_pigeon"}]))).0,
            "Invalid location type: 'carrier_pigeon'"
        );
        assert_eq!(
            msg(with(
                json!([{"type": "phone_by_guest"}, {"type": "phone_by_guest"}])
            ))
            .0,
            "Duplicate location type: 'phone_by_guest'"
        );
        assert_eq!(
            msg(with(json!([{"type": "in_person_by_host"}]))).0,
            "id is required for in_person_by_host"
        );
        assert_eq!(
            msg(with(json!([{"type": "online_static_link"}]))).0,
            "value is required for online_static_link"
        );
        assert_eq!(
            msg(with(
                json!([{"type": "online_static_link", "value": "not a url"}])
            ))
            .0,
            "Invalid URL: 'not a url'"
        );
        assert_eq!(
            msg(with(
                json!([{"type": "online_dynamic_link", "value": "skype"}])
            ))
            .0,
            "Invalid video conference provider: 'skype'"
        );
        let missing = json!({"weekly": [{"day": "Monday", "working_hours": [{"start_time": "09:00", "end_time": "10:00"}]}]});
        assert_eq!(msg(missing).0, "locations is required");
    }

    #[test]
    fn overrides_are_future_unique_and_deletable() {
        let s = patch(json!({"overrides": [{"date": "2025-12-25", "working_hours": []}, {"date": "2025-07-04", "working_hours": [{"start_time": "10:00", "end_time": "12:00", "locations": []}]}]})).unwrap();
        assert_eq!(
            s.overrides
                .iter()
                .map(|o| o.date.as_str())
                .collect::<Vec<_>>(),
            ["2025-07-04", "2025-12-25"]
        );
        let rendered = s.render("America/Chicago", None, None);
        assert_eq!(rendered["overrides"][1]["day"], "Thursday");
        let s2 = s
            .apply_patch(
                &json!({"overrides": [{"date": "2025-12-25", "working_hours": null}]}),
                today(),
            )
            .unwrap();
        assert_eq!(s2.overrides.len(), 1);
        assert_eq!(
            msg(json!({"overrides": [{"date": "2024-01-01", "working_hours": []}]})),
            (
                "Date cannot be in the past: '2024-01-01'".into(),
                Some("overrides.date".into())
            )
        );
        assert!(
            patch(json!({"overrides": [{"date": "2025-06-01", "working_hours": []}]})).is_ok(),
            "today is not the past"
        );
        assert_eq!(
            msg(json!({"overrides": [{"date": "2025-07-04", "working_hours": []}, {"date": "2025-07-04", "working_hours": []}]})).0,
            "Duplicate entry for day or date: '2025-07-04'"
        );
        assert_eq!(
            msg(json!({"overrides": [{"date": "07/04/2025", "working_hours": []}]}))
                .1
                .as_deref(),
            Some("overrides.date")
        );
        assert_eq!(
            msg(json!({"overrides": [{"date": "2025-07-04"}]})).0,
            "working_hours is required"
        );
    }

    #[test]
    fn unknown_fields_are_refused_and_an_empty_body_changes_nothing() {
        assert_eq!(
            msg(json!({"start_date": "x"})),
            (
                "Received unknown parameter: start_date".into(),
                Some("start_date".into())
            )
        );
        assert!(patch(json!([1])).is_err());
        let empty = patch(json!({})).unwrap();
        assert_eq!(empty, Schedule::default());
    }

    #[test]
    fn render_limits_overrides_to_the_asked_window_and_lists_seven_days() {
        let s = patch(json!({"overrides": [{"date": "2025-07-04", "working_hours": []}, {"date": "2025-08-04", "working_hours": []}]}))
            .unwrap();
        let r = s.render("UTC", Some(Date::new(2025, 8, 1).unwrap()), None);
        assert_eq!(r["overrides"].as_array().unwrap().len(), 1);
        assert_eq!(r["weekly"].as_array().unwrap().len(), 7);
        assert_eq!(r["object"], "schedule");
    }
}
