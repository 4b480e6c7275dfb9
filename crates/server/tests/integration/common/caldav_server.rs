//! A real CalDAV server for tests: Radicale (from PyPI, in the workspace's `.venv`, which
//! `.ci/run` makes), started per test on a free port with one user and an empty store. Calendars
//! and events are put there over CalDAV as any client would.

#![allow(dead_code)]

use std::{path::PathBuf, process::Stdio, time::Duration};

use tokio::process::{Child, Command};

pub const USER: &str = "olive";
pub const PASSWORD: &str = "app-password-1";

pub struct CaldavServer {
    pub port: u16,
    dir: PathBuf,
    _child: Child,
    http: reqwest::Client,
}

impl CaldavServer {
    /// Starts Radicale; None when it is missing outside CI (under CI it must be there).
    pub async fn start() -> Option<CaldavServer> {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let dir =
            std::env::temp_dir().join(format!("slotline-dav-{port}-{}", rand::random::<u32>()));
        std::fs::create_dir_all(dir.join("collections")).unwrap();
        std::fs::write(dir.join("users"), format!("{USER}:{PASSWORD}\n")).unwrap();
        let config = format!(
            "[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\nhtpasswd_encryption = plain\n\
             [storage]\nfilesystem_folder = {col}\n[rights]\ntype = owner_only\n[logging]\nlevel = warning\n",
            users = dir.join("users").display(),
            col = dir.join("collections").display(),
        );
        std::fs::write(dir.join("config"), config).unwrap();
        let child = Command::new(super::smtp::python())
            .args(["-m", "radicale", "--config"])
            .arg(dir.join("config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start python");
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let s = CaldavServer {
            port,
            dir,
            _child: child,
            http,
        };
        for _ in 0..200 {
            if s.http.get(s.url("/")).send().await.is_ok() {
                return Some(s);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if std::env::var_os("CI").is_some() {
            panic!("Radicale did not start (pip install radicale into .venv)");
        }
        eprintln!("skipping: Radicale did not start (pip install radicale into .venv)");
        None
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Makes a calendar at `/olive/<slug>/` holding `components` (e.g. `["VEVENT"]`).
    pub async fn calendar(&self, slug: &str, name: &str, components: &[&str]) -> String {
        let comps: String = components
            .iter()
            .map(|c| format!(r#"<C:comp name="{c}"/>"#))
            .collect();
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>{name}</D:displayname><C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#
        );
        let url = self.url(&format!("/{USER}/{slug}/"));
        let r = self
            .http
            .request(reqwest::Method::from_bytes(b"MKCALENDAR").unwrap(), &url)
            .basic_auth(USER, Some(PASSWORD))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "MKCALENDAR {url}");
        url
    }

    /// Puts one calendar object (an `.ics` with one or more VEVENTs of one UID).
    pub async fn put(&self, calendar_url: &str, name: &str, ics: &str) {
        let r = self
            .http
            .put(format!("{calendar_url}{name}.ics"))
            .basic_auth(USER, Some(PASSWORD))
            .header("Content-Type", "text/calendar; charset=utf-8")
            .body(ics.to_string())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "PUT {name}: {}", r.status());
    }

    /// The calendar object at `<calendar>/<name>`, if there is one.
    pub async fn get(&self, calendar_url: &str, name: &str) -> Option<String> {
        let r = self
            .http
            .get(format!("{calendar_url}{name}"))
            .basic_auth(USER, Some(PASSWORD))
            .send()
            .await
            .unwrap();
        if r.status() == 404 {
            return None;
        }
        assert!(r.status().is_success(), "GET {name}: {}", r.status());
        Some(r.text().await.unwrap())
    }

    /// Waits (up to 10 s) until the object at `<calendar>/<name>` satisfies `done`.
    pub async fn wait_for(
        &self,
        calendar_url: &str,
        name: &str,
        done: impl Fn(&Option<String>) -> bool,
    ) -> Option<String> {
        let mut last = None;
        for _ in 0..200 {
            last = self.get(calendar_url, name).await;
            if done(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{name} never got there: {last:?}");
    }

    pub async fn delete(&self, calendar_url: &str, name: &str) {
        let r = self
            .http
            .delete(format!("{calendar_url}{name}.ics"))
            .basic_auth(USER, Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "DELETE {name}: {}", r.status());
    }
}

impl Drop for CaldavServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
