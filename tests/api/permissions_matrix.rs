//! The access model through the API (directus.md §8): roles with parents, policies, access
//! links and permission rows made over HTTP; a caller × action matrix with the exact rows
//! and fields each caller gets; presets, validation, dynamic variables, ip_access,
//! additive policies and per-row field visibility.

use serde_json::{Value, json};
use tests::{TestApp, TestClient};

use crate::fixtures::{
    PUBLIC_POLICY, attach, create_collection, delete_with, ids, keys, make_policy, make_role,
    make_user, permit,
};

const OTHER: &str = "99999999-9999-4999-8999-999999999999";

/// `articles` with rows 1–4; rows 1, 2 and 4 belong to `owner`.
async fn articles(app: &TestApp, owner: &str) {
    create_collection(
        app,
        json!({"collection": "articles", "schema": {}, "fields": [
            {"field": "title", "type": "string"},
            {"field": "status", "type": "string"},
            {"field": "owner", "type": "uuid"},
            {"field": "secret", "type": "string"},
            {"field": "score", "type": "integer"}]}),
    )
    .await;
    let r = app
        .admin()
        .post(
            "/items/articles",
            json!([
                {"title": "pub-1", "status": "published", "owner": owner, "secret": "s1", "score": 1},
                {"title": "draft-2", "status": "draft", "owner": owner, "secret": "s2", "score": 2},
                {"title": "pub-3", "status": "published", "owner": OTHER, "secret": "s3", "score": 3},
                {"title": "arch-4", "status": "archived", "owner": owner, "secret": "s4", "score": 4}
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn read_rows(client: &TestClient) -> Result<Vec<Value>, (u16, String)> {
    let r = client.get("/items/articles?sort=id").await;
    if r.status == 200 {
        Ok(r.body["data"].as_array().unwrap().clone())
    } else {
        Err((r.status, r.code().to_owned()))
    }
}

fn row_ids(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

/// The articles as the admin sees them (the truth after writes).
async fn truth(app: &TestApp) -> Vec<Value> {
    app.admin()
        .get("/items/articles?sort=id&limit=-1")
        .await
        .body["data"]
        .as_array()
        .unwrap()
        .clone()
}

struct World {
    app: TestApp,
    editor_id: String,
    editor: TestClient,
    nobody: TestClient,
}

/// Staff (parent) ← Editor (child) role; the Editing policy hangs on the parent role;
/// Public may read published titles; Nobody has a role without policies.
async fn world() -> World {
    let app = TestApp::spawn().await;
    let staff = make_role(&app, "Staff", None).await;
    let editor_role = make_role(&app, "Editor", Some(&staff)).await;
    let nobody_role = make_role(&app, "Nobody", None).await;
    let (editor_id, editor) = make_user(&app, "editor@example.com", Some(&editor_role)).await;
    let (_, nobody) = make_user(&app, "nobody@example.com", Some(&nobody_role)).await;
    articles(&app, &editor_id).await;

    let editing = make_policy(&app, json!({"name": "Editing", "app_access": true})).await;
    attach(&app, Some(&staff), None, &editing).await;
    permit(
        &app,
        &editing,
        "articles",
        "read",
        json!({"permissions": {"status": {"_eq": "published"}}, "fields": ["id", "title", "status"]}),
    )
    .await;
    permit(
        &app,
        &editing,
        "articles",
        "create",
        json!({"fields": ["title", "status", "score"],
               "presets": {"status": "draft", "owner": "$CURRENT_USER"},
               "validation": {"score": {"_lte": 10}}}),
    )
    .await;
    permit(
        &app,
        &editing,
        "articles",
        "update",
        json!({"permissions": {"owner": {"_eq": "$CURRENT_USER"}}, "fields": "title,score"}),
    )
    .await;
    permit(
        &app,
        PUBLIC_POLICY,
        "articles",
        "read",
        json!({"permissions": {"status": {"_eq": "published"}}, "fields": ["id", "title"]}),
    )
    .await;
    World {
        app,
        editor_id,
        editor,
        nobody,
    }
}

#[tokio::test]
async fn caller_by_action_matrix() {
    let w = world().await;
    let app = &w.app;
    let admin = app.admin();
    let public = app.anon();
    let all_fields = vec!["id", "owner", "score", "secret", "status", "title"];

    // ---- read
    let rows = read_rows(&admin).await.unwrap();
    assert_eq!(row_ids(&rows), vec![1, 2, 3, 4]);
    assert!(rows.iter().all(|r| keys(r) == all_fields));

    let rows = read_rows(&w.editor).await.unwrap();
    assert_eq!(
        Value::Array(rows),
        json!([{"id": 1, "title": "pub-1", "status": "published"},
               {"id": 3, "title": "pub-3", "status": "published"}])
    );
    let rows = read_rows(&public).await.unwrap();
    assert_eq!(
        Value::Array(rows),
        json!([{"id": 1, "title": "pub-1"}, {"id": 3, "title": "pub-3"}])
    );
    assert_eq!(
        read_rows(&w.nobody).await,
        Err((403, "FORBIDDEN".to_owned()))
    );
    // Reads of single items follow the same rules.
    assert_eq!(w.editor.get("/items/articles/3").await.status, 200);
    w.editor
        .get("/items/articles/2")
        .await
        .assert_error(403, "FORBIDDEN");
    public
        .get("/items/articles/4")
        .await
        .assert_error(403, "FORBIDDEN");
    w.nobody
        .get("/items/articles/1")
        .await
        .assert_error(403, "FORBIDDEN");
    // Fields outside the grant cannot be read, filtered or sorted on.
    for qs in [
        "fields=secret",
        "filter[secret][_eq]=s1",
        "sort=owner",
        "aggregate[sum]=score",
    ] {
        let r = w.editor.get(&format!("/items/articles?{qs}")).await;
        r.assert_error(403, "FORBIDDEN");
        assert!(
            r.message().contains("in collection \"articles\""),
            "{qs}: {}",
            r.text
        );
    }
    let r = public.get("/items/articles?fields=status").await;
    r.assert_error(403, "FORBIDDEN");
    // Counts only count reachable rows.
    let r = public.get("/items/articles?meta=total_count").await;
    assert_eq!(r.body["meta"]["total_count"], 2, "{}", r.text);
    let r = w.editor.get("/items/articles?aggregate[count]=*").await;
    assert_eq!(r.body["data"], json!([{"count": 2}]), "{}", r.text);

    // ---- create
    let r = admin
        .post(
            "/items/articles?fields=id",
            json!({"title": "by-admin", "secret": "x"}),
        )
        .await;
    assert_eq!(r.body["data"]["id"], 5, "{}", r.text);
    // The editor creates a draft (preset) it cannot read back: 204.
    let r = w
        .editor
        .post("/items/articles", json!({"title": "by-editor", "score": 5}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    // With an explicit published status it can read it back (its own fields only).
    let r = w
        .editor
        .post(
            "/items/articles",
            json!({"title": "pub-by-editor", "status": "published", "score": 6}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"data": {"id": 7, "title": "pub-by-editor", "status": "published"}}),
        "{}",
        r.text
    );
    // A field outside the create grant.
    let r = w
        .editor
        .post("/items/articles", json!({"title": "x", "secret": "y"}))
        .await;
    r.assert_error(403, "FORBIDDEN");
    assert_eq!(
        r.message(),
        "You don't have permission to perform \"create\" for the field(s) \"secret\" in collection \"articles\" or it does not exist."
    );
    for client in [&public, &w.nobody] {
        let r = client.post("/items/articles", json!({"title": "x"})).await;
        r.assert_error(403, "FORBIDDEN");
        assert_eq!(
            r.message(),
            "You don't have permission to access collection \"articles\" or it does not exist. Queried in root."
        );
    }
    let after = truth(app).await;
    assert_eq!(row_ids(&after), vec![1, 2, 3, 4, 5, 6, 7]);
    // Presets filled what the editor left out, $CURRENT_USER included.
    assert_eq!(after[5]["status"], "draft");
    assert_eq!(after[5]["owner"], w.editor_id.as_str());
    assert_eq!(after[5]["score"], 5);
    assert_eq!(after[6]["status"], "published");
    assert_eq!(after[6]["owner"], w.editor_id.as_str());

    // ---- update
    // Own published row: updated and readable.
    let r = w
        .editor
        .patch("/items/articles/1", json!({"title": "pub-1b"}))
        .await;
    assert_eq!(
        r.body,
        json!({"data": {"id": 1, "title": "pub-1b", "status": "published"}}),
        "{}",
        r.text
    );
    // Own draft: updated, but not readable afterwards → 204.
    let r = w
        .editor
        .patch("/items/articles/2", json!({"score": 20}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    // Someone else's row (readable, but outside the update filter) → 403.
    let r = w
        .editor
        .patch("/items/articles/3", json!({"title": "hijack"}))
        .await;
    r.assert_error(403, "FORBIDDEN");
    assert_eq!(
        r.message(),
        "You don't have permission to perform \"update\" for collection \"articles\" or it does not exist."
    );
    // A missing row → 403 for non-admins.
    w.editor
        .patch("/items/articles/999", json!({"title": "x"}))
        .await
        .assert_error(403, "FORBIDDEN");
    // A field outside the update grant.
    let r = w
        .editor
        .patch("/items/articles/1", json!({"status": "draft"}))
        .await;
    r.assert_error(403, "FORBIDDEN");
    assert!(r.message().contains("\"status\""), "{}", r.text);
    // By keys / by query touching a foreign row: all or nothing.
    w.editor
        .patch(
            "/items/articles",
            json!({"keys": [1, 3], "data": {"title": "both"}}),
        )
        .await
        .assert_error(403, "FORBIDDEN");
    w.editor
        .patch(
            "/items/articles",
            json!({"query": {"filter": {"status": {"_eq": "published"}}}, "data": {"title": "q"}}),
        )
        .await
        .assert_error(403, "FORBIDDEN");
    w.editor
        .patch(
            "/items/articles",
            json!([{"id": 1, "title": "b1"}, {"id": 3, "title": "b3"}]),
        )
        .await
        .assert_error(403, "FORBIDDEN");
    for client in [&public, &w.nobody] {
        client
            .patch("/items/articles/1", json!({"title": "x"}))
            .await
            .assert_error(403, "FORBIDDEN");
    }
    let r = admin
        .patch("/items/articles/3?fields=title", json!({"title": "pub-3b"}))
        .await;
    assert_eq!(r.body, json!({"data": {"title": "pub-3b"}}), "{}", r.text);
    let after = truth(app).await;
    assert_eq!(
        after
            .iter()
            .map(|r| (r["title"].as_str().unwrap(), r["score"].as_i64()))
            .collect::<Vec<_>>(),
        vec![
            ("pub-1b", Some(1)),
            ("draft-2", Some(20)),
            ("pub-3b", Some(3)),
            ("arch-4", Some(4)),
            ("by-admin", None),
            ("by-editor", Some(5)),
            ("pub-by-editor", Some(6)),
        ]
    );

    // ---- delete
    for client in [&w.editor, &public, &w.nobody] {
        let r = client.delete("/items/articles/1").await;
        r.assert_error(403, "FORBIDDEN");
        assert_eq!(
            r.message(),
            "You don't have permission to perform \"delete\" for collection \"articles\" or it does not exist."
        );
        delete_with(client, "/items/articles", json!([1, 3]))
            .await
            .assert_error(403, "FORBIDDEN");
        delete_with(client, "/items/articles", json!({"query": {}}))
            .await
            .assert_error(403, "FORBIDDEN");
    }
    assert_eq!(row_ids(&truth(app).await), vec![1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(admin.delete("/items/articles/5").await.status, 204);
    assert_eq!(row_ids(&truth(app).await), vec![1, 2, 3, 4, 6, 7]);
}

#[tokio::test]
async fn update_and_delete_outside_the_item_filter_are_forbidden() {
    let app = TestApp::spawn().await;
    let role = make_role(&app, "Owners", None).await;
    let (me, user) = make_user(&app, "owner@example.com", Some(&role)).await;
    articles(&app, &me).await;
    let policy = make_policy(&app, json!({"name": "Own rows"})).await;
    attach(&app, Some(&role), None, &policy).await;
    let mine = json!({"permissions": {"owner": {"_eq": "$CURRENT_USER"}}});
    for action in ["read", "update", "delete"] {
        permit(&app, &policy, "articles", action, mine.clone()).await;
    }
    // $CURRENT_USER in the read filter: only own rows, all fields.
    let r = user.get("/items/articles?sort=id").await;
    assert_eq!(ids(&r), vec![1, 2, 4]);
    // Row 3 belongs to someone else.
    user.patch("/items/articles/3", json!({"title": "x"}))
        .await
        .assert_error(403, "FORBIDDEN");
    user.delete("/items/articles/3")
        .await
        .assert_error(403, "FORBIDDEN");
    delete_with(&user, "/items/articles", json!({"keys": [4, 3]}))
        .await
        .assert_error(403, "FORBIDDEN");
    // Own rows work.
    let r = user
        .patch("/items/articles/2", json!({"title": "mine"}))
        .await;
    assert_eq!(r.body["data"]["title"], "mine", "{}", r.text);
    assert_eq!(user.delete("/items/articles/4").await.status, 204);
    let r = delete_with(
        &user,
        "/items/articles",
        json!({"query": {"filter": {"status": {"_eq": "draft"}}}}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(row_ids(&truth(&app).await), vec![1, 3]);
    // Giving a row away through an update is allowed (the filter checks the row before).
    let r = user
        .patch("/items/articles/1", json!({"owner": OTHER}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    user.patch("/items/articles/1", json!({"owner": me}))
        .await
        .assert_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn validation_rules_answer_failed_validation_arrays() {
    let w = world().await;
    // score ≤ 10 from the permission's validation.
    let r = w
        .editor
        .post("/items/articles", json!({"title": "big", "score": 50}))
        .await;
    r.assert_error(400, "FAILED_VALIDATION");
    let errors = r.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{}", r.text);
    assert_eq!(errors[0]["extensions"]["field"], "score");
    assert_eq!(errors[0]["extensions"]["type"], "lte");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Validation failed for field \"score\"")
    );
    // Several failures are listed together (a required field plus the rule).
    let app = &w.app;
    let r = app
        .admin()
        .post(
            "/fields/articles",
            json!({"field": "lang", "type": "string", "meta": {"required": true}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let policies = app
        .admin()
        .get("/policies?filter[name][_eq]=Editing&fields=id")
        .await;
    let editing = policies.body["data"][0]["id"].as_str().unwrap().to_owned();
    permit(
        app,
        &editing,
        "articles",
        "create",
        json!({"fields": ["lang"], "validation": {"title": {"_starts_with": "T"}}}),
    )
    .await;
    let r = w
        .editor
        .post("/items/articles", json!({"title": "bad", "score": 99}))
        .await;
    r.assert_error(400, "FAILED_VALIDATION");
    let mut fields: Vec<String> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["extensions"]["code"], "FAILED_VALIDATION");
            e["extensions"]["field"].as_str().unwrap().to_owned()
        })
        .collect();
    fields.sort();
    assert_eq!(fields, vec!["lang", "score", "title"], "{}", r.text);
    // Nothing was written.
    assert_eq!(row_ids(&truth(app).await), vec![1, 2, 3, 4]);
    let r = w
        .editor
        .post(
            "/items/articles",
            json!({"title": "Top", "score": 3, "lang": "en"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
}

#[tokio::test]
async fn policies_add_up_and_partial_fields_show_only_on_granting_rows() {
    let app = TestApp::spawn().await;
    let role = make_role(&app, "Multi", None).await;
    let (me, user) = make_user(&app, "multi@example.com", Some(&role)).await;
    articles(&app, &me).await;
    let a = make_policy(&app, json!({"name": "Published titles"})).await;
    let b = make_policy(&app, json!({"name": "Archived secrets"})).await;
    attach(&app, Some(&role), None, &a).await;
    // The second policy hangs on the user directly.
    attach(&app, None, Some(&me), &b).await;
    permit(
        &app,
        &a,
        "articles",
        "read",
        json!({"permissions": {"status": {"_eq": "published"}}, "fields": ["id", "title"]}),
    )
    .await;
    permit(
        &app,
        &b,
        "articles",
        "read",
        json!({"permissions": {"status": {"_eq": "archived"}}, "fields": ["id", "title", "secret"]}),
    )
    .await;
    let r = user.get("/items/articles?sort=id").await;
    assert_eq!(
        r.body["data"],
        json!([
            {"id": 1, "title": "pub-1", "secret": null},
            {"id": 3, "title": "pub-3", "secret": null},
            {"id": 4, "title": "arch-4", "secret": "s4"}
        ]),
        "{}",
        r.text
    );
    // Filtering on the partial field only finds it where it is visible.
    let r = user.get("/items/articles?filter[secret][_eq]=s1").await;
    assert_eq!(ids(&r), Vec::<i64>::new());
    let r = user
        .get("/items/articles?filter[secret][_nnull]=true")
        .await;
    assert_eq!(ids(&r), vec![4]);
    let r = user.get("/items/articles/1?fields=secret").await;
    assert_eq!(r.body["data"], json!({"secret": null}), "{}", r.text);
    // Not granted anywhere.
    user.get("/items/articles?fields=status")
        .await
        .assert_error(403, "FORBIDDEN");
    // /permissions/me unions both.
    let r = user.get("/permissions/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let read = &r.body["data"]["articles"]["read"];
    assert_eq!(read["access"], "partial");
    let mut fields: Vec<String> = read["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    assert_eq!(fields, vec!["id", "secret", "title"]);
    assert!(r.body["data"]["articles"].get("create").is_none());
}

#[tokio::test]
async fn ip_access_excludes_a_policy() {
    let app = TestApp::spawn().await;
    let role = make_role(&app, "Office", None).await;
    let (me, user) = make_user(&app, "office@example.com", Some(&role)).await;
    articles(&app, &me).await;
    let office = make_policy(
        &app,
        json!({"name": "Office only", "ip_access": "10.0.0.0/8,192.168.1.5"}),
    )
    .await;
    attach(&app, Some(&role), None, &office).await;
    permit(&app, &office, "articles", "read", json!({})).await;
    let inside = user.with_header("x-forwarded-for", "10.20.30.40");
    let exact = user.with_header("x-forwarded-for", "192.168.1.5");
    let outside = user.with_header("x-forwarded-for", "203.0.113.9");
    assert_eq!(ids(&inside.get("/items/articles").await).len(), 4);
    assert_eq!(ids(&exact.get("/items/articles").await).len(), 4);
    outside
        .get("/items/articles")
        .await
        .assert_error(403, "FORBIDDEN");
    let me_out = outside.get("/permissions/me").await;
    assert_eq!(me_out.body["data"], json!({}), "{}", me_out.text);
    let me_in = inside.get("/permissions/me").await;
    assert_eq!(me_in.body["data"]["articles"]["read"]["access"], "full");
}

#[tokio::test]
async fn the_public_policy_and_roleless_users() {
    let app = TestApp::spawn().await;
    let (me, roleless) = make_user(&app, "free@example.com", None).await;
    articles(&app, &me).await;
    // Nothing granted yet: the public sees nothing.
    app.anon()
        .get("/items/articles")
        .await
        .assert_error(403, "FORBIDDEN");
    permit(
        &app,
        PUBLIC_POLICY,
        "articles",
        "read",
        json!({"permissions": {"_and": [{"status": {"_neq": "draft"}}, {"score": {"_gte": 3}}]},
               "fields": ["id", "score"]}),
    )
    .await;
    let r = app.anon().get("/items/articles?sort=id").await;
    assert_eq!(
        r.body["data"],
        json!([{"id": 3, "score": 3}, {"id": 4, "score": 4}]),
        "{}",
        r.text
    );
    // A user without a role gets the public policies (directus.md §8.2).
    let r = roleless.get("/items/articles?sort=id").await;
    assert_eq!(ids(&r), vec![3, 4]);
    // Public /permissions/me.
    let r = app.anon().get("/permissions/me").await;
    assert_eq!(r.body["data"]["articles"]["read"]["access"], "partial");
    assert_eq!(
        r.body["data"]["articles"]["read"]["fields"],
        json!(["id", "score"])
    );
    // Removing the permission row takes access away at once.
    let perms = app
        .admin()
        .get(&format!(
            "/permissions?filter[policy][_eq]={PUBLIC_POLICY}&filter[collection][_eq]=articles&fields=id"
        ))
        .await;
    let id = perms.body["data"][0]["id"].clone();
    assert_eq!(
        app.admin()
            .delete(&format!("/permissions/{id}"))
            .await
            .status,
        204
    );
    app.anon()
        .get("/items/articles")
        .await
        .assert_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn permissions_me_and_access_admin_routes() {
    let w = world().await;
    let r = w.editor.get("/permissions/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let a = &r.body["data"]["articles"];
    assert_eq!(a["read"]["access"], "partial");
    assert_eq!(a["read"]["fields"], json!(["id", "title", "status"]));
    assert_eq!(a["create"]["access"], "partial");
    assert_eq!(
        a["create"]["presets"],
        json!({"status": "draft", "owner": "$CURRENT_USER"})
    );
    assert_eq!(a["update"]["fields"], json!(["title", "score"]));
    assert!(a.get("delete").is_none());
    let r = w.nobody.get("/permissions/me").await;
    assert_eq!(r.body["data"], json!({}));
    let r = w.app.admin().get("/permissions/me").await;
    assert_eq!(r.body["data"]["articles"]["delete"]["access"], "full");

    // The access collections are admin-only and readable with the query language.
    for path in ["/roles", "/policies", "/access", "/permissions"] {
        w.editor.get(path).await.assert_error(403, "FORBIDDEN");
        w.app.anon().get(path).await.assert_error(403, "FORBIDDEN");
        w.editor
            .post(path, json!({"name": "x"}))
            .await
            .assert_error(403, "FORBIDDEN");
    }
    let r = w
        .app
        .admin()
        .get("/roles?filter[name][_eq]=Editor&fields=name,parent")
        .await;
    let staff = w
        .app
        .admin()
        .get("/roles?filter[name][_eq]=Staff&fields=id")
        .await;
    assert_eq!(
        r.body["data"],
        json!([{"name": "Editor", "parent": staff.body["data"][0]["id"]}])
    );
    let r = w
        .app
        .admin()
        .get("/permissions?filter[collection][_eq]=articles&sort=id&fields=action,fields")
        .await;
    assert_eq!(
        r.body["data"],
        json!([
            {"action": "read", "fields": ["id", "title", "status"]},
            {"action": "create", "fields": ["title", "status", "score"]},
            {"action": "update", "fields": ["title", "score"]},
            {"action": "read", "fields": ["id", "title"]}
        ]),
        "{}",
        r.text
    );
    // Taking the policy off the parent role removes the editor's access.
    let access = w
        .app
        .admin()
        .get(&format!(
            "/access?filter[role][_eq]={}&fields=id",
            staff.body["data"][0]["id"].as_str().unwrap()
        ))
        .await;
    let link = access.body["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        w.app
            .admin()
            .delete(&format!("/access/{link}"))
            .await
            .status,
        204
    );
    w.editor
        .get("/items/articles")
        .await
        .assert_error(403, "FORBIDDEN");
}
