//! Small pure helpers shared across the server (no I/O, no state).

pub mod duration;
pub mod ids;
pub mod js;
pub mod list;
