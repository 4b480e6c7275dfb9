//! What differs between SQLite and PostgreSQL in the SQL Slotline writes, in one place: the
//! backend, and the fragments whose syntax differs. Query texts elsewhere are written once, in
//! the subset both accept (numbered `$n` parameters, `RETURNING`, window functions, partial
//! indexes), and take their differing parts from here.
//!
//! Differences of behaviour rather than syntax stay with the code they shape, each naming its
//! reason: writes grouped into one commit on SQLite's single writer (`group_commit.rs`, `sql.rs`),
//! PostgreSQL's `LISTEN` for new deliveries (`outbox.rs`), the webhook worker's single statements
//! on PostgreSQL (`deliveries`: a claim that locks, claims and returns what to send; a record;
//! the sweep of interrupted claims), and the two migration folders,
//! which the integration test `migrations` keeps equal.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// A derived table `alias(columns)` read from the JSON array of objects bound as `$param`;
    /// `columns` are `(name, PostgreSQL type)`.
    pub fn json_table(self, param: usize, alias: &str, columns: &[(&str, &str)]) -> String {
        match self {
            Backend::Sqlite => {
                let cols: Vec<String> = columns
                    .iter()
                    .map(|(c, _)| format!("json_extract(value, '$.{c}') AS {c}"))
                    .collect();
                format!(
                    "(SELECT {} FROM json_each(${param})) AS {alias}",
                    cols.join(", ")
                )
            }
            Backend::Postgres => {
                let cols: Vec<String> = columns.iter().map(|(c, t)| format!("{c} {t}")).collect();
                format!(
                    "json_to_recordset(${param}::json) AS {alias}({})",
                    cols.join(", ")
                )
            }
        }
    }

    /// The values of the JSON array bound as `$param`, as a subquery; `ty` is their SQL type.
    pub fn json_values(self, param: usize, ty: &str) -> String {
        match self {
            Backend::Sqlite => format!("(SELECT value FROM json_each(${param}))"),
            Backend::Postgres => {
                format!("(SELECT json_array_elements_text(${param}::json)::{ty})")
            }
        }
    }

    /// The integer under the key `key` (an SQL expression) of the JSON object bound as `$param`,
    /// NULL when absent.
    pub fn json_object_int(self, param: usize, key: &str) -> String {
        match self {
            Backend::Sqlite => format!("json_extract(${param}, '$.\"' || {key} || '\"')"),
            Backend::Postgres => format!("(${param}::json ->> {key})::bigint"),
        }
    }

    /// The event stream's condition on events table `e` past the position `($tx, $seq)`, and
    /// its order. PostgreSQL commits out of `seq` order: it reads in (transaction id, seq)
    /// order, only events of transactions older than the oldest still running (so nothing can
    /// later appear behind what was read). SQLite commits in `seq` order (`tx` is always 0).
    pub fn stream_after(self, tx: usize, seq: usize) -> (String, &'static str) {
        match self {
            Backend::Sqlite => (format!("e.seq > ${seq}"), "e.seq"),
            Backend::Postgres => (
                format!(
                    "(e.tx, e.seq) > (${tx}, ${seq}) \
                     AND e.tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
                ),
                "e.tx, e.seq",
            ),
        }
    }

    /// Appended to a `SELECT` whose rows a worker takes: rows another worker holds are skipped.
    /// SQLite has one writer, so nothing is held and nothing is needed.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// An extra ` AND` term saying that `[start, end)` overlaps `[lo, hi)` as ranges, for
    /// PostgreSQL only: it lets the planner use the exclusion constraint's GiST index (on user and
    /// time range) with the time in its condition. The plain comparisons stay in the query; on
    /// SQLite this adds nothing.
    pub fn range_overlap(self, start: &str, end: &str, lo: &str, hi: &str) -> String {
        match self {
            Backend::Sqlite => String::new(),
            Backend::Postgres => {
                format!(" AND int8range({start}, {end}) && int8range({lo}, {hi})")
            }
        }
    }
}
