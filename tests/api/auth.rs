//! Authentication: login modes, refresh rotation, logout, every token error path of
//! directus.md §7, and static tokens.

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tests::{ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, TestApp};

use crate::fixtures::{attach, make_policy, make_role, make_user, permit};

const SECRET: &str = "test-secret-test-secret-test-secret";

fn jwt(claims: Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// Unpadded base64url, as JWT segments use.
fn base64url(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn json_login_returns_tokens_that_work() {
    let app = TestApp::spawn().await;
    let data = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(data["expires"], json!(900_000));
    assert_eq!(data["refresh_token"].as_str().unwrap().len(), 64);
    let token = data["access_token"].as_str().unwrap();

    let me = app.client.with_token(token).get("/users/me").await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["data"]["email"], ADMIN_EMAIL);
    assert_eq!(me.body["data"]["password"], "**********");
    assert_eq!(me.body["data"]["token"], "**********");

    // The JWT carries the Directus claims and issuer.
    let claims: Value = jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .unwrap()
        .claims;
    assert_eq!(claims["iss"], "directus");
    assert_eq!(claims["admin_access"], true);
    assert_eq!(claims["app_access"], true);
    assert!(claims["role"].is_string());
    assert_eq!(claims["id"], me.body["data"]["id"]);
}

#[tokio::test]
async fn login_email_is_case_insensitive() {
    let app = TestApp::spawn().await;
    app.login("ADMIN@Example.com", ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn wrong_password_and_unknown_email_are_invalid_credentials() {
    let app = TestApp::spawn().await;
    for body in [
        json!({"email": ADMIN_EMAIL, "password": "wrong"}),
        json!({"email": "nobody@example.com", "password": ADMIN_PASSWORD}),
    ] {
        let r = app.anon().post("/auth/login", body).await;
        r.assert_error(401, "INVALID_CREDENTIALS");
        assert_eq!(r.message(), "Invalid user credentials.");
    }
}

#[tokio::test]
async fn login_payload_is_validated() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"password": "x"}),
            "Invalid payload. \"email\" is required.",
        ),
        (
            json!({"email": "not-an-email", "password": "x"}),
            "Invalid payload. \"email\" must be a valid email.",
        ),
        (
            json!({"email": ADMIN_EMAIL}),
            "Invalid payload. \"password\" is required.",
        ),
        (
            json!({"email": ADMIN_EMAIL, "password": "x", "mode": "carrier-pigeon"}),
            "Invalid payload. \"mode\" must be one of [json, cookie, session].",
        ),
    ];
    for (body, message) in cases {
        let r = app.anon().post("/auth/login", body).await;
        r.assert_error(400, "INVALID_PAYLOAD");
        assert_eq!(r.message(), message);
    }
}

#[tokio::test]
async fn inactive_user_cannot_log_in_or_use_static_token() {
    let app = TestApp::spawn().await;
    let created = app
        .admin()
        .post(
            "/users",
            json!({"email": "sleepy@example.com", "password": "pw-123456", "status": "suspended",
                   "token": "sleepy-token"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let r = app
        .anon()
        .post(
            "/auth/login",
            json!({"email": "sleepy@example.com", "password": "pw-123456"}),
        )
        .await;
    r.assert_error(401, "INVALID_CREDENTIALS");
    app.client
        .with_token("sleepy-token")
        .get("/users/me")
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn login_stalls_for_login_stall_time() {
    let app = TestApp::spawn_with(|c| c.login_stall_time = Duration::from_millis(400)).await;
    for password in [ADMIN_PASSWORD, "wrong"] {
        let started = Instant::now();
        let r = app
            .anon()
            .post(
                "/auth/login",
                json!({"email": ADMIN_EMAIL, "password": password}),
            )
            .await;
        assert!(r.status == 200 || r.status == 401);
        assert!(
            started.elapsed() >= Duration::from_millis(400),
            "answered after {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn refresh_rotates_and_old_token_dies() {
    let app = TestApp::spawn().await;
    let data = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let old = data["refresh_token"].as_str().unwrap().to_owned();

    let r = app
        .anon()
        .post("/auth/refresh", json!({"refresh_token": old}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new = r.body["data"]["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(r.body["data"]["access_token"].is_string());
    assert_eq!(r.body["data"]["expires"], json!(900_000));

    // Reusing the rotated token fails; the new one works.
    app.anon()
        .post("/auth/refresh", json!({"refresh_token": old}))
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    let again = app
        .anon()
        .post(
            "/auth/refresh",
            json!({"refresh_token": new, "mode": "json"}),
        )
        .await;
    assert_eq!(again.status, 200);
}

#[tokio::test]
async fn refresh_after_logout_fails() {
    let app = TestApp::spawn().await;
    let data = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let refresh = data["refresh_token"].as_str().unwrap();
    let r = app
        .anon()
        .post("/auth/logout", json!({"refresh_token": refresh}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.anon()
        .post("/auth/refresh", json!({"refresh_token": refresh}))
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    // Logging out with an unknown token is not an error.
    let r = app
        .anon()
        .post("/auth/logout", json!({"refresh_token": "unknown"}))
        .await;
    assert_eq!(r.status, 204);
}

#[tokio::test]
async fn refresh_without_token_is_invalid_payload() {
    let app = TestApp::spawn().await;
    let r = app.anon().post("/auth/refresh", json!({})).await;
    r.assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(
        r.message(),
        "Invalid payload. The refresh token is required in either the payload or cookie."
    );
}

#[tokio::test]
async fn cookie_mode_uses_the_refresh_cookie() {
    let app = TestApp::spawn().await;
    let r = app
        .anon()
        .post(
            "/auth/login",
            json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "mode": "cookie"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["data"]["access_token"].is_string());
    assert!(r.body["data"].get("refresh_token").is_none());
    let cookie = r.cookie("directus_refresh_token").expect("refresh cookie");
    assert!(
        r.cookies()[0].contains("HttpOnly"),
        "cookie attributes: {:?}",
        r.cookies()
    );

    let with_cookie = app
        .anon()
        .with_header("cookie", &format!("directus_refresh_token={cookie}"));
    let refreshed = with_cookie.post("/auth/refresh", json!({})).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let rotated = refreshed
        .cookie("directus_refresh_token")
        .expect("new cookie");
    assert_ne!(rotated, cookie);
    // The old cookie is spent.
    with_cookie
        .post("/auth/refresh", json!({}))
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    // Logout clears the cookie.
    let out = app
        .anon()
        .with_header("cookie", &format!("directus_refresh_token={rotated}"))
        .post("/auth/logout", json!({}))
        .await;
    assert_eq!(out.status, 204);
    assert!(out.cookies().iter().any(|c| c.contains("Max-Age=0")));
}

#[tokio::test]
async fn session_mode_sets_a_session_cookie_that_authenticates() {
    let app = TestApp::spawn().await;
    let r = app
        .anon()
        .post(
            "/auth/login",
            json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "mode": "session"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["data"]["expires"].is_number());
    assert!(r.body["data"].get("access_token").is_none());
    let session = r.cookie("directus_session_token").expect("session cookie");
    let client = app
        .anon()
        .with_header("cookie", &format!("directus_session_token={session}"));
    assert_eq!(client.get("/users/me").await.status, 200);
    // After logout the session JWT stops working (its session row is gone).
    let out = client
        .post("/auth/logout", json!({"mode": "session"}))
        .await;
    assert_eq!(out.status, 204, "{}", out.text);
    let r = client.get("/users/me").await;
    r.assert_error(401, "INVALID_CREDENTIALS");
    assert!(
        r.cookies()
            .iter()
            .any(|c| c.starts_with("directus_session_token=;"))
    );
}

#[tokio::test]
async fn expired_jwt_is_token_expired() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let token = jwt(
        json!({"id": uuid::Uuid::new_v4(), "role": null, "app_access": false,
               "admin_access": false, "iat": now - 100, "exp": now - 10, "iss": "directus"}),
        SECRET,
    );
    let r = app.client.with_token(&token).get("/users/me").await;
    r.assert_error(401, "TOKEN_EXPIRED");
    assert_eq!(r.message(), "Token expired.");
}

#[tokio::test]
async fn tampered_jwt_is_invalid_token() {
    let app = TestApp::spawn().await;
    let data = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = data["access_token"].as_str().unwrap();
    // Same claims, signed with another key.
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .unwrap()
        .claims;
    let forged = jwt(claims, "not-the-secret");
    let r = app.client.with_token(&forged).get("/users/me").await;
    r.assert_error(403, "INVALID_TOKEN");
    assert_eq!(r.message(), "Invalid token.");
    // Edited claims with the original signature.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut edited = jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .unwrap()
        .claims;
    edited["role"] = json!(uuid::Uuid::new_v4());
    parts[1] = base64url(&serde_json::to_vec(&edited).unwrap());
    let r = app
        .client
        .with_token(&parts.join("."))
        .get("/users/me")
        .await;
    r.assert_error(403, "INVALID_TOKEN");
    // Missing Directus claims.
    let now = chrono::Utc::now().timestamp();
    let bare = jwt(
        json!({"id": uuid::Uuid::new_v4(), "exp": now + 60, "iss": "directus"}),
        SECRET,
    );
    app.client
        .with_token(&bare)
        .get("/users/me")
        .await
        .assert_error(403, "INVALID_TOKEN");
}

#[tokio::test]
async fn unknown_static_token_is_invalid_credentials_even_on_public_routes() {
    let app = TestApp::spawn().await;
    let r = app.client.with_token("nope").get("/server/info").await;
    r.assert_error(401, "INVALID_CREDENTIALS");
    // A JWT from another issuer is treated as a static token.
    let foreign = jwt(json!({"iss": "elsewhere", "sub": "x"}), "k");
    app.client
        .with_token(&foreign)
        .get("/server/info")
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn static_token_authenticates_via_header_and_query() {
    let app = TestApp::spawn().await;
    let r = app.admin().get("/users/me").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"]["email"], ADMIN_EMAIL);
    let r = app
        .anon()
        .get(&format!("/users/me?access_token={ADMIN_TOKEN}"))
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn token_in_query_and_header_is_rejected() {
    let app = TestApp::spawn().await;
    let r = app
        .admin()
        .get(&format!("/users/me?access_token={ADMIN_TOKEN}"))
        .await;
    r.assert_error(400, "INVALID_PAYLOAD");
    assert_eq!(
        r.message(),
        "Invalid payload. The request uses more than one method for including an access token."
    );
}

#[tokio::test]
async fn anonymous_me_is_invalid_credentials() {
    let app = TestApp::spawn().await;
    let r = app.anon().get("/users/me").await;
    r.assert_error(401, "INVALID_CREDENTIALS");
    assert_eq!(r.message(), "Invalid user credentials.");
    app.anon()
        .patch("/users/me", json!({"first_name": "x"}))
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
}

/// Directus reads `/users/me` with the caller's own permissions: without any read permission
/// on `directus_users` only the id is shown; with one, what it allows.
#[tokio::test]
async fn me_shows_what_the_callers_permissions_allow() {
    let app = TestApp::spawn().await;
    let role = make_role(&app, "Plain", None).await;
    let (id, plain) = make_user(&app, "plain@example.com", Some(&role)).await;
    let r = plain.get("/users/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"data": {"id": id}}));
    assert_eq!(
        plain.get("/users/me?fields=email,role").await.body,
        json!({"data": {"id": id}})
    );
    let policy = make_policy(&app, json!({"name": "Own record"})).await;
    attach(&app, Some(&role), None, &policy).await;
    permit(
        &app,
        &policy,
        "directus_users",
        "read",
        json!({"fields": ["id", "email", "first_name"],
               "permissions": {"id": {"_eq": "$CURRENT_USER"}}}),
    )
    .await;
    let r = plain.get("/users/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"data": {"id": id, "email": "plain@example.com", "first_name": null}})
    );
    let r = plain.get("/users/me?fields=email").await;
    assert_eq!(r.body, json!({"data": {"email": "plain@example.com"}}));
    // A field outside the permission: the read is refused, so only the id again.
    let r = plain.get("/users/me?fields=role").await;
    assert_eq!(r.body, json!({"data": {"id": id}}));
    // Admins read their whole record.
    let r = app.admin().get("/users/me").await;
    assert_eq!(r.body["data"]["email"], ADMIN_EMAIL);
    assert!(r.body["data"].get("role").is_some());
}

#[tokio::test]
async fn login_attempts_suspend_the_user() {
    let app = TestApp::spawn().await;
    app.admin()
        .patch("/settings", json!({"auth_login_attempts": 2}))
        .await;
    let user = app
        .admin()
        .post(
            "/users",
            json!({"email": "tries@example.com", "password": "right-pw"}),
        )
        .await;
    assert_eq!(user.status, 200, "{}", user.text);
    for _ in 0..3 {
        app.anon()
            .post(
                "/auth/login",
                json!({"email": "tries@example.com", "password": "wrong"}),
            )
            .await
            .assert_error(401, "INVALID_CREDENTIALS");
    }
    // Now suspended: even the right password fails.
    app.anon()
        .post(
            "/auth/login",
            json!({"email": "tries@example.com", "password": "right-pw"}),
        )
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    let id = user.body["data"]["id"].as_str().unwrap();
    let read = app.admin().get(&format!("/users/{id}")).await;
    assert_eq!(read.body["data"]["status"], "suspended");
}

#[tokio::test]
async fn generated_secret_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("sluice-secret-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("data.db").to_string_lossy().into_owned();
    if tests::Backend::from_env() == tests::Backend::Postgres {
        // The persisted secret is backend independent; exercising it on SQLite is enough.
        return;
    }
    let set_db = |c: &mut server::config::Config| {
        c.secret = None;
        c.db = server::config::DbConfig::Sqlite {
            filename: file.clone(),
        };
    };
    let mut first = TestApp::spawn_with(set_db).await;
    let token = first.login(ADMIN_EMAIL, ADMIN_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    first.stop().await;
    let second = TestApp::spawn_with(set_db).await;
    let r = second.client.with_token(&token).get("/users/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let _ = std::fs::remove_dir_all(dir);
}
