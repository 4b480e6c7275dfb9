//! Chromium through ChromeDriver (Debian's `chromium` and `chromium-driver`) for the browser
//! tests: a screenshot of each step in `target/e2e-screenshots/<test>/`, and an accessibility
//! check of the page with axe-core (from npm; `.ci/run` installs it).
//!
//! Without Chromium a test is skipped, except under CI (`CI` set), where it fails.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Browser {
    driver: Child,
    pub client: Client,
    shots: PathBuf,
    step: usize,
}

impl Browser {
    /// Chromium through ChromeDriver; the browser believes it is in Paris.
    pub async fn start(name: &str) -> Option<Browser> {
        if !std::path::Path::new(CHROMEDRIVER).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
            );
            eprintln!("skipping the browser test: {CHROMEDRIVER} not found");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .env("TZ", "Europe/Paris")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,1000"]
            }
        }))
        .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/e2e-screenshots")
            .join(name);
        std::fs::create_dir_all(&shots).unwrap();
        Some(Browser {
            driver,
            client: client.expect("a ChromeDriver session"),
            shots,
            step: 0,
        })
    }

    pub async fn shot(&mut self, what: &str) {
        self.step += 1;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{:02}-{what}.png", self.step)), png).unwrap();
    }

    pub async fn css(&self, selector: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector}: {e}"))
    }

    /// Enters the (first) booking iframe once its page shows `ready`.
    pub async fn enter_booking_frame(&self, ready: &str) {
        self.css("iframe").await.enter_frame().await.unwrap();
        self.css(ready).await;
    }

    /// Waits until the top window's path is `path`.
    pub async fn wait_for_path(&self, path: &str) -> url::Url {
        for _ in 0..100 {
            if let Ok(u) = self.client.current_url().await {
                if u.path() == path {
                    return u;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the top window never reached {path}: {:?}",
            self.client.current_url().await
        );
    }

    /// Types an answer in the chat and sends it.
    pub async fn answer(&self, text: &str) {
        self.css("#input input[name=answer]")
            .await
            .send_keys(text)
            .await
            .unwrap();
        self.css("#input button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    pub async fn stop(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where `.ci/run` installs axe-core.
const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/axe/node_modules/axe-core/axe.min.js"
);

impl Browser {
    /// Runs axe-core in the page as it stands and fails on any serious or critical violation
    /// of WCAG 2.x A/AA (what `what` names the page in the message). Without axe-core installed
    /// the check is skipped, except under CI.
    pub async fn check_accessibility(&self, what: &str) {
        let Ok(source) = std::fs::read_to_string(AXE) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs {AXE} (npm ci --prefix crates/server/tests/axe)"
            );
            eprintln!("skipping the accessibility check: {AXE} not found");
            return;
        };
        self.client
            .execute(&format!("{source}\nreturn true;"), vec![])
            .await
            .unwrap();
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
                   .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                       nodes: v.nodes.map(n => n.target.join(' ') + ' ' + n.html.slice(0, 120))}))))
                   .catch(e => done([{id: 'axe-failed', impact: 'critical', help: String(e), nodes: []}]));",
                vec![],
            )
            .await
            .unwrap();
        let serious: Vec<&Value> = found
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(
            serious.is_empty(),
            "{what}: accessibility violations: {}",
            serde_json::to_string_pretty(&serious).unwrap()
        );
    }

    /// Opens `url` and waits until `selector` is on the page.
    pub async fn open(&self, url: &str, selector: &str) {
        self.client.goto(url).await.unwrap();
        self.css(selector).await;
    }

    /// Types `text` into the field `selector`, replacing what it holds.
    pub async fn fill(&self, selector: &str, text: &str) {
        let field = self.css(selector).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Clicks the element `selector`.
    pub async fn click(&self, selector: &str) {
        self.css(selector).await.click().await.unwrap();
    }
}
