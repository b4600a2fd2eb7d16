//! Fixed-window request limits per client IP and overall (`RATE_LIMITER_*`), in memory or in
//! Redis so several instances share them. Over the limit: 429 `REQUESTS_EXCEEDED` with
//! `Retry-After`. A Redis outage lets requests through (logged) rather than refusing everyone.
//! The memory store is a concurrent cache bounded in bytes whose entries expire with their
//! window: no global lock, no scan, no growth with the number of client addresses.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::access::client::client_ip;
use crate::config::{Config, Store};
use crate::error::{ApiError, ErrorCode};

/// One key's window: when it started and how many requests it counted.
struct Window {
    start: Instant,
    count: AtomicU32,
}

/// Bytes one memory-store entry costs besides its key (moka's node, the `Arc<Window>`).
const ENTRY_OVERHEAD: u32 = 96;

type WindowCache = moka::sync::Cache<String, Arc<Window>>;

fn memory_store(duration: Duration, max_bytes: u64) -> WindowCache {
    moka::sync::Cache::builder()
        .weigher(|key: &String, _: &Arc<Window>| {
            u32::try_from(key.len())
                .unwrap_or(u32::MAX)
                .saturating_add(ENTRY_OVERHEAD)
        })
        .max_capacity(max_bytes)
        .time_to_live(duration)
        .build()
}

enum Backend {
    Memory(WindowCache),
    Redis(redis::aio::ConnectionManager),
}

/// Fixed windows counted in memory or in Redis, for limits of any size: the global limiter's
/// and each webhook flow's own (`rateLimit`), which share one store.
pub struct Windows {
    prefix: String,
    backend: Backend,
}

impl Windows {
    /// A store whose memory entries live at most `longest` (the longest window it counts).
    pub async fn open(store: &Store, prefix: String, max_bytes: u64, longest: Duration) -> Windows {
        let backend = match store {
            Store::Memory => Backend::Memory(memory_store(longest, max_bytes)),
            Store::Redis(url) => match super::redis_manager(url).await {
                Some(m) => Backend::Redis(m),
                None => Backend::Memory(memory_store(longest, max_bytes)),
            },
        };
        Windows { prefix, backend }
    }

    /// Counts one request for `key` in a window of `duration`; `Err(wait)` when it is the
    /// `points + 1`-th or later.
    pub async fn consume(
        &self,
        key: &str,
        points: u32,
        duration: Duration,
    ) -> Result<(), Duration> {
        match &self.backend {
            Backend::Memory(windows) => {
                let now = Instant::now();
                let fresh = || {
                    Arc::new(Window {
                        start: now,
                        count: AtomicU32::new(0),
                    })
                };
                let mut window = windows.entry_by_ref(key).or_insert_with(fresh).into_value();
                // An entry outlives its window until the cache notices; start a new one.
                if now.duration_since(window.start) >= duration {
                    window = fresh();
                    windows.insert(key.into(), window.clone());
                }
                let count = window
                    .count
                    .fetch_add(1, Ordering::Relaxed)
                    .saturating_add(1);
                if count > points {
                    Err(duration.saturating_sub(now.duration_since(window.start)))
                } else {
                    Ok(())
                }
            }
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                let k = format!("{}:{key}", self.prefix);
                let ms = duration.as_millis().max(1) as u64;
                let result: redis::RedisResult<(u32, i64)> = super::bounded(
                    redis::pipe()
                        .atomic()
                        .cmd("SET")
                        .arg(&k)
                        .arg(0)
                        .arg("PX")
                        .arg(ms)
                        .arg("NX")
                        .ignore()
                        .cmd("INCR")
                        .arg(&k)
                        .cmd("PTTL")
                        .arg(&k)
                        .query_async(&mut conn),
                )
                .await;
                match result {
                    Ok((count, ttl)) if count > points => {
                        Err(Duration::from_millis(u64::try_from(ttl).unwrap_or(ms)))
                    }
                    Ok(_) => Ok(()),
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limiter store unavailable; request allowed");
                        Ok(())
                    }
                }
            }
        }
    }
}

/// One limit: `points` per `duration`.
pub struct Limiter {
    points: u32,
    duration: Duration,
    windows: Windows,
}

impl Limiter {
    async fn new(
        points: u32,
        duration: Duration,
        store: &Store,
        prefix: String,
        max_bytes: u64,
    ) -> Limiter {
        Limiter {
            points,
            duration,
            windows: Windows::open(store, prefix, max_bytes, duration).await,
        }
    }

    /// Counts one request for `key`; `Err(wait)` when over the limit.
    pub async fn consume(&self, key: &str) -> Result<(), Duration> {
        self.windows.consume(key, self.points, self.duration).await
    }
}

/// The configured limiters.
#[derive(Clone, Default)]
pub struct RateLimits {
    ip: Option<Arc<Limiter>>,
    global: Option<Arc<Limiter>>,
}

impl RateLimits {
    pub async fn from_config(cfg: &Config) -> RateLimits {
        let r = &cfg.rate_limit;
        let ip = if r.enabled {
            Some(Arc::new(
                Limiter::new(
                    r.points,
                    r.duration,
                    &r.store,
                    format!("{}:ip", r.key_prefix),
                    r.memory_max_size,
                )
                .await,
            ))
        } else {
            None
        };
        let global = if r.global_enabled {
            Some(Arc::new(
                Limiter::new(
                    r.global_points,
                    r.global_duration,
                    &r.store,
                    format!("{}:global", r.key_prefix),
                    r.memory_max_size,
                )
                .await,
            ))
        } else {
            None
        };
        RateLimits { ip, global }
    }

    pub fn is_active(&self) -> bool {
        self.ip.is_some() || self.global.is_some()
    }
}

/// `ms`-style text (`500ms`, `2s`, `1m`).
fn ms_text(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{}s", ms.div_ceil(1000))
    } else {
        format!("{}m", ms.div_ceil(60_000))
    }
}

fn exceeded(limit: u32, wait: Duration) -> Response {
    exceeded_error(limit, wait).into_response()
}

/// 429 `REQUESTS_EXCEEDED` with `Retry-After` (and Directus's `limit` and `reset`).
pub fn exceeded_error(limit: u32, wait: Duration) -> ApiError {
    let reset = chrono::Utc::now()
        + chrono::Duration::from_std(wait).unwrap_or_else(|_| chrono::Duration::seconds(1));
    ApiError::new(
        ErrorCode::RequestsExceeded,
        format!("Too many requests, retry after {}.", ms_text(wait)),
    )
    .with_extension("limit", limit)
    .with_extension("reset", crate::query::values::format_timestamp(reset))
    .with_header(
        HeaderName::from_static("retry-after"),
        HeaderValue::from(wait.as_secs_f64().ceil().max(1.0) as u64),
    )
}

/// The middleware: global limit first, then per IP.
pub async fn limit(
    State((limits, config)): State<(RateLimits, Arc<Config>)>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(g) = &limits.global
        && let Err(wait) = g.consume("all").await
    {
        return exceeded(g.points, wait);
    }
    if let Some(l) = &limits.ip {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let ip = client_ip(&config.proxy, req.headers(), peer).unwrap_or_default();
        if let Err(wait) = l.consume(&ip).await {
            return exceeded(l.points, wait);
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fixed_window_in_memory() {
        let l = Limiter::new(
            2,
            Duration::from_millis(200),
            &Store::Memory,
            "t".into(),
            1 << 20,
        )
        .await;
        assert!(l.consume("a").await.is_ok());
        assert!(l.consume("a").await.is_ok());
        assert!(l.consume("a").await.is_err());
        assert!(l.consume("b").await.is_ok(), "keys are independent");
        tokio::time::sleep(Duration::from_millis(220)).await;
        assert!(l.consume("a").await.is_ok(), "a new window starts");
    }

    #[tokio::test]
    async fn the_memory_store_stays_within_its_bytes_whatever_the_addresses() {
        let max = 64 * 1024;
        let l = Limiter::new(5, Duration::from_secs(60), &Store::Memory, "t".into(), max).await;
        // A flood from 200,000 distinct addresses (spoofed X-Forwarded-For, IPv6 ranges): 20 MB
        // of keys in a plain map.
        for i in 0..200_000u32 {
            let key = format!("2001:db8::{i:x}");
            assert!(l.consume(&key).await.is_ok());
        }
        let Backend::Memory(windows) = &l.windows.backend else {
            unreachable!("memory store configured")
        };
        windows.run_pending_tasks();
        assert!(
            windows.weighted_size() <= max,
            "{} bytes held, bound {max}",
            windows.weighted_size()
        );
        // A client still being counted is still limited.
        for _ in 0..5 {
            assert!(l.consume("203.0.113.1").await.is_ok());
        }
        assert!(l.consume("203.0.113.1").await.is_err());
    }

    #[test]
    fn wait_texts() {
        assert_eq!(ms_text(Duration::from_millis(400)), "400ms");
        assert_eq!(ms_text(Duration::from_millis(1500)), "2s");
    }
}
