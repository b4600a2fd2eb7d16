//! Shared set-up for the data-layer tests: collections, roles, policies, access links,
//! permission rows and users, all made through the API as an admin would.

use reqwest::Method;
use serde_json::{Value, json};
use tests::{Resp, TestApp, TestClient};

/// The built-in Public policy (directus.md §8.1).
pub const PUBLIC_POLICY: &str = "abf8a154-5b1c-4a46-ac9c-7300570f4f17";

/// `POST` with `client` (any server: in-process or a child process); panics unless 200;
/// returns `data`.
pub async fn post_ok(client: &TestClient, path: &str, body: Value) -> Value {
    let r = client.post(path, body).await;
    assert_eq!(r.status, 200, "POST {path}: {}", r.text);
    r.body["data"].clone()
}

/// `POST /collections` as admin; panics unless 200.
pub async fn create_collection(app: &TestApp, body: Value) -> Value {
    post_ok(&app.admin(), "/collections", body).await
}

/// `POST` as admin to a system route; returns `data`.
pub async fn admin_post(app: &TestApp, path: &str, body: Value) -> Value {
    post_ok(&app.admin(), path, body).await
}

/// A role (optionally under a parent); returns its id.
pub async fn make_role(app: &TestApp, name: &str, parent: Option<&str>) -> String {
    let d = admin_post(app, "/roles", json!({"name": name, "parent": parent})).await;
    d["id"].as_str().expect("role id").to_owned()
}

/// A policy; returns its id.
pub async fn make_policy(app: &TestApp, body: Value) -> String {
    let d = admin_post(app, "/policies", body).await;
    d["id"].as_str().expect("policy id").to_owned()
}

/// Links a policy to a role, a user, or (both `None`) the public.
pub async fn attach(app: &TestApp, role: Option<&str>, user: Option<&str>, policy: &str) {
    admin_post(
        app,
        "/access",
        json!({"role": role, "user": user, "policy": policy}),
    )
    .await;
}

/// One permission row; returns its id.
pub async fn permit(
    app: &TestApp,
    policy: &str,
    collection: &str,
    action: &str,
    extra: Value,
) -> Value {
    let mut body = json!({"policy": policy, "collection": collection, "action": action,
                          "fields": ["*"]});
    if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
    let d = admin_post(app, "/permissions", body).await;
    d["id"].clone()
}

/// A user with a static token; returns the id and a client sending the token.
pub async fn make_user(app: &TestApp, email: &str, role: Option<&str>) -> (String, TestClient) {
    let token = format!("token-{}", email.replace(['@', '.'], "-"));
    let d = admin_post(
        app,
        "/users",
        json!({"email": email, "password": "secret-pass", "role": role, "token": token,
               "status": "active"}),
    )
    .await;
    let id = d["id"].as_str().expect("user id").to_owned();
    (id, app.client.with_token(&token))
}

/// The admin's user id.
pub async fn admin_id(app: &TestApp) -> String {
    let r = app.admin().get("/users/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"]["id"].as_str().unwrap().to_owned()
}

/// `SEARCH` with a JSON body.
pub async fn search(client: &TestClient, path: &str, body: Value) -> Resp {
    client
        .request(
            Method::from_bytes(b"SEARCH").expect("method"),
            path,
            Some(body),
        )
        .await
}

/// `DELETE` with a JSON body.
pub async fn delete_with(client: &TestClient, path: &str, body: Value) -> Resp {
    client.request(Method::DELETE, path, Some(body)).await
}

/// The `id`s of `data` (numbers), in answer order.
pub fn ids(r: &Resp) -> Vec<i64> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("data array: {}", r.text))
        .iter()
        .map(|i| i["id"].as_i64().unwrap_or_else(|| panic!("id in {i}")))
        .collect()
}

/// Sorted field names of an object.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `?filter=<json>` (encoded).
pub fn filter_qs(filter: &Value) -> String {
    format!("filter={}", enc(&filter.to_string()))
}
