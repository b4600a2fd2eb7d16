//! Fuzz target: flow option templates (`flows::template`): random option documents full of
//! `{{ path }}` placeholders (well-formed, malformed, too long, too deep) compiled and rendered
//! against a random data chain. Beyond "no panic, no hang": rendering is deterministic, static
//! options render as themselves, a whole-string placeholder yields exactly the value its path
//! finds, and literal text around placeholders survives.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};

use super::generate;
use crate::flows::chain::DataChain;
use crate::flows::template::{Template, TemplateError, get_path};

/// Keys the data chain holds, so most paths find something.
const KEYS: &[&str] = &[
    "body", "items", "a", "b", "a.b", "x y", "0", "1", "length", "id", "İ", "", "$x",
];

const ROOTS: &[&str] = &[
    "$trigger",
    "$last",
    "$accountability",
    "$env",
    "$flow",
    "$NOW",
    "op",
    "op_2",
    "missing",
    "$all",
    "",
];

const SEGMENTS: &[&str] = &[
    ".body",
    ".items",
    ".a",
    ".b",
    ".id",
    ".length",
    ".0",
    "[0]",
    "[1]",
    "[99]",
    "[\"a.b\"]",
    "['x y']",
    "[`a`]",
    "[ 0 ]",
    "[+1]",
    "[01]",
    "[-1]",
    "[\"\"]",
    ". body",
    " .a",
    ".İ",
    ".__proto__",
    ".constructor",
];

/// Segments micromustache refuses.
const BAD_SEGMENTS: &[&str] = &[
    "..", ".", "[", "]", "[]", "[\"a]", "['a\"]", "[a[b]]", "a", "\u{a0}", "\u{feff}", " ", "}",
];

/// A path as written inside `{{ }}`: a root and segments (up to past MAX_PATH_DEPTH).
fn path() -> BoxedStrategy<String> {
    let segments = prop::collection::vec(prop::sample::select(SEGMENTS), 0..5);
    prop_oneof![
        12 => (prop::sample::select(ROOTS), segments.clone())
            .prop_map(|(root, segs)| format!("{root}{}", segs.concat())),
        2 => (prop::sample::select(ROOTS), segments, prop::sample::select(BAD_SEGMENTS), any::<Index>())
            .prop_map(|(root, mut segs, bad, at)| {
                segs.insert(at.index(segs.len() + 1), bad);
                format!("{root}{}", segs.concat())
            }),
        2 => (prop::sample::select(ROOTS), 9usize..14)
            .prop_map(|(root, n)| format!("{root}{}", ".a".repeat(n))),
        2 => generate::text(),
        1 => (1001usize..1010).prop_map(|n| "a".repeat(n)),
    ]
    .boxed()
}

fn placeholder() -> BoxedStrategy<String> {
    let space = prop::sample::select(vec!["", "", " ", "  ", "\t", "\n", "\u{a0}"]);
    (space.clone(), path(), space)
        .prop_map(|(a, p, b)| format!("{{{{{a}{p}{b}}}}}"))
        .boxed()
}

/// Literal text without braces (so it cannot open or close a tag by itself).
fn literal() -> BoxedStrategy<String> {
    generate::text()
        .prop_map(|t| t.replace(['{', '}'], "_"))
        .boxed()
}

/// A template string: literal text and placeholders, or the broken tag shapes.
fn template_string() -> BoxedStrategy<String> {
    let piece = prop_oneof![
        4 => placeholder(),
        3 => literal(),
    ];
    let broken = prop_oneof![
        generate::text(),
        prop::sample::select(vec![
            "{{",
            "}}",
            "{{}}",
            "{{ }}",
            "{{ {{a}} }}",
            "{{a}",
            "{ {a}}",
            "{{{a}}}",
            "}}{{",
            "{{$trigger}}{{",
            "{{$last}}}}",
        ])
        .prop_map(str::to_owned),
    ];
    prop_oneof![
        16 => prop::collection::vec(piece, 0..5).prop_map(|p| p.concat()),
        6 => placeholder(),
        2 => (prop::collection::vec(literal(), 0..2), broken, placeholder())
            .prop_map(|(a, b, c)| format!("{}{b}{c}", a.concat())),
        // Many placeholders, and many openings without a close.
        1 => (1usize..300, path()).prop_map(|(n, p)| format!("{{{{{p}}}}}-").repeat(n)),
        1 => (1usize..5_000).prop_map(|n| format!("{}{{{{x", "{{".repeat(n))),
    ]
    .boxed()
}

const OPTION_KEYS: &[&str] = &[
    "url", "body", "headers", "json", "query", "filter", "method", "payload", "key", "{{a}}",
];

fn options() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        6 => template_string().prop_map(Value::String),
        2 => generate::leaf(),
    ]
    .boxed();
    prop_oneof![
        8 => generate::json_over(OPTION_KEYS, leaf, 3),
        1 => generate::deep(template_string().prop_map(Value::String).boxed()),
    ]
    .boxed()
}

fn chain_value() -> BoxedStrategy<Value> {
    generate::json_over(KEYS, generate::leaf(), 4)
}

#[derive(Debug, Clone)]
struct Input {
    options: Value,
    probe: String,
    trigger: Value,
    last: Option<Value>,
    env: Value,
    results: Vec<(String, Value)>,
}

fn input() -> impl Strategy<Value = Input> {
    (
        options(),
        path(),
        chain_value(),
        prop::option::of(chain_value()),
        chain_value(),
        prop::collection::vec(
            (
                prop::sample::select(vec!["op", "op_2", "$NOW", "$trigger"]),
                chain_value(),
            ),
            0..3,
        ),
    )
        .prop_map(|(options, probe, trigger, last, env, results)| Input {
            options,
            probe,
            trigger,
            last,
            env,
            results: results
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        })
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(1_700_000_000_000).unwrap_or_default()
}

fn error_ok(e: &TemplateError) -> Result<(), TestCaseError> {
    prop_assert!(!e.to_string().is_empty());
    prop_assert!(matches!(e.js_name(), "SyntaxError" | "ReferenceError"));
    Ok(())
}

fn check(input: Input) -> super::CaseResult {
    let mut chain = DataChain::new(
        input.trigger,
        json!({"user": null, "role": null}),
        Arc::new(input.env),
        Arc::new(json!({"id": "f", "name": "n"})),
    );
    for (k, v) in input.results {
        chain.record(&k, v);
    }
    if let Some(last) = input.last {
        chain.record("last_op", last);
    }

    let template = Template::compile(&input.options);
    let rendered = template.render(&chain, now());
    prop_assert_eq!(
        &rendered,
        &template.render(&chain, now()),
        "not deterministic"
    );
    if template.is_static() {
        prop_assert_eq!(rendered.as_ref().ok(), Some(&input.options));
    }
    if let Err(e) = &rendered {
        error_ok(e)?;
    }

    // A path alone, as the `return` option and whole-string placeholders read it.
    let probe = input.probe.as_str();
    let found = match get_path(&chain, probe) {
        Ok(found) => found.map(|v| v.into_owned()),
        Err(e) => {
            error_ok(&e)?;
            None
        }
    };
    let whole = Template::compile(&Value::String(format!("{{{{{probe}}}}}")));
    let whole_rendered = whole.render(&chain, now());
    // JavaScript's `\s` also holds U+FEFF, which is not Unicode white space.
    let plain = !probe
        .chars()
        .any(|c| matches!(c, '{' | '}' | '\u{feff}') || c.is_whitespace())
        && probe.chars().count() <= 1000;
    if let (Some(v), true) = (&found, plain) {
        prop_assert_eq!(whole_rendered.as_ref().ok(), Some(v), "{{{{{}}}}}", probe);
    }
    // Literal text around a placeholder is kept.
    let framed = Template::compile(&Value::String(format!("<{{{{{probe}}}}}>")));
    if let Ok(v) = framed.render(&chain, now()) {
        let s = v.as_str().unwrap_or_default();
        prop_assert!(s.starts_with('<') && s.ends_with('>'), "{s:?}");
        if found.is_some() && plain {
            prop_assert!(s.len() > 2 || found == Some(json!("")), "{s:?}");
        }
    }
    Ok(!template.is_static() && rendered.is_ok())
}

#[test]
fn template() {
    super::run("fuzz::template::template", input, 0.2, check);
}

/// Inputs this target once failed on (through a wrong expectation), kept so they keep passing.
#[test]
fn template_regressions() {
    let input = Input {
        options: json!(""),
        // U+FEFF is JavaScript white space: `{{$env\u{feff}.length}}` is not a whole
        // placeholder, so it renders as text.
        probe: "$env\u{feff}.length".to_owned(),
        trigger: Value::Null,
        last: None,
        env: json!([]),
        results: Vec::new(),
    };
    if let Err(e) = check(input) {
        panic!("{e}");
    }
}
