//! The GET webhook response cache (`CACHE_*`, directus.md §10.2): a hit answers the stored
//! body without running the flow; keys hold the flow, the caller, the Directus query
//! parameters and the flow's `cacheQueryParams` — other raw parameters do not vary the key.
//! Memory (moka) or Redis.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::{CacheConfig, Store};

/// A stored answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cached {
    pub status: u16,
    pub body: String,
    /// Unix milliseconds when the entry expires.
    pub expires_at: i64,
}

enum Backend {
    Memory(Cache<String, Arc<Cached>>),
    Redis(redis::aio::ConnectionManager),
}

/// The response cache, when enabled.
#[derive(Clone)]
pub struct ResponseCache {
    backend: Arc<Backend>,
    ttl: Duration,
    namespace: String,
    pub status_header: Option<String>,
}

/// Query parameters Directus sanitises (and so keys on).
const QUERY_KEYS: &[&str] = &[
    "fields",
    "filter",
    "sort",
    "limit",
    "offset",
    "page",
    "search",
    "meta",
    "aggregate",
    "groupBy",
    "deep",
    "alias",
    "export",
    "version",
];

/// The cache key of a webhook call.
pub fn webhook_key(
    flow: &str,
    user: Option<&str>,
    query: &Map<String, Value>,
    listed: &[String],
) -> String {
    let mut parts: Vec<String> = Vec::new();
    for k in QUERY_KEYS {
        if let Some(v) = query.get(*k) {
            parts.push(format!("{k}={v}"));
        }
    }
    let mut extra: Vec<String> = listed
        .iter()
        .filter_map(|k| query.get(k).map(|v| format!("{k}={v}")))
        .collect();
    extra.sort();
    format!(
        "webhook:{flow}:{}:{}|{}",
        user.unwrap_or("public"),
        parts.join("&"),
        extra.join("&")
    )
}

impl ResponseCache {
    pub async fn from_config(cfg: &CacheConfig) -> Option<ResponseCache> {
        if !cfg.enabled {
            return None;
        }
        let backend = match &cfg.store {
            Store::Memory => Backend::Memory(
                Cache::builder()
                    .max_capacity(10_000)
                    .time_to_live(cfg.ttl)
                    .build(),
            ),
            Store::Redis(url) => match super::redis_manager(url).await {
                Some(m) => Backend::Redis(m),
                None => return None,
            },
        };
        Some(ResponseCache {
            backend: Arc::new(backend),
            ttl: cfg.ttl,
            namespace: cfg.namespace.clone(),
            status_header: cfg.status_header.clone(),
        })
    }

    pub async fn get(&self, key: &str) -> Option<Cached> {
        let key = &format!("{}:{key}", self.namespace);
        let now = chrono::Utc::now().timestamp_millis();
        let hit = match &*self.backend {
            Backend::Memory(c) => c.get(key).map(|c| (*c).clone()),
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                let raw: Option<String> = conn.get(key).await.ok().flatten();
                raw.and_then(|r| serde_json::from_str(&r).ok())
            }
        };
        hit.filter(|c| c.expires_at > now)
    }

    pub async fn set(&self, key: &str, status: u16, body: String) {
        let key = &format!("{}:{key}", self.namespace);
        let entry = Cached {
            status,
            body,
            expires_at: chrono::Utc::now().timestamp_millis() + self.ttl.as_millis() as i64,
        };
        match &*self.backend {
            Backend::Memory(c) => c.insert(key.to_owned(), Arc::new(entry)),
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                if let Ok(text) = serde_json::to_string(&entry) {
                    let ttl = self.ttl.as_secs().max(1);
                    let r: redis::RedisResult<()> = conn.set_ex(key, text, ttl).await;
                    if let Err(e) = r {
                        tracing::warn!(error = %e, "cache store unavailable");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_ignore_unlisted_params() {
        let q = |v: Value| v.as_object().cloned().unwrap_or_default();
        let a = webhook_key("f", None, &q(json!({"x": "1", "limit": "5"})), &[]);
        let b = webhook_key("f", None, &q(json!({"x": "2", "limit": "5"})), &[]);
        assert_eq!(a, b);
        let c = webhook_key(
            "f",
            None,
            &q(json!({"x": "2", "limit": "5"})),
            &["x".into()],
        );
        let d = webhook_key(
            "f",
            None,
            &q(json!({"x": "1", "limit": "5"})),
            &["x".into()],
        );
        assert_ne!(c, d);
        assert_ne!(
            a,
            webhook_key("f", Some("u"), &q(json!({"x": "1", "limit": "5"})), &[])
        );
    }
}
