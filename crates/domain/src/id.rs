//! Object identifiers: OnceHub's prefixes followed by 12 random characters from `[0-9A-Z]`.

use std::{
    borrow::Borrow,
    fmt,
    hash::{Hash, Hasher},
    marker::PhantomData,
    ops::Deref,
    str::FromStr,
};

use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const RANDOM_LEN: usize = 12;

/// Declares the kinds of object that carry an id: the `IdKind` enum, one marker type per kind
/// (in `kind`) and an alias `…Id` for its typed id.
macro_rules! kinds {
    ($($kind:ident => $prefix:literal, $object:literal, $alias:ident;)*) => {
        /// The kinds of object that carry an id, each with the prefix OnceHub uses for it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum IdKind {
            $($kind,)*
        }

        impl IdKind {
            pub fn prefix(self) -> &'static str {
                match self {
                    $(IdKind::$kind => $prefix,)*
                }
            }
        }

        /// Marker types, one per kind: the `K` of `Id<K>`. They have no values.
        pub mod kind {
            $(
                #[derive(Debug)]
                pub enum $kind {}

                impl super::Kind for $kind {
                    const KIND: super::IdKind = super::IdKind::$kind;
                    const NAME: &'static str = stringify!($alias);
                    const OBJECT: &'static str = $object;
                }
            )*
        }

        $(pub type $alias = Id<kind::$kind>;)*
    };
}

kinds! {
    Account => "ACC-", "account", AccountId;
    ApiKey => "KEY-", "API key", ApiKeyId;
    User => "USR-", "user", UserId;
    Team => "TM-", "team", TeamId;
    Contact => "CTC-", "contact", ContactId;
    Webhook => "WHK-", "webhook", WebhookId;
    Event => "EVNT-", "event", EventId;
    Booking => "BKNG-", "booking", BookingId;
    BookingPage => "BP-", "booking page", BookingPageId;
    MasterPage => "MP-", "master page", MasterPageId;
    EventType => "ET-", "event type", EventTypeId;
    BookingCalendar => "BKC-", "booking calendar", BookingCalendarId;
    Conversation => "CVR-", "conversation", ConversationId;
    Address => "ADD-", "address", AddressId;
    Website => "WEB-", "website", WebsiteId;
    Bot => "BOT-", "bot", BotId;
    Audience => "AUD-", "audience", AudienceId;
    Interaction => "INT-", "interaction", InteractionId;
    Notification => "NTF-", "notification", NotificationId;
    CalendarConnection => "CCN-", "calendar connection", CalendarConnectionId;
    Sms => "SMS-", "SMS notification", SmsId;
}

/// A kind of object, as a type: ties `Id<K>` to its prefix.
pub trait Kind: 'static {
    const KIND: IdKind;
    /// The id's name in the API's schemas (`UserId`).
    const NAME: &'static str;
    /// The object, as messages name it (`No such booking page: …`).
    const OBJECT: &'static str;
}

/// The id of an object of kind `K`: a string known to have that kind's form (its prefix, then 1
/// to 40 characters from `[0-9A-Z]`). Built only by `new` or by parsing, so a `UserId` is never a
/// contact's id or a string from nowhere; it reads as the `str` it is.
pub struct Id<K> {
    value: String,
    kind: PhantomData<fn() -> K>,
}

/// A string that is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not {kind:?} id")]
pub struct NotAnId {
    pub kind: IdKind,
    pub value: String,
}

impl<K: Kind> Id<K> {
    /// A fresh random id. (No `Default`: an id made up where a value was merely missing would
    /// name nothing.)
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Id {
            value: new_id(K::KIND),
            kind: PhantomData,
        }
    }

    /// `s` as an id of this kind, if it has the form.
    pub fn parse(s: impl Into<String>) -> Result<Self, NotAnId> {
        let value = s.into();
        if has_form(K::KIND, &value) {
            Ok(Id {
                value,
                kind: PhantomData,
            })
        } else {
            Err(NotAnId {
                kind: K::KIND,
                value,
            })
        }
    }
}

impl<K> Id<K> {
    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn into_string(self) -> String {
        self.value
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        Id {
            value: self.value.clone(),
            kind: PhantomData,
        }
    }
}

impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<K> Eq for Id<K> {}

impl<K> PartialEq<str> for Id<K> {
    fn eq(&self, other: &str) -> bool {
        self.value == other
    }
}

impl<K> PartialEq<&str> for Id<K> {
    fn eq(&self, other: &&str) -> bool {
        self.value == *other
    }
}

impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

/// Hashes as its string, so maps keyed by ids can be looked up by `&str`.
impl<K> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}

impl<K> Borrow<str> for Id<K> {
    fn borrow(&self) -> &str {
        &self.value
    }
}

impl<K> Deref for Id<K> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.value
    }
}

impl<K> AsRef<str> for Id<K> {
    fn as_ref(&self) -> &str {
        &self.value
    }
}

impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl<K> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.value, f)
    }
}

impl<K> From<Id<K>> for String {
    fn from(id: Id<K>) -> String {
        id.value
    }
}

impl<K> From<&Id<K>> for String {
    fn from(id: &Id<K>) -> String {
        id.value.clone()
    }
}

impl<K: Kind> FromStr for Id<K> {
    type Err = NotAnId;
    fn from_str(s: &str) -> Result<Self, NotAnId> {
        Id::parse(s)
    }
}

impl<K> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.value)
    }
}

impl<'de, K: Kind> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Id::parse(s).map_err(serde::de::Error::custom)
    }
}

/// Ids and hosts are stored as text; a stored value without the expected form is an error when
/// read, never a wrong id.
#[cfg(feature = "sqlx")]
mod sql {
    use super::{Host, Id, Kind};
    use sqlx::{encode::IsNull, error::BoxDynError, Database, Decode, Encode, Type};

    macro_rules! stored_as_text {
        (impl[$($generics:tt)*] $ty:ty) => {
            impl<DB: Database, $($generics)*> Type<DB> for $ty
            where
                String: Type<DB>,
            {
                fn type_info() -> DB::TypeInfo {
                    <String as Type<DB>>::type_info()
                }

                fn compatible(ty: &DB::TypeInfo) -> bool {
                    <String as Type<DB>>::compatible(ty)
                }
            }

            impl<'q, DB: Database, $($generics)*> Encode<'q, DB> for $ty
            where
                String: Encode<'q, DB>,
            {
                fn encode_by_ref(
                    &self,
                    buf: &mut <DB as Database>::ArgumentBuffer<'q>,
                ) -> Result<IsNull, BoxDynError> {
                    self.as_str().to_string().encode(buf)
                }
            }

            impl<'r, DB: Database, $($generics)*> Decode<'r, DB> for $ty
            where
                String: Decode<'r, DB>,
            {
                fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                    Ok(<$ty>::parse(<String as Decode<DB>>::decode(value)?)?)
                }
            }
        };
    }

    stored_as_text!(impl[K: Kind] Id<K>);
    stored_as_text!(impl[] Host);
}

/// In the API's schemas: a string with the kind's prefix, named after the kind (`UserId`).
#[cfg(feature = "openapi")]
mod schema {
    use super::{Id, Kind};
    use std::borrow::Cow;
    use utoipa::openapi::{schema::SchemaType, ObjectBuilder, RefOr, Schema, Type};

    impl<K: Kind> utoipa::PartialSchema for Id<K> {
        fn schema() -> RefOr<Schema> {
            let prefix = K::KIND.prefix();
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .pattern(Some(format!("^{prefix}[0-9A-Z]{{1,40}}$")))
                .examples([format!("{prefix}D4V1D2P5K7QX")])
                .into()
        }
    }

    impl<K: Kind> utoipa::ToSchema for Id<K> {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed(K::NAME)
        }
    }

    impl utoipa::PartialSchema for super::Host {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .description(Some("A user's id, or a team's."))
                .pattern(Some("^(USR|TM)-[0-9A-Z]{1,40}$"))
                .examples(["USR-D4V1D2P5K7QX"])
                .into()
        }
    }

    impl utoipa::ToSchema for super::Host {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("HostId")
        }
    }
}

/// True when `s` has the form of an id of `kind`: its prefix, then 1 to 40 characters from
/// `[0-9A-Z]` (OnceHub's own ids vary in length).
/// Who hosts a calendar or page: a user or a team, told apart by their ids' prefixes (the one
/// place that knows how).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    User(UserId),
    Team(TeamId),
}

impl Host {
    /// `s` as a team's id or a user's; an error (naming users) otherwise.
    pub fn parse(s: impl Into<String>) -> Result<Host, NotAnId> {
        let s = s.into();
        if s.starts_with(IdKind::Team.prefix()) {
            TeamId::parse(s).map(Host::Team)
        } else {
            UserId::parse(s).map(Host::User)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Host::User(id) => id.as_str(),
            Host::Team(id) => id.as_str(),
        }
    }

    pub fn is_team(&self) -> bool {
        matches!(self, Host::Team(_))
    }
}

/// A user is the host when the host is that user.
impl PartialEq<Host> for UserId {
    fn eq(&self, host: &Host) -> bool {
        matches!(host, Host::User(u) if u == self)
    }
}

impl Deref for Host {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Host {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
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
    fn a_typed_id_parses_only_its_own_kind() {
        let user: UserId = Id::new();
        assert!(user.starts_with("USR-"));
        assert_eq!(UserId::parse(user.as_str()).unwrap(), user);
        let err = UserId::parse("TM-GCJU8DLBTPY1").unwrap_err();
        assert_eq!(err.kind, IdKind::User);
        assert!(ContactId::parse("CTC-").is_err());
        assert!("BKNG-ABC".parse::<BookingId>().is_ok());
    }

    #[test]
    fn a_typed_id_reads_and_writes_json_as_its_string() {
        let id: TeamId = serde_json::from_str("\"TM-GCJU8DLBTPY1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"TM-GCJU8DLBTPY1\"");
        assert!(serde_json::from_str::<UserId>("\"TM-GCJU8DLBTPY1\"").is_err());
        let map: std::collections::HashMap<TeamId, u8> = [(id, 1)].into();
        assert_eq!(map.get("TM-GCJU8DLBTPY1"), Some(&1));
    }

    #[test]
    fn a_host_is_a_team_by_its_prefix_and_a_user_otherwise() {
        assert!(Host::parse("TM-GCJU8DLBTPY1").unwrap().is_team());
        assert_eq!(
            Host::parse("USR-FSD423423").unwrap(),
            Host::User(UserId::parse("USR-FSD423423").unwrap())
        );
        assert!(Host::parse("CTC-ABC").is_err());
        assert!(Host::parse("TM-").is_err());
    }

    #[test]
    fn ids_do_not_repeat() {
        let ids: std::collections::HashSet<_> =
            (0..10_000).map(|_| new_id(IdKind::Booking)).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
