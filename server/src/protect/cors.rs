//! CORS per `CORS_*` (directus.md §10.4): off by default (no headers at all); when on, the
//! allowed origins, methods and headers as configured, preflights answered with 204.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::{CorsConfig, CorsOrigin};

/// The layer, or `None` when CORS is off.
pub fn layer(cfg: &CorsConfig) -> Option<CorsLayer> {
    if !cfg.enabled {
        return None;
    }
    let origin = match &cfg.origin {
        CorsOrigin::Disabled => AllowOrigin::list(Vec::<HeaderValue>::new()),
        CorsOrigin::Reflect => AllowOrigin::mirror_request(),
        CorsOrigin::List(list) if list.iter().any(|o| o == "*") => {
            if cfg.credentials {
                // `*` cannot be sent with credentials: reflect instead, as the cors package does.
                AllowOrigin::mirror_request()
            } else {
                AllowOrigin::any()
            }
        }
        CorsOrigin::List(list) => {
            AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
        }
    };
    let methods: Vec<Method> = cfg
        .methods
        .iter()
        .filter_map(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
        .collect();
    let headers = |list: &[String]| -> Vec<HeaderName> {
        list.iter()
            .filter_map(|h| HeaderName::from_bytes(h.to_ascii_lowercase().as_bytes()).ok())
            .collect()
    };
    Some(
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods(methods)
            .allow_headers(headers(&cfg.allowed_headers))
            .expose_headers(headers(&cfg.exposed_headers))
            .allow_credentials(cfg.credentials)
            .max_age(Duration::from_secs(cfg.max_age)),
    )
}
