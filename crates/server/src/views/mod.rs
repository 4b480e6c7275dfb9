//! Stored rows as OnceHub's JSON objects: what the API answers and what webhook events carry,
//! so both show the same object the same way.

pub mod booking;
pub mod contact;
pub mod conversation;
pub mod event;
pub mod user;

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A reference to another object: its id, or the object itself when the request expanded it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Ref {
    Id(String),
    #[schema(value_type = Object)]
    Expanded(Value),
}

impl Ref {
    pub fn of(id: &str, expanded: &Map<String, Value>, field: &str) -> Ref {
        match expanded.get(field) {
            Some(v) => Ref::Expanded(v.clone()),
            None => Ref::Id(id.to_string()),
        }
    }

    pub fn of_opt(id: Option<&str>, expanded: &Map<String, Value>, field: &str) -> Option<Ref> {
        match expanded.get(field) {
            Some(v) => Some(Ref::Expanded(v.clone())),
            None => id.map(|i| Ref::Id(i.to_string())),
        }
    }
}
