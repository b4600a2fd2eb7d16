//! Reusable, page-agnostic UI pieces. Nothing here calls the API directly.

pub mod copy_button;
pub mod empty_state;
pub mod error_alert;
pub mod icon;
pub mod json_editor;
pub mod kv_editor;
pub mod layout;
pub mod menu;
pub mod modal;
pub mod overlays;
pub mod pagination;
pub mod skeleton;
pub mod spinner;
pub mod switch;
