//! Loading a flow with its operations, and saving the draft: run the [`diff::plan`] calls in
//! order, reload, and compare the server's copy with the draft (never drop local work when
//! they differ or a call fails; ui.md §3.12).

use futures::future::join;
use leptos::prelude::*;

use super::{diff, model::Draft, state::Builder};
use crate::{
    api::{
        self, ApiError,
        flows::{Flow, Operation},
    },
    state::session::Session,
    util::dom,
};

/// Client-side code for a draft the server would refuse.
pub const INVALID_DRAFT: &str = "INVALID_DRAFT";

/// `GET /flows/{id}` and its operations.
pub async fn load(session: Session, id: String) -> Result<(Flow, Vec<Operation>), ApiError> {
    let id2 = id.clone();
    let (flow, ops) = join(
        session.authed(move |t| api::flows::get(t, id.clone())),
        session.authed(move |t| api::flows::operations(t, id2.clone())),
    )
    .await;
    Ok((flow?, ops?))
}

async fn execute(session: Session, flow_id: &str, plan: &diff::SavePlan) -> Result<(), ApiError> {
    if !plan.create.is_empty() {
        let bodies: Vec<serde_json::Value> = plan
            .create
            .iter()
            .cloned()
            .map(|mut b| {
                if let Some(m) = b.as_object_mut() {
                    m.insert("flow".into(), serde_json::json!(flow_id));
                }
                b
            })
            .collect();
        session
            .authed(move |t| api::flows::create_operations(t, bodies.clone()))
            .await?;
    }
    for (id, body) in &plan.clear {
        let (id, body) = (id.clone(), body.clone());
        session
            .authed(move |t| api::flows::patch_operation(t, id.clone(), body.clone()))
            .await?;
    }
    if !plan.delete.is_empty() {
        let ids = plan.delete.clone();
        session
            .authed(move |t| api::flows::delete_operations(t, ids.clone()))
            .await?;
    }
    if let Some(body) = &plan.flow {
        let (id, body) = (flow_id.to_owned(), body.clone());
        session
            .authed(move |t| api::flows::patch(t, id.clone(), body.clone()))
            .await?;
    }
    for (id, body) in &plan.set {
        let (id, body) = (id.clone(), body.clone());
        session
            .authed(move |t| api::flows::patch_operation(t, id.clone(), body.clone()))
            .await?;
    }
    Ok(())
}

fn normalized(d: &Draft) -> Draft {
    let mut d = d.clone();
    d.ops.sort_by(|a, b| a.id.cmp(&b.id));
    d
}

/// Saves the draft. On success both snapshots hold the server's copy; on failure the draft is
/// kept (still unsaved) and the error returned.
pub async fn save(b: Builder, session: Session) -> Result<(), ApiError> {
    if b.saving.get_untracked() {
        return Ok(());
    }
    let draft = b.draft.get_untracked();
    let problems = draft.problems();
    if !problems.is_empty() {
        let msg = problems
            .into_iter()
            .map(|(_, m)| m)
            .collect::<Vec<_>>()
            .join(". ");
        let e = ApiError::client(INVALID_DRAFT, format!("Can't save yet: {msg}."));
        b.save_error.set(Some(e.clone()));
        return Err(e);
    }
    let base = b.base.get_untracked();
    let plan = diff::plan(&base, &draft, &mut |k| {
        format!("{k}_{}", dom::random_token(5))
    });
    if plan.is_empty() {
        b.save_error.set(None);
        return Ok(());
    }
    let flow_id = b.flow_id.get_value();
    b.saving.set(true);
    let result = execute(session, &flow_id, &plan).await;
    let reloaded = load(session, flow_id).await;
    b.saving.set(false);
    match (result, reloaded) {
        (Ok(()), Ok((flow, ops))) => {
            let server = Draft::from_api(&flow, &ops);
            if normalized(&server) == normalized(&draft) {
                b.reset(flow, server);
                b.save_error.set(None);
                Ok(())
            } else {
                b.flow.set(Some(flow));
                b.base.set(server);
                let e = ApiError::client(
                    "SAVE_MISMATCH",
                    "Saved, but the server's copy differs from yours. Your version is kept as unsaved changes.",
                );
                b.save_error.set(Some(e.clone()));
                Err(e)
            }
        }
        (Err(e), Ok((flow, ops))) => {
            // The server may hold part of the changes: diff against what it really has.
            b.flow.set(Some(flow.clone()));
            b.base.set(Draft::from_api(&flow, &ops));
            b.save_error.set(Some(e.clone()));
            Err(e)
        }
        (Err(e), Err(_)) | (Ok(()), Err(e)) => {
            b.save_error.set(Some(e.clone()));
            Err(e)
        }
    }
}
