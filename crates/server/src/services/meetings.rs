//! Meeting links: the providers that make a link for a booking's online location, behind one
//! interface. Slotline's own is a Jitsi Meet room on `--meeting-url`; a provider that needs the
//! host's account (Zoom, Google Meet, …) implements [`Provider`] when it is added. A
//! `virtual_static` location without a URL of its own takes the host's own meeting link.

use serde_json::Value;
use slotline_domain::{
    id::{AccountId, UserId},
    meeting,
};

use super::Ctx;
use crate::{http::error::AppResult, store::users};

/// Makes the link of a new meeting for the provider it is named after.
pub trait Provider {
    /// The location `value` it answers to (`jitsi`).
    fn name(&self) -> &'static str;
    /// A new meeting's link.
    fn new_link(&self) -> String;
}

/// Jitsi Meet: an unguessable room on the configured server.
pub struct Jitsi<'a> {
    pub base: &'a str,
}

impl Provider for Jitsi<'_> {
    fn name(&self) -> &'static str {
        meeting::GENERATED
    }

    fn new_link(&self) -> String {
        meeting::room_url(self.base)
    }
}

/// The location as `host` meets there: a fresh link when its provider makes links (a new
/// booking, or a booking moving to another host, who gets a room of their own), the host's own
/// link for a `virtual_static` location that has none of its own (`host_link` marks it, so a
/// new host's replaces it); any other location as it is.
pub async fn for_host(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    host: &UserId,
    location: Option<Value>,
) -> AppResult<Option<Value>> {
    let Some(mut l) = location else {
        return Ok(None);
    };
    let own = l["type"] == "virtual_static"
        && (l["host_link"] == true || l["value"].as_str().is_none_or(str::is_empty));
    if own {
        let link = users::meeting_link(ctx.db, account_id, host)
            .await?
            .flatten()
            .unwrap_or_default();
        l["value"] = Value::String(link.clone());
        l["description"] = Value::String(link);
        l["host_link"] = Value::Bool(true);
        return Ok(Some(l));
    }
    Ok(with_new_link(ctx, Some(l)))
}

fn with_new_link(ctx: Ctx<'_>, location: Option<Value>) -> Option<Value> {
    let mut l = location?;
    let jitsi = Jitsi {
        base: ctx.meeting_url,
    };
    let providers: [&dyn Provider; 1] = [&jitsi];
    if l["type"] == "virtual" {
        if let Some(p) = providers.iter().find(|p| l["value"] == p.name()) {
            let link = p.new_link();
            l["join_url"] = Value::String(link.clone());
            l["description"] = Value::String(link);
        }
    }
    Some(l)
}
