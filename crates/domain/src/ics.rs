//! An iCalendar (RFC 5545) file with one event: the guest's "add to calendar" download.

use crate::time::format_millis;

pub struct Event<'a> {
    /// Stable across downloads, so that a calendar updates the event instead of copying it.
    pub uid: &'a str,
    pub start_ms: i64,
    pub end_ms: i64,
    /// When the booking last changed (`DTSTAMP`, and `SEQUENCE` in seconds so later wins).
    pub stamp_ms: i64,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub url: &'a str,
    pub cancelled: bool,
}

/// `20260105T143000Z`.
fn utc(ms: i64) -> String {
    let s = format_millis(ms);
    // 2026-01-05T14:30:00.000Z → 20260105T143000Z
    format!(
        "{}{}{}T{}{}{}Z",
        &s[0..4],
        &s[5..7],
        &s[8..10],
        &s[11..13],
        &s[14..16],
        &s[17..19]
    )
}

/// TEXT value escaping (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a character (§3.1).
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

pub fn render(e: &Event) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Slotline//Slotline//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        format!("METHOD:{}", if e.cancelled { "CANCEL" } else { "PUBLISH" }),
        "BEGIN:VEVENT".into(),
        format!("UID:{}", text(e.uid)),
        format!("SEQUENCE:{}", e.stamp_ms.div_euclid(1000)),
        format!("DTSTAMP:{}", utc(e.stamp_ms)),
        format!("DTSTART:{}", utc(e.start_ms)),
        format!("DTEND:{}", utc(e.end_ms)),
        format!("SUMMARY:{}", text(e.summary)),
    ];
    if !e.description.is_empty() {
        lines.push(format!("DESCRIPTION:{}", text(e.description)));
    }
    if !e.location.is_empty() {
        lines.push(format!("LOCATION:{}", text(e.location)));
    }
    if !e.url.is_empty() {
        lines.push(format!("URL:{}", e.url));
    }
    lines.push(format!(
        "STATUS:{}",
        if e.cancelled {
            "CANCELLED"
        } else {
            "CONFIRMED"
        }
    ));
    lines.push("END:VEVENT".into());
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in &lines {
        fold(l, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(summary: &'a str) -> Event<'a> {
        Event {
            uid: "BKNG-1@slotline",
            start_ms: 1_767_623_400_000,
            end_ms: 1_767_625_200_000,
            stamp_ms: 1_767_000_000_000,
            summary,
            description: "",
            location: "",
            url: "",
            cancelled: false,
        }
    }

    #[test]
    fn times_are_utc_basic_format_and_lines_end_in_crlf() {
        let ics = render(&event("Demo"));
        assert!(ics.contains("DTSTART:20260105T143000Z\r\n"), "{ics}");
        assert!(ics.contains("DTEND:20260105T150000Z\r\n"));
        assert!(ics.lines().all(|l| !l.is_empty()));
        assert!(ics
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .all(|l| !l.contains('\n')));
    }

    #[test]
    fn text_is_escaped_so_a_value_cannot_add_properties() {
        let ics = render(&event("a;b,c\\d\nATTENDEE:evil@example.com"));
        assert!(
            ics.contains("SUMMARY:a\\;b\\,c\\\\d\\nATTENDEE:evil@example.com\r\n"),
            "{ics}"
        );
        assert!(!ics.contains("\r\nATTENDEE"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let summary = "é".repeat(100);
        let ics = render(&event(&summary));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{summary}")));
    }

    #[test]
    fn a_cancelled_booking_cancels_the_event() {
        let mut e = event("Demo");
        e.cancelled = true;
        let ics = render(&e);
        assert!(ics.contains("METHOD:CANCEL") && ics.contains("STATUS:CANCELLED"));
    }
}
