//! What can go wrong in the store, in the store's terms. The API turns each into OnceHub's
//! message (`http::error`); the store itself knows no HTTP and writes no user-facing text.

/// A store operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed (connection lost, timeout, a statement refused for a reason the
    /// store did not expect).
    #[error("database: {0}")]
    Database(sqlx::Error),
    /// A stored value this build cannot read back (malformed JSON, an unknown status), or rows
    /// that contradict each other.
    #[error("stored data: {0}")]
    Corrupt(String),
    /// A write would break a uniqueness rule: `constraint` names it (`table.column`), `value`
    /// is the value already taken.
    #[error("{constraint} already holds '{value}'")]
    Unique {
        constraint: &'static str,
        value: String,
    },
    /// A host's time would overlap time they already hold (the exclusion rule of 0009).
    #[error("host time overlaps")]
    Overlap,
    /// Teams a user is put in that are not live teams of the account, in the order given.
    #[error("no such teams: {0:?}")]
    NoSuchTeams(Vec<String>),
    /// A list's cursor names an object the account never had (`before`: the cursor pages
    /// backwards). `what` is the listed object, as OnceHub names it.
    #[error("no {what} {id} to page from")]
    NoSuchCursor {
        what: &'static str,
        id: String,
        before: bool,
    },
    /// The account already has as many live users as it may.
    #[error("user limit reached")]
    TooManyUsers,
    /// No database connection (on SQLite: no turn to write) came within the wait
    /// ([`super::Limits`]): nothing was done; the caller may try again shortly.
    #[error("the database is busy")]
    Busy,
    /// The account already has `max` active API keys.
    #[error("at most {max} active API keys")]
    TooManyKeys { max: i64 },
}

impl StoreError {
    /// `e` as `value` breaking the uniqueness rule `constraint` when that is what it is; any
    /// other failure stays a database error.
    pub fn unique_or(e: sqlx::Error, constraint: &'static str, value: &str) -> StoreError {
        if super::is_unique_violation(&e) {
            StoreError::Unique {
                constraint,
                value: value.into(),
            }
        } else {
            StoreError::Database(e)
        }
    }
}

/// A column that does not decode (an id without its kind's form, say) is stored data this build
/// cannot read, not a database failure.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::ColumnDecode { index, source } => {
                StoreError::Corrupt(format!("column {index}: {source}"))
            }
            sqlx::Error::PoolTimedOut => StoreError::Busy,
            e => StoreError::Database(e),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(format!("JSON: {e}"))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The uniqueness rules a caller may meet, by the name [`StoreError::Unique`] gives them.
pub mod unique {
    /// A public page's URL slug, shared by master pages, booking pages and calendars.
    pub const SLUG: &str = "page.slug";
    pub const CUSTOM_FIELD_NAME: &str = "custom_fields.name";
    pub const WEBHOOK_NAME: &str = "webhooks.name";
    pub const USER_EMAIL: &str = "users.email";
    pub const CONTACT_EMAIL: &str = "contacts.email";
    pub const CONTACT_MOBILE_PHONE: &str = "contacts.mobile_phone";
    /// A one-time link books once.
    pub const ONE_TIME_LINK_USE: &str = "one_time_link_uses.link_id";
    /// A user's bookings are added to one calendar at most.
    pub const CALENDAR_FOR_BOOKINGS: &str = "calendar_connections.add_bookings";
}
