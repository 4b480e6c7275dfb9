//! Links that let a host act on a booking request from the email that announces it — approve or
//! decline — without signing in (the hosts' app will add signed-in actions). A link names the
//! account, the booking, the host and the action, and carries an HMAC of them under this
//! instance's secret: it cannot be made for another booking, host or action, and it acts only
//! while the booking is still a request.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use slotline_domain::id::{AccountId, BookingId, UserId};

use crate::{http::error::AppResult, services::Ctx, store::instance};

/// What a host link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostAction {
    Approve,
    Decline,
}

impl HostAction {
    pub fn as_str(self) -> &'static str {
        match self {
            HostAction::Approve => "approve",
            HostAction::Decline => "decline",
        }
    }

    pub fn parse(s: &str) -> Option<HostAction> {
        match s {
            "approve" => Some(HostAction::Approve),
            "decline" => Some(HostAction::Decline),
            _ => None,
        }
    }
}

const SECRET: &str = "host_links";

fn mac(
    key: &[u8],
    account: &AccountId,
    booking: &BookingId,
    user: &UserId,
    action: HostAction,
) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    for part in [
        account.as_str(),
        booking.as_str(),
        user.as_str(),
        action.as_str(),
    ] {
        m.update(part.as_bytes());
        m.update(b"\n");
    }
    m
}

/// The link for `user` to take `action` on `booking`.
pub async fn link(
    ctx: Ctx<'_>,
    account: &AccountId,
    booking: &BookingId,
    user: &UserId,
    action: HostAction,
) -> AppResult<String> {
    let key = instance::secret(ctx.db, SECRET).await?;
    let sig = hex::encode(
        mac(&key, account, booking, user, action)
            .finalize()
            .into_bytes(),
    );
    Ok(format!(
        "{}/h/{account}/{booking}/{}?u={user}&s={sig}",
        ctx.base_url,
        action.as_str()
    ))
}

/// Whether `sig` is this instance's signature of the link, compared in constant time.
pub async fn verify(
    ctx: Ctx<'_>,
    account: &AccountId,
    booking: &BookingId,
    user: &UserId,
    action: HostAction,
    sig: &str,
) -> AppResult<bool> {
    let Ok(given) = hex::decode(sig) else {
        return Ok(false);
    };
    let key = instance::secret(ctx.db, SECRET).await?;
    Ok(mac(&key, account, booking, user, action)
        .verify_slice(&given)
        .is_ok())
}
