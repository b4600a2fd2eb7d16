//! Flows as code (issue 17 point 6): `sluice flows export DIR` writes one JSON document per
//! flow (the seed's nested shape, with the flow's `id` so the next apply finds it again, the
//! signature secret masked); `sluice flows apply DIR [--dry-run]` makes the database hold
//! exactly those flows — creating, changing and removing — and says what it did (or would
//! do). Every document is read and checked before anything is written; an error names its
//! file. `sluice flows run FILE --payload FILE` runs one document against a payload on a
//! throwaway in-memory database and reports each step.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use entity::directus_flows;
use sea_orm::EntityTrait;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::document::{self, FlowPlan};
use super::engine::FlowEngine;
use super::ingress::conceal;
use super::store;
use crate::access::Accountability;
use crate::items::{Items, WriteOptions};

/// What apply does to one flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Create,
    Change,
    Remove,
    Same,
}

/// One line of apply's report.
#[derive(Clone, Debug)]
pub struct Planned {
    pub change: Change,
    pub id: Uuid,
    pub name: String,
    /// The document's file (none for a flow being removed).
    pub file: Option<PathBuf>,
}

impl std::fmt::Display for Planned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (mark, verb) = match self.change {
            Change::Create => ('+', "create"),
            Change::Change => ('~', "change"),
            Change::Remove => ('-', "remove"),
            Change::Same => ('=', "unchanged"),
        };
        let place = self
            .file
            .as_ref()
            .map_or_else(|| self.id.to_string(), |p| p.display().to_string());
        write!(f, "{mark} {verb} \"{}\" ({place})", self.name)
    }
}

fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "flow".into()
    } else {
        out.chars().take(60).collect()
    }
}

/// A flow's document as it is stored (secret unmasked), with its id first.
async fn stored_document(engine: &FlowEngine, id: Uuid) -> Result<Option<Value>, String> {
    let db = &engine.core().db;
    let Some((fields, root)) = store::load_flow(db, id).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let ops = store::load_ops(db, id).await.map_err(|e| e.to_string())?;
    Ok(Some(with_id(
        id,
        document::to_document(&fields, &ops, root),
    )))
}

fn with_id(id: Uuid, doc: Value) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(id.to_string()));
    if let Value::Object(o) = doc {
        out.extend(o);
    }
    Value::Object(out)
}

/// Writes every flow to `dir` (created when missing); the files written.
pub async fn export(engine: &FlowEngine, dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let flows = directus_flows::Entity::find()
        .all(&engine.core().db)
        .await
        .map_err(|e| e.to_string())?;
    let mut written = Vec::with_capacity(flows.len());
    for flow in flows {
        let Some(mut doc) = stored_document(engine, flow.id).await? else {
            continue;
        };
        if let Value::Object(o) = &mut doc {
            conceal::flow(o);
        }
        let id = flow.id.simple().to_string();
        let path = dir.join(format!("{}-{}.json", slug(&flow.name), &id[..8]));
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n";
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// One document read from a file, checked.
struct Wanted {
    file: PathBuf,
    id: Uuid,
    name: String,
    doc: Value,
    plan: FlowPlan,
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads and checks one document; the message names the file and the field at fault.
async fn read_one(engine: &FlowEngine, file: &Path) -> Result<Wanted, String> {
    let at = |m: &str| format!("{}: {m}", file.display());
    let text = std::fs::read_to_string(file).map_err(|e| at(&e.to_string()))?;
    let mut doc: Value = serde_json::from_str(&text).map_err(|e| at(&format!("not JSON ({e})")))?;
    let id = doc
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| {
            at("\"id\" must be the flow's UUID (it matches the flow again on the next apply)")
        })?;
    let name = doc
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| at("\"name\" is required"))?
        .to_owned();
    super::options::check_write(&doc).map_err(|e| at(e.message()))?;
    // The mask of an exported secret stands for the secret the flow holds.
    if conceal::sends_mask(&doc) {
        let stored = store::load_flow(&engine.core().db, id)
            .await
            .map_err(|e| at(e.message()))?;
        conceal::keep_stored(
            &mut doc,
            stored.as_ref().and_then(|(f, _)| f.get("options")),
        )
        .map_err(|e| at(e.message()))?;
    }
    let plan = document::from_document(&doc, &engine.registry()).map_err(|e| at(e.message()))?;
    Ok(Wanted {
        file: file.to_owned(),
        id,
        name,
        doc,
        plan,
    })
}

/// The document a plan stores, for comparing with what is stored.
fn planned_document(w: &Wanted) -> Value {
    with_id(
        w.id,
        document::to_document(&w.plan.fields, &w.plan.operations, w.plan.root),
    )
}

/// Whether the stored document is what the file asks for. A flow field the file leaves out
/// is kept as stored by apply, so it does not count as a change.
fn same(mut current: Value, file: &Value, planned: Value) -> bool {
    if let (Value::Object(c), Value::Object(f)) = (&mut current, file) {
        c.retain(|k, _| k == "operations" || f.contains_key(k));
    }
    current == planned
}

/// Makes the database hold exactly the flows of `dir` (nothing written with `dry_run`).
pub async fn apply(engine: &FlowEngine, dir: &Path, dry_run: bool) -> Result<Vec<Planned>, String> {
    let mut wanted = Vec::new();
    for file in read_dir(dir)? {
        wanted.push(read_one(engine, &file).await?);
    }
    let mut seen: HashMap<Uuid, &Path> = HashMap::new();
    for w in &wanted {
        if let Some(other) = seen.insert(w.id, &w.file) {
            return Err(format!(
                "{}: \"id\" {} is also the id in {}",
                w.file.display(),
                w.id,
                other.display()
            ));
        }
    }
    let core = engine.core();
    let stored = directus_flows::Entity::find()
        .all(&core.db)
        .await
        .map_err(|e| e.to_string())?;
    let mut plan = Vec::new();
    for w in &wanted {
        let change = match stored_document(engine, w.id).await? {
            None => Change::Create,
            Some(current) => {
                if same(current, &w.doc, planned_document(w)) {
                    Change::Same
                } else {
                    Change::Change
                }
            }
        };
        plan.push(Planned {
            change,
            id: w.id,
            name: w.name.clone(),
            file: Some(w.file.clone()),
        });
    }
    for flow in stored.iter().filter(|f| !seen.contains_key(&f.id)) {
        plan.push(Planned {
            change: Change::Remove,
            id: flow.id,
            name: flow.name.clone(),
            file: None,
        });
    }
    if dry_run {
        return Ok(plan);
    }
    let acc = Arc::new(Accountability::full());
    let fail = |p: &Planned, e: crate::error::ApiError| {
        format!(
            "{}: {}",
            p.file
                .as_ref()
                .map_or_else(|| p.id.to_string(), |f| f.display().to_string()),
            e.message()
        )
    };
    for (p, w) in plan.iter().zip(wanted.iter()) {
        match p.change {
            Change::Create => {
                store::create(&core.db, &core.gate, &w.plan, &acc)
                    .await
                    .map_err(|e| fail(p, e))?;
            }
            Change::Change => {
                store::replace(&core.db, &core.gate, w.id, &w.plan, &acc)
                    .await
                    .map_err(|e| fail(p, e))?;
            }
            Change::Same | Change::Remove => {}
        }
    }
    let removed: Vec<Value> = plan
        .iter()
        .filter(|p| p.change == Change::Remove)
        .map(|p| json!(p.id.to_string()))
        .collect();
    if !removed.is_empty() {
        let ctx = core.items_ctx(acc.clone());
        Items::new(&core.db, &ctx, "directus_flows")
            .map_err(|e| e.message().to_owned())?
            .delete_many(&removed, WriteOptions::default())
            .await
            .map_err(|e| e.message().to_owned())?;
    }
    if plan.iter().any(|p| p.change != Change::Same) {
        core.invalidate(super::service::FLOWS).await;
    }
    Ok(plan)
}

/// What `flows run` reports: each step's key, operation, status, time and output (secrets
/// redacted), then the run's status; `Err` carries the same report when the run failed.
pub async fn run_document(
    engine: &FlowEngine,
    file: &Path,
    payload_file: &Path,
) -> Result<String, String> {
    let at = |p: &Path, m: &str| format!("{}: {m}", p.display());
    let text = std::fs::read_to_string(file).map_err(|e| at(file, &e.to_string()))?;
    let doc: Value =
        serde_json::from_str(&text).map_err(|e| at(file, &format!("not JSON ({e})")))?;
    let payload_text =
        std::fs::read_to_string(payload_file).map_err(|e| at(payload_file, &e.to_string()))?;
    let payload: Value = serde_json::from_str(&payload_text)
        .map_err(|e| at(payload_file, &format!("not JSON ({e})")))?;
    super::options::check_write(&doc).map_err(|e| at(file, e.message()))?;
    let plan =
        document::from_document(&doc, &engine.registry()).map_err(|e| at(file, e.message()))?;
    let core = engine.core();
    let acc = Arc::new(Accountability::full());
    let id = store::create(&core.db, &core.gate, &plan, &acc)
        .await
        .map_err(|e| at(file, e.message()))?;
    let flow = store::compile_saved(&core.db, id, &engine.registry())
        .await
        .map_err(|e| e.message().to_owned())?
        .ok_or("the flow was not stored")?;
    let trigger = match &flow.webhook {
        Some(w) => super::webhook::trigger_value(
            &id.to_string(),
            Map::new(),
            payload,
            w.method.as_str(),
            json!({}),
        ),
        None => payload,
    };
    let input = super::run::RunInput {
        test: true,
        ..super::run::RunInput::new(trigger, Some(acc), 0)
    };
    let outcome = super::run::run(engine, &flow, input, None).await;
    let mut lines = Vec::with_capacity(outcome.steps.len() + 1);
    for step in &outcome.steps {
        let kind = flow
            .operations
            .iter()
            .find(|o| o.id == step.operation)
            .map_or("?", |o| o.kind.as_str());
        let data = core
            .redactor
            .redact_chain(outcome.chain.result(&step.key).unwrap_or(&Value::Null));
        lines.push(format!(
            "{} ({kind}): {} in {:.1} ms\n  {}",
            step.key,
            step.status.as_str(),
            step.duration_ms,
            serde_json::to_string_pretty(&data)
                .unwrap_or_default()
                .replace('\n', "\n  ")
        ));
    }
    let status = outcome.status();
    lines.push(format!("run: {status} ({} steps)", outcome.steps.len()));
    let report = lines.join("\n");
    if status == "success" {
        Ok(report)
    } else {
        Err(report)
    }
}
