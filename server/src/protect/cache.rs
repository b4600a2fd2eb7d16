//! The GET webhook response cache (`CACHE_*`, directus.md §10.2): a hit answers the stored
//! body without running the flow; keys hold the flow, the caller, the Directus query
//! parameters and the flow's `cacheQueryParams` — other raw parameters do not vary the key.
//! Memory (moka, bounded in bytes) or Redis. Entries are purged whenever flows or access rules
//! change, here and on every instance that reloads them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// Bumped by each purge. An answer is stored only if no purge began since its request
    /// started ([`ResponseCache::generation`]): one computed from the old flows or access
    /// rules must not land after the purge that forgot them. Stores hold it shared, a purge
    /// alone.
    generation: Arc<tokio::sync::RwLock<u64>>,
    /// The generation of a purge that could not reach Redis (0: none owed). Until a later
    /// sweep of Redis succeeds nothing is answered from, or stored in, the cache (its entries
    /// may predate the change); a retry runs at most once at a time.
    owed: Arc<AtomicU64>,
    retrying: Arc<AtomicBool>,
    ttl: Duration,
    namespace: String,
    value_max_size: usize,
    pub status_header: Option<String>,
}

/// Bytes an entry costs besides its key and body.
const ENTRY_OVERHEAD: usize = 128;

fn weight(key: &str, entry: &Cached) -> u32 {
    u32::try_from(key.len() + entry.body.len() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
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
                    .weigher(|k: &String, v: &Arc<Cached>| weight(k, v))
                    .max_capacity(cfg.memory_max_size)
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
            generation: Arc::default(),
            owed: Arc::default(),
            retrying: Arc::default(),
            ttl: cfg.ttl,
            namespace: cfg.namespace.clone(),
            value_max_size: cfg.value_max_size,
            status_header: cfg.status_header.clone(),
        })
    }

    /// Forgets every stored webhook answer (flows or access rules changed). On Redis this
    /// removes the namespace's webhook entries for every instance sharing it.
    pub async fn purge(&self) {
        let mut generation = self.generation.write().await;
        *generation += 1;
        match &*self.backend {
            Backend::Memory(c) => c.invalidate_all(),
            Backend::Redis(conn) => {
                if !self.purge_redis(conn.clone()).await {
                    self.owed.store(*generation, Ordering::Release);
                }
            }
        }
    }

    /// Removes the namespace's webhook entries from Redis; false when Redis failed midway.
    async fn purge_redis(&self, mut conn: redis::aio::ConnectionManager) -> bool {
        let pattern = format!("{}:webhook:*", self.namespace);
        let mut cursor: u64 = 0;
        loop {
            let step: redis::RedisResult<(u64, Vec<String>)> = super::bounded(
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut conn),
            )
            .await;
            let (next, keys) = match step {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cache store unavailable: not purged yet, the cache is bypassed until it is");
                    return false;
                }
            };
            if !keys.is_empty() {
                let r: redis::RedisResult<()> =
                    super::bounded(redis::cmd("UNLINK").arg(&keys).query_async(&mut conn)).await;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "cache store unavailable: not purged yet, the cache is bypassed until it is");
                    return false;
                }
            }
            if next == 0 {
                return true;
            }
            cursor = next;
        }
    }

    /// Whether the cache may be used now: false while a purge is owed, and then a sweep of
    /// Redis is started (one at a time, in the background) that pays it back — unless a newer
    /// purge failed meanwhile, which the next sweep pays.
    fn usable(&self) -> bool {
        let owed = self.owed.load(Ordering::Acquire);
        if owed == 0 {
            return true;
        }
        if let Backend::Redis(conn) = &*self.backend
            && !self.retrying.swap(true, Ordering::AcqRel)
        {
            let (cache, conn) = (self.clone(), conn.clone());
            tokio::spawn(async move {
                if cache.purge_redis(conn).await {
                    let _ =
                        cache
                            .owed
                            .compare_exchange(owed, 0, Ordering::AcqRel, Ordering::Acquire);
                }
                cache.retrying.store(false, Ordering::Release);
            });
        }
        false
    }

    pub async fn get(&self, key: &str) -> Option<Cached> {
        if !self.usable() {
            return None;
        }
        let key = &format!("{}:{key}", self.namespace);
        let now = chrono::Utc::now().timestamp_millis();
        let hit = match &*self.backend {
            Backend::Memory(c) => c.get(key).map(|c| (*c).clone()),
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                let raw: Option<String> = super::bounded(conn.get(key)).await.ok().flatten();
                raw.and_then(|r| serde_json::from_str(&r).ok())
            }
        };
        hit.filter(|c| c.expires_at > now)
    }

    /// The purges so far: taken when a request starts, given back to [`ResponseCache::set`].
    pub async fn generation(&self) -> u64 {
        *self.generation.read().await
    }

    /// Stores an answer, unless it is larger than `CACHE_VALUE_MAX_SIZE` or a purge began
    /// since `generation` was taken (the answer may come from what was purged).
    pub async fn set(&self, generation: u64, key: &str, status: u16, body: String) {
        if body.len() > self.value_max_size {
            return;
        }
        let current = self.generation.read().await;
        if *current != generation || !self.usable() {
            return;
        }
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
                    let r: redis::RedisResult<()> =
                        super::bounded(conn.set_ex(key, text, ttl)).await;
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

    fn memory_cache(memory_max_size: u64, value_max_size: usize) -> ResponseCache {
        let backend = Backend::Memory(
            Cache::builder()
                .weigher(|k: &String, v: &Arc<Cached>| weight(k, v))
                .max_capacity(memory_max_size)
                .time_to_live(Duration::from_secs(60))
                .build(),
        );
        ResponseCache {
            backend: Arc::new(backend),
            generation: Arc::default(),
            owed: Arc::default(),
            retrying: Arc::default(),
            ttl: Duration::from_secs(60),
            namespace: "t".into(),
            value_max_size,
            status_header: None,
        }
    }

    #[tokio::test]
    async fn the_memory_store_is_bounded_in_bytes() {
        let max = 1024 * 1024;
        let cache = memory_cache(max, 64 * 1024);
        // 10,000 answers of 10 kB each: 100 MB if entries were only counted.
        for i in 0..10_000 {
            cache
                .set(0, &format!("webhook:f:{i}"), 200, "x".repeat(10_000))
                .await;
        }
        let Backend::Memory(c) = &*cache.backend else {
            unreachable!("memory store")
        };
        c.run_pending_tasks();
        assert!(c.weighted_size() <= max, "{} > {max}", c.weighted_size());
        assert!(c.entry_count() > 0, "recent answers are kept");
    }

    #[tokio::test]
    async fn oversized_answers_are_not_cached_and_purge_forgets_all() {
        let cache = memory_cache(1 << 20, 100);
        cache.set(0, "webhook:big", 200, "x".repeat(101)).await;
        assert!(cache.get("webhook:big").await.is_none());
        cache.set(0, "webhook:small", 200, "x".repeat(100)).await;
        assert!(cache.get("webhook:small").await.is_some());
        cache.purge().await;
        assert!(cache.get("webhook:small").await.is_none());
    }

    #[tokio::test]
    async fn an_answer_begun_before_a_purge_is_not_stored_after_it() {
        let cache = memory_cache(1 << 20, 1000);
        // A request starts under the old flows …
        let started = cache.generation().await;
        // … the flows change and the cache is purged while it runs …
        cache.purge().await;
        // … so its answer, computed from the old flows, is not stored.
        cache.set(started, "webhook:late", 200, "old".into()).await;
        assert!(cache.get("webhook:late").await.is_none());
        let now = cache.generation().await;
        cache.set(now, "webhook:late", 200, "new".into()).await;
        assert_eq!(
            cache.get("webhook:late").await.map(|c| c.body),
            Some("new".into())
        );
    }

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
