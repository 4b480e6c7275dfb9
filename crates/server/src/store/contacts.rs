//! Contacts: the people who book. Identified by email or mobile phone, unique per account.

use slotline_domain::id::{AccountId, ContactId, UserId};
use sqlx::{any::AnyRow, Row};

use super::error::{unique, StoreError, StoreResult};
use super::{
    is_unique_violation,
    page::{self, ListQuery, Page, PageRequest},
    Arg, Db, Sql,
};

#[derive(Debug, Clone)]
pub struct Contact {
    pub id: ContactId,
    pub owner_id: Option<UserId>,
    pub email: Option<String>,
    pub mobile_phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub status: Option<String>,
    pub city: Option<String>,
    pub company_size: Option<String>,
    pub company: Option<String>,
    pub country: Option<String>,
    pub employees: Option<i64>,
    pub has_consent: bool,
    pub job_title: Option<String>,
    pub phone: Option<String>,
    pub post_code: Option<String>,
    pub salutation: Option<String>,
    pub state: Option<String>,
    pub street_address: Option<String>,
    pub terms_of_service: bool,
    pub timezone: Option<String>,
    /// `[{name, value}]`, as stored.
    pub custom_fields: Vec<(String, serde_json::Value)>,
    pub creation_time: i64,
    pub last_updated_time: i64,
    pub last_interacted_time: Option<i64>,
    pub deleted: bool,
}

const COLUMNS: &str = "seq, id, owner_id, email, mobile_phone, first_name, last_name, status, city, company_size, company, country, \
    employees, has_consent, job_title, phone, post_code, salutation, state, street_address, terms_of_service, timezone, \
    custom_fields, creation_time, last_updated_time, last_interacted_time, deleted";

fn from_row(r: &AnyRow) -> StoreResult<Contact> {
    let raw_fields: String = r.try_get("custom_fields")?;
    let fields: Vec<serde_json::Value> = serde_json::from_str(&raw_fields)?;
    let custom_fields = fields
        .into_iter()
        .filter_map(|f| {
            Some((
                f.get("name")?.as_str()?.to_string(),
                f.get("value").cloned().unwrap_or_default(),
            ))
        })
        .collect();
    Ok(Contact {
        id: r.try_get("id")?,
        owner_id: r.try_get("owner_id")?,
        email: r.try_get("email")?,
        mobile_phone: r.try_get("mobile_phone")?,
        first_name: r.try_get("first_name")?,
        last_name: r.try_get("last_name")?,
        status: r.try_get("status")?,
        city: r.try_get("city")?,
        company_size: r.try_get("company_size")?,
        company: r.try_get("company")?,
        country: r.try_get("country")?,
        employees: r.try_get("employees")?,
        has_consent: r.try_get::<i64, _>("has_consent")? != 0,
        job_title: r.try_get("job_title")?,
        phone: r.try_get("phone")?,
        post_code: r.try_get("post_code")?,
        salutation: r.try_get("salutation")?,
        state: r.try_get("state")?,
        street_address: r.try_get("street_address")?,
        terms_of_service: r.try_get::<i64, _>("terms_of_service")? != 0,
        timezone: r.try_get("timezone")?,
        custom_fields,
        creation_time: r.try_get("creation_time")?,
        last_updated_time: r.try_get("last_updated_time")?,
        last_interacted_time: r.try_get("last_interacted_time")?,
        deleted: r.try_get::<i64, _>("deleted")? != 0,
    })
}

pub fn custom_fields_json(fields: &[(String, serde_json::Value)]) -> String {
    let arr: Vec<serde_json::Value> = fields
        .iter()
        .map(|(n, v)| serde_json::json!({"name": n, "value": v}))
        .collect();
    serde_json::Value::Array(arr).to_string()
}

#[derive(Default)]
pub struct ContactFilter {
    pub email: Option<String>,
    pub creation: slotline_domain::time::Range,
    pub last_updated: slotline_domain::time::Range,
}

pub async fn list(
    db: &Db,
    account_id: &AccountId,
    f: &ContactFilter,
    req: &PageRequest,
) -> StoreResult<(Vec<Contact>, Page)> {
    let mut filters = Vec::new();
    if let Some(e) = &f.email {
        filters.push((
            "email_lc = ?",
            Arg::from(slotline_domain::email::normalize(e)),
        ));
    }
    for (range, gt, lt) in [
        (&f.creation, "creation_time > ?", "creation_time < ?"),
        (
            &f.last_updated,
            "last_updated_time > ?",
            "last_updated_time < ?",
        ),
    ] {
        if let Some(v) = range.gt {
            filters.push((gt, Arg::I64(v)));
        }
        if let Some(v) = range.lt {
            filters.push((lt, Arg::I64(v)));
        }
    }
    let q = ListQuery {
        table: "contacts",
        columns: COLUMNS,
        what: "contact",
        account_id,
        filters,
        any_of: None,
    };
    let page = page::fetch(db, &q, req).await?;
    let contacts = page
        .rows
        .iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((contacts, page))
}

pub async fn get(db: &Db, account_id: &AccountId, id: &ContactId) -> StoreResult<Option<Contact>> {
    let sql = format!("SELECT {COLUMNS} FROM contacts WHERE account_id = $1 AND id = $2");
    sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The identifier a duplicate collides with, as OnceHub reports it (param, value).
async fn duplicate_of(
    db: &Db,
    account_id: &AccountId,
    email: Option<&str>,
    mobile: Option<&str>,
) -> StoreResult<Option<(&'static str, String)>> {
    if let Some(e) = email {
        let hit = sqlx::query(
            "SELECT 1 FROM contacts WHERE account_id = $1 AND email_lc = $2 AND deleted = 0",
        )
        .bind(account_id)
        .bind(slotline_domain::email::normalize(e))
        .fetch_optional(&mut *db.writer().await?)
        .await?;
        if hit.is_some() {
            return Ok(Some(("email", e.to_string())));
        }
    }
    if let Some(m) = mobile {
        let hit = sqlx::query(
            "SELECT 1 FROM contacts WHERE account_id = $1 AND mobile_phone = $2 AND deleted = 0",
        )
        .bind(account_id)
        .bind(m)
        .fetch_optional(&mut *db.writer().await?)
        .await?;
        if hit.is_some() {
            return Ok(Some(("mobile_phone", m.to_string())));
        }
    }
    Ok(None)
}

/// Inserts a contact from column values already validated by the caller.
/// Values to write to a contact: each `Some` is set (`Some(None)` empties it), each `None` is
/// kept (or, on create, left empty).
#[derive(Debug, Default)]
pub struct ContactPatch {
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub company_size: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub job_title: Option<Option<String>>,
    pub post_code: Option<Option<String>>,
    pub salutation: Option<Option<String>>,
    pub state: Option<Option<String>>,
    pub street_address: Option<Option<String>>,
    /// E.164.
    pub phone: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub status: Option<Option<String>>,
    pub employees: Option<Option<i64>>,
    pub has_consent: Option<bool>,
    pub terms_of_service: Option<bool>,
    pub owner_id: Option<Option<UserId>>,
    /// Merged by name into the contact's custom fields.
    pub custom_fields: Option<Vec<(String, serde_json::Value)>>,
}

impl ContactPatch {
    /// The columns this patch sets (custom fields aside).
    fn columns(self) -> Vec<(&'static str, Arg)> {
        let text = [
            ("first_name", self.first_name),
            ("last_name", self.last_name),
            ("city", self.city),
            ("company_size", self.company_size),
            ("company", self.company),
            ("country", self.country),
            ("job_title", self.job_title),
            ("post_code", self.post_code),
            ("salutation", self.salutation),
            ("state", self.state),
            ("street_address", self.street_address),
            ("phone", self.phone),
            ("timezone", self.timezone),
            ("status", self.status),
        ];
        let mut cols: Vec<(&'static str, Arg)> = text
            .into_iter()
            .filter_map(|(c, v)| v.map(|v| (c, Arg::OptStr(v))))
            .collect();
        if let Some(owner) = self.owner_id {
            cols.push(("owner_id", Arg::OptStr(owner.map(String::from))));
        }
        if let Some(v) = self.employees {
            cols.push(("employees", Arg::OptI64(v)));
        }
        if let Some(b) = self.has_consent {
            cols.push(("has_consent", Arg::from(b)));
        }
        if let Some(b) = self.terms_of_service {
            cols.push(("terms_of_service", Arg::from(b)));
        }
        cols
    }
}

/// Creates a contact identified by `email` and/or `mobile_phone` (E.164) with `patch`'s values.
pub async fn create(
    db: &Db,
    account_id: &AccountId,
    email: Option<String>,
    mobile: Option<String>,
    mut patch: ContactPatch,
    now: i64,
) -> StoreResult<ContactId> {
    let id = ContactId::new();
    let custom = patch.custom_fields.take();
    let mut columns = patch.columns();
    columns.push(("email", Arg::OptStr(email.clone())));
    columns.push(("mobile_phone", Arg::OptStr(mobile.clone())));
    if let Some(custom) = custom {
        columns.push(("custom_fields", Arg::from(custom_fields_json(&custom))));
    }
    let mut sql = Sql::new(
        "INSERT INTO contacts (id, account_id, email_lc, creation_time, last_updated_time",
    );
    for (c, _) in &columns {
        sql.push(", ").push(c);
    }
    sql.push_with(
        ") VALUES (?, ?, ?, ?, ?",
        [
            Arg::from(id.as_str()),
            Arg::from(account_id),
            Arg::OptStr(email.as_deref().map(slotline_domain::email::normalize)),
            Arg::I64(now),
            Arg::I64(now),
        ],
    );
    for (_, a) in columns {
        sql.push_with(", ?", [a]);
    }
    sql.push(")");
    let inserted = sql.query().execute(&mut *db.writer().await?).await;
    match inserted {
        Ok(_) => Ok(id),
        Err(e) if is_unique_violation(&e) => {
            let (param, value) = duplicate_of(db, account_id, email.as_deref(), mobile.as_deref())
                .await?
                .unwrap_or(("email", String::new()));
            Err(StoreError::Unique {
                constraint: if param == "mobile_phone" {
                    unique::CONTACT_MOBILE_PHONE
                } else {
                    unique::CONTACT_EMAIL
                },
                value,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Applies `patch`, merging its custom fields by name. False if no such live contact.
pub async fn update(
    db: &Db,
    account_id: &AccountId,
    id: &ContactId,
    mut patch: ContactPatch,
    now: i64,
) -> StoreResult<bool> {
    let custom_fields = patch.custom_fields.take();
    let columns = patch.columns();
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let row = sqlx::query(
        "SELECT custom_fields FROM contacts WHERE account_id = $1 AND id = $2 AND deleted = 0",
    )
    .bind(account_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(false) };
    let mut sql = Sql::new("UPDATE contacts SET ");
    sql.push_with("last_updated_time = ?", [Arg::I64(now)]);
    for (c, a) in columns {
        sql.push(", ").push(c).push_with(" = ?", [a]);
    }
    if let Some(updates) = custom_fields {
        let current: Vec<serde_json::Value> = serde_json::from_str(&row.try_get::<String, _>(0)?)?;
        let mut merged: Vec<(String, serde_json::Value)> = current
            .into_iter()
            .filter_map(|f| {
                Some((
                    f.get("name")?.as_str()?.to_string(),
                    f.get("value").cloned().unwrap_or_default(),
                ))
            })
            .collect();
        for (name, value) in updates {
            match merged.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => merged.push((name, value)),
            }
        }
        sql.push_with(
            ", custom_fields = ?",
            [Arg::from(custom_fields_json(&merged))],
        );
    }
    sql.push_with(
        " WHERE account_id = ? AND id = ?",
        [Arg::from(account_id), Arg::from(id)],
    );
    sql.query().execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn delete(
    db: &Db,
    account_id: &AccountId,
    id: &ContactId,
    now: i64,
) -> StoreResult<bool> {
    Ok(super::soft_delete(db, "contacts", account_id, id, now).await?)
}
