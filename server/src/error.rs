//! The one error type at the HTTP boundary: renders Directus's
//! `{"errors":[{"message","extensions":{"code",…}}]}` with the statuses of directus.md §9, and
//! hides the text of every internal failure (logged with its source and location instead).

use std::borrow::Cow;
use std::fmt;
use std::panic::Location;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// Directus error codes used by Sluice, each with its HTTP status and default message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    ContainsNullValues,
    EmailLimitExceeded,
    FailedValidation,
    Forbidden,
    InternalServerError,
    InvalidCredentials,
    InvalidForeignKey,
    InvalidIp,
    InvalidOtp,
    InvalidPayload,
    InvalidQuery,
    /// A webhook call whose signature does not check out (a Sluice code, issue 16).
    InvalidSignature,
    InvalidToken,
    MethodNotAllowed,
    NotNullViolation,
    RecordNotUnique,
    RequestTimeout,
    RequestsExceeded,
    RouteNotFound,
    ServiceUnavailable,
    TokenExpired,
    UnsupportedMediaType,
    UserSuspended,
    ValueOutOfRange,
    ValueTooLong,
}

impl ErrorCode {
    /// The single place where codes get their HTTP status (directus.md §9.2).
    pub const fn status(self) -> StatusCode {
        match self {
            ErrorCode::ContainsNullValues
            | ErrorCode::FailedValidation
            | ErrorCode::InvalidForeignKey
            | ErrorCode::InvalidPayload
            | ErrorCode::InvalidQuery
            | ErrorCode::NotNullViolation
            | ErrorCode::RecordNotUnique
            | ErrorCode::ValueOutOfRange
            | ErrorCode::ValueTooLong => StatusCode::BAD_REQUEST,
            ErrorCode::InvalidCredentials
            | ErrorCode::InvalidIp
            | ErrorCode::InvalidOtp
            | ErrorCode::InvalidSignature
            | ErrorCode::TokenExpired
            | ErrorCode::UserSuspended => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::InvalidToken => StatusCode::FORBIDDEN,
            ErrorCode::RouteNotFound => StatusCode::NOT_FOUND,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::EmailLimitExceeded | ErrorCode::RequestsExceeded => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ErrorCode::InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The code as Directus spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ContainsNullValues => "CONTAINS_NULL_VALUES",
            ErrorCode::EmailLimitExceeded => "EMAIL_LIMIT_EXCEEDED",
            ErrorCode::FailedValidation => "FAILED_VALIDATION",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::InternalServerError => "INTERNAL_SERVER_ERROR",
            ErrorCode::InvalidCredentials => "INVALID_CREDENTIALS",
            ErrorCode::InvalidForeignKey => "INVALID_FOREIGN_KEY",
            ErrorCode::InvalidIp => "INVALID_IP",
            ErrorCode::InvalidOtp => "INVALID_OTP",
            ErrorCode::InvalidPayload => "INVALID_PAYLOAD",
            ErrorCode::InvalidQuery => "INVALID_QUERY",
            ErrorCode::InvalidSignature => "INVALID_SIGNATURE",
            ErrorCode::InvalidToken => "INVALID_TOKEN",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::NotNullViolation => "NOT_NULL_VIOLATION",
            ErrorCode::RecordNotUnique => "RECORD_NOT_UNIQUE",
            ErrorCode::RequestTimeout => "REQUEST_TIMEOUT",
            ErrorCode::RequestsExceeded => "REQUESTS_EXCEEDED",
            ErrorCode::RouteNotFound => "ROUTE_NOT_FOUND",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::TokenExpired => "TOKEN_EXPIRED",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::UserSuspended => "USER_SUSPENDED",
            ErrorCode::ValueOutOfRange => "VALUE_OUT_OF_RANGE",
            ErrorCode::ValueTooLong => "VALUE_TOO_LONG",
        }
    }
}

/// One entry of the `errors` array.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorEntry {
    pub code: Cow<'static, str>,
    pub message: String,
    /// Extensions other than `code` (e.g. `reason`, `field`, `path`, `type`).
    pub extensions: Map<String, Value>,
}

impl ErrorEntry {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorEntry {
            code: Cow::Borrowed(code.as_str()),
            message: message.into(),
            extensions: Map::new(),
        }
    }

    /// The entry as Directus renders it: `{message, extensions: {…, code}}`.
    pub fn to_json(&self) -> Value {
        let mut ext = self.extensions.clone();
        ext.insert("code".into(), Value::String(self.code.to_string()));
        json!({ "message": self.message, "extensions": ext })
    }
}

struct Inner {
    status: StatusCode,
    entries: Vec<ErrorEntry>,
    source: Option<anyhow::Error>,
    location: &'static Location<'static>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// An error answered to an HTTP client. Boxed so that `Result<T, ApiError>` stays small.
pub struct ApiError(Box<Inner>);

/// Result alias used across the server.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

const GENERIC_500: &str = "An unexpected error occurred.";

/// Directus formats reasons as `<Prefix>. <reason>.` without doubling the final period.
fn sentence(prefix: &str, reason: &str) -> String {
    let reason = reason.trim();
    if reason.ends_with('.') {
        format!("{prefix} {reason}")
    } else {
        format!("{prefix} {reason}.")
    }
}

impl ApiError {
    #[track_caller]
    fn build(status: StatusCode, entries: Vec<ErrorEntry>) -> Self {
        ApiError(Box::new(Inner {
            status,
            entries,
            source: None,
            location: Location::caller(),
            headers: Vec::new(),
        }))
    }

    /// An error with a known code and its default status.
    #[track_caller]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::build(code.status(), vec![ErrorEntry::new(code, message)])
    }

    /// Several entries (e.g. a list of `FAILED_VALIDATION`s); the status is their common status
    /// or 500 when they differ, as Directus decides.
    #[track_caller]
    pub fn from_entries(status: StatusCode, entries: Vec<ErrorEntry>) -> Self {
        Self::build(status, entries)
    }

    /// Any code and status (the `throw-error` operation, errors rethrown from flows).
    #[track_caller]
    pub fn custom(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::build(
            status,
            vec![ErrorEntry {
                code: Cow::Owned(code.into()),
                message: message.into(),
                extensions: Map::new(),
            }],
        )
    }

    #[track_caller]
    pub fn forbidden() -> Self {
        Self::new(
            ErrorCode::Forbidden,
            "You don't have permission to access this.",
        )
    }

    /// FORBIDDEN whose message is the reason (also repeated in `extensions.reason`).
    #[track_caller]
    pub fn forbidden_reason(reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Self::new(ErrorCode::Forbidden, reason.clone()).with_extension("reason", reason)
    }

    #[track_caller]
    pub fn invalid_credentials() -> Self {
        Self::new(ErrorCode::InvalidCredentials, "Invalid user credentials.")
    }

    #[track_caller]
    pub fn invalid_token() -> Self {
        Self::new(ErrorCode::InvalidToken, "Invalid token.")
    }

    #[track_caller]
    pub fn token_expired() -> Self {
        Self::new(ErrorCode::TokenExpired, "Token expired.")
    }

    #[track_caller]
    pub fn invalid_otp() -> Self {
        Self::new(ErrorCode::InvalidOtp, "Invalid user OTP.")
    }

    #[track_caller]
    pub fn user_suspended() -> Self {
        Self::new(ErrorCode::UserSuspended, "User suspended.")
    }

    /// `Invalid payload. <reason>.` with `extensions.reason`.
    #[track_caller]
    pub fn invalid_payload(reason: impl AsRef<str>) -> Self {
        let reason = reason.as_ref();
        Self::new(
            ErrorCode::InvalidPayload,
            sentence("Invalid payload.", reason),
        )
        .with_extension("reason", reason)
    }

    /// `Invalid query. <reason>.` with `extensions.reason`.
    #[track_caller]
    pub fn invalid_query(reason: impl AsRef<str>) -> Self {
        let reason = reason.as_ref();
        Self::new(ErrorCode::InvalidQuery, sentence("Invalid query.", reason))
            .with_extension("reason", reason)
    }

    #[track_caller]
    pub fn route_not_found(path: &str) -> Self {
        Self::new(
            ErrorCode::RouteNotFound,
            format!("Route {path} doesn't exist."),
        )
        .with_extension("path", path)
    }

    #[track_caller]
    pub fn unsupported_media_type(media: &str, place: &str) -> Self {
        Self::new(
            ErrorCode::UnsupportedMediaType,
            format!("Unsupported media type \"{media}\" in {place}."),
        )
    }

    #[track_caller]
    pub fn service_unavailable(service: &str, reason: &str) -> Self {
        Self::new(
            ErrorCode::ServiceUnavailable,
            sentence(&format!("Service \"{service}\" is unavailable."), reason),
        )
        .with_extension("service", service)
        .with_extension("reason", reason)
    }

    /// 503 `SERVICE_UNAVAILABLE` from the flow engine with `Retry-After: 1`: a full queue, or a
    /// first delivery still running; the same call later will be answered.
    #[track_caller]
    pub fn flows_busy(reason: &str) -> Self {
        Self::service_unavailable("flows", reason).with_header(
            HeaderName::from_static("retry-after"),
            HeaderValue::from_static("1"),
        )
    }

    /// A failure the client cannot fix. Its text is logged, never sent.
    #[track_caller]
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(ErrorCode::InternalServerError, GENERIC_500);
        e.0.source = Some(source.into());
        e
    }

    /// Adds an extension to the first entry.
    pub fn with_extension(mut self, key: &str, value: impl Into<Value>) -> Self {
        if let Some(first) = self.0.entries.first_mut() {
            first.extensions.insert(key.to_owned(), value.into());
        }
        self
    }

    /// Adds a response header (e.g. `Retry-After`).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn entries(&self) -> &[ErrorEntry] {
        &self.0.entries
    }

    /// The code of the first entry.
    pub fn code(&self) -> &str {
        self.0
            .entries
            .first()
            .map(|e| e.code.as_ref())
            .unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.0
            .entries
            .first()
            .map(|e| e.message.as_str())
            .unwrap_or("")
    }

    /// The `{"errors":[…]}` body.
    pub fn body(&self) -> Value {
        json!({ "errors": self.0.entries.iter().map(ErrorEntry::to_json).collect::<Vec<_>>() })
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.0.status)
            .field("code", &self.code())
            .field("message", &self.message())
            .field("location", &format_args!("{}", self.0.location))
            .field("source", &self.0.source)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message(), self.code())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let inner = self.0;
        if inner.status.is_server_error() {
            tracing::error!(
                code = %inner.entries.first().map(|e| e.code.as_ref()).unwrap_or(""),
                location = %inner.location,
                error = ?inner.source,
                "request failed"
            );
        } else {
            tracing::debug!(
                code = %inner.entries.first().map(|e| e.code.as_ref()).unwrap_or(""),
                location = %inner.location,
                "request refused"
            );
        }
        let body = json!({
            "errors": inner.entries.iter().map(ErrorEntry::to_json).collect::<Vec<_>>()
        });
        let mut response = (inner.status, axum::Json(body)).into_response();
        for (name, value) in inner.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

impl From<sea_orm::DbErr> for ApiError {
    #[track_caller]
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::internal(e)
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    #[track_caller]
    fn from(e: sea_orm::TransactionError<ApiError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => ApiError::internal(db),
            sea_orm::TransactionError::Transaction(api) => api,
        }
    }
}

/// `Option` → FORBIDDEN: Directus answers 403, never 404, for what does not exist (§6.3).
pub trait OptionExt<T> {
    fn or_forbidden(self) -> Result<T>;
}

impl<T> OptionExt<T> for Option<T> {
    #[track_caller]
    fn or_forbidden(self) -> Result<T> {
        self.ok_or_else(ApiError::forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_reason_is_a_sentence() {
        let e = ApiError::invalid_payload("\"email\" must be a valid email");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            e.body(),
            json!({"errors":[{"message":"Invalid payload. \"email\" must be a valid email.",
                "extensions":{"reason":"\"email\" must be a valid email","code":"INVALID_PAYLOAD"}}]})
        );
    }

    #[test]
    fn internal_errors_hide_their_source() {
        let e = ApiError::internal(anyhow::anyhow!("SELECT * FROM secret_table failed"));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.body().to_string().contains("secret_table"));
        assert_eq!(e.message(), GENERIC_500);
    }

    #[test]
    fn forbidden_reason_repeats_in_extensions() {
        let e = ApiError::forbidden_reason("No.");
        assert_eq!(e.body()["errors"][0]["extensions"]["reason"], "No.");
        assert_eq!(e.body()["errors"][0]["extensions"]["code"], "FORBIDDEN");
    }
}
