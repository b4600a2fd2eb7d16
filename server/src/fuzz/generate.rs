//! Generators shared by the fuzz targets: hostile text, numbers at the edges of every range,
//! arbitrary JSON over a chosen key vocabulary, deep nesting, and JSON text with the mistakes
//! and tricks a careless client or an attacker sends (truncation, stray bytes, duplicate keys,
//! lone surrogates, huge numbers, invalid UTF-8).

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Number, Value, json};

/// Text that breaks naive parsers: quotes, escapes, NUL and control characters, direction
/// marks, astral characters, percent escapes, bracket and template syntax, dynamic variables,
/// numbers and dates at the edges, JavaScript property names.
pub(crate) const FRAGMENTS: &[&str] = &[
    "",
    " ",
    "  ",
    "'",
    "\"",
    "`",
    "\\",
    "\\\\",
    "\0",
    "\u{1}",
    "\u{1f}",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "\u{feff}",
    "\u{202e}",
    "\u{fffd}",
    "\u{10ffff}",
    "ü",
    "İ",
    "ß",
    "Σ",
    "😀",
    "👩‍👩‍👧",
    "\r\n",
    "\n",
    "\t",
    "%",
    "%00",
    "%zz",
    "%5B",
    "%5D",
    "%E2%82%AC",
    "%FF",
    "%C0%80",
    "+",
    "&",
    "=",
    "&&",
    "==",
    "[",
    "]",
    "[]",
    "][",
    "[0]",
    "[-1]",
    "[600]",
    "{{",
    "}}",
    "{{{",
    "}}}",
    "{",
    "}",
    ".",
    "..",
    ",",
    ";",
    "--",
    "/*",
    "$",
    "$1",
    "?",
    "$NOW",
    "$NOW(-1 day)",
    "$NOW(+99999999999999999999 years)",
    "$CURRENT_USER",
    "$CURRENT_USER.email",
    "$CURRENT_ROLE",
    "$CURRENT_ROLES",
    "$CURRENT_POLICIES",
    "$trigger",
    "$last",
    "$env",
    "NaN",
    "Infinity",
    "-Infinity",
    "-0",
    "0",
    "01",
    "1.",
    ".5",
    "1e999",
    "-1e999",
    "1e-400",
    "99999999999999999999999999999",
    "9007199254740993",
    "-9223372036854775809",
    "0x1F",
    "١٢٣",
    "true",
    "false",
    "null",
    "undefined",
    "now",
    "2024-02-30",
    "2024-01-01",
    "2024-01-01T00:00:00Z",
    "2024-01-01 10:00:00",
    "+275760-09-13T00:00:00Z",
    "-271821-04-20T00:00:00Z",
    "9999-12-31T23:59:59.999Z",
    "Mon, 01 Jan 2024 00:00:00 +0000",
    "12:30",
    "25:61:61",
    "11111111-1111-4111-8111-111111111111",
    "__proto__",
    "constructor",
    "length",
    "toString",
    "/(a+)+$/",
    "/x/gimsuy",
    "(",
    ")",
    "\\1",
    "(?=x)",
    "'; DROP TABLE x; --",
];

/// One hostile fragment.
pub(crate) fn fragment() -> impl Strategy<Value = String> + Clone {
    prop::sample::select(FRAGMENTS).prop_map(str::to_owned)
}

/// A long string (up to ~100 KB): a fragment or a letter repeated, for size limits and
/// anything quadratic.
pub(crate) fn long_text() -> impl Strategy<Value = String> + Clone {
    (
        prop_oneof![fragment(), "[a-z]{1,3}", Just("a".to_owned())],
        100usize..20_000,
    )
        .prop_map(|(piece, n)| {
            let n = n.min(100_000 / piece.len().max(1));
            piece.repeat(n)
        })
}

/// Any text: mostly fragments glued together, some arbitrary Unicode (control characters
/// included), now and then a very long string.
pub(crate) fn text() -> BoxedStrategy<String> {
    prop_oneof![
        8 => prop::collection::vec(fragment(), 0..4).prop_map(|p| p.concat()),
        3 => "\\PC{0,12}",
        2 => any::<String>(),
        1 => long_text(),
    ]
    .boxed()
}

/// A JSON number at the edges: any i64, u64, finite f64, and the famous ones.
pub(crate) fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(json!(0), Value::Number)),
        (-1000i64..1000).prop_map(|n| json!(n)),
        prop::sample::select(vec![
            json!(0),
            json!(-0.0),
            json!(1),
            json!(-1),
            json!(0.5),
            json!(i64::MIN),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(i32::MAX),
            json!(i32::MIN),
            json!(2_147_483_648i64),
            json!(9_007_199_254_740_993i64),
            json!(1e308),
            json!(-1e308),
            json!(5e-324),
            json!(8.64e15),
            json!(1_700_000_000_000i64),
        ]),
    ]
    .boxed()
}

/// A JSON leaf.
pub(crate) fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        3 => number(),
        5 => text().prop_map(Value::String),
    ]
    .boxed()
}

/// A key from `keys` (most of the time) or any text.
pub(crate) fn key(keys: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(keys).prop_map(str::to_owned),
        1 => text(),
    ]
    .boxed()
}

/// Arbitrary JSON whose object keys come mostly from `keys`, with `leaf` at the bottom.
pub(crate) fn json_over(
    keys: &'static [&'static str],
    leaf: BoxedStrategy<Value>,
    depth: u32,
) -> BoxedStrategy<Value> {
    leaf.prop_recursive(depth, 48, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(keys), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Arbitrary JSON over arbitrary keys.
pub(crate) fn json() -> BoxedStrategy<Value> {
    json_over(&["a", "b", "id", "data", "0", ""], leaf(), 4)
}

/// `value` wrapped `depth` times in arrays, objects or both.
pub(crate) fn nest(mut value: Value, depth: usize, style: u8) -> Value {
    for level in 0..depth {
        let as_array = match style % 3 {
            0 => true,
            1 => false,
            _ => level % 2 == 0,
        };
        value = if as_array {
            Value::Array(vec![value])
        } else {
            let mut m = Map::new();
            m.insert("a".into(), value);
            Value::Object(m)
        };
    }
    value
}

/// A value nested deeper than any limit of the parsers (serde's is 128).
pub(crate) fn deep(inner: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    (inner, 20usize..200, any::<u8>())
        .prop_map(|(v, depth, style)| nest(v, depth, style))
        .boxed()
}

/// A change made to serialised JSON.
#[derive(Clone, Debug)]
pub(crate) enum Mutation {
    Truncate(Index),
    InsertByte(Index, u8),
    ReplaceByte(Index, u8),
    DeleteByte(Index),
    /// Repeats the first member of every object (`{"a":1,"a":1,…}`), JSON's duplicate keys.
    DuplicateKeys,
    Insert(Index, &'static str),
    Bom,
    TrailingGarbage(&'static str),
}

const INSERTS: &[&str] = &[
    "\"\\ud800\"",
    "\"\\udc00\\ud800\"",
    "\"\\u0000\"",
    "\"\\x41\"",
    "\"\\",
    "\"\u{0}\"",
    "1e999999",
    "-1e-999999",
    "-",
    "01",
    "1.",
    ".5",
    "NaN",
    "Infinity",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"k\":",
    ",]",
    ",}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "\u{feff}",
    "\u{2028}",
    "/*c*/",
    "//",
    "\t\r\n ",
    "true",
    "nul",
    "\u{ff}",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::InsertByte(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::ReplaceByte(i, b)),
        any::<Index>().prop_map(Mutation::DeleteByte),
        Just(Mutation::DuplicateKeys),
        (any::<Index>(), prop::sample::select(INSERTS)).prop_map(|(i, s)| Mutation::Insert(i, s)),
        Just(Mutation::Bom),
        prop::sample::select(vec![" x", "{}", "]", "\0", " ", "\n\n", "1"])
            .prop_map(Mutation::TrailingGarbage),
    ]
}

/// Applies one mutation to JSON bytes.
pub(crate) fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |i: &Index, len: usize| i.index(len + 1);
    match m {
        Mutation::Truncate(i) => {
            let n = at(i, bytes.len());
            bytes.truncate(n);
        }
        Mutation::InsertByte(i, b) => {
            let n = at(i, bytes.len());
            bytes.insert(n, *b);
        }
        Mutation::ReplaceByte(i, b) => {
            if !bytes.is_empty() {
                let n = i.index(bytes.len());
                bytes[n] = *b;
            }
        }
        Mutation::DeleteByte(i) => {
            if !bytes.is_empty() {
                let n = i.index(bytes.len());
                bytes.remove(n);
            }
        }
        Mutation::DuplicateKeys => {
            if let Ok(mut v) = serde_json::from_slice::<Value>(bytes) {
                *bytes = Vec::new();
                write_duplicated(&mut v, bytes);
            }
        }
        Mutation::Insert(i, s) => {
            let n = at(i, bytes.len());
            bytes.splice(n..n, s.bytes());
        }
        Mutation::Bom => {
            bytes.splice(0..0, "\u{feff}".bytes());
        }
        Mutation::TrailingGarbage(s) => bytes.extend_from_slice(s.as_bytes()),
    }
}

/// Serialises `v` with each object's first member written twice, first with a `null` value.
fn write_duplicated(v: &mut Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            out.push(b'{');
            if let Some((k, _)) = map.iter().next() {
                out.extend_from_slice(Value::String(k.clone()).to_string().as_bytes());
                out.extend_from_slice(b":null,");
            }
            for (i, (k, child)) in map.iter_mut().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(k.clone()).to_string().as_bytes());
                out.push(b':');
                write_duplicated(child, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, child) in items.iter_mut().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_duplicated(child, out);
            }
            out.push(b']');
        }
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

/// JSON text: `value` serialised compactly or pretty-printed, then changed by up to three
/// mutations (none about half the time, so much of the text stays valid).
pub(crate) fn json_bytes(value: BoxedStrategy<Value>) -> BoxedStrategy<Vec<u8>> {
    (
        value,
        any::<bool>(),
        prop_oneof![
            3 => Just(Vec::new()),
            3 => prop::collection::vec(mutation(), 1..4),
        ],
    )
        .prop_map(|(v, pretty, mutations)| {
            let mut bytes = if pretty {
                serde_json::to_vec_pretty(&v).unwrap_or_default()
            } else {
                serde_json::to_vec(&v).unwrap_or_default()
            };
            for m in &mutations {
                mutate(&mut bytes, m);
            }
            bytes
        })
        .boxed()
}

/// The container depth of a value (a scalar is 0).
pub(crate) fn depth(v: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|c| (c, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|c| (c, d + 1))),
            _ => continue,
        }
        deepest = deepest.max(d);
    }
    deepest
}

/// The number of values in a value (containers and leaves).
pub(crate) fn size(v: &Value) -> usize {
    let mut n = 0;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        n += 1;
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    n
}
