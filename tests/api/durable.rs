//! Issue 13, what the run log keeps: runs older than `FLOWS_LOGS_RETENTION` are pruned with
//! their activity and revision rows, and a flow's `options.retention` keeps its failures
//! longer than its successes.

use std::time::Duration;

use serde_json::{Value, json};
use tests::TestApp;

use crate::flows::create_flow;

async fn runs_of(app: &TestApp, flow: &str) -> Vec<Value> {
    app.flush_logs().await;
    let r = app
        .admin()
        .get(&format!("/runs?filter[flow][_eq]={flow}&limit=-1&sort=id"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].as_array().cloned().unwrap_or_default()
}

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
    let first = runs_of(&app, &plain).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let statuses = |runs: &[Value]| -> Vec<String> {
        runs.iter()
            .map(|r| r["status"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        statuses(&runs_of(&app, &keeps).await),
        ["success", "failed"]
    );
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
            runs_of(&app, &plain).await.len(),
            statuses(&runs_of(&app, &keeps).await),
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
