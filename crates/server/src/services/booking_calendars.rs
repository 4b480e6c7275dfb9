//! Making and changing booking calendars, for the API and the hosts' app alike: whose the
//! calendar is (a live user, or a team with its distribution), its settings merged over the
//! defaults or its current ones by the domain's rules, its slug unique.

use serde_json::Value;
use slotline_domain::{
    id::{new_id, AccountId, BookingCalendarId, Host, IdKind},
    settings::Settings,
    slug,
};

use crate::{
    http::error::{AppError, AppResult},
    services::Ctx,
    store::{
        booking_calendars::{self, BookingCalendar, BookingCalendarPatch},
        teams, users,
    },
};

/// A calendar to make; values already checked for their form (name, subject, slug).
pub struct NewCalendar {
    /// A user id, or a team id.
    pub host: String,
    pub distribution: Option<String>,
    pub name: String,
    pub subject: Option<String>,
    pub slug: Option<String>,
    pub published: Option<bool>,
    /// Settings over the defaults.
    pub settings: Option<Value>,
}

/// A change to a calendar; absent fields are kept.
#[derive(Default)]
pub struct CalendarChange {
    pub host: Option<String>,
    pub distribution: Option<String>,
    pub name: Option<String>,
    pub subject: Option<String>,
    pub slug: Option<String>,
    pub published: Option<bool>,
    /// Settings over the current ones.
    pub settings: Option<Value>,
}

pub fn not_found(id: &str) -> AppError {
    AppError::not_found("booking calendar", id)
}

/// A live calendar of the account, or the spec's 404.
pub async fn live(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &BookingCalendarId,
) -> AppResult<BookingCalendar> {
    booking_calendars::get(ctx.db, account_id, id)
        .await?
        .filter(|c| !c.deleted)
        .ok_or_else(|| not_found(id))
}

/// `given` settings over `current`, by the domain's rules.
pub fn merge_settings(given: Option<&Value>, current: &Settings) -> AppResult<Settings> {
    match given {
        None | Some(Value::Null) => Ok(current.clone()),
        Some(v) => Ok(current.merge(v, || new_id(IdKind::Address))?),
    }
}

pub async fn create(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    new: NewCalendar,
) -> AppResult<BookingCalendar> {
    let (host, distribution) =
        host_and_distribution(ctx, account_id, &new.host, new.distribution).await?;
    let cal = BookingCalendar {
        id: BookingCalendarId::new(),
        host_id: host,
        distribution,
        subject: new.subject.unwrap_or_else(|| new.name.clone()),
        slug: new.slug.unwrap_or_else(|| slug::from_name(&new.name)),
        published: new.published.unwrap_or(true),
        settings: merge_settings(new.settings.as_ref(), &Settings::default())?,
        deleted: false,
        name: new.name,
    };
    let id = booking_calendars::create(ctx.db, account_id, &cal, ctx.now()).await?;
    live(ctx, account_id, &id).await
}

pub async fn update(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &BookingCalendarId,
    change: CalendarChange,
) -> AppResult<BookingCalendar> {
    let current = live(ctx, account_id, id).await?;
    let host = if change.host.is_some() || change.distribution.is_some() {
        let host = change.host.unwrap_or_else(|| current.host_id.to_string());
        let asked = change
            .distribution
            .or_else(|| (host == current.host_id.as_str()).then(|| current.distribution.clone()));
        Some(host_and_distribution(ctx, account_id, &host, asked).await?)
    } else {
        None
    };
    let settings = match &change.settings {
        Some(v) => Some(merge_settings(Some(v), &current.settings)?),
        None => None,
    };
    let patch = BookingCalendarPatch {
        host,
        name: change.name,
        subject: change.subject,
        slug: change.slug,
        published: change.published,
        settings,
    };
    if !booking_calendars::update(ctx.db, account_id, id, patch, ctx.now()).await? {
        return Err(not_found(id));
    }
    live(ctx, account_id, id).await
}

/// Checks a host (a live user or team of the account) and the distribution asked for it;
/// returns both to store.
pub async fn host_and_distribution(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    host: &str,
    asked: Option<String>,
) -> AppResult<(Host, String)> {
    let no_such = || AppError::invalid(format!("No such user or team: '{host}'"), "host");
    let host = Host::parse(host).map_err(|_| no_such())?;
    let (is_user, is_team) = match &host {
        Host::User(user) => (
            users::get(ctx.db, account_id, user)
                .await?
                .is_some_and(|u| !u.deleted),
            false,
        ),
        Host::Team(team) => (
            false,
            teams::get(ctx.db, account_id, team)
                .await?
                .is_some_and(|t| !t.deleted),
        ),
    };
    let distribution = match (is_user, is_team, asked.as_deref()) {
        (false, false, _) => Err(AppError::invalid(
            format!("No such user or team: '{host}'"),
            "host",
        )),
        (true, _, None | Some("single")) => Ok("single".into()),
        (true, _, Some(d)) => Err(AppError::invalid(
            format!("Invalid distribution for a user's calendar: '{d}'"),
            "distribution",
        )),
        (_, true, None) => Ok("round_robin".into()),
        (_, true, Some(d)) if d == "round_robin" || d == "collective" => Ok(d.to_string()),
        (_, true, Some(d)) => Err(AppError::invalid(
            format!("Invalid distribution: '{d}'. Use round_robin or collective."),
            "distribution",
        )),
    }?;
    Ok((host, distribution))
}
