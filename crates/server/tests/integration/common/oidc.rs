//! A real OpenID Connect provider for tests: npm's oidc-provider (installed by `.ci/run` in
//! `crates/server/tests/oidc`), started per test on a chosen port with one client, `slotline`.
//! Its development login accepts any login; the login is the email address it vouches for.

#![allow(dead_code)]

use std::{process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

pub const CLIENT_ID: &str = "slotline";
pub const CLIENT_SECRET: &str = "test-client-secret";

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");

/// A free port for the provider, chosen before the app starts (the app needs the issuer, the
/// provider the app's redirect URI).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub struct OidcProvider {
    pub issuer: String,
    _child: Child,
}

impl OidcProvider {
    /// Starts the provider on `port`; None when it is not installed outside CI.
    pub async fn start(port: u16, redirect_uri: &str) -> Option<OidcProvider> {
        if !std::path::Path::new(DIR)
            .join("node_modules/oidc-provider")
            .exists()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs oidc-provider (npm ci --prefix crates/server/tests/oidc)"
            );
            eprintln!("skipping: oidc-provider is not installed");
            return None;
        }
        let mut child = Command::new("node")
            .current_dir(DIR)
            .args(["provider.mjs", &port.to_string(), redirect_uri])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start node");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("ready") {
                    return true;
                }
            }
            false
        })
        .await
        .unwrap_or(false);
        assert!(ready, "oidc-provider did not start");
        // It keeps writing notices: keep reading, or its next write fails and it stops.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Some(OidcProvider {
            issuer: format!("http://127.0.0.1:{port}"),
            _child: child,
        })
    }
}
