//! The HTTP surface: one `router()` per resource merged here, the authentication layer, the
//! web app at `/admin`, and Directus's 404 for everything else.

pub mod access;
pub mod auth;
pub mod flows;
pub mod items;
pub mod relations;
pub mod schema;
pub mod server;
pub mod users;

use axum::Router;
use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

use crate::auth::middleware::authenticate;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The complete application.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(server::router())
        .merge(auth::router())
        .merge(users::router())
        .merge(items::router())
        .merge(schema::router())
        .merge(relations::router())
        .merge(access::router())
        .merge(flows::router())
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(from_fn_with_state(state.clone(), authenticate))
        .layer(from_fn_with_state(
            state.config.server.request_timeout,
            answer_in_time,
        ));

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
    outermost(router)
}

/// Request tracing and, outermost, the panic guard: a panic anywhere below answers a Directus
/// 500 without internals, and the connection lives on.
pub fn outermost(router: Router) -> Router {
    router
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The path only: query strings may carry access tokens.
            tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        .layer(CatchPanicLayer::custom(panicked))
}

/// A panic in a handler or middleware: logged here, answered without internals.
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    tracing::error!(panic = %what, "a request handler panicked");
    ApiError::new(
        ErrorCode::InternalServerError,
        "An unexpected error occurred.",
    )
    .into_response()
}

/// Flow runs (webhooks, test runs) keep their own limits; every other API request must be
/// answered within `SERVER_REQUEST_TIMEOUT` (dropping the handler rolls back its
/// transaction, so nothing is half-written).
fn is_flow_run(path: &str) -> bool {
    path.starts_with("/flows/trigger/") || (path.starts_with("/flows/") && path.ends_with("/test"))
}

async fn answer_in_time(
    axum::extract::State(limit): axum::extract::State<std::time::Duration>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    if is_flow_run(req.uri().path()) {
        return next.run(req).await;
    }
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            ErrorCode::ServiceUnavailable,
            format!(
                "The request was not answered within {} s.",
                limit.as_secs_f64()
            ),
        )
        .into_response(),
    }
}

async fn not_found(uri: Uri) -> Response {
    ApiError::route_not_found(uri.path()).into_response()
}

#[cfg(test)]
mod tests {
    use axum::routing::get;

    use super::*;

    async fn boom() -> &'static str {
        panic!("secret internals")
    }

    /// Over a real socket: a handler that panics answers a Directus 500 without its message,
    /// and the same connection then serves the next request.
    #[tokio::test]
    async fn a_panicking_handler_answers_a_directus_500_and_the_connection_lives_on() {
        let router = Router::new()
            .route("/boom", get(boom))
            .route("/ok", get(|| async { "fine" }));
        let app = outermost(router);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let _ = rustls::crypto::ring::default_provider().install_default();
        // One connection for both requests.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .unwrap();
        let r = client
            .get(format!("http://{addr}/boom"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 500);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "INTERNAL_SERVER_ERROR"
        );
        assert!(!body.to_string().contains("secret internals"), "{body}");
        let r = client
            .get(format!("http://{addr}/ok"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "fine");
    }
}
