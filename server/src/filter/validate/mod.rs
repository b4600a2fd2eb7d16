//! In-memory filter evaluation for the flow `condition` operation and `validation` rules.
//!
//! Owns the Directus "validation" rule language (evaluator (b) of `directus.md` §5: Directus's
//! `generate-joi.ts`, `validate-payload.ts` and `packages/validation`), as used by the flow
//! `condition` operation and by permission/field `validation` rules, and the `FAILED_VALIDATION`
//! failures it reports. It is not the SQL query filter. It is pure: no I/O, no database, no
//! dynamic variables (`$NOW`, `$CURRENT_USER`, … are resolved by the caller before a filter gets
//! here, and the condition operation has already mustache-rendered it).
//!
//! Text is trimmed, read as a number or a date and shown with JavaScript's rules (`trim`,
//! `Number()`, `Date.parse`, `String(v)`, `Date#toISOString`), all from [`crate::util::js`],
//! the kit flow templates use too.
//!
//! # Shape
//!
//! * [`CompiledFilter::compile`] checks a filter once (structure, operators, regexes, limits)
//!   and turns it into a rule tree; a filter that is not a valid rule tree is an
//!   [`InvalidFilter`], whatever the data. [`CompiledFilter::validate`] then checks a
//!   [`Source`] and returns every failed rule as a [`Failure`], in rule order.
//! * [`validate`] does both in one call and returns [`ValidateError::Invalid`] or
//!   [`ValidateError::Failed`].
//! * [`Mode::RequireAll`] is the condition operation (`requireAll: true` in Directus: every key
//!   along a rule's path must exist); [`Mode::Partial`] is permission/field validation, where a
//!   missing key is skipped unless the rule is `_submitted` (so a `PATCH` that does not touch a
//!   field is not judged on it).
//!
//! # Rule language (`directus.md` §5.1/§5.2, validation column, with `product.md` D6/D7)
//!
//! * Several keys in one object are AND-ed in order; so are several operators on one field.
//!   `_and` / `_or` take a list of filter objects and may appear at any depth (under a field they
//!   apply to that field, as Directus's `shiftLogicalOperatorsUp` makes them). `_or` passes when
//!   one branch has no failure; otherwise the failures of all branches are reported, in order.
//!   `_or: []` and `_and: []` pass (as in Directus).
//! * A non-object value is shorthand for `_eq` (including `null` and arrays; Directus throws for
//!   a `null` rule, we read it as `_eq: null`). A nested object walks into the value
//!   (`{"$trigger":{"body":{"id":{"_nnull":true}}}}` → field `$trigger`, path `body.id`); each
//!   intermediate value must be an object, otherwise the rule fails as `required` at that step
//!   (Joi's `object.base`, which Directus maps to `required`). `{field: {}}` only asks for the
//!   field to be present (Joi `any()`), a top-level `{}` is invalid (Directus's
//!   `[generateJoi] Filter doesn't contain field key…`).
//! * Function keys `year(f)`, `month`, `week`, `day`, `weekday`, `hour`, `minute`, `second`
//!   (UTC, from an ISO date string; `week` is date-fns `getWeek`: weeks start on Sunday and week
//!   1 holds 1 January) and `count(f)` (array length) are computed from the sibling `f`; a
//!   missing `f` makes the function key missing, an unreadable one gives `null`. Any other
//!   `name(x)` key is an ordinary field name.
//! * `_eq` / `_neq`: a number also matches its JavaScript string form (`5` ↔ `"5"`, not
//!   `"5.0"`), a numeric string also matches the number (JavaScript `Number()`); `true`, `false`,
//!   `null` and `''` are strict; arrays/objects compare deeply, numbers by value. As in Directus
//!   the failure then lists both forms (`type: "in"`, ``Value has to be one of "5", "5".``).
//! * `_in` / `_nin`: strict membership (no number/string duality). The list is normalised like
//!   Directus's `parseFilter`: an object gives its values, a string is split on commas, any other
//!   scalar is a one-element list, nested arrays are flattened one level. At most
//!   [`MAX_LIST_LEN`] entries. `_in: []` fails every value, `_nin: []` passes every value.
//! * `_lt` `_lte` `_gt` `_gte`: numeric when JavaScript `Number(v)` of the rule value is a number
//!   (so `"100"`, `null` → 0, `true` → 1 are numeric), the value then has to be a number or a
//!   decimal numeric string. Otherwise the rule value must be a date (`"now"`, or text that
//!   JavaScript's `Date.parse` reads, [`js::parse_date`](crate::util::js::parse_date): ISO 8601, `YYYY/MM/DD[ hh:mm[:ss]]`,
//!   RFC 2822, `Date#toString()`'s form) or the filter is invalid, and the value has to be a
//!   date string or epoch milliseconds (number or numeric string). Date-times without an offset are read as UTC (Directus reads them in the host's
//!   time zone; Sluice hosts run in UTC). A value of the wrong type fails as `required` (Joi's
//!   `number.base`/`date.base`, mapped to `required` by Directus).
//! * `_between` / `_nbetween`: exactly two bounds (same normalisation as `_in`), numeric when both
//!   are numeric and within ±(2^53−1), else dates. `_between` is a ≤ v ≤ b and fails as Joi does,
//!   as `gte` a and/or `lte` b. `_nbetween` (D7) is its negation, v < a or v > b, and fails as
//!   type `nbetween` with `invalid: [a, b]` (Directus's own `_nbetween` can never pass).
//! * `_null` / `_nnull` / `_empty` / `_nempty`: the argument is ignored, as in Directus. D6:
//!   `_empty` matches a missing value, `null`, `''`, `[]` and `{}` (an empty object is as empty
//!   as an empty list), `_nempty` is its exact negation. In `RequireAll` a missing key (or a
//!   `null` parent on its path) under `_empty` passes; under `_nempty` it fails as `required`.
//!   D6 applies in both modes, but `Partial` still skips missing keys.
//! * String operators `_contains` `_ncontains` `_icontains` `_nicontains` `_starts_with`
//!   `_nstarts_with` `_istarts_with` `_nistarts_with` `_ends_with` `_nends_with` `_iends_with`
//!   `_niends_with`: the value must be a non-empty string (`''`, numbers, `null`… fail as
//!   `required`, Joi's `string.base`/`string.empty`). The contains family also accepts arrays:
//!   `_contains`/`_icontains` pass when some element is a string containing the text,
//!   `_ncontains`/`_nicontains` when none is. `_nicontains` is implemented (Directus has no
//!   validation rule for it and lets every value pass). `i` variants compare lower-cased. A
//!   non-string rule value makes the rule "value must be `true`" (Directus's
//!   `Joi.any().equal(true)`).
//! * `_regex`: a JavaScript-style `/pattern/flags` has its delimiters stripped (flags `i`, `m`,
//!   `s` are honoured; `g`, `u`, `y`, `d`, `v` are ignored); anything else is the pattern itself.
//!   Compiled with the `regex` crate (linear time; at most [`REGEX_SIZE_LIMIT`] bytes each, and
//!   nesting at most [`MAX_DEPTH`]); patterns it cannot compile (back-references, look-around,
//!   very large counted repetitions of Unicode classes such as `\w{0,255}`) make the filter
//!   invalid. Classes are Unicode-aware (`\d` matches any decimal digit, JavaScript's only
//!   ASCII ones). The value must be a string (`''` is matched, as Directus's `min(0)`); the
//!   search is unanchored like `RegExp.test`.
//!   `_regex: null` is "value must be `true`".
//! * `_submitted`: the key must be present (in both modes). `_ieq` / `_nieq`: case-insensitive
//!   equality (strings lower-cased, otherwise `_eq` semantics); Directus lets every value pass.
//! * `_intersects`, `_nintersects`, `_intersects_bbox`, `_nintersects_bbox`, `_some`, `_none`:
//!   not evaluated in memory; they pass when the key is present (and are `required` in
//!   `RequireAll`, as Directus's `Joi.any().required()`). Any other `_` key is an unknown
//!   operator and makes the filter invalid; an operator needs a field above it.
//! * Hostile input: nesting deeper than [`MAX_DEPTH`] containers (checked without recursion
//!   before anything else), a list longer than [`MAX_LIST_LEN`], more than [`MAX_RULES`] rules or
//!   more than [`MAX_REGEXES`] `_regex` rules make an [`InvalidFilter`]. Paths are shared between
//!   the rules below the same keys, so a compiled filter is proportional to its JSON. One
//!   evaluation reports at most [`MAX_FAILURES`] failures (Directus has no such cap; no real
//!   filter comes near it). Evaluation is linear in the filter and the values it reads.
//!
//! # Failure messages
//!
//! [`failure_message`] is a port of Directus's `messageConstructor`
//! (`packages/validation/src/errors/failed-validation.ts`):
//! `Validation failed for field "<field>"[ at "<path.joined.by.dots>"].` followed by
//! ` Value has to be "<v>".` (eq), ` Value has to be less than "<v>".` (lt),
//! ` Value has to be less than or equal to "<v>".` (lte), ` Value has to be greater than "<v>".`
//! (gt), ` Value has to be greater than or equal to "<v>".` (gte),
//! ` Value has to be one of "<a>", "<b>".` (in), ` Value can't be "<v>".` (neq),
//! ` Value can't be one of "<a>", "<b>".` (nin), ` Value has to contain "<s>".`
//! (contains, icontains), ` Value can't contain "<s>".` (ncontains), ` Value has to be null.`,
//! ` Value can't be null.`, ` Value has to be empty.`, ` Value can't be empty.`,
//! ` Value is required.`, ` Value doesn't have the correct format.` (regex). Types without a
//! sentence there (`starts_with`…, `nicontains`, `nbetween`, `ieq`, `nieq`) keep only the first
//! sentence, as in Directus. Values are shown the way JavaScript's template literals show them
//! (numbers in JS form, arrays comma-joined, date limits as `Date.prototype.toString()` on a UTC
//! host, e.g. `Mon Jan 01 2024 00:00:00 GMT+0000 (Coordinated Universal Time)`); in
//! `extensions.valid` a date limit is its ISO string. The mapping of rule outcomes to `type`
//! follows `joi-to-error-extensions.ts`: a one-value allow list is `eq` (or `null` / `empty` for
//! `null` / `''`), a longer one `in`; likewise `neq`/`nin`/`nnull`/`nempty`.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, NaiveDate, Timelike, Utc};
use regex::{Regex, RegexBuilder};
use serde_json::{Map, Value};

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
/// Most failures one evaluation reports; further failed rules are not listed.
pub const MAX_FAILURES: usize = 1_000;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// Where top-level filter keys are looked up. For permission validation: the payload object.
/// For the condition operation the caller implements `product.md` S2 (data-chain keys, then
/// bare fields in `$last` / `$trigger.body` / `$trigger.query` / `$trigger.headers`).
pub trait Source {
    /// The value stored under a top-level key, `None` when the key is absent.
    fn get(&self, key: &str) -> Option<&Value>;
}

impl Source for Map<String, Value> {
    fn get(&self, key: &str) -> Option<&Value> {
        Map::get(self, key)
    }
}

/// A JSON value as a source: an object's keys; any other value has none.
impl Source for Value {
    fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|map| map.get(key))
    }
}

/// How missing keys are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Condition operation: every key along a rule's path is required (Directus `requireAll`),
    /// except under `_empty`, where a missing value counts as empty (D6).
    RequireAll,
    /// Permission / field validation: a missing key is skipped unless the rule is `_submitted`.
    Partial,
}

/// One failed rule, rendered as a Directus `FAILED_VALIDATION` error.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// First path segment (for conditions usually `$trigger`, `$last`, an operation key).
    pub field: String,
    /// Remaining segments, empty when none.
    pub path: Vec<String>,
    /// `eq`, `neq`, `in`, `nin`, `null`, `nnull`, `empty`, `nempty`, `lt`, `lte`, `gt`, `gte`,
    /// `contains`, `ncontains`, `icontains`, `nicontains`, `starts_with`, `nstarts_with`,
    /// `istarts_with`, `nistarts_with`, `ends_with`, `nends_with`, `iends_with`, `niends_with`,
    /// `nbetween`, `ieq`, `nieq`, `regex` or `required`.
    pub kind: &'static str,
    /// What the value had to be (eq, in, lt, lte, gt, gte, ieq).
    pub valid: Option<Value>,
    /// What the value may not be (neq, nin, nbetween, nieq) or, for `regex`, the rejected value.
    pub invalid: Option<Value>,
    /// The text of a string operator.
    pub substring: Option<Value>,
    /// Exact Directus message, e.g. `Validation failed for field "status". Value has to be "true".`
    pub message: String,
}

impl Failure {
    /// A failure with its message built by [`failure_message`] (for checks made outside this
    /// module that must read like Directus's, e.g. a generated not-null rule).
    pub fn new(
        field: impl Into<String>,
        path: Vec<String>,
        kind: &'static str,
        valid: Option<Value>,
        invalid: Option<Value>,
        substring: Option<Value>,
    ) -> Self {
        let field = field.into();
        let message = build_message(
            &field,
            &path,
            kind,
            valid.as_ref(),
            invalid.as_ref(),
            substring.as_ref(),
            None,
        );
        Self {
            field,
            path,
            kind,
            valid,
            invalid,
            substring,
            message,
        }
    }

    /// The error's `extensions` without `code`:
    /// `{"field", "path", "type", ["valid"], ["invalid"], ["substring"]}`.
    pub fn extensions_json(&self) -> Value {
        let mut ext = Map::new();
        ext.insert("field".into(), Value::String(self.field.clone()));
        ext.insert(
            "path".into(),
            Value::Array(self.path.iter().cloned().map(Value::String).collect()),
        );
        ext.insert("type".into(), Value::String(self.kind.into()));
        if let Some(valid) = &self.valid {
            ext.insert("valid".into(), valid.clone());
        }
        if let Some(invalid) = &self.invalid {
            ext.insert("invalid".into(), invalid.clone());
        }
        if let Some(substring) = &self.substring {
            ext.insert("substring".into(), substring.clone());
        }
        Value::Object(ext)
    }

    /// One entry of an HTTP `{"errors": [...]}` body (`directus.md` §9.1, §16.1):
    /// `{"message", "extensions": {"field", "path", "type", …, "code": "FAILED_VALIDATION"}}`.
    pub fn to_error_json(&self) -> Value {
        let mut ext = match self.extensions_json() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        ext.insert("code".into(), Value::String("FAILED_VALIDATION".into()));
        let mut out = Map::new();
        out.insert("message".into(), Value::String(self.message.clone()));
        out.insert("extensions".into(), Value::Object(ext));
        Value::Object(out)
    }

    /// The failure as a serialised Directus error instance, which is what a rejected condition
    /// leaves in the data chain (`directus.md` §2.6):
    /// `{"name": "DirectusError", "extensions": {…}, "code": "FAILED_VALIDATION", "status": 400}`.
    pub fn to_reject_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("name".into(), Value::String("DirectusError".into()));
        out.insert("extensions".into(), self.extensions_json());
        out.insert("code".into(), Value::String("FAILED_VALIDATION".into()));
        out.insert("status".into(), Value::from(400));
        Value::Object(out)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A filter that is not a valid rule tree (the text says why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidFilter(pub String);

impl fmt::Display for InvalidFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidFilter {}

/// Why [`validate`] did not pass.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidateError {
    /// The filter itself is broken; nothing was checked.
    Invalid(InvalidFilter),
    /// The filter is fine and these rules failed, in rule order (never empty).
    Failed(Vec<Failure>),
}

impl fmt::Display for ValidateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(invalid) => invalid.fmt(f),
            Self::Failed(failures) => {
                let messages: Vec<&str> = failures.iter().map(|x| x.message.as_str()).collect();
                f.write_str(&messages.join(" "))
            }
        }
    }
}

impl std::error::Error for ValidateError {}

impl From<InvalidFilter> for ValidateError {
    fn from(invalid: InvalidFilter) -> Self {
        Self::Invalid(invalid)
    }
}

/// Evaluates a filter (already free of dynamic variables) against a source. `Ok(())` = pass.
/// A `null` filter passes.
pub fn validate(filter: &Value, source: &dyn Source, mode: Mode) -> Result<(), ValidateError> {
    CompiledFilter::compile(filter)?
        .validate(source, mode)
        .map_err(ValidateError::Failed)
}

/// A checked filter, ready to be evaluated any number of times.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    root: Option<Node>,
}

impl CompiledFilter {
    /// Checks a filter and builds its rule tree. `null` is the filter that always passes.
    pub fn compile(filter: &Value) -> Result<Self, InvalidFilter> {
        check_depth(filter)?;
        match filter {
            Value::Null => Ok(Self { root: None }),
            Value::Object(_) => {
                let mut compiler = Compiler {
                    rules: 0,
                    regexes: 0,
                };
                Ok(Self {
                    root: Some(compiler.node(filter, None)?),
                })
            }
            other => Err(InvalidFilter(format!(
                "Invalid filter: expected an object, got {}.",
                type_name(other)
            ))),
        }
    }

    /// Evaluates the filter. `Err` holds every failed rule in rule order.
    pub fn validate(&self, source: &dyn Source, mode: Mode) -> Result<(), Vec<Failure>> {
        self.validate_at(source, mode, Utc::now())
    }

    /// [`Self::validate`] with an explicit "now" for rules whose limit is `"now"`.
    pub fn validate_at(
        &self,
        source: &dyn Source,
        mode: Mode,
        now: DateTime<Utc>,
    ) -> Result<(), Vec<Failure>> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let ctx = Ctx {
            source,
            mode,
            now: now.timestamp_millis(),
        };
        let mut failures = Vec::new();
        eval(root, &ctx, &mut failures);
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures)
        }
    }
}

/// Directus's `messageConstructor`: the message of a `FAILED_VALIDATION` error from its
/// extensions (see the module docs for every sentence).
pub fn failure_message(
    field: &str,
    path: &[String],
    kind: &str,
    valid: Option<&Value>,
    invalid: Option<&Value>,
    substring: Option<&Value>,
) -> String {
    build_message(field, path, kind, valid, invalid, substring, None)
}

// ---------------------------------------------------------------------------------------------
// Rule tree
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Leaf(Leaf),
}

#[derive(Debug, Clone)]
struct Leaf {
    path: Arc<PathNode>,
    op: Op,
}

/// One key of a rule's path, linked to the keys above it, so that every rule below the same
/// keys shares them (a filter costs memory in proportion to its size, whatever its depth).
#[derive(Debug)]
struct PathNode {
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
    fn segments(&self) -> Vec<&Segment> {
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
enum Segment {
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

    fn label(&self) -> &str {
        match self {
            Self::Key(key) => key,
            Self::Func { raw, .. } => raw,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
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

#[derive(Debug, Clone)]
enum Op {
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
struct Needle {
    text: String,
    lower: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpKind {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl CmpKind {
    fn name(self) -> &'static str {
        match self {
            Self::Lt => "lt",
            Self::Lte => "lte",
            Self::Gt => "gt",
            Self::Gte => "gte",
        }
    }

    fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Self::Lt => value < limit,
            Self::Lte => value <= limit,
            Self::Gt => value > limit,
            Self::Gte => value >= limit,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Limit {
    Number(f64),
    /// Epoch milliseconds.
    Date(i64),
    /// Joi's `'now'`: the time of evaluation.
    Now,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    Number,
    Date,
}

impl Limit {
    fn scale(self) -> Scale {
        match self {
            Self::Number(_) => Scale::Number,
            Self::Date(_) | Self::Now => Scale::Date,
        }
    }

    fn at(self, now: i64) -> f64 {
        match self {
            Self::Number(n) => n,
            Self::Date(ms) => ms as f64,
            Self::Now => now as f64,
        }
    }

    fn json(self) -> Value {
        match self {
            Self::Number(n) => number_value(n),
            Self::Date(ms) => Value::String(js::iso_string(ms)),
            Self::Now => Value::String("now".into()),
        }
    }

    fn shown(self) -> String {
        match self {
            Self::Number(n) => js::number_to_string(n),
            Self::Date(ms) => js::date_string(ms),
            Self::Now => "now".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextOp {
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

    fn kind(self) -> &'static str {
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

    fn negated(self) -> bool {
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

    fn insensitive(self) -> bool {
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
    fn accepts_arrays(self) -> bool {
        matches!(
            self,
            Self::Contains | Self::NContains | Self::IContains | Self::NIContains
        )
    }

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

/// What a failed rule reports, before field/path and message are attached.
struct Spec {
    kind: &'static str,
    valid: Option<Value>,
    invalid: Option<Value>,
    substring: Option<Value>,
    /// How `valid` reads in the message when it differs from its JSON (date limits).
    shown: Option<String>,
}

impl Spec {
    fn new(kind: &'static str) -> Self {
        Self {
            kind,
            valid: None,
            invalid: None,
            substring: None,
            shown: None,
        }
    }

    fn valid(mut self, value: Value) -> Self {
        self.valid = Some(value);
        self
    }

    fn invalid(mut self, value: Value) -> Self {
        self.invalid = Some(value);
        self
    }

    fn substring(mut self, value: &str) -> Self {
        self.substring = Some(Value::String(value.to_owned()));
        self
    }

    fn limit(kind: CmpKind, limit: Limit) -> Self {
        let mut spec = Self::new(kind.name()).valid(limit.json());
        spec.shown = Some(limit.shown());
        spec
    }
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

fn failure(path: &[&Segment], upto: usize, spec: Spec) -> Failure {
    let mut labels = path.iter().take(upto + 1).map(|s| s.label().to_owned());
    let field = labels.next().unwrap_or_default();
    let rest: Vec<String> = labels.collect();
    let message = build_message(
        &field,
        &rest,
        spec.kind,
        spec.valid.as_ref(),
        spec.invalid.as_ref(),
        spec.substring.as_ref(),
        spec.shown.as_deref(),
    );
    Failure {
        field,
        path: rest,
        kind: spec.kind,
        valid: spec.valid,
        invalid: spec.invalid,
        substring: spec.substring,
        message,
    }
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

/// `joi-to-error-extensions.ts` for `any.only`: one allowed value → eq / null / empty, more → in.
fn only_spec(valids: &[Value]) -> Spec {
    match valids {
        [Value::Null] => Spec::new("null"),
        [Value::String(s)] if s.is_empty() => Spec::new("empty"),
        [one] => Spec::new("eq").valid(one.clone()),
        many => Spec::new("in").valid(Value::Array(many.to_vec())),
    }
}

/// `joi-to-error-extensions.ts` for `any.invalid`: one value → neq / nnull / nempty, more → nin.
fn invalid_spec(invalids: &[Value]) -> Spec {
    match invalids {
        [Value::Null] => Spec::new("nnull"),
        [Value::String(s)] if s.is_empty() => Spec::new("nempty"),
        [one] => Spec::new("neq").invalid(one.clone()),
        many => Spec::new("nin").invalid(Value::Array(many.to_vec())),
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
// Messages
// ---------------------------------------------------------------------------------------------

fn build_message(
    field: &str,
    path: &[String],
    kind: &str,
    valid: Option<&Value>,
    invalid: Option<&Value>,
    substring: Option<&Value>,
    shown: Option<&str>,
) -> String {
    let mut message = if path.is_empty() {
        format!("Validation failed for field \"{field}\".")
    } else {
        format!(
            "Validation failed for field \"{field}\" at \"{}\".",
            path.join(".")
        )
    };
    let scalar = |v: &Value| shown.map_or_else(|| js::string(v), str::to_owned);
    if let Some(valid) = valid {
        match kind {
            "eq" => message.push_str(&format!(" Value has to be \"{}\".", scalar(valid))),
            "lt" => message.push_str(&format!(
                " Value has to be less than \"{}\".",
                scalar(valid)
            )),
            "lte" => message.push_str(&format!(
                " Value has to be less than or equal to \"{}\".",
                scalar(valid)
            )),
            "gt" => {
                message.push_str(&format!(
                    " Value has to be greater than \"{}\".",
                    scalar(valid)
                ));
            }
            "gte" => message.push_str(&format!(
                " Value has to be greater than or equal to \"{}\".",
                scalar(valid)
            )),
            "in" => message.push_str(&format!(" Value has to be one of {}.", quoted_list(valid))),
            _ => {}
        }
    }
    if let Some(invalid) = invalid {
        match kind {
            "neq" => message.push_str(&format!(" Value can't be \"{}\".", js::string(invalid))),
            "nin" => message.push_str(&format!(" Value can't be one of {}.", quoted_list(invalid))),
            _ => {}
        }
    }
    if let Some(substring) = substring {
        match kind {
            "contains" | "icontains" => {
                message.push_str(&format!(
                    " Value has to contain \"{}\".",
                    js::string(substring)
                ));
            }
            "ncontains" => {
                message.push_str(&format!(
                    " Value can't contain \"{}\".",
                    js::string(substring)
                ));
            }
            _ => {}
        }
    }
    match kind {
        "null" => message.push_str(" Value has to be null."),
        "nnull" => message.push_str(" Value can't be null."),
        "empty" => message.push_str(" Value has to be empty."),
        "nempty" => message.push_str(" Value can't be empty."),
        "required" => message.push_str(" Value is required."),
        "regex" => message.push_str(" Value doesn't have the correct format."),
        _ => {}
    }
    message
}

/// Directus `toArray(v).map(v => `"${v}"`).join(', ')`.
fn quoted_list(value: &Value) -> String {
    let items: Vec<String> = match value {
        Value::Array(items) => items
            .iter()
            .map(|v| format!("\"{}\"", js::string(v)))
            .collect(),
        Value::String(s) => s.split(',').map(|part| format!("\"{part}\"")).collect(),
        other => vec![format!("\"{}\"", js::string(other))],
    };
    items.join(", ")
}

// ---------------------------------------------------------------------------------------------
// Value helpers (JavaScript value semantics themselves are `util::js`)
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
    use serde_json::json;

    fn run(filter: &Value, data: &Value, mode: Mode) -> Result<(), ValidateError> {
        validate(filter, data, mode)
    }

    fn passes(filter: Value, data: Value) {
        assert_eq!(
            run(&filter, &data, Mode::RequireAll),
            Ok(()),
            "{filter} on {data}"
        );
    }

    fn fails(filter: Value, data: Value) -> Vec<Failure> {
        match run(&filter, &data, Mode::RequireAll) {
            Err(ValidateError::Failed(failures)) => {
                assert!(!failures.is_empty());
                failures
            }
            other => panic!("expected failures for {filter} on {data}, got {other:?}"),
        }
    }

    fn messages(failures: &[Failure]) -> Vec<&str> {
        failures.iter().map(|f| f.message.as_str()).collect()
    }

    fn one(filter: Value, data: Value) -> Failure {
        let failures = fails(filter, data);
        assert_eq!(failures.len(), 1, "{failures:?}");
        failures.into_iter().next().unwrap()
    }

    fn invalid(filter: Value) -> String {
        match run(&filter, &json!({}), Mode::RequireAll) {
            Err(ValidateError::Invalid(InvalidFilter(text))) => text,
            other => panic!("expected an invalid filter for {filter}, got {other:?}"),
        }
    }

    // --- Directus api/src/operations/condition/index.test.ts --------------------------------

    #[test]
    fn condition_passes() {
        passes(json!({"status": {"_eq": true}}), json!({"status": true}));
    }

    #[test]
    fn condition_fails_with_directus_message() {
        let failure = one(json!({"status": {"_eq": true}}), json!({"status": false}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"status\". Value has to be \"true\"."
        );
        assert_eq!(failure.kind, "eq");
        assert_eq!(failure.valid, Some(json!(true)));
    }

    #[test]
    fn condition_missing_key_is_required() {
        let failure = one(json!({"status": {"_eq": true}}), json!({}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"status\". Value is required."
        );
        assert_eq!(failure.kind, "required");
    }

    #[test]
    fn condition_two_missing_keys_two_errors_in_order() {
        let failures = fails(
            json!({"status": {"_eq": true}, "other": {"_eq": "Other"}}),
            json!({}),
        );
        assert_eq!(
            messages(&failures),
            [
                "Validation failed for field \"status\". Value is required.",
                "Validation failed for field \"other\". Value is required.",
            ]
        );
    }

    // --- §16.1 and nested paths ---------------------------------------------------------------

    #[test]
    fn nested_required_error_json_matches_spec_example() {
        let filter = json!({"$trigger": {"body": {"id": {"_nnull": true}}}});
        let failure = one(filter, json!({"$trigger": {"body": {}, "method": "POST"}}));
        assert_eq!(failure.field, "$trigger");
        assert_eq!(failure.path, ["body", "id"]);
        // The exact text of directus.md §16.1 (key order included).
        assert_eq!(
            failure.to_error_json().to_string(),
            concat!(
                r#"{"message":"Validation failed for field \"$trigger\" at \"body.id\". "#,
                r#"Value is required.","extensions":{"field":"$trigger","path":["body","id"],"#,
                r#""type":"required","code":"FAILED_VALIDATION"}}"#
            )
        );
        assert_eq!(
            failure.to_reject_json(),
            json!({"name": "DirectusError",
                   "extensions": {"field": "$trigger", "path": ["body", "id"], "type": "required"},
                   "code": "FAILED_VALIDATION", "status": 400})
        );
    }

    #[test]
    fn nested_value_message_has_path() {
        let failure = one(
            json!({"$trigger": {"body": {"name": {"_eq": "x"}}}}),
            json!({"$trigger": {"body": {"name": "y"}}}),
        );
        assert_eq!(
            failure.message,
            "Validation failed for field \"$trigger\" at \"body.name\". Value has to be \"x\"."
        );
        assert_eq!(
            failure.to_error_json(),
            json!({"message": failure.message,
                   "extensions": {"field": "$trigger", "path": ["body", "name"], "type": "eq",
                                  "valid": "x", "code": "FAILED_VALIDATION"}})
        );
        passes(
            json!({"$trigger": {"body": {"name": {"_eq": "x"}}}}),
            json!({"$trigger": {"body": {"name": "x"}}}),
        );
    }

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

    // --- the seed's flows ---------------------------------------------------------------------

    #[test]
    fn seed_validation_flow() {
        let filter = json!({"_and": [
            {"email": {"_nempty": true}},
            {"email": {"_contains": "@"}},
            {"name": {"_nempty": true}}
        ]});
        passes(filter.clone(), json!({"email": "a@b.c", "name": "Ann"}));

        let failures = fails(filter.clone(), json!({"name": "Ann"}));
        assert_eq!(
            messages(&failures),
            [
                "Validation failed for field \"email\". Value is required.",
                "Validation failed for field \"email\". Value is required.",
            ]
        );

        let failures = fails(filter.clone(), json!({"email": null, "name": "Ann"}));
        assert_eq!(
            messages(&failures),
            [
                "Validation failed for field \"email\". Value can't be empty.",
                "Validation failed for field \"email\". Value is required.",
            ]
        );

        let failure = one(
            filter.clone(),
            json!({"email": "ann.example.com", "name": "Ann"}),
        );
        assert_eq!(
            failure.message,
            "Validation failed for field \"email\". Value has to contain \"@\"."
        );
        assert_eq!(
            failure.to_error_json(),
            json!({"message": failure.message,
                   "extensions": {"field": "email", "path": [], "type": "contains",
                                  "substring": "@",
                                  "code": "FAILED_VALIDATION"}})
        );

        let failures = fails(filter, json!({"email": "a@b.c", "name": ""}));
        assert_eq!(
            messages(&failures),
            ["Validation failed for field \"name\". Value can't be empty."]
        );
    }

    #[test]
    fn seed_type_rule() {
        passes(json!({"type": {"_eq": "order"}}), json!({"type": "order"}));
        let failure = one(json!({"type": {"_eq": "order"}}), json!({"type": "event"}));
        assert_eq!(
            failure.message,
            "Validation failed for field \"type\". Value has to be \"order\"."
        );
    }

    // --- invalid filters ----------------------------------------------------------------------

    #[test]
    fn null_filter_passes() {
        assert_eq!(run(&Value::Null, &json!({}), Mode::RequireAll), Ok(()));
    }

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

    #[test]
    fn compiled_filters_can_be_shared_between_threads() {
        fn shared<T: Send + Sync + Clone + 'static>() {}
        shared::<CompiledFilter>();
        shared::<Failure>();
        shared::<ValidateError>();
    }

    // --- message builder (packages/validation snapshots) --------------------------------------

    #[test]
    fn message_builder_matches_directus_snapshots() {
        let f = |kind, valid: Option<Value>, invalid: Option<Value>, substring: Option<Value>| {
            failure_message(
                "test_field",
                &[],
                kind,
                valid.as_ref(),
                invalid.as_ref(),
                substring.as_ref(),
            )
        };
        let p = "Validation failed for field \"test_field\".";
        let list = Some(json!(["valA", "valB", "valC"]));
        assert_eq!(
            f("nin", None, list.clone(), None),
            format!("{p} Value can't be one of \"valA\", \"valB\", \"valC\".")
        );
        assert_eq!(
            f("in", list, None, None),
            format!("{p} Value has to be one of \"valA\", \"valB\", \"valC\".")
        );
        assert_eq!(
            f("neq", None, Some(json!(15)), None),
            format!("{p} Value can't be \"15\".")
        );
        assert_eq!(
            f("empty", None, None, None),
            format!("{p} Value has to be empty.")
        );
        assert_eq!(
            f("nempty", None, None, None),
            format!("{p} Value can't be empty.")
        );
        assert_eq!(
            f("nnull", None, None, None),
            format!("{p} Value can't be null.")
        );
        assert_eq!(
            f("null", None, None, None),
            format!("{p} Value has to be null.")
        );
        assert_eq!(
            f("regex", None, None, None),
            format!("{p} Value doesn't have the correct format.")
        );
        assert_eq!(
            f("required", None, None, None),
            format!("{p} Value is required.")
        );
        let sub = Some(json!("test_substring"));
        assert_eq!(
            f("contains", None, None, sub.clone()),
            format!("{p} Value has to contain \"test_substring\".")
        );
        assert_eq!(
            f("icontains", None, None, sub.clone()),
            format!("{p} Value has to contain \"test_substring\".")
        );
        assert_eq!(
            f("ncontains", None, None, sub),
            format!("{p} Value can't contain \"test_substring\".")
        );
        let v = Some(json!(15));
        assert_eq!(
            f("eq", v.clone(), None, None),
            format!("{p} Value has to be \"15\".")
        );
        assert_eq!(
            f("gt", v.clone(), None, None),
            format!("{p} Value has to be greater than \"15\".")
        );
        assert_eq!(
            f("gte", v.clone(), None, None),
            format!("{p} Value has to be greater than or equal to \"15\".")
        );
        assert_eq!(
            f("lt", v.clone(), None, None),
            format!("{p} Value has to be less than \"15\".")
        );
        assert_eq!(
            f("lte", v, None, None),
            format!("{p} Value has to be less than or equal to \"15\".")
        );
        assert_eq!(
            failure_message("f", &["a".into(), "b".into()], "required", None, None, None),
            "Validation failed for field \"f\" at \"a.b\". Value is required."
        );
        let built = Failure::new("f", vec![], "nnull", None, None, None);
        assert_eq!(
            built.message,
            "Validation failed for field \"f\". Value can't be null."
        );
        assert_eq!(built.to_string(), built.message);
    }

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

    // --- fuzz ---------------------------------------------------------------------------------

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    const KEYS: &[&str] = &[
        "a",
        "b",
        "c",
        "$trigger",
        "body",
        "year(a)",
        "count(b)",
        "week(c)",
        "x(y)",
        "_and",
        "_or",
        "_eq",
        "_neq",
        "_ieq",
        "_nieq",
        "_in",
        "_nin",
        "_null",
        "_nnull",
        "_empty",
        "_nempty",
        "_lt",
        "_lte",
        "_gt",
        "_gte",
        "_between",
        "_nbetween",
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
        "_regex",
        "_submitted",
        "_intersects",
        "_some",
        "_none",
        "_bogus",
        "",
    ];

    const STRINGS: &[&str] = &[
        "",
        "a",
        "5",
        "-1.5",
        "1e3",
        "0x1f",
        "now",
        "2024-01-01",
        "2024-01-01T10:00:00+02:00",
        "a,b,5",
        "/^a.*$/i",
        "(",
        "[",
        "\\1",
        "(?=x)",
        "Mon, 01 Jan 2024 00:00:00 +0000",
        "é",
        "İ",
        "  7 ",
        "Infinity",
        "/x/gz",
    ];

    fn random_value(rng: &mut Rng, depth: usize) -> Value {
        match rng.below(if depth > 5 { 5 } else { 8 }) {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => json!((rng.next() % 2_000) as i64 - 1_000),
            3 => json!((rng.next() % 10_000) as f64 / 7.0 - 500.0),
            4 => Value::String(rng.pick(STRINGS).to_owned()),
            5 | 6 => {
                let len = rng.below(4);
                Value::Array((0..len).map(|_| random_value(rng, depth + 1)).collect())
            }
            _ => random_object(rng, depth + 1),
        }
    }

    fn random_object(rng: &mut Rng, depth: usize) -> Value {
        let len = rng.below(4);
        let mut map = Map::new();
        for _ in 0..len {
            let key = if rng.below(3) == 0 {
                rng.pick(&KEYS[..6]).to_owned()
            } else {
                rng.pick(KEYS).to_owned()
            };
            let value = match key.as_str() {
                "_and" | "_or" => {
                    let n = rng.below(3);
                    Value::Array((0..n).map(|_| random_value(rng, depth + 1)).collect())
                }
                _ => random_value(rng, depth + 1),
            };
            map.insert(key, value);
        }
        Value::Object(map)
    }

    #[test]
    fn fuzz_never_panics_and_is_deterministic() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let now = DateTime::<Utc>::from_timestamp_millis(1_700_000_000_000).unwrap();
        let (mut valid, mut failed, mut passed) = (0, 0, 0);
        for _ in 0..20_000 {
            let filter = random_object(&mut rng, 0);
            let data = random_object(&mut rng, 0);
            match CompiledFilter::compile(&filter) {
                Err(InvalidFilter(text)) => assert!(!text.is_empty()),
                Ok(compiled) => {
                    valid += 1;
                    for mode in [Mode::RequireAll, Mode::Partial] {
                        let first = compiled.validate_at(&data, mode, now);
                        assert_eq!(first, compiled.validate_at(&data, mode, now));
                        match first {
                            Ok(()) => passed += 1,
                            Err(failures) => {
                                failed += 1;
                                for failure in failures {
                                    assert!(
                                        failure
                                            .message
                                            .starts_with("Validation failed for field \"")
                                    );
                                    let json = failure.to_error_json();
                                    assert_eq!(json["extensions"]["code"], "FAILED_VALIDATION");
                                    assert_eq!(json["extensions"]["type"], failure.kind);
                                }
                            }
                        }
                    }
                }
            }
        }
        // The generator must reach the evaluator, and both outcomes, often enough to matter.
        eprintln!("fuzz: {valid} valid filters, {failed} failed runs, {passed} passed runs");
        assert!(valid > 2_000, "{valid}");
        assert!(failed > 500 && passed > 500, "{failed} {passed}");
    }
}
