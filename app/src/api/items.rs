//! `/items/{collection}`: paged, sorted, searched lists and item create/update/delete.

use serde_json::Value;

use super::{ApiError, ApiRequest, Meta};

/// List parameters of the items table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemsQuery {
    /// Rows per page.
    pub limit: u32,
    /// 1-based page.
    pub page: u32,
    /// Sort field, `-` prefix for descending.
    pub sort: Option<String>,
    /// Full-text search.
    pub search: Option<String>,
}

/// `GET /items/{collection}` with counts.
pub async fn list(
    token: String,
    collection: String,
    q: ItemsQuery,
) -> Result<(Vec<Value>, Meta), ApiError> {
    ApiRequest::get(&format!("/items/{collection}"))
        .query("limit", q.limit.to_string())
        .query("page", q.page.to_string())
        .query("meta", "filter_count,total_count")
        .query_opt("sort", q.sort)
        .query_opt("search", q.search.filter(|s| !s.is_empty()))
        .bearer(&token)
        .send_with_meta()
        .await
}

/// `GET /items/{collection}/{id}`: one item, for its page.
pub async fn read(token: String, collection: String, id: String) -> Result<Value, ApiError> {
    let id = String::from(js_sys::encode_uri_component(&id));
    ApiRequest::get(&format!("/items/{collection}/{id}"))
        .bearer(&token)
        .send()
        .await
}

/// `POST /items/{collection}`.
pub async fn create(token: String, collection: String, body: Value) -> Result<Value, ApiError> {
    ApiRequest::post(&format!("/items/{collection}"))
        .bearer(&token)
        .json(&body)?
        .send()
        .await
}

/// `PATCH /items/{collection}/{id}`.
pub async fn update(
    token: String,
    collection: String,
    id: String,
    body: Value,
) -> Result<Value, ApiError> {
    ApiRequest::patch(&format!("/items/{collection}/{id}"))
        .bearer(&token)
        .json(&body)?
        .send()
        .await
}

/// `DELETE /items/{collection}/{id}`.
pub async fn delete(token: String, collection: String, id: String) -> Result<(), ApiError> {
    ApiRequest::delete(&format!("/items/{collection}/{id}"))
        .bearer(&token)
        .send_no_content()
        .await
}
