//! Prometheus metrics (issue 17 point 4): with `METRICS_ENABLED=true` the `metrics` crate's
//! recorder is the Prometheus exporter's, and `GET /metrics` (a `METRICS_TOKENS` bearer or an
//! admin) answers its text — per-flow runs by status, run and step durations, webhook answers
//! by status, refused calls by reason, and, read at each scrape, the queue's depth and the
//! age of its oldest queued run, the run-log writer's backlog and the database pool's use.
//! Disabled, every recording call is one relaxed atomic load.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::core::Core;

/// Whether a server of this process records metrics.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// The exporter's handle: one recorder per process (several servers in one test process
/// share it).
static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Durations' histogram buckets, in seconds: 1 ms to 1 min.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 60.0,
];

/// Installs the recorder (once per process); `false` when another recorder holds the slot.
pub fn enable() -> bool {
    let handle = HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new().set_buckets(&BUCKETS).ok()?;
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).ok()?;
        Some(handle)
    });
    let ok = handle.is_some();
    if ok {
        ENABLED.store(true, Ordering::Relaxed);
    } else {
        tracing::error!("metrics could not be enabled: another recorder is installed");
    }
    ok
}

fn on() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// A run ended.
pub fn run_finished(flow: Uuid, status: &'static str, took: Duration) {
    if !on() {
        return;
    }
    let flow = flow.to_string();
    counter!("sluice_flow_runs_total", "flow" => flow.clone(), "status" => status).increment(1);
    histogram!("sluice_flow_run_duration_seconds", "flow" => flow, "status" => status)
        .record(took.as_secs_f64());
}

/// A step ended.
pub fn step_finished(flow: Uuid, operation: &str, took: Duration) {
    if !on() {
        return;
    }
    histogram!("sluice_flow_step_duration_seconds", "flow" => flow.to_string(),
        "operation" => operation.to_owned())
    .record(took.as_secs_f64());
}

/// A webhook call was answered (statuses only: unknown flow ids must not make labels).
pub fn webhook_answered(status: u16) {
    if !on() {
        return;
    }
    counter!("sluice_webhook_responses_total", "status" => status.to_string()).increment(1);
}

/// A flow refused a call.
pub fn refused(flow: Uuid, reason: &'static str) {
    if !on() {
        return;
    }
    counter!("sluice_webhook_refused_total", "flow" => flow.to_string(), "reason" => reason)
        .increment(1);
}

/// The Prometheus text, with the gauges read now.
pub async fn render(core: &Core) -> Option<String> {
    let handle = HANDLE.get()?.as_ref()?;
    gauge!("sluice_queue_depth").set(core.queue.depth() as f64);
    if let Some(age) = oldest_queued_age(&core.db).await {
        gauge!("sluice_queue_oldest_age_seconds").set(age);
    }
    gauge!("sluice_run_log_backlog").set(core.logger.backlog() as f64);
    let (size, idle) = pool_use(&core.db);
    gauge!("sluice_db_pool_connections").set(f64::from(size));
    gauge!("sluice_db_pool_idle_connections").set(idle as f64);
    Some(handle.render())
}

/// Seconds since the oldest queued run was accepted (0 with none queued).
async fn oldest_queued_age(db: &DatabaseConnection) -> Option<f64> {
    let row = db
        .query_one_raw(crate::db::statement(
            db,
            "SELECT MIN(created_at) AS oldest FROM sluice_queue WHERE status = 'queued'",
            vec![],
        ))
        .await
        .ok()??;
    let oldest: Option<i64> = row.try_get("", "oldest").ok()?;
    let now = chrono::Utc::now().timestamp_millis();
    Some(oldest.map_or(0.0, |t| (now.saturating_sub(t)).max(0) as f64 / 1000.0))
}

/// The database pool's open and idle connections.
fn pool_use(db: &DatabaseConnection) -> (u32, usize) {
    if crate::db::is_postgres(db) {
        let pool = db.get_postgres_connection_pool();
        (pool.size(), pool.num_idle())
    } else {
        let pool = db.get_sqlite_connection_pool();
        (pool.size(), pool.num_idle())
    }
}

/// Marks a request that showed a `METRICS_TOKENS` bearer.
#[derive(Clone, Copy, Debug)]
pub struct Reader;

/// Whether the request's bearer token is one of `METRICS_TOKENS` (compared in constant time).
pub fn reader_token(tokens: &[String], headers: &http::HeaderMap) -> bool {
    use subtle::ConstantTimeEq;
    let Some(token) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    tokens.iter().fold(false, |found, t| {
        found | bool::from(t.as_bytes().ct_eq(token.as_bytes()))
    })
}
