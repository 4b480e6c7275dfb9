//! Slotline's own OpenAPI document, generated from the handlers. Operations OnceHub does not
//! publish carry `x-slotline-extension: true`.

use std::sync::OnceLock;

use axum::{http::header, response::IntoResponse};
use utoipa::{
    openapi::{
        extensions::ExtensionsBuilder,
        security::{ApiKey, ApiKeyValue, SecurityScheme},
        OpenApi as Doc,
    },
    Modify, OpenApi,
};

use super::{contacts, custom_fields, list, teams, test_key, users, webhooks};
use crate::error::ErrorBody;

/// Operation ids that are Slotline extensions rather than OnceHub operations.
pub const EXTENSIONS: &[&str] =
    &["create-a-team", "update-a-team", "delete-a-team", "list-all-custom-fields", "create-a-custom-field", "delete-a-custom-field"];

#[derive(OpenApi)]
#[openapi(
    info(title = "Slotline API", description = "OnceHub API v2 compatible scheduling server. Operations marked `x-slotline-extension` are Slotline's own."),
    servers((url = "/", description = "This server")),
    paths(
        test_key::validate,
        users::list_users, users::create_user, users::get_user, users::update_user, users::delete_user,
        users::get_availability, users::patch_availability,
        teams::list_teams, teams::get_team, teams::create_team, teams::update_team, teams::delete_team,
        contacts::list_contacts, contacts::create_contact, contacts::get_contact, contacts::update_contact, contacts::delete_contact,
        custom_fields::list_fields, custom_fields::create_field, custom_fields::delete_field,
        webhooks::create_webhook, webhooks::list_webhooks, webhooks::get_webhook, webhooks::delete_webhook,
    ),
    components(schemas(ErrorBody, list::DeletedObject, list::Redacted)),
    modifiers(&Security, &MarkExtensions),
    security(("ApiKey" = [])),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Doc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("ApiKey", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("API-Key"))));
    }
}

struct MarkExtensions;

impl Modify for MarkExtensions {
    fn modify(&self, doc: &mut Doc) {
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post, &mut item.patch, &mut item.delete, &mut item.put].into_iter().flatten() {
                if op.operation_id.as_deref().is_some_and(|id| EXTENSIONS.contains(&id)) {
                    let ext = ExtensionsBuilder::new().add("x-slotline-extension", true).build();
                    match &mut op.extensions {
                        Some(e) => e.merge(ext),
                        None => op.extensions = Some(ext),
                    }
                }
            }
        }
    }
}

pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_json().expect("the OpenAPI document serializes"))
}

pub async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}
