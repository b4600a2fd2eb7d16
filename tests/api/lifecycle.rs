//! Start-up and shutdown: bootstrap, clear start-up errors, graceful shutdown.

use std::time::Duration;

use serde_json::json;
use server::config::{Config, DbConfig};
use tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};

#[tokio::test]
async fn bootstrap_creates_admin_role_policy_and_public_policy() {
    let app = TestApp::spawn().await;
    let me = app.admin().get("/users/me").await;
    assert_eq!(me.status, 200);
    let roles = app.admin().get("/roles").await;
    assert_eq!(roles.status, 200, "{}", roles.text);
    assert!(
        roles.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "Administrator")
    );
    let policies = app.admin().get("/policies").await;
    let ids: Vec<&str> = policies.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"abf8a154-5b1c-4a46-ac9c-7300570f4f17"),
        "{ids:?}"
    );
}

#[tokio::test]
async fn unreachable_database_is_a_clear_start_error() {
    let mut config = Config::for_tests();
    config.db = DbConfig::Postgres {
        url: "postgres://postgres:pw-not-shown@127.0.0.1:1/nothing".into(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = match server::start(config, Some(listener)).await {
        Ok(_) => panic!("must not start"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("cannot connect to the database"), "{err}");
    assert!(!err.contains("pw-not-shown"), "{err}");
}

#[tokio::test]
async fn shutdown_finishes_in_flight_requests_and_stops_accepting() {
    let app = TestApp::spawn_with(|c| c.login_stall_time = Duration::from_millis(600)).await;
    let client = app.anon();
    let in_flight = tokio::spawn(async move {
        client
            .post(
                "/auth/login",
                json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let server = app.server.as_ref().unwrap();
    server.shutdown();
    let r = in_flight.await.unwrap();
    assert_eq!(r.status, 200, "the in-flight login completes: {}", r.text);
    // New connections are refused once the server has stopped.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = reqwest::get(format!("{}/server/ping", app.base_url)).await;
    assert!(refused.is_err(), "server still answering after shutdown");
}
