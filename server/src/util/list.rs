//! Directus's comma-or-array values: options such as a mail's `to`, a notification's
//! `recipient`, an item operation's `key`, an event flow's `scope` and `collections`, and a
//! field's `special` — a JSON list or comma-separated text, read one way everywhere.

use serde_json::Value;

/// Directus's comma-or-array options (`to`, `recipient`, `key`, an event's `scope` and
/// `collections`): a list as it is (nulls dropped), text split at commas (parts trimmed, empty
/// ones dropped), nothing for null, any other value as a list of one.
pub fn option_values(v: Option<&Value>) -> Vec<Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().filter(|x| !x.is_null()).cloned().collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| Value::String(p.to_owned()))
            .collect(),
        Some(other) => vec![other.clone()],
    }
}

/// The text entries of a comma-or-array option ([`option_values`]), trimmed, empty ones
/// dropped.
pub fn option_list(v: Option<&Value>) -> Vec<String> {
    option_values(v)
        .into_iter()
        .filter_map(|x| match x {
            Value::String(s) => match s.trim() {
                "" => None,
                t if t.len() == s.len() => Some(s),
                t => Some(t.to_owned()),
            },
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lists_text_and_scalars() {
        assert_eq!(
            option_values(Some(&json!(" a, ,b "))),
            vec![json!("a"), json!("b")]
        );
        assert_eq!(
            option_values(Some(&json!([1, null, "x"]))),
            vec![json!(1), json!("x")]
        );
        assert_eq!(option_values(Some(&json!(5))), vec![json!(5)]);
        assert!(option_values(None).is_empty() && option_values(Some(&json!(null))).is_empty());
        assert_eq!(
            option_list(Some(&json!([" a ", "", 3, "b"]))),
            vec!["a", "b"]
        );
        assert_eq!(
            option_list(Some(&json!("a@x.io,b@x.io"))),
            vec!["a@x.io", "b@x.io"]
        );
    }
}
