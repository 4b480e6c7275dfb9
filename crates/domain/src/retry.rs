//! When a failed webhook delivery is tried again, and when Slotline gives up.
//!
//! The first attempt is made at once; after a failure the next comes 35 s, 3 min, 15 min, 1 h,
//! 3 h, then every 6 h later, each delay moved by up to ±10 % so that many deliveries failing
//! together do not retry together. A receiver answering 429 or 503 with `Retry-After` is
//! believed (up to 6 h). No attempt is scheduled more than 72 h after the first one.

const SECOND: i64 = 1_000;
const HOUR: i64 = 3_600 * SECOND;

/// Delays after the 1st, 2nd, … failure; the last repeats.
pub const DELAYS_MS: [i64; 6] = [
    35 * SECOND,
    3 * 60 * SECOND,
    15 * 60 * SECOND,
    HOUR,
    3 * HOUR,
    6 * HOUR,
];
/// How long a delivery is retried, from its first attempt.
pub const WINDOW_MS: i64 = 72 * HOUR;
/// The longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER_MS: i64 = 6 * HOUR;
/// The shortest wait, whatever a receiver says.
pub const MIN_RETRY_AFTER_MS: i64 = SECOND;
/// How much a delay may move either way.
pub const JITTER: f64 = 0.10;

/// The nominal delay after the `failures`-th failure (1-based), before jitter.
pub fn nominal_delay(failures: u32) -> i64 {
    let i = (failures.max(1) as usize - 1).min(DELAYS_MS.len() - 1);
    DELAYS_MS[i]
}

/// When to try again after the `failures`-th failed attempt made at `now`, for a delivery first
/// attempted at `first_attempt`; `None` when the 72 hours are over (give up).
/// `jitter` in [-1, 1] scales the ±10 %; `retry_after` is what the receiver asked for, in ms.
pub fn next_attempt(
    first_attempt: i64,
    failures: u32,
    now: i64,
    retry_after: Option<i64>,
    jitter: f64,
) -> Option<i64> {
    let delay = match retry_after {
        Some(ms) => ms.clamp(MIN_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS),
        None => {
            let d = nominal_delay(failures);
            d + (d as f64 * JITTER * jitter.clamp(-1.0, 1.0)) as i64
        }
    };
    let at = now + delay;
    (at <= first_attempt + WINDOW_MS).then_some(at)
}

/// How long a message (email, SMS) is retried, from when it was due.
pub const MESSAGE_WINDOW_MS: i64 = 24 * HOUR;

/// When to try a message again after its `failures`-th failure at `now`: the webhook delays,
/// within a day of its due time and before its own expiry (a reminder's); `None`: give up.
pub fn next_message_attempt(
    due: i64,
    expire: Option<i64>,
    failures: u32,
    now: i64,
    jitter: f64,
) -> Option<i64> {
    let d = nominal_delay(failures);
    let at = now + d + (d as f64 * JITTER * jitter.clamp(-1.0, 1.0)) as i64;
    let last = expire.map_or(due + MESSAGE_WINDOW_MS, |e| e.min(due + MESSAGE_WINDOW_MS));
    (at <= last).then_some(at)
}

/// What a receiver's answer means for the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again (unless the window is over).
    Failed,
    /// `410 Gone`: the receiver asked to stop; the webhook is disabled at once.
    Gone,
}

/// Any 2xx is success; 410 stops everything; everything else (3xx included: redirects are not
/// followed) is a failure to retry.
pub fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        410 => Verdict::Gone,
        _ => Verdict::Failed,
    }
}

/// `Retry-After` is honoured only with 429 and 503; as seconds or an HTTP date (`now` in ms).
pub fn retry_after_ms(status: u16, header: Option<&str>, now: i64) -> Option<i64> {
    if status != 429 && status != 503 {
        return None;
    }
    let v = header?.trim();
    if let Ok(secs) = v.parse::<i64>() {
        return Some(secs.max(0).saturating_mul(SECOND));
    }
    let at = jiff::fmt::rfc2822::parse(v)
        .ok()?
        .timestamp()
        .as_millisecond();
    Some((at - now).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_retried_within_a_day_and_never_past_its_expiry() {
        assert_eq!(next_message_attempt(0, None, 1, 0, 0.0), Some(35 * SECOND));
        assert_eq!(next_message_attempt(0, None, 9, 23 * HOUR, 0.0), None);
        assert_eq!(next_message_attempt(0, Some(60 * SECOND), 2, 0, 0.0), None);
    }

    #[test]
    fn delays_follow_the_published_schedule_then_every_six_hours() {
        let expected = [
            35 * SECOND,
            180 * SECOND,
            900 * SECOND,
            HOUR,
            3 * HOUR,
            6 * HOUR,
            6 * HOUR,
            6 * HOUR,
        ];
        for (i, d) in expected.iter().enumerate() {
            assert_eq!(nominal_delay(i as u32 + 1), *d, "after failure {}", i + 1);
            assert_eq!(next_attempt(0, i as u32 + 1, 0, None, 0.0), Some(*d));
        }
    }

    #[test]
    fn jitter_moves_a_delay_by_at_most_ten_percent() {
        assert_eq!(next_attempt(0, 1, 0, None, 1.0), Some(38_500));
        assert_eq!(next_attempt(0, 1, 0, None, -1.0), Some(31_500));
        assert_eq!(
            next_attempt(0, 1, 0, None, 7.0),
            Some(38_500),
            "out-of-range jitter is clamped"
        );
    }

    #[test]
    fn nothing_is_scheduled_beyond_72_hours_after_the_first_attempt() {
        let first = 1_000;
        assert_eq!(
            next_attempt(first, 20, first + 66 * HOUR, None, 0.0),
            Some(first + 72 * HOUR)
        );
        assert_eq!(
            next_attempt(first, 20, first + 66 * HOUR + 1, None, 0.0),
            None
        );
    }

    #[test]
    fn the_attempts_of_a_never_answering_receiver_stop_within_72_hours() {
        let (mut now, mut failures, mut attempts) = (0, 0, 1);
        while let Some(at) = next_attempt(0, failures + 1, now, None, 0.0) {
            failures += 1;
            attempts += 1;
            now = at;
        }
        assert!(now <= WINDOW_MS);
        // 35 s + 3 min + 15 min + 1 h + 3 h leave 67 h 41 m 25 s: 11 more six-hour waits.
        assert_eq!(attempts, 17);
    }

    #[test]
    fn retry_after_is_honoured_on_429_and_503_within_bounds() {
        assert_eq!(retry_after_ms(429, Some("120"), 0), Some(120 * SECOND));
        assert_eq!(retry_after_ms(503, Some(" 7 "), 0), Some(7 * SECOND));
        assert_eq!(
            retry_after_ms(500, Some("120"), 0),
            None,
            "only 429 and 503"
        );
        assert_eq!(retry_after_ms(429, Some("soon"), 0), None);
        let now = jiff::Timestamp::from_second(1_700_000_000)
            .unwrap()
            .as_millisecond();
        assert_eq!(
            retry_after_ms(429, Some("Tue, 14 Nov 2023 22:13:21 GMT"), now),
            Some(1_000)
        );
        assert_eq!(
            next_attempt(0, 1, 0, Some(10 * 24 * HOUR), 0.0),
            Some(6 * HOUR),
            "capped at 6 h"
        );
        assert_eq!(
            next_attempt(0, 1, 0, Some(0), 0.0),
            Some(SECOND),
            "never a tight loop"
        );
    }

    #[test]
    fn any_2xx_succeeds_410_stops_everything_else_retries() {
        for s in [200, 201, 204, 299] {
            assert_eq!(verdict(s), Verdict::Delivered);
        }
        assert_eq!(verdict(410), Verdict::Gone);
        for s in [301, 302, 304, 400, 404, 429, 500, 503] {
            assert_eq!(verdict(s), Verdict::Failed, "{s}");
        }
    }
}
