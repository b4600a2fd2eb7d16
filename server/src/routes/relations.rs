//! `/relations` (issue 15): reads for anyone (filtered to the collections they may read),
//! changes for admins; every answer is `{"data": …}` in Directus's relation shape.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::error::Result;
use crate::extract::{Acc, AdminOnly, ApiJson, Path};
use crate::services::relations as svc;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/relations", get(list_relations).post(create_relation))
        .route("/relations/{collection}", get(list_collection_relations))
        .route(
            "/relations/{collection}/{field}",
            get(read_relation)
                .patch(update_relation)
                .delete(delete_relation),
        )
}

fn data(v: Value) -> Response {
    Json(json!({ "data": v })).into_response()
}

async fn list_relations(State(state): State<AppState>, Acc(acc): Acc) -> Result<Response> {
    let list = svc::list(&state.schema.get(), &state.access.get(), &acc, None)?;
    Ok(data(Value::Array(list)))
}

async fn list_collection_relations(
    State(state): State<AppState>,
    Acc(acc): Acc,
    Path(collection): Path<String>,
) -> Result<Response> {
    let list = svc::list(
        &state.schema.get(),
        &state.access.get(),
        &acc,
        Some(&collection),
    )?;
    Ok(data(Value::Array(list)))
}

async fn read_relation(
    State(state): State<AppState>,
    Acc(acc): Acc,
    Path((collection, field)): Path<(String, String)>,
) -> Result<Response> {
    let schema = state.schema.get();
    let one = svc::read_one(&schema, &state.access.get(), &acc, &collection, &field)?;
    Ok(data(one))
}

/// The relation as it reads after a write (every reader of the schema sees it reloaded).
async fn written(state: &AppState, collection: &str, field: &str) -> Result<Response> {
    state.invalidate("directus_relations").await;
    let schema = state.schema.get();
    let one = svc::read_one(
        &schema,
        &state.access.get(),
        &crate::access::Accountability::full(),
        collection,
        field,
    )?;
    Ok(data(one))
}

async fn create_relation(
    State(state): State<AppState>,
    _admin: AdminOnly,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let schema = state.schema.get();
    let (collection, field) = svc::create(&state.db, &state.gate, &schema, &body).await?;
    written(&state, &collection, &field).await
}

async fn update_relation(
    State(state): State<AppState>,
    _admin: AdminOnly,
    Path((collection, field)): Path<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let schema = state.schema.get();
    svc::update(&state.db, &state.gate, &schema, &collection, &field, &body).await?;
    written(&state, &collection, &field).await
}

async fn delete_relation(
    State(state): State<AppState>,
    _admin: AdminOnly,
    Path((collection, field)): Path<(String, String)>,
) -> Result<Response> {
    let schema = state.schema.get();
    svc::delete(&state.db, &state.gate, &schema, &collection, &field).await?;
    state.invalidate("directus_relations").await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
