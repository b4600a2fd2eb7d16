//! The one table of operation types (palette, card, inspector) and trigger types.
//!
//! Everything type-specific is data here: labels, descriptions, icons, groups, default
//! options, the inspector's fields and the card overview. A new operation type is one more
//! entry. Option names follow directus.md §4.

use serde_json::{Value, json};

use crate::components::icon::IconName;

/// Palette groups (ui.md §3.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Branching and stopping.
    Decide,
    /// Items and data shaping.
    Data,
    /// Talking to the outside.
    Connect,
    /// Everything else.
    Utility,
}

impl Group {
    /// Heading in the palette.
    pub fn label(self) -> &'static str {
        match self {
            Self::Decide => "Decide",
            Self::Data => "Data",
            Self::Connect => "Connect",
            Self::Utility => "Utility",
        }
    }

    /// Palette order.
    pub const ALL: [Group; 4] = [Self::Decide, Self::Data, Self::Connect, Self::Utility];
}

/// How an option is edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text (templates allowed).
    Text,
    /// Several lines of text.
    Multiline,
    /// A whole number ≥ 0 (stored as a number).
    Millis,
    /// A checkbox.
    Bool,
    /// One of fixed choices (value, label), stored as a string.
    Choice(&'static [(&'static str, &'static str)]),
    /// HTTP method segmented control.
    Method,
    /// A collection picker fed by `/collections`.
    Collection,
    /// "Act as": `$trigger` / `$public` / `$full` / a role id.
    Permissions,
    /// Item ids, stored as an array (comma-separated input).
    Ids,
    /// A JSON value; `template` accepts a `{{ }}` string instead.
    Json {
        /// Accept template strings.
        template: bool,
    },
    /// An item payload: a form of the collection's fields, or JSON.
    Payload,
    /// Header rows stored as `[{header, value}]`.
    Headers,
    /// The condition rule builder with its JSON view.
    Filter,
    /// A flow picker (flows triggered by another flow).
    Flow,
    /// Source code (monospace).
    Code,
}

/// One inspector field.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    /// Option key.
    pub key: &'static str,
    /// Label.
    pub label: &'static str,
    /// Widget.
    pub kind: FieldKind,
    /// Help under the field (may be empty).
    pub help: &'static str,
    /// Placeholder (may be empty).
    pub placeholder: &'static str,
}

const fn field(
    key: &'static str,
    label: &'static str,
    kind: FieldKind,
    help: &'static str,
    placeholder: &'static str,
) -> FieldSpec {
    FieldSpec {
        key,
        label,
        kind,
        help,
        placeholder,
    }
}

/// One operation type.
#[derive(Clone, Copy, Debug)]
pub struct OpSpec {
    /// `type` value.
    pub kind: &'static str,
    /// Plain name.
    pub label: &'static str,
    /// One line for the palette.
    pub description: &'static str,
    /// Palette group.
    pub group: Group,
    /// Icon.
    pub icon: IconName,
    /// Tile colour.
    pub color: &'static str,
    /// Inspector fields, top to bottom.
    pub fields: &'static [FieldSpec],
    /// Default options of a new step.
    pub defaults: fn() -> Value,
    /// Whether the server runs this type (a type added here before the server has it is
    /// shown greyed out in the palette, "Coming soon", and cannot be added).
    pub available: bool,
}

impl OpSpec {
    /// Label of the success handle ("Then" for conditions).
    pub fn resolve_label(&self) -> &'static str {
        if self.kind == "condition" {
            "Then"
        } else {
            "Success"
        }
    }

    /// Label of the failure handle ("Otherwise" for conditions).
    pub fn reject_label(&self) -> &'static str {
        if self.kind == "condition" {
            "Otherwise"
        } else {
            "Failure"
        }
    }
}

const PERMISSIONS_HELP: &str = "Whose permissions the step uses.";

// Fields several item operations share.
const COLLECTION: FieldSpec = field("collection", "Collection", FieldKind::Collection, "", "");
const PERMISSIONS: FieldSpec = field(
    "permissions",
    "Act as",
    FieldKind::Permissions,
    PERMISSIONS_HELP,
    "",
);
const IDS: FieldSpec = field(
    "key",
    "IDs",
    FieldKind::Ids,
    "Comma-separated item ids. Leave empty to use the query.",
    "1, 2",
);
const EMIT_EVENTS: FieldSpec = field(
    "emitEvents",
    "Also fire data events",
    FieldKind::Bool,
    "",
    "",
);
const QUERY_WHEN_NO_IDS: FieldSpec = field(
    "query",
    "Query",
    FieldKind::Json { template: true },
    "Which items, when no IDs are given.",
    "",
);

const ITEM_CREATE: &[FieldSpec] = &[
    COLLECTION,
    PERMISSIONS,
    field(
        "payload",
        "Payload",
        FieldKind::Payload,
        "The new item's fields as JSON, a list of items, or a template such as {{ $trigger.body }}.",
        "{\"name\": \"{{ $trigger.body.name }}\"}",
    ),
    EMIT_EVENTS,
];

const ITEM_READ: &[FieldSpec] = &[
    COLLECTION,
    PERMISSIONS,
    IDS,
    field(
        "query",
        "Query",
        FieldKind::Json { template: true },
        "Filter, sort, limit and fields, as in the API.",
        "{\"filter\": {\"status\": {\"_eq\": \"active\"}}, \"limit\": 10}",
    ),
    EMIT_EVENTS,
];

const ITEM_UPDATE: &[FieldSpec] = &[
    COLLECTION,
    PERMISSIONS,
    IDS,
    field(
        "payload",
        "Changes",
        FieldKind::Payload,
        "The fields to change, as JSON.",
        "{\"status\": \"done\"}",
    ),
    QUERY_WHEN_NO_IDS,
    EMIT_EVENTS,
];

const ITEM_DELETE: &[FieldSpec] = &[COLLECTION, PERMISSIONS, IDS, QUERY_WHEN_NO_IDS, EMIT_EVENTS];

const CONDITION: &[FieldSpec] = &[field(
    "filter",
    "Rules",
    FieldKind::Filter,
    "If the rules match, the flow continues on Then (green), otherwise on Otherwise (red).",
    "",
)];

const LOG: &[FieldSpec] = &[field(
    "message",
    "Message",
    FieldKind::Text,
    "Written to the server log. Use {{ $trigger.body.field }} to include values.",
    "Received {{ $trigger.body.id }}",
)];

const REQUEST: &[FieldSpec] = &[
    field("method", "Method", FieldKind::Method, "", ""),
    field(
        "url",
        "URL",
        FieldKind::Text,
        "",
        "https://example.com/hook",
    ),
    field("headers", "Headers", FieldKind::Headers, "", ""),
    field(
        "body",
        "Body",
        FieldKind::Json { template: true },
        "JSON or text; ignored for GET.",
        "",
    ),
];

const SLEEP: &[FieldSpec] = &[field(
    "milliseconds",
    "Wait (milliseconds)",
    FieldKind::Millis,
    "",
    "1000",
)];

const THROW_STATUSES: &[(&str, &str)] = &[
    ("400", "400 Bad request"),
    ("401", "401 Unauthorized"),
    ("403", "403 Forbidden"),
    ("404", "404 Not found"),
    ("405", "405 Method not allowed"),
    ("422", "422 Unprocessable"),
    ("429", "429 Too many requests"),
    ("500", "500 Server error"),
];

const THROW_ERROR: &[FieldSpec] = &[
    field(
        "status",
        "HTTP status",
        FieldKind::Choice(THROW_STATUSES),
        "",
        "",
    ),
    field("code", "Error code", FieldKind::Text, "", "INVALID_PAYLOAD"),
    field(
        "message",
        "Message",
        FieldKind::Text,
        "The caller receives this status and message; the flow stops here.",
        "Something is wrong",
    ),
];

const RESPOND_TYPES: &[(&str, &str)] = &[
    ("", "JSON (or text, for a text body)"),
    ("text/plain", "Plain text"),
    ("application/xml", "XML (Twilio, SOAP)"),
    ("text/html", "HTML page"),
];

const RESPOND: &[FieldSpec] = &[
    field(
        "status",
        "HTTP status",
        FieldKind::Text,
        "200 to 599. The caller receives this status.",
        "200",
    ),
    field(
        "contentType",
        "Answer as",
        FieldKind::Choice(RESPOND_TYPES),
        "",
        "",
    ),
    field("headers", "Headers", FieldKind::Headers, "", ""),
    field(
        "body",
        "Body",
        FieldKind::Json { template: true },
        "Text is sent as it is; anything else as JSON. Use {{ $trigger.body.name }} and step keys.",
        "<Response><Message>Thanks!</Message></Response>",
    ),
    field(
        "continue",
        "Answer now and keep going",
        FieldKind::Bool,
        "The caller gets this answer at once; the steps after this one still run (safely queued).",
        "",
    ),
];

const TRANSFORM: &[FieldSpec] = &[field(
    "json",
    "JSON",
    FieldKind::Json { template: true },
    "The result of this step. Use {{ $last }} or a step key to include earlier results.",
    "{\"total\": \"{{ $last.length }}\"}",
)];

const ITERATION: &[(&str, &str)] = &[
    ("parallel", "All at once"),
    ("serial", "One after another"),
    ("batch", "In batches"),
];

const TRIGGER_FLOW: &[FieldSpec] = &[
    field(
        "flow",
        "Flow",
        FieldKind::Flow,
        "Only flows whose trigger is \"Another flow\".",
        "",
    ),
    field(
        "iterationMode",
        "If the payload is a list",
        FieldKind::Choice(ITERATION),
        "",
        "",
    ),
    field(
        "batchSize",
        "Batch size",
        FieldKind::Millis,
        "Only for batches.",
        "10",
    ),
    field(
        "payload",
        "Payload",
        FieldKind::Json { template: true },
        "",
        "{{ $trigger.body }}",
    ),
];

const EXEC: &[FieldSpec] = &[field(
    "code",
    "Script",
    FieldKind::Code,
    "Runs in a sandbox: no network, no file access, time and memory limits.",
    "",
)];

const MAIL_TYPES: &[(&str, &str)] = &[("markdown", "Markdown"), ("wysiwyg", "HTML")];

const MAIL: &[FieldSpec] = &[
    field(
        "to",
        "To",
        FieldKind::Ids,
        "Comma-separated email addresses.",
        "ada@example.com",
    ),
    field("subject", "Subject", FieldKind::Text, "", ""),
    field("type", "Format", FieldKind::Choice(MAIL_TYPES), "", ""),
    field("body", "Body", FieldKind::Multiline, "", ""),
];

const NOTIFICATION: &[FieldSpec] = &[
    field(
        "recipient",
        "Recipients",
        FieldKind::Ids,
        "Comma-separated user ids.",
        "",
    ),
    PERMISSIONS,
    field("subject", "Title", FieldKind::Text, "", ""),
    field("message", "Message", FieldKind::Multiline, "", ""),
];

const JWT_OPS: &[(&str, &str)] = &[("sign", "Sign"), ("verify", "Verify"), ("decode", "Decode")];

const JWT: &[FieldSpec] = &[
    field("operation", "Action", FieldKind::Choice(JWT_OPS), "", ""),
    field(
        "payload",
        "Payload (sign)",
        FieldKind::Json { template: true },
        "",
        "",
    ),
    field("token", "Token (verify, decode)", FieldKind::Text, "", ""),
    field(
        "secret",
        "Secret (sign, verify)",
        FieldKind::Text,
        "Prefer {{ $env.JWT_SECRET }}.",
        "",
    ),
    field(
        "options",
        "Options",
        FieldKind::Json { template: false },
        "",
        "{\"expiresIn\": \"1h\"}",
    ),
];

/// Every operation type, in palette order within each group.
pub static OPERATIONS: [OpSpec; 16] = [
    OpSpec {
        kind: "condition",
        label: "Condition",
        description: "Continue only if the request matches your rules",
        group: Group::Decide,
        icon: IconName::Branch,
        color: "#7c3aed",
        fields: CONDITION,
        defaults: || json!({"filter": {"$trigger": {"body": {"status": {"_eq": "paid"}}}}}),
        available: true,
    },
    OpSpec {
        kind: "throw-error",
        label: "Stop with error",
        description: "End the flow and answer the caller with an error",
        group: Group::Decide,
        icon: IconName::Alert,
        color: "#dc2626",
        fields: THROW_ERROR,
        defaults: || json!({"status": "400", "code": "INVALID_PAYLOAD", "message": ""}),
        available: true,
    },
    OpSpec {
        kind: "respond",
        label: "Answer the caller",
        description: "Choose the status, headers and body the webhook answers with",
        group: Group::Decide,
        icon: IconName::Globe,
        color: "#2563eb",
        fields: RESPOND,
        defaults: || json!({"status": "200", "contentType": "text/plain", "body": "ok", "continue": false}),
        available: true,
    },
    OpSpec {
        kind: "item-create",
        label: "Create items",
        description: "Add new items to a collection",
        group: Group::Data,
        icon: IconName::Plus,
        color: "#059669",
        fields: ITEM_CREATE,
        defaults: || json!({"collection": "", "permissions": "$trigger", "emitEvents": false, "payload": null}),
        available: true,
    },
    OpSpec {
        kind: "item-read",
        label: "Read items",
        description: "Look up items by id or by a filter",
        group: Group::Data,
        icon: IconName::Eye,
        color: "#0891b2",
        fields: ITEM_READ,
        defaults: || json!({"collection": "", "permissions": "$trigger", "emitEvents": false, "key": [], "query": null}),
        available: true,
    },
    OpSpec {
        kind: "item-update",
        label: "Update items",
        description: "Change fields of existing items",
        group: Group::Data,
        icon: IconName::Edit,
        color: "#d97706",
        fields: ITEM_UPDATE,
        defaults: || json!({"collection": "", "permissions": "$trigger", "emitEvents": false, "key": [], "payload": null, "query": null}),
        available: true,
    },
    OpSpec {
        kind: "item-delete",
        label: "Delete items",
        description: "Remove items from a collection",
        group: Group::Data,
        icon: IconName::Trash,
        color: "#b91c1c",
        fields: ITEM_DELETE,
        defaults: || json!({"collection": "", "permissions": "$trigger", "emitEvents": false, "key": [], "query": null}),
        available: true,
    },
    OpSpec {
        kind: "transform",
        label: "Transform",
        description: "Build a new JSON value from earlier results",
        group: Group::Data,
        icon: IconName::Shuffle,
        color: "#4f46e5",
        fields: TRANSFORM,
        defaults: || json!({"json": {"received": "{{ $trigger.body }}"}}),
        available: true,
    },
    OpSpec {
        kind: "request",
        label: "Web request",
        description: "Call another web address (API, webhook)",
        group: Group::Connect,
        icon: IconName::Link,
        color: "#2563eb",
        fields: REQUEST,
        defaults: || json!({"method": "POST", "url": "", "headers": [], "body": null}),
        available: true,
    },
    OpSpec {
        kind: "mail",
        label: "Send email",
        description: "Send an email (Markdown or HTML)",
        group: Group::Connect,
        icon: IconName::Mail,
        color: "#db2777",
        fields: MAIL,
        defaults: || json!({"to": [], "subject": "", "type": "markdown", "body": ""}),
        available: true,
    },
    OpSpec {
        kind: "notification",
        label: "Notification",
        description: "Notify users inside the app",
        group: Group::Connect,
        icon: IconName::Bell,
        color: "#ea580c",
        fields: NOTIFICATION,
        defaults: || json!({"recipient": [], "permissions": "$trigger", "subject": "", "message": ""}),
        available: true,
    },
    OpSpec {
        kind: "json-web-token",
        label: "JSON Web Token",
        description: "Sign, verify or decode a token",
        group: Group::Connect,
        icon: IconName::Key,
        color: "#475569",
        fields: JWT,
        defaults: || json!({"operation": "sign", "payload": {}, "secret": "", "options": {}}),
        available: true,
    },
    OpSpec {
        kind: "trigger",
        label: "Run another flow",
        description: "Start a flow whose trigger is \"Another flow\"",
        group: Group::Connect,
        icon: IconName::Bolt,
        color: "#9333ea",
        fields: TRIGGER_FLOW,
        defaults: || json!({"flow": "", "iterationMode": "parallel", "batchSize": 10, "payload": null}),
        available: true,
    },
    OpSpec {
        kind: "log",
        label: "Log",
        description: "Write a line to the server log",
        group: Group::Utility,
        icon: IconName::Terminal,
        color: "#64748b",
        fields: LOG,
        defaults: || json!({"message": ""}),
        available: true,
    },
    OpSpec {
        kind: "sleep",
        label: "Wait",
        description: "Pause before the next step",
        group: Group::Utility,
        icon: IconName::Clock,
        color: "#0d9488",
        fields: SLEEP,
        defaults: || json!({"milliseconds": 1000}),
        available: true,
    },
    OpSpec {
        kind: "exec",
        label: "Run script",
        description: "Run JavaScript on the data so far",
        group: Group::Utility,
        icon: IconName::Code,
        color: "#334155",
        fields: EXEC,
        defaults: || json!({"code": "module.exports = async function (data) {\n  return {};\n};"}),
        available: true,
    },
];

/// The spec of a type (unknown types get a neutral fallback in callers).
pub fn spec(kind: &str) -> Option<&'static OpSpec> {
    OPERATIONS.iter().find(|s| s.kind == kind)
}

/// Label of a type, or the raw type.
pub fn label(kind: &str) -> String {
    spec(kind).map_or_else(|| kind.to_owned(), |s| s.label.to_owned())
}

/// How a step that ran reads to a person (issue 12 point 7): a condition whose rules did not
/// match took its Otherwise branch, which is not a failure; "Failed" is kept for real ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Succeeded,
    Otherwise,
    Failed,
    UnknownType,
}

impl StepOutcome {
    /// From the step's type and its logged status (`resolve`, `reject`, `unknown`).
    pub fn of(kind: &str, status: &str) -> StepOutcome {
        match status {
            "resolve" => StepOutcome::Succeeded,
            "unknown" => StepOutcome::UnknownType,
            _ if kind == "condition" => StepOutcome::Otherwise,
            _ => StepOutcome::Failed,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StepOutcome::Succeeded => "✓ Succeeded",
            StepOutcome::Otherwise => "↳ Otherwise",
            StepOutcome::Failed => "✕ Failed",
            StepOutcome::UnknownType => "? Unknown type",
        }
    }

    /// The badge's classes.
    pub fn badge(self) -> &'static str {
        match self {
            StepOutcome::Succeeded => "badge badge--success",
            StepOutcome::Otherwise => "badge badge--branch",
            StepOutcome::Failed | StepOutcome::UnknownType => "badge badge--failure",
        }
    }

    /// Whether the step failed (red, its error shown).
    pub fn failed(self) -> bool {
        matches!(self, StepOutcome::Failed | StepOutcome::UnknownType)
    }
}

fn text(options: &Value, key: &str) -> Option<String> {
    match options.get(key)? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(a) if a.is_empty() => None,
        Value::Array(a) => Some(
            a.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        other => Some(other.to_string()),
    }
}

/// Counts leaf rules of a filter (for "Rules: 2").
fn count_rules(v: &Value) -> usize {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(list)) = m.get("_and").or_else(|| m.get("_or")) {
                return list.iter().map(count_rules).sum();
            }
            if m.keys().any(|k| k.starts_with('_')) {
                return 1;
            }
            m.values().map(count_rules).sum::<usize>().max(1)
        }
        _ => 0,
    }
}

/// Up to three (label, value) rows for a card body (ui.md §3.6).
pub fn overview(
    kind: &str,
    options: &Value,
    flow_name: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut push = |label: &str, value: Option<String>| {
        if let Some(v) = value {
            rows.push((label.to_owned(), v));
        }
    };
    match kind {
        "condition" => {
            let f = options.get("filter").cloned().unwrap_or(Value::Null);
            let n = count_rules(&f);
            let mode = if f.get("_or").is_some() {
                "any may pass"
            } else {
                "all must pass"
            };
            push(
                "Rules",
                Some(if n == 0 {
                    "none — always passes".into()
                } else {
                    format!("{n} ({mode})")
                }),
            );
        }
        "item-create" => {
            push("Collection", text(options, "collection"));
            push("Payload", text(options, "payload"));
        }
        "item-read" | "item-update" | "item-delete" => {
            push("Collection", text(options, "collection"));
            push(
                "IDs",
                text(options, "key").or_else(|| {
                    options
                        .get("query")
                        .filter(|q| !q.is_null())
                        .map(|_| "Filter".to_owned())
                }),
            );
        }
        "request" => {
            push("Method", text(options, "method").or(Some("GET".into())));
            push("URL", text(options, "url"));
        }
        "transform" => {
            let keys = options
                .get("json")
                .and_then(Value::as_object)
                .map(|o| o.keys().take(3).cloned().collect::<Vec<_>>().join(", "));
            push(
                "Keys",
                keys.filter(|k| !k.is_empty())
                    .or_else(|| text(options, "json")),
            );
        }
        "log" => push("Message", text(options, "message")),
        "trigger" => {
            let id = text(options, "flow");
            push("Flow", id.map(|id| flow_name(&id).unwrap_or(id)));
        }
        "sleep" => {
            let ms = options
                .get("milliseconds")
                .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()));
            push("Wait", ms.map(crate::util::time::duration));
        }
        "mail" => {
            push("To", text(options, "to"));
            push("Subject", text(options, "subject"));
        }
        "notification" => {
            push("Users", text(options, "recipient"));
            push("Title", text(options, "subject"));
        }
        "json-web-token" => push("Action", text(options, "operation")),
        "throw-error" => {
            push("Status", text(options, "status").or(Some("500".into())));
            push(
                "Code",
                text(options, "code").or(Some("INTERNAL_SERVER_ERROR".into())),
            );
        }
        "respond" => {
            push("Status", text(options, "status").or(Some("200".into())));
            push("As", text(options, "contentType"));
            if options.get("continue") == Some(&Value::Bool(true)) {
                push("Then", Some("keeps going".into()));
            }
        }
        "exec" => {
            let lines = options
                .get("code")
                .and_then(Value::as_str)
                .map_or(0, |c| c.lines().count());
            push("Script", Some(format!("{lines} lines")));
        }
        _ => {}
    }
    rows.truncate(3);
    rows
}

/// Trigger types: (value, title, description, icon).
pub const TRIGGERS: [(&str, &str, &str, IconName); 5] = [
    (
        "webhook",
        "When called by web address",
        "A webhook: runs each time its URL is called.",
        IconName::Link,
    ),
    (
        "event",
        "When data changes",
        "Runs when items are created, updated or deleted.",
        IconName::Refresh,
    ),
    (
        "schedule",
        "On a schedule",
        "Runs at times given by a cron expression.",
        IconName::Calendar,
    ),
    (
        "operation",
        "When another flow runs it",
        "Started by a \"Run another flow\" step.",
        IconName::Bolt,
    ),
    (
        "manual",
        "Manually from the Data pages",
        "Started by a person from a collection.",
        IconName::Hand,
    ),
];

/// Title of a trigger type.
pub fn trigger_title(trigger: &str) -> &'static str {
    TRIGGERS
        .iter()
        .find(|t| t.0 == trigger)
        .map_or("No trigger", |t| t.1)
}

/// Short name of a trigger type for lists.
pub fn trigger_short(trigger: &str) -> &'static str {
    match trigger {
        "webhook" => "Webhook",
        "event" => "Event",
        "schedule" => "Schedule",
        "operation" => "Another flow",
        "manual" => "Manual",
        _ => "—",
    }
}

/// Default options of a trigger type.
pub fn trigger_defaults(trigger: &str) -> Value {
    match trigger {
        "webhook" => {
            json!({"method": "POST", "async": false, "return": "$last", "cacheEnabled": false})
        }
        "event" => json!({"type": "action", "scope": ["items.create"], "collections": []}),
        "schedule" => json!({"cron": "0 0 9 * * *"}),
        "operation" => json!({"return": "$last"}),
        "manual" => json!({"collections": [], "async": false}),
        _ => json!({}),
    }
}
