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
