//! The guest's way through a public booking page: pick a day and a time (shown in the guest's
//! time zone), fill the booking form (prefilled from the URL), book. The same for a booking
//! calendar (`/c/…`), a classic booking page (`/p/…`, choosing an event type when it offers
//! several), a master page listing booking pages (`/m/…`) and a one-time link (`/o/…`).
//!
//! Every step is a plain page: links for days and times, a form for the booking, so it works
//! without script; `frame.js` adds the guest's own time zone and talks to an embedding website.
//! The page URL's query is carried from step to step (prefill, source tags, embedding origin);
//! Slotline's own keys start with `sl.`, which no field name can.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::{html, Markup};
use serde_json::{json, Map, Value};
use slotline_domain::{
    availability::Interval,
    prefill::{Prefill, Product},
    settings::{origin_of, Settings},
    time::format_millis,
};

use super::{
    client_events::{self, CalendarInfo},
    guard,
    layout::{self, FrameData},
};
use crate::{
    app::SharedState,
    booking_request,
    error::AppError,
    scheduler::{self, Target},
    store::{
        booking_calendars::{self, BookingCalendar},
        booking_pages::{self, BookingPage},
        event_types::{self, EventType},
        master_pages,
        one_time_links::{self, OneTimeLink},
        page::{Cursor, PageRequest},
        users,
    },
};

const DAY_MS: i64 = 24 * 3_600_000;
/// Days shown at once.
const WEEK: i64 = 7;

// ---------------------------------------------------------------------------------------------
// The query a page carries.

/// The page URL's query, in order. Keys starting with `sl.` are Slotline's own.
#[derive(Clone, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        Query(url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()).into_owned().collect())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    /// This query with `key` set to `value` (or removed when None).
    pub fn with(&self, key: &str, value: Option<&str>) -> Query {
        let mut q: Vec<(String, String)> = self.0.iter().filter(|(k, _)| !k.eq_ignore_ascii_case(key)).cloned().collect();
        if let Some(v) = value {
            q.push((key.to_string(), v.to_string()));
        }
        Query(q)
    }

    pub fn encode(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(self.0.iter()).finish()
    }

    /// `path?query`.
    pub fn href(&self, path: &str) -> String {
        let q = self.encode();
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Where the guest books.

/// What the page books on.
pub enum Place {
    Calendar(BookingCalendar),
    Page(BookingPage, Option<EventType>),
}

/// Everything a step needs: the target, the display zone, the duration, the prefill and where
/// the page is embedded.
pub struct Flow {
    pub account_id: String,
    pub place: Place,
    pub target: Target,
    /// Path of this page (`/c/slug`, `/p/slug`, `/o/id`).
    pub path: String,
    pub query: Query,
    pub prefill: Prefill,
    pub zone: String,
    /// Whether the zone came from the URL (else the page's script may swap in the guest's own).
    pub zone_given: bool,
    pub duration: u32,
    /// The embedding website's origin, when the page is embedded by an allowed site.
    pub origin: Option<String>,
    /// The one-time link booked through.
    pub link: Option<String>,
    /// A prefilled form field is hidden when the page (or the one-time link) says so.
    pub hide_prefilled: bool,
    pub host_label: String,
}

/// Why a page cannot be shown.
pub fn not_found() -> Response {
    layout::message(StatusCode::NOT_FOUND, "Page not found", "This booking page does not exist or is no longer available.")
}

fn internal(e: AppError) -> Response {
    tracing::error!(error = %e, "public page failed");
    layout::message(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again in a moment.")
}

/// The origin the embedding page claims (`sl.origin`), if this page may be embedded there.
fn embed_origin(settings: &Settings, query: &Query) -> Option<String> {
    let claimed = origin_of(query.get("sl.origin")?)?;
    (settings.embed_origins.is_empty() || settings.embed_origins.contains(&claimed)).then_some(claimed)
}

impl Flow {
    /// `prefill` is where the form's values come from: the query itself, or a one-time link's
    /// stored options (which stay out of the page's URLs).
    #[allow(clippy::too_many_arguments)]
    async fn build(
        state: &SharedState,
        account_id: String,
        place: Place,
        path: String,
        query: Query,
        prefill: Option<&Query>,
        link: Option<String>,
        hide: bool,
    ) -> Result<Flow, Response> {
        let (mut target, product, host_id) = match &place {
            Place::Calendar(c) => (Target::calendar(c), Product::BookingCalendar, c.host_id.clone()),
            Place::Page(p, et) => (Target::page(p, et.as_ref()), Product::BookingPage, p.owner_id.clone()),
        };
        let prefill = Prefill::parse(product, &prefill.unwrap_or(&query).0, &target.settings.questions);
        // A team calendar booked with a specific member (`host=<email>`).
        if let (Some(email), true) = (&prefill.host, host_id.starts_with("TM-")) {
            let req = PageRequest { limit: 1, cursor: Cursor::None };
            let found = users::list(&state.db, &account_id, Some(email), &req).await.map_err(internal)?.0;
            if let Some(u) = found.into_iter().find(|u| u.teams.contains(&host_id) && !u.deleted) {
                target.host_id = u.id;
                target.distribution = "single".into();
            }
        }
        // Ad hoc co-hosts (`co_hosts=`): users of the account; unknown emails are ignored.
        for email in &prefill.co_hosts {
            let req = PageRequest { limit: 1, cursor: Cursor::None };
            let found = users::list(&state.db, &account_id, Some(email), &req).await.map_err(internal)?.0;
            if let Some(u) = found.into_iter().find(|u| !u.deleted && u.id != target.host_id && !target.co_hosts.contains(&u.id)) {
                target.co_hosts.push(u.id);
            }
        }
        let host_label = host_name(state, &account_id, &target.host_id).await.map_err(internal)?;
        let page_zone = match &place {
            Place::Page(p, _) => p.timezone.clone(),
            Place::Calendar(_) => "UTC".to_string(),
        };
        let asked_zone = query.get("iana_time_zone").filter(|z| slotline_domain::timezone::is_valid(z)).map(str::to_string);
        let zone = asked_zone.clone().or(prefill.time_zone.clone()).unwrap_or(page_zone);
        let durations = &target.settings.durations;
        let duration = prefill.duration.filter(|d| durations.contains(d)).unwrap_or_else(|| durations.first().copied().unwrap_or(30));
        let origin = embed_origin(&target.settings, &query);
        let hide_prefilled = hide || target.settings.hide_prefilled_questions;
        Ok(Flow {
            account_id,
            place,
            target,
            path,
            query,
            prefill,
            zone,
            zone_given: asked_zone.is_some(),
            duration,
            origin,
            link,
            hide_prefilled,
            host_label,
        })
    }

    fn title(&self) -> String {
        match &self.place {
            Place::Calendar(c) => c.name.clone(),
            Place::Page(p, Some(et)) => format!("{} — {}", et.name, p.label),
            Place::Page(p, None) => p.label.clone(),
        }
    }

    fn frame_ancestors(&self) -> String {
        layout::frame_ancestors(&self.target.settings.embed_origins)
    }

    /// An embed event about this booking calendar (none for classic pages).
    fn calendar_event(&self, state: &SharedState, make: impl FnOnce(&CalendarInfo) -> Value) -> Option<Value> {
        match &self.place {
            Place::Calendar(c) => {
                let url = format!("{}/c/{}", state.base_url, c.slug);
                Some(make(&CalendarInfo {
                    id: &c.id,
                    name: &c.name,
                    subject: &c.subject,
                    host: &c.host_id,
                    url: &url,
                    duration_minutes: self.duration,
                }))
            }
            Place::Page(..) => None,
        }
    }

    /// The scope a form of this page is signed for.
    fn scope(&self) -> String {
        format!("book:{}", self.path)
    }

    fn respond(&self, status: StatusCode, title: &str, body: Markup, data: FrameData) -> Response {
        layout::respond(status, layout::page(title, body, &data), &self.frame_ancestors())
    }

    fn frame_data(&self, events: Vec<Value>) -> FrameData {
        FrameData { origin: self.origin.clone(), events, redirect: None }
    }
}

async fn host_name(state: &SharedState, account_id: &str, host_id: &str) -> crate::error::AppResult<String> {
    if host_id.starts_with("TM-") {
        return Ok(crate::store::teams::get(&state.db, account_id, host_id).await?.map(|t| t.name).unwrap_or_default());
    }
    Ok(users::get(&state.db, account_id, host_id)
        .await?
        .map(|u| format!("{} {}", u.first_name, u.last_name).trim().to_string())
        .unwrap_or_default())
}

// ---------------------------------------------------------------------------------------------
// Time display.

fn zone_of(name: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC)
}

fn zoned(ms: i64, zone: &str) -> jiff::Zoned {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(zone_of(zone))
}

/// `Monday 5 January 2026, 14:30`.
pub fn when(ms: i64, zone: &str) -> String {
    zoned(ms, zone).strftime("%A %-d %B %Y, %H:%M").to_string()
}

/// The first instant of `date` in `zone`.
fn day_start(date: jiff::civil::Date, zone: &str) -> i64 {
    date.to_zoned(zone_of(zone)).map(|z| z.timestamp().as_millisecond()).unwrap_or(0)
}

/// The zones a guest can choose from: every `Area/City` name, and UTC.
fn zone_names() -> &'static [String] {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut v: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_string())
            .filter(|n| {
                n.contains('/')
                    && !n.starts_with("Etc/")
                    && !n.starts_with("SystemV/")
                    && n.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            })
            .collect();
        v.push("UTC".into());
        v.sort();
        v.dedup();
        v
    })
}

/// A GET form that changes the display zone, keeping the rest of the query.
fn zone_picker(query: &Query, path: &str, zone: &str, auto: bool) -> Markup {
    let keep = query.with("iana_time_zone", None);
    html! {
        form.row method="get" action=(path) {
            @for (k, v) in &keep.0 { input type="hidden" name=(k) value=(v); }
            label.muted for="tz" style="font-weight:400;margin:0" { "Time zone" }
            select.tz #tz name="iana_time_zone" data-submit-on-change="1" data-auto-tz[auto] {
                @for z in zone_names() { option value=(z) selected[z == zone] { (z) } }
            }
            noscript { button type="submit" { "Show" } }
        }
    }
}

/// Days from `from` with the start times offered on each, in the guest's zone.
async fn week(
    state: &SharedState,
    flow: &Flow,
    target: &Target,
    from: jiff::civil::Date,
) -> Result<Vec<(jiff::civil::Date, Vec<i64>)>, AppError> {
    let start = day_start(from, &flow.zone);
    let end = day_start(from.checked_add(jiff::Span::new().days(WEEK)).unwrap_or(from), &flow.zone);
    let now = state.now();
    let window = Interval { start: start.max(now), end: end.max(now + 1) };
    let starts = scheduler::time_slots(&state.db, &flow.account_id, target, flow.duration, window, now).await?;
    let mut days: Vec<(jiff::civil::Date, Vec<i64>)> =
        (0..WEEK).filter_map(|i| from.checked_add(jiff::Span::new().days(i)).ok()).map(|d| (d, Vec::new())).collect();
    for s in starts {
        let d = zoned(s, &flow.zone).date();
        if let Some((_, list)) = days.iter_mut().find(|(day, _)| *day == d) {
            list.push(s);
        }
    }
    Ok(days)
}

/// The first offered start within a month after `after`, to point a guest at an empty week.
async fn next_free(state: &SharedState, flow: &Flow, target: &Target, after: i64) -> Result<Option<i64>, AppError> {
    let now = state.now();
    let window = Interval { start: after.max(now), end: after.max(now) + 30 * DAY_MS };
    Ok(scheduler::time_slots(&state.db, &flow.account_id, target, flow.duration, window, now).await?.first().copied())
}

/// The week of days and times; `href` makes each time's link.
pub fn week_view(days: &[(jiff::civil::Date, Vec<i64>)], zone: &str, href: impl Fn(i64) -> String) -> Markup {
    html! {
        div.days {
            @for (day, starts) in days {
                section.day aria-label=(day.strftime("%A %-d %B").to_string()) {
                    h3 { (day.strftime("%a %-d %b").to_string()) }
                    @if starts.is_empty() { p.muted { "No times" } }
                    @else {
                        div.slots {
                            @for s in starts {
                                a.slot href=(href(*s)) { (zoned(*s, zone).strftime("%H:%M").to_string()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn parse_day(raw: Option<&str>) -> Option<jiff::civil::Date> {
    raw.and_then(|d| d.parse::<jiff::civil::Date>().ok())
}

// ---------------------------------------------------------------------------------------------
// Steps.

/// Step one: the week of free times.
async fn times_step(state: &SharedState, flow: &Flow) -> Response {
    let today = zoned(state.now(), &flow.zone).date();
    let from = parse_day(flow.query.get("sl.from")).filter(|d| *d >= today).unwrap_or(today);
    let days = match week(state, flow, &flow.target, from).await {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let empty = days.iter().all(|(_, s)| s.is_empty());
    let week_end = day_start(from.checked_add(jiff::Span::new().days(WEEK)).unwrap_or(from), &flow.zone);
    let next = if empty { next_free(state, flow, &flow.target, week_end).await.unwrap_or(None) } else { None };
    let prev_day = from.checked_sub(jiff::Span::new().days(WEEK)).ok().map(|d| d.max(today));
    let next_day = from.checked_add(jiff::Span::new().days(WEEK)).ok();
    let durations = &flow.target.settings.durations;
    let body = html! {
        (header(flow))
        @if durations.len() > 1 && flow.prefill.duration.is_none() {
            nav.row aria-label="Duration" {
                @for d in durations {
                    @let q = flow.query.with("duration_minutes", Some(&d.to_string())).with("sl.d", None);
                    @if *d == flow.duration { span.button.primary aria-current="true" { (d) " min" } }
                    @else { a.button href=(q.href(&flow.path)) { (d) " min" } }
                }
            }
        }
        (zone_picker(&flow.query, &flow.path, &flow.zone, !flow.zone_given))
        h2 { "Pick a time" }
        nav.pager {
            @if from > today { a href=(flow.query.with("sl.from", prev_day.map(|d| d.to_string()).as_deref()).href(&flow.path)) { "← Earlier" } } @else { span {} }
            @if let Some(n) = next_day { a href=(flow.query.with("sl.from", Some(&n.to_string())).href(&flow.path)) { "Later →" } }
        }
        @if empty {
            div.card {
                p { "No free times this week." }
                @if let Some(n) = next {
                    @let d = zoned(n, &flow.zone).date();
                    a.button href=(flow.query.with("sl.from", Some(&d.to_string())).href(&flow.path)) { "Next free time: " (when(n, &flow.zone)) }
                }
            }
        } @else {
            (week_view(&days, &flow.zone, |s| flow.query.with("sl.slot", Some(&s.to_string())).href(&flow.path)))
        }
    };
    // `loaded` once per visit: the first page, not each week browsed.
    let first_view = flow.query.get("sl.from").is_none();
    let events: Vec<Value> = flow.calendar_event(state, client_events::loaded).filter(|_| first_view).into_iter().collect();
    flow.respond(StatusCode::OK, &flow.title(), body, flow.frame_data(events))
}

fn header(flow: &Flow) -> Markup {
    html! {
        header {
            h1 { (flow.title()) }
            p.muted {
                @if !flow.host_label.is_empty() { "With " (flow.host_label) " · " }
                (flow.duration) " minutes"
                @if flow.target.settings.approval_required { " · bookings are confirmed by the host" }
            }
        }
    }
}

/// A form value the guest gave (after a refused post) or the URL prefilled.
fn value_of<'a>(flow: &'a Flow, given: Option<&'a Query>, key: &str) -> Option<&'a str> {
    match given {
        Some(q) => q.get(key),
        None => flow.prefill.fields.get(key).map(String::as_str),
    }
}

struct Field<'a> {
    key: &'a str,
    label: &'a str,
    required: bool,
    kind: &'a str,
    options: &'a [String],
}

/// The booking form's fields: name and email always, then the standard fields and questions
/// the page asks.
fn fields(settings: &Settings) -> Vec<Field<'_>> {
    let mut out = vec![
        Field { key: "name", label: "Name", required: true, kind: "text", options: &[] },
        Field { key: "email", label: "Email", required: true, kind: "email", options: &[] },
    ];
    for (name, required) in &settings.standard_fields {
        let (label, kind) = match name.as_str() {
            "phone" => ("Phone (with country code, e.g. +15551234567)", "tel"),
            "company" => ("Company", "text"),
            "note" => ("Note", "multi_line"),
            _ => ("Guests (emails, separated by commas)", "text"),
        };
        out.push(Field { key: name, label, required: *required, kind, options: &[] });
    }
    for q in &settings.questions {
        out.push(Field { key: &q.name, label: &q.label, required: q.required, kind: &q.kind, options: &q.options });
    }
    out
}

fn field_markup(f: &Field, value: Option<&str>, all: Vec<&str>) -> Markup {
    let id = format!("f-{}", f.key);
    html! {
        @if f.kind == "multi_select" {
            fieldset.card {
                legend { (f.label) @if f.required { " " span.req aria-hidden="true" { "*" } } }
                @for o in f.options {
                    label.check { input type="checkbox" name=(f.key) value=(o) checked[all.contains(&o.as_str())]; (o) }
                }
            }
        } @else {
            label for=(id) { (f.label) @if f.required { " " span.req aria-hidden="true" { "*" } } }
            @match f.kind {
                "multi_line" => textarea #(id) name=(f.key) required[f.required] maxlength="5000" { (value.unwrap_or("")) },
                "single_select" => select #(id) name=(f.key) required[f.required] {
                    option value="" { "Choose…" }
                    @for o in f.options { option value=(o) selected[value == Some(o.as_str())] { (o) } }
                },
                kind => input #(id) type=(if kind == "text" { "text" } else { kind }) name=(f.key) value=(value.unwrap_or("")) required[f.required] maxlength="1000"
                    autocomplete=(match f.key { "name" => "name", "email" => "email", "phone" => "tel", "company" => "organization", _ => "off" });,
            }
        }
    }
}

/// Hidden inputs carrying the page's state into its post.
fn carried(flow: &Flow, slot: i64, token: &str) -> Markup {
    html! {
        input type="hidden" name="sl.q" value=(flow.query.with("sl.slot", None).encode());
        input type="hidden" name="sl.slot" value=(slot);
        input type="hidden" name="sl.csrf" value=(token);
    }
}

/// The locations a guest chooses from, when the page offers more than one or one they fill in.
fn location_markup(settings: &Settings, given: Option<&Query>) -> Markup {
    let locs = &settings.locations;
    let must_choose = locs.len() > 1 || locs.iter().any(|l| matches!(l.kind.as_str(), "guest_phone" | "in_person_by_guest"));
    let chosen = given.and_then(|q| q.get("sl.location")).unwrap_or("0");
    html! {
        @if must_choose {
            fieldset.card {
                legend { "Where" }
                @for (i, l) in locs.iter().enumerate() {
                    label.check {
                        input type="radio" name="sl.location" value=(i) checked[chosen == i.to_string()] required;
                        (location_label(l))
                    }
                }
                @if locs.iter().any(|l| matches!(l.kind.as_str(), "guest_phone" | "in_person_by_guest")) {
                    label for="f-where" { "Your phone number or address, if asked" }
                    input #f-where type="text" name="sl.location_value" maxlength="300" value=(given.and_then(|q| q.get("sl.location_value")).unwrap_or(""));
                }
            }
        } @else if let Some(l) = locs.first() {
            p.muted { "Where: " (location_label(l)) }
        }
    }
}

pub fn location_label(l: &slotline_domain::settings::Location) -> String {
    match l.kind.as_str() {
        "physical" => format!("In person: {}", l.value.as_deref().unwrap_or("")),
        "in_person_by_guest" => "In person, at an address you give".into(),
        "guest_phone" => "Phone call: the host calls you".into(),
        "virtual_static" => "Online meeting (link in the confirmation)".into(),
        _ => format!("Online meeting ({})", l.value.as_deref().unwrap_or("video")),
    }
}

/// Step two: the chosen time, and the form (or, when the URL prefilled everything and says
/// `skip=1`, only a button that books).
async fn form_step(state: &SharedState, flow: &Flow, slot: i64, given: Option<&Query>, error: Option<(StatusCode, String)>) -> Response {
    let offered = match still_offered(state, flow, slot).await {
        Ok(o) => o,
        Err(e) => return internal(e),
    };
    if !offered && error.is_none() {
        let body = html! {
            (header(flow))
            div.card.error role="alert" { p { "That time is no longer available." } }
            a.button href=(flow.query.with("sl.slot", None).href(&flow.path)) { "Choose another time" }
        };
        return flow.respond(StatusCode::CONFLICT, &flow.title(), body, flow.frame_data(vec![]));
    }
    let token = match guard::token(state, &flow.scope()).await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let settings = &flow.target.settings;
    let required: Vec<&str> =
        fields(settings).iter().filter(|f| f.required && f.key != "name" && f.key != "email").map(|f| f.key).collect();
    let skip = given.is_none() && flow.prefill.can_skip(required.iter().copied()) && settings.locations.len() <= 1;
    let (status, message) = error.unzip();
    let body = html! {
        (header(flow))
        div.card {
            p { strong { (when(slot, &flow.zone)) } " " span.muted { "(" (flow.zone) ")" } }
            a href=(flow.query.with("sl.slot", None).href(&flow.path)) { "Change the time" }
        }
        @if let Some(m) = &message { div.card.error role="alert" { p { (m) } } }
        form method="post" action=(flow.path) {
            (carried(flow, slot, &token))
            @if skip {
                @for (k, v) in &flow.prefill.fields { input type="hidden" name=(k) value=(v); }
                p { "Booking for " strong { (flow.prefill.fields.get("name").map(String::as_str).unwrap_or("")) } " (" (flow.prefill.fields.get("email").map(String::as_str).unwrap_or("")) ")" }
            } @else {
                h2 { "Your details" }
                @for f in fields(settings) {
                    @let value = value_of(flow, given, f.key);
                    @let all: Vec<&str> = match given { Some(q) => q.0.iter().filter(|(k, _)| k == f.key).map(|(_, v)| v.as_str()).collect(), None => value.map(|v| v.split(',').collect()).unwrap_or_default() };
                    @if flow.hide_prefilled && given.is_none() && value.is_some() && f.kind != "multi_select" {
                        input type="hidden" name=(f.key) value=(value.unwrap_or(""));
                    } @else {
                        (field_markup(&f, value, all))
                    }
                }
                @if let Some(m) = value_of(flow, given, "mobile_phone") { input type="hidden" name="mobile_phone" value=(m); }
                (location_markup(settings, given))
            }
            p { button.primary type="submit" { @if settings.approval_required { "Request this time" } @else { "Book" } } }
        }
    };
    let selected = flow.calendar_event(state, |c| client_events::time_slot_selected(c, slot, &flow.zone));
    let events: Vec<Value> = selected.filter(|_| given.is_none()).into_iter().collect();
    flow.respond(status.unwrap_or(StatusCode::OK), &flow.title(), body, flow.frame_data(events))
}

async fn still_offered(state: &SharedState, flow: &Flow, slot: i64) -> Result<bool, AppError> {
    let now = state.now();
    let window = Interval { start: slot, end: slot + 1 };
    Ok(scheduler::time_slots(&state.db, &flow.account_id, &flow.target, flow.duration, window, now).await?.contains(&slot))
}

/// GET of any booking page: the times, or the form for a chosen time.
async fn show(state: &SharedState, flow: Flow) -> Response {
    if let Some(closed) = closed(&flow) {
        return closed;
    }
    match flow.query.get("sl.slot").and_then(|s| s.parse::<i64>().ok()) {
        Some(slot) => form_step(state, &flow, slot, None, None).await,
        None => times_step(state, &flow).await,
    }
}

fn closed(flow: &Flow) -> Option<Response> {
    let open = match &flow.place {
        Place::Calendar(c) => c.published,
        Place::Page(p, _) => p.active,
    };
    (!open).then(|| layout::message(StatusCode::NOT_FOUND, "Not available", "This booking page is not taking bookings right now."))
}

// ---------------------------------------------------------------------------------------------
// Booking.

/// The booking form as the schedule operation takes it: `booking_form`, the location.
fn form_input(settings: &Settings, posted: &Query) -> (Map<String, Value>, Option<Value>) {
    let mut form = Map::new();
    for key in ["name", "email", "phone", "mobile_phone", "company", "note"] {
        if let Some(v) = posted.get(key).map(str::trim).filter(|v| !v.is_empty()) {
            form.insert(key.into(), json!(v));
        }
    }
    if let Some(g) = posted.get("guests").filter(|g| !g.trim().is_empty()) {
        let list: Vec<&str> = g.split([',', ';', '\n']).map(str::trim).filter(|s| !s.is_empty()).collect();
        form.insert("guests".into(), json!(list));
    }
    for q in &settings.questions {
        let values: Vec<&str> = posted.0.iter().filter(|(k, _)| *k == q.name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty()).collect();
        match (q.kind.as_str(), values.first()) {
            ("multi_select", Some(_)) => {
                form.insert(q.name.clone(), json!(values));
            }
            (_, Some(v)) => {
                form.insert(q.name.clone(), json!(v));
            }
            _ => {}
        }
    }
    let location = posted.get("sl.location").and_then(|i| i.parse::<usize>().ok()).and_then(|i| settings.locations.get(i)).map(|l| {
        let value = match l.kind.as_str() {
            "guest_phone" | "in_person_by_guest" => posted.get("sl.location_value").map(|v| json!(v.trim())),
            "physical" => l.id.as_ref().map(|v| json!(v)),
            _ => l.value.as_ref().map(|v| json!(v)),
        };
        json!({"type": l.kind, "value": value})
    });
    (form, location)
}

/// The message a refused booking shows, and its status.
fn refusal_text(e: &AppError) -> Option<(StatusCode, String)> {
    match e {
        AppError::NotAvailable => Some((StatusCode::CONFLICT, "Sorry, that time was just taken. Please choose another time.".into())),
        AppError::Invalid(i) => Some((StatusCode::UNPROCESSABLE_ENTITY, friendly(&i.message))),
        AppError::Conflict { message, .. } => Some((StatusCode::CONFLICT, message.clone())),
        _ => None,
    }
}

fn friendly(message: &str) -> String {
    if message == "Required fields are missing." {
        "Please fill in every required field.".into()
    } else {
        message.to_string()
    }
}

/// POST of any booking page: checks, books, and sends the guest on.
async fn book(state: &SharedState, headers: &HeaderMap, client: IpAddr, flow: Flow, posted: Query) -> Response {
    if let Some(closed) = closed(&flow) {
        return closed;
    }
    let Some(slot) = posted.get("sl.slot").and_then(|s| s.parse::<i64>().ok()) else {
        return layout::message(StatusCode::BAD_REQUEST, "Something is missing", "Please choose a time first.");
    };
    match guard::check(state, headers, client, &flow.scope(), posted.get("sl.csrf").unwrap_or("")).await {
        Ok(None) => {}
        Ok(Some(r)) => return flow.respond(r.status(), "Not sent", html! { h1 { "Not sent" } p { (r.message()) } }, FrameData::default()),
        Err(e) => return internal(e),
    }
    let (form, location) = form_input(&flow.target.settings, &posted);
    let input = booking_request::Input {
        start_time: format_millis(slot),
        guest_time_zone: flow.zone.clone(),
        form,
        location,
        duration: Some(flow.duration),
        utm_params: flow.prefill.utm_params(),
    };
    let result = match booking_request::parse(&flow.target.settings, input) {
        Ok(mut request) => {
            request.one_time_link = flow.link.clone();
            scheduler::book(&state.db, &state.base_url, &flow.account_id, &flow.target, request, state.now()).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(b) => {
            let confirmation =
                Query::default().with("sl.new", Some("1")).with("sl.origin", flow.origin.as_deref()).href(&format!("/b/{}", b.token));
            // Not embedded: the browser goes straight to the site's own confirmation page.
            match (&flow.origin, redirect_url(&flow, &b)) {
                (None, Some(url)) if b.status == slotline_domain::lifecycle::Status::Scheduled => Redirect::to(&url).into_response(),
                _ => Redirect::to(&confirmation).into_response(),
            }
        }
        Err(e) => match refusal_text(&e) {
            Some(refused) => form_step(state, &flow, slot, Some(&posted), Some(refused)).await,
            None => internal(e),
        },
    }
}

/// Where a scheduled booking sends the guest, with the booking data when the page says so.
pub fn redirect_url(flow: &Flow, b: &crate::store::bookings::Booking) -> Option<String> {
    redirect_for(&flow.place, b)
}

/// [`redirect_url`] for the place a booking was made on.
pub fn redirect_for(place: &Place, b: &crate::store::bookings::Booking) -> Option<String> {
    let settings = match place {
        Place::Calendar(c) => &c.settings,
        Place::Page(p, _) => &p.settings,
    };
    let r = settings.redirect.as_ref()?;
    let mut params = Vec::new();
    if r.send_booking_data {
        params = match place {
            Place::Calendar(_) => client_events::calendar_redirect_params(b),
            Place::Page(p, _) => client_events::classic_redirect_params(
                b,
                &client_events::ClassicPage { slug: &p.slug, zone: &p.timezone, questions: &p.settings.questions },
            ),
        };
    }
    if r.pass_utm {
        params.extend(client_events::utm_redirect_params(b));
    }
    Some(client_events::with_params(&r.url, &params))
}

// ---------------------------------------------------------------------------------------------
// Entry points.

async fn calendar_flow(state: &SharedState, key: &str, query: Query) -> Result<Flow, Response> {
    let (account_id, cal) = booking_calendars::public(&state.db, key).await.map_err(internal)?.ok_or_else(not_found)?;
    let path = format!("/c/{}", cal.slug);
    Flow::build(state, account_id, Place::Calendar(cal), path, query, None, None, false).await
}

/// The event type a classic page books: the one asked for (`sl.event_type`), or its only one.
async fn page_flow(state: &SharedState, key: &str, query: Query) -> Result<Result<Flow, (String, BookingPage, Vec<EventType>)>, Response> {
    let (account_id, page) = booking_pages::public(&state.db, key).await.map_err(internal)?.ok_or_else(not_found)?;
    let mut offered = Vec::new();
    for id in &page.event_type_ids {
        if let Some(et) = event_types::get(&state.db, &account_id, id).await.map_err(internal)? {
            offered.push(et);
        }
    }
    let asked = query.get("sl.event_type");
    let chosen = match (asked, offered.len()) {
        (Some(id), _) => offered.iter().find(|e| e.id == id).cloned(),
        (None, 1) => offered.first().cloned(),
        (None, 0) => None,
        (None, _) => return Ok(Err((account_id, page, offered))),
    };
    if asked.is_some() && chosen.is_none() {
        return Err(not_found());
    }
    let path = format!("/p/{}", page.slug);
    Ok(Ok(Flow::build(state, account_id, Place::Page(page, chosen), path, query, None, None, false).await?))
}

fn choose_event_type(page: &BookingPage, offered: &[EventType], query: &Query) -> Response {
    let path = format!("/p/{}", page.slug);
    let body = html! {
        h1 { (page.label) }
        p.muted { "Choose what to book." }
        @for et in offered {
            a.card style="display:block;text-decoration:none" href=(query.with("sl.event_type", Some(&et.id)).href(&path)) {
                strong { (et.name) }
                @if !et.description.is_empty() { p.muted { (et.description) } }
            }
        }
    };
    let origin = embed_origin(&page.settings, query);
    layout::respond(
        StatusCode::OK,
        layout::page(&page.label, body, &FrameData { origin, ..Default::default() }),
        &layout::frame_ancestors(&page.settings.embed_origins),
    )
}

pub async fn calendar_page(State(state): State<SharedState>, Path(key): Path<String>, RawQuery(q): RawQuery) -> Response {
    match calendar_flow(&state, &key, Query::parse(q.as_deref())).await {
        Ok(flow) => show(&state, flow).await,
        Err(r) => r,
    }
}

pub async fn calendar_post(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(key): Path<String>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let posted = Query(posted);
    match calendar_flow(&state, &key, Query::parse(posted.get("sl.q"))).await {
        Ok(flow) => book(&state, &headers, addr.ip(), flow, posted).await,
        Err(r) => r,
    }
}

pub async fn booking_page(State(state): State<SharedState>, Path(key): Path<String>, RawQuery(q): RawQuery) -> Response {
    let query = Query::parse(q.as_deref());
    match page_flow(&state, &key, query.clone()).await {
        Ok(Ok(flow)) => show(&state, flow).await,
        Ok(Err((_, page, offered))) => {
            if !page.active {
                return layout::message(StatusCode::NOT_FOUND, "Not available", "This booking page is not taking bookings right now.");
            }
            choose_event_type(&page, &offered, &query)
        }
        Err(r) => r,
    }
}

pub async fn booking_page_post(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(key): Path<String>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let posted = Query(posted);
    match page_flow(&state, &key, Query::parse(posted.get("sl.q"))).await {
        Ok(Ok(flow)) => book(&state, &headers, addr.ip(), flow, posted).await,
        Ok(Err(_)) => layout::message(StatusCode::BAD_REQUEST, "Something is missing", "Please choose what to book first."),
        Err(r) => r,
    }
}

/// A master page: its booking pages, each a link that keeps the query (prefill, tags, embed).
pub async fn master_page(State(state): State<SharedState>, Path(key): Path<String>, RawQuery(q): RawQuery) -> Response {
    let query = Query::parse(q.as_deref());
    let (account_id, master) = match master_pages::public(&state.db, &key).await {
        Ok(Some(m)) if m.1.active => m,
        Ok(_) => return not_found(),
        Err(e) => return internal(e),
    };
    let pages = match booking_pages::of_master(&state.db, &account_id, &master.id).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    master_listing(&master.label, &pages, &query, |p| query.href(&format!("/p/{}", p.slug)))
}

fn master_listing(label: &str, pages: &[BookingPage], query: &Query, href: impl Fn(&BookingPage) -> String) -> Response {
    let body = html! {
        h1 { (label) }
        p.muted { "Choose whom to meet." }
        @if pages.is_empty() { p { "No booking pages are open right now." } }
        @for p in pages {
            a.card style="display:block;text-decoration:none" href=(href(p)) { strong { (p.label) } }
        }
    };
    // A master page may be embedded wherever all of its pages may.
    let origin = origin_of(query.get("sl.origin").unwrap_or(""))
        .filter(|o| pages.iter().all(|p| p.settings.embed_origins.is_empty() || p.settings.embed_origins.contains(o)));
    let mut allowed: Vec<String> = Vec::new();
    for p in pages {
        allowed.extend(p.settings.embed_origins.iter().cloned());
    }
    let ancestors =
        if pages.iter().any(|p| p.settings.embed_origins.is_empty()) { "*".to_string() } else { layout::frame_ancestors(&allowed) };
    layout::respond(StatusCode::OK, layout::page(label, body, &FrameData { origin, ..Default::default() }), &ancestors)
}

/// A one-time link's stored options as the query a page URL would have carried.
fn link_query(link: &OneTimeLink, query: &Query) -> Query {
    let mut q = Query::default();
    let o = &link.options;
    if let Some(form) = o.get("booking_form").and_then(Value::as_object) {
        for (k, v) in form {
            let text = match v {
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
                Value::String(s) => s.clone(),
                _ => continue,
            };
            q.0.push((k.clone(), text));
        }
    }
    if let Some(utm) = o.get("utm_params").and_then(Value::as_object) {
        for (k, v) in utm {
            if let Some(v) = v.as_str() {
                q.0.push((format!("utm_{k}"), v.to_string()));
            }
        }
    }
    if let Some(s) = o.get("booking_settings").and_then(Value::as_object) {
        for k in ["host", "co_hosts"] {
            if let Some(v) = s.get(k).and_then(Value::as_str) {
                q.0.push((k.to_string(), v.to_string()));
            }
        }
        if let Some(d) = s.get("duration_minutes").and_then(Value::as_u64) {
            q.0.push(("duration_minutes".into(), d.to_string()));
        }
        let skips = s.get("skip").and_then(Value::as_array).is_some_and(|a| a.iter().any(|x| x == "contact_info"));
        if skips {
            q.0.push(("skip".into(), "1".into()));
        }
    }
    // The page's own state (time, zone, embedding) comes from the URL.
    for (k, v) in &query.0 {
        if k.starts_with("sl.") || k == "iana_time_zone" {
            q.0.push((k.clone(), v.clone()));
        }
    }
    q
}

/// The flow behind a one-time link, or why it cannot be used.
async fn link_flow(state: &SharedState, id: &str, query: Query) -> Result<Result<Flow, Response>, Response> {
    let (account_id, link) = one_time_links::public(&state.db, id, state.now()).await.map_err(internal)?.ok_or_else(not_found)?;
    if link.used_time.is_some() {
        return Err(layout::message(StatusCode::GONE, "Link already used", "This one-time link has already been used to book a meeting."));
    }
    let hide = link.options.get("hide_url_params").and_then(Value::as_bool).unwrap_or(true);
    let carried = link_query(&link, &query);
    // The link's URL stays bare: only the page's own state travels in it.
    let own = Query(query.0.iter().filter(|(k, _)| k.starts_with("sl.") || k == "iana_time_zone").cloned().collect());
    let path = format!("/o/{}", link.id);
    match link.target_kind.as_str() {
        "booking_calendar" => {
            let cal = booking_calendars::get(&state.db, &account_id, &link.target_id)
                .await
                .map_err(internal)?
                .filter(|c| !c.deleted)
                .ok_or_else(not_found)?;
            Ok(Ok(Flow::build(state, account_id, Place::Calendar(cal), path, own, Some(&carried), Some(link.id.clone()), hide).await?))
        }
        _ => {
            // A master page's link: first choose a booking page, then book on it.
            let master = master_pages::get(&state.db, &account_id, &link.target_id)
                .await
                .map_err(internal)?
                .filter(|m| !m.deleted)
                .ok_or_else(not_found)?;
            let pages = booking_pages::of_master(&state.db, &account_id, &master.id).await.map_err(internal)?;
            let Some(page) = query.get("sl.page").and_then(|id| pages.iter().find(|p| p.id == id)).cloned() else {
                return Ok(Err(master_listing(&master.label, &pages, &query, |p| query.with("sl.page", Some(&p.id)).href(&path))));
            };
            let chosen = match page.event_type_ids.first() {
                Some(et) => event_types::get(&state.db, &account_id, et).await.map_err(internal)?,
                None => None,
            };
            Ok(Ok(Flow::build(state, account_id, Place::Page(page, chosen), path, own, Some(&carried), Some(link.id.clone()), hide).await?))
        }
    }
}

pub async fn link_page(State(state): State<SharedState>, Path(id): Path<String>, RawQuery(q): RawQuery) -> Response {
    match link_flow(&state, &id, Query::parse(q.as_deref())).await {
        Ok(Ok(flow)) => show(&state, flow).await,
        Ok(Err(listing)) => listing,
        Err(r) => r,
    }
}

pub async fn link_post(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let posted = Query(posted);
    match link_flow(&state, &id, Query::parse(posted.get("sl.q"))).await {
        Ok(Ok(flow)) => book(&state, &headers, addr.ip(), flow, posted).await,
        Ok(Err(_)) => layout::message(StatusCode::BAD_REQUEST, "Something is missing", "Please choose a booking page first."),
        Err(r) => r,
    }
}
