//! Typed client for the Sluice (Directus-compatible) REST API at the page's own origin.
//!
//! [`ApiRequest`] is the only place that builds URLs, headers and bodies; the resource modules
//! (`auth`, `users`, …) wrap it in typed functions. No UI and no reactive state here: token
//! refresh and retry live in `state::session`.

pub mod access;
pub mod act_as;
pub mod auth;
pub mod error;
pub mod flow_access;
pub mod flows;
pub mod ingress;
pub mod items;
pub mod relations;
pub mod runs;
pub mod schema;
pub mod users;

pub use error::ApiError;

use gloo_net::http::{Method, Request, RequestBuilder, Response};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// How long a request may take before it is aborted and reported as a timeout.
pub const TIMEOUT_MS: u32 = 30_000;

/// Directus wraps every successful payload in `{"data": …}`; lists may add `meta`.
#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
    #[serde(default)]
    meta: Option<Meta>,
}

/// The `meta` block of a list answer (`meta=filter_count,total_count`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
pub struct Meta {
    /// Rows matching the filter (all pages).
    #[serde(default)]
    pub filter_count: Option<u64>,
    /// Rows in the collection.
    #[serde(default)]
    pub total_count: Option<u64>,
}

/// A raw HTTP answer (status and body text), for calls whose non-2xx answers are results.
#[derive(Clone, Debug, PartialEq)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Status text (`OK`, `Forbidden`).
    pub status_text: String,
    /// Body as text.
    pub body: String,
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
    pub fn patch(path: &str) -> Self {
        Self::new(Method::PATCH, path)
    }

    /// `DELETE path`.
    pub fn delete(path: &str) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// A request with any method name (`PUT`, …), used by the webhook tester.
    pub fn method(method: &str, path: &str) -> Self {
        let m = match method.to_ascii_uppercase().as_str() {
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            _ => Method::GET,
        };
        Self::new(m, path)
    }

    /// Adds a query parameter (Directus `fields`, `filter`, `limit`, …).
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

    /// Adds a query parameter only when `value` is `Some`.
    pub fn query_opt(self, key: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Sets a raw text body (sent with the given content type).
    pub fn text_body(mut self, body: String) -> Self {
        self.body = Some(body);
        self
    }

    /// Sends the request and decodes the `data` of a successful answer.
    pub async fn send<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        self.send_with_meta().await.map(|(data, _)| data)
    }

    /// Like [`Self::send`], also returning the list `meta` (counts).
    pub async fn send_with_meta<T: DeserializeOwned>(self) -> Result<(T, Meta), ApiError> {
        let response = self.fetch().await?;
        let text = read_text(&response).await?;
        serde_json::from_str::<Envelope<T>>(&text)
            .map(|e| (e.data, e.meta.unwrap_or_default()))
            .map_err(|e| {
                ApiError::client(
                    error::INVALID_RESPONSE,
                    format!("The server's answer could not be read: {e}"),
                )
            })
    }

    /// Sends the request with extra headers and returns the answer whatever its status.
    pub async fn send_raw(self, headers: &[(String, String)]) -> Result<RawResponse, ApiError> {
        let response = self
            .build_with(headers)
            .ok_or_else(|| {
                ApiError::client(
                    error::INVALID_RESPONSE,
                    "A header name or value is not valid.",
                )
            })?
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let body = response.text().await.unwrap_or_default();
        Ok(RawResponse {
            status: response.status(),
            status_text: response.status_text(),
            body,
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
        // Building only fails for malformed header values, which this module never produces.
        self.build_with(&[])
            .unwrap_or_else(|| panic!("invalid API request"))
    }

    fn build_with(self, headers: &[(String, String)]) -> Option<Request> {
        let signal = web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS);
        let mut builder: RequestBuilder = RequestBuilder::new(&self.path)
            .method(self.method)
            .header("Accept", "application/json")
            .abort_signal(Some(&signal));
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        if !self.query.is_empty() {
            builder = builder.query(self.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        if let Some(token) = &self.bearer {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        let has_type = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        let request = match self.body {
            Some(body) if has_type => builder.body(body),
            Some(body) => builder
                .header("Content-Type", "application/json")
                .body(body),
            None => builder.build(),
        };
        request.ok()
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
