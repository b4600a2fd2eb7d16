//! `/users`: the generic system-collection routes plus `/users/me`: your own record, read with
//! your own permissions on `directus_users` (only `{id}` without any, as Directus answers), and
//! updated in the fields anyone may change on their own record.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::access::Accountability;
use crate::error::{ApiError, Result};
use crate::extract::query::DirectusQuery;
use crate::extract::{Acc, ApiJson};
use crate::items::{Items, WriteOptions};
use crate::state::AppState;

/// Fields a user may change on their own record.
const SELF_EDITABLE: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "password",
    "location",
    "title",
    "description",
    "tags",
    "avatar",
    "language",
    "appearance",
    "theme_dark",
    "theme_light",
    "theme_light_overrides",
    "theme_dark_overrides",
    "email_notifications",
    "text_direction",
    "last_page",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users/me", get(read_me).patch(update_me))
        .merge(super::items::system("users", "directus_users", false))
}

/// The caller's own record with full access, for the self-editable fields.
fn self_context(state: &AppState, acc: &Accountability) -> crate::items::ItemsContext {
    let mut full = Accountability::full();
    full.user = acc.user;
    full.ip = acc.ip.clone();
    full.user_agent = acc.user_agent.clone();
    full.origin = acc.origin.clone();
    state.items_ctx(Arc::new(full))
}

/// Your record as your permissions show it; a read they refuse shows only your id.
async fn read_own(
    state: &AppState,
    acc: Arc<Accountability>,
    id: uuid::Uuid,
    q: &DirectusQuery,
) -> Result<Response> {
    let ctx = state.items_ctx(acc);
    let items = Items::new(&state.db, &ctx, "directus_users")?;
    let user = match items.read_one(&json!(id.to_string()), &q.query).await {
        Ok(user) => user,
        Err(e) if e.code() == "FORBIDDEN" => json!({ "id": id }),
        Err(e) => return Err(e),
    };
    Ok(Json(json!({ "data": user })).into_response())
}

async fn read_me(
    State(state): State<AppState>,
    Acc(acc): Acc,
    q: DirectusQuery,
) -> Result<Response> {
    let id = acc.user.ok_or_else(ApiError::invalid_credentials)?;
    read_own(&state, acc, id, &q).await
}

async fn update_me(
    State(state): State<AppState>,
    Acc(acc): Acc,
    q: DirectusQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let id = acc.user.ok_or_else(ApiError::invalid_credentials)?;
    let Value::Object(fields) = &body else {
        return Err(ApiError::invalid_payload("Payload must be an object"));
    };
    let denied: Vec<&String> = fields
        .keys()
        .filter(|k| !SELF_EDITABLE.contains(&k.as_str()))
        .collect();
    if !denied.is_empty() && !acc.admin {
        let list = denied
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ApiError::forbidden_reason(format!(
            "You don't have permission to perform \"update\" for the field(s) {list} in \
             collection \"directus_users\" or it does not exist."
        )));
    }
    let ctx = self_context(&state, &acc);
    let items = Items::new(&state.db, &ctx, "directus_users")?;
    items
        .update_one(&json!(id.to_string()), &body, WriteOptions::default())
        .await?;
    state.invalidate("directus_users").await;
    read_own(&state, acc, id, &q).await
}
