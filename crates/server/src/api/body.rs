//! Request bodies: read as a JSON object, then into a typed body ([`Body`]) or taken field by
//! field ([`Fields`]), so that every mistake is reported with OnceHub's message and the name of
//! the field at fault.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{header, StatusCode},
};
use std::{
    any::TypeId,
    collections::{BTreeSet, HashMap},
    sync::{Arc, OnceLock, RwLock},
};

use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{Map, Value};
use slotline_domain::limits;
use utoipa::{
    openapi::{RefOr, Schema},
    ToSchema,
};

use crate::{
    http::error::{AppError, AppResult},
    state::SharedState,
};

/// A JSON object body, the first step of reading a [`Body`]. An empty body reads as `{}`
/// (actions whose body is optional).
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

/// A request body read into `T`, its own OpenAPI schema: what `Fields` reads, then the fields
/// `T`'s schema names checked against their length limits, then `T` deserialized. Every failure
/// is OnceHub's `{type, message, param}` naming the field at fault:
/// - a field `T` does not have: `T::UNSUPPORTED` (where OnceHub refuses them; else ignored);
/// - a required field missing: `Required fields are missing.`;
/// - a value of the wrong kind (null where a string is required, a number for a flag):
///   `Invalid <field>: '<value>'`;
/// - a value a field's own type refuses ([`refuse`]): that type's message.
pub struct Body<T>(pub T);

/// A request body type.
pub trait Input: DeserializeOwned + ToSchema + 'static {
    /// OnceHub's message for a field the body does not have, or `None` to ignore such fields
    /// (OnceHub's operations whose schema admits them).
    const UNSUPPORTED: Option<&'static str> = None;
    /// OnceHub's message for a body with no field at all (PATCH), or `None` to accept it.
    const EMPTY: Option<&'static str> = None;

    /// An operation's own rule about which of its fields may appear, or appear as null; checked
    /// after unknown fields and an empty body, before the fields are read.
    fn precheck(_body: &Map<String, Value>) -> AppResult<()> {
        Ok(())
    }
}

impl<T: Input> FromRequest<SharedState> for Body<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &SharedState) -> Result<Self, Self::Rejection> {
        let Fields(map) = Fields::from_request(req, state).await?;
        let known = known_fields::<T>();
        if let Some(message) = T::UNSUPPORTED {
            if let Some(k) = map.keys().find(|k| !known.contains(k.as_str())) {
                return Err(AppError::invalid(message, k));
            }
        }
        if let Some(message) = T::EMPTY {
            if map.is_empty() {
                return Err(AppError::invalid(message, "body"));
            }
        }
        T::precheck(&map)?;
        for (name, v) in map.iter().filter(|(k, _)| known.contains(k.as_str())) {
            let texts: Vec<&str> = match v {
                Value::String(s) => vec![s],
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for s in texts {
                limits::check(name, name, s)?;
            }
        }
        let body = Value::Object(map);
        serde_path_to_error::deserialize::<_, T>(&body)
            .map(Body)
            .map_err(|e| refusal(&body, e))
    }
}

/// A type's own refusal of a value, worded for the client: the body extractor shows `message`
/// as it is, naming the field (and putting its name for `{field}`, and its name with spaces for
/// underscores for `{label}`). Use it from `Deserialize`
/// implementations of field types.
pub fn refuse<E: serde::de::Error>(message: impl std::fmt::Display) -> E {
    E::custom(format_args!("{OWN}{message}"))
}

/// As [`refuse`], naming a member of the field (`<field>.<member>`) as the one at fault.
pub fn refuse_at<E: serde::de::Error>(member: &str, message: impl std::fmt::Display) -> E {
    E::custom(format_args!("{OWN}{member}{AT}{message}"))
}

/// Marks a message written for the client (serde's own messages are not).
const OWN: char = '\u{1}';
/// Ends the member a message names, after [`OWN`].
const AT: char = '\u{2}';

fn refusal(body: &Value, e: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let field = e.path().iter().find_map(|s| match s {
        serde_path_to_error::Segment::Map { key } => Some(key.clone()),
        _ => None,
    });
    // Read from a `Value`, serde_json's messages carry no line or column.
    let message = e.into_inner().to_string();
    if let Some(own) = message.strip_prefix(OWN) {
        let field = field.as_deref().unwrap_or("body");
        if let Some((member, own)) = own.split_once(AT) {
            return AppError::invalid(own, &format!("{field}.{member}"));
        }
        let message = own
            .replace("{field}", field)
            .replace("{label}", &field.replace('_', " "));
        return AppError::invalid(message, field);
    }
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        return AppError::invalid("Required fields are missing.", missing);
    }
    match field {
        Some(f) => invalid_value(&f, body.get(&f).unwrap_or(&Value::Null)),
        None => AppError::invalid(
            format!("The request body could not be read: {message}"),
            "body",
        ),
    }
}

/// The property names of `T`'s schema, read once per type.
fn known_fields<T: ToSchema + 'static>() -> Arc<BTreeSet<String>> {
    static KNOWN: OnceLock<RwLock<HashMap<TypeId, Arc<BTreeSet<String>>>>> = OnceLock::new();
    let known = KNOWN.get_or_init(Default::default);
    if let Some(k) = known
        .read()
        .ok()
        .and_then(|m| m.get(&TypeId::of::<T>()).cloned())
    {
        return k;
    }
    let names: BTreeSet<String> = match T::schema() {
        RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
        _ => BTreeSet::new(),
    };
    let names = Arc::new(names);
    if let Ok(mut m) = known.write() {
        m.insert(TypeId::of::<T>(), names.clone());
    }
    names
}

/// A PATCH field: absent (keep), null (clear) or a value. Use with `#[serde(default)]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    /// As a store patch reads it: `None` keeps, `Some(None)` empties, `Some(Some(v))` sets.
    pub fn into_change(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(v) => Some(Some(v)),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Patch::Null,
            Some(v) => Patch::Value(v),
        })
    }
}

/// A present field must not be null: for `Option<T>` fields whose OnceHub schema types a plain
/// value (`#[serde(default, deserialize_with = "body::not_null")]`).
pub fn not_null<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A patch field's schema is its value's, admitting null.
impl<T: utoipa::PartialSchema> utoipa::PartialSchema for Patch<T> {
    fn schema() -> RefOr<Schema> {
        use utoipa::openapi::schema::{Object, OneOfBuilder, SchemaType, Type};
        match T::schema() {
            RefOr::T(Schema::Object(mut o)) => {
                if let SchemaType::Type(t) = o.schema_type {
                    o.schema_type = SchemaType::Array(vec![t, Type::Null]);
                }
                RefOr::T(Schema::Object(o))
            }
            other => RefOr::T(Schema::OneOf(
                OneOfBuilder::new()
                    .item(other)
                    .item(Object::with_type(Type::Null))
                    .build(),
            )),
        }
    }
}

impl<T: ToSchema> ToSchema for Patch<T> {}

/// A required field for which null counts as missing (OnceHub's `Required fields are
/// missing.` either way): `#[serde(deserialize_with = "body::required")]`.
pub fn required<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Option::<T>::deserialize(d)?.ok_or_else(|| refuse("Required fields are missing."))
}

/// A list of strings; anything else is OnceHub's `Must be an array of strings.`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Strings(pub Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(refuse("Must be an array of strings.")),
                })
                .collect::<Result<_, _>>()
                .map(Strings),
            _ => Err(refuse("Must be an array of strings.")),
        }
    }
}

impl utoipa::PartialSchema for Strings {
    fn schema() -> RefOr<Schema> {
        Vec::<String>::schema()
    }
}

impl ToSchema for Strings {}

/// A body whose members a domain rule reads itself (it words its own refusals and refuses
/// unknown members): kept as the JSON object it is, documented by `D`'s list of members.
pub struct Members<D>(pub Map<String, Value>, std::marker::PhantomData<D>);

/// The members a [`Members`] body documents: name, JSON type, description.
pub trait Describe: 'static {
    /// The body's schema name in the OpenAPI document.
    const NAME: &'static str;
    const ABOUT: &'static str;
    const MEMBERS: &'static [(&'static str, utoipa::openapi::schema::Type, &'static str)];
}

impl<D> Members<D> {
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

impl<'de, D> Deserialize<'de> for Members<D> {
    fn deserialize<De: serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        Ok(Members(Map::deserialize(d)?, std::marker::PhantomData))
    }
}

impl<D: Describe> utoipa::PartialSchema for Members<D> {
    fn schema() -> RefOr<Schema> {
        use utoipa::openapi::schema::ObjectBuilder;
        D::MEMBERS
            .iter()
            .fold(
                ObjectBuilder::new().description(Some(D::ABOUT)),
                |o, (name, ty, about)| {
                    o.property(
                        *name,
                        ObjectBuilder::new()
                            .schema_type(ty.clone())
                            .description(Some(*about)),
                    )
                },
            )
            .into()
    }
}

impl<D: Describe> ToSchema for Members<D> {
    fn name() -> std::borrow::Cow<'static, str> {
        D::NAME.into()
    }
}

impl<D: Describe> Input for Members<D> {}
