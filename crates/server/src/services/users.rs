//! Adding, changing and removing the people of an account, for the API and the hosts' app
//! alike: a new user is invited by email (with the link to choose a password) in the
//! transaction that adds them; the account owner is changed or removed by no one.

use slotline_domain::{
    id::{AccountId, UserId},
    role::Role,
};

use crate::{
    http::error::{AppError, AppResult},
    services::{notify, Ctx},
    store::{
        accounts, sessions,
        users::{self, NewUser, User, UserPatch},
    },
};

pub fn no_such_user(id: &str) -> AppError {
    AppError::not_found("user", id)
}

/// The live user a body or form names as `owner`: OnceHub's `No such user` otherwise.
pub async fn live_owner(
    db: &crate::store::Db,
    account_id: &AccountId,
    owner: &str,
) -> AppResult<User> {
    let no_such = || AppError::invalid(format!("No such user: '{owner}'"), "owner");
    let id = UserId::parse(owner).map_err(|_| no_such())?;
    users::get(db, account_id, &id)
        .await?
        .filter(|u| !u.deleted)
        .ok_or_else(no_such)
}

/// A user to invite; without a zone, the account's.
pub struct Invite {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub teams: Vec<String>,
    pub timezone: Option<String>,
}

pub async fn invite(ctx: Ctx<'_>, account_id: &AccountId, i: Invite) -> AppResult<User> {
    let timezone = match i.timezone {
        Some(tz) => tz,
        None => accounts::get(ctx.db, account_id)
            .await?
            .map(|a| a.timezone)
            .unwrap_or_else(|| "UTC".into()),
    };
    let new = NewUser {
        email: i.email,
        first_name: i.first_name,
        last_name: i.last_name,
        role: i.role,
        teams: i.teams,
        timezone,
    };
    let invitation = notify::invitation(ctx, account_id, &new).await?;
    Ok(users::create(ctx.db, account_id, new, Some(invitation), ctx.now()).await?)
}

/// Changes a user; the account owner cannot be changed this way, a removed user not at all.
pub async fn update(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &UserId,
    patch: UserPatch,
) -> AppResult<User> {
    let user = users::get(ctx.db, account_id, id)
        .await?
        .ok_or_else(|| no_such_user(id))?;
    if user.deleted {
        return Err(AppError::Gone {
            message: format!("User cannot be modified as they have been deleted: '{id}'"),
            param: Some("id".into()),
        });
    }
    if user.role == Role::AccountOwner {
        return Err(AppError::Forbidden {
            message: "Cannot update 'Account Owner' user.".into(),
            kind: "invalid_request_error",
        });
    }
    users::update(ctx.db, account_id, id, patch, ctx.now()).await?;
    users::get(ctx.db, account_id, id)
        .await?
        .ok_or_else(|| no_such_user(id))
}

/// Removes a user from the account and ends their sessions; not the account owner.
pub async fn remove(ctx: Ctx<'_>, account_id: &AccountId, id: &UserId) -> AppResult<()> {
    let user = users::get(ctx.db, account_id, id)
        .await?
        .filter(|u| !u.deleted)
        .ok_or_else(|| no_such_user(id))?;
    if user.role == Role::AccountOwner {
        return Err(AppError::Forbidden {
            message: "Cannot delete 'Account Owner' user.".into(),
            kind: "invalid_request_error",
        });
    }
    if !users::delete(ctx.db, account_id, id, ctx.now()).await? {
        return Err(no_such_user(id));
    }
    sessions::delete_of_user(ctx.db, id).await?;
    Ok(())
}

/// Sends a user who has not chosen a password yet a new invitation (a new link; the old ones
/// keep working until they expire).
pub async fn invite_again(ctx: Ctx<'_>, account_id: &AccountId, id: &UserId) -> AppResult<()> {
    let user = users::get(ctx.db, account_id, id)
        .await?
        .filter(|u| !u.deleted)
        .ok_or_else(|| no_such_user(id))?;
    let new = NewUser {
        email: user.email.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        role: user.role,
        teams: vec![],
        timezone: user.timezone.clone(),
    };
    let users::Invitation { mut message, token } =
        notify::invitation(ctx, account_id, &new).await?;
    message.recipient = crate::store::notifications::Recipient::User(user.id.clone());
    if let Some(token) = token {
        crate::store::passwords::create_link(
            ctx.db,
            account_id,
            &user.id,
            &token,
            &message,
            ctx.now(),
        )
        .await?;
    }
    Ok(())
}
