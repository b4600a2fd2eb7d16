//! Rate limits (memory and Redis), the GET webhook cache (memory and Redis) and CORS.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use server::config::Store;
use tests::TestApp;

use crate::flows::create_flow;

const REDIS: &str = "redis://127.0.0.1:6379";

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[tokio::test]
async fn ip_rate_limit_answers_429_with_retry_after() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit.enabled = true;
        c.rate_limit.points = 3;
        c.rate_limit.duration = Duration::from_secs(60);
    })
    .await;
    for _ in 0..3 {
        assert_eq!(app.anon().get("/server/ping").await.status, 200);
    }
    let r = app.anon().get("/server/ping").await;
    r.assert_error(429, "REQUESTS_EXCEEDED");
    assert!(
        r.message().starts_with("Too many requests, retry after "),
        "{}",
        r.message()
    );
    assert_eq!(r.body["errors"][0]["extensions"]["limit"], 3);
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another client address (through the trusted proxy header) has its own budget.
    let other = app.anon().with_header("x-forwarded-for", "203.0.113.7");
    assert_eq!(other.get("/server/ping").await.status, 200);
}

#[tokio::test]
async fn redis_rate_limit_is_shared_by_instances() {
    let prefix = format!("test-{}", unique());
    let tweak = |c: &mut server::config::Config| {
        c.rate_limit.enabled = true;
        c.rate_limit.points = 4;
        c.rate_limit.duration = Duration::from_secs(60);
        c.rate_limit.store = Store::Redis(REDIS.into());
        c.rate_limit.key_prefix = prefix.clone();
    };
    let a = TestApp::spawn_with(tweak).await;
    let b = TestApp::spawn_with(tweak).await;
    for app in [&a, &b, &a, &b] {
        assert_eq!(app.anon().get("/server/ping").await.status, 200);
    }
    b.anon()
        .get("/server/ping")
        .await
        .assert_error(429, "REQUESTS_EXCEEDED");
    a.anon()
        .get("/server/ping")
        .await
        .assert_error(429, "REQUESTS_EXCEEDED");
}

async fn counting_flow(app: &TestApp, method: &str, options: serde_json::Value) -> String {
    let coll = app
        .admin()
        .post(
            "/collections",
            json!({"collection": format!("hits_{}", method.to_lowercase()), "schema": {},
                   "fields": [{"field": "note", "type": "string"}]}),
        )
        .await;
    assert!(
        coll.status == 200 || coll.code() == "INVALID_PAYLOAD",
        "{}",
        coll.text
    );
    let mut opts = options;
    opts["method"] = json!(method);
    create_flow(
        app,
        json!({"name": "count", "trigger": "webhook", "options": opts,
               "operations": [{"key": "hit", "operation": "item-create",
                               "options": {"collection": format!("hits_{}", method.to_lowercase()),
                                           "payload": {"note": "x"}}}]}),
    )
    .await
}

async fn rows(app: &TestApp, coll: &str) -> usize {
    app.admin().get(&format!("/items/{coll}")).await.body["data"]
        .as_array()
        .map_or(0, Vec::len)
}

async fn cached_get_skips_the_flow(store: Store) {
    let ns = unique();
    let app = TestApp::spawn_with(|c| {
        c.cache.enabled = true;
        c.cache.store = store.clone();
        c.cache.namespace = ns.clone();
        c.cache.status_header = Some("X-Cache-Status".into());
    })
    .await;
    let id = counting_flow(&app, "GET", json!({"cacheQueryParams": ["v"]})).await;
    let admin = app.admin();
    let first = admin.get(&format!("/flows/trigger/{id}?x=1")).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.headers["x-cache-status"], "MISS");
    let second = admin.get(&format!("/flows/trigger/{id}?x=2")).await;
    assert_eq!(second.headers["x-cache-status"], "HIT");
    assert_eq!(first.body, second.body, "unlisted params share the entry");
    assert!(
        second.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    assert_eq!(
        rows(&app, "hits_get").await,
        1,
        "a hit does not run the flow"
    );
    let listed = admin.get(&format!("/flows/trigger/{id}?v=9")).await;
    assert_eq!(listed.headers["x-cache-status"], "MISS");
    assert_eq!(rows(&app, "hits_get").await, 2);
}

#[tokio::test]
async fn get_webhooks_are_cached_in_memory() {
    cached_get_skips_the_flow(Store::Memory).await;
}

#[tokio::test]
async fn get_webhooks_are_cached_in_redis() {
    cached_get_skips_the_flow(Store::Redis(REDIS.into())).await;
}

#[tokio::test]
async fn cache_disabled_flows_and_posts_always_run() {
    let app = TestApp::spawn_with(|c| {
        c.cache.enabled = true;
        c.cache.namespace = unique();
    })
    .await;
    let get = counting_flow(&app, "GET", json!({"cacheEnabled": false})).await;
    let post = counting_flow(&app, "POST", json!({"cacheEnabled": true})).await;
    for _ in 0..2 {
        app.admin().get(&format!("/flows/trigger/{get}")).await;
        app.admin()
            .post(&format!("/flows/trigger/{post}"), json!({}))
            .await;
    }
    assert_eq!(rows(&app, "hits_get").await, 2);
    assert_eq!(rows(&app, "hits_post").await, 2);
}

#[tokio::test]
async fn cors_is_off_by_default_and_configurable() {
    let plain = TestApp::spawn().await;
    let r = plain
        .anon()
        .with_header("origin", "https://app.example.com")
        .get("/server/ping")
        .await;
    assert!(r.headers.get("access-control-allow-origin").is_none());

    let app = TestApp::spawn_with(|c| {
        c.cors.enabled = true;
        c.cors.origin = server::config::CorsOrigin::List(vec!["https://app.example.com".into()]);
    })
    .await;
    let pre = app
        .anon()
        .with_header("origin", "https://app.example.com")
        .with_header("access-control-request-method", "POST")
        .request(Method::OPTIONS, "/items/anything", None)
        .await;
    assert!(pre.status == 200 || pre.status == 204, "{}", pre.status);
    assert_eq!(
        pre.headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(pre.headers["access-control-allow-credentials"], "true");
    let other = app
        .anon()
        .with_header("origin", "https://evil.example.com")
        .get("/server/ping")
        .await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
}

/// A cached GET webhook answers with what the flow says *now*: changing the flow, or the
/// access rules, forgets stored answers (here and on another instance sharing the store).
async fn cached_answers_follow_flow_and_access_changes(store: Store) {
    let ns = unique();
    let tweak = |c: &mut server::config::Config| {
        c.cache.enabled = true;
        c.cache.store = store.clone();
        c.cache.namespace = ns.clone();
        c.cache.status_header = Some("X-Cache-Status".into());
    };
    let app = TestApp::spawn_with(tweak).await;
    let admin = app.admin();
    let id = create_flow(
        &app,
        json!({"name": "answer", "trigger": "webhook",
               "options": {"method": "GET", "return": "$last"},
               "operations": [{"key": "say", "operation": "transform",
                               "options": {"json": {"v": 1}}}]}),
    )
    .await;
    let url = format!("/flows/trigger/{id}");
    assert_eq!(admin.get(&url).await.headers["x-cache-status"], "MISS");
    let hit = admin.get(&url).await;
    assert_eq!(hit.headers["x-cache-status"], "HIT");
    assert_eq!(hit.body["data"], json!({"v": 1}));

    // The flow's step changes: the next call runs the new flow.
    let ops = admin
        .get(&format!("/operations?filter[flow][_eq]={id}"))
        .await;
    let op = ops.body["data"][0]["id"].as_str().unwrap().to_owned();
    let r = admin
        .patch(
            &format!("/operations/{op}"),
            json!({"options": {"json": {"v": 2}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after = admin.get(&url).await;
    assert_eq!(after.headers["x-cache-status"], "MISS");
    assert_eq!(after.body["data"], json!({"v": 2}));

    // The public may trigger it: its answer is cached; an access change forgets it.
    let grant = admin
        .post(
            "/permissions",
            json!({"policy": "abf8a154-5b1c-4a46-ac9c-7300570f4f17",
                   "collection": "directus_flows", "action": "trigger",
                   "permissions": {"id": {"_eq": id}}}),
        )
        .await;
    assert_eq!(grant.status, 200, "{}", grant.text);
    let public = app.anon();
    assert_eq!(public.get(&url).await.headers["x-cache-status"], "MISS");
    assert_eq!(public.get(&url).await.headers["x-cache-status"], "HIT");
    let other = admin
        .post(
            "/permissions",
            json!({"policy": "abf8a154-5b1c-4a46-ac9c-7300570f4f17",
                   "collection": "directus_users", "action": "read", "fields": ["id"]}),
        )
        .await;
    assert_eq!(other.status, 200, "{}", other.text);
    assert_eq!(public.get(&url).await.headers["x-cache-status"], "MISS");
    assert_eq!(public.get(&url).await.headers["x-cache-status"], "HIT");

    // A second instance: its own stored answer is forgotten when the first changes the flow.
    let sibling = app.spawn_sibling().await;
    let b = sibling.admin();
    assert_eq!(b.get(&url).await.headers["x-cache-status"], "MISS");
    assert_eq!(b.get(&url).await.body["data"], json!({"v": 2}));
    let r = admin
        .patch(
            &format!("/operations/{op}"),
            json!({"options": {"json": {"v": 3}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    sibling
        .eventually(|| {
            let b = b.clone();
            let url = url.clone();
            async move { b.get(&url).await.body["data"] == json!({"v": 3}) }
        })
        .await;
}

#[tokio::test]
async fn cached_answers_follow_changes_in_memory() {
    cached_answers_follow_flow_and_access_changes(Store::Memory).await;
}

#[tokio::test]
async fn cached_answers_follow_changes_in_redis() {
    cached_answers_follow_flow_and_access_changes(Store::Redis(REDIS.into())).await;
}

#[tokio::test]
async fn answers_over_the_value_limit_are_not_cached() {
    let app = TestApp::spawn_with(|c| {
        c.cache.enabled = true;
        c.cache.namespace = unique();
        c.cache.status_header = Some("X-Cache-Status".into());
        c.cache.value_max_size = 1024;
    })
    .await;
    let id = create_flow(
        &app,
        json!({"name": "big answer", "trigger": "webhook",
               "options": {"method": "GET", "return": "$last"},
               "operations": [{"key": "say", "operation": "transform",
                               "options": {"json": {"blob": "x".repeat(2000)}}}]}),
    )
    .await;
    let url = format!("/flows/trigger/{id}");
    for _ in 0..2 {
        let r = app.admin().get(&url).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.headers["x-cache-status"], "MISS");
    }
}
