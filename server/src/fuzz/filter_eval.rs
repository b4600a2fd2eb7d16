//! Fuzz target: the in-memory filter evaluator (`filter::validate`, used by the `condition`
//! operation and permission/field validation). Filters are compiled and evaluated against
//! random data, directly and through the condition operation's view of a data chain; beyond
//! "no panic, no hang" the results must be deterministic, bounded, rendered as Directus
//! errors, and consistent (`_and: [f]` ≡ `f`, `_or: [f, f]` ≡ `f`, an operator and its
//! negation never agree on a present value).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::generate::{self, json_bytes};
use crate::filter::failures_error;
use crate::filter::validate::{CompiledFilter, MAX_FAILURES, Mode, Source};
use crate::flows::chain::{ConditionSource, DataChain};
use crate::query::filter::{DynamicContext, resolve_dynamic};

/// Keys shared by filters and data, so most rules find a value.
const FIELDS: &[&str] = &[
    "a", "b", "c", "status", "email", "n", "tags", "when", "body", "items", "$trigger", "$last",
    "İ", "0",
];

const FUNCTION_KEYS: &[&str] = &[
    "year(when)",
    "month(when)",
    "week(when)",
    "day(when)",
    "weekday(when)",
    "hour(when)",
    "minute(when)",
    "second(when)",
    "count(tags)",
    "count(items)",
    "year(a)",
    "x(y)",
    "count(",
    "(when)",
];

const EQ_OPS: &[&str] = &["_eq", "_neq", "_ieq", "_nieq"];
const LIST_OPS: &[&str] = &["_in", "_nin"];
const FLAG_OPS: &[&str] = &[
    "_null",
    "_nnull",
    "_empty",
    "_nempty",
    "_submitted",
    "_some",
    "_none",
    "_intersects",
    "_nintersects",
    "_intersects_bbox",
    "_nintersects_bbox",
];
const CMP_OPS: &[&str] = &["_lt", "_lte", "_gt", "_gte"];
const RANGE_OPS: &[&str] = &["_between", "_nbetween"];
const TEXT_OPS: &[&str] = &[
    "_contains",
    "_ncontains",
    "_icontains",
    "_nicontains",
    "_starts_with",
    "_nstarts_with",
    "_istarts_with",
    "_nistarts_with",
    "_ends_with",
    "_nends_with",
    "_iends_with",
    "_niends_with",
];

/// Operators paired with their negation: on a present value exactly one of each pair passes.
const OPPOSITES: &[(&str, &str)] = &[
    ("_eq", "_neq"),
    ("_ieq", "_nieq"),
    ("_in", "_nin"),
    ("_null", "_nnull"),
    ("_empty", "_nempty"),
];

/// Values filters compare with and data holds, so comparisons hit as well as miss.
fn pool() -> BoxedStrategy<Value> {
    prop::sample::select(vec![
        json!("a"),
        json!("A"),
        json!("active"),
        json!(""),
        json!(" "),
        json!("5"),
        json!("5.0"),
        json!(" 7 "),
        json!("-1.5"),
        json!("1e3"),
        json!("0x1f"),
        json!(5),
        json!(5.5),
        json!(-1),
        json!(0),
        json!(true),
        json!(false),
        json!(null),
        json!("true"),
        json!("null"),
        json!("now"),
        json!("2024-01-01"),
        json!("2024-01-01T10:00:00Z"),
        json!("2024-01-01T10:00:00+02:00"),
        json!("2024/01/01 10:00"),
        json!("Mon, 01 Jan 2024 00:00:00 +0000"),
        json!("2024-13-45"),
        json!(1_700_000_000_000i64),
        json!(8.64e15),
        json!(9e15),
        json!("a@b.co"),
        json!("İ"),
        json!("i̇"),
        json!(["a", "b"]),
        json!([5, "5"]),
        json!([]),
        json!({}),
        json!({"a": 1}),
        json!("a,b,5"),
    ])
    .boxed()
}

fn value() -> BoxedStrategy<Value> {
    prop_oneof![4 => pool(), 1 => generate::leaf()].boxed()
}

fn regex_source() -> BoxedStrategy<String> {
    let piece = prop::sample::select(vec![
        "a",
        "b",
        ".",
        "*",
        "+",
        "?",
        "*?",
        "|",
        "(",
        ")",
        "(?:",
        "[a-z]",
        "[^x]",
        "[",
        "]",
        "\\d",
        "\\w",
        "\\s",
        "\\b",
        "\\p{L}",
        "\\P{Greek}",
        "^",
        "$",
        "{2}",
        "{1,3}",
        "{0,300}",
        "{5,}",
        "(?i)",
        "(?s)",
        "é",
        "İ",
        "\\",
        "\\1",
        "(?=",
        "(?!",
        "(?<=",
        "(a+)+",
        "(a|aa)*",
        ".*.*.*",
        "\\u{10FFFF}",
        "\\x{0}",
        "\\Q",
        "\\E",
        "\\z",
        "\\A",
        "(?P<n>a)",
    ]);
    (
        prop::collection::vec(piece, 0..8).prop_map(|p| p.concat()),
        prop::sample::select(vec!["", "", "/", "/i", "/gim", "/su", "/x", "/gz", "/dv"]),
    )
        .prop_map(|(body, flags)| {
            if flags.is_empty() {
                body
            } else {
                format!("/{body}{flags}")
            }
        })
        .boxed()
}

/// One operator with an argument of the kind it expects (mostly), or a stranger.
fn operator() -> BoxedStrategy<(String, Value)> {
    let select = |ops: &'static [&'static str]| prop::sample::select(ops).prop_map(str::to_owned);
    let list = prop_oneof![
        prop::collection::vec(value(), 0..5).prop_map(Value::Array),
        prop::collection::vec(value(), 0..3)
            .prop_map(|v| { Value::Array(vec![Value::Array(v.clone()), Value::Array(v)]) }),
        "[a-c5,]{0,8}".prop_map(Value::String),
        prop::collection::vec(value(), 0..3).prop_map(|v| {
            Value::Object(
                v.into_iter()
                    .enumerate()
                    .map(|(i, x)| (i.to_string(), x))
                    .collect(),
            )
        }),
        value(),
    ];
    let range = prop_oneof![
        4 => (value(), value()).prop_map(|(a, b)| json!([a, b])),
        1 => list.clone(),
    ];
    prop_oneof![
        6 => (select(EQ_OPS), value()),
        3 => (select(LIST_OPS), list),
        3 => (select(FLAG_OPS), value()),
        4 => (select(CMP_OPS), value()),
        2 => (select(RANGE_OPS), range),
        5 => (select(TEXT_OPS), value()),
        2 => (Just("_regex".to_owned()), prop_oneof![
            4 => regex_source().prop_map(Value::String),
            1 => value(),
        ]),
        1 => (
            prop_oneof![Just("_bogus".to_owned()), Just("_".to_owned()), generate::text().prop_map(|t| format!("_{t}"))],
            value()
        ),
    ]
    .boxed()
}

fn field_key() -> BoxedStrategy<String> {
    prop_oneof![
        10 => prop::sample::select(FIELDS).prop_map(str::to_owned),
        2 => prop::sample::select(FUNCTION_KEYS).prop_map(str::to_owned),
        1 => generate::text(),
    ]
    .boxed()
}

/// What goes under a field: operators, a shorthand value, a nested field (a path into the
/// value), or `_and` / `_or` applied to the field.
fn field_body() -> BoxedStrategy<Value> {
    let ops = prop::collection::vec(operator(), 0..3)
        .prop_map(|ops| Value::Object(ops.into_iter().collect::<Map<_, _>>()));
    let leaf = prop_oneof![5 => ops, 1 => value()];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            (field_key(), inner.clone()).prop_map(|(k, v)| json!({ k: v })),
            (
                prop::sample::select(vec!["_and", "_or"]),
                prop::collection::vec(inner, 0..3)
            )
                .prop_map(|(k, v)| json!({ k: v })),
        ]
    })
    .boxed()
}

fn structured_filter() -> BoxedStrategy<Value> {
    let rule = (field_key(), field_body()).prop_map(|(k, v)| json!({ k: v }));
    rule.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            3 => (
                prop::sample::select(vec!["_and", "_or"]),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(k, v)| json!({ k: v })),
            2 => prop::collection::vec(inner, 1..4).prop_map(|parts| {
                let mut merged = Map::new();
                for p in parts {
                    if let Value::Object(o) = p {
                        merged.extend(o);
                    }
                }
                Value::Object(merged)
            }),
        ]
    })
    .boxed()
}

/// Filters at and past every limit of the evaluator.
fn hostile_filter() -> BoxedStrategy<Value> {
    prop_oneof![
        // Nesting around MAX_DEPTH (64), as paths and as `_and` chains.
        (55usize..75, structured_filter()).prop_map(|(n, f)| {
            (0..n).fold(f, |acc, _| json!({"a": acc}))
        }),
        (25usize..40, structured_filter()).prop_map(|(n, f)| {
            (0..n).fold(f, |acc, _| json!({"_and": [acc]}))
        }),
        // Around MAX_RULES (10 000) and MAX_LIST_LEN (10 000).
        // (Short arguments: ten thousand copies of a 100 KB string would be a 1 GB filter.)
        (
            9_990usize..10_010,
            prop::sample::select([EQ_OPS, LIST_OPS, FLAG_OPS, CMP_OPS, RANGE_OPS, TEXT_OPS].concat()),
            pool(),
        )
            .prop_map(|(n, op, arg)| json!({"_or": vec![json!({"a": {op: arg}}); n]})),
        (9_990usize..10_010, prop::sample::select(vec!["_in", "_nin", "_between"]))
            .prop_map(|(n, op)| json!({"n": {op: (0..n).collect::<Vec<_>>()}})),
        (9_990usize..10_010).prop_map(|n| json!({"n": {"_in": vec!["x"; n].join(",")}})),
        // Around MAX_REGEXES (16).
        (14usize..19, regex_source()).prop_map(|(n, r)| {
            json!({"_and": (0..n).map(|i| json!({"a": {"_regex": format!("{r}{i}")}})).collect::<Vec<_>>()})
        }),
        // A regex near the size limit, and a long string for it to scan.
        prop::sample::select(vec!["\\w{0,255}{0,255}", "(\\p{L}{100}){100}", "[a-z]{1000}", "(a*)*b"])
            .prop_map(|r| json!({"a": {"_regex": r}})),
        generate::json(),
        generate::deep(structured_filter()),
    ]
    .boxed()
}

fn filter() -> BoxedStrategy<Value> {
    prop_oneof![
        14 => structured_filter(),
        2 => hostile_filter(),
        // The filter as JSON text, mangled (a condition's `filter` option may be a string).
        1 => json_bytes(structured_filter()).prop_map(|b| {
            serde_json::from_slice(&b).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&b).into_owned()))
        }),
    ]
    .boxed()
}

fn data_value() -> BoxedStrategy<Value> {
    prop_oneof![
        12 => generate::json_over(FIELDS, value(), 3),
        1 => generate::long_text().prop_map(|t| Value::String(format!("{t}b"))),
    ]
    .boxed()
}

fn data() -> BoxedStrategy<Value> {
    prop::collection::vec(
        (
            prop::sample::select(FIELDS).prop_map(str::to_owned),
            data_value(),
        ),
        0..8,
    )
    .prop_map(|kv| Value::Object(kv.into_iter().collect()))
    .boxed()
}

#[derive(Debug, Clone)]
struct Input {
    filter: Value,
    data: Value,
    /// A top-level key and a value for the negation checks.
    probe: (String, Value),
    opposite: usize,
}

fn input() -> impl Strategy<Value = Input> {
    (
        filter(),
        data(),
        (
            prop::sample::select(FIELDS).prop_map(str::to_owned),
            value(),
        ),
        0..OPPOSITES.len(),
    )
        .prop_map(|(filter, data, probe, opposite)| Input {
            filter,
            data,
            probe,
            opposite,
        })
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(1_700_000_000_000).unwrap_or_default()
}

fn dynamic() -> DynamicContext {
    DynamicContext {
        now: now(),
        user: Some("11111111-1111-4111-8111-111111111111".into()),
        role: None,
        roles: vec!["22222222-2222-4222-8222-222222222222".into()],
        policies: Vec::new(),
        user_fields: None,
        role_fields: None,
    }
}

/// Evaluates, checks the answer's shape, and returns whether the filter passed.
fn evaluate(
    compiled: &CompiledFilter,
    source: &dyn Source,
    mode: Mode,
) -> Result<bool, TestCaseError> {
    let first = compiled.validate_at(source, mode, now());
    prop_assert_eq!(
        &first,
        &compiled.validate_at(source, mode, now()),
        "not deterministic"
    );
    let Err(failures) = first else {
        return Ok(true);
    };
    prop_assert!(!failures.is_empty());
    prop_assert!(
        failures.len() <= MAX_FAILURES,
        "{} failures",
        failures.len()
    );
    for f in &failures {
        prop_assert!(
            f.message.starts_with("Validation failed for field \""),
            "{}",
            f.message
        );
        let json = f.to_error_json();
        prop_assert_eq!(&json["extensions"]["code"], "FAILED_VALIDATION");
        prop_assert_eq!(&json["extensions"]["type"], f.kind);
        prop_assert_eq!(&f.to_reject_json()["status"], 400);
    }
    let error = failures_error(&failures);
    prop_assert_eq!(error.status().as_u16(), 400);
    let body = error.body();
    let entries = body["errors"].as_array().map_or(0, Vec::len);
    prop_assert_eq!(entries, failures.len());
    prop_assert_eq!(
        &body["errors"][0]["extensions"]["code"],
        "FAILED_VALIDATION"
    );
    Ok(false)
}

fn check(input: Input) -> super::CaseResult {
    let mut filter = input.filter;
    resolve_dynamic(&mut filter, &dynamic());
    let compiled = match CompiledFilter::compile(&filter) {
        Ok(c) => c,
        Err(e) => {
            prop_assert!(
                e.0.starts_with("Invalid filter") || e.0.starts_with("[generateJoi]"),
                "{}",
                e.0
            );
            prop_assert!(
                CompiledFilter::compile(&filter).is_err(),
                "compile not deterministic"
            );
            return Ok(false);
        }
    };
    let data = &input.data;
    let mut passed = [false; 2];
    for (i, mode) in [Mode::RequireAll, Mode::Partial].into_iter().enumerate() {
        passed[i] = evaluate(&compiled, data, mode)?;
    }
    // The same filter wrapped: `_and: [f]` and `_or: [f, f]` decide exactly as `f` does
    // (checked on filters of ordinary size; the huge ones only repeat the same work).
    let wraps = if generate::size(&filter) <= 2_000 {
        vec![
            json!({"_and": [filter.clone()]}),
            json!({"_or": [filter.clone(), filter.clone()]}),
        ]
    } else {
        Vec::new()
    };
    for wrapped in wraps {
        if let Ok(w) = CompiledFilter::compile(&wrapped) {
            for (i, mode) in [Mode::RequireAll, Mode::Partial].into_iter().enumerate() {
                prop_assert_eq!(
                    evaluate(&w, data, mode)?,
                    passed[i],
                    "{} disagrees",
                    wrapped
                );
            }
        }
    }
    // The condition operation's view: bare keys found in `$last`, `$trigger.body`, …
    let chain = {
        let mut c = DataChain::new(
            json!({"body": data, "query": {"status": "active"}, "headers": {"x-a": "1"}}),
            Value::Null,
            Arc::new(json!({})),
            Arc::new(json!({"id": "f", "name": "n"})),
        );
        c.record("op", data.clone());
        c
    };
    evaluate(&compiled, &ConditionSource(&chain), Mode::RequireAll)?;
    // An operator and its negation on a present top-level value: exactly one passes.
    let (key, probe) = input.probe;
    let (yes, no) = OPPOSITES[input.opposite];
    let present = data.get(&key).is_some();
    for mode in [Mode::RequireAll, Mode::Partial] {
        let a = CompiledFilter::compile(&json!({ &key: { yes: probe.clone() } }));
        let b = CompiledFilter::compile(&json!({ &key: { no: probe.clone() } }));
        if let (Ok(a), Ok(b)) = (a, b) {
            let (pa, pb) = (evaluate(&a, data, mode)?, evaluate(&b, data, mode)?);
            if present {
                prop_assert!(
                    pa != pb,
                    "{yes} and {no} agree ({pa}) on {key} = {}",
                    data[&key]
                );
            } else if mode == Mode::Partial {
                prop_assert!(pa && pb, "a missing key is skipped in partial mode");
            }
        }
    }
    Ok(true)
}

#[test]
fn filter_eval() {
    super::run("fuzz::filter_eval::filter_eval", input, 0.3, check);
}
