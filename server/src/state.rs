//! `AppState`: everything a request handler may need, built once in `run` and cloned cheaply
//! (every field is a handle).

use std::sync::Arc;

use axum::extract::FromRef;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::access::AccessStore;
use crate::auth::jwt::JwtKeys;
use crate::auth::sessions::LoginAttempts;
use crate::auth::tokens::StaticTokenCache;
use crate::config::Config;

/// Shared server state.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    pub access: AccessStore,
    pub static_tokens: StaticTokenCache,
    pub login_attempts: LoginAttempts,
    /// Cancelled when the server begins a graceful shutdown.
    pub shutdown: CancellationToken,
}

impl FromRef<AppState> for DatabaseConnection {
    fn from_ref(s: &AppState) -> Self {
        s.db.clone()
    }
}

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(s: &AppState) -> Self {
        s.config.clone()
    }
}
