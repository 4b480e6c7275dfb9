//! Webhook subscriptions: which events exist, which a subscription matches, its secret and URL.

use rand::Rng;

use crate::Invalid;

/// Every event type Slotline emits, as OnceHub names them.
pub const EVENT_TYPES: &[&str] = &[
    "booking.scheduled",
    "booking.rescheduled",
    "booking.reassigned",
    "booking.canceled_then_rescheduled",
    "booking.canceled_reschedule_requested",
    "booking.canceled",
    "booking.completed",
    "booking.no_show",
    "conversation.reached_out",
    "conversation.started",
    "conversation.closed",
    "conversation.abandoned",
];

/// Subscription shorthands: `booking` means every `booking.*` event, likewise `conversation`.
pub const COMPOSITES: &[&str] = &["booking", "conversation"];

/// Checks the `events` of a new subscription: at least one, each a known event or composite.
pub fn validate_events(events: &[String]) -> Result<(), Invalid> {
    if events.is_empty() {
        return Err(Invalid::new("At least one event is required.", "events"));
    }
    for e in events {
        if !EVENT_TYPES.contains(&e.as_str()) && !COMPOSITES.contains(&e.as_str()) {
            return Err(Invalid::new(format!("Invalid event: '{e}'"), "events"));
        }
    }
    Ok(())
}

/// Whether a subscription to `subscribed` receives an event of type `event_type`.
pub fn matches(subscribed: &[String], event_type: &str) -> bool {
    subscribed.iter().any(|s| {
        s == event_type
            || (COMPOSITES.contains(&s.as_str())
                && event_type
                    .strip_prefix(s.as_str())
                    .is_some_and(|r| r.starts_with('.')))
    })
}

/// The names a subscription may list to receive `event_type`: the type itself and its family's
/// composite (`booking.scheduled` → `booking`).
pub fn subscribed_names(event_type: &str) -> Vec<&str> {
    let mut names = vec![event_type];
    if let Some((family, _)) = event_type.split_once('.') {
        if COMPOSITES.contains(&family) {
            names.push(family);
        }
    }
    names
}

/// A new signing secret: 32 lowercase hexadecimal characters, as OnceHub issues them.
pub fn new_secret() -> String {
    let bytes: [u8; 16] = rand::thread_rng().gen();
    hex::encode(bytes)
}

/// A subscription name must contain at least one letter or digit.
pub fn validate_name(name: &str) -> Result<(), Invalid> {
    if name.chars().any(char::is_alphanumeric) && name.chars().count() <= 200 {
        Ok(())
    } else {
        Err(Invalid::new(
            "Webhook name must contain at least one letter or digit.",
            "name",
        ))
    }
}

const URL_MESSAGE: &str = "URLs must be entered in full, and they must use the https:// prefix";

/// A destination must be a full `https://` URL. Plain `http://` is accepted only for loopback
/// hosts, and only when the server runs with its development flag.
pub fn validate_url(raw: &str, allow_http_loopback: bool) -> Result<(), Invalid> {
    let parsed = url::Url::parse(raw).map_err(|_| Invalid::new(URL_MESSAGE, "url"))?;
    if parsed.host_str().is_none_or(str::is_empty)
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(Invalid::new(URL_MESSAGE, "url"));
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if allow_http_loopback && is_loopback_host(&parsed) => Ok(()),
        _ => Err(Invalid::new(URL_MESSAGE, "url")),
    }
}

fn is_loopback_host(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn subscribed_names_agree_with_matches() {
        for t in EVENT_TYPES {
            for name in EVENT_TYPES.iter().chain(COMPOSITES) {
                assert_eq!(
                    subscribed_names(t).contains(name),
                    matches(&v(&[name]), t),
                    "{name} for {t}"
                );
            }
        }
    }

    #[test]
    fn composites_match_their_family_only() {
        assert!(matches(&v(&["booking"]), "booking.no_show"));
        assert!(!matches(&v(&["booking"]), "conversation.started"));
        assert!(matches(&v(&["conversation"]), "conversation.reached_out"));
        assert!(matches(&v(&["booking.canceled"]), "booking.canceled"));
        assert!(!matches(
            &v(&["booking.canceled"]),
            "booking.canceled_then_rescheduled"
        ));
        assert!(!matches(&v(&["bookings"]), "booking.scheduled"));
    }

    #[test]
    fn events_must_be_known_and_present() {
        assert!(validate_events(&v(&["booking", "conversation.reached_out"])).is_ok());
        assert_eq!(
            validate_events(&v(&["booking.created"]))
                .unwrap_err()
                .message,
            "Invalid event: 'booking.created'"
        );
        assert!(validate_events(&[]).is_err());
        assert!(validate_events(&v(&["Booking.Scheduled"])).is_err());
    }

    #[test]
    fn secrets_are_32_lowercase_hex() {
        let s = new_secret();
        assert_eq!(s.len(), 32);
        assert!(s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_ne!(s, new_secret());
    }

    #[test]
    fn urls_must_be_https_unless_loopback_in_development() {
        assert!(validate_url("https://example.com/hook", false).is_ok());
        assert!(validate_url("http://example.com/hook", false).is_err());
        assert!(validate_url("http://127.0.0.1:9000/hook", false).is_err());
        assert!(validate_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(validate_url("http://localhost/hook", true).is_ok());
        assert!(validate_url("http://example.com/hook", true).is_err());
        assert!(validate_url("example.com/hook", false).is_err());
        assert!(validate_url("ftp://example.com", false).is_err());
        assert!(validate_url("https://user:pw@example.com", false).is_err());
        assert_eq!(
            validate_url("nope", false).unwrap_err().message,
            URL_MESSAGE
        );
    }

    #[test]
    fn names_need_an_alphanumeric() {
        assert!(validate_name("New Bookings").is_ok());
        assert!(validate_name("---").is_err());
        assert!(validate_name("").is_err());
    }
}

/// Whether a webhook receives events: `disabled` after failing for too long, until enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    Enabled,
    Disabled,
}

impl WebhookStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookStatus::Enabled => "enabled",
            WebhookStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookStatus> {
        [WebhookStatus::Enabled, WebhookStatus::Disabled]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

/// Where a delivery stands: waiting for its next attempt (`pending`), received (`delivered`), or
/// given up (`failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}
