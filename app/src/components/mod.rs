//! Reusable, page-agnostic UI pieces shared by the pages and the flow builder. They reach
//! the server only through calls handed to them ([`mutation`]) and the flow header's status
//! switch.

pub mod copy_button;
pub mod data_table;
pub mod empty_state;
pub mod error_alert;
pub mod flow_header;
pub mod icon;
pub mod json_editor;
pub mod kv_editor;
pub mod layout;
pub mod live_input;
pub mod loaded;
pub mod menu;
pub mod modal;
pub mod mutation;
pub mod overlays;
pub mod pagination;
pub mod skeleton;
pub mod spinner;
pub mod switch;
