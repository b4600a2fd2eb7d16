//! The real `sluice` binary as a child process on a fresh database, for what only a process
//! shows: its memory (`/proc/<pid>/status`), its environment (`HTTP_PROXY`), its own
//! configuration parsing. Started with a cleared environment plus the test's variables, ready
//! once `/server/ping` answers, killed on drop.
//!
//! The binary is `target/<profile>/sluice` next to the test binary (or `SLUICE_BIN`); build it
//! first with `cargo build -p server --bin sluice`. A binary older than the server's sources is
//! refused, so a test never passes against stale code.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use server::config::DbConfig;

use crate::client::TestClient;
use crate::{ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, Backend, TestDatabase};

/// A running `sluice` process.
pub struct ServerProcess {
    pub base_url: String,
    pub client: TestClient,
    child: Child,
    /// The working directory (its log file; `./.env` is never read from the checkout).
    dir: PathBuf,
    /// The test's variables, for a restart.
    env: Vec<(String, String)>,
    /// Shared with its siblings (other instances on the same database); dropped with the last.
    database: std::sync::Arc<TestDatabase>,
}

/// What the binary gets unless the test says otherwise: the test admin, cheap hashing, no
/// login stall, quiet logs (as `Config::for_tests`).
const BASE_ENV: &[(&str, &str)] = &[
    ("HOST", "127.0.0.1"),
    ("SECRET", "test-secret-test-secret-test-secret"),
    ("ADMIN_EMAIL", ADMIN_EMAIL),
    ("ADMIN_PASSWORD", ADMIN_PASSWORD),
    ("ADMIN_TOKEN", ADMIN_TOKEN),
    ("LOGIN_STALL_TIME", "0"),
    ("HASH_MEMORY_COST", "1024"),
    ("HASH_TIME_COST", "1"),
    ("HASH_PARALLELISM", "1"),
    ("LOG_LEVEL", "warn"),
    ("SERVE_APP", "false"),
];

/// The newest modification time under `dir`.
fn newest(dir: &Path) -> Option<SystemTime> {
    let mut best = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest(&path)
        } else {
            entry.metadata().ok().and_then(|m| m.modified().ok())
        };
        best = best.max(time);
    }
    best
}

impl ServerProcess {
    /// The `sluice` binary to run.
    pub fn binary() -> PathBuf {
        if let Some(path) = std::env::var_os("SLUICE_BIN") {
            return PathBuf::from(path);
        }
        // The test binary is target/<profile>/deps/api-<hash>.
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile> directory");
        let bin = profile_dir.join("sluice");
        let built = std::fs::metadata(&bin)
            .and_then(|m| m.modified())
            .unwrap_or_else(|_| {
                panic!(
                    "{} is missing: build it with `cargo build -p server --bin sluice`",
                    bin.display()
                )
            });
        let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src");
        if let Some(changed) = newest(&sources) {
            assert!(
                built >= changed,
                "{} is older than server/src: rebuild it with `cargo build -p server --bin sluice`",
                bin.display()
            );
        }
        bin
    }

    /// Starts the binary on a fresh database (`SLUICE_TEST_DB` picks the backend) with
    /// [`BASE_ENV`] overridden by `env`, and waits until it answers.
    pub async fn start(env: &[(&str, &str)]) -> ServerProcess {
        // The clients below need a TLS provider, as the in-process server installs one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let database = std::sync::Arc::new(TestDatabase::create(Backend::from_env()).await);
        let dir = std::env::temp_dir().join(format!("sluice-proc-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create work dir");
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let (child, base_url) = launch(&database, &env, &dir).await;
        ServerProcess {
            client: TestClient::new(&base_url),
            base_url,
            child,
            dir,
            env,
            database,
        }
    }

    /// Another instance on the same database, with the same variables (several Sluice
    /// processes sharing one PostgreSQL).
    pub async fn sibling(&self) -> ServerProcess {
        self.sibling_with(&[]).await
    }

    /// [`ServerProcess::sibling`] with `extra` variables on top of this instance's.
    pub async fn sibling_with(&self, extra: &[(&str, &str)]) -> ServerProcess {
        let mut env = self.env.clone();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let dir = std::env::temp_dir().join(format!("sluice-proc-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create work dir");
        let (child, base_url) = launch(&self.database, &env, &dir).await;
        ServerProcess {
            client: TestClient::new(&base_url),
            base_url,
            child,
            dir,
            env,
            database: self.database.clone(),
        }
    }

    /// Kills the process with SIGKILL (no shutdown of any kind) and starts the binary again on
    /// the same database, with the same variables, on a new port.
    pub async fn kill_and_restart(&mut self) {
        self.kill();
        self.restart().await;
    }

    /// Starts the binary again (after it stopped) on the same database, with the same
    /// variables, on a new port.
    pub async fn restart(&mut self) {
        let (child, base_url) = launch(&self.database, &self.env, &self.dir).await;
        self.child = child;
        self.client = TestClient::new(&base_url);
        self.base_url = base_url;
    }

    /// Sends SIGTERM (what a deploy or `docker stop` sends) and waits up to `within` for the
    /// process to exit; its exit status, or `None` if it was still running (then killed).
    pub async fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill(1)");
        assert!(sent.success(), "SIGTERM could not be sent");
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.kill();
        None
    }

    /// SIGKILL, and waits until the process is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A connection of the test's own to the instance's database (what `psql` is to an
    /// operator): for writes no Sluice process makes.
    pub async fn connect_database(&self) -> sea_orm::DatabaseConnection {
        let url = match &self.database.config {
            DbConfig::Sqlite { filename } => format!("sqlite://{filename}?mode=rw"),
            DbConfig::Postgres { url } => url.clone(),
        };
        sea_orm::Database::connect(url)
            .await
            .expect("connect to the instance's database")
    }

    /// A client that sends the admin's static token.
    pub fn admin(&self) -> TestClient {
        self.client.with_token(ADMIN_TOKEN)
    }

    /// A client without credentials.
    pub fn anon(&self) -> TestClient {
        self.client.clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A `/proc/<pid>/status` figure in KiB (`VmHWM` is the peak resident size so far,
    /// `VmRSS` the current one).
    pub fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/<pid>/status"))
    }

    /// What the process has written to stdout and stderr so far.
    pub fn log(&self) -> String {
        read_log(&self.dir)
    }
}

/// The binary with the base variables and `database`'s, in `dir`.
fn sluice_command(database: &TestDatabase, dir: &Path) -> Command {
    let mut cmd = Command::new(ServerProcess::binary());
    cmd.env_clear().current_dir(dir);
    for (k, v) in BASE_ENV {
        cmd.env(k, v);
    }
    match &database.config {
        DbConfig::Sqlite { filename } => {
            cmd.env("DB_CLIENT", "sqlite3").env("DB_FILENAME", filename);
        }
        DbConfig::Postgres { url } => {
            cmd.env("DB_CLIENT", "pg").env("DB_CONNECTION_STRING", url);
        }
    }
    cmd
}

/// One-off `sluice` commands on a fresh database (`SLUICE_TEST_DB` picks the backend), and a
/// server started on the same database afterwards.
pub struct Commands {
    database: std::sync::Arc<TestDatabase>,
    dir: PathBuf,
}

impl Commands {
    pub async fn new() -> Commands {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let database = std::sync::Arc::new(TestDatabase::create(Backend::from_env()).await);
        let dir = std::env::temp_dir().join(format!("sluice-cli-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create work dir");
        Commands { database, dir }
    }

    /// Runs `sluice <args>` to its end.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        sluice_command(&self.database, &self.dir)
            .args(args)
            .output()
            .expect("run sluice")
    }

    /// Serves on the commands' database.
    pub async fn serve(&self) -> ServerProcess {
        let (child, base_url) = launch(&self.database, &[], &self.dir).await;
        ServerProcess {
            client: TestClient::new(&base_url),
            base_url,
            child,
            dir: self.dir.clone(),
            env: Vec::new(),
            database: self.database.clone(),
        }
    }
}

/// Starts the binary on `database` and waits until it answers (choosing another port when
/// the one chosen was taken meanwhile); the log is appended to `dir/sluice.log`.
async fn launch(database: &TestDatabase, env: &[(String, String)], dir: &Path) -> (Child, String) {
    for _ in 0..3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("sluice.log"))
            .expect("log file");
        let mut cmd = sluice_command(database, dir);
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        cmd.env("PORT", port.to_string());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start sluice");
        let base_url = format!("http://127.0.0.1:{port}");
        match wait_ready(&mut child, &base_url, dir).await {
            Ok(()) => return (child, base_url),
            Err(log) => {
                let _ = child.kill();
                let _ = child.wait();
                if !log.contains("cannot listen") {
                    panic!("sluice did not start:\n{log}");
                }
            }
        }
    }
    panic!("sluice could not find a free port");
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("sluice.log")).unwrap_or_default()
}

/// Polls `/server/ping` until it answers; the child exiting or 120 s passing is an error
/// carrying the log.
async fn wait_ready(child: &mut Child, base_url: &str, dir: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let http = reqwest::Client::new();
    let url = format!("{base_url}/server/ping");
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited with {status}\n{}", read_log(dir)));
        }
        // 429: it answers (a test's rate limit may already be spent on the start-up pings).
        if let Ok(r) = http.get(&url).send().await
            && (r.status().is_success() || r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS)
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("no answer within 120 s\n{}", read_log(dir)));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
