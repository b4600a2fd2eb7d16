//! Issue 13, what the run log keeps: runs older than `FLOWS_LOGS_RETENTION` are pruned with
//! their activity and revision rows, and a flow's `options.retention` keeps its failures
//! longer than its successes.

use std::time::Duration;

use serde_json::{Value, json};
use tests::{Receiver, TestApp};

use crate::flows::create_flow;

#[tokio::test]
async fn old_run_logs_are_pruned_and_failures_can_outlive_successes() {
    let app = TestApp::spawn_with(|c| {
        c.flows_logs_retention = Some(Duration::from_secs(3));
        c.flows_logs_prune_interval = Duration::from_millis(200);
    })
    .await;
    let webhook = |name: &str, options: Value, operations: Value| {
        json!({"name": name, "trigger": "webhook", "status": "active", "accountability": "all",
               "options": options, "operations": operations})
    };
    let plain = create_flow(
        &app,
        webhook(
            "plain",
            json!({"method": "POST"}),
            json!([{"key": "t", "operation": "transform", "options": {"json": {"ok": true}}}]),
        ),
    )
    .await;
    let keeps = create_flow(
        &app,
        webhook(
            "keeps failures",
            json!({"method": "POST", "retention": {"success": "2s", "failed": "1h"}}),
            json!([{"key": "check", "operation": "condition",
                    "options": {"filter": {"$trigger": {"body": {"ok": {"_eq": true}}}}}}]),
        ),
    )
    .await;
    for (flow, body) in [
        (&plain, json!({})),
        (&keeps, json!({"ok": true})),
        (&keeps, json!({"ok": false})),
    ] {
        let r = app
            .admin()
            .post(&format!("/flows/trigger/{flow}"), body)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let first = app.runs_of(&plain).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let statuses = |runs: &[Value]| -> Vec<String> {
        runs.iter()
            .map(|r| r["status"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(statuses(&app.runs_of(&keeps).await), ["success", "failed"]);
    let (activity, revision) = (first[0]["activity"].clone(), first[0]["revision"].clone());
    assert!(activity.is_number() && revision.is_number(), "{first:?}");
    let found = |path: String| {
        let app = &app;
        async move { app.admin().get(&path).await.status == 200 }
    };
    assert!(found(format!("/activity/{activity}")).await);

    // Past the ages: the plain run goes (3 s, global), the flow's success (2 s) too, its
    // failure stays (1 h).
    let mut left = (usize::MAX, Vec::new());
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        left = (
            app.runs_of(&plain).await.len(),
            statuses(&app.runs_of(&keeps).await),
        );
        if left.0 == 0 && left.1.len() == 1 {
            break;
        }
    }
    assert_eq!(left, (0, vec!["failed".to_owned()]));
    assert!(
        !found(format!("/activity/{activity}")).await,
        "its activity row went too"
    );
    assert!(
        !found(format!("/revisions/{revision}")).await,
        "and its revision"
    );
}

/// A flow that writes one `deliveries` item per run and answers its id.
async fn delivering_flow(app: &TestApp, options: Value) -> String {
    let mut opts = json!({"method": "POST"});
    if let (Some(o), Value::Object(extra)) = (opts.as_object_mut(), options) {
        o.extend(extra);
    }
    create_flow(
        app,
        json!({"name": "deliveries", "trigger": "webhook", "status": "active",
               "accountability": "all", "options": opts,
               "operations": [{"key": "save", "operation": "item-create",
                               "options": {"collection": "deliveries", "permissions": "$full",
                                           "payload": {"note": "{{$trigger.body.note}}"}}}]}),
    )
    .await
}

async fn deliveries_table(app: &TestApp) {
    crate::seed_examples::create_collection(
        app,
        "deliveries",
        json!([
            {"field": "id", "type": "integer", "schema": {"is_primary_key": true, "has_auto_increment": true}},
            {"field": "note", "type": "string"}
        ]),
    )
    .await;
}

async fn count(app: &TestApp) -> usize {
    crate::seed_examples::rows(app, "deliveries").await.len()
}

/// Issue 13 point 7: a repeat of a delivery (same `Idempotency-Key`) answers the first
/// delivery's answer without a second run, concurrent repeats make exactly one run, another
/// key runs again, a key past `FLOWS_IDEMPOTENCY_TTL` runs again, and an over-long key is
/// refused.
#[tokio::test]
async fn a_repeated_delivery_runs_once_and_answers_the_same() {
    let app = TestApp::spawn_with(|c| c.flows_idempotency_ttl = Duration::from_secs(2)).await;
    deliveries_table(&app).await;
    let flow = delivering_flow(&app, json!({})).await;
    let path = format!("/flows/trigger/{flow}");
    let keyed = |key: &str| app.admin().with_header("Idempotency-Key", key);
    let first = keyed("order-1").post(&path, json!({"note": "a"})).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let again = keyed("order-1")
        .post(&path, json!({"note": "changed"}))
        .await;
    assert_eq!((again.status, &again.text), (200, &first.text));
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert!(first.headers.get("idempotent-replayed").is_none());
    assert_eq!(count(&app).await, 1, "one run for two deliveries");

    // Ten at once with a new key: one run, ten equal answers.
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let c = keyed("order-2");
        let p = path.clone();
        calls.spawn(async move { c.post(&p, json!({"note": "b"})).await });
    }
    let answers = calls.join_all().await;
    assert!(
        answers
            .iter()
            .all(|r| r.status == 200 && r.text == answers[0].text),
        "{:?}",
        answers
            .iter()
            .map(|r| (r.status, r.text.clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        count(&app).await,
        2,
        "exactly one run for ten concurrent deliveries"
    );

    // Without a key every call runs; past the TTL the key runs again.
    app.admin().post(&path, json!({"note": "c"})).await;
    assert_eq!(count(&app).await, 3);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let late = keyed("order-1").post(&path, json!({"note": "d"})).await;
    assert_eq!(late.status, 200, "{}", late.text);
    assert!(late.headers.get("idempotent-replayed").is_none());
    assert_eq!(count(&app).await, 4, "an expired key is a new delivery");

    let long = keyed(&"k".repeat(256)).post(&path, json!({})).await;
    long.assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(count(&app).await, 4);
}

/// The flow option `idempotencyKey` names deliveries from the call itself, and async calls
/// repeat their 202 without a second run.
#[tokio::test]
async fn the_flow_option_names_deliveries_and_async_repeats_are_accepted_once() {
    let app = TestApp::spawn().await;
    deliveries_table(&app).await;
    let flow = delivering_flow(
        &app,
        json!({"async": true, "idempotencyKey": "{{$trigger.body.event_id}}"}),
    )
    .await;
    let path = format!("/flows/trigger/{flow}");
    for _ in 0..3 {
        let r = app
            .admin()
            .post(&path, json!({"event_id": "evt_1", "note": "x"}))
            .await;
        assert_eq!(
            (r.status, r.body.clone()),
            (202, json!({"data": null})),
            "{}",
            r.text
        );
    }
    let other = app
        .admin()
        .post(&path, json!({"event_id": "evt_2", "note": "y"}))
        .await;
    assert_eq!(other.status, 202);
    let mut n = 0;
    for _ in 0..50 {
        n = count(&app).await;
        if n >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!((n, count(&app).await), (2, 2), "one run per event id");
}

/// Issue 13 point 3 (ahead of the durable queue): accepted async runs are bounded by
/// `FLOWS_QUEUE_MAX` and run `FLOWS_CONCURRENCY` at a time; one call more is answered
/// `503 SERVICE_UNAVAILABLE` with `Retry-After` instead of growing memory, every accepted call
/// runs, and room comes back once they are done.
#[tokio::test]
async fn a_full_queue_answers_503_and_runs_every_accepted_call() {
    let app = TestApp::spawn_with(|c| {
        c.flows_queue_max = 3;
        c.flows_concurrency = 1;
    })
    .await;
    deliveries_table(&app).await;
    let flow = create_flow(
        &app,
        json!({"name": "slow async", "trigger": "webhook", "status": "active",
               "accountability": "all", "options": {"method": "POST", "async": true},
               "operations": [
                   {"key": "wait", "operation": "sleep", "options": {"milliseconds": 300}},
                   {"key": "save", "operation": "item-create",
                    "options": {"collection": "deliveries", "permissions": "$full",
                                "payload": {"note": "{{$trigger.body.n}}"}}}]}),
    )
    .await;
    let path = format!("/flows/trigger/{flow}");
    let mut statuses = Vec::new();
    for n in 0..6 {
        let r = app.admin().post(&path, json!({"n": n})).await;
        if r.status == 503 {
            r.assert_error(503, "SERVICE_UNAVAILABLE");
            assert_eq!(r.headers["retry-after"], "1");
        }
        statuses.push(r.status);
    }
    assert_eq!(statuses, [202, 202, 202, 503, 503, 503]);
    let mut done = 0;
    for _ in 0..100 {
        done = count(&app).await;
        if done == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // One at a time: three runs of 300 ms take at least 900 ms, and none is lost or extra.
    assert_eq!(done, 3);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(count(&app).await, 3);
    let after = app.admin().post(&path, json!({"n": 9})).await;
    assert_eq!(after.status, 202, "room again once the queue drained");
}

async fn notes(app: &TestApp) -> Vec<String> {
    let mut n: Vec<String> = crate::seed_examples::rows(app, "deliveries")
        .await
        .iter()
        .filter_map(|r| r["note"].as_str().map(str::to_owned))
        .collect();
    n.sort();
    n
}

/// Issue 13 point 6: logged runs are replayed with their recorded call against the flow as it
/// is now — the failed ones in bulk, or one by id — each as a new logged run; a run whose call
/// was not recorded cannot be, and a run of another flow is not found.
#[tokio::test]
async fn failed_runs_are_replayed_against_the_flow_as_it_is_now() {
    let app = TestApp::spawn().await;
    deliveries_table(&app).await;
    let doc = |accountability: &str| {
        json!({"name": "picky", "trigger": "webhook", "status": "active",
               "accountability": accountability, "options": {"method": "POST"},
               "operations": [
                   {"key": "check", "operation": "condition",
                    "options": {"filter": {"$trigger": {"body": {"note": {"_eq": "fine"}}}}}},
                   {"key": "save", "operation": "item-create",
                    "options": {"collection": "deliveries", "payload": {"note": "{{$trigger.body.note}}"}}}]})
    };
    let flow = create_flow(&app, doc("all")).await;
    let path = format!("/flows/trigger/{flow}");
    for note in ["a", "fine", "b"] {
        app.admin().post(&path, json!({"note": note})).await;
    }
    assert_eq!(notes(&app).await, ["fine"]);
    let runs = app.runs_of(&flow).await;
    let failed: Vec<i64> = runs
        .iter()
        .filter(|r| r["status"] == "failed")
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert_eq!(failed.len(), 2, "{runs:?}");

    // Fix the flow: the condition now lets every note through.
    let ops = app
        .admin()
        .get(&format!(
            "/operations?filter[flow][_eq]={flow}&filter[key][_eq]=check"
        ))
        .await;
    let check = ops.body["data"][0]["id"].as_str().unwrap().to_owned();
    let fixed = app
        .admin()
        .patch(
            &format!("/operations/{check}"),
            json!({"options": {"filter": {"$trigger": {"body": {"note": {"_nnull": true}}}}}}),
        )
        .await;
    assert_eq!(fixed.status, 200, "{}", fixed.text);

    let bulk = app
        .admin()
        .post(
            &format!("/flows/{flow}/runs/replay"),
            json!({"status": "failed"}),
        )
        .await;
    assert_eq!(bulk.status, 202, "{}", bulk.text);
    assert_eq!(
        bulk.body["data"],
        json!({"queued": 2, "skipped": 0, "refused": 0})
    );
    let mut now = Vec::new();
    for _ in 0..50 {
        now = notes(&app).await;
        if now.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(now, ["a", "b", "fine"], "the failed calls ran again, fixed");
    let one = app
        .admin()
        .post(
            &format!("/flows/{flow}/runs/{}/replay", failed[0]),
            json!({}),
        )
        .await;
    assert_eq!(one.status, 202, "{}", one.text);
    let mut total = 0;
    for _ in 0..50 {
        total = app.runs_of(&flow).await.len();
        if total == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(total, 6, "3 calls + 3 replays, each logged");

    // Not recorded, not found, not a filter.
    let quiet = create_flow(&app, doc("activity")).await;
    app.admin()
        .post(&format!("/flows/trigger/{quiet}"), json!({"note": "fine"}))
        .await;
    let quiet_run = app.runs_of(&quiet).await[0]["id"].as_i64().unwrap();
    app.admin()
        .post(
            &format!("/flows/{quiet}/runs/{quiet_run}/replay"),
            json!({}),
        )
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    app.admin()
        .post(&format!("/flows/{flow}/runs/{quiet_run}/replay"), json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
    app.admin()
        .post(
            &format!("/flows/{flow}/runs/replay"),
            json!({"from": "yesterday"}),
        )
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    app.anon()
        .post(&format!("/flows/{flow}/runs/replay"), json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
}

/// Issue 13 point 4: an async run whose Web request keeps failing with 503 is tried
/// `attempts` times with exponential backoff, every attempt logged (`retrying` until the last),
/// and the last one stays `failed` — a dead letter that can be listed; a failure the policy
/// does not name (a "Stop with error" under the default `on: ["request"]`) is not retried.
#[tokio::test]
async fn failed_async_runs_retry_with_backoff_and_end_as_dead_letters() {
    let api = Receiver::start(503, json!({"busy": true})).await;
    let app = TestApp::spawn_with(|c| c.import_ip_deny_list = vec![]).await;
    let flow = create_flow(
        &app,
        json!({"name": "flaky", "trigger": "webhook", "status": "active", "accountability": "all",
               "options": {"method": "POST", "async": true,
                           "retry": {"attempts": 3, "backoff": "exponential", "delay": "200ms", "max": "1s"}},
               "operations": [{"key": "call", "operation": "request",
                               "options": {"method": "POST", "url": format!("{}/hook", api.url)}}]}),
    )
    .await;
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{flow}"), json!({"n": 1}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    api.wait_for(3).await;
    let runs = app.finished_runs_of(&flow, 3).await;
    let seen: Vec<(i64, String)> = runs
        .iter()
        .map(|r| {
            (
                r["attempt"].as_i64().unwrap_or(0),
                r["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, "retrying".to_owned()),
            (2, "retrying".to_owned()),
            (3, "failed".to_owned())
        ]
    );
    let started: Vec<chrono::DateTime<chrono::FixedOffset>> = runs
        .iter()
        .map(|r| chrono::DateTime::parse_from_rfc3339(r["timestamp"].as_str().unwrap()).unwrap())
        .collect();
    let gap = |i: usize| (started[i + 1] - started[i]).num_milliseconds();
    // 200 ms before the second attempt, 400 ms before the third (and not much more).
    assert!((200..1200).contains(&gap(0)), "first wait {} ms", gap(0));
    assert!((400..1400).contains(&gap(1)), "second wait {} ms", gap(1));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(api.received().len(), 3, "no attempt after the last");
    let dead = app
        .admin()
        .get(&format!(
            "/runs?filter[flow][_eq]={flow}&filter[status][_eq]=failed&filter[attempt][_gt]=1"
        ))
        .await;
    assert_eq!(
        dead.body["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        dead.text
    );

    let thrower = create_flow(
        &app,
        json!({"name": "stops", "trigger": "webhook", "status": "active", "accountability": "all",
               "options": {"method": "POST", "async": true, "retry": {"attempts": 3, "delay": "50ms"}},
               "operations": [{"key": "stop", "operation": "throw-error",
                               "options": {"status": "422", "code": "INVALID_PAYLOAD", "message": "no"}}]}),
    )
    .await;
    app.admin()
        .post(&format!("/flows/trigger/{thrower}"), json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let once = app.finished_runs_of(&thrower, 1).await;
    assert_eq!(once.len(), 1, "{once:?}");
    assert_eq!(
        (once[0]["attempt"].clone(), once[0]["status"].clone()),
        (json!(1), json!("failed"))
    );
}

/// The Sluice options a run depends on are checked when the flow is saved: a retry, retention
/// or idempotency setting the engine could not use is refused with 400 on create, on a
/// document or plain update, and on a batch update — and the stored flow stays as it was.
#[tokio::test]
async fn unusable_retry_retention_and_idempotency_options_are_refused_at_save() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let flow = |options: Value| {
        json!({"name": "opts", "trigger": "webhook", "status": "active", "options": options,
               "operations": [{"key": "t", "operation": "transform", "options": {"json": {}}}]})
    };
    let refused = |r: &tests::Resp, names: &str| {
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(
            r.body["errors"][0]["extensions"]["code"], "INVALID_PAYLOAD",
            "{}",
            r.text
        );
        let message = r.body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains(names), "{names}: {message}");
    };
    let r = admin
        .post(
            "/flows",
            flow(json!({"method": "POST", "retry": {"attempts": 0}})),
        )
        .await;
    refused(&r, "options.retry.attempts");
    let r = admin
        .post(
            "/flows",
            json!({"name": "row", "trigger": "webhook",
                              "options": {"retention": {"failed": "forever"}}}),
        )
        .await;
    refused(&r, "options.retention.failed");
    let listed = admin.get("/flows?filter[name][_in]=opts,row").await;
    assert_eq!(
        listed.body["data"],
        json!([]),
        "nothing was stored: {}",
        listed.text
    );

    let good = json!({"method": "POST", "retry": {"attempts": 3, "backoff": "exponential",
                      "delay": "1s", "on": ["request", "throw"]},
                      "retention": {"success": "7d", "failed": "90d"},
                      "idempotencyKey": "{{$trigger.body.id}}"});
    let id = create_flow(&app, flow(good.clone())).await;
    let r = admin
        .patch(
            &format!("/flows/{id}"),
            json!({"options": {"retry": {"backoff": "linear"}}}),
        )
        .await;
    refused(&r, "options.retry.backoff");
    let r = admin
        .patch(&format!("/flows/{id}"), flow(json!({"idempotencyKey": 7})))
        .await;
    refused(&r, "options.idempotencyKey");
    let r = admin
        .patch(
            "/flows",
            json!({"keys": [id], "data": {"options": {"retry": {"on": ["timeout"]}}}}),
        )
        .await;
    refused(&r, "options.retry.on");
    let stored = admin.get(&format!("/flows/{id}")).await;
    assert_eq!(stored.body["data"]["options"], good, "{}", stored.text);
}

/// Issue 13 point 1, "done when": 1,000 async calls, the process killed with SIGKILL half-way
/// through, restarted on the same database — every call that was answered 202 has run exactly
/// once (one item per accepted call, none twice, even for runs the kill cut off between their
/// item write and their end), and no run is left queued or running.
#[tokio::test]
async fn accepted_runs_survive_sigkill_and_run_exactly_once() {
    use std::collections::{HashMap, HashSet};
    use std::sync::{Arc, Mutex};
    use tests::process::ServerProcess;

    const CALLS: usize = 1000;
    let mut app =
        ServerProcess::start(&[("FLOWS_LEASE", "2s"), ("FLOWS_QUEUE_POLL", "100ms")]).await;
    let r = app
        .admin()
        .post(
            "/collections",
            json!({"collection": "hits", "schema": {}, "meta": {}, "fields": [
                {"field": "id", "type": "integer", "schema": {"is_primary_key": true, "has_auto_increment": true}},
                {"field": "n", "type": "integer"}
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The write first, then a pause: a kill lands between a run's item write and its end.
    let r = app
        .admin()
        .post(
            "/flows",
            json!({"name": "durable", "trigger": "webhook", "status": "active", "accountability": "activity",
                   "options": {"method": "POST", "async": true},
                   "operations": [
                       {"key": "hit", "operation": "item-create", "resolve": "pause",
                        "options": {"collection": "hits", "permissions": "$full",
                                    "payload": {"n": "{{$trigger.body.n}}"}}},
                       {"key": "pause", "operation": "sleep", "options": {"milliseconds": 200}}
                   ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let flow = r.body["data"]["id"].as_str().expect("flow id").to_owned();

    let url = format!("{}/flows/trigger/{flow}", app.base_url);
    let accepted: Arc<Mutex<HashSet<usize>>> = Arc::default();
    let http = reqwest::Client::new();
    let mut calls = tokio::task::JoinSet::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..32 {
        let (http, url, accepted, next) =
            (http.clone(), url.clone(), accepted.clone(), next.clone());
        calls.spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= CALLS {
                    return;
                }
                let sent = http
                    .post(&url)
                    .bearer_auth(tests::ADMIN_TOKEN)
                    .json(&json!({"n": n}))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 202 => {
                        accepted.lock().unwrap().insert(n);
                    }
                    // Refused connections once the process is gone.
                    Ok(_) | Err(_) => {}
                }
            }
        });
    }
    // Half-way: no shutdown, no flush — the process simply stops existing.
    while accepted.lock().unwrap().len() < CALLS / 2 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    app.kill();
    while calls.join_next().await.is_some() {}
    let accepted = accepted.lock().unwrap().clone();
    assert!(accepted.len() >= CALLS / 2, "{} accepted", accepted.len());

    app.kill_and_restart().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let (items, runs) = loop {
        let items = app.admin().get("/items/hits?limit=-1&fields=n").await;
        assert_eq!(items.status, 200, "{}", items.text);
        let runs = app
            .admin()
            .get(&format!(
                "/runs?filter[flow][_eq]={flow}&limit=-1&fields=status,run"
            ))
            .await;
        assert_eq!(runs.status, 200, "{}", runs.text);
        let items = items.body["data"].as_array().cloned().unwrap_or_default();
        let runs = runs.body["data"].as_array().cloned().unwrap_or_default();
        let open = runs
            .iter()
            .any(|r| matches!(r["status"].as_str(), Some("queued" | "running")));
        if (!open && items.len() >= accepted.len()) || std::time::Instant::now() > deadline {
            break (items, runs);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut per_call: HashMap<i64, usize> = HashMap::new();
    for item in &items {
        *per_call.entry(item["n"].as_i64().expect("n")).or_default() += 1;
    }
    let twice: Vec<_> = per_call.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "calls that ran more than once: {twice:?}");
    let missing: Vec<_> = accepted
        .iter()
        .filter(|n| !per_call.contains_key(&i64::try_from(**n).unwrap()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} accepted calls never ran (of {}): {:?}",
        missing.len(),
        accepted.len(),
        missing.iter().take(10).collect::<Vec<_>>()
    );
    let open: Vec<_> = runs.iter().filter(|r| r["status"] != "success").collect();
    assert!(open.is_empty(), "runs not successful: {open:?}");
    // Every item's run is logged once (calls cut off before their 202 may have run too).
    assert_eq!(runs.len(), items.len(), "one run log per item");
    eprintln!(
        "sigkill: {} of {CALLS} calls accepted before the kill, {} items after the restart",
        accepted.len(),
        items.len()
    );
}

/// A collection `name` (`n`, `step`) and an async flow into it: write `first`, sleep
/// `sleep_ms` (a number or a template), write `second` — each call's two writes, by `n`.
async fn write_wait_write(admin: &tests::TestClient, name: &str, sleep_ms: Value) -> String {
    let r = admin
        .post(
            "/collections",
            json!({"collection": name, "schema": {}, "meta": {}, "fields": [
                {"field": "id", "type": "integer", "schema": {"is_primary_key": true, "has_auto_increment": true}},
                {"field": "n", "type": "integer"},
                {"field": "step", "type": "string"}
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let write = |key: &str| {
        json!({"key": key, "operation": "item-create",
               "options": {"collection": name, "permissions": "$full",
                           "payload": {"n": "{{$trigger.body.n}}", "step": key}}})
    };
    let mut first = write("first");
    first["resolve"] = json!("wait");
    let r = admin
        .post(
            "/flows",
            json!({"name": "write, wait, write", "trigger": "webhook", "status": "active",
                   "accountability": "activity", "options": {"method": "POST", "async": true},
                   "operations": [first,
                       {"key": "wait", "operation": "sleep", "resolve": "second",
                        "options": {"milliseconds": sleep_ms}},
                       write("second")]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"]["id"].as_str().expect("flow id").to_owned()
}

/// Calls `0..calls` of [`write_wait_write`] each wrote `first` and `second` exactly once.
async fn assert_each_call_wrote_twice(admin: &tests::TestClient, name: &str, calls: i64) {
    let r = admin
        .get(&format!("/items/{name}?limit=-1&fields=n,step&sort=n,step"))
        .await;
    let written: Vec<(i64, String)> = r.body["data"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| {
            (
                m["n"].as_i64().unwrap(),
                m["step"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(i64, String)> = (0..calls)
        .flat_map(|n| [(n, "first".to_owned()), (n, "second".to_owned())])
        .collect();
    assert_eq!(written, want, "each call's two writes, exactly once");
}

/// Issue 13 point 9: SIGTERM stops claiming, lets the runs executing finish within
/// `FLOWS_SHUTDOWN_TIMEOUT`, and hands the one still going at the deadline back to the queue —
/// with a 60 s lease, so only the hand-back (not a lease expiring) lets the next start take
/// it at once. The next start continues it from its journal (its first write is not made
/// again) and runs the calls that were still queued; every call's writes happen exactly once.
#[tokio::test]
async fn sigterm_finishes_what_it_can_and_hands_the_rest_back() {
    use tests::process::ServerProcess;

    let mut app = ServerProcess::start(&[
        ("FLOWS_LEASE", "60s"),
        ("FLOWS_CONCURRENCY", "2"),
        ("FLOWS_SHUTDOWN_TIMEOUT", "2s"),
        ("SERVER_SHUTDOWN_TIMEOUT", "1s"),
    ])
    .await;
    let flow = write_wait_write(&app.admin(), "marks", json!("{{$trigger.body.ms}}")).await;

    // Call 0 ends within the grace, call 1 outlasts it; 2–4 wait for a worker (2 at once).
    let mut runs = Vec::new();
    for (n, ms) in [(0, 700), (1, 6_000), (2, 10), (3, 10), (4, 10)] {
        let r = app
            .admin()
            .post(&format!("/flows/trigger/{flow}"), json!({"n": n, "ms": ms}))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
        runs.push(r.headers["x-run-id"].to_str().unwrap().to_owned());
    }
    let firsts = |app: &ServerProcess| {
        let admin = app.admin();
        async move {
            let r = admin
                .get("/items/marks?filter[step][_eq]=first&fields=n&limit=-1")
                .await;
            r.body["data"].as_array().map_or(0, Vec::len)
        }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while firsts(&app).await < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first two calls never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = app.terminate(Duration::from_secs(30)).await;
    let exited = chrono::Utc::now();
    assert!(
        status.is_some_and(|s| s.success()),
        "exit after SIGTERM: {status:?}"
    );
    assert!(
        app.log().contains("handing them back to the queue"),
        "the run cut off was handed back:\n{}",
        app.log()
    );

    app.restart().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let logged = loop {
        let r = app
            .admin()
            .get(&format!(
                "/runs?filter[flow][_eq]={flow}&limit=-1&fields=run,status,timestamp,duration_ms"
            ))
            .await;
        let rows = r.body["data"].as_array().cloned().unwrap_or_default();
        let done = rows.len() == runs.len() && rows.iter().all(|r| r["status"] == "success");
        if done || std::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(logged.len(), runs.len(), "one log per call: {logged:?}");
    let row = |run: &str| {
        let r = logged
            .iter()
            .find(|r| r["run"] == run)
            .expect("a run's log");
        assert_eq!(r["status"], "success", "{r}");
        let start = chrono::DateTime::parse_from_rfc3339(r["timestamp"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        let took = r["duration_ms"].as_f64().unwrap_or(0.0) as i64;
        (start, start + chrono::Duration::milliseconds(took))
    };
    let (_, ended) = row(&runs[0]);
    assert!(ended < exited, "call 0 finished before the process exited");
    for run in &runs[1..] {
        let (_, ended) = row(run);
        assert!(ended > exited, "{run} finished after the restart");
    }
    assert_each_call_wrote_twice(&app.admin(), "marks", 5).await;
}

/// Issue 13 point 1 for event actions: an item write and the action runs it starts commit in
/// one transaction. Item creates from 16 clients, the process killed with SIGKILL half-way,
/// restarted: every order that exists has had its action run exactly once (one mark each) —
/// none is lost between the write's commit and its run being queued, none runs twice.
#[tokio::test]
async fn an_item_write_and_its_action_runs_survive_sigkill_together() {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tests::process::ServerProcess;

    const WRITES: usize = 400;
    let mut app =
        ServerProcess::start(&[("FLOWS_LEASE", "2s"), ("FLOWS_QUEUE_POLL", "100ms")]).await;
    for (collection, field) in [("orders", "n"), ("marks", "order")] {
        let r = app
            .admin()
            .post(
                "/collections",
                json!({"collection": collection, "schema": {}, "meta": {}, "fields": [
                    {"field": "id", "type": "integer", "schema": {"is_primary_key": true, "has_auto_increment": true}},
                    {"field": field, "type": "integer"}
                ]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = app
        .admin()
        .post(
            "/flows",
            json!({"name": "on order", "trigger": "event", "status": "active", "accountability": "activity",
                   "options": {"type": "action", "scope": ["items.create"], "collections": ["orders"]},
                   "operations": [{"key": "mark", "operation": "item-create",
                                   "options": {"collection": "marks", "permissions": "$full",
                                               "payload": {"order": "{{$trigger.key}}"}}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let url = format!("{}/items/orders", app.base_url);
    let http = reqwest::Client::new();
    let created = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (http, url, created, next) = (http.clone(), url.clone(), created.clone(), next.clone());
        writers.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= WRITES {
                    return;
                }
                let sent = http
                    .post(&url)
                    .bearer_auth(tests::ADMIN_TOKEN)
                    .json(&json!({"n": n}))
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status() == 200) {
                    created.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while created.load(Ordering::Relaxed) < WRITES / 2 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    app.kill();
    while writers.join_next().await.is_some() {}

    app.kill_and_restart().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let (orders, marks) = loop {
        let orders = app.admin().get("/items/orders?limit=-1&fields=id").await;
        let marks = app.admin().get("/items/marks?limit=-1&fields=order").await;
        let orders = orders.body["data"].as_array().cloned().unwrap_or_default();
        let marks = marks.body["data"].as_array().cloned().unwrap_or_default();
        if marks.len() >= orders.len() || std::time::Instant::now() > deadline {
            break (orders, marks);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(orders.len() >= WRITES / 2, "{} orders", orders.len());
    let mut per_order: HashMap<i64, usize> = HashMap::new();
    for m in &marks {
        *per_order
            .entry(m["order"].as_i64().expect("order"))
            .or_default() += 1;
    }
    let unmarked: Vec<i64> = orders
        .iter()
        .map(|o| o["id"].as_i64().expect("id"))
        .filter(|id| !per_order.contains_key(id))
        .collect();
    assert!(
        unmarked.is_empty(),
        "orders whose action never ran: {unmarked:?}"
    );
    let twice: Vec<_> = per_order.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "actions that ran twice: {twice:?}");
    assert_eq!(marks.len(), orders.len(), "no mark without its order");
    eprintln!("event actions: {} orders, each marked once", orders.len());
}

/// Issue 13 point 1 with two instances on one database: runs accepted and claimed by A, which
/// then dies (SIGKILL), are taken over by B once their lease expires — B is not restarted, it
/// simply finds them — and each call's two writes happen exactly once (the first reused from
/// the journal A left, the second made by B).
#[tokio::test]
async fn a_dead_instances_runs_are_taken_over_when_their_lease_expires() {
    use tests::process::ServerProcess;

    // Several instances share PostgreSQL; SQLite is the one-instance embedded default (its
    // start hands every running row back at once, as no other process can hold one).
    if !matches!(tests::Backend::from_env(), tests::Backend::Postgres) {
        eprintln!("skipped: several instances need PostgreSQL (SLUICE_TEST_DB=postgres)");
        return;
    }

    const CALLS: usize = 12;
    let mut a = ServerProcess::start(&[("FLOWS_LEASE", "2s"), ("FLOWS_QUEUE_POLL", "100ms")]).await;
    let flow = write_wait_write(&a.admin(), "steps", json!(5000)).await;
    for n in 0..CALLS {
        let r = a
            .admin()
            .post(&format!("/flows/trigger/{flow}"), json!({"n": n}))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    let count = |app: &ServerProcess, step: &'static str| {
        let admin = app.admin();
        async move {
            let r = admin
                .get(&format!(
                    "/items/steps?filter[step][_eq]={step}&fields=n&limit=-1"
                ))
                .await;
            r.body["data"].as_array().map_or(0, Vec::len)
        }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while count(&a, "first").await < CALLS {
        assert!(
            std::time::Instant::now() < deadline,
            "A never started the calls"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Every run is A's and sleeping: B starts now, and A dies before any of them ends.
    let b = a.sibling().await;
    assert_eq!(count(&b, "second").await, 0, "A was killed too late");
    a.kill();
    let killed = std::time::Instant::now();

    let deadline = killed + Duration::from_secs(60);
    loop {
        let runs = b
            .admin()
            .get(&format!(
                "/runs?filter[flow][_eq]={flow}&filter[status][_eq]=success&limit=-1&fields=id"
            ))
            .await;
        let done = runs.body["data"].as_array().map_or(0, Vec::len);
        if done >= CALLS {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "B finished {done} of {CALLS} runs"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_each_call_wrote_twice(&b.admin(), "steps", CALLS as i64).await;
    eprintln!(
        "takeover: B finished A's runs {:?} after the kill",
        killed.elapsed()
    );
}

/// Issue 13 points 1 and 7: an accepted async call names its queued run in `X-Run-Id` — the
/// id its run log carries — and a repeat with the same `Idempotency-Key` names the same run,
/// counted as a duplicate on it.
#[tokio::test]
async fn an_async_call_names_its_run_and_repeats_are_counted_on_it() {
    let app = TestApp::spawn().await;
    let flow = create_flow(
        &app,
        json!({"name": "named", "trigger": "webhook", "status": "active", "accountability": "activity",
               "options": {"method": "POST", "async": true},
               "operations": [{"key": "t", "operation": "transform", "options": {"json": {"ok": true}}}]}),
    )
    .await;
    let keyed = app.admin().with_header("Idempotency-Key", "order-7");
    let url = format!("/flows/trigger/{flow}");
    let first = keyed.post(&url, json!({"n": 1})).await;
    assert_eq!(first.status, 202, "{}", first.text);
    assert_eq!(first.body, json!({"data": null}));
    let run = first.headers["x-run-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&run).is_ok(), "{run}");
    let again = keyed.post(&url, json!({"n": 1})).await;
    assert_eq!(again.status, 202, "{}", again.text);
    assert_eq!(again.headers["x-run-id"].to_str().unwrap(), run);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let runs = app.finished_runs_of(&flow, 1).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["run"], json!(run));
    assert_eq!(runs[0]["status"], "success");
    assert_eq!(runs[0]["duplicates"], 1);
}
