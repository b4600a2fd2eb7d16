//! Small browser and formatting helpers shared by pages (no UI, no API calls).

pub mod dom;
pub mod template;
pub mod text;
pub mod time;
