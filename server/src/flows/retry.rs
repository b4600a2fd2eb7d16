//! Retries of queued runs (issue 13 point 4): a flow's `options.retry` —
//! `{"attempts": 3, "backoff": "fixed" | "exponential", "delay": "1s", "max": "5m",
//! "on": ["request", "throw", "reject"]}` — puts a failed queued run back in the queue, due
//! after a delay, each attempt logged as a row of its own (`attempt` 1, 2, …; `retrying` while
//! another attempt follows); the last failed attempt stays `failed`: the dead letter.
//!
//! Which failures retry, by the step the run ended on: `request` — a Web request answered 5xx
//! or not at all (timeout, refused connection); `throw` — a "Stop with error"; `reject` — any
//! other rejecting step (a request's 4xx, a condition that did not match, an item step
//! refused). By default only `request`: the transient kind. A retry continues from the step
//! that failed: the steps before it are reused from the run's journal.

use std::time::Duration;

use serde_json::Value;

use super::model::FlowDef;
use super::run::outcome::{RunOutcome, StepStatus};
use crate::util::duration::parse_duration;

/// The most attempts a flow may ask for.
pub const MAX_ATTEMPTS: u32 = 20;

/// The kind of failure a run ended on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Request,
    Throw,
    Reject,
}

impl Failure {
    fn name(self) -> &'static str {
        match self {
            Failure::Request => "request",
            Failure::Throw => "throw",
            Failure::Reject => "reject",
        }
    }
}

/// A flow's retry policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    /// Attempts in all, the first included (at least 2 when a policy exists).
    pub attempts: u32,
    pub exponential: bool,
    pub delay: Duration,
    pub max: Duration,
    on: Vec<Failure>,
}

impl Retry {
    /// The policy in `options.retry`; `None` without one (or with fewer than 2 attempts).
    pub fn of(options: &Value) -> Option<Retry> {
        let r = options.get("retry")?;
        let attempts = r
            .get("attempts")
            .and_then(|a| a.as_u64().or_else(|| a.as_str()?.trim().parse().ok()))
            .map_or(1, |a| {
                u32::try_from(a).unwrap_or(MAX_ATTEMPTS).min(MAX_ATTEMPTS)
            });
        if attempts < 2 {
            return None;
        }
        let time = |key: &str, default: Duration| {
            r.get(key)
                .and_then(|v| match v {
                    Value::String(s) => parse_duration(s),
                    Value::Number(n) => n.as_u64().map(Duration::from_millis),
                    _ => None,
                })
                .unwrap_or(default)
        };
        let on = match r.get("on") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|s| match s {
                    "request" => Some(Failure::Request),
                    "throw" => Some(Failure::Throw),
                    "reject" => Some(Failure::Reject),
                    _ => None,
                })
                .collect(),
            _ => vec![Failure::Request],
        };
        let delay = time("delay", Duration::from_secs(1));
        Some(Retry {
            attempts,
            exponential: r.get("backoff").and_then(Value::as_str) == Some("exponential"),
            delay,
            max: time("max", Duration::from_secs(300)).max(delay),
            on,
        })
    }

    /// Whether a run that ended this way after attempt `attempt` is tried again.
    pub fn again(&self, attempt: u32, failure: Option<Failure>) -> bool {
        attempt < self.attempts && failure.is_some_and(|f| self.on.contains(&f))
    }

    /// The wait before attempt `next` (2, 3, …): the delay, or with exponential backoff the
    /// delay doubled for each attempt before, never more than `max`.
    pub fn wait_before(&self, next: u32) -> Duration {
        if !self.exponential {
            return self.delay;
        }
        let doublings = next.saturating_sub(2).min(30);
        self.delay.saturating_mul(1 << doublings).min(self.max)
    }

    /// The kinds this policy retries, as the docs name them.
    pub fn on(&self) -> Vec<&'static str> {
        self.on.iter().map(|f| f.name()).collect()
    }
}

/// What a run failed on, if it failed (an aborted run is not retried).
pub fn failure(flow: &FlowDef, outcome: &RunOutcome) -> Option<Failure> {
    if outcome.aborted.is_some() || outcome.status() != "failed" {
        return None;
    }
    let last = outcome.steps.last()?;
    if last.status != StepStatus::Reject {
        return Some(Failure::Reject);
    }
    let kind = flow
        .operations
        .iter()
        .find(|o| o.id == last.operation)
        .map_or("", |o| o.kind.as_str());
    Some(match kind {
        "throw-error" => Failure::Throw,
        "request" => {
            // The response object of a non-2xx answer, or an error without a status (timeout,
            // refused connection).
            let status = outcome
                .chain
                .result(&last.key)
                .and_then(|v| v.get("status"))
                .and_then(Value::as_u64);
            match status {
                Some(s) if s < 500 => Failure::Reject,
                _ => Failure::Request,
            }
        }
        _ => Failure::Reject,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_policy_reads_its_options_with_defaults() {
        assert_eq!(Retry::of(&json!({})), None);
        assert_eq!(Retry::of(&json!({"retry": {"attempts": 1}})), None);
        let r = Retry::of(&json!({"retry": {"attempts": "3"}})).unwrap();
        assert_eq!(
            (r.attempts, r.exponential, r.delay),
            (3, false, Duration::from_secs(1))
        );
        assert_eq!(r.on(), ["request"]);
        let many = Retry::of(&json!({"retry": {"attempts": 99, "on": ["throw", "reject", "x"]}}));
        assert_eq!(many.as_ref().map(|r| r.attempts), Some(MAX_ATTEMPTS));
        assert_eq!(many.unwrap().on(), ["throw", "reject"]);
    }

    #[test]
    fn exponential_backoff_doubles_up_to_the_maximum() {
        let r = Retry::of(&json!({"retry": {"attempts": 6, "backoff": "exponential",
                                             "delay": "100ms", "max": "350ms"}}))
        .unwrap();
        let waits: Vec<u128> = (2..=6).map(|n| r.wait_before(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 350, 350, 350]);
        let fixed = Retry::of(&json!({"retry": {"attempts": 3, "delay": 250}})).unwrap();
        assert_eq!(fixed.wait_before(3), Duration::from_millis(250));
    }

    #[test]
    fn only_the_listed_failures_retry_and_never_past_the_last_attempt() {
        let r = Retry::of(&json!({"retry": {"attempts": 3, "on": ["throw"]}})).unwrap();
        assert!(r.again(1, Some(Failure::Throw)));
        assert!(r.again(2, Some(Failure::Throw)));
        assert!(!r.again(3, Some(Failure::Throw)));
        assert!(!r.again(1, Some(Failure::Request)));
        assert!(!r.again(1, None));
    }
}
