//! Filter compilation: checks a filter once against the rule language and the limits, and
//! builds the rule tree that `evaluate` runs.

use std::sync::Arc;

use regex::{Regex, RegexBuilder};
use serde_json::Value;

use super::InvalidFilter;
use crate::util::js;

/// Deepest container nesting (objects and arrays) a filter may have.
pub const MAX_DEPTH: usize = 64;
/// Longest `_in` / `_nin` / `_between` / `_nbetween` list a filter may have.
pub const MAX_LIST_LEN: usize = 10_000;
/// Most rules (leaf conditions) a filter may have.
pub const MAX_RULES: usize = 10_000;
/// Most `_regex` rules a filter may have (each may compile to [`REGEX_SIZE_LIMIT`] bytes).
pub const MAX_REGEXES: usize = 16;
/// Byte limit for one compiled `_regex` program.
pub const REGEX_SIZE_LIMIT: usize = 4 << 20;
/// Byte limit for the lazy DFA cache of one `_regex`.
const REGEX_DFA_SIZE_LIMIT: usize = 2 << 20;

/// Checks a filter and builds its rule tree; `None` for `null`, the filter that always passes.
pub(super) fn root(filter: &Value) -> Result<Option<Node>, InvalidFilter> {
    check_depth(filter)?;
    match filter {
        Value::Null => Ok(None),
        Value::Object(_) => {
            let mut compiler = Compiler {
                rules: 0,
                regexes: 0,
            };
            Ok(Some(compiler.node(filter, None)?))
        }
        other => Err(InvalidFilter(format!(
            "Invalid filter: expected an object, got {}.",
            type_name(other)
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// Rule tree
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub(super) enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Leaf(Leaf),
}

#[derive(Debug, Clone)]
pub(super) struct Leaf {
    pub(super) path: Arc<PathNode>,
    pub(super) op: Op,
}

/// One key of a rule's path, linked to the keys above it, so that every rule below the same
/// keys shares them (a filter costs memory in proportion to its size, whatever its depth).
#[derive(Debug)]
pub(super) struct PathNode {
    segment: Segment,
    parent: Option<Arc<PathNode>>,
}

impl PathNode {
    fn child(parent: Option<&Arc<Self>>, key: &str) -> Arc<Self> {
        Arc::new(Self {
            segment: Segment::parse(key),
            parent: parent.cloned(),
        })
    }

    /// The segments from the top-level key down (at most [`MAX_DEPTH`]).
    pub(super) fn segments(&self) -> Vec<&Segment> {
        let mut out = vec![&self.segment];
        let mut above = self.parent.as_deref();
        while let Some(node) = above {
            out.push(&node.segment);
            above = node.parent.as_deref();
        }
        out.reverse();
        out
    }
}

#[derive(Debug, Clone)]
pub(super) enum Segment {
    Key(String),
    Func {
        raw: String,
        func: Func,
        field: String,
    },
}

impl Segment {
    fn parse(key: &str) -> Self {
        if let Some((name, rest)) = key.split_once('(')
            && let Some(end) = rest.find(')')
            && !name.is_empty()
            && end > 0
            && let Some(func) = Func::from_name(name)
        {
            return Self::Func {
                raw: key.to_owned(),
                func,
                field: rest[..end].to_owned(),
            };
        }
        Self::Key(key.to_owned())
    }

    pub(super) fn label(&self) -> &str {
        match self {
            Self::Key(key) => key,
            Self::Func { raw, .. } => raw,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Func {
    Year,
    Month,
    Week,
    Day,
    Weekday,
    Hour,
    Minute,
    Second,
    Count,
}

impl Func {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "year" => Self::Year,
            "month" => Self::Month,
            "week" => Self::Week,
            "day" => Self::Day,
            "weekday" => Self::Weekday,
            "hour" => Self::Hour,
            "minute" => Self::Minute,
            "second" => Self::Second,
            "count" => Self::Count,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub(super) enum Op {
    /// Allowed values (the rule value, plus its number/string twin).
    Eq(Vec<Value>),
    /// Forbidden values (the rule value, plus its number/string twin).
    Neq(Vec<Value>),
    In(Vec<Value>),
    Nin(Vec<Value>),
    IEq {
        raw: Value,
        valids: Vec<Value>,
    },
    NIEq {
        raw: Value,
        valids: Vec<Value>,
    },
    Null,
    NNull,
    Empty,
    NEmpty,
    Cmp(CmpKind, Limit),
    Between(Limit, Limit),
    NBetween(Limit, Limit),
    Text(TextOp, Needle),
    /// Directus's `Joi.any().equal(true)` for string operators with a non-string argument.
    OnlyTrue,
    Regex(Regex),
    Submitted,
    /// Presence only (`{field: {}}`, geometry operators, `_some`, `_none`).
    Any,
}

#[derive(Debug, Clone)]
pub(super) struct Needle {
    pub(super) text: String,
    pub(super) lower: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpKind {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl CmpKind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Lt => "lt",
            Self::Lte => "lte",
            Self::Gt => "gt",
            Self::Gte => "gte",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Limit {
    Number(f64),
    /// Epoch milliseconds.
    Date(i64),
    /// Joi's `'now'`: the time of evaluation.
    Now,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scale {
    Number,
    Date,
}

impl Limit {
    pub(super) fn scale(self) -> Scale {
        match self {
            Self::Number(_) => Scale::Number,
            Self::Date(_) | Self::Now => Scale::Date,
        }
    }

    pub(super) fn at(self, now: i64) -> f64 {
        match self {
            Self::Number(n) => n,
            Self::Date(ms) => ms as f64,
            Self::Now => now as f64,
        }
    }

    pub(super) fn json(self) -> Value {
        match self {
            Self::Number(n) => number_value(n),
            Self::Date(ms) => Value::String(js::iso_string(ms)),
            Self::Now => Value::String("now".into()),
        }
    }

    pub(super) fn shown(self) -> String {
        match self {
            Self::Number(n) => js::number_to_string(n),
            Self::Date(ms) => js::date_string(ms),
            Self::Now => "now".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextOp {
    Contains,
    NContains,
    IContains,
    NIContains,
    StartsWith,
    NStartsWith,
    IStartsWith,
    NIStartsWith,
    EndsWith,
    NEndsWith,
    IEndsWith,
    NIEndsWith,
}

impl TextOp {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "_contains" => Self::Contains,
            "_ncontains" => Self::NContains,
            "_icontains" => Self::IContains,
            "_nicontains" => Self::NIContains,
            "_starts_with" => Self::StartsWith,
            "_nstarts_with" => Self::NStartsWith,
            "_istarts_with" => Self::IStartsWith,
            "_nistarts_with" => Self::NIStartsWith,
            "_ends_with" => Self::EndsWith,
            "_nends_with" => Self::NEndsWith,
            "_iends_with" => Self::IEndsWith,
            "_niends_with" => Self::NIEndsWith,
            _ => return None,
        })
    }

    pub(super) fn kind(self) -> &'static str {
        match self {
            Self::Contains => "contains",
            Self::NContains => "ncontains",
            Self::IContains => "icontains",
            Self::NIContains => "nicontains",
            Self::StartsWith => "starts_with",
            Self::NStartsWith => "nstarts_with",
            Self::IStartsWith => "istarts_with",
            Self::NIStartsWith => "nistarts_with",
            Self::EndsWith => "ends_with",
            Self::NEndsWith => "nends_with",
            Self::IEndsWith => "iends_with",
            Self::NIEndsWith => "niends_with",
        }
    }

    pub(super) fn negated(self) -> bool {
        matches!(
            self,
            Self::NContains
                | Self::NIContains
                | Self::NStartsWith
                | Self::NIStartsWith
                | Self::NEndsWith
                | Self::NIEndsWith
        )
    }

    pub(super) fn insensitive(self) -> bool {
        matches!(
            self,
            Self::IContains
                | Self::NIContains
                | Self::IStartsWith
                | Self::NIStartsWith
                | Self::IEndsWith
                | Self::NIEndsWith
        )
    }

    /// The contains family also accepts arrays of strings.
    pub(super) fn accepts_arrays(self) -> bool {
        matches!(
            self,
            Self::Contains | Self::NContains | Self::IContains | Self::NIContains
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------

/// Rejects filters nested deeper than [`MAX_DEPTH`] containers, without recursion.
fn check_depth(filter: &Value) -> Result<(), InvalidFilter> {
    let mut stack: Vec<(&Value, usize)> = vec![(filter, 1)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Object(map) => Box::new(map.values()),
            Value::Array(items) => Box::new(items.iter()),
            _ => continue,
        };
        if depth > MAX_DEPTH {
            return Err(InvalidFilter(format!(
                "Invalid filter: nested deeper than {MAX_DEPTH} levels."
            )));
        }
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    Ok(())
}

/// Builds the rule tree, counting what the limits bound.
struct Compiler {
    rules: usize,
    regexes: usize,
}

impl Compiler {
    fn node(
        &mut self,
        filter: &Value,
        prefix: Option<&Arc<PathNode>>,
    ) -> Result<Node, InvalidFilter> {
        let Value::Object(map) = filter else {
            return Err(InvalidFilter(format!(
                "Invalid filter: expected an object, got {}.",
                type_name(filter)
            )));
        };
        if map.is_empty() {
            let Some(path) = prefix else {
                return Err(InvalidFilter(format!(
                    "[generateJoi] Filter doesn't contain field key. Passed filter: {filter}"
                )));
            };
            return self.leaf(path.clone(), Op::Any);
        }
        let mut nodes = Vec::with_capacity(map.len());
        for (key, value) in map {
            if key == "_and" || key == "_or" {
                let list_error = || {
                    InvalidFilter(format!(
                        "Invalid filter: \"{key}\" needs a list of filter objects."
                    ))
                };
                let Value::Array(items) = value else {
                    return Err(list_error());
                };
                let mut children = Vec::with_capacity(items.len());
                for item in items {
                    if !item.is_object() {
                        return Err(list_error());
                    }
                    children.push(self.node(item, prefix)?);
                }
                nodes.push(if key == "_and" {
                    Node::And(children)
                } else {
                    Node::Or(children)
                });
            } else if key.starts_with('_') {
                let Some(path) = prefix else {
                    return Err(InvalidFilter(format!(
                        "Invalid filter: operator \"{key}\" needs a field."
                    )));
                };
                let op = self.op(key, value)?;
                nodes.push(self.leaf(path.clone(), op)?);
            } else {
                let path = PathNode::child(prefix, key);
                if value.is_object() {
                    nodes.push(self.node(value, Some(&path))?);
                } else {
                    let op = self.op("_eq", value)?;
                    nodes.push(self.leaf(path, op)?);
                }
            }
        }
        Ok(match nodes.pop() {
            Some(only) if nodes.is_empty() => only,
            Some(last) => {
                nodes.push(last);
                Node::And(nodes)
            }
            None => Node::And(Vec::new()),
        })
    }

    fn leaf(&mut self, path: Arc<PathNode>, op: Op) -> Result<Node, InvalidFilter> {
        self.rules += 1;
        if self.rules > MAX_RULES {
            return Err(InvalidFilter(format!(
                "Invalid filter: more than {MAX_RULES} rules."
            )));
        }
        Ok(Node::Leaf(Leaf { path, op }))
    }

    fn op(&mut self, name: &str, arg: &Value) -> Result<Op, InvalidFilter> {
        if name == "_regex" {
            self.regexes += 1;
            if self.regexes > MAX_REGEXES {
                return Err(InvalidFilter(format!(
                    "Invalid filter: more than {MAX_REGEXES} \"_regex\" rules."
                )));
            }
        }
        compile_op(name, arg)
    }
}

fn compile_op(name: &str, arg: &Value) -> Result<Op, InvalidFilter> {
    if let Some(text_op) = TextOp::from_name(name) {
        return Ok(match arg {
            Value::String(s) => Op::Text(
                text_op,
                Needle {
                    text: s.clone(),
                    lower: s.to_lowercase(),
                },
            ),
            _ => Op::OnlyTrue,
        });
    }
    Ok(match name {
        "_eq" => Op::Eq(eq_valids(arg)),
        "_neq" => Op::Neq(eq_valids(arg)),
        "_ieq" => Op::IEq {
            raw: arg.clone(),
            valids: eq_valids(arg),
        },
        "_nieq" => Op::NIEq {
            raw: arg.clone(),
            valids: eq_valids(arg),
        },
        "_in" => Op::In(to_list(name, arg)?),
        "_nin" => Op::Nin(to_list(name, arg)?),
        "_null" => Op::Null,
        "_nnull" => Op::NNull,
        "_empty" => Op::Empty,
        "_nempty" => Op::NEmpty,
        "_lt" => Op::Cmp(CmpKind::Lt, limit_of(name, arg)?),
        "_lte" => Op::Cmp(CmpKind::Lte, limit_of(name, arg)?),
        "_gt" => Op::Cmp(CmpKind::Gt, limit_of(name, arg)?),
        "_gte" => Op::Cmp(CmpKind::Gte, limit_of(name, arg)?),
        "_between" | "_nbetween" => {
            let (low, high) = range_of(name, arg)?;
            if name == "_between" {
                Op::Between(low, high)
            } else {
                Op::NBetween(low, high)
            }
        }
        "_regex" => compile_regex(arg)?,
        "_submitted" => Op::Submitted,
        "_intersects" | "_nintersects" | "_intersects_bbox" | "_nintersects_bbox" | "_some"
        | "_none" => Op::Any,
        _ => {
            return Err(InvalidFilter(format!(
                "Invalid filter: unknown filter operator \"{name}\"."
            )));
        }
    })
}

/// Directus's `_eq` allow list: the rule value, plus `String(n)` for a number or `Number(s)` for
/// a numeric string (never for `''`, booleans, `null`, arrays or objects).
fn eq_valids(arg: &Value) -> Vec<Value> {
    let twin = match arg {
        Value::Number(n) => Some(Value::String(js::number_to_string(
            n.as_f64().unwrap_or(f64::NAN),
        ))),
        Value::String(s) if !s.is_empty() => {
            let n = js::string_to_number(s);
            n.is_finite().then(|| number_value(n))
        }
        _ => None,
    };
    let mut valids = vec![arg.clone()];
    valids.extend(twin);
    valids
}

/// `parseFilter`'s list normalisation for `_in`, `_nin`, `_between`, `_nbetween`: object →
/// values, string → comma split, scalar → one element; nested arrays flattened one level.
fn to_list(name: &str, arg: &Value) -> Result<Vec<Value>, InvalidFilter> {
    let too_long = || {
        InvalidFilter(format!(
            "Invalid filter: \"{name}\" has more than {MAX_LIST_LEN} values."
        ))
    };
    let base: Vec<&Value> = match arg {
        Value::Object(map) => map.values().collect(),
        Value::Array(items) => items.iter().collect(),
        Value::String(s) => {
            if s.split(',').nth(MAX_LIST_LEN).is_some() {
                return Err(too_long());
            }
            return Ok(s
                .split(',')
                .map(|part| Value::String(part.to_owned()))
                .collect());
        }
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in base {
        match item {
            Value::Array(inner) => out.extend(inner.iter().cloned()),
            other => out.push(other.clone()),
        }
        if out.len() > MAX_LIST_LEN {
            return Err(too_long());
        }
    }
    Ok(out)
}

/// The limit of `_lt`/`_lte`/`_gt`/`_gte`: numeric when `Number(arg)` is a number, else a date.
fn limit_of(name: &str, arg: &Value) -> Result<Limit, InvalidFilter> {
    let bad = || {
        InvalidFilter(format!(
            "Invalid filter: \"{name}\" needs a number or a date, got {}.",
            short_json(arg)
        ))
    };
    if arg.is_array() || arg.is_object() {
        return Err(bad());
    }
    let n = js::to_number(arg);
    if !n.is_nan() {
        return Ok(Limit::Number(n));
    }
    date_limit(arg).ok_or_else(bad)
}

fn date_limit(arg: &Value) -> Option<Limit> {
    let text = arg.as_str()?;
    if text == "now" {
        return Some(Limit::Now);
    }
    js::parse_date(text).map(Limit::Date)
}

fn range_of(name: &str, arg: &Value) -> Result<(Limit, Limit), InvalidFilter> {
    let list = to_list(name, arg)?;
    let [low, high] = list.as_slice() else {
        return Err(InvalidFilter(format!(
            "Invalid filter: \"{name}\" needs exactly two values, got {}.",
            list.len()
        )));
    };
    let numeric = |v: &Value| {
        let n = if v.is_array() || v.is_object() {
            f64::NAN
        } else {
            js::to_number(v)
        };
        (!n.is_nan() && n.abs() <= js::MAX_SAFE_INTEGER).then_some(n)
    };
    if let (Some(a), Some(b)) = (numeric(low), numeric(high)) {
        return Ok((Limit::Number(a), Limit::Number(b)));
    }
    match (date_limit(low), date_limit(high)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(InvalidFilter(format!(
            "Invalid filter: \"{name}\" needs two numbers or two dates, got {}.",
            short_json(arg)
        ))),
    }
}

fn compile_regex(arg: &Value) -> Result<Op, InvalidFilter> {
    let source = match arg {
        Value::Null => return Ok(Op::OnlyTrue),
        Value::String(s) => s.clone(),
        Value::Number(_) | Value::Bool(_) => js::string(arg),
        _ => {
            return Err(InvalidFilter(format!(
                "Invalid filter: \"_regex\" needs a string, got {}.",
                type_name(arg)
            )));
        }
    };
    let (pattern, flags) = strip_regex_delimiters(&source);
    RegexBuilder::new(pattern)
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .dot_matches_new_line(flags.contains('s'))
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .nest_limit(MAX_DEPTH as u32)
        .build()
        .map(Op::Regex)
        .map_err(|err| {
            let reason = match err {
                regex::Error::CompiledTooBig(_) => "it is too large".to_owned(),
                other => {
                    let text = other.to_string();
                    let last = text
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("");
                    last.trim().trim_start_matches("error: ").to_owned()
                }
            };
            InvalidFilter(format!(
                "Invalid filter: \"_regex\" pattern {} can't be used: {reason}.",
                short_json(&Value::String(pattern.to_owned()))
            ))
        })
}

/// `/pattern/flags` → (`pattern`, `flags`) when the tail is made of JavaScript flag letters;
/// anything else is a bare pattern.
fn strip_regex_delimiters(source: &str) -> (&str, &str) {
    if let Some(rest) = source.strip_prefix('/')
        && let Some(end) = rest.rfind('/')
    {
        let flags = &rest[end + 1..];
        if flags.chars().all(|c| "dgimsuvy".contains(c)) {
            return (&rest[..end], flags);
        }
    }
    (source, "")
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A double as JSON: whole numbers within the safe range as integers.
fn number_value(n: f64) -> Value {
    if n.is_finite() && n.fract() == 0.0 && n.abs() <= js::MAX_SAFE_INTEGER {
        return Value::from(n as i64);
    }
    serde_json::Number::from_f64(n)
        .map_or_else(|| Value::String(js::number_to_string(n)), Value::Number)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// JSON text of a value, cut to a readable length for error messages.
fn short_json(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(100) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::filter::validate::tests::{fails, invalid, messages, one, passes, run};
    use crate::filter::validate::{CompiledFilter, MAX_FAILURES, Mode, ValidateError};
    use serde_json::{Map, json};

    // --- structure ----------------------------------------------------------------------------

    #[test]
    fn shorthand_is_eq() {
        passes(json!({"a": 5}), json!({"a": "5"}));
        passes(json!({"a": "x", "b": false}), json!({"a": "x", "b": false}));
        passes(json!({"a": null}), json!({"a": null}));
        passes(json!({"a": [1, 2]}), json!({"a": [1, 2]}));
        let failure = one(json!({"a": null}), json!({"a": 1}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value has to be null."
        );
    }

    #[test]
    fn several_operators_and_keys_are_anded_in_order() {
        let filter = json!({"a": {"_gt": 1, "_lt": 5}, "b": {"_eq": "x"}});
        passes(filter.clone(), json!({"a": 3, "b": "x"}));
        let failures = fails(filter, json!({"a": 9, "b": "y"}));
        assert_eq!(
            messages(&failures),
            [
                "Validation failed for field \"a\". Value has to be less than \"5\".",
                "Validation failed for field \"b\". Value has to be \"x\".",
            ]
        );
    }

    #[test]
    fn or_reports_all_branches_only_when_none_passes() {
        let filter = json!({"_or": [{"a": {"_eq": 1}}, {"b": {"_eq": 2}}]});
        passes(filter.clone(), json!({"a": 1}));
        passes(filter.clone(), json!({"a": 0, "b": 2}));
        let failures = fails(filter, json!({"a": 0}));
        assert_eq!(
            messages(&failures),
            [
                "Validation failed for field \"a\". Value has to be one of \"1\", \"1\".",
                "Validation failed for field \"b\". Value is required.",
            ]
        );
        passes(json!({"_or": []}), json!({}));
        passes(json!({"_and": []}), json!({}));
    }

    #[test]
    fn logical_operators_under_a_field_apply_to_it() {
        let branches = json!([{"kind": {"_eq": "a"}}, {"kind": {"_eq": "b"}}]);
        let filter = json!({"$trigger": {"body": {"_or": branches}}});
        passes(filter.clone(), json!({"$trigger": {"body": {"kind": "b"}}}));
        let failures = fails(filter, json!({"$trigger": {"body": {"kind": "c"}}}));
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[1].path, ["body", "kind"]);
        let filter = json!({"n": {"_and": [{"_gte": 1}, {"_lte": 3}]}});
        passes(filter.clone(), json!({"n": 2}));
        assert_eq!(one(filter, json!({"n": 4})).kind, "lte");
    }

    #[test]
    fn and_collects_every_failure() {
        let filter = json!({"_and": [
            {"a": {"_eq": "x"}},
            {"_or": [{"b": {"_null": true}}]},
            {"c": {"_nnull": true}}
        ]});
        let failures = fails(filter, json!({"a": "y", "b": 1, "c": null}));
        let kinds: Vec<&str> = failures.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, ["eq", "null", "nnull"]);
    }

    // --- limits -------------------------------------------------------------------------------

    #[test]
    fn list_limit() {
        let ok: Vec<u32> = (0..10_000).collect();
        passes(json!({"a": {"_in": ok}}), json!({"a": 9_999}));
        let too_long: Vec<u32> = (0..10_001).collect();
        assert!(invalid(json!({"a": {"_in": too_long}})).contains("more than 10000"));
        let csv = vec!["x"; 10_001].join(",");
        assert!(invalid(json!({"a": {"_nin": csv}})).contains("more than 10000"));
        let nested: Vec<Vec<u32>> = (0..101).map(|_| (0..100).collect()).collect();
        assert!(invalid(json!({"a": {"_in": nested}})).contains("more than 10000"));
    }

    // --- invalid filters ----------------------------------------------------------------------

    #[test]
    fn invalid_filters() {
        assert_eq!(
            invalid(json!({})),
            "[generateJoi] Filter doesn't contain field key. Passed filter: {}"
        );
        assert_eq!(
            invalid(json!({"_or": [{}]})),
            "[generateJoi] Filter doesn't contain field key. Passed filter: {}"
        );
        assert!(invalid(json!({"_eq": 1})).contains("needs a field"));
        assert!(
            invalid(json!({"a": {"_bogus": 1}})).contains("unknown filter operator \"_bogus\"")
        );
        assert!(invalid(json!({"_and": {"a": 1}})).contains("list of filter objects"));
        assert!(invalid(json!({"_or": [1]})).contains("list of filter objects"));
        assert!(invalid(json!([{"a": 1}])).contains("expected an object"));
        assert!(invalid(json!("a")).contains("expected an object"));
        assert!(invalid(json!({"a": {"_gt": "soon"}})).contains("needs a number or a date"));
        assert!(invalid(json!({"a": {"_lt": [1]}})).contains("needs a number or a date"));
        assert!(invalid(json!({"a": {"_between": [1, 2, 3]}})).contains("exactly two values"));
        assert!(invalid(json!({"a": {"_between": 1}})).contains("exactly two values"));
        assert!(
            invalid(json!({"a": {"_nbetween": ["x", "y"]}})).contains("two numbers or two dates")
        );
        // Invalid whatever the data: a broken branch after a passing one is still reported.
        let filter = json!({"_or": [{"a": {"_eq": 1}}, {"b": {"_nope": 1}}]});
        assert!(matches!(
            run(&filter, &json!({"a": 1}), Mode::RequireAll),
            Err(ValidateError::Invalid(_))
        ));
    }

    #[test]
    fn deep_nesting_is_rejected_without_recursion() {
        const DEEP: usize = 2_000;
        // Built by hand: `json!` would serialise (recursively) every level again.
        fn wrap(inner: Value, key: &str) -> Value {
            let mut map = Map::new();
            map.insert(key.to_owned(), inner);
            Value::Object(map)
        }
        fn nested(depth: usize) -> Value {
            (1..depth).fold(json!({"_eq": 1}), |inner, _| wrap(inner, "a"))
        }
        passes(
            nested(64),
            (1..64).fold(json!(1), |inner, _| wrap(inner, "a")),
        );
        assert!(invalid(nested(65)).contains("deeper than 64"));
        assert!(invalid(nested(DEEP)).contains("deeper than 64"));
        let list = (0..DEEP).fold(json!([1]), |inner, _| Value::Array(vec![inner]));
        assert!(invalid(wrap(wrap(list, "_eq"), "a")).contains("deeper than 64"));
    }

    #[test]
    fn rule_regex_and_failure_limits() {
        let rules = |n: usize| {
            let items: Vec<Value> = (0..n)
                .map(|i| json!({format!("f{i}"): {"_eq": 1}}))
                .collect();
            json!({"_and": items})
        };
        assert!(CompiledFilter::compile(&rules(MAX_RULES)).is_ok());
        assert!(invalid(rules(MAX_RULES + 1)).contains("more than 10000 rules"));
        let regexes = |n: usize| {
            let items: Vec<Value> = (0..n).map(|_| json!({"s": {"_regex": "^a"}})).collect();
            json!({"_or": items})
        };
        assert!(CompiledFilter::compile(&regexes(MAX_REGEXES)).is_ok());
        assert!(invalid(regexes(MAX_REGEXES + 1)).contains("\"_regex\" rules"));
        // Every rule fails: the report stops at MAX_FAILURES, and is still a failure.
        let failures = fails(rules(5_000), json!({}));
        assert_eq!(failures.len(), MAX_FAILURES);
        assert_eq!(failures[0].field, "f0");
        let or_of_ands = json!({"_or": [rules(800), rules(800)]});
        assert_eq!(fails(or_of_ands, json!({})).len(), MAX_FAILURES);
        let between: Vec<Value> = (0..600)
            .map(|_| json!({"n": {"_between": [2, 1]}}))
            .collect();
        assert_eq!(
            fails(json!({"_and": between}), json!({"n": 1.5})).len(),
            MAX_FAILURES
        );
    }

    #[test]
    fn realistic_regexes_compile() {
        for pattern in [
            r"^[\w.+-]+@[\w-]+\.[\w.-]+$",
            r"/^\d{4}-\d{2}-\d{2}$/",
            r"^\p{L}{1,50}$",
            r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            r"^.{0,1000}$",
            r"/^[a-zäöü ]{1,200}$/i",
            r"^[^<>]{0,500}$",
            r"^(?<user>[a-z]+)@",
        ] {
            let compiled = CompiledFilter::compile(&json!({"s": {"_regex": pattern}}));
            assert!(compiled.is_ok(), "{pattern}: {compiled:?}");
        }
    }
}
