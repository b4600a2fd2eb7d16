//! Building and running SELECTs for one collection: chosen columns (with per-field permission
//! CASEs), conditions, search, sort, paging, counts and aggregates; rows decoded into JSON.

use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, Func, Order, Query as SqlQuery, SelectStatement,
    WindowStatement,
};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::AggFunc;
use super::filter::SqlTarget;
use super::values::{Decode, decode};
use crate::error::{ApiError, Result};
use crate::schema::{Collection, Field, FieldType};

/// A column to read. `only_when` makes it `CASE WHEN cond THEN col END` (a field granted by
/// only some permission rows is visible only on the rows those permissions select).
#[derive(Clone, Debug)]
pub struct Selected {
    pub name: String,
    pub kind: FieldType,
    pub only_when: Option<Condition>,
}

/// One `sort` key. `only_when` orders by `CASE WHEN cond THEN col END`, so rows where the
/// caller may not see the field are ordered as if it were empty. `related` replaces the
/// column with an expression (a relational path's value, `author.name`).
#[derive(Clone, Debug)]
pub struct SortKey {
    pub name: String,
    pub desc: bool,
    pub only_when: Option<Condition>,
    pub related: Option<Expr>,
}

impl SortKey {
    fn expr(&self, c: &Collection) -> Expr {
        match &self.related {
            Some(e) => e.clone(),
            None => guarded(col(c, &self.name), &self.only_when),
        }
    }

    fn order(&self) -> Order {
        if self.desc { Order::Desc } else { Order::Asc }
    }
}

/// `CASE WHEN cond THEN e END` when the value is visible only on some rows.
fn guarded(e: Expr, only_when: &Option<Condition>) -> Expr {
    match only_when {
        Some(cond) => Expr::case(cond.clone(), e).finally(Expr::null()).into(),
        None => e,
    }
}

/// A complete read.
pub struct SelectSpec<'a> {
    pub collection: &'a Collection,
    pub columns: Vec<Selected>,
    pub condition: Condition,
    pub sort: Vec<SortKey>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    /// Limit and offset count per value of this column (an o2m's children per parent),
    /// through `ROW_NUMBER() OVER (PARTITION BY …)`: one statement for every parent.
    pub per_group: Option<String>,
}

fn table(c: &Collection) -> Alias {
    Alias::new(c.name.as_str())
}

fn col(c: &Collection, name: &str) -> Expr {
    Expr::col((table(c), Alias::new(name)))
}

/// The value expression for a column (decimals read as text for exactness).
fn column_value(c: &Collection, s: &Selected) -> Expr {
    let base = if s.kind == FieldType::Decimal {
        col(c, &s.name).cast_as(Alias::new("TEXT"))
    } else {
        col(c, &s.name)
    };
    guarded(base, &s.only_when)
}

/// Runs a statement built for the connection's backend.
pub async fn run(
    db: &impl ConnectionTrait,
    stmt: &SelectStatement,
) -> Result<Vec<sea_orm::QueryResult>> {
    let built: Statement = db.get_database_backend().build(stmt);
    db.query_all_raw(built).await.map_err(ApiError::from)
}

/// Reads rows as JSON objects, columns in the order given.
pub async fn fetch(
    db: &impl ConnectionTrait,
    spec: &SelectSpec<'_>,
) -> Result<Vec<Map<String, Value>>> {
    let c = spec.collection;
    let mut stmt = SqlQuery::select();
    stmt.from(table(c));
    for (i, s) in spec.columns.iter().enumerate() {
        stmt.expr_as(column_value(c, s), Alias::new(format!("c{i}")));
    }
    if spec.columns.is_empty() {
        stmt.expr(Expr::val(1));
    }
    stmt.cond_where(spec.condition.clone());
    let stmt = match &spec.per_group {
        Some(group) if spec.limit.is_some() || spec.offset.is_some() => {
            per_group(stmt, spec, group)
        }
        _ => {
            for key in &spec.sort {
                stmt.order_by_expr(key.expr(c), key.order());
            }
            if let Some(l) = spec.limit {
                stmt.limit(l);
            }
            if let Some(o) = spec.offset {
                if spec.limit.is_none() {
                    // SQLite needs a LIMIT with OFFSET.
                    stmt.limit(i64::MAX as u64);
                }
                stmt.offset(o);
            }
            stmt
        }
    };
    let rows = run(db, &stmt).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut item = Map::with_capacity(spec.columns.len());
        for (i, s) in spec.columns.iter().enumerate() {
            item.insert(s.name.clone(), decode(&row, i, Decode::Field(s.kind)));
        }
        out.push(item);
    }
    Ok(out)
}

/// `SELECT c0… FROM (SELECT c0…, ROW_NUMBER() OVER (PARTITION BY g ORDER BY sort) AS rn
/// FROM t WHERE …) AS w WHERE rn > offset AND rn <= offset + limit ORDER BY rn`.
fn per_group(mut inner: SelectStatement, spec: &SelectSpec<'_>, group: &str) -> SelectStatement {
    let c = spec.collection;
    let mut window = WindowStatement::partition_by((table(c), Alias::new(group)));
    for key in &spec.sort {
        window.order_by_expr(key.expr(c), key.order());
    }
    inner.expr_window_as(Expr::cust("ROW_NUMBER()"), window, Alias::new("rn"));
    let w = Alias::new("w");
    let rn = || Expr::col((w.clone(), Alias::new("rn")));
    let mut outer = SqlQuery::select();
    for i in 0..spec.columns.len() {
        outer.column((w.clone(), Alias::new(format!("c{i}"))));
    }
    if spec.columns.is_empty() {
        outer.expr(Expr::val(1));
    }
    outer.from_subquery(inner, w.clone());
    let offset = spec.offset.unwrap_or(0);
    outer.and_where(rn().gt(offset as i64));
    if let Some(l) = spec.limit {
        outer.and_where(rn().lte(Ord::min(offset.saturating_add(l), i64::MAX as u64) as i64));
    }
    outer.order_by_expr(rn(), Order::Asc);
    outer
}

/// `col IN (the keys)` with every key in one bound parameter (a JSON array), so a relational
/// read is one statement however many parents it serves, within every backend's parameter
/// limit.
pub fn keys_in(c: &Collection, field: &Field, keys: &[Value], postgres: bool) -> Expr {
    let json = Value::Array(keys.to_vec()).to_string();
    let column = col(c, &field.name);
    if postgres {
        let cast = match field.kind {
            FieldType::Integer => "integer",
            FieldType::BigInteger => "bigint",
            FieldType::Uuid => "uuid",
            FieldType::Float | FieldType::Decimal => "numeric",
            _ => "text",
        };
        super::filter::custom(
            true,
            &format!(
                "$1 IN (SELECT CAST(k AS {cast}) FROM jsonb_array_elements_text(CAST($2 AS jsonb)) AS j(k))"
            ),
            vec![column, Expr::val(json)],
        )
    } else if field.kind == FieldType::Uuid {
        // SQLite keeps a bound UUID as 16 bytes, one written as text (raw SQL) as text.
        super::filter::custom(
            false,
            "$1 IN (SELECT unhex(replace(value, '-', '')) FROM json_each($2) \
             UNION ALL SELECT value FROM json_each($2))",
            vec![column, Expr::val(json)],
        )
    } else {
        super::filter::custom(
            false,
            "$1 IN (SELECT value FROM json_each($2))",
            vec![column, Expr::val(json)],
        )
    }
}

/// The value of `field` on the related row `via` leads to, as a correlated subquery (for
/// sorting by `author.name`): `(SELECT s.field FROM related AS s WHERE s.pk = outer.via AND
/// s.pk IN (SELECT pk FROM related WHERE visible))`. The alias keeps a relation to the same
/// table apart; the visibility test is uncorrelated, so permission rules need no alias.
pub fn related_value(
    outer: Expr,
    related: &Collection,
    value: Expr,
    visible: Option<Condition>,
    alias: &str,
) -> Expr {
    let s = Alias::new(alias);
    let mut q = SqlQuery::select();
    q.expr(value)
        .from_as(table(related), s.clone())
        .and_where(Expr::col((s.clone(), Alias::new(related.primary.as_str()))).eq(outer));
    if let Some(cond) = visible {
        let mut v = SqlQuery::select();
        v.column((table(related), Alias::new(related.primary.as_str())))
            .from(table(related))
            .cond_where(cond);
        q.and_where(Expr::col((s, Alias::new(related.primary.as_str()))).in_subquery(v));
    }
    Expr::SubQuery(None, Box::new(q.into()))
}

/// A column of an aliased table (`s1.name`).
pub fn aliased_col(alias: &str, name: &str) -> Expr {
    Expr::col((Alias::new(alias), Alias::new(name)))
}

/// `COUNT(*)` of rows matching a condition.
pub async fn count(db: &impl ConnectionTrait, c: &Collection, condition: Condition) -> Result<u64> {
    let mut stmt = SqlQuery::select();
    stmt.from(table(c))
        .expr_as(Func::count(Expr::cust("*")), Alias::new("n"))
        .cond_where(condition);
    let rows = run(db, &stmt).await?;
    Ok(rows
        .first()
        .map(|r| decode(r, 0, Decode::Number))
        .and_then(|v| v.as_u64())
        .unwrap_or(0))
}

/// The search condition of directus.md §6.2: text fields contain the term (case-insensitive);
/// numeric fields equal it when it is a number; uuid fields equal it when it is a uuid.
pub fn search_condition(t: &SqlTarget<'_>, term: &str) -> Condition {
    let mut any = Condition::any();
    let lowered = term.to_lowercase();
    let mut matched = false;
    for f in &t.collection.fields {
        if !(t.allowed)(&f.name) || !f.searchable() || f.concealed() {
            continue;
        }
        let c = t.col(&f.name);
        match f.kind {
            FieldType::String | FieldType::Text | FieldType::Csv => {
                let template = if t.postgres {
                    "strpos(lower($1), $2) > 0"
                } else {
                    "instr(lower($1), $2) > 0"
                };
                any = any.add(super::filter::custom(
                    t.postgres,
                    template,
                    vec![c, Expr::val(lowered.clone())],
                ));
                matched = true;
            }
            FieldType::Integer | FieldType::BigInteger => {
                if let Ok(n) = term.parse::<i64>()
                    && (f.kind == FieldType::BigInteger || i32::try_from(n).is_ok())
                {
                    any = any.add(c.eq(n));
                    matched = true;
                }
            }
            FieldType::Float | FieldType::Decimal => {
                if let Ok(n) = term.parse::<f64>()
                    && n.is_finite()
                {
                    any = any.add(c.eq(n));
                    matched = true;
                }
            }
            FieldType::Uuid => {
                if let Ok(u) = Uuid::parse_str(term) {
                    any = any.add(c.eq(u));
                    matched = true;
                }
            }
            _ => {}
        }
    }
    if matched {
        any
    } else {
        // Nothing searchable: no row matches.
        Condition::all().add(Expr::val(1).eq(0))
    }
}

/// A field an aggregate reads or groups by, with the rows it is visible on (`None`: all).
pub struct AggField<'a> {
    pub field: &'a Field,
    pub only_when: Option<Condition>,
}

/// One aggregate request, already checked against the schema and the caller's fields: a
/// field visible only on some rows is aggregated and grouped as empty on the others.
pub struct AggregateSpec<'a> {
    pub collection: &'a Collection,
    pub aggregates: Vec<(AggFunc, Option<AggField<'a>>)>,
    pub group_by: Vec<AggField<'a>>,
    pub condition: Condition,
    pub sort: Vec<SortKey>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Aggregate rows shaped like Directus: `{"count": 3}` for `count(*)`, `{"sum": {"price": 9}}`,
/// plus the group fields.
pub async fn aggregate(db: &impl ConnectionTrait, spec: &AggregateSpec<'_>) -> Result<Vec<Value>> {
    let c = spec.collection;
    let pg = db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let mut stmt = SqlQuery::select();
    stmt.from(table(c));
    let mut decoders: Vec<Decode> = Vec::new();
    for (i, g) in spec.group_by.iter().enumerate() {
        let value = column_value(
            c,
            &Selected {
                name: g.field.name.clone(),
                kind: g.field.kind,
                only_when: g.only_when.clone(),
            },
        );
        // Grouped by the expression the caller sees, named by its position (an alias could
        // collide with a column name; the expression's bound values differ between clauses).
        stmt.expr(value);
        stmt.add_group_by([Expr::cust((i + 1).to_string())]);
        decoders.push(Decode::Field(g.field.kind));
    }
    for (func, field) in &spec.aggregates {
        let target: Expr = match field {
            Some(f) => guarded(col(c, &f.field.name), &f.only_when),
            None => Expr::cust("*"),
        };
        let numeric_out = |e: Expr| e.cast_as(Alias::new("DOUBLE PRECISION"));
        let (expr, how): (Expr, Decode) = match func {
            AggFunc::Count | AggFunc::CountAll => (Func::count(target).into(), Decode::Number),
            AggFunc::CountDistinct => (Func::count_distinct(target).into(), Decode::Number),
            AggFunc::Sum => (numeric_out(Func::sum(target).into()), Decode::Number),
            AggFunc::SumDistinct => (
                numeric_out(super::filter::custom(pg, "SUM(DISTINCT $1)", vec![target])),
                Decode::Number,
            ),
            AggFunc::Avg => (numeric_out(Func::avg(target).into()), Decode::Number),
            AggFunc::AvgDistinct => (
                numeric_out(super::filter::custom(pg, "AVG(DISTINCT $1)", vec![target])),
                Decode::Number,
            ),
            AggFunc::Min | AggFunc::Max => {
                let kind = field.as_ref().map_or(FieldType::Float, |f| f.field.kind);
                let e: Expr = if *func == AggFunc::Min {
                    Func::min(target).into()
                } else {
                    Func::max(target).into()
                };
                let e = if kind == FieldType::Decimal {
                    e.cast_as(Alias::new("TEXT"))
                } else {
                    e
                };
                (e, Decode::Field(kind))
            }
        };
        stmt.expr(expr);
        decoders.push(how);
    }
    stmt.cond_where(spec.condition.clone());
    for key in &spec.sort {
        if let Some(i) = spec.group_by.iter().position(|g| g.field.name == key.name) {
            stmt.order_by_expr(Expr::cust((i + 1).to_string()), key.order());
        }
    }
    if let Some(l) = spec.limit {
        stmt.limit(l);
    }
    if let Some(o) = spec.offset {
        if spec.limit.is_none() {
            stmt.limit(i64::MAX as u64);
        }
        stmt.offset(o);
    }
    let rows = run(db, &stmt).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut item = Map::new();
        let mut i = 0;
        for g in &spec.group_by {
            item.insert(g.field.name.clone(), decode(&row, i, decoders[i]));
            i += 1;
        }
        for (func, field) in &spec.aggregates {
            let v = decode(&row, i, decoders[i]);
            let v = if matches!(
                func,
                AggFunc::Count | AggFunc::CountAll | AggFunc::CountDistinct
            ) {
                if Value::is_null(&v) { json!(0) } else { v }
            } else {
                v
            };
            let key = func.as_str().to_owned();
            match field {
                None => {
                    item.insert(key, v);
                }
                Some(f) => {
                    let slot = item.entry(key).or_insert_with(|| json!({}));
                    if let Some(o) = slot.as_object_mut() {
                        o.insert(f.field.name.clone(), v);
                    }
                }
            }
            i += 1;
        }
        out.push(Value::Object(item));
    }
    Ok(out)
}
