//! Text helpers: operation keys from names, collection names, pretty JSON, table cells.

use serde_json::Value;

/// "Send mail!" → "send_mail": lower case letters, digits and underscores.
pub fn snake_key(name: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Valid operation key / collection / field name: `^[a-z0-9_]+$`.
pub fn is_db_safe(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Pretty JSON for display.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A one-line preview of a value for table cells.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "Yes" } else { "No" }.to_owned(),
        Value::Number(n) => n.to_string(),
        other => {
            let s = other.to_string();
            if s.chars().count() > 80 {
                format!("{}…", s.chars().take(80).collect::<String>())
            } else {
                s
            }
        }
    }
}

/// A cell's text, or "—" when there is no value.
pub fn or_dash<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

/// "file-name" slug for downloads.
pub fn slug(name: &str) -> String {
    let s = snake_key(name).replace('_', "-");
    if s.is_empty() { "flow".to_owned() } else { s }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn missing_cells_show_a_dash() {
        assert_eq!(or_dash(Some(200)), "200");
        assert_eq!(or_dash(Some("1.2 s")), "1.2 s");
        assert_eq!(or_dash(None::<u16>), "—");
    }

    #[test]
    fn cells_preview_values_on_one_line() {
        assert_eq!(cell(&Value::Null), "—");
        assert_eq!(cell(&json!(true)), "Yes");
        assert_eq!(cell(&json!(4.5)), "4.5");
        assert_eq!(cell(&json!("paid")), "paid");
        let long = cell(&json!({ "k": "x".repeat(100) }));
        assert_eq!(long.chars().count(), 81);
        assert!(long.ends_with('…'));
    }
}
