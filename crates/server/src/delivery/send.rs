//! One attempt: a signed POST of an event's stored bytes to a webhook's URL, and what came back.
//!
//! The destination is checked where the connection is made: host names resolve through
//! [`GuardedResolver`], which drops every address the operator has not allowed, so a name that
//! resolves to a public address at creation and to 127.0.0.1 later gets nowhere. Addresses
//! written in the URL are checked before the request.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use slotline_domain::destination;

/// The first bytes of a response body kept in the attempt log.
pub const BODY_LIMIT: usize = 16 * 1024;

/// What the sender needs to know about where it may go.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Addresses allowed although internal (loopback, private, …).
    pub allowed: Vec<IpNet>,
    /// Plain `http://` allowed (development only).
    pub allow_http: bool,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// The forward proxy every attempt goes through, when the operator configured one. Proxy
    /// variables of the environment are never used.
    pub proxy: Option<reqwest::Url>,
}

/// Refusal of an address, recognizable in reqwest's error chain.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Refused {}

/// Resolves names with the system resolver, keeping only addresses webhooks may reach.
struct GuardedResolver {
    allowed: Arc<Vec<IpNet>>,
    /// The configured proxy's host: the operator chose it, so it may be internal.
    proxy_host: Option<String>,
}

/// Every address `host` resolves to, or why it may not be reached: the first refused one.
pub async fn resolve_checked(host: &str, allowed: &[IpNet]) -> Result<Vec<SocketAddr>, String> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| format!("{host} does not resolve: {e}"))?
        .collect();
    let mut why = None;
    let ok: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| match destination::refused(a.ip(), allowed) {
            None => true,
            Some(w) => {
                why = Some(format!(
                    "{host} resolves to {} ({w}), which this server may not reach (--webhook-allow)",
                    a.ip()
                ));
                false
            }
        })
        .collect();
    match (ok.is_empty(), why) {
        (true, why) => Err(why.unwrap_or_else(|| format!("{host} does not resolve"))),
        (false, _) => Ok(ok),
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.allowed.clone();
        let is_proxy = self.proxy_host.as_deref() == Some(name.as_str());
        Box::pin(async move {
            let host = name.as_str().to_string();
            if is_proxy {
                let found: Vec<SocketAddr> =
                    tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
                return Ok(Box::new(found.into_iter()) as Addrs);
            }
            match resolve_checked(&host, &allowed).await {
                Ok(ok) => Ok(Box::new(ok.into_iter()) as Addrs),
                Err(msg) => Err(Box::new(Refused(msg)) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

/// The HTTP client every attempt uses: keep-alive pools per destination, no redirects, header
/// names in their conventional capitalisation, and no proxy taken from the environment (the
/// guard would only ever see the proxy's address).
pub fn client(policy: &Policy, per_host: usize) -> reqwest::Client {
    builder(policy, "Slotline-Webhooks")
        .http1_title_case_headers()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(per_host)
        .build()
        .expect("HTTP client")
}

/// The client that reads calendars: the same guard (each redirect's host resolves through it
/// too), up to five redirects (feeds move; `webcal` links land on `https`).
pub fn calendar_client(policy: &Policy) -> reqwest::Client {
    builder(policy, "Slotline-Calendars")
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .expect("HTTP client")
}

fn builder(policy: &Policy, agent: &str) -> reqwest::ClientBuilder {
    let proxy_host = policy
        .proxy
        .as_ref()
        .and_then(|p| p.host_str())
        .map(str::to_string);
    let builder = match policy
        .proxy
        .as_ref()
        .and_then(|p| reqwest::Proxy::all(p.clone()).ok())
    {
        Some(proxy) => reqwest::Client::builder().proxy(proxy),
        None => reqwest::Client::builder().no_proxy(),
    };
    builder
        .user_agent(format!(
            "{agent}/{} (+https://github.com/slotline)",
            env!("CARGO_PKG_VERSION")
        ))
        .connect_timeout(policy.connect_timeout)
        .timeout(policy.timeout)
        .dns_resolver(Arc::new(GuardedResolver {
            allowed: Arc::new(policy.allowed.clone()),
            proxy_host,
        }))
}

/// What one attempt got.
#[derive(Debug, Clone)]
pub struct Response {
    pub duration_ms: i64,
    pub status: Option<u16>,
    pub error_kind: Option<&'static str>,
    pub error: Option<String>,
    /// JSON object of the response headers.
    pub headers: Option<String>,
    pub body: Option<String>,
    pub retry_after: Option<String>,
}

fn failure(started: Instant, kind: &'static str, error: String) -> Response {
    Response {
        duration_ms: started.elapsed().as_millis() as i64,
        status: None,
        error_kind: Some(kind),
        error: Some(error),
        headers: None,
        body: None,
        retry_after: None,
    }
}

/// Why `url` may not be called at all, before any connection.
pub fn refused_url(url: &reqwest::Url, policy: &Policy) -> Option<String> {
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http => {}
        "http" => return Some("plain http:// addresses are not allowed on this server".into()),
        other => return Some(format!("unsupported scheme {other}")),
    }
    let ip: Option<IpAddr> = match url.host() {
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        Some(url::Host::Domain(_)) => None,
        None => return Some("the URL has no host".into()),
    };
    ip.and_then(|ip| {
        destination::refused(ip, &policy.allowed)
            .map(|why| format!("{ip} is {why}, which this server may not reach (--webhook-allow)"))
    })
}

pub fn classify(e: &reqwest::Error) -> (&'static str, String) {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut text = e.to_string();
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return ("address", r.0.clone());
        }
        let t = s.to_string();
        // rustls's error is wrapped in io::Error by the layers between; recognize what it says.
        const TLS_WORDS: [&str; 7] = [
            "certificate",
            "tls",
            "TLS",
            "handshake",
            "corrupt message",
            "alert",
            "peer is incompatible",
        ];
        if TLS_WORDS.iter().any(|w| t.contains(w)) {
            return ("tls", format!("TLS: {t}"));
        }
        text = t;
        source = s.source();
    }
    if e.is_timeout() {
        ("timeout", "no response within the time limit".into())
    } else if e.is_connect() {
        ("connect", text)
    } else if e.is_body() || e.is_decode() {
        ("body", text)
    } else {
        ("connect", text)
    }
}

/// POSTs `body` to `url` with the signature headers; never panics, every failure is a value.
pub async fn post(
    client: &reqwest::Client,
    policy: &Policy,
    url: &str,
    headers: &[(&'static str, String)],
    body: Arc<str>,
) -> Response {
    let started = Instant::now();
    let parsed = match reqwest::Url::parse(url) {
        Ok(u) => u,
        Err(e) => return failure(started, "address", format!("invalid URL: {e}")),
    };
    if let Some(why) = refused_url(&parsed, policy) {
        return failure(started, "address", why);
    }
    // Through a proxy our resolver only ever sees the proxy: judge the destination's own
    // addresses before asking the proxy to connect to it.
    if policy.proxy.is_some() {
        if let Some(url::Host::Domain(host)) = parsed.host() {
            if let Err(why) = resolve_checked(host, &policy.allowed).await {
                return failure(started, "address", why);
            }
        }
    }
    let mut req = client
        .post(parsed)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let mut res = match req.body(body.as_bytes().to_vec()).send().await {
        Ok(r) => r,
        Err(e) => {
            let (kind, text) = classify(&e);
            return failure(started, kind, text);
        }
    };
    let status = res.status().as_u16();
    let mut map = serde_json::Map::new();
    for (name, value) in res.headers() {
        let v = String::from_utf8_lossy(value.as_bytes()).to_string();
        match map.get_mut(name.as_str()) {
            Some(serde_json::Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(&v);
            }
            _ => {
                map.insert(name.as_str().to_string(), v.into());
            }
        }
    }
    let retry_after = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Keep the first 16 KB; a body that breaks off is still a response.
    let mut kept: Vec<u8> = Vec::new();
    let mut body_error = None;
    loop {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                let room = BODY_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if kept.len() >= BODY_LIMIT {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                body_error = Some(classify(&e));
                break;
            }
        }
    }
    let ok = (200..300).contains(&status);
    // A 2xx whose body breaks off was still accepted: the receiver answered.
    let (error_kind, error) = match body_error {
        _ if ok => (None, None),
        None => (
            Some("status"),
            Some(format!("the endpoint answered {status}")),
        ),
        Some((_, text)) => (
            Some("status"),
            Some(format!(
                "the endpoint answered {status}; reading its body failed: {text}"
            )),
        ),
    };
    Response {
        duration_ms: started.elapsed().as_millis() as i64,
        status: Some(status),
        error_kind,
        error,
        headers: Some(serde_json::Value::Object(map).to_string()),
        body: Some(String::from_utf8_lossy(&kept).into_owned()),
        retry_after,
    }
}
