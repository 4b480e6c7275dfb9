//! `GET /v2/test`: tells a client its key works and which account it belongs to.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Principal;

#[derive(Serialize, ToSchema)]
pub struct KeyValid {
    /// `The API key is valid for account: <account email>`
    pub message: String,
}

#[utoipa::path(get, path = "/v2/test", operation_id = "validate-api-key", tag = "Authentication",
    responses((status = 200, body = KeyValid), (status = 401, body = crate::http::error::ErrorBody), (status = 429, body = crate::http::error::ErrorBody)))]
pub async fn validate(principal: Principal) -> Json<KeyValid> {
    Json(KeyValid {
        message: format!(
            "The API key is valid for account: {}",
            principal.account_email
        ),
    })
}
