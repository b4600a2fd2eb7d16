//! `/users/*` endpoints used by the app (for now only the signed-in user).

use serde::Deserialize;

use super::{ApiError, ApiRequest};

/// The fields of `directus_users` the app shows.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct User {
    /// UUID.
    pub id: String,
    /// Sign-in email; `null` is possible for users without password login.
    #[serde(default)]
    pub email: Option<String>,
    /// Given name, used when the user has no email.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Family name, used when the user has no email.
    #[serde(default)]
    pub last_name: Option<String>,
}

impl User {
    /// What the header shows: the email, else the name, else the id.
    pub fn label(&self) -> String {
        if let Some(email) = self.email.as_deref().filter(|e| !e.is_empty()) {
            return email.to_owned();
        }
        let name = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() {
            self.id.clone()
        } else {
            name
        }
    }
}

/// `GET /users/me` for the bearer of `access_token`.
pub async fn me(access_token: String) -> Result<User, ApiError> {
    ApiRequest::get("/users/me")
        .bearer(&access_token)
        .send()
        .await
}

/// A `directus_users` row as the Users page shows it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct UserRow {
    /// UUID.
    pub id: String,
    /// Sign-in email.
    #[serde(default)]
    pub email: Option<String>,
    /// Given name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Role id.
    #[serde(default)]
    pub role: Option<String>,
    /// `active`, `suspended`, …
    #[serde(default)]
    pub status: Option<String>,
    /// `**********` when a static token is set, else null.
    #[serde(default)]
    pub token: Option<String>,
}

/// `GET /users`.
pub async fn list(token: String) -> Result<Vec<UserRow>, ApiError> {
    ApiRequest::get("/users")
        .query("fields", "id,email,first_name,last_name,role,status,token")
        .query("sort", "email")
        .query("limit", "-1")
        .bearer(&token)
        .send()
        .await
}

/// `POST /users`.
pub async fn create(token: String, body: serde_json::Value) -> Result<UserRow, ApiError> {
    ApiRequest::post("/users")
        .query("fields", "id,email,first_name,last_name,role,status,token")
        .bearer(&token)
        .json(&body)?
        .send()
        .await
}

/// `PATCH /users/{id}`.
pub async fn update(
    token: String,
    id: String,
    body: serde_json::Value,
) -> Result<UserRow, ApiError> {
    ApiRequest::patch(&format!("/users/{id}"))
        .query("fields", "id,email,first_name,last_name,role,status,token")
        .bearer(&token)
        .json(&body)?
        .send()
        .await
}

/// `DELETE /users/{id}`.
pub async fn delete(token: String, id: String) -> Result<(), ApiError> {
    ApiRequest::delete(&format!("/users/{id}"))
        .bearer(&token)
        .send_no_content()
        .await
}
