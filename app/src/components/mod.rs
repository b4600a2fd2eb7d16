//! Reusable, page-agnostic UI pieces. Nothing here calls the API directly.

pub mod empty_state;
pub mod error_alert;
pub mod icon;
pub mod layout;
pub mod spinner;
