//! What every list shares: query parameters, `limit`/`after`/`before`, `expand`, the
//! `{object: "list", data, has_more}` envelope and the absolute `Link` header.

use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use slotline_domain::{
    email,
    id::{Host, Id, Kind},
    time::Range,
};
use utoipa::ToSchema;

use crate::{
    http::error::{AppError, AppResult},
    store::page::{Cursor, Page, PageRequest},
};

/// The query string, decoded, in order. The first occurrence of a name wins.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Params {
        Params(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Refuses any parameter not in `allowed` with "Received unknown parameter: x".
    pub fn only(&self, allowed: &[&str]) -> AppResult<()> {
        match self.0.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            Some((k, _)) => Err(AppError::invalid(
                format!("Received unknown parameter: {k}"),
                k,
            )),
            None => Ok(()),
        }
    }

    pub fn page(&self) -> AppResult<PageRequest> {
        let limit = match self.get("limit") {
            None => 10,
            Some(raw) => {
                let n: i64 = raw
                    .trim()
                    .parse()
                    .map_err(|_| AppError::invalid(format!("Invalid integer: {raw}"), "limit"))?;
                if !(1..=100).contains(&n) {
                    return Err(AppError::invalid(
                        format!(
                            "Out of range value: {n}. Please provide a number between 1 and 100."
                        ),
                        "limit",
                    ));
                }
                n
            }
        };
        let cursor = match (
            self.get("after").filter(|s| !s.is_empty()),
            self.get("before").filter(|s| !s.is_empty()),
        ) {
            (Some(_), Some(_)) => {
                return Err(AppError::Invalid(slotline_domain::Invalid::without_param(
                    "Received both before and after parameters. Please provide only one.",
                )))
            }
            (Some(a), None) => Cursor::After(a.to_string()),
            (None, Some(b)) => Cursor::Before(b.to_string()),
            (None, None) => Cursor::None,
        };
        Ok(PageRequest { limit, cursor })
    }

    /// A filter that takes one value or several separated by commas (`status=a,b`), each
    /// accepted by `valid`; None when absent.
    pub fn one_of(
        &self,
        name: &str,
        valid: impl Fn(&str) -> bool,
    ) -> AppResult<Option<Vec<String>>> {
        let Some(raw) = self.get(name).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let list: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(bad) = list.iter().find(|s| !valid(s)) {
            return Err(AppError::invalid(format!("Invalid {name}: {bad}"), name));
        }
        Ok(Some(list))
    }

    /// A filter naming an object by id: an id of kind `K` (`Invalid owner: 'x'` otherwise);
    /// None when absent or empty.
    pub fn id<K: Kind>(&self, name: &str) -> AppResult<Option<Id<K>>> {
        self.parsed(name, Id::parse)
    }

    /// A filter naming a host: a user's id or a team's.
    pub fn host(&self, name: &str) -> AppResult<Option<Host>> {
        self.parsed(name, Host::parse)
    }

    fn parsed<T, E>(&self, name: &str, parse: fn(String) -> Result<T, E>) -> AppResult<Option<T>> {
        let Some(v) = self.get(name).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        parse(v.to_string())
            .map(Some)
            .map_err(|_| AppError::invalid(format!("Invalid {name}: '{v}'"), name))
    }

    /// A free-text filter within 255 characters; None when absent or empty.
    pub fn text(&self, name: &str) -> AppResult<Option<String>> {
        let Some(v) = self.get(name).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        slotline_domain::limits::check("title", name, v)?;
        Ok(Some(v.to_string()))
    }

    /// A filter that takes an email address; None when absent (present but empty is not an
    /// email address).
    pub fn email(&self, name: &str) -> AppResult<Option<String>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        if !email::is_valid(v) {
            return Err(AppError::invalid(
                format!("Invalid email format: '{v}'"),
                name,
            ));
        }
        Ok(Some(v.to_string()))
    }

    /// `<field>.gt` / `<field>.lt`.
    pub fn range(&self, field: &str) -> AppResult<Range> {
        Ok(Range::parse(
            field,
            self.get(&format!("{field}.gt")),
            self.get(&format!("{field}.lt")),
        )?)
    }

    /// The properties to expand, from `expand=a,b`, repeated `expand`, or `expand[]`. On a
    /// list the `data.` prefix is accepted and optional; each must be in `allowed`.
    pub fn expand(&self, allowed: &[&str], list: bool) -> AppResult<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for (k, v) in &self.0 {
            if k != "expand" && k != "expand[]" {
                continue;
            }
            for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let name = if list {
                    item.strip_prefix("data.").unwrap_or(item)
                } else {
                    item
                };
                if !allowed.contains(&name) {
                    return Err(AppError::invalid(
                        format!("This property cannot be expanded: {item}"),
                        "expand",
                    ));
                }
                if !out.iter().any(|o| o == name) {
                    out.push(name.to_string());
                }
            }
        }
        Ok(out)
    }
}

#[derive(Serialize, ToSchema)]
pub struct ListEnvelope<T> {
    /// Always `list`.
    pub object: &'static str,
    pub data: Vec<T>,
    /// Whether there are more items beyond this page in the direction of travel.
    pub has_more: bool,
}

/// The `Link` header: absolute URLs to the neighbouring pages that keep every other parameter
/// of the request. Absent when there is only one page.
pub fn link_header(
    base_url: &str,
    path: &str,
    params: &Params,
    limit: i64,
    page: &Page,
) -> Option<String> {
    let url_with = |cursor_name: &str, cursor: &str| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &params.0 {
            if k != "after" && k != "before" && k != "limit" {
                ser.append_pair(k, v);
            }
        }
        ser.append_pair(cursor_name, cursor);
        ser.append_pair("limit", &limit.to_string());
        format!("<{base_url}{path}?{}>", ser.finish())
    };
    let mut links = Vec::new();
    if let Some(after) = &page.next_after {
        links.push(format!("{}; rel=\"next\"", url_with("after", after)));
    }
    if let Some(before) = &page.previous_before {
        links.push(format!("{}; rel=\"previous\"", url_with("before", before)));
    }
    (!links.is_empty()).then(|| links.join(", "))
}

pub fn respond<T: Serialize>(
    base_url: &str,
    path: &str,
    params: &Params,
    req: &PageRequest,
    page: &Page,
    data: Vec<T>,
) -> Response {
    let mut res = Json(ListEnvelope {
        object: "list",
        data,
        has_more: page.has_more,
    })
    .into_response();
    if let Some(link) = link_header(base_url, path, params, req.limit, page) {
        if let Ok(v) = HeaderValue::from_str(&link) {
            res.headers_mut().insert(header::LINK, v);
        }
    }
    res
}

/// What a deleted object reads as: `{id, object, deleted: true}`.
#[derive(Serialize, ToSchema)]
pub struct Redacted {
    pub id: String,
    pub object: &'static str,
    pub deleted: bool,
}

/// What a DELETE answers: `{id, deleted: true}`.
#[derive(Serialize, ToSchema)]
pub struct DeletedObject {
    pub id: String,
    pub deleted: bool,
}

pub fn deleted(id: &str) -> Json<DeletedObject> {
    Json(DeletedObject {
        id: id.to_string(),
        deleted: true,
    })
}

pub fn redacted(id: &str, object: &'static str) -> Response {
    Json(Redacted {
        id: id.to_string(),
        object,
        deleted: true,
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use slotline_domain::id::kind;

    #[test]
    fn limit_is_one_to_a_hundred_defaulting_to_ten() {
        assert_eq!(Params::parse(None).page().unwrap().limit, 10);
        assert_eq!(Params::parse(Some("limit=100")).page().unwrap().limit, 100);
        let e = Params::parse(Some("limit=500")).page().unwrap_err();
        assert_eq!(
            e.body().message,
            "Out of range value: 500. Please provide a number between 1 and 100."
        );
        assert_eq!(e.body().param.as_deref(), Some("limit"));
        assert!(Params::parse(Some("limit=0")).page().is_err());
        assert!(Params::parse(Some("limit=ten")).page().is_err());
    }

    #[test]
    fn typed_filters_refuse_values_of_the_wrong_form_naming_the_parameter() {
        let p = Params::parse(Some(
            "owner=garbage&host=TM-ABC1&email=not-an-email&contact=",
        ));
        assert!(
            Params::parse(Some("email=")).email("email").is_err(),
            "empty is not an email address"
        );
        let e = p.id::<kind::User>("owner").unwrap_err();
        assert_eq!(
            (e.body().message.as_str(), e.body().param.as_deref()),
            ("Invalid owner: 'garbage'", Some("owner"))
        );
        assert_eq!(p.host("host").unwrap().as_deref(), Some("TM-ABC1"));
        assert!(p.id::<kind::User>("host").is_err());
        assert_eq!(
            p.id::<kind::Contact>("contact").unwrap(),
            None,
            "empty is absent"
        );
        let e = p.email("email").unwrap_err();
        assert_eq!(
            (e.body().message.as_str(), e.body().param.as_deref()),
            ("Invalid email format: 'not-an-email'", Some("email"))
        );
    }

    #[test]
    fn after_and_before_are_exclusive() {
        let e = Params::parse(Some("after=A&before=B")).page().unwrap_err();
        assert_eq!(
            e.body().message,
            "Received both before and after parameters. Please provide only one."
        );
        assert!(e.body().param.is_none());
    }

    #[test]
    fn expand_accepts_data_prefix_on_lists_only() {
        let p = Params::parse(Some("expand=data.owner,contact"));
        assert_eq!(
            p.expand(&["owner", "contact"], true).unwrap(),
            ["owner", "contact"]
        );
        let e = p.expand(&["owner", "contact"], false).unwrap_err();
        assert_eq!(
            e.body().message,
            "This property cannot be expanded: data.owner"
        );
        let e = Params::parse(Some("expand=invalid_property"))
            .expand(&["owner"], true)
            .unwrap_err();
        assert_eq!(
            e.body().message,
            "This property cannot be expanded: invalid_property"
        );
        assert_eq!(e.body().param.as_deref(), Some("expand"));
        assert_eq!(
            Params::parse(Some("expand[]=owner&expand[]=owner"))
                .expand(&["owner"], false)
                .unwrap(),
            ["owner"]
        );
    }

    #[test]
    fn link_keeps_filters_and_replaces_cursor() {
        let params = Params::parse(Some("email=a%40b.co&after=OLD&limit=5"));
        let page = Page {
            rows: vec![],
            has_more: true,
            next_after: Some("CTC-2".into()),
            previous_before: Some("CTC-1".into()),
        };
        let link = link_header("https://slot.example", "/v2/contacts", &params, 5, &page).unwrap();
        assert_eq!(
            link,
            "<https://slot.example/v2/contacts?email=a%40b.co&after=CTC-2&limit=5>; rel=\"next\", \
             <https://slot.example/v2/contacts?email=a%40b.co&before=CTC-1&limit=5>; rel=\"previous\""
        );
        let single = Page {
            rows: vec![],
            has_more: false,
            next_after: None,
            previous_before: None,
        };
        assert!(link_header("https://x", "/v2/contacts", &params, 5, &single).is_none());
    }
}
