//! Directus access tokens: HS256 JWTs with `id, role, app_access, admin_access` (+ `session`),
//! `iat`, `exp` and `iss: "directus"` (directus.md §7.4). Signing keys are built once.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::ApiError;

/// The issuer Directus puts in, and demands from, its tokens.
pub const ISSUER: &str = "directus";

/// Claims of a Sluice/Directus access token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub id: Option<Uuid>,
    pub role: Option<Uuid>,
    pub app_access: bool,
    pub admin_access: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

/// Keys and validation rules derived from `SECRET`, built once at start.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 0;
        validation.required_spec_claims.clear();
        validation.validate_exp = true;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    /// Signs an access token for a user valid for `ttl`.
    pub fn issue(
        &self,
        user: Uuid,
        role: Option<Uuid>,
        admin: bool,
        app: bool,
        session: Option<String>,
        ttl: Duration,
    ) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            id: Some(user),
            role,
            app_access: app || admin,
            admin_access: admin,
            session,
            iat: now,
            exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
            iss: ISSUER.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// Verifies a token already known to claim `iss: directus`: expired → `TOKEN_EXPIRED`,
    /// anything else wrong (signature, shape, missing claims) → `INVALID_TOKEN`.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &self.validation)
                .map_err(|e| match e.kind() {
                    ErrorKind::ExpiredSignature => ApiError::token_expired(),
                    _ => ApiError::invalid_token(),
                })?;
        let claims = data.claims;
        if ["role", "app_access", "admin_access"]
            .iter()
            .any(|k| !claims.contains_key(*k))
        {
            return Err(ApiError::invalid_token());
        }
        serde_json::from_value(Value::Object(claims)).map_err(|_| ApiError::invalid_token())
    }
}

impl JwtKeys {
    /// The `session` claim of a correctly signed token, expired or not (session-mode refresh
    /// reads the session id out of the cookie JWT).
    pub fn session_of(&self, token: &str) -> Option<String> {
        let mut lenient = self.validation.clone();
        lenient.validate_exp = false;
        jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &lenient)
            .ok()?
            .claims
            .get("session")?
            .as_str()
            .map(str::to_owned)
    }
}

/// True when the token parses as a JWT whose (unverified) `iss` is `directus`; such tokens
/// are verified, everything else is looked up as a static token (directus.md §7.2).
pub fn is_directus_jwt(token: &str) -> bool {
    if token.split('.').count() != 3 {
        return false;
    }
    jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(token)
        .map(|d| d.claims.get("iss").and_then(Value::as_str) == Some(ISSUER))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let keys = JwtKeys::new("secret");
        let user = Uuid::new_v4();
        let token = keys
            .issue(user, None, true, false, None, Duration::from_secs(60))
            .unwrap();
        assert!(is_directus_jwt(&token));
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.id, Some(user));
        assert!(claims.admin_access && claims.app_access);
        assert_eq!(claims.iss, "directus");
    }

    #[test]
    fn wrong_secret_is_invalid_token() {
        let token = JwtKeys::new("a")
            .issue(
                Uuid::new_v4(),
                None,
                false,
                false,
                None,
                Duration::from_secs(60),
            )
            .unwrap();
        let e = JwtKeys::new("b").verify(&token).unwrap_err();
        assert_eq!(e.code(), "INVALID_TOKEN");
    }

    #[test]
    fn expired_is_token_expired() {
        let keys = JwtKeys::new("a");
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            id: Some(Uuid::new_v4()),
            role: None,
            app_access: false,
            admin_access: false,
            session: None,
            iat: now - 100,
            exp: now - 10,
            iss: ISSUER.into(),
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert_eq!(keys.verify(&token).unwrap_err().code(), "TOKEN_EXPIRED");
    }

    #[test]
    fn foreign_jwts_are_static_tokens() {
        assert!(!is_directus_jwt("abc"));
        assert!(!is_directus_jwt("a.b.c"));
        let mut claims = Map::new();
        claims.insert("iss".into(), "someone-else".into());
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"x"),
        )
        .unwrap();
        assert!(!is_directus_jwt(&token));
    }
}
