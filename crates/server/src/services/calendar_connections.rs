//! Connecting a user's calendars, for the API and the hosts' app alike: the address checked
//! as the worker will read it (its form and the outbound address guard), a CalDAV account's
//! calendars discovered and one chosen, the credentials sealed with the server key, and the
//! rule that only a CalDAV calendar takes bookings.

use slotline_domain::id::{AccountId, CalendarConnectionId, UserId};

use crate::{
    delivery::{
        caldav,
        calendars::{self, CalendarConfig, Credentials},
    },
    http::error::{AppError, AppResult},
    services::Ctx,
    store::{
        calendar_connections::{self as store, Connection, ConnectionPatch, Kind, NewConnection},
        users,
    },
};

const MAX_URL: usize = 2048;

/// A calendar to connect, as given.
#[derive(Default)]
pub struct Connect {
    /// `ics` or `caldav`.
    pub kind: String,
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub calendar_url: Option<String>,
    pub name: Option<String>,
    pub check_conflicts: Option<bool>,
    pub add_bookings: Option<bool>,
    pub tentative_busy: Option<bool>,
}

/// A change to a connection, as given.
#[derive(Default)]
pub struct Change {
    pub name: Option<String>,
    pub url: Option<String>,
    pub check_conflicts: Option<bool>,
    pub add_bookings: Option<bool>,
    pub tentative_busy: Option<bool>,
}

/// The worker's settings, or why calendars cannot be connected on this server.
pub fn configured(config: Option<&CalendarConfig>) -> AppResult<&CalendarConfig> {
    config.ok_or_else(|| {
        AppError::unavailable(
            "Calendars cannot be connected: the server's secret key could not be read or made (see its log).",
        )
    })
}

/// A live user of the account.
pub async fn user_of(ctx: Ctx<'_>, account_id: &AccountId, id: &UserId) -> AppResult<()> {
    users::get(ctx.db, account_id, id)
        .await?
        .filter(|u| !u.deleted)
        .map(|_| ())
        .ok_or_else(|| AppError::not_found("user", id))
}

pub fn name_of(name: Option<String>) -> AppResult<Option<String>> {
    match name {
        None => Ok(None),
        Some(n) if n.trim().is_empty() || n.chars().count() > 200 => {
            Err(AppError::invalid(format!("Invalid name: '{n}'"), "name"))
        }
        Some(n) => Ok(Some(n.trim().to_string())),
    }
}

/// A calendar's address checked as the worker will read it: its form, and the address guard.
pub fn address(config: Option<&CalendarConfig>, url: &str) -> AppResult<reqwest::Url> {
    let invalid = |why: String| AppError::invalid(format!("Invalid url: {why}"), "url");
    if url.len() > MAX_URL {
        return Err(invalid(format!("longer than {MAX_URL} characters")));
    }
    let parsed = calendars::feed_url(url).map_err(invalid)?;
    let policy = &configured(config)?.policy;
    if let Some(why) = crate::delivery::send::refused_url(&parsed, policy) {
        return Err(invalid(why));
    }
    Ok(parsed)
}

/// Whether bookings go to the calendar: only a CalDAV calendar can take them.
pub fn writable(kind: Kind, asked: Option<bool>) -> AppResult<bool> {
    match (kind, asked) {
        (Kind::Ics, Some(true)) => Err(AppError::invalid(
            "An ICS feed is read-only: bookings can be added to a CalDAV calendar.",
            "add_bookings",
        )),
        (_, asked) => Ok(asked.unwrap_or(false)),
    }
}

pub fn login(username: Option<String>, password: Option<String>) -> AppResult<(String, String)> {
    let username = username
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| AppError::invalid("A CalDAV connection needs a username.", "username"))?;
    let password = password
        .filter(|p| !p.is_empty())
        .ok_or_else(|| AppError::invalid("A CalDAV connection needs a password.", "password"))?;
    if username.chars().count() > 200 {
        return Err(AppError::invalid(
            "Invalid username: longer than 200 characters",
            "username",
        ));
    }
    if password.len() > 1024 {
        return Err(AppError::invalid(
            "Invalid password: longer than 1024 bytes",
            "password",
        ));
    }
    Ok((username.trim().to_string(), password))
}

/// The account's calendars, or why they cannot be listed (the server's own words).
pub async fn discover(
    config: Option<&CalendarConfig>,
    url: &reqwest::Url,
    username: &str,
    password: &str,
) -> AppResult<Vec<caldav::Calendar>> {
    let config = configured(config)?;
    let account = caldav::Account {
        url: url.clone(),
        username: username.to_string(),
        password: password.to_string(),
    };
    let found = caldav::discover(&config.http, &account)
        .await
        .map_err(|e| AppError::invalid(e, "url"))?;
    // Every calendar the server names must pass the same guard as the address given.
    let found: Vec<caldav::Calendar> = found
        .into_iter()
        .filter(|c| crate::delivery::send::refused_url(&c.url, &config.policy).is_none())
        .collect();
    if found.is_empty() {
        return Err(AppError::invalid(
            "This CalDAV account has no calendar that holds events.",
            "url",
        ));
    }
    Ok(found)
}

fn choose<'a>(
    config: Option<&CalendarConfig>,
    found: &'a [caldav::Calendar],
    wanted: Option<&str>,
) -> AppResult<&'a caldav::Calendar> {
    let names = || {
        found
            .iter()
            .map(|c| format!("{} ({})", c.name, c.url))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted.filter(|w| !w.trim().is_empty()) {
        None if found.len() == 1 => Ok(&found[0]),
        None => Err(AppError::invalid(
            format!(
                "This account has several calendars; choose one as calendar_url: {}",
                names()
            ),
            "calendar_url",
        )),
        Some(w) => {
            let w = address(config, w).map_err(|_| {
                AppError::invalid(format!("Invalid calendar_url: '{w}'"), "calendar_url")
            })?;
            found.iter().find(|c| c.url == w).ok_or_else(|| {
                AppError::invalid(
                    format!(
                        "This account has no such calendar. Its calendars: {}",
                        names()
                    ),
                    "calendar_url",
                )
            })
        }
    }
}

fn seal(
    config: Option<&CalendarConfig>,
    id: &CalendarConnectionId,
    creds: &Credentials,
) -> AppResult<String> {
    let plain = serde_json::to_vec(creds).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(configured(config)?.key.seal(&plain, id.as_str()))
}

/// Connects a calendar to a user.
pub async fn connect(
    ctx: Ctx<'_>,
    config: Option<&CalendarConfig>,
    account_id: &AccountId,
    user_id: &UserId,
    b: Connect,
) -> AppResult<Connection> {
    user_of(ctx, account_id, user_id).await?;
    let kind = match b.kind.as_str() {
        "ics" => Kind::Ics,
        "caldav" => Kind::Caldav,
        other => {
            return Err(AppError::invalid(
                format!("Invalid type: '{other}'. Supported: ics, caldav"),
                "type",
            ))
        }
    };
    let url = address(config, &b.url)?;
    let id = CalendarConnectionId::new();
    let (name, shown, username, creds) = match kind {
        Kind::Ics => (
            url.host_str().unwrap_or_default().to_string(),
            calendars::shown(&url),
            None,
            Credentials {
                url: b.url.trim().to_string(),
                password: None,
            },
        ),
        Kind::Caldav => {
            let (username, password) = login(b.username, b.password)?;
            let found = discover(config, &url, &username, &password).await?;
            let chosen = choose(config, &found, b.calendar_url.as_deref())?;
            (
                chosen.name.clone(),
                calendars::shown(&chosen.url),
                Some(username),
                Credentials {
                    url: chosen.url.to_string(),
                    password: Some(password),
                },
            )
        }
    };
    let secret = seal(config, &id, &creds)?;
    let new = NewConnection {
        name: name_of(b.name)?.unwrap_or(name),
        url_shown: shown,
        id,
        user_id: user_id.clone(),
        kind,
        username,
        secret,
        check_conflicts: b.check_conflicts.unwrap_or(true),
        add_bookings: writable(kind, b.add_bookings)?,
        tentative_busy: b.tentative_busy.unwrap_or(true),
    };
    Ok(store::create(ctx.db, account_id, &new, ctx.now()).await?)
}

/// A connection of the account.
pub async fn found(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &CalendarConnectionId,
) -> AppResult<Connection> {
    store::get(ctx.db, account_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("calendar connection", id))
}

/// Changes a connection: a feed's new address is sealed again; a CalDAV one cannot change.
pub async fn change(
    ctx: Ctx<'_>,
    config: Option<&CalendarConfig>,
    account_id: &AccountId,
    id: &CalendarConnectionId,
    b: Change,
) -> AppResult<Connection> {
    let before = found(ctx, account_id, id).await?;
    let credentials = match (&b.url, before.kind) {
        (Some(u), Kind::Ics) => {
            let parsed = address(config, u)?;
            let creds = Credentials {
                url: u.trim().to_string(),
                password: None,
            };
            Some((calendars::shown(&parsed), None, seal(config, id, &creds)?))
        }
        (Some(_), Kind::Caldav) => {
            return Err(AppError::invalid(
                "A CalDAV connection's address cannot change: connect the calendar anew.",
                "url",
            ))
        }
        (None, _) => None,
    };
    let patch = ConnectionPatch {
        name: name_of(b.name)?,
        check_conflicts: b.check_conflicts,
        add_bookings: b
            .add_bookings
            .map(|a| writable(before.kind, Some(a)))
            .transpose()?,
        tentative_busy: b.tentative_busy,
        credentials,
    };
    store::update(ctx.db, account_id, id, &patch, ctx.now())
        .await?
        .ok_or_else(|| AppError::not_found("calendar connection", id))
}
