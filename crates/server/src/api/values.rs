//! Typed values of request bodies, parsed at the edge: a body that deserializes holds only
//! values these types accept, and each refusal is OnceHub's message naming the field.

use super::body::refuse;
use serde::{Deserialize, Deserializer};
use slotline_domain::{email, names, phone, role::Role, slug, timezone};

/// A string schema with its limits, example and description, for a text value type.
macro_rules! text_schema {
    ($ty:ty, $min:expr, $max:expr, $pattern:expr, $example:expr, $about:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(($min > 0).then_some($min))
                    .max_length(Some($max))
                    .pattern($pattern as Option<&str>)
                    .examples([$example])
                    .description(Some($about))
                    .into()
            }
        }

        impl utoipa::ToSchema for $ty {}
    };
}

/// A name: 1 to 200 characters once surrounding spaces are dropped (they are).
#[derive(Debug, Clone)]
pub struct Name(String);

text_schema!(
    Name,
    1,
    200,
    None,
    "Sales",
    "1 to 200 characters; surrounding spaces are dropped."
);

impl Name {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() || s.chars().count() > 200 {
            return Err(refuse(format!("Invalid {{field}}: '{s}'")));
        }
        Ok(Name(s.trim().to_string()))
    }
}

/// A text of at most `MAX` characters, surrounding spaces dropped; may be empty.
#[derive(Debug, Clone)]
pub struct Text<const MAX: usize>(String);

/// A label or title: at most 200 characters.
pub type Label = Text<200>;
/// A description: at most 5000 characters.
pub type Description = Text<5000>;

impl<const MAX: usize> Text<MAX> {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.chars().count() > MAX {
            return Err(refuse(format!("Invalid {{field}}: '{s}'")));
        }
        Ok(Text(s.trim().to_string()))
    }
}

impl<const MAX: usize> utoipa::PartialSchema for Text<MAX> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(MAX))
            .description(Some(format!("At most {MAX} characters.")))
            .into()
    }
}

impl<const MAX: usize> utoipa::ToSchema for Text<MAX> {}

/// The last part of a public page's URL: 3 to 64 lowercase letters, digits and hyphens.
#[derive(Debug, Clone)]
pub struct Slug(String);

text_schema!(
    Slug,
    3,
    64,
    Some("^[a-z0-9]+(-[a-z0-9]+)*$"),
    "sales-team",
    "3 to 64 lowercase letters, digits and single inner hyphens."
);

impl Slug {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for Slug {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if !slug::is_valid(&s) {
            return Err(refuse(format!(
                "Invalid slug: '{s}'. Use 3 to 64 lowercase letters, digits and hyphens."
            )));
        }
        Ok(Slug(s))
    }
}

/// What a refusal shows of a value: a string as it is, anything else as JSON.
fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A person's first or last name, surrounding spaces dropped. `SPACED` says how a refusal names
/// the field: OnceHub writes `first_name` when a user is created and `first name` when one is
/// updated.
#[derive(Debug, Clone)]
pub struct PersonName<const SPACED: bool>(String);

impl<const SPACED: bool> PersonName<SPACED> {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<'de, const SPACED: bool> Deserialize<'de> for PersonName<SPACED> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read as any value, so that null and numbers are refused with this field's wording.
        let v = serde_json::Value::deserialize(d)?;
        match v.as_str() {
            Some(s) if names::is_valid_person_name(s) => Ok(PersonName(s.trim().to_string())),
            _ => {
                let name = if SPACED { "{label}" } else { "{field}" };
                Err(refuse(format!("Invalid {name}: '{}'", shown(&v))))
            }
        }
    }
}

impl<const SPACED: bool> utoipa::PartialSchema for PersonName<SPACED> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .examples(["Ada"])
            .description(Some(
                "A person's name: letters, spaces, apostrophes, hyphens and dots.",
            ))
            .into()
    }
}

impl<const SPACED: bool> utoipa::ToSchema for PersonName<SPACED> {}

/// An email address (kept as given; compared without case).
#[derive(Debug, Clone)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if !email::is_valid(&s) {
            return Err(refuse(format!("Invalid email format: '{s}'")));
        }
        Ok(EmailAddress(s))
    }
}

text_schema!(
    EmailAddress,
    3,
    254,
    None,
    "ada@example.com",
    "An email address."
);

/// An IANA time zone name.
#[derive(Debug, Clone)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for TimeZoneName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if !timezone::is_valid(&s) {
            return Err(refuse(format!("Invalid timezone: '{s}'")));
        }
        Ok(TimeZoneName(s))
    }
}

text_schema!(
    TimeZoneName,
    1,
    64,
    None,
    "Europe/Paris",
    "An IANA time zone name."
);

/// A role a client may give a user: `Administrator`, `Member` or `Team Manager`.
#[derive(Debug, Clone, Copy)]
pub struct AssignableRole(pub Role);

impl<'de> Deserialize<'de> for AssignableRole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Role::parse_assignable(&s)
            .map(AssignableRole)
            .map_err(|e| refuse(e.message))
    }
}

impl utoipa::PartialSchema for AssignableRole {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["Administrator", "Member", "Team Manager"]))
            .examples(["Member"])
            .into()
    }
}

impl utoipa::ToSchema for AssignableRole {}

/// A guest's booking form as sent: an object of the standard fields and the calendar's own
/// questions by their field names. Its fields are checked against the calendar's form by
/// `services::booking_request`.
#[derive(Debug, Clone, Default)]
pub struct BookingForm(pub serde_json::Map<String, serde_json::Value>);

impl<'de> Deserialize<'de> for BookingForm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Object(m) => Ok(BookingForm(m)),
            _ => Err(refuse("{field} must be an object.")),
        }
    }
}

impl utoipa::PartialSchema for BookingForm {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Type};
        let text = |about: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(about))
        };
        ObjectBuilder::new()
            .property("name", text("The guest's name."))
            .property("email", text("The guest's email address."))
            .property("phone", text("A phone number, with its country code."))
            .property("mobile_phone", text("A mobile number, with its country code."))
            .property("company", text("The guest's company."))
            .property("note", text("A note to the host."))
            .property(
                "guests",
                ArrayBuilder::new()
                    .items(text("An email address."))
                    .description(Some("Email addresses of other attendees.")),
            )
            .required("name")
            .required("email")
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .description(Some(
                "The standard fields, and the calendar's own questions by their field names.",
            ))
            .examples([serde_json::json!({"name": "Ada Lovelace", "email": "ada@example.com", "note": "About the demo"})])
            .into()
    }
}

impl utoipa::ToSchema for BookingForm {}

/// A whole number of minutes.
#[derive(Debug, Clone, Copy)]
pub struct Minutes(pub u32);

impl<'de> Deserialize<'de> for Minutes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        v.as_u64()
            .map(|n| Minutes(n as u32))
            .ok_or_else(|| refuse("{field} must be a whole number."))
    }
}

impl utoipa::PartialSchema for Minutes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .examples([30])
            .into()
    }
}

impl utoipa::ToSchema for Minutes {}

/// A phone number with its country code, read as E.164 (`domain::phone`).
#[derive(Debug, Clone)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn into_inner(self) -> String {
        self.0
    }
}

fn phone_of<E: serde::de::Error>(s: &str) -> Result<String, E> {
    phone::parse(s).ok_or_else(|| refuse(format!("Invalid phone format: '{s}'")))
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        phone_of(&String::deserialize(d)?).map(PhoneNumber)
    }
}

text_schema!(
    PhoneNumber,
    2,
    32,
    None,
    "+15551234567",
    "A phone number with its country code; stored and shown in E.164."
);

/// A phone number, or `""` to empty the field (contacts' `phone`).
#[derive(Debug, Clone)]
pub struct PhoneOrEmpty(pub Option<String>);

impl<'de> Deserialize<'de> for PhoneOrEmpty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(PhoneOrEmpty(None));
        }
        phone_of(&s).map(|p| PhoneOrEmpty(Some(p)))
    }
}

text_schema!(
    PhoneOrEmpty,
    0,
    32,
    None,
    "+15551234567",
    "A phone number with its country code (stored in E.164), or \"\" to empty it."
);
