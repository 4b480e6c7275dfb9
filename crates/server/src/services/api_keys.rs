//! API keys, for the CLI and the integrators' console alike: made (the secret shown once,
//! never stored), listed with when each was last used, revoked. When a key was last used is
//! noted in memory on each request ([`KeyUse`]) and written in one batch by the sweeper, so the
//! hot path never waits on a write.

use std::{collections::HashMap, sync::Mutex};

use slotline_domain::id::{AccountId, ApiKeyId};

use crate::{
    http::error::{AppError, AppResult},
    services::Ctx,
    store::keys::{self, KeyInfo},
};

/// The longest key name.
pub const MAX_NAME: usize = 100;

/// Keys used since the last write, with when each was last used.
#[derive(Default)]
pub struct KeyUse(Mutex<HashMap<ApiKeyId, i64>>);

impl KeyUse {
    /// Notes a use; a later use of the same key replaces it.
    pub fn note(&self, key: &ApiKeyId, at: i64) {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get_mut(key) {
            Some(t) => *t = (*t).max(at),
            None => {
                seen.insert(key.clone(), at);
            }
        }
    }

    /// Writes what was noted; kept for the next time if the write fails.
    pub async fn write(&self, ctx: Ctx<'_>) -> AppResult<usize> {
        let taken: Vec<(ApiKeyId, i64)> = {
            let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
            seen.drain().collect()
        };
        if let Err(e) = keys::record_use(ctx.db, &taken).await {
            for (k, t) in &taken {
                self.note(k, *t);
            }
            return Err(e.into());
        }
        Ok(taken.len())
    }
}

/// A key's name as given: 1 to 100 characters once trimmed.
pub fn name_of(raw: &str) -> AppResult<String> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > MAX_NAME {
        return Err(AppError::invalid(
            format!("Give the key a name of 1 to {MAX_NAME} characters."),
            "name",
        ));
    }
    Ok(n.to_string())
}

/// Makes a key; its secret, which is shown this once.
pub async fn create(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    name: &str,
) -> AppResult<(KeyInfo, String)> {
    let name = name_of(name)?;
    Ok(keys::create(ctx.db, account_id, &name, ctx.now()).await?)
}

/// The account's keys, the active ones first, newest first.
pub async fn list(ctx: Ctx<'_>, account_id: &AccountId) -> AppResult<Vec<KeyInfo>> {
    let mut all = keys::list(ctx.db, account_id).await?;
    all.sort_by_key(|k| (k.revoked_time.is_some(), std::cmp::Reverse(k.creation_time)));
    Ok(all)
}

/// Revokes a key of the account: the next request that presents it is refused.
pub async fn revoke(ctx: Ctx<'_>, account_id: &AccountId, id: &ApiKeyId) -> AppResult<()> {
    if keys::revoke_of(ctx.db, account_id, id, ctx.now()).await? {
        Ok(())
    } else {
        Err(AppError::not_found("API key", id))
    }
}
