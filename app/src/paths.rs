//! URL paths of the app under `/admin`, and navigation helpers that never double the base.
//!
//! Leptos' `navigate("/x")` prefixes the router base while `<A href="/x">` does not, so every
//! in-app link and navigation goes through the absolute paths built here.

use leptos_router::NavigateOptions;

/// Where the server mounts the app (Trunk `public_url = "/admin/"`).
pub const BASE: &str = "/admin";

/// The page shown after sign-in when no other target was requested.
pub const HOME: &str = "/admin/flows";

/// The sign-in page.
pub const LOGIN: &str = "/admin/login";

/// Absolute path for a path relative to the app base (`"/flows"` → `"/admin/flows"`).
pub fn href(relative: &str) -> String {
    format!("{BASE}{relative}")
}

/// The sign-in URL that returns to `return_to` afterwards.
pub fn login_returning_to(return_to: &str) -> String {
    if return_to == HOME || return_to == BASE || return_to == "/admin/" {
        return LOGIN.to_owned();
    }
    let encoded = String::from(js_sys::encode_uri_component(return_to));
    format!("{LOGIN}?redirect={encoded}")
}

/// The path to go to after sign-in: `redirect` when it is a path inside the app, else [`HOME`].
///
/// Only same-app paths are accepted so that a crafted link cannot send users elsewhere.
pub fn safe_return_path(redirect: Option<&str>) -> String {
    match redirect {
        Some(path)
            if (path == BASE || path.starts_with("/admin/"))
                && !path.starts_with(LOGIN)
                && !path.contains("//")
                && !path.contains('\\') =>
        {
            path.to_owned()
        }
        _ => HOME.to_owned(),
    }
}

/// Navigation options for an absolute path (no base re-resolution).
pub fn absolute(replace: bool) -> NavigateOptions {
    NavigateOptions {
        resolve: false,
        replace,
        ..NavigateOptions::default()
    }
}
