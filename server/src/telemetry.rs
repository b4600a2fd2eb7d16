//! Structured logs: `LOG_LEVEL` (Directus names: fatal, error, warn, info, debug, trace,
//! silent) and `LOG_STYLE` (`pretty` text or `raw` JSON lines).

use tracing_subscriber::EnvFilter;

use crate::config::LogConfig;

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(cfg: &LogConfig) {
    let level = match cfg.level.as_str() {
        "fatal" => "error",
        "silent" => "off",
        other => other,
    };
    // Our crates at the configured level; noisy dependencies one step quieter.
    let filter = EnvFilter::new(format!(
        "{level},sqlx=warn,sea_orm=warn,hyper=warn,tower_http={level}"
    ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if cfg.json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
