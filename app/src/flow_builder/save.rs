//! Loading a flow with its operations, and saving the draft: one `PATCH /flows/{id}` with the
//! [`diff::document`] (the server answers the flow), one `GET` of its operations, and a
//! comparison of the server's copy with the draft (never drop local work when they differ or
//! the call fails; ui.md §3.12, §4.17).

use futures::future::join;
use leptos::prelude::*;

use super::{diff, model::Draft, state::Builder};
use crate::{
    api::{
        self, ApiError,
        flows::{Flow, Operation},
        ingress,
    },
    state::session::Session,
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
    let Some(body) = diff::document(&base, &draft) else {
        b.save_error.set(None);
        return Ok(());
    };
    let flow_id = b.flow_id.get_value();
    b.saving.set(true);
    let id = flow_id.clone();
    let result = session
        .authed(move |t| api::flows::patch(t, id.clone(), body.clone()))
        .await;
    let id = flow_id.clone();
    let ops = session
        .authed(move |t| api::flows::operations(t, id.clone()))
        .await;
    // After a refused save the flow row is read again; after a good one the answer is it.
    let (result, reloaded) = match result {
        Ok(flow) => (Ok(()), ops.map(|ops| (flow, ops))),
        Err(e) => {
            let flow = session
                .authed(move |t| api::flows::get(t, flow_id.clone()))
                .await;
            (Err(e), flow.and_then(|f| ops.map(|ops| (f, ops))))
        }
    };
    b.saving.set(false);
    match (result, reloaded) {
        (Ok(()), Ok((flow, ops))) => {
            let server = Draft::from_api(&flow, &ops);
            // The server conceals a saved signature secret: compare what it would answer.
            let mut sent = normalized(&draft);
            if ingress::has_saved_secret(&server.fields.options) {
                sent.fields.options =
                    ingress::conceal_secret(&sent.fields.options, &server.fields.options);
            }
            if normalized(&server) == sent {
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
