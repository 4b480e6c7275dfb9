//! `/app/bookings/<id>`: one booking as its host or an administrator sees it — the meeting, the
//! guest's answers, what happened to it (its events, where each went, the messages it caused)
//! — and the actions its status allows: approve or decline a request; cancel, ask the guest to
//! reschedule or give it to another host (administrators) while it is on; mark a past meeting a
//! no-show. Each action goes through the scheduler as the API's does, so it writes the same
//! events, webhooks and messages.

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::{html, Markup};
use slotline_domain::{
    id::{AccountId, BookingId, UserId},
    lifecycle::{self, Action, Actor, Status},
};

use super::{
    layout::{self, Section},
    session::Signed,
};
use crate::{
    services::scheduler::{self, ReassignRefused, Refused},
    state::SharedState,
    store::{
        agenda,
        bookings::{self, Booking},
        notifications, users,
    },
    web::{flow::internal, query::Query, times::when},
};

/// What a host can do to a booking from its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Approve,
    Decline,
    Cancel,
    RequestReschedule,
    Reassign,
    NoShow,
}

impl Act {
    const ALL: [Act; 6] = [
        Act::Approve,
        Act::Decline,
        Act::Cancel,
        Act::RequestReschedule,
        Act::Reassign,
        Act::NoShow,
    ];

    fn slug(self) -> &'static str {
        match self {
            Act::Approve => "approve",
            Act::Decline => "decline",
            Act::Cancel => "cancel",
            Act::RequestReschedule => "request-reschedule",
            Act::Reassign => "reassign",
            Act::NoShow => "no-show",
        }
    }

    fn parse(s: &str) -> Option<Act> {
        Act::ALL.into_iter().find(|a| a.slug() == s)
    }

    fn lifecycle(self) -> Action {
        match self {
            Act::Approve => Action::Approve {
                reschedule_of_same_host: None,
            },
            Act::Decline => Action::Decline,
            Act::Cancel => Action::Cancel(Actor::User),
            Act::RequestReschedule => Action::RequestReschedule,
            Act::Reassign => Action::Reassign,
            Act::NoShow => Action::NoShow,
        }
    }

    /// Whether `signed` may take this action on a booking in `status`.
    fn allowed(self, status: Status, signed: &Signed) -> bool {
        // A host answers a request by declining it (the API may also cancel one).
        if self == Act::Cancel && status == Status::Requested {
            return false;
        }
        (self != Act::Reassign || signed.is_admin())
            && lifecycle::apply(Some(status), self.lifecycle()).is_ok()
    }

    fn done(self) -> &'static str {
        match self {
            Act::Approve => "Approved: the guest is booked and has been told.",
            Act::Decline => "Declined: the guest has been told.",
            Act::Cancel => "Canceled.",
            Act::RequestReschedule => "Canceled; the guest is asked to pick a new time.",
            Act::Reassign => "Given to the new host, who has been told.",
            Act::NoShow => "Marked as a no-show.",
        }
    }
}

fn not_found() -> Response {
    layout::message(
        StatusCode::NOT_FOUND,
        "No such booking",
        "This booking does not exist, or it is not one of yours.",
    )
}

/// The booking of `id` if the signed-in user may see it: a host of it, or an administrator.
async fn visible(state: &SharedState, signed: &Signed, id: &str) -> Result<Booking, Response> {
    let Ok(id) = BookingId::parse(id.to_string()) else {
        return Err(not_found());
    };
    match bookings::get(&state.db, &signed.session.account_id, &id).await {
        Ok(Some(b)) if signed.is_admin() || b.hosts.contains(&signed.session.user_id) => Ok(b),
        Ok(_) => Err(not_found()),
        Err(e) => Err(internal(e)),
    }
}

pub async fn show(
    State(state): State<SharedState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let b = match visible(&state, &signed, &id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let done = Query::parse(q.as_deref())
        .get("done")
        .and_then(Act::parse)
        .map(Act::done);
    page(&state, &signed, &b, StatusCode::OK, done, None).await
}

async fn page(
    state: &SharedState,
    signed: &Signed,
    b: &Booking,
    status: StatusCode,
    done: Option<&str>,
    error: Option<&str>,
) -> Response {
    let account = &signed.session.account_id;
    let (history, messages, hosts, everyone) = match tokio::try_join!(
        agenda::history(&state.db, account, &b.id),
        notifications::of_booking(&state.db, account, &b.id),
        users::get_many(&state.db, account, &b.hosts),
        users::names(&state.db, account),
    ) {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let zone = &signed.session.timezone;
    let form = &b.form_submission;
    let text = |k: &str| form[k].as_str().unwrap_or_default().to_string();
    let host_names: Vec<String> = b
        .hosts
        .iter()
        .map(|h| {
            hosts
                .get(h)
                .map(|u| format!("{} {}", u.first_name, u.last_name))
                .unwrap_or_else(|| h.to_string())
        })
        .collect();
    let join = b
        .location
        .as_ref()
        .and_then(|l| l["join_url"].as_str().or(l["value"].as_str()))
        .map(str::to_string);
    let csrf = &signed.session.csrf;
    let action = |a: Act| format!("/app/bookings/{}/{}", b.id, a.slug());
    let body = html! {
        p { a href="/app/bookings" { "← Bookings" } }
        h1 { (b.subject) " with " (text("name")) }
        p { span.status { (b.status.as_str().replace('_', " ")) } }
        @if let Some(d) = done { div.card.notice role="status" { (d) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        dl.card {
            dt { "When" } dd { (when(b.start_time, zone)) " (" (zone) ")" }
            dt { "Guest's time" } dd { (when(b.start_time, &b.customer_timezone)) " (" (b.customer_timezone) ")" }
            dt { "Duration" } dd { (b.duration_minutes) " minutes" }
            dt { "Guest" } dd { (text("name")) " · " a href={ "mailto:" (text("email")) } { (text("email")) } }
            @if !text("phone").is_empty() { dt { "Phone" } dd { (text("phone")) } }
            @if !text("company").is_empty() { dt { "Company" } dd { (text("company")) } }
            dt { "Host" } dd { (host_names.join(", ")) }
            @if let Some(loc) = &b.location {
                dt { "Location" }
                dd {
                    (loc["type"].as_str().unwrap_or_default().replace('_', " "))
                    @if let Some(j) = &join {
                        @if j.starts_with("https://") || j.starts_with("http://") {
                            " · " a href=(j) rel="noopener noreferrer" { (j) }
                        } @else { " · " (j) }
                    }
                }
            }
            @if !text("note").is_empty() { dt { "Note" } dd { (text("note")) } }
            @if let Some(fields) = form["custom_fields"].as_array() {
                @for f in fields {
                    dt { (f["name"].as_str().unwrap_or_default()) }
                    dd { (f["value"].as_str().map(str::to_string).unwrap_or_else(|| f["value"].to_string())) }
                }
            }
            @if let Some(info) = &b.cancel_info {
                dt { "Reason" } dd { (info["reason"].as_str().unwrap_or_default()) " (by the " (info["actioned_by"].as_str().unwrap_or("user")) ")" }
            }
            @if let Some(prev) = &b.rescheduled_booking_id {
                dt { "Moved from" } dd { a href={ "/app/bookings/" (prev) } { "the earlier booking" } }
            }
            dt { "Booked" } dd { (when(b.creation_time, zone)) }
            dt { "Id" } dd { code { (b.id) } }
        }
        (actions(signed, b, csrf, &action, &everyone))
        h2 { "What happened" }
        @if history.is_empty() && messages.is_empty() {
            p.muted { "Nothing yet." }
        }
        @if !history.is_empty() {
            table.list {
                caption.muted { "Events and their webhooks" }
                thead { tr { th scope="col" { "When" } th scope="col" { "Event" } th scope="col" { "Webhooks" } } }
                tbody {
                    @for e in &history {
                        tr {
                            td { (when(e.creation_time, zone)) }
                            td { code { (e.event_type) } }
                            td {
                                @if e.deliveries.is_empty() { span.muted { "no webhook" } }
                                @for d in &e.deliveries {
                                    div {
                                        (d.webhook_name) ": " (d.status)
                                        @if d.attempts > 0 { " after " (d.attempts) " attempt" @if d.attempts != 1 { "s" } }
                                        @if let Some(c) = d.last_status_code { " (HTTP " (c) ")" }
                                        @if let Some(err) = &d.last_error { " — " span.muted { (err) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !messages.is_empty() {
            table.list {
                caption.muted { "Messages" }
                thead { tr { th scope="col" { "Due" } th scope="col" { "To" } th scope="col" { "Subject" } th scope="col" { "Status" } } }
                tbody {
                    @for m in &messages {
                        tr {
                            td { (when(m.due_time, zone)) }
                            td { (m.recipient_name) br; span.muted { (m.address) } }
                            td { (m.subject) }
                            td {
                                (m.status.as_str())
                                @if let Some(err) = &m.last_error { br; span.muted { (err) } }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::respond(
        status,
        layout::page(&b.subject, signed, Section::Bookings, body),
    )
}

fn actions(
    signed: &Signed,
    b: &Booking,
    csrf: &str,
    action: &dyn Fn(Act) -> String,
    everyone: &[(UserId, String)],
) -> Markup {
    let others = everyone.iter().any(|(id, _)| !b.hosts.contains(id));
    let can = |a: Act| a.allowed(b.status, signed) && (a != Act::Reassign || others);
    if !Act::ALL.into_iter().any(can) {
        return html! {};
    }
    html! {
        h2 { "Actions" }
        div.actions {
            @if can(Act::Approve) {
                form.card method="post" action=(action(Act::Approve)) {
                    input type="hidden" name="csrf" value=(csrf);
                    p { "The time is held until you answer." }
                    button.primary type="submit" { "Approve" }
                }
            }
            @if can(Act::Decline) {
                form.card method="post" action=(action(Act::Decline)) {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="decline-reason" { "Reason for the guest (optional)" }
                    textarea #decline-reason name="reason" maxlength="2000" {}
                    button.danger type="submit" { "Decline" }
                }
            }
            @if can(Act::Cancel) {
                form.card method="post" action=(action(Act::Cancel)) {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="cancel-reason" { "Reason (shown to the guest)" }
                    textarea #cancel-reason name="reason" maxlength="2000" {}
                    label.check { input type="checkbox" name="tell_guest" value="on" checked; "Email the guest" }
                    button.danger type="submit" { "Cancel the booking" }
                }
            }
            @if can(Act::RequestReschedule) {
                form.card method="post" action=(action(Act::RequestReschedule)) {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="reschedule-reason" { "Why a new time is needed" }
                    textarea #reschedule-reason name="reason" maxlength="2000" {}
                    button type="submit" { "Ask the guest to reschedule" }
                }
            }
            @if can(Act::Reassign) {
                form.card method="post" action=(action(Act::Reassign)) {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="new-host" { "Give it to" }
                    select #new-host name="new_host" required {
                        @for (id, name) in everyone.iter().filter(|(id, _)| !b.hosts.contains(id)) {
                            option value=(id) { (name) }
                        }
                    }
                    button type="submit" { "Reassign" }
                }
            }
            @if can(Act::NoShow) {
                form.card method="post" action=(action(Act::NoShow)) {
                    input type="hidden" name="csrf" value=(csrf);
                    p { "The guest did not come?" }
                    button type="submit" { "Mark as no-show" }
                }
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    tell_guest: Option<String>,
    #[serde(default)]
    new_host: String,
}

pub async fn act(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path((id, act)): Path<(String, String)>,
    Form(f): Form<ActForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    let Some(act) = Act::parse(&act) else {
        return not_found();
    };
    let b = match visible(&state, &signed, &id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let account = signed.session.account_id.clone();
    let reason: String = f.reason.trim().chars().take(2000).collect();
    let refused = |why: String| {
        let (state, b) = (state.clone(), b.clone());
        let signed = &signed;
        async move { page(&state, signed, &b, StatusCode::CONFLICT, None, Some(&why)).await }
    };
    if !act.allowed(b.status, &signed) {
        let why = if act == Act::Reassign && !signed.is_admin() {
            "Only the account owner and administrators can give a booking to another host."
                .to_string()
        } else {
            format!(
                "This booking cannot be changed that way: it is {}.",
                b.status.as_str().replace('_', " ")
            )
        };
        return refused(why).await;
    }
    let ctx = state.ctx();
    let outcome = match act {
        Act::Approve => scheduler::approve(ctx, &account, &b).await,
        Act::Reassign => return reassign(&state, &signed, &account, &b, &f.new_host).await,
        Act::NoShow => scheduler::change(ctx, &account, &b, Action::NoShow, None, true).await,
        Act::Decline | Act::Cancel | Act::RequestReschedule => {
            let tell = act != Act::Cancel || f.tell_guest.as_deref() == Some("on");
            scheduler::change(
                ctx,
                &account,
                &b,
                act.lifecycle(),
                Some((reason, Actor::User)),
                tell,
            )
            .await
        }
    };
    match outcome {
        Ok(after) => done(&after.id, act),
        Err(Refused::NotAllowed) => {
            // It changed meanwhile: show it as it is now.
            refused("This booking changed meanwhile; here it is as it is now.".into()).await
        }
        Err(Refused::Failed(e)) => internal(e),
    }
}

fn done(id: &BookingId, act: Act) -> Response {
    Redirect::to(&format!("/app/bookings/{id}?done={}", act.slug())).into_response()
}

async fn reassign(
    state: &SharedState,
    signed: &Signed,
    account: &AccountId,
    b: &Booking,
    new_host: &str,
) -> Response {
    let refused = |why: &str| {
        let why = why.to_string();
        async move { page(state, signed, b, StatusCode::CONFLICT, None, Some(&why)).await }
    };
    let user = match UserId::parse(new_host.to_string()) {
        Ok(id) => match users::get(&state.db, account, &id).await {
            Ok(u) => u.filter(|u| !u.deleted && u.status == "active"),
            Err(e) => return internal(e),
        },
        Err(_) => None,
    };
    let Some(user) = user else {
        return refused("Choose a host of this account.").await;
    };
    match scheduler::reassign(state.ctx(), account, b, &user, None).await {
        Ok(after) => done(&after.id, Act::Reassign),
        Err(ReassignRefused::SameHost) => refused("That host already has this booking.").await,
        Err(ReassignRefused::Status) => {
            refused("This booking cannot be reassigned in its current status.").await
        }
        Err(ReassignRefused::Failed(crate::http::error::AppError::NotAvailable)) => {
            refused("The new host is not available at the booking's time.").await
        }
        Err(ReassignRefused::Failed(e)) => internal(e),
    }
}
