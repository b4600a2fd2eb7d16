//! Filter evaluation: a compiled rule tree against a [`Source`], collecting failed rules.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, Days, NaiveDate, Timelike, Utc};
use serde_json::{Map, Value};

use super::compile::{CmpKind, Func, Leaf, Needle, Node, Op, Scale, Segment, TextOp};
use super::messages::{Failure, Spec, failure, invalid_spec, only_spec};
use super::{Mode, Source};
use crate::util::js;

/// Most failures one evaluation reports; further failed rules are not listed.
pub const MAX_FAILURES: usize = 1_000;

/// Every failed rule of `root` against `source`, in rule order (at most [`MAX_FAILURES`]).
pub(super) fn run(root: &Node, source: &dyn Source, mode: Mode, now: i64) -> Vec<Failure> {
    let ctx = Ctx { source, mode, now };
    let mut failures = Vec::new();
    eval(root, &ctx, &mut failures);
    failures
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

struct Ctx<'a> {
    source: &'a dyn Source,
    mode: Mode,
    now: i64,
}

fn eval(node: &Node, ctx: &Ctx<'_>, out: &mut Vec<Failure>) {
    match node {
        Node::And(children) => {
            for child in children {
                if out.len() >= MAX_FAILURES {
                    return;
                }
                eval(child, ctx, out);
            }
        }
        Node::Or(children) => {
            let mut swallowed = Vec::new();
            for child in children {
                // A fresh list per branch: a failing branch always records a failure.
                let mut branch = Vec::new();
                eval(child, ctx, &mut branch);
                if branch.is_empty() {
                    return;
                }
                let room = MAX_FAILURES.saturating_sub(swallowed.len());
                swallowed.extend(branch.into_iter().take(room));
            }
            let room = MAX_FAILURES.saturating_sub(out.len());
            out.extend(swallowed.into_iter().take(room));
        }
        Node::Leaf(leaf) => eval_leaf(leaf, ctx, out),
    }
}

enum Resolved<'a> {
    Found(Cow<'a, Value>),
    /// The segment at this index is absent.
    Missing(usize),
    /// The value at this index is not an object although the path goes on.
    Blocked {
        at: usize,
        null: bool,
    },
}

fn resolve<'a>(path: &[&Segment], source: &'a dyn Source) -> Resolved<'a> {
    let mut parent: Option<&'a Map<String, Value>> = None;
    let last = path.len().saturating_sub(1);
    for (index, segment) in path.iter().enumerate() {
        let key = match segment {
            Segment::Key(key) => key.as_str(),
            Segment::Func { field, .. } => field.as_str(),
        };
        let found = match parent {
            None => source.get(key),
            Some(map) => map.get(key),
        };
        let Some(found) = found else {
            return Resolved::Missing(index);
        };
        let value = match segment {
            Segment::Key(_) => Cow::Borrowed(found),
            Segment::Func { func, .. } => Cow::Owned(func.apply(found)),
        };
        if index == last {
            return Resolved::Found(value);
        }
        match value {
            Cow::Borrowed(Value::Object(map)) => parent = Some(map),
            other => {
                return Resolved::Blocked {
                    at: index,
                    null: other.is_null(),
                };
            }
        }
    }
    Resolved::Missing(0)
}

fn eval_leaf(leaf: &Leaf, ctx: &Ctx<'_>, out: &mut Vec<Failure>) {
    let path = leaf.path.segments();
    let (at, specs) = match resolve(&path, ctx.source) {
        Resolved::Found(value) => {
            let mut specs = Vec::new();
            check(&leaf.op, &value, ctx.now, &mut specs);
            (path.len().saturating_sub(1), specs)
        }
        Resolved::Missing(at) => {
            let required = match leaf.op {
                Op::Empty => false,
                Op::Submitted => true,
                _ => ctx.mode == Mode::RequireAll,
            };
            (
                at,
                if required {
                    vec![Spec::new("required")]
                } else {
                    Vec::new()
                },
            )
        }
        // D6: below a `null` parent the value is missing, which `_empty` accepts.
        Resolved::Blocked { at, null } => {
            let empty_ok = null && matches!(leaf.op, Op::Empty);
            (
                at,
                if empty_ok {
                    Vec::new()
                } else {
                    vec![Spec::new("required")]
                },
            )
        }
    };
    let room = MAX_FAILURES.saturating_sub(out.len());
    out.extend(
        specs
            .into_iter()
            .take(room)
            .map(|spec| failure(&path, at, spec)),
    );
}

/// Applies one operator to a present value, pushing what failed.
fn check(op: &Op, value: &Value, now: i64, out: &mut Vec<Spec>) {
    match op {
        Op::Eq(valids) | Op::In(valids) => {
            if !valids.iter().any(|v| json_eq(v, value)) {
                out.push(only_spec(valids));
            }
        }
        Op::Neq(invalids) | Op::Nin(invalids) => {
            if invalids.iter().any(|v| json_eq(v, value)) {
                out.push(invalid_spec(invalids));
            }
        }
        Op::IEq { raw, valids } => {
            if !ieq(raw, valids, value) {
                out.push(Spec::new("ieq").valid(raw.clone()));
            }
        }
        Op::NIEq { raw, valids } => {
            if ieq(raw, valids, value) {
                out.push(Spec::new("nieq").invalid(raw.clone()));
            }
        }
        Op::Null => {
            if !value.is_null() {
                out.push(Spec::new("null"));
            }
        }
        Op::NNull => {
            if value.is_null() {
                out.push(Spec::new("nnull"));
            }
        }
        Op::Empty => {
            if !is_empty(value) {
                out.push(Spec::new("empty"));
            }
        }
        Op::NEmpty => {
            if is_empty(value) {
                out.push(Spec::new("nempty"));
            }
        }
        Op::Cmp(kind, limit) => match coerce(value, limit.scale()) {
            None => out.push(Spec::new("required")),
            Some(v) => {
                if !kind.holds(v, limit.at(now)) {
                    out.push(Spec::limit(*kind, *limit));
                }
            }
        },
        Op::Between(low, high) => match coerce(value, low.scale()) {
            None => out.push(Spec::new("required")),
            Some(v) => {
                if v < low.at(now) {
                    out.push(Spec::limit(CmpKind::Gte, *low));
                }
                if v > high.at(now) {
                    out.push(Spec::limit(CmpKind::Lte, *high));
                }
            }
        },
        Op::NBetween(low, high) => match coerce(value, low.scale()) {
            None => out.push(Spec::new("required")),
            Some(v) => {
                if !(v < low.at(now) || v > high.at(now)) {
                    out.push(
                        Spec::new("nbetween").invalid(Value::Array(vec![low.json(), high.json()])),
                    );
                }
            }
        },
        Op::Text(text_op, needle) => {
            let passes = match value {
                Value::String(s) if !s.is_empty() => text_op.hits(s, needle) != text_op.negated(),
                Value::Array(items) if text_op.accepts_arrays() => {
                    let any = items.iter().any(|item| {
                        item.as_str()
                            .is_some_and(|s| !s.is_empty() && text_op.hits(s, needle))
                    });
                    any != text_op.negated()
                }
                _ => {
                    out.push(Spec::new("required"));
                    return;
                }
            };
            if !passes {
                out.push(Spec::new(text_op.kind()).substring(&needle.text));
            }
        }
        Op::OnlyTrue => {
            if value != &Value::Bool(true) {
                out.push(Spec::new("eq").valid(Value::Bool(true)));
            }
        }
        Op::Regex(regex) => match value {
            Value::String(s) => {
                if !regex.is_match(s) {
                    out.push(Spec::new("regex").invalid(value.clone()));
                }
            }
            _ => out.push(Spec::new("required")),
        },
        Op::Submitted | Op::Any => {}
    }
}

fn ieq(raw: &Value, valids: &[Value], value: &Value) -> bool {
    if let (Value::String(a), Value::String(b)) = (raw, value) {
        return a.to_lowercase() == b.to_lowercase();
    }
    valids.iter().any(|v| json_eq(v, value))
}

/// D6: missing (handled by the caller), `null`, `''`, `[]`, `{}`.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Joi `valid()` equality: primitives by value (numbers as doubles), arrays and objects deeply
/// (object key order ignored). Recursion is bounded by the depth of `a` (the filter side).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => false,
    }
}

/// Joi's conversion of a value for `Joi.number()` / `Joi.date()`; `None` = wrong type.
fn coerce(value: &Value, scale: Scale) -> Option<f64> {
    match (scale, value) {
        (Scale::Number, Value::Number(n)) => n.as_f64().filter(|n| n.is_finite()),
        (Scale::Number, Value::String(s)) => {
            js::decimal_literal(js::trim(s)).filter(|n| n.is_finite())
        }
        (Scale::Date, Value::Number(n)) => n.as_f64().and_then(date_from_number),
        (Scale::Date, Value::String(s)) => {
            let t = js::trim(s);
            if t.is_empty() {
                return None;
            }
            if is_plain_decimal(t) {
                return t.parse::<f64>().ok().and_then(date_from_number);
            }
            js::parse_date(t).map(|ms| ms as f64)
        }
        _ => None,
    }
}

/// `new Date(n)`: finite, within the Date range, truncated to whole milliseconds.
fn date_from_number(n: f64) -> Option<f64> {
    (n.is_finite() && n.abs() <= js::MAX_DATE_MS as f64).then(|| n.trunc())
}

/// Joi's date coercion of numeric strings: `^[+-]?\d+(\.\d+)?$` (already trimmed).
fn is_plain_decimal(t: &str) -> bool {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (int, frac) = match digits.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (digits, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

// ---------------------------------------------------------------------------------------------
// Function keys and operator tests
// ---------------------------------------------------------------------------------------------

impl Func {
    /// Directus `packages/utils/shared/functions.ts` on a UTC host.
    fn apply(self, value: &Value) -> Value {
        if self == Self::Count {
            return value
                .as_array()
                .map_or(Value::Null, |items| Value::from(items.len()));
        }
        let Some(date) = value
            .as_str()
            .and_then(js::parse_date)
            .and_then(DateTime::<Utc>::from_timestamp_millis)
        else {
            return Value::Null;
        };
        let n: i64 = match self {
            Self::Year => i64::from(date.year()),
            Self::Month => i64::from(date.month()),
            Self::Week => i64::from(us_week(date.date_naive())),
            Self::Day => i64::from(date.day()),
            Self::Weekday => i64::from(date.weekday().num_days_from_sunday()),
            Self::Hour => i64::from(date.hour()),
            Self::Minute => i64::from(date.minute()),
            Self::Second => i64::from(date.second()),
            Self::Count => return Value::Null,
        };
        Value::from(n)
    }
}

/// date-fns `getWeek` with its defaults (weeks start on Sunday, week 1 contains 1 January).
fn us_week(date: NaiveDate) -> u32 {
    let week_start = |d: NaiveDate| d - Days::new(u64::from(d.weekday().num_days_from_sunday()));
    let this_year = NaiveDate::from_ymd_opt(date.year(), 1, 1).map(week_start);
    let next_year = NaiveDate::from_ymd_opt(date.year() + 1, 1, 1).map(week_start);
    let first = match (this_year, next_year) {
        (_, Some(next)) if date >= next => next,
        (Some(this), _) => this,
        _ => return 1,
    };
    let weeks = (week_start(date) - first).num_days() / 7;
    u32::try_from(weeks + 1).unwrap_or(1)
}

impl CmpKind {
    fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Self::Lt => value < limit,
            Self::Lte => value <= limit,
            Self::Gt => value > limit,
            Self::Gte => value >= limit,
        }
    }
}

impl TextOp {
    /// Whether `text` has the needle (before negation).
    fn hits(self, text: &str, needle: &Needle) -> bool {
        let lowered;
        let (haystack, needle) = if self.insensitive() {
            lowered = text.to_lowercase();
            (lowered.as_str(), needle.lower.as_str())
        } else {
            (text, needle.text.as_str())
        };
        match self {
            Self::Contains | Self::NContains | Self::IContains | Self::NIContains => {
                haystack.contains(needle)
            }
            Self::StartsWith | Self::NStartsWith | Self::IStartsWith | Self::NIStartsWith => {
                haystack.starts_with(needle)
            }
            Self::EndsWith | Self::NEndsWith | Self::IEndsWith | Self::NIEndsWith => {
                haystack.ends_with(needle)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::filter::validate::tests::{invalid, one, passes, run};
    use crate::filter::validate::{CompiledFilter, ValidateError, validate};
    use serde_json::json;

    // --- nested paths -------------------------------------------------------------------------

    #[test]
    fn missing_or_non_object_intermediate_fails_at_that_step() {
        let filter = json!({"$trigger": {"body": {"id": {"_eq": 1}}}});
        let failure = one(filter.clone(), json!({"$trigger": {}}));
        assert_eq!(
            (failure.field.as_str(), failure.path.clone()),
            ("$trigger", vec!["body".into()])
        );
        assert_eq!(failure.kind, "required");
        let failure = one(filter.clone(), json!({"$trigger": {"body": "text"}}));
        assert_eq!(failure.path, ["body"]);
        let failure = one(filter.clone(), json!({"$trigger": {"body": [1]}}));
        assert_eq!(failure.path, ["body"]);
        let failure = one(filter.clone(), json!({}));
        assert_eq!(
            (failure.field.as_str(), failure.path.len()),
            ("$trigger", 0)
        );
        // Partial: a missing parent is skipped, a non-object one still fails.
        assert_eq!(
            run(&filter, &json!({"$trigger": {}}), Mode::Partial),
            Ok(())
        );
        assert!(run(&filter, &json!({"$trigger": {"body": null}}), Mode::Partial).is_err());
    }

    #[test]
    fn empty_field_rule_checks_presence_only() {
        passes(json!({"a": {}}), json!({"a": null}));
        assert_eq!(one(json!({"a": {}}), json!({})).kind, "required");
        assert_eq!(run(&json!({"a": {}}), &json!({}), Mode::Partial), Ok(()));
    }

    // --- equality -----------------------------------------------------------------------------

    #[test]
    fn eq_number_string_duality() {
        passes(json!({"a": {"_eq": 5}}), json!({"a": 5}));
        passes(json!({"a": {"_eq": 5}}), json!({"a": "5"}));
        passes(json!({"a": {"_eq": 5}}), json!({"a": 5.0}));
        passes(json!({"a": {"_eq": "5"}}), json!({"a": 5}));
        passes(json!({"a": {"_eq": "5"}}), json!({"a": "5"}));
        passes(json!({"a": {"_eq": 1.5}}), json!({"a": "1.5"}));
        passes(json!({"a": {"_eq": "0x10"}}), json!({"a": 16}));
        let failure = one(json!({"a": {"_eq": 5}}), json!({"a": "5.0"}));
        assert_eq!(failure.kind, "in");
        assert_eq!(failure.valid, Some(json!([5, "5"])));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value has to be one of \"5\", \"5\"."
        );
        let failure = one(json!({"a": {"_eq": "abc"}}), json!({"a": "ABC"}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value has to be \"abc\"."
        );
    }

    #[test]
    fn eq_booleans_null_and_empty_string_are_strict() {
        assert_eq!(
            one(json!({"a": {"_eq": true}}), json!({"a": "true"})).kind,
            "eq"
        );
        assert_eq!(one(json!({"a": {"_eq": true}}), json!({"a": 1})).kind, "eq");
        assert_eq!(
            one(json!({"a": {"_eq": false}}), json!({"a": 0})).kind,
            "eq"
        );
        let failure = one(json!({"a": {"_eq": null}}), json!({"a": 0}));
        assert_eq!((failure.kind, failure.valid), ("null", None));
        let failure = one(json!({"a": {"_eq": ""}}), json!({"a": null}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value has to be empty."
        );
        assert_eq!(
            one(json!({"a": {"_eq": ""}}), json!({"a": 0})).kind,
            "empty"
        );
        assert_eq!(one(json!({"a": {"_eq": 0}}), json!({"a": ""})).kind, "in");
        passes(
            json!({"a": {"_eq": {"x": [1, "y"]}}}),
            json!({"a": {"x": [1.0, "y"]}}),
        );
    }

    #[test]
    fn neq() {
        passes(json!({"a": {"_neq": "x"}}), json!({"a": "y"}));
        passes(json!({"a": {"_neq": 5}}), json!({"a": "6"}));
        let failure = one(json!({"a": {"_neq": "x"}}), json!({"a": "x"}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value can't be \"x\"."
        );
        assert_eq!(failure.invalid, Some(json!("x")));
        let failure = one(json!({"a": {"_neq": 5}}), json!({"a": "5"}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value can't be one of \"5\", \"5\"."
        );
        assert_eq!(failure.kind, "nin");
        let failure = one(json!({"a": {"_neq": null}}), json!({"a": null}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value can't be null."
        );
        assert_eq!(
            one(json!({"a": {"_neq": ""}}), json!({"a": ""})).kind,
            "nempty"
        );
        assert_eq!(one(json!({"a": {"_neq": 1}}), json!({})).kind, "required");
    }

    #[test]
    fn ieq_and_nieq() {
        passes(json!({"a": {"_ieq": "Hello"}}), json!({"a": "hELLO"}));
        passes(json!({"a": {"_ieq": 5}}), json!({"a": "5"}));
        let failure = one(json!({"a": {"_ieq": "Hello"}}), json!({"a": "bye"}));
        assert_eq!(
            (failure.kind, failure.valid.clone()),
            ("ieq", Some(json!("Hello")))
        );
        assert_eq!(failure.message, "Validation failed for field \"a\".");
        passes(json!({"a": {"_nieq": "Hello"}}), json!({"a": "bye"}));
        let failure = one(json!({"a": {"_nieq": "Hello"}}), json!({"a": "HELLO"}));
        assert_eq!(
            (failure.kind, failure.invalid),
            ("nieq", Some(json!("Hello")))
        );
    }

    // --- lists --------------------------------------------------------------------------------

    #[test]
    fn in_and_nin() {
        passes(json!({"a": {"_in": ["x", "y"]}}), json!({"a": "y"}));
        passes(
            json!({"a": {"_in": {"0": "x", "21": "y"}}}),
            json!({"a": "y"}),
        );
        passes(json!({"a": {"_in": "x,y"}}), json!({"a": "y"}));
        passes(json!({"a": {"_in": 3}}), json!({"a": 3}));
        passes(json!({"a": {"_in": [[1, 2], 3]}}), json!({"a": 2}));
        let failure = one(json!({"a": {"_in": [1, 2]}}), json!({"a": "1"}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value has to be one of \"1\", \"2\"."
        );
        assert_eq!(failure.valid, Some(json!([1, 2])));
        let failure = one(json!({"a": {"_in": ["x"]}}), json!({"a": "z"}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value has to be \"x\"."
        );
        assert_eq!(one(json!({"a": {"_in": []}}), json!({"a": 1})).kind, "in");
        passes(json!({"a": {"_nin": ["x", "y"]}}), json!({"a": "z"}));
        passes(json!({"a": {"_nin": [1]}}), json!({"a": "1"}));
        passes(json!({"a": {"_nin": []}}), json!({"a": 1}));
        let failure = one(json!({"a": {"_nin": ["x", "y"]}}), json!({"a": "x"}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value can't be one of \"x\", \"y\"."
        );
        assert_eq!(failure.invalid, Some(json!(["x", "y"])));
        assert_eq!(
            one(json!({"a": {"_nin": ["x"]}}), json!({"a": "x"})).kind,
            "neq"
        );
    }

    // --- null / empty -------------------------------------------------------------------------

    #[test]
    fn null_and_nnull_ignore_their_argument() {
        passes(json!({"a": {"_null": true}}), json!({"a": null}));
        passes(json!({"a": {"_null": false}}), json!({"a": null}));
        let failure = one(json!({"a": {"_null": true}}), json!({"a": 0}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value has to be null."
        );
        passes(json!({"a": {"_nnull": true}}), json!({"a": ""}));
        passes(json!({"a": {"_nnull": false}}), json!({"a": 0}));
        let failure = one(json!({"a": {"_nnull": true}}), json!({"a": null}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value can't be null."
        );
        assert_eq!(
            one(json!({"a": {"_null": true}}), json!({})).kind,
            "required"
        );
    }

    #[test]
    fn d6_empty_matches_missing_null_blank_and_empty_containers() {
        for data in [
            json!({}),
            json!({"a": null}),
            json!({"a": ""}),
            json!({"a": []}),
            json!({"a": {}}),
        ] {
            passes(json!({"a": {"_empty": true}}), data.clone());
            assert_eq!(
                run(&json!({"a": {"_empty": true}}), &data, Mode::Partial),
                Ok(())
            );
        }
        passes(json!({"a": {"b": {"_empty": true}}}), json!({"a": null}));
        passes(json!({"a": {"b": {"_empty": true}}}), json!({}));
        assert_eq!(
            one(json!({"a": {"b": {"_empty": true}}}), json!({"a": 5})).kind,
            "required"
        );
        for value in [
            json!(" "),
            json!(0),
            json!(false),
            json!([null]),
            json!({"x": 1}),
        ] {
            let failure = one(json!({"a": {"_empty": true}}), json!({"a": value}));
            assert_eq!(
                failure.message,
                "Validation failed for field \"a\". Value has to be empty."
            );
        }
    }

    #[test]
    fn d6_nempty_is_the_negation() {
        for value in [json!(null), json!(""), json!([]), json!({})] {
            let failure = one(json!({"a": {"_nempty": true}}), json!({"a": value}));
            assert_eq!(failure.kind, "nempty");
            assert_eq!(
                failure.message,
                "Validation failed for field \"a\". Value can't be empty."
            );
        }
        let failure = one(json!({"a": {"_nempty": true}}), json!({}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value is required."
        );
        for value in [json!("x"), json!(0), json!(false), json!([1])] {
            passes(json!({"a": {"_nempty": true}}), json!({"a": value}));
        }
        // Partial mode skips the missing key, but judges a present null.
        assert_eq!(
            run(&json!({"a": {"_nempty": true}}), &json!({}), Mode::Partial),
            Ok(())
        );
        assert!(
            run(
                &json!({"a": {"_nempty": true}}),
                &json!({"a": null}),
                Mode::Partial
            )
            .is_err()
        );
    }

    // --- comparisons --------------------------------------------------------------------------

    #[test]
    fn numeric_comparisons() {
        let cases = [("_lt", 4, 5), ("_lte", 5, 6), ("_gt", 6, 5), ("_gte", 5, 4)];
        for (op, good, bad) in cases {
            passes(json!({"n": {op: 5}}), json!({"n": good}));
            passes(json!({"n": {op: "5"}}), json!({"n": good.to_string()}));
            let failure = one(json!({"n": {op: 5}}), json!({"n": bad}));
            assert_eq!(failure.kind, &op[1..]);
            assert_eq!(failure.valid, Some(json!(5)));
        }
        assert_eq!(
            one(json!({"n": {"_lt": 5}}), json!({"n": 5})).message,
            "Validation failed for field \"n\". Value has to be less than \"5\"."
        );
        assert_eq!(
            one(json!({"n": {"_gt": 5}}), json!({"n": 5})).message,
            "Validation failed for field \"n\". Value has to be greater than \"5\"."
        );
        assert_eq!(
            one(json!({"n": {"_gte": 5.5}}), json!({"n": 5})).message,
            "Validation failed for field \"n\". Value has to be greater than or equal to \"5.5\"."
        );
        passes(json!({"n": {"_gt": "1e3"}}), json!({"n": " 1001 "}));
        passes(json!({"n": {"_gt": null}}), json!({"n": 0.5}));
        for value in [
            json!("abc"),
            json!(null),
            json!(true),
            json!(""),
            json!([1]),
            json!("0x10"),
        ] {
            assert_eq!(
                one(json!({"n": {"_gt": 0}}), json!({"n": value})).kind,
                "required"
            );
        }
    }

    #[test]
    fn seed_count_rule() {
        let filter = json!({"count": {"_lte": 100}});
        passes(filter.clone(), json!({"count": 100}));
        passes(filter.clone(), json!({"count": "100"}));
        passes(filter.clone(), json!({"count": 0}));
        let failure = one(filter.clone(), json!({"count": 101}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"count\". Value has to be less than or equal to \"100\"."
        );
        assert_eq!(
            (failure.kind, failure.valid.clone()),
            ("lte", Some(json!(100)))
        );
        assert_eq!(one(filter, json!({"count": "101"})).kind, "lte");
    }

    #[test]
    fn date_comparisons() {
        let filter = json!({"d": {"_gt": "2024-01-01"}});
        passes(filter.clone(), json!({"d": "2024-06-01T10:00:00Z"}));
        passes(filter.clone(), json!({"d": "2024-01-01T00:00:00.001Z"}));
        passes(filter.clone(), json!({"d": "2024-01-01T00:30:00-01:00"}));
        passes(filter.clone(), json!({"d": 1_704_067_200_001_i64}));
        passes(filter.clone(), json!({"d": "1704067200001"}));
        passes(filter.clone(), json!({"d": "2024-01-02"}));
        passes(filter.clone(), json!({"d": "2024-01-01 12:00"}));
        passes(
            filter.clone(),
            json!({"d": "Tue, 02 Jan 2024 00:00:00 +0000"}),
        );
        let failure = one(filter.clone(), json!({"d": "2023-12-31T23:59:59.999Z"}));
        assert_eq!(failure.kind, "gt");
        assert_eq!(failure.valid, Some(json!("2024-01-01T00:00:00.000Z")));
        assert_eq!(
            failure.message,
            concat!(
                "Validation failed for field \"d\". Value has to be greater than ",
                "\"Mon Jan 01 2024 00:00:00 GMT+0000 (Coordinated Universal Time)\"."
            )
        );
        assert_eq!(
            one(filter.clone(), json!({"d": "2024-01-01T00:30:00+01:00"})).kind,
            "gt"
        );
        for value in [
            json!("not a date"),
            json!(null),
            json!(""),
            json!(true),
            json!("2024-13-01"),
        ] {
            assert_eq!(one(filter.clone(), json!({"d": value})).kind, "required");
        }
        passes(
            json!({"d": {"_lte": "2024-01-01T10:00:00+02:00"}}),
            json!({"d": "2024-01-01T08:00:00Z"}),
        );
        assert_eq!(
            one(
                json!({"d": {"_lte": "2024-01-01T10:00:00+02:00"}}),
                json!({"d": "2024-01-01T08:00:01Z"})
            )
            .kind,
            "lte"
        );
        passes(json!({"d": {"_lt": "now"}}), json!({"d": "2000-01-01"}));
        let failure = one(json!({"d": {"_gte": "now"}}), json!({"d": "2000-01-01"}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"d\". Value has to be greater than or equal to \"now\"."
        );
        let compiled = CompiledFilter::compile(&json!({"d": {"_gt": "now"}})).unwrap();
        let at = DateTime::<Utc>::from_timestamp_millis(1_000).unwrap();
        assert_eq!(
            compiled.validate_at(&json!({"d": 1_001}), Mode::RequireAll, at),
            Ok(())
        );
        assert!(
            compiled
                .validate_at(&json!({"d": 1_000}), Mode::RequireAll, at)
                .is_err()
        );
    }

    #[test]
    fn between_and_d7_nbetween_numbers() {
        let filter = json!({"n": {"_between": [1, 10]}});
        for good in [json!(1), json!(5), json!(10), json!("7")] {
            passes(filter.clone(), json!({"n": good}));
        }
        let failure = one(filter.clone(), json!({"n": 0}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"n\". Value has to be greater than or equal to \"1\"."
        );
        let failure = one(filter.clone(), json!({"n": 11}));
        assert_eq!((failure.kind, failure.valid), ("lte", Some(json!(10))));
        assert_eq!(one(filter, json!({"n": "x"})).kind, "required");
        passes(json!({"n": {"_between": "1,10"}}), json!({"n": 3}));
        passes(
            json!({"n": {"_between": {"0": 1, "1": 10}}}),
            json!({"n": 3}),
        );

        let filter = json!({"n": {"_nbetween": [1, 10]}});
        for good in [json!(0), json!(11), json!(-5), json!("12")] {
            passes(filter.clone(), json!({"n": good}));
        }
        for bad in [json!(1), json!(5), json!(10)] {
            let failure = one(filter.clone(), json!({"n": bad}));
            assert_eq!(failure.kind, "nbetween");
            assert_eq!(failure.invalid, Some(json!([1, 10])));
            assert_eq!(failure.message, "Validation failed for field \"n\".");
        }
    }

    #[test]
    fn between_and_nbetween_dates() {
        let filter = json!({"d": {"_between": ["2024-01-01", "2024-12-31T23:59:59Z"]}});
        passes(filter.clone(), json!({"d": "2024-06-15"}));
        let failure = one(filter.clone(), json!({"d": "2025-01-01"}));
        assert_eq!(
            (failure.kind, failure.valid),
            ("lte", Some(json!("2024-12-31T23:59:59.000Z")))
        );
        assert_eq!(one(filter, json!({"d": "2023-12-31"})).kind, "gte");
        let filter = json!({"d": {"_nbetween": ["2024-01-01", "2024-12-31"]}});
        passes(filter.clone(), json!({"d": "2025-02-01"}));
        passes(filter.clone(), json!({"d": "2023-02-01"}));
        let failure = one(filter, json!({"d": "2024-02-01"}));
        assert_eq!(
            failure.invalid,
            Some(json!([
                "2024-01-01T00:00:00.000Z",
                "2024-12-31T00:00:00.000Z"
            ]))
        );
    }

    // --- strings ------------------------------------------------------------------------------

    #[test]
    fn string_operators_pass_and_fail() {
        // (operator, needle, passing value, failing value)
        let cases = [
            ("_contains", "ell", "hello", "HELLO"),
            ("_ncontains", "ell", "HELLO", "hello"),
            ("_icontains", "ELL", "hello", "help"),
            ("_nicontains", "ELL", "help", "hello"),
            ("_starts_with", "he", "hello", "Hello"),
            ("_nstarts_with", "he", "Hello", "hello"),
            ("_istarts_with", "HE", "hello", "oh hello"),
            ("_nistarts_with", "HE", "oh hello", "hello"),
            ("_ends_with", "lo", "hello", "helLO"),
            ("_nends_with", "lo", "helLO", "hello"),
            ("_iends_with", "LO", "hello", "hello!"),
            ("_niends_with", "LO", "hello!", "hello"),
        ];
        for (op, needle, good, bad) in cases {
            passes(json!({"s": {op: needle}}), json!({"s": good}));
            let failure = one(json!({"s": {op: needle}}), json!({"s": bad}));
            assert_eq!(failure.kind, &op[1..], "{op}");
            assert_eq!(failure.substring, Some(json!(needle)), "{op}");
            // '' and non-strings fail every string operator.
            for wrong in [
                json!(""),
                json!(5),
                json!(null),
                json!(true),
                json!({"x": "hello"}),
            ] {
                assert_eq!(
                    one(json!({"s": {op: needle}}), json!({"s": wrong})).kind,
                    "required",
                    "{op}"
                );
            }
        }
        let msg = |op: &str, value: &str| one(json!({"s": {op: "@"}}), json!({"s": value})).message;
        assert_eq!(
            msg("_contains", "x"),
            "Validation failed for field \"s\". Value has to contain \"@\"."
        );
        assert_eq!(
            msg("_icontains", "x"),
            "Validation failed for field \"s\". Value has to contain \"@\"."
        );
        assert_eq!(
            msg("_ncontains", "@"),
            "Validation failed for field \"s\". Value can't contain \"@\"."
        );
        assert_eq!(
            msg("_starts_with", "x"),
            "Validation failed for field \"s\"."
        );
        passes(json!({"s": {"_starts_with": "a.b"}}), json!({"s": "a.bc"}));
        assert_eq!(
            one(json!({"s": {"_starts_with": "a.b"}}), json!({"s": "axbc"})).kind,
            "starts_with"
        );
    }

    #[test]
    fn contains_family_on_arrays() {
        passes(json!({"s": {"_contains": "b"}}), json!({"s": [1, "abc"]}));
        passes(json!({"s": {"_icontains": "B"}}), json!({"s": ["abc"]}));
        assert_eq!(
            one(json!({"s": {"_contains": "b"}}), json!({"s": [1, "xyz"]})).kind,
            "contains"
        );
        assert_eq!(
            one(json!({"s": {"_contains": "b"}}), json!({"s": []})).kind,
            "contains"
        );
        passes(json!({"s": {"_ncontains": "b"}}), json!({"s": [1, "xyz"]}));
        passes(json!({"s": {"_ncontains": "b"}}), json!({"s": []}));
        assert_eq!(
            one(json!({"s": {"_ncontains": "b"}}), json!({"s": ["abc"]})).kind,
            "ncontains"
        );
        assert_eq!(
            one(json!({"s": {"_nicontains": "B"}}), json!({"s": ["abc"]})).kind,
            "nicontains"
        );
        assert_eq!(
            one(json!({"s": {"_starts_with": "a"}}), json!({"s": ["abc"]})).kind,
            "required"
        );
    }

    #[test]
    fn string_operator_with_non_string_argument_wants_true() {
        passes(json!({"s": {"_contains": 5}}), json!({"s": true}));
        let failure = one(json!({"s": {"_starts_with": null}}), json!({"s": "abc"}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"s\". Value has to be \"true\"."
        );
    }

    #[test]
    fn regex_operator() {
        passes(json!({"s": {"_regex": "^[a-z]+$"}}), json!({"s": "abc"}));
        passes(json!({"s": {"_regex": "/^[a-z]+$/"}}), json!({"s": "abc"}));
        passes(json!({"s": {"_regex": "/^[a-z]+$/i"}}), json!({"s": "ABC"}));
        passes(json!({"s": {"_regex": "b"}}), json!({"s": "abc"}));
        passes(json!({"s": {"_regex": "^$"}}), json!({"s": ""}));
        passes(
            json!({"s": {"_regex": "/usr/bin"}}),
            json!({"s": "/usr/bin/env"}),
        );
        passes(
            json!({"s": {"_regex": "^\\/api\\/"}}),
            json!({"s": "/api/x"}),
        );
        let failure = one(json!({"s": {"_regex": "/^[a-z]+$/"}}), json!({"s": "ABC"}));
        assert_eq!(failure.kind, "regex");
        assert_eq!(failure.invalid, Some(json!("ABC")));
        assert_eq!(
            failure.message,
            "Validation failed for field \"s\". Value doesn't have the correct format."
        );
        assert_eq!(
            one(json!({"s": {"_regex": "a"}}), json!({"s": 5})).kind,
            "required"
        );
        assert_eq!(
            one(json!({"s": {"_regex": null}}), json!({"s": "a"})).kind,
            "eq"
        );
        assert!(
            invalid(json!({"s": {"_regex": "(a)\\1"}})).starts_with("Invalid filter: \"_regex\"")
        );
        assert!(invalid(json!({"s": {"_regex": "(?=a)"}})).contains("can't be used"));
        assert!(invalid(json!({"s": {"_regex": "("}})).contains("can't be used"));
        assert!(invalid(json!({"s": {"_regex": "\\w{1000}{1000}"}})).contains("too large"));
        assert!(invalid(json!({"s": {"_regex": ["a"]}})).contains("needs a string"));
        // Linear time: the classic catastrophic-backtracking pattern finishes at once.
        let long = "a".repeat(50_000);
        assert_eq!(
            one(
                json!({"s": {"_regex": "^(a+)+$"}}),
                json!({"s": format!("{long}!")})
            )
            .kind,
            "regex"
        );
    }

    // --- presence / pass-through operators ----------------------------------------------------

    #[test]
    fn submitted() {
        let filter = json!({"a": {"_submitted": true}});
        passes(filter.clone(), json!({"a": null}));
        let failure = one(filter.clone(), json!({}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"a\". Value is required."
        );
        match run(&filter, &json!({}), Mode::Partial) {
            Err(ValidateError::Failed(failures)) => assert_eq!(failures[0].kind, "required"),
            other => panic!("{other:?}"),
        }
        assert_eq!(run(&filter, &json!({"a": ""}), Mode::Partial), Ok(()));
    }

    #[test]
    fn unevaluated_operators_pass_when_present() {
        for op in [
            "_intersects",
            "_nintersects",
            "_intersects_bbox",
            "_nintersects_bbox",
            "_some",
            "_none",
        ] {
            passes(
                json!({"g": {op: {"type": "Point", "coordinates": [0, 0]}}}),
                json!({"g": 1}),
            );
            assert_eq!(one(json!({"g": {op: {}}}), json!({})).kind, "required");
            assert_eq!(
                run(&json!({"g": {op: {}}}), &json!({}), Mode::Partial),
                Ok(())
            );
        }
    }

    #[test]
    fn partial_mode_skips_missing_keys() {
        let filter = json!({"_and": [
            {"status": {"_in": ["draft", "review"]}},
            {"title": {"_nnull": true}},
            {"price": {"_gte": 0}},
            {"email": {"_contains": "@"}}
        ]});
        assert_eq!(run(&filter, &json!({}), Mode::Partial), Ok(()));
        assert_eq!(run(&filter, &json!({"price": 3}), Mode::Partial), Ok(()));
        match run(
            &filter,
            &json!({"status": "published", "title": null}),
            Mode::Partial,
        ) {
            Err(ValidateError::Failed(failures)) => {
                let kinds: Vec<&str> = failures.iter().map(|f| f.kind).collect();
                assert_eq!(kinds, ["in", "nnull"]);
            }
            other => panic!("{other:?}"),
        }
        let payload: Map<String, Value> = serde_json::from_str(r#"{"price": -1}"#).unwrap();
        match validate(&filter, &payload, Mode::Partial) {
            Err(ValidateError::Failed(failures)) => assert_eq!(failures[0].kind, "gte"),
            other => panic!("{other:?}"),
        }
    }

    // --- functions ----------------------------------------------------------------------------

    #[test]
    fn function_keys() {
        let data = json!({"date_created": "2022-03-29T11:37:56Z", "items": [1, 2, 3]});
        passes(json!({"year(date_created)": {"_eq": 2022}}), data.clone());
        passes(json!({"month(date_created)": {"_eq": 3}}), data.clone());
        passes(json!({"day(date_created)": {"_eq": 29}}), data.clone());
        passes(json!({"weekday(date_created)": {"_eq": 2}}), data.clone());
        passes(json!({"week(date_created)": {"_eq": 14}}), data.clone());
        passes(json!({"hour(date_created)": {"_eq": 11}}), data.clone());
        passes(json!({"minute(date_created)": {"_eq": 37}}), data.clone());
        passes(json!({"second(date_created)": {"_eq": 56}}), data.clone());
        passes(json!({"count(items)": {"_gt": 2}}), data.clone());
        passes(
            json!({"$trigger": {"body": {"count(items)": {"_eq": 3}}}}),
            json!({"$trigger": {"body": data.clone()}}),
        );
        let failure = one(json!({"year(date_created)": {"_gte": 2023}}), data.clone());
        assert_eq!(failure.field, "year(date_created)");
        assert_eq!(
            failure.message,
            concat!(
                "Validation failed for field \"year(date_created)\". ",
                "Value has to be greater than or equal to \"2023\"."
            )
        );
        assert_eq!(
            one(json!({"year(missing)": {"_eq": 1}}), data.clone()).kind,
            "required"
        );
        passes(
            json!({"count(date_created)": {"_null": true}}),
            data.clone(),
        );
        passes(json!({"year(items)": {"_null": true}}), data.clone());
        // Unknown function names are plain keys.
        passes(json!({"foo(bar)": {"_eq": 1}}), json!({"foo(bar)": 1}));
        // date-fns getWeek edges: 2022-01-01 (Saturday) is week 1, 2021-12-26 too.
        assert_eq!(us_week(NaiveDate::from_ymd_opt(2022, 1, 1).unwrap()), 1);
        assert_eq!(us_week(NaiveDate::from_ymd_opt(2021, 12, 26).unwrap()), 1);
        assert_eq!(us_week(NaiveDate::from_ymd_opt(2021, 12, 25).unwrap()), 52);
        assert_eq!(us_week(NaiveDate::from_ymd_opt(2022, 1, 2).unwrap()), 2);
    }

    // --- JavaScript value forms ---------------------------------------------------------------

    #[test]
    fn values_are_read_and_shown_as_javascript_does() {
        // `Number("\u00855")` is NaN: NEL is not JavaScript white space, so this `_eq` has no
        // numeric twin and a number rule finds text; other white space is trimmed.
        assert_eq!(
            one(json!({"n": {"_eq": "\u{85}5"}}), json!({"n": 5})).kind,
            "eq"
        );
        passes(json!({"n": {"_eq": "\u{a0}5"}}), json!({"n": 5}));
        passes(json!({"n": {"_lt": 10}}), json!({"n": "\u{2028}5\u{3000}"}));
        assert_eq!(
            one(json!({"n": {"_lt": 10}}), json!({"n": "\u{85}5"})).kind,
            "required"
        );
        let after = json!({"d": {"_gt": "2024-01-01"}});
        passes(after.clone(), json!({"d": "\u{feff}2024-06-01 "}));
        assert_eq!(
            one(after, json!({"d": "\u{85}2024-06-01"})).kind,
            "required"
        );
        // Numbers as `Number#toString`, date limits as `toISOString()` / `toString()`.
        assert_eq!(
            one(json!({"n": {"_eq": 1e21}}), json!({"n": 1})).message,
            "Validation failed for field \"n\". Value has to be one of \"1e+21\", \"1e+21\"."
        );
        let failure = one(
            json!({"d": {"_gt": "+010000-01-01"}}),
            json!({"d": "9999-12-31"}),
        );
        assert_eq!(failure.valid, Some(json!("+010000-01-01T00:00:00.000Z")));
        assert_eq!(
            failure.message,
            concat!(
                "Validation failed for field \"d\". Value has to be greater than ",
                "\"Sat Jan 01 10000 00:00:00 GMT+0000 (Coordinated Universal Time)\"."
            )
        );
    }
}
