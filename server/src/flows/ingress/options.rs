//! The webhook trigger's ingress options — `signature`, `rawBody`, `rateLimit`,
//! `concurrency`, `ipAllowList`, `keepRefusedBodies` (docs/ingress.md) — read once when a flow
//! is compiled, and checked when it is saved so a value the engine could not use is refused.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::Semaphore;

use super::signature::Signature;
use crate::access::ip::IpRule;
use crate::util::duration::parse_duration;

/// The most runs of one flow `concurrency.max` may allow at once.
pub const MAX_CONCURRENCY: u64 = 10_000;

/// What a per-flow rate limit counts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Ip,
    Token,
    Global,
}

/// `rateLimit`: `points` calls per `duration`.
#[derive(Clone, Debug)]
pub struct FlowRate {
    pub points: u32,
    pub duration: Duration,
    pub by: By,
}

/// `concurrency`: the flow's run slots on this instance.
#[derive(Clone, Debug)]
pub struct Concurrency {
    pub max: usize,
    /// `whenFull: "reject"`.
    pub reject: bool,
    /// Shared by every run of this compiled flow.
    pub slots: Arc<Semaphore>,
}

/// A webhook flow's ingress options.
#[derive(Clone, Debug, Default)]
pub struct Ingress {
    pub signature: Option<Signature>,
    pub raw_body: bool,
    pub rate: Option<FlowRate>,
    pub concurrency: Option<Concurrency>,
    /// `None`: every address.
    pub allow: Option<Vec<IpRule>>,
    pub keep_refused_bodies: bool,
}

impl Ingress {
    /// Reads the options; the first problem as a save's error message says it.
    pub fn parse(options: &Value) -> Result<Ingress, String> {
        match options {
            Value::Object(o) => Ingress::parse_map(o),
            _ => Ok(Ingress::default()),
        }
    }

    /// [`Ingress::parse`] of an options object.
    pub fn parse_map(o: &Map<String, Value>) -> Result<Ingress, String> {
        Ok(Ingress {
            signature: Signature::parse(o.get("signature").unwrap_or(&Value::Null))?,
            raw_body: flag(o, "rawBody")?,
            rate: rate(o.get("rateLimit").unwrap_or(&Value::Null))?,
            concurrency: concurrency(o.get("concurrency").unwrap_or(&Value::Null))?,
            allow: allow_list(o.get("ipAllowList").unwrap_or(&Value::Null))?,
            keep_refused_bodies: flag(o, "keepRefusedBodies")?,
        })
    }

    /// The options as compiled for a run: what cannot be used is left out (saving refuses it,
    /// so only flows written before these checks existed can hold it).
    pub fn compile(options: &Value) -> Ingress {
        Ingress::parse(options).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "a flow's ingress options cannot be used; they are ignored");
            Ingress::default()
        })
    }

    /// Whether the caller's address may call the flow.
    pub fn allows(&self, ip: Option<&str>) -> bool {
        let Some(rules) = &self.allow else {
            return true;
        };
        let Some(ip) = ip.and_then(crate::access::ip::normalize) else {
            return false;
        };
        rules.iter().any(|r| r.matches(&ip))
    }
}

fn flag(o: &Map<String, Value>, key: &str) -> Result<bool, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("\"options.{key}\" must be true or false")),
    }
}

fn whole(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.trim().parse().ok())
}

fn rate(v: &Value) -> Result<Option<FlowRate>, String> {
    let o = match v {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => return Err("\"options.rateLimit\" must be an object".into()),
    };
    if let Some(key) = o
        .keys()
        .find(|k| !["points", "duration", "by"].contains(&k.as_str()))
    {
        return Err(format!(
            "\"options.rateLimit.{key}\" is not a rate limit setting (points, duration, by)"
        ));
    }
    let points = match o.get("points") {
        None | Some(Value::Null) => return Ok(None),
        Some(p) => whole(p)
            .filter(|p| *p > 0)
            .and_then(|p| u32::try_from(p).ok())
            .ok_or("\"options.rateLimit.points\" must be a whole number above 0")?,
    };
    let duration = match o.get("duration") {
        None | Some(Value::Null) => Duration::from_secs(1),
        Some(Value::String(s)) => parse_duration(s)
            .filter(|d| !d.is_zero())
            .ok_or("\"options.rateLimit.duration\" must be a duration such as \"1m\"")?,
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
            .ok_or("\"options.rateLimit.duration\" must be a duration such as \"1m\"")?,
        Some(_) => {
            return Err("\"options.rateLimit.duration\" must be a duration such as \"1m\"".into());
        }
    };
    let by = match o.get("by") {
        None | Some(Value::Null) => By::Ip,
        Some(Value::String(b)) if b == "ip" => By::Ip,
        Some(Value::String(b)) if b == "token" => By::Token,
        Some(Value::String(b)) if b == "global" => By::Global,
        Some(_) => {
            return Err("\"options.rateLimit.by\" must be \"ip\", \"token\" or \"global\"".into());
        }
    };
    Ok(Some(FlowRate {
        points,
        duration,
        by,
    }))
}

fn concurrency(v: &Value) -> Result<Option<Concurrency>, String> {
    let o = match v {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => return Err("\"options.concurrency\" must be an object".into()),
    };
    if let Some(key) = o
        .keys()
        .find(|k| !["max", "whenFull"].contains(&k.as_str()))
    {
        return Err(format!(
            "\"options.concurrency.{key}\" is not a concurrency setting (max, whenFull)"
        ));
    }
    let max = match o.get("max") {
        None | Some(Value::Null) => return Ok(None),
        Some(m) => whole(m)
            .filter(|m| (1..=MAX_CONCURRENCY).contains(m))
            .ok_or(format!(
                "\"options.concurrency.max\" must be a whole number from 1 to {MAX_CONCURRENCY}"
            ))?,
    };
    let reject = match o.get("whenFull") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) if s == "queue" => false,
        Some(Value::String(s)) if s == "reject" => true,
        Some(_) => {
            return Err("\"options.concurrency.whenFull\" must be \"queue\" or \"reject\"".into());
        }
    };
    let max = usize::try_from(max).unwrap_or(1);
    Ok(Some(Concurrency {
        max,
        reject,
        slots: Arc::new(Semaphore::new(max)),
    }))
}

fn allow_list(v: &Value) -> Result<Option<Vec<IpRule>>, String> {
    let entries = match v {
        Value::Null => return Ok(None),
        Value::Array(a) => a,
        _ => return Err("\"options.ipAllowList\" must be a list of addresses".into()),
    };
    if entries.is_empty() {
        return Ok(None);
    }
    entries
        .iter()
        .map(|e| {
            e.as_str().and_then(IpRule::parse).ok_or_else(|| {
                format!("\"options.ipAllowList\": {e} is not an address or a CIDR range")
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_option_read() {
        let i = Ingress::parse(&json!({
            "signature": {"preset": "github", "secret": "s"},
            "rawBody": true,
            "rateLimit": {"points": 5, "duration": "1m", "by": "token"},
            "concurrency": {"max": 2, "whenFull": "reject"},
            "ipAllowList": ["10.0.0.0/8", "2001:db8::1"],
            "keepRefusedBodies": true,
        }))
        .unwrap();
        assert!(i.signature.is_some() && i.raw_body && i.keep_refused_bodies);
        let rate = i.rate.as_ref().unwrap();
        assert_eq!(
            (rate.points, rate.duration, rate.by),
            (5, Duration::from_secs(60), By::Token)
        );
        let c = i.concurrency.as_ref().unwrap();
        assert!(c.reject && c.max == 2 && c.slots.available_permits() == 2);
        assert!(i.allows(Some("10.1.2.3")));
        assert!(i.allows(Some("::ffff:10.1.2.3")));
        assert!(i.allows(Some("2001:db8::1")));
        assert!(!i.allows(Some("11.0.0.1")));
        assert!(!i.allows(None), "an unknown address is not on the list");
        assert!(Ingress::parse(&json!({})).unwrap().allows(None));
        assert!(
            Ingress::parse(&json!({"ipAllowList": []}))
                .unwrap()
                .allow
                .is_none()
        );
    }

    #[test]
    fn unusable_options_are_named() {
        let bad = [
            (json!({"rawBody": "yes"}), "options.rawBody"),
            (json!({"rateLimit": 5}), "options.rateLimit"),
            (
                json!({"rateLimit": {"points": 0}}),
                "options.rateLimit.points",
            ),
            (
                json!({"rateLimit": {"points": 1, "duration": "soon"}}),
                "options.rateLimit.duration",
            ),
            (
                json!({"rateLimit": {"points": 1, "by": "country"}}),
                "options.rateLimit.by",
            ),
            (json!({"rateLimit": {"per": 1}}), "options.rateLimit.per"),
            (
                json!({"concurrency": {"max": 0}}),
                "options.concurrency.max",
            ),
            (
                json!({"concurrency": {"max": 1, "whenFull": "drop"}}),
                "options.concurrency.whenFull",
            ),
            (json!({"ipAllowList": "10.0.0.1"}), "options.ipAllowList"),
            (
                json!({"ipAllowList": ["10.0.0.300"]}),
                "options.ipAllowList",
            ),
            (json!({"keepRefusedBodies": 1}), "options.keepRefusedBodies"),
            (
                json!({"signature": {"preset": "x"}}),
                "options.signature.preset",
            ),
        ];
        for (v, name) in bad {
            let e = Ingress::parse(&v).expect_err(&v.to_string());
            assert!(e.contains(&format!("\"{name}\"")), "{v}: {e}");
        }
    }
}
