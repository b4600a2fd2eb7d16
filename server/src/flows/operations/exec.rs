//! `exec` ("Run Script", directus.md §4.10): `module.exports = async function(data) {…}` in a
//! fresh QuickJS runtime per run — no filesystem, network, timers or `require` — with
//! `FLOWS_RUN_SCRIPT_TIMEOUT` (evaluation and call) and `FLOWS_RUN_SCRIPT_MAX_MEMORY`, `$env` as
//! `process.env`, and `console.*` going to the server log, redacted like run logs. It runs on a
//! blocking thread.

use std::rc::Rc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rquickjs::function::Rest;
use rquickjs::promise::PromiseState;
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Object, Runtime};
use serde_json::Value;

use super::context::{OpContext, OpError, Operation};
use crate::flows::redact::{Redactor, Scope};

pub struct Exec;

/// Limits for one script run.
#[derive(Clone, Copy, Debug)]
pub struct ScriptLimits {
    pub timeout: Duration,
    pub memory_bytes: usize,
}

const TIMED_OUT: &str = "Script execution timed out.";

fn error_of(e: CaughtError<'_>, deadline: Instant) -> OpError {
    if Instant::now() >= deadline {
        return OpError::error(TIMED_OUT);
    }
    match e {
        CaughtError::Exception(ex) => {
            let name = ex
                .get::<_, String>("name")
                .unwrap_or_else(|_| "Error".into());
            let message = ex.message().unwrap_or_default();
            if message.contains("out of memory") {
                return OpError::Error {
                    name: "RangeError".into(),
                    message: "Array buffer allocation failed".into(),
                };
            }
            OpError::Error { name, message }
        }
        CaughtError::Value(v) => {
            let text = v
                .as_string()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_else(|| "Script threw a non-error value".into());
            OpError::Value(serde_json::from_str(&text).unwrap_or(Value::String(text)))
        }
        CaughtError::Error(e) => {
            let text = e.to_string();
            if text.contains("out of memory") || text.contains("Allocation") {
                OpError::Error {
                    name: "RangeError".into(),
                    message: "Array buffer allocation failed".into(),
                }
            } else {
                OpError::error(text)
            }
        }
    }
}

/// One `console.*` line as the server log gets it: the arguments joined with spaces (objects
/// as JSON), secret-named values, copies of them and allow-listed env values redacted.
fn console_line(args: &[rquickjs::Value<'_>], redaction: &Scope<'_>) -> String {
    let mut line = String::new();
    for (i, v) in args.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        let value = match v.as_string().and_then(|s| s.to_string().ok()) {
            Some(text) => Value::String(text),
            None => v
                .ctx()
                .json_stringify(v.clone())
                .ok()
                .flatten()
                .and_then(|s| s.to_string().ok())
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_else(|| Value::String("undefined".into())),
        };
        match redaction.redact(&value) {
            Value::String(text) => line.push_str(&text),
            other => line.push_str(&other.to_string()),
        }
    }
    line
}

fn install_globals(
    ctx: &Ctx<'_>,
    env_json: &str,
    redaction: &Rc<Scope<'static>>,
) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    let module = Object::new(ctx.clone())?;
    module.set("exports", rquickjs::Value::new_null(ctx.clone()))?;
    globals.set("module", module)?;
    let process = Object::new(ctx.clone())?;
    process.set("env", ctx.json_parse(env_json)?)?;
    globals.set("process", process)?;
    let console = Object::new(ctx.clone())?;
    for level in ["log", "info", "warn", "error", "trace", "debug"] {
        let lvl = level.to_owned();
        let redaction = redaction.clone();
        let f = Function::new(ctx.clone(), move |args: Rest<rquickjs::Value<'_>>| {
            let line = console_line(&args.0, &redaction);
            match lvl.as_str() {
                "error" => tracing::error!(target: "flows::exec", "{line}"),
                "warn" => tracing::warn!(target: "flows::exec", "{line}"),
                "debug" | "trace" => tracing::debug!(target: "flows::exec", "{line}"),
                _ => tracing::info!(target: "flows::exec", "{line}"),
            }
        })?;
        console.set(level, f)?;
    }
    globals.set("console", console)?;
    Ok(())
}

/// Runs a script synchronously (call from a blocking thread).
pub fn run_script(
    code: &str,
    data: &Value,
    env: &Value,
    limits: ScriptLimits,
) -> Result<Value, OpError> {
    let rt = Runtime::new().map_err(|e| OpError::error(e.to_string()))?;
    rt.set_memory_limit(limits.memory_bytes);
    rt.set_max_stack_size(512 * 1024);
    // An absurd FLOWS_RUN_SCRIPT_TIMEOUT means "a year", not an Instant overflow.
    let deadline = Instant::now()
        .checked_add(limits.timeout)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(365 * 86_400));
    rt.set_interrupt_handler(Some(Box::new(move || Instant::now() >= deadline)));
    let context = Context::full(&rt).map_err(|e| OpError::error(e.to_string()))?;
    let data_json = data.to_string();
    let env_json = env.to_string();
    // Console output is redacted like run logs: the script sees only cast env values, and the
    // secrets of the chain it was given.
    let mut redaction = Scope::owning(Redactor::from_env(env));
    redaction.learn(data);
    let redaction = Rc::new(redaction);
    context.with(|ctx| -> Result<Value, OpError> {
        install_globals(&ctx, &env_json, &redaction)
            .catch(&ctx)
            .map_err(|e| error_of(e, deadline))?;
        ctx.eval::<(), _>(code)
            .catch(&ctx)
            .map_err(|e| error_of(e, deadline))?;
        let module: Object<'_> = ctx
            .globals()
            .get("module")
            .map_err(|e| OpError::error(e.to_string()))?;
        let exported: rquickjs::Value<'_> = module
            .get("exports")
            .map_err(|e| OpError::error(e.to_string()))?;
        let Some(func) = exported.as_function() else {
            return Err(OpError::Error {
                name: "TypeError".into(),
                message: "module.exports is not a function".into(),
            });
        };
        let arg = ctx
            .json_parse(data_json.clone())
            .map_err(|e| OpError::error(e.to_string()))?;
        let mut result: rquickjs::Value<'_> = func
            .call((arg,))
            .catch(&ctx)
            .map_err(|e| error_of(e, deadline))?;
        if let Some(promise) = result.as_promise().cloned() {
            loop {
                match promise.state() {
                    PromiseState::Pending => {
                        if Instant::now() >= deadline {
                            return Err(OpError::error(TIMED_OUT));
                        }
                        if !ctx.execute_pending_job() {
                            return Err(OpError::error(
                                "The script's promise never settled (timers and I/O are not available)",
                            ));
                        }
                    }
                    PromiseState::Resolved | PromiseState::Rejected => {
                        result = promise
                            .finish::<rquickjs::Value<'_>>()
                            .catch(&ctx)
                            .map_err(|e| error_of(e, deadline))?;
                        break;
                    }
                }
            }
        }
        if result.is_undefined() || result.is_null() {
            return Ok(Value::Null);
        }
        let text = ctx
            .json_stringify(result)
            .catch(&ctx)
            .map_err(|e| error_of(e, deadline))?
            .and_then(|s| s.to_string().ok());
        match text {
            Some(t) => serde_json::from_str(&t).map_err(|e| OpError::error(e.to_string())),
            None => Ok(Value::Null),
        }
    })
}

#[async_trait]
impl Operation for Exec {
    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let config = &ctx.core.config;
        let limits = ScriptLimits {
            timeout: config.flows_run_script_timeout,
            memory_bytes: (config.flows_run_script_max_memory_mb as usize).max(1) * 1024 * 1024,
        };
        // Each sandbox may use its whole memory limit: wait (up to the script's own timeout)
        // for one of FLOWS_RUN_SCRIPT_CONCURRENCY turns before copying anything for it.
        let Some(turn) = ctx.core.script_turn(limits.timeout).await else {
            return Err(OpError::error(format!(
                "No script sandbox became free within {} ms (FLOWS_RUN_SCRIPT_CONCURRENCY)",
                limits.timeout.as_millis()
            )));
        };
        let code = options
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("module.exports = async function(data) { return {}; }")
            .to_owned();
        let data = ctx.chain.snapshot();
        let env = data.get("$env").cloned().unwrap_or(Value::Null);
        // The turn moves into the blocking task: a run that stops waiting cannot free it
        // while the sandbox still runs.
        tokio::task::spawn_blocking(move || {
            let out = run_script(&code, &data, &env, limits);
            drop(turn);
            out
        })
        .await
        .map_err(|_| {
            tracing::error!("an exec sandbox panicked");
            OpError::error("The script sandbox failed unexpectedly")
        })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limits() -> ScriptLimits {
        ScriptLimits {
            timeout: Duration::from_millis(500),
            memory_bytes: 16 * 1024 * 1024,
        }
    }

    fn run(code: &str) -> Result<Value, OpError> {
        run_script(
            code,
            &json!({"$trigger": {"n": 2}}),
            &json!({"TOKEN": "t"}),
            limits(),
        )
    }

    fn message(r: Result<Value, OpError>) -> String {
        match r {
            Err(OpError::Error { message, .. }) => message,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn sync_and_async_functions_resolve() {
        assert_eq!(
            run("module.exports = function(data) { return {n: data.$trigger.n * 2}; }").unwrap(),
            json!({"n": 4})
        );
        assert_eq!(
            run(
                "module.exports = async function(data) { await null; return [process.env.TOKEN]; }"
            )
            .unwrap(),
            json!(["t"])
        );
        assert_eq!(
            run("module.exports = () => undefined").unwrap(),
            Value::Null
        );
    }

    #[test]
    fn errors_reject() {
        assert!(
            matches!(run("module.exports = function( {"), Err(OpError::Error { name, .. }) if name == "SyntaxError")
        );
        assert_eq!(
            message(run("module.exports = 5")),
            "module.exports is not a function"
        );
        assert!(
            message(run("module.exports = () => require('fs')")).contains("require is not defined")
        );
        assert_eq!(
            message(run("module.exports = () => { throw new Error('boom'); }")),
            "boom"
        );
        assert_eq!(
            message(run(
                "module.exports = async () => { throw new Error('later'); }"
            )),
            "later"
        );
    }

    #[test]
    fn timeouts_at_load_and_call() {
        assert_eq!(message(run("while (true) {}")), TIMED_OUT);
        assert_eq!(
            message(run("module.exports = () => { while (true) {} }")),
            TIMED_OUT
        );
    }

    #[test]
    fn memory_is_limited() {
        let r = run(
            "module.exports = () => { const a = []; while (true) { a.push(new Array(100000).fill(1)); } }",
        );
        assert!(matches!(r, Err(OpError::Error { .. })), "{r:?}");
    }

    /// What a script's `console.*` calls write to the server log.
    fn console_output(code: &str, data: &Value, env: &Value) -> String {
        #[derive(Clone, Default)]
        struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            run_script(code, data, env, limits()).expect("script runs");
        });
        let bytes = buffer.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn console_output_is_redacted() {
        let data = json!({
            "$trigger": {"headers": {"x-api-key": "header-key-1"},
                         "password": "lifted-pw-2",
                         "body": {"password": "lifted-pw-2", "note": "plain words"}},
            "$env": {"NUM": 987654, "LIST": ["list-secret-3", 31337], "JSON": {"k": "json-secret-4"}}
        });
        let env = data["$env"].clone();
        let out = console_output(
            r#"module.exports = function(data) {
                console.log("pw", data.$trigger.body.password, data.$trigger.note);
                console.info(data.$trigger);
                console.warn({"Authorization": "Bearer inline-token-5", "ok": 1});
                console.error(process.env.NUM, process.env.LIST, process.env.JSON);
                console.debug(process.env.LIST.join(","), "n=" + process.env.NUM);
                console.log(JSON.stringify({api_key: "inline-key-6"}));
                console.log(data.$trigger.body.note);
            }"#,
            &data,
            &env,
        );
        for secret in [
            "header-key-1",
            "lifted-pw-2",
            "987654",
            "list-secret-3",
            "31337",
            "json-secret-4",
            "inline-token-5",
            "inline-key-6",
        ] {
            assert!(!out.contains(secret), "{secret} in the log: {out}");
        }
        assert!(out.contains("plain words"), "{out}");
        assert!(out.contains("--redacted--"), "{out}");
        assert!(out.contains("--redacted:NUM--"), "{out}");
        assert!(out.contains("--redacted:LIST--"), "{out}");
        assert!(out.contains("\"ok\":1"), "{out}");
    }

    #[test]
    fn no_timers_or_network() {
        let r = run("module.exports = () => new Promise(r => setTimeout(r, 10))");
        assert!(r.is_err());
        let r = run("module.exports = () => typeof fetch");
        assert_eq!(r.unwrap(), json!("undefined"));
    }
}
