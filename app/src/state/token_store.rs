//! Persistence of the token pair in `localStorage`, so a reload keeps the user signed in.
//!
//! Plain data in, plain data out: no signals, no network.

use gloo_storage::{LocalStorage, Storage};
use serde::{Deserialize, Serialize};

use crate::api::auth::AuthTokens;

const KEY: &str = "sluice.session";

/// The stored session: tokens plus the absolute expiry of the access token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredTokens {
    /// Bearer token for API calls.
    pub access_token: String,
    /// Single-use token for `/auth/refresh`.
    pub refresh_token: String,
    /// When `access_token` expires, in ms since the epoch (`Date.now()` clock).
    pub expires_at: f64,
    /// The access token's lifetime in ms, used to pick when to refresh.
    pub lifetime: f64,
}

impl StoredTokens {
    /// Stamps a fresh token pair with its absolute expiry.
    pub fn from_response(tokens: AuthTokens) -> Self {
        Self {
            expires_at: now_ms() + tokens.expires,
            lifetime: tokens.expires,
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
        }
    }

    /// True when the access token is expired or about to expire.
    pub fn is_stale(&self) -> bool {
        self.expires_at - now_ms() < 5_000.0
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Reads the stored session; a missing or unreadable entry is `None`.
pub fn load() -> Option<StoredTokens> {
    LocalStorage::get(KEY).ok()
}

/// Writes the session; storage failures (private mode, quota) only cost persistence.
pub fn save(tokens: &StoredTokens) {
    if let Err(e) = LocalStorage::set(KEY, tokens) {
        leptos::logging::warn!("could not persist the session: {e}");
    }
}

/// Removes the stored session.
pub fn clear() {
    LocalStorage::delete(KEY);
}
