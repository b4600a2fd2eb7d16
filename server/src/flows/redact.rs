//! Redaction for run logs and the `log` operation (directus.md §3.3, §12): authorization and
//! cookie headers, `access_token` query values, secret payload fields, and every allow-listed
//! environment value wherever it appears.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

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

/// What the key above a value says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parent {
    None,
    Headers,
    Query,
    Payload,
}

fn parent_of(key: &str) -> Parent {
    if key.eq_ignore_ascii_case("headers") {
        Parent::Headers
    } else if key.eq_ignore_ascii_case("query") {
        Parent::Query
    } else if key.eq_ignore_ascii_case("payload") {
        Parent::Payload
    } else {
        Parent::None
    }
}

fn is_secret(parent: Parent, key: &str) -> bool {
    match parent {
        Parent::Headers => ["authorization", "cookie", "set-cookie"]
            .iter()
            .any(|h| key.eq_ignore_ascii_case(h)),
        Parent::Query => key.eq_ignore_ascii_case("access_token"),
        Parent::Payload => SECRET_PAYLOAD_KEYS
            .iter()
            .any(|k| key.eq_ignore_ascii_case(k)),
        Parent::None => false,
    }
}

/// A value seen through the redaction rules, serialised without copying it first.
pub struct Redacted<'a> {
    r: &'a Redactor,
    v: &'a Value,
    parent: Parent,
}

impl<'a> Redacted<'a> {
    pub fn new(r: &'a Redactor, v: &'a Value) -> Self {
        Redacted {
            r,
            v,
            parent: Parent::None,
        }
    }
}

/// One `{header, value}` entry of a header list.
struct HeaderEntry<'a>(&'a Redactor, &'a Value);

impl Serialize for HeaderEntry<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let secret = self
            .1
            .get("header")
            .and_then(Value::as_str)
            .is_some_and(|h| is_secret(Parent::Headers, h));
        match self.1 {
            Value::Object(o) if secret => {
                let mut map = ser.serialize_map(Some(o.len()))?;
                for (k, child) in o {
                    if k == "value" && !child.is_null() {
                        map.serialize_entry(k, REDACTED)?;
                    } else {
                        map.serialize_entry(
                            k,
                            &Redacted {
                                r: self.0,
                                v: child,
                                parent: parent_of(k),
                            },
                        )?;
                    }
                }
                map.end()
            }
            other => Redacted {
                r: self.0,
                v: other,
                parent: Parent::Headers,
            }
            .serialize(ser),
        }
    }
}

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self.v {
            Value::Object(o) => {
                let mut map = ser.serialize_map(Some(o.len()))?;
                for (k, child) in o {
                    if is_secret(self.parent, k) && !child.is_null() {
                        map.serialize_entry(k, REDACTED)?;
                    } else {
                        map.serialize_entry(
                            k,
                            &Redacted {
                                r: self.r,
                                v: child,
                                parent: parent_of(k),
                            },
                        )?;
                    }
                }
                map.end()
            }
            // The `request` operation's header list: `[{header, value}]`.
            Value::Array(a) if self.parent == Parent::Headers => {
                let mut seq = ser.serialize_seq(Some(a.len()))?;
                for x in a {
                    seq.serialize_element(&HeaderEntry(self.r, x))?;
                }
                seq.end()
            }
            Value::Array(a) => {
                let mut seq = ser.serialize_seq(Some(a.len()))?;
                for x in a {
                    seq.serialize_element(&Redacted {
                        r: self.r,
                        v: x,
                        parent: self.parent,
                    })?;
                }
                seq.end()
            }
            // Headers given as a JSON string (product.md S4) are redacted like the parsed form.
            Value::String(s) if self.parent == Parent::Headers => {
                match serde_json::from_str::<Value>(s) {
                    Ok(parsed @ (Value::Object(_) | Value::Array(_))) => {
                        let inner = Redacted {
                            r: self.r,
                            v: &parsed,
                            parent: Parent::Headers,
                        };
                        let text =
                            serde_json::to_string(&inner).map_err(serde::ser::Error::custom)?;
                        ser.serialize_str(&text)
                    }
                    _ => ser.serialize_str(&self.r.redact_text(s)),
                }
            }
            Value::String(s) => match self.r.redact_cow(s) {
                std::borrow::Cow::Borrowed(b) => ser.serialize_str(b),
                std::borrow::Cow::Owned(o) => ser.serialize_str(&o),
            },
            other => other.serialize(ser),
        }
    }
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
        serde_json::to_value(Redacted::new(self, v)).unwrap_or(Value::Null)
    }

    /// Replaces allow-listed environment values inside a string.
    pub fn redact_text(&self, s: &str) -> String {
        self.redact_cow(s).into_owned()
    }

    /// Like `redact_text`, without allocating when nothing matches.
    pub fn redact_cow<'s>(&self, s: &'s str) -> std::borrow::Cow<'s, str> {
        let mut out: std::borrow::Cow<'s, str> = std::borrow::Cow::Borrowed(s);
        for (name, value) in &self.env {
            if out.contains(value.as_str()) {
                out = std::borrow::Cow::Owned(
                    out.replace(value.as_str(), &format!("--redacted:{name}--")),
                );
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
