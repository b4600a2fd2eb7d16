//! Flows as the engine runs them: definitions compiled once from `directus_flows` and
//! `directus_operations` rows (options templates pre-parsed, successors resolved to indices,
//! handlers looked up), so a trigger does no parsing and no database read.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::Method;
use entity::{directus_flows, directus_operations};
use serde_json::{Value, json};
use uuid::Uuid;

use super::operations::context::option_list;
use super::operations::{Operation, Registry};
use super::template::Template;
use crate::items::events::event_name;

/// How a flow is started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TriggerKind {
    Webhook,
    Manual,
    Event,
    Schedule,
    Operation,
    Other(String),
}

impl TriggerKind {
    pub fn parse(s: Option<&str>) -> TriggerKind {
        match s {
            Some("webhook") => TriggerKind::Webhook,
            Some("manual") => TriggerKind::Manual,
            Some("event") | Some("hook") => TriggerKind::Event,
            Some("schedule") => TriggerKind::Schedule,
            Some("operation") => TriggerKind::Operation,
            Some(other) => TriggerKind::Other(other.to_owned()),
            None => TriggerKind::Other(String::new()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            TriggerKind::Webhook => "webhook",
            TriggerKind::Manual => "manual",
            TriggerKind::Event => "event",
            TriggerKind::Schedule => "schedule",
            TriggerKind::Operation => "operation",
            TriggerKind::Other(s) => s,
        }
    }
}

/// What the flow answers (`options.return`, product.md D10).
#[derive(Clone, Debug)]
pub enum ReturnSpec {
    /// Nothing (operation flows without `return`).
    Nothing,
    Last,
    All,
    /// A data-chain path (`$trigger`, an operation key, `op.data.items`, …).
    Path(String),
    /// An operation referenced by UUID: its key's value.
    OperationKey(String),
    /// A string with `{{ }}`: rendered against the chain.
    Template(Box<Template>),
    /// Any non-string JSON value, returned as is.
    Literal(Value),
}

/// Webhook / manual trigger options.
#[derive(Clone, Debug)]
pub struct WebhookOptions {
    pub method: Method,
    pub is_async: bool,
    pub error_on_reject: bool,
    pub cache_enabled: bool,
    pub cache_query_params: Vec<String>,
    /// `idempotencyKey`: a template of the delivery's key (a Sluice option, issue 13 point 7).
    pub idempotency_key: Option<super::template::Template>,
    /// Signature, limits, allow list (issue 16, docs/ingress.md).
    pub ingress: super::ingress::options::Ingress,
}

/// One compiled operation.
pub struct OperationDef {
    pub id: Uuid,
    pub key: String,
    pub name: Option<String>,
    pub kind: String,
    pub options: Template,
    pub raw_options: Value,
    pub resolve: Option<usize>,
    pub reject: Option<usize>,
    pub handler: Option<Arc<dyn Operation>>,
}

/// One compiled flow.
pub struct FlowDef {
    pub id: Uuid,
    pub name: String,
    pub trigger: TriggerKind,
    /// `all`, `activity` or `None` (no run logs).
    pub accountability: Option<String>,
    pub options: Value,
    pub webhook: Option<WebhookOptions>,
    pub return_spec: ReturnSpec,
    pub root: Option<usize>,
    pub operations: Vec<OperationDef>,
    /// `{id, name}` — `$flow` in the data chain (product.md D9).
    pub flow_value: std::sync::Arc<Value>,
    /// The flow row as JSON (for `trigger` permission filters).
    pub record: Value,
    /// Schedule flows: the parsed `options.cron` (`None` when invalid: the flow never runs).
    pub cron: Option<croner::Cron>,
    /// Schedule flows: what happens to ticks missed while every instance was down.
    pub missed: super::schedule::Missed,
    /// Event flows: `filter` or `action`, and the event names they listen to.
    pub events: Option<EventSpec>,
}

/// What an event flow listens to (directus.md §2.1, §2.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSpec {
    pub filter: bool,
    /// Names like `orders.items.create`, `users.create`, `auth.login`.
    pub names: Vec<String>,
}

/// Parses a cron pattern with 5 fields, or 6 with seconds first.
pub fn parse_cron(pattern: &str) -> Option<croner::Cron> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .year(croner::parser::Year::Disallowed)
        .build()
        .parse(pattern)
        .ok()
}

/// The event names an event flow registers: item scopes expand per collection
/// (`<collection>.items.<action>`, system collections as `<name without directus_>.<action>`);
/// other scopes are used as they are.
pub fn event_spec(options: &Value) -> Option<EventSpec> {
    let filter = match options.get("type").and_then(Value::as_str) {
        Some("filter") => true,
        Some("action") => false,
        _ => return None,
    };
    let scopes = option_list(options.get("scope"));
    let collections = option_list(options.get("collections"));
    let mut names = Vec::new();
    for scope in scopes {
        match scope.strip_prefix("items.") {
            Some(action) => {
                for c in &collections {
                    names.push(event_name(c, action));
                }
            }
            None => names.push(scope),
        }
    }
    Some(EventSpec { filter, names })
}

impl FlowDef {
    /// Compiles a flow and its operations. Broken links (which saving refuses) make the flow
    /// run nothing rather than fail to load.
    pub fn compile(
        flow: &directus_flows::Model,
        ops: &[directus_operations::Model],
        registry: &Registry,
    ) -> FlowDef {
        let index: HashMap<Uuid, usize> = ops.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
        let operations: Vec<OperationDef> = ops
            .iter()
            .map(|o| {
                let raw = o.options.clone().unwrap_or(Value::Null);
                OperationDef {
                    id: o.id,
                    key: o.key.clone(),
                    name: o.name.clone(),
                    kind: o.r#type.clone(),
                    options: Template::compile(&raw),
                    raw_options: raw,
                    resolve: o.resolve.and_then(|r| index.get(&r).copied()),
                    reject: o.reject.and_then(|r| index.get(&r).copied()),
                    handler: registry.get(&o.r#type),
                }
            })
            .collect();
        let trigger = TriggerKind::parse(flow.trigger.as_deref());
        let options = flow.options.clone().unwrap_or(Value::Null);
        let webhook = match trigger {
            TriggerKind::Webhook => Some(webhook_options(&options, false)),
            TriggerKind::Manual => Some(webhook_options(&options, true)),
            _ => None,
        };
        let return_spec = return_spec(&trigger, &options, &operations);
        let cron = match trigger {
            TriggerKind::Schedule => options
                .get("cron")
                .and_then(Value::as_str)
                .and_then(parse_cron),
            _ => None,
        };
        let missed = super::schedule::Missed::of(&options);
        let events = match trigger {
            TriggerKind::Event => event_spec(&options),
            _ => None,
        };
        FlowDef {
            id: flow.id,
            name: flow.name.clone(),
            root: flow.operation.and_then(|r| index.get(&r).copied()),
            flow_value: std::sync::Arc::new(
                json!({ "id": flow.id.to_string(), "name": flow.name }),
            ),
            record: serde_json::to_value(flow).unwrap_or(Value::Null),
            accountability: flow.accountability.clone(),
            trigger,
            options,
            webhook,
            return_spec,
            operations,
            cron,
            missed,
            events,
        }
    }

    pub fn operation_by_key(&self, key: &str) -> Option<&OperationDef> {
        self.operations.iter().find(|o| o.key == key)
    }
}

fn bool_opt(options: &Value, key: &str, default: bool) -> bool {
    match options.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => default,
    }
}

fn webhook_options(options: &Value, manual: bool) -> WebhookOptions {
    let method = if manual {
        Method::POST
    } else {
        options
            .get("method")
            .and_then(Value::as_str)
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
            .unwrap_or(Method::GET)
    };
    WebhookOptions {
        method,
        is_async: bool_opt(options, "async", false),
        error_on_reject: bool_opt(options, "error_on_reject", false),
        cache_enabled: bool_opt(options, "cacheEnabled", true),
        cache_query_params: options
            .get("cacheQueryParams")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        idempotency_key: options
            .get("idempotencyKey")
            .filter(|k| k.as_str().is_some_and(|s| !s.trim().is_empty()))
            .map(super::template::Template::compile),
        ingress: super::ingress::options::Ingress::compile(options),
    }
}

fn return_spec(trigger: &TriggerKind, options: &Value, ops: &[OperationDef]) -> ReturnSpec {
    let default = match trigger {
        TriggerKind::Operation | TriggerKind::Schedule => ReturnSpec::Nothing,
        // Filter events replace the payload only when `return` says so.
        TriggerKind::Event => ReturnSpec::Nothing,
        _ => ReturnSpec::Last,
    };
    if *trigger == TriggerKind::Manual {
        return ReturnSpec::Last;
    }
    match options.get("return") {
        None | Some(Value::Null) => default,
        Some(Value::String(s)) if s.is_empty() => default,
        Some(Value::String(s)) if s == "$last" => ReturnSpec::Last,
        Some(Value::String(s)) if s == "$all" => ReturnSpec::All,
        Some(Value::String(s)) if s.contains("{{") => {
            ReturnSpec::Template(Box::new(Template::compile(&Value::String(s.clone()))))
        }
        Some(Value::String(s)) => match Uuid::parse_str(s) {
            Ok(id) => match ops.iter().find(|o| o.id == id) {
                Some(op) => ReturnSpec::OperationKey(op.key.clone()),
                None => ReturnSpec::Path(s.clone()),
            },
            Err(_) => ReturnSpec::Path(s.clone()),
        },
        Some(other) => ReturnSpec::Literal(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crons_with_and_without_seconds() {
        assert!(parse_cron("*/2 * * * * *").is_some());
        assert!(parse_cron("0 9 * * 1").is_some());
        assert!(parse_cron("not a cron").is_none());
    }

    #[test]
    fn event_names_expand_per_collection() {
        let spec = event_spec(
            &json!({"type": "action", "scope": ["items.create", "auth.login"],
                                      "collections": ["orders", "directus_users"]}),
        )
        .unwrap();
        assert!(!spec.filter);
        assert_eq!(
            spec.names,
            vec!["orders.items.create", "users.create", "auth.login"]
        );
        assert_eq!(event_spec(&json!({"type": "nope"})), None);
    }
}
