//! The availability engine: which start times a host can still be booked at.
//!
//! Working hours are wall-clock hours in the host's IANA zone (09:00 stays 09:00 across a DST
//! change); a wall-clock start that does not exist (spring forward) is never offered, and one
//! that exists twice (fall back) is offered once, at its first occurrence. Everything here is
//! pure: the caller gathers the host's schedule, busy intervals and the clock.

use jiff::{
    civil::{Date, DateTime},
    tz::{AmbiguousOffset, TimeZone},
    Timestamp, ToSpan,
};

use crate::{
    schedule::{Schedule, Span, DAYS},
    time::Millis,
};

/// A half-open interval `[start, end)` in milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub start: Millis,
    pub end: Millis,
}

impl Interval {
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// The page or calendar settings that shape the slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Length of the meeting, minutes.
    pub duration_min: u32,
    /// Distance between offered start times, minutes (slots start on the span's start plus
    /// multiples of it).
    pub interval_min: u32,
    /// Free time required before and after the meeting, minutes.
    pub buffer_before_min: u32,
    pub buffer_after_min: u32,
    /// No start earlier than `now + minimum notice`.
    pub min_notice_min: u32,
    /// No start later than `now + horizon`.
    pub horizon_days: u32,
    /// At most this many bookings per local day of the host, existing ones included.
    pub max_per_day: Option<u32>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            duration_min: 30,
            interval_min: 30,
            buffer_before_min: 0,
            buffer_after_min: 0,
            min_notice_min: 0,
            horizon_days: 60,
            max_per_day: None,
        }
    }
}

/// One host: zone, schedule and the intervals already taken (existing active bookings, each
/// widened by the buffers it was booked with).
#[derive(Debug, Clone)]
pub struct Host<'a> {
    pub zone: &'a TimeZone,
    pub schedule: &'a Schedule,
    pub busy: &'a [Interval],
    /// Starts of the host's existing active bookings, for the daily cap.
    pub booked_starts: &'a [Millis],
}

/// A bookable slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    pub start: Millis,
    pub end: Millis,
}

const MIN: i64 = 60_000;

/// The instant a local wall-clock time denotes: `None` in a gap, the first occurrence in a fold.
fn instant_of(zone: &TimeZone, dt: DateTime) -> Option<Millis> {
    let amb = zone.to_ambiguous_timestamp(dt);
    match amb.offset() {
        AmbiguousOffset::Gap { .. } => None,
        _ => amb.compatible().ok().map(|ts| ts.as_millisecond()),
    }
}

/// The instant a span boundary denotes; a boundary in a gap moves forward to the first
/// existing instant, so a span that contains the gap still ends where the host means.
fn boundary_of(zone: &TimeZone, date: Date, minutes: u16) -> Option<Millis> {
    let dt = if minutes >= 24 * 60 {
        date.tomorrow().ok()?.at(0, 0, 0, 0)
    } else {
        date.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
    };
    zone.to_ambiguous_timestamp(dt)
        .compatible()
        .ok()
        .map(|ts| ts.as_millisecond())
}

fn local_date(zone: &TimeZone, ms: Millis) -> Option<Date> {
    Some(
        Timestamp::from_millisecond(ms)
            .ok()?
            .to_zoned(zone.clone())
            .date(),
    )
}

/// The working spans of a local date: its override if there is one, else its weekday's hours.
pub fn spans_for(schedule: &Schedule, date: Date) -> Vec<(u16, u16)> {
    let key = date.to_string();
    let spans: &[Span] = match schedule.overrides.iter().find(|o| o.date == key) {
        Some(o) => &o.working_hours,
        None => {
            let name = DAYS[date.weekday().to_monday_zero_offset() as usize];
            schedule
                .weekly
                .iter()
                .find(|d| d.day == name)
                .map(|d| d.working_hours.as_slice())
                .unwrap_or(&[])
        }
    };
    let mut out: Vec<(u16, u16)> = spans
        .iter()
        .map(Span::minutes)
        .filter(|(s, e)| s < e)
        .collect();
    out.sort_unstable();
    out
}

/// Free slots of `host` starting in `window`, in time order.
pub fn free_slots(host: &Host<'_>, rules: &Rules, window: Interval, now: Millis) -> Vec<Slot> {
    let duration = rules.duration_min.max(1) as i64 * MIN;
    let step = rules.interval_min.max(5) as i64 * MIN;
    let earliest = window.start.max(now + rules.min_notice_min as i64 * MIN);
    let latest = window
        .end
        .min(now.saturating_add(rules.horizon_days as i64 * 24 * 60 * MIN));
    if earliest >= latest {
        return Vec::new();
    }
    let mut busy: Vec<Interval> = host.busy.to_vec();
    busy.sort_unstable();
    // Running maximum of ends lets a binary search answer "does anything overlap [a, b)?".
    let mut max_end = Vec::with_capacity(busy.len());
    let mut m = i64::MIN;
    for b in &busy {
        m = m.max(b.end);
        max_end.push(m);
    }
    let overlaps_busy = |a: Millis, b: Millis| {
        // Busy intervals starting before b; the latest end among them must be <= a.
        let n = busy.partition_point(|x| x.start < b);
        n > 0 && max_end[n - 1] > a
    };
    let (Some(first_day), Some(last_day)) = (
        local_date(host.zone, earliest),
        local_date(host.zone, latest),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut day = first_day.yesterday().unwrap_or(first_day);
    let stop = last_day.tomorrow().unwrap_or(last_day);
    let full_days = full_days(host, rules, earliest, latest);
    while day <= stop {
        if full_days.contains(&day) {
            day = match day.tomorrow() {
                Ok(d) => d,
                Err(_) => break,
            };
            continue;
        }
        for (span_start, span_end) in spans_for(host.schedule, day) {
            let Some(span_end_at) = boundary_of(host.zone, day, span_end) else {
                continue;
            };
            let mut minute = span_start as i64;
            while minute < span_end as i64 {
                let dt = day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
                minute += step / MIN;
                let Some(start) = instant_of(host.zone, dt) else {
                    continue;
                };
                let end = start + duration;
                if end > span_end_at {
                    break;
                }
                if start < earliest || start >= latest {
                    continue;
                }
                let guarded_start = start - rules.buffer_before_min as i64 * MIN;
                let guarded_end = end + rules.buffer_after_min as i64 * MIN;
                if overlaps_busy(guarded_start, guarded_end) {
                    continue;
                }
                out.push(Slot { start, end });
            }
        }
        day = match day.tomorrow() {
            Ok(d) => d,
            Err(_) => break,
        };
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Local days (around the window) on which the host already has `max_per_day` bookings.
fn full_days(host: &Host<'_>, rules: &Rules, earliest: Millis, latest: Millis) -> Vec<Date> {
    let Some(cap) = rules.max_per_day else {
        return Vec::new();
    };
    let margin = 2 * 24 * 60 * MIN;
    let mut counts: Vec<(Date, u32)> = Vec::new();
    for start in host
        .booked_starts
        .iter()
        .filter(|s| **s >= earliest - margin && **s < latest + margin)
    {
        let Some(d) = local_date(host.zone, *start) else {
            continue;
        };
        match counts.iter_mut().find(|(day, _)| *day == d) {
            Some((_, n)) => *n += 1,
            None => counts.push((d, 1)),
        }
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n >= cap)
        .map(|(d, _)| d)
        .collect()
}

/// Whole local days from `from` (inclusive) for `days` days, as an instant window in `zone`.
pub fn days_window(zone: &TimeZone, from: Date, days: i32) -> Option<Interval> {
    let start = zone
        .to_ambiguous_timestamp(from.at(0, 0, 0, 0))
        .compatible()
        .ok()?;
    let end_date = from.checked_add(days.days()).ok()?;
    let end = zone
        .to_ambiguous_timestamp(end_date.at(0, 0, 0, 0))
        .compatible()
        .ok()?;
    Some(Interval {
        start: start.as_millisecond(),
        end: end.as_millisecond(),
    })
}

/// The host's free time within `window`: working hours (a date's override, else its weekday's)
/// less busy time, in order, touching pieces joined. What a host's availability yields before
/// any page's rules (duration, buffers, notice) cut it into slots.
pub fn free_time(host: &Host<'_>, window: Interval) -> Vec<Interval> {
    let (Some(first), Some(last)) = (
        local_date(host.zone, window.start),
        local_date(host.zone, window.end - 1),
    ) else {
        return Vec::new();
    };
    let mut working = Vec::new();
    let mut date = first;
    while date <= last {
        for (s, e) in spans_for(host.schedule, date) {
            if let (Some(a), Some(b)) = (
                boundary_of(host.zone, date, s),
                boundary_of(host.zone, date, e),
            ) {
                let (a, b) = (a.max(window.start), b.min(window.end));
                if a < b {
                    working.push(Interval { start: a, end: b });
                }
            }
        }
        match date.tomorrow() {
            Ok(next) => date = next,
            Err(_) => break,
        }
    }
    let mut busy: Vec<Interval> = host.busy.to_vec();
    busy.sort_unstable();
    let mut out: Vec<Interval> = Vec::new();
    let mut push = |iv: Interval| match out.last_mut() {
        Some(last) if last.end >= iv.start => last.end = last.end.max(iv.end),
        _ => out.push(iv),
    };
    for w in working {
        let mut from = w.start;
        for b in busy.iter().filter(|b| b.overlaps(&w)) {
            if b.start > from {
                push(Interval {
                    start: from,
                    end: b.start.min(w.end),
                });
            }
            from = from.max(b.end);
            if from >= w.end {
                break;
            }
        }
        if from < w.end {
            push(Interval {
                start: from,
                end: w.end,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Override, WeeklyDay};
    use proptest::prelude::*;

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    fn span(s: &str, e: &str) -> Span {
        Span {
            start_time: s.into(),
            end_time: e.into(),
            locations: vec![],
        }
    }

    /// Every day of the week the same hours.
    fn every_day(spans: Vec<Span>) -> Schedule {
        Schedule {
            weekly: DAYS
                .iter()
                .map(|d| WeeklyDay {
                    day: d.to_string(),
                    working_hours: spans.clone(),
                })
                .collect(),
            overrides: vec![],
        }
    }

    fn ms(s: &str) -> Millis {
        s.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn local(z: &TimeZone, m: Millis) -> String {
        Timestamp::from_millisecond(m)
            .unwrap()
            .to_zoned(z.clone())
            .strftime("%F %H:%M %Z")
            .to_string()
    }

    fn day_window(z: &TimeZone, date: &str) -> Interval {
        days_window(z, date.parse().unwrap(), 1).unwrap()
    }

    fn slots(
        z: &TimeZone,
        sched: &Schedule,
        busy: &[Interval],
        rules: &Rules,
        window: Interval,
    ) -> Vec<String> {
        let host = Host {
            zone: z,
            schedule: sched,
            busy,
            booked_starts: &[],
        };
        free_slots(&host, rules, window, window.start - 24 * 60 * MIN)
            .iter()
            .map(|s| local(z, s.start))
            .collect()
    }

    #[test]
    fn working_hours_give_slots_at_each_interval() {
        let z = zone("UTC");
        let s = every_day(vec![span("09:00", "12:00")]);
        let got = slots(&z, &s, &[], &Rules::default(), day_window(&z, "2025-06-16"));
        assert_eq!(
            got,
            ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
                .map(|t| format!("2025-06-16 {t} UTC"))
        );
    }

    #[test]
    fn wall_clock_hours_stay_put_across_dst() {
        let z = zone("America/New_York");
        let s = every_day(vec![span("09:00", "09:30")]);
        let host = Host {
            zone: &z,
            schedule: &s,
            busy: &[],
            booked_starts: &[],
        };
        let w = days_window(&z, "2025-03-08".parse().unwrap(), 2).unwrap();
        let got: Vec<Millis> = free_slots(&host, &Rules::default(), w, w.start)
            .iter()
            .map(|s| s.start)
            .collect();
        assert_eq!(
            got,
            vec![ms("2025-03-08T14:00:00Z"), ms("2025-03-09T13:00:00Z")],
            "09:00 EST, then 09:00 EDT"
        );
    }

    #[test]
    fn a_start_that_does_not_exist_is_never_offered() {
        let z = zone("America/New_York");
        let s = every_day(vec![span("01:00", "04:00")]);
        let got = slots(&z, &s, &[], &Rules::default(), day_window(&z, "2025-03-09"));
        assert_eq!(
            got,
            ["01:00 EST", "01:30 EST", "03:00 EDT", "03:30 EDT"].map(|t| format!("2025-03-09 {t}"))
        );
    }

    #[test]
    fn a_repeated_hour_is_offered_once() {
        let z = zone("America/New_York");
        let s = every_day(vec![span("00:30", "02:30")]);
        let got = slots(
            &z,
            &s,
            &[],
            &Rules {
                duration_min: 30,
                interval_min: 30,
                ..Rules::default()
            },
            day_window(&z, "2025-11-02"),
        );
        assert_eq!(
            got,
            ["00:30 EDT", "01:00 EDT", "01:30 EDT", "02:00 EST"].map(|t| format!("2025-11-02 {t}"))
        );
    }

    #[test]
    fn busy_time_and_buffers_block_slots() {
        let z = zone("UTC");
        let s = every_day(vec![span("09:00", "12:00")]);
        let busy = [Interval {
            start: ms("2025-06-16T10:00:00Z"),
            end: ms("2025-06-16T10:30:00Z"),
        }];
        let rules = Rules {
            buffer_before_min: 15,
            buffer_after_min: 15,
            ..Rules::default()
        };
        let got = slots(&z, &s, &busy, &rules, day_window(&z, "2025-06-16"));
        assert_eq!(
            got,
            ["09:00", "11:00", "11:30"].map(|t| format!("2025-06-16 {t} UTC"))
        );
    }

    #[test]
    fn notice_horizon_and_window_bound_the_starts() {
        let z = zone("UTC");
        let s = every_day(vec![span("09:00", "12:00")]);
        let host = Host {
            zone: &z,
            schedule: &s,
            busy: &[],
            booked_starts: &[],
        };
        let now = ms("2025-06-16T09:10:00Z");
        let rules = Rules {
            min_notice_min: 60,
            horizon_days: 1,
            ..Rules::default()
        };
        let w = days_window(&z, "2025-06-16".parse().unwrap(), 3).unwrap();
        let got: Vec<String> = free_slots(&host, &rules, w, now)
            .iter()
            .map(|s| local(&z, s.start))
            .collect();
        let mut want: Vec<String> = ["10:30", "11:00", "11:30"]
            .iter()
            .map(|t| format!("2025-06-16 {t} UTC"))
            .collect();
        want.extend(["09:00"].iter().map(|t| format!("2025-06-17 {t} UTC")));
        assert_eq!(
            got, want,
            "an hour's notice, and nothing past 24 h from now"
        );
    }

    #[test]
    fn a_full_day_offers_nothing_and_overrides_replace_the_weekday() {
        let z = zone("Europe/Paris");
        let mut s = every_day(vec![span("09:00", "10:00")]);
        s.overrides.push(Override {
            date: "2025-06-17".into(),
            working_hours: vec![span("14:00", "15:00")],
        });
        s.overrides.push(Override {
            date: "2025-06-18".into(),
            working_hours: vec![],
        });
        let booked = [ms("2025-06-16T07:00:00Z")]; // 09:00 Paris on the 16th
        let busy = [Interval {
            start: booked[0],
            end: booked[0] + 30 * MIN,
        }];
        let host = Host {
            zone: &z,
            schedule: &s,
            busy: &busy,
            booked_starts: &booked,
        };
        let w = days_window(&z, "2025-06-16".parse().unwrap(), 3).unwrap();
        let rules = Rules {
            max_per_day: Some(1),
            ..Rules::default()
        };
        let got: Vec<String> = free_slots(&host, &rules, w, w.start)
            .iter()
            .map(|s| local(&z, s.start))
            .collect();
        assert_eq!(got, ["2025-06-17 14:00 CEST", "2025-06-17 14:30 CEST"]);
        let uncapped: Vec<String> = free_slots(&host, &Rules::default(), w, w.start)
            .iter()
            .map(|s| local(&z, s.start))
            .collect();
        assert_eq!(
            uncapped[0], "2025-06-16 09:30 CEST",
            "below the cap the free slots stay"
        );
    }

    const ZONES: [&str; 6] = [
        "UTC",
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "America/Santiago",
    ];

    fn arb_schedule() -> impl Strategy<Value = Schedule> {
        // Per day: up to three non-overlapping quarter-hour spans.
        let day = proptest::collection::vec((0u16..96, 1u16..16), 0..4).prop_map(|raw| {
            let mut spans: Vec<(u16, u16)> = Vec::new();
            let mut cursor = 0u16;
            for (gap, len) in raw {
                let s = cursor + gap * 15 / 4;
                let s = s - s % 15;
                let e = (s + len * 15).min(24 * 60);
                if s < e && s < 24 * 60 {
                    spans.push((s, e));
                    cursor = e;
                }
            }
            spans
        });
        proptest::collection::vec(day, 7).prop_map(|days| Schedule {
            weekly: days
                .into_iter()
                .zip(DAYS)
                .map(|(spans, d)| WeeklyDay {
                    day: d.to_string(),
                    working_hours: spans
                        .into_iter()
                        .map(|(s, e)| {
                            span(
                                &format!("{:02}:{:02}", s / 60, s % 60),
                                &format!("{:02}:{:02}", e / 60, e % 60),
                            )
                        })
                        .collect(),
                })
                .collect(),
            overrides: vec![],
        })
    }

    fn arb_rules() -> impl Strategy<Value = Rules> {
        (
            prop_oneof![Just(15u32), Just(30), Just(45), Just(60), Just(90)],
            prop_oneof![Just(15u32), Just(30), Just(60)],
            0u32..3,
            0u32..3,
        )
            .prop_map(|(duration_min, interval_min, b, a)| Rules {
                duration_min,
                interval_min,
                buffer_before_min: b * 10,
                buffer_after_min: a * 5,
                horizon_days: 400,
                ..Rules::default()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// No slot overlaps a busy interval once widened by the buffers; every slot lies inside a
        /// working span of its local day, starts on the span's wall-clock grid, and is offered once.
        #[test]
        fn slots_respect_busy_time_working_hours_and_the_grid(
            zone_i in 0usize..ZONES.len(),
            schedule in arb_schedule(),
            rules in arb_rules(),
            busy_raw in proptest::collection::vec((0i64..14 * 24 * 4, 1i64..12), 0..40),
            month in 0i8..12,
        ) {
            let z = zone(ZONES[zone_i]);
            let from: Date = Date::new(2025, month + 1, 1).unwrap();
            let window = days_window(&z, from, 14).unwrap();
            let busy: Vec<Interval> = busy_raw.iter().map(|(q, len)| {
                let start = window.start + q * 15 * MIN;
                Interval { start, end: start + len * 15 * MIN }
            }).collect();
            let host = Host { zone: &z, schedule: &schedule, busy: &busy, booked_starts: &[] };
            let got = free_slots(&host, &rules, window, window.start);
            for pair in got.windows(2) {
                prop_assert!(pair[0].start < pair[1].start, "strictly increasing, no repeats");
            }
            for slot in &got {
                prop_assert!(slot.start >= window.start && slot.start < window.end);
                prop_assert_eq!(slot.end - slot.start, rules.duration_min as i64 * MIN);
                let guarded = Interval { start: slot.start - rules.buffer_before_min as i64 * MIN, end: slot.end + rules.buffer_after_min as i64 * MIN };
                prop_assert!(busy.iter().all(|b| !b.overlaps(&guarded)), "slot {slot:?} overlaps busy time");
                let zoned = Timestamp::from_millisecond(slot.start).unwrap().to_zoned(z.clone());
                let day = zoned.date();
                let minute = zoned.hour() as i64 * 60 + zoned.minute() as i64;
                // Inside by the wall clock: the local start lies in a span, on its grid, and the
                // meeting is over by the instant the span's end denotes.
                let inside = spans_for(&schedule, day).iter().any(|(s, e)| {
                    let Some(e_at) = boundary_of(&z, day, *e) else { return false };
                    (*s as i64) <= minute && minute < *e as i64 && slot.end <= e_at && (minute - *s as i64) % rules.interval_min as i64 == 0
                });
                prop_assert!(inside, "slot {} outside working hours", local(&z, slot.start));
            }
        }

        /// With nothing booked, the default week (Mon–Fri 09:00–17:00) offers sixteen half-hour
        /// slots on each of the ten weekdays of any two weeks, in any zone, in any season.
        #[test]
        fn a_free_default_week_is_offered_whole(zone_i in 0usize..ZONES.len(), day_of_year in 0i32..365) {
            let z = zone(ZONES[zone_i]);
            let monday = Date::new(2025, 1, 6).unwrap().checked_add((day_of_year / 7 * 7).days()).unwrap();
            let window = days_window(&z, monday, 14).unwrap();
            let got = free_slots(&Host { zone: &z, schedule: &Schedule::default(), busy: &[], booked_starts: &[] }, &Rules::default(), window, window.start);
            prop_assert_eq!(got.len(), 160);
        }

        /// The result does not depend on the order of the inputs.
        #[test]
        fn order_of_inputs_does_not_matter(
            schedule in arb_schedule(),
            busy_raw in proptest::collection::vec((0i64..7 * 24 * 4, 1i64..8), 0..30),
            seed in any::<u64>(),
        ) {
            let z = zone("Europe/London");
            let window = days_window(&z, Date::new(2025, 10, 20).unwrap(), 14).unwrap();
            let busy: Vec<Interval> = busy_raw.iter().map(|(q, len)| Interval { start: window.start + q * 15 * MIN, end: window.start + (q + len) * 15 * MIN }).collect();
            let mut shuffled = busy.clone();
            // Deterministic shuffle from the seed.
            let n = shuffled.len();
            for i in (1..n).rev() {
                let j = ((seed.rotate_left(i as u32) ^ i as u64) % (i as u64 + 1)) as usize;
                shuffled.swap(i, j);
            }
            let mut reordered = schedule.clone();
            reordered.weekly.reverse();
            for d in &mut reordered.weekly {
                d.working_hours.reverse();
            }
            let rules = Rules::default();
            let a = free_slots(&Host { zone: &z, schedule: &schedule, busy: &busy, booked_starts: &[] }, &rules, window, window.start);
            let b = free_slots(&Host { zone: &z, schedule: &reordered, busy: &shuffled, booked_starts: &[] }, &rules, window, window.start);
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn free_time_is_working_hours_less_busy_time_in_the_hosts_zone() {
        let zone = TimeZone::get("America/Chicago").unwrap();
        let schedule = Schedule::default(); // weekdays 09:00–17:00
        let at = |d: &str, t: &str| {
            let dt: DateTime = format!("{d}T{t}").parse().unwrap();
            instant_of(&zone, dt).unwrap()
        };
        // Monday 2025-06-16 with a meeting 10:00–11:00 and another 16:30–18:00.
        let busy = [
            Interval {
                start: at("2025-06-16", "16:30"),
                end: at("2025-06-16", "18:00"),
            },
            Interval {
                start: at("2025-06-16", "10:00"),
                end: at("2025-06-16", "11:00"),
            },
        ];
        let host = Host {
            zone: &zone,
            schedule: &schedule,
            busy: &busy,
            booked_starts: &[],
        };
        // From Sunday noon to Tuesday 10:00: Sunday has no hours.
        let window = Interval {
            start: at("2025-06-15", "12:00"),
            end: at("2025-06-17", "10:00"),
        };
        assert_eq!(
            free_time(&host, window),
            vec![
                Interval {
                    start: at("2025-06-16", "09:00"),
                    end: at("2025-06-16", "10:00")
                },
                Interval {
                    start: at("2025-06-16", "11:00"),
                    end: at("2025-06-16", "16:30")
                },
                Interval {
                    start: at("2025-06-17", "09:00"),
                    end: at("2025-06-17", "10:00")
                },
            ]
        );
        // A day off by override is free of nothing; an override's hours replace the weekday's.
        let mut off = schedule.clone();
        off.overrides.push(crate::schedule::Override {
            date: "2025-06-16".into(),
            working_hours: vec![],
        });
        off.overrides.push(crate::schedule::Override {
            date: "2025-06-17".into(),
            working_hours: vec![crate::schedule::Span {
                start_time: "00:00".into(),
                end_time: "24:00".into(),
                locations: vec![],
            }],
        });
        let host = Host {
            zone: &zone,
            schedule: &off,
            busy: &[],
            booked_starts: &[],
        };
        let window = Interval {
            start: at("2025-06-16", "00:00"),
            end: at("2025-06-19", "00:00"),
        };
        assert_eq!(
            free_time(&host, window),
            vec![
                Interval {
                    start: at("2025-06-17", "00:00"),
                    end: at("2025-06-18", "00:00")
                },
                Interval {
                    start: at("2025-06-18", "09:00"),
                    end: at("2025-06-18", "17:00")
                },
            ]
        );
    }
}
