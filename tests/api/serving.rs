//! No client can hold the server: stalled heads and bodies, slow handlers, answers nobody
//! reads, connection floods and shutdown deadlines, each over real sockets; and the odd bytes
//! of a hostile request (huge headers, broken percent-encodings, non-ASCII tokens) answered
//! as Directus errors.

use std::time::Duration;

use serde_json::json;
use tests::raw::{Ended, RawConn};
use tests::{ADMIN_TOKEN, TestApp};

use crate::flows::create_flow;
use crate::seed_examples::{create_collection, rows};

fn head(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n")
}

#[tokio::test]
async fn a_stalled_request_head_is_cut_off() {
    let app = TestApp::spawn_with(|c| c.server.headers_timeout = Duration::from_millis(300)).await;
    let mut conn = RawConn::connect(&app.base_url).await;
    conn.send(b"GET /server/ping HTTP/1.1\r\nhost: x\r\n").await;
    // The rest of the head never comes: the server closes the connection instead of waiting.
    let (ended, _) = conn.drain(Duration::from_secs(10)).await;
    assert_eq!(ended, Ended::Closed);
    // Finishing the head afterwards gets no answer.
    conn.try_send(b"\r\n").await;
    assert!(conn.response(Duration::from_millis(500)).await.is_none());
    // A prompt client on a new connection is served, and an idle kept-alive connection is
    // closed once the same timeout passes.
    let mut fresh = RawConn::connect(&app.base_url).await;
    fresh.send(head("/server/ping").as_bytes()).await;
    let r = fresh
        .response(Duration::from_secs(5))
        .await
        .expect("answer");
    assert_eq!(r.status, 200);
    assert_eq!(fresh.drain(Duration::from_secs(10)).await.0, Ended::Closed);
}

#[tokio::test]
async fn a_stalled_body_answers_408() {
    let app = TestApp::spawn_with(|c| c.server.body_timeout = Duration::from_millis(300)).await;
    let mut conn = RawConn::connect(&app.base_url).await;
    conn.send(
        format!(
            "POST /items/anything HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
             content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"a\":",
            tests::ADMIN_TOKEN
        )
        .as_bytes(),
    )
    .await;
    let r = conn
        .response(Duration::from_secs(10))
        .await
        .expect("an answer");
    assert_eq!(
        (r.status, r.code().as_str()),
        (408, "REQUEST_TIMEOUT"),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_slow_api_request_answers_503_and_writes_nothing() {
    let app = TestApp::spawn_with(|c| c.server.request_timeout = Duration::from_millis(500)).await;
    let admin = app.admin();
    let r = admin
        .post(
            "/collections",
            json!({"collection": "slow_notes", "schema": {},
                   "fields": [{"field": "note", "type": "string"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A filter flow that takes 3 s makes every create of this collection slow.
    create_flow(
        &app,
        json!({"name": "slow filter", "trigger": "event", "status": "active",
               "options": {"type": "filter", "scope": ["items.create"], "collections": ["slow_notes"]},
               "operations": [{"id": "wait", "operation": "sleep", "options": {"milliseconds": 3000}}]}),
    )
    .await;
    let r = admin
        .post("/items/slow_notes", json!({"note": "late"}))
        .await;
    r.assert_error(503, "SERVICE_UNAVAILABLE");
    // The cut-off write was rolled back, and the server keeps answering.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rows = admin.get("/items/slow_notes").await;
    assert_eq!(rows.status, 200, "{}", rows.text);
    assert_eq!(rows.body["data"], json!([]));
}

#[tokio::test]
async fn webhook_runs_keep_their_own_limits() {
    let app = TestApp::spawn_with(|c| c.server.request_timeout = Duration::from_millis(300)).await;
    let id = create_flow(
        &app,
        json!({"name": "slow hook", "trigger": "webhook", "status": "active",
               "options": {"method": "GET", "async": false, "return": "$last"},
               "operations": [{"id": "wait", "operation": "sleep", "options": {"milliseconds": 800}},
                              {"id": "done", "operation": "transform", "options": {"json": {"ok": true}}}]}),
    )
    .await;
    let r = app.admin().get(&format!("/flows/trigger/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"], json!({"ok": true}));
}

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected() {
    let app = TestApp::spawn_with(|c| {
        c.server.write_timeout = Duration::from_millis(500);
        c.max_payload_size = 16 * 1024 * 1024;
    })
    .await;
    let id = create_flow(
        &app,
        json!({"name": "echo", "trigger": "webhook", "status": "active",
               "options": {"method": "POST", "async": false, "return": "$trigger.body"},
               "operations": []}),
    )
    .await;
    // An 8 MB answer to a client whose receive buffer is tiny and who never reads.
    let body = serde_json::to_vec(&json!({"blob": "x".repeat(8 * 1024 * 1024)})).unwrap();
    let mut conn = RawConn::connect_small_buffer(&app.base_url).await;
    let request = format!(
        "POST /flows/trigger/{id} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        tests::ADMIN_TOKEN,
        body.len()
    );
    conn.send(request.as_bytes()).await;
    conn.send(&body).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // By now the server gave up: reading shows the connection ends before the whole answer.
    let (ended, bytes) = conn.drain(Duration::from_secs(20)).await;
    assert_eq!(ended, Ended::Closed);
    assert!(
        bytes < body.len(),
        "the whole answer arrived ({bytes} bytes): the stalled write was not cut off"
    );
    // The server is still fine.
    assert_eq!(app.anon().get("/server/ping").await.status, 200);
}

#[tokio::test]
async fn connections_over_the_cap_answer_503() {
    let app = TestApp::spawn_with(|c| c.server.max_connections = 2).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = RawConn::connect(&app.base_url).await;
        c.send(head("/server/ping").as_bytes()).await;
        let r = c.response(Duration::from_secs(5)).await.expect("answer");
        assert_eq!(r.status, 200);
        held.push(c);
    }
    // Both slots are taken by kept-alive connections: a third is refused with a Directus 503.
    let mut third = RawConn::connect(&app.base_url).await;
    third.send(head("/server/ping").as_bytes()).await;
    let r = third
        .response(Duration::from_secs(5))
        .await
        .expect("refusal");
    assert_eq!((r.status, r.code().as_str()), (503, "SERVICE_UNAVAILABLE"));
    // A slot freed is a slot taken again.
    drop(held.pop());
    let mut again = None;
    for _ in 0..100 {
        let mut c = RawConn::connect(&app.base_url).await;
        c.send(head("/server/ping").as_bytes()).await;
        match c.response(Duration::from_secs(5)).await {
            Some(r) if r.status == 200 => {
                again = Some(r);
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    assert!(again.is_some(), "a freed connection slot was not reused");
}

#[tokio::test]
async fn shutdown_stops_waiting_for_stalled_connections() {
    let mut app = TestApp::spawn_with(|c| {
        c.server.headers_timeout = Duration::from_secs(600);
        c.server.shutdown_timeout = Duration::from_millis(500);
    })
    .await;
    let mut stalled = RawConn::connect(&app.base_url).await;
    stalled.send(b"GET /server/ping HTTP/1.1\r\n").await;
    // Let the server accept it before shutting down.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped = tokio::time::timeout(Duration::from_secs(20), app.stop()).await;
    assert!(stopped.is_ok(), "shutdown waited for a stalled connection");
    assert_eq!(stalled.drain(Duration::from_secs(5)).await.0, Ended::Closed);
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_request_in_flight() {
    let mut app = TestApp::spawn().await;
    let r = app
        .admin()
        .post(
            "/collections",
            json!({"collection": "late_notes", "schema": {},
                   "fields": [{"field": "note", "type": "string"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A create whose body is still arriving when the shutdown begins.
    let body = br#"{"note":"made it"}"#;
    let mut conn = RawConn::connect(&app.base_url).await;
    conn.send(
        format!(
            "POST /items/late_notes HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            tests::ADMIN_TOKEN,
            body.len()
        )
        .as_bytes(),
    )
    .await;
    conn.send(&body[..5]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        conn.send(&body[5..]).await;
        conn.response(Duration::from_secs(10)).await
    };
    let ((), answer) = tokio::join!(app.stop(), client);
    let r = answer.expect("the request in flight was answered");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["data"]["note"], "made it");
}

#[tokio::test]
async fn a_huge_header_answers_431() {
    let app = TestApp::spawn().await;
    let mut conn = RawConn::connect(&app.base_url).await;
    let big = "a".repeat(64 * 1024);
    conn.send(format!("GET /server/ping HTTP/1.1\r\nhost: x\r\nx-big: {big}\r\n\r\n").as_bytes())
        .await;
    let r = conn.response(Duration::from_secs(5)).await.expect("answer");
    assert_eq!(r.status, 431);
    // Headers within the limit are fine.
    let ok = app
        .anon()
        .with_header("x-big", &"a".repeat(8 * 1024))
        .get("/server/ping")
        .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn a_broken_percent_encoding_in_a_path_is_a_directus_error() {
    let app = TestApp::spawn().await;
    for path in [
        "/items/x/%E0%A4%A",
        "/items/x/%FF",
        "/items/%E0%A4%A",
        "/collections/%C3",
        "/flows/%E0%A4%A",
        "/fields/x/%E0",
    ] {
        let r = app.admin().get(path).await;
        r.assert_error(404, "ROUTE_NOT_FOUND");
    }
}

#[tokio::test]
async fn a_non_ascii_bearer_token_is_invalid_credentials() {
    let app = TestApp::spawn().await;
    let mut conn = RawConn::connect(&app.base_url).await;
    conn.send(
        b"GET /users/me HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t\xC3\xA9st\xFF\r\n\r\n",
    )
    .await;
    let r = conn.response(Duration::from_secs(5)).await.expect("answer");
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "INVALID_CREDENTIALS"),
        "{r:?}"
    );
}

#[tokio::test]
async fn an_empty_access_token_counts_as_none() {
    let app = TestApp::spawn().await;
    // Public may read the server info; an empty token must not be looked up (nor match an
    // empty token), where a bad one is refused. (`/server/ping` ignores tokens altogether.)
    let r = app.anon().get("/server/info?access_token=").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .anon()
        .with_header("authorization", "Bearer ")
        .get("/server/info")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.anon()
        .get("/server/info?access_token=x")
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    // A NUL byte or an absurd length is refused without a database lookup error.
    let r = app.anon().get("/users/me?access_token=%00abc").await;
    r.assert_error(401, "INVALID_CREDENTIALS");
    let long = "a".repeat(10_000);
    let r = app
        .anon()
        .get(&format!("/users/me?access_token={long}"))
        .await;
    r.assert_error(401, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn a_ten_thousand_item_batch_is_all_or_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let r = admin
        .post(
            "/collections",
            json!({"collection": "bulk", "schema": {},
                   "fields": [{"field": "n", "type": "integer"}, {"field": "label", "type": "string"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items: Vec<_> = (0..10_000)
        .map(|n| json!({"n": n, "label": format!("item {n}")}))
        .collect();
    let r = admin.post("/items/bulk", json!(items)).await;
    assert!(
        r.status == 200 || (400..500).contains(&r.status),
        "a big batch must succeed or be refused with a 4xx: {} {}",
        r.status,
        r.text
    );
    let count = admin.get("/items/bulk?aggregate[count]=*").await.body["data"][0]["count"].clone();
    if r.status == 200 {
        assert_eq!(r.body["data"].as_array().map(Vec::len), Some(10_000));
        assert_eq!(count, json!(10_000));
    } else {
        assert_eq!(count, json!(0), "a refused batch wrote rows");
    }
}

/// Issue 13 point 2: a sync run finishes when its caller goes away. The client sends the call
/// over a real socket, waits 300 ms (the run is inside its sleep step) and closes the socket:
/// the second item is still written and the run is logged, though its answer reaches no one.
#[tokio::test]
async fn a_sync_run_finishes_when_the_caller_disconnects() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        "visits",
        json!([
            {"field": "id", "type": "integer", "schema": {"is_primary_key": true, "has_auto_increment": true}},
            {"field": "step", "type": "string"}
        ]),
    )
    .await;
    let write = |step: &str| {
        json!({"key": step, "operation": "item-create",
               "options": {"collection": "visits", "payload": {"step": step}, "permissions": "$full"}})
    };
    let id = create_flow(
        &app,
        json!({"name": "two writes", "trigger": "webhook", "status": "active",
               "accountability": "all", "options": {"method": "POST"},
               "operations": [
                   write("first"),
                   {"key": "wait", "operation": "sleep", "options": {"milliseconds": 1500}},
                   write("second")]}),
    )
    .await;
    let mut conn = RawConn::connect(&app.base_url).await;
    conn.send(
        format!(
            "POST /flows/trigger/{id} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {ADMIN_TOKEN}\r\n\
             content-type: application/json\r\ncontent-length: 2\r\n\r\n{{}}"
        )
        .as_bytes(),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let steps = |rows: Vec<serde_json::Value>| -> Vec<String> {
        rows.iter()
            .filter_map(|r| r["step"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(steps(rows(&app, "visits").await), ["first"], "mid-run");
    drop(conn);
    let mut written = Vec::new();
    for _ in 0..100 {
        written = steps(rows(&app, "visits").await);
        if written.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        written,
        ["first", "second"],
        "the run went on after the disconnect"
    );
    app.flush_logs().await;
    let runs = app
        .admin()
        .get(&format!("/runs?filter[flow][_eq]={id}&fields=status,steps"))
        .await;
    assert_eq!(
        runs.body["data"],
        json!([{"status": "success", "steps": 3}]),
        "{}",
        runs.text
    );
}
