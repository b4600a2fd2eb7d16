//! `/roles`, `/policies`, `/access` (role ↔ policy links) and `/permissions`: the access model
//! of Directus 11 plus the flow `trigger` permission of product.md D2.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ApiError, ApiRequest};

/// The Public policy's fixed id: its rules apply to callers without a token.
pub const PUBLIC_POLICY: &str = "abf8a154-5b1c-4a46-ac9c-7300570f4f17";

/// A `directus_roles` row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// UUID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// A `directus_policies` row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// UUID.
    pub id: String,
    /// Display name (`$t:` names are translated by [`Policy::label`]).
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Full access to everything.
    #[serde(default)]
    pub admin_access: bool,
    /// May use the app.
    #[serde(default)]
    pub app_access: bool,
}

impl Policy {
    /// A readable name (the seeded policies carry translation keys).
    pub fn label(&self) -> String {
        match self.name.as_str() {
            "$t:public_label" => "Public".to_owned(),
            "$t:admin_policy" | "$t:admin_label" => "Administrator".to_owned(),
            other => other.trim_start_matches("$t:").to_owned(),
        }
    }

    /// A readable description.
    pub fn description_label(&self) -> String {
        match self.description.as_deref() {
            Some("$t:public_description") => "Rules for callers that are not signed in.".into(),
            Some("$t:admin_description") => "Full access to everything.".into(),
            Some(d) => d.trim_start_matches("$t:").to_owned(),
            None => String::new(),
        }
    }
}

/// A `directus_access` row: gives a role (or a user) a policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessRow {
    /// UUID.
    pub id: String,
    /// Role id.
    #[serde(default)]
    pub role: Option<String>,
    /// User id.
    #[serde(default)]
    pub user: Option<String>,
    /// Policy id.
    pub policy: String,
}

/// A `directus_permissions` row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Permission {
    /// Row id.
    pub id: i64,
    /// Policy id.
    pub policy: Option<String>,
    /// Collection name.
    pub collection: String,
    /// `create`, `read`, `update`, `delete` or `trigger`.
    pub action: String,
    /// Item filter (null = every item).
    #[serde(default)]
    pub permissions: Option<Value>,
    /// Allowed fields (`*` = all).
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Default values on create/update.
    #[serde(default)]
    pub presets: Option<Value>,
    /// Validation filter.
    #[serde(default)]
    pub validation: Option<Value>,
}

/// `GET /roles`.
pub async fn roles(token: String) -> Result<Vec<Role>, ApiError> {
    ApiRequest::get("/roles")
        .query("sort", "name")
        .query("limit", "-1")
        .bearer(&token)
        .send()
        .await
}

/// `GET /policies`.
pub async fn policies(token: String) -> Result<Vec<Policy>, ApiError> {
    ApiRequest::get("/policies")
        .query("sort", "name")
        .query("limit", "-1")
        .bearer(&token)
        .send()
        .await
}

/// `GET /access`.
pub async fn access_rows(token: String) -> Result<Vec<AccessRow>, ApiError> {
    ApiRequest::get("/access")
        .query("limit", "-1")
        .bearer(&token)
        .send()
        .await
}

/// `GET /permissions` with an optional JSON filter.
pub async fn permissions(
    token: String,
    filter: Option<String>,
) -> Result<Vec<Permission>, ApiError> {
    ApiRequest::get("/permissions")
        .query_opt("filter", filter)
        .query("limit", "-1")
        .bearer(&token)
        .send()
        .await
}

/// `POST /{collection}` on one of the access collections.
pub async fn create(
    token: String,
    collection: &'static str,
    body: Value,
) -> Result<Value, ApiError> {
    ApiRequest::post(&format!("/{collection}"))
        .bearer(&token)
        .json(&body)?
        .send()
        .await
}

/// `PATCH /{collection}/{id}`.
pub async fn update(
    token: String,
    collection: &'static str,
    id: String,
    body: Value,
) -> Result<Value, ApiError> {
    ApiRequest::patch(&format!("/{collection}/{id}"))
        .bearer(&token)
        .json(&body)?
        .send()
        .await
}

/// `DELETE /{collection}/{id}`.
pub async fn delete(token: String, collection: &'static str, id: String) -> Result<(), ApiError> {
    ApiRequest::delete(&format!("/{collection}/{id}"))
        .bearer(&token)
        .send_no_content()
        .await
}
