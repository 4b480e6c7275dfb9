//! A readable reference rendered on the server from our OpenAPI document: no script, no CDN,
//! so it works on a machine with no outside network.

use std::{fmt::Write, sync::OnceLock};

use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use slotline_domain::html::escape;

/// The reference to `document` (the OpenAPI JSON, the same every call), with the security
/// headers of every page (it may not be framed).
pub fn page(document: &'static str) -> Response {
    static PAGE: OnceLock<String> = OnceLock::new();
    let page: &'static str = PAGE.get_or_init(|| {
        let doc: Value = serde_json::from_str(document).unwrap_or_default();
        render(&doc)
    });
    let mut res = Html(page).into_response();
    crate::http::layout::secure(res.headers_mut(), "'none'");
    res
}

fn schema_name(s: &Value) -> String {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    if let Some(items) = s.get("items") {
        return format!("array of {}", schema_name(items));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = s.get(key).and_then(Value::as_array) {
            return list.iter().map(schema_name).collect::<Vec<_>>().join(" | ");
        }
    }
    match s.get("type") {
        Some(Value::String(t)) => escape(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(escape)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".into(),
    }
}

pub fn render(doc: &Value) -> String {
    let mut out = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Slotline API reference</title><style>\
         body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1d232b}\
         h2{border-bottom:1px solid #ccd;padding-top:1rem}code,.path{font-family:ui-monospace,monospace}\
         .op{border:1px solid #dde;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}\
         .m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}\
         .ext{background:#fff3cd;border-radius:4px;padding:0 .4rem;font-size:.8rem;margin-left:.5rem}\
         table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eef;text-align:left;padding:.2rem .4rem;vertical-align:top}\
         </style></head><body><h1>Slotline API reference</h1>\
         <p>Every operation under <code>/v2</code> takes the <code>API-Key</code> header. Errors are <code>{type, message, param}</code>. \
         The machine-readable document is at <a href=\"/v2/openapi.json\">/v2/openapi.json</a>. \
         Operations marked <span class=\"ext\">extension</span> are Slotline's own; the rest follow OnceHub API v2.</p>",
    );
    // (tag, [(method, path, operation)])
    type Operations<'a> = Vec<(String, String, &'a Value)>;
    let mut by_tag: Vec<(String, Operations)> = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in ["get", "post", "patch", "put", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let tag = op
                    .get("tags")
                    .and_then(|t| t.get(0))
                    .and_then(Value::as_str)
                    .unwrap_or("Other")
                    .to_string();
                match by_tag.iter_mut().find(|(t, _)| *t == tag) {
                    Some((_, ops)) => ops.push((method.to_string(), path.clone(), op)),
                    None => by_tag.push((tag, vec![(method.to_string(), path.clone(), op)])),
                }
            }
        }
    }
    for (tag, ops) in &by_tag {
        let _ = write!(out, "<h2>{}</h2>", escape(tag));
        for (method, path, op) in ops {
            let ext = op.get("x-slotline-extension").is_some();
            let _ = write!(
                out,
                "<div class=\"op\" id=\"{}\"><div><span class=\"m\">{}</span> <span class=\"path\">{}</span>{}</div>",
                escape(op.get("operationId").and_then(Value::as_str).unwrap_or("")),
                method,
                escape(path),
                if ext { "<span class=\"ext\">extension</span>" } else { "" }
            );
            if let Some(d) = op
                .get("description")
                .or_else(|| op.get("summary"))
                .and_then(Value::as_str)
            {
                let _ = write!(out, "<p>{}</p>", escape(d));
            }
            if let Some(params) = op.get("parameters").and_then(Value::as_array) {
                out.push_str("<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>");
                for p in params {
                    let _ = write!(
                        out,
                        "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(p.get("name").and_then(Value::as_str).unwrap_or("")),
                        if p.get("required") == Some(&Value::Bool(true)) {
                            " *"
                        } else {
                            ""
                        },
                        escape(p.get("in").and_then(Value::as_str).unwrap_or("")),
                        p.get("schema").map(schema_name).unwrap_or_default(),
                        escape(p.get("description").and_then(Value::as_str).unwrap_or(""))
                    );
                }
                out.push_str("</table>");
            }
            if let Some(s) = op.pointer("/requestBody/content/application~1json/schema") {
                let _ = write!(out, "<p>Body: {}</p>", schema_name(s));
            }
            if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                let list: Vec<String> = responses
                    .iter()
                    .map(
                        |(code, r)| match r.pointer("/content/application~1json/schema") {
                            Some(s) => format!("<code>{}</code> {}", escape(code), schema_name(s)),
                            None => format!("<code>{}</code>", escape(code)),
                        },
                    )
                    .collect();
                let _ = write!(out, "<p>Responses: {}</p>", list.join(", "));
            }
            out.push_str("</div>");
        }
    }
    out.push_str("<h2>Objects</h2>");
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, s) in schemas {
            let _ = write!(out, "<h3 id=\"schema-{0}\">{0}</h3>", escape(name));
            if let Some(d) = s.get("description").and_then(Value::as_str) {
                let _ = write!(out, "<p>{}</p>", escape(d));
            }
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                out.push_str("<table><tr><th>field</th><th>type</th><th>description</th></tr>");
                for (field, p) in props {
                    let _ = write!(
                        out,
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                        escape(field),
                        schema_name(p),
                        escape(p.get("description").and_then(Value::as_str).unwrap_or(""))
                    );
                }
                out.push_str("</table>");
            }
        }
    }
    out.push_str("</body></html>");
    out
}
