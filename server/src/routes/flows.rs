//! `/flows` and `/operations` (directus.md §1 with product.md S3: nested documents, export,
//! validation on save) and the trigger route `/flows/trigger/{id}` (§2.3–§2.6, D1–D3, D10).

use std::sync::Arc;

use crate::extract::Path;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::items;
use crate::access::Accountability;
use crate::error::{ApiError, Result};
use crate::extract::json::{is_json, parse_strict, read_limited};
use crate::extract::query::{DirectusQuery, parse_raw};
use crate::extract::{Acc, ApiJson, OptionalJson};
use crate::flows::document::{self, OpPlan};
use crate::flows::engine::{self, RunInput};
use crate::flows::model::TriggerKind;
use crate::flows::{store, webhook};
use crate::query::Query;
use crate::state::AppState;

const FLOWS: &str = "directus_flows";
const OPERATIONS: &str = "directus_operations";

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
        .route("/flows/{id}/test", axum::routing::post(test_flow))
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

fn require_admin(acc: &Accountability) -> Result<()> {
    if acc.admin {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

async fn list_flows(State(state): State<AppState>, acc: Acc, q: DirectusQuery) -> Result<Response> {
    items::list(&state, acc, FLOWS, &q.query).await
}

async fn search_flows(State(state): State<AppState>, acc: Acc, req: Request) -> Result<Response> {
    items::search(&state, acc, FLOWS, req).await
}

/// `POST /flows`: a nested document (`operations: […]`, S3), a flow with a nested first
/// operation (`operation: {…}`), or plain flow rows.
async fn create_flows(
    State(state): State<AppState>,
    acc: Acc,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let nested = body.get("operations").is_some_and(Value::is_array)
        || body.get("operation").is_some_and(Value::is_object);
    if !nested {
        if let Some(op) = body.get("operation").and_then(Value::as_str)
            && Uuid::parse_str(op).is_err()
        {
            return Err(ApiError::invalid_payload(
                "\"operation\" must be an operation id",
            ));
        }
        let resp = items::create(&state, acc, FLOWS, &q.query, body).await?;
        state.after_write(FLOWS).await;
        return Ok(resp);
    }
    require_admin(&acc.0)?;
    let mut doc = body.clone();
    if let Some(op) = body.get("operation").filter(|v| v.is_object())
        && let Some(obj) = doc.as_object_mut()
    {
        obj.remove("operation");
        obj.insert("operations".into(), json!([op]));
    }
    let plan = document::from_document(&doc, &state.flows.registry())?;
    let id = store::create(&state.db, &state.gate, &plan, &acc.0).await?;
    state.after_write(FLOWS).await;
    items::read(&state, acc, FLOWS, &id.to_string(), &q.query).await
}

async fn update_flows(
    State(state): State<AppState>,
    acc: Acc,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let resp = items::update_collection(&state, acc, FLOWS, &q.query, body).await?;
    state.after_write(FLOWS).await;
    Ok(resp)
}

async fn delete_flows(
    State(state): State<AppState>,
    acc: Acc,
    OptionalJson(body): OptionalJson,
) -> Result<Response> {
    let resp = items::delete_collection(&state, acc, FLOWS, body).await?;
    state.after_write(FLOWS).await;
    Ok(resp)
}

fn flow_id(raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::forbidden())
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
    let id = flow_id(&id)?;
    let (fields, root) = store::load_flow(&state.db, id)
        .await?
        .ok_or_else(ApiError::forbidden)?;
    let ops = store::load_ops(&state.db, id).await?;
    Ok(Json(json!({ "data": document::to_document(&fields, &ops, root) })).into_response())
}

/// `PATCH /flows/{id}`: `operations: […]` replaces the operation set (S3 document);
/// `operation: {…}` creates the first operation; anything else is a plain update, checked so
/// the first operation belongs to the flow.
async fn update_flow(
    State(state): State<AppState>,
    acc: Acc,
    Path(raw_id): Path<String>,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let Value::Object(obj) = &body else {
        return Err(ApiError::invalid_payload("Payload must be an object"));
    };
    if obj.get("operations").is_some_and(Value::is_array) {
        require_admin(&acc.0)?;
        let id = flow_id(&raw_id)?;
        let plan = document::from_document(&body, &state.flows.registry())?;
        store::replace(&state.db, &state.gate, id, &plan, &acc.0).await?;
        state.after_write(FLOWS).await;
        return items::read(&state, acc, FLOWS, &raw_id, &q.query).await;
    }
    if let Some(op) = obj.get("operation").filter(|v| v.is_object()) {
        require_admin(&acc.0)?;
        let id = flow_id(&raw_id)?;
        let mut op = op.clone();
        if let Some(o) = op.as_object_mut() {
            o.insert("flow".into(), json!(id.to_string()));
        }
        let created = create_operation(&state, &acc, &op).await?;
        let mut rest = obj.clone();
        rest.insert("operation".into(), json!(created.to_string()));
        let resp =
            items::update(&state, acc, FLOWS, &raw_id, &q.query, Value::Object(rest)).await?;
        state.after_write(FLOWS).await;
        return Ok(resp);
    }
    if let Some(Value::String(op)) = obj.get("operation") {
        let id = flow_id(&raw_id)?;
        let op = Uuid::parse_str(op)
            .map_err(|_| ApiError::invalid_payload("\"operation\" must be an operation id"))?;
        let ops = store::load_ops(&state.db, id).await?;
        if !ops.iter().any(|o| o.id == op) {
            return Err(ApiError::invalid_payload(
                "\"operation\" must be one of the flow's own operations",
            ));
        }
        document::validate(&ops, Some(op), &state.flows.registry())?;
    }
    let resp = items::update(&state, acc, FLOWS, &raw_id, &q.query, body).await?;
    state.after_write(FLOWS).await;
    Ok(resp)
}

async fn delete_flow(
    State(state): State<AppState>,
    acc: Acc,
    Path(id): Path<String>,
) -> Result<Response> {
    let resp = items::delete(&state, acc, FLOWS, &id).await?;
    state.after_write(FLOWS).await;
    Ok(resp)
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

fn text<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str)
}

fn uuid_field(o: &Map<String, Value>, k: &str) -> Result<Option<Option<Uuid>>> {
    match o.get(k) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Uuid::parse_str(s)
            .map(|u| Some(Some(u)))
            .map_err(|_| ApiError::invalid_payload(format!("\"{k}\" must be an operation id"))),
        Some(_) => Err(ApiError::invalid_payload(format!(
            "\"{k}\" must be an operation id"
        ))),
    }
}

/// The operation set of a flow after applying one create or update, validated.
async fn check_operation(
    state: &AppState,
    flow: Uuid,
    id: Uuid,
    patch: &Map<String, Value>,
    creating: bool,
) -> Result<()> {
    let (_, root) = store::load_flow(&state.db, flow)
        .await?
        .ok_or_else(|| ApiError::invalid_payload("\"flow\" must be an existing flow"))?;
    let mut ops = store::load_ops(&state.db, flow).await?;
    let mut plan = match ops.iter().position(|o| o.id == id) {
        Some(i) => ops.remove(i),
        None if creating => OpPlan {
            id,
            key: String::new(),
            name: None,
            kind: String::new(),
            options: Value::Null,
            position_x: 1,
            position_y: 1,
            resolve: None,
            reject: None,
        },
        None => return Err(ApiError::forbidden()),
    };
    if let Some(k) = text(patch, "key") {
        plan.key = k.to_owned();
    }
    if let Some(t) = text(patch, "type") {
        plan.kind = t.to_owned();
    }
    if let Some(r) = uuid_field(patch, "resolve")? {
        plan.resolve = r;
    }
    if let Some(r) = uuid_field(patch, "reject")? {
        plan.reject = r;
    }
    ops.push(plan);
    document::validate(&ops, root, &state.flows.registry())
}

/// Creates one operation (validated) through the items service; returns its id.
async fn create_operation(state: &AppState, acc: &Acc, body: &Value) -> Result<Uuid> {
    let Value::Object(o) = body else {
        return Err(ApiError::invalid_payload("An operation must be an object"));
    };
    let flow = text(o, "flow")
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| ApiError::invalid_payload("\"flow\" is required"))?;
    let mut body = o.clone();
    let id = match text(o, "id") {
        Some(s) => {
            Uuid::parse_str(s).map_err(|_| ApiError::invalid_payload("\"id\" must be a UUID"))?
        }
        None => Uuid::new_v4(),
    };
    body.insert("id".into(), json!(id.to_string()));
    if !body.contains_key("type")
        && let Some(t) = body.get("operation").cloned()
    {
        body.insert("type".into(), t);
    }
    body.remove("operation");
    if !body.contains_key("position_x") {
        body.insert("position_x".into(), json!(19));
    }
    if !body.contains_key("position_y") {
        body.insert("position_y".into(), json!(1));
    }
    check_operation(state, flow, id, &body, true).await?;
    let ctx = state.items_ctx(acc.0.clone());
    let svc = crate::items::Items::new(&state.db, &ctx, OPERATIONS)?;
    svc.create_one(&Value::Object(body), Default::default())
        .await?;
    Ok(id)
}

async fn create_ops(
    State(state): State<AppState>,
    acc: Acc,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let (ids, many) = match &body {
        Value::Array(list) => {
            let mut ids = Vec::with_capacity(list.len());
            for op in list {
                ids.push(create_operation(&state, &acc, op).await?);
            }
            (ids, true)
        }
        other => (vec![create_operation(&state, &acc, other).await?], false),
    };
    state.after_write(OPERATIONS).await;
    let keys: Vec<Value> = ids.iter().map(|i| json!(i.to_string())).collect();
    let ctx = state.items_ctx(acc.0.clone());
    let svc = crate::items::Items::new(&state.db, &ctx, OPERATIONS)?;
    let data = if many {
        Value::Array(svc.read_many(&keys, &q.query).await?)
    } else {
        svc.read_one(&keys[0], &q.query).await?
    };
    Ok(Json(json!({ "data": data })).into_response())
}

async fn validate_op_patch(state: &AppState, id: &str, patch: &Value) -> Result<()> {
    let Value::Object(o) = patch else {
        return Err(ApiError::invalid_payload("Payload must be an object"));
    };
    let id = Uuid::parse_str(id).map_err(|_| ApiError::forbidden())?;
    let op = entity::prelude::DirectusOperations::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(ApiError::forbidden)?;
    let flow = match text(o, "flow") {
        Some(f) if f != op.flow.to_string() => {
            return Err(ApiError::invalid_payload(
                "An operation can't move to another flow",
            ));
        }
        _ => op.flow,
    };
    check_operation(state, flow, id, o, false).await
}

async fn update_op(
    State(state): State<AppState>,
    acc: Acc,
    Path(id): Path<String>,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    validate_op_patch(&state, &id, &body).await?;
    let resp = items::update(&state, acc, OPERATIONS, &id, &q.query, body).await?;
    state.after_write(OPERATIONS).await;
    Ok(resp)
}

async fn update_ops(
    State(state): State<AppState>,
    acc: Acc,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    if let Value::Array(list) = &body {
        for item in list {
            let id = item
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid_payload("Each operation needs its \"id\""))?;
            validate_op_patch(&state, id, item).await?;
        }
    } else if body.get("data").is_some_and(|d| {
        ["type", "key", "resolve", "reject", "flow"]
            .iter()
            .any(|k| d.get(*k).is_some())
    }) {
        return Err(ApiError::invalid_payload(
            "Change operation links, keys and types one operation at a time",
        ));
    }
    let resp = items::update_collection(&state, acc, OPERATIONS, &q.query, body).await?;
    state.after_write(OPERATIONS).await;
    Ok(resp)
}

async fn delete_op(
    State(state): State<AppState>,
    acc: Acc,
    Path(id): Path<String>,
) -> Result<Response> {
    let resp = items::delete(&state, acc, OPERATIONS, &id).await?;
    unlink_deleted(&state).await?;
    state.after_write(OPERATIONS).await;
    Ok(resp)
}

/// After operations are deleted, links that pointed at them (a flow's first operation, other
/// operations' resolve/reject) are cleared, as Directus does.
async fn unlink_deleted(state: &AppState) -> Result<()> {
    use sea_orm::ConnectionTrait;
    let backend = state.db.get_database_backend();
    for sql in [
        "UPDATE directus_flows SET operation = NULL WHERE operation IS NOT NULL \
         AND operation NOT IN (SELECT id FROM directus_operations)",
        "UPDATE directus_operations SET resolve = NULL WHERE resolve IS NOT NULL \
         AND resolve NOT IN (SELECT id FROM directus_operations)",
        "UPDATE directus_operations SET reject = NULL WHERE reject IS NOT NULL \
         AND reject NOT IN (SELECT id FROM directus_operations)",
    ] {
        state
            .db
            .execute_raw(sea_orm::Statement::from_string(backend, sql))
            .await?;
    }
    Ok(())
}

async fn delete_ops(
    State(state): State<AppState>,
    acc: Acc,
    OptionalJson(body): OptionalJson,
) -> Result<Response> {
    let resp = items::delete_collection(&state, acc, OPERATIONS, body).await?;
    unlink_deleted(&state).await?;
    state.after_write(OPERATIONS).await;
    Ok(resp)
}

/// `/flows/trigger/{id}` with any method.
async fn trigger(
    State(state): State<AppState>,
    Acc(acc): Acc,
    Path(raw_id): Path<String>,
    req: Request,
) -> Response {
    match run_webhook(&state, acc, &raw_id, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn run_webhook(
    state: &AppState,
    acc: Arc<Accountability>,
    raw_id: &str,
    req: Request,
) -> Result<Response> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let Ok(id) = Uuid::parse_str(raw_id) else {
        return Err(ApiError::route_not_found(&path));
    };
    if !webhook::webhook_method(&method) {
        return Err(ApiError::route_not_found(&path));
    }
    let flow = state
        .flows
        .get(id)
        .filter(|f| matches!(f.trigger, TriggerKind::Webhook | TriggerKind::Manual))
        .filter(|f| f.webhook.as_ref().is_some_and(|w| w.method == method))
        .ok_or_else(ApiError::forbidden)?;
    if !webhook::may_trigger(&state.access.get(), &acc, &flow) {
        return Err(ApiError::forbidden());
    }
    let raw_query = parse_raw(state, req.uri().query());
    Query::from_params(&raw_query)?;
    let cache_key = match (&state.cache, &flow.webhook) {
        (Some(_), Some(w)) if method == Method::GET && w.cache_enabled => {
            let user = acc.user.map(|u| u.to_string());
            Some(crate::protect::cache::webhook_key(
                raw_id,
                user.as_deref(),
                &raw_query,
                &w.cache_query_params,
            ))
        }
        _ => None,
    };
    if let (Some(cache), Some(key)) = (&state.cache, &cache_key)
        && let Some(hit) = cache.get(key).await
    {
        let remaining = hit
            .expires_at
            .saturating_sub(chrono::Utc::now().timestamp_millis())
            .max(0)
            / 1000;
        let scope = if acc.role.is_none() {
            "public"
        } else {
            "private"
        };
        let status =
            axum::http::StatusCode::from_u16(hit.status).unwrap_or(axum::http::StatusCode::OK);
        let mut resp = webhook::json_response(
            status,
            Some(hit.body),
            &format!("{scope}, max-age={remaining}"),
        );
        cache_status(state, &mut resp, "HIT");
        return Ok(resp);
    }
    let headers = webhook::headers_object(req.headers());
    let json_body = is_json(req.headers());
    let bytes = read_limited(req, state.config.max_payload_size).await?;
    let body = if json_body && !bytes.iter().all(u8::is_ascii_whitespace) && method != Method::GET {
        parse_strict(&bytes)?
    } else {
        json!({})
    };
    if flow.trigger == TriggerKind::Manual {
        manual_checks(state, &acc, &flow, &body).await?;
    }
    let trigger = webhook::trigger_value(raw_id, raw_query, body, method.as_str(), headers);
    let Some(options) = flow.webhook.as_ref() else {
        return Err(ApiError::forbidden());
    };
    let envelope = state.config.flows_response_envelope;
    let input = RunInput {
        trigger,
        accountability: Some(acc.clone()),
        depth: 0,
        keep_options: false,
        method: Some(method.to_string()),
    };
    if options.is_async {
        let st = state.clone();
        let f = flow.clone();
        let status = if envelope { 202 } else { 204 };
        state.flows.spawn(async move {
            let outcome = engine::run(&st, &f, input).await;
            st.flows.log(&f, outcome, Some(status)).await;
        });
        return Ok(webhook::accepted(envelope));
    }
    let outcome = engine::run(state, &flow, input).await;
    // A run a panic ended answers 500 even when the flow answers rejections with data.
    if (options.error_on_reject || outcome.panicked)
        && let Some(err) = webhook::rejection_error(&outcome, &acc)
    {
        let code = err.status().as_u16();
        state.flows.log(&flow, outcome, Some(code)).await;
        return Ok(err.into_response());
    }
    let (status, text) = if flow.accountability.is_none() {
        webhook::success_text(&outcome.into_return_value(&flow), envelope)
    } else {
        let parts = webhook::success_text(&outcome.return_value(&flow), envelope);
        state
            .flows
            .log(&flow, outcome, Some(parts.0.as_u16()))
            .await;
        parts
    };
    if let (Some(cache), Some(key), Some(text)) = (&state.cache, &cache_key, &text)
        && status == axum::http::StatusCode::OK
    {
        cache.set(key, status.as_u16(), text.clone()).await;
        let mut resp = webhook::json_response(status, Some(text.clone()), "no-cache");
        cache_status(state, &mut resp, "MISS");
        return Ok(resp);
    }
    Ok(webhook::json_response(status, text, "no-cache"))
}

/// Adds `CACHE_STATUS_HEADER: HIT|MISS` when configured.
fn cache_status(state: &AppState, resp: &mut Response, value: &'static str) {
    if let Some(name) = state
        .cache
        .as_ref()
        .and_then(|c| c.status_header.as_deref())
        && let Ok(h) = axum::http::HeaderName::from_bytes(name.as_bytes())
    {
        resp.headers_mut()
            .insert(h, axum::http::HeaderValue::from_static(value));
    }
}

/// `POST /flows/{id}/test` (admins; a Sluice addition for the builder): runs a saved flow —
/// active or not — with a sample request `{method?, headers?, query?, body?}` and answers the
/// HTTP status and body a real call would get plus every step's status, options, output and
/// duration (secrets redacted). The run is logged like any other.
async fn test_flow(
    State(state): State<AppState>,
    Acc(acc): Acc,
    Path(raw_id): Path<String>,
    ApiJson(sample): ApiJson<Value>,
) -> Result<Response> {
    require_admin(&acc)?;
    let id = flow_id(&raw_id)?;
    let flow_row = entity::prelude::DirectusFlows::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(ApiError::forbidden)?;
    let ops = entity::prelude::DirectusOperations::find()
        .filter(entity::directus_operations::Column::Flow.eq(id))
        .order_by_asc(entity::directus_operations::Column::DateCreated)
        .all(&state.db)
        .await?;
    let flow = Arc::new(crate::flows::model::FlowDef::compile(
        &flow_row,
        &ops,
        &state.flows.registry(),
    ));
    let default_method = flow
        .webhook
        .as_ref()
        .map_or_else(|| "POST".to_owned(), |w| w.method.to_string());
    let method = sample
        .get("method")
        .and_then(Value::as_str)
        .map_or(default_method, str::to_ascii_uppercase);
    let query = match sample.get("query") {
        Some(Value::Object(q)) => q.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(ApiError::invalid_payload("\"query\" must be an object")),
    };
    let mut headers = Map::new();
    match sample.get("headers") {
        Some(Value::Object(h)) => {
            for (k, v) in h {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                headers.insert(k.to_ascii_lowercase(), json!(text));
            }
        }
        None | Some(Value::Null) => {}
        Some(_) => return Err(ApiError::invalid_payload("\"headers\" must be an object")),
    }
    let body = sample.get("body").cloned().unwrap_or_else(|| json!({}));
    let trigger = if matches!(flow.trigger, TriggerKind::Webhook | TriggerKind::Manual) {
        webhook::trigger_value(&raw_id, query, body, &method, Value::Object(headers))
    } else {
        body
    };
    let input = RunInput {
        trigger,
        accountability: Some(acc.clone()),
        depth: 0,
        keep_options: true,
        method: Some(method),
    };
    let outcome = engine::run(&state, &flow, input).await;
    let error_on_reject =
        outcome.panicked || flow.webhook.as_ref().is_some_and(|w| w.error_on_reject);
    let (status, response_body) = match error_on_reject
        .then(|| webhook::rejection_error(&outcome, &acc))
        .flatten()
    {
        Some(err) => (err.status().as_u16(), err.body()),
        None => {
            let value = outcome.return_value(&flow);
            if state.config.flows_response_envelope {
                (200, json!({ "data": value }))
            } else if value.is_null() {
                (204, Value::Null)
            } else {
                (200, value)
            }
        }
    };
    let redactor = state.flows.redactor();
    let steps: Vec<Value> = outcome
        .steps
        .iter()
        .map(|s| {
            json!({
                "operation": s.operation.to_string(),
                "key": s.key,
                "status": s.status.as_str(),
                "options": redactor.redact_chain(&s.options),
                "data": redactor.redact_chain(outcome.chain.result(&s.key).unwrap_or(&Value::Null)),
                "duration_ms": s.duration_ms,
            })
        })
        .collect();
    let answer = json!({ "data": {
        "status": status,
        "body": response_body,
        "run_status": outcome.status(),
        "duration_ms": outcome.duration.as_secs_f64() * 1000.0,
        "steps": steps,
        "trigger": redactor.redact_chain(outcome.chain.trigger()),
    }});
    state.flows.log(&flow, outcome, Some(status)).await;
    Ok(Json(answer).into_response())
}

/// The checks of a manual trigger (directus.md §2.4): a collection the flow lists, selected
/// keys when `requireSelection`, and — for non-admins — read access to the collection and to
/// every key. Each failure is the generic 403.
async fn manual_checks(
    state: &AppState,
    acc: &Arc<Accountability>,
    flow: &crate::flows::model::FlowDef,
    body: &Value,
) -> Result<()> {
    let collection = body
        .get("collection")
        .and_then(Value::as_str)
        .ok_or_else(ApiError::forbidden)?;
    let allowed = flow
        .options
        .get("collections")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
        .ok_or_else(ApiError::forbidden)?;
    if !allowed.iter().any(|c| c.as_str() == Some(collection)) {
        return Err(ApiError::forbidden());
    }
    let keys: Vec<Value> = body
        .get("keys")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let require_selection = flow
        .options
        .get("requireSelection")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if require_selection && keys.is_empty() {
        return Err(ApiError::forbidden());
    }
    if !acc.admin {
        let ctx = state.items_ctx(acc.clone());
        let items = crate::items::Items::new(&state.db, &ctx, collection)
            .map_err(|_| ApiError::forbidden())?;
        let q = Query {
            limit: Some(1),
            ..Query::default()
        };
        items
            .read_by_query(&q)
            .await
            .map_err(|_| ApiError::forbidden())?;
        if !keys.is_empty() {
            let found = items
                .read_many(&keys, &Query::default())
                .await
                .map_err(|_| ApiError::forbidden())?;
            if found.len() != keys.len() {
                return Err(ApiError::forbidden());
            }
        }
    }
    Ok(())
}
