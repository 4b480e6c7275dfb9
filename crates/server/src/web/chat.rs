//! The chat widget's side of the server: the page inside the widget's iframe (`/w/<website>`),
//! and the JSON calls its script makes on the same origin — open a conversation, reply, list
//! free times, book. The conversation's token (held by the page) is the only key to it.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Path, Query as AxumQuery, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use maud::html;
use serde::Deserialize;
use serde_json::{json, Value};
use slotline_domain::{
    bot::{Step, StepKind},
    id::{kind, AccountId, BookingCalendarId, WebsiteId},
    settings::origin_of,
    time::format_millis,
};

use super::{
    guard,
    query::Query,
    times::{free_week, parse_day, zoned},
};
use crate::{
    http::error::{AppError, AppResult},
    http::layout::{self, FrameData},
    http::path::PathId,
    services::scheduler::{self, Target},
    services::{self, conversations::Shown},
    state::SharedState,
    store::{
        booking_calendars,
        chatbots::{self, Audience, Bot, Website},
        conversations::{self, Conversation},
    },
};

/// The bot that runs on `path` of the website: the first audience that covers it.
async fn bot_for(
    state: &SharedState,
    account_id: &AccountId,
    website: &Website,
    path: &str,
) -> AppResult<Option<(Audience, Bot)>> {
    for a in chatbots::audiences_of_website(&state.db, &website.id).await? {
        if a.covers(path) {
            if let Some(b) = chatbots::bot_of(&state.db, account_id, &a.bot_id)
                .await?
                .filter(|b| !b.deleted)
            {
                return Ok(Some((a, b)));
            }
        }
    }
    Ok(None)
}

/// `/w/<website>?sl.origin=…&sl.path=…`: the widget's page. Posts only to an origin the website
/// allows; framed only by those origins.
pub async fn page(
    State(state): State<SharedState>,
    Path(website_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let query = Query::parse(q.as_deref());
    let no_such = || layout::message(StatusCode::NOT_FOUND, "Not found", "No such website.");
    let Ok(website_id) = WebsiteId::parse(website_id) else {
        return no_such();
    };
    let (account_id, website) = match chatbots::public_website(&state.db, &website_id).await {
        Ok(Some(w)) => w,
        Ok(None) => return no_such(),
        Err(e) => return super::flow::internal(e),
    };
    let origin = query
        .get("sl.origin")
        .and_then(origin_of)
        .filter(|o| website.allows(o));
    let path = query.get("sl.path").unwrap_or("/").to_string();
    // The embedding page and its visit's source tags, sent back when a conversation opens.
    let page_url = query
        .get("sl.page")
        .filter(|p| origin.is_some() && origin_of(p) == origin)
        .map(str::to_string);
    let utm: serde_json::Map<String, Value> = ["source", "medium", "campaign", "term", "content"]
        .iter()
        .filter_map(|k| {
            query
                .get(&format!("utm_{k}"))
                .filter(|v| !v.is_empty() && v.len() <= 255)
                .map(|v| (k.to_string(), json!(v)))
        })
        .collect();
    let found = match bot_for(&state, &account_id, &website, &path).await {
        Ok(f) => f,
        Err(e) => return super::flow::internal(e),
    };
    let mut ancestors: Vec<String> = website.allowed_origins.clone();
    ancestors.extend(origin_of(&website.url));
    let utm_params = (!utm.is_empty()).then_some(Value::Object(utm));
    let config = match &found {
        Some((a, b)) => {
            json!({"website": website.id, "bot": {"id": b.id, "name": b.name}, "reach_out_after": a.reach_out_after, "path": path,
                   "page_url": page_url, "utm_params": utm_params})
        }
        None => json!({"website": website.id, "bot": null}),
    };
    let events = match &found {
        Some((_, b)) => {
            vec![
                json!({"type": "oncehub.chatbot.loaded", "payload": {"bot_id": b.id, "bot_name": b.name, "utm_params": utm_params}}),
            ]
        }
        None => vec![],
    };
    let body = html! {
        div #chat data-config=(config.to_string()) {}
        noscript { p { "The chat needs JavaScript." } }
    };
    let title = found
        .as_ref()
        .map(|(_, b)| b.name.as_str())
        .unwrap_or("Chat");
    let markup = layout::page_with(
        title,
        body,
        &FrameData {
            origin,
            events,
            redirect: None,
        },
        Some("/assets/chat.js"),
    );
    layout::respond(StatusCode::OK, markup, &layout::frame_ancestors(&ancestors))
}

fn step_json(s: &Step) -> Value {
    let (kind, answer, options): (&str, Option<&str>, Vec<String>) = match &s.kind {
        StepKind::Message => ("message", None, vec![]),
        StepKind::End => ("end", None, vec![]),
        StepKind::Question { answer } => ("question", Some(answer.as_str()), vec![]),
        StepKind::SingleChoice { options } => (
            "single_choice",
            None,
            options.iter().map(|c| c.label.clone()).collect(),
        ),
        StepKind::MultipleChoice { options } => ("multiple_choice", None, options.clone()),
        StepKind::Schedule { .. } => ("schedule", None, vec![]),
    };
    json!({"id": s.id, "type": kind, "text": s.text, "answer": answer, "options": options, "interaction_label": s.interaction_label()})
}

fn shown_json(shown: &Shown) -> Value {
    json!({"steps": shown.steps.iter().map(step_json).collect::<Vec<_>>(), "ended": shown.ended})
}

/// A post from another site: OnceHub's shape, with the words the widget shows.
fn forged() -> Response {
    AppError::Forbidden {
        message: guard::Refusal::Forged.message().to_string(),
        kind: "invalid_request_error",
    }
    .into_response()
}

fn check_post(state: &SharedState, headers: &HeaderMap, addr: SocketAddr) -> Option<Response> {
    if !guard::same_origin(state, headers, &[]) {
        return Some(forged());
    }
    if let Some(limiter) = &state.post_limiter {
        if limiter.check_key(&addr.ip()).is_err() {
            return Some(
                AppError::RateLimited {
                    retry_after_secs: 60,
                }
                .into_response(),
            );
        }
    }
    None
}

#[derive(Deserialize)]
pub struct OpenBody {
    /// `bot` for a reach-out, `contact` when the visitor opened the chat.
    initiated_by: String,
    path: Option<String>,
    /// The token of the visitor's previous conversation, closed when it was with another bot.
    previous: Option<String>,
    /// The page of the website the chat is on (`location.href`).
    page_url: Option<String>,
    /// The visit's UTM tags, as `{source, medium, campaign, term, content}`.
    utm_params: Option<Value>,
}

/// How the widget opens a conversation; the page must be one of the website's, the source tags
/// within their limits.
fn opening(website: &Website, body: OpenBody) -> AppResult<services::conversations::Opening> {
    let (page_url, utm_params) = (body.page_url, body.utm_params.as_ref());
    let page_url = match page_url.filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => {
            slotline_domain::limits::check("url", "page_url", &p)?;
            let ours = origin_of(&p).is_some_and(|o| website.allows(&o));
            if !ours {
                return Err(AppError::invalid(
                    "page_url must be a page of this website.",
                    "page_url",
                ));
            }
            Some(p)
        }
    };
    let utm_params = crate::services::booking_request::utm(utm_params)?.filter(|u| {
        u.as_object()
            .is_some_and(|m| m.values().any(|v| !v.is_null()))
    });
    Ok(services::conversations::Opening {
        initiated_by: body.initiated_by,
        previous_token: body.previous,
        page_url,
        utm_params,
    })
}

pub async fn open(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    PathId(website_id): PathId<kind::Website>,
    Json(body): Json<OpenBody>,
) -> Response {
    if let Some(r) = check_post(&state, &headers, addr) {
        return r;
    }
    let result: AppResult<Value> = async {
        let (account_id, website) = chatbots::public_website(&state.db, &website_id)
            .await?
            .ok_or_else(|| AppError::not_found("website", &website_id))?;
        let path = body.path.clone().unwrap_or_else(|| "/".into());
        slotline_domain::limits::check("url", "path", &path)?;
        for (field, v) in [
            ("token", body.previous.as_deref()),
            ("status", Some(body.initiated_by.as_str())),
        ] {
            slotline_domain::limits::check(field, field, v.unwrap_or(""))?;
        }
        let (audience, bot) = bot_for(&state, &account_id, &website, &path)
            .await?
            .ok_or_else(|| AppError::not_found("bot", &path))?;
        let how = opening(&website, body)?;
        let (c, shown) = services::conversations::open(
            state.ctx(),
            &account_id,
            &website,
            &bot,
            Some(&audience),
            how,
        )
        .await?;
        let mut v = shown_json(&shown);
        v["token"] = json!(c.token);
        v["bot"] = json!({"id": bot.id, "name": bot.name});
        Ok(v)
    }
    .await;
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The conversation behind a token, with its bot and website.
async fn held(
    state: &SharedState,
    token: &str,
) -> AppResult<(AccountId, Conversation, Bot, Website)> {
    let (account_id, c) = conversations::by_token(&state.db, token)
        .await?
        .ok_or_else(|| AppError::not_found("conversation", "token"))?;
    let bot = chatbots::bot_of(&state.db, &account_id, &c.bot_id)
        .await?
        .ok_or_else(|| AppError::not_found("bot", &c.bot_id))?;
    let website = chatbots::website_of(&state.db, &account_id, &c.website_id)
        .await?
        .ok_or_else(|| AppError::not_found("website", &c.website_id))?;
    Ok((account_id, c, bot, website))
}

#[derive(Deserialize)]
pub struct ReplyBody {
    #[serde(default)]
    values: Vec<String>,
}

pub async fn reply(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Json(body): Json<ReplyBody>,
) -> Response {
    if !guard::same_origin(&state, &headers, &[]) {
        return forged();
    }
    let result = async {
        if body.values.len() > 100 {
            return Err(AppError::invalid("At most 100 values.", "values"));
        }
        for v in &body.values {
            slotline_domain::limits::check("answer", "values", v)?;
        }
        let (account_id, c, bot, website) = held(&state, &token).await?;
        let (_, shown) = services::conversations::reply(
            state.ctx(),
            &account_id,
            c,
            &bot,
            &website,
            &body.values,
        )
        .await?;
        Ok::<_, AppError>(shown_json(&shown))
    }
    .await;
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The calendar of the step the conversation waits at, when it is a schedule step.
async fn schedule_target(
    state: &SharedState,
    account_id: &AccountId,
    c: &Conversation,
    bot: &Bot,
) -> AppResult<Target> {
    let step = c
        .step
        .as_deref()
        .and_then(|s| bot.flow.step(s))
        .ok_or_else(services::conversations::not_open)?;
    let StepKind::Schedule { booking_calendar } = &step.kind else {
        return Err(AppError::invalid("This step does not book a time.", "step"));
    };
    // A flow names its calendars as text; one without a calendar's form names none.
    let cal = match BookingCalendarId::parse(booking_calendar.as_str()) {
        Ok(id) => booking_calendars::get(&state.db, account_id, &id).await?,
        Err(_) => None,
    };
    let cal = cal.filter(|c| !c.deleted && c.published).ok_or_else(|| {
        AppError::invalid("This calendar is not taking bookings right now.", "step")
    })?;
    Ok(Target::calendar(&cal))
}

#[derive(Deserialize)]
pub struct TimesQuery {
    from: Option<String>,
    tz: Option<String>,
}

/// A week of free times for the schedule step, in the visitor's zone.
pub async fn times(
    State(state): State<SharedState>,
    Path(token): Path<String>,
    AxumQuery(q): AxumQuery<TimesQuery>,
) -> Response {
    let result = async {
        let (account_id, c, bot, _) = held(&state, &token).await?;
        let target = schedule_target(&state, &account_id, &c, &bot).await?;
        let zone = q.tz.filter(|z| slotline_domain::timezone::is_valid(z)).unwrap_or_else(|| "UTC".into());
        let today = zoned(state.now(), &zone).date();
        let from = parse_day(q.from.as_deref()).filter(|d| *d >= today).unwrap_or(today);
        let duration = target.settings.durations.first().copied().unwrap_or(30);
        let days: Vec<Value> = free_week(&state, &account_id, &target, duration, &zone, from, None)
            .await?
            .into_iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(d, s)| {
                json!({"date": d.to_string(), "label": d.strftime("%a %-d %b").to_string(),
                       "times": s.iter().map(|t| json!({"start": t, "label": zoned(*t, &zone).strftime("%H:%M").to_string()})).collect::<Vec<_>>()})
            })
            .collect();
        let next = from.checked_add(jiff::Span::new().days(7)).ok().map(|d| d.to_string());
        Ok::<_, AppError>(json!({"zone": zone, "days": days, "next": next}))
    }
    .await;
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct BookBody {
    start: i64,
    time_zone: String,
}

/// Books the chosen time for the visitor, in the conversation, and moves the flow on.
pub async fn book(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Json(body): Json<BookBody>,
) -> Response {
    if let Some(r) = check_post(&state, &headers, addr) {
        return r;
    }
    let result = async {
        let (account_id, c, bot, website) = held(&state, &token).await?;
        if c.status != slotline_domain::bot::ConversationStatus::Started {
            return Err(services::conversations::not_open());
        }
        let target = schedule_target(&state, &account_id, &c, &bot).await?;
        let form = services::conversations::booking_form(&c, &bot.flow)
            .ok_or_else(|| AppError::invalid("Tell us your email first: this bot books only for a known visitor.", "step"))?;
        let zone = if slotline_domain::timezone::is_valid(&body.time_zone) { body.time_zone.clone() } else { "UTC".into() };
        let request = scheduler::Request {
            subject: None,
            start: body.start,
            duration: target.settings.durations.first().copied().unwrap_or(30),
            guest_time_zone: zone,
            form_submission: form,
            location: None,
            // The booking carries the campaign the conversation came from.
            utm_params: c.utm_params.clone(),
            one_time_link: None,
            conversation_id: Some(c.id.clone()),
        };
        let booking = scheduler::book(state.ctx(), &account_id, &target, request).await?;
        // The conversation as it is now (it has the booking), answered with the booking.
        let (_, fresh) = conversations::by_token(&state.db, &token).await?.ok_or_else(services::conversations::not_open)?;
        let (_, shown) = services::conversations::reply(state.ctx(), &account_id, fresh, &bot, &website, &[booking.id.to_string()]).await?;
        let mut v = shown_json(&shown);
        v["booking"] = json!({"id": booking.id, "starting_time": format_millis(booking.start_time), "status": booking.status.as_str(),
                              "manage_url": format!("{}/b/{}", state.base_url, booking.token)});
        Ok(v)
    }
    .await;
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}
