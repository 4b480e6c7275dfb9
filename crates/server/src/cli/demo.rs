//! `slotline demo`: a server with a seeded account, so that trying Slotline takes one command.

use serde_json::json;
use slotline_domain::{
    availability::Interval,
    id::{AccountId, BookingCalendarId, Host, UserId},
    lifecycle::{Action, Actor},
    settings::Settings,
};

use crate::{
    app,
    clock::{Clock, SystemClock},
    config::ServeConfig,
    services::scheduler,
    state::AppState,
    store::{
        accounts,
        booking_calendars::{self, BookingCalendar},
        booking_pages, bookings, chatbots, contacts, custom_fields, event_types, keys,
        master_pages,
        page::{Cursor, PageRequest},
        teams, users, Db,
    },
};

use super::CliResult;

const DEMO_EMAIL: &str = "demo@slotline.example";
const DEMO_KEY_NAME: &str = "Demo key";

pub async fn run(
    mut config: ServeConfig,
    key_file: Option<std::path::PathBuf>,
    password_file: Option<std::path::PathBuf>,
) -> CliResult {
    // The demo's email goes beside its database file, unless told otherwise.
    if config.smtp_url.is_none() && config.mail_dir == std::path::Path::new("slotline-mail") {
        let db = std::path::Path::new(&config.database_url);
        if !config.database_url.contains("://") && !config.database_url.starts_with("sqlite:") {
            if let Some(dir) = db.parent() {
                config.mail_dir = dir.join("slotline-mail");
            }
        }
    }
    config.check()?;
    let db = super::open_with(&config.database_url, config.database_limits()).await?;
    let now = SystemClock.now_ms();
    let account = match accounts::list(&db)
        .await?
        .into_iter()
        .find(|a| a.email == DEMO_EMAIL)
    {
        Some(a) => a,
        None => seed(&db, &config.base_url(), now).await?,
    };
    // A fresh key each start (the old ones are revoked): keys are stored only as hashes.
    for k in keys::list(&db, &account.id).await? {
        if k.name == DEMO_KEY_NAME && k.revoked_time.is_none() {
            keys::revoke(&db, &k.id, now).await?;
        }
    }
    let (_, secret) = keys::create(&db, &account.id, DEMO_KEY_NAME, now).await?;
    if let Some(path) = key_file {
        std::fs::write(path, &secret)?;
    }
    // Likewise a fresh password for the owner's sign-in to the hosts' app (its other sessions end).
    let password = demo_password();
    let phc = crate::services::sign_in::hash_password(&password).await?;
    crate::store::passwords::set(&db, &account.owner_user_id, &phc, now).await?;
    if let Some(path) = password_file {
        std::fs::write(path, &password)?;
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| super::listen_error("--listen / SLOTLINE_LISTEN", config.listen, &e))?;
    super::start_metrics(&config).await?;
    let base = config.base_url();
    println!("Slotline demo is running at {base}");
    println!("API key: {secret}");
    println!();
    println!("Try:");
    println!("  curl -H 'API-Key: {secret}' {base}/v2/test");
    println!("  curl -H 'API-Key: {secret}' {base}/v2/users");
    println!("  curl -H 'API-Key: {secret}' '{base}/v2/contacts?limit=2&expand=data.owner'");
    println!("  curl -H 'API-Key: {secret}' {base}/v2/booking-calendars");
    println!("Book as a guest, in a browser:");
    println!("  {base}/c/sales          booking calendar (team, round robin)");
    println!("  {base}/c/andrea         booking calendar (one host)");
    println!("  {base}/p/andreahartie   classic booking page");
    println!("  {base}/m/demo           master page");
    let req = PageRequest {
        limit: 1,
        cursor: Cursor::None,
    };
    if let Some(site) = chatbots::list_websites(&db, &account.id, &req)
        .await?
        .0
        .first()
    {
        println!("Chat with the demo bot (serve the examples: python3 -m http.server 8000 -d examples/web):");
        println!(
            "  {DEMO_SITE}/chat-widget.html?slotline={base}&website_id={}",
            site.id
        );
    }
    println!("The hosts' app, in a browser: {base}/app");
    println!("  email {DEMO_EMAIL}, password {password}");
    println!("API reference: {base}/docs");
    match &config.smtp_url {
        None => println!(
            "Email to guests and hosts (no --smtp-url set): .eml files in {}",
            config.mail_dir.display()
        ),
        Some(_) => println!("Email to guests and hosts goes to the SMTP server (--smtp-url)"),
    }
    app::serve(AppState::new(db, &config), listener).await?;
    Ok(())
}

/// A few bookings on the first free slots, one of them cancelled, so the bookings operations
/// have something to show.
async fn seed_bookings(
    db: &Db,
    base_url: &str,
    account_id: &AccountId,
    calendars: &[BookingCalendar],
    now: i64,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // The demo's bookings are made as of `now`, as if by a guest at that moment.
    let clock = crate::clock::ManualClock::new(now);
    let ctx = crate::services::Ctx {
        db,
        clock: &clock,
        base_url,
        meeting_url: "https://meet.jit.si",
        allow_http_webhooks: false,
    };
    let week = Interval {
        start: now,
        end: now + 7 * 24 * 3_600_000,
    };
    for (cal, guests) in calendars.iter().zip(
        [[
            ("Carrie Customer", "carrie.customer@example.com"),
            ("Oscar Client", "oscar@example.org"),
        ]; 2],
    ) {
        let starts = scheduler::time_slots(
            db,
            account_id,
            &scheduler::Target::calendar(cal),
            30,
            week,
            now,
        )
        .await?;
        for ((name, email), start) in guests.iter().zip(starts.iter().step_by(3)) {
            let form = json!({"name": name, "email": email, "phone": null, "mobile_phone": "", "note": "", "company": null, "guests": [], "custom_fields": []});
            let request = scheduler::Request {
                subject: None,
                start: *start,
                duration: 30,
                guest_time_zone: "America/New_York".into(),
                form_submission: form,
                location: None,
                utm_params: None,
                one_time_link: None,
                conversation_id: None,
            };
            scheduler::book(ctx, account_id, &scheduler::Target::calendar(cal), request).await?;
        }
    }
    let (first, _) = bookings::list(
        db,
        account_id,
        &Default::default(),
        &PageRequest {
            limit: 1,
            cursor: Cursor::None,
        },
    )
    .await?;
    if let Some(b) = first.first() {
        let _ = scheduler::change(
            ctx,
            account_id,
            b,
            Action::Cancel(Actor::Customer),
            Some(("Something came up".into(), Actor::Customer)),
            true,
        )
        .await;
    }
    Ok(())
}

async fn seed(
    db: &Db,
    base_url: &str,
    now: i64,
) -> Result<accounts::Account, Box<dyn std::error::Error + Send + Sync>> {
    let account = accounts::create(
        db,
        "Slotline Demo",
        DEMO_EMAIL,
        "America/New_York",
        "Andrea",
        "Hartie",
        now,
    )
    .await?;
    let sales = teams::create(db, &account.id, "Sales", now).await?;
    teams::create(db, &account.id, "Support", now).await?;
    for (first, last, email) in [
        ("Michael", "Scott", "michael@slotline.example"),
        ("Pam", "Beesly", "pam@slotline.example"),
    ] {
        let new = users::NewUser {
            email: email.into(),
            first_name: first.into(),
            last_name: last.into(),
            role: slotline_domain::role::Role::Member,
            teams: vec![sales.id.to_string()],
            timezone: "America/New_York".into(),
        };
        users::create(db, &account.id, new, None, now).await?;
    }
    custom_fields::create(db, &account.id, "meeting_reason", "Meeting reason", now).await?;
    custom_fields::create(db, &account.id, "resume", "Résumé", now).await?;
    for (first, last, email) in [
        ("Carrie", "Customer", "carrie.customer@example.com"),
        ("Oscar", "Client", "oscar@example.org"),
    ] {
        let patch = contacts::ContactPatch {
            first_name: Some(Some(first.into())),
            last_name: Some(Some(last.into())),
            owner_id: Some(Some(account.owner_user_id.clone())),
            timezone: Some(Some("America/New_York".into())),
            ..Default::default()
        };
        contacts::create(db, &account.id, Some(email.into()), None, patch, now).await?;
    }
    let demo = event_types::create(
        db,
        &account.id,
        "Live demo",
        "Schedule a live demo with us for an in-depth look at the product.",
        now,
    )
    .await?;
    let intro = event_types::create(
        db,
        &account.id,
        "Intro call",
        "A short first conversation.",
        now,
    )
    .await?;
    let master = master_pages::create(
        db,
        &account.id,
        "Slotline Demo",
        "Demo master page",
        "demo",
        true,
        now,
    )
    .await?;
    let settings = Settings {
        durations: vec![30, 60],
        minimum_notice_minutes: 60,
        ..Settings::default()
    };
    let page = booking_pages::NewBookingPage {
        owner_id: account.owner_user_id.clone(),
        master_page_id: Some(master.id.clone()),
        event_type_ids: vec![demo.id, intro.id],
        name: "Andrea Hartie".into(),
        label: "Andrea's page".into(),
        slug: "andreahartie".into(),
        timezone: "America/New_York".into(),
        active: true,
        settings: settings.clone(),
    };
    booking_pages::create(db, &account.id, page, now).await?;
    let mut calendars = Vec::new();
    for (host, distribution, name, slug) in [
        (
            Host::User(account.owner_user_id.clone()),
            "single",
            "Meeting with Andrea Hartie",
            "andrea",
        ),
        (
            Host::Team(sales.id.clone()),
            "round_robin",
            "Talk to Sales",
            "sales",
        ),
    ] {
        let cal = booking_calendars::BookingCalendar {
            id: BookingCalendarId::new(),
            host_id: host,
            distribution: distribution.into(),
            name: name.into(),
            subject: name.into(),
            slug: slug.into(),
            published: true,
            settings: settings.clone(),
            deleted: false,
        };
        let id = booking_calendars::create(db, &account.id, &cal, now).await?;
        calendars.push(BookingCalendar { id, ..cal });
    }
    seed_bookings(db, base_url, &account.id, &calendars, now).await?;
    seed_chatbot(
        db,
        &account.id,
        &account.owner_user_id,
        &calendars[0].id,
        now,
    )
    .await?;
    Ok(account)
}

/// Where the demo's chat widget may run: `examples/web` served on this origin
/// (`python3 -m http.server 8000 -d examples/web`).
const DEMO_SITE: &str = "http://localhost:8000";

/// A website, a bot that qualifies a visitor and books on Andrea's calendar, and an audience
/// putting it on every page of the website.
async fn seed_chatbot(
    db: &Db,
    account_id: &AccountId,
    owner: &UserId,
    calendar: &str,
    now: i64,
) -> CliResult {
    let website = chatbots::create_website(
        db,
        account_id,
        "Demo website",
        &format!("{DEMO_SITE}/"),
        &[],
        now,
    )
    .await?;
    let flow = slotline_domain::bot::Flow::parse(&json!({"steps": [
        {"id": "hello", "type": "message", "text": "Hi! I can book you a meeting with Andrea."},
        {"id": "name", "type": "question", "text": "What is your name?", "maps_to": "name"},
        {"id": "email", "type": "question", "answer": "email", "text": "And your email?", "maps_to": "email"},
        {"id": "reason", "type": "single_choice", "text": "What would you like to talk about?", "options": ["A demo", "Pricing", {"label": "Just looking", "next": "bye"}], "maps_to": "meeting_reason"},
        {"id": "book", "type": "schedule", "text": "Pick a time that suits you.", "booking_calendar": calendar},
        {"id": "bye", "type": "end", "text": "Thanks! Have a good day."}
    ]}))
    .map_err(|e| e.message)?;
    let bot = chatbots::create_bot(db, account_id, "Demo bot", owner, &flow, now).await?;
    let all: Vec<String> = vec![];
    chatbots::create_audience(
        db,
        account_id,
        chatbots::NewAudience {
            website_id: &website.id,
            bot_id: &bot.id,
            name: "Every page",
            pages: &all,
            reach_out_after: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// A password easy to type from the terminal: four groups of four lowercase letters and digits
/// (about 80 bits).
fn demo_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}
