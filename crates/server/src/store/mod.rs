//! Storage: one schema on SQLite (the embedded default) and PostgreSQL, reached through sqlx's
//! `Any` driver so that every query is written once. Column types are chosen so both backends
//! return the same Rust types: TEXT, BIGINT (instants in ms, flags 0/1) and JSON kept as TEXT.

pub mod accounts;
pub mod agenda;
pub mod booking_calendars;
pub mod booking_pages;
pub mod bookings;
pub mod calendar_connections;
pub mod calendar_writes;
pub mod chatbots;
pub mod conn;
pub mod contacts;
pub mod conversations;
pub mod custom_fields;
pub mod deliveries;
pub mod dialect;
pub mod error;
pub mod event_types;
pub mod events;
pub mod form_tokens;
pub mod group_commit;
pub mod idempotency;
pub mod instance;
pub mod keys;
pub mod master_pages;
pub mod notifications;
pub mod one_time_links;
pub mod outbox;
pub mod page;
pub mod passwords;
pub mod retention;
pub mod sessions;
pub mod sql;
pub mod teams;
pub mod users;
pub mod webhooks;

use std::{str::FromStr, time::Duration};

use slotline_domain::id::{AccountId, Id, Kind};
use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    AnyConnection, ConnectOptions, Executor,
};

pub use conn::{Conn, Conns};

pub use sql::{Arg, Batch, Sql};

pub use dialect::Backend;

pub use error::{StoreError, StoreResult};

/// The database. On SQLite all writes go through one connection: SQLite allows a single writer
/// anyway, and queueing in-process avoids busy errors and lock upgrades. Reads use their own
/// connections (WAL lets them run beside the writer). On PostgreSQL both come from one pool.
#[derive(Clone)]
pub struct Db {
    read: Conns,
    write: Conns,
    pub backend: Backend,
    /// Rung after a commit that wrote deliveries (see `outbox`).
    outbox: std::sync::Arc<tokio::sync::Notify>,
    /// Rung with `outbox`, for the message worker.
    messages: std::sync::Arc<tokio::sync::Notify>,
    /// Rung when a calendar connection is due for a sync now (added, changed, asked for).
    calendars: std::sync::Arc<tokio::sync::Notify>,
    /// Rung with `outbox`, for the event stream.
    events: std::sync::Arc<tokio::sync::Notify>,
    /// As sqlx understands it (PostgreSQL's LISTEN needs a connection of its own).
    url: String,
    /// SQLite: write batches committed in groups (see `group_commit`).
    group: Option<group_commit::GroupCommit>,
}

/// SQLite connections for reading; more would only add threads on a small machine.
const SQLITE_READERS: usize = 4;

/// Turns what a user passes as `--database-url` into a URL sqlx understands: a bare file path
/// means an SQLite file, created if missing.
/// A plain path and a `sqlite:` URL alike open the file and create it when it is missing
/// (unless the URL asks for another `mode`).
pub fn normalize_url(raw: &str) -> String {
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        raw.to_string()
    } else if raw.starts_with("sqlite:") {
        if raw.contains(":memory:") || raw.contains("mode=") {
            raw.to_string()
        } else if raw.contains('?') {
            format!("{raw}&mode=rwc")
        } else {
            format!("{raw}?mode=rwc")
        }
    } else {
        format!("sqlite://{raw}?mode=rwc")
    }
}

/// The URL with any password replaced, for messages.
pub fn redacted_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

/// What one process may take of the database: its PostgreSQL connections, and how long a caller
/// waits for a connection (or, on SQLite, for its turn to write) before giving up with
/// [`StoreError::Busy`], which the API answers 503 with `Retry-After`: a database that cannot
/// keep up turns requests away instead of queueing them without bound.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub pool: u32,
    pub wait: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            pool: 16,
            wait: Duration::from_secs(3),
        }
    }
}

impl Db {
    pub async fn connect(raw_url: &str) -> Result<Db, sqlx::Error> {
        Db::connect_with(raw_url, Limits::default()).await
    }

    pub async fn connect_with(raw_url: &str, limits: Limits) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let url = normalize_url(raw_url);
        let opts = AnyConnectOptions::from_str(&url)?;
        if url.starts_with("postgres") {
            // One connection first: its error says why (refused, no such database, bad
            // password), where the pool would only say that it timed out.
            let first: AnyConnection = opts.connect().await?;
            sqlx::Connection::close(first).await?;
            // No ping before handing a connection out: a broken one fails its query and is dropped.
            let pool = AnyPoolOptions::new()
                .max_connections(limits.pool.max(1))
                .acquire_timeout(limits.wait)
                .test_before_acquire(false)
                .connect_with(opts)
                .await?;
            return Ok(Db {
                read: Conns::Pool(pool.clone()),
                write: Conns::Pool(pool),
                backend: Backend::Postgres,
                outbox: Default::default(),
                events: Default::default(),
                messages: Default::default(),
                calendars: Default::default(),
                url,
                group: None,
            });
        }
        disable_sqlite_memory_statistics();
        let open = || async {
            let mut conn: AnyConnection = opts.connect().await?;
            conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;")
                .await?;
            Ok::<_, sqlx::Error>(conn)
        };
        let write = vec![open().await?];
        let mut read = Vec::with_capacity(SQLITE_READERS);
        for _ in 0..SQLITE_READERS {
            read.push(open().await?);
        }
        let write = Conns::Fixed(std::sync::Arc::new(conn::Fixed::new(write, limits.wait)));
        Ok(Db {
            read: Conns::Fixed(std::sync::Arc::new(conn::Fixed::new(read, limits.wait))),
            group: Some(group_commit::GroupCommit::start(write.clone())),
            write,
            backend: Backend::Sqlite,
            outbox: Default::default(),
            events: Default::default(),
            messages: Default::default(),
            calendars: Default::default(),
            url,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connection for reading.
    pub async fn reader(&self) -> Result<Conn, sqlx::Error> {
        let started = std::time::Instant::now();
        let conn = self.read.get().await;
        crate::measure::db_wait("read", started.elapsed());
        conn
    }

    /// The connection for writing (on SQLite, the only one: hold it briefly, and never while
    /// waiting for another).
    pub async fn writer(&self) -> Result<Conn, sqlx::Error> {
        let started = std::time::Instant::now();
        let conn = self.write.get().await;
        crate::measure::db_wait("write", started.elapsed());
        conn
    }

    /// Runs a write batch through the group commit (SQLite).
    pub(crate) async fn group_commit(
        &self,
        stmts: Vec<(String, Vec<Arg>)>,
    ) -> Result<Vec<Vec<sqlx::any::AnyRow>>, sqlx::Error> {
        match &self.group {
            Some(g) => g.submit(stmts).await,
            None => Err(sqlx::Error::Protocol("group commit is for SQLite".into())),
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// True on a PostgreSQL server whose autovacuum is off: its planner then never learns how
    /// big the tables grow and may read a host's or an account's whole history per request
    /// (BENCHMARKS.md). SQLite plans without statistics and has no such switch.
    pub async fn autovacuum_off(&self) -> Result<bool, sqlx::Error> {
        if self.backend != Backend::Postgres {
            return Ok(false);
        }
        let (setting,): (String,) =
            sqlx::query_as("SELECT setting FROM pg_settings WHERE name = 'autovacuum'")
                .fetch_one(&mut *self.reader().await?)
                .await?;
        Ok(setting == "off")
    }

    /// Applies the migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("migrations/sqlite")
                    .run(&mut *self.writer().await?)
                    .await
            }
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&mut *self.writer().await?)
                    .await
            }
        }
    }
}

/// SQLite keeps allocation statistics behind one global mutex; sqlx copies every value it
/// reads with an allocation, so under concurrent reads that mutex is the bottleneck. Statistics
/// can only be switched off before SQLite initializes, i.e. before the first connection.
fn disable_sqlite_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is documented as callable before sqlite3_initialize, from one
        // thread; `Once` guarantees a single call, and if SQLite was already initialized
        // elsewhere it returns SQLITE_MISUSE and changes nothing.
        unsafe {
            libsqlite3_sys::sqlite3_config(
                libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            );
        }
    });
}

/// Soft-deletes a live object of `table` (which has `last_updated_time`). False if there was none.
pub async fn soft_delete<K: Kind>(
    db: &Db,
    table: &str,
    account_id: &AccountId,
    id: &Id<K>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let sql = format!("UPDATE {table} SET deleted = 1, last_updated_time = $1 WHERE account_id = $2 AND id = $3 AND deleted = 0");
    Ok(sqlx::query(&sql)
        .bind(now)
        .bind(account_id)
        .bind(id)
        .execute(&mut *db.writer().await?)
        .await?
        .rows_affected()
        == 1)
}

/// Sets the given columns (and `last_updated_time`) of a live object. False if there was none.
pub async fn update_columns<K: Kind>(
    db: &Db,
    table: &str,
    account_id: &AccountId,
    id: &Id<K>,
    columns: Vec<(&'static str, Arg)>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut conn = db.writer().await?;
    update_columns_in(&mut conn, table, account_id, id, columns, now).await
}

/// `update_columns` on a connection or inside a transaction.
pub async fn update_columns_in<K: Kind>(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    account_id: &AccountId,
    id: &Id<K>,
    columns: Vec<(&'static str, Arg)>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut sql = Sql::new(&format!("UPDATE {table} SET "));
    sql.push_with("last_updated_time = ?", [Arg::I64(now)]);
    for (c, a) in columns {
        sql.push(", ").push(c).push_with(" = ?", [a]);
    }
    sql.push_with(
        " WHERE account_id = ? AND id = ? AND deleted = 0",
        [Arg::from(account_id), Arg::from(id)],
    );
    Ok(sql.query().execute(conn).await?.rows_affected() == 1)
}

/// True when a database error is the violation of a unique index.
/// A stored value read by `parse` (an enum's name, say); a value this build cannot read is an
/// error that names the column, never a silent default.
pub fn decode<T>(
    column: &str,
    row: &sqlx::any::AnyRow,
    parse: impl FnOnce(&str) -> Option<T>,
) -> StoreResult<T> {
    use sqlx::Row;
    let raw: String = row.try_get(column)?;
    parse(&raw).ok_or_else(|| StoreError::Corrupt(format!("unknown {column} '{raw}'")))
}

pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
