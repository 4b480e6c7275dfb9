//! Object identifiers: OnceHub's prefixes followed by 12 random characters from `[0-9A-Z]`.

use rand::Rng;

const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const RANDOM_LEN: usize = 12;

/// The kinds of object that carry an id, each with the prefix OnceHub uses for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Account,
    ApiKey,
    User,
    Team,
    Contact,
    Webhook,
    Event,
    Booking,
    BookingPage,
    MasterPage,
    EventType,
    BookingCalendar,
    Conversation,
    Address,
    Website,
    Bot,
    Audience,
    Interaction,
}

impl IdKind {
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::Account => "ACC-",
            IdKind::ApiKey => "KEY-",
            IdKind::User => "USR-",
            IdKind::Team => "TM-",
            IdKind::Contact => "CTC-",
            IdKind::Webhook => "WHK-",
            IdKind::Event => "EVNT-",
            IdKind::Booking => "BKNG-",
            IdKind::BookingPage => "BP-",
            IdKind::MasterPage => "MP-",
            IdKind::EventType => "ET-",
            IdKind::BookingCalendar => "BKC-",
            IdKind::Conversation => "CVR-",
            IdKind::Address => "ADD-",
            IdKind::Website => "WEB-",
            IdKind::Bot => "BOT-",
            IdKind::Audience => "AUD-",
            IdKind::Interaction => "INT-",
        }
    }
}

/// True when `s` has the form of an id of `kind`: its prefix, then 1 to 40 characters from
/// `[0-9A-Z]` (OnceHub's own ids vary in length).
/// Who hosts a calendar or page: a user or a team, told apart by their ids' prefixes (the one
/// place that knows how).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostRef<'a> {
    User(&'a str),
    Team(&'a str),
}

impl<'a> HostRef<'a> {
    pub fn of(id: &'a str) -> HostRef<'a> {
        if id.starts_with(IdKind::Team.prefix()) {
            HostRef::Team(id)
        } else {
            HostRef::User(id)
        }
    }

    pub fn is_team(self) -> bool {
        matches!(self, HostRef::Team(_))
    }
}

pub fn has_form(kind: IdKind, s: &str) -> bool {
    s.strip_prefix(kind.prefix()).is_some_and(|rest| {
        (1..=40).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    })
}

/// A fresh random id without a prefix (one-time links carry none).
pub fn new_bare_id() -> String {
    let mut rng = rand::thread_rng();
    (0..RANDOM_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A fresh random id of the given kind.
pub fn new_id(kind: IdKind) -> String {
    let mut rng = rand::thread_rng();
    let mut s = String::with_capacity(kind.prefix().len() + RANDOM_LEN);
    s.push_str(kind.prefix());
    for _ in 0..RANDOM_LEN {
        s.push(ALPHABET[rng.gen_range(0..ALPHABET.len())] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_has_its_kinds_prefix_then_uppercase_letters_and_digits() {
        assert!(has_form(IdKind::User, "USR-FSD423423"));
        assert!(has_form(IdKind::Team, "TM-GCJU8DLBTPY1"));
        for bad in [
            "USR-",
            "usr-FSD423",
            "USR-fsd423",
            "TM-GCJU8DLBTPY1",
            "USR-A B",
            "garbage",
            &format!("USR-{}", "A".repeat(41)),
        ] {
            assert!(!has_form(IdKind::User, bad), "{bad}");
        }
    }

    #[test]
    fn ids_carry_the_prefix_and_twelve_uppercase_alphanumerics() {
        for kind in [
            IdKind::User,
            IdKind::Team,
            IdKind::Contact,
            IdKind::Webhook,
            IdKind::Event,
        ] {
            let id = new_id(kind);
            let rest = id.strip_prefix(kind.prefix()).expect("prefix");
            assert_eq!(rest.len(), 12);
            assert!(
                rest.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
                "{id}"
            );
        }
    }

    #[test]
    fn ids_do_not_repeat() {
        let ids: std::collections::HashSet<_> =
            (0..10_000).map(|_| new_id(IdKind::Booking)).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
