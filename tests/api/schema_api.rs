//! `/collections` and `/fields` (directus.md §11): every field type, primary keys, schema
//! options, specials, reading definitions back, altering a live table without losing rows,
//! deleting, and the names and callers that must be refused.

use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{admin_id, create_collection, make_role, make_user};

const ALL_TYPES: &[&str] = &[
    "string",
    "text",
    "integer",
    "bigInteger",
    "float",
    "decimal",
    "boolean",
    "json",
    "uuid",
    "date",
    "time",
    "dateTime",
    "timestamp",
    "csv",
];

fn field_of<'a>(fields: &'a Value, name: &str) -> &'a Value {
    fields
        .as_array()
        .expect("fields array")
        .iter()
        .find(|f| f["field"] == name)
        .unwrap_or_else(|| panic!("field {name} in {fields}"))
}

#[tokio::test]
async fn every_field_type_is_created_read_back_and_round_trips_values() {
    let app = TestApp::spawn().await;
    let mut fields = vec![json!({"field": "id", "type": "uuid",
        "schema": {"is_primary_key": true}, "meta": {"special": ["uuid"]}})];
    for t in ALL_TYPES {
        fields.push(json!({"field": format!("f_{t}"), "type": t}));
    }
    let created = create_collection(
        &app,
        json!({"collection": "kinds", "schema": {}, "meta": {"icon": "box", "note": "all"},
               "fields": fields}),
    )
    .await;
    assert_eq!(created["collection"], "kinds");
    assert_eq!(created["schema"]["name"], "kinds");
    assert_eq!(created["meta"]["icon"], "box");
    assert_eq!(created["meta"]["note"], "all");

    let r = app.admin().get("/fields/kinds").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let listed = &r.body["data"];
    assert_eq!(listed.as_array().unwrap().len(), ALL_TYPES.len() + 1);
    for t in ALL_TYPES {
        let f = field_of(listed, &format!("f_{t}"));
        assert_eq!(f["type"], *t, "type of f_{t}: {f}");
        assert_eq!(f["collection"], "kinds");
        assert_eq!(f["schema"]["is_nullable"], true, "{f}");
        assert_eq!(f["schema"]["is_primary_key"], false, "{f}");
        assert!(f["meta"].is_object(), "meta row for f_{t}");
    }
    let id = field_of(listed, "id");
    assert_eq!(id["type"], "uuid");
    assert_eq!(id["schema"]["is_primary_key"], true);
    assert_eq!(id["schema"]["is_nullable"], false);

    // One field read alone has the same shape.
    let one = app.admin().get("/fields/kinds/f_decimal").await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body["data"]["type"], "decimal");
    assert_eq!(one.body["data"]["schema"]["numeric_precision"], 10);
    assert_eq!(one.body["data"]["schema"]["numeric_scale"], 5);
    assert_eq!(
        app.admin().get("/fields/kinds/f_string").await.body["data"]["schema"]["max_length"],
        255
    );

    // A value of every type goes in and comes back in Directus's JSON form.
    let item = json!({
        "f_string": "hello", "f_text": "long text", "f_integer": 42,
        "f_bigInteger": 9_007_199_254_740_000i64, "f_float": 1.5, "f_decimal": "12.25",
        "f_boolean": true, "f_json": {"a": [1, 2, {"b": null}]},
        "f_uuid": "8c6a3b4e-7f6d-4c1e-9a59-1b2c3d4e5f60", "f_date": "2024-02-29",
        "f_time": "13:45:10", "f_dateTime": "2024-02-29T13:45:10",
        "f_timestamp": "2024-02-29T13:45:10.250Z", "f_csv": ["a", "b", "c"]
    });
    let r = app.admin().post("/items/kinds", item).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = &r.body["data"];
    assert!(uuid::Uuid::parse_str(d["id"].as_str().unwrap()).is_ok());
    assert_eq!(d["f_string"], "hello");
    assert_eq!(d["f_text"], "long text");
    assert_eq!(d["f_integer"], 42);
    assert_eq!(d["f_bigInteger"], 9_007_199_254_740_000i64);
    assert_eq!(d["f_float"], 1.5);
    let dec: f64 = d["f_decimal"]
        .as_str()
        .expect("decimal as text")
        .parse()
        .unwrap();
    assert_eq!(dec, 12.25);
    assert_eq!(d["f_boolean"], true);
    assert_eq!(d["f_json"], json!({"a": [1, 2, {"b": null}]}));
    assert_eq!(d["f_uuid"], "8c6a3b4e-7f6d-4c1e-9a59-1b2c3d4e5f60");
    assert_eq!(d["f_date"], "2024-02-29");
    assert_eq!(d["f_time"], "13:45:10");
    assert_eq!(d["f_dateTime"], "2024-02-29T13:45:10");
    assert_eq!(d["f_timestamp"], "2024-02-29T13:45:10.250Z");
    assert_eq!(d["f_csv"], json!(["a", "b", "c"]));
}

#[tokio::test]
async fn a_collection_without_a_primary_key_gets_an_auto_increment_id() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        json!({"collection": "notes", "schema": {}, "fields": [{"field": "body", "type": "text"}]}),
    )
    .await;
    let fields = app.admin().get("/fields/notes").await.body["data"].clone();
    let id = field_of(&fields, "id");
    assert_eq!(id["type"], "integer");
    assert_eq!(id["schema"]["is_primary_key"], true);
    assert_eq!(id["schema"]["has_auto_increment"], true);
    assert_eq!(id["meta"]["hidden"], true);
    assert_eq!(id["meta"]["readonly"], true);
    // The id is listed first.
    assert_eq!(fields[0]["field"], "id");
    let a = app.admin().post("/items/notes", json!({"body": "a"})).await;
    let b = app.admin().post("/items/notes", json!({"body": "b"})).await;
    assert_eq!(a.body["data"]["id"], 1, "{}", a.text);
    assert_eq!(b.body["data"]["id"], 2, "{}", b.text);
    // A field called "id" that is not the key is refused.
    let r = app
        .admin()
        .post(
            "/collections",
            json!({"collection": "bad", "schema": {}, "fields": [{"field": "id", "type": "string"}]}),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
}

#[tokio::test]
async fn uuid_primary_keys_are_generated_and_may_be_given() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        json!({"collection": "tickets", "schema": {}, "fields": [
            {"field": "id", "type": "uuid", "schema": {"is_primary_key": true, "is_nullable": false},
             "meta": {"special": ["uuid"], "hidden": true, "readonly": true}},
            {"field": "title", "type": "string"}]}),
    )
    .await;
    let r = app
        .admin()
        .post("/items/tickets", json!({"title": "t"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    let given = "0b3e7f7a-1111-4222-8333-444455556666";
    let r = app
        .admin()
        .post("/items/tickets", json!({"id": given, "title": "u"}))
        .await;
    assert_eq!(r.body["data"]["id"], given, "{}", r.text);
    let r = app.admin().get(&format!("/items/tickets/{id}")).await;
    assert_eq!(r.body["data"]["title"], "t");
    let fields = app.admin().get("/fields/tickets").await.body["data"].clone();
    assert_eq!(field_of(&fields, "id")["meta"]["special"], json!(["uuid"]));
}

#[tokio::test]
async fn schema_options_are_enforced() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        json!({"collection": "opts", "schema": {}, "fields": [
            {"field": "status", "type": "string", "schema": {"default_value": "open"}},
            {"field": "rank", "type": "integer", "schema": {"default_value": 7}},
            {"field": "flag", "type": "boolean", "schema": {"default_value": true}},
            {"field": "code", "type": "string", "schema": {"max_length": 5, "is_unique": true}},
            {"field": "title", "type": "string", "schema": {"is_nullable": false}}]}),
    )
    .await;
    let fields = app.admin().get("/fields/opts").await.body["data"].clone();
    assert_eq!(
        field_of(&fields, "status")["schema"]["default_value"],
        "open"
    );
    assert_eq!(field_of(&fields, "rank")["schema"]["default_value"], 7);
    assert_eq!(field_of(&fields, "flag")["schema"]["default_value"], true);
    assert_eq!(field_of(&fields, "code")["schema"]["max_length"], 5);
    assert_eq!(field_of(&fields, "code")["schema"]["is_unique"], true);
    assert_eq!(field_of(&fields, "title")["schema"]["is_nullable"], false);

    // Defaults fill absent values.
    let r = app
        .admin()
        .post("/items/opts", json!({"title": "a", "code": "A1"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["status"], "open");
    assert_eq!(r.body["data"]["rank"], 7);
    assert_eq!(r.body["data"]["flag"], true);
    // max_length
    let r = app
        .admin()
        .post("/items/opts", json!({"title": "b", "code": "TOOLONG"}))
        .await;
    r.assert_error(400, "VALUE_TOO_LONG");
    // is_unique
    let r = app
        .admin()
        .post("/items/opts", json!({"title": "c", "code": "A1"}))
        .await;
    r.assert_error(400, "RECORD_NOT_UNIQUE");
    assert_eq!(r.body["errors"][0]["extensions"]["field"], "code");
    // is_nullable false: missing and null are both refused.
    let r = app.admin().post("/items/opts", json!({"code": "B1"})).await;
    r.assert_error(400, "FAILED_VALIDATION");
    assert_eq!(r.body["errors"][0]["extensions"]["field"], "title");
    let r = app
        .admin()
        .post("/items/opts", json!({"code": "B2", "title": null}))
        .await;
    r.assert_error(400, "FAILED_VALIDATION");
    let r = app.admin().get("/items/opts?aggregate[count]=*").await;
    assert_eq!(r.body["data"][0]["count"], 1, "{}", r.text);
}

#[tokio::test]
async fn specials_fill_uuid_dates_users_and_cast_json() {
    let app = TestApp::spawn().await;
    let me = admin_id(&app).await;
    create_collection(
        &app,
        json!({"collection": "docs", "schema": {}, "fields": [
            {"field": "title", "type": "string"},
            {"field": "ref", "type": "uuid", "meta": {"special": ["uuid"]}},
            {"field": "created_on", "type": "timestamp", "meta": {"special": ["date-created"]}},
            {"field": "updated_on", "type": "timestamp", "meta": {"special": ["date-updated"]}},
            {"field": "created_by", "type": "uuid", "meta": {"special": ["user-created"]}},
            {"field": "updated_by", "type": "uuid", "meta": {"special": ["user-updated"]}},
            {"field": "blob", "type": "text", "meta": {"special": ["cast-json"]}}]}),
    )
    .await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    let r = app
        .admin()
        .post(
            "/items/docs",
            json!({"title": "x", "blob": {"k": [1, "two"]}, "created_by": null}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = r.body["data"].clone();
    assert!(uuid::Uuid::parse_str(d["ref"].as_str().expect("generated uuid")).is_ok());
    let created: chrono::DateTime<chrono::Utc> = d["created_on"]
        .as_str()
        .expect("date-created")
        .parse()
        .unwrap();
    assert!(created >= before && created <= chrono::Utc::now() + chrono::Duration::seconds(5));
    assert_eq!(d["created_by"], me.as_str());
    // The *-updated specials only apply to updates (Directus's payload transformers).
    assert_eq!(d["updated_on"], Value::Null);
    assert_eq!(d["updated_by"], Value::Null);
    assert_eq!(d["blob"], json!({"k": [1, "two"]}));
    let fields = app.admin().get("/fields/docs").await.body["data"].clone();
    assert_eq!(field_of(&fields, "blob")["type"], "json");

    let id = d["id"].as_i64().unwrap();
    let r = app
        .admin()
        .patch(&format!("/items/docs/{id}"), json!({"title": "y"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let u = &r.body["data"];
    assert_eq!(u["updated_by"], me.as_str());
    assert!(u["updated_on"].is_string(), "{u}");
    assert_eq!(u["created_on"], d["created_on"]);
    assert_eq!(u["ref"], d["ref"]);
}

#[tokio::test]
async fn fields_are_added_altered_and_deleted_keeping_data() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        json!({"collection": "stock", "schema": {}, "fields": [
            {"field": "name", "type": "string", "schema": {"is_unique": true}},
            {"field": "qty", "type": "integer"},
            {"field": "note", "type": "text"}]}),
    )
    .await;
    let r = app
        .admin()
        .post(
            "/items/stock",
            json!([{"name": "a", "qty": 10, "note": "n1"}, {"name": "b", "qty": 20, "note": "n2"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Add a field with a default: existing rows get it.
    let r = app
        .admin()
        .post(
            "/fields/stock",
            json!({"field": "shelf", "type": "string", "schema": {"default_value": "A"},
                   "meta": {"note": "where"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["field"], "shelf");
    assert_eq!(r.body["data"]["type"], "string");
    assert_eq!(r.body["data"]["meta"]["note"], "where");
    // A required field without default cannot be added to a table with rows; nothing changes.
    let r = app
        .admin()
        .post(
            "/fields/stock",
            json!({"field": "must", "type": "integer", "schema": {"is_nullable": false}}),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    // Duplicate field.
    let r = app
        .admin()
        .post("/fields/stock", json!({"field": "qty", "type": "integer"}))
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");

    // Alter: integer → string (the SQLite path rebuilds the table), make name required,
    // change meta.
    let r = app
        .admin()
        .patch(
            "/fields/stock/qty",
            json!({"type": "string", "meta": {"note": "now text"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["type"], "string");
    assert_eq!(r.body["data"]["meta"]["note"], "now text");
    let r = app
        .admin()
        .patch(
            "/fields/stock/name",
            json!({"schema": {"is_nullable": false}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["schema"]["is_nullable"], false);
    assert_eq!(r.body["data"]["schema"]["is_unique"], true);

    let rows = app.admin().get("/items/stock?sort=id").await;
    assert_eq!(
        rows.body["data"],
        json!([
            {"id": 1, "name": "a", "qty": "10", "note": "n1", "shelf": "A"},
            {"id": 2, "name": "b", "qty": "20", "note": "n2", "shelf": "A"}
        ]),
        "{}",
        rows.text
    );
    // Constraints survive the alteration.
    let r = app.admin().post("/items/stock", json!({"name": "a"})).await;
    r.assert_error(400, "RECORD_NOT_UNIQUE");
    let r = app.admin().post("/items/stock", json!({"qty": "5"})).await;
    r.assert_error(400, "FAILED_VALIDATION");
    // Autoincrement survives as well (PostgreSQL sequences may skip values used by the
    // failed inserts above).
    let r = app.admin().post("/items/stock", json!({"name": "c"})).await;
    assert!(
        r.body["data"]["id"].as_i64().is_some_and(|id| id > 2),
        "{}",
        r.text
    );

    // Delete a field: the others keep their values.
    let r = app.admin().delete("/fields/stock/note").await;
    assert_eq!(r.status, 204, "{}", r.text);
    let rows = app.admin().get("/items/stock?sort=id&limit=2").await;
    assert_eq!(
        rows.body["data"],
        json!([
            {"id": 1, "name": "a", "qty": "10", "shelf": "A"},
            {"id": 2, "name": "b", "qty": "20", "shelf": "A"}
        ])
    );
    let r = app.admin().get("/fields/stock/note").await;
    r.assert_error(403, "FORBIDDEN");
    // The primary key can be neither deleted nor changed.
    app.admin()
        .delete("/fields/stock/id")
        .await
        .assert_error(400, "INVALID_PAYLOAD");
}

#[tokio::test]
async fn collections_are_listed_updated_and_deleted() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        json!({"collection": "gone", "schema": {}, "fields": [{"field": "x", "type": "string"}]}),
    )
    .await;
    app.admin().post("/items/gone", json!({"x": "1"})).await;
    let list = app.admin().get("/collections").await;
    assert_eq!(list.status, 200);
    let names: Vec<&str> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["collection"].as_str())
        .collect();
    assert!(names.contains(&"gone"));
    assert!(names.contains(&"directus_users"));
    let r = app.admin().get("/collections/gone").await;
    assert_eq!(r.body["data"]["schema"]["name"], "gone");
    let r = app
        .admin()
        .patch("/collections/gone", json!({"meta": {"note": "bye"}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["meta"]["note"], "bye");

    let r = app.admin().delete("/collections/gone").await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.admin()
        .get("/collections/gone")
        .await
        .assert_error(403, "FORBIDDEN");
    app.admin()
        .get("/items/gone")
        .await
        .assert_error(403, "FORBIDDEN");
    app.admin()
        .get("/fields/gone")
        .await
        .assert_error(403, "FORBIDDEN");
    app.admin()
        .delete("/collections/gone")
        .await
        .assert_error(403, "FORBIDDEN");
    // The name is free again, with a fresh table.
    create_collection(
        &app,
        json!({"collection": "gone", "schema": {}, "fields": [{"field": "y", "type": "integer"}]}),
    )
    .await;
    let r = app.admin().get("/items/gone").await;
    assert_eq!(r.body["data"], json!([]), "{}", r.text);
}

#[tokio::test]
async fn dangerous_reserved_and_duplicate_names_are_refused() {
    let app = TestApp::spawn().await;
    let bad_names = [
        "a\"; DROP TABLE directus_users; --".to_owned(),
        "with space".to_owned(),
        "quote'd".to_owned(),
        "dq\"x".to_owned(),
        "semi;colon".to_owned(),
        "a".repeat(65),
        String::new(),
        "1starts_with_digit".to_owned(),
    ];
    for name in &bad_names {
        let r = app
            .admin()
            .post("/collections", json!({"collection": name, "schema": {}}))
            .await;
        r.assert_error(400, "INVALID_PAYLOAD");
    }
    // Field names too, at creation and when added.
    create_collection(&app, json!({"collection": "safe", "schema": {}})).await;
    for name in &bad_names {
        let r = app
            .admin()
            .post(
                "/collections",
                json!({"collection": "other", "schema": {},
                       "fields": [{"field": name, "type": "string"}]}),
            )
            .await;
        r.assert_error(400, "INVALID_PAYLOAD");
        let r = app
            .admin()
            .post("/fields/safe", json!({"field": name, "type": "string"}))
            .await;
        r.assert_error(400, "INVALID_PAYLOAD");
    }
    // 64 characters is still fine.
    create_collection(&app, json!({"collection": "b".repeat(64), "schema": {}})).await;
    // Nothing was dropped: the users table still answers.
    assert_eq!(app.admin().get("/users").await.status, 200);
    assert_eq!(app.admin().get("/items/safe").await.status, 200);

    for name in ["directus_things", "directus_users"] {
        let r = app
            .admin()
            .post("/collections", json!({"collection": name, "schema": {}}))
            .await;
        r.assert_error(400, "INVALID_PAYLOAD");
    }
    let r = app
        .admin()
        .post("/collections", json!({"collection": "safe", "schema": {}}))
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(
        r.message(),
        "Invalid payload. Collection \"safe\" already exists."
    );
    // System collections cannot be altered through /fields.
    let r = app
        .admin()
        .post(
            "/fields/directus_users",
            json!({"field": "x", "type": "string"}),
        )
        .await;
    r.assert_error(403, "FORBIDDEN");
    // Unknown types are refused.
    let r = app
        .admin()
        .post(
            "/fields/safe",
            json!({"field": "g", "type": "geometry.Point"}),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
}

#[tokio::test]
async fn only_admins_change_the_schema() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        json!({"collection": "locked", "schema": {}, "fields": [{"field": "x", "type": "string"}]}),
    )
    .await;
    let role = make_role(&app, "Plain", None).await;
    let (_, user) = make_user(&app, "plain@example.com", Some(&role)).await;
    for client in [user, app.anon()] {
        client
            .post("/collections", json!({"collection": "mine", "schema": {}}))
            .await
            .assert_error(403, "FORBIDDEN");
        client
            .patch("/collections/locked", json!({"meta": {"note": "x"}}))
            .await
            .assert_error(403, "FORBIDDEN");
        client
            .delete("/collections/locked")
            .await
            .assert_error(403, "FORBIDDEN");
        client
            .post("/fields/locked", json!({"field": "y", "type": "string"}))
            .await
            .assert_error(403, "FORBIDDEN");
        client
            .patch("/fields/locked/x", json!({"meta": {"note": "x"}}))
            .await
            .assert_error(403, "FORBIDDEN");
        client
            .delete("/fields/locked/x")
            .await
            .assert_error(403, "FORBIDDEN");
        // Without any permission the definition is hidden too.
        client
            .get("/collections/locked")
            .await
            .assert_error(403, "FORBIDDEN");
        client
            .get("/fields/locked")
            .await
            .assert_error(403, "FORBIDDEN");
    }
    // Nothing changed.
    let fields = app.admin().get("/fields/locked").await.body["data"].clone();
    assert_eq!(fields.as_array().unwrap().len(), 2);
    assert_eq!(app.admin().get("/collections/locked").await.status, 200);
}
