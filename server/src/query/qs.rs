//! Query strings parsed the way Directus's `qs` does (`a[b][c]=1`, `a[]=1&a[]=2`, repeated
//! keys become arrays, index lists up to the array limit become arrays), with a depth limit,
//! an array limit and a parameter limit. serde_qs takes the last of repeated keys, which is not
//! what Directus clients expect, hence this small parser.

use serde_json::{Map, Value};

/// Limits (`QUERYSTRING_MAX_PARSE_DEPTH`, `QUERYSTRING_ARRAY_LIMIT`, qs's parameter limit).
#[derive(Clone, Copy, Debug)]
pub struct QsLimits {
    pub depth: usize,
    pub array_limit: usize,
    pub parameter_limit: usize,
}

impl Default for QsLimits {
    fn default() -> Self {
        QsLimits {
            depth: 10,
            array_limit: 500,
            parameter_limit: 1000,
        }
    }
}

/// One path segment of a key.
enum Seg {
    Key(String),
    Push,
}

fn split_key(key: &str, depth: usize) -> Vec<Seg> {
    let (head, mut rest) = match key.find('[') {
        Some(0) | None => return vec![Seg::Key(key.to_owned())],
        Some(i) => (&key[..i], &key[i..]),
    };
    let mut segs = vec![Seg::Key(head.to_owned())];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(end) = stripped.find(']') else {
            break;
        };
        if segs.len() > depth {
            break;
        }
        let inner = &stripped[..end];
        segs.push(if inner.is_empty() {
            Seg::Push
        } else {
            Seg::Key(inner.to_owned())
        });
        rest = &stripped[end + 1..];
    }
    if !rest.is_empty() {
        // Beyond the depth (or malformed): the remainder is one literal key, as qs does.
        segs.push(Seg::Key(rest.to_owned()));
    }
    segs
}

fn insert(target: &mut Value, segs: &[Seg], value: Value, limits: &QsLimits) {
    let Some((first, rest)) = segs.split_first() else {
        return;
    };
    match first {
        Seg::Push => {
            if !target.is_array() {
                *target = match std::mem::take(target) {
                    Value::Null => Value::Array(Vec::new()),
                    Value::Object(o) => Value::Object(o),
                    other => Value::Array(vec![other]),
                };
            }
            match target {
                Value::Array(items) => {
                    if rest.is_empty() {
                        items.push(value);
                    } else {
                        let mut child = Value::Null;
                        insert(&mut child, rest, value, limits);
                        items.push(child);
                    }
                }
                Value::Object(o) => {
                    // The next free index: `a[1]=x&a[]=y` already holds "1".
                    let mut n = o.len();
                    while o.contains_key(n.to_string().as_str()) {
                        n += 1;
                    }
                    let k = n.to_string();
                    let mut child = Value::Null;
                    if rest.is_empty() {
                        child = value;
                    } else {
                        insert(&mut child, rest, value, limits);
                    }
                    o.insert(k, child);
                }
                _ => {}
            }
        }
        Seg::Key(k) => {
            let index = k.parse::<usize>().ok().filter(|i| *i <= limits.array_limit);
            if let (Some(i), Value::Array(items)) = (index, &mut *target)
                && i <= items.len()
            {
                if i == items.len() {
                    items.push(Value::Null);
                }
                place(&mut items[i], rest, value, limits);
                return;
            }
            if target.is_null() && index == Some(0) {
                *target = Value::Array(vec![Value::Null]);
                if let Value::Array(items) = target {
                    place(&mut items[0], rest, value, limits);
                }
                return;
            }
            if !target.is_object() {
                let old = std::mem::take(target);
                let mut o = Map::new();
                match old {
                    Value::Array(items) => {
                        for (i, v) in items.into_iter().enumerate() {
                            o.insert(i.to_string(), v);
                        }
                    }
                    Value::Null => {}
                    other => {
                        o.insert("0".into(), other);
                    }
                }
                *target = Value::Object(o);
            }
            if let Value::Object(o) = target {
                let slot = o.entry(k.clone()).or_insert(Value::Null);
                place(slot, rest, value, limits);
            }
        }
    }
}

/// Puts a value at a slot: a leaf merges repeated keys into arrays, like qs. A leaf given to
/// an object (`a[x]=1&a=2`) joins it under the next free index, so repeats never nest deeper.
fn place(slot: &mut Value, rest: &[Seg], value: Value, limits: &QsLimits) {
    if !rest.is_empty() {
        insert(slot, rest, value, limits);
        return;
    }
    match slot {
        Value::Null => *slot = value,
        Value::Array(items) => items.push(value),
        Value::Object(_) => insert(slot, &[Seg::Push], value, limits),
        other => {
            let first = std::mem::take(other);
            *other = Value::Array(vec![first, value]);
        }
    }
}

/// Parses a raw query string into a JSON object whose leaves are strings.
pub fn parse(query: &str, limits: &QsLimits) -> Map<String, Value> {
    let mut root = Value::Object(Map::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()).take(limits.parameter_limit) {
        if k.is_empty() {
            continue;
        }
        let segs = split_key(&k, limits.depth);
        insert(&mut root, &segs, Value::String(v.into_owned()), limits);
    }
    match root {
        Value::Object(o) => o,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(q: &str) -> Value {
        Value::Object(parse(q, &QsLimits::default()))
    }

    #[test]
    fn shapes() {
        assert_eq!(p("a=1&b=x+y"), json!({"a": "1", "b": "x y"}));
        assert_eq!(p("a=1&a=2"), json!({"a": ["1", "2"]}));
        assert_eq!(p("a[]=1&a[]=2"), json!({"a": ["1", "2"]}));
        assert_eq!(p("a[b][c]=1"), json!({"a": {"b": {"c": "1"}}}));
        assert_eq!(p("a[0]=x&a[1]=y"), json!({"a": ["x", "y"]}));
        assert_eq!(
            p("filter[status][_eq]=active&filter[n][_in][]=1&filter[n][_in][]=2"),
            json!({"filter": {"status": {"_eq": "active"}, "n": {"_in": ["1", "2"]}}})
        );
        assert_eq!(p("a[600]=x"), json!({"a": {"600": "x"}}));
        // Found by fuzz::query_string: the pushed value overwrote the given index, and
        // repeats nested the value one level deeper each time.
        assert_eq!(p("a[1]=x&a[]=y"), json!({"a": {"1": "x", "2": "y"}}));
        assert_eq!(
            p("a=1&a[x]=2&a=3&a[x]=4"),
            json!({"a": {"0": "1", "x": ["2", "4"], "2": "3"}})
        );
        assert_eq!(p("%5Bweird=1"), json!({"[weird": "1"}));
    }

    #[test]
    fn limits_hold() {
        let deep = format!("a{}=1", "[b]".repeat(50));
        let v = p(&deep);
        let mut depth = 0;
        let mut cur = &v;
        while let Some(o) = cur.as_object() {
            depth += 1;
            cur = o.values().next().unwrap();
        }
        assert!(depth <= 13, "depth {depth}");
        let many: String = (0..5000).map(|i| format!("k{i}=1&")).collect();
        assert_eq!(parse(&many, &QsLimits::default()).len(), 1000);
    }
}
