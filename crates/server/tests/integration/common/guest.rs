//! A guest on the public pages, as a browser without script: follows no redirect by itself,
//! reads links and forms out of the HTML.

use reqwest::{header, redirect, Client, StatusCode};
use serde_json::Value;

pub struct Guest {
    pub base: String,
    http: Client,
}

pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: header::HeaderMap,
    pub html: String,
}

impl Guest {
    pub fn new(base: &str) -> Guest {
        Guest {
            base: base.to_string(),
            http: Client::builder()
                .redirect(redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn answer(res: reqwest::Response) -> Answer {
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

    /// GET of a path (`/c/x?…`) or an absolute URL.
    pub async fn open(&self, path: &str) -> Answer {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path.replace("&amp;", "&"))
        };
        Self::answer(self.http.get(url).send().await.unwrap()).await
    }

    /// Posts a form as a browser on our own pages would (with our `Origin`).
    pub async fn post(&self, path: &str, fields: &[(String, String)]) -> Answer {
        self.post_from(path, fields, Some(&self.base.clone())).await
    }

    pub async fn post_from(
        &self,
        path: &str,
        fields: &[(String, String)],
        origin: Option<&str>,
    ) -> Answer {
        let mut req = self
            .http
            .post(format!("{}{}", self.base, path))
            .form(fields);
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        Self::answer(req.send().await.unwrap()).await
    }
}

/// Decodes the few entities maud writes in attribute values.
pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every `href` of the page's time-slot links, in order.
pub fn slot_links(html: &str) -> Vec<String> {
    html.split("<a class=\"slot\" href=\"")
        .skip(1)
        .map(|rest| unescape(&rest[..rest.find('"').unwrap()]))
        .collect()
}

/// The value of the first `<input … name="NAME" value="…">` (hidden or not).
pub fn input(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(unescape(&rest[..rest.find('"')?]))
}

/// Attribute `name` of one tag's text.
fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(unescape(&tag[at..at + tag[at..].find('"')?]))
}

/// What a browser would post from the first post form as it stands: every named input
/// (checkboxes and radios only when checked), textareas, and each select's selected option.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let form = &html[html.find("<form method=\"post\"").expect("a post form")..];
    fields_in(&form[..form.find("</form>").unwrap()])
}

/// What a browser would post from the form whose `action` is `action`.
pub fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let at = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posts to {action}: {html}"));
    let start = html[..at].rfind("<form").unwrap();
    let form = &html[start..];
    fields_in(&form[..form.find("</form>").unwrap()])
}

fn fields_in(form: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        let tag = &rest[..rest.find('>').unwrap() + 1];
        if tag.starts_with("<input") {
            let kind = attr(tag, "type").unwrap_or_default();
            let checked = tag.contains(" checked");
            if let Some(name) = attr(tag, "name") {
                if (checked || !matches!(kind.as_str(), "checkbox" | "radio")) && kind != "submit" {
                    out.push((name, attr(tag, "value").unwrap_or_default()));
                }
            }
        } else if tag.starts_with("<textarea") {
            let body = &rest[tag.len()..];
            out.push((
                attr(tag, "name").unwrap(),
                unescape(&body[..body.find("</textarea>").unwrap()]),
            ));
        } else if tag.starts_with("<select") {
            let name = attr(tag, "name").unwrap();
            let body = &rest[..rest.find("</select>").unwrap()];
            let chosen = body
                .split("<option")
                .skip(1)
                .find(|o| o.contains(" selected"))
                // A browser sends the first option when none is selected.
                .or_else(|| body.split("<option").nth(1))
                .and_then(|o| attr(&format!(" {o}"), "value"));
            out.push((name, chosen.unwrap_or_default()));
        }
        rest = &rest[1..];
    }
    out
}

/// The data the page hands its script: `{origin, events, redirect}`.
pub fn frame_data(html: &str) -> Value {
    let start = html.find("id=\"sl-data\">").expect("the page's data block") + 13;
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).expect("JSON data block")
}

/// The query parameters of a URL, decoded.
pub fn params(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}
