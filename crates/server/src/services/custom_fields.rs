//! The account's field library, for the API and the hosts' app alike: a field's name is its key
//! in contacts' and booking forms' `custom_fields` (up to 64 lowercase letters, digits and
//! underscores, starting with a letter), its label what people see.

use slotline_domain::id::AccountId;

use crate::{
    http::error::{AppError, AppResult},
    services::Ctx,
    store::custom_fields::{self, CustomField},
};

/// Labels longer than this are refused.
pub const MAX_LABEL: usize = 200;

pub async fn create(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    name: &str,
    label: Option<&str>,
) -> AppResult<CustomField> {
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(AppError::invalid(
            format!("Invalid name: '{name}'. Use lowercase letters, digits and underscores."),
            "name",
        ));
    }
    let label = label
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or(name);
    if label.chars().count() > MAX_LABEL {
        return Err(AppError::invalid(
            format!("Invalid label: longer than {MAX_LABEL} characters"),
            "label",
        ));
    }
    Ok(custom_fields::create(ctx.db, account_id, name, label, ctx.now()).await?)
}
