//! What Slotline tells people by email, and in which words: each kind of message, its default
//! English text (every default in [`default_text`], ready for translation) and how its
//! `{placeholders}` are filled — as plain text, and as HTML with every value escaped.

use jiff::{tz::TimeZone, Timestamp};

use crate::html::escape;

/// Declares the kinds of message with their stored names and default English words, so that a
/// kind cannot exist without its text.
macro_rules! notices {
    ($($(#[$doc:meta])* $kind:ident = $name:literal, $subject:literal, $body:expr;)*) => {
        /// A kind of message, named as it is stored (`guest.scheduled`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Notice {
            $($(#[$doc])* $kind,)*
        }

        impl Notice {
            pub const ALL: &'static [Notice] = &[$(Notice::$kind,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Notice::$kind => $name,)*
                }
            }
        }

        /// The default English words of every message. Placeholders: `{guest_name}`,
        /// `{host_name}`, `{subject}`, `{when}` (in the recipient's time zone), `{old_when}` (a
        /// rescheduled booking's previous time), `{duration}` (minutes), `{location}`,
        /// `{join_url}`, `{reason}`, `{new_host_name}`, `{account_name}`, and links ending in
        /// `_url` (`{booking_url}`, `{reschedule_url}`, `{cancel_url}`; a host's `{approve_url}` and
        /// `{decline_url}`), which
        /// HTML shows as links.
        pub fn default_text(n: Notice) -> Text<'static> {
            match n {
                $(Notice::$kind => Text { subject: $subject, body: $body },)*
            }
        }
    };
}

/// The lines every message about a booking repeats.
macro_rules! meeting {
    () => {
        "{subject}\n{when} ({duration} minutes)\n{location}\n{join_url}"
    };
}

notices! {
    /// To the guest: the booking is made.
    GuestScheduled = "guest.scheduled", "Confirmed: {subject} on {when}",
        concat!("Hello {guest_name},\n\nYour meeting with {host_name} is booked.\n\n", meeting!(),
            "\n\nNeed another time? Reschedule: {reschedule_url}\n\nCan't make it? Cancel: {cancel_url}");
    /// To the guest: the booking waits for the host's approval.
    GuestRequested = "guest.requested", "Requested: {subject} on {when}",
        concat!("Hello {guest_name},\n\nYour request to meet {host_name} was received. You will hear from us when it is approved.\n\n",
            meeting!(), "\n\nWithdraw the request: {cancel_url}");
    /// To the guest: the host approved the request.
    GuestApproved = "guest.approved", "Approved: {subject} on {when}",
        concat!("Hello {guest_name},\n\n{host_name} approved your request. Your meeting is booked.\n\n", meeting!(),
            "\n\nNeed another time? Reschedule: {reschedule_url}\n\nCan't make it? Cancel: {cancel_url}");
    /// To the guest: the host declined the request.
    GuestDeclined = "guest.declined", "Declined: {subject} on {when}",
        "Hello {guest_name},\n\n{host_name} could not accept your request for {subject} on {when}.\n\n{reason}";
    /// To the guest: the booking moved to a new time.
    GuestRescheduled = "guest.rescheduled", "Rescheduled: {subject} on {when}",
        concat!("Hello {guest_name},\n\nYour meeting with {host_name} has a new time.\n\nWas: {old_when}\nNow: {when}\n\n", meeting!(),
            "\n\nNeed another time? Reschedule: {reschedule_url}\n\nCan't make it? Cancel: {cancel_url}");
    /// To the guest: the booking was canceled, by the guest or by the host.
    GuestCanceled = "guest.canceled", "Canceled: {subject} on {when}",
        "Hello {guest_name},\n\nYour meeting with {host_name} on {when} was canceled by {canceled_by}.\n\nReason: {reason}";
    /// To the guest: the meeting has a new host.
    GuestReassigned = "guest.reassigned", "New host: {subject} on {when}",
        concat!("Hello {guest_name},\n\nYour meeting will now be with {host_name}. The time stays the same.\n\n", meeting!(),
            "\n\nYour booking: {booking_url}");
    /// To the guest: the host asks for a new time.
    GuestRescheduleRequested = "guest.reschedule_requested", "Please pick a new time: {subject}",
        "Hello {guest_name},\n\n{host_name} asks you to choose another time for {subject}, which was on {when}.\n\nReason: {reason}\n\nPick a new time: {reschedule_url}";
    /// To the guest: the meeting is coming up.
    GuestReminder = "guest.reminder", "Reminder: {subject} on {when}",
        concat!("Hello {guest_name},\n\nThis is a reminder of your meeting with {host_name}.\n\n", meeting!(),
            "\n\nNeed another time? Reschedule: {reschedule_url}\n\nCan't make it? Cancel: {cancel_url}");
    /// To the guest: after the meeting.
    GuestFollowUp = "guest.follow_up", "Thank you: {subject}",
        "Hello {guest_name},\n\nThank you for meeting {host_name}.\n\nBook again: {book_again_url}";
    /// To each host: a new booking.
    HostScheduled = "host.scheduled", "New booking: {subject} with {guest_name} on {when}",
        concat!("Hello {host_name},\n\n{guest_name} ({guest_email}) booked a meeting with you.\n\n", meeting!());
    /// To each host: a request waits for their approval.
    HostRequested = "host.requested", "Awaiting your approval: {subject} with {guest_name} on {when}",
        concat!("Hello {host_name},\n\n{guest_name} ({guest_email}) asks to meet you. The time is held until you approve or decline the request.\n\n",
            meeting!(), "\n\nApprove: {approve_url}\n\nDecline: {decline_url}");
    /// To each host: a booking was canceled.
    HostCanceled = "host.canceled", "Canceled: {subject} with {guest_name} on {when}",
        "Hello {host_name},\n\nThe meeting with {guest_name} on {when} was canceled by {canceled_by}.\n\nReason: {reason}";
    /// To each host: a booking moved to a new time.
    HostRescheduled = "host.rescheduled", "Rescheduled: {subject} with {guest_name} on {when}",
        concat!("Hello {host_name},\n\n{guest_name} moved your meeting.\n\nWas: {old_when}\nNow: {when}\n\n", meeting!());
    /// To the host who no longer has a booking after a reassignment.
    HostReassignedAway = "host.reassigned_away", "Reassigned: {subject} with {guest_name} on {when}",
        "Hello {host_name},\n\nThe meeting with {guest_name} on {when} was given to {new_host_name}. It is no longer in your schedule.";
    /// To the host who receives a booking by reassignment.
    HostReassignedTo = "host.reassigned_to", "Assigned to you: {subject} with {guest_name} on {when}",
        concat!("Hello {host_name},\n\nA meeting with {guest_name} ({guest_email}) was assigned to you.\n\n", meeting!());
    /// To each host: the meeting is coming up.
    HostReminder = "host.reminder", "Reminder: {subject} with {guest_name} on {when}",
        concat!("Hello {host_name},\n\nThis is a reminder of your meeting with {guest_name} ({guest_email}).\n\n", meeting!());
    /// To a user added to an account.
    UserInvitation = "user.invitation", "You were added to {account_name} on Slotline",
        "Hello {user_name},\n\nYou were added to {account_name} as {role}. Guests can now book meetings with you.\n\nChoose your password and sign in (the link works once, for 7 days): {sign_in_url}";
    /// To a user who asked to reset their password.
    PasswordReset = "user.password_reset", "Reset your Slotline password",
        "Hello {user_name},\n\nSomeone asked to reset your password for {account_name} on Slotline. If it was you, choose a new one here (the link works once, for one hour):\n\n{reset_url}\n\nIf it was not you, ignore this email: your password stays as it is.";
}

impl Notice {
    pub fn from_stored(s: &str) -> Option<Notice> {
        Notice::ALL.iter().copied().find(|n| n.as_str() == s)
    }

    /// Reminders and follow-ups: jobs due later, replaced when their booking changes.
    pub fn is_reminder(self) -> bool {
        matches!(
            self,
            Notice::GuestReminder | Notice::HostReminder | Notice::GuestFollowUp
        )
    }

    /// Whether the message carries the meeting as an invitation (`.ics`): every message about a
    /// booking's time, to guest or host; a request carries none until approved.
    pub fn invitation(self) -> Option<Invite> {
        match self {
            Notice::GuestScheduled
            | Notice::GuestApproved
            | Notice::GuestRescheduled
            | Notice::GuestReassigned
            | Notice::HostScheduled
            | Notice::HostRescheduled
            | Notice::HostReassignedTo => Some(Invite::Request),
            Notice::GuestCanceled
            | Notice::GuestDeclined
            | Notice::GuestRescheduleRequested
            | Notice::HostCanceled
            | Notice::HostReassignedAway => Some(Invite::Cancel),
            _ => None,
        }
    }

    /// The short text of the message by SMS, for the kinds sent that way.
    pub fn sms_text(self) -> Option<&'static str> {
        match self {
            Notice::GuestScheduled | Notice::GuestApproved => {
                Some("Booked: {subject} with {host_name}, {when}. Manage: {booking_url}")
            }
            Notice::GuestRescheduled => {
                Some("Moved: {subject} with {host_name} is now {when}. Manage: {booking_url}")
            }
            Notice::GuestCanceled => Some("Canceled: {subject} with {host_name}, {when}."),
            Notice::GuestReminder => {
                Some("Reminder: {subject} with {host_name}, {when}. Manage: {booking_url}")
            }
            _ => None,
        }
    }
}

/// What an attached `.ics` asks of the recipient's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invite {
    /// Add or update the event (`METHOD:REQUEST`).
    Request,
    /// Remove it (`METHOD:CANCEL`).
    Cancel,
}

/// Who receives a message about a booking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Guest,
    /// Every host of the booking after the change.
    Hosts,
    /// Hosts the change added (a new host by reassignment or a reschedule to another host).
    Added,
    /// Hosts the change removed.
    Removed,
    /// Hosts before and after the change.
    Kept,
}

/// A change to a booking that people are told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Scheduled,
    Requested,
    Approved,
    Declined,
    Canceled,
    RescheduleRequested,
    /// The guest moved the booking (to the same or other hosts) without needing approval.
    Rescheduled,
    /// The guest moved the booking and the new time waits for approval.
    RescheduleAwaitingApproval,
    Reassigned,
}

/// Which messages a change sends, to whom. Reminders are not here: they are due later
/// (see [`reminder_due`]).
pub fn messages(c: Change) -> &'static [(Notice, Audience)] {
    use Audience::*;
    use Notice::*;
    match c {
        Change::Scheduled => &[(GuestScheduled, Guest), (HostScheduled, Hosts)],
        Change::Requested => &[(GuestRequested, Guest), (HostRequested, Hosts)],
        Change::Approved => &[(GuestApproved, Guest)],
        Change::Declined => &[(GuestDeclined, Guest)],
        Change::Canceled => &[(GuestCanceled, Guest), (HostCanceled, Hosts)],
        Change::RescheduleRequested => &[(GuestRescheduleRequested, Guest)],
        Change::Rescheduled => &[
            (GuestRescheduled, Guest),
            (HostRescheduled, Kept),
            (HostScheduled, Added),
            (HostCanceled, Removed),
        ],
        Change::RescheduleAwaitingApproval => &[
            (GuestRequested, Guest),
            (HostRequested, Hosts),
            (HostCanceled, Removed),
        ],
        Change::Reassigned => &[
            (GuestReassigned, Guest),
            (HostReassignedTo, Added),
            (HostReassignedAway, Removed),
        ],
    }
}

/// When a reminder `minutes_before` a meeting starting at `start_ms` is due, and until when it
/// may still go out: half its lead time, so that a server that was down does not send a "1 hour
/// before" reminder five minutes before. None when that time has passed at `now_ms` (a booking
/// made inside the reminder's window needs no reminder: its confirmation just went out).
pub fn reminder_due(start_ms: i64, minutes_before: u32, now_ms: i64) -> Option<(i64, i64)> {
    let lead = minutes_before as i64 * 60_000;
    let due = start_ms - lead;
    (due > now_ms).then_some((due, due + lead / 2))
}

/// When a follow-up `minutes_after` a meeting ending at `end_ms` is due, and until when: a day.
pub fn follow_up_due(end_ms: i64, minutes_after: u32) -> (i64, i64) {
    let due = end_ms + minutes_after as i64 * 60_000;
    (due, due + 24 * 3_600_000)
}

/// A message's words: a subject line and a body of paragraphs (blank-line separated), both with
/// `{placeholders}`.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    pub subject: &'a str,
    pub body: &'a str,
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `t` with its placeholders filled from `values`. A placeholder without a value is left out;
/// a line with placeholders, all of them empty, is dropped. In HTML every value is escaped, paragraphs are `<p>`,
/// lines within one are `<br>`, and `…_url` values are links.
pub fn render(t: &Text<'_>, values: &[(&str, &str)]) -> Rendered {
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
            .collect();
        // A line whose placeholders are all empty ("Reason: {reason}" without a reason) is
        // left out, as is one left blank.
        let lines: Vec<(String, String)> = paragraph
            .lines()
            .zip(lines)
            .filter(|(line, (plain, _))| {
                let names = std::cell::RefCell::new(Vec::new());
                fill(line, &|_| String::new(), &|name| {
                    names.borrow_mut().push(name.to_string());
                    String::new()
                });
                let names = names.into_inner();
                !plain.trim().is_empty()
                    && (names.is_empty() || names.iter().any(|n| !value(n).is_empty()))
            })
            .map(|(_, l)| l)
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

/// A one-line text (an SMS) with its placeholders filled; line breaks in values become spaces.
pub fn render_line(template: &str, values: &[(&str, &str)]) -> String {
    fill(template, &|l| l.to_string(), &|name| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.replace(['\r', '\n'], " "))
            .unwrap_or_default()
    })
}

/// How many parts an SMS of `text` travels in: GSM-7 text fits 160 characters in one part and
/// 153 per part beyond (characters of its extension table count twice); any other character
/// makes it UCS-2, 70 in one and 67 per part (by UTF-16 units).
pub fn sms_segments(text: &str) -> u32 {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENDED: &str = "^{}\\[~]|€\u{c}";
    let mut septets = 0u32;
    let mut gsm = true;
    for c in text.chars() {
        if BASIC.contains(c) {
            septets += 1;
        } else if EXTENDED.contains(c) {
            septets += 2;
        } else {
            gsm = false;
            break;
        }
    }
    let (units, single, multi) = if gsm {
        (septets, 160, 153)
    } else {
        (text.encode_utf16().count() as u32, 70, 67)
    };
    if units <= single {
        1
    } else {
        units.div_ceil(multi)
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
                body: "A\n{location}\nReason: {reason}\nB {x}",
            },
            &[("subject", "S")],
        );
        assert_eq!(
            r.text, "A\n",
            "lines whose every placeholder is empty are dropped"
        );
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
            assert_eq!(Notice::from_stored(n.as_str()), Some(*n));
        }
        assert_eq!(Notice::from_stored("guest.unknown"), None);
    }
    #[test]
    fn every_kind_has_words_and_booking_messages_name_the_meeting() {
        for n in Notice::ALL {
            let t = default_text(*n);
            assert!(!t.subject.is_empty() && !t.body.is_empty(), "{n:?}");
            assert!(!t.subject.contains('\n'), "{n:?}");
        }
    }

    #[test]
    fn a_reschedule_tells_kept_hosts_of_the_move_and_changed_hosts_of_their_gain_or_loss() {
        let m = messages(Change::Rescheduled);
        assert!(m.contains(&(Notice::HostRescheduled, Audience::Kept)));
        assert!(m.contains(&(Notice::HostScheduled, Audience::Added)));
        assert!(m.contains(&(Notice::HostCanceled, Audience::Removed)));
        let r = messages(Change::Reassigned);
        assert!(r.contains(&(Notice::HostReassignedAway, Audience::Removed)));
        assert!(r.contains(&(Notice::HostReassignedTo, Audience::Added)));
        assert_eq!(
            messages(Change::Declined),
            &[(Notice::GuestDeclined, Audience::Guest)]
        );
    }

    #[test]
    fn a_reminder_is_due_its_lead_before_and_valid_for_half_of_it() {
        let start = 10 * 3_600_000;
        assert_eq!(
            reminder_due(start, 60, 0),
            Some((9 * 3_600_000, 9 * 3_600_000 + 1_800_000))
        );
        // Booked inside the window: no reminder.
        assert_eq!(reminder_due(start, 60, 9 * 3_600_000 + 1), None);
    }

    #[test]
    fn only_time_changes_carry_an_invitation_and_cancellations_cancel_it() {
        assert_eq!(Notice::GuestScheduled.invitation(), Some(Invite::Request));
        assert_eq!(Notice::GuestCanceled.invitation(), Some(Invite::Cancel));
        assert_eq!(
            Notice::HostReassignedAway.invitation(),
            Some(Invite::Cancel)
        );
        assert_eq!(Notice::GuestRequested.invitation(), None);
        assert_eq!(Notice::GuestReminder.invitation(), None);
    }

    #[test]
    fn an_sms_is_one_line() {
        assert_eq!(
            render_line(
                Notice::GuestReminder.sms_text().unwrap(),
                &[
                    ("subject", "A\nB"),
                    ("host_name", "H"),
                    ("when", "W"),
                    ("booking_url", "u")
                ]
            ),
            "Reminder: A B with H, W. Manage: u"
        );
    }
    #[test]
    fn sms_parts_follow_gsm_and_ucs2_limits() {
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"a".repeat(306)), 2);
        assert_eq!(sms_segments(&"a".repeat(307)), 3);
        assert_eq!(
            sms_segments(&"€".repeat(80)),
            1,
            "an extension character counts twice"
        );
        assert_eq!(sms_segments(&"€".repeat(81)), 2);
        assert_eq!(sms_segments(&"é".repeat(160)), 1, "é is in GSM-7");
        assert_eq!(sms_segments(&"ő".repeat(70)), 1);
        assert_eq!(sms_segments(&"ő".repeat(71)), 2);
    }
}
