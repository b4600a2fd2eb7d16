//! The data chain of one run (directus.md §3.1, product.md D9): `$trigger`, `$last`,
//! `$accountability`, `$env`, `$flow` and each operation's result under its key. `$last` is an
//! index, not a copy, so recording a result clones nothing.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::template::Scope;
use crate::filter::validate::Source;

/// One run's data.
pub struct DataChain {
    trigger: Value,
    accountability: Value,
    env: Arc<Value>,
    flow: Arc<Value>,
    results: Vec<(String, Value)>,
    /// Index into `results` of the latest result; `None` while `$last` is still `$trigger`.
    last: Option<usize>,
}

impl DataChain {
    pub fn new(trigger: Value, accountability: Value, env: Arc<Value>, flow: Arc<Value>) -> Self {
        DataChain {
            trigger,
            accountability,
            env,
            flow,
            results: Vec::new(),
            last: None,
        }
    }

    /// Records an operation's result under its key (a later duplicate key overwrites).
    pub fn record(&mut self, key: &str, value: Value) {
        if let Some(i) = self.results.iter().position(|(k, _)| k == key) {
            self.results[i].1 = value;
            self.last = Some(i);
        } else {
            self.results.push((key.to_owned(), value));
            self.last = Some(self.results.len() - 1);
        }
    }

    pub fn trigger(&self) -> &Value {
        &self.trigger
    }

    pub fn last(&self) -> &Value {
        match self.last {
            Some(i) => &self.results[i].1,
            None => &self.trigger,
        }
    }

    pub fn result(&self, key: &str) -> Option<&Value> {
        self.results.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The chain's entries in snapshot order, borrowed.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        [
            ("$trigger", &self.trigger),
            ("$last", self.last()),
            ("$accountability", &self.accountability),
            ("$env", &*self.env),
            ("$flow", &*self.flow),
        ]
        .into_iter()
        .chain(self.results.iter().map(|(k, v)| (k.as_str(), v)))
    }

    /// The whole chain as one object (`$all`, run logs, the `exec` sandbox).
    pub fn snapshot(&self) -> Value {
        let mut m = Map::with_capacity(5 + self.results.len());
        m.insert("$trigger".into(), self.trigger.clone());
        m.insert("$last".into(), self.last().clone());
        m.insert("$accountability".into(), self.accountability.clone());
        m.insert("$env".into(), (*self.env).clone());
        m.insert("$flow".into(), (*self.flow).clone());
        for (k, v) in &self.results {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    /// Consumes the chain, moving `$last` out without a copy.
    pub fn into_last(mut self) -> Value {
        match self.last {
            Some(i) => self.results.swap_remove(i).1,
            None => self.trigger,
        }
    }

    fn data_key(&self, key: &str) -> Option<&Value> {
        match key {
            "$trigger" => Some(&self.trigger),
            "$last" => Some(self.last()),
            "$accountability" => Some(&self.accountability),
            "$env" => Some(&self.env),
            "$flow" => Some(&self.flow),
            other => self.result(other),
        }
    }
}

impl Scope for DataChain {
    fn root(&self, key: &str) -> Option<&Value> {
        self.data_key(key)
    }
}

/// The `condition` operation's view of the chain (product.md S2): data-chain keys first; a
/// bare key is looked up in `$last` (or its single object), then `$trigger.body`,
/// `$trigger.query`, `$trigger.headers` (lower-cased).
pub struct ConditionSource<'a>(pub &'a DataChain);

impl Source for ConditionSource<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        let chain = self.0;
        if key.starts_with('$') || chain.result(key).is_some() {
            return chain.data_key(key);
        }
        let last = match chain.last() {
            Value::Array(items) if items.len() == 1 => &items[0],
            other => other,
        };
        if let Some(v) = last.as_object().and_then(|o| o.get(key)) {
            return Some(v);
        }
        let trigger = &chain.trigger;
        for part in ["body", "query"] {
            if let Some(v) = trigger.get(part).and_then(|p| p.get(key)) {
                return Some(v);
            }
        }
        trigger
            .get("headers")
            .and_then(|h| h.get(key.to_ascii_lowercase().as_str()))
    }
}

/// `$env` values with Directus's type casting (directus.md §3.2).
pub fn cast_env(raw: &str) -> Value {
    let t = raw.trim();
    match t {
        "true" => return json!(true),
        "false" => return json!(false),
        _ => {}
    }
    if !t.starts_with('0') || t == "0" || t.starts_with("0.") {
        if let Ok(i) = t.parse::<i64>() {
            return json!(i);
        }
        if let Ok(f) = t.parse::<f64>()
            && f.is_finite()
        {
            return json!(f);
        }
    }
    if let Ok(v) = serde_json::from_str::<Value>(t)
        && (v.is_object() || v.is_array())
    {
        return v;
    }
    if t.contains(',') {
        return Value::Array(t.split(',').map(cast_env).collect());
    }
    Value::String(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_casting() {
        assert_eq!(cast_env("true"), json!(true));
        assert_eq!(cast_env("42"), json!(42));
        assert_eq!(cast_env("0042"), json!("0042"));
        assert_eq!(cast_env("a,b"), json!(["a", "b"]));
        assert_eq!(cast_env("{\"x\":1}"), json!({"x": 1}));
        assert_eq!(cast_env("secret-token"), json!("secret-token"));
        assert_eq!(cast_env("1.5"), json!(1.5));
    }
    use serde_json::json;

    fn chain() -> DataChain {
        DataChain::new(
            json!({"body": {"type": "order", "email": "a@b.co"}, "query": {"limit": "5"},
                   "headers": {"x-api-key": "k"}}),
            Value::Null,
            Arc::new(json!({})),
            Arc::new(json!({"id": "f", "name": "n"})),
        )
    }

    #[test]
    fn last_starts_as_trigger_and_follows_records() {
        let mut c = chain();
        assert_eq!(c.last(), c.trigger());
        c.record("a", json!(1));
        c.record("b", json!(2));
        assert_eq!(c.last(), &json!(2));
        c.record("a", json!(3));
        assert_eq!(c.last(), &json!(3));
        assert_eq!(c.snapshot()["b"], json!(2));
        assert_eq!(c.root("$flow").unwrap()["name"], "n");
    }

    #[test]
    fn bare_keys_follow_s2() {
        let mut c = chain();
        let s = ConditionSource(&c);
        assert_eq!(s.get("type"), Some(&json!("order")));
        assert_eq!(s.get("limit"), Some(&json!("5")));
        assert_eq!(s.get("X-API-KEY"), Some(&json!("k")));
        assert_eq!(s.get("nope"), None);
        c.record("count_op", json!([{"count": 7}]));
        let s = ConditionSource(&c);
        assert_eq!(s.get("count"), Some(&json!(7)));
        assert_eq!(s.get("count_op"), Some(&json!([{"count": 7}])));
    }
}
