//! The access-model collections (`/roles`, `/policies`, `/access`, `/permissions`) and
//! `/permissions/me`; audit (`/activity`, `/revisions`), `/settings` and `/notifications`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use crate::error::Result;
use crate::extract::Acc;
use crate::state::AppState;

use super::items::system;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/permissions/me", get(my_permissions))
        .merge(system("roles", "directus_roles", false))
        .merge(system("policies", "directus_policies", false))
        .merge(system("access", "directus_access", false))
        .merge(system("permissions", "directus_permissions", false))
        .merge(system("activity", "directus_activity", true))
        .merge(system("revisions", "directus_revisions", true))
        .merge(system("settings", "directus_settings", false))
        .merge(system("notifications", "directus_notifications", false))
        .merge(system("runs", "sluice_runs", true))
}

/// `{collection: {action: {access: full|partial, fields, presets}}}` for the caller.
async fn my_permissions(State(state): State<AppState>, Acc(acc): Acc) -> Result<Response> {
    let mut out: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    if acc.admin {
        for c in state.schema.get().collections() {
            let mut actions = Map::new();
            for a in ["create", "read", "update", "delete", "share"] {
                actions.insert(
                    a.into(),
                    json!({"access": "full", "fields": ["*"], "presets": {}}),
                );
            }
            out.insert(c.name.clone(), actions);
        }
        return Ok(Json(json!({ "data": out })).into_response());
    }
    let snapshot = state.access.get();
    for row in snapshot.all_permissions(&acc.policies) {
        let entry = out.entry(row.collection.clone()).or_default();
        let restricted = row
            .permissions
            .as_ref()
            .is_some_and(|p| p.as_object().is_some_and(|o| !o.is_empty()));
        let fields = row.fields.clone().unwrap_or_default();
        let slot = entry
            .entry(row.action.clone())
            .or_insert_with(|| json!({"access": "none", "fields": [], "presets": {}}));
        let access = if restricted || !fields.iter().any(|f| f == "*") {
            "partial"
        } else {
            "full"
        };
        if slot["access"] != "full" {
            slot["access"] = json!(access);
        }
        if let Some(list) = slot["fields"].as_array_mut() {
            for f in fields {
                if !list.iter().any(|x| x == &f) {
                    list.push(json!(f));
                }
            }
        }
        if let (Some(Value::Object(p)), Some(target)) =
            (&row.presets, slot["presets"].as_object_mut())
        {
            for (k, v) in p {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Json(json!({ "data": out })).into_response())
}
