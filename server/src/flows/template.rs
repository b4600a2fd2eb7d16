//! Flow option templating: compiles the `{{ path }}` placeholders of operation options once and
//! renders them against a run's data chain (Directus `applyOptionsData` on micromustache 8.0.3,
//! with product decisions D5 missing → `null`/`""` and D8 `{{$NOW}}`). Pure: it knows nothing
//! of operations, the database or HTTP, and never fails at compile time — a template error is
//! kept and returned by `render`, so the operation rejects at run time as in Directus.
//!
//! Deliberate differences from Directus besides D5/D8: property lookup sees only a value's own
//! JSON keys (never JavaScript prototype members such as `constructor`), integers keep all their
//! digits, and objects keep their stored key order when written as JSON text.

use std::borrow::Cow;
use std::cell::OnceCell;

use chrono::{DateTime, Utc};
use serde_json::{Map, Number, Value};

use crate::util::js;

/// Deepest path a placeholder or `return` option may use (micromustache `get` default).
pub const MAX_PATH_DEPTH: usize = 10;

/// Longest text (UTF-16 units, as in JavaScript) between `{{` and its `}}`.
pub const MAX_VAR_NAME_LEN: usize = 1000;

/// The root that `{{$NOW}}` renders as the current time when the chain has no such key (D8).
const NOW_KEY: &str = "$NOW";

/// Where the first path segment is looked up (the data chain: `$trigger`, `$last`,
/// `$accountability`, `$env`, `$flow`, operation keys). A trait so the engine can keep its chain
/// in whatever shape it likes and never has to build (or clone into) a JSON object per render.
pub trait Scope {
    /// The value stored under a root key, if any.
    fn root(&self, key: &str) -> Option<&Value>;
}

impl Scope for Map<String, Value> {
    fn root(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }
}

/// A JSON object is a scope; any other value has no keys.
impl Scope for Value {
    fn root(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|map| map.get(key))
    }
}

/// Why a template or path cannot be used. Messages follow micromustache's wording so run logs
/// read like Directus's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Malformed template or path (JavaScript `SyntaxError` in Directus).
    #[error("{0}")]
    Syntax(String),
    /// The path has more than [`MAX_PATH_DEPTH`] segments (JavaScript `ReferenceError`).
    #[error("The path cannot be deeper than {max} levels. Got \"{path}\"")]
    TooDeep {
        /// The path as written.
        path: String,
        /// The limit that was exceeded.
        max: usize,
    },
}

impl TemplateError {
    /// The JavaScript error class Directus would have thrown, for reject data and logs.
    pub fn js_name(&self) -> &'static str {
        match self {
            Self::Syntax(_) => "SyntaxError",
            Self::TooDeep { .. } => "ReferenceError",
        }
    }
}

fn syntax(message: String) -> TemplateError {
    TemplateError::Syntax(message)
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

/// One property name, with its array index precomputed so lookups never re-parse.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    key: String,
    /// `Some(i)` when `key` is a canonical array index (`"0"`, `"17"`, not `"01"` or `"+1"`),
    /// which is when JavaScript's `key in array` can be true for an element.
    index: Option<usize>,
}

impl Segment {
    fn new(key: String) -> Self {
        let canonical = key == "0"
            || (key.starts_with(|c: char| matches!(c, '1'..='9'))
                && key.bytes().all(|b| b.is_ascii_digit()));
        let index = if canonical { key.parse().ok() } else { None };
        Self { key, index }
    }

    /// One step down, as micromustache's `isProp` (`typeof x === 'object' && key in x`) does
    /// for JSON values: objects by own key, arrays by index or `length`; strings, numbers,
    /// booleans and null are never descended into.
    fn step<'a>(&self, value: &'a Value, is_last: bool) -> Option<Cow<'a, Value>> {
        match value {
            Value::Object(map) => map.get(&self.key).map(Cow::Borrowed),
            Value::Array(items) => match self.index {
                Some(i) => items.get(i).map(Cow::Borrowed),
                // A number cannot be descended, so `length` only resolves as the last segment.
                None if self.key == "length" && is_last => {
                    Some(Cow::Owned(Value::Number(Number::from(items.len()))))
                }
                None => None,
            },
            _ => None,
        }
    }
}

/// A path parsed once: `$trigger.body.items[0]["a.b"]` → `$trigger`, `body`, `items`, `0`,
/// `a.b`. Follows micromustache 8 `toPath` exactly (dots, `[0]`, `["…"]`, `['…']`, `` [`…`] ``,
/// trimmed segments) and refuses more than [`MAX_PATH_DEPTH`] segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    raw: String,
    segments: Vec<Segment>,
}

impl Path {
    /// Parses a path as written inside `{{ }}` or in a `return` option.
    ///
    /// # Errors
    /// [`TemplateError::Syntax`] for malformed dots or brackets and for a blank path;
    /// [`TemplateError::TooDeep`] beyond [`MAX_PATH_DEPTH`] segments.
    pub fn parse(raw: &str) -> Result<Path, TemplateError> {
        let names = to_path(raw)?;
        if names.is_empty() {
            return Err(syntax(format!("Empty path \"{raw}\"")));
        }
        if names.len() > MAX_PATH_DEPTH {
            return Err(TemplateError::TooDeep {
                path: raw.to_owned(),
                max: MAX_PATH_DEPTH,
            });
        }
        Ok(Path {
            raw: raw.to_owned(),
            segments: names.into_iter().map(Segment::new).collect(),
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The property names the path walks, root first.
    pub fn segments(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.segments.iter().map(|s| s.key.as_str())
    }

    /// Resolves the path; `None` when any step is missing (never an error). Borrowed from the
    /// scope except for an array's `length`, which is computed.
    pub fn lookup<'a>(&self, scope: &'a dyn Scope) -> Option<Cow<'a, Value>> {
        let (first, rest) = self.segments.split_first()?;
        let mut current = scope.root(&first.key)?;
        let last = rest.len();
        for (i, segment) in rest.iter().enumerate() {
            match segment.step(current, i + 1 == last)? {
                Cow::Borrowed(next) => current = next,
                owned @ Cow::Owned(_) => return Some(owned),
            }
        }
        Some(Cow::Borrowed(current))
    }

    /// True for the bare `$NOW` root of D8.
    fn is_now(&self) -> bool {
        matches!(self.segments.as_slice(), [only] if only.key == NOW_KEY)
    }
}

/// Looks up a `return`-option style path without braces (`$last`, `op.data.items`,
/// `$trigger.body`) with the same rules and depth limit as placeholders. `$all` and `$NOW` are
/// the caller's business.
///
/// # Errors
/// Whatever [`Path::parse`] refuses.
pub fn get_path<'a>(
    scope: &'a dyn Scope,
    raw: &str,
) -> Result<Option<Cow<'a, Value>>, TemplateError> {
    Ok(Path::parse(raw)?.lookup(scope))
}

fn is_quote(c: char) -> bool {
    matches!(c, '\'' | '"' | '`')
}

/// micromustache 8 `toPath`: bracket groups in order, the text between them dotted.
fn to_path(raw: &str) -> Result<Vec<String>, TemplateError> {
    let mut names = Vec::new();
    let mut rest = raw;
    let mut pre_dot = false;
    while let Some((before, after_open)) = rest.split_once('[') {
        let Some((inside, after_close)) = after_open.split_once(']') else {
            return Err(syntax(format!("Missing ] in varName \"{raw}\"")));
        };
        let inside = js::trim(inside);
        if inside.is_empty() {
            return Err(syntax("Unexpected token ]".to_owned()));
        }
        push_dotted(&mut names, before, pre_dot)?;
        names.push(prop_between_brackets(inside)?.to_owned());
        pre_dot = true;
        rest = after_close;
    }
    push_dotted(&mut names, rest, pre_dot)?;
    Ok(names)
}

/// The (trimmed, non-empty) text between `[` and `]`: a quoted key or a bare one.
fn prop_between_brackets(prop: &str) -> Result<&str, TemplateError> {
    let first = prop.chars().next().unwrap_or_default();
    let last = prop.chars().next_back().unwrap_or_default();
    if is_quote(first) || is_quote(last) {
        if prop.len() < 2 || first != last {
            return Err(syntax(format!("Mismatching string quotation: \"{prop}\"")));
        }
        // Both ends are one-byte ASCII quotes here.
        return Ok(prop.get(1..prop.len() - 1).unwrap_or_default());
    }
    if prop.contains('[') {
        return Err(syntax(format!("Missing ] in varName \"{prop}\"")));
    }
    Ok(prop.strip_prefix('+').unwrap_or(prop))
}

/// micromustache `pushPropName`: dotted names before, between or after bracket groups.
fn push_dotted(names: &mut Vec<String>, text: &str, pre_dot: bool) -> Result<(), TemplateError> {
    let mut part = js::trim(text);
    if part.is_empty() {
        return Ok(());
    }
    if let Some(after_dot) = part.strip_prefix('.') {
        if !pre_dot {
            return Err(syntax(format!("Unexpected . at the start of \"{text}\"")));
        }
        part = js::trim(after_dot);
        if part.is_empty() {
            return Ok(());
        }
    } else if pre_dot {
        return Err(syntax(format!("Missing . at the start of \"{text}\"")));
    }
    if part.ends_with('.') {
        return Err(syntax(format!("Unexpected \".\" at the end of \"{text}\"")));
    }
    for name in part.split('.') {
        let name = js::trim(name);
        if name.is_empty() {
            return Err(syntax(format!("Empty prop name when parsing \"{text}\"")));
        }
        names.push(name.to_owned());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

/// Operation options compiled once (flows are compiled when saved or loaded, rendered on every
/// run): every string is pre-split into literal text and parsed paths; subtrees without any
/// placeholder are kept as plain JSON and cloned in one go.
#[derive(Debug, Clone)]
pub struct Template {
    root: Node,
}

#[derive(Debug, Clone)]
enum Node {
    /// Nothing to render: cloned as is.
    Static(Value),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
    Text(Text),
}

#[derive(Debug, Clone)]
enum Text {
    /// The whole string is one placeholder: the option takes the value with its JSON type.
    Whole {
        path: Path,
        /// What Directus's fallback interpolation would throw when the path is missing
        /// (a `{{` inside the tag, or a tag too long); `None` → the value is `null` (D5).
        missing_error: Option<TemplateError>,
    },
    /// Literal text and placeholders, concatenated.
    Parts {
        parts: Vec<Part>,
        literal_len: usize,
    },
    /// Kept to be returned by every render.
    Invalid(TemplateError),
}

#[derive(Debug, Clone)]
enum Part {
    Literal(String),
    Placeholder(Path),
}

impl Template {
    /// Compiles any JSON value; never fails (see [`Template::render`]).
    pub fn compile(options: &Value) -> Template {
        Template {
            root: compile_value(options),
        }
    }

    /// True when the options contain no placeholder (and no template error), so `render`
    /// returns a clone of the input.
    pub fn is_static(&self) -> bool {
        self.root.is_static()
    }

    /// Renders against `scope`; `now` is what `{{$NOW}}` shows when the scope has no `$NOW`.
    ///
    /// # Errors
    /// The first template error met in document order, as Directus throws it.
    pub fn render(&self, scope: &dyn Scope, now: DateTime<Utc>) -> Result<Value, TemplateError> {
        let ctx = RenderCtx {
            scope,
            now,
            now_text: OnceCell::new(),
        };
        ctx.node(&self.root)
    }
}

fn compile_value(value: &Value) -> Node {
    match value {
        Value::String(s) => compile_str(s),
        // Static children are moved into their parent, so each static value is cloned once.
        Value::Array(items) => {
            let nodes: Vec<Node> = items.iter().map(compile_value).collect();
            if nodes.iter().all(Node::is_static) {
                Node::Static(Value::Array(
                    nodes.into_iter().filter_map(Node::into_static).collect(),
                ))
            } else {
                Node::Array(nodes)
            }
        }
        Value::Object(map) => {
            let nodes: Vec<(String, Node)> = map
                .iter()
                .map(|(k, v)| (k.clone(), compile_value(v)))
                .collect();
            if nodes.iter().all(|(_, n)| n.is_static()) {
                let map = nodes
                    .into_iter()
                    .filter_map(|(k, n)| n.into_static().map(|v| (k, v)))
                    .collect();
                Node::Static(Value::Object(map))
            } else {
                Node::Object(nodes)
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Node::Static(value.clone()),
    }
}

impl Node {
    fn is_static(&self) -> bool {
        matches!(self, Node::Static(_))
    }

    fn into_static(self) -> Option<Value> {
        match self {
            Node::Static(value) => Some(value),
            _ => None,
        }
    }
}

fn compile_str(s: &str) -> Node {
    if let Some(raw) = whole_placeholder(s) {
        // Directus looks the path up before tokenising, so a bad path throws first and a
        // found value wins even where the tokeniser would have complained.
        return Node::Text(match Path::parse(raw) {
            Ok(path) => Text::Whole {
                path,
                missing_error: tokenize(s).err(),
            },
            Err(err) => Text::Invalid(err),
        });
    }
    let pieces = match tokenize(s) {
        Ok(pieces) => pieces,
        Err(err) => return Node::Text(Text::Invalid(err)),
    };
    if !pieces.iter().any(|p| matches!(p, Piece::Var(_))) {
        return Node::Static(Value::String(s.to_owned()));
    }
    let mut parts = Vec::with_capacity(pieces.len());
    let mut literal_len = 0;
    for piece in pieces {
        match piece {
            Piece::Literal(text) => {
                literal_len += text.len();
                parts.push(Part::Literal(text.to_owned()));
            }
            Piece::Var(raw) => match Path::parse(raw) {
                Ok(path) => parts.push(Part::Placeholder(path)),
                Err(err) => return Node::Text(Text::Invalid(err)),
            },
        }
    }
    Node::Text(Text::Parts { parts, literal_len })
}

/// Directus's `^\{\{\s*([^}\s]+)\s*\}\}$`: the path of a string that is one placeholder.
fn whole_placeholder(s: &str) -> Option<&str> {
    let inner = js::trim(s.strip_prefix("{{")?.strip_suffix("}}")?);
    let valid = !inner.is_empty() && !inner.chars().any(|c| c == '}' || js::is_space(c));
    valid.then_some(inner)
}

enum Piece<'s> {
    Literal(&'s str),
    Var(&'s str),
}

/// micromustache 8 `tokenize` with `{{ }}` tags and `maxVarNameLength` 1000. Empty literals are
/// dropped; variable names are trimmed.
fn tokenize(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = template;
    let mut offset = 0; // byte offset of `rest` in `template`, for error positions
    while let Some(open) = rest.find("{{") {
        let position = || template.get(..offset + open).map_or(0, utf16_len);
        let (before, after_open) = rest.split_at(open);
        let after_open = after_open.get(2..).unwrap_or_default();
        let close = after_open.find("}}").filter(|&c| {
            c <= MAX_VAR_NAME_LEN
                || utf16_len(after_open.get(..c).unwrap_or_default()) <= MAX_VAR_NAME_LEN
        });
        let Some(close) = close else {
            return Err(syntax(format!(
                "Missing \"}}}}\" in the template for the \"{{{{\" at position {} within \
                 {MAX_VAR_NAME_LEN} characters",
                position()
            )));
        };
        let (inner, after_inner) = after_open.split_at(close);
        let var = js::trim(inner);
        if var.is_empty() {
            return Err(syntax(format!(
                "Unexpected \"}}}}\" tag found at position {}",
                position()
            )));
        }
        if var.contains("{{") {
            return Err(syntax(format!(
                "Variable names cannot have \"{{{{\". But at position {}. Got \"{var}\"",
                position()
            )));
        }
        if !before.is_empty() {
            pieces.push(Piece::Literal(before));
        }
        pieces.push(Piece::Var(var));
        let consumed = rest.len() - after_inner.len() + 2;
        offset += consumed;
        rest = after_inner.get(2..).unwrap_or_default();
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest));
    }
    Ok(pieces)
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

struct RenderCtx<'a> {
    scope: &'a dyn Scope,
    now: DateTime<Utc>,
    now_text: OnceCell<String>,
}

impl<'a> RenderCtx<'a> {
    fn node(&self, node: &Node) -> Result<Value, TemplateError> {
        match node {
            Node::Static(value) => Ok(value.clone()),
            Node::Array(items) => items.iter().map(|n| self.node(n)).collect(),
            Node::Object(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (key, child) in entries {
                    map.insert(key.clone(), self.node(child)?);
                }
                Ok(Value::Object(map))
            }
            Node::Text(text) => self.text(text),
        }
    }

    fn text(&self, text: &Text) -> Result<Value, TemplateError> {
        match text {
            Text::Whole {
                path,
                missing_error,
            } => match self.resolve(path) {
                Some(value) => Ok(value.into_owned()),
                None => match missing_error {
                    Some(err) => Err(err.clone()),
                    None => Ok(Value::Null),
                },
            },
            Text::Parts { parts, literal_len } => {
                let mut out = String::with_capacity(literal_len + 16 * parts.len());
                for part in parts {
                    match part {
                        Part::Literal(text) => out.push_str(text),
                        Part::Placeholder(path) => {
                            if let Some(value) = self.resolve(path) {
                                push_display(&mut out, &value);
                            }
                        }
                    }
                }
                Ok(Value::String(out))
            }
            Text::Invalid(err) => Err(err.clone()),
        }
    }

    fn resolve(&self, path: &Path) -> Option<Cow<'a, Value>> {
        path.lookup(self.scope).or_else(|| {
            path.is_now().then(|| {
                let text = self
                    .now_text
                    .get_or_init(|| js::iso_string(self.now.timestamp_millis()));
                Cow::Owned(Value::String(text.clone()))
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// JavaScript string conversion
// ---------------------------------------------------------------------------------------------

/// A value inside a longer string: strings as is, numbers/booleans as JavaScript's `String()`,
/// objects, arrays and null as `JSON.stringify`.
fn push_display(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Number(n) => js::push_number(out, n),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null | Value::Array(_) | Value::Object(_) => js::push_json(out, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 21, 4, 5).unwrap() + chrono::Duration::milliseconds(123)
    }

    fn chain() -> Map<String, Value> {
        let value = json!({
            "$trigger": {
                "path": "/trigger/f",
                "query": {"x": "5"},
                "body": {
                    "id": 7,
                    "name": "Ann",
                    "items": [{"id": 1, "sku": "a"}, {"id": 2, "sku": "b"}],
                    "flag": true,
                    "nothing": null,
                    "price": 1.5,
                    "ratio": 1.0,
                    "a.b": "dotted",
                    "with space": "spaced",
                    "": "empty key",
                    "length": "own length",
                    "nested": {"deep": {"er": [10, 20, [30]]}},
                    "text": "quote \" backslash \\ newline \n tab \t ctrl \u{1}"
                },
                "items": [1, 2, 3]
            },
            "$last": [{"id": "L0"}, {"id": "L1"}],
            "$accountability": null,
            "$env": {"API_TOKEN": "tok"},
            "$flow": {"id": "f-1", "name": "Echo"},
            "read": {"data": {"items": ["x", "y"]}, "count": 42},
            "a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": "deep"}}}}}}}}}}
        });
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn render(template: Value) -> Result<Value, TemplateError> {
        Template::compile(&template).render(&chain(), now())
    }

    fn render_str(template: &str) -> Result<Value, TemplateError> {
        render(Value::String(template.to_owned()))
    }

    fn ok(template: &str) -> Value {
        render_str(template).unwrap()
    }

    fn syntax_err(template: &str) -> String {
        match render_str(template) {
            Err(TemplateError::Syntax(msg)) => msg,
            other => panic!("expected a syntax error for {template:?}, got {other:?}"),
        }
    }

    // --- whole-string placeholders keep the JSON type -----------------------------------------

    #[test]
    fn whole_string_keeps_json_types() {
        assert_eq!(ok("{{ $trigger.body.id }}"), json!(7));
        assert_eq!(ok("{{$trigger.body.flag}}"), json!(true));
        assert_eq!(ok("{{ $trigger.body.nothing }}"), Value::Null);
        assert_eq!(ok("{{ $trigger.body.price }}"), json!(1.5));
        assert_eq!(ok("{{ $trigger.body.name }}"), json!("Ann"));
        assert_eq!(ok("{{ $trigger.query }}"), json!({"x": "5"}));
        assert_eq!(ok("{{ $last }}"), json!([{"id": "L0"}, {"id": "L1"}]));
        assert_eq!(ok("{{ $accountability }}"), Value::Null);
        assert_eq!(ok("{{$flow.id}}"), json!("f-1"));
        assert_eq!(ok("{{ read.count }}"), json!(42));
    }

    #[test]
    fn whole_string_array_stays_an_array() {
        assert_eq!(ok("{{$trigger.items}}"), json!([1, 2, 3]));
        assert_eq!(
            ok("{{ $trigger.body.items }}"),
            json!([{"id": 1, "sku": "a"}, {"id": 2, "sku": "b"}])
        );
    }

    #[test]
    fn whole_string_missing_is_null() {
        assert_eq!(ok("{{ $trigger.query.nope }}"), Value::Null);
        assert_eq!(ok("{{ nope }}"), Value::Null);
        assert_eq!(ok("{{ $trigger.nope.deeper.still }}"), Value::Null);
    }

    #[test]
    fn whole_string_whitespace_variants() {
        assert_eq!(ok("{{$last.0.id}}"), json!("L0"));
        assert_eq!(ok("{{   $last.1.id\t}}"), json!("L1"));
        assert_eq!(ok("{{\n$trigger.body.id\n}}"), json!(7));
    }

    #[test]
    fn directus_example_16_2_with_d5() {
        let chain = json!({
            "$trigger": {"path": "/trigger/f", "query": {"x": "5"}, "body": {}, "method": "GET"},
            "$accountability": {"user": null, "role": null, "ip": "127.0.0.1"},
            "$last": null
        });
        let template = Template::compile(&json!({
            "json": {
                "who": "{{ $accountability.user }}",
                "q": "{{ $trigger.query.x }}",
                "raw": "{{ $trigger.query }}",
                "txt": "x={{ $trigger.query.x }}",
                "missing": "{{ $trigger.query.nope }}",
                "missing_inline": "[{{ $trigger.query.nope }}]"
            }
        }));
        assert_eq!(
            template.render(&chain, now()).unwrap(),
            json!({"json": {
                "who": null,
                "q": "5",
                "raw": {"x": "5"},
                "txt": "x=5",
                "missing": null,
                "missing_inline": "[]"
            }})
        );
    }

    // --- interpolation ------------------------------------------------------------------------

    #[test]
    fn interpolation_converts_like_javascript() {
        assert_eq!(ok("id={{ $trigger.body.id }}"), json!("id=7"));
        assert_eq!(ok("{{$trigger.body.flag}}!"), json!("true!"));
        assert_eq!(ok("n={{ $trigger.body.nothing }}"), json!("n=null"));
        assert_eq!(ok("p={{ $trigger.body.price }}"), json!("p=1.5"));
        assert_eq!(ok("r={{ $trigger.body.ratio }}"), json!("r=1"));
        assert_eq!(ok("Hi {{ $trigger.body.name }}."), json!("Hi Ann."));
        assert_eq!(ok("x{{ nope }}y"), json!("xy"));
        assert_eq!(ok("{{x}}{{y}}"), json!("")); // two placeholders: not whole-string
        assert_eq!(
            ok("{{ $trigger.body.id }}-{{ $trigger.body.name }}"),
            json!("7-Ann")
        );
        assert_eq!(ok("Bearer {{$env.API_TOKEN}}"), json!("Bearer tok"),);
    }

    #[test]
    fn interpolation_writes_json_text_for_objects_and_arrays() {
        assert_eq!(ok("q={{ $trigger.query }}"), json!("q={\"x\":\"5\"}"));
        assert_eq!(ok("items: {{$trigger.items}}"), json!("items: [1,2,3]"));
        assert_eq!(
            ok("{{ $last }} "),
            json!("[{\"id\":\"L0\"},{\"id\":\"L1\"}] ")
        );
        assert_eq!(
            ok("{{$trigger.body.nested}}."),
            json!("{\"deep\":{\"er\":[10,20,[30]]}}.")
        );
        let body = ok("body={{ $trigger.body }}");
        let text = body.as_str().unwrap().strip_prefix("body=").unwrap();
        // The JSON text parses back to the same object (escapes are right; `ratio` comes
        // back as the integer 1, as JavaScript writes it)…
        let mut parsed: Value = serde_json::from_str(text).unwrap();
        let mut expected = chain()["$trigger"]["body"].clone();
        assert_eq!(parsed["ratio"], json!(1));
        parsed["ratio"] = json!(1.0);
        expected["ratio"] = json!(1.0);
        assert_eq!(parsed, expected);
        // …and uses JavaScript's number formatting and key order.
        assert!(text.contains("\"ratio\":1,"), "{text}");
        assert!(text.starts_with("{\"id\":7,\"name\":\"Ann\""), "{text}");
        assert!(
            text.contains(r#""text":"quote \" backslash \\ newline \n tab \t ctrl \u0001""#),
            "{text}"
        );
    }

    #[test]
    fn keys_are_never_templated_and_scalars_pass_through() {
        let rendered = render(json!({
            "{{ $trigger.body.id }}": "{{ $trigger.body.id }}",
            "n": 1.25,
            "b": false,
            "z": null
        }))
        .unwrap();
        assert_eq!(
            rendered,
            json!({"{{ $trigger.body.id }}": 7, "n": 1.25, "b": false, "z": null})
        );
    }

    #[test]
    fn nested_objects_and_arrays_are_walked() {
        let template = json!({
            "collection": "orders",
            "payload": {
                "customer": "{{ $trigger.body.name }}",
                "items": "{{$trigger.body.items}}",
                "tags": ["static", "{{ $trigger.body.id }}", {"x": "#{{ $trigger.body.id }}"}],
                "meta": {"fixed": [1, 2, {"k": "v"}]}
            },
            "query": {"limit": "{{ $trigger.query.x }}"}
        });
        assert_eq!(
            render(template).unwrap(),
            json!({
                "collection": "orders",
                "payload": {
                    "customer": "Ann",
                    "items": [{"id": 1, "sku": "a"}, {"id": 2, "sku": "b"}],
                    "tags": ["static", 7, {"x": "#7"}],
                    "meta": {"fixed": [1, 2, {"k": "v"}]}
                },
                "query": {"limit": "5"}
            })
        );
    }

    #[test]
    fn object_key_order_is_kept() {
        let rendered = render(json!({"z": "{{ $trigger.body.id }}", "a": 1, "m": "x"})).unwrap();
        let keys: Vec<&String> = rendered.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn lone_closing_braces_and_single_braces_are_text() {
        assert_eq!(ok("a }} b"), json!("a }} b"));
        assert_eq!(ok("}}{{ $trigger.body.id }}"), json!("}}7"));
        assert_eq!(ok("{ not a tag }"), json!("{ not a tag }"));
        assert_eq!(ok("{{ $trigger.body.id }}}"), json!("7}"));
        // `{{{a}}}`: the tag is `{a`, the last `}` is text (micromustache; `{{{` is not special).
        let scope = json!({"{a": "X"});
        let rendered = Template::compile(&json!("{{{a}}}"))
            .render(&scope, now())
            .unwrap();
        assert_eq!(rendered, json!("X}"));
    }

    #[test]
    fn unicode_text_around_placeholders() {
        assert_eq!(
            ok("héllo {{ $trigger.body.name }} 😀 ✓"),
            json!("héllo Ann 😀 ✓")
        );
    }

    // --- $NOW (D8) and $flow (D9) ---------------------------------------------------------------

    #[test]
    fn now_renders_iso_8601_utc_with_millis() {
        assert_eq!(ok("{{$NOW}}"), json!("2026-11-26T21:04:05.123Z"));
        assert_eq!(ok("{{ $NOW }}"), json!("2026-11-26T21:04:05.123Z"));
        assert_eq!(
            ok("at {{$NOW}} and {{ $NOW }}"),
            json!("at 2026-11-26T21:04:05.123Z and 2026-11-26T21:04:05.123Z")
        );
        assert_eq!(ok("{{ $NOW.year }}"), Value::Null);
        assert_eq!(ok("{{ $NOW(-1 hour) }}"), json!(""));
        assert_eq!(ok("{{ $NOW(-1h) }}"), Value::Null);
        let whole_second = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let rendered = Template::compile(&json!("{{$NOW}}"))
            .render(&chain(), whole_second)
            .unwrap();
        assert_eq!(rendered, json!("2026-01-02T03:04:05.000Z"));
    }

    #[test]
    fn now_in_the_scope_wins() {
        let scope = json!({"$NOW": "from chain"});
        let rendered = Template::compile(&json!("{{$NOW}}"))
            .render(&scope, now())
            .unwrap();
        assert_eq!(rendered, json!("from chain"));
    }

    // --- paths ----------------------------------------------------------------------------------

    fn segments(raw: &str) -> Vec<String> {
        Path::parse(raw)
            .unwrap()
            .segments()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn path_parsing_follows_micromustache() {
        assert_eq!(segments("a.b.c"), ["a", "b", "c"]);
        assert_eq!(segments(" a . b "), ["a", "b"]);
        assert_eq!(segments("a[0]"), ["a", "0"]);
        assert_eq!(segments("a[ 0 ]"), ["a", "0"]);
        assert_eq!(segments("a[+1]"), ["a", "1"]);
        assert_eq!(segments(r#"a["key with.dots"]"#), ["a", "key with.dots"]);
        assert_eq!(segments("a['x'].y"), ["a", "x", "y"]);
        assert_eq!(segments("a[`x`]"), ["a", "x"]);
        assert_eq!(segments(r#"a[" padded "]"#), ["a", " padded "]);
        assert_eq!(segments(r#"a[""]"#), ["a", ""]);
        assert_eq!(segments(r#"a["[x"]"#), ["a", "[x"]);
        assert_eq!(segments("a[b.c]"), ["a", "b.c"]); // unquoted brackets are literal keys
        assert_eq!(segments(r#"["$trigger"].body"#), ["$trigger", "body"]);
        assert_eq!(segments("a[0][1] . b"), ["a", "0", "1", "b"]);
        assert_eq!(segments("a [0]"), ["a", "0"]);
        assert_eq!(segments("a[0]."), ["a", "0"]); // micromustache tolerates this
        assert_eq!(segments("a b"), ["a b"]);
        assert_eq!(Path::parse("$last.0.id").unwrap().as_str(), "$last.0.id");
    }

    #[test]
    fn malformed_paths_are_syntax_errors() {
        for raw in [
            "a..b", ".a", "a.", "a[", "a[]", "a[ ]", "a]", "a.[0]", "a[0]b", "a[[0]]", "a['x\"]",
            "a[x']", "a[']", "a[0].b.", "a[0]..b", "", "   ",
        ] {
            // `a]` is a single key in micromustache (a lone `]` is not a bracket group).
            if raw == "a]" {
                assert_eq!(segments(raw), ["a]"]);
                continue;
            }
            assert!(
                matches!(Path::parse(raw), Err(TemplateError::Syntax(_))),
                "{raw:?} should be a syntax error"
            );
        }
    }

    #[test]
    fn bracket_paths_resolve() {
        assert_eq!(ok(r#"{{ $trigger.body["a.b"] }}"#), json!("dotted"));
        assert_eq!(ok("{{ $trigger.body['a.b'] }}"), json!("dotted"));
        assert_eq!(ok("{{ $trigger.body[`a.b`] }}"), json!("dotted"));
        assert_eq!(ok("{{ $trigger.body.a.b }}"), Value::Null);
        assert_eq!(ok("{{ $trigger.body.items[1].sku }}"), json!("b"));
        assert_eq!(ok(r#"{{ $trigger["body"]["items"][0]["id"] }}"#), json!(1));
        assert_eq!(ok(r#"{{ $trigger.body[""] }}"#), json!("empty key"));
        assert_eq!(
            ok(r#"v={{ $trigger.body["with space"] }}"#),
            json!("v=spaced")
        );
        assert_eq!(ok("{{ $trigger.body.nested.deep.er[2][0] }}"), json!(30));
    }

    #[test]
    fn array_indices_and_length() {
        assert_eq!(ok("{{ $last.0.id }}"), json!("L0"));
        assert_eq!(ok("{{ $last.2.id }}"), Value::Null);
        assert_eq!(ok("{{ $last.01 }}"), Value::Null); // not a canonical index
        assert_eq!(ok("{{ $last.-1 }}"), Value::Null);
        assert_eq!(ok("{{ $last.99999999999999999999999 }}"), Value::Null);
        assert_eq!(ok("{{ $last.length }}"), json!(2));
        assert_eq!(ok("n={{ $trigger.items.length }}"), json!("n=3"));
        assert_eq!(ok("{{ $last.length.x }}"), Value::Null);
        // Objects use their own `length` key; strings are never descended into.
        assert_eq!(ok("{{ $trigger.body.length }}"), json!("own length"));
        assert_eq!(ok("{{ $trigger.body.name.length }}"), Value::Null);
        assert_eq!(ok("{{ $trigger.body.name.0 }}"), Value::Null);
        assert_eq!(ok("{{ $trigger.body.id.x }}"), Value::Null);
        assert_eq!(ok("{{ $trigger.body.nothing.x }}"), Value::Null);
    }

    #[test]
    fn prototype_members_are_not_properties() {
        assert_eq!(ok("{{ $trigger.constructor }}"), Value::Null);
        assert_eq!(ok("x{{ $last.map }}"), json!("x"));
    }

    #[test]
    fn depth_limit_is_ten_segments() {
        assert_eq!(ok("{{ a.b.c.d.e.f.g.h.i.j }}"), json!({"k": "deep"}));
        assert_eq!(
            Path::parse("a.b.c.d.e.f.g.h.i.j").unwrap().segments().len(),
            10
        );
        let too_deep = "a.b.c.d.e.f.g.h.i.j.k";
        let expected = TemplateError::TooDeep {
            path: too_deep.to_owned(),
            max: MAX_PATH_DEPTH,
        };
        assert_eq!(Path::parse(too_deep), Err(expected.clone()));
        assert_eq!(
            render_str(&format!("{{{{ {too_deep} }}}}")),
            Err(expected.clone())
        );
        assert_eq!(
            render_str(&format!("x {{{{{too_deep}}}}}")),
            Err(expected.clone())
        );
        assert_eq!(get_path(&chain(), too_deep), Err(expected.clone()));
        assert_eq!(expected.js_name(), "ReferenceError");
        assert!(expected.to_string().contains("deeper than 10"));
        // Brackets count as segments too.
        assert!(matches!(
            Path::parse("a[0][1][2][3][4][5][6][7][8][9]"),
            Err(TemplateError::TooDeep { .. })
        ));
        assert!(Path::parse("a[1][2][3][4][5][6][7][8][9]").is_ok());
    }

    // --- syntax errors -------------------------------------------------------------------------

    #[test]
    fn unclosed_tag_is_an_error() {
        let msg = syntax_err("hello {{ $trigger.body.id");
        assert!(msg.contains("Missing \"}}\""), "{msg}");
        assert!(msg.contains("position 6"), "{msg}");
        syntax_err("{{");
        syntax_err("{{ a }} and {{ b");
        syntax_err("{{ a }");
    }

    #[test]
    fn closing_tag_must_come_within_1000_characters() {
        let name = "a".repeat(1000);
        let scope = json!({ name.clone(): "found" });
        let at_limit = format!("<{{{{{name}}}}}>");
        let rendered = Template::compile(&Value::String(at_limit))
            .render(&scope, now())
            .unwrap();
        assert_eq!(rendered, json!("<found>"));
        let padded = format!("<{{{{ {name}}}}}>");
        syntax_err(&padded);
        // UTF-16 units are counted, as in JavaScript: 500 emoji are 1000 units.
        let emoji = "😀".repeat(500);
        let scope = json!({ emoji.clone(): 1 });
        let rendered = Template::compile(&json!(format!("x{{{{{emoji}}}}}")))
            .render(&scope, now())
            .unwrap();
        assert_eq!(rendered, json!("x1"));
        syntax_err(&format!("x{{{{{emoji}é}}}}"));
    }

    #[test]
    fn empty_tag_is_an_error() {
        let msg = syntax_err("a {{ }} b");
        assert!(msg.contains("Unexpected \"}}\""), "{msg}");
        syntax_err("{{}}");
        syntax_err("{{ }}");
        syntax_err("{{\t\n}}");
    }

    #[test]
    fn nested_open_tag_is_an_error() {
        let msg = syntax_err("x {{ a {{ b }} }}");
        assert!(msg.contains("cannot have \"{{\""), "{msg}");
        // Whole-string shape: missing path → the tokeniser's error, as Directus would throw.
        syntax_err("{{a{{b}}");
        // … but a found value wins, as `get` runs first in Directus.
        let scope = json!({"a{{b": 1});
        let rendered = Template::compile(&json!("{{a{{b}}"))
            .render(&scope, now())
            .unwrap();
        assert_eq!(rendered, json!(1));
    }

    #[test]
    fn malformed_path_in_a_tag_is_an_error() {
        for template in [
            "{{ a..b }}",
            "{{ .a }}",
            "{{ a. }}",
            "x{{ a[ }}",
            "{{ a[] }}",
            "{{ a['x\"] }}",
            "{{ a[0]b }}",
            "{{ a b. }}",
        ] {
            let err = render_str(template).unwrap_err();
            assert_eq!(err.js_name(), "SyntaxError", "{template}");
        }
    }

    #[test]
    fn errors_come_from_render_not_compile() {
        let template = Template::compile(&json!({"ok": "fine", "bad": "{{ unclosed"}));
        assert!(!template.is_static());
        assert!(template.render(&chain(), now()).is_err());
        assert!(template.render(&Map::new(), now()).is_err());
    }

    #[test]
    fn first_error_in_document_order_wins() {
        let err = render(json!({"a": "{{ x..y }}", "b": "{{ }}"})).unwrap_err();
        assert!(err.to_string().contains("Empty prop name"), "{err}");
        let err = render(json!(["{{ }}", "{{ x..y }}"])).unwrap_err();
        assert!(err.to_string().contains("Unexpected"), "{err}");
        // Within one string the tokeniser runs before any path is parsed.
        let err = render_str("{{ x..y }} {{ }}").unwrap_err();
        assert!(err.to_string().contains("Unexpected \"}}\""), "{err}");
    }

    // --- static templates -----------------------------------------------------------------------

    #[test]
    fn static_detection() {
        for value in [
            json!({"a": 1, "b": [true, null, "text"], "c": {"d": "}} {not a tag}"}}),
            json!("plain"),
            json!(null),
            json!(3.5),
            json!([]),
        ] {
            let template = Template::compile(&value);
            assert!(template.is_static(), "{value}");
            assert_eq!(template.render(&chain(), now()).unwrap(), value);
        }
        assert!(!Template::compile(&json!({"a": [1, {"b": "{{ x }}"}]})).is_static());
        assert!(!Template::compile(&json!("{{ }}")).is_static());
    }

    #[test]
    fn render_is_repeatable_and_does_not_touch_the_scope() {
        let template =
            Template::compile(&json!({"v": "{{ $trigger.body.items }}", "t": "{{$NOW}}"}));
        let scope = chain();
        let first = template.render(&scope, now()).unwrap();
        let second = template.render(&scope, now()).unwrap();
        assert_eq!(first, second);
        assert_eq!(scope, chain());
    }

    // --- get_path (the `return` option) ----------------------------------------------------------

    #[test]
    fn get_path_looks_up_without_braces() {
        let scope = chain();
        assert_eq!(
            get_path(&scope, "$last").unwrap().as_deref(),
            Some(&json!([{"id": "L0"}, {"id": "L1"}]))
        );
        assert_eq!(
            get_path(&scope, "read.data.items").unwrap().as_deref(),
            Some(&json!(["x", "y"]))
        );
        assert_eq!(
            get_path(&scope, "$trigger.body").unwrap().as_deref(),
            Some(&scope["$trigger"]["body"])
        );
        assert_eq!(get_path(&scope, "$trigger.nope").unwrap(), None);
        assert_eq!(
            get_path(&scope, "$accountability").unwrap().as_deref(),
            Some(&Value::Null)
        );
        assert_eq!(
            get_path(&scope, "$last.length").unwrap().as_deref(),
            Some(&json!(2))
        );
        assert!(matches!(
            get_path(&scope, "$last.0.id").unwrap(),
            Some(Cow::Borrowed(_))
        ));
        assert!(get_path(&scope, "a..b").is_err());
        assert!(get_path(&scope, "").is_err());
        // A `Value` works as a scope too; non-objects have no keys.
        assert_eq!(
            get_path(&json!({"k": 1}), "k").unwrap().as_deref(),
            Some(&json!(1))
        );
        assert_eq!(get_path(&json!([1]), "0").unwrap(), None);
    }

    // --- number formatting (the digits themselves: `util::js`) ------------------------------

    #[test]
    fn numbers_in_templates() {
        let scope = json!({
            "n": {"int": 42, "neg": -7, "big": u64::MAX, "f": 2.0, "tiny": 1e-7, "huge": 1e21}
        });
        let template = Template::compile(&json!(
            "{{n.int}} {{n.neg}} {{n.big}} {{n.f}} {{n.tiny}} {{n.huge}} {{ n }}"
        ));
        assert_eq!(
            template.render(&scope, now()).unwrap(),
            json!(
                "42 -7 18446744073709551615 2 1e-7 1e+21 \
                 {\"int\":42,\"neg\":-7,\"big\":18446744073709551615,\"f\":2,\"tiny\":1e-7,\"huge\":1e+21}"
            )
        );
        // Whole-string keeps the number itself.
        let whole = Template::compile(&json!("{{ n.f }}"))
            .render(&scope, now())
            .unwrap();
        assert_eq!(whole, json!(2.0));
    }

    // --- property-style robustness --------------------------------------------------------------

    /// xorshift64*: deterministic, no extra crates.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn random_templates_never_panic() {
        const ALPHABET: &[char] = &[
            '{', '{', '{', '}', '}', '}', '.', '.', '[', ']', '\'', '"', '`', 'a', 'b', '0', '1',
            ' ', ' ', '$', 'é', '+',
        ];
        let scope = json!({
            "a": {"b": [1, {"a": "x"}], "0": null, "a": {"a": {"b": "y"}}},
            "b": [[], {}, "s"],
            "0": 0,
            "$NOW": null
        });
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut rendered_ok = 0;
        for _ in 0..20_000 {
            let len = rng.below(24);
            let text: String = (0..len)
                .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                .collect();
            let options = json!({"s": text.clone(), "nested": [{"t": text.clone()}]});
            let template = Template::compile(&options);
            let result = template.render(&scope, now());
            let empty = template.render(&Map::new(), now());
            assert_eq!(result.is_ok(), empty.is_ok(), "{text:?}");
            if let Ok(value) = result {
                rendered_ok += 1;
                if !text.contains("{{") {
                    assert_eq!(value, options, "{text:?}");
                }
            }
            // Every placeholder-free string is static and every static template renders itself.
            if template.is_static() {
                assert_eq!(template.render(&scope, now()).unwrap(), options);
            }
            let _ = Path::parse(&text);
            let _ = get_path(&scope, &text);
        }
        assert!(
            rendered_ok > 1_000,
            "the generator should produce valid templates too"
        );
    }
}
