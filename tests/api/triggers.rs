//! Schedule, manual, operation and event triggers.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};
use tests::TestApp;

use crate::flows::create_flow;

async fn collection(app: &TestApp, name: &str, fields: Value) {
    let r = app
        .admin()
        .post(
            "/collections",
            json!({"collection": name, "schema": {}, "fields": fields}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn items(app: &TestApp, coll: &str) -> Vec<Value> {
    app.admin()
        .get(&format!("/items/{coll}?limit=-1"))
        .await
        .body["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn schedule_runs_once_per_tick_across_instances() {
    let app = TestApp::spawn().await;
    collection(
        &app,
        "ticks",
        json!([{"field": "at", "type": "string"}, {"field": "t", "type": "string"}]),
    )
    .await;
    let sibling = app.spawn_sibling().await;
    create_flow(
        &app,
        json!({"name": "every second", "trigger": "schedule", "options": {"cron": "* * * * * *"},
               "operations": [{"key": "save", "operation": "item-create",
                               "options": {"collection": "ticks",
                                           "payload": {"at": "{{$NOW}}", "t": "{{$trigger}}"}}}]}),
    )
    .await;
    // The sibling learns about the new flow through the version poll.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let rows = items(&app, "ticks").await;
    assert!(rows.len() >= 2, "expected runs, got {rows:?}");
    let seconds: HashSet<String> = rows
        .iter()
        .map(|r| r["at"].as_str().unwrap_or_default()[..19].to_owned())
        .collect();
    assert_eq!(seconds.len(), rows.len(), "two runs in one tick: {rows:?}");
    // Schedule runs have no trigger data.
    assert!(rows.iter().all(|r| r["t"].is_null()), "{rows:?}");
    drop(sibling);
}

#[tokio::test]
async fn invalid_cron_never_runs() {
    let app = TestApp::spawn().await;
    collection(&app, "never", json!([{"field": "x", "type": "string"}])).await;
    create_flow(
        &app,
        json!({"name": "bad cron", "trigger": "schedule", "options": {"cron": "whenever"},
               "operations": [{"key": "save", "operation": "item-create",
                               "options": {"collection": "never", "payload": {"x": "1"}}}]}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(items(&app, "never").await.is_empty());
}

#[tokio::test]
async fn manual_flows_check_collection_keys_and_read_access() {
    let app = TestApp::spawn().await;
    collection(&app, "notes", json!([{"field": "text", "type": "string"}])).await;
    let admin = app.admin();
    let note = admin.post("/items/notes", json!({"text": "hello"})).await;
    let key = note.body["data"]["id"].clone();
    let flow = create_flow(
        &app,
        json!({"name": "manual", "trigger": "manual", "options": {"collections": ["notes"]},
               "operations": [{"key": "echo", "operation": "transform",
                               "options": {"json": {"keys": "{{$trigger.body.keys}}"}}}]}),
    )
    .await;
    let url = format!("/flows/trigger/{flow}");
    let ok = admin
        .post(&url, json!({"collection": "notes", "keys": [key]}))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["data"]["keys"], json!([key]));
    for body in [
        json!({"keys": [key]}),
        json!({"collection": "other", "keys": [key]}),
        json!({"collection": "notes", "keys": []}),
    ] {
        admin.post(&url, body).await.assert_error(403, "FORBIDDEN");
    }
    // A user allowed to trigger but not to read the collection.
    let policy = admin.post("/policies", json!({"name": "p"})).await.body["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = admin
        .post(
            "/users",
            json!({"email": "m@example.com", "password": "pw", "token": "m-token"}),
        )
        .await
        .body["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    admin
        .post("/access", json!({"user": user, "policy": policy}))
        .await;
    admin
        .post(
            "/permissions",
            json!({"policy": policy, "collection": "directus_flows", "action": "trigger", "fields": ["*"]}),
        )
        .await;
    let caller = app.client.with_token("m-token");
    caller
        .post(&url, json!({"collection": "notes", "keys": [key]}))
        .await
        .assert_error(403, "FORBIDDEN");
    admin
        .post(
            "/permissions",
            json!({"policy": policy, "collection": "notes", "action": "read", "fields": ["*"],
                   "permissions": {"text": {"_eq": "hello"}}}),
        )
        .await;
    let r = caller
        .post(&url, json!({"collection": "notes", "keys": [key]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let hidden = admin
        .post("/items/notes", json!({"text": "secret"}))
        .await
        .body["data"]["id"]
        .clone();
    caller
        .post(&url, json!({"collection": "notes", "keys": [key, hidden]}))
        .await
        .assert_error(403, "FORBIDDEN");
}
