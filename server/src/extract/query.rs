//! The Directus query parameters of a request (`fields`, `filter`, `sort`, …) in JSON or
//! bracket syntax, validated into a `Query` (bad values → 400 `INVALID_QUERY`).

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::ApiError;
use crate::query::Query;
use crate::query::qs::{self, QsLimits};

/// The parsed query plus the raw parameter object.
pub struct DirectusQuery {
    pub query: Query,
    pub raw: Map<String, Value>,
}

/// Parses a raw query string with the configured limits.
pub fn parse_raw(config: &Config, raw: Option<&str>) -> Map<String, Value> {
    let limits = QsLimits {
        depth: config.querystring_max_parse_depth,
        array_limit: config.querystring_array_limit,
        parameter_limit: 1000,
    };
    qs::parse(raw.unwrap_or(""), &limits)
}

impl<S> FromRequestParts<S> for DirectusQuery
where
    S: Send + Sync,
    Arc<Config>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let config = Arc::<Config>::from_ref(state);
        let raw = parse_raw(&config, parts.uri.query());
        let query = Query::from_params(&raw)?;
        Ok(DirectusQuery { query, raw })
    }
}
