//! One-time links: a booking calendar's or a master page's single-use address, expiring 90 days
//! after it was made unused, carrying the options it was made with.

use serde_json::Value;
use slotline_domain::id::{new_bare_id, AccountId};

use crate::{
    http::error::AppResult,
    services::Ctx,
    store::one_time_links::{self, OneTimeLink, LIFETIME_MS},
};

/// The public address of link `id`.
pub fn url(base_url: &str, id: &str) -> String {
    format!("{base_url}/o/{id}")
}

/// Makes a link to `target` (`kind`: `booking_calendar` or `master_page`) with `options`.
pub async fn create(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    kind: &str,
    target: &str,
    options: Value,
) -> AppResult<OneTimeLink> {
    let now = ctx.now();
    let link = OneTimeLink {
        id: new_bare_id(),
        target_kind: kind.into(),
        target_id: target.into(),
        options,
        creation_time: now,
        expiry_time: now + LIFETIME_MS,
        used_time: None,
        booking_id: None,
    };
    one_time_links::create(ctx.db, account_id, &link).await?;
    Ok(link)
}
