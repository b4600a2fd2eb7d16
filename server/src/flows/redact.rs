//! Redaction for run logs, the `log` operation and `exec` console output (directus.md §3.3,
//! §12; product.md §7), applied at any depth of any value:
//! - a value under a secret-looking name ([`secret_name`]: `password`, `token`,
//!   `authorization`, `x-api-key`, … in any case), and the `value` of a
//!   `{header | name | key: <secret name>, value}` entry, becomes `--redacted--`;
//! - the values found that way are also replaced wherever the same run copied them (a template
//!   that put `$trigger.body.password` into a URL or another operation's payload);
//! - every allow-listed environment value becomes `--redacted:<NAME>--`: its text, and the
//!   number, list elements or JSON values Directus casts it to.
//!
//! Strings that hold a JSON object or array are redacted inside. Values are redacted while
//! they are serialised, so a run's chain is never copied for it.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Number, Value};

use super::chain::cast_env;

/// What a secret value is replaced with.
pub const REDACTED: &str = "--redacted--";

/// Copies of secret values shorter than this are redacted only where they are a whole string:
/// a three-letter password must not blank every "abc" of a run log.
const MIN_COPY: usize = 4;

/// Authorization schemes whose credential is also looked for on its own.
const SCHEMES: &[&str] = &["bearer ", "basic ", "token ", "digest "];

/// Whether an object key names a secret. Case and `-`/`_` do not matter. Secret are keys
/// ending in `token` (`access_token`, `refresh_token`, `x-auth-token`, `csrfToken`), keys
/// containing `password`, `passphrase`, `secret` (`client_secret`, `tfa_secret`), `api_key`,
/// `api-key` or `apikey` (`x-api-key`), `authorization` (`proxy-authorization`), `cookie`
/// (`set-cookie`), `credential`, `private_key` or `privatekey`, and the keys `pass`, `passwd`,
/// `pwd`, `otp`, `auth_data` and `external_identifier` (Directus's own list). It runs
/// for every key of every logged run, so it neither allocates nor lower-cases.
pub fn secret_name(key: &str) -> bool {
    let b = key.as_bytes();
    if b.len() < 3 {
        return false;
    }
    if b.len()
        .checked_sub(5)
        .and_then(|i| b.get(i..))
        .is_some_and(|end| end.eq_ignore_ascii_case(b"token"))
    {
        return true;
    }
    if EXACT_NAMES.iter().any(|e| same_name(b, e.as_bytes())) {
        return true;
    }
    // The shortest part ("secret", "apikey", "cookie") has six letters.
    if b.len() < 6 {
        return false;
    }
    match &*NAME_PARTS {
        Some(finder) => finder.is_match(key),
        None => {
            let lower = key.to_ascii_lowercase();
            NAME_PARTS_LIST.iter().any(|p| lower.contains(p))
        }
    }
}

const EXACT_NAMES: &[&str] = &[
    "pass",
    "passwd",
    "pwd",
    "otp",
    "auth_data",
    "external_identifier",
];

const NAME_PARTS_LIST: &[&str] = &[
    "password",
    "passphrase",
    "secret",
    "api_key",
    "api-key",
    "apikey",
    "authorization",
    "cookie",
    "credential",
    "private_key",
    "private-key",
    "privatekey",
];

/// One automaton for every part, matched without regard to ASCII case.
static NAME_PARTS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .build(NAME_PARTS_LIST)
        .ok()
});

/// `a` equals `b` ignoring ASCII case, `-` standing for `_`.
fn same_name(a: &[u8], b: &[u8]) -> bool {
    let norm = |c: u8| {
        if c == b'-' {
            b'_'
        } else {
            c.to_ascii_lowercase()
        }
    };
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| norm(*x) == norm(*y))
}

/// `{header: "Authorization", value: …}` (the `request` operation's list form), and the
/// `{name, value}` / `{key, value}` shapes of other tools: the entry's `value` is a secret.
fn entry_is_secret(o: &Map<String, Value>) -> bool {
    o.len() <= 4
        && o.keys().any(|k| k == "value")
        && ["header", "name", "key"]
            .iter()
            .any(|k| o.get(*k).and_then(Value::as_str).is_some_and(secret_name))
}

/// Whether a key's value is hidden (`null` stays visible: it says nothing).
fn hides(o_entry_secret: bool, key: &str, child: &Value) -> bool {
    !child.is_null() && (secret_name(key) || (o_entry_secret && key == "value"))
}

/// A string that may hold a JSON object or array.
fn looks_json(s: &str) -> bool {
    matches!(s.trim_start().as_bytes().first(), Some(b'{') | Some(b'['))
}

/// The allow-listed environment, ready to find its values.
#[derive(Clone, Debug)]
pub struct Redactor {
    /// Texts to replace (raw values, cast strings, number texts) and their markers.
    texts: Vec<(String, String)>,
    finder: Option<AhoCorasick>,
    /// The shortest text: shorter strings cannot hold one.
    shortest: usize,
    /// Numbers the values cast to, with their markers.
    numbers: Vec<(f64, String)>,
}

/// Collects the environment's needles.
#[derive(Default)]
struct EnvBuilder {
    texts: Vec<(String, String)>,
    numbers: Vec<(f64, String)>,
}

impl EnvBuilder {
    fn text(&mut self, text: &str, name: &str) {
        if !text.is_empty() && !self.texts.iter().any(|(t, _)| t == text) {
            self.texts
                .push((text.to_owned(), format!("--redacted:{name}--")));
        }
    }

    /// Every string and number inside a cast value: the value itself whatever its length
    /// (as the raw text is), list elements and JSON values from [`MIN_COPY`] characters on (a
    /// `{"retries": 3}` must not blank every 3 of a log).
    fn leaves(&mut self, v: &Value, name: &str, nested: bool) {
        match v {
            Value::String(s) if !nested || s.len() >= MIN_COPY => self.text(s, name),
            Value::Number(n) => {
                let text = n.to_string();
                if nested && text.len() < MIN_COPY {
                    return;
                }
                self.text(&text, name);
                if let Some(f) = n.as_f64().filter(|f| f.is_finite()) {
                    self.numbers.push((f, format!("--redacted:{name}--")));
                }
            }
            Value::Array(a) => a.iter().for_each(|x| self.leaves(x, name, true)),
            Value::Object(o) => o.values().for_each(|x| self.leaves(x, name, true)),
            Value::String(_) | Value::Bool(_) | Value::Null => {}
        }
    }

    fn build(self) -> Redactor {
        let finder = if self.texts.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(self.texts.iter().map(|(t, _)| t.as_str()))
                .ok()
        };
        let mut texts = self.texts;
        if finder.is_none() {
            // Fallback search: longest first, so overlapping values redact fully.
            texts.sort_by_key(|t| std::cmp::Reverse(t.0.len()));
        }
        Redactor {
            shortest: texts.iter().map(|t| t.0.len()).min().unwrap_or(usize::MAX),
            texts,
            finder,
            numbers: self.numbers,
        }
    }
}

impl Default for Redactor {
    fn default() -> Self {
        EnvBuilder::default().build()
    }
}

impl Redactor {
    /// From `FLOWS_ENV_ALLOW_LIST`'s `(NAME, raw value)` pairs: the raw text and everything
    /// its Directus cast holds.
    pub fn new(env: &[(String, String)]) -> Redactor {
        let mut b = EnvBuilder::default();
        for (name, raw) in env {
            b.text(raw, name);
            b.leaves(&cast_env(raw), name, false);
        }
        b.build()
    }

    /// From a cast `$env` object alone (the `exec` sandbox sees only cast values).
    pub fn from_env(env: &Value) -> Redactor {
        let mut b = EnvBuilder::default();
        if let Value::Object(o) = env {
            for (name, v) in o {
                b.leaves(v, name, false);
            }
        }
        b.build()
    }

    /// A redacted copy of one value (its own secrets are learnt first).
    pub fn redact_chain(&self, v: &Value) -> Value {
        let mut scope = Scope::new(self);
        scope.learn(v);
        scope.redact(v)
    }

    /// Replaces allow-listed environment values inside a string.
    pub fn redact_text(&self, s: &str) -> String {
        self.redact_cow(s).into_owned()
    }

    /// Like `redact_text`, without allocating when nothing matches.
    pub fn redact_cow<'s>(&self, s: &'s str) -> Cow<'s, str> {
        if s.len() < self.shortest {
            return Cow::Borrowed(s);
        }
        if let Some(finder) = &self.finder {
            if !finder.is_match(s) {
                return Cow::Borrowed(s);
            }
            let mut out = String::with_capacity(s.len() + 16);
            finder.replace_all_with(s, &mut out, |m, _, dst| {
                dst.push_str(&self.texts[m.pattern().as_usize()].1);
                true
            });
            return Cow::Owned(out);
        }
        let mut out = Cow::Borrowed(s);
        for (text, marker) in &self.texts {
            if out.contains(text.as_str()) {
                out = Cow::Owned(out.replace(text.as_str(), marker));
            }
        }
        out
    }

    /// Whether `s` is exactly one of the environment's texts.
    fn is_env_text(&self, s: &str) -> bool {
        self.texts.iter().any(|(t, _)| t == s)
    }

    fn number_marker(&self, f: f64) -> Option<&str> {
        self.numbers
            .iter()
            .find(|(n, _)| *n == f)
            .map(|(_, m)| m.as_str())
    }
}

/// The redaction of one run: the environment plus the secret values learnt from the run's
/// data, so copies of them are found too.
#[derive(Clone, Debug)]
pub struct Scope<'a> {
    redactor: Cow<'a, Redactor>,
    /// Secret values seen under secret names, longest first.
    copies: Vec<String>,
    /// Secret numbers seen under secret names.
    numbers: Vec<f64>,
    /// The shortest copy (shorter strings cannot be or hold one).
    shortest: usize,
}

impl<'a> Scope<'a> {
    pub fn new(redactor: &'a Redactor) -> Scope<'a> {
        Scope {
            redactor: Cow::Borrowed(redactor),
            copies: Vec::new(),
            numbers: Vec::new(),
            shortest: usize::MAX,
        }
    }

    /// A scope that owns its redactor (to outlive the data, as `exec`'s console does).
    pub fn owning(redactor: Redactor) -> Scope<'static> {
        Scope {
            redactor: Cow::Owned(redactor),
            copies: Vec::new(),
            numbers: Vec::new(),
            shortest: usize::MAX,
        }
    }

    /// Learns the secret values inside `v`. Call it for every part of a run before
    /// serialising any.
    pub fn learn(&mut self, v: &Value) {
        let before = self.copies.len();
        self.walk(v);
        if self.copies.len() != before {
            self.copies
                .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
            self.copies.dedup();
            self.shortest = self.copies.last().map_or(usize::MAX, String::len);
        }
    }

    fn walk(&mut self, v: &Value) {
        match v {
            Value::Object(o) => {
                let entry = entry_is_secret(o);
                for (k, child) in o {
                    if hides(entry, k, child) {
                        self.keep(child);
                    } else {
                        self.walk(child);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| self.walk(x)),
            Value::String(s) if looks_json(s) => {
                if let Ok(parsed @ (Value::Object(_) | Value::Array(_))) =
                    serde_json::from_str::<Value>(s)
                {
                    self.walk(&parsed);
                }
            }
            _ => {}
        }
    }

    /// Remembers every string and number inside a secret value.
    fn keep(&mut self, v: &Value) {
        match v {
            Value::String(s) => {
                // Environment values keep their own marker.
                if s.is_empty()
                    || s == crate::items::MASK
                    || s.starts_with("--redacted")
                    || self.redactor.is_env_text(s)
                {
                    return;
                }
                self.copies.push(s.clone());
                for scheme in SCHEMES {
                    if s.as_bytes()
                        .get(..scheme.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(scheme.as_bytes()))
                        && let Some(rest) = s.get(scheme.len()..).map(str::trim)
                        && rest.len() >= MIN_COPY
                    {
                        self.copies.push(rest.to_owned());
                    }
                }
            }
            Value::Number(n) => {
                let text = n.to_string();
                let env = n.as_f64().and_then(|f| self.redactor.number_marker(f));
                if text.len() >= MIN_COPY && env.is_none() {
                    if let Some(f) = n.as_f64() {
                        self.numbers.push(f);
                    }
                    self.copies.push(text);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| self.keep(x)),
            Value::Object(o) => o.values().for_each(|x| self.keep(x)),
            Value::Bool(_) | Value::Null => {}
        }
    }

    /// A value seen through the rules, serialised without copying it.
    pub fn view<'s>(&'s self, v: &'s Value) -> Redacted<'s> {
        Redacted { scope: self, v }
    }

    /// A redacted copy of a value.
    pub fn redact(&self, v: &Value) -> Value {
        serde_json::to_value(self.view(v)).unwrap_or(Value::Null)
    }

    /// A string with copies of learnt secrets and environment values replaced.
    pub fn text<'t>(&self, s: &'t str) -> Cow<'t, str> {
        if s.len() < self.shortest {
            return self.redactor.redact_cow(s);
        }
        let mut out: Cow<'t, str> = Cow::Borrowed(s);
        for c in &self.copies {
            if out.as_ref() == c.as_str() {
                return Cow::Borrowed(REDACTED);
            }
            if c.len() >= MIN_COPY && out.contains(c.as_str()) {
                out = Cow::Owned(out.replace(c.as_str(), REDACTED));
            }
        }
        match out {
            Cow::Borrowed(b) => self.redactor.redact_cow(b),
            Cow::Owned(o) => Cow::Owned(self.redactor.redact_cow(&o).into_owned()),
        }
    }

    /// An object key with environment values replaced. (Copies of learnt secrets are looked
    /// for in values only: keys are names, and every key of every run passes here.)
    pub fn key_text<'t>(&self, k: &'t str) -> Cow<'t, str> {
        self.redactor.redact_cow(k)
    }

    /// The replacement for a number that is a secret, if it is one.
    fn number(&self, n: &Number) -> Option<&str> {
        if self.numbers.is_empty() && self.redactor.numbers.is_empty() {
            return None;
        }
        let f = n.as_f64()?;
        if self.numbers.contains(&f) {
            return Some(REDACTED);
        }
        self.redactor.number_marker(f)
    }

    /// A string holding JSON, redacted inside; `None` when it needs no change.
    fn json_text(&self, s: &str) -> Option<String> {
        let parsed: Value = serde_json::from_str(s).ok()?;
        if !matches!(parsed, Value::Object(_) | Value::Array(_)) {
            return None;
        }
        let redacted = serde_json::to_string(&self.view(&parsed)).ok()?;
        let plain = serde_json::to_string(&parsed).ok()?;
        (redacted != plain).then_some(redacted)
    }
}

/// A value seen through a run's redaction rules.
pub struct Redacted<'a> {
    scope: &'a Scope<'a>,
    v: &'a Value,
}

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let scope = self.scope;
        match self.v {
            Value::Object(o) => {
                let entry = entry_is_secret(o);
                let mut map = ser.serialize_map(Some(o.len()))?;
                for (k, child) in o {
                    let key = scope.key_text(k);
                    if hides(entry, k, child) {
                        map.serialize_entry(&*key, REDACTED)?;
                    } else {
                        map.serialize_entry(&*key, &scope.view(child))?;
                    }
                }
                map.end()
            }
            Value::Array(a) => {
                let mut seq = ser.serialize_seq(Some(a.len()))?;
                for x in a {
                    seq.serialize_element(&scope.view(x))?;
                }
                seq.end()
            }
            Value::String(s) => {
                if looks_json(s)
                    && let Some(text) = scope.json_text(s)
                {
                    return ser.serialize_str(&text);
                }
                ser.serialize_str(&scope.text(s))
            }
            Value::Number(n) => match scope.number(n) {
                Some(marker) => ser.serialize_str(marker),
                None => n.serialize(ser),
            },
            other => other.serialize(ser),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_names_in_any_case_and_spelling() {
        for k in [
            "password",
            "Password",
            "new_password",
            "token",
            "TOKEN",
            "access_token",
            "refresh_token",
            "accessToken",
            "x-auth-token",
            "secret",
            "client_secret",
            "clientSecret",
            "tfa_secret",
            "api_key",
            "apikey",
            "apiKey",
            "X-API-Key",
            "x-api-key",
            "authorization",
            "Authorization",
            "proxy-authorization",
            "Proxy-Authorization",
            "cookie",
            "Cookie",
            "set-cookie",
            "Set-Cookie",
            "credentials",
            "private_key",
            "auth_data",
            "external_identifier",
            "ai_openai_api_key",
            &format!("{}-Token", "x".repeat(70)),
        ] {
            assert!(secret_name(k), "{k}");
        }
        for k in [
            "name",
            "email",
            "host",
            "max_tokens",
            "total_tokens",
            "token_type",
            "content-type",
            "x-request-id",
            "author",
            "auth",
            "keys",
            "",
            "päss",
        ] {
            assert!(!secret_name(k), "{k}");
        }
    }

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let r = Redactor::new(&[("API_TOKEN".into(), "s3cr3t".into())]);
        let v = json!({
            "$trigger": {"headers": {"Authorization": "Bearer x", "cookie": "a=b", "host": "h",
                                     "X-Api-Key": "k-123", "proxy-authorization": "Basic cHc="},
                         "query": {"access_token": "t", "q": "1"},
                         "password": "lifted-pw",
                         "body": {"note": "uses s3cr3t inside", "password": "lifted-pw",
                                  "deep": [{"x": {"Client_Secret": "cs-9"}}]}},
            "op": {"payload": {"password": "pw", "name": "n"}},
            "list": [{"headers": {"authorization": "y"}}],
            "req": {"headers": [{"header": "Authorization", "value": "Bearer z"},
                                {"header": "X-Plain", "value": "ok"}]},
            "copy": "https://api/x?key=lifted-pw&other=cs-9",
            "none": {"token": null}
        });
        let out = r.redact_chain(&v);
        let t = &out["$trigger"];
        for h in [
            "Authorization",
            "cookie",
            "X-Api-Key",
            "proxy-authorization",
        ] {
            assert_eq!(t["headers"][h], REDACTED, "{h}");
        }
        assert_eq!(t["headers"]["host"], "h");
        assert_eq!(t["query"]["access_token"], REDACTED);
        assert_eq!(t["query"]["q"], "1");
        assert_eq!(t["password"], REDACTED);
        assert_eq!(t["body"]["password"], REDACTED);
        assert_eq!(t["body"]["deep"][0]["x"]["Client_Secret"], REDACTED);
        assert_eq!(t["body"]["note"], "uses --redacted:API_TOKEN-- inside");
        assert_eq!(out["op"]["payload"]["password"], REDACTED);
        assert_eq!(out["op"]["payload"]["name"], "n");
        assert_eq!(out["list"][0]["headers"]["authorization"], REDACTED);
        assert_eq!(out["req"]["headers"][0]["value"], REDACTED);
        assert_eq!(out["req"]["headers"][1]["value"], "ok");
        assert_eq!(
            out["copy"],
            "https://api/x?key=--redacted--&other=--redacted--"
        );
        assert_eq!(out["none"]["token"], Value::Null);
        let text = out.to_string();
        for s in ["s3cr3t", "lifted-pw", "k-123", "cHc=", "cs-9", "Bearer z"] {
            assert!(!text.contains(s), "{s} in {text}");
        }
    }

    #[test]
    fn header_lists_and_json_strings_are_redacted() {
        let r = Redactor::default();
        let out = r.redact_chain(&json!({
            "list": {"headers": [{"header": "Authorization", "value": "Bearer a"},
                                 {"header": "set-cookie", "value": ["x=1"]},
                                 {"header": "X-Plain", "value": "seen"}]},
            "text": {"headers": "{\"Cookie\": \"sid=b\", \"Accept\": \"*/*\"}"},
            "text_list": {"headers": "[{\"header\": \"AUTHORIZATION\", \"value\": \"c\"}]"},
            "body": "{\"user\": \"u\", \"api_key\": \"body-key-1\"}",
            "plain": {"headers": "not json"},
            "kept": " {\"a\":  1} ",
            "pairs": [{"name": "X-API-KEY", "value": "named-1"}, {"key": "pwd", "value": "pw-2"}]
        }));
        assert_eq!(
            out["list"]["headers"],
            json!([{"header": "Authorization", "value": REDACTED},
                   {"header": "set-cookie", "value": REDACTED},
                   {"header": "X-Plain", "value": "seen"}])
        );
        let text: Value = serde_json::from_str(out["text"]["headers"].as_str().unwrap()).unwrap();
        assert_eq!(text, json!({"Cookie": REDACTED, "Accept": "*/*"}));
        let list: Value =
            serde_json::from_str(out["text_list"]["headers"].as_str().unwrap()).unwrap();
        assert_eq!(
            list,
            json!([{"header": "AUTHORIZATION", "value": REDACTED}])
        );
        let body: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
        assert_eq!(body, json!({"user": "u", "api_key": REDACTED}));
        assert_eq!(out["plain"]["headers"], "not json");
        // A JSON string with nothing to hide keeps its exact text.
        assert_eq!(out["kept"], " {\"a\":  1} ");
        assert_eq!(out["pairs"][0]["value"], REDACTED);
        assert_eq!(out["pairs"][1]["value"], REDACTED);
    }

    #[test]
    fn cast_environment_values_are_redacted_wherever_they_appear() {
        let r = Redactor::new(&[
            ("PORT_SECRET".into(), "987654".into()),
            ("LIST".into(), "alpha-1,beta-2,31337".into()),
            (
                "JSON".into(),
                r#"{"k": "json-3", "n": [4242, 7], "on": "on"}"#.into(),
            ),
            ("RATE".into(), "0.75".into()),
            ("EMPTY".into(), String::new()),
        ]);
        let out = r.redact_chain(&json!({
            "$env": {"PORT_SECRET": 987654, "LIST": ["alpha-1", "beta-2", 31337],
                     "JSON": {"k": "json-3", "n": [4242, 7], "on": "on"}, "RATE": 0.75, "EMPTY": ""},
            "n": 987654,
            "f": 987654.0,
            "as_text": "port 987654",
            "joined": "alpha-1,beta-2,31337",
            "element": ["x", "beta-2", 31337],
            "nested": {"deep": {"v": "json-3", "n": 4242}},
            "rate": 0.75,
            "other": 12,
            "short": [7, "on", "json on"]
        }));
        let text = out.to_string();
        for s in [
            "987654", "alpha-1", "beta-2", "31337", "json-3", "4242", "0.75",
        ] {
            assert!(!text.contains(s), "{s} in {text}");
        }
        assert_eq!(out["n"], "--redacted:PORT_SECRET--");
        assert_eq!(out["as_text"], "port --redacted:PORT_SECRET--");
        assert_eq!(out["joined"], "--redacted:LIST--");
        assert_eq!(
            out["element"],
            json!(["x", "--redacted:LIST--", "--redacted:LIST--"])
        );
        assert_eq!(out["nested"]["deep"]["n"], "--redacted:JSON--");
        assert_eq!(out["other"], 12);
        // Short list elements and JSON values are no reason to blank every 7 or "on".
        assert_eq!(out["short"], json!([7, "on", "json on"]));
        assert_eq!(out["$env"]["EMPTY"], "");
        // The sandbox's view: only cast values, same result.
        let cast = Redactor::from_env(&json!({"LIST": ["alpha-1", 31337]}));
        assert_eq!(
            cast.redact_chain(&json!({"a": "alpha-1 and 31337", "b": 31337})),
            json!({"a": "--redacted:LIST-- and --redacted:LIST--", "b": "--redacted:LIST--"})
        );
    }

    #[test]
    fn short_copies_redact_only_whole_strings() {
        let r = Redactor::default();
        let out = r.redact_chain(&json!({
            "body": {"password": "abc", "pin_token": 12},
            "a": "abc",
            "b": "abcdef",
            "c": 12
        }));
        assert_eq!(out["a"], REDACTED);
        assert_eq!(out["b"], "abcdef");
        assert_eq!(out["c"], 12);
        assert_eq!(out["body"]["pin_token"], REDACTED);
    }

    /// A quick measure of the cost per logged run (`cargo test --release -- --ignored`).
    #[test]
    #[ignore]
    fn redaction_speed() {
        let r = Redactor::new(&[("API_TOKEN".into(), "tok-123".into())]);
        let chain = json!({
            "$trigger": {"path": "/trigger/x", "method": "POST", "query": {},
                         "headers": {"host": "h", "content-type": "application/json",
                                     "authorization": "Bearer abcdef", "user-agent": "u"},
                         "type": "purchase", "amount": 99.99,
                         "body": {"type": "purchase", "amount": 99.99, "items": [1, 2, 3]}},
            "$accountability": {"user": null, "role": null, "admin": false, "app": false},
            "$env": {"API_TOKEN": "tok-123"},
            "check": {"ok": true, "note": "a purchase of 99.99 from somebody"},
        });
        let n = 100_000;
        let start = std::time::Instant::now();
        let mut bytes = 0;
        for _ in 0..n {
            let mut scope = Scope::new(&r);
            scope.learn(&chain);
            bytes += serde_json::to_string(&scope.view(&chain)).unwrap().len();
        }
        let per = start.elapsed() / n;
        let start = std::time::Instant::now();
        for _ in 0..n {
            bytes += serde_json::to_string(&chain).unwrap().len();
        }
        let plain = start.elapsed() / n;
        println!("redacted {per:?} per run, plain {plain:?} ({bytes} bytes)");
    }
}
