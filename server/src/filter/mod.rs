//! Filters evaluated in memory (the `condition` operation, permission and field validation);
//! SQL filters live in `query::filter`.

pub mod validate;

use axum::http::StatusCode;

use crate::error::{ApiError, ErrorEntry};
use validate::Failure;

/// The 400 answer for failed validations: one `FAILED_VALIDATION` entry per failure.
pub fn failures_error(failures: &[Failure]) -> ApiError {
    let entries = failures
        .iter()
        .map(|f| {
            let mut e =
                ErrorEntry::new(crate::error::ErrorCode::FailedValidation, f.message.clone());
            if let serde_json::Value::Object(ext) = f.extensions_json() {
                e.extensions = ext;
            }
            e
        })
        .collect();
    ApiError::from_entries(StatusCode::BAD_REQUEST, entries)
}
