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
//!
//! # Files
//!
//! `compile` checks a filter and builds the rule tree (and holds the limits), `evaluate` runs
//! it against data, `messages` turns failed rules into Directus `FAILED_VALIDATION` errors.

mod compile;
mod evaluate;
mod messages;

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use compile::Node;
pub use compile::{MAX_DEPTH, MAX_LIST_LEN, MAX_REGEXES, MAX_RULES, REGEX_SIZE_LIMIT};
pub use evaluate::MAX_FAILURES;
pub use messages::{Failure, failure_message};

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
        compile::root(filter).map(|root| Self { root })
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
        let failures = evaluate::run(root, source, mode, now.timestamp_millis());
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(super) fn run(filter: &Value, data: &Value, mode: Mode) -> Result<(), ValidateError> {
        validate(filter, data, mode)
    }

    pub(super) fn passes(filter: Value, data: Value) {
        assert_eq!(
            run(&filter, &data, Mode::RequireAll),
            Ok(()),
            "{filter} on {data}"
        );
    }

    pub(super) fn fails(filter: Value, data: Value) -> Vec<Failure> {
        match run(&filter, &data, Mode::RequireAll) {
            Err(ValidateError::Failed(failures)) => {
                assert!(!failures.is_empty());
                failures
            }
            other => panic!("expected failures for {filter} on {data}, got {other:?}"),
        }
    }

    pub(super) fn messages(failures: &[Failure]) -> Vec<&str> {
        failures.iter().map(|f| f.message.as_str()).collect()
    }

    pub(super) fn one(filter: Value, data: Value) -> Failure {
        let failures = fails(filter, data);
        assert_eq!(failures.len(), 1, "{failures:?}");
        failures.into_iter().next().unwrap()
    }

    pub(super) fn invalid(filter: Value) -> String {
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

    // --- the public API -----------------------------------------------------------------------

    #[test]
    fn null_filter_passes() {
        assert_eq!(run(&Value::Null, &json!({}), Mode::RequireAll), Ok(()));
    }

    #[test]
    fn compiled_filters_can_be_shared_between_threads() {
        fn shared<T: Send + Sync + Clone + 'static>() {}
        shared::<CompiledFilter>();
        shared::<Failure>();
        shared::<ValidateError>();
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
