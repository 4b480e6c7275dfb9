//! Message benchmarks; starts what it needs (run by `bench/messages.sh`):
//!
//! - email N: N confirmation emails as a booking writes them (text, HTML, invitation: about
//!   6 KB each) are already pending; a `slotline serve --role worker` process sends them to a
//!   local SMTP server and the time from the first accepted message to the last is measured:
//!   emails/s. The SMTP server is a minimal one in this program (so the figure is Slotline's
//!   side), or any other given as SMTP_URL (e.g. aiosmtpd) whose count is read from the database.
//! - reminders N: N upcoming bookings' reminders are written as their bookings write them (one
//!   row each, a thousand bookings per transaction); the write rate, the space each takes, how
//!   long the worker's claim takes while they all wait (it must not grow with them), and how
//!   fast they go out once due.
//!
//! Usage: message_bench SLOTLINE_BIN DATABASE_URL email N [SMTP_URL]
//!        message_bench SLOTLINE_BIN DATABASE_URL reminders N

use std::{
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use slotline::store::{
    accounts,
    notifications::{self, MessageId, NewMessage, Recipient},
    Batch, Db,
};
use slotline_domain::{
    ics,
    notice::{self, Notice},
    notifications::Channel,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A minimal SMTP server: accepts every message and counts them.
#[derive(Default)]
struct Sink {
    count: AtomicU64,
    first: Mutex<Option<Instant>>,
    last: Mutex<Option<Instant>>,
}

async fn smtp_session(sink: Arc<Sink>, stream: tokio::net::TcpStream) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r);
    w.write_all(b"220 bench ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match cmd.as_str() {
            "EHLO" => w.write_all(b"250-bench\r\n250 8BITMIME\r\n").await?,
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => w.write_all(b"250 OK\r\n").await?,
            "DATA" => {
                w.write_all(b"354 go\r\n").await?;
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                }
                let at = Instant::now();
                sink.first.lock().unwrap().get_or_insert(at);
                *sink.last.lock().unwrap() = Some(at);
                sink.count.fetch_add(1, Ordering::Relaxed);
                w.write_all(b"250 accepted\r\n").await?;
            }
            "QUIT" => {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => w.write_all(b"500 ?\r\n").await?,
        }
    }
}

async fn start_sink() -> (Arc<Sink>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let sink = Arc::new(Sink::default());
    let s = sink.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(smtp_session(s.clone(), stream));
        }
    });
    (sink, url)
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn worker(bin: &str, db: &str, smtp: &str) -> Process {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Process(
        Command::new(bin)
            .args(["serve", "--role", "worker", "--database-url", db])
            .args(["--listen", &format!("127.0.0.1:{port}"), "--smtp-url", smtp])
            .env("SLOTLINE_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start slotline"),
    )
}

/// A confirmation as `services::notify` renders one.
fn confirmation(i: usize, due: i64, kind: Notice) -> NewMessage {
    let who = format!("Guest {i}");
    let email = format!("guest{i}@bench.example");
    let start = due + 86_400_000;
    let values = [
        ("guest_name", who.as_str()),
        ("host_name", "Andrea Hartie"),
        ("subject", "Intro call"),
        ("when", &notice::when(start, "Europe/Paris")),
        ("duration", "30"),
        (
            "reschedule_url",
            "https://book.example.com/b/0123456789abcdef0123456789abcdef/reschedule",
        ),
        (
            "cancel_url",
            "https://book.example.com/b/0123456789abcdef0123456789abcdef/cancel",
        ),
    ];
    let r = notice::render(&notice::default_text(kind), &values);
    let attendees = [ics::Person {
        name: &who,
        email: &email,
    }];
    let invitation = (kind == Notice::GuestScheduled).then(|| {
        ics::render(&ics::Event {
            uid: &format!("BKNG-BENCH{i:08}@slotline"),
            start_ms: start,
            end_ms: start + 1_800_000,
            stamp_ms: due,
            sequence: 0,
            summary: "Intro call",
            description: "With Andrea Hartie.",
            location: "",
            url: "https://book.example.com/b/0123456789abcdef0123456789abcdef",
            cancelled: false,
            tentative: false,
            stored: false,
            invitation: Some(ics::Invitation {
                organizer: ics::Person {
                    name: "Andrea Hartie",
                    email: "andrea@bench.example",
                },
                attendees: &attendees,
            }),
        })
    });
    NewMessage {
        id: MessageId::new(Channel::Email),
        booking_id: None,
        kind,
        recipient: Recipient::Guest,
        recipient_name: who.clone(),
        address: email,
        subject: r.subject,
        text: r.text,
        html: Some(r.html),
        ics: invitation,
        due_time: due,
        expire_time: (kind == Notice::GuestReminder).then_some(due + 1_800_000),
    }
}

/// Writes `n` messages, a thousand per transaction; returns the seconds it took.
async fn write(
    db: &Db,
    account: &slotline_domain::id::AccountId,
    n: usize,
    due: i64,
    kind: Notice,
) -> f64 {
    let started = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut batch = Batch::default();
        for i in chunk {
            notifications::push(&mut batch, account, &confirmation(*i, due, kind), now_ms());
        }
        batch.run(db).await.expect("write messages");
    }
    started.elapsed().as_secs_f64()
}

async fn count_sent(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE status = 'sent'")
        .fetch_one(&mut *db.reader().await.unwrap())
        .await
        .unwrap()
}

/// Runs a worker until `n` messages are sent; the send rate from the first to the last.
async fn drain(bin: &str, url: &str, db: &Db, n: usize, external: Option<&str>) -> f64 {
    let (sink, sink_url) = start_sink().await;
    let smtp = external.unwrap_or(&sink_url);
    let _worker = worker(bin, url, smtp);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(600);
    loop {
        let done = match external {
            None => sink.count.load(Ordering::Relaxed) as usize,
            Some(_) => count_sent(db).await as usize,
        };
        if done >= n || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    match external {
        None => {
            let (first, last) = (
                sink.first.lock().unwrap().unwrap(),
                sink.last.lock().unwrap().unwrap(),
            );
            (n as f64 - 1.0) / (last - first).as_secs_f64()
        }
        Some(_) => n as f64 / started.elapsed().as_secs_f64(),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (bin, url, mode, n) = (
        &args[1],
        &args[2],
        args[3].as_str(),
        args[4].parse::<usize>().unwrap(),
    );
    let db = Db::connect(url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let account = accounts::create(
        &db,
        "Bench",
        "bench@bench.example",
        "UTC",
        "Bench",
        "Owner",
        now_ms(),
    )
    .await
    .unwrap();
    match mode {
        "email" => {
            write(&db, &account.id, n, now_ms(), Notice::GuestScheduled).await;
            let external = args.get(5).map(String::as_str);
            let rate = drain(bin, url, &db, n, external).await;
            let sample = confirmation(0, 0, Notice::GuestScheduled);
            let bytes = sample.text.len()
                + sample.html.map_or(0, |h| h.len())
                + sample.ics.map_or(0, |i| i.len());
            println!(
                "email: {n} confirmations ({bytes} bytes of text, HTML and invitation each) to {}: {rate:.0} emails/s",
                if external.is_some() { "the given SMTP server" } else { "a minimal local SMTP server" }
            );
        }
        "reminders" => {
            let size_before = size(&db, url).await;
            let due = now_ms() + 86_400_000;
            let took = write(&db, &account.id, n, due, Notice::GuestReminder).await;
            let size_after = size(&db, url).await;
            println!(
                "reminders: {n} written in {took:.2} s ({:.0}/s, 1000 per transaction), {:.0} bytes each on disk",
                n as f64 / took,
                (size_after - size_before) as f64 / n as f64
            );
            // The worker's claim while every reminder waits for tomorrow.
            let mut claims = Vec::new();
            for _ in 0..200 {
                let t = Instant::now();
                let got = notifications::claim(&db, now_ms(), now_ms() + 120_000, 16, "bench")
                    .await
                    .unwrap();
                assert!(got.is_empty());
                claims.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            claims.sort_by(f64::total_cmp);
            println!(
                "claim with {n} reminders waiting, none due: p50 {:.2} ms, p99 {:.2} ms",
                percentile(&claims, 0.5),
                percentile(&claims, 0.99)
            );
            // Their time comes (all at once, the worst case): how fast they go out.
            sqlx::query(
                "UPDATE notifications SET next_attempt_time = $1, due_time = $1, expire_time = $2",
            )
            .bind(now_ms())
            .bind(now_ms() + 3_600_000)
            .execute(&mut *db.writer().await.unwrap())
            .await
            .unwrap();
            let rate = drain(bin, url, &db, n, None).await;
            println!("reminders: {n} due at once sent at {rate:.0}/s");
        }
        other => panic!("unknown mode {other}"),
    }
}

/// The database's size in bytes.
async fn size(db: &Db, url: &str) -> i64 {
    if url.starts_with("postgres") {
        sqlx::query_scalar("SELECT pg_database_size(current_database())")
            .fetch_one(&mut *db.reader().await.unwrap())
            .await
            .unwrap()
    } else {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *db.writer().await.unwrap())
            .await
            .unwrap();
        std::fs::metadata(url).map(|m| m.len() as i64).unwrap_or(0)
    }
}
