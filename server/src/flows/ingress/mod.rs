//! Webhook ingress (issue 16, docs/ingress.md): what a webhook flow checks before it runs —
//! its caller's address, its own rate limit, the provider's signature, its concurrency — and
//! the log of the calls it refused. `options` reads the trigger options, `signature` the
//! signature schemes, `refused` the log; the [`Gatekeeper`] is the handle the webhook use
//! case receives.

pub mod conceal;
pub mod options;
pub mod refused;
pub mod replay;
pub mod signature;

use std::time::Duration;

use uuid::Uuid;

use self::options::{By, FlowRate};
use self::refused::RefusedLog;
use crate::access::Accountability;
use crate::config::Config;
use crate::db::WriteGate;
use crate::protect::rate_limit::Windows;

/// The longest window a per-flow rate limit's memory entry is kept for (longer windows still
/// count, in Redis exactly, in memory until the bounded store evicts them).
const LONGEST_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// What webhook calls are checked against and refusals written to.
pub struct Gatekeeper {
    /// Per-flow rate limits, in the store `RATE_LIMITER_STORE` names.
    windows: Windows,
    pub refused: RefusedLog,
    /// How long a sync call waits for a slot of its flow's `concurrency`.
    pub concurrency_wait: Duration,
}

impl Gatekeeper {
    pub async fn start(
        config: &Config,
        db: sea_orm::DatabaseConnection,
        gate: WriteGate,
    ) -> Gatekeeper {
        let r = &config.rate_limit;
        Gatekeeper {
            windows: Windows::open(
                &r.store,
                format!("{}:flow", r.key_prefix),
                r.memory_max_size,
                LONGEST_WINDOW,
            )
            .await,
            refused: RefusedLog::start(db, gate, config.flows_refused_max),
            concurrency_wait: config.flows_concurrency_wait,
        }
    }

    /// Counts a call against the flow's `rateLimit`; `Err(wait)` when over it.
    pub async fn consume(
        &self,
        flow: Uuid,
        rate: &FlowRate,
        acc: &Accountability,
    ) -> Result<(), Duration> {
        let ip = acc.ip.as_deref().unwrap_or("");
        let key = match (rate.by, acc.user) {
            (By::Global, _) => format!("{flow}:all"),
            (By::Token, Some(user)) => format!("{flow}:user:{user}"),
            (By::Token, None) | (By::Ip, _) => format!("{flow}:ip:{ip}"),
        };
        self.windows.consume(&key, rate.points, rate.duration).await
    }
}
