//! What an option's `{{ path }}` template shows with the data of the last test: a
//! client-side copy of the server's rules that matter for a preview (a whole-string
//! placeholder is the value itself, D5 missing paths, strings inserted as they are and other
//! values as JSON), and the list of paths a picker offers from a sample of data.

use serde_json::Value;

/// Looks a dotted path (`$trigger.body.items[0].name` or `…items.0.name`) up in `scope`.
pub fn lookup<'a>(scope: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = scope;
    for seg in path.split('.') {
        let (name, indexes) = match seg.find('[') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        if !name.is_empty() {
            cur = step(cur, name)?;
        }
        for ix in indexes.split('[').filter(|s| !s.is_empty()) {
            cur = step(cur, ix.trim_end_matches(']').trim_matches(['"', '\'']))?;
        }
    }
    Some(cur)
}

fn step<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) => m.get(key),
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    }
}

/// The `{{ … }}` placeholders of a text: (byte range including braces, trimmed path).
pub fn placeholders(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| i + from) {
        let Some(close) = text[open + 2..].find("}}").map(|i| i + open + 2) else {
            break;
        };
        out.push((open..close + 2, text[open + 2..close].trim()));
        from = close + 2;
    }
    out
}

/// The placeholder that inserts `path`: `{{ path }}`.
pub fn placeholder(path: &str) -> String {
    format!("{{{{ {path} }}}}")
}

/// What a preview says about a template.
#[derive(Clone, Debug, PartialEq)]
pub enum Preview {
    /// No placeholder: nothing to preview.
    Plain,
    /// Rendered with the last test's data.
    Value(Value),
    /// A path that the sample does not hold.
    Missing(String),
    /// A value only known while the flow runs (`$env`, `$NOW`, `$accountability`).
    AtRunTime,
}

fn run_time_only(path: &str) -> bool {
    ["$env", "$NOW", "$accountability"].iter().any(|r| {
        path == *r || path.starts_with(&format!("{r}.")) || path.starts_with(&format!("{r}("))
    })
}

/// Renders `text` against `scope` for a preview.
pub fn preview(text: &str, scope: &Value) -> Preview {
    let found = placeholders(text);
    if found.is_empty() {
        return Preview::Plain;
    }
    for (_, path) in &found {
        if run_time_only(path) {
            return Preview::AtRunTime;
        }
        if lookup(scope, path).is_none() {
            return Preview::Missing((*path).to_owned());
        }
    }
    if let [(range, path)] = found.as_slice()
        && range.start == 0
        && range.end == text.len()
    {
        return Preview::Value(lookup(scope, path).cloned().unwrap_or(Value::Null));
    }
    let mut out = String::new();
    let mut at = 0;
    for (range, path) in &found {
        out.push_str(&text[at..range.start]);
        match lookup(scope, path) {
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Null) | None => {}
            Some(v) => out.push_str(&v.to_string()),
        }
        at = range.end;
    }
    out.push_str(&text[at..]);
    Preview::Value(Value::String(out))
}

/// The text shown after "→ ": strings quoted, other values as JSON, long ones cut.
pub fn shown(v: &Value) -> String {
    let full = match v {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    };
    if full.chars().count() > 120 {
        format!("{}…", full.chars().take(119).collect::<String>())
    } else {
        full
    }
}

/// One path a picker offers.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The path to insert, e.g. `$trigger.body.email`.
    pub path: String,
    /// The last segment, shown indented by `depth`.
    pub label: String,
    /// 0 for a root.
    pub depth: usize,
    /// A short rendering of the sample value, when there is one.
    pub sample: Option<String>,
}

/// Most entries a picker lists under one root, and how deep it goes.
const MAX_ENTRIES: usize = 200;
const MAX_DEPTH: usize = 4;

/// `root` and every path below it in `sample` (objects and the first element of arrays).
pub fn entries(root: &str, sample: Option<&Value>, out: &mut Vec<Entry>) {
    let start = out.len();
    walk(root, root, sample, 0, out, start);
}

fn walk(
    path: &str,
    label: &str,
    v: Option<&Value>,
    depth: usize,
    out: &mut Vec<Entry>,
    start: usize,
) {
    if out.len() - start >= MAX_ENTRIES {
        return;
    }
    out.push(Entry {
        path: path.to_owned(),
        label: label.to_owned(),
        depth,
        sample: v.filter(|v| !v.is_object() && !v.is_array()).map(shown),
    });
    if depth >= MAX_DEPTH {
        return;
    }
    match v {
        Some(Value::Object(m)) => {
            for (k, child) in m {
                let simple = !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '-');
                let p = if simple {
                    format!("{path}.{k}")
                } else {
                    format!("{path}[\"{k}\"]")
                };
                walk(&p, k, Some(child), depth + 1, out, start);
            }
        }
        Some(Value::Array(a)) if !a.is_empty() => {
            walk(
                &format!("{path}[0]"),
                "[0]",
                a.first(),
                depth + 1,
                out,
                start,
            );
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> Value {
        json!({"$trigger": {"body": {"email": "a@b.c", "n": 3, "items": [{"sku": "x"}]}}, "log": null})
    }

    #[test]
    fn a_whole_placeholder_is_the_value_and_embedded_ones_are_text() {
        let s = scope();
        assert_eq!(
            preview("{{ $trigger.body.email }}", &s),
            Preview::Value(json!("a@b.c"))
        );
        assert_eq!(preview("{{$trigger.body.n}}", &s), Preview::Value(json!(3)));
        assert_eq!(
            preview("to {{ $trigger.body.email }} ({{$trigger.body.n}})", &s),
            Preview::Value(json!("to a@b.c (3)"))
        );
        assert_eq!(
            preview("{{ $trigger.body.items[0].sku }}", &s),
            Preview::Value(json!("x"))
        );
        assert_eq!(
            preview("{{ $trigger.body.items.0.sku }}", &s),
            Preview::Value(json!("x"))
        );
        assert_eq!(preview("plain", &s), Preview::Plain);
    }

    #[test]
    fn typos_are_missing_and_run_time_values_are_said_so() {
        let s = scope();
        assert_eq!(
            preview("{{ $trigger.body.emial }}", &s),
            Preview::Missing("$trigger.body.emial".into())
        );
        assert_eq!(preview("{{ $env.API_KEY }}", &s), Preview::AtRunTime);
        assert_eq!(preview("at {{$NOW}}", &s), Preview::AtRunTime);
        // A step that ran and answered null is found, not missing.
        assert_eq!(preview("{{ log }}", &s), Preview::Value(Value::Null));
    }

    #[test]
    fn entries_list_every_path_of_the_sample() {
        let mut out = Vec::new();
        entries("$trigger.body", scope()["$trigger"].get("body"), &mut out);
        let paths: Vec<&str> = out.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "$trigger.body",
                "$trigger.body.email",
                "$trigger.body.items",
                "$trigger.body.items[0]",
                "$trigger.body.items[0].sku",
                "$trigger.body.n"
            ]
        );
        assert_eq!(out[1].sample.as_deref(), Some("'a@b.c'"));
        let mut odd = Vec::new();
        entries("$trigger.headers", Some(&json!({"x.y": 1})), &mut odd);
        assert_eq!(odd[1].path, "$trigger.headers[\"x.y\"]");
    }
}
