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
    // The issue's two requests.
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
    r.assert_error(400, "VALUE_TOO_LONG");
    assert!(!r.text.contains("tok-xxx"), "{}", r.text);
    assert!(r.message().contains("**********"), "{}", r.text);

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

/// Server log lines of the flow targets (the `log` operation, `exec` console output, run-log
/// errors), captured for the whole test binary by one global subscriber.
mod server_log {
    use std::sync::{Arc, Mutex, OnceLock};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    static LOG: OnceLock<Buffer> = OnceLock::new();

    /// Starts capturing (idempotent).
    pub fn capture() {
        LOG.get_or_init(|| {
            let buffer = Buffer::default();
            let writer = buffer.clone();
            let filter =
                tracing_subscriber::EnvFilter::new("off,flows::exec=trace,server::flows=trace");
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .try_init();
            buffer
        });
    }

    /// Everything captured so far.
    pub fn text() -> String {
        let bytes = LOG
            .get()
            .map(|b| b.0.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Every secret the leaky flow's request carries, and the env values it reads.
const RUN_SECRETS: &[&str] = &[
    "body-pw-111",
    "body-token-222",
    "body-apikey-333",
    "body-cs-444",
    "deep-rt-555",
    "deep-at-666",
    "hdr-key-777",
    "hdr-proxy-888",
    "hdr-cookie-999",
    "reply-at-1010",
    "inline-secret-1111",
    ADMIN_TOKEN,
    "987654321",
    "list-el-one",
    "list-el-two",
    "json-inner-secret",
];

async fn leaky_app() -> TestApp {
    server_log::capture();
    TestApp::spawn_with(|c| {
        c.import_ip_deny_list = vec![];
        let env = [
            ("NUM_SECRET", "987654321"),
            ("LIST_SECRET", "list-el-one,list-el-two"),
            ("JSON_SECRET", r#"{"inner": "json-inner-secret", "n": [1]}"#),
        ];
        c.flows_env_allow_list = env.iter().map(|(k, _)| (*k).to_owned()).collect();
        c.flows_env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
    })
    .await
}

#[tokio::test]
async fn run_logs_redact_secrets_at_any_depth_and_every_copy() {
    let app = leaky_app().await;
    let api = tests::Receiver::start(
        200,
        json!({"ok": true, "access_token": "reply-at-1010", "session": {"Set-Cookie": "reply-at-1010"}}),
    )
    .await;
    let flow = create_flow(
        &app,
        json!({"name": "leaky", "trigger": "webhook", "accountability": "all",
               "options": {"method": "POST", "return": "$last"},
               "operations": [
                   {"key": "note", "operation": "log", "options": {"message":
                       "pw={{$trigger.body.password}} lifted={{$trigger.password}} tok={{$trigger.token}} key={{$trigger.headers.x-api-key}} n={{$env.NUM_SECRET}} l={{$env.LIST_SECRET}} j={{$env.JSON_SECRET.inner}}"}},
                   {"key": "copy", "operation": "transform", "options": {"json": {
                       "copied": "{{$trigger.body.password}}",
                       "url": "https://api.example.com/x?key={{$trigger.body.api_key}}&t={{$trigger.token}}",
                       "nested": {"deep": [{"n": "{{$trigger.body.client_secret}}"}]},
                       "num": "{{$env.NUM_SECRET}}",
                       "list": "{{$env.LIST_SECRET}}",
                       "one": "{{$env.LIST_SECRET.1}}",
                       "json": "{{$env.JSON_SECRET}}",
                       "deep_copy": "{{$trigger.deep}}",
                       "plain": "visible words"}}},
                   {"key": "call", "operation": "request", "options": {
                       "url": api.url, "method": "POST",
                       "headers": [{"header": "X-Api-Key", "value": "{{$trigger.headers.x-api-key}}"},
                                   {"header": "Proxy-Authorization", "value": "{{$trigger.headers.proxy-authorization}}"},
                                   {"header": "X-Plain", "value": "plain-header"}],
                       "body": "{\"password\": \"{{$trigger.body.password}}\", \"inline_secret\": \"inline-secret-1111\", \"n\": {{$env.NUM_SECRET}}}"}},
                   {"key": "script", "operation": "exec", "options": {"code":
                       "module.exports = function(data) { console.log('script sees', data.$trigger.body.password, process.env.NUM_SECRET, process.env.LIST_SECRET); console.warn(data.$trigger.headers); console.error(JSON.stringify({apiKey: data.$trigger.body.api_key})); return {seen: data.$trigger.body.password, env: process.env.JSON_SECRET, n: process.env.NUM_SECRET}; }"}}
               ]}),
    )
    .await;
    let body = json!({"password": "body-pw-111", "token": "body-token-222",
                      "api_key": "body-apikey-333", "client_secret": "body-cs-444",
                      "deep": {"Refresh_Token": "deep-rt-555", "list": [{"ACCESS_TOKEN": "deep-at-666"}]},
                      "order": 12});
    let r = app
        .admin()
        .with_header("x-api-key", "hdr-key-777")
        .with_header("proxy-authorization", "Basic hdr-proxy-888")
        .with_header("cookie", "sid=hdr-cookie-999")
        .post(&format!("/flows/trigger/{flow}"), body)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The secrets did travel: the external API got them, the script saw them.
    let got = api.wait_for(1).await;
    assert_eq!(got[0].headers["x-api-key"], "hdr-key-777");
    assert_eq!(got[0].headers["proxy-authorization"], "Basic hdr-proxy-888");
    assert!(got[0].body.contains("body-pw-111"), "{}", got[0].body);
    assert_eq!(r.body["data"]["seen"], "body-pw-111");

    app.flush_logs().await;
    let rev = app
        .admin()
        .get(&format!("/revisions?filter[item][_eq]={flow}"))
        .await;
    assert_eq!(rev.status, 200, "{}", rev.text);
    assert_eq!(
        rev.body["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        rev.text
    );
    for s in RUN_SECRETS {
        assert!(!rev.text.contains(s), "{s} in the run log: {}", rev.text);
    }
    let data = &rev.body["data"][0]["data"];
    let chain = &data["data"];
    assert_eq!(chain["$trigger"]["password"], "--redacted--");
    assert_eq!(chain["$trigger"]["body"]["password"], "--redacted--");
    assert_eq!(chain["$trigger"]["headers"]["x-api-key"], "--redacted--");
    assert_eq!(chain["$trigger"]["body"]["order"], 12);
    assert_eq!(chain["copy"]["plain"], "visible words");
    assert_eq!(chain["copy"]["num"], "--redacted:NUM_SECRET--");
    assert_eq!(chain["copy"]["one"], "--redacted:LIST_SECRET--");
    assert_eq!(
        chain["copy"]["list"],
        json!(["--redacted:LIST_SECRET--", "--redacted:LIST_SECRET--"])
    );
    assert_eq!(chain["copy"]["json"]["inner"], "--redacted:JSON_SECRET--");
    assert_eq!(chain["copy"]["json"]["n"], json!([1]));
    let steps = data["steps"].as_array().unwrap();
    assert!(
        steps[0]["options"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("pw=--redacted-- lifted=--redacted--")),
        "{}",
        rev.text
    );
    assert_eq!(
        steps[2]["options"]["headers"][2],
        json!({"header": "X-Plain", "value": "plain-header"})
    );

    // The server log: the `log` step and the script's console, redacted too.
    let log = server_log::text();
    assert!(log.contains("script sees"), "{log}");
    for s in RUN_SECRETS {
        assert!(!log.contains(s), "{s} in the server log: {log}");
    }
}

/// Holds the run-log writer back until dropped, so the runs triggered meanwhile are written
/// as one batch: the SQLite write gate, or on PostgreSQL a lock on the activity table (the
/// writer's first insert).
enum WriterHold {
    Gate(server::db::GateGuard),
    Lock(sea_orm::DatabaseTransaction),
}

impl WriterHold {
    async fn take(app: &TestApp) -> WriterHold {
        use sea_orm::{ConnectionTrait, TransactionTrait};
        match app.backend {
            tests::Backend::Sqlite => {
                let gate = app
                    .server
                    .as_ref()
                    .expect("running")
                    .state
                    .gate
                    .enter()
                    .await;
                assert!(gate.is_held(), "SQLite has a write gate");
                WriterHold::Gate(gate)
            }
            tests::Backend::Postgres => {
                let txn = app.db().begin().await.expect("begin");
                txn.execute_unprepared("LOCK TABLE directus_activity IN ACCESS EXCLUSIVE MODE")
                    .await
                    .expect("lock");
                WriterHold::Lock(txn)
            }
        }
    }

    async fn release(self) {
        match self {
            WriterHold::Gate(g) => drop(g),
            WriterHold::Lock(txn) => txn.commit().await.expect("commit"),
        }
    }
}

/// A webhook flow whose run log holds the request body; returns its id.
async fn echo_flow(app: &TestApp) -> String {
    create_flow(
        app,
        json!({"name": "echo", "trigger": "webhook", "accountability": "all",
               "options": {"method": "POST", "return": "$last"},
               "operations": [{"key": "echo", "operation": "transform",
                               "options": {"json": {"got": "{{$trigger.body}}"}}}]}),
    )
    .await
}

/// The flow's runs and revisions once every queued log is written.
async fn logged(app: &TestApp, flow: &str) -> (Vec<Value>, Vec<Value>) {
    app.flush_logs().await;
    let runs = app
        .admin()
        .get(&format!("/runs?filter[flow][_eq]={flow}&limit=-1"))
        .await;
    assert_eq!(runs.status, 200, "{}", runs.text);
    let revs = app
        .admin()
        .get(&format!(
            "/revisions?filter[item][_eq]={flow}&limit=-1&sort=id"
        ))
        .await;
    assert_eq!(revs.status, 200, "{}", revs.text);
    (
        runs.body["data"].as_array().cloned().unwrap_or_default(),
        revs.body["data"].as_array().cloned().unwrap_or_default(),
    )
}

#[tokio::test]
async fn run_logs_holding_nul_characters_are_written_with_their_batch() {
    let app = TestApp::spawn().await;
    let flow = echo_flow(&app).await;
    let hold = WriterHold::take(&app).await;
    for n in 0..5 {
        // Run 2 carries NUL in a value and in a key (`\u0000` in the JSON text).
        let body = if n == 2 {
            json!({"n": n, "text": "a\u{0}b", "k\u{0}ey": true})
        } else {
            json!({"n": n, "text": "plain"})
        };
        let r = app
            .admin()
            .post(&format!("/flows/trigger/{flow}"), body)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    hold.release().await;
    let (runs, revs) = logged(&app, &flow).await;
    assert_eq!(runs.len(), 5, "{runs:?}");
    assert_eq!(revs.len(), 5, "{revs:?}");
    let mut seen: Vec<i64> = revs
        .iter()
        .map(|r| r["data"]["data"]["$trigger"]["body"]["n"].as_i64().unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, [0, 1, 2, 3, 4]);
    // NUL reads back as U+2400 SYMBOL FOR NULL, on both databases.
    let nul = revs
        .iter()
        .find(|r| r["data"]["data"]["$trigger"]["body"]["n"] == 2)
        .unwrap();
    let body = &nul["data"]["data"]["$trigger"]["body"];
    assert_eq!(body["text"], "a\u{2400}b", "{nul}");
    assert_eq!(body["k\u{2400}ey"], true, "{nul}");
    assert_eq!(nul["data"]["data"]["echo"]["got"]["text"], "a\u{2400}b");
}

#[tokio::test]
async fn a_run_log_that_cannot_be_written_does_not_take_its_batch_with_it() {
    use sea_orm::ConnectionTrait;
    server_log::capture();
    let app = TestApp::spawn().await;
    let flow = echo_flow(&app).await;
    // The database refuses one run's revision, whatever the writer does with its content.
    let refuse = match app.backend {
        tests::Backend::Sqlite => vec![
            "CREATE TRIGGER refuse_marked BEFORE INSERT ON directus_revisions \
             WHEN instr(NEW.data, 'REFUSE-ME') > 0 BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
        ],
        tests::Backend::Postgres => vec![
            "CREATE FUNCTION refuse_marked() RETURNS trigger AS $$ BEGIN \
             IF NEW.data::text LIKE '%REFUSE-ME%' THEN RAISE EXCEPTION 'refused by test'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_marked BEFORE INSERT ON directus_revisions \
             FOR EACH ROW EXECUTE FUNCTION refuse_marked()",
        ],
    };
    for sql in refuse {
        app.db()
            .execute_unprepared(sql)
            .await
            .expect("test trigger");
    }
    let hold = WriterHold::take(&app).await;
    for n in 0..6 {
        let text = if n == 3 { "REFUSE-ME" } else { "fine" };
        let r = app
            .admin()
            .post(
                &format!("/flows/trigger/{flow}"),
                json!({"n": n, "text": text}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    hold.release().await;
    let (runs, revs) = logged(&app, &flow).await;
    let mut seen: Vec<i64> = revs
        .iter()
        .map(|r| r["data"]["data"]["$trigger"]["body"]["n"].as_i64().unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, [0, 1, 2, 4, 5], "{revs:?}");
    assert_eq!(runs.len(), 5, "{runs:?}");
    let acts = app
        .admin()
        .get(&format!(
            "/activity?filter[item][_eq]={flow}&filter[action][_eq]=run&limit=-1"
        ))
        .await;
    assert_eq!(
        acts.body["data"].as_array().map(Vec::len),
        Some(5),
        "{}",
        acts.text
    );
    // The refused run is reported by flow and start time, never with its data.
    let log = server_log::text();
    let line = log
        .lines()
        .find(|l| l.contains("could not write a run log") && l.contains(&flow))
        .unwrap_or_else(|| panic!("no report for the refused run: {log}"));
    assert!(!line.contains("REFUSE-ME"), "{line}");
}

#[tokio::test]
async fn numbers_beyond_their_column_are_refused_not_clamped_or_crashed() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    create_collection(
        &app,
        json!({"collection": "nums", "schema": {}, "fields": [
            {"field": "big", "type": "bigInteger"},
            {"field": "price", "type": "decimal",
             "schema": {"numeric_precision": 10, "numeric_scale": 2}}]}),
    )
    .await;
    // A page far beyond the end reads nothing (the offset no longer overflows the driver).
    for path in [
        "/users?page=922337203685477580&limit=100",
        "/items/nums?page=922337203685477580&limit=100",
        "/items/nums?groupBy=big&aggregate[count]=*&page=922337203685477580&limit=100",
    ] {
        let r = admin.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_eq!(r.body["data"], json!([]), "{path}");
    }
    // Integers above i64::MAX are out of range, never stored as i64::MAX.
    for big in [
        json!(9223372036854775808u64),
        json!("9223372036854775808"),
        json!(1.8e19),
    ] {
        let r = admin.post("/items/nums", json!({"big": big})).await;
        r.assert_error(400, "VALUE_OUT_OF_RANGE");
        assert_eq!(r.body["errors"][0]["extensions"]["field"], "big");
    }
    let r = admin
        .get("/items/nums?filter[big][_eq]=9223372036854775808")
        .await;
    r.assert_error(400, "INVALID_QUERY");
    let r = admin
        .post(
            "/items/nums",
            json!({"big": 9223372036854775807i64, "price": "99999999.99"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["big"], 9223372036854775807i64);
    // A decimal wider than its precision, on both databases, names its field.
    for price in [
        json!("123456789012"),
        json!(99999999.999),
        json!(-100000000),
    ] {
        let r = admin.post("/items/nums", json!({"price": price})).await;
        r.assert_error(400, "VALUE_OUT_OF_RANGE");
        assert_eq!(
            r.body["errors"][0]["extensions"]["field"], "price",
            "{}",
            r.text
        );
    }
    let r = admin.get("/items/nums?aggregate[count]=*").await;
    assert_eq!(r.body["data"][0]["count"], 1, "{}", r.text);
}

#[tokio::test]
async fn defaults_that_do_not_fit_their_column_are_refused_before_the_ddl() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let bad = [
        ("integer", json!(99999999999i64)),
        ("integer", json!("3000000000")),
        ("bigInteger", json!(9223372036854775808u64)),
        ("uuid", json!("nope")),
        ("timestamp", json!("not a date")),
        ("date", json!("2024-13-45")),
        ("time", json!("25:61")),
        ("string", json!("a\u{0}b")),
        ("json", json!({"a": ["\u{0}"]})),
    ];
    for (i, (kind, default)) in bad.iter().enumerate() {
        let r = admin
            .post(
                "/collections",
                json!({"collection": format!("d{i}"), "schema": {},
                       "fields": [{"field": "x", "type": kind, "schema": {"default_value": default}}]}),
            )
            .await;
        r.assert_error(400, "INVALID_PAYLOAD");
        assert!(r.message().contains("does not fit"), "{kind}: {}", r.text);
        // Nothing half-made: neither the table nor its meta.
        let r = admin.get(&format!("/collections/d{i}")).await;
        r.assert_error(403, "FORBIDDEN");
    }
    // The same refusal when a field is added or changed later.
    create_collection(
        &app,
        json!({"collection": "later", "schema": {}, "fields": [{"field": "n", "type": "integer"}]}),
    )
    .await;
    let r = admin
        .post(
            "/fields/later",
            json!({"field": "m", "type": "integer", "schema": {"default_value": 4294967296u64}}),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    let r = admin
        .patch(
            "/fields/later/n",
            json!({"schema": {"default_value": 4294967296u64}}),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    // Defaults that fit still work, and inserts use them.
    let r = admin
        .patch(
            "/fields/later/n",
            json!({"schema": {"default_value": 2147483647}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = admin.post("/items/later", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["n"], 2147483647);
}

#[tokio::test]
async fn fields_granted_on_some_rows_do_not_leak_through_sort_or_aggregates() {
    let app = TestApp::spawn().await;
    create_collection(
        &app,
        json!({"collection": "staff", "schema": {}, "fields": [
            {"field": "name", "type": "string"},
            {"field": "team", "type": "string"},
            {"field": "salary", "type": "integer"}]}),
    )
    .await;
    let r = app
        .admin()
        .post(
            "/items/staff",
            json!([{"name": "me", "team": "a", "salary": 50},
                   {"name": "boss", "team": "b", "salary": 900},
                   {"name": "peer", "team": "b", "salary": 10}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Every row's name and team; salaries only on the caller's own row.
    let policy = make_policy(&app, json!({"name": "staff"})).await;
    permit(
        &app,
        &policy,
        "staff",
        "read",
        json!({"fields": ["id", "name", "team"]}),
    )
    .await;
    permit(
        &app,
        &policy,
        "staff",
        "read",
        json!({"fields": ["*"], "permissions": {"name": {"_eq": "me"}}}),
    )
    .await;
    let (uid, user) = make_user(&app, "staff@example.com", None).await;
    attach(&app, None, Some(&uid), &policy).await;
    let r = user.get("/items/staff?sort=id").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["salary"].clone())
            .collect::<Vec<_>>(),
        [json!(50), Value::Null, Value::Null]
    );
    // Sorting by the salary orders only by what the caller sees (hidden values are NULL).
    let names = |r: &Resp| -> Vec<String> {
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let asc = names(&user.get("/items/staff?sort=salary,id&fields=name").await);
    let desc = names(&user.get("/items/staff?sort=-salary,id&fields=name").await);
    // "boss" and "peer" tie (both hidden), so `id` orders them the same both ways.
    let hidden: Vec<&String> = asc.iter().filter(|n| *n != "me").collect();
    assert_eq!(hidden, ["boss", "peer"], "{asc:?}");
    let hidden: Vec<&String> = desc.iter().filter(|n| *n != "me").collect();
    assert_eq!(hidden, ["boss", "peer"], "{desc:?}");
    // Aggregates and groups see only the caller's own salary.
    let r = user
        .get("/items/staff?aggregate[max]=salary&aggregate[sum]=salary&aggregate[count]=salary")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"][0]["max"]["salary"], 50, "{}", r.text);
    assert_eq!(r.body["data"][0]["sum"]["salary"], 50.0, "{}", r.text);
    assert_eq!(r.body["data"][0]["count"]["salary"], 1, "{}", r.text);
    let r = user
        .get("/items/staff?groupBy=salary&aggregate[count]=*&sort=salary")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        !r.text.contains("900") && !r.text.contains("10,"),
        "{}",
        r.text
    );
    let mut groups: Vec<Value> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| json!([g["salary"], g["count"]]))
        .collect();
    groups.sort_by_key(|g| g.to_string());
    assert_eq!(groups, [json!([50, 1]), json!([null, 2])], "{}", r.text);
}
