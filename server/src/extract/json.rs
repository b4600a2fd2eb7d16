//! JSON request bodies: `application/json` only, at most `MAX_PAYLOAD_SIZE` bytes, top level an
//! object or array (Express's strict body parser); every failure is 400 `INVALID_PAYLOAD`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::Config;
use crate::error::{ApiError, ErrorCode};

/// A JSON body deserialised into `T`.
pub struct ApiJson<T>(pub T);

/// A JSON body that may be absent (no body, or not JSON) — e.g. `/auth/logout` in cookie mode.
pub struct OptionalJson(pub Option<Value>);

/// True when the content type is `application/json` (parameters such as charset allowed).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(false)
}

/// Reads the body, refusing anything over `limit` bytes.
pub async fn read_limited(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    let (parts, body) = req.into_parts();
    read_body(&parts.headers, body, limit).await
}

/// [`read_limited`] of a request taken apart: the headers stay with the caller.
pub async fn read_body(
    headers: &HeaderMap,
    body: axum::body::Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    if declared_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(ApiError::invalid_payload(TOO_LARGE));
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if crate::serve::is_body_timeout(&e) {
            ApiError::new(
                ErrorCode::RequestTimeout,
                "The request body did not arrive in time.",
            )
        } else {
            ApiError::invalid_payload(TOO_LARGE)
        }
    })
}

/// What a body over the limit is answered.
pub const TOO_LARGE: &str = "request entity too large";

/// The body length a request announces (`Content-Length`).
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Parses JSON bytes with the strict top-level rule.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, ApiError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::invalid_payload(e.to_string()))?;
    if !(value.is_object() || value.is_array()) {
        return Err(ApiError::invalid_payload(
            "JSON body must be an object or an array",
        ));
    }
    Ok(value)
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
    Arc<Config>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::invalid_payload(
                "Content-Type must be application/json",
            ));
        }
        let config = Arc::<Config>::from_ref(state);
        let bytes = read_limited(req, config.max_payload_size).await?;
        let value = parse_strict(&bytes)?;
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(|e| ApiError::invalid_payload(e.to_string()))
    }
}

impl<S> FromRequest<S> for OptionalJson
where
    S: Send + Sync,
    Arc<Config>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(req.headers());
        let config = Arc::<Config>::from_ref(state);
        let bytes = read_limited(req, config.max_payload_size).await?;
        if !json || bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        parse_strict(&bytes).map(|v| OptionalJson(Some(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_top_level() {
        assert!(parse_strict(b"{}").is_ok());
        assert!(parse_strict(b"[1]").is_ok());
        assert_eq!(parse_strict(b"5").unwrap_err().code(), "INVALID_PAYLOAD");
        assert_eq!(parse_strict(b"{").unwrap_err().code(), "INVALID_PAYLOAD");
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(
            parse_strict(deep.as_bytes()).unwrap_err().code(),
            "INVALID_PAYLOAD"
        );
    }
}
