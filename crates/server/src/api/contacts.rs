//! Contacts: list with filters, get, create, update, delete.

use std::collections::HashMap;

use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::Value;
use slotline_domain::{email, phone, timezone};

use super::{
    auth::Principal,
    body::{invalid_value, Fields},
    list::{self, Params},
};
use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    state::SharedState,
    store::{accounts, contacts, custom_fields, users, Arg},
    views::contact::{render, ContactOut},
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/contacts", get(list_contacts).post(create_contact))
        .route(
            "/contacts/{id}",
            get(get_contact)
                .patch(update_contact)
                .delete(delete_contact),
        )
}

async fn owners_for(
    state: &SharedState,
    account_id: &str,
    expand: &[String],
    list: &[contacts::Contact],
) -> AppResult<HashMap<String, users::User>> {
    if !expand.iter().any(|e| e == "owner") {
        return Ok(HashMap::new());
    }
    let mut ids: Vec<String> = list.iter().filter_map(|c| c.owner_id.clone()).collect();
    ids.sort();
    ids.dedup();
    Ok(users::get_many(&state.db, account_id, &ids).await?)
}

/// `owner` as OnceHub; `conversation` (extension): the contact's latest chatbot conversation.
const EXPANDABLE: &[&str] = &["owner", "conversation"];

/// The contact as JSON with its latest conversation when asked to expand it (extension).
async fn with_conversation(
    state: &SharedState,
    account_id: &str,
    out: ContactOut,
    expand: &[String],
) -> AppResult<serde_json::Value> {
    let mut v = serde_json::to_value(&out)?;
    if expand.iter().any(|e| e == "conversation") {
        let latest =
            crate::store::conversations::latest_of_contact(&state.db, account_id, &out.id).await?;
        v["conversation"] = latest
            .map(|c| crate::views::conversation::rest(&c, &serde_json::Map::new()))
            .unwrap_or(serde_json::Value::Null);
    }
    Ok(v)
}
const STATUSES: [&str; 4] = [
    "Qualified",
    "Sales qualified",
    "Marketing qualified",
    "Disqualified",
];

/// Plain text columns: JSON name and column are the same.
const TEXT_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "city",
    "company_size",
    "company",
    "country",
    "job_title",
    "post_code",
    "salutation",
    "state",
    "street_address",
];

/// Fields a client may write; `email` and `mobile_phone` only on create.
const WRITABLE: &[&str] = &[
    "owner",
    "status",
    "city",
    "company_size",
    "company",
    "country",
    "employees",
    "first_name",
    "has_consent",
    "job_title",
    "last_name",
    "phone",
    "post_code",
    "salutation",
    "state",
    "street_address",
    "terms_of_sevice",
    "timezone",
    "custom_fields",
];

/// Turns the writable fields present in the body into column values, validating each.
async fn columns(
    state: &SharedState,
    account_id: &str,
    f: &Fields,
) -> AppResult<(Vec<(&'static str, Arg)>, Option<Vec<(String, Value)>>)> {
    let mut cols: Vec<(&'static str, Arg)> = Vec::new();
    for name in TEXT_FIELDS {
        if let Some(v) = f.nullable_str(name)? {
            cols.push((*name, Arg::OptStr(v)));
        }
    }
    // "" empties a phone or a time zone (as it empties a text field).
    if let Some(v) = f.nullable_str("phone")? {
        let v = v.filter(|p| !p.is_empty());
        let number = v
            .map(|p| {
                phone::parse(&p).ok_or_else(|| {
                    AppError::invalid(format!("Invalid phone format: '{p}'"), "phone")
                })
            })
            .transpose()?;
        cols.push(("phone", Arg::OptStr(number)));
    }
    if let Some(v) = f.nullable_str("timezone")? {
        let v = v.filter(|tz| !tz.is_empty());
        if let Some(tz) = &v {
            if !timezone::is_valid(tz) {
                return Err(AppError::invalid(
                    format!("Invalid timezone: '{tz}'"),
                    "timezone",
                ));
            }
        }
        cols.push(("timezone", Arg::OptStr(v)));
    }
    if f.has("status") {
        // OnceHub: any value outside the list, or none, sets the status to null.
        let status = f
            .get("status")
            .and_then(Value::as_str)
            .filter(|s| STATUSES.contains(s))
            .map(str::to_string);
        cols.push(("status", Arg::OptStr(status)));
    }
    if let Some(v) = f.nullable_i64("employees")? {
        if v.is_some_and(|n| n < 0) {
            return Err(invalid_value(
                "employees",
                f.get("employees").unwrap_or(&Value::Null),
            ));
        }
        cols.push(("employees", Arg::OptI64(v)));
    }
    if let Some(b) = f.bool("has_consent")? {
        cols.push(("has_consent", Arg::from(b)));
    }
    if let Some(b) = f.bool("terms_of_sevice")? {
        cols.push(("terms_of_service", Arg::from(b)));
    }
    if let Some(owner) = f.nullable_str("owner")? {
        let owner = match owner {
            Some(id) => id,
            None => return Err(invalid_value("owner", &Value::Null)),
        };
        if users::get(&state.db, account_id, &owner)
            .await?
            .filter(|u| !u.deleted)
            .is_none()
        {
            return Err(AppError::invalid(
                format!("No such user: '{owner}'"),
                "owner",
            ));
        }
        cols.push(("owner_id", Arg::from(owner)));
    }
    let custom = match f.get("custom_fields") {
        None => None,
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                let name = item.get("name").and_then(Value::as_str).ok_or_else(|| {
                    AppError::invalid(
                        "Each custom field needs a name and a value.",
                        "custom_fields",
                    )
                })?;
                let value = item.get("value").cloned().unwrap_or(Value::Null);
                // A value is text, or a list of texts; each within the answer limit.
                let texts: Vec<&str> = match &value {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                for t in texts {
                    slotline_domain::limits::check("custom_field", "custom_fields.value", t)?;
                }
                if value.to_string().len() > 4 * slotline_domain::limits::LONG {
                    return Err(AppError::invalid(
                        "custom_fields.value is too large.",
                        "custom_fields.value",
                    ));
                }
                out.push((name.to_string(), value));
            }
            if out.len() > 100 {
                return Err(AppError::invalid(
                    "At most 100 custom fields.",
                    "custom_fields",
                ));
            }
            let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
            if let Some(unknown) =
                custom_fields::first_unknown(&state.db, account_id, &names).await?
            {
                return Err(AppError::invalid(
                    format!("Custom field '{unknown}' does not exist in field library"),
                    "custom_fields",
                ));
            }
            Some(out)
        }
        Some(_) => {
            return Err(AppError::invalid(
                "Must be an array of {name, value} objects.",
                "custom_fields",
            ))
        }
    };
    Ok((cols, custom))
}

#[utoipa::path(get, path = "/v2/contacts", operation_id = "list-all-contacts", tag = "Contacts",
    params(("email" = Option<String>, Query), ("creation_time.gt" = Option<String>, Query), ("creation_time.lt" = Option<String>, Query),
           ("last_updated_time.gt" = Option<String>, Query), ("last_updated_time.lt" = Option<String>, Query),
           ("expand" = Option<String>, Query, description = "`owner` (or `data.owner`)"),
           ("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<ContactOut>), (status = 400, body = ErrorBody)))]
pub async fn list_contacts(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let expand = params.expand(EXPANDABLE, true)?;
    let filter = contacts::ContactFilter {
        email: params.email("email")?,
        creation: params.range("creation_time")?,
        last_updated: params.range("last_updated_time")?,
    };
    let (rows, page) = contacts::list(&state.db, &p.account_id, &filter, &req).await?;
    let owners = owners_for(&state, &p.account_id, &expand, &rows).await?;
    let mut data = Vec::with_capacity(rows.len());
    for c in rows {
        data.push(with_conversation(&state, &p.account_id, render(c, &owners), &expand).await?);
    }
    Ok(list::respond(
        &state.base_url,
        "/v2/contacts",
        &params,
        &req,
        &page,
        data,
    ))
}

async fn render_one(
    state: &SharedState,
    account_id: &str,
    id: &str,
    expand: &[String],
) -> AppResult<Response> {
    let c = contacts::get(&state.db, account_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("contact", id))?;
    if c.deleted {
        return Ok(list::redacted(&c.id, "contact"));
    }
    let owners = owners_for(state, account_id, expand, std::slice::from_ref(&c)).await?;
    Ok(
        Json(with_conversation(state, account_id, render(c, &owners), expand).await?)
            .into_response(),
    )
}

#[utoipa::path(get, path = "/v2/contacts/{id}", operation_id = "get-a-single-contact", tag = "Contacts",
    params(("id" = String, Path), ("expand" = Option<String>, Query)),
    responses((status = 200, body = ContactOut), (status = 404, body = ErrorBody)))]
pub async fn get_contact(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let expand = Params::parse(q.as_deref()).expand(EXPANDABLE, false)?;
    render_one(&state, &p.account_id, &id, &expand).await
}

#[utoipa::path(post, path = "/v2/contacts", operation_id = "add-a-new-contact", tag = "Contacts", request_body = ContactOut,
    responses((status = 201, body = ContactOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_contact(
    State(state): State<SharedState>,
    p: Principal,
    f: Fields,
) -> AppResult<Response> {
    let mut allowed = WRITABLE.to_vec();
    allowed.extend(["email", "mobile_phone"]);
    f.only(&allowed, "Unsupported fields")?;
    // The contact object, the create schema, admits null for both.
    let address = f.nullable_str("email")?.flatten();
    let mobile = f.nullable_str("mobile_phone")?.flatten();
    if address.is_none() && mobile.is_none() {
        return Err(AppError::invalid(
            "At least one of 'email' or 'mobile_phone' is required.",
            "email",
        ));
    }
    for required in ["first_name", "last_name"] {
        if f.str(required)?.is_none_or(|s| s.trim().is_empty()) {
            return Err(AppError::invalid(
                format!("{required} is required"),
                required,
            ));
        }
    }
    if let Some(a) = &address {
        if !email::is_valid(a) {
            return Err(AppError::invalid(
                format!("Invalid email format: '{a}'"),
                "email",
            ));
        }
    }
    let mobile = mobile
        .map(|m| {
            phone::parse(&m).ok_or_else(|| {
                AppError::invalid(format!("Invalid phone format: '{m}'"), "mobile_phone")
            })
        })
        .transpose()?;
    let (mut cols, custom) = columns(&state, &p.account_id, &f).await?;
    cols.push(("email", Arg::OptStr(address)));
    cols.push(("mobile_phone", Arg::OptStr(mobile)));
    if !cols.iter().any(|(c, _)| *c == "owner_id") {
        let owner = accounts::get(&state.db, &p.account_id)
            .await?
            .map(|a| a.owner_user_id)
            .filter(|o| !o.is_empty());
        cols.push(("owner_id", Arg::OptStr(owner)));
    }
    if let Some(custom) = custom {
        cols.push((
            "custom_fields",
            Arg::from(contacts::custom_fields_json(&custom)),
        ));
    }
    let id = contacts::create(&state.db, &p.account_id, cols, state.now()).await?;
    let mut res = render_one(&state, &p.account_id, &id, &[]).await?;
    *res.status_mut() = StatusCode::CREATED;
    Ok(res)
}

#[utoipa::path(patch, path = "/v2/contacts/{id}", operation_id = "update-a-contact", tag = "Contacts", request_body = ContactOut,
    params(("id" = String, Path)),
    responses((status = 200, body = ContactOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_contact(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
    f: Fields,
) -> AppResult<Response> {
    contacts::get(&state.db, &p.account_id, &id)
        .await?
        .filter(|c| !c.deleted)
        .ok_or_else(|| AppError::not_found("contact", &id))?;
    for identifier in ["email", "mobile_phone"] {
        if f.has(identifier) {
            return Err(AppError::invalid(
                "Identifier fields (email, mobile_phone) cannot be updated via this endpoint",
                identifier,
            ));
        }
    }
    f.only(WRITABLE, "Unsupported field")?;
    if f.is_empty() {
        return Err(AppError::invalid(
            "At least one field must be provided to update.",
            "body",
        ));
    }
    // OnceHub's update schema types each field without null (its create schema, the contact
    // object, admits null): a field is changed to a value, or emptied with "".
    if let Some(name) = WRITABLE
        .iter()
        .find(|n| **n != "custom_fields" && f.get(n).is_some_and(Value::is_null))
    {
        return Err(invalid_value(name, &Value::Null));
    }
    let (cols, custom) = columns(&state, &p.account_id, &f).await?;
    if !contacts::update(&state.db, &p.account_id, &id, cols, custom, state.now()).await? {
        return Err(AppError::not_found("contact", &id));
    }
    render_one(&state, &p.account_id, &id, &[]).await
}

#[utoipa::path(delete, path = "/v2/contacts/{id}", operation_id = "delete-a-contact", tag = "Contacts", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_contact(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
) -> AppResult<Json<list::DeletedObject>> {
    if !contacts::delete(&state.db, &p.account_id, &id, state.now()).await? {
        return Err(AppError::not_found("contact", &id));
    }
    Ok(list::deleted(&id))
}
