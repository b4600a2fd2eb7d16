//! The flow engine over HTTP: saving and exporting flow documents, the trigger route, who may
//! trigger, return values, errors, envelopes, run logs and live changes.

use reqwest::Method;
use serde_json::{Value, json};
use tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};

/// Creates a flow from a document and returns its id.
/// Creates a flow the way Directus's Data Studio asks (`?fields=*,operations.*`): the answer
/// carries the flow's operations, one per operation of the document.
pub async fn create_flow(app: &TestApp, doc: Value) -> String {
    let listed = doc["operations"].as_array().map_or(0, Vec::len);
    let r = app.admin().post("/flows?fields=*,operations.*", doc).await;
    assert_eq!(r.status, 200, "create flow: {}", r.text);
    let ops = r.body["data"]["operations"].as_array().expect("operations");
    assert_eq!(ops.len(), listed, "operations answered: {}", r.text);
    assert!(ops.iter().all(|o| o["flow"] == r.body["data"]["id"]));
    r.body["data"]["id"].as_str().expect("flow id").to_owned()
}

fn echo_flow(method: &str) -> Value {
    json!({"name": "echo", "trigger": "webhook", "status": "active",
           "options": {"method": method, "async": false, "return": "$last"},
           "operations": [{"id": "t", "operation": "transform",
                           "options": {"json": {"got": "{{$trigger.body}}", "q": "{{$trigger.query.x}}",
                                                "who": "{{$accountability.user}}", "missing": "{{$trigger.nope}}",
                                                "inline": "x={{$trigger.nope}}", "flow": "{{$flow.name}}"}}}]})
}

#[tokio::test]
async fn webhook_answers_with_the_data_envelope() {
    let app = TestApp::spawn().await;
    let id = create_flow(&app, echo_flow("POST")).await;
    let r = app
        .anon()
        .post(&format!("/flows/trigger/{id}?x=5"), json!({"a": 1}))
        .await;
    // Anonymous callers need a trigger permission (D2): denied like an unknown flow.
    r.assert_error(403, "FORBIDDEN");
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{id}?x=5"), json!({"a": 1}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"data": {"got": {"a": 1}, "q": "5", "who": r.body["data"]["who"], "missing": null,
                        "inline": "x=", "flow": "echo"}})
    );
    assert!(r.body["data"]["who"].is_string());
}

#[tokio::test]
async fn methods_ids_and_status_gate_the_route() {
    let app = TestApp::spawn().await;
    let id = create_flow(&app, echo_flow("POST")).await;
    let admin = app.admin();
    admin
        .get(&format!("/flows/trigger/{id}"))
        .await
        .assert_error(403, "FORBIDDEN");
    admin
        .request(
            Method::PUT,
            &format!("/flows/trigger/{id}"),
            Some(json!({})),
        )
        .await
        .assert_error(403, "FORBIDDEN");
    admin
        .post("/flows/trigger/not-a-uuid", json!({}))
        .await
        .assert_error(404, "ROUTE_NOT_FOUND");
    admin
        .request(Method::OPTIONS, &format!("/flows/trigger/{id}"), None)
        .await
        .assert_error(404, "ROUTE_NOT_FOUND");
    admin
        .post(
            &format!("/flows/trigger/{}", uuid::Uuid::new_v4()),
            json!({}),
        )
        .await
        .assert_error(403, "FORBIDDEN");
    let r = admin
        .patch(&format!("/flows/{id}"), json!({"status": "inactive"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    admin
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn put_patch_delete_webhooks_work() {
    let app = TestApp::spawn().await;
    for method in ["PUT", "PATCH", "DELETE", "GET"] {
        let id = create_flow(&app, echo_flow(method)).await;
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let body = (method != "GET").then(|| json!({"k": method}));
        let r = app
            .admin()
            .request(m, &format!("/flows/trigger/{id}"), body)
            .await;
        assert_eq!(r.status, 200, "{method}: {}", r.text);
        let expected = if method == "GET" {
            json!({})
        } else {
            json!({"k": method})
        };
        assert_eq!(r.body["data"]["got"], expected, "{method}");
    }
}

async fn grant_trigger(app: &TestApp, policy: &str, filter: Value) {
    let r = app
        .admin()
        .post(
            "/permissions",
            json!({"policy": policy, "collection": "directus_flows", "action": "trigger",
                   "permissions": filter, "fields": ["*"]}),
        )
        .await;
    assert_eq!(r.status, 200, "grant: {}", r.text);
}

const PUBLIC: &str = "abf8a154-5b1c-4a46-ac9c-7300570f4f17";

#[tokio::test]
async fn public_grant_opens_one_flow_not_another() {
    let app = TestApp::spawn().await;
    let a = create_flow(&app, echo_flow("POST")).await;
    let b = create_flow(&app, echo_flow("POST")).await;
    grant_trigger(&app, PUBLIC, json!({"id": {"_eq": a}})).await;
    let r = app
        .anon()
        .post(&format!("/flows/trigger/{a}"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["who"], Value::Null);
    app.anon()
        .post(&format!("/flows/trigger/{b}"), json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
    // A bad token never falls back to public.
    app.client
        .with_token("not-a-token")
        .post(&format!("/flows/trigger/{a}"), json!({}))
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn role_users_trigger_through_their_policy() {
    let app = TestApp::spawn().await;
    let flow = create_flow(&app, echo_flow("POST")).await;
    let admin = app.admin();
    let role = admin.post("/roles", json!({"name": "Callers"})).await;
    assert_eq!(role.status, 200, "{}", role.text);
    let role_id = role.body["data"]["id"].as_str().unwrap().to_owned();
    let policy = admin
        .post(
            "/policies",
            json!({"name": "May call", "app_access": false}),
        )
        .await;
    let policy_id = policy.body["data"]["id"].as_str().unwrap().to_owned();
    let link = admin
        .post("/access", json!({"role": role_id, "policy": policy_id}))
        .await;
    assert_eq!(link.status, 200, "{}", link.text);
    let user = admin
        .post(
            "/users",
            json!({"email": "caller@example.com", "password": "pw-caller", "role": role_id,
                   "token": "caller-token"}),
        )
        .await;
    assert_eq!(user.status, 200, "{}", user.text);
    let caller = app.client.with_token("caller-token");
    caller
        .post(&format!("/flows/trigger/{flow}"), json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
    grant_trigger(&app, &policy_id, json!({})).await;
    let r = caller
        .post(&format!("/flows/trigger/{flow}"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["who"], user.body["data"]["id"]);
    // A JWT from a login works the same way.
    let data = app.login("caller@example.com", "pw-caller").await;
    let jwt = data["access_token"].as_str().unwrap();
    let r = app
        .client
        .with_token(jwt)
        .post(&format!("/flows/trigger/{flow}"), json!({}))
        .await;
    assert_eq!(r.status, 200);
    let _ = (ADMIN_EMAIL, ADMIN_PASSWORD);
}

#[tokio::test]
async fn return_options_follow_d10() {
    let app = TestApp::spawn().await;
    let ops = json!([
        {"key": "one", "operation": "transform", "options": {"json": {"n": 1}}},
        {"key": "two", "operation": "transform", "options": {"json": {"n": 2}}}
    ]);
    let cases = [
        (json!("$last"), json!({"n": 2})),
        (json!("one"), json!({"n": 1})),
        (json!("one.n"), json!(1)),
        (json!("$trigger.body.x"), json!(7)),
        (json!("total: {{two.n}}"), json!("total: 2")),
        (json!({"fixed": true}), json!({"fixed": true})),
        (json!("nope.path"), Value::Null),
    ];
    for (ret, expected) in cases {
        let id = create_flow(
            &app,
            json!({"name": "r", "trigger": "webhook",
                   "options": {"method": "POST", "return": ret}, "operations": ops}),
        )
        .await;
        let r = app
            .admin()
            .post(&format!("/flows/trigger/{id}"), json!({"x": 7}))
            .await;
        assert_eq!(r.body["data"], expected, "return {ret}");
    }
    // By operation UUID, and $all.
    let id = create_flow(
        &app,
        json!({"name": "r", "trigger": "webhook", "options": {"method": "POST", "return": "$all"},
               "operations": ops}),
    )
    .await;
    let all = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({"x": 7}))
        .await;
    assert_eq!(all.body["data"]["one"], json!({"n": 1}));
    assert_eq!(all.body["data"]["$trigger"]["body"], json!({"x": 7}));
    let ops_list = app
        .admin()
        .get(&format!(
            "/operations?filter[flow][_eq]={id}&filter[key][_eq]=one"
        ))
        .await;
    let op_id = ops_list.body["data"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .admin()
        .patch(
            &format!("/flows/{id}"),
            json!({"options": {"method": "POST", "return": op_id}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await;
    assert_eq!(r.body["data"], json!({"n": 1}));
}

#[tokio::test]
async fn error_on_reject_turns_rejections_into_http_errors() {
    let app = TestApp::spawn().await;
    let thrower = create_flow(
        &app,
        json!({"name": "t", "trigger": "webhook",
               "options": {"method": "POST", "error_on_reject": true},
               "operations": [{"key": "boom", "operation": "throw-error",
                               "options": {"code": "teapot", "status": "418", "message": "No tea"}}]}),
    )
    .await;
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{thrower}"), json!({}))
        .await;
    r.assert_error(418, "TEAPOT");
    assert_eq!(r.message(), "No tea");

    let check = create_flow(
        &app,
        json!({"name": "c", "trigger": "webhook",
               "options": {"method": "POST", "error_on_reject": true},
               "operations": [{"key": "check", "operation": "condition",
                               "options": {"filter": {"$trigger": {"body": {"id": {"_nnull": true}}}}}}]}),
    )
    .await;
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{check}"), json!({}))
        .await;
    r.assert_error(400, "FAILED_VALIDATION");
    assert_eq!(
        r.body["errors"][0],
        json!({"message": "Validation failed for field \"$trigger\" at \"body.id\". Value is required.",
               "extensions": {"field": "$trigger", "path": ["body", "id"], "type": "required",
                              "code": "FAILED_VALIDATION"}})
    );
    // Without error_on_reject another rejection is data with 200.
    let soft = create_flow(
        &app,
        json!({"name": "s", "trigger": "webhook", "options": {"method": "POST"},
               "operations": [{"key": "check", "operation": "condition",
                               "options": {"filter": {"$trigger": {"body": {"id": {"_nnull": true}}}}}}]}),
    )
    .await;
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{soft}"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"][0]["code"], "FAILED_VALIDATION");
}

fn thrower(then: Option<Value>) -> Value {
    let mut ops = vec![json!({"key": "boom", "operation": "throw-error",
                              "options": {"code": "gone", "status": "410", "message": "No more"}})];
    if let Some(next) = then {
        ops[0]["reject"] = json!("after");
        let mut next = next;
        next["key"] = json!("after");
        ops.push(next);
    }
    json!({"name": "t", "trigger": "webhook", "options": {"method": "POST"}, "operations": ops})
}

/// product.md D11: with the envelope on, a run that ends on `throw-error` answers that step's
/// status and error without `error_on_reject`, for real and in the test panel; a run that goes
/// on past it answers as before, and without the envelope Directus's behaviour stays.
#[tokio::test]
async fn a_flow_ending_on_throw_error_answers_its_error() {
    let app = TestApp::spawn().await;
    let id = create_flow(&app, thrower(None)).await;
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await;
    r.assert_error(410, "GONE");
    assert_eq!(r.message(), "No more");
    let test = app
        .admin()
        .post(&format!("/flows/{id}/test"), json!({"body": {}}))
        .await;
    assert_eq!(test.status, 200, "{}", test.text);
    assert_eq!(test.body["data"]["status"], 410, "{}", test.text);
    assert_eq!(
        test.body["data"]["body"]["errors"][0]["extensions"]["code"], "GONE",
        "{}",
        test.text
    );
    // The run is logged as failed with the status it answered.
    app.flush_logs().await;
    let runs = app
        .admin()
        .get(&format!("/runs?filter[flow][_eq]={id}"))
        .await;
    assert_eq!(runs.body["data"][0]["status"], "failed", "{}", runs.text);
    assert_eq!(runs.body["data"][0]["http_status"], 410, "{}", runs.text);

    // A reject link after the throw: the run ends elsewhere, the answer is that step's data.
    let on = create_flow(
        &app,
        thrower(Some(
            json!({"operation": "transform", "options": {"json": {"handled": true}}}),
        )),
    )
    .await;
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{on}"), json!({}))
        .await;
    assert_eq!(
        (r.status, r.body.clone()),
        (200, json!({"data": {"handled": true}}))
    );

    // Directus's exact behaviour without the envelope: the error is the 200 body.
    let plain = TestApp::spawn_with(|c| c.flows_response_envelope = false).await;
    let id = create_flow(&plain, thrower(None)).await;
    let r = plain
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["code"].clone(), r.body["status"].clone()),
        (json!("GONE"), json!(410))
    );
}

#[tokio::test]
async fn directus_bodies_without_the_envelope() {
    let app = TestApp::spawn_with(|c| c.flows_response_envelope = false).await;
    let id = create_flow(&app, echo_flow("POST")).await;
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({"a": 1}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["got"], json!({"a": 1}));
    let null_flow = create_flow(
        &app,
        json!({"name": "n", "trigger": "webhook", "options": {"method": "POST"},
               "operations": [{"key": "l", "operation": "log", "options": {"message": "hi"}}]}),
    )
    .await;
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{null_flow}"), json!({}))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.text, "");
}

#[tokio::test]
async fn async_flows_answer_at_once_and_run_on() {
    let app = TestApp::spawn().await;
    let coll = app
        .admin()
        .post(
            "/collections",
            json!({"collection": "pings", "schema": {}, "fields": [{"field": "note", "type": "string"}]}),
        )
        .await;
    assert_eq!(coll.status, 200, "{}", coll.text);
    let id = create_flow(
        &app,
        json!({"name": "a", "trigger": "webhook", "options": {"method": "POST", "async": true},
               "operations": [
                   {"key": "wait", "operation": "sleep", "options": {"milliseconds": 200}},
                   {"key": "save", "operation": "item-create",
                    "options": {"collection": "pings", "payload": {"note": "{{$trigger.note}}"}}}]}),
    )
    .await;
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({"note": "later"}))
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(r.body, json!({"data": null}));
    let admin = app.admin();
    app.eventually(|| {
        let admin = admin.clone();
        async move { admin.get("/items/pings").await.body["data"][0]["note"] == "later" }
    })
    .await;
}

#[tokio::test]
async fn saving_refuses_broken_flows_naming_the_culprit() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!([{"key": "a", "operation": "teleport"}]), "teleport"),
        (
            json!([{"key": "a", "operation": "log", "resolve": "ghost"}]),
            "ghost",
        ),
        (
            json!([{"key": "a", "operation": "log"}, {"key": "a", "operation": "log"}]),
            "\"a\"",
        ),
        (
            json!([{"key": "a", "operation": "log", "resolve": "b"},
                   {"key": "b", "operation": "log", "resolve": "a"}]),
            "cycle",
        ),
    ];
    for (ops, culprit) in cases {
        let r = app
            .admin()
            .post(
                "/flows",
                json!({"name": "bad", "trigger": "webhook", "operations": ops}),
            )
            .await;
        r.assert_error(400, "INVALID_PAYLOAD");
        assert!(r.message().contains(culprit), "{culprit}: {}", r.message());
    }
    // Nothing was half-written.
    let flows = app.admin().get("/flows").await;
    assert_eq!(flows.body["data"], json!([]));
    let ops = app.admin().get("/operations").await;
    assert_eq!(ops.body["data"], json!([]));
}

#[tokio::test]
async fn export_round_trip_changes_nothing() {
    let app = TestApp::spawn().await;
    let doc = json!({"name": "Validation", "trigger": "webhook", "status": "active",
    "options": {"method": "POST", "async": false},
    "operations": [
        {"id": "validate", "operation": "condition",
         "options": {"filter": {"_and": [{"email": {"_nempty": true}}]}},
         "resolve": "process", "reject": "error"},
        {"id": "process", "operation": "transform", "options": {"json": {"ok": true}}, "resolve": "success"},
        {"id": "success", "operation": "transform", "options": {"json": {"success": true}}},
        {"id": "error", "operation": "transform", "options": {"json": {"success": false}}}
    ]});
    let id = create_flow(&app, doc).await;
    let exported = app
        .admin()
        .get(&format!("/flows/{id}?export=document"))
        .await;
    assert_eq!(exported.status, 200, "{}", exported.text);
    let doc1 = exported.body["data"].clone();
    assert_eq!(doc1["operations"].as_array().unwrap().len(), 4);
    let id2 = create_flow(&app, doc1.clone()).await;
    let doc2 = app
        .admin()
        .get(&format!("/flows/{id2}?export=document"))
        .await
        .body["data"]
        .clone();
    assert_eq!(doc1, doc2);
}

#[tokio::test]
async fn live_changes_apply_on_the_next_trigger() {
    let app = TestApp::spawn().await;
    let id = create_flow(
        &app,
        json!({"name": "v", "trigger": "webhook", "options": {"method": "POST"},
               "operations": [{"key": "t", "operation": "transform", "options": {"json": {"v": 1}}}]}),
    )
    .await;
    let admin = app.admin();
    assert_eq!(
        admin
            .post(&format!("/flows/trigger/{id}"), json!({}))
            .await
            .body["data"],
        json!({"v": 1})
    );
    let op = admin
        .get(&format!("/operations?filter[flow][_eq]={id}"))
        .await
        .body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = admin
        .patch(
            &format!("/operations/{op}"),
            json!({"options": {"json": {"v": 2}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        admin
            .post(&format!("/flows/trigger/{id}"), json!({}))
            .await
            .body["data"],
        json!({"v": 2})
    );
}

#[tokio::test]
async fn run_logs_record_steps_with_secrets_redacted() {
    let app = TestApp::spawn_with(|c| {
        c.flows_env_allow_list = vec!["API_TOKEN".into()];
        c.flows_env = vec![("API_TOKEN".into(), "tok-123".into())];
    })
    .await;
    let id = create_flow(
        &app,
        json!({"name": "logged", "trigger": "webhook", "accountability": "all",
               "options": {"method": "POST"},
               "operations": [{"key": "t", "operation": "transform",
                               "options": {"json": {"auth": "Bearer {{$env.API_TOKEN}}", "n": "{{$trigger.n}}"}}}]}),
    )
    .await;
    let r = app
        .admin()
        .post(
            &format!("/flows/trigger/{id}?access_token=x"),
            json!({"n": 3}),
        )
        .await;
    // Query token plus header token is refused before the flow runs.
    r.assert_error(400, "INVALID_PAYLOAD");
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({"n": 3}))
        .await;
    assert_eq!(r.body["data"]["auth"], "Bearer tok-123");
    app.flush_logs().await;
    let act = app
        .admin()
        .get(&format!(
            "/activity?filter[collection][_eq]=directus_flows&filter[item][_eq]={id}&filter[action][_eq]=run"
        ))
        .await;
    assert_eq!(
        act.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        act.text
    );
    let rev = app
        .admin()
        .get(&format!(
            "/revisions?filter[item][_eq]={id}&filter[collection][_eq]=directus_flows"
        ))
        .await;
    let data = &rev.body["data"][0]["data"];
    assert_eq!(data["steps"][0]["key"], "t");
    assert_eq!(data["steps"][0]["status"], "resolve");
    assert!(data["steps"][0]["duration_ms"].is_number());
    assert_eq!(
        data["data"]["$trigger"]["headers"]["authorization"],
        "--redacted--"
    );
    assert_eq!(data["data"]["t"]["auth"], "Bearer --redacted:API_TOKEN--");
    assert_eq!(data["run"]["status"], "success");
    assert_eq!(data["run"]["http_status"], 200);
    assert!(!rev.text.contains("tok-123"));
    assert!(!rev.text.contains("admin-static-token"));
    let runs = app
        .admin()
        .get(&format!("/runs?filter[flow][_eq]={id}"))
        .await;
    assert_eq!(runs.body["data"][0]["status"], "success", "{}", runs.text);
    assert_eq!(runs.body["data"][0]["method"], "POST");
    assert_eq!(runs.body["data"][0]["http_status"], 200);
}

#[tokio::test]
async fn accountability_null_and_activity_log_levels() {
    let app = TestApp::spawn().await;
    let quiet = create_flow(
        &app,
        json!({"name": "q", "trigger": "webhook", "accountability": null, "options": {"method": "POST"},
               "operations": [{"key": "t", "operation": "transform", "options": {"json": {}}}]}),
    )
    .await;
    let some = create_flow(
        &app,
        json!({"name": "a", "trigger": "webhook", "accountability": "activity", "options": {"method": "POST"},
               "operations": [{"key": "t", "operation": "transform", "options": {"json": {}}}]}),
    )
    .await;
    for id in [&quiet, &some] {
        app.admin()
            .post(&format!("/flows/trigger/{id}"), json!({}))
            .await;
    }
    app.flush_logs().await;
    let count = |id: &str| {
        let admin = app.admin();
        let id = id.to_owned();
        async move {
            let a = admin
                .get(&format!(
                    "/activity?filter[item][_eq]={id}&filter[action][_eq]=run"
                ))
                .await;
            let r = admin
                .get(&format!(
                    "/revisions?filter[item][_eq]={id}&filter[collection][_eq]=directus_flows"
                ))
                .await;
            (
                a.body["data"].as_array().map_or(0, Vec::len),
                r.body["data"].as_array().map_or(0, Vec::len),
            )
        }
    };
    assert_eq!(count(&quiet).await, (0, 0));
    assert_eq!(count(&some).await, (1, 0));
}

#[tokio::test]
async fn template_errors_reject_only_that_operation() {
    let app = TestApp::spawn().await;
    let id = create_flow(
        &app,
        json!({"name": "e", "trigger": "webhook", "options": {"method": "POST"},
               "operations": [
                   {"key": "bad", "operation": "transform", "options": {"json": {"x": "{{ unclosed"}},
                    "reject": "recover"},
                   {"key": "recover", "operation": "transform", "options": {"json": {"recovered": true, "err": "{{$last.name}}"}}}]}),
    )
    .await;
    let r = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await;
    assert_eq!(
        r.body["data"],
        json!({"recovered": true, "err": "SyntaxError"}),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn test_runs_show_each_step_even_for_inactive_flows() {
    let app = TestApp::spawn().await;
    let id = create_flow(
        &app,
        json!({"name": "t", "trigger": "webhook", "status": "inactive",
               "options": {"method": "POST"},
               "operations": [
                   {"key": "check", "operation": "condition",
                    "options": {"filter": {"kind": {"_eq": "a"}}}, "resolve": "yes", "reject": "no"},
                   {"key": "yes", "operation": "transform", "options": {"json": {"branch": "yes"}}},
                   {"key": "no", "operation": "transform", "options": {"json": {"branch": "no", "q": "{{$trigger.query.x}}"}}}]}),
    )
    .await;
    let r = app
        .admin()
        .post(
            &format!("/flows/{id}/test"),
            json!({"body": {"kind": "b"}, "query": {"x": "1"}, "headers": {"Authorization": "Bearer secret"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = &r.body["data"];
    assert_eq!(d["status"], 200);
    assert_eq!(d["body"], json!({"data": {"branch": "no", "q": "1"}}));
    assert_eq!(d["steps"][0]["key"], "check");
    assert_eq!(d["steps"][0]["status"], "reject");
    assert_eq!(d["steps"][0]["data"][0]["code"], "FAILED_VALIDATION");
    assert_eq!(d["steps"][1]["key"], "no");
    assert_eq!(d["steps"][1]["data"]["branch"], "no");
    assert_eq!(d["trigger"]["headers"]["authorization"], "--redacted--");
    // Non-admins cannot.
    app.anon()
        .post(&format!("/flows/{id}/test"), json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn deleting_operations_clears_links_to_them() {
    let app = TestApp::spawn().await;
    let id = create_flow(
        &app,
        json!({"name": "d", "trigger": "webhook", "options": {"method": "POST"},
               "operations": [
                   {"key": "a", "operation": "transform", "options": {"json": {"a": 1}}},
                   {"key": "b", "operation": "transform", "options": {"json": {"b": 2}}}]}),
    )
    .await;
    let admin = app.admin();
    let ops = admin
        .get(&format!(
            "/operations?filter[flow][_eq]={id}&sort=position_x"
        ))
        .await;
    let first = ops.body["data"][0]["id"].as_str().unwrap().to_owned();
    let second = ops.body["data"][1]["id"].as_str().unwrap().to_owned();
    let r = admin.delete(&format!("/operations/{first}")).await;
    assert_eq!(r.status, 204);
    let flow = admin.get(&format!("/flows/{id}")).await;
    assert_eq!(flow.body["data"]["operation"], Value::Null);
    // The flow is still editable: point it at the remaining operation.
    let r = admin
        .patch(&format!("/flows/{id}"), json!({"operation": second}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let run = admin.post(&format!("/flows/trigger/{id}"), json!({})).await;
    assert_eq!(run.body["data"], json!({"b": 2}));
}

/// Issue 12 point 8: the run log marks builder test runs (`POST /flows/{id}/test`) apart from
/// real calls, and can be filtered on it.
#[tokio::test]
async fn run_logs_mark_test_runs() {
    let app = TestApp::spawn().await;
    let id = create_flow(&app, thrower(None)).await;
    let real = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await;
    assert_eq!(real.status, 410, "{}", real.text);
    let test = app
        .admin()
        .post(&format!("/flows/{id}/test"), json!({"body": {}}))
        .await;
    assert_eq!(test.status, 200, "{}", test.text);
    app.flush_logs().await;
    let runs = app
        .admin()
        .get(&format!(
            "/runs?filter[flow][_eq]={id}&sort=id&fields=id,test,status"
        ))
        .await;
    assert_eq!(runs.status, 200, "{}", runs.text);
    let flags: Vec<&Value> = runs.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["test"])
        .collect();
    assert_eq!(flags, [&json!(false), &json!(true)], "{}", runs.text);
    let tests = app
        .admin()
        .get(&format!(
            "/runs?filter[flow][_eq]={id}&filter[test][_eq]=true"
        ))
        .await;
    assert_eq!(
        tests.body["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        tests.text
    );
}

/// The builder saves in one `PATCH /flows/{id}`: the whole step set with ids, positions and
/// links by id, and `operation` naming the first step — another one than the first listed, or
/// none at all. A rewired chain (Directus #14185) and a swapped key pair (two steps trading
/// keys) are accepted in one request because the graph is checked on the final state only.
#[tokio::test]
async fn one_patch_replaces_the_steps_and_names_the_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let id = create_flow(
        &app,
        json!({"name": "chain", "trigger": "webhook", "status": "active",
               "options": {"method": "POST", "return": "$last"},
               "operations": [
                   {"key": "a", "operation": "transform", "options": {"json": {"at": "a"}}},
                   {"key": "b", "operation": "transform", "options": {"json": {"at": "b"}}},
                   {"key": "c", "operation": "transform", "options": {"json": {"at": "c"}}}]}),
    )
    .await;
    let ops = admin
        .get(&format!("/operations?filter[flow][_eq]={id}&limit=-1"))
        .await;
    let uuid = |key: &str| -> String {
        ops.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["key"] == key)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (a, b, c) = (uuid("a"), uuid("b"), uuid("c"));
    let step = |id: &str, key: &str, at: &str, resolve: Option<&str>| {
        json!({"id": id, "key": key, "type": "transform", "options": {"json": {"at": at}},
               "position_x": 19, "position_y": 1, "resolve": resolve, "reject": null})
    };
    // trigger → c → a, b on its own; a and b trade keys; the first listed is not the first.
    let r = admin
        .patch(
            &format!("/flows/{id}"),
            json!({"name": "rewired", "operation": c, "operations": [
                step(&a, "b", "a", None), step(&b, "a", "b", None), step(&c, "c", "c", Some(&a))]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["name"], "rewired");
    assert_eq!(r.body["data"]["operation"], json!(c));
    let run = admin.post(&format!("/flows/trigger/{id}"), json!({})).await;
    assert_eq!(
        run.body["data"],
        json!({"at": "a"}),
        "c then a ran: {}",
        run.text
    );
    let after = admin
        .get(&format!("/operations?filter[flow][_eq]={id}&limit=-1"))
        .await;
    let keys: Vec<(String, String)> = after.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_owned(),
                o["key"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        keys.contains(&(a.clone(), "b".to_owned())) && keys.contains(&(b.clone(), "a".to_owned())),
        "{keys:?}"
    );
    // No first step: the trigger leads nowhere and the call answers without running any.
    let r = admin
        .patch(
            &format!("/flows/{id}"),
            json!({"operation": null, "operations": [step(&a, "a", "a", None)]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["operation"], Value::Null);
    // A first step that is not in the list is refused, and nothing changes.
    admin
        .patch(
            &format!("/flows/{id}"),
            json!({"operation": "ghost", "operations": [step(&a, "a", "a", None)]}),
        )
        .await
        .assert_error(400, "INVALID_PAYLOAD");
}
