//! A write never fails or waits long because a filter flow is slow: a filter flow holds the
//! write's transaction (and on SQLite the one write lock) only from its first write on, and on
//! SQLite only for `FLOWS_FILTER_LOCK_TIMEOUT`; every other writer (item writes, logins,
//! flow changes) goes on meanwhile.

use std::time::Duration;

use serde_json::{Value, json};
use tests::{Backend, TestApp};

use crate::flows::create_flow;

async fn collection(app: &TestApp, name: &str) {
    let r = app
        .admin()
        .post(
            "/collections",
            json!({"collection": name, "schema": {},
                   "fields": [{"field": "note", "type": "string"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Writes that other callers make while a slow filtered write is pending: each must succeed.
async fn other_writers(app: &TestApp) {
    let admin = app.admin();
    let r = admin
        .post("/items/notes", json!({"note": "meanwhile"}))
        .await;
    assert_eq!(r.status, 200, "item write: {}", r.text);
    let login = app
        .anon()
        .post(
            "/auth/login",
            json!({"email": tests::ADMIN_EMAIL, "password": tests::ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(login.status, 200, "login: {}", login.text);
    let flow = admin
        .post(
            "/flows",
            json!({"name": "made meanwhile", "trigger": "manual", "operations": []}),
        )
        .await;
    assert_eq!(flow.status, 200, "flow change: {}", flow.text);
}

/// Starts a create on `orders` in the background and waits until its filter flow runs.
async fn slow_create(app: &TestApp) -> tokio::task::JoinHandle<tests::Resp> {
    let admin = app.admin();
    let slow =
        tokio::spawn(async move { admin.post("/items/orders", json!({"note": "slow"})).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !slow.is_finished(),
        "the filter flow should still be running"
    );
    slow
}

async fn rows(app: &TestApp, coll: &str) -> Vec<Value> {
    let r = app.admin().get(&format!("/items/{coll}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_slow_filter_flow_that_has_not_written_holds_no_lock() {
    let app = TestApp::spawn().await;
    collection(&app, "orders").await;
    collection(&app, "notes").await;
    // Validates against a slow service (a 2.5 s wait), writes nothing itself.
    create_flow(
        &app,
        json!({"name": "slow check", "trigger": "event",
               "options": {"type": "filter", "scope": ["items.create"], "collections": ["orders"]},
               "operations": [{"key": "wait", "operation": "sleep", "options": {"milliseconds": 2500}}]}),
    )
    .await;
    let slow = slow_create(&app).await;
    other_writers(&app).await;
    assert!(
        !slow.is_finished(),
        "the other writes waited for the slow filter flow"
    );
    let r = slow.await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(rows(&app, "orders").await.len(), 1);
}

#[tokio::test]
async fn a_filter_flow_that_holds_the_lock_too_long_fails_only_its_own_write() {
    let app =
        TestApp::spawn_with(|c| c.flows_filter_lock_timeout = Duration::from_millis(500)).await;
    collection(&app, "orders").await;
    collection(&app, "notes").await;
    collection(&app, "audit").await;
    // Journals the write (inside its transaction), then waits 2.5 s for a slow service.
    create_flow(
        &app,
        json!({"name": "journal then wait", "trigger": "event",
               "options": {"type": "filter", "scope": ["items.create"], "collections": ["orders"]},
               "operations": [
                   {"key": "journal", "operation": "item-create",
                    "options": {"collection": "audit", "permissions": "$full",
                                "payload": {"note": "journal"}}},
                   {"key": "wait", "operation": "sleep", "options": {"milliseconds": 2500}}]}),
    )
    .await;
    let slow = slow_create(&app).await;
    // On SQLite these wait (at most the hold bound) for the journal's lock, then succeed.
    other_writers(&app).await;
    if app.backend == Backend::Postgres {
        assert!(
            !slow.is_finished(),
            "the other writes waited for the slow filter flow"
        );
    }
    let r = slow.await.unwrap();
    match app.backend {
        // SQLite has one write lock: the flow may hold it only so long, then its own write
        // fails, whole.
        Backend::Sqlite => {
            r.assert_error(503, "SERVICE_UNAVAILABLE");
            assert!(
                r.message().contains("FLOWS_FILTER_LOCK_TIMEOUT"),
                "{}",
                r.text
            );
            assert_eq!(rows(&app, "orders").await.len(), 0);
            assert_eq!(
                rows(&app, "audit").await.len(),
                0,
                "the journal row was rolled back"
            );
        }
        // PostgreSQL locks rows, not the database: nothing else waits, so nothing is cut off.
        Backend::Postgres => {
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(rows(&app, "orders").await.len(), 1);
            assert_eq!(rows(&app, "audit").await.len(), 1);
        }
    }
    assert_eq!(rows(&app, "notes").await.len(), 1);
}

#[tokio::test]
async fn filter_flows_still_see_and_roll_back_with_the_write() {
    let app = TestApp::spawn().await;
    collection(&app, "orders").await;
    collection(&app, "audit").await;
    // Reads before writing (through the pool), writes, reads its own write back (through the
    // transaction), then refuses: everything it wrote goes with the refused write.
    create_flow(
        &app,
        json!({"name": "read write read refuse", "trigger": "event",
               "options": {"type": "filter", "scope": ["items.create"], "collections": ["orders"]},
               "operations": [
                   {"key": "before", "operation": "item-read",
                    "options": {"collection": "audit", "permissions": "$full"}},
                   {"key": "journal", "operation": "item-create",
                    "options": {"collection": "audit", "permissions": "$full",
                                "payload": {"note": "{{$trigger.payload.note}}"}}},
                   {"key": "after", "operation": "item-read",
                    "options": {"collection": "audit", "permissions": "$full"}},
                   {"key": "check", "operation": "condition",
                    "options": {"filter": {"$trigger": {"payload": {"note": {"_neq": "refuse"}}}}}}]}),
    )
    .await;
    let admin = app.admin();
    let r = admin.post("/items/orders", json!({"note": "refuse"})).await;
    r.assert_error(400, "FAILED_VALIDATION");
    assert!(rows(&app, "audit").await.is_empty());
    let r = admin.post("/items/orders", json!({"note": "keep"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(rows(&app, "audit").await.len(), 1);
    // A batch: every item is filtered, all are written or none.
    let r = admin
        .post(
            "/items/orders",
            json!([{"note": "a"}, {"note": "refuse"}, {"note": "b"}]),
        )
        .await;
    r.assert_error(400, "FAILED_VALIDATION");
    assert_eq!(rows(&app, "audit").await.len(), 1);
    assert_eq!(rows(&app, "orders").await.len(), 1);
    let r = admin
        .post("/items/orders", json!([{"note": "a"}, {"note": "b"}]))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(rows(&app, "audit").await.len(), 3);
}
