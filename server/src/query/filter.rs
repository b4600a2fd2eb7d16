//! Filter rules (directus.md §5): parsing the JSON into a tree, resolving dynamic variables
//! (`$NOW(…)`, `$CURRENT_USER`, …), and turning the tree into a SQL condition with every
//! user value bound as a parameter (never spliced into SQL text).

use std::sync::Arc;

use chrono::{DateTime, Duration, Months, Utc};
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, Func, Query as SqlQuery, SimpleExpr, Value as SqlValue,
};
use serde_json::{Map, Value};

use super::values::{ValueError, format_timestamp, to_sql};
use crate::error::ApiError;
use crate::schema::{Collection, Field, FieldType, Link, Schema};

/// Nesting and size limits for filters.
pub const MAX_DEPTH: usize = 32;
pub const MAX_RULES: usize = 1000;
pub const MAX_LIST: usize = 5000;

/// A date part function applied to a field (`year(date_created)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatePart {
    Year,
    Month,
    Week,
    Day,
    Weekday,
    Hour,
    Minute,
    Second,
}

impl DatePart {
    fn parse(s: &str) -> Option<DatePart> {
        Some(match s {
            "year" => DatePart::Year,
            "month" => DatePart::Month,
            "week" => DatePart::Week,
            "day" => DatePart::Day,
            "weekday" => DatePart::Weekday,
            "hour" => DatePart::Hour,
            "minute" => DatePart::Minute,
            "second" => DatePart::Second,
            _ => return None,
        })
    }
}

/// How a rule on related rows counts them (directus.md §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    /// `{author: {name: …}}`: the related row matches (for an o2m: some child does).
    Implicit,
    /// `_some`: at least one related row matches.
    Some,
    /// `_none`: no related row matches.
    None,
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Rule {
        field: String,
        part: Option<DatePart>,
        op: String,
        value: Value,
    },
    /// A filter on the rows a relational field leads to.
    Related {
        field: String,
        quantifier: Quantifier,
        inner: Box<Filter>,
    },
}

impl Filter {
    /// Every root field the filter touches (for permission checks).
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Filter::And(v) | Filter::Or(v) => v.iter().for_each(|f| f.fields(out)),
            Filter::Rule { field, .. } | Filter::Related { field, .. } => {
                if !out.contains(field) {
                    out.push(field.clone());
                }
            }
        }
    }

    /// Whether the filter follows a relation.
    pub fn is_relational(&self) -> bool {
        match self {
            Filter::And(v) | Filter::Or(v) => v.iter().any(Filter::is_relational),
            Filter::Rule { .. } => false,
            Filter::Related { .. } => true,
        }
    }
}

/// The operators a query filter accepts (directus.md §5.2).
pub(crate) const OPERATORS: &[&str] = &[
    "_eq",
    "_neq",
    "_lt",
    "_lte",
    "_gt",
    "_gte",
    "_in",
    "_nin",
    "_null",
    "_nnull",
    "_empty",
    "_nempty",
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
    "_between",
    "_nbetween",
    "_ieq",
    "_nieq",
];

fn bad(reason: impl AsRef<str>) -> ApiError {
    ApiError::invalid_query(reason)
}

/// Parses filter JSON (query `filter`, permission rules, item-operation queries).
pub fn parse(value: &Value) -> Result<Filter, ApiError> {
    let mut budget = MAX_RULES;
    parse_node(value, 0, &mut budget)
}

fn parse_node(value: &Value, depth: usize, budget: &mut usize) -> Result<Filter, ApiError> {
    if depth > MAX_DEPTH {
        return Err(bad("Filter is nested too deeply"));
    }
    let Value::Object(obj) = value else {
        return Err(bad("Invalid filter object"));
    };
    let mut parts = Vec::new();
    for (key, val) in obj {
        match key.as_str() {
            "_and" | "_or" => {
                let Value::Array(items) = val else {
                    return Err(bad(format!("\"{key}\" has to be an array")));
                };
                let mut children = Vec::with_capacity(items.len());
                for item in items {
                    children.push(parse_node(item, depth + 1, budget)?);
                }
                if key == "_and" {
                    parts.push(Filter::And(children));
                } else {
                    parts.push(Filter::Or(children));
                }
            }
            k if k.starts_with('_') => {
                return Err(bad(format!(
                    "Invalid filter operator \"{k}\" at the top level"
                )));
            }
            field => parts.push(parse_field(field, val, depth, budget)?),
        }
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Filter::And(parts)
    })
}

fn parse_field(
    key: &str,
    val: &Value,
    depth: usize,
    budget: &mut usize,
) -> Result<Filter, ApiError> {
    let (field, part) = match key.split_once('(') {
        Some((func, rest)) if rest.ends_with(')') => {
            let part = DatePart::parse(func)
                .ok_or_else(|| bad(format!("Unknown function \"{func}\" in filter")))?;
            (rest.trim_end_matches(')').to_owned(), Some(part))
        }
        _ => (key.to_owned(), None),
    };
    let mut parts = Vec::new();
    let ops = match val {
        Value::Object(obj) => {
            let mut ops = Map::new();
            let mut nested = Map::new();
            for (k, v) in obj {
                match k.as_str() {
                    "_some" | "_none" => {
                        let quantifier = if k == "_some" {
                            Quantifier::Some
                        } else {
                            Quantifier::None
                        };
                        parts.push(related(&field, part, quantifier, v, depth, budget)?);
                    }
                    op if op.starts_with('_') => {
                        ops.insert(k.clone(), v.clone());
                    }
                    _ => {
                        nested.insert(k.clone(), v.clone());
                    }
                }
            }
            if !nested.is_empty() {
                let nested = Value::Object(nested);
                parts.push(related(
                    &field,
                    part,
                    Quantifier::Implicit,
                    &nested,
                    depth,
                    budget,
                )?);
            }
            ops
        }
        scalar => {
            let mut m = Map::new();
            m.insert("_eq".into(), scalar.clone());
            m
        }
    };
    for (op, value) in ops {
        if !OPERATORS.contains(&op.as_str()) {
            return Err(bad(format!("\"{op}\" is not a valid filter operator")));
        }
        if *budget == 0 {
            return Err(bad("Filter has too many rules"));
        }
        *budget -= 1;
        parts.push(Filter::Rule {
            field: field.clone(),
            part,
            op,
            value,
        });
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Filter::And(parts)
    })
}

/// A rule on a relational field's rows (`{author: {name: …}}`, `{children: {_some: …}}`).
fn related(
    field: &str,
    part: Option<DatePart>,
    quantifier: Quantifier,
    inner: &Value,
    depth: usize,
    budget: &mut usize,
) -> Result<Filter, ApiError> {
    if part.is_some() {
        return Err(bad(format!(
            "Functions can't be applied to the relational field \"{field}\""
        )));
    }
    Ok(Filter::Related {
        field: field.to_owned(),
        quantifier,
        inner: Box::new(parse_node(inner, depth + 1, budget)?),
    })
}

/// Values dynamic variables resolve to.
#[derive(Clone, Debug, Default)]
pub struct DynamicContext {
    pub now: DateTime<Utc>,
    pub user: Option<String>,
    pub role: Option<String>,
    pub roles: Vec<String>,
    pub policies: Vec<String>,
    /// Fields of the current user / role, fetched when a filter uses `$CURRENT_USER.x`.
    pub user_fields: Option<Map<String, Value>>,
    pub role_fields: Option<Map<String, Value>>,
}

/// True when the JSON uses `$CURRENT_USER.<x>` / `$CURRENT_ROLE.<x>` (needs a fetch first).
pub fn needs_fetch(value: &Value) -> (bool, bool) {
    match value {
        Value::String(s) => (
            s.starts_with("$CURRENT_USER."),
            s.starts_with("$CURRENT_ROLE."),
        ),
        Value::Array(a) => a
            .iter()
            .map(needs_fetch)
            .fold((false, false), |x, y| (x.0 || y.0, x.1 || y.1)),
        Value::Object(o) => o
            .values()
            .map(needs_fetch)
            .fold((false, false), |x, y| (x.0 || y.0, x.1 || y.1)),
        _ => (false, false),
    }
}

/// Replaces dynamic variables in place.
pub fn resolve_dynamic(value: &mut Value, ctx: &DynamicContext) {
    match value {
        Value::String(s) if s.starts_with('$') => {
            if let Some(v) = dynamic_value(s, ctx) {
                *value = v;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| resolve_dynamic(v, ctx)),
        Value::Object(o) => o.values_mut().for_each(|v| resolve_dynamic(v, ctx)),
        _ => {}
    }
}

fn opt(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

fn dynamic_value(s: &str, ctx: &DynamicContext) -> Option<Value> {
    if s == "$NOW" {
        return Some(Value::String(format_timestamp(ctx.now)));
    }
    if let Some(inner) = s.strip_prefix("$NOW(").and_then(|r| r.strip_suffix(')')) {
        let at = adjust_date(ctx.now, inner).unwrap_or(ctx.now);
        return Some(Value::String(format_timestamp(at)));
    }
    match s {
        "$CURRENT_USER" => return Some(opt(&ctx.user)),
        "$CURRENT_ROLE" => return Some(opt(&ctx.role)),
        "$CURRENT_ROLES" => {
            return Some(ctx.roles.iter().map(|r| Value::String(r.clone())).collect());
        }
        "$CURRENT_POLICIES" => {
            return Some(
                ctx.policies
                    .iter()
                    .map(|r| Value::String(r.clone()))
                    .collect(),
            );
        }
        _ => {}
    }
    if let Some(path) = s.strip_prefix("$CURRENT_USER.") {
        return Some(lookup(ctx.user_fields.as_ref(), path));
    }
    if let Some(path) = s.strip_prefix("$CURRENT_ROLE.") {
        return Some(lookup(ctx.role_fields.as_ref(), path));
    }
    None
}

fn lookup(fields: Option<&Map<String, Value>>, path: &str) -> Value {
    let mut cur = match fields {
        Some(m) => m.get(path.split('.').next().unwrap_or("")),
        None => None,
    };
    for seg in path.split('.').skip(1) {
        cur = cur.and_then(|v| v.get(seg));
    }
    cur.cloned().unwrap_or(Value::Null)
}

/// `$NOW(<adjustment>)`: optional sign, a number, optional space, a unit (days when absent).
pub fn adjust_date(now: DateTime<Utc>, adj: &str) -> Option<DateTime<Utc>> {
    let s = adj.trim();
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let rest = rest.trim_start();
    let split = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let amount: f64 = rest[..split].parse().ok()?;
    let unit = rest[split..].trim().to_ascii_lowercase();
    let amount = sign * amount;
    // Out-of-range adjustments (`$NOW(-99999999999 years)`) give `None` (plain now), never a
    // panic: the millisecond count must fit, and so must the resulting date.
    let ms = |per: f64| {
        let n = (amount * per).round();
        if !n.is_finite() || n.abs() >= 9.0e18 {
            return None;
        }
        Duration::try_milliseconds(n as i64)
    };
    let months = |n: f64| -> Option<DateTime<Utc>> {
        let n = n.round();
        if !n.is_finite() || n.abs() >= 9.0e18 {
            return None;
        }
        let n = n as i64;
        let m = Months::new(u32::try_from(n.unsigned_abs()).ok()?);
        if n >= 0 {
            now.checked_add_months(m)
        } else {
            now.checked_sub_months(m)
        }
    };
    match unit.as_str() {
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => {
            now.checked_add_signed(ms(1.0)?)
        }
        "s" | "sec" | "secs" | "second" | "seconds" => now.checked_add_signed(ms(1e3)?),
        "m" | "min" | "mins" | "minute" | "minutes" => now.checked_add_signed(ms(6e4)?),
        "h" | "hr" | "hrs" | "hour" | "hours" => now.checked_add_signed(ms(3.6e6)?),
        "" | "d" | "day" | "days" => now.checked_add_signed(ms(8.64e7)?),
        "w" | "week" | "weeks" => now.checked_add_signed(ms(6.048e8)?),
        "mo" | "mth" | "mths" | "month" | "months" => months(amount),
        "y" | "yr" | "yrs" | "year" | "years" => months(amount * 12.0),
        _ => None,
    }
}

/// The text Directus appends to a permission error: where in the query it happened.
pub fn queried_in(path: &str) -> String {
    if path.is_empty() {
        "Queried in root.".to_owned()
    } else {
        format!("Queried in \"{path}\".")
    }
}

/// The 403 for a missing or forbidden field (`path`: the relational path it was asked under).
pub fn field_forbidden(field: &str, collection: &str, path: &str) -> ApiError {
    ApiError::forbidden_reason(format!(
        "You don't have permission to access field \"{field}\" in collection \"{collection}\" or \
         it does not exist. {}",
        queried_in(path)
    ))
}

/// The 403 for a missing or forbidden collection reached through `path`.
pub fn collection_forbidden(collection: &str, path: &str) -> ApiError {
    ApiError::forbidden_reason(format!(
        "You don't have permission to access collection \"{collection}\" or it does not exist. {}",
        queried_in(path)
    ))
}

/// A related collection as a filter may see it: the fields the caller may use, those visible
/// only on some rows, and the rows visible at all.
pub struct RelatedTarget {
    pub collection: Arc<Collection>,
    pub allowed: Box<dyn Fn(&str) -> bool + Send + Sync>,
    pub guards: Vec<(String, Condition)>,
    /// The rows of the related collection the caller may see (`Condition::all()`: every one).
    pub rows: Condition,
}

/// What following a relation needs: the schema, and the caller's access to the collection
/// at the other end (`path`: the dotted path it is reached by, for error messages and the
/// depth limit).
pub trait Relations: Send + Sync {
    fn schema(&self) -> &Schema;
    fn related(&self, collection: &str, path: &str) -> Result<RelatedTarget, ApiError>;
}

/// Relations followed with no restriction (permission rules may name any related field).
pub struct Unrestricted<'a> {
    pub schema: &'a Schema,
    pub max_depth: usize,
}

/// The 400 for a path deeper than `MAX_RELATIONAL_DEPTH`.
pub fn too_deep(max: usize) -> ApiError {
    bad(format!("Max relational depth of {max} exceeded"))
}

/// The number of relations a dotted path follows.
pub fn path_depth(path: &str) -> usize {
    if path.is_empty() {
        0
    } else {
        path.split('.').count()
    }
}

impl Relations for Unrestricted<'_> {
    fn schema(&self) -> &Schema {
        self.schema
    }

    fn related(&self, collection: &str, path: &str) -> Result<RelatedTarget, ApiError> {
        if path_depth(path) > self.max_depth {
            return Err(too_deep(self.max_depth));
        }
        let c = self
            .schema
            .collection(collection)
            .cloned()
            .ok_or_else(|| collection_forbidden(collection, path))?;
        Ok(RelatedTarget {
            collection: c,
            allowed: Box::new(|_| true),
            guards: Vec::new(),
            rows: Condition::all(),
        })
    }
}

/// What the SQL builder needs to know about the table.
pub struct SqlTarget<'a> {
    pub collection: &'a Collection,
    pub postgres: bool,
    /// False for fields the caller may not use (permissions): answered as unknown fields.
    pub allowed: &'a dyn Fn(&str) -> bool,
    /// Fields the caller may use only on some rows, with the condition selecting those rows:
    /// filters and search see `CASE WHEN cond THEN col END`, so a value hidden on a row can
    /// not be probed through a filter either.
    pub guards: &'a [(String, Condition)],
    /// How to follow relations (`None`: a relational rule is answered as an unknown field).
    pub relations: Option<&'a dyn Relations>,
    /// The relational path this collection was reached by (`""` at the root).
    pub path: &'a str,
}

impl SqlTarget<'_> {
    /// The field, or the Directus 403 for a missing or forbidden one.
    pub fn field(&self, name: &str) -> Result<&Field, ApiError> {
        match self.collection.field(name) {
            Some(f) if (self.allowed)(name) => Ok(f),
            _ => Err(field_forbidden(name, &self.collection.name, self.path)),
        }
    }

    pub fn col(&self, name: &str) -> Expr {
        let col = Expr::col((Alias::new(self.collection.name.as_str()), Alias::new(name)));
        match self.guards.iter().find(|(f, _)| f == name) {
            Some((_, cond)) => Expr::case(cond.clone(), col).finally(Expr::null()).into(),
            None => col,
        }
    }
}

/// `{author: {…}}` / `{children: {_some|_none: {…}}}` as an uncorrelated `IN (SELECT …)`:
/// the subquery reads the related table under its own name, so even a relation to the same
/// table (`directus_roles.parent`) binds inner columns to the inner table.
fn related_condition(
    t: &SqlTarget<'_>,
    field: &str,
    quantifier: Quantifier,
    inner: &Filter,
) -> Result<Condition, ApiError> {
    let unknown = || field_forbidden(field, &t.collection.name, t.path);
    let relations = t.relations.ok_or_else(unknown)?;
    let link = relations
        .schema()
        .link(&t.collection.name, field)
        .ok_or_else(unknown)?;
    if !(t.allowed)(field) {
        return Err(unknown());
    }
    let path = if t.path.is_empty() {
        field.to_owned()
    } else {
        format!("{}.{field}", t.path)
    };
    let (other, select_col) = match link {
        Link::M2o(r) => {
            let one = r.one_collection.as_deref().ok_or_else(unknown)?;
            (one, None)
        }
        Link::O2m(r) => (r.many_collection.as_str(), Some(r.many_field.as_str())),
    };
    let target = relations.related(other, &path)?;
    let sub = SqlTarget {
        collection: &target.collection,
        postgres: t.postgres,
        allowed: &*target.allowed,
        guards: &target.guards,
        relations: Some(relations),
        path: &path,
    };
    let table = Alias::new(target.collection.name.as_str());
    let mut cond = Condition::all()
        .add(target.rows.clone())
        .add(to_condition(inner, &sub)?);
    let mut q = SqlQuery::select();
    q.from(table.clone());
    let outer = match select_col {
        None => {
            q.column((table, Alias::new(target.collection.primary.as_str())));
            t.col(field)
        }
        Some(fk) => {
            q.column((table.clone(), Alias::new(fk)));
            cond = cond.add(Expr::col((table, Alias::new(fk))).is_not_null());
            t.col(&t.collection.primary)
        }
    };
    q.cond_where(cond);
    Ok(Condition::all().add(match quantifier {
        Quantifier::None => match select_col {
            // An m2o without a related row (null) matches "none" too.
            None => outer.clone().is_null().or(outer.not_in_subquery(q)),
            Some(_) => outer.not_in_subquery(q),
        },
        _ => outer.in_subquery(q),
    }))
}

/// Query strings carry text: `"true"`, `"false"`, `"null"` mean the literals (directus.md §5.1).
fn coerce(v: &Value) -> Value {
    match v {
        Value::String(s) if s == "true" => Value::Bool(true),
        Value::String(s) if s == "false" => Value::Bool(false),
        Value::String(s) if s == "null" || s == "NULL" => Value::Null,
        other => other.clone(),
    }
}

fn primitive(v: &Value, op: &str) -> Result<(), ApiError> {
    match v {
        Value::Object(_) | Value::Array(_) => Err(bad(format!(
            "The filter value for \"{op}\" has to be a string, number, or boolean"
        ))),
        Value::String(s) if s.is_empty() => Err(bad(format!(
            "You can't filter for an empty string in \"{op}\". Use \"_empty\" or \"_nempty\" instead"
        ))),
        _ => Ok(()),
    }
}

fn list(v: &Value, op: &str) -> Result<Vec<Value>, ApiError> {
    let items: Vec<Value> = match v {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o.values().cloned().collect(),
        Value::String(s) => s.split(',').map(|p| Value::String(p.to_owned())).collect(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    if items.is_empty() {
        return Err(bad(format!("\"{op}\" has to be an array of values")));
    }
    if items.len() > MAX_LIST {
        return Err(bad(format!("\"{op}\" has more than {MAX_LIST} values")));
    }
    Ok(items)
}

fn flag(v: &Value, op: &str) -> Result<bool, ApiError> {
    match coerce(v) {
        Value::Bool(b) => Ok(b),
        Value::Null => Ok(true),
        Value::String(s) if s.is_empty() => Ok(true),
        _ => Err(bad(format!("\"{op}\" has to be a boolean"))),
    }
}

/// Which operators each type supports (Directus `getFilterOperatorsForType`, relaxed where
/// harmless).
fn supports(field: &Field, op: &str, has_part: bool) -> bool {
    let base = op.trim_start_matches("_n").trim_start_matches('_');
    if field.concealed() {
        // Only whether a value is set; a function (`year(token)`) would probe its content.
        return !has_part && matches!(op, "_null" | "_nnull" | "_empty" | "_nempty");
    }
    let always = ["null", "nnull", "_null", "_nnull"];
    if always.contains(&op) {
        return true;
    }
    if has_part {
        return !is_string_op(op);
    }
    match field.kind {
        FieldType::String | FieldType::Text | FieldType::Csv | FieldType::Unknown => true,
        FieldType::Hash => matches!(op, "_empty" | "_nempty"),
        FieldType::Uuid => matches!(op, "_eq" | "_neq" | "_in" | "_nin" | "_empty" | "_nempty"),
        FieldType::Boolean => matches!(op, "_eq" | "_neq"),
        FieldType::Json => matches!(op, "_empty" | "_nempty"),
        k if k.is_numeric() || k.is_temporal() => !is_string_op(op) && base != "ieq",
        _ => false,
    }
}

fn is_string_op(op: &str) -> bool {
    op.contains("contains") || op.contains("starts_with") || op.contains("ends_with")
}

/// The column expression, with a date-part function when requested.
fn column_expr(t: &SqlTarget<'_>, field: &Field, part: Option<DatePart>) -> Expr {
    let col = t.col(&field.name);
    let Some(part) = part else {
        return col;
    };
    if t.postgres {
        let unit = match part {
            DatePart::Year => "YEAR",
            DatePart::Month => "MONTH",
            DatePart::Week => "WEEK",
            DatePart::Day => "DAY",
            DatePart::Weekday => "DOW",
            DatePart::Hour => "HOUR",
            DatePart::Minute => "MINUTE",
            DatePart::Second => "SECOND",
        };
        custom(
            true,
            &format!("CAST(EXTRACT({unit} FROM $1) AS INTEGER)"),
            vec![col],
        )
    } else {
        let fmt = match part {
            DatePart::Year => "%Y",
            DatePart::Month => "%m",
            DatePart::Week => "%W",
            DatePart::Day => "%d",
            DatePart::Weekday => "%w",
            DatePart::Hour => "%H",
            DatePart::Minute => "%M",
            DatePart::Second => "%S",
        };
        custom(
            false,
            &format!("CAST(strftime('{fmt}', $1) AS INTEGER)"),
            vec![col],
        )
    }
}

fn typed(field: &Field, v: &Value) -> Result<SqlValue, ApiError> {
    to_sql(field, v).map_err(|e: ValueError| e.query_error(&field.name))
}

fn int_value(v: &Value, field: &str) -> Result<SqlValue, ApiError> {
    match v {
        Value::Number(n) if n.as_i64().is_some() => Ok(SqlValue::BigInt(n.as_i64())),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map(|i| SqlValue::BigInt(Some(i)))
            .map_err(|_| bad(format!("Invalid numeric value for \"{field}\""))),
        _ => Err(bad(format!("Invalid numeric value for \"{field}\""))),
    }
}

/// A custom SQL expression written with `$1`, `$2`… (PostgreSQL numbering); for SQLite the
/// markers become sequential `?` with the expressions repeated in order of use.
pub fn custom(postgres: bool, template: &str, exprs: Vec<Expr>) -> Expr {
    if postgres {
        return Expr::cust_with_exprs(template.to_owned(), exprs);
    }
    let mut sql = String::with_capacity(template.len());
    let mut ordered = Vec::new();
    let mut chars = template.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '$' {
            let mut n = 0usize;
            let mut digits = false;
            while let Some((_, d)) = chars.peek().copied() {
                match d.to_digit(10) {
                    Some(v) => {
                        n = n * 10 + v as usize;
                        digits = true;
                        chars.next();
                    }
                    None => break,
                }
            }
            if digits && n >= 1 && n <= exprs.len() {
                sql.push('?');
                ordered.push(exprs[n - 1].clone());
                continue;
            }
            sql.push('$');
            continue;
        }
        sql.push(c);
    }
    Expr::cust_with_exprs(sql, ordered)
}

/// A string-matching predicate that needs no LIKE escaping: `instr`/`strpos` and
/// `substr`/`left`/`right` comparisons, so `%` and `_` in user text are plain characters.
fn text_match(t: &SqlTarget<'_>, col: Expr, needle: &str, kind: &str, insensitive: bool) -> Expr {
    let (col, val): (Expr, Expr) = if insensitive {
        (
            Func::lower(col).into(),
            Func::lower(Expr::val(needle.to_owned())).into(),
        )
    } else {
        (col, Expr::val(needle.to_owned()))
    };
    let sql = match (kind, t.postgres) {
        ("contains", true) => "strpos($1, $2) > 0",
        ("contains", false) => "instr($1, $2) > 0",
        ("starts_with", true) => "left($1, length($2)) = $2",
        ("starts_with", false) => "substr($1, 1, length($2)) = $2",
        ("ends_with", true) => "right($1, length($2)) = $2",
        (_, _) => "substr($1, -length($2)) = $2",
    };
    custom(t.postgres, sql, vec![col, val])
}

/// The SQL condition for a filter.
pub fn to_condition(filter: &Filter, t: &SqlTarget<'_>) -> Result<Condition, ApiError> {
    Ok(match filter {
        Filter::And(items) => {
            let mut c = Condition::all();
            for f in items {
                c = c.add(to_condition(f, t)?);
            }
            c
        }
        Filter::Or(items) => {
            let mut c = Condition::any();
            for f in items {
                c = c.add(to_condition(f, t)?);
            }
            if items.is_empty() {
                Condition::all()
            } else {
                c
            }
        }
        Filter::Rule {
            field,
            part,
            op,
            value,
        } => Condition::all().add(rule(t, field, *part, op, value)?),
        Filter::Related {
            field,
            quantifier,
            inner,
        } => related_condition(t, field, *quantifier, inner)?,
    })
}

/// True when a string anywhere in the value holds a NUL byte (PostgreSQL refuses those in
/// text parameters, so they are refused here on both backends).
fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

fn rule(
    t: &SqlTarget<'_>,
    name: &str,
    part: Option<DatePart>,
    op: &str,
    raw: &Value,
) -> Result<SimpleExpr, ApiError> {
    let field = t.field(name)?;
    if has_nul(raw) {
        return Err(bad(format!(
            "The filter value for \"{name}\" must not contain NUL characters"
        )));
    }
    if field.concealed() && part.is_some() {
        return Err(bad(format!(
            "Functions can't be applied to the concealed field \"{name}\""
        )));
    }
    if !supports(field, op, part.is_some()) {
        return Err(bad(format!(
            "\"{}\" field type does not contain the \"{op}\" filter operator",
            field.kind.as_str()
        )));
    }
    let col = column_expr(t, field, part);
    let value_of = |v: &Value| -> Result<SqlValue, ApiError> {
        if part.is_some() {
            int_value(v, name)
        } else if field.kind.is_textual() {
            Ok(SqlValue::String(Some(match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })))
        } else {
            typed(field, v)
        }
    };
    let v = coerce(raw);
    Ok(match op {
        "_eq" | "_neq" | "_ieq" | "_nieq" => {
            if Value::is_null(&v) {
                return Ok(if op == "_eq" || op == "_ieq" {
                    col.is_null()
                } else {
                    col.is_not_null()
                });
            }
            primitive(&v, op)?;
            if op == "_ieq" || op == "_nieq" {
                let needle = match &v {
                    Value::String(s) => s.to_lowercase(),
                    other => other.to_string(),
                };
                let e = Expr::expr(Func::lower(col)).eq(needle);
                if op == "_ieq" { e } else { e.not() }
            } else if op == "_eq" {
                col.eq(value_of(&v)?)
            } else {
                // Directus: NOT (col = v), so NULLs do not match either way.
                col.eq(value_of(&v)?).not()
            }
        }
        "_lt" | "_lte" | "_gt" | "_gte" => {
            primitive(&v, op)?;
            if (field.kind.is_numeric() || part.is_some())
                && !matches!(&v, Value::Number(_))
                && v.as_str()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .is_none()
            {
                return Err(bad(format!("Invalid numeric value for \"{name}\"")));
            }
            let val = value_of(&v)?;
            match op {
                "_lt" => col.lt(val),
                "_lte" => col.lte(val),
                "_gt" => col.gt(val),
                _ => col.gte(val),
            }
        }
        "_in" | "_nin" => {
            let items = list(raw, op)?;
            let mut vals = Vec::with_capacity(items.len());
            for i in &items {
                vals.push(value_of(&coerce(i))?);
            }
            if op == "_in" {
                col.is_in(vals)
            } else {
                col.is_not_in(vals)
            }
        }
        "_null" | "_nnull" => {
            let want_null = flag(raw, op)? == (op == "_null");
            if want_null {
                col.is_null()
            } else {
                col.is_not_null()
            }
        }
        "_empty" | "_nempty" => {
            let want_empty = flag(raw, op)? == (op == "_empty");
            let textual = field.kind.is_textual() && part.is_none();
            match (want_empty, textual) {
                (true, true) => col.clone().is_null().or(col.eq("")),
                (true, false) => col.is_null(),
                (false, true) => col.clone().is_not_null().and(col.ne("")),
                (false, false) => col.is_not_null(),
            }
        }
        "_between" | "_nbetween" => {
            let items = list(raw, op)?;
            if items.len() != 2 {
                // Directus ignores a malformed range.
                return Ok(Expr::val(1).eq(1));
            }
            let a = value_of(&coerce(&items[0]))?;
            let b = value_of(&coerce(&items[1]))?;
            if op == "_between" {
                col.between(a, b)
            } else {
                col.not_between(a, b)
            }
        }
        other => {
            primitive(&v, other)?;
            let needle = match &v {
                Value::String(s) => s.clone(),
                x => x.to_string(),
            };
            let negated = other.starts_with("_n");
            let stem = other.trim_start_matches("_n").trim_start_matches('_');
            let insensitive = stem.starts_with('i');
            let kind = stem.trim_start_matches('i');
            let kind = if kind == "contains" || kind == "starts_with" || kind == "ends_with" {
                kind
            } else {
                return Err(bad(format!("\"{other}\" is not a valid filter operator")));
            };
            let e = text_match(t, col, &needle, kind, insensitive);
            if negated {
                // Directus: `NOT (col LIKE …)`, so NULLs match neither way.
                e.not()
            } else {
                e
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn parse_shapes() {
        let f = parse(&json!({"a": 1, "b": {"_gt": 2, "_lt": 5}})).unwrap();
        match f {
            Filter::And(v) => assert_eq!(v.len(), 2),
            other => panic!("{other:?}"),
        }
        let f = parse(&json!({"_or": [{"a": {"_eq": 1}}, {"b": {"_null": true}}]})).unwrap();
        assert!(matches!(f, Filter::Or(ref v) if v.len() == 2));
        assert!(parse(&json!({"a": {"_bogus": 1}})).is_err());
        assert!(parse(&json!({"_and": {}})).is_err());
        assert!(parse(&json!([1])).is_err());
        let f = parse(&json!({"year(date)": {"_eq": 2024}})).unwrap();
        assert!(matches!(
            f,
            Filter::Rule {
                part: Some(DatePart::Year),
                ..
            }
        ));
    }

    #[test]
    fn depth_and_size_limits() {
        let mut v = json!({"a": {"_eq": 1}});
        for _ in 0..100 {
            v = json!({"_and": [v]});
        }
        assert_eq!(parse(&v).unwrap_err().code(), "INVALID_QUERY");
        let many: Vec<Value> = (0..2000).map(|i| json!({"a": {"_eq": i}})).collect();
        assert_eq!(
            parse(&json!({"_or": many})).unwrap_err().code(),
            "INVALID_QUERY"
        );
    }

    #[test]
    fn now_adjustments() {
        let now = Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap();
        let at = |s| adjust_date(now, s).map(format_timestamp);
        assert_eq!(at("-1 hour").as_deref(), Some("2024-03-10T11:00:00.000Z"));
        assert_eq!(at("+2 days").as_deref(), Some("2024-03-12T12:00:00.000Z"));
        assert_eq!(at("-7d").as_deref(), Some("2024-03-03T12:00:00.000Z"));
        assert_eq!(at("3").as_deref(), Some("2024-03-13T12:00:00.000Z"));
        assert_eq!(at("-1 month").as_deref(), Some("2024-02-10T12:00:00.000Z"));
        assert_eq!(at("1.5h").as_deref(), Some("2024-03-10T13:30:00.000Z"));
        assert_eq!(at("soon"), None);
    }

    #[test]
    fn dynamic_variables() {
        let ctx = DynamicContext {
            now: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
            user: Some("u1".into()),
            role: None,
            roles: vec!["r1".into()],
            policies: vec![],
            user_fields: Some(
                json!({"email": "a@b.co"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ),
            role_fields: None,
        };
        let mut v = json!({"owner": {"_eq": "$CURRENT_USER"}, "t": {"_gte": "$NOW(-1 day)"},
                           "r": {"_in": "$CURRENT_ROLES"}, "e": {"_eq": "$CURRENT_USER.email"},
                           "x": {"_eq": "$CURRENT_ROLE"}});
        resolve_dynamic(&mut v, &ctx);
        assert_eq!(
            v,
            json!({"owner": {"_eq": "u1"}, "t": {"_gte": "2023-12-31T00:00:00.000Z"},
                   "r": {"_in": ["r1"]}, "e": {"_eq": "a@b.co"}, "x": {"_eq": null}})
        );
        assert_eq!(
            needs_fetch(&json!({"a": "$CURRENT_USER.email"})),
            (true, false)
        );
    }
}
