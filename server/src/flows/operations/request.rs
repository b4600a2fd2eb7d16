//! `request`: an outgoing HTTP call (directus.md §4.7). Headers from a list or object,
//! JSON bodies get `Content-Type: application/json`, responses become
//! `{status, statusText, headers, data}` (non-2xx → reject with that object). Every address a
//! request (or a redirect) reaches is checked against `IMPORT_IP_DENY_LIST`, where `0.0.0.0`
//! means every address of this machine, loopback included. Requests go straight to their
//! target, never through a proxy from `HTTP(S)_PROXY`/`ALL_PROXY`: a proxy would resolve and
//! reach the target where the deny list cannot see it.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use super::context::{OpContext, OpError, Operation, option_object};
use crate::flows::net::denied_message;

pub struct Request;

/// The largest response body a request operation keeps.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Headers from `[{header, value}]`, an object, or a JSON string of either.
pub fn headers(v: Option<&Value>) -> Result<Map<String, Value>, OpError> {
    let mut out = Map::new();
    match option_object(v)? {
        None => {}
        Some(Value::Array(list)) => {
            for h in list {
                if let (Some(name), Some(value)) = (h.get("header"), h.get("value")) {
                    let name = name
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| name.to_string());
                    out.insert(name, value.clone());
                }
            }
        }
        Some(Value::Object(o)) => out = o,
        Some(_) => return Err(OpError::error("\"headers\" must be a list or an object")),
    }
    Ok(out)
}

/// The body to send and whether it is JSON.
pub fn body(v: Option<&Value>) -> (Option<String>, bool) {
    match v {
        None | Some(Value::Null) => (None, false),
        Some(Value::String(s)) => {
            let is_json = serde_json::from_str::<Value>(s).is_ok();
            (Some(s.clone()), is_json)
        }
        Some(other) => (Some(other.to_string()), true),
    }
}

fn header_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Builds the header map, adding the JSON content type when the body is JSON.
pub fn header_map(headers: &Map<String, Value>, json_body: bool) -> Result<HeaderMap, OpError> {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| OpError::error(format!("Invalid header name \"{k}\"")))?;
        let value = HeaderValue::from_str(&header_text(v))
            .map_err(|_| OpError::error(format!("Invalid value for header \"{k}\"")))?;
        map.append(name, value);
    }
    if json_body && !headers.contains_key("Content-Type") && !map.contains_key("content-type") {
        map.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    Ok(map)
}

/// The message a failed call rejects with: the deny-list refusal wherever it sits in the error
/// chain (a host name that resolves to a denied address fails inside the connector), axios's
/// wording for a timeout, otherwise the chain of causes (never the URL, which may hold secrets).
fn send_error(e: reqwest::Error, timeout: Duration) -> String {
    let mut chain: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if text.contains("denied IP address") {
            return text;
        }
        if !chain.iter().any(|c| c.contains(&text)) {
            chain.push(text);
        }
        source = s.source();
    }
    if e.is_timeout() {
        return format!("timeout of {}ms exceeded", timeout.as_millis());
    }
    let mut message = e.without_url().to_string();
    if let Some(cause) = chain.last() {
        message.push_str(": ");
        message.push_str(cause);
    }
    message
}

fn response_object(status: u16, reason: &str, headers: &HeaderMap, data: Value) -> Value {
    let mut h = Map::new();
    for (k, v) in headers {
        let text = String::from_utf8_lossy(v.as_bytes()).into_owned();
        match h.get_mut(k.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&text);
            }
            _ => {
                h.insert(k.as_str().to_owned(), json!(text));
            }
        }
    }
    json!({ "status": status, "statusText": reason, "headers": h, "data": data })
}

#[async_trait]
impl Operation for Request {
    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let method = options
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_ascii_uppercase();
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| OpError::error(format!("Invalid method \"{method}\"")))?;
        let raw_url = options
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| OpError::error("\"url\" is required"))?;
        let url = url::Url::parse(raw_url.trim())
            .map_err(|e| OpError::error(format!("Invalid URL \"{raw_url}\": {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OpError::error(format!(
                "Unsupported URL scheme \"{}\"",
                url.scheme()
            )));
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            && ctx.core.deny.denies(ip)
        {
            return Err(OpError::error(denied_message(&host)));
        }
        let headers = headers(options.get("headers"))?;
        let (body, is_json) = body(options.get("body"));
        let mut req = ctx
            .core
            .http
            .request(method, url)
            .headers(header_map(&headers, is_json)?);
        if let Some(b) = body {
            req = req.body(b);
        }
        let timeout = ctx.core.config.flows_request_timeout;
        let resp = req
            .send()
            .await
            .map_err(|e| OpError::error(send_error(e, timeout)))?;
        let status = resp.status();
        let resp_headers = resp.headers().clone();
        let mut bytes = Vec::new();
        let mut resp = resp;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| OpError::error(send_error(e, timeout)))?
        {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(OpError::error("The response is too large"));
            }
            bytes.extend_from_slice(&chunk);
        }
        let data = serde_json::from_slice::<Value>(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        let out = response_object(
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            &resp_headers,
            data,
        );
        if status.is_success() {
            Ok(out)
        } else {
            Err(OpError::Value(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_bodies() {
        let h = headers(Some(
            &json!([{"header": "X-A", "value": "1"}, {"header": "X-A", "value": "2"}]),
        ))
        .unwrap();
        assert_eq!(h["X-A"], "2");
        assert!(headers(None).unwrap().is_empty());
        let (b, j) = body(Some(&json!({"a": 1})));
        assert_eq!((b.as_deref(), j), (Some("{\"a\":1}"), true));
        assert!(body(Some(&json!("{\"a\":1}"))).1);
        assert!(!body(Some(&json!("plain"))).1);
        let map = header_map(&Map::new(), true).unwrap();
        assert_eq!(map["content-type"], "application/json");
        let mut own = Map::new();
        own.insert("Content-Type".into(), json!("text/plain"));
        assert_eq!(
            header_map(&own, true).unwrap()["content-type"],
            "text/plain"
        );
        assert!(header_map(&Map::new(), false).unwrap().is_empty());
    }

    use axum::Json;
    use axum::http::StatusCode;
    use axum::routing::post;

    use crate::core::Core;
    use crate::flows::operations::testing::Harness;

    /// A local endpoint that echoes its body and answers `status` from the query.
    async fn endpoint() -> String {
        let app = axum::Router::new().route(
            "/echo",
            post(
                |headers: axum::http::HeaderMap, Json(body): Json<Value>| async move {
                    let code = body["status"].as_u64().unwrap_or(200) as u16;
                    let auth = headers
                        .get("x-key")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    (
                        StatusCode::from_u16(code).unwrap(),
                        Json(json!({"got": body, "key": auth})),
                    )
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/echo")
    }

    #[tokio::test]
    async fn sends_json_with_headers_and_answers_the_response_object() {
        let core = Core::for_tests_with(|c| c.import_ip_deny_list = Vec::new()).await;
        let h = Harness::on(core, Value::Null);
        let url = endpoint().await;
        let options = json!({"method": "post", "url": url, "body": {"n": 1},
            "headers": [{"header": "X-Key", "value": "k"}]});
        let out = h
            .run(&Request, options)
            .await
            .unwrap_or_else(|e| panic!("{}", e.data()));
        assert_eq!(out["status"], 200, "{out}");
        assert_eq!(out["data"], json!({"got": {"n": 1}, "key": "k"}));
        assert_eq!(out["headers"]["content-type"], "application/json");
        // A non-2xx answer rejects with the same object.
        let failed = h
            .run(
                &Request,
                json!({"method": "POST", "url": url, "body": {"status": 418}}),
            )
            .await;
        let Err(OpError::Value(v)) = failed else {
            panic!("expected the response object as the reject");
        };
        assert_eq!(
            (v["status"].clone(), v["statusText"].clone()),
            (json!(418), json!("I'm a teapot"))
        );
    }

    #[tokio::test]
    async fn the_deny_list_refuses_this_machine_by_default() {
        let h = Harness::new(Value::Null).await;
        let url = endpoint().await;
        let Err(OpError::Error { message, .. }) = h
            .run(&Request, json!({"method": "POST", "url": url, "body": {}}))
            .await
        else {
            panic!("expected a refusal");
        };
        assert!(message.contains("denied IP address"), "{message}");
        let bad = h
            .run(
                &Request,
                json!({"url": "http://x", "method": "NOT A METHOD"}),
            )
            .await;
        assert!(matches!(bad, Err(OpError::Error { .. })));
    }
}
