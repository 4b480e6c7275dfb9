//! The guest's way through a public booking page: pick a day and a time (shown in the guest's
//! time zone), fill the booking form (prefilled from the URL), book. The same for a booking
//! calendar (`/c/…`), a classic booking page (`/p/…`, choosing an event type when it offers
//! several), a master page listing booking pages (`/m/…`) and a one-time link (`/o/…`).
//!
//! Every step is a plain page: links for days and times, a form for the booking, so it works
//! without script; `frame.js` adds the guest's own time zone and talks to an embedding website.

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
    settings::{origin_of, Settings},
    time::format_millis,
};

use super::{
    client_events,
    flow::{self, internal, Flow, Place},
    guard,
    query::Query,
    times::{day_start, free_week, parse_day, week_view, when, zone_picker, zoned, WEEK},
};
use crate::{
    http::error::AppError,
    http::layout::{self, FrameData},
    services::booking_request,
    services::scheduler::{self, Target},
    state::SharedState,
    store::{
        booking_pages::{self, BookingPage},
        event_types::EventType,
        master_pages,
    },
};

const DAY_MS: i64 = 24 * 3_600_000;

/// The first offered start within a month after `after`, to point a guest at an empty week.
async fn next_free(
    state: &SharedState,
    flow: &Flow,
    target: &Target,
    after: i64,
) -> Result<Option<i64>, AppError> {
    let now = state.now();
    let window = Interval {
        start: after.max(now),
        end: after.max(now) + 30 * DAY_MS,
    };
    Ok(scheduler::time_slots(
        &state.db,
        &flow.account_id,
        target,
        flow.duration,
        window,
        now,
    )
    .await?
    .first()
    .copied())
}

// ---------------------------------------------------------------------------------------------
// Steps.

/// Step one: the week of free times.
async fn times_step(state: &SharedState, flow: &Flow) -> Response {
    let today = zoned(state.now(), &flow.zone).date();
    let from = parse_day(flow.query.get("sl.from"))
        .filter(|d| *d >= today)
        .unwrap_or(today);
    let days = match free_week(
        state,
        &flow.account_id,
        &flow.target,
        flow.duration,
        &flow.zone,
        from,
        None,
    )
    .await
    {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let empty = days.iter().all(|(_, s)| s.is_empty());
    let week_end = day_start(
        from.checked_add(jiff::Span::new().days(WEEK))
            .unwrap_or(from),
        &flow.zone,
    );
    let next = if empty {
        next_free(state, flow, &flow.target, week_end)
            .await
            .unwrap_or(None)
    } else {
        None
    };
    let prev_day = from
        .checked_sub(jiff::Span::new().days(WEEK))
        .ok()
        .map(|d| d.max(today));
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
    let events: Vec<Value> = flow
        .calendar_event(state, client_events::loaded)
        .filter(|_| first_view)
        .into_iter()
        .collect();
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
        Field {
            key: "name",
            label: "Name",
            required: true,
            kind: "text",
            options: &[],
        },
        Field {
            key: "email",
            label: "Email",
            required: true,
            kind: "email",
            options: &[],
        },
    ];
    for (name, required) in &settings.standard_fields {
        let (label, kind) = match name.as_str() {
            "phone" => ("Phone (with country code, e.g. +15551234567)", "tel"),
            "company" => ("Company", "text"),
            "note" => ("Note", "multi_line"),
            _ => ("Guests (emails, separated by commas)", "text"),
        };
        out.push(Field {
            key: name,
            label,
            required: *required,
            kind,
            options: &[],
        });
    }
    for q in &settings.questions {
        out.push(Field {
            key: &q.name,
            label: &q.label,
            required: q.required,
            kind: &q.kind,
            options: &q.options,
        });
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
/// `prefilled` (a classic page's `location`) fills in the guest's address or number and picks
/// the first location that asks for one.
fn location_markup(settings: &Settings, given: Option<&Query>, prefilled: Option<&str>) -> Markup {
    let locs = &settings.locations;
    let asks = |l: &slotline_domain::settings::Location| {
        matches!(l.kind.as_str(), "guest_phone" | "in_person_by_guest")
    };
    let must_choose = locs.len() > 1 || locs.iter().any(asks);
    let default_choice = prefilled
        .and_then(|_| locs.iter().position(asks))
        .unwrap_or(0)
        .to_string();
    let chosen = given
        .and_then(|q| q.get("sl.location"))
        .unwrap_or(&default_choice);
    let where_value = given
        .map_or(prefilled, |q| q.get("sl.location_value"))
        .unwrap_or("");
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
                    input #f-where type="text" name="sl.location_value" value=(where_value) maxlength="300";
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
async fn form_step(
    state: &SharedState,
    flow: &Flow,
    slot: i64,
    given: Option<&Query>,
    error: Option<(StatusCode, String)>,
) -> Response {
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
        return flow.respond(
            StatusCode::CONFLICT,
            &flow.title(),
            body,
            flow.frame_data(vec![]),
        );
    }
    let token = match guard::token(state, &flow.scope()).await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let settings = &flow.target.settings;
    let required: Vec<&str> = fields(settings)
        .iter()
        .filter(|f| f.required && f.key != "name" && f.key != "email")
        .map(|f| f.key)
        .collect();
    let skip = given.is_none()
        && flow.prefill.can_skip(required.iter().copied())
        && settings.locations.len() <= 1;
    let (status, message) = error.unzip();
    // A classic page's `subject` parameter: shown (or carried) for the guest to keep or change.
    let subject = given.map_or(flow.prefill.subject.as_deref(), |q| q.get("sl.subject"));
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
                @if let Some(s) = subject { input type="hidden" name="sl.subject" value=(s); }
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
                @if let Some(s) = subject {
                    @if flow.hide_prefilled && given.is_none() {
                        input type="hidden" name="sl.subject" value=(s);
                    } @else {
                        label for="f-subject" { "Subject" }
                        input #f-subject type="text" name="sl.subject" value=(s) maxlength=(booking_request::MAX_SUBJECT);
                    }
                }
                (location_markup(settings, given, flow.prefill.location.as_deref()))
            }
            p { button.primary type="submit" { @if settings.approval_required { "Request this time" } @else { "Book" } } }
        }
    };
    let selected = flow.calendar_event(state, |c| {
        client_events::time_slot_selected(c, slot, &flow.zone)
    });
    let events: Vec<Value> = selected.filter(|_| given.is_none()).into_iter().collect();
    flow.respond(
        status.unwrap_or(StatusCode::OK),
        &flow.title(),
        body,
        flow.frame_data(events),
    )
}

async fn still_offered(state: &SharedState, flow: &Flow, slot: i64) -> Result<bool, AppError> {
    let now = state.now();
    let window = Interval {
        start: slot,
        end: slot + 1,
    };
    Ok(scheduler::time_slots(
        &state.db,
        &flow.account_id,
        &flow.target,
        flow.duration,
        window,
        now,
    )
    .await?
    .contains(&slot))
}

/// GET of any booking page: the times, or the form for a chosen time.
async fn show(state: &SharedState, flow: Flow) -> Response {
    if let Some(closed) = closed(&flow) {
        return closed;
    }
    match flow
        .query
        .get("sl.slot")
        .and_then(|s| s.parse::<i64>().ok())
    {
        Some(slot) => form_step(state, &flow, slot, None, None).await,
        None => times_step(state, &flow).await,
    }
}

fn closed_page() -> Response {
    layout::message(
        StatusCode::NOT_FOUND,
        "Not available",
        "This booking page is not taking bookings right now.",
    )
}

fn closed(flow: &Flow) -> Option<Response> {
    let open = match &flow.place {
        Place::Calendar(c) => c.published,
        Place::Page(p, _) => p.active,
    };
    (!open).then(closed_page)
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
        let list: Vec<&str> = g
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        form.insert("guests".into(), json!(list));
    }
    for q in &settings.questions {
        let values: Vec<&str> = posted
            .0
            .iter()
            .filter(|(k, _)| *k == q.name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
            .collect();
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
    let location = posted
        .get("sl.location")
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| settings.locations.get(i))
        .map(|l| {
            let value = match l.kind.as_str() {
                "guest_phone" | "in_person_by_guest" => {
                    posted.get("sl.location_value").map(|v| json!(v.trim()))
                }
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
        AppError::NotAvailable => Some((
            StatusCode::CONFLICT,
            "Sorry, that time was just taken. Please choose another time.".into(),
        )),
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
async fn book(
    state: &SharedState,
    headers: &HeaderMap,
    client: IpAddr,
    flow: Flow,
    posted: Query,
) -> Response {
    if let Some(closed) = closed(&flow) {
        return closed;
    }
    let Some(slot) = posted.get("sl.slot").and_then(|s| s.parse::<i64>().ok()) else {
        return layout::message(
            StatusCode::BAD_REQUEST,
            "Something is missing",
            "Please choose a time first.",
        );
    };
    match guard::check(
        state,
        headers,
        client,
        &flow.scope(),
        posted.get("sl.csrf").unwrap_or(""),
        &flow.target.settings.embed_origins,
    )
    .await
    {
        Ok(None) => {}
        Ok(Some(r)) => {
            return flow.respond(
                r.status(),
                "Not sent",
                html! { h1 { "Not sent" } p { (r.message()) } },
                FrameData::default(),
            )
        }
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
        subject: posted.get("sl.subject").map(str::to_string),
    };
    let result = match booking_request::parse(&flow.target.settings, input) {
        Ok(mut request) => {
            request.one_time_link = flow.link.clone();
            scheduler::book(state.ctx(), &flow.account_id, &flow.target, request).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(b) => {
            let confirmation = Query::default()
                .with("sl.new", Some("1"))
                .with("sl.origin", flow.origin.as_deref())
                .href(&format!("/b/{}", b.token));
            // Not embedded: the browser goes straight to the site's own confirmation page.
            match (&flow.origin, flow::redirect_for(&flow.place, &b)) {
                (None, Some(url)) if b.status == slotline_domain::lifecycle::Status::Scheduled => {
                    Redirect::to(&url).into_response()
                }
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
    let origin = flow::embed_origin(&page.settings, query);
    layout::respond(
        StatusCode::OK,
        layout::page(
            &page.label,
            body,
            &FrameData {
                origin,
                ..Default::default()
            },
        ),
        &layout::frame_ancestors(&page.settings.embed_origins),
    )
}

pub async fn calendar_page(
    State(state): State<SharedState>,
    Path(key): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    match flow::calendar_flow(&state, &key, Query::parse(q.as_deref())).await {
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
    match flow::calendar_flow(&state, &key, Query::parse(posted.get("sl.q"))).await {
        Ok(flow) => book(&state, &headers, addr.ip(), flow, posted).await,
        Err(r) => r,
    }
}

pub async fn booking_page(
    State(state): State<SharedState>,
    Path(key): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let query = Query::parse(q.as_deref());
    match flow::page_flow(&state, &key, query.clone()).await {
        Ok(Ok(flow)) => show(&state, flow).await,
        Ok(Err((_, page, offered))) => {
            if !page.active {
                return closed_page();
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
    match flow::page_flow(&state, &key, Query::parse(posted.get("sl.q"))).await {
        Ok(Ok(flow)) => book(&state, &headers, addr.ip(), flow, posted).await,
        Ok(Err(_)) => layout::message(
            StatusCode::BAD_REQUEST,
            "Something is missing",
            "Please choose what to book first.",
        ),
        Err(r) => r,
    }
}

/// A master page: its booking pages, each a link that keeps the query (prefill, tags, embed).
pub async fn master_page(
    State(state): State<SharedState>,
    Path(key): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let query = Query::parse(q.as_deref());
    let (account_id, master) = match master_pages::public(&state.db, &key).await {
        Ok(Some(m)) if m.1.active => m,
        Ok(_) => return flow::not_found(),
        Err(e) => return internal(e),
    };
    let pages = match booking_pages::of_master(&state.db, &account_id, &master.id).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    master_listing(&master.label, &pages, &query, |p| {
        query.href(&format!("/p/{}", p.slug))
    })
}

pub fn master_listing(
    label: &str,
    pages: &[BookingPage],
    query: &Query,
    href: impl Fn(&BookingPage) -> String,
) -> Response {
    let body = html! {
        h1 { (label) }
        p.muted { "Choose whom to meet." }
        @if pages.is_empty() { p { "No booking pages are open right now." } }
        @for p in pages {
            a.card style="display:block;text-decoration:none" href=(href(p)) { strong { (p.label) } }
        }
    };
    // A master page may be embedded wherever all of its pages may.
    let origin = origin_of(query.get("sl.origin").unwrap_or("")).filter(|o| {
        pages
            .iter()
            .all(|p| p.settings.embed_origins.is_empty() || p.settings.embed_origins.contains(o))
    });
    let mut allowed: Vec<String> = Vec::new();
    for p in pages {
        allowed.extend(p.settings.embed_origins.iter().cloned());
    }
    let ancestors = if pages.iter().any(|p| p.settings.embed_origins.is_empty()) {
        "*".to_string()
    } else {
        layout::frame_ancestors(&allowed)
    };
    layout::respond(
        StatusCode::OK,
        layout::page(
            label,
            body,
            &FrameData {
                origin,
                ..Default::default()
            },
        ),
        &ancestors,
    )
}

pub async fn link_page(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    match flow::link_flow(&state, &id, Query::parse(q.as_deref())).await {
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
    match flow::link_flow(&state, &id, Query::parse(posted.get("sl.q"))).await {
        Ok(Ok(flow)) => book(&state, &headers, addr.ip(), flow, posted).await,
        Ok(Err(_)) => layout::message(
            StatusCode::BAD_REQUEST,
            "Something is missing",
            "Please choose a booking page first.",
        ),
        Err(r) => r,
    }
}
