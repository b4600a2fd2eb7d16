//! `json-web-token` (directus.md §4.14): `sign` a payload (HS256 by default, `iat` added,
//! `expiresIn`/`notBefore`/`audience`/`issuer`/`subject`/`jwtid` options), `verify` a token
//! (payload, or a reject with jsonwebtoken's error names), `decode` without verifying.

use async_trait::async_trait;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};

use super::context::{OpContext, OpError, Operation, option_object, option_string};
use crate::util::duration::parse_duration;

pub struct JsonWebToken;

fn algorithm(name: Option<&str>) -> Result<Algorithm, OpError> {
    match name.unwrap_or("HS256") {
        "HS256" => Ok(Algorithm::HS256),
        "HS384" => Ok(Algorithm::HS384),
        "HS512" => Ok(Algorithm::HS512),
        other => Err(OpError::error(format!(
            "\"algorithm\" must be HS256, HS384 or HS512, got \"{other}\""
        ))),
    }
}

/// `expiresIn`-style values: seconds as a number, or a duration text (`1h`, `7d`).
fn seconds(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| parse_duration(s).map(|d| d.as_secs() as i64)),
        _ => None,
    }
}

fn jwt_error(e: &jsonwebtoken::errors::Error) -> OpError {
    let (name, message) = match e.kind() {
        ErrorKind::ExpiredSignature => ("TokenExpiredError", "jwt expired"),
        ErrorKind::ImmatureSignature => ("NotBeforeError", "jwt not active"),
        ErrorKind::InvalidSignature => ("JsonWebTokenError", "invalid signature"),
        ErrorKind::InvalidAudience => ("JsonWebTokenError", "jwt audience invalid"),
        ErrorKind::InvalidIssuer => ("JsonWebTokenError", "jwt issuer invalid"),
        ErrorKind::InvalidAlgorithm => ("JsonWebTokenError", "invalid algorithm"),
        _ => ("JsonWebTokenError", "jwt malformed"),
    };
    OpError::Error {
        name: name.into(),
        message: message.into(),
    }
}

pub fn sign(payload: &Value, secret: &str, opts: &Map<String, Value>) -> Result<String, OpError> {
    let mut claims = match payload {
        Value::Object(o) => o.clone(),
        _ => return Err(OpError::error("Undefined JSON Web Token payload")),
    };
    let now = chrono::Utc::now().timestamp();
    if !opts
        .get("noTimestamp")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        claims.entry("iat").or_insert(json!(now));
    }
    // Saturating: JavaScript's `now + expiresIn` gives a huge number rather than overflowing.
    if let Some(s) = opts.get("expiresIn").and_then(seconds) {
        claims.insert("exp".into(), json!(now.saturating_add(s)));
    }
    if let Some(s) = opts.get("notBefore").and_then(seconds) {
        claims.insert("nbf".into(), json!(now.saturating_add(s)));
    }
    for (opt, claim) in [
        ("audience", "aud"),
        ("issuer", "iss"),
        ("subject", "sub"),
        ("jwtid", "jti"),
    ] {
        if let Some(v) = opts.get(opt) {
            claims.insert(claim.into(), v.clone());
        }
    }
    let header = Header::new(algorithm(opts.get("algorithm").and_then(Value::as_str))?);
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| OpError::error(e.to_string()))
}

pub fn verify(token: &str, secret: &str, opts: &Map<String, Value>) -> Result<Value, OpError> {
    let algs: Vec<Algorithm> = match opts.get("algorithms") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| algorithm(v.as_str()))
            .collect::<Result<_, _>>()?,
        _ => vec![algorithm(opts.get("algorithm").and_then(Value::as_str))?],
    };
    // node-jsonwebtoken with `algorithms: []`: a well-formed token's algorithm is never
    // allowed.
    let Some(&first) = algs.first() else {
        return Err(match jsonwebtoken::decode_header(token) {
            Ok(_) => jwt_error(&ErrorKind::InvalidAlgorithm.into()),
            Err(e) => jwt_error(&e),
        });
    };
    let mut validation = Validation::new(first);
    validation.algorithms = algs;
    validation.required_spec_claims.clear();
    // jsonwebtoken subtracts the leeway from the current time: at most that much (a tolerance
    // reaching back to 1970 already accepts every expiry).
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    validation.leeway = opts
        .get("clockTolerance")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .min(now);
    validation.validate_aud = false;
    if let Some(aud) = opts.get("audience").and_then(Value::as_str) {
        validation.set_audience(&[aud]);
    }
    if let Some(iss) = opts.get("issuer").and_then(Value::as_str) {
        validation.set_issuer(&[iss]);
    }
    if opts.get("ignoreExpiration").and_then(Value::as_bool) == Some(true) {
        validation.validate_exp = false;
    }
    jsonwebtoken::decode::<Value>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map(|d| d.claims)
    .map_err(|e| jwt_error(&e))
}

pub fn decode(token: &str) -> Value {
    jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .map(|d| d.claims)
        .unwrap_or(Value::Null)
}

#[async_trait]
impl Operation for JsonWebToken {
    async fn run(&self, options: Value, _ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let opts = match option_object(options.get("options"))? {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        };
        let secret = option_string(options.get("secret")).filter(|s| !s.is_empty());
        let token = option_string(options.get("token")).filter(|s| !s.is_empty());
        match options.get("operation").and_then(Value::as_str) {
            Some("sign") => {
                let payload = option_object(options.get("payload"))?
                    .ok_or_else(|| OpError::error("Undefined JSON Web Token payload"))?;
                let secret =
                    secret.ok_or_else(|| OpError::error("Undefined JSON Web Token secret"))?;
                sign(&payload, &secret, &opts).map(Value::String)
            }
            Some("verify") => {
                let token =
                    token.ok_or_else(|| OpError::error("Undefined JSON Web Token token"))?;
                let secret =
                    secret.ok_or_else(|| OpError::error("Undefined JSON Web Token secret"))?;
                verify(&token, &secret, &opts)
            }
            Some("decode") => {
                let token =
                    token.ok_or_else(|| OpError::error("Undefined JSON Web Token token"))?;
                Ok(decode(&token))
            }
            _ => Err(OpError::error("Undefined \"Operation\" for JSON Web Token")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn sign_verify_decode() {
        let t = sign(
            &json!({"sub": "u1"}),
            "s",
            &opts(json!({"expiresIn": "1h"})),
        )
        .unwrap();
        let claims = verify(&t, "s", &Map::new()).unwrap();
        assert_eq!(claims["sub"], "u1");
        assert!(claims["iat"].is_number() && claims["exp"].is_number());
        assert_eq!(decode(&t)["sub"], "u1");
        assert_eq!(decode("nope"), Value::Null);
    }

    #[test]
    fn wrong_secret_and_expiry_reject() {
        let t = sign(&json!({"a": 1}), "s", &Map::new()).unwrap();
        assert!(matches!(verify(&t, "other", &Map::new()),
            Err(OpError::Error { message, .. }) if message == "invalid signature"));
        let old = sign(&json!({"a": 1, "exp": 1}), "s", &Map::new()).unwrap();
        assert!(matches!(verify(&old, "s", &Map::new()),
            Err(OpError::Error { name, .. }) if name == "TokenExpiredError"));
    }

    #[test]
    fn empty_algorithm_lists_and_extreme_numbers_reject_or_saturate() {
        let t = sign(&json!({"a": 1}), "s", &Map::new()).unwrap();
        let none = opts(json!({"algorithms": []}));
        assert!(matches!(verify(&t, "s", &none),
            Err(OpError::Error { message, .. }) if message == "invalid algorithm"));
        assert!(matches!(verify("junk", "s", &none),
            Err(OpError::Error { message, .. }) if message == "jwt malformed"));
        let far = sign(&json!({}), "s", &opts(json!({"expiresIn": i64::MAX}))).unwrap();
        assert_eq!(decode(&far)["exp"], json!(i64::MAX));
        let past = sign(&json!({"exp": 1}), "s", &Map::new()).unwrap();
        assert!(verify(&past, "s", &Map::new()).is_err());
        assert!(verify(&past, "s", &opts(json!({"clockTolerance": u64::MAX}))).is_ok());
    }

    #[test]
    fn algorithm_option() {
        let t = sign(&json!({"a": 1}), "s", &opts(json!({"algorithm": "HS512"}))).unwrap();
        assert!(verify(&t, "s", &Map::new()).is_err());
        assert!(verify(&t, "s", &opts(json!({"algorithms": ["HS512"]}))).is_ok());
        assert!(sign(&json!({"a": 1}), "s", &opts(json!({"algorithm": "RS256"}))).is_err());
    }
}
