//! `/items/{collection}` (directus.md §6): every route and response shape, the query
//! parameters, every SQL filter operator, dynamic variables, the INVALID_QUERY answers,
//! existence hiding, and the value errors of a write (nothing half-written).

use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{
    admin_id, create_collection, delete_with, enc, filter_qs, ids, keys, search,
};

const U1: &str = "11111111-1111-4111-8111-111111111111";
const U2: &str = "22222222-2222-4222-8222-222222222222";

/// The `products` collection with four rows (ids 1–4).
async fn products(app: &TestApp) {
    create_collection(
        app,
        json!({"collection": "products", "schema": {}, "fields": [
            {"field": "name", "type": "string", "schema": {"max_length": 20, "is_nullable": false}},
            {"field": "sku", "type": "string", "schema": {"is_unique": true}},
            {"field": "description", "type": "text"},
            {"field": "qty", "type": "integer"},
            {"field": "big", "type": "bigInteger"},
            {"field": "price", "type": "float"},
            {"field": "cost", "type": "decimal"},
            {"field": "active", "type": "boolean"},
            {"field": "tags", "type": "csv"},
            {"field": "data", "type": "json"},
            {"field": "ref", "type": "uuid"},
            {"field": "day", "type": "date"},
            {"field": "stamp", "type": "timestamp"}]}),
    )
    .await;
    let rows = json!([
        {"name": "Apple", "sku": "A1", "description": "red fruit", "qty": 10, "big": 10_000_000_000i64,
         "price": 1.5, "cost": "2.5", "active": true, "tags": ["fruit", "red"], "data": {"k": 1},
         "ref": U1, "day": "2024-01-15", "stamp": "2024-01-15T10:00:00Z"},
        {"name": "banana", "sku": "B2", "description": "Yellow 50% off", "qty": 20, "big": 1,
         "price": 0.25, "cost": "1", "active": false, "tags": ["fruit"], "ref": U2,
         "day": "2023-06-01", "stamp": "2023-06-01T08:30:00Z"},
        {"name": "Cherry_pie", "price": 3, "active": true, "day": "2024-12-31",
         "stamp": "2024-12-31T23:59:59Z"},
        {"name": "date", "sku": "D4", "description": "", "qty": 0, "price": -2,
         "day": "2022-03-03", "stamp": "2022-03-03T00:00:00Z"}
    ]);
    let r = app.admin().post("/items/products", rows).await;
    assert_eq!(r.status, 200, "seed: {}", r.text);
    assert_eq!(ids(&r), vec![1, 2, 3, 4]);
}

async fn filtered(app: &TestApp, filter: Value) -> Vec<i64> {
    let r = app
        .admin()
        .get(&format!("/items/products?sort=id&{}", filter_qs(&filter)))
        .await;
    assert_eq!(r.status, 200, "filter {filter}: {}", r.text);
    ids(&r)
}

#[tokio::test]
async fn every_sql_filter_operator() {
    let app = TestApp::spawn().await;
    products(&app).await;
    let cases: Vec<(Value, Vec<i64>)> = vec![
        (json!({"name": {"_eq": "Apple"}}), vec![1]),
        (json!({"name": "Apple"}), vec![1]),
        (json!({"qty": {"_eq": 10}}), vec![1]),
        (json!({"qty": {"_eq": "10"}}), vec![1]),
        (json!({"qty": {"_eq": null}}), vec![3]),
        (json!({"name": {"_neq": "Apple"}}), vec![2, 3, 4]),
        // NOT (qty = 10): NULLs match neither way.
        (json!({"qty": {"_neq": 10}}), vec![2, 4]),
        (json!({"qty": {"_neq": null}}), vec![1, 2, 4]),
        (json!({"qty": {"_lt": 10}}), vec![4]),
        (json!({"qty": {"_lte": 10}}), vec![1, 4]),
        (json!({"qty": {"_gt": 5}}), vec![1, 2]),
        (json!({"qty": {"_gte": "10"}}), vec![1, 2]),
        (json!({"price": {"_lt": 0}}), vec![4]),
        (json!({"price": {"_gte": 1.5}}), vec![1, 3]),
        (json!({"big": {"_gt": 5_000_000_000i64}}), vec![1]),
        (json!({"day": {"_gt": "2024-01-01"}}), vec![1, 3]),
        (json!({"day": {"_lte": "2023-06-01"}}), vec![2, 4]),
        (
            json!({"stamp": {"_gt": "2024-01-15T09:59:59Z"}}),
            vec![1, 3],
        ),
        (
            json!({"stamp": {"_lt": "2023-06-01T08:30:01Z"}}),
            vec![2, 4],
        ),
        (json!({"qty": {"_in": [10, 0]}}), vec![1, 4]),
        (json!({"qty": {"_in": "10,0"}}), vec![1, 4]),
        (
            json!({"name": {"_in": ["date", "banana", "nope"]}}),
            vec![2, 4],
        ),
        (json!({"ref": {"_in": [U1, U2]}}), vec![1, 2]),
        (json!({"qty": {"_nin": [10]}}), vec![2, 4]),
        (json!({"qty": {"_null": true}}), vec![3]),
        (json!({"qty": {"_null": false}}), vec![1, 2, 4]),
        (json!({"qty": {"_nnull": true}}), vec![1, 2, 4]),
        (json!({"qty": {"_nnull": false}}), vec![3]),
        (json!({"description": {"_empty": true}}), vec![3, 4]),
        (json!({"description": {"_empty": false}}), vec![1, 2]),
        (json!({"description": {"_nempty": true}}), vec![1, 2]),
        (json!({"description": {"_nempty": false}}), vec![3, 4]),
        (json!({"name": {"_contains": "an"}}), vec![2]),
        (json!({"name": {"_contains": "pp"}}), vec![1]),
        (json!({"name": {"_contains": "PP"}}), vec![]),
        (json!({"description": {"_ncontains": "fruit"}}), vec![2, 4]),
        (json!({"name": {"_icontains": "PP"}}), vec![1]),
        (json!({"name": {"_nicontains": "A"}}), vec![3]),
        (json!({"name": {"_starts_with": "Ch"}}), vec![3]),
        (json!({"name": {"_starts_with": "ch"}}), vec![]),
        (json!({"name": {"_nstarts_with": "Ch"}}), vec![1, 2, 4]),
        (json!({"name": {"_istarts_with": "cH"}}), vec![3]),
        (json!({"name": {"_nistarts_with": "CH"}}), vec![1, 2, 4]),
        (json!({"name": {"_ends_with": "pie"}}), vec![3]),
        (json!({"name": {"_ends_with": "PIE"}}), vec![]),
        (json!({"name": {"_nends_with": "pie"}}), vec![1, 2, 4]),
        (json!({"name": {"_iends_with": "PIE"}}), vec![3]),
        (json!({"name": {"_niends_with": "PIE"}}), vec![1, 2, 4]),
        // `%` and `_` are plain characters, not LIKE wildcards.
        (json!({"name": {"_contains": "_"}}), vec![3]),
        (json!({"name": {"_starts_with": "_"}}), vec![]),
        (json!({"description": {"_contains": "%"}}), vec![2]),
        (json!({"description": {"_contains": "0% o"}}), vec![2]),
        (json!({"description": {"_icontains": "%"}}), vec![2]),
        (json!({"name": {"_ends_with": "%"}}), vec![]),
        (json!({"qty": {"_between": [5, 20]}}), vec![1, 2]),
        (json!({"qty": {"_between": "0,10"}}), vec![1, 4]),
        (json!({"qty": {"_nbetween": [5, 20]}}), vec![4]),
        (
            json!({"day": {"_between": ["2023-01-01", "2024-06-30"]}}),
            vec![1, 2],
        ),
        (json!({"active": {"_eq": true}}), vec![1, 3]),
        (json!({"active": {"_eq": "false"}}), vec![2]),
        (json!({"active": {"_neq": true}}), vec![2]),
        (json!({"ref": {"_eq": U2}}), vec![2]),
        (json!({"data": {"_null": true}}), vec![2, 3, 4]),
        (json!({"qty": {"_gt": 5, "_lt": 15}}), vec![1]),
        (
            json!({"_and": [{"qty": {"_gte": 0}}, {"price": {"_lt": 1}}]}),
            vec![2, 4],
        ),
        (
            json!({"_or": [{"qty": {"_eq": 10}}, {"name": {"_eq": "date"}}]}),
            vec![1, 4],
        ),
        (
            json!({"_or": [{"_and": [{"active": true}, {"qty": {"_null": true}}]},
                           {"name": {"_eq": "banana"}}]}),
            vec![2, 3],
        ),
        (json!({"_or": []}), vec![1, 2, 3, 4]),
        (json!({"_and": []}), vec![1, 2, 3, 4]),
        (json!({"year(stamp)": {"_eq": 2024}}), vec![1, 3]),
        (json!({"year(day)": {"_lt": "2024"}}), vec![2, 4]),
        (json!({"month(day)": {"_eq": 6}}), vec![2]),
        (json!({"day(stamp)": {"_in": [15, 31]}}), vec![1, 3]),
        (json!({"hour(stamp)": {"_gte": 10}}), vec![1, 3]),
        (json!({"minute(stamp)": {"_eq": 30}}), vec![2]),
    ];
    let mut failures = Vec::new();
    for (filter, expected) in cases {
        let got = filtered(&app, filter.clone()).await;
        if got != expected {
            failures.push(format!("{filter}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn bracket_syntax_matches_json_syntax() {
    let app = TestApp::spawn().await;
    products(&app).await;
    let admin = app.admin();
    for (qs, expected) in [
        ("filter[qty][_gt]=5", vec![1, 2]),
        ("filter[qty][_in][]=10&filter[qty][_in][]=0", vec![1, 4]),
        ("filter[qty][_in][0]=10&filter[qty][_in][1]=0", vec![1, 4]),
        ("filter[qty][_in]=10,0", vec![1, 4]),
        (
            "filter[_or][0][qty][_eq]=10&filter[_or][1][name][_eq]=date",
            vec![1, 4],
        ),
        ("filter[active][_eq]=true", vec![1, 3]),
        ("filter[qty][_null]", vec![3]),
        ("filter[qty][_eq]=null", vec![3]),
        ("filter[name][_contains]=%25", vec![]),
        ("filter[description][_contains]=50%25", vec![2]),
        ("filter[name]=banana", vec![2]),
    ] {
        let r = admin.get(&format!("/items/products?sort=id&{qs}")).await;
        assert_eq!(ids(&r), expected, "{qs}");
    }
}

#[tokio::test]
async fn dynamic_variables_resolve_per_request() {
    let app = TestApp::spawn().await;
    let me = admin_id(&app).await;
    create_collection(
        &app,
        json!({"collection": "events", "schema": {}, "fields": [
            {"field": "at", "type": "timestamp"},
            {"field": "owner", "type": "uuid"}]}),
    )
    .await;
    let now = chrono::Utc::now();
    let iso = |d: chrono::DateTime<chrono::Utc>| d.to_rfc3339();
    let r = app
        .admin()
        .post(
            "/items/events",
            json!([
                {"at": iso(now - chrono::Duration::hours(2)), "owner": me},
                {"at": iso(now - chrono::Duration::minutes(30)), "owner": U1},
                {"at": iso(now + chrono::Duration::days(1)), "owner": me},
                {"at": iso(now - chrono::Duration::days(3))}
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let get = |f: Value| {
        let admin = app.admin();
        async move {
            ids(&admin
                .get(&format!("/items/events?sort=id&{}", filter_qs(&f)))
                .await)
        }
    };
    assert_eq!(get(json!({"at": {"_lt": "$NOW"}})).await, vec![1, 2, 4]);
    assert_eq!(get(json!({"at": {"_gt": "$NOW"}})).await, vec![3]);
    assert_eq!(
        get(json!({"at": {"_gte": "$NOW(-1 hour)"}})).await,
        vec![2, 3]
    );
    assert_eq!(get(json!({"at": {"_gte": "$NOW(-1h)"}})).await, vec![2, 3]);
    assert_eq!(
        get(json!({"at": {"_between": ["$NOW(-2 days)", "$NOW(-1 hour)"]}})).await,
        vec![1]
    );
    assert_eq!(get(json!({"at": {"_lt": "$NOW(-2)"}})).await, vec![4]);
    // Adjustments beyond any date fall back to plain now (they used to panic the handler).
    assert_eq!(
        get(json!({"at": {"_gt": "$NOW(-99999999999999999999999 days)"}})).await,
        vec![3]
    );
    assert_eq!(
        get(json!({"at": {"_lt": "$NOW(9223372036854775807 ms)"}})).await,
        vec![1, 2, 4]
    );
    assert_eq!(
        get(json!({"owner": {"_eq": "$CURRENT_USER"}})).await,
        vec![1, 3]
    );
    assert_eq!(
        get(json!({"owner": {"_neq": "$CURRENT_USER"}})).await,
        vec![2]
    );
    // Bracket syntax too.
    let r = app
        .admin()
        .get("/items/events?sort=id&filter[owner][_eq]=$CURRENT_USER")
        .await;
    assert_eq!(ids(&r), vec![1, 3]);
}

#[tokio::test]
async fn invalid_queries_are_400_invalid_query() {
    let app = TestApp::spawn().await;
    products(&app).await;
    let cases: Vec<(String, Option<&str>)> = vec![
        (
            "limit=abc".into(),
            Some("Invalid query. \"limit\" must be a number."),
        ),
        ("limit=-2".into(), None),
        ("offset=-1".into(), None),
        ("page=x".into(), None),
        (
            "filter=notjson".into(),
            Some("Invalid query. Invalid JSON for filter object."),
        ),
        (filter_qs(&json!({"qty": {"_foo": 1}})), None),
        (filter_qs(&json!({"_foo": []})), None),
        (
            filter_qs(&json!({"name": {"_eq": ""}})),
            Some(
                "Invalid query. You can't filter for an empty string in \"_eq\". Use \"_empty\" or \"_nempty\" instead.",
            ),
        ),
        (filter_qs(&json!({"name": {"_contains": ""}})), None),
        (filter_qs(&json!({"name": {"_eq": {"a": 1}}})), None),
        (filter_qs(&json!({"name": {"_eq": [1]}})), None),
        (filter_qs(&json!({"qty": {"_gt": "abc"}})), None),
        (filter_qs(&json!({"qty": {"_eq": "abc"}})), None),
        (filter_qs(&json!({"qty": {"_in": []}})), None),
        (filter_qs(&json!({"qty": {"_in": ["x"]}})), None),
        (filter_qs(&json!({"qty": {"_null": "maybe"}})), None),
        (filter_qs(&json!({"_and": {"qty": 1}})), None),
        (filter_qs(&json!({"ref": {"_contains": "1"}})), None),
        (filter_qs(&json!({"active": {"_gt": 1}})), None),
        (filter_qs(&json!({"ref": {"_eq": "not-a-uuid"}})), None),
        (filter_qs(&json!({"day": {"_gt": "soon"}})), None),
        (filter_qs(&json!({"bogus(day)": {"_eq": 1}})), None),
        (filter_qs(&json!({"name": {"_eq": "a\u{0}b"}})), None),
        ("filter=5".into(), None),
        ("meta=everything".into(), None),
        ("aggregate[median]=qty".into(), None),
        ("aggregate[sum]=name".into(), None),
        ("search=a%00b".into(), None),
    ];
    for (qs, message) in cases {
        let r = app.admin().get(&format!("/items/products?{qs}")).await;
        assert_eq!(
            (r.status, r.code()),
            (400, "INVALID_QUERY"),
            "{qs}: {}",
            r.text
        );
        if let Some(m) = message {
            assert_eq!(r.message(), m, "{qs}");
            assert!(r.body["errors"][0]["extensions"]["reason"].is_string());
        }
    }
}

#[tokio::test]
async fn fields_sort_limit_offset_page() {
    let app = TestApp::spawn().await;
    products(&app).await;
    let admin = app.admin();
    let r = admin.get("/items/products/1?fields=id,name").await;
    assert_eq!(
        r.body["data"],
        json!({"id": 1, "name": "Apple"}),
        "{}",
        r.text
    );
    let r = admin
        .get("/items/products?fields[]=name&fields[]=qty&sort=id&limit=1")
        .await;
    assert_eq!(
        r.body["data"],
        json!([{"name": "Apple", "qty": 10}]),
        "{}",
        r.text
    );
    let r = admin.get("/items/products/1").await;
    assert_eq!(
        keys(&r.body["data"]),
        vec![
            "active",
            "big",
            "cost",
            "data",
            "day",
            "description",
            "id",
            "name",
            "price",
            "qty",
            "ref",
            "sku",
            "stamp",
            "tags"
        ]
    );
    let r = admin.get("/items/products/1?fields=*").await;
    assert_eq!(keys(&r.body["data"]).len(), 14);

    assert_eq!(
        ids(&admin.get("/items/products?sort=-price").await),
        vec![3, 1, 2, 4]
    );
    assert_eq!(ids(&admin.get("/items/products?sort=name").await).len(), 4);
    assert_eq!(
        ids(&admin
            .get("/items/products?sort=-active,-id&filter[active][_nnull]=true")
            .await),
        vec![3, 1, 2]
    );
    assert_eq!(
        ids(&admin
            .get("/items/products?sort[]=-active&sort[]=id&filter[active][_nnull]")
            .await),
        vec![1, 3, 2]
    );
    assert_eq!(
        ids(&admin.get("/items/products?sort=id&limit=2").await),
        vec![1, 2]
    );
    assert_eq!(
        ids(&admin.get("/items/products?sort=id&limit=2&offset=1").await),
        vec![2, 3]
    );
    assert_eq!(
        ids(&admin.get("/items/products?sort=id&offset=3").await),
        vec![4]
    );
    assert_eq!(
        ids(&admin.get("/items/products?sort=id&limit=3&page=2").await),
        vec![4]
    );
    assert_eq!(
        ids(&admin.get("/items/products?sort=id&limit=2&page=1").await),
        vec![1, 2]
    );
    assert_eq!(
        ids(&admin.get("/items/products?limit=0").await),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&admin.get("/items/products?sort=id&limit=-1").await),
        vec![1, 2, 3, 4]
    );
}

#[tokio::test]
async fn the_default_limit_is_query_limit_default() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        json!({"collection": "many", "schema": {}, "fields": [{"field": "n", "type": "integer"}]}),
    )
    .await;
    let rows: Vec<Value> = (0..105).map(|n| json!({"n": n})).collect();
    let r = app
        .admin()
        .post("/items/many?fields=id", Value::Array(rows))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 105);
    let all = ids(&app.admin().get("/items/many").await);
    assert_eq!(all.len(), 100);
    assert_eq!(all, (1..=100).collect::<Vec<i64>>());
    assert_eq!(
        ids(&app.admin().get("/items/many?limit=-1").await).len(),
        105
    );
    let r = app.admin().get("/items/many?page=2").await;
    assert_eq!(ids(&r), (101..=105).collect::<Vec<i64>>());

    let small = TestApp::spawn_with(|c| c.query_limit_default = 3).await;
    create_collection(
        &small,
        json!({"collection": "many", "schema": {}, "fields": [{"field": "n", "type": "integer"}]}),
    )
    .await;
    let rows: Vec<Value> = (0..5).map(|n| json!({"n": n})).collect();
    small.admin().post("/items/many", Value::Array(rows)).await;
    assert_eq!(ids(&small.admin().get("/items/many").await), vec![1, 2, 3]);
    assert_eq!(
        ids(&small.admin().get("/items/many?limit=-1").await).len(),
        5
    );
    assert_eq!(
        ids(&small.admin().get("/items/many?limit=4").await).len(),
        4
    );
}

#[tokio::test]
async fn search_meta_and_aggregates() {
    let app = TestApp::spawn().await;
    products(&app).await;
    let admin = app.admin();
    for (term, expected) in [
        ("APPLE", vec![1]),
        ("  apple  ", vec![1]),
        ("20", vec![2]),
        ("10", vec![1]),
        (U1, vec![1]),
        ("%", vec![2]),
        ("_", vec![3]),
        ("fruit", vec![1, 2]),
        ("zzz", vec![]),
        ("1.5", vec![1]),
    ] {
        let r = admin
            .get(&format!("/items/products?sort=id&search={}", enc(term)))
            .await;
        assert_eq!(ids(&r), expected, "search {term:?}");
    }
    let r = admin
        .get("/items/products?meta=*&filter[qty][_gt]=5&search=a")
        .await;
    assert_eq!(
        r.body["meta"],
        json!({"total_count": 4, "filter_count": 2}),
        "{}",
        r.text
    );
    let r = admin.get("/items/products?meta=total_count&limit=1").await;
    assert_eq!(r.body["meta"], json!({"total_count": 4}));
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
    let r = admin
        .get("/items/products?meta=filter_count&filter[active][_eq]=true")
        .await;
    assert_eq!(r.body["meta"], json!({"filter_count": 2}));
    assert!(
        admin
            .get("/items/products")
            .await
            .body
            .get("meta")
            .is_none()
    );

    let r = admin.get("/items/products?aggregate[count]=*").await;
    assert_eq!(r.body["data"], json!([{"count": 4}]), "{}", r.text);
    let r = admin
        .get("/items/products?aggregate[sum]=qty&aggregate[avg]=qty&aggregate[min]=price&aggregate[max]=price&aggregate[countDistinct]=active&aggregate[count]=qty")
        .await;
    assert_eq!(
        r.body["data"],
        json!([{"sum": {"qty": 30}, "avg": {"qty": 10}, "min": {"price": -2}, "max": {"price": 3},
                "countDistinct": {"active": 2}, "count": {"qty": 3}}]),
        "{}",
        r.text
    );
    let r = admin
        .get(&format!(
            "/items/products?aggregate={}&filter[qty][_nnull]=true",
            enc(r#"{"sum":"qty","max":"day"}"#)
        ))
        .await;
    assert_eq!(
        r.body["data"],
        json!([{"sum": {"qty": 30}, "max": {"day": "2024-01-15"}}]),
        "{}",
        r.text
    );
    let r = admin
        .get("/items/products?aggregate[count]=*&aggregate[sum]=price&groupBy=active")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut groups: Vec<String> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.to_string())
        .collect();
    groups.sort();
    let mut expected: Vec<String> = [
        json!({"active": null, "count": 1, "sum": {"price": -2}}),
        json!({"active": false, "count": 1, "sum": {"price": 0.25}}),
        json!({"active": true, "count": 2, "sum": {"price": 4.5}}),
    ]
    .iter()
    .map(|g| g.to_string())
    .collect();
    expected.sort();
    assert_eq!(groups, expected);
    // An aggregate over an empty selection.
    let r = admin
        .get("/items/products?aggregate[count]=*&aggregate[sum]=qty&filter[qty][_gt]=1000")
        .await;
    assert_eq!(
        r.body["data"],
        json!([{"count": 0, "sum": {"qty": null}}]),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn every_route_answers_in_directus_shapes() {
    let app = TestApp::spawn().await;
    products(&app).await;
    let admin = app.admin();
    // Create one / many, read back with the URL query.
    let r = admin
        .post(
            "/items/products?fields=id,name",
            json!({"name": "egg", "qty": 1}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"data": {"id": 5, "name": "egg"}}),
        "{}",
        r.text
    );
    let r = admin
        .post(
            "/items/products?fields=id",
            json!([{"name": "fig"}, {"name": "grape"}]),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"data": [{"id": 6}, {"id": 7}]}),
        "{}",
        r.text
    );
    let r = admin.post("/items/products", json!("nope")).await;
    r.assert_error(400, "INVALID_PAYLOAD");
    // Read one and by query.
    let r = admin.get("/items/products/5?fields=name,qty").await;
    assert_eq!(r.body, json!({"data": {"name": "egg", "qty": 1}}));
    let r = admin
        .get("/items/products?fields=id&filter[id][_gte]=6")
        .await;
    assert_eq!(r.body, json!({"data": [{"id": 6}, {"id": 7}]}));
    // SEARCH: body query overrides the URL; keys.
    let r = search(
        &admin,
        "/items/products?filter[id][_eq]=1",
        json!({"query": {"filter": {"name": {"_starts_with": "g"}}, "fields": ["id", "name"],
                         "meta": "filter_count"}}),
    )
    .await;
    assert_eq!(
        r.body,
        json!({"data": [{"id": 7, "name": "grape"}], "meta": {"filter_count": 1}}),
        "{}",
        r.text
    );
    let r = search(
        &admin,
        "/items/products",
        json!({"keys": [6, 1, 999], "query": {"fields": "id,name"}}),
    )
    .await;
    assert_eq!(
        r.body,
        json!({"data": [{"id": 6, "name": "fig"}, {"id": 1, "name": "Apple"}]}),
        "{}",
        r.text
    );
    // Update one.
    let r = admin
        .patch("/items/products/5?fields=id,qty", json!({"qty": 2}))
        .await;
    assert_eq!(r.body, json!({"data": {"id": 5, "qty": 2}}), "{}", r.text);
    // Update many by keys.
    let r = admin
        .patch(
            "/items/products?fields=id,qty",
            json!({"keys": [6, 7], "data": {"qty": 3}}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"data": [{"id": 6, "qty": 3}, {"id": 7, "qty": 3}]}),
        "{}",
        r.text
    );
    // Update by query.
    let r = admin
        .patch(
            "/items/products?fields=id,qty",
            json!({"query": {"filter": {"qty": {"_eq": 3}}, "sort": "-id"}, "data": {"qty": 4}}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"data": [{"id": 7, "qty": 4}, {"id": 6, "qty": 4}]}),
        "{}",
        r.text
    );
    // Batch: each item carries its key.
    let r = admin
        .patch(
            "/items/products?fields=id,qty,name",
            json!([{"id": 6, "qty": 60}, {"id": 7, "name": "grapes"}]),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"data": [{"id": 6, "qty": 60, "name": "fig"}, {"id": 7, "qty": 4, "name": "grapes"}]}),
        "{}",
        r.text
    );
    // Malformed update bodies.
    admin
        .patch(
            "/items/products",
            json!({"keys": [1], "query": {}, "data": {}}),
        )
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    admin
        .patch("/items/products", json!({"keys": [1]}))
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    admin
        .patch("/items/products", json!([{"qty": 1}]))
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    admin
        .patch("/items/products/1", json!([1]))
        .await
        .assert_error(400, "INVALID_PAYLOAD");

    // Deletes: one, array, {keys}, {query}; always 204.
    let r = admin.delete("/items/products/5").await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let r = delete_with(&admin, "/items/products", json!([6])).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = delete_with(&admin, "/items/products", json!({"keys": [7]})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = delete_with(
        &admin,
        "/items/products",
        json!({"query": {"filter": {"qty": {"_null": true}}}}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        ids(&admin.get("/items/products?sort=id").await),
        vec![1, 2, 4]
    );
    admin
        .delete("/items/products")
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    admin
        .request(
            reqwest::Method::DELETE,
            "/items/products",
            Some(json!({"nothing": true})),
        )
        .await
        .assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(
        ids(&admin.get("/items/products?sort=id").await),
        vec![1, 2, 4]
    );
}

#[tokio::test]
async fn existence_is_hidden() {
    let app = TestApp::spawn().await;
    products(&app).await;
    create_collection(
        &app,
        json!({"collection": "keyed", "schema": {}, "fields": [
            {"field": "id", "type": "uuid", "schema": {"is_primary_key": true},
             "meta": {"special": ["uuid"]}}]}),
    )
    .await;
    let admin = app.admin();
    let r = admin.get("/items/nothing_here").await;
    r.assert_error(403, "FORBIDDEN");
    let reason = "You don't have permission to access collection \"nothing_here\" or it does not exist. Queried in root.";
    assert_eq!(r.message(), reason);
    assert_eq!(r.body["errors"][0]["extensions"]["reason"], reason);
    for (method, path) in [
        ("POST", "/items/nothing_here"),
        ("PATCH", "/items/nothing_here/1"),
        ("DELETE", "/items/nothing_here/1"),
        ("GET", "/items/directus_users"),
        ("GET", "/items/directus_permissions/1"),
    ] {
        let r = admin
            .request(
                method.parse().unwrap(),
                path,
                (method != "GET" && method != "DELETE").then(|| json!({"a": 1})),
            )
            .await;
        r.assert_error(403, "FORBIDDEN");
    }
    for path in [
        "/items/products/999",
        "/items/products/abc",
        "/items/products/1.5",
        "/items/keyed/not-a-uuid",
        "/items/keyed/33333333-3333-4333-8333-333333333333",
    ] {
        let r = admin.get(path).await;
        r.assert_error(403, "FORBIDDEN");
        assert_eq!(
            r.message(),
            "You don't have permission to access this.",
            "{path}"
        );
    }
    // Admin PATCH/DELETE of a missing key: nothing happens, 204.
    let r = admin.patch("/items/products/999", json!({"qty": 1})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = admin.delete("/items/products/999").await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        ids(&admin.get("/items/products?sort=id").await),
        vec![1, 2, 3, 4]
    );
    // Unknown fields in fields, filter, sort, aggregate, groupBy.
    let reason = "You don't have permission to access field \"nope\" in collection \"products\" or it does not exist. Queried in root.";
    for qs in [
        "fields=id,nope".to_owned(),
        filter_qs(&json!({"nope": {"_eq": 1}})),
        filter_qs(&json!({"_or": [{"id": 1}, {"nope": {"_null": true}}]})),
        "sort=nope".to_owned(),
        "sort=-nope".to_owned(),
        "aggregate[max]=nope".to_owned(),
        "aggregate[count]=*&groupBy=nope".to_owned(),
    ] {
        let r = admin.get(&format!("/items/products?{qs}")).await;
        r.assert_error(403, "FORBIDDEN");
        assert_eq!(r.body["errors"][0]["extensions"]["reason"], reason, "{qs}");
    }
    let r = admin.get("/items/products/1?fields=nope").await;
    r.assert_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn write_errors_and_unknown_fields() {
    let app = TestApp::spawn().await;
    products(&app).await;
    let admin = app.admin();
    // Unknown payload fields are dropped for admins.
    let r = admin
        .post(
            "/items/products",
            json!({"name": "extra", "bogus": 1, "also": {"x": 1}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["data"].get("bogus").is_none());
    assert_eq!(r.body["data"]["name"], "extra");
    let r = admin
        .patch("/items/products/1", json!({"bogus": 2, "qty": 11}))
        .await;
    assert_eq!(r.body["data"]["qty"], 11, "{}", r.text);

    // Uniqueness.
    let r = admin
        .post("/items/products", json!({"name": "dup", "sku": "A1"}))
        .await;
    r.assert_error(400, "RECORD_NOT_UNIQUE");
    assert_eq!(
        r.message(),
        "Value \"A1\" for field \"sku\" in collection \"products\" has to be unique."
    );
    let r = admin.patch("/items/products/2", json!({"sku": "A1"})).await;
    r.assert_error(400, "RECORD_NOT_UNIQUE");

    // Too long, out of range, NUL, wrong types.
    let r = admin
        .post("/items/products", json!({"name": "x".repeat(21)}))
        .await;
    r.assert_error(400, "VALUE_TOO_LONG");
    assert_eq!(r.body["errors"][0]["extensions"]["field"], "name");
    let r = admin
        .post(
            "/items/products",
            json!({"name": "ok", "qty": 3_000_000_000i64}),
        )
        .await;
    r.assert_error(400, "VALUE_OUT_OF_RANGE");
    assert_eq!(
        r.message(),
        "Numeric value \"3000000000\" for field \"qty\" in collection \"products\" is out of range."
    );
    let r = admin
        .post(
            "/items/products",
            json!({"name": "ok", "big": "99999999999999999999"}),
        )
        .await;
    r.assert_error(400, "VALUE_OUT_OF_RANGE");
    let r = admin
        .patch("/items/products/1", json!({"qty": -2_147_483_649i64}))
        .await;
    r.assert_error(400, "VALUE_OUT_OF_RANGE");
    for bad in [
        json!({"name": "a\u{0}b"}),
        json!({"name": "ok", "description": "nul \u{0} inside"}),
        json!({"name": "ok", "data": {"k": "v\u{0}"}}),
        json!({"name": "ok", "tags": ["a\u{0}"]}),
        json!({"name": "ok", "qty": "abc"}),
        json!({"name": "ok", "qty": 1.5}),
        json!({"name": "ok", "qty": {"n": 1}}),
        json!({"name": "ok", "price": "cheap"}),
        json!({"name": "ok", "active": "maybe"}),
        json!({"name": "ok", "ref": "not-a-uuid"}),
        json!({"name": "ok", "day": "someday"}),
        json!({"name": "ok", "stamp": "later"}),
        json!({"name": {"nested": true}}),
    ] {
        let r = admin.post("/items/products", bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert!(
            matches!(r.code(), "INVALID_PAYLOAD" | "FAILED_VALIDATION"),
            "{bad}: {}",
            r.text
        );
    }
    let r = admin
        .patch("/items/products/1", json!({"name": "a\u{0}"}))
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    // Nothing above was written.
    let r = admin.get("/items/products?aggregate[count]=*").await;
    assert_eq!(r.body["data"][0]["count"], 5, "{}", r.text);
    assert_eq!(
        admin.get("/items/products/1").await.body["data"]["name"],
        "Apple"
    );
}

#[tokio::test]
async fn a_failing_batch_writes_nothing() {
    let app = TestApp::spawn().await;
    products(&app).await;
    let admin = app.admin();
    let count = || async {
        admin.get("/items/products?aggregate[count]=*").await.body["data"][0]["count"]
            .as_i64()
            .unwrap()
    };
    // A value error in the second item.
    let r = admin
        .post(
            "/items/products",
            json!([{"name": "ok1"}, {"name": "x".repeat(30)}]),
        )
        .await;
    r.assert_error(400, "VALUE_TOO_LONG");
    assert_eq!(count().await, 4);
    // A database constraint failing on the second insert, after the first succeeded.
    let r = admin
        .post(
            "/items/products",
            json!([{"name": "ok2", "sku": "Z9"}, {"name": "ok3", "sku": "Z9"}]),
        )
        .await;
    r.assert_error(400, "RECORD_NOT_UNIQUE");
    assert_eq!(count().await, 4);
    // A batch update failing halfway leaves every row as it was.
    let r = admin
        .patch(
            "/items/products",
            json!([{"id": 1, "qty": 99}, {"id": 2, "sku": "D4"}]),
        )
        .await;
    r.assert_error(400, "RECORD_NOT_UNIQUE");
    assert_eq!(admin.get("/items/products/1").await.body["data"]["qty"], 10);
    // A keys update with one bad value changes nothing either.
    let r = admin
        .patch(
            "/items/products",
            json!({"keys": [1, 2], "data": {"sku": "same"}}),
        )
        .await;
    r.assert_error(400, "RECORD_NOT_UNIQUE");
    assert_eq!(
        admin.get("/items/products/1").await.body["data"]["sku"],
        "A1"
    );
    // And no audit rows were left behind for the failed writes.
    let r = admin
        .get("/activity?filter[collection][_eq]=products&aggregate[count]=*")
        .await;
    assert_eq!(r.body["data"][0]["count"], 4, "{}", r.text);
}

#[tokio::test]
async fn concurrent_creates_get_their_own_answers() {
    // On SQLite creates are committed in groups: one bad row must not fail its neighbours.
    let app = TestApp::spawn().await;
    let r = app
        .admin()
        .post(
            "/collections",
            json!({"collection": "tags", "schema": {},
                   "fields": [{"field": "name", "type": "string", "schema": {"is_unique": true}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut calls = Vec::new();
    for i in 0..40 {
        let client = app.admin();
        let name = if i % 10 == 0 {
            "dup".to_owned()
        } else {
            format!("t{i}")
        };
        calls.push(tokio::spawn(async move {
            client.post("/items/tags", json!({"name": name})).await
        }));
    }
    let mut ok = 0;
    let mut dup_errors = 0;
    for c in calls {
        let r = c.await.unwrap();
        match r.status {
            200 => ok += 1,
            400 if r.code() == "RECORD_NOT_UNIQUE" => dup_errors += 1,
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!((ok, dup_errors), (37, 3));
    let count = app.admin().get("/items/tags?aggregate[count]=*").await;
    assert_eq!(count.body["data"][0]["count"], 37);
    let activity = app
        .admin()
        .get("/activity?filter[collection][_eq]=tags&aggregate[count]=*")
        .await;
    assert_eq!(activity.body["data"][0]["count"], 37, "{}", activity.text);
}
