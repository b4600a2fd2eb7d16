//! API-level tests: each boots a real server (SQLite by default, PostgreSQL with
//! `SLUICE_TEST_DB=postgres`) and talks HTTP to it.

mod audit;
mod auth;
mod browser;
mod cli;
mod cluster;
mod durable;
mod engine_seam;
mod errors;
mod fixtures;
mod flows;
mod fuzz_regressions;
mod hardening_flows;
mod ingress;
mod instances;
mod items_api;
mod lifecycle;
mod metrics;
mod operations;
mod permissions_matrix;
mod protect;
mod relational;
mod relations_api;
mod schedules;
mod schema_api;
mod sdk;
mod secrets;
mod seed_examples;
mod server_routes;
mod serving;
mod triggers;
mod write_gate;
