//! Resolves the caller once per request and stores it in the request extensions; a present but
//! bad token ends the request here with its Directus error (never a downgrade to public) —
//! except on `/server/ping`, which Directus answers before looking at any token, and for a
//! `METRICS_TOKENS` bearer on `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::SET_COOKIE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::access::Accountability;
use crate::access::client::client_info;
use crate::auth::cookies;
use crate::auth::tokens::{TokenSource, extract_token, resolve};
use crate::state::AppState;

/// The authentication middleware.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let client = client_info(&state.config.proxy, req.headers(), peer);
    if req.uri().path() == "/server/ping" {
        let acc = Accountability::public(&state.access.get(), client);
        req.extensions_mut().insert(Arc::new(acc));
        return next.run(req).await;
    }
    // A `METRICS_TOKENS` bearer is not a user's token: it may read `/metrics` and nothing else.
    if req.uri().path() == "/metrics"
        && crate::metrics::reader_token(&state.config.metrics_tokens, req.headers())
    {
        let acc = Accountability::public(&state.access.get(), client);
        req.extensions_mut().insert(Arc::new(acc));
        req.extensions_mut().insert(crate::metrics::Reader);
        return next.run(req).await;
    }
    let found = match extract_token(
        req.uri().query(),
        req.headers(),
        &state.config.session_cookie.name,
    ) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let acc = match found {
        None => Accountability::public(&state.access.get(), client),
        Some(found) => match resolve(&state.auth, &found.token, client).await {
            Ok(acc) => acc,
            Err(e) => {
                let mut resp = e.into_response();
                if found.source == TokenSource::Cookie
                    && let Ok(v) = cookies::clear(&state.config.session_cookie).parse()
                {
                    resp.headers_mut().append(SET_COOKIE, v);
                }
                return resp;
            }
        },
    };
    req.extensions_mut().insert(Arc::new(acc));
    next.run(req).await
}
