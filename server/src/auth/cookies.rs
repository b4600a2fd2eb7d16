//! `Set-Cookie` values for the refresh and session cookies (`REFRESH_TOKEN_COOKIE_*`,
//! `SESSION_COOKIE_*`).

use std::time::Duration;

use crate::config::CookieConfig;

/// A cookie holding `value` for `max_age`.
pub fn set(cfg: &CookieConfig, value: &str, max_age: Duration) -> String {
    let mut c = format!(
        "{}={}; Path=/; HttpOnly; Max-Age={}; SameSite={}",
        cfg.name,
        value,
        max_age.as_secs(),
        cfg.same_site.as_str()
    );
    if cfg.secure {
        c.push_str("; Secure");
    }
    if let Some(d) = &cfg.domain {
        c.push_str("; Domain=");
        c.push_str(d);
    }
    c
}

/// A cookie that removes the named one.
pub fn clear(cfg: &CookieConfig) -> String {
    let mut c = format!(
        "{}=; Path=/; HttpOnly; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite={}",
        cfg.name,
        cfg.same_site.as_str()
    );
    if cfg.secure {
        c.push_str("; Secure");
    }
    if let Some(d) = &cfg.domain {
        c.push_str("; Domain=");
        c.push_str(d);
    }
    c
}
