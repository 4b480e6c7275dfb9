//! Instants as the API writes and reads them.
//!
//! Slotline keeps every instant as whole milliseconds since the Unix epoch, so that what it
//! writes out (RFC 3339, UTC, always three fractional digits) is exactly what it stored: a client
//! that feeds a `last_updated_time` back into `last_updated_time.gt` never sees the same row again.

use jiff::{civil::Date, tz::TimeZone, Timestamp};

use crate::Invalid;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// `2021-01-20T12:10:03.140Z`.
pub fn format_millis(ms: Millis) -> String {
    let ts = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
    let dt = ts.to_zoned(TimeZone::UTC).datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    )
}

/// Parses an instant given by a client: a date alone (midnight UTC), or a date and time with
/// 0 to 9 fractional digits and `Z` or an offset. Returns nanoseconds since the epoch.
pub fn parse_instant(raw: &str) -> Option<i128> {
    let s = raw.trim();
    if s.len() == 10 {
        let date: Date = s.parse().ok()?;
        let ts = date.to_zoned(TimeZone::UTC).ok()?.timestamp();
        return Some(ts.as_nanosecond());
    }
    // jiff insists on an offset, which is what we want: a bare local time is ambiguous.
    let ts: Timestamp = s.parse().ok()?;
    Some(ts.as_nanosecond())
}

/// A `.gt`/`.lt` bound on a stored millisecond column, strict on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Range {
    /// Stored value must be strictly greater than this.
    pub gt: Option<Millis>,
    /// Stored value must be strictly less than this.
    pub lt: Option<Millis>,
}

impl Range {
    /// Parses the pair of filters named `<field>.gt` and `<field>.lt`.
    pub fn parse(field: &str, gt: Option<&str>, lt: Option<&str>) -> Result<Range, Invalid> {
        let parse = |suffix: &str, raw: &str| {
            parse_instant(raw).ok_or_else(|| {
                Invalid::new(format!("Invalid date: {raw}"), format!("{field}.{suffix}"))
            })
        };
        let gt_ns = gt.map(|raw| parse("gt", raw)).transpose()?;
        let lt_ns = lt.map(|raw| parse("lt", raw)).transpose()?;
        if let (Some(a), Some(b)) = (gt_ns, lt_ns) {
            if a > b {
                return Err(Invalid::new(
                    format!("{field}.gt cannot be later than {field}.lt"),
                    format!("{field}.gt"),
                ));
            }
        }
        // stored > x  ⟺  stored > floor(x);  stored < x  ⟺  stored < ceil(x)   (stored is whole ms)
        Ok(Range {
            gt: gt_ns.map(|ns| clamp_ms(ns.div_euclid(1_000_000))),
            lt: lt_ns.map(|ns| clamp_ms(-((-ns).div_euclid(1_000_000)))),
        })
    }

    pub fn contains(&self, ms: Millis) -> bool {
        self.gt.is_none_or(|g| ms > g) && self.lt.is_none_or(|l| ms < l)
    }
}

fn clamp_ms(v: i128) -> Millis {
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn output_is_utc_with_exactly_three_fraction_digits() {
        assert_eq!(format_millis(1_611_144_603_140), "2021-01-20T12:10:03.140Z");
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn accepts_date_only_fractions_and_offsets() {
        let base = parse_instant("2021-01-20T12:10:03Z").unwrap();
        assert_eq!(
            parse_instant("2021-01-20").unwrap(),
            parse_instant("2021-01-20T00:00:00Z").unwrap()
        );
        assert_eq!(
            parse_instant("2021-01-20T12:10:03.140Z").unwrap(),
            base + 140_000_000
        );
        assert_eq!(
            parse_instant("2021-01-20T12:10:03.123456789Z").unwrap(),
            base + 123_456_789
        );
        assert_eq!(parse_instant("2021-01-20T14:10:03+02:00").unwrap(), base);
        assert_eq!(
            parse_instant("2021-01-20T12:10:03.1z"),
            Some(base + 100_000_000)
        );
    }

    #[test]
    fn rejects_impossible_dates_and_missing_offsets() {
        for bad in [
            "2025-13-45T99:99:99Z",
            "2021-01-20T12:10:03",
            "yesterday",
            "",
            "2021-02-30",
        ] {
            assert!(parse_instant(bad).is_none(), "{bad}");
        }
        let err = Range::parse("creation_time", Some("2025-13-45T99:99:99Z"), None).unwrap_err();
        assert_eq!(err.message, "Invalid date: 2025-13-45T99:99:99Z");
        assert_eq!(err.param.as_deref(), Some("creation_time.gt"));
    }

    #[test]
    fn gt_later_than_lt_is_rejected() {
        let err =
            Range::parse("last_updated_time", Some("2024-02-01"), Some("2024-01-01")).unwrap_err();
        assert_eq!(
            err.message,
            "last_updated_time.gt cannot be later than last_updated_time.lt"
        );
        assert_eq!(err.param.as_deref(), Some("last_updated_time.gt"));
    }

    #[test]
    fn bounds_are_strict() {
        let r = Range::parse(
            "t",
            Some("1970-01-01T00:00:01.000Z"),
            Some("1970-01-01T00:00:02.000Z"),
        )
        .unwrap();
        assert!(!r.contains(1000));
        assert!(r.contains(1001));
        assert!(r.contains(1999));
        assert!(!r.contains(2000));
    }

    proptest! {
        /// A value written out and fed back as `.gt` excludes itself and nothing later.
        #[test]
        fn written_value_fed_back_is_strict(ms in 0i64..4_102_444_800_000, other in 0i64..4_102_444_800_000) {
            let text = format_millis(ms);
            let r = Range::parse("t", Some(&text), None).unwrap();
            prop_assert!(!r.contains(ms));
            prop_assert_eq!(r.contains(other), other > ms);
            let r = Range::parse("t", None, Some(&text)).unwrap();
            prop_assert_eq!(r.contains(other), other < ms);
        }

        /// Sub-millisecond bounds compare as exact instants against whole-millisecond values.
        #[test]
        fn sub_millisecond_bounds_are_exact(ms in 1i64..4_000_000_000_000, frac in 1u32..1_000_000) {
            let bound_ns = (ms as i128) * 1_000_000 + frac as i128;
            let ts = Timestamp::from_nanosecond(bound_ns).unwrap();
            let text = ts.to_string();
            let gt = Range::parse("t", Some(&text), None).unwrap();
            prop_assert!(!gt.contains(ms));
            prop_assert!(gt.contains(ms + 1));
            let lt = Range::parse("t", None, Some(&text)).unwrap();
            prop_assert!(lt.contains(ms));
            prop_assert!(!lt.contains(ms + 1));
        }
    }
}
