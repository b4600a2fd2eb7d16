//! Relational queries (issue 15 points 2–3): dotted `fields` and wildcards, o2m aliases as
//! keys or objects, relational `filter` with `_some`/`_none`, `sort` by a related field,
//! `deep`, permissions at every level with Directus's path text, and a bounded number of
//! statements whatever the row count — on the system relations and on user relations.

use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{attach, create_collection, make_policy, make_role, make_user, permit};

/// A relation made as a Directus client makes it (`POST /relations`, a real foreign key).
pub async fn relate(app: &TestApp, many: &str, field: &str, one: &str, one_field: Option<&str>) {
    let r = app
        .admin()
        .post(
            "/relations",
            json!({"collection": many, "field": field, "related_collection": one,
                   "schema": {"on_delete": "SET NULL"},
                   "meta": {"one_field": one_field}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// authors(id, name, secret) ← articles(id, title, author, score); authors.articles is the
/// o2m alias. Three authors, articles 1–5 (a1: 1,2,3; a2: 4; a3: none; 5 has no author).
async fn library(app: &TestApp) {
    create_collection(
        app,
        json!({"collection": "authors", "schema": {}, "fields": [
            {"field": "name", "type": "string"},
            {"field": "secret", "type": "string"}]}),
    )
    .await;
    create_collection(
        app,
        json!({"collection": "articles", "schema": {}, "fields": [
            {"field": "title", "type": "string"},
            {"field": "author", "type": "integer", "meta": {"special": ["m2o"]}},
            {"field": "score", "type": "integer"}]}),
    )
    .await;
    relate(app, "articles", "author", "authors", Some("articles")).await;
    let admin = app.admin();
    let r = admin
        .post(
            "/items/authors",
            json!([{"name": "Ada", "secret": "s-ada"}, {"name": "Bob", "secret": "s-bob"},
                   {"name": "Cy", "secret": "s-cy"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = admin
        .post(
            "/items/articles",
            json!([{"title": "one", "author": 1, "score": 3}, {"title": "two", "author": 1, "score": 1},
                   {"title": "three", "author": 1, "score": 2}, {"title": "four", "author": 2, "score": 5},
                   {"title": "five", "author": null, "score": 4}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

fn titles(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x["title"].as_str().unwrap_or("?").to_owned())
        .collect()
}

#[tokio::test]
async fn many_to_one_and_one_to_many_read_as_directus_answers_them() {
    let app = TestApp::spawn().await;
    library(&app).await;
    let admin = app.admin();
    // m2o: the key by default, the object on request (only the asked fields).
    let r = admin.get("/items/articles/1").await;
    assert_eq!(r.body["data"]["author"], 1, "{}", r.text);
    let r = admin
        .get("/items/articles/1?fields=title,author.name")
        .await;
    assert_eq!(
        r.body["data"],
        json!({"title": "one", "author": {"name": "Ada"}}),
        "{}",
        r.text
    );
    let r = admin
        .get("/items/articles?fields=id,author.*&sort=id")
        .await;
    let data = &r.body["data"];
    assert_eq!(data[0]["author"]["name"], "Ada", "{}", r.text);
    assert_eq!(data[0]["author"]["id"], 1);
    assert_eq!(data[4]["author"], Value::Null, "no author stays null");
    // o2m: an alias of child keys under `*`, objects on request.
    let r = admin.get("/items/authors?sort=id").await;
    assert_eq!(
        r.body["data"][0]["articles"],
        json!([1, 2, 3]),
        "{}",
        r.text
    );
    assert_eq!(r.body["data"][2]["articles"], json!([]));
    let r = admin
        .get("/items/authors/1?fields=name,articles.title")
        .await;
    assert_eq!(
        r.body["data"],
        json!({"name": "Ada", "articles": [{"title": "one"}, {"title": "two"}, {"title": "three"}]}),
        "{}",
        r.text
    );
    // `*.*`: every relation one level down.
    let r = admin.get("/items/articles/4?fields=*.*").await;
    assert_eq!(r.body["data"]["author"]["name"], "Bob", "{}", r.text);
    assert_eq!(r.body["data"]["author"]["articles"], json!([4]));
    // Two levels: articles → author → articles.
    let r = admin
        .get("/items/articles/4?fields=title,author.articles.title")
        .await;
    assert_eq!(
        r.body["data"]["author"]["articles"],
        json!([{"title": "four"}]),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn relational_filters_sorts_and_deep() {
    let app = TestApp::spawn().await;
    library(&app).await;
    let admin = app.admin();
    let r = admin
        .get("/items/articles?filter[author][name][_eq]=Ada&sort=id&fields=title")
        .await;
    assert_eq!(
        titles(&r.body["data"]),
        ["one", "two", "three"],
        "{}",
        r.text
    );
    let r = admin
        .get("/items/authors?filter[articles][_some][score][_gte]=5&fields=name")
        .await;
    assert_eq!(r.body["data"], json!([{"name": "Bob"}]), "{}", r.text);
    let r = admin
        .get("/items/authors?filter[articles][_none][score][_gte]=3&fields=name&sort=id")
        .await;
    assert_eq!(r.body["data"], json!([{"name": "Cy"}]), "{}", r.text);
    let r = admin
        .get("/items/authors?filter[articles][title][_eq]=four&fields=name")
        .await;
    assert_eq!(
        r.body["data"],
        json!([{"name": "Bob"}]),
        "implicit _some: {}",
        r.text
    );
    // Sort by a related field: Ada's before Bob's, the authorless last (ascending, nulls
    // last on both databases is not promised: only the named ones are compared).
    let r = admin
        .get("/items/articles?sort=-author.name,id&fields=title&filter[author][_nnull]=true")
        .await;
    assert_eq!(
        titles(&r.body["data"]),
        ["four", "one", "two", "three"],
        "{}",
        r.text
    );
    // deep: per-parent filter, sort and limit in one statement for every parent.
    let deep = r#"{"articles":{"_sort":["-score"],"_limit":2}}"#;
    let r = admin
        .get(&format!(
            "/items/authors?fields=name,articles.title&sort=id&deep={deep}"
        ))
        .await;
    assert_eq!(
        titles(&r.body["data"][0]["articles"]),
        ["one", "three"],
        "{}",
        r.text
    );
    assert_eq!(titles(&r.body["data"][1]["articles"]), ["four"]);
    let r = admin
        .get("/items/authors?fields=articles&sort=id&deep[articles][_filter][score][_lt]=3")
        .await;
    assert_eq!(r.body["data"][0]["articles"], json!([2, 3]), "{}", r.text);
    // Bad relational input is a 400/403, never a 500.
    let r = admin.get("/items/articles?fields=title.name").await;
    r.assert_error(403, "FORBIDDEN");
    let r = admin.get("/items/articles?sort=author.nope").await;
    r.assert_error(403, "FORBIDDEN");
    let r = admin.get("/items/authors?sort=articles.title").await;
    r.assert_error(400, "INVALID_QUERY");
    let r = admin.get("/items/authors?deep=[1]").await;
    r.assert_error(400, "INVALID_QUERY");
}

#[tokio::test]
async fn system_relations_answer_flows_operations_and_run_revisions() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    // The seed's nested document, read back the way the Data Studio asks for it.
    let r = admin
        .post(
            "/flows?fields=*,operations.*",
            json!({"name": "Nested", "trigger": "webhook", "status": "active",
                   "accountability": "all",
                   "options": {"method": "POST", "async": false, "return": "$last"},
                   "operations": [
                       {"id": "first", "operation": "transform", "options": {"json": {"a": 1}}},
                       {"id": "second", "operation": "log", "options": {"message": "hi"}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let flow = r.body["data"]["id"].as_str().unwrap().to_owned();
    let ops = r.body["data"]["operations"].as_array().unwrap();
    assert_eq!(ops.len(), 2, "{}", r.text);
    assert!(
        ops.iter()
            .any(|o| o["key"] == "first" && o["flow"] == flow.as_str())
    );
    // The alias is an array of operation ids by default.
    let r = admin.get(&format!("/flows/{flow}")).await;
    let ids = r.body["data"]["operations"].as_array().unwrap();
    assert_eq!(ids.len(), 2, "{}", r.text);
    assert!(ids.iter().all(Value::is_string));
    // m2o through the operation's flow, and the flow's first operation.
    let r = admin
        .get(&format!(
            "/flows/{flow}?fields=operation.key,operation.resolve.key"
        ))
        .await;
    assert_eq!(r.body["data"]["operation"]["key"], "first", "{}", r.text);
    assert_eq!(r.body["data"]["operation"]["resolve"]["key"], "second");
    let r = admin.get("/operations?fields=key,flow.name&sort=key").await;
    assert_eq!(r.body["data"][0]["flow"]["name"], "Nested", "{}", r.text);
    // A run, then its revision through its activity, as the Data Studio logs panel asks.
    let r = admin
        .post(&format!("/flows/trigger/{flow}"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.flush_logs().await;
    let r = admin
        .get(&format!(
            "/revisions?filter[activity][item][_eq]={flow}&filter[activity][action][_eq]=run\
             &fields=id,activity.action,activity.user.email,data&sort=-id"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let revs = r.body["data"].as_array().unwrap();
    assert_eq!(revs.len(), 1, "{}", r.text);
    assert_eq!(revs[0]["activity"]["action"], "run");
    assert_eq!(revs[0]["activity"]["user"]["email"], tests::ADMIN_EMAIL);
}

#[tokio::test]
async fn a_related_collection_the_caller_may_not_read_is_refused_with_its_path() {
    let app = TestApp::spawn().await;
    library(&app).await;
    let role = make_role(&app, "Readers", None).await;
    let policy = make_policy(&app, json!({"name": "articles only", "app_access": false})).await;
    attach(&app, Some(&role), None, &policy).await;
    permit(&app, &policy, "articles", "read", json!({})).await;
    let (_, reader) = make_user(&app, "reader@example.com", Some(&role)).await;
    let r = reader.get("/items/articles?fields=title,author.name").await;
    r.assert_error(403, "FORBIDDEN");
    assert_eq!(
        r.message(),
        "You don't have permission to access collection \"authors\" or it does not exist. \
         Queried in \"author\"."
    );
    // The key itself stays readable; `*.*` silently skips what cannot be followed.
    let r = reader.get("/items/articles/1?fields=*.*").await;
    assert_eq!(r.body["data"]["author"], 1, "{}", r.text);
    let r = reader
        .get("/items/articles?filter[author][name][_eq]=Ada")
        .await;
    r.assert_error(403, "FORBIDDEN");
    let r = reader.get("/items/articles?sort=author.name").await;
    r.assert_error(403, "FORBIDDEN");
    // With read on authors' name only (and only Ada's row): fields and rows apply there too.
    permit(
        &app,
        &policy,
        "authors",
        "read",
        json!({"fields": ["id", "name"], "permissions": {"name": {"_eq": "Ada"}}}),
    )
    .await;
    let r = reader
        .get("/items/articles?fields=title,author.name&sort=id&limit=4")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"][0]["author"], json!({"name": "Ada"}));
    assert_eq!(
        r.body["data"][3]["author"],
        Value::Null,
        "Bob's row is not visible"
    );
    let r = reader.get("/items/articles?fields=author.secret").await;
    r.assert_error(403, "FORBIDDEN");
    assert_eq!(
        r.message(),
        "You don't have permission to access field \"secret\" in collection \"authors\" or it \
         does not exist. Queried in \"author\"."
    );
    let r = reader
        .get("/items/articles?filter[author][name][_eq]=Bob&fields=title")
        .await;
    assert_eq!(
        r.body["data"],
        json!([]),
        "invisible rows never match: {}",
        r.text
    );
    let r = reader
        .get("/items/articles?filter[author][secret][_eq]=s-ada")
        .await;
    r.assert_error(403, "FORBIDDEN");
}

async fn count(app: &TestApp, path: &str) -> usize {
    let r = app.admin().get(path).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn nested_writes_create_link_update_and_deselect_in_one_transaction() {
    let app = TestApp::spawn().await;
    library(&app).await;
    let admin = app.admin();
    // o2m on create: the children get the new parent's key.
    let r = admin
        .post(
            "/items/authors?fields=name,articles.title",
            json!({"name": "Dee", "articles": [{"title": "d1"}, {"title": "d2"}]}),
        )
        .await;
    assert_eq!(
        r.body["data"],
        json!({"name": "Dee", "articles": [{"title": "d1"}, {"title": "d2"}]}),
        "{}",
        r.text
    );
    // m2o object on create: the related item first, its key stored; with a key, an update.
    let r = admin
        .post(
            "/items/articles?fields=title,author.name",
            json!({"title": "e1", "author": {"name": "Eve"}}),
        )
        .await;
    assert_eq!(r.body["data"]["author"]["name"], "Eve", "{}", r.text);
    let r = admin
        .post(
            "/items/articles?fields=author.name",
            json!({"title": "e2", "author": {"id": 2, "name": "Bobby"}}),
        )
        .await;
    assert_eq!(r.body["data"]["author"]["name"], "Bobby", "{}", r.text);
    // The array states the whole list: link 5 by key, update 1, create one, leave 2 and 3
    // out (nullified: the relation's one_deselect_action defaults to nullify).
    let r = admin
        .patch(
            "/items/authors/1?fields=articles.title",
            json!({"articles": [5, {"id": 1, "title": "one!"}, {"title": "fresh"}]}),
        )
        .await;
    let got = titles(&r.body["data"]["articles"]);
    assert_eq!(got.len(), 3, "{}", r.text);
    for t in ["one!", "five", "fresh"] {
        assert!(got.contains(&t.to_owned()), "{t} in {got:?}");
    }
    let r = admin.get("/items/articles/2?fields=author").await;
    assert_eq!(
        r.body["data"]["author"],
        Value::Null,
        "deselected: {}",
        r.text
    );
    // The detailed form does only what it lists.
    let r = admin
        .patch(
            "/items/authors/1?fields=articles",
            json!({"articles": {"create": [{"title": "six"}], "update": [], "delete": [5]}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = admin.get("/items/articles/5?fields=author").await;
    assert_eq!(r.body["data"]["author"], Value::Null, "{}", r.text);
    assert_eq!(
        count(&app, "/items/articles?filter[author][_eq]=1").await,
        3
    );
}

#[tokio::test]
async fn a_nested_write_that_fails_half_way_writes_nothing() {
    let app = TestApp::spawn().await;
    library(&app).await;
    let admin = app.admin();
    let authors = count(&app, "/items/authors?limit=-1").await;
    let articles = count(&app, "/items/articles?limit=-1").await;
    // The second child is invalid: the author and the first child must not stay.
    let r = admin
        .post(
            "/items/authors",
            json!({"name": "Half", "articles": [{"title": "ok"}, {"title": "bad", "score": "x"}]}),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(count(&app, "/items/authors?limit=-1").await, authors);
    assert_eq!(count(&app, "/items/articles?limit=-1").await, articles);
    // The m2o target is written first, then the parent fails: neither stays.
    let r = admin
        .post(
            "/items/articles",
            json!({"title": "x", "score": "not a number", "author": {"name": "Ghost"}}),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(
        count(&app, "/items/authors?filter[name][_eq]=Ghost").await,
        0
    );
    // A caller who may create articles but not authors is refused as a whole.
    let role = make_role(&app, "Writers", None).await;
    let policy = make_policy(&app, json!({"name": "writers", "app_access": false})).await;
    attach(&app, Some(&role), None, &policy).await;
    permit(&app, &policy, "articles", "create", json!({})).await;
    permit(&app, &policy, "articles", "read", json!({})).await;
    let (_, writer) = make_user(&app, "writer@example.com", Some(&role)).await;
    let r = writer
        .post(
            "/items/articles",
            json!({"title": "w", "author": {"name": "Sneaky"}}),
        )
        .await;
    r.assert_error(403, "FORBIDDEN");
    assert_eq!(
        count(&app, "/items/authors?filter[name][_eq]=Sneaky").await,
        0
    );
    assert_eq!(count(&app, "/items/articles?filter[title][_eq]=w").await, 0);
    // Linking an existing author by key is a plain column write, allowed.
    let r = writer
        .post("/items/articles", json!({"title": "w2", "author": 1}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn flows_take_nested_operations_the_way_the_data_studio_sends_them() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let r = admin
        .post(
            "/flows",
            json!({"name": "Studio", "trigger": "webhook", "status": "active",
                   "options": {"method": "POST", "async": false, "return": "$last"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let flow = r.body["data"]["id"].as_str().unwrap().to_owned();
    // The Data Studio's first operation: the flow's `operation` given as an object.
    let r = admin
        .patch(
            &format!("/flows/{flow}?fields=operation.key,operations"),
            json!({"operation": {"name": "Echo", "key": "echo", "type": "transform",
                                 "position_x": 19, "position_y": 1, "flow": flow,
                                 "options": {"json": {"echo": "{{$trigger.body.v}}"}}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["operation"]["key"], "echo", "{}", r.text);
    assert_eq!(r.body["data"]["operations"].as_array().unwrap().len(), 1);
    let r = admin
        .post(&format!("/flows/trigger/{flow}"), json!({"v": 7}))
        .await;
    assert_eq!(r.body["data"], json!({"echo": 7}), "{}", r.text);
    // A second operation through the o2m alias, then the list without it: the relation's
    // one_deselect_action (delete) removes it.
    let r = admin
        .patch(
            &format!("/flows/{flow}?fields=operations.key"),
            json!({"operations": {"create": [{"name": "Log", "key": "log", "type": "log",
                                             "position_x": 37, "position_y": 1,
                                             "options": {"message": "x"}}]}}),
        )
        .await;
    assert_eq!(
        r.body["data"]["operations"].as_array().unwrap().len(),
        2,
        "{}",
        r.text
    );
    let echo = admin
        .get(&format!("/flows/{flow}?fields=operation"))
        .await
        .body["data"]["operation"]
        .clone();
    let r = admin
        .patch(
            &format!("/flows/{flow}?fields=operations.key"),
            json!({"operations": [echo]}),
        )
        .await;
    assert_eq!(
        r.body["data"]["operations"],
        json!([{"key": "echo"}]),
        "{}",
        r.text
    );
    assert_eq!(count(&app, "/operations?filter[key][_eq]=log").await, 0);
    // A cycle written through the nested form is refused like any other save, and nothing
    // of that patch stays.
    let r = admin
        .patch(
            &format!("/flows/{flow}"),
            json!({"name": "Renamed", "operations": {"update": [{"id": echo, "resolve": echo}]}}),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    let r = admin
        .get(&format!("/flows/{flow}?fields=name,operation.resolve"))
        .await;
    assert_eq!(
        r.body["data"],
        json!({"name": "Studio", "operation": {"resolve": null}}),
        "{}",
        r.text
    );
}

/// Statements of the log that read the test's own tables.
fn reads_of(log: &std::sync::Mutex<Vec<String>>, from: usize, tables: &[&str]) -> Vec<String> {
    let all = log.lock().unwrap();
    all[from..]
        .iter()
        .filter(|sql| tables.iter().any(|t| sql.contains(&format!("\"{t}\""))))
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_relational_read_runs_the_same_few_statements_for_two_rows_or_two_hundred() {
    let (app, log) = TestApp::spawn_watching().await;
    create_collection(
        &app,
        json!({"collection": "writers", "schema": {}, "fields": [{"field": "name", "type": "string"}]}),
    )
    .await;
    create_collection(
        &app,
        json!({"collection": "posts", "schema": {}, "fields": [
            {"field": "title", "type": "string"},
            {"field": "writer", "type": "integer"}]}),
    )
    .await;
    relate(&app, "posts", "writer", "writers", Some("posts")).await;
    let admin = app.admin();
    let writers: Vec<Value> = (0..200).map(|i| json!({"name": format!("w{i}")})).collect();
    assert_eq!(
        admin.post("/items/writers", json!(writers)).await.status,
        200
    );
    let posts: Vec<Value> = (0..600)
        .map(|i| json!({"title": format!("p{i}"), "writer": i % 200 + 1}))
        .collect();
    assert_eq!(admin.post("/items/posts", json!(posts)).await.status, 200);
    let query = "fields=name,posts.title,posts.writer.name&sort=id";
    let mut counts = Vec::new();
    for limit in [2, 200] {
        let from = log.lock().unwrap().len();
        let r = admin
            .get(&format!("/items/writers?{query}&limit={limit}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let data = r.body["data"].as_array().unwrap();
        assert_eq!(data.len(), limit);
        assert_eq!(data[limit - 1]["posts"].as_array().unwrap().len(), 3);
        assert_eq!(
            data[limit - 1]["posts"][0]["writer"]["name"],
            format!("w{}", limit - 1)
        );
        let reads = reads_of(&log, from, &["writers", "posts"]);
        counts.push(reads.len());
    }
    // writers, their posts, the posts' writers: three statements, whatever the row count.
    assert_eq!(counts, vec![3, 3], "statements per read");
    // The same for a relational filter and sort: still one statement.
    let from = log.lock().unwrap().len();
    let r = admin
        .get("/items/posts?filter[writer][name][_eq]=w7&sort=-writer.name&fields=title")
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 3, "{}", r.text);
    assert_eq!(reads_of(&log, from, &["writers", "posts"]).len(), 1);
}

#[tokio::test]
async fn item_operations_read_and_write_relationally() {
    let app = TestApp::spawn().await;
    library(&app).await;
    let admin = app.admin();
    let r = admin
        .post(
            "/flows",
            json!({"name": "Relational ops", "trigger": "webhook", "status": "active",
                   "options": {"method": "POST", "async": false, "return": "$last"},
                   "operations": [
                       {"id": "make", "operation": "item-create", "options": {
                           "collection": "authors", "permissions": "$full",
                           "payload": {"name": "{{$trigger.body.name}}",
                                       "articles": [{"title": "{{$trigger.body.title}}"}]}}},
                       {"id": "read", "operation": "item-read", "options": {
                           "collection": "articles", "permissions": "$full",
                           "query": {"fields": ["title", "author.name", "author.articles"],
                                     "filter": {"author": {"name": {"_eq": "{{$trigger.body.name}}"}}},
                                     "deep": {"author": {"articles": {"_limit": 1}}}}}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let flow = r.body["data"]["id"].as_str().unwrap().to_owned();
    let r = admin
        .post(
            &format!("/flows/trigger/{flow}"),
            json!({"name": "Zed", "title": "z1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let read = &r.body["data"];
    assert_eq!(read.as_array().map(Vec::len), Some(1), "{}", r.text);
    assert_eq!(read[0]["title"], "z1");
    assert_eq!(read[0]["author"]["name"], "Zed");
    assert_eq!(
        read[0]["author"]["articles"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn permission_rules_may_follow_relations() {
    let app = TestApp::spawn().await;
    library(&app).await;
    let role = make_role(&app, "Ada's readers", None).await;
    let policy = make_policy(&app, json!({"name": "ada only", "app_access": false})).await;
    attach(&app, Some(&role), None, &policy).await;
    // Rows whose author is Ada — a rule through the m2o, though the caller may not read
    // authors at all.
    permit(
        &app,
        &policy,
        "articles",
        "read",
        json!({"permissions": {"author": {"name": {"_eq": "Ada"}}}}),
    )
    .await;
    let (_, reader) = make_user(&app, "ada-reader@example.com", Some(&role)).await;
    let r = reader.get("/items/articles?fields=title&sort=id").await;
    assert_eq!(
        titles(&r.body["data"]),
        ["one", "two", "three"],
        "{}",
        r.text
    );
    let r = reader.get("/items/articles/4").await;
    r.assert_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn many_to_many_through_a_junction_reads_and_writes_nested() {
    let app = TestApp::spawn().await;
    library(&app).await;
    create_collection(
        &app,
        json!({"collection": "tags", "schema": {}, "fields": [{"field": "name", "type": "string"}]}),
    )
    .await;
    create_collection(
        &app,
        json!({"collection": "articles_tags", "schema": {}, "meta": {"hidden": true}, "fields": [
            {"field": "articles_id", "type": "integer"},
            {"field": "tags_id", "type": "integer"}]}),
    )
    .await;
    // The two relations the Data Studio makes for an m2m: each side of the junction names
    // the other as its junction_field.
    relate_junction(&app, "articles_id", "articles", Some("tags"), "tags_id").await;
    relate_junction(&app, "tags_id", "tags", None, "articles_id").await;
    let admin = app.admin();
    assert_eq!(
        admin
            .post("/items/tags", json!([{"name": "rust"}]))
            .await
            .status,
        200
    );
    // Nested: link tag 1 through a new junction row, create tag "sql" the same way.
    let r = admin
        .patch(
            "/items/articles/1?fields=title,tags.tags_id.name",
            json!({"tags": [{"tags_id": 1}, {"tags_id": {"name": "sql"}}]}),
        )
        .await;
    assert_eq!(
        r.body["data"],
        json!({"title": "one", "tags": [{"tags_id": {"name": "rust"}}, {"tags_id": {"name": "sql"}}]}),
        "{}",
        r.text
    );
    let r = admin
        .get("/items/articles?filter[tags][tags_id][name][_eq]=sql&fields=title")
        .await;
    assert_eq!(r.body["data"], json!([{"title": "one"}]), "{}", r.text);
    // Removing a tag from the list deselects its junction row (nullified by default).
    let r = admin.get("/items/articles/1?fields=tags").await;
    let first = r.body["data"]["tags"][0].clone();
    let r = admin
        .patch(
            "/items/articles/1?fields=tags.tags_id.name",
            json!({"tags": [first]}),
        )
        .await;
    assert_eq!(
        r.body["data"]["tags"],
        json!([{"tags_id": {"name": "rust"}}]),
        "{}",
        r.text
    );
}

/// One side of a junction: `articles_tags.<field>` → `<one>`, alias `<one_field>` on it.
async fn relate_junction(
    app: &TestApp,
    field: &str,
    one: &str,
    one_field: Option<&str>,
    junction: &str,
) {
    let r = app
        .admin()
        .post(
            "/relations",
            json!({"collection": "articles_tags", "field": field, "related_collection": one,
                   "schema": {"on_delete": "SET NULL"},
                   "meta": {"one_field": one_field, "junction_field": junction}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn paths_deeper_than_max_relational_depth_are_refused() {
    let app = TestApp::spawn_with(|c| c.max_relational_depth = 1).await;
    library(&app).await;
    let admin = app.admin();
    let r = admin.get("/items/articles?fields=title,author.name").await;
    assert_eq!(r.status, 200, "one level is allowed: {}", r.text);
    for path in [
        "/items/articles?fields=author.articles.title",
        "/items/articles?filter[author][articles][title][_eq]=one",
    ] {
        let r = admin.get(path).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text);
    }
    let r = admin
        .get("/items/articles?fields=author.articles.title")
        .await;
    assert_eq!(
        r.message(),
        "Invalid query. Max relational depth of 1 exceeded."
    );
}
