//! The `slotline` command: serve, demo, migrate, account and key administration, and the
//! webhook tools for integrators.

mod demo;
mod webhook;

use clap::{Parser, Subcommand};
use slotline_domain::id::{AccountId, ApiKeyId};

use crate::{
    app,
    clock::{Clock, SystemClock},
    config::ServeConfig,
    state::AppState,
    store::{self, accounts, keys, Db},
};

#[derive(Parser)]
#[command(
    name = "slotline",
    version,
    about = "Self-hostable scheduling server, wire-compatible with the OnceHub API v2"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// How log lines on stderr are written: `text`, or `json` (one object per line, with the
    /// request's id, method and route).
    #[arg(long, global = true, env = "SLOTLINE_LOG_FORMAT", value_enum, default_value_t = crate::telemetry::LogFormat::Text)]
    pub log_format: crate::telemetry::LogFormat,
}

#[derive(clap::Args, Clone)]
pub struct DbArg {
    /// Database: an SQLite file path (created if missing) or a postgres:// URL.
    #[arg(long, env = "SLOTLINE_DATABASE_URL", default_value = "slotline.db")]
    pub database_url: String,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API and pages.
    Serve(ServeConfig),
    /// Serve with a seeded demo account, and print an API key to try it with.
    Demo {
        #[command(flatten)]
        config: ServeConfig,
        /// Also write the demo API key to this file (for scripts).
        #[arg(long)]
        key_file: Option<std::path::PathBuf>,
        /// Also write the owner's sign-in password for the hosts' app to this file (for scripts).
        #[arg(long)]
        password_file: Option<std::path::PathBuf>,
    },
    /// Apply database migrations and exit.
    Migrate(DbArg),
    /// Account administration.
    #[command(subcommand)]
    Account(AccountCmd),
    /// API key administration.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Tools for receivers of webhooks: a local verifying listener, and verification of a saved request.
    #[command(subcommand)]
    Webhook(webhook::WebhookCmd),
}

#[derive(Subcommand)]
pub enum AccountCmd {
    /// Create an account and its owner user; prints the account id.
    Create {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        name: String,
        /// The owner's email; `GET /v2/test` names the account by it.
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "UTC")]
        timezone: String,
        #[arg(long, default_value = "Account")]
        owner_first_name: String,
        #[arg(long, default_value = "Owner")]
        owner_last_name: String,
    },
    /// List accounts.
    List(DbArg),
}

#[derive(Subcommand)]
pub enum KeyCmd {
    /// Create a named key; the key is printed once and never stored.
    Create {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        account: AccountId,
        #[arg(long, default_value = "General API Key")]
        name: String,
    },
    /// List an account's keys (never the secrets).
    List {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        account: AccountId,
    },
    /// Revoke a key by its id; it stops working at once.
    Revoke {
        #[command(flatten)]
        db: DbArg,
        key_id: ApiKeyId,
    },
}

pub type CliResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

async fn open(url: &str) -> Result<Db, Box<dyn std::error::Error + Send + Sync>> {
    open_with(url, store::Limits::default()).await
}

async fn open_with(
    url: &str,
    limits: store::Limits,
) -> Result<Db, Box<dyn std::error::Error + Send + Sync>> {
    let db = Db::connect_with(url, limits)
        .await
        .map_err(|e| database_error(url, &e.to_string()))?;
    db.migrate().await.map_err(|e| {
        format!(
            "could not migrate the database {} (--database-url): {e}",
            store::redacted_url(url)
        )
    })?;
    if db.autovacuum_off().await? {
        tracing::warn!("PostgreSQL runs with autovacuum off: without table statistics its plans can read whole histories; switch it on or ANALYZE regularly");
    }
    Ok(db)
}

/// A start-up failure to open the database, naming the setting and what to do.
fn database_error(url: &str, error: &str) -> String {
    let shown = store::redacted_url(url);
    let hint = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        "check that PostgreSQL is running at that address, that the user may log in, and that the database exists (createdb <name>)"
    } else {
        "check that the folder exists and this user may write there (the file itself is created when missing)"
    };
    format!("could not open the database {shown} (--database-url / SLOTLINE_DATABASE_URL): {error}; {hint}")
}

/// A start-up failure to listen, naming the setting and what to do.
pub fn listen_error(setting: &str, addr: std::net::SocketAddr, e: &std::io::Error) -> String {
    let hint = match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            "another program uses that port: stop it or choose another port"
        }
        std::io::ErrorKind::PermissionDenied => {
            "ports below 1024 need privileges: choose a port of 1024 or above"
        }
        std::io::ErrorKind::AddrNotAvailable => {
            "that address is not one of this machine's: use 127.0.0.1 or 0.0.0.0"
        }
        _ => "choose another address",
    };
    format!("could not listen on {addr} ({setting}): {e}; {hint}")
}

/// Serves `/metrics` on `--metrics-listen`, when it is set.
pub async fn start_metrics(config: &ServeConfig) -> Result<(), String> {
    let Some(addr) = config.metrics_listen else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| listen_error("--metrics-listen / SLOTLINE_METRICS_LISTEN", addr, &e))?;
    tracing::info!(listen = %addr, "metrics at /metrics");
    tokio::spawn(async move {
        if let Err(e) = crate::telemetry::serve_metrics(listener).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(())
}

pub async fn run(cli: Cli) -> CliResult {
    let now = || SystemClock.now_ms();
    match cli.command {
        Command::Serve(config) => {
            config.check()?;
            let db = open_with(&config.database_url, config.database_limits()).await?;
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .map_err(|e| listen_error("--listen / SLOTLINE_LISTEN", config.listen, &e))?;
            start_metrics(&config).await?;
            tracing::info!(listen = %listener.local_addr()?, public_url = %config.base_url(), "slotline serving");
            app::serve(AppState::new(db, &config), listener).await?;
        }
        Command::Demo {
            config,
            key_file,
            password_file,
        } => demo::run(config, key_file, password_file).await?,
        Command::Webhook(cmd) => webhook::run(cmd).await?,
        Command::Migrate(db) => {
            open(&db.database_url).await?;
            println!("migrations applied");
        }
        Command::Account(AccountCmd::Create {
            db,
            name,
            email,
            timezone,
            owner_first_name,
            owner_last_name,
        }) => {
            if !slotline_domain::email::is_valid(&email) {
                return Err(format!("invalid email: {email}").into());
            }
            if !slotline_domain::timezone::is_valid(&timezone) {
                return Err(format!("unknown time zone: {timezone}").into());
            }
            let db = open(&db.database_url).await?;
            let acc = accounts::create(
                &db,
                &name,
                &email,
                &timezone,
                &owner_first_name,
                &owner_last_name,
                now(),
            )
            .await?;
            println!("{}", acc.id);
        }
        Command::Account(AccountCmd::List(db)) => {
            let db = open(&db.database_url).await?;
            for a in accounts::list(&db).await? {
                println!("{}\t{}\t{}\t{}", a.id, a.email, a.timezone, a.name);
            }
        }
        Command::Key(KeyCmd::Create { db, account, name }) => {
            let db = open(&db.database_url).await?;
            if accounts::get(&db, &account).await?.is_none() {
                return Err(format!("no such account: {account}").into());
            }
            let (info, secret) = keys::create(&db, &account, &name, now()).await?;
            eprintln!(
                "created key {} ({}); it is shown only this once:",
                info.id, info.name
            );
            println!("{secret}");
        }
        Command::Key(KeyCmd::List { db, account }) => {
            let db = open(&db.database_url).await?;
            for k in keys::list(&db, &account).await? {
                let state = if k.revoked_time.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}…\t{}\t{}",
                    k.id,
                    state,
                    k.hint,
                    slotline_domain::time::format_millis(k.creation_time),
                    k.name
                );
            }
        }
        Command::Key(KeyCmd::Revoke { db, key_id }) => {
            let db = open(&db.database_url).await?;
            if !keys::revoke(&db, &key_id, now()).await? {
                return Err(format!("no active key {key_id}").into());
            }
            println!("revoked {key_id}");
        }
    }
    Ok(())
}
