//! `/app/webhooks` (the owner and administrators), the integrators' console's webhooks: the
//! account's subscriptions, a new one, and a webhook's own page — change it, switch it off and
//! on, see its secret (on demand, never cached), rotate the secret with a grace period, send a
//! test event and see what the endpoint answered, remove it. Through `services::webhooks`, the
//! API's service.

use std::time::Duration;

use axum::{
    extract::{Path, RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::{html, Markup};
use slotline_domain::{
    id::{EventId, WebhookId},
    webhook::{DeliveryStatus, WebhookStatus, COMPOSITES, EVENT_TYPES},
};

use super::{
    layout::{self, Section},
    session::{CsrfForm, FieldsForm, Signed},
};
use crate::{
    http::error::{AppError, AppResult},
    services::webhooks::{self as service, Draft},
    state::SharedState,
    store::{
        deliveries::{self, Delivery},
        webhooks::{Webhook, WebhookPatch},
    },
    web::{
        flow::internal,
        query::Query,
        times::{local_input, stamp},
    },
};

/// What only administrators do here.
pub const WHAT: &str = "manage webhooks";

/// How long "Send test event" waits for the endpoint's answer before showing the page.
const TEST_WAIT: Duration = Duration::from_secs(12);

/// The grace periods offered when rotating a secret, in seconds.
const GRACES: &[(i64, &str)] = &[
    (0, "None: the old secret stops now"),
    (3_600, "1 hour"),
    (86_400, "1 day"),
    (3 * 86_400, "3 days"),
    (7 * 86_400, "7 days"),
];

/// A webhook's fields as a form shows them: stored, or as just submitted.
struct Fields {
    name: String,
    url: String,
    events: Vec<String>,
    fifo: bool,
}

impl Fields {
    fn of(w: &Webhook) -> Fields {
        Fields {
            name: w.name.clone(),
            url: w.url.clone(),
            events: w.events.clone(),
            fifo: w.fifo,
        }
    }

    fn blank() -> Fields {
        Fields {
            name: String::new(),
            url: String::new(),
            events: vec!["booking".into()],
            fifo: false,
        }
    }

    /// Event checkboxes are `ev.<name>`; the composites first, then each event, in the order
    /// the API lists them.
    fn from_form(f: &FieldsForm) -> Fields {
        let events = COMPOSITES
            .iter()
            .chain(EVENT_TYPES)
            .filter(|n| !f.get(&format!("ev.{n}")).is_empty())
            .map(|n| n.to_string())
            .collect();
        Fields {
            name: f.get("name").to_string(),
            url: f.get("url").to_string(),
            events,
            fifo: !f.get("fifo").is_empty(),
        }
    }
}

/// The form's inputs for a webhook's name, URL, events and order.
fn inputs(v: &Fields) -> Markup {
    let checked = |n: &str| v.events.iter().any(|e| e == n);
    html! {
        label for="name" { "Name" }
        input #name name="name" required maxlength="200" value=(v.name) aria-describedby="name-help";
        p.muted #name-help { "Unique in the account, e.g. \"CRM sync\"." }
        label for="url" { "URL" }
        input #url name="url" type="url" required maxlength="2000" value=(v.url) placeholder="https://example.com/hooks/slotline";
        fieldset {
            legend { "Events" }
            @for c in COMPOSITES {
                label.check {
                    input type="checkbox" name={ "ev." (c) } value="on" checked[checked(c)];
                    " Every " (c) " event (" code { (c) } ")"
                }
            }
            div.fields {
                @for e in EVENT_TYPES {
                    label.check {
                        input type="checkbox" name={ "ev." (e) } value="on" checked[checked(e)];
                        " " code { (e) }
                    }
                }
            }
        }
        label.check {
            input type="checkbox" name="fifo" value="on" checked[v.fifo] aria-describedby="fifo-help";
            " Deliver each booking's events in order (FIFO)"
        }
        p.muted #fifo-help { "The next event of a booking waits until the previous one was delivered or gave up. Slower when an endpoint fails: a booking's later events wait out the earlier one's retries." }
    }
}

pub async fn list(
    State(state): State<SharedState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    if !signed.is_admin() {
        return layout::only_admins(WHAT);
    }
    let notice = match Query::parse(q.as_deref()).get("done") {
        Some("removed") => Some("Webhook removed: nothing more is sent to it."),
        _ => None,
    };
    list_page(
        &state,
        &signed,
        StatusCode::OK,
        notice,
        None,
        &Fields::blank(),
    )
    .await
}

async fn list_page(
    state: &SharedState,
    signed: &Signed,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
    draft: &Fields,
) -> Response {
    let hooks = match service::all(state.ctx(), &signed.session.account_id).await {
        Ok(h) => h,
        Err(e) => return internal(e),
    };
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { "Webhooks" }
        p.muted { "Slotline POSTs each event to a webhook's URL, signed with its secret (" code { "Oncehub-Signature" } " and Standard Webhooks' " code { "webhook-signature" } "), and retries for 72 hours until the endpoint answers 2xx." }
        (console_nav("webhooks"))
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if hooks.is_empty() {
            p.card { "No webhooks yet." }
        } @else {
            table.list {
                caption.muted { "Webhooks of this account" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "URL" } th scope="col" { "Events" } th scope="col" { "State" } } }
                tbody {
                    @for w in &hooks {
                        tr {
                            td { a href={ "/app/webhooks/" (w.id) } { (w.name) } }
                            td { code { (w.url) } }
                            td { (w.events.join(", ")) @if w.fifo { " · " span.status { "FIFO" } } }
                            td { (state_badge(w)) }
                        }
                    }
                }
            }
        }
        h2 #new { "New webhook" }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        form.card method="post" action="/app/webhooks/new" {
            input type="hidden" name="csrf" value=(csrf);
            (inputs(draft))
            button.primary type="submit" { "Make the webhook" }
        }
    };
    layout::respond(
        status,
        layout::page("Webhooks", signed, Section::Webhooks, body),
    )
}

/// The console's pages, under the main navigation's "Webhooks".
pub fn console_nav(current: &str) -> Markup {
    let items = [
        ("webhooks", "Webhooks", "/app/webhooks"),
        ("events", "Event log", "/app/events"),
        ("live", "Live events", "/app/events/live"),
    ];
    html! {
        nav.subnav aria-label="Integrations" {
            @for (key, label, href) in items {
                @if key == current {
                    a href=(href) aria-current="page" { (label) }
                } @else {
                    a href=(href) { (label) }
                }
            }
        }
    }
}

fn state_badge(w: &Webhook) -> Markup {
    html! {
        @match w.status {
            WebhookStatus::Enabled => span.status { "enabled" },
            WebhookStatus::Disabled => {
                span.status { "disabled" }
                @if let Some(r) = &w.disabled_reason { " " span.muted { (r) } }
            }
        }
    }
}

pub async fn create(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<FieldsForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let v = Fields::from_form(&f);
    let draft = Draft {
        name: &v.name,
        url: &v.url,
        events: &v.events,
        fifo: v.fifo,
    };
    match service::create(state.ctx(), &signed.session.account_id, &draft).await {
        Ok(w) => {
            tracing::info!(webhook = %w.id, user = %signed.session.user_id, "webhook made in the app");
            Redirect::to(&format!("/app/webhooks/{}?done=made", w.id)).into_response()
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let why = super::said(&e);
            list_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
                &v,
            )
            .await
        }
        Err(e) => internal(e),
    }
}

/// What a webhook's page shows beside the webhook.
#[derive(Default)]
struct View<'a> {
    notice: Option<String>,
    error: Option<String>,
    /// The secret, shown on demand (the answer is then never cached).
    secret: Option<&'a str>,
    /// The test event's delivery, after "Send test event".
    test: Option<Delivery>,
    /// The form's values as submitted, when they were refused.
    draft: Option<Fields>,
}

const MISSING: (&str, &str) = (
    "No such webhook",
    "This webhook does not exist, or it was removed.",
);

/// The live webhook `id` names, or the page to answer with.
#[allow(clippy::result_large_err)]
async fn webhook_of(state: &SharedState, signed: &Signed, id: &str) -> Result<Webhook, Response> {
    let answer = match WebhookId::parse(id.to_string()) {
        Ok(id) => service::live(state.ctx(), &signed.session.account_id, &id).await,
        Err(_) => Err(AppError::not_found("webhook", id)),
    };
    layout::found(answer, MISSING)
}

pub async fn show(
    State(state): State<SharedState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    if !signed.is_admin() {
        return layout::only_admins(WHAT);
    }
    let hook = match webhook_of(&state, &signed, &id).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let q = Query::parse(q.as_deref());
    let mut view = View {
        notice: match q.get("done") {
            Some("made") => {
                Some("Webhook made. Send a test event to check that the endpoint answers.".into())
            }
            Some("saved") => Some("Saved.".into()),
            Some("enabled") => {
                Some("Enabled: deliveries go out again, starting with those that waited.".into())
            }
            Some("disabled") => {
                Some("Disabled: nothing is sent until you enable it; new events wait.".into())
            }
            _ => None,
        },
        ..View::default()
    };
    if let Some(event) = q
        .get("test")
        .and_then(|t| EventId::parse(t.to_string()).ok())
    {
        match deliveries::of_event(&state.db, &signed.session.account_id, &event, &hook.id).await {
            Ok(d) => view.test = d,
            Err(e) => return internal(e),
        }
    }
    page(&state, &signed, &hook, StatusCode::OK, view)
}

fn page(
    state: &SharedState,
    signed: &Signed,
    w: &Webhook,
    status: StatusCode,
    view: View<'_>,
) -> Response {
    let zone = &signed.session.timezone;
    let csrf = &signed.session.csrf;
    let base = format!("/app/webhooks/{}", w.id);
    let now = state.now();
    let body = html! {
        p { a href="/app/webhooks" { "← Webhooks" } }
        h1 { (w.name) }
        p { code { (w.url) } " " (state_badge(w)) @if w.fifo { " " span.status { "FIFO" } } }
        @if let Some(n) = &view.notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = &view.error { div.card.error role="alert" { (e) } }
        nav.subnav aria-label="This webhook" {
            a href=(base) aria-current="page" { "Settings" }
            a href={ (base) "/deliveries" } { "Deliveries and health" }
        }
        section.card aria-labelledby="test-h" {
            h2 #test-h { "Test" }
            @if let Some(d) = &view.test {
                (test_result(d, zone))
            }
            @if w.status == WebhookStatus::Enabled {
                form.inline method="post" action={ (base) "/test" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button.primary type="submit" { "Send test event" }
                }
                " "
                form.inline method="post" action={ (base) "/disable" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { "Disable" }
                }
            } @else {
                p { "Disabled" @if let Some(t) = w.disabled_time { " since " (stamp(t, zone)) } ": " (w.disabled_reason.as_deref().unwrap_or("")) }
                form.inline method="post" action={ (base) "/enable" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button.primary type="submit" { "Enable" }
                }
            }
        }
        section.card aria-labelledby="secret-h" {
            h2 #secret-h { "Signing secret" }
            @if let Some(secret) = view.secret {
                label for="secret" { "Secret" }
                div.row {
                    input #secret readonly value=(secret) autocomplete="off" spellcheck="false";
                    button type="button" data-copy="secret" hidden { "Copy" }
                }
            } @else {
                form.inline method="post" action={ (base) "/secret" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { "Show secret" }
                }
            }
            @if let Some(t) = w.secret_rotated_time { p.muted { "Last rotated " (stamp(t, zone)) "." } }
            @if let Some((_, until)) = &w.previous_secret {
                @if *until > now {
                    p { "Deliveries are signed with the new and the previous secret until " strong { (stamp(*until, zone)) } "." }
                }
            }
            form method="post" action={ (base) "/rotate" } {
                input type="hidden" name="csrf" value=(csrf);
                label for="grace" { "Keep signing with the current secret too for" }
                select #grace name="grace" aria-describedby="grace-help" {
                    @for (secs, label) in GRACES {
                        option value=(secs) selected[*secs == service::DEFAULT_GRACE_SECS] { (label) }
                    }
                }
                p.muted #grace-help { "Meanwhile each delivery carries a signature per secret, so your endpoint verifies with either while you switch it to the new one." }
                button type="submit" { "Rotate secret" }
            }
        }
        h2 #settings { "Settings" }
        form.card method="post" action=(base) {
            input type="hidden" name="csrf" value=(csrf);
            (inputs(view.draft.as_ref().unwrap_or(&Fields::of(w))))
            button.primary type="submit" { "Save" }
        }
        form.card method="post" action={ (base) "/remove" } {
            input type="hidden" name="csrf" value=(csrf);
            p.muted { "Removing stops all deliveries to this URL, pending ones included. Its delivery log stays readable through the API." }
            button.danger type="submit" { "Remove this webhook" }
        }
    };
    let mut res = layout::respond(
        status,
        layout::page(&w.name, signed, Section::Webhooks, body),
    );
    if view.secret.is_some() {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A delivery's outcome in a sentence and its attempts.
pub fn test_result(d: &Delivery, zone: &str) -> Markup {
    html! {
        div role="status" {
            @match (d.status, d.log.last()) {
                (DeliveryStatus::Delivered, Some(a)) => p { strong { "Delivered" } ": the endpoint answered " (a.status_code.unwrap_or(0)) " in " (a.duration_ms) " ms." },
                (_, None) => p { strong { "Waiting" } ": no attempt yet. " a href={ "?test=" (d.event_id) } { "Look again" } },
                (DeliveryStatus::Pending, Some(a)) => p { strong { "Not delivered yet" } ": " (attempt_words(a)) " Slotline will try again." },
                (DeliveryStatus::Failed, Some(a)) => p { strong { "Failed" } ": " (attempt_words(a)) },
            }
            (attempts_table(&d.log, zone))
        }
    }
}

fn attempt_words(a: &deliveries::Attempt) -> String {
    match (&a.error_kind, a.status_code, &a.error) {
        (Some(k), Some(code), _) if k == "status" => format!("the endpoint answered {code}."),
        (Some(k), _, Some(e)) => format!("{k}: {e}"),
        (Some(k), _, None) => k.clone(),
        (None, Some(code), _) => format!("the endpoint answered {code}."),
        _ => String::new(),
    }
}

/// The attempts of one delivery: time, duration, outcome, and what came back.
pub fn attempts_table(log: &[deliveries::Attempt], zone: &str) -> Markup {
    html! {
        @if !log.is_empty() {
            table.list {
                thead { tr { th scope="col" { "Attempt" } th scope="col" { "Duration" } th scope="col" { "Status" } th scope="col" { "Error" } th scope="col" { "Response" } } }
                tbody {
                    @for a in log {
                        tr {
                            td { (stamp(a.attempt_time, zone)) }
                            td { (a.duration_ms) " ms" }
                            td { @if let Some(c) = a.status_code { (c) } @else { span.muted { "—" } } }
                            td { @if let Some(k) = &a.error_kind { span.status { (k) } " " (a.error.as_deref().unwrap_or("")) } }
                            td {
                                @if a.response_headers.is_some() || a.response_body.is_some() {
                                    details {
                                        summary { "Headers and body" }
                                        @if let Some(h) = &a.response_headers { pre { (pretty(h)) } }
                                        @if let Some(b) = &a.response_body { pre { (b) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Response headers (stored as a JSON object) one per line.
fn pretty(headers: &str) -> String {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(headers) {
        Ok(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(_) => headers.to_string(),
    }
}

/// Runs an action on the webhook `id` names for an administrator's form, then redirects to
/// its page with `done`; a refusal shows the page with the reason.
async fn act<F>(
    state: &SharedState,
    signed: &Signed,
    headers: &HeaderMap,
    csrf: &str,
    id: &str,
    action: F,
) -> Response
where
    F: AsyncFnOnce(&Webhook) -> AppResult<String>,
{
    if let Some(r) = signed.refused_admin_form(state, headers, Some(csrf), WHAT) {
        return r;
    }
    let hook = match webhook_of(state, signed, id).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    match action(&hook).await {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e @ AppError::Invalid(_)) => {
            let view = View {
                error: Some(super::said(&e)),
                ..View::default()
            };
            page(state, signed, &hook, StatusCode::UNPROCESSABLE_ENTITY, view)
        }
        Err(e) => internal(e),
    }
}

pub async fn save(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<FieldsForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let hook = match webhook_of(&state, &signed, &id).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let v = Fields::from_form(&f);
    let patch = WebhookPatch {
        name: Some(v.name.clone()),
        url: Some(v.url.clone()),
        events: Some(v.events.clone()),
        fifo: Some(v.fifo),
    };
    match service::update(state.ctx(), &signed.session.account_id, &hook.id, patch).await {
        Ok(w) => {
            tracing::info!(webhook = %w.id, user = %signed.session.user_id, "webhook changed in the app");
            Redirect::to(&format!("/app/webhooks/{}?done=saved", w.id)).into_response()
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let view = View {
                error: Some(super::said(&e)),
                draft: Some(v),
                ..View::default()
            };
            page(
                &state,
                &signed,
                &hook,
                StatusCode::UNPROCESSABLE_ENTITY,
                view,
            )
        }
        Err(e) => internal(e),
    }
}

pub async fn enable(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let ctx = state.ctx();
    let account = &signed.session.account_id;
    act(
        &state,
        &signed,
        &headers,
        &f.csrf,
        &id,
        async |w: &Webhook| {
            service::enable(ctx, account, &w.id).await?;
            Ok(format!("/app/webhooks/{}?done=enabled", w.id))
        },
    )
    .await
}

pub async fn disable(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let ctx = state.ctx();
    let account = &signed.session.account_id;
    let by = signed.name().to_string();
    act(
        &state,
        &signed,
        &headers,
        &f.csrf,
        &id,
        async |w: &Webhook| {
            service::disable(ctx, account, &w.id, &by).await?;
            Ok(format!("/app/webhooks/{}?done=disabled", w.id))
        },
    )
    .await
}

pub async fn remove(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let ctx = state.ctx();
    let account = &signed.session.account_id;
    let user = signed.session.user_id.clone();
    act(
        &state,
        &signed,
        &headers,
        &f.csrf,
        &id,
        async |w: &Webhook| {
            service::delete(ctx, account, &w.id).await?;
            tracing::info!(webhook = %w.id, user = %user, "webhook removed in the app");
            Ok("/app/webhooks?done=removed".to_string())
        },
    )
    .await
}

/// Waits (up to [`TEST_WAIT`]) until the delivery of `event` to `hook` has more than `before`
/// attempts, so that the page shown next has the endpoint's answer.
async fn attempted(
    db: &crate::store::Db,
    account: &slotline_domain::id::AccountId,
    event: &EventId,
    hook: &WebhookId,
    before: usize,
) -> AppResult<()> {
    let deadline = tokio::time::Instant::now() + TEST_WAIT;
    while tokio::time::Instant::now() < deadline {
        match deliveries::of_event(db, account, event, hook).await? {
            Some(d) if d.log.len() > before => break,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    Ok(())
}

/// Queues a test event, waits a little for the endpoint's answer, and shows it.
pub async fn test(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let ctx = state.ctx();
    let db = state.db.clone();
    let account = signed.session.account_id.clone();
    act(
        &state,
        &signed,
        &headers,
        &f.csrf,
        &id,
        async |w: &Webhook| {
            let event = service::send_test(ctx, &account, &w.id).await?;
            attempted(&db, &account, &event, &w.id, 0).await?;
            Ok(format!("/app/webhooks/{}?test={event}", w.id))
        },
    )
    .await
}

/// Shows the secret in this answer only (POST, so no link or history entry carries it).
pub async fn secret(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let hook = match webhook_of(&state, &signed, &id).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    tracing::info!(webhook = %hook.id, user = %signed.session.user_id, "webhook secret shown in the app");
    let view = View {
        secret: Some(&hook.secret),
        ..View::default()
    };
    page(&state, &signed, &hook, StatusCode::OK, view)
}

#[derive(serde::Deserialize)]
pub struct RotateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    grace: String,
}

/// Makes a new secret and shows it; the old one keeps signing for the grace chosen.
pub async fn rotate(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<RotateForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let hook = match webhook_of(&state, &signed, &id).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let grace = f.grace.trim().parse::<i64>().unwrap_or(-1);
    match service::rotate_secret(state.ctx(), &signed.session.account_id, &hook.id, grace).await {
        Ok(w) => {
            tracing::info!(webhook = %w.id, user = %signed.session.user_id, grace, "webhook secret rotated in the app");
            let notice = match &w.previous_secret {
                Some((_, until)) if *until > state.now() => format!(
                    "New secret made. The previous one also signs deliveries until {}: switch your endpoint before then.",
                    stamp(*until, &signed.session.timezone)
                ),
                _ => "New secret made; the previous one no longer signs anything.".to_string(),
            };
            let view = View {
                notice: Some(notice),
                secret: Some(&w.secret),
                ..View::default()
            };
            page(&state, &signed, &w, StatusCode::OK, view)
        }
        Err(e @ AppError::Invalid(_)) => {
            let view = View {
                error: Some(super::said(&e)),
                ..View::default()
            };
            page(
                &state,
                &signed,
                &hook,
                StatusCode::UNPROCESSABLE_ENTITY,
                view,
            )
        }
        Err(e) => internal(e),
    }
}

/// Deliveries a log page shows at once.
const LOG_PAGE: i64 = 25;

/// `/app/webhooks/{id}/deliveries`: the health summary and the delivery log with its
/// filters, each delivery's attempts, redeliver one, recover the failed ones since a time.
pub async fn deliveries_page(
    State(state): State<SharedState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    if !signed.is_admin() {
        return layout::only_admins(WHAT);
    }
    let hook = match webhook_of(&state, &signed, &id).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let q = Query::parse(q.as_deref());
    let zone = signed.session.timezone.clone();
    let account = &signed.session.account_id;
    let health = match service::health(state.ctx(), account, &hook.id).await {
        Ok((_, h)) => h,
        Err(e) => return internal(e),
    };
    let status_filter = q
        .get("status")
        .filter(|s| DeliveryStatus::parse(s).is_some());
    let type_filter = q
        .get("type")
        .filter(|t| EVENT_TYPES.contains(t) || *t == "webhook.test");
    let (from_raw, to_raw) = (q.get("from").unwrap_or(""), q.get("to").unwrap_or(""));
    let filter = deliveries::DeliveryFilter {
        statuses: status_filter.map(|s| vec![s.to_string()]),
        event_type: type_filter.map(str::to_string),
        creation: slotline_domain::time::Range {
            gt: local_input(from_raw, &zone).map(|t| t - 1),
            lt: local_input(to_raw, &zone),
        },
    };
    let cursor = match (q.get("after"), q.get("before")) {
        (Some(a), _) => crate::store::page::Cursor::After(a.to_string()),
        (None, Some(b)) => crate::store::page::Cursor::Before(b.to_string()),
        _ => crate::store::page::Cursor::None,
    };
    let req = crate::store::page::PageRequest {
        limit: LOG_PAGE,
        cursor,
    };
    let (rows, more) = match deliveries::list(&state.db, account, &hook.id, &filter, &req).await {
        Ok(r) => r,
        // A cursor that names no delivery: start from the newest.
        Err(crate::store::error::StoreError::NoSuchCursor { .. }) => {
            return Redirect::to(
                &q.with("after", None)
                    .with("before", None)
                    .href(&format!("/app/webhooks/{}/deliveries", hook.id)),
            )
            .into_response()
        }
        Err(e) => return internal(e),
    };
    let notice = match q.get("done") {
        Some("redelivered") => {
            Some("Sent again: the delivery's latest attempt is below.".to_string())
        }
        Some("recovered") => Some(format!(
            "{} failed deliveries queued again.",
            q.get("n").unwrap_or("0")
        )),
        _ => None,
    };
    let csrf = &signed.session.csrf;
    let base = format!("/app/webhooks/{}", hook.id);
    let here = format!("{base}/deliveries");
    let rate = |h: &service::Health| {
        h.success_rate()
            .map_or_else(|| "—".to_string(), |r| format!("{r:.1} %"))
    };
    let ms = |v: Option<i64>| v.map_or_else(|| "—".to_string(), |v| format!("{v} ms"));
    let body = html! {
        p { a href="/app/webhooks" { "← Webhooks" } }
        h1 { (hook.name) ": deliveries" }
        p { code { (hook.url) } " " (state_badge(&hook)) }
        nav.subnav aria-label="This webhook" {
            a href=(base) { "Settings" }
            a href=(here) aria-current="page" { "Deliveries and health" }
        }
        @if let Some(n) = &notice { div.card.notice role="status" { (n) } }
        section.card aria-labelledby="health-h" {
            h2 #health-h { "Health" }
            @if health.deliveries == 0 {
                p.muted { "Nothing delivered yet." }
            } @else {
                p.muted { "The latest " (health.deliveries) " deliveries"
                    @if let Some(t) = health.since { ", attempts since " (stamp(t, &zone)) } "." }
                dl.health {
                    dt { "Attempts succeeded" } dd { (rate(&health)) " of " (health.attempts) }
                    dt { "Delivered / pending / failed" } dd { (health.delivered) " / " (health.pending) " / " (health.failed) }
                    dt { "Latency p50 / p95 / p99" } dd { (ms(health.p50_ms)) " / " (ms(health.p95_ms)) " / " (ms(health.p99_ms)) }
                    dt { "Last error" }
                    dd {
                        @match &health.last_error {
                            Some(a) => { (stamp(a.attempt_time, &zone)) " · " span.status { (a.error_kind.as_deref().unwrap_or("")) } " " (a.error.as_deref().unwrap_or("")) }
                            None => span.muted { "none" },
                        }
                    }
                }
            }
            @if hook.status == WebhookStatus::Disabled {
                p { strong { "Disabled" } @if let Some(t) = hook.disabled_time { " since " (stamp(t, &zone)) } ": " (hook.disabled_reason.as_deref().unwrap_or("")) " " a href=(base) { "Enable it" } }
            }
        }
        h2 #log { "Delivery log" }
        form.card.filters method="get" action=(here) {
            div {
                label for="f-status" { "Status" }
                select #f-status name="status" {
                    option value="" { "Any" }
                    @for s in DeliveryStatus::ALL { option value=(s.as_str()) selected[status_filter == Some(s.as_str())] { (s.as_str()) } }
                }
            }
            div {
                label for="f-type" { "Event type" }
                select #f-type name="type" {
                    option value="" { "Any" }
                    @for t in EVENT_TYPES.iter().copied().chain(["webhook.test"]) { option value=(t) selected[type_filter == Some(t)] { (t) } }
                }
            }
            div {
                label for="f-from" { "Made from" }
                input #f-from type="datetime-local" name="from" value=(from_raw);
            }
            div {
                label for="f-to" { "Made before" }
                input #f-to type="datetime-local" name="to" value=(to_raw);
            }
            div { button type="submit" { "Filter" } }
        }
        @if rows.is_empty() {
            p.card { "No deliveries match." }
        } @else {
            table.list {
                caption.muted { "Deliveries, newest first" }
                thead { tr { th scope="col" { "Made" } th scope="col" { "Event" } th scope="col" { "Status" } th scope="col" { "Attempts" } th scope="col" { "" } } }
                tbody {
                    @for d in &rows {
                        tr {
                            td { (stamp(d.creation_time, &zone)) }
                            td { code { (d.event_type) } br; a href={ "/app/events/" (d.event_id) } { small { (d.event_id) } } }
                            td {
                                span.status { (d.status.as_str()) }
                                @if d.status == DeliveryStatus::Pending { @if let Some(t) = d.next_attempt_time { br; small.muted { "next " (stamp(t, &zone)) } } }
                            }
                            td {
                                @if d.log.is_empty() { span.muted { "none yet" } } @else {
                                    details {
                                        summary { (d.log.len()) " · last " (d.log.last().map(|a| a.status_code.map_or_else(|| a.error_kind.clone().unwrap_or_default(), |c| c.to_string())).unwrap_or_default()) }
                                        (attempts_table(&d.log, &zone))
                                    }
                                }
                            }
                            td {
                                @if hook.status == WebhookStatus::Enabled {
                                    form.inline method="post" action={ (base) "/redeliver" } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="event" value=(d.event_id);
                                        button type="submit" aria-label={ "Redeliver " (d.event_id) } { "Redeliver" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            nav.subnav aria-label="Pages of the log" {
                @if let Some(b) = &more.previous_before { a href=(q.with("after", None).with("before", Some(b)).with("done", None).href(&here)) { "← Newer" } }
                @if let Some(a) = &more.next_after { a href=(q.with("before", None).with("after", Some(a)).with("done", None).href(&here)) { "Older →" } }
            }
        }
        @if hook.status == WebhookStatus::Enabled {
            h2 #recover { "Recover" }
            form.card method="post" action={ (base) "/recover" } {
                input type="hidden" name="csrf" value=(csrf);
                label for="since" { "Send again every failed delivery of events made since" }
                input #since type="datetime-local" name="since" required;
                p.muted { "In your time zone, " (zone) "." }
                button type="submit" { "Recover failed deliveries" }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(
            &format!("{}: deliveries", hook.name),
            &signed,
            Section::Webhooks,
            body,
        ),
    )
}

#[derive(serde::Deserialize)]
pub struct RedeliverForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    event: String,
}

/// Sends one event to this webhook again, waits a little for the attempt, and shows the log
/// filtered to that event's delivery.
pub async fn redeliver(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<RedeliverForm>,
) -> Response {
    let ctx = state.ctx();
    let db = state.db.clone();
    let account = signed.session.account_id.clone();
    act(
        &state,
        &signed,
        &headers,
        &f.csrf,
        &id,
        async |w: &Webhook| {
            let event = EventId::parse(f.event.trim().to_string())
                .map_err(|_| AppError::invalid("Choose a delivery to send again.", "event"))?;
            let before = deliveries::of_event(&db, &account, &event, &w.id)
                .await?
                .map_or(0, |d| d.log.len());
            service::redeliver(ctx, &account, &event, Some(&w.id)).await?;
            attempted(&db, &account, &event, &w.id, before).await?;
            tracing::info!(webhook = %w.id, %event, "delivery sent again from the app");
            Ok(format!(
                "/app/webhooks/{}/events/{event}?done=redelivered",
                w.id
            ))
        },
    )
    .await
}

#[derive(serde::Deserialize)]
pub struct RecoverForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    since: String,
}

pub async fn recover(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<RecoverForm>,
) -> Response {
    let ctx = state.ctx();
    let account = signed.session.account_id.clone();
    let zone = signed.session.timezone.clone();
    act(&state, &signed, &headers, &f.csrf, &id, async |w: &Webhook| {
        let since = local_input(&f.since, &zone)
            .ok_or_else(|| AppError::invalid("Give the time to recover from.", "since"))?;
        let n = service::recover(ctx, &account, &w.id, since).await?;
        tracing::info!(webhook = %w.id, recovered = n, "failed deliveries recovered from the app");
        Ok(format!(
            "/app/webhooks/{}/deliveries?done=recovered&n={n}&status=pending",
            w.id
        ))
    })
    .await
}

/// `/app/webhooks/{id}/events/{event}`: one delivery of the log, with every attempt.
pub async fn delivery_page(
    State(state): State<SharedState>,
    signed: Signed,
    Path((id, event)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    if !signed.is_admin() {
        return layout::only_admins(WHAT);
    }
    let hook = match webhook_of(&state, &signed, &id).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let missing = (
        "No such delivery",
        "This webhook has no delivery of that event.",
    );
    let found = match EventId::parse(event.clone()) {
        Ok(e) => deliveries::of_event(&state.db, &signed.session.account_id, &e, &hook.id)
            .await
            .map_err(AppError::from)
            .and_then(|d| d.ok_or_else(|| AppError::not_found("delivery", &event))),
        Err(_) => Err(AppError::not_found("delivery", &event)),
    };
    let d = match layout::found(found, missing) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let zone = &signed.session.timezone;
    let base = format!("/app/webhooks/{}", hook.id);
    let redelivered = Query::parse(q.as_deref()).get("done") == Some("redelivered");
    let body = html! {
        p { a href={ (base) "/deliveries" } { "← " (hook.name) ": deliveries" } }
        h1 { "Delivery of " code { (d.event_type) } }
        @if redelivered { div.card.notice role="status" { "Sent again." } }
        p { "Event " a href={ "/app/events/" (d.event_id) } { (d.event_id) } " to " code { (hook.url) } }
        (test_result(&d, zone))
        @if hook.status == WebhookStatus::Enabled {
            form.inline method="post" action={ (base) "/redeliver" } {
                input type="hidden" name="csrf" value=(signed.session.csrf);
                input type="hidden" name="event" value=(d.event_id);
                button.primary type="submit" { "Redeliver" }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page("Delivery", &signed, Section::Webhooks, body),
    )
}
