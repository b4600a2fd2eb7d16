//! The Directus query parameters of a request (`fields`, `filter`, `sort`, …) in JSON or
//! bracket syntax, validated into a `Query` (bad values → 400 `INVALID_QUERY`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::query::Query;
use crate::query::qs::{self, QsLimits};
use crate::state::AppState;

/// The parsed query plus the raw parameter object.
pub struct DirectusQuery {
    pub query: Query,
    pub raw: Map<String, Value>,
}

/// Parses a raw query string with the configured limits.
pub fn parse_raw(state: &AppState, raw: Option<&str>) -> Map<String, Value> {
    let limits = QsLimits {
        depth: state.config.querystring_max_parse_depth,
        array_limit: state.config.querystring_array_limit,
        parameter_limit: 1000,
    };
    qs::parse(raw.unwrap_or(""), &limits)
}

impl FromRequestParts<AppState> for DirectusQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let raw = parse_raw(state, parts.uri.query());
        let query = Query::from_params(&raw)?;
        Ok(DirectusQuery { query, raw })
    }
}
