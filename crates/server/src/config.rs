//! Server settings, from flags or `SLOTLINE_*` environment variables.

use std::net::SocketAddr;

#[derive(Debug, Clone, clap::Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "SLOTLINE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Database: an SQLite file path (created if missing) or a postgres:// URL.
    #[arg(long, env = "SLOTLINE_DATABASE_URL", default_value = "slotline.db")]
    pub database_url: String,
    /// Base URL the server is reached at; every absolute URL it writes starts with it.
    /// Defaults to http://<listen>.
    #[arg(long, env = "SLOTLINE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// API requests per second allowed per account; 0 switches the limit off.
    #[arg(long, env = "SLOTLINE_RATE_LIMIT", default_value_t = 5)]
    pub rate_limit: u32,
    /// Bookings, cancellations and reschedules a client address may post on the public pages per
    /// minute; 0 switches the limit off.
    #[arg(long, env = "SLOTLINE_BOOKING_RATE_LIMIT", default_value_t = 10)]
    pub booking_rate_limit: u32,
    /// Seconds without a reply from the visitor after which a chatbot conversation is abandoned.
    #[arg(long, env = "SLOTLINE_CONVERSATION_IDLE", default_value_t = 600)]
    pub conversation_idle: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SLOTLINE_BODY_LIMIT", default_value_t = 1_048_576)]
    pub body_limit: usize,
    /// Development only: accept plain http:// webhook URLs on loopback addresses.
    #[arg(long, env = "SLOTLINE_ALLOW_HTTP_WEBHOOKS", default_value_t = false)]
    pub allow_http_webhooks: bool,
    /// What this process runs: the API and pages, the webhook worker, or both.
    #[arg(long, env = "SLOTLINE_ROLE", value_enum, default_value_t = Role::All)]
    pub role: Role,
    /// Internal addresses webhooks may reach anyway, as CIDRs separated by commas
    /// (loopback, private, link-local, CGNAT, unique-local and metadata addresses are refused).
    #[arg(long, env = "SLOTLINE_WEBHOOK_ALLOW", default_value = "", value_parser = parse_cidrs)]
    pub webhook_allow: Cidrs,
    /// Seconds a webhook endpoint has to answer (the connection: 5 s at most).
    #[arg(long, env = "SLOTLINE_WEBHOOK_TIMEOUT", default_value_t = 15)]
    pub webhook_timeout: u64,
    /// Forward proxy for webhook requests (http://host:port). Without it none is used, whatever
    /// HTTP_PROXY or HTTPS_PROXY say; with it, each destination is still checked first.
    #[arg(long, env = "SLOTLINE_WEBHOOK_PROXY", value_parser = parse_proxy)]
    pub webhook_proxy: Option<reqwest::Url>,
    /// Webhook attempts in flight at once in this process.
    #[arg(long, env = "SLOTLINE_WEBHOOK_CONCURRENCY", default_value_t = 256)]
    pub webhook_concurrency: usize,
    /// Webhook attempts in flight at once per webhook.
    #[arg(long, env = "SLOTLINE_WEBHOOK_PER_ENDPOINT", default_value_t = 32)]
    pub webhook_per_endpoint: usize,
    /// PostgreSQL connections this process opens at most (SQLite: one writer, four readers).
    #[arg(long, env = "SLOTLINE_DATABASE_POOL", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_pool: u32,
    /// Milliseconds a request waits for a database connection (SQLite: for its turn to write)
    /// before it is answered 503 with Retry-After, nothing done.
    #[arg(long, env = "SLOTLINE_DATABASE_WAIT_MS", default_value_t = 3000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub database_wait_ms: u64,
    /// Days the webhook attempt log is kept (0: forever).
    #[arg(long, env = "SLOTLINE_KEEP_ATTEMPTS_DAYS", default_value_t = 30)]
    pub keep_attempts_days: u32,
    /// Days an event is kept once none of its deliveries is pending, with its deliveries (0:
    /// forever). An event still being delivered is kept until its deliveries end.
    #[arg(long, env = "SLOTLINE_KEEP_EVENTS_DAYS", default_value_t = 30)]
    pub keep_events_days: u32,
    /// Hours an `Idempotency-Key`'s first answer is kept (replays are answered for 24 hours,
    /// so at least 24).
    #[arg(long, env = "SLOTLINE_KEEP_IDEMPOTENCY_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(24..))]
    pub keep_idempotency_hours: u32,
    /// Open client connections in all (lowered to what the open-files limit allows); more are
    /// answered 503 and closed.
    #[arg(long, env = "SLOTLINE_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Open client connections from one address; more are answered 503 and closed.
    #[arg(
        long,
        env = "SLOTLINE_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 256
    )]
    pub max_connections_per_address: usize,
    /// Seconds a connection may wait for or take to send a request's head (so also how long an
    /// idle keep-alive connection stays open), and may pause inside a request body.
    #[arg(long, env = "SLOTLINE_IDLE_TIMEOUT", default_value_t = 20)]
    pub idle_timeout: u64,
    /// Address for Prometheus metrics at `/metrics`; off when not set. Keep it private: it is
    /// served without an API key.
    #[arg(long, env = "SLOTLINE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// SMTP server for email: smtp://host:25 (plain, a local relay), smtp://host:587?tls=required
    /// (STARTTLS) or smtps://host:465 (TLS); user:password@ in the URL or the next two flags.
    /// Without it, email is written as .eml files to --mail-dir.
    #[arg(long, env = "SLOTLINE_SMTP_URL")]
    pub smtp_url: Option<String>,
    #[arg(long, env = "SLOTLINE_SMTP_USER")]
    pub smtp_user: Option<String>,
    #[arg(long, env = "SLOTLINE_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// The sender of email, e.g. 'Bookings <bookings@example.com>'; default no-reply@ the
    /// public URL's host.
    #[arg(long, env = "SLOTLINE_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Folder for .eml files when no SMTP server is set.
    #[arg(long, env = "SLOTLINE_MAIL_DIR", default_value = "slotline-mail")]
    pub mail_dir: std::path::PathBuf,
    /// Twilio account for SMS (with --twilio-auth-token and --sms-from); without it, no SMS.
    #[arg(long, env = "SLOTLINE_TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,
    #[arg(long, env = "SLOTLINE_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub twilio_auth_token: Option<String>,
    /// The sending number (+15551234567) or Messaging Service (MG…).
    #[arg(long, env = "SLOTLINE_SMS_FROM")]
    pub sms_from: Option<String>,
    /// Base URL of the SMS provider's API (Twilio's, or a compatible server).
    #[arg(
        long,
        env = "SLOTLINE_SMS_API_URL",
        default_value = "https://api.twilio.com"
    )]
    pub sms_api_url: String,
    /// The key that seals calendar credentials at rest (64 hex digits; made when missing).
    /// Default: `slotline-secret.key` beside an SQLite database, or in the working directory.
    #[arg(long, env = "SLOTLINE_SECRET_KEY_FILE")]
    pub secret_key_file: Option<std::path::PathBuf>,
    /// Base URL of the Jitsi Meet server whose rooms `jitsi` locations get.
    #[arg(
        long,
        env = "SLOTLINE_MEETING_URL",
        default_value = "https://meet.jit.si"
    )]
    pub meeting_url: String,
    /// Seconds between two reads of each connected calendar.
    #[arg(long, env = "SLOTLINE_CALENDAR_SYNC_EVERY", default_value_t = 300)]
    pub calendar_sync_every: u64,
    /// An OpenID Connect provider for single sign-on to the hosts' app (its issuer URL, e.g.
    /// https://login.example.com/realms/staff); off when not set. Register
    /// <public URL>/app/sign-in/sso/callback with it as the redirect URI.
    #[arg(long, env = "SLOTLINE_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// The client id Slotline has at the provider.
    #[arg(long, env = "SLOTLINE_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// The client's secret (none for a public client, which PKCE protects).
    #[arg(long, env = "SLOTLINE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// What the sign-in page's button calls the provider.
    #[arg(long, env = "SLOTLINE_OIDC_NAME", default_value = "single sign-on")]
    pub oidc_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    All,
    Api,
    Worker,
}

/// A parsed allow list (clap needs one type for the whole value).
#[derive(Debug, Clone, Default)]
pub struct Cidrs(pub Vec<ipnet::IpNet>);

fn parse_proxy(s: &str) -> Result<reqwest::Url, String> {
    let u = reqwest::Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err("a proxy URL such as http://proxy.internal:3128".into());
    }
    Ok(u)
}

fn parse_cidrs(s: &str) -> Result<Cidrs, String> {
    slotline_domain::destination::parse_allowed(s).map(Cidrs)
}

impl ServeConfig {
    /// Settings for tests and embedding: everything at its default but what is given.
    pub fn new(listen: SocketAddr, database_url: &str) -> ServeConfig {
        ServeConfig {
            listen,
            database_url: database_url.to_string(),
            public_url: None,
            rate_limit: 5,
            booking_rate_limit: 10,
            conversation_idle: 600,
            body_limit: 1_048_576,
            allow_http_webhooks: false,
            role: Role::All,
            webhook_allow: Cidrs::default(),
            webhook_timeout: 15,
            webhook_concurrency: 256,
            webhook_per_endpoint: 32,
            webhook_proxy: None,
            database_pool: 16,
            database_wait_ms: 3000,
            keep_attempts_days: 30,
            keep_events_days: 30,
            keep_idempotency_hours: 24,
            max_connections: 10_000,
            max_connections_per_address: 256,
            idle_timeout: 20,
            metrics_listen: None,
            smtp_url: None,
            smtp_user: None,
            smtp_password: None,
            mail_from: None,
            mail_dir: "slotline-mail".into(),
            twilio_account_sid: None,
            twilio_auth_token: None,
            sms_from: None,
            sms_api_url: "https://api.twilio.com".into(),
            secret_key_file: None,
            meeting_url: "https://meet.jit.si".into(),
            calendar_sync_every: 300,
            oidc_issuer: None,
            oidc_client_id: None,
            oidc_client_secret: None,
            oidc_name: "single sign-on".into(),
        }
    }

    /// The single sign-on provider, when one is configured.
    pub fn single_sign_on(
        &self,
    ) -> Result<Option<crate::services::single_sign_on::Provider>, String> {
        let Some(issuer) = &self.oidc_issuer else {
            return Ok(None);
        };
        let client_id = self
            .oidc_client_id
            .as_deref()
            .ok_or("--oidc-issuer needs --oidc-client-id / SLOTLINE_OIDC_CLIENT_ID")?;
        if !url::Url::parse(issuer).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            return Err(format!(
                "--oidc-issuer / SLOTLINE_OIDC_ISSUER must be an https:// URL, not '{issuer}'"
            ));
        }
        let path = self.secret_key_path();
        let key = crate::secrets::SecretKey::load_or_create(&path)
            .map_err(|e| format!("the secret key file {}: {e}", path.display()))?;
        crate::services::single_sign_on::Provider::new(
            issuer,
            client_id,
            self.oidc_client_secret.as_deref(),
            &self.oidc_name,
            key,
        )
        .map(Some)
    }

    /// Where the server key is: as configured, else beside an SQLite database file, else in the
    /// working directory.
    pub fn secret_key_path(&self) -> std::path::PathBuf {
        const NAME: &str = "slotline-secret.key";
        if let Some(p) = &self.secret_key_file {
            return p.clone();
        }
        let url = &self.database_url;
        let file = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if !url.contains("postgres") && !file.contains(":memory:") {
            if let Some(dir) = std::path::Path::new(file.split('?').next().unwrap_or(file)).parent()
            {
                return dir.join(NAME);
            }
        }
        NAME.into()
    }

    /// The calendar worker's settings: the same address guard as webhooks, the server key.
    pub fn calendars(
        &self,
        name: std::sync::Arc<str>,
    ) -> Result<crate::delivery::calendars::CalendarConfig, String> {
        let path = self.secret_key_path();
        let key = crate::secrets::SecretKey::load_or_create(&path)
            .map_err(|e| format!("the secret key file {}: {e}", path.display()))?;
        let mut policy = self.worker().policy;
        policy.timeout = std::time::Duration::from_secs(30);
        Ok(crate::delivery::calendars::CalendarConfig {
            http: crate::delivery::send::calendar_client(&policy),
            policy,
            key,
            every: std::time::Duration::from_secs(self.calendar_sync_every.max(10)),
            poll: std::time::Duration::from_secs(5),
            name,
        })
    }

    /// The message worker's settings: the mail sender and, when configured, the SMS provider.
    pub fn messages(
        &self,
        name: std::sync::Arc<str>,
    ) -> Result<crate::delivery::messages::MessageConfig, String> {
        let host = url::Url::parse(&self.base_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .filter(|h| h.contains('.') && h.parse::<std::net::IpAddr>().is_err())
            .unwrap_or_else(|| "localhost".into());
        let from = self
            .mail_from
            .clone()
            .unwrap_or_else(|| format!("Slotline <no-reply@{host}>"));
        let mail = crate::delivery::mail::MailSettings::new(
            self.smtp_url.as_deref(),
            self.smtp_user.as_deref(),
            self.smtp_password.as_deref(),
            &from,
            self.mail_dir.clone(),
        )?;
        let sms = match (
            &self.twilio_account_sid,
            &self.twilio_auth_token,
            &self.sms_from,
        ) {
            (None, None, None) => None,
            (Some(sid), Some(token), Some(from)) => {
                if !url::Url::parse(&self.sms_api_url)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
                {
                    return Err(format!(
                        "--sms-api-url / SLOTLINE_SMS_API_URL must be an http(s) URL, not '{}'",
                        self.sms_api_url
                    ));
                }
                Some(crate::delivery::sms::SmsSettings {
                    api_url: self.sms_api_url.clone(),
                    account_sid: sid.clone(),
                    auth_token: token.clone(),
                    from: from.clone(),
                    status_callback: format!("{}/sms/status", self.base_url()),
                })
            }
            _ => return Err(
                "SMS needs all three of --twilio-account-sid, --twilio-auth-token and --sms-from"
                    .into(),
            ),
        };
        Ok(crate::delivery::messages::MessageConfig::new(
            mail, sms, name,
        ))
    }

    /// How many connections the server keeps and how long it waits for clients.
    pub fn connection_limits(&self) -> crate::http::connections::Limits {
        crate::http::connections::Limits {
            max_connections: self.max_connections.max(1),
            per_address: self.max_connections_per_address.max(1),
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout.max(1)),
        }
    }

    /// The webhook worker's settings. Development mode (plain http allowed) also opens loopback.
    /// What this process may take of the database.
    pub fn database_limits(&self) -> crate::store::Limits {
        crate::store::Limits {
            pool: self.database_pool,
            wait: std::time::Duration::from_millis(self.database_wait_ms),
        }
    }

    /// How long history is kept (see `services::retention`).
    pub fn retention(&self) -> crate::services::retention::Periods {
        let days = |d: u32| (d > 0).then(|| i64::from(d) * 86_400_000);
        crate::services::retention::Periods {
            attempts_ms: days(self.keep_attempts_days),
            events_ms: days(self.keep_events_days),
            idempotency_ms: i64::from(self.keep_idempotency_hours) * 3_600_000,
        }
    }

    pub fn worker(&self) -> crate::delivery::WorkerConfig {
        let mut allowed = self.webhook_allow.0.clone();
        if self.allow_http_webhooks {
            allowed.extend(
                ["127.0.0.0/8", "::1/128"].map(|n| n.parse::<ipnet::IpNet>().expect("loopback")),
            );
        }
        let policy = crate::delivery::send::Policy {
            allowed,
            allow_http: self.allow_http_webhooks,
            connect_timeout: std::time::Duration::from_secs(self.webhook_timeout.clamp(1, 5)),
            timeout: std::time::Duration::from_secs(self.webhook_timeout.max(1)),
            proxy: self.webhook_proxy.clone(),
        };
        let mut w = crate::delivery::WorkerConfig::new(policy);
        w.concurrency = self.webhook_concurrency.max(1);
        w.per_webhook = self.webhook_per_endpoint.max(1);
        w
    }

    /// Settings that parse but cannot work, refused at start naming the flag.
    pub fn check(&self) -> Result<(), String> {
        if let Some(u) = &self.public_url {
            let ok = url::Url::parse(u)
                .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some());
            if !ok {
                return Err(format!(
                    "--public-url / SLOTLINE_PUBLIC_URL must be an http:// or https:// URL such as https://book.example.com, not '{u}'"
                ));
            }
        }
        if !url::Url::parse(&self.meeting_url)
            .is_ok_and(|p| p.scheme() == "https" && p.host().is_some())
        {
            return Err(format!(
                "--meeting-url / SLOTLINE_MEETING_URL must be an https:// URL such as https://meet.jit.si, not '{}'",
                self.meeting_url
            ));
        }
        self.messages("check".into())?;
        self.single_sign_on()?;
        Ok(())
    }

    /// The public base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }
}
