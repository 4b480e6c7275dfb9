//! Typed values of request bodies, parsed at the edge: a body that deserializes holds only
//! values these types accept, and each refusal is OnceHub's message naming the field.

use super::body::refuse;
use serde::{Deserialize, Deserializer};
use slotline_domain::slug;

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

/// A label: at most 200 characters, surrounding spaces dropped; may be empty.
#[derive(Debug, Clone)]
pub struct Label(String);

text_schema!(
    Label,
    0,
    200,
    None,
    "Talk to sales",
    "At most 200 characters."
);

impl Label {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.chars().count() > 200 {
            return Err(refuse(format!("Invalid {{field}}: '{s}'")));
        }
        Ok(Label(s.trim().to_string()))
    }
}

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
