//! Property tests: random, nested and hostile filter and query JSON thrown at the query module
//! (`Query::from_json`, `filter::parse`, dynamic variables, `to_condition`, the search
//! condition) and built into SQL for both backends. Whatever the input: no panic, and no
//! user-supplied string ever reaches the SQL text — only the bound values.

use proptest::prelude::*;
use sea_orm::sea_query::{
    Alias, Asterisk, Condition, Expr, ExprTrait, PostgresQueryBuilder, Query as SqlQuery,
    SqliteQueryBuilder,
};
use serde_json::{Map, Number, Value, json};

use super::Query;
use super::filter::{self, DynamicContext, SqlTarget};
use super::select::search_condition;
use crate::schema::{Collection, Field, FieldType};

/// Every generated user string carries this marker, which no SQL the builders write contains.
const MARK: &str = "§¤";

const FIELDS: &[(&str, FieldType)] = &[
    ("id", FieldType::Integer),
    ("name", FieldType::String),
    ("body", FieldType::Text),
    ("qty", FieldType::Integer),
    ("big", FieldType::BigInteger),
    ("price", FieldType::Float),
    ("cost", FieldType::Decimal),
    ("flag", FieldType::Boolean),
    ("data", FieldType::Json),
    ("ref", FieldType::Uuid),
    ("day", FieldType::Date),
    ("at", FieldType::Time),
    ("made", FieldType::DateTime),
    ("stamp", FieldType::Timestamp),
    ("tags", FieldType::Csv),
    ("pass", FieldType::Hash),
];

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

fn sample() -> Collection {
    let fields = FIELDS
        .iter()
        .map(|(name, kind)| Field {
            name: (*name).to_owned(),
            kind: *kind,
            nullable: *name != "id",
            unique: false,
            primary_key: *name == "id",
            auto_increment: *name == "id",
            default_value: None,
            max_length: (*kind == FieldType::String).then_some(255),
            numeric_precision: None,
            numeric_scale: None,
            special: Vec::new(),
            meta: None,
        })
        .collect();
    Collection::new("sample".into(), fields, None)
}

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
    ]
}

/// A user-supplied string: hostile fragments between markers.
fn user_string() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..4)
        .prop_map(|parts| format!("{MARK}{}{MARK}", parts.concat()))
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        prop::sample::select(vec![
            json!(0),
            json!(-1),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(1e308),
            json!(-1e308),
            json!(2_147_483_648i64),
            json!(0.5),
        ]),
    ]
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

fn context() -> DynamicContext {
    DynamicContext {
        now: chrono::Utc::now(),
        user: Some("11111111-1111-4111-8111-111111111111".into()),
        role: None,
        roles: vec!["22222222-2222-4222-8222-222222222222".into()],
        policies: Vec::new(),
        user_fields: Some(
            json!({"email": format!("{MARK}x'--@example.com")})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ),
        role_fields: None,
    }
}

/// Builds the SELECT for a condition on one backend and returns the SQL text.
fn sql_text(cond: Condition, postgres: bool) -> String {
    let mut stmt = SqlQuery::select();
    stmt.from(Alias::new("sample"))
        .column(Asterisk)
        .cond_where(cond);
    if postgres {
        stmt.build(PostgresQueryBuilder).0
    } else {
        stmt.build(SqliteQueryBuilder).0
    }
}

/// The filter and every part of it that is a filter on its own (branches of `_and`/`_or`,
/// and each single `{field: {op: value}}`), so one bad rule does not hide the good ones.
fn parts(f: &Value, out: &mut Vec<Value>) {
    out.push(f.clone());
    let Value::Object(o) = f else {
        return;
    };
    for (k, v) in o {
        match (k.as_str(), v) {
            ("_and" | "_or", Value::Array(items)) => items.iter().for_each(|i| parts(i, out)),
            (_, Value::Object(ops)) if o.len() > 1 || ops.len() > 1 => {
                for (op, arg) in ops {
                    out.push(json!({ k: { op: arg } }));
                }
            }
            (_, v) if o.len() > 1 => out.push(json!({ k: v })),
            _ => {}
        }
    }
}

/// Runs a filter (and each of its parts) through the pipeline on both backends.
fn check_filter(f: &Value, search: Option<&str>) -> Result<(), TestCaseError> {
    let mut all = Vec::new();
    parts(f, &mut all);
    for p in &all {
        check_one(p, search)?;
    }
    Ok(())
}

/// Runs one filter through the whole pipeline on both backends; checks the SQL text.
fn check_one(f: &Value, search: Option<&str>) -> Result<(), TestCaseError> {
    let coll = sample();
    let mut resolved = f.clone();
    filter::resolve_dynamic(&mut resolved, &context());
    let parsed = filter::parse(&resolved);
    for postgres in [false, true] {
        // A partially granted field, as permissions produce them.
        let guards = vec![(
            "body".to_owned(),
            Condition::all().add(Expr::col(Alias::new("flag")).eq(true)),
        )];
        let allowed = |name: &str| name != "pass";
        let t = SqlTarget {
            collection: &coll,
            postgres,
            allowed: &allowed,
            guards: &guards,
        };
        let mut cond = Condition::all();
        if let Ok(p) = &parsed {
            match filter::to_condition(p, &t) {
                Ok(c) => cond = cond.add(c),
                Err(e) => prop_assert!(
                    matches!(e.code(), "INVALID_QUERY" | "FORBIDDEN"),
                    "unexpected error {} for {f}",
                    e.code()
                ),
            }
        }
        if let Some(term) = search {
            cond = cond.add(search_condition(&t, term));
        }
        let sql = sql_text(cond, postgres);
        prop_assert!(
            !sql.contains(MARK),
            "user text reached the SQL ({}): {sql}\nfilter: {f}",
            if postgres { "postgres" } else { "sqlite" }
        );
        prop_assert!(!sql.contains('\0'), "NUL in SQL: {sql:?}");
        prop_assert!(!sql.contains("DROP"), "{sql}");
    }
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 768,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_filters_never_panic_and_stay_bound(f in filter_json()) {
        check_filter(&f, None)?;
    }

    #[test]
    fn random_queries_never_panic_and_stay_bound(q in query_json()) {
        // Also as the JSON string a flow option may carry.
        let _ = Query::from_json(&Value::String(q.to_string()));
        match Query::from_json(&q) {
            Ok(parsed) => {
                let filter = parsed.filter.clone().unwrap_or_else(|| json!({}));
                check_filter(&filter, parsed.search.as_deref())?;
                if let Some(s) = &parsed.search {
                    prop_assert!(!s.contains('\0'));
                }
                if let Some(l) = parsed.limit {
                    prop_assert!(l >= -1);
                }
            }
            Err(e) => prop_assert_eq!(e.code(), "INVALID_QUERY"),
        }
    }

    #[test]
    fn arbitrary_json_is_refused_cleanly(v in json_value()) {
        let _ = Query::from_json(&v);
        if let Ok(p) = filter::parse(&v) {
            let coll = sample();
            let all = |_: &str| true;
            for postgres in [false, true] {
                let t = SqlTarget { collection: &coll, postgres, allowed: &all, guards: &[] };
                if let Ok(c) = filter::to_condition(&p, &t) {
                    let sql = sql_text(c, postgres);
                    prop_assert!(!sql.contains(MARK), "{sql}");
                }
            }
        }
    }

    #[test]
    fn hostile_search_terms_are_bound(term in user_string()) {
        check_filter(&json!({}), Some(&term))?;
    }
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
