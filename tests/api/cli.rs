//! The `sluice` command line (issue 17 point 6, in part), run as the real binary on a fresh
//! database: `--help`, `migrate`, `bootstrap`, `users create` (then signing in as that user on
//! a server started on the same database), and the errors a mistake gets.

use serde_json::json;
use tests::process::Commands;

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn help_names_every_command() {
    let cli = Commands::new().await;
    let out = cli.run(&["--help"]);
    assert!(out.status.success(), "{}", text(&out));
    let help = text(&out);
    for command in ["serve", "migrate", "bootstrap", "users"] {
        assert!(help.contains(command), "{command} missing:\n{help}");
    }
    let out = cli.run(&["users", "create", "--help"]);
    assert!(out.status.success());
    assert!(text(&out).contains("--email") && text(&out).contains("--role"));
    // A mistake is a usage error (exit 2) that says what is wrong, not a server start.
    let out = cli.run(&["users", "create", "--password", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--email"), "{}", text(&out));
    let out = cli.run(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn migrate_bootstrap_and_create_a_user_who_can_sign_in() {
    let cli = Commands::new().await;
    let out = cli.run(&["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("migrated"), "{}", text(&out));
    // Again: nothing to do, still fine.
    assert!(cli.run(&["migrate"]).status.success());
    let out = cli.run(&["bootstrap"]);
    assert!(out.status.success(), "{}", text(&out));

    let out = cli.run(&[
        "users",
        "create",
        "--email",
        "ops@example.com",
        "--password",
        "s3cret-pass",
        "--role",
        "Administrator",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("created user"), "{}", text(&out));
    // The same email twice: refused, with the reason.
    let out = cli.run(&[
        "users",
        "create",
        "--email",
        "ops@example.com",
        "--password",
        "other",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("email"), "{}", text(&out));
    let out = cli.run(&[
        "users",
        "create",
        "--email",
        "x@example.com",
        "--password",
        "p",
        "--role",
        "Nobody",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("--role"), "{}", text(&out));

    let server = cli.serve().await;
    let r = server
        .anon()
        .post(
            "/auth/login",
            json!({"email": "ops@example.com", "password": "s3cret-pass"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let token = r.body["data"]["access_token"].as_str().unwrap().to_owned();
    let me = server
        .anon()
        .with_token(&token)
        .get("/users/me?fields=email,role.name")
        .await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["data"]["email"], "ops@example.com");
    assert_eq!(me.body["data"]["role"]["name"], "Administrator");
}

/// Flows as code: export, an apply that changes nothing, a dry run of edits that changes
/// nothing either, the apply of them, and a second apply that changes nothing; a masked
/// secret keeps the stored one; a bad file is named.
#[tokio::test]
async fn flows_export_and_apply_idempotently() {
    use hmac::{KeyInit, Mac};

    let cli = Commands::new().await;
    let mut server = cli.serve().await;
    let admin = server.admin();
    for (name, options) in [
        (
            "Signed hook",
            json!({"method": "POST", "signature": {"preset": "github", "secret": "kept-secret"}}),
        ),
        ("Plain hook", json!({"method": "POST"})),
    ] {
        let r = admin
            .post(
                "/flows",
                json!({"name": name, "trigger": "webhook", "status": "active", "options": options,
                       "operations": [{"key": "t", "operation": "transform",
                                       "options": {"json": {"from": name}}}]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    server.terminate(std::time::Duration::from_secs(10)).await;

    let dir = std::env::temp_dir().join(format!("sluice-flows-{}", uuid::Uuid::new_v4()));
    let dir_arg = dir.to_str().unwrap();
    let out = cli.run(&["flows", "export", dir_arg]);
    assert!(out.status.success(), "{}", text(&out));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    let signed_file = files
        .iter()
        .find(|f| {
            f.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("signed-hook-")
        })
        .unwrap()
        .clone();
    let plain_file = files.iter().find(|f| **f != signed_file).unwrap().clone();
    let signed_text = std::fs::read_to_string(&signed_file).unwrap();
    assert!(!signed_text.contains("kept-secret"), "{signed_text}");
    assert!(signed_text.contains("**********"));

    let out = cli.run(&["flows", "apply", dir_arg]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("0 to create, 0 to change, 0 to remove, 2 unchanged"),
        "{}",
        text(&out)
    );

    // Rename one, remove the other, add a new one.
    let mut signed: serde_json::Value = serde_json::from_str(&signed_text).unwrap();
    signed["name"] = json!("Signed hook, renamed");
    std::fs::write(&signed_file, signed.to_string()).unwrap();
    std::fs::remove_file(&plain_file).unwrap();
    let new_id = uuid::Uuid::new_v4().to_string();
    std::fs::write(
        dir.join("new.json"),
        json!({"id": new_id, "name": "New hook", "trigger": "webhook", "status": "active",
               "options": {"method": "GET"},
               "operations": [{"key": "hello", "operation": "transform",
                               "options": {"json": {"hello": "world"}}}]})
        .to_string(),
    )
    .unwrap();
    for _ in 0..2 {
        let out = cli.run(&["flows", "apply", dir_arg, "--dry-run"]);
        assert!(out.status.success(), "{}", text(&out));
        let said = text(&out);
        assert!(said.contains("~ change \"Signed hook, renamed\""), "{said}");
        assert!(said.contains("- remove \"Plain hook\""), "{said}");
        assert!(said.contains("+ create \"New hook\""), "{said}");
        assert!(
            said.contains("would: 1 to create, 1 to change, 1 to remove, 0 unchanged"),
            "{said}"
        );
    }
    let out = cli.run(&["flows", "apply", dir_arg]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("did: 1 to create, 1 to change, 1 to remove"),
        "{}",
        text(&out)
    );
    let out = cli.run(&["flows", "apply", dir_arg]);
    assert!(
        text(&out).contains("0 to create, 0 to change, 0 to remove, 2 unchanged"),
        "the second apply changes nothing: {}",
        text(&out)
    );

    // A document that cannot be used is named, and nothing is written.
    std::fs::write(dir.join("broken.json"), "{\"id\": ").unwrap();
    let out = cli.run(&["flows", "apply", dir_arg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("broken.json"), "{}", text(&out));
    std::fs::write(
        dir.join("broken.json"),
        json!({"id": uuid::Uuid::new_v4().to_string(), "name": "Bad", "trigger": "webhook",
               "options": {"rateLimit": {"points": 0}}})
        .to_string(),
    )
    .unwrap();
    let out = cli.run(&["flows", "apply", dir_arg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("broken.json") && text(&out).contains("options.rateLimit.points"),
        "{}",
        text(&out)
    );
    std::fs::remove_file(dir.join("broken.json")).unwrap();

    // The server sees the applied flows; the renamed one kept its secret through the mask.
    let server = cli.serve().await;
    let r = server.admin().get("/flows?fields=name&sort=name").await;
    let names: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["New hook", "Signed hook, renamed"]);
    let id = signed["id"].as_str().unwrap();
    let body = br#"{"a":1}"#;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"kept-secret").unwrap();
    mac.update(body);
    let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let r = server
        .admin()
        .with_header("x-hub-signature-256", &sig)
        .raw(
            reqwest::Method::POST,
            &format!("/flows/trigger/{id}"),
            "application/json",
            body.to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = server
        .admin()
        .get(&format!("/flows/trigger/{new_id}"))
        .await;
    assert_eq!(r.body["data"]["hello"], "world", "{}", r.text);
}

/// `sluice flows run FILE --payload FILE`: the seed's nested document against a payload on a
/// throwaway database — each step's output printed, a failed run exits 1 with its report, and
/// the configured database is not touched.
#[tokio::test]
async fn flows_run_tries_a_document_without_a_database() {
    let cli = Commands::new().await;
    let dir = std::env::temp_dir().join(format!("sluice-run-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let flow = dir.join("flow.json");
    std::fs::write(
        &flow,
        json!({"name": "Order check", "trigger": "webhook", "options": {"method": "POST"},
               "operations": [
                   {"id": "check", "operation": "condition",
                    "options": {"filter": {"$trigger": {"body": {"amount": {"_gt": 10}}}}},
                    "resolve": "shape"},
                   {"id": "shape", "operation": "transform",
                    "options": {"json": {"big_order": "{{$trigger.body.amount}}",
                                         "password": "hunter22"}}}]})
        .to_string(),
    )
    .unwrap();
    let big = dir.join("big.json");
    std::fs::write(&big, r#"{"amount": 99}"#).unwrap();
    let out = cli.run(&[
        "flows",
        "run",
        flow.to_str().unwrap(),
        "--payload",
        big.to_str().unwrap(),
    ]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("check (condition): resolve"), "{said}");
    assert!(said.contains("shape (transform): resolve"), "{said}");
    assert!(said.contains("\"big_order\": 99"), "{said}");
    assert!(!said.contains("hunter22"), "secrets are redacted: {said}");
    assert!(said.contains("run: success (2 steps)"), "{said}");

    let small = dir.join("small.json");
    std::fs::write(&small, r#"{"amount": 1}"#).unwrap();
    let out = cli.run(&[
        "flows",
        "run",
        flow.to_str().unwrap(),
        "--payload",
        small.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("check (condition): reject"),
        "{}",
        text(&out)
    );

    let bad = dir.join("bad.json");
    std::fs::write(&bad, "[").unwrap();
    let out = cli.run(&[
        "flows",
        "run",
        flow.to_str().unwrap(),
        "--payload",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("bad.json"), "{}", text(&out));

    // Nothing reached the configured database.
    let server = cli.serve().await;
    let r = server.admin().get("/flows").await;
    assert_eq!(r.body["data"], json!([]), "{}", r.text);
}
