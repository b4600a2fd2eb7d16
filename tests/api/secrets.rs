//! Secrets never leave the server: concealed fields (`password`, `token`, `tfa_secret`, any
//! `conceal` or `hash` field) through every query channel and read path, secrets in run logs
//! (revisions) at any depth, in `exec` console output, and run logs whose content PostgreSQL's
//! `jsonb` refuses.

use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, Resp, TestApp};

use crate::fixtures::{
    attach, create_collection, filter_qs, make_policy, make_user, permit, search,
};
use crate::flows::create_flow;

/// Asserts a 400 INVALID_QUERY whose body holds none of `secrets`.
#[track_caller]
fn refused(r: &Resp, secrets: &[&str]) {
    r.assert_error(400, "INVALID_QUERY");
    for s in secrets {
        assert!(!r.text.contains(s), "answer leaks {s:?}: {}", r.text);
    }
}

/// A collection with `conceal` string and integer fields, a `hash` text field and a plain
/// one, and two rows; returns the create answer.
async fn vault(app: &TestApp) -> Resp {
    create_collection(
        app,
        json!({"collection": "vault", "schema": {}, "fields": [
            {"field": "label", "type": "string"},
            {"field": "api_secret", "type": "string", "meta": {"special": ["conceal"]}},
            {"field": "pin", "type": "text", "meta": {"special": ["hash"]}},
            {"field": "code", "type": "integer", "meta": {"special": ["conceal"]}}]}),
    )
    .await;
    let r = app
        .admin()
        .post(
            "/items/vault",
            json!([{"label": "a", "api_secret": "sk-live-AAAA", "pin": "1234", "code": 4711},
                   {"label": "b", "api_secret": "sk-live-BBBB", "pin": "9876", "code": 815}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r
}

#[tokio::test]
async fn concealed_fields_do_not_leave_through_aggregates_or_group_by() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    // The two requests.
    refused(
        &admin.get("/users?aggregate[min]=password").await,
        &["$argon2"],
    );
    refused(
        &admin.get("/users?groupBy[]=token&aggregate[count]=*").await,
        &[ADMIN_TOKEN],
    );
    for q in [
        "aggregate[max]=password",
        "aggregate[max]=token",
        "aggregate[min]=tfa_secret",
        "aggregate[countDistinct]=token",
        "aggregate[countAll]=*&groupBy=password",
        "aggregate[count]=*&groupBy=id,token",
    ] {
        refused(
            &admin.get(&format!("/users?{q}")).await,
            &[ADMIN_TOKEN, "$argon2"],
        );
    }
    // A non-admin reader of `directus_users` gets no further than an admin.
    let policy = make_policy(&app, json!({"name": "readers"})).await;
    permit(&app, &policy, "directus_users", "read", json!({})).await;
    let (reader_id, reader) = make_user(&app, "reader@example.com", None).await;
    attach(&app, None, Some(&reader_id), &policy).await;
    assert_eq!(reader.get("/users?fields=id").await.status, 200);
    for q in [
        "aggregate[max]=token",
        "groupBy=password&aggregate[count]=*",
        "sort=token",
    ] {
        refused(
            &reader.get(&format!("/users?{q}")).await,
            &[ADMIN_TOKEN, "$argon2"],
        );
    }
    // Counting set values says no more than `_nnull`, so it stays allowed.
    let r = admin.get("/users?aggregate[count]=token").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"][0]["count"]["token"], 2, "{}", r.text);

    // A user collection: `conceal` and `hash` specials, text and integer columns alike.
    vault(&app).await;
    for q in [
        "aggregate[min]=api_secret",
        "aggregate[max]=pin",
        "aggregate[sum]=code",
        "aggregate[avg]=code",
        "aggregate[max]=code",
        "aggregate[count]=*&groupBy=api_secret",
        "aggregate[count]=*&groupBy=pin",
    ] {
        refused(
            &admin.get(&format!("/items/vault?{q}")).await,
            &["sk-live", "$argon2", "4711", "815"],
        );
    }
    // The same query through SEARCH and through a flow's item-read operation.
    let r = search(
        &admin,
        "/items/vault",
        json!({"query": {"aggregate": {"max": "api_secret"}}}),
    )
    .await;
    refused(&r, &["sk-live"]);
    let flow = create_flow(
        &app,
        json!({"name": "agg", "trigger": "webhook", "accountability": "all",
               "options": {"method": "POST", "return": "$last"},
               "operations": [{"key": "read", "operation": "item-read",
                               "options": {"collection": "vault", "permissions": "$full",
                                           "query": {"aggregate": {"max": "api_secret"}}}}]}),
    )
    .await;
    let r = admin
        .post(&format!("/flows/trigger/{flow}"), json!({}))
        .await;
    assert!(!r.text.contains("sk-live"), "{}", r.text);
    app.flush_logs().await;
    let rev = admin
        .get(&format!("/revisions?filter[item][_eq]={flow}"))
        .await;
    assert_eq!(rev.status, 200, "{}", rev.text);
    assert_eq!(rev.body["data"].as_array().map(Vec::len), Some(1));
    assert!(!rev.text.contains("sk-live"), "{}", rev.text);
}

#[tokio::test]
async fn concealed_fields_are_no_sort_or_filter_oracle() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    vault(&app).await;
    for q in ["sort=api_secret", "sort=-pin", "sort=label,-code"] {
        refused(&admin.get(&format!("/items/vault?{q}")).await, &["sk-live"]);
    }
    for q in ["sort=token", "sort=-password", "sort=tfa_secret"] {
        refused(&admin.get(&format!("/users?{q}")).await, &[ADMIN_TOKEN]);
    }
    // An update by query would otherwise pick its rows in secret order.
    let r = admin
        .patch(
            "/items/vault",
            json!({"query": {"sort": ["api_secret"], "limit": 1}, "data": {"label": "x"}}),
        )
        .await;
    refused(&r, &["sk-live"]);

    // Filters: only "is it set" at any nesting depth, and no functions on concealed fields.
    let probes = [
        json!({"token": {"_starts_with": "a"}}),
        json!({"_or": [{"_and": [{"token": {"_eq": ADMIN_TOKEN}}]}]}),
        json!({"password": {"_contains": "argon2"}}),
        json!({"year(token)": {"_null": true}}),
        json!({"month(password)": {"_nnull": true}}),
        json!({"_and": [{"day(tfa_secret)": {"_empty": true}}]}),
    ];
    for f in &probes {
        for extra in ["", "&meta=filter_count", "&aggregate[count]=*"] {
            refused(
                &admin.get(&format!("/users?{}{extra}", filter_qs(f))).await,
                &[ADMIN_TOKEN],
            );
        }
    }
    for f in [
        json!({"api_secret": {"_eq": "sk-live-AAAA"}}),
        json!({"pin": {"_gt": "$"}}),
        json!({"code": {"_gte": 4711}}),
        json!({"year(api_secret)": {"_nnull": true}}),
    ] {
        refused(
            &admin.get(&format!("/items/vault?{}", filter_qs(&f))).await,
            &["sk-live"],
        );
    }
    let r = admin
        .get("/users?filter[token][_nnull]=true&meta=filter_count")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["meta"]["filter_count"], 1);

    // `$CURRENT_USER.token` reads as the mask, so comparing a column with it probes nothing.
    create_collection(
        &app,
        json!({"collection": "notes", "schema": {}, "fields": [{"field": "text", "type": "string"}]}),
    )
    .await;
    let r = admin
        .post(
            "/items/notes",
            json!([{"text": ADMIN_TOKEN}, {"text": "a"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for op in ["_eq", "_starts_with", "_lt"] {
        let f = json!({"text": {op: "$CURRENT_USER.token"}});
        let r = admin.get(&format!("/items/notes?{}", filter_qs(&f))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["data"], json!([]), "{op}: {}", r.text);
    }
}

#[tokio::test]
async fn concealed_fields_show_the_mask_on_every_read_path() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let created = vault(&app).await;
    let listed = admin.get("/items/vault?sort=id").await;
    for r in [&created, &listed] {
        for row in r.body["data"].as_array().unwrap() {
            for f in ["api_secret", "pin", "code"] {
                assert_eq!(row[f], "**********", "{f}: {}", r.text);
            }
        }
    }
    let leaks = |r: &Resp| {
        assert_eq!(r.status, 200, "{}", r.text);
        for s in [
            "sk-live",
            "$argon2",
            ADMIN_TOKEN,
            "4711",
            "token-u-example-com",
        ] {
            assert!(!r.text.contains(s), "answer leaks {s:?}: {}", r.text);
        }
    };
    for path in [
        "/items/vault",
        "/items/vault?fields=*",
        "/items/vault?fields=*.*",
        "/items/vault?fields=api_secret,pin,code",
        "/items/vault/1",
        "/items/vault/1?fields=pin",
        "/items/vault?deep[x][_limit]=1",
        "/items/vault?search=argon2",
    ] {
        let r = admin.get(path).await;
        leaks(&r);
        if let Some(rows) = r.body["data"].as_array() {
            for row in rows {
                if row.get("pin").is_some() {
                    assert_eq!(row["pin"], "**********", "{path}: {}", r.text);
                }
            }
        }
    }
    // `search` never looks at concealed values: the stored hash does not match its own text.
    let r = admin.get("/items/vault?search=argon2").await;
    assert_eq!(r.body["data"], json!([]), "{}", r.text);
    let r = admin.get("/items/vault?search=sk-live").await;
    assert_eq!(r.body["data"], json!([]), "{}", r.text);

    let (uid, user) = make_user(&app, "u@example.com", None).await;
    for path in [
        "/users".to_owned(),
        "/users?fields=*.*".to_owned(),
        "/users?fields=password,token,tfa_secret".to_owned(),
        format!("/users/{uid}"),
        "/users/me".to_owned(),
        "/users/me?fields=token".to_owned(),
    ] {
        leaks(&admin.get(&path).await);
    }
    leaks(&user.get("/users/me?fields=*").await);
    // Write answers return the item masked too.
    let r = admin
        .patch(
            &format!("/users/{uid}"),
            json!({"token": "token-u-example-com-2", "password": "another-pass"}),
        )
        .await;
    leaks(&r);
    assert!(!r.text.contains("another-pass"), "{}", r.text);
    assert_eq!(r.body["data"]["token"], "**********");
    let r = admin
        .patch("/items/vault/1", json!({"api_secret": "sk-live-CCCC"}))
        .await;
    leaks(&r);
    assert_eq!(r.body["data"]["api_secret"], "**********");
    // Item operations in flows read through the same rules.
    let flow = create_flow(
        &app,
        json!({"name": "read", "trigger": "webhook", "options": {"method": "POST", "return": "$last"},
               "operations": [{"key": "read", "operation": "item-read",
                               "options": {"collection": "directus_users", "permissions": "$full",
                                           "query": {"fields": ["*"]}}}]}),
    )
    .await;
    let r = admin
        .post(&format!("/flows/trigger/{flow}"), json!({}))
        .await;
    leaks(&r);
    assert!(r.text.contains("**********"), "{}", r.text);
}

#[tokio::test]
async fn user_writes_keep_secrets_out_of_revisions_and_errors() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    vault(&app).await;
    let (uid, user) = make_user(&app, "w@example.com", None).await;
    let r = admin
        .patch(
            &format!("/users/{uid}"),
            json!({"password": "Plain-Pass-1", "token": "fresh-token-777"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = user
        .patch("/users/me", json!({"password": "Plain-Pass-2"}))
        .await;
    // The token changed: the old client is refused; log in with the new one.
    assert!(r.status == 200 || r.status == 401, "{}", r.text);
    let me = app.client.with_token("fresh-token-777");
    let r = me
        .patch("/users/me", json!({"password": "Plain-Pass-3"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A too-long token is refused without echoing it.
    let long = format!("tok-{}", "x".repeat(400));
    let r = admin
        .patch(&format!("/users/{uid}"), json!({"token": long}))
        .await;
    assert!(r.status >= 400, "{}", r.text);
    assert!(!r.text.contains(&long), "{}", r.text);

    let r = admin.get("/revisions?limit=-1").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let revisions = r.body["data"].as_array().unwrap();
    assert!(
        revisions
            .iter()
            .any(|v| v["collection"] == "directus_users" && v["delta"]["password"] == "**********"),
        "{}",
        r.text
    );
    for s in [
        "Plain-Pass",
        "fresh-token-777",
        "secret-pass",
        "token-w-example-com",
        "$argon2",
        "sk-live",
        "1234",
        "4711",
    ] {
        assert!(!r.text.contains(s), "revisions leak {s:?}: {}", r.text);
    }
    let r = admin.get("/activity?limit=-1").await;
    assert_eq!(r.status, 200, "{}", r.text);
    for s in ["Plain-Pass", "fresh-token-777", "$argon2"] {
        assert!(!r.text.contains(s), "activity leaks {s:?}");
    }
}
