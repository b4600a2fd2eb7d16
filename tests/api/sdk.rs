//! The official JavaScript SDK (`@directus/sdk`, pinned in `tools/package.json`) against a test
//! server: `tests/sdk/scenario.mjs` logs in, builds and triggers a webhook flow, reads what it
//! made and its run log, refreshes and logs out; it exits 0 only when every answer matches.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

#[tokio::test]
async fn official_sdk_scenario() {
    let root = repo_root();
    if !root
        .join("tools/node_modules/@directus/sdk/package.json")
        .exists()
    {
        eprintln!(
            "SKIPPED official_sdk_scenario: tools/node_modules/@directus/sdk is missing \
             (run scripts/install-tools.sh or `npm ci --prefix tools`)"
        );
        return;
    }
    let app = TestApp::spawn().await;
    let dir = std::env::temp_dir().join(format!("sluice-sdk-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out_path = dir.join("stdout");
    let err_path = dir.join("stderr");
    let mut child = Command::new("node")
        .arg(root.join("tests/sdk/scenario.mjs"))
        .current_dir(&root)
        .env("SLUICE_BASE_URL", &app.base_url)
        .env("SLUICE_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("SLUICE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("node runs (Debian: apt-get install nodejs)");
    // The server runs on this test's runtime, so wait without blocking it.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for node") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    match status {
        Some(s) => assert!(
            s.success(),
            "the SDK scenario failed ({s}):\n{stdout}\n{stderr}"
        ),
        None => panic!("the SDK scenario did not finish within 120 s:\n{stdout}\n{stderr}"),
    }
    assert!(stdout.contains("all steps passed"), "{stdout}\n{stderr}");
}
