//! Sluice: a Directus-compatible admin server whose heart is webhook-triggered flows.
//!
//! `start` builds the state (database, migrations, bootstrap, signing keys, access snapshot),
//! binds the listener and serves the router until `Server::shutdown`; `main.rs` only adds the
//! signal handling. Module map: `config` (typed settings), `db` (connection, migrations,
//! bootstrap), `error` (the one HTTP error type), `auth` (tokens → accountability, sessions),
//! `access` (roles/policies/permissions in memory), `routes` (HTTP), `services` (business
//! logic), `extract` (axum extractors), `util` (pure helpers).

pub mod access;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod filter;
pub mod flows;
#[cfg(test)]
mod fuzz;
pub mod items;
pub mod permissions;
pub mod protect;
pub mod query;
pub mod routes;
pub mod schema;
pub mod services;
pub mod state;
pub mod sync;
pub mod telemetry;
pub mod util;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::access::AccessStore;
use crate::auth::jwt::JwtKeys;
use crate::config::Config;
use crate::flows::FlowEngine;
use crate::schema::SchemaStore;
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
        self.state
            .flows
            .shutdown(std::time::Duration::from_secs(30))
            .await;
        served
    }
}

/// Prepares everything and starts serving on `listener` (or `HOST:PORT` when `None`).
pub async fn start(config: Config, listener: Option<TcpListener>) -> Result<Server, StartError> {
    let db = db::connect(&config).await?;
    db::prepare(&db, &config).await?;
    let secret = db::signing_secret(&db, &config).await?;
    let access = AccessStore::default();
    access.reload(&db).await.map_err(StartError::Access)?;
    let schema = SchemaStore::default();
    schema.reload(&db).await.map_err(StartError::Access)?;
    // One TLS provider for every outgoing connection (request operations).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let gate = db::WriteGate::for_backend(&db);
    let flows = FlowEngine::new(&config, db.clone(), gate.clone());
    flows.reload(&db).await.map_err(StartError::Access)?;

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
    let batcher = (!db::is_postgres(&db)).then(|| items::Batcher::start(db.clone(), gate.clone()));
    let state = AppState::new(state::Shared {
        db,
        jwt: Arc::new(JwtKeys::new(&secret)),
        config: Arc::new(config),
        access,
        schema,
        flows,
        versions: Default::default(),
        batcher,
        gate,
        cache,
        rate_limits,
        static_tokens: Default::default(),
        login_attempts: Default::default(),
        shutdown: CancellationToken::new(),
    });
    sync::spawn_poller(state.clone());
    flows::schedule::spawn(state.clone());
    flows::events::announce(
        &state,
        "server.start",
        serde_json::Map::new(),
        Arc::new(crate::access::Accountability::full()),
    );
    let app = routes::app(state.clone());
    // TCP_NODELAY: without it small responses wait for delayed ACKs (~40 ms each).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let shutdown = state.shutdown.clone();
    let handle = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
    });
    Ok(Server {
        addr,
        state,
        handle,
    })
}
