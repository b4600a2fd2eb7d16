//! The web app end to end in headless Chromium: boots a real server that serves the built app
//! (`dist/`) at `/admin`, seeds what the scenario needs through the API (a role "Editor" with
//! its policy and a user), then runs `node tests/browser/e2e.mjs` against it and expects exit
//! code 0. Runs only with `SLUICE_BROWSER_TESTS=1` (scripts/test.sh sets it after building
//! the app); otherwise it prints a skip notice. Works on SQLite and PostgreSQL alike. The
//! smoke test (`tests/browser/smoke.mjs`: sign-in page, shell, sign out) runs first.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};

/// The whole scenario takes about 15 s; allow for a slow machine.
const DEADLINE: Duration = Duration::from_secs(300);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

async fn create(app: &TestApp, path: &str, body: Value) -> String {
    let r = app.admin().post(path, body).await;
    assert_eq!(r.status, 200, "POST {path}: {}", r.text);
    match &r.body["data"]["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The scenarios to run, in order: smoke, e2e, then the rest of `tests/browser/*.mjs` by name.
fn scripts(root: &Path) -> Vec<String> {
    let mut rest: Vec<String> = std::fs::read_dir(root.join("tests/browser"))
        .expect("tests/browser")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            n.ends_with(".mjs") && !["lib.mjs", "smoke.mjs", "e2e.mjs"].contains(&n.as_str())
        })
        .collect();
    rest.sort();
    ["smoke.mjs", "e2e.mjs"]
        .into_iter()
        .map(str::to_owned)
        .chain(rest)
        .map(|n| format!("tests/browser/{n}"))
        .collect()
}

/// Runs `node <script>` with `env`, killing it after [`DEADLINE`]; returns (success, output).
fn run_node(root: &Path, script: &str, env: &[(&str, String)]) -> (bool, String) {
    let mut cmd = Command::new("node");
    cmd.arg(script)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return (false, format!("could not start node: {e}")),
    };
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > DEADLINE => {
                let _ = child.kill();
                let out = child.wait_with_output().map(|o| {
                    format!(
                        "{}{}",
                        String::from_utf8_lossy(&o.stdout),
                        String::from_utf8_lossy(&o.stderr)
                    )
                });
                return (
                    false,
                    format!("timed out after {DEADLINE:?}\n{}", out.unwrap_or_default()),
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return (false, format!("waiting for node failed: {e}")),
        }
    }
    match child.wait_with_output() {
        Ok(o) => (
            o.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        ),
        Err(e) => (false, format!("reading node's output failed: {e}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_app_end_to_end_in_chromium() {
    if std::env::var("SLUICE_BROWSER_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "skipping the browser test: set SLUICE_BROWSER_TESTS=1 (scripts/test.sh does, after \
             building the app with scripts/build-app.sh)"
        );
        return;
    }
    let root = workspace();
    let dist = root.join("dist");
    assert!(
        dist.join("index.html").is_file(),
        "{} has no built app: run scripts/build-app.sh first",
        dist.display()
    );
    let app = TestApp::spawn_with(|c| {
        c.serve_app = true;
        c.app_dir = dist.clone();
    })
    .await;

    // A role with its own policy and a user in it, for the role grant and the static token.
    let role = create(&app, "/roles", json!({"name": "Editor"})).await;
    let policy = create(
        &app,
        "/policies",
        json!({"name": "Editors", "app_access": true, "admin_access": false}),
    )
    .await;
    create(&app, "/access", json!({"role": role, "policy": policy})).await;
    create(
        &app,
        "/users",
        json!({"email": "editor@example.com", "password": "editor-password", "role": role,
               "first_name": "Ed", "last_name": "Itor", "status": "active"}),
    )
    .await;

    let env = vec![
        ("SLUICE_BASE_URL", app.base_url.clone()),
        ("SLUICE_ADMIN_EMAIL", ADMIN_EMAIL.to_owned()),
        ("SLUICE_ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
        ("SLUICE_EDITOR_EMAIL", "editor@example.com".to_owned()),
        (
            "SLUICE_SCREENSHOTS",
            root.join("docs/screenshots").to_string_lossy().into_owned(),
        ),
        (
            "SLUICE_ARTIFACTS",
            root.join("target/browser-artifacts")
                .to_string_lossy()
                .into_owned(),
        ),
    ];
    // The smoke test (sign-in page, shell, sign out) first, then the full scenario, then every
    // other scenario in tests/browser in name order (lib.mjs is their shared kit). Each uses
    // names of its own, so they share the server.
    for script in scripts(&root) {
        let started = Instant::now();
        let (root, env, script) = (root.clone(), env.clone(), script.clone());
        let name = script.clone();
        let (ok, output) = tokio::task::spawn_blocking(move || run_node(&root, &script, &env))
            .await
            .expect("node runner");
        assert!(
            ok,
            "{name} failed on {:?} (failure screenshot in target/browser-artifacts):\n{output}",
            app.backend
        );
        println!(
            "{name} passed on {:?} in {:.1} s\n{output}",
            app.backend,
            started.elapsed().as_secs_f64()
        );
    }
}
