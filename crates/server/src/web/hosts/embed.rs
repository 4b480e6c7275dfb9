//! The embed code generator of booking calendars and booking pages: the snippet that puts a
//! public page on a website inline, as a lightbox behind a button, or behind a floating button,
//! with the guest's name and email prefilled; and a bare page holding the snippet, which the
//! generator frames as a live preview.

use axum::{http::StatusCode, response::Response};
use maud::{html, Markup, PreEscaped};

use super::layout;
use crate::web::query::Query;

/// The snippet that embeds the public page at `path` the way `query` asks (`embed`: inline,
/// lightbox, floating; `text`; prefill `name`, `email`).
pub fn snippet(base: &str, path: &str, query: &Query) -> String {
    let esc = slotline_domain::html::escape;
    let text = query
        .get("text")
        .filter(|t| !t.trim().is_empty())
        .unwrap_or("Book a meeting");
    let params: Vec<(&str, &str)> = ["name", "email"]
        .into_iter()
        .filter_map(|k| query.get(k).filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
    let prefill = if params.is_empty() {
        String::new()
    } else {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        format!(" data-slotline-params=\"{}\"", esc(&q))
    };
    let script = format!("<script src=\"{base}/embed.js\" async></script>");
    match query.get("embed") {
        Some("lightbox") => format!(
            "<button data-slotline-lightbox=\"{path}\"{prefill}>{}</button>\n{script}",
            esc(text)
        ),
        Some("floating") => format!(
            "<script src=\"{base}/embed.js\" data-slotline-floating=\"{path}\" data-slotline-floating-text=\"{}\" async></script>",
            esc(text)
        ),
        _ => format!("<div data-slotline=\"{path}\"{prefill}></div>\n{script}"),
    }
}

/// The generator's section on the app page at `app_path`, for the public page at `path`.
pub fn generator(base: &str, path: &str, app_path: &str, query: &Query) -> Markup {
    let kind = query.get("embed").unwrap_or("inline");
    let code = snippet(base, path, query);
    let preview = {
        let mut q = Query::default();
        for k in ["embed", "text", "name", "email"] {
            if let Some(v) = query.get(k) {
                q = q.with(k, Some(v));
            }
        }
        q.href(&format!("{app_path}/embed-preview"))
    };
    html! {
        section.card #embed aria-labelledby="embed-title" {
            h2 #embed-title { "Embed on a website" }
            form method="get" action={ (app_path) "#embed" } {
                fieldset {
                    legend { "How" }
                    @for (value, label) in [("inline", "In the page"), ("lightbox", "A button that opens it over the page"), ("floating", "A floating button in the corner")] {
                        label.check { input type="radio" name="embed" value=(value) checked[kind == value]; (label) }
                    }
                }
                div.fields {
                    div { label for="embed-text" { "Button text" } input #embed-text name="text" value=(query.get("text").unwrap_or("Book a meeting")) maxlength="100"; }
                    div { label for="embed-name" { "Prefill the guest's name" } input #embed-name name="name" value=(query.get("name").unwrap_or("")) maxlength="200"; }
                    div { label for="embed-email" { "Prefill the guest's email" } input #embed-email name="email" value=(query.get("email").unwrap_or("")) maxlength="254"; }
                }
                button type="submit" { "Make the code" }
            }
            label for="embed-code" { "Paste this into the website's page" }
            textarea #embed-code readonly rows="4" { (code) }
            h3 { "Preview" }
            iframe.preview src=(preview) title="Preview of the embedded booking page" loading="lazy" {}
        }
    }
}

/// A bare page holding only the snippet, for the generator's preview frame.
pub fn preview(base: &str, path: &str, query: &Query) -> Response {
    let code = snippet(base, path, query);
    let page = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Embed preview" } }
            // The snippet is ours, built from escaped values: it is the point of the page.
            body { p { "Your website's page" } (PreEscaped(code)) }
        }
    };
    let mut res = layout::respond(StatusCode::OK, page);
    // Framed by the app's own page, and it frames the public page.
    layout::allow_same_origin_frames(&mut res);
    res
}
