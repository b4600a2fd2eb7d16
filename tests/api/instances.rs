//! Issue 14 point 1, between real processes: two Sluice instances on one PostgreSQL. The first
//! change of each kind made on A — the first flow, the first public grant — reaches B without
//! a restart (before, an instance took a version row it had never seen as already known).

use std::time::{Duration, Instant};

use serde_json::json;
use tests::process::ServerProcess;

use crate::fixtures::PUBLIC_POLICY;

/// Polls `call` until it answers `want`, for at most `within`; the time it took.
async fn answers(
    what: &str,
    within: Duration,
    want: u16,
    call: impl AsyncFn() -> tests::Resp,
) -> Duration {
    let started = Instant::now();
    loop {
        let r = call().await;
        if r.status == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{what}: still {} after {within:?}: {}",
            r.status,
            r.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_first_change_of_each_kind_reaches_the_other_instance() {
    if !matches!(tests::Backend::from_env(), tests::Backend::Postgres) {
        eprintln!("skipped: several instances need PostgreSQL (SLUICE_TEST_DB=postgres)");
        return;
    }
    let a = ServerProcess::start(&[]).await;
    let b = a.sibling().await;
    // The first flow ever, created on A, triggered on B.
    let r = a
        .admin()
        .post(
            "/flows",
            json!({"name": "first", "trigger": "webhook", "status": "active",
                   "options": {"method": "POST"},
                   "operations": [{"key": "t", "operation": "transform", "options": {"json": {"ok": true}}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let flow = r.body["data"]["id"].as_str().expect("flow id").to_owned();
    let url = format!("/flows/trigger/{flow}");
    let took = answers(
        "the first flow on B",
        Duration::from_secs(5),
        200,
        async || b.admin().post(&url, json!({})).await,
    )
    .await;
    eprintln!("first flow: on B after {took:?}");

    // The first public grant, made on A, used anonymously on B.
    let anon = b.client.clone();
    let r = anon.post(&url, json!({})).await;
    assert_eq!(r.status, 403, "not public yet: {}", r.text);
    let r = a
        .admin()
        .post(
            "/permissions",
            json!({"policy": PUBLIC_POLICY, "collection": "directus_flows", "action": "trigger", "fields": ["*"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let took = answers(
        "the first public grant on B",
        Duration::from_secs(5),
        200,
        async || anon.post(&url, json!({})).await,
    )
    .await;
    eprintln!("first public grant: on B after {took:?}");

    // Twenty more flows, each created on A and polled for on B every 10 ms: how long a change
    // takes to reach the other instance (printed; with LISTEN/NOTIFY well under the poll's 1 s).
    let mut times = Vec::new();
    for n in 0..20 {
        let r = a
            .admin()
            .post(
                "/flows",
                json!({"name": format!("flow {n}"), "trigger": "webhook", "status": "active",
                       "options": {"method": "POST"},
                       "operations": [{"key": "t", "operation": "transform", "options": {"json": {"n": n}}}]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let url = format!(
            "/flows/trigger/{}",
            r.body["data"]["id"].as_str().expect("id")
        );
        let started = Instant::now();
        loop {
            if b.admin().post(&url, json!({})).await.status == 200 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "flow {n} never reached B"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        times.push(started.elapsed());
    }
    times.sort();
    eprintln!(
        "a new flow on B after: median {:?}, slowest of 20 {:?}",
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
