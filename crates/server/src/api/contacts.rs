//! Contacts: list with filters, get, create, update, delete.

use std::collections::HashMap;

use axum::{
    extract::{RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use slotline_domain::{
    id::{kind, AccountId, ContactId, UserId},
    timezone,
};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{invalid_value, not_null, Body, Input, Patch},
    list::{self, Params},
    values::{EmailAddress, PhoneNumber, PhoneOrEmpty},
};
use crate::{
    http::{
        error::{AppError, AppResult, ErrorBody},
        path::PathId,
    },
    state::SharedState,
    store::{accounts, contacts, custom_fields, users},
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
    account_id: &AccountId,
    expand: &[String],
    list: &[contacts::Contact],
) -> AppResult<HashMap<UserId, users::User>> {
    if !expand.iter().any(|e| e == "owner") {
        return Ok(HashMap::new());
    }
    let mut ids: Vec<UserId> = list.iter().filter_map(|c| c.owner_id.clone()).collect();
    ids.sort();
    ids.dedup();
    Ok(users::get_many(&state.db, account_id, &ids).await?)
}

/// `owner` as OnceHub; `conversation` (extension): the contact's latest chatbot conversation.
const EXPANDABLE: &[&str] = &["owner", "conversation"];

/// The contact as JSON with its latest conversation when asked to expand it (extension).
async fn with_conversation(
    state: &SharedState,
    account_id: &AccountId,
    out: ContactOut,
    expand: &[String],
) -> AppResult<serde_json::Value> {
    let mut v = serde_json::to_value(&out)?;
    if expand.iter().any(|e| e == "conversation") {
        let latest =
            crate::store::conversations::latest_of_contact(&state.db, account_id, &out.id).await?;
        v["conversation"] = latest
            .map(|c| crate::views::conversation::rest_json(&c, &serde_json::Map::new()))
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

/// Body of `POST /v2/contacts` (and, without `email` and `mobile_phone`, of
/// `PATCH /v2/contacts/{id}`). On create a field may be null (the contact object admits it); on
/// update a field is changed to a value or emptied with `""` (OnceHub's update schema types
/// none as nullable).
#[derive(Deserialize, ToSchema)]
pub struct ContactInput {
    /// Create only: the contact's email address; it or `mobile_phone` is required.
    #[serde(default)]
    #[schema(value_type = Option<EmailAddress>)]
    email: Patch<EmailAddress>,
    /// Create only: a mobile number with its country code.
    #[serde(default)]
    #[schema(value_type = Option<PhoneNumber>)]
    mobile_phone: Patch<PhoneNumber>,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "Ada")]
    first_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "Lovelace")]
    last_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    city: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    company_size: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    company: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    country: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    job_title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    post_code: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    salutation: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    state: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    street_address: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<PhoneOrEmpty>)]
    phone: Patch<PhoneOrEmpty>,
    /// An IANA time zone.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "Europe/London")]
    timezone: Patch<String>,
    /// `Qualified`, `Sales qualified`, `Marketing qualified` or `Disqualified`; any other value
    /// clears it (as OnceHub does).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "Qualified")]
    status: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0)]
    employees: Patch<i64>,
    #[serde(default)]
    has_consent: Option<bool>,
    /// (OnceHub's spelling.)
    #[serde(default)]
    terms_of_sevice: Option<bool>,
    /// The user who owns the contact; the account owner when absent on create.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "USR-3W4X5Y6Z7A")]
    owner: Patch<String>,
    /// `[{name, value}]` of fields in the account's field library, merged by name.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<Vec<Object>>, example = json!([{"name": "industry", "value": "Retail"}]))]
    custom_fields: Option<Value>,
}

impl Input for ContactInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `PATCH /v2/contacts/{id}`: the fields of [`ContactInput`] but the identifiers.
pub struct ContactChange(ContactInput);

impl<'de> Deserialize<'de> for ContactChange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ContactInput::deserialize(d).map(ContactChange)
    }
}

impl utoipa::PartialSchema for ContactChange {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ContactInput::schema()
    }
}

impl ToSchema for ContactChange {}

impl Input for ContactChange {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported field");
    const EMPTY: Option<&'static str> = Some("At least one field must be provided to update.");

    fn precheck(body: &Map<String, Value>) -> AppResult<()> {
        for identifier in ["email", "mobile_phone"] {
            if body.contains_key(identifier) {
                return Err(AppError::invalid(
                    "Identifier fields (email, mobile_phone) cannot be updated via this endpoint",
                    identifier,
                ));
            }
        }
        // OnceHub's update schema types each field without null: a field is changed to a
        // value, or emptied with "".
        if let Some((name, _)) = body
            .iter()
            .find(|(n, v)| v.is_null() && n.as_str() != "custom_fields")
        {
            return Err(invalid_value(name, &Value::Null));
        }
        Ok(())
    }
}

/// `""` empties a time zone (as it empties a text field).
fn emptiable(v: Patch<String>) -> Option<Option<String>> {
    v.into_change().map(|v| v.filter(|s| !s.is_empty()))
}

/// The writable fields of a body as a store patch, each checked.
async fn patch_of(
    state: &SharedState,
    account_id: &AccountId,
    input: ContactInput,
) -> AppResult<contacts::ContactPatch> {
    let phone = input.phone.into_change().map(|p| p.and_then(|p| p.0));
    let timezone = emptiable(input.timezone);
    if let Some(Some(tz)) = &timezone {
        if !timezone::is_valid(tz) {
            return Err(AppError::invalid(
                format!("Invalid timezone: '{tz}'"),
                "timezone",
            ));
        }
    }
    // OnceHub: any value outside the list, or none, sets the status to null.
    let status = match input.status {
        Patch::Absent => None,
        Patch::Null => Some(None),
        Patch::Value(v) => Some(
            v.as_str()
                .filter(|s| STATUSES.contains(s))
                .map(str::to_string),
        ),
    };
    let employees = match input.employees {
        Patch::Value(n) if n < 0 => return Err(invalid_value("employees", &json!(n))),
        other => other.into_change(),
    };
    let owner_id = match input.owner {
        Patch::Absent => None,
        Patch::Null => return Err(invalid_value("owner", &Value::Null)),
        Patch::Value(owner) => {
            let owner = super::setup::live_owner(&state.db, account_id, &owner).await?;
            Some(Some(owner.id))
        }
    };
    let custom_fields = match input.custom_fields {
        None => None,
        Some(v) => Some(custom_fields_of(state, account_id, v).await?),
    };
    Ok(contacts::ContactPatch {
        first_name: input.first_name.into_change(),
        last_name: input.last_name.into_change(),
        city: input.city.into_change(),
        company_size: input.company_size.into_change(),
        company: input.company.into_change(),
        country: input.country.into_change(),
        job_title: input.job_title.into_change(),
        post_code: input.post_code.into_change(),
        salutation: input.salutation.into_change(),
        state: input.state.into_change(),
        street_address: input.street_address.into_change(),
        phone,
        timezone,
        status,
        employees,
        has_consent: input.has_consent,
        terms_of_service: input.terms_of_sevice,
        owner_id,
        custom_fields,
    })
}

/// `[{name, value}]`, each a field of the account's library with a value within its limits.
async fn custom_fields_of(
    state: &SharedState,
    account_id: &AccountId,
    v: Value,
) -> AppResult<Vec<(String, Value)>> {
    match v {
        Value::Array(items) => {
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
            Ok(out)
        }
        _ => Err(AppError::invalid(
            "Must be an array of {name, value} objects.",
            "custom_fields",
        )),
    }
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
    account_id: &AccountId,
    id: &ContactId,
    expand: &[String],
) -> AppResult<Response> {
    let c = contacts::get(&state.db, account_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("contact", id.as_str()))?;
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
    PathId(id): PathId<kind::Contact>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let expand = Params::parse(q.as_deref()).expand(EXPANDABLE, false)?;
    render_one(&state, &p.account_id, &id, &expand).await
}

#[utoipa::path(post, path = "/v2/contacts", operation_id = "add-a-new-contact", tag = "Contacts", request_body = ContactInput,
    responses((status = 201, body = ContactOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_contact(
    State(state): State<SharedState>,
    p: Principal,
    Body(mut input): Body<ContactInput>,
) -> AppResult<Response> {
    // The contact object, the create schema, admits null for both.
    let address = std::mem::take(&mut input.email)
        .into_change()
        .flatten()
        .map(EmailAddress::into_inner);
    let mobile = std::mem::take(&mut input.mobile_phone)
        .into_change()
        .flatten()
        .map(PhoneNumber::into_inner);
    if address.is_none() && mobile.is_none() {
        return Err(AppError::invalid(
            "At least one of 'email' or 'mobile_phone' is required.",
            "email",
        ));
    }
    for (required, given) in [
        ("first_name", &input.first_name),
        ("last_name", &input.last_name),
    ] {
        match given {
            Patch::Value(s) if !s.trim().is_empty() => {}
            Patch::Null => return Err(invalid_value(required, &Value::Null)),
            _ => {
                return Err(AppError::invalid(
                    format!("{required} is required"),
                    required,
                ))
            }
        }
    }
    let mut patch = patch_of(&state, &p.account_id, input).await?;
    if patch.owner_id.is_none() {
        let owner = accounts::get(&state.db, &p.account_id)
            .await?
            .map(|a| a.owner_user_id);
        patch.owner_id = Some(owner);
    }
    let id = contacts::create(
        &state.db,
        &p.account_id,
        address,
        mobile,
        patch,
        state.now(),
    )
    .await?;
    let mut res = render_one(&state, &p.account_id, &id, &[]).await?;
    *res.status_mut() = StatusCode::CREATED;
    Ok(res)
}

#[utoipa::path(patch, path = "/v2/contacts/{id}", operation_id = "update-a-contact", tag = "Contacts", request_body = ContactChange,
    params(("id" = String, Path)),
    responses((status = 200, body = ContactOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_contact(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Contact>,
    Body(ContactChange(input)): Body<ContactChange>,
) -> AppResult<Response> {
    contacts::get(&state.db, &p.account_id, &id)
        .await?
        .filter(|c| !c.deleted)
        .ok_or_else(|| AppError::not_found("contact", id.as_str()))?;
    let patch = patch_of(&state, &p.account_id, input).await?;
    if !contacts::update(&state.db, &p.account_id, &id, patch, state.now()).await? {
        return Err(AppError::not_found("contact", id.as_str()));
    }
    render_one(&state, &p.account_id, &id, &[]).await
}

#[utoipa::path(delete, path = "/v2/contacts/{id}", operation_id = "delete-a-contact", tag = "Contacts", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_contact(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Contact>,
) -> AppResult<Json<list::DeletedObject>> {
    if !contacts::delete(&state.db, &p.account_id, &id, state.now()).await? {
        return Err(AppError::not_found("contact", id.as_str()));
    }
    Ok(list::deleted(&id))
}
