//! `respond` (a Sluice operation, issue 16 point 2): sets the HTTP answer of a sync webhook —
//! `status`, `headers`, a `body` (text as is, any other value as JSON) and its `contentType`
//! (`text/plain`, `application/xml`, `text/html`, …) — so a flow can answer a provider in the
//! shape it requires. With `continue: true` the caller gets the answer when the step runs and
//! the rest of the flow runs on; otherwise the answer is sent when the run ends. The step's
//! data is the answer it describes.

use async_trait::async_trait;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::context::{OpContext, OpError, Operation, option_string};
use crate::error::ApiError;

pub struct Respond;

/// The operation's type name.
pub const RESPOND: &str = "respond";

/// Headers a flow may not set: the server frames the answer itself.
const FRAMING: [&str; 5] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
];

fn invalid(message: String) -> OpError {
    OpError::Directus(ApiError::invalid_payload(message))
}

/// The answer the options describe, checked: `{status, headers, body, contentType, continue}`.
pub fn describe(options: &Value) -> Result<Value, OpError> {
    let status = match options.get("status") {
        None | Some(Value::Null) => 200,
        Some(v) => option_string(Some(v))
            .and_then(|s| s.trim().parse::<u16>().ok())
            .filter(|s| (200..=599).contains(s))
            .ok_or_else(|| {
                invalid(format!(
                    "\"status\" must be an HTTP status from 200 to 599, got {v}"
                ))
            })?,
    };
    let mut headers = Map::new();
    match options.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (name, value) in h {
                let lower = name.to_ascii_lowercase();
                let text = option_string(Some(value)).unwrap_or_default();
                if HeaderName::from_bytes(lower.as_bytes()).is_err()
                    || HeaderValue::from_str(&text).is_err()
                {
                    return Err(invalid(format!("\"headers.{name}\" is not a valid header")));
                }
                if FRAMING.contains(&lower.as_str()) {
                    return Err(invalid(format!("\"headers.{name}\" is set by the server")));
                }
                headers.insert(lower, Value::String(text));
            }
        }
        // Directus's request operation takes `[{header, value}]`; so does this one.
        Some(Value::Array(list)) => {
            let mut listed = Map::new();
            for entry in list {
                let Some(name) = entry.get("header").and_then(Value::as_str) else {
                    return Err(invalid(format!("\"headers\": {entry} names no header")));
                };
                listed.insert(
                    name.to_owned(),
                    entry.get("value").cloned().unwrap_or(Value::Null),
                );
            }
            let mut rest = options.clone();
            rest["headers"] = Value::Object(listed);
            return describe(&rest);
        }
        Some(_) => {
            return Err(invalid(
                "\"headers\" must be an object of header values".into(),
            ));
        }
    }
    let body = options.get("body").cloned().unwrap_or(Value::Null);
    let content_type =
        match option_string(options.get("contentType")).filter(|c| !c.trim().is_empty()) {
            Some(c) => {
                if HeaderValue::from_str(&c).is_err() {
                    return Err(invalid("\"contentType\" is not a valid media type".into()));
                }
                c
            }
            None if body.is_string() => "text/plain; charset=utf-8".into(),
            None => "application/json".into(),
        };
    let cont = match options.get("continue") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        Some(_) => return Err(invalid("\"continue\" must be true or false".into())),
    };
    Ok(json!({"status": status, "headers": headers, "body": body,
              "contentType": content_type, "continue": cont}))
}

/// The status a `respond` step's data describes.
pub fn status(answer: &Value) -> StatusCode {
    answer["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK)
}

/// The HTTP answer a `respond` step's data describes.
pub fn response(answer: &Value) -> Response {
    let mut resp = (status(answer), body_text(answer)).into_response();
    let headers = resp.headers_mut();
    if let Some(ct) = answer["contentType"]
        .as_str()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        headers.insert(axum::http::header::CONTENT_TYPE, ct);
    }
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    if let Some(h) = answer["headers"].as_object() {
        for (name, value) in h {
            if let (Ok(n), Some(Ok(v))) = (
                HeaderName::from_bytes(name.as_bytes()),
                value.as_str().map(HeaderValue::from_str),
            ) {
                headers.insert(n, v);
            }
        }
    }
    resp
}

/// The answer's body as sent: text as is, nothing for null, any other value as JSON.
pub fn body_text(answer: &Value) -> String {
    match &answer["body"] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[async_trait]
impl Operation for Respond {
    async fn run(&self, options: Value, _ctx: &OpContext<'_>) -> Result<Value, OpError> {
        describe(&options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_and_builds_the_answer() {
        let a = describe(&json!({"status": "201", "headers": {"X-Thing": "1"},
            "body": "<Response><Message>ok</Message></Response>", "contentType": "application/xml"}))
        .ok()
        .unwrap();
        assert_eq!(a["status"], 201);
        assert_eq!(a["headers"]["x-thing"], "1");
        let r = response(&a);
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(r.headers()["content-type"], "application/xml");
        assert_eq!(r.headers()["x-thing"], "1");
        let json_body = describe(&json!({"body": {"ok": true}})).ok().unwrap();
        assert_eq!(json_body["contentType"], "application/json");
        assert_eq!(body_text(&json_body), r#"{"ok":true}"#);
        let text = describe(&json!({"body": "hi"})).ok().unwrap();
        assert_eq!(text["contentType"], "text/plain; charset=utf-8");
        let listed = describe(&json!({"headers": [{"header": "X-A", "value": "b"}]}))
            .ok()
            .unwrap();
        assert_eq!(listed["headers"]["x-a"], "b");
    }

    #[test]
    fn refuses_what_cannot_be_sent() {
        for bad in [
            json!({"status": 99}),
            json!({"status": "teapot"}),
            json!({"headers": {"content-length": "5"}}),
            json!({"headers": {"bad header": "x"}}),
            json!({"headers": "x"}),
            json!({"contentType": "a\nb"}),
            json!({"continue": 1}),
        ] {
            assert!(describe(&bad).is_err(), "{bad}");
        }
    }
}
