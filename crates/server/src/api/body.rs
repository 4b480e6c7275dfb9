//! Request bodies: read as a JSON object, then taken field by field so that every mistake is
//! reported with OnceHub's message and the name of the field at fault.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{header, StatusCode},
};
use serde_json::{Map, Value};
use slotline_domain::limits;

use crate::{
    http::error::{AppError, AppResult},
    state::SharedState,
};

/// A JSON object body. An empty body reads as `{}` (actions whose body is optional).
pub struct Fields(pub Map<String, Value>);

impl FromRequest<SharedState> for Fields {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &SharedState) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge {
                    limit: state.body_limit,
                }
            } else {
                AppError::invalid("The request body could not be read.", "body")
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Fields(Map::new()));
        }
        if let Some(ct) = content_type {
            if !ct.starts_with("application/json") && !ct.contains("+json") {
                return Err(AppError::UnsupportedMediaType(format!(
                    "Unsupported Content-Type '{ct}'. Send application/json."
                )));
            }
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Fields(map)),
            Ok(_) => Err(AppError::invalid(
                "The request body must be a JSON object.",
                "body",
            )),
            Err(e) => Err(AppError::invalid(
                format!("The request body is not valid JSON: {e}"),
                "body",
            )),
        }
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `Invalid <field>: '<value>'`, OnceHub's wording for a value of the wrong kind.
pub fn invalid_value(field: &str, v: &Value) -> AppError {
    AppError::invalid(format!("Invalid {field}: '{}'", shown(v)), field)
}

impl Fields {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Refuses any field not in `allowed`, with OnceHub's `message` and the field as `param`.
    /// Used where OnceHub documents that refusal (writes of users and contacts) and on Slotline's
    /// own operations; OnceHub's other operations admit fields their schema does not name (no
    /// `additionalProperties: false`, no documented error), so there they are ignored.
    pub fn only(&self, allowed: &[&str], message: &str) -> AppResult<()> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(AppError::invalid(message, k)),
            None => Ok(()),
        }
    }

    /// A string field within its maximum length (`slotline_domain::limits`); absent is `None`.
    /// Null is refused: OnceHub's request schemas type such fields as strings, not nullable
    /// (where one admits null, use `nullable_str`).
    pub fn str(&self, name: &str) -> AppResult<Option<String>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => {
                limits::check(name, name, s)?;
                Ok(Some(s.clone()))
            }
            Some(v) => Err(invalid_value(name, v)),
        }
    }

    /// For PATCH: absent is `None`, null is `Some(None)`.
    pub fn nullable_str(&self, name: &str) -> AppResult<Option<Option<String>>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => {
                limits::check(name, name, s)?;
                Ok(Some(Some(s.clone())))
            }
            Some(v) => Err(invalid_value(name, v)),
        }
    }

    pub fn bool(&self, name: &str) -> AppResult<Option<bool>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(invalid_value(name, v)),
        }
    }

    pub fn nullable_i64(&self, name: &str) -> AppResult<Option<Option<i64>>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(Some(n.as_i64())),
            Some(v) => Err(invalid_value(name, v)),
        }
    }

    /// An array of strings; anything else is OnceHub's "Must be an array of strings.".
    pub fn str_array(&self, name: &str) -> AppResult<Option<Vec<String>>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v.as_str() {
                    Some(s) => {
                        limits::check(name, name, s)?;
                        Ok(s.to_string())
                    }
                    None => Err(AppError::invalid("Must be an array of strings.", name)),
                })
                .collect::<AppResult<Vec<_>>>()
                .map(Some),
            Some(_) => Err(AppError::invalid("Must be an array of strings.", name)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}
