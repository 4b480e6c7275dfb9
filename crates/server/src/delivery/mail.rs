//! Email out: a message as MIME (text and HTML alternatives, the invitation as a
//! `text/calendar` part) sent over SMTP (STARTTLS, implicit TLS or plain for a local relay,
//! with authentication), or written as an `.eml` file to a folder when no SMTP server is set.

use std::path::PathBuf;

use lettre::{
    message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart},
    transport::smtp::{authentication::Credentials, AsyncSmtpTransport},
    AsyncFileTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::store::notifications::Claimed;

/// Where email goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No SMTP server: each message becomes an `.eml` file in the folder.
    Folder(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// The sender's settings, as configured.
#[derive(Clone)]
pub struct MailSettings {
    pub mailer: Mailer,
    pub from: Mailbox,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let to = match &self.mailer {
            Mailer::Smtp(_) => "smtp".to_string(),
            Mailer::Folder(_, p) => p.display().to_string(),
        };
        f.debug_struct("MailSettings")
            .field("from", &self.from.to_string())
            .field("to", &to)
            .finish()
    }
}

impl MailSettings {
    /// From `--smtp-url` (`smtp://host:25` plain, `smtp://host:587?tls=required` STARTTLS,
    /// `smtps://host:465` implicit TLS; `user:password@` to authenticate), or the folder.
    pub fn new(
        smtp_url: Option<&str>,
        smtp_user: Option<&str>,
        smtp_password: Option<&str>,
        from: &str,
        dir: PathBuf,
    ) -> Result<MailSettings, String> {
        let from: Mailbox = from.parse().map_err(|e| {
            format!("--mail-from / SLOTLINE_MAIL_FROM must be an address such as 'Slotline <bookings@example.com>', not '{from}': {e}")
        })?;
        let mailer = match smtp_url {
            Some(url) => {
                let mut b = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
                    format!("--smtp-url / SLOTLINE_SMTP_URL is not an SMTP URL such as smtps://user:password@mail.example.com: {e}")
                })?;
                if let (Some(u), Some(p)) = (smtp_user, smtp_password) {
                    b = b.credentials(Credentials::new(u.to_string(), p.to_string()));
                }
                Mailer::Smtp(b.timeout(Some(std::time::Duration::from_secs(30))).build())
            }
            None => {
                std::fs::create_dir_all(&dir).map_err(|e| {
                    format!(
                        "--mail-dir / SLOTLINE_MAIL_DIR: cannot create {}: {e}",
                        dir.display()
                    )
                })?;
                Mailer::Folder(AsyncFileTransport::new(&dir), dir)
            }
        };
        Ok(MailSettings { mailer, from })
    }

    /// Where messages go, for the log and the demo.
    pub fn describe(&self) -> String {
        match &self.mailer {
            Mailer::Smtp(_) => "the SMTP server".into(),
            Mailer::Folder(_, dir) => format!("{} (one .eml file per message)", dir.display()),
        }
    }
}

/// Why a message was not sent.
#[derive(Debug)]
pub struct Failure {
    /// The server refused for good (5xx: no such mailbox, …): retrying cannot help.
    pub permanent: bool,
    pub error: String,
}

/// The domain of the Message-ID: the sender's.
fn domain(from: &Mailbox) -> &str {
    from.email.domain()
}

/// The MIME message for `c`. Its Message-ID derives from the notification's id, so a message
/// sent again after a crash carries the same one and mail programs show it once.
pub fn build(c: &Claimed, from: &Mailbox) -> Result<Message, Failure> {
    let refuse = |error: String| Failure {
        permanent: true,
        error,
    };
    let to = Mailbox::new(
        (!c.recipient_name.is_empty()).then(|| c.recipient_name.clone()),
        c.address
            .parse()
            .map_err(|e| refuse(format!("Not an email address: '{}': {e}", c.address)))?,
    );
    let alternative = match &c.html {
        Some(html) => MultiPart::alternative_plain_html(c.text.clone(), html.clone()),
        None => MultiPart::alternative().singlepart(SinglePart::plain(c.text.clone())),
    };
    let body = match &c.ics {
        Some(ics) => {
            let method = if ics.contains("\r\nMETHOD:CANCEL\r\n") {
                "CANCEL"
            } else {
                "REQUEST"
            };
            let kind =
                ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                    .map_err(|e| refuse(e.to_string()))?;
            MultiPart::mixed()
                .multipart(alternative)
                .singlepart(Attachment::new("invite.ics".into()).body(ics.clone(), kind))
        }
        None => alternative,
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&c.subject)
        .message_id(Some(format!("<{}@{}>", c.id, domain(from))))
        .multipart(body)
        .map_err(|e| refuse(e.to_string()))
}

/// Sends `c`; the Message-ID on success.
pub async fn send(settings: &MailSettings, c: &Claimed) -> Result<String, Failure> {
    let message = build(c, &settings.from)?;
    let id = format!("<{}@{}>", c.id, domain(&settings.from));
    match &settings.mailer {
        Mailer::Smtp(t) => t.send(message).await.map(|_| id).map_err(|e| Failure {
            permanent: e.is_permanent(),
            error: e.to_string(),
        }),
        Mailer::Folder(t, _) => t.send(message).await.map(|_| id).map_err(|e| Failure {
            permanent: false,
            error: e.to_string(),
        }),
    }
}
