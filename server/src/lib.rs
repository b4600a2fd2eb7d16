//! Sluice: a Directus-compatible admin server whose heart is webhook-triggered flows.
//!
//! `start` prepares the database (migrations, bootstrap), builds the [`core::Core`] and the
//! flow engine on it, then the HTTP state, binds the listener and serves the router until
//! `Server::shutdown`; `main.rs` only adds the signal handling. `docs/architecture.md` draws
//! the layers and follows one webhook request through them.
//!
//! Module map, from the outside in:
//! - `serve` (connections: timeouts, limits, graceful shutdown), `routes` (the HTTP API: routing
//!   and extraction only), `extract` (axum extractors), `state` (what handlers share: the core,
//!   the engine, auth, the answer cache, rate limits), `protect` (CORS, rate limits, the
//!   webhook answer cache), `telemetry` (tracing and OpenTelemetry);
//! - `auth` (tokens → accountability, sessions, passwords, TOTP), `access` (roles, policies and
//!   permissions in memory, client addresses), `permissions` (permission rules applied to
//!   queries and payloads);
//! - `flows` (the flow engine: triggers, runs, operations, run logs), `items` (the items
//!   service: reads, writes, their transactions and events), `services` (activity and schema
//!   changes), `schema` (collections and fields in memory, DDL, introspection), `query`
//!   (Directus queries: query strings, filters, SELECT building), `filter` (Directus
//!   validation filters evaluated in memory);
//! - `core` (the narrow handle runs and services share), `sync` (versions that keep several
//!   instances coherent), `db` (connection, migrations, bootstrap, the SQLite write gate),
//!   `config` (typed settings), `error` (the one HTTP error type), `util` (pure helpers: ids,
//!   durations, JavaScript semantics, comma-or-array lists);
//! - `fuzz` (tests only): a fuzz target for every parser that takes outside input
//!   (`docs/fuzzing.md`).

pub mod access;
pub mod auth;
pub mod cli;
pub mod config;
pub mod core;
pub mod db;
pub mod error;
pub mod extract;
pub mod filter;
pub mod flows;
#[cfg(test)]
mod fuzz;
pub mod items;
pub mod metrics;
pub mod permissions;
pub mod protect;
pub mod query;
pub mod routes;
pub mod schema;
pub mod serve;
pub mod services;
pub mod state;
pub mod sync;
pub mod telemetry;
pub mod util;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::auth::jwt::JwtKeys;
use crate::config::Config;
use crate::core::Core;
use crate::state::AppState;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] db::DbSetupError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot load access rules or schema: {0}")]
    Access(sea_orm::DbErr),
}

/// A running server.
pub struct Server {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    pub state: AppState,
    handle: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Stops accepting connections; in-flight requests finish.
    pub fn shutdown(&self) {
        self.state.shutdown.cancel();
    }

    /// Waits until the server has stopped, then for background flow runs and run logs.
    pub async fn wait(self) -> std::io::Result<()> {
        let served = match self.handle.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        };
        let grace = self.state.core.config.flows_shutdown_timeout;
        self.state.core.close(grace).await;
        served
    }
}

/// Prepares everything and starts serving on `listener` (or `HOST:PORT` when `None`).
pub async fn start(config: Config, listener: Option<TcpListener>) -> Result<Server, StartError> {
    let db = db::connect(&config).await?;
    start_on(config, db, listener).await
}

/// `start` on a connection made by the caller (`db::connect`), e.g. one with a metric
/// callback that watches the statements run.
pub async fn start_on(
    config: Config,
    db: sea_orm::DatabaseConnection,
    listener: Option<TcpListener>,
) -> Result<Server, StartError> {
    db::prepare(&db, &config).await?;
    let secret = db::signing_secret(&db, &config).await?;
    let config = Arc::new(config);
    let core = Core::new(config.clone(), db);
    core.load().await.map_err(StartError::Access)?;
    let flows = flows::start(core.clone())
        .await
        .map_err(StartError::Access)?;

    let listener = match listener {
        Some(l) => l,
        None => {
            let addr = SocketAddr::new(config.host, config.port);
            TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind {
                    addr: addr.to_string(),
                    source,
                })?
        }
    };
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: "listener".into(),
        source,
    })?;

    let cache = protect::cache::ResponseCache::from_config(&config.cache).await;
    let rate_limits = protect::rate_limit::RateLimits::from_config(&config).await;
    if config.metrics_enabled {
        metrics::enable();
    }
    let ingress = Arc::new(
        flows::ingress::Gatekeeper::start(&config, core.db.clone(), core.gate.clone()).await,
    );
    let auth = auth::Auth {
        core: core.clone(),
        jwt: Arc::new(JwtKeys::new(&secret)),
        static_tokens: Default::default(),
        login_attempts: Default::default(),
    };
    let state = AppState::new(state::Shared {
        core: core.clone(),
        flows: flows.clone(),
        auth,
        cache,
        rate_limits,
        ingress,
    });
    core.follow_other_instances();
    flows::schedule::spawn(flows.clone());
    flows::queue::start(flows.clone())
        .await
        .map_err(StartError::Access)?;
    flows::retention::spawn(core.clone());
    core.announce(
        "server.start",
        serde_json::Map::new(),
        Arc::new(crate::access::Accountability::full()),
    );
    let app = routes::app(state.clone());
    let handle = tokio::spawn(serve::serve(
        listener,
        app,
        state.config.server.clone(),
        state.shutdown.clone(),
    ));
    Ok(Server {
        addr,
        state,
        handle,
    })
}
