//! `ApiError`: one error type for every API call, parsed from the Directus `{"errors":[...]}` body.
//!
//! Transport failures (offline, timeout, unparsable body) are mapped into the same shape with
//! a client-side `code`, so pages can always show a message and a code.

use serde::Deserialize;

/// Client-side code for a request that never got an HTTP answer.
pub const NETWORK_ERROR: &str = "NETWORK_ERROR";
/// Client-side code for a request aborted after [`super::TIMEOUT_MS`].
pub const TIMEOUT: &str = "TIMEOUT";
/// Client-side code for an answer whose body was not what the API promises.
pub const INVALID_RESPONSE: &str = "INVALID_RESPONSE";
/// Client-side code for an authenticated call made while signed out.
pub const NOT_SIGNED_IN: &str = "NOT_SIGNED_IN";

/// Directus code for an access token past its expiry; the caller refreshes and retries once.
pub const TOKEN_EXPIRED: &str = "TOKEN_EXPIRED";

/// A failed API call, ready to show: the first Directus error plus the HTTP status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status, or 0 when no answer arrived.
    pub status: u16,
    /// Directus `extensions.code` (e.g. `INVALID_CREDENTIALS`) or a client-side code.
    pub code: String,
    /// Human-readable message, shown as is.
    pub message: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    message: String,
    #[serde(default)]
    extensions: Option<Extensions>,
}

#[derive(Deserialize)]
struct Extensions {
    #[serde(default)]
    code: Option<String>,
}

impl ApiError {
    /// Builds an error with a client-side code.
    pub fn client(code: &str, message: impl Into<String>) -> Self {
        Self {
            status: 0,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// Parses an error response; falls back to the HTTP status when the body is not Directus JSON.
    pub fn from_response(status: u16, status_text: &str, body: &str) -> Self {
        let first = serde_json::from_str::<ErrorBody>(body)
            .ok()
            .and_then(|b| b.errors.into_iter().next());
        match first {
            Some(item) => Self {
                status,
                code: item
                    .extensions
                    .and_then(|e| e.code)
                    .unwrap_or_else(|| format!("HTTP_{status}")),
                message: item.message,
            },
            None => Self {
                status,
                code: format!("HTTP_{status}"),
                message: format!(
                    "The server answered {status} {} without an error message.",
                    status_text.trim()
                )
                .replace("  ", " "),
            },
        }
    }

    /// True for a 401 whose access token only needs refreshing.
    pub fn is_token_expired(&self) -> bool {
        self.status == 401 && self.code == TOKEN_EXPIRED
    }

    /// True when the server rejected the credentials or token (not a transport problem).
    pub fn is_auth_rejection(&self) -> bool {
        matches!(self.status, 400 | 401 | 403) || self.code == NOT_SIGNED_IN
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}
