//! A small builder for queries whose filters depend on the request: text plus bound values,
//! with `?` in fragments turned into the numbered placeholders both backends accept.

use slotline_domain::id::Id;
use sqlx::{
    any::{AnyArguments, AnyRow},
    query::Query,
    Any, Executor,
};

use super::{Backend, Db};

#[derive(Debug, Clone)]
pub enum Arg {
    Str(String),
    OptStr(Option<String>),
    I64(i64),
    OptI64(Option<i64>),
}

impl Arg {
    /// The text of a string argument.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Arg::Str(s) => Some(s),
            Arg::OptStr(s) => s.as_deref(),
            _ => None,
        }
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Str(s.to_string())
    }
}
impl<K> From<&Id<K>> for Arg {
    fn from(id: &Id<K>) -> Self {
        Arg::Str(id.to_string())
    }
}
impl<K> From<Id<K>> for Arg {
    fn from(id: Id<K>) -> Self {
        Arg::Str(id.into_string())
    }
}
impl<K> From<Option<Id<K>>> for Arg {
    fn from(id: Option<Id<K>>) -> Self {
        Arg::OptStr(id.map(Id::into_string))
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Str(s)
    }
}
impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Self {
        Arg::OptStr(s)
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptI64(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::I64(v as i64)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends `fragment`, binding `args` in order to its `?` marks.
    pub fn push_with(&mut self, fragment: &str, args: impl IntoIterator<Item = Arg>) -> &mut Sql {
        let mut args = args.into_iter();
        for ch in fragment.chars() {
            if ch == '?' {
                let arg = args.next().expect("one argument per `?`");
                self.args.push(arg);
                self.text.push('$');
                self.text.push_str(&self.args.len().to_string());
            } else {
                self.text.push(ch);
            }
        }
        debug_assert!(
            args.next().is_none(),
            "more arguments than `?` in {fragment}"
        );
        self
    }

    /// Appends `(?, ?, …)` binding each value; callers guarantee at least one.
    pub fn push_in<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) -> &mut Sql {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            self.push_with(if i == 0 { "?" } else { ", ?" }, [Arg::from(v)]);
        }
        self.push(")")
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        bind_all(sqlx::query(&self.text), &self.args)
    }
}

fn bind_all<'q>(
    mut q: Query<'q, Any, AnyArguments<'q>>,
    args: &'q [Arg],
) -> Query<'q, Any, AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::Str(s) => q.bind(s.as_str()),
            Arg::OptStr(s) => q.bind(s.as_deref()),
            Arg::I64(v) => q.bind(*v),
            Arg::OptI64(v) => q.bind(*v),
        };
    }
    q
}

/// Statements that make one transaction. On SQLite they go to the connection's thread as one
/// multi-statement query — one round trip instead of one per statement, which is most of what a
/// write costs there — with their `$n` placeholders renumbered across the whole text. On
/// PostgreSQL, which prepares one statement at a time, they run one after another in a
/// transaction. Rows are those of the statements that return any (keep that to the last).
#[derive(Debug, Default)]
pub struct Batch {
    stmts: Vec<(String, Vec<Arg>)>,
}

impl Batch {
    /// Adds a statement written with `$1…$n` for its own `args`.
    /// Takes the last statement back (to put another before it).
    pub fn pop(&mut self) -> Option<(String, Vec<Arg>)> {
        self.stmts.pop()
    }

    pub fn push(&mut self, text: impl Into<String>, args: Vec<Arg>) -> &mut Batch {
        self.stmts.push((text.into(), args));
        self
    }

    /// Runs the whole batch, or nothing of it. Rows of each statement, in order.
    pub async fn run(&self, db: &Db) -> Result<Vec<Vec<AnyRow>>, sqlx::Error> {
        match db.backend {
            // Committed together with whatever other batches are waiting (see `group_commit`).
            Backend::Sqlite => db.group_commit(self.stmts.clone()).await,
            // A single statement is a transaction of its own: no BEGIN and COMMIT round trips.
            Backend::Postgres if self.stmts.len() == 1 => {
                let (text, args) = &self.stmts[0];
                let rows = bind_all(sqlx::query(text), args)
                    .fetch_all(&mut *db.writer().await?)
                    .await?;
                Ok(vec![rows])
            }
            Backend::Postgres => {
                let mut conn = db.writer().await?;
                let mut tx = conn.begin().await?;
                let rows = self.run_in(&mut tx).await?;
                tx.commit().await?;
                Ok(rows)
            }
        }
    }

    /// Runs the statements one after another inside `tx`, already open.
    pub async fn run_in(
        &self,
        tx: &mut sqlx::Transaction<'_, Any>,
    ) -> Result<Vec<Vec<AnyRow>>, sqlx::Error> {
        let mut out = Vec::with_capacity(self.stmts.len());
        for (text, args) in &self.stmts {
            out.push(
                bind_all(sqlx::query(text), args)
                    .fetch_all(&mut **tx)
                    .await?,
            );
        }
        Ok(out)
    }
}

/// Rows of each statement of a multi-statement text that completed (SQLite ends each statement
/// with a result), and the error that stopped it, if any.
pub(super) async fn per_statement_partial(
    conn: &mut sqlx::AnyConnection,
    text: &str,
    args: &[Arg],
) -> (Vec<Vec<AnyRow>>, Option<sqlx::Error>) {
    use futures_util::StreamExt;
    let mut out = Vec::new();
    let mut current = Vec::new();
    // Through the executor: `Query::fetch_many` is deprecated because only SQLite runs several
    // statements in one query. If sqlx stops allowing it, run SQLite batches as PostgreSQL's.
    let mut stream = conn.fetch_many(bind_all(sqlx::query(text), args));
    while let Some(item) = stream.next().await {
        match item {
            Ok(sqlx::Either::Left(_done)) => out.push(std::mem::take(&mut current)),
            Ok(sqlx::Either::Right(row)) => current.push(row),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

/// `$k` → `$(k + offset)` everywhere in `stmt` (statements written here carry no `$` in literals).
pub(super) fn renumber(stmt: &str, offset: usize) -> String {
    if offset == 0 {
        return stmt.to_string();
    }
    let mut out = String::with_capacity(stmt.len() + 16);
    let mut chars = stmt.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c == '$' {
            let mut digits = String::new();
            while let Some(&(_, d)) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                digits.push(d);
                chars.next();
            }
            if !digits.is_empty() {
                out.push_str(&(digits.parse::<usize>().expect("digits") + offset).to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_marks_become_numbered_placeholders_in_order() {
        let mut s = Sql::new("SELECT 1 FROM t WHERE a = ?".replace('?', "$1").as_str());
        s.args.push(Arg::I64(1));
        s.push_with(" AND b = ? AND c > ?", [Arg::from("x"), Arg::from(3i64)]);
        assert_eq!(
            s.text(),
            "SELECT 1 FROM t WHERE a = $1 AND b = $2 AND c > $3"
        );
        assert_eq!(s.args.len(), 3);
        s.push(" AND d IN ").push_in(["x", "y"]);
        assert!(s.text().ends_with("AND d IN ($4, $5)"));
    }
}
