//! Webhook signature checks (issue 16 point 1): the `signature` trigger option parsed once
//! when the flow is compiled, then each call verified over the exact body bytes received —
//! HMAC compared in constant time, the signed time held to a tolerance against replays — and
//! the inverse, signing a body as the provider would, for the builder's signed test call.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use serde_json::{Map, Value};

/// The default replay window: how far a signed time may be from now.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// What the mask of a concealed value reads (as Directus answers concealed fields).
pub const MASK: &str = "**********";

/// The providers' schemes, and a generic HMAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Standard Webhooks (Svix, Resend, …): `webhook-id`, `webhook-timestamp`,
    /// `webhook-signature: v1,<base64>` over `id.timestamp.body`, the key `whsec_<base64>`.
    StandardWebhooks,
    /// `Stripe-Signature: t=<ts>,v1=<hex>` over `ts.body`.
    Stripe,
    /// `X-Hub-Signature-256: sha256=<hex>` over the body.
    Github,
    /// `X-Slack-Signature: v0=<hex>` over `v0:ts:body`, the time in `X-Slack-Request-Timestamp`.
    Slack,
    /// `X-Shopify-Hmac-Sha256: <base64>` over the body.
    Shopify,
    /// A header of the flow's choosing, over the body (or `ts.body` with a timestamp header).
    Hmac,
}

impl Preset {
    pub const NAMES: [&'static str; 6] = [
        "standard-webhooks",
        "stripe",
        "github",
        "slack",
        "shopify",
        "hmac",
    ];

    fn parse(name: &str) -> Option<Preset> {
        Some(match name {
            "standard-webhooks" => Preset::StandardWebhooks,
            "stripe" => Preset::Stripe,
            "github" => Preset::Github,
            "slack" => Preset::Slack,
            "shopify" => Preset::Shopify,
            "hmac" => Preset::Hmac,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Hex,
    Base64,
}

/// Where the secret comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Secret {
    /// Stored with the flow (concealed on every read).
    Stored(String),
    /// `{{$env.NAME}}`: a variable of `FLOWS_ENV_ALLOW_LIST`.
    Env(String),
}

impl Secret {
    /// `{{$env.NAME}}` (spaces allowed inside the braces) names a variable.
    pub fn of(text: &str) -> Secret {
        let inner = text
            .trim()
            .strip_prefix("{{")
            .and_then(|t| t.strip_suffix("}}"))
            .map(str::trim);
        match inner.and_then(|t| t.strip_prefix("$env.")) {
            Some(name) if !name.is_empty() && name.bytes().all(is_name_byte) => {
                Secret::Env(name.to_owned())
            }
            _ => Secret::Stored(text.to_owned()),
        }
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A flow's compiled `signature` option.
#[derive(Clone, Debug)]
pub struct Signature {
    pub preset: Preset,
    pub secret: Secret,
    /// The signature header, lower-cased.
    header: String,
    algorithm: Algorithm,
    encoding: Encoding,
    prefix: String,
    /// The signed-time header, lower-cased.
    timestamp_header: Option<String>,
    tolerance: u64,
}

/// Why a call's signature is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The signature (or its signed-time) header is absent.
    Missing,
    /// Present, but not the body's signature with this secret (or not readable).
    Invalid,
    /// Signed, but at a time outside the tolerance: a replay, or a clock far off.
    Stale,
}

impl Refusal {
    /// The refused-calls log's reason code.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Missing => "missing_signature",
            Refusal::Invalid => "invalid_signature",
            Refusal::Stale => "stale_timestamp",
        }
    }

    /// The error message the caller reads.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Missing => "The request is not signed",
            Refusal::Invalid => "The request's signature is not valid",
            Refusal::Stale => "The request's signature is too old or from the future",
        }
    }
}

fn text<'a>(o: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("\"options.signature.{key}\" must be a text")),
    }
}

impl Signature {
    /// Reads the `signature` option: `Ok(None)` when absent or null, `Err` with the message a
    /// save answers when it could not be used.
    pub fn parse(value: &Value) -> Result<Option<Signature>, String> {
        let o = match value {
            Value::Null => return Ok(None),
            Value::Object(o) => o,
            _ => return Err("\"options.signature\" must be an object".into()),
        };
        const KEYS: [&str; 8] = [
            "preset",
            "secret",
            "header",
            "algorithm",
            "encoding",
            "prefix",
            "timestampHeader",
            "tolerance",
        ];
        if let Some(key) = o.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!(
                "\"options.signature.{key}\" is not a signature setting ({})",
                KEYS.join(", ")
            ));
        }
        let Some(name) = text(o, "preset")? else {
            return if o.values().all(Value::is_null) {
                Ok(None)
            } else {
                Err(preset_error())
            };
        };
        let preset = Preset::parse(name).ok_or_else(preset_error)?;
        let secret = match text(o, "secret")? {
            Some(s) => Secret::of(s),
            None => return Err("\"options.signature.secret\" is required".into()),
        };
        let tolerance = match o.get("tolerance") {
            None | Some(Value::Null) => DEFAULT_TOLERANCE_SECS,
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str()?.trim().parse().ok())
                .filter(|t| *t > 0)
                .ok_or("\"options.signature.tolerance\" must be a whole number of seconds")?,
        };
        let (header, algorithm, encoding, prefix, timestamp_header) = match preset {
            Preset::StandardWebhooks => (
                "webhook-signature",
                Algorithm::Sha256,
                Encoding::Base64,
                "",
                Some("webhook-timestamp".to_owned()),
            ),
            Preset::Stripe => (
                "stripe-signature",
                Algorithm::Sha256,
                Encoding::Hex,
                "",
                None,
            ),
            Preset::Github => (
                "x-hub-signature-256",
                Algorithm::Sha256,
                Encoding::Hex,
                "sha256=",
                None,
            ),
            Preset::Slack => (
                "x-slack-signature",
                Algorithm::Sha256,
                Encoding::Hex,
                "v0=",
                Some("x-slack-request-timestamp".to_owned()),
            ),
            Preset::Shopify => (
                "x-shopify-hmac-sha256",
                Algorithm::Sha256,
                Encoding::Base64,
                "",
                None,
            ),
            Preset::Hmac => {
                let header = text(o, "header")?
                    .ok_or("\"options.signature.header\" is required for the hmac preset")?;
                if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                    return Err("\"options.signature.header\" is not a header name".into());
                }
                let algorithm = match text(o, "algorithm")? {
                    None | Some("sha256") => Algorithm::Sha256,
                    Some("sha1") => Algorithm::Sha1,
                    Some("sha512") => Algorithm::Sha512,
                    Some(_) => {
                        return Err("\"options.signature.algorithm\" must be \"sha1\", \
                                    \"sha256\" or \"sha512\""
                            .into());
                    }
                };
                let encoding = match text(o, "encoding")? {
                    None | Some("hex") => Encoding::Hex,
                    Some("base64") => Encoding::Base64,
                    Some(_) => {
                        return Err(
                            "\"options.signature.encoding\" must be \"hex\" or \"base64\"".into(),
                        );
                    }
                };
                let timestamp_header = match text(o, "timestampHeader")? {
                    None => None,
                    Some(h) if http::HeaderName::from_bytes(h.as_bytes()).is_ok() => {
                        Some(h.to_ascii_lowercase())
                    }
                    Some(_) => {
                        return Err(
                            "\"options.signature.timestampHeader\" is not a header name".into()
                        );
                    }
                };
                return Ok(Some(Signature {
                    preset,
                    secret,
                    header: header.to_ascii_lowercase(),
                    algorithm,
                    encoding,
                    prefix: text(o, "prefix")?.unwrap_or_default().to_owned(),
                    timestamp_header,
                    tolerance,
                }));
            }
        };
        Ok(Some(Signature {
            preset,
            secret,
            header: header.to_owned(),
            algorithm,
            encoding,
            prefix: prefix.to_owned(),
            timestamp_header,
            tolerance,
        }))
    }

    /// The header the signature is read from (lower-case).
    pub fn header(&self) -> &str {
        &self.header
    }

    /// Checks a call: `now` in Unix seconds, `secret` resolved by the caller.
    pub fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &str,
        now: i64,
    ) -> Result<(), Refusal> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        match self.preset {
            Preset::StandardWebhooks => {
                let (Some(id), Some(ts), Some(sigs)) = (
                    get("webhook-id").or_else(|| get("svix-id")),
                    get("webhook-timestamp").or_else(|| get("svix-timestamp")),
                    get("webhook-signature").or_else(|| get("svix-signature")),
                ) else {
                    return Err(Refusal::Missing);
                };
                let ts = self.fresh(ts, now)?;
                let key = standard_key(secret).ok_or(Refusal::Invalid)?;
                let mac = self.mac(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
                // Several signatures (key rotation) are separated by spaces; one must match.
                let ok = sigs.split(' ').any(|s| {
                    s.strip_prefix("v1,")
                        .and_then(|b| B64.decode(b).ok())
                        .is_some_and(|sig| mac.clone().verify_slice(&sig).is_ok())
                });
                ok.then_some(()).ok_or(Refusal::Invalid)
            }
            Preset::Stripe => {
                let header = get("stripe-signature").ok_or(Refusal::Missing)?;
                let mut ts = None;
                let mut sigs = Vec::new();
                for part in header.split(',') {
                    match part.trim().split_once('=') {
                        Some(("t", t)) => ts = Some(t),
                        Some(("v1", s)) => sigs.push(s),
                        _ => {}
                    }
                }
                let ts = self.fresh(ts.ok_or(Refusal::Invalid)?, now)?;
                let mac = self.mac(secret.as_bytes(), &[ts.as_bytes(), b".", body]);
                let ok = sigs.iter().any(|s| {
                    hex::decode(s).is_ok_and(|sig| mac.clone().verify_slice(&sig).is_ok())
                });
                ok.then_some(()).ok_or(Refusal::Invalid)
            }
            Preset::Slack => {
                let sig = get(&self.header).ok_or(Refusal::Missing)?;
                let ts = get("x-slack-request-timestamp").ok_or(Refusal::Missing)?;
                let ts = self.fresh(ts, now)?;
                let mac = self.mac(secret.as_bytes(), &[b"v0:", ts.as_bytes(), b":", body]);
                self.check(mac, sig)
            }
            Preset::Github | Preset::Shopify | Preset::Hmac => {
                let sig = get(&self.header).ok_or(Refusal::Missing)?;
                let mac = match &self.timestamp_header {
                    Some(h) => {
                        let ts = self.fresh(get(h).ok_or(Refusal::Missing)?, now)?;
                        self.mac(secret.as_bytes(), &[ts.as_bytes(), b".", body])
                    }
                    None => self.mac(secret.as_bytes(), &[body]),
                };
                self.check(mac, sig)
            }
        }
    }

    /// The headers a provider would send with `body` at `now` (Unix seconds); `id` is the
    /// Standard Webhooks message id.
    pub fn sign(&self, body: &[u8], secret: &str, now: i64, id: &str) -> Vec<(String, String)> {
        let ts = now.to_string();
        match self.preset {
            Preset::StandardWebhooks => {
                let key = standard_key(secret).unwrap_or_default();
                let mac = self.mac(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
                vec![
                    ("webhook-id".into(), id.to_owned()),
                    ("webhook-timestamp".into(), ts),
                    (
                        "webhook-signature".into(),
                        format!("v1,{}", B64.encode(mac.finalize().into_bytes())),
                    ),
                ]
            }
            Preset::Stripe => {
                let mac = self.mac(secret.as_bytes(), &[ts.as_bytes(), b".", body]);
                let sig = hex::encode(mac.finalize().into_bytes());
                vec![("stripe-signature".into(), format!("t={ts},v1={sig}"))]
            }
            Preset::Slack => {
                let mac = self.mac(secret.as_bytes(), &[b"v0:", ts.as_bytes(), b":", body]);
                vec![
                    (self.header.clone(), self.encode(mac)),
                    ("x-slack-request-timestamp".into(), ts),
                ]
            }
            Preset::Github | Preset::Shopify | Preset::Hmac => match &self.timestamp_header {
                Some(h) => {
                    let mac = self.mac(secret.as_bytes(), &[ts.as_bytes(), b".", body]);
                    vec![(self.header.clone(), self.encode(mac)), (h.clone(), ts)]
                }
                None => {
                    let mac = self.mac(secret.as_bytes(), &[body]);
                    vec![(self.header.clone(), self.encode(mac))]
                }
            },
        }
    }

    /// The signed time as text, when it is a number within the tolerance of `now`.
    fn fresh<'a>(&self, ts: &'a str, now: i64) -> Result<&'a str, Refusal> {
        let t: i64 = ts.trim().parse().map_err(|_| Refusal::Invalid)?;
        let tolerance = i64::try_from(self.tolerance).unwrap_or(i64::MAX);
        if now.saturating_sub(t).saturating_abs() > tolerance {
            return Err(Refusal::Stale);
        }
        Ok(ts.trim())
    }

    fn mac(&self, key: &[u8], parts: &[&[u8]]) -> AnyMac {
        let mut mac = match self.algorithm {
            Algorithm::Sha1 => AnyMac::Sha1(new_mac(key)),
            Algorithm::Sha256 => AnyMac::Sha256(new_mac(key)),
            Algorithm::Sha512 => AnyMac::Sha512(new_mac(key)),
        };
        for part in parts {
            mac.update(part);
        }
        mac
    }

    /// `prefix` + the encoded MAC.
    fn encode(&self, mac: AnyMac) -> String {
        let bytes = mac.finalize().into_bytes();
        let sig = match self.encoding {
            Encoding::Hex => hex::encode(&bytes),
            Encoding::Base64 => B64.encode(&bytes),
        };
        format!("{}{sig}", self.prefix)
    }

    /// Compares the header's signature (after its prefix) with the MAC in constant time.
    fn check(&self, mac: AnyMac, header: &str) -> Result<(), Refusal> {
        let encoded = header
            .trim()
            .strip_prefix(self.prefix.as_str())
            .ok_or(Refusal::Invalid)?;
        let sig = match self.encoding {
            Encoding::Hex => hex::decode(encoded).map_err(|_| Refusal::Invalid)?,
            Encoding::Base64 => B64.decode(encoded).map_err(|_| Refusal::Invalid)?,
        };
        mac.verify_slice(&sig).map_err(|_| Refusal::Invalid)
    }
}

fn preset_error() -> String {
    format!(
        "\"options.signature.preset\" must be one of {}",
        Preset::NAMES.map(|n| format!("\"{n}\"")).join(", ")
    )
}

/// A Standard Webhooks key: the base64 after `whsec_` (or the whole text, if it is base64).
fn standard_key(secret: &str) -> Option<Vec<u8>> {
    B64.decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()
}

fn new_mac<M: KeyInit>(key: &[u8]) -> M {
    // HMAC takes a key of any length.
    <M as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"))
}

/// An HMAC of one of the three digests.
#[derive(Clone)]
enum AnyMac {
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
    Sha512(Hmac<sha2::Sha512>),
}

/// The finished MAC's bytes.
struct MacBytes(Vec<u8>);

impl MacBytes {
    fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl AnyMac {
    fn update(&mut self, data: &[u8]) {
        match self {
            AnyMac::Sha1(m) => m.update(data),
            AnyMac::Sha256(m) => m.update(data),
            AnyMac::Sha512(m) => m.update(data),
        }
    }

    fn finalize(self) -> MacBytes {
        MacBytes(match self {
            AnyMac::Sha1(m) => m.finalize().into_bytes().to_vec(),
            AnyMac::Sha256(m) => m.finalize().into_bytes().to_vec(),
            AnyMac::Sha512(m) => m.finalize().into_bytes().to_vec(),
        })
    }

    /// Constant-time comparison (the `hmac` crate's own).
    fn verify_slice(self, sig: &[u8]) -> Result<(), ()> {
        match self {
            AnyMac::Sha1(m) => m.verify_slice(sig).map_err(|_| ()),
            AnyMac::Sha256(m) => m.verify_slice(sig).map_err(|_| ()),
            AnyMac::Sha512(m) => m.verify_slice(sig).map_err(|_| ()),
        }
    }
}

/// Slack's `url_verification` call: the challenge to answer, when the body is one.
pub fn slack_challenge(body: &Value) -> Option<&str> {
    (body.get("type")?.as_str()? == "url_verification")
        .then(|| body.get("challenge")?.as_str())
        .flatten()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(v: Value) -> Signature {
        Signature::parse(&v).unwrap().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn github_documented_example() {
        // docs.github.com, "Validating webhook deliveries".
        let s = spec(json!({"preset": "github", "secret": "It's a Secret to Everybody"}));
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        let h = headers(&[("X-Hub-Signature-256", sig)]);
        assert_eq!(
            s.verify(&h, b"Hello, World!", "It's a Secret to Everybody", 0),
            Ok(())
        );
        assert_eq!(
            s.verify(&h, b"Hello, World?", "It's a Secret to Everybody", 0),
            Err(Refusal::Invalid)
        );
        assert_eq!(
            s.verify(&h, b"Hello, World!", "another secret", 0),
            Err(Refusal::Invalid)
        );
        assert_eq!(
            s.verify(&HeaderMap::new(), b"Hello, World!", "x", 0),
            Err(Refusal::Missing)
        );
        let signed = s.sign(b"Hello, World!", "It's a Secret to Everybody", 0, "");
        assert_eq!(signed, vec![("x-hub-signature-256".into(), sig.into())]);
    }

    #[test]
    fn standard_webhooks_reference_vector() {
        // The Standard Webhooks specification's example (also Svix's test vector).
        let s = spec(json!({"preset": "standard-webhooks",
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}));
        let body = br#"{"test": 2432232314}"#;
        let h = headers(&[
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
            ("webhook-timestamp", "1614265330"),
            (
                "webhook-signature",
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            ),
        ]);
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        assert_eq!(s.verify(&h, body, secret, 1614265330), Ok(()));
        assert_eq!(
            s.verify(&h, body, secret, 1614265330 + 301),
            Err(Refusal::Stale)
        );
        assert_eq!(
            s.verify(&h, br#"{"test": 1}"#, secret, 1614265330),
            Err(Refusal::Invalid)
        );
        let signed = s.sign(body, secret, 1614265330, "msg_p5jXN8AQM9LWM0D4loKWxJek");
        assert_eq!(
            signed[2].1,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn every_preset_verifies_what_it_signs_and_nothing_else() {
        let now = 1_700_000_000;
        for preset in Preset::NAMES {
            let mut options = json!({"preset": preset, "secret": "c2VjcmV0LWtleS1ieXRlcw=="});
            if preset == "hmac" {
                options["header"] = json!("X-Signature");
                options["algorithm"] = json!("sha512");
                options["encoding"] = json!("base64");
                options["prefix"] = json!("sig=");
                options["timestampHeader"] = json!("X-Timestamp");
            }
            let s = spec(options);
            let secret = "c2VjcmV0LWtleS1ieXRlcw==";
            let body = br#"{"order": 1}"#;
            let signed = s.sign(body, secret, now, "msg_1");
            let pairs: Vec<(&str, &str)> = signed
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let h = headers(&pairs);
            assert_eq!(s.verify(&h, body, secret, now), Ok(()), "{preset}");
            assert_eq!(
                s.verify(&h, br#"{"order": 2}"#, secret, now),
                Err(Refusal::Invalid),
                "{preset}: tampered body"
            );
            assert_eq!(
                s.verify(&h, body, "d3Jvbmcgc2VjcmV0", now),
                Err(Refusal::Invalid),
                "{preset}: wrong secret"
            );
            assert_eq!(
                s.verify(&HeaderMap::new(), body, secret, now),
                Err(Refusal::Missing),
                "{preset}: no header"
            );
            let timed = !matches!(preset, "github" | "shopify");
            let late = s.verify(&h, body, secret, now + 301);
            if timed {
                assert_eq!(late, Err(Refusal::Stale), "{preset}: stale");
            } else {
                assert_eq!(late, Ok(()), "{preset} signs no time");
            }
        }
    }

    #[test]
    fn stripe_accepts_any_v1_of_a_rotated_secret() {
        let s = spec(json!({"preset": "stripe", "secret": "whsec_new"}));
        let body = b"{}";
        let new = s.sign(body, "whsec_new", 100, "");
        let old = s.sign(body, "whsec_old", 100, "");
        let v1 = |h: &str| h.split(",v1=").nth(1).unwrap().to_owned();
        let header = format!("t=100,v1={},v1={}", v1(&old[0].1), v1(&new[0].1));
        let h = headers(&[("stripe-signature", &header)]);
        assert_eq!(s.verify(&h, body, "whsec_new", 100), Ok(()));
        let h = headers(&[("stripe-signature", "v1=00")]);
        assert_eq!(s.verify(&h, body, "whsec_new", 100), Err(Refusal::Invalid));
    }

    #[test]
    fn options_that_cannot_be_used_are_refused() {
        let bad = [
            (json!(5), "options.signature"),
            (
                json!({"preset": "paypal", "secret": "x"}),
                "options.signature.preset",
            ),
            (json!({"preset": "github"}), "options.signature.secret"),
            (
                json!({"preset": "hmac", "secret": "x"}),
                "options.signature.header",
            ),
            (
                json!({"preset": "hmac", "secret": "x", "header": "X", "algorithm": "md5"}),
                "options.signature.algorithm",
            ),
            (
                json!({"preset": "hmac", "secret": "x", "header": "X", "encoding": "b32"}),
                "options.signature.encoding",
            ),
            (
                json!({"preset": "github", "secret": "x", "tolerance": -1}),
                "options.signature.tolerance",
            ),
            (
                json!({"preset": "github", "secret": "x", "salt": 1}),
                "options.signature.salt",
            ),
            (json!({"secret": "x"}), "options.signature.preset"),
        ];
        for (v, name) in bad {
            let e = Signature::parse(&v).expect_err(&v.to_string());
            assert!(e.contains(&format!("\"{name}\"")), "{v}: {e}");
        }
        assert!(Signature::parse(&json!(null)).unwrap().is_none());
        assert!(
            Signature::parse(&json!({"preset": null}))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn secrets_from_the_environment() {
        assert_eq!(
            Secret::of("{{ $env.GH_SECRET }}"),
            Secret::Env("GH_SECRET".into())
        );
        assert_eq!(Secret::of("{{$env.}}"), Secret::Stored("{{$env.}}".into()));
        assert_eq!(Secret::of("plain"), Secret::Stored("plain".into()));
    }

    #[test]
    fn slack_url_verification() {
        let body = json!({"type": "url_verification", "challenge": "3eZbrw1a", "token": "x"});
        assert_eq!(slack_challenge(&body), Some("3eZbrw1a"));
        assert_eq!(slack_challenge(&json!({"type": "event_callback"})), None);
    }
}
