//! An object's id in the path (`/v2/contacts/{id}`), parsed as an id of its kind. A string that
//! is no id of that kind names no object: OnceHub's 404, the same as an id nobody has.

use axum::{
    extract::{FromRequestParts, Path},
    http::request::Parts,
};
use slotline_domain::id::{Id, Kind};

use super::error::AppError;

pub struct PathId<K>(pub Id<K>);

impl<S: Send + Sync, K: Kind> FromRequestParts<S> for PathId<K> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // A segment that does not decode (not UTF-8) is no id either.
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::not_found(K::OBJECT, ""))?;
        Id::parse(raw)
            .map(PathId)
            .map_err(|e| AppError::not_found(K::OBJECT, e.value))
    }
}
