//! The scheduling settings form shared by booking calendars and booking pages: the numbers,
//! approval, where the meeting is, the booking form's questions, reminders and the words of
//! each message, the redirect and the sites that may embed it. It only turns form fields into
//! a settings change; the domain's rules (`Settings::merge`) judge it, as for the API.

use std::collections::HashMap;

use maud::{html, Markup};
use serde_json::{json, Map, Value};
use slotline_domain::{
    notice::{default_text, Notice},
    notifications::{Recipient, MAX_REMINDERS},
    schedule::VIDEO_PROVIDERS,
    settings::{Settings, STANDARD_FIELDS},
};

/// Empty rows offered for new questions and reminders.
const SPARE_ROWS: usize = 2;
/// Rows read back from a form, at most (the page never offers more).
const MAX_ROWS: usize = 60;

fn provider_name(p: &str) -> &'static str {
    match p {
        "google_meet" => "Google Meet",
        "zoom" => "Zoom",
        "microsoft_teams" => "Microsoft Teams",
        "webex" => "Webex",
        "gotomeeting" => "GoTo Meeting",
        "jitsi" => "Jitsi (a room is made for each booking)",
        _ => "Other",
    }
}

fn standard_name(f: &str) -> &'static str {
    match f {
        "phone" => "Phone",
        "company" => "Company",
        "note" => "A note",
        "guests" => "Other guests",
        _ => "Field",
    }
}

/// Message kinds a page's words apply to: those about its bookings.
fn page_notices() -> impl Iterator<Item = Notice> {
    Notice::ALL
        .iter()
        .copied()
        .filter(|n| n.as_str().starts_with("guest.") || n.as_str().starts_with("host."))
}

fn describe(n: Notice) -> String {
    let (to, what) = n.as_str().split_once('.').unwrap_or(("", n.as_str()));
    let to = if to == "guest" {
        "To the guest"
    } else {
        "To hosts"
    };
    format!("{to}: {}", what.replace('_', " "))
}

/// The form's sections after name and address: everything in `Settings`.
pub fn sections(s: &Settings) -> Markup {
    let num = |name: &'static str, label: &'static str, value: u32, help: &'static str| {
        html! {
            div {
                label for=(name) { (label) }
                input #(name) type="number" name=(name) value=(value) min="0" required aria-describedby={ (name) "-help" };
                p.muted id={ (name) "-help" } { (help) }
            }
        }
    };
    let addresses: Vec<&str> = s
        .locations
        .iter()
        .filter(|l| l.kind == "physical")
        .filter_map(|l| l.value.as_deref())
        .collect();
    let video_urls: Vec<&str> = s
        .locations
        .iter()
        .filter(|l| l.kind == "virtual_static")
        .filter_map(|l| l.value.as_deref())
        .collect();
    let has = |kind: &str, value: Option<&str>| {
        s.locations
            .iter()
            .any(|l| l.kind == kind && l.value.as_deref() == value)
    };
    let n = &s.notifications;
    let reminder_rows = (n.reminders.len() + 1).min(MAX_REMINDERS);
    html! {
        h2 { "Scheduling" }
        div.fields {
            div {
                label for="durations" { "Meeting lengths (minutes)" }
                input #durations name="durations" value=(s.durations.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")) required aria-describedby="durations-help";
                p.muted #durations-help { "One or more, separated by commas; the first is the default." }
            }
            (num("slot_interval_minutes", "Start times every (minutes)", s.slot_interval_minutes, "How far apart offered start times are."))
            (num("buffer_before_minutes", "Free before (minutes)", s.buffer_before_minutes, "Kept free before each meeting."))
            (num("buffer_after_minutes", "Free after (minutes)", s.buffer_after_minutes, "Kept free after each meeting."))
            (num("minimum_notice_minutes", "Notice (minutes)", s.minimum_notice_minutes, "How soon a meeting may start, from now."))
            (num("booking_horizon_days", "Bookable ahead (days)", s.booking_horizon_days, "How far ahead guests may book."))
            div {
                label for="max_bookings_per_day" { "At most per day" }
                input #max_bookings_per_day type="number" name="max_bookings_per_day" min="1" value=[s.max_bookings_per_day] aria-describedby="max-help";
                p.muted #max-help { "Empty: no limit." }
            }
        }
        label.check { input type="checkbox" name="approval_required" value="on" checked[s.approval_required]; "Bookings wait for the host's approval" }

        h2 { "Where the meeting is" }
        p.muted { "Guests choose when there are several; with none, the booking has no location." }
        label for="loc_physical" { "In person at (one address per line)" }
        textarea #loc_physical name="loc_physical" rows="2" maxlength="5000" { (addresses.join("\n")) }
        label.check { input type="checkbox" name="loc_in_person_by_guest" value="on" checked[has("in_person_by_guest", None)]; "In person, at a place the guest gives" }
        label.check { input type="checkbox" name="loc_guest_phone" value="on" checked[has("guest_phone", None)]; "By phone, at a number the guest gives" }
        label.check { input type="checkbox" name="loc_host_link" value="on" checked[has("virtual_static", None)]; "Video, at the host's own meeting link (set in their profile)" }
        label for="loc_video_urls" { "Video, at these links (one per line)" }
        textarea #loc_video_urls name="loc_video_urls" rows="2" maxlength="5000" { (video_urls.join("\n")) }
        fieldset {
            legend { "Video, by provider" }
            @for p in VIDEO_PROVIDERS {
                label.check { input type="checkbox" name={ "loc_video_" (p) } value="on" checked[has("virtual", Some(p))]; (provider_name(p)) }
            }
        }

        h2 { "Booking form" }
        p.muted { "Name and email are always asked." }
        div.fields {
            @for f in STANDARD_FIELDS {
                @let now = s.standard_fields.iter().find(|(n, _)| n == f).map(|(_, r)| *r);
                div {
                    label for={ "std_" (f) } { (standard_name(f)) }
                    select id={ "std_" (f) } name={ "std_" (f) } {
                        option value="" selected[now.is_none()] { "Not asked" }
                        option value="optional" selected[now == Some(false)] { "Optional" }
                        option value="required" selected[now == Some(true)] { "Required" }
                    }
                }
            }
        }
        h3 { "Questions" }
        p.muted #questions-help { "Leave a question's text empty to remove it. Choices: one per line. The field name is where the answer appears in the API (made from the text when empty)." }
        @for i in 0..(s.questions.len() + SPARE_ROWS) {
            @let q = s.questions.get(i);
            fieldset.item {
                legend { "Question " (i + 1) }
                div.fields {
                    div { label for={ "q" (i) "_label" } { "Text" } input id={ "q" (i) "_label" } name={ "q" (i) "_label" } value=[q.map(|q| &q.label)] maxlength="500"; }
                    div { label for={ "q" (i) "_name" } { "Field name" } input id={ "q" (i) "_name" } name={ "q" (i) "_name" } value=[q.map(|q| &q.name)] maxlength="64" pattern="[a-z][a-z0-9_]*"; }
                    div {
                        label for={ "q" (i) "_type" } { "Answer" }
                        select id={ "q" (i) "_type" } name={ "q" (i) "_type" } {
                            @for (v, l) in [("text", "A line of text"), ("multi_line", "Several lines"), ("single_select", "One choice"), ("multi_select", "Several choices")] {
                                option value=(v) selected[q.is_some_and(|q| q.kind == v)] { (l) }
                            }
                        }
                    }
                    div { label for={ "q" (i) "_options" } { "Choices" } textarea id={ "q" (i) "_options" } name={ "q" (i) "_options" } rows="2" maxlength="5000" { @if let Some(q) = q { (q.options.join("\n")) } } }
                }
                label.check { input type="checkbox" name={ "q" (i) "_required" } value="on" checked[q.is_some_and(|q| q.required)]; "Required" }
            }
        }
        label.check { input type="checkbox" name="hide_prefilled_questions" value="on" checked[s.hide_prefilled_questions]; "Leave out questions a link already answered" }

        h2 { "Messages" }
        p.muted { "Reminders go before the meeting; leave the minutes empty to remove one. SMS go to guests who give a mobile number." }
        @for i in 0..reminder_rows {
            @let r = n.reminders.get(i);
            fieldset.item {
                legend { "Reminder " (i + 1) }
                div.fields {
                    div { label for={ "r" (i) "_minutes" } { "Minutes before" } input id={ "r" (i) "_minutes" } type="number" min="5" name={ "r" (i) "_minutes" } value=[r.map(|r| r.minutes_before)]; }
                    div {
                        label for={ "r" (i) "_to" } { "To" }
                        select id={ "r" (i) "_to" } name={ "r" (i) "_to" } {
                            option value="guest" selected[r.is_some_and(|r| r.to == Recipient::Guest)] { "The guest" }
                            option value="host" selected[r.is_some_and(|r| r.to == Recipient::Host)] { "The host" }
                        }
                    }
                    div {
                        label for={ "r" (i) "_channel" } { "By" }
                        select id={ "r" (i) "_channel" } name={ "r" (i) "_channel" } {
                            option value="email" selected[r.is_some_and(|r| r.channel.as_str() == "email")] { "Email" }
                            option value="sms" selected[r.is_some_and(|r| r.channel.as_str() == "sms")] { "SMS" }
                        }
                    }
                }
            }
        }
        div.fields {
            div {
                label for="follow_up_minutes" { "Thank the guest, minutes after the meeting" }
                input #follow_up_minutes type="number" min="0" max="10080" name="follow_up_minutes" value=[n.follow_up_minutes] aria-describedby="follow-help";
                p.muted #follow-help { "Empty: no follow-up." }
            }
        }
        label.check { input type="checkbox" name="email_hosts" value="on" checked[n.email_hosts]; "Email hosts about their bookings" }
        label.check { input type="checkbox" name="sms" value="on" checked[n.sms]; "Also send SMS to guests who give a mobile number" }
        h3 { "Words of each message" }
        p.muted { "Placeholders such as {guest_name}, {when}, {location}, {join_url} and {cancel_url} are filled in when sent. Put back the default words to drop your own." }
        @for kind in page_notices() {
            @let own = n.templates.get(kind.as_str());
            @let t = n.text(kind);
            @let key = kind.as_str().replace('.', "-");
            details {
                summary { (describe(kind)) @if own.is_some() { " " span.status { "own words" } } }
                label for={ "t-" (key) "-subject" } { "Subject" }
                input id={ "t-" (key) "-subject" } name={ "t:" (kind.as_str()) ":subject" } value=(t.subject) maxlength="200";
                label for={ "t-" (key) "-body" } { "Body" }
                textarea id={ "t-" (key) "-body" } name={ "t:" (kind.as_str()) ":body" } rows="8" maxlength="10000" { (t.body) }
            }
        }

        h2 { "After booking" }
        label for="redirect_url" { "Send guests to this address after booking (optional)" }
        input #redirect_url type="url" name="redirect_url" value=(s.redirect.as_ref().map(|r| r.url.clone()).unwrap_or_default()) maxlength="2000";
        label.check { input type="checkbox" name="redirect_data" value="on" checked[s.redirect.as_ref().is_some_and(|r| r.send_booking_data)]; "With the booking's details in the address" }
        label.check { input type="checkbox" name="redirect_utm" value="on" checked[s.redirect.as_ref().is_some_and(|r| r.pass_utm)]; "With the page's UTM parameters" }
        h2 { "Embedding" }
        label for="embed_origins" { "Websites that may embed it (one per line, e.g. https://www.example.com; empty: any)" }
        textarea #embed_origins name="embed_origins" maxlength="5000" { (s.embed_origins.join("\n")) }
    }
}

/// Lines of a text area, trimmed, without empty ones.
fn lines(v: &str) -> Vec<String> {
    v.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// A field name made from a question's text: lowercase letters, digits and underscores.
fn field_name(label: &str) -> String {
    let mut out = String::new();
    for c in label.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out
        .trim_matches('_')
        .trim_start_matches(|c: char| c.is_ascii_digit());
    let mut name: String = out.chars().take(60).collect();
    if name.is_empty() {
        name = "question".into();
    }
    name
}

/// Browsers send text areas with CRLF line ends; messages keep LF.
fn text(v: &str) -> String {
    v.replace("\r\n", "\n")
}

/// The settings change the form asks for, as the API's JSON, for `Settings::merge` to judge.
pub fn change(f: &HashMap<String, String>, current: &Settings) -> Result<Value, String> {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let on = |k: &str| f.contains_key(k);
    let int = |k: &str, label: &str| -> Result<u64, String> {
        get(k)
            .parse::<u64>()
            .map_err(|_| format!("{label}: give a whole number."))
    };
    let optional = |k: &str, label: &str| -> Result<Value, String> {
        match get(k) {
            v if v.is_empty() => Ok(Value::Null),
            v => v
                .parse::<u64>()
                .map(|n| json!(n))
                .map_err(|_| format!("{label}: give a whole number, or leave it empty.")),
        }
    };
    let durations = get("durations")
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.parse::<u64>()
                .map_err(|_| format!("Meeting lengths: '{d}' is not a whole number of minutes."))
        })
        .collect::<Result<Vec<_>, _>>()?;

    // Where: addresses keep their ids, so bookings made at one still name it.
    let mut locations = Vec::new();
    for address in lines(&get("loc_physical")) {
        let id = current
            .locations
            .iter()
            .find(|l| l.kind == "physical" && l.value.as_deref() == Some(address.as_str()))
            .and_then(|l| l.id.clone());
        locations.push(json!({"type": "physical", "value": address, "id": id}));
    }
    for (key, kind) in [
        ("loc_in_person_by_guest", "in_person_by_guest"),
        ("loc_guest_phone", "guest_phone"),
        ("loc_host_link", "virtual_static"),
    ] {
        if on(key) {
            locations.push(json!({"type": kind}));
        }
    }
    for url in lines(&get("loc_video_urls")) {
        locations.push(json!({"type": "virtual_static", "value": url}));
    }
    for p in VIDEO_PROVIDERS {
        if on(&format!("loc_video_{p}")) {
            locations.push(json!({"type": "virtual", "value": p}));
        }
    }
    // A physical location without an id gets a new one from the domain.
    for l in &mut locations {
        if l["id"].is_null() {
            if let Some(o) = l.as_object_mut() {
                o.remove("id");
            }
        }
    }

    let standard_fields: Vec<Value> = STANDARD_FIELDS
        .iter()
        .filter_map(|name| match get(&format!("std_{name}")).as_str() {
            "optional" => Some(json!({"name": name, "required": false})),
            "required" => Some(json!({"name": name, "required": true})),
            _ => None,
        })
        .collect();

    let mut questions = Vec::new();
    for i in 0..MAX_ROWS {
        let label = get(&format!("q{i}_label"));
        if label.is_empty() {
            continue;
        }
        let name = match get(&format!("q{i}_name")) {
            n if n.is_empty() => field_name(&label),
            n => n,
        };
        let kind = match get(&format!("q{i}_type")) {
            k if k.is_empty() => "text".to_string(),
            k => k,
        };
        let options = if kind.ends_with("select") {
            lines(&get(&format!("q{i}_options")))
        } else {
            vec![]
        };
        questions.push(json!({
            "name": name, "label": label, "type": kind,
            "required": on(&format!("q{i}_required")), "options": options,
        }));
    }

    let mut reminders = Vec::new();
    for i in 0..MAX_ROWS {
        let minutes = get(&format!("r{i}_minutes"));
        if minutes.is_empty() {
            continue;
        }
        let minutes: u64 = minutes
            .parse()
            .map_err(|_| format!("Reminder {}: give whole minutes.", i + 1))?;
        let to = match get(&format!("r{i}_to")) {
            t if t.is_empty() => "guest".to_string(),
            t => t,
        };
        let channel = match get(&format!("r{i}_channel")) {
            c if c.is_empty() => "email".to_string(),
            c => c,
        };
        reminders.push(json!({"minutes_before": minutes, "to": to, "channel": channel}));
    }

    // Words: a kind whose words are the defaults has none of its own.
    let mut templates = Map::new();
    for kind in page_notices() {
        let key = kind.as_str();
        let (Some(subject), Some(body)) = (
            f.get(&format!("t:{key}:subject")),
            f.get(&format!("t:{key}:body")),
        ) else {
            continue;
        };
        let (subject, body) = (subject.trim().to_string(), text(body).trim().to_string());
        let default = default_text(kind);
        let value = if subject == default.subject.trim() && body == default.body.trim() {
            Value::Null
        } else {
            json!({"subject": subject, "body": body})
        };
        templates.insert(key.to_string(), value);
    }

    let redirect = match get("redirect_url") {
        u if u.is_empty() => Value::Null,
        u => {
            json!({"url": u, "send_booking_data": on("redirect_data"), "pass_utm": on("redirect_utm")})
        }
    };
    Ok(json!({
        "durations": durations,
        "slot_interval_minutes": int("slot_interval_minutes", "Start times every")?,
        "buffer_before_minutes": int("buffer_before_minutes", "Free before")?,
        "buffer_after_minutes": int("buffer_after_minutes", "Free after")?,
        "minimum_notice_minutes": int("minimum_notice_minutes", "Notice")?,
        "booking_horizon_days": int("booking_horizon_days", "Bookable ahead")?,
        "max_bookings_per_day": optional("max_bookings_per_day", "At most per day")?,
        "approval_required": on("approval_required"),
        "locations": locations,
        "standard_fields": standard_fields,
        "questions": questions,
        "hide_prefilled_questions": on("hide_prefilled_questions"),
        "notifications": {
            "reminders": reminders,
            "follow_up_minutes": optional("follow_up_minutes", "Follow-up")?,
            "email_hosts": on("email_hosts"),
            "sms": on("sms"),
            "templates": templates,
        },
        "redirect": redirect,
        "embed_origins": lines(&get("embed_origins")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let base = [
            ("durations", "30"),
            ("slot_interval_minutes", "30"),
            ("buffer_before_minutes", "0"),
            ("buffer_after_minutes", "0"),
            ("minimum_notice_minutes", "0"),
            ("booking_horizon_days", "60"),
        ];
        base.iter()
            .chain(pairs)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn merged(pairs: &[(&str, &str)], current: &Settings) -> Settings {
        let v = change(&form(pairs), current).unwrap();
        current.merge(&v, || "ADD-NEW".into()).unwrap()
    }

    #[test]
    fn an_address_kept_keeps_its_id_and_a_new_one_gets_one() {
        let first = merged(&[("loc_physical", "1 Main St")], &Settings::default());
        let id = first.locations[0].id.clone().unwrap();
        let second = merged(&[("loc_physical", "2 Side St\r\n1 Main St\r\n")], &first);
        let kept = second
            .locations
            .iter()
            .find(|l| l.value.as_deref() == Some("1 Main St"))
            .unwrap();
        assert_eq!(kept.id.as_deref(), Some(id.as_str()));
        assert_eq!(second.locations[0].id.as_deref(), Some("ADD-NEW"));
    }

    #[test]
    fn a_question_without_a_field_name_gets_one_from_its_text() {
        assert_eq!(
            field_name("What's your team size?"),
            "what_s_your_team_size"
        );
        assert_eq!(field_name("2nd phone"), "nd_phone");
        assert_eq!(field_name("¿?"), "question");
        let s = merged(
            &[
                ("q0_label", "Team size"),
                ("q0_type", "single_select"),
                ("q0_options", "1-10\r\n11-50\r\n"),
                ("q0_required", "on"),
                ("q1_label", ""),
            ],
            &Settings::default(),
        );
        assert_eq!(s.questions.len(), 1);
        assert_eq!(s.questions[0].name, "team_size");
        assert_eq!(s.questions[0].options, vec!["1-10", "11-50"]);
        assert!(s.questions[0].required);
    }

    #[test]
    fn default_words_are_no_words_of_ones_own() {
        let d = default_text(Notice::GuestScheduled);
        let crlf = d.body.replace('\n', "\r\n");
        let s = merged(
            &[
                ("t:guest.scheduled:subject", d.subject),
                ("t:guest.scheduled:body", &crlf),
                ("t:guest.reminder:subject", "See you soon"),
                ("t:guest.reminder:body", "Hi {guest_name}"),
            ],
            &Settings::default(),
        );
        assert!(!s.notifications.templates.contains_key("guest.scheduled"));
        assert_eq!(
            s.notifications.templates["guest.reminder"].subject,
            "See you soon"
        );
        // Put back, they are gone again.
        let r = default_text(Notice::GuestReminder);
        let back = merged(
            &[
                ("t:guest.reminder:subject", r.subject),
                ("t:guest.reminder:body", r.body),
            ],
            &s,
        );
        assert!(back.notifications.templates.is_empty());
    }

    #[test]
    fn reminders_rows_without_minutes_are_dropped_and_bad_minutes_refused() {
        let s = merged(
            &[
                ("r0_minutes", "1440"),
                ("r0_to", "host"),
                ("r1_minutes", ""),
                ("r2_minutes", "30"),
                ("r2_channel", "sms"),
            ],
            &Settings::default(),
        );
        assert_eq!(s.notifications.reminders.len(), 2);
        assert_eq!(s.notifications.reminders[0].to, Recipient::Host);
        assert!(change(&form(&[("r0_minutes", "soon")]), &Settings::default()).is_err());
    }
}
