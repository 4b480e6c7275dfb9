//! The account's field library: the custom field names contacts (and booking forms) may carry.

use slotline_domain::id::AccountId;
use sqlx::Row;

use super::error::{unique, StoreError, StoreResult};
use super::{Arg, Db, Sql};

#[derive(Debug, Clone)]
pub struct CustomField {
    pub name: String,
    pub label: String,
}

pub async fn create(
    db: &Db,
    account_id: &AccountId,
    name: &str,
    label: &str,
    now: i64,
) -> StoreResult<CustomField> {
    sqlx::query("INSERT INTO custom_fields (account_id, name, label, creation_time) VALUES ($1, $2, $3, $4)")
        .bind(account_id)
        .bind(name)
        .bind(label)
        .bind(now)
        .execute(&mut *db.writer().await?)
        .await
        .map_err(|e| StoreError::unique_or(e, unique::CUSTOM_FIELD_NAME, name))?;
    Ok(CustomField {
        name: name.into(),
        label: label.into(),
    })
}

pub async fn list(db: &Db, account_id: &AccountId) -> StoreResult<Vec<CustomField>> {
    sqlx::query("SELECT name, label FROM custom_fields WHERE account_id = $1 ORDER BY seq")
        .bind(account_id)
        .fetch_all(&mut *db.reader().await?)
        .await?
        .iter()
        .map(|r| {
            Ok(CustomField {
                name: r.try_get(0)?,
                label: r.try_get(1)?,
            })
        })
        .collect()
}

pub async fn delete(db: &Db, account_id: &AccountId, name: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM custom_fields WHERE account_id = $1 AND name = $2")
        .bind(account_id)
        .bind(name)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The first of `names` that is not in the library, if any.
pub async fn first_unknown(
    db: &Db,
    account_id: &AccountId,
    names: &[&str],
) -> StoreResult<Option<String>> {
    if names.is_empty() {
        return Ok(None);
    }
    let mut sql = Sql::new("SELECT name FROM custom_fields WHERE ");
    sql.push_with("account_id = ? AND name IN ", [Arg::from(account_id)])
        .push_in(names.iter().copied());
    let known: Vec<String> = sql
        .query()
        .fetch_all(&mut *db.reader().await?)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    Ok(names
        .iter()
        .find(|n| !known.iter().any(|k| k == *n))
        .map(|n| n.to_string()))
}
