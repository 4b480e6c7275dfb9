//! Chatbots over HTTP: setup (websites, bots with flows, audiences), conversations driven
//! through the widget's JSON calls as its script makes them, their lifecycle events, the contact
//! and booking they produce, and the conversations REST extension. The widget itself runs in a
//! browser in `browser.rs`.

use crate::common;

use common::{assert_error, Options, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn events(app: &TestApp) -> Vec<(String, Value)> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT type, payload FROM events ORDER BY seq")
            .fetch_all(&mut *app.db.reader().await.unwrap())
            .await
            .unwrap();
    rows.into_iter()
        .map(|(t, p)| (t, serde_json::from_str(&p).unwrap()))
        .collect()
}

struct Setup {
    website: String,
    bot: String,
    calendar: String,
}

async fn setup(app: &TestApp, reach_out: Option<i64>) -> Setup {
    let (_, f) = app
        .post(
            "/v2/custom-fields",
            json!({"name": "topics", "label": "Topics"}),
        )
        .await;
    assert!(f["name"] == "topics", "{f}");
    let (_, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Demo", "slug": "demo", "settings": {"minimum_notice_minutes": 0}}),
        )
        .await;
    let calendar = cal["id"].as_str().unwrap().to_string();
    let (s, site) = app
        .post("/v2/websites", json!({"name": "Acme", "url": "https://www.acme.example", "allowed_origins": ["http://localhost:3000"]}))
        .await;
    assert_eq!(s, 200, "{site}");
    assert_eq!(
        site["embed_code"],
        format!(
            "<script src=\"{}/widget.js?website_id={}\" defer></script>",
            app.base,
            site["id"].as_str().unwrap()
        )
    );
    let flow = json!({"steps": [
        {"id": "hello", "type": "message", "text": "Hi! A few questions."},
        {"id": "name", "type": "question", "text": "Your name?", "maps_to": "name", "internal_label": "Full name"},
        {"id": "email", "type": "question", "answer": "email", "text": "Your email?", "maps_to": "email"},
        {"id": "size", "type": "single_choice", "text": "Team size?", "options": [{"label": "Just me", "next": "bye"}, "2 or more"], "maps_to": "company_size"},
        {"id": "topics", "type": "multiple_choice", "text": "Topics?", "options": ["Pricing", "Demo"], "maps_to": "topics"},
        {"id": "book", "type": "schedule", "text": "Pick a time for a demo", "booking_calendar": calendar},
        {"id": "bye", "type": "end", "text": "Thanks, talk soon!"}
    ]});
    let (s, bot) = app
        .post(
            "/v2/bots",
            json!({"name": "Sales bot", "owner": app.owner_user_id, "flow": flow}),
        )
        .await;
    assert_eq!(s, 200, "{bot}");
    let (s, aud) = app
        .post("/v2/audiences", json!({"name": "Pricing page", "website": site["id"], "bot": bot["id"], "pages": ["/pricing"], "reach_out_after_seconds": reach_out}))
        .await;
    assert_eq!(s, 200, "{aud}");
    Setup {
        website: site["id"].as_str().unwrap().into(),
        bot: bot["id"].as_str().unwrap().into(),
        calendar,
    }
}

/// The widget's calls, as its script makes them (same origin as the server).
struct Widget<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
}

impl Widget<'_> {
    fn new(app: &TestApp) -> Widget<'_> {
        Widget {
            app,
            http: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.app.base))
            .header("Origin", &self.app.base);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn open(
        &self,
        website: &str,
        initiated_by: &str,
        path: &str,
        previous: Option<&str>,
    ) -> Value {
        let (s, v) = self
            .call(
                reqwest::Method::POST,
                &format!("/w/{website}/conversations"),
                Some(json!({"initiated_by": initiated_by, "path": path, "previous": previous})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        v
    }

    async fn reply(&self, token: &str, values: &[&str]) -> (StatusCode, Value) {
        self.call(
            reqwest::Method::POST,
            &format!("/w/conversations/{token}/reply"),
            Some(json!({"values": values})),
        )
        .await
    }
}

fn texts(v: &Value) -> Vec<String> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect()
}

async fn a_visitor_runs_the_flow_and_books(app: &TestApp) {
    let s = setup(app, None).await;
    let w = Widget::new(app);
    let opened = w.open(&s.website, "contact", "/pricing/plans", None).await;
    assert_eq!(
        texts(&opened),
        ["Hi! A few questions.", "Your name?"],
        "messages up to the first question"
    );
    assert_eq!(opened["bot"]["name"], "Sales bot");
    let token = opened["token"].as_str().unwrap().to_string();
    assert!(
        events(app).await.is_empty(),
        "opening by the visitor is not yet a started conversation"
    );

    let (st, next) = w.reply(&token, &["Carrie Customer"]).await;
    assert_eq!(
        (st, texts(&next)),
        (StatusCode::OK, vec!["Your email?".to_string()])
    );
    assert_eq!(
        events(app)
            .await
            .iter()
            .map(|e| e.0.as_str())
            .collect::<Vec<_>>(),
        ["conversation.started"]
    );
    let (st, bad) = w.reply(&token, &["not-an-email"]).await;
    assert_eq!(
        (st, bad["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("Please enter an email address.")
        )
    );
    let (_, next) = w.reply(&token, &["carrie@example.com"]).await;
    assert_eq!(next["steps"][0]["options"], json!(["Just me", "2 or more"]));
    let (_, next) = w.reply(&token, &["2 or more"]).await;
    assert_eq!(next["steps"][0]["type"], "multiple_choice");
    let (_, next) = w.reply(&token, &["Pricing", "Demo"]).await;
    assert_eq!(next["steps"][0]["type"], "schedule");
    let (st, early) = w.reply(&token, &["BKNG-FAKE"]).await;
    assert_eq!(
        (st, early["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Please choose a time.")),
        "a schedule step is answered by booking"
    );

    let (st, times) = w
        .call(
            reqwest::Method::GET,
            &format!("/w/conversations/{token}/times?tz=Europe/Paris"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{times}");
    let first = &times["days"][0]["times"][0];
    assert_eq!(first["label"], "16:00", "Monday 09:00 Chicago in Paris");
    let (st, booked) = w
        .call(
            reqwest::Method::POST,
            &format!("/w/conversations/{token}/book"),
            Some(json!({"start": first["start"], "time_zone": "Europe/Paris"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{booked}");
    assert_eq!(texts(&booked), ["Thanks, talk soon!"]);
    assert_eq!(booked["ended"], true);
    let booking_id = booked["booking"]["id"].as_str().unwrap().to_string();

    let kinds: Vec<String> = events(app).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        kinds,
        [
            "conversation.started",
            "booking.scheduled",
            "conversation.closed"
        ]
    );
    let all = events(app).await;
    let (_, scheduled) = &all[1];
    assert_eq!(
        scheduled["data"]["conversation"]["object"], "conversation",
        "a booking from a chat carries its conversation"
    );
    let (_, closed) = &all[2];
    let data = &closed["data"];
    // The event log by conversation: the conversation's own events, newest first.
    let conversation = data["id"].as_str().unwrap();
    let (status, of_it) = app
        .get(&format!("/v2/events?conversation={conversation}"))
        .await;
    assert_eq!(status, 200, "{of_it}");
    let kinds: Vec<&str> = of_it["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["conversation.closed", "conversation.started"]);
    assert_eq!(data["status"], "closed");
    assert_eq!(data["initiated_by"], "contact");
    assert_eq!(
        data["bot"],
        json!({"id": s.bot, "object": "bot", "name": "Sales bot"}),
        "expanded in webhooks"
    );
    assert_eq!(data["website"]["url"], "https://www.acme.example");
    assert_eq!(data["owner"]["id"], app.owner_user_id.as_str());
    assert_eq!(data["contact"]["email"], "carrie@example.com");
    assert_eq!(data["bookings"], json!([booking_id]));

    // Over REST.
    let cid = data["id"].as_str().unwrap();
    let (st, c) = app
        .get(&format!("/v2/conversations/{cid}?expand=contact,audience"))
        .await;
    assert_eq!(st, 200, "{c}");
    let answers = c["answers"].as_array().unwrap();
    assert_eq!(
        answers.len(),
        5,
        "name, email, team size, topics and the booking"
    );
    assert!(
        answers
            .iter()
            .all(|a| a["id"].as_str().unwrap().starts_with("INT-")
                && a.as_object().unwrap().len() == 4),
        "{answers:?}"
    );
    assert_eq!(
        answers[0],
        json!({"id": answers[0]["id"], "internal_label": "Full name", "question": "Your name?", "value": "Carrie Customer"})
    );
    assert_eq!(answers[3]["value"], "Pricing, Demo");
    assert_eq!(c["contact"]["first_name"], "Carrie");
    assert_eq!(c["contact"]["company_size"], "2 or more");
    assert_eq!(
        c["contact"]["custom_fields"],
        json!([{"name": "topics", "value": ["Pricing", "Demo"]}])
    );
    assert_eq!(c["audience"]["name"], "Pricing page");
    let contact_id = c["contact"]["id"].as_str().unwrap();
    let (_, contact) = app
        .get(&format!("/v2/contacts/{contact_id}?expand=conversation"))
        .await;
    assert_eq!(
        contact["conversation"]["id"], cid,
        "a contact expands its latest conversation"
    );
    let (_, plain) = app.get(&format!("/v2/contacts/{contact_id}")).await;
    assert!(plain.get("conversation").is_none(), "only when asked");
    let (_, listed) = app
        .get("/v2/contacts?expand=data.conversation&email=carrie@example.com")
        .await;
    assert_eq!(listed["data"][0]["conversation"]["status"], "closed");
    let (_, b) = app
        .get(&format!("/v2/bookings/{booking_id}?expand=conversation"))
        .await;
    assert_eq!(b["conversation"]["id"], cid);
    assert_eq!(b["form_submission"]["email"], "carrie@example.com");
    assert_eq!(b["contact"], c["contact"]["id"]);
    let (_, list) = app
        .get(&format!(
            "/v2/conversations?status=closed,abandoned&bot={}&website={}",
            s.bot, s.website
        ))
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (_, none) = app.get("/v2/conversations?status=abandoned").await;
    assert!(none["data"].as_array().unwrap().is_empty());
    assert_error(
        &app.get("/v2/conversations?status=lost").await,
        400,
        "Invalid status: lost",
        Some("status"),
    );

    let (st, after) = w.reply(&token, &["more"]).await;
    assert_eq!(
        (st, after["message"].as_str()),
        (StatusCode::CONFLICT, Some("This conversation has ended."))
    );
    let _ = s.calendar;
}
both_backends!(
    a_visitor_runs_the_flow_and_books,
    a_visitor_runs_the_flow_and_books
);

async fn reach_outs_abandonment_and_a_second_bot(app: &TestApp) {
    let s = setup(app, Some(5)).await;
    let w = Widget::new(app);
    let first = w.open(&s.website, "bot", "/pricing", None).await;
    let token = first["token"].as_str().unwrap().to_string();
    assert_eq!(events(app).await[0].0, "conversation.reached_out");
    assert_eq!(events(app).await[0].1["data"]["initiated_by"], "bot");
    w.reply(&token, &["Ann"]).await;
    // Ten minutes of silence: abandoned by the sweeper.
    app.clock.advance(11 * 60_000);
    for _ in 0..100 {
        if events(app)
            .await
            .iter()
            .any(|e| e.0 == "conversation.abandoned")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let kinds: Vec<String> = events(app).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        kinds,
        [
            "conversation.reached_out",
            "conversation.started",
            "conversation.abandoned"
        ]
    );
    let (st, late) = w.reply(&token, &["ann@example.com"]).await;
    assert_eq!(st, StatusCode::CONFLICT, "{late}");

    // A second conversation, then the visitor starts another bot: the first one is closed.
    let (_, bot2) = app
        .post(
            "/v2/bots",
            json!({"name": "Support", "owner": app.owner_user_id, "flow": {"steps": [{"type": "question", "text": "How can we help?"}]}}),
        )
        .await;
    app.post(
        "/v2/audiences",
        json!({"name": "Help", "website": s.website, "bot": bot2["id"], "pages": ["/help"]}),
    )
    .await;
    let again = w.open(&s.website, "contact", "/pricing", None).await;
    let t2 = again["token"].as_str().unwrap().to_string();
    w.reply(&t2, &["Bo"]).await;
    let other = w.open(&s.website, "contact", "/help", Some(&t2)).await;
    assert_eq!(other["bot"]["name"], "Support");
    let kinds: Vec<String> = events(app).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("conversation.closed"),
        "{kinds:?}"
    );
    let (_, list) = app.get("/v2/conversations?status=closed").await;
    assert_eq!(list["data"][0]["answers"][0]["value"], "Bo");

    // A chat the visitor opened and never used ends quietly: abandoned, without an event.
    let before = events(app).await.len();
    app.clock.advance(11 * 60_000);
    for _ in 0..100 {
        let (_, l) = app.get("/v2/conversations?status=started").await;
        if l["data"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (_, l) = app.get("/v2/conversations?status=abandoned").await;
    assert!(l["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["bot"] == other["bot"]["id"] && c["answers"].as_array().unwrap().is_empty()));
    assert_eq!(
        events(app).await.len(),
        before,
        "no conversation.abandoned for a conversation nobody heard begin"
    );
}
both_backends!(
    reach_outs_abandonment_and_a_second_bot,
    reach_outs_abandonment_and_a_second_bot,
    Options {
        sweep_ms: 20,
        ..Options::default()
    }
);

async fn setup_is_checked_and_the_widget_guarded(app: &TestApp) {
    assert_error(
        &app.post("/v2/websites", json!({"name": "X", "url": "acme"}))
            .await,
        400,
        "url must be a full http(s) URL.",
        Some("url"),
    );
    let bad_flow = app.post("/v2/bots", json!({"name": "B", "owner": app.owner_user_id, "flow": {"steps": [{"type": "dance"}]}})).await;
    assert_eq!(
        (bad_flow.0, bad_flow.1["param"].as_str()),
        (400, Some("flow.steps[0].type"))
    );
    let ghost_cal = app
        .post(
            "/v2/bots",
            json!({"name": "B", "owner": app.owner_user_id, "flow": {"steps": [{"type": "schedule", "booking_calendar": "BKC-NOPE"}]}}),
        )
        .await;
    assert_error(
        &ghost_cal,
        400,
        "No such booking calendar: 'BKC-NOPE'",
        Some("flow"),
    );
    let unknown_field = app
        .post(
            "/v2/bots",
            json!({"name": "B", "owner": app.owner_user_id, "flow": {"steps": [{"type": "question", "maps_to": "shoe_size"}]}}),
        )
        .await;
    assert_eq!(unknown_field.0, 400);
    assert_error(
        &app.post(
            "/v2/audiences",
            json!({"name": "A", "website": "WEB-NOPE", "bot": "BOT-NOPE"}),
        )
        .await,
        400,
        "No such website: 'WEB-NOPE'",
        Some("website"),
    );

    let s = setup(app, None).await;
    let http = reqwest::Client::new();
    let forged = http
        .post(format!("{}/w/{}/conversations", app.base, s.website))
        .header("Origin", "https://evil.example")
        .json(&json!({"initiated_by": "contact", "path": "/pricing"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "another site cannot drive the widget"
    );
    let page = http
        .get(format!(
            "{}/w/{}?sl.origin=http://localhost:3000&sl.path=/pricing",
            app.base, s.website
        ))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors http://localhost:3000 https://www.acme.example"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("\"origin\":\"http://localhost:3000\""),
        "an allowed origin is posted to"
    );
    assert!(html.contains("oncehub.chatbot.loaded"));
    let stranger = http
        .get(format!(
            "{}/w/{}?sl.origin=https://evil.example&sl.path=/pricing",
            app.base, s.website
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        stranger.contains("\"origin\":null"),
        "a stranger is never posted to"
    );
    let elsewhere = http
        .get(format!(
            "{}/w/{}?sl.origin=http://localhost:3000&sl.path=/blog",
            app.base, s.website
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !elsewhere.contains("oncehub.chatbot.loaded"),
        "no bot on pages outside its audience"
    );
}
both_backends!(
    setup_is_checked_and_the_widget_guarded,
    setup_is_checked_and_the_widget_guarded
);

/// Bot campaigns: the page a conversation started on and its visit's UTM tags are kept on the
/// conversation, carried into the booking made in the chat and its webhooks, and conversations
/// can be listed by source and campaign.
async fn conversations_keep_the_campaign_that_brought_the_visitor(app: &TestApp) {
    let s = setup(app, None).await;
    let w = Widget::new(app);
    let open = |utm: Value, page: &str| json!({"initiated_by": "contact", "path": "/pricing", "page_url": page, "utm_params": utm});
    let (st, opened) = w
        .call(
            reqwest::Method::POST,
            &format!("/w/{}/conversations", s.website),
            Some(open(
                json!({"source": "newsletter", "campaign": "spring"}),
                "https://www.acme.example/pricing?utm_source=newsletter",
            )),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{opened}");
    let token = opened["token"].as_str().unwrap().to_string();
    for answer in [
        &["Carrie Customer"][..],
        &["carrie@example.com"],
        &["2 or more"],
        &["Demo"],
    ] {
        let (st, v) = w.reply(&token, answer).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let (_, times) = w
        .call(
            reqwest::Method::GET,
            &format!("/w/conversations/{token}/times?tz=UTC"),
            None,
        )
        .await;
    let first = &times["days"][0]["times"][0];
    let (st, booked) = w
        .call(
            reqwest::Method::POST,
            &format!("/w/conversations/{token}/book"),
            Some(json!({"start": first["start"], "time_zone": "UTC"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{booked}");
    let booking_id = booked["booking"]["id"].as_str().unwrap();

    let utm = json!({"source": "newsletter", "medium": null, "campaign": "spring", "term": null, "content": null});
    let (_, b) = app
        .get(&format!("/v2/bookings/{booking_id}?expand=conversation"))
        .await;
    assert_eq!(
        b["utm_params"], utm,
        "the booking made in the chat carries the campaign"
    );
    assert_eq!(b["conversation"]["utm_params"], utm);
    assert_eq!(
        b["conversation"]["page_url"],
        "https://www.acme.example/pricing?utm_source=newsletter"
    );
    let all = events(app).await;
    for (kind, e) in &all {
        // OnceHub's booking webhook has no utm_params: the campaign rides in its expanded
        // conversation.
        let carried = if kind.starts_with("booking.") {
            &e["data"]["conversation"]["utm_params"]
        } else {
            &e["data"]["utm_params"]
        };
        assert_eq!(carried, &utm, "{kind} carries the campaign");
    }
    assert!(
        all.iter().any(|(k, _)| k == "booking.scheduled")
            && all.iter().any(|(k, _)| k == "conversation.started")
    );

    // Another visit from another campaign, and one with no tags.
    w.call(
        reqwest::Method::POST,
        &format!("/w/{}/conversations", s.website),
        Some(open(
            json!({"source": "ads", "campaign": "summer"}),
            "https://www.acme.example/pricing",
        )),
    )
    .await;
    w.open(&s.website, "contact", "/pricing", None).await;
    let count = |v: &Value| v["data"].as_array().unwrap().len();
    let (_, all_three) = app.get("/v2/conversations").await;
    assert_eq!(count(&all_three), 3);
    let (_, spring) = app.get("/v2/conversations?utm_campaign=spring").await;
    assert_eq!(
        (count(&spring), spring["data"][0]["id"].clone()),
        (1, b["conversation"]["id"].clone())
    );
    let (_, ads) = app.get("/v2/conversations?utm_source=ads").await;
    assert_eq!(count(&ads), 1);
    assert_eq!(ads["data"][0]["utm_params"]["campaign"], "summer");
    let (_, none) = app
        .get("/v2/conversations?utm_source=newsletter&utm_campaign=summer")
        .await;
    assert_eq!(count(&none), 0);

    // Another site's page is not a page of this website; tags are bounded like every text.
    let (st, e) = w
        .call(
            reqwest::Method::POST,
            &format!("/w/{}/conversations", s.website),
            Some(open(json!({}), "https://evil.example/x")),
        )
        .await;
    assert_eq!(
        (st, e["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("page_url")),
        "{e}"
    );
    let (st, e) = w
        .call(
            reqwest::Method::POST,
            &format!("/w/{}/conversations", s.website),
            Some(open(
                json!({"source": "s".repeat(256)}),
                "https://www.acme.example/",
            )),
        )
        .await;
    assert_eq!(
        (st, e["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("utm_params.source")),
        "{e}"
    );
}
both_backends!(
    conversations_keep_the_campaign_that_brought_the_visitor,
    conversations_keep_the_campaign_that_brought_the_visitor
);
