//! Issue 14 point 3, with a real process: ticks of a schedule flow that matched while every
//! instance was down are run or skipped as the flow's `options.missed` says. The process is
//! killed with SIGKILL, stays down for a few seconds, and is started again.

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::process::ServerProcess;

use crate::cluster::{collection, flow};

/// The rows of `ticks`, by the flow (`kind`) that wrote them.
async fn rows(p: &ServerProcess) -> HashMap<String, Vec<Value>> {
    let r = p.admin().get("/items/ticks?limit=-1&sort=id").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut by_kind: HashMap<String, Vec<Value>> = HashMap::new();
    for row in r.body["data"].as_array().cloned().unwrap_or_default() {
        let kind = row["kind"].as_str().unwrap_or_default().to_owned();
        by_kind.entry(kind).or_default().push(row);
    }
    by_kind
}

/// The last second claimed for `flow`, read straight from the database.
async fn claimed(db: &sea_orm::DatabaseConnection, flow: &str) -> i64 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT value FROM sluice_kv WHERE key = 'schedule:{flow}'"),
        ))
        .await
        .expect("read the claim")
        .expect("the flow has claimed a tick");
    let value: String = row.try_get("", "value").expect("value");
    value.parse().expect("a second")
}

#[tokio::test]
async fn ticks_missed_while_down_run_or_are_skipped_as_the_flow_says() {
    let mut p = ServerProcess::start(&[]).await;
    collection(&p, "ticks", &["kind", "tick"]).await;
    // Both created inactive and switched on in one write, so they tick the same seconds.
    let mut ids = HashMap::new();
    for (kind, missed) in [("all", json!("all")), ("skip", Value::Null)] {
        let id = flow(
            &p,
            json!({"name": kind, "trigger": "schedule", "status": "inactive",
                   "options": {"cron": "* * * * * *", "missed": missed},
                   "operations": [{"key": "save", "operation": "item-create",
                       "options": {"collection": "ticks",
                                   "payload": {"kind": kind, "tick": "{{$trigger.tick}}"}}}]}),
        )
        .await;
        ids.insert(kind, id);
    }
    let both = json!({"keys": [ids["all"], ids["skip"]], "data": {"status": "active"}});
    let r = p.admin().patch("/flows", both).await;
    assert_eq!(r.status, 200, "{}", r.text);
    tokio::time::sleep(Duration::from_millis(2500)).await;

    p.kill();
    let db = p.connect_database().await;
    let last = claimed(&db, &ids["all"]).await;
    assert_eq!(
        last,
        claimed(&db, &ids["skip"]).await,
        "both tick the same seconds"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    p.restart().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let off = json!({"keys": [ids["all"], ids["skip"]], "data": {"status": "inactive"}});
    let r = p.admin().patch("/flows", off).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Whatever was queued before the switch-off runs out.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // A change to an inactive flow (it claims nothing) moves its claim up to the change's own
    // second — the database does it — so the seconds a flow spent inactive, or on another
    // cron, are never taken for missed ones.
    let changed = chrono::Utc::now().timestamp();
    assert!(claimed(&db, &ids["all"]).await < changed);
    let r = p
        .admin()
        .patch(
            &format!("/flows/{}", ids["all"]),
            json!({"options": {"cron": "* * * * * *", "missed": "once"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(claimed(&db, &ids["all"]).await >= changed);
    let rows = rows(&p).await;

    let missed = |kind: &str| -> Vec<i64> {
        rows.get(kind)
            .into_iter()
            .flatten()
            .filter_map(|r| r["tick"].as_str().filter(|t| !t.is_empty()))
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .unwrap_or_else(|e| panic!("{t}: {e}"))
                    .timestamp()
            })
            .collect()
    };
    // Queued oldest first; the workers may finish them in any order.
    let mut run = missed("all");
    run.sort_unstable();
    assert!(
        run.len() >= 3,
        "at least the 3 s it was down were run: {run:?} (last claimed {last})"
    );
    let expected: Vec<i64> = (last + 1..=last + i64::try_from(run.len()).unwrap()).collect();
    assert_eq!(
        run, expected,
        "each missed second once, from the last claimed one"
    );
    assert!(missed("skip").is_empty(), "the default skips: {rows:?}");
    let count = |kind: &str| rows.get(kind).map_or(0, Vec::len);
    assert_eq!(
        count("all"),
        count("skip") + run.len(),
        "the same ticks besides the missed ones, none twice: {rows:?}"
    );
}
