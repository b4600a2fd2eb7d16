//! Issue 14 "done when", between real processes: three Sluice instances (A, B, C) on one fresh
//! PostgreSQL database. Changes made on one reach the others at once (the very first of each
//! kind included), the schema follows, a per-second schedule runs once per second across all
//! three, and an instance killed with SIGKILL while executing claimed runs has each of them
//! finished by the others, exactly once. Each instance names itself in `$env.SLUICE_INSTANCE`,
//! so the rows a flow writes say which instance ran it.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::process::ServerProcess;

use crate::fixtures::PUBLIC_POLICY;
use crate::instances::answers;

/// Three instances on one fresh database, each with its name in `SLUICE_INSTANCE`.
pub(crate) async fn three(env: &[(&str, &str)]) -> [ServerProcess; 3] {
    let mut base: Vec<(&str, &str)> = vec![("FLOWS_ENV_ALLOW_LIST", "SLUICE_INSTANCE")];
    base.extend_from_slice(env);
    let mut a_env = base.clone();
    a_env.push(("SLUICE_INSTANCE", "a"));
    let a = ServerProcess::start(&a_env).await;
    let b = a.sibling_with(&[("SLUICE_INSTANCE", "b")]).await;
    let c = a.sibling_with(&[("SLUICE_INSTANCE", "c")]).await;
    [a, b, c]
}

pub(crate) fn postgres_only() -> bool {
    let pg = matches!(tests::Backend::from_env(), tests::Backend::Postgres);
    if !pg {
        eprintln!("skipped: several instances need PostgreSQL (SLUICE_TEST_DB=postgres)");
    }
    pg
}

async fn collection(p: &ServerProcess, name: &str, fields: &[&str]) {
    let mut all = vec![json!({"field": "id", "type": "integer",
        "schema": {"is_primary_key": true, "has_auto_increment": true}})];
    all.extend(fields.iter().map(|f| json!({"field": f, "type": "string"})));
    let r = p
        .admin()
        .post(
            "/collections",
            json!({"collection": name, "schema": {}, "fields": all}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn flow(p: &ServerProcess, body: Value) -> String {
    let r = p.admin().post("/flows", body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"]["id"].as_str().expect("flow id").to_owned()
}

async fn items(p: &ServerProcess, collection: &str) -> Vec<Value> {
    let r = p
        .admin()
        .get(&format!("/items/{collection}?limit=-1&sort=id"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn three_instances_share_one_database() {
    if !postgres_only() {
        return;
    }
    let [a, b, mut c] = three(&[("FLOWS_LEASE", "2s"), ("FLOWS_QUEUE_POLL", "100ms")]).await;

    // 1. The very first flow, created on A, answers on B and on C.
    let first = flow(
        &a,
        json!({"name": "first", "trigger": "webhook", "status": "active",
               "options": {"method": "POST"},
               "operations": [{"key": "t", "operation": "transform",
                               "options": {"json": {"by": "{{$env.SLUICE_INSTANCE}}"}}}]}),
    )
    .await;
    let url = format!("/flows/trigger/{first}");
    for (name, p) in [("B", &b), ("C", &c)] {
        let took = answers(
            &format!("the first flow on {name}"),
            Duration::from_secs(10),
            200,
            async || p.admin().post(&url, json!({})).await,
        )
        .await;
        eprintln!("first flow: on {name} after {took:?}");
    }
    let r = c.admin().post(&url, json!({})).await;
    assert_eq!(r.body["data"]["by"], "c", "C ran it: {}", r.text);

    // 2. The first public grant, made on A, opens the flow on B; its revoke closes it.
    assert_eq!(b.anon().post(&url, json!({})).await.status, 403);
    let r = a
        .admin()
        .post(
            "/permissions",
            json!({"policy": PUBLIC_POLICY, "collection": "directus_flows",
                   "action": "trigger", "fields": ["*"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let grant = r.body["data"]["id"].clone();
    let took = answers(
        "the public grant on B",
        Duration::from_secs(10),
        200,
        async || b.anon().post(&url, json!({})).await,
    )
    .await;
    eprintln!("public grant: open on B after {took:?}");
    let r = a.admin().delete(&format!("/permissions/{grant}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    for (name, p) in [("B", &b), ("C", &c)] {
        let took = answers(
            &format!("the revoke on {name}"),
            Duration::from_secs(10),
            403,
            async || p.anon().post(&url, json!({})).await,
        )
        .await;
        eprintln!("revoke: closed on {name} after {took:?}");
    }

    // 3. A collection created on A is written by an item-create flow running on C.
    let save = flow(
        &a,
        json!({"name": "save", "trigger": "webhook", "status": "active",
               "options": {"method": "POST"},
               "operations": [{"key": "save", "operation": "item-create",
                               "options": {"collection": "orders",
                                           "payload": {"note": "{{$trigger.body.note}}",
                                                       "by": "{{$env.SLUICE_INSTANCE}}"}}}]}),
    )
    .await;
    collection(&a, "orders", &["note", "by"]).await;
    let save_url = format!("/flows/trigger/{save}");
    let took = answers(
        "an item-create on C into A's new collection",
        Duration::from_secs(10),
        200,
        async || c.admin().post(&save_url, json!({"note": "from C"})).await,
    )
    .await;
    eprintln!("new collection: written through C after {took:?}");
    let orders = items(&b, "orders").await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(
        (&orders[0]["note"], &orders[0]["by"]),
        (&json!("from C"), &json!("c"))
    );

    // 4. A per-second schedule runs once per second across the three, for 10 s.
    collection(&a, "ticks", &["at", "by"]).await;
    let schedule = flow(
        &a,
        json!({"name": "tick", "trigger": "schedule", "status": "active",
               "options": {"cron": "* * * * * *"},
               "operations": [{"key": "save", "operation": "item-create",
                               "options": {"collection": "ticks",
                                           "payload": {"at": "{{$NOW}}",
                                                       "by": "{{$env.SLUICE_INSTANCE}}"}}}]}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    let r = a
        .admin()
        .patch(&format!("/flows/{schedule}"), json!({"status": "inactive"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ticks = items(&a, "ticks").await;
    let mut per_second: BTreeMap<String, usize> = BTreeMap::new();
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for t in &ticks {
        let at = t["at"].as_str().unwrap_or_default();
        *per_second
            .entry(at[..at.len().min(19)].to_owned())
            .or_default() += 1;
        *by.entry(t["by"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    let twice: Vec<_> = per_second.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "seconds that ran twice: {twice:?}");
    assert!(
        ticks.len() >= 10,
        "{} ticks in 10.5 s: {per_second:?}",
        ticks.len()
    );
    eprintln!(
        "schedule: {} ticks, one per second, run by {by:?}",
        ticks.len()
    );

    // 5. C executes claimed runs and dies; A and B finish each of them exactly once.
    collection(&a, "steps", &["n", "step", "by"]).await;
    let write = |key: &str| {
        json!({"key": key, "operation": "item-create",
               "options": {"collection": "steps",
                           "payload": {"n": "{{$trigger.body.n}}", "step": key,
                                       "by": "{{$env.SLUICE_INSTANCE}}"}}})
    };
    let mut first_write = write("first");
    first_write["resolve"] = json!("wait");
    let slow = flow(
        &a,
        json!({"name": "write, wait, write", "trigger": "webhook", "status": "active",
               "accountability": "activity", "options": {"method": "POST", "async": true},
               "operations": [first_write,
                   {"key": "wait", "operation": "sleep", "resolve": "second",
                    "options": {"milliseconds": 4000}},
                   write("second")]}),
    )
    .await;
    const CALLS: usize = 18;
    let slow_url = format!("/flows/trigger/{slow}");
    answers(
        "the slow flow on C",
        Duration::from_secs(10),
        202,
        async || c.admin().post(&slow_url, json!({"n": 0})).await,
    )
    .await;
    for n in 1..CALLS {
        let r = c.admin().post(&slow_url, json!({"n": n})).await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let held: HashSet<String> = loop {
        let steps = items(&a, "steps").await;
        let firsts: Vec<&Value> = steps.iter().filter(|s| s["step"] == "first").collect();
        if firsts.len() >= CALLS {
            assert!(
                steps.iter().all(|s| s["step"] == "first"),
                "C was killed too late"
            );
            break firsts
                .iter()
                .filter(|s| s["by"] == "c")
                .map(|s| s["n"].as_str().unwrap_or_default().to_owned())
                .collect();
        }
        assert!(Instant::now() < deadline, "the calls never all started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(!held.is_empty(), "C held none of the runs");
    c.kill();
    let killed = Instant::now();
    let deadline = killed + Duration::from_secs(60);
    let steps = loop {
        let steps = items(&a, "steps").await;
        if steps.iter().filter(|s| s["step"] == "second").count() >= CALLS {
            break steps;
        }
        assert!(
            Instant::now() < deadline,
            "A and B finished {} of {CALLS} calls",
            steps.iter().filter(|s| s["step"] == "second").count()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Let any duplicate show itself before counting.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let steps = {
        let again = items(&a, "steps").await;
        assert_eq!(
            again.len(),
            steps.len(),
            "more writes after the last call ended"
        );
        again
    };
    let mut written: Vec<(String, String)> = steps
        .iter()
        .map(|s| {
            (
                s["n"].as_str().unwrap_or_default().to_owned(),
                s["step"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    written.sort();
    let mut want: Vec<(String, String)> = (0..CALLS)
        .flat_map(|n| {
            [
                (n.to_string(), "first".into()),
                (n.to_string(), "second".into()),
            ]
        })
        .collect();
    want.sort();
    assert_eq!(written, want, "each call's two writes, exactly once");
    for s in steps.iter().filter(|s| s["step"] == "second") {
        let n = s["n"].as_str().unwrap_or_default();
        if held.contains(n) {
            assert_ne!(s["by"], "c", "call {n} was finished by the dead C");
        }
    }
    eprintln!(
        "takeover: C held {} of {CALLS} runs at its SIGKILL; A and B finished them {:?} after",
        held.len(),
        killed.elapsed()
    );
}
