//! Finding the caller's token (query `access_token`, `Authorization: Bearer`, session cookie)
//! and turning it into an accountability (directus.md §7.1–§7.2): verified JWTs, static tokens
//! (cached briefly), and the public caller when there is no token.

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use entity::prelude::*;
use moka::sync::Cache;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::access::Accountability;
use crate::access::accountability::ClientInfo;
use crate::auth::Auth;
use crate::auth::jwt::is_directus_jwt;
use crate::error::{ApiError, Result};

/// Longer tokens are refused without a lookup.
const MAX_STATIC_TOKEN: usize = 4096;

/// Where the token was found; a failing cookie token is cleared in the response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSource {
    Query,
    Header,
    Cookie,
}

/// A token and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundToken {
    pub token: String,
    pub source: TokenSource,
}

/// Extracts the token in Directus order. Query and header together → 400 INVALID_PAYLOAD.
pub fn extract_token(
    query: Option<&str>,
    headers: &HeaderMap,
    session_cookie: &str,
) -> Result<Option<FoundToken>> {
    // An empty token counts as none, as in Directus (`if (req.query.access_token)`).
    let from_query = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
            .filter(|t| !t.is_empty())
    });
    let from_header = headers.get(AUTHORIZATION).and_then(|v| {
        // Node reads header bytes as Latin-1: a token with non-ASCII bytes is still a token
        // (and fails as one), never a reason to treat the caller as public.
        let v = latin1(v.as_bytes());
        let mut parts = v.split(' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(scheme), Some(token), None)
                if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() =>
            {
                Some(token.to_owned())
            }
            _ => None,
        }
    });
    match (from_query, from_header) {
        (Some(_), Some(_)) => Err(ApiError::invalid_payload(
            "The request uses more than one method for including an access token",
        )),
        (Some(t), None) => Ok(Some(FoundToken {
            token: t,
            source: TokenSource::Query,
        })),
        (None, Some(t)) => Ok(Some(FoundToken {
            token: t,
            source: TokenSource::Header,
        })),
        (None, None) => Ok(cookie_value(headers, session_cookie).map(|t| FoundToken {
            token: t,
            source: TokenSource::Cookie,
        })),
    }
}

/// Header bytes as text, byte for byte (borrowed when they are ASCII, as they almost always are).
fn latin1(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) if s.is_ascii() => std::borrow::Cow::Borrowed(s),
        _ => std::borrow::Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Reads one cookie from the `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// Recently seen static tokens → `(user, role)`. Emptied whenever users change.
#[derive(Clone)]
pub struct StaticTokenCache(Cache<Arc<str>, (Uuid, Option<Uuid>)>);

impl Default for StaticTokenCache {
    fn default() -> Self {
        StaticTokenCache(
            Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(30))
                .build(),
        )
    }
}

impl StaticTokenCache {
    pub fn clear(&self) {
        self.0.invalidate_all();
    }
}

/// Resolves a token into an accountability, or fails with the Directus error for it.
pub async fn resolve(auth: &Auth, token: &str, client: ClientInfo) -> Result<Accountability> {
    if is_directus_jwt(token) {
        let claims = auth.jwt.verify(token)?;
        let user = claims.id.ok_or_else(ApiError::invalid_token)?;
        if let Some(session) = &claims.session {
            let now = chrono::Utc::now();
            let found = DirectusSessions::find()
                .filter(entity::directus_sessions::Column::Token.eq(session.as_str()))
                .filter(entity::directus_sessions::Column::User.eq(user))
                .filter(entity::directus_sessions::Column::Expires.gte(now))
                .one(&auth.db)
                .await?;
            if found.is_none() {
                return Err(ApiError::invalid_credentials());
            }
        }
        let snapshot = auth.access.get();
        let mut acc = Accountability::for_user(&snapshot, Some(user), claims.role, client);
        acc.session = claims.session;
        return Ok(acc);
    }
    // No static token is this long or holds NUL (which PostgreSQL text cannot even compare).
    if token.len() > MAX_STATIC_TOKEN || token.contains('\0') {
        return Err(ApiError::invalid_credentials());
    }
    let key: Arc<str> = Arc::from(token);
    let (user, role) = match auth.static_tokens.0.get(&key) {
        Some(hit) => hit,
        None => {
            let row: Option<(Uuid, Option<Uuid>)> = DirectusUsers::find()
                .select_only()
                .column(entity::directus_users::Column::Id)
                .column(entity::directus_users::Column::Role)
                .filter(entity::directus_users::Column::Token.eq(token))
                .filter(entity::directus_users::Column::Status.eq("active"))
                .into_tuple()
                .one(&auth.db)
                .await?;
            let found = row.ok_or_else(ApiError::invalid_credentials)?;
            auth.static_tokens.0.insert(key, found);
            found
        }
    };
    let snapshot = auth.access.get();
    Ok(Accountability::for_user(
        &snapshot,
        Some(user),
        role,
        client,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn token_sources() {
        let cookie = "directus_session_token";
        let t = extract_token(Some("a=1&access_token=abc"), &HeaderMap::new(), cookie).unwrap();
        assert_eq!(t.unwrap().source, TokenSource::Query);
        let h = headers(&[("authorization", "bEaReR xyz")]);
        assert_eq!(
            extract_token(None, &h, cookie).unwrap().unwrap().token,
            "xyz"
        );
        let h = headers(&[("authorization", "Basic xyz")]);
        assert_eq!(extract_token(None, &h, cookie).unwrap(), None);
        let h = headers(&[("authorization", "Bearer a b")]);
        assert_eq!(extract_token(None, &h, cookie).unwrap(), None);
        let h = headers(&[("cookie", "x=1; directus_session_token=tok")]);
        let t = extract_token(None, &h, cookie).unwrap().unwrap();
        assert_eq!((t.token.as_str(), t.source), ("tok", TokenSource::Cookie));
    }

    #[test]
    fn query_and_header_together_is_invalid_payload() {
        let h = headers(&[("authorization", "Bearer xyz")]);
        let e = extract_token(Some("access_token=abc"), &h, "c").unwrap_err();
        assert_eq!(e.code(), "INVALID_PAYLOAD");
        assert_eq!(
            e.message(),
            "Invalid payload. The request uses more than one method for including an access token."
        );
    }
}
