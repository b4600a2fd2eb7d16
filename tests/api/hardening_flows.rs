//! Floods, fan-out, panics and proxies: what a hostile or careless caller (or operator
//! environment) does to logins and flows, driven over HTTP. Password hashing and `exec`
//! sandboxes queue for a bounded number of permits (memory measured on the real binary),
//! `trigger` fans out to a capped number of elements with bounded concurrency, a panicking
//! operation ends its run as a failed, logged run answered with a Directus 500, inputs that
//! used to panic reject their step, and `request` operations never go through a system proxy.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use server::flows::operations::{OpContext, OpError, Operation};
use tests::{Receiver, ServerProcess, TestApp, TestClient};

use crate::flows::create_flow;

const MIB: u64 = 1024;

/// Creates a flow through `client` (a child process has no `TestApp`).
async fn create_flow_with(client: &TestClient, doc: Value) -> String {
    let r = client.post("/flows", doc).await;
    assert_eq!(r.status, 200, "create flow: {}", r.text);
    r.body["data"]["id"].as_str().expect("flow id").to_owned()
}

/// A sync POST webhook flow answering its last step's data.
fn webhook_doc(ops: Value) -> Value {
    json!({"name": "hardening", "trigger": "webhook",
           "options": {"method": "POST", "return": "$last"}, "operations": ops})
}

/// Triggers a flow and returns the answer's `data` (asserting 200).
async fn call(client: &TestClient, id: &str, body: Value) -> Value {
    let r = client.post(&format!("/flows/trigger/{id}"), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].clone()
}

// ---------------------------------------------------------------------------------------------
// Point 5: password hashing and `exec` sandboxes are bounded
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_login_flood_queues_for_hashing_and_memory_stays_bounded() {
    const LOGINS: u64 = 48;
    const PERMITS: u64 = 2;
    // The production argon2 costs (config.rs defaults), not the cheap test ones.
    let production = server::config::Config::from_vars(&HashMap::new())
        .expect("default configuration")
        .hash;
    let memory_cost = production.memory_cost.to_string();
    let time_cost = production.time_cost.to_string();
    let parallelism = production.parallelism.to_string();
    let permits = PERMITS.to_string();
    let app = ServerProcess::start(&[
        ("HASH_MEMORY_COST", &memory_cost),
        ("HASH_TIME_COST", &time_cost),
        ("HASH_PARALLELISM", &parallelism),
        ("SLUICE_HASH_CONCURRENCY", &permits),
        // Queued logins must all get their turn on a busy test machine.
        ("SLUICE_HASH_QUEUE_TIMEOUT", "10m"),
    ])
    .await;
    // Every attempt counts against `auth_login_attempts` (25 by default) until one succeeds, so
    // 48 attempts in flight at once would suspend the account (as in Directus): lift the limit.
    let r = app
        .admin()
        .patch("/settings", json!({"auth_login_attempts": null}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let before = app.status_kib("VmHWM");

    let mut logins = tokio::task::JoinSet::new();
    for _ in 0..LOGINS {
        let client = app.anon();
        logins.spawn(async move {
            client
                .post(
                    "/auth/login",
                    json!({"email": tests::ADMIN_EMAIL, "password": tests::ADMIN_PASSWORD}),
                )
                .await
        });
    }
    let mut ok = 0;
    while let Some(r) = logins.join_next().await {
        let r = r.expect("login task");
        assert_eq!(r.status, 200, "every queued login succeeds: {}", r.text);
        assert!(r.body["data"]["access_token"].is_string(), "{}", r.text);
        ok += 1;
    }
    assert_eq!(ok, LOGINS);

    // One argon2 hash holds `memory_cost` KiB while it runs: all 48 at once need 48 times that.
    let unbounded_kib = LOGINS * u64::from(production.memory_cost);
    let peak = app.status_kib("VmHWM");
    eprintln!(
        "login flood: peak {} MiB, before {} MiB, unbounded needs {} MiB",
        peak / MIB,
        before / MIB,
        unbounded_kib / MIB
    );
    assert!(
        peak < unbounded_kib / 2,
        "peak resident size {} MiB (before the flood {} MiB) is not well below the {} MiB that \
         {LOGINS} simultaneous hashes need",
        peak / MIB,
        before / MIB,
        unbounded_kib / MIB
    );
}

#[tokio::test]
async fn an_exec_flood_queues_for_sandboxes_and_memory_stays_bounded() {
    const CALLS: u64 = 48;
    const SCRIPT_MIB: u64 = 24;
    let app = ServerProcess::start(&[
        ("FLOWS_RUN_SCRIPT_CONCURRENCY", "2"),
        // The default 32 MB sandbox limit holds the script's buffer; queued scripts must all
        // get their turn on a busy test machine.
        ("FLOWS_RUN_SCRIPT_TIMEOUT", "600000"),
    ])
    .await;
    // Each script fills a 24 MiB buffer and keeps it for 300 ms.
    let code = format!(
        "module.exports = function() {{
           const buf = new Uint8Array({SCRIPT_MIB} * 1024 * 1024); buf.fill(1);
           const until = Date.now() + 300; while (Date.now() < until) {{}}
           return buf[buf.length - 1];
         }}"
    );
    let id = create_flow_with(
        &app.admin(),
        webhook_doc(json!([{"key": "script", "operation": "exec", "options": {"code": code}}])),
    )
    .await;
    let before = app.status_kib("VmHWM");
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..CALLS {
        let client = app.admin();
        let id = id.clone();
        calls.spawn(async move { call(&client, &id, json!({})).await });
    }
    while let Some(r) = calls.join_next().await {
        assert_eq!(r.expect("call task"), json!(1), "every queued script runs");
    }
    let unbounded_kib = CALLS * SCRIPT_MIB * MIB;
    let peak = app.status_kib("VmHWM");
    eprintln!(
        "exec flood: peak {} MiB, before {} MiB, unbounded needs {} MiB",
        peak / MIB,
        before / MIB,
        unbounded_kib / MIB
    );
    assert!(
        peak < unbounded_kib / 2,
        "peak resident size {} MiB (before {} MiB) is not well below the {} MiB that {CALLS} \
         simultaneous scripts need",
        peak / MIB,
        before / MIB,
        unbounded_kib / MIB
    );
}

// ---------------------------------------------------------------------------------------------
// Point 7: panics reachable from requests and runs
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn jwt_verify_with_an_empty_algorithm_list_rejects_the_step() {
    let app = TestApp::spawn().await;
    let verify = |token: &str| {
        json!({"key": "check", "operation": "json-web-token",
               "options": {"operation": "verify", "token": token, "secret": "s",
                           "options": {"algorithms": []}}})
    };
    let id = create_flow(
        &app,
        webhook_doc(json!([
            {"key": "sign", "operation": "json-web-token",
             "options": {"operation": "sign", "payload": {"sub": "u1"}, "secret": "s"}},
            verify("{{sign}}")
        ])),
    )
    .await;
    // node-jsonwebtoken: no allowed algorithm matches the token's → "invalid algorithm".
    assert_eq!(
        call(&app.admin(), &id, json!({})).await,
        json!({"name": "JsonWebTokenError", "message": "invalid algorithm"})
    );
    let id = create_flow(&app, webhook_doc(json!([verify("not-a-token")]))).await;
    assert_eq!(
        call(&app.admin(), &id, json!({})).await,
        json!({"name": "JsonWebTokenError", "message": "jwt malformed"})
    );
}

#[tokio::test]
async fn jwt_extreme_lifetimes_and_tolerances_do_not_panic() {
    let app = TestApp::spawn().await;
    // `expiresIn` beyond any date: the claim saturates as JavaScript's arithmetic would give a
    // huge number, instead of overflowing.
    let id = create_flow(
        &app,
        webhook_doc(json!([
            {"key": "sign", "operation": "json-web-token",
             "options": {"operation": "sign", "payload": {"sub": "u1"}, "secret": "s",
                         "options": {"expiresIn": i64::MAX}}},
            {"key": "check", "operation": "json-web-token",
             "options": {"operation": "verify", "token": "{{sign}}", "secret": "s"}}
        ])),
    )
    .await;
    let claims = call(&app.admin(), &id, json!({})).await;
    assert_eq!(claims["sub"], "u1", "{claims}");
    assert_eq!(claims["exp"], json!(i64::MAX), "{claims}");
    // A clock tolerance larger than the time since 1970 accepts a long-expired token.
    let id = create_flow(
        &app,
        webhook_doc(json!([
            {"key": "sign", "operation": "json-web-token",
             "options": {"operation": "sign", "payload": {"sub": "u2", "exp": 1}, "secret": "s"}},
            {"key": "check", "operation": "json-web-token",
             "options": {"operation": "verify", "token": "{{sign}}", "secret": "s",
                         "options": {"clockTolerance": u64::MAX}}}
        ])),
    )
    .await;
    assert_eq!(call(&app.admin(), &id, json!({})).await["sub"], "u2");
}

#[tokio::test]
async fn flow_documents_with_extreme_positions_are_laid_out() {
    let app = TestApp::spawn().await;
    let max = i64::from(i32::MAX);
    // The second operation is placed right of (and the third below) one at the grid's edge.
    let id = create_flow(
        &app,
        webhook_doc(json!([
            {"key": "edge", "operation": "transform", "options": {"json": {}},
             "position_x": max, "position_y": max, "reject": "below"},
            {"key": "right", "operation": "transform", "options": {"json": {}}},
            {"key": "below", "operation": "transform", "options": {"json": {}}}
        ])),
    )
    .await;
    let r = app
        .admin()
        .get(&format!("/operations?filter[flow][_eq]={id}&limit=-1"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ops = r.body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(ops.len(), 3, "{}", r.text);
    for op in &ops {
        for axis in ["position_x", "position_y"] {
            let v = op[axis].as_i64().unwrap_or(0);
            assert!((1..=max).contains(&v), "{axis} of {}: {v}", op["key"]);
        }
    }
}

/// An operation that panics, as a bug in one would: only embedding code can register it.
struct Panics;

#[async_trait::async_trait]
impl Operation for Panics {
    async fn run(&self, _options: Value, _ctx: &OpContext<'_>) -> Result<Value, OpError> {
        panic!("internal detail: secret-panic-text");
    }
}

#[tokio::test]
async fn a_panicking_operation_ends_the_run_as_a_failed_logged_run() {
    let app = TestApp::spawn().await;
    let state = &app.server.as_ref().expect("running").state;
    state
        .flows
        .register_operation("test-panic", Arc::new(Panics));
    let id = create_flow(
        &app,
        json!({"name": "panics", "trigger": "webhook", "accountability": "all",
        "options": {"method": "POST", "return": "$last"},
        "operations": [
            {"key": "boom", "operation": "test-panic", "options": {}, "reject": "recover"},
            {"key": "recover", "operation": "transform", "options": {"json": {"ok": true}}}
        ]}),
    )
    .await;
    for _ in 0..2 {
        // The caller gets a Directus 500 without internals (and the server keeps serving).
        let r = app
            .admin()
            .post(&format!("/flows/trigger/{id}"), json!({}))
            .await;
        r.assert_error(500, "INTERNAL_SERVER_ERROR");
        assert_eq!(r.message(), "An unexpected error occurred.");
        assert!(!r.text.contains("secret-panic-text"), "{}", r.text);
    }
    // Logged like any failed run: the panicking step rejected and the run ended there.
    let runs = app.runs_of(&id).await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    for run in &runs {
        assert_eq!(run["status"], "failed", "{run}");
        assert_eq!(run["http_status"], 500, "{run}");
        assert_eq!(run["steps"], 1, "{run}");
    }
    let rev = app
        .admin()
        .get(&format!(
            "/revisions?filter[item][_eq]={id}&filter[collection][_eq]=directus_flows"
        ))
        .await;
    let data = &rev.body["data"][0]["data"];
    assert_eq!(data["steps"][0]["key"], "boom", "{}", rev.text);
    assert_eq!(data["steps"][0]["status"], "reject", "{}", rev.text);
    assert_eq!(
        data["steps"].as_array().map(Vec::len),
        Some(1),
        "{}",
        rev.text
    );
    assert_eq!(
        data["data"]["boom"]["message"],
        "An unexpected error occurred."
    );
    assert_eq!(data["run"]["status"], "failed");
    assert!(!rev.text.contains("secret-panic-text"), "{}", rev.text);
}

// ---------------------------------------------------------------------------------------------
// Point 8: `trigger` fan-out is capped and bounded
// ---------------------------------------------------------------------------------------------

/// An operation flow answering `{n}` from its payload.
async fn numbering_child(app: &TestApp) -> String {
    create_flow(
        app,
        json!({"name": "child", "trigger": "operation", "options": {"return": "$last"},
               "operations": [{"key": "answer", "operation": "transform",
                               "options": {"json": {"n": "{{$trigger.n}}"}}}]}),
    )
    .await
}

fn elements(n: usize) -> Value {
    Value::Array((0..n).map(|i| json!({"n": i})).collect())
}

#[tokio::test]
async fn trigger_refuses_more_elements_than_the_cap_and_starts_no_run() {
    let app = TestApp::spawn_with(|c| c.flows_trigger_max_items = 5).await;
    let child = numbering_child(&app).await;
    for mode in ["parallel", "serial", "batch"] {
        let parent = create_flow(
            &app,
            webhook_doc(json!([{"key": "fan", "operation": "trigger",
                "options": {"flow": child, "payload": "{{$trigger.items}}",
                            "iterationMode": mode, "batchSize": 2}}])),
        )
        .await;
        let before = app.runs_of(&child).await.len();
        let r = call(&app.admin(), &parent, json!({"items": elements(6)})).await;
        assert_eq!(r["name"], "Error", "{mode}: {r}");
        assert_eq!(
            r["message"],
            "The payload has 6 elements; a trigger operation runs at most 5 \
             (FLOWS_TRIGGER_MAX_ITEMS)",
            "{mode}"
        );
        assert_eq!(app.runs_of(&child).await.len(), before, "{mode}: no run");
        // At the cap every element runs, answers in input order.
        let r = call(&app.admin(), &parent, json!({"items": elements(5)})).await;
        let expect: Vec<Value> = (0..5).map(|i| json!({"n": i})).collect();
        assert_eq!(r, Value::Array(expect), "{mode}");
        assert_eq!(app.runs_of(&child).await.len(), before + 5, "{mode}");
    }
}

#[tokio::test]
async fn trigger_runs_elements_with_bounded_concurrency() {
    const ELEMENTS: usize = 20;
    const LIMIT: usize = 4;
    let receiver = Receiver::start_slow(200, json!({"ok": true}), Duration::from_millis(100)).await;
    let app = TestApp::spawn_with(|c| {
        c.import_ip_deny_list = vec![];
        c.flows_trigger_concurrency = LIMIT;
    })
    .await;
    let child = create_flow(
        &app,
        json!({"name": "slow child", "trigger": "operation", "options": {"return": "$last"},
               "operations": [
                   {"key": "call", "operation": "request",
                    "options": {"method": "GET", "url": format!("{}/n/{{{{$trigger.n}}}}", receiver.url)}},
                   {"key": "answer", "operation": "transform", "options": {"json": {"n": "{{$trigger.n}}"}}}
               ]}),
    )
    .await;
    let mut seen = 0;
    for (mode, batch) in [("parallel", 0), ("batch", 10)] {
        let parent = create_flow(
            &app,
            webhook_doc(json!([{"key": "fan", "operation": "trigger",
                "options": {"flow": child, "payload": "{{$trigger.items}}",
                            "iterationMode": mode, "batchSize": batch}}])),
        )
        .await;
        let r = call(&app.admin(), &parent, json!({"items": elements(ELEMENTS)})).await;
        let expect: Vec<Value> = (0..ELEMENTS).map(|i| json!({"n": i})).collect();
        assert_eq!(
            r,
            Value::Array(expect),
            "{mode}: every element, in input order"
        );
        seen += ELEMENTS;
        assert_eq!(receiver.received().len(), seen, "{mode}");
        let most = receiver.max_in_flight();
        assert!(
            (2..=LIMIT).contains(&most),
            "{mode}: {most} child requests were in flight at once (limit {LIMIT})"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Point 10: `request` operations never use a system proxy
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn request_operations_ignore_proxy_variables() {
    let proxy = Receiver::start(200, json!({"via": "proxy"})).await;
    let target = Receiver::start(200, json!({"via": "target"})).await;
    let proxies = [
        ("HTTP_PROXY", proxy.url.as_str()),
        ("HTTPS_PROXY", proxy.url.as_str()),
        ("ALL_PROXY", proxy.url.as_str()),
        ("http_proxy", proxy.url.as_str()),
        ("https_proxy", proxy.url.as_str()),
        ("all_proxy", proxy.url.as_str()),
    ];
    let request = |url: String| {
        webhook_doc(json!([{"key": "call", "operation": "request",
                            "options": {"method": "GET", "url": url}}]))
    };

    // An allowed address is called directly.
    let mut env = proxies.to_vec();
    env.push(("IMPORT_IP_DENY_LIST", "169.254.169.254"));
    let open = ServerProcess::start(&env).await;
    let id = create_flow_with(&open.admin(), request(format!("{}/hello", target.url))).await;
    let r = call(&open.admin(), &id, json!({})).await;
    assert_eq!(r["data"], json!({"via": "target"}), "{r}");
    assert_eq!(target.received().len(), 1);
    assert_eq!(
        proxy.received().len(),
        0,
        "the proxy saw {:?}",
        proxy.received()
    );

    // A name resolving to a denied address (the default list denies this machine) stays
    // refused: no proxy gets to resolve it instead.
    let guarded = ServerProcess::start(&proxies).await;
    let port = target.url.rsplit(':').next().expect("port");
    let id = create_flow_with(
        &guarded.admin(),
        request(format!("http://localhost:{port}/secret")),
    )
    .await;
    let r = call(&guarded.admin(), &id, json!({})).await;
    assert_eq!(
        r,
        json!({"name": "Error",
               "message": "Requested domain \"localhost\" resolves to a denied IP address"})
    );
    assert_eq!(target.received().len(), 1);
    assert_eq!(
        proxy.received().len(),
        0,
        "the proxy saw {:?}",
        proxy.received()
    );
}
