//! Authentication: tokens in, accountability out; logins, sessions and password hashing.
//! Authorization (what a caller may do) lives in `access` and `permissions`.

pub mod cookies;
pub mod jwt;
pub mod middleware;
pub mod password;
pub mod sessions;
pub mod tokens;
pub mod totp;

use std::sync::Arc;

use crate::core::Core;

/// What authentication needs: the core, the signing keys, recently seen static tokens and the
/// login-attempt counters. Fields of the core read through it.
#[derive(Clone)]
pub struct Auth {
    pub core: Core,
    pub jwt: Arc<jwt::JwtKeys>,
    pub static_tokens: tokens::StaticTokenCache,
    pub login_attempts: sessions::LoginAttempts,
}

impl std::ops::Deref for Auth {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}
