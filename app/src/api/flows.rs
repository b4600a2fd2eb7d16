//! `/flows` and `/operations`: the flow rows, their operations, the nested flow document
//! (import/export, product.md S3) and the builder's test run (`POST /flows/{id}/test`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ApiError, ApiRequest};

/// A `directus_flows` row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// UUID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Material icon name (shown as a coloured dot here).
    #[serde(default)]
    pub icon: Option<String>,
    /// Hex colour.
    #[serde(default)]
    pub color: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// `active` or `inactive`.
    #[serde(default = "inactive")]
    pub status: String,
    /// `webhook`, `event`, `schedule`, `operation` or `manual`.
    #[serde(default)]
    pub trigger: Option<String>,
    /// Run logging: `all`, `activity` or null.
    #[serde(default)]
    pub accountability: Option<String>,
    /// Trigger options (webhook: method, async, return, …).
    #[serde(default)]
    pub options: Option<Value>,
    /// The first operation's id.
    #[serde(default)]
    pub operation: Option<String>,
    /// ISO timestamp.
    #[serde(default)]
    pub date_created: Option<String>,
}

fn inactive() -> String {
    "inactive".to_owned()
}

impl Flow {
    /// True when the flow answers calls.
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }

    /// The webhook method (`GET` when unset), for webhook and manual flows.
    pub fn webhook_method(&self) -> Option<String> {
        match self.trigger.as_deref() {
            Some("webhook") => Some(
                self.options
                    .as_ref()
                    .and_then(|o| o.get("method"))
                    .and_then(Value::as_str)
                    .unwrap_or("GET")
                    .to_ascii_uppercase(),
            ),
            Some("manual") => Some("POST".to_owned()),
            _ => None,
        }
    }
}

/// A `directus_operations` row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// UUID.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Key in the data chain, unique in the flow.
    pub key: String,
    /// Operation type (`condition`, `log`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Grid column (1-based, 20 px cells).
    #[serde(default = "one")]
    pub position_x: i64,
    /// Grid row (1-based).
    #[serde(default = "one")]
    pub position_y: i64,
    /// Type-specific options.
    #[serde(default)]
    pub options: Option<Value>,
    /// Next operation on success.
    #[serde(default)]
    pub resolve: Option<String>,
    /// Next operation on failure.
    #[serde(default)]
    pub reject: Option<String>,
}

fn one() -> i64 {
    1
}

/// What `POST /flows/{id}/test` answers.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TestResult {
    /// The HTTP status a real call would get.
    pub status: u16,
    /// The body a real call would get.
    #[serde(default)]
    pub body: Value,
    /// `success`, `failed`, …
    #[serde(default)]
    pub run_status: String,
    /// Total run time.
    #[serde(default)]
    pub duration_ms: f64,
    /// The `$trigger` the run saw (redacted).
    #[serde(default)]
    pub trigger: Value,
    /// Each executed step, in order.
    #[serde(default)]
    pub steps: Vec<StepResult>,
}

/// One executed step of a test run or of a logged run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    /// Operation id.
    #[serde(default)]
    pub operation: Option<String>,
    /// Operation key.
    pub key: String,
    /// `resolve`, `reject` or `unknown`.
    pub status: String,
    /// Rendered options.
    #[serde(default)]
    pub options: Value,
    /// The step's output (test runs; for logs it is in the data chain).
    #[serde(default)]
    pub data: Value,
    /// Run time of the step.
    #[serde(default)]
    pub duration_ms: Option<f64>,
}

/// `GET /flows` sorted by name, every row.
pub async fn list(token: String) -> Result<Vec<Flow>, ApiError> {
    ApiRequest::get("/flows")
        .query("sort", "name")
        .query("limit", "-1")
        .bearer(&token)
        .send()
        .await
}

/// `GET /flows/{id}`.
pub async fn get(token: String, id: String) -> Result<Flow, ApiError> {
    ApiRequest::get(&format!("/flows/{id}"))
        .bearer(&token)
        .send()
        .await
}

/// `GET /operations` of one flow.
pub async fn operations(token: String, flow: String) -> Result<Vec<Operation>, ApiError> {
    ApiRequest::get("/operations")
        .query("filter", format!(r#"{{"flow":{{"_eq":"{flow}"}}}}"#))
        .query("limit", "-1")
        .bearer(&token)
        .send()
        .await
}

/// `POST /flows` with a flow row or a nested document (S3).
pub async fn create(token: String, body: Value) -> Result<Flow, ApiError> {
    ApiRequest::post("/flows")
        .bearer(&token)
        .json(&body)?
        .send()
        .await
}

/// `PATCH /flows/{id}`.
pub async fn patch(token: String, id: String, body: Value) -> Result<Flow, ApiError> {
    ApiRequest::patch(&format!("/flows/{id}"))
        .bearer(&token)
        .json(&body)?
        .send()
        .await
}

/// Turns a flow on or off at once (`PATCH /flows/{id}` with its status); returns the row.
pub async fn set_active(token: String, id: String, on: bool) -> Result<Flow, ApiError> {
    let status = if on { "active" } else { "inactive" };
    patch(token, id, serde_json::json!({ "status": status })).await
}

/// `DELETE /flows/{id}` (its operations go with it).
pub async fn delete(token: String, id: String) -> Result<(), ApiError> {
    ApiRequest::delete(&format!("/flows/{id}"))
        .bearer(&token)
        .send_no_content()
        .await
}

/// `GET /flows/{id}?export=document`: the nested document (links by key).
pub async fn export(token: String, id: String) -> Result<Value, ApiError> {
    ApiRequest::get(&format!("/flows/{id}"))
        .query("export", "document")
        .bearer(&token)
        .send()
        .await
}

/// `PATCH /operations/{id}`.
pub async fn patch_operation(token: String, id: String, body: Value) -> Result<(), ApiError> {
    ApiRequest::patch(&format!("/operations/{id}"))
        .bearer(&token)
        .json(&body)?
        .send::<Value>()
        .await
        .map(drop)
}

/// `POST /flows/{id}/test`: runs the saved flow with a sample request.
pub async fn test(token: String, id: String, sample: Value) -> Result<TestResult, ApiError> {
    ApiRequest::post(&format!("/flows/{id}/test"))
        .bearer(&token)
        .json(&sample)?
        .send()
        .await
}
