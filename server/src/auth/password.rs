//! argon2id password hashing and verification, run off the async runtime and bounded: each
//! hash holds `HASH_MEMORY_COST` KiB while it runs, so at most `SLUICE_HASH_CONCURRENCY` run
//! at once in this process and the rest queue (up to `SLUICE_HASH_QUEUE_TIMEOUT`, then 503).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::HashConfig;
use crate::error::ApiError;

/// Turns for running a hash. One per process: memory is the process's, however many servers
/// it runs. Sized by the first configuration that hashes.
static TURNS: OnceLock<Arc<Semaphore>> = OnceLock::new();

fn turns(cfg: &HashConfig) -> Arc<Semaphore> {
    TURNS
        .get_or_init(|| Arc::new(Semaphore::new(cfg.concurrency.max(1))))
        .clone()
}

/// Waits up to `wait` for a turn on `turns`.
async fn turn(turns: Arc<Semaphore>, wait: Duration) -> Result<OwnedSemaphorePermit, ApiError> {
    match tokio::time::timeout(wait, turns.acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        // Timed out (or closed, which this module never does).
        _ => Err(ApiError::service_unavailable(
            "auth",
            "Too many passwords are being checked at once; try again shortly",
        )
        .with_header(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        )),
    }
}

/// Runs `work` on a blocking thread once a turn is free. The turn moves into the blocking
/// task, so a caller that goes away cannot free it while the hash still runs.
async fn bounded<T: Send + 'static>(
    cfg: &HashConfig,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let permit = turn(turns(cfg), cfg.queue_timeout).await?;
    tokio::task::spawn_blocking(move || {
        let out = work();
        drop(permit);
        out
    })
    .await
    .map_err(ApiError::internal)
}

fn hasher(cfg: HashConfig) -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(
        cfg.memory_cost,
        cfg.time_cost,
        cfg.parallelism,
        Some(cfg.hash_length),
    )
    .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (`$argon2id$v=19$…`).
pub async fn hash_password(cfg: HashConfig, password: String) -> Result<String, ApiError> {
    bounded(&cfg, move || {
        let hash = hasher(cfg)?
            .hash_password(password.as_bytes())
            .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2 hash: {e}")))?;
        Ok(hash.to_string())
    })
    .await?
}

/// Whether `password` matches the stored PHC string (a malformed hash never matches); an
/// error when no turn to check it came in time.
pub async fn verify_password(
    cfg: HashConfig,
    password: String,
    phc: String,
) -> Result<bool, ApiError> {
    // The stored hash's own parameters decide its memory; the turn bounds how many run.
    bounded(&cfg, move || {
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        // Parameters come from the hash itself; the default instance only supplies the engine.
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: HashConfig = HashConfig {
        memory_cost: 1024,
        time_cost: 1,
        parallelism: 1,
        hash_length: 32,
        concurrency: 2,
        queue_timeout: Duration::from_secs(30),
    };

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash_password(CHEAP, "hunter2".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password(CHEAP, "hunter2".into(), h.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password(CHEAP, "hunter3".into(), h).await.unwrap());
        assert!(
            !verify_password(CHEAP, "x".into(), "not a hash".into())
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_full_queue_answers_503_after_the_wait() {
        let turns = Arc::new(Semaphore::new(1));
        let held = turns.clone().acquire_owned().await.unwrap();
        let e = turn(turns.clone(), Duration::from_millis(10))
            .await
            .unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.code(), "SERVICE_UNAVAILABLE");
        drop(held);
        assert!(turn(turns, Duration::from_millis(10)).await.is_ok());
    }
}
