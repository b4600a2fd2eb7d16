//! The flow engine (in progress): option templating.

pub mod template;
