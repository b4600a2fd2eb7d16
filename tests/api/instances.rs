//! Issue 14 point 1, between real processes: two Sluice instances on one PostgreSQL. The first
//! change of each kind made on A — the first flow, the first public grant — reaches B without
//! a restart (before, an instance took a version row it had never seen as already known).

use std::time::{Duration, Instant};

use serde_json::json;
use tests::process::ServerProcess;

use crate::cluster::transform_webhook;
use crate::fixtures::PUBLIC_POLICY;

/// Polls `call` until it answers `want`, for at most `within`; the time it took.
pub(crate) async fn answers(
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
    let url = transform_webhook(&a, "active", "POST", json!({"ok": true})).await;
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
        let url = transform_webhook(&a, "active", "POST", json!({"n": n})).await;
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

/// A change committed by something other than Sluice — `psql`, a migration script, or an
/// instance that died right after its commit — announces itself: the version is bumped by the
/// database, inside the writing transaction. Runs on both backends (SQLite through the poll).
#[tokio::test]
async fn a_change_written_straight_into_the_database_reaches_every_instance() {
    use sea_orm::ConnectionTrait;
    let a = ServerProcess::start(&[]).await;
    let url = transform_webhook(&a, "inactive", "POST", json!({"ok": true})).await;
    assert_ne!(a.anon().post(&url, json!({})).await.status, 200);
    let db = a.connect_database().await;
    let sql = |s: &str| sea_orm::Statement::from_string(db.get_database_backend(), s.to_owned());
    db.execute_raw(sql(
        "UPDATE directus_flows SET status = 'active' WHERE status = 'inactive'",
    ))
    .await
    .expect("activate the flow by hand");
    db.execute_raw(sql(
        "INSERT INTO directus_permissions (policy, collection, action, fields) \
         SELECT id, 'directus_flows', 'trigger', '*' FROM directus_policies \
         WHERE name = '$t:public_label'",
    ))
    .await
    .expect("grant public trigger by hand");
    let took = answers(
        "a hand-written activation and grant",
        Duration::from_secs(5),
        200,
        async || a.anon().post(&url, json!({})).await,
    )
    .await;
    eprintln!("a change made outside Sluice: picked up after {took:?}");
    if matches!(tests::Backend::from_env(), tests::Backend::Postgres) {
        // Another instance, started after the change, sees it too; and a revoke by hand closes
        // the flow on both.
        let b = a.sibling().await;
        assert_eq!(b.anon().post(&url, json!({})).await.status, 200);
        db.execute_raw(sql(
            "DELETE FROM directus_permissions WHERE action = 'trigger' AND collection = 'directus_flows'",
        ))
        .await
        .expect("revoke by hand");
        for instance in [&a, &b] {
            answers(
                "a hand-written revoke",
                Duration::from_secs(5),
                403,
                async || instance.anon().post(&url, json!({})).await,
            )
            .await;
        }
    }
}
