//! How a contact reads: OnceHub's Contact object, in the API and wherever a contact is expanded
//! inside another object (a booking, a conversation, a conversation's webhook event).

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use slotline_domain::{
    id::{AccountId, ContactId, UserId},
    time::format_millis,
};
use utoipa::ToSchema;

use crate::{
    store::{contacts, users, Db, StoreResult},
    views::user::UserOut,
};

/// A user id, or the user itself when expanded.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum UserRef {
    Id(UserId),
    User(Box<UserOut>),
}

#[derive(Serialize, ToSchema)]
pub struct CustomFieldValue {
    pub name: String,
    /// Any JSON value.
    #[schema(value_type = Object)]
    pub value: Value,
}

/// The contact object. Fields OnceHub types as never null (`email`, `owner`, `employees`,
/// `timezone`) are left out when the contact has no value for them.
#[derive(Serialize, ToSchema)]
#[schema(as = Contact)]
pub struct ContactOut {
    /// Always `contact`.
    pub object: &'static str,
    pub id: ContactId,
    pub creation_time: String,
    pub last_updated_time: String,
    pub last_interacted_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserRef>,
    pub status: Option<String>,
    pub city: Option<String>,
    pub company_size: Option<String>,
    pub company: Option<String>,
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employees: Option<i64>,
    pub first_name: Option<String>,
    pub has_consent: bool,
    pub job_title: Option<String>,
    pub last_name: Option<String>,
    pub mobile_phone: Option<String>,
    pub phone: Option<String>,
    pub post_code: Option<String>,
    pub salutation: Option<String>,
    pub state: Option<String>,
    pub street_address: Option<String>,
    /// Spelled as OnceHub spells it.
    pub terms_of_sevice: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    pub custom_fields: Vec<CustomFieldValue>,
}

pub fn render(c: contacts::Contact, owners: &HashMap<UserId, users::User>) -> ContactOut {
    let owner = c.owner_id.map(|id| match owners.get(&id) {
        Some(u) => UserRef::User(Box::new(UserOut::from(u.clone()))),
        None => UserRef::Id(id),
    });
    ContactOut {
        object: "contact",
        id: c.id,
        creation_time: format_millis(c.creation_time),
        last_updated_time: format_millis(c.last_updated_time),
        last_interacted_time: c.last_interacted_time.map(format_millis),
        owner,
        status: c.status,
        city: c.city,
        company_size: c.company_size,
        company: c.company,
        country: c.country,
        email: c.email,
        employees: c.employees,
        first_name: c.first_name,
        has_consent: c.has_consent,
        job_title: c.job_title,
        last_name: c.last_name,
        mobile_phone: c.mobile_phone,
        phone: c.phone,
        post_code: c.post_code,
        salutation: c.salutation,
        state: c.state,
        street_address: c.street_address,
        terms_of_sevice: c.terms_of_service,
        timezone: c.timezone,
        custom_fields: c
            .custom_fields
            .into_iter()
            .map(|(name, value)| CustomFieldValue { name, value })
            .collect(),
    }
}

/// A contact as JSON (for expansion inside other objects), if the account has it.
pub async fn json(db: &Db, account_id: &AccountId, id: &ContactId) -> StoreResult<Option<Value>> {
    let Some(c) = contacts::get(db, account_id, id).await? else {
        return Ok(None);
    };
    Ok(Some(serde_json::to_value(render(c, &HashMap::new()))?))
}
