//! Conversations (extension: OnceHub delivers them in webhooks but publishes no endpoint): list
//! with filters and get one, with `expand` of contact, owner, bot, website and audience.

use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::{json, Map, Value};
use slotline_domain::id::{kind, AccountId};

use super::{
    auth::Principal,
    list::{self, Params},
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    state::SharedState,
    store::{
        chatbots,
        conversations::{self, Conversation, ConversationFilter},
        users,
    },
    views::{
        self,
        conversation::{audience_json, bot_json, website_json, ConversationOut},
    },
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/conversations", get(list_conversations))
        .route("/conversations/{id}", get(get_conversation))
}

const EXPANDABLE: &[&str] = &["contact", "owner", "bot", "website", "audience"];

/// The expanded objects of a conversation, by field name.
pub async fn expansions(
    state: &SharedState,
    account_id: &AccountId,
    c: &Conversation,
    expand: &[String],
) -> AppResult<Map<String, Value>> {
    let mut m = Map::new();
    for field in expand {
        let value = match field.as_str() {
            "contact" => match &c.contact_id {
                Some(id) => Some(
                    crate::views::contact::json(&state.db, account_id, id)
                        .await?
                        .ok_or_else(|| AppError::not_found("contact", id))?,
                ),
                None => None,
            },
            "owner" => users::get(&state.db, account_id, &c.owner_id)
                .await?
                .map(|u| json!(crate::views::user::UserOut::from(u))),
            "bot" => chatbots::bot_of(&state.db, account_id, &c.bot_id)
                .await?
                .map(|b| bot_json(&b)),
            "website" => chatbots::website_of(&state.db, account_id, &c.website_id)
                .await?
                .map(|w| website_json(&w)),
            "audience" => match &c.audience_id {
                Some(id) => chatbots::audience_of(&state.db, account_id, id)
                    .await?
                    .map(|a| audience_json(&a)),
                None => None,
            },
            _ => None,
        };
        if let Some(v) = value {
            m.insert(field.clone(), v);
        }
    }
    Ok(m)
}

#[utoipa::path(get, path = "/v2/conversations", operation_id = "list-all-conversations", tag = "Conversations",
    params(("status" = Option<String>, Query, description = "started, closed or abandoned; several separated by commas"),
           ("contact" = Option<String>, Query), ("bot" = Option<String>, Query), ("website" = Option<String>, Query),
           ("utm_source" = Option<String>, Query, description = "Conversations whose visit came with this utm_source"),
           ("utm_campaign" = Option<String>, Query, description = "Conversations whose visit came with this utm_campaign"),
           ("creation_time.gt" = Option<String>, Query), ("creation_time.lt" = Option<String>, Query),
           ("last_updated_time.gt" = Option<String>, Query), ("last_updated_time.lt" = Option<String>, Query),
           ("expand" = Option<String>, Query), ("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, description = "A list of conversations"), (status = 400, body = ErrorBody)))]
pub async fn list_conversations(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let expand = params.expand(EXPANDABLE, true)?;
    let statuses = params.one_of("status", |s| {
        slotline_domain::bot::ConversationStatus::parse(s).is_some()
    })?;
    let filter = ConversationFilter {
        statuses,
        contact: params.id::<kind::Contact>("contact")?,
        bot: params.id::<kind::Bot>("bot")?,
        website: params.id::<kind::Website>("website")?,
        utm_source: params.text("utm_source")?,
        utm_campaign: params.text("utm_campaign")?,
        creation: params.range("creation_time")?,
        last_updated: params.range("last_updated_time")?,
    };
    let (rows, page) = conversations::list(&state.db, &p.account_id, &filter, &req).await?;
    let mut data = Vec::with_capacity(rows.len());
    for c in &rows {
        data.push(views::conversation::rest(
            c,
            &expansions(&state, &p.account_id, c, &expand).await?,
        ));
    }
    Ok(list::respond(
        &state.base_url,
        "/v2/conversations",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/conversations/{id}", operation_id = "get-a-single-conversation", tag = "Conversations",
    params(("id" = String, Path), ("expand" = Option<String>, Query)),
    responses((status = 200, body = ConversationOut), (status = 404, body = ErrorBody)))]
pub async fn get_conversation(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Conversation>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let expand = Params::parse(q.as_deref()).expand(EXPANDABLE, false)?;
    let c = conversations::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("conversation", &id))?;
    Ok(Json(views::conversation::rest(
        &c,
        &expansions(&state, &p.account_id, &c, &expand).await?,
    ))
    .into_response())
}
