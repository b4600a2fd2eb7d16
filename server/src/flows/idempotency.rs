//! Idempotent deliveries (issue 13 point 7). A webhook call that carries an `Idempotency-Key`
//! header — or whose flow's `idempotencyKey` option renders to a key from `$trigger` — runs
//! once per key within `FLOWS_IDEMPOTENCY_TTL`: the first delivery claims the key in
//! `sluice_idempotency` (an insert the primary key lets only one caller win, on SQLite and
//! PostgreSQL alike, across instances), and every repeat answers the first delivery's status
//! and body, waiting up to `FLOWS_IDEMPOTENCY_WAIT` while it still runs. Repeats are counted.

use std::time::Duration;

use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr, Statement, Value as SqlValue};
use serde_json::Value;
use uuid::Uuid;

use super::template::{Scope, Template};
use crate::core::Core;
use crate::db::placeholders;
use crate::error::{ApiError, Result};

/// The longest key kept (the column's size).
pub const MAX_KEY: usize = 255;
/// The header a caller names its delivery with.
pub const HEADER: &str = "idempotency-key";
/// How often a repeat looks whether the first delivery has answered.
const POLL: Duration = Duration::from_millis(25);

/// What a delivery with a key is.
pub enum Delivery {
    /// The first: run it, then [`Claim::answer`].
    First(Claim),
    /// A repeat: the first delivery's answer, and the run it started.
    Repeat {
        status: u16,
        body: Option<String>,
        run: Option<String>,
    },
}

/// A claimed key, to be completed with the answer once it is known.
pub struct Claim {
    flow: String,
    key: String,
}

/// The delivery's key: the `Idempotency-Key` header's (among `$trigger`'s `headers`), else
/// the flow option rendered against `{"$trigger": trigger}`; `None` without one.
///
/// # Errors
/// `INVALID_PAYLOAD` for a key longer than [`MAX_KEY`].
pub fn key_of(
    headers: &Value,
    option: Option<&Template>,
    trigger: &Value,
) -> Result<Option<String>> {
    let from_header = headers
        .get(HEADER)
        .and_then(Value::as_str)
        .map(str::to_owned);
    let key = match from_header {
        Some(k) => Some(k),
        None => option.and_then(
            |t| match t.render(&TriggerScope(trigger), Utc::now()).ok()? {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            },
        ),
    };
    let key = key.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty());
    if key.as_ref().is_some_and(|k| k.chars().count() > MAX_KEY) {
        return Err(ApiError::invalid_payload(format!(
            "An idempotency key may hold at most {MAX_KEY} characters"
        )));
    }
    if key
        .as_ref()
        .is_some_and(|k| k.chars().any(char::is_control))
    {
        return Err(ApiError::invalid_payload(
            "An idempotency key may not hold control characters",
        ));
    }
    Ok(key)
}

/// Claims `key` for `flow`, or finds the answer of the delivery that did.
///
/// # Errors
/// 503 `SERVICE_UNAVAILABLE` (with `Retry-After`) when the first delivery is still running
/// after `FLOWS_IDEMPOTENCY_WAIT`; database errors as 500.
pub async fn claim(core: &Core, flow: Uuid, key: &str) -> Result<Delivery> {
    let flow = flow.to_string();
    let ttl = i64::try_from(core.config.flows_idempotency_ttl.as_millis()).unwrap_or(i64::MAX);
    let waited_until = tokio::time::Instant::now() + core.config.flows_idempotency_wait;
    let mut counted = false;
    loop {
        let now = Utc::now().timestamp_millis();
        if insert(core, &flow, key, now, now.saturating_add(ttl)).await? {
            return Ok(Delivery::First(Claim {
                flow,
                key: key.to_owned(),
            }));
        }
        match read(core, &flow, key).await? {
            // Expired (or gone since): drop it and claim again.
            None => {}
            Some((_, _, expires_at, _)) if expires_at <= now => {
                exec(
                    core,
                    "DELETE FROM sluice_idempotency WHERE flow = ? AND \"key\" = ? AND expires_at <= ?",
                    vec![flow.clone().into(), key.into(), now.into()],
                )
                .await?;
            }
            Some((status, body, _, run)) => {
                if !counted {
                    counted = true;
                    exec(
                        core,
                        "UPDATE sluice_idempotency SET duplicates = duplicates + 1 WHERE flow = ? AND \"key\" = ?",
                        vec![flow.clone().into(), key.into()],
                    )
                    .await?;
                }
                if let Some(status) = status {
                    let status = u16::try_from(status).unwrap_or(500);
                    // Counted on the run too, so its log shows the deliveries it absorbed.
                    if let Some(run) = &run {
                        exec(
                            core,
                            "UPDATE sluice_runs SET duplicates = duplicates + 1 WHERE run = ? AND attempt = 1",
                            vec![run.clone().into()],
                        )
                        .await?;
                    }
                    return Ok(Delivery::Repeat { status, body, run });
                }
                if tokio::time::Instant::now() >= waited_until {
                    return Err(ApiError::flows_busy(
                        "The first delivery with this idempotency key is still running",
                    ));
                }
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

impl Claim {
    /// Keeps the first delivery's answer for its repeats.
    pub async fn answer(
        self,
        core: &Core,
        status: StatusCode,
        body: Option<&str>,
        run: Option<Uuid>,
    ) {
        let done = exec(
            core,
            "UPDATE sluice_idempotency SET status = ?, body = ?, run = ? WHERE flow = ? AND \"key\" = ?",
            vec![
                i32::from(status.as_u16()).into(),
                body.map(str::to_owned).into(),
                run.map(|r| r.to_string()).into(),
                self.flow.into(),
                self.key.into(),
            ],
        )
        .await;
        if let Err(e) = done {
            tracing::error!(error = %e, "could not keep an idempotent answer");
        }
    }

    /// Gives the key up (the delivery was refused before it ran): its next delivery is a first.
    pub async fn release(self, core: &Core) {
        let done = exec(
            core,
            "DELETE FROM sluice_idempotency WHERE flow = ? AND \"key\" = ? AND status IS NULL",
            vec![self.flow.into(), self.key.into()],
        )
        .await;
        if let Err(e) = done {
            tracing::error!(error = %e, "could not release an idempotency key");
        }
    }
}

/// Deletes the keys whose TTL has passed; returns how many.
pub async fn prune(core: &Core) -> std::result::Result<u64, DbErr> {
    let now = Utc::now().timestamp_millis();
    write(
        core,
        "DELETE FROM sluice_idempotency WHERE expires_at <= ?",
        vec![now.into()],
    )
    .await
}

async fn insert(core: &Core, flow: &str, key: &str, now: i64, expires_at: i64) -> Result<bool> {
    let done = exec(
        core,
        "INSERT INTO sluice_idempotency (flow, \"key\", status, body, created_at, expires_at, duplicates) \
         VALUES (?, ?, NULL, NULL, ?, ?, 0) ON CONFLICT (flow, \"key\") DO NOTHING",
        vec![flow.into(), key.into(), now.into(), expires_at.into()],
    )
    .await?;
    Ok(done == 1)
}

async fn read(
    core: &Core,
    flow: &str,
    key: &str,
) -> Result<Option<(Option<i32>, Option<String>, i64, Option<String>)>> {
    let backend = core.db.get_database_backend();
    let sql = placeholders(
        backend,
        "SELECT status, body, expires_at, run FROM sluice_idempotency WHERE flow = ? AND \"key\" = ?",
    );
    let row = core
        .db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            vec![flow.into(), key.into()],
        ))
        .await
        .map_err(ApiError::internal)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let status: Option<i32> = row.try_get("", "status").map_err(ApiError::internal)?;
    let body: Option<String> = row.try_get("", "body").map_err(ApiError::internal)?;
    let expires_at: i64 = row.try_get("", "expires_at").map_err(ApiError::internal)?;
    let run: Option<String> = row.try_get("", "run").map_err(ApiError::internal)?;
    Ok(Some((status, body, expires_at, run)))
}

/// Runs a write behind the write gate; returns the rows it touched.
async fn write(core: &Core, sql: &str, values: Vec<SqlValue>) -> std::result::Result<u64, DbErr> {
    let backend = core.db.get_database_backend();
    let _gate = core.gate.enter().await;
    let done = core
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            placeholders(backend, sql),
            values,
        ))
        .await?;
    Ok(done.rows_affected())
}

/// [`write`] on a request's path: a database failure is a 500.
async fn exec(core: &Core, sql: &str, values: Vec<SqlValue>) -> Result<u64> {
    write(core, sql, values).await.map_err(ApiError::internal)
}

/// `$trigger` alone, borrowed: what the `idempotencyKey` option renders against.
struct TriggerScope<'a>(&'a Value);

impl Scope for TriggerScope<'_> {
    fn root(&self, key: &str) -> Option<&Value> {
        (key == "$trigger").then_some(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_header_wins_and_the_option_renders_from_the_call() {
        let option = Template::compile(&json!("order-{{$trigger.body.id}}"));
        let trigger = json!({"body": {"id": 42}});
        let none = json!({});
        assert_eq!(
            key_of(&none, Some(&option), &trigger).unwrap().as_deref(),
            Some("order-42")
        );
        let header = json!({"idempotency-key": " abc "});
        assert_eq!(
            key_of(&header, Some(&option), &trigger).unwrap().as_deref(),
            Some("abc")
        );
        // A whole-string placeholder that is missing gives no key, not "null".
        let missing = Template::compile(&json!("{{$trigger.body.nope}}"));
        assert_eq!(key_of(&none, Some(&missing), &trigger).unwrap(), None);
        assert_eq!(key_of(&none, None, &trigger).unwrap(), None);
        let long = json!({"idempotency-key": "k".repeat(MAX_KEY + 1)});
        assert!(key_of(&long, None, &trigger).is_err());
        // PostgreSQL's text refuses NUL: a key from the body with one is a 400, not a 500.
        let nul = Template::compile(&json!("{{$trigger.body.k}}"));
        assert!(key_of(&none, Some(&nul), &json!({"body": {"k": "a\u{0}b"}})).is_err());
    }
}
