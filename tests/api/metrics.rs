//! `GET /metrics` (issue 17 point 4): Prometheus text after known traffic — per-flow runs by
//! status, step durations, webhook answers by status, refused calls by reason, and the gauges
//! read at the scrape — for a `METRICS_TOKENS` bearer or an admin, nobody else.

use serde_json::json;
use tests::TestApp;

use crate::flows::create_flow;

/// The value of the sample whose name is `name` and whose labels include every `labels` pair.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let rest = series.strip_prefix(name)?;
        if !(rest.is_empty() || rest.starts_with('{')) {
            return None;
        }
        labels
            .iter()
            .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
            .then(|| value.parse().ok())
            .flatten()
    })
}

#[tokio::test]
async fn metrics_count_known_traffic_for_a_token_or_an_admin() {
    let app = TestApp::spawn_with(|c| {
        c.metrics_enabled = true;
        c.metrics_tokens = vec!["scrape-token".into()];
    })
    .await;
    let id = create_flow(
        &app,
        json!({"name": "measured", "trigger": "webhook", "status": "active",
               "options": {"method": "POST", "ipAllowList": ["203.0.113.0/24"]},
               "operations": [{"key": "t", "operation": "transform",
                               "options": {"json": {"ok": true}}}]}),
    )
    .await;
    let path = format!("/flows/trigger/{id}");
    let allowed = app.admin().with_header("x-forwarded-for", "203.0.113.5");
    for _ in 0..3 {
        assert_eq!(allowed.post(&path, json!({})).await.status, 200);
    }
    app.admin()
        .post(&path, json!({}))
        .await
        .assert_error(403, "FORBIDDEN");

    let scraper = app.anon().with_token("scrape-token");
    let r = scraper.get("/metrics").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "{:?}",
        r.headers
    );
    let text = &r.text;
    let flow = id.as_str();
    assert_eq!(
        sample(
            text,
            "sluice_flow_runs_total",
            &[("flow", flow), ("status", "success")]
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(
            text,
            "sluice_flow_step_duration_seconds_count",
            &[("flow", flow), ("operation", "transform")]
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(
            text,
            "sluice_flow_run_duration_seconds_count",
            &[("flow", flow)]
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            text,
            "sluice_webhook_refused_total",
            &[("flow", flow), ("reason", "ip_not_allowed")]
        ),
        Some(1.0),
        "{text}"
    );
    assert!(sample(text, "sluice_webhook_responses_total", &[("status", "200")]) >= Some(3.0));
    assert!(sample(text, "sluice_webhook_responses_total", &[("status", "403")]) >= Some(1.0));
    for gauge in [
        "sluice_queue_depth",
        "sluice_queue_oldest_age_seconds",
        "sluice_run_log_backlog",
        "sluice_db_pool_connections",
        "sluice_db_pool_idle_connections",
    ] {
        assert!(
            sample(text, gauge, &[]).is_some(),
            "{gauge} missing:\n{text}"
        );
    }
    assert!(sample(text, "sluice_db_pool_connections", &[]) >= Some(1.0));

    // An admin may read it; the public and a wrong token may not; the token opens nothing else.
    assert_eq!(app.admin().get("/metrics").await.status, 200);
    app.anon()
        .get("/metrics")
        .await
        .assert_error(403, "FORBIDDEN");
    assert_eq!(
        app.anon().with_token("guess").get("/metrics").await.status,
        401
    );
    assert_eq!(
        scraper.get("/users").await.status,
        401,
        "not a user's token"
    );
}

#[tokio::test]
async fn metrics_are_not_served_unless_enabled() {
    let app = TestApp::spawn().await;
    app.admin()
        .get("/metrics")
        .await
        .assert_error(404, "ROUTE_NOT_FOUND");
}
