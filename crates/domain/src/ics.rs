//! An iCalendar (RFC 5545) file with one event: the guest's "add to calendar" download, or the
//! invitation an email carries (RFC 5546: `METHOD:REQUEST`, `METHOD:CANCEL`, with organizer and
//! attendees).

use crate::{id::BookingId, time::format_millis};

/// The UID every calendar knows a booking by: that of the first booking of its reschedule chain
/// (`root`), so that calendars move the event instead of adding one.
pub fn booking_uid(root: &BookingId) -> String {
    format!("{root}@slotline")
}

pub struct Event<'a> {
    /// Stable across downloads, so that a calendar updates the event instead of copying it.
    pub uid: &'a str,
    pub start_ms: i64,
    pub end_ms: i64,
    /// When the booking last changed (`DTSTAMP`).
    pub stamp_ms: i64,
    /// Rises with every change of the meeting (`SEQUENCE`), so that a calendar takes the latest.
    pub sequence: i64,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub url: &'a str,
    pub cancelled: bool,
    /// Awaiting the host's approval (`STATUS:TENTATIVE`).
    pub tentative: bool,
    /// A calendar object kept on a CalDAV server: no `METHOD` (RFC 4791 §4.1).
    pub stored: bool,
    /// Who invites whom, for an invitation by email; None for a download.
    pub invitation: Option<Invitation<'a>>,
}

/// A person in an invitation: a display name and an email address.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

/// The people of an invitation: the organizer (the host) and the attendees.
#[derive(Debug, Clone, Copy)]
pub struct Invitation<'a> {
    pub organizer: Person<'a>,
    pub attendees: &'a [Person<'a>],
}

/// A parameter value (`CN=…`): quoted, without the quotes and line breaks it cannot hold.
fn param(s: &str) -> String {
    let clean: String = s.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    format!("\"{clean}\"")
}

/// A `mailto:` URI, without characters that would end the content line or the value.
fn mailto(email: &str) -> String {
    let clean: String = email
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect();
    format!("mailto:{clean}")
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
    ];
    if !e.stored {
        lines.push(format!(
            "METHOD:{}",
            match (e.cancelled, e.invitation.is_some()) {
                (true, _) => "CANCEL",
                (false, true) => "REQUEST",
                (false, false) => "PUBLISH",
            }
        ));
    }
    lines.extend([
        "BEGIN:VEVENT".into(),
        format!("UID:{}", text(e.uid)),
        format!("SEQUENCE:{}", e.sequence.max(0)),
        format!("DTSTAMP:{}", utc(e.stamp_ms)),
        format!("DTSTART:{}", utc(e.start_ms)),
        format!("DTEND:{}", utc(e.end_ms)),
        format!("SUMMARY:{}", text(e.summary)),
    ]);
    if !e.description.is_empty() {
        lines.push(format!("DESCRIPTION:{}", text(e.description)));
    }
    if !e.location.is_empty() {
        lines.push(format!("LOCATION:{}", text(e.location)));
    }
    if !e.url.is_empty() {
        lines.push(format!("URL:{}", e.url));
    }
    if let Some(inv) = &e.invitation {
        lines.push(format!(
            "ORGANIZER;CN={}:{}",
            param(inv.organizer.name),
            mailto(inv.organizer.email)
        ));
        for a in inv.attendees {
            lines.push(format!(
                "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:{}",
                param(a.name),
                mailto(a.email)
            ));
        }
    }
    lines.push(format!(
        "STATUS:{}",
        match (e.cancelled, e.tentative) {
            (true, _) => "CANCELLED",
            (false, true) => "TENTATIVE",
            (false, false) => "CONFIRMED",
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
            sequence: 3,
            summary,
            description: "",
            location: "",
            url: "",
            cancelled: false,
            tentative: false,
            stored: false,
            invitation: None,
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
    fn an_invitation_requests_with_organizer_and_attendees_and_a_cancel_cancels_it() {
        let guests = [Person {
            name: "Ann \"A\" Lee",
            email: "ann@example.com",
        }];
        let mut e = event("Demo");
        e.invitation = Some(Invitation {
            organizer: Person {
                name: "Bo; Host",
                email: "bo@example.com",
            },
            attendees: &guests,
        });
        let ics = render(&e);
        assert!(ics.contains("METHOD:REQUEST\r\n"), "{ics}");
        assert!(
            ics.contains("ORGANIZER;CN=\"Bo; Host\":mailto:bo@example.com\r\n"),
            "{ics}"
        );
        let unfolded = ics.replace("\r\n ", "");
        assert!(
            unfolded.contains("ATTENDEE;CN=\"Ann A Lee\";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:ann@example.com\r\n"),
            "{ics}"
        );
        e.cancelled = true;
        let ics = render(&e);
        assert!(ics.contains("METHOD:CANCEL") && ics.contains("ORGANIZER;"));
    }

    #[test]
    fn a_download_publishes() {
        assert!(render(&event("Demo")).contains("METHOD:PUBLISH\r\n"));
    }

    #[test]
    fn a_cancelled_booking_cancels_the_event() {
        let mut e = event("Demo");
        e.cancelled = true;
        let ics = render(&e);
        assert!(ics.contains("METHOD:CANCEL") && ics.contains("STATUS:CANCELLED"));
    }

    #[test]
    fn a_stored_object_has_no_method_and_a_request_is_tentative() {
        let mut e = event("Demo");
        e.stored = true;
        e.tentative = true;
        let ics = render(&e);
        assert!(!ics.contains("METHOD:"), "{ics}");
        assert!(ics.contains("STATUS:TENTATIVE\r\n"), "{ics}");
        e.stored = false;
        assert!(render(&e).contains("METHOD:PUBLISH\r\n"));
    }
}
