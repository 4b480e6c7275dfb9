//! What Slotline tells people by email, and in which words: each kind of message, its default
//! English text (every default in [`default_text`], ready for translation) and how its
//! `{placeholders}` are filled — as plain text, and as HTML with every value escaped.

use jiff::{tz::TimeZone, Timestamp};

use crate::html::escape;

/// A kind of message, named as it is stored (`guest.scheduled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// To the guest: the booking is made.
    GuestScheduled,
    /// To the guest: the booking waits for the host's approval.
    GuestRequested,
    /// To each host: a new booking.
    HostScheduled,
    /// To each host: a request waits for their approval.
    HostRequested,
}

impl Notice {
    pub const ALL: [Notice; 4] = [
        Notice::GuestScheduled,
        Notice::GuestRequested,
        Notice::HostScheduled,
        Notice::HostRequested,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Notice::GuestScheduled => "guest.scheduled",
            Notice::GuestRequested => "guest.requested",
            Notice::HostScheduled => "host.scheduled",
            Notice::HostRequested => "host.requested",
        }
    }

    pub fn from_stored(s: &str) -> Option<Notice> {
        Notice::ALL.into_iter().find(|n| n.as_str() == s)
    }
}

/// A message's words: a subject line and a body of paragraphs (blank-line separated), both with
/// `{placeholders}`.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    pub subject: &'static str,
    pub body: &'static str,
}

/// The default English words of every message. Placeholders: `{guest_name}`, `{host_name}`,
/// `{subject}`, `{when}` (in the recipient's time zone), `{duration}` (minutes), `{location}`,
/// and links ending in `_url` (`{reschedule_url}`, `{cancel_url}`), which HTML shows as links.
pub fn default_text(n: Notice) -> Text {
    match n {
        Notice::GuestScheduled => Text {
            subject: "Confirmed: {subject} on {when}",
            body: "Hello {guest_name},\n\n\
                   Your meeting with {host_name} is booked.\n\n\
                   {subject}\n{when} ({duration} minutes)\n{location}\n\n\
                   Need another time? Reschedule: {reschedule_url}\n\n\
                   Can't make it? Cancel: {cancel_url}",
        },
        Notice::GuestRequested => Text {
            subject: "Requested: {subject} on {when}",
            body: "Hello {guest_name},\n\n\
                   Your request to meet {host_name} was received. You will hear from us when it \
                   is approved.\n\n\
                   {subject}\n{when} ({duration} minutes)\n{location}\n\n\
                   Withdraw the request: {cancel_url}",
        },
        Notice::HostScheduled => Text {
            subject: "New booking: {subject} with {guest_name} on {when}",
            body: "Hello {host_name},\n\n\
                   {guest_name} booked a meeting with you.\n\n\
                   {subject}\n{when} ({duration} minutes)\n{location}",
        },
        Notice::HostRequested => Text {
            subject: "Awaiting your approval: {subject} with {guest_name} on {when}",
            body: "Hello {host_name},\n\n\
                   {guest_name} asks to meet you. The time is held until you approve or \
                   decline the request.\n\n\
                   {subject}\n{when} ({duration} minutes)\n{location}",
        },
    }
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `t` with its placeholders filled from `values`. A placeholder without a value is left out;
/// a line left empty by that is dropped. In HTML every value is escaped, paragraphs are `<p>`,
/// lines within one are `<br>`, and `…_url` values are links.
pub fn render(t: &Text, values: &[(&str, &str)]) -> Rendered {
    let value = |name: &str| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .unwrap_or("")
    };
    let subject = fill(t.subject, &|l| l.to_string(), &|name| {
        value(name).replace(['\r', '\n'], " ")
    });
    let mut text = Vec::new();
    let mut html = Vec::new();
    for paragraph in t.body.split("\n\n") {
        let lines: Vec<(String, String)> = paragraph
            .lines()
            .map(|line| {
                let plain = fill(line, &|l| l.to_string(), &|name| value(name).to_string());
                let marked = fill(line, &escape, &|name| {
                    let v = value(name);
                    if name.ends_with("_url") && !v.is_empty() {
                        format!("<a href=\"{0}\">{0}</a>", escape(v))
                    } else {
                        escape(v)
                    }
                });
                (plain, marked)
            })
            .filter(|(plain, _)| !plain.trim().is_empty())
            .collect();
        if lines.is_empty() {
            continue;
        }
        text.push(
            lines
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        );
        html.push(format!(
            "<p>{}</p>",
            lines
                .iter()
                .map(|(_, m)| m.as_str())
                .collect::<Vec<_>>()
                .join("<br>\n")
        ));
    }
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{}\n</body></html>\n",
        escape(&subject),
        html.join("\n")
    );
    Rendered {
        subject,
        text: text.join("\n\n") + "\n",
        html,
    }
}

/// Replaces each `{name}` of `template` with `value(name)`; the words around them (other braces
/// kept) go through `literal` (in HTML, escaped: a template's own text cannot inject markup).
fn fill(
    template: &str,
    literal: &dyn Fn(&str) -> String,
    value: &dyn Fn(&str) -> String,
) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&literal(&rest[..open]));
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if close > 0
                    && after[..close]
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_') =>
            {
                out.push_str(&value(&after[..close]));
                rest = &after[close + 1..];
            }
            _ => {
                out.push_str(&literal("{"));
                rest = after;
            }
        }
    }
    out.push_str(&literal(rest));
    out
}

/// A start time as a person in `zone` reads it: `Monday, January 5, 2026 at 2:30 PM (CET)`.
/// An unknown zone reads as UTC.
pub fn when(start_ms: i64, zone: &str) -> String {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    match Timestamp::from_millisecond(start_ms) {
        Ok(t) => t
            .to_zoned(tz)
            .strftime("%A, %B %-d, %Y at %-I:%M %p (%Z)")
            .to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_and_html_escapes_values_and_the_templates_words() {
        let r = render(
            &default_text(Notice::GuestScheduled),
            &[
                ("guest_name", "Ann <b>&</b>"),
                ("host_name", "Bo"),
                ("subject", "Intro"),
                ("when", "Monday"),
                ("duration", "30"),
                ("reschedule_url", "https://x.test/b/t?a=1&b=2"),
                ("cancel_url", "https://x.test/b/t/cancel"),
            ],
        );
        assert_eq!(r.subject, "Confirmed: Intro on Monday");
        assert!(r.text.contains("Hello Ann <b>&</b>,"), "{}", r.text);
        assert!(
            r.html.contains("Hello Ann &lt;b&gt;&amp;&lt;/b&gt;,"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<b>"), "{}", r.html);
        assert!(
            r.html.contains("Can&#39;t make it?"),
            "the template's own words are escaped too"
        );
        assert!(r.html.contains(
            "<a href=\"https://x.test/b/t?a=1&amp;b=2\">https://x.test/b/t?a=1&amp;b=2</a>"
        ));
    }

    #[test]
    fn a_line_whose_only_placeholder_is_empty_is_dropped() {
        let r = render(
            &Text {
                subject: "{subject}",
                body: "A\n{location}\nB",
            },
            &[("subject", "S")],
        );
        assert_eq!(r.text, "A\nB\n");
    }

    #[test]
    fn a_subject_stays_on_one_line() {
        let r = render(
            &Text {
                subject: "Hi {guest_name}",
                body: "",
            },
            &[("guest_name", "A\r\nBcc: x@evil.test")],
        );
        assert_eq!(r.subject, "Hi A  Bcc: x@evil.test");
    }

    #[test]
    fn other_braces_are_kept() {
        assert_eq!(
            fill("{a} {B} {} {x", &|l| l.to_string(), &|_| "v".into()),
            "v {B} {} {x"
        );
    }

    #[test]
    fn times_read_in_the_recipients_zone() {
        // 2026-01-05T13:30:00Z
        let ms = 1_767_619_800_000;
        assert_eq!(
            when(ms, "Europe/Paris"),
            "Monday, January 5, 2026 at 2:30 PM (CET)"
        );
        assert_eq!(
            when(ms, "Nowhere/Else"),
            "Monday, January 5, 2026 at 1:30 PM (UTC)"
        );
    }

    #[test]
    fn every_kind_reads_back_from_its_stored_name() {
        for n in Notice::ALL {
            assert_eq!(Notice::from_stored(n.as_str()), Some(n));
        }
        assert_eq!(Notice::from_stored("guest.unknown"), None);
    }
}
