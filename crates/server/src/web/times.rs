//! Times as a guest reads them: instants in the guest's zone, the zone picker, and the week of
//! free times each booking step and the reschedule page show.

use maud::{html, Markup};
use slotline_domain::id::{AccountId, BookingId};

use super::query::Query;
use crate::{
    http::error::AppResult,
    services::scheduler::{self, Target},
    state::SharedState,
};

/// Days shown at once.
pub const WEEK: i64 = 7;

pub fn zone_of(name: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC)
}

pub fn zoned(ms: i64, zone: &str) -> jiff::Zoned {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(zone_of(zone))
}

/// `Monday 5 January 2026, 14:30`.
pub fn when(ms: i64, zone: &str) -> String {
    zoned(ms, zone).strftime("%A %-d %B %Y, %H:%M").to_string()
}

/// `2026-01-05 14:30:00`, for logs and the console.
pub fn stamp(ms: i64, zone: &str) -> String {
    zoned(ms, zone).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// A `datetime-local` input's value (`2026-01-05T14:30`) in `zone`, as milliseconds.
pub fn local_input(raw: &str, zone: &str) -> Option<i64> {
    let dt: jiff::civil::DateTime = raw.trim().parse().ok()?;
    dt.to_zoned(zone_of(zone))
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

/// The first instant of `date` in `zone`.
pub fn day_start(date: jiff::civil::Date, zone: &str) -> i64 {
    date.to_zoned(zone_of(zone))
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0)
}

/// The zones a guest can choose from: every `Area/City` name, and UTC.
pub fn zone_names() -> &'static [String] {
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
pub fn zone_picker(query: &Query, path: &str, zone: &str, auto: bool) -> Markup {
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

/// The instants from the first moment of `from` to the first of seven days later, in `zone`.
fn week_window(from: jiff::civil::Date, zone: &str) -> (i64, i64) {
    let end = from
        .checked_add(jiff::Span::new().days(WEEK))
        .unwrap_or(from);
    (day_start(from, zone), day_start(end, zone))
}

/// The free start times of `target` for the seven days from `from`, grouped by day in `zone`
/// (empty days kept); `except_booking`'s own time counts as free (a guest moving it).
pub async fn free_week(
    state: &SharedState,
    account_id: &AccountId,
    target: &Target,
    duration: u32,
    zone: &str,
    from: jiff::civil::Date,
    except_booking: Option<&BookingId>,
) -> AppResult<Vec<(jiff::civil::Date, Vec<i64>)>> {
    let (start, end) = week_window(from, zone);
    let now = state.now();
    let window = slotline_domain::availability::Interval {
        start: start.max(now),
        end: end.max(now + 1),
    };
    let starts = scheduler::time_slots_except(
        &state.db,
        account_id,
        target,
        duration,
        window,
        now,
        except_booking,
    )
    .await?;
    Ok(days_of(&starts, from, zone))
}

/// `starts` grouped by their day in `zone`, for the seven days from `from` (empty days kept).
fn days_of(
    starts: &[i64],
    from: jiff::civil::Date,
    zone: &str,
) -> Vec<(jiff::civil::Date, Vec<i64>)> {
    let mut days: Vec<(jiff::civil::Date, Vec<i64>)> = (0..WEEK)
        .filter_map(|i| from.checked_add(jiff::Span::new().days(i)).ok())
        .map(|d| (d, Vec::new()))
        .collect();
    for s in starts {
        let d = zoned(*s, zone).date();
        if let Some((_, list)) = days.iter_mut().find(|(day, _)| *day == d) {
            list.push(*s);
        }
    }
    days
}

/// The week of days and times; `href` makes each time's link.
pub fn week_view(
    days: &[(jiff::civil::Date, Vec<i64>)],
    zone: &str,
    href: impl Fn(i64) -> String,
) -> Markup {
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

pub fn parse_day(raw: Option<&str>) -> Option<jiff::civil::Date> {
    raw.and_then(|d| d.parse::<jiff::civil::Date>().ok())
}
