//! Webhook ingress (issue 16, docs/ingress.md): each signature preset against signatures this
//! test computes itself (valid, tampered body, wrong secret, stale time, missing header), the
//! concealed secret, per-flow rate limits (memory and Redis), concurrency, the address allow
//! list, the refused-calls log (each reason, redaction, the cap, replay) and the signed test
//! call — through real HTTP on SQLite and PostgreSQL.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use server::config::Store;
use tests::{TestApp, TestClient};

use crate::flows::create_flow;

const MASK: &str = "**********";

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn hmac_sha1(key: &[u8], body: &[u8]) -> Vec<u8> {
    let mut m = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A sync POST flow answering `{"ok": true, "raw": $trigger.rawBody}`.
fn signed_flow(signature: Value) -> Value {
    json!({"name": "signed", "trigger": "webhook", "status": "active",
           "options": {"method": "POST", "signature": signature, "rawBody": true},
           "operations": [{"key": "t", "operation": "transform",
                           "options": {"json": {"ok": true, "raw": "{{$trigger.rawBody}}"}}}]})
}

/// The headers a provider sends for `body` signed with `secret` at `ts`.
fn provider_headers(preset: &str, secret: &str, body: &[u8], ts: i64) -> Vec<(String, String)> {
    let t = ts.to_string();
    match preset {
        "standard-webhooks" => {
            let key = B64.decode(secret.trim_start_matches("whsec_")).unwrap();
            let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
            let sig = hmac_sha256(&key, &[id.as_bytes(), b".", t.as_bytes(), b".", body]);
            vec![
                ("webhook-id".into(), id.into()),
                ("webhook-timestamp".into(), t),
                (
                    "webhook-signature".into(),
                    format!("v1,{}", B64.encode(sig)),
                ),
            ]
        }
        "stripe" => {
            let sig = hex::encode(hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", body]));
            vec![("stripe-signature".into(), format!("t={t},v1={sig}"))]
        }
        "github" => {
            let sig = hex::encode(hmac_sha256(secret.as_bytes(), &[body]));
            vec![("x-hub-signature-256".into(), format!("sha256={sig}"))]
        }
        "slack" => {
            let sig = hmac_sha256(secret.as_bytes(), &[b"v0:", t.as_bytes(), b":", body]);
            vec![
                (
                    "x-slack-signature".into(),
                    format!("v0={}", hex::encode(sig)),
                ),
                ("x-slack-request-timestamp".into(), t),
            ]
        }
        "shopify" => {
            let sig = B64.encode(hmac_sha256(secret.as_bytes(), &[body]));
            vec![("x-shopify-hmac-sha256".into(), sig)]
        }
        // The generic preset as configured below: sha1, base64, prefix "sha1=".
        "hmac" => {
            let sig = B64.encode(hmac_sha1(secret.as_bytes(), body));
            vec![("x-signature".into(), format!("sha1={sig}"))]
        }
        other => panic!("{other}"),
    }
}

async fn call(
    client: &TestClient,
    id: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> tests::Resp {
    let mut c = client.clone();
    for (k, v) in headers {
        c = c.with_header(k, v);
    }
    c.raw(
        Method::POST,
        &format!("/flows/trigger/{id}"),
        "application/json",
        body.to_vec(),
    )
    .await
}

async fn refused_of(app: &TestApp, id: &str) -> Vec<Value> {
    let r = app
        .admin()
        .get(&format!("/flows/{id}/refused?sort=id&limit=-1"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].as_array().cloned().unwrap_or_default()
}

/// A collection `name` with an integer `n`, for flows to write into.
async fn numbers(app: &TestApp, name: &str) {
    let r = app
        .admin()
        .post(
            "/collections",
            json!({"collection": name, "schema": {},
                   "fields": [{"field": "id", "type": "integer",
                               "schema": {"is_primary_key": true, "has_auto_increment": true}},
                              {"field": "n", "type": "integer"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

fn reasons(rows: &[Value]) -> Vec<&str> {
    rows.iter().filter_map(|r| r["reason"].as_str()).collect()
}

#[tokio::test]
async fn every_preset_accepts_its_providers_signature_and_refuses_the_rest() {
    let app = TestApp::spawn().await;
    let secret = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM=";
    for preset in [
        "standard-webhooks",
        "stripe",
        "github",
        "slack",
        "shopify",
        "hmac",
    ] {
        let mut signature = json!({"preset": preset, "secret": secret});
        if preset == "hmac" {
            signature = json!({"preset": "hmac", "secret": secret, "header": "X-Signature",
                               "algorithm": "sha1", "encoding": "base64", "prefix": "sha1="});
        }
        let id = create_flow(&app, signed_flow(signature)).await;
        let admin = app.admin();
        let body = br#"{"order": 42,  "note": "exact bytes"}"#;
        let good = provider_headers(preset, secret, body, now());
        let r = call(&admin, &id, &good, body).await;
        assert_eq!(r.status, 200, "{preset}: {}", r.text);
        assert_eq!(r.body["data"]["ok"], true, "{preset}");
        // The operations see the exact bytes received, spacing included.
        assert_eq!(
            r.body["data"]["raw"],
            std::str::from_utf8(body).unwrap(),
            "{preset}"
        );

        let tampered = br#"{"order": 43,  "note": "exact bytes"}"#;
        call(&admin, &id, &good, tampered)
            .await
            .assert_error(401, "INVALID_SIGNATURE");
        let wrong = provider_headers(preset, "whsec_d3Jvbmctc2VjcmV0", body, now());
        call(&admin, &id, &wrong, body)
            .await
            .assert_error(401, "INVALID_SIGNATURE");
        let missing = call(&admin, &id, &[], body).await;
        missing.assert_error(401, "INVALID_SIGNATURE");
        assert_eq!(missing.message(), "The request is not signed", "{preset}");
        let timed = matches!(preset, "standard-webhooks" | "stripe" | "slack");
        let stale = provider_headers(preset, secret, body, now() - 301);
        let r = call(&admin, &id, &stale, body).await;
        if timed {
            r.assert_error(401, "INVALID_SIGNATURE");
            assert!(r.message().contains("too old"), "{preset}: {}", r.message());
        } else {
            assert_eq!(r.status, 200, "{preset} signs no time: {}", r.text);
        }

        let rows = refused_of(&app, &id).await;
        let mut expected = vec![
            "invalid_signature",
            "invalid_signature",
            "missing_signature",
        ];
        if timed {
            expected.push("stale_timestamp");
        }
        assert_eq!(reasons(&rows), expected, "{preset}");
        for row in &rows {
            assert_eq!(row["status"], 401);
            let text = row.to_string();
            // Neither the secret nor a signature value is logged; the token is not either.
            for (name, value) in &good {
                if name.contains("signature") || name.contains("hmac") {
                    assert!(!text.contains(value.as_str()), "{preset}: {text}");
                }
            }
            assert!(!text.contains(secret));
            assert_eq!(row["headers"]["authorization"], "--redacted--");
            assert!(row.get("body").is_none() && row.get("query").is_none());
        }
        let excerpt: Value = serde_json::from_str(rows[0]["excerpt"].as_str().unwrap()).unwrap();
        assert_eq!(excerpt, json!({"order": 43, "note": "exact bytes"}));
        assert_eq!(rows[0]["body_size"], tampered.len());
        assert_eq!(rows[0]["method"], "POST");
        assert_eq!(rows[0]["replayable"], false);
        // A run per accepted call, none for a refused one.
        let accepted = if timed { 1 } else { 2 };
        assert_eq!(app.runs_of(&id).await.len(), accepted, "{preset}");
    }
}

#[tokio::test]
async fn slack_url_verification_is_answered_when_signed() {
    let app = TestApp::spawn().await;
    let secret = "8f742231b10e8888abcd99yyyzzz85a5";
    let id = create_flow(
        &app,
        signed_flow(json!({"preset": "slack", "secret": secret})),
    )
    .await;
    let body = br#"{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let headers = provider_headers("slack", secret, body, now());
    let r = call(&app.admin(), &id, &headers, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})
    );
    // Unsigned, the challenge is refused like any call.
    call(&app.admin(), &id, &[], body)
        .await
        .assert_error(401, "INVALID_SIGNATURE");
    assert!(app.runs_of(&id).await.is_empty(), "no run for a challenge");
}

#[tokio::test]
async fn the_stored_secret_is_concealed_in_every_answer() {
    let app = TestApp::spawn().await;
    let secret = "gh-secret-never-shown";
    let id = create_flow(
        &app,
        signed_flow(json!({"preset": "github", "secret": secret})),
    )
    .await;
    let admin = app.admin();
    let reads = [
        format!("/flows/{id}"),
        format!("/flows/{id}?export=document"),
        format!("/flows?filter[id][_eq]={id}"),
        "/revisions?filter[collection][_eq]=directus_flows&limit=-1".to_owned(),
        "/activity?filter[collection][_eq]=directus_flows&limit=-1".to_owned(),
    ];
    for path in &reads {
        let r = admin.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert!(
            !r.text.contains(secret),
            "{path} shows the secret: {}",
            r.text
        );
    }
    let r = admin.get(&format!("/flows/{id}")).await;
    assert_eq!(r.body["data"]["options"]["signature"]["secret"], MASK);

    // A form that read the flow sends the mask back: the stored secret stays.
    let mut options = r.body["data"]["options"].clone();
    options["rawBody"] = json!(false);
    let r = admin
        .patch(&format!("/flows/{id}"), json!({"options": options}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["options"]["signature"]["secret"], MASK);
    let body = br#"{"a":1}"#;
    let signed = provider_headers("github", secret, body, now());
    assert_eq!(call(&admin, &id, &signed, body).await.status, 200);
    // The revision of that update does not hold it either.
    let r = admin
        .get("/revisions?filter[collection][_eq]=directus_flows&limit=-1")
        .await;
    assert!(!r.text.contains(secret), "{}", r.text);

    // A new secret replaces it.
    options["signature"]["secret"] = json!("rotated-secret");
    let r = admin
        .patch(&format!("/flows/{id}"), json!({"options": options}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    call(&admin, &id, &signed, body)
        .await
        .assert_error(401, "INVALID_SIGNATURE");
    let rotated = provider_headers("github", "rotated-secret", body, now());
    assert_eq!(call(&admin, &id, &rotated, body).await.status, 200);

    // The mask cannot stand for a secret a new flow does not have.
    let r = admin
        .post(
            "/flows",
            signed_flow(json!({"preset": "github", "secret": MASK})),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    assert!(
        r.message().contains("options.signature.secret"),
        "{}",
        r.message()
    );
}

#[tokio::test]
async fn a_secret_from_the_environment_reads_back_as_written() {
    let app = TestApp::spawn_with(|c| {
        c.flows_env = vec![("GH_HOOK_SECRET".into(), "from-the-env".into())];
        c.flows_env_allow_list = vec!["GH_HOOK_SECRET".into()];
    })
    .await;
    let reference = "{{$env.GH_HOOK_SECRET}}";
    let id = create_flow(
        &app,
        signed_flow(json!({"preset": "github", "secret": reference})),
    )
    .await;
    let r = app.admin().get(&format!("/flows/{id}")).await;
    assert_eq!(r.body["data"]["options"]["signature"]["secret"], reference);
    let body = br#"{"a":1}"#;
    let signed = provider_headers("github", "from-the-env", body, now());
    assert_eq!(call(&app.admin(), &id, &signed, body).await.status, 200);
    let wrong = provider_headers("github", reference, body, now());
    call(&app.admin(), &id, &wrong, body)
        .await
        .assert_error(401, "INVALID_SIGNATURE");
}

#[tokio::test]
async fn options_the_engine_cannot_use_are_refused_when_saved() {
    let app = TestApp::spawn().await;
    let bad = [
        (
            json!({"signature": {"preset": "paypal", "secret": "x"}}),
            "options.signature.preset",
        ),
        (
            json!({"signature": {"preset": "github"}}),
            "options.signature.secret",
        ),
        (
            json!({"rateLimit": {"points": 0}}),
            "options.rateLimit.points",
        ),
        (
            json!({"concurrency": {"max": 2, "whenFull": "drop"}}),
            "options.concurrency.whenFull",
        ),
        (
            json!({"ipAllowList": ["10.0.0.999"]}),
            "options.ipAllowList",
        ),
    ];
    for (options, name) in bad {
        let mut flow = signed_flow(Value::Null);
        flow["options"] = options.clone();
        let r = app.admin().post("/flows", flow).await;
        r.assert_error(400, "INVALID_PAYLOAD");
        assert!(r.message().contains(name), "{options}: {}", r.message());
    }
    let r = app.admin().get("/flows").await;
    assert_eq!(r.body["data"], json!([]), "nothing was written");
}

fn limited_flow(options: Value) -> Value {
    let mut o = json!({"method": "POST"});
    for (k, v) in options.as_object().unwrap() {
        o[k] = v.clone();
    }
    json!({"name": "limited", "trigger": "webhook", "status": "active", "accountability": "all",
           "options": o,
           "operations": [{"key": "t", "operation": "transform",
                           "options": {"json": {"got": "{{$trigger.body.n}}"}}}]})
}

#[tokio::test]
async fn a_flows_rate_limit_counts_per_address_and_only_that_flow() {
    let app = TestApp::spawn().await;
    let id = create_flow(
        &app,
        limited_flow(json!({"rateLimit": {"points": 2, "duration": "1m", "by": "ip"}})),
    )
    .await;
    let other = create_flow(&app, limited_flow(json!({}))).await;
    let admin = app.admin();
    let path = format!("/flows/trigger/{id}");
    for n in 0..2 {
        assert_eq!(admin.post(&path, json!({"n": n})).await.status, 200);
    }
    let r = admin.post(&path, json!({"n": 2})).await;
    r.assert_error(429, "REQUESTS_EXCEEDED");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another address has its own budget; another flow is not limited at all.
    let elsewhere = admin.with_header("x-forwarded-for", "203.0.113.7");
    assert_eq!(elsewhere.post(&path, json!({"n": 3})).await.status, 200);
    for _ in 0..3 {
        let r = admin
            .post(&format!("/flows/trigger/{other}"), json!({}))
            .await;
        assert_eq!(r.status, 200);
    }
    let rows = refused_of(&app, &id).await;
    assert_eq!(reasons(&rows), ["rate_limited"]);
    assert_eq!(rows[0]["status"], 429);
    assert_eq!(rows[0]["ip"], "127.0.0.1");
    // Not kept: the flow did not opt in, and the body was never read.
    assert_eq!(rows[0]["replayable"], false);
    assert_eq!(rows[0]["excerpt"], Value::Null);
    assert_eq!(app.runs_of(&id).await.len(), 3);
}

#[tokio::test]
async fn a_global_rate_limit_in_redis_is_shared_by_instances() {
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let tweak = |c: &mut server::config::Config| {
        c.rate_limit.store = Store::Redis("redis://127.0.0.1:6379".into());
        c.rate_limit.key_prefix = prefix.clone();
    };
    let a = TestApp::spawn_with(tweak).await;
    let id = create_flow(
        &a,
        limited_flow(json!({"rateLimit": {"points": 3, "duration": "1m", "by": "global"}})),
    )
    .await;
    let b = a.spawn_sibling().await;
    let path = format!("/flows/trigger/{id}");
    // Every caller together, on either instance.
    let callers = [
        a.admin(),
        b.admin().with_header("x-forwarded-for", "203.0.113.8"),
        a.admin().with_header("x-forwarded-for", "203.0.113.9"),
    ];
    for c in &callers {
        let r = c.post(&path, json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    b.admin()
        .post(&path, json!({}))
        .await
        .assert_error(429, "REQUESTS_EXCEEDED");
    a.admin()
        .with_header("x-forwarded-for", "198.51.100.1")
        .post(&path, json!({}))
        .await
        .assert_error(429, "REQUESTS_EXCEEDED");
}

#[tokio::test]
async fn only_listed_addresses_may_call() {
    let app = TestApp::spawn().await;
    let id = create_flow(
        &app,
        limited_flow(json!({"ipAllowList": ["203.0.113.0/24", "2001:db8::7"]})),
    )
    .await;
    let path = format!("/flows/trigger/{id}");
    let admin = app.admin();
    admin
        .post(&path, json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
    for ip in ["203.0.113.200", "2001:db8::7"] {
        let r = admin
            .with_header("x-forwarded-for", ip)
            .post(&path, json!({}))
            .await;
        assert_eq!(r.status, 200, "{ip}: {}", r.text);
    }
    let rows = refused_of(&app, &id).await;
    assert_eq!(reasons(&rows), ["ip_not_allowed"]);
    assert_eq!(rows[0]["status"], 403);
}

fn slow_flow(options: Value, ms: u64) -> Value {
    let mut o = json!({"method": "POST"});
    for (k, v) in options.as_object().unwrap() {
        o[k] = v.clone();
    }
    json!({"name": "slow", "trigger": "webhook", "status": "active", "accountability": "all",
           "options": o,
           "operations": [{"key": "wait", "operation": "sleep", "options": {"milliseconds": ms}}]})
}

#[tokio::test]
async fn concurrency_rejects_or_waits_for_a_slot() {
    let app = TestApp::spawn_with(|c| c.flows_concurrency_wait = Duration::from_millis(300)).await;
    let reject = create_flow(
        &app,
        slow_flow(
            json!({"concurrency": {"max": 1, "whenFull": "reject"}}),
            1500,
        ),
    )
    .await;
    let admin = app.admin();
    let path = format!("/flows/trigger/{reject}");
    let first = {
        let (admin, path) = (admin.clone(), path.clone());
        tokio::spawn(async move { admin.post(&path, json!({})).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = admin.post(&path, json!({})).await;
    r.assert_error(503, "SERVICE_UNAVAILABLE");
    assert_eq!(r.headers["retry-after"], "1");
    assert_eq!(first.await.unwrap().status, 200);
    // The slot is free again.
    assert_eq!(admin.post(&path, json!({})).await.status, 200);
    assert_eq!(reasons(&refused_of(&app, &reject).await), ["concurrency"]);

    // Waiting: a call that gets a slot within FLOWS_CONCURRENCY_WAIT runs; one that does not
    // is refused.
    let queue = create_flow(&app, slow_flow(json!({"concurrency": {"max": 1}}), 200)).await;
    let path = format!("/flows/trigger/{queue}");
    let calls: Vec<_> = (0..2)
        .map(|_| {
            let (admin, path) = (admin.clone(), path.clone());
            tokio::spawn(async move { admin.post(&path, json!({})).await.status })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap(), 200, "the second waited for the first");
    }
    let slow = create_flow(&app, slow_flow(json!({"concurrency": {"max": 1}}), 1500)).await;
    let path = format!("/flows/trigger/{slow}");
    let first = {
        let (admin, path) = (admin.clone(), path.clone());
        tokio::spawn(async move { admin.post(&path, json!({})).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    admin
        .post(&path, json!({}))
        .await
        .assert_error(503, "SERVICE_UNAVAILABLE");
    assert_eq!(first.await.unwrap().status, 200);
}

#[tokio::test]
async fn async_runs_of_a_flow_never_overlap_beyond_its_concurrency() {
    // Workers enough to run all three at once: only the flow's slot keeps them apart.
    let app = TestApp::spawn_with(|c| c.flows_concurrency = 8).await;
    let id = create_flow(
        &app,
        slow_flow(json!({"async": true, "concurrency": {"max": 1}}), 200),
    )
    .await;
    for _ in 0..3 {
        let r = app
            .admin()
            .post(&format!("/flows/trigger/{id}"), json!({}))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    let runs = app.finished_runs_of(&id, 3).await;
    assert_eq!(runs.len(), 3);
    let mut spans: Vec<(i64, i64)> = runs
        .iter()
        .map(|r| {
            let start = chrono::DateTime::parse_from_rfc3339(r["timestamp"].as_str().unwrap())
                .unwrap()
                .timestamp_millis();
            let ms = r["duration_ms"].as_f64().unwrap() as i64;
            (start, start + ms)
        })
        .collect();
    spans.sort_unstable();
    for pair in spans.windows(2) {
        assert!(pair[1].0 >= pair[0].1 - 5, "runs overlapped: {spans:?}");
    }
}

#[tokio::test]
async fn every_refusal_reason_is_logged_and_the_log_is_capped() {
    let app = TestApp::spawn_with(|c| {
        c.max_payload_size = 1024;
        c.flows_refused_max = 4;
    })
    .await;
    let id = create_flow(
        &app,
        limited_flow(json!({"idempotencyKey": "{{$trigger.body.id}}"})),
    )
    .await;
    let path = format!("/flows/trigger/{id}");
    let admin = app.admin();
    // Not permitted (no trigger permission for the public), wrong method, not JSON, too
    // large, a duplicate delivery.
    app.anon()
        .post(&path, json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
    let first = refused_of(&app, &id).await;
    assert_eq!(reasons(&first), ["forbidden"]);
    assert_eq!(first[0]["ip"], "127.0.0.1");
    assert_eq!(first[0]["headers"].get("authorization"), None, "anonymous");
    admin.get(&path).await.assert_error(403, "FORBIDDEN");
    admin
        .raw(
            Method::POST,
            &path,
            "application/json",
            b"{\"password\": \"hun".to_vec(),
        )
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    admin
        .raw(Method::POST, &path, "application/json", vec![b' '; 2048])
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(admin.post(&path, json!({"id": "d-1"})).await.status, 200);
    let repeat = admin.post(&path, json!({"id": "d-1"})).await;
    assert_eq!(repeat.headers["idempotent-replayed"], "true");
    let rows = refused_of(&app, &id).await;
    assert_eq!(
        reasons(&rows),
        [
            "method_not_allowed",
            "invalid_json",
            "too_large",
            "duplicate"
        ],
        "capped at 4: the oldest (forbidden) went first"
    );
    assert_eq!(rows[0]["status"], 403);
    assert_eq!(
        rows[1]["excerpt"], "--redacted--",
        "a malformed body naming a secret"
    );
    assert_eq!(rows[2]["body_size"], 2048);
    assert_eq!(rows[3]["status"], 200);

    // Inactive: a flow that exists but is off.
    let r = admin
        .patch(&format!("/flows/{id}"), json!({"status": "inactive"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    admin
        .post(&path, json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
    let rows = refused_of(&app, &id).await;
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[3]["reason"], "inactive");

    // The log reads with the query language: a filter, and the per-reason count.
    let r = admin
        .get(&format!(
            "/flows/{id}/refused?filter[reason][_eq]=too_large&meta=filter_count"
        ))
        .await;
    assert_eq!(r.body["meta"]["filter_count"], 1, "{}", r.text);
    let r = admin
        .get(&format!(
            "/flows/{id}/refused?aggregate[count]=*&groupBy[]=reason"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 4, "{}", r.text);
    // Another flow's calls are not in it; only admins read it.
    let other = create_flow(&app, limited_flow(json!({}))).await;
    assert!(refused_of(&app, &other).await.is_empty());
    app.anon()
        .get(&format!("/flows/{id}/refused"))
        .await
        .assert_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn a_call_refused_while_busy_can_be_replayed_once() {
    let app = TestApp::spawn().await;
    numbers(&app, "deliveries").await;
    let id = create_flow(
        &app,
        json!({"name": "keeps", "trigger": "webhook", "status": "active", "accountability": "all",
               "options": {"method": "POST", "keepRefusedBodies": true,
                           "rateLimit": {"points": 1, "duration": "1m"}},
               "operations": [{"key": "save", "operation": "item-create",
                               "options": {"collection": "deliveries",
                                           "payload": {"n": "{{$trigger.body.n}}"}}}]}),
    )
    .await;
    let path = format!("/flows/trigger/{id}?source=test");
    let admin = app.admin();
    assert_eq!(admin.post(&path, json!({"n": 1})).await.status, 200);
    admin
        .post(&path, json!({"n": 2, "password": "hunter22"}))
        .await
        .assert_error(429, "REQUESTS_EXCEEDED");
    let rows = refused_of(&app, &id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["replayable"], true);
    assert!(!rows[0].to_string().contains("hunter22"), "{}", rows[0]);
    let refused = rows[0]["id"].to_string();
    let replay = format!("/flows/{id}/refused/{refused}/replay");
    let r = admin.post(&replay, json!({})).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["data"]["queued"], 1);
    let run = r.body["data"]["run"].as_str().unwrap().to_owned();
    let ns = || async {
        let r = app.admin().get("/items/deliveries?sort=id").await;
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["n"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    app.eventually(|| async { ns().await == [1, 2] }).await;
    let runs = app.finished_runs_of(&id, 2).await;
    assert!(runs.iter().any(|r| r["run"] == run.as_str()), "{runs:?}");
    // Once only.
    admin
        .post(&replay, json!({}))
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    // A call refused for a reason that is not the flow being busy cannot be replayed.
    admin.get(&path).await.assert_error(403, "FORBIDDEN");
    let rows = refused_of(&app, &id).await;
    let not = rows[1]["id"].to_string();
    admin
        .post(&format!("/flows/{id}/refused/{not}/replay"), json!({}))
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(ns().await, [1, 2]);
}

#[tokio::test]
async fn the_signed_test_call_runs_the_flow_as_the_provider_would() {
    let app = TestApp::spawn().await;
    let id = create_flow(
        &app,
        signed_flow(json!({"preset": "stripe", "secret": "whsec_test"})),
    )
    .await;
    let r = app
        .admin()
        .post(
            &format!("/flows/{id}/signed-test"),
            json!({"body": {"amount": 5}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let data = &r.body["data"];
    assert_eq!(data["status"], 200, "{data}");
    assert_eq!(data["body"]["data"]["raw"], r#"{"amount":5}"#);
    let header = data["headers"]["stripe-signature"].as_str().unwrap();
    assert!(
        header.starts_with("t=") && header.contains(",v1="),
        "{header}"
    );
    assert!(!r.text.contains("whsec_test"));
    let unsigned = create_flow(&app, limited_flow(json!({}))).await;
    app.admin()
        .post(&format!("/flows/{unsigned}/signed-test"), json!({}))
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    app.anon()
        .post(&format!("/flows/{id}/signed-test"), json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn refused_calls_are_pruned_with_failed_runs() {
    let app = TestApp::spawn_with(|c| {
        c.flows_logs_retention = Some(Duration::from_secs(1));
        c.flows_logs_prune_interval = Duration::from_millis(200);
    })
    .await;
    let short = create_flow(&app, limited_flow(json!({}))).await;
    let long = create_flow(&app, limited_flow(json!({"retention": {"failed": "1h"}}))).await;
    for id in [&short, &long] {
        app.admin()
            .get(&format!("/flows/trigger/{id}"))
            .await
            .assert_error(403, "FORBIDDEN");
    }
    assert_eq!(refused_of(&app, &short).await.len(), 1);
    app.eventually(|| async { refused_of(&app, &short).await.is_empty() })
        .await;
    // The flow that keeps failures for an hour keeps its refused calls too.
    assert_eq!(refused_of(&app, &long).await.len(), 1);
}

#[tokio::test]
async fn respond_answers_in_the_callers_shape() {
    let app = TestApp::spawn().await;
    let id = create_flow(
        &app,
        json!({"name": "twilio", "trigger": "webhook", "status": "active", "accountability": "all",
               "options": {"method": "POST"},
               "operations": [
                   {"key": "answer", "operation": "respond",
                    "options": {"status": 201, "headers": {"X-Handled-By": "sluice"},
                                "contentType": "application/xml",
                                "body": "<Response><Message>Hi {{$trigger.body.name}}</Message></Response>"}},
                   {"key": "after", "operation": "transform", "options": {"json": {"done": true}}}]}),
    )
    .await;
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({"name": "Ada"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/xml");
    assert_eq!(r.headers["x-handled-by"], "sluice");
    assert_eq!(r.text, "<Response><Message>Hi Ada</Message></Response>");
    let runs = app.finished_runs_of(&id, 1).await;
    assert_eq!(runs[0]["status"], "success");
    assert_eq!(runs[0]["steps"], 2, "the flow ran to its end");
    assert_eq!(runs[0]["http_status"], 201);

    // A respond step the flow cannot send fails its step, not the server.
    let bad = create_flow(
        &app,
        json!({"name": "bad", "trigger": "webhook", "status": "active",
               "options": {"method": "POST", "error_on_reject": true},
               "operations": [{"key": "answer", "operation": "respond",
                               "options": {"headers": {"content-length": "1"}}}]}),
    )
    .await;
    app.admin()
        .post(&format!("/flows/trigger/{bad}"), json!({}))
        .await
        .assert_error(400, "INVALID_PAYLOAD");
}

#[tokio::test]
async fn respond_with_continue_answers_at_once_and_the_flow_runs_on() {
    let app = TestApp::spawn().await;
    numbers(&app, "acks").await;
    let id = create_flow(
        &app,
        json!({"name": "ack first", "trigger": "webhook", "status": "active", "accountability": "all",
               "options": {"method": "POST"},
               "operations": [
                   {"key": "ack", "operation": "respond",
                    "options": {"status": 200, "body": "ok", "continue": true}},
                   {"key": "wait", "operation": "sleep", "options": {"milliseconds": 1000}},
                   {"key": "save", "operation": "item-create",
                    "options": {"collection": "acks", "payload": {"n": "{{$trigger.body.n}}"}}}]}),
    )
    .await;
    let started = std::time::Instant::now();
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({"n": 7}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.text, "ok");
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "{:?}",
        r.headers
    );
    let answered_in = started.elapsed();
    let acks = || async {
        app.admin().get("/items/acks").await.body["data"]
            .as_array()
            .map_or(0, Vec::len)
    };
    // Answered before the rest of the flow: nothing is saved yet, then it is.
    assert_eq!(
        acks().await,
        0,
        "answered after {answered_in:?}, before the save"
    );
    app.eventually(|| async { acks().await == 1 }).await;
    let runs = app.finished_runs_of(&id, 1).await;
    assert_eq!(runs[0]["status"], "success");
    assert_eq!(runs[0]["steps"], 3);
}

/// Issue 16 point 2's "durably": once `respond` with `continue` has answered, the rest of the
/// run is in the queue. The process is killed with SIGKILL right after the answer and started
/// again: the rest runs (from the step after the answer: the write before it is not made
/// again) and the run is logged once.
#[tokio::test]
async fn the_rest_after_an_early_answer_survives_sigkill() {
    use tests::process::ServerProcess;

    let mut app =
        ServerProcess::start(&[("FLOWS_LEASE", "2s"), ("FLOWS_QUEUE_POLL", "100ms")]).await;
    let admin = app.admin();
    let r = admin
        .post(
            "/collections",
            json!({"collection": "marks", "schema": {},
                   "fields": [{"field": "id", "type": "integer",
                               "schema": {"is_primary_key": true, "has_auto_increment": true}},
                              {"field": "step", "type": "string"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = admin
        .post(
            "/flows",
            json!({"name": "ack then work", "trigger": "webhook", "status": "active",
                   "accountability": "all", "options": {"method": "POST"},
                   "operations": [
                       {"key": "before", "operation": "item-create",
                        "options": {"collection": "marks", "payload": {"step": "before"}}},
                       {"key": "ack", "operation": "respond",
                        "options": {"status": 202, "body": {"accepted": true}, "continue": true}},
                       {"key": "wait", "operation": "sleep", "options": {"milliseconds": 1500}},
                       {"key": "after", "operation": "item-create",
                        "options": {"collection": "marks", "payload": {"step": "after"}}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let flow = r.body["data"]["id"].as_str().unwrap().to_owned();
    let r = admin
        .post(&format!("/flows/trigger/{flow}"), json!({}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body, json!({"accepted": true}));
    app.kill();
    app.kill_and_restart().await;

    let marks = |app: &ServerProcess| {
        let admin = app.admin();
        async move {
            let r = admin.get("/items/marks?fields=step&sort=id&limit=-1").await;
            r.body["data"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|m| m["step"].as_str().map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while marks(&app).await.len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the rest never ran: {:?}\n{}",
            marks(&app).await,
            app.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(marks(&app).await, ["before", "after"], "each write once");
    let r = app
        .admin()
        .get(&format!("/runs?filter[flow][_eq]={flow}&limit=-1"))
        .await;
    let runs = r.body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(runs.len(), 1, "one run: {runs:?}");
    assert_eq!(runs[0]["status"], "success", "{}", runs[0]);
    assert_eq!(runs[0]["steps"], 4);
    assert_eq!(runs[0]["http_status"], 202);
}
