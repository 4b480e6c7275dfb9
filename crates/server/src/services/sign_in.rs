//! Signing people in to the hosts' app: passwords (argon2id, hashed off the async threads and
//! a few at a time, so a burst of sign-ins cannot starve the server), sessions that live in the
//! database, and the one-time links of an invitation or a reset. Tokens are random and only
//! their SHA-256 is stored.

use std::sync::LazyLock;

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use base64::Engine;
use sha2::{Digest, Sha256};
use slotline_domain::{
    id::{AccountId, UserId},
    notice::{self, Notice},
    notifications::Channel,
    password,
};
use tokio::sync::Semaphore;

use crate::{
    http::error::{AppError, AppResult},
    services::Ctx,
    store::{
        notifications::{MessageId, NewMessage, Recipient},
        passwords::{self, NewToken, Purpose, TokenOwner},
        sessions::{self, Session},
    },
};

/// A session unused this long ends.
pub const SESSION_IDLE_MS: i64 = 14 * 24 * 3_600_000;
/// A session ends this long after sign-in, however used.
pub const SESSION_MAX_MS: i64 = 30 * 24 * 3_600_000;
/// A session's last use is written at most this often (not on every page).
const TOUCH_EVERY_MS: i64 = 5 * 60_000;
pub const RESET_LIFETIME_MS: i64 = 3_600_000;
pub const INVITATION_LIFETIME_MS: i64 = 7 * 24 * 3_600_000;
/// Users sharing one email address tried at one sign-in (each a password check).
const MAX_CANDIDATES: i64 = 5;

/// Password hashes computed at once: each takes ~19 MiB and tens of milliseconds of a core.
static HASHING: Semaphore = Semaphore::const_new(2);

/// A fresh random token and the SHA-256 the store keeps of it.
pub struct Secret {
    pub token: String,
    pub hash: String,
}

pub fn new_secret() -> Secret {
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let hash = token_hash(&token);
    Secret { token, hash }
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The argon2id PHC string of a password.
pub async fn hash_password(password: &str) -> AppResult<String> {
    let password = password.to_string();
    let _permit = HASHING.acquire().await.map_err(internal)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(internal)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(internal)
    })
    .await
    .map_err(internal)?
}

/// Whether `password` matches the stored hash. Without a hash, a hash of nothing is checked
/// instead, so that a missing user or password takes as long as a wrong one.
pub async fn verify_password(password: &str, phc: Option<&str>) -> bool {
    static DUMMY: LazyLock<String> = LazyLock::new(|| {
        let salt = SaltString::encode_b64(&[7u8; 16]).expect("a fixed salt");
        Argon2::default()
            .hash_password(b"no password has been set", &salt)
            .expect("hashing a constant")
            .to_string()
    });
    let (password, phc, real) = (
        password.to_string(),
        phc.map_or_else(|| DUMMY.clone(), str::to_string),
        phc.is_some(),
    );
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        let ok = PasswordHash::new(&phc).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        ok && real
    })
    .await
    .unwrap_or(false)
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("password hashing failed: {e}"))
}

/// A session just opened: the cookie's token, for the browser only.
pub struct Opened {
    pub token: String,
    pub account_id: AccountId,
    pub user_id: UserId,
}

/// Signs in with an email address and a password; None when they do not match a user.
pub async fn sign_in(
    ctx: Ctx<'_>,
    email: &str,
    password: &str,
    user_agent: Option<&str>,
) -> AppResult<Option<Opened>> {
    if password.len() > password::MAX_BYTES {
        return Ok(None);
    }
    let candidates = passwords::candidates(ctx.db, email, MAX_CANDIDATES).await?;
    if candidates.iter().all(|c| c.password_hash.is_none()) {
        verify_password(password, None).await;
        return Ok(None);
    }
    for c in &candidates {
        if let Some(phc) = &c.password_hash {
            if verify_password(password, Some(phc)).await {
                return open(ctx, &c.account_id, &c.user_id, user_agent)
                    .await
                    .map(Some);
            }
        }
    }
    Ok(None)
}

/// Opens a session for a user.
pub async fn open(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    user_id: &UserId,
    user_agent: Option<&str>,
) -> AppResult<Opened> {
    let secret = new_secret();
    let csrf = hex::encode(rand::random::<[u8; 16]>());
    let now = ctx.now();
    let agent = user_agent.map(|a| a.chars().take(200).collect::<String>());
    sessions::create(
        ctx.db,
        &secret.hash,
        account_id,
        user_id,
        &csrf,
        agent.as_deref(),
        now,
        now + SESSION_IDLE_MS,
    )
    .await?;
    Ok(Opened {
        token: secret.token,
        account_id: account_id.clone(),
        user_id: user_id.clone(),
    })
}

/// The live session a cookie's token opens, its use recorded now and then.
pub async fn session(ctx: Ctx<'_>, token: &str) -> AppResult<Option<Session>> {
    if token.len() > 100 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let now = ctx.now();
    let Some(s) = sessions::get(ctx.db, &hash, now).await? else {
        return Ok(None);
    };
    if now - s.last_seen_time > TOUCH_EVERY_MS {
        let until = (now + SESSION_IDLE_MS).min(s.creation_time + SESSION_MAX_MS);
        sessions::touch(ctx.db, &hash, now, until).await?;
    }
    Ok(Some(s))
}

pub async fn sign_out(ctx: Ctx<'_>, token: &str) -> AppResult<()> {
    sessions::delete(ctx.db, &token_hash(token)).await?;
    Ok(())
}

/// Ends every session of the user, this one included; how many.
pub async fn sign_out_everywhere(ctx: Ctx<'_>, user_id: &UserId) -> AppResult<usize> {
    Ok(sessions::delete_of_user(ctx.db, user_id).await?)
}

/// The address of a one-time link.
pub fn link_url(ctx: Ctx<'_>, token: &str) -> String {
    format!("{}/app/password/{token}", ctx.base_url)
}

/// A new user's link to choose a password, and its address for the invitation.
pub fn invitation_token(ctx: Ctx<'_>) -> (NewToken, String) {
    let secret = new_secret();
    let token = NewToken {
        hash: secret.hash,
        purpose: Purpose::Invitation,
        expire_time: ctx.now() + INVITATION_LIFETIME_MS,
    };
    (token, link_url(ctx, &secret.token))
}

/// Emails a reset link to each user signing in with `email` (nothing when there is none: the
/// page says the same either way, so that it tells nobody who has an account).
pub async fn request_reset(ctx: Ctx<'_>, email: &str) -> AppResult<usize> {
    let candidates = passwords::candidates(ctx.db, email, MAX_CANDIDATES).await?;
    let now = ctx.now();
    for c in &candidates {
        let secret = new_secret();
        let token = NewToken {
            hash: secret.hash,
            purpose: Purpose::Reset,
            expire_time: now + RESET_LIFETIME_MS,
        };
        let url = link_url(ctx, &secret.token);
        let name = format!("{} {}", c.first_name, c.last_name)
            .trim()
            .to_string();
        let r = notice::render(
            &notice::default_text(Notice::PasswordReset),
            &[
                ("user_name", name.as_str()),
                ("account_name", c.account_name.as_str()),
                ("reset_url", url.as_str()),
            ],
        );
        let message = NewMessage {
            id: MessageId::new(Channel::Email),
            booking_id: None,
            kind: Notice::PasswordReset,
            recipient: Recipient::User(c.user_id.clone()),
            recipient_name: name,
            address: email.trim().to_string(),
            subject: r.subject,
            text: r.text,
            html: Some(r.html),
            ics: None,
            due_time: now,
            expire_time: Some(token.expire_time),
        };
        passwords::create_link(ctx.db, &c.account_id, &c.user_id, &token, &message, now).await?;
    }
    Ok(candidates.len())
}

/// Whom a one-time link is for, while it is good.
pub async fn link_owner(ctx: Ctx<'_>, token: &str) -> AppResult<Option<TokenOwner>> {
    if token.len() > 100 {
        return Ok(None);
    }
    Ok(passwords::token(ctx.db, &token_hash(token), ctx.now()).await?)
}

/// What setting a password through a link came to.
pub enum SetPassword {
    /// Set; every other session ended and this browser signed in.
    Done(Opened),
    /// The password does not meet the rules (why).
    Refused(&'static str),
    /// The link is used up or expired.
    Gone,
}

pub async fn set_password(
    ctx: Ctx<'_>,
    token: &str,
    new_password: &str,
    user_agent: Option<&str>,
) -> AppResult<SetPassword> {
    let Some(owner) = link_owner(ctx, token).await? else {
        return Ok(SetPassword::Gone);
    };
    if let Err(why) = password::check(new_password, &owner.email) {
        return Ok(SetPassword::Refused(why));
    }
    let phc = hash_password(new_password).await?;
    if !passwords::set_with_token(ctx.db, &token_hash(token), &owner, &phc, ctx.now()).await? {
        return Ok(SetPassword::Gone);
    }
    let opened = open(ctx, &owner.account_id, &owner.user_id, user_agent).await?;
    Ok(SetPassword::Done(opened))
}

/// Sets a user's password without a link (the demo; a signed-in user changing their own).
pub async fn set_directly(ctx: Ctx<'_>, user_id: &UserId, new_password: &str) -> AppResult<()> {
    let phc = hash_password(new_password).await?;
    passwords::set(ctx.db, user_id, &phc, ctx.now()).await?;
    Ok(())
}
