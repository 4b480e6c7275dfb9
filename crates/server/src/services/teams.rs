//! Teams, for the API and the hosts' app alike: a team's name (1 to 200 characters) and its
//! members.

use crate::http::error::{AppError, AppResult};

/// A team's name as given: 1 to 200 characters once trimmed.
pub fn name_of(n: &str) -> AppResult<String> {
    if n.trim().is_empty() || n.chars().count() > 200 {
        return Err(AppError::invalid(format!("Invalid name: '{n}'"), "name"));
    }
    Ok(n.trim().to_string())
}
