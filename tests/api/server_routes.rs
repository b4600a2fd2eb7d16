//! `/server/ping`, `/server/health`, `/server/info`.

use tests::TestApp;

#[tokio::test]
async fn ping_answers_pong() {
    let app = TestApp::spawn().await;
    let r = app.anon().get("/server/ping").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, "pong");
}

/// Directus answers the ping before looking at any token; other routes still refuse one
/// that is bad.
#[tokio::test]
async fn ping_answers_pong_even_with_a_bad_token() {
    let app = TestApp::spawn().await;
    let bad = app.client.with_token("not-a-token");
    let r = bad.get("/server/ping").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.text, "pong");
    let r = app
        .anon()
        .get("/server/ping?access_token=not-a-token")
        .await;
    assert_eq!(r.text, "pong");
    bad.get("/server/info")
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn health_is_ok_and_details_are_for_admins() {
    let app = TestApp::spawn().await;
    let r = app.anon().get("/server/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
    assert!(r.body.get("checks").is_none());
    assert_eq!(
        r.headers["content-type"].to_str().unwrap(),
        "application/health+json"
    );
    let r = app.admin().get("/server/health").await;
    assert_eq!(r.body["status"], "ok");
    let checks = r.body["checks"].as_object().expect("checks for admins");
    let (name, check) = checks.iter().next().unwrap();
    assert!(name.ends_with(":responseTime"), "{name}");
    assert_eq!(check[0]["componentType"], "datastore");
}

#[tokio::test]
async fn info_shows_project_to_everyone_and_limits_to_users() {
    let app = TestApp::spawn().await;
    let r = app.anon().get("/server/info").await;
    assert_eq!(r.status, 200);
    assert!(r.body["data"]["project"]["project_name"].is_string());
    assert!(r.body["data"].get("queryLimit").is_none());
    let r = app.admin().get("/server/info").await;
    assert_eq!(r.body["data"]["queryLimit"]["default"], 100);
    assert!(r.body["data"]["version"].is_string());
}
