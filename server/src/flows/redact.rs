//! Redaction for run logs and the `log` operation (directus.md §3.3, §12): authorization and
//! cookie headers, `access_token` query values, secret payload fields, and every allow-listed
//! environment value wherever it appears.

use serde_json::{Map, Value};

/// Payload keys whose values are secrets.
const SECRET_PAYLOAD_KEYS: &[&str] = &[
    "password",
    "token",
    "tfa_secret",
    "external_identifier",
    "auth_data",
    "credentials",
    "ai_openai_api_key",
    "ai_anthropic_api_key",
    "ai_google_api_key",
    "ai_openai_compatible_api_key",
];

const REDACTED: &str = "--redacted--";

/// Header names (lower-cased) whose values are secrets.
fn is_secret_header(lower: &str) -> bool {
    matches!(lower, "authorization" | "cookie" | "set-cookie")
}

/// Redacts values, knowing the allow-listed environment.
#[derive(Debug, Default)]
pub struct Redactor {
    /// `(NAME, value)` pairs, longest values first so overlapping secrets redact fully.
    env: Vec<(String, String)>,
}

impl Redactor {
    pub fn new(env: &[(String, String)]) -> Redactor {
        let mut env: Vec<(String, String)> =
            env.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
        env.sort_by_key(|e| std::cmp::Reverse(e.1.len()));
        Redactor { env }
    }

    /// A redacted copy of a data chain, step options or any value.
    pub fn redact_chain(&self, v: &Value) -> Value {
        self.walk(v, None)
    }

    fn walk(&self, v: &Value, parent: Option<&str>) -> Value {
        match v {
            Value::Object(o) => {
                let mut out = Map::with_capacity(o.len());
                for (k, child) in o {
                    let lower = k.to_ascii_lowercase();
                    let secret = match parent {
                        Some("headers") => is_secret_header(&lower),
                        Some("query") => lower == "access_token",
                        Some("payload") => SECRET_PAYLOAD_KEYS.contains(&lower.as_str()),
                        _ => false,
                    };
                    let value = if secret && !child.is_null() {
                        Value::String(REDACTED.into())
                    } else {
                        self.walk(child, Some(lower.as_str()))
                    };
                    out.insert(k.clone(), value);
                }
                Value::Object(out)
            }
            // The `request` operation's header list: `[{header, value}]`.
            Value::Array(a) if parent == Some("headers") => {
                Value::Array(a.iter().map(|x| self.header_entry(x)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| self.walk(x, parent)).collect()),
            // Headers given as a JSON string (product.md S4) are redacted like the parsed form.
            Value::String(s) if parent == Some("headers") => {
                match serde_json::from_str::<Value>(s) {
                    Ok(parsed @ (Value::Object(_) | Value::Array(_))) => {
                        Value::String(self.walk(&parsed, parent).to_string())
                    }
                    _ => Value::String(self.redact_text(s)),
                }
            }
            Value::String(s) => Value::String(self.redact_text(s)),
            other => other.clone(),
        }
    }

    /// One `{header, value}` entry: the value of a secret header is redacted.
    fn header_entry(&self, v: &Value) -> Value {
        let secret = v
            .get("header")
            .and_then(Value::as_str)
            .is_some_and(|h| is_secret_header(&h.to_ascii_lowercase()));
        match v {
            Value::Object(o) if secret => Value::Object(
                o.iter()
                    .map(|(k, child)| {
                        let value = if k == "value" && !child.is_null() {
                            Value::String(REDACTED.into())
                        } else {
                            self.walk(child, Some(k.to_ascii_lowercase().as_str()))
                        };
                        (k.clone(), value)
                    })
                    .collect(),
            ),
            other => self.walk(other, Some("headers")),
        }
    }

    /// Replaces allow-listed environment values inside a string.
    pub fn redact_text(&self, s: &str) -> String {
        let mut out = s.to_owned();
        for (name, value) in &self.env {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), &format!("--redacted:{name}--"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted() {
        let r = Redactor::new(&[("API_TOKEN".into(), "s3cr3t".into())]);
        let v = json!({
            "$trigger": {"headers": {"Authorization": "Bearer x", "cookie": "a=b", "host": "h"},
                         "query": {"access_token": "t", "q": "1"},
                         "body": {"note": "uses s3cr3t inside"}},
            "op": {"payload": {"password": "pw", "name": "n"}},
            "list": [{"headers": {"authorization": "y"}}],
            "req": {"headers": [{"header": "Authorization", "value": "Bearer z"},
                                {"header": "X-Plain", "value": "ok"}]}
        });
        let out = r.redact_chain(&v);
        assert_eq!(out["$trigger"]["headers"]["Authorization"], REDACTED);
        assert_eq!(out["$trigger"]["headers"]["cookie"], REDACTED);
        assert_eq!(out["$trigger"]["headers"]["host"], "h");
        assert_eq!(out["$trigger"]["query"]["access_token"], REDACTED);
        assert_eq!(out["$trigger"]["query"]["q"], "1");
        assert_eq!(
            out["$trigger"]["body"]["note"],
            "uses --redacted:API_TOKEN-- inside"
        );
        assert_eq!(out["op"]["payload"]["password"], REDACTED);
        assert_eq!(out["op"]["payload"]["name"], "n");
        assert_eq!(out["list"][0]["headers"]["authorization"], REDACTED);
        assert_eq!(out["req"]["headers"][0]["value"], REDACTED);
        assert_eq!(out["req"]["headers"][1]["value"], "ok");
        assert!(!out.to_string().contains("s3cr3t"));
    }

    #[test]
    fn request_header_lists_and_json_strings_are_redacted() {
        let r = Redactor::default();
        let out = r.redact_chain(&json!({
            "list": {"headers": [{"header": "Authorization", "value": "Bearer a"},
                                 {"header": "set-cookie", "value": ["x=1"]},
                                 {"header": "X-Plain", "value": "seen"}]},
            "text": {"headers": "{\"Cookie\": \"sid=b\", \"Accept\": \"*/*\"}"},
            "text_list": {"headers": "[{\"header\": \"AUTHORIZATION\", \"value\": \"c\"}]"},
            "plain": {"headers": "not json"}
        }));
        assert_eq!(
            out["list"]["headers"],
            json!([{"header": "Authorization", "value": REDACTED},
                   {"header": "set-cookie", "value": REDACTED},
                   {"header": "X-Plain", "value": "seen"}])
        );
        let text: Value = serde_json::from_str(out["text"]["headers"].as_str().unwrap()).unwrap();
        assert_eq!(text, json!({"Cookie": REDACTED, "Accept": "*/*"}));
        let list: Value =
            serde_json::from_str(out["text_list"]["headers"].as_str().unwrap()).unwrap();
        assert_eq!(
            list,
            json!([{"header": "AUTHORIZATION", "value": REDACTED}])
        );
        assert_eq!(out["plain"]["headers"], "not json");
    }
}
