//! Typed client for the Sluice (Directus-compatible) REST API at the page's own origin.
//!
//! [`ApiRequest`] is the only place that builds URLs, headers and bodies; the resource modules
//! (`auth`, `users`, …) wrap it in typed functions. No UI and no reactive state here: token
//! refresh and retry live in `state::session`.

pub mod auth;
pub mod error;
pub mod users;

pub use error::ApiError;

use gloo_net::http::{Method, Request, RequestBuilder, Response};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// How long a request may take before it is aborted and reported as a timeout.
pub const TIMEOUT_MS: u32 = 30_000;

/// Directus wraps every successful payload in `{"data": …}`.
#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

/// A request under construction: `ApiRequest::post("/auth/login").json(&body)?.send().await`.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    bearer: Option<String>,
    body: Option<String>,
}

impl ApiRequest {
    fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            query: Vec::new(),
            bearer: None,
            body: None,
        }
    }

    /// `GET path` (path is absolute on the API origin, e.g. `/users/me`).
    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(path: &str) -> Self {
        Self::new(Method::POST, path)
    }

    /// `PATCH path`.
    #[allow(dead_code, reason = "client surface for the data pages that come next")]
    pub fn patch(path: &str) -> Self {
        Self::new(Method::PATCH, path)
    }

    /// `DELETE path`.
    #[allow(dead_code, reason = "client surface for the data pages that come next")]
    pub fn delete(path: &str) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Adds a query parameter (Directus `fields`, `filter`, `limit`, …).
    #[allow(dead_code, reason = "client surface for the data pages that come next")]
    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    /// Sends `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.to_owned());
        self
    }

    /// Sets a JSON body.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self, ApiError> {
        let text = serde_json::to_string(body)
            .map_err(|e| ApiError::client(error::INVALID_RESPONSE, e.to_string()))?;
        self.body = Some(text);
        Ok(self)
    }

    /// Sends the request and decodes the `data` of a successful answer.
    pub async fn send<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        let response = self.fetch().await?;
        let text = read_text(&response).await?;
        serde_json::from_str::<Envelope<T>>(&text)
            .map(|e| e.data)
            .map_err(|e| {
                ApiError::client(
                    error::INVALID_RESPONSE,
                    format!("The server's answer could not be read: {e}"),
                )
            })
    }

    /// Sends the request and ignores the body of a successful answer (e.g. `204 No Content`).
    pub async fn send_no_content(self) -> Result<(), ApiError> {
        self.fetch().await.map(drop)
    }

    /// Performs the HTTP exchange; any non-2xx answer becomes an [`ApiError`].
    async fn fetch(self) -> Result<Response, ApiError> {
        let response = self.build().send().await.map_err(|e| transport_error(&e))?;
        if response.ok() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        Err(ApiError::from_response(
            response.status(),
            &response.status_text(),
            &body,
        ))
    }

    fn build(self) -> Request {
        let signal = web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS);
        let mut builder: RequestBuilder = RequestBuilder::new(&self.path)
            .method(self.method)
            .header("Accept", "application/json")
            .abort_signal(Some(&signal));
        if !self.query.is_empty() {
            builder = builder.query(self.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        if let Some(token) = &self.bearer {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        let request = match self.body {
            Some(body) => builder
                .header("Content-Type", "application/json")
                .body(body),
            None => builder.build(),
        };
        // Building only fails for malformed header values, which this module never produces.
        request.unwrap_or_else(|e| panic!("invalid API request: {e}"))
    }
}

async fn read_text(response: &Response) -> Result<String, ApiError> {
    response
        .text()
        .await
        .map_err(|e| ApiError::client(error::NETWORK_ERROR, e.to_string()))
}

fn transport_error(e: &gloo_net::Error) -> ApiError {
    let text = e.to_string();
    if text.contains("TimeoutError") || text.contains("timed out") || text.contains("abort") {
        ApiError::client(
            error::TIMEOUT,
            format!(
                "No response from the server (timeout after {} s).",
                TIMEOUT_MS / 1000
            ),
        )
    } else {
        ApiError::client(
            error::NETWORK_ERROR,
            "Could not reach the server. Check your connection and try again.",
        )
    }
}
