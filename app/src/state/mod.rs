//! App-wide reactive contexts, each with a `provide_*` / `use_*` pair.

pub mod session;
mod token_store;
