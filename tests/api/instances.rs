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
}
