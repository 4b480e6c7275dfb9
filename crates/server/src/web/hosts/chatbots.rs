//! `/app/chatbots` (the owner and administrators): the websites the chat widget runs on (with
//! the code to put on them), bots with their flow edited step by step, and the audiences that
//! put a bot on a website's pages. Through `services::chatbots`, as the API.

use std::collections::HashMap;

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;
use serde_json::{json, Value};
use slotline_domain::{
    bot::{Step, StepKind, ANSWER_KINDS, CONTACT_FIELDS},
    id::{AudienceId, BotId, WebsiteId},
};

use super::{
    form_values,
    layout::{self, Section},
    session::{CsrfForm, FieldsForm, Signed},
};
use crate::{
    http::error::AppError,
    services::chatbots as service,
    state::SharedState,
    store::{chatbots::Bot, custom_fields, users},
    web::{flow::internal, query::Query},
};

/// What only administrators do here.
const WHAT: &str = "set up chatbots";

fn only_admins() -> Response {
    layout::only_admins(WHAT)
}

fn lines(v: &str) -> Vec<String> {
    v.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a service's refusal is the user's to fix (said on the page) rather than ours.
fn theirs(e: &AppError) -> bool {
    matches!(e, AppError::Invalid(_) | AppError::NotFound { .. })
}

pub async fn show(
    State(state): State<SharedState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    if !signed.is_admin() {
        return only_admins();
    }
    let notice = match Query::parse(q.as_deref()).get("done") {
        Some("website") => Some("Website added. Put its code on the site's pages."),
        Some("audience") => Some("Audience added."),
        Some("removed") => Some("Removed."),
        _ => None,
    };
    overview(&state, &signed, StatusCode::OK, notice, None).await
}

async fn overview(
    state: &SharedState,
    signed: &Signed,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let account = &signed.session.account_id;
    let (websites, bots, audiences) = match service::all(state.ctx(), account).await {
        Ok(v) => v,
        Err(e) => return internal(e),
    };
    let people = match users::names(&state.db, account).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let website_name = |id: &WebsiteId| {
        websites
            .iter()
            .find(|w| w.id == *id)
            .map_or("—", |w| w.name.as_str())
    };
    let bot_name = |id: &BotId| {
        bots.iter()
            .find(|b| b.id == *id)
            .map_or("—", |b| b.name.as_str())
    };
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { "Chatbots" }
        p.muted { "A bot talks with visitors of your website, asks what you need to know, and books a meeting on a booking calendar. An audience puts a bot on some pages of a website." }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }

        h2 #websites { "Websites" }
        @for w in &websites {
            @let code = format!("<script src=\"{}/widget.js?website_id={}\" defer></script>", state.base_url, w.id);
            section.card aria-labelledby={ "w-" (w.id) } {
                h3 id={ "w-" (w.id) } { (w.name) }
                p { a href=(w.url) { (w.url) } }
                @if !w.allowed_origins.is_empty() { p.muted { "Also on: " (w.allowed_origins.join(", ")) } }
                label for={ "code-" (w.id) } { "Put this on the site's pages" }
                textarea id={ "code-" (w.id) } readonly rows="2" { (code) }
                form method="post" action={ "/app/chatbots/websites/" (w.id) "/remove" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button.danger type="submit" { "Remove " (w.name) }
                }
            }
        }
        form.card method="post" action="/app/chatbots/websites/new" {
            input type="hidden" name="csrf" value=(csrf);
            h3 { "Add a website" }
            div.fields {
                div { label for="website-name" { "Name" } input #website-name name="name" required maxlength="200"; }
                div { label for="website-url" { "Address" } input #website-url type="url" name="url" required maxlength="2000" placeholder="https://www.example.com"; }
            }
            label for="website-origins" { "Other sites it runs on (one origin per line, optional)" }
            textarea #website-origins name="allowed_origins" rows="2" maxlength="5000" {}
            button.primary type="submit" { "Add website" }
        }

        h2 #bots { "Bots" }
        @if !bots.is_empty() {
            table.list {
                caption.muted { "Bots" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Owner" } th scope="col" { "Steps" } } }
                tbody {
                    @for b in &bots {
                        tr {
                            td { a href={ "/app/chatbots/bots/" (b.id) } { (b.name) } }
                            td { (people.iter().find(|(id, _)| *id == b.owner_id).map_or("—", |(_, n)| n.as_str())) }
                            td { (b.flow.steps.len()) }
                        }
                    }
                }
            }
        }
        form.card method="post" action="/app/chatbots/bots/new" {
            input type="hidden" name="csrf" value=(csrf);
            h3 { "New bot" }
            div.fields {
                div { label for="bot-name" { "Name" } input #bot-name name="name" required maxlength="200"; }
                div {
                    label for="bot-owner" { "Whose conversations" }
                    select #bot-owner name="owner" {
                        @for (id, n) in &people { option value=(id) selected[*id == signed.session.user_id] { (n) } }
                    }
                }
            }
            p.muted { "It starts with a greeting, a question for the visitor's email and a goodbye; change its steps next." }
            button.primary type="submit" { "Create bot" }
        }

        h2 #audiences { "Audiences" }
        @if !audiences.is_empty() {
            table.list {
                caption.muted { "Audiences" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Website" } th scope="col" { "Bot" } th scope="col" { "Pages" } th scope="col" { "Reaches out" } th scope="col" { span.visually-hidden { "Remove" } } } }
                tbody {
                    @for a in &audiences {
                        tr {
                            td { (a.name) }
                            td { (website_name(&a.website_id)) }
                            td { (bot_name(&a.bot_id)) }
                            td { @if a.pages.is_empty() { "every page" } @else { (a.pages.join(", ")) } }
                            td { @match a.reach_out_after { Some(s) => { "after " (s) " s" }, None => { "when opened" } } }
                            td {
                                form.inline method="post" action={ "/app/chatbots/audiences/" (a.id) "/remove" } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.danger type="submit" aria-label={ "Remove " (a.name) } { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if websites.is_empty() || bots.is_empty() {
            p.muted { "Add a website and a bot first." }
        } @else {
            form.card method="post" action="/app/chatbots/audiences/new" {
                input type="hidden" name="csrf" value=(csrf);
                h3 { "New audience" }
                div.fields {
                    div { label for="audience-name" { "Name" } input #audience-name name="name" required maxlength="200"; }
                    div {
                        label for="audience-website" { "Website" }
                        select #audience-website name="website" { @for w in &websites { option value=(w.id) { (w.name) } } }
                    }
                    div {
                        label for="audience-bot" { "Bot" }
                        select #audience-bot name="bot" { @for b in &bots { option value=(b.id) { (b.name) } } }
                    }
                    div {
                        label for="audience-reach" { "Reach out after (seconds)" }
                        input #audience-reach type="number" min="0" max="3600" name="reach_out_after_seconds" aria-describedby="reach-help";
                        p.muted #reach-help { "Empty: only when the visitor opens the chat." }
                    }
                }
                label for="audience-pages" { "Pages (paths starting with /, one per line; empty: every page)" }
                textarea #audience-pages name="pages" rows="2" maxlength="5000" {}
                button.primary type="submit" { "Add audience" }
            }
        }
    };
    layout::respond(
        status,
        layout::page("Chatbots", signed, Section::Chatbots, body),
    )
}

async fn refuse(state: &SharedState, signed: &Signed, e: AppError) -> Response {
    if !theirs(&e) {
        return internal(e);
    }
    let why = super::said(&e);
    overview(
        state,
        signed,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        Some(&why),
    )
    .await
}

pub async fn create_website(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<FieldsForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let name = match form_values::name(f.get("name")) {
        Ok(n) => n,
        Err(why) => return refuse(&state, &signed, AppError::invalid(why, "name")).await,
    };
    let url = match form_values::text(f.get("url"), "Address", 2000) {
        Ok(u) => u,
        Err(why) => return refuse(&state, &signed, AppError::invalid(why, "url")).await,
    };
    let account = &signed.session.account_id;
    match service::create_website(
        state.ctx(),
        account,
        &name,
        &url,
        lines(f.get("allowed_origins")),
    )
    .await
    {
        Ok(_) => Redirect::to("/app/chatbots?done=website#websites").into_response(),
        Err(e) => refuse(&state, &signed, e).await,
    }
}

/// The flow a new bot starts with.
fn starter_flow() -> Value {
    json!({"steps": [
        {"id": "hello", "type": "message", "text": "Hi! Can we help you?"},
        {"id": "email", "type": "question", "answer": "email", "text": "What is your email?", "maps_to": "email"},
        {"id": "bye", "type": "end", "text": "Thank you, we will be in touch."}
    ]})
}

pub async fn create_bot(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<FieldsForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let name = match form_values::name(f.get("name")) {
        Ok(n) => n,
        Err(why) => return refuse(&state, &signed, AppError::invalid(why, "name")).await,
    };
    let account = &signed.session.account_id;
    match service::create_bot(state.ctx(), account, &name, f.get("owner"), &starter_flow()).await {
        Ok(b) => {
            Redirect::to(&format!("/app/chatbots/bots/{}?saved=created", b.id)).into_response()
        }
        Err(e) => refuse(&state, &signed, e).await,
    }
}

pub async fn create_audience(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<FieldsForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let name = match form_values::name(f.get("name")) {
        Ok(n) => n,
        Err(why) => return refuse(&state, &signed, AppError::invalid(why, "name")).await,
    };
    let reach_out_after = match f.get("reach_out_after_seconds") {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let why = "Reach out after: give whole seconds, or leave it empty.";
                return refuse(
                    &state,
                    &signed,
                    AppError::invalid(why, "reach_out_after_seconds"),
                )
                .await;
            }
        },
    };
    let input = service::AudienceInput {
        name: &name,
        website: f.get("website"),
        bot: f.get("bot"),
        pages: lines(f.get("pages")),
        reach_out_after,
    };
    match service::create_audience(state.ctx(), &signed.session.account_id, input).await {
        Ok(_) => Redirect::to("/app/chatbots?done=audience#audiences").into_response(),
        Err(e) => refuse(&state, &signed, e).await,
    }
}

pub async fn remove(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path((what, id)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let (ctx, account) = (state.ctx(), &signed.session.account_id);
    let done = match what.as_str() {
        "websites" => match WebsiteId::parse(id) {
            Ok(id) => service::delete_website(ctx, account, &id).await,
            Err(_) => Err(AppError::not_found("website", "")),
        },
        "bots" => match BotId::parse(id) {
            Ok(id) => service::delete_bot(ctx, account, &id).await,
            Err(_) => Err(AppError::not_found("bot", "")),
        },
        "audiences" => match AudienceId::parse(id) {
            Ok(id) => service::delete_audience(ctx, account, &id).await,
            Err(_) => Err(AppError::not_found("audience", "")),
        },
        _ => Err(AppError::not_found("page", "")),
    };
    match done {
        Ok(()) => Redirect::to("/app/chatbots?done=removed").into_response(),
        Err(AppError::NotFound { .. }) => layout::message(
            StatusCode::NOT_FOUND,
            "Not found",
            "It does not exist, or it was removed already.",
        ),
        Err(e) => internal(e),
    }
}

async fn live_bot(state: &SharedState, signed: &Signed, id: &str) -> Result<Bot, Response> {
    let answer = match BotId::parse(id.to_string()) {
        Ok(id) => service::live_bot(state.ctx(), &signed.session.account_id, &id).await,
        Err(_) => Err(service::no_such_bot(id)),
    };
    layout::found(answer, ("No such bot", "This bot does not exist."))
}

pub async fn bot(
    State(state): State<SharedState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    if !signed.is_admin() {
        return only_admins();
    }
    let b = match live_bot(&state, &signed, &id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let notice = match Query::parse(q.as_deref()).get("saved") {
        Some("created") => Some("Bot created. Change its steps below."),
        Some(_) => Some("Saved."),
        None => None,
    };
    bot_page(&state, &signed, &b, StatusCode::OK, notice, None).await
}

/// A step's row values, as the form shows them.
struct Row {
    id: String,
    kind: &'static str,
    text: String,
    answer: String,
    options: String,
    calendar: String,
    maps_to: String,
    label: String,
    next: String,
}

fn row(s: &Step) -> Row {
    let (kind, answer, options, calendar) = match &s.kind {
        StepKind::Message => ("message", String::new(), String::new(), String::new()),
        StepKind::End => ("end", String::new(), String::new(), String::new()),
        StepKind::Question { answer } => ("question", answer.clone(), String::new(), String::new()),
        StepKind::SingleChoice { options } => (
            "single_choice",
            String::new(),
            options
                .iter()
                .map(|c| match &c.next {
                    Some(n) => format!("{} -> {n}", c.label),
                    None => c.label.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            String::new(),
        ),
        StepKind::MultipleChoice { options } => (
            "multiple_choice",
            String::new(),
            options.join("\n"),
            String::new(),
        ),
        StepKind::Schedule { booking_calendar } => (
            "schedule",
            String::new(),
            String::new(),
            booking_calendar.clone(),
        ),
    };
    Row {
        id: s.id.clone(),
        kind,
        text: s.text.clone(),
        answer,
        options,
        calendar,
        maps_to: s.maps_to.clone().unwrap_or_default(),
        label: s.internal_label.clone().unwrap_or_default(),
        next: s.next.clone().unwrap_or_default(),
    }
}

const STEP_TYPES: [(&str, &str); 7] = [
    ("", "Not used"),
    ("message", "Says something"),
    ("question", "Asks a question"),
    ("single_choice", "Offers one choice"),
    ("multiple_choice", "Offers several choices"),
    ("schedule", "Books a meeting"),
    ("end", "Ends the conversation"),
];

async fn bot_page(
    state: &SharedState,
    signed: &Signed,
    b: &Bot,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let account = &signed.session.account_id;
    let people = match users::names(&state.db, account).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let fields = match custom_fields::list(&state.db, account).await {
        Ok(f) => f,
        Err(e) => return internal(e),
    };
    let calendars = match super::calendars::visible_calendars(state, signed).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let rows: Vec<Row> = b.flow.steps.iter().map(row).collect();
    let spare = (b.flow.steps.len() + 2).min(100);
    let action = format!("/app/chatbots/bots/{}", b.id);
    let csrf = &signed.session.csrf;
    let body = html! {
        p { a href="/app/chatbots#bots" { "← Chatbots" } }
        h1 { (b.name) }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        form.card method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            div.fields {
                div { label for="name" { "Name" } input #name name="name" value=(b.name) required maxlength="200"; }
                div {
                    label for="owner" { "Whose conversations" }
                    select #owner name="owner" {
                        @for (id, n) in &people { option value=(id) selected[*id == b.owner_id] { (n) } }
                    }
                }
            }
            h2 { "Steps" }
            p.muted { "The bot goes through the steps in order, unless a step or a choice names the step to go to next (by its id). Choices: one per line; \"Yes -> book\" sends that choice to the step \"book\". An answer can fill a contact field or a custom field." }
            @for i in 0..spare {
                @let r = rows.get(i);
                fieldset.item {
                    legend { "Step " (i + 1) }
                    div.fields {
                        div { label for={ "s" (i) "_id" } { "Id" } input id={ "s" (i) "_id" } name={ "s" (i) "_id" } value=[r.map(|r| &r.id)] maxlength="64" pattern="[a-z][a-z0-9_]*"; }
                        div {
                            label for={ "s" (i) "_type" } { "What it does" }
                            select id={ "s" (i) "_type" } name={ "s" (i) "_type" } {
                                @for (v, l) in STEP_TYPES { option value=(v) selected[r.map_or("", |r| r.kind) == v] { (l) } }
                            }
                        }
                        div {
                            label for={ "s" (i) "_answer" } { "Answer (questions)" }
                            select id={ "s" (i) "_answer" } name={ "s" (i) "_answer" } {
                                @for a in ANSWER_KINDS { option value=(a) selected[r.is_some_and(|r| r.answer == a)] { (a) } }
                            }
                        }
                        div {
                            label for={ "s" (i) "_calendar" } { "Booking calendar (books a meeting)" }
                            select id={ "s" (i) "_calendar" } name={ "s" (i) "_calendar" } {
                                option value="" { "—" }
                                @for c in &calendars { option value=(c.id) selected[r.is_some_and(|r| r.calendar == c.id.as_str())] { (c.name) } }
                            }
                        }
                        div {
                            label for={ "s" (i) "_maps_to" } { "Answer fills" }
                            select id={ "s" (i) "_maps_to" } name={ "s" (i) "_maps_to" } {
                                option value="" { "Nothing" }
                                @for f in CONTACT_FIELDS { option value=(f) selected[r.is_some_and(|r| r.maps_to == f)] { "Contact: " (f) } }
                                @for f in &fields { option value=(f.name) selected[r.is_some_and(|r| r.maps_to == f.name)] { "Custom: " (f.label) } }
                            }
                        }
                        div { label for={ "s" (i) "_label" } { "Internal label" } input id={ "s" (i) "_label" } name={ "s" (i) "_label" } value=[r.map(|r| &r.label)] maxlength="200"; }
                        div { label for={ "s" (i) "_next" } { "Then go to (step id)" } input id={ "s" (i) "_next" } name={ "s" (i) "_next" } value=[r.map(|r| &r.next)] maxlength="64"; }
                    }
                    label for={ "s" (i) "_text" } { "Text" }
                    textarea id={ "s" (i) "_text" } name={ "s" (i) "_text" } rows="2" maxlength="2000" { @if let Some(r) = r { (r.text) } }
                    label for={ "s" (i) "_options" } { "Choices" }
                    textarea id={ "s" (i) "_options" } name={ "s" (i) "_options" } rows="2" maxlength="5000" { @if let Some(r) = r { (r.options) } }
                }
            }
            button.primary type="submit" { "Save" }
        }
        form.card method="post" action={ "/app/chatbots/bots/" (b.id) "/remove" } {
            input type="hidden" name="csrf" value=(csrf);
            h2 { "Remove" }
            p.muted { "Its audiences stop showing it; conversations it had stay." }
            button.danger type="submit" { "Remove this bot" }
        }
    };
    layout::respond(
        status,
        layout::page(&b.name, signed, Section::Chatbots, body),
    )
}

/// The flow the form describes, as the API's JSON, for the domain's `Flow::parse` to judge.
fn flow_of(f: &HashMap<String, String>) -> Value {
    let get = |k: String| f.get(&k).map_or("", |v| v.trim()).to_string();
    let mut steps = Vec::new();
    for i in 0..100 {
        let kind = get(format!("s{i}_type"));
        if kind.is_empty() {
            continue;
        }
        let mut step = serde_json::Map::new();
        let id = get(format!("s{i}_id"));
        if !id.is_empty() {
            step.insert("id".into(), json!(id));
        }
        step.insert("type".into(), json!(kind));
        step.insert(
            "text".into(),
            json!(get(format!("s{i}_text")).replace("\r\n", "\n")),
        );
        match kind.as_str() {
            "question" => {
                step.insert("answer".into(), json!(get(format!("s{i}_answer"))));
            }
            "single_choice" => {
                let options: Vec<Value> = lines(&get(format!("s{i}_options")))
                    .into_iter()
                    .map(|l| match l.split_once("->") {
                        Some((label, next)) => json!({"label": label.trim(), "next": next.trim()}),
                        None => json!({"label": l}),
                    })
                    .collect();
                step.insert("options".into(), json!(options));
            }
            "multiple_choice" => {
                step.insert(
                    "options".into(),
                    json!(lines(&get(format!("s{i}_options")))),
                );
            }
            "schedule" => {
                step.insert(
                    "booking_calendar".into(),
                    json!(get(format!("s{i}_calendar"))),
                );
            }
            _ => {}
        }
        for (key, field) in [
            ("maps_to", "maps_to"),
            ("internal_label", "label"),
            ("next", "next"),
        ] {
            let v = get(format!("s{i}_{field}"));
            // Only answered steps fill a field; elsewhere the choice is ignored, not refused.
            let answered = matches!(
                kind.as_str(),
                "question" | "single_choice" | "multiple_choice"
            );
            if !v.is_empty() && (key != "maps_to" || answered) {
                step.insert(key.into(), json!(v));
            }
        }
        steps.push(Value::Object(step));
    }
    json!({ "steps": steps })
}

pub async fn save_bot(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<FieldsForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let b = match live_bot(&state, &signed, &id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let refuse = |why: String| {
        let (state, signed, b) = (&state, &signed, &b);
        async move {
            bot_page(
                state,
                signed,
                b,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
            )
            .await
        }
    };
    let name = match form_values::name(f.get("name")) {
        Ok(n) => n,
        Err(why) => return refuse(why).await,
    };
    let flow = flow_of(&f.fields);
    let account = &signed.session.account_id;
    match service::update_bot(
        state.ctx(),
        account,
        &b.id,
        Some(name),
        Some(f.get("owner")),
        Some(&flow),
    )
    .await
    {
        Ok(b) => Redirect::to(&format!("/app/chatbots/bots/{}?saved=1", b.id)).into_response(),
        Err(e) if theirs(&e) => refuse(super::said(&e)).await,
        Err(e) => internal(e),
    }
}
