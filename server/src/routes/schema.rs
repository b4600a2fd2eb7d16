//! `/collections` and `/fields` (directus.md §11): reads for anyone with access to the
//! collection, changes for admins. Fields are listed columns first, then alias fields.

use crate::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::access::Accountability;
use crate::error::{ApiError, Result};
use crate::extract::{Acc, AdminOnly, ApiJson};
use crate::items::unknown_collection;
use crate::services::schema as svc;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/collections",
            get(list_collections).post(create_collection),
        )
        .route(
            "/collections/{collection}",
            get(read_collection)
                .patch(update_collection)
                .delete(delete_collection),
        )
        .route("/fields", get(list_all_fields))
        .route("/fields/{collection}", get(list_fields).post(create_field))
        .route(
            "/fields/{collection}/{field}",
            get(read_field).patch(update_field).delete(delete_field),
        )
}

/// Whether the caller may see a collection's definition (any permission row on it).
fn visible(state: &AppState, acc: &Accountability, collection: &str) -> bool {
    acc.admin
        || state
            .access
            .get()
            .all_permissions(&acc.policies)
            .any(|p| p.collection == collection)
}

fn data(v: Value) -> Response {
    Json(json!({ "data": v })).into_response()
}

async fn list_collections(State(state): State<AppState>, Acc(acc): Acc) -> Result<Response> {
    let schema = state.schema.get();
    let mut out: Vec<Value> = schema
        .collections()
        .into_iter()
        .filter(|c| visible(&state, &acc, &c.name))
        .map(|c| c.to_json())
        .collect();
    if acc.admin {
        out.extend(svc::folder_collections(&state.db, &schema).await?);
    }
    Ok(data(Value::Array(out)))
}

async fn read_collection(
    State(state): State<AppState>,
    Acc(acc): Acc,
    Path(name): Path<String>,
) -> Result<Response> {
    let schema = state.schema.get();
    match schema.collection(&name) {
        Some(c) if visible(&state, &acc, &name) => Ok(data(c.to_json())),
        _ => {
            if acc.admin
                && let Some(folder) = svc::folder_collections(&state.db, &schema)
                    .await?
                    .into_iter()
                    .find(|f| f["collection"] == name.as_str())
            {
                return Ok(data(folder));
            }
            Err(unknown_collection(&name))
        }
    }
}

async fn create_collection(
    State(state): State<AppState>,
    _admin: AdminOnly,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let schema = state.schema.get();
    let name = svc::create_collection(&state.db, &state.gate, &schema, &body).await?;
    state.invalidate("directus_collections").await;
    let schema = state.schema.get();
    match schema.collection(&name) {
        Some(c) => Ok(data(c.to_json())),
        None => Ok(data(
            svc::folder_collections(&state.db, &schema)
                .await?
                .into_iter()
                .find(|f| f["collection"] == name.as_str())
                .unwrap_or(Value::Null),
        )),
    }
}

async fn update_collection(
    State(state): State<AppState>,
    _admin: AdminOnly,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let schema = state.schema.get();
    if schema.collection(&name).is_none() {
        return Err(unknown_collection(&name));
    }
    svc::update_collection(&state.db, &state.gate, &name, &body).await?;
    state.invalidate("directus_collections").await;
    let schema = state.schema.get();
    schema
        .collection(&name)
        .map(|c| data(c.to_json()))
        .ok_or_else(|| unknown_collection(&name))
}

async fn delete_collection(
    State(state): State<AppState>,
    _admin: AdminOnly,
    Path(name): Path<String>,
) -> Result<Response> {
    let schema = state.schema.get();
    svc::delete_collection(&state.db, &state.gate, &schema, &name).await?;
    state.invalidate("directus_collections").await;
    state.invalidate("directus_permissions").await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_all_fields(State(state): State<AppState>, Acc(acc): Acc) -> Result<Response> {
    let schema = state.schema.get();
    let out: Vec<Value> = schema
        .collections()
        .into_iter()
        .filter(|c| visible(&state, &acc, &c.name))
        .flat_map(|c| c.fields_json())
        .collect();
    Ok(data(Value::Array(out)))
}

async fn list_fields(
    State(state): State<AppState>,
    Acc(acc): Acc,
    Path(name): Path<String>,
) -> Result<Response> {
    let schema = state.schema.get();
    match schema.collection(&name) {
        Some(c) if visible(&state, &acc, &name) => Ok(data(Value::Array(c.fields_json()))),
        _ => Err(unknown_collection(&name)),
    }
}

async fn read_field(
    State(state): State<AppState>,
    Acc(acc): Acc,
    Path((name, field)): Path<(String, String)>,
) -> Result<Response> {
    let schema = state.schema.get();
    let c = schema
        .collection(&name)
        .filter(|_| visible(&state, &acc, &name))
        .ok_or_else(|| unknown_collection(&name))?;
    c.any_field_json(&field)
        .map(data)
        .ok_or_else(ApiError::forbidden)
}

async fn create_field(
    State(state): State<AppState>,
    _admin: AdminOnly,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let schema = state.schema.get();
    let field = svc::create_field(&state.db, &state.gate, &schema, &name, &body).await?;
    state.invalidate("directus_fields").await;
    field_response(&state, &name, &field)
}

fn field_response(state: &AppState, collection: &str, field: &str) -> Result<Response> {
    let schema = state.schema.get();
    let c = schema
        .collection(collection)
        .ok_or_else(|| unknown_collection(collection))?;
    c.any_field_json(field)
        .map(data)
        .ok_or_else(ApiError::forbidden)
}

async fn update_field(
    State(state): State<AppState>,
    _admin: AdminOnly,
    Path((name, field)): Path<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let schema = state.schema.get();
    svc::update_field(&state.db, &state.gate, &schema, &name, &field, &body).await?;
    state.invalidate("directus_fields").await;
    field_response(&state, &name, &field)
}

async fn delete_field(
    State(state): State<AppState>,
    _admin: AdminOnly,
    Path((name, field)): Path<(String, String)>,
) -> Result<Response> {
    let schema = state.schema.get();
    svc::delete_field(&state.db, &state.gate, &schema, &name, &field).await?;
    state.invalidate("directus_fields").await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
