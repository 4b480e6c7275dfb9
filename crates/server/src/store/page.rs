//! Cursor pagination shared by every list: newest first by insertion order (`seq`), cursors
//! are object ids, `after` walks to older objects and `before` to newer ones.

use slotline_domain::id::AccountId;
use sqlx::{any::AnyRow, Row};

use super::error::{StoreError, StoreResult};
use super::{Arg, Db, Sql};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    None,
    After(String),
    Before(String),
}

#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: i64,
    pub cursor: Cursor,
}

/// One page of rows, newest first, and where the neighbouring pages start.
pub struct Page {
    pub rows: Vec<AnyRow>,
    pub has_more: bool,
    /// Id to pass as `after` for the next (older) page, when there is one.
    pub next_after: Option<String>,
    /// Id to pass as `before` for the previous (newer) page, when there is one.
    pub previous_before: Option<String>,
}

/// What to list: the table, its columns (must include `seq` and `id`), the object's name for
/// error messages, and filters as SQL fragments with one `?` each.
pub struct ListQuery<'a> {
    pub table: &'static str,
    pub columns: &'static str,
    pub what: &'static str,
    pub account_id: &'a AccountId,
    pub filters: Vec<(&'static str, Arg)>,
    /// `column IN (values…)`, for filters that take a list.
    pub any_of: Option<(&'static str, Vec<String>)>,
}

impl ListQuery<'_> {
    fn base(&self, select: &str) -> Sql {
        let mut sql = Sql::new("");
        sql.push(&format!(
            "SELECT {select} FROM {} WHERE deleted = 0",
            self.table
        ));
        sql.push_with(" AND account_id = ?", [Arg::from(self.account_id)]);
        for (fragment, arg) in &self.filters {
            sql.push(" AND ").push_with(fragment, [arg.clone()]);
        }
        if let Some((column, values)) = &self.any_of {
            sql.push(" AND ")
                .push(column)
                .push(" IN ")
                .push_in(values.iter().map(String::as_str));
        }
        sql
    }

    async fn exists_beyond(&self, db: &Db, seq: i64, newer: bool) -> StoreResult<bool> {
        let mut sql = self.base("1");
        sql.push_with(
            if newer {
                " AND seq > ?"
            } else {
                " AND seq < ?"
            },
            [Arg::I64(seq)],
        )
        .push(" LIMIT 1");
        Ok(sql
            .query()
            .fetch_optional(&mut *db.reader().await?)
            .await?
            .is_some())
    }
}

pub async fn fetch(db: &Db, q: &ListQuery<'_>, page: &PageRequest) -> StoreResult<Page> {
    let cursor_seq = match &page.cursor {
        Cursor::None => None,
        Cursor::After(id) | Cursor::Before(id) => {
            let param = if matches!(page.cursor, Cursor::After(_)) {
                "after"
            } else {
                "before"
            };
            // Deleted objects still anchor a cursor: a client paging while objects are deleted keeps its place.
            let mut sql = Sql::new("");
            sql.push(&format!("SELECT seq FROM {}", q.table)).push_with(
                " WHERE account_id = ? AND id = ?",
                [Arg::from(q.account_id), Arg::from(id.as_str())],
            );
            let row = sql.query().fetch_optional(&mut *db.reader().await?).await?;
            Some(
                row.ok_or_else(|| StoreError::NoSuchCursor {
                    what: q.what,
                    id: id.clone(),
                    before: param == "before",
                })?
                .try_get::<i64, _>(0)?,
            )
        }
    };
    let backward = matches!(page.cursor, Cursor::Before(_));
    let mut sql = q.base(q.columns);
    if let Some(seq) = cursor_seq {
        sql.push_with(
            if backward {
                " AND seq > ?"
            } else {
                " AND seq < ?"
            },
            [Arg::I64(seq)],
        );
    }
    sql.push(if backward {
        " ORDER BY seq ASC"
    } else {
        " ORDER BY seq DESC"
    });
    sql.push_with(" LIMIT ?", [Arg::I64(page.limit + 1)]);
    let mut rows = sql.query().fetch_all(&mut *db.reader().await?).await?;
    let has_more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    if backward {
        rows.reverse();
    }
    let edge = |r: Option<&AnyRow>| -> StoreResult<Option<(i64, String)>> {
        r.map(|r| Ok((r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("id")?)))
            .transpose()
    };
    let (first, last) = (edge(rows.first())?, edge(rows.last())?);
    let (mut next_after, mut previous_before) = (None, None);
    if backward {
        if has_more {
            previous_before = first.as_ref().map(|f| f.1.clone());
        }
        if let Some((seq, id)) = last {
            if q.exists_beyond(db, seq, false).await? {
                next_after = Some(id);
            }
        }
    } else {
        if has_more {
            next_after = last.as_ref().map(|l| l.1.clone());
        }
        if let (Some(_), Some((seq, id))) = (cursor_seq, first) {
            if q.exists_beyond(db, seq, true).await? {
                previous_before = Some(id);
            }
        }
    }
    Ok(Page {
        rows,
        has_more,
        next_after,
        previous_before,
    })
}

/// Every row a list gives, a hundred at a time, for the small collections an account has
/// (pages, event types, websites): at most 5,000.
pub async fn read_all<T, F, Fut>(mut list: F) -> StoreResult<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = StoreResult<(Vec<T>, Page)>>,
{
    let mut out = Vec::new();
    let mut cursor = Cursor::None;
    for _ in 0..50 {
        let (rows, page) = list(PageRequest { limit: 100, cursor }).await?;
        out.extend(rows);
        match page.next_after {
            Some(next) => cursor = Cursor::After(next),
            None => break,
        }
    }
    Ok(out)
}
