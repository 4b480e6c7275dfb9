//! The messages a booking change sends: which kinds to whom (`domain::notice::messages`), in the
//! words of the booking's page or calendar, in each recipient's time zone, with the meeting as
//! an invitation; and the reminders still wanted after the change. They are rendered here and
//! written by the store in the change's own transaction (`store::outbox::Effects`).

use std::collections::HashMap;

use serde_json::Value;
use slotline_domain::{
    ics,
    id::{AccountId, BookingId, UserId},
    lifecycle::{Actor, Status},
    notice::{self, Audience, Change, Invite, Notice},
    notifications::{Channel, Notifications, Recipient as To},
};

use crate::{
    http::error::AppResult,
    services::{
        host_links::{self, HostAction},
        Ctx,
    },
    store::{
        booking_calendars, booking_pages,
        bookings::{self, Booking},
        error::StoreError,
        notifications::{Claimed, MessageId, NewMessage, Recipient, Words},
        users::{self, User},
    },
};

/// A change to tell people of.
pub struct About<'a> {
    pub change: Change,
    /// The booking after the change (for a reschedule, the new booking).
    pub booking: &'a Booking,
    /// The booking before the change: the old booking of a reschedule, the booking before a
    /// reassignment.
    pub before: Option<&'a Booking>,
    /// Why it was canceled, declined or is to be rescheduled, and by whom.
    pub reason: Option<(&'a str, Actor)>,
    /// False when the caller asked that the guest not be told (`send_cancellation_email`).
    pub tell_guest: bool,
    /// The settings of the booking's page or calendar, when the caller has them at hand (read
    /// otherwise).
    pub settings: Option<&'a Notifications>,
}

/// The settings that decide what a booking's messages say and when its reminders go: its
/// calendar's or page's, the defaults otherwise.
async fn settings_of(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    b: &Booking,
) -> AppResult<Notifications> {
    if let Some(id) = &b.booking_calendar_id {
        if let Some(c) = booking_calendars::get(ctx.db, account_id, id).await? {
            return Ok(c.settings.notifications);
        }
    }
    if let Some(id) = &b.booking_page_id {
        if let Some(p) = booking_pages::get(ctx.db, account_id, id).await? {
            return Ok(p.settings.notifications);
        }
    }
    Ok(Notifications::default())
}

/// The guest as the booking form gave them.
struct Guest {
    name: String,
    email: String,
    mobile: Option<String>,
    zone: String,
}

fn guest_of(b: &Booking) -> Guest {
    let field = |k: &str| {
        b.form_submission[k]
            .as_str()
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    let mobile = field("mobile_phone");
    Guest {
        name: field("name"),
        email: field("email"),
        mobile: (!mobile.is_empty()).then_some(mobile),
        zone: b.customer_timezone.clone(),
    }
}

fn full_name(u: &User) -> String {
    let n = format!("{} {}", u.first_name, u.last_name);
    let n = n.trim();
    if n.is_empty() {
        u.email.clone()
    } else {
        n.to_string()
    }
}

/// Everything a booking's messages say, before the recipient's zone is applied.
struct Facts<'a> {
    b: &'a Booking,
    before: Option<&'a Booking>,
    guest: Guest,
    host_name: String,
    host_email: String,
    new_host_name: String,
    reason: String,
    canceled_by: String,
    base_url: &'a str,
    uid: String,
    /// The invitation's SEQUENCE: the booking's revision after the change, also in the
    /// cancellation a removed host gets for the meeting as it was.
    sequence: i64,
    /// A host's one-click links for a request (empty for anyone else).
    approve_url: String,
    decline_url: String,
}

impl<'a> Facts<'a> {
    /// The same facts as host `u` reads them for a message of `kind`: their own name, and for a
    /// host losing the booking the meeting as it was.
    fn for_host(&self, u: &User, kind: Notice) -> Facts<'a> {
        let lost = matches!(kind, Notice::HostCanceled | Notice::HostReassignedAway);
        Facts {
            b: self.before.filter(|_| lost).unwrap_or(self.b),
            before: self.before,
            guest: guest_of(self.b),
            host_name: full_name(u),
            host_email: u.email.clone(),
            new_host_name: self.new_host_name.clone(),
            reason: self.reason.clone(),
            canceled_by: self.canceled_by.clone(),
            base_url: self.base_url,
            uid: self.uid.clone(),
            sequence: self.sequence,
            approve_url: String::new(),
            decline_url: String::new(),
        }
    }

    fn values(&self, zone: &str, recipient_name: &str) -> Vec<(&'static str, String)> {
        let b = self.b;
        let token_link = |suffix: &str| format!("{}/b/{}{suffix}", self.base_url, b.token);
        let location = b.location.as_ref();
        let text_of = |k: &str| {
            location
                .and_then(|l| l.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let join_url = slotline_domain::meeting::join_url(location);
        let mut location_text = text_of("description");
        if location_text.is_empty() && join_url.is_empty() {
            location_text = text_of("value");
        }
        vec![
            ("guest_name", self.guest.name.clone()),
            ("guest_email", self.guest.email.clone()),
            ("host_name", self.host_name.clone()),
            ("recipient_name", recipient_name.to_string()),
            ("new_host_name", self.new_host_name.clone()),
            ("subject", b.subject.clone()),
            ("when", notice::when(b.start_time, zone)),
            (
                "old_when",
                self.before
                    .filter(|o| o.start_time != b.start_time)
                    .map(|o| notice::when(o.start_time, zone))
                    .unwrap_or_default(),
            ),
            ("duration", b.duration_minutes.to_string()),
            ("location", location_text),
            ("join_url", join_url),
            ("reason", self.reason.clone()),
            ("canceled_by", self.canceled_by.clone()),
            ("booking_url", token_link("")),
            ("reschedule_url", token_link("/reschedule")),
            ("cancel_url", token_link("/cancel")),
            ("approve_url", self.approve_url.clone()),
            ("decline_url", self.decline_url.clone()),
        ]
    }

    /// The meeting as an invitation (the host organizes, the guest attends).
    fn ics(&self, invite: Invite) -> String {
        let b = self.b;
        let attendees = [ics::Person {
            name: &self.guest.name,
            email: &self.guest.email,
        }];
        let description = format!(
            "With {}.\nReschedule or cancel: {}/b/{}",
            self.host_name, self.base_url, b.token
        );
        let location = b
            .location
            .as_ref()
            .and_then(|l| l.get("description").or_else(|| l.get("value")))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let url = format!("{}/b/{}", self.base_url, b.token);
        ics::render(&ics::Event {
            uid: &self.uid,
            start_ms: b.start_time,
            end_ms: b.end_time(),
            stamp_ms: b.last_updated_time,
            sequence: self.sequence,
            summary: &b.subject,
            description: &description,
            location,
            url: &url,
            cancelled: invite == Invite::Cancel,
            tentative: false,
            stored: false,
            invitation: Some(ics::Invitation {
                organizer: ics::Person {
                    name: &self.host_name,
                    email: &self.host_email,
                },
                attendees: &attendees,
            }),
        })
    }
}

/// One rendered message.
struct Draft<'a> {
    facts: &'a Facts<'a>,
    settings: &'a Notifications,
    now: i64,
}

impl Draft<'_> {
    /// The words of an email of `kind` to `name`, read in `zone`.
    fn email_words(&self, kind: Notice, name: &str, zone: &str) -> Words {
        let values = self.facts.values(zone, name);
        let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = notice::render(&self.settings.text(kind), &pairs);
        Words {
            subject: r.subject,
            text: r.text,
            html: Some(r.html),
            ics: kind.invitation().map(|i| self.facts.ics(i)),
        }
    }

    /// The words of the guest's SMS of `kind`, if that kind has one.
    fn sms_words(&self, kind: Notice) -> Option<Words> {
        let g = &self.facts.guest;
        let values = self.facts.values(&g.zone, &g.name);
        let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Some(Words {
            text: notice::render_line(kind.sms_text()?, &pairs),
            ..Words::default()
        })
    }

    /// An email of `kind`: rendered now, or for a reminder (`Later`) when it is due.
    fn email(
        &self,
        kind: Notice,
        to: (Recipient, &str, &str),
        zone: &str,
        due: (i64, Option<i64>),
        when: Render,
    ) -> Option<NewMessage> {
        let (recipient, name, address) = to;
        if address.is_empty() {
            return None;
        }
        let words = match when {
            Render::Now => self.email_words(kind, name, zone),
            Render::Later => Words::default(),
        };
        Some(self.message(Channel::Email, kind, recipient, name, address, words, due))
    }

    /// The guest's SMS of `kind`, when they gave a mobile number and the kind has one.
    fn sms(&self, kind: Notice, due: (i64, Option<i64>), when: Render) -> Option<NewMessage> {
        let g = &self.facts.guest;
        let mobile = g.mobile.as_ref()?;
        kind.sms_text()?;
        let words = match when {
            Render::Now => self.sms_words(kind)?,
            Render::Later => Words::default(),
        };
        Some(self.message(
            Channel::Sms,
            kind,
            Recipient::Guest,
            &g.name,
            mobile,
            words,
            due,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        channel: Channel,
        kind: Notice,
        recipient: Recipient,
        name: &str,
        address: &str,
        words: Words,
        due: (i64, Option<i64>),
    ) -> NewMessage {
        NewMessage {
            id: MessageId::new(channel),
            booking_id: Some(self.facts.b.id.clone()),
            kind,
            recipient,
            recipient_name: name.to_string(),
            address: address.to_string(),
            subject: words.subject,
            text: words.text,
            html: words.html,
            ics: words.ics,
            due_time: due.0.max(self.now),
            expire_time: due.1,
        }
    }
}

/// When a message's words are rendered: with the change, or (reminders) by the worker when due,
/// so that a booking writes only the words it sends now and a reminder reads the booking as it
/// is when it goes.
#[derive(Clone, Copy)]
enum Render {
    Now,
    Later,
}

/// The calendar UID of a booking: that of the first booking it was rescheduled from, so that
/// calendars move the event instead of adding one.
pub async fn calendar_uid(ctx: Ctx<'_>, b: &Booking) -> AppResult<String> {
    let root = match &b.rescheduled_booking_id {
        None => b.id.clone(),
        Some(previous) => bookings::first_of_chain(ctx.db, previous).await?,
    };
    Ok(slotline_domain::ics::booking_uid(&root))
}

/// What a booking's messages say and the users they name (its hosts, and those it had before
/// the change).
async fn facts_of<'a>(
    ctx: Ctx<'a>,
    account_id: &AccountId,
    b: &'a Booking,
    before: Option<&'a Booking>,
    reason: Option<(&str, Actor)>,
) -> AppResult<(Facts<'a>, HashMap<UserId, User>)> {
    let before_hosts: &[UserId] = before.map_or(&[], |o| o.hosts.as_slice());
    let mut ids: Vec<UserId> = b.hosts.clone();
    ids.extend(before_hosts.iter().cloned());
    ids.sort_unstable_by(|x, y| x.as_str().cmp(y.as_str()));
    ids.dedup();
    let people: HashMap<UserId, User> = users::get_many(ctx.db, account_id, &ids).await?;
    let owner = b
        .hosts
        .first()
        .and_then(|h| people.get(h))
        .or_else(|| people.values().next());
    let host_name = owner.map(full_name).unwrap_or_default();
    let (reason, canceled_by) = match reason {
        Some((r, Actor::Customer)) => (r.to_string(), "the guest".to_string()),
        Some((r, Actor::User)) => (r.to_string(), host_name.clone()),
        None => (String::new(), host_name.clone()),
    };
    let facts = Facts {
        b,
        before,
        guest: guest_of(b),
        host_name: host_name.clone(),
        host_email: owner.map(|u| u.email.clone()).unwrap_or_default(),
        // A host losing the booking reads about the host who has it now.
        new_host_name: host_name,
        reason,
        canceled_by,
        base_url: ctx.base_url,
        uid: calendar_uid(ctx, b).await?,
        sequence: b.revision,
        approve_url: String::new(),
        decline_url: String::new(),
    };
    Ok((facts, people))
}

/// The messages `a` sends now, and the reminders of the booking still wanted after it.
pub async fn messages(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    a: &About<'_>,
) -> AppResult<Vec<NewMessage>> {
    let b = a.booking;
    let settings = match a.settings {
        Some(s) => s.clone(),
        None => settings_of(ctx, account_id, b).await?,
    };
    let before_hosts: &[UserId] = a.before.map_or(&[], |o| o.hosts.as_slice());
    let (facts, people) = facts_of(ctx, account_id, b, a.before, a.reason).await?;
    // Hosts asked to approve get links that do it.
    let mut action_links: HashMap<UserId, (String, String)> = HashMap::new();
    if notice::messages(a.change).contains(&(Notice::HostRequested, Audience::Hosts)) {
        for h in &b.hosts {
            let link = |action| host_links::link(ctx, account_id, &b.id, h, action);
            action_links.insert(
                h.clone(),
                (
                    link(HostAction::Approve).await?,
                    link(HostAction::Decline).await?,
                ),
            );
        }
    }
    let now = ctx.now();
    let draft = Draft {
        facts: &facts,
        settings: &settings,
        now,
    };
    let mut out = Vec::new();
    let host_message = |kind: Notice, u: &User, out: &mut Vec<NewMessage>| {
        let mut own = facts.for_host(u, kind);
        if kind == Notice::HostRequested {
            if let Some((approve, decline)) = action_links.get(&u.id) {
                own.approve_url = approve.clone();
                own.decline_url = decline.clone();
            }
        }
        let d = Draft {
            facts: &own,
            settings: &settings,
            now,
        };
        out.extend(d.email(
            kind,
            (Recipient::User(u.id.clone()), &full_name(u), &u.email),
            &u.timezone,
            (now, None),
            Render::Now,
        ));
    };
    for (kind, audience) in notice::messages(a.change) {
        match audience {
            Audience::Guest => {
                if !a.tell_guest {
                    continue;
                }
                let g = &facts.guest;
                out.extend(draft.email(
                    *kind,
                    (Recipient::Guest, &g.name, &g.email),
                    &g.zone,
                    (now, None),
                    Render::Now,
                ));
                if settings.sms {
                    out.extend(draft.sms(*kind, (now, None), Render::Now));
                }
            }
            hosts if settings.email_hosts => {
                let chosen: Vec<&UserId> = match hosts {
                    Audience::Hosts => b.hosts.iter().collect(),
                    Audience::Added => b
                        .hosts
                        .iter()
                        .filter(|h| !before_hosts.contains(h))
                        .collect(),
                    Audience::Removed => before_hosts
                        .iter()
                        .filter(|h| !b.hosts.contains(h))
                        .collect(),
                    Audience::Kept => b
                        .hosts
                        .iter()
                        .filter(|h| before_hosts.contains(h))
                        .collect(),
                    Audience::Guest => unreachable!("matched above"),
                };
                for h in chosen {
                    if let Some(u) = people.get(h) {
                        host_message(*kind, u, &mut out);
                    }
                }
            }
            _ => {}
        }
    }
    if reminders_wanted(b.status, false) {
        out.extend(reminders(&draft, &people, now));
    }
    Ok(out)
}

/// Whether a booking in `status` still wants its reminders (`follow_up`: its follow-up, which
/// goes after the meeting, when the booking may be completed).
fn reminders_wanted(status: Status, follow_up: bool) -> bool {
    match status {
        Status::Scheduled | Status::Rescheduled => true,
        Status::Completed => follow_up,
        Status::Requested | Status::Canceled | Status::NoShow => false,
    }
}

/// The booking's reminders and follow-up still to come, to be rendered when due.
fn reminders(d: &Draft<'_>, people: &HashMap<UserId, User>, now: i64) -> Vec<NewMessage> {
    let b = d.facts.b;
    let g = &d.facts.guest;
    let later = Render::Later;
    let mut out = Vec::new();
    for r in &d.settings.reminders {
        let Some((due, until)) = notice::reminder_due(b.start_time, r.minutes_before, now) else {
            continue;
        };
        let when = (due, Some(until));
        match (r.to, r.channel) {
            (To::Guest, Channel::Email) => {
                let to = (Recipient::Guest, g.name.as_str(), g.email.as_str());
                out.extend(d.email(Notice::GuestReminder, to, &g.zone, when, later));
                if d.settings.sms {
                    out.extend(d.sms(Notice::GuestReminder, when, later));
                }
            }
            (To::Guest, Channel::Sms) => out.extend(d.sms(Notice::GuestReminder, when, later)),
            (To::Host, _) => {
                for h in &b.hosts {
                    if let Some(u) = people.get(h) {
                        let to = (Recipient::User(u.id.clone()), &*full_name(u), &*u.email);
                        out.extend(d.email(Notice::HostReminder, to, &u.timezone, when, later));
                    }
                }
            }
        }
    }
    if let Some(minutes) = d.settings.follow_up_minutes {
        let (due, until) = notice::follow_up_due(b.end_time(), minutes);
        if until > now {
            let to = (Recipient::Guest, g.name.as_str(), g.email.as_str());
            out.extend(d.email(
                Notice::GuestFollowUp,
                to,
                &g.zone,
                (due, Some(until)),
                later,
            ));
        }
    }
    out
}

/// The words of a reminder or follow-up that is due, from its booking and settings as they are
/// now; `None` when it is no longer wanted.
pub async fn words_due(ctx: Ctx<'_>, c: &Claimed) -> AppResult<Option<Words>> {
    let kind = Notice::from_stored(&c.kind)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown message kind '{}'", c.kind)))?;
    let Some(booking_id) = &c.booking_id else {
        return Ok(None);
    };
    let Some(b) = bookings::get(ctx.db, &c.account_id, booking_id).await? else {
        return Ok(None);
    };
    if !kind.is_reminder() || !reminders_wanted(b.status, kind == Notice::GuestFollowUp) {
        return Ok(None);
    }
    let settings = settings_of(ctx, &c.account_id, &b).await?;
    let (facts, people) = facts_of(ctx, &c.account_id, &b, None, None).await?;
    let draft = Draft {
        facts: &facts,
        settings: &settings,
        now: ctx.now(),
    };
    let host = c
        .recipient_id
        .as_deref()
        .filter(|_| c.recipient_type == "user")
        .and_then(|id| people.values().find(|u| u.id.as_str() == id));
    Ok(match (c.channel, host) {
        (Channel::Sms, _) => draft.sms_words(kind),
        (Channel::Email, None) => {
            Some(draft.email_words(kind, &c.recipient_name, &facts.guest.zone))
        }
        (Channel::Email, Some(u)) => {
            let own = facts.for_host(u, kind);
            let d = Draft {
                facts: &own,
                ..draft
            };
            Some(d.email_words(kind, &c.recipient_name, &u.timezone))
        }
    })
}

/// The booking as host `user_id`'s calendar keeps it (a CalDAV object: no `METHOD`), or None
/// when that calendar should not hold it (canceled, gone, or no longer this host's).
pub async fn host_calendar_object(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    booking_id: &BookingId,
    user_id: &UserId,
) -> AppResult<Option<String>> {
    let Some(b) = bookings::get(ctx.db, account_id, booking_id).await? else {
        return Ok(None);
    };
    if b.status == Status::Canceled || !b.hosts.contains(user_id) {
        return Ok(None);
    }
    let (facts, _) = facts_of(ctx, account_id, &b, None, None).await?;
    let g = &facts.guest;
    let link = |suffix: &str| format!("{}/b/{}{suffix}", ctx.base_url, b.token);
    let description = format!(
        "With {} <{}>.\nThe booking: {}\nReschedule: {}\nCancel: {}",
        g.name,
        g.email,
        link(""),
        link("/reschedule"),
        link("/cancel")
    );
    let location = b
        .location
        .as_ref()
        .and_then(|l| l.get("description").or_else(|| l.get("value")))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let attendees = [ics::Person {
        name: &g.name,
        email: &g.email,
    }];
    let url = link("");
    Ok(Some(ics::render(&ics::Event {
        uid: &facts.uid,
        start_ms: b.start_time,
        end_ms: b.end_time(),
        stamp_ms: b.last_updated_time,
        sequence: b.revision,
        summary: &b.subject,
        description: &description,
        location,
        url: &url,
        cancelled: false,
        tentative: b.status == Status::Requested,
        stored: true,
        invitation: Some(ics::Invitation {
            organizer: ics::Person {
                name: &facts.host_name,
                email: &facts.host_email,
            },
            attendees: &attendees,
        }),
    })))
}

/// The email a user added to an account receives, with the link to choose a password.
pub async fn invitation(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    new: &users::NewUser,
) -> AppResult<users::Invitation> {
    let (token, sign_in_url) = super::sign_in::invitation_token(ctx);
    let account = crate::store::accounts::get(ctx.db, account_id)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    let name = format!("{} {}", new.first_name, new.last_name)
        .trim()
        .to_string();
    let role = new.role.as_str();
    let values = [
        ("user_name", name.as_str()),
        ("account_name", account.as_str()),
        ("role", role),
        ("sign_in_url", sign_in_url.as_str()),
    ];
    let r = notice::render(&notice::default_text(Notice::UserInvitation), &values);
    let now = ctx.now();
    let message = NewMessage {
        id: MessageId::new(Channel::Email),
        booking_id: None,
        kind: Notice::UserInvitation,
        // The store addresses it to the user it creates.
        recipient: Recipient::Guest,
        recipient_name: name,
        address: new.email.clone(),
        subject: r.subject,
        text: r.text,
        html: Some(r.html),
        ics: None,
        due_time: now,
        expire_time: None,
    };
    Ok(users::Invitation {
        message,
        token: Some(token),
    })
}
