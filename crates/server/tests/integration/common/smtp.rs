//! A real SMTP server for the tests: `tests/support/smtp_sink.py` (Python's aiosmtpd) on a free
//! port, keeping each message it accepts as a file. Messages read back are parsed as MIME by
//! `mail-parser` and their invitations by the `icalendar` crate's parser.

use std::{path::PathBuf, process::Stdio, time::Duration};

use mail_parser::MimeHeaders;

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// The Python that has aiosmtpd: `SLOTLINE_TEST_PYTHON`, else the workspace's `.venv` (which
/// `.ci/run` makes), else `python3`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SLOTLINE_TEST_PYTHON") {
        return p.into();
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

/// One message as the server received it.
pub struct Received {
    pub raw: Vec<u8>,
    /// The envelope's recipients.
    pub to: Vec<String>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("a MIME message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }

    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    /// The `text/calendar` part, if any: its `method` parameter and its text.
    pub fn calendar(&self) -> Option<(String, String)> {
        let m = self.parsed();
        m.parts.iter().find_map(|p| {
            let ct = p.content_type()?;
            (ct.ctype() == "text" && ct.subtype() == Some("calendar")).then(|| {
                let method = ct.attribute("method").unwrap_or_default().to_string();
                let text = String::from_utf8_lossy(p.contents()).into_owned();
                (method, text)
            })
        })
    }

    /// The invitation's event, parsed: (METHOD, UID, SEQUENCE, DTSTART, DTEND) as written.
    pub fn invitation(&self) -> Option<Invitation> {
        let (_, text) = self.calendar()?;
        let unfolded = icalendar::parser::unfold(&text);
        let cal = icalendar::parser::read_calendar(&unfolded).expect("an iCalendar file");
        let prop = |comp: &icalendar::parser::Component, name: &str| {
            comp.properties
                .iter()
                .find(|p| p.name.as_str() == name)
                .map(|p| p.val.as_str().to_string())
                .unwrap_or_default()
        };
        let method = cal
            .properties
            .iter()
            .find(|p| p.name.as_str() == "METHOD")
            .map(|p| p.val.as_str().to_string())
            .unwrap_or_default();
        let event = cal
            .components
            .iter()
            .find(|c| c.name.as_str() == "VEVENT")
            .expect("a VEVENT");
        Some(Invitation {
            method,
            uid: prop(event, "UID"),
            sequence: prop(event, "SEQUENCE").parse().unwrap_or(-1),
            start: prop(event, "DTSTART"),
            end: prop(event, "DTEND"),
            organizer: prop(event, "ORGANIZER"),
            attendee: prop(event, "ATTENDEE"),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Invitation {
    pub method: String,
    pub uid: String,
    pub sequence: i64,
    pub start: String,
    pub end: String,
    pub organizer: String,
    pub attendee: String,
}

impl SmtpSink {
    /// Starts the server; None when aiosmtpd is missing outside CI (under CI it must be there).
    pub async fn start() -> Option<SmtpSink> {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let dir =
            std::env::temp_dir().join(format!("slotline-smtp-{port}-{}", rand::random::<u32>()));
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = Command::new(python())
            .arg(&script)
            .arg(port.to_string())
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start python");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
        match ready {
            Ok(Ok(Some(l))) if l == "ready" => Some(SmtpSink { port, dir, child }),
            other => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use tokio::io::AsyncReadExt;
                    let _ =
                        tokio::time::timeout(Duration::from_secs(2), e.read_to_string(&mut err))
                            .await;
                }
                if std::env::var_os("CI").is_some() {
                    panic!("the test SMTP server did not start ({other:?}): {err}");
                }
                eprintln!(
                    "skipping: the test SMTP server did not start (pip install aiosmtpd): {err}"
                );
                None
            }
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Messages received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        names.sort();
        names
            .into_iter()
            .map(|p| {
                let envelope: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(p.with_extension("json")).unwrap())
                        .unwrap();
                Received {
                    raw: std::fs::read(&p).unwrap(),
                    to: envelope["to"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_string())
                        .collect(),
                }
            })
            .collect()
    }

    /// Waits (up to 15 s) until at least `n` messages arrived; all of them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..300 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got = self.received();
        panic!(
            "expected {n} messages, the SMTP server received {}: {:?}",
            got.len(),
            got.iter().map(|r| r.subject()).collect::<Vec<_>>()
        );
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
