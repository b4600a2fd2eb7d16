//! Fuzz target for the query module (`docs/fuzzing.md`): random, nested and hostile filter
//! and query JSON (`Query::from_json`, `filter::parse`, dynamic variables, `to_condition`, the
//! search condition) built into SQL for both backends, run under the fuzzing harness of
//! `crate::fuzz`. Whatever the input: no panic, no hang, refusals are `INVALID_QUERY` or
//! `FORBIDDEN`, and no user-supplied string ever reaches the SQL text — only the bound values.

use proptest::prelude::*;
use sea_orm::sea_query::{
    Alias, Asterisk, PostgresQueryBuilder, Query as SqlQuery, SqliteQueryBuilder,
};
use serde_json::{Map, Value, json};

use super::Query;
use super::filter::{self, SqlTarget};
use crate::fuzz::generate::{self as gen_shared, json_bytes};
use crate::fuzz::sql::{FIELDS, MARK, check_filter, sample};

/// Operator names beyond the SQL ones: refused in queries, so the fuzzer must see them too.
const EXTRA_OPERATORS: &[&str] = &["_regex", "_some", "_and", "_or"];

/// Every name the fuzzer tries as an operator.
fn operators() -> Vec<&'static str> {
    super::filter::OPERATORS
        .iter()
        .chain(EXTRA_OPERATORS)
        .copied()
        .collect()
}

const FUNCTIONS: &[&str] = &[
    "year", "month", "week", "day", "weekday", "hour", "minute", "second", "count",
];

/// Pieces of text that break naive SQL, JSON or LIKE handling.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "'",
            "''",
            "\"",
            "`",
            "--",
            ";",
            "\0",
            "'; DROP TABLE sample; --",
            "\" OR 1=1 --",
            "') OR ('1'='1",
            "%",
            "_",
            "\\",
            "\\'",
            "$1",
            "$2",
            "?",
            "/*",
            "*/",
            "ü€😀\u{202e}",
            "\u{1}\u{7f}\u{fffd}",
            "99999999999999999999999999999",
            "1e999",
            "$NOW",
            "$CURRENT_USER",
            "null",
            " ",
            "\n",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,10}",
        ".{0,6}",
        gen_shared::fragment(),
    ]
}

/// A user-supplied string: hostile fragments between markers.
fn user_string() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..4)
        .prop_map(|parts| format!("{MARK}{}{MARK}", parts.concat()))
}

fn number() -> impl Strategy<Value = Value> {
    gen_shared::number()
}

/// Strings the query module interprets: dynamic variables (with absurd adjustments), literals,
/// dates, lists, uuids.
fn meaningful() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "$NOW",
            "$NOW(-1 hour)",
            "$NOW(+2 days)",
            "$NOW(-99999999999999999999999999 days)",
            "$NOW(99999999999999999999 years)",
            "$NOW(-9223372036854775808 ms)",
            "$NOW(1.5 months)",
            "$NOW(garbage)",
            "$NOW()",
            "$CURRENT_USER",
            "$CURRENT_USER.email",
            "$CURRENT_USER.a.b.c",
            "$CURRENT_USER.a.b",
            "$CURRENT_USER.n",
            "$CURRENT_USER.",
            "$CURRENT_ROLE.name",
            "$CURRENT_ROLE.x.y",
            "$CURRENT_ROLE",
            "$CURRENT_ROLES",
            "$CURRENT_POLICIES",
            "true",
            "false",
            "null",
            "NULL",
            "",
            "10",
            "-3.5",
            "1,2,3",
            "a,b",
            "2024-01-01",
            "2024-01-01T10:00:00Z",
            "2024-01-01 10:00:00",
            "12:30:00",
            "11111111-1111-4111-8111-111111111111",
        ])
        .prop_map(str::to_owned),
        (
            prop::sample::select(vec!["", "-", "+"]),
            "[0-9]{1,30}(\\.[0-9]{0,5})?",
            prop::sample::select(vec![
                "", " ", "ms", " s", "m", " hours", "d", "w", "mo", " y"
            ]),
        )
            .prop_map(|(sign, n, unit)| format!("$NOW({sign}{n}{unit})")),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => number(),
        4 => user_string().prop_map(Value::String),
        2 => meaningful().prop_map(Value::String),
    ]
}

fn any_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(FIELDS.iter().map(|f| f.0.to_owned()).collect::<Vec<_>>()),
        prop::sample::select(operators()).prop_map(str::to_owned),
        user_string(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((any_key(), inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A filter key: a field, a function of a field, or hostile text.
fn field_key() -> impl Strategy<Value = String> {
    let field = prop::sample::select(FIELDS.iter().map(|f| f.0).collect::<Vec<_>>());
    prop_oneof![
        8 => field.clone().prop_map(str::to_owned),
        2 => (prop::sample::select(FUNCTIONS.to_vec()), field).prop_map(|(f, x)| format!("{f}({x})")),
        1 => user_string(),
        1 => user_string().prop_map(|s| format!("year({s})")),
        1 => user_string().prop_map(|s| format!("{s}(name)")),
    ]
}

fn operator() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(operators()).prop_map(str::to_owned),
        1 => user_string().prop_map(|s| format!("_{s}")),
    ]
}

/// An operator's argument: scalars, lists (also as comma strings and index objects), junk.
fn operand() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => leaf(),
        2 => prop::collection::vec(leaf(), 0..4).prop_map(Value::Array),
        1 => prop::collection::vec(leaf(), 0..3).prop_map(|items| {
            Value::Object(items.into_iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect())
        }),
        1 => json_value(),
    ]
}

fn rule() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (field_key(), prop::collection::vec((operator(), operand()), 1..3)).prop_map(|(f, ops)| {
            let ops: Map<String, Value> = ops.into_iter().collect();
            json!({ f: ops })
        }),
        1 => (field_key(), leaf()).prop_map(|(f, v)| json!({ f: v })),
    ]
}

fn filter_json() -> impl Strategy<Value = Value> {
    rule().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| json!({"_and": v})),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| json!({"_or": v})),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|parts| {
                let mut merged = Map::new();
                for p in parts {
                    if let Value::Object(o) = p {
                        merged.extend(o);
                    }
                }
                Value::Object(merged)
            }),
            json_value(),
        ]
    })
}

fn field_list() -> impl Strategy<Value = Value> {
    prop_oneof![
        field_key().prop_map(Value::String),
        prop::collection::vec(field_key(), 0..4).prop_map(|v| json!(v.join(","))),
        prop::collection::vec(field_key(), 0..4).prop_map(|v| json!(v)),
        prop::collection::vec(field_key(), 0..3)
            .prop_map(|v| json!(v.into_iter().map(|f| format!("-{f}")).collect::<Vec<_>>())),
        json_value(),
    ]
}

fn query_json() -> impl Strategy<Value = Value> {
    let filter = prop_oneof![
        3 => filter_json(),
        1 => filter_json().prop_map(|f| Value::String(f.to_string())),
        1 => user_string().prop_map(Value::String),
    ];
    (
        prop::option::of(filter),
        prop::option::of(field_list()),
        prop::option::of(field_list()),
        prop::option::of(prop_oneof![leaf(), number()]),
        prop::option::of(prop_oneof![leaf(), number()]),
        prop::option::of(prop_oneof![leaf(), number()]),
        prop::option::of(prop_oneof![user_string().prop_map(Value::String), leaf()]),
        prop::option::of(prop_oneof![
            prop::sample::select(vec!["*", "total_count", "filter_count", "total_count,x"])
                .prop_map(|s| json!(s)),
            json_value(),
        ]),
        prop::option::of(prop_oneof![
            (any_key(), field_list()).prop_map(|(k, v)| json!({ k: v })),
            json_value(),
            json_value().prop_map(|v| Value::String(v.to_string())),
        ]),
        prop::option::of(field_list()),
    )
        .prop_map(
            |(filter, fields, sort, limit, offset, page, search, meta, aggregate, group_by)| {
                let mut q = Map::new();
                for (k, v) in [
                    ("filter", filter),
                    ("fields", fields),
                    ("sort", sort),
                    ("limit", limit),
                    ("offset", offset),
                    ("page", page),
                    ("search", search),
                    ("meta", meta),
                    ("aggregate", aggregate),
                    ("groupBy", group_by),
                ] {
                    if let Some(v) = v {
                        q.insert(k.to_owned(), v);
                    }
                }
                Value::Object(q)
            },
        )
}

/// Filters at and past the limits: nesting around `MAX_DEPTH`, rule counts around
/// `MAX_RULES`, lists around `MAX_LIST`, very long values.
fn hostile_filter() -> impl Strategy<Value = Value> {
    let depth = filter::MAX_DEPTH;
    let rules = filter::MAX_RULES;
    let list = filter::MAX_LIST;
    prop_oneof![
        (depth - 3..depth + 5, rule())
            .prop_map(|(n, r)| (0..n).fold(r, |acc, _| json!({"_and": [acc]}))),
        (depth - 3..depth + 5, rule())
            .prop_map(|(n, r)| (0..n).fold(r, |acc, _| json!({"_or": [acc, {}]}))),
        (rules - 3..rules + 3, rule()).prop_map(|(n, r)| json!({"_or": vec![r; n]})),
        (
            list - 3..list + 3,
            prop::sample::select(vec!["_in", "_nin", "_between"]),
            field_key()
        )
            .prop_map(|(n, op, f)| json!({ f: { op: (0..n).collect::<Vec<_>>() } })),
        (list - 3..list + 3, field_key())
            .prop_map(|(n, f)| json!({ f: { "_in": vec!["1"; n].join(",") } })),
        (field_key(), gen_shared::long_text(), operator())
            .prop_map(|(f, t, op)| json!({ f: { op: format!("{MARK}{t}") } })),
        gen_shared::deep(rule().boxed()),
    ]
}

/// One input of the SQL target.
#[derive(Clone, Debug)]
enum SqlInput {
    Filter(Value),
    Query(Value),
    Json(Value),
    Search(String),
    /// A `filter` parameter as JSON text, possibly mangled.
    Text(Vec<u8>),
}

fn sql_input() -> impl Strategy<Value = SqlInput> {
    prop_oneof![
        8 => filter_json().prop_map(SqlInput::Filter),
        1 => hostile_filter().prop_map(SqlInput::Filter),
        4 => query_json().prop_map(SqlInput::Query),
        2 => json_value().prop_map(SqlInput::Json),
        1 => user_string().prop_map(SqlInput::Search),
        2 => json_bytes(filter_json().boxed()).prop_map(SqlInput::Text),
    ]
}

fn check_query(q: &Value) -> Result<bool, TestCaseError> {
    // Also as the JSON string a flow option may carry.
    let _ = Query::from_json(&Value::String(q.to_string()));
    match Query::from_json(q) {
        Ok(parsed) => {
            let filter = parsed.filter.clone().unwrap_or_else(|| json!({}));
            let built = check_filter(&filter, parsed.search.as_deref())?;
            if let Some(s) = &parsed.search {
                prop_assert!(!s.contains('\0'));
            }
            if let Some(l) = parsed.limit {
                prop_assert!(l >= -1);
            }
            Ok(built || parsed.filter.is_none())
        }
        Err(e) => {
            prop_assert_eq!(e.code(), "INVALID_QUERY");
            Ok(false)
        }
    }
}

fn check_sql(input: SqlInput) -> crate::fuzz::CaseResult {
    match input {
        SqlInput::Filter(f) => check_filter(&f, None),
        SqlInput::Query(q) => check_query(&q),
        SqlInput::Json(v) => {
            let _ = Query::from_json(&v);
            if let Ok(p) = filter::parse(&v) {
                let coll = sample();
                let all = |_: &str| true;
                for postgres in [false, true] {
                    let t = SqlTarget {
                        collection: &coll,
                        postgres,
                        allowed: &all,
                        guards: &[],
                        relations: None,
                        path: "",
                    };
                    if let Ok(c) = filter::to_condition(&p, &t) {
                        let sql = crate::fuzz::sql::sql_text(c, postgres);
                        prop_assert!(!sql.contains(MARK), "{sql}");
                    }
                }
            }
            Ok(false)
        }
        SqlInput::Search(term) => check_filter(&json!({}), Some(&term)),
        SqlInput::Text(bytes) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            check_query(&json!({ "filter": text }))
        }
    }
}

/// Filter and query JSON through the parser into SQL for both backends.
#[test]
fn filter_sql() {
    crate::fuzz::run("query::fuzz::filter_sql", sql_input, 0.2, check_sql);
}

#[test]
fn hostile_values_land_in_the_bound_values() {
    let coll = sample();
    let all = |_: &str| true;
    let hostile = format!("{MARK}'; DROP TABLE sample; --\"%_");
    for op in [
        "_eq",
        "_neq",
        "_contains",
        "_nicontains",
        "_starts_with",
        "_iends_with",
    ] {
        let f = filter::parse(&json!({"name": {op: hostile}})).unwrap();
        for postgres in [false, true] {
            let t = SqlTarget {
                collection: &coll,
                postgres,
                allowed: &all,
                guards: &[],
                relations: None,
                path: "",
            };
            let cond = filter::to_condition(&f, &t).unwrap();
            let mut stmt = SqlQuery::select();
            stmt.from(Alias::new("sample"))
                .column(Asterisk)
                .cond_where(cond);
            let (sql, values) = if postgres {
                stmt.build(PostgresQueryBuilder)
            } else {
                stmt.build(SqliteQueryBuilder)
            };
            assert!(!sql.contains(MARK), "{sql}");
            let bound = format!("{values:?}");
            assert!(bound.contains(MARK), "{op}: {bound}");
        }
    }
}

#[test]
fn absurd_now_adjustments_do_not_panic() {
    let now = chrono::Utc::now();
    for adj in [
        "-99999999999999999999999999 days",
        "99999999999999999999999999 days",
        "-9223372036854775808 ms",
        "9223372036854775807 ms",
        "-9223372036854775808",
        "1e30 years",
        "-99999999999 years",
        "99999999999 months",
        "-0.0000001 s",
    ] {
        let _ = filter::adjust_date(now, adj);
    }
}
