//! `AppState`: what a request handler may need — the `Core` (through which runs and services
//! work), the flow engine, and what only the HTTP layer uses (token signing and caches, login
//! attempts, the webhook answer cache, rate limits, the webhook gatekeeper) — built once in `start` and cloned cheaply.

use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::FromRef;
use sea_orm::DatabaseConnection;

use crate::auth::Auth;
use crate::config::Config;
use crate::core::{Cache, Core, Follower};
use crate::flows::FlowEngine;
use crate::flows::ingress::Gatekeeper;
use crate::protect::cache::ResponseCache;
use crate::protect::rate_limit::RateLimits;

/// Shared server state: one `Arc`, so the per-request clones axum makes cost one atomic add.
/// Fields of the core read through it (`state.db`, `state.config`, …).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state over `core`: the HTTP caches follow the core's pictures.
    pub fn new(shared: Shared) -> AppState {
        let state = AppState(Arc::new(shared));
        state.core.follow(Arc::new(Forget {
            auth: state.auth.clone(),
            answers: state.cache.clone(),
        }));
        state
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What `AppState` holds.
pub struct Shared {
    pub core: Core,
    pub flows: FlowEngine,
    pub auth: Auth,
    pub cache: Option<ResponseCache>,
    pub rate_limits: RateLimits,
    /// Per-flow webhook limits and the refused-calls log.
    pub ingress: Arc<Gatekeeper>,
}

impl std::ops::Deref for Shared {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

/// Empties what depends on the access rules or the flows when they change: cached static
/// tokens and stored webhook answers.
struct Forget {
    auth: Auth,
    answers: Option<ResponseCache>,
}

#[async_trait]
impl Follower for Forget {
    async fn reloaded(&self, cache: Cache) -> bool {
        if cache == Cache::Access {
            self.auth.static_tokens.clear();
        }
        // After the reload, so no answer computed from the old picture outlives it.
        if let (Some(answers), Cache::Access | Cache::Flows) = (&self.answers, cache) {
            answers.purge().await;
        }
        true
    }
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
