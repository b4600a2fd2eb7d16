//! Protection and caching around the API (directus.md §10): per-IP and global rate limits,
//! the GET webhook response cache, and CORS — each off unless configured.

pub mod cache;
pub mod cors;
pub mod rate_limit;

/// How long one Redis command may take before the request goes on without it (the limiter
/// lets the request through, the cache misses): a stalled Redis must not hold webhooks.
const REDIS_RESPONSE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// Connects to Redis, reconnecting in the background after a lost connection (a few quick
/// attempts per failure, each bounded, so a restarting Redis costs requests at most a
/// timeout); `None` (logged) when the URL is unusable or Redis cannot be reached now.
pub async fn redis_manager(url: &str) -> Option<redis::aio::ConnectionManager> {
    let client = match redis::Client::open(url) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "invalid Redis URL");
            return None;
        }
    };
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(REDIS_RESPONSE_TIMEOUT)
        .set_connection_timeout(REDIS_RESPONSE_TIMEOUT)
        // Reconnection is retried in the background; each attempt waits at most 50 ms more.
        .set_number_of_retries(1)
        .set_max_delay(50);
    match redis::aio::ConnectionManager::new_with_config(client, config).await {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::error!(error = %e, "cannot connect to Redis");
            None
        }
    }
}

/// One Redis call, given at most [`REDIS_RESPONSE_TIMEOUT`] — a reconnect included, which the
/// connection's own response timeout does not cover.
pub async fn bounded<T>(
    call: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> redis::RedisResult<T> {
    match tokio::time::timeout(REDIS_RESPONSE_TIMEOUT, call).await {
        Ok(result) => result,
        Err(_) => Err(redis::RedisError::from((
            redis::ErrorKind::IoError,
            "Redis did not answer in time",
        ))),
    }
}
