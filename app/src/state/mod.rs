//! App-wide reactive contexts, each with a `provide_*` / `use_*` pair.

pub mod confirm;
pub mod nav_guard;
pub mod session;
pub mod toasts;
mod token_store;
