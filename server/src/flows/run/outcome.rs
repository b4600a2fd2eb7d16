//! What a run leaves: each step's record and status, the run's outcome (its data chain, how
//! it ended, how long it took) and the error a rejected run answers with (directus.md §2.6).

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::access::Accountability;
use crate::error::ApiError;
use crate::filter::failures_error;
use crate::flows::chain::DataChain;
use crate::flows::operations::error::OpError;

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepStatus {
    Resolve,
    Reject,
    Unknown,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Resolve => "resolve",
            StepStatus::Reject => "reject",
            StepStatus::Unknown => "unknown",
        }
    }
}

/// One executed operation, for run logs.
#[derive(Debug)]
pub struct StepRecord {
    pub operation: Uuid,
    pub key: String,
    pub status: StepStatus,
    pub options: Value,
    pub duration_ms: f64,
}

/// Which attempt of a run a log is (`flows::retry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// 1, 2, …
    pub number: u32,
    /// Another attempt follows this failed one.
    pub retrying: bool,
}

impl Attempt {
    /// A run without retries.
    pub const ONLY: Attempt = Attempt {
        number: 1,
        retrying: false,
    };
}

/// The result of a run.
pub struct RunOutcome {
    pub chain: DataChain,
    pub steps: Vec<StepRecord>,
    pub last_status: Option<StepStatus>,
    /// The last rejecting operation's error (for `error_on_reject`).
    pub last_error: Option<OpError>,
    pub aborted: Option<String>,
    /// An operation panicked: the run ended there, failed, and a caller waiting for it gets a
    /// 500 whatever the flow's options say.
    pub panicked: bool,
    /// The last step rejected and its operation answers with its rejection
    /// (`Operation::rejection_answers`: `throw-error`, product.md D11).
    pub rejection_answers: bool,
    pub started_at: DateTime<Utc>,
    pub duration: Duration,
    pub accountability: Option<Arc<Accountability>>,
    pub method: Option<String>,
    /// A builder test run (logged with `test = true`).
    pub test: bool,
    /// The run's id, when it has one already (queued runs, idempotent calls).
    pub run_id: Option<uuid::Uuid>,
    /// A queued run stopped by the end of the shutdown's grace: not finished, not failed —
    /// it is neither logged nor settled, and goes back to the queue to continue from its
    /// journal.
    pub interrupted: bool,
    /// A sync run whose `respond` step (with `continue`) answered the caller and handed the
    /// rest to the queue: the queued run goes on from its journal and is logged as the run.
    pub handed_off: bool,
}

impl RunOutcome {
    /// `success` when the last step resolved (or nothing ran), `failed`, or `aborted`.
    pub fn status(&self) -> &'static str {
        if self.aborted.is_some() {
            "aborted"
        } else if matches!(
            self.last_status,
            Some(StepStatus::Reject | StepStatus::Unknown)
        ) {
            "failed"
        } else {
            "success"
        }
    }
}

impl RunOutcome {
    /// The error the run's rejected last step answers with (`error_on_reject`, a panic); `None`
    /// when the run did not end on a rejection.
    pub fn rejection(&self, acc: &Accountability) -> Option<ApiError> {
        rejection_error(self, acc)
    }
}

/// The error a rejected last step becomes with `error_on_reject` (directus.md §2.6).
fn rejection_error(outcome: &RunOutcome, acc: &Accountability) -> Option<ApiError> {
    if outcome.last_status != Some(StepStatus::Reject) {
        return None;
    }
    let err = outcome.last_error.as_ref()?;
    Some(match err {
        OpError::Directus(e) => {
            let mut out = ApiError::custom(e.status(), e.code().to_owned(), e.message().to_owned());
            if let Some(first) = e.entries().first() {
                for (k, v) in &first.extensions {
                    out = out.with_extension(k, v.clone());
                }
            }
            out
        }
        OpError::Validation(f) => failures_error(f),
        OpError::Error { message, .. } if acc.admin => ApiError::custom(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            message.clone(),
        ),
        OpError::Value(v) if acc.admin => {
            let message = match v {
                Value::String(s) => s.clone(),
                other => other
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| "An unexpected error occurred.".into()),
            };
            let mut out = ApiError::custom(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                message,
            );
            if let Some(Value::Object(ext)) = v.get("extensions") {
                for (k, val) in ext {
                    out = out.with_extension(k, val.clone());
                }
            }
            out
        }
        _ => ApiError::custom(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "An unexpected error occurred.",
        ),
    })
}
