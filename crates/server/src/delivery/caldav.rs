//! A CalDAV client (RFC 4791, with RFC 6764's well-known address and the CalendarServer `getctag`
//! extension): finding an account's calendars, and reading a calendar's events in a window.
//! Every request goes through the address-guarded client, with Basic authentication.

use std::collections::HashMap;

use quick_xml::{escape::resolve_predefined_entity, events::Event, NsReader};
use reqwest::{Method, StatusCode, Url};

/// An account on a CalDAV server.
#[derive(Debug, Clone)]
pub struct Account {
    pub url: Url,
    pub username: String,
    pub password: String,
}

/// A calendar found by discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub url: Url,
    pub name: String,
}

/// One calendar object read: its address, its ETag and its iCalendar text.
#[derive(Debug, Clone)]
pub struct Object {
    pub href: String,
    pub etag: Option<String>,
    pub data: String,
}

/// The largest answer read from a CalDAV server.
const MAX_ANSWER: usize = 32 * 1024 * 1024;

/// The calendars of the account whose address is `a.url` (the server's root, its well-known
/// address, a principal, a calendar home, or a calendar itself) that hold events.
pub async fn discover(http: &reqwest::Client, a: &Account) -> Result<Vec<Calendar>, String> {
    // The address may be a calendar already.
    let here = propfind(http, a, &a.url, "0", PROPS_CALENDAR).await?;
    if let Some(c) = here.first().and_then(|r| calendar_of(&a.url, r)) {
        return Ok(vec![c]);
    }
    let principal = match here
        .first()
        .and_then(|r| r.hrefs("current-user-principal").first().cloned())
    {
        Some(p) => join(&a.url, &p)?,
        None => {
            // RFC 6764: the server's well-known address leads to the principal.
            let known = join(&a.url, "/.well-known/caldav")?;
            let found = propfind(http, a, &known, "0", PROPS_CALENDAR).await?;
            let p = found
                .first()
                .and_then(|r| r.hrefs("current-user-principal").first().cloned())
                .ok_or("The server does not say whose calendars these are (no current-user-principal): is this a CalDAV address?")?;
            join(&a.url, &p)?
        }
    };
    let homes = propfind(http, a, &principal, "0", PROPS_HOME).await?;
    let home = homes
        .first()
        .and_then(|r| r.hrefs("calendar-home-set").first().cloned())
        .ok_or("The server names no calendar home for this account.")?;
    let home = join(&principal, &home)?;
    let listed = propfind(http, a, &home, "1", PROPS_CALENDAR).await?;
    let mut out: Vec<Calendar> = listed
        .iter()
        .filter_map(|r| calendar_of(&home, r))
        .collect();
    out.sort_by(|x, y| x.name.cmp(&y.name));
    Ok(out)
}

/// The calendar's change tag (CalendarServer's `getctag`, else the RFC 6578 `sync-token`): when
/// it has not changed, neither have the events.
pub async fn change_tag(
    http: &reqwest::Client,
    a: &Account,
    calendar: &Url,
) -> Result<Option<String>, String> {
    let r = propfind(http, a, calendar, "0", PROPS_CALENDAR).await?;
    Ok(r.first().and_then(|r| {
        r.text("getctag")
            .or_else(|| r.text("sync-token"))
            .map(str::to_string)
    }))
}

/// The calendar's events that may overlap `[start, end)` (a `calendar-query` with a time range;
/// recurring events come whole, to be expanded by the reader).
pub async fn events(
    http: &reqwest::Client,
    a: &Account,
    calendar: &Url,
    start_ms: i64,
    end_ms: i64,
) -> Result<Vec<Object>, String> {
    let utc = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
            .unwrap_or_default()
    };
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:getetag/><c:calendar-data/></d:prop>
  <c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">
    <c:time-range start="{}" end="{}"/>
  </c:comp-filter></c:comp-filter></c:filter>
</c:calendar-query>"#,
        utc(start_ms),
        utc(end_ms)
    );
    let found = request(http, a, "REPORT", calendar, "1", body).await?;
    Ok(found
        .into_iter()
        .filter_map(|r| {
            let data = r.text("calendar-data")?.to_string();
            Some(Object {
                etag: r.text("getetag").map(str::to_string),
                href: r.href,
                data,
            })
        })
        .collect())
}

/// Puts `ics` at `url` (creating or replacing the event).
pub async fn put(http: &reqwest::Client, a: &Account, url: &Url, ics: &str) -> Result<(), String> {
    let resp = http
        .put(url.clone())
        .basic_auth(&a.username, Some(&a.password))
        .header("Content-Type", "text/calendar; charset=utf-8")
        .body(ics.to_string())
        .send()
        .await
        .map_err(unreachable)?;
    match resp.status() {
        s if s.is_success() => Ok(()),
        s => Err(refusal(s, url)),
    }
}

/// Deletes the event at `url`; one already gone is deleted too.
pub async fn delete(http: &reqwest::Client, a: &Account, url: &Url) -> Result<(), String> {
    let resp = http
        .delete(url.clone())
        .basic_auth(&a.username, Some(&a.password))
        .send()
        .await
        .map_err(unreachable)?;
    match resp.status() {
        s if s.is_success() || s == StatusCode::NOT_FOUND || s == StatusCode::GONE => Ok(()),
        s => Err(refusal(s, url)),
    }
}

fn unreachable(e: reqwest::Error) -> String {
    let (_, text) = super::send::classify(&e);
    format!("The CalDAV server cannot be reached: {text}")
}

fn refusal(s: StatusCode, url: &Url) -> String {
    match s {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            "The CalDAV server refused the username or password.".into()
        }
        s => format!("The CalDAV server answered {s} at {url}."),
    }
}

/// The address of the event `uid` in the calendar at `calendar`.
pub fn event_url(calendar: &Url, uid: &str) -> Url {
    let mut url = calendar.clone();
    if let Ok(mut p) = url.path_segments_mut() {
        p.pop_if_empty().push(&format!("{uid}.ics"));
    }
    url
}

const PROPS_CALENDAR: &str = r#"<d:prop><d:resourcetype/><d:displayname/><d:current-user-principal/>
  <c:supported-calendar-component-set/><cs:getctag/><d:sync-token/></d:prop>"#;
const PROPS_HOME: &str = r#"<d:prop><c:calendar-home-set/></d:prop>"#;

async fn propfind(
    http: &reqwest::Client,
    a: &Account,
    url: &Url,
    depth: &str,
    props: &str,
) -> Result<Vec<Response>, String> {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">{props}</d:propfind>"#
    );
    request(http, a, "PROPFIND", url, depth, body).await
}

async fn request(
    http: &reqwest::Client,
    a: &Account,
    method: &str,
    url: &Url,
    depth: &str,
    body: String,
) -> Result<Vec<Response>, String> {
    let method = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let resp = http
        .request(method, url.clone())
        .basic_auth(&a.username, Some(&a.password))
        .header("Depth", depth)
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(body)
        .send()
        .await
        .map_err(unreachable)?;
    match resp.status() {
        StatusCode::MULTI_STATUS => {}
        StatusCode::NOT_FOUND => return Err(format!("The CalDAV server has nothing at {url}.")),
        s => return Err(refusal(s, url)),
    }
    let text = read_capped(resp).await?;
    multistatus(&text).map_err(|e| format!("The CalDAV server's answer cannot be read: {e}"))
}

async fn read_capped(mut resp: reqwest::Response) -> Result<String, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("The CalDAV server's answer broke off: {e}"))?
    {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(format!(
                "The CalDAV server's answer is larger than {} MB.",
                MAX_ANSWER / (1024 * 1024)
            ));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| "The CalDAV server's answer is not UTF-8.".into())
}

fn join(base: &Url, href: &str) -> Result<Url, String> {
    base.join(href)
        .map_err(|e| format!("The CalDAV server gave an address that is not one ({href}): {e}"))
}

fn calendar_of(base: &Url, r: &Response) -> Option<Calendar> {
    if !r.has("resourcetype", "calendar") {
        return None;
    }
    // A calendar that says which components it holds must hold events.
    if r.names.contains_key("supported-calendar-component-set")
        && !r
            .components
            .iter()
            .any(|c| c.eq_ignore_ascii_case("VEVENT"))
    {
        return None;
    }
    let url = base.join(&r.href).ok()?;
    let name = r
        .text("displayname")
        .filter(|n| !n.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| {
            url.path_segments()
                .and_then(|mut s| s.rfind(|p| !p.is_empty()))
                .unwrap_or("calendar")
                .to_string()
        });
    Some(Calendar { url, name })
}

/// One `response` of a multistatus, with the properties its server found (status 200).
#[derive(Debug, Default, Clone)]
struct Response {
    href: String,
    /// Each property's text.
    texts: HashMap<String, String>,
    /// Each property's nested `href`s.
    nested: HashMap<String, Vec<String>>,
    /// Each property's nested element names (`resourcetype` → `collection`, `calendar`).
    names: HashMap<String, Vec<String>>,
    /// The `name` of each `comp` in `supported-calendar-component-set`.
    components: Vec<String>,
}

impl Response {
    fn text(&self, prop: &str) -> Option<&str> {
        self.texts
            .get(prop)
            .map(String::as_str)
            .filter(|t| !t.is_empty())
    }

    fn hrefs(&self, prop: &str) -> &[String] {
        self.nested.get(prop).map_or(&[], Vec::as_slice)
    }

    fn has(&self, prop: &str, child: &str) -> bool {
        self.names
            .get(prop)
            .is_some_and(|n| n.iter().any(|x| x == child))
    }
}

/// Reads a `multistatus` by local names (servers differ in prefixes, not in names).
fn multistatus(xml: &str) -> Result<Vec<Response>, String> {
    let mut reader = NsReader::from_str(xml);
    let mut out = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut current = Response::default();
    // The properties of the propstat being read, kept only if its status is 200.
    let mut pending = Response::default();
    let mut status_ok = false;
    let mut text = String::new();
    loop {
        let (start, empty) = match reader.read_event().map_err(|e| e.to_string())? {
            Event::Eof => break,
            Event::Start(e) => (Some(e.into_owned()), false),
            Event::Empty(e) => (Some(e.into_owned()), true),
            Event::End(_) => (None, false),
            Event::Text(t) => {
                text.push_str(&t.xml10_content().map_err(|e| e.to_string())?);
                continue;
            }
            Event::CData(t) => {
                text.push_str(&t.decode().map_err(|e| e.to_string())?);
                continue;
            }
            Event::GeneralRef(r) => {
                if let Some(ch) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                    text.push(ch);
                } else {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    text.push_str(resolve_predefined_entity(&name).unwrap_or_default());
                }
                continue;
            }
            _ => continue,
        };
        if let Some(e) = start {
            let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
            match name.as_str() {
                "response" => current = Response::default(),
                "propstat" => {
                    pending = Response::default();
                    status_ok = false;
                }
                _ => {}
            }
            if let Some(prop) = prop_of(&path) {
                pending
                    .names
                    .entry(prop.to_string())
                    .or_default()
                    .push(name.clone());
                if name == "comp" {
                    if let Some(Ok(a)) = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == b"name")
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map(|v| v.to_string())
                        })
                    {
                        pending.components.push(a);
                    }
                }
            }
            path.push(name);
            text.clear();
            if !empty {
                continue;
            }
        }
        // The end of the element on top of `path` (an empty element ends where it starts).
        let Some(name) = path.pop() else {
            return Err("an element ends that never started".into());
        };
        let value = std::mem::take(&mut text);
        let parent = path.last().map(String::as_str);
        match (name.as_str(), parent) {
            ("href", Some("response")) => current.href = value.trim().to_string(),
            ("href", _) => {
                if let Some(prop) = prop_of(&path) {
                    pending
                        .nested
                        .entry(prop.to_string())
                        .or_default()
                        .push(value.trim().to_string());
                }
            }
            ("status", Some("propstat")) => status_ok = value.contains(" 200"),
            ("propstat", _) if status_ok => {
                let p = std::mem::take(&mut pending);
                current.texts.extend(p.texts);
                current.nested.extend(p.nested);
                current.names.extend(p.names);
                current.components.extend(p.components);
            }
            ("response", _) => out.push(std::mem::take(&mut current)),
            (_, Some("prop")) => {
                pending.texts.insert(name, value.trim().to_string());
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The property an element at `path` belongs to: the element right under `prop`.
fn prop_of(path: &[String]) -> Option<&str> {
    let i = path.iter().rposition(|p| p == "prop")?;
    path.get(i + 1).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multistatus_is_read_by_local_names_and_only_found_properties_count() {
        let xml = r#"<?xml version="1.0"?>
<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/">
 <D:response><D:href>/olive/work/</D:href>
  <D:propstat><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype>
   <D:displayname>Work &amp; more</D:displayname>
   <C:supported-calendar-component-set><C:comp name="VEVENT"/><C:comp name="VTODO"/></C:supported-calendar-component-set>
   <CS:getctag>"42"</CS:getctag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
  <D:propstat><D:prop><D:current-user-principal/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>
 </D:response>
 <D:response><D:href>/olive/</D:href>
  <D:propstat><D:prop><D:current-user-principal><D:href>/olive/</D:href></D:current-user-principal>
   <C:calendar-data>BEGIN:VCALENDAR&#13;
END:VCALENDAR</C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
 </D:response>
</D:multistatus>"#;
        let r = multistatus(xml).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].href, "/olive/work/");
        assert!(r[0].has("resourcetype", "calendar"));
        assert_eq!(r[0].text("displayname"), Some("Work & more"));
        assert_eq!(r[0].components, ["VEVENT", "VTODO"]);
        assert_eq!(r[0].text("getctag"), Some("\"42\""));
        assert!(
            r[0].hrefs("current-user-principal").is_empty(),
            "a 404 property is not kept"
        );
        assert_eq!(r[1].hrefs("current-user-principal"), ["/olive/"]);
        assert_eq!(
            r[1].text("calendar-data"),
            Some("BEGIN:VCALENDAR\r\nEND:VCALENDAR")
        );
        let base = Url::parse("http://dav.example/").unwrap();
        assert_eq!(
            calendar_of(&base, &r[0]),
            Some(Calendar {
                url: Url::parse("http://dav.example/olive/work/").unwrap(),
                name: "Work & more".into()
            })
        );
        assert!(calendar_of(&base, &r[1]).is_none());
        assert!(multistatus("<a><b></a>").is_err());
    }
}
