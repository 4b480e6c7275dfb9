//! Values typed into the app's setup forms, checked by the rules the API's typed values follow
//! (`api::values`): names, labels, descriptions, addresses; and a new page's readable address.

use std::future::Future;

use slotline_domain::slug;

use crate::http::error::{AppError, AppResult};

/// A name: 1 to 200 characters once trimmed.
pub fn name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        Err("Give a name of 1 to 200 characters.".into())
    } else {
        Ok(name.to_string())
    }
}

/// A label or other short text: at most `max` characters once trimmed; may be empty.
pub fn text(raw: &str, what: &str, max: usize) -> Result<String, String> {
    let t = raw.trim();
    if t.chars().count() > max {
        Err(format!("{what}: at most {max} characters."))
    } else {
        Ok(t.to_string())
    }
}

/// A public page's address: 3 to 64 lowercase letters, digits and hyphens.
pub fn address(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if slug::is_valid(s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "Invalid address: '{s}'. Use 3 to 64 lowercase letters, digits and hyphens."
        ))
    }
}

/// Makes something with an address read from `name` (`intro-call`), or the name's with a
/// number (`intro-call-2`) while an address is taken.
pub async fn with_readable_address<T, F, Fut>(name: &str, mut make: F) -> AppResult<T>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = AppResult<T>>,
{
    let base = Some(slug::readable(name))
        .filter(|b| slug::is_valid(b))
        .unwrap_or_else(|| slug::from_name(name));
    let mut outcome = make(base.clone()).await;
    for n in 2..20 {
        match &outcome {
            Err(AppError::Conflict { .. }) => outcome = make(format!("{base}-{n}")).await,
            _ => break,
        }
    }
    outcome
}
