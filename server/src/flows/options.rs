//! Checks the Sluice flow options a saved flow carries — `retry`, `retention`,
//! `idempotencyKey`, `missed` and the webhook ingress options — so a value the engine could not use is refused with a 400 when the flow
//! is saved, instead of being ignored at run time.

use serde_json::{Map, Value};

use super::retry::MAX_ATTEMPTS;
use super::schedule::Missed;
use crate::error::{ApiError, Result};
use crate::util::duration::parse_duration;

/// Checks every flow a write to `/flows` carries: one object, a list of them, or a batch
/// update's `{"keys": […], "data": {…}}`.
pub fn check_write(body: &Value) -> Result<()> {
    match body {
        Value::Array(flows) => flows.iter().try_for_each(check_write),
        Value::Object(o) => match o.get("data") {
            Some(data @ Value::Object(_)) if o.contains_key("keys") || o.contains_key("query") => {
                check_write(data)
            }
            _ => check_flow(o),
        },
        _ => Ok(()),
    }
}

/// Checks one flow's `options`.
fn check_flow(flow: &Map<String, Value>) -> Result<()> {
    let Some(Value::Object(options)) = flow.get("options") else {
        return Ok(());
    };
    check_options(options).map_err(ApiError::invalid_payload)
}

/// The first problem in a flow's options, as the error message says it.
fn check_options(options: &Map<String, Value>) -> std::result::Result<(), String> {
    if let Some(retry) = options.get("retry").filter(|v| !v.is_null()) {
        check_retry(retry)?;
    }
    if let Some(retention) = options.get("retention").filter(|v| !v.is_null()) {
        check_retention(retention)?;
    }
    match options.get("missed") {
        None | Some(Value::Null) => {}
        Some(Value::String(m)) if Missed::NAMES.contains(&m.as_str()) => {}
        Some(_) => return Err("\"options.missed\" must be \"skip\", \"once\" or \"all\"".into()),
    }
    super::ingress::options::Ingress::parse_map(options)?;
    match options.get("idempotencyKey") {
        None | Some(Value::Null | Value::String(_)) => Ok(()),
        Some(_) => Err(
            "\"options.idempotencyKey\" must be a template text, e.g. \"{{$trigger.body.id}}\""
                .into(),
        ),
    }
}

fn check_retry(retry: &Value) -> std::result::Result<(), String> {
    let Value::Object(r) = retry else {
        return Err("\"options.retry\" must be an object".into());
    };
    for key in r.keys() {
        if !["attempts", "backoff", "delay", "max", "on"].contains(&key.as_str()) {
            return Err(format!(
                "\"options.retry.{key}\" is not a retry setting (attempts, backoff, delay, max, on)"
            ));
        }
    }
    if let Some(attempts) = r.get("attempts") {
        let n = attempts
            .as_u64()
            .or_else(|| attempts.as_str()?.trim().parse().ok());
        if !n.is_some_and(|n| (1..=u64::from(MAX_ATTEMPTS)).contains(&n)) {
            return Err(format!(
                "\"options.retry.attempts\" must be a whole number from 1 to {MAX_ATTEMPTS}"
            ));
        }
    }
    match r.get("backoff") {
        None | Some(Value::Null) => {}
        Some(Value::String(b)) if b == "fixed" || b == "exponential" => {}
        Some(_) => {
            return Err("\"options.retry.backoff\" must be \"fixed\" or \"exponential\"".into());
        }
    }
    for key in ["delay", "max"] {
        if r.get(key).is_some_and(|v| !v.is_null() && !is_duration(v)) {
            return Err(format!(
                "\"options.retry.{key}\" must be a duration such as \"30s\" or a number of milliseconds"
            ));
        }
    }
    match r.get("on") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(kinds))
            if kinds.iter().all(|k| {
                k.as_str()
                    .is_some_and(|k| ["request", "throw", "reject"].contains(&k))
            }) =>
        {
            Ok(())
        }
        Some(_) => Err(
            "\"options.retry.on\" must be a list of \"request\", \"throw\" and \"reject\"".into(),
        ),
    }
}

fn check_retention(retention: &Value) -> std::result::Result<(), String> {
    let Value::Object(r) = retention else {
        return Err("\"options.retention\" must be an object".into());
    };
    for (key, v) in r {
        if key != "success" && key != "failed" {
            return Err(format!(
                "\"options.retention.{key}\" is not a retention setting (success, failed)"
            ));
        }
        let ok = match v {
            Value::Null => true,
            Value::String(s) => parse_duration(s).is_some(),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "\"options.retention.{key}\" must be a duration such as \"7d\""
            ));
        }
    }
    Ok(())
}

/// A duration as `retry` reads it: text (`"30s"`) or whole milliseconds.
fn is_duration(v: &Value) -> bool {
    match v {
        Value::String(s) => parse_duration(s).is_some(),
        Value::Number(n) => n.as_u64().is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::flows::retention::Keep;
    use crate::flows::retry::Retry;

    fn message(body: Value) -> Option<String> {
        check_write(&body).err().map(|e| e.to_string())
    }

    #[test]
    fn what_the_engine_reads_is_accepted() {
        let retry = json!({"attempts": "3", "backoff": "exponential", "delay": 250, "max": "5m",
            "on": ["request", "throw"]});
        let options = json!({"retry": retry, "retention": {"success": "7d", "failed": null},
            "idempotencyKey": "{{$trigger.body.id}}", "missed": "all"});
        assert_eq!(message(json!({"options": options.clone()})), None);
        assert_eq!(
            message(json!([{"options": options.clone()}, {"name": "x"}])),
            None
        );
        assert!(Retry::of(&options).is_some());
        let keep = Keep::for_flow(Some(&options), None);
        assert!(keep.success.is_some() && keep.failed.is_none());
        assert_eq!(
            message(json!({"options": {"retry": null, "retention": null}})),
            None
        );
    }

    #[test]
    fn what_the_engine_would_ignore_is_refused() {
        let bad = [
            (json!({"retry": 3}), "options.retry"),
            (json!({"retry": {"attempts": 0}}), "options.retry.attempts"),
            (json!({"retry": {"attempts": 21}}), "options.retry.attempts"),
            (
                json!({"retry": {"attempts": "many"}}),
                "options.retry.attempts",
            ),
            (
                json!({"retry": {"backoff": "linear"}}),
                "options.retry.backoff",
            ),
            (json!({"retry": {"delay": "soon"}}), "options.retry.delay"),
            (json!({"retry": {"max": -1}}), "options.retry.max"),
            (json!({"retry": {"on": ["timeout"]}}), "options.retry.on"),
            (json!({"retry": {"tries": 3}}), "options.retry.tries"),
            (json!({"retention": "7d"}), "options.retention"),
            (
                json!({"retention": {"failed": "forever"}}),
                "options.retention.failed",
            ),
            (
                json!({"retention": {"errors": "7d"}}),
                "options.retention.errors",
            ),
            (json!({"idempotencyKey": 5}), "options.idempotencyKey"),
            (json!({"missed": "catch-up"}), "options.missed"),
            (json!({"missed": true}), "options.missed"),
        ];
        for (options, names) in bad {
            let text = message(json!({"options": options.clone()}))
                .unwrap_or_else(|| panic!("{options} accepted"));
            assert!(text.contains(&format!("\"{names}\"")), "{options}: {text}");
        }
        // A batch update's data, and each flow of a list.
        assert!(message(json!({"keys": ["a"], "data": {"options": {"retry": 3}}})).is_some());
        assert!(message(json!([{"name": "ok"}, {"options": {"retry": 3}}])).is_some());
    }
}
