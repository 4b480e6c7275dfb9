//! The events of a host's own calendars (iCalendar, RFC 5545) read as busy time.
//!
//! A feed or a CalDAV calendar hands us `VEVENT`s; what blocks a host is each event's time,
//! expanded over the window the scheduler looks at:
//!
//! - a timed event in its own zone (`TZID` naming an IANA zone, or the zone its `VTIMEZONE`
//!   names by `X-LIC-LOCATION`), in UTC (`…Z`), or floating (the host's zone);
//! - an all-day event (`VALUE=DATE`): the host's whole local days;
//! - a recurring event (`RRULE`, `RDATE`) expanded by the `rrule` crate in its zone, so a weekly
//!   09:00 meeting stays 09:00 across a DST change; `EXDATE`s removed; an override with the same
//!   `UID` and a `RECURRENCE-ID` replaces the occurrence it names;
//! - transparent (`TRANSP:TRANSPARENT`) and canceled events are free time; tentative ones are
//!   busy unless the connection says otherwise.
//!
//! Long events are stored in pieces of at most [`MAX_PIECE_MS`], so a reader can bound its
//! search by the piece length.

use std::collections::HashMap;

use chrono::TimeZone as _;
use icalendar::parser::{self, Component, Property};
use jiff::{
    civil::{Date, DateTime},
    tz::TimeZone,
    Timestamp, ToSpan,
};

use crate::{availability::Interval, time::Millis};

/// The longest stored piece of busy time: a three-week holiday is three pieces.
pub const MAX_PIECE_MS: Millis = 7 * 24 * 3_600_000;
/// Occurrences of one recurring event within a window, at most (a per-minute rule over a year
/// would otherwise be half a million).
const MAX_OCCURRENCES: u16 = 5_000;

/// How a connection reads its calendar.
#[derive(Debug, Clone)]
pub struct Reading<'a> {
    /// The host's zone: floating times and all-day dates are the host's local time.
    pub zone: &'a TimeZone,
    /// Whether tentative events block time.
    pub tentative_busy: bool,
    /// UIDs of events not to count: the bookings Slotline itself keeps in this calendar (their
    /// time is busy through the bookings already).
    pub skip_uids: Option<&'a std::collections::HashSet<String>>,
}

/// The busy time found, and how many events could not be read (skipped, not fatal).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Busy {
    pub intervals: Vec<Interval>,
    pub skipped: usize,
}

/// Why a calendar could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("This is not an iCalendar file: {0}")]
    NotICalendar(String),
}

/// The busy time of the events in `ics` (one calendar object or a whole feed) overlapping
/// `window`, merged and split into pieces of at most [`MAX_PIECE_MS`].
pub fn busy(ics: &str, window: Interval, how: &Reading<'_>) -> Result<Busy, FeedError> {
    let mut events = Vec::new();
    let mut zones = HashMap::new();
    read_objects(ics, &mut events, &mut zones)?;
    Ok(busy_of(&events, &zones, window, how))
}

/// The busy time of several calendar objects (a CalDAV calendar's resources).
pub fn busy_of_objects<'a>(
    objects: impl IntoIterator<Item = &'a str>,
    window: Interval,
    how: &Reading<'_>,
) -> Busy {
    let mut events = Vec::new();
    let mut zones = HashMap::new();
    let mut skipped = 0;
    for o in objects {
        if read_objects(o, &mut events, &mut zones).is_err() {
            skipped += 1;
        }
    }
    let mut b = busy_of(&events, &zones, window, how);
    b.skipped += skipped;
    b
}

/// An event as read, before expansion.
#[derive(Debug, Clone)]
struct Event {
    uid: String,
    start: When,
    end: End,
    rrule: Option<String>,
    rdates: Vec<When>,
    exdates: Vec<When>,
    recurrence_id: Option<When>,
    free: bool,
    tentative: bool,
}

/// A time as written: a date (all-day), a local time in a named zone, or an instant.
#[derive(Debug, Clone, PartialEq)]
enum When {
    Date(Date),
    Local(DateTime, Option<String>),
    Utc(Timestamp),
}

/// How an event's end is given.
#[derive(Debug, Clone)]
enum End {
    At(When),
    Lasting(Length),
    /// Neither `DTEND` nor `DURATION`: a day for a date, nothing for a time.
    Unsaid,
}

#[derive(Debug, Clone, Copy)]
enum Length {
    Days(i64),
    Millis(i64),
}

/// Reads each component of the calendar on its own: the parser's time grows with the square of
/// its input, so a whole feed of 10,000 events is never handed to it at once. A component that
/// cannot be read is skipped (an event counts as skipped); a text without a calendar is an error.
fn read_objects(
    ics: &str,
    events: &mut Vec<Result<Event, ()>>,
    zones: &mut HashMap<String, String>,
) -> Result<(), FeedError> {
    let unfolded = parser::unfold(&ics.replace("\r\n", "\n"));
    let mut depth = 0usize;
    let mut seen_calendar = false;
    let mut chunk = String::new();
    for line in unfolded.lines() {
        let line = line.trim_end_matches('\r');
        let upper = line.get(..6).unwrap_or_default().to_ascii_uppercase();
        if upper == "BEGIN:" {
            if depth == 0 {
                if !line[6..].trim().eq_ignore_ascii_case("VCALENDAR") {
                    return Err(FeedError::NotICalendar(format!("it begins with '{line}'")));
                }
                seen_calendar = true;
            }
            depth += 1;
        }
        if depth >= 2 {
            chunk.push_str(line);
            chunk.push('\n');
        }
        if upper.starts_with("END:") {
            if depth == 2 {
                component(&chunk, events, zones);
                chunk.clear();
            }
            depth = depth.saturating_sub(1);
        }
    }
    if !seen_calendar {
        return Err(FeedError::NotICalendar("no VCALENDAR in it".into()));
    }
    Ok(())
}

fn component(text: &str, events: &mut Vec<Result<Event, ()>>, zones: &mut HashMap<String, String>) {
    let is_event = text
        .get(..12)
        .is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VEVENT"));
    let Ok(mut parsed) = parser::read_components(text) else {
        if is_event {
            events.push(Err(()));
        }
        return;
    };
    let Some(c) = parsed.pop() else {
        return;
    };
    match c.name.as_str() {
        "VEVENT" => events.push(event(&c)),
        "VTIMEZONE" => {
            // A zone defined inline: use the IANA zone it says it is, when it says so.
            let tzid = prop(&c, "TZID").map(|p| p.val.as_str().to_string());
            let location = prop(&c, "X-LIC-LOCATION").map(|p| p.val.as_str().to_string());
            if let (Some(id), Some(loc)) = (tzid, location) {
                zones.insert(id, loc);
            }
        }
        _ => {}
    }
}

fn prop<'a>(c: &'a Component<'a>, name: &str) -> Option<&'a Property<'a>> {
    c.properties.iter().find(|p| p.name.as_str() == name)
}

fn param<'a>(p: &'a Property<'a>, key: &str) -> Option<&'a str> {
    p.params
        .iter()
        .find(|x| x.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|x| x.val.as_ref())
        .map(|v| v.as_str().trim_matches('"'))
}

fn event(c: &Component<'_>) -> Result<Event, ()> {
    let start_p = prop(c, "DTSTART").ok_or(())?;
    let start = when(start_p.val.as_str(), start_p).ok_or(())?;
    let end = if let Some(end) = prop(c, "DTEND") {
        End::At(when(end.val.as_str(), end).ok_or(())?)
    } else if let Some(d) = prop(c, "DURATION") {
        End::Lasting(duration(d.val.as_str()).ok_or(())?)
    } else {
        End::Unsaid
    };
    let list = |name: &str| -> Result<Vec<When>, ()> {
        let mut out = Vec::new();
        for p in c.properties.iter().filter(|p| p.name.as_str() == name) {
            for v in p.val.as_str().split(',') {
                out.push(when(v.trim(), p).ok_or(())?);
            }
        }
        Ok(out)
    };
    let status = prop(c, "STATUS").map(|p| p.val.as_str().to_ascii_uppercase());
    let transparent =
        prop(c, "TRANSP").is_some_and(|p| p.val.as_str().eq_ignore_ascii_case("TRANSPARENT"));
    Ok(Event {
        uid: prop(c, "UID")
            .map(|p| p.val.as_str().to_string())
            .unwrap_or_default(),
        start,
        end,
        rrule: prop(c, "RRULE").map(|p| p.val.as_str().to_string()),
        rdates: list("RDATE")?,
        exdates: list("EXDATE")?,
        recurrence_id: match prop(c, "RECURRENCE-ID") {
            Some(p) => Some(when(p.val.as_str(), p).ok_or(())?),
            None => None,
        },
        free: transparent || status.as_deref() == Some("CANCELLED"),
        tentative: status.as_deref() == Some("TENTATIVE"),
    })
}

/// A DATE or DATE-TIME value with its `TZID`.
fn when(v: &str, p: &Property<'_>) -> Option<When> {
    let v = v.trim();
    if v.len() == 8 || param(p, "VALUE").is_some_and(|x| x.eq_ignore_ascii_case("DATE")) {
        return Date::strptime("%Y%m%d", v.get(..8)?).ok().map(When::Date);
    }
    if let Some(utc) = v.strip_suffix('Z').or_else(|| v.strip_suffix('z')) {
        let dt = DateTime::strptime("%Y%m%dT%H%M%S", utc).ok()?;
        return dt
            .to_zoned(TimeZone::UTC)
            .ok()
            .map(|z| When::Utc(z.timestamp()));
    }
    let dt = DateTime::strptime("%Y%m%dT%H%M%S", v).ok()?;
    Some(When::Local(dt, param(p, "TZID").map(str::to_string)))
}

/// `DURATION`: `P1D`, `PT1H30M`, `P2W`, `-PT5M` (a negative length counts as none).
fn duration(v: &str) -> Option<Length> {
    let (neg, rest) = match v.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let rest = rest.strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut days = 0i64;
    let mut ms = 0i64;
    let mut num = String::new();
    for ch in date.chars() {
        match ch {
            '0'..='9' => num.push(ch),
            'W' => days += 7 * num.parse::<i64>().ok()?,
            'D' => days += num.parse::<i64>().ok()?,
            _ => return None,
        }
        if !ch.is_ascii_digit() {
            num.clear();
        }
    }
    for ch in time.chars() {
        let unit = match ch {
            '0'..='9' => {
                num.push(ch);
                continue;
            }
            'H' => 3_600_000,
            'M' => 60_000,
            'S' => 1_000,
            _ => return None,
        };
        ms += unit * num.parse::<i64>().ok()?;
        num.clear();
    }
    if neg {
        return Some(Length::Millis(0));
    }
    Some(if ms == 0 && days > 0 {
        Length::Days(days)
    } else {
        Length::Millis(days * 86_400_000 + ms)
    })
}

/// An event's length: whole days for a date-to-date event (so it covers local days whatever
/// the DST), absolute time otherwise.
fn length(e: &Event, zones: &HashMap<String, String>, host: &TimeZone) -> Option<Length> {
    match (&e.start, &e.end) {
        (_, End::Lasting(l)) => Some(*l),
        (When::Date(_), End::Unsaid) => Some(Length::Days(1)),
        (_, End::Unsaid) => Some(Length::Millis(0)),
        (When::Date(s), End::At(When::Date(d))) => {
            Some(Length::Days(s.until(*d).ok()?.get_days() as i64))
        }
        (s, End::At(d)) => Some(Length::Millis(
            instant(d, zones, host)? - instant(s, zones, host)?,
        )),
    }
}

/// The zone a `TZID` names: an IANA name, or the IANA zone its `VTIMEZONE` gives.
fn zone_of(tzid: Option<&str>, zones: &HashMap<String, String>, host: &TimeZone) -> TimeZone {
    let Some(id) = tzid else {
        return host.clone();
    };
    let id = id.trim_start_matches('/');
    TimeZone::get(id)
        .ok()
        .or_else(|| zones.get(id).and_then(|loc| TimeZone::get(loc).ok()))
        .unwrap_or_else(|| host.clone())
}

/// The instant a time stands for (a date: its start in `host`'s zone).
fn instant(w: &When, zones: &HashMap<String, String>, host: &TimeZone) -> Option<Millis> {
    match w {
        When::Utc(t) => Some(t.as_millisecond()),
        When::Date(d) => Some(d.to_zoned(host.clone()).ok()?.timestamp().as_millisecond()),
        When::Local(dt, tz) => Some(
            dt.to_zoned(zone_of(tz.as_deref(), zones, host))
                .ok()?
                .timestamp()
                .as_millisecond(),
        ),
    }
}

fn busy_of(
    events: &[Result<Event, ()>],
    zones: &HashMap<String, String>,
    window: Interval,
    how: &Reading<'_>,
) -> Busy {
    let mut skipped = events.iter().filter(|e| e.is_err()).count();
    let events: Vec<&Event> = events.iter().filter_map(|e| e.as_ref().ok()).collect();
    // Occurrences replaced by an override, by UID: the instants their RECURRENCE-IDs name.
    let mut moved: HashMap<&str, Vec<Millis>> = HashMap::new();
    for e in &events {
        if let Some(r) = &e.recurrence_id {
            if let Some(at) = instant(r, zones, how.zone) {
                moved.entry(e.uid.as_str()).or_default().push(at);
            }
        }
    }
    let mut out = Vec::new();
    for e in events {
        if e.free
            || (e.tentative && !how.tentative_busy)
            || how.skip_uids.is_some_and(|s| s.contains(&e.uid))
        {
            continue;
        }
        let starts = if e.recurrence_id.is_some() || (e.rrule.is_none() && e.rdates.is_empty()) {
            instant(&e.start, zones, how.zone).map(|s| vec![s])
        } else {
            let gone = moved.get(e.uid.as_str()).map_or(&[][..], Vec::as_slice);
            occurrences(e, zones, how.zone, window).map(|all| {
                let excluded: Vec<Millis> = e
                    .exdates
                    .iter()
                    .filter_map(|x| instant(x, zones, how.zone))
                    .collect();
                all.into_iter()
                    .filter(|s| !excluded.contains(s) && !gone.contains(s))
                    .collect()
            })
        };
        let (Some(starts), Some(len)) = (starts, length(e, zones, how.zone)) else {
            skipped += 1;
            continue;
        };
        for s in starts {
            if let Some(i) = span(len, s, how.zone) {
                if i.overlaps(&window) {
                    out.push(i);
                }
            }
        }
    }
    Busy {
        intervals: pieces(merge(out)),
        skipped,
    }
}

/// One occurrence's time: an all-day event covers whole local days of the host.
fn span(len: Length, start: Millis, host: &TimeZone) -> Option<Interval> {
    let end = match len {
        Length::Millis(ms) => start + ms,
        Length::Days(d) => {
            let z = Timestamp::from_millisecond(start)
                .ok()?
                .to_zoned(host.clone());
            z.checked_add(d.days()).ok()?.timestamp().as_millisecond()
        }
    };
    (end > start).then_some(Interval { start, end })
}

/// The start instants of a recurring event's occurrences that may overlap `window`.
fn occurrences(
    e: &Event,
    zones: &HashMap<String, String>,
    host: &TimeZone,
    window: Interval,
) -> Option<Vec<Millis>> {
    // DTSTART as a local time in a named IANA zone, the form the rrule crate expands in.
    let (local, zone) = match &e.start {
        When::Date(d) => (d.to_datetime(jiff::civil::Time::midnight()), host.clone()),
        When::Local(dt, tz) => (*dt, zone_of(tz.as_deref(), zones, host)),
        When::Utc(t) => (t.to_zoned(TimeZone::UTC).datetime(), TimeZone::UTC),
    };
    let name = zone.iana_name().unwrap_or("UTC");
    let tz: chrono_tz::Tz = name.parse().ok()?;
    let mut text = format!("DTSTART;TZID={name}:{}", local.strftime("%Y%m%dT%H%M%S"));
    if let Some(r) = &e.rrule {
        text.push_str("\nRRULE:");
        text.push_str(&until_in_utc(r, &zone));
    }
    let set: rrule::RRuleSet = text.parse().ok()?;
    let utc = |ms: Millis| rrule::Tz::UTC.timestamp_millis_opt(ms).single();
    let longest = match length(e, zones, host)? {
        Length::Millis(ms) => ms,
        Length::Days(d) => (d + 1) * 86_400_000,
    };
    let set = set
        .after(utc(window.start - longest)?.with_timezone(&rrule::Tz::Tz(tz)))
        .before(utc(window.end)?.with_timezone(&rrule::Tz::Tz(tz)));
    let mut out: Vec<Millis> = set
        .all(MAX_OCCURRENCES)
        .dates
        .iter()
        .map(|d| d.timestamp_millis())
        .collect();
    for r in &e.rdates {
        out.extend(instant(r, zones, host));
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// RFC 5545 wants `UNTIL` in UTC when `DTSTART` has a zone; some calendars write it as a
/// local time (or a date). Read such an `UNTIL` in the event's zone and write it in UTC, so the
/// expansion does not fail on it.
fn until_in_utc(rule: &str, zone: &TimeZone) -> String {
    rule.split(';')
        .map(|part| match part.split_once('=') {
            Some((k, v)) if k.eq_ignore_ascii_case("UNTIL") && !v.ends_with('Z') => {
                let local = if v.len() == 8 {
                    Date::strptime("%Y%m%d", v)
                        .ok()
                        .map(|d| d.to_datetime(jiff::civil::Time::MAX))
                } else {
                    DateTime::strptime("%Y%m%dT%H%M%S", v).ok()
                };
                match local.and_then(|l| l.to_zoned(zone.clone()).ok()) {
                    Some(z) => format!(
                        "UNTIL={}",
                        z.with_time_zone(TimeZone::UTC).strftime("%Y%m%dT%H%M%SZ")
                    ),
                    None => part.to_string(),
                }
            }
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// Overlapping and touching intervals as one.
fn merge(mut v: Vec<Interval>) -> Vec<Interval> {
    v.sort_unstable();
    let mut out: Vec<Interval> = Vec::with_capacity(v.len());
    for i in v {
        match out.last_mut() {
            Some(last) if i.start <= last.end => last.end = last.end.max(i.end),
            _ => out.push(i),
        }
    }
    out
}

fn pieces(v: Vec<Interval>) -> Vec<Interval> {
    let mut out = Vec::with_capacity(v.len());
    for i in v {
        let mut s = i.start;
        while i.end - s > MAX_PIECE_MS {
            out.push(Interval {
                start: s,
                end: s + MAX_PIECE_MS,
            });
            s += MAX_PIECE_MS;
        }
        out.push(Interval {
            start: s,
            end: i.end,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> Millis {
        s.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn window(a: &str, b: &str) -> Interval {
        Interval {
            start: ms(a),
            end: ms(b),
        }
    }

    fn cal(events: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n")
    }

    fn read(ics: &str, w: Interval) -> Busy {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        busy(
            ics,
            w,
            &Reading {
                zone: &paris,
                tentative_busy: true,
                skip_uids: None,
            },
        )
        .unwrap()
    }

    fn iv(a: &str, b: &str) -> Interval {
        window(a, b)
    }

    #[test]
    fn timed_events_are_busy_in_their_own_zone_utc_or_floating() {
        let ics = cal("BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=America/New_York:20250616T090000\r\nDTEND;TZID=America/New_York:20250616T100000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20250617T080000Z\r\nDURATION:PT30M\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20250618T090000\r\nDTEND:20250618T091500\r\nEND:VEVENT\r\n");
        let b = read(&ics, window("2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z"));
        assert_eq!(
            b.intervals,
            [
                iv("2025-06-16T13:00:00Z", "2025-06-16T14:00:00Z"),
                iv("2025-06-17T08:00:00Z", "2025-06-17T08:30:00Z"),
                // Floating: the host's (Paris) wall clock.
                iv("2025-06-18T07:00:00Z", "2025-06-18T07:15:00Z"),
            ]
        );
        assert_eq!(b.skipped, 0);
    }

    #[test]
    fn an_all_day_event_is_the_hosts_whole_local_days() {
        let ics = cal("BEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20250620\r\nDTEND;VALUE=DATE:20250622\r\nEND:VEVENT\r\n");
        let b = read(&ics, window("2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z"));
        assert_eq!(
            b.intervals,
            [iv("2025-06-19T22:00:00Z", "2025-06-21T22:00:00Z")]
        );
    }

    #[test]
    fn a_weekly_meeting_keeps_its_wall_clock_across_dst_without_its_exceptions() {
        // Mondays 09:00 Paris from 2025-03-17; 2025-03-31 is after the spring change; the
        // 2025-03-24 occurrence is excluded and the 2025-04-07 one moved to 11:00.
        let ics = cal("BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Europe/Paris:20250317T090000\r\nDTEND;TZID=Europe/Paris:20250317T100000\r\n\
             RRULE:FREQ=WEEKLY;BYDAY=MO\r\nEXDATE;TZID=Europe/Paris:20250324T090000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID;TZID=Europe/Paris:20250407T090000\r\nDTSTART;TZID=Europe/Paris:20250407T110000\r\nDTEND;TZID=Europe/Paris:20250407T113000\r\nEND:VEVENT\r\n");
        let b = read(&ics, window("2025-03-10T00:00:00Z", "2025-04-15T00:00:00Z"));
        assert_eq!(
            b.intervals,
            [
                iv("2025-03-17T08:00:00Z", "2025-03-17T09:00:00Z"),
                iv("2025-03-31T07:00:00Z", "2025-03-31T08:00:00Z"),
                iv("2025-04-07T09:00:00Z", "2025-04-07T09:30:00Z"),
                iv("2025-04-14T07:00:00Z", "2025-04-14T08:00:00Z"),
            ]
        );
    }

    #[test]
    fn free_and_canceled_events_do_not_block_and_tentative_is_a_choice() {
        let ics = cal("BEGIN:VEVENT\r\nUID:t\r\nDTSTART:20250616T080000Z\r\nDTEND:20250616T090000Z\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20250616T100000Z\r\nDTEND:20250616T110000Z\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:m\r\nDTSTART:20250616T120000Z\r\nDTEND:20250616T130000Z\r\nSTATUS:TENTATIVE\r\nEND:VEVENT\r\n");
        let w = window("2025-06-16T00:00:00Z", "2025-06-17T00:00:00Z");
        assert_eq!(
            read(&ics, w).intervals,
            [iv("2025-06-16T12:00:00Z", "2025-06-16T13:00:00Z")]
        );
        let utc = TimeZone::UTC;
        let not_tentative = busy(
            &ics,
            w,
            &Reading {
                zone: &utc,
                tentative_busy: false,
                skip_uids: None,
            },
        )
        .unwrap();
        assert!(not_tentative.intervals.is_empty());
    }

    #[test]
    fn a_zone_known_only_by_its_vtimezone_location_and_a_local_until_are_understood() {
        let ics = cal("BEGIN:VTIMEZONE\r\nTZID:Custom Berlin\r\nX-LIC-LOCATION:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
             BEGIN:VEVENT\r\nUID:d\r\nDTSTART;TZID=Custom Berlin:20250616T090000\r\nDTEND;TZID=Custom Berlin:20250616T093000\r\nRRULE:FREQ=DAILY;UNTIL=20250617T090000\r\nEND:VEVENT\r\n");
        let b = read(&ics, window("2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z"));
        assert_eq!(
            b.intervals,
            [
                iv("2025-06-16T07:00:00Z", "2025-06-16T07:30:00Z"),
                iv("2025-06-17T07:00:00Z", "2025-06-17T07:30:00Z"),
            ]
        );
    }

    #[test]
    fn long_events_are_cut_into_pieces_and_overlaps_merge() {
        let ics = cal("BEGIN:VEVENT\r\nUID:h\r\nDTSTART:20250601T000000Z\r\nDTEND:20250620T000000Z\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:i\r\nDTSTART:20250619T120000Z\r\nDTEND:20250621T000000Z\r\nEND:VEVENT\r\n");
        let b = read(&ics, window("2025-05-01T00:00:00Z", "2025-07-01T00:00:00Z"));
        assert_eq!(
            b.intervals,
            [
                iv("2025-06-01T00:00:00Z", "2025-06-08T00:00:00Z"),
                iv("2025-06-08T00:00:00Z", "2025-06-15T00:00:00Z"),
                iv("2025-06-15T00:00:00Z", "2025-06-21T00:00:00Z"),
            ]
        );
    }

    #[test]
    fn a_broken_event_is_skipped_and_a_broken_file_is_an_error() {
        let ics = cal("BEGIN:VEVENT\r\nUID:bad\r\nDTSTART:yesterday\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:ok\r\nDTSTART:20250616T080000Z\r\nDTEND:20250616T090000Z\r\nEND:VEVENT\r\n");
        let b = read(&ics, window("2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z"));
        assert_eq!(b.intervals.len(), 1);
        assert_eq!(b.skipped, 1);
        let utc = TimeZone::UTC;
        let own: std::collections::HashSet<String> = ["ok".to_string()].into();
        let skipping = Reading {
            zone: &utc,
            tentative_busy: true,
            skip_uids: Some(&own),
        };
        let w = window("2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z");
        assert!(
            busy(&ics, w, &skipping).unwrap().intervals.is_empty(),
            "an event Slotline wrote itself is not read back as busy"
        );
        let how = Reading {
            zone: &utc,
            tentative_busy: true,
            skip_uids: None,
        };
        let w = window("2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z");
        assert!(busy("<html>not a calendar</html>", w, &how).is_err());
        assert!(busy("", w, &how).is_err());
    }
}
