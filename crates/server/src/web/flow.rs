//! Where a guest books, resolved from a public URL: the booking calendar, classic booking page
//! (with its event type) or one-time link behind it, the display zone, the duration, the
//! prefill, and the embedding site the page may talk to.

use axum::{http::StatusCode, response::Response};
use maud::Markup;
use serde_json::Value;
use slotline_domain::{
    id::{AccountId, BookingCalendarId, Host, MasterPageId},
    prefill::{Prefill, Product},
    settings::{origin_of, Settings},
};

use super::{
    client_events::{self, CalendarInfo},
    query::Query,
};
use crate::{
    http::layout::{self, FrameData},
    services::scheduler::Target,
    state::SharedState,
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

/// What the page books on.
pub enum Place {
    Calendar(BookingCalendar),
    Page(BookingPage, Option<EventType>),
}

/// Everything a step needs: the target, the display zone, the duration, the prefill and where
/// the page is embedded.
pub struct Flow {
    pub account_id: AccountId,
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
    layout::message(
        StatusCode::NOT_FOUND,
        "Page not found",
        "This booking page does not exist or is no longer available.",
    )
}

/// The page for a failure the guest cannot fix (the error is logged, not shown).
pub fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "public page failed");
    layout::message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Please try again in a moment.",
    )
}

/// The origin the embedding page claims (`sl.origin`), if this page may be embedded there.
pub fn embed_origin(settings: &Settings, query: &Query) -> Option<String> {
    let claimed = origin_of(query.get("sl.origin")?)?;
    (settings.embed_origins.is_empty() || settings.embed_origins.contains(&claimed))
        .then_some(claimed)
}

impl Flow {
    /// `prefill` is where the form's values come from: the query itself, or a one-time link's
    /// stored options (which stay out of the page's URLs).
    #[allow(clippy::too_many_arguments)]
    async fn build(
        state: &SharedState,
        account_id: AccountId,
        place: Place,
        path: String,
        query: Query,
        prefill: Option<&Query>,
        link: Option<String>,
        hide: bool,
    ) -> Result<Flow, Response> {
        let (mut target, product, host_id) = match &place {
            Place::Calendar(c) => (
                Target::calendar(c),
                Product::BookingCalendar,
                c.host_id.clone(),
            ),
            Place::Page(p, et) => (
                Target::page(p, et.as_ref()),
                Product::BookingPage,
                Host::User(p.owner_id.clone()),
            ),
        };
        let prefill = Prefill::parse(
            product,
            &prefill.unwrap_or(&query).0,
            &target.settings.questions,
        );
        // A team calendar booked with a specific member (`host=<email>`).
        if let (Some(email), Host::Team(team)) = (&prefill.host, &host_id) {
            let req = PageRequest {
                limit: 1,
                cursor: Cursor::None,
            };
            let found = users::list(&state.db, &account_id, Some(email), &req)
                .await
                .map_err(internal)?
                .0;
            if let Some(u) = found
                .into_iter()
                .find(|u| u.teams.contains(team) && !u.deleted)
            {
                target.host_id = Host::User(u.id);
                target.distribution = "single".into();
            }
        }
        // Ad hoc co-hosts (`co_hosts=`): users of the account; unknown emails are ignored.
        for email in &prefill.co_hosts {
            let req = PageRequest {
                limit: 1,
                cursor: Cursor::None,
            };
            let found = users::list(&state.db, &account_id, Some(email), &req)
                .await
                .map_err(internal)?
                .0;
            if let Some(u) = found
                .into_iter()
                .find(|u| !u.deleted && u.id != target.host_id && !target.co_hosts.contains(&u.id))
            {
                target.co_hosts.push(u.id);
            }
        }
        let host_label = host_name(state, &account_id, &target.host_id)
            .await
            .map_err(internal)?;
        let page_zone = match &place {
            Place::Page(p, _) => p.timezone.clone(),
            Place::Calendar(_) => "UTC".to_string(),
        };
        let asked_zone = query
            .get("iana_time_zone")
            .filter(|z| slotline_domain::timezone::is_valid(z))
            .map(str::to_string);
        let zone = asked_zone
            .clone()
            .or(prefill.time_zone.clone())
            .unwrap_or(page_zone);
        let durations = &target.settings.durations;
        let duration = prefill
            .duration
            .filter(|d| durations.contains(d))
            .unwrap_or_else(|| durations.first().copied().unwrap_or(30));
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

    pub fn title(&self) -> String {
        match &self.place {
            Place::Calendar(c) => c.name.clone(),
            Place::Page(p, Some(et)) => format!("{} — {}", et.name, p.label),
            Place::Page(p, None) => p.label.clone(),
        }
    }

    pub fn frame_ancestors(&self) -> String {
        layout::frame_ancestors(&self.target.settings.embed_origins)
    }

    /// An embed event about this booking calendar (none for classic pages).
    pub fn calendar_event(
        &self,
        state: &SharedState,
        make: impl FnOnce(&CalendarInfo) -> Value,
    ) -> Option<Value> {
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
    pub fn scope(&self) -> String {
        format!("book:{}", self.path)
    }

    pub fn respond(
        &self,
        status: StatusCode,
        title: &str,
        body: Markup,
        data: FrameData,
    ) -> Response {
        layout::respond(
            status,
            layout::page(title, body, &data),
            &self.frame_ancestors(),
        )
    }

    pub fn frame_data(&self, events: Vec<Value>) -> FrameData {
        FrameData {
            origin: self.origin.clone(),
            events,
            redirect: None,
        }
    }
}

async fn host_name(
    state: &SharedState,
    account_id: &AccountId,
    host_id: &Host,
) -> crate::http::error::AppResult<String> {
    let user = match host_id {
        Host::Team(team) => {
            return Ok(crate::store::teams::get(&state.db, account_id, team)
                .await?
                .map(|t| t.name)
                .unwrap_or_default())
        }
        Host::User(user) => user,
    };
    Ok(users::get(&state.db, account_id, user)
        .await?
        .map(|u| {
            format!("{} {}", u.first_name, u.last_name)
                .trim()
                .to_string()
        })
        .unwrap_or_default())
}

/// Where a booking scheduled on `place` sends the guest, with the booking data when the page
/// says so.
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
                &client_events::ClassicPage {
                    slug: &p.slug,
                    zone: &p.timezone,
                    questions: &p.settings.questions,
                },
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

pub async fn calendar_flow(state: &SharedState, key: &str, query: Query) -> Result<Flow, Response> {
    let (account_id, cal) = booking_calendars::public(&state.db, key)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let path = format!("/c/{}", cal.slug);
    Flow::build(
        state,
        account_id,
        Place::Calendar(cal),
        path,
        query,
        None,
        None,
        false,
    )
    .await
}

/// The event type a classic page books: the one asked for (`sl.event_type`), or its only one.
pub async fn page_flow(
    state: &SharedState,
    key: &str,
    query: Query,
) -> Result<Result<Flow, (AccountId, BookingPage, Vec<EventType>)>, Response> {
    let (account_id, page) = booking_pages::public(&state.db, key)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let mut offered = Vec::new();
    for id in &page.event_type_ids {
        if let Some(et) = event_types::get(&state.db, &account_id, id)
            .await
            .map_err(internal)?
        {
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
    Ok(Ok(Flow::build(
        state,
        account_id,
        Place::Page(page, chosen),
        path,
        query,
        None,
        None,
        false,
    )
    .await?))
}

fn link_query(link: &OneTimeLink, query: &Query) -> Query {
    let mut q = Query::default();
    let o = &link.options;
    if let Some(form) = o.get("booking_form").and_then(Value::as_object) {
        for (k, v) in form {
            let text = match v {
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
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
        let skips = s
            .get("skip")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|x| x == "contact_info"));
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
pub async fn link_flow(
    state: &SharedState,
    id: &str,
    query: Query,
) -> Result<Result<Flow, Response>, Response> {
    let (account_id, link) = one_time_links::public(&state.db, id, state.now())
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    if link.used_time.is_some() {
        return Err(layout::message(
            StatusCode::GONE,
            "Link already used",
            "This one-time link has already been used to book a meeting.",
        ));
    }
    let hide = link
        .options
        .get("hide_url_params")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let carried = link_query(&link, &query);
    // The link's URL stays bare: only the page's own state travels in it.
    let own = Query(
        query
            .0
            .iter()
            .filter(|(k, _)| k.starts_with("sl.") || k == "iana_time_zone")
            .cloned()
            .collect(),
    );
    let path = format!("/o/{}", link.id);
    match link.target_kind.as_str() {
        "booking_calendar" => {
            let Ok(cal_id) = BookingCalendarId::parse(link.target_id.as_str()) else {
                return Err(not_found());
            };
            let cal = booking_calendars::get(&state.db, &account_id, &cal_id)
                .await
                .map_err(internal)?
                .filter(|c| !c.deleted)
                .ok_or_else(not_found)?;
            Ok(Ok(Flow::build(
                state,
                account_id,
                Place::Calendar(cal),
                path,
                own,
                Some(&carried),
                Some(link.id.clone()),
                hide,
            )
            .await?))
        }
        _ => {
            // A master page's link: first choose a booking page, then book on it.
            let Ok(master_id) = MasterPageId::parse(link.target_id.as_str()) else {
                return Err(not_found());
            };
            let master = master_pages::get(&state.db, &account_id, &master_id)
                .await
                .map_err(internal)?
                .filter(|m| !m.deleted)
                .ok_or_else(not_found)?;
            let pages = booking_pages::of_master(&state.db, &account_id, &master.id)
                .await
                .map_err(internal)?;
            let Some(page) = query
                .get("sl.page")
                .and_then(|id| pages.iter().find(|p| p.id == id))
                .cloned()
            else {
                return Ok(Err(super::booking_flow::master_listing(
                    &master.label,
                    &pages,
                    &query,
                    |p| query.with("sl.page", Some(&p.id)).href(&path),
                )));
            };
            let chosen = match page.event_type_ids.first() {
                Some(et) => event_types::get(&state.db, &account_id, et)
                    .await
                    .map_err(internal)?,
                None => None,
            };
            Ok(Ok(Flow::build(
                state,
                account_id,
                Place::Page(page, chosen),
                path,
                own,
                Some(&carried),
                Some(link.id.clone()),
                hide,
            )
            .await?))
        }
    }
}
