//! `/app/bookings`: a host's bookings by tab — to come, awaiting approval, past, canceled —
//! searched by the guest's name or email, filtered by booking calendar, booking page and dates. Members see the bookings they host; the account
//! owner and administrators see the whole account's, with the host of each.

use axum::{
    extract::{RawQuery, State},
    http::StatusCode,
    response::Response,
};
use maud::html;

use super::{
    layout::{self, Section},
    session::Signed,
};
use crate::{
    state::SharedState,
    store::{
        agenda::{self, AgendaFilter, Tab},
        booking_pages::{self, PageFilter},
        page::{Cursor, PageRequest},
    },
    web::{
        flow::internal,
        query::Query,
        times::{day_start, parse_day, when},
    },
};
use slotline_domain::id::{BookingCalendarId, BookingPageId};

const PAGE: i64 = 50;

const TABS: [(&str, &str, Tab); 4] = [
    ("upcoming", "Upcoming", Tab::Upcoming),
    ("requested", "Awaiting approval", Tab::Requested),
    ("past", "Past", Tab::Past),
    ("canceled", "Canceled", Tab::Canceled),
];

pub async fn list(
    State(state): State<SharedState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    let query = Query::parse(q.as_deref());
    let (tab_key, tab_label, tab) = TABS
        .iter()
        .copied()
        .find(|(k, _, _)| Some(*k) == query.get("tab"))
        .unwrap_or(TABS[0]);
    let search = query
        .get("q")
        .map(|s| s.chars().take(100).collect::<String>());
    let offset = query
        .get("offset")
        .and_then(|o| o.parse::<i64>().ok())
        .unwrap_or(0)
        .clamp(0, 1_000_000);
    let zone = signed.session.timezone.clone();
    let calendar = query
        .get("calendar")
        .and_then(|c| BookingCalendarId::parse(c.to_string()).ok());
    let page_id = query
        .get("page")
        .and_then(|p| BookingPageId::parse(p.to_string()).ok());
    let from_day = parse_day(query.get("from"));
    let to_day = parse_day(query.get("to"));
    let filter = AgendaFilter {
        tab,
        // Members see their own bookings only.
        host: (!signed.is_admin()).then(|| signed.session.user_id.clone()),
        search: search.clone(),
        calendar: calendar.clone(),
        page: page_id.clone(),
        from: from_day.map(|d| day_start(d, &zone)),
        // Through the whole of the last day.
        to: to_day
            .and_then(|d| d.tomorrow().ok())
            .map(|d| day_start(d, &zone)),
        now: state.now(),
    };
    let calendars = match super::calendars::visible_calendars(&state, &signed).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let pages = if signed.is_admin() {
        let req = PageRequest {
            limit: 100,
            cursor: Cursor::None,
        };
        match booking_pages::list(
            &state.db,
            &signed.session.account_id,
            &PageFilter::default(),
            &req,
        )
        .await
        {
            Ok((p, _)) => p.into_iter().filter(|p| !p.deleted).collect(),
            Err(e) => return internal(e),
        }
    } else {
        Vec::new()
    };
    let (rows, more) =
        match agenda::list(&state.db, &signed.session.account_id, &filter, PAGE, offset).await {
            Ok(r) => r,
            Err(e) => return internal(e),
        };
    let base = Query::default()
        .with("tab", Some(tab_key))
        .with("q", search.as_deref().filter(|s| !s.is_empty()))
        .with("calendar", calendar.as_ref().map(|c| c.as_str()))
        .with("page", page_id.as_ref().map(|p| p.as_str()))
        .with("from", from_day.map(|d| d.to_string()).as_deref())
        .with("to", to_day.map(|d| d.to_string()).as_deref());
    let body = html! {
        h1 { "Bookings" }
        p.muted {
            @if signed.is_admin() { "Every booking of the account. " }
            @else { "The bookings you host. " }
            "Times in " (zone) "."
        }
        nav aria-label="Bookings" {
            ul.tabs {
                @for (k, label, _) in TABS {
                    li {
                        @let href = base.with("tab", Some(k)).with("offset", None).href("/app/bookings");
                        @if k == tab_key {
                            a href=(href) aria-current="page" { (label) }
                        } @else {
                            a href=(href) { (label) }
                        }
                    }
                }
            }
        }
        form.filters method="get" action="/app/bookings" role="search" {
            input type="hidden" name="tab" value=(tab_key);
            div {
                label for="q" { "Guest name or email" }
                input #q type="search" name="q" value=(search.clone().unwrap_or_default()) maxlength="100";
            }
            div {
                label for="calendar" { "Booking calendar" }
                select #calendar name="calendar" {
                    option value="" { "Any" }
                    @for c in &calendars { option value=(c.id) selected[calendar.as_ref() == Some(&c.id)] { (c.name) } }
                }
            }
            @if !pages.is_empty() {
                div {
                    label for="page" { "Booking page" }
                    select #page name="page" {
                        option value="" { "Any" }
                        @for p in &pages { option value=(p.id) selected[page_id.as_ref() == Some(&p.id)] { (p.name) } }
                    }
                }
            }
            div { label for="from" { "From" } input #from type="date" name="from" value=[from_day.map(|d| d.to_string())]; }
            div { label for="to" { "To" } input #to type="date" name="to" value=[to_day.map(|d| d.to_string())]; }
            div { button type="submit" { "Search" } }
        }
        @if rows.is_empty() {
            p.card { "No bookings here." }
        } @else {
            table.list {
                caption.muted { (tab_label) }
                thead {
                    tr {
                        th scope="col" { "When" }
                        th scope="col" { "Guest" }
                        th scope="col" { "Meeting" }
                        @if signed.is_admin() { th scope="col" { "Host" } }
                        th scope="col" { "Status" }
                    }
                }
                tbody {
                    @for r in &rows {
                        tr {
                            td { (when(r.start_time, &zone)) " · " (r.duration_minutes) " min" }
                            td { (r.guest_name) br; span.muted { (r.guest_email) } }
                            td { a href={ "/app/bookings/" (r.id) } { (r.subject) } }
                            @if signed.is_admin() { td { (r.owner_name) } }
                            td { span.status { (r.status.as_str().replace('_', " ")) } }
                        }
                    }
                }
            }
        }
        div.pager {
            @if offset > 0 {
                a href=(base.with("offset", Some(&(offset - PAGE).max(0).to_string())).href("/app/bookings")) { "← Previous" }
            } @else { span {} }
            @if more {
                a href=(base.with("offset", Some(&(offset + PAGE).to_string())).href("/app/bookings")) { "Next →" }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page("Bookings", &signed, Section::Bookings, body),
    )
}
