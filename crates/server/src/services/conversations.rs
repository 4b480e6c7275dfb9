//! Conversations as a service the chat widget and the sweeper share: opening one (by the
//! visitor, or by the bot reaching out), taking the visitor's answers along the bot's flow,
//! booking in it, and abandoning the silent ones. Each change and its event are written
//! together; the contact is created or updated from the answers as soon as an email is known.

use rand::{distributions::Alphanumeric, Rng};
use serde_json::{json, Map, Value};
use slotline_domain::{
    bot::{ConversationStatus, Flow, Next, Step, StepKind},
    id::{AccountId, ConversationId, EventId, InteractionId},
};

use crate::{
    http::error::{AppError, AppResult},
    services::Ctx,
    store::{
        chatbots::{self, Audience, Bot, Website},
        conversations::{self, ContactFields, Conversation},
        outbox::NewEvent,
        users, Arg,
    },
    views,
};

/// The steps shown after a move: messages, then the step that waits for the visitor (if any).
#[derive(Debug, Clone)]
pub struct Shown {
    pub steps: Vec<Step>,
    pub ended: bool,
}

/// Walks from `next` through steps that do not wait; stops at one that does, or at the end.
fn advance(flow: &Flow, mut next: Next) -> (Vec<Step>, Option<String>) {
    let mut shown = Vec::new();
    let mut guard = 0;
    while let Next::Step(id) = next {
        let Some(step) = flow.step(&id) else { break };
        shown.push(step.clone());
        guard += 1;
        if step.waits() {
            return (shown, Some(id));
        }
        if matches!(step.kind, StepKind::End) || guard > flow.steps.len() {
            break;
        }
        next = flow.answer(&id, &[]).map(|(_, n)| n).unwrap_or(Next::Done);
    }
    (shown, None)
}

fn token() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// The event of `kind` about `c`, its data the conversation with contact, owner, bot and
/// website expanded, exactly as it will be delivered.
async fn event(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    c: &Conversation,
    bot: &Bot,
    website: &Website,
    kind: &'static str,
) -> AppResult<NewEvent> {
    let mut expanded = Map::new();
    let contact = match &c.contact_id {
        Some(id) => Some(
            crate::views::contact::json(ctx.db, account_id, id)
                .await?
                .ok_or_else(|| AppError::not_found("contact", id))?,
        ),
        None => None,
    };
    expanded.insert("contact".into(), contact.unwrap_or(Value::Null));
    if let Some(u) = users::get(ctx.db, account_id, &c.owner_id).await? {
        expanded.insert("owner".into(), json!({"id": u.id, "object": "user", "first_name": u.first_name, "last_name": u.last_name, "email": u.email, "status": u.status}));
    }
    expanded.insert("bot".into(), views::conversation::bot_json(bot));
    expanded.insert("website".into(), views::conversation::website_json(website));
    let id = EventId::new();
    let now = ctx.now();
    Ok(NewEvent {
        payload: crate::views::event::envelope(
            &id,
            kind,
            now,
            views::conversation::rest(c, &expanded),
        ),
        id,
        event_type: kind,
        creation_time: now,
        conversation_id: Some(c.id.clone()),
    })
}

/// How a conversation opens: who opened it, the visitor's previous conversation (its token),
/// and where the visit came from — the page it is on and its UTM tags.
#[derive(Debug, Clone, Default)]
pub struct Opening {
    /// `bot` for a reach-out, `contact` when the visitor opened the chat.
    pub initiated_by: String,
    pub previous_token: Option<String>,
    pub page_url: Option<String>,
    pub utm_params: Option<Value>,
}

/// Opens a conversation with `bot` on `website`, by a reach-out (`conversation.reached_out`) or
/// by the visitor. A conversation the same visitor had with another bot is closed
/// (`conversation.closed`).
pub async fn open(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    website: &Website,
    bot: &Bot,
    audience: Option<&Audience>,
    how: Opening,
) -> AppResult<(Conversation, Shown)> {
    if let Some(prev) = how.previous_token.as_deref() {
        if let Some((acc, old)) = conversations::by_token(ctx.db, prev).await? {
            if &acc == account_id
                && old.status == ConversationStatus::Started
                && old.bot_id != bot.id
            {
                if let Some(old_bot) = chatbots::bot_of(ctx.db, account_id, &old.bot_id).await? {
                    close(ctx, account_id, old, &old_bot, website).await?;
                }
            }
        }
    }
    let now = ctx.now();
    let (steps, waiting) = advance(&bot.flow, Next::Step(bot.flow.first().id.clone()));
    let c = Conversation {
        id: ConversationId::new(),
        bot_id: bot.id.clone(),
        website_id: website.id.clone(),
        audience_id: audience.map(|a| a.id.clone()),
        contact_id: None,
        owner_id: bot.owner_id.clone(),
        initiated_by: if how.initiated_by == "bot" {
            "bot".into()
        } else {
            "contact".into()
        },
        status: ConversationStatus::Started,
        step: waiting.clone(),
        answers: vec![],
        interacted: false,
        token: token(),
        creation_time: now,
        last_updated_time: now,
        last_interacted_time: now,
        bookings: vec![],
        page_url: how.page_url,
        utm_params: how.utm_params,
    };
    let reached_out = if c.initiated_by == "bot" {
        Some(
            event(
                ctx,
                account_id,
                &c,
                bot,
                website,
                "conversation.reached_out",
            )
            .await?,
        )
    } else {
        None
    };
    conversations::create(ctx.db, account_id, &c, reached_out.as_ref()).await?;
    Ok((
        c,
        Shown {
            steps,
            ended: waiting.is_none(),
        },
    ))
}

async fn close(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    mut c: Conversation,
    bot: &Bot,
    website: &Website,
) -> AppResult<()> {
    let expected = c.last_updated_time;
    c.status = ConversationStatus::Closed;
    c.step = None;
    c.last_updated_time = ctx.now().max(expected + 1);
    let e = event(ctx, account_id, &c, bot, website, "conversation.closed").await?;
    conversations::save(ctx.db, account_id, &c, expected, &[e]).await?;
    Ok(())
}

/// The contact fields the answers give, once an email is among them.
fn contact_fields(flow: &Flow, answers: &[(String, Vec<String>)]) -> Option<ContactFields> {
    let mut email = None;
    let mut columns: Vec<(&'static str, Arg)> = Vec::new();
    let mut custom: Vec<Value> = Vec::new();
    for (step_id, values) in answers {
        let Some(step) = flow.step(step_id) else {
            continue;
        };
        let Some(field) = step.maps_to.as_deref() else {
            continue;
        };
        let value = values.join(", ");
        match field {
            "email" => email = Some(value),
            "name" => {
                let (first, last) = value
                    .split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .unwrap_or((value.clone(), String::new()));
                columns.retain(|(c, _)| *c != "first_name" && *c != "last_name");
                columns.push(("first_name", Arg::from(first)));
                columns.push(("last_name", Arg::from(last)));
            }
            "employees" => {
                if let Ok(n) = value.trim().parse::<f64>() {
                    columns.retain(|(c, _)| *c != "employees");
                    columns.push(("employees", Arg::I64(n as i64)));
                }
            }
            other => match slotline_domain::bot::CONTACT_FIELDS
                .iter()
                .find(|f| **f == other)
            {
                Some(col) => {
                    columns.retain(|(c, _)| c != col);
                    columns.push((col, Arg::from(value)));
                }
                None => {
                    let v = if values.len() > 1 {
                        json!(values)
                    } else {
                        json!(value)
                    };
                    custom.retain(|c| c["name"] != other);
                    custom.push(json!({"name": other, "value": v}));
                }
            },
        }
    }
    let email = email?;
    Some(ContactFields {
        email,
        columns,
        custom_fields: (!custom.is_empty()).then(|| Value::Array(custom).to_string()),
    })
}

/// The answers so far, by step: `(step id, values)`.
fn answered(c: &Conversation) -> Vec<(String, Vec<String>)> {
    c.answers
        .iter()
        .filter_map(|a| {
            let step = a.get("step")?.as_str()?.to_string();
            let values = a
                .get("values")?
                .as_array()?
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            Some((step, values))
        })
        .collect()
}

/// Why a reply was not taken.
pub fn not_open() -> AppError {
    AppError::conflict("This conversation has ended.", "conversation")
}

/// Takes the visitor's reply to the step the conversation waits at (`values`: one, or several
/// for a multiple choice; none to move past a message), and moves the flow on.
pub async fn reply(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    c: Conversation,
    bot: &Bot,
    website: &Website,
    values: &[String],
) -> AppResult<(Conversation, Shown)> {
    if c.status != ConversationStatus::Started {
        return Err(not_open());
    }
    let step_id = c.step.clone().ok_or_else(not_open)?;
    let step = bot.flow.step(&step_id).cloned().ok_or_else(not_open)?;
    if matches!(step.kind, StepKind::Schedule { .. })
        && values
            .first()
            .is_none_or(|v| !c.bookings.iter().any(|b| b == v.as_str()))
    {
        return Err(AppError::invalid("Please choose a time.", "value"));
    }
    let (kept, next) = bot.flow.answer(&step_id, values)?;
    let mut after = c.clone();
    let now = ctx.now().max(c.last_updated_time + 1);
    after.answers.push(json!({
        "id": InteractionId::new(),
        "internal_label": step.internal_label,
        "question": step.text,
        "value": kept.join(", "),
        "step": step_id,
        "values": kept,
    }));
    let (steps, waiting) = advance(&bot.flow, next);
    after.step = waiting.clone();
    after.last_updated_time = now;
    after.last_interacted_time = now;
    let first = !c.interacted;
    after.interacted = true;
    if waiting.is_none() {
        after.status = ConversationStatus::Closed;
    }
    if let Some(fields) = contact_fields(&bot.flow, &answered(&after)) {
        after.contact_id =
            Some(conversations::link_contact(ctx.db, account_id, &after, &fields, now).await?);
    }
    let mut events = Vec::new();
    if first {
        let mut started = after.clone();
        started.status = ConversationStatus::Started;
        events.push(
            event(
                ctx,
                account_id,
                &started,
                bot,
                website,
                "conversation.started",
            )
            .await?,
        );
    }
    if waiting.is_none() {
        events.push(event(ctx, account_id, &after, bot, website, "conversation.closed").await?);
    }
    if !conversations::save(ctx.db, account_id, &after, c.last_updated_time, &events).await? {
        return Err(AppError::conflict(
            "This conversation changed meanwhile. Please try again.",
            "conversation",
        ));
    }
    Ok((
        after,
        Shown {
            steps,
            ended: waiting.is_none(),
        },
    ))
}

/// What the visitor gave for the booking form: name and email from the answers.
pub fn booking_form(c: &Conversation, flow: &Flow) -> Option<Value> {
    let mut name = None;
    let mut email = None;
    let mut mobile = String::new();
    for (step_id, values) in answered(c) {
        let value = values.join(", ");
        match flow.step(&step_id).and_then(|s| s.maps_to.as_deref()) {
            Some("email") => email = Some(value),
            Some("name") => name = Some(value),
            Some("first_name") => {
                name = Some(
                    format!("{value} {}", name.unwrap_or_default())
                        .trim()
                        .to_string(),
                )
            }
            Some("mobile_phone") => mobile = value,
            _ => {}
        }
    }
    let email = email?;
    let name = name.unwrap_or_else(|| email.clone());
    Some(
        json!({"name": name, "email": email, "phone": null, "mobile_phone": mobile, "note": "", "company": null, "guests": [], "custom_fields": []}),
    )
}

/// Marks every conversation whose visitor has been silent for `idle_ms` as abandoned
/// (`conversation.abandoned`). Returns how many.
pub async fn abandon_idle(ctx: Ctx<'_>, idle_ms: i64) -> AppResult<usize> {
    let mut done = 0;
    loop {
        let idle = conversations::idle(ctx.db, ctx.now() - idle_ms, 100).await?;
        let n = idle.len();
        for (account_id, c) in idle {
            let (Some(bot), Some(website)) = (
                chatbots::bot_of(ctx.db, &account_id, &c.bot_id).await?,
                chatbots::website_of(ctx.db, &account_id, &c.website_id).await?,
            ) else {
                continue;
            };
            let mut after = c.clone();
            after.status = ConversationStatus::Abandoned;
            after.step = None;
            after.last_updated_time = ctx.now().max(c.last_updated_time + 1);
            // A webhook receiver hears of the end only of a conversation it heard begin (the
            // visitor answered, or the bot reached out); a chat opened and never used just ends.
            let heard = c.interacted || c.initiated_by == "bot";
            let events = if heard {
                vec![
                    event(
                        ctx,
                        &account_id,
                        &after,
                        &bot,
                        &website,
                        "conversation.abandoned",
                    )
                    .await?,
                ]
            } else {
                vec![]
            };
            if conversations::save(ctx.db, &account_id, &after, c.last_updated_time, &events)
                .await?
            {
                done += 1;
            }
        }
        if n < 100 {
            return Ok(done);
        }
    }
}
