//! What the engine seam promises over HTTP: each flow or operation write recompiles the flows
//! exactly once, and a real webhook call and the builder's test run answer alike.

use serde_json::{Value, json};
use tests::TestApp;

use crate::flows::create_flow;

/// Waits past one poll of the version rows (sync.rs), so a reload that a write's own version
/// bump would cause on this instance would have happened.
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
}

#[tokio::test]
async fn every_flow_and_operation_write_recompiles_the_flows_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let mut expected = app.flow_reloads();
    let mut step = |what: &str, app: &TestApp| {
        expected += 1;
        assert_eq!(app.flow_reloads(), expected, "after {what}");
    };

    let id = create_flow(
        &app,
        json!({"name": "r", "trigger": "webhook", "options": {"method": "POST"},
               "operations": [{"key": "a", "operation": "transform", "options": {"json": {"a": 1}}}]}),
    )
    .await;
    step("POST /flows with an operation", &app);

    let r = admin
        .patch(&format!("/flows/{id}"), json!({"name": "r2"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    step("PATCH /flows/{id}", &app);

    let r = admin
        .post("/operations", json!({"flow": id, "key": "b", "type": "log", "position_x": 40, "position_y": 1, "options": {}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let op = r.body["data"]["id"].as_str().unwrap().to_owned();
    step("POST /operations", &app);

    let r = admin
        .patch(&format!("/operations/{op}"), json!({"name": "Log it"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    step("PATCH /operations/{id}", &app);

    let r = admin.delete(&format!("/operations/{op}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    step("DELETE /operations/{id}", &app);

    let r = admin.delete(&format!("/flows/{id}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    step("DELETE /flows/{id}", &app);

    settle().await;
    assert_eq!(
        app.flow_reloads(),
        expected,
        "no reload follows the instance's own writes"
    );

    // A write that changes nothing the flows read does not recompile them.
    let r = admin.post("/roles", json!({"name": "Editors"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    settle().await;
    assert_eq!(app.flow_reloads(), expected, "a role write");
}

fn falsy_flow(value: Value) -> Value {
    json!({"name": "falsy", "trigger": "webhook", "status": "active",
           "options": {"method": "POST", "async": false, "return": "$last"},
           "operations": [{"key": "t", "operation": "exec",
                           "options": {"code": format!("module.exports = () => {value};")}}]})
}

/// Directus answers a falsy return value with 204 and no body (`FLOWS_RESPONSE_ENVELOPE=false`);
/// the test panel shows the same answer the real call gets.
#[tokio::test]
async fn a_falsy_return_answers_204_for_real_and_in_the_test_panel() {
    let app = TestApp::spawn_with(|c| c.flows_response_envelope = false).await;
    for value in [json!(0), json!(false), json!(""), json!(null)] {
        let id = create_flow(&app, falsy_flow(value.clone())).await;
        let real = app
            .admin()
            .post(&format!("/flows/trigger/{id}"), json!({}))
            .await;
        assert_eq!(real.status, 204, "{value}: {}", real.text);
        assert_eq!(real.text, "", "{value}");
        let test = app
            .admin()
            .post(&format!("/flows/{id}/test"), json!({"body": {}}))
            .await;
        assert_eq!(test.status, 200, "{value}: {}", test.text);
        assert_eq!(test.body["data"]["status"], 204, "{value}: {}", test.text);
        assert_eq!(
            test.body["data"]["body"],
            Value::Null,
            "{value}: {}",
            test.text
        );
    }
    // A truthy value is its own body, in both.
    let id = create_flow(&app, falsy_flow(json!(7))).await;
    let real = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await;
    assert_eq!((real.status, real.body.clone()), (200, json!(7)));
    let test = app
        .admin()
        .post(&format!("/flows/{id}/test"), json!({"body": {}}))
        .await;
    assert_eq!(test.body["data"]["status"], 200, "{}", test.text);
    assert_eq!(test.body["data"]["body"], json!(7), "{}", test.text);
}
