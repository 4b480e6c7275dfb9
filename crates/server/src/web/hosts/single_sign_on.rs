//! `/app/sign-in/sso` and its callback: single sign-on with the configured OpenID Connect
//! provider (`services::single_sign_on`). The start sends the browser to the provider with a
//! sealed cookie holding what must come back; the callback checks it, and signs the user with
//! the email address the provider vouches for in, as a password would.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use cookie::{time::Duration, Cookie, SameSite};

use super::{
    layout,
    session::{self},
    sign_in::{signed_in, too_many},
};
use crate::{
    services::single_sign_on::{self as service, PENDING_MS},
    state::SharedState,
    web::{flow::internal, query::Query},
};

const PATH: &str = "/app/sign-in/sso";

fn cookie_name(state: &SharedState) -> &'static str {
    if state.base_url.starts_with("https://") {
        "__Secure-slotline_sso"
    } else {
        "slotline_sso"
    }
}

/// The cookie that carries a sign-in in progress (`value`), or forgets it (None). Lax, so that
/// the provider's redirect back, a top-level navigation, brings it.
fn pending_cookie(state: &SharedState, value: Option<&str>) -> HeaderValue {
    let c = Cookie::build((cookie_name(state), value.unwrap_or("").to_string()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path(PATH)
        .secure(state.base_url.starts_with("https://"))
        .max_age(match value {
            Some(_) => Duration::milliseconds(PENDING_MS),
            None => Duration::ZERO,
        });
    HeaderValue::from_str(&c.build().to_string()).expect("a cookie is a header value")
}

fn redirect_uri(state: &SharedState) -> String {
    format!("{}{PATH}/callback", state.base_url)
}

fn not_configured() -> Response {
    layout::message(
        StatusCode::NOT_FOUND,
        "No single sign-on",
        "This server has no single sign-on. Sign in with your email address and password.",
    )
}

fn refused(why: &str) -> Response {
    layout::message(StatusCode::UNAUTHORIZED, "Single sign-on did not work", why)
}

pub async fn start(State(state): State<SharedState>, RawQuery(q): RawQuery) -> Response {
    let Some(provider) = &state.single_sign_on else {
        return not_configured();
    };
    let next = session::safe_next(Query::parse(q.as_deref()).get("next"));
    match provider
        .start(state.now(), &redirect_uri(&state), &next)
        .await
    {
        Ok((url, sealed)) => {
            let mut res = Redirect::to(&url).into_response();
            res.headers_mut()
                .insert(header::SET_COOKIE, pending_cookie(&state, Some(&sealed)));
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "single sign-on: the provider cannot be reached");
            layout::message(
                StatusCode::BAD_GATEWAY,
                "Single sign-on is unavailable",
                "The identity provider cannot be reached now. Try again later, or sign in with your password.",
            )
        }
    }
}

pub async fn callback(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let Some(provider) = &state.single_sign_on else {
        return not_configured();
    };
    if state.sign_in_by_address.check_key(&addr.ip()).is_err() {
        return too_many();
    }
    let query = Query::parse(q.as_deref());
    let forget = |mut res: Response| {
        res.headers_mut()
            .append(header::SET_COOKIE, pending_cookie(&state, None));
        res
    };
    if let Some(error) = query.get("error") {
        let said = query.get("error_description").unwrap_or(error);
        let said: String = said.chars().take(300).collect();
        return forget(refused(&format!("The identity provider answered: {said}")));
    }
    let (Some(code), Some(st)) = (query.get("code"), query.get("state")) else {
        return forget(refused(
            "The identity provider's answer is incomplete. Please try again.",
        ));
    };
    let sealed = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == cookie_name(&state))
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let outcome = provider
        .finish(state.now(), &redirect_uri(&state), code, st, &sealed)
        .await;
    let (email, next) = match outcome {
        Ok(Ok(done)) => done,
        Ok(Err(why)) => return forget(refused(&why.to_string())),
        Err(e) => return forget(internal(e)),
    };
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    match service::sign_in(state.ctx(), &email, agent).await {
        Ok(Ok(opened)) => {
            tracing::info!(user = %opened.user_id, "signed in by single sign-on");
            forget(signed_in(&state, &opened.token, &next))
        }
        Ok(Err(why)) => forget(refused(&why.to_string())),
        Err(e) => forget(internal(e)),
    }
}
