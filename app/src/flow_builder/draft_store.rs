//! Draft recovery: the unsaved draft is kept in `localStorage` (`sluice:draft:<flow id>`)
//! together with the saved state it was based on, so a reload or crash can restore it. A
//! typed signature secret is never stored: the stored draft holds what the saved flow holds
//! in its place (the mask, or nothing), so it must be typed again after a restore.

use serde::{Deserialize, Serialize};

use super::model::Draft;
use crate::{api::ingress, util::dom};

/// A stored draft.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredDraft {
    /// The saved state the draft started from.
    pub base: Draft,
    /// The unsaved draft.
    pub draft: Draft,
    /// When it was stored (ms since the epoch).
    pub saved_at: f64,
}

fn key(flow_id: &str) -> String {
    format!("sluice:draft:{flow_id}")
}

/// Stores the draft.
pub fn store(flow_id: &str, base: &Draft, draft: &Draft) {
    let mut draft = draft.clone();
    draft.fields.options = ingress::conceal_secret(&draft.fields.options, &base.fields.options);
    let s = StoredDraft {
        base: base.clone(),
        draft,
        saved_at: js_sys::Date::now(),
    };
    if let Ok(text) = serde_json::to_string(&s) {
        dom::storage_set(&key(flow_id), &text);
    }
}

/// The stored draft, if any.
pub fn load(flow_id: &str) -> Option<StoredDraft> {
    serde_json::from_str(&dom::storage_get(&key(flow_id))?).ok()
}

/// Forgets the stored draft.
pub fn clear(flow_id: &str) {
    dom::storage_remove(&key(flow_id));
}
