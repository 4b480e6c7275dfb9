//! Single sign-on with a real OpenID Connect provider (npm's oidc-provider): a user the
//! account invited signs in through the provider and lands where they were going; an address
//! no user has, or one the provider does not vouch for, is refused; an answer that does not
//! belong to this browser's sign-in is refused.

use reqwest::{redirect::Policy, StatusCode};
use serde_json::json;

use crate::common::{self, oidc, Options, TestApp};

/// A browser: one cookie jar for the app and the provider, redirects followed by hand.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// The `action` of the page's form.
fn form_action(html: &str) -> String {
    let at = html.find("action=\"").expect("a form") + 8;
    html[at..at + html[at..].find('"').unwrap()].replace("&amp;", "&")
}

/// Goes from `start` through the provider's login (as `login`) and consent, following every
/// redirect; the last page's URL, status and body.
async fn through_the_provider(
    http: &reqwest::Client,
    start: &str,
    login: &str,
) -> (String, StatusCode, String) {
    let mut url = reqwest::Url::parse(start).unwrap();
    let mut form: Option<Vec<(&str, &str)>> = None;
    for _ in 0..30 {
        let res = match form.take() {
            Some(fields) => http.post(url.clone()).form(&fields).send().await.unwrap(),
            None => http.get(url.clone()).send().await.unwrap(),
        };
        let status = res.status();
        if status.is_redirection() {
            let to = res.headers()["location"].to_str().unwrap().to_string();
            url = url.join(&to).unwrap();
            continue;
        }
        let html = res.text().await.unwrap();
        if html.contains("name=\"prompt\" value=\"login\"") {
            url = url.join(&form_action(&html)).unwrap();
            form = Some(vec![
                ("prompt", "login"),
                ("login", login),
                ("password", "any"),
            ]);
        } else if html.contains("name=\"prompt\" value=\"consent\"") {
            url = url.join(&form_action(&html)).unwrap();
            form = Some(vec![("prompt", "consent")]);
        } else {
            return (url.to_string(), status, html);
        }
    }
    panic!("too many steps");
}

async fn an_invited_user_signs_in_through_the_identity_provider(backend: common::Backend) {
    let port = oidc::free_port();
    let opts = Options {
        oidc_issuer: Some(format!("http://127.0.0.1:{port}")),
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(backend, opts).await else {
        return;
    };
    let callback = format!("{}/app/sign-in/sso/callback", app.base);
    let Some(_provider) = oidc::OidcProvider::start(port, &callback).await else {
        return;
    };
    let (s, _) = app
        .post(
            "/v2/users",
            json!({"email": "mia@test.example", "first_name": "Mia", "last_name": "Moss", "role_name": "Member"}),
        )
        .await;
    assert_eq!(s, 200);

    // The sign-in page offers the provider by the name it was given.
    let http = browser();
    let page = http
        .get(format!(
            "{}/app/sign-in?next=%2Fapp%2Favailability",
            app.base
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign in with Staff login"), "{page}");
    assert!(
        page.contains("href=\"/app/sign-in/sso?next=%2Fapp%2Favailability\""),
        "{page}"
    );

    // Mia, invited but without a password, signs in through it and lands where she was going.
    let start = format!("{}/app/sign-in/sso?next=%2Fapp%2Favailability", app.base);
    let (at, status, html) = through_the_provider(&http, &start, "mia@test.example").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(at, format!("{}/app/availability", app.base));
    assert!(html.contains("Mia Moss"), "signed in as Mia: {html}");

    // Someone the account has not invited is told so, and gets no session.
    let stranger = browser();
    let (_, status, html) = through_the_provider(&stranger, &start, "nobody@test.example").await;
    assert_eq!(status, 401, "{html}");
    assert!(
        html.contains("No one with the email address nobody@test.example"),
        "{html}"
    );
    let bookings = stranger
        .get(format!("{}/app/bookings", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(bookings.status(), 303, "not signed in");

    // An address the provider has not verified is not vouched for.
    let (_, status, html) =
        through_the_provider(&browser(), &start, "unverified-mia@test.example").await;
    assert_eq!(status, 401, "{html}");
    assert!(
        html.contains("did not vouch for an email address"),
        "{html}"
    );

    // An answer without this browser's sign-in in progress is refused.
    let forged = browser()
        .get(format!("{callback}?code=abc&state=xyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    assert!(forged
        .text()
        .await
        .unwrap()
        .contains("took too long or was started in another browser"));
    // And the provider's refusal is said.
    let denied = browser()
        .get(format!(
            "{callback}?error=access_denied&error_description=User+said+no"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    assert!(denied.text().await.unwrap().contains("User said no"));
    app.finish().await;
}
on_both!(an_invited_user_signs_in_through_the_identity_provider);

#[tokio::test]
async fn without_a_provider_there_is_no_single_sign_on() {
    let Some(app) = TestApp::spawn(common::Backend::Sqlite).await else {
        return;
    };
    let page = browser()
        .get(format!("{}/app/sign-in", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/app/sign-in/sso"), "{page}");
    let start = browser()
        .get(format!("{}/app/sign-in/sso", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 404);
    app.finish().await;
}
