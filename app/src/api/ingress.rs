//! A webhook's ingress (docs/ingress.md, issue 16): the refused-calls log of a flow
//! (`/flows/{id}/refused`, its per-reason count and replay), the signed test call
//! (`/flows/{id}/signed-test`), and the pure rules of the trigger options the "Security and
//! limits" panel writes — signature presets, the concealed secret, rate limit, concurrency
//! and the allow list. No UI here.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{ApiError, ApiRequest, Meta};

// ---- the refused-calls log ----

/// One refused call (`sluice_refused`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Refused {
    /// Row id.
    pub id: i64,
    /// When it was refused (ISO).
    #[serde(default)]
    pub timestamp: String,
    /// Reason code (`invalid_signature`, `rate_limited`, …).
    #[serde(default)]
    pub reason: String,
    /// The HTTP status answered.
    #[serde(default)]
    pub status: Option<u16>,
    /// The error message answered.
    #[serde(default)]
    pub message: Option<String>,
    /// The caller's address.
    #[serde(default)]
    pub ip: Option<String>,
    /// The request method.
    #[serde(default)]
    pub method: Option<String>,
    /// Request headers, credentials and signatures redacted.
    #[serde(default)]
    pub headers: Value,
    /// Bytes received (or announced).
    #[serde(default)]
    pub body_size: Option<i64>,
    /// The first characters of the body, redacted; `None` when the body was not read.
    #[serde(default)]
    pub excerpt: Option<String>,
    /// The body was kept and the reason is transient: it can be run again.
    #[serde(default, deserialize_with = "flag")]
    pub replayable: bool,
}

/// A boolean column as SQLite (0/1) or PostgreSQL (false/true) answers it.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    })
}

/// One row of the per-reason count.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ReasonCount {
    /// Reason code.
    #[serde(default)]
    pub reason: String,
    /// How many calls were refused for it.
    #[serde(default, deserialize_with = "count")]
    pub count: u64,
}

/// `3`, `"3"` (PostgreSQL's bigint as text) or `{"*": 3}`.
fn count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    fn of(v: &Value) -> u64 {
        match v {
            Value::Number(n) => n.as_u64().unwrap_or(0),
            Value::String(s) => s.parse().unwrap_or(0),
            Value::Object(m) => m.values().next().map_or(0, of),
            _ => 0,
        }
    }
    Ok(of(&Value::deserialize(d)?))
}

/// The fields the list reads.
const FIELDS: &str =
    "id,timestamp,reason,status,message,ip,method,headers,body_size,excerpt,replayable";

/// A flow's refused calls, newest first; `reason` keeps the calls refused for it.
pub async fn list(
    token: String,
    flow: String,
    reason: Option<String>,
    page: u32,
    limit: u32,
) -> Result<(Vec<Refused>, Meta), ApiError> {
    ApiRequest::get(&format!("/flows/{flow}/refused"))
        .query("fields", FIELDS)
        .query("sort", "-timestamp,-id")
        .query("limit", limit.to_string())
        .query("page", page.to_string())
        .query("meta", "filter_count")
        .query_opt("filter[reason][_eq]", reason)
        .bearer(&token)
        .send_with_meta()
        .await
}

/// One refused call by id.
pub async fn get(token: String, flow: String, id: i64) -> Result<Option<Refused>, ApiError> {
    let rows: Vec<Refused> = ApiRequest::get(&format!("/flows/{flow}/refused"))
        .query("fields", FIELDS)
        .query("filter[id][_eq]", id.to_string())
        .query("limit", "1")
        .bearer(&token)
        .send()
        .await?;
    Ok(rows.into_iter().next())
}

/// How many calls of the flow were refused, per reason, most first.
pub async fn counts(token: String, flow: String) -> Result<Vec<ReasonCount>, ApiError> {
    let mut rows: Vec<ReasonCount> = ApiRequest::get(&format!("/flows/{flow}/refused"))
        .query("aggregate[count]", "*")
        .query("groupBy[]", "reason")
        .bearer(&token)
        .send()
        .await?;
    sort_counts(&mut rows);
    Ok(rows)
}

/// Most refused first, then by reason code (a stable order for the chips).
pub fn sort_counts(rows: &mut [ReasonCount]) {
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
}

/// What a replay queued.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ReplayQueued {
    /// How many runs were queued (1).
    #[serde(default)]
    pub queued: u64,
    /// The queued run's id.
    #[serde(default, deserialize_with = "id_text")]
    pub run: Option<String>,
}

/// A run id as a number or as text.
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// `POST /flows/{flow}/refused/{id}/replay`: runs a kept refused call again, queued.
pub async fn replay(token: String, flow: String, id: i64) -> Result<ReplayQueued, ApiError> {
    ApiRequest::post(&format!("/flows/{flow}/refused/{id}/replay"))
        .bearer(&token)
        .json(&json!({}))?
        .send()
        .await
}

/// Reason codes (docs/ingress.md, in the order of the checks) with a short label and what
/// they mean, for someone who did not write the flow.
pub const REASONS: [(&str, &str, &str); 12] = [
    (
        "inactive",
        "Flow is off",
        "The flow was inactive when the call came in.",
    ),
    (
        "method_not_allowed",
        "Wrong method",
        "The call used another method (GET, POST, …) than the flow's.",
    ),
    (
        "ip_not_allowed",
        "Address not allowed",
        "The caller's address is not in the flow's list of allowed addresses.",
    ),
    (
        "forbidden",
        "Not permitted",
        "The caller may not run this flow (no token, or a role without access).",
    ),
    (
        "rate_limited",
        "Rate limited",
        "The caller sent more calls than the flow's rate limit allows.",
    ),
    (
        "too_large",
        "Body too large",
        "The body was larger than the server accepts.",
    ),
    (
        "invalid_json",
        "Not valid JSON",
        "The body could not be read as JSON.",
    ),
    (
        "missing_signature",
        "No signature",
        "The call carried no signature header, so it cannot have come from the provider.",
    ),
    (
        "invalid_signature",
        "Bad signature",
        "The signature did not match: the secret differs from the provider's, or the body was changed on the way.",
    ),
    (
        "stale_timestamp",
        "Too old",
        "The signed time was too far from now: an old call sent again, or a clock that is off.",
    ),
    (
        "duplicate",
        "Duplicate",
        "The same delivery (idempotency key) was already received; the first answer was sent again.",
    ),
    (
        "concurrency",
        "Too many at once",
        "The flow was already running as many times at once as it allows.",
    ),
];

/// The plain-language label of a reason code ("Bad signature"); unknown codes as they are.
pub fn reason_label(code: &str) -> &str {
    REASONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or(code, |(_, label, _)| label)
}

/// What a reason means, in a sentence.
pub fn reason_help(code: &str) -> &'static str {
    REASONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("", |(_, _, help)| help)
}

/// "12 bytes", "3.4 KB", "—".
pub fn size_text(bytes: Option<i64>) -> String {
    match bytes {
        None => "—".to_owned(),
        Some(n) if n < 1024 => format!("{n} bytes"),
        Some(n) if n < 1024 * 1024 => format!("{:.1} KB", n as f64 / 1024.0),
        Some(n) => format!("{:.1} MB", n as f64 / (1024.0 * 1024.0)),
    }
}

// ---- the signed test call ----

/// What the signed test call sent and got back.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SignedTest {
    /// The webhook's HTTP status.
    pub status: u16,
    /// The signature headers that were sent.
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// The webhook's answer.
    #[serde(default)]
    pub body: Value,
}

/// The body a signed test call sends: the test panel's sample, or `{"hello": "world"}` when
/// there is none.
pub fn test_body(sample: &Value) -> Value {
    match sample {
        Value::Null => json!({"hello": "world"}),
        Value::Object(m) if m.is_empty() => json!({"hello": "world"}),
        other => other.clone(),
    }
}

/// `POST /flows/{flow}/signed-test` with `{"body": …}`.
pub async fn signed_test(token: String, flow: String, body: Value) -> Result<SignedTest, ApiError> {
    ApiRequest::post(&format!("/flows/{flow}/signed-test"))
        .bearer(&token)
        .json(&json!({ "body": body }))?
        .send()
        .await
}

// ---- the trigger options ----

/// What every read of a flow answers in place of a stored secret; sent back, it keeps it.
pub const MASK: &str = "**********";

/// Signature presets: `(value, label, where the secret comes from)`; `""` is no check.
pub const PRESETS: [(&str, &str, &str); 7] = [
    ("", "None", "Calls are not checked for a signature."),
    (
        "standard-webhooks",
        "Standard Webhooks (Svix, Resend, …)",
        "Use the endpoint's signing secret (it starts with whsec_).",
    ),
    (
        "stripe",
        "Stripe",
        "Use the endpoint's signing secret from Stripe's Webhooks page (it starts with whsec_).",
    ),
    (
        "github",
        "GitHub",
        "Use the Secret you typed in the repository's or organisation's webhook settings.",
    ),
    (
        "slack",
        "Slack",
        "Use the Signing Secret from your Slack app's Basic Information page.",
    ),
    (
        "shopify",
        "Shopify",
        "Use the webhook signing secret shown under Settings → Notifications → Webhooks (or the app's client secret).",
    ),
    (
        "hmac",
        "Custom HMAC",
        "Any service that signs the body with a shared secret: say which header, algorithm and encoding it uses.",
    ),
];

/// Whether a preset signs a time, so that old calls can be refused.
pub fn preset_has_timestamp(preset: &str, timestamp_header: &str) -> bool {
    matches!(preset, "standard-webhooks" | "stripe" | "slack")
        || (preset == "hmac" && !timestamp_header.trim().is_empty())
}

/// The preset of `options.signature` (`""` when there is no check).
pub fn preset_of(signature: &Value) -> String {
    signature
        .get("preset")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// `{{$env.NAME}}`: a reference to a server variable, which is not a secret.
pub fn is_env_ref(text: &str) -> bool {
    let t = text.trim();
    t.starts_with("{{") && t.ends_with("}}") && t[2..t.len() - 2].trim().starts_with("$env.")
}

/// How the secret field shows a stored value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretShown {
    /// None yet.
    Empty,
    /// A secret is saved on the server and concealed: the field stays empty ("saved — type
    /// to replace").
    Saved,
    /// Text typed here, or an `{{$env.NAME}}` reference.
    Text(String),
}

/// How the secret field shows `signature.secret`.
pub fn secret_shown(secret: &Value) -> SecretShown {
    match secret.as_str() {
        Some(MASK) => SecretShown::Saved,
        Some("") | None => SecretShown::Empty,
        Some(s) => SecretShown::Text(s.to_owned()),
    }
}

/// What to store for the text typed in the secret field: the text; or, when it is emptied and
/// the saved flow holds a secret, the mask (which keeps that secret); else nothing.
pub fn secret_to_store(typed: &str, saved_has_secret: bool) -> Option<Value> {
    if !typed.is_empty() {
        Some(json!(typed))
    } else if saved_has_secret {
        Some(json!(MASK))
    } else {
        None
    }
}

/// Whether the saved options hold a concealed secret.
pub fn has_saved_secret(options: &Value) -> bool {
    options.pointer("/signature/secret").and_then(Value::as_str) == Some(MASK)
}

/// `options` with a typed secret replaced by what `like` holds in its place (the mask when
/// the server keeps one, or nothing). `{{$env.NAME}}` references are kept. Used to compare a
/// saved draft with the server's concealed copy, and to keep typed secrets out of stored
/// drafts.
pub fn conceal_secret(options: &Value, like: &Value) -> Value {
    let mut out = options.clone();
    let typed = out
        .pointer("/signature/secret")
        .and_then(Value::as_str)
        .is_some_and(|s| s != MASK && !is_env_ref(s));
    if !typed {
        return out;
    }
    let replacement = has_saved_secret(like).then(|| json!(MASK));
    if let Some(sig) = out.get_mut("signature").and_then(Value::as_object_mut) {
        match replacement {
            Some(mask) => {
                sig.insert("secret".into(), mask);
            }
            None => {
                sig.remove("secret");
            }
        }
    }
    out
}

/// `signature` after choosing `preset`: `None` removes the check; another preset keeps the
/// secret (and the tolerance when it still applies) and drops the custom fields, which only
/// "Custom HMAC" reads; "Custom HMAC" starts from `X-Signature`, sha256, hex. From no check,
/// the saved secret's mask comes back (`saved`), so switching off and on again loses nothing.
pub fn with_preset(current: &Value, preset: &str, saved: &Value) -> Option<Value> {
    if preset.is_empty() {
        return None;
    }
    let mut sig = Map::new();
    sig.insert("preset".into(), json!(preset));
    let secret = current
        .get("secret")
        .filter(|s| s.as_str().is_some_and(|s| !s.is_empty()))
        .cloned()
        .or_else(|| has_saved_secret(saved).then(|| json!(MASK)));
    if let Some(secret) = secret {
        sig.insert("secret".into(), secret);
    }
    if preset == "hmac" {
        let keep = |k: &str, default: &str| -> Value {
            current
                .get(k)
                .filter(|v| {
                    current.get("preset").and_then(Value::as_str) == Some("hmac") && !v.is_null()
                })
                .cloned()
                .unwrap_or_else(|| json!(default))
        };
        sig.insert("header".into(), keep("header", "X-Signature"));
        sig.insert("algorithm".into(), keep("algorithm", "sha256"));
        sig.insert("encoding".into(), keep("encoding", "hex"));
        for k in ["prefix", "timestampHeader"] {
            if current.get("preset").and_then(Value::as_str) == Some("hmac")
                && let Some(v) = current.get(k).filter(|v| !v.is_null())
            {
                sig.insert(k.into(), v.clone());
            }
        }
    }
    let ts = sig
        .get("timestampHeader")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if preset_has_timestamp(preset, &ts)
        && let Some(t) = current.get("tolerance").filter(|v| !v.is_null())
    {
        sig.insert("tolerance".into(), t.clone());
    }
    Some(Value::Object(sig))
}

/// `signature` with one field set from its text; an empty text removes the field.
/// `tolerance` is stored as a number of seconds.
pub fn with_signature_field(current: &Value, field: &str, text: &str) -> Value {
    let mut sig = current.as_object().cloned().unwrap_or_default();
    let value = match field {
        "tolerance" => text.trim().parse::<u64>().ok().map(|n| json!(n)),
        _ if text.is_empty() => None,
        _ => Some(json!(text)),
    };
    match value {
        Some(v) => {
            sig.insert(field.to_owned(), v);
        }
        None => {
            sig.remove(field);
        }
    }
    Value::Object(sig)
}

/// `rateLimit` with one field set from its text: `points` (empty removes the limit),
/// `duration` (`"1m"` when empty) or `by` (`"ip"` when empty). `None` = no limit.
pub fn with_rate_limit_field(current: &Value, field: &str, text: &str) -> Option<Value> {
    let text = text.trim();
    let mut points = current.get("points").and_then(Value::as_u64);
    let mut duration = current
        .get("duration")
        .map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_owned))
        .unwrap_or_default();
    let mut by = current
        .get("by")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match field {
        "points" => points = text.parse::<u64>().ok(),
        "duration" => text.clone_into(&mut duration),
        "by" => text.clone_into(&mut by),
        _ => {}
    }
    let points = points?;
    if duration.is_empty() {
        "1m".clone_into(&mut duration);
    }
    if by.is_empty() {
        "ip".clone_into(&mut by);
    }
    // Milliseconds may be given as a bare number.
    let duration = duration
        .parse::<u64>()
        .map_or_else(|_| json!(duration), |ms| json!(ms));
    Some(json!({"points": points, "duration": duration, "by": by}))
}

/// `concurrency` with one field set: `max` (empty removes the limit) or `whenFull`
/// (`"queue"` when empty). `None` = no limit.
pub fn with_concurrency_field(current: &Value, field: &str, text: &str) -> Option<Value> {
    let text = text.trim();
    let mut max = current.get("max").and_then(Value::as_u64);
    let mut when_full = current
        .get("whenFull")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match field {
        "max" => max = text.parse::<u64>().ok(),
        "whenFull" => text.clone_into(&mut when_full),
        _ => {}
    }
    let max = max?;
    if when_full.is_empty() {
        "queue".clone_into(&mut when_full);
    }
    Some(json!({"max": max, "whenFull": when_full}))
}

/// The allow-list textarea: one address or range per line (commas and spaces also separate
/// them); `None` when empty, which allows every address.
pub fn allow_list_from_text(text: &str) -> Option<Value> {
    let items: Vec<Value> = text
        .split(|c: char| c == '\n' || c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| json!(s))
        .collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

/// The stored allow list as the textarea shows it, one per line.
pub fn allow_list_text(v: &Value) -> String {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

/// A preset's name as the select shows it ("GitHub"); `None` for no check.
pub fn preset_label(preset: &str) -> Option<&'static str> {
    PRESETS
        .iter()
        .find(|(v, _, _)| !v.is_empty() && *v == preset)
        .map(|(_, label, _)| *label)
}

/// The trigger card's one-line summary of the limits: "60 calls / 1m · 2 at once · 3
/// addresses"; `None` without any.
pub fn limits_summary(options: &Value) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(points) = options.pointer("/rateLimit/points").and_then(Value::as_u64) {
        let duration = options
            .pointer("/rateLimit/duration")
            .map(|d| d.as_str().map_or_else(|| format!("{d} ms"), str::to_owned))
            .unwrap_or_else(|| "1m".to_owned());
        parts.push(format!("{points} calls / {duration}"));
    }
    if let Some(max) = options.pointer("/concurrency/max").and_then(Value::as_u64) {
        parts.push(format!("{max} at once"));
    }
    if let Some(n) = options
        .get("ipAllowList")
        .and_then(Value::as_array)
        .map(Vec::len)
        .filter(|n| *n > 0)
    {
        parts.push(if n == 1 {
            "1 address".to_owned()
        } else {
            format!("{n} addresses")
        });
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The ingress option keys a save error may name.
pub const OPTION_KEYS: [&str; 6] = [
    "signature",
    "rateLimit",
    "concurrency",
    "ipAllowList",
    "keepRefusedBodies",
    "rawBody",
];

/// Whether an error message names one of the ingress options.
pub fn names_ingress_option(message: &str) -> bool {
    OPTION_KEYS.iter().any(|k| message.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_a_plain_label_and_unknown_codes_stay() {
        assert_eq!(reason_label("invalid_signature"), "Bad signature");
        assert_eq!(reason_label("rate_limited"), "Rate limited");
        assert_eq!(reason_label("concurrency"), "Too many at once");
        assert_eq!(reason_label("something_new"), "something_new");
        assert_eq!(reason_help("something_new"), "");
        for (code, label, help) in REASONS {
            assert_ne!(code, label, "{code} has a label of its own");
            assert!(help.ends_with('.'), "{code}: {help}");
        }
    }

    #[test]
    fn the_contracts_reason_codes_are_all_labelled() {
        let doc = include_str!("../../../docs/ingress.md");
        for (code, _, _) in REASONS {
            assert!(
                doc.contains(&format!("`{code}`")),
                "{code} is in docs/ingress.md"
            );
        }
        let table: Vec<&str> = doc
            .lines()
            .filter(|l| l.starts_with("| ") && l.chars().nth(2).is_some_and(|c| c.is_ascii_digit()))
            .collect();
        for line in table {
            let last = line.rsplit('|').nth(1).unwrap_or_default();
            for code in last.split('`').skip(1).step_by(2) {
                assert!(
                    REASONS.iter().any(|(c, _, _)| *c == code),
                    "{code} from docs/ingress.md has a label"
                );
            }
        }
    }

    #[test]
    fn counts_parse_in_every_shape_and_sort_most_first() {
        let mut rows: Vec<ReasonCount> = serde_json::from_value(json!([
            {"reason": "rate_limited", "count": "2"},
            {"reason": "invalid_signature", "count": 5},
            {"reason": "forbidden", "count": {"*": 2}},
        ]))
        .expect("counts");
        sort_counts(&mut rows);
        let got: Vec<(&str, u64)> = rows.iter().map(|r| (r.reason.as_str(), r.count)).collect();
        assert_eq!(
            got,
            [
                ("invalid_signature", 5),
                ("forbidden", 2),
                ("rate_limited", 2)
            ]
        );
    }

    #[test]
    fn a_refused_row_reads_with_either_databases_booleans() {
        let r: Refused = serde_json::from_value(json!({
            "id": 3, "timestamp": "2026-12-01T10:00:00Z", "reason": "rate_limited",
            "status": 429, "replayable": 1, "headers": {"x-hub-signature-256": "--redacted--"},
        }))
        .expect("row");
        assert!(r.replayable);
        assert_eq!(r.excerpt, None);
        let q: ReplayQueued =
            serde_json::from_value(json!({"queued": 1, "run": 42})).expect("queued");
        assert_eq!(q.run.as_deref(), Some("42"));
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_text(None), "—");
        assert_eq!(size_text(Some(12)), "12 bytes");
        assert_eq!(size_text(Some(3 * 1024 + 512)), "3.5 KB");
    }

    #[test]
    fn the_test_body_is_the_sample_or_hello_world() {
        assert_eq!(test_body(&json!({})), json!({"hello": "world"}));
        assert_eq!(test_body(&Value::Null), json!({"hello": "world"}));
        assert_eq!(test_body(&json!({"a": 1})), json!({"a": 1}));
        assert_eq!(test_body(&json!([1])), json!([1]));
    }

    #[test]
    fn a_saved_secret_shows_as_saved_and_an_emptied_field_keeps_it() {
        assert_eq!(secret_shown(&json!(MASK)), SecretShown::Saved);
        assert_eq!(secret_shown(&Value::Null), SecretShown::Empty);
        assert_eq!(
            secret_shown(&json!("{{$env.GH}}")),
            SecretShown::Text("{{$env.GH}}".into())
        );
        assert_eq!(secret_to_store("new", true), Some(json!("new")));
        assert_eq!(secret_to_store("", true), Some(json!(MASK)));
        assert_eq!(secret_to_store("", false), None);
    }

    #[test]
    fn env_references_are_not_secrets() {
        assert!(is_env_ref("{{$env.GITHUB_SECRET}}"));
        assert!(is_env_ref(" {{ $env.X }} "));
        assert!(!is_env_ref("{{$trigger.body}}"));
        assert!(!is_env_ref("s3cret"));
    }

    #[test]
    fn a_typed_secret_is_concealed_like_the_server_does() {
        let typed =
            json!({"method": "POST", "signature": {"preset": "github", "secret": "s3cret"}});
        let server = json!({"method": "POST", "signature": {"preset": "github", "secret": MASK}});
        assert_eq!(conceal_secret(&typed, &server), server);
        // Nothing saved yet: a stored draft holds no secret at all.
        assert_eq!(
            conceal_secret(&typed, &json!({})),
            json!({"method": "POST", "signature": {"preset": "github"}})
        );
        let env = json!({"signature": {"preset": "github", "secret": "{{$env.GH}}"}});
        assert_eq!(conceal_secret(&env, &server), env);
        assert_eq!(conceal_secret(&server, &json!({})), server);
    }

    #[test]
    fn choosing_a_preset_keeps_the_secret_and_drops_what_it_does_not_read() {
        let hmac = json!({"preset": "hmac", "secret": "k", "header": "X-Sig", "algorithm": "sha1",
                          "encoding": "base64", "prefix": "v1=", "tolerance": 60});
        assert_eq!(
            with_preset(&hmac, "github", &json!({})),
            Some(json!({"preset": "github", "secret": "k"}))
        );
        assert_eq!(
            with_preset(&hmac, "stripe", &json!({})),
            Some(json!({"preset": "stripe", "secret": "k", "tolerance": 60}))
        );
        assert_eq!(
            with_preset(&json!({"preset": "github"}), "hmac", &json!({})),
            Some(
                json!({"preset": "hmac", "header": "X-Signature", "algorithm": "sha256", "encoding": "hex"})
            )
        );
        assert_eq!(with_preset(&hmac, "", &json!({})), None);
        let saved = json!({"signature": {"preset": "github", "secret": MASK}});
        assert_eq!(
            with_preset(&Value::Null, "github", &saved),
            Some(json!({"preset": "github", "secret": MASK}))
        );
    }

    #[test]
    fn signature_fields_set_and_clear() {
        let sig = json!({"preset": "stripe"});
        let sig = with_signature_field(&sig, "tolerance", "120");
        assert_eq!(sig, json!({"preset": "stripe", "tolerance": 120}));
        let sig = with_signature_field(&sig, "tolerance", "");
        assert_eq!(sig, json!({"preset": "stripe"}));
        let sig = with_signature_field(&sig, "prefix", "sha256=");
        assert_eq!(sig["prefix"], json!("sha256="));
        assert!(
            with_signature_field(&sig, "prefix", "")
                .get("prefix")
                .is_none()
        );
    }

    #[test]
    fn a_rate_limit_needs_points_and_fills_the_rest() {
        assert_eq!(
            with_rate_limit_field(&Value::Null, "points", "60"),
            Some(json!({"points": 60, "duration": "1m", "by": "ip"}))
        );
        let rl = json!({"points": 60, "duration": "1m", "by": "ip"});
        assert_eq!(
            with_rate_limit_field(&rl, "by", "global"),
            Some(json!({"points": 60, "duration": "1m", "by": "global"}))
        );
        assert_eq!(
            with_rate_limit_field(&rl, "duration", "30s"),
            Some(json!({"points": 60, "duration": "30s", "by": "ip"}))
        );
        assert_eq!(
            with_rate_limit_field(&rl, "duration", "500"),
            Some(json!({"points": 60, "duration": 500, "by": "ip"}))
        );
        assert_eq!(with_rate_limit_field(&rl, "points", ""), None);
        assert_eq!(with_rate_limit_field(&Value::Null, "by", "token"), None);
    }

    #[test]
    fn concurrency_needs_a_maximum() {
        assert_eq!(
            with_concurrency_field(&Value::Null, "max", "2"),
            Some(json!({"max": 2, "whenFull": "queue"}))
        );
        assert_eq!(
            with_concurrency_field(
                &json!({"max": 2, "whenFull": "queue"}),
                "whenFull",
                "reject"
            ),
            Some(json!({"max": 2, "whenFull": "reject"}))
        );
        assert_eq!(with_concurrency_field(&json!({"max": 2}), "max", " "), None);
    }

    #[test]
    fn the_allow_list_is_one_address_per_line() {
        assert_eq!(
            allow_list_from_text("192.30.252.0/22\n\n  203.0.113.7 \n2001:db8::/32,10.0.0.1"),
            Some(json!([
                "192.30.252.0/22",
                "203.0.113.7",
                "2001:db8::/32",
                "10.0.0.1"
            ]))
        );
        assert_eq!(allow_list_from_text(" \n "), None);
        assert_eq!(
            allow_list_text(&json!(["192.30.252.0/22", "203.0.113.7"])),
            "192.30.252.0/22\n203.0.113.7"
        );
        assert_eq!(allow_list_text(&Value::Null), "");
    }

    #[test]
    fn the_card_sums_up_the_check_and_the_limits() {
        assert_eq!(preset_label("github"), Some("GitHub"));
        assert_eq!(preset_label(""), None);
        assert_eq!(limits_summary(&json!({"method": "POST"})), None);
        assert_eq!(
            limits_summary(&json!({
                "rateLimit": {"points": 60, "duration": "1m", "by": "ip"},
                "concurrency": {"max": 2, "whenFull": "queue"},
                "ipAllowList": ["192.30.252.0/22", "203.0.113.7"],
            })),
            Some("60 calls / 1m · 2 at once · 2 addresses".to_owned())
        );
        assert_eq!(
            limits_summary(
                &json!({"rateLimit": {"points": 5, "duration": 500}, "ipAllowList": ["::1"]})
            ),
            Some("5 calls / 500 ms · 1 address".to_owned())
        );
    }

    #[test]
    fn timestamps_apply_to_presets_that_sign_a_time() {
        assert!(preset_has_timestamp("stripe", ""));
        assert!(preset_has_timestamp("slack", ""));
        assert!(preset_has_timestamp("standard-webhooks", ""));
        assert!(!preset_has_timestamp("github", ""));
        assert!(!preset_has_timestamp("hmac", " "));
        assert!(preset_has_timestamp("hmac", "X-Timestamp"));
        assert!(names_ingress_option(
            "options.rateLimit.points must be a number"
        ));
        assert!(!names_ingress_option("name is required"));
    }
}
