//! Every built-in operation end to end (directus.md §4 with product.md S2, S4, D5–D8): item
//! operations and their results and `permissions`, `request`, `trigger`, `sleep`, `log`,
//! `transform`, `throw-error` and `condition`. Each test builds small webhook flows with one
//! `POST /flows` and calls them over HTTP.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};
use tests::{Receiver, Resp, TestApp, TestClient};

use crate::flows::create_flow;
use crate::seed_examples::{PUBLIC, create_collection, grant, make_public, rows};

/// A POST webhook flow with these operations (`return` as given, default `$last`).
async fn webhook(app: &TestApp, ops: Value) -> String {
    webhook_with(app, json!({"method": "POST"}), ops).await
}

async fn webhook_with(app: &TestApp, options: Value, ops: Value) -> String {
    create_flow(
        app,
        json!({"name": "op test", "trigger": "webhook", "options": options, "operations": ops}),
    )
    .await
}

/// Triggers a flow and returns the answer's `data` (asserting 200).
async fn call_as(client: &TestClient, id: &str, body: Value) -> Value {
    let r = client.post(&format!("/flows/trigger/{id}"), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].clone()
}

async fn call(app: &TestApp, id: &str, body: Value) -> Value {
    call_as(&app.admin(), id, body).await
}

/// A one-operation flow's answer.
async fn run_op(app: &TestApp, op: Value, body: Value) -> Value {
    let id = webhook(app, json!([op])).await;
    call(app, &id, body).await
}

/// `tickets`: integer ids 1..=n, `title`, `status` (`open` for odd ids, `closed` for even).
async fn tickets(app: &TestApp, n: usize) {
    create_collection(
        app,
        "tickets",
        json!([{"field": "title", "type": "string"}, {"field": "status", "type": "string"}]),
    )
    .await;
    if n == 0 {
        return;
    }
    let seed: Vec<Value> = (1..=n)
        .map(|i| {
            json!({"title": format!("t{i}"), "status": if i % 2 == 1 { "open" } else { "closed" }})
        })
        .collect();
    let r = app.admin().post("/items/tickets", Value::Array(seed)).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|r| r["id"].as_i64().unwrap_or_else(|| panic!("no id: {r}")))
        .collect()
}

async fn titles(app: &TestApp) -> Vec<(i64, String, String)> {
    rows(app, "tickets")
        .await
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["title"].as_str().unwrap_or("").to_owned(),
                r["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// item-create (§4.2)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn item_create_always_answers_an_array_of_keys() {
    let app = TestApp::spawn().await;
    tickets(&app, 0).await;
    let create = |payload: Value| {
        json!({"operation": "item-create",
                                         "options": {"collection": "tickets", "payload": payload}})
    };
    // One object → an array with its key.
    let one = run_op(&app, create(json!({"title": "a"})), json!({})).await;
    assert_eq!(one, json!([1]));
    // Several → their keys in order.
    let many = run_op(
        &app,
        create(json!([{"title": "b"}, {"title": "c"}])),
        json!({}),
    )
    .await;
    assert_eq!(many, json!([2, 3]));
    // A JSON string (S4) is parsed first; placeholders inside it are rendered.
    let from_text = run_op(
        &app,
        create(json!(r#"{"title": "{{$trigger.t}}", "status": "open"}"#)),
        json!({"t": "from text"}),
    )
    .await;
    assert_eq!(from_text, json!([4]));
    // `{}` creates one row with defaults.
    assert_eq!(run_op(&app, create(json!({})), json!({})).await, json!([5]));
    // No payload (or null) → null, nothing created.
    assert_eq!(
        run_op(
            &app,
            json!({"operation": "item-create", "options": {"collection": "tickets"}}),
            json!({})
        )
        .await,
        Value::Null
    );
    assert_eq!(
        run_op(&app, create(Value::Null), json!({})).await,
        Value::Null
    );
    assert_eq!(
        titles(&app).await,
        vec![
            (1, "a".into(), "".into()),
            (2, "b".into(), "".into()),
            (3, "c".into(), "".into()),
            (4, "from text".into(), "open".into()),
            (5, "".into(), "".into()),
        ]
    );
    // A string that is not JSON rejects with a parse error; nothing is created.
    let bad = run_op(&app, create(json!("not json")), json!({})).await;
    assert_eq!(bad["name"], "SyntaxError", "{bad}");
    assert_eq!(rows(&app, "tickets").await.len(), 5);
    // An unknown collection rejects with Directus's FORBIDDEN.
    let r = run_op(
        &app,
        json!({"operation": "item-create", "options": {"collection": "nope", "payload": {"a": 1}}}),
        json!({}),
    )
    .await;
    assert_eq!(
        (r["code"].as_str(), r["status"].as_i64()),
        (Some("FORBIDDEN"), Some(403))
    );
}

#[tokio::test]
async fn item_payloads_drop_non_columns_for_every_caller() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        "subscribers",
        json!([{"field": "email", "type": "string"}, {"field": "name", "type": "string"},
               {"field": "tier", "type": "string"}]),
    )
    .await;
    // The public may create subscribers, but only these two fields.
    let r = app
        .admin()
        .post(
            "/permissions",
            json!({"policy": PUBLIC, "collection": "subscribers", "action": "create",
                   "permissions": {}, "fields": ["email", "name"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = webhook(
        &app,
        json!([{"key": "save", "operation": "item-create",
                "options": {"collection": "subscribers", "payload": "{{$trigger}}"}}]),
    )
    .await;
    make_public(&app, &id).await;
    // S1: `{{$trigger}}` also carries path, query, method, headers, body and unknown body
    // fields; none is a column, so none counts against the field permission.
    let r = call_as(
        &app.anon(),
        &id,
        json!({"email": "ann@example.com", "name": "Ann", "utm": "x"}),
    )
    .await;
    assert_eq!(r, json!([1]));
    let stored = rows(&app, "subscribers").await;
    assert_eq!(
        (&stored[0]["email"], &stored[0]["name"], &stored[0]["tier"]),
        (&json!("ann@example.com"), &json!("Ann"), &Value::Null)
    );
    // A column the caller may not write is still refused.
    let r = call_as(
        &app.anon(),
        &id,
        json!({"email": "bob@example.com", "tier": "gold"}),
    )
    .await;
    assert_eq!(r["code"], "FORBIDDEN", "{r}");
    let message = r["message"].as_str().unwrap();
    assert!(message.contains("\"tier\""), "{message}");
    assert!(!message.contains("\"headers\""), "{message}");
    assert_eq!(rows(&app, "subscribers").await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// item-read (§4.3)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn item_read_by_key_keys_and_query() {
    let app = TestApp::spawn().await;
    tickets(&app, 105).await;
    let read = |key: Value, query: Value| {
        json!({"operation": "item-read",
        "options": {"collection": "tickets", "key": key, "query": query}})
    };

    // One key → the object.
    let one = run_op(&app, read(json!(3), Value::Null), json!({})).await;
    assert_eq!(one, json!({"id": 3, "title": "t3", "status": "open"}));
    // One key from a template (a string) → the object too, with `fields`.
    let one = run_op(
        &app,
        read(json!("{{$trigger.id}}"), json!({"fields": ["title"]})),
        json!({"id": 4}),
    )
    .await;
    assert_eq!(one, json!({"title": "t4"}));
    // Several keys: an array, or a comma-separated string → an array (missing ones absent).
    let many = run_op(&app, read(json!([2, 999, 5]), Value::Null), json!({})).await;
    assert_eq!(ids(&many), [2, 5]);
    let many = run_op(&app, read(json!("7,8"), Value::Null), json!({})).await;
    assert_eq!(ids(&many), [7, 8]);
    // No key → by query; the default limit (100) applies unless the query sets one.
    let all = run_op(&app, read(Value::Null, Value::Null), json!({})).await;
    assert_eq!(all.as_array().unwrap().len(), 100);
    let unlimited = run_op(&app, read(Value::Null, json!({"limit": -1})), json!({})).await;
    assert_eq!(unlimited.as_array().unwrap().len(), 105);
    let query = run_op(
        &app,
        read(
            Value::Null,
            json!({"filter": {"status": {"_eq": "closed"}}, "sort": ["-id"], "limit": 3}),
        ),
        json!({}),
    )
    .await;
    assert_eq!(ids(&query), [104, 102, 100]);
    // A query given as a JSON string (S4) with a numeric-string limit.
    let text = run_op(
        &app,
        read(
            Value::Null,
            json!(r#"{"filter": {"id": {"_lt": 10}}, "limit": "{{$trigger.n}}"}"#),
        ),
        json!({"n": "2"}),
    )
    .await;
    assert_eq!(ids(&text), [1, 2]);
    // Aggregates.
    let count = run_op(
        &app,
        read(
            Value::Null,
            json!({"aggregate": {"count": "*"}, "filter": {"status": {"_eq": "open"}}}),
        ),
        json!({}),
    )
    .await;
    assert_eq!(count.as_array().map(Vec::len), Some(1), "{count}");
    assert_eq!(
        count[0]["count"].to_string().trim_matches('"'),
        "53",
        "{count}"
    );
    // One missing key → FORBIDDEN, which rejects.
    let missing = run_op(&app, read(json!(999), Value::Null), json!({})).await;
    assert_eq!(missing["code"], "FORBIDDEN", "{missing}");
    assert_eq!(missing["status"], 403);
}

// ---------------------------------------------------------------------------------------------
// item-update (§4.4)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn item_update_results_follow_the_keys() {
    let app = TestApp::spawn().await;
    tickets(&app, 105).await;
    let update = |key: Value, payload: Value, query: Value| {
        json!({"operation": "item-update",
        "options": {"collection": "tickets", "key": key, "payload": payload, "query": query}})
    };

    // One key → that key (a scalar).
    let r = run_op(
        &app,
        update(
            json!("{{$trigger.id}}"),
            json!({"title": "one"}),
            Value::Null,
        ),
        json!({"id": 1}),
    )
    .await;
    assert_eq!(r, json!(1));
    // Several keys → an array.
    let r = run_op(
        &app,
        update(json!([2, 3]), json!({"title": "two"}), Value::Null),
        json!({}),
    )
    .await;
    assert_eq!(r, json!([2, 3]));
    // A payload array → a batch, each element with its key → an array of keys.
    let r = run_op(
        &app,
        update(
            Value::Null,
            json!([{"id": 4, "title": "b4"}, {"id": 5, "title": "b5"}]),
            Value::Null,
        ),
        json!({}),
    )
    .await;
    assert_eq!(r, json!([4, 5]));
    // No payload → null, nothing changes.
    let r = run_op(&app, update(json!(6), Value::Null, Value::Null), json!({})).await;
    assert_eq!(r, Value::Null);
    // No key → by query, keys found with the default limit of 100.
    let r = run_op(
        &app,
        update(
            Value::Null,
            json!({"status": "archived"}),
            json!({"filter": {"id": {"_gt": 100}}}),
        ),
        json!({}),
    )
    .await;
    assert_eq!(r, json!([101, 102, 103, 104, 105]));
    let r = run_op(
        &app,
        update(Value::Null, json!({"title": "bulk"}), Value::Null),
        json!({}),
    )
    .await;
    assert_eq!(
        r.as_array().unwrap().len(),
        100,
        "an empty query updates 100 rows"
    );

    let stored = titles(&app).await;
    assert_eq!(stored[0].1, "bulk");
    assert_eq!(stored[5].1, "bulk");
    assert_eq!(stored[99].1, "bulk");
    assert_eq!(stored[100], (101, "t101".into(), "archived".into()));
    assert_eq!(stored[104], (105, "t105".into(), "archived".into()));
}

// ---------------------------------------------------------------------------------------------
// item-delete (§4.5)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn item_delete_results_follow_the_keys() {
    let app = TestApp::spawn().await;
    tickets(&app, 110).await;
    let delete = |key: Value, query: Value| {
        json!({"operation": "item-delete",
        "options": {"collection": "tickets", "key": key, "query": query}})
    };

    // One key → that key; several → an array.
    assert_eq!(
        run_op(&app, delete(json!("1"), Value::Null), json!({})).await,
        json!(1)
    );
    assert_eq!(
        run_op(&app, delete(json!([2, 3]), Value::Null), json!({})).await,
        json!([2, 3])
    );
    // No key → by query → an array.
    assert_eq!(
        run_op(
            &app,
            delete(
                Value::Null,
                json!({"filter": {"status": {"_eq": "closed"}, "id": {"_lte": 10}}})
            ),
            json!({})
        )
        .await,
        json!([4, 6, 8, 10])
    );
    // Admin: a key that does not exist is deleted silently.
    assert_eq!(
        run_op(&app, delete(json!(999), Value::Null), json!({})).await,
        json!(999)
    );
    // An empty query deletes with the default limit: the first 100 of the 103 left.
    let r = run_op(&app, delete(Value::Null, Value::Null), json!({})).await;
    assert_eq!(r.as_array().map(Vec::len), Some(100), "{r}");
    assert_eq!(r[0], 5);
    assert_eq!(
        titles(&app).await.iter().map(|t| t.0).collect::<Vec<_>>(),
        [108, 109, 110]
    );
}

// ---------------------------------------------------------------------------------------------
// The `permissions` option
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn permissions_option_chooses_the_accountability() {
    let app = TestApp::spawn().await;
    tickets(&app, 4).await;
    let read_with = |perm: Option<&str>| {
        let mut options = json!({"collection": "tickets", "query": {"fields": ["id"]}});
        if let Some(p) = perm {
            options["permissions"] = json!(p);
        }
        json!({"operation": "item-read", "options": options})
    };
    let flows = [
        webhook(&app, json!([read_with(None)])).await,
        webhook(&app, json!([read_with(Some("$trigger"))])).await,
        webhook(&app, json!([read_with(Some("$public"))])).await,
        webhook(&app, json!([read_with(Some("$full"))])).await,
    ];
    for f in &flows {
        make_public(&app, f).await;
    }
    let [default, trigger, public, full] = &flows;
    let anon = app.anon();
    let admin = app.admin();
    let forbidden = |v: &Value| v["code"] == "FORBIDDEN" && v["status"] == 403;

    // `$trigger` (and no option): the caller's own access — admin reads all, anonymous nothing.
    for f in [default, trigger] {
        assert_eq!(ids(&call_as(&admin, f, json!({})).await), [1, 2, 3, 4]);
        let r = call_as(&anon, f, json!({})).await;
        assert!(forbidden(&r), "{r}");
    }
    // `$public`: the Public policy's rules, even for an admin caller.
    assert!(forbidden(&call_as(&admin, public, json!({})).await));
    // `$full`: everything, even for an anonymous caller.
    assert_eq!(ids(&call_as(&anon, full, json!({})).await), [1, 2, 3, 4]);

    // The public may read open tickets: `$trigger` for anonymous callers and `$public` for
    // everyone now see those.
    grant(
        &app,
        PUBLIC,
        "tickets",
        "read",
        json!({"status": {"_eq": "open"}}),
    )
    .await;
    assert_eq!(ids(&call_as(&anon, trigger, json!({})).await), [1, 3]);
    assert_eq!(ids(&call_as(&admin, public, json!({})).await), [1, 3]);
    assert_eq!(
        ids(&call_as(&admin, trigger, json!({})).await),
        [1, 2, 3, 4]
    );
}

#[tokio::test]
async fn permissions_option_with_a_role_id() {
    let app = TestApp::spawn().await;
    tickets(&app, 4).await;
    let admin = app.admin();
    let role = admin.post("/roles", json!({"name": "Agents"})).await;
    assert_eq!(role.status, 200, "{}", role.text);
    let role_id = role.body["data"]["id"].as_str().unwrap().to_owned();
    let policy = admin
        .post("/policies", json!({"name": "Closed tickets"}))
        .await;
    assert_eq!(policy.status, 200, "{}", policy.text);
    let policy_id = policy.body["data"]["id"].as_str().unwrap().to_owned();
    let link = admin
        .post("/access", json!({"role": role_id, "policy": policy_id}))
        .await;
    assert_eq!(link.status, 200, "{}", link.text);
    grant(
        &app,
        &policy_id,
        "tickets",
        "read",
        json!({"status": {"_eq": "closed"}}),
    )
    .await;

    let read_as = |perm: &str| {
        json!({"operation": "item-read", "options": {
        "collection": "tickets", "permissions": perm, "query": {"fields": ["id"]}}})
    };
    // The role's rules apply whoever calls (here an anonymous caller of a public flow).
    let f = webhook(&app, json!([read_as(&role_id)])).await;
    make_public(&app, &f).await;
    assert_eq!(ids(&call_as(&app.anon(), &f, json!({})).await), [2, 4]);
    // The role cannot write: an item-create with it is FORBIDDEN.
    let r = run_op(
        &app,
        json!({"operation": "item-create", "options": {"collection": "tickets",
               "permissions": role_id, "payload": {"title": "x"}}}),
        json!({}),
    )
    .await;
    assert_eq!(r["code"], "FORBIDDEN", "{r}");

    // An unknown role (or not a role id at all) rejects with Directus's message.
    let ghost = uuid::Uuid::new_v4().to_string();
    for bad in [ghost.as_str(), "editors"] {
        let r = run_op(&app, read_as(bad), json!({})).await;
        assert_eq!(
            r["message"],
            format!("Configured role \"{bad}\" isn't a valid role ID or doesn't exist."),
            "{r}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// request (§4.7)
// ---------------------------------------------------------------------------------------------

async fn open_app() -> TestApp {
    TestApp::spawn_with(|c| c.import_ip_deny_list = vec![]).await
}

#[tokio::test]
async fn request_sends_headers_and_bodies() {
    let api = Receiver::start(200, json!({"ok": true, "n": 3})).await;
    let app = open_app().await;
    let req = |options: Value| json!({"operation": "request", "options": options});

    // A header list and an object body: JSON content type added, the parsed answer returned.
    let r = run_op(
        &app,
        req(
            json!({"method": "POST", "url": format!("{}/list?x=1", api.url),
                   "headers": [{"header": "X-One", "value": "1"},
                               {"header": "X-Who", "value": "{{$trigger.who}}"}],
                   "body": {"who": "{{$trigger.who}}", "n": 2}}),
        ),
        json!({"who": "ann"}),
    )
    .await;
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["statusText"], "OK");
    assert_eq!(r["data"], json!({"ok": true, "n": 3}));
    assert!(
        r["headers"]["content-type"]
            .as_str()
            .unwrap()
            .starts_with("application/json")
    );
    let got = api.wait_for(1).await;
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, "/list");
    assert_eq!(got[0].headers["x-one"], "1");
    assert_eq!(got[0].headers["x-who"], "ann");
    assert_eq!(got[0].headers["content-type"], "application/json");
    assert_eq!(got[0].json(), json!({"who": "ann", "n": 2}));

    // A header object and a JSON-string body (S4): JSON content type added too.
    run_op(
        &app,
        req(json!({"method": "PATCH", "url": api.url,
                   "headers": {"Authorization": "Bearer t"},
                   "body": "{\"a\": {{$trigger.a}}}"})),
        json!({"a": 5}),
    )
    .await;
    let got = api.wait_for(2).await;
    assert_eq!(got[1].method, "PATCH");
    assert_eq!(got[1].headers["authorization"], "Bearer t");
    assert_eq!(got[1].headers["content-type"], "application/json");
    assert_eq!(got[1].json(), json!({"a": 5}));

    // A plain text body: no content type added; the caller's own is kept.
    run_op(
        &app,
        req(json!({"method": "POST", "url": api.url, "body": "hello"})),
        json!({}),
    )
    .await;
    run_op(
        &app,
        req(json!({"method": "POST", "url": api.url,
                   "headers": [{"header": "Content-Type", "value": "text/csv"}],
                   "body": "{\"looks\": \"json\"}"})),
        json!({}),
    )
    .await;
    // GET by default, no body.
    run_op(
        &app,
        req(json!({"url": format!("{}/plain", api.url)})),
        json!({}),
    )
    .await;
    let got = api.wait_for(5).await;
    assert_eq!(got[2].body, "hello");
    assert!(
        !got[2].headers.contains_key("content-type"),
        "{:?}",
        got[2].headers
    );
    assert_eq!(got[3].headers["content-type"], "text/csv");
    assert_eq!(got[4].method, "GET");
    assert_eq!(got[4].path, "/plain");
    assert_eq!(got[4].body, "");
}

#[tokio::test]
async fn request_secrets_stay_out_of_run_logs() {
    let api = Receiver::start(200, json!({"ok": true})).await;
    let app = TestApp::spawn_with(|c| {
        c.import_ip_deny_list = vec![];
        c.flows_env_allow_list = vec!["API_TOKEN".into()];
        c.flows_env = vec![("API_TOKEN".into(), "env-secret-1".into())];
    })
    .await;
    let id = create_flow(
        &app,
        json!({"name": "secret calls", "trigger": "webhook", "accountability": "all",
        "options": {"method": "POST"},
        "operations": [
            // The app's header list form …
            {"key": "list", "operation": "request",
             "options": {"url": api.url, "headers": [
                 {"header": "Authorization", "value": "Bearer list-secret-2"},
                 {"header": "Cookie", "value": "sid=cookie-secret-3"},
                 {"header": "X-Plain", "value": "visible"}]}},
            // … the object form, and an allow-listed variable.
            {"key": "object", "operation": "request",
             "options": {"url": api.url, "headers": {
                 "authorization": "Bearer object-secret-4",
                 "X-Env": "{{$env.API_TOKEN}}"}}}
        ]}),
    )
    .await;
    call(&app, &id, json!({})).await;
    let got = api.wait_for(2).await;
    assert_eq!(got[0].headers["authorization"], "Bearer list-secret-2");
    assert_eq!(got[0].headers["cookie"], "sid=cookie-secret-3");
    assert_eq!(got[1].headers["authorization"], "Bearer object-secret-4");
    assert_eq!(got[1].headers["x-env"], "env-secret-1");
    app.flush_logs().await;
    let rev = app
        .admin()
        .get(&format!(
            "/revisions?filter[collection][_eq]=directus_flows&filter[item][_eq]={id}"
        ))
        .await;
    assert_eq!(
        rev.body["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        rev.text
    );
    for secret in [
        "env-secret-1",
        "list-secret-2",
        "cookie-secret-3",
        "object-secret-4",
    ] {
        assert!(
            !rev.text.contains(secret),
            "{secret} in the run log: {}",
            rev.text
        );
    }
    let steps = &rev.body["data"][0]["data"]["steps"];
    assert_eq!(
        steps[0]["options"]["headers"],
        json!([{"header": "Authorization", "value": "--redacted--"},
               {"header": "Cookie", "value": "--redacted--"},
               {"header": "X-Plain", "value": "visible"}])
    );
    assert_eq!(
        steps[1]["options"]["headers"],
        json!({"authorization": "--redacted--", "X-Env": "--redacted:API_TOKEN--"})
    );
}

#[tokio::test]
async fn request_non_2xx_rejects_with_the_response() {
    let api = Receiver::start(422, json!({"errors": [{"message": "bad order"}]})).await;
    let app = open_app().await;
    let id = webhook(
        &app,
        json!([
            {"key": "call", "operation": "request",
             "options": {"method": "POST", "url": api.url, "body": {"a": 1}},
             "reject": "failed"},
            {"key": "ok", "operation": "transform", "options": {"json": {"ok": true}}},
            {"key": "failed", "operation": "transform",
             "options": {"json": {"failed": "{{$last.status}}", "why": "{{call.data.errors[0].message}}",
                                  "text": "{{$last.statusText}}"}}}
        ]),
    )
    .await;
    let r = call(&app, &id, json!({})).await;
    assert_eq!(
        r,
        json!({"failed": 422, "why": "bad order", "text": "Unprocessable Entity"})
    );
    // The reject data is the four-field response object.
    let id = webhook_with(
        &app,
        json!({"method": "POST", "return": "$all"}),
        json!([{"key": "call", "operation": "request", "options": {"url": api.url}}]),
    )
    .await;
    let all = call(&app, &id, json!({})).await;
    let mut keys: Vec<&str> = all["call"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["data", "headers", "status", "statusText"]);
    assert_eq!(all["call"]["status"], 422);
    // With error_on_reject an admin caller sees a 500 (the data is not a Directus error).
    let id = webhook_with(
        &app,
        json!({"method": "POST", "error_on_reject": true}),
        json!([{"key": "call", "operation": "request", "options": {"url": api.url}}]),
    )
    .await;
    app.admin()
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await
        .assert_error(500, "INTERNAL_SERVER_ERROR");
}

#[tokio::test]
async fn request_to_loopback_is_refused_by_the_default_deny_list() {
    let api = Receiver::start(200, json!({})).await;
    // Default configuration: IMPORT_IP_DENY_LIST = 0.0.0.0,169.254.169.254.
    let app = TestApp::spawn().await;
    let port = api.url.rsplit(':').next().unwrap().to_owned();
    for (url, host) in [
        (api.url.clone(), "127.0.0.1"),
        (format!("http://localhost:{port}/x"), "localhost"),
        (
            "http://169.254.169.254/latest/meta-data".to_owned(),
            "169.254.169.254",
        ),
    ] {
        let r = run_op(
            &app,
            json!({"operation": "request", "options": {"url": url}}),
            json!({}),
        )
        .await;
        assert_eq!(
            r["message"],
            format!("Requested domain \"{host}\" resolves to a denied IP address"),
            "{url}: {r}"
        );
    }
    assert!(api.received().is_empty(), "nothing reached the receiver");
}

/// A server answering every request with a redirect to `to`.
async fn redirector(to: String) -> String {
    let app = axum::Router::new().fallback(move || {
        let to = to.clone();
        async move { axum::response::Redirect::temporary(&to) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

#[tokio::test]
async fn request_redirects_are_checked_against_the_deny_list() {
    let api = Receiver::start(200, json!({"landed": true})).await;
    let port = api.url.rsplit(':').next().unwrap().to_owned();
    // Only 127.0.0.2 (and names resolving to it) is denied here.
    let app = TestApp::spawn_with(|c| c.import_ip_deny_list = vec!["127.0.0.2".into()]).await;
    let req = |url: &str| json!({"operation": "request", "options": {"url": url}});
    // A redirect to an allowed address is followed.
    let ok = redirector(format!("{}/final", api.url)).await;
    let r = run_op(&app, req(&ok), json!({})).await;
    assert_eq!(r["data"], json!({"landed": true}), "{r}");
    assert_eq!(api.wait_for(1).await[0].path, "/final");
    // A redirect to a denied address is refused before connecting.
    let bad = redirector(format!("http://127.0.0.2:{port}/inner")).await;
    let r = run_op(&app, req(&bad), json!({})).await;
    assert_eq!(
        r["message"], "Requested domain \"127.0.0.2\" resolves to a denied IP address",
        "{r}"
    );
    assert_eq!(api.received().len(), 1);
}

#[tokio::test]
async fn request_times_out() {
    // A server that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let app = TestApp::spawn_with(|c| {
        c.import_ip_deny_list = vec![];
        c.flows_request_timeout = Duration::from_millis(300);
    })
    .await;
    let id = webhook(
        &app,
        json!([
            {"key": "call", "operation": "request", "options": {"url": format!("http://{addr}/slow")},
             "reject": "late"},
            {"key": "late", "operation": "transform", "options": {"json": {"late": "{{$last.message}}"}}}
        ]),
    )
    .await;
    let r = call(&app, &id, json!({})).await;
    // FLOWS_REQUEST_TIMEOUT, in axios's words.
    assert_eq!(r, json!({"late": "timeout of 300ms exceeded"}));
}

// ---------------------------------------------------------------------------------------------
// trigger (§4.11)
// ---------------------------------------------------------------------------------------------

/// An operation flow answering `{n, doubled}` for its payload after an optional wait, and
/// recording each run in `runs_seen`.
async fn child_flow(app: &TestApp, ret: Option<&str>) -> String {
    let mut options = json!({});
    if let Some(r) = ret {
        options["return"] = json!(r);
    }
    create_flow(
        app,
        json!({"name": "child", "trigger": "operation", "options": options,
        "operations": [
            {"key": "wait", "operation": "sleep", "options": {"milliseconds": "{{$trigger.wait}}"}},
            {"key": "seen", "operation": "item-create",
             "options": {"collection": "runs_seen", "payload": {"n": "{{$trigger.n}}"}}},
            {"key": "answer", "operation": "transform",
             "options": {"json": {"n": "{{$trigger.n}}", "who": "{{$accountability.user}}"}}}
        ]}),
    )
    .await
}

async fn seen(app: &TestApp) -> Vec<i64> {
    rows(app, "runs_seen")
        .await
        .iter()
        .map(|r| r["n"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn trigger_runs_a_child_flow_once_or_per_element() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        "runs_seen",
        json!([{"field": "n", "type": "integer"}]),
    )
    .await;
    let child = child_flow(&app, Some("$last")).await;
    let parent = |payload: Value, extra: Value| {
        let mut options = json!({"flow": child, "payload": payload});
        for (k, v) in extra.as_object().unwrap() {
            options[k] = v.clone();
        }
        json!({"operation": "trigger", "options": options})
    };
    let me = app.admin().get("/users/me").await.body["data"]["id"].clone();

    // An object payload: one run; the child's `$trigger` is the payload, and it runs with the
    // parent's accountability.
    let r = run_op(&app, parent(json!({"n": 7}), json!({})), json!({})).await;
    assert_eq!(r, json!({"n": 7, "who": me}));
    // A payload from the trigger, as a JSON string (S4).
    let r = run_op(
        &app,
        parent(json!("{\"n\": {{$trigger.n}}}"), json!({})),
        json!({"n": 8}),
    )
    .await;
    assert_eq!(r["n"], 8);
    assert_eq!(seen(&app).await, [7, 8]);

    // An array payload: one run per element, results in input order, in every mode. The
    // first element waits longest, so only a serial or batched run keeps it first in line.
    let items = json!([{"n": 1, "wait": 150}, {"n": 2, "wait": 0}, {"n": 3, "wait": 0}]);
    let expect = json!([{"n": 1, "who": me}, {"n": 2, "who": me}, {"n": 3, "who": me}]);
    for (mode, extra) in [
        ("parallel", json!({})),
        ("parallel", json!({"iterationMode": "parallel"})),
        ("serial", json!({"iterationMode": "serial"})),
        ("batch", json!({"iterationMode": "batch", "batchSize": 2})),
    ] {
        let before = seen(&app).await.len();
        let r = run_op(&app, parent(items.clone(), extra), json!({})).await;
        assert_eq!(r, expect, "{mode}");
        let order = seen(&app).await[before..].to_vec();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [1, 2, 3], "{mode}: every element ran once");
        match mode {
            "serial" => assert_eq!(order, [1, 2, 3], "serial runs one after another"),
            // Batches of two: the third element starts only after the first batch is done.
            "batch" => assert_eq!(order[2], 3, "{order:?}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn trigger_answers_null_without_return_or_target() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        "runs_seen",
        json!([{"field": "n", "type": "integer"}]),
    )
    .await;
    // Operation flows have no default `return`: the child runs but answers nothing.
    let silent = child_flow(&app, None).await;
    let webhook_flow = webhook(&app, json!([])).await;
    let ghost = uuid::Uuid::new_v4().to_string();
    for (target, runs) in [
        (silent.as_str(), 1),
        (ghost.as_str(), 0),
        // Not an operation flow.
        (webhook_flow.as_str(), 0),
        ("not-a-uuid", 0),
    ] {
        let before = seen(&app).await.len();
        let id = webhook(
            &app,
            json!([
                {"key": "run", "operation": "trigger",
                 "options": {"flow": target, "payload": {"n": 1}}, "reject": "rejected"},
                // Resolve path: the trigger result is null, not a rejection.
                {"key": "after", "operation": "transform", "options": {"json": {"child": "{{run}}"}}},
                {"key": "rejected", "operation": "transform", "options": {"json": {"rejected": true}}}
            ]),
        )
        .await;
        let r = call(&app, &id, json!({})).await;
        assert_eq!(r, json!({"child": null}), "{target}");
        assert_eq!(seen(&app).await.len() - before, runs, "{target}");
    }
}

#[tokio::test]
async fn trigger_depth_is_bounded() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        "runs_seen",
        json!([{"field": "n", "type": "integer"}]),
    )
    .await;
    // A flow that triggers itself.
    let me = create_flow(
        &app,
        json!({"name": "recursive", "trigger": "operation", "options": {"return": "$last"},
        "operations": [
            {"key": "seen", "operation": "item-create",
             "options": {"collection": "runs_seen", "payload": {"n": 1}}},
            {"key": "again", "operation": "trigger", "options": {"flow": null}}
        ]}),
    )
    .await;
    let op = app
        .admin()
        .get(&format!(
            "/operations?filter[flow][_eq]={me}&filter[key][_eq]=again"
        ))
        .await
        .body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .admin()
        .patch(
            &format!("/operations/{op}"),
            json!({"options": {"flow": me}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = run_op(
        &app,
        json!({"operation": "trigger", "options": {"flow": me}}),
        json!({}),
    )
    .await;
    // The deepest run's trigger operation rejects; each level returns that as its `$last`.
    assert_eq!(r["name"], "Error", "{r}");
    assert_eq!(
        r["message"],
        "Flows can trigger flows at most 16 levels deep"
    );
    assert_eq!(seen(&app).await.len(), 16);
}

// ---------------------------------------------------------------------------------------------
// sleep, log, transform, throw-error (§4.6, §4.8, §4.9, §4.15)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn sleep_waits_and_answers_null() {
    let app = TestApp::spawn().await;
    for ms in [json!(150), json!("150"), json!("{{$trigger.ms}}")] {
        let id = webhook(
            &app,
            json!([{"key": "nap", "operation": "sleep", "options": {"milliseconds": ms}}]),
        )
        .await;
        let started = Instant::now();
        let r = call(&app, &id, json!({"ms": 150})).await;
        assert!(started.elapsed() >= Duration::from_millis(150), "{ms}");
        assert_eq!(r, Value::Null);
    }
}

#[tokio::test]
async fn log_answers_null_and_renders_against_a_redacted_chain() {
    let app = TestApp::spawn().await;
    let id = create_flow(
        &app,
        json!({"name": "logger", "trigger": "webhook", "accountability": "all",
               "options": {"method": "POST"},
               "operations": [
                   {"key": "note", "operation": "log",
                    "options": {"message": "order {{$trigger.order}} auth={{$trigger.headers.authorization}}"}},
                   {"key": "obj", "operation": "log", "options": {"message": {"n": "{{$trigger.order}}"}}},
                   {"key": "after", "operation": "transform", "options": {"json": {"last": "{{$last}}"}}}
               ]}),
    )
    .await;
    let r = call(&app, &id, json!({"order": 12})).await;
    // A log step answers null.
    assert_eq!(r, json!({"last": null}));
    app.flush_logs().await;
    let rev = app
        .admin()
        .get(&format!(
            "/revisions?filter[collection][_eq]=directus_flows&filter[item][_eq]={id}"
        ))
        .await;
    let steps = &rev.body["data"][0]["data"]["steps"];
    assert_eq!(
        steps[0]["options"]["message"], "order 12 auth=--redacted--",
        "{}",
        rev.text
    );
    assert_eq!(steps[1]["options"]["message"], json!({"n": 12}));
    assert_eq!(rev.body["data"][0]["data"]["data"]["note"], Value::Null);
}

#[tokio::test]
async fn transform_returns_objects_and_parsed_json_strings() {
    let app = TestApp::spawn().await;
    let tf = |json: Value| json!({"operation": "transform", "options": {"json": json}});
    assert_eq!(
        run_op(
            &app,
            tf(json!({"a": "{{$trigger.a}}", "b": [1, "{{$trigger.a}}"]})),
            json!({"a": 2})
        )
        .await,
        json!({"a": 2, "b": [1, 2]})
    );
    assert_eq!(
        run_op(
            &app,
            tf(json!(
                "{\"a\": {{$trigger.a}}, \"list\": {{$trigger.list}}}"
            )),
            json!({"a": 2, "list": [1, 2]})
        )
        .await,
        json!({"a": 2, "list": [1, 2]})
    );
    assert_eq!(
        run_op(&app, tf(json!("[1, 2]")), json!({})).await,
        json!([1, 2])
    );
    assert_eq!(run_op(&app, tf(json!(5)), json!({})).await, json!(5));
    // A string that is not JSON rejects.
    let r = run_op(&app, tf(json!("{nope")), json!({})).await;
    assert_eq!(r["name"], "SyntaxError", "{r}");
}

#[tokio::test]
async fn throw_error_builds_directus_errors() {
    let app = TestApp::spawn().await;
    let thrower =
        |options: Value| json!([{"key": "boom", "operation": "throw-error", "options": options}]);
    let strict = json!({"method": "POST", "error_on_reject": true});
    // Defaults: 500 INTERNAL_SERVER_ERROR with Directus's default message.
    let id = webhook_with(&app, strict.clone(), thrower(json!({}))).await;
    let r = app
        .anon()
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await;
    // (anonymous callers are refused first: D2)
    r.assert_error(403, "FORBIDDEN");
    make_public(&app, &id).await;
    let r = app
        .anon()
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await;
    r.assert_error(500, "INTERNAL_SERVER_ERROR");
    assert_eq!(r.message(), "An unexpected error occurred.");
    // Custom code (upper-cased), status and a rendered message.
    let id = webhook_with(
        &app,
        strict.clone(),
        thrower(json!({"code": "out_of_stock", "status": "409",
                       "message": "No {{$trigger.sku}} left"})),
    )
    .await;
    let r: Resp = app
        .admin()
        .post(&format!("/flows/trigger/{id}"), json!({"sku": "A-1"}))
        .await;
    r.assert_error(409, "OUT_OF_STOCK");
    assert_eq!(r.message(), "No A-1 left");
    // An invalid status becomes 500.
    let id = webhook_with(&app, strict, thrower(json!({"code": "X", "status": "abc"}))).await;
    app.admin()
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await
        .assert_error(500, "X");
    // Without error_on_reject too, a run that ends on it answers its error (product.md D11).
    let id = webhook(&app, thrower(json!({"code": "gone", "status": "410"}))).await;
    app.admin()
        .post(&format!("/flows/trigger/{id}"), json!({}))
        .await
        .assert_error(410, "GONE");
}

// ---------------------------------------------------------------------------------------------
// condition (§4.1, §5.2, S2, D6, D7, D8)
// ---------------------------------------------------------------------------------------------

/// A flow that answers `{"pass": true}` or `{"pass": false, "errors": <reject data>}`.
async fn condition_flow(app: &TestApp, filter: Value) -> String {
    webhook(
        app,
        json!([
            {"key": "check", "operation": "condition", "options": {"filter": filter},
             "resolve": "yes", "reject": "no"},
            {"key": "yes", "operation": "transform", "options": {"json": {"pass": true}}},
            {"key": "no", "operation": "transform", "options": {"json": {"pass": false, "errors": "{{$last}}"}}}
        ]),
    )
    .await
}

/// Whether the filter passes for this request (body, query string, extra headers).
async fn passes(
    app: &TestApp,
    id: &str,
    body: Value,
    query: &str,
    headers: &[(&str, &str)],
) -> bool {
    let mut client = app.admin();
    for (k, v) in headers {
        client = client.with_header(k, v);
    }
    let r = call_as_path(&client, &format!("/flows/trigger/{id}{query}"), body).await;
    r["pass"].as_bool().unwrap_or_else(|| panic!("{r}"))
}

async fn call_as_path(client: &TestClient, path: &str, body: Value) -> Value {
    let r = client.post(path, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].clone()
}

#[tokio::test]
async fn condition_bare_fields_follow_s2() {
    let app = TestApp::spawn().await;
    let f = condition_flow(&app, json!({"kind": {"_eq": "a"}})).await;
    // From the body …
    assert!(passes(&app, &f, json!({"kind": "a"}), "", &[]).await);
    assert!(!passes(&app, &f, json!({"kind": "b"}), "", &[]).await);
    // … the query string …
    assert!(passes(&app, &f, json!({}), "?kind=a", &[]).await);
    // … or a header (lower-cased).
    assert!(passes(&app, &f, json!({}), "", &[("Kind", "a")]).await);
    // The body comes before the query, the query before the headers.
    assert!(!passes(&app, &f, json!({"kind": "b"}), "?kind=a", &[]).await);
    assert!(!passes(&app, &f, json!({}), "?kind=b", &[("kind", "a")]).await);
    // Missing everywhere: the rule fails as required.
    let id = condition_flow(&app, json!({"kind": {"_eq": "a"}})).await;
    let r = call(&app, &id, json!({})).await;
    assert_eq!(r["pass"], false);
    assert_eq!(r["errors"][0]["code"], "FAILED_VALIDATION");
    assert_eq!(r["errors"][0]["extensions"]["field"], "kind");
    assert_eq!(r["errors"][0]["extensions"]["type"], "required");

    // `$last` first, and a `$last` holding one object is looked into.
    let id = webhook(
        &app,
        json!([
            {"key": "read", "operation": "transform", "options": {"json": [{"count": 3}]}},
            {"key": "check", "operation": "condition", "options": {"filter": {"count": {"_lte": 5}}},
             "resolve": "yes", "reject": "no"},
            {"key": "yes", "operation": "transform", "options": {"json": {"pass": true}}},
            {"key": "no", "operation": "transform", "options": {"json": {"pass": false}}}
        ]),
    )
    .await;
    // The body's `count` is not consulted: `$last` has the key.
    assert_eq!(
        call(&app, &id, json!({"count": 50})).await,
        json!({"pass": true})
    );

    // Data-chain keys keep their Directus meaning.
    let f = condition_flow(
        &app,
        json!({"$trigger": {"body": {"n": {"_gt": 1}}, "method": {"_eq": "POST"}}}),
    )
    .await;
    assert!(passes(&app, &f, json!({"n": 2}), "", &[]).await);
    assert!(!passes(&app, &f, json!({"n": 1}), "", &[]).await);
}

#[tokio::test]
async fn condition_empty_rules_follow_d6() {
    let app = TestApp::spawn().await;
    let nempty = condition_flow(&app, json!({"email": {"_nempty": true}})).await;
    let empty = condition_flow(&app, json!({"email": {"_empty": true}})).await;
    for (body, is_empty) in [
        (json!({}), true),
        (json!({"email": null}), true),
        (json!({"email": ""}), true),
        (json!({"email": []}), true),
        (json!({"email": "a@b.co"}), false),
        (json!({"email": ["x"]}), false),
    ] {
        assert_eq!(
            passes(&app, &empty, body.clone(), "", &[]).await,
            is_empty,
            "_empty {body}"
        );
        assert_eq!(
            passes(&app, &nempty, body.clone(), "", &[]).await,
            !is_empty,
            "_nempty {body}"
        );
    }
}

#[tokio::test]
async fn condition_between_and_nbetween_follow_d7() {
    let app = TestApp::spawn().await;
    let between = condition_flow(&app, json!({"n": {"_between": [1, 3]}})).await;
    let nbetween = condition_flow(&app, json!({"n": {"_nbetween": [1, 3]}})).await;
    for (n, inside) in [
        (json!(0), false),
        (json!(1), true),
        (json!(2), true),
        (json!("3"), true),
        (json!(3.5), false),
        (json!(10), false),
    ] {
        let body = json!({"n": n});
        assert_eq!(
            passes(&app, &between, body.clone(), "", &[]).await,
            inside,
            "_between {n}"
        );
        assert_eq!(
            passes(&app, &nbetween, body.clone(), "", &[]).await,
            !inside,
            "_nbetween {n}"
        );
    }
    // A failed `_nbetween` names its bounds.
    let r = call(&app, &nbetween, json!({"n": 2})).await;
    assert_eq!(r["errors"][0]["extensions"]["type"], "nbetween", "{r}");
}

/// The filter reads numeric and date text the way JavaScript's `Number()`, Joi and `Date` do:
/// surrounding white space is ECMAScript's (no-break space, U+2028, …), and U+0085 (NEL) is
/// not part of it, so `"\u{85}5"` is text, not the number 5.
#[tokio::test]
async fn condition_reads_numbers_and_dates_with_javascript_white_space() {
    let app = TestApp::spawn().await;
    let nel_eq = condition_flow(&app, json!({"n": {"_eq": "\u{85}5"}})).await;
    let nbsp_eq = condition_flow(&app, json!({"n": {"_eq": "\u{a0}5"}})).await;
    let below = condition_flow(&app, json!({"n": {"_lt": 10}})).await;
    let after = condition_flow(&app, json!({"at": {"_gt": "2024-01-01"}})).await;
    // `_eq` with numeric text also accepts its number, only when `Number(text)` is one.
    assert!(!passes(&app, &nel_eq, json!({"n": 5}), "", &[]).await);
    assert!(passes(&app, &nel_eq, json!({"n": "\u{85}5"}), "", &[]).await);
    assert!(passes(&app, &nbsp_eq, json!({"n": 5}), "", &[]).await);
    // A number rule converts trimmed numeric text; NEL text is not a number.
    assert!(passes(&app, &below, json!({"n": "\u{2028}5\u{3000}"}), "", &[]).await);
    let r = call(&app, &below, json!({"n": "\u{85}5"})).await;
    assert_eq!(r["pass"], false, "{r}");
    assert_eq!(r["errors"][0]["extensions"]["type"], "required", "{r}");
    // Likewise for dates.
    assert!(passes(&app, &after, json!({"at": "\u{feff}2024-06-01 "}), "", &[]).await);
    assert!(!passes(&app, &after, json!({"at": "\u{85}2024-06-01"}), "", &[]).await);
}

#[tokio::test]
async fn condition_compares_dates_with_now_adjustments() {
    let app = TestApp::spawn().await;
    let recent = condition_flow(&app, json!({"at": {"_gte": "$NOW(-1 hour)"}})).await;
    let past = condition_flow(&app, json!({"at": {"_lt": "$NOW"}})).await;
    let soon = condition_flow(&app, json!({"at": {"_between": ["$NOW", "$NOW(+2 days)"]}})).await;
    let now = Utc::now();
    let at = |mins: i64| json!({"at": (now + chrono::Duration::minutes(mins)).to_rfc3339()});
    assert!(passes(&app, &recent, at(-30), "", &[]).await);
    assert!(!passes(&app, &recent, at(-90), "", &[]).await);
    assert!(passes(&app, &past, at(-1), "", &[]).await);
    assert!(!passes(&app, &past, at(60), "", &[]).await);
    assert!(passes(&app, &soon, at(24 * 60), "", &[]).await);
    assert!(!passes(&app, &soon, at(3 * 24 * 60), "", &[]).await);
    // `{{$NOW}}` (D8) renders the current time, which is not after `$NOW`.
    let id = webhook(
        &app,
        json!([
            {"key": "stamp", "operation": "transform", "options": {"json": {"at": "{{$NOW}}"}}},
            {"key": "check", "operation": "condition",
             "options": {"filter": {"at": {"_lte": "$NOW", "_gt": "$NOW(-1 minute)"}}},
             "resolve": "yes", "reject": "no"},
            {"key": "yes", "operation": "transform", "options": {"json": {"pass": true}}},
            {"key": "no", "operation": "transform", "options": {"json": {"pass": false, "e": "{{$last}}"}}}
        ]),
    )
    .await;
    assert_eq!(call(&app, &id, json!({})).await, json!({"pass": true}));
}
