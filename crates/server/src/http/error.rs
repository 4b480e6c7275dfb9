//! Every failure the server can answer with, mapped to OnceHub's error body in one place.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use slotline_domain::{Invalid, InvalidKind};
use utoipa::ToSchema;

use crate::store::{error::unique, StoreError};

/// OnceHub's error body: `{type, message, param}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// `authentication_error`, `invalid_request_error`, `rate_limit_error` or `api_error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// A host's time is taken (by an earlier booking, or a concurrent one that won).
    #[error("The selected start time is not available.")]
    NotAvailable,
    #[error("No such {what}: '{id}'")]
    NotFound {
        what: &'static str,
        id: String,
        param: &'static str,
    },
    #[error("{message}")]
    Conflict {
        message: String,
        param: Option<String>,
    },
    #[error("{message}")]
    Gone {
        message: String,
        param: Option<String>,
    },
    #[error("{message}")]
    Forbidden { message: String, kind: &'static str },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("body too large")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("URI too long")]
    UriTooLong { limit: usize },
    #[error("header section too large")]
    HeadersTooLarge { limit: usize },
    #[error("{0}")]
    RouteNotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The server cannot do this now for a reason its operator can fix (said in the message).
    #[error("{0}")]
    Unavailable(String),
    /// The database did not keep up (no connection within the wait): 503 with `Retry-After`.
    #[error("busy")]
    Busy { retry_after_secs: u64 },
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        AppError::NotFound {
            what,
            id: id.into(),
            param: "id",
        }
    }

    pub fn conflict(message: impl Into<String>, param: &str) -> Self {
        AppError::Conflict {
            message: message.into(),
            param: Some(param.to_string()),
        }
    }

    pub fn invalid(message: impl Into<String>, param: &str) -> Self {
        AppError::Invalid(Invalid::new(message, param))
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        AppError::Unavailable(message.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(i) if i.kind == InvalidKind::Unprocessable => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Invalid(_) | AppError::NotAvailable => StatusCode::BAD_REQUEST,
            AppError::NotFound { .. } | AppError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Gone { .. } => StatusCode::GONE,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            AppError::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Unavailable(_) | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn body(&self) -> ErrorBody {
        let invalid = |message: String, param: Option<String>| ErrorBody {
            kind: "invalid_request_error",
            message,
            param,
        };
        match self {
            AppError::Invalid(i) => invalid(i.message.clone(), i.param.clone()),
            AppError::NotAvailable => invalid(self.to_string(), Some("start_time".into())),
            AppError::NotFound { param, .. } => invalid(self.to_string(), Some(param.to_string())),
            AppError::Conflict { message, param } | AppError::Gone { message, param } => {
                invalid(message.clone(), param.clone())
            }
            AppError::Forbidden { message, kind } => ErrorBody {
                kind,
                message: message.clone(),
                param: None,
            },
            AppError::Unauthorized(m) => ErrorBody {
                kind: "authentication_error",
                message: m.to_string(),
                param: None,
            },
            AppError::RateLimited { .. } => ErrorBody {
                kind: "rate_limit_error",
                message: "Request rate limit exceeded".into(),
                param: None,
            },
            AppError::PayloadTooLarge { limit } => invalid(
                format!("Request body is too large. The limit is {limit} bytes."),
                Some("body".into()),
            ),
            AppError::UnsupportedMediaType(m) => invalid(m.clone(), Some("Content-Type".into())),
            AppError::UriTooLong { limit } => invalid(
                format!("The request URL is too long. The limit is {limit} bytes."),
                Some("url".into()),
            ),
            AppError::HeadersTooLarge { limit } => invalid(
                format!("The request headers are too large. The limit is {limit} bytes in all."),
                Some("headers".into()),
            ),
            AppError::RouteNotFound(m) | AppError::MethodNotAllowed(m) => invalid(m.clone(), None),
            AppError::Unavailable(m) => ErrorBody {
                kind: "api_error",
                message: m.clone(),
                param: None,
            },
            AppError::Busy { retry_after_secs } => ErrorBody {
                kind: "api_error",
                message: format!(
                    "The server is busy and did not start this request. Retry after {retry_after_secs} s."
                ),
                param: None,
            },
            AppError::Internal(_) => ErrorBody {
                kind: "api_error",
                message: "An unexpected error occurred. Please try again later.".into(),
                param: None,
            },
        }
    }
}

/// The store's failures in OnceHub's words.
impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Database(e) => AppError::Internal(e.to_string()),
            StoreError::Busy => AppError::Busy { retry_after_secs: 1 },
            StoreError::Corrupt(what) => AppError::Internal(format!("stored data: {what}")),
            StoreError::Overlap => AppError::NotAvailable,
            StoreError::Unique { constraint, value } => match constraint {
                unique::SLUG => AppError::conflict(format!("This URL is already in use: '{value}'"), "slug"),
                unique::CUSTOM_FIELD_NAME => AppError::conflict(format!("Custom field already exists: '{value}'"), "name"),
                unique::WEBHOOK_NAME => AppError::conflict(
                    format!("A webhook subscription with this name already exists: '{value}'"),
                    "name",
                ),
                // OnceHub answers a taken user email with 400, not 409.
                unique::USER_EMAIL => AppError::invalid(format!("Email already exists: '{value}'"), "email"),
                unique::CONTACT_EMAIL => AppError::conflict(format!("Contact already exists: '{value}'"), "email"),
                unique::CONTACT_MOBILE_PHONE => {
                    AppError::conflict(format!("Contact already exists: '{value}'"), "mobile_phone")
                }
                unique::ONE_TIME_LINK_USE => AppError::conflict("This one-time link has already been used.", "id"),
                unique::CALENDAR_FOR_BOOKINGS => AppError::conflict(
                    format!("Another calendar of this user already receives the bookings: '{value}'. Unset its add_bookings first."),
                    "add_bookings",
                ),
                other => AppError::conflict(
                    format!("Already exists: '{value}'"),
                    other.rsplit('.').next().unwrap_or(other),
                ),
            },
            StoreError::NoSuchTeams(ids) => {
                let list = ids.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
                AppError::invalid(format!("Invalid team(s): {list}"), "teams")
            }
            StoreError::NoSuchCursor { what, id, before } => {
                AppError::invalid(format!("No such {what}: '{id}'"), if before { "before" } else { "after" })
            }
            StoreError::TooManyUsers => AppError::Invalid(Invalid {
                kind: InvalidKind::Unprocessable,
                message: "You have reached the user limit for your current plan. To add more users, please upgrade your account.".into(),
                param: None,
            }),
            StoreError::TooManyKeys { max } => {
                AppError::conflict(format!("An account can have at most {max} active API keys."), "name")
            }
        }
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(format!("stored JSON: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let mut res = (self.status(), Json(self.body())).into_response();
        if let AppError::RateLimited { retry_after_secs } | AppError::Busy { retry_after_secs } =
            self
        {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        res
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// An error as a page for a browser on the public pages (`html`), as OnceHub's JSON otherwise.
pub fn respond(html: bool, status: StatusCode, body: ErrorBody) -> Response {
    if html {
        crate::http::layout::message(status, "Request refused", &body.message)
    } else {
        (status, Json(body)).into_response()
    }
}

/// One error shape everywhere: an error answer that was not written by [`AppError`] (the
/// framework's own rejections of a malformed path, query, form or JSON body, in plain text) is
/// rewritten as OnceHub's `{type, message, param}`, or as a page for a browser on the public
/// pages.
pub async fn one_shape(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let html =
        !req.uri().path().starts_with("/v2") && crate::http::limits::wants_html(req.headers());
    let read_only = req.method() == axum::http::Method::GET;
    let res = next.run(req).await;
    let status = res.status();
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("Request refused")
            .to_string()
    } else {
        text
    };
    let param = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Some("Content-Type"),
        StatusCode::PAYLOAD_TOO_LARGE => Some("body"),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY if !read_only => Some("body"),
        _ => None,
    };
    let kind = if status.is_server_error() {
        "api_error"
    } else {
        "invalid_request_error"
    };
    let mut fixed = respond(
        html,
        status,
        ErrorBody {
            kind,
            message,
            param: param.map(str::to_string),
        },
    );
    // Keep what the answer said besides its body (Retry-After, Allow, …).
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fixed.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fixed
}
