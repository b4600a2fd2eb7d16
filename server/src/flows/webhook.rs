//! The webhook trigger (directus.md §2.3–§2.6 with product.md D1–D3, D10, S1): who may call
//! a flow, the `$trigger` object built from the request, and the HTTP answer built from the
//! run — `{"data": …}` envelopes by default, Directus's raw bodies and 204s on request.

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::engine::{RunOutcome, StepStatus};
use super::model::FlowDef;
use super::operations::OpError;
use crate::access::{AccessSnapshot, Accountability};
use crate::error::ApiError;
use crate::filter::failures_error;
use crate::filter::validate::{Mode, validate};

/// Methods a webhook flow may answer (D1).
pub fn webhook_method(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::HEAD
    )
}

/// D2: admins always; others through a `trigger` permission on `directus_flows` whose item
/// filter selects this flow (null or `{}` = every flow).
pub fn may_trigger(snapshot: &AccessSnapshot, acc: &Accountability, flow: &FlowDef) -> bool {
    if acc.admin {
        return true;
    }
    let record = &flow.record;
    snapshot
        .permissions(&acc.policies, "directus_flows", "trigger")
        .any(|row| match &row.permissions {
            None | Some(Value::Null) => true,
            Some(Value::Object(o)) if o.is_empty() => true,
            Some(filter) => validate(filter, record, Mode::RequireAll).is_ok(),
        })
}

/// Node's lower-cased header map: repeated headers joined with ", " (set-cookie as a list).
pub fn headers_object(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for (name, value) in headers {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let key = name.as_str();
        if key == "set-cookie" {
            match out.get_mut(key) {
                Some(Value::Array(a)) => a.push(json!(text)),
                _ => {
                    out.insert(key.to_owned(), json!([text]));
                }
            }
            continue;
        }
        match out.get_mut(key) {
            Some(Value::String(s)) => {
                s.push_str(", ");
                s.push_str(&text);
            }
            _ => {
                out.insert(key.to_owned(), json!(text));
            }
        }
    }
    Value::Object(out)
}

/// `$trigger` = `{path, query, body, method, headers}` plus the top-level fields of an object
/// body beside (never over) those five keys (S1).
pub fn trigger_value(
    flow_id: &str,
    query: Map<String, Value>,
    body: Value,
    method: &str,
    headers: Value,
) -> Value {
    let mut t = Map::with_capacity(5 + body.as_object().map_or(0, Map::len));
    t.insert("path".into(), json!(format!("/trigger/{flow_id}")));
    t.insert("query".into(), Value::Object(query));
    t.insert("method".into(), json!(method));
    t.insert("headers".into(), headers);
    if let Value::Object(fields) = &body {
        for (k, v) in fields {
            if !matches!(k.as_str(), "path" | "query" | "body" | "method" | "headers") {
                t.insert(k.clone(), v.clone());
            }
        }
    }
    t.insert("body".into(), body);
    Value::Object(t)
}

/// The error a rejected last step becomes with `error_on_reject` (directus.md §2.6).
pub fn rejection_error(outcome: &RunOutcome, acc: &Accountability) -> Option<ApiError> {
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

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// A JSON answer from pre-serialised text.
pub fn json_response(status: StatusCode, body: Option<String>, cache_control: &str) -> Response {
    let mut resp = match body {
        Some(text) => (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            text,
        )
            .into_response(),
        None => status.into_response(),
    };
    let value = if cache_control == "no-cache" {
        Ok(axum::http::HeaderValue::from_static("no-cache"))
    } else {
        axum::http::HeaderValue::from_str(cache_control)
    };
    if let Ok(v) = value {
        resp.headers_mut()
            .insert(axum::http::header::CACHE_CONTROL, v);
    }
    resp
}

/// The success status and body text, serialised straight from the value.
pub fn success_text(value: &Value, envelope: bool) -> (StatusCode, Option<String>) {
    #[derive(serde::Serialize)]
    struct Envelope<'a> {
        data: &'a Value,
    }
    if envelope {
        let text = serde_json::to_string(&Envelope { data: value }).unwrap_or_default();
        (StatusCode::OK, Some(text))
    } else if truthy(value) {
        (StatusCode::OK, Some(value.to_string()))
    } else {
        (StatusCode::NO_CONTENT, None)
    }
}

/// The success answer.
pub fn success(value: Value, envelope: bool) -> Response {
    let (status, body) = success_text(&value, envelope);
    json_response(status, body, "no-cache")
}

/// The answer of an async webhook: 202 `{"data": null}` (D3) or Directus's 204.
pub fn accepted(envelope: bool) -> Response {
    if envelope {
        (StatusCode::ACCEPTED, axum::Json(json!({ "data": null }))).into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_lifts_body_fields_beside_the_five_keys() {
        let t = trigger_value(
            "f",
            Map::new(),
            json!({"customer_id": 7, "method": "evil", "items": [1]}),
            "POST",
            json!({}),
        );
        assert_eq!(t["customer_id"], 7);
        assert_eq!(t["items"], json!([1]));
        assert_eq!(t["method"], "POST");
        assert_eq!(t["body"]["method"], "evil");
        assert_eq!(t["path"], "/trigger/f");
    }

    #[test]
    fn headers_are_lower_case_and_joined() {
        let mut h = HeaderMap::new();
        h.append("X-Thing", "a".parse().unwrap());
        h.append("x-thing", "b".parse().unwrap());
        h.append("set-cookie", "c=1".parse().unwrap());
        let v = headers_object(&h);
        assert_eq!(v["x-thing"], "a, b");
        assert_eq!(v["set-cookie"], json!(["c=1"]));
    }

    #[test]
    fn envelope_and_directus_bodies() {
        assert_eq!(success(json!(null), true).status(), StatusCode::OK);
        assert_eq!(success(json!(null), false).status(), StatusCode::NO_CONTENT);
        assert_eq!(success(json!(0), false).status(), StatusCode::NO_CONTENT);
        assert_eq!(success(json!({"a": 1}), false).status(), StatusCode::OK);
        assert_eq!(accepted(true).status(), StatusCode::ACCEPTED);
        assert_eq!(accepted(false).status(), StatusCode::NO_CONTENT);
    }
}
