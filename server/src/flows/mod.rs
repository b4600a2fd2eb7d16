//! The flow engine: flows compiled in memory (`model`, `engine`), the data chain and option
//! templating (`chain`, `template`), one module per operation (`operations`), run logs with
//! redaction (`log`, `redact`), webhook triggering (`webhook`) and flow documents
//! (`document`, `store`). Dependencies point one way: routes → engine → operations → items.

pub mod chain;
pub mod document;
pub mod engine;
pub mod events;
pub mod log;
pub mod model;
pub mod operations;
pub mod redact;
pub mod schedule;
pub mod store;
pub mod template;
pub mod webhook;

pub use engine::FlowEngine;
