//! Scheduling as a service the API and the public pages share: which start times a calendar
//! offers, booking one of them (host choice, booking, contact and event in one transaction),
//! and applying lifecycle actions to a booking.

use std::collections::BTreeMap;

use rand::{distributions::Alphanumeric, Rng};
use serde_json::{json, Value};
use slotline_domain::{
    availability::{free_slots, Host, Interval},
    id::{
        self, AccountId, BookingCalendarId, BookingId, BookingPageId, ContactId, ConversationId,
        EventId, EventTypeId, MasterPageId, UserId,
    },
    lifecycle::{self, Action, Actor, NotAllowed},
    notice::Change,
    schedule::Schedule,
};

use slotline_domain::settings::Settings;

use crate::{
    http::error::{AppError, AppResult},
    services::{meetings, notify, Ctx},
    store::{
        booking_calendars::BookingCalendar,
        booking_pages::{self, BookingPage},
        bookings::{self, Booking, Effects, GuestContact, HostTime, NewEvent},
        calendar_writes::CalendarWrite,
        event_types::{self, EventType},
        teams, users, Db,
    },
    views,
};

const MINUTE: i64 = 60_000;

/// What a guest books on: a booking calendar, or a classic booking page with an event type.
#[derive(Debug, Clone)]
pub struct Target {
    pub booking_calendar_id: Option<BookingCalendarId>,
    pub booking_page_id: Option<BookingPageId>,
    pub master_page_id: Option<MasterPageId>,
    pub event_type_id: Option<EventTypeId>,
    /// `USR-…`, or `TM-…` for a team calendar.
    pub host_id: id::Host,
    /// `single`, `round_robin` or `collective`.
    pub distribution: String,
    pub subject: String,
    pub settings: Settings,
    /// Ad hoc co-hosts (users) who must be free too and join the booking (`co_hosts=`).
    pub co_hosts: Vec<UserId>,
}

impl Target {
    pub fn calendar(c: &BookingCalendar) -> Target {
        Target {
            booking_calendar_id: Some(c.id.clone()),
            booking_page_id: None,
            master_page_id: None,
            event_type_id: None,
            host_id: c.host_id.clone(),
            distribution: c.distribution.clone(),
            subject: c.subject.clone(),
            settings: c.settings.clone(),
            co_hosts: vec![],
        }
    }

    /// A booking page offering `event_type` (its name becomes the subject).
    pub fn page(p: &BookingPage, event_type: Option<&EventType>) -> Target {
        Target {
            booking_calendar_id: None,
            booking_page_id: Some(p.id.clone()),
            master_page_id: p.master_page_id.clone(),
            event_type_id: event_type.map(|e| e.id.clone()),
            host_id: id::Host::User(p.owner_id.clone()),
            distribution: "single".into(),
            subject: event_type
                .map(|e| e.name.clone())
                .unwrap_or_else(|| p.name.clone()),
            settings: p.settings.clone(),
            co_hosts: vec![],
        }
    }

    /// The duration a moved booking keeps here: its own, or the first offered when this target
    /// no longer offers it.
    pub fn duration_of(&self, b: &Booking) -> u32 {
        let own = b.duration_minutes as u32;
        if self.settings.durations.contains(&own) {
            own
        } else {
            self.settings.durations.first().copied().unwrap_or(30)
        }
    }

    fn is_where(&self, b: &Booking) -> bool {
        b.booking_calendar_id == self.booking_calendar_id
            && b.booking_page_id == self.booking_page_id
    }
}

/// A booking page and the event type asked for: required when the page offers several, and
/// it must be one the page offers.
pub async fn page_target(
    db: &Db,
    account_id: &AccountId,
    id: &BookingPageId,
    event_type: Option<&str>,
) -> AppResult<(Target, bool)> {
    let page = booking_pages::get(db, account_id, id)
        .await?
        .filter(|p| !p.deleted)
        .ok_or_else(|| AppError::not_found("booking page", id.as_str()))?;
    let chosen = match (event_type, page.event_type_ids.as_slice()) {
        (Some(et), offered) => match offered.iter().find(|o| *o == et) {
            Some(o) => Some(o.clone()),
            None => {
                return Err(AppError::invalid(
                    format!("This booking page does not offer the event type: '{et}'"),
                    "event_type",
                ))
            }
        },
        (None, [only]) => Some(only.clone()),
        (None, []) => None,
        (None, _) => {
            return Err(AppError::invalid(
                "This booking page offers several event types: choose one.",
                "event_type",
            ))
        }
    };
    let et = match chosen {
        Some(id) => event_types::get(db, account_id, &id).await?,
        None => None,
    };
    Ok((Target::page(&page, et.as_ref()), page.active))
}

/// What a guest asks for, already validated against the target's settings.
pub struct Request {
    /// The guest's subject for the meeting, in place of the target's.
    pub subject: Option<String>,
    pub start: i64,
    pub duration: u32,
    pub guest_time_zone: String,
    /// `{name, email, phone, mobile_phone, note, company, guests, custom_fields}`.
    pub form_submission: Value,
    pub location: Option<Value>,
    pub utm_params: Option<Value>,
    /// The one-time link booked through, used up by the same transaction.
    pub one_time_link: Option<String>,
    /// The chatbot conversation the booking is made in.
    pub conversation_id: Option<ConversationId>,
}

/// One member's working data: zone, schedule, busy time.
pub struct Member {
    user_id: UserId,
    email: String,
    zone: jiff::tz::TimeZone,
    schedule: Schedule,
    busy: Vec<Interval>,
    starts: Vec<i64>,
    /// An ad hoc co-host rather than one of the calendar's own hosts.
    co: bool,
}

/// The users a calendar can book: its user, or its team's live members.
/// `except_booking`'s own time is not counted as busy (a guest moving that booking).
pub async fn members(
    db: &Db,
    account_id: &AccountId,
    cal: &Target,
    duration: u32,
    window: Interval,
    except_booking: Option<&BookingId>,
) -> AppResult<Vec<Member>> {
    let ids: Vec<UserId> = match &cal.host_id {
        id::Host::Team(team) => teams::live_member_ids(db, team).await?,
        id::Host::User(user) => vec![user.clone()],
    };
    // What the engine looks at for slots starting in `window`: busy time overlapping a slot with
    // its buffers, and, under a daily cap, the bookings of the local days around the window.
    let s = &cal.settings;
    let busy = Interval {
        start: window.start - s.buffer_before_minutes as i64 * MINUTE,
        end: window.end + (duration as i64 + s.buffer_after_minutes as i64) * MINUTE,
    };
    let margin = 2 * 24 * 60 * MINUTE;
    let starts = s.max_bookings_per_day.map(|_| Interval {
        start: window.start - margin,
        end: window.end + margin,
    });
    let co: Vec<UserId> = cal
        .co_hosts
        .iter()
        .filter(|c| !ids.contains(c))
        .cloned()
        .collect();
    let mut out = Vec::new();
    for (id, is_co) in ids
        .into_iter()
        .map(|i| (i, false))
        .chain(co.into_iter().map(|i| (i, true)))
    {
        let found =
            bookings::host_and_busy(db, account_id, &id, busy, starts, except_booking).await?;
        let Some((host, busy, starts)) = found else {
            continue;
        };
        let zone = jiff::tz::TimeZone::get(&host.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        out.push(Member {
            user_id: id,
            email: host.email,
            zone,
            schedule: host.schedule,
            busy,
            starts,
            co: is_co,
        });
    }
    Ok(out)
}

/// The hosts' calendars to bring in line with `b` (its hosts now, and `before`, who had it).
async fn calendar_write(ctx: Ctx<'_>, b: &Booking, before: &[UserId]) -> AppResult<CalendarWrite> {
    let mut users = b.hosts.clone();
    users.extend(before.iter().filter(|h| !b.hosts.contains(h)).cloned());
    Ok(CalendarWrite {
        uid: notify::calendar_uid(ctx, b).await?,
        booking_id: b.id.clone(),
        users,
    })
}

/// Start times offered by the calendar in `window`, with the members free at each.
fn offered(
    cal: &Target,
    members: &[Member],
    duration: u32,
    window: Interval,
    now: i64,
) -> BTreeMap<i64, Vec<usize>> {
    let rules = cal.settings.rules(duration);
    let mut free: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    let mut co_free: BTreeMap<i64, usize> = BTreeMap::new();
    for (i, m) in members.iter().enumerate() {
        let host = Host {
            zone: &m.zone,
            schedule: &m.schedule,
            busy: &m.busy,
            booked_starts: &m.starts,
        };
        for slot in free_slots(&host, &rules, window, now) {
            if m.co {
                *co_free.entry(slot.start).or_default() += 1;
            } else {
                free.entry(slot.start).or_default().push(i);
            }
        }
    }
    let own = members.iter().filter(|m| !m.co).count();
    if cal.distribution == "collective" {
        free.retain(|_, who| who.len() == own);
    }
    // Co-hosts: only times when every one of them is free as well.
    let co = members.len() - own;
    if co > 0 {
        free.retain(|start, _| co_free.get(start) == Some(&co));
    }
    free
}

/// Start times the calendar offers in `window` for `duration`.
pub async fn time_slots(
    db: &Db,
    account_id: &AccountId,
    cal: &Target,
    duration: u32,
    window: Interval,
    now: i64,
) -> AppResult<Vec<i64>> {
    time_slots_except(db, account_id, cal, duration, window, now, None).await
}

/// [`time_slots`] where `except_booking`'s own time counts as free (a guest moving it).
pub async fn time_slots_except(
    db: &Db,
    account_id: &AccountId,
    cal: &Target,
    duration: u32,
    window: Interval,
    now: i64,
    except_booking: Option<&BookingId>,
) -> AppResult<Vec<i64>> {
    let members = members(db, account_id, cal, duration, window, except_booking).await?;
    Ok(offered(cal, &members, duration, window, now)
        .into_keys()
        .collect())
}

fn token() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// The event of a booking change; a booking made in a chatbot conversation carries it expanded,
/// as OnceHub's booking webhooks do.
async fn event_for(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    booking: &Booking,
    host_emails: &[String],
    event_type: Option<&'static str>,
    now: i64,
) -> AppResult<Option<NewEvent>> {
    let (db, base_url) = (ctx.db, ctx.base_url);
    let Some(t) = event_type else { return Ok(None) };
    let mut data = views::booking::webhook_data(base_url, booking, host_emails);
    if let Some(cid) = &booking.conversation_id {
        if let Some(c) = crate::store::conversations::get(db, account_id, cid).await? {
            data.conversation = crate::views::conversation::rest_json(&c, &serde_json::Map::new());
        }
    }
    let id = EventId::new();
    Ok(Some(NewEvent {
        payload: views::event::envelope(&id, t, now, data),
        id,
        event_type: t,
        creation_time: now,
        conversation_id: None,
    }))
}

/// Books `req.start` on the calendar if it is still offered: picks the host (round robin: the
/// free member booked least recently; collective: every member), then writes the booking, its
/// guest's contact and its event together. "Not available" when the time is gone.
pub async fn book(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    cal: &Target,
    req: Request,
) -> AppResult<Booking> {
    match place(ctx, account_id, cal, req, ctx.now(), None).await {
        Ok(b) => Ok(b),
        Err(Refused::Failed(e)) => Err(e),
        Err(Refused::NotAllowed) => Err(AppError::NotAvailable),
    }
}

/// A guest moves `old` to a new time (on the same or another calendar): the old booking ends and
/// the new one is created in one transaction, linked by `rescheduled_booking_id`. Allowed while
/// `old` is live, or after the user asked the guest to reschedule it.
#[allow(clippy::too_many_arguments)]
pub async fn reschedule(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    old: &Booking,
    cal: &Target,
    req: Request,
    reason: String,
) -> Result<Booking, Refused> {
    let db = ctx.db;
    let asked_to = old.status == lifecycle::Status::Canceled
        && bookings::has_event(db, &old.id, "booking.canceled_reschedule_requested").await?;
    if !asked_to {
        lifecycle::apply(Some(old.status), Action::RescheduleAway)?;
    }
    place(ctx, account_id, cal, req, ctx.now(), Some((old, reason))).await
}

async fn place(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    cal: &Target,
    req: Request,
    now: i64,
    old: Option<(&Booking, String)>,
) -> Result<Booking, Refused> {
    let db = ctx.db;
    let window = Interval {
        start: req.start,
        end: req.start + 1,
    };
    let members = members(
        db,
        account_id,
        cal,
        req.duration,
        window,
        old.as_ref().map(|(b, _)| &b.id),
    )
    .await?;
    let offered = offered(cal, &members, req.duration, window, now);
    let free = offered
        .get(&req.start)
        .ok_or_else(bookings::not_available)?;
    let mut chosen: Vec<&Member> = match cal.distribution.as_str() {
        "collective" => members.iter().filter(|m| !m.co).collect(),
        "round_robin"
            if old.as_ref().is_some_and(|(b, _)| {
                free.iter().any(|i| b.hosts.contains(&members[*i].user_id))
            }) =>
        {
            // A guest moving a booking keeps their host when that host is free.
            let (b, _) = old.as_ref().expect("checked");
            members
                .iter()
                .filter(|m| !m.co && b.hosts.contains(&m.user_id))
                .take(1)
                .collect()
        }
        "round_robin" => {
            let candidates: Vec<UserId> =
                free.iter().map(|i| members[*i].user_id.clone()).collect();
            let mut last = bookings::last_booked(db, &candidates).await?;
            last.sort_by_key(|(id, at)| (at.unwrap_or(i64::MIN), id.clone()));
            let pick = last
                .first()
                .map(|(id, _)| id.clone())
                .ok_or_else(bookings::not_available)?;
            members.iter().filter(|m| m.user_id == pick).collect()
        }
        _ => free.iter().map(|i| &members[*i]).collect(),
    };
    chosen.extend(members.iter().filter(|m| m.co));
    let approval_required = cal.settings.approval_required;
    let one_time_link = req.one_time_link;
    let hosts: Vec<UserId> = chosen.iter().map(|m| m.user_id.clone()).collect();
    let action = match &old {
        None => Action::Schedule { approval_required },
        Some((b, _)) => Action::Rebook {
            same_host: cal.is_where(b) && b.hosts == hosts,
            approval_required,
        },
    };
    let transition = lifecycle::apply(None, action)?;
    let info = old.as_ref().map(|(b, reason)| json!({"reason": reason, "actioned_by": Actor::Customer.as_str(), "user_id": b.owner_id}));
    let name = req.form_submission["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (first, last) = name
        .split_once(' ')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap_or((name.clone(), String::new()));
    let mut booking = Booking {
        id: BookingId::new(),
        status: transition.status,
        booking_calendar_id: cal.booking_calendar_id.clone(),
        booking_page_id: cal.booking_page_id.clone(),
        master_page_id: cal.master_page_id.clone(),
        event_type_id: cal.event_type_id.clone(),
        owner_id: chosen[0].user_id.clone(),
        // The id the guest's contact gets if they are new; the store puts the existing
        // contact's in its place otherwise.
        contact_id: ContactId::new(),
        conversation_id: req.conversation_id,
        subject: req.subject.unwrap_or_else(|| cal.subject.clone()),
        start_time: req.start,
        duration_minutes: req.duration as i64,
        customer_timezone: req.guest_time_zone.clone(),
        location: meetings::for_host(ctx, account_id, &chosen[0].user_id, req.location).await?,
        utm_params: req.utm_params,
        rescheduled_booking_id: old.as_ref().map(|(b, _)| b.id.clone()),
        cancel_info: info.clone(),
        token: token(),
        creation_time: now,
        last_updated_time: now,
        // A reschedule is the same meeting changed once more.
        revision: old.as_ref().map_or(0, |(b, _)| b.revision + 1),
        external_calendar: None,
        hosts,
        form_submission: req.form_submission,
    };
    let guest = GuestContact {
        email: booking.form_submission["email"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        first_name: first,
        last_name: last,
        mobile_phone: booking.form_submission["mobile_phone"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        timezone: req.guest_time_zone,
        owner_id: booking.owner_id.clone(),
    };
    let host_times: Vec<HostTime> = chosen
        .iter()
        .map(|m| HostTime {
            user_id: m.user_id.clone(),
            busy_start: booking.start_time - cal.settings.buffer_before_minutes as i64 * MINUTE,
            busy_end: booking.end_time() + cal.settings.buffer_after_minutes as i64 * MINUTE,
        })
        .collect();
    let emails: Vec<String> = chosen.iter().map(|m| m.email.clone()).collect();
    let event = event_for(ctx, account_id, &booking, &emails, transition.event, now).await?;
    let requested = booking.status == lifecycle::Status::Requested;
    let about = notify::About {
        change: match (&old, requested) {
            (None, false) => Change::Scheduled,
            (None, true) => Change::Requested,
            (Some(_), false) => Change::Rescheduled,
            (Some(_), true) => Change::RescheduleAwaitingApproval,
        },
        booking: &booking,
        before: old.as_ref().map(|(b, _)| *b),
        reason: None,
        tell_guest: true,
        settings: Some(&cal.settings.notifications),
    };
    let before_hosts = old.as_ref().map_or(&[][..], |(b, _)| b.hosts.as_slice());
    let effects = Effects {
        messages: notify::messages(ctx, account_id, &about).await?,
        event,
        drop_reminders: old.as_ref().map(|(b, _)| b.id.clone()),
        calendar: Some(calendar_write(ctx, &booking, before_hosts).await?),
    };
    match old {
        None => {
            bookings::create(
                db,
                account_id,
                &mut booking,
                &host_times,
                &guest,
                &effects,
                one_time_link.as_deref(),
            )
            .await?
        }
        Some((b, _)) => {
            // A live booking ends with this move; one the user already cancelled keeps its record.
            let (status, old_info) = if b.status.holds_time() {
                (lifecycle::Status::Canceled, info.as_ref())
            } else {
                (b.status, None)
            };
            if !bookings::reschedule(
                db,
                account_id,
                b,
                status,
                old_info,
                &mut booking,
                &host_times,
                &guest,
                &effects,
            )
            .await?
            {
                return Err(Refused::NotAllowed);
            }
        }
    }
    crate::measure::booking(transition.event);
    Ok(booking)
}

/// Why a change was not made.
pub enum Refused {
    /// The booking's status does not allow the action (or it changed meanwhile).
    NotAllowed,
    Failed(crate::http::error::AppError),
}

impl From<crate::store::StoreError> for Refused {
    fn from(e: crate::store::StoreError) -> Self {
        Refused::Failed(e.into())
    }
}

impl From<crate::http::error::AppError> for Refused {
    fn from(e: crate::http::error::AppError) -> Self {
        Refused::Failed(e)
    }
}

impl From<NotAllowed> for Refused {
    fn from(_: NotAllowed) -> Self {
        Refused::NotAllowed
    }
}

/// Applies a lifecycle action to a booking; `reason` records `cancel_reschedule_information`.
/// The status change and its event are written in one transaction.
/// `tell_guest` false keeps the guest's message back (the API's `send_cancellation_email`).
pub async fn change(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    b: &Booking,
    action: Action,
    reason: Option<(String, Actor)>,
    tell_guest: bool,
) -> Result<Booking, Refused> {
    let (db, now) = (ctx.db, ctx.now());
    let transition = lifecycle::apply(Some(b.status), action)?;
    let cancel_info = reason.as_ref().map(
        |(r, actor)| json!({"reason": r, "actioned_by": actor.as_str(), "user_id": b.owner_id}),
    );
    let mut after = b.clone();
    after.status = transition.status;
    after.last_updated_time = now;
    after.revision += 1;
    if let Some(info) = &cancel_info {
        after.cancel_info = Some(info.clone());
    }
    let found = users::get_many(db, account_id, &after.hosts).await?;
    let emails: Vec<String> = after
        .hosts
        .iter()
        .filter_map(|h| found.get(h).map(|u| u.email.clone()))
        .collect();
    let event = event_for(ctx, account_id, &after, &emails, transition.event, now).await?;
    let told = match action {
        Action::Approve { .. } => Some(Change::Approved),
        Action::Decline => Some(Change::Declined),
        Action::Cancel(_) => Some(Change::Canceled),
        Action::RequestReschedule => Some(Change::RescheduleRequested),
        _ => None,
    };
    let messages = match told {
        Some(change) => {
            let about = notify::About {
                change,
                booking: &after,
                before: None,
                reason: reason.as_ref().map(|(r, a)| (r.as_str(), *a)),
                tell_guest,
                settings: None,
            };
            notify::messages(ctx, account_id, &about).await?
        }
        None => Vec::new(),
    };
    // Completion keeps the follow-up; every other change replaces what is still to come.
    let calendar = match action {
        Action::Complete => None,
        _ => Some(calendar_write(ctx, &after, &b.hosts).await?),
    };
    let effects = Effects {
        event,
        messages,
        drop_reminders: (!matches!(action, Action::Complete)).then(|| b.id.clone()),
        calendar,
    };
    if !bookings::transition(
        db,
        account_id,
        &b.id,
        b.status,
        transition.status,
        cancel_info.as_ref(),
        &effects,
        now,
    )
    .await?
    {
        return Err(Refused::NotAllowed);
    }
    crate::measure::booking(transition.event);
    Ok(after)
}

/// Why a reassignment was refused.
pub enum ReassignRefused {
    Status,
    SameHost,
    Failed(crate::http::error::AppError),
}

impl From<crate::store::StoreError> for ReassignRefused {
    fn from(e: crate::store::StoreError) -> Self {
        ReassignRefused::Failed(e.into())
    }
}

impl From<crate::http::error::AppError> for ReassignRefused {
    fn from(e: crate::http::error::AppError) -> Self {
        ReassignRefused::Failed(e)
    }
}

/// Gives a booking to `new_host` (a live user of the account, checked by the caller), keeping
/// its time and buffers; the new host must be free then. Writes `booking.reassigned`.
pub async fn reassign(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    b: &Booking,
    new_host: &users::User,
    location: Option<Value>,
) -> Result<Booking, ReassignRefused> {
    let (db, now) = (ctx.db, ctx.now());
    let transition =
        lifecycle::apply(Some(b.status), Action::Reassign).map_err(|_| ReassignRefused::Status)?;
    let old_host = b
        .hosts
        .first()
        .cloned()
        .unwrap_or_else(|| b.owner_id.clone());
    if b.hosts.contains(&new_host.id) {
        return Err(ReassignRefused::SameHost);
    }
    let held = bookings::host_time(db, &b.id, &old_host)
        .await?
        .map(|h| (h.busy_start, h.busy_end))
        .unwrap_or((b.start_time, b.end_time()));
    let time = HostTime {
        user_id: new_host.id.clone(),
        busy_start: held.0,
        busy_end: held.1,
    };
    let mut after = b.clone();
    after.last_updated_time = now;
    after.revision += 1;
    after.hosts = b
        .hosts
        .iter()
        .map(|h| {
            if *h == old_host {
                new_host.id.clone()
            } else {
                h.clone()
            }
        })
        .collect();
    // The new host meets in a room of their own when the provider makes rooms.
    let location = meetings::for_host(
        ctx,
        account_id,
        &new_host.id,
        location.or_else(|| b.location.clone()),
    )
    .await?
    .filter(|l| Some(l) != b.location.as_ref());
    if location.is_some() {
        after.location = location.clone();
    }
    let found = users::get_many(db, account_id, &after.hosts).await?;
    let emails: Vec<String> = after
        .hosts
        .iter()
        .filter_map(|h| found.get(h).map(|u| u.email.clone()))
        .collect();
    let event = event_for(ctx, account_id, &after, &emails, transition.event, now).await?;
    let about = notify::About {
        change: Change::Reassigned,
        booking: &after,
        before: Some(b),
        reason: None,
        tell_guest: true,
        settings: None,
    };
    let effects = Effects {
        messages: notify::messages(ctx, account_id, &about).await?,
        event,
        drop_reminders: Some(b.id.clone()),
        calendar: Some(calendar_write(ctx, &after, &b.hosts).await?),
    };
    if !bookings::reassign(
        db,
        account_id,
        &b.id,
        b.status,
        &old_host,
        &time,
        location.as_ref(),
        &effects,
        now,
    )
    .await?
    {
        return Err(ReassignRefused::Status);
    }
    crate::measure::booking(transition.event);
    Ok(after)
}

/// Marks every live booking whose end time has passed as completed (`booking.completed`), in
/// batches. Returns how many it completed. A booking changed meanwhile is skipped.
pub async fn complete_due(ctx: Ctx<'_>) -> AppResult<usize> {
    let db = ctx.db;
    let mut done = 0;
    loop {
        let due = bookings::due_for_completion(db, ctx.now(), 100).await?;
        if due.is_empty() {
            return Ok(done);
        }
        let batch = due.len();
        for (account_id, b) in due {
            match change(ctx, &account_id, &b, Action::Complete, None, false).await {
                Ok(_) => done += 1,
                Err(Refused::NotAllowed) => {}
                Err(Refused::Failed(e)) => return Err(e),
            }
        }
        if batch < 100 {
            return Ok(done);
        }
    }
}

/// The user accepts a requested booking: `booking.scheduled`, or for a requested reschedule
/// `booking.rescheduled` / `booking.canceled_then_rescheduled` by whether the host stayed.
pub async fn approve(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    b: &Booking,
) -> Result<Booking, Refused> {
    let db = ctx.db;
    let same_host = match &b.rescheduled_booking_id {
        None => None,
        Some(old_id) => {
            let old = bookings::get(db, account_id, old_id).await?;
            Some(old.is_some_and(|o| {
                o.booking_calendar_id == b.booking_calendar_id
                    && o.booking_page_id == b.booking_page_id
                    && o.hosts == b.hosts
            }))
        }
    };
    change(
        ctx,
        account_id,
        b,
        Action::Approve {
            reschedule_of_same_host: same_host,
        },
        None,
        true,
    )
    .await
}
