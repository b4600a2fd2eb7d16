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

use crate::fixtures::{PUBLIC_POLICY, post_ok};
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

/// A collection with an auto-numbered `id` and text `fields`, made on `p`.
pub(crate) async fn collection(p: &ServerProcess, name: &str, fields: &[&str]) {
    let mut all = vec![json!({"field": "id", "type": "integer",
        "schema": {"is_primary_key": true, "has_auto_increment": true}})];
    all.extend(fields.iter().map(|f| json!({"field": f, "type": "string"})));
    let body = json!({"collection": name, "schema": {}, "fields": all});
    post_ok(&p.admin(), "/collections", body).await;
}

/// A flow made on `p`; its id.
pub(crate) async fn flow(p: &ServerProcess, body: Value) -> String {
    let data = post_ok(&p.admin(), "/flows", body).await;
    data["id"].as_str().expect("flow id").to_owned()
}

/// A webhook flow on `p` whose one `transform` step answers `out`; its trigger path.
pub(crate) async fn transform_webhook(
    p: &ServerProcess,
    status: &str,
    method: &str,
    out: Value,
) -> String {
    let id = flow(
        p,
        json!({"name": format!("{method} {out}"), "trigger": "webhook", "status": status,
               "options": {"method": method},
               "operations": [{"key": "t", "operation": "transform", "options": {"json": out}}]}),
    )
    .await;
    format!("/flows/trigger/{id}")
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
    let url = transform_webhook(
        &a,
        "active",
        "POST",
        json!({"by": "{{$env.SLUICE_INSTANCE}}"}),
    )
    .await;
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

    // 3. A collection created on A is written by an item-create flow running on C. Until C
    // knows the collection its step is refused (`error_on_reject` makes that the answer rather
    // than Directus's 200 with the error as body), so a 200 is a write.
    let save = flow(
        &a,
        json!({"name": "save", "trigger": "webhook", "status": "active",
               "options": {"method": "POST", "error_on_reject": true},
               "operations": [{"key": "save", "operation": "item-create",
                               "options": {"collection": "orders",
                                           "payload": {"note": "{{$trigger.body.note}}",
                                                       "by": "{{$env.SLUICE_INSTANCE}}"}}}]}),
    )
    .await;
    collection(&a, "orders", &["note", "by"]).await;
    let save_url = format!("/flows/trigger/{save}");
    let took = answers(
        "the item-create flow on C",
        Duration::from_secs(10),
        200,
        async || c.admin().post(&save_url, json!({"note": "from C"})).await,
    )
    .await;
    eprintln!("new collection: written through C after {took:?}");
    let orders = items(&c, "orders").await;
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
    // Any instance may execute the runs, and their first step refuses a collection the
    // instance does not know yet: wait until B and C know it.
    for p in [&b, &c] {
        answers(
            "the steps collection on B and C",
            Duration::from_secs(10),
            200,
            async || p.admin().get("/items/steps?limit=1").await,
        )
        .await;
    }
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

/// Requests answered through nginx, and by which instances.
#[derive(Default)]
struct Served {
    requests: usize,
    by: HashSet<String>,
}

impl Served {
    fn add(&mut self, r: &tests::Resp) {
        self.requests += 1;
        if let Some(up) = r.headers.get("x-upstream").and_then(|v| v.to_str().ok()) {
            self.by.insert(up.to_owned());
        }
    }
}

/// Issue 14 point 5: the documented nginx site, round-robin in front of three instances
/// sharing PostgreSQL and a Redis-backed rate limit. The test's client connects from
/// 127.0.0.3, so nginx is the only one that sees that address: a login through one instance
/// and a refresh through another work without sticky sessions, the client's address is the
/// one nginx saw (a spoofed `X-Forwarded-For` is replaced), the web app loads, and the rate
/// limit is one budget across the three instances.
#[tokio::test]
async fn behind_nginx_any_instance_serves_any_request() {
    if !postgres_only() {
        return;
    }
    const POINTS: usize = 20;
    let prefix = format!("cluster-{}", uuid::Uuid::new_v4().simple());
    let points = POINTS.to_string();
    let app_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    let app_dir = app_dir.to_string_lossy().into_owned();
    let with_app = std::path::Path::new(&app_dir).join("index.html").exists();
    let mut env = vec![
        ("RATE_LIMITER_ENABLED", "true"),
        ("RATE_LIMITER_STORE", "redis"),
        ("REDIS", "redis://127.0.0.1:6379"),
        ("RATE_LIMITER_POINTS", points.as_str()),
        ("RATE_LIMITER_DURATION", "120"),
        ("RATE_LIMITER_KEY_PREFIX", prefix.as_str()),
        ("IP_TRUST_PROXY", "true"),
    ];
    if with_app {
        env.extend([("SERVE_APP", "true"), ("SLUICE_APP_DIR", app_dir.as_str())]);
    }
    let instances = three(&env).await;
    let upstreams: Vec<&str> = instances.iter().map(|p| p.base_url.as_str()).collect();
    let nginx = tests::nginx::Nginx::start(&upstreams, [127, 0, 0, 2].into()).await;
    let client = tests::TestClient::from_address(&nginx.base_url, [127, 0, 0, 3].into())
        .with_header("x-forwarded-for", "203.0.113.66");
    let mut served = Served::default();

    // A login through one instance, a refresh through the next, each token used on another.
    let r = client
        .post(
            "/auth/login",
            json!({"email": tests::ADMIN_EMAIL, "password": tests::ADMIN_PASSWORD}),
        )
        .await;
    served.add(&r);
    assert_eq!(r.status, 200, "{}", r.text);
    let login_by = r.headers["x-upstream"].clone();
    let access = r.body["data"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let refresh = r.body["data"]["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let r = client.with_token(&access).get("/users/me").await;
    served.add(&r);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["email"], tests::ADMIN_EMAIL);
    let r = client
        .post(
            "/auth/refresh",
            json!({"refresh_token": refresh, "mode": "json"}),
        )
        .await;
    served.add(&r);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_ne!(
        r.headers["x-upstream"], login_by,
        "round-robin: another instance refreshed"
    );
    let access = r.body["data"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let r = client.with_token(&access).get("/users/me").await;
    served.add(&r);
    assert_eq!(r.status, 200, "{}", r.text);

    // The login's activity names the address nginx saw, not the proxy's nor the spoofed one.
    let r = client
        .with_token(&access)
        .get("/activity?filter[action][_eq]=login&sort=-id&limit=1&fields=ip")
        .await;
    served.add(&r);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"][0]["ip"], "127.0.0.3", "{}", r.text);

    if with_app {
        let r = client.get("/admin/").await;
        served.add(&r);
        assert_eq!(r.status, 200, "{}", r.text);
        let script = r
            .text
            .split('"')
            .find(|s| s.starts_with("/admin/") && s.ends_with(".js"))
            .unwrap_or_else(|| panic!("no script in the app's page: {}", r.text))
            .to_owned();
        let r = client.get(&script).await;
        served.add(&r);
        assert_eq!(r.status, 200, "{script}");
    } else {
        eprintln!("the web app part skipped: dist/ is not built (scripts/build-app.sh)");
    }

    // The rest of the budget, spread over the three instances, then 429 on every one.
    let mut refused_by = HashSet::new();
    while served.requests < POINTS {
        let r = client.get("/server/ping").await;
        served.add(&r);
        assert_eq!(
            r.status, 200,
            "request {} of {POINTS}: {}",
            served.requests, r.text
        );
    }
    for _ in 0..6 {
        let r = client.get("/server/ping").await;
        assert_eq!(r.status, 429, "past the shared budget: {}", r.text);
        refused_by.insert(
            r.headers["x-upstream"]
                .to_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert_eq!(served.by.len(), 3, "every instance served: {:?}", served.by);
    assert_eq!(
        refused_by.len(),
        3,
        "every instance refuses: {refused_by:?}"
    );
    // Another client address still has its own budget (direct, as nginx would pass it).
    let other = instances[0]
        .anon()
        .with_header("x-forwarded-for", "198.51.100.9");
    assert_eq!(other.get("/server/ping").await.status, 200);
    drop(nginx);
}

/// A private `redis-server` on a free port, without persistence; killed on drop.
struct PrivateRedis {
    port: u16,
    child: std::process::Child,
}

impl PrivateRedis {
    fn start_on(port: u16) -> PrivateRedis {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start redis-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        PrivateRedis { port, child }
    }

    fn keys(&self) -> usize {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "dbsize"])
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Issue 14 "done when": Redis (the shared rate limit and webhook cache) stalling or
/// restarting under an instance does not stop webhooks from answering — each request goes on
/// without it within the bounded Redis timeout — a flow changed while Redis could not be
/// purged is never answered from the stale entry Redis still holds when it wakes, and once
/// Redis is back both the limit and the cache use it again.
#[tokio::test]
async fn a_redis_stall_or_restart_does_not_stop_webhooks() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut redis = PrivateRedis::start_on(port);
    let url = format!("redis://127.0.0.1:{port}");
    let p = ServerProcess::start(&[
        ("RATE_LIMITER_ENABLED", "true"),
        ("RATE_LIMITER_STORE", "redis"),
        ("RATE_LIMITER_POINTS", "100000"),
        ("CACHE_ENABLED", "true"),
        ("CACHE_STORE", "redis"),
        ("REDIS", url.as_str()),
    ])
    .await;
    let get_url = transform_webhook(&p, "active", "GET", json!({"v": 1})).await;
    let post_url = transform_webhook(&p, "active", "POST", json!({"ok": true})).await;
    let calls = async |what: &str| {
        let mut slowest = Duration::ZERO;
        let mut v = Value::Null;
        for _ in 0..4 {
            let started = Instant::now();
            let g = p.admin().get(&get_url).await;
            let q = p.admin().post(&post_url, json!({})).await;
            slowest = slowest.max(started.elapsed() / 2);
            assert_eq!(
                (g.status, q.status),
                (200, 200),
                "{what}: {} / {}",
                g.text,
                q.text
            );
            v = g.body["data"]["v"].clone();
        }
        eprintln!("{what}: every call answered, the slowest in {slowest:?}");
        v
    };
    assert_eq!(calls("with Redis").await, 1);
    assert!(redis.keys() > 0, "the limiter and the cache use Redis");

    // Stalled (SIGSTOP): calls go on; the flow changes, and its purge cannot reach Redis.
    let signal = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &redis.child.id().to_string()])
            .status()
            .expect("kill(1)")
            .success();
        assert!(ok, "kill {sig}");
    };
    signal("-STOP");
    assert_eq!(calls("Redis stalled").await, 1);
    let r = p
        .admin()
        .get(&format!(
            "/operations?filter[flow][_eq]={}&fields=id",
            get_url.trim_start_matches("/flows/trigger/")
        ))
        .await;
    let op = r.body["data"][0]["id"]
        .as_str()
        .expect("operation id")
        .to_owned();
    let r = p
        .admin()
        .patch(
            &format!("/operations/{op}"),
            json!({"options": {"json": {"v": 2}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(calls("Redis stalled, flow changed").await, 2);
    // Awake again, Redis still holds the old answer: it is never served.
    signal("-CONT");
    assert_eq!(calls("Redis awake").await, 2);

    // Killed and started again empty: calls go on, and Redis is used again.
    redis.child.kill().expect("kill redis-server");
    let _ = redis.child.wait();
    assert_eq!(calls("Redis gone").await, 2);
    let redis = PrivateRedis::start_on(port);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        assert_eq!(calls("Redis restarted").await, 2);
        if redis.keys() > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Sluice never used the restarted Redis"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
