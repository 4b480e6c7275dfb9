//! Event types, for the API and the hosts' app alike: a live one, made, changed or removed.

use slotline_domain::id::{AccountId, EventTypeId};

use crate::{
    http::error::{AppError, AppResult},
    services::Ctx,
    store::event_types::{self, EventType, EventTypePatch},
};

pub fn not_found(id: &str) -> AppError {
    AppError::not_found("event type", id)
}

/// A live event type of the account, or the spec's 404.
pub async fn live(ctx: Ctx<'_>, account_id: &AccountId, id: &EventTypeId) -> AppResult<EventType> {
    event_types::get(ctx.db, account_id, id)
        .await?
        .filter(|e| !e.deleted)
        .ok_or_else(|| not_found(id))
}

/// Every live event type of the account, by name.
pub async fn all(ctx: Ctx<'_>, account_id: &AccountId) -> AppResult<Vec<EventType>> {
    let mut out = crate::store::page::read_all(|req| async move {
        event_types::list(ctx.db, account_id, &req).await
    })
    .await?;
    out.retain(|e| !e.deleted);
    out.sort_by_key(|e| e.name.to_lowercase());
    Ok(out)
}

/// Makes one; `name` and `description` already checked for their form.
pub async fn create(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    name: &str,
    description: &str,
) -> AppResult<EventType> {
    Ok(event_types::create(ctx.db, account_id, name, description, ctx.now()).await?)
}

pub async fn update(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &EventTypeId,
    patch: EventTypePatch,
) -> AppResult<EventType> {
    live(ctx, account_id, id).await?;
    if !event_types::update(ctx.db, account_id, id, patch, ctx.now()).await? {
        return Err(not_found(id));
    }
    live(ctx, account_id, id).await
}

pub async fn delete(ctx: Ctx<'_>, account_id: &AccountId, id: &EventTypeId) -> AppResult<()> {
    if !event_types::delete(ctx.db, account_id, id, ctx.now()).await? {
        return Err(not_found(id));
    }
    Ok(())
}
