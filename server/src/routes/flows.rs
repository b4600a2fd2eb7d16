//! `/flows` and `/operations` (directus.md §1 with product.md S3) and the trigger route
//! `/flows/trigger/{id}`: routing and extraction only. The rules of saving live in
//! `flows::service`, the webhook use case in `flows::webhook`.

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::items;
use crate::error::{ApiError, Result};
use crate::extract::query::DirectusQuery;
use crate::extract::{Acc, AdminOnly, ApiJson, OptionalJson, Path};
use crate::flows::ingress::conceal;
use crate::flows::service::{Created, FLOWS, FlowService, OPERATIONS, OpsToDelete};
use crate::flows::{document, replay, store, webhook};
use crate::query::Query;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/flows/trigger/{id}", any(trigger))
        .route(
            "/flows",
            get(list_flows)
                .post(create_flows)
                .patch(update_flows)
                .delete(delete_flows)
                .fallback(search_flows),
        )
        .route(
            "/flows/{id}",
            get(read_flow).patch(update_flow).delete(delete_flow),
        )
        .route("/flows/{id}/test", post(test_flow))
        .route("/flows/{id}/signed-test", post(signed_test))
        .route("/flows/{id}/refused", get(list_refused))
        .route("/flows/{id}/refused/{refused}/replay", post(replay_refused))
        .route("/flows/{id}/runs/replay", post(replay_runs))
        .route("/flows/{id}/runs/{run}/replay", post(replay_run))
        .route(
            "/operations",
            get(list_ops)
                .post(create_ops)
                .patch(update_ops)
                .delete(delete_ops)
                .fallback(search_ops),
        )
        .route(
            "/operations/{id}",
            get(read_op).patch(update_op).delete(delete_op),
        )
}

async fn list_flows(State(state): State<AppState>, acc: Acc, q: DirectusQuery) -> Result<Response> {
    items::list(&state, acc, FLOWS, &q.query).await
}

async fn search_flows(State(state): State<AppState>, acc: Acc, req: Request) -> Result<Response> {
    items::search(&state, acc, FLOWS, req).await
}

async fn create_flows(
    State(state): State<AppState>,
    acc: Acc,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    match FlowService::new(&state.flows, &acc.0).create(&body).await? {
        Created::Document(id) => items::read(&state, acc, FLOWS, &id.to_string(), &q.query).await,
        Created::Rows => items::create(&state, acc, FLOWS, &q.query, body).await,
    }
}

async fn update_flows(
    State(state): State<AppState>,
    acc: Acc,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    FlowService::new(&state.flows, &acc.0).check_flows(&body)?;
    items::update_collection(&state, acc, FLOWS, &q.query, body).await
}

async fn delete_flows(
    State(state): State<AppState>,
    acc: Acc,
    OptionalJson(body): OptionalJson,
) -> Result<Response> {
    items::delete_collection(&state, acc, FLOWS, body).await
}

/// `GET /flows/{id}` (`?export=document` answers the S3 document).
async fn read_flow(
    State(state): State<AppState>,
    acc: Acc,
    Path(id): Path<String>,
    q: DirectusQuery,
) -> Result<Response> {
    let export = q.raw.get("export").and_then(Value::as_str) == Some("document");
    if !export {
        return items::read(&state, acc, FLOWS, &id, &q.query).await;
    }
    // Reading it first applies the caller's permissions.
    items::read(&state, Acc(acc.0.clone()), FLOWS, &id, &Query::default()).await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::forbidden())?;
    let (mut fields, root) = store::load_flow(&state.db, id)
        .await?
        .ok_or_else(ApiError::forbidden)?;
    conceal::flow(&mut fields);
    let ops = store::load_ops(&state.db, id).await?;
    Ok(Json(json!({ "data": document::to_document(&fields, &ops, root) })).into_response())
}

async fn update_flow(
    State(state): State<AppState>,
    acc: Acc,
    Path(id): Path<String>,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    match FlowService::new(&state.flows, &acc.0)
        .update(&id, &body)
        .await?
    {
        None => items::read(&state, acc, FLOWS, &id, &q.query).await,
        Some(patch) => items::update(&state, acc, FLOWS, &id, &q.query, patch).await,
    }
}

async fn delete_flow(
    State(state): State<AppState>,
    acc: Acc,
    Path(id): Path<String>,
) -> Result<Response> {
    items::delete(&state, acc, FLOWS, &id).await
}

async fn list_ops(State(state): State<AppState>, acc: Acc, q: DirectusQuery) -> Result<Response> {
    items::list(&state, acc, OPERATIONS, &q.query).await
}

async fn search_ops(State(state): State<AppState>, acc: Acc, req: Request) -> Result<Response> {
    items::search(&state, acc, OPERATIONS, req).await
}

async fn read_op(
    State(state): State<AppState>,
    acc: Acc,
    Path(id): Path<String>,
    q: DirectusQuery,
) -> Result<Response> {
    items::read(&state, acc, OPERATIONS, &id, &q.query).await
}

async fn create_ops(
    State(state): State<AppState>,
    acc: Acc,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let (ids, many) = FlowService::new(&state.flows, &acc.0)
        .create_operations(&body)
        .await?;
    let keys: Vec<Value> = ids.iter().map(|i| json!(i.to_string())).collect();
    items::answer_with(&state, &acc, OPERATIONS, keys, many, &q.query).await
}

async fn update_op(
    State(state): State<AppState>,
    acc: Acc,
    Path(id): Path<String>,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    FlowService::new(&state.flows, &acc.0)
        .check_patch(&id, &body)
        .await?;
    items::update(&state, acc, OPERATIONS, &id, &q.query, body).await
}

async fn update_ops(
    State(state): State<AppState>,
    acc: Acc,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    FlowService::new(&state.flows, &acc.0)
        .check_patches(&body)
        .await?;
    items::update_collection(&state, acc, OPERATIONS, &q.query, body).await
}

async fn delete_op(
    State(state): State<AppState>,
    acc: Acc,
    Path(id): Path<String>,
) -> Result<Response> {
    FlowService::new(&state.flows, &acc.0)
        .delete_operations(OpsToDelete::One(&id))
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

async fn delete_ops(
    State(state): State<AppState>,
    acc: Acc,
    OptionalJson(body): OptionalJson,
) -> Result<Response> {
    FlowService::new(&state.flows, &acc.0)
        .delete_operations(OpsToDelete::from_body(&body)?)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// `/flows/trigger/{id}` with any method.
async fn trigger(
    State(state): State<AppState>,
    Acc(acc): Acc,
    Path(raw_id): Path<String>,
    req: Request,
) -> Response {
    let cache = state.cache.as_ref();
    let resp = match webhook::handle(&state.flows, cache, &state.ingress, acc, &raw_id, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    crate::metrics::webhook_answered(resp.status().as_u16());
    resp
}

/// `POST /flows/{id}/test` (admins): a test run answered as a real call would be, with every
/// step.
async fn test_flow(
    State(state): State<AppState>,
    AdminOnly(acc): AdminOnly,
    Path(raw_id): Path<String>,
    ApiJson(sample): ApiJson<Value>,
) -> Result<Response> {
    let answer = webhook::test(&state.flows, acc, &raw_id, &sample).await?;
    Ok(Json(json!({ "data": answer })).into_response())
}

/// `POST /flows/{id}/runs/{run}/replay` (admins; a Sluice addition): queues the run again with
/// its recorded call, against the flow as it is now; `202 {"data": {"queued": 1, …}}`.
async fn replay_run(
    State(state): State<AppState>,
    _: AdminOnly,
    Path((raw_id, run)): Path<(String, String)>,
) -> Result<Response> {
    let done = replay::one(&state.flows, &raw_id, &run).await?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(json!({ "data": done.to_json() })),
    )
        .into_response())
}

/// `POST /flows/{id}/runs/replay` (admins): queues every run the body's filter picks
/// (`status`, `from`, `to`, `limit`) and says how many were queued, skipped and refused.
async fn replay_runs(
    State(state): State<AppState>,
    _: AdminOnly,
    Path(raw_id): Path<String>,
    ApiJson(filter): ApiJson<Value>,
) -> Result<Response> {
    if !filter.is_object() {
        return Err(ApiError::invalid_payload("The filter must be an object"));
    }
    let done = replay::many(&state.flows, &raw_id, &filter).await?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(json!({ "data": done.to_json() })),
    )
        .into_response())
}

/// `POST /flows/{id}/signed-test` (admins): a sample body signed with the flow's secret and
/// delivered to its webhook (docs/ingress.md).
async fn signed_test(
    State(state): State<AppState>,
    AdminOnly(acc): AdminOnly,
    Path(raw_id): Path<String>,
    OptionalJson(sample): OptionalJson,
) -> Result<Response> {
    let sample = sample.unwrap_or(Value::Null);
    let answer = webhook::signed_test(&state.flows, &state.ingress, acc, &raw_id, &sample).await?;
    Ok(Json(json!({ "data": answer })).into_response())
}

/// `GET /flows/{id}/refused` (admins): the flow's refused calls, with the query language. The
/// kept body and the query string (which may hold credentials) are never answered.
async fn list_refused(
    State(state): State<AppState>,
    AdminOnly(acc): AdminOnly,
    Path(raw_id): Path<String>,
    q: DirectusQuery,
) -> Result<Response> {
    let id = uuid::Uuid::parse_str(&raw_id).map_err(|_| ApiError::forbidden())?;
    // What this instance refused so far is written before it is read.
    state.ingress.refused.flush().await;
    let mut query = q.query.clone();
    let of_flow = json!({"flow": {"_eq": id.to_string()}});
    query.filter = Some(match query.filter.take() {
        Some(f) => json!({"_and": [of_flow, f]}),
        None => of_flow,
    });
    let ctx = state.items_ctx(acc);
    let items = crate::items::Items::new(&state.db, &ctx, REFUSED)?;
    let mut out = items.read_by_query(&query).await?;
    for row in &mut out.data {
        if let Some(o) = row.as_object_mut() {
            o.remove("body");
            o.remove("query");
        }
    }
    let mut body = json!({ "data": out.data });
    if let Some(meta) = out.meta {
        body["meta"] = meta;
    }
    Ok(Json(body).into_response())
}

/// The refused-calls log's collection.
const REFUSED: &str = "sluice_refused";

/// `POST /flows/{id}/refused/{refused}/replay` (admins): queues a replayable refused call.
async fn replay_refused(
    State(state): State<AppState>,
    _: AdminOnly,
    Path((raw_id, refused)): Path<(String, String)>,
) -> Result<Response> {
    let run = crate::flows::ingress::replay::refused(&state.flows, &raw_id, &refused).await?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(json!({ "data": {"queued": 1, "run": run.to_string()} })),
    )
        .into_response())
}
