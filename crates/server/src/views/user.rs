//! How a user reads: OnceHub's User object, in the API and wherever a user is expanded inside
//! another object (a contact's owner, a booking's, a conversation's).

use serde::Serialize;
use utoipa::ToSchema;

use slotline_domain::id::{TeamId, UserId};

use crate::store::users;

#[derive(Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserOut {
    /// Always `user`.
    pub object: &'static str,
    pub id: UserId,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// `active` or `invited`.
    pub status: String,
    /// `Account Owner`, `Administrator`, `Member` or `Team Manager`.
    pub role_name: &'static str,
    /// IANA time zone.
    pub timezone: String,
    /// Ids of the teams the user belongs to.
    pub teams: Vec<TeamId>,
}

impl From<users::User> for UserOut {
    fn from(u: users::User) -> Self {
        UserOut {
            object: "user",
            id: u.id,
            first_name: u.first_name,
            last_name: u.last_name,
            email: u.email,
            status: u.status,
            role_name: u.role.as_str(),
            timezone: u.timezone,
            teams: u.teams,
        }
    }
}
