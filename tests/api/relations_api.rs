//! `/relations` and foreign keys (issue 15): CRUD with Directus's answer shapes, the system
//! relations, a real foreign key whose ON DELETE the database honours, SQLite table rebuilds
//! that keep it, alias fields, relations removed with their field or collection, who may
//! read and write, and the inputs that must be refused with nothing written.

use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{attach, create_collection, make_policy, make_role, make_user, permit};

/// `authors(id, name)` and `articles(id, title, author, editor NOT NULL, item, collection)`.
async fn authors_and_articles(app: &TestApp) {
    create_collection(
        app,
        json!({"collection": "authors", "schema": {}, "fields": [
            {"field": "name", "type": "string"}]}),
    )
    .await;
    create_collection(
        app,
        json!({"collection": "articles", "schema": {}, "fields": [
            {"field": "title", "type": "string"},
            {"field": "author", "type": "integer"},
            {"field": "editor", "type": "integer", "schema": {"is_nullable": false,
                                                              "default_value": 0}},
            {"field": "item", "type": "string"},
            {"field": "collection", "type": "string"}]}),
    )
    .await;
}

async fn relate(app: &TestApp, on_delete: &str) -> Value {
    let r = app
        .admin()
        .post(
            "/relations",
            json!({"collection": "articles", "field": "author", "related_collection": "authors",
                   "schema": {"on_delete": on_delete}, "meta": {"one_field": "articles"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].clone()
}

async fn item(app: &TestApp, collection: &str, body: Value) -> i64 {
    let r = app
        .admin()
        .post(&format!("/items/{collection}"), body)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"]["id"].as_i64().expect("id")
}

/// The relation on `articles.author` as `/relations` answers it.
fn author_relation(id: i64, on_delete: &str, deselect: &str) -> Value {
    json!({
        "collection": "articles",
        "field": "author",
        "related_collection": "authors",
        "schema": {
            "table": "articles",
            "column": "author",
            "foreign_key_table": "authors",
            "foreign_key_column": "id",
            "foreign_key_schema": null,
            "constraint_name": "articles_author_foreign",
            "on_update": "NO ACTION",
            "on_delete": on_delete,
        },
        "meta": {
            "id": id,
            "many_collection": "articles",
            "many_field": "author",
            "one_collection": "authors",
            "one_field": "articles",
            "one_collection_field": null,
            "one_allowed_collections": null,
            "junction_field": null,
            "sort_field": null,
            "one_deselect_action": deselect,
            "system": null,
        },
    })
}

fn find<'a>(list: &'a Value, collection: &str, field: &str) -> Option<&'a Value> {
    list.as_array()
        .expect("data array")
        .iter()
        .find(|r| r["collection"] == collection && r["field"] == field)
}

#[tokio::test]
async fn relations_are_created_read_changed_and_deleted_in_directus_shape() {
    let app = TestApp::spawn().await;
    authors_and_articles(&app).await;
    let created = relate(&app, "SET NULL").await;
    let id = created["meta"]["id"].as_i64().expect("meta id");
    assert_eq!(created, author_relation(id, "SET NULL", "nullify"));
    let one = app.admin().get("/relations/articles/author").await;
    assert_eq!(
        one.body,
        json!({"data": author_relation(id, "SET NULL", "nullify")})
    );
    let of_articles = app.admin().get("/relations/articles").await;
    assert_eq!(
        of_articles.body,
        json!({"data": [author_relation(id, "SET NULL", "nullify")]})
    );
    let all = app.admin().get("/relations").await.body["data"].clone();
    assert_eq!(
        find(&all, "articles", "author"),
        Some(&author_relation(id, "SET NULL", "nullify"))
    );
    // The column shows its foreign key; the related side lists the o2m alias.
    let field = app.admin().get("/fields/articles/author").await;
    assert_eq!(field.body["data"]["schema"]["foreign_key_table"], "authors");
    assert_eq!(field.body["data"]["schema"]["foreign_key_column"], "id");
    let title = app.admin().get("/fields/articles/title").await;
    assert_eq!(
        title.body["data"]["schema"]["foreign_key_table"],
        Value::Null
    );
    let alias = app.admin().get("/fields/authors/articles").await;
    assert_eq!(
        alias.body["data"],
        json!({"collection": "authors", "field": "articles", "type": "alias",
               "schema": null, "meta": null})
    );

    let r = app
        .admin()
        .patch(
            "/relations/articles/author",
            json!({"schema": {"on_delete": "CASCADE"}, "meta": {"one_deselect_action": "delete"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"], author_relation(id, "CASCADE", "delete"));
    // A meta-only change keeps the foreign key as it is.
    let r = app
        .admin()
        .patch(
            "/relations/articles/author",
            json!({"meta": {"sort_field": "title"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["schema"]["on_delete"], "CASCADE");
    assert_eq!(r.body["data"]["meta"]["sort_field"], "title");

    let r = app.admin().delete("/relations/articles/author").await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.admin()
        .get("/relations/articles/author")
        .await
        .assert_error(403, "FORBIDDEN");
    let field = app.admin().get("/fields/articles/author").await;
    assert_eq!(
        field.body["data"]["schema"]["foreign_key_table"],
        Value::Null
    );
    // The constraint is really gone: a key of no author is stored as a plain value.
    let a = item(&app, "articles", json!({"title": "loose", "author": 999})).await;
    let r = app.admin().get(&format!("/items/articles/{a}")).await;
    assert_eq!(r.body["data"]["author"], 999);
}

#[tokio::test]
async fn a_many_to_any_relation_is_stored_without_a_foreign_key() {
    let app = TestApp::spawn().await;
    authors_and_articles(&app).await;
    let r = app
        .admin()
        .post(
            "/relations",
            json!({"collection": "articles", "field": "item", "related_collection": null,
                   "meta": {"one_allowed_collections": ["authors"],
                            "one_collection_field": "collection"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = &r.body["data"];
    assert_eq!(d["related_collection"], Value::Null);
    assert_eq!(d["schema"], Value::Null);
    assert_eq!(d["meta"]["one_allowed_collections"], json!(["authors"]));
    assert_eq!(d["meta"]["one_collection_field"], "collection");
    let field = app.admin().get("/fields/articles/item").await;
    assert_eq!(
        field.body["data"]["schema"]["foreign_key_table"],
        Value::Null
    );
}

#[tokio::test]
async fn system_relations_are_listed() {
    let app = TestApp::spawn().await;
    let all = app.admin().get("/relations").await.body["data"].clone();
    let ops = find(&all, "directus_operations", "flow").expect("operations.flow");
    assert_eq!(ops["related_collection"], "directus_flows");
    assert_eq!(ops["meta"]["one_field"], "operations");
    assert_eq!(ops["meta"]["system"], true);
    assert_eq!(ops["meta"]["one_deselect_action"], "delete");
    let users = find(&all, "directus_users", "role").expect("users.role");
    assert_eq!(users["related_collection"], "directus_roles");
    let one = app.admin().get("/relations/directus_operations/flow").await;
    assert_eq!(one.body["data"], *ops);
    // System relations are not the API's to change.
    app.admin()
        .delete("/relations/directus_operations/flow")
        .await
        .assert_error(400, "INVALID_PAYLOAD");
}

#[tokio::test]
async fn the_foreign_key_is_real_and_on_delete_is_honoured() {
    let app = TestApp::spawn().await;
    authors_and_articles(&app).await;
    relate(&app, "SET NULL").await;
    let ann = item(&app, "authors", json!({"name": "Ann"})).await;
    let a = item(&app, "articles", json!({"title": "a", "author": ann})).await;
    // A key of no author is refused by the database, answered as Directus answers it.
    let r = app
        .admin()
        .post("/items/articles", json!({"title": "x", "author": 4242}))
        .await;
    r.assert_error(400, "INVALID_FOREIGN_KEY");
    let r = app.admin().delete(&format!("/items/authors/{ann}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = app.admin().get(&format!("/items/articles/{a}")).await;
    assert_eq!(r.body["data"]["author"], Value::Null, "{}", r.text);

    app.admin()
        .patch(
            "/relations/articles/author",
            json!({"schema": {"on_delete": "CASCADE"}}),
        )
        .await;
    let bob = item(&app, "authors", json!({"name": "Bob"})).await;
    let b = item(&app, "articles", json!({"title": "b", "author": bob})).await;
    let r = app.admin().delete(&format!("/items/authors/{bob}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.admin()
        .get(&format!("/items/articles/{b}"))
        .await
        .assert_error(403, "FORBIDDEN");

    for refusing in ["RESTRICT", "NO ACTION"] {
        let r = app
            .admin()
            .patch(
                "/relations/articles/author",
                json!({"schema": {"on_delete": refusing}}),
            )
            .await;
        assert_eq!(
            r.body["data"]["schema"]["on_delete"], refusing,
            "{}",
            r.text
        );
        let cy = item(&app, "authors", json!({"name": "Cy"})).await;
        let c = item(&app, "articles", json!({"title": "c", "author": cy})).await;
        let r = app.admin().delete(&format!("/items/authors/{cy}")).await;
        assert_eq!(r.status, 400, "{refusing}: {}", r.text);
        assert!(
            !r.text.to_ascii_lowercase().contains("constraint"),
            "no SQL text: {}",
            r.text
        );
        assert_eq!(
            app.admin()
                .get(&format!("/items/authors/{cy}"))
                .await
                .status,
            200
        );
        let r = app.admin().get(&format!("/items/articles/{c}")).await;
        assert_eq!(r.body["data"]["author"], cy);
    }
}

#[tokio::test]
async fn altering_either_table_keeps_the_foreign_key_and_the_rows() {
    let app = TestApp::spawn().await;
    authors_and_articles(&app).await;
    relate(&app, "CASCADE").await;
    let ann = item(&app, "authors", json!({"name": "Ann"})).await;
    let a = item(&app, "articles", json!({"title": "a", "author": ann})).await;
    // SQLite rebuilds both tables here: the child's, and the parent's (whose drop, with
    // enforcement on, would cascade to the article).
    for (path, body) in [
        ("/fields/articles/title", json!({"type": "text"})),
        (
            "/fields/articles/title",
            json!({"schema": {"is_nullable": false}}),
        ),
        ("/fields/authors/name", json!({"type": "text"})),
        ("/fields/articles/author", json!({"type": "bigInteger"})),
    ] {
        let r = app.admin().patch(path, body).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
    }
    let r = app.admin().get(&format!("/items/articles/{a}")).await;
    assert_eq!(r.body["data"]["author"], ann, "{}", r.text);
    let rel = app.admin().get("/relations/articles/author").await;
    assert_eq!(
        rel.body["data"]["schema"]["on_delete"], "CASCADE",
        "{}",
        rel.text
    );
    app.admin()
        .post("/items/articles", json!({"title": "x", "author": 4242}))
        .await
        .assert_error(400, "INVALID_FOREIGN_KEY");
    let r = app.admin().delete(&format!("/items/authors/{ann}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.admin()
        .get(&format!("/items/articles/{a}"))
        .await
        .assert_error(403, "FORBIDDEN");
    // A change the relation cannot live with is refused before any DDL.
    let r = app
        .admin()
        .patch("/fields/articles/author", json!({"type": "uuid"}))
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    app.admin()
        .patch(
            "/relations/articles/author",
            json!({"schema": {"on_delete": "SET NULL"}}),
        )
        .await;
    let r = app
        .admin()
        .patch(
            "/fields/articles/author",
            json!({"schema": {"is_nullable": false}}),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    let f = app.admin().get("/fields/articles/author").await;
    assert_eq!(f.body["data"]["schema"]["is_nullable"], true);
}

#[tokio::test]
async fn alias_fields_are_created_listed_changed_and_deleted() {
    let app = TestApp::spawn().await;
    authors_and_articles(&app).await;
    let r = app
        .admin()
        .post(
            "/fields/authors",
            json!({"field": "divider", "type": "alias",
                   "meta": {"special": ["alias", "no-data"], "interface": "presentation-divider"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = &r.body["data"];
    assert_eq!(d["type"], "alias");
    assert_eq!(d["schema"], Value::Null);
    assert_eq!(d["meta"]["special"], json!(["alias", "no-data"]));
    assert_eq!(d["meta"]["interface"], "presentation-divider");
    let listed = app.admin().get("/fields/authors").await.body["data"].clone();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["id", "name", "divider"]);
    let everything = app.admin().get("/fields").await.body["data"].clone();
    assert!(find_field(&everything, "authors", "divider"));
    let r = app
        .admin()
        .patch(
            "/fields/authors/divider",
            json!({"meta": {"note": "Section"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["meta"]["note"], "Section");
    assert_eq!(r.body["data"]["meta"]["interface"], "presentation-divider");
    // The table has no such column: items are written and read as before.
    let ann = item(&app, "authors", json!({"name": "Ann"})).await;
    assert!(ann > 0);
    // Names are shared between columns and aliases.
    app.admin()
        .post("/fields/authors", json!({"field": "name", "type": "alias"}))
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    app.admin()
        .post(
            "/fields/authors",
            json!({"field": "divider", "type": "string"}),
        )
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    app.admin()
        .patch("/fields/authors/divider", json!({"type": "string"}))
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    let r = app.admin().delete("/fields/authors/divider").await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.admin()
        .get("/fields/authors/divider")
        .await
        .assert_error(403, "FORBIDDEN");

    // An o2m alias: its row, then deleting it clears the relation's one_field.
    relate(&app, "SET NULL").await;
    let r = app
        .admin()
        .post(
            "/fields/authors",
            json!({"field": "articles", "type": "alias", "meta": {"special": ["o2m"],
                                                                  "interface": "list-o2m"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["meta"]["special"], json!(["o2m"]));
    let r = app.admin().delete("/fields/authors/articles").await;
    assert_eq!(r.status, 204, "{}", r.text);
    let rel = app.admin().get("/relations/articles/author").await;
    assert_eq!(
        rel.body["data"]["meta"]["one_field"],
        Value::Null,
        "{}",
        rel.text
    );
    assert_eq!(rel.body["data"]["schema"]["foreign_key_table"], "authors");
    app.admin()
        .get("/fields/authors/articles")
        .await
        .assert_error(403, "FORBIDDEN");

    // Alias fields in a new collection.
    create_collection(
        &app,
        json!({"collection": "pages", "schema": {}, "fields": [
            {"field": "title", "type": "string"},
            {"field": "blocks", "type": "alias", "meta": {"special": ["o2m"]}}]}),
    )
    .await;
    let fields = app.admin().get("/fields/pages").await.body["data"].clone();
    assert!(find_field(&fields, "pages", "blocks"));
    let p = item(&app, "pages", json!({"title": "home"})).await;
    assert!(p > 0);
}

fn find_field(list: &Value, collection: &str, field: &str) -> bool {
    list.as_array()
        .unwrap()
        .iter()
        .any(|f| f["collection"] == collection && f["field"] == field && f["type"] == "alias")
}

#[tokio::test]
async fn a_relation_goes_with_its_field_or_its_collection() {
    let app = TestApp::spawn().await;
    authors_and_articles(&app).await;
    relate(&app, "SET NULL").await;
    app.admin()
        .post(
            "/fields/authors",
            json!({"field": "articles", "type": "alias",
                                        "meta": {"special": ["o2m"]}}),
        )
        .await;
    let ann = item(&app, "authors", json!({"name": "Ann"})).await;
    item(&app, "articles", json!({"title": "a", "author": ann})).await;
    // The m2o column: its relation and the o2m alias it backed.
    let r = app.admin().delete("/fields/articles/author").await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.admin()
        .get("/relations/articles/author")
        .await
        .assert_error(403, "FORBIDDEN");
    app.admin()
        .get("/fields/authors/articles")
        .await
        .assert_error(403, "FORBIDDEN");

    // The related collection: the relation and the foreign key pointing at it; the column
    // stays, holding plain values.
    app.admin()
        .post(
            "/fields/articles",
            json!({"field": "author", "type": "integer"}),
        )
        .await;
    relate(&app, "SET NULL").await;
    let a = item(&app, "articles", json!({"title": "b", "author": ann})).await;
    let r = app.admin().delete("/collections/authors").await;
    assert_eq!(r.status, 204, "{}", r.text);
    let rels = app.admin().get("/relations").await.body["data"].clone();
    assert!(find(&rels, "articles", "author").is_none(), "{rels}");
    let f = app.admin().get("/fields/articles/author").await;
    assert_eq!(
        f.body["data"]["schema"]["foreign_key_table"],
        Value::Null,
        "{}",
        f.text
    );
    let r = app.admin().get(&format!("/items/articles/{a}")).await;
    assert_eq!(r.body["data"]["author"], ann);
    item(&app, "articles", json!({"title": "c", "author": 777})).await;

    // The many collection: its relations and the o2m alias they backed elsewhere.
    create_collection(
        &app,
        json!({"collection": "writers", "schema": {}, "fields": [{"field": "name", "type": "string"}]}),
    )
    .await;
    create_collection(
        &app,
        json!({"collection": "reviews", "schema": {}, "fields": [
            {"field": "writer", "type": "integer"},
            {"field": "body", "type": "string"}]}),
    )
    .await;
    let r = app
        .admin()
        .post(
            "/relations",
            json!({"collection": "reviews", "field": "writer", "related_collection": "writers",
                   "meta": {"one_field": "reviews"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.admin()
        .post(
            "/fields/writers",
            json!({"field": "reviews", "type": "alias",
                                        "meta": {"special": ["o2m"]}}),
        )
        .await;
    let r = app.admin().delete("/collections/reviews").await;
    assert_eq!(r.status, 204, "{}", r.text);
    let rels = app.admin().get("/relations").await.body["data"].clone();
    assert!(find(&rels, "reviews", "writer").is_none(), "{rels}");
    app.admin()
        .get("/fields/writers/reviews")
        .await
        .assert_error(403, "FORBIDDEN");
    let w = item(&app, "writers", json!({"name": "Wes"})).await;
    assert_eq!(
        app.admin()
            .delete(&format!("/items/writers/{w}"))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn only_admins_write_and_readers_see_only_what_they_may_read() {
    let app = TestApp::spawn().await;
    authors_and_articles(&app).await;
    relate(&app, "SET NULL").await;
    create_collection(
        &app,
        json!({"collection": "notes", "schema": {}, "fields": [{"field": "author", "type": "integer"}]}),
    )
    .await;
    let r = app
        .admin()
        .post(
            "/relations",
            json!({"collection": "notes", "field": "author", "related_collection": "authors"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let role = make_role(&app, "Reader", None).await;
    let policy = make_policy(&app, json!({"name": "Read articles"})).await;
    attach(&app, Some(&role), None, &policy).await;
    permit(&app, &policy, "articles", "read", json!({})).await;
    let (_, reader) = make_user(&app, "reader@example.com", Some(&role)).await;

    let all = reader.get("/relations").await;
    assert_eq!(all.status, 200, "{}", all.text);
    let listed: Vec<(String, String)> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["collection"].as_str().unwrap().to_owned(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(listed, [("articles".to_owned(), "author".to_owned())]);
    assert_eq!(reader.get("/relations/articles/author").await.status, 200);
    assert_eq!(reader.get("/relations/articles").await.status, 200);
    reader
        .get("/relations/notes")
        .await
        .assert_error(403, "FORBIDDEN");
    reader
        .get("/relations/notes/author")
        .await
        .assert_error(403, "FORBIDDEN");

    for client in [reader, app.anon()] {
        for r in [
            client
                .post(
                    "/relations",
                    json!({"collection": "notes", "field": "author",
                           "related_collection": "authors"}),
                )
                .await,
            client
                .patch(
                    "/relations/articles/author",
                    json!({"schema": {"on_delete": "CASCADE"}}),
                )
                .await,
            client.delete("/relations/articles/author").await,
        ] {
            r.assert_error(403, "FORBIDDEN");
            assert_eq!(r.message(), "You don't have permission to access this.");
        }
    }
    let r = app.admin().get("/relations/articles/author").await;
    assert_eq!(r.body["data"]["schema"]["on_delete"], "SET NULL");
}

#[tokio::test]
async fn bad_relations_are_refused_and_write_nothing() {
    let app = TestApp::spawn().await;
    authors_and_articles(&app).await;
    let rel = |extra: Value| {
        let mut body = json!({"collection": "articles", "field": "author",
                              "related_collection": "authors"});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body[k] = v;
        }
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!([1]), "Payload must be an object"),
        (json!({}), "\"collection\" is required"),
        (json!({"collection": "articles"}), "\"field\" is required"),
        (
            json!({"collection": "nope", "field": "x", "related_collection": "authors"}),
            "Collection \"nope\" doesn't exist",
        ),
        (
            json!({"collection": "directus_users", "field": "role",
                   "related_collection": "directus_roles"}),
            "system collection",
        ),
        (
            rel(json!({"field": "nope"})),
            "Field \"nope\" doesn't exist in collection \"articles\"",
        ),
        (
            rel(json!({"related_collection": "nope"})),
            "Collection \"nope\" doesn't exist",
        ),
        (rel(json!({"field": "title"})), "is of type string"),
        (
            rel(json!({"schema": {"on_delete": "EXPLODE"}})),
            "\"schema.on_delete\" must be one of SET NULL, CASCADE, NO ACTION, RESTRICT, SET DEFAULT",
        ),
        (
            rel(json!({"schema": {"on_update": 3}})),
            "\"schema.on_update\" must be a string",
        ),
        (
            rel(json!({"meta": {"one_deselect_action": "explode"}})),
            "\"meta.one_deselect_action\" must be \"nullify\" or \"delete\"",
        ),
        (
            rel(json!({"meta": {"one_field": "name"}})),
            "is a column of collection \"authors\"",
        ),
        (
            rel(json!({"field": "editor"})),
            "\"schema.on_delete\" can't be SET NULL: field \"editor\"",
        ),
        (
            rel(json!({"related_collection": null})),
            "\"related_collection\" is required",
        ),
        (
            rel(json!({"meta": {"sort_field": "nope"}})),
            "\"meta.sort_field\" names field \"nope\"",
        ),
    ];
    for (body, reason) in cases {
        let r = app.admin().post("/relations", body.clone()).await;
        r.assert_error(400, "INVALID_PAYLOAD");
        assert!(r.message().contains(reason), "{body}: {}", r.text);
    }
    // A column holding a key of no author cannot get the foreign key; nothing is written.
    let a = item(&app, "articles", json!({"title": "a", "author": 999})).await;
    let r = app.admin().post("/relations", rel(json!({}))).await;
    r.assert_error(400, "INVALID_FOREIGN_KEY");
    assert_eq!(
        r.message(),
        "Invalid foreign key \"999\" for field \"author\" in collection \"articles\"."
    );
    app.admin()
        .get("/relations/articles/author")
        .await
        .assert_error(403, "FORBIDDEN");
    let f = app.admin().get("/fields/articles/author").await;
    assert_eq!(f.body["data"]["schema"]["foreign_key_table"], Value::Null);
    app.admin().delete(&format!("/items/articles/{a}")).await;

    // One relation per field.
    relate(&app, "SET NULL").await;
    let r = app.admin().post("/relations", rel(json!({}))).await;
    r.assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(
        r.message(),
        "Invalid payload. Field \"author\" in collection \"articles\" already has an associated relationship."
    );
    // Changes of what is not there, or that the relation cannot take.
    let r = app
        .admin()
        .patch("/relations/articles/title", json!({"meta": {}}))
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(
        r.message(),
        "Invalid payload. Field \"title\" in collection \"articles\" doesn't have a relationship."
    );
    for body in [
        json!({"related_collection": "articles"}),
        json!({"schema": {"on_delete": "NOPE"}}),
        json!({"meta": {"one_deselect_action": 1}}),
        json!("x"),
    ] {
        app.admin()
            .patch("/relations/articles/author", body)
            .await
            .assert_error(400, "INVALID_PAYLOAD");
    }
    app.admin()
        .delete("/relations/articles/nope")
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    app.admin()
        .delete("/relations/nope/author")
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    let r = app.admin().get("/relations/articles/author").await;
    assert_eq!(r.body["data"]["schema"]["on_delete"], "SET NULL");
    assert_eq!(r.body["data"]["related_collection"], "authors");
}
