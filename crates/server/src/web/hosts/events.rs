//! `/app/events` (the owner and administrators), the integrators' console's events: the event
//! log with its filters, one event's body exactly as it was delivered with where it went and
//! what each receiver answered, and the live view — events as they are written, over
//! server-sent events (`/app/events/live/stream`, the same stream as `GET /v2/events/stream`).

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use maud::html;
use slotline_domain::{
    id::{EventId, Id, Kind},
    webhook::{COMPOSITES, EVENT_TYPES},
};

use super::{
    layout::{self, Section},
    session::Signed,
    webhooks::{attempts_table, console_nav, WHAT},
};
use crate::{
    http::error::AppError,
    services::{event_stream, webhooks as hooks},
    state::SharedState,
    store::{
        deliveries,
        events::{self, EventFilter},
        page::{Cursor, PageRequest},
    },
    web::{
        flow::internal,
        query::Query,
        times::{local_input, stamp},
    },
};

/// Events a log page shows at once.
const PAGE: i64 = 50;

/// An id filter: absent when empty, an error message when malformed.
fn id_filter<K: Kind>(q: &Query, key: &str, errors: &mut Vec<String>) -> Option<Id<K>> {
    let raw = q.get(key).map(str::trim).filter(|s| !s.is_empty())?;
    match Id::<K>::parse(raw.to_string()) {
        Ok(id) => Some(id),
        Err(_) => {
            errors.push(format!("No such {}: '{raw}'", K::OBJECT));
            None
        }
    }
}

pub async fn log(
    State(state): State<SharedState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    if !signed.is_admin() {
        return layout::only_admins(WHAT);
    }
    let q = Query::parse(q.as_deref());
    let zone = signed.session.timezone.clone();
    let mut errors = Vec::new();
    let type_filter = q
        .get("type")
        .filter(|t| EVENT_TYPES.contains(t) || COMPOSITES.contains(t) || *t == "webhook.test");
    let types = type_filter.map(|t| {
        if COMPOSITES.contains(&t) {
            EVENT_TYPES
                .iter()
                .filter(|e| e.starts_with(&format!("{t}.")))
                .map(|e| e.to_string())
                .collect()
        } else {
            vec![t.to_string()]
        }
    });
    let (from_raw, to_raw) = (q.get("from").unwrap_or(""), q.get("to").unwrap_or(""));
    let filter = EventFilter {
        types,
        booking: id_filter::<slotline_domain::id::kind::Booking>(&q, "booking", &mut errors),
        conversation: id_filter::<slotline_domain::id::kind::Conversation>(
            &q,
            "conversation",
            &mut errors,
        ),
        contact: id_filter::<slotline_domain::id::kind::Contact>(&q, "contact", &mut errors),
        creation: slotline_domain::time::Range {
            gt: local_input(from_raw, &zone).map(|t| t - 1),
            lt: local_input(to_raw, &zone),
        },
    };
    let req = PageRequest {
        limit: PAGE,
        cursor: match (q.get("after"), q.get("before")) {
            (Some(a), _) => Cursor::After(a.to_string()),
            (None, Some(b)) => Cursor::Before(b.to_string()),
            _ => Cursor::None,
        },
    };
    let (rows, page) = if errors.is_empty() {
        match events::list(&state.db, &signed.session.account_id, &filter, &req).await {
            Ok(r) => r,
            Err(crate::store::error::StoreError::NoSuchCursor { .. }) => {
                errors.push("That page of the log is gone; here is the newest.".into());
                match events::list(
                    &state.db,
                    &signed.session.account_id,
                    &filter,
                    &PageRequest {
                        limit: PAGE,
                        cursor: Cursor::None,
                    },
                )
                .await
                {
                    Ok(r) => r,
                    Err(e) => return internal(e),
                }
            }
            Err(e) => return internal(e),
        }
    } else {
        (
            Vec::new(),
            crate::store::page::Page {
                rows: Vec::new(),
                has_more: false,
                next_after: None,
                previous_before: None,
            },
        )
    };
    let text = |key: &str| q.get(key).unwrap_or("").to_string();
    let here = "/app/events";
    let body = html! {
        h1 { "Event log" }
        p.muted { "Every event Slotline wrote, newest first, with its body exactly as it is delivered (" code { "GET /v2/events" } ")." }
        (console_nav("events"))
        @for e in &errors { div.card.error role="alert" { (e) } }
        form.card.filters method="get" action=(here) {
            div {
                label for="f-type" { "Type" }
                select #f-type name="type" {
                    option value="" { "Any" }
                    @for t in COMPOSITES.iter().chain(EVENT_TYPES).copied().chain(["webhook.test"]) {
                        option value=(t) selected[type_filter == Some(t)] { @if COMPOSITES.contains(&t) { "every " (t) " event" } @else { (t) } }
                    }
                }
            }
            div { label for="f-booking" { "Booking" } input #f-booking name="booking" value=(text("booking")) placeholder="BKNG-…"; }
            div { label for="f-contact" { "Contact" } input #f-contact name="contact" value=(text("contact")) placeholder="CTC-…"; }
            div { label for="f-conversation" { "Conversation" } input #f-conversation name="conversation" value=(text("conversation")) placeholder="CVR-…"; }
            div { label for="f-from" { "From" } input #f-from type="datetime-local" name="from" value=(from_raw); }
            div { label for="f-to" { "Before" } input #f-to type="datetime-local" name="to" value=(to_raw); }
            div { button type="submit" { "Filter" } }
        }
        @if rows.is_empty() {
            p.card { "No events match." }
        } @else {
            table.list {
                caption.muted { "Events, newest first" }
                thead { tr { th scope="col" { "Made" } th scope="col" { "Type" } th scope="col" { "About" } th scope="col" { "Event" } } }
                tbody {
                    @for e in &rows {
                        tr {
                            td { (stamp(e.creation_time, &zone)) }
                            td { code { (e.event_type) } }
                            td {
                                @if let Some(b) = &e.booking_id { a href={ "/app/bookings/" (b) } { (b) } }
                                @else if let Some(c) = &e.conversation_id { (c) }
                            }
                            td { a href={ "/app/events/" (e.id) } { (e.id) } }
                        }
                    }
                }
            }
            nav.subnav aria-label="Pages of the log" {
                @if let Some(b) = &page.previous_before { a href=(q.with("after", None).with("before", Some(b)).href(here)) { "← Newer" } }
                @if let Some(a) = &page.next_after { a href=(q.with("before", None).with("after", Some(a)).href(here)) { "Older →" } }
            }
        }
    };
    layout::respond(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        layout::page("Event log", &signed, Section::Webhooks, body),
    )
}

/// `/app/events/{id}`: the body as delivered, and each delivery with its attempts.
pub async fn show(
    State(state): State<SharedState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    if !signed.is_admin() {
        return layout::only_admins(WHAT);
    }
    let account = &signed.session.account_id;
    let found = match EventId::parse(id.clone()) {
        Ok(id) => events::get(&state.db, account, &id)
            .await
            .map_err(AppError::from)
            .and_then(|e| e.ok_or_else(|| AppError::not_found("event", &id))),
        Err(_) => Err(AppError::not_found("event", &id)),
    };
    let e = match layout::found(found, ("No such event", "This event is not in the log.")) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let (sent, hooks) = match tokio::try_join!(
        async {
            deliveries::all_of_event(&state.db, account, &e.id)
                .await
                .map_err(AppError::from)
        },
        hooks::all(state.ctx(), account)
    ) {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let zone = &signed.session.timezone;
    let pretty = serde_json::from_str::<serde_json::Value>(&e.payload)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_default();
    let name_of = |w: &slotline_domain::id::WebhookId| {
        hooks
            .iter()
            .find(|h| &h.id == w)
            .map_or_else(|| format!("{w} (removed)"), |h| h.name.clone())
    };
    let body = html! {
        p { a href="/app/events" { "← Event log" } }
        h1 { code { (e.event_type) } " " small { (e.id) } }
        p { "Made " (stamp(e.creation_time, zone))
            @if let Some(b) = &e.booking_id { " · booking " a href={ "/app/bookings/" (b) } { (b) } }
            @if let Some(c) = &e.conversation_id { " · conversation " (c) } }
        h2 #body-h { "Body, exactly as delivered" }
        pre #body aria-labelledby="body-h" { (e.payload) }
        details { summary { "Indented" } pre { (pretty) } }
        h2 #sent { "Where it went" }
        @if sent.is_empty() {
            p.card { "No webhook was subscribed to this event when it was written." }
        }
        @for d in &sent {
            section.card {
                h3 { a href={ "/app/webhooks/" (d.webhook_id) "/events/" (e.id) } { (name_of(&d.webhook_id)) } " " span.status { (d.status.as_str()) } }
                @if d.log.is_empty() { p.muted { "No attempt yet." } }
                (attempts_table(&d.log, zone))
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page("Event", &signed, Section::Webhooks, body),
    )
}

/// `/app/events/live`: the page; `/assets/app.js` fills it from the stream.
pub async fn live(State(_state): State<SharedState>, signed: Signed) -> Response {
    if !signed.is_admin() {
        return layout::only_admins(WHAT);
    }
    let body = html! {
        h1 { "Live events" }
        p.muted { "Events appear here as they are written, newest first. Programs get the same from " code { "GET /v2/events/stream" } ", resuming from " code { "Last-Event-ID" } "." }
        (console_nav("live"))
        p #live-state role="status" data-stream="/app/events/live/stream" { "Connecting…" }
        noscript { p.card { "The live view needs script; the " a href="/app/events" { "event log" } " has every event without it." } }
        table.list {
            caption.muted { "Events since this page opened" }
            thead { tr { th scope="col" { "Made" } th scope="col" { "Type" } th scope="col" { "Event" } } }
            tbody #live {}
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page("Live events", &signed, Section::Webhooks, body),
    )
}

/// The live view's stream: the account's events as server-sent events (the envelope as
/// `data`, the event id as `id`, so the browser resumes by itself after a drop).
pub async fn live_stream(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
) -> Response {
    if !signed.is_admin() {
        return layout::only_admins(WHAT);
    }
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| EventId::parse(v.trim().to_string()).ok());
    let sub = event_stream::Subscription {
        account_id: signed.session.account_id.clone(),
        after,
        types: None,
    };
    let rx = match event_stream::subscribe(&state.event_hub, &state.db, sub).await {
        Ok(rx) => rx,
        Err(e) => return e.into_response(),
    };
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let e = rx.recv().await?;
        let sse = Event::default().id(e.id.as_str()).data(&*e.payload);
        Some((Ok::<_, std::convert::Infallible>(sse), rx))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
        .into_response()
}
