//! `/auth/*` endpoints: login, refresh and logout in Directus JSON mode.
//!
//! Returns raw [`AuthTokens`]; storing and scheduling them is the session's job.

use serde::{Deserialize, Serialize};

use super::{ApiError, ApiRequest};

/// The token pair returned by `/auth/login` and `/auth/refresh`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AuthTokens {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Lifetime of `access_token` in milliseconds.
    pub expires: f64,
    /// Single-use token: each refresh returns a new one and invalidates the old one.
    pub refresh_token: String,
}

#[derive(Serialize)]
struct LoginBody<'a> {
    email: &'a str,
    password: &'a str,
    mode: &'static str,
}

#[derive(Serialize)]
struct RefreshBody<'a> {
    refresh_token: &'a str,
    mode: &'static str,
}

/// `POST /auth/login`.
pub async fn login(email: &str, password: &str) -> Result<AuthTokens, ApiError> {
    ApiRequest::post("/auth/login")
        .json(&LoginBody {
            email,
            password,
            mode: "json",
        })?
        .send()
        .await
}

/// `POST /auth/refresh`: trades a refresh token for a new pair.
pub async fn refresh(refresh_token: &str) -> Result<AuthTokens, ApiError> {
    ApiRequest::post("/auth/refresh")
        .json(&RefreshBody {
            refresh_token,
            mode: "json",
        })?
        .send()
        .await
}

/// `POST /auth/logout`: ends the server-side session of this refresh token.
pub async fn logout(refresh_token: &str) -> Result<(), ApiError> {
    ApiRequest::post("/auth/logout")
        .json(&RefreshBody {
            refresh_token,
            mode: "json",
        })?
        .send_no_content()
        .await
}
