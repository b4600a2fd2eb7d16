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
        env.sort_by(|a, b| b.1.len().cmp(&a.1.len()));
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
                        Some("headers") => {
                            matches!(lower.as_str(), "authorization" | "cookie" | "set-cookie")
                        }
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
            Value::Array(a) => Value::Array(a.iter().map(|x| self.walk(x, parent)).collect()),
            Value::String(s) => Value::String(self.redact_text(s)),
            other => other.clone(),
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
            "list": [{"headers": {"authorization": "y"}}]
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
        assert!(!out.to_string().contains("s3cr3t"));
    }
}
