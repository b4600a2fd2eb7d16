//! `/server`: ping, health and info, as Directus answers them.

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use entity::prelude::*;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::{Value, json};

use crate::error::Result;
use crate::extract::Acc;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/server/ping", get(ping))
        .route("/server/health", get(health))
        .route("/server/info", get(info))
        .route("/metrics", get(metrics))
}

/// `GET /metrics` (issue 17 point 4): Prometheus text for a `METRICS_TOKENS` bearer or an
/// admin; 404 unless `METRICS_ENABLED`.
async fn metrics(
    State(state): State<AppState>,
    Acc(acc): Acc,
    reader: Option<axum::Extension<crate::metrics::Reader>>,
) -> Result<Response> {
    if !state.config.metrics_enabled {
        return Err(crate::error::ApiError::route_not_found("/metrics"));
    }
    if reader.is_none() && !acc.admin {
        return Err(crate::error::ApiError::forbidden());
    }
    let text = crate::metrics::render(&state.core)
        .await
        .ok_or_else(|| crate::error::ApiError::service_unavailable("metrics", "not recording"))?;
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}

async fn ping() -> Response {
    ([(CONTENT_TYPE, "text/html; charset=utf-8")], "pong").into_response()
}

/// `{status: ok|error}`; admins also see the database check, as in Directus.
async fn health(State(state): State<AppState>, Acc(acc): Acc) -> Response {
    let started = Instant::now();
    let backend = state.db.get_database_backend();
    let ok = state
        .db
        .execute_raw(Statement::from_string(backend, "SELECT 1"))
        .await
        .is_ok();
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    let status = if ok { "ok" } else { "error" };
    let mut body = json!({ "status": status });
    if acc.admin {
        let db_name = if crate::db::is_postgres(&state.db) {
            "pg"
        } else {
            "sqlite3"
        };
        body["releaseId"] = json!(env!("CARGO_PKG_VERSION"));
        body["serviceId"] = json!("sluice");
        body["checks"] = json!({
            format!("{db_name}:responseTime"): [{
                "status": status,
                "componentType": "datastore",
                "observedUnit": "ms",
                "observedValue": (elapsed * 1000.0).round() / 1000.0,
                "threshold": 150,
            }]
        });
    }
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        [(CONTENT_TYPE, "application/health+json")],
        Json(body).0.to_string(),
    )
        .into_response()
}

/// Project settings for everyone; limits and version for signed-in users.
async fn info(State(state): State<AppState>, Acc(acc): Acc) -> Result<Json<Value>> {
    let settings = DirectusSettings::find().one(&state.db).await?;
    let project = match settings {
        Some(s) => json!({
            "project_name": s.project_name,
            "project_descriptor": s.project_descriptor,
            "project_logo": s.project_logo,
            "project_color": s.project_color,
            "default_appearance": s.default_appearance,
            "default_language": s.default_language,
            "public_foreground": s.public_foreground,
            "public_background": s.public_background,
            "public_note": s.public_note,
            "custom_css": s.custom_css,
        }),
        None => json!({ "project_name": "Sluice" }),
    };
    let mut data = json!({ "project": project });
    if acc.user.is_some() {
        data["queryLimit"] = json!({
            "default": state.config.query_limit_default,
            "max": state.config.query_limit_max.map_or(json!(-1), |m| json!(m)),
        });
        data["websocket"] = json!(false);
        data["flows"] = json!({ "responseEnvelope": state.config.flows_response_envelope });
    }
    if acc.admin {
        data["version"] = json!(env!("CARGO_PKG_VERSION"));
    }
    Ok(Json(json!({ "data": data })))
}
