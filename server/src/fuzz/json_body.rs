//! Fuzz target: the JSON body reader (`extract::json`): the content-type check, the size limit
//! (`read_limited`, declared and streamed lengths) and the strict parser (`parse_strict`: top
//! level an object or array, serde's nesting limit). Bodies are mangled JSON, deep brackets,
//! huge numbers, lone surrogates, invalid UTF-8, raw bytes, in random chunks. Beyond "no panic,
//! no hang": nothing over the limit is read, what is read is the body byte for byte, accepted
//! JSON is what serde reads and at most 128 levels deep, and every refusal is a short
//! `400 INVALID_PAYLOAD` that does not echo the body.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use proptest::prelude::*;
use serde_json::Value;

use super::generate::{self, json_bytes};
use crate::extract::json::{is_json, parse_strict, read_limited};

/// serde_json's recursion limit: no accepted body nests deeper.
const SERDE_DEPTH: usize = 128;

fn body() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        10 => json_bytes(generate::json()),
        2 => json_bytes(generate::deep(generate::leaf())),
        // Deep brackets far past the nesting limit, closed or not.
        1 => (100usize..100_000, any::<bool>(), prop::sample::select(vec!["[", "{\"a\":", "[{\"a\":"]))
            .prop_map(|(n, close, open)| {
                let mut b = open.repeat(n).into_bytes();
                if close {
                    let closing = if open == "[" { "]" } else if open == "{\"a\":" { "}" } else { "}]" };
                    b.extend_from_slice(b"1");
                    b.extend_from_slice(closing.repeat(n).as_bytes());
                }
                b
            }),
        // Numbers and strings at the edges.
        1 => (prop::sample::select(vec!["9", "0", "-1", "1e", "0.", "\\u0000", "\\ud83d", "é"]), 1usize..20_000)
            .prop_map(|(piece, n)| format!("{{\"n\":[{}]}}", piece.repeat(n)).into_bytes()),
        1 => prop::sample::select(vec![
            "", " ", "\n\t ", "null", "1", "\"x\"", "true", "[]", "{}", "\u{feff}{}", "{}{}", "[1,]",
            "{\"a\":1,}", "{'a':1}", "{\"a\":NaN}", "[1e99999]", "[-1e-99999]", "[18446744073709551616]",
            "[-9223372036854775809]", "{\"\\ud800\":1}", "[\"\\udc00\\ud800\"]", "[\"\\u00\"]",
            "{\"a\":1,\"a\":2}", "[\"\u{0}\"]", "{\"a\"\u{0}:1}",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        2 => prop::collection::vec(any::<u8>(), 0..300),
    ]
    .boxed()
}

#[derive(Clone, Debug)]
struct Input {
    body: Vec<u8>,
    content_type: Option<&'static str>,
    /// The declared length: none, the truth, or a lie.
    declared: Option<i64>,
    declared_text: Option<&'static str>,
    /// Where the limit sits relative to the body's length.
    limit: i64,
    /// Chunk sizes the body arrives in.
    chunks: Vec<usize>,
}

fn input() -> impl Strategy<Value = Input> {
    (
        body(),
        prop::option::of(prop::sample::select(vec![
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            " application/json ;x",
            "application/json;",
            "application/json5",
            "application/vnd.api+json",
            "text/plain",
            "multipart/form-data; boundary=x",
            "",
            ";",
        ])),
        prop::option::of(-2i64..=2),
        prop::option::weighted(
            0.05,
            prop::sample::select(vec!["abc", "-1", "99999999999999999999", " 5", ""]),
        ),
        prop_oneof![
            3 => -2i64..=2,
            1 => Just(1_000_000),
            1 => Just(-1_000_000),
        ],
        prop::collection::vec(1usize..4096, 0..4),
    )
        .prop_map(
            |(body, content_type, declared, declared_text, limit, chunks)| Input {
                body,
                content_type,
                declared,
                declared_text,
                limit,
                chunks,
            },
        )
}

fn request(input: &Input) -> Request {
    let mut builder = Request::builder().method("POST").uri("/items/x");
    if let Some(ct) = input.content_type {
        builder = builder.header(CONTENT_TYPE, ct);
    }
    if let Some(text) = input.declared_text {
        builder = builder.header(CONTENT_LENGTH, text);
    } else if let Some(off) = input.declared {
        let n = (input.body.len() as i64 + off).max(0);
        builder = builder.header(CONTENT_LENGTH, n.to_string());
    }
    let body = if input.chunks.is_empty() {
        Body::from(input.body.clone())
    } else {
        let mut parts = Vec::new();
        let mut rest = input.body.as_slice();
        let mut sizes = input.chunks.iter().cycle();
        while !rest.is_empty() {
            let n = sizes.next().copied().unwrap_or(1).min(rest.len());
            parts.push(Ok::<_, std::io::Error>(Bytes::copy_from_slice(&rest[..n])));
            rest = &rest[n..];
        }
        Body::from_stream(futures::stream::iter(parts))
    };
    builder
        .body(body)
        .unwrap_or_else(|_| Request::new(Body::empty()))
}

fn refused(e: &crate::error::ApiError, body: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(e.code(), "INVALID_PAYLOAD", "{}", e.message());
    prop_assert_eq!(e.status().as_u16(), 400);
    prop_assert!(e.message().len() < 200, "long message: {}", e.message());
    if body.len() >= 16 {
        let text = String::from_utf8_lossy(body);
        prop_assert!(!e.message().contains(text.as_ref()), "the body is echoed");
    }
    Ok(())
}

fn check(input: Input) -> super::CaseResult {
    let len = input.body.len();
    let limit = usize::try_from(len as i64 + input.limit).unwrap_or(0);
    let req = request(&input);
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let _ = is_json(req.headers());
    let read = futures::executor::block_on(read_limited(req, limit));
    let bytes = match read {
        Ok(bytes) => {
            prop_assert!(len <= limit, "{len} bytes read past the limit {limit}");
            prop_assert!(declared.is_none_or(|d| d <= limit as u64));
            prop_assert_eq!(bytes.as_ref(), input.body.as_slice());
            bytes
        }
        Err(e) => {
            refused(&e, &input.body)?;
            prop_assert!(
                len > limit || declared.is_some_and(|d| d > limit as u64),
                "a body within the limit was refused"
            );
            // The reader refused; the parser still gets the bytes, as it would unlimited.
            Bytes::from(input.body)
        }
    };
    match parse_strict(&bytes) {
        Ok(value) => {
            prop_assert!(value.is_object() || value.is_array());
            let serde: Option<Value> = serde_json::from_slice(&bytes).ok();
            prop_assert_eq!(serde.as_ref(), Some(&value));
            let depth = generate::depth(&value);
            prop_assert!(depth <= SERDE_DEPTH, "accepted {depth} levels");
            Ok(true)
        }
        Err(e) => {
            refused(&e, &bytes)?;
            Ok(false)
        }
    }
}

#[test]
fn json_body() {
    super::run("fuzz::json_body::json_body", input, 0.25, check);
}
