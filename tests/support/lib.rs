//! Test support: `TestApp` boots a real Sluice server on an ephemeral port against a fresh
//! database — a temp SQLite file, or a throwaway PostgreSQL database when
//! `SLUICE_TEST_DB=postgres` — and offers a small JSON client.

pub mod client;
pub mod nginx;
pub mod process;
pub mod raw;
pub mod receiver;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, Database, Statement};
use server::config::{Config, DbConfig};
use tokio::net::TcpListener;

pub use client::{Resp, TestClient};
pub use process::ServerProcess;
pub use receiver::Receiver;

/// The static token of the bootstrapped admin (see `Config::for_tests`).
pub const ADMIN_TOKEN: &str = "admin-static-token";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "password";

/// Which database the suite runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_env() -> Backend {
        match std::env::var("SLUICE_TEST_DB").as_deref() {
            Ok("postgres") | Ok("pg") => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}

fn pg_admin_url() -> String {
    std::env::var("SLUICE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A server under test with its own database.
pub struct TestApp {
    pub base_url: String,
    pub client: TestClient,
    pub server: Option<server::Server>,
    pub backend: Backend,
    /// `None` for a second server on another test's database: that test cleans up.
    _database: Option<TestDatabase>,
}

/// A fresh, empty database for one test — a temp SQLite file, or a throwaway PostgreSQL
/// database — removed on drop.
pub struct TestDatabase {
    pub config: DbConfig,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    PgDatabase(String),
}

impl TestDatabase {
    /// Makes a database on `backend` with a name no other test uses.
    pub async fn create(backend: Backend) -> TestDatabase {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let unique = format!(
            "{}_{}_{}",
            std::process::id(),
            n,
            uuid::Uuid::new_v4().simple()
        );
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("sluice-test-{unique}"));
                std::fs::create_dir_all(&dir).expect("create temp dir");
                TestDatabase {
                    config: DbConfig::Sqlite {
                        filename: dir.join("data.db").to_string_lossy().into_owned(),
                    },
                    cleanup: Cleanup::Dir(dir),
                }
            }
            Backend::Postgres => {
                let name = format!("sluice_test_{unique}");
                let admin = Database::connect(pg_admin_url())
                    .await
                    .expect("connect to postgres");
                admin
                    .execute_raw(Statement::from_string(
                        admin.get_database_backend(),
                        format!("CREATE DATABASE \"{name}\""),
                    ))
                    .await
                    .expect("create test database");
                let _ = admin.close().await;
                let base = pg_admin_url();
                let (prefix, _) = base.rsplit_once('/').expect("database url");
                TestDatabase {
                    config: DbConfig::Postgres {
                        url: format!("{prefix}/{name}"),
                    },
                    cleanup: Cleanup::PgDatabase(name),
                }
            }
        }
    }
}

impl TestApp {
    /// A server with the test configuration.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// A server whose configuration `tweak` adjusts first.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::for_tests();
        let backend = Backend::from_env();
        let database = TestDatabase::create(backend).await;
        config.db = database.config.clone();
        tweak(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let server = server::start(config, Some(listener))
            .await
            .expect("server starts");
        let base_url = format!("http://{}", server.addr);
        TestApp {
            client: TestClient::new(&base_url),
            base_url,
            server: Some(server),
            backend,
            _database: Some(database),
        }
    }

    /// A server whose every SQL statement is also appended to the returned log (the text as
    /// sent, parameters apart), for tests that count the statements a request runs.
    pub async fn spawn_watching() -> (TestApp, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        let mut config = Config::for_tests();
        let backend = Backend::from_env();
        let database = TestDatabase::create(backend).await;
        config.db = database.config.clone();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut db = server::db::connect(&config).await.expect("connect");
        let sink = log.clone();
        db.set_metric_callback(move |info| {
            if let Ok(mut l) = sink.lock() {
                l.push(info.statement.sql.clone());
            }
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let server = server::start_on(config, db, Some(listener))
            .await
            .expect("server starts");
        let base_url = format!("http://{}", server.addr);
        let app = TestApp {
            client: TestClient::new(&base_url),
            base_url,
            server: Some(server),
            backend,
            _database: Some(database),
        };
        (app, log)
    }

    /// Another server process on the same database (several instances sharing one DB).
    pub async fn spawn_sibling(&self) -> TestApp {
        let config = (*self.server.as_ref().expect("running").state.config).clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let server = server::start(config, Some(listener))
            .await
            .expect("sibling starts");
        let base_url = format!("http://{}", server.addr);
        TestApp {
            client: TestClient::new(&base_url),
            base_url,
            server: Some(server),
            backend: self.backend,
            _database: None,
        }
    }

    /// A client that sends the admin's static token.
    pub fn admin(&self) -> TestClient {
        self.client.with_token(ADMIN_TOKEN)
    }

    /// A client without credentials.
    pub fn anon(&self) -> TestClient {
        self.client.clone()
    }

    /// The server's database connection (for assertions on stored rows).
    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.server.as_ref().expect("running").state.db
    }

    /// Logs in with email and password (json mode) and returns the body's `data`.
    pub async fn login(&self, email: &str, password: &str) -> serde_json::Value {
        let r = self
            .anon()
            .post(
                "/auth/login",
                serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, 200, "login failed: {}", r.body);
        r.body["data"].clone()
    }

    /// How many times this server has read and compiled its flows.
    pub fn flow_reloads(&self) -> u64 {
        self.server.as_ref().expect("running").state.flows.reloads()
    }

    /// Waits until queued run logs are written.
    pub async fn flush_logs(&self) {
        if let Some(s) = &self.server {
            s.state.logger.flush().await;
        }
    }

    /// A flow's runs as `GET /runs` lists them, oldest first, once queued logs are written.
    pub async fn runs_of(&self, flow: &str) -> Vec<serde_json::Value> {
        self.flush_logs().await;
        let r = self
            .admin()
            .get(&format!("/runs?filter[flow][_eq]={flow}&limit=-1&sort=id"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["data"].as_array().cloned().unwrap_or_default()
    }

    /// A flow's runs once there are `n` and none is still `queued` or `running` (queued runs
    /// are listed from the moment they are accepted), polling for up to 10 s.
    pub async fn finished_runs_of(&self, flow: &str, n: usize) -> Vec<serde_json::Value> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let runs = self.runs_of(flow).await;
            let open = runs
                .iter()
                .any(|r| matches!(r["status"].as_str(), Some("queued" | "running")));
            if (runs.len() >= n && !open) || std::time::Instant::now() >= deadline {
                return runs;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Polls `check` every 20 ms for up to 10 s (background work such as async flow runs).
    pub async fn eventually<F, Fut>(&self, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !check().await {
            assert!(
                std::time::Instant::now() < deadline,
                "condition not met within 10 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Stops the server and waits for it.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown();
            let _ = server.wait().await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Before the database goes (fields drop after this).
        if let Some(server) = self.server.take() {
            server.shutdown();
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgDatabase(name) => {
                let name = name.clone();
                // Drop runs inside the test's runtime: use a separate thread and runtime.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async move {
                        if let Ok(admin) = Database::connect(pg_admin_url()).await {
                            let _ = admin
                                .execute_raw(Statement::from_string(
                                    admin.get_database_backend(),
                                    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
