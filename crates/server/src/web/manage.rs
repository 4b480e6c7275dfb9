//! The guest's own booking, reached only through its unguessable token: the confirmation (with
//! the embed events and redirect right after booking), the calendar file, cancelling and
//! rescheduling. Changes go through the same scheduler functions as the API's customer
//! actions, so they emit the same events.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Path, RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::{html, Markup};
use serde_json::Value;
use slotline_domain::{
    ics,
    id::AccountId,
    lifecycle::{Action, Actor, Status},
};

use super::{
    client_events,
    flow::{self, Place},
    guard,
    query::Query,
    times::{free_week, week_view, when},
};
use crate::{
    http::error::AppError,
    http::layout::{self, FrameData},
    services::scheduler::{self, Refused, Target},
    state::SharedState,
    store::{
        booking_calendars, booking_pages,
        bookings::{self, Booking},
        event_types, users,
    },
    views,
};

/// The confirmation's events and redirect fire only this soon after booking (a bookmark of the
/// confirmation page does not fire them again days later).
const FRESH_MS: i64 = 10 * 60_000;

use super::flow::internal;

fn gone() -> Response {
    layout::message(
        StatusCode::NOT_FOUND,
        "Booking not found",
        "This link does not match any booking.",
    )
}

/// A booking and where it was made.
struct Held {
    account_id: AccountId,
    booking: Booking,
    place: Option<Place>,
}

async fn load(state: &SharedState, token: &str) -> Result<Held, Response> {
    let (account_id, booking) = bookings::by_token(&state.db, token)
        .await
        .map_err(internal)?
        .ok_or_else(gone)?;
    let place = if let Some(id) = &booking.booking_calendar_id {
        booking_calendars::get(&state.db, &account_id, id)
            .await
            .map_err(internal)?
            .map(Place::Calendar)
    } else if let Some(id) = &booking.booking_page_id {
        match booking_pages::get(&state.db, &account_id, id)
            .await
            .map_err(internal)?
        {
            Some(p) => {
                let et = match &booking.event_type_id {
                    Some(et) => event_types::get(&state.db, &account_id, et)
                        .await
                        .map_err(internal)?,
                    None => None,
                };
                Some(Place::Page(p, et))
            }
            None => None,
        }
    } else {
        None
    };
    Ok(Held {
        account_id,
        booking,
        place,
    })
}

impl Held {
    fn settings(&self) -> Option<&slotline_domain::settings::Settings> {
        match self.place.as_ref()? {
            Place::Calendar(c) => Some(&c.settings),
            Place::Page(p, _) => Some(&p.settings),
        }
    }

    fn ancestors(&self) -> String {
        layout::frame_ancestors(
            self.settings()
                .map(|s| s.embed_origins.as_slice())
                .unwrap_or(&[]),
        )
    }

    fn origin(&self, query: &Query) -> Option<String> {
        let claimed = slotline_domain::settings::origin_of(query.get("sl.origin")?)?;
        let allowed = self
            .settings()
            .map(|s| s.embed_origins.as_slice())
            .unwrap_or(&[]);
        (allowed.is_empty() || allowed.contains(&claimed)).then_some(claimed)
    }

    /// Where the booking moves within: its page, with the ad hoc co-hosts it was booked with
    /// (everyone on it besides a single-host page's own host).
    fn target(&self) -> Option<Target> {
        let mut t = match self.place.as_ref()? {
            Place::Calendar(c) => Target::calendar(c),
            Place::Page(p, et) => Target::page(p, et.as_ref()),
        };
        if !t.host_id.is_team() {
            t.co_hosts = self
                .booking
                .hosts
                .iter()
                .filter(|h| **h != t.host_id)
                .cloned()
                .collect();
        }
        Some(t)
    }

    fn respond(&self, status: StatusCode, title: &str, body: Markup, data: FrameData) -> Response {
        layout::respond(status, layout::page(title, body, &data), &self.ancestors())
    }

    /// `?sl.origin=…` kept on the guest's links inside an embed.
    fn keep(&self, query: &Query) -> Query {
        Query::default().with("sl.origin", self.origin(query).as_deref())
    }
}

fn status_line(b: &Booking) -> &'static str {
    match b.status {
        Status::Requested => {
            "Your request was sent. It awaits the host's approval; you will hear back by email."
        }
        Status::Scheduled | Status::Rescheduled => "You are booked.",
        Status::Canceled => "This booking is cancelled.",
        Status::Completed => "This meeting has taken place.",
        Status::NoShow => "This meeting was marked as missed.",
    }
}

fn details(b: &Booking, host: &str) -> Markup {
    let location = b
        .location
        .as_ref()
        .and_then(|l| l.get("description"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let join = slotline_domain::meeting::join_url(b.location.as_ref());
    html! {
        dl.card {
            dt { "What" } dd { (b.subject) }
            dt { "When" } dd { (when(b.start_time, &b.customer_timezone)) " (" (b.customer_timezone) ")" }
            dt { "Duration" } dd { (b.duration_minutes) " minutes" }
            @if !host.is_empty() { dt { "With" } dd { (host) } }
            @if !join.is_empty() { dt { "Join" } dd { a href=(join) { (join) } } }
            @else if !location.is_empty() { dt { "Where" } dd { (location) } }
            dt { "Name" } dd { (b.form_submission["name"].as_str().unwrap_or("")) }
            dt { "Email" } dd { (b.form_submission["email"].as_str().unwrap_or("")) }
        }
    }
}

async fn host_label(state: &SharedState, h: &Held) -> String {
    match users::get(&state.db, &h.account_id, &h.booking.owner_id).await {
        Ok(Some(u)) => format!("{} {}", u.first_name, u.last_name)
            .trim()
            .to_string(),
        _ => String::new(),
    }
}

/// `/b/<token>`: the booking, what the guest can do with it, and — right after booking — the
/// events for the embedding site and the redirect.
pub async fn show(
    State(state): State<SharedState>,
    Path(token): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(token) = token.strip_suffix(".ics") {
        return calendar_file(&state, token).await;
    }
    let query = Query::parse(q.as_deref());
    let h = match load(&state, &token).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let b = &h.booking;
    let host = host_label(&state, &h).await;
    let keep = h.keep(&query);
    let live = b.status.holds_time();
    let fresh = query.get("sl.new") == Some("1") && state.now() - b.creation_time < FRESH_MS;
    let mut data = FrameData {
        origin: h.origin(&query),
        ..Default::default()
    };
    if fresh && b.status == Status::Scheduled {
        data.events = scheduled_events(&state, &h).await;
        data.redirect = h
            .place
            .as_ref()
            .and_then(|p| flow::redirect_for(p, b))
            .filter(|_| data.origin.is_some());
    }
    let moved = query.get("sl.moved") == Some("1");
    let body = html! {
        h1 { @if moved { "Booking moved" } @else if fresh { "Thank you" } @else { "Your booking" } }
        div.card.notice role="status" { p { (status_line(b)) } }
        (details(b, &host))
        @if live {
            p.row {
                a.button href=(format!("/b/{token}.ics")) download="booking.ics" { "Add to calendar" }
                a.button href=(keep.href(&format!("/b/{token}/reschedule"))) { "Reschedule" }
                a.button href=(keep.href(&format!("/b/{token}/cancel"))) { "Cancel" }
            }
        }
    };
    h.respond(StatusCode::OK, "Your booking", body, data)
}

/// What the embedding site hears about a new booking: `oncehub.booking.scheduled` from a
/// booking calendar; from a classic page, the `SOAfterConfirmationFunction` payload.
async fn scheduled_events(state: &SharedState, h: &Held) -> Vec<Value> {
    let b = &h.booking;
    match &h.place {
        Some(Place::Calendar(_)) => {
            let found = users::get_many(&state.db, &h.account_id, &b.hosts)
                .await
                .unwrap_or_default();
            let emails: Vec<String> = b
                .hosts
                .iter()
                .filter_map(|id| found.get(id).map(|u| u.email.clone()))
                .collect();
            vec![client_events::booking_scheduled(
                &state.base_url,
                b,
                &emails,
            )]
        }
        Some(Place::Page(p, et)) => {
            let name = et.as_ref().map(|e| e.name.as_str()).unwrap_or(&p.label);
            vec![
                serde_json::json!({"type": "slotline.so_after_confirmation", "payload": client_events::so_after_confirmation(&state.base_url, b, &p.timezone, name)}),
            ]
        }
        None => vec![],
    }
}

/// `/b/<token>.ics`.
async fn calendar_file(state: &SharedState, token: &str) -> Response {
    let h = match load(state, token).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let b = &h.booking;
    let links = views::booking::links(&state.base_url, b);
    let location = b
        .location
        .as_ref()
        .and_then(|l| l.get("description"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let host = host_label(state, &h).await;
    let description = format!("With {host}.\nReschedule or cancel: {}", links.reschedule);
    let uid = match crate::services::notify::calendar_uid(state.ctx(), b).await {
        Ok(uid) => uid,
        Err(e) => return e.into_response(),
    };
    let text = ics::render(&ics::Event {
        uid: &uid,
        start_ms: b.start_time,
        end_ms: b.end_time(),
        stamp_ms: b.last_updated_time,
        sequence: b.revision,
        summary: &b.subject,
        description: &description,
        location,
        url: &links.reschedule,
        cancelled: !b.status.holds_time() && b.status != Status::Completed,
        tentative: false,
        stored: false,
        invitation: None,
    });
    let mut res = text.into_response();
    let hd = res.headers_mut();
    hd.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    hd.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"booking.ics\""),
    );
    hd.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn refused_page(h: &Held, status: StatusCode, text: &str) -> Response {
    h.respond(
        status,
        "Not sent",
        html! { h1 { "Not sent" } p { (text) } },
        FrameData::default(),
    )
}

/// `/b/<token>/cancel`: asks for a reason, then cancels.
pub async fn cancel_form(
    State(state): State<SharedState>,
    Path(token): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let query = Query::parse(q.as_deref());
    let h = match load(&state, &token).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let b = &h.booking;
    if !b.status.holds_time() {
        return h.respond(
            StatusCode::CONFLICT,
            "Cannot cancel",
            html! { h1 { "Nothing to cancel" } p { (status_line(b)) } },
            FrameData::default(),
        );
    }
    let csrf = match guard::token(&state, &format!("booking:{token}")).await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let keep = h.keep(&query);
    let body = html! {
        h1 { "Cancel this booking?" }
        (details(b, &host_label(&state, &h).await))
        form method="post" action=(format!("/b/{token}/cancel")) {
            input type="hidden" name="sl.csrf" value=(csrf);
            input type="hidden" name="sl.q" value=(keep.encode());
            label for="reason" { "Reason (optional)" }
            textarea #reason name="reason" maxlength="2000" {}
            p.row {
                button.danger type="submit" { "Cancel booking" }
                a href=(keep.href(&format!("/b/{token}"))) { "Keep it" }
            }
        }
    };
    h.respond(
        StatusCode::OK,
        "Cancel booking",
        body,
        FrameData {
            origin: h.origin(&query),
            ..Default::default()
        },
    )
}

/// The booking behind a guest's post, once the post passed the form guard.
async fn guarded(
    state: &SharedState,
    headers: &HeaderMap,
    addr: SocketAddr,
    token: &str,
    posted: &Query,
) -> Result<Held, Response> {
    let h = load(state, token).await?;
    match guard::check(
        state,
        headers,
        addr.ip(),
        &format!("booking:{token}"),
        posted.get("sl.csrf").unwrap_or(""),
        &[],
    )
    .await
    {
        Ok(None) => Ok(h),
        Ok(Some(r)) => Err(refused_page(&h, r.status(), r.message())),
        Err(e) => Err(internal(e)),
    }
}

pub async fn cancel(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let posted = Query(posted);
    let h = match guarded(&state, &headers, addr, &token, &posted).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let reason = posted
        .get("reason")
        .unwrap_or("")
        .trim()
        .chars()
        .take(2000)
        .collect::<String>();
    let b = &h.booking;
    let action = Action::Cancel(Actor::Customer);
    match scheduler::change(
        state.ctx(),
        &h.account_id,
        b,
        action,
        Some((reason, Actor::Customer)),
        true,
    )
    .await
    {
        Ok(_) => Redirect::to(&Query::parse(posted.get("sl.q")).href(&format!("/b/{token}")))
            .into_response(),
        Err(Refused::NotAllowed) => refused_page(
            &h,
            StatusCode::CONFLICT,
            "This booking can no longer be cancelled.",
        ),
        Err(Refused::Failed(e)) => internal(e),
    }
}

/// Whether the guest may move the booking: while it is live, or when the host asked them to.
async fn may_reschedule(state: &SharedState, b: &Booking) -> Result<bool, AppError> {
    Ok(b.status.holds_time()
        || (b.status == Status::Canceled
            && bookings::has_event(&state.db, &b.id, "booking.canceled_reschedule_requested")
                .await?))
}

/// `/b/<token>/reschedule`: the free times of the same page, then a confirmation.
pub async fn reschedule_page(
    State(state): State<SharedState>,
    Path(token): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let query = Query::parse(q.as_deref());
    let h = match load(&state, &token).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let b = &h.booking;
    match may_reschedule(&state, b).await {
        Ok(true) => {}
        Ok(false) => {
            return h.respond(
                StatusCode::CONFLICT,
                "Cannot reschedule",
                html! { h1 { "This booking cannot be moved" } p { (status_line(b)) } },
                FrameData::default(),
            )
        }
        Err(e) => return internal(e),
    }
    let Some(target) = h.target() else {
        return gone();
    };
    let zone = query
        .get("iana_time_zone")
        .filter(|z| slotline_domain::timezone::is_valid(z))
        .unwrap_or(&b.customer_timezone)
        .to_string();
    let keep = h.keep(&query).with("iana_time_zone", Some(&zone));
    let path = format!("/b/{token}/reschedule");
    let duration = target.duration_of(b);
    if let Some(slot) = query.get("sl.slot").and_then(|s| s.parse::<i64>().ok()) {
        let csrf = match guard::token(&state, &format!("booking:{token}")).await {
            Ok(t) => t,
            Err(e) => return internal(e),
        };
        let body = html! {
            h1 { "Move your booking" }
            (details(b, &host_label(&state, &h).await))
            div.card { p { "New time: " strong { (when(slot, &zone)) } " (" (zone) ")" } }
            form method="post" action=(path) {
                input type="hidden" name="sl.csrf" value=(csrf);
                input type="hidden" name="sl.slot" value=(slot);
                input type="hidden" name="sl.q" value=(keep.encode());
                label for="reason" { "Reason (optional)" }
                textarea #reason name="reason" maxlength="2000" {}
                p.row {
                    button.primary type="submit" { "Move to this time" }
                    a href=(keep.href(&path)) { "Choose another time" }
                }
            }
        };
        return h.respond(
            StatusCode::OK,
            "Reschedule",
            body,
            FrameData {
                origin: h.origin(&query),
                ..Default::default()
            },
        );
    }
    let today = jiff::Timestamp::from_millisecond(state.now())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC))
        .date();
    let from = query
        .get("sl.from")
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .filter(|d| *d >= today)
        .unwrap_or(today);
    let days = match free_week(
        &state,
        &h.account_id,
        &target,
        duration,
        &zone,
        from,
        Some(&b.id),
    )
    .await
    {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let later = from.checked_add(jiff::Span::new().days(7)).ok();
    let body = html! {
        h1 { "Choose a new time" }
        p.muted { "Now: " (when(b.start_time, &zone)) " (" (zone) ")" }
        nav.pager {
            @if from > today { a href=(keep.with("sl.from", from.checked_sub(jiff::Span::new().days(7)).ok().map(|d| d.max(today).to_string()).as_deref()).href(&path)) { "← Earlier" } } @else { span {} }
            @if let Some(n) = later { a href=(keep.with("sl.from", Some(&n.to_string())).href(&path)) { "Later →" } }
        }
        (week_view(&days, &zone, |s| keep.with("sl.slot", Some(&s.to_string())).href(&path)))
        p { a href=(keep.href(&format!("/b/{token}"))) { "Back to the booking" } }
    };
    h.respond(
        StatusCode::OK,
        "Reschedule",
        body,
        FrameData {
            origin: h.origin(&query),
            ..Default::default()
        },
    )
}

pub async fn reschedule(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let posted = Query(posted);
    let h = match guarded(&state, &headers, addr, &token, &posted).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let (Some(target), Some(slot)) = (
        h.target(),
        posted.get("sl.slot").and_then(|s| s.parse::<i64>().ok()),
    ) else {
        return refused_page(
            &h,
            StatusCode::BAD_REQUEST,
            "Please choose a new time first.",
        );
    };
    let carried = Query::parse(posted.get("sl.q"));
    let b = &h.booking;
    let zone = carried
        .get("iana_time_zone")
        .filter(|z| slotline_domain::timezone::is_valid(z))
        .unwrap_or(&b.customer_timezone)
        .to_string();
    let duration = target.duration_of(b);
    let request = scheduler::Request {
        subject: Some(b.subject.clone()),
        start: slot,
        duration,
        guest_time_zone: zone,
        form_submission: b.form_submission.clone(),
        location: b.location.clone(),
        utm_params: b.utm_params.clone(),
        one_time_link: None,
        conversation_id: None,
    };
    let reason = posted
        .get("reason")
        .unwrap_or("")
        .trim()
        .chars()
        .take(2000)
        .collect::<String>();
    match scheduler::reschedule(state.ctx(), &h.account_id, b, &target, request, reason).await {
        Ok(new) => Redirect::to(
            &Query::default()
                .with("sl.moved", Some("1"))
                .with("sl.origin", carried.get("sl.origin"))
                .href(&format!("/b/{}", new.token)),
        )
        .into_response(),
        Err(Refused::NotAllowed) => refused_page(
            &h,
            StatusCode::CONFLICT,
            "This booking can no longer be moved.",
        ),
        Err(Refused::Failed(AppError::NotAvailable)) => {
            let back = carried.href(&format!("/b/{token}/reschedule"));
            h.respond(
                StatusCode::CONFLICT,
                "Not available",
                html! { h1 { "That time was just taken" } a.button href=(back) { "Choose another time" } },
                FrameData::default(),
            )
        }
        Err(Refused::Failed(e)) => internal(e),
    }
}
