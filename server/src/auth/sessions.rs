//! Logins, refresh-token rotation and logout over `directus_sessions` (directus.md §7.3, §7.5).
//! No HTTP here: the routes decide how tokens travel (JSON body or cookies).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use entity::prelude::*;
use entity::{directus_sessions, directus_settings, directus_users};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::access::Accountability;
use crate::access::accountability::ClientInfo;
use crate::auth::Auth;
use crate::auth::password::verify_password;
use crate::error::{ApiError, Result};
use crate::items::begin_write;
use crate::services::activity;
use crate::util::ids::nanoid;

/// How tokens are handed to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Json,
    Cookie,
    Session,
}

impl Mode {
    pub fn parse(raw: &str) -> Option<Mode> {
        match raw {
            "json" => Some(Mode::Json),
            "cookie" => Some(Mode::Cookie),
            "session" => Some(Mode::Session),
            _ => None,
        }
    }
}

/// Tokens produced by a login or refresh.
#[derive(Debug)]
pub struct Issued {
    pub access_token: String,
    /// Lifetime of the access token in milliseconds (Directus's `expires`).
    pub expires_ms: u64,
    pub refresh_token: String,
}

/// Failed-login counters per user (`auth_login_attempts`); kept in memory per instance.
#[derive(Clone, Default)]
pub struct LoginAttempts(Arc<Mutex<HashMap<Uuid, u32>>>);

impl LoginAttempts {
    /// Counts one attempt; true when the user has now used more than `allowed`.
    fn consume(&self, user: Uuid, allowed: u32) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(user).or_insert(0);
        *n += 1;
        if *n > allowed {
            map.remove(&user);
            true
        } else {
            false
        }
    }

    fn reset(&self, user: Uuid) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&user);
    }
}

/// Checks credentials and opens a session. Every failure is `INVALID_CREDENTIALS` (or
/// `INVALID_OTP`), so the answer never tells which part was wrong.
pub async fn login(
    auth: &Auth,
    email: &str,
    password: String,
    otp: Option<&str>,
    mode: Mode,
    client: &ClientInfo,
) -> Result<Issued> {
    let user = DirectusUsers::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(directus_users::Column::Email)))
                .eq(email.to_lowercase()),
        )
        .one(&auth.db)
        .await?;
    let Some(user) = user else {
        return Err(ApiError::invalid_credentials());
    };
    if user.status != "active" || user.provider != "default" {
        return Err(ApiError::invalid_credentials());
    }
    let settings = DirectusSettings::find().one(&auth.db).await?;
    let allowed = settings
        .and_then(|s: directus_settings::Model| s.auth_login_attempts)
        .and_then(|n| u32::try_from(n).ok());
    if let Some(allowed) = allowed
        && auth.login_attempts.consume(user.id, allowed)
    {
        let _gate = auth.gate.enter().await;
        DirectusUsers::update_many()
            .col_expr(directus_users::Column::Status, Expr::value("suspended"))
            .filter(directus_users::Column::Id.eq(user.id))
            .exec(&auth.db)
            .await?;
        auth.static_tokens.clear();
        return Err(ApiError::invalid_credentials());
    }
    let Some(hash) = user.password.clone() else {
        return Err(ApiError::invalid_credentials());
    };
    if !verify_password(auth.config.hash, password, hash).await? {
        return Err(ApiError::invalid_credentials());
    }
    if let Some(secret) = user.tfa_secret.as_deref() {
        match otp {
            Some(code) if crate::auth::totp::verify(secret, code) => {}
            _ => return Err(ApiError::invalid_otp()),
        }
    }
    auth.login_attempts.reset(user.id);

    let refresh = nanoid(64);
    let now = Utc::now();
    let acc =
        Accountability::for_user(&auth.access.get(), Some(user.id), user.role, client.clone());
    // One write behind the gate: on SQLite it queues behind other writers instead of racing
    // them for the lock.
    let (txn, _gate) = begin_write(&auth.db, &auth.gate).await?;
    directus_sessions::ActiveModel {
        token: Set(refresh.clone()),
        user: Set(Some(user.id)),
        expires: Set(now + auth.config.refresh_token_ttl),
        ip: Set(client.ip.clone()),
        user_agent: Set(client.user_agent.clone()),
        share: Set(None),
        origin: Set(client.origin.clone()),
        next_token: Set(None),
    }
    .insert(&txn)
    .await?;
    DirectusSessions::delete_many()
        .filter(directus_sessions::Column::Expires.lt(now))
        .exec(&txn)
        .await?;
    DirectusUsers::update_many()
        .col_expr(directus_users::Column::LastAccess, Expr::value(now))
        .filter(directus_users::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    activity::record(&txn, "login", &acc, "directus_users", &user.id.to_string()).await?;
    txn.commit().await?;
    drop(_gate);
    if auth.events().is_some() {
        let mut meta = serde_json::Map::new();
        meta.insert("payload".into(), serde_json::json!({ "email": email }));
        meta.insert("status".into(), serde_json::json!("success"));
        meta.insert("user".into(), serde_json::json!(user.id.to_string()));
        meta.insert("provider".into(), serde_json::json!("default"));
        auth.announce("auth.login", meta, Arc::new(acc.clone()));
    }
    issue(auth, &acc, refresh, mode)
}

/// Rotates a refresh token (json/cookie: the old token dies at once; session mode keeps it for
/// `SESSION_REFRESH_GRACE_PERIOD`) and issues a new access token.
pub async fn refresh(auth: &Auth, token: &str, mode: Mode, client: &ClientInfo) -> Result<Issued> {
    let now = Utc::now();
    let session = DirectusSessions::find_by_id(token.to_owned())
        .filter(directus_sessions::Column::Expires.gte(now))
        .one(&auth.db)
        .await?
        .ok_or_else(ApiError::invalid_credentials)?;
    let user_id = session.user.ok_or_else(ApiError::invalid_credentials)?;
    let user = DirectusUsers::find_by_id(user_id).one(&auth.db).await?;
    let Some(user) = user.filter(|u| u.status == "active") else {
        let _gate = auth.gate.enter().await;
        DirectusSessions::delete_by_id(token.to_owned())
            .exec(&auth.db)
            .await?;
        return Err(ApiError::invalid_credentials());
    };
    let new_token = nanoid(64);
    let expires = now + auth.config.refresh_token_ttl;
    let (txn, gate) = begin_write(&auth.db, &auth.gate).await?;
    if mode == Mode::Session {
        directus_sessions::ActiveModel {
            token: Set(new_token.clone()),
            user: Set(Some(user.id)),
            expires: Set(expires),
            ip: Set(client.ip.clone()),
            user_agent: Set(client.user_agent.clone()),
            share: Set(None),
            origin: Set(client.origin.clone()),
            next_token: Set(None),
        }
        .insert(&txn)
        .await?;
        let grace = std::cmp::min(now + auth.config.session_refresh_grace, session.expires);
        DirectusSessions::update_many()
            .col_expr(directus_sessions::Column::Expires, Expr::value(grace))
            .col_expr(
                directus_sessions::Column::NextToken,
                Expr::value(new_token.clone()),
            )
            .filter(directus_sessions::Column::Token.eq(token))
            .exec(&txn)
            .await?;
    } else {
        let done = DirectusSessions::update_many()
            .col_expr(
                directus_sessions::Column::Token,
                Expr::value(new_token.clone()),
            )
            .col_expr(directus_sessions::Column::Expires, Expr::value(expires))
            .filter(directus_sessions::Column::Token.eq(token))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            // Rotated concurrently by another request: the old token is spent.
            return Err(ApiError::invalid_credentials());
        }
    }
    DirectusUsers::update_many()
        .col_expr(directus_users::Column::LastAccess, Expr::value(now))
        .filter(directus_users::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    drop(gate);
    let acc =
        Accountability::for_user(&auth.access.get(), Some(user.id), user.role, client.clone());
    issue(auth, &acc, new_token, mode)
}

/// Ends a session; an unknown token is not an error.
pub async fn logout(auth: &Auth, token: &str, client: &ClientInfo) -> Result<()> {
    let session = DirectusSessions::find_by_id(token.to_owned())
        .one(&auth.db)
        .await?;
    if let Some(session) = session {
        let (txn, _gate) = begin_write(&auth.db, &auth.gate).await?;
        DirectusSessions::delete_by_id(token.to_owned())
            .exec(&txn)
            .await?;
        if let Some(user) = session.user {
            let acc = Accountability {
                user: Some(user),
                ip: client.ip.clone(),
                user_agent: client.user_agent.clone(),
                origin: client.origin.clone(),
                ..Default::default()
            };
            activity::record(&txn, "logout", &acc, "directus_users", &user.to_string()).await?;
        }
        txn.commit().await?;
    }
    Ok(())
}

fn issue(auth: &Auth, acc: &Accountability, refresh: String, mode: Mode) -> Result<Issued> {
    let user = acc.user.ok_or_else(ApiError::invalid_credentials)?;
    let (ttl, session) = match mode {
        Mode::Session => (auth.config.session_cookie_ttl, Some(refresh.clone())),
        _ => (auth.config.access_token_ttl, None),
    };
    let access_token = auth
        .jwt
        .issue(user, acc.role, acc.admin, acc.app, session, ttl)?;
    Ok(Issued {
        access_token,
        expires_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
        refresh_token: refresh,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_trip_after_allowed() {
        let a = LoginAttempts::default();
        let u = Uuid::new_v4();
        assert!(!a.consume(u, 2));
        assert!(!a.consume(u, 2));
        assert!(a.consume(u, 2));
        assert!(!a.consume(u, 2), "counter restarts after suspension");
        a.reset(u);
    }

    #[test]
    fn modes_parse() {
        assert_eq!(Mode::parse("json"), Some(Mode::Json));
        assert_eq!(Mode::parse("cookie"), Some(Mode::Cookie));
        assert_eq!(Mode::parse("session"), Some(Mode::Session));
        assert_eq!(Mode::parse("other"), None);
    }
}
