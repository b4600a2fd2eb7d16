//! The flow engine. Dependencies point one way, top to bottom:
//! - use cases: `webhook` (a trigger request end to end, with `idempotency` for repeated
//!   deliveries), `queue` (the durable queue every background run goes through, with `retry`
//!   for failed attempts), `events` (item and auth events),
//!   `schedule` (cron ticks), `retention` (pruning old run logs), `replay` (running logged
//!   runs again), `service` (the rules of saving flows and operations, over `store`, with
//!   `options` checking the Sluice flow options);
//! - `run`: one run — the step loop, its outcome, and `finish`, which logs it;
//! - `engine`: the compiled flows and the operation registry;
//! - `operations`: one module per operation type, each seeing only its `OpContext`;
//! - `model`, `document`, `chain`, `template`, `redact`, `log`, `net`: compiled flows, flow
//!   documents, the data chain, option templates, redaction, the run-log writer, outgoing HTTP.
//!
//! None of them knows the HTTP application: what runs need comes from `crate::core::Core`.

pub mod chain;
pub mod document;
pub mod engine;
pub mod events;
pub mod files;
pub mod idempotency;
pub mod ingress;
pub mod log;
pub mod model;
pub mod net;
pub mod operations;
pub mod options;
pub mod queue;
pub mod redact;
pub mod replay;
pub mod retention;
pub mod retry;
pub mod run;
pub mod schedule;
pub mod service;
pub mod store;
pub mod template;
pub mod webhook;

use std::sync::Arc;

pub use engine::FlowEngine;

use crate::core::Core;

/// The engine on `core`, answering the core's item events, with the active flows loaded.
pub async fn start(core: Core) -> Result<FlowEngine, sea_orm::DbErr> {
    let engine = FlowEngine::new(core.clone());
    core.set_events(Arc::new(events::FlowEvents::new(engine.downgrade())));
    engine.reload().await?;
    Ok(engine)
}
