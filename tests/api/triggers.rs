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

async fn event_setup(app: &TestApp) {
    collection(
        app,
        "orders",
        json!([{"field": "total", "type": "integer"}, {"field": "note", "type": "string"}]),
    )
    .await;
    collection(
        app,
        "audit",
        json!([{"field": "event", "type": "string"}, {"field": "ref", "type": "string"},
               {"field": "data", "type": "json"}]),
    )
    .await;
}

fn audit_flow(scope: &str, collections: Value) -> Value {
    json!({"name": format!("audit {scope}"), "trigger": "event",
           "options": {"type": "action", "scope": [scope], "collections": collections},
           "operations": [{"key": "log", "operation": "item-create",
                           "options": {"collection": "audit", "permissions": "$full",
                                       "payload": {"event": "{{$trigger.event}}",
                                                   "ref": "{{$trigger.key}}{{$trigger.keys}}",
                                                   "data": "{{$trigger.payload}}"}}}]})
}

#[tokio::test]
async fn action_flows_hear_item_creates_updates_and_deletes() {
    let app = TestApp::spawn().await;
    event_setup(&app).await;
    for scope in ["items.create", "items.update", "items.delete"] {
        create_flow(&app, audit_flow(scope, json!(["orders"]))).await;
    }
    let admin = app.admin();
    let id = admin.post("/items/orders", json!({"total": 5})).await.body["data"]["id"].clone();
    admin
        .patch(&format!("/items/orders/{id}"), json!({"note": "paid"}))
        .await;
    admin.delete(&format!("/items/orders/{id}")).await;
    app.eventually(|| async { items(&app, "audit").await.len() == 3 })
        .await;
    let rows = items(&app, "audit").await;
    let find = |event: &str| {
        rows.iter()
            .find(|r| r["event"] == event)
            .cloned()
            .unwrap_or_else(|| panic!("no {event} in {rows:?}"))
    };
    let created = find("orders.items.create");
    assert_eq!(created["ref"], id.to_string());
    assert_eq!(created["data"]["total"], 5);
    let updated = find("orders.items.update");
    assert_eq!(updated["ref"], format!("[{id}]"));
    assert_eq!(updated["data"], json!({"note": "paid"}));
    let deleted = find("orders.items.delete");
    assert_eq!(deleted["data"], json!([id]));
    // The audit flow's own writes did not emit events (no audit of audit rows).
    assert!(
        rows.iter()
            .all(|r| !r["event"].as_str().unwrap().starts_with("audit"))
    );
}

#[tokio::test]
async fn filter_flows_can_refuse_or_rewrite_the_payload() {
    let app = TestApp::spawn().await;
    event_setup(&app).await;
    create_flow(
        &app,
        json!({"name": "a check", "trigger": "event",
               "options": {"type": "filter", "scope": ["items.create"], "collections": ["orders"]},
               "operations": [{"key": "positive", "operation": "condition",
                               "options": {"filter": {"$trigger": {"payload": {"total": {"_gt": 0}}}}}}]}),
    )
    .await;
    create_flow(
        &app,
        json!({"name": "b stamp", "trigger": "event",
               "options": {"type": "filter", "scope": ["items.create"], "collections": ["orders"],
                           "return": "$last"},
               "operations": [{"key": "stamp", "operation": "transform",
                               "options": {"json": {"total": "{{$trigger.payload.total}}", "note": "stamped"}}}]}),
    )
    .await;
    let admin = app.admin();
    let r = admin.post("/items/orders", json!({"total": 0})).await;
    r.assert_error(400, "FAILED_VALIDATION");
    assert!(
        items(&app, "orders").await.is_empty(),
        "the refused write left nothing"
    );
    let r = admin
        .post("/items/orders", json!({"total": 7, "note": "original"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["note"], "stamped");
    assert_eq!(r.body["data"]["total"], 7);
}

#[tokio::test]
async fn filter_flows_run_inside_the_write_transaction() {
    let app = TestApp::spawn().await;
    collection(
        &app,
        "orders",
        json!([{"field": "total", "type": "integer"},
               {"field": "code", "type": "string", "schema": {"is_unique": true}},
               {"field": "note", "type": "string"}]),
    )
    .await;
    collection(
        &app,
        "audit",
        json!([{"field": "event", "type": "string"}, {"field": "data", "type": "json"}]),
    )
    .await;
    // Writes an audit row, then checks the payload: the row must share the write's fate.
    create_flow(
        &app,
        json!({"name": "journal then check", "trigger": "event",
               "options": {"type": "filter", "scope": ["items.create"], "collections": ["orders"]},
               "operations": [
                   {"key": "journal", "operation": "item-create", "resolve": "positive",
                    "options": {"collection": "audit", "permissions": "$full",
                                "payload": {"event": "{{$trigger.event}}", "data": "{{$trigger.payload}}"}}},
                   {"key": "positive", "operation": "condition",
                    "options": {"filter": {"$trigger": {"payload": {"total": {"_gt": 0}}}}}}]}),
    )
    .await;
    create_flow(
        &app,
        json!({"name": "rename updates", "trigger": "event",
               "options": {"type": "filter", "scope": ["items.update"], "collections": ["orders"],
                           "return": "$last"},
               "operations": [{"key": "rename", "operation": "transform",
                               "options": {"json": {"note": "filtered {{$trigger.keys}}"}}}]}),
    )
    .await;
    let admin = app.admin();

    // Vetoed by the filter flow: its own audit row is rolled back with the write.
    admin
        .post("/items/orders", json!({"total": 0, "code": "Z"}))
        .await
        .assert_error(400, "FAILED_VALIDATION");
    assert!(items(&app, "orders").await.is_empty());
    assert!(
        items(&app, "audit").await.is_empty(),
        "a refused write leaves nothing the filter flow wrote"
    );

    let r = admin
        .post("/items/orders", json!({"total": 5, "code": "A"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.body["data"]["id"].clone();
    assert_eq!(items(&app, "audit").await.len(), 1);

    // The filter flow passes but the write itself fails: the audit row goes too.
    admin
        .post("/items/orders", json!({"total": 6, "code": "A"}))
        .await
        .assert_error(400, "RECORD_NOT_UNIQUE");
    let audit = items(&app, "audit").await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["data"]["code"], "A");
    assert_eq!(audit[0]["data"]["total"], 5);

    // Batch updates are one update event per item, and filters rewrite each payload.
    let r = admin
        .patch(
            "/items/orders",
            json!([{"id": id, "note": "from the caller"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rows = items(&app, "orders").await;
    assert_eq!(rows[0]["note"], format!("filtered [{id}]"));
}

#[tokio::test]
async fn flow_writes_emit_events_only_with_emit_events() {
    let app = TestApp::spawn().await;
    event_setup(&app).await;
    create_flow(&app, audit_flow("items.create", json!(["orders"]))).await;
    let writer = |emit: bool| {
        json!({"name": format!("writer {emit}"), "trigger": "webhook", "options": {"method": "POST"},
               "operations": [{"key": "w", "operation": "item-create",
                               "options": {"collection": "orders", "emitEvents": emit,
                                           "payload": {"total": 1}}}]})
    };
    let quiet = create_flow(&app, writer(false)).await;
    let loud = create_flow(&app, writer(true)).await;
    app.admin()
        .post(&format!("/flows/trigger/{quiet}"), json!({}))
        .await;
    app.admin()
        .post(&format!("/flows/trigger/{loud}"), json!({}))
        .await;
    app.eventually(|| async { items(&app, "audit").await.len() == 1 })
        .await;
    // Give a stray event from the quiet writer every chance to show up.
    app.flush_logs().await;
    assert_eq!(items(&app, "orders").await.len(), 2);
    assert_eq!(items(&app, "audit").await.len(), 1);
}

#[tokio::test]
async fn system_collections_and_login_emit_events() {
    let app = TestApp::spawn().await;
    event_setup(&app).await;
    create_flow(&app, audit_flow("items.create", json!(["directus_users"]))).await;
    create_flow(&app, audit_flow("auth.login", json!([]))).await;
    app.admin()
        .post(
            "/users",
            json!({"email": "ev@example.com", "password": "pw-ev"}),
        )
        .await;
    app.login("ev@example.com", "pw-ev").await;
    app.eventually(|| async { items(&app, "audit").await.len() == 2 })
        .await;
    let rows = items(&app, "audit").await;
    assert!(
        rows.iter().any(|r| r["event"] == "users.create"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r["event"] == "auth.login" && r["data"]["email"] == "ev@example.com"),
        "{rows:?}"
    );
}
