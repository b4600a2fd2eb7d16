//! Authentication: tokens in, accountability out; logins, sessions and password hashing.
//! Authorization (what a caller may do) lives in `access` and `permissions`.

pub mod cookies;
pub mod jwt;
pub mod middleware;
pub mod password;
pub mod sessions;
pub mod tokens;
pub mod totp;
