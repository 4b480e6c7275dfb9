//! `/app/availability`: a user's weekly hours (up to three spans a day), the dates that differ
//! (picked on a month calendar: a day off, other hours, or back to the week's), their time
//! zone, and a preview of the free time all of it yields over the next two weeks once their
//! bookings and connected calendars are taken out. Changes go through the same rules as the
//! API's `PATCH /v2/users/{id}/scheduling-availability`. Members edit their own; the owner and
//! administrators anyone's (`?user=`).

use axum::{
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use jiff::{civil::Date, ToSpan};
use maud::{html, Markup};
use serde_json::{json, Value};
use slotline_domain::{
    availability::{self, Host, Interval},
    id::UserId,
    schedule::{self, Schedule, Span, DAYS},
};

use super::{
    layout::{self, Section},
    session::Signed,
};
use crate::{
    state::SharedState,
    store::{bookings, users},
    web::{
        flow::internal,
        query::Query,
        times::{day_start, zone_names, zoned},
    },
};

/// Spans a day can have in the form.
const ROWS: usize = 3;
/// Days the preview shows.
const PREVIEW_DAYS: i64 = 14;

/// Whose availability a request is about: the signed-in user, or (for an administrator)
/// `?user=`.
fn whose(signed: &Signed, asked: Option<&str>) -> Option<UserId> {
    match asked.filter(|a| !a.is_empty()) {
        None => Some(signed.session.user_id.clone()),
        Some(a) if a == signed.session.user_id.as_str() => Some(signed.session.user_id.clone()),
        Some(a) if signed.is_admin() => UserId::parse(a.to_string()).ok(),
        Some(_) => None,
    }
}

fn not_found() -> Response {
    layout::message(
        StatusCode::NOT_FOUND,
        "No such user",
        "There is no such user, or you may not change their availability.",
    )
}

struct Person {
    id: UserId,
    name: String,
    schedule: Schedule,
    zone: String,
}

async fn load(state: &SharedState, signed: &Signed, id: &UserId) -> Result<Person, Response> {
    let account = &signed.session.account_id;
    match users::get(&state.db, account, id).await {
        Ok(Some(u)) if !u.deleted => match users::schedule(&state.db, account, id).await {
            Ok(Some((schedule, zone, _))) => Ok(Person {
                id: u.id,
                name: format!("{} {}", u.first_name, u.last_name)
                    .trim()
                    .to_string(),
                schedule,
                zone,
            }),
            Ok(None) => Err(not_found()),
            Err(e) => Err(internal(e)),
        },
        Ok(_) => Err(not_found()),
        Err(e) => Err(internal(e)),
    }
}

fn today(state: &SharedState, zone: &str) -> Date {
    zoned(state.now(), zone).date()
}

pub async fn show(
    State(state): State<SharedState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    let query = Query::parse(q.as_deref());
    let Some(id) = whose(&signed, query.get("user")) else {
        return not_found();
    };
    let person = match load(&state, &signed, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let notice = query.get("saved").map(|s| match s {
        "zone" => "Time zone saved.",
        "hours" => "Weekly hours saved.",
        _ => "Date saved.",
    });
    render(
        &state,
        &signed,
        &person,
        &query,
        StatusCode::OK,
        notice,
        None,
    )
    .await
}

async fn render(
    state: &SharedState,
    signed: &Signed,
    p: &Person,
    query: &Query,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let today = today(state, &p.zone);
    let month = query
        .get("month")
        .and_then(|m| schedule::parse_date(&format!("{m}-01")))
        .unwrap_or_else(|| today.first_of_month());
    let picked = query
        .get("date")
        .and_then(schedule::parse_date)
        .filter(|d| *d >= today);
    let preview = match preview(state, signed, p, today).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mine = p.id == signed.session.user_id;
    let user_field = (!mine).then(|| p.id.to_string());
    let keep = |q: Query| match &user_field {
        Some(u) => q.with("user", Some(u)),
        None => q,
    };
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { @if mine { "Your availability" } @else { "Availability of " (p.name) } }
        p.muted { "Hours are in " (p.zone) ". Pages and calendars offer times within them, less your bookings and your connected calendars' busy times." }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }

        h2 #weekly { "Weekly hours" }
        form.card method="post" action="/app/availability/hours" {
            input type="hidden" name="csrf" value=(csrf);
            @if let Some(u) = &user_field { input type="hidden" name="user" value=(u); }
            p.muted { "Leave a day empty for no hours that day. An end of 00:00 means midnight." }
            table.list.hours {
                thead { tr { th scope="col" { "Day" } @for i in 0..ROWS { th scope="col" { "Hours " (i + 1) } } } }
                tbody {
                    @for (d, day) in DAYS.iter().enumerate() {
                        @let spans = p.schedule.weekly.iter().find(|w| w.day == *day).map(|w| w.working_hours.clone()).unwrap_or_default();
                        tr {
                            th scope="row" { (day) }
                            @for i in 0..ROWS {
                                td { (span_inputs(&format!("d{d}"), i, spans.get(i), day)) }
                            }
                        }
                    }
                }
            }
            button.primary type="submit" { "Save weekly hours" }
        }

        h2 #dates { "Dates that differ" }
        (month_view(&p.schedule, month, today, picked, &keep))
        @if let Some(date) = picked {
            (date_form(&p.schedule, date, csrf, user_field.as_deref()))
        }

        h2 #preview { "Free time, the next two weeks" }
        ul.preview {
            @for (date, free) in &preview {
                li {
                    strong { (date.strftime("%a %-d %b")) } ": "
                    @if free.is_empty() { span.muted { "no free time" } }
                    @else {
                        @for (i, iv) in free.iter().enumerate() {
                            @if i > 0 { ", " }
                            (zoned(iv.start, &p.zone).strftime("%H:%M")) "–" (end_label(iv.end, &p.zone, *date))
                        }
                    }
                }
            }
        }

        h2 #zone { "Time zone" }
        form.card method="post" action="/app/availability/zone" {
            input type="hidden" name="csrf" value=(csrf);
            @if let Some(u) = &user_field { input type="hidden" name="user" value=(u); }
            label for="timezone" { "Your hours are in" }
            select #timezone name="timezone" {
                @for z in zone_names() { option value=(z) selected[*z == p.zone] { (z) } }
            }
            p.muted { "Changing it keeps the hours as they read: 09:00 stays 09:00 in the new zone." }
            button type="submit" { "Save time zone" }
        }
    };
    let title = if mine {
        "Availability".to_string()
    } else {
        format!("Availability of {}", p.name)
    };
    layout::respond(
        status,
        layout::page(&title, signed, Section::Availability, body),
    )
}

/// `HH:MM` of an interval's end, `24:00` when it is the next midnight.
fn end_label(end: i64, zone: &str, date: Date) -> String {
    let z = zoned(end, zone);
    if z.date() > date && z.hour() == 0 && z.minute() == 0 {
        "24:00".into()
    } else {
        z.strftime("%H:%M").to_string()
    }
}

fn span_inputs(prefix: &str, i: usize, span: Option<&Span>, label: &str) -> Markup {
    let (start, end) = span.map_or((String::new(), String::new()), |s| {
        let end = if s.end_time == "24:00" {
            "00:00".to_string()
        } else {
            s.end_time.clone()
        };
        (s.start_time.clone(), end)
    });
    html! {
        span.span-inputs {
            input type="time" name={ (prefix) "s" (i) } value=(start) aria-label={ (label) " hours " (i + 1) " from" };
            " – "
            input type="time" name={ (prefix) "e" (i) } value=(end) aria-label={ (label) " hours " (i + 1) " to" };
        }
    }
}

/// The month's days, each a link to change that date (past days are not), dates that differ
/// marked.
fn month_view(
    schedule: &Schedule,
    month: Date,
    today: Date,
    picked: Option<Date>,
    keep: &dyn Fn(Query) -> Query,
) -> Markup {
    let first = month.first_of_month();
    let lead = first.weekday().to_monday_zero_offset() as usize;
    let days = first.days_in_month() as usize;
    let prev = first.checked_sub(1.month()).unwrap_or(first);
    let next = first.checked_add(1.month()).unwrap_or(first);
    let href = |q: Query| keep(q).href("/app/availability");
    let month_q = |m: Date| Query::default().with("month", Some(&m.strftime("%Y-%m").to_string()));
    html! {
        div.month {
            div.row {
                a href={ (href(month_q(prev))) "#dates" } aria-label="Previous month" { "←" }
                strong { (first.strftime("%B %Y")) }
                a href={ (href(month_q(next))) "#dates" } aria-label="Next month" { "→" }
            }
            table.calendar {
                thead { tr { @for d in DAYS { th scope="col" abbr=(d) { (&d[..3]) } } } }
                tbody {
                    @for week in 0..(lead + days).div_ceil(7) {
                        tr {
                            @for col in 0..7 {
                                @let n = week * 7 + col;
                                @if n < lead || n >= lead + days {
                                    td {}
                                } @else {
                                    @let date = first.checked_add(((n - lead) as i64).days()).unwrap_or(first);
                                    @let key = date.to_string();
                                    @let differs = schedule.overrides.iter().find(|o| o.date == key);
                                    td.differs[differs.is_some()].picked[picked == Some(date)] {
                                        @if date < today {
                                            span.muted { (date.day()) }
                                        } @else {
                                            a href={ (href(month_q(first).with("date", Some(&key)))) "#date" }
                                              aria-label={ (date.strftime("%A %-d %B")) @if let Some(o) = differs { @if o.working_hours.is_empty() { ", day off" } @else { ", other hours" } } } {
                                                (date.day())
                                                @if let Some(o) = differs {
                                                    small { @if o.working_hours.is_empty() { " off" } @else { " ✱" } }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn date_form(schedule: &Schedule, date: Date, csrf: &str, user: Option<&str>) -> Markup {
    let key = date.to_string();
    let current = schedule.overrides.iter().find(|o| o.date == key);
    let spans = current.map(|o| o.working_hours.clone()).unwrap_or_else(|| {
        let name = schedule::day_name(date.weekday());
        schedule
            .weekly
            .iter()
            .find(|w| w.day == name)
            .map(|w| w.working_hours.clone())
            .unwrap_or_default()
    });
    let off = current.is_some_and(|o| o.working_hours.is_empty());
    html! {
        form.card #date method="post" action="/app/availability/date" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="date" value=(key);
            @if let Some(u) = user { input type="hidden" name="user" value=(u); }
            h3 { (date.strftime("%A %-d %B %Y")) }
            fieldset {
                legend { "This date" }
                label.check { input type="radio" name="mode" value="off" checked[off]; "Day off: no hours" }
                label.check { input type="radio" name="mode" value="hours" checked[current.is_some() && !off]; "These hours:" }
                div.row {
                    @for i in 0..ROWS { (span_inputs("o", i, spans.get(i), "Date")) }
                }
                label.check { input type="radio" name="mode" value="weekly" checked[current.is_none()]; "The week's hours for " (schedule::day_name(date.weekday())) }
            }
            button.primary type="submit" { "Save this date" }
        }
    }
}

/// The free time of the next `PREVIEW_DAYS` days, by local day.
async fn preview(
    state: &SharedState,
    signed: &Signed,
    p: &Person,
    today: Date,
) -> Result<Vec<(Date, Vec<Interval>)>, Response> {
    let end_date = today.checked_add(PREVIEW_DAYS.days()).unwrap_or(today);
    let window = Interval {
        start: day_start(today, &p.zone).max(state.now()),
        end: day_start(end_date, &p.zone),
    };
    let busy = match bookings::host_and_busy(
        &state.db,
        &signed.session.account_id,
        &p.id,
        window,
        None,
        None,
    )
    .await
    {
        Ok(Some((_, busy, _))) => busy,
        Ok(None) => Vec::new(),
        Err(e) => return Err(internal(e)),
    };
    let zone = jiff::tz::TimeZone::get(&p.zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let free = availability::free_time(
        &Host {
            zone: &zone,
            schedule: &p.schedule,
            busy: &busy,
            booked_starts: &[],
        },
        window,
    );
    let mut days: Vec<(Date, Vec<Interval>)> = (0..PREVIEW_DAYS)
        .filter_map(|i| today.checked_add(i.days()).ok())
        .map(|d| (d, Vec::new()))
        .collect();
    for iv in free {
        // Cut at local midnights so that each day lists its own part.
        let mut start = iv.start;
        while start < iv.end {
            let date = zoned(start, &p.zone).date();
            let next = date
                .tomorrow()
                .map(|d| day_start(d, &p.zone))
                .unwrap_or(iv.end);
            let end = iv.end.min(next);
            if let Some((_, list)) = days.iter_mut().find(|(d, _)| *d == date) {
                list.push(Interval { start, end });
            }
            start = end;
        }
    }
    Ok(days)
}

#[derive(serde::Deserialize)]
pub struct Posted {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

/// The spans of the form's rows `prefix` (`d0`, `o`): both times, or neither.
fn spans_of(
    fields: &std::collections::HashMap<String, String>,
    prefix: &str,
    keep: &[Span],
) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for i in 0..ROWS {
        let get = |k: &str| {
            fields
                .get(&format!("{prefix}{k}{i}"))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let (start, end) = (get("s"), get("e"));
        match (start.is_empty(), end.is_empty()) {
            (true, true) => continue,
            (false, false) => {}
            _ => return Err("Give both a start and an end time, or neither.".into()),
        }
        let end = if end == "00:00" {
            "24:00".to_string()
        } else {
            end
        };
        // Locations set through the API stay with their span.
        let locations = keep
            .get(out.len())
            .map(|s| json!(s.locations))
            .unwrap_or_else(|| json!([]));
        out.push(json!({"start_time": start, "end_time": end, "locations": locations}));
    }
    Ok(out)
}

fn back(user: Option<&UserId>, signed: &Signed, saved: &str, extra: &str) -> Response {
    let mut q = Query::default().with("saved", Some(saved));
    if let Some(u) = user.filter(|u| **u != signed.session.user_id) {
        q = q.with("user", Some(u.as_str()));
    }
    Redirect::to(&format!("{}{extra}", q.href("/app/availability"))).into_response()
}

/// Applies a change the way the API does; the page again with the refusal otherwise.
async fn apply(
    state: &SharedState,
    signed: &Signed,
    p: &Person,
    patch: Result<Value, String>,
    query: Query,
) -> Result<(), Response> {
    let refuse = |why: String| {
        let query = query.clone();
        async move {
            render(
                state,
                signed,
                p,
                &query,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
            )
            .await
        }
    };
    let patch = match patch {
        Ok(v) => v,
        Err(why) => return Err(refuse(why).await),
    };
    let next = match p.schedule.apply_patch(&patch, today(state, &p.zone)) {
        Ok(n) => n,
        Err(invalid) => return Err(refuse(invalid.message).await),
    };
    users::set_schedule(
        &state.db,
        &signed.session.account_id,
        &p.id,
        &next,
        state.now(),
    )
    .await
    .map_err(internal)
}

async fn posted_person(
    state: &SharedState,
    signed: &Signed,
    headers: &HeaderMap,
    f: &Posted,
) -> Result<Person, Response> {
    if let Some(r) = signed.refused_form(state, headers, Some(&f.csrf)) {
        return Err(r);
    }
    let Some(id) = whose(signed, Some(&f.user)) else {
        return Err(not_found());
    };
    load(state, signed, &id).await
}

pub async fn save_hours(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<Posted>,
) -> Response {
    let p = match posted_person(&state, &signed, &headers, &f).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let weekly: Result<Vec<Value>, String> = DAYS
        .iter()
        .enumerate()
        .map(|(d, day)| {
            let keep = p
                .schedule
                .weekly
                .iter()
                .find(|w| w.day == *day)
                .map(|w| w.working_hours.clone())
                .unwrap_or_default();
            spans_of(&f.fields, &format!("d{d}"), &keep)
                .map(|spans| json!({"day": day, "working_hours": spans}))
                .map_err(|e| format!("{day}: {e}"))
        })
        .collect();
    let query = Query::default().with("user", Some(p.id.as_str()));
    match apply(
        &state,
        &signed,
        &p,
        weekly.map(|w| json!({ "weekly": w })),
        query,
    )
    .await
    {
        Ok(()) => back(Some(&p.id), &signed, "hours", "#weekly"),
        Err(r) => r,
    }
}

pub async fn save_date(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<Posted>,
) -> Response {
    let p = match posted_person(&state, &signed, &headers, &f).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let raw = f.fields.get("date").cloned().unwrap_or_default();
    let Some(date) = schedule::parse_date(&raw) else {
        return layout::message(
            StatusCode::BAD_REQUEST,
            "No date",
            "Pick a date on the calendar first.",
        );
    };
    let keep = p
        .schedule
        .overrides
        .iter()
        .find(|o| o.date == raw)
        .map(|o| o.working_hours.clone())
        .unwrap_or_default();
    let hours: Result<Value, String> = match f.fields.get("mode").map(String::as_str) {
        Some("off") => Ok(json!([])),
        Some("weekly") => Ok(Value::Null),
        Some("hours") => spans_of(&f.fields, "o", &keep).and_then(|s| {
            if s.is_empty() {
                Err("Give the hours of this date, or choose a day off.".to_string())
            } else {
                Ok(Value::Array(s))
            }
        }),
        _ => Err(
            "Choose what this date is: a day off, other hours, or the week's hours.".to_string(),
        ),
    };
    let month = date.strftime("%Y-%m").to_string();
    let query = Query::default()
        .with("user", Some(p.id.as_str()))
        .with("month", Some(&month))
        .with("date", Some(&raw));
    let patch = hours.map(|h| json!({"overrides": [{"date": raw, "working_hours": h}]}));
    match apply(&state, &signed, &p, patch, query).await {
        Ok(()) => {
            let mut q = Query::default()
                .with("saved", Some("date"))
                .with("month", Some(&month));
            if p.id != signed.session.user_id {
                q = q.with("user", Some(p.id.as_str()));
            }
            Redirect::to(&format!("{}#dates", q.href("/app/availability"))).into_response()
        }
        Err(r) => r,
    }
}

pub async fn save_zone(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<Posted>,
) -> Response {
    let p = match posted_person(&state, &signed, &headers, &f).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let zone = f.fields.get("timezone").cloned().unwrap_or_default();
    if !slotline_domain::timezone::is_valid(&zone) {
        let query = Query::default().with("user", Some(p.id.as_str()));
        return render(
            &state,
            &signed,
            &p,
            &query,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some("Choose a time zone from the list."),
        )
        .await;
    }
    let patch = users::UserPatch {
        timezone: Some(zone),
        ..users::UserPatch::default()
    };
    match users::update(
        &state.db,
        &signed.session.account_id,
        &p.id,
        patch,
        state.now(),
    )
    .await
    {
        Ok(()) => back(Some(&p.id), &signed, "zone", "#zone"),
        Err(e) => internal(e),
    }
}
