//! User roles. `Account Owner` exists but is never assignable through the API.

use crate::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    AccountOwner,
    Administrator,
    Member,
    TeamManager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::AccountOwner => "Account Owner",
            Role::Administrator => "Administrator",
            Role::Member => "Member",
            Role::TeamManager => "Team Manager",
        }
    }

    /// A role as stored (`as_str`); `None` for a name this build does not know.
    pub fn from_stored(s: &str) -> Option<Role> {
        match s {
            "Account Owner" => Some(Role::AccountOwner),
            "Administrator" => Some(Role::Administrator),
            "Team Manager" => Some(Role::TeamManager),
            "Member" => Some(Role::Member),
            _ => None,
        }
    }

    /// A role a client asks for: one of the three assignable roles, exactly spelled.
    pub fn parse_assignable(s: &str) -> Result<Role, Invalid> {
        match s {
            "Administrator" => Ok(Role::Administrator),
            "Member" => Ok(Role::Member),
            "Team Manager" => Ok(Role::TeamManager),
            "Account Owner" => Err(Invalid::new(
                "The 'Account Owner' role cannot be assigned directly via the API.",
                "role_name",
            )),
            other => Err(Invalid::new(
                format!("Invalid role name: '{other}'"),
                "role_name",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_three_roles_are_assignable() {
        assert_eq!(
            Role::parse_assignable("Team Manager").unwrap(),
            Role::TeamManager
        );
        assert_eq!(
            Role::parse_assignable("Super Admin").unwrap_err().message,
            "Invalid role name: 'Super Admin'"
        );
        assert!(Role::parse_assignable("Account Owner")
            .unwrap_err()
            .message
            .contains("cannot be assigned"));
        assert!(Role::parse_assignable("administrator").is_err());
    }
}
