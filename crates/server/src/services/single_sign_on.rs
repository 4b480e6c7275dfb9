//! Single sign-on with an OpenID Connect provider (`--oidc-issuer`): the authorization code
//! flow with PKCE, a nonce and a state, the ID token verified (signature, issuer, audience,
//! expiry, nonce) by the `openidconnect` crate. The provider vouches for an email address; the
//! user with that address signs in as with a password (the oldest account's first). Nobody is
//! added by signing in: people are invited to an account first.
//!
//! What the browser must bring back (state, nonce, PKCE verifier, where to go next) travels in a
//! short-lived cookie sealed with the server key, so any API process can finish a sign-in
//! another one started.

use std::time::Duration;

use openidconnect::{
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims},
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::{
    http::error::{AppError, AppResult},
    secrets::SecretKey,
    services::{sign_in, Ctx},
    store::passwords,
};

/// A sign-in started this long ago can no longer be finished.
pub const PENDING_MS: i64 = 10 * 60 * 1000;
/// Provider metadata (with its signing keys) is read again after this long.
const METADATA_MS: i64 = 60 * 60 * 1000;
const SEAL_OWNER: &str = "oidc-sign-in";

/// The provider, as configured.
pub struct Provider {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    /// What the sign-in page calls it.
    pub name: String,
    key: SecretKey,
    http: reqwest::Client,
    /// Discovered metadata and when it was read.
    metadata: Mutex<Option<(CoreProviderMetadata, i64)>>,
}

/// Why a sign-in did not finish, in words for the sign-in page.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("The sign-in took too long or was started in another browser. Please try again.")]
    Expired,
    #[error("The identity provider refused the sign-in: {0}")]
    Provider(String),
    #[error("The identity provider did not vouch for an email address.")]
    NoEmail,
    #[error("No one with the email address {0} may sign in here. Ask your account's administrator to invite you.")]
    NoUser(String),
}

/// What the browser keeps between the start and the end of a sign-in.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    until: i64,
}

fn provider_error(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("single sign-on: {e}"))
}

impl Provider {
    pub fn new(
        issuer: &str,
        client_id: &str,
        client_secret: Option<&str>,
        name: &str,
        key: SecretKey,
    ) -> Result<Provider, String> {
        let issuer = IssuerUrl::new(issuer.trim_end_matches('/').to_string())
            .map_err(|e| format!("--oidc-issuer is not a URL: {e}"))?;
        let http = reqwest::Client::builder()
            // Following redirects would let a provider's answer send us anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Provider {
            issuer,
            client_id: ClientId::new(client_id.to_string()),
            client_secret: client_secret.map(|s| ClientSecret::new(s.to_string())),
            name: name.to_string(),
            key,
            http,
            metadata: Mutex::new(None),
        })
    }

    /// The provider's metadata, discovered at first use and again every hour (keys rotate).
    async fn metadata(&self, now: i64, fresh: bool) -> AppResult<CoreProviderMetadata> {
        let mut held = self.metadata.lock().await;
        if let Some((m, at)) = held.as_ref() {
            if !fresh && now - at < METADATA_MS {
                return Ok(m.clone());
            }
        }
        let m = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(provider_error)?;
        *held = Some((m.clone(), now));
        Ok(m)
    }

    fn client(
        &self,
        m: CoreProviderMetadata,
        redirect: &str,
    ) -> AppResult<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
    > {
        Ok(CoreClient::from_provider_metadata(
            m,
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(RedirectUrl::new(redirect.to_string()).map_err(provider_error)?))
    }

    /// Where to send the browser to sign in, and the sealed value of the cookie that must come
    /// back with it.
    pub async fn start(&self, now: i64, redirect: &str, next: &str) -> AppResult<(String, String)> {
        let client = self.client(self.metadata(now, false).await?, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            next: next.to_string(),
            until: now + PENDING_MS,
        };
        let plain = serde_json::to_vec(&pending).map_err(provider_error)?;
        Ok((url.to_string(), self.key.seal(&plain, SEAL_OWNER)))
    }

    /// Finishes a sign-in: the provider's `code` and `state`, the cookie `sealed`. The verified
    /// email address and where to go next.
    pub async fn finish(
        &self,
        now: i64,
        redirect: &str,
        code: &str,
        state: &str,
        sealed: &str,
    ) -> AppResult<Result<(String, String), Refused>> {
        let Some(pending) = self
            .key
            .open(sealed, SEAL_OWNER)
            .ok()
            .and_then(|p| serde_json::from_slice::<Pending>(&p).ok())
            .filter(|p| p.until > now)
        else {
            return Ok(Err(Refused::Expired));
        };
        // The state binds this answer to the sign-in this browser started.
        if sign_in::token_hash(state) != sign_in::token_hash(&pending.state) {
            return Ok(Err(Refused::Expired));
        }
        let mut metadata = self.metadata(now, false).await?;
        let client = self.client(metadata.clone(), redirect)?;
        let tokens = match client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(provider_error)?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
        {
            Ok(t) => t,
            Err(e) => return Ok(Err(Refused::Provider(e.to_string()))),
        };
        let Some(id_token) = tokens.id_token() else {
            return Ok(Err(Refused::Provider("no ID token".into())));
        };
        let nonce = Nonce::new(pending.nonce.clone());
        let first = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .cloned();
        let (claims, client) = match first {
            Ok(c) => (c, client),
            Err(first) => {
                // Perhaps the keys rotated since discovery: read them again, once.
                metadata = self.metadata(now, true).await?;
                let client = self.client(metadata, redirect)?;
                let again = id_token
                    .claims(&client.id_token_verifier(), &nonce)
                    .cloned();
                match again {
                    Ok(c) => (c, client),
                    Err(_) => return Ok(Err(Refused::Provider(first.to_string()))),
                }
            }
        };
        let mut email = claims.email().map(|e| e.as_str().to_string());
        let mut verified = claims.email_verified();
        if email.is_none() {
            // Providers may keep the email for the userinfo endpoint.
            let info: CoreUserInfoClaims = match client.user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            ) {
                Ok(req) => match req.request_async(&self.http).await {
                    Ok(info) => info,
                    Err(e) => return Ok(Err(Refused::Provider(e.to_string()))),
                },
                Err(_) => return Ok(Err(Refused::NoEmail)),
            };
            email = info.email().map(|e| e.as_str().to_string());
            verified = info.email_verified();
        }
        // An address the provider has not verified is not one it vouches for.
        match (email, verified) {
            (Some(email), Some(true)) => Ok(Ok((email, pending.next))),
            _ => Ok(Err(Refused::NoEmail)),
        }
    }
}

/// Opens a session for the user with `email` (the oldest account's), if there is one.
pub async fn sign_in(
    ctx: Ctx<'_>,
    email: &str,
    user_agent: Option<&str>,
) -> AppResult<Result<sign_in::Opened, Refused>> {
    let candidates = passwords::candidates(ctx.db, email, 1).await?;
    match candidates.first() {
        Some(c) => Ok(Ok(sign_in::open(
            ctx,
            &c.account_id,
            &c.user_id,
            user_agent,
        )
        .await?)),
        None => Ok(Err(Refused::NoUser(email.to_string()))),
    }
}
