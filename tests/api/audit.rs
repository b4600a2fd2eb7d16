//! Activity and revisions (directus.md §6, §8): one activity row per written item with the
//! caller's user, ip and agent; revisions with the item data and the delta; both readable with
//! the query language; a collection whose `accountability` is null records nothing.

use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{
    admin_id, attach, create_collection, delete_with, make_policy, make_role, make_user, permit,
};

fn data(r: &tests::Resp) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn writes_record_activity_and_revisions_with_accountability() {
    let app = TestApp::spawn().await;
    let me = admin_id(&app).await;
    create_collection(
        &app,
        json!({"collection": "ledger", "schema": {}, "fields": [
            {"field": "label", "type": "string"},
            {"field": "amount", "type": "integer"}]}),
    )
    .await;
    let admin = app
        .admin()
        .with_header("x-forwarded-for", "198.51.100.7")
        .with_header("user-agent", "audit-test/1.0")
        .with_header("origin", "https://example.test");
    let r = admin
        .post("/items/ledger", json!({"label": "a", "amount": 5}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = admin
        .post(
            "/items/ledger",
            json!([{"label": "b"}, {"label": "c", "amount": 7}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = admin.patch("/items/ledger/1", json!({"amount": 6})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = admin
        .patch(
            "/items/ledger",
            json!({"keys": [2, 3], "data": {"label": "bc"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(admin.delete("/items/ledger/2").await.status, 204);

    let acts = data(
        &app.admin()
            .get("/activity?filter[collection][_eq]=ledger&sort=id&limit=-1")
            .await,
    );
    let summary: Vec<(String, String)> = acts
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_owned(),
                a["item"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("create", "1"),
        ("create", "2"),
        ("create", "3"),
        ("update", "1"),
        ("update", "2"),
        ("update", "3"),
        ("delete", "2"),
    ]
    .iter()
    .map(|(a, i)| ((*a).to_owned(), (*i).to_owned()))
    .collect();
    assert_eq!(summary, expected);
    for a in &acts {
        assert_eq!(a["user"], me.as_str(), "{a}");
        assert_eq!(a["ip"], "198.51.100.7", "{a}");
        assert_eq!(a["user_agent"], "audit-test/1.0", "{a}");
        assert_eq!(a["origin"], "https://example.test", "{a}");
        assert!(
            a["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{a}"
        );
    }

    let revs = data(
        &app.admin()
            .get("/revisions?filter[collection][_eq]=ledger&sort=id&limit=-1")
            .await,
    );
    // One revision per create and update; deletes have none.
    assert_eq!(revs.len(), 6, "{revs:?}");
    let act_id = |i: usize| acts[i]["id"].clone();
    assert_eq!(revs[0]["activity"], act_id(0));
    assert_eq!(revs[0]["item"], "1");
    assert_eq!(revs[0]["data"], json!({"id": 1, "label": "a", "amount": 5}));
    assert_eq!(revs[0]["delta"], json!({"label": "a", "amount": 5}));
    assert_eq!(revs[1]["delta"], json!({"label": "b"}));
    assert_eq!(revs[3]["activity"], act_id(3));
    assert_eq!(revs[3]["data"], json!({"id": 1, "label": "a", "amount": 6}));
    assert_eq!(revs[3]["delta"], json!({"amount": 6}));
    assert_eq!(revs[5]["item"], "3");
    assert_eq!(
        revs[5]["data"],
        json!({"id": 3, "label": "bc", "amount": 7})
    );
    assert_eq!(revs[5]["delta"], json!({"label": "bc"}));
}

#[tokio::test]
async fn activity_and_revisions_speak_the_query_language() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        json!({"collection": "notes", "schema": {}, "fields": [{"field": "t", "type": "string"}]}),
    )
    .await;
    for t in ["x", "y", "z"] {
        app.admin().post("/items/notes", json!({"t": t})).await;
    }
    app.admin()
        .patch("/items/notes/2", json!({"t": "yy"}))
        .await;
    delete_with(&app.admin(), "/items/notes", json!([3])).await;

    let r = app
        .admin()
        .get("/activity?filter[collection][_eq]=notes&filter[action][_in]=update,delete&sort=-id&fields=action,item")
        .await;
    assert_eq!(
        r.body["data"],
        json!([{"action": "delete", "item": "3"}, {"action": "update", "item": "2"}]),
        "{}",
        r.text
    );
    let r = app
        .admin()
        .get("/activity?filter[collection][_eq]=notes&meta=filter_count&limit=1&aggregate[count]=*")
        .await;
    assert_eq!(r.body["data"], json!([{"count": 5}]), "{}", r.text);
    let r = app
        .admin()
        .get(&format!(
            "/revisions?filter={}&fields=item,delta",
            crate::fixtures::enc(r#"{"collection":{"_eq":"notes"},"item":{"_eq":"2"}}"#)
        ))
        .await;
    assert_eq!(
        r.body["data"],
        json!([{"item": "2", "delta": {"t": "y"}}, {"item": "2", "delta": {"t": "yy"}}]),
        "{}",
        r.text
    );
    // Single rows, and the read-only nature of the audit routes.
    let first = app
        .admin()
        .get("/activity?filter[collection][_eq]=notes&sort=id&limit=1&fields=id")
        .await;
    let id = first.body["data"][0]["id"].clone();
    let r = app
        .admin()
        .get(&format!("/activity/{id}?fields=action"))
        .await;
    assert_eq!(r.body["data"], json!({"action": "create"}), "{}", r.text);
    let r = app
        .admin()
        .post("/activity", json!({"action": "create"}))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = app.admin().delete(&format!("/activity/{id}")).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Unknown fields are answered as in /items.
    app.admin()
        .get("/activity?fields=nope")
        .await
        .assert_error(403, "FORBIDDEN");
    // Non-admins without permissions cannot read the audit trail.
    app.anon()
        .get("/activity")
        .await
        .assert_error(403, "FORBIDDEN");
    app.anon()
        .get("/revisions")
        .await
        .assert_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn accountability_null_records_nothing_and_activity_skips_revisions() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        json!({"collection": "quiet", "schema": {}, "meta": {"accountability": null},
               "fields": [{"field": "t", "type": "string"}]}),
    )
    .await;
    create_collection(
        &app,
        json!({"collection": "brief", "schema": {}, "meta": {"accountability": "activity"},
               "fields": [{"field": "t", "type": "string"}]}),
    )
    .await;
    let c = app.admin().get("/collections/quiet").await;
    assert_eq!(
        c.body["data"]["meta"]["accountability"],
        Value::Null,
        "{}",
        c.text
    );
    for coll in ["quiet", "brief"] {
        let admin = app.admin();
        assert_eq!(
            admin
                .post(&format!("/items/{coll}"), json!({"t": "a"}))
                .await
                .status,
            200
        );
        assert_eq!(
            admin
                .patch(&format!("/items/{coll}/1"), json!({"t": "b"}))
                .await
                .status,
            200
        );
        assert_eq!(admin.delete(&format!("/items/{coll}/1")).await.status, 204);
    }
    let count = |path: String| {
        let admin = app.admin();
        async move {
            admin.get(&path).await.body["data"][0]["count"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(
        count("/activity?filter[collection][_eq]=quiet&aggregate[count]=*".into()).await,
        0
    );
    assert_eq!(
        count("/revisions?filter[collection][_eq]=quiet&aggregate[count]=*".into()).await,
        0
    );
    assert_eq!(
        count("/activity?filter[collection][_eq]=brief&aggregate[count]=*".into()).await,
        3
    );
    assert_eq!(
        count("/revisions?filter[collection][_eq]=brief&aggregate[count]=*".into()).await,
        0
    );
}

#[tokio::test]
async fn non_admin_writes_are_attributed_to_the_user() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        json!({"collection": "inbox", "schema": {}, "fields": [{"field": "t", "type": "string"}]}),
    )
    .await;
    let role = make_role(&app, "Writers", None).await;
    let (uid, user) = make_user(&app, "writer@example.com", Some(&role)).await;
    let policy = make_policy(&app, json!({"name": "Write inbox"})).await;
    attach(&app, Some(&role), None, &policy).await;
    permit(&app, &policy, "inbox", "create", json!({"fields": ["t"]})).await;
    permit(&app, &policy, "inbox", "read", json!({})).await;
    let r = user
        .with_header("x-forwarded-for", "203.0.113.50")
        .post("/items/inbox", json!({"t": "hello"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .admin()
        .get("/activity?filter[collection][_eq]=inbox&fields=user,ip,action")
        .await;
    assert_eq!(
        r.body["data"],
        json!([{"user": uid, "ip": "203.0.113.50", "action": "create"}]),
        "{}",
        r.text
    );
    // A failed write leaves no activity behind.
    let r = user
        .post("/items/inbox", json!([{"t": "ok"}, {"t": 5, "nope": 1}]))
        .await;
    r.assert_error(403, "FORBIDDEN");
    let r = app
        .admin()
        .get("/activity?filter[collection][_eq]=inbox&aggregate[count]=*")
        .await;
    assert_eq!(r.body["data"][0]["count"], 1);
}
