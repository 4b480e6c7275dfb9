//! Benchmark of the availability engine alone: free slots over a 30-day window for a host with
//! 5,000 existing bookings. Run: `cargo run --release -p slotline-domain --example availability_bench`

use std::time::Instant;

use jiff::{civil::Date, tz::TimeZone};
use slotline_domain::{
    availability::{days_window, free_slots, Host, Interval, Rules},
    schedule::Schedule,
};

fn main() {
    let zone = TimeZone::get("America/New_York").unwrap();
    let schedule = Schedule::default(); // Mon–Fri 09:00–17:00
    let window = days_window(&zone, Date::new(2025, 10, 20).unwrap(), 30).unwrap();
    // 5,000 half-hour bookings spread over a year around the window, in shuffled order.
    let year_start = window.start - 180 * 24 * 3_600_000;
    let mut busy: Vec<Interval> = (0..5_000i64)
        .map(|i| {
            let slot = (i * 7_919) % (365 * 48); // a half-hour slot of the year, scattered
            let start = year_start + slot * 1_800_000;
            Interval {
                start,
                end: start + 1_800_000,
            }
        })
        .collect();
    busy.sort_by_key(|b| (b.start * 31) % 1_000_003); // not in time order
    let starts: Vec<i64> = busy.iter().map(|b| b.start).collect();
    let host = Host {
        zone: &zone,
        schedule: &schedule,
        busy: &busy,
        booked_starts: &starts,
    };
    let rules = Rules {
        buffer_before_min: 10,
        buffer_after_min: 10,
        max_per_day: Some(20),
        ..Rules::default()
    };

    let runs = 2_000;
    let mut times = Vec::with_capacity(runs);
    let mut count = 0;
    for _ in 0..runs {
        let t = Instant::now();
        count = free_slots(&host, &rules, window, window.start).len();
        times.push(t.elapsed());
    }
    times.sort();
    let pct = |p: f64| times[((runs as f64 * p) as usize).min(runs - 1)];
    println!("availability engine: 30-day window, 5,000 bookings, {count} free slots");
    println!(
        "runs {runs}: p50 {:?}  p99 {:?}  max {:?}",
        pct(0.50),
        pct(0.99),
        times[runs - 1]
    );
}
