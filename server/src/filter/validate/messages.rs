//! Directus `FAILED_VALIDATION` failures: what a failed rule reports, its message
//! (`messageConstructor`) and its error extensions.
//!
//! The sentences and the `type` mapping are listed in the parent module's docs.

use std::fmt;

use serde_json::{Map, Value};

use super::compile::{CmpKind, Limit, Segment};
use crate::util::js;

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

/// What a failed rule reports, before field/path and message are attached.
pub(super) struct Spec {
    kind: &'static str,
    valid: Option<Value>,
    invalid: Option<Value>,
    substring: Option<Value>,
    /// How `valid` reads in the message when it differs from its JSON (date limits).
    shown: Option<String>,
}

impl Spec {
    pub(super) fn new(kind: &'static str) -> Self {
        Self {
            kind,
            valid: None,
            invalid: None,
            substring: None,
            shown: None,
        }
    }

    pub(super) fn valid(mut self, value: Value) -> Self {
        self.valid = Some(value);
        self
    }

    pub(super) fn invalid(mut self, value: Value) -> Self {
        self.invalid = Some(value);
        self
    }

    pub(super) fn substring(mut self, value: &str) -> Self {
        self.substring = Some(Value::String(value.to_owned()));
        self
    }

    pub(super) fn limit(kind: CmpKind, limit: Limit) -> Self {
        let mut spec = Self::new(kind.name()).valid(limit.json());
        spec.shown = Some(limit.shown());
        spec
    }
}

pub(super) fn failure(path: &[&Segment], upto: usize, spec: Spec) -> Failure {
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

/// `joi-to-error-extensions.ts` for `any.only`: one allowed value → eq / null / empty, more → in.
pub(super) fn only_spec(valids: &[Value]) -> Spec {
    match valids {
        [Value::Null] => Spec::new("null"),
        [Value::String(s)] if s.is_empty() => Spec::new("empty"),
        [one] => Spec::new("eq").valid(one.clone()),
        many => Spec::new("in").valid(Value::Array(many.to_vec())),
    }
}

/// `joi-to-error-extensions.ts` for `any.invalid`: one value → neq / nnull / nempty, more → nin.
pub(super) fn invalid_spec(invalids: &[Value]) -> Spec {
    match invalids {
        [Value::Null] => Spec::new("nnull"),
        [Value::String(s)] if s.is_empty() => Spec::new("nempty"),
        [one] => Spec::new("neq").invalid(one.clone()),
        many => Spec::new("nin").invalid(Value::Array(many.to_vec())),
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::filter::validate::tests::{one, passes};
    use serde_json::json;

    // --- §16.1 error bodies -------------------------------------------------------------------

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
}
