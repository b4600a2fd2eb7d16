//! The caller as an extractor: `Acc` (anyone, public included) and `AdminOnly`.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::access::Accountability;
use crate::error::ApiError;

/// The caller's accountability, resolved by the authentication middleware.
pub struct Acc(pub Arc<Accountability>);

impl<S: Send + Sync> FromRequestParts<S> for Acc {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<Accountability>>()
            .cloned()
            .map(Acc)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("accountability not resolved")))
    }
}

/// An admin caller; anyone else gets 403 FORBIDDEN.
pub struct AdminOnly(pub Arc<Accountability>);

impl<S: Send + Sync> FromRequestParts<S> for AdminOnly {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Acc(acc) = Acc::from_request_parts(parts, state).await?;
        if acc.admin {
            Ok(AdminOnly(acc))
        } else {
            Err(ApiError::forbidden())
        }
    }
}
