//! Style scope: the builder's stylesheet styles only the builder, and no other stylesheet
//! reaches into it, so one page cannot break another (issue 12 point 5: an unscoped `.card`
//! in the builder took the padding off the sign-in card).

use std::fs;
use std::path::{Path, PathBuf};

/// The builder's own stylesheet; every rule in it is anchored on an `fb-` class.
const BUILDER: &str = "flow-builder.css";
const PREFIX: &str = ".fb-";

fn style_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../style")
}

fn stylesheets() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![style_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("style/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "css") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn without_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .find("*/")
            .map_or("", |end| &rest[start + 2 + end + 2..]);
    }
    out.push_str(rest);
    out
}

/// Every selector of every style rule, with at-rule preludes (`@media …`) and keyframe
/// steps (`from`, `50%`) left out.
fn selectors(css: &str) -> Vec<String> {
    let css = without_comments(css);
    let mut out = Vec::new();
    let mut prelude = String::new();
    let mut in_keyframes = 0usize;
    let mut depth = 0usize;
    for ch in css.chars() {
        match ch {
            '{' => {
                let p = prelude.trim().to_owned();
                prelude.clear();
                depth += 1;
                if p.starts_with("@keyframes") {
                    in_keyframes = depth;
                } else if !p.starts_with('@') && in_keyframes == 0 {
                    out.extend(
                        p.split(',')
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty()),
                    );
                }
            }
            '}' => {
                prelude.clear();
                if depth == in_keyframes {
                    in_keyframes = 0;
                }
                depth = depth.saturating_sub(1);
            }
            ';' => prelude.clear(),
            _ => prelude.push(ch),
        }
    }
    out
}

#[test]
fn every_builder_rule_is_anchored_on_a_builder_class() {
    let css = fs::read_to_string(style_dir().join(BUILDER)).expect("the builder stylesheet");
    let all = selectors(&css);
    assert!(
        all.len() > 50,
        "the parser found the builder's rules ({} selectors)",
        all.len()
    );
    let loose: Vec<_> = all
        .iter()
        .filter(|s| {
            // The first compound (up to a space or combinator) must name an fb- class.
            let first = s.split([' ', '>', '+', '~']).next().unwrap_or_default();
            !first.contains(PREFIX)
        })
        .collect();
    assert!(
        loose.is_empty(),
        "builder rules that could style other pages: {loose:?}"
    );
}

#[test]
fn no_other_stylesheet_reaches_into_the_builder() {
    for path in stylesheets() {
        if path.file_name().is_some_and(|n| n == BUILDER) {
            continue;
        }
        let css = fs::read_to_string(&path).expect("a stylesheet");
        let reaching: Vec<_> = selectors(&css)
            .into_iter()
            .filter(|s| s.contains(PREFIX))
            .collect();
        assert!(
            reaching.is_empty(),
            "{} styles builder classes: {reaching:?}",
            path.display()
        );
    }
}

#[test]
fn index_links_every_stylesheet() {
    let index = fs::read_to_string(style_dir().join("../index.html")).expect("index.html");
    for path in stylesheets() {
        let rel = path.strip_prefix(style_dir()).expect("under style/");
        let href = format!("href=\"style/{}\"", rel.to_string_lossy());
        assert!(index.contains(&href), "index.html does not link {href}");
    }
}

#[test]
fn the_parser_sees_a_loose_rule() {
    // The check above would pass vacuously if the parser missed rules: a loose `.card` and a
    // rule inside @media are both found, keyframe steps are not.
    let found = selectors(
        ".fb-a .b { x: 1 }\n@media (x) { .card, .fb-c { y: 2 } }\n@keyframes k { from { a: 1 } 50% { a: 2 } }",
    );
    assert_eq!(found, [".fb-a .b", ".card", ".fb-c"]);
}
