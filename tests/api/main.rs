//! API-level tests: each boots a real server (SQLite by default, PostgreSQL with
//! `SLUICE_TEST_DB=postgres`) and talks HTTP to it.

mod auth;
mod errors;
mod flows;
mod lifecycle;
mod server_routes;
