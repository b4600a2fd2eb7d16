//! `/users`: the signed-in user (`/users/me`).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use entity::prelude::*;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::error::{ApiError, OptionExt, Result};
use crate::extract::Acc;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/users/me", get(read_me))
}

/// Replaces secrets with Directus's mask.
pub fn conceal(mut user: Value) -> Value {
    for key in ["password", "token", "tfa_secret"] {
        if let Some(v) = user.get_mut(key)
            && !v.is_null()
        {
            *v = json!("**********");
        }
    }
    user
}

async fn read_me(State(state): State<AppState>, Acc(acc): Acc) -> Result<Json<Value>> {
    let id = acc.user.ok_or_else(ApiError::forbidden)?;
    let user = DirectusUsers::find_by_id(id)
        .one(&state.db)
        .await?
        .or_forbidden()?;
    let value = serde_json::to_value(user).map_err(ApiError::internal)?;
    Ok(Json(json!({ "data": conceal(value) })))
}
