//! The error model at the HTTP boundary: unknown routes, bad bodies, oversized payloads.

use reqwest::Method;
use serde_json::json;
use tests::TestApp;

#[tokio::test]
async fn unknown_route_is_route_not_found() {
    let app = TestApp::spawn().await;
    let r = app.anon().get("/does/not/exist").await;
    r.assert_error(404, "ROUTE_NOT_FOUND");
    assert_eq!(r.message(), "Route /does/not/exist doesn't exist.");
    assert_eq!(r.body["errors"][0]["extensions"]["path"], "/does/not/exist");
    // A known path with an unsupported method is also a missing route, as in Directus.
    let r = app
        .anon()
        .request(Method::DELETE, "/server/ping", None)
        .await;
    r.assert_error(404, "ROUTE_NOT_FOUND");
}

#[tokio::test]
async fn malformed_json_is_invalid_payload() {
    let app = TestApp::spawn().await;
    let r = app
        .anon()
        .raw(
            Method::POST,
            "/auth/login",
            "application/json",
            b"{\"email\":".to_vec(),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    assert!(r.body["errors"][0]["extensions"]["reason"].is_string());
}

#[tokio::test]
async fn wrong_content_type_is_invalid_payload() {
    let app = TestApp::spawn().await;
    let r = app
        .anon()
        .raw(
            Method::POST,
            "/auth/login",
            "text/plain",
            b"email=a@b.co&password=x".to_vec(),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
}

#[tokio::test]
async fn body_over_max_payload_size_is_invalid_payload() {
    let app = TestApp::spawn_with(|c| c.max_payload_size = 1024).await;
    let big = json!({"email": "a@b.co", "password": "x".repeat(4096)});
    let r = app.anon().post("/auth/login", big).await;
    r.assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(r.message(), "Invalid payload. request entity too large.");
}

#[tokio::test]
async fn deeply_nested_json_is_refused_not_a_crash() {
    let app = TestApp::spawn().await;
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let r = app
        .anon()
        .raw(
            Method::POST,
            "/auth/login",
            "application/json",
            deep.into_bytes(),
        )
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    // The server is still fine.
    assert_eq!(app.anon().get("/server/ping").await.status, 200);
}

#[tokio::test]
async fn errors_have_the_directus_shape() {
    let app = TestApp::spawn().await;
    let r = app.anon().get("/nope").await;
    let errors = r.body["errors"].as_array().expect("errors array");
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["message"].is_string());
    assert!(errors[0]["extensions"]["code"].is_string());
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}
