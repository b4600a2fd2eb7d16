//! `/auth`: login, refresh, logout and the provider list (directus.md §7.3, §7.5). Shapes the
//! tokens into JSON bodies or cookies; the session logic lives in `auth::sessions`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::access::client::client_info;
use crate::auth::cookies;
use crate::auth::sessions::{self, Issued, Mode};
use crate::auth::tokens::cookie_value;
use crate::error::{ApiError, Result};
use crate::extract::{ApiJson, OptionalJson};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth", get(list_providers))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
}

async fn list_providers() -> Json<Value> {
    Json(json!({ "data": [], "disableDefault": false }))
}

/// The validated login payload.
struct LoginInput {
    email: String,
    password: String,
    mode: Mode,
    otp: Option<String>,
}

fn string_field(body: &Map<String, Value>, key: &str, required: bool) -> Result<Option<String>> {
    match body.get(key) {
        None | Some(Value::Null) if required => {
            Err(ApiError::invalid_payload(format!("\"{key}\" is required")))
        }
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid_payload(format!(
            "\"{key}\" must be a string"
        ))),
    }
}

/// A pragmatic address check (one `@`, a dotted domain, no spaces).
fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
        && domain
            .rsplit_once('.')
            .is_some_and(|(host, tld)| !host.is_empty() && tld.len() >= 2)
}

fn parse_mode(body: &Map<String, Value>, default: Mode) -> Result<Mode> {
    match body.get("mode") {
        None | Some(Value::Null) => Ok(default),
        Some(Value::String(s)) => Mode::parse(s).ok_or_else(|| {
            ApiError::invalid_payload("\"mode\" must be one of [json, cookie, session]")
        }),
        Some(_) => Err(ApiError::invalid_payload(
            "\"mode\" must be one of [json, cookie, session]",
        )),
    }
}

fn validate_login(body: Value) -> Result<LoginInput> {
    let Value::Object(body) = body else {
        return Err(ApiError::invalid_payload(
            "\"value\" must be of type object",
        ));
    };
    let email = string_field(&body, "email", true)?.unwrap_or_default();
    if !looks_like_email(&email) {
        return Err(ApiError::invalid_payload("\"email\" must be a valid email"));
    }
    let password = string_field(&body, "password", true)?.unwrap_or_default();
    let mode = parse_mode(&body, Mode::Json)?;
    let otp = string_field(&body, "otp", false)?;
    Ok(LoginInput {
        email,
        password,
        mode,
        otp,
    })
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let started = Instant::now();
    let input = validate_login(body)?;
    let client = client_info(&state.config.proxy, &headers, Some(peer));
    let outcome = sessions::login(
        &state.auth,
        &input.email,
        input.password,
        input.otp.as_deref(),
        input.mode,
        &client,
    )
    .await;
    // Every answer takes at least LOGIN_STALL_TIME, so timing tells nothing about the account.
    // (A sleep, not `started + stall`: an absurd LOGIN_STALL_TIME must not overflow an Instant.)
    tokio::time::sleep(
        state
            .config
            .login_stall_time
            .saturating_sub(started.elapsed()),
    )
    .await;
    Ok(token_response(&state, outcome?, input.mode))
}

/// Where the refresh token comes from for refresh and logout, and in which mode to answer.
fn refresh_source(
    state: &AppState,
    headers: &HeaderMap,
    body: Option<&Map<String, Value>>,
) -> Result<(String, Mode)> {
    let empty = Map::new();
    let body = body.unwrap_or(&empty);
    let in_body = string_field(body, "refresh_token", false)?;
    let default_mode = if in_body.is_some() {
        Mode::Json
    } else {
        Mode::Cookie
    };
    let mode = parse_mode(body, default_mode)?;
    let token = match mode {
        Mode::Json => in_body,
        Mode::Cookie => cookie_value(headers, &state.config.refresh_cookie.name),
        Mode::Session => cookie_value(headers, &state.config.session_cookie.name)
            .and_then(|jwt| state.auth.jwt.session_of(&jwt)),
    };
    let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
        ApiError::invalid_payload("The refresh token is required in either the payload or cookie")
    })?;
    Ok((token, mode))
}

fn body_object(body: &Option<Value>) -> Result<Option<&Map<String, Value>>> {
    match body {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ApiError::invalid_payload(
            "\"value\" must be of type object",
        )),
    }
}

async fn refresh(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson,
) -> Result<Response> {
    let (token, mode) = refresh_source(&state, &headers, body_object(&body)?)?;
    let client = client_info(&state.config.proxy, &headers, Some(peer));
    let issued = sessions::refresh(&state.auth, &token, mode, &client).await?;
    Ok(token_response(&state, issued, mode))
}

async fn logout(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson,
) -> Result<Response> {
    let (token, _mode) = refresh_source(&state, &headers, body_object(&body)?)?;
    let client = client_info(&state.config.proxy, &headers, Some(peer));
    sessions::logout(&state.auth, &token, &client).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    for cfg in [&state.config.refresh_cookie, &state.config.session_cookie] {
        if cookie_value(&headers, &cfg.name).is_some()
            && let Ok(v) = HeaderValue::from_str(&cookies::clear(cfg))
        {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
    Ok(resp)
}

/// The body and cookies of a login or refresh answer, by mode.
fn token_response(state: &AppState, issued: Issued, mode: Mode) -> Response {
    let (body, cookie) = match mode {
        Mode::Json => (
            json!({ "data": {
                "access_token": issued.access_token,
                "expires": issued.expires_ms,
                "refresh_token": issued.refresh_token,
            }}),
            None,
        ),
        Mode::Cookie => (
            json!({ "data": { "access_token": issued.access_token, "expires": issued.expires_ms }}),
            Some(cookies::set(
                &state.config.refresh_cookie,
                &issued.refresh_token,
                state.config.refresh_token_ttl,
            )),
        ),
        Mode::Session => (
            json!({ "data": { "expires": issued.expires_ms }}),
            Some(cookies::set(
                &state.config.session_cookie,
                &issued.access_token,
                state.config.session_cookie_ttl,
            )),
        ),
    };
    let mut resp = Json(body).into_response();
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().append(SET_COOKIE, c);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_validation_messages() {
        let msg = |v: Value| validate_login(v).err().map(|e| e.message().to_owned());
        assert_eq!(
            msg(json!({"password": "x"})).as_deref(),
            Some("Invalid payload. \"email\" is required.")
        );
        assert_eq!(
            msg(json!({"email": "nope", "password": "x"})).as_deref(),
            Some("Invalid payload. \"email\" must be a valid email.")
        );
        assert_eq!(
            msg(json!({"email": "a@b.co"})).as_deref(),
            Some("Invalid payload. \"password\" is required.")
        );
        assert_eq!(
            msg(json!({"email": "a@b.co", "password": "x", "mode": "x"})).as_deref(),
            Some("Invalid payload. \"mode\" must be one of [json, cookie, session].")
        );
        assert!(msg(json!({"email": "a@b.co", "password": "x", "mode": "cookie"})).is_none());
    }
}
