//! Typed configuration read once at start from the environment (Directus variable names and
//! defaults, directus.md §10.5) and an optional `.env` file; nothing else reads the environment.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::util::duration::{parse_bytes, parse_duration};

/// Which database the server talks to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbConfig {
    /// An embedded SQLite file (`DB_CLIENT=sqlite3`, the default); `:memory:` for tests.
    Sqlite { filename: String },
    /// A PostgreSQL server (`DB_CLIENT=pg`).
    Postgres { url: String },
}

impl DbConfig {
    /// The connection URL for sqlx/SeaORM. Contains the password for PostgreSQL: never log it.
    pub fn url(&self) -> String {
        match self {
            DbConfig::Sqlite { filename } if filename == ":memory:" => "sqlite::memory:".into(),
            DbConfig::Sqlite { filename } => format!("sqlite://{filename}?mode=rwc"),
            DbConfig::Postgres { url } => url.clone(),
        }
    }

    /// A description safe for logs (no credentials).
    pub fn describe(&self) -> String {
        match self {
            DbConfig::Sqlite { filename } => format!("sqlite ({filename})"),
            DbConfig::Postgres { url } => {
                let host = url
                    .rsplit_once('@')
                    .map(|(_, h)| h)
                    .unwrap_or("(connection string)");
                let host = host.split('?').next().unwrap_or(host);
                format!("postgresql ({host})")
            }
        }
    }
}

/// `SameSite` attribute of the auth cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
    None,
}

impl SameSite {
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
            SameSite::None => "None",
        }
    }
}

/// Settings of one auth cookie (refresh or session).
#[derive(Clone, Debug)]
pub struct CookieConfig {
    pub name: String,
    pub secure: bool,
    pub same_site: SameSite,
    pub domain: Option<String>,
}

/// argon2id cost settings (`HASH_*`) and how many hashes may run at once.
#[derive(Clone, Copy, Debug)]
pub struct HashConfig {
    pub memory_cost: u32,
    pub time_cost: u32,
    pub parallelism: u32,
    pub hash_length: usize,
    /// `SLUICE_HASH_CONCURRENCY`: hashes (and verifications) running at once in this process,
    /// each holding `memory_cost` KiB; more wait their turn. Default: the number of cores.
    pub concurrency: usize,
    /// `SLUICE_HASH_QUEUE_TIMEOUT`: how long a hash waits for its turn before the request is
    /// answered `503 SERVICE_UNAVAILABLE`.
    pub queue_timeout: Duration,
}

/// How `IP_TRUST_PROXY` decides the client address.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    pub trust_proxy: bool,
    pub custom_header: Option<String>,
}

/// Outgoing mail (`EMAIL_*`). Only the `smtp` transport sends; others leave mail unsent
/// (logged), since sendmail and cloud transports are not available to Sluice.
#[derive(Clone)]
pub struct EmailConfig {
    pub from: String,
    pub transport: String,
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_user: Option<String>,
    pub smtp_password: Option<String>,
    /// `EMAIL_SMTP_SECURE`: TLS from the start (usually port 465).
    pub smtp_secure: bool,
    /// `EMAIL_SMTP_IGNORE_TLS`: never upgrade with STARTTLS.
    pub smtp_ignore_tls: bool,
}

impl fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailConfig")
            .field("from", &self.from)
            .field("transport", &self.transport)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_user", &self.smtp_user)
            .field(
                "smtp_password",
                &self.smtp_password.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Where limiter counters and cached responses live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Store {
    Memory,
    /// A Redis URL (`REDIS`, or the store's own `*_REDIS` variable).
    Redis(String),
}

/// `RATE_LIMITER_*` (directus.md §10.1).
#[derive(Clone, Debug)]
pub struct RateLimitConfig {
    pub enabled: bool,
    pub points: u32,
    pub duration: Duration,
    pub store: Store,
    pub global_enabled: bool,
    pub global_points: u32,
    pub global_duration: Duration,
    /// `RATE_LIMITER_KEY_PREFIX`: namespace of the counters in a shared store.
    pub key_prefix: String,
    /// `RATE_LIMITER_MEMORY_MAX_SIZE`: bytes the memory store may hold (per limiter).
    pub memory_max_size: u64,
}

/// `CACHE_*` (directus.md §10.2).
#[derive(Clone, Debug)]
pub struct CacheConfig {
    pub enabled: bool,
    pub store: Store,
    pub ttl: Duration,
    pub status_header: Option<String>,
    /// `CACHE_NAMESPACE`: namespace of the entries in a shared store.
    pub namespace: String,
    /// `CACHE_VALUE_MAX_SIZE`: larger answers are not cached.
    pub value_max_size: usize,
    /// `CACHE_MEMORY_MAX_SIZE`: bytes the memory store may hold.
    pub memory_max_size: u64,
}

/// Which origins CORS answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsOrigin {
    /// `CORS_ORIGIN=false`: no origin is allowed.
    Disabled,
    /// `CORS_ORIGIN=true`: the request's origin is reflected.
    Reflect,
    /// A list of allowed origins (`*` allows any).
    List(Vec<String>),
}

/// `CORS_*` (directus.md §10.4).
#[derive(Clone, Debug)]
pub struct CorsConfig {
    pub enabled: bool,
    pub origin: CorsOrigin,
    pub methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub credentials: bool,
    pub max_age: u64,
}

/// How connections are served (Directus passes `SERVER_*` to Node's HTTP server; these are
/// the same limits, with defaults chosen so that no client can hold the server).
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// `SERVER_HEADERS_TIMEOUT`: a request head (and the next head on a kept-alive
    /// connection) must arrive within this time.
    pub headers_timeout: Duration,
    /// `SERVER_BODY_TIMEOUT`: a request body must arrive completely within this time (408).
    pub body_timeout: Duration,
    /// `SERVER_REQUEST_TIMEOUT`: an API request (not a flow run) must be answered within this
    /// time (503).
    pub request_timeout: Duration,
    /// `SERVER_WRITE_TIMEOUT`: a client that accepts no bytes of its answer for this long is
    /// disconnected.
    pub write_timeout: Duration,
    /// `SERVER_SHUTDOWN_TIMEOUT`: graceful shutdown waits at most this long for open
    /// connections.
    pub shutdown_timeout: Duration,
    /// `SERVER_MAX_CONNECTIONS`: open connections at once; more are answered 503.
    pub max_connections: usize,
    /// `SERVER_MAX_HEADER_SIZE`: the request line and headers together (431 beyond).
    pub max_header_size: usize,
}

/// Log output settings.
#[derive(Clone, Debug)]
pub struct LogConfig {
    pub level: String,
    /// `pretty` (human) or `raw` (JSON lines), as `LOG_STYLE` in Directus.
    pub json: bool,
}

/// Sluice's whole configuration. `Debug` never prints secrets.
#[derive(Clone)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    pub public_url: String,
    pub db: DbConfig,
    /// `SECRET`; `None` means "generate once and persist with the database".
    pub secret: Option<String>,
    pub key: Option<String>,
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    pub admin_token: Option<String>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub session_cookie_ttl: Duration,
    pub session_refresh_grace: Duration,
    pub login_stall_time: Duration,
    pub refresh_cookie: CookieConfig,
    pub session_cookie: CookieConfig,
    pub hash: HashConfig,
    pub proxy: ProxyConfig,
    pub max_payload_size: usize,
    pub query_limit_default: u64,
    pub query_limit_max: Option<u64>,
    /// How many relations a query path may follow (`MAX_RELATIONAL_DEPTH`, Directus: 10).
    pub max_relational_depth: usize,
    pub max_batch_mutation: Option<usize>,
    pub querystring_max_parse_depth: usize,
    pub querystring_array_limit: usize,
    pub flows_env_allow_list: Vec<String>,
    /// Values of the allow-listed variables, captured at start for `$env`.
    pub flows_env: Vec<(String, String)>,
    pub flows_response_envelope: bool,
    pub flows_run_script_timeout: Duration,
    pub flows_run_script_max_memory_mb: u32,
    /// `FLOWS_RUN_SCRIPT_CONCURRENCY`: `exec` sandboxes running at once (each may use
    /// `FLOWS_RUN_SCRIPT_MAX_MEMORY`); more wait up to their timeout. Default: the number of
    /// cores.
    pub flows_run_script_concurrency: usize,
    /// `FLOWS_TRIGGER_MAX_ITEMS`: the most array elements one `trigger` operation runs a flow for.
    pub flows_trigger_max_items: usize,
    /// `FLOWS_TRIGGER_CONCURRENCY`: how many of one `trigger` operation's runs go at once.
    pub flows_trigger_concurrency: usize,
    /// Timeout of one `request` operation (`FLOWS_REQUEST_TIMEOUT`, a Sluice setting).
    pub flows_request_timeout: Duration,
    /// `FLOWS_FILTER_LOCK_TIMEOUT`: on SQLite, how long filter flows may go on once they have
    /// written inside the write's transaction.
    pub flows_filter_lock_timeout: Duration,
    /// `FLOWS_LOGS_RETENTION`: run logs older than this are pruned (none: kept for ever); a
    /// flow's `options.retention` overrides it per outcome.
    pub flows_logs_retention: Option<Duration>,
    /// `FLOWS_LOGS_PRUNE_INTERVAL`: how often the pruner looks.
    pub flows_logs_prune_interval: Duration,
    /// `FLOWS_QUEUE_MAX`: queued runs (accepted, not finished) at most; one more async call
    /// is answered 503 with `Retry-After`.
    pub flows_queue_max: usize,
    /// `FLOWS_CONCURRENCY`: queued runs one instance executes at once.
    pub flows_concurrency: usize,
    /// `FLOWS_LEASE`: how long a claimed run stays an instance's without a heartbeat (renewed
    /// every third of it); a run whose lease expired is taken over by any instance.
    pub flows_lease: Duration,
    /// `FLOWS_QUEUE_POLL`: how often an idle instance looks for due runs (retries, runs
    /// accepted elsewhere) when nothing woke it.
    pub flows_queue_poll: Duration,
    /// `FLOWS_SHUTDOWN_TIMEOUT`: on SIGTERM, how long executing runs may go on before the
    /// rest are handed back to the queue for the next start.
    pub flows_shutdown_timeout: Duration,
    /// `FLOWS_IDEMPOTENCY_TTL`: how long a delivery's idempotency key answers its repeats.
    pub flows_idempotency_ttl: Duration,
    /// `FLOWS_IDEMPOTENCY_WAIT`: how long a repeat waits for the first delivery's answer.
    pub flows_idempotency_wait: Duration,
    /// `FLOWS_REFUSED_MAX`: refused calls kept per flow (the oldest removed first).
    pub flows_refused_max: u64,
    /// `METRICS_ENABLED`: `GET /metrics` answers Prometheus text.
    pub metrics_enabled: bool,
    /// `METRICS_TOKENS`: bearer tokens that may read `/metrics` (admins always may).
    pub metrics_tokens: Vec<String>,
    /// `FLOWS_CONCURRENCY_WAIT`: how long a sync call waits for a slot of its flow's
    /// `concurrency` before it is refused.
    pub flows_concurrency_wait: Duration,
    pub import_ip_deny_list: Vec<String>,
    pub email: EmailConfig,
    pub rate_limit: RateLimitConfig,
    pub cache: CacheConfig,
    pub cors: CorsConfig,
    pub log: LogConfig,
    pub server: ServerConfig,
    /// Directory of the built web app served at `/admin` (`SLUICE_APP_DIR`, default `./dist`).
    pub app_dir: PathBuf,
    pub serve_app: bool,
    /// `SLUICE_BENCH_ROUTE`: serve `/bench/static`, a bare JSON route that is the ceiling in
    /// BENCHMARKS.md. Off by default.
    pub bench_route: bool,
    /// Raw variables, kept for the later `RATE_LIMITER_*`, `CACHE_*`, `CORS_*`, `EMAIL_*` groups.
    pub extra: HashMap<String, String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("public_url", &self.public_url)
            .field("db", &self.db.describe())
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("admin_email", &self.admin_email)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("max_payload_size", &self.max_payload_size)
            .field("flows_env_allow_list", &self.flows_env_allow_list)
            .finish_non_exhaustive()
    }
}

/// A configuration problem that stops the server from starting.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {message}")]
pub struct ConfigError {
    pub var: String,
    pub message: String,
}

fn err(var: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var: var.to_owned(),
        message: message.into(),
    }
}

/// The number of cores this process may use (the default for concurrency limits).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Reads values by name, with parsing helpers that name the variable in their errors.
struct Vars<'a>(&'a HashMap<String, String>);

impl Vars<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn string(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_owned()
    }

    fn opt(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }

    fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(err(name, format!("expected true or false, got {v:?}"))),
            },
        }
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| err(name, format!("expected a whole number, got {v:?}"))),
        }
    }

    /// A whole number of at least 1 (a concurrency or a cap).
    fn count(&self, name: &str, default: usize) -> Result<usize, ConfigError> {
        let n = self.number(name, default)?;
        if n == 0 {
            return Err(err(name, "must be at least 1"));
        }
        Ok(n)
    }

    fn duration(&self, name: &str, default: &str) -> Result<Duration, ConfigError> {
        let raw = self.get(name).unwrap_or(default);
        parse_duration(raw).ok_or_else(|| {
            err(
                name,
                format!("expected a duration such as 15m, 7d or 900000 (ms), got {raw:?}"),
            )
        })
    }

    fn bytes(&self, name: &str, default: &str) -> Result<usize, ConfigError> {
        let raw = self.get(name).unwrap_or(default);
        parse_bytes(raw).ok_or_else(|| {
            err(
                name,
                format!("expected a size such as 16kb or 1mb, got {raw:?}"),
            )
        })
    }

    fn list(&self, name: &str, default: &str) -> Vec<String> {
        let raw = self.get(name).unwrap_or(default);
        if raw.eq_ignore_ascii_case("false") {
            return Vec::new();
        }
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn same_site(&self, name: &str) -> Result<SameSite, ConfigError> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None | Some("lax") => Ok(SameSite::Lax),
            Some("strict") => Ok(SameSite::Strict),
            Some("none") => Ok(SameSite::None),
            Some(other) => Err(err(
                name,
                format!("expected lax, strict or none, got {other:?}"),
            )),
        }
    }

    fn cookie(&self, prefix: &str, default_name: &str) -> Result<CookieConfig, ConfigError> {
        Ok(CookieConfig {
            name: self.string(&format!("{prefix}_NAME"), default_name),
            secure: self.bool(&format!("{prefix}_SECURE"), false)?,
            same_site: self.same_site(&format!("{prefix}_SAME_SITE"))?,
            domain: self.opt(&format!("{prefix}_DOMAIN")),
        })
    }
}

impl Config {
    /// Loads the configuration from the process environment, after reading `./.env` (variables
    /// already set in the environment win over the file).
    pub fn from_env() -> Result<Config, ConfigError> {
        let mut vars: HashMap<String, String> = HashMap::new();
        if let Ok(iter) = dotenvy::from_path_iter(".env") {
            for item in iter {
                let (k, v) = item.map_err(|e| err(".env", e.to_string()))?;
                vars.insert(k, v);
            }
        }
        vars.extend(std::env::vars());
        Config::from_vars(&vars)
    }

    /// Builds and validates a configuration from explicit variables (pure; used by tests).
    pub fn from_vars(map: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let v = Vars(map);
        let host_raw = v.string("HOST", "0.0.0.0");
        let host: IpAddr = host_raw
            .parse()
            .map_err(|_| err("HOST", format!("expected an IP address, got {host_raw:?}")))?;
        let port_raw = v.string("PORT", "8055");
        let port: u16 = port_raw.parse().map_err(|_| {
            err(
                "PORT",
                format!("expected a port number 0-65535, got {port_raw:?}"),
            )
        })?;

        let db = match v
            .string("DB_CLIENT", "sqlite3")
            .to_ascii_lowercase()
            .as_str()
        {
            "sqlite3" | "sqlite" => DbConfig::Sqlite {
                filename: v.string("DB_FILENAME", "./data.db"),
            },
            "pg" | "postgres" | "postgresql" => DbConfig::Postgres {
                url: postgres_url(&v)?,
            },
            other => {
                return Err(err(
                    "DB_CLIENT",
                    format!("supported clients are sqlite3 and pg, got {other:?}"),
                ));
            }
        };

        let max_payload_raw = v.string("MAX_PAYLOAD_SIZE", "1mb");
        let max_payload_size = parse_bytes(&max_payload_raw).ok_or_else(|| {
            err(
                "MAX_PAYLOAD_SIZE",
                format!("expected a size such as 1mb or 500kb, got {max_payload_raw:?}"),
            )
        })?;

        let allow_list = v.list("FLOWS_ENV_ALLOW_LIST", "false");
        let flows_env = allow_list
            .iter()
            .filter_map(|name| map.get(name).map(|val| (name.clone(), val.clone())))
            .collect();

        let hash = HashConfig {
            memory_cost: v.number("HASH_MEMORY_COST", 65536)?,
            time_cost: v.number("HASH_TIME_COST", 3)?,
            parallelism: v.number("HASH_PARALLELISM", 4)?,
            hash_length: v.number("HASH_HASH_LENGTH", 32)?,
            concurrency: v.count("SLUICE_HASH_CONCURRENCY", cores())?,
            queue_timeout: v.duration("SLUICE_HASH_QUEUE_TIMEOUT", "30s")?,
        };
        argon2::Params::new(
            hash.memory_cost,
            hash.time_cost,
            hash.parallelism,
            Some(hash.hash_length),
        )
        .map_err(|e| {
            err(
                "HASH_MEMORY_COST",
                format!("invalid argon2 parameters: {e}"),
            )
        })?;

        let query_limit_max = match v.get("QUERY_LIMIT_MAX") {
            None => None,
            Some(raw) if raw == "-1" || raw.eq_ignore_ascii_case("infinity") => None,
            Some(_) => Some(v.number("QUERY_LIMIT_MAX", 0u64)?),
        };
        let max_batch_mutation = match v.get("MAX_BATCH_MUTATION") {
            None => None,
            Some(raw) if raw.eq_ignore_ascii_case("infinity") => None,
            Some(_) => Some(v.number("MAX_BATCH_MUTATION", 0usize)?),
        };
        let log_level = v.string("LOG_LEVEL", "info").to_ascii_lowercase();
        if !matches!(
            log_level.as_str(),
            "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent"
        ) {
            return Err(err(
                "LOG_LEVEL",
                format!(
                    "expected fatal, error, warn, info, debug, trace or silent, got {log_level:?}"
                ),
            ));
        }

        let server = ServerConfig {
            headers_timeout: v.duration("SERVER_HEADERS_TIMEOUT", "10s")?,
            body_timeout: v.duration("SERVER_BODY_TIMEOUT", "30s")?,
            request_timeout: v.duration("SERVER_REQUEST_TIMEOUT", "60s")?,
            write_timeout: v.duration("SERVER_WRITE_TIMEOUT", "30s")?,
            shutdown_timeout: v.duration("SERVER_SHUTDOWN_TIMEOUT", "10s")?,
            max_connections: v.number("SERVER_MAX_CONNECTIONS", 1024usize)?,
            max_header_size: v.bytes("SERVER_MAX_HEADER_SIZE", "16kb")?,
        };
        for (var, d) in [
            ("SERVER_HEADERS_TIMEOUT", server.headers_timeout),
            ("SERVER_BODY_TIMEOUT", server.body_timeout),
            ("SERVER_REQUEST_TIMEOUT", server.request_timeout),
            ("SERVER_WRITE_TIMEOUT", server.write_timeout),
        ] {
            if d.is_zero() {
                return Err(err(var, "must be greater than 0"));
            }
        }
        if server.max_connections == 0 {
            return Err(err("SERVER_MAX_CONNECTIONS", "must be at least 1"));
        }
        if server.max_header_size < 1024 {
            return Err(err("SERVER_MAX_HEADER_SIZE", "must be at least 1kb"));
        }

        let config = Config {
            server,
            host,
            port,
            public_url: v.string("PUBLIC_URL", "/"),
            db,
            secret: v.opt("SECRET"),
            key: v.opt("KEY"),
            admin_email: v.opt("ADMIN_EMAIL"),
            admin_password: v.opt("ADMIN_PASSWORD"),
            admin_token: v.opt("ADMIN_TOKEN"),
            access_token_ttl: v.duration("ACCESS_TOKEN_TTL", "15m")?,
            refresh_token_ttl: v.duration("REFRESH_TOKEN_TTL", "7d")?,
            session_cookie_ttl: v.duration("SESSION_COOKIE_TTL", "1d")?,
            session_refresh_grace: v.duration("SESSION_REFRESH_GRACE_PERIOD", "10s")?,
            login_stall_time: Duration::from_millis(v.number("LOGIN_STALL_TIME", 500u64)?),
            refresh_cookie: v.cookie("REFRESH_TOKEN_COOKIE", "directus_refresh_token")?,
            session_cookie: v.cookie("SESSION_COOKIE", "directus_session_token")?,
            hash,
            proxy: ProxyConfig {
                trust_proxy: v.bool("IP_TRUST_PROXY", true)?,
                custom_header: v.opt("IP_CUSTOM_HEADER").map(|h| h.to_ascii_lowercase()),
            },
            max_payload_size,
            query_limit_default: v.number("QUERY_LIMIT_DEFAULT", 100u64)?,
            query_limit_max,
            max_relational_depth: v.number("MAX_RELATIONAL_DEPTH", 10usize)?,
            max_batch_mutation,
            querystring_max_parse_depth: v.number("QUERYSTRING_MAX_PARSE_DEPTH", 10usize)?,
            querystring_array_limit: v.number("QUERYSTRING_ARRAY_LIMIT", 500usize)?,
            flows_env_allow_list: allow_list,
            flows_env,
            flows_response_envelope: v.bool("FLOWS_RESPONSE_ENVELOPE", true)?,
            flows_run_script_timeout: Duration::from_millis(
                v.number("FLOWS_RUN_SCRIPT_TIMEOUT", 10_000u64)?,
            ),
            flows_run_script_max_memory_mb: v.number("FLOWS_RUN_SCRIPT_MAX_MEMORY", 32u32)?,
            flows_run_script_concurrency: v.count("FLOWS_RUN_SCRIPT_CONCURRENCY", cores())?,
            flows_trigger_max_items: v.count("FLOWS_TRIGGER_MAX_ITEMS", 1000)?,
            flows_trigger_concurrency: v.count("FLOWS_TRIGGER_CONCURRENCY", 16)?,
            flows_request_timeout: v.duration("FLOWS_REQUEST_TIMEOUT", "30s")?,
            flows_filter_lock_timeout: v.duration("FLOWS_FILTER_LOCK_TIMEOUT", "5s")?,
            flows_logs_retention: match v.get("FLOWS_LOGS_RETENTION").map(str::trim) {
                None | Some("" | "0" | "false") => None,
                Some(_) => Some(v.duration("FLOWS_LOGS_RETENTION", "0")?),
            },
            flows_logs_prune_interval: v.duration("FLOWS_LOGS_PRUNE_INTERVAL", "10m")?,
            flows_queue_max: v.count("FLOWS_QUEUE_MAX", 10_000)?,
            flows_concurrency: v.count("FLOWS_CONCURRENCY", 64)?,
            flows_lease: v.duration("FLOWS_LEASE", "30s")?,
            flows_queue_poll: v.duration("FLOWS_QUEUE_POLL", "500ms")?,
            flows_shutdown_timeout: v.duration("FLOWS_SHUTDOWN_TIMEOUT", "30s")?,
            flows_idempotency_ttl: v.duration("FLOWS_IDEMPOTENCY_TTL", "24h")?,
            flows_idempotency_wait: v.duration("FLOWS_IDEMPOTENCY_WAIT", "30s")?,
            flows_refused_max: v.count("FLOWS_REFUSED_MAX", 1000)? as u64,
            metrics_enabled: v.bool("METRICS_ENABLED", false)?,
            metrics_tokens: v.list("METRICS_TOKENS", ""),
            flows_concurrency_wait: v.duration("FLOWS_CONCURRENCY_WAIT", "30s")?,
            import_ip_deny_list: v.list("IMPORT_IP_DENY_LIST", "0.0.0.0,169.254.169.254"),
            email: EmailConfig {
                from: v.string("EMAIL_FROM", "no-reply@example.com"),
                transport: v.string("EMAIL_TRANSPORT", "sendmail").to_ascii_lowercase(),
                smtp_host: v.opt("EMAIL_SMTP_HOST"),
                smtp_port: v.number("EMAIL_SMTP_PORT", 587u16)?,
                smtp_user: v.opt("EMAIL_SMTP_USER"),
                smtp_password: v.opt("EMAIL_SMTP_PASSWORD"),
                smtp_secure: v.bool("EMAIL_SMTP_SECURE", false)?,
                smtp_ignore_tls: v.bool("EMAIL_SMTP_IGNORE_TLS", false)?,
            },
            rate_limit: RateLimitConfig {
                enabled: v.bool("RATE_LIMITER_ENABLED", false)?,
                points: v.number("RATE_LIMITER_POINTS", 50u32)?,
                duration: Duration::from_secs(v.number("RATE_LIMITER_DURATION", 1u64)?),
                store: store(&v, "RATE_LIMITER_STORE", "RATE_LIMITER_REDIS")?,
                global_enabled: v.bool("RATE_LIMITER_GLOBAL_ENABLED", false)?,
                global_points: v.number("RATE_LIMITER_GLOBAL_POINTS", 1000u32)?,
                global_duration: Duration::from_secs(
                    v.number("RATE_LIMITER_GLOBAL_DURATION", 1u64)?,
                ),
                key_prefix: v.string("RATE_LIMITER_KEY_PREFIX", "rlflx"),
                memory_max_size: v.bytes("RATE_LIMITER_MEMORY_MAX_SIZE", "16mb")? as u64,
            },
            cache: CacheConfig {
                enabled: v.bool("CACHE_ENABLED", false)?,
                store: store(&v, "CACHE_STORE", "CACHE_REDIS")?,
                ttl: v.duration("CACHE_TTL", "5m")?,
                status_header: v.opt("CACHE_STATUS_HEADER"),
                namespace: v.string("CACHE_NAMESPACE", "system-cache"),
                value_max_size: match v.get("CACHE_VALUE_MAX_SIZE") {
                    Some(off) if off.eq_ignore_ascii_case("false") => usize::MAX,
                    _ => v.bytes("CACHE_VALUE_MAX_SIZE", "1mb")?,
                },
                memory_max_size: v.bytes("CACHE_MEMORY_MAX_SIZE", "64mb")? as u64,
            },
            cors: CorsConfig {
                enabled: v.bool("CORS_ENABLED", false)?,
                origin: match v.get("CORS_ORIGIN") {
                    None => CorsOrigin::Disabled,
                    Some(o) if o.eq_ignore_ascii_case("false") => CorsOrigin::Disabled,
                    Some(o) if o.eq_ignore_ascii_case("true") => CorsOrigin::Reflect,
                    Some(_) => CorsOrigin::List(v.list("CORS_ORIGIN", "")),
                },
                methods: v.list("CORS_METHODS", "GET,POST,PATCH,DELETE"),
                allowed_headers: v.list("CORS_ALLOWED_HEADERS", "Content-Type,Authorization"),
                exposed_headers: v.list("CORS_EXPOSED_HEADERS", "Content-Range"),
                credentials: v.bool("CORS_CREDENTIALS", true)?,
                max_age: v.number("CORS_MAX_AGE", 18000u64)?,
            },
            log: LogConfig {
                level: log_level,
                json: v.string("LOG_STYLE", "pretty").eq_ignore_ascii_case("raw"),
            },
            app_dir: PathBuf::from(v.string("SLUICE_APP_DIR", "./dist")),
            serve_app: v.bool("SERVE_APP", true)?,
            bench_route: v.bool("SLUICE_BENCH_ROUTE", false)?,
            extra: map
                .iter()
                .filter(|(k, _)| {
                    ["RATE_LIMITER_", "CACHE_", "CORS_", "EMAIL_"]
                        .iter()
                        .any(|p| k.starts_with(p))
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        if config.access_token_ttl.is_zero() {
            return Err(err("ACCESS_TOKEN_TTL", "must be longer than zero"));
        }
        if config.refresh_token_ttl.is_zero() {
            return Err(err("REFRESH_TOKEN_TTL", "must be longer than zero"));
        }
        if config.query_limit_default == 0 {
            return Err(err("QUERY_LIMIT_DEFAULT", "must be at least 1"));
        }
        Ok(config)
    }

    /// A complete configuration for tests: in-memory SQLite, fast hashing, no login stall.
    pub fn for_tests() -> Config {
        let vars: HashMap<String, String> = [
            ("HOST", "127.0.0.1"),
            ("PORT", "0"),
            ("DB_CLIENT", "sqlite3"),
            ("DB_FILENAME", ":memory:"),
            ("SECRET", "test-secret-test-secret-test-secret"),
            ("ADMIN_EMAIL", "admin@example.com"),
            ("ADMIN_PASSWORD", "password"),
            ("ADMIN_TOKEN", "admin-static-token"),
            ("LOGIN_STALL_TIME", "0"),
            ("HASH_MEMORY_COST", "1024"),
            ("HASH_TIME_COST", "1"),
            ("HASH_PARALLELISM", "1"),
            ("LOG_LEVEL", "warn"),
            ("SERVE_APP", "false"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        match Config::from_vars(&vars) {
            Ok(c) => c,
            Err(e) => unreachable!("test configuration is valid: {e}"),
        }
    }
}

/// `memory` or `redis` for a store variable; Redis needs `REDIS` (or the store's own URL).
fn store(v: &Vars<'_>, var: &str, own_url: &str) -> Result<Store, ConfigError> {
    match v.string(var, "memory").to_ascii_lowercase().as_str() {
        "memory" => Ok(Store::Memory),
        "redis" => {
            let url = v
                .opt(own_url)
                .or_else(|| v.opt("REDIS"))
                .or_else(|| {
                    v.opt("REDIS_HOST")
                        .map(|h| format!("redis://{h}:{}", v.string("REDIS_PORT", "6379")))
                })
                .ok_or_else(|| err("REDIS", format!("{var}=redis needs REDIS (a redis:// URL)")))?;
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(err("REDIS", "expected a redis:// URL"));
            }
            Ok(Store::Redis(url))
        }
        other => Err(err(var, format!("expected memory or redis, got {other:?}"))),
    }
}

/// `DB_CONNECTION_STRING`, or one assembled from `DB_HOST`/`DB_PORT`/`DB_DATABASE`/`DB_USER`/
/// `DB_PASSWORD` as Directus allows.
fn postgres_url(v: &Vars<'_>) -> Result<String, ConfigError> {
    if let Some(url) = v.opt("DB_CONNECTION_STRING") {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(err(
                "DB_CONNECTION_STRING",
                "expected a postgres:// or postgresql:// URL",
            ));
        }
        return Ok(url);
    }
    let database = v.opt("DB_DATABASE").ok_or_else(|| {
        err(
            "DB_CONNECTION_STRING",
            "DB_CLIENT=pg needs DB_CONNECTION_STRING (or DB_HOST and DB_DATABASE)",
        )
    })?;
    let host = v.string("DB_HOST", "127.0.0.1");
    let port: u16 = v.number("DB_PORT", 5432)?;
    let user = v.string("DB_USER", "postgres");
    let auth = match v.opt("DB_PASSWORD") {
        Some(p) => format!("{user}:{p}"),
        None => user,
    };
    Ok(format!("postgres://{auth}@{host}:{port}/{database}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn concurrency_limits_default_to_the_cores_and_refuse_zero() {
        let c = Config::from_vars(&HashMap::new()).unwrap();
        assert_eq!(c.hash.concurrency, cores());
        assert_eq!(c.hash.queue_timeout, Duration::from_secs(30));
        assert_eq!(c.flows_run_script_concurrency, cores());
        assert_eq!(c.flows_trigger_max_items, 1000);
        assert_eq!(c.flows_trigger_concurrency, 16);
        let c = Config::from_vars(&vars(&[
            ("SLUICE_HASH_CONCURRENCY", "3"),
            ("SLUICE_HASH_QUEUE_TIMEOUT", "5s"),
            ("FLOWS_TRIGGER_MAX_ITEMS", "10"),
        ]))
        .unwrap();
        assert_eq!(c.hash.concurrency, 3);
        assert_eq!(c.hash.queue_timeout, Duration::from_secs(5));
        assert_eq!(c.flows_trigger_max_items, 10);
        for var in [
            "SLUICE_HASH_CONCURRENCY",
            "FLOWS_RUN_SCRIPT_CONCURRENCY",
            "FLOWS_TRIGGER_MAX_ITEMS",
            "FLOWS_TRIGGER_CONCURRENCY",
        ] {
            let e = Config::from_vars(&vars(&[(var, "0")])).unwrap_err();
            assert_eq!(e.var, var);
        }
    }

    #[test]
    fn defaults_follow_directus() {
        let c = Config::from_vars(&HashMap::new()).unwrap();
        assert_eq!(c.port, 8055);
        assert_eq!(
            c.db,
            DbConfig::Sqlite {
                filename: "./data.db".into()
            }
        );
        assert_eq!(c.access_token_ttl, Duration::from_secs(15 * 60));
        assert_eq!(c.refresh_token_ttl, Duration::from_secs(7 * 24 * 3600));
        assert_eq!(c.login_stall_time, Duration::from_millis(500));
        assert_eq!(c.max_payload_size, 1024 * 1024);
        assert_eq!(c.query_limit_default, 100);
        assert!(c.flows_env_allow_list.is_empty());
        assert_eq!(c.import_ip_deny_list, vec!["0.0.0.0", "169.254.169.254"]);
        assert!(c.flows_response_envelope);
    }

    #[test]
    fn malformed_values_name_the_variable() {
        for (k, v) in [
            ("PORT", "eighty"),
            ("PORT", "70000"),
            ("ACCESS_TOKEN_TTL", "soon"),
            ("MAX_PAYLOAD_SIZE", "big"),
            ("DB_CLIENT", "oracle"),
            ("LOG_LEVEL", "loud"),
            ("IP_TRUST_PROXY", "maybe"),
        ] {
            let e = Config::from_vars(&vars(&[(k, v)])).unwrap_err();
            assert_eq!(e.var, k, "{k}={v}");
        }
    }

    #[test]
    fn pg_requires_a_connection() {
        let e = Config::from_vars(&vars(&[("DB_CLIENT", "pg")])).unwrap_err();
        assert_eq!(e.var, "DB_CONNECTION_STRING");
        let c = Config::from_vars(&vars(&[
            ("DB_CLIENT", "pg"),
            ("DB_HOST", "db"),
            ("DB_DATABASE", "x"),
            ("DB_PASSWORD", "pw"),
        ]))
        .unwrap();
        assert_eq!(c.db.url(), "postgres://postgres:pw@db:5432/x");
        assert!(!c.db.describe().contains("pw"));
    }

    #[test]
    fn debug_never_prints_secrets() {
        let c = Config::from_vars(&vars(&[
            ("SECRET", "s3cr3t-value"),
            ("ADMIN_PASSWORD", "hunter2"),
            ("DB_CLIENT", "pg"),
            ("DB_CONNECTION_STRING", "postgres://u:dbpass@h/d"),
        ]))
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t-value"));
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("dbpass"));
    }

    #[test]
    fn env_allow_list_captures_values() {
        let c = Config::from_vars(&vars(&[
            ("FLOWS_ENV_ALLOW_LIST", "API_TOKEN, MISSING"),
            ("API_TOKEN", "abc"),
        ]))
        .unwrap();
        assert_eq!(c.flows_env_allow_list, vec!["API_TOKEN", "MISSING"]);
        assert_eq!(c.flows_env, vec![("API_TOKEN".into(), "abc".into())]);
    }
}
