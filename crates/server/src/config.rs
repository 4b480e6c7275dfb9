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
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SLOTLINE_BODY_LIMIT", default_value_t = 1_048_576)]
    pub body_limit: usize,
    /// Development only: accept plain http:// webhook URLs on loopback addresses.
    #[arg(long, env = "SLOTLINE_ALLOW_HTTP_WEBHOOKS", default_value_t = false)]
    pub allow_http_webhooks: bool,
}

impl ServeConfig {
    /// The public base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }
}
