//! One component per routed page. Pages talk to the API only through `api` and `state`.

pub mod access;
pub mod data;
pub mod flows;
pub mod login;
pub mod not_found;
pub mod settings;
pub mod users;
