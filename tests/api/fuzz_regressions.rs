//! Inputs the fuzz targets (docs/fuzzing.md) once failed on, sent over HTTP the way they reach
//! the server in production.

use serde_json::{Value, json};
use tests::TestApp;

/// Every operation's (x, y) in an exported flow document.
fn positions(doc: &Value) -> Vec<(i64, i64)> {
    doc["operations"]
        .as_array()
        .map(|ops| {
            ops.iter()
                .map(|o| {
                    (
                        o["position_x"].as_i64().unwrap_or(0),
                        o["position_y"].as_i64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Laying out operations next to one placed at `i32::MAX` overflowed (a panic that dropped the
/// connection in debug builds, wrapped-around negative positions in release builds).
#[tokio::test]
async fn flow_positions_at_the_integer_limit_are_laid_out() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let doc = json!({"name": "edge", "trigger": "webhook", "operations": [
        {"key": "a", "operation": "condition", "options": {}, "reject": "c",
         "position_x": i32::MAX, "position_y": i32::MAX},
        {"key": "b", "operation": "log", "options": {}},
        {"key": "c", "operation": "log", "options": {}}
    ]});
    let created = admin.post("/flows", doc).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let id = created.body["data"]["id"].as_str().expect("flow id");

    let exported = admin.get(&format!("/flows/{id}?export=document")).await;
    assert_eq!(exported.status, 200, "{}", exported.text);
    let doc = exported.body["data"].clone();
    let placed = positions(&doc);
    assert_eq!(placed.len(), 3, "{doc}");
    assert!(
        placed
            .iter()
            .all(|&(x, y)| (1..=i64::from(i32::MAX)).contains(&x)
                && (1..=i64::from(i32::MAX)).contains(&y)),
        "{placed:?}"
    );

    // The export posts again and exports the same.
    let again = admin.post("/flows", doc.clone()).await;
    assert_eq!(again.status, 200, "{}", again.text);
    let id2 = again.body["data"]["id"].as_str().expect("flow id");
    let exported2 = admin.get(&format!("/flows/{id2}?export=document")).await;
    assert_eq!(exported2.body["data"], doc);
}

/// `fields[1]=name&fields[]=id`: the pushed `id` took the key `"1"` and overwrote `name`, so a
/// query parameter was dropped without a word.
#[tokio::test]
async fn bracket_push_after_an_index_keeps_both_values() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let created = admin
        .post(
            "/collections",
            json!({"collection": "things", "schema": {}, "fields": [
                {"field": "name", "type": "string"}]}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let item = admin.post("/items/things", json!({"name": "kept"})).await;
    assert_eq!(item.status, 200, "{}", item.text);

    let r = admin.get("/items/things?fields[1]=name&fields[]=id").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let row = &r.body["data"][0];
    assert_eq!(row["name"], "kept", "{}", r.text);
    assert!(row["id"].is_number(), "{}", r.text);
}

/// `a=1&a[x]=1&a=1&a[x]=1&…`: each repeat wrapped the previous value one level deeper, so 1000
/// parameters built a 500-level value that no JSON reader (serde's limit is 128) takes back,
/// e.g. a webhook's `$trigger.query` in its run log.
#[tokio::test]
async fn repeated_keys_do_not_nest_a_query_string_deeper() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let flow = admin
        .post(
            "/flows",
            json!({"name": "q", "trigger": "webhook", "options": {"method": "GET"},
                   "operations": [{"key": "t", "operation": "transform",
                                   "options": {"json": {"seen": "{{$trigger.query.a.x}}"}}}]}),
        )
        .await;
    assert_eq!(flow.status, 200, "{}", flow.text);
    let id = flow.body["data"]["id"].as_str().expect("flow id");
    let query = "a=1&a[x]=1&".repeat(200);

    let r = admin.get(&format!("/flows/trigger/{id}?{query}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.flush_logs().await;
    let rev = admin
        .get(&format!(
            "/revisions?filter[item][_eq]={id}&filter[collection][_eq]=directus_flows"
        ))
        .await;
    assert_eq!(rev.status, 200, "{}", rev.text);
    let a = &rev.body["data"][0]["data"]["data"]["$trigger"]["query"]["a"];
    assert!(
        a.is_object(),
        "{}",
        rev.text.chars().take(300).collect::<String>()
    );
    // Every value is kept: 200 of `a` and 200 of `a[x]`.
    let x = a["x"].as_array().map_or(0, Vec::len);
    assert_eq!(x, 200, "{a}");
    assert_eq!(a.as_object().map_or(0, |o| o.len()), 201, "{a}");
}
