//! A person using the hosts' app as a browser without script would: keeps the cookies the
//! server sets, sends them back, posts forms with this server's `Origin`, follows no redirect
//! by itself.

use std::collections::BTreeMap;

use reqwest::{header, redirect, Client};

use super::guest::{form_fields, Answer};

pub struct Person {
    pub base: String,
    http: Client,
    /// Cookies by name.
    pub cookies: BTreeMap<String, String>,
}

impl Person {
    pub fn new(base: &str) -> Person {
        Person {
            base: base.to_string(),
            http: Client::builder()
                .redirect(redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path.replace("&amp;", "&"))
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn take(&mut self, res: reqwest::Response) -> Answer {
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_string(), value.trim().to_string());
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_string());
        Answer {
            status,
            location,
            headers,
            html: res.text().await.unwrap(),
        }
    }

    pub async fn open(&mut self, path: &str) -> Answer {
        let req = self
            .http
            .get(self.url(path))
            .header(header::COOKIE, self.cookie_header());
        let res = req.send().await.unwrap();
        self.take(res).await
    }

    /// Posts fields as a form of this server's pages would.
    pub async fn post(&mut self, path: &str, fields: &[(String, String)]) -> Answer {
        let origin = self.base.clone();
        self.post_from(path, fields, Some(&origin)).await
    }

    pub async fn post_from(
        &mut self,
        path: &str,
        fields: &[(String, String)],
        origin: Option<&str>,
    ) -> Answer {
        let mut req = self
            .http
            .post(self.url(path))
            .header(header::COOKIE, self.cookie_header())
            .form(fields);
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        let res = req.send().await.unwrap();
        self.take(res).await
    }

    /// Fills the form of `page` that posts to `action` with `values` over what it holds, and
    /// posts it.
    pub async fn submit(&mut self, page: &str, action: &str, values: &[(&str, &str)]) -> Answer {
        let mut fields = form_fields(page, action);
        for (k, v) in values {
            fields.retain(|(name, _)| name != k);
            fields.push((k.to_string(), v.to_string()));
        }
        self.post(action, &fields).await
    }

    /// Opens the sign-in page and signs in.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Answer {
        let page = self.open("/app/sign-in").await;
        self.submit(
            &page.html,
            "/app/sign-in",
            &[("email", email), ("password", password)],
        )
        .await
    }
}
