//! Master pages (a public page listing booking pages), for the API and the hosts' app alike.

use slotline_domain::{
    id::{AccountId, MasterPageId},
    slug,
};

use crate::{
    http::error::{AppError, AppResult},
    services::Ctx,
    store::{
        master_pages::{self, MasterPage, MasterPagePatch},
        page::read_all,
    },
};

pub fn not_found(id: &str) -> AppError {
    AppError::not_found("master page", id)
}

/// A live master page of the account, or the spec's 404.
pub async fn live(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &MasterPageId,
) -> AppResult<MasterPage> {
    master_pages::get(ctx.db, account_id, id)
        .await?
        .filter(|m| !m.deleted)
        .ok_or_else(|| not_found(id))
}

/// Every live master page of the account, by name.
pub async fn all(ctx: Ctx<'_>, account_id: &AccountId) -> AppResult<Vec<MasterPage>> {
    let mut out =
        read_all(|req| async move { master_pages::list(ctx.db, account_id, &req).await }).await?;
    out.retain(|m| !m.deleted);
    out.sort_by_key(|m| m.name.to_lowercase());
    Ok(out)
}

/// A master page to make; values already checked for their form.
pub struct NewMasterPage {
    pub name: String,
    /// What guests see; the name when absent.
    pub label: Option<String>,
    /// Made from the name when absent.
    pub slug: Option<String>,
    pub active: Option<bool>,
}

pub async fn create(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    new: NewMasterPage,
) -> AppResult<MasterPage> {
    let label = new.label.unwrap_or_else(|| new.name.clone());
    let slug = new.slug.unwrap_or_else(|| slug::from_name(&new.name));
    Ok(master_pages::create(
        ctx.db,
        account_id,
        &new.name,
        &label,
        &slug,
        new.active.unwrap_or(true),
        ctx.now(),
    )
    .await?)
}

pub async fn update(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &MasterPageId,
    patch: MasterPagePatch,
) -> AppResult<MasterPage> {
    live(ctx, account_id, id).await?;
    if !master_pages::update(ctx.db, account_id, id, patch, ctx.now()).await? {
        return Err(not_found(id));
    }
    live(ctx, account_id, id).await
}

pub async fn delete(ctx: Ctx<'_>, account_id: &AccountId, id: &MasterPageId) -> AppResult<()> {
    if !master_pages::delete(ctx.db, account_id, id, ctx.now()).await? {
        return Err(not_found(id));
    }
    Ok(())
}
