//! The HTTP surface: one `router()` per resource merged here, the authentication layer, the
//! web app at `/admin`, and Directus's 404 for everything else.

pub mod access;
pub mod auth;
pub mod flows;
pub mod items;
pub mod schema;
pub mod server;
pub mod users;

use axum::Router;
use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

use crate::auth::middleware::authenticate;
use crate::error::ApiError;
use crate::state::AppState;

/// The complete application.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(server::router())
        .merge(auth::router())
        .merge(users::router())
        .merge(items::router())
        .merge(schema::router())
        .merge(access::router())
        .merge(flows::router())
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(from_fn_with_state(state.clone(), authenticate));

    let mut router = api;
    if state.config.bench_route {
        // The ceiling for BENCHMARKS.md: no auth, no state, a body the size of a flow answer.
        router = router.route(
            "/bench/static",
            axum::routing::any(|| async {
                axum::Json(serde_json::json!({"data": {"received": true, "type": "purchase", "amount": 99.99}}))
            }),
        );
    }
    if state.config.serve_app {
        let dir = &state.config.app_dir;
        // The app's wasm is ~2 MB; gzip takes it to a third.
        let spa = tower::ServiceBuilder::new()
            .layer(tower_http::compression::CompressionLayer::new())
            .service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))));
        router = router
            .route("/", get(|| async { Redirect::temporary("/admin/") }))
            .route("/admin", get(|| async { Redirect::permanent("/admin/") }))
            .nest_service("/admin/", spa);
    }
    let mut router = router.with_state(state.clone());
    if state.rate_limits.is_active() {
        // Added after authentication, so it runs before it (as in Directus).
        router = router.layer(from_fn_with_state(
            (state.rate_limits.clone(), state.config.clone()),
            crate::protect::rate_limit::limit,
        ));
    }
    if let Some(cors) = crate::protect::cors::layer(&state.config.cors) {
        router = router.layer(cors);
    }
    router.layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
        // The path only: query strings may carry access tokens.
        tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
    }))
}

async fn not_found(uri: Uri) -> Response {
    ApiError::route_not_found(uri.path()).into_response()
}
