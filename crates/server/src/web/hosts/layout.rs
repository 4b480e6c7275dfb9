//! The frame of every page of the hosts' app: the navigation (what the user's role may open),
//! who is signed in, and the sign-out button. App pages are never framed by other sites.

use axum::{http::StatusCode, response::Response};
use maud::{html, Markup, DOCTYPE};

use super::session::Signed;
use crate::http::layout;

/// Sections of the app, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Bookings,
    Availability,
    Calendars,
    Pages,
    Chatbots,
    Integrations,
    Webhooks,
    Connections,
    People,
    Teams,
    Fields,
    Profile,
}

/// A whole page of the app for a signed-in user.
pub fn page(title: &str, signed: &Signed, section: Section, body: Markup) -> Markup {
    let mut nav = vec![
        ("Bookings", "/app/bookings", Section::Bookings),
        ("Availability", "/app/availability", Section::Availability),
        ("Booking calendars", "/app/calendars", Section::Calendars),
        (
            "Connected calendars",
            "/app/calendar-connections",
            Section::Connections,
        ),
    ];
    nav.push(("Booking pages", "/app/pages", Section::Pages));
    if signed.is_admin() {
        nav.push(("People", "/app/users", Section::People));
        nav.push(("Teams", "/app/teams", Section::Teams));
        nav.push(("Custom fields", "/app/custom-fields", Section::Fields));
        nav.push(("Chatbots", "/app/chatbots", Section::Chatbots));
        nav.push(("API keys", "/app/api-keys", Section::Integrations));
        nav.push(("Webhooks", "/app/webhooks", Section::Webhooks));
    }
    nav.push(("Profile", "/app/profile", Section::Profile));
    shell(
        title,
        html! {
            header.app-top {
                a.brand href="/app/bookings" { "Slotline" }
                nav aria-label="Main" {
                    ul {
                        @for (label, href, s) in nav {
                            li {
                                @if s == section {
                                    a href=(href) aria-current="page" { (label) }
                                } @else {
                                    a href=(href) { (label) }
                                }
                            }
                        }
                    }
                }
                div.who {
                    span { (signed.name()) " · " (signed.session.role.as_str()) }
                    form.inline method="post" action="/app/sign-out" {
                        input type="hidden" name="csrf" value=(signed.session.csrf);
                        button type="submit" { "Sign out" }
                    }
                }
            }
        },
        body,
    )
}

/// A page of the app before sign-in (sign-in, password).
pub fn public_page(title: &str, body: Markup) -> Markup {
    shell(title, html! {}, body)
}

fn shell(title: &str, top: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " · Slotline" }
                link rel="stylesheet" href="/assets/style.css";
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body.app {
                a.skip href="#content" { "Skip to content" }
                (top)
                main id="content" { (body) }
            }
        }
    }
}

/// An app page as a response: the public pages' headers, never in another site's frame, forms
/// posting only here, and frames only of this server (the embed preview).
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut res = layout::respond(status, markup, "'none'");
    set_policy(&mut res, "'none'");
    res
}

/// Lets this server's own pages frame the response (the embed preview).
pub fn allow_same_origin_frames(res: &mut Response) {
    set_policy(res, "'self'");
}

fn set_policy(res: &mut Response, ancestors: &str) {
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
        res.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
}

/// The refusal of a page or action only the account owner and administrators may use;
/// `what` completes "Only the account owner and administrators …".
pub fn only_admins(what: &str) -> Response {
    message(
        StatusCode::FORBIDDEN,
        "Only administrators",
        &format!("Only the account owner and administrators {what}."),
    )
}

/// A page that only says something.
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    respond(
        status,
        public_page(
            title,
            html! {
                h1 { (title) }
                p.muted { (text) }
                p { a href="/app/bookings" { "Back to the app" } }
            },
        ),
    )
}

/// One object a page is about, from its service: the object, a 404 page saying `missing` (its
/// title and text), or the error page.
// The error is the page to answer with, made once per request: boxing it would buy nothing.
#[allow(clippy::result_large_err)]
pub(super) fn found<T>(
    answer: crate::http::error::AppResult<T>,
    missing: (&str, &str),
) -> Result<T, Response> {
    match answer {
        Ok(t) => Ok(t),
        Err(crate::http::error::AppError::NotFound { .. }) => {
            Err(message(StatusCode::NOT_FOUND, missing.0, missing.1))
        }
        Err(e) => Err(crate::web::flow::internal(e)),
    }
}
