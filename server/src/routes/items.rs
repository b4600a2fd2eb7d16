//! `/items/{collection}` (directus.md §6.1) and the generic handlers that also serve the
//! system collections (`/users`, `/roles`, `/policies`, …): list, search, read, create,
//! update (one, many, by query, batch) and delete, answered in Directus's shapes.

use crate::extract::Path;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};

use crate::error::{ApiError, Result};
use crate::extract::json::{is_json, parse_strict, read_limited};
use crate::extract::query::DirectusQuery;
use crate::extract::{Acc, ApiJson, OptionalJson};
use crate::items::{Items, WriteOptions};
use crate::query::Query;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/items/{collection}",
            get(list_items)
                .post(create_items)
                .patch(update_items)
                .delete(delete_items)
                .fallback(search_items),
        )
        .route(
            "/items/{collection}/{id}",
            get(read_item).patch(update_item).delete(delete_item),
        )
}

/// `/items` never serves system collections (they have their own routes).
fn user_collection(name: &str) -> Result<&str> {
    if name.starts_with("directus_") || name.starts_with("sluice_") {
        return Err(ApiError::forbidden_reason(format!(
            "You don't have permission to access collection \"{name}\" or it does not exist. \
             Queried in root."
        )));
    }
    Ok(name)
}

fn data(v: Value) -> Response {
    axum::Json(json!({ "data": v })).into_response()
}

/// Lists items (a singleton answers its one object).
pub async fn list(state: &AppState, acc: Acc, collection: &str, q: &Query) -> Result<Response> {
    let ctx = state.items_ctx(acc.0);
    let items = Items::new(&state.db, &ctx, collection)?;
    if items.collection.singleton {
        return singleton_read(&items, q).await.map(data);
    }
    let out = items.read_by_query(q).await?;
    let mut body = json!({ "data": out.data });
    if let Some(meta) = out.meta {
        body["meta"] = meta;
    }
    Ok(axum::Json(body).into_response())
}

async fn singleton_read(
    items: &Items<'_, sea_orm::DatabaseConnection>,
    q: &Query,
) -> Result<Value> {
    let mut q1 = q.clone();
    q1.limit = Some(1);
    let out = items.read_by_query(&q1).await?;
    if let Some(first) = out.data.into_iter().next() {
        return Ok(first);
    }
    // No row yet: the defaults, as Directus shows them.
    let mut obj = serde_json::Map::new();
    for f in &items.collection.fields {
        obj.insert(
            f.name.clone(),
            f.default_value.clone().unwrap_or(Value::Null),
        );
    }
    Ok(Value::Object(obj))
}

/// Reads back what a mutation touched with the caller's permissions; 204 when they cannot.
pub async fn answer_with(
    state: &AppState,
    acc: &Acc,
    collection: &str,
    keys: Vec<Value>,
    many: bool,
    q: &Query,
) -> Result<Response> {
    let ctx = state.items_ctx(acc.0.clone());
    let items = Items::new(&state.db, &ctx, collection)?;
    let result = if many {
        items.read_many(&keys, q).await.map(Value::Array)
    } else {
        match keys.first() {
            Some(k) => items.read_one(k, q).await,
            None => Err(ApiError::forbidden()),
        }
    };
    match result {
        Ok(v) => Ok(data(v)),
        Err(e) if e.code() == "FORBIDDEN" => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(e) => Err(e),
    }
}

pub async fn create(
    state: &AppState,
    acc: Acc,
    collection: &str,
    q: &Query,
    body: Value,
) -> Result<Response> {
    let ctx = state.items_ctx(acc.0.clone());
    let items = Items::new(&state.db, &ctx, collection)?;
    if items.collection.singleton {
        return Err(ApiError::route_not_found(&format!("/items/{collection}")));
    }
    let (keys, many) = match &body {
        Value::Array(list) => (
            items.create_many(list, WriteOptions::default()).await?,
            true,
        ),
        Value::Object(_) => (
            vec![items.create_one(&body, WriteOptions::default()).await?],
            false,
        ),
        _ => {
            return Err(ApiError::invalid_payload(
                "Payload must be an object or an array",
            ));
        }
    };
    state.invalidate(collection).await;
    answer_with(state, &acc, collection, keys, many, q).await
}

pub async fn update_collection(
    state: &AppState,
    acc: Acc,
    collection: &str,
    q: &Query,
    body: Value,
) -> Result<Response> {
    let ctx = state.items_ctx(acc.0.clone());
    let items = Items::new(&state.db, &ctx, collection)?;
    let opts = WriteOptions::default();
    if items.collection.singleton {
        let existing = items.keys_by_query(&Query::default()).await?;
        match existing.first() {
            Some(k) => {
                items.update_one(k, &body, opts).await?;
            }
            None => {
                items.create_one(&body, opts).await?;
            }
        }
        state.invalidate(collection).await;
        let ctx = state.items_ctx(acc.0.clone());
        let items = Items::new(&state.db, &ctx, collection)?;
        return singleton_read(&items, q).await.map(data);
    }
    let keys = match &body {
        Value::Array(list) => items.update_batch(list, opts).await?,
        Value::Object(o) => {
            let payload = o
                .get("data")
                .ok_or_else(|| ApiError::invalid_payload("\"data\" is required"))?;
            match (o.get("keys"), o.get("query")) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::invalid_payload(
                        "\"keys\" and \"query\" cannot be used together",
                    ));
                }
                (Some(Value::Array(keys)), None) => items.update_many(keys, payload, opts).await?,
                (None, Some(query)) => {
                    items
                        .update_by_query(&Query::from_json(query)?, payload, opts)
                        .await?
                }
                _ => {
                    return Err(ApiError::invalid_payload(
                        "Either \"keys\" (an array) or \"query\" is required",
                    ));
                }
            }
        }
        _ => {
            return Err(ApiError::invalid_payload(
                "Payload must be an object or an array",
            ));
        }
    };
    state.invalidate(collection).await;
    answer_with(state, &acc, collection, keys, true, q).await
}

pub async fn delete_collection(
    state: &AppState,
    acc: Acc,
    collection: &str,
    body: Option<Value>,
) -> Result<Response> {
    let ctx = state.items_ctx(acc.0);
    let items = Items::new(&state.db, &ctx, collection)?;
    let opts = WriteOptions::default();
    match body {
        Some(Value::Array(keys)) => {
            items.delete_many(&keys, opts).await?;
        }
        Some(Value::Object(o)) => match (o.get("keys"), o.get("query")) {
            (Some(Value::Array(keys)), None) => {
                items.delete_many(keys, opts).await?;
            }
            (None, Some(query)) => {
                items
                    .delete_by_query(&Query::from_json(query)?, opts)
                    .await?;
            }
            _ => {
                return Err(ApiError::invalid_payload(
                    "Either \"keys\" (an array) or \"query\" is required",
                ));
            }
        },
        _ => {
            return Err(ApiError::invalid_payload(
                "An array of keys, or an object with \"keys\" or \"query\", is required",
            ));
        }
    }
    state.invalidate(collection).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn read(
    state: &AppState,
    acc: Acc,
    collection: &str,
    id: &str,
    q: &Query,
) -> Result<Response> {
    let ctx = state.items_ctx(acc.0);
    let items = Items::new(&state.db, &ctx, collection)?;
    if items.collection.singleton {
        return Err(ApiError::route_not_found(&format!(
            "/items/{collection}/{id}"
        )));
    }
    items.read_one(&json!(id), q).await.map(data)
}

pub async fn update(
    state: &AppState,
    acc: Acc,
    collection: &str,
    id: &str,
    q: &Query,
    body: Value,
) -> Result<Response> {
    let ctx = state.items_ctx(acc.0.clone());
    let items = Items::new(&state.db, &ctx, collection)?;
    if !body.is_object() {
        return Err(ApiError::invalid_payload("Payload must be an object"));
    }
    let key = items
        .update_one(&json!(id), &body, WriteOptions::default())
        .await?;
    state.invalidate(collection).await;
    answer_with(state, &acc, collection, vec![key], false, q).await
}

pub async fn delete(state: &AppState, acc: Acc, collection: &str, id: &str) -> Result<Response> {
    let ctx = state.items_ctx(acc.0);
    let items = Items::new(&state.db, &ctx, collection)?;
    items
        .delete_one(&json!(id), WriteOptions::default())
        .await?;
    state.invalidate(collection).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `SEARCH`: the body's `query` (or `keys`) replaces the URL query.
pub async fn search(
    state: &AppState,
    acc: Acc,
    collection: &str,
    req: Request,
) -> Result<Response> {
    if req.method().as_str() != "SEARCH" {
        return Err(ApiError::route_not_found(req.uri().path()));
    }
    if !is_json(req.headers()) {
        return Err(ApiError::invalid_payload(
            "Content-Type must be application/json",
        ));
    }
    let body = parse_strict(&read_limited(req, state.config.max_payload_size).await?)?;
    let ctx = state.items_ctx(acc.0);
    let items = Items::new(&state.db, &ctx, collection)?;
    if let Some(Value::Array(keys)) = body.get("keys") {
        let q = match body.get("query") {
            Some(q) => Query::from_json(q)?,
            None => Query::default(),
        };
        return items
            .read_many(keys, &q)
            .await
            .map(|v| data(Value::Array(v)));
    }
    let q = Query::from_json(body.get("query").unwrap_or(&Value::Null))?;
    let out = items.read_by_query(&q).await?;
    let mut resp = json!({ "data": out.data });
    if let Some(meta) = out.meta {
        resp["meta"] = meta;
    }
    Ok(axum::Json(resp).into_response())
}

async fn list_items(
    State(state): State<AppState>,
    acc: Acc,
    Path(collection): Path<String>,
    q: DirectusQuery,
) -> Result<Response> {
    list(&state, acc, user_collection(&collection)?, &q.query).await
}

async fn search_items(
    State(state): State<AppState>,
    acc: Acc,
    Path(collection): Path<String>,
    req: Request,
) -> Result<Response> {
    if req.method() == Method::OPTIONS || req.method().as_str() != "SEARCH" {
        return Err(ApiError::route_not_found(req.uri().path()));
    }
    search(&state, acc, user_collection(&collection)?, req).await
}

async fn create_items(
    State(state): State<AppState>,
    acc: Acc,
    Path(collection): Path<String>,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    create(&state, acc, user_collection(&collection)?, &q.query, body).await
}

async fn update_items(
    State(state): State<AppState>,
    acc: Acc,
    Path(collection): Path<String>,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    update_collection(&state, acc, user_collection(&collection)?, &q.query, body).await
}

async fn delete_items(
    State(state): State<AppState>,
    acc: Acc,
    Path(collection): Path<String>,
    OptionalJson(body): OptionalJson,
) -> Result<Response> {
    delete_collection(&state, acc, user_collection(&collection)?, body).await
}

async fn read_item(
    State(state): State<AppState>,
    acc: Acc,
    Path((collection, id)): Path<(String, String)>,
    q: DirectusQuery,
) -> Result<Response> {
    read(&state, acc, user_collection(&collection)?, &id, &q.query).await
}

async fn update_item(
    State(state): State<AppState>,
    acc: Acc,
    Path((collection, id)): Path<(String, String)>,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    update(
        &state,
        acc,
        user_collection(&collection)?,
        &id,
        &q.query,
        body,
    )
    .await
}

async fn delete_item(
    State(state): State<AppState>,
    acc: Acc,
    Path((collection, id)): Path<(String, String)>,
) -> Result<Response> {
    delete(&state, acc, user_collection(&collection)?, &id).await
}

/// Routes for a system collection at `/{path}` and `/{path}/{id}` with the generic handlers.
/// `read_only` collections (activity, revisions) answer only reads.
pub fn system(path: &str, collection: &'static str, read_only: bool) -> Router<AppState> {
    let list_route: MethodRouter<AppState> = get(
        move |State(state): State<AppState>, acc: Acc, q: DirectusQuery| async move {
            list(&state, acc, collection, &q.query).await
        },
    )
    .fallback(
        move |State(state): State<AppState>, acc: Acc, req: Request| async move {
            search(&state, acc, collection, req).await
        },
    );
    let one_route: MethodRouter<AppState> = get(
        move |State(state): State<AppState>, acc: Acc, Path(id): Path<String>, q: DirectusQuery| async move {
            read(&state, acc, collection, &id, &q.query).await
        },
    );
    if read_only {
        return Router::new()
            .route(&format!("/{path}"), list_route)
            .route(&format!("/{path}/{{id}}"), one_route);
    }
    let list_route = list_route
        .post(
            move |State(state): State<AppState>,
                  acc: Acc,
                  q: DirectusQuery,
                  ApiJson(body): ApiJson<Value>| async move {
                create(&state, acc, collection, &q.query, body).await
            },
        )
        .patch(
            move |State(state): State<AppState>,
                  acc: Acc,
                  q: DirectusQuery,
                  ApiJson(body): ApiJson<Value>| async move {
                update_collection(&state, acc, collection, &q.query, body).await
            },
        )
        .delete(
            move |State(state): State<AppState>, acc: Acc, OptionalJson(body): OptionalJson| async move {
                delete_collection(&state, acc, collection, body).await
            },
        );
    let one_route = one_route
        .patch(
            move |State(state): State<AppState>,
                  acc: Acc,
                  Path(id): Path<String>,
                  q: DirectusQuery,
                  ApiJson(body): ApiJson<Value>| async move {
                update(&state, acc, collection, &id, &q.query, body).await
            },
        )
        .delete(
            move |State(state): State<AppState>, acc: Acc, Path(id): Path<String>| async move {
                delete(&state, acc, collection, &id).await
            },
        );
    Router::new()
        .route(&format!("/{path}"), list_route)
        .route(&format!("/{path}/{{id}}"), one_route)
}
