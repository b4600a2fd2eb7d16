//! Protection and caching around the API (directus.md §10): per-IP and global rate limits,
//! the GET webhook response cache, and CORS — each off unless configured.

pub mod cache;
pub mod cors;
pub mod rate_limit;

/// Connects to Redis lazily-reconnecting; `None` (logged) when the URL is unusable.
pub async fn redis_manager(url: &str) -> Option<redis::aio::ConnectionManager> {
    let client = match redis::Client::open(url) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "invalid Redis URL");
            return None;
        }
    };
    match redis::aio::ConnectionManager::new(client).await {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::error!(error = %e, "cannot connect to Redis");
            None
        }
    }
}
