//! What a booking page or booking calendar tells people (a member of its settings): reminders
//! before the meeting, a follow-up after it, whether hosts are emailed, whether guests with a
//! mobile number get SMS, and its own words for any kind of message.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{notice::Notice, Invalid};

/// Who a reminder goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Guest,
    Host,
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub minutes_before: u32,
    pub to: Recipient,
    pub channel: Channel,
}

/// A page's own words for one kind of message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notifications {
    pub reminders: Vec<Reminder>,
    /// Minutes after the end to thank the guest; None for no follow-up.
    pub follow_up_minutes: Option<u32>,
    /// Hosts get emails about their bookings.
    pub email_hosts: bool,
    /// Guests who gave a mobile number also get confirmations and reminders by SMS.
    pub sms: bool,
    /// Words by kind of message (`guest.scheduled`), replacing the defaults.
    pub templates: BTreeMap<String, Template>,
}

impl Default for Notifications {
    /// OnceHub's default: one email reminder to the guest an hour before.
    fn default() -> Self {
        Notifications {
            reminders: vec![Reminder {
                minutes_before: 60,
                to: Recipient::Guest,
                channel: Channel::Email,
            }],
            follow_up_minutes: None,
            email_hosts: true,
            sms: false,
            templates: BTreeMap::new(),
        }
    }
}

/// At most this many reminders per page.
pub const MAX_REMINDERS: usize = 5;
/// A reminder at most 30 days before.
pub const MAX_MINUTES_BEFORE: u32 = 30 * 24 * 60;
pub const MAX_SUBJECT: usize = 200;
pub const MAX_BODY: usize = 10_000;

const KEYS: [&str; 5] = [
    "reminders",
    "follow_up_minutes",
    "email_hosts",
    "sms",
    "templates",
];

const P: &str = "settings.notifications";

impl Notifications {
    /// The words of `n` here: the page's own, or the default.
    pub fn text(&self, n: Notice) -> crate::notice::Text<'_> {
        match self.templates.get(n.as_str()) {
            Some(t) => crate::notice::Text {
                subject: &t.subject,
                body: &t.body,
            },
            None => crate::notice::default_text(n),
        }
    }

    /// Applies the members present in `v` over `self`; `templates` merges by kind (null
    /// removes a kind's words, back to the default).
    pub fn merge(&self, v: &Value) -> Result<Notifications, Invalid> {
        let obj = v
            .as_object()
            .ok_or_else(|| Invalid::new("notifications must be an object.", P))?;
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(Invalid::new(
                format!("Received unknown parameter: {P}.{k}"),
                format!("{P}.{k}"),
            ));
        }
        let mut n = self.clone();
        if let Some(v) = obj.get("reminders") {
            n.reminders = reminders(v)?;
        }
        if let Some(v) = obj.get("follow_up_minutes") {
            n.follow_up_minutes = match v {
                Value::Null => None,
                v => Some(v.as_u64().filter(|m| *m <= 10_080).ok_or_else(|| {
                    Invalid::new(
                        "follow_up_minutes must be a whole number from 0 to 10080, or null.",
                        format!("{P}.follow_up_minutes"),
                    )
                })? as u32),
            };
        }
        for (key, slot) in [("email_hosts", &mut n.email_hosts), ("sms", &mut n.sms)] {
            if let Some(v) = obj.get(key) {
                *slot = v.as_bool().ok_or_else(|| {
                    Invalid::new(
                        format!("{key} must be true or false."),
                        format!("{P}.{key}"),
                    )
                })?;
            }
        }
        if let Some(v) = obj.get("templates") {
            templates(v, &mut n.templates)?;
        }
        Ok(n)
    }
}

fn reminders(v: &Value) -> Result<Vec<Reminder>, Invalid> {
    let param = format!("{P}.reminders");
    let items = v
        .as_array()
        .filter(|a| a.len() <= MAX_REMINDERS)
        .ok_or_else(|| {
            Invalid::new(
                format!("reminders must list at most {MAX_REMINDERS} reminders."),
                param.clone(),
            )
        })?;
    let mut out: Vec<Reminder> = Vec::new();
    for item in items {
        let obj = item
            .as_object()
            .ok_or_else(|| Invalid::new("Must be an array of objects.", param.clone()))?;
        if let Some(k) = obj
            .keys()
            .find(|k| !["minutes_before", "to", "channel"].contains(&k.as_str()))
        {
            return Err(Invalid::new(
                format!("Received unknown parameter: {param}.{k}"),
                format!("{param}.{k}"),
            ));
        }
        let minutes_before = obj
            .get("minutes_before")
            .and_then(Value::as_u64)
            .filter(|m| (5..=MAX_MINUTES_BEFORE as u64).contains(m))
            .ok_or_else(|| {
                Invalid::new(
                    format!(
                        "minutes_before must be a whole number from 5 to {MAX_MINUTES_BEFORE}."
                    ),
                    format!("{param}.minutes_before"),
                )
            })? as u32;
        let to = pick(
            obj,
            "to",
            &[("guest", Recipient::Guest), ("host", Recipient::Host)],
            Recipient::Guest,
            &param,
        )?;
        let channel = pick(
            obj,
            "channel",
            &[("email", Channel::Email), ("sms", Channel::Sms)],
            Channel::Email,
            &param,
        )?;
        if channel == Channel::Sms && to == Recipient::Host {
            return Err(Invalid::new(
                "SMS reminders go to guests only.",
                format!("{param}.channel"),
            ));
        }
        let r = Reminder {
            minutes_before,
            to,
            channel,
        };
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

fn pick<T: Copy>(
    obj: &Map<String, Value>,
    key: &str,
    names: &[(&str, T)],
    default: T,
    param: &str,
) -> Result<T, Invalid> {
    match obj.get(key) {
        None => Ok(default),
        Some(v) => v
            .as_str()
            .and_then(|s| names.iter().find(|(n, _)| *n == s))
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let all: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
                Invalid::new(
                    format!("{key} must be one of: {}.", all.join(", ")),
                    format!("{param}.{key}"),
                )
            }),
    }
}

fn templates(v: &Value, into: &mut BTreeMap<String, Template>) -> Result<(), Invalid> {
    let param = format!("{P}.templates");
    let obj = v.as_object().ok_or_else(|| {
        Invalid::new(
            "templates must be an object by kind of message.",
            param.clone(),
        )
    })?;
    for (kind, t) in obj {
        let at = format!("{param}.{kind}");
        if Notice::from_stored(kind).is_none() {
            let all: Vec<&str> = Notice::ALL.iter().map(|n| n.as_str()).collect();
            return Err(Invalid::new(
                format!(
                    "Unknown kind of message: '{kind}'. Kinds: {}.",
                    all.join(", ")
                ),
                at,
            ));
        }
        if t.is_null() {
            into.remove(kind);
            continue;
        }
        let o = t
            .as_object()
            .ok_or_else(|| Invalid::new("A template is {subject, body}, or null.", at.clone()))?;
        let field = |name: &str, max: usize| -> Result<String, Invalid> {
            let s = o
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| {
                    Invalid::new(format!("{name} is required."), format!("{at}.{name}"))
                })?;
            if s.chars().count() > max {
                return Err(Invalid::new(
                    format!("{name} must be at most {max} characters."),
                    format!("{at}.{name}"),
                ));
            }
            Ok(s.to_string())
        };
        let subject = field("subject", MAX_SUBJECT)?;
        if subject.contains(['\r', '\n']) {
            return Err(Invalid::new(
                "subject must be one line.",
                format!("{at}.subject"),
            ));
        }
        let body = field("body", MAX_BODY)?.replace("\r\n", "\n");
        if let Some(k) = o
            .keys()
            .find(|k| !["subject", "body"].contains(&k.as_str()))
        {
            return Err(Invalid::new(
                format!("Received unknown parameter: {at}.{k}"),
                format!("{at}.{k}"),
            ));
        }
        into.insert(kind.clone(), Template { subject, body });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_default_is_one_email_reminder_to_the_guest_an_hour_before() {
        let n = Notifications::default();
        assert_eq!(
            n.reminders,
            [Reminder {
                minutes_before: 60,
                to: Recipient::Guest,
                channel: Channel::Email
            }]
        );
        assert!(n.email_hosts && !n.sms && n.follow_up_minutes.is_none());
    }

    #[test]
    fn reminders_are_checked_and_sms_goes_to_guests_only() {
        let d = Notifications::default();
        let n = d
            .merge(&json!({"reminders": [{"minutes_before": 1440}, {"minutes_before": 15, "to": "host"}]}))
            .unwrap();
        assert_eq!(n.reminders.len(), 2);
        assert_eq!(n.reminders[1].to, Recipient::Host);
        let e = d
            .merge(&json!({"reminders": [{"minutes_before": 1}]}))
            .unwrap_err();
        assert_eq!(
            e.param.as_deref(),
            Some("settings.notifications.reminders.minutes_before")
        );
        let e = d
            .merge(&json!({"reminders": [{"minutes_before": 60, "to": "host", "channel": "sms"}]}))
            .unwrap_err();
        assert_eq!(
            e.param.as_deref(),
            Some("settings.notifications.reminders.channel")
        );
        assert!(d
            .merge(&json!({"reminders": vec![json!({"minutes_before": 60}); 6]}))
            .is_err());
    }

    #[test]
    fn templates_merge_by_kind_and_null_restores_the_default() {
        let d = Notifications::default();
        let n = d
            .merge(&json!({"templates": {"guest.scheduled": {"subject": "Hi {guest_name}", "body": "See you {when}"}}}))
            .unwrap();
        assert_eq!(n.text(Notice::GuestScheduled).subject, "Hi {guest_name}");
        assert_eq!(
            n.text(Notice::HostScheduled).subject,
            crate::notice::default_text(Notice::HostScheduled).subject
        );
        let back = n
            .merge(&json!({"templates": {"guest.scheduled": null}}))
            .unwrap();
        assert!(back.templates.is_empty());
        let e = d
            .merge(&json!({"templates": {"guest.nope": {"subject": "a", "body": "b"}}}))
            .unwrap_err();
        assert_eq!(
            e.param.as_deref(),
            Some("settings.notifications.templates.guest.nope")
        );
        let e = d
            .merge(
                &json!({"templates": {"guest.scheduled": {"subject": "a\nBcc: x", "body": "b"}}}),
            )
            .unwrap_err();
        assert_eq!(
            e.param.as_deref(),
            Some("settings.notifications.templates.guest.scheduled.subject")
        );
    }

    #[test]
    fn unknown_members_are_refused() {
        let e = Notifications::default()
            .merge(&json!({"reminder": []}))
            .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("settings.notifications.reminder"));
    }
}
