//! `/h/<account>/<booking>/<approve|decline>?u=<host>&s=<signature>`: the links a host's
//! "awaiting your approval" email carries (`services::host_links`). Opening one shows the
//! request and a button; only the button (a POST) acts, so a mail scanner that follows links
//! approves nothing. The action goes through the same scheduler functions as the API's.

use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::Response,
    Form,
};
use maud::html;
use slotline_domain::{
    id::{AccountId, BookingId, UserId},
    lifecycle::{Action, Actor, Status},
};

use super::{flow::internal, query::Query, times::when};
use crate::{
    http::layout::{self, FrameData},
    services::{
        host_links::{self, HostAction},
        scheduler::{self, Refused},
    },
    state::SharedState,
    store::{
        bookings::{self, Booking},
        users,
    },
};

fn not_found() -> Response {
    layout::message(
        StatusCode::NOT_FOUND,
        "Link not valid",
        "This link does not match any booking request. Use the link from the email as it is.",
    )
}

/// The request a valid link names, with the action and the host.
struct Asked {
    account: AccountId,
    booking: Booking,
    user: UserId,
    action: HostAction,
}

async fn check(
    state: &SharedState,
    path: (String, String, String),
    q: Option<&str>,
) -> Result<Asked, Response> {
    let (account, booking, action) = path;
    let query = Query::parse(q);
    let (Ok(account), Ok(booking_id), Some(action), Some(Ok(user)), Some(sig)) = (
        AccountId::parse(account),
        BookingId::parse(booking),
        HostAction::parse(&action),
        query.get("u").map(|u| UserId::parse(u.to_string())),
        query.get("s"),
    ) else {
        return Err(not_found());
    };
    match host_links::verify(state.ctx(), &account, &booking_id, &user, action, sig).await {
        Ok(true) => {}
        Ok(false) => return Err(not_found()),
        Err(e) => return Err(internal(e)),
    }
    match bookings::get(&state.db, &account, &booking_id).await {
        Ok(Some(booking)) if booking.hosts.contains(&user) => Ok(Asked {
            account,
            booking,
            user,
            action,
        }),
        Ok(_) => Err(not_found()),
        Err(e) => Err(internal(e)),
    }
}

fn page(status: StatusCode, title: &str, body: maud::Markup) -> Response {
    layout::respond(
        status,
        layout::page(title, body, &FrameData::default()),
        "'none'",
    )
}

async fn summary(state: &SharedState, a: &Asked) -> maud::Markup {
    let b = &a.booking;
    let zone = match users::get(&state.db, &a.account, &a.user).await {
        Ok(Some(u)) => u.timezone,
        _ => b.customer_timezone.clone(),
    };
    let guest = b.form_submission["name"].as_str().unwrap_or_default();
    let email = b.form_submission["email"].as_str().unwrap_or_default();
    html! {
        dl.card {
            dt { "What" } dd { (b.subject) }
            dt { "When" } dd { (when(b.start_time, &zone)) " (" (zone) ")" }
            dt { "Duration" } dd { (b.duration_minutes) " minutes" }
            dt { "Guest" } dd { (guest) " <" (email) ">" }
        }
    }
}

fn answered(b: &Booking) -> Response {
    let now = match b.status {
        Status::Scheduled | Status::Rescheduled => "It was approved.",
        Status::Canceled => "It was declined or canceled.",
        _ => "It is no longer waiting for an answer.",
    };
    page(
        StatusCode::CONFLICT,
        "Already answered",
        html! { h1 { "This request was already answered" } p { (now) } },
    )
}

/// Shows the request and the button.
pub async fn show(
    State(state): State<SharedState>,
    Path(path): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    let a = match check(&state, path, q.as_deref()).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if a.booking.status != Status::Requested {
        return answered(&a.booking);
    }
    let summary = summary(&state, &a).await;
    let (title, button) = match a.action {
        HostAction::Approve => ("Approve this request?", "Approve"),
        HostAction::Decline => ("Decline this request?", "Decline"),
    };
    page(
        StatusCode::OK,
        title,
        html! {
            h1 { (title) }
            (summary)
            form method="post" {
                @if a.action == HostAction::Decline {
                    label for="reason" { "Reason for the guest (optional)" }
                    textarea #reason name="reason" maxlength="2000" {}
                }
                p.row {
                    button.danger[a.action == HostAction::Decline] type="submit" { (button) }
                }
            }
        },
    )
}

#[derive(serde::Deserialize)]
pub struct Answer {
    #[serde(default)]
    reason: String,
}

/// Acts.
pub async fn act(
    State(state): State<SharedState>,
    Path(path): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    Form(answer): Form<Answer>,
) -> Response {
    let a = match check(&state, path, q.as_deref()).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if a.booking.status != Status::Requested {
        return answered(&a.booking);
    }
    let reason: String = answer.reason.trim().chars().take(2000).collect();
    let outcome = match a.action {
        HostAction::Approve => scheduler::approve(state.ctx(), &a.account, &a.booking).await,
        HostAction::Decline => {
            scheduler::change(
                state.ctx(),
                &a.account,
                &a.booking,
                Action::Decline,
                Some((reason, Actor::User)),
                true,
            )
            .await
        }
    };
    match outcome {
        Ok(_) => {
            let done = match a.action {
                HostAction::Approve => "Approved: the guest is booked and has been told.",
                HostAction::Decline => "Declined: the guest has been told.",
            };
            page(StatusCode::OK, "Done", html! { h1 { "Done" } p { (done) } })
        }
        Err(Refused::NotAllowed) => match bookings::get(&state.db, &a.account, &a.booking.id).await
        {
            Ok(Some(b)) => answered(&b),
            _ => not_found(),
        },
        Err(Refused::Failed(e)) => internal(e),
    }
}
