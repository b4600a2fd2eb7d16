//! The webhook trigger, one use case end to end (directus.md §2.3–§2.6 with product.md D1–D3,
//! D10, S1): who may call a flow, the `$trigger` object built from the request, the GET answer
//! cache, the run, and the HTTP answer — `{"data": …}` envelopes by default, Directus's raw
//! bodies and 204s on request. The builder's test runs (`POST /flows/{id}/test`) go through the
//! same answer.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::engine::FlowEngine;
use super::idempotency::{self, Delivery};
use super::ingress::Gatekeeper;
use super::ingress::refused::{self, Refused};
use super::ingress::signature::{Preset, Secret, Signature, slack_challenge};
use super::model::{FlowDef, TriggerKind};
use super::operations::respond;
use super::queue::Refused as QueueRefused;
use super::run::{self, EarlyAnswer, RunInput, RunOutcome};
use crate::access::{AccessSnapshot, Accountability};
use crate::core::Core;
use crate::error::{ApiError, ErrorCode, Result};
use crate::extract::json::{declared_length, is_json, parse_strict, read_body};
use crate::extract::query::parse_raw;
use crate::filter::validate::{Mode, validate};
use crate::protect::cache::{ResponseCache, webhook_key};
use crate::protect::rate_limit::exceeded_error;
use crate::query::Query;

/// A webhook call: the flow's answer and the headers that go with it. A call the flow refuses
/// (docs/ingress.md) is also written to its refused-calls log.
pub async fn handle(
    engine: &FlowEngine,
    cache: Option<&ResponseCache>,
    gate: &Gatekeeper,
    acc: Arc<Accountability>,
    raw_id: &str,
    req: Request,
) -> Result<Response> {
    let (parts, body) = req.into_parts();
    let mut seen = Seen::default();
    match deliver(engine, cache, gate, &acc, raw_id, &parts, body, &mut seen).await {
        Ok(resp) => Ok(resp),
        Err(stop) => {
            if let (Some(reason), Some(flow)) = (stop.reason, seen.flow) {
                let status = stop.err.status().as_u16();
                record(
                    engine.core(),
                    gate,
                    flow,
                    reason,
                    status,
                    stop.err.message(),
                    &parts,
                    &acc,
                    seen,
                );
            }
            Err(stop.err)
        }
    }
}

/// Why a call stopped before its run: the error it is answered, and — when it is one the
/// refused-calls log keeps — the reason code.
struct Stop {
    err: ApiError,
    reason: Option<&'static str>,
}

impl From<ApiError> for Stop {
    fn from(err: ApiError) -> Stop {
        Stop { err, reason: None }
    }
}

fn refuse(reason: &'static str, err: ApiError) -> Stop {
    Stop {
        err,
        reason: Some(reason),
    }
}

/// What a call showed before it stopped, for its refused-calls record.
#[derive(Default)]
struct Seen {
    /// The flow it called, once known to exist.
    flow: Option<Uuid>,
    /// The body, once read.
    body: Option<Bytes>,
    /// Whether the flow keeps refused bodies (`keepRefusedBodies`).
    keep: bool,
}

/// Writes a refused call to the log (off the request path).
#[allow(clippy::too_many_arguments)]
fn record(
    core: &Core,
    gate: &Gatekeeper,
    flow: Uuid,
    reason: &'static str,
    status: u16,
    message: &str,
    parts: &Parts,
    acc: &Accountability,
    seen: Seen,
) {
    crate::metrics::refused(flow, reason);
    let redactor = &core.redactor;
    let body_size = seen
        .body
        .as_ref()
        .map(|b| b.len() as u64)
        .or_else(|| declared_length(&parts.headers))
        .unwrap_or(0);
    let excerpt = seen.body.as_ref().map(|b| refused::excerpt(b, redactor));
    let kept = seen
        .body
        .filter(|_| seen.keep && refused::TRANSIENT.contains(&reason))
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    gate.refused.record(Refused {
        flow,
        at: chrono::Utc::now(),
        reason,
        status,
        message: message.to_owned(),
        ip: acc.ip.clone(),
        method: parts.method.to_string(),
        query: parts.uri.query().map(str::to_owned),
        user: acc.user,
        headers: refused::redact_headers(&parts.headers, redactor),
        body_size,
        excerpt,
        body: kept,
    });
}

/// Reads the body within `MAX_PAYLOAD_SIZE`; a body too large is a refusal, one that did not
/// arrive in time is not (nothing of it was seen).
async fn read(
    core: &Core,
    parts: &Parts,
    body: axum::body::Body,
    seen: &mut Seen,
) -> std::result::Result<Bytes, Stop> {
    match read_body(&parts.headers, body, core.config.max_payload_size).await {
        Ok(bytes) => {
            seen.body = Some(bytes.clone());
            Ok(bytes)
        }
        Err(e) if e.status() == StatusCode::REQUEST_TIMEOUT => Err(e.into()),
        Err(e) => Err(refuse("too_large", e)),
    }
}

/// The call itself, checks first (in docs/ingress.md's order).
#[allow(clippy::too_many_arguments)]
async fn deliver(
    engine: &FlowEngine,
    cache: Option<&ResponseCache>,
    gate: &Gatekeeper,
    acc: &Arc<Accountability>,
    raw_id: &str,
    parts: &Parts,
    body: axum::body::Body,
    seen: &mut Seen,
) -> std::result::Result<Response, Stop> {
    let core = engine.core();
    // Before the flow is looked up: an answer from flows a purge replaces is not stored.
    let generation = match cache {
        Some(c) => c.generation().await,
        None => 0,
    };
    let path = parts.uri.path();
    let method = &parts.method;
    let Ok(id) = Uuid::parse_str(raw_id) else {
        return Err(ApiError::route_not_found(path).into());
    };
    if !webhook_method(method) {
        return Err(ApiError::route_not_found(path).into());
    }
    let Some(flow) = engine.get(id) else {
        if engine.is_inactive(id) {
            seen.flow = Some(id);
            return Err(refuse("inactive", ApiError::forbidden()));
        }
        return Err(ApiError::forbidden().into());
    };
    seen.flow = Some(id);
    let options = match flow.webhook.as_ref() {
        Some(w) if matches!(flow.trigger, TriggerKind::Webhook | TriggerKind::Manual) => w,
        _ => return Err(ApiError::forbidden().into()),
    };
    if options.method != method {
        return Err(refuse("method_not_allowed", ApiError::forbidden()));
    }
    let ingress = &options.ingress;
    seen.keep = ingress.keep_refused_bodies;
    if !ingress.allows(acc.ip.as_deref()) {
        return Err(refuse("ip_not_allowed", ApiError::forbidden()));
    }
    if !may_trigger(&core.access.get(), acc, &flow) {
        return Err(refuse("forbidden", ApiError::forbidden()));
    }
    if let Some(rate) = &ingress.rate
        && let Err(wait) = gate.consume(flow.id, rate, acc).await
    {
        // Read only when the flow keeps refused bodies for replay: a flood costs no reads.
        if seen.keep {
            read(core, parts, body, seen).await?;
        }
        return Err(refuse("rate_limited", exceeded_error(rate.points, wait)));
    }
    let raw_query = parse_raw(&core.config, parts.uri.query());
    Query::from_params(&raw_query)?;
    let cached = cache.filter(|_| *method == Method::GET && options.cache_enabled);
    let cache_key = cached.map(|_| {
        let user = acc.user.map(|u| u.to_string());
        webhook_key(
            raw_id,
            user.as_deref(),
            &raw_query,
            &options.cache_query_params,
        )
    });
    let headers = headers_object(&parts.headers);
    let json_body = is_json(&parts.headers);
    let bytes = read(core, parts, body, seen).await?;
    if let Some(signature) = &ingress.signature {
        let secret = secret_of(core, signature)?;
        let now = chrono::Utc::now().timestamp();
        if let Err(refusal) = signature.verify(&parts.headers, &bytes, &secret, now) {
            return Err(refuse(
                refusal.reason(),
                ApiError::new(ErrorCode::InvalidSignature, refusal.message()),
            ));
        }
    }
    if let (Some(cache), Some(key)) = (cached, &cache_key)
        && let Some(hit) = cache.get(key).await
    {
        let remaining = hit
            .expires_at
            .saturating_sub(chrono::Utc::now().timestamp_millis())
            .max(0)
            / 1000;
        let scope = if acc.role.is_none() {
            "public"
        } else {
            "private"
        };
        let status = StatusCode::from_u16(hit.status).unwrap_or(StatusCode::OK);
        let mut resp = json_response(
            status,
            Some(hit.body),
            &format!("{scope}, max-age={remaining}"),
        );
        cache_status(cache, &mut resp, "HIT");
        return Ok(resp);
    }
    let body = if json_body && !bytes.iter().all(u8::is_ascii_whitespace) && *method != Method::GET
    {
        parse_strict(&bytes).map_err(|e| refuse("invalid_json", e))?
    } else {
        json!({})
    };
    if ingress
        .signature
        .as_ref()
        .is_some_and(|s| s.preset == Preset::Slack)
        && let Some(challenge) = slack_challenge(&body)
    {
        // Slack checks a new endpoint with a signed challenge, answered before any run.
        return Ok(axum::Json(json!({ "challenge": challenge })).into_response());
    }
    if flow.trigger == TriggerKind::Manual {
        manual_checks(core, acc, &flow, &body).await?;
    }
    let mut trigger = trigger_value(raw_id, raw_query, body, method.as_str(), headers);
    if ingress.raw_body
        && let Value::Object(t) = &mut trigger
    {
        t.insert(
            "rawBody".into(),
            Value::String(String::from_utf8_lossy(&bytes).into_owned()),
        );
    }
    let key = idempotency::key_of(
        trigger.get("headers").unwrap_or(&Value::Null),
        options.idempotency_key.as_ref(),
        &trigger,
    )?;
    let envelope = core.config.flows_response_envelope;
    // A repeated delivery answers what the first one answered, without a second run.
    let claim = match key {
        None => None,
        Some(key) => match idempotency::claim(core, flow.id, &key).await? {
            Delivery::Repeat { status, body, run } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                let mut resp = json_response(status, body, "no-cache");
                resp.headers_mut().insert(
                    "idempotent-replayed",
                    axum::http::HeaderValue::from_static("true"),
                );
                if let Some(run) = run.and_then(|r| axum::http::HeaderValue::from_str(&r).ok()) {
                    resp.headers_mut().insert(RUN_ID_HEADER, run);
                }
                let message = "A repeated delivery, answered from the first";
                record(
                    core,
                    gate,
                    flow.id,
                    "duplicate",
                    status.as_u16(),
                    message,
                    parts,
                    acc,
                    std::mem::take(seen),
                );
                return Ok(resp);
            }
            Delivery::First(claim) => Some(claim),
        },
    };
    // A slot of the flow's `concurrency`, held by a sync run until it ends (async runs take
    // theirs when a worker executes them).
    let slot = match &ingress.concurrency {
        None => None,
        Some(c) if options.is_async => {
            if c.reject && c.slots.available_permits() == 0 {
                if let Some(claim) = claim {
                    claim.release(core).await;
                }
                return Err(refuse("concurrency", ApiError::flows_busy(FLOW_BUSY)));
            }
            None
        }
        Some(c) => {
            let taken = if c.reject {
                c.slots.clone().try_acquire_owned().ok()
            } else {
                tokio::time::timeout(gate.concurrency_wait, c.slots.clone().acquire_owned())
                    .await
                    .ok()
                    .and_then(std::result::Result::ok)
            };
            match taken {
                Some(permit) => Some(permit),
                None => {
                    if let Some(claim) = claim {
                        claim.release(core).await;
                    }
                    return Err(refuse("concurrency", ApiError::flows_busy(FLOW_BUSY)));
                }
            }
        }
    };
    let mut input = RunInput {
        trigger,
        accountability: Some(acc.clone()),
        depth: 0,
        test: false,
        method: Some(method.to_string()),
        // A delivery with a key names its run now, so its repeats can point to it.
        run_id: claim.as_ref().map(|_| Uuid::new_v4()),
        journal: None,
        early: None,
    };
    if options.is_async {
        let status = if envelope { 202 } else { 204 };
        // Committed to the queue before the answer: a 202 is a promise the queue keeps.
        let queued = core.queue.queue(&flow, &input, Some(status), true).await;
        let run = match queued {
            Ok(run) => run,
            Err(refused) => {
                // The key stays unanswered: a retry after Retry-After is a first delivery again.
                if let Some(claim) = claim {
                    claim.release(core).await;
                }
                return Err(match refused {
                    QueueRefused::Full => ApiError::flows_busy(QUEUE_FULL),
                    QueueRefused::Failed(e) => {
                        tracing::error!(flow = %flow.id, error = %e, "could not queue an async run");
                        ApiError::flows_busy(NOT_QUEUED)
                    }
                }
                .into());
            }
        };
        if let Some(claim) = claim {
            let body = envelope.then_some(ACCEPTED_BODY);
            let accepted_status = StatusCode::from_u16(status).unwrap_or(StatusCode::ACCEPTED);
            claim.answer(core, accepted_status, body, Some(run)).await;
        }
        return Ok(accepted(envelope, run));
    }
    // The run (and its log, and what its writes invalidate) goes on without the caller: a
    // client that disconnects drops this handler, not the task, and only loses the answer.
    let runner = engine.clone();
    let caller = acc.clone();
    let run_id = input.run_id;
    // A `respond` step with `continue: true` answers before the run ends.
    let early = flow
        .operations
        .iter()
        .any(|o| o.kind == respond::RESPOND)
        .then(|| {
            let (slot, rx) = EarlyAnswer::channel();
            input.early = Some(slot);
            rx
        });
    let run = core.tasks.spawn(async move {
        let _slot = slot;
        let outcome = run::run(&runner, &flow, input, None).await;
        let answered = answer(&flow, outcome, &caller, envelope, runner.core()).await;
        if let Some(claim) = claim {
            let (status, body) = match &answered {
                Answer::Error(e) => (e.status(), Some(e.body().to_string())),
                Answer::Success(status, text) => (*status, text.clone()),
                Answer::Respond(a) => (respond::status(a), Some(respond::body_text(a))),
            };
            claim
                .answer(runner.core(), status, body.as_deref(), run_id)
                .await;
        }
        answered
    });
    let finished = match early {
        None => run.await,
        Some(rx) => {
            tokio::pin!(run);
            tokio::select! {
                done = &mut run => done,
                Ok(answer) = rx => return Ok(respond::response(&answer)),
            }
        }
    };
    let answered = finished.unwrap_or_else(|e| Answer::Error(ApiError::internal(e)));
    let (status, text) = match answered {
        Answer::Error(err) => return Ok(err.into_response()),
        Answer::Respond(a) => return Ok(respond::response(&a)),
        Answer::Success(status, text) => (status, text),
    };
    if let (Some(cache), Some(key), Some(text)) = (cached, &cache_key, &text)
        && status == StatusCode::OK
    {
        cache
            .set(generation, key, status.as_u16(), text.clone())
            .await;
        let mut resp = json_response(status, Some(text.clone()), "no-cache");
        cache_status(cache, &mut resp, "MISS");
        return Ok(resp);
    }
    Ok(json_response(status, text, "no-cache"))
}

/// Why a call is refused when its flow's `concurrency` slots are taken.
pub const FLOW_BUSY: &str =
    "This flow is already running as many times as it may; try again shortly";

/// The secret a signature is checked with: stored with the flow, or an allow-listed variable.
fn secret_of(core: &Core, signature: &Signature) -> Result<String> {
    match &signature.secret {
        Secret::Stored(s) => Ok(s.clone()),
        Secret::Env(name) => core
            .config
            .flows_env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                tracing::error!(variable = %name, "a flow's signature secret names a variable that is not allow-listed or not set");
                ApiError::internal(anyhow::anyhow!("signature secret variable {name} is not available"))
            }),
    }
}

/// What a finished sync run answers.
enum Answer {
    /// The run's rejection as a Directus error (`error_on_reject`, or a panic).
    Error(ApiError),
    /// The status and body text of a success.
    Success(StatusCode, Option<String>),
    /// What the run's last `respond` step described.
    Respond(Value),
}

/// The one answer builder of webhook calls and test runs: decides the answer, then keeps the
/// run (logged with the status it answered).
async fn answer(
    flow: &FlowDef,
    outcome: RunOutcome,
    acc: &Accountability,
    envelope: bool,
    core: &Core,
) -> Answer {
    let error_on_reject = flow.webhook.as_ref().is_some_and(|w| w.error_on_reject);
    // A run a panic ended answers 500 even when the flow answers rejections with data; with
    // the envelope on, a run that ends on `throw-error` answers its error (product.md D11).
    let answers_error = outcome.panicked || (envelope && outcome.rejection_answers);
    if (error_on_reject || answers_error)
        && let Some(err) = outcome.rejection(acc)
    {
        let code = err.status().as_u16();
        run::finish(core, flow, outcome, Some(code), false).await;
        return Answer::Error(err);
    }
    if let Some(described) = responded(flow, &outcome) {
        // The queued rest of the run logs it (with every step) when it ends.
        if outcome.handed_off {
            return Answer::Respond(described);
        }
        let status = respond::status(&described).as_u16();
        run::finish(core, flow, outcome, Some(status), false).await;
        return Answer::Respond(described);
    }
    if flow.accountability.is_none() {
        // Nothing keeps the run: its `$last` moves into the answer instead of being copied.
        let (status, text) = success_text(&outcome.into_return_value(flow), envelope);
        return Answer::Success(status, text);
    }
    let (status, text) = success_text(&outcome.return_value(flow), envelope);
    run::finish(core, flow, outcome, Some(status.as_u16()), false).await;
    Answer::Success(status, text)
}

/// The answer the run's last resolved `respond` step described.
fn responded(flow: &FlowDef, outcome: &RunOutcome) -> Option<Value> {
    outcome.steps.iter().rev().find_map(|s| {
        let op = flow.operations.iter().find(|o| o.id == s.operation)?;
        (op.kind == respond::RESPOND && s.status == run::StepStatus::Resolve)
            .then(|| outcome.chain.result(&s.key).cloned())
            .flatten()
    })
}

/// `POST /flows/{id}/test` (admins; a Sluice addition for the builder): runs a saved flow —
/// active or not — with a sample request `{method?, headers?, query?, body?}` and answers the
/// HTTP status and body a real call would get plus every step's status, options, output and
/// duration (secrets redacted). The run is logged like any other.
pub async fn test(
    engine: &FlowEngine,
    acc: Arc<Accountability>,
    raw_id: &str,
    sample: &Value,
) -> Result<Value> {
    let core = engine.core();
    let id = Uuid::parse_str(raw_id).map_err(|_| ApiError::forbidden())?;
    let flow = Arc::new(
        super::store::compile_saved(&core.db, id, &engine.registry())
            .await?
            .ok_or_else(ApiError::forbidden)?,
    );
    let default_method = flow
        .webhook
        .as_ref()
        .map_or_else(|| "POST".to_owned(), |w| w.method.to_string());
    let method = sample
        .get("method")
        .and_then(Value::as_str)
        .map_or(default_method, str::to_ascii_uppercase);
    let query = match sample.get("query") {
        Some(Value::Object(q)) => q.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(ApiError::invalid_payload("\"query\" must be an object")),
    };
    let mut headers = Map::new();
    match sample.get("headers") {
        Some(Value::Object(h)) => {
            for (k, v) in h {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                headers.insert(k.to_ascii_lowercase(), json!(text));
            }
        }
        None | Some(Value::Null) => {}
        Some(_) => return Err(ApiError::invalid_payload("\"headers\" must be an object")),
    }
    let body = sample.get("body").cloned().unwrap_or_else(|| json!({}));
    let trigger = if matches!(flow.trigger, TriggerKind::Webhook | TriggerKind::Manual) {
        trigger_value(raw_id, query, body, &method, Value::Object(headers))
    } else {
        body
    };
    let input = RunInput {
        method: Some(method),
        test: true,
        ..RunInput::new(trigger, Some(acc.clone()), 0)
    };
    let outcome = run::run(engine, &flow, input, None).await;
    let redactor = &core.redactor;
    let steps: Vec<Value> = outcome
        .steps
        .iter()
        .map(|s| {
            json!({
                "operation": s.operation.to_string(),
                "key": s.key,
                "status": s.status.as_str(),
                "options": redactor.redact_chain(&s.options),
                "data": redactor.redact_chain(outcome.chain.result(&s.key).unwrap_or(&Value::Null)),
                "duration_ms": s.duration_ms,
            })
        })
        .collect();
    let trigger = redactor.redact_chain(outcome.chain.trigger());
    let run_status = outcome.status();
    let duration_ms = outcome.duration.as_secs_f64() * 1000.0;
    let (status, body) = match answer(
        &flow,
        outcome,
        &acc,
        core.config.flows_response_envelope,
        core,
    )
    .await
    {
        Answer::Error(err) => (err.status().as_u16(), err.body()),
        Answer::Respond(a) => {
            let text = respond::body_text(&a);
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            (respond::status(&a).as_u16(), body)
        }
        Answer::Success(status, text) => (
            status.as_u16(),
            text.and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or(Value::Null),
        ),
    };
    Ok(json!({
        "status": status,
        "body": body,
        "run_status": run_status,
        "duration_ms": duration_ms,
        "steps": steps,
        "trigger": trigger,
    }))
}

/// `POST /flows/{id}/signed-test` (admins; docs/ingress.md): signs a sample body with the
/// flow's stored secret as its provider would, delivers it to the flow's webhook as a real call
/// (as the admin asking), and answers what the call was answered with the headers it carried.
pub async fn signed_test(
    engine: &FlowEngine,
    gate: &Gatekeeper,
    acc: Arc<Accountability>,
    raw_id: &str,
    sample: &Value,
) -> Result<Value> {
    let core = engine.core();
    let id = Uuid::parse_str(raw_id).map_err(|_| ApiError::forbidden())?;
    let flow = super::store::compile_saved(&core.db, id, &engine.registry())
        .await?
        .ok_or_else(ApiError::forbidden)?;
    let Some(webhook) = flow.webhook.as_ref() else {
        return Err(ApiError::invalid_payload(
            "This flow is not called by a webhook",
        ));
    };
    let Some(signature) = webhook.ingress.signature.as_ref() else {
        return Err(ApiError::invalid_payload(
            "This flow does not check signatures",
        ));
    };
    let body = match sample.get("body") {
        None | Some(Value::Null) => json!({"hello": "world"}),
        Some(b) => b.clone(),
    };
    let bytes = serde_json::to_vec(&body).map_err(ApiError::internal)?;
    let secret = secret_of(core, signature)?;
    let now = chrono::Utc::now().timestamp();
    let message_id = format!("msg_{}", Uuid::new_v4().simple());
    let signed = signature.sign(&bytes, &secret, now, &message_id);
    let mut req = axum::http::Request::builder()
        .method(webhook.method.clone())
        .uri(format!("/flows/trigger/{id}"))
        .header(axum::http::header::CONTENT_TYPE, "application/json");
    for (name, value) in &signed {
        req = req.header(name.as_str(), value.as_str());
    }
    let req = req
        .body(axum::body::Body::from(bytes))
        .map_err(ApiError::internal)?;
    let resp = match handle(engine, None, gate, acc, raw_id, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    let status = resp.status().as_u16();
    let text = axum::body::to_bytes(resp.into_body(), core.config.max_payload_size)
        .await
        .unwrap_or_default();
    let answer = serde_json::from_slice::<Value>(&text)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&text).into_owned()));
    let headers: Map<String, Value> = signed
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Ok(json!({"status": status, "headers": headers, "body": answer}))
}

/// Adds `CACHE_STATUS_HEADER: HIT|MISS` when configured.
fn cache_status(cache: &ResponseCache, resp: &mut Response, value: &'static str) {
    if let Some(name) = cache.status_header.as_deref()
        && let Ok(h) = axum::http::HeaderName::from_bytes(name.as_bytes())
    {
        resp.headers_mut()
            .insert(h, axum::http::HeaderValue::from_static(value));
    }
}

/// Methods a webhook flow may answer (D1).
pub fn webhook_method(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::HEAD
    )
}

/// D2: admins always; others through a `trigger` permission on `directus_flows` whose item
/// filter selects this flow (null or `{}` = every flow).
pub fn may_trigger(snapshot: &AccessSnapshot, acc: &Accountability, flow: &FlowDef) -> bool {
    if acc.admin {
        return true;
    }
    let record = &flow.record;
    snapshot
        .permissions(&acc.policies, "directus_flows", "trigger")
        .any(|row| match &row.permissions {
            None | Some(Value::Null) => true,
            Some(Value::Object(o)) if o.is_empty() => true,
            Some(filter) => validate(filter, record, Mode::RequireAll).is_ok(),
        })
}

/// Node's lower-cased header map: repeated headers joined with ", " (set-cookie as a list).
pub fn headers_object(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for (name, value) in headers {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let key = name.as_str();
        if key == "set-cookie" {
            match out.get_mut(key) {
                Some(Value::Array(a)) => a.push(json!(text)),
                _ => {
                    out.insert(key.to_owned(), json!([text]));
                }
            }
            continue;
        }
        match out.get_mut(key) {
            Some(Value::String(s)) => {
                s.push_str(", ");
                s.push_str(&text);
            }
            _ => {
                out.insert(key.to_owned(), json!(text));
            }
        }
    }
    Value::Object(out)
}

/// `$trigger` = `{path, query, body, method, headers}` plus the top-level fields of an object
/// body beside (never over) those five keys (S1).
pub fn trigger_value(
    flow_id: &str,
    query: Map<String, Value>,
    body: Value,
    method: &str,
    headers: Value,
) -> Value {
    let mut t = Map::with_capacity(5 + body.as_object().map_or(0, Map::len));
    t.insert("path".into(), json!(format!("/trigger/{flow_id}")));
    t.insert("query".into(), Value::Object(query));
    t.insert("method".into(), json!(method));
    t.insert("headers".into(), headers);
    if let Value::Object(fields) = &body {
        for (k, v) in fields {
            if !matches!(k.as_str(), "path" | "query" | "body" | "method" | "headers") {
                t.insert(k.clone(), v.clone());
            }
        }
    }
    t.insert("body".into(), body);
    Value::Object(t)
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// A JSON answer from pre-serialised text.
pub fn json_response(status: StatusCode, body: Option<String>, cache_control: &str) -> Response {
    let mut resp = match body {
        Some(text) => (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            text,
        )
            .into_response(),
        None => status.into_response(),
    };
    let value = if cache_control == "no-cache" {
        Ok(axum::http::HeaderValue::from_static("no-cache"))
    } else {
        axum::http::HeaderValue::from_str(cache_control)
    };
    if let Ok(v) = value {
        resp.headers_mut()
            .insert(axum::http::header::CACHE_CONTROL, v);
    }
    resp
}

/// The success status and body text, serialised straight from the value.
pub fn success_text(value: &Value, envelope: bool) -> (StatusCode, Option<String>) {
    #[derive(serde::Serialize)]
    struct Envelope<'a> {
        data: &'a Value,
    }
    if envelope {
        let text = serde_json::to_string(&Envelope { data: value }).unwrap_or_default();
        (StatusCode::OK, Some(text))
    } else if truthy(value) {
        (StatusCode::OK, Some(value.to_string()))
    } else {
        (StatusCode::NO_CONTENT, None)
    }
}

/// The success answer.
pub fn success(value: Value, envelope: bool) -> Response {
    let (status, body) = success_text(&value, envelope);
    json_response(status, body, "no-cache")
}

/// Why a call is refused when `FLOWS_QUEUE_MAX` async runs wait.
pub const QUEUE_FULL: &str = "Too many runs are waiting; try again shortly";

/// What an async call is answered when the database did not take its run.
const NOT_QUEUED: &str = "The run could not be queued; try again shortly";

/// The header naming the run an async call queued (and a repeat of it).
pub const RUN_ID_HEADER: &str = "x-run-id";

/// The body of an accepted async call (with the envelope on).
const ACCEPTED_BODY: &str = r#"{"data":null}"#;

/// The answer of an async webhook: 202 `{"data": null}` (D3) or Directus's 204, with the
/// queued run's id in `X-Run-Id`.
pub fn accepted(envelope: bool, run: Uuid) -> Response {
    let mut resp = if envelope {
        (
            StatusCode::ACCEPTED,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            ACCEPTED_BODY,
        )
            .into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    };
    if let Ok(id) = axum::http::HeaderValue::from_str(&run.to_string()) {
        resp.headers_mut().insert(RUN_ID_HEADER, id);
    }
    resp
}

/// The checks of a manual trigger (directus.md §2.4): a collection the flow lists, selected
/// keys when `requireSelection`, and — for non-admins — read access to the collection and to
/// every key. Each failure is the generic 403.
async fn manual_checks(
    core: &Core,
    acc: &Arc<Accountability>,
    flow: &FlowDef,
    body: &Value,
) -> Result<()> {
    let collection = body
        .get("collection")
        .and_then(Value::as_str)
        .ok_or_else(ApiError::forbidden)?;
    let allowed = flow
        .options
        .get("collections")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
        .ok_or_else(ApiError::forbidden)?;
    if !allowed.iter().any(|c| c.as_str() == Some(collection)) {
        return Err(ApiError::forbidden());
    }
    let keys: Vec<Value> = body
        .get("keys")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let require_selection = flow
        .options
        .get("requireSelection")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if require_selection && keys.is_empty() {
        return Err(ApiError::forbidden());
    }
    if !acc.admin {
        let ctx = core.items_ctx(acc.clone());
        let items = crate::items::Items::new(&core.db, &ctx, collection)
            .map_err(|_| ApiError::forbidden())?;
        let q = Query {
            limit: Some(1),
            ..Query::default()
        };
        items
            .read_by_query(&q)
            .await
            .map_err(|_| ApiError::forbidden())?;
        if !keys.is_empty() {
            let found = items
                .read_many(&keys, &Query::default())
                .await
                .map_err(|_| ApiError::forbidden())?;
            if found.len() != keys.len() {
                return Err(ApiError::forbidden());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_lifts_body_fields_beside_the_five_keys() {
        let t = trigger_value(
            "f",
            Map::new(),
            json!({"customer_id": 7, "method": "evil", "items": [1]}),
            "POST",
            json!({}),
        );
        assert_eq!(t["customer_id"], 7);
        assert_eq!(t["items"], json!([1]));
        assert_eq!(t["method"], "POST");
        assert_eq!(t["body"]["method"], "evil");
        assert_eq!(t["path"], "/trigger/f");
    }

    #[test]
    fn headers_are_lower_case_and_joined() {
        let mut h = HeaderMap::new();
        h.append("X-Thing", "a".parse().unwrap());
        h.append("x-thing", "b".parse().unwrap());
        h.append("set-cookie", "c=1".parse().unwrap());
        let v = headers_object(&h);
        assert_eq!(v["x-thing"], "a, b");
        assert_eq!(v["set-cookie"], json!(["c=1"]));
    }

    #[test]
    fn envelope_and_directus_bodies() {
        assert_eq!(success(json!(null), true).status(), StatusCode::OK);
        assert_eq!(success(json!(null), false).status(), StatusCode::NO_CONTENT);
        assert_eq!(success(json!(0), false).status(), StatusCode::NO_CONTENT);
        assert_eq!(success(json!({"a": 1}), false).status(), StatusCode::OK);
        assert_eq!(accepted(true, Uuid::nil()).status(), StatusCode::ACCEPTED);
        assert_eq!(
            accepted(false, Uuid::nil()).status(),
            StatusCode::NO_CONTENT
        );
    }
}
