//! `/runs` (Sluice's run summaries), `/revisions/{id}` (a run's steps and data chain) and
//! `/activity/{id}` (who called): the run logs of product.md §6.

use serde::Deserialize;
use serde_json::Value;

use super::{ApiError, ApiRequest, Meta, flows::StepResult};

/// One run summary row.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Run {
    /// Row id.
    pub id: i64,
    /// Flow id.
    #[serde(default)]
    pub flow: Option<String>,
    /// `directus_activity` id.
    #[serde(default)]
    pub activity: Option<i64>,
    /// `directus_revisions` id (only when the flow records step data).
    #[serde(default)]
    pub revision: Option<i64>,
    /// `success`, `failed` or `aborted`.
    #[serde(default)]
    pub status: String,
    /// Trigger type.
    #[serde(default)]
    pub trigger: Option<String>,
    /// HTTP method of the call.
    #[serde(default)]
    pub method: Option<String>,
    /// HTTP status answered.
    #[serde(default)]
    pub http_status: Option<u16>,
    /// Total duration.
    #[serde(default)]
    pub duration_ms: Option<f64>,
    /// Number of executed steps.
    #[serde(default)]
    pub steps: Option<i64>,
    /// When it ran (ISO).
    #[serde(default)]
    pub timestamp: String,
    /// Calling user id (null = public).
    #[serde(default)]
    pub user: Option<String>,
    /// Caller address.
    #[serde(default)]
    pub ip: Option<String>,
    /// A builder test run, not a real call.
    #[serde(default, deserialize_with = "flag")]
    pub test: bool,
    /// Which attempt of a retried async run (1 without retries).
    #[serde(default)]
    pub attempt: Option<i64>,
    /// Repeat deliveries answered from this run (same `Idempotency-Key`) instead of a new run.
    #[serde(default)]
    pub duplicates: Option<i64>,
}

/// A boolean column as SQLite (0/1) or PostgreSQL (false/true) answers it.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    })
}

/// One row of the 24 h aggregate.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RunCount {
    /// Flow id.
    #[serde(default)]
    pub flow: Option<String>,
    /// Run status.
    #[serde(default)]
    pub status: Option<String>,
    /// How many.
    #[serde(default, deserialize_with = "number_or_string")]
    pub count: u64,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Number(n) => n.as_u64().unwrap_or(0),
        Value::String(s) => s.parse().unwrap_or(0),
        _ => 0,
    })
}

/// A run's revision: steps with rendered options and the final data chain.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Revision {
    /// Revision id.
    pub id: i64,
    /// Activity id.
    #[serde(default)]
    pub activity: Option<i64>,
    /// The logged run.
    #[serde(default)]
    pub data: RevisionData,
}

/// `data` of a run revision.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct RevisionData {
    /// Executed steps, in order.
    #[serde(default)]
    pub steps: Vec<StepResult>,
    /// Final data chain (`$trigger`, `$accountability`, each key's output).
    #[serde(default)]
    pub data: Value,
    /// Run summary.
    #[serde(default)]
    pub run: Value,
}

/// A `directus_activity` row.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Activity {
    /// Row id.
    pub id: i64,
    /// User id or null.
    #[serde(default)]
    pub user: Option<String>,
    /// Caller address.
    #[serde(default)]
    pub ip: Option<String>,
    /// Caller user agent.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// ISO time.
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// Runs of one flow, newest first; `status` keeps the runs in that status.
pub async fn list(
    token: String,
    flow: String,
    status: Option<&'static str>,
    page: u32,
    limit: u32,
) -> Result<(Vec<Run>, Meta), ApiError> {
    let filter = match status {
        Some(status) => {
            serde_json::json!({"_and": [{"flow": {"_eq": flow}}, {"status": {"_eq": status}}]})
        }
        None => serde_json::json!({"flow": {"_eq": flow}}),
    };
    ApiRequest::get("/runs")
        .query("filter", filter.to_string())
        .query("sort", "-timestamp,-id")
        .query("limit", limit.to_string())
        .query("page", page.to_string())
        .query("meta", "filter_count")
        .bearer(&token)
        .send_with_meta()
        .await
}

/// The newest logged run of every flow, in two calls (the highest run id per flow, then
/// those rows).
pub async fn latest(token: String) -> Result<Vec<Run>, ApiError> {
    let groups: Vec<Value> = ApiRequest::get("/runs")
        .query("aggregate[max]", "id")
        .query("groupBy[]", "flow")
        .bearer(&token)
        .send()
        .await?;
    let ids: Vec<Value> = groups
        .iter()
        .filter_map(|g| g.get("max").and_then(|m| m.get("id")).cloned())
        .filter(|id| !id.is_null())
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    ApiRequest::get("/runs")
        .query(
            "filter",
            serde_json::json!({"id": {"_in": ids}}).to_string(),
        )
        .query("limit", "-1")
        .bearer(&token)
        .send()
        .await
}

/// Runs per flow and status in the last 24 hours.
pub async fn counts_24h(token: String) -> Result<Vec<RunCount>, ApiError> {
    ApiRequest::get("/runs")
        .query("aggregate[count]", "*")
        .query("groupBy[]", "flow")
        .query("groupBy[]", "status")
        .query("filter", r#"{"timestamp":{"_gte":"$NOW(-1 day)"}}"#)
        .bearer(&token)
        .send()
        .await
}

/// `GET /revisions/{id}`.
pub async fn revision(token: String, id: i64) -> Result<Revision, ApiError> {
    ApiRequest::get(&format!("/revisions/{id}"))
        .bearer(&token)
        .send()
        .await
}

/// The newest row of a run by its shared id (the UUID an accepted call or a replay answers),
/// if it has one yet.
pub async fn by_run_id(token: String, run: String) -> Result<Option<Run>, ApiError> {
    let rows: Vec<Run> = ApiRequest::get("/runs")
        .query("filter[run][_eq]", run)
        .query("sort", "-id")
        .query("limit", "1")
        .bearer(&token)
        .send()
        .await?;
    Ok(rows.into_iter().next())
}

/// `GET /runs/{id}`.
pub async fn get(token: String, id: i64) -> Result<Run, ApiError> {
    ApiRequest::get(&format!("/runs/{id}"))
        .bearer(&token)
        .send()
        .await
}

/// `GET /activity/{id}`.
pub async fn activity(token: String, id: i64) -> Result<Activity, ApiError> {
    ApiRequest::get(&format!("/activity/{id}"))
        .bearer(&token)
        .send()
        .await
}

/// What a replay queued (`POST /flows/{id}/runs/…/replay`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Replayed {
    #[serde(default)]
    pub queued: u64,
    /// Runs whose call was not recorded, or whose caller is gone.
    #[serde(default)]
    pub skipped: u64,
    /// Runs refused because the queue was full.
    #[serde(default)]
    pub refused: u64,
}

impl Replayed {
    /// "Queued 2 runs again" (with what was left out).
    pub fn summary(&self) -> String {
        let runs = |n: u64| {
            if n == 1 {
                "1 run".to_owned()
            } else {
                format!("{n} runs")
            }
        };
        let mut text = format!("Queued {} again", runs(self.queued));
        if self.skipped > 0 {
            text.push_str(&format!("; {} without a recorded call", runs(self.skipped)));
        }
        if self.refused > 0 {
            text.push_str(&format!(
                "; {} refused (queue full, try again)",
                runs(self.refused)
            ));
        }
        text
    }
}

/// `POST /flows/{flow}/runs/{run}/replay`: runs one logged run again.
pub async fn replay_one(token: String, flow: String, run: i64) -> Result<Replayed, ApiError> {
    ApiRequest::post(&format!("/flows/{flow}/runs/{run}/replay"))
        .bearer(&token)
        .json(&serde_json::json!({}))?
        .send()
        .await
}

/// `POST /flows/{flow}/runs/replay` with `{"status": "failed"}`: runs every failed run again.
pub async fn replay_failed(token: String, flow: String) -> Result<Replayed, ApiError> {
    ApiRequest::post(&format!("/flows/{flow}/runs/replay"))
        .bearer(&token)
        .json(&serde_json::json!({ "status": "failed" }))?
        .send()
        .await
}

#[cfg(test)]
mod replay_tests {
    use super::Replayed;

    #[test]
    fn the_summary_says_what_was_left_out() {
        let r = |queued, skipped, refused| Replayed {
            queued,
            skipped,
            refused,
        };
        assert_eq!(r(1, 0, 0).summary(), "Queued 1 run again");
        assert_eq!(
            r(2, 1, 3).summary(),
            "Queued 2 runs again; 1 run without a recorded call; 3 runs refused (queue full, try again)"
        );
    }
}
