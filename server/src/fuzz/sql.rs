//! The SQL end of the query fuzz targets: a sample collection with every field type, and the
//! check that runs a filter (and each part of it) through `resolve_dynamic`, `filter::parse`,
//! `to_condition` and the search condition into SELECT text for both backends, asserting that
//! refusals are `INVALID_QUERY` / `FORBIDDEN` and that no user-supplied text (marked with
//! [`MARK`]) ever reaches the SQL text, only the bound values.

use proptest::prelude::*;
use sea_orm::sea_query::{
    Alias, Asterisk, Condition, Expr, ExprTrait, PostgresQueryBuilder, Query as SqlQuery,
    SqliteQueryBuilder,
};
use serde_json::{Value, json};

use crate::query::filter::{self, DynamicContext, SqlTarget};
use crate::query::select::search_condition;
use crate::schema::{Collection, Field, FieldType};

/// Every generated user string carries this marker, which no SQL the builders write contains.
pub(crate) const MARK: &str = "§¤";

pub(crate) const FIELDS: &[(&str, FieldType)] = &[
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

pub(crate) fn sample() -> Collection {
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

/// The dynamic variables of a signed-in user whose fields hold marked, hostile text.
pub(crate) fn context() -> DynamicContext {
    let fields = |v: Value| v.as_object().cloned().unwrap_or_default();
    DynamicContext {
        now: chrono::Utc::now(),
        user: Some("11111111-1111-4111-8111-111111111111".into()),
        role: Some("22222222-2222-4222-8222-222222222222".into()),
        roles: vec!["22222222-2222-4222-8222-222222222222".into()],
        policies: vec![format!("{MARK}policy")],
        user_fields: Some(fields(json!({
            "email": format!("{MARK}x'--@example.com"),
            "a": {"b": {"c": [format!("{MARK}\0")]}},
            "n": 5,
        }))),
        role_fields: Some(fields(json!({"name": format!("{MARK}\"role")}))),
    }
}

/// Builds the SELECT for a condition on one backend and returns the SQL text.
pub(crate) fn sql_text(cond: Condition, postgres: bool) -> String {
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

/// Most parts of one filter checked on their own (a thousand-rule filter is checked whole and
/// through its first parts; checking every rule again would only repeat the same work).
const MAX_PARTS: usize = 64;

/// The filter and every part of it that is a filter on its own (branches of `_and`/`_or`,
/// and each single `{field: {op: value}}`), so one bad rule does not hide the good ones.
fn parts(f: &Value, out: &mut Vec<Value>) {
    if out.len() >= MAX_PARTS {
        return;
    }
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

/// Runs a filter (and each of its parts) through the pipeline on both backends; true when
/// some part became SQL.
pub(crate) fn check_filter(f: &Value, search: Option<&str>) -> Result<bool, TestCaseError> {
    let mut all = Vec::new();
    parts(f, &mut all);
    let mut built = false;
    for p in &all {
        built |= check_one(p, search)?;
    }
    Ok(built)
}

/// Runs one filter through the whole pipeline on both backends; checks the SQL text.
fn check_one(f: &Value, search: Option<&str>) -> Result<bool, TestCaseError> {
    let coll = sample();
    let mut resolved = f.clone();
    filter::resolve_dynamic(&mut resolved, &context());
    let parsed = filter::parse(&resolved);
    if let Err(e) = &parsed {
        // A relational path answers like an unknown field.
        let expected = match e.code() {
            "INVALID_QUERY" => 400,
            "FORBIDDEN" => 403,
            other => {
                return Err(TestCaseError::fail(format!(
                    "unexpected error {other} for {f}"
                )));
            }
        };
        prop_assert_eq!(e.status().as_u16(), expected);
    }
    let mut built = false;
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
            relations: None,
            path: "",
        };
        let mut cond = Condition::all();
        if let Ok(p) = &parsed {
            match filter::to_condition(p, &t) {
                Ok(c) => {
                    cond = cond.add(c);
                    built = true;
                }
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
    Ok(built)
}
