//! Fuzz target: the flow document (`POST /flows` with `operations: […]` or a nested
//! `operation: {…}`): `document::from_document` (ids, keys, S3 links, layout, graph checks),
//! the flow row `store::flow_row` builds from it, and `FlowDef::compile` on the rows that would
//! be stored (templates, return spec, cron, event names), all without a database. Beyond "no
//! panic, no hang": refusals are `400 INVALID_PAYLOAD`, an accepted plan passes the graph
//! checks (unique keys, known types, one predecessor, no cycle), and its export can be posted
//! again to give the same export.

use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::Index;
use sea_orm::TryIntoModel;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::generate;
use crate::access::Accountability;
use crate::flows::document::{self, FlowPlan};
use crate::flows::model::FlowDef;
use crate::flows::operations::Registry;
use crate::flows::store::flow_row;
use entity::directus_operations;

const UUIDS: &[&str] = &[
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
    "44444444-4444-4444-8444-444444444444",
    "55555555-5555-4555-8555-555555555555",
];

const KEYS: &[&str] = &[
    "a",
    "b",
    "c",
    "d",
    "check-type",
    "log_1",
    "condition_1",
    "11111111-1111-4111-8111-111111111111",
    "$last",
    "İ",
];

const TYPES: &[&str] = &[
    "condition",
    "exec",
    "item-create",
    "item-read",
    "item-update",
    "item-delete",
    "json-web-token",
    "log",
    "mail",
    "notification",
    "request",
    "sleep",
    "throw-error",
    "transform",
    "trigger",
];

/// Types no operation has.
const BAD_TYPES: &[&str] = &["teleport", "", "LOG", "condition "];

const OPTION_KEYS: &[&str] = &[
    "filter",
    "json",
    "url",
    "method",
    "body",
    "headers",
    "collection",
    "payload",
    "query",
    "return",
    "message",
    "code",
    "flow",
    "milliseconds",
];

/// How an operation names itself (links name it the same way).
#[derive(Clone, Debug)]
enum Naming {
    Key,
    Id,
    Uuid,
    KeyAndUuid,
    /// Neither: the key becomes `<type>_<n>`.
    Default,
    Junk(Value),
}

/// A `resolve` / `reject` field.
#[derive(Clone, Debug)]
enum LinkSpec {
    Absent,
    /// The operation at this index (of the document's list).
    To(Index),
    /// An operation listed after this one (links that make a tree).
    Forward(Index),
    End,
    Junk(Value),
}

#[derive(Clone, Debug)]
struct OpSpec {
    naming: Naming,
    kind: Value,
    as_type: bool,
    options: Option<Value>,
    resolve: LinkSpec,
    reject: LinkSpec,
    position: Option<(Value, Value)>,
    name: Option<Value>,
}

fn naming() -> BoxedStrategy<Naming> {
    prop_oneof![
        12 => Just(Naming::Key),
        8 => Just(Naming::Id),
        8 => Just(Naming::Uuid),
        4 => Just(Naming::KeyAndUuid),
        8 => Just(Naming::Default),
        // Rare, as every operation of a document has one.
        1 => prop_oneof![
            prop::sample::select(KEYS).prop_map(|s| json!(s)),
            prop::sample::select(UUIDS).prop_map(|s| json!(s)),
            generate::leaf(),
        ]
        .prop_map(Naming::Junk),
    ]
    .boxed()
}

fn link(absent: u32) -> BoxedStrategy<LinkSpec> {
    prop_oneof![
        absent => Just(LinkSpec::Absent),
        8 => any::<Index>().prop_map(LinkSpec::Forward),
        2 => any::<Index>().prop_map(LinkSpec::To),
        2 => Just(LinkSpec::End),
        // Rare, as every operation of a document has two.
        1 => prop_oneof![
            prop::sample::select(KEYS).prop_map(|s| json!(s)),
            prop::sample::select(UUIDS).prop_map(|s| json!(s)),
            generate::leaf(),
        ]
        .prop_map(LinkSpec::Junk),
    ]
    .boxed()
}

fn uuid_of(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// The operation list of a document: names and links resolved to the operations generated.
fn build_ops(specs: &[OpSpec]) -> Value {
    let n = specs.len();
    let names: Vec<Value> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| match &s.naming {
            Naming::Key | Naming::KeyAndUuid => json!(format!("op{i}")),
            Naming::Id => json!(format!("id-{i}")),
            Naming::Uuid => json!(uuid_of(i)),
            Naming::Default => json!(format!(
                "{}_{}",
                s.kind.as_str().unwrap_or_default().replace('-', "_"),
                i + 1
            )),
            Naming::Junk(v) => v.clone(),
        })
        .collect();
    let link = |from: usize, l: &LinkSpec| match l {
        LinkSpec::Absent => None,
        LinkSpec::To(i) => Some(names[i.index(n)].clone()),
        LinkSpec::Forward(i) if from + 1 < n => {
            Some(names[from + 1 + i.index(n - from - 1)].clone())
        }
        LinkSpec::Forward(_) => Some(Value::Null),
        LinkSpec::End => Some(Value::Null),
        LinkSpec::Junk(v) => Some(v.clone()),
    };
    let ops = specs.iter().enumerate().map(|(i, s)| {
        let mut o = Map::new();
        match &s.naming {
            Naming::Key => {
                o.insert("key".into(), names[i].clone());
            }
            Naming::Id | Naming::Uuid => {
                o.insert("id".into(), names[i].clone());
            }
            Naming::KeyAndUuid => {
                o.insert("key".into(), names[i].clone());
                o.insert("id".into(), json!(uuid_of(i)));
            }
            Naming::Default => {}
            Naming::Junk(v) => {
                o.insert(if i % 2 == 0 { "key" } else { "id" }.into(), v.clone());
            }
        }
        o.insert(
            if s.as_type { "type" } else { "operation" }.into(),
            s.kind.clone(),
        );
        for (k, v) in [
            ("options", s.options.clone()),
            ("resolve", link(i, &s.resolve)),
            ("reject", link(i, &s.reject)),
            ("name", s.name.clone()),
        ] {
            if let Some(v) = v {
                o.insert(k.into(), v);
            }
        }
        if let Some((x, y)) = &s.position {
            o.insert("position_x".into(), x.clone());
            o.insert("position_y".into(), y.clone());
        }
        Value::Object(o)
    });
    Value::Array(ops.collect())
}

fn position() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => (1i64..200).prop_map(|n| json!(n)),
        1 => prop::sample::select(vec![
            json!(0),
            json!(-1),
            json!(i32::MAX),
            json!(i32::MAX - 1),
            json!(i32::MAX - 17),
            json!(i32::MIN),
            json!(i64::MAX),
            json!(2_147_483_648i64),
            json!(1.5),
            json!("10"),
            json!(null),
        ]),
        1 => generate::number(),
    ]
    .boxed()
}

fn op_options() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        3 => prop::sample::select(vec![
            "{{$trigger.body}}", "{{$last}}", "{{ a.b }}", "{{", "x{{$env.SECRET}}y", "{{$NOW}}",
        ])
        .prop_map(|s| json!(s)),
        3 => generate::leaf(),
    ]
    .boxed();
    prop_oneof![
        6 => generate::json_over(OPTION_KEYS, leaf, 3),
        1 => generate::deep(generate::leaf()),
    ]
    .boxed()
}

fn operation() -> BoxedStrategy<OpSpec> {
    (
        naming(),
        prop_oneof![
            40 => prop::sample::select(TYPES).prop_map(|s| json!(s)),
            1 => prop::sample::select(BAD_TYPES).prop_map(|s| json!(s)),
            1 => generate::leaf(),
        ],
        any::<bool>(),
        prop::option::weighted(0.8, op_options()),
        link(12),
        link(24),
        prop::option::weighted(0.3, (position(), position())),
        prop::option::weighted(0.2, generate::leaf()),
    )
        .prop_map(
            |(naming, kind, as_type, options, resolve, reject, position, name)| OpSpec {
                naming,
                kind,
                as_type,
                options,
                resolve,
                reject,
                position,
                name,
            },
        )
        .boxed()
}

fn cron() -> BoxedStrategy<Value> {
    prop_oneof![
        prop::sample::select(vec![
            "* * * * *",
            "*/5 * * * * *",
            "0 0 1 1 *",
            "*/0 * * * *",
            "0-59/1000 * * * *",
            "61 * * * *",
            "0 0 31 2 *",
            "0 0 L * *",
            "0 0 * * 5L",
            "0 0 * * 1#5",
            "0 0 15W * *",
            "@yearly",
            "@reboot",
            "99999999999999999999 * * * *",
            "* * * * * * *",
            "",
            "a-z * * * *",
            "1-0 * * * *",
            "*/1-5 * * * *",
            "? ? ? ? ?",
        ])
        .prop_map(|s| json!(s)),
        "[0-9*/,#LW? -]{0,30}".prop_map(|s| json!(s)),
        generate::leaf(),
    ]
    .boxed()
}

fn flow_options() -> BoxedStrategy<Value> {
    let pick = |v: Vec<Value>| prop::sample::select(v).boxed();
    (
        prop::option::of(pick(vec![
            json!("GET"),
            json!("POST"),
            json!("P O S T"),
            json!(""),
            json!(5),
        ])),
        prop::option::of(pick(vec![
            json!(true),
            json!("true"),
            json!(false),
            json!(null),
        ])),
        prop::option::of(prop_oneof![
            pick(vec![
                json!("$last"),
                json!("$all"),
                json!("{{$last.data}}"),
                json!("{{"),
                json!("a"),
                json!(UUIDS[0]),
                json!(""),
                json!({"a": 1}),
                json!(7),
            ]),
            generate::leaf(),
        ]),
        prop::option::of(cron()),
        prop::option::of(pick(vec![json!("filter"), json!("action"), json!("other")])),
        prop::option::of(prop_oneof![
            pick(vec![
                json!(["items.create", "auth.login"]),
                json!("items.update, items.delete"),
                json!([1, null])
            ]),
            generate::leaf(),
        ]),
        prop::option::of(pick(vec![
            json!(["orders", "directus_users"]),
            json!("orders,events"),
            json!({}),
        ])),
        prop::option::of(pick(vec![json!(["a", 1]), json!("a"), json!(null)])),
    )
        .prop_map(
            |(method, is_async, ret, cron, kind, scope, collections, cache_params)| {
                let mut o = Map::new();
                for (k, v) in [
                    ("method", method),
                    ("async", is_async),
                    ("return", ret),
                    ("cron", cron),
                    ("type", kind),
                    ("scope", scope),
                    ("collections", collections),
                    ("cacheQueryParams", cache_params),
                ] {
                    if let Some(v) = v {
                        o.insert(k.to_owned(), v);
                    }
                }
                Value::Object(o)
            },
        )
        .boxed()
}

fn document() -> BoxedStrategy<Value> {
    let pick = |v: Vec<Value>| prop::sample::select(v).boxed();
    let operations = prop_oneof![
        30 => prop::collection::vec(operation(), 0..8).prop_map(|specs| build_ops(&specs)),
        // Around the 500-operation limit.
        1 => (495usize..505, prop::collection::vec(operation(), 1..4)).prop_map(|(n, specs)| {
            let specs: Vec<OpSpec> = specs.iter().cycle().take(n).cloned().collect();
            build_ops(&specs)
        }),
        1 => generate::leaf(),
    ];
    (
        prop::option::of(generate::leaf()),
        prop::option::of(prop_oneof![
            8 => pick(vec![
                json!("webhook"),
                json!("manual"),
                json!("event"),
                json!("schedule"),
                json!("operation"),
                json!(null),
            ]),
            1 => pick(vec![json!("hook"), json!("teleport"), json!(1)]),
        ]),
        prop::option::of(prop_oneof![
            6 => pick(vec![json!("active"), json!("inactive")]),
            1 => pick(vec![json!("paused"), json!(null), json!(true)]),
        ]),
        prop::option::of(prop_oneof![
            6 => pick(vec![json!("all"), json!("activity"), json!(null)]),
            1 => pick(vec![json!("none"), json!([])]),
        ]),
        prop::option::of(prop_oneof![
            8 => flow_options(),
            2 => flow_options().prop_map(|o| json!(o.to_string())),
            1 => generate::leaf(),
        ]),
        prop::option::weighted(
            0.2,
            prop_oneof![
                prop::sample::select(UUIDS).prop_map(|s| json!(s)),
                generate::leaf(),
            ],
        ),
        operations,
        any::<bool>(),
        prop::option::weighted(
            0.2,
            (
                generate::key(&["x", "icon", "color", "description"]),
                generate::json(),
            ),
        ),
    )
        .prop_map(
            |(name, trigger, status, accountability, options, id, ops, single, extra)| {
                let mut d = Map::new();
                for (k, v) in [
                    ("name", name),
                    ("trigger", trigger),
                    ("status", status),
                    ("accountability", accountability),
                    ("options", options),
                    ("id", id),
                ] {
                    if let Some(v) = v {
                        d.insert(k.to_owned(), v);
                    }
                }
                if let Some((k, v)) = extra {
                    d.insert(k, v);
                }
                // `operation: {…}` is the nested first operation of Directus's own shape.
                match (&ops, single) {
                    (Value::Array(list), true) if list.len() == 1 => {
                        d.insert("operation".into(), list[0].clone());
                    }
                    _ => {
                        d.insert("operations".into(), ops);
                    }
                }
                Value::Object(d)
            },
        )
        .boxed()
}

/// What `POST /flows` does with a nested first operation before reading the document.
fn as_document(mut body: Value) -> Value {
    if let Some(obj) = body.as_object_mut()
        && let Some(op) = obj.remove("operation").filter(Value::is_object)
    {
        obj.insert("operations".into(), json!([op]));
    }
    body
}

fn refused(e: &crate::error::ApiError) -> Result<(), TestCaseError> {
    prop_assert_eq!(e.code(), "INVALID_PAYLOAD", "{}", e.message());
    prop_assert_eq!(e.status().as_u16(), 400);
    Ok(())
}

fn check_plan(plan: &FlowPlan, registry: &Registry) -> Result<(), TestCaseError> {
    let ops = &plan.operations;
    prop_assert!(ops.len() <= 500);
    prop_assert!(document::validate(ops, plan.root, registry).is_ok());
    let ids: Vec<Uuid> = ops.iter().map(|o| o.id).collect();
    let mut targets = Vec::new();
    for o in ops {
        prop_assert!(registry.contains(&o.kind), "{}", o.kind);
        prop_assert!(
            o.position_x >= 1 && o.position_y >= 1,
            "{} at {},{}",
            o.key,
            o.position_x,
            o.position_y
        );
        for t in [o.resolve, o.reject].into_iter().flatten() {
            prop_assert!(ids.contains(&t));
            prop_assert!(!targets.contains(&t), "two predecessors");
            prop_assert!(Some(t) != plan.root, "the root has a predecessor");
            targets.push(t);
        }
    }
    prop_assert_eq!(plan.root, ops.first().map(|o| o.id));
    Ok(())
}

/// The rows `store::create` would write, compiled as the engine loads them.
fn compile(plan: &FlowPlan, registry: &Registry) -> Result<bool, TestCaseError> {
    let id = Uuid::from_u128(7);
    let row = match flow_row(id, &plan.fields, &Accountability::full()) {
        Ok(row) => row,
        Err(e) => {
            refused(&e)?;
            return Ok(false);
        }
    };
    let mut flow = match row.try_into_model() {
        Ok(flow) => flow,
        Err(e) => return Err(TestCaseError::fail(format!("incomplete flow row: {e}"))),
    };
    flow.operation = plan.root;
    let ops: Vec<directus_operations::Model> = plan
        .operations
        .iter()
        .map(|o| directus_operations::Model {
            id: o.id,
            name: o.name.clone(),
            key: o.key.clone(),
            r#type: o.kind.clone(),
            position_x: o.position_x,
            position_y: o.position_y,
            options: Some(o.options.clone()),
            resolve: o.resolve,
            reject: o.reject,
            flow: id,
            date_created: None,
            user_created: None,
        })
        .collect();
    let def = FlowDef::compile(&flow, &ops, registry);
    prop_assert_eq!(def.operations.len(), ops.len());
    prop_assert_eq!(def.root, (!ops.is_empty()).then_some(0));
    prop_assert!(def.operations.iter().all(|o| o.handler.is_some()));
    for (i, o) in def.operations.iter().enumerate() {
        let p = &plan.operations[i];
        let index =
            |t: Option<Uuid>| t.and_then(|t| plan.operations.iter().position(|x| x.id == t));
        prop_assert_eq!(o.resolve, index(p.resolve));
        prop_assert_eq!(o.reject, index(p.reject));
    }
    Ok(true)
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::builtin);

fn check(body: Value) -> super::CaseResult {
    let registry = &*REGISTRY;
    let doc = as_document(body);
    let plan = match document::from_document(&doc, registry) {
        Ok(plan) => plan,
        Err(e) => {
            refused(&e)?;
            return Ok(false);
        }
    };
    check_plan(&plan, registry)?;
    // The export posts again, and exports the same.
    let exported = document::to_document(&plan.fields, &plan.operations, plan.root);
    let again = match document::from_document(&exported, registry) {
        Ok(again) => again,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "the export of an accepted flow is refused: {} ({})\nexport: {exported}",
                e.message(),
                e.code()
            )));
        }
    };
    check_plan(&again, registry)?;
    let exported_again = document::to_document(&again.fields, &again.operations, again.root);
    prop_assert_eq!(
        &exported,
        &exported_again,
        "the export changed when posted again"
    );
    compile(&plan, registry)
}

#[test]
fn flow_document() {
    super::run("fuzz::flow_document::flow_document", document, 0.25, check);
}

/// Inputs this target once failed on, kept so they keep passing.
#[test]
fn flow_document_regressions() {
    for doc in [
        // The layout added the successor offset (+18) to a given position of i32::MAX.
        json!({"operations": [
            {"operation": "condition", "position_x": 2147483647, "position_y": 1},
            {"operation": "condition"}
        ]}),
        // ... and the reject offset (+16) to a y of i32::MAX.
        json!({"operations": [
            {"operation": "condition", "reject": "b", "position_x": 1, "position_y": 2147483647},
            {"key": "b", "operation": "log"}
        ]}),
    ] {
        if let Err(e) = check(doc.clone()) {
            panic!("{e} for {doc}");
        }
    }
}
