//! Chatbot setup (extensions; OnceHub publishes none): websites, bots with their flow, and
//! audiences that put a bot on a website's pages.

use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use slotline_domain::id::{kind, AudienceId, BotId, UserId, WebsiteId};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{not_null, Body, Input, Strings},
    list::{self, Params},
    values::Name,
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    services::chatbots as service,
    state::SharedState,
    store::chatbots,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/websites", get(list_websites).post(create_website))
        .route("/websites/{id}", get(get_website).delete(delete_website))
        .route("/bots", get(list_bots).post(create_bot))
        .route(
            "/bots/{id}",
            get(get_bot).patch(update_bot).delete(delete_bot),
        )
        .route("/audiences", get(list_audiences).post(create_audience))
        .route("/audiences/{id}", get(get_audience).delete(delete_audience))
}

/// Extension: a website the chat widget runs on.
#[derive(Serialize, ToSchema)]
pub struct WebsiteOut {
    pub id: WebsiteId,
    /// Always `website`.
    pub object: &'static str,
    pub name: String,
    pub url: String,
    /// Other origins whose pages may run the widget.
    pub allowed_origins: Vec<String>,
    /// The `<script>` tag to put on the site's pages.
    pub embed_code: String,
}

fn website_out(base_url: &str, w: &chatbots::Website) -> WebsiteOut {
    WebsiteOut {
        id: w.id.clone(),
        object: "website",
        name: w.name.clone(),
        url: w.url.clone(),
        allowed_origins: w.allowed_origins.clone(),
        embed_code: format!(
            "<script src=\"{base_url}/widget.js?website_id={}\" defer></script>",
            w.id
        ),
    }
}

/// Extension: a bot and its flow.
#[derive(Serialize, ToSchema)]
pub struct BotOut {
    pub id: BotId,
    /// Always `bot`.
    pub object: &'static str,
    pub name: String,
    /// The user whose conversations these are.
    pub owner: UserId,
    /// `{steps: [...]}`.
    #[schema(value_type = Object)]
    pub flow: Value,
}

fn bot_out(b: &chatbots::Bot) -> BotOut {
    BotOut {
        id: b.id.clone(),
        object: "bot",
        name: b.name.clone(),
        owner: b.owner_id.clone(),
        flow: serde_json::to_value(&b.flow).unwrap_or(Value::Null),
    }
}

/// Extension: which bot talks to visitors of which pages of a website.
#[derive(Serialize, ToSchema)]
pub struct AudienceOut {
    pub id: AudienceId,
    /// Always `audience`.
    pub object: &'static str,
    pub name: String,
    pub website: WebsiteId,
    pub bot: BotId,
    /// Path prefixes covered; empty: every page.
    pub pages: Vec<String>,
    /// Seconds before the bot reaches out; null: only when the visitor opens it.
    pub reach_out_after_seconds: Option<i64>,
}

fn audience_out(a: &chatbots::Audience) -> AudienceOut {
    AudienceOut {
        id: a.id.clone(),
        object: "audience",
        name: a.name.clone(),
        website: a.website_id.clone(),
        bot: a.bot_id.clone(),
        pages: a.pages.clone(),
        reach_out_after_seconds: a.reach_out_after,
    }
}

/// Body of `POST /v2/websites`: where the chat widget runs.
#[derive(Deserialize, ToSchema)]
pub struct WebsiteInput {
    #[schema(example = "Star Software")]
    name: Name,
    /// The site's address, a full http(s) URL.
    #[schema(example = "https://www.example.com")]
    url: Name,
    /// Other origins (`scheme://host[:port]`) whose pages may run the widget.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = json!(["https://shop.example.com"]))]
    allowed_origins: Option<Strings>,
}

impl Input for WebsiteInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

#[utoipa::path(post, path = "/v2/websites", operation_id = "create-a-website", tag = "Chatbots",
    request_body = WebsiteInput,
    responses((status = 200, body = WebsiteOut), (status = 400, body = ErrorBody)))]
pub async fn create_website(
    State(state): State<SharedState>,
    p: Principal,
    Body(input): Body<WebsiteInput>,
) -> AppResult<Json<WebsiteOut>> {
    let w = service::create_website(
        state.ctx(),
        &p.account_id,
        &input.name.into_inner(),
        &input.url.into_inner(),
        input.allowed_origins.unwrap_or_default().0,
    )
    .await?;
    Ok(Json(website_out(&state.base_url, &w)))
}

#[utoipa::path(get, path = "/v2/websites", operation_id = "list-all-websites", tag = "Chatbots",
    params(("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<WebsiteOut>), (status = 400, body = ErrorBody)))]
pub async fn list_websites(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let (rows, page) = chatbots::list_websites(&state.db, &p.account_id, &req).await?;
    let data: Vec<WebsiteOut> = rows
        .iter()
        .map(|w| website_out(&state.base_url, w))
        .collect();
    Ok(list::respond(
        &state.base_url,
        "/v2/websites",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/websites/{id}", operation_id = "get-a-website", tag = "Chatbots", params(("id" = String, Path)),
    responses((status = 200, body = WebsiteOut), (status = 404, body = ErrorBody)))]
pub async fn get_website(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Website>,
) -> AppResult<Response> {
    let w = chatbots::website_of(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("website", &id))?;
    if w.deleted {
        return Ok(list::redacted(&w.id, "website"));
    }
    Ok(Json(website_out(&state.base_url, &w)).into_response())
}

#[utoipa::path(delete, path = "/v2/websites/{id}", operation_id = "delete-a-website", tag = "Chatbots", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_website(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Website>,
) -> AppResult<Json<list::DeletedObject>> {
    service::delete_website(state.ctx(), &p.account_id, &id).await?;
    Ok(list::deleted(&id))
}

/// Body of `POST /v2/bots`.
#[derive(Deserialize, ToSchema)]
pub struct BotInput {
    #[schema(example = "Qualifier")]
    name: Name,
    /// The user whose conversations these are.
    #[schema(example = "USR-3W4X5Y6Z7A")]
    owner: Name,
    /// `{steps: [...]}`: what the bot asks, in order, and where the answers go.
    #[serde(default)]
    #[schema(value_type = Object)]
    flow: Option<Value>,
}

impl Input for BotInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `PATCH /v2/bots/{id}`: the fields to change, at least one.
#[derive(Deserialize, ToSchema)]
pub struct BotChange {
    #[serde(default, deserialize_with = "not_null")]
    name: Option<Name>,
    #[serde(default, deserialize_with = "not_null")]
    owner: Option<Name>,
    /// Replaces the whole flow.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<Object>)]
    flow: Option<Value>,
}

impl Input for BotChange {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported field");
    const EMPTY: Option<&'static str> = Some("At least one field must be provided to update.");
}

#[utoipa::path(post, path = "/v2/bots", operation_id = "create-a-bot", tag = "Chatbots",
    request_body = BotInput,
    responses((status = 200, body = BotOut), (status = 400, body = ErrorBody)))]
pub async fn create_bot(
    State(state): State<SharedState>,
    p: Principal,
    Body(input): Body<BotInput>,
) -> AppResult<Json<BotOut>> {
    let b = service::create_bot(
        state.ctx(),
        &p.account_id,
        &input.name.into_inner(),
        &input.owner.into_inner(),
        input.flow.as_ref().unwrap_or(&Value::Null),
    )
    .await?;
    Ok(Json(bot_out(&b)))
}

#[utoipa::path(patch, path = "/v2/bots/{id}", operation_id = "update-a-bot", tag = "Chatbots", params(("id" = String, Path)),
    request_body = BotChange,
    responses((status = 200, body = BotOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_bot(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Bot>,
    Body(change): Body<BotChange>,
) -> AppResult<Json<BotOut>> {
    let owner = change.owner.map(Name::into_inner);
    let b = service::update_bot(
        state.ctx(),
        &p.account_id,
        &id,
        change.name.map(Name::into_inner),
        owner.as_deref(),
        change.flow.as_ref(),
    )
    .await?;
    Ok(Json(bot_out(&b)))
}

#[utoipa::path(get, path = "/v2/bots", operation_id = "list-all-bots", tag = "Chatbots",
    params(("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<BotOut>), (status = 400, body = ErrorBody)))]
pub async fn list_bots(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let (rows, page) = chatbots::list_bots(&state.db, &p.account_id, &req).await?;
    let data: Vec<BotOut> = rows.iter().map(bot_out).collect();
    Ok(list::respond(
        &state.base_url,
        "/v2/bots",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/bots/{id}", operation_id = "get-a-bot", tag = "Chatbots", params(("id" = String, Path)),
    responses((status = 200, body = BotOut), (status = 404, body = ErrorBody)))]
pub async fn get_bot(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Bot>,
) -> AppResult<Response> {
    let b = chatbots::bot_of(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("bot", &id))?;
    if b.deleted {
        return Ok(list::redacted(&b.id, "bot"));
    }
    Ok(Json(bot_out(&b)).into_response())
}

#[utoipa::path(delete, path = "/v2/bots/{id}", operation_id = "delete-a-bot", tag = "Chatbots", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_bot(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Bot>,
) -> AppResult<Json<list::DeletedObject>> {
    service::delete_bot(state.ctx(), &p.account_id, &id).await?;
    Ok(list::deleted(&id))
}

/// Body of `POST /v2/audiences`: which bot talks to visitors of which pages of a website.
#[derive(Deserialize, ToSchema)]
pub struct AudienceInput {
    #[schema(example = "Pricing visitors")]
    name: Name,
    /// The website's id.
    website: Name,
    /// The bot's id.
    bot: Name,
    /// Path prefixes (each starting with `/`) the audience covers; every page when absent.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = json!(["/pricing"]))]
    pages: Option<Strings>,
    /// Seconds on the page before the bot reaches out, 0 to 3600; never when absent.
    #[serde(default)]
    #[schema(example = 20)]
    reach_out_after_seconds: Option<i64>,
}

impl Input for AudienceInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

#[utoipa::path(post, path = "/v2/audiences", operation_id = "create-an-audience", tag = "Chatbots",
    request_body = AudienceInput,
    responses((status = 200, body = AudienceOut), (status = 400, body = ErrorBody)))]
pub async fn create_audience(
    State(state): State<SharedState>,
    p: Principal,
    Body(input): Body<AudienceInput>,
) -> AppResult<Json<AudienceOut>> {
    let (name, website, bot) = (
        input.name.into_inner(),
        input.website.into_inner(),
        input.bot.into_inner(),
    );
    let a = service::AudienceInput {
        name: &name,
        website: &website,
        bot: &bot,
        pages: input.pages.unwrap_or_default().0,
        reach_out_after: input.reach_out_after_seconds,
    };
    Ok(Json(audience_out(
        &service::create_audience(state.ctx(), &p.account_id, a).await?,
    )))
}

#[utoipa::path(get, path = "/v2/audiences", operation_id = "list-all-audiences", tag = "Chatbots",
    params(("website" = Option<String>, Query), ("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<AudienceOut>), (status = 400, body = ErrorBody)))]
pub async fn list_audiences(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let (rows, page) = chatbots::list_audiences(
        &state.db,
        &p.account_id,
        params.id::<kind::Website>("website")?.as_ref(),
        &req,
    )
    .await?;
    let data: Vec<AudienceOut> = rows.iter().map(audience_out).collect();
    Ok(list::respond(
        &state.base_url,
        "/v2/audiences",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/audiences/{id}", operation_id = "get-an-audience", tag = "Chatbots", params(("id" = String, Path)),
    responses((status = 200, body = AudienceOut), (status = 404, body = ErrorBody)))]
pub async fn get_audience(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Audience>,
) -> AppResult<Response> {
    let a = chatbots::audience_of(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("audience", &id))?;
    if a.deleted {
        return Ok(list::redacted(&a.id, "audience"));
    }
    Ok(Json(audience_out(&a)).into_response())
}

#[utoipa::path(delete, path = "/v2/audiences/{id}", operation_id = "delete-an-audience", tag = "Chatbots", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_audience(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Audience>,
) -> AppResult<Json<list::DeletedObject>> {
    service::delete_audience(state.ctx(), &p.account_id, &id).await?;
    Ok(list::deleted(&id))
}
