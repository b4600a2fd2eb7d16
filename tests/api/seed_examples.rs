//! The seed document's example flows (`shared/seed/webhooks.txt`) as acceptance tests
//! (product.md §4): each flow is created with ONE `POST /flows` exactly as the seed writes it
//! (JavaScript object syntax as JSON, `JSON.stringify(x)` as the JSON string of x; only a `name`
//! added where the snippet has none), triggered as the seed's prose says, and checked against
//! the prose. Every example runs twice: with the `{"data": …}` envelope (D3) and with
//! `FLOWS_RESPONSE_ENVELOPE=false` (Directus's raw bodies and 204s).
//!
//! Where a snippet is only part of a flow (Query Parameters, Access request headers, Rate
//! Limiting, Webhook Logs) the parts the seed leaves out — the webhook trigger and the
//! operations its `resolve`/`reject` name — are added and marked as such.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use tests::{Receiver, Resp, TestApp};

use crate::flows::create_flow;

pub const PUBLIC: &str = "abf8a154-5b1c-4a46-ac9c-7300570f4f17";

/// Boots a server with or without the success envelope.
async fn spawn(envelope: bool) -> TestApp {
    TestApp::spawn_with(|c| c.flows_response_envelope = envelope).await
}

/// Creates a table through `/collections` (an auto-increment integer `id` is added).
pub async fn create_collection(app: &TestApp, name: &str, fields: Value) {
    let r = app
        .admin()
        .post(
            "/collections",
            json!({"collection": name, "schema": {}, "meta": {}, "fields": fields}),
        )
        .await;
    assert_eq!(r.status, 200, "create collection {name}: {}", r.text);
}

/// Adds a permission row to a policy.
pub async fn grant(app: &TestApp, policy: &str, collection: &str, action: &str, filter: Value) {
    let r = app
        .admin()
        .post(
            "/permissions",
            json!({"policy": policy, "collection": collection, "action": action,
                   "permissions": filter, "fields": ["*"]}),
        )
        .await;
    assert_eq!(r.status, 200, "grant {action} on {collection}: {}", r.text);
}

/// Makes one flow public (D2: a `trigger` permission of the Public policy selecting it).
pub async fn make_public(app: &TestApp, flow: &str) {
    grant(
        app,
        PUBLIC,
        "directus_flows",
        "trigger",
        json!({"id": {"_eq": flow}}),
    )
    .await;
}

/// All rows of a collection (read as admin, by id).
pub async fn rows(app: &TestApp, collection: &str) -> Vec<Value> {
    let r = app
        .admin()
        .get(&format!("/items/{collection}?sort=id&limit=-1"))
        .await;
    assert_eq!(r.status, 200, "read {collection}: {}", r.text);
    r.body["data"].as_array().cloned().unwrap_or_default()
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// Asserts a synchronous webhook's success answer: `200 {"data": expected}` with the envelope
/// (D3); without it Directus's bare value with 200, or `204` and no body for a falsy value.
#[track_caller]
pub fn assert_answer(r: &Resp, envelope: bool, expected: &Value) {
    if envelope {
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body, json!({ "data": expected }), "{}", r.text);
    } else if truthy(expected) {
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(&r.body, expected, "{}", r.text);
    } else {
        assert_eq!(r.status, 204, "{}", r.text);
        assert_eq!(r.text, "");
    }
}

/// Asserts an async webhook's answer: 202 `{"data": null}` (D3) or Directus's 204.
#[track_caller]
fn assert_accepted(r: &Resp, envelope: bool) {
    if envelope {
        assert_eq!(r.status, 202, "{}", r.text);
        assert_eq!(r.body, json!({"data": null}));
    } else {
        assert_eq!(r.status, 204, "{}", r.text);
        assert_eq!(r.text, "");
    }
}

/// A stored timestamp close to now (`{{$NOW}}`, D8).
#[track_caller]
fn assert_recent(v: &Value) {
    let text = v.as_str().unwrap_or_else(|| panic!("not a timestamp: {v}"));
    let t: DateTime<Utc> = text
        .parse::<DateTime<Utc>>()
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|n| n.and_utc())
        })
        .unwrap_or_else(|e| panic!("not a timestamp: {text}: {e}"));
    let age = Utc::now() - t;
    assert!(
        age.num_seconds().abs() < 120,
        "timestamp {text} is not recent"
    );
}

fn trigger_path(id: &str) -> String {
    format!("/flows/trigger/{id}")
}

/// Runs one example with the envelope and once more with Directus's bodies.
macro_rules! both_bodies {
    ($example:ident, $with:ident, $without:ident) => {
        #[tokio::test]
        async fn $with() {
            $example(true).await;
        }
        #[tokio::test]
        async fn $without() {
            $example(false).await;
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Simple Data Ingestion
// ---------------------------------------------------------------------------------------------

async fn events_collection(app: &TestApp) {
    create_collection(
        app,
        "events",
        json!([{"field": "type", "type": "string"},
               {"field": "data", "type": "json"},
               {"field": "source_ip", "type": "string"},
               {"field": "timestamp", "type": "timestamp"}]),
    )
    .await;
}

fn simple_data_ingestion_flow() -> Value {
    json!({
        "name": "Simple Data Ingestion",
        "trigger": "webhook",
        "options": {"method": "POST", "async": false, "return": "$last"},
        "operations": [{
            "operation": "item-create",
            "options": {
                "collection": "events",
                "payload": {
                    "type": "{{$trigger.type}}",
                    "data": "{{$trigger.data}}",
                    "source_ip": "{{$accountability.ip}}",
                    "timestamp": "{{$NOW}}"
                },
                "permissions": "$full"
            }
        }]
    })
}

async fn simple_data_ingestion(envelope: bool) {
    let app = spawn(envelope).await;
    events_collection(&app).await;
    let id = create_flow(&app, simple_data_ingestion_flow()).await;
    let call = json!({"type": "purchase", "data": {"product_id": "prod_123", "amount": 99.99}});
    // The seed's curl carries no token: the flow must be made public first (D2).
    app.anon()
        .post(&trigger_path(&id), call.clone())
        .await
        .assert_error(403, "FORBIDDEN");
    assert!(rows(&app, "events").await.is_empty());
    make_public(&app, &id).await;

    let r = app.anon().post(&trigger_path(&id), call).await;
    // `return: '$last'` after an item-create: Directus's array of new keys (directus.md §4.2).
    let stored = rows(&app, "events").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_answer(&r, envelope, &json!([stored[0]["id"]]));
    let row = &stored[0];
    assert_eq!(row["type"], "purchase");
    // A whole-string placeholder keeps the JSON type: the object itself, not its text.
    assert_eq!(
        row["data"],
        json!({"product_id": "prod_123", "amount": 99.99})
    );
    assert_eq!(row["source_ip"], "127.0.0.1");
    assert_recent(&row["timestamp"]);
    // `permissions: '$full'`: the anonymous caller itself may not create events.
    app.anon()
        .post("/items/events", json!({"type": "direct"}))
        .await
        .assert_error(403, "FORBIDDEN");
}

both_bodies!(
    simple_data_ingestion,
    simple_data_ingestion_with_envelope,
    simple_data_ingestion_directus_bodies
);

// ---------------------------------------------------------------------------------------------
// Accessing Webhook Data (the `orders` operation of the seed's "Accessing Webhook Data")
// ---------------------------------------------------------------------------------------------

async fn orders_collection(app: &TestApp) {
    create_collection(
        app,
        "orders",
        json!([{"field": "customer_id", "type": "string"},
               {"field": "items", "type": "json"},
               {"field": "total", "type": "float"},
               {"field": "received_at", "type": "timestamp"}]),
    )
    .await;
}

async fn accessing_webhook_data(envelope: bool) {
    let app = spawn(envelope).await;
    orders_collection(&app).await;
    // The seed shows the operation alone; it is wrapped in the seed's first webhook flow
    // ("Process Incoming Data": POST, sync, `return: '$last'`).
    let id = create_flow(
        &app,
        json!({
            "name": "Process Incoming Data",
            "trigger": "webhook",
            "status": "active",
            "options": {"method": "POST", "async": false, "return": "$last"},
            "operations": [{
                "operation": "item-create",
                "options": {
                    "collection": "orders",
                    "payload": {
                        "customer_id": "{{$trigger.customer_id}}",
                        "items": "{{$trigger.items}}",
                        "total": "{{$trigger.total}}",
                        "received_at": "{{$NOW}}"
                    }
                }
            }]
        }),
    )
    .await;
    // The seed's "Authentication" curl: a bearer token and a JSON body.
    let r = app
        .admin()
        .post(
            &trigger_path(&id),
            json!({"customer_id": "cus_7", "items": [{"sku": "A", "qty": 2}], "total": 41.5}),
        )
        .await;
    let stored = rows(&app, "orders").await;
    assert_eq!(stored.len(), 1);
    assert_answer(&r, envelope, &json!([stored[0]["id"]]));
    // S1: `$trigger.customer_id` is the body's field.
    assert_eq!(stored[0]["customer_id"], "cus_7");
    assert_eq!(stored[0]["items"], json!([{"sku": "A", "qty": 2}]));
    assert_eq!(stored[0]["total"], json!(41.5));
    assert_recent(&stored[0]["received_at"]);
}

both_bodies!(
    accessing_webhook_data,
    accessing_webhook_data_with_envelope,
    accessing_webhook_data_directus_bodies
);

// ---------------------------------------------------------------------------------------------
// Conditional Processing
// ---------------------------------------------------------------------------------------------

fn conditional_processing_flow() -> Value {
    json!({
        "name": "Conditional Processing",
        "trigger": "webhook",
        "options": {"method": "POST", "async": false},
        "operations": [
            {
                "id": "check-type",
                "operation": "condition",
                "options": {"filter": {"type": {"_eq": "order"}}},
                "resolve": "process-order",
                "reject": "process-event"
            },
            {
                "id": "process-order",
                "operation": "item-create",
                "options": {"collection": "orders", "payload": "{{$trigger}}"}
            },
            {
                "id": "process-event",
                "operation": "item-create",
                "options": {"collection": "events", "payload": "{{$trigger}}"}
            }
        ]
    })
}

async fn conditional_processing(envelope: bool) {
    let app = spawn(envelope).await;
    orders_collection(&app).await;
    events_collection(&app).await;
    let id = create_flow(&app, conditional_processing_flow()).await;
    let admin = app.admin();

    // An order: the condition resolves, only `process-order` runs. `payload: '{{$trigger}}'`
    // supplies the body's fields (S1); `path`, `query`, `headers`, … are not columns and are
    // ignored, as Directus does for admins.
    let r = admin
        .post(
            &trigger_path(&id),
            json!({"type": "order", "customer_id": "cus_1", "total": 12.5, "items": ["x"]}),
        )
        .await;
    let orders = rows(&app, "orders").await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert!(rows(&app, "events").await.is_empty());
    // No `return` option: Directus's default `$last`, the new keys.
    assert_answer(&r, envelope, &json!([orders[0]["id"]]));
    assert_eq!(orders[0]["customer_id"], "cus_1");
    assert_eq!(orders[0]["total"], json!(12.5));
    assert_eq!(orders[0]["items"], json!(["x"]));

    // Anything else: the condition rejects, only `process-event` runs.
    let r = admin
        .post(
            &trigger_path(&id),
            json!({"type": "signup", "data": {"plan": "pro"}}),
        )
        .await;
    let events = rows(&app, "events").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(rows(&app, "orders").await.len(), 1);
    assert_answer(&r, envelope, &json!([events[0]["id"]]));
    assert_eq!(events[0]["type"], "signup");
    assert_eq!(events[0]["data"], json!({"plan": "pro"}));

    // No type at all is "not an order" too.
    admin
        .post(&trigger_path(&id), json!({"data": {"n": 1}}))
        .await;
    let events = rows(&app, "events").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["type"], Value::Null);
    assert_eq!(rows(&app, "orders").await.len(), 1);
}

both_bodies!(
    conditional_processing,
    conditional_processing_with_envelope,
    conditional_processing_directus_bodies
);

// ---------------------------------------------------------------------------------------------
// External API Integration
// ---------------------------------------------------------------------------------------------

async fn webhook_logs_collection(app: &TestApp) {
    create_collection(
        app,
        "webhook_logs",
        json!([{"field": "data", "type": "json"},
               {"field": "received_at", "type": "timestamp"},
               {"field": "status", "type": "string"},
               {"field": "result", "type": "json"},
               {"field": "flow_id", "type": "uuid"},
               {"field": "body", "type": "json"},
               {"field": "headers", "type": "json"},
               {"field": "ip", "type": "string"},
               {"field": "timestamp", "type": "timestamp"}]),
    )
    .await;
}

/// The seed's flow with the Receiver standing in for `https://api.example.com`.
fn external_api_flow(api: &str) -> Value {
    json!({
        "name": "External API Integration",
        "trigger": "webhook",
        "options": {"method": "POST", "async": true},
        "operations": [
            {
                "id": "save-webhook",
                "operation": "item-create",
                "options": {
                    "collection": "webhook_logs",
                    "payload": {"data": "{{$trigger}}", "received_at": "{{$NOW}}"}
                }
            },
            {
                "id": "call-api",
                "operation": "request",
                "options": {
                    "method": "POST",
                    "url": format!("{api}/process"),
                    "headers": {
                        "Authorization": "Bearer {{$env.API_TOKEN}}",
                        "Content-Type": "application/json"
                    },
                    // JSON.stringify({webhook_id: '{{$last.id}}', data: '{{$trigger.data}}'})
                    "body": r#"{"webhook_id":"{{$last.id}}","data":"{{$trigger.data}}"}"#
                }
            },
            {
                "id": "update-status",
                "operation": "item-update",
                "options": {
                    "collection": "webhook_logs",
                    "key": "{{$last.id}}",
                    "payload": {"status": "processed", "result": "{{$last}}"}
                }
            }
        ]
    })
}

async fn external_api_integration(envelope: bool) {
    let api = Receiver::start(200, json!({"accepted": true, "job": "job-1"})).await;
    let app = TestApp::spawn_with(|c| {
        c.flows_response_envelope = envelope;
        // The Receiver listens on loopback, which the default deny list refuses.
        c.import_ip_deny_list = vec![];
        c.flows_env_allow_list = vec!["API_TOKEN".into()];
        c.flows_env = vec![("API_TOKEN".into(), "example-api-token".into())];
    })
    .await;
    webhook_logs_collection(&app).await;
    let id = create_flow(&app, external_api_flow(&api.url)).await;

    // `data` is a plain string here: the seed puts `{{$trigger.data}}` inside the quotes of a
    // JSON string, so an object would be written into it as raw JSON text (Directus's string
    // interpolation) and the body would no longer be valid JSON.
    let r = app
        .admin()
        .post(&trigger_path(&id), json!({"data": "order-42"}))
        .await;
    // `async: true`: the caller is answered at once.
    assert_accepted(&r, envelope);

    let got = api.wait_for(1).await;
    let call = &got[0];
    assert_eq!(call.method, "POST");
    assert_eq!(call.path, "/process");
    assert_eq!(
        call.headers["authorization"].to_str().unwrap(),
        "Bearer example-api-token"
    );
    assert_eq!(
        call.headers["content-type"].to_str().unwrap(),
        "application/json"
    );
    // `$last` after item-create is the array of new keys, which has no `id`: inside a longer
    // string a missing path renders as "" (D5).
    assert_eq!(call.json(), json!({"webhook_id": "", "data": "order-42"}));

    // `update-status`: `key: '{{$last.id}}'` — `$last` is now the request's
    // `{status, statusText, headers, data}`, which has no `id`, so the key is null (D5) and
    // Directus's item-update runs by query (default limit 100): the one log row is updated.
    let admin = app.admin();
    app.eventually(|| {
        let admin = admin.clone();
        async move {
            admin.get("/items/webhook_logs").await.body["data"][0]["status"] == "processed"
        }
    })
    .await;
    let stored = rows(&app, "webhook_logs").await;
    assert_eq!(stored.len(), 1);
    let row = &stored[0];
    assert_eq!(row["data"]["body"], json!({"data": "order-42"}));
    assert_eq!(row["data"]["data"], "order-42");
    assert_eq!(row["data"]["method"], "POST");
    assert_eq!(row["data"]["path"], format!("/trigger/{id}"));
    assert_recent(&row["received_at"]);
    assert_eq!(row["result"]["status"], 200);
    assert_eq!(row["result"]["statusText"], "OK");
    assert_eq!(
        row["result"]["data"],
        json!({"accepted": true, "job": "job-1"})
    );
    assert!(
        row["result"]["headers"]["content-type"]
            .as_str()
            .is_some_and(|c| c.starts_with("application/json")),
        "{row}"
    );

    // With the seed's own call (`data` an object) the object's JSON text lands inside the
    // quotes: the body is sent as rendered, with the flow's JSON content type, though it is
    // no longer valid JSON — exactly what Directus sends.
    let r = app
        .admin()
        .post(
            &trigger_path(&id),
            json!({"type": "purchase", "data": {"product_id": "prod_123", "amount": 99.99}}),
        )
        .await;
    assert_accepted(&r, envelope);
    let got = api.wait_for(2).await;
    assert_eq!(
        got[1].body,
        r#"{"webhook_id":"","data":"{"product_id":"prod_123","amount":99.99}"}"#
    );
    assert_eq!(
        got[1].headers["content-type"].to_str().unwrap(),
        "application/json"
    );
    app.eventually(|| {
        let admin = admin.clone();
        async move {
            let r = admin
                .get("/items/webhook_logs?filter[status][_eq]=processed")
                .await;
            r.body["data"].as_array().map(Vec::len) == Some(2)
        }
    })
    .await;
}

both_bodies!(
    external_api_integration,
    external_api_integration_with_envelope,
    external_api_integration_directus_bodies
);

// ---------------------------------------------------------------------------------------------
// Validation and Error Handling
// ---------------------------------------------------------------------------------------------

fn validation_flow() -> Value {
    json!({
        "name": "Validation and Error Handling",
        "trigger": "webhook",
        "options": {"method": "POST", "async": false},
        "operations": [
            {
                "id": "validate",
                "operation": "condition",
                "options": {"filter": {"_and": [
                    {"email": {"_nempty": true}},
                    {"email": {"_contains": "@"}},
                    {"name": {"_nempty": true}}
                ]}},
                "resolve": "process",
                "reject": "error"
            },
            {
                "id": "process",
                "operation": "item-create",
                "options": {"collection": "subscribers", "payload": "{{$trigger}}"},
                "resolve": "success"
            },
            {
                "id": "success",
                "operation": "transform",
                "options": {"json": {
                    "success": true,
                    "message": "Subscriber created",
                    "id": "{{$last.id}}"
                }}
            },
            {
                "id": "error",
                "operation": "transform",
                "options": {"json": {
                    "success": false,
                    "message": "Invalid input: email and name are required"
                }}
            }
        ]
    })
}

async fn validation_and_error_handling(envelope: bool) {
    let app = spawn(envelope).await;
    create_collection(
        &app,
        "subscribers",
        json!([{"field": "email", "type": "string"}, {"field": "name", "type": "string"}]),
    )
    .await;
    let id = create_flow(&app, validation_flow()).await;
    // A public sign-up form: anyone may call it, and the item-create runs with the caller's
    // (public) permissions, so the public may create subscribers.
    make_public(&app, &id).await;
    grant(&app, PUBLIC, "subscribers", "create", json!({})).await;
    let anon = app.anon();

    let r = anon
        .post(
            &trigger_path(&id),
            json!({"email": "ann@example.com", "name": "Ann"}),
        )
        .await;
    // `id: '{{$last.id}}'`: `$last` is the array of new keys (Directus's item-create), which
    // has no `id`; a whole-string placeholder of a missing path is null (D5).
    assert_answer(
        &r,
        envelope,
        &json!({"success": true, "message": "Subscriber created", "id": null}),
    );
    let stored = rows(&app, "subscribers").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["email"], "ann@example.com");
    assert_eq!(stored[0]["name"], "Ann");

    let invalid =
        json!({"success": false, "message": "Invalid input: email and name are required"});
    for body in [
        json!({"name": "Bob"}),                             // missing email (D6)
        json!({"email": null, "name": "Bob"}),              // null email (D6)
        json!({"email": "", "name": "Bob"}),                // empty email
        json!({"email": "bob.example.com", "name": "Bob"}), // no @
        json!({"email": "bob@example.com"}),                // missing name
        json!({"email": "bob@example.com", "name": ""}),
        json!({}),
    ] {
        let r = anon.post(&trigger_path(&id), body.clone()).await;
        // The error branch is data, not an HTTP error (no error_on_reject).
        assert_answer(&r, envelope, &invalid);
    }
    assert_eq!(rows(&app, "subscribers").await.len(), 1);
}

both_bodies!(
    validation_and_error_handling,
    validation_and_error_handling_with_envelope,
    validation_and_error_handling_directus_bodies
);

// ---------------------------------------------------------------------------------------------
// GET Webhooks with Caching
// ---------------------------------------------------------------------------------------------

async fn get_webhooks_with_caching(envelope: bool) {
    let app = spawn(envelope).await;
    create_collection(
        &app,
        "products",
        json!([{"field": "name", "type": "string"},
               {"field": "price", "type": "float"},
               {"field": "status", "type": "string"},
               {"field": "secret_cost", "type": "float"}]),
    )
    .await;
    let admin = app.admin();
    let seeded = admin
        .post(
            "/items/products",
            json!([
                {"name": "Kettle", "price": 24.5, "status": "active", "secret_cost": 9.0},
                {"name": "Teapot", "price": 18.5, "status": "draft", "secret_cost": 7.0},
                {"name": "Mug", "price": 6.25, "status": "active", "secret_cost": 1.0}
            ]),
        )
        .await;
    assert_eq!(seeded.status, 200, "{}", seeded.text);
    let id = create_flow(
        &app,
        json!({
            "name": "GET Webhooks with Caching",
            "trigger": "webhook",
            "options": {"method": "GET", "async": false, "cacheEnabled": true},
            "operations": [{
                "operation": "item-read",
                "options": {
                    "collection": "products",
                    "query": {
                        "filter": {"status": {"_eq": "active"}},
                        "fields": ["id", "name", "price"],
                        "limit": 100
                    }
                }
            }]
        }),
    )
    .await;
    // A public catalogue: callers read products with their own (public) permissions.
    make_public(&app, &id).await;
    grant(&app, PUBLIC, "products", "read", json!({})).await;

    let r = app.anon().get(&trigger_path(&id)).await;
    let ids: Vec<Value> = rows(&app, "products")
        .await
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    assert_answer(
        &r,
        envelope,
        &json!([
            {"id": ids[0], "name": "Kettle", "price": 24.5},
            {"id": ids[2], "name": "Mug", "price": 6.25}
        ]),
    );
    // Only GET triggers it.
    app.anon()
        .post(&trigger_path(&id), json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
    // `cacheEnabled` only matters when the response cache is on (CACHE_ENABLED, off by
    // default as in Directus): a change shows on the next call.
    let r = admin
        .patch(
            &format!("/items/products/{}", ids[1]),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.anon().get(&trigger_path(&id)).await;
    let names: Vec<&str> = if envelope {
        r.body["data"].as_array().unwrap().iter()
    } else {
        r.body.as_array().unwrap().iter()
    }
    .map(|p| p["name"].as_str().unwrap())
    .collect();
    assert_eq!(names, ["Kettle", "Teapot", "Mug"]);
}

both_bodies!(
    get_webhooks_with_caching,
    get_webhooks_with_caching_with_envelope,
    get_webhooks_with_caching_directus_bodies
);

// ---------------------------------------------------------------------------------------------
// Query Parameters
// ---------------------------------------------------------------------------------------------

async fn query_parameters(envelope: bool) {
    let app = spawn(envelope).await;
    create_collection(
        &app,
        "articles",
        json!([{"field": "title", "type": "string"}, {"field": "status", "type": "string"}]),
    )
    .await;
    let mut seed = Vec::new();
    for i in 0..15 {
        seed.push(json!({"title": format!("active {i}"), "status": "active"}));
    }
    for i in 0..5 {
        seed.push(json!({"title": format!("draft {i}"), "status": "draft"}));
    }
    let r = app
        .admin()
        .post("/items/articles", Value::Array(seed))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The seed shows the operation and the call `GET /flows/trigger/{flow-id}?status=…&limit=…`;
    // the GET webhook flow around the operation is added.
    let id = create_flow(
        &app,
        json!({
            "name": "Query Parameters",
            "trigger": "webhook",
            "options": {"method": "GET"},
            "operations": [{
                "operation": "item-read",
                "options": {
                    "collection": "articles",
                    "query": {
                        "filter": {"status": {"_eq": "{{$trigger.query.status}}"}},
                        "limit": "{{$trigger.query.limit}}"
                    }
                }
            }]
        }),
    )
    .await;
    let admin = app.admin();
    let list = |r: &Resp| -> Vec<Value> {
        let v = if envelope { &r.body["data"] } else { &r.body };
        v.as_array()
            .unwrap_or_else(|| panic!("not a list: {}", r.text))
            .clone()
    };
    let r = admin
        .get(&format!("{}?status=active&limit=10", trigger_path(&id)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = list(&r);
    // The limit is the query string's "10", taken as a number (S4).
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|a| a["status"] == "active"));
    assert_eq!(got[0]["title"], "active 0");

    let r = admin
        .get(&format!("{}?status=draft&limit=3", trigger_path(&id)))
        .await;
    let got = list(&r);
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|a| a["status"] == "draft"));

    // Without `limit` the placeholder is null (D5), the query has no limit, and the default
    // limit (100) applies.
    let r = admin
        .get(&format!("{}?status=draft", trigger_path(&id)))
        .await;
    assert_eq!(list(&r).len(), 5);
    let r = admin
        .get(&format!("{}?status=active", trigger_path(&id)))
        .await;
    assert_eq!(list(&r).len(), 15);

    // A limit that is not a number is a bad query string, refused before the flow runs.
    admin
        .get(&format!("{}?status=active&limit=ten", trigger_path(&id)))
        .await
        .assert_error(400, "INVALID_QUERY");
}

both_bodies!(
    query_parameters,
    query_parameters_with_envelope,
    query_parameters_directus_bodies
);

// ---------------------------------------------------------------------------------------------
// Access request headers
// ---------------------------------------------------------------------------------------------

async fn access_request_headers(envelope: bool) {
    let app = TestApp::spawn_with(|c| {
        c.flows_response_envelope = envelope;
        c.flows_env_allow_list = vec!["WEBHOOK_SECRET".into()];
        c.flows_env = vec![("WEBHOOK_SECRET".into(), "s3cret-key".into())];
    })
    .await;
    // The seed shows the condition alone; the webhook flow around it and the two operations
    // its `resolve`/`reject` name are added: `process` answers, `unauthorized` throws a 401
    // that `error_on_reject` turns into the HTTP answer.
    let id = create_flow(
        &app,
        json!({
            "name": "Access request headers",
            "trigger": "webhook",
            "options": {"method": "POST", "error_on_reject": true},
            "operations": [
                {
                    "operation": "condition",
                    "options": {"filter": {"x-api-key": {"_eq": "{{$env.WEBHOOK_SECRET}}"}}},
                    "resolve": "process",
                    "reject": "unauthorized"
                },
                {"id": "process", "operation": "transform",
                 "options": {"json": {"accepted": true, "order": "{{$trigger.order}}"}}},
                {"id": "unauthorized", "operation": "throw-error",
                 "options": {"code": "INVALID_CREDENTIALS", "status": "401",
                             "message": "Invalid API key"}}
            ]
        }),
    )
    .await;
    // API keys instead of tokens: the flow itself is public.
    make_public(&app, &id).await;
    let path = trigger_path(&id);

    // S2: the bare `x-api-key` is the request header (header names are case-insensitive).
    for name in ["x-api-key", "X-API-Key"] {
        let r = app
            .anon()
            .with_header(name, "s3cret-key")
            .post(&path, json!({"order": 7}))
            .await;
        assert_answer(&r, envelope, &json!({"accepted": true, "order": 7}));
    }
    let r = app
        .anon()
        .with_header("x-api-key", "wrong")
        .post(&path, json!({"order": 7}))
        .await;
    r.assert_error(401, "INVALID_CREDENTIALS");
    assert_eq!(r.message(), "Invalid API key");
    app.anon()
        .post(&path, json!({"order": 7}))
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
}

both_bodies!(
    access_request_headers,
    access_request_headers_with_envelope,
    access_request_headers_directus_bodies
);

// ---------------------------------------------------------------------------------------------
// Rate Limiting
// ---------------------------------------------------------------------------------------------

async fn rate_limiting(envelope: bool) {
    let app = spawn(envelope).await;
    create_collection(
        &app,
        "webhook_calls",
        json!([{"field": "ip", "type": "string"}, {"field": "timestamp", "type": "timestamp"}]),
    )
    .await;
    // The seed's snippet has only the two operations; added: the webhook trigger
    // (`error_on_reject` so the rejection becomes the HTTP answer) and the operations its
    // `resolve`/`reject` name — `process` records the call, `rate-limited` throws a 429.
    let id = create_flow(
        &app,
        json!({
            "name": "Rate Limiting",
            "trigger": "webhook",
            "options": {"method": "POST", "error_on_reject": true},
            "operations": [
                {
                    "operation": "item-read",
                    "options": {
                        "collection": "webhook_calls",
                        "query": {
                            "filter": {
                                "ip": {"_eq": "{{$accountability.ip}}"},
                                "timestamp": {"_gte": "$NOW(-1 hour)"}
                            },
                            "aggregate": {"count": "*"}
                        }
                    }
                },
                {
                    "operation": "condition",
                    "options": {"filter": {"count": {"_lte": 100}}},
                    "resolve": "process",
                    "reject": "rate-limited"
                },
                {"id": "process", "operation": "item-create",
                 "options": {"collection": "webhook_calls",
                             "payload": {"ip": "{{$accountability.ip}}", "timestamp": "{{$NOW}}"}}},
                {"id": "rate-limited", "operation": "throw-error",
                 "options": {"code": "REQUESTS_EXCEEDED", "status": "429",
                             "message": "Too many requests"}}
            ]
        }),
    )
    .await;
    make_public(&app, &id).await;
    grant(&app, PUBLIC, "webhook_calls", "read", json!({})).await;
    grant(&app, PUBLIC, "webhook_calls", "create", json!({})).await;

    // 99 calls from this address in the last hour, plus some that must not count: older ones
    // and another address's.
    let now = Utc::now();
    let stamp = |mins: i64| (now - chrono::Duration::minutes(mins)).to_rfc3339();
    let mut seed = Vec::new();
    for i in 0..99 {
        seed.push(json!({"ip": "127.0.0.1", "timestamp": stamp(i % 50)}));
    }
    for i in 0..20 {
        seed.push(json!({"ip": "127.0.0.1", "timestamp": stamp(61 + i)}));
    }
    for i in 0..20 {
        seed.push(json!({"ip": "10.9.8.7", "timestamp": stamp(i)}));
    }
    let r = app
        .admin()
        .post("/items/webhook_calls", Value::Array(seed))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let path = trigger_path(&id);

    // 99 → allowed (now 100); 100 → allowed (now 101); 101 → limited.
    for expected_total in [140, 141] {
        let r = app.anon().post(&path, json!({})).await;
        let stored = rows(&app, "webhook_calls").await;
        assert_eq!(stored.len(), expected_total, "{}", r.text);
        let last = stored.last().unwrap();
        assert_eq!(last["ip"], "127.0.0.1");
        assert_recent(&last["timestamp"]);
        assert_answer(&r, envelope, &json!([last["id"]]));
    }
    let r = app.anon().post(&path, json!({})).await;
    r.assert_error(429, "REQUESTS_EXCEEDED");
    assert_eq!(r.message(), "Too many requests");
    assert_eq!(rows(&app, "webhook_calls").await.len(), 141);
}

both_bodies!(
    rate_limiting,
    rate_limiting_with_envelope,
    rate_limiting_directus_bodies
);

// ---------------------------------------------------------------------------------------------
// Webhook Logs
// ---------------------------------------------------------------------------------------------

async fn webhook_logs(envelope: bool) {
    let app = spawn(envelope).await;
    webhook_logs_collection(&app).await;
    // The seed's snippet is the first operation of any webhook flow; the trigger is added.
    let id = create_flow(
        &app,
        json!({
            "name": "Webhook Logs",
            "trigger": "webhook",
            "options": {"method": "PUT"},
            "operations": [{
                "operation": "item-create",
                "options": {
                    "collection": "webhook_logs",
                    "payload": {
                        "flow_id": "{{$flow.id}}",
                        "body": "{{$trigger}}",
                        "headers": "{{$trigger.headers}}",
                        "ip": "{{$accountability.ip}}",
                        "timestamp": "{{$NOW}}"
                    }
                }
            }]
        }),
    )
    .await;
    make_public(&app, &id).await;
    grant(&app, PUBLIC, "webhook_logs", "create", json!({})).await;

    let r = app
        .anon()
        .with_header("x-source", "billing")
        .request(
            Method::PUT,
            &format!("{}?attempt=2", trigger_path(&id)),
            Some(json!({"invoice": "inv-9", "paid": true})),
        )
        .await;
    let stored = rows(&app, "webhook_logs").await;
    assert_eq!(stored.len(), 1);
    assert_answer(&r, envelope, &json!([stored[0]["id"]]));
    let row = &stored[0];
    // `$flow` (D9).
    assert_eq!(row["flow_id"], id.as_str());
    // `body: '{{$trigger}}'` stores the whole trigger: the five keys plus the lifted body (S1).
    assert_eq!(row["body"]["path"], format!("/trigger/{id}"));
    assert_eq!(row["body"]["method"], "PUT");
    assert_eq!(row["body"]["query"], json!({"attempt": "2"}));
    assert_eq!(
        row["body"]["body"],
        json!({"invoice": "inv-9", "paid": true})
    );
    assert_eq!(row["body"]["invoice"], "inv-9");
    assert_eq!(row["headers"]["x-source"], "billing");
    assert_eq!(row["headers"]["content-type"], "application/json");
    assert_eq!(row["ip"], "127.0.0.1");
    assert_recent(&row["timestamp"]);
}

both_bodies!(
    webhook_logs,
    webhook_logs_with_envelope,
    webhook_logs_directus_bodies
);
