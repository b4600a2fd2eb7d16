//! Fuzz target: the bracket query string (`query::qs::parse` with its limits, then
//! `Query::from_params`, then the filter into SQL for both backends). Inputs are Directus-style
//! parameters (`filter[a][_in][]=1`, `fields[]=a`, `aggregate[count]=*`), their broken forms
//! (`a[b][][c]`, `a[%5B]`, `a]=`, unclosed brackets, stray `%`), thousands of parameters, and
//! raw text. Beyond "no panic, no hang": every value of the first `parameter_limit` pairs is
//! kept (qs never drops a value silently), nesting stays within the depth limit, and bad values
//! are `400 INVALID_QUERY`.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::generate;
use super::sql::{FIELDS, MARK, check_filter};
use crate::query::Query;
use crate::query::qs::{self, QsLimits};

const HEADS: &[&str] = &[
    "filter",
    "fields",
    "sort",
    "limit",
    "offset",
    "page",
    "search",
    "meta",
    "aggregate",
    "groupBy",
    "deep",
    "export",
    "a",
    "",
    "filter[",
    "%5B",
    "]",
];

const SEGMENTS: &[&str] = &[
    "[name]",
    "[qty]",
    "[body]",
    "[made]",
    "[year(made)]",
    "[flag]",
    "[_eq]",
    "[_neq]",
    "[_in]",
    "[_nin]",
    "[_gt]",
    "[_between]",
    "[_contains]",
    "[_null]",
    "[_and]",
    "[_or]",
    "[_bogus]",
    "[count]",
    "[sum]",
    "[0]",
    "[1]",
    "[2]",
    "[499]",
    "[500]",
    "[501]",
    "[600]",
    "[-1]",
    "[01]",
    "[]",
    "[ ]",
    "[%5B]",
    "[%5D]",
    "%5Bname%5D",
    "[",
    "]",
    "][",
    "[[a]]",
    "[a",
    "a]",
    "[a]b",
    "[\u{fffd}]",
];

const VALUES: &[&str] = &[
    "",
    "1",
    "-1",
    "-2",
    "5",
    "abc",
    "id,name",
    "-id",
    "*",
    "total_count",
    "filter_count",
    "true",
    "null",
    "$NOW",
    "$NOW(-1 day)",
    "$CURRENT_USER",
    "$CURRENT_USER.email",
    "2024-01-01",
    "1e999",
    "99999999999999999999",
    "{\"name\":{\"_eq\":\"x\"}}",
    "{\"_or\":[{\"qty\":{\"_gt\":1}},{\"name\":{\"_null\":true}}]}",
    "{\"name\":",
    "[1,2]",
    "%00",
    "%",
    "%zz",
    "a+b",
    "%E2%82%AC",
    "=",
    "==",
];

/// `%`-escapes some bytes of `s`, as browsers and clients do (or don't).
fn encode(s: &str, mode: u8) -> String {
    match mode % 3 {
        0 => s.to_owned(),
        1 => form_urlencoded::byte_serialize(s.as_bytes()).collect(),
        _ => s
            .bytes()
            .map(|b| match b {
                b'&' | b'=' | b'#' | b'+' | 0x80..=0xff | 0..=0x20 => format!("%{b:02X}"),
                _ => char::from(b).to_string(),
            })
            .collect(),
    }
}

fn value() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(VALUES).prop_map(str::to_owned),
        2 => (generate::text(), any::<u8>()).prop_map(|(t, m)| encode(&format!("{MARK}{t}"), m)),
        1 => (generate::json(), any::<u8>()).prop_map(|(v, m)| encode(&v.to_string(), m)),
    ]
    .boxed()
}

fn param() -> BoxedStrategy<String> {
    (
        prop::sample::select(HEADS),
        prop::collection::vec(prop::sample::select(SEGMENTS), 0..6),
        prop::option::weighted(0.9, value()),
        any::<u8>(),
    )
        .prop_map(|(head, segs, value, mode)| {
            let key = format!("{head}{}", segs.concat());
            let key = if mode % 4 == 3 { encode(&key, 1) } else { key };
            match value {
                Some(v) => format!("{key}={v}"),
                None => key,
            }
        })
        .boxed()
}

/// A parameter Directus clients send, in bracket or JSON syntax.
fn good_param() -> BoxedStrategy<String> {
    let field = || prop::sample::select(FIELDS.iter().map(|f| f.0).collect::<Vec<_>>());
    let op = prop::sample::select(crate::query::filter::OPERATORS);
    let scalar = prop::sample::select(vec![
        "5",
        "-1",
        "0.5",
        "true",
        "false",
        "null",
        "a",
        "2024-01-01",
        "2024-01-01T10:00:00Z",
        "12:30:00",
        "11111111-1111-4111-8111-111111111111",
        "$NOW(-1 day)",
        "$CURRENT_USER",
    ]);
    prop_oneof![
        4 => (field(), op, scalar.clone()).prop_map(|(f, o, v)| format!("filter[{f}][{o}]={v}")),
        1 => (field(), prop::sample::select(vec!["_in", "_nin", "_between"]), prop::collection::vec(scalar, 1..4))
            .prop_map(|(f, o, vs)| {
                vs.iter().map(|v| format!("filter[{f}][{o}][]={v}")).collect::<Vec<_>>().join("&")
            }),
        1 => (prop::sample::select(vec!["_and", "_or"]), field(), 0usize..3)
            .prop_map(|(l, f, i)| format!("filter[{l}][{i}][{f}][_nnull]=true")),
        2 => prop::collection::vec(field(), 1..4).prop_map(|f| format!("fields={}", f.join(","))),
        1 => field().prop_map(|f| format!("fields[]={f}")),
        2 => (field(), any::<bool>()).prop_map(|(f, d)| format!("sort={}{f}", if d { "-" } else { "" })),
        2 => (prop::sample::select(vec!["limit", "offset", "page"]), -1i64..200)
            .prop_map(|(k, n)| format!("{k}={}", n.max(0))),
        1 => generate::text().prop_map(|t| format!("search={}", encode(&format!("{MARK}{t}"), 1))),
        1 => prop::sample::select(vec!["total_count", "filter_count", "*", "total_count,filter_count"])
            .prop_map(|m| format!("meta={m}")),
        1 => (prop::sample::select(vec!["count", "sum", "avg", "min", "countDistinct"]), field())
            .prop_map(|(a, f)| format!("aggregate[{a}]={f}")),
        1 => field().prop_map(|f| format!("groupBy={f}")),
    ]
    .boxed()
}

fn raw_query() -> BoxedStrategy<String> {
    prop_oneof![
        12 => prop::collection::vec(prop_oneof![3 => good_param(), 2 => param()], 0..8)
            .prop_map(|p| p.join("&")),
        // Thousands of parameters: the parameter limit, array limits, the rule budget.
        1 => (900usize..6_000, param()).prop_map(|(n, p)| vec![p; n].join("&")),
        1 => (900usize..3_000).prop_map(|n| {
            (0..n).map(|i| format!("filter[_or][][qty][_eq]={i}")).collect::<Vec<_>>().join("&")
        }),
        1 => (1usize..1_200).prop_map(|n| (0..n).map(|i| format!("a[{i}]=x")).collect::<Vec<_>>().join("&")),
        // Deep keys.
        1 => (5usize..200).prop_map(|n| format!("filter{}=1", "[_and][0]".repeat(n))),
        // Raw text and separators.
        2 => "[a-z&=\\[\\]%0-9+;#.]{0,80}",
        1 => any::<String>(),
    ]
    .boxed()
}

fn limits() -> BoxedStrategy<QsLimits> {
    prop_oneof![
        3 => Just(QsLimits::default()),
        1 => (0usize..20, 0usize..1_000, 0usize..2_000).prop_map(|(depth, array_limit, parameter_limit)| {
            QsLimits { depth, array_limit, parameter_limit }
        }),
    ]
    .boxed()
}

fn leaves(v: &Value) -> usize {
    match v {
        Value::String(_) => 1,
        Value::Array(items) => items.iter().map(leaves).sum(),
        Value::Object(map) => map.values().map(leaves).sum(),
        _ => 0,
    }
}

fn check((raw, limits): (String, QsLimits)) -> super::CaseResult {
    let params: Map<String, Value> = qs::parse(&raw, &limits);
    let given = form_urlencoded::parse(raw.as_bytes())
        .take(limits.parameter_limit)
        .filter(|(k, _)| !k.is_empty())
        .count();
    let root = Value::Object(params);
    prop_assert_eq!(leaves(&root), given, "a value was dropped: {}", root);
    let depth = generate::depth(&root);
    prop_assert!(
        depth <= limits.depth + 3,
        "depth {} over limit {}",
        depth,
        limits.depth
    );
    let Value::Object(params) = root else {
        return Ok(false);
    };
    match Query::from_params(&params) {
        Ok(q) => {
            if let Some(f) = &q.filter {
                check_filter(f, q.search.as_deref())?;
            }
            Ok(q != Query::default())
        }
        Err(e) => {
            prop_assert_eq!(e.code(), "INVALID_QUERY", "{}", e.message());
            prop_assert_eq!(e.status().as_u16(), 400);
            let body = e.body();
            prop_assert_eq!(&body["errors"][0]["extensions"]["code"], "INVALID_QUERY");
            Ok(false)
        }
    }
}

#[test]
fn query_string() {
    super::run(
        "fuzz::query_string::query_string",
        || (raw_query(), limits()),
        0.3,
        check,
    );
}
